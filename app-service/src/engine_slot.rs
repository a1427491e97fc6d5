//! The app's engine: started after sign-in with the user's identity-pool credentials, or found
//! held by another process (the headless daemon), whose progress is then read from the catalog.
//! Either way the activity hub gets the events and sends the batches.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::activity::{counts_view, record_view};
use crate::batcher::{ActivityBatcher, BATCH_INTERVAL};
use crate::ipc::{ActivityBatch, ActivityTotals, FolderCounts};
use sync_core::catalog::{Catalog, CatalogError, FolderId, LockHolder, WatchedFolder};
use sync_core::engine::{Engine, EngineError, EngineEvent, EngineSettings};

/// How often the daemon's catalog is read for its progress.
const DAEMON_POLL: Duration = Duration::from_secs(1);

/// Who runs the engine on the app's catalog.
pub enum EngineSlot {
    /// Not signed in, or signed out.
    Stopped,
    /// This app uploads.
    Running(Running),
    /// Another process holds the catalog; its progress is read from the catalog.
    Daemon {
        detail: String,
        poller: JoinHandle<()>,
        cancel: CancellationToken,
    },
}

/// The engine and the task that turns its events into batches.
pub struct Running {
    pub engine: Engine,
    pump: JoinHandle<()>,
    cancel: CancellationToken,
}

/// What the Folders screen knows from the events: unavailable folders and finished scans.
#[derive(Debug, Default)]
pub struct FolderWatch {
    pub offline: HashMap<PathBuf, String>,
    pub scanned: HashSet<PathBuf>,
}

/// The batcher and the channel the batches go out on (they outlive engine restarts).
pub struct ActivityHub {
    pub batcher: Mutex<ActivityBatcher>,
    pub folders: Mutex<FolderWatch>,
    out: broadcast::Sender<ActivityBatch>,
    last_totals: Mutex<Option<ActivityTotals>>,
}

