//! Gallery screen: days, pages of presigned previews, download and delete.

use lightbox_types::FailureCode;
use serde::{Deserialize, Serialize};

/// One day of the shoot in the gallery's day list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct GalleryDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
}

/// A page of a day's photos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct GalleryPage {
    pub items: Vec<GalleryItem>,
    /// Pass back for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// One original in the gallery, with presigned preview URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct GalleryItem {
    /// The original's key (`originals/YYYY/MM/DD/<name>`).
    pub key: String,
    pub name: String,
    pub day: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// RFC 3339, from EXIF, when known.
    pub captured_at: Option<String>,
    pub uploaded_by: Option<String>,
    /// Presigned thumbnail URL; `null` when no preview exists.
    pub thumb_url: Option<String>,
    /// Presigned screen-size preview URL; `null` when no preview exists.
    pub screen_url: Option<String>,
}

/// What a delete would remove; confirm with `token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct DeletePlanView {
    pub token: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    pub keys: Vec<String>,
}

/// What a confirmed delete did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct DeleteReportView {
    pub deleted: Vec<String>,
    pub failed: Vec<KeyProblem>,
}

/// A key that could not be deleted, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct KeyProblem {
    pub key: String,
    pub code: FailureCode,
    pub message: String,
}

/// What dropping files or ZIPs on the window did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Files queued for upload (a ZIP's photos included).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub queued: u64,
    /// ZIP files unpacked.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub zips: u64,
    pub rejected: Vec<PathProblem>,
}

/// A dropped path that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct PathProblem {
    pub path: String,
    pub code: FailureCode,
    pub message: String,
}
