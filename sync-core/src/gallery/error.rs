//! What can go wrong in the gallery, each with a stable code for the UI.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GalleryError {
    #[error("{op} on s3://{bucket}/{key} failed: {detail}; check the connection and try again")]
    S3 {
        op: &'static str,
        bucket: String,
        key: String,
        detail: String,
    },
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
    #[error("cannot write {path} ({source}); choose a writable location")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
}

impl GalleryError {
    /// A stable short code for logs and the UI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::S3 { .. } => "gallery_s3_failed",
            Self::Cache { .. } => "gallery_cache_failed",
            Self::BadCursor => "gallery_bad_cursor",
            Self::DeleteForbidden { .. } => "gallery_delete_forbidden",
            Self::ConfirmationMismatch => "gallery_confirmation_mismatch",
            Self::NotFound { .. } => "gallery_not_found",
            Self::NotAnOriginal { .. } => "gallery_not_an_original",
            Self::BadDate { .. } => "gallery_bad_date",
            Self::NoUndo => "gallery_no_undo",
            Self::Write { .. } => "gallery_write_failed",
            Self::Catalog(e) => e.code(),
        }
    }

    pub(crate) fn s3(
        op: &'static str,
        bucket: &str,
        key: &str,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::S3 {
            op,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            detail: aws_sdk_s3::error::DisplayErrorContext(error).to_string(),
        }
    }

    /// [`GalleryError::NotFound`] when S3 said the key is missing (`missing`), else
    /// [`GalleryError::s3`].
    pub(crate) fn s3_or_not_found(
        op: &'static str,
        bucket: &str,
        key: &str,
        missing: bool,
        error: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        if missing {
            Self::NotFound {
                key: key.to_owned(),
            }
        } else {
            Self::s3(op, bucket, key, error)
        }
    }
}
