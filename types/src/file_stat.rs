//! What the watcher, the scan, the settler and the catalog know about a file without
//! reading it: size, modification time and OS identity.

use std::fs::Metadata;
use std::time::{SystemTime, UNIX_EPOCH};

#[cfg(feature = "sql")]
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The operating system's identity of a file, stable across renames: device and inode on
/// unix. Stored as the text `"<dev>:<ino>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OsFileId {
    pub dev: u64,
    pub ino: u64,
}

impl OsFileId {
    /// The identity of inode `ino` on device `dev`.
    #[must_use]
    pub fn from_dev_ino(dev: u64, ino: u64) -> Self {
        Self { dev, ino }
    }

    /// The identity in `meta`, where the platform has one (unix).
    #[must_use]
    pub fn from_metadata(meta: &Metadata) -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Self::from_dev_ino(meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }
}

impl std::fmt::Display for OsFileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.dev, self.ino)
    }
}

#[cfg(feature = "sql")]
impl ToSql for OsFileId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_string()))
    }
}

#[cfg(feature = "sql")]
impl FromSql for OsFileId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        let parsed = text.split_once(':').and_then(|(dev, ino)| {
            Some(Self {
                dev: dev.parse().ok()?,
                ino: ino.parse().ok()?,
            })
        });
        parsed
            .ok_or_else(|| FromSqlError::Other(format!("not a `dev:ino` file id: {text:?}").into()))
    }
}

/// Size, modification time and identity: when all three are equal, the file is taken to be
/// unchanged and is not read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStat {
    /// Length in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (negative before 1970).
    pub mtime_ns: i64,
    /// The OS file identity, where the platform has one.
    pub os_file_id: Option<OsFileId>,
}

impl FileStat {
    /// The stat in `meta`, computed the same way for the watcher and the scan (a mismatch
    /// there would make every rescan see every file as changed). `None` where the platform
    /// reports no modification time, or one beyond the year 2262.
    #[must_use]
    pub fn from_metadata(meta: &Metadata) -> Option<Self> {
        Some(Self {
            size: meta.len(),
            mtime_ns: nanos_since_epoch(meta.modified().ok()?)?,
            os_file_id: OsFileId::from_metadata(meta),
        })
    }
}

fn nanos_since_epoch(time: SystemTime) -> Option<i64> {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_nanos()).ok(),
        Err(before) => i64::try_from(before.duration().as_nanos())
            .ok()
            .map(|ns| -ns),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn mtime_keeps_nanoseconds_and_sign() {
        let cases = [
            (
                UNIX_EPOCH + Duration::new(1_700_000_000, 123),
                Some(1_700_000_000_000_000_123),
            ),
            (UNIX_EPOCH - Duration::new(1, 0), Some(-1_000_000_000)),
            (UNIX_EPOCH + Duration::from_secs(u64::MAX / 2), None),
        ];
        for (time, expected) in cases {
            assert_eq!(
                nanos_since_epoch(time),
                expected,
                "nanosecond mtimes must survive exactly, or be refused when beyond i64"
            );
        }
    }

    #[test]
    fn stat_from_metadata_reads_size_and_identity() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let path = dir.path().join("a.jpg");
        std::fs::write(&path, b"12345").expect("the temp dir is writable");
        let meta = std::fs::metadata(&path).expect("the file was just written");
        let stat = FileStat::from_metadata(&meta).expect("Linux reports mtimes");
        assert_eq!(stat.size, 5, "size is the byte length");
        assert_eq!(
            stat.os_file_id.is_some(),
            cfg!(unix),
            "unix gives dev:inode, other platforms nothing"
        );
    }
}
