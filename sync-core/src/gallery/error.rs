//! What can go wrong in the gallery, each with a stable code for the UI.

use std::path::PathBuf;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use lightbox_types::FailureCode;

use crate::sdk_failure::SdkFailure;

#[derive(Debug, thiserror::Error)]
pub enum GalleryError {
    /// An S3 call failed; `failure` is its kind, read from the SDK's error where it was seen.
    #[error(
        "{op} on s3://{bucket}/{key} failed ({failure}: {detail}); {}",
        what_to_do(failure)
    )]
    S3 {
        op: &'static str,
        bucket: String,
        key: String,
        failure: SdkFailure,
        /// The SDK's account of it, for the message.
        detail: String,
    },
    #[error(
        "{key} has no sha256 metadata (it was not uploaded by Lightbox), so no tombstone can keep \
         it from coming back; delete it with another S3 tool if it must go"
    )]
    NoContentHash { key: String },
    #[error(
        "the gallery cache {path} cannot be used ({source}); delete it, it is rebuilt from the bucket"
    )]
    Cache {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "this page cursor is not valid (it comes from another listing or was edited); start again from the first page"
    )]
    BadCursor,
    #[error("only admins can delete photos; ask an admin to delete {key}")]
    DeleteForbidden { key: String },
    #[error(
        "the delete confirmation does not match this selection or has expired; preview the delete again and confirm"
    )]
    ConfirmationMismatch,
    #[error("{key} is not in the bucket (deleted already?); refresh the gallery")]
    NotFound { key: String },
    #[error("{key} is not an original (expected originals/...); pick the photo, not a preview")]
    NotAnOriginal { key: String },
    #[error("{date:?} is not a date; use YYYY-MM-DD, YYYY-MM or YYYY (e.g. 2024-05-01)")]
    BadDate { date: String },
    #[error("nothing to undo: the bucket has no versioning, so deletes are final")]
    NoUndo,
    #[error("{path} {why}: nothing was written; choose another place to save the photo")]
    UnsafeDestination { path: PathBuf, why: &'static str },
    #[error("cannot write {path} ({source}); choose a writable location")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The shared index refused a delete-mark or could not be reached.
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

impl GalleryError {
    /// A stable short code for logs and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::S3 { .. } => FailureCode::GalleryS3Failed,
            Self::NoContentHash { .. } => FailureCode::GalleryNoContentHash,
            Self::Cache { .. } => FailureCode::GalleryCacheFailed,
            Self::BadCursor => FailureCode::GalleryBadCursor,
            Self::DeleteForbidden { .. } => FailureCode::GalleryDeleteForbidden,
            Self::ConfirmationMismatch => FailureCode::GalleryConfirmationMismatch,
            Self::NotFound { .. } => FailureCode::GalleryNotFound,
            Self::NotAnOriginal { .. } => FailureCode::GalleryNotAnOriginal,
            Self::BadDate { .. } => FailureCode::GalleryBadDate,
            Self::NoUndo => FailureCode::GalleryNoUndo,
            Self::Write { .. } => FailureCode::GalleryWriteFailed,
            Self::UnsafeDestination { .. } => FailureCode::GalleryUnsafeDestination,
            Self::Catalog(e) => e.code(),
            Self::Index(e) => e.code(),
        }
    }

    /// A failed S3 call `op` on `key`, typed from the SDK's error.
    pub(crate) fn s3<E>(
        op: &'static str,
        bucket: &str,
        key: &str,
        error: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        Self::s3_failure(op, bucket, key, SdkFailure::of(&error), error)
    }

    /// A request for `op` that could not be built or presigned.
    pub(crate) fn request(
        op: &'static str,
        bucket: &str,
        key: &str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::s3_failure(op, bucket, key, SdkFailure::Request, error)
    }

    /// The reply to `op` broke off while its body was read: the connection failed.
    pub(crate) fn interrupted(
        op: &'static str,
        bucket: &str,
        key: &str,
        error: aws_sdk_s3::primitives::ByteStreamError,
    ) -> Self {
        Self::s3_failure(op, bucket, key, SdkFailure::Unreachable, error)
    }

    fn s3_failure(
        op: &'static str,
        bucket: &str,
        key: &str,
        failure: SdkFailure,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::S3 {
            op,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            failure,
            detail: DisplayErrorContext(error).to_string(),
        }
    }

    /// [`GalleryError::NotFound`] when S3 said the key is missing (`missing`), else
    /// [`GalleryError::s3`].
    pub(crate) fn s3_or_not_found<E>(
        op: &'static str,
        bucket: &str,
        key: &str,
        missing: bool,
        error: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        if missing {
            Self::NotFound {
                key: key.to_owned(),
            }
        } else {
            Self::s3(op, bucket, key, error)
        }
    }
}

/// What to do about a failed S3 call, by its kind.
fn what_to_do(failure: &SdkFailure) -> &'static str {
    match failure {
        SdkFailure::Unreachable | SdkFailure::TimedOut => "check the connection and try again",
        SdkFailure::Service { .. } => {
            "try again; if it persists, ask an admin to check the bucket and your role"
        }
        SdkFailure::BadResponse => "try again; if it persists, report it with the log",
        SdkFailure::Request => "sign in again, or check the storage settings",
    }
}
