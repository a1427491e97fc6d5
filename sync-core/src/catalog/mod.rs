//! The SQLite catalog: one row per file in a watched folder, and where it is in its life.
//!
//! Every state change is exactly one transaction (begun `IMMEDIATE`, so writers never
//! deadlock on the upgrade from read to write), so after a crash the engine carries on from
//! the last committed state ([`Catalog::unfinished_files`] says where). Time is always passed
//! in by the caller; the catalog never reads the clock. It does no file-system I/O besides
//! its database: callers pass stats and canonical paths.
//!
//! Besides the per-file rows the catalog keeps two ledgers about the *bucket*, which outlive
//! the files and folders they came from: `uploaded_objects` (which content went to which
//! key, for dedup and key ownership) and `tombstones` (content an admin deleted, never to be
//! uploaded again).
//!
//! Exactly one engine owns a catalog file: take a [`CatalogLock`] before [`Catalog::open`].
//! Inside the engine the catalog is owned by a thread of its own ([`CatalogHandle`]); async
//! code sends it work and awaits the reply.
//!
//! Files: each table's DDL sits with the code that uses it, as that table's list of
//! `Migration`s (`folders`, `files`, `parts`, `content`, `tombstones`,
//! `previews`); `schema` collects them in version order and runs them; `owner` is the thread
//! that owns the catalog inside the engine.

mod content;
mod error;
mod files;
mod folders;
mod ids;
mod index_holds;
mod lock;
mod migration;
mod observe;
mod owner;
mod parts;
mod previews;
mod rebuild;
mod rel_path;
mod resume;
mod schema;
mod sql_values;
mod tombstones;
mod transitions;

#[cfg(test)]
mod test_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

// The shared types the catalog stores; its modules take them from here (`super::`).
use lightbox_types::{FileStat, FileState, Sha256Digest, StateCounts};

pub use error::{CatalogError, LockHolder};
pub use files::{Failure, FileRecord, MultipartUpload};
pub use folders::{FolderPresence, FolderState, RemovedFolder, WatchedFolder};
pub use ids::{FileId, FolderId};
pub use index_holds::IndexHold;
pub use lock::CatalogLock;
pub use observe::{CataloguedStat, Observation, ObserveOutcome, Vanished};
pub use owner::CatalogHandle;
pub use previews::{PreviewStatus, SOURCE_MISSING_MESSAGE};
pub use rebuild::RebuiltCatalog;
pub use rel_path::RelPath;
pub use resume::{ResumeStep, UnfinishedFile};
pub use transitions::UploadMethod;

/// How long a statement waits for another connection's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The catalog database. Reads take `&self`; every write takes `&mut self` and is one
/// transaction.
#[derive(Debug)]
pub struct Catalog {
    conn: Connection,
    /// The database file, or `:memory:`; named in every error.
    path: PathBuf,
}

