//! [`MemoryTransfer`]: a bucket in memory behind `sync_core::upload::Transfer`, with S3's
//! semantics, so code written against the trait (`engine::upload_job`) is tested without a
//! server, and faults no server produces on demand (an expired token in the middle of a part,
//! a lost part, an upload aborted by a lifecycle rule) are one call away.
//!
//! What it does as S3 does (checked against Garage by the same contract,
//! [`crate::transfer_contract`]):
//! - ETags are MD5s, quoted: a part's and a single put's are the MD5 of the bytes, a multipart
//!   object's the MD5 of the parts' MD5s with `-N`; so the same bytes sent again give the same
//!   ETag;
//! - part numbers are 1..=10000; a part sent again replaces the stored one; every part but the
//!   last must be at least 5 MiB when the upload completes (`EntityTooSmall`);
//! - after `CompleteMultipartUpload` or `AbortMultipartUpload` the upload id is gone: `UploadPart`,
//!   `ListParts` and `CompleteMultipartUpload` answer 404 `NoSuchUpload` (abort counts it as
//!   done, as `S3Transfer` does);
//! - `If-None-Match: *` is honoured on `PutObject` and `CompleteMultipartUpload` (412, the
//!   upload stays open), as AWS does;
//! - checksums are checked: a body whose CRC64/NVME is not the one sent is refused
//!   (`BadDigest`), and a completion whose parts do not add up to the whole-object CRC64/NVME
//!   sent is refused (`BadDigest`, which S3 calls a content mismatch on completion); objects
//!   report their `FULL_OBJECT` CRC64/NVME to `HeadObject`;
//! - a reply to `HeadObject` has no body, so its failures carry a status and no error code.
//!
//! Failures are built as `S3Transfer` builds them from the SDK: an [`UploadError::S3`] whose
//! problem is [`S3Problem::identify`] of the call, the status and the code, classified by
//! `retry::classify_response`. So the engine sees the same typed problems and retry classes.
//!
//! Faults on demand: [`MemoryTransfer::fail_next`] (one reply, such as `ExpiredToken` or
//! `InternalError`, to the next call of a kind), [`MemoryTransfer::expire_credentials`]
//! (every call refused until the retrier refreshes, or for good), [`MemoryTransfer::before`]
//! (run something, such as rewriting the source file, before the n-th call of a kind),
//! [`MemoryTransfer::forget_part`], [`MemoryTransfer::expire_upload`] and
//! [`MemoryTransfer::put_foreign_object`] (another writer's object at a key).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use aws_sdk_s3::types::ChecksumType;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lightbox_types::CompletedPart;
use md5::{Digest as _, Md5};
use sync_core::retry::{CredentialRefresh, classify_response};
use sync_core::upload::{
    ExpectedContent, ObjectFacts, ObjectMeta, PutOutcome, S3Call, S3Problem, Transfer, UploadError,
    part_crc64nvme,
};

/// S3's smallest part but the last (checked when an upload completes).
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;

/// One error reply, as S3 would send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub status: u16,
    pub code: &'static str,
}

impl Fault {
    /// The session credentials expired (400).
    pub const EXPIRED_TOKEN: Self = Self {
        status: 400,
        code: "ExpiredToken",
    };
    /// A temporary server failure (500).
    pub const INTERNAL_ERROR: Self = Self {
        status: 500,
        code: "InternalError",
    };
    /// The role may not do this (403).
    pub const ACCESS_DENIED: Self = Self {
        status: 403,
        code: "AccessDenied",
    };
}

/// How long expired credentials stay refused ([`MemoryTransfer::expire_credentials`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Until the next credential refresh: what temporary credentials do.
    UntilRefreshed,
    /// Refreshed ones are refused too: a revoked sign-in.
    ForGood,
}

/// The reply behind an [`UploadError::S3`] made here (its `source`).
#[derive(Debug, Clone, thiserror::Error)]
#[error("HTTP {status} {code} (in-memory bucket)")]
pub struct MemoryReply {
    pub status: u16,
    /// Absent for replies to `HeadObject`, which have no body.
    pub code: String,
}

/// An object in the memory bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub bytes: Vec<u8>,
    pub etag: String,
    /// `FULL_OBJECT` CRC64/NVME, base64.
    pub crc64nvme_base64: String,
    pub user_metadata: HashMap<String, String>,
}

