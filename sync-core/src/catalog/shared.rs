//! The catalog shared between the engine's tasks.
//!
//! rusqlite connections are not `Sync`, so the one connection sits behind a mutex.
//! Each call holds it for one short transaction (WAL, `synchronous=NORMAL`: no fsync
//! on commit); long work (a scan) runs on a blocking thread.

use std::sync::{Arc, Mutex, PoisonError};

use super::Catalog;

#[derive(Debug, Clone)]
pub struct SharedCatalog(Arc<Mutex<Catalog>>);

impl SharedCatalog {
    #[must_use]
    pub fn new(catalog: Catalog) -> Self {
        Self(Arc::new(Mutex::new(catalog)))
    }

    /// Run `f` with the catalog. A panic in an earlier holder rolled its transaction
    /// back (rusqlite drops it), so the catalog behind a poisoned lock is consistent
    /// and is used as is.
    pub fn with<R>(&self, f: impl FnOnce(&mut Catalog) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }
}
