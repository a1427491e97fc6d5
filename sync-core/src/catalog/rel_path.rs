//! A file's path relative to its watched folder, as stored in `files.rel_path`.
//!
//! # Non-UTF-8 names
//! The column is UTF-8 text with `/` separators on every platform. A path that is valid
//! UTF-8 is stored verbatim. A unix path that is not (e.g. Latin-1 names from an old share)
//! is stored *escaped*: a leading `/` (which a relative path never has, so the two forms
//! cannot collide), then the path with each byte that is not part of valid UTF-8 written as
//! `%XX` and each literal `%` as `%25`. The escaping is lossless, so [`RelPath::to_path_buf`]
//! gives back the exact bytes to open, and `UNIQUE(folder_id, rel_path)` still holds. Other
//! platforms refuse non-Unicode names with [`CatalogError::InvalidRelPath`].

use std::borrow::Cow;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use rusqlite::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use super::CatalogError;

/// Marks the escaped form of a non-UTF-8 path (see the module docs).
const ESCAPED_MARKER: char = '/';

/// A path relative to its watched folder, normalized to `/` separators, without `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

impl RelPath {
    /// Normalize `path` (relative to its watched folder). Refuses empty, absolute and `..`
    /// paths, and non-Unicode names on platforms other than unix.
    ///
    /// # Errors
    /// [`CatalogError::InvalidRelPath`] saying which of the above it was.
    pub fn from_path(path: &Path) -> Result<Self, CatalogError> {
        let invalid = |reason| CatalogError::InvalidRelPath {
            path: path.to_path_buf(),
            reason,
        };
        let mut bytes = Vec::with_capacity(path.as_os_str().len());
        for component in path.components() {
            match component {
                Component::Normal(name) => {
                    if !bytes.is_empty() {
                        bytes.push(b'/');
                    }
                    bytes.extend_from_slice(name.as_encoded_bytes());
                }
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(invalid("it leaves its watched folder through `..`"));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(invalid(
                        "it is absolute; pass the path relative to its watched folder",
                    ));
                }
            }
        }
        if bytes.is_empty() {
            return Err(invalid("it names no file inside the watched folder"));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self(text)),
            Err(not_utf8) if cfg!(unix) => Ok(Self(escape(not_utf8.as_bytes()))),
            Err(_) => Err(invalid("its name is not valid Unicode; rename the file")),
        }
    }

    /// The text stored in the catalog (escaped for non-UTF-8 names).
    #[must_use]
    pub fn as_stored(&self) -> &str {
        &self.0
    }

    /// Whether the name was valid UTF-8 (stored verbatim).
    #[must_use]
    pub fn is_utf8(&self) -> bool {
        !self.0.starts_with(ESCAPED_MARKER)
    }

    /// The exact path to open, relative to the watched folder.
    #[must_use]
    pub fn to_path_buf(&self) -> PathBuf {
        match self.0.strip_prefix(ESCAPED_MARKER) {
            None => PathBuf::from(&self.0),
            Some(escaped) => path_from_bytes(unescape(escaped)),
        }
    }

    /// The path for people and S3 keys: invalid bytes shown as U+FFFD.
    #[must_use]
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match self.0.strip_prefix(ESCAPED_MARKER) {
            None => Cow::Borrowed(&self.0),
            Some(escaped) => Cow::Owned(String::from_utf8_lossy(&unescape(escaped)).into_owned()),
        }
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl ToSql for RelPath {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.0.as_str().into())
    }
}

impl FromSql for RelPath {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(|text| Self(text.to_owned()))
    }
}

fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    out.push(ESCAPED_MARKER);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '%' {
                out.push_str("%25");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn unescape(escaped: &str) -> Vec<u8> {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| escaped.get(i + 1..i + 3))
            .flatten()
            .and_then(|digits| u8::from_str_radix(digits, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    // Only unix stores escaped names; elsewhere this is reached only for a hand-edited row.
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FailureCode;

    #[test]
    fn utf8_paths_are_stored_verbatim_with_slashes() {
        let cases = [
            ("a.jpg", "a.jpg"),
            ("shoot/IMG_0001.CR3", "shoot/IMG_0001.CR3"),
            ("./shoot//b.nef", "shoot/b.nef"),
            ("50% off/ü.jpg", "50% off/ü.jpg"),
        ];
        for (input, stored) in cases {
            let rel = RelPath::from_path(Path::new(input)).expect("a relative UTF-8 path");
            assert_eq!(
                rel.as_stored(),
                stored,
                "{input} is normalized, never escaped"
            );
            assert!(rel.is_utf8(), "{input} is valid UTF-8");
            assert_eq!(
                rel.to_path_buf(),
                PathBuf::from(stored),
                "opening uses the same path"
            );
        }
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        for input in ["", ".", "../a.jpg", "a/../../b.jpg", "/etc/passwd"] {
            let err = RelPath::from_path(Path::new(input)).expect_err("not inside the folder");
            assert_eq!(
                err.code(),
                FailureCode::CatalogInvalidRelPath,
                "{input} must be refused"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_round_trip_exactly_and_cannot_collide() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;

        let raw: &[u8] = b"shoot/caf\xe9 50%.jpg";
        let rel = RelPath::from_path(Path::new(OsStr::from_bytes(raw))).expect("unix allows it");
        assert_eq!(
            rel.as_stored(),
            "/shoot/caf%E9 50%25.jpg",
            "escaped, with the marker"
        );
        assert!(!rel.is_utf8(), "the name is Latin-1");
        assert_eq!(
            rel.to_path_buf().as_os_str().as_bytes(),
            raw,
            "the escape is lossless, so the file can be opened again"
        );
        assert_eq!(
            rel.to_string(),
            "shoot/caf\u{fffd} 50%.jpg",
            "display is lossy"
        );

        let look_alike = RelPath::from_path(Path::new("shoot/caf%E9 50%25.jpg")).expect("UTF-8");
        assert_ne!(
            look_alike.as_stored(),
            rel.as_stored(),
            "a UTF-8 name that spells the escape is stored verbatim, without the leading /"
        );
    }
}
