//! Turning a local file name into the `<name>` part of an S3 key.
//!
//! Only the file name is kept, never the folders it sat in below the watched
//! folder: DESIGN.md's layout is `originals/YYYY/MM/DD/<name>`, and the date,
//! not the camera's folder structure, organizes the bucket.
//!
//! The rules, in order:
//! 1. Unicode NFC, so `e` + combining acute and the precomposed `é` give the same key
//!    (macOS file systems hand out NFD names);
//! 2. control characters removed (C0, DEL, C1), and the invisible bidirectional
//!    and zero-width marks that can make a name display as something it is not;
//! 3. `/` and `\` split the name into segments; empty, `.` and `..` segments are
//!    dropped and the rest joined with `_`, so no name can climb or add a folder;
//! 4. whitespace trimmed at both ends;
//! 5. nothing left (or only dots): `unnamed_<hash8>`, from the content's SHA-256;
//! 6. longer than [`MAX_NAME_BYTES`]: the stem is cut on a character boundary and
//!    the extension kept.
//!
//! A name these rules had to change (beyond NFC) could come out equal to another file's exact
//! name: `new\nline.jpg` becomes `newline.jpg`. Which of the two then kept the clean key would
//! depend on which was planned first, on which station. So such a name never takes the clean
//! key: [`is_changed`] says so, and the planner starts it on the rename ladder
//! (`<stem>_<hash8>.<ext>`, from its own content), which every station computes alike.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;

/// The longest name, in UTF-8 bytes, including any rename suffix. 255 is the name
/// limit of common desktop file systems, so every object can be downloaded under
/// its own name; the longest key built from it (a screen preview) stays far below
/// S3's 1024-byte key limit.
pub const MAX_NAME_BYTES: usize = 255;

/// A dot-suffix longer than this, or with characters other than letters and
/// digits, is part of the stem, not an extension ("Mr. Smith" has none).
const MAX_EXTENSION_BYTES: usize = 16;

/// A file name that is safe as the last part of a key. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SafeName(String);

impl SafeName {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without its extension.
    #[must_use]
    pub fn stem(&self) -> &str {
        split_extension(&self.0).0
    }

    /// The extension without the dot, as written (not lowercased).
    #[must_use]
    pub fn extension(&self) -> Option<&str> {
        split_extension(&self.0).1
    }

    /// `<stem><suffix>.<ext>`, the stem cut so that the result fits [`MAX_NAME_BYTES`].
    #[must_use]
    pub(crate) fn with_suffix(&self, suffix: &str) -> Self {
        let (stem, extension) = split_extension(&self.0);
        Self(join_within_limit(stem, suffix, extension))
    }
}

impl fmt::Display for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Make `raw` (a file name, possibly hostile) safe for a key. `sha256_hex` names
/// the content when nothing usable is left.
#[must_use]
pub fn sanitize_name(raw: &str, sha256_hex: &str) -> SafeName {
    let visible: String = raw.nfc().filter(|&c| !is_hidden_control(c)).collect();
    let joined = visible
        .split(['/', '\\'])
        .map(str::trim)
        .filter(|segment| !matches!(*segment, "" | "." | ".."))
        .collect::<Vec<_>>()
        .join("_");
    let name = joined.trim();
    if name.chars().all(|c| c == '.') {
        return SafeName(format!("unnamed_{}", hash8(sha256_hex)));
    }
    let (stem, extension) = split_extension(name);
    SafeName(join_within_limit(stem, "", extension))
}

/// Whether sanitizing `raw` into `name` changed more than its Unicode normalization, so that
/// `name` may be another file's exact name. The `unnamed_<hash8>` fallback already names its
/// content and is not counted as changed.
#[must_use]
pub fn is_changed(raw: &str, name: &SafeName, sha256_hex: &str) -> bool {
    let fallback = format!("unnamed_{}", hash8(sha256_hex));
    name.as_str() != fallback && !raw.nfc().eq(name.as_str().chars())
}

/// The first 8 hex digits of a SHA-256, lowercase: the rename and fallback tag.
#[must_use]
pub fn hash8(sha256_hex: &str) -> String {
    hash_prefix(sha256_hex, 8)
}

