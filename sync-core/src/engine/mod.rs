//! The engine: one owner of a catalog, with components inside (DESIGN.md,
//! "One engine, components inside").
//!
//! - [`Engine`] is the cheap-to-clone handle: start, stop, subscribe, commands.
//! - One driver per step of a file's life, named for it: `detect`, `settle`, `hash`, `plan`,
//!   `upload`, `preview` (docs/architecture.md). The first four run in one task, `pipeline`,
//!   which hands each file from one to the next; fingerprints run on blocking threads the hash
//!   driver tracks.
//! - When [`EngineSettings::upload`] is set, the upload driver (`Planned` files to verified
//!   objects) and the preview driver (verified originals to `Done`) run as a task each, both
//!   in the loop of `job_runner`.
//! - Events go out on one broadcast bus ([`EngineEvent`]); commands come in on an
//!   mpsc channel. Every spawned task's handle is kept; `stop` cancels through a
//!   token and waits with a timeout.
//! - A lock file next to the catalog refuses a second engine. The catalog itself is owned by
//!   a thread of its own ([`CatalogHandle`]): components send it work and await the reply, so
//!   no runtime worker waits on SQLite.
//! - Upload controls: [`Engine::pause`], [`Engine::resume`] and
//!   [`Engine::set_bandwidth_limit`] go to the uploader on its own command channel; each change
//!   is announced as [`EngineEvent::UploadControls`]. [`Engine::shutdown`] is the graceful
//!   stop: no new request, the ones in flight finish (up to a deadline), then `stop`.

mod detect;
mod events;
mod hash;
mod job_runner;
mod pipeline;
mod plan;
mod plan_index;
mod preview;
mod recorder;
mod scan;
mod settle;
mod settle_queue;
mod upload;
pub mod upload_job;
mod wake;
mod watcher;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use events::{EngineEvent, FileEvent, FilePhase};
use job_runner::JobRunner;
use pipeline::{Command, Pipeline, PipelineParts};
use preview::Previewer;
pub use scan::{ScanError, ScanReport, scan_folder};
pub use upload::{UploadTarget, source_host};
use upload::{Uploader, UploaderCommand};
pub use watcher::{FolderWatcher, WatchError, WatchSignal};

use lightbox_types::FailureCode;
use lightbox_types::StateCounts;

use crate::catalog::{Catalog, CatalogError, CatalogHandle, CatalogLock, FolderId, RebuiltCatalog};
use crate::config::IngestConfig;
use crate::ingest::{Filter, FilterError, Settler};
use crate::plan::{KeyPlanner, PlanError};
use crate::upload::TransferControls;

/// The catalog's file name inside the state directory.
pub const CATALOG_FILE: &str = "catalog.sqlite";

/// What an engine needs to start.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// The catalog database (its lock file sits next to it).
    pub catalog_path: PathBuf,
    pub ingest: IngestConfig,
    /// Where planned files are uploaded. `None`: the engine only ingests (files stop at
    /// `Planned`).
    pub upload: Option<UploadTarget>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Watch(#[from] WatchError),
    #[error("folder {path} does not exist or is not a folder: create it or check the path")]
    FolderNotFound { path: PathBuf },
    #[error("{path} is not a readable file: check the path")]
    FileNotFound { path: PathBuf },
    #[error("the engine has stopped: start it again")]
    Stopped,
    #[error("the engine did not stop within {0:?}; some work will resume at the next start")]
    StopTimeout(Duration),
    #[error("this engine does not upload (no bucket configured): set [storage] to control uploads")]
    UploadsOff,
}

impl EngineError {
    /// A stable short code for logs, metrics and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Catalog(e) => e.code(),
            Self::Filter(e) => e.code(),
            Self::Plan(e) => e.code(),
            Self::Watch(_) => FailureCode::EngineWatchFailed,
            Self::FolderNotFound { .. } => FailureCode::EngineFolderNotFound,
            Self::FileNotFound { .. } => FailureCode::EngineFileNotFound,
            Self::Stopped => FailureCode::EngineStopped,
            Self::StopTimeout(_) => FailureCode::EngineStopTimeout,
            Self::UploadsOff => FailureCode::EngineUploadsOff,
        }
    }
}

