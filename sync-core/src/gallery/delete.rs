//! Admin delete: original + previews in one `DeleteObjects`, after a confirmation token from a
//! preview step, with a tombstone so no watcher uploads that content again, and an undo when
//! the bucket keeps versions (restore = delete the delete marker).
//!
//! The token binds the exact selection and an expiry: it is not a secret (the role check is
//! the permission), it makes "delete" a two-step call at the API so no UI or script can delete
//! a selection nobody was shown.

use std::time::Duration;

use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier};
use jiff::Timestamp;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::GalleryError;
use super::remote::Bucket;
use crate::catalog::CatalogHandle;
use crate::sdk_failure::SdkFailure;
use crate::upload::ObjectMeta;
use lightbox_types::Role;
use lightbox_types::Sha256Digest;
use lightbox_types::object_keys::{PreviewKind, preview_key};

/// How long a delete confirmation stays valid.
pub const CONFIRMATION_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// What a delete would remove, and the token that confirms it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletePreview {
    /// The originals asked for.
    pub originals: Vec<String>,
    /// Every object that goes: the originals and their previews.
    pub objects: Vec<String>,
    /// Pass to [`delete`] to confirm.
    pub token: String,
    /// Whether the delete can be undone (the bucket keeps versions).
    pub undoable: bool,
}

/// A delete marker, for undo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restorable {
    pub key: String,
    pub delete_marker_version: String,
}

/// What a delete did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeleteOutcome {
    pub deleted: Vec<String>,
    /// Originals recorded as tombstones.
    pub tombstoned: usize,
    /// Empty when the bucket has no versioning (the delete is final).
    pub undo: Vec<Restorable>,
}

/// The token confirming the delete of exactly `originals` until `expires` (pure).
#[must_use]
pub fn confirmation_token(originals: &[String], expires: Timestamp) -> String {
    let mut sorted: Vec<&str> = originals.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let secs = expires.as_second();
    let mut hasher = Sha256::new();
    hasher.update(secs.to_be_bytes());
    for key in sorted {
        hasher.update(key.as_bytes());
        hasher.update([0]);
    }
    format!("{secs}.{}", hex::encode(&hasher.finalize()[..16]))
}

/// Whether `token` confirms exactly `originals` at `now` (pure).
#[must_use]
pub fn token_confirms(token: &str, originals: &[String], now: Timestamp) -> bool {
    let Some(expires) = token
        .split_once('.')
        .and_then(|(secs, _)| secs.parse::<i64>().ok())
        .and_then(|secs| Timestamp::from_second(secs).ok())
    else {
        return false;
    };
    now <= expires && confirmation_token(originals, expires) == token
}

/// Every object a delete of `originals` removes.
///
/// # Errors
/// [`GalleryError::NotAnOriginal`] for a key outside `originals/`.
pub fn objects_of(originals: &[String]) -> Result<Vec<String>, GalleryError> {
    let mut objects = Vec::with_capacity(originals.len() * 3);
    for key in originals {
        objects.push(key.clone());
        for kind in [PreviewKind::Thumb, PreviewKind::Screen] {
            objects.push(
                preview_key(kind, key)
                    .ok_or_else(|| GalleryError::NotAnOriginal { key: key.clone() })?,
            );
        }
    }
    Ok(objects)
}

impl Bucket {
    /// Step one of a delete: what would go, and the token to confirm it.
    ///
    /// # Errors
    /// [`GalleryError::DeleteForbidden`] for staff, [`GalleryError::NotAnOriginal`],
    /// [`GalleryError::S3`].
    pub async fn preview_delete(
        &self,
        originals: &[String],
        role: Role,
        now: Timestamp,
    ) -> Result<DeletePreview, GalleryError> {
        refuse_unless_admin(originals, role)?;
        let objects = objects_of(originals)?;
        let expires = now + CONFIRMATION_LIFETIME;
        Ok(DeletePreview {
            originals: originals.to_vec(),
            objects,
            token: confirmation_token(originals, expires),
            undoable: self.keeps_versions().await,
        })
    }

