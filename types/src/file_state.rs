//! Where a file is in its life (see DESIGN.md, "One file's life"), stored as text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The state of one catalogued file. Stored in the `files.state` column as [`FileState::as_str`].
///
/// The happy path is `Discovered → Ready → Hashed → Planned → Uploading → Uploaded → Done`.
/// `Skipped` and `Done` are terminal; `Failed` waits for a retry (the catalog's `Catalog::retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// Seen on disk (event or scan), maybe still being written.
    Discovered,
    /// Size and mtime held still for the settle window and the file opened: safe to hash.
    Ready,
    /// SHA-256 and capture time recorded.
    Hashed,
    /// The planner chose the object key.
    Planned,
    /// An upload is under way (a multipart one keeps its `upload_id` and parts journal).
    Uploading,
    /// The original is in S3 and verified with `HeadObject`; previews are still to make.
    Uploaded,
    /// Original and previews are in S3. Terminal.
    Done,
    /// Nothing to upload (same content already uploaded, tombstoned, ...). Terminal.
    Skipped,
    /// A step failed; `retry` puts the file back where it failed.
    Failed,
}

impl FileState {
    /// Every state, in pipeline order (the order `lightbox status` shows them in).
    pub const ALL: [FileState; 9] = [
        FileState::Discovered,
        FileState::Ready,
        FileState::Hashed,
        FileState::Planned,
        FileState::Uploading,
        FileState::Uploaded,
        FileState::Done,
        FileState::Skipped,
        FileState::Failed,
    ];

    /// The text stored in the catalog and used in logs; the same as the serde name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FileState::Discovered => "discovered",
            FileState::Ready => "ready",
            FileState::Hashed => "hashed",
            FileState::Planned => "planned",
            FileState::Uploading => "uploading",
            FileState::Uploaded => "uploaded",
            FileState::Done => "done",
            FileState::Skipped => "skipped",
            FileState::Failed => "failed",
        }
    }

    /// The states of a file not yet in the bucket: still on its way there (the daemon's
    /// oldest-waiting-file gauge reads these). `failed` and `skipped` are not waiting.
    pub const WAITING: [FileState; 5] = [
        FileState::Discovered,
        FileState::Ready,
        FileState::Hashed,
        FileState::Planned,
        FileState::Uploading,
    ];

    /// The position in [`FileState::ALL`].
    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for FileState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of a file's life, as the catalog records it: each one moves a file from one of a few
/// states to another (or keeps it where it is while it records something). [`MOVES`] lists every
/// allowed move, and the catalog checks each step against it before writing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The file held still for its settle window and opens.
    MarkReady,
    /// Its SHA-256, CRC and capture time are recorded.
    RecordFingerprint,
    /// The planner chose its key.
    Plan,
    /// Nothing to upload (tombstoned content).
    Skip,
    /// Its content is already in the bucket at another key: done, without an upload.
    RecordDuplicate,
    /// An upload starts (or a resumed one records its multipart upload).
    StartUpload,
    /// S3 accepted a part of its multipart upload.
    RecordPart,
    /// Its multipart upload is forgotten: the upload starts over (a failed file stays failed).
    ClearUpload,
    /// The original is complete and verified.
    MarkUploaded,
    /// Its previews are made (or cannot be).
    MarkDone,
    /// A step failed.
    RecordFailure,
    /// A failed file goes back to the state it failed in.
    Retry,
}

impl Step {
    /// What the step does to a file, for messages ("cannot {action} file 7: ...").
    #[must_use]
    pub const fn action(self) -> &'static str {
        match self {
            Step::MarkReady => "mark ready",
            Step::RecordFingerprint => "record the fingerprint of",
            Step::Plan => "plan",
            Step::Skip => "skip",
            Step::RecordDuplicate => "record as a duplicate",
            Step::StartUpload => "start uploading",
            Step::RecordPart => "record a part of",
            Step::ClearUpload => "clear the upload of",
            Step::MarkUploaded => "mark uploaded",
            Step::MarkDone => "mark done",
            Step::RecordFailure => "record a failure of",
            Step::Retry => "retry",
        }
    }

    /// The states `self` may start from, in pipeline order (from [`MOVES`]).
    #[must_use]
    pub fn starts_from(self) -> Vec<FileState> {
        FileState::ALL
            .into_iter()
            .filter(|from| MOVES.iter().any(|m| m.step == self && m.from == *from))
            .collect()
    }

    /// Whether `self` may take a file from `from` to `to` (in [`MOVES`]).
    #[must_use]
    pub fn allows(self, from: FileState, to: FileState) -> bool {
        MOVES
            .iter()
            .any(|m| m.step == self && m.from == from && m.to == to)
    }
}

