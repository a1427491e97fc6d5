//! File-system events for the watched folders (notify, debounced), turned into
//! signals for the pipeline. Events only say "look at this path"; the pipeline
//! stats it and the catalog decides. An overflowed event queue or a watcher error
//! asks for a rescan instead, so nothing is missed.

use std::collections::HashMap;
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

/// The debounced watchers of the watched folders: one per folder, so that a folder's watch
/// can be dropped and made again from nothing when the folder is removed, moved away or
/// replaced (`ingest::presence`). One debouncer over every folder keeps the state of a
/// removed folder: notify drops its watch on `IN_DELETE_SELF`, after which the debouncer's
/// `unwatch` fails (watch not found) before it forgets the root and its file ids, so a later
/// `watch` of the same path starts from stale state (issue #19). A fresh debouncer has none.
pub struct FolderWatcher {
    signals: mpsc::UnboundedSender<WatchSignal>,
    watches: HashMap<PathBuf, Debouncer<notify::RecommendedWatcher, RecommendedCache>>,
}

impl FolderWatcher {
    /// A watcher sending its signals to `signals`.
    ///
    /// # Errors
    /// None today: the OS watchers are made per folder, by [`FolderWatcher::watch`]. Kept
    /// fallible so that callers handle a platform where making one up front can fail.
    pub fn new(signals: mpsc::UnboundedSender<WatchSignal>) -> Result<Self, WatchError> {
        Ok(Self {
            signals,
            watches: HashMap::new(),
        })
    }

    /// Watch `path` and everything below it (again from nothing, if it was watched).
    ///
    /// # Errors
    /// When the OS refuses the watch (missing folder, watch or instance limit).
    pub fn watch(&mut self, path: &Path) -> Result<(), WatchError> {
        self.unwatch(path);
        let error = |source| WatchError {
            path: path.to_path_buf(),
            source,
        };
        let mut debouncer = debouncer(self.signals.clone()).map_err(error)?;
        debouncer
            .watch(path, RecursiveMode::Recursive)
            .map_err(error)?;
        self.watches.insert(path.to_path_buf(), debouncer);
        Ok(())
    }

    /// Stop watching `path`. A folder that is already gone, or not watched, is not an error.
    pub fn unwatch(&mut self, path: &Path) {
        // Dropping the debouncer stops its OS watcher and its thread.
        self.watches.remove(path);
    }
}

/// A debouncer sending its events as signals to `signals`.
fn debouncer(
    signals: mpsc::UnboundedSender<WatchSignal>,
) -> Result<Debouncer<notify::RecommendedWatcher, RecommendedCache>, notify::Error> {
    new_debouncer(
        DEBOUNCE,
        Some(DEBOUNCE_TICK),
        move |result: DebounceEventResult| {
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
        },
    )
}
