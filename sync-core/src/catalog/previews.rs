//! The `previews` ledger: for each uploaded original key, whether its previews are in the
//! bucket, or why not (a code from `preview::PreviewError`). Keyed by the object key, not the
//! file row, so it outlives the local file like the other bucket ledgers.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::schema::Migration;
use super::sql_values::Millis;
use super::{Catalog, CatalogError};

pub(super) const CREATE_PREVIEWS: Migration = Migration {
    description: "create previews",
    sql: "
        CREATE TABLE previews (
            original_key  TEXT PRIMARY KEY,
            -- 'made': thumb and screen are in the bucket; 'none': no preview (code says why).
            status        TEXT NOT NULL CHECK (status IN ('made', 'none')),
            code          TEXT,
            message       TEXT,
            updated_at_ms INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
    ",
};

/// What is known about an original's previews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewStatus {
    /// Thumb and screen previews are in the bucket.
    Made,
    /// No preview: `code` (e.g. `preview_unsupported`, `preview_failed`) and a message.
    None { code: String, message: String },
}

impl Catalog {
    /// Record the preview outcome for `original_key` (replacing an earlier one).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn record_preview(
        &mut self,
        original_key: &str,
        status: &PreviewStatus,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        let (text, code, message) = match status {
            PreviewStatus::Made => ("made", None, None),
            PreviewStatus::None { code, message } => ("none", Some(code), Some(message)),
        };
        self.write("record preview", |conn| {
            conn.execute(
                "INSERT INTO previews (original_key, status, code, message, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (original_key) DO UPDATE SET status = ?2, code = ?3, message = ?4,
                     updated_at_ms = ?5",
                params![original_key, text, code, message, Millis(now)],
            )?;
            Ok(())
        })
    }

    /// The preview outcome recorded for `original_key`, if any.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn preview_status(
        &self,
        original_key: &str,
    ) -> Result<Option<PreviewStatus>, CatalogError> {
        self.read("read preview", |conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT status, code, message FROM previews WHERE original_key = ?1",
                )?
                .query_row([original_key], |row| {
                    let status: String = row.get(0)?;
                    Ok(if status == "made" {
                        PreviewStatus::Made
                    } else {
                        PreviewStatus::None {
                            code: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                            message: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        }
                    })
                })
                .optional()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::at;

    #[test]
    fn the_last_outcome_per_key_is_kept() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let failed = PreviewStatus::None {
            code: "preview_failed".into(),
            message: "damaged".into(),
        };
        catalog
            .record_preview("originals/a.jpg", &failed, at(1))
            .expect("written");
        assert_eq!(
            catalog.preview_status("originals/a.jpg").expect("read"),
            Some(failed),
            "a failure is kept with its code"
        );
        catalog
            .record_preview("originals/a.jpg", &PreviewStatus::Made, at(2))
            .expect("written");
        assert_eq!(
            catalog.preview_status("originals/a.jpg").expect("read"),
            Some(PreviewStatus::Made),
            "a later success replaces it"
        );
        assert_eq!(
            catalog.preview_status("originals/b.jpg").expect("read"),
            None,
            "unknown keys have no outcome"
        );
    }
}
