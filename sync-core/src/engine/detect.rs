//! The detect driver (DESIGN.md, data flow step 1): the watched folders, the watcher's signals
//! and the reconciliation scans become `Discovered` rows, which it hands to the settle driver.
//!
//! Which names count is the pure [`Filter`]'s decision; the walk is [`scan_folder`] (on a
//! blocking thread, committing in batches), the events are [`FolderWatcher`]'s. This driver
//! keeps the list of watched folders and does the rest of the I/O: stat, the catalog, the bus.
//! It also serves the engine's folder commands (add or remove a folder, queue one file).

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::EngineError;
use super::events::{EngineEvent, FilePhase};
use super::recorder::Recorder;
use super::scan::{ScanError, ScanReport, scan_folder};
use super::settle::SettleDriver;
use super::watcher::{FolderWatcher, WatchSignal};
use crate::catalog::{CatalogHandle, FolderId, ObserveOutcome, RelPath, WatchedFolder};
use crate::ingest::{Filter, stat_file};
use lightbox_types::FileStat;

pub(crate) struct DetectDriver {
    catalog: CatalogHandle,
    filter: Filter,
    folders: Vec<WatchedFolder>,
    watcher: FolderWatcher,
    recorder: Recorder,
}

impl DetectDriver {
    pub(crate) fn new(
        catalog: CatalogHandle,
        filter: Filter,
        watcher: FolderWatcher,
        recorder: Recorder,
    ) -> Self {
        Self {
            catalog,
            filter,
            folders: Vec::new(),
            watcher,
            recorder,
        }
    }

    /// Watch the enabled folders of the catalog and scan them.
    pub(crate) async fn start_up(&mut self, settle: &mut SettleDriver) {
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
        self.scan_all(settle).await;
    }

    fn watch(&mut self, folder: &WatchedFolder) {
        if let Err(e) = self.watcher.watch(&folder.path) {
            tracing::warn!(error = %e, "watching failed; the periodic scan still finds new files");
            self.recorder.emit(EngineEvent::FolderUnavailable {
                folder: folder.path.display().to_string(),
                reason: e.to_string(),
            });
        }
    }

    pub(crate) async fn scan_all(&mut self, settle: &mut SettleDriver) {
        for folder in self.folders.clone() {
            self.scan(&folder, settle).await;
        }
    }

    async fn scan(&mut self, folder: &WatchedFolder, settle: &mut SettleDriver) {
        let catalog = self.catalog.clone();
        let filter = self.filter.clone();
        let scanned = folder.clone();
        // The walk runs on a blocking thread and commits in batches (see `scan`).
        let result = tokio::task::spawn_blocking(move || {
            scan_folder(&catalog, &scanned, &filter, Timestamp::now())
        })
        .await;
        match result {
            Ok(Ok(report)) => self.on_scanned(folder, report, settle),
            Ok(Err(ScanError::Unavailable { path, reason })) => {
                tracing::warn!(folder = %path.display(), %reason, "folder unavailable; nothing changed");
                self.recorder.emit(EngineEvent::FolderUnavailable {
                    folder: path.display().to_string(),
                    reason,
                });
            }
            Ok(Err(e)) => tracing::error!(error = %e, "scan failed"),
            Err(e) => tracing::error!(error = %e, "scan task failed"),
        }
    }

    fn on_scanned(&self, folder: &WatchedFolder, report: ScanReport, settle: &mut SettleDriver) {
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
        self.recorder.emit(EngineEvent::Scanned {
            folder: folder.path.display().to_string(),
            seen: report.seen,
            new: report.new,
            changed: report.changed,
            vanished: report.vanished,
        });
        for (file, path) in report.to_settle {
            self.recorder.emit_file(file, &path, FilePhase::Discovered);
            settle.track(file, folder.id, path);
        }
    }

