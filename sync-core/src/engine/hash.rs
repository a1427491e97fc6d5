//! The hash driver (DESIGN.md, data flow step 3): `Ready` files are read once on blocking
//! threads, a few at a time, for their SHA-256, CRC64/NVME and EXIF facts
//! ([`fingerprint_file`], pure apart from the read), and the fingerprint is recorded (`Hashed`).
//!
//! The queue is fed by the settle driver (and, at start, by the rows a previous run left
//! `Ready`); what a finished read leads to ([`Hashed`]) the pipeline hands to the next driver.
//! Unlike the uploader and the previewer, whose queue is the catalog, this one's queue is in
//! memory, so it does not use the [`super::job_runner`].

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use jiff::Timestamp;
use tokio::task::{JoinError, JoinSet};

use super::events::FilePhase;
use super::recorder::Recorder;
use crate::catalog::{CatalogHandle, FileId, FolderId};
use crate::ingest::{Fingerprint, FingerprintError, FingerprintOptions, fingerprint_file};
use crate::retry::ErrorClass;
use lightbox_types::{CaptureTime, Sha256Digest};

/// A file on its way from the settle driver to the fingerprinter.
#[derive(Debug, Clone)]
pub(crate) struct HashJob {
    pub file: FileId,
    pub folder: FolderId,
    pub path: PathBuf,
    pub expected_size: u64,
}

type HashResult = (HashJob, Result<Fingerprint, FingerprintError>);

/// Where a finished read sends the file next.
#[derive(Debug)]
pub(crate) enum Hashed {
    /// Recorded as `Hashed`: the plan driver decides its key.
    Recorded {
        file: FileId,
        path: PathBuf,
        sha: Sha256Digest,
        captured: Option<CaptureTime>,
    },
    /// Gone from disk: the settle driver drops it.
    Vanished { file: FileId, path: PathBuf },
    /// Still being written: the detect driver looks at it again (back to settling).
    Changed(HashJob),
}

pub(crate) struct HashDriver {
    catalog: CatalogHandle,
    queue: VecDeque<HashJob>,
    /// Files whose fingerprint could not be saved (disk full), hashed again when due.
    deferred: Vec<(Instant, HashJob)>,
    running: JoinSet<HashResult>,
    workers: usize,
    /// Tells fingerprint jobs on blocking threads to stop between chunks.
    cancel: Arc<AtomicBool>,
    recorder: Recorder,
}

impl HashDriver {
    pub(crate) fn new(catalog: CatalogHandle, workers: usize, recorder: Recorder) -> Self {
        Self {
            catalog,
            queue: VecDeque::new(),
            deferred: Vec::new(),
            running: JoinSet::new(),
            workers: workers.max(1),
            cancel: Arc::new(AtomicBool::new(false)),
            recorder,
        }
    }

    /// Queue `jobs` (started by [`HashDriver::start`]).
    pub(crate) fn queue(&mut self, jobs: impl IntoIterator<Item = HashJob>) {
        self.queue.extend(jobs);
    }

    /// Queue the deferred files whose time has come.
    pub(crate) fn release_due(&mut self, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.deferred = later;
        self.queue.extend(due.into_iter().map(|(_, job)| job));
    }

    /// When the next deferred file is due.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.deferred.iter().map(|(at, _)| *at).min()
    }

    /// Drop the queued files of `folder` (no longer watched).
    pub(crate) fn drop_folder(&mut self, folder: FolderId) {
        self.queue.retain(|job| job.folder != folder);
    }

    /// Start reads while workers are free.
    pub(crate) fn start(&mut self) {
        while self.running.len() < self.workers {
            let Some(job) = self.queue.pop_front() else {
                break;
            };
            self.recorder
                .emit_file(job.file, &job.path, FilePhase::Hashing);
            let cancel = Arc::clone(&self.cancel);
            self.running.spawn_blocking(move || {
                let cancelled = || cancel.load(Ordering::Relaxed);
                let options = FingerprintOptions {
                    expected_size: Some(job.expected_size),
                    cancelled: Some(&cancelled),
                    ..FingerprintOptions::default()
                };
                let result = fingerprint_file(&job.path, &options);
                (job, result)
            });
        }
    }

    pub(crate) fn is_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// The next read to finish (`None` when none runs).
    pub(crate) async fn join_next(&mut self) -> Option<Result<HashResult, JoinError>> {
        self.running.join_next().await
    }

    /// Record a finished read; returns where the file goes next (`None`: nowhere now, it failed,
    /// was deferred or cancelled).
    pub(crate) async fn on_done(&mut self, done: Result<HashResult, JoinError>) -> Option<Hashed> {
        let (job, result) = match done {
            Ok(done) => done,
            Err(e) => {
                tracing::error!(error = %e, "a fingerprint job panicked");
                return None;
            }
        };
        let now = Timestamp::now();
        match result {
            Ok(fingerprint) => {
                let sha = fingerprint.sha256;
                let captured = fingerprint.exif.captured;
                let (file, crc) = (job.file, fingerprint.crc64nvme_base64);
                let recorded = self
                    .catalog
                    .run(move |c| {
                        c.record_fingerprint(file, sha, Some(&crc), captured.as_ref(), now)
                    })
                    .await;
                match recorded {
                    Ok(()) => {
                        return Some(Hashed::Recorded {
                            file: job.file,
                            path: job.path,
                            sha,
                            captured,
                        });
                    }
                    // Changed or vanished while it was read: the newer state wins.
                    Err(e) if e.is_row_moved_on() => {
                        tracing::debug!(path = %job.path.display(), error = %e, "fingerprint discarded");
                    }
                    // The row stays `ready`: hash it again a little later.
                    Err(e) => {
                        let wait = self.recorder.catalog_wait();
                        tracing::warn!(
                            path = %job.path.display(),
                            code = e.code().as_str(),
                            "fingerprint not saved: {e}; hashing it again in {wait:?}"
                        );
                        self.deferred.push((Instant::now() + wait, job));
                    }
                }
            }
            Err(FingerprintError::Cancelled { .. }) => {}
            Err(FingerprintError::Vanished { .. }) => {
                return Some(Hashed::Vanished {
                    file: job.file,
                    path: job.path,
                });
            }
            Err(FingerprintError::Changed { .. }) => return Some(Hashed::Changed(job)),
            Err(e) => {
                let class = if e.is_temporary() {
                    ErrorClass::Temporary
                } else {
                    ErrorClass::Permanent
                };
                let retry_at = self.recorder.retry_at(class, now);
                self.recorder
                    .fail(job.file, &job.path, e.code(), &e.to_string(), retry_at)
                    .await;
            }
        }
        None
    }

    /// Stop: reads stop between chunks; their rows stay `Ready` and are hashed again at the
    /// next start.
    pub(crate) async fn stop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        while self.running.join_next().await.is_some() {}
    }
}
