//! The one vocabulary of a file's life as people see it: [`Stage`].
//!
//! A file's life is recorded in two shapes: the catalog's [`FileState`] (stored, one per
//! committed step) and the engine's event for each step (`sync_core::engine::FilePhase`, which
//! also carries the step's data: the key, the part, the failure). Both map into [`Stage`] in
//! exactly one place each ([`FileState::stage`], `FilePhase::stage`), with exhaustive matches,
//! and the desktop app's `Stage` is this type, generated for TypeScript (`ui/src/lib/bindings`),
//! where the UI keeps only the words for each variant (`STAGE_LABELS`, a `Record<Stage, string>`
//! that TypeScript checks covers every one). So a new state, step or stage fails to compile
//! until every layer says where it belongs and what it is called.

use serde::{Deserialize, Serialize};

use crate::FileState;

/// Where a file is on its way to the bucket, as the activity list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Discovered, or waiting for its size and mtime to hold still (and to be read).
    Settling,
    /// Being fingerprinted and planned.
    Hashing,
    /// Planned, waiting for an upload slot.
    Queued,
    /// Bytes going up.
    Uploading,
    /// `HeadObject` checks the object's size and checksum.
    Verifying,
    /// The original is verified; its previews are being made.
    Previews,
    /// Original and previews are in the bucket.
    Done,
    /// Nothing to upload (a duplicate, tombstoned, or the file vanished first).
    Skipped,
    /// A step failed; the row says why and what to do.
    Failed,
}

impl FileState {
    /// The stage a file in this state is shown at (rows read back from the catalog).
    #[must_use]
    pub const fn stage(self) -> Stage {
        match self {
            FileState::Discovered | FileState::Ready => Stage::Settling,
            FileState::Hashed => Stage::Hashing,
            FileState::Planned => Stage::Queued,
            FileState::Uploading => Stage::Uploading,
            FileState::Uploaded => Stage::Previews,
            FileState::Done => Stage::Done,
            FileState::Skipped => Stage::Skipped,
            FileState::Failed => Stage::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_is_shown_at_a_stage_in_pipeline_order() {
        let stages: Vec<Stage> = FileState::ALL.into_iter().map(FileState::stage).collect();
        assert_eq!(
            stages,
            [
                Stage::Settling,
                Stage::Settling,
                Stage::Hashing,
                Stage::Queued,
                Stage::Uploading,
                Stage::Previews,
                Stage::Done,
                Stage::Skipped,
                Stage::Failed,
            ],
            "a ready file still waits to be read; an uploaded one waits for its previews"
        );
    }

    #[test]
    fn the_ui_spells_stages_in_camel_case() {
        let json = serde_json::to_string(&Stage::Previews).expect("a unit variant serializes");
        assert_eq!(json, "\"previews\"", "STAGE_LABELS keys are these names");
    }
}