    pub(crate) async fn on_signal(&mut self, signal: WatchSignal, settle: &mut SettleDriver) {
        match signal {
            WatchSignal::Rescan { reason } => {
                tracing::info!(%reason, "rescanning every folder");
                self.scan_all(settle).await;
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
                    self.on_path(&path, true, settle).await;
                }
                for path in changed {
                    self.on_path(&path, false, settle).await;
                }
            }
        }
    }

    async fn on_path(&mut self, path: &Path, appeared: bool, settle: &mut SettleDriver) {
        let Some(folder) = self.folder_of(path).cloned() else {
            return;
        };
        if path.is_dir() {
            // A folder moved or copied in: its files arrive without events of their own.
            // (A folder that merely changed reports its files' own events.)
            if appeared && path != folder.path {
                self.scan(&folder, settle).await;
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
            Ok(Some(stat)) => self.observe(&folder, &rel_path, path, stat, settle).await,
            Ok(None) => self.gone(&folder, &rel_path, path, settle).await,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot stat; the next scan retries");
            }
        }
    }

    async fn observe(
        &self,
        folder: &WatchedFolder,
        rel_path: &RelPath,
        path: &Path,
        stat: FileStat,
        settle: &mut SettleDriver,
    ) {
        let now = Timestamp::now();
        let (id, rel_path) = (folder.id, rel_path.clone());
        match self
            .catalog
            .run(move |c| c.observe_file(id, &rel_path, &stat, now))
            .await
        {
            Ok(ObserveOutcome::New(file)) => {
                self.recorder.emit_file(file, path, FilePhase::Discovered);
                settle.track(file, folder.id, path.to_path_buf());
            }
            Ok(ObserveOutcome::Changed {
                file,
                abort_upload_id,
            }) => {
                if abort_upload_id.is_some() {
                    tracing::info!(path = %path.display(), "changed during upload; restarting it");
                }
                settle.track(file, folder.id, path.to_path_buf());
            }
            Ok(ObserveOutcome::Unchanged(_)) => {}
            Err(e) => tracing::error!(path = %path.display(), error = %e, "cannot record file"),
        }
    }

    /// A file of `folder` changed while it was read: observe it again (back to settling).
    pub(crate) async fn look_again(
        &self,
        folder: FolderId,
        path: &Path,
        settle: &mut SettleDriver,
    ) {
        if let Some(folder) = self.folders.iter().find(|f| f.id == folder)
            && let Ok(relative) = path.strip_prefix(&folder.path)
            && let Ok(Some(stat)) = stat_file(path)
            && let Ok(rel_path) = RelPath::from_path(relative)
        {
            self.observe(folder, &rel_path, path, stat, settle).await;
        }
    }

    /// A path reported by the watcher no longer exists.
    async fn gone(
        &self,
        folder: &WatchedFolder,
        rel_path: &RelPath,
        path: &Path,
        settle: &mut SettleDriver,
    ) {
        if !folder.path.is_dir() {
            // The whole folder went away (card pulled, share unmounted): not a deletion.
            return self.recorder.emit(EngineEvent::FolderUnavailable {
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
            settle.vanish(record.id, path).await;
        }
    }

    /// Queue the single file at `path` (with the same filter, settle, fingerprint and plan as a
    /// watched folder's files). Its folder is catalogued if no watched folder holds it, but
    /// disabled: it is neither watched nor scanned, now or at a later start, so only the named
    /// file goes up. Returns whether the file was queued (`false`: the filter leaves it out).
    pub(crate) async fn add_file(
        &mut self,
        path: &Path,
        settle: &mut SettleDriver,
    ) -> Result<bool, EngineError> {
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
                self.observe(&folder, &rel_path, &canonical, stat, settle)
                    .await;
                Ok(true)
            }
            Ok(None) | Err(_) => Err(not_found()),
        }
    }

    /// Watch `path` (and scan it now, if it was not watched yet).
    pub(crate) async fn add_folder(
        &mut self,
        path: &Path,
        settle: &mut SettleDriver,
    ) -> Result<FolderId, EngineError> {
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
            self.scan(&folder, settle).await;
        }
        Ok(id)
    }

    /// Stop watching `path` and forget it in the catalog; returns the folder that was watched
    /// (its files still in the later steps' queues are the caller's to drop).
    pub(crate) async fn remove_folder(
        &mut self,
        path: &Path,
    ) -> Result<Option<WatchedFolder>, EngineError> {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let Some(folder) = self.folders.iter().find(|f| f.path == canonical).cloned() else {
            return Ok(None);
        };
        let id = folder.id;
        self.catalog.run(move |c| c.remove_folder(id)).await?;
        self.watcher.unwatch(&folder.path);
        self.folders.retain(|f| f.id != folder.id);
        Ok(Some(folder))
    }

    /// The watched folder holding `path` (the innermost).
    fn folder_of(&self, path: &Path) -> Option<&WatchedFolder> {
        self.folders
            .iter()
            .filter(|f| path.starts_with(&f.path))
            .max_by_key(|f| f.path.as_os_str().len())
    }

    /// Where the file `rel_path` of `folder` is on disk, if the folder is known.
    pub(crate) fn absolute(&self, folder: FolderId, rel_path: &RelPath) -> Option<PathBuf> {
        self.folders
            .iter()
            .find(|f| f.id == folder)
            .map(|f| f.path.join(rel_path.to_path_buf()))
    }
}

/// The canonical path of an existing directory, or an error that says what to do.
fn canonical_folder(path: &Path) -> Result<PathBuf, EngineError> {
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
