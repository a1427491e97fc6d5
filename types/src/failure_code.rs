//! Every failure code Lightbox gives, as one enum: what the catalog stores for a failed file, what
//! logs and metrics label a failure with, and what the desktop app shows next to a file (the
//! TypeScript type is generated from this one, feature `ts`).
//!
//! A code is namespaced by where it arises (`catalog_`, `config_`, `engine_`, `ingest_`,
//! `plan_`, `upload_`, `preview_`, `gallery_`, `index_`, `zip_`, `import_`, `ops_`, `team_`),
//! and one thing has one code wherever it is seen: a file gone before it could be read is `ingest_vanished`
//! whether the settler or the fingerprinter found out.
//!
//! The text of a code is its variant's name in snake case: serde (the IPC and the bindings) and
//! strum (the catalog, logs, parsing) derive it by the same rule, and a test checks that they
//! agree. Renaming a variant changes a stored text, so it needs a catalog migration (see the
//! catalog's `files` migrations) and a note in the release.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable failure code, namespaced by where it arises (`ingest_`, `upload_`, `preview_`, ...):
/// what the catalog stores for a failed file, what logs and metrics label a failure with, and
/// what the app shows next to a file. One thing has one code wherever it is seen.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FailureCode {
    // The catalog (sync-core `catalog`).
    CatalogOpen,
    CatalogCorrupt,
    CatalogTooNew,
    CatalogBusy,
    CatalogDiskFull,
    CatalogReadOnly,
    CatalogSql,
    /// The catalog's owner thread stopped while the catalog was still in use.
    CatalogStopped,
    /// No thread could be started to own the catalog (out of threads or memory).
    CatalogThread,
    CatalogFolderNotFound,
    CatalogFileNotFound,
    CatalogWrongState,
    CatalogKeyTaken,
    CatalogStaleUpload,
    CatalogPartNumberOutOfRange,
    CatalogInvalidRelPath,
    CatalogInvalidFolderPath,
    CatalogInUse,
    CatalogLockFile,
    /// A damaged catalog was moved aside and a new one made (a log code, not a failure).
    CatalogRebuilt,

    // The settings.
    /// The daemon's SIGHUP found a settings file that does not load.
    ConfigReloadFailed,

    // The engine handle (sync-core `engine`).
    EngineWatchFailed,
    EngineFolderNotFound,
    EngineFileNotFound,
    EngineStopped,
    EngineStopTimeout,
    EngineUploadsOff,

    // Detect, settle and fingerprint (sync-core `ingest`).
    IngestInvalidGlob,
    /// The file was gone before it could be read.
    IngestVanished,
    IngestPermissionDenied,
    /// Another program still holds the file.
    IngestLocked,
    /// The file could not be stat'ed, opened or read (a disk or share problem).
    IngestReadFailed,
    /// The file changed while it was read.
    IngestChanged,
    IngestCancelled,
    /// A 0-byte file stayed empty for its whole window.
    IngestEmptyFile,

    // The key plan (sync-core `plan`).
    PlanUnknownTimeZone,
    /// Every name derived from the key is taken by other photos.
    PlanNameConflict,

    // Uploading an original (sync-core `upload`, `engine::upload_job`).
    UploadAccessDenied,
    UploadNoSuchBucket,
    UploadCredentialsRejected,
    UploadCredentialsExpired,
    UploadClockSkew,
    UploadThrottled,
    UploadServerError,
    UploadNetwork,
    UploadConflict,
    UploadChecksumMismatch,
    UploadContentMismatch,
    /// The multipart upload no longer exists on the server.
    UploadGone,
    UploadInvalidPart,
    UploadTooLarge,
    UploadPartTooSmall,
    UploadRefusedWithoutCode,
    UploadRejected,
    UploadReadFile,
    UploadFileVanished,
    UploadFileChanged,
    UploadPartNumberOutOfRange,
    UploadBadResponse,
    UploadNotPlanned,
    UploadPartPanicked,
    UploadObjectMissing,
    /// The key holds a different file, which is never overwritten.
    UploadKeyTaken,
    UploadVerifyFailed,

    // Previews (sync-core `preview`, `engine::previewer`): recorded as "no preview".
    PreviewUnsupported,
    PreviewNoEmbedded,
    PreviewFailed,
    PreviewTooLarge,
    PreviewReadFailed,
    PreviewSourceMissing,
    PreviewSourceChanged,

    // The gallery (sync-core `gallery`, the app's gallery screen).
    GalleryS3Failed,
    GalleryCacheFailed,
    GalleryBadCursor,
    GalleryDeleteForbidden,
    GalleryConfirmationMismatch,
    GalleryNotFound,
    GalleryNotAnOriginal,
    GalleryBadDate,
    GalleryNoUndo,
    GalleryWriteFailed,
    /// A download's destination (or its folder) is a symbolic link: refused, nothing written.
    GalleryUnsafeDestination,
    /// The object has no `sha256` metadata, so no tombstone can stop it coming back.
    GalleryNoContentHash,
    /// The bucket did not confirm one key of a delete.
    GalleryNotDeleted,

    // The shared photo index (sync-core `index`, DynamoDB).
    /// The configured index table does not exist in its region.
    IndexNoTable,
    /// The role may not make this index request.
    IndexAccessDenied,
    /// The index could not be reached or kept failing (throttling, 5xx, network).
    IndexUnavailable,
    /// Other stations' writes kept cancelling this station's transaction.
    IndexContended,
    /// The index refused a request as invalid (a bug).
    IndexInvalidRequest,
    /// An item in the table is not one Lightbox writes.
    IndexBadItem,
    /// A page cursor that is damaged or belongs to another query.
    IndexBadCursor,
    /// A day that is not `YYYY-MM-DD`.
    IndexBadDay,
    /// Another station is uploading the same photo: the file waits for it to go live (or
    /// for that reservation to go stale), then is planned again.
    IndexInFlightElsewhere,

    // ZIP import (sync-core `zip_import`, the app's drop target).
    ZipOpenFailed,
    ZipInvalid,
    ZipUnsafePath,
    ZipBomb,
    ZipWriteFailed,
    /// Unpacking stopped unexpectedly (its task panicked).
    ZipInterrupted,
    /// One entry of an archive was left out (the reason is in the message).
    ZipEntrySkipped,

    // Files dropped on the app's window.
    /// The file type is filtered out.
    ImportFiltered,
    /// A folder was dropped (folders are watched, not imported).
    ImportIsFolder,
    /// A path given to `import_paths` that no drop on the window handed over: not read.
    ImportNotDropped,

    // The daemon's `/health` and `/metrics` endpoints.
    OpsProbePanicked,
    OpsNotLoopback,
    OpsBindFailed,

    // The studio's team (sync-core `team`: `lightbox users`, the app's Team screen).
    TeamNotSignedIn,
    TeamNotConfigured,
    /// The kept sign-in could not be turned into credentials (a refresh failed).
    TeamSession,
    /// AWS (IAM) refused the Cognito admin action: the caller is not an admin.
    TeamRefused,
    TeamNoSuchUser,
    TeamUserExists,
    TeamUnknownGroup,
    TeamBadValue,
    /// Cognito refused the action for the user's state (say, a reset before a first sign-in).
    TeamNotAllowedNow,
    /// An admin tried to disable, remove or demote their own account.
    TeamOwnAccount,
    /// A removal whose confirmation did not name the user.
    TeamNotConfirmed,
    TeamUnreachable,
    TeamService,

    /// A stored text that names no code this build knows (written by a newer Lightbox, or
    /// edited by hand). The message stored with it still says what happened.
    Unrecognized,
}

