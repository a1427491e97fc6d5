//! What the watcher and the reconciliation scan tell the catalog: a file is there (with this
//! stat), or it is gone.
//!
//! # Vanished files
//! [`Catalog::mark_vanished`] deletes the file's row (and its parts journal) whatever its
//! state: a file that vanished before settling is simply dropped, and one that reappears is
//! discovered afresh. Nothing remote is ever removed. What must outlive the local file lives
//! in the bucket ledgers instead: `uploaded_objects` remembers which content went to which
//! key (so a file that was moved or renamed is recognized and not uploaded twice), and
//! tombstones remember admin deletions. A multipart upload in flight is handed back so the
//! uploader can abort it.
//!
//! The scan must not vanish the files of a folder whose root is missing (an unmounted share
//! is not "everything was deleted"); that check is the scan's, the catalog cannot tell.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::folders::require_folder;
use super::previews::record_source_missing;
use super::sql_values::{Millis, StoredU64};
use super::{Catalog, CatalogError, Fault, FileId, FileStat, FileState, FolderId, RelPath};

/// What observing a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObserveOutcome {
    /// Not catalogued before: inserted as `Discovered`.
    New(FileId),
    /// Same size, mtime and identity as catalogued: nothing written, nothing to re-hash.
    Unchanged(FileId),
    /// The stat differs: reset to `Discovered` with its hash, plan, failure and parts
    /// journal cleared. `abort_upload_id` is the multipart upload that was in flight, if
    /// any: abort it.
    Changed {
        file: FileId,
        abort_upload_id: Option<String>,
    },
}

impl ObserveOutcome {
    /// The file's id, whatever happened.
    #[must_use]
    pub fn file(&self) -> FileId {
        match self {
            ObserveOutcome::New(file)
            | ObserveOutcome::Unchanged(file)
            | ObserveOutcome::Changed { file, .. } => *file,
        }
    }
}

/// One file seen on disk, for [`Catalog::observe_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub rel_path: RelPath,
    pub stat: FileStat,
}

/// A catalogued file's id and last observed stat, from [`Catalog::folder_stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CataloguedStat {
    pub file: FileId,
    pub stat: FileStat,
}

/// What [`Catalog::mark_vanished`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vanished {
    /// The state the file was in.
    pub state: FileState,
    /// The multipart upload that was in flight, if any: abort it.
    pub abort_upload_id: Option<String>,
}

impl Catalog {
    /// Record that `rel_path` in `folder` exists with `stat` (from a watcher event or the
    /// scan). One transaction.
    ///
    /// # Errors
    /// [`CatalogError::FolderNotFound`]; SQLite failures.
    pub fn observe_file(
        &mut self,
        folder: FolderId,
        rel_path: &RelPath,
        stat: &FileStat,
        now: Timestamp,
    ) -> Result<ObserveOutcome, CatalogError> {
        self.write("observe file", |conn| {
            require_folder(conn, folder)?;
            observe_one(conn, folder, rel_path, stat, now)
        })
    }

    /// [`Catalog::observe_file`] for many files of one folder in one transaction (the
    /// reconciliation scan). Outcomes are in the order of `observations`.
    ///
    /// # Errors
    /// [`CatalogError::FolderNotFound`]; SQLite failures. On error nothing is written.
    pub fn observe_batch(
        &mut self,
        folder: FolderId,
        observations: &[Observation],
        now: Timestamp,
    ) -> Result<Vec<ObserveOutcome>, CatalogError> {
        self.write("observe files", |conn| {
            require_folder(conn, folder)?;
            observations
                .iter()
                .map(|seen| observe_one(conn, folder, &seen.rel_path, &seen.stat, now))
                .collect()
        })
    }

    /// Every catalogued file of `folder` with its last observed stat, in one query: the scan
    /// compares this with the disk and sends only new and changed files to
    /// [`Catalog::observe_batch`], and the missing ones to [`Catalog::mark_vanished`].
    ///
    /// # Errors
    /// SQLite failures.
    pub fn folder_stats(
        &self,
        folder: FolderId,
    ) -> Result<HashMap<RelPath, CataloguedStat>, CatalogError> {
        self.read("load folder stats", |conn| {
            let count: i64 = conn.query_row(
                "SELECT COUNT(*) FROM files WHERE folder_id = ?1",
                [folder],
                |row| row.get(0),
            )?;
            let mut stats = HashMap::with_capacity(usize::try_from(count).unwrap_or(0));
            let mut stmt = conn.prepare(
                "SELECT rel_path, id, size, mtime_ns, os_file_id FROM files WHERE folder_id = ?1",
            )?;
            let mut rows = stmt.query([folder])?;
            while let Some(row) = rows.next()? {
                let stat = FileStat {
                    size: row.get::<_, StoredU64>(2)?.0,
                    mtime_ns: row.get(3)?,
                    os_file_id: row.get(4)?,
                };
                stats.insert(
                    row.get(0)?,
                    CataloguedStat {
                        file: row.get(1)?,
                        stat,
                    },
                );
            }
            Ok(stats)
        })
    }

