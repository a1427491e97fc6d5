//! The gallery backend: what admins and staff browse, open and delete.
//!
//! - [`remote`]: delimiter listing for year/month/day navigation, the full listing of a prefix,
//!   presigned GET URLs (lifetime capped below the credentials' expiry), downloads.
//! - [`cache`]: the SQLite cache of the listing (`gallery-cache.sqlite`, apart from the
//!   catalog): pages newest first with an opaque cursor, a seeded random selection.
//! - [`delete`]: the two-step admin delete with tombstones and undo.
//! - [`delete_indexed`]: the same with a shared index: the record in the bucket and the
//!   delete-mark first.
//!
//! The desktop app opens the cache first (instant) and calls [`refresh`] in the background.

pub mod cache;
pub mod delete;
pub mod delete_indexed;
mod destination;
mod error;
pub mod remote;

pub use cache::{CACHE_FILE, GalleryCache, Page, RemoteObject};
pub use delete::{DeleteOutcome, DeletePreview, Restorable};
pub use delete_indexed::{DeletedBy, TOMBSTONE_PREFIX, TombstoneRecord};
pub use error::GalleryError;
pub use remote::{Bucket, PhotoUrls, checked_date_prefix, date_prefix, url_lifetime};

/// List `prefix` in the bucket and make the cache's view of it match. Returns the count.
///
/// # Errors
/// [`GalleryError::S3`], [`GalleryError::Cache`].
pub async fn refresh(
    bucket: &Bucket,
    cache: &mut GalleryCache,
    prefix: &str,
) -> Result<usize, GalleryError> {
    let objects = bucket.list_all(prefix).await?;
    cache.replace_prefix(prefix, &objects)?;
    Ok(objects.len())
}
