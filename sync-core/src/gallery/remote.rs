//! The bucket side of the gallery: delimiter listing for year/month/day navigation, the full
//! listing of a prefix that fills the cache, presigned GET URLs and downloads.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use jiff::Timestamp;
use serde::Serialize;
use tokio::io::AsyncWriteExt as _;

use super::GalleryError;
use super::cache::RemoteObject;
use crate::credential_expiry::{CredentialExpiry, Expiry};
use lightbox_types::object_keys::{PreviewKind, preview_key};

/// The prefix every original lives under.
pub const ORIGINALS: &str = "originals/";

/// The longest a presigned URL lives.
pub const MAX_URL_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long before the credentials expire a URL must stop working.
const CREDENTIAL_MARGIN: Duration = Duration::from_secs(60);

/// The gallery's view of one bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub client: Client,
    pub bucket: String,
    /// The expiry of `client`'s credentials (`crate::s3_client::build_tracked_s3_client`), so
    /// no presigned URL outlives them; a default handle leaves only the cap.
    pub credentials: CredentialExpiry,
}

/// Presigned GET URLs for one original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoUrls {
    pub key: String,
    pub thumb: String,
    pub screen: String,
    pub original: String,
    /// How long the URLs work, in seconds.
    pub expires_in_secs: u64,
}

/// The lifetime of a presigned URL: at most [`MAX_URL_LIFETIME`], and ending
/// [`CREDENTIAL_MARGIN`] before the credentials that sign it expire (a URL outliving its
/// credentials fails with 403 mid-scroll). At least one second.
#[must_use]
pub fn url_lifetime(now: Timestamp, credentials_expire: Option<Timestamp>) -> Duration {
    let by_credentials = credentials_expire.map_or(MAX_URL_LIFETIME, |expiry| {
        let left = expiry.duration_since(now).unsigned_abs();
        left.saturating_sub(CREDENTIAL_MARGIN)
    });
    by_credentials
        .min(MAX_URL_LIFETIME)
        .max(Duration::from_secs(1))
}

/// The date prefix of `date` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), e.g. `originals/2024/05/`.
#[must_use]
pub fn date_prefix(date: Option<&str>) -> String {
    match date {
        None | Some("") => ORIGINALS.to_owned(),
        Some(date) => format!("{ORIGINALS}{}/", date.replace('-', "/")),
    }
}

/// [`date_prefix`] for a date typed by a person: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, and a real
/// calendar date, or a clear error (a typo must not list an empty prefix as "no photos").
///
/// # Errors
/// [`GalleryError::BadDate`].
pub fn checked_date_prefix(date: Option<&str>) -> Result<String, GalleryError> {
    let Some(text) = date.filter(|d| !d.is_empty()) else {
        return Ok(ORIGINALS.to_owned());
    };
    let bad = || GalleryError::BadDate {
        date: text.to_owned(),
    };
    let parts: Vec<&str> = text.split('-').collect();
    let widths_ok = parts.len() <= 3
        && parts.iter().enumerate().all(|(i, part)| {
            part.len() == if i == 0 { 4 } else { 2 } && part.bytes().all(|b| b.is_ascii_digit())
        });
    if !widths_ok {
        return Err(bad());
    }
    let number = |i: usize| parts.get(i).map_or(Ok(1), |p| p.parse::<i8>());
    let year: i16 = parts[0].parse().map_err(|_| bad())?;
    let month = number(1).map_err(|_| bad())?;
    let day = number(2).map_err(|_| bad())?;
    jiff::civil::Date::new(year, month, day).map_err(|_| bad())?;
    Ok(date_prefix(Some(text)))
}

impl Bucket {
    /// Fail with [`GalleryError::NotFound`] unless the original `key` is in the bucket (so a
    /// typo gets a clear error, not a URL that answers 404 later).
    ///
    /// # Errors
    /// [`GalleryError::NotAnOriginal`], [`GalleryError::NotFound`], [`GalleryError::S3`].
    pub async fn require_original(&self, key: &str) -> Result<(), GalleryError> {
        if !key.starts_with(ORIGINALS) {
            return Err(GalleryError::NotAnOriginal {
                key: key.to_owned(),
            });
        }
        self.head(key).await.map(|_| ())
    }