impl FailureCode {
    /// The code's text: in the catalog, logs, metrics labels and the UI.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The code a stored `text` names; [`FailureCode::Unrecognized`] when it names none, so a
    /// catalog written by a newer Lightbox still reads.
    #[must_use]
    pub fn from_stored(text: &str) -> Self {
        text.parse().unwrap_or(Self::Unrecognized)
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "sql")]
impl rusqlite::ToSql for FailureCode {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

#[cfg(feature = "sql")]
impl rusqlite::types::FromSql for FailureCode {
    /// Any text reads ([`FailureCode::from_stored`]); only a value that is not text fails.
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        value.as_str().map(Self::from_stored)
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray as _;

    use super::*;

    #[test]
    fn every_code_has_one_text_for_serde_and_strum_and_reads_back() {
        let mut seen = std::collections::HashSet::new();
        for &code in FailureCode::VARIANTS {
            let json = serde_json::to_string(&code).expect("a unit variant serializes");
            assert_eq!(
                json,
                format!("\"{code}\""),
                "the IPC text is the stored text for {code:?}"
            );
            assert_eq!(
                FailureCode::from_stored(code.as_str()),
                code,
                "{code} reads back"
            );
            assert!(seen.insert(code.as_str()), "{code} is spelled once");
        }
    }

    #[test]
    fn every_code_is_namespaced_by_where_it_arises() {
        let namespaces = [
            "catalog_", "config_", "engine_", "ingest_", "plan_", "upload_", "preview_",
            "gallery_", "index_", "zip_", "import_", "ops_", "team_",
        ];
        for &code in FailureCode::VARIANTS {
            if code == FailureCode::Unrecognized {
                continue;
            }
            assert!(
                namespaces.iter().any(|n| code.as_str().starts_with(n)),
                "{code} has no namespace"
            );
        }
    }

    #[test]
    fn a_stored_text_that_names_no_code_reads_as_unrecognized() {
        let cases = [
            ("upload_teleport_failed", "a code from a newer Lightbox"),
            (
                "vanished",
                "an unnamespaced code a migration did not rewrite",
            ),
            ("", "an empty text"),
            ("UPLOAD_GONE", "codes are lower case"),
        ];
        for (text, why) in cases {
            assert_eq!(
                FailureCode::from_stored(text),
                FailureCode::Unrecognized,
                "{why}: {text:?}"
            );
        }
    }

    #[cfg(feature = "sql")]
    #[test]
    fn the_catalog_column_stores_the_text_and_never_fails_to_read_one() {
        let db = rusqlite::Connection::open_in_memory().expect("in-memory SQLite");
        db.execute_batch("CREATE TABLE t (code TEXT)")
            .expect("table made");
        db.execute(
            "INSERT INTO t VALUES (?1), ('no_such_code')",
            [FailureCode::UploadKeyTaken],
        )
        .expect("written");
        let read: Vec<(String, FailureCode)> = db
            .prepare("SELECT code, code FROM t ORDER BY rowid")
            .expect("prepared")
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("queried")
            .collect::<Result<_, _>>()
            .expect("every row reads");
        assert_eq!(
            read,
            [
                ("upload_key_taken".to_owned(), FailureCode::UploadKeyTaken),
                ("no_such_code".to_owned(), FailureCode::Unrecognized),
            ],
            "stored as readable text; an unknown text is a fallback, not an error"
        );
    }
}