/// The running engine. Clones share it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    events: broadcast::Sender<EngineEvent>,
    commands: mpsc::Sender<Command>,
    catalog: CatalogHandle,
    cancel: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Held while running; released by a clean `stop`.
    lock: Mutex<Option<CatalogLock>>,
    /// The uploader's commands and the transfer's controls, when the engine uploads.
    uploads: Option<UploadHandle>,
    /// The catalog was unreadable at start and replaced.
    rebuilt: Option<RebuiltCatalog>,
}

struct UploadHandle {
    commands: mpsc::Sender<UploaderCommand>,
    controls: Arc<TransferControls>,
}

/// How a graceful [`Engine::shutdown`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether every upload request in flight finished within the grace period (otherwise
    /// the rest were abandoned; the next start resumes them).
    pub drained: bool,
}

/// The queue as the daemon's metrics show it: files by state, and when the oldest file not
/// yet in the bucket ([`lightbox_types::FileState::WAITING`]) entered the catalog (`None`:
/// nothing waits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub counts: StateCounts,
    pub oldest_waiting_since: Option<jiff::Timestamp>,
    /// Enabled folders by state, as the engine last looked (`ingest::presence`); folders not
    /// looked at yet are not counted.
    pub folders: Vec<(crate::catalog::FolderState, u64)>,
}

impl Engine {
    /// Take the catalog's lock, open it and start the components. Call from
    /// within a tokio runtime.
    ///
    /// # Errors
    /// When another engine holds the catalog, it cannot be opened, or the settings
    /// are invalid (a bad glob, an unknown time zone).
    pub fn start(settings: &EngineSettings) -> Result<Self, EngineError> {
        let filter = Filter::new(&settings.ingest.filter)?;
        let planner = KeyPlanner::new(&settings.ingest.plan)?;
        let lock = CatalogLock::acquire(&settings.catalog_path)?;
        let (mut catalog, rebuilt) =
            Catalog::open_or_rebuild(&settings.catalog_path, jiff::Timestamp::now())?;
        if let Some(rebuilt) = &rebuilt {
            tracing::warn!(
                code = FailureCode::CatalogRebuilt.as_str(),
                backup = %rebuilt.backup.display(),
                "{}",
                rebuilt.message()
            );
        }
        let index = shared_index(settings.upload.as_ref(), &planner, &mut catalog)?;
        let catalog = CatalogHandle::start(catalog)?;

        let (events, _) = broadcast::channel(4096);
        let (commands, command_rx) = mpsc::channel(64);
        let (signals, signal_rx) = mpsc::unbounded_channel();
        let watcher = FolderWatcher::new(signals)?;
        let cancel = CancellationToken::new();
        let pipeline = Pipeline::new(PipelineParts {
            catalog: catalog.clone(),
            filter,
            planner,
            settler: Settler::new(settings.ingest.settle),
            empty_window: settings.ingest.settle.window_for(0),
            watcher,
            hash_workers: settings.ingest.hash_workers,
            events: events.clone(),
            rescan_interval: Duration::from_secs(settings.ingest.rescan_interval_secs.max(1)),
            index: index.clone(),
        });
        let mut tasks = Vec::new();
        let mut uploads = None;
        // Subscribed before the pipeline starts, so no `Planned` event is missed.
        if let Some(target) = &settings.upload {
            let (upload_commands, upload_command_rx) = mpsc::channel(16);
            uploads = Some(UploadHandle {
                commands: upload_commands,
                controls: Arc::clone(target.transfer.controls()),
            });
            let uploader = JobRunner::with_commands(
                Uploader::new(target, catalog.clone(), events.clone()),
                events.subscribe(),
                Some(upload_command_rx),
            );
            tasks.push(tokio::spawn(uploader.run(cancel.clone())));
            let previewer = JobRunner::new(
                Previewer::new(target, catalog.clone(), &events, index.clone()),
                events.subscribe(),
            );
            tasks.push(tokio::spawn(previewer.run(cancel.clone())));
        }
        tasks.push(tokio::spawn(pipeline.run(
            signal_rx,
            command_rx,
            cancel.clone(),
        )));
        Ok(Self {
            inner: Arc::new(Inner {
                events,
                commands,
                catalog,
                cancel,
                tasks: Mutex::new(tasks),
                lock: Mutex::new(Some(lock)),
                uploads,
                rebuilt,
            }),
        })
    }