/// One allowed move: `step` takes a file from `from` to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub from: FileState,
    pub step: Step,
    pub to: FileState,
}

const fn mv(from: FileState, step: Step, to: FileState) -> Move {
    Move { from, step, to }
}

use FileState::{Discovered, Done, Failed, Hashed, Planned, Ready, Skipped, Uploaded, Uploading};

/// Every allowed move of a file between states: the whole state machine in one table. A change
/// on disk is not here: it resets any row to `Discovered` (the catalog's `observe_file`), and a
/// vanished file's row is deleted; neither is a step of the file's life.
pub const MOVES: &[Move] = &[
    // The happy path.
    mv(Discovered, Step::MarkReady, Ready),
    mv(Ready, Step::RecordFingerprint, Hashed),
    mv(Hashed, Step::Plan, Planned),
    mv(Planned, Step::StartUpload, Uploading),
    mv(Uploading, Step::MarkUploaded, Uploaded),
    mv(Uploaded, Step::MarkDone, Done),
    // Nothing to upload, decided before the upload starts.
    mv(Discovered, Step::Skip, Skipped),
    mv(Ready, Step::Skip, Skipped),
    mv(Hashed, Step::Skip, Skipped),
    mv(Planned, Step::Skip, Skipped),
    // Already in the bucket (the same content at another key): done, nothing to upload.
    mv(Hashed, Step::RecordDuplicate, Done),
    // The multipart journal: a resumed file records its upload, parts are journalled, and an
    // upload S3 no longer has is cleared so the upload starts over.
    mv(Uploading, Step::StartUpload, Uploading),
    mv(Uploading, Step::RecordPart, Uploading),
    mv(Uploading, Step::ClearUpload, Planned),
    mv(Failed, Step::ClearUpload, Failed),
    // Any working state can fail; a retry goes back to where it failed.
    mv(Discovered, Step::RecordFailure, Failed),
    mv(Ready, Step::RecordFailure, Failed),
    mv(Hashed, Step::RecordFailure, Failed),
    mv(Planned, Step::RecordFailure, Failed),
    mv(Uploading, Step::RecordFailure, Failed),
    mv(Uploaded, Step::RecordFailure, Failed),
    mv(Failed, Step::Retry, Discovered),
    mv(Failed, Step::Retry, Ready),
    mv(Failed, Step::Retry, Hashed),
    mv(Failed, Step::Retry, Planned),
    mv(Failed, Step::Retry, Uploading),
    mv(Failed, Step::Retry, Uploaded),
];

impl FileState {
    /// Whether some step of a file's life takes it from `self` to `to` ([`MOVES`]). `Done` and
    /// `Skipped` go nowhere; `Failed` goes back only where it failed, by a retry.
    #[must_use]
    pub fn can_move_to(self, to: FileState) -> bool {
        MOVES.iter().any(|m| m.from == self && m.to == to)
    }
}

/// A text that names no [`FileState`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a file state; expected one of discovered, ready, hashed, planned, \
     uploading, uploaded, done, skipped, failed"
)]
pub struct UnknownFileState {
    /// The text that did not parse.
    pub text: String,
}

impl FromStr for FileState {
    type Err = UnknownFileState;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FileState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| UnknownFileState {
                text: text.to_owned(),
            })
    }
}

#[cfg(feature = "sql")]
impl rusqlite::ToSql for FileState {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

#[cfg(feature = "sql")]
impl rusqlite::types::FromSql for FileState {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// How many catalogued files are in each state (for `lightbox status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    by_state: [u64; FileState::ALL.len()],
}

impl StateCounts {
    /// The number of files in `state`.
    #[must_use]
    pub fn get(&self, state: FileState) -> u64 {
        self.by_state[state.index()]
    }

    /// All catalogued files.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.by_state.iter().sum()
    }

