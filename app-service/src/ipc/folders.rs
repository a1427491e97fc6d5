//! Folders screen: the watched camera import folders and their queues.

use serde::{Deserialize, Serialize};

/// One watched folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct FolderView {
    pub path: String,
    pub status: FolderStatus,
    /// Why a folder is offline, in plain words; `null` otherwise.
    pub detail: Option<String>,
    pub counts: FolderCounts,
}

/// Whether a folder is being watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum FolderStatus {
    /// Watched; new files are picked up.
    Watching,
    /// Missing or unmounted: nothing is deleted, it is picked up again when it returns.
    Offline,
    /// Being scanned for files that arrived while nobody watched.
    Scanning,
}

/// Files of a folder by where they are on their way to the bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct FolderCounts {
    /// Discovered, settling, hashed or planned: not uploading yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub waiting: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uploading: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
}
