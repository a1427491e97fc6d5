//! The `files` table: one row per file in a watched folder, and the queries over it.

use jiff::Timestamp;

use lightbox_types::{CaptureTime, FailureCode, Step};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::migration::Migration;
use super::sql_values::{Millis, StoredU64};
use super::{
    Catalog, CatalogError, Fault, FileId, FileStat, FileState, FolderId, RelPath, Sha256Digest,
    StateCounts,
};

const CREATE_FILES: Migration = Migration {
    version: 2,
    description: "create files",
    sql: "
        CREATE TABLE files (
            id                 INTEGER PRIMARY KEY,
            folder_id          INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
            -- Relative to the folder, '/'-separated; non-UTF-8 names escaped (see rel_path.rs).
            rel_path           TEXT NOT NULL,
            size               INTEGER NOT NULL,
            mtime_ns           INTEGER NOT NULL,
            -- 'dev:inode' on unix.
            os_file_id         TEXT,
            sha256             BLOB CHECK (sha256 IS NULL OR length(sha256) = 32),
            -- RFC 3339 with the camera's offset.
            capture_time       TEXT,
            state              TEXT NOT NULL CHECK (state IN ('discovered', 'ready', 'hashed',
                                   'planned', 'uploading', 'uploaded', 'done', 'skipped',
                                   'failed')),
            attempts           INTEGER NOT NULL DEFAULT 0,
            next_attempt_at_ms INTEGER,
            -- The state a failed file failed in; retry resumes from it.
            failed_in          TEXT,
            last_error_code    TEXT,
            last_error_message TEXT,
            planned_key        TEXT,
            skip_reason        TEXT,
            upload_id          TEXT,
            part_size          INTEGER,
            created_at_ms      INTEGER NOT NULL,
            updated_at_ms      INTEGER NOT NULL,
            UNIQUE (folder_id, rel_path)
        ) STRICT;
        -- files_due / unfinished_files: newest first within a state.
        CREATE INDEX files_by_state_newest ON files (state, mtime_ns DESC);
        -- uploaded_key_for_sha.
        CREATE INDEX files_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
        -- key_owner, and never two files planned to one key.
        CREATE UNIQUE INDEX files_by_planned_key ON files (planned_key)
            WHERE planned_key IS NOT NULL;
    ",
};

/// The fingerprint's CRC64/NVME, kept so the uploader does not re-read the file for it.
const ADD_CRC64NVME: Migration = Migration {
    version: 7,
    description: "add files.crc64nvme",
    sql: "ALTER TABLE files ADD COLUMN crc64nvme TEXT;",
};

/// A file whose content was already in the bucket is done, with the key it is at (issue #19:
/// "already uploaded is done, not skipped").
const ADD_DUPLICATE_OF: Migration = Migration {
    version: 11,
    description: "add files.duplicate_of",
    sql: "
        ALTER TABLE files ADD COLUMN duplicate_of TEXT;
        UPDATE files SET state = 'done', skip_reason = NULL,
            duplicate_of = (SELECT key FROM uploaded_objects u
                            WHERE u.sha256 = files.sha256 ORDER BY key LIMIT 1)
        WHERE state = 'skipped' AND skip_reason = 'duplicate'
          AND EXISTS (SELECT 1 FROM uploaded_objects u WHERE u.sha256 = files.sha256);
    ",
};

