//! The `previews` ledger: for each uploaded original key, whether its previews are in the
//! bucket, or why not (a code from `preview::PreviewError`). Keyed by the object key, not the
//! file row, so it outlives the local file like the other bucket ledgers.

use jiff::Timestamp;
use lightbox_types::FailureCode;
use rusqlite::{Connection, OptionalExtension, params};

use super::migration::Migration;
use super::sql_values::Millis;
use super::transitions::mark_done_in;
use super::{Catalog, CatalogError, FileId};

const CREATE_PREVIEWS: Migration = Migration {
    version: 6,
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

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_PREVIEWS];

/// What is known about an original's previews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewStatus {
    /// Thumb and screen previews are in the bucket.
    Made,
    /// No preview: `code` (e.g. `preview_unsupported`, `preview_failed`) and a message.
    None { code: FailureCode, message: String },
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
        self.write("record preview", |conn| {
            Ok(upsert_preview(conn, original_key, status, now)?)
        })
    }

    /// The previews of `file` (an `Uploaded` row whose original is `original_key`) are
    /// finished: record `status` and move the row `Uploaded → Done`, in one transaction, so a
    /// crash leaves either both or neither (DESIGN.md, data flow step 6). A `None` outcome
    /// (no preview possible, with its code) finishes a row as much as `Made` does.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`] when the row is no longer `Uploaded` (nothing is written),
    /// [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn finish_previews(
        &mut self,
        file: FileId,
        original_key: &str,
        status: &PreviewStatus,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("finish previews", |conn| {
            mark_done_in(conn, file, now)?;
            Ok(upsert_preview(conn, original_key, status, now)?)
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
                    "SELECT status = 'made', code, message FROM previews WHERE original_key = ?1",
                )?
                .query_row([original_key], |row| {
                    let made: bool = row.get(0)?;
                    Ok(if made {
                        PreviewStatus::Made
                    } else {
                        PreviewStatus::None {
                            code: row
                                .get::<_, Option<FailureCode>>(1)?
                                .unwrap_or(FailureCode::Unrecognized),
                            message: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        }
                    })
                })
                .optional()?)
        })
    }
}

/// Record [`FailureCode::PreviewSourceMissing`] for `original_key` unless an outcome is known
/// already.
pub(super) fn record_source_missing(
    conn: &Connection,
    original_key: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO previews (original_key, status, code, message, updated_at_ms)
         VALUES (?1, 'none', ?2, ?3, ?4)
         ON CONFLICT (original_key) DO NOTHING",
    )?
    .execute(params![
        original_key,
        FailureCode::PreviewSourceMissing,
        SOURCE_MISSING_MESSAGE,
        Millis(now)
    ])?;
    Ok(())
}

/// What [`FailureCode::PreviewSourceMissing`] means for the user.
pub const SOURCE_MISSING_MESSAGE: &str = "no preview: the local file was gone before its preview \
                                          was made; the original is uploaded and can be opened \
                                          full size";

fn upsert_preview(
    conn: &Connection,
    original_key: &str,
    status: &PreviewStatus,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let (text, code, message) = match status {
        PreviewStatus::Made => ("made", None, None),
        PreviewStatus::None { code, message } => ("none", Some(code), Some(message)),
    };
    conn.prepare_cached(
        "INSERT INTO previews (original_key, status, code, message, updated_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (original_key) DO UPDATE SET status = ?2, code = ?3, message = ?4,
             updated_at_ms = ?5",
    )?
    .execute(params![original_key, text, code, message, Millis(now)])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, sha};
    use lightbox_types::FileState;

    #[test]
    fn the_last_outcome_per_key_is_kept() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let failed = PreviewStatus::None {
            code: FailureCode::PreviewFailed,
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

    #[test]
    fn finishing_previews_makes_only_an_uploaded_row_done() {
        let none = PreviewStatus::None {
            code: FailureCode::PreviewSourceMissing,
            message: "gone".into(),
        };
        // (state before, outcome, finishes?, why)
        let cases = [
            (
                FileState::Uploaded,
                PreviewStatus::Made,
                true,
                "previews in the bucket",
            ),
            (
                FileState::Uploaded,
                none.clone(),
                true,
                "no preview, with a code, is finished too",
            ),
            (
                FileState::Done,
                PreviewStatus::Made,
                false,
                "already done: refused",
            ),
            (
                FileState::Planned,
                PreviewStatus::Made,
                false,
                "the original is not verified yet",
            ),
        ];
        for (before, status, finishes, why) in cases {
            let (mut catalog, folder) = catalog_with_folder();
            let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), before);
            let key = "originals/a.jpg";

            let result = catalog.finish_previews(file, key, &status, at(50));

            let after = catalog.get_file(file).expect("read").expect("row").state;
            let ledger = catalog.preview_status(key).expect("read");
            if finishes {
                assert!(result.is_ok(), "{why}: {result:?}");
                assert_eq!(after, FileState::Done, "{why}");
                assert_eq!(
                    ledger,
                    Some(status),
                    "{why}: the outcome is kept with the row"
                );
            } else {
                let err = result.expect_err(why);
                assert_eq!(err.code(), FailureCode::CatalogWrongState, "{why}: {err}");
                assert_eq!(after, before, "{why}: the row is untouched");
                assert_eq!(ledger, None, "{why}: nothing is written (one transaction)");
            }
        }
    }
}
