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
//!
//! This file holds the job and its first steps; the multipart upload (start or reconcile, the
//! parts, the completion) is in `multipart.rs`, the verification in `verify.rs`.

mod multipart;
mod verify;

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
