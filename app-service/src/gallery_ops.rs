//! The Gallery screen over [`sync_core::gallery`]: days and pages from the listing cache refreshed
//! from the bucket, presigned preview URLs, downloads, and the two-step admin delete (the
//! confirmation token of the first step is all the second step takes).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use jiff::Timestamp;

use crate::DesktopCore;
use crate::ipc::{
    DeletePlanView, DeleteReportView, ErrorCode, GalleryDay, GalleryItem, GalleryPage, IpcError,
};
use lightbox_types::object_keys::{PreviewKind, preview_key};
use lightbox_types::{FailureCode, Role};
use sync_core::config::Config;
use sync_core::credential_expiry::CredentialExpiry;
use sync_core::gallery::{Bucket, CACHE_FILE, GalleryCache, checked_date_prefix, refresh};

/// The most items one page carries.
const MAX_PAGE: u64 = 500;

/// The bucket (once signed in), the listing cache and the deletes waiting for confirmation.
#[derive(Default)]
pub struct GalleryState {
    bucket: Option<Bucket>,
    cache: Option<GalleryCache>,
    /// Per day, the thumbnails that exist (listed with the day's first page).
    thumbs: HashMap<String, HashSet<String>>,
    /// Confirmation token → the originals it deletes.
    pending: HashMap<String, Vec<String>>,
}

impl GalleryState {
    /// Use `client` for the configured bucket, and open the cache.
    ///
    /// # Errors
    /// `config` without a bucket or state dir; `internal` when the cache cannot be opened.
    pub fn connect(
        &mut self,
        config: &Config,
        client: aws_sdk_s3::Client,
        credentials: CredentialExpiry,
    ) -> Result<(), IpcError> {
        let storage = config.require_storage()?;
        self.bucket = Some(Bucket {
            client,
            bucket: storage.bucket.clone(),
            credentials,
        });
        self.cache = Some(GalleryCache::open(&config.state_dir()?.join(CACHE_FILE))?);
        Ok(())
    }

    /// Forget the bucket (signed out).
    pub fn disconnect(&mut self) {
        self.bucket = None;
        self.pending.clear();
        self.thumbs.clear();
    }

    fn parts(&mut self) -> Result<(&Bucket, &mut GalleryCache), IpcError> {
        match (&self.bucket, &mut self.cache) {
            (Some(bucket), Some(cache)) => Ok((bucket, cache)),
            _ => Err(crate::errors::not_signed_in()),
        }
    }
}

/// `YYYY-MM-DD` or what is wrong with it.
fn day_prefix(day: &str) -> Result<String, IpcError> {
    if day.len() != 10 {
        return Err(IpcError::new(
            ErrorCode::BadInput,
            format!("{day:?} is not a day: use YYYY-MM-DD, e.g. 2026-11-24"),
        ));
    }
    Ok(checked_date_prefix(Some(day))?)
}

