//! Activity screen: each file's progress, streamed in batches.

use lightbox_types::{FailureCode, SkipReason};
use serde::{Deserialize, Serialize};

use super::folders::FolderCounts;

/// Where a file is on its way to the bucket: the one vocabulary of a file's life, defined
/// with the catalog's states (`lightbox_types::stage`) and generated for TypeScript from there.
pub use lightbox_types::Stage;

/// What changed since the last batch: sent at most every 250 ms, never per byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ActivityBatch {
    /// Only the rows that changed since the last batch.
    pub files: Vec<FileActivity>,
    pub totals: ActivityTotals,
}

/// One file's row in the activity list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct FileActivity {
    /// The catalog's file id (what `retry_file` takes).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Full local path.
    pub path: String,
    /// File name.
    pub name: String,
    /// The watched folder it is in.
    pub folder: String,
    pub stage: Stage,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub parts_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub parts_total: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes_total: u64,
    /// The object key once planned.
    pub key: Option<String>,
    /// Why it was skipped or failed, and what to do.
    pub problem: Option<Problem>,
    /// RFC 3339 time of the last change.
    pub updated_at: String,
}

/// Why a file was skipped or failed; `message` says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
}

/// A problem's code: the failure's, or why the plan skipped the file (in TypeScript, the union
/// of the two string types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(untagged)]
pub enum ProblemCode {
    Failed(FailureCode),
    Skipped(SkipReason),
}

/// The whole queue at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ActivityTotals {
    /// Files by stage, over all folders (flattened: `waiting`, `uploading`, ...).
    #[serde(flatten)]
    pub counts: FolderCounts,
    /// Upload speed over the last few seconds.
    pub bytes_per_second: f64,
    pub paused: bool,
    /// `null`: unlimited.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bandwidth_limit_mib_per_sec: Option<u64>,
}
