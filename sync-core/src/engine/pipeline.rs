//! The ingest pipeline: one task that takes watcher signals and scan results,
//! settles files, fingerprints them on blocking threads and plans their keys.
//! Every step is one catalog transaction, so after a crash
//! [`Catalog::unfinished_files`] says where to carry on.
//!
//! Decisions are made by the pure parts ([`crate::ingest`], [`crate::plan`]); this
//! module does the I/O around them: stat, open, read, catalog, clock.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::EngineError;
use super::events::{EngineEvent, FileEvent, FilePhase};
use super::scan::{ScanError, ScanReport, scan_folder};
use super::settle_queue::{SettleQueue, Settling};
use super::watcher::{FolderWatcher, WatchSignal};
use crate::catalog::CatalogHandle;
use crate::catalog::{
    CatalogError, FileId, FolderId, ObserveOutcome, RelPath, ResumeStep, WatchedFolder,
};
use crate::ingest::{
    Filter, Fingerprint, FingerprintError, FingerprintOptions, SettleError, SettleStatus, Settler,
    fingerprint_file, probe_open, stat_file,
};
use crate::plan::{Decision, KeyFacts, KeyPlanner, resolve_key};
use crate::retry::{ErrorClass, FileRetrySchedule, Setback};
use lightbox_types::CaptureTime;
use lightbox_types::FileStat;
use lightbox_types::Sha256Digest;
use lightbox_types::{FailureCode, SkipReason};

/// The shortest time between two looks at the same settling file.
const MIN_LOOK_GAP: Duration = Duration::from_millis(10);

/// Requests to the pipeline from the engine handle.
#[derive(Debug)]
pub(crate) enum Command {
    AddFolder {
        path: PathBuf,
        reply: oneshot::Sender<Result<FolderId, EngineError>>,
    },
    RemoveFolder {
        path: PathBuf,
        reply: oneshot::Sender<Result<bool, EngineError>>,
    },
    /// Queue one file now (`lightbox push`): see [`Pipeline::add_file`].
    AddFile {
        path: PathBuf,
        reply: oneshot::Sender<Result<bool, EngineError>>,
    },
    Rescan,
}

/// A file on its way from the settler to the fingerprinter.
#[derive(Debug, Clone)]
struct HashJob {
    file: FileId,
    folder: FolderId,
    path: PathBuf,
    expected_size: u64,
}

type HashResult = (HashJob, Result<Fingerprint, FingerprintError>);

pub(crate) struct Pipeline {
    catalog: CatalogHandle,
    filter: Filter,
    planner: KeyPlanner,
    settler: Settler,
    /// Files waiting to settle, and when the next one is due.
    settling: SettleQueue,
    /// The quiet window for an empty file (which never settles): after it, the file
    /// is reported as empty instead of waiting for ever.
    empty_window: Duration,
    folders: Vec<WatchedFolder>,
    watcher: FolderWatcher,
    hash_queue: VecDeque<HashJob>,
    /// Files whose fingerprint could not be saved (disk full), hashed again when due.
    deferred_hashes: Vec<(Instant, HashJob)>,
    hashing: JoinSet<HashResult>,
    hash_workers: usize,
    /// Tells fingerprint jobs on blocking threads to stop between chunks.
    hash_cancel: Arc<AtomicBool>,
    events: broadcast::Sender<EngineEvent>,
    rescan_interval: Duration,
    /// When a file held back here (a failed read, an unwritable catalog) is due again. The
    /// pipeline does not count a file's setbacks in a row: each waits the first step.
    schedule: FileRetrySchedule,
}

pub(crate) struct PipelineParts {
    pub catalog: CatalogHandle,
    pub filter: Filter,
    pub planner: KeyPlanner,
    pub settler: Settler,
    pub empty_window: Duration,
    pub watcher: FolderWatcher,
    pub hash_workers: usize,
    pub events: broadcast::Sender<EngineEvent>,
    pub rescan_interval: Duration,
}