    /// Set when the catalog could not be read at start and was moved aside and replaced
    /// ([`Catalog::open_or_rebuild`]): where the bad file went and what was saved from it.
    #[must_use]
    pub fn rebuilt_catalog(&self) -> Option<&RebuiltCatalog> {
        self.inner.rebuilt.as_ref()
    }

    /// Every event from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// The catalog: [`CatalogHandle::read`] for queries (status, gallery, the desktop app),
    /// which never wait for the engine's writes; [`CatalogHandle::run`] for changes.
    #[must_use]
    pub fn catalog(&self) -> &CatalogHandle {
        &self.inner.catalog
    }

    /// Files by state (on the catalog's read-only connection).
    ///
    /// # Errors
    /// When the catalog cannot be read.
    pub async fn counts(&self) -> Result<StateCounts, EngineError> {
        Ok(self.inner.catalog.read(Catalog::counts_by_state).await?)
    }

    /// [`Engine::counts`] from a thread that may block (the daemon's `/health` probe runs on
    /// one), never from a runtime worker.
    ///
    /// # Errors
    /// When the catalog cannot be read.
    pub fn counts_blocking(&self) -> Result<StateCounts, EngineError> {
        Ok(self.inner.catalog.read_blocking(Catalog::counts_by_state)?)
    }

    /// Files by state and when the oldest file not yet in the bucket entered the catalog,
    /// in one read (the daemon's `/metrics` and EMF lines), from a thread that may block.
    ///
    /// # Errors
    /// When the catalog cannot be read.
    pub fn queue_depth_blocking(&self) -> Result<QueueDepth, EngineError> {
        Ok(self.inner.catalog.read_blocking(|catalog| {
            let folders = catalog.list_folders()?;
            let folders = crate::catalog::FolderState::ALL
                .into_iter()
                .map(|state| {
                    let n = folders
                        .iter()
                        .filter(|f| {
                            f.enabled && f.presence.as_ref().is_some_and(|p| p.state == state)
                        })
                        .count();
                    (state, n as u64)
                })
                .collect();
            Ok(QueueDepth {
                counts: catalog.counts_by_state()?,
                oldest_waiting_since: catalog.oldest_waiting_since()?,
                folders,
            })
        })?)
    }

