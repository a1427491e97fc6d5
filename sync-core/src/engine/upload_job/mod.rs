//! One file's upload, from `Planned` (or a resumed `Uploading`) to a verified object.
//!
//! 1. **Check the file is still what was planned.** Its stat (size, mtime, file id) must equal
//!    the catalogued one. The fingerprint's CRC64/NVME, read in the same pass as its SHA-256
//!    and kept in the catalog, is what the server checks the upload against (`PutObject`, and
//!    `CompleteMultipartUpload` with a `FULL_OBJECT` checksum), so bytes that differ from the
//!    hashed ones are refused without the file being read again here. (Rows hashed before the
//!    catalog kept the CRC get one more streaming pass, [`ContentDigest`], as before.) A file
//!    that changed is left to the pipeline, which re-plans it; a multipart upload of the old
//!    content is aborted.
//! 2. **Upload.** Below the multipart threshold: `PutObject` (guarded against overwriting).
//!    Otherwise a multipart upload whose id is journalled before any part is sent, each part
//!    journalled in its own transaction as S3 accepts it.
//! 3. **Resume.** For an upload in the journal, `ListParts` is the server's truth: a journalled
//!    part is trusted only when the server lists it with the same ETag; every other part is sent
//!    again. An upload the server no longer knows is started over; if an earlier completion's
//!    reply was lost, the new upload's completion meets that object, which step 4 verifies.
//! 4. **Verify.** `HeadObject` must report the file's size and whole-object CRC64/NVME before
//!    the row becomes `Uploaded`. A key that already held this exact content counts as
//!    uploaded (a duplicate); one holding different content is never overwritten: the file
//!    fails with `upload_key_taken`.
//!
//! Every S3 call runs under the [`Retrier`]; what it gives up on becomes
//! `Catalog::record_failure` with the error's code and message, with a next attempt time from
//! the [`FileRetrySchedule`] for a failure of a retryable class and none for permanent ones (a
//! user's retry brings those back). The failure carries its [`S3Problem`] to the decisions
//! above it (resume, complete), typed.
//!
//! The job is written against the [`Transfer`] trait, not S3: the uploader runs it on
//! `S3Transfer`, and `lightbox-tests` runs [`upload_file`] on an in-memory transfer with S3's
//! semantics (`tests/tests/e2e/upload_job.rs`: resume, reconcile, complete and verify, table
//! tests with no server). So [`JobContext`], [`JobSettings`] and [`upload_file`] are public.

use std::collections::HashSet;
use std::future::Future;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::{Semaphore, broadcast};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::events::{EngineEvent, FileEvent, FilePhase};
use crate::catalog::CatalogHandle;
use crate::catalog::{CatalogError, FileId, FileRecord, MultipartUpload, UploadMethod};
use crate::ingest::fingerprint::CHUNK_SIZE;
use crate::ingest::{ContentDigest, ContentSums, stat_file};
use crate::retry::{
    ErrorClass, FileRetrySchedule, Retrier, RetryError, RetryPolicy, Setback, TokioClock,
};
use crate::upload::{
    ContentMatch, ExpectedContent, ObjectMeta, PartRange, PutOutcome, S3Problem, Transfer,
    UploadError, part_ranges, part_size_for,
};
use lightbox_types::{CompletedPart, FailureCode, FileState};

/// How jobs upload: as whom, from where, how many requests at once, and when in parts.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// The uploader identity written to object metadata.
    pub uploader: String,
    /// This machine's name, written to object metadata.
    pub source_host: String,
    /// Part and single-put requests in flight over all files, and parts of one file in flight
    /// (at least 1).
    pub max_requests_in_flight: usize,
    /// Files of at least this many bytes go up in parts.
    pub multipart_threshold: u64,
    /// Bytes per part; `None`: [`part_size_for`].
    pub part_size: Option<u64>,
    /// Every call's retries.
    pub retry: RetryPolicy,
}

