//! The detect driver (DESIGN.md, data flow step 1): the watched folders, the watcher's signals
//! and the reconciliation scans become `Discovered` rows, which it hands to the settle driver.
//!
//! Which names count is the pure [`Filter`]'s decision; the walk is [`scan_folder`] (on a
//! blocking thread, committing in batches), the events are [`FolderWatcher`]'s. This driver
//! keeps the list of watched folders and does the rest of the I/O: stat, the catalog, the bus.
//! It also serves the engine's folder commands (add or remove a folder, queue one file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::EngineError;
use super::events::{EngineEvent, FilePhase};
use super::recorder::Recorder;
use super::scan::{ScanError, ScanReport, scan_folder};
use super::settle::SettleDriver;
use super::watcher::{FolderWatcher, WatchSignal};
use crate::catalog::{
    CatalogHandle, FolderId, FolderPresence, FolderState, ObserveOutcome, RelPath, WatchedFolder,
};
use crate::ingest::{
    Filter, FolderIdentity, FolderLook, Presence, PresenceAction, next_presence, stat_file,
};
use lightbox_types::FileStat;

pub(crate) struct DetectDriver {
    catalog: CatalogHandle,
    filter: Filter,
    folders: Vec<WatchedFolder>,
    watcher: FolderWatcher,
    recorder: Recorder,
    /// Whether each enabled folder was there at the last look (`ingest::presence`).
    presence: HashMap<FolderId, Presence>,
    /// Folders whose last scan could not be saved (a full or unwritable catalog disk), and
    /// when to scan them again: the next presence look does, not the periodic rescan.
    scan_again_at: HashMap<FolderId, std::time::Instant>,
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
            presence: HashMap::new(),
            scan_again_at: HashMap::new(),
        }
    }

    /// Watch the enabled folders of the catalog that are there and scan them; the others are
    /// offline until they come back.
    pub(crate) async fn start_up(&mut self, settle: &mut SettleDriver) {
        let folders = self.catalog.run(|c| c.list_folders()).await;
        match folders {
            Ok(folders) => self
                .folders
                .extend(folders.into_iter().filter(|f| f.enabled)),
            Err(e) => tracing::error!(error = %e, "cannot read the watched folders"),
        }
        self.check_presence(settle).await;
    }

    /// Look at every enabled folder's path (one `stat` each): watch and scan a folder that
    /// came back or was replaced, stop watching one that went away. Returns the folders that
    /// went offline, whose files the caller takes out of the later steps' queues (they are
    /// kept in the catalog, and the scan when the folder is back queues them again).
    pub(crate) async fn check_presence(&mut self, settle: &mut SettleDriver) -> Vec<WatchedFolder> {
        let mut gone = Vec::new();
        for folder in self.folders.clone().into_iter().filter(|f| f.enabled) {
            let look = look_at_folder(&folder.path);
            let step = next_presence(self.presence.get(&folder.id), look, Timestamp::now());
            if !step.changed {
                continue;
            }
            for action in &step.actions {
                match action {
                    PresenceAction::Unwatch => self.watcher.unwatch(&folder.path),
                    PresenceAction::Watch => self.watch(&folder),
                    PresenceAction::Scan => {}
                }
            }
            self.record_presence(&folder, &step.presence, step.replaced)
                .await;
            let went_offline = !step.presence.is_online();
            self.presence.insert(folder.id, step.presence);
            if step.actions.contains(&PresenceAction::Scan) {
                self.scan(&folder, settle).await;
            }
            if went_offline {
                gone.push(folder);
            }
        }
        self.scan_again_due(settle).await;
        gone
    }

    /// Scan again the folders whose last scan could not be saved, once their wait is over
    /// (an offline one waits until it is back: its scan then comes with the presence step).
    async fn scan_again_due(&mut self, settle: &mut SettleDriver) {
        let now = std::time::Instant::now();
        let due: Vec<WatchedFolder> = self
            .folders
            .iter()
            .filter(|f| self.scan_again_at.get(&f.id).is_some_and(|at| *at <= now))
            .filter(|f| matches!(self.presence.get(&f.id), Some(Presence::Online { .. })))
            .cloned()
            .collect();
        for folder in due {
            self.scan(&folder, settle).await;
        }
    }

    /// Log, store and announce a folder's new presence.
    async fn record_presence(&self, folder: &WatchedFolder, presence: &Presence, replaced: bool) {
        let stored = match presence {
            Presence::Online { since, .. } => {
                if replaced {
                    tracing::info!(folder = %folder.path.display(), "folder replaced (made again or another card): watching it again and scanning it");
                } else {
                    tracing::info!(folder = %folder.path.display(), "folder online: watching it and scanning it");
                }
                FolderPresence {
                    state: FolderState::Online,
                    since: *since,
                    reason: None,
                }
            }
            Presence::Offline { reason, since } => {
                tracing::warn!(folder = %folder.path.display(), %reason, "folder offline: not watched until it is back; its files are kept, nothing is deleted");
                self.recorder.emit(EngineEvent::FolderUnavailable {
                    folder: folder.path.display().to_string(),
                    reason: reason.clone(),
                });
                FolderPresence {
                    state: FolderState::Offline,
                    since: *since,
                    reason: Some(reason.clone()),
                }
            }
        };
        let id = folder.id;
        if let Err(e) = self
            .catalog
            .run(move |c| c.set_folder_presence(id, &stored))
            .await
        {
            tracing::error!(folder = %folder.path.display(), error = %e, "cannot record the folder's state");
        }
    }

    /// Whether `path` is a watched folder's root or above one (its removal or move takes the
    /// folder with it).
    fn touches_a_root(&self, path: &Path) -> bool {
        self.folders.iter().any(|f| f.path.starts_with(path))
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

    /// Scan every folder that is not offline (an offline folder is scanned when it is back).
    pub(crate) async fn scan_all(&mut self, settle: &mut SettleDriver) {
        for folder in self.folders.clone() {
            if matches!(
                self.presence.get(&folder.id),
                Some(Presence::Offline { .. })
            ) {
                continue;
            }
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
            Ok(Ok(report)) => {
                self.scan_again_at.remove(&folder.id);
                self.on_scanned(folder, report, settle);
            }
            // The batches saved before stay saved; the rest waits for the catalog's disk.
            Ok(Err(ScanError::Catalog(e))) => {
                let wait = self.recorder.catalog_wait();
                tracing::warn!(
                    folder = %folder.path.display(),
                    code = e.code().as_str(),
                    "scan not saved: {e}; scanning it again in {wait:?}"
                );
                self.scan_again_at
                    .insert(folder.id, std::time::Instant::now() + wait);
            }
            Ok(Err(ScanError::Unavailable { path, reason })) => {
                tracing::warn!(folder = %path.display(), %reason, "folder unavailable; nothing changed");
                self.recorder.emit(EngineEvent::FolderUnavailable {
                    folder: path.display().to_string(),
                    reason,
                });
            }
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

    /// Handle a watcher signal; returns the folders that went offline (see
    /// [`DetectDriver::check_presence`]).
    pub(crate) async fn on_signal(
        &mut self,
        signal: WatchSignal,
        settle: &mut SettleDriver,
    ) -> Vec<WatchedFolder> {
        if let WatchSignal::Paths { appeared, changed } = &signal
            && appeared
                .iter()
                .chain(changed)
                .any(|path| self.touches_a_root(path))
        {
            // A folder itself was removed, moved or made: look at once, not at the next tick.
            let gone = self.check_presence(settle).await;
            if !gone.is_empty() {
                return gone;
            }
        }
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
        Vec::new()
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
            // The whole folder went away (card pulled, share unmounted): not a deletion. The
            // presence look (`check_presence`) reports it and stops watching it.
            return;
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
            self.folders.push(folder.clone());
            // Watched and scanned by its first look, if it is there.
            self.presence.remove(&id);
            self.check_presence(settle).await;
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
        self.presence.remove(&folder.id);
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

/// One look at a folder's path: the directory there (device and inode), or why there is none.
fn look_at_folder(path: &Path) -> FolderLook {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => FolderLook::Present(identity_of(&meta)),
        Ok(_) => FolderLook::Absent {
            reason: "the path is no longer a folder".to_owned(),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FolderLook::Absent {
            reason: "the folder is gone (card removed, unmounted, moved away or deleted)"
                .to_owned(),
        },
        Err(e) => FolderLook::Absent {
            reason: format!("the folder cannot be read ({e})"),
        },
    }
}

#[cfg(unix)]
fn identity_of(meta: &std::fs::Metadata) -> FolderIdentity {
    use std::os::unix::fs::MetadataExt;
    FolderIdentity {
        device: meta.dev(),
        inode: meta.ino(),
    }
}

/// Without device and inode, a folder is only there or not: a replaced one is seen once it
/// has been gone for a look.
#[cfg(not(unix))]
fn identity_of(_meta: &std::fs::Metadata) -> FolderIdentity {
    FolderIdentity {
        device: 0,
        inode: 0,
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