impl Default for ActivityHub {
    fn default() -> Self {
        Self {
            batcher: Mutex::default(),
            folders: Mutex::default(),
            out: broadcast::channel(64).0,
            last_totals: Mutex::default(),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ActivityHub {
    /// Every batch from now on, and the last totals to paint first.
    pub fn subscribe(&self) -> (broadcast::Receiver<ActivityBatch>, Option<ActivityTotals>) {
        (self.out.subscribe(), lock(&self.last_totals).clone())
    }

    fn apply(&self, event: &EngineEvent) {
        lock(&self.batcher).board.apply(event, Timestamp::now());
        let mut folders = lock(&self.folders);
        match event {
            EngineEvent::FolderUnavailable { folder, reason } => {
                folders
                    .offline
                    .insert(PathBuf::from(folder), reason.clone());
            }
            EngineEvent::Scanned { folder, .. } => {
                folders.offline.remove(Path::new(folder));
                folders.scanned.insert(PathBuf::from(folder));
            }
            EngineEvent::File(_) | EngineEvent::UploadControls { .. } => {}
        }
    }

    fn flush(&self, counts: FolderCounts) {
        let batch = lock(&self.batcher).flush(Instant::now(), counts);
        if let Some(batch) = batch {
            *lock(&self.last_totals) = Some(batch.totals.clone());
            if self.out.send(batch).is_err() {
                tracing::trace!("no window watches the activity");
            }
        }
    }

    /// Name rows by these watched folders.
    pub fn set_folders(&self, folders: &[WatchedFolder]) {
        let paths = folders
            .iter()
            .filter(|f| f.enabled)
            .map(|f| f.path.clone())
            .collect();
        lock(&self.batcher).board.set_folders(paths);
    }
}

/// The sentence the app shows when `holder` owns the catalog.
#[must_use]
pub fn daemon_detail(holder: &LockHolder) -> String {
    let pid = holder
        .pid
        .map_or_else(String::new, |p| format!(" (process {p})"));
    format!(
        "The Lightbox service on this computer{pid} is uploading from this catalog; the app \
         shows its progress read-only. Stop the service to upload from the app."
    )
}

impl EngineSlot {
    /// Start the engine with `settings`, or find the catalog held by another process.
    ///
    /// # Errors
    /// Any start failure but the catalog being in use.
    pub async fn start(
        settings: &EngineSettings,
        hub: &Arc<ActivityHub>,
    ) -> Result<Self, EngineError> {
        match Engine::start(settings) {
            Ok(engine) => {
                if let Ok(folders) = engine.catalog().read(Catalog::list_folders).await {
                    hub.set_folders(&folders);
                }
                let cancel = CancellationToken::new();
                let pump = tokio::spawn(pump(
                    engine.clone(),
                    engine.subscribe(),
                    Arc::clone(hub),
                    cancel.clone(),
                ));
                Ok(Self::Running(Running {
                    engine,
                    pump,
                    cancel,
                }))
            }
            Err(EngineError::Catalog(CatalogError::InUse { holder, .. })) => {
                let cancel = CancellationToken::new();
                let poller = tokio::spawn(poll_daemon(
                    settings.catalog_path.clone(),
                    Arc::clone(hub),
                    cancel.clone(),
                ));
                Ok(Self::Daemon {
                    detail: daemon_detail(&holder),
                    poller,
                    cancel,
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The running engine, if this app runs it.
    #[must_use]
    pub fn engine(&self) -> Option<&Engine> {
        match self {
            Self::Running(r) => Some(&r.engine),
            Self::Stopped | Self::Daemon { .. } => None,
        }
    }

    /// Stop whatever runs: the engine gracefully (uploads in flight get `grace` to finish and
    /// be journalled), then the tasks that watch it.
    pub async fn stop(self, grace: Duration) {
        match self {
            Self::Stopped => {}
            Self::Running(r) => {
                if let Err(e) = r.engine.shutdown(grace, Duration::from_secs(30)).await {
                    tracing::warn!(error = %e, "the engine did not stop cleanly; it resumes at the next start");
                }
                r.cancel.cancel();
                if let Err(e) = r.pump.await {
                    tracing::error!(error = %e, "the activity task panicked");
                }
            }
            Self::Daemon { poller, cancel, .. } => {
                cancel.cancel();
                if let Err(e) = poller.await {
                    tracing::error!(error = %e, "the daemon watcher panicked");
                }
            }
        }
    }
}

/// The engine's events into the hub; a batch every [`BATCH_INTERVAL`] when something changed.
async fn pump(
    engine: Engine,
    mut events: broadcast::Receiver<EngineEvent>,
    hub: Arc<ActivityHub>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(BATCH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            event = events.recv() => match event {
                Ok(event) => hub.apply(&event),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    // Rows catch up with their next event; the totals come from the catalog.
                    tracing::warn!(missed, "the activity list fell behind the engine");
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tick.tick() => match engine.counts().await {
                Ok(counts) => hub.flush(counts_view(&counts)),
                Err(e) => tracing::warn!(error = %e, "cannot count the queue"),
            },
        }
    }
}

/// The daemon's progress from its catalog: rows changed since the last look, and the counts.
/// Read on a read-only connection of the app's own (the daemon writes), on a blocking thread.
async fn poll_daemon(catalog_path: PathBuf, hub: Arc<ActivityHub>, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(DAEMON_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut since = Timestamp::MIN;
    let mut catalog: Option<Catalog> = None;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let path = catalog_path.clone();
        let looked = tokio::task::spawn_blocking(move || {
            let opened = match catalog {
                Some(c) => Ok(c),
                None => Catalog::open_read_only(&path),
            };
            match opened {
                Ok(c) => {
                    let read = c.snapshot(|c| read_daemon(c, since));
                    (Some(c), read)
                }
                Err(e) => (None, Err(e)),
            }
        })
        .await;
        let read = match looked {
            Ok((kept, read)) => {
                catalog = kept;
                read
            }
            Err(e) => {
                catalog = None;
                tracing::warn!(error = %e, "reading the daemon's catalog failed unexpectedly");
                continue;
            }
        };
        match read {
            Ok((rows, counts, newest)) => {
                {
                    let mut batcher = lock(&hub.batcher);
                    for row in rows {
                        batcher.board.put(row);
                    }
                }
                since = newest.max(since);
                hub.flush(counts);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the daemon's catalog"),
        }
    }
}

type DaemonRead = (Vec<crate::ipc::FileActivity>, FolderCounts, Timestamp);

fn read_daemon(catalog: &Catalog, since: Timestamp) -> Result<DaemonRead, CatalogError> {
    let folders: HashMap<FolderId, PathBuf> = catalog
        .list_folders()?
        .into_iter()
        .map(|f| (f.id, f.path))
        .collect();
    let mut newest = since;
    let rows = catalog
        .recent_files(500)?
        .into_iter()
        .filter(|r| r.updated_at > since)
        .filter_map(|r| {
            newest = newest.max(r.updated_at);
            folders.get(&r.folder).map(|f| record_view(&r, f))
        })
        .collect();
    Ok((rows, counts_view(&catalog.counts_by_state()?), newest))
}