pub(crate) fn hash_prefix(sha256_hex: &str, len: usize) -> String {
    sha256_hex
        .chars()
        .take(len)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Control characters (Cc) and every format character (Cf: bidi marks and overrides, the
/// Arabic letter mark U+061C, the Mongolian vowel separator U+180E, the soft hyphen U+00AD,
/// zero-width spaces, the BOM, tags, ...), plus the line and paragraph separators U+2028/2029
/// (Zl, Zp). Kept: ZWJ and ZWNJ (U+200D, U+200C), which emoji sequences and Persian and Indic
/// names need and which cannot reorder or hide text.
fn is_hidden_control(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
    if matches!(c, '\u{200C}' | '\u{200D}') {
        return false;
    }
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

fn split_extension(name: &str) -> (&str, Option<&str>) {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= MAX_EXTENSION_BYTES
                && ext.chars().all(char::is_alphanumeric) =>
        {
            (stem, Some(ext))
        }
        _ => (name, None),
    }
}

/// `<stem><suffix>[.<ext>]`, cutting the stem on a char boundary to fit [`MAX_NAME_BYTES`].
fn join_within_limit(stem: &str, suffix: &str, extension: Option<&str>) -> String {
    let tail_len = suffix.len() + extension.map_or(0, |e| e.len() + 1);
    let budget = MAX_NAME_BYTES.saturating_sub(tail_len);
    let mut cut = stem.len().min(budget);
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut name = String::with_capacity(cut + tail_len);
    name.push_str(&stem[..cut]);
    name.push_str(suffix);
    if let Some(extension) = extension {
        name.push('.');
        name.push_str(extension);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    #[test]
    fn sanitize_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("plain", "IMG_0001.JPG", "IMG_0001.JPG"),
            (
                "spaces and case kept",
                "Wedding Day 01.jpeg",
                "Wedding Day 01.jpeg",
            ),
            ("NFD to NFC", "Cafe\u{301}.jpg", "Café.jpg"),
            ("already NFC", "Café.jpg", "Café.jpg"),
            ("NFD Hangul", "\u{1100}\u{1161}.jpg", "가.jpg"),
            (
                "control characters",
                "IMG\u{0}_\u{7}00\u{1b}1\n.jpg\r",
                "IMG_001.jpg",
            ),
            ("DEL and C1", "a\u{7f}b\u{85}c.jpg", "abc.jpg"),
            (
                "bidi override spoof",
                "photo\u{202E}gpj.exe",
                "photogpj.exe",
            ),
            ("zero-width and BOM", "\u{FEFF}IMG\u{200B}1.jpg", "IMG1.jpg"),
            (
                "format characters (Cf) and line separators",
                "a\u{061C}b\u{180E}c\u{00AD}d\u{2028}e\u{2029}f\u{E0041}g\u{FFF9}.jpg",
                "abcdefg.jpg",
            ),
            (
                "emoji ZWJ kept",
                "team 👨\u{200D}👩.jpg",
                "team 👨\u{200D}👩.jpg",
            ),
            ("dot-dot path", "../../etc/passwd", "etc_passwd"),
            ("dot-dot in the middle", "a/../b.jpg", "a_b.jpg"),
            ("backslash path", "..\\Windows\\x.jpg", "Windows_x.jpg"),
            ("separator inside", "day1/IMG_1.jpg", "day1_IMG_1.jpg"),
            ("dots that are not a segment", "..jpg", "..jpg"),
            (
                "dot-dot made by removing controls",
                ".\u{1}./x.jpg",
                "x.jpg",
            ),
            ("trimmed", "  IMG_1.jpg \t", "IMG_1.jpg"),
            ("empty", "", "unnamed_abcdef01"),
            ("only dots", "..", "unnamed_abcdef01"),
            ("only slashes and dots", "/./../", "unnamed_abcdef01"),
            ("only controls", "\u{0}\u{1}\u{2}", "unnamed_abcdef01"),
            ("only spaces", "   ", "unnamed_abcdef01"),
        ];
        for (what, raw, want) in cases {
            assert_eq!(sanitize_name(raw, SHA).as_str(), *want, "{what}: {raw:?}");
        }
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary_keeping_the_extension() {
        let cases: &[(&str, String, &str)] = &[
            ("ascii", "a".repeat(1000) + ".jpg", "jpg"),
            ("two-byte é", "é".repeat(1000) + ".CR3", "CR3"),
            ("three-byte CJK", "写".repeat(1000) + ".nef", "nef"),
            ("four-byte emoji", "📷".repeat(1000) + ".heic", "heic"),
            ("NFD input", "e\u{301}".repeat(1000) + ".jpg", "jpg"),
        ];
        for (what, raw, ext) in cases {
            let name = sanitize_name(raw, SHA);
            assert!(
                name.as_str().len() <= MAX_NAME_BYTES,
                "{what}: {} bytes",
                name.as_str().len()
            );
            assert!(
                name.as_str().len() > MAX_NAME_BYTES - 4,
                "{what}: cut no more than one char short, got {} bytes",
                name.as_str().len()
            );
            assert_eq!(name.extension(), Some(*ext), "{what}: extension kept");
            assert!(
                raw.nfc().collect::<String>().starts_with(name.stem()),
                "{what}: a prefix"
            );
        }
        let no_ext = sanitize_name(&"x".repeat(1000), SHA);
        assert_eq!(
            no_ext.as_str().len(),
            MAX_NAME_BYTES,
            "no extension: the whole name is cut"
        );
        let long_ext = sanitize_name(&format!("a.{}", "b".repeat(1000)), SHA);
        assert_eq!(
            long_ext.extension(),
            None,
            "a 1000-byte suffix is not an extension"
        );
        assert_eq!(long_ext.as_str().len(), MAX_NAME_BYTES);
    }

    #[test]
    fn extension_split_table() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("IMG_1.JPG", "IMG_1", Some("JPG")),
            ("archive.tar.gz", "archive.tar", Some("gz")),
            ("Mr. Smith", "Mr. Smith", None),
            ("README", "README", None),
            ("trailing.", "trailing.", None),
            ("..jpg", ".", Some("jpg")),
        ];
        for (raw, stem, ext) in cases {
            let name = sanitize_name(raw, SHA);
            assert_eq!((name.stem(), name.extension()), (*stem, *ext), "{raw}");
        }
    }

    #[test]
    fn suffix_fits_the_limit() {
        let name = sanitize_name(&("é".repeat(500) + ".jpg"), SHA);
        let renamed = name.with_suffix("_abcdef01");
        assert!(renamed.as_str().len() <= MAX_NAME_BYTES);
        assert!(renamed.as_str().ends_with("_abcdef01.jpg"), "{renamed}");
        assert_eq!(
            sanitize_name("a.jpg", SHA).with_suffix("_x").as_str(),
            "a_x.jpg"
        );
        assert_eq!(
            sanitize_name("README", SHA).with_suffix("_x").as_str(),
            "README_x"
        );
    }
}
