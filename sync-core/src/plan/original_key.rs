//! An original's key as the plan step builds it: a date, a sanitized name, and how far down the
//! rename ladder (`<stem>_<hash8>.<ext>`, ...) it is. The layout itself (prefixes, preview keys)
//! is `lightbox_types::object_keys`.

use std::fmt;

use jiff::civil::Date;

use lightbox_types::object_keys::{MAX_KEY_BYTES, PreviewKind, originals_prefix, previews_prefix};

use super::sanitize::{MAX_NAME_BYTES, SafeName, hash_prefix};

/// The hash lengths tried, in order, when a name is taken by different content:
/// `<stem>_<hash8>.<ext>`, then 16 hex digits, then the whole SHA-256.
pub const RENAME_HASH_LENGTHS: [usize; 3] = [8, 16, 64];

// The longest key: `previews/screen/YYYY/MM/DD/` + the longest name + `.jpg`.
const _: () = assert!("previews/screen/0000/00/00/".len() + MAX_NAME_BYTES + 4 <= MAX_KEY_BYTES);

/// The key of an original: a date, a safe name, and how far down the rename
/// ladder it is. Built by [`super::KeyPlanner::candidate_key`] and
/// [`OriginalKey::renamed`]; compare and store it by [`OriginalKey::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginalKey {
    date: Date,
    /// The sanitized name before any rename.
    base: SafeName,
    /// Index into [`RENAME_HASH_LENGTHS`] of the suffix in use, `None` for none.
    rung: Option<usize>,
    /// The final name (with suffix).
    name: SafeName,
    key: String,
}

impl OriginalKey {
    /// `originals/YYYY/MM/DD/<name>`.
    #[must_use]
    pub fn new(date: Date, name: SafeName) -> Self {
        let key = format!("{}{name}", originals_prefix(date));
        Self {
            date,
            base: name.clone(),
            rung: None,
            name,
            key,
        }
    }

    /// The full key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The date in the key.
    #[must_use]
    pub fn date(&self) -> Date {
        self.date
    }

    /// The last part of the key, with any rename suffix.
    #[must_use]
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// Whether a rename suffix was added.
    #[must_use]
    pub fn is_renamed(&self) -> bool {
        self.rung.is_some()
    }

    /// `previews/<kind>/YYYY/MM/DD/<name>.jpg`.
    #[must_use]
    pub fn preview_key(&self, kind: PreviewKind) -> String {
        format!("{}{}.jpg", previews_prefix(kind, self.date), self.name)
    }

    /// The next key to try when this one is taken by different content:
    /// `<stem>_<hash8>.<ext>`, then `_<hash16>`, then `_<sha256>`; `None` after that.
    /// Deterministic: the same content always gets the same renamed key.
    #[must_use]
    pub fn renamed(&self, sha256_hex: &str) -> Option<Self> {
        let rung = self.rung.map_or(0, |r| r + 1);
        let len = *RENAME_HASH_LENGTHS.get(rung)?;
        let name = self
            .base
            .with_suffix(&format!("_{}", hash_prefix(sha256_hex, len)));
        let key = format!("{}{name}", originals_prefix(self.date));
        Some(Self {
            date: self.date,
            base: self.base.clone(),
            rung: Some(rung),
            name,
            key,
        })
    }
}

impl fmt::Display for OriginalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::plan::sanitize::sanitize_name;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn key(name: &str) -> OriginalKey {
        OriginalKey::new(date(2024, 3, 9), sanitize_name(name, SHA))
    }

    #[test]
    fn layout_table() {
        let k = key("IMG_0001.JPG");
        let cases: &[(&str, String, &str)] = &[
            (
                "original",
                k.as_str().to_owned(),
                "originals/2024/03/09/IMG_0001.JPG",
            ),
            (
                "thumb",
                k.preview_key(PreviewKind::Thumb),
                "previews/thumb/2024/03/09/IMG_0001.JPG.jpg",
            ),
            (
                "screen",
                k.preview_key(PreviewKind::Screen),
                "previews/screen/2024/03/09/IMG_0001.JPG.jpg",
            ),
            (
                "day prefix",
                originals_prefix(date(1999, 12, 31)),
                "originals/1999/12/31/",
            ),
            (
                "preview prefix",
                previews_prefix(PreviewKind::Thumb, date(2024, 1, 2)),
                "previews/thumb/2024/01/02/",
            ),
            (
                "display",
                k.to_string(),
                "originals/2024/03/09/IMG_0001.JPG",
            ),
        ];
        for (what, got, want) in cases {
            assert_eq!(got, want, "{what}");
        }
    }

    #[test]
    fn rename_ladder_is_deterministic_and_ends() {
        let k = key("IMG_0001.JPG");
        let r1 = k.renamed(SHA).expect("first rung");
        let r2 = r1.renamed(SHA).expect("second rung");
        let r3 = r2.renamed(SHA).expect("third rung");
        assert_eq!(r1.as_str(), "originals/2024/03/09/IMG_0001_01234567.JPG");
        assert_eq!(r2.name(), "IMG_0001_0123456789abcdef.JPG");
        assert_eq!(r3.name(), format!("IMG_0001_{SHA}.JPG"));
        assert_eq!(r3.renamed(SHA), None, "no rung after the full hash");
        assert_eq!(
            k.renamed(SHA),
            Some(r1.clone()),
            "same content, same renamed key"
        );
        assert!(r1.is_renamed() && !k.is_renamed());
        assert_eq!(
            r1.preview_key(PreviewKind::Thumb),
            "previews/thumb/2024/03/09/IMG_0001_01234567.JPG.jpg",
            "previews follow the renamed name"
        );
        assert_eq!(
            key("README")
                .renamed(SHA)
                .map(|k| k.name().to_owned())
                .as_deref(),
            Some("README_01234567")
        );
    }

    #[test]
    fn every_key_fits_s3_even_for_the_longest_names() {
        for raw in [
            "a".repeat(2000),
            "é".repeat(1000) + ".jpg",
            "📷".repeat(1000) + ".heic",
        ] {
            let mut k = Some(key(&raw));
            while let Some(current) = k {
                for s in [
                    current.as_str().to_owned(),
                    current.preview_key(PreviewKind::Screen),
                    current.preview_key(PreviewKind::Thumb),
                ] {
                    assert!(s.len() <= MAX_KEY_BYTES, "{} bytes", s.len());
                }
                assert!(
                    current.name().len() <= MAX_NAME_BYTES,
                    "name {} bytes",
                    current.name().len()
                );
                k = current.renamed(SHA);
            }
        }
    }
}