    /// Watch `path` (and scan it now).
    ///
    /// # Errors
    /// When the folder does not exist or the engine has stopped.
    pub async fn add_folder(&self, path: &Path) -> Result<FolderId, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::AddFolder {
            path: path.to_path_buf(),
            reply,
        })
        .await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Stop watching `path`; its queued files leave the queue (nothing remote changes).
    /// Returns whether it was watched.
    ///
    /// # Errors
    /// When the engine has stopped or the catalog cannot be written.
    pub async fn remove_folder(&self, path: &Path) -> Result<bool, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::RemoveFolder {
            path: path.to_path_buf(),
            reply,
        })
        .await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Queue the single file at `path` now, without watching or scanning its folder
    /// (`lightbox push FILE`). Returns whether it was queued (`false`: the name filter leaves
    /// it out, e.g. a sidecar or temporary file).
    ///
    /// # Errors
    /// When the path is not a file or the engine has stopped.
    pub async fn add_file(&self, path: &Path) -> Result<bool, EngineError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::AddFile {
            path: path.to_path_buf(),
            reply,
        })
        .await?;
        answer.await.map_err(|_| EngineError::Stopped)?
    }

    /// Rescan every folder now.
    ///
    /// # Errors
    /// When the engine has stopped.
    pub async fn rescan(&self) -> Result<(), EngineError> {
        self.send(Command::Rescan).await
    }

    /// Start no new upload request until [`Engine::resume`]; requests already sent finish and
    /// are journalled. Ingest (settle, hash, plan) goes on. Announced as
    /// [`EngineEvent::UploadControls`] once in force.
    ///
    /// # Errors
    /// When the engine does not upload or has stopped.
    pub async fn pause(&self) -> Result<(), EngineError> {
        self.send_upload(UploaderCommand::Pause).await
    }

    /// Undo [`Engine::pause`].
    ///
    /// # Errors
    /// When the engine does not upload or has stopped.
    pub async fn resume(&self) -> Result<(), EngineError> {
        self.send_upload(UploaderCommand::Resume).await
    }

    /// Limit all uploads together to `mib_per_sec` MiB/s (`None` or 0: unlimited), from the
    /// next bytes sent on, requests in flight included.
    ///
    /// # Errors
    /// When the engine does not upload or has stopped.
    pub async fn set_bandwidth_limit(&self, mib_per_sec: Option<u64>) -> Result<(), EngineError> {
        self.send_upload(UploaderCommand::SetBandwidthLimit(mib_per_sec))
            .await
    }

    /// Resolves when no upload request is in flight. While paused, that stays so.
    ///
    /// # Errors
    /// When the engine does not upload.
    pub async fn uploads_drained(&self) -> Result<(), EngineError> {
        let uploads = self.inner.uploads.as_ref().ok_or(EngineError::UploadsOff)?;
        uploads.controls.drained().await;
        Ok(())
    }

    /// The graceful stop (SIGINT/SIGTERM of `lightbox run`): start no new upload request, let
    /// the ones in flight finish and be journalled for up to `grace`, then [`Engine::stop`]
    /// (which abandons what is left; the journal makes the next start resume it).
    ///
    /// # Errors
    /// As [`Engine::stop`].
    pub async fn shutdown(
        &self,
        grace: Duration,
        timeout: Duration,
    ) -> Result<ShutdownReport, EngineError> {
        let mut drained = true;
        if let Some(uploads) = &self.inner.uploads {
            // Directly on the gate, not through the uploader's queue: in force at once.
            uploads.controls.set_paused(true);
            drained = tokio::time::timeout(grace, uploads.controls.drained())
                .await
                .is_ok();
        }
        self.stop(timeout).await?;
        Ok(ShutdownReport { drained })
    }

    async fn send_upload(&self, command: UploaderCommand) -> Result<(), EngineError> {
        let uploads = self.inner.uploads.as_ref().ok_or(EngineError::UploadsOff)?;
        uploads
            .commands
            .send(command)
            .await
            .map_err(|_| EngineError::Stopped)
    }

    async fn send(&self, command: Command) -> Result<(), EngineError> {
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| EngineError::Stopped)
    }

    /// Cancel every component and wait up to `timeout` for them to finish their
    /// current step, then release the catalog for the next engine. Work not finished
    /// resumes at the next start.
    ///
    /// # Errors
    /// [`EngineError::StopTimeout`] when a component did not stop in time.
    pub async fn stop(&self, timeout: Duration) -> Result<(), EngineError> {
        self.inner.cancel.cancel();
        let tasks: Vec<JoinHandle<()>> = std::mem::take(
            &mut *self
                .inner
                .tasks
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let all = async {
            for task in tasks {
                if let Err(e) = task.await {
                    tracing::error!(error = %e, "an engine task panicked");
                }
            }
        };
        tokio::time::timeout(timeout, all)
            .await
            .map_err(|_| EngineError::StopTimeout(timeout))?;
        drop(
            self.inner
                .lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        Ok(())
    }
}

/// The shared index the plan step and make-live use, when the upload target names a table:
/// this station is `<host>/<station id>`, the id kept in the catalog.
fn shared_index(
    target: Option<&UploadTarget>,
    planner: &KeyPlanner,
    catalog: &mut Catalog,
) -> Result<Option<plan_index::SharedIndex>, EngineError> {
    let Some((target, table)) = target.and_then(|t| t.index.clone().map(|table| (t, table))) else {
        return Ok(None);
    };
    Ok(Some(plan_index::SharedIndex {
        table,
        station: format!("{}/{}", target.source_host, catalog.station_id()?),
        uploader: target.uploader.clone(),
        retrier: Arc::new(crate::retry::Retrier::new(
            crate::retry::RetryPolicy::default(),
        )),
        time_zone: planner.time_zone().clone(),
    }))
}
