//! Content lookups for the key planner, and the `uploaded_objects` ledger behind them.
//!
//! The ledger records which content went to which key when a file becomes `Uploaded`. It
//! describes the bucket, not the disk, so it outlives the file row (a vanished, moved or
//! changed file) and the folder: that is how content already uploaded is never uploaded
//! again, and how a key stays owned by its content.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::migration::Migration;
use super::sql_values::{Millis, StoredU64};
use super::{Catalog, CatalogError, Sha256Digest};

const CREATE_UPLOADED_OBJECTS: Migration = Migration {
    version: 4,
    description: "create uploaded_objects",
    sql: "
        CREATE TABLE uploaded_objects (
            key            TEXT PRIMARY KEY,
            sha256         BLOB NOT NULL CHECK (length(sha256) = 32),
            size           INTEGER NOT NULL,
            uploaded_at_ms INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX uploaded_objects_by_sha256 ON uploaded_objects (sha256);
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_UPLOADED_OBJECTS];

impl Catalog {
    /// A key that holds (or is planned to hold) content `sha256`: uploaded objects first,
    /// then files planned, uploading or failed with a key. `None` when this content is new.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn uploaded_key_for_sha(
        &self,
        sha256: Sha256Digest,
    ) -> Result<Option<String>, CatalogError> {
        self.read("find key for content", |conn| {
            let uploaded = conn
                .prepare_cached("SELECT key FROM uploaded_objects WHERE sha256 = ?1 LIMIT 1")?
                .query_row([sha256], |row| row.get(0))
                .optional()?;
            if uploaded.is_some() {
                return Ok(uploaded);
            }
            Ok(conn
                .prepare_cached(
                    "SELECT planned_key FROM files
                     WHERE sha256 = ?1 AND planned_key IS NOT NULL LIMIT 1",
                )?
                .query_row([sha256], |row| row.get(0))
                .optional()?)
        })
    }

    /// The content that holds (or is planned to hold) `key`, or `None` when the key is free.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn key_owner(&self, key: &str) -> Result<Option<Sha256Digest>, CatalogError> {
        self.read("find owner of key", |conn| Ok(key_owner(conn, key)?))
    }
}

pub(super) fn key_owner(conn: &Connection, key: &str) -> rusqlite::Result<Option<Sha256Digest>> {
    let uploaded = conn
        .prepare_cached("SELECT sha256 FROM uploaded_objects WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?;
    if uploaded.is_some() {
        return Ok(uploaded);
    }
    conn.prepare_cached("SELECT sha256 FROM files WHERE planned_key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()
}

/// Note that `key` now holds `sha256` (the file became `Uploaded`). The object at a key is
/// whatever was uploaded last, so this replaces an older entry for the key.
pub(super) fn record_uploaded_object(
    conn: &Connection,
    key: &str,
    sha256: Sha256Digest,
    size: u64,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO uploaded_objects (key, sha256, size, uploaded_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (key) DO UPDATE SET
             sha256 = excluded.sha256, size = excluded.size, uploaded_at_ms = excluded.uploaded_at_ms",
    )?
    .execute(params![key, sha256, StoredU64(size), Millis(now)])?;
    Ok(())
}

/// The object at `key` was deleted: forget it, so the key is free again.
pub(super) fn forget_uploaded_object(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM uploaded_objects WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, sha};
    use lightbox_types::FileState;

    #[test]
    fn content_lookups_see_planned_and_uploaded_content() {
        let (mut catalog, folder) = catalog_with_folder();
        drive_to(
            &mut catalog,
            folder,
            "hashed.jpg",
            sha(1),
            FileState::Hashed,
        );
        drive_to(
            &mut catalog,
            folder,
            "planned.jpg",
            sha(2),
            FileState::Planned,
        );
        drive_to(&mut catalog, folder, "done.jpg", sha(3), FileState::Done);
        // (content, key it holds, why)
        let cases = [
            (sha(1), None, "hashed but not planned: no key yet"),
            (
                sha(2),
                Some("originals/planned.jpg"),
                "planned content owns its key",
            ),
            (
                sha(3),
                Some("originals/done.jpg"),
                "uploaded content owns its key",
            ),
            (sha(4), None, "unknown content"),
        ];
        for (content, key, why) in cases {
            let found = catalog.uploaded_key_for_sha(content).expect("read");
            assert_eq!(found.as_deref(), key, "{why}");
            if let Some(key) = key {
                assert_eq!(
                    catalog.key_owner(key).expect("read"),
                    Some(content),
                    "{why}"
                );
            }
        }
        assert_eq!(
            catalog.key_owner("originals/free.jpg").expect("read"),
            None,
            "free key"
        );
    }

    #[test]
    fn the_last_upload_to_a_key_owns_it() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        catalog
            .write("test", |conn| {
                record_uploaded_object(conn, "k.jpg", sha(1), 10, at(1))?;
                record_uploaded_object(conn, "k.jpg", sha(2), 20, at(2))?;
                Ok(())
            })
            .expect("recorded");
        assert_eq!(
            catalog.key_owner("k.jpg").expect("read"),
            Some(sha(2)),
            "S3 keeps the last put"
        );
        assert_eq!(
            catalog.uploaded_key_for_sha(sha(1)).expect("read"),
            None,
            "sha(1) is gone"
        );
    }
}