/// The failure codes of releases before `FailureCode` were partly unnamespaced: each is
/// rewritten to the code that names the same thing now (`lightbox_types::FailureCode`). Codes
/// that were namespaced already are unchanged.
pub(super) const NAMESPACE_FAILURE_CODES: Migration = Migration {
    version: 8,
    description: "namespace files.last_error_code",
    sql: "
        UPDATE files SET last_error_code = CASE last_error_code
            WHEN 'vanished' THEN 'ingest_vanished'
            WHEN 'permission_denied' THEN 'ingest_permission_denied'
            WHEN 'locked' THEN 'ingest_locked'
            WHEN 'io' THEN 'ingest_read_failed'
            WHEN 'stat_failed' THEN 'ingest_read_failed'
            WHEN 'changed' THEN 'ingest_changed'
            WHEN 'cancelled' THEN 'ingest_cancelled'
            WHEN 'empty_file' THEN 'ingest_empty_file'
            WHEN 'invalid_glob' THEN 'ingest_invalid_glob'
            WHEN 'name_conflict' THEN 'plan_name_conflict'
            WHEN 'unknown_time_zone' THEN 'plan_unknown_time_zone'
            WHEN 'watch_failed' THEN 'engine_watch_failed'
            WHEN 'folder_not_found' THEN 'engine_folder_not_found'
            WHEN 'file_not_found' THEN 'engine_file_not_found'
            ELSE last_error_code
        END
        WHERE last_error_code IN ('vanished', 'permission_denied', 'locked', 'io', 'stat_failed',
            'changed', 'cancelled', 'empty_file', 'invalid_glob', 'name_conflict',
            'unknown_time_zone', 'watch_failed', 'folder_not_found', 'file_not_found');
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[
    CREATE_FILES,
    ADD_CRC64NVME,
    NAMESPACE_FAILURE_CODES,
    ADD_DUPLICATE_OF,
];

/// The last failure recorded for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The failing module's code (e.g. `upload_throttled`); a stored text this build does not
    /// know reads as [`FailureCode::Unrecognized`].
    pub code: FailureCode,
    /// The human message, saying what to do.
    pub message: String,
}

/// A multipart upload in flight for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartUpload {
    /// S3's `UploadId`.
    pub upload_id: String,
    /// Bytes per part (the last part may be shorter).
    pub part_size: u64,
}

/// One catalogued file, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub id: FileId,
    pub folder: FolderId,
    pub rel_path: RelPath,
    /// The stat last observed; equal stats are not hashed again.
    pub stat: FileStat,
    pub state: FileState,
    /// Set from `Hashed` on.
    pub sha256: Option<Sha256Digest>,
    /// The content's CRC64/NVME (base64 of the big-endian value, as S3 names it), read in the
    /// same pass as `sha256`: what the server checks the upload against, so the uploader need
    /// not read the file again to know it. `None` for rows hashed before it was recorded.
    pub crc64nvme: Option<String>,
    /// From EXIF, with the camera's offset, when the file has one.
    pub capture_time: Option<CaptureTime>,
    /// The object key, from `Planned` on.
    pub planned_key: Option<String>,
    /// For a `Done` file whose content was already in the bucket: the key it is at (a
    /// duplicate needs no upload of its own).
    pub duplicate_of: Option<String>,
    /// Why it was skipped (a reason code), when `Skipped`.
    pub skip_reason: Option<String>,
    /// The multipart upload in flight, while `Uploading` (or `Failed` while uploading).
    pub multipart: Option<MultipartUpload>,
    /// Failures since the file last changed on disk.
    pub attempts: u32,
    /// When a `Failed` file is due for retry; `None` for a permanent failure.
    pub next_attempt_at: Option<Timestamp>,
    /// The state a `Failed` file failed in.
    pub failed_in: Option<FileState>,
    /// The last failure, kept until the file is `Done` or changes on disk.
    pub last_failure: Option<Failure>,
    pub created_at: Timestamp,
    /// The last state change or observed change on disk. For a `Discovered` file this is
    /// when its stat last changed, which is what the settle window counts from.
    pub updated_at: Timestamp,
}

pub(super) const FILE_COLUMNS: &str = "id, folder_id, rel_path, size, mtime_ns, os_file_id, \
     state, sha256, crc64nvme, capture_time, planned_key, skip_reason, upload_id, part_size, attempts, \
     next_attempt_at_ms, failed_in, last_error_code, last_error_message, created_at_ms, \
     updated_at_ms, duplicate_of";