impl Catalog {
    /// Open (creating if needed) the catalog at `path` and bring its schema up to date.
    /// The directory must exist. Take a [`CatalogLock`] first.
    ///
    /// # Errors
    /// [`CatalogError::Open`] when the file cannot be opened, [`CatalogError::Corrupt`] when it
    /// is not a readable database, [`CatalogError::TooNew`] when a newer Lightbox wrote it.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        // A new catalog is created 0600 before SQLite opens it (its -wal and -shm files take
        // the same mode): it names every photo and folder of the studio.
        crate::private_fs::create_file(path).map_err(|source| CatalogError::Open {
            path: path.to_path_buf(),
            source: rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
                Some(source.to_string()),
            ),
        })?;
        let conn = Connection::open(path).map_err(|source| CatalogError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Self::configure(conn, path.to_path_buf())
    }

    /// A private, empty in-memory catalog (for table tests and dry runs).
    ///
    /// # Errors
    /// Only when SQLite cannot allocate the database.
    pub fn open_in_memory() -> Result<Self, CatalogError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| CatalogError::Open {
            path: path.clone(),
            source,
        })?;
        Self::configure(conn, path)
    }

    /// A read-only connection to the catalog at `path`, which must exist at this build's
    /// schema version (the writer opens it first): the [`CatalogHandle`]'s reader. WAL lets it
    /// read while the writer writes.
    ///
    /// # Errors
    /// [`CatalogError::Open`] when the file cannot be opened, [`CatalogError::TooNew`] when
    /// a newer Lightbox wrote it.
    pub fn open_read_only(path: &Path) -> Result<Self, CatalogError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| CatalogError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let setup = |conn: &Connection| -> rusqlite::Result<i64> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            conn.set_prepared_statement_cache_capacity(64);
            schema::current_version(conn)
        };
        let found = setup(&conn).map_err(|e| CatalogError::from_sqlite(path, "open", e))?;
        let supported = schema::latest_version();
        if found > supported {
            return Err(CatalogError::TooNew {
                path: path.to_path_buf(),
                found,
                supported,
            });
        }
        Ok(Catalog {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file this catalog was opened from (`:memory:` for an in-memory one).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this is a private in-memory catalog (no other connection can see it).
    #[must_use]
    pub fn is_in_memory(&self) -> bool {
        self.path.as_os_str() == ":memory:"
    }

    /// Run `body` in one read transaction, so that the queries in it see one snapshot of
    /// the database (a writer's commit lands before or after all of them).
    ///
    /// # Errors
    /// What `body` returns; SQLite failures to begin or end the transaction.
    pub fn snapshot<T>(
        &self,
        body: impl FnOnce(&Self) -> Result<T, CatalogError>,
    ) -> Result<T, CatalogError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| CatalogError::from_sqlite(&self.path, "begin a read", e))?;
        let value = body(self)?;
        tx.commit()
            .map_err(|e| CatalogError::from_sqlite(&self.path, "end a read", e))?;
        Ok(value)
    }

    fn configure(conn: Connection, path: PathBuf) -> Result<Self, CatalogError> {
        let setup = |conn: &Connection| -> rusqlite::Result<String> {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let journal_mode: String =
                conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", true)?;
            // SQLite re-prepares a statement each time a new value is bound to a parameter
            // its plan may depend on, which includes every `LIMIT ?`: with the uploader's
            // `files_due` that parsing was a sixth of the CPU spent on small files. The
            // catalog's plans never depend on values (no ANALYZE statistics), so keep them.
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            // Room for every statement the engine prepares with `prepare_cached` (~30).
            conn.set_prepared_statement_cache_capacity(64);
            Ok(journal_mode)
        };
        // Switching a new database to WAL takes an exclusive lock, and SQLite answers
        // SQLITE_BUSY at once, without its busy handler, when another process is doing the
        // same: retry until the busy timeout.
        let started = std::time::Instant::now();
        let journal_mode = loop {
            match setup(&conn) {
                Ok(mode) => break mode,
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(CatalogError::from_sqlite(&path, "open", e)),
            }
        };
        if journal_mode != "wal" && journal_mode != "memory" {
            tracing::warn!(
                catalog = %path.display(),
                journal_mode,
                "the catalog's file system does not support WAL; it works, but readers may \
                 wait for writers"
            );
        }
        let mut catalog = Catalog { conn, path };
        schema::migrate(&mut catalog.conn, &catalog.path)
            .map_err(|fault| fault.into_catalog_error(&catalog.path, "migrate"))?;
        Ok(catalog)
    }

    /// Run `body` on the connection outside any explicit transaction (reads).
    fn read<T>(
        &self,
        op: &'static str,
        body: impl FnOnce(&Connection) -> Result<T, Fault>,
    ) -> Result<T, CatalogError> {
        body(&self.conn).map_err(|fault| fault.into_catalog_error(&self.path, op))
    }

    /// Run `body` in one `IMMEDIATE` transaction: committed when it returns `Ok`, rolled back
    /// (nothing written) when it returns `Err`.
    fn write<T>(
        &mut self,
        op: &'static str,
        body: impl FnOnce(&Connection) -> Result<T, Fault>,
    ) -> Result<T, CatalogError> {
        let path = &self.path;
        let run = |conn: &mut Connection| -> Result<T, Fault> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = body(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run(&mut self.conn).map_err(|fault| fault.into_catalog_error(path, op))
    }
}

/// Why a catalog operation stopped: SQLite failed (mapped to a [`CatalogError`] with the
/// catalog's path once it leaves the catalog) or a rule of the catalog said no.
#[derive(Debug)]
enum Fault {
    Sqlite(rusqlite::Error),
    Refused(CatalogError),
}

impl Fault {
    fn into_catalog_error(self, path: &Path, op: &'static str) -> CatalogError {
        match self {
            Fault::Sqlite(source) => CatalogError::from_sqlite(path, op, source),
            Fault::Refused(error) => error,
        }
    }
}

impl From<rusqlite::Error> for Fault {
    fn from(source: rusqlite::Error) -> Self {
        Fault::Sqlite(source)
    }
}

impl From<CatalogError> for Fault {
    fn from(error: CatalogError) -> Self {
        Fault::Refused(error)
    }
}
