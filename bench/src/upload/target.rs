//! Where a run uploads to: a fresh Garage bucket per run, so no tool finds an earlier
//! run's objects (Lightbox would skip content already there), emptied afterwards.

use anyhow::{Context, Result, bail};
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

/// A bucket on the local Garage and how to reach it.
#[derive(Debug, Clone)]
pub struct Target {
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub bucket: String,
}

impl Target {
    /// `bucket` on the local stack's Garage, with its key.
    #[must_use]
    pub fn garage(stack: &lightbox_tests::Stack, bucket: &str) -> Self {
        let g = &stack.info.garage;
        Self {
            endpoint: g.endpoint.clone(),
            region: stack.info.region.clone(),
            access_key_id: g.access_key_id.clone(),
            secret_access_key: g.secret_access_key.clone(),
            bucket: bucket.to_owned(),
        }
    }
}

/// Objects and bytes a run left in its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    pub objects: usize,
    pub bytes: u64,
}

/// Count what is in the bucket, leaving out Lightbox's overwrite-guard probe object
/// ([`sync_core::upload::PROBE_KEY`], written once per bucket and kept by design): it is not
/// part of the uploaded set.
///
/// # Errors
/// When listing fails.
pub async fn contents(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Contents> {
    let mut objects = 0;
    let mut bytes = 0;
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("list bucket {bucket}"))?;
        for o in page.contents() {
            if o.key() == Some(sync_core::upload::PROBE_KEY) {
                continue;
            }
            objects += 1;
            bytes += u64::try_from(o.size().unwrap_or(0)).unwrap_or(0);
        }
    }
    Ok(Contents { objects, bytes })
}

/// Check that the run uploaded exactly the dataset, then delete the bucket.
///
/// # Errors
/// When the bucket does not hold `want` (the run does not count), or cleanup fails.
pub async fn verify_and_drop(s3: &aws_sdk_s3::Client, bucket: &str, want: Contents) -> Result<()> {
    let got = contents(s3, bucket).await?;
    if got != want {
        bail!(
            "bucket {bucket} holds {} objects / {} bytes after the run, expected {} / {}: \
             the tool did not upload the whole set, so this run does not count",
            got.objects,
            got.bytes,
            want.objects,
            want.bytes
        );
    }
    let mut pages = s3.list_objects_v2().bucket(bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("list bucket {bucket}"))?;
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .with_context(|| format!("empty bucket {bucket}"))?;
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .with_context(|| format!("delete bucket {bucket}"))?;
    Ok(())
}
