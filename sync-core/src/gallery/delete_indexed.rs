//! An admin's delete with a shared index (docs/index.md, "Deletes and the record in the
//! bucket"), in this order, each step idempotent: the record `index/tombstones/<sha256>.json`
//! in the bucket (first, so no crash leaves a deletion the bucket does not know of), the
//! delete-mark in the index (from here every station skips the content as tombstoned), then
//! the objects and the local tombstone, as [`Bucket::delete`] does without an index.

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use serde::Serialize;

use super::GalleryError;
use super::delete::{DeleteOutcome, token_confirms};
use super::remote::Bucket;
use crate::catalog::CatalogHandle;
use crate::index::{DeleteMark, Deletion, IndexTable, delete_mark};
use crate::retry::Retrier;
use crate::upload::ObjectMeta;
use lightbox_types::{Role, Sha256Digest};

/// Where the bucket keeps its deletion records.
pub const TOMBSTONE_PREFIX: &str = "index/tombstones/";

/// Who deletes: the admin's Cognito `sub` and a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedBy {
    pub id: String,
    pub name: String,
}

/// The bucket's record of one deletion (`index/tombstones/<sha256>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TombstoneRecord {
    pub sha256: String,
    pub key: String,
    pub original_name: String,
    pub size: u64,
    pub deleted_at: String,
    pub deleted_by_id: String,
    pub deleted_by_name: String,
}

impl TombstoneRecord {
    /// The record's object key.
    #[must_use]
    pub fn object_key(&self) -> String {
        format!("{TOMBSTONE_PREFIX}{}.json", self.sha256)
    }
}

impl Bucket {
    /// Delete `originals` as [`Bucket::delete`] does, after recording each deletion in the
    /// bucket and marking the contents deleted in `index` (admins only).
    ///
    /// # Errors
    /// As [`Bucket::delete`]; [`GalleryError::Index`] when the index refused or could not be
    /// reached (nothing is deleted then: run the delete again).
    #[allow(clippy::too_many_arguments)]
    pub async fn delete_indexed(
        &self,
        index: &IndexTable,
        catalog: &CatalogHandle,
        originals: &[String],
        token: &str,
        role: Role,
        by: &DeletedBy,
        now: Timestamp,
    ) -> Result<DeleteOutcome, GalleryError> {
        if !role.can_delete() {
            return Err(GalleryError::DeleteForbidden {
                key: originals.first().cloned().unwrap_or_default(),
            });
        }
        if !token_confirms(token, originals, now) {
            return Err(GalleryError::ConfirmationMismatch);
        }
        let deleted_at = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let mut marks = Vec::with_capacity(originals.len());
        for key in originals {
            let record = self.record_of(catalog, key, by, &deleted_at).await?;
            let body = serde_json::to_vec(&record).expect("a record serializes");
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(record.object_key())
                .content_type("application/json")
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| {
                    GalleryError::s3("PutObject", &self.bucket, &record.object_key(), e)
                })?;
            marks.push(DeleteMark {
                sha256: record
                    .sha256
                    .parse()
                    .map_err(|_| GalleryError::NoContentHash { key: key.clone() })?,
                key: key.clone(),
                deletion: Deletion {
                    deleted_at: record.deleted_at,
                    deleted_by_id: record.deleted_by_id,
                    deleted_by_name: record.deleted_by_name,
                },
            });
        }
        let retrier = Retrier::new(crate::retry::RetryPolicy::default());
        delete_mark(index, &retrier, &marks).await?;
        self.delete(catalog, originals, token, role, &by.id, now)
            .await
    }

    /// The record of deleting `key`: its content as this catalog uploaded it (else its
    /// `sha256` metadata), its size and original name from the object.
    async fn record_of(
        &self,
        catalog: &CatalogHandle,
        key: &str,
        by: &DeletedBy,
        deleted_at: &str,
    ) -> Result<TombstoneRecord, GalleryError> {
        let head = self.head(key).await?;
        let meta = ObjectMeta::from_user_metadata(&head.metadata().cloned().unwrap_or_default());
        let owner = key.to_owned();
        let known: Option<Sha256Digest> = catalog.run(move |c| c.key_owner(&owner)).await?;
        let sha256 = known.or(meta.as_ref().map(|m| m.sha256)).ok_or_else(|| {
            GalleryError::NoContentHash {
                key: key.to_owned(),
            }
        })?;
        Ok(TombstoneRecord {
            sha256: sha256.to_hex(),
            key: key.to_owned(),
            original_name: meta.map(|m| m.original_name).unwrap_or_default(),
            size: head
                .content_length()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or_default(),
            deleted_at: deleted_at.to_owned(),
            deleted_by_id: by.id.clone(),
            deleted_by_name: by.name.clone(),
        })
    }
}
