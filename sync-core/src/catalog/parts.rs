//! The multipart journal: each part of an upload in flight, saved as soon as S3 accepts it,
//! so a restart uploads only the missing parts (checked against `ListParts`).

use jiff::Timestamp;
use rusqlite::params;

use super::files::require_step;
use super::migration::Migration;
use super::sql_values::{Millis, StoredU64};
use lightbox_types::{CompletedPart, Step};

use super::{Catalog, CatalogError, FileId};

const CREATE_PARTS: Migration = Migration {
    version: 3,
    description: "create parts",
    sql: "
        CREATE TABLE parts (
            file_id     INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
            part_number INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
            etag        TEXT NOT NULL,
            -- The part's x-amz-checksum value as sent (base64).
            checksum    TEXT NOT NULL,
            size        INTEGER NOT NULL,
            PRIMARY KEY (file_id, part_number)
        ) STRICT, WITHOUT ROWID;
    ",
};

/// This table's schema steps (collected by `schema`).
pub(super) const MIGRATIONS: &[Migration] = &[CREATE_PARTS];

impl Catalog {
    /// Save a part S3 accepted for the multipart upload `upload_id` of `file`, in its own
    /// transaction. Saving the same part number again replaces it (S3 keeps the last upload of
    /// a part number too). A part of an upload that was cleared or replaced meanwhile is
    /// refused, so it can never be completed into the wrong upload.
    ///
    /// # Errors
    /// [`CatalogError::StaleUpload`], [`CatalogError::WrongState`] unless `Uploading`,
    /// [`CatalogError::PartNumberOutOfRange`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_part(
        &mut self,
        file: FileId,
        upload_id: &str,
        part: &CompletedPart,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        if !lightbox_types::is_part_number(part.part_number) {
            return Err(CatalogError::PartNumberOutOfRange {
                file,
                part_number: part.part_number,
            });
        }
        self.write("record part", |conn| {
            let record = require_step(conn, file, Step::RecordPart)?;
            if record.multipart.as_ref().map(|m| m.upload_id.as_str()) != Some(upload_id) {
                return Err(CatalogError::StaleUpload {
                    file,
                    upload_id: upload_id.to_owned(),
                    part_number: part.part_number,
                }
                .into());
            }
            conn.prepare_cached(
                "INSERT INTO parts (file_id, part_number, etag, checksum, size)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (file_id, part_number) DO UPDATE SET
                     etag = excluded.etag, checksum = excluded.checksum, size = excluded.size",
            )?
            .execute(params![
                file,
                part.part_number,
                part.etag,
                part.checksum,
                StoredU64(part.size)
            ])?;
            conn.prepare_cached("UPDATE files SET updated_at_ms = ?2 WHERE id = ?1")?
                .execute(params![file, Millis(now)])?;
            Ok(())
        })
    }

    /// Every multipart upload id the journal holds (uploads in flight or waiting for a retry):
    /// the uploads in the bucket that are ours to resume, not orphans.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn journalled_upload_ids(&self) -> Result<Vec<String>, CatalogError> {
        self.read("list upload ids", |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT upload_id FROM files WHERE upload_id IS NOT NULL")?;
            let ids = stmt
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(ids)
        })
    }

    /// The saved parts of `file`'s upload in flight, by part number (empty when none).
    ///
    /// # Errors
    /// SQLite failures.
    pub fn parts(&self, file: FileId) -> Result<Vec<CompletedPart>, CatalogError> {
        self.read("list parts", |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT part_number, etag, checksum, size FROM parts
                 WHERE file_id = ?1 ORDER BY part_number",
            )?;
            let parts = stmt
                .query_map([file], |row| {
                    Ok(CompletedPart {
                        part_number: row.get(0)?,
                        etag: row.get(1)?,
                        checksum: row.get(2)?,
                        size: row.get::<_, StoredU64>(3)?.0,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(parts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UploadMethod;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, part, sha};
    use lightbox_types::{FailureCode, FileState};

    fn uploading_file() -> (Catalog, FileId) {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "big.cr3", sha(1), FileState::Planned);
        catalog
            .mark_uploading(file, &UploadMethod::multipart("up-1", 8 << 20), at(5))
            .expect("uploading");
        (catalog, file)
    }

    #[test]
    fn parts_come_back_in_part_number_order_and_a_retried_part_replaces_the_first() {
        let (mut catalog, file) = uploading_file();
        for number in [3, 1, 2] {
            catalog
                .record_part(file, "up-1", &part(number), at(6))
                .expect("saved");
        }
        let retried = CompletedPart {
            etag: "\"retried\"".to_owned(),
            ..part(2)
        };
        catalog
            .record_part(file, "up-1", &retried, at(7))
            .expect("saved again");

        let parts = catalog.parts(file).expect("listed");

        let numbers: Vec<u16> = parts.iter().map(|p| p.part_number).collect();
        assert_eq!(
            numbers,
            [1, 2, 3],
            "CompleteMultipartUpload needs ascending part numbers"
        );
        assert_eq!(
            parts[1], retried,
            "S3 keeps the last upload of a part number, so do we"
        );
    }

    #[test]
    fn a_part_of_a_replaced_upload_is_refused() {
        let (mut catalog, file) = uploading_file();
        catalog.clear_upload(file, at(6)).expect("cleared");
        catalog
            .mark_uploading(file, &UploadMethod::multipart("up-2", 8 << 20), at(7))
            .expect("a new upload");

        let err = catalog
            .record_part(file, "up-1", &part(1), at(8))
            .expect_err("stale");

        assert_eq!(
            err.code(),
            FailureCode::CatalogStaleUpload,
            "a late part of up-1: {err}"
        );
        assert!(
            catalog.parts(file).expect("read").is_empty(),
            "up-2 has no parts yet"
        );
    }

    #[test]
    fn part_numbers_outside_s3s_range_are_refused() {
        let (mut catalog, file) = uploading_file();
        for number in [0, 10_001] {
            let err = catalog
                .record_part(file, "up-1", &part(number), at(6))
                .expect_err("range");
            assert_eq!(
                err.code(),
                FailureCode::CatalogPartNumberOutOfRange,
                "part {number}: {err}"
            );
        }
    }

    #[test]
    fn parts_are_only_recorded_while_uploading() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Planned);
        let err = catalog
            .record_part(file, "up-1", &part(1), at(6))
            .expect_err("not uploading");
        assert_eq!(
            err.code(),
            FailureCode::CatalogWrongState,
            "planned files have no upload: {err}"
        );
    }
}
