//! The state changes of one file, each one transaction that first checks the file is in a
//! state the step applies to, as the table of allowed moves says ([`lightbox_types::MOVES`];
//! otherwise [`CatalogError::WrongState`] and nothing is written).
//!
//! # Failure and retry
//! [`Catalog::record_failure`] remembers the state the file failed in (`failed_in`) and
//! keeps everything done so far: hash, key, and a multipart upload with its parts.
//! [`Catalog::retry`] puts the file back into that state, so the step that failed runs again
//! and nothing before it is repeated. One exception: a failure while `Uploading` without a
//! multipart upload to resume (a single `PutObject`, or an upload already cleared) goes back
//! to `Planned`, because there is nothing to resume and the upload starts over.
//! `attempts` keeps counting across retries (the retry policy's backoff and maximum need it)
//! and is reset only when the file changes on disk.

use jiff::Timestamp;

use lightbox_types::{CaptureTime, FailureCode, Step};
use rusqlite::{Connection, params};

use super::content::{key_owner, record_uploaded_object};
use super::files::require_step;
use super::sql_values::{Millis, StoredU64};
use super::{Catalog, CatalogError, Fault, FileId, FileState, MultipartUpload, Sha256Digest};

use FileState::{Discovered, Failed, Hashed, Planned, Ready, Uploaded, Uploading};

/// How a planned file is being uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadMethod {
    /// One `PutObject` with `If-None-Match: *`; nothing to journal.
    SinglePut,
    /// A multipart upload whose parts are journalled with [`Catalog::record_part`].
    Multipart(MultipartUpload),
}

impl UploadMethod {
    /// A multipart upload `upload_id` with parts of `part_size` bytes.
    #[must_use]
    pub fn multipart(upload_id: impl Into<String>, part_size: u64) -> Self {
        UploadMethod::Multipart(MultipartUpload {
            upload_id: upload_id.into(),
            part_size,
        })
    }
}

fn set_state(
    conn: &Connection,
    file: FileId,
    state: FileState,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE files SET state = ?2, updated_at_ms = ?3 WHERE id = ?1")?
        .execute(params![file, state, Millis(now)])?;
    Ok(())
}

/// `Uploaded → Done` inside the caller's transaction (see [`Catalog::mark_done`]).
pub(super) fn mark_done_in(conn: &Connection, file: FileId, now: Timestamp) -> Result<(), Fault> {
    require_step(conn, file, Step::MarkDone)?;
    conn.prepare_cached(
        "UPDATE files SET state = ?2, last_error_code = NULL, last_error_message = NULL,
             next_attempt_at_ms = NULL, updated_at_ms = ?3
         WHERE id = ?1",
    )?
    .execute(params![file, FileState::Done, Millis(now)])?;
    Ok(())
}

fn delete_parts(conn: &Connection, file: FileId) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM parts WHERE file_id = ?1")?
        .execute([file])?;
    Ok(())
}