    /// Step two: delete `originals` and their previews, then record tombstones for the
    /// originals S3 confirmed deleted, so a delete the bucket refuses (a role without delete,
    /// IAM's explicit deny) leaves no tombstone behind. A tombstone is keyed on the content's
    /// SHA-256 as this catalog recorded it when it uploaded the key; only for a key this
    /// station never uploaded is the object's `sha256` metadata used (any writer could have
    /// set it, so it never overrides the catalog's own value).
    ///
    /// # Errors
    /// [`GalleryError::DeleteForbidden`], [`GalleryError::ConfirmationMismatch`],
    /// [`GalleryError::NotFound`], [`GalleryError::S3`], catalog failures.
    pub async fn delete(
        &self,
        catalog: &CatalogHandle,
        originals: &[String],
        token: &str,
        role: Role,
        deleted_by: &str,
        now: Timestamp,
    ) -> Result<DeleteOutcome, GalleryError> {
        refuse_unless_admin(originals, role)?;
        if !token_confirms(token, originals, now) {
            return Err(GalleryError::ConfirmationMismatch);
        }
        let objects = objects_of(originals)?;
        let mut contents: Vec<(String, Sha256Digest)> = Vec::new();
        for key in originals {
            let owner = key.clone();
            let known = catalog.run(move |c| c.key_owner(&owner)).await?;
            let sha = match known {
                Some(sha) => {
                    // Still fails with NotFound for a key already gone.
                    self.head(key).await?;
                    sha
                }
                None => self.content_sha256(key).await?,
            };
            contents.push((key.clone(), sha));
        }
        let identifiers = objects
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| GalleryError::request("DeleteObjects", &self.bucket, "", e))?;
        let delete = Delete::builder()
            .set_objects(Some(identifiers))
            .build()
            .map_err(|e| GalleryError::request("DeleteObjects", &self.bucket, "", e))?;
        let reply = self
            .client
            .delete_objects()
            .bucket(&self.bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| GalleryError::s3("DeleteObjects", &self.bucket, &objects.join(", "), e))?;
        if let Some(failed) = reply.errors().first() {
            return Err(GalleryError::S3 {
                op: "DeleteObjects",
                bucket: self.bucket.clone(),
                key: failed.key().unwrap_or_default().to_owned(),
                failure: SdkFailure::Service {
                    status: None,
                    code: failed.code().map(str::to_owned),
                },
                detail: format!(
                    "{} {}",
                    failed.code().unwrap_or_default(),
                    failed.message().unwrap_or_default()
                ),
            });
        }
        let deleted: Vec<String> = reply
            .deleted()
            .iter()
            .filter_map(|d| d.key().map(str::to_owned))
            .collect();
        let tombstones: Vec<(String, Sha256Digest)> = contents
            .into_iter()
            .filter(|(key, _)| deleted.contains(key))
            .collect();
        let tombstoned = tombstones.len();
        let deleted_by = deleted_by.to_owned();
        catalog
            .run(move |c| {
                tombstones
                    .iter()
                    .try_for_each(|(key, sha)| c.add_tombstone(*sha, key, &deleted_by, now))
            })
            .await?;
        let undo = reply
            .deleted()
            .iter()
            .filter_map(|d| {
                Some(Restorable {
                    key: d.key()?.to_owned(),
                    delete_marker_version: d.delete_marker_version_id()?.to_owned(),
                })
            })
            .collect();
        Ok(DeleteOutcome {
            deleted,
            tombstoned,
            undo,
        })
    }

    /// Undo a delete in a versioned bucket: remove the delete markers, which brings the last
    /// versions back. The tombstones stay (lift them by hand if the content should re-upload).
    ///
    /// # Errors
    /// [`GalleryError::NoUndo`] when there is nothing to restore, [`GalleryError::S3`].
    pub async fn undo_delete(&self, markers: &[Restorable]) -> Result<(), GalleryError> {
        if markers.is_empty() {
            return Err(GalleryError::NoUndo);
        }
        for marker in markers {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&marker.key)
                .version_id(&marker.delete_marker_version)
                .send()
                .await
                .map_err(|e| GalleryError::s3("DeleteObject", &self.bucket, &marker.key, e))?;
        }
        Ok(())
    }

    async fn keeps_versions(&self) -> bool {
        match self
            .client
            .get_bucket_versioning()
            .bucket(&self.bucket)
            .send()
            .await
        {
            Ok(reply) => reply.status() == Some(&BucketVersioningStatus::Enabled),
            Err(e) => {
                tracing::debug!(error = %aws_sdk_s3::error::DisplayErrorContext(e), "versioning unknown; no undo");
                false
            }
        }
    }

    async fn content_sha256(&self, key: &str) -> Result<Sha256Digest, GalleryError> {
        let head = self.head(key).await?;
        let metadata = head.metadata().cloned().unwrap_or_default();
        ObjectMeta::from_user_metadata(&metadata)
            .map(|meta| meta.sha256)
            .ok_or_else(|| GalleryError::NoContentHash {
                key: key.to_owned(),
            })
    }
}

