//! A catalog file that SQLite cannot read (a disk error, a bad copy, an edit by hand) is moved
//! aside, never deleted, and a new one takes its place; the reconciliation scan of the watched
//! folders then fills the queue again. Before that, what can still be read of the bad file is
//! copied over: the watched folders and the two bucket ledgers (`uploaded_objects`, so content
//! already in the bucket is not uploaded again under another day's key, and `tombstones`, so
//! content an admin deleted stays deleted). Each table is copied whole or not at all.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{Catalog, CatalogError};

/// What [`Catalog::open_or_rebuild`] did with a catalog it could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuiltCatalog {
    /// Where the unreadable file went (its `-wal` and `-shm` files next to it, if any).
    pub backup: PathBuf,
    /// Why it could not be read.
    pub reason: String,
    /// Rows copied from the bad file, by table; a table that could not be read is absent.
    pub salvaged: Vec<(&'static str, usize)>,
}

impl RebuiltCatalog {
    /// A sentence for the log and the UI: what happened and what the user may need to do.
    #[must_use]
    pub fn message(&self) -> String {
        let salvaged = if self.salvaged.is_empty() {
            "nothing could be read from it (add the watched folders again with `lightbox \
             folders add` if they are not passed with --folder)"
                .to_owned()
        } else {
            let tables: Vec<String> = self
                .salvaged
                .iter()
                .map(|(table, rows)| format!("{rows} {table}"))
                .collect();
            format!("copied from it: {}", tables.join(", "))
        };
        format!(
            "the catalog could not be read ({}); it was moved to {} and a new one started: the \
             scan of the watched folders rebuilds the queue, and files already in the bucket are \
             not uploaded again where their content is known; {salvaged}",
            self.reason,
            self.backup.display()
        )
    }
}

/// The tables worth saving from a bad catalog, in an order that satisfies their references.
const SALVAGED_TABLES: [&str; 3] = ["folders", "uploaded_objects", "tombstones"];

impl Catalog {
    /// [`Catalog::open`], except that a catalog SQLite cannot read ([`CatalogError::Corrupt`])
    /// is moved to `<name>.corrupt-<unix ms>` and replaced by a new one, with what can still be
    /// read of it (see the module docs). Take the [`super::CatalogLock`] first.
    ///
    /// # Errors
    /// As [`Catalog::open`] for every other failure; [`CatalogError::Open`] when the bad file
    /// cannot be moved aside.
    pub fn open_or_rebuild(
        path: &Path,
        now: Timestamp,
    ) -> Result<(Self, Option<RebuiltCatalog>), CatalogError> {
        let reason = match Self::open(path) {
            Err(CatalogError::Corrupt { source, .. }) => source.to_string(),
            other => return other.map(|catalog| (catalog, None)),
        };
        let backup = backup_path(path, now);
        for suffix in ["", "-wal", "-shm"] {
            let from = with_suffix(path, suffix);
            if from.exists() {
                std::fs::rename(&from, with_suffix(&backup, suffix)).map_err(|e| {
                    CatalogError::Open {
                        path: path.to_path_buf(),
                        source: rusqlite::Error::SqliteFailure(
                            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                            Some(format!(
                                "it cannot be read, and moving it aside to {} failed: {e}",
                                backup.display()
                            )),
                        ),
                    }
                })?;
            }
        }
        let catalog = Self::open(path)?;
        let salvaged = catalog.salvage_from(&backup);
        Ok((
            catalog,
            Some(RebuiltCatalog {
                backup,
                reason,
                salvaged,
            }),
        ))
    }

    /// Copy [`SALVAGED_TABLES`] from the catalog file at `old`, each whole or not at all.
    fn salvage_from(&self, old: &Path) -> Vec<(&'static str, usize)> {
        let uri = format!("file:{}?mode=ro", old.display());
        if self
            .conn
            .execute("ATTACH DATABASE ?1 AS old", [uri.as_str()])
            .is_err()
        {
            return Vec::new();
        }
        let mut salvaged = Vec::new();
        for table in SALVAGED_TABLES {
            let copy = format!("INSERT OR IGNORE INTO main.{table} SELECT * FROM old.{table}");
            if let Ok(rows) = self.conn.execute(&copy, []) {
                salvaged.push((table, rows));
            }
        }
        if let Err(e) = self.conn.execute("DETACH DATABASE old", []) {
            tracing::warn!(error = %e, "could not detach the old catalog after salvaging it");
        }
        salvaged
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn backup_path(path: &Path, now: Timestamp) -> PathBuf {
    with_suffix(path, &format!(".corrupt-{}", now.as_millisecond()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::at;

    #[test]
    fn an_unreadable_catalog_is_moved_aside_and_a_new_one_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("catalog.sqlite");
        std::fs::write(
            &path,
            b"this is not a database, it was overwritten by mistake",
        )
        .expect("write garbage");
        let (catalog, rebuilt) = Catalog::open_or_rebuild(&path, at(42)).expect("it rebuilds");
        let rebuilt = rebuilt.expect("the bad file was noticed");
        assert_eq!(
            std::fs::read(&rebuilt.backup).expect("the backup is kept"),
            b"this is not a database, it was overwritten by mistake",
            "the bad file is moved aside byte for byte, never deleted"
        );
        assert!(rebuilt.backup.display().to_string().contains(".corrupt-"));
        assert!(
            rebuilt.salvaged.is_empty(),
            "nothing is readable in garbage"
        );
        assert!(
            rebuilt.message().contains("moved to") && rebuilt.message().contains("folders add"),
            "{}",
            rebuilt.message()
        );
        assert_eq!(catalog.counts_by_state().expect("counts").total(), 0);
        let (_, again) = Catalog::open_or_rebuild(&path, at(43)).expect("opens");
        assert!(
            again.is_none(),
            "the new catalog is readable: no second rebuild"
        );
    }

    /// A catalog file in a new temporary directory, watching `/photos` and remembering that
    /// an admin deleted content `[9; 32]`.
    fn catalog_with_a_folder_and_a_tombstone() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("catalog.sqlite");
        let mut catalog = Catalog::open(&path).expect("opens");
        catalog
            .add_folder(Path::new("/photos"), at(1))
            .expect("folder added");
        catalog
            .add_tombstone([9; 32].into(), "originals/2024/01/01/x.jpg", "admin", at(2))
            .expect("tombstone added");
        (dir, path)
    }

    #[test]
    fn a_readable_catalog_opens_as_it_is() {
        let (_dir, path) = catalog_with_a_folder_and_a_tombstone();
        let (catalog, rebuilt) = Catalog::open_or_rebuild(&path, at(2)).expect("opens");
        assert!(rebuilt.is_none());
        assert_eq!(catalog.list_folders().expect("folders").len(), 1);
    }

    #[test]
    fn the_readable_tables_of_a_damaged_catalog_are_salvaged() {
        let (dir, path) = catalog_with_a_folder_and_a_tombstone();
        let old = dir.path().join("old.sqlite");
        std::fs::rename(&path, &old).expect("move");
        let catalog = Catalog::open(&path).expect("a new catalog");
        let salvaged = catalog.salvage_from(&old);
        assert!(
            salvaged.contains(&("folders", 1)) && salvaged.contains(&("tombstones", 1)),
            "{salvaged:?}"
        );
        assert_eq!(catalog.list_folders().expect("folders").len(), 1);
        assert!(
            catalog.is_tombstoned([9; 32].into()).expect("reads"),
            "content the admin deleted stays deleted after a rebuild"
        );
    }
}
