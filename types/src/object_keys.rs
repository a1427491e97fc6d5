//! The bucket's key layout (DESIGN.md, "S3 layout"), the one place keys are spelled:
//!
//! ```text
//! originals/YYYY/MM/DD/<name>
//! previews/{thumb,screen}/YYYY/MM/DD/<name>.jpg
//! ```
//!
//! A preview is named after its original's final key name (including any rename suffix), so
//! the gallery finds it from the original's key alone. How a name is chosen and sanitized is
//! the engine's plan step; this module only joins the parts.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Where originals live.
pub const ORIGINALS_PREFIX: &str = "originals/";

/// Where previews live.
pub const PREVIEWS_PREFIX: &str = "previews/";

/// S3's key length limit, in UTF-8 bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The two preview sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviewKind {
    /// Grid thumbnails.
    Thumb,
    /// Screen-size previews for the full view.
    Screen,
}

impl PreviewKind {
    /// Both kinds, the largest first.
    pub const ALL: [PreviewKind; 2] = [PreviewKind::Screen, PreviewKind::Thumb];

    /// The folder name under `previews/`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Thumb => "thumb",
            Self::Screen => "screen",
        }
    }
}

/// `YYYY/MM/DD`.
#[must_use]
pub fn date_path(date: Date) -> String {
    format!("{:04}/{:02}/{:02}", date.year(), date.month(), date.day())
}

/// `originals/YYYY/MM/DD/`: the prefix to list one day's originals.
#[must_use]
pub fn originals_prefix(date: Date) -> String {
    format!("{ORIGINALS_PREFIX}{}/", date_path(date))
}

/// `previews/<kind>/YYYY/MM/DD/`: the prefix to list one day's previews.
#[must_use]
pub fn previews_prefix(kind: PreviewKind, date: Date) -> String {
    format!("{PREVIEWS_PREFIX}{}/{}/", kind.as_str(), date_path(date))
}

/// The key of `original`'s preview of `kind`: `originals/YYYY/MM/DD/<name>` becomes
/// `previews/<kind>/YYYY/MM/DD/<name>.jpg`. `None` for a key outside `originals/`.
#[must_use]
pub fn preview_key(kind: PreviewKind, original: &str) -> Option<String> {
    let rest = original.strip_prefix(ORIGINALS_PREFIX)?;
    Some(format!("{PREVIEWS_PREFIX}{}/{rest}.jpg", kind.as_str()))
}

/// The inverse of [`preview_key`] for either kind.
#[must_use]
pub fn original_key(preview: &str) -> Option<String> {
    let rest = preview.strip_prefix(PREVIEWS_PREFIX)?;
    let (_, rest) = rest.split_once('/')?;
    let rest = rest.strip_suffix(".jpg")?;
    Some(format!("{ORIGINALS_PREFIX}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_keys_mirror_the_original_key() {
        let cases = [
            (
                PreviewKind::Thumb,
                "originals/2024/05/01/a.cr3",
                Some("previews/thumb/2024/05/01/a.cr3.jpg"),
            ),
            (
                PreviewKind::Screen,
                "originals/2024/05/01/b c.jpg",
                Some("previews/screen/2024/05/01/b c.jpg.jpg"),
            ),
            (PreviewKind::Thumb, "elsewhere/a.jpg", None),
        ];
        for (kind, original, want) in cases {
            let key = preview_key(kind, original);
            assert_eq!(key.as_deref(), want, "{original}");
            if let Some(key) = key {
                assert_eq!(
                    original_key(&key).as_deref(),
                    Some(original),
                    "the mapping is reversible"
                );
            }
        }
    }
}
