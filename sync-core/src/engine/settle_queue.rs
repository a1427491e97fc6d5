//! Files waiting to settle, and when the pipeline must look at them next.
//!
//! The pipeline sleeps until [`SettleQueue::next_wake`] instead of polling on a tick, so a
//! file whose settle window ends is looked at when it ends, not up to a tick later. The
//! window itself is the settler's ([`crate::ingest::SettleTracker`]): waking on time changes
//! when a quiet file is noticed, never what counts as quiet.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::catalog::{FileId, FolderId};

/// A file waiting to settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settling {
    pub file: FileId,
    pub folder: FolderId,
    /// When to look at it again.
    pub due: Instant,
    /// When it started settling.
    pub since: Instant,
}

/// The settling files by path, with the earliest time one of them is due.
#[derive(Debug, Default)]
pub(crate) struct SettleQueue {
    files: HashMap<PathBuf, Settling>,
    /// Never later than any file's `due` (it may be earlier after a removal: waking for
    /// nothing is harmless, sleeping past a due file is not).
    wake_at: Option<Instant>,
}

impl SettleQueue {
    /// Track `path` (replacing what was tracked for it).
    pub(crate) fn insert(&mut self, path: PathBuf, settling: Settling) {
        self.wake_at = Some(
            self.wake_at
                .map_or(settling.due, |wake| wake.min(settling.due)),
        );
        self.files.insert(path, settling);
    }

    pub(crate) fn remove(&mut self, path: &Path) -> Option<Settling> {
        self.files.remove(path)
    }

    /// Keep only the paths `keep` says yes to.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Path) -> bool) {
        self.files.retain(|path, _| keep(path));
    }

    /// Take out every file due at `now`. Each one is looked at; those that must wait longer
    /// are put back with [`Self::insert`] and their new due time.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<(PathBuf, Settling)> {
        let due: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(_, s)| s.due <= now)
            .map(|(path, _)| path.clone())
            .collect();
        let taken = due
            .into_iter()
            .filter_map(|path| self.files.remove(&path).map(|s| (path, s)))
            .collect();
        self.wake_at = self.files.values().map(|s| s.due).min();
        taken
    }

    /// When the next file is due (or a little earlier), `None` when nothing is settling.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.wake_at.filter(|_| !self.files.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn settling(id: i64, due: Instant) -> Settling {
        Settling {
            file: FileId::from_raw(id),
            folder: FolderId::from_raw(1),
            due,
            since: due,
        }
    }

    #[test]
    fn wakes_for_the_earliest_file_and_takes_only_due_ones() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut queue = SettleQueue::default();
        assert_eq!(queue.next_wake(), None, "nothing settling: no wake-up");
        queue.insert("b.jpg".into(), settling(2, at(2_300)));
        queue.insert("a.jpg".into(), settling(1, at(2_000)));
        queue.insert("c.jpg".into(), settling(3, at(5_000)));
        assert_eq!(queue.next_wake(), Some(at(2_000)), "the earliest due time");

        assert!(
            queue.take_due(at(1_999)).is_empty(),
            "nothing is taken before it is due"
        );
        let taken = queue.take_due(at(2_000));
        assert_eq!(
            taken,
            vec![(PathBuf::from("a.jpg"), settling(1, at(2_000)))]
        );
        assert_eq!(
            queue.next_wake(),
            Some(at(2_300)),
            "then the next one, to the millisecond"
        );

        // `a` must wait longer (it changed): back in, with its new time.
        queue.insert("a.jpg".into(), settling(1, at(4_000)));
        let mut taken = queue.take_due(at(4_500));
        taken.sort_by(|x, y| x.0.cmp(&y.0));
        let paths: Vec<_> = taken
            .iter()
            .map(|(p, _)| p.to_str().unwrap_or(""))
            .collect();
        assert_eq!(paths, ["a.jpg", "b.jpg"], "everything due by then");
        assert_eq!(queue.next_wake(), Some(at(5_000)));
    }

    #[test]
    fn removed_files_never_delay_the_others() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut queue = SettleQueue::default();
        queue.insert("a.jpg".into(), settling(1, at(1_000)));
        queue.insert("b.jpg".into(), settling(2, at(3_000)));
        queue.remove(Path::new("a.jpg"));
        let wake = queue.next_wake().expect("b is still settling");
        assert!(
            wake <= at(3_000),
            "the wake-up may come early after a removal, never after a due file"
        );
        assert!(queue.take_due(wake.max(at(1_000))).is_empty());
        assert_eq!(queue.next_wake(), Some(at(3_000)));
        queue.retain(|path| path != Path::new("b.jpg"));
        assert!(queue.take_due(at(3_000)).is_empty(), "b was dropped");
        assert_eq!(queue.next_wake(), None, "nothing left to wake for");
    }
}