    /// The file is gone from disk: delete its row and parts journal (see the module docs).
    /// Returns `None` when it was not catalogued (watchers repeat remove events).
    ///
    /// # Errors
    /// SQLite failures.
    ///
    /// An `Uploaded` file (original verified, previews not made yet) never gets its previews
    /// then: `preview_source_missing` goes into the previews ledger for its key, unless an
    /// outcome is there already, dated when the row was last written.
    pub fn mark_vanished(&mut self, file: FileId) -> Result<Option<Vanished>, CatalogError> {
        self.write("mark file vanished", |conn| vanish_one(conn, file))
    }

    /// [`Catalog::mark_vanished`] for many files in one transaction (the reconciliation
    /// scan). Outcomes are in the order of `files`.
    ///
    /// # Errors
    /// SQLite failures. On error nothing is written.
    pub fn mark_vanished_batch(
        &mut self,
        files: &[FileId],
    ) -> Result<Vec<Option<Vanished>>, CatalogError> {
        self.write("mark files vanished", |conn| {
            files.iter().map(|&file| vanish_one(conn, file)).collect()
        })
    }
}

fn vanish_one(conn: &Connection, file: FileId) -> Result<Option<Vanished>, Fault> {
    let gone = conn
        .prepare_cached(
            "DELETE FROM files WHERE id = ?1
             RETURNING state, upload_id, planned_key, updated_at_ms",
        )?
        .query_row([file], |row| {
            let vanished = Vanished {
                state: row.get(0)?,
                abort_upload_id: row.get(1)?,
            };
            let key: Option<String> = row.get(2)?;
            Ok((vanished, key, row.get::<_, Millis>(3)?))
        })
        .optional()?;
    let Some((vanished, key, updated)) = gone else {
        return Ok(None);
    };
    if let (FileState::Uploaded, Some(key)) = (vanished.state, key) {
        record_source_missing(conn, &key, updated.0)?;
    }
    Ok(Some(vanished))
}

