//! Schema migrations, tracked in SQLite's `user_version`.
//!
//! `user_version` is the version of the last migration applied. Each migration runs in its own
//! transaction together with the `user_version` bump, so a crash leaves either the old or the
//! new schema. Each table's file declares its own steps (`MIGRATIONS`, with [`Migration`] from
//! the leaf module `migration`); this module collects them in version order, refusing a version
//! claimed twice or skipped. Never edit a released step; a new one takes the next version.

use std::path::Path;
use std::sync::OnceLock;

use rusqlite::{Connection, TransactionBehavior};

use super::migration::{Migration, in_order};
use super::{
    CatalogError, Fault, content, files, folders, index_holds, parts, previews, tombstones,
};

/// Every table's migrations, as declared in its file.
const TABLES: &[&[Migration]] = &[
    folders::MIGRATIONS,
    files::MIGRATIONS,
    parts::MIGRATIONS,
    content::MIGRATIONS,
    tombstones::MIGRATIONS,
    previews::MIGRATIONS,
    index_holds::MIGRATIONS,
];

/// Every migration in version order (checked once; the unit tests check it on every build).
fn migrations() -> &'static [&'static Migration] {
    static ORDERED: OnceLock<Vec<&'static Migration>> = OnceLock::new();
    ORDERED.get_or_init(|| {
        in_order(TABLES).unwrap_or_else(|e| {
            panic!("the catalog's migrations are inconsistent ({e}): fix their versions")
        })
    })
}

/// The schema version this build writes.
pub(super) fn latest_version() -> i64 {
    migrations().last().map_or(0, |m| m.version)
}

/// The schema version of the open database.
pub(super) fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Apply every migration the database has not seen yet. Refuses a database from a newer
/// Lightbox rather than guessing at its schema.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Fault> {
    let found = current_version(conn)?;
    let supported = latest_version();
    if found > supported {
        return Err(CatalogError::TooNew {
            path: path.to_path_buf(),
            found,
            supported,
        }
        .into());
    }
    for migration in migrations().iter().filter(|m| m.version > found) {
        let version = migration.version;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process (a `lightbox status` while the daemon starts) may have applied
        // this migration between our read and our write lock: check again under the lock.
        if current_version(&tx)? >= version {
            continue;
        }
        tx.execute_batch(migration.sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(
            catalog = %path.display(),
            version,
            migration = migration.description,
            "catalog schema migrated"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::catalog::test_support::{at, rel, stat};
    use lightbox_types::FailureCode;

    #[test]
    fn every_table_s_migrations_fit_together() {
        let ordered = in_order(TABLES).expect("unique versions from 1 without a gap");
        assert_eq!(
            ordered.len(),
            11,
            "eleven steps so far: five tables, previews, files.crc64nvme, the namespaced \
             failure codes, the index holds, folders.presence and files.duplicate_of"
        );
        assert_eq!(
            latest_version(),
            11,
            "the latest version is the last step's"
        );
    }

    #[test]
    fn a_new_catalog_is_at_the_latest_version() {
        let catalog = Catalog::open_in_memory().expect("an in-memory catalog opens");
        assert_eq!(
            current_version(&catalog.conn).expect("user_version reads"),
            latest_version(),
            "every migration runs on a fresh database"
        );
    }

    #[test]
    fn reopening_a_file_catalog_keeps_data_and_runs_no_migration_twice() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let path = dir.path().join("catalog.db");
        let (folder, file) = {
            let mut catalog = Catalog::open(&path).expect("a new file catalog opens");
            let folder = catalog
                .add_folder(Path::new("/photos"), at(1))
                .expect("folder added");
            let file = catalog
                .observe_file(folder, &rel("a.jpg"), &stat(10, 1), at(2))
                .expect("file observed")
                .file();
            (folder, file)
        };
        for _ in 0..2 {
            // Re-running a CREATE TABLE would fail, so reopening proves the versions are honoured.
            let catalog = Catalog::open(&path).expect("reopening an up-to-date catalog works");
            assert_eq!(
                current_version(&catalog.conn).expect("user_version reads"),
                latest_version(),
                "the version stays at the latest"
            );
            let record = catalog
                .get_file(file)
                .expect("read")
                .expect("the row survived");
            assert_eq!(
                record.folder, folder,
                "data written before the reopen is still there"
            );
        }
    }

    #[test]
    fn processes_opening_a_new_catalog_at_once_all_succeed() {
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("a temp dir can be made");
            let path = dir.path().join("catalog.db");
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || Catalog::open(&path).map(drop))
                })
                .collect();
            for opener in openers {
                let opened = opener.join().expect("no panic");
                assert!(
                    opened.is_ok(),
                    "round {round}: concurrent first opens must not race the migrations: {opened:?}"
                );
            }
        }
    }

    #[test]
    fn a_catalog_from_a_newer_lightbox_is_refused() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let path = dir.path().join("catalog.db");
        drop(Catalog::open(&path).expect("a new file catalog opens"));
        let conn = Connection::open(&path).expect("plain SQLite opens it");
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .expect("version set");
        drop(conn);

        let err = Catalog::open(&path).expect_err("a newer schema must not be guessed at");
        assert_eq!(
            err.code(),
            FailureCode::CatalogTooNew,
            "the user is told to upgrade: {err}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let path = dir.path().join("catalog.db");
        std::fs::write(&path, vec![0x5a_u8; 8192]).expect("the temp dir is writable");

        let err = Catalog::open(&path).expect_err("garbage is not a catalog");
        assert_eq!(
            err.code(),
            FailureCode::CatalogCorrupt,
            "corruption has its own code: {err}"
        );
        assert!(
            err.to_string().contains("move it aside"),
            "and says what to do: {err}"
        );
    }

    #[test]
    fn file_catalogs_use_wal_and_enforce_foreign_keys() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let catalog = Catalog::open(&dir.path().join("catalog.db")).expect("opens");
        let mode: String = catalog
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .expect("journal_mode reads");
        assert_eq!(mode, "wal", "readers must not block the engine's writes");
        let fk: i64 = catalog
            .conn
            .pragma_query_value(None, "foreign_keys", |row| row.get(0))
            .expect("foreign_keys reads");
        assert_eq!(
            fk, 1,
            "removing a folder must cascade to its files and parts"
        );
    }
}