impl Catalog {
    /// `Discovered → Ready`: the file held still for the settle window and opens.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn mark_ready(&mut self, file: FileId, now: Timestamp) -> Result<(), CatalogError> {
        self.write("mark file ready", |conn| {
            require_step(conn, file, Step::MarkReady)?;
            Ok(set_state(conn, file, Ready, now)?)
        })
    }

    /// `Ready → Hashed`: the content's SHA-256 and CRC64/NVME (base64, from the same read) and,
    /// when EXIF has one, its capture time.
    /// A file that changed while it was being read is back to `Discovered` by then, so the
    /// stale hash is refused with [`CatalogError::WrongState`].
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_fingerprint(
        &mut self,
        file: FileId,
        sha256: Sha256Digest,
        crc64nvme: Option<&str>,
        capture_time: Option<&CaptureTime>,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("record fingerprint", |conn| {
            require_step(conn, file, Step::RecordFingerprint)?;
            conn.prepare_cached(
                "UPDATE files SET state = ?2, sha256 = ?3, capture_time = ?4, updated_at_ms = ?5,
                     crc64nvme = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                file,
                Hashed,
                sha256,
                capture_time,
                Millis(now),
                crc64nvme
            ])?;
            Ok(())
        })
    }

    /// `Hashed → Planned`: the object key. A key already held or planned by different
    /// content is refused ([`CatalogError::KeyTaken`]): two files never share a key.
    ///
    /// # Errors
    /// [`CatalogError::KeyTaken`], [`CatalogError::WrongState`], [`CatalogError::FileNotFound`];
    /// SQLite failures.
    pub fn record_plan(
        &mut self,
        file: FileId,
        key: &str,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("record plan", |conn| record_plan_in(conn, file, key, now))
    }

    /// `Discovered | Ready | Hashed | Planned → Skipped`: nothing to upload, for `reason` (a
    /// short code such as `duplicate` or `tombstoned`). A planned key is released.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_skip(
        &mut self,
        file: FileId,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("record skip", |conn| {
            require_step(conn, file, Step::Skip)?;
            conn.prepare_cached(
                "UPDATE files SET state = ?2, skip_reason = ?3, planned_key = NULL,
                     updated_at_ms = ?4
                 WHERE id = ?1",
            )?
            .execute(params![file, FileState::Skipped, reason, Millis(now)])?;
            Ok(())
        })
    }

    /// The shared index says this file's content is live at `key`: another station uploaded
    /// and verified it there. Noted in this station's uploaded-objects ledger, so that
    /// [`Catalog::record_duplicate`] finds it in the bucket and the file counts as done.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_live_elsewhere(
        &mut self,
        file: FileId,
        key: &str,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("record content live elsewhere", |conn| {
            let record = require_step(conn, file, Step::RecordDuplicate)?;
            let Some(sha256) = record.sha256 else {
                return Ok(());
            };
            record_uploaded_object(conn, key, sha256, record.stat.size, now)?;
            Ok(())
        })
    }

    /// `Hashed → Done` when the bucket already holds this file's content at `key` (the
    /// uploaded-objects ledger says so): the file is done, a duplicate at `key`. Returns
    /// `false`, changing nothing, when `key` is not known to hold this content in the bucket
    /// (it is only planned for another file): the caller skips it instead.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_duplicate(
        &mut self,
        file: FileId,
        key: &str,
        now: Timestamp,
    ) -> Result<bool, CatalogError> {
        self.write("record duplicate", |conn| {
            let record = require_step(conn, file, Step::RecordDuplicate)?;
            let in_bucket: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM uploaded_objects WHERE key = ?1 AND sha256 = ?2)",
                params![key, record.sha256],
                |row| row.get(0),
            )?;
            if !in_bucket {
                return Ok(false);
            }
            conn.prepare_cached(
                "UPDATE files SET state = ?2, duplicate_of = ?3, skip_reason = NULL,
                     planned_key = NULL, last_error_code = NULL, last_error_message = NULL,
                     next_attempt_at_ms = NULL, updated_at_ms = ?4
                 WHERE id = ?1",
            )?
            .execute(params![file, FileState::Done, key, Millis(now)])?;
            Ok(true)
        })
    }

    /// `Planned → Uploading` with `method`. Also `Uploading → Uploading` to record a
    /// multipart upload for a file resumed without one; a file with an upload already
    /// recorded must [`Catalog::clear_upload`] first.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn mark_uploading(
        &mut self,
        file: FileId,
        method: &UploadMethod,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        self.write("mark file uploading", |conn| {
            let record = require_step(conn, file, Step::StartUpload)?;
            if record.multipart.is_some() {
                return Err(CatalogError::WrongState {
                    file,
                    action: "start another upload of",
                    state: record.state,
                    expected: "no upload in flight (clear the current one first)".to_owned(),
                }
                .into());
            }
            let (upload_id, part_size) = match method {
                UploadMethod::SinglePut => (None, None),
                UploadMethod::Multipart(m) => {
                    (Some(m.upload_id.as_str()), Some(StoredU64(m.part_size)))
                }
            };
            conn.prepare_cached(
                "UPDATE files SET state = ?2, upload_id = ?3, part_size = ?4, updated_at_ms = ?5
                 WHERE id = ?1",
            )?
            .execute(params![file, Uploading, upload_id, part_size, Millis(now)])?;
            Ok(())
        })
    }

    /// Forget `file`'s multipart upload and its parts (S3 no longer has it, or it is being
    /// abandoned). `Uploading → Planned`, so the upload starts over; a `Failed` file stays
    /// `Failed` and retries from `Planned`. Returns the upload id that was cleared, so the
    /// caller can abort it if S3 still has it.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn clear_upload(
        &mut self,
        file: FileId,
        now: Timestamp,
    ) -> Result<Option<String>, CatalogError> {
        self.write("clear upload", |conn| {
            let record = require_step(conn, file, Step::ClearUpload)?;
            let state = if record.state == Uploading {
                Planned
            } else {
                Failed
            };
            conn.prepare_cached(
                "UPDATE files SET state = ?2, upload_id = NULL, part_size = NULL, updated_at_ms = ?3
                 WHERE id = ?1",
            )?
            .execute(params![file, state, Millis(now)])?;
            delete_parts(conn, file)?;
            Ok(record.multipart.map(|m| m.upload_id))
        })
    }

    /// `Uploading → Uploaded`: the object is complete and verified. Records the object in
    /// the uploaded-objects ledger and drops the multipart journal, in the same transaction.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn mark_uploaded(&mut self, file: FileId, now: Timestamp) -> Result<(), CatalogError> {
        self.write("mark file uploaded", |conn| {
            let record = require_step(conn, file, Step::MarkUploaded)?;
            if let (Some(key), Some(sha256)) = (&record.planned_key, record.sha256) {
                record_uploaded_object(conn, key, sha256, record.stat.size, now)?;
            }
            conn.prepare_cached(
                "UPDATE files SET state = ?2, upload_id = NULL, part_size = NULL, updated_at_ms = ?3
                 WHERE id = ?1",
            )?
            .execute(params![file, Uploaded, Millis(now)])?;
            delete_parts(conn, file)?;
            Ok(())
        })
    }

    /// `Uploaded → Done`: previews are up too. Clears the last failure.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn mark_done(&mut self, file: FileId, now: Timestamp) -> Result<(), CatalogError> {
        self.write("mark file done", |conn| mark_done_in(conn, file, now))
    }

    /// A step failed: `→ Failed` from any working state, with `code` and `message`, one more
    /// attempt counted, and `next_attempt_at` from the retry policy (`None`: permanent, only
    /// a user's retry brings it back). Returns the attempts so far.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn record_failure(
        &mut self,
        file: FileId,
        code: FailureCode,
        message: &str,
        next_attempt_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<u32, CatalogError> {
        self.write("record failure", |conn| {
            let record = require_step(conn, file, Step::RecordFailure)?;
            let attempts = record.attempts.saturating_add(1);
            conn.prepare_cached(
                "UPDATE files SET state = ?2, failed_in = ?3, attempts = ?4,
                     next_attempt_at_ms = ?5, last_error_code = ?6, last_error_message = ?7,
                     updated_at_ms = ?8
                 WHERE id = ?1",
            )?
            .execute(params![
                file,
                Failed,
                record.state,
                attempts,
                next_attempt_at.map(Millis),
                code,
                message,
                Millis(now),
            ])?;
            Ok(attempts)
        })
    }

    /// `Failed →` the state it failed in (see the module docs), to run the failed step again.
    /// Keeps `attempts` and the last failure (shown until the file is `Done`). Returns the
    /// state the file is back in.
    ///
    /// # Errors
    /// [`CatalogError::WrongState`], [`CatalogError::FileNotFound`]; SQLite failures.
    pub fn retry(&mut self, file: FileId, now: Timestamp) -> Result<FileState, CatalogError> {
        self.write("retry file", |conn| {
            let record = require_step(conn, file, Step::Retry)?;
            let resume_in = match record.failed_in {
                Some(Uploading) if record.multipart.is_none() => Planned,
                Some(state) => state,
                // Failed rows always record failed_in; an old or hand-edited row restarts.
                None => Discovered,
            };
            conn.prepare_cached(
                "UPDATE files SET state = ?2, failed_in = NULL, next_attempt_at_ms = NULL,
                     updated_at_ms = ?3
                 WHERE id = ?1",
            )?
            .execute(params![file, resume_in, Millis(now)])?;
            Ok(resume_in)
        })
    }
}