/// What every job shares: the catalog, the transfer `T`, the retrier and the request limit.
pub struct JobContext<T: Transfer> {
    pub(crate) catalog: CatalogHandle,
    pub(crate) transfer: T,
    /// Refreshes the transfer's credentials after `ExpiredToken` (never fails a file for it).
    pub(crate) retrier: Retrier<TokioClock, T::Refresh>,
    /// When a failed file is due again.
    pub(crate) schedule: FileRetrySchedule,
    /// Part and single-put requests in flight, over all files.
    requests: Semaphore,
    /// Parts of one file in flight at most.
    parts_per_file: usize,
    pub(crate) events: broadcast::Sender<EngineEvent>,
    uploader: String,
    source_host: String,
    multipart_threshold: u64,
    part_size: Option<u64>,
}

impl<T: Transfer> JobContext<T> {
    /// Jobs on `catalog` through `transfer`, announcing their steps on `events`.
    pub fn new(
        catalog: CatalogHandle,
        transfer: T,
        events: broadcast::Sender<EngineEvent>,
        settings: JobSettings,
    ) -> Self {
        let in_flight = settings.max_requests_in_flight.max(1);
        Self {
            catalog,
            retrier: Retrier::new(settings.retry)
                .with_credential_refresh(transfer.credential_refresh()),
            schedule: FileRetrySchedule::default(),
            transfer,
            requests: Semaphore::new(in_flight),
            parts_per_file: in_flight,
            events,
            uploader: settings.uploader,
            source_host: settings.source_host,
            multipart_threshold: settings.multipart_threshold,
            part_size: settings.part_size,
        }
    }
}

/// How a job ended, for the uploader loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// The row moved on (done, skipped or failed): nothing more to do for now.
    Finished,
    /// The file changed or went away on disk: the pipeline re-plans it.
    Deferred,
    /// The credentials were still refused after their refreshes (an expired sign-in, an
    /// identity pool that stopped answering): the row stays as it is, the journal with it, and
    /// is tried again shortly. Never a failed file.
    AwaitingCredentials,
    /// The engine is stopping; the row resumes at the next start.
    Stopped,
}

/// Why a job did not finish.
#[derive(Debug)]
enum JobError {
    /// The file on disk is no longer the planned one.
    Changed,
    Stopped,
    /// See [`JobOutcome::AwaitingCredentials`]; the message says what to do.
    AwaitingCredentials(String),
    /// Recorded with `record_failure`.
    Fail(JobFailure),
    Catalog(CatalogError),
}

/// A failure to record, with what the decisions above need to know about it.
#[derive(Debug)]
struct JobFailure {
    code: FailureCode,
    message: String,
    /// What the server or the transport reported, when it was an S3 call that failed.
    problem: Option<S3Problem>,
    /// When the file is due again ([`FileRetrySchedule`]); `Permanent`: not by itself.
    class: ErrorClass,
}

impl JobError {
    /// A failure that is tried again later.
    fn temporary(code: FailureCode, message: String) -> Self {
        Self::Fail(JobFailure {
            code,
            message,
            problem: None,
            class: ErrorClass::Temporary,
        })
    }

    /// A failure that waits for a person.
    fn permanent(code: FailureCode, message: String) -> Self {
        Self::Fail(JobFailure {
            code,
            message,
            problem: None,
            class: ErrorClass::Permanent,
        })
    }

    /// The S3 problem behind a failure, if an S3 call failed.
    fn problem(&self) -> Option<S3Problem> {
        match self {
            Self::Fail(failure) => failure.problem,
            _ => None,
        }
    }
}

impl From<CatalogError> for JobError {
    fn from(e: CatalogError) -> Self {
        JobError::Catalog(e)
    }
}

impl From<RetryError<UploadError>> for JobError {
    fn from(e: RetryError<UploadError>) -> Self {
        match &e.last {
            UploadError::FileVanished { .. } | UploadError::FileChanged { .. } => JobError::Changed,
            _ if e.class() == ErrorClass::RefreshCredentials => {
                JobError::AwaitingCredentials(e.to_string())
            }
            last => JobError::Fail(JobFailure {
                code: last.code(),
                problem: last.problem(),
                class: e.class(),
                message: e.to_string(),
            }),
        }
    }
}