/// Positions in [`FILE_COLUMNS`], which [`file_from_row`] reads by. (A `get` by name scans
/// every column name of the statement; for small files that was a tenth of the catalog's
/// CPU.) A test checks each against the list.
mod col {
    pub const ID: usize = 0;
    pub const FOLDER_ID: usize = 1;
    pub const REL_PATH: usize = 2;
    pub const SIZE: usize = 3;
    pub const MTIME_NS: usize = 4;
    pub const OS_FILE_ID: usize = 5;
    pub const STATE: usize = 6;
    pub const SHA256: usize = 7;
    pub const CRC64NVME: usize = 8;
    pub const CAPTURE_TIME: usize = 9;
    pub const PLANNED_KEY: usize = 10;
    pub const SKIP_REASON: usize = 11;
    pub const UPLOAD_ID: usize = 12;
    pub const PART_SIZE: usize = 13;
    pub const ATTEMPTS: usize = 14;
    pub const NEXT_ATTEMPT_AT_MS: usize = 15;
    pub const FAILED_IN: usize = 16;
    pub const LAST_ERROR_CODE: usize = 17;
    pub const LAST_ERROR_MESSAGE: usize = 18;
    pub const CREATED_AT_MS: usize = 19;
    pub const UPDATED_AT_MS: usize = 20;
    pub const DUPLICATE_OF: usize = 21;
}

/// A [`FileRecord`] from a row of `SELECT {FILE_COLUMNS} ...`.
pub(super) fn file_from_row(row: &Row<'_>) -> rusqlite::Result<FileRecord> {
    let upload_id: Option<String> = row.get(col::UPLOAD_ID)?;
    let part_size: Option<StoredU64> = row.get(col::PART_SIZE)?;
    let error_code: Option<FailureCode> = row.get(col::LAST_ERROR_CODE)?;
    let error_message: Option<String> = row.get(col::LAST_ERROR_MESSAGE)?;
    Ok(FileRecord {
        id: row.get(col::ID)?,
        folder: row.get(col::FOLDER_ID)?,
        rel_path: row.get(col::REL_PATH)?,
        stat: FileStat {
            size: row.get::<_, StoredU64>(col::SIZE)?.0,
            mtime_ns: row.get(col::MTIME_NS)?,
            os_file_id: row.get(col::OS_FILE_ID)?,
        },
        state: row.get(col::STATE)?,
        sha256: row.get(col::SHA256)?,
        crc64nvme: row.get(col::CRC64NVME)?,
        capture_time: row.get(col::CAPTURE_TIME)?,
        planned_key: row.get(col::PLANNED_KEY)?,
        duplicate_of: row.get(col::DUPLICATE_OF)?,
        skip_reason: row.get(col::SKIP_REASON)?,
        multipart: upload_id
            .zip(part_size)
            .map(|(upload_id, part_size)| MultipartUpload {
                upload_id,
                part_size: part_size.0,
            }),
        attempts: row.get(col::ATTEMPTS)?,
        next_attempt_at: row
            .get::<_, Option<Millis>>(col::NEXT_ATTEMPT_AT_MS)?
            .map(|m| m.0),
        failed_in: row.get(col::FAILED_IN)?,
        last_failure: error_code.map(|code| Failure {
            code,
            message: error_message.unwrap_or_default(),
        }),
        created_at: row.get::<_, Millis>(col::CREATED_AT_MS)?.0,
        updated_at: row.get::<_, Millis>(col::UPDATED_AT_MS)?.0,
    })
}

/// The row of `file` inside a transaction, or [`CatalogError::FileNotFound`].
pub(super) fn load_file(conn: &Connection, file: FileId) -> Result<FileRecord, Fault> {
    file_by_id(conn, file)?.ok_or_else(|| CatalogError::FileNotFound(file).into())
}