/// `Hashed → Planned` inside a write: [`Catalog::record_plan`]'s rules.
pub(super) fn record_plan_in(
    conn: &Connection,
    file: FileId,
    key: &str,
    now: Timestamp,
) -> Result<(), Fault> {
    let record = require_step(conn, file, Step::Plan)?;
    let held_by_other_content =
        key_owner(conn, key)?.is_some_and(|owner| Some(owner) != record.sha256);
    // Same content planned twice under one name is a duplicate the planner skips.
    let planned_for_another_file: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM files WHERE planned_key = ?1 AND id != ?2)")?
        .query_row(params![key, file], |row| row.get(0))?;
    if held_by_other_content || planned_for_another_file {
        return Err(CatalogError::KeyTaken {
            file,
            key: key.to_owned(),
        }
        .into());
    }
    conn.prepare_cached(
        "UPDATE files SET state = ?2, planned_key = ?3, updated_at_ms = ?4 WHERE id = ?1",
    )?
    .execute(params![file, Planned, key, Millis(now)])?;
    Ok(())
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, part, rel, sha, stat};

    #[test]
    fn the_happy_path_walks_every_state_in_order() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = catalog
            .observe_file(folder, &rel("a.jpg"), &stat(10, 1), at(1))
            .expect("observed")
            .file();
        let capture: CaptureTime = "2024-06-01T14:03:07+02:00".parse().expect("valid");
        let state = |catalog: &Catalog| catalog.get_file(file).expect("read").expect("row").state;

        catalog.mark_ready(file, at(2)).expect("ready");
        assert_eq!(state(&catalog), Ready, "settled");
        catalog
            .record_fingerprint(file, sha(1), Some("AAAAAAAAAAA="), Some(&capture), at(3))
            .expect("hashed");
        assert_eq!(state(&catalog), Hashed, "fingerprinted");
        catalog
            .record_plan(file, "originals/a.jpg", at(4))
            .expect("planned");
        assert_eq!(state(&catalog), Planned, "key chosen");
        catalog
            .mark_uploading(file, &UploadMethod::SinglePut, at(5))
            .expect("uploading");
        assert_eq!(state(&catalog), Uploading, "bytes going up");
        catalog.mark_uploaded(file, at(6)).expect("uploaded");
        assert_eq!(state(&catalog), Uploaded, "original verified");
        catalog.mark_done(file, at(7)).expect("done");

        let record = catalog.get_file(file).expect("read").expect("row");
        assert_eq!(record.state, FileState::Done, "previews up");
        assert_eq!(record.sha256, Some(sha(1)), "the hash is kept for dedup");
        assert_eq!(
            record.capture_time,
            Some(capture),
            "capture time keeps its offset"
        );
        assert_eq!(
            record.planned_key.as_deref(),
            Some("originals/a.jpg"),
            "the key is kept"
        );
        assert_eq!(
            (record.created_at, record.updated_at),
            (at(1), at(7)),
            "time is the caller's"
        );
    }

    #[test]
    fn steps_out_of_order_are_refused_and_write_nothing() {
        // (state the file is in, the step attempted)
        type Step = fn(&mut Catalog, FileId) -> Result<(), CatalogError>;
        let steps: [(FileState, &str, Step); 6] = [
            (Discovered, "fingerprint", |c, f| {
                c.record_fingerprint(f, sha(9), None, None, at(50))
            }),
            (Ready, "plan", |c, f| c.record_plan(f, "k", at(50))),
            (Hashed, "upload", |c, f| {
                c.mark_uploading(f, &UploadMethod::SinglePut, at(50))
            }),
            (Planned, "uploaded", |c, f| c.mark_uploaded(f, at(50))),
            (FileState::Done, "fail", |c, f| {
                c.record_failure(f, FailureCode::UploadNetwork, "y", None, at(50))
                    .map(drop)
            }),
            (FileState::Skipped, "ready", |c, f| c.mark_ready(f, at(50))),
        ];
        for (state, step, attempt) in steps {
            let (mut catalog, folder) = catalog_with_folder();
            let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), state);
            let before = catalog.get_file(file).expect("read");

            let err = attempt(&mut catalog, file).expect_err("out of order");

            assert_eq!(
                err.code(),
                FailureCode::CatalogWrongState,
                "{step} from {state}: {err}"
            );
            assert_eq!(
                catalog.get_file(file).expect("read"),
                before,
                "{step} wrote nothing"
            );
        }
    }

    #[test]
    fn a_key_held_by_other_content_cannot_be_planned() {
        let (mut catalog, folder) = catalog_with_folder();
        drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Planned);
        let other = drive_to(&mut catalog, folder, "b.jpg", sha(2), Hashed);

        let err = catalog
            .record_plan(other, "originals/a.jpg", at(9))
            .expect_err("taken");

        assert_eq!(
            err.code(),
            FailureCode::CatalogKeyTaken,
            "two contents never share a key: {err}"
        );
    }

    #[test]
    fn a_key_planned_for_another_file_with_the_same_content_cannot_be_planned_again() {
        let (mut catalog, folder) = catalog_with_folder();
        drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Planned);
        let copy = drive_to(&mut catalog, folder, "copy/a.jpg", sha(1), Hashed);

        let err = catalog
            .record_plan(copy, "originals/a.jpg", at(9))
            .expect_err("taken");

        assert_eq!(
            err.code(),
            FailureCode::CatalogKeyTaken,
            "a copy is skipped, never planned: {err}"
        );
    }

    #[test]
    fn skipping_releases_a_planned_key() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), Planned);
        catalog
            .record_skip(file, "tombstoned", at(9))
            .expect("skipped");

        let record = catalog.get_file(file).expect("read").expect("row");
        assert_eq!(
            record.skip_reason.as_deref(),
            Some("tombstoned"),
            "the reason is kept"
        );
        assert_eq!(
            catalog.key_owner("originals/a.jpg").expect("read"),
            None,
            "key released"
        );
    }

    #[test]
    fn retry_resumes_in_the_state_that_failed() {
        // (failed in, with a multipart upload?, back in)
        let cases = [
            (Discovered, false, Discovered),
            (Ready, false, Ready),
            (Hashed, false, Hashed),
            (Planned, false, Planned),
            (Uploading, true, Uploading),
            (Uploading, false, Planned),
            (Uploaded, false, Uploaded),
        ];
        for (failed_in, multipart, expected) in cases {
            let (mut catalog, folder) = catalog_with_folder();
            let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), failed_in);
            if multipart {
                catalog.clear_upload(file, at(20)).expect("cleared");
                catalog
                    .mark_uploading(file, &UploadMethod::multipart("up-1", 8 << 20), at(21))
                    .expect("multipart");
                catalog
                    .record_part(file, "up-1", &part(1), at(22))
                    .expect("part");
            }
            let attempts = catalog
                .record_failure(
                    file,
                    FailureCode::UploadServerError,
                    "server error",
                    Some(at(40)),
                    at(30),
                )
                .expect("failed");
            assert_eq!(attempts, 1, "the first failure counts one attempt");

            let back_in = catalog.retry(file, at(40)).expect("retried");

            assert_eq!(
                back_in, expected,
                "failed in {failed_in} (multipart: {multipart})"
            );
            let record = catalog.get_file(file).expect("read").expect("row");
            assert_eq!(
                record.state, expected,
                "the returned state is the stored one"
            );
            assert_eq!(record.attempts, 1, "attempts carry over for the backoff");
            assert_eq!(record.next_attempt_at, None, "no longer waiting");
            let parts = catalog.parts(file).expect("read").len();
            assert_eq!(
                parts,
                usize::from(multipart),
                "a resumed upload keeps its parts"
            );
        }
    }

    #[test]
    fn clearing_a_failed_upload_makes_retry_start_it_over() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), Planned);
        catalog
            .mark_uploading(file, &UploadMethod::multipart("up-1", 8 << 20), at(20))
            .expect("multipart");
        catalog
            .record_part(file, "up-1", &part(1), at(21))
            .expect("part");
        catalog
            .record_failure(file, FailureCode::UploadGone, "gone", Some(at(30)), at(22))
            .expect("fail");

        let cleared = catalog.clear_upload(file, at(23)).expect("cleared");

        assert_eq!(
            cleared.as_deref(),
            Some("up-1"),
            "the caller aborts what it cleared"
        );
        assert_eq!(
            catalog.get_file(file).expect("read").expect("row").state,
            Failed,
            "still failed"
        );
        assert_eq!(
            catalog.retry(file, at(30)).expect("retried"),
            Planned,
            "nothing to resume"
        );
        assert!(
            catalog.parts(file).expect("read").is_empty(),
            "the journal went with it"
        );
    }

    #[test]
    fn uploaded_drops_the_journal_and_records_the_object() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), Planned);
        catalog
            .mark_uploading(file, &UploadMethod::multipart("up-1", 8 << 20), at(20))
            .expect("multipart");
        catalog
            .record_part(file, "up-1", &part(1), at(21))
            .expect("part");

        catalog.mark_uploaded(file, at(22)).expect("uploaded");

        let record = catalog.get_file(file).expect("read").expect("row");
        assert_eq!(record.multipart, None, "the upload is complete");
        assert!(
            catalog.parts(file).expect("read").is_empty(),
            "its journal is not needed"
        );
        assert_eq!(
            catalog.key_owner("originals/a.jpg").expect("read"),
            Some(sha(1)),
            "ledger"
        );
    }
}