/// Upload `record`'s file; every outcome is in the catalog and on the bus when this returns.
pub async fn upload_file<T: Transfer>(
    ctx: Arc<JobContext<T>>,
    record: FileRecord,
    cancel: CancellationToken,
) -> (FileId, JobOutcome) {
    let file = record.id;
    let mut job = Job {
        ctx,
        record,
        path: PathBuf::new(),
        cancel,
    };
    let outcome = match job.run().await {
        Ok(()) => JobOutcome::Finished,
        Err(JobError::Stopped) => JobOutcome::Stopped,
        Err(JobError::AwaitingCredentials(message)) => {
            tracing::warn!(
                path = %job.path.display(),
                code = FailureCode::UploadCredentialsExpired.as_str(),
                "{message}; the upload waits and is tried again shortly (sign in again if this \
                 lasts)"
            );
            JobOutcome::AwaitingCredentials
        }
        Err(JobError::Changed) => {
            job.abandon_upload().await;
            JobOutcome::Deferred
        }
        Err(JobError::Catalog(e)) => {
            // Usually the pipeline moved the row meanwhile (the file changed): its state wins.
            // Anything else (disk full, I/O error) is worth a warning.
            if e.is_row_moved_on() {
                tracing::debug!(file = %file, error = %e, "upload step not recorded");
            } else {
                tracing::warn!(file = %file, code = e.code().as_str(), "upload step not recorded: {e}");
            }
            JobOutcome::Deferred
        }
        Err(JobError::Fail(failure)) => {
            job.fail(&failure).await;
            JobOutcome::Finished
        }
    };
    (file, outcome)
}

struct Job<T: Transfer> {
    ctx: Arc<JobContext<T>>,
    record: FileRecord,
    path: PathBuf,
    cancel: CancellationToken,
}

impl<T: Transfer> Job<T> {
    async fn run(&mut self) -> Result<(), JobError> {
        let file = self.record.id;
        let (Some(key), Some(sha256)) = (self.record.planned_key.clone(), self.record.sha256)
        else {
            return Err(JobError::permanent(
                FailureCode::UploadNotPlanned,
                "the file has no key or hash in the catalog; Lightbox reads it again when it \
                 changes (or retry it)"
                    .to_owned(),
            ));
        };
        let folder_id = self.record.folder;
        let folder = self
            .ctx
            .catalog
            .run(move |c| c.get_folder(folder_id))
            .await?;
        let Some(folder) = folder else {
            return Err(JobError::Changed); // the folder was removed meanwhile
        };
        self.path = folder.path.join(self.record.rel_path.to_path_buf());

        // 1. Still the planned file?
        match stat_file(&self.path) {
            Ok(Some(stat)) if stat == self.record.stat => {}
            Ok(_) => return Err(JobError::Changed),
            Err(e) => return Err(read_failure(&self.path, &e)),
        }
        let expected = match &self.record.crc64nvme {
            // The fingerprint's CRC64/NVME: the server refuses any other bytes, so the file is
            // not read again here (one read for the fingerprint, one for the upload).
            Some(crc) => ExpectedContent {
                size: self.record.stat.size,
                crc64nvme_base64: crc.clone(),
            },
            // A row hashed before the catalog kept the CRC: read the file once more for it.
            None => {
                let sums = digest(self.path.clone(), self.cancel.clone()).await?;
                if sums.sha256 != sha256 || sums.size != self.record.stat.size {
                    return Err(JobError::Changed);
                }
                ExpectedContent::from(&sums)
            }
        };
        let meta = ObjectMeta {
            sha256,
            original_name: self
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            capture_time: self.record.capture_time.as_ref().map(ToString::to_string),
            source_host: self.ctx.source_host.clone(),
            uploader: self.ctx.uploader.clone(),
        };

        // 2. Upload, 3. resume.
        let size = expected.size;
        if self.record.multipart.is_none() && size < self.ctx.multipart_threshold {
            self.single_put(&key, &meta, &expected).await
        } else {
            let part_size = self.record.multipart.as_ref().map_or_else(
                || self.ctx.part_size.unwrap_or(part_size_for(size)),
                |m| m.part_size,
            );
            tracing::debug!(%file, parts = size.div_ceil(part_size), "multipart upload");
            self.multipart(&key, &meta, &expected, part_size).await
        }
    }

