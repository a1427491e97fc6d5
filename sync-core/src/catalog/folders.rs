//! Watched folders: the roots the watcher and the scan look at.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rusqlite::{OptionalExtension, Row, params};

use super::migration::Migration;
use super::sql_values::{Millis, StoredU64};
use super::{Catalog, CatalogError, Fault, FolderId};

const CREATE_FOLDERS: Migration = Migration {
    version: 1,
    description: "create folders",
    sql: "
        CREATE TABLE folders (
            id          INTEGER PRIMARY KEY,
            -- Canonical absolute path, UTF-8 (non-UTF-8 folder paths are refused).
            path        TEXT NOT NULL UNIQUE,
            added_at_ms INTEGER NOT NULL,
            enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
        ) STRICT;
    ",
};

/// Whether the folder was there at the daemon's last look (`ingest::presence`), since when and
/// why not. NULL: no engine has looked at it yet.
const ADD_PRESENCE: Migration = Migration {
    version: 10,
    description: "add folders.presence",
    sql: "
        ALTER TABLE folders ADD COLUMN presence TEXT
            CHECK (presence IS NULL OR presence IN ('online', 'offline'));
        ALTER TABLE folders ADD COLUMN presence_since_ms INTEGER;
        ALTER TABLE folders ADD COLUMN presence_reason TEXT;
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_FOLDERS, ADD_PRESENCE];

/// A folder the engine watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedFolder {
    pub id: FolderId,
    /// Canonical absolute path.
    pub path: PathBuf,
    pub added_at: Timestamp,
    /// A disabled folder keeps its rows but is neither watched nor scanned.
    pub enabled: bool,
    /// Whether it was there at the engine's last look (`None`: not looked at yet).
    pub presence: Option<FolderPresence>,
}

/// A watched folder's state as the engine last saw it (`ingest::presence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderState {
    /// There and watched.
    Online,
    /// Not there (card out, unmounted, moved away, removed): not watched, files kept.
    Offline,
}

impl FolderState {
    pub const ALL: [FolderState; 2] = [FolderState::Online, FolderState::Offline];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FolderState::Online => "online",
            FolderState::Offline => "offline",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A folder's state, since when, and (offline) why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPresence {
    pub state: FolderState,
    pub since: Timestamp,
    pub reason: Option<String>,
}

/// What [`Catalog::remove_folder`] took out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemovedFolder {
    /// File rows removed with the folder.
    pub files_removed: u64,
    /// Multipart uploads that were in flight for those files: abort them.
    pub abort_upload_ids: Vec<String>,
}

const FOLDER_COLUMNS: &str =
    "id, path, added_at_ms, enabled, presence, presence_since_ms, presence_reason";

fn folder_from_row(row: &Row<'_>) -> rusqlite::Result<WatchedFolder> {
    let state = row.get::<_, Option<String>>(4)?;
    let since = row.get::<_, Option<Millis>>(5)?;
    let presence = match (state.as_deref().and_then(FolderState::parse), since) {
        (Some(state), Some(since)) => Some(FolderPresence {
            state,
            since: since.0,
            reason: row.get(6)?,
        }),
        _ => None,
    };
    Ok(WatchedFolder {
        id: row.get(0)?,
        path: PathBuf::from(row.get::<_, String>(1)?),
        added_at: row.get::<_, Millis>(2)?.0,
        enabled: row.get(3)?,
        presence,
    })
}

impl Catalog {
    /// Watch `canonical_path` (pass it through `std::fs::canonicalize` first: the catalog does
    /// no file-system I/O). Idempotent: adding the same path again returns the same id and
    /// re-enables it, keeping its rows and its original `added_at`.
    ///
    /// # Errors
    /// [`CatalogError::InvalidFolderPath`] for a relative or non-UTF-8 path; SQLite failures.
    pub fn add_folder(
        &mut self,
        canonical_path: &Path,
        now: Timestamp,
    ) -> Result<FolderId, CatalogError> {
        let invalid = |reason| CatalogError::InvalidFolderPath {
            path: canonical_path.to_path_buf(),
            reason,
        };
        if !canonical_path.is_absolute() {
            return Err(invalid(
                "the path is relative; pass the canonical absolute path",
            ));
        }
        let Some(text) = canonical_path.to_str() else {
            return Err(invalid(
                "its path is not valid Unicode; rename it or pick another",
            ));
        };
        self.write("add folder", |conn| {
            Ok(conn.query_row(
                "INSERT INTO folders (path, added_at_ms, enabled) VALUES (?1, ?2, 1)
                 ON CONFLICT (path) DO UPDATE SET enabled = 1
                 RETURNING id",
                params![text, Millis(now)],
                |row| row.get(0),
            )?)
        })
    }

