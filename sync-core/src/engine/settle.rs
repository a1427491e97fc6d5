//! The settle driver (DESIGN.md, data flow step 2): files found by the detect driver wait here
//! until they have been quiet for their window and open, then they are `Ready` and go to the
//! hash driver.
//!
//! Whether a file is quiet is the pure [`Settler`]'s decision; this driver does the I/O around
//! it (stat, open, the catalog, the clock) and keeps the [`SettleQueue`], which says when to
//! look at each file again: the pipeline sleeps until [`SettleDriver::next_wake`], so a file is
//! looked at when its window ends, not on a tick.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::events::FilePhase;
use super::hash::HashJob;
use super::recorder::Recorder;
use super::settle_queue::{SettleQueue, Settling};
use crate::catalog::{CatalogHandle, FileId, FolderId};
use crate::ingest::{SettleError, SettleStatus, Settler, probe_open, stat_file};
use lightbox_types::{FailureCode, FileStat};

/// The shortest time between two looks at the same settling file.
const MIN_LOOK_GAP: Duration = Duration::from_millis(10);

pub(crate) struct SettleDriver {
    catalog: CatalogHandle,
    settler: Settler,
    /// Files waiting to settle, and when the next one is due.
    settling: SettleQueue,
    /// The quiet window for an empty file (which never settles): after it, the file
    /// is reported as empty instead of waiting for ever.
    empty_window: Duration,
    recorder: Recorder,
}

impl SettleDriver {
    pub(crate) fn new(
        catalog: CatalogHandle,
        settler: Settler,
        empty_window: Duration,
        recorder: Recorder,
    ) -> Self {
        Self {
            catalog,
            settler,
            settling: SettleQueue::default(),
            empty_window,
            recorder,
        }
    }

    /// Start settling `path` (again, if it was): it is looked at right away.
    pub(crate) fn track(&mut self, file: FileId, folder: FolderId, path: PathBuf) {
        self.recorder.emit_file(file, &path, FilePhase::Settling);
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

    /// Start settling `path` after a restart: a file unchanged since the catalog last saw it
    /// (`catalogued`, at `unchanged_since`) carries on its window instead of starting it again.
    pub(crate) fn resume(
        &mut self,
        file: FileId,
        folder: FolderId,
        path: PathBuf,
        catalogued: FileStat,
        unchanged_since: Timestamp,
    ) {
        let quiet_for = Timestamp::now()
            .duration_since(unchanged_since)
            .try_into()
            .unwrap_or(Duration::ZERO);
        match stat_file(&path) {
            Ok(now_stat) => {
                self.settler
                    .resume(&path, catalogued, now_stat, quiet_for, Instant::now());
            }
            Err(e) => tracing::debug!(path = %path.display(), error = %e, "stat at resume"),
        }
        self.track(file, folder, path);
    }

    /// `file` is gone from disk: stop settling it and record it as vanished.
    pub(crate) async fn vanish(&mut self, file: FileId, path: &Path) {
        self.settling.remove(path);
        self.settler.forget(path);
        self.recorder.vanished(file, path).await;
    }

    /// Stop settling the files under `folder` (no longer watched).
    pub(crate) fn drop_folder(&mut self, folder: &Path) {
        self.settling.retain(|p| !p.starts_with(folder));
    }

    /// When the next settling file is due.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.settling.next_wake()
    }

    /// Look at every settling file whose time has come; returns the files now `Ready`, in
    /// order, for the hash driver.
    pub(crate) async fn settle_due(&mut self, now: Instant) -> Vec<HashJob> {
        let mut ready = Vec::new();
        // Taken out of the queue: each goes back in only if it must wait longer.
        for (path, settling) in self.settling.take_due(now) {
            let Settling { file, since, .. } = settling;
            let stat = match stat_file(&path) {
                Ok(stat) => stat,
                Err(e) => {
                    self.recorder
                        .fail(
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
                    self.recorder
                        .fail(file, &path, FailureCode::IngestEmptyFile, message, None)
                        .await;
                }
                SettleStatus::Wait { until } => self.look_again(path, settling, until, now),
                SettleStatus::Vanished => self.vanish(file, &path).await,
                SettleStatus::Ready => ready.extend(self.ready(settling, &path, stat, now).await),
            }
        }
        ready
    }

    /// Put a file taken out of the settle queue back in, to be looked at at `until`, but never
    /// sooner than [`MIN_LOOK_GAP`] after this look (a zero-length window must not spin).
    fn look_again(&mut self, path: PathBuf, settling: Settling, until: Instant, now: Instant) {
        let due = until.max(now + MIN_LOOK_GAP);
        self.settling.insert(path, Settling { due, ..settling });
    }

    /// `path` is quiet for its whole window (and out of the settle queue): open it and mark it
    /// ready (returning its fingerprint job), or put it back in the queue to wait again.
    async fn ready(
        &mut self,
        settling: Settling,
        path: &Path,
        stat: Option<FileStat>,
        now: Instant,
    ) -> Option<HashJob> {
        let Settling { file, folder, .. } = settling;
        let Some(stat) = stat else {
            self.vanish(file, path).await;
            return None;
        };
        match probe_open(path) {
            Ok(()) => match self
                .catalog
                .run(move |c| c.mark_ready(file, Timestamp::now()))
                .await
            {
                Ok(()) => {
                    return Some(HashJob {
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
                    let wait = self.recorder.catalog_wait();
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
                self.recorder
                    .fail(file, path, e.code(), &e.to_string(), None)
                    .await;
            }
        }
        None
    }
}