/// The file name of `key` (after the last `/`).
fn name_of(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

impl DesktopCore {
    fn require_admin(&self, what: &str) -> Result<(), IpcError> {
        match self.role() {
            Role::Admin => Ok(()),
            Role::Staff | Role::None => Err(IpcError::new(
                ErrorCode::Forbidden,
                format!("Only admins can {what}. Ask an admin of the studio to do it."),
            )),
        }
    }

    /// The days with photos, newest first, after listing `originals/` into the cache.
    ///
    /// # Errors
    /// `network`/`storage` when the bucket cannot be listed; `not_signed_in`.
    pub async fn gallery_days(&self) -> Result<Vec<GalleryDay>, IpcError> {
        let mut gallery = self.gallery.lock().await;
        let (bucket, cache) = gallery.parts()?;
        refresh(bucket, cache, &checked_date_prefix(None)?).await?;
        Ok(cache
            .days()?
            .into_iter()
            .map(|(day, count)| GalleryDay { day, count })
            .collect())
    }

    /// One page of `day`, newest first, with presigned preview URLs. The first page (no
    /// cursor) lists the day from the bucket again.
    ///
    /// # Errors
    /// `bad_input` for a malformed day or cursor; `network`/`storage`.
    pub async fn gallery_page(
        &self,
        day: &str,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<GalleryPage, IpcError> {
        let prefix = day_prefix(day)?;
        let mut gallery = self.gallery.lock().await;
        if cursor.is_none() {
            let (bucket, cache) = gallery.parts()?;
            refresh(bucket, cache, &prefix).await?;
            let thumb_prefix = preview_key(PreviewKind::Thumb, &prefix)
                .map(|k| k.trim_end_matches(".jpg").to_owned())
                .unwrap_or_default();
            let thumbs = bucket
                .list_all(&thumb_prefix)
                .await?
                .into_iter()
                .map(|o| o.key)
                .collect();
            gallery.thumbs.insert(day.to_owned(), thumbs);
        }
        let thumbs = gallery.thumbs.get(day).cloned().unwrap_or_default();
        let (bucket, cache) = gallery.parts()?;
        let limit = usize::try_from(limit.clamp(1, MAX_PAGE)).unwrap_or(200);
        let page = cache.page(&prefix, cursor, limit)?;
        let lifetime = bucket.presign_lifetime(Timestamp::now()).await?;
        let mut items = Vec::with_capacity(page.items.len());
        for object in page.items {
            let thumb = preview_key(PreviewKind::Thumb, &object.key);
            let (thumb_url, screen_url) = match thumb.filter(|t| thumbs.contains(t)) {
                Some(thumb) => {
                    let screen = preview_key(PreviewKind::Screen, &object.key).unwrap_or_default();
                    (
                        Some(bucket.presign_get(&thumb, lifetime).await?),
                        Some(bucket.presign_get(&screen, lifetime).await?),
                    )
                }
                None => (None, None),
            };
            items.push(GalleryItem {
                name: name_of(&object.key).to_owned(),
                day: day.to_owned(),
                size: object.size,
                captured_at: None,
                uploaded_by: None,
                thumb_url,
                screen_url,
                key: object.key,
            });
        }
        Ok(GalleryPage {
            items,
            next_cursor: page.next,
        })
    }

    /// Save the original `key` at `destination` (written whole, then renamed into place).
    /// `destination` comes from the native save dialog, opened from Rust (`src-tauri`), never
    /// from the webview; a key outside `originals/` and a linked destination or folder are
    /// refused before anything is fetched or written.
    ///
    /// # Errors
    /// `not_found`; `bad_input` for a key that is no original, a linked or unwritable
    /// destination; `network`/`storage`.
    pub async fn download_original(&self, key: &str, destination: &Path) -> Result<(), IpcError> {
        let mut gallery = self.gallery.lock().await;
        let (bucket, _) = gallery.parts()?;
        bucket.download(key, destination).await?;
        Ok(())
    }

    /// Step one of a delete (admins only): what goes, and the token to confirm it.
    ///
    /// # Errors
    /// `forbidden` for staff; `bad_input` for an empty selection or a key that is no original.
    pub async fn prepare_delete(&self, keys: &[String]) -> Result<DeletePlanView, IpcError> {
        self.require_admin("delete photos")?;
        if keys.is_empty() {
            return Err(IpcError::new(
                ErrorCode::BadInput,
                "select the photos to delete first",
            ));
        }
        let mut gallery = self.gallery.lock().await;
        let (bucket, cache) = gallery.parts()?;
        let preview = bucket
            .preview_delete(keys, Role::Admin, Timestamp::now())
            .await?;
        let bytes = cache.total_size(keys)?;
        gallery
            .pending
            .insert(preview.token.clone(), preview.originals.clone());
        Ok(DeletePlanView {
            token: preview.token,
            count: u64::try_from(preview.originals.len()).unwrap_or(u64::MAX),
            bytes,
            keys: preview.originals,
        })
    }

    /// Step two: delete what the token's plan named (originals and previews), recording
    /// tombstones so the content is never uploaded again.
    ///
    /// # Errors
    /// `forbidden`; `not_found` for an unknown or used token; `engine_busy` while the daemon
    /// holds the catalog the tombstones go into.
    pub async fn confirm_delete(&self, token: &str) -> Result<DeleteReportView, IpcError> {
        self.require_admin("delete photos")?;
        let engine = self.engine().await?;
        let mut gallery = self.gallery.lock().await;
        let keys = gallery.pending.remove(token).ok_or_else(|| {
            IpcError::new(
                ErrorCode::NotFound,
                "this delete was confirmed already or not prepared here: select the photos and \
                 delete again",
            )
        })?;
        let user = self.username();
        let (bucket, cache) = gallery.parts()?;
        let outcome = bucket
            .delete(
                engine.catalog(),
                &keys,
                token,
                Role::Admin,
                &user,
                Timestamp::now(),
            )
            .await?;
        cache.remove(&outcome.deleted)?;
        let deleted: Vec<String> = keys
            .iter()
            .filter(|k| outcome.deleted.contains(k))
            .cloned()
            .collect();
        let failed = keys
            .iter()
            .filter(|k| !outcome.deleted.contains(k))
            .map(|k| crate::ipc::KeyProblem {
                key: k.clone(),
                code: FailureCode::GalleryNotDeleted,
                message: "The bucket did not confirm this delete; refresh the gallery and try \
                          again."
                    .to_owned(),
            })
            .collect();
        Ok(DeleteReportView { deleted, failed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_must_be_a_whole_date() {
        assert_eq!(
            day_prefix("2026-11-24").expect("a day"),
            "originals/2026/11/24/"
        );
        for bad in ["2026-11", "2026-13-01", "24.11.2026", ""] {
            let err = day_prefix(bad).expect_err(bad);
            assert_eq!(err.code, ErrorCode::BadInput, "{bad}: {}", err.message);
        }
        assert_eq!(name_of("originals/2026/11/24/DSC 1.jpg"), "DSC 1.jpg");
    }
}
