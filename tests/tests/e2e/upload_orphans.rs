//! Orphaned multipart uploads are aborted on Garage: only ours (under `originals/`), only those
//! no journal knows, and only once they are old enough not to be another machine's live upload.

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};
use lightbox_tests::stack;
use lightbox_types::Sha256Digest;
use sync_core::retry::{Retrier, RetryPolicy};
use sync_core::upload::{ObjectMeta, S3Transfer, Transfer, abort_orphaned_uploads};

fn meta() -> ObjectMeta {
    ObjectMeta {
        sha256: Sha256Digest::from([7; 32]),
        original_name: "x.cr3".to_owned(),
        capture_time: None,
        source_host: "test-host".to_owned(),
        uploader: "test-uploader".to_owned(),
    }
}

async fn pending_ids(transfer: &S3Transfer, prefix: &str) -> HashSet<String> {
    transfer
        .list_uploads(prefix)
        .await
        .expect("ListMultipartUploads")
        .into_iter()
        .map(|u| u.upload_id)
        .collect()
}

#[tokio::test]
async fn orphans_under_originals_are_aborted_journalled_and_young_ones_kept() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("orphans").await;
    let transfer = S3Transfer::new(&stack.garage_s3(), &bucket);
    let retrier = Retrier::new(RetryPolicy::default());
    let create = |key: &'static str| {
        let transfer = transfer.clone();
        async move {
            transfer
                .create_multipart(key, &meta())
                .await
                .expect("CreateMultipartUpload")
        }
    };
    let stray = create("originals/2024/01/01/stray.cr3").await;
    let ours = create("originals/2024/01/01/ours.cr3").await;
    let preview = create("previews/thumb/2024/01/01/p.jpg").await;
    let journal: HashSet<String> = [ours.clone()].into();

    // Everything is seconds old: with a one-hour threshold nothing is touched.
    let young = abort_orphaned_uploads(
        &transfer,
        &retrier,
        "originals/",
        &journal,
        Timestamp::now(),
        SignedDuration::from_hours(1),
    )
    .await
    .expect("the sweep lists the uploads");
    assert_eq!(young.listed, 2, "two uploads under originals/: {young:?}");
    assert!(
        young.aborted.is_empty(),
        "uploads younger than the threshold may be another machine's: {young:?}"
    );

    // Seen an hour later, the stray upload is an orphan.
    let later = Timestamp::now() + SignedDuration::from_hours(2);
    let swept = abort_orphaned_uploads(
        &transfer,
        &retrier,
        "originals/",
        &journal,
        later,
        SignedDuration::from_hours(1),
    )
    .await
    .expect("the sweep lists the uploads");
    let aborted: Vec<&str> = swept.aborted.iter().map(|u| u.upload_id.as_str()).collect();
    assert_eq!(
        aborted,
        [stray.as_str()],
        "only the old upload no journal knows is aborted (Garage reports when uploads began)"
    );
    let left = pending_ids(&transfer, "").await;
    assert!(!left.contains(&stray), "Garage no longer has the orphan");
    assert!(
        left.contains(&ours) && left.contains(&preview),
        "the journalled upload and the one outside originals/ stay: {left:?}"
    );
}
