//! Settings screen: the user-facing part of the config file.

use serde::{Deserialize, Serialize};

/// What the Settings screen shows and saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct SettingsView {
    /// Which date names the `originals/YYYY/MM/DD/` folder.
    pub key_date: KeyDate,
    /// IANA time zone for that date, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// File extensions uploaded (lower case, no dot).
    pub file_types: Vec<String>,
    /// Seconds a file must be quiet before it is read.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub settle_secs: u64,
    /// Files uploaded at once.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub concurrency: u64,
    /// `null`: unlimited.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub bandwidth_limit_mib_per_sec: Option<u64>,
    /// Start the app at login.
    pub autostart: bool,
    /// Notify when a batch of uploads finished.
    pub notify_on_batch: bool,
    /// Notify when a file failed.
    pub notify_on_failure: bool,
}

/// Which date names an original's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum KeyDate {
    /// The photo's EXIF capture date.
    Capture,
    /// The day it was uploaded.
    Upload,
}