    async fn single_put(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
    ) -> Result<(), JobError> {
        if self.record.state == FileState::Planned {
            let file = self.record.id;
            self.ctx
                .catalog
                .run(move |c| c.mark_uploading(file, &UploadMethod::SinglePut, Timestamp::now()))
                .await?;
        }
        self.emit_progress(0, 1, 0, expected.size);
        let outcome = {
            let _permit = self.permit().await?;
            let (ctx, path) = (&self.ctx, &self.path);
            self.cancellable(
                ctx.retrier
                    .run(|_| ctx.transfer.put_small(path, key, meta, expected)),
            )
            .await?
        };
        self.emit_progress(1, 1, expected.size, expected.size);
        self.verify(key, meta, expected, outcome == PutOutcome::AlreadyExists)
            .await
    }

    async fn multipart(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        part_size: u64,
    ) -> Result<(), JobError> {
        let file = self.record.id;
        let mut resumed = Vec::new();
        let upload = match self.record.multipart.clone() {
            Some(upload) => match self.reconcile(key, &upload).await? {
                Some(trusted) => {
                    resumed = trusted;
                    Some(upload)
                }
                None => None,
            },
            None => None,
        };
        let upload = match upload {
            Some(upload) => upload,
            None => {
                let (ctx, cancel) = (&self.ctx, &self.cancel);
                let upload_id = cancellable(
                    cancel,
                    ctx.retrier
                        .run(|_| ctx.transfer.create_multipart(key, meta)),
                )
                .await?;
                let method = UploadMethod::multipart(upload_id.clone(), part_size);
                self.ctx
                    .catalog
                    .run(move |c| c.mark_uploading(file, &method, Timestamp::now()))
                    .await?;
                MultipartUpload {
                    upload_id,
                    part_size,
                }
            }
        };
        // The upload in flight, so that a file that changes under it gets it aborted
        // (`abandon_upload`), a new one as well as a resumed one.
        self.record.multipart = Some(upload.clone());
        self.send_parts(key, &upload, expected, &resumed).await?;
        self.complete(key, meta, expected, &upload).await
    }