    /// `HeadObject`, with a missing key as [`GalleryError::NotFound`].
    pub(crate) async fn head(
        &self,
        key: &str,
    ) -> Result<aws_sdk_s3::operation::head_object::HeadObjectOutput, GalleryError> {
        self.client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let missing = e
                    .as_service_error()
                    .is_some_and(aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found);
                GalleryError::s3_or_not_found("HeadObject", &self.bucket, key, missing, e)
            })
    }

    /// The sub-prefixes one level below `prefix` (years under `originals/`, months under a
    /// year, days under a month), newest first.
    ///
    /// # Errors
    /// [`GalleryError::S3`].
    pub async fn child_prefixes(&self, prefix: &str) -> Result<Vec<String>, GalleryError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| GalleryError::s3("ListObjectsV2", &self.bucket, prefix, e))?;
            found.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned))
                    .filter(|p| !in_dot_folder(prefix, p)),
            );
        }
        found.sort_by(|a, b| b.cmp(a));
        Ok(found)
    }

    /// Every object under `prefix` (1000 a request, S3's maximum).
    ///
    /// # Errors
    /// [`GalleryError::S3`].
    pub async fn list_all(&self, prefix: &str) -> Result<Vec<RemoteObject>, GalleryError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut found = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| GalleryError::s3("ListObjectsV2", &self.bucket, prefix, e))?;
            found.extend(page.contents().iter().filter_map(|o| {
                let key = o.key()?;
                if in_dot_folder(prefix, key) {
                    return None;
                }
                Some(RemoteObject {
                    key: key.to_owned(),
                    size: u64::try_from(o.size().unwrap_or(0)).unwrap_or(0),
                    modified_ms: o
                        .last_modified()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or(0),
                })
            }));
        }
        Ok(found)
    }

    /// How long a URL presigned `now` may live: [`url_lifetime`] with the expiry of the
    /// credentials that sign it. When none were loaded yet, signing one URL loads them through
    /// the client's cache first (no request is sent, and no Cognito call per page).
    ///
    /// # Errors
    /// [`GalleryError::S3`] when no credentials can be had.
    pub async fn presign_lifetime(&self, now: Timestamp) -> Result<Duration, GalleryError> {
        if self.credentials.get() == Expiry::Unknown {
            self.presign_get(ORIGINALS, Duration::from_secs(1)).await?;
        }
        let expires = match self.credentials.get() {
            Expiry::Known(at) => at,
            Expiry::Unknown => None,
        };
        Ok(url_lifetime(now, expires))
    }

    /// A presigned GET of `key` that works for `lifetime`.
    ///
    /// # Errors
    /// [`GalleryError::S3`] when the request cannot be signed (no credentials).
    pub async fn presign_get(&self, key: &str, lifetime: Duration) -> Result<String, GalleryError> {
        let config = PresigningConfig::expires_in(lifetime)
            .map_err(|e| GalleryError::request("presign", &self.bucket, key, e))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| GalleryError::s3("presign", &self.bucket, key, e))?;
        Ok(request.uri().to_owned())
    }

    /// Thumb, screen and original URLs for the original `key`.
    ///
    /// # Errors
    /// [`GalleryError::NotAnOriginal`], [`GalleryError::S3`].
    pub async fn photo_urls(
        &self,
        key: &str,
        lifetime: Duration,
    ) -> Result<PhotoUrls, GalleryError> {
        let not_original = || GalleryError::NotAnOriginal {
            key: key.to_owned(),
        };
        let thumb = preview_key(PreviewKind::Thumb, key).ok_or_else(not_original)?;
        let screen = preview_key(PreviewKind::Screen, key).ok_or_else(not_original)?;
        Ok(PhotoUrls {
            key: key.to_owned(),
            thumb: self.presign_get(&thumb, lifetime).await?,
            screen: self.presign_get(&screen, lifetime).await?,
            original: self.presign_get(key, lifetime).await?,
            expires_in_secs: lifetime.as_secs(),
        })
    }

    /// Download the original `key` to `to`, streamed through a fresh temporary file next to it
    /// (created with `create_new` and `O_NOFOLLOW`) and renamed into place, so `to` never holds
    /// half a photo and no link is followed. Returns the bytes written.
    ///
    /// Refused before anything is fetched or written: a key outside `originals/`, a `to` that is
    /// a symbolic link, a `to` whose folder is a symbolic link.
    ///
    /// # Errors
    /// [`GalleryError::NotAnOriginal`], [`GalleryError::UnsafeDestination`],
    /// [`GalleryError::NotFound`], [`GalleryError::S3`], [`GalleryError::Write`].
    pub async fn download(&self, key: &str, to: &Path) -> Result<u64, GalleryError> {
        if !key.starts_with(ORIGINALS) {
            return Err(GalleryError::NotAnOriginal {
                key: key.to_owned(),
            });
        }
        super::destination::check(to)?;
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let missing = e
                    .as_service_error()
                    .is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key);
                GalleryError::s3_or_not_found("GetObject", &self.bucket, key, missing, e)
            })?;
        let write_err = |source| GalleryError::Write {
            path: to.to_path_buf(),
            source,
        };
        let (partial, file) = super::destination::create_partial(to).map_err(write_err)?;
        let mut file = tokio::fs::File::from_std(file);
        let mut body = object.body;
        let mut written = 0u64;
        let copied: Result<(), GalleryError> = async {
            while let Some(chunk) = body
                .try_next()
                .await
                .map_err(|e| GalleryError::interrupted("GetObject", &self.bucket, key, e))?
            {
                file.write_all(&chunk).await.map_err(write_err)?;
                written += u64::try_from(chunk.len()).unwrap_or(0);
            }
            file.sync_all().await.map_err(write_err)?;
            Ok(())
        }
        .await;
        drop(file);
        // On failure, dropping `partial` removes it.
        copied?;
        // A rename replaces a link at `to` rather than following it.
        partial.persist(to).map_err(|e| write_err(e.error))?;
        Ok(written)
    }
}