    /// Stop watching `folder`: removes the folder, its file rows and their parts journals in
    /// one transaction. Never touches tombstones or the uploaded-objects ledger (they describe
    /// the bucket, not the folder), and never anything remote.
    ///
    /// # Errors
    /// [`CatalogError::FolderNotFound`]; SQLite failures.
    pub fn remove_folder(&mut self, folder: FolderId) -> Result<RemovedFolder, CatalogError> {
        self.write("remove folder", |conn| {
            let abort_upload_ids = conn
                .prepare(
                    "SELECT upload_id FROM files WHERE folder_id = ?1 AND upload_id IS NOT NULL",
                )?
                .query_map([folder], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let files_removed = conn
                .query_row(
                    "SELECT COUNT(*) FROM files WHERE folder_id = ?1",
                    [folder],
                    |row| row.get::<_, StoredU64>(0),
                )?
                .0;
            // Files and parts go by ON DELETE CASCADE.
            if conn.execute("DELETE FROM folders WHERE id = ?1", [folder])? == 0 {
                return Err(CatalogError::FolderNotFound(folder).into());
            }
            Ok(RemovedFolder {
                files_removed,
                abort_upload_ids,
            })
        })
    }

    /// Pause (`false`) or resume (`true`) watching `folder`, keeping its rows.
    ///
    /// # Errors
    /// [`CatalogError::FolderNotFound`]; SQLite failures.
    pub fn set_folder_enabled(
        &mut self,
        folder: FolderId,
        enabled: bool,
    ) -> Result<(), CatalogError> {
        self.write("enable folder", |conn| {
            let changed = conn.execute(
                "UPDATE folders SET enabled = ?2 WHERE id = ?1",
                params![folder, enabled],
            )?;
            if changed == 0 {
                return Err(CatalogError::FolderNotFound(folder).into());
            }
            Ok(())
        })
    }

    /// Record what the engine saw of `folder` (`ingest::presence`).
    ///
    /// # Errors
    /// [`CatalogError::FolderNotFound`]; SQLite failures.
    pub fn set_folder_presence(
        &mut self,
        folder: FolderId,
        presence: &FolderPresence,
    ) -> Result<(), CatalogError> {
        self.write("record folder presence", |conn| {
            let changed = conn.execute(
                "UPDATE folders SET presence = ?2, presence_since_ms = ?3, presence_reason = ?4
                 WHERE id = ?1",
                params![
                    folder,
                    presence.state.as_str(),
                    Millis(presence.since),
                    presence.reason
                ],
            )?;
            if changed == 0 {
                return Err(CatalogError::FolderNotFound(folder).into());
            }
            Ok(())
        })
    }

    /// Every watched folder, oldest first.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn list_folders(&self) -> Result<Vec<WatchedFolder>, CatalogError> {
        self.read("list folders", |conn| {
            let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders ORDER BY id");
            let mut stmt = conn.prepare(&sql)?;
            let folders = stmt
                .query_map([], folder_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(folders)
        })
    }

    /// One watched folder, or `None` if it is not (or no longer) in the catalog.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn get_folder(&self, folder: FolderId) -> Result<Option<WatchedFolder>, CatalogError> {
        self.read("get folder", |conn| {
            let sql = format!("SELECT {FOLDER_COLUMNS} FROM folders WHERE id = ?1");
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([folder], folder_from_row)
                .optional()?)
        })
    }
}