fn observe_one(
    conn: &Connection,
    folder: FolderId,
    rel_path: &RelPath,
    stat: &FileStat,
    now: Timestamp,
) -> Result<ObserveOutcome, Fault> {
    let existing = conn
        .prepare_cached(
            "SELECT id, size, mtime_ns, os_file_id, upload_id FROM files
             WHERE folder_id = ?1 AND rel_path = ?2",
        )?
        .query_row(params![folder, rel_path], |row| {
            let stat = FileStat {
                size: row.get::<_, StoredU64>(1)?.0,
                mtime_ns: row.get(2)?,
                os_file_id: row.get(3)?,
            };
            Ok((
                row.get::<_, FileId>(0)?,
                stat,
                row.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()?;

    let Some((file, known_stat, upload_id)) = existing else {
        let file = conn
            .prepare_cached(
                "INSERT INTO files (folder_id, rel_path, size, mtime_ns, os_file_id, state,
                                    created_at_ms, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                 RETURNING id",
            )?
            .query_row(
                params![
                    folder,
                    rel_path,
                    StoredU64(stat.size),
                    stat.mtime_ns,
                    stat.os_file_id,
                    FileState::Discovered,
                    Millis(now),
                ],
                |row| row.get(0),
            )?;
        return Ok(ObserveOutcome::New(file));
    };
    if known_stat == *stat {
        return Ok(ObserveOutcome::Unchanged(file));
    }
    conn.prepare_cached(
        "UPDATE files SET size = ?2, mtime_ns = ?3, os_file_id = ?4, state = ?5,
             sha256 = NULL, crc64nvme = NULL, capture_time = NULL, planned_key = NULL, skip_reason = NULL,
             upload_id = NULL, part_size = NULL, attempts = 0, next_attempt_at_ms = NULL,
             failed_in = NULL, last_error_code = NULL, last_error_message = NULL,
             updated_at_ms = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        file,
        StoredU64(stat.size),
        stat.mtime_ns,
        stat.os_file_id,
        FileState::Discovered,
        Millis(now),
    ])?;
    conn.prepare_cached("DELETE FROM parts WHERE file_id = ?1")?
        .execute([file])?;
    Ok(ObserveOutcome::Changed {
        file,
        abort_upload_id: upload_id,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, part, rel, sha, stat};
    use crate::catalog::{PreviewStatus, UploadMethod};
    use lightbox_types::{FailureCode, OsFileId};

    #[test]
    fn observing_classifies_new_unchanged_and_changed() {
        let with_id = |id| FileStat {
            os_file_id: Some(OsFileId::from_dev_ino(1, id)),
            ..stat(10, 5)
        };
        // (what is seen second, expected outcome kind)
        let cases = [
            (with_id(7), "unchanged"),
            (
                FileStat {
                    size: 11,
                    ..with_id(7)
                },
                "changed",
            ),
            (
                FileStat {
                    mtime_ns: 6,
                    ..with_id(7)
                },
                "changed",
            ),
            (with_id(8), "changed"),
        ];
        for (second, expected) in cases {
            let (mut catalog, folder) = catalog_with_folder();
            let first = catalog
                .observe_file(folder, &rel("a.jpg"), &with_id(7), at(1))
                .expect("observed");
            assert!(
                matches!(first, ObserveOutcome::New(_)),
                "first sight inserts the row"
            );

            let outcome = catalog
                .observe_file(folder, &rel("a.jpg"), &second, at(2))
                .expect("observed");
            let kind = match outcome {
                ObserveOutcome::New(_) => "new",
                ObserveOutcome::Unchanged(_) => "unchanged",
                ObserveOutcome::Changed { .. } => "changed",
            };
            assert_eq!(kind, expected, "{second:?} after {:?}", with_id(7));
            assert_eq!(outcome.file(), first.file(), "the same path keeps its row");
        }
    }

    #[test]
    fn unchanged_writes_nothing_so_a_rescan_does_not_rehash() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Hashed);
        let before = catalog.get_file(file).expect("read").expect("present");

        let outcome = catalog
            .observe_file(folder, &rel("a.jpg"), &before.stat, at(50))
            .expect("observed");

        assert_eq!(outcome, ObserveOutcome::Unchanged(file), "same stat");
        let after = catalog.get_file(file).expect("read").expect("present");
        assert_eq!(
            after, before,
            "not even updated_at moves, and the hash is kept"
        );
    }

    #[test]
    fn a_change_resets_hash_plan_and_parts_and_returns_the_upload_to_abort() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Planned);
        catalog
            .mark_uploading(file, &UploadMethod::multipart("up-1", 5 << 20), at(10))
            .expect("uploading");
        catalog
            .record_part(file, "up-1", &part(1), at(11))
            .expect("part saved");
        catalog
            .record_failure(
                file,
                FailureCode::UploadNetwork,
                "reset",
                Some(at(20)),
                at(12),
            )
            .expect("failed");

        let outcome = catalog
            .observe_file(folder, &rel("a.jpg"), &stat(999, 999), at(13))
            .expect("seen");

        assert_eq!(
            outcome,
            ObserveOutcome::Changed {
                file,
                abort_upload_id: Some("up-1".to_owned())
            },
            "the uploader must learn which upload to abort"
        );
        let record = catalog.get_file(file).expect("read").expect("present");
        assert_eq!(
            record.state,
            FileState::Discovered,
            "new content starts over"
        );
        assert_eq!(
            record.sha256, None,
            "the old hash describes the old content"
        );
        assert_eq!(record.planned_key, None, "the old key is released");
        assert_eq!(record.multipart, None, "the old upload is forgotten");
        assert_eq!(
            (record.attempts, record.last_failure),
            (0, None),
            "failures were the old file's"
        );
        assert!(
            catalog.parts(file).expect("read").is_empty(),
            "old parts must not be reused"
        );
        assert_eq!(
            record.stat,
            stat(999, 999),
            "the new stat is what later scans compare with"
        );
    }

    #[test]
    fn vanishing_before_previews_records_source_missing_once() {
        // (state when it vanished, ledger before, ledger after, why)
        let missing = Some("preview_source_missing");
        let cases = [
            (
                FileState::Uploaded,
                None,
                missing,
                "verified, previews never made: say why",
            ),
            (
                FileState::Uploaded,
                Some("made"),
                Some("made"),
                "a known outcome is kept",
            ),
            (FileState::Done, None, None, "finished rows are not touched"),
            (
                FileState::Planned,
                None,
                None,
                "never uploaded: no original, no preview",
            ),
        ];
        for (state, before, after, why) in cases {
            let (mut catalog, folder) = catalog_with_folder();
            let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), state);
            if before == Some("made") {
                catalog
                    .record_preview("originals/a.jpg", &PreviewStatus::Made, at(30))
                    .expect("recorded");
            }

            catalog.mark_vanished(file).expect("vanished");

            let code = match catalog.preview_status("originals/a.jpg").expect("read") {
                Some(PreviewStatus::Made) => Some("made".to_owned()),
                Some(PreviewStatus::None { code, .. }) => Some(code.to_string()),
                None => None,
            };
            assert_eq!(code.as_deref(), after, "{why}");
        }
    }

    #[test]
    fn vanishing_drops_the_row_and_hands_back_the_upload() {
        let (mut catalog, folder) = catalog_with_folder();
        let unsettled = catalog
            .observe_file(folder, &rel("tmp.jpg"), &stat(1, 1), at(1))
            .expect("observed")
            .file();
        let uploading = drive_to(&mut catalog, folder, "big.cr3", sha(1), FileState::Planned);
        catalog
            .mark_uploading(uploading, &UploadMethod::multipart("up-9", 5 << 20), at(2))
            .expect("uploading");
        catalog
            .record_part(uploading, "up-9", &part(1), at(3))
            .expect("part saved");

        let dropped = catalog.mark_vanished(unsettled).expect("vanished");
        let aborted = catalog.mark_vanished(uploading).expect("vanished");
        let again = catalog
            .mark_vanished(uploading)
            .expect("a repeated event is harmless");

        assert_eq!(
            dropped,
            Some(Vanished {
                state: FileState::Discovered,
                abort_upload_id: None
            }),
            "a file that vanished before settling is dropped"
        );
        assert_eq!(
            aborted.and_then(|v| v.abort_upload_id),
            Some("up-9".to_owned()),
            "abort it"
        );
        assert_eq!(again, None, "nothing left to vanish");
        assert!(
            catalog.get_file(uploading).expect("read").is_none(),
            "the row is gone"
        );
        assert!(
            catalog.parts(uploading).expect("read").is_empty(),
            "parts cascade with it"
        );
    }

    #[test]
    fn a_vanished_uploaded_file_is_still_known_by_content() {
        let (mut catalog, folder) = catalog_with_folder();
        let file = drive_to(&mut catalog, folder, "a.jpg", sha(1), FileState::Done);
        catalog.mark_vanished(file).expect("vanished");

        assert_eq!(
            catalog.uploaded_key_for_sha(sha(1)).expect("read"),
            Some("originals/a.jpg".to_owned()),
            "a moved file must be recognized, not uploaded twice"
        );
    }

    #[test]
    fn observing_in_an_unknown_folder_is_refused() {
        let (mut catalog, _) = catalog_with_folder();
        let err = catalog
            .observe_file(FolderId::from_raw(404), &rel("a.jpg"), &stat(1, 1), at(1))
            .expect_err("no such folder");
        assert_eq!(
            err.code(),
            FailureCode::CatalogFolderNotFound,
            "a typed error: {err}"
        );
    }

    #[test]
    fn bulk_load_and_observe_of_100k_files() {
        const FILES: u64 = 100_000;
        let (mut catalog, folder) = catalog_with_folder();
        let observations: Vec<Observation> = (0..FILES)
            .map(|i| Observation {
                rel_path: rel(&format!("shoot-{}/IMG_{i:06}.CR3", i / 1000)),
                stat: FileStat {
                    size: 25 << 20,
                    mtime_ns: i64::try_from(i).expect("small"),
                    os_file_id: Some(OsFileId::from_dev_ino(2049, i)),
                },
            })
            .collect();

        let started = Instant::now();
        let first = catalog
            .observe_batch(folder, &observations, at(1))
            .expect("inserted");
        let inserted = started.elapsed();

        // What a rescan does: one query, compare in memory, send only the differences.
        let started = Instant::now();
        let known = catalog.folder_stats(folder).expect("loaded");
        let differing: Vec<Observation> = observations
            .iter()
            .filter(|seen| {
                known
                    .get(&seen.rel_path)
                    .is_none_or(|k| k.stat != seen.stat)
            })
            .cloned()
            .collect();
        let rescanned = started.elapsed();

        let started = Instant::now();
        let again = catalog
            .observe_batch(folder, &observations, at(2))
            .expect("observed");
        let reobserved = started.elapsed();
        eprintln!(
            "100k files: insert batch {inserted:?}, rescan (load + compare) {rescanned:?}, \
             observe batch of unchanged {reobserved:?}"
        );

        assert!(
            first.iter().all(|o| matches!(o, ObserveOutcome::New(_))),
            "all new at first"
        );
        assert_eq!(
            known.len(),
            observations.len(),
            "the load returns every catalogued file"
        );
        assert!(
            differing.is_empty(),
            "nothing changed on disk, so nothing is sent"
        );
        assert!(
            again
                .iter()
                .all(|o| matches!(o, ObserveOutcome::Unchanged(_))),
            "re-observing equal stats writes nothing"
        );
        assert_eq!(
            catalog
                .counts_by_state()
                .expect("counted")
                .get(FileState::Discovered),
            FILES,
            "one row per file"
        );
    }
}
