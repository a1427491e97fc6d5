//! The ingest pipeline: one task that runs the first four steps of a file's life (DESIGN.md),
//! each by its own driver, and hands each file from one to the next:
//!
//! | step | driver | what it hands on |
//! |---|---|---|
//! | 1 detect | [`DetectDriver`] (`detect.rs`): watcher signals, scans, the folder commands | a `Discovered` row to settle |
//! | 2 settle | [`SettleDriver`] (`settle.rs`): the settle queue and the [`crate::ingest::Settler`] | a `Ready` row to hash |
//! | 3 hash | [`HashDriver`] (`hash.rs`): fingerprint reads on blocking threads | a `Hashed` row to plan |
//! | 4 plan | [`PlanDriver`] (`plan.rs`): the facts, [`crate::plan::resolve_key`], the record | a `Planned` row, which wakes the uploader |
//!
//! The drivers are called one at a time from this task's loop, so a file is never in two
//! steps at once and the order of events is a file's order through the steps. Every step is
//! one catalog transaction, so after a crash [`crate::catalog::Catalog::unfinished_files`] says
//! where to carry on ([`Pipeline::resume`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::EngineError;
use super::detect::DetectDriver;
use super::events::EngineEvent;
use super::hash::{HashDriver, HashJob, Hashed};
use super::plan::{PlanDriver, PlanItem};
use super::plan_index::SharedIndex;
use super::recorder::Recorder;
use super::settle::SettleDriver;
use super::watcher::{FolderWatcher, WatchSignal};
use crate::catalog::{CatalogHandle, FolderId, ResumeStep, WatchedFolder};
use crate::ingest::{Filter, Settler};
use crate::plan::KeyPlanner;

/// How often every watched folder's path is looked at (one `stat` each): a folder removed,
/// moved away, unmounted or made again is seen within this, besides the watcher's events.
const PRESENCE_INTERVAL: Duration = Duration::from_secs(1);

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
    /// Queue one file now (`lightbox push`): see [`DetectDriver::add_file`].
    AddFile {
        path: PathBuf,
        reply: oneshot::Sender<Result<bool, EngineError>>,
    },
    Rescan,
}

pub(crate) struct Pipeline {
    catalog: CatalogHandle,
    detect: DetectDriver,
    settle: SettleDriver,
    hash: HashDriver,
    plan: PlanDriver,
    rescan_interval: Duration,
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
    /// The shared index, when `[index] table` is set.
    pub index: Option<SharedIndex>,
}

/// How often plans that wait for the shared index are looked at.
const PLAN_RETRY_TICK: Duration = Duration::from_secs(1);

impl Pipeline {
    pub(crate) fn new(parts: PipelineParts) -> Self {
        let recorder = Recorder::new(parts.catalog.clone(), parts.events);
        let catalog = parts.catalog;
        Self {
            detect: DetectDriver::new(
                catalog.clone(),
                parts.filter,
                parts.watcher,
                recorder.clone(),
            ),
            settle: SettleDriver::new(
                catalog.clone(),
                parts.settler,
                parts.empty_window,
                recorder.clone(),
            ),
            hash: HashDriver::new(catalog.clone(), parts.hash_workers, recorder.clone()),
            plan: PlanDriver::new(catalog.clone(), parts.planner, recorder, parts.index),
            catalog,
            rescan_interval: parts.rescan_interval,
        }
    }