fn refuse_unless_admin(originals: &[String], role: Role) -> Result<(), GalleryError> {
    if role.can_delete() {
        return Ok(());
    }
    Err(GalleryError::DeleteForbidden {
        key: originals.first().cloned().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ToSpan as _;
    use lightbox_types::FailureCode;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn a_token_confirms_only_its_selection_and_only_until_it_expires() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().expect("a timestamp");
        let selected = keys(&["originals/2024/05/01/a.jpg", "originals/2024/05/01/b.jpg"]);
        let token = confirmation_token(&selected, now + 5.minutes());
        let cases = [
            (selected.clone(), now, true, "the same selection"),
            (
                keys(&["originals/2024/05/01/b.jpg", "originals/2024/05/01/a.jpg"]),
                now,
                true,
                "order does not matter",
            ),
            (
                keys(&["originals/2024/05/01/a.jpg"]),
                now,
                false,
                "a smaller selection",
            ),
            (
                keys(&["originals/2024/05/01/a.jpg", "originals/2024/05/01/c.jpg"]),
                now,
                false,
                "another photo",
            ),
            (selected.clone(), now + 6.minutes(), false, "after expiry"),
        ];
        for (selection, at, want, why) in cases {
            assert_eq!(token_confirms(&token, &selection, at), want, "{why}");
        }
        let forged = format!("{}.{}", (now + 1.hour()).as_second(), "0".repeat(32));
        assert!(
            !token_confirms(&forged, &selected, now),
            "an edited expiry breaks the hash"
        );
        assert!(
            !token_confirms("junk", &selected, now),
            "garbage confirms nothing"
        );
    }

    #[test]
    fn staff_may_not_delete_and_previews_go_with_originals() {
        let selected = keys(&["originals/2024/05/01/a.jpg"]);
        let err = refuse_unless_admin(&selected, Role::Staff).expect_err("staff");
        assert_eq!(err.code(), FailureCode::GalleryDeleteForbidden, "{err}");
        assert!(
            refuse_unless_admin(&selected, Role::Admin).is_ok(),
            "admins may"
        );
        assert_eq!(
            objects_of(&selected).expect("an original"),
            keys(&[
                "originals/2024/05/01/a.jpg",
                "previews/thumb/2024/05/01/a.jpg.jpg",
                "previews/screen/2024/05/01/a.jpg.jpg"
            ]),
            "the original and both previews"
        );
        let err = objects_of(&keys(&["previews/thumb/x.jpg"])).expect_err("a preview key");
        assert_eq!(err.code(), FailureCode::GalleryNotAnOriginal, "{err}");
    }
}
