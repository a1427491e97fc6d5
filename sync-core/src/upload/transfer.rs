//! [`S3Transfer`]: the real [`Transfer`], on one bucket through a client with the SDK's retries
//! off. The single-object calls (`PutObject`, `HeadObject`) are here, the multipart calls in
//! [`super::multipart`]; each is named for the S3 operation it sends, and the [`Transfer`] impl
//! at the end maps the trait onto them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::{ByteStream, SdkBody};
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};

use super::controls::{ThrottledBody, TransferControls};
use super::credential_cache::{CacheHandle, RefreshTransferCredentials, TransferCredentials};
use super::file_body::FileRangeBody;
use super::meta::content_type_for;
use super::{
    ExpectedContent, ObjectFacts, ObjectMeta, PutOutcome, S3Call, S3Problem, Transfer, UploadError,
};
use lightbox_types::CompletedPart;

/// How `put_small` and `complete_multipart` avoid overwriting an existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverwriteGuard {
    /// Send `If-None-Match: *` only. Enough for AWS S3 and moto, which answer 412.
    IfNoneMatch,
    /// `HeadObject` first, and `If-None-Match: *` as well. Garage 2.5 ignores `If-None-Match`
    /// on `PutObject` and `CompleteMultipartUpload` (it overwrites), so against it only the
    /// HEAD protects an existing object; a write racing between the HEAD and the PUT can still
    /// overwrite there. The extra round trip per file is small next to a photo's upload. A HEAD
    /// refused with 403 (an AWS role without `s3:ListBucket` gets 403 for missing keys) falls
    /// back to the conditional write alone.
    #[default]
    HeadFirst,
}

/// The stateless S3 transfer layer for one bucket. It holds no upload state: the caller (the
/// engine, with the catalog) keeps upload ids and parts, so any call can be repeated or resumed
/// after a restart. Each call is one attempt; wrap calls in `retry::Retrier::run`.
///
/// Cheap to clone (the SDK client is reference-counted); share one so that the SDK's learned
/// clock offset is shared too.
#[derive(Debug, Clone)]
pub struct S3Transfer {
    pub(super) client: Client,
    pub(super) bucket: String,
    /// `true`: [`OverwriteGuard::HeadFirst`]. Shared by every clone, so the uploader's probe
    /// ([`Self::probe_overwrite_guard`]) applies to the jobs' clones too.
    pub(super) head_first: Arc<AtomicBool>,
    pub(super) list_page_size: i32,
    /// Pause gate and bandwidth limit, shared by every clone.
    pub(super) controls: Arc<TransferControls>,
    /// The client's credential cache, which a refused token invalidates.
    pub(super) credentials: Arc<TransferCredentials>,
}

