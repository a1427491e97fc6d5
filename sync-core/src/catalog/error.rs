//! What can go wrong with the catalog, each with what to do about it.

use std::path::{Path, PathBuf};

use lightbox_types::FailureCode;
use rusqlite::ffi::ErrorCode;

use super::{FileId, FileState, FolderId};

/// A catalog failure. Every message says what happened and what to do; [`CatalogError::code`]
/// gives a stable short code for logs and the UI.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(
        "could not open catalog {path}: {source}. Check that its directory exists and is writable"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error(
        "catalog {path} could not be read ({source}): move it aside and restart; \
         the reconciliation scan rebuilds it"
    )]
    Corrupt {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error(
        "catalog {path} has schema version {found}, but this Lightbox knows only up to \
         {supported}: a newer Lightbox wrote it (was this one installed over it?); install that \
         version or a newer one again, or point this one at a different catalog. The catalog \
         was left untouched"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "catalog {path} stayed locked by another process for more than 5 s during {op}: \
         close other programs using it (e.g. sqlite3) and try again"
    )]
    Busy { path: PathBuf, op: &'static str },

    #[error("the disk holding catalog {path} is full ({op} was not saved): free some space")]
    DiskFull { path: PathBuf, op: &'static str },

    #[error(
        "catalog {path} cannot be written ({op}: {source}): check the permissions of the file \
         and its directory"
    )]
    ReadOnly {
        path: PathBuf,
        op: &'static str,
        source: rusqlite::Error,
    },

    #[error(
        "catalog {path}: {op} failed ({source}). Nothing was saved; if this repeats, report it \
         with the log"
    )]
    Sql {
        path: PathBuf,
        op: &'static str,
        source: rusqlite::Error,
    },

    #[error(
        "catalog {path} is no longer open (its thread stopped, which a bug elsewhere in \
         Lightbox caused): restart Lightbox, and report it with the log"
    )]
    Stopped { path: PathBuf },

    #[error(
        "could not start a thread for catalog {path} ({source}): the system is out of \
         threads or memory; close some programs and start Lightbox again"
    )]
    Thread {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("watched folder {0} is not in the catalog (it was removed): refresh the folder list")]
    FolderNotFound(FolderId),

    #[error(
        "file {0} is no longer in the catalog (it vanished from disk or its folder was \
         removed): nothing to do for it"
    )]
    FileNotFound(FileId),

    #[error(
        "cannot {action} file {file}: it is `{state}` now, and that step needs {expected}. \
         It probably changed on disk or was handled meanwhile; nothing was written and the file \
         carries on from `{state}`"
    )]
    WrongState {
        file: FileId,
        action: &'static str,
        state: FileState,
        expected: String,
    },

    #[error(
        "key {key} is already planned or uploaded for another file: plan file {file} again (the \
         planner asks `uploaded_key_for_sha` and `key_owner` first, skipping duplicates and \
         renaming on a clash)"
    )]
    KeyTaken { file: FileId, key: String },

    #[error(
        "part {part_number} of upload {upload_id} arrived for file {file}, whose upload was \
         cleared or replaced meanwhile: the part is ignored; abort that upload if it still exists"
    )]
    StaleUpload {
        file: FileId,
        upload_id: String,
        part_number: u16,
    },

    #[error(
        "part number {part_number} for file {file} is outside S3's 1..=10000: the uploader \
         must number parts from 1 (increase the part size for files this large)"
    )]
    PartNumberOutOfRange { file: FileId, part_number: u16 },

    #[error("path {path} cannot be catalogued: {reason}")]
    InvalidRelPath { path: PathBuf, reason: &'static str },

    #[error("folder {path} cannot be watched: {reason}")]
    InvalidFolderPath { path: PathBuf, reason: &'static str },

    #[error(
        "catalog {catalog} is in use by another Lightbox engine ({holder}): stop that one \
         (e.g. the headless daemon) or use a different catalog"
    )]
    InUse {
        catalog: PathBuf,
        holder: LockHolder,
    },

    #[error(
        "could not lock catalog {catalog} through {lock_file}: {source}. Check that the \
         directory is writable and on a file system with locking"
    )]
    LockFile {
        catalog: PathBuf,
        lock_file: PathBuf,
        source: std::io::Error,
    },
}

impl CatalogError {
    /// Whether the write was refused because the row moved on meanwhile (the file changed,
    /// vanished or its folder was removed): the newer state wins and nothing is wrong. Any
    /// other failure (disk full, I/O error, read-only) is worth a warning.
    #[must_use]
    pub fn is_row_moved_on(&self) -> bool {
        matches!(
            self,
            CatalogError::WrongState { .. }
                | CatalogError::FileNotFound(_)
                | CatalogError::FolderNotFound(_)
                | CatalogError::StaleUpload { .. }
        )
    }