/// One call made to the transfer, in order, faults and refusals included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub call: S3Call,
    pub key: String,
    /// For `UploadPart`.
    pub part_number: Option<u16>,
}

#[derive(Debug, Clone)]
struct StoredPart {
    bytes: Vec<u8>,
    etag: String,
    checksum: String,
}

#[derive(Debug)]
struct Upload {
    key: String,
    user_metadata: HashMap<String, String>,
    parts: BTreeMap<u16, StoredPart>,
}

type Action = Box<dyn FnOnce() + Send>;
type Watcher = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Bucket {
    objects: BTreeMap<String, StoredObject>,
    uploads: BTreeMap<String, Upload>,
    uploads_created: u64,
    calls: Vec<Call>,
    faults: Vec<(S3Call, Fault)>,
    /// Run before the n-th call (1-based, counted from the start) of a kind.
    hooks: Vec<(S3Call, usize, Action)>,
    /// Run before every call of a kind.
    watchers: Vec<(S3Call, Watcher)>,
    expired: Option<Expiry>,
}

#[derive(Debug, Default)]
struct Refreshes(AtomicU32);

/// A bucket in memory with S3's semantics (see the module docs). Cheap to clone; clones share
/// the bucket.
#[derive(Clone)]
pub struct MemoryTransfer {
    bucket_name: String,
    bucket: Arc<Mutex<Bucket>>,
    refreshes: Arc<Refreshes>,
}

impl fmt::Debug for MemoryTransfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTransfer")
            .field("bucket", &self.bucket_name)
            .finish_non_exhaustive()
    }
}

/// [`Transfer::credential_refresh`] of a [`MemoryTransfer`]: what the retrier calls after
/// `ExpiredToken`.
#[derive(Clone)]
pub struct MemoryRefresh {
    bucket: Arc<Mutex<Bucket>>,
    refreshes: Arc<Refreshes>,
}

impl CredentialRefresh for MemoryRefresh {
    async fn refresh(&self, _attempt_started: Instant) {
        self.refreshes.0.fetch_add(1, Ordering::SeqCst);
        let mut bucket = lock(&self.bucket);
        if bucket.expired == Some(Expiry::UntilRefreshed) {
            bucket.expired = None;
        }
    }
}