/// Parts and uploads per list page: S3's maximum.
const LIST_PAGE_SIZE: i32 = 1000;
/// Time to establish a connection to the S3 endpoint.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest silence while waiting for response bytes (not a limit on the whole
/// transfer, so slow links still upload large parts).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl S3Transfer {
    /// Transfers to `bucket` with `client`'s configuration, except that the SDK's own retries
    /// are disabled (`retry::Retrier` owns retries, see the `retry` module docs) and every
    /// request has connect and read timeouts: a server that accepts a request and never
    /// answers must become a temporary error the Retrier sees, not a job blocked for ever.
    /// The client's credentials are cached in a [`TransferCredentials`] (not the SDK's cache),
    /// so that an `ExpiredToken` reply can drop them: see [`Self::credential_refresh`].
    #[must_use]
    pub fn new(client: &Client, bucket: impl Into<String>) -> Self {
        let credentials = TransferCredentials::new();
        let config = client
            .config()
            .to_builder()
            .identity_cache(CacheHandle(Arc::clone(&credentials)))
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(READ_TIMEOUT)
                    .build(),
            )
            .build();
        Self {
            client: Client::from_conf(config),
            bucket: bucket.into(),
            head_first: Arc::new(AtomicBool::new(
                OverwriteGuard::default() == OverwriteGuard::HeadFirst,
            )),
            list_page_size: LIST_PAGE_SIZE,
            controls: Arc::default(),
            credentials,
        }
    }

    /// The hook for `Retrier::with_credential_refresh`: after `ExpiredToken` / `InvalidToken`,
    /// the next attempt loads fresh credentials from the client's provider. (Also
    /// [`Transfer::credential_refresh`], for callers that hold an `S3Transfer` without the
    /// trait in scope: the previewer.)
    #[must_use]
    pub fn credential_refresh(&self) -> RefreshTransferCredentials {
        RefreshTransferCredentials(Arc::clone(&self.credentials))
    }

    /// The credential cache (how often credentials were loaded and refreshed).
    #[must_use]
    pub fn credentials(&self) -> &Arc<TransferCredentials> {
        &self.credentials
    }

    /// The pause gate and bandwidth limit that every clone of this transfer obeys.
    #[must_use]
    pub fn controls(&self) -> &Arc<TransferControls> {
        &self.controls
    }

    /// Use `guard` against overwriting existing objects.
    #[must_use]
    pub fn with_overwrite_guard(self, guard: OverwriteGuard) -> Self {
        self.set_overwrite_guard(guard);
        self
    }

    /// Use `guard` from now on, in this transfer and every clone of it.
    pub fn set_overwrite_guard(&self, guard: OverwriteGuard) {
        self.head_first
            .store(guard == OverwriteGuard::HeadFirst, Ordering::SeqCst);
    }

    /// The guard in force.
    #[must_use]
    pub fn overwrite_guard(&self) -> OverwriteGuard {
        if self.head_first.load(Ordering::SeqCst) {
            OverwriteGuard::HeadFirst
        } else {
            OverwriteGuard::IfNoneMatch
        }
    }

    /// Ask for at most `size` (1..=1000) entries per `ListParts` / `ListMultipartUploads` page
    /// (tests of the pagination; servers cap it at 1000).
    #[must_use]
    pub fn with_list_page_size(self, size: u16) -> Self {
        Self {
            list_page_size: i32::from(size.clamp(1, 1000)),
            ..self
        }
    }

    /// The bucket written to (also [`Transfer::bucket`]).
    #[must_use]
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The SDK client (retries off), for other components on the same bucket (previews).
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// [`Transfer::put_small`]: upload the file at `path` as `key` in one `PutObject`, unless
    /// `key` exists.
    ///
    /// The body is streamed from the file (`content.size` bytes, never all in memory) with the
    /// fingerprint's whole-object CRC64/NVME, so the server refuses the upload (a checksum
    /// mismatch, retried by the policy) unless it received exactly the fingerprinted content.
    ///
    /// # Errors
    /// [`UploadError::FileVanished`], [`UploadError::FileChanged`] when the file is shorter
    /// than fingerprinted, and S3 failures ([`UploadError::S3`]).
    async fn put_object(
        &self,
        path: &Path,
        key: &str,
        meta: &ObjectMeta,
        content: &ExpectedContent,
    ) -> Result<PutOutcome, UploadError> {
        let _active = self.controls.enter().await;
        if self.key_taken_by_head(key).await? {
            return Ok(PutOutcome::AlreadyExists);
        }
        let body = self.file_range_body(path, 0, content.size).await?;
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .if_none_match("*")
            .content_type(content_type_for(key))
            .content_length(signed_len(content.size))
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_crc64_nvme(&content.crc64nvme_base64)
            .set_metadata(Some(meta.to_user_metadata()))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(output) => {
                self.check_echo(
                    S3Call::PutObject,
                    key,
                    output.checksum_crc64_nvme(),
                    &content.crc64nvme_base64,
                )?;
                Ok(PutOutcome::Created)
            }
            Err(error) if is_precondition_failed(&error) => Ok(PutOutcome::AlreadyExists),
            Err(error) => Err(UploadError::from_sdk(
                S3Call::PutObject,
                &self.bucket,
                key,
                error,
            )),
        }
    }

    /// [`Transfer::head`]: what the bucket holds at `key`, with the checksum the server
    /// computed (checksum mode on), or `None` when there is no such object.
    ///
    /// # Errors
    /// S3 failures ([`UploadError::S3`]).
    pub(super) async fn head_object(&self, key: &str) -> Result<Option<ObjectFacts>, UploadError> {
        let output = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error)
                if matches!(error.as_service_error(), Some(HeadObjectError::NotFound(_))) =>
            {
                return Ok(None);
            }
            Err(error) => {
                return Err(UploadError::from_sdk(
                    S3Call::HeadObject,
                    &self.bucket,
                    key,
                    error,
                ));
            }
        };
        let user_metadata = output.metadata().cloned().unwrap_or_default();
        Ok(Some(ObjectFacts {
            size: output
                .content_length()
                .and_then(|len| u64::try_from(len).ok())
                .ok_or_else(|| {
                    self.bad_response(S3Call::HeadObject, key, "has no Content-Length")
                })?,
            etag: output.e_tag().map(str::to_owned),
            crc64nvme_base64: output.checksum_crc64_nvme().map(str::to_owned),
            checksum_type: output.checksum_type().cloned(),
            meta: ObjectMeta::from_user_metadata(&user_metadata),
            user_metadata,
        }))
    }

    /// The [`OverwriteGuard::HeadFirst`] check: whether a HEAD finds `key` taken. A HEAD
    /// refused with 403 proves nothing (AWS answers 403 instead of 404 for a missing key when
    /// the role lacks `s3:ListBucket`), so the conditional write decides then.
    pub(super) async fn key_taken_by_head(&self, key: &str) -> Result<bool, UploadError> {
        if self.overwrite_guard() != OverwriteGuard::HeadFirst {
            return Ok(false);
        }
        match self.head_object(key).await {
            Ok(found) => Ok(found.is_some()),
            Err(error) if error.problem() == Some(S3Problem::AccessDenied) => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub(super) fn bad_response(&self, call: S3Call, key: &str, what: &str) -> UploadError {
        UploadError::BadResponse {
            call,
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            what: what.to_owned(),
        }
    }

    /// A checksum the server echoes must be the one we sent (it verified the body against it).
    pub(super) fn check_echo(
        &self,
        call: S3Call,
        key: &str,
        echoed: Option<&str>,
        sent: &str,
    ) -> Result<(), UploadError> {
        match echoed {
            Some(echoed) if echoed != sent => Err(self.bad_response(
                call,
                key,
                &format!("names CRC64/NVME {echoed}, but {sent} was sent"),
            )),
            _ => Ok(()),
        }
    }
}

/// The trait's calls, each one S3 request (two with [`OverwriteGuard::HeadFirst`]).
impl Transfer for S3Transfer {
    type Refresh = RefreshTransferCredentials;

    fn bucket(&self) -> &str {
        S3Transfer::bucket(self)
    }

    fn credential_refresh(&self) -> RefreshTransferCredentials {
        S3Transfer::credential_refresh(self)
    }

    async fn put_small(
        &self,
        path: &Path,
        key: &str,
        meta: &ObjectMeta,
        content: &ExpectedContent,
    ) -> Result<PutOutcome, UploadError> {
        self.put_object(path, key, meta, content).await
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectFacts>, UploadError> {
        self.head_object(key).await
    }

    async fn create_multipart(&self, key: &str, meta: &ObjectMeta) -> Result<String, UploadError> {
        self.create_multipart_upload(key, meta).await
    }

    async fn put_part(
        &self,
        upload_id: &str,
        key: &str,
        part_number: u16,
        path: &Path,
        offset: u64,
        len: u64,
    ) -> Result<CompletedPart, UploadError> {
        self.upload_part(upload_id, key, part_number, path, offset, len)
            .await
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        key: &str,
    ) -> Result<Vec<CompletedPart>, UploadError> {
        self.list_all_parts(upload_id, key).await
    }

    async fn complete_multipart(
        &self,
        upload_id: &str,
        key: &str,
        parts: &[CompletedPart],
        expected: Option<&ExpectedContent>,
    ) -> Result<PutOutcome, UploadError> {
        self.complete_multipart_upload(upload_id, key, parts, expected)
            .await
    }

    async fn abort_multipart(&self, upload_id: &str, key: &str) -> Result<(), UploadError> {
        self.abort_multipart_upload(upload_id, key).await
    }
}

impl S3Transfer {
    /// `len` bytes of `path` from `offset`, streamed and released through the bandwidth limit
    /// as they are sent (see [`super::controls`]).
    ///
    /// # Errors
    /// [`UploadError::FileVanished`], [`UploadError::FileChanged`] when the file ends before
    /// `offset + len`, [`UploadError::ReadFile`].
    pub(super) async fn file_range_body(
        &self,
        path: &Path,
        offset: u64,
        len: u64,
    ) -> Result<ByteStream, UploadError> {
        let file = file_range(path, offset, len).await?;
        let throttled =
            ThrottledBody::new(SdkBody::from_body_1_x(file), Arc::clone(&self.controls));
        Ok(ByteStream::new(SdkBody::from_body_1_x(throttled)))
    }
}

/// Bytes per read from the file into a request body. With the SDK's default (64 KiB) every
/// read was a hand-off to tokio's blocking pool, and futex wake-ups were 12 % of a 2 GiB
/// upload's samples. Each request in flight holds one such buffer.
const BODY_READ_BUFFER: usize = 256 * 1024;

/// `len` bytes of `path` from `offset`, streamed ([`BODY_READ_BUFFER`] per read), once the file
/// is known to be long enough.
async fn file_range(path: &Path, offset: u64, len: u64) -> Result<FileRangeBody, UploadError> {
    let name = path.to_path_buf();
    let path = path.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&path)
            .map_err(|e| UploadError::from_io(&path, e))?
            .len();
        let needed = offset.saturating_add(len);
        if size < needed {
            return Err(UploadError::FileChanged {
                path,
                needed,
                found: size,
            });
        }
        FileRangeBody::open(&path, offset, len, BODY_READ_BUFFER)
            .map_err(|e| UploadError::from_io(&path, e))
    });
    opened
        .await
        .map_err(|join| UploadError::from_io(&name, std::io::Error::other(join)))?
}