    /// A stable code for logs, metrics and the UI; never changes once released.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            CatalogError::Open { .. } => FailureCode::CatalogOpen,
            CatalogError::Corrupt { .. } => FailureCode::CatalogCorrupt,
            CatalogError::TooNew { .. } => FailureCode::CatalogTooNew,
            CatalogError::Busy { .. } => FailureCode::CatalogBusy,
            CatalogError::DiskFull { .. } => FailureCode::CatalogDiskFull,
            CatalogError::ReadOnly { .. } => FailureCode::CatalogReadOnly,
            CatalogError::Sql { .. } => FailureCode::CatalogSql,
            CatalogError::Stopped { .. } => FailureCode::CatalogStopped,
            CatalogError::Thread { .. } => FailureCode::CatalogThread,
            CatalogError::FolderNotFound(_) => FailureCode::CatalogFolderNotFound,
            CatalogError::FileNotFound(_) => FailureCode::CatalogFileNotFound,
            CatalogError::WrongState { .. } => FailureCode::CatalogWrongState,
            CatalogError::KeyTaken { .. } => FailureCode::CatalogKeyTaken,
            CatalogError::StaleUpload { .. } => FailureCode::CatalogStaleUpload,
            CatalogError::PartNumberOutOfRange { .. } => FailureCode::CatalogPartNumberOutOfRange,
            CatalogError::InvalidRelPath { .. } => FailureCode::CatalogInvalidRelPath,
            CatalogError::InvalidFolderPath { .. } => FailureCode::CatalogInvalidFolderPath,
            CatalogError::InUse { .. } => FailureCode::CatalogInUse,
            CatalogError::LockFile { .. } => FailureCode::CatalogLockFile,
        }
    }

    /// Turn a SQLite failure during `op` on the catalog at `path` into the variant that says
    /// what to do about it.
    pub(super) fn from_sqlite(path: &Path, op: &'static str, source: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                CatalogError::Corrupt { path, source }
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                CatalogError::Busy { path, op }
            }
            Some(ErrorCode::DiskFull) => CatalogError::DiskFull { path, op },
            Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
                CatalogError::ReadOnly { path, op, source }
            }
            _ => match source {
                // A value this build cannot decode: the file was damaged or edited by hand.
                rusqlite::Error::FromSqlConversionFailure(..)
                | rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::IntegralValueOutOfRange(..) => {
                    CatalogError::Corrupt { path, source }
                }
                source => CatalogError::Sql { path, op, source },
            },
        }
    }
}

/// Who holds a catalog's lock, as far as its lock file tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockHolder {
    /// The holder's process id, when its lock file could be read.
    pub pid: Option<u32>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.pid {
            Some(pid) => write!(f, "pid {pid}"),
            None => f.write_str("pid unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn sqlite_failures_map_to_the_variant_that_says_what_to_do() {
        let cases = [
            (rusqlite::ffi::SQLITE_CORRUPT, FailureCode::CatalogCorrupt),
            (rusqlite::ffi::SQLITE_NOTADB, FailureCode::CatalogCorrupt),
            (rusqlite::ffi::SQLITE_BUSY, FailureCode::CatalogBusy),
            (rusqlite::ffi::SQLITE_FULL, FailureCode::CatalogDiskFull),
            (rusqlite::ffi::SQLITE_READONLY, FailureCode::CatalogReadOnly),
            (rusqlite::ffi::SQLITE_CONSTRAINT, FailureCode::CatalogSql),
        ];
        for (sqlite_code, expected) in cases {
            let err =
                CatalogError::from_sqlite(Path::new("c.db"), "test", sqlite_failure(sqlite_code));
            assert_eq!(
                err.code(),
                expected,
                "SQLite code {sqlite_code} maps to {expected}"
            );
        }
    }

    #[test]
    fn corrupt_message_says_to_move_the_file_aside() {
        let err = CatalogError::from_sqlite(
            Path::new("/state/catalog.db"),
            "open",
            sqlite_failure(rusqlite::ffi::SQLITE_NOTADB),
        );
        let message = err.to_string();
        assert!(
            message.contains("/state/catalog.db") && message.contains("move it aside"),
            "the user must learn which file and what to do: {message}"
        );
    }

    #[test]
    fn in_use_names_the_holder_pid() {
        let err = CatalogError::InUse {
            catalog: PathBuf::from("c.db"),
            holder: LockHolder { pid: Some(4242) },
        };
        assert!(
            err.to_string().contains("pid 4242"),
            "the user must know which process to stop"
        );
    }
}
