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