/// A byte count as the SDK's `i64`. Sizes come from files and are far below `i64::MAX`.
pub(super) fn signed_len(len: u64) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

/// Whether a conditional write found the key taken (HTTP 412).
pub fn is_precondition_failed<E>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> bool {
    matches!(error, aws_sdk_s3::error::SdkError::ServiceError(service)
        if service.raw().status().as_u16() == 412)
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::config::{BehaviorVersion, Region};

    use super::*;
    use crate::retry::{Retrier, RetryPolicy};

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn transfers_under_the_retrier_can_be_spawned() {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .build();
        let transfer = S3Transfer::new(&Client::from_conf(config), "photos");
        let retrier = Retrier::new(RetryPolicy::default());
        let path = Path::new("/photos/a.cr3");

        let part = retrier.run(|_| transfer.put_part("id", "key", 1, path, 0, 8));
        let content = ExpectedContent {
            size: 8,
            crc64nvme_base64: String::new(),
        };
        let meta = ObjectMeta {
            sha256: lightbox_types::Sha256Digest::from([0; 32]),
            original_name: String::new(),
            capture_time: None,
            source_host: String::new(),
            uploader: String::new(),
        };
        let put = retrier.run(|_| transfer.put_small(path, "key", &meta, &content));

        assert_send(&part);
        assert_send(&put);
        assert!(
            transfer
                .client
                .config()
                .retry_config()
                .is_some_and(|retry| retry.max_attempts() == 1),
            "the SDK makes one attempt per call; the Retrier owns retries"
        );
    }
}