impl Pipeline {
    pub(crate) fn new(parts: PipelineParts) -> Self {
        Self {
            catalog: parts.catalog,
            filter: parts.filter,
            planner: parts.planner,
            settler: parts.settler,
            settling: SettleQueue::default(),
            empty_window: parts.empty_window,
            folders: Vec::new(),
            watcher: parts.watcher,
            hash_queue: VecDeque::new(),
            deferred_hashes: Vec::new(),
            hashing: JoinSet::new(),
            hash_workers: parts.hash_workers.max(1),
            hash_cancel: Arc::new(AtomicBool::new(false)),
            events: parts.events,
            rescan_interval: parts.rescan_interval,
            schedule: FileRetrySchedule::default(),
        }
    }

    /// How long a step the catalog could not record waits before it is tried again.
    fn catalog_wait(&self) -> Duration {
        let wait = self
            .schedule
            .delay(Setback::CatalogUnwritable, 1, &mut rand::rng());
        wait.unwrap_or(MIN_LOOK_GAP)
    }

    /// When a file that failed with `class` at `now` is due again.
    fn retry_at(&self, class: ErrorClass, now: Timestamp) -> Option<Timestamp> {
        self.schedule
            .next_attempt_at(Setback::Failed(class), 1, now, &mut rand::rng())
    }

