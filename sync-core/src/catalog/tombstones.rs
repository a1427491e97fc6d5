//! Tombstones: content an admin deleted from the bucket, which must never be uploaded again.
//! They outlive every file and folder row.

use jiff::Timestamp;
use rusqlite::params;

use super::content::forget_uploaded_object;
use super::migration::Migration;
use super::sql_values::Millis;
use super::{Catalog, CatalogError, Sha256Digest};

const CREATE_TOMBSTONES: Migration = Migration {
    version: 5,
    description: "create tombstones",
    sql: "
        CREATE TABLE tombstones (
            sha256        BLOB NOT NULL CHECK (length(sha256) = 32),
            key           TEXT NOT NULL,
            deleted_at_ms INTEGER NOT NULL,
            -- Who deleted it (the admin's Cognito sub or user name).
            deleted_by    TEXT NOT NULL,
            PRIMARY KEY (sha256, key)
        ) STRICT, WITHOUT ROWID;
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_TOMBSTONES];

impl Catalog {
    /// Record that `deleted_by` deleted the object `key` holding `sha256`. Idempotent: a
    /// repeated deletion keeps the first record. The key is freed in the uploaded-objects
    /// ledger in the same transaction, while the content stays barred by the tombstone.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn add_tombstone(
        &mut self,
        sha256: Sha256Digest,
        key: &str,
        deleted_by: &str,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("add tombstone", |conn| {
            conn.execute(
                "INSERT INTO tombstones (sha256, key, deleted_at_ms, deleted_by)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sha256, key) DO NOTHING",
                params![sha256, key, Millis(now), deleted_by],
            )?;
            forget_uploaded_object(conn, key)?;
            Ok(())
        })
    }

    /// Whether an admin deleted content `sha256` before (under any key).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn is_tombstoned(&self, sha256: Sha256Digest) -> Result<bool, CatalogError> {
        self.read("check tombstone", |conn| {
            Ok(conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM tombstones WHERE sha256 = ?1)")?
                .query_row([sha256], |row| row.get(0))?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, sha};
    use lightbox_types::FileState;

    #[test]
    fn tombstoned_content_is_found_by_sha_only() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        catalog
            .add_tombstone(sha(1), "originals/a.jpg", "admin-sub", at(1))
            .expect("added");
        catalog
            .add_tombstone(sha(1), "originals/a.jpg", "admin-sub", at(2))
            .expect("repeat ok");

        let cases = [
            (sha(1), true, "deleted content"),
            (sha(2), false, "other content"),
        ];
        for (content, expected, why) in cases {
            assert_eq!(
                catalog.is_tombstoned(content).expect("read"),
                expected,
                "{why}"
            );
        }
    }

    #[test]
    fn a_tombstone_frees_the_key_but_bars_the_content() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Done);
        catalog
            .mark_vanished(file)
            .expect("the local file was cleaned up too");

        catalog
            .add_tombstone(sha(1), "originals/a.jpg", "admin", at(9))
            .expect("added");

        assert_eq!(
            catalog.key_owner("originals/a.jpg").expect("read"),
            None,
            "object is gone"
        );
        assert!(
            catalog.is_tombstoned(sha(1)).expect("read"),
            "and must not come back"
        );
    }
}
