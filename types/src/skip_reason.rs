//! Why a file was not uploaded although nothing failed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why the plan skipped a file. Stored in the catalog's `files.skip_reason` as
/// [`SkipReason::as_str`], the same text as the serde name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The same content is already uploaded (by any station).
    Duplicate,
    /// An admin deleted that content from the gallery; it is not uploaded again.
    Tombstoned,
}

impl SkipReason {
    /// The text stored in the catalog and used in logs and metrics labels.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Tombstoned => "tombstoned",
        }
    }

    /// The reason a stored `text` names, if any (`already_uploaded` is an older name of
    /// `duplicate`).
    #[must_use]
    pub fn from_stored(text: &str) -> Option<Self> {
        match text {
            "duplicate" | "already_uploaded" => Some(Self::Duplicate),
            "tombstoned" => Some(Self::Tombstoned),
            _ => None,
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_text_is_the_serde_name_and_reads_back() {
        for reason in [SkipReason::Duplicate, SkipReason::Tombstoned] {
            let json = serde_json::to_string(&reason).expect("a unit variant serializes");
            assert_eq!(json, format!("\"{reason}\""));
            assert_eq!(SkipReason::from_stored(reason.as_str()), Some(reason));
        }
        assert_eq!(
            SkipReason::from_stored("already_uploaded"),
            Some(SkipReason::Duplicate),
            "the older name still reads"
        );
        assert_eq!(SkipReason::from_stored("bored"), None);
    }
}
