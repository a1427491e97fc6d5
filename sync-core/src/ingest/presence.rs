//! Is a watched folder there? Camera cards, card readers' mount points, external drives and
//! shares come and go: a folder can be removed and made again (`rm -rf card; mkdir card`, a
//! card swap), moved away and back, or unmounted. This module is the pure state machine that
//! decides, from one look at the folder (exists? which directory is it: device and inode?),
//! what the folder is now (online or offline, since when, why) and what the detect driver must
//! do about it (watch it again, stop watching the old directory, scan it).
//!
//! Offline is never "deleted": the files of an offline folder keep their rows, and nothing
//! remote changes. The look itself (one `stat`) is the driver's (`engine/detect.rs`).

use jiff::Timestamp;

/// Which directory a folder's path names now: its device and inode. A folder made again at
/// the same path (`rm -rf card; mkdir card`), or another card mounted there, has another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderIdentity {
    pub device: u64,
    pub inode: u64,
}

/// One look at a folder's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderLook {
    /// A directory is there.
    Present(FolderIdentity),
    /// No directory there (gone, not a directory any more, or not readable), and why.
    Absent { reason: String },
}

/// Whether a folder is there, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The folder is there and watched.
    Online {
        identity: FolderIdentity,
        since: Timestamp,
    },
    /// The folder is not there (card out, share unmounted, moved away, removed): not watched,
    /// not scanned, its files kept as they are.
    Offline { reason: String, since: Timestamp },
}

impl Presence {
    #[must_use]
    pub fn is_online(&self) -> bool {
        matches!(self, Presence::Online { .. })
    }
}

/// What the driver does after a look, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceAction {
    /// Stop watching the path (the directory it watched is gone, moved away or replaced: a
    /// watch follows the directory, not the path).
    Unwatch,
    /// Watch the path (the directory there now).
    Watch,
    /// Scan the folder: files that arrived while it was not watched bring no events.
    Scan,
}

/// What changed with one look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceStep {
    /// The folder's presence after the look.
    pub presence: Presence,
    /// What to do, in order (empty: nothing changed).
    pub actions: Vec<PresenceAction>,
    /// Whether `presence` differs from the one before (record it, tell the user).
    pub changed: bool,
    /// The folder is there but is another directory than the one watched (made again, or
    /// another card mounted at its path).
    pub replaced: bool,
}

/// The folder's presence after `look` at `now`, from `before` (`None`: not looked at yet in
/// this process, e.g. at start, when nothing is watched).
#[must_use]
pub fn next_presence(before: Option<&Presence>, look: FolderLook, now: Timestamp) -> PresenceStep {
    use PresenceAction::{Scan, Unwatch, Watch};
    let step = |presence, actions: &[PresenceAction], replaced| PresenceStep {
        presence,
        actions: actions.to_vec(),
        changed: true,
        replaced,
    };
    match (before, look) {
        (None, FolderLook::Present(identity)) => step(
            Presence::Online {
                identity,
                since: now,
            },
            &[Watch, Scan],
            false,
        ),
        (Some(Presence::Offline { .. }), FolderLook::Present(identity)) => step(
            Presence::Online {
                identity,
                since: now,
            },
            &[Unwatch, Watch, Scan],
            false,
        ),
        (Some(Presence::Online { identity: was, .. }), FolderLook::Present(identity))
            if *was != identity =>
        {
            step(
                Presence::Online {
                    identity,
                    since: now,
                },
                &[Unwatch, Watch, Scan],
                true,
            )
        }
        (None, FolderLook::Absent { reason }) => {
            step(Presence::Offline { reason, since: now }, &[], false)
        }
        (Some(Presence::Online { .. }), FolderLook::Absent { reason }) => {
            step(Presence::Offline { reason, since: now }, &[Unwatch], false)
        }
        // Same directory still there, or still gone (the first reason and time are kept).
        (Some(same), _) => PresenceStep {
            presence: same.clone(),
            actions: Vec::new(),
            changed: false,
            replaced: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PresenceAction::{Scan, Unwatch, Watch};

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).expect("valid")
    }

    fn dir(inode: u64) -> FolderIdentity {
        FolderIdentity { device: 8, inode }
    }

    fn online(inode: u64, since: i64) -> Presence {
        Presence::Online {
            identity: dir(inode),
            since: at(since),
        }
    }

    fn offline(reason: &str, since: i64) -> Presence {
        Presence::Offline {
            reason: reason.to_owned(),
            since: at(since),
        }
    }

    fn gone(reason: &str) -> FolderLook {
        FolderLook::Absent {
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn each_look_gives_the_presence_and_the_actions_of_the_table() {
        struct Row {
            what: &'static str,
            before: Option<Presence>,
            look: FolderLook,
            after: Presence,
            actions: &'static [PresenceAction],
            changed: bool,
            replaced: bool,
        }
        let rows = [
            Row {
                what: "first look at start, folder there: watch and scan it",
                before: None,
                look: FolderLook::Present(dir(1)),
                after: online(1, 10),
                actions: &[Watch, Scan],
                changed: true,
                replaced: false,
            },
            Row {
                what: "first look at start, folder missing: offline, nothing watched",
                before: None,
                look: gone("no such folder"),
                after: offline("no such folder", 10),
                actions: &[],
                changed: true,
                replaced: false,
            },
            Row {
                what: "same directory still there: nothing to do",
                before: Some(online(1, 5)),
                look: FolderLook::Present(dir(1)),
                after: online(1, 5),
                actions: &[],
                changed: false,
                replaced: false,
            },
            Row {
                what: "removed or moved away: offline, the old watch dropped",
                before: Some(online(1, 5)),
                look: gone("no such folder"),
                after: offline("no such folder", 10),
                actions: &[Unwatch],
                changed: true,
                replaced: false,
            },
            Row {
                what: "still gone: reason and since kept",
                before: Some(offline("no such folder", 5)),
                look: gone("not a folder"),
                after: offline("no such folder", 5),
                actions: &[],
                changed: false,
                replaced: false,
            },
            Row {
                what: "back (made again or moved back): watched again and scanned",
                before: Some(offline("no such folder", 5)),
                look: FolderLook::Present(dir(2)),
                after: online(2, 10),
                actions: &[Unwatch, Watch, Scan],
                changed: true,
                replaced: false,
            },
            Row {
                what: "replaced between two looks (rm -rf; mkdir, card swap): re-watched, scanned",
                before: Some(online(1, 5)),
                look: FolderLook::Present(dir(2)),
                after: online(2, 10),
                actions: &[Unwatch, Watch, Scan],
                changed: true,
                replaced: true,
            },
        ];
        for row in rows {
            let step = next_presence(row.before.as_ref(), row.look, at(10));
            assert_eq!(step.presence, row.after, "{}", row.what);
            assert_eq!(step.actions, row.actions, "{}", row.what);
            assert_eq!(step.changed, row.changed, "{}", row.what);
            assert_eq!(step.replaced, row.replaced, "{}", row.what);
        }
    }
}