/// `Ok(())` when `folder` exists, else [`CatalogError::FolderNotFound`].
pub(super) fn require_folder(conn: &rusqlite::Connection, folder: FolderId) -> Result<(), Fault> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM folders WHERE id = ?1)",
        [folder],
        |row| row.get(0),
    )?;
    if exists {
        Ok(())
    } else {
        Err(CatalogError::FolderNotFound(folder).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UploadMethod;
    use crate::catalog::test_support::{at, drive_to, rel, sha, stat};
    use lightbox_types::FailureCode;
    use lightbox_types::FileState;

    #[test]
    fn adding_the_same_path_twice_returns_the_same_folder() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let first = catalog
            .add_folder(Path::new("/photos/in"), at(1))
            .expect("added");
        catalog.set_folder_enabled(first, false).expect("disabled");
        let second = catalog
            .add_folder(Path::new("/photos/in"), at(2))
            .expect("added again");

        assert_eq!(first, second, "the same canonical path is one folder");
        let folder = catalog.get_folder(first).expect("read").expect("present");
        assert!(
            folder.enabled,
            "adding again means the user wants it watched"
        );
        assert_eq!(folder.added_at, at(1), "the original added_at is kept");
        assert_eq!(
            catalog.list_folders().expect("listed").len(),
            1,
            "no duplicate row"
        );
    }

    #[test]
    fn a_folders_presence_is_recorded_and_read_back() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let id = catalog
            .add_folder(Path::new("/media/card"), at(1))
            .expect("added");
        assert_eq!(
            catalog
                .get_folder(id)
                .expect("read")
                .expect("there")
                .presence,
            None,
            "not looked at yet"
        );
        let offline = FolderPresence {
            state: FolderState::Offline,
            since: at(5),
            reason: Some("the folder is gone".to_owned()),
        };
        catalog.set_folder_presence(id, &offline).expect("recorded");
        assert_eq!(
            catalog
                .get_folder(id)
                .expect("read")
                .expect("there")
                .presence,
            Some(offline)
        );
        let err = catalog
            .set_folder_presence(
                FolderId::from_raw(99),
                &FolderPresence {
                    state: FolderState::Online,
                    since: at(6),
                    reason: None,
                },
            )
            .expect_err("no such folder");
        assert_eq!(err.code(), FailureCode::CatalogFolderNotFound);
    }

    #[test]
    fn relative_folder_paths_are_refused() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let err = catalog
            .add_folder(Path::new("photos"), at(1))
            .expect_err("relative");
        assert_eq!(
            err.code(),
            FailureCode::CatalogInvalidFolderPath,
            "only canonical paths: {err}"
        );
    }

    #[test]
    fn removing_a_folder_removes_its_files_but_not_tombstones_or_the_ledger() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let keep = catalog
            .add_folder(Path::new("/keep"), at(1))
            .expect("added");
        let gone = catalog
            .add_folder(Path::new("/gone"), at(1))
            .expect("added");
        let done = drive_to(&mut catalog, gone, "done.jpg", sha(1), FileState::Done);
        let uploading = drive_to(&mut catalog, gone, "big.cr3", sha(2), FileState::Planned);
        catalog
            .mark_uploading(
                uploading,
                &UploadMethod::multipart("upload-2", 8 << 20),
                at(9),
            )
            .expect("uploading");
        catalog
            .observe_file(keep, &rel("other.jpg"), &stat(1, 1), at(9))
            .expect("observed");
        catalog
            .add_tombstone(sha(3), "originals/x.jpg", "admin", at(9))
            .expect("tombstoned");

        let removed = catalog.remove_folder(gone).expect("removed");

        assert_eq!(removed.files_removed, 2, "both files of the folder go");
        assert_eq!(
            removed.abort_upload_ids,
            vec!["upload-2".to_owned()],
            "in-flight upload"
        );
        assert!(
            catalog.get_file(done).expect("read").is_none(),
            "rows of the folder are gone"
        );
        assert!(
            catalog.get_folder(gone).expect("read").is_none(),
            "the folder is gone"
        );
        assert_eq!(
            catalog.counts_by_state().expect("counts").total(),
            1,
            "other folder kept"
        );
        assert!(
            catalog.is_tombstoned(sha(3)).expect("read"),
            "tombstones are never removed"
        );
        assert!(
            catalog
                .uploaded_key_for_sha(sha(1))
                .expect("read")
                .is_some(),
            "the bucket still holds the uploaded content, so the ledger keeps it"
        );
    }

    #[test]
    fn removing_an_unknown_folder_says_so() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let err = catalog
            .remove_folder(FolderId::from_raw(99))
            .expect_err("no such folder");
        assert_eq!(
            err.code(),
            FailureCode::CatalogFolderNotFound,
            "a typed error, not a silent no-op"
        );
    }
}
