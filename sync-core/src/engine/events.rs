//! What the engine tells whoever is watching: one bus, many subscribers (the CLI's
//! progress, the daemon's log, the desktop app).

use lightbox_types::{FailureCode, SkipReason};
use serde::Serialize;

use lightbox_types::Stage;

/// One event on the engine's bus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A file moved through its life.
    File(FileEvent),
    /// A reconciliation scan of a folder finished.
    Scanned {
        folder: String,
        seen: u64,
        new: u64,
        changed: u64,
        vanished: u64,
    },
    /// A watched folder cannot be read (unmounted, deleted, no permission). Nothing
    /// is treated as deleted while it is unavailable.
    FolderUnavailable { folder: String, reason: String },
    /// The upload controls changed (`Engine::pause`, `resume`, `set_bandwidth_limit`).
    /// While `paused`, no new upload request starts; ingest goes on.
    UploadControls {
        paused: bool,
        /// MiB per second over all uploads; `None`: unlimited.
        bandwidth_limit_mib_per_sec: Option<u64>,
    },
}

/// A file's step, with its path as the user knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEvent {
    /// The catalog row id.
    pub file: i64,
    /// Absolute path on this machine.
    pub path: String,
    pub phase: FilePhase,
}

/// Where a file is: the step it just took, with that step's data ([`FilePhase::stage`] is
/// where that puts it in the one vocabulary of a file's life, [`Stage`]). `Skipped` and
/// `Failed` carry a stable code and a sentence that says what it means or what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum FilePhase {
    Discovered,
    Settling,
    Hashing,
    Planned {
        key: String,
    },
    Skipped {
        reason: SkipReason,
        detail: String,
    },
    Failed {
        code: FailureCode,
        message: String,
    },
    /// Gone from disk before it was uploaded; dropped from the queue. Nothing remote changes.
    Vanished,
    /// Bytes going up: sent once when the upload starts (`part` 0) and once per part S3
    /// accepted (a single put is one part). Never per byte.
    Uploading {
        /// The part just accepted (1-based), or 0 when the upload starts or resumes.
        part: u16,
        parts: u16,
        /// Bytes S3 holds so far (parts resumed from an earlier run included).
        bytes_sent: u64,
        bytes_total: u64,
    },
    /// The object is complete; `HeadObject` is checking its size and checksum.
    Verifying {
        key: String,
    },
    /// The object at `key` is verified: the original is safely in the bucket. `duplicate`
    /// when the key already held this exact content (an earlier attempt, or another copy).
    Uploaded {
        key: String,
        duplicate: bool,
    },
    /// Original and previews are in the bucket (or no preview can be made, `previews`
    /// false): the file is finished. Sent by the previewer.
    Done {
        key: Option<String>,
        /// Whether a thumbnail and a screen preview exist for it.
        previews: bool,
        /// Its content was already in the bucket at `key` (another file's upload): done
        /// without an upload of its own, so no `Uploaded` came before.
        duplicate: bool,
    },
}

impl FilePhase {
    /// The stage this step puts the file at: the only place an engine event is named in the
    /// vocabulary people see (the activity list, the tray).
    #[must_use]
    pub fn stage(&self) -> Stage {
        match self {
            FilePhase::Discovered | FilePhase::Settling => Stage::Settling,
            FilePhase::Hashing => Stage::Hashing,
            FilePhase::Planned { .. } => Stage::Queued,
            FilePhase::Uploading { .. } => Stage::Uploading,
            FilePhase::Verifying { .. } => Stage::Verifying,
            FilePhase::Uploaded { .. } => Stage::Previews,
            FilePhase::Done { .. } => Stage::Done,
            // A file that vanished before its upload left the queue: nothing was uploaded.
            FilePhase::Skipped { .. } | FilePhase::Vanished => Stage::Skipped,
            FilePhase::Failed { .. } => Stage::Failed,
        }
    }
}