/// Whether `key` (under `prefix`) lies in a folder whose name starts with a dot:
/// `originals/.lightbox/` holds the probes of doctor and the upload guard, which are not photos
/// (and stay where the role may not delete them). Photos never have such a folder.
fn in_dot_folder(prefix: &str, key: &str) -> bool {
    key.get(prefix.len()..)
        .is_some_and(|rest| rest.split('/').any(|segment| segment.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan as _;

    #[test]
    fn the_probes_folder_is_not_a_photo_and_photos_are() {
        let cases = [
            (
                "originals/",
                "originals/.lightbox/probe/if-none-match",
                true,
            ),
            ("originals/", "originals/.lightbox/", true),
            ("originals/2026/", "originals/2026/12/07/.x/a.jpg", true),
            ("originals/", "originals/2026/12/07/DSC_0001.JPG", false),
            ("originals/", "originals/2026/12/07/a..b.jpg", false),
            (
                "originals/2026/12/07/",
                "originals/2026/12/07/IMG_1.CR3",
                false,
            ),
        ];
        for (prefix, key, hidden) in cases {
            assert_eq!(in_dot_folder(prefix, key), hidden, "{key} under {prefix}");
        }
    }
    use lightbox_types::FailureCode;

    #[test]
    fn urls_die_before_the_credentials_that_sign_them() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().expect("a timestamp");
        let cases = [
            (
                None,
                MAX_URL_LIFETIME,
                "no expiry known (instance role): the cap",
            ),
            (
                Some(now + 1.hour()),
                MAX_URL_LIFETIME,
                "plenty left: the cap",
            ),
            (
                Some(now + 5.minutes()),
                Duration::from_secs(240),
                "5 min left: one minute short of it",
            ),
            (
                Some(now + 30.seconds()),
                Duration::from_secs(1),
                "nearly expired: the minimum, refresh first",
            ),
            (
                Some(now - 1.minute()),
                Duration::from_secs(1),
                "already expired: the minimum",
            ),
        ];
        for (expiry, want, why) in cases {
            assert_eq!(url_lifetime(now, expiry), want, "{why}");
        }
    }

    #[test]
    fn typed_dates_are_checked_before_they_become_prefixes() {
        let good = [
            (None, "originals/"),
            (Some("2024"), "originals/2024/"),
            (Some("2024-02"), "originals/2024/02/"),
            (Some("2024-02-29"), "originals/2024/02/29/"),
        ];
        for (date, want) in good {
            assert_eq!(
                checked_date_prefix(date).expect("a valid date"),
                want,
                "{date:?}"
            );
        }
        for bad in [
            "2023-02-29",
            "2024-13",
            "2024-5-1",
            "24-05-01",
            "2024/05/01",
            "yesterday",
            "2024-05-01-07",
            "2024-00",
        ] {
            let err = checked_date_prefix(Some(bad)).expect_err(bad);
            assert_eq!(
                err.code(),
                FailureCode::GalleryBadDate,
                "{bad:?} is no calendar date"
            );
        }
    }

    #[test]
    fn dates_become_key_prefixes() {
        let cases = [
            (None, "originals/"),
            (Some("2024"), "originals/2024/"),
            (Some("2024-05"), "originals/2024/05/"),
            (Some("2024-05-01"), "originals/2024/05/01/"),
        ];
        for (date, want) in cases {
            assert_eq!(date_prefix(date), want, "{date:?}");
        }
    }
}
