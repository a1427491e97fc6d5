//! What every `sync_core::upload::Transfer` must do, as one check that runs on both the
//! in-memory transfer ([`crate::memory_transfer`]'s tests) and `S3Transfer` on Garage
//! (`tests/tests/e2e/upload.rs`). The engine's table tests trust the in-memory one; this keeps
//! it from drifting away from a real server.
//!
//! Left out because a server differs: ETag formats (compared only for equality), a too-small
//! part (Garage 2.5 accepts it), a repeated completion (AWS may answer it again).

use std::path::Path;

use sync_core::upload::{
    ContentMatch, ExpectedContent, ObjectMeta, PutOutcome, S3Problem, Transfer, UploadError,
};

use crate::photos::{MIB, Photo, write_photo};

fn expected(photo: &Photo) -> ExpectedContent {
    ExpectedContent {
        size: photo.size,
        crc64nvme_base64: photo.crc64nvme.clone(),
    }
}

fn meta(photo: &Photo) -> ObjectMeta {
    ObjectMeta {
        sha256: photo.sha256.parse().expect("a hex SHA-256"),
        original_name: photo.name.clone(),
        capture_time: None,
        source_host: "contract-host".to_owned(),
        uploader: "contract".to_owned(),
    }
}

fn problem<T: std::fmt::Debug>(result: Result<T, UploadError>, what: &str) -> Option<S3Problem> {
    match result {
        Ok(value) => panic!("{what}: expected a refusal, got {value:?}"),
        Err(e) => e.problem(),
    }
}

/// `call`'s answer, sending it again while it fails to reach the server (`S3Problem::Network`,
/// at most 5 times). Each `Transfer` call is one attempt and the engine wraps it in
/// `retry::Retrier`, which does the same; the contract is about the server's answers. Garage
/// closes a connection after refusing a part for a finished upload before its body was read,
/// and the request that next takes that pooled connection fails with a broken pipe (seen in
/// about one run in three) without ever reaching the server.
async fn answered<T, F, Fut>(mut call: F) -> Result<T, UploadError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, UploadError>>,
{
    let mut attempts = 1;
    loop {
        match call().await {
            Err(e) if e.problem() == Some(S3Problem::Network) && attempts < 5 => attempts += 1,
            answer => return answer,
        }
    }
}