    /// `(state, count)` for every state in pipeline order, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (FileState, u64)> + '_ {
        FileState::ALL
            .into_iter()
            .map(|state| (state, self.get(state)))
    }

    pub fn set(&mut self, state: FileState, count: u64) {
        self.by_state[state.index()] = count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_text() {
        for state in FileState::ALL {
            let parsed: FileState = state.as_str().parse().expect("as_str output parses");
            assert_eq!(
                parsed, state,
                "as_str and FromStr must be inverses for {state}"
            );
        }
    }

    #[test]
    fn serde_name_is_the_stored_text() {
        for state in FileState::ALL {
            let json = serde_json::to_string(&state).expect("a unit variant serializes");
            assert_eq!(
                json,
                format!("\"{}\"", state.as_str()),
                "the UI and the catalog must spell {state:?} the same way"
            );
        }
    }

    #[test]
    fn all_is_in_declaration_order_so_index_is_the_position() {
        for (position, state) in FileState::ALL.into_iter().enumerate() {
            assert_eq!(
                state.index(),
                position,
                "StateCounts relies on ALL[i].index() == i"
            );
        }
    }

    #[test]
    fn unknown_text_is_refused_with_the_list_of_states() {
        let err = "settled"
            .parse::<FileState>()
            .expect_err("`settled` is not a state");
        assert!(
            err.to_string().contains("discovered, ready"),
            "the message must say what is accepted: {err}"
        );
    }

    /// The states a file is worked on in, `Discovered` to `Uploaded`: each can fail.
    const WORKING: &[FileState] = FileState::ALL.split_at(6).0;

    #[test]
    fn the_moves_a_file_can_make_between_states() {
        use FileState as S;
        // Each row: from, the states it can move to.
        let failed_to = [WORKING, &[S::Failed]].concat();
        let table: [(FileState, &[FileState]); 9] = [
            (S::Discovered, &[S::Ready, S::Skipped, S::Failed]),
            (S::Ready, &[S::Hashed, S::Skipped, S::Failed]),
            // Done at once when its content is already in the bucket (a duplicate).
            (S::Hashed, &[S::Planned, S::Done, S::Skipped, S::Failed]),
            (S::Planned, &[S::Uploading, S::Skipped, S::Failed]),
            (
                S::Uploading,
                &[S::Planned, S::Uploading, S::Uploaded, S::Failed],
            ),
            (S::Uploaded, &[S::Done, S::Failed]),
            (S::Done, &[]),
            (S::Skipped, &[]),
            // Back where it failed (a retry), or still failed with its upload cleared.
            (S::Failed, &failed_to),
        ];
        for (from, allowed) in table {
            for to in FileState::ALL {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&to),
                    "{from} → {to}: the table above is the state machine"
                );
            }
        }
    }

    #[test]
    fn each_step_starts_from_the_states_the_catalog_checks() {
        use FileState as S;
        let table: [(Step, &[FileState]); 11] = [
            (Step::MarkReady, &[S::Discovered]),
            (Step::RecordFingerprint, &[S::Ready]),
            (Step::Plan, &[S::Hashed]),
            (
                Step::Skip,
                &[S::Discovered, S::Ready, S::Hashed, S::Planned],
            ),
            (Step::StartUpload, &[S::Planned, S::Uploading]),
            (Step::RecordPart, &[S::Uploading]),
            (Step::ClearUpload, &[S::Uploading, S::Failed]),
            (Step::MarkUploaded, &[S::Uploading]),
            (Step::MarkDone, &[S::Uploaded]),
            (Step::RecordFailure, WORKING),
            (Step::Retry, &[S::Failed]),
        ];
        for (step, from) in table {
            assert_eq!(step.starts_from(), from, "{step:?} starts from");
        }
        assert!(
            Step::ClearUpload.allows(S::Uploading, S::Planned)
                && Step::ClearUpload.allows(S::Failed, S::Failed)
                && !Step::ClearUpload.allows(S::Failed, S::Planned),
            "a cleared upload restarts an uploading file and leaves a failed one failed"
        );
    }

    #[test]
    fn counts_total_sums_every_state() {
        let mut counts = StateCounts::default();
        counts.set(FileState::Done, 3);
        counts.set(FileState::Failed, 2);
        assert_eq!(counts.total(), 5, "total is the sum over states");
        assert_eq!(counts.get(FileState::Ready), 0, "unset states count zero");
        assert_eq!(
            counts.iter().count(),
            9,
            "iter lists every state, zeros included"
        );
    }
}
