//! [`Transfer`]: what the engine needs of an object store to upload one file, in the shape of
//! `object_store`'s `MultipartStore` (DESIGN.md, house style). Every call is stateless and
//! safe to repeat: the caller keeps the upload id and the parts (the catalog's multipart
//! journal) and wraps each call in `retry::Retrier::run`, whose credential refresh the
//! transfer provides ([`Transfer::credential_refresh`]).
//!
//! [`super::S3Transfer`] is the real one. `lightbox-tests` has an in-memory one
//! (`memory_transfer`) with S3's semantics, so `engine::upload_job`'s resume, reconcile,
//! complete and verify are tested without a server. Failures are the same typed
//! [`UploadError`]s either way: an S3 error is an [`UploadError::S3`] whose [`super::S3Problem`]
//! comes from the call, the HTTP status and the S3 error code, never from a message.

use std::future::Future;
use std::path::Path;

use lightbox_types::CompletedPart;

use super::{ExpectedContent, ObjectFacts, ObjectMeta, UploadError};
use crate::retry::CredentialRefresh;

/// Whether a conditional write (`If-None-Match: *`) created the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object now holds the file.
    Created,
    /// Something already exists at the key and was left alone. Compare it with
    /// [`Transfer::head`] and [`ObjectFacts::compare`]: after a retry whose first reply was
    /// lost, it is our own upload.
    AlreadyExists,
}

/// One bucket, written to by stateless calls. Each call is one attempt.
///
/// The calls and what each promises, whatever the store:
/// - [`put_small`](Self::put_small): one object from a file, never over an existing one;
/// - [`head`](Self::head): what is at a key (size, whole-object CRC64/NVME, metadata);
/// - [`create_multipart`](Self::create_multipart), [`put_part`](Self::put_part),
///   [`complete_multipart`](Self::complete_multipart),
///   [`abort_multipart`](Self::abort_multipart): `MultipartStore`'s four;
/// - [`list_parts`](Self::list_parts): the server's truth about an upload, for a resume.
pub trait Transfer: Send + Sync + 'static {
    /// The hook for `Retrier::with_credential_refresh`.
    type Refresh: CredentialRefresh;

    /// The bucket written to (named in messages).
    fn bucket(&self) -> &str;

    /// After `ExpiredToken` / `InvalidToken`, the next attempt signs with fresh credentials.
    fn credential_refresh(&self) -> Self::Refresh;

    /// Upload the file at `path` (`content.size` bytes, streamed) as `key` in one request,
    /// with `If-None-Match: *` and the whole-object CRC64/NVME, so the store refuses any bytes
    /// but the fingerprinted ones.
    ///
    /// # Errors
    /// [`UploadError::FileVanished`], [`UploadError::FileChanged`] (the file is shorter than
    /// fingerprinted), [`UploadError::S3`] (`upload_checksum_mismatch` when the bytes are not
    /// the fingerprinted ones).
    fn put_small(
        &self,
        path: &Path,
        key: &str,
        meta: &ObjectMeta,
        content: &ExpectedContent,
    ) -> impl Future<Output = Result<PutOutcome, UploadError>> + Send;

    /// What the bucket holds at `key`, with the checksum the store computed, or `None`.
    ///
    /// # Errors
    /// [`UploadError::S3`], [`UploadError::BadResponse`].
    fn head(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<ObjectFacts>, UploadError>> + Send;

    /// Start a multipart upload of `key` with `meta`, for CRC64/NVME `FULL_OBJECT` checksums.
    /// Returns the upload id, which the caller journals before sending any part.
    ///
    /// # Errors
    /// [`UploadError::S3`]; [`UploadError::BadResponse`] without an upload id.
    fn create_multipart(
        &self,
        key: &str,
        meta: &ObjectMeta,
    ) -> impl Future<Output = Result<String, UploadError>> + Send;

    /// Upload part `part_number` (1..=10000) of `upload_id`: `len` bytes of `path` from
    /// `offset`, with the part's CRC64/NVME. Sending a part number again replaces it.
    ///
    /// # Errors
    /// [`UploadError::PartNumberOutOfRange`], [`UploadError::FileVanished`],
    /// [`UploadError::FileChanged`], [`UploadError::S3`] (`upload_gone` when the upload was
    /// completed or aborted).
    fn put_part(
        &self,
        upload_id: &str,
        key: &str,
        part_number: u16,
        path: &Path,
        offset: u64,
        len: u64,
    ) -> impl Future<Output = Result<CompletedPart, UploadError>> + Send;

    /// The parts the store holds for `upload_id`, in part-number order. A part listed without
    /// a CRC64/NVME has an empty `checksum`.
    ///
    /// # Errors
    /// [`UploadError::S3`] (`upload_gone` when the upload no longer exists).
    fn list_parts(
        &self,
        upload_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<Vec<CompletedPart>, UploadError>> + Send;

    /// Complete `upload_id` from `parts` with `If-None-Match: *`; with `expected`, the store
    /// refuses unless the parts add up to exactly that content. On
    /// [`PutOutcome::AlreadyExists`] the upload stays open: [`Transfer::head`] the key, then
    /// [`Transfer::abort_multipart`].
    ///
    /// # Errors
    /// [`UploadError::S3`]: `upload_gone` (completed already? HEAD the key),
    /// `upload_invalid_part`, `upload_content_mismatch`.
    fn complete_multipart(
        &self,
        upload_id: &str,
        key: &str,
        parts: &[CompletedPart],
        expected: Option<&ExpectedContent>,
    ) -> impl Future<Output = Result<PutOutcome, UploadError>> + Send;

    /// Abort `upload_id`, freeing its parts. An upload that no longer exists counts as
    /// aborted.
    ///
    /// # Errors
    /// [`UploadError::S3`] other than "no such upload".
    fn abort_multipart(
        &self,
        upload_id: &str,
        key: &str,
    ) -> impl Future<Output = Result<(), UploadError>> + Send;
}