    pub(crate) async fn run(
        mut self,
        mut signals: mpsc::UnboundedReceiver<WatchSignal>,
        mut commands: mpsc::Receiver<Command>,
        cancel: CancellationToken,
    ) {
        self.detect.start_up(&mut self.settle).await;
        self.resume().await;
        let first_rescan = tokio::time::Instant::now() + self.rescan_interval;
        let mut rescan = tokio::time::interval_at(first_rescan, self.rescan_interval);
        let mut plan_retry = tokio::time::interval(PLAN_RETRY_TICK);
        let waits_for_index = self.plan.uses_index();
        let first_look = tokio::time::Instant::now() + PRESENCE_INTERVAL;
        let mut presence = tokio::time::interval_at(first_look, PRESENCE_INTERVAL);
        presence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            self.hash.start();
            // Wake when the next settle window ends (or a deferred hash is due), not on a tick:
            // a settled file is looked at when its window ends.
            let wake = self.next_wake();
            let due = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now).into());
            tokio::select! {
                () = cancel.cancelled() => break,
                Some(signal) = signals.recv() => {
                    let gone = self.detect.on_signal(signal, &mut self.settle).await;
                    self.drop_offline(&gone);
                }
                _ = presence.tick() => {
                    let gone = self.detect.check_presence(&mut self.settle).await;
                    self.drop_offline(&gone);
                }
                Some(command) = commands.recv() => self.on_command(command).await,
                () = due, if wake.is_some() => self.settle_due().await,
                _ = rescan.tick() => self.detect.scan_all(&mut self.settle).await,
                _ = plan_retry.tick(), if waits_for_index => self.retry_plans().await,
                Some(done) = self.hash.join_next(), if self.hash.is_running() => {
                    let next = self.hash.on_done(done).await;
                    self.on_hashed(next).await;
                }
            }
        }
        self.hash.stop().await;
    }

    /// Pick up rows a previous run left half-way (DESIGN: each step is one transaction).
    async fn resume(&mut self) {
        let unfinished = match self.catalog.run(|c| c.unfinished_files()).await {
            Ok(unfinished) => unfinished,
            Err(e) => return tracing::error!(error = %e, "cannot read unfinished files"),
        };
        let mut to_plan = Vec::new();
        for item in unfinished {
            let record = item.record;
            let Some(path) = self.detect.absolute(record.folder, &record.rel_path) else {
                continue;
            };
            match item.next_step {
                ResumeStep::Settle => self.settle.resume(
                    record.id,
                    record.folder,
                    path,
                    record.stat,
                    record.updated_at,
                ),
                ResumeStep::Hash => self.hash.queue([HashJob {
                    file: record.id,
                    folder: record.folder,
                    path,
                    expected_size: record.stat.size,
                }]),
                ResumeStep::Plan => {
                    if let Some(sha) = record.sha256 {
                        to_plan.push(PlanItem {
                            file: record.id,
                            path,
                            sha,
                            captured: record.capture_time,
                        });
                    }
                }
                // Upload and preview steps belong to the uploader.
                _ => {}
            }
        }
        // One batch: with a shared index, one lookup and one reservation per 50 files.
        self.plan.plan_many(to_plan).await;
    }

    /// Plan again the files that waited for the shared index and are due.
    async fn retry_plans(&mut self) {
        let due = self.plan.retry_due().await;
        let items = due
            .into_iter()
            .filter_map(|record| {
                let path = self.detect.absolute(record.folder, &record.rel_path)?;
                Some(PlanItem {
                    file: record.id,
                    path,
                    sha: record.sha256?,
                    captured: record.capture_time,
                })
            })
            .collect();
        self.plan.plan_many(items).await;
    }

    /// When a settling file or a deferred hash is due next.
    fn next_wake(&self) -> Option<Instant> {
        self.settle
            .next_wake()
            .into_iter()
            .chain(self.hash.next_wake())
            .min()
    }

    /// Queue the deferred hashes that are due, then look at every settling file whose time
    /// has come; the ones now ready queue behind them.
    async fn settle_due(&mut self) {
        let now = Instant::now();
        self.hash.release_due(now);
        let ready = self.settle.settle_due(now).await;
        self.hash.queue(ready);
    }

    /// Hand a finished read to the step it leads to.
    async fn on_hashed(&mut self, next: Option<Hashed>) {
        match next {
            Some(Hashed::Recorded {
                file,
                path,
                sha,
                captured,
            }) => self.plan.plan(file, &path, sha, captured.as_ref()).await,
            Some(Hashed::Vanished { file, path }) => self.settle.vanish(file, &path).await,
            Some(Hashed::Changed(job)) => {
                self.detect
                    .look_again(job.folder, &job.path, &mut self.settle)
                    .await;
            }
            None => {}
        }
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::AddFolder { path, reply } => {
                let result = self.detect.add_folder(&path, &mut self.settle).await;
                if reply.send(result).is_err() {
                    tracing::debug!("add-folder caller went away");
                }
            }
            Command::RemoveFolder { path, reply } => {
                let result = self.remove_folder(path).await;
                if reply.send(result).is_err() {
                    tracing::debug!("remove-folder caller went away");
                }
            }
            Command::AddFile { path, reply } => {
                let result = self.detect.add_file(&path, &mut self.settle).await;
                if reply.send(result).is_err() {
                    tracing::debug!("add-file caller went away");
                }
            }
            Command::Rescan => self.detect.scan_all(&mut self.settle).await,
        }
    }

    /// Folders that went offline: their files leave the settle and hash queues (their rows
    /// stay; the scan when a folder is back queues them again), so a file is never taken for
    /// deleted because its card is out.
    fn drop_offline(&mut self, gone: &[WatchedFolder]) {
        for folder in gone {
            self.settle.drop_folder(&folder.path);
            self.hash.drop_folder(folder.id);
        }
    }

    /// Stop watching the folder at `path`; its files leave the settle and hash queues.
    async fn remove_folder(&mut self, path: PathBuf) -> Result<bool, EngineError> {
        let Some(folder) = self.detect.remove_folder(&path).await? else {
            return Ok(false);
        };
        self.settle.drop_folder(&folder.path);
        self.hash.drop_folder(folder.id);
        Ok(true)
    }
}
