//! One engine per catalog: an exclusive lock on `<catalog>.lock`, held for the engine's life.

use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{CatalogError, LockHolder};

/// Proof that this process owns a catalog. The lock is the operating system's (`flock` on
/// unix, `LockFileEx` on Windows), so it goes away with the process even after a crash; it is
/// released when this value is dropped. The lock file holds the owner's pid, for the message
/// the next engine shows.
#[derive(Debug)]
pub struct CatalogLock {
    /// Keeps the lock: closing the handle releases it.
    _file: File,
    path: PathBuf,
}

impl CatalogLock {
    /// Lock the catalog at `catalog_path` by creating (or reusing) `<catalog_path>.lock`.
    /// Does not wait: a second engine, or a second acquire in this process through another
    /// handle, fails at once.
    ///
    /// # Errors
    /// [`CatalogError::InUse`] naming the holder's pid; [`CatalogError::LockFile`] when the
    /// lock file cannot be created, locked or written.
    pub fn acquire(catalog_path: &Path) -> Result<Self, CatalogError> {
        let path = Self::lock_path(catalog_path);
        let lock_error = |source| CatalogError::LockFile {
            catalog: catalog_path.to_path_buf(),
            lock_file: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false) // the holder's pid is in it until we hold the lock
            .open(&path)
            .map_err(lock_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(CatalogError::InUse {
                    catalog: catalog_path.to_path_buf(),
                    holder: LockHolder {
                        pid: read_pid(&mut file),
                    },
                });
            }
            Err(TryLockError::Error(source)) => return Err(lock_error(source)),
        }
        file.set_len(0).map_err(lock_error)?;
        file.write_all(std::process::id().to_string().as_bytes())
            .map_err(lock_error)?;
        file.flush().map_err(lock_error)?;
        tracing::debug!(lock_file = %path.display(), "catalog locked");
        Ok(Self { _file: file, path })
    }

    /// `<catalog_path>.lock`, next to the catalog.
    #[must_use]
    pub fn lock_path(catalog_path: &Path) -> PathBuf {
        let mut name = OsString::from(catalog_path.as_os_str());
        name.push(".lock");
        PathBuf::from(name)
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The pid a holder wrote, if it has written one yet.
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FailureCode;

    #[test]
    fn a_second_acquire_fails_with_the_holders_pid_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let catalog = dir.path().join("catalog.db");

        let first = CatalogLock::acquire(&catalog).expect("the first engine gets the lock");
        let err = CatalogLock::acquire(&catalog).expect_err("a second handle must not");

        assert_eq!(
            err.code(),
            FailureCode::CatalogInUse,
            "a typed error: {err}"
        );
        let message = err.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "the message names the process to stop: {message}"
        );
        assert!(
            message.contains("headless daemon"),
            "and says what to do: {message}"
        );

        drop(first);
        let again = CatalogLock::acquire(&catalog).expect("dropping the lock releases it");
        assert_eq!(
            again.path(),
            dir.path().join("catalog.db.lock"),
            "lock file is next to it"
        );
    }

    #[test]
    fn a_stale_lock_file_from_a_crashed_engine_does_not_block() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let catalog = dir.path().join("catalog.db");
        std::fs::write(CatalogLock::lock_path(&catalog), "999999").expect("writable");

        let lock = CatalogLock::acquire(&catalog).expect("an unlocked file is free to take");

        let written = std::fs::read_to_string(lock.path()).expect("readable");
        assert_eq!(
            written,
            std::process::id().to_string(),
            "the new owner's pid replaces it"
        );
    }

    #[test]
    fn a_lock_in_a_missing_directory_says_so() {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let err = CatalogLock::acquire(&dir.path().join("missing/catalog.db"))
            .expect_err("no directory to put the lock file in");
        assert_eq!(
            err.code(),
            FailureCode::CatalogLockFile,
            "an I/O problem, not 'in use': {err}"
        );
    }
}
