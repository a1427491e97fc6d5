//! What the shared index (docs/index.md) needs the catalog to keep: this station's id (8 hex
//! digits, so a re-installed machine is a new station) and, per planned file, the reservation
//! it holds in the index (its token, its random gallery value and when it was taken), recorded
//! in the same transaction that marks the file `Planned`, before any byte is sent.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::migration::Migration;
use super::transitions::record_plan_in;
use super::{Catalog, CatalogError, FileId};

const CREATE_INDEX_HOLDS: Migration = Migration {
    version: 9,
    description: "create index_holds and index_station",
    sql: "
        CREATE TABLE index_holds (
            file_id        INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
            -- The reservation's token in the index (128 bits, hex).
            token          TEXT NOT NULL,
            -- The content's random value (`rnd`) as registered.
            rnd            TEXT NOT NULL,
            reserved_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE index_station (
            id TEXT NOT NULL CHECK (length(id) = 8)
        ) STRICT;
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_INDEX_HOLDS];

/// A file's reservation in the shared index, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHold {
    pub token: String,
    pub rnd: String,
    pub reserved_at_ms: i64,
}

impl Catalog {
    /// This station's id: 8 hex digits, drawn once and kept.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn station_id(&mut self) -> Result<String, CatalogError> {
        self.write("read station id", |conn| {
            let id: Option<String> = conn
                .query_row("SELECT id FROM index_station LIMIT 1", [], |row| row.get(0))
                .optional()?;
            if let Some(id) = id {
                return Ok(id);
            }
            let id = hex::encode(rand::random::<[u8; 4]>());
            conn.execute("INSERT INTO index_station (id) VALUES (?1)", [&id])?;
            Ok(id)
        })
    }

    /// `Hashed → Planned` at `key` (as [`Catalog::record_plan`]) with the index reservation
    /// `hold`, in one transaction.
    ///
    /// # Errors
    /// As [`Catalog::record_plan`].
    pub fn record_plan_held(
        &mut self,
        file: FileId,
        key: &str,
        hold: &IndexHold,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("record plan with its reservation", |conn| {
            record_plan_in(conn, file, key, now)?;
            conn.prepare_cached(
                "INSERT INTO index_holds (file_id, token, rnd, reserved_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (file_id) DO UPDATE SET token = excluded.token,
                     rnd = excluded.rnd, reserved_at_ms = excluded.reserved_at_ms",
            )?
            .execute(params![file, hold.token, hold.rnd, hold.reserved_at_ms])?;
            Ok(())
        })
    }

    /// The reservation `file` holds in the index, if any.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn index_hold(&self, file: FileId) -> Result<Option<IndexHold>, CatalogError> {
        self.read("read index hold", |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT token, rnd, reserved_at_ms FROM index_holds WHERE file_id = ?1",
                )?
                .query_row([file], |row| {
                    Ok(IndexHold {
                        token: row.get(0)?,
                        rnd: row.get(1)?,
                        reserved_at_ms: row.get(2)?,
                    })
                })
                .optional()?)
        })
    }

    /// Forget `file`'s reservation (it went live, or was lost).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn clear_index_hold(&mut self, file: FileId) -> Result<(), CatalogError> {
        self.write("clear index hold", |conn| {
            conn.prepare_cached("DELETE FROM index_holds WHERE file_id = ?1")?
                .execute([file])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, sha};
    use lightbox_types::FileState;

    #[test]
    fn the_station_id_is_drawn_once_and_a_hold_is_recorded_with_the_plan() {
        let (mut catalog, folder) = catalog_with_folder();
        let id = catalog.station_id().expect("drawn");
        assert_eq!(id.len(), 8);
        assert_eq!(catalog.station_id().expect("kept"), id, "kept");
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Hashed);
        let hold = IndexHold {
            token: "t".repeat(32),
            rnd: "0123456789abcdef".to_owned(),
            reserved_at_ms: 42,
        };
        catalog
            .record_plan_held(file, "originals/2024/03/09/a.jpg", &hold, at(2))
            .expect("planned");
        assert_eq!(catalog.index_hold(file).expect("read"), Some(hold));
        catalog.clear_index_hold(file).expect("cleared");
        assert_eq!(catalog.index_hold(file).expect("read"), None);
    }
}