fn lock(bucket: &Mutex<Bucket>) -> MutexGuard<'_, Bucket> {
    // A test that panicked while holding it leaves a usable bucket.
    bucket.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryTransfer {
    /// An empty bucket called `bucket`.
    #[must_use]
    pub fn new(bucket: &str) -> Self {
        Self {
            bucket_name: bucket.to_owned(),
            bucket: Arc::default(),
            refreshes: Arc::default(),
        }
    }

    /// The object at `key`.
    #[must_use]
    pub fn object(&self, key: &str) -> Option<StoredObject> {
        lock(&self.bucket).objects.get(key).cloned()
    }

    /// Another writer (another station, another tool) stores `bytes` at `key`, overwriting.
    pub fn put_foreign_object(
        &self,
        key: &str,
        bytes: &[u8],
        user_metadata: HashMap<String, String>,
    ) {
        let object = StoredObject {
            etag: quoted_md5(bytes),
            crc64nvme_base64: crc64nvme(bytes),
            bytes: bytes.to_vec(),
            user_metadata,
        };
        lock(&self.bucket).objects.insert(key.to_owned(), object);
    }

    /// The multipart uploads in flight: `(upload id, key)`.
    #[must_use]
    pub fn open_uploads(&self) -> Vec<(String, String)> {
        lock(&self.bucket)
            .uploads
            .iter()
            .map(|(id, upload)| (id.clone(), upload.key.clone()))
            .collect()
    }

    /// The part numbers the bucket holds for `upload_id` (empty when there is no such upload).
    #[must_use]
    pub fn parts_held(&self, upload_id: &str) -> Vec<u16> {
        lock(&self.bucket)
            .uploads
            .get(upload_id)
            .map(|upload| upload.parts.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The bucket no longer has part `part_number` of `upload_id`.
    pub fn forget_part(&self, upload_id: &str, part_number: u16) {
        if let Some(upload) = lock(&self.bucket).uploads.get_mut(upload_id) {
            upload.parts.remove(&part_number);
        }
    }

    /// `upload_id` is gone (aborted by the bucket's lifecycle rule, or by another client).
    pub fn expire_upload(&self, upload_id: &str) {
        lock(&self.bucket).uploads.remove(upload_id);
    }

    /// The next call of kind `call` gets `fault` instead of being served. Queued faults are
    /// used in order.
    pub fn fail_next(&self, call: S3Call, fault: Fault) {
        lock(&self.bucket).faults.push((call, fault));
    }

    /// From now on every call is refused with `ExpiredToken`, until a refresh
    /// ([`Expiry::UntilRefreshed`]) or for good.
    pub fn expire_credentials(&self, expiry: Expiry) {
        lock(&self.bucket).expired = Some(expiry);
    }

    /// Credential refreshes the retrier asked for.
    #[must_use]
    pub fn refreshes(&self) -> u32 {
        self.refreshes.0.load(Ordering::SeqCst)
    }

    /// Run `action` just before the `nth` call (1-based, counted from the start) of kind
    /// `call` is served, outside the bucket's lock (it may rewrite a file or use this
    /// transfer).
    pub fn before(&self, call: S3Call, nth: usize, action: impl FnOnce() + Send + 'static) {
        lock(&self.bucket).hooks.push((call, nth, Box::new(action)));
    }

    /// Run `action` just before every call of kind `call` is served, outside the bucket's
    /// lock (to look at the caller's state at that moment).
    pub fn before_each(&self, call: S3Call, action: impl Fn() + Send + Sync + 'static) {
        lock(&self.bucket).watchers.push((call, Arc::new(action)));
    }

    /// Every call so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.bucket).calls.clone()
    }

    /// How many calls of kind `call` were made.
    #[must_use]
    pub fn count(&self, call: S3Call) -> usize {
        lock(&self.bucket)
            .calls
            .iter()
            .filter(|c| c.call == call)
            .count()
    }

    /// The part numbers sent with `UploadPart`, in order, retries included.
    #[must_use]
    pub fn parts_sent(&self) -> Vec<u16> {
        lock(&self.bucket)
            .calls
            .iter()
            .filter_map(|c| c.part_number)
            .collect()
    }

    /// Log the call, run the hooks due, then refuse it if the credentials are expired or a
    /// fault is queued for it.
    fn arrive(&self, call: S3Call, key: &str, part_number: Option<u16>) -> Result<(), UploadError> {
        let (due, watching): (Vec<Action>, Vec<Watcher>) = {
            let mut bucket = lock(&self.bucket);
            bucket.calls.push(Call {
                call,
                key: key.to_owned(),
                part_number,
            });
            let nth = bucket.calls.iter().filter(|c| c.call == call).count();
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut bucket.hooks)
                .into_iter()
                .partition(|(kind, n, _)| *kind == call && *n == nth);
            bucket.hooks = later;
            let watching = bucket
                .watchers
                .iter()
                .filter(|(kind, _)| *kind == call)
                .map(|(_, watcher)| Arc::clone(watcher))
                .collect();
            (
                due.into_iter().map(|(_, _, action)| action).collect(),
                watching,
            )
        };
        for watcher in watching {
            watcher();
        }
        for action in due {
            action();
        }
        let mut bucket = lock(&self.bucket);
        if bucket.expired.is_some() {
            return Err(self.refusal(call, key, Fault::EXPIRED_TOKEN));
        }
        if let Some(at) = bucket.faults.iter().position(|(kind, _)| *kind == call) {
            let (_, fault) = bucket.faults.remove(at);
            return Err(self.refusal(call, key, fault));
        }
        Ok(())
    }

    /// The typed error `S3Transfer` makes of this reply: the problem from the call, the status
    /// and the code, the class from the same table the SDK errors go through.
    fn refusal(&self, call: S3Call, key: &str, fault: Fault) -> UploadError {
        // A reply to HEAD has no body, so no code.
        let code = (call != S3Call::HeadObject).then_some(fault.code);
        let class = classify_response(fault.status, code);
        let problem = S3Problem::identify(call, Some(fault.status), code, class);
        let detail = match code {
            Some(code) => format!("HTTP {} {code}", fault.status),
            None => format!("HTTP {}", fault.status),
        };
        UploadError::S3 {
            call,
            bucket: self.bucket_name.clone(),
            key: key.to_owned(),
            problem,
            detail,
            source: Box::new(MemoryReply {
                status: fault.status,
                code: code.unwrap_or_default().to_owned(),
            }),
        }
    }

    fn error(&self, call: S3Call, key: &str, status: u16, code: &'static str) -> UploadError {
        self.refusal(call, key, Fault { status, code })
    }

    fn no_such_upload(&self, call: S3Call, key: &str) -> UploadError {
        self.error(call, key, 404, "NoSuchUpload")
    }
}