    /// Which journalled parts of `upload` the server still has (same number, same ETag).
    /// `None` when the server no longer knows the upload: the row is back in `Planned` and a
    /// new upload starts (if the old one had completed, its completion meets the object and
    /// verifies it as a duplicate).
    async fn reconcile(
        &mut self,
        key: &str,
        upload: &MultipartUpload,
    ) -> Result<Option<Vec<CompletedPart>>, JobError> {
        let file = self.record.id;
        let journal = self.ctx.catalog.run(move |c| c.parts(file)).await?;
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let listed = cancellable(
            cancel,
            ctx.retrier
                .run(|_| ctx.transfer.list_parts(&upload.upload_id, key)),
        )
        .await;
        match listed {
            Ok(server) => {
                let trusted: Vec<CompletedPart> = journal
                    .into_iter()
                    .filter(|part| {
                        server
                            .iter()
                            .any(|s| s.part_number == part.part_number && s.etag == part.etag)
                    })
                    .collect();
                tracing::info!(
                    %file, journalled = trusted.len(), on_server = server.len(),
                    "resuming multipart upload"
                );
                Ok(Some(trusted))
            }
            Err(e) if e.problem() == Some(S3Problem::UploadGone) => {
                // Completed by an earlier run whose reply was lost, or aborted/expired.
                self.ctx
                    .catalog
                    .run(move |c| c.clear_upload(file, Timestamp::now()))
                    .await?;
                self.record.state = FileState::Planned;
                self.record.multipart = None;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Send every part of `upload` not in `resumed`, up to the per-file and global limits,
    /// journalling each as S3 accepts it.
    async fn send_parts(
        &self,
        key: &str,
        upload: &MultipartUpload,
        expected: &ExpectedContent,
        resumed: &[CompletedPart],
    ) -> Result<(), JobError> {
        let ranges: Vec<PartRange> = part_ranges(expected.size, upload.part_size).collect();
        let parts = u16::try_from(ranges.len()).unwrap_or(u16::MAX);
        let done: HashSet<u16> = resumed.iter().map(|p| p.part_number).collect();
        let mut bytes_sent: u64 = resumed.iter().map(|p| p.size).sum();
        self.emit_progress(0, parts, bytes_sent, expected.size);
        let mut missing = ranges
            .into_iter()
            .filter(|r| !done.contains(&r.part_number));
        let stop_parts = self.cancel.child_token();
        let mut sending = JoinSet::new();
        let mut first_error = None;
        loop {
            while sending.len() < self.ctx.parts_per_file && !stop_parts.is_cancelled() {
                let Some(range) = missing.next() else { break };
                sending.spawn(send_part(
                    Arc::clone(&self.ctx),
                    self.record.id,
                    upload.upload_id.clone(),
                    key.to_owned(),
                    self.path.clone(),
                    range,
                    stop_parts.clone(),
                ));
            }
            let Some(sent) = sending.join_next().await else {
                break;
            };
            match sent {
                Ok(Ok(part)) => {
                    bytes_sent += part.size;
                    self.emit_progress(part.part_number, parts, bytes_sent, expected.size);
                }
                Ok(Err(e)) => {
                    stop_parts.cancel();
                    if !matches!(first_error, Some(JobError::Fail(_))) {
                        first_error = Some(e);
                    }
                }
                Err(join) => {
                    stop_parts.cancel();
                    first_error.get_or_insert(JobError::temporary(
                        FailureCode::UploadPartPanicked,
                        format!("a part upload failed unexpectedly ({join}); Lightbox retries"),
                    ));
                }
            }
        }
        if self.cancel.is_cancelled() {
            return Err(JobError::Stopped);
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn complete(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        upload: &MultipartUpload,
    ) -> Result<(), JobError> {
        let file = self.record.id;
        let parts = self.ctx.catalog.run(move |c| c.parts(file)).await?;
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let completed = cancellable(
            cancel,
            ctx.retrier.run(|_| {
                ctx.transfer
                    .complete_multipart(&upload.upload_id, key, &parts, Some(expected))
            }),
        )
        .await;
        match completed {
            Ok(PutOutcome::Created) => self.verify(key, meta, expected, false).await,
            Ok(PutOutcome::AlreadyExists) => {
                self.abort(&upload.upload_id, key).await;
                let verified = self.verify(key, meta, expected, true).await;
                if verified.is_err() {
                    // Nothing to resume: a retry starts over (and meets the same object).
                    self.ctx
                        .catalog
                        .run(move |c| c.clear_upload(file, Timestamp::now()))
                        .await?;
                }
                verified
            }
            // Completed by an earlier attempt whose reply was lost? HEAD decides.
            Err(e) if e.problem() == Some(S3Problem::UploadGone) => {
                let verified = self.verify(key, meta, expected, false).await;
                if verified.is_err() {
                    self.ctx
                        .catalog
                        .run(move |c| c.clear_upload(file, Timestamp::now()))
                        .await?;
                }
                verified
            }
            // The parts do not add up to the file: start over with a fresh upload.
            Err(e) if e.problem() == Some(S3Problem::ContentMismatch) => {
                self.abort(&upload.upload_id, key).await;
                self.ctx
                    .catalog
                    .run(move |c| c.clear_upload(file, Timestamp::now()))
                    .await?;
                Err(e)
            }
            // A part the journal names is missing: the resume's ListParts sorts it out.
            Err(JobError::Fail(failure)) if failure.problem == Some(S3Problem::InvalidPart) => {
                Err(JobError::Fail(JobFailure {
                    class: ErrorClass::Temporary,
                    ..failure
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// `HeadObject` must show the file's size and CRC64/NVME; then `Uploading → Uploaded`. The
    /// previewer takes the row on to `Done` (DESIGN.md, data flow step 6).
    async fn verify(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        existed: bool,
    ) -> Result<(), JobError> {
        self.emit(FilePhase::Verifying {
            key: key.to_owned(),
        });
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let facts = cancellable(cancel, ctx.retrier.run(|_| ctx.transfer.head(key))).await?;
        let bucket = self.ctx.transfer.bucket();
        let Some(facts) = facts else {
            return Err(JobError::temporary(
                FailureCode::UploadObjectMissing,
                format!(
                    "s3://{bucket}/{key} was not there after the upload; Lightbox uploads it again"
                ),
            ));
        };
        let same_sha = facts.meta.as_ref().is_some_and(|m| m.sha256 == meta.sha256);
        match facts.compare(expected) {
            ContentMatch::Verified => {}
            ContentMatch::NoChecksum if same_sha && facts.size == expected.size => {}
            ContentMatch::Different { reason } if existed || !same_sha => {
                return Err(JobError::permanent(
                    FailureCode::UploadKeyTaken,
                    format!(
                        "s3://{bucket}/{key} already holds a different file ({reason}); \
                         Lightbox never overwrites it: rename the local file to upload it \
                         under another name, or ask an admin to check that object"
                    ),
                ));
            }
            ContentMatch::Different { reason } => {
                return Err(JobError::temporary(
                    FailureCode::UploadVerifyFailed,
                    format!(
                        "s3://{bucket}/{key} does not match the file after the upload \
                         ({reason}); Lightbox uploads it again"
                    ),
                ));
            }
            ContentMatch::NoChecksum => {
                return Err(JobError::permanent(
                    FailureCode::UploadKeyTaken,
                    format!(
                        "s3://{bucket}/{key} already exists without a checksum Lightbox can \
                         verify, so it is not overwritten: rename the local file to upload it \
                         under another name, or ask an admin to check that object"
                    ),
                ));
            }
        }
        let file = self.record.id;
        self.ctx
            .catalog
            .run(move |c| c.mark_uploaded(file, Timestamp::now()))
            .await?;
        self.record.state = FileState::Uploaded;
        tracing::info!(path = %self.path.display(), key, duplicate = existed, "uploaded");
        self.emit(FilePhase::Uploaded {
            key: key.to_owned(),
            duplicate: existed,
        });
        Ok(())
    }

    /// The file changed: abort the multipart upload of the old content, if any (the pipeline
    /// clears the journal when it re-observes the file).
    async fn abandon_upload(&self) {
        if let (Some(upload), Some(key)) = (&self.record.multipart, &self.record.planned_key) {
            self.abort(&upload.upload_id, key).await;
        }
    }

    async fn abort(&self, upload_id: &str, key: &str) {
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let aborted = cancellable(
            cancel,
            ctx.retrier
                .run(|_| ctx.transfer.abort_multipart(upload_id, key)),
        )
        .await;
        if let Err(e) = aborted {
            // The bucket's abort-incomplete-multipart rule cleans it up eventually.
            tracing::warn!(key, upload_id, error = ?e, "could not abort a multipart upload");
        }
    }

    async fn fail(&self, failure: &JobFailure) {
        let JobFailure {
            code,
            message,
            class,
            ..
        } = failure;
        let now = Timestamp::now();
        // This failure is the file's `attempts + 1`-th in a row.
        let next = self.ctx.schedule.next_attempt_at(
            Setback::Failed(*class),
            self.record.attempts.saturating_add(1),
            now,
            &mut rand::rng(),
        );
        tracing::warn!(path = %self.path.display(), code = code.as_str(), message, "upload failed");
        let file = self.record.id;
        if let Err(e) = self
            .ctx
            .catalog
            .run({
                let (code, message) = (*code, message.clone());
                move |c| c.record_failure(file, code, &message, next, now)
            })
            .await
        {
            tracing::error!(path = %self.path.display(), error = %e, "cannot record the failure");
        }
        self.emit(FilePhase::Failed {
            code: *code,
            message: message.clone(),
        });
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, JobError> {
        tokio::select! {
            permit = self.ctx.requests.acquire() => permit.map_err(|_| JobError::Stopped),
            () = self.cancel.cancelled() => Err(JobError::Stopped),
        }
    }

    async fn cancellable<V>(
        &self,
        call: impl Future<Output = Result<V, RetryError<UploadError>>>,
    ) -> Result<V, JobError> {
        cancellable(&self.cancel, call).await
    }

    fn emit_progress(&self, part: u16, parts: u16, bytes_sent: u64, bytes_total: u64) {
        self.emit(FilePhase::Uploading {
            part,
            parts,
            bytes_sent,
            bytes_total,
        });
    }

    fn emit(&self, phase: FilePhase) {
        emit(&self.ctx.events, self.record.id, &self.path, phase);
    }
}

/// One part: wait for a request slot, send it under the retrier, journal it.
async fn send_part<T: Transfer>(
    ctx: Arc<JobContext<T>>,
    file: FileId,
    upload_id: String,
    key: String,
    path: PathBuf,
    range: PartRange,
    cancel: CancellationToken,
) -> Result<CompletedPart, JobError> {
    let _permit = tokio::select! {
        permit = ctx.requests.acquire() => permit.map_err(|_| JobError::Stopped)?,
        () = cancel.cancelled() => return Err(JobError::Stopped),
    };
    let part = cancellable(
        &cancel,
        ctx.retrier.run(|_| {
            ctx.transfer.put_part(
                &upload_id,
                &key,
                range.part_number,
                &path,
                range.offset,
                range.len,
            )
        }),
    )
    .await?;
    let journalled = part.clone();
    ctx.catalog
        .run(move |c| c.record_part(file, &upload_id, &journalled, Timestamp::now()))
        .await?;
    Ok(part)
}

/// `call`, abandoned (as [`JobError::Stopped`]) when `cancel` fires first.
async fn cancellable<T>(
    cancel: &CancellationToken,
    call: impl Future<Output = Result<T, RetryError<UploadError>>>,
) -> Result<T, JobError> {
    tokio::select! {
        result = call => result.map_err(JobError::from),
        () = cancel.cancelled() => Err(JobError::Stopped),
    }
}

/// One streaming pass over `path`: its SHA-256 and CRC64/NVME (on a blocking thread, which
/// stops between chunks when `cancel` fires).
async fn digest(path: PathBuf, cancel: CancellationToken) -> Result<ContentSums, JobError> {
    let reading = tokio::task::spawn_blocking(move || -> Result<ContentSums, JobError> {
        let mut file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(JobError::Changed),
            Err(e) => return Err(read_failure(&path, &e)),
        };
        let mut digest = ContentDigest::new();
        let mut buffer = vec![0_u8; CHUNK_SIZE];
        loop {
            if cancel.is_cancelled() {
                return Err(JobError::Stopped);
            }
            match file.read(&mut buffer) {
                Ok(0) => return Ok(digest.finish()),
                Ok(n) => digest.update(&buffer[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_failure(&path, &e)),
            }
        }
    });
    reading.await.unwrap_or_else(|join| {
        Err(JobError::temporary(
            FailureCode::UploadReadFile,
            format!("reading the file failed unexpectedly ({join}); Lightbox retries"),
        ))
    })
}

fn read_failure(path: &Path, e: &std::io::Error) -> JobError {
    JobError::temporary(
        FailureCode::UploadReadFile,
        format!(
            "{} could not be read for upload ({e}); check the disk or network share, \
             Lightbox will retry",
            path.display()
        ),
    )
}

pub(super) fn emit(
    events: &broadcast::Sender<EngineEvent>,
    file: FileId,
    path: &Path,
    phase: FilePhase,
) {
    let event = EngineEvent::File(FileEvent {
        file: file.get(),
        path: path.display().to_string(),
        phase,
    });
    // An error only means nobody is subscribed right now; the catalog has the state.
    if events.send(event).is_err() {
        tracing::trace!("upload event with no subscriber");
    }
}
