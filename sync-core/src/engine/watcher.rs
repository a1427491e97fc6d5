//! File-system events for the watched folders (notify, debounced), turned into
//! signals for the pipeline. Events only say "look at this path"; the pipeline
//! stats it and the catalog decides. An overflowed event queue or a watcher error
//! asks for a rescan instead, so nothing is missed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::mpsc;

/// How long an event is held so that repeats of it for the same path merge into one signal.
/// The debouncer sends an event once it is this old, at its next tick, so this delay comes
/// before the pipeline's first look at a new file, and with it before its settle window
/// starts. It buys nothing for safety (the settle window is what waits for a file to be
/// complete, and it only counts quiet time the pipeline observed itself), so it is short.
const DEBOUNCE: Duration = Duration::from_millis(50);
/// How often the debouncer sends the events that are old enough. Equal to [`DEBOUNCE`]: a file
/// being written yields at most one signal per tick, as many as with the earlier 200 ms
/// debounce and its default tick of a quarter of that.
const DEBOUNCE_TICK: Duration = DEBOUNCE;

/// What the watcher asks of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchSignal {
    /// Something happened to these paths. `appeared`: created or moved in (a folder
    /// that appears is scanned, since its files bring no events of their own);
    /// `changed`: written or removed.
    Paths {
        appeared: Vec<PathBuf>,
        changed: Vec<PathBuf>,
    },
    /// Events were lost (queue overflow, watcher error): rescan every folder.
    Rescan { reason: String },
}

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot watch {path} for new files ({source}); if the limit of watches is reached, raise \
     fs.inotify.max_user_watches (sysctl). Lightbox still finds new files with its periodic scan"
)]
pub struct WatchError {
    path: PathBuf,
    #[source]
    source: notify::Error,
}

/// The debounced watcher over every watched folder.
pub struct FolderWatcher {
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl FolderWatcher {
    /// A watcher sending its signals to `signals`.
    ///
    /// # Errors
    /// When the OS watcher cannot be created (e.g. inotify instances exhausted).
    pub fn new(signals: mpsc::UnboundedSender<WatchSignal>) -> Result<Self, WatchError> {
        let tick = Some(DEBOUNCE_TICK);
        let debouncer = new_debouncer(DEBOUNCE, tick, move |result: DebounceEventResult| {
            let signal = match result {
                Ok(events) => {
                    if let Some(e) = events.iter().find(|e| e.need_rescan()) {
                        WatchSignal::Rescan {
                            reason: format!("event queue overflowed ({:?})", e.kind),
                        }
                    } else {
                        let mut appeared = Vec::new();
                        let mut changed = Vec::new();
                        for event in events {
                            match event.event.kind {
                                // Reads, including our own scans and fingerprints: no change.
                                EventKind::Access(_) => {}
                                EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(_)) => {
                                    appeared.extend(event.event.paths);
                                }
                                _ => changed.extend(event.event.paths),
                            }
                        }
                        if appeared.is_empty() && changed.is_empty() {
                            return;
                        }
                        WatchSignal::Paths { appeared, changed }
                    }
                }
                Err(errors) => WatchSignal::Rescan {
                    reason: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                },
            };
            if signals.send(signal).is_err() {
                tracing::debug!("file event after the pipeline stopped; ignored");
            }
        })
        .map_err(|source| WatchError {
            path: PathBuf::new(),
            source,
        })?;
        Ok(Self { debouncer })
    }

    /// Watch `path` and everything below it.
    ///
    /// # Errors
    /// When the OS refuses the watch (missing folder, watch limit).
    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        self.debouncer
            .watch(path, RecursiveMode::Recursive)
            .map_err(|source| WatchError {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Stop watching `path`. A folder that is already gone is not an error.
    pub fn unwatch(&mut self, path: &Path) {
        if let Err(e) = self.debouncer.unwatch(path) {
            tracing::debug!(path = %path.display(), error = %e, "unwatch");
        }
    }
}