impl Transfer for MemoryTransfer {
    type Refresh = MemoryRefresh;

    fn bucket(&self) -> &str {
        &self.bucket_name
    }

    fn credential_refresh(&self) -> MemoryRefresh {
        MemoryRefresh {
            bucket: Arc::clone(&self.bucket),
            refreshes: Arc::clone(&self.refreshes),
        }
    }

    async fn put_small(
        &self,
        path: &Path,
        key: &str,
        meta: &ObjectMeta,
        content: &ExpectedContent,
    ) -> Result<PutOutcome, UploadError> {
        let call = S3Call::PutObject;
        self.arrive(call, key, None)?;
        let bytes = read_range(path, 0, content.size)?;
        let mut bucket = lock(&self.bucket);
        if bucket.objects.contains_key(key) {
            return Ok(PutOutcome::AlreadyExists);
        }
        if crc64nvme(&bytes) != content.crc64nvme_base64 {
            return Err(self.error(call, key, 400, "BadDigest"));
        }
        let object = StoredObject {
            etag: quoted_md5(&bytes),
            crc64nvme_base64: content.crc64nvme_base64.clone(),
            bytes,
            user_metadata: meta.to_user_metadata(),
        };
        bucket.objects.insert(key.to_owned(), object);
        Ok(PutOutcome::Created)
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectFacts>, UploadError> {
        self.arrive(S3Call::HeadObject, key, None)?;
        let bucket = lock(&self.bucket);
        Ok(bucket.objects.get(key).map(|object| ObjectFacts {
            size: len_of(&object.bytes),
            etag: Some(object.etag.clone()),
            crc64nvme_base64: Some(object.crc64nvme_base64.clone()),
            checksum_type: Some(ChecksumType::FullObject),
            meta: ObjectMeta::from_user_metadata(&object.user_metadata),
            user_metadata: object.user_metadata.clone(),
        }))
    }

    async fn create_multipart(&self, key: &str, meta: &ObjectMeta) -> Result<String, UploadError> {
        self.arrive(S3Call::CreateMultipartUpload, key, None)?;
        let mut bucket = lock(&self.bucket);
        bucket.uploads_created += 1;
        let upload_id = format!("memory-upload-{}", bucket.uploads_created);
        bucket.uploads.insert(
            upload_id.clone(),
            Upload {
                key: key.to_owned(),
                user_metadata: meta.to_user_metadata(),
                parts: BTreeMap::new(),
            },
        );
        Ok(upload_id)
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
        let call = S3Call::UploadPart;
        if !lightbox_types::is_part_number(part_number) {
            return Err(UploadError::PartNumberOutOfRange { part_number });
        }
        // As `S3Transfer` does: the part's CRC64/NVME from one read, the body from another, so
        // a file rewritten in between is refused by the bucket's check.
        self.arrive(call, key, Some(part_number))?;
        let checksum = part_crc64nvme(path, offset, len).await?;
        let bytes = read_range(path, offset, len)?;
        let mut bucket = lock(&self.bucket);
        let Some(upload) = bucket
            .uploads
            .get_mut(upload_id)
            .filter(|upload| upload.key == key)
        else {
            return Err(self.no_such_upload(call, key));
        };
        if crc64nvme(&bytes) != checksum {
            return Err(self.error(call, key, 400, "BadDigest"));
        }
        let etag = quoted_md5(&bytes);
        upload.parts.insert(
            part_number,
            StoredPart {
                bytes,
                etag: etag.clone(),
                checksum: checksum.clone(),
            },
        );
        Ok(CompletedPart {
            part_number,
            etag,
            checksum,
            size: len,
        })
    }

    async fn list_parts(
        &self,
        upload_id: &str,
        key: &str,
    ) -> Result<Vec<CompletedPart>, UploadError> {
        let call = S3Call::ListParts;
        self.arrive(call, key, None)?;
        let bucket = lock(&self.bucket);
        let upload = bucket
            .uploads
            .get(upload_id)
            .filter(|upload| upload.key == key)
            .ok_or_else(|| self.no_such_upload(call, key))?;
        Ok(upload
            .parts
            .iter()
            .map(|(number, part)| CompletedPart {
                part_number: *number,
                etag: part.etag.clone(),
                checksum: part.checksum.clone(),
                size: len_of(&part.bytes),
            })
            .collect())
    }

    async fn complete_multipart(
        &self,
        upload_id: &str,
        key: &str,
        parts: &[CompletedPart],
        expected: Option<&ExpectedContent>,
    ) -> Result<PutOutcome, UploadError> {
        let call = S3Call::CompleteMultipartUpload;
        self.arrive(call, key, None)?;
        let mut bucket = lock(&self.bucket);
        let Some(upload) = bucket
            .uploads
            .get(upload_id)
            .filter(|upload| upload.key == key)
        else {
            return Err(self.no_such_upload(call, key));
        };
        if bucket.objects.contains_key(key) {
            // 412: the upload stays open for the caller to abort.
            return Ok(PutOutcome::AlreadyExists);
        }
        // The client sends the parts in ascending order, as `S3Transfer` does.
        let mut named: Vec<&CompletedPart> = parts.iter().collect();
        named.sort_by_key(|part| part.part_number);
        if named.is_empty() {
            return Err(self.error(call, key, 400, "MalformedXML"));
        }
        let mut chosen = Vec::with_capacity(named.len());
        for part in &named {
            let stored = upload
                .parts
                .get(&part.part_number)
                .filter(|stored| stored.etag == part.etag)
                .filter(|stored| part.checksum.is_empty() || stored.checksum == part.checksum);
            let Some(stored) = stored else {
                return Err(self.error(call, key, 400, "InvalidPart"));
            };
            chosen.push(stored);
        }
        let (last, but_last) = chosen.split_last().expect("at least one part");
        if but_last
            .iter()
            .any(|part| len_of(&part.bytes) < MIN_PART_SIZE)
        {
            return Err(self.error(call, key, 400, "EntityTooSmall"));
        }
        let mut bytes = Vec::new();
        let mut md5s = Vec::new();
        for part in but_last.iter().chain([last]) {
            bytes.extend_from_slice(&part.bytes);
            md5s.extend_from_slice(Md5::digest(&part.bytes).as_slice());
        }
        let crc = crc64nvme(&bytes);
        if let Some(expected) = expected {
            if crc != expected.crc64nvme_base64 {
                return Err(self.error(call, key, 400, "BadDigest"));
            }
            if len_of(&bytes) != expected.size {
                return Err(self.error(call, key, 400, "InvalidRequest"));
            }
        }
        let object = StoredObject {
            etag: format!("\"{}-{}\"", hex::encode(Md5::digest(&md5s)), chosen.len()),
            crc64nvme_base64: crc,
            bytes,
            user_metadata: upload.user_metadata.clone(),
        };
        bucket.uploads.remove(upload_id);
        bucket.objects.insert(key.to_owned(), object);
        Ok(PutOutcome::Created)
    }

    async fn abort_multipart(&self, upload_id: &str, key: &str) -> Result<(), UploadError> {
        self.arrive(S3Call::AbortMultipartUpload, key, None)?;
        let mut bucket = lock(&self.bucket);
        if bucket
            .uploads
            .get(upload_id)
            .is_some_and(|upload| upload.key == key)
        {
            bucket.uploads.remove(upload_id);
        }
        // No such upload: already aborted or completed, which counts as aborted.
        Ok(())
    }
}

/// `len` bytes of `path` from `offset`, as a request body would carry them: a file that ends
/// early is [`UploadError::FileChanged`], a missing one [`UploadError::FileVanished`].
fn read_range(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, UploadError> {
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => UploadError::FileVanished {
            path: path.to_path_buf(),
        },
        _ => UploadError::ReadFile {
            path: path.to_path_buf(),
            source,
        },
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(len).read_to_end(&mut bytes).map_err(io)?;
    let found = offset + len_of(&bytes);
    if len_of(&bytes) < len {
        return Err(UploadError::FileChanged {
            path: path.to_path_buf(),
            needed: offset + len,
            found,
        });
    }
    Ok(bytes)
}

fn len_of(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).expect("in-memory objects are small")
}

/// Base64 of the big-endian CRC64/NVME, as in `x-amz-checksum-crc64nvme`.
#[must_use]
pub fn crc64nvme(bytes: &[u8]) -> String {
    let mut digest = crc64fast_nvme::Digest::new();
    digest.write(bytes);
    BASE64.encode(digest.sum64().to_be_bytes())
}

fn quoted_md5(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use sync_core::retry::{Classify as _, ErrorClass};

    use super::*;
    use crate::transfer_contract::check_transfer_contract;

    #[tokio::test]
    async fn keeps_the_transfer_contract() {
        let dir = tempfile::tempdir().expect("tempdir");
        check_transfer_contract(&MemoryTransfer::new("photos"), dir.path(), "contract/").await;
    }

    #[tokio::test]
    async fn refusals_are_the_typed_problems_s3_transfer_makes_of_the_same_replies() {
        let transfer = MemoryTransfer::new("photos");
        let cases = [
            (
                S3Call::UploadPart,
                Fault::EXPIRED_TOKEN,
                S3Problem::CredentialsExpired,
                ErrorClass::RefreshCredentials,
            ),
            (
                S3Call::UploadPart,
                Fault::INTERNAL_ERROR,
                S3Problem::ServerError,
                ErrorClass::Temporary,
            ),
            (
                S3Call::PutObject,
                Fault::ACCESS_DENIED,
                S3Problem::AccessDenied,
                ErrorClass::Permanent,
            ),
            (
                S3Call::HeadObject,
                Fault::EXPIRED_TOKEN,
                S3Problem::RefusedWithoutCode,
                ErrorClass::Temporary,
            ),
        ];
        for (call, fault, problem, class) in cases {
            let error = transfer.refusal(call, "k", fault);
            assert_eq!(error.problem(), Some(problem), "{call} {fault:?}");
            assert_eq!(error.class(), class, "{call} {fault:?}");
            assert_eq!(error.code(), problem.code(), "{call} {fault:?}");
        }
    }

    #[tokio::test]
    async fn expired_credentials_refuse_every_call_until_refreshed_or_for_good() {
        let transfer = MemoryTransfer::new("photos");
        let refresh = transfer.credential_refresh();
        transfer.expire_credentials(Expiry::UntilRefreshed);
        let refused = transfer.head("k").await.expect_err("expired");
        assert_eq!(
            refused.problem(),
            Some(S3Problem::RefusedWithoutCode),
            "a HEAD has no code"
        );
        let refused = transfer.list_parts("u", "k").await.expect_err("expired");
        assert_eq!(refused.problem(), Some(S3Problem::CredentialsExpired));
        refresh.refresh(Instant::now()).await;
        assert!(transfer.head("k").await.expect("refreshed").is_none());

        transfer.expire_credentials(Expiry::ForGood);
        refresh.refresh(Instant::now()).await;
        let refused = transfer
            .list_parts("u", "k")
            .await
            .expect_err("still refused");
        assert_eq!(refused.problem(), Some(S3Problem::CredentialsExpired));
        assert_eq!(transfer.refreshes(), 2);
    }

    #[tokio::test]
    async fn a_part_is_refused_for_an_upload_of_another_key_and_a_too_small_part_at_completion() {
        let dir = tempfile::tempdir().expect("tempdir");
        let photo = crate::photos::write_photo(dir.path(), "a.cr3", 2 * 1024 * 1024, 5);
        let meta = ObjectMeta {
            sha256: photo.sha256.parse().expect("hex"),
            original_name: "a.cr3".to_owned(),
            capture_time: None,
            source_host: "h".to_owned(),
            uploader: "u".to_owned(),
        };
        let transfer = MemoryTransfer::new("photos");
        let upload = transfer.create_multipart("a", &meta).await.expect("create");
        let elsewhere = transfer
            .put_part(&upload, "b", 1, &photo.path, 0, 1024)
            .await;
        assert_eq!(
            elsewhere.expect_err("another key").problem(),
            Some(S3Problem::UploadGone),
            "an upload id belongs to its key"
        );
        let first = transfer
            .put_part(&upload, "a", 1, &photo.path, 0, 1024 * 1024)
            .await
            .expect("part 1");
        let second = transfer
            .put_part(&upload, "a", 2, &photo.path, 1024 * 1024, 1024 * 1024)
            .await
            .expect("part 2");
        let refused = transfer
            .complete_multipart(&upload, "a", &[first, second], None)
            .await;
        assert_eq!(
            refused.expect_err("part 1 is under 5 MiB").problem(),
            Some(S3Problem::PartTooSmall)
        );
        assert_eq!(
            transfer
                .put_part(&upload, "a", 0, &photo.path, 0, 1)
                .await
                .expect_err("part 0")
                .code(),
            lightbox_types::FailureCode::UploadPartNumberOutOfRange
        );
    }
}