/// The row of `file`, if any (a cached statement: every state change loads its row first).
fn file_by_id(conn: &Connection, file: FileId) -> rusqlite::Result<Option<FileRecord>> {
    conn.prepare_cached(&format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?1"))?
        .query_row([file], file_from_row)
        .optional()
}

/// Load `file` and check that `step` may start from its state ([`lightbox_types::MOVES`],
/// the one table of allowed moves).
pub(super) fn require_step(
    conn: &Connection,
    file: FileId,
    step: Step,
) -> Result<FileRecord, Fault> {
    let record = load_file(conn, file)?;
    let allowed = step.starts_from();
    if allowed.contains(&record.state) {
        return Ok(record);
    }
    let expected = allowed
        .iter()
        .map(|state| format!("`{state}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(CatalogError::WrongState {
        file,
        action: step.action(),
        state: record.state,
        expected,
    }
    .into())
}

impl Catalog {
    /// One file by id, or `None` if it vanished or its folder was removed.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn get_file(&self, file: FileId) -> Result<Option<FileRecord>, CatalogError> {
        self.read("get file", |conn| Ok(file_by_id(conn, file)?))
    }

    /// The file at `rel_path` in `folder`, if catalogued (for watcher events, which carry
    /// paths).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn file_by_path(
        &self,
        folder: FolderId,
        rel_path: &RelPath,
    ) -> Result<Option<FileRecord>, CatalogError> {
        self.read("get file by path", |conn| {
            let sql =
                format!("SELECT {FILE_COLUMNS} FROM files WHERE folder_id = ?1 AND rel_path = ?2");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row(params![folder, rel_path], file_from_row)
                .optional()?)
        })
    }

    /// Up to `limit` files in `state` that are due for work, newest first (by mtime, so the
    /// shot just taken is uploaded before last week's backlog). For `Failed` that means files
    /// whose `next_attempt_at` has come (permanent failures, with none, never come due);
    /// for any other state, every file in it.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn files_due(
        &self,
        state: FileState,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CatalogError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read("list files due", |conn| {
            let due = if state == FileState::Failed {
                "AND next_attempt_at_ms IS NOT NULL AND next_attempt_at_ms <= ?2"
            } else {
                "" // ?2 (now) only matters for Failed; SQLite allows an unused parameter.
            };
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files WHERE state = ?1 {due}
                 ORDER BY mtime_ns DESC, id DESC LIMIT ?3"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let files = stmt
                .query_map(params![state, Millis(now), limit], file_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(files)
        })
    }

    /// Up to `want` files in `state` due for work, in [`Self::files_due`]'s order, leaving out
    /// those `skip` names (files a component already has in hand). The ids come from the state
    /// index alone and only the rows returned are read: the uploader and the previewer ask
    /// each time a job ends, and reading every row in flight each time was most of their
    /// catalog work on small files.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn files_due_except(
        &self,
        state: FileState,
        now: Timestamp,
        want: usize,
        skip: impl Fn(FileId) -> bool,
    ) -> Result<Vec<FileRecord>, CatalogError> {
        if want == 0 {
            return Ok(Vec::new());
        }
        self.read("list files due", |conn| {
            let ids = {
                let mut stmt;
                let mut rows = if state == FileState::Failed {
                    stmt = conn.prepare_cached(
                        "SELECT id FROM files WHERE state = ?1
                             AND next_attempt_at_ms IS NOT NULL AND next_attempt_at_ms <= ?2
                         ORDER BY mtime_ns DESC, id DESC",
                    )?;
                    stmt.query(params![state, Millis(now)])?
                } else {
                    stmt = conn.prepare_cached(
                        "SELECT id FROM files WHERE state = ?1 ORDER BY mtime_ns DESC, id DESC",
                    )?;
                    stmt.query([state])?
                };
                let mut ids = Vec::with_capacity(want);
                while ids.len() < want {
                    let Some(row) = rows.next()? else { break };
                    let id: FileId = row.get(0)?;
                    if !skip(id) {
                        ids.push(id);
                    }
                }
                ids
            };
            let mut files = Vec::with_capacity(ids.len());
            for id in ids {
                files.extend(file_by_id(conn, id)?);
            }
            Ok(files)
        })
    }

    /// How many `Done` files are duplicates: their content was already in the bucket, at
    /// another key (for `lightbox status`).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn duplicate_count(&self) -> Result<u64, CatalogError> {
        self.read("count duplicates", |conn| {
            Ok(conn
                .query_row(
                    "SELECT COUNT(*) FROM files WHERE state = 'done' AND duplicate_of IS NOT NULL",
                    [],
                    |row| row.get::<_, StoredU64>(0),
                )?
                .0)
        })
    }

    /// How many files are in each state (for `lightbox status`).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn counts_by_state(&self) -> Result<StateCounts, CatalogError> {
        self.read("count files by state", |conn| {
            let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM files GROUP BY state")?;
            let mut counts = StateCounts::default();
            for row in stmt.query_map([], |row| Ok((row.get(0)?, row.get::<_, StoredU64>(1)?)))? {
                let (state, count) = row?;
                counts.set(state, count.0);
            }
            Ok(counts)
        })
    }

    /// When the oldest file not yet in the bucket ([`FileState::WAITING`]) entered the
    /// catalog (its `created_at_ms`), or `None` when no file waits (the daemon's
    /// `lightbox_oldest_waiting_file_age_seconds`).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn oldest_waiting_since(&self) -> Result<Option<Timestamp>, CatalogError> {
        self.read("find the oldest waiting file", |conn| {
            let waiting = FileState::WAITING.map(FileState::as_str);
            let placeholders = vec!["?"; waiting.len()].join(", ");
            let sql =
                format!("SELECT MIN(created_at_ms) FROM files WHERE state IN ({placeholders})");
            let oldest = conn.query_row(&sql, rusqlite::params_from_iter(waiting), |row| {
                row.get::<_, Option<Millis>>(0)
            })?;
            Ok(oldest.map(|m| m.0))
        })
    }
}