/// Check `transfer` against the contract, writing files into `dir` and objects under `prefix`
/// (a fresh bucket or prefix: nothing may exist there). Panics with what differs.
pub async fn check_transfer_contract<T: Transfer>(transfer: &T, dir: &Path, prefix: &str) {
    let small = write_photo(dir, "small.jpg", 300 * 1024, 1);
    let other = write_photo(dir, "other.jpg", 300 * 1024, 2);
    let large = write_photo(dir, "large.cr3", 6 * MIB, 3);
    let key = |name: &str| format!("{prefix}{name}");

    // PutObject with If-None-Match: created once, never overwritten.
    let small_key = key("small.jpg");
    let put = transfer
        .put_small(&small.path, &small_key, &meta(&small), &expected(&small))
        .await;
    assert_eq!(put.expect("put"), PutOutcome::Created);
    let again = transfer
        .put_small(&other.path, &small_key, &meta(&other), &expected(&other))
        .await;
    assert_eq!(
        again.expect("second put"),
        PutOutcome::AlreadyExists,
        "an existing key is left alone"
    );
    let facts = transfer
        .head(&small_key)
        .await
        .expect("head")
        .expect("the object exists");
    assert_eq!(
        facts.compare(&expected(&small)),
        ContentMatch::Verified,
        "HEAD reports the first file's size and whole-object CRC64/NVME: {facts:?}"
    );
    assert_eq!(facts.meta, Some(meta(&small)), "the metadata round-trips");
    assert!(
        transfer
            .head(&key("missing.jpg"))
            .await
            .expect("head")
            .is_none(),
        "no object: None, not an error"
    );

    // A body that is not the content whose checksum was sent is refused.
    let wrong = ExpectedContent {
        size: other.size,
        crc64nvme_base64: small.crc64nvme.clone(),
    };
    let refused = transfer
        .put_small(&other.path, &key("bad.jpg"), &meta(&other), &wrong)
        .await;
    assert_eq!(
        problem(refused, "a put with another file's CRC"),
        Some(S3Problem::ChecksumMismatch)
    );
    assert!(
        transfer
            .head(&key("bad.jpg"))
            .await
            .expect("head")
            .is_none(),
        "nothing was stored"
    );

    // Multipart: parts replace each other, ListParts tells the truth, completion checks the
    // whole, and the upload id is gone afterwards.
    let large_key = key("large.cr3");
    let upload = transfer
        .create_multipart(&large_key, &meta(&large))
        .await
        .expect("create");
    let send = |n: u16, offset: u64, len: u64| {
        transfer.put_part(&upload, &large_key, n, &large.path, offset, len)
    };
    let first = send(1, 0, 5 * MIB).await.expect("part 1");
    let second = send(2, 5 * MIB, MIB).await.expect("part 2");
    let first_again = send(1, 0, 5 * MIB).await.expect("part 1 again");
    assert_eq!(
        first_again.etag, first.etag,
        "the same bytes sent again give the same ETag"
    );
    let listed = transfer
        .list_parts(&upload, &large_key)
        .await
        .expect("list parts");
    let summary = |parts: &[lightbox_types::CompletedPart]| -> Vec<(u16, String, u64)> {
        parts
            .iter()
            .map(|p| (p.part_number, p.etag.clone(), p.size))
            .collect()
    };
    assert_eq!(
        summary(&listed),
        summary(&[first.clone(), second.clone()]),
        "ListParts lists each part once, in order, with the ETag and size it was accepted with"
    );
    for (listed, sent) in listed.iter().zip([&first, &second]) {
        assert!(
            listed.checksum.is_empty() || listed.checksum == sent.checksum,
            "a listed checksum is the one sent: {listed:?}"
        );
    }
    let mismatch = ExpectedContent {
        size: large.size,
        crc64nvme_base64: small.crc64nvme.clone(),
    };
    let refused = transfer
        .complete_multipart(
            &upload,
            &large_key,
            &[second.clone(), first.clone()],
            Some(&mismatch),
        )
        .await;
    assert_eq!(
        problem(refused, "a completion with another file's CRC"),
        Some(S3Problem::ContentMismatch)
    );
    let completed = transfer
        .complete_multipart(
            &upload,
            &large_key,
            &[second, first],
            Some(&expected(&large)),
        )
        .await;
    assert_eq!(completed.expect("complete"), PutOutcome::Created);
    let facts = transfer
        .head(&large_key)
        .await
        .expect("head")
        .expect("completed");
    assert_eq!(
        facts.compare(&expected(&large)),
        ContentMatch::Verified,
        "a multipart object reports the whole file's CRC64/NVME: {facts:?}"
    );
    assert_eq!(
        problem(
            transfer.list_parts(&upload, &large_key).await,
            "ListParts of a completed upload"
        ),
        Some(S3Problem::UploadGone)
    );
    // A small body: a server may answer a part for a finished upload before reading its body
    // and close the connection, and a large body then fails to send instead of being answered.
    assert_eq!(
        problem(
            answered(|| send(3, 0, 64 * 1024)).await,
            "a part for a completed upload"
        ),
        Some(S3Problem::UploadGone)
    );
    answered(|| transfer.abort_multipart(&upload, &large_key))
        .await
        .expect("aborting a finished upload counts as done");

    // Completing over an existing object leaves it, and the upload open to abort.
    let large_meta = meta(&large);
    let upload = answered(|| transfer.create_multipart(&small_key, &large_meta))
        .await
        .expect("create");
    let part = transfer
        .put_part(&upload, &small_key, 1, &large.path, 0, MIB)
        .await
        .expect("part");
    let completed = transfer
        .complete_multipart(&upload, &small_key, &[part], None)
        .await;
    assert_eq!(completed.expect("complete"), PutOutcome::AlreadyExists);
    assert!(
        transfer.list_parts(&upload, &small_key).await.is_ok(),
        "the upload is still open"
    );
    transfer
        .abort_multipart(&upload, &small_key)
        .await
        .expect("abort");
    assert_eq!(
        problem(
            transfer.list_parts(&upload, &small_key).await,
            "ListParts of an aborted upload"
        ),
        Some(S3Problem::UploadGone)
    );
    let facts = transfer
        .head(&small_key)
        .await
        .expect("head")
        .expect("still there");
    assert_eq!(facts.compare(&expected(&small)), ContentMatch::Verified);
}