    pub(crate) async fn run(
        mut self,
        mut signals: mpsc::UnboundedReceiver<WatchSignal>,
        mut commands: mpsc::Receiver<Command>,
        cancel: CancellationToken,
    ) {
        self.start_up().await;
        let first_rescan = tokio::time::Instant::now() + self.rescan_interval;
        let mut rescan = tokio::time::interval_at(first_rescan, self.rescan_interval);
        loop {
            self.start_hashing();
            // Wake when the next settle window ends (or a deferred hash is due), not on a tick:
            // a settled file is looked at when its window ends.
            let wake = self.next_wake();
            let due = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now).into());
            tokio::select! {
                () = cancel.cancelled() => break,
                Some(signal) = signals.recv() => self.on_signal(signal).await,
                Some(command) = commands.recv() => self.on_command(command).await,
                () = due, if wake.is_some() => self.settle_due().await,
                _ = rescan.tick() => self.scan_all().await,
                Some(done) = self.hashing.join_next(), if !self.hashing.is_empty() => {
                    match done {
                        Ok(result) => self.on_hashed(result).await,
                        Err(e) => tracing::error!(error = %e, "a fingerprint job panicked"),
                    }
                }
            }
        }
        // Stop: fingerprint jobs stop between chunks; their rows stay `Ready` and are
        // hashed again at the next start.
        self.hash_cancel.store(true, Ordering::Relaxed);
        while self.hashing.join_next().await.is_some() {}
    }

    async fn start_up(&mut self) {
        let folders = self.catalog.run(|c| c.list_folders()).await;
        match folders {
            Ok(folders) => {
                for folder in folders.into_iter().filter(|f| f.enabled) {
                    self.watch(&folder);
                    self.folders.push(folder);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the watched folders"),
        }
        self.scan_all().await;
        self.resume().await;
    }

    /// Pick up rows a previous run left half-way (DESIGN: each step is one transaction).
    async fn resume(&mut self) {
        let unfinished = match self.catalog.run(|c| c.unfinished_files()).await {
            Ok(unfinished) => unfinished,
            Err(e) => return tracing::error!(error = %e, "cannot read unfinished files"),
        };
        for item in unfinished {
            let record = item.record;
            let Some(path) = self.absolute(record.folder, &record.rel_path) else {
                continue;
            };
            match item.next_step {
                ResumeStep::Settle => self.track(record.id, record.folder, path),
                ResumeStep::Hash => self.hash_queue.push_back(HashJob {
                    file: record.id,
                    folder: record.folder,
                    path,
                    expected_size: record.stat.size,
                }),
                ResumeStep::Plan => {
                    if let Some(sha) = record.sha256 {
                        self.plan(record.id, &path, sha, record.capture_time.as_ref())
                            .await;
                    }
                }
                // Upload and preview steps belong to the uploader.
                _ => {}
            }
        }
    }

    fn watch(&mut self, folder: &WatchedFolder) {
        if let Err(e) = self.watcher.watch(&folder.path) {
            tracing::warn!(error = %e, "watching failed; the periodic scan still finds new files");
            self.emit(EngineEvent::FolderUnavailable {
                folder: folder.path.display().to_string(),
                reason: e.to_string(),
            });
        }
    }

    async fn scan_all(&mut self) {
        for folder in self.folders.clone() {
            self.scan(&folder).await;
        }
    }

    async fn scan(&mut self, folder: &WatchedFolder) {
        let catalog = self.catalog.clone();
        let filter = self.filter.clone();
        let scanned = folder.clone();
        // The walk runs on a blocking thread and commits in batches (see `scan`).
        let result = tokio::task::spawn_blocking(move || {
            scan_folder(&catalog, &scanned, &filter, Timestamp::now())
        })
        .await;
        match result {
            Ok(Ok(report)) => self.on_scanned(folder, report),
            Ok(Err(ScanError::Unavailable { path, reason })) => {
                tracing::warn!(folder = %path.display(), %reason, "folder unavailable; nothing changed");
                self.emit(EngineEvent::FolderUnavailable {
                    folder: path.display().to_string(),
                    reason,
                });
            }
            Ok(Err(e)) => tracing::error!(error = %e, "scan failed"),
            Err(e) => tracing::error!(error = %e, "scan task failed"),
        }
    }

    fn on_scanned(&mut self, folder: &WatchedFolder, report: ScanReport) {
        for unreadable in &report.unreadable {
            tracing::warn!(folder = %folder.path.display(), entry = %unreadable, "skipped in scan");
        }
        if !report.abort_upload_ids.is_empty() {
            tracing::info!(
                count = report.abort_upload_ids.len(),
                "multipart uploads of changed files to abort"
            );
        }
        tracing::info!(
            folder = %folder.path.display(),
            seen = report.seen, new = report.new, changed = report.changed,
            unchanged = report.unchanged, vanished = report.vanished,
            "scan finished"
        );
        self.emit(EngineEvent::Scanned {
            folder: folder.path.display().to_string(),
            seen: report.seen,
            new: report.new,
            changed: report.changed,
            vanished: report.vanished,
        });
        for (file, path) in report.to_settle {
            self.emit_file(file, &path, FilePhase::Discovered);
            self.track(file, folder.id, path);
        }
    }

    async fn on_signal(&mut self, signal: WatchSignal) {
        match signal {
            WatchSignal::Rescan { reason } => {
                tracing::info!(%reason, "rescanning every folder");
                self.scan_all().await;
            }
            WatchSignal::Paths {
                mut appeared,
                mut changed,
            } => {
                appeared.sort();
                appeared.dedup();
                changed.sort();
                changed.dedup();
                for path in appeared {
                    self.on_path(&path, true).await;
                }
                for path in changed {
                    self.on_path(&path, false).await;
                }
            }
        }
    }

    async fn on_path(&mut self, path: &Path, appeared: bool) {
        let Some(folder) = self.folder_of(path).cloned() else {
            return;
        };
        if path.is_dir() {
            // A folder moved or copied in: its files arrive without events of their own.
            // (A folder that merely changed reports its files' own events.)
            if appeared && path != folder.path {
                self.scan(&folder).await;
            }
            return;
        }
        let Ok(relative) = path.strip_prefix(&folder.path) else {
            return;
        };
        if !self.filter.verdict(relative).is_candidate() {
            return;
        }
        let Ok(rel_path) = RelPath::from_path(relative) else {
            return tracing::warn!(path = %path.display(), "name cannot be catalogued; skipped");
        };
        match stat_file(path) {
            Ok(Some(stat)) => self.observe(&folder, &rel_path, path, stat).await,
            Ok(None) => self.gone(&folder, &rel_path, path).await,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot stat; the next scan retries");
            }
        }
    }

    async fn observe(
        &mut self,
        folder: &WatchedFolder,
        rel_path: &RelPath,
        path: &Path,
        stat: FileStat,
    ) {
        let now = Timestamp::now();
        let (id, rel_path) = (folder.id, rel_path.clone());
        match self
            .catalog
            .run(move |c| c.observe_file(id, &rel_path, &stat, now))
            .await
        {
            Ok(ObserveOutcome::New(file)) => {
                self.emit_file(file, path, FilePhase::Discovered);
                self.track(file, folder.id, path.to_path_buf());
            }
            Ok(ObserveOutcome::Changed {
                file,
                abort_upload_id,
            }) => {
                if abort_upload_id.is_some() {
                    tracing::info!(path = %path.display(), "changed during upload; restarting it");
                }
                self.track(file, folder.id, path.to_path_buf());
            }
            Ok(ObserveOutcome::Unchanged(_)) => {}
            Err(e) => tracing::error!(path = %path.display(), error = %e, "cannot record file"),
        }
    }

    /// A path reported by the watcher no longer exists.
    async fn gone(&mut self, folder: &WatchedFolder, rel_path: &RelPath, path: &Path) {
        if !folder.path.is_dir() {
            // The whole folder went away (card pulled, share unmounted): not a deletion.
            return self.emit(EngineEvent::FolderUnavailable {
                folder: folder.path.display().to_string(),
                reason: "the folder is gone (unmounted or removed)".to_owned(),
            });
        }
        let (id, rel_path) = (folder.id, rel_path.clone());
        let found = self
            .catalog
            .run(move |c| c.file_by_path(id, &rel_path))
            .await;
        if let Ok(Some(record)) = found {
            self.vanish(record.id, path).await;
        }
    }

    async fn vanish(&mut self, file: FileId, path: &Path) {
        self.settling.remove(path);
        self.settler.forget(path);
        match self.catalog.run(move |c| c.mark_vanished(file)).await {
            Ok(Some(_)) => {
                tracing::info!(path = %path.display(), "file vanished before it was uploaded; dropped from the queue");
                self.emit_file(file, path, FilePhase::Vanished);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot drop vanished file");
            }
        }
    }

    fn track(&mut self, file: FileId, folder: FolderId, path: PathBuf) {
        self.emit_file(file, &path, FilePhase::Settling);
        let now = Instant::now();
        self.settling.insert(
            path,
            Settling {
                file,
                folder,
                due: now,
                since: now,
            },
        );
    }

    /// When a settling file or a deferred hash is due next.
    fn next_wake(&self) -> Option<Instant> {
        let deferred = self.deferred_hashes.iter().map(|(at, _)| *at);
        self.settling.next_wake().into_iter().chain(deferred).min()
    }

    /// Look at every settling file whose time has come.
    async fn settle_due(&mut self) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.deferred_hashes)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.deferred_hashes = later;
        self.hash_queue.extend(due.into_iter().map(|(_, job)| job));
        // Taken out of the queue: each goes back in only if it must wait longer.
        for (path, settling) in self.settling.take_due(now) {
            let Settling { file, since, .. } = settling;
            let stat = match stat_file(&path) {
                Ok(stat) => stat,
                Err(e) => {
                    self.fail(
                        file,
                        &path,
                        FailureCode::IngestReadFailed,
                        &format!("cannot read {}: {e}", path.display()),
                        None,
                    )
                    .await;
                    continue;
                }
            };
            match self.settler.observe(&path, stat, now) {
                SettleStatus::Wait { .. }
                    if stat.is_some_and(|s| s.size == 0)
                        && now.duration_since(since) >= self.empty_window =>
                {
                    self.settler.forget(&path);
                    let message = "the file is empty (0 bytes), so there is nothing to upload; \
                                   if it gets content later it is picked up again";
                    self.fail(file, &path, FailureCode::IngestEmptyFile, message, None)
                        .await;
                }
                SettleStatus::Wait { until } => self.look_again(path, settling, until, now),
                SettleStatus::Vanished => self.vanish(file, &path).await,
                SettleStatus::Ready => self.ready(settling, &path, stat, now).await,
            }
        }
    }

    /// Put a file taken out of the settle queue back in, to be looked at at `until`, but never
    /// sooner than [`MIN_LOOK_GAP`] after this look (a zero-length window must not spin).
    fn look_again(&mut self, path: PathBuf, settling: Settling, until: Instant, now: Instant) {
        let due = until.max(now + MIN_LOOK_GAP);
        self.settling.insert(path, Settling { due, ..settling });
    }

    /// `path` is quiet for its whole window (and out of the settle queue): open it, mark it
    /// ready and queue its fingerprint, or put it back in the queue to wait again.
    async fn ready(
        &mut self,
        settling: Settling,
        path: &Path,
        stat: Option<FileStat>,
        now: Instant,
    ) {
        let Settling { file, folder, .. } = settling;
        let Some(stat) = stat else {
            return self.vanish(file, path).await;
        };
        match probe_open(path) {
            Ok(()) => match self
                .catalog
                .run(move |c| c.mark_ready(file, Timestamp::now()))
                .await
            {
                Ok(()) => {
                    self.hash_queue.push_back(HashJob {
                        file,
                        folder,
                        path: path.to_path_buf(),
                        expected_size: stat.size,
                    });
                }
                Err(e) if e.is_row_moved_on() => {
                    tracing::debug!(path = %path.display(), error = %e, "not ready after all");
                }
                Err(e) => {
                    // The catalog cannot be written (disk full, I/O error): try again later,
                    // and say so, or the file would wait silently.
                    let wait = self.catalog_wait();
                    tracing::warn!(
                        path = %path.display(),
                        code = e.code().as_str(),
                        "{e}; trying again in {wait:?}"
                    );
                    self.look_again(path.to_path_buf(), settling, now + wait, now);
                }
            },
            Err(SettleError::Vanished { .. }) => self.vanish(file, path).await,
            Err(SettleError::Locked { .. }) => {
                if let SettleStatus::Wait { until } = self.settler.open_failed(path, stat, now) {
                    self.look_again(path.to_path_buf(), settling, until, now);
                }
            }
            Err(e) => {
                self.fail(file, path, e.code(), &e.to_string(), None).await;
            }
        }
    }

    fn start_hashing(&mut self) {
        while self.hashing.len() < self.hash_workers {
            let Some(job) = self.hash_queue.pop_front() else {
                break;
            };
            self.emit_file(job.file, &job.path, FilePhase::Hashing);
            let cancel = Arc::clone(&self.hash_cancel);
            self.hashing.spawn_blocking(move || {
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

    async fn on_hashed(&mut self, (job, result): HashResult) {
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
                        self.plan(job.file, &job.path, sha, captured.as_ref()).await;
                    }
                    // Changed or vanished while it was read: the newer state wins.
                    Err(e) if e.is_row_moved_on() => {
                        tracing::debug!(path = %job.path.display(), error = %e, "fingerprint discarded");
                    }
                    // The row stays `ready`: hash it again a little later.
                    Err(e) => {
                        let wait = self.catalog_wait();
                        tracing::warn!(
                            path = %job.path.display(),
                            code = e.code().as_str(),
                            "fingerprint not saved: {e}; hashing it again in {wait:?}"
                        );
                        self.deferred_hashes.push((Instant::now() + wait, job));
                    }
                }
            }
            Err(FingerprintError::Cancelled { .. }) => {}
            Err(FingerprintError::Vanished { .. }) => self.vanish(job.file, &job.path).await,
            Err(FingerprintError::Changed { .. }) => {
                // Still being written: back to settling.
                if let Some(folder) = self.folders.iter().find(|f| f.id == job.folder).cloned()
                    && let Ok(relative) = job.path.strip_prefix(&folder.path)
                    && let Ok(Some(stat)) = stat_file(&job.path)
                    && let Ok(rel_path) = RelPath::from_path(relative)
                {
                    self.observe(&folder, &rel_path, &job.path, stat).await;
                }
            }
            Err(e) => {
                let class = if e.is_temporary() {
                    ErrorClass::Temporary
                } else {
                    ErrorClass::Permanent
                };
                let retry_at = self.retry_at(class, now);
                self.fail(job.file, &job.path, e.code(), &e.to_string(), retry_at)
                    .await;
            }
        }
    }

    /// Decide the key (pure, in `plan`) from catalog facts, and record the decision.
    async fn plan(
        &mut self,
        file: FileId,
        path: &Path,
        sha: Sha256Digest,
        captured: Option<&CaptureTime>,
    ) {
        let now = Timestamp::now();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha_hex = sha.to_hex();
        let candidate = self.planner.candidate_key(&name, &sha_hex, captured, now);
        // The facts and the pure decision in one job: the lookups `resolve_key` makes for a
        // renamed key read the same catalog state as the facts.
        let decided = self
            .catalog
            .run(move |c| -> Result<Decision, CatalogError> {
                let facts = KeyFacts {
                    content_key: c.uploaded_key_for_sha(sha)?,
                    tombstoned: c.is_tombstoned(sha)?,
                    key_owner: c.key_owner(candidate.as_str())?.map(|d| d.to_hex()),
                };
                let mut lookup_error = None;
                let decision =
                    resolve_key(&candidate, &sha_hex, &facts, |key| match c.key_owner(key) {
                        Ok(owner) => owner.map(|d| d.to_hex()),
                        Err(e) => {
                            lookup_error.get_or_insert(e);
                            None
                        }
                    });
                lookup_error.map_or(Ok(decision), Err)
            })
            .await;
        let outcome = match decided {
            Ok(decision) => self.record_decision(file, path, decision, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            let retry_at = self.retry_at(ErrorClass::Temporary, now);
            self.fail(file, path, e.code(), &e.to_string(), retry_at)
                .await;
        }
    }

    async fn record_decision(
        &mut self,
        file: FileId,
        path: &Path,
        decision: Decision,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        match decision {
            Decision::Upload { key } | Decision::Rename { key } => {
                let planned = key.as_str().to_owned();
                self.catalog
                    .run(move |c| c.record_plan(file, &planned, now))
                    .await?;
                self.emit_file(
                    file,
                    path,
                    FilePhase::Planned {
                        key: key.as_str().to_owned(),
                    },
                );
            }
            Decision::SkipDuplicate { existing_key } => {
                self.catalog
                    .run(move |c| c.record_skip(file, SkipReason::Duplicate.as_str(), now))
                    .await?;
                let detail = format!("the same photo is already uploaded as {existing_key}");
                self.emit_file(
                    file,
                    path,
                    FilePhase::Skipped {
                        reason: SkipReason::Duplicate,
                        detail,
                    },
                );
            }
            Decision::SkipTombstoned => {
                self.catalog
                    .run(move |c| c.record_skip(file, SkipReason::Tombstoned.as_str(), now))
                    .await?;
                let detail =
                    "an admin deleted this photo from the gallery; it is not uploaded again"
                        .to_owned();
                self.emit_file(
                    file,
                    path,
                    FilePhase::Skipped {
                        reason: SkipReason::Tombstoned,
                        detail,
                    },
                );
            }
            Decision::Conflict { key } => {
                let message = format!(
                    "every name derived from {key} is taken by other photos: rename the file and it is picked up again"
                );
                self.fail(file, path, FailureCode::PlanNameConflict, &message, None)
                    .await;
            }
        }
        Ok(())
    }

    async fn fail(
        &mut self,
        file: FileId,
        path: &Path,
        code: FailureCode,
        message: &str,
        retry_at: Option<Timestamp>,
    ) {
        tracing::warn!(path = %path.display(), code = code.as_str(), message, "file failed");
        let now = Timestamp::now();
        let recorded_message = message.to_owned();
        if let Err(e) = self
            .catalog
            .run(move |c| c.record_failure(file, code, &recorded_message, retry_at, now))
            .await
        {
            tracing::error!(path = %path.display(), error = %e, "cannot record the failure");
        }
        self.emit_file(
            file,
            path,
            FilePhase::Failed {
                code,
                message: message.to_owned(),
            },
        );
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::AddFolder { path, reply } => {
                let result = self.add_folder(&path).await;
                if reply.send(result).is_err() {
                    tracing::debug!("add-folder caller went away");
                }
            }
            Command::RemoveFolder { path, reply } => {
                let result = self.remove_folder(&path).await;
                if reply.send(result).is_err() {
                    tracing::debug!("remove-folder caller went away");
                }
            }
            Command::AddFile { path, reply } => {
                let result = self.add_file(&path).await;
                if reply.send(result).is_err() {
                    tracing::debug!("add-file caller went away");
                }
            }
            Command::Rescan => self.scan_all().await,
        }
    }

    /// Queue the single file at `path` (with the same filter, settle, fingerprint and plan as a
    /// watched folder's files). Its folder is catalogued if no watched folder holds it, but
    /// disabled: it is neither watched nor scanned, now or at a later start, so only the named
    /// file goes up. Returns whether the file was queued (`false`: the filter leaves it out).
    async fn add_file(&mut self, path: &Path) -> Result<bool, EngineError> {
        let not_found = || EngineError::FileNotFound {
            path: path.to_path_buf(),
        };
        let canonical = std::fs::canonicalize(path).map_err(|_| not_found())?;
        let parent = canonical.parent().ok_or_else(not_found)?.to_path_buf();
        let folder = match self.folder_of(&canonical).cloned() {
            Some(folder) => folder,
            None => {
                let folder = self
                    .catalog
                    .run(move |c| {
                        let id = c.add_folder(&parent, Timestamp::now())?;
                        c.set_folder_enabled(id, false)?;
                        c.get_folder(id)
                    })
                    .await?;
                let folder = folder.ok_or_else(not_found)?;
                self.folders.push(folder.clone());
                folder
            }
        };
        let relative = canonical
            .strip_prefix(&folder.path)
            .map_err(|_| not_found())?;
        if !self.filter.verdict(relative).is_candidate() {
            return Ok(false);
        }
        let rel_path = RelPath::from_path(relative)?;
        match stat_file(&canonical) {
            Ok(Some(stat)) => {
                self.observe(&folder, &rel_path, &canonical, stat).await;
                Ok(true)
            }
            Ok(None) | Err(_) => Err(not_found()),
        }
    }

    async fn add_folder(&mut self, path: &Path) -> Result<FolderId, EngineError> {
        let canonical = canonical_folder(path)?;
        let added = canonical.clone();
        let id = self
            .catalog
            .run(move |c| c.add_folder(&added, Timestamp::now()))
            .await?;
        if !self.folders.iter().any(|f| f.id == id) {
            let folder = self
                .catalog
                .run(move |c| c.get_folder(id))
                .await?
                .ok_or_else(|| EngineError::FolderNotFound {
                    path: canonical.clone(),
                })?;
            self.watch(&folder);
            self.folders.push(folder.clone());
            self.scan(&folder).await;
        }
        Ok(id)
    }

    async fn remove_folder(&mut self, path: &Path) -> Result<bool, EngineError> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let Some(folder) = self.folders.iter().find(|f| f.path == canonical).cloned() else {
            return Ok(false);
        };
        let id = folder.id;
        self.catalog.run(move |c| c.remove_folder(id)).await?;
        self.watcher.unwatch(&folder.path);
        self.folders.retain(|f| f.id != folder.id);
        self.settling.retain(|p| !p.starts_with(&folder.path));
        self.hash_queue.retain(|job| job.folder != folder.id);
        Ok(true)
    }

    fn folder_of(&self, path: &Path) -> Option<&WatchedFolder> {
        self.folders
            .iter()
            .filter(|f| path.starts_with(&f.path))
            .max_by_key(|f| f.path.as_os_str().len())
    }

    fn absolute(&self, folder: FolderId, rel_path: &RelPath) -> Option<PathBuf> {
        self.folders
            .iter()
            .find(|f| f.id == folder)
            .map(|f| f.path.join(rel_path.to_path_buf()))
    }

    fn emit_file(&self, file: FileId, path: &Path, phase: FilePhase) {
        self.emit(EngineEvent::File(FileEvent {
            file: file.get(),
            path: path.display().to_string(),
            phase,
        }));
    }

    fn emit(&self, event: EngineEvent) {
        // An error only means nobody is subscribed right now; the catalog has the state.
        if self.events.send(event).is_err() {
            tracing::trace!("engine event with no subscriber");
        }
    }
}

/// The canonical path of an existing directory, or an error that says what to do.
pub(crate) fn canonical_folder(path: &Path) -> Result<PathBuf, EngineError> {
    let canonical = std::fs::canonicalize(path).map_err(|_| EngineError::FolderNotFound {
        path: path.to_path_buf(),
    })?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(EngineError::FolderNotFound {
            path: path.to_path_buf(),
        })
    }
}