impl Catalog {
    /// Files by state for each folder that has any (the desktop app's per-folder counts).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn counts_by_folder(&self) -> Result<Vec<(FolderId, StateCounts)>, CatalogError> {
        self.read("count files by folder", |conn| {
            let mut stmt = conn.prepare(
                "SELECT folder_id, state, COUNT(*) FROM files GROUP BY folder_id, state
                 ORDER BY folder_id",
            )?;
            let mut out: Vec<(FolderId, StateCounts)> = Vec::new();
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, FolderId>(0)?,
                    row.get::<_, FileState>(1)?,
                    row.get::<_, StoredU64>(2)?,
                ))
            })?;
            for row in rows {
                let (folder, state, count) = row?;
                if out.last().is_none_or(|(last, _)| *last != folder) {
                    out.push((folder, StateCounts::default()));
                }
                if let Some((_, counts)) = out.last_mut() {
                    counts.set(state, count.0);
                }
            }
            Ok(out)
        })
    }

    /// The `limit` files that changed most recently, newest first (the activity list's first
    /// paint).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn recent_files(&self, limit: usize) -> Result<Vec<FileRecord>, CatalogError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read("list recent files", |conn| {
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files ORDER BY updated_at_ms DESC, id DESC LIMIT ?1"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let files = stmt
                .query_map([limit], file_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(files)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, rel, sha, stat};

    #[test]
    fn column_positions_match_the_column_list() {
        let names: Vec<&str> = FILE_COLUMNS.split(',').map(str::trim).collect();
        let positions = [
            ("id", col::ID),
            ("folder_id", col::FOLDER_ID),
            ("rel_path", col::REL_PATH),
            ("size", col::SIZE),
            ("mtime_ns", col::MTIME_NS),
            ("os_file_id", col::OS_FILE_ID),
            ("state", col::STATE),
            ("sha256", col::SHA256),
            ("crc64nvme", col::CRC64NVME),
            ("capture_time", col::CAPTURE_TIME),
            ("planned_key", col::PLANNED_KEY),
            ("skip_reason", col::SKIP_REASON),
            ("upload_id", col::UPLOAD_ID),
            ("part_size", col::PART_SIZE),
            ("attempts", col::ATTEMPTS),
            ("next_attempt_at_ms", col::NEXT_ATTEMPT_AT_MS),
            ("failed_in", col::FAILED_IN),
            ("last_error_code", col::LAST_ERROR_CODE),
            ("last_error_message", col::LAST_ERROR_MESSAGE),
            ("created_at_ms", col::CREATED_AT_MS),
            ("updated_at_ms", col::UPDATED_AT_MS),
            ("duplicate_of", col::DUPLICATE_OF),
        ];
        assert_eq!(
            names.len(),
            positions.len(),
            "every column has a position: {names:?}"
        );
        for (name, position) in positions {
            assert_eq!(
                names.get(position),
                Some(&name),
                "file_from_row reads {name} at {position}"
            );
        }
    }

    #[test]
    fn files_due_lists_newest_mtime_first_up_to_the_limit() {
        let (mut catalog, folder) = catalog_with_folder();
        for (name, mtime) in [("old.jpg", 100), ("newest.jpg", 300), ("middle.jpg", 200)] {
            catalog
                .observe_file(folder, &rel(name), &stat(1, mtime), at(1))
                .expect("observed");
        }

        let due = catalog
            .files_due(FileState::Discovered, at(2), 2)
            .expect("listed");

        let names: Vec<String> = due.iter().map(|f| f.rel_path.to_string()).collect();
        assert_eq!(
            names,
            ["newest.jpg", "middle.jpg"],
            "newest first, cut at the limit"
        );
    }

    #[test]
    fn files_due_for_failed_waits_for_next_attempt_and_skips_permanent_failures() {
        let (mut catalog, folder) = catalog_with_folder();
        let soon = drive_to(&mut catalog, folder, "soon.jpg", sha(1), FileState::Ready);
        let later = drive_to(&mut catalog, folder, "later.jpg", sha(2), FileState::Ready);
        let never = drive_to(&mut catalog, folder, "never.jpg", sha(3), FileState::Ready);
        catalog
            .record_failure(
                soon,
                FailureCode::IngestReadFailed,
                "read failed",
                Some(at(10)),
                at(5),
            )
            .expect("failed");
        catalog
            .record_failure(
                later,
                FailureCode::IngestReadFailed,
                "read failed",
                Some(at(20)),
                at(5),
            )
            .expect("failed");
        catalog
            .record_failure(
                never,
                FailureCode::IngestPermissionDenied,
                "denied",
                None,
                at(5),
            )
            .expect("failed");

        let ids = |now| -> Vec<FileId> {
            let due = catalog
                .files_due(FileState::Failed, now, 10)
                .expect("listed");
            due.iter().map(|f| f.id).collect()
        };
        assert_eq!(
            ids(at(9)),
            Vec::<FileId>::new(),
            "nothing is due before its time"
        );
        assert_eq!(ids(at(10)), vec![soon], "due exactly at next_attempt_at");
        assert_eq!(ids(at(100)).len(), 2, "a permanent failure never comes due");
    }

    #[test]
    fn counts_follow_state_changes() {
        let (mut catalog, folder) = catalog_with_folder();
        drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Done);
        drive_to(&mut catalog, folder, "b.jpg", sha(2), FileState::Done);
        drive_to(&mut catalog, folder, "c.jpg", sha(3), FileState::Hashed);
        catalog
            .observe_file(folder, &rel("d.jpg"), &stat(1, 1), at(1))
            .expect("observed");

        let counts = catalog.counts_by_state().expect("counted");

        let expected = [
            (FileState::Done, 2),
            (FileState::Hashed, 1),
            (FileState::Discovered, 1),
        ];
        for (state, count) in expected {
            assert_eq!(
                counts.get(state),
                count,
                "{state} counts each file in it once"
            );
        }
        assert_eq!(counts.total(), 4, "every file is in exactly one state");
    }

    #[test]
    fn counts_by_folder_and_recent_files_follow_the_rows() {
        let (mut catalog, folder) = catalog_with_folder();
        let other = catalog
            .add_folder(std::path::Path::new("/cards/b"), at(1))
            .expect("second folder");
        drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Done);
        drive_to(&mut catalog, folder, "b.jpg", sha(2), FileState::Hashed);
        drive_to(&mut catalog, other, "c.jpg", sha(3), FileState::Done);
        let latest = catalog
            .observe_file(other, &rel("d.jpg"), &stat(1, 1), at(500))
            .expect("observed")
            .file();

        let counts = catalog.counts_by_folder().expect("counted");
        let of = |id: FolderId| counts.iter().find(|(f, _)| *f == id).map(|(_, c)| *c);
        let first = of(folder).expect("the first folder has files");
        let second = of(other).expect("the second folder has files");
        assert_eq!(
            (first.get(FileState::Done), first.get(FileState::Hashed)),
            (1, 1),
            "each folder counts only its own rows"
        );
        assert_eq!(
            (
                second.get(FileState::Done),
                second.get(FileState::Discovered)
            ),
            (1, 1),
            "each folder counts only its own rows"
        );

        let recent = catalog.recent_files(2).expect("listed");
        assert_eq!(recent.len(), 2, "cut at the limit");
        assert_eq!(recent[0].id, latest, "the last change comes first");
    }

    #[test]
    fn every_state_passes_the_table_check() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = catalog
            .observe_file(folder, &rel("a.jpg"), &stat(1, 1), at(1))
            .expect("observed")
            .file();
        for state in FileState::ALL {
            catalog
                .conn
                .execute(
                    "UPDATE files SET state = ?2 WHERE id = ?1",
                    params![file, state],
                )
                .expect("the CHECK list in CREATE_FILES must name every FileState");
            let record = catalog.get_file(file).expect("read").expect("present");
            assert_eq!(record.state, state, "{state} reads back as itself");
        }
    }

    #[test]
    fn the_migration_namespaces_old_codes_and_leaves_the_rest() {
        let (mut catalog, folder) = catalog_with_folder();
        let cases = [
            ("vanished", FailureCode::IngestVanished),
            ("io", FailureCode::IngestReadFailed),
            ("stat_failed", FailureCode::IngestReadFailed),
            ("locked", FailureCode::IngestLocked),
            ("empty_file", FailureCode::IngestEmptyFile),
            ("name_conflict", FailureCode::PlanNameConflict),
            ("watch_failed", FailureCode::EngineWatchFailed),
            ("upload_gone", FailureCode::UploadGone),
            ("teleport_failed", FailureCode::Unrecognized),
        ];
        let mut files = Vec::new();
        for (n, (old, _)) in cases.iter().enumerate() {
            let file = catalog
                .observe_file(folder, &rel(&format!("{n}.jpg")), &stat(10, 1), at(2))
                .expect("file observed")
                .file();
            catalog
                .conn
                .execute(
                    "UPDATE files SET last_error_code = ?1, last_error_message = 'm' \
                     WHERE id = ?2",
                    rusqlite::params![old, file],
                )
                .expect("an old code written");
            files.push(file);
        }
        catalog
            .conn
            .execute_batch(NAMESPACE_FAILURE_CODES.sql)
            .expect("the migration runs");
        for ((old, new), file) in cases.iter().zip(files) {
            let record = catalog.get_file(file).expect("read").expect("present");
            assert_eq!(
                record.last_failure.map(|f| f.code),
                Some(*new),
                "{old:?} reads as {new} after the migration"
            );
        }
    }
}
