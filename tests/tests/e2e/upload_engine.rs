//! The engine's uploader against Garage (which verifies checksums like AWS): files dropped into
//! a watched folder end as verified objects; a stopped multipart upload resumes with only the
//! missing parts; the same content twice is one object. Each test has its own bucket.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use lightbox_tests::fault_proxy::{FaultProxy, S3Operation};
use lightbox_tests::stack;
use lightbox_types::{FileState, SkipReason};
use sha2::{Digest as _, Sha256};
use sync_core::catalog::{Catalog, FileId};
use sync_core::config::UploadConfig;
use sync_core::engine::{FileEvent, FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;

use crate::support::{MIB, PATIENCE, TestEngine, fast_ingest, write_photo};

fn sha256_of_file(path: &Path) -> String {
    let mut file = File::open(path).expect("open local file");
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).expect("read local file");
    hex::encode(hasher.finalize())
}

fn target(client: &aws_sdk_s3::Client, bucket: &str, config: UploadConfig) -> UploadTarget {
    UploadTarget {
        config,
        ..UploadTarget::new(
            S3Transfer::new(client, bucket),
            "test-uploader",
            "test-host",
        )
    }
}

/// 8 MiB parts from 32 MiB on, so a 40 MiB file has 5 parts.
fn small_parts() -> UploadConfig {
    UploadConfig {
        part_size_mib: Some(8),
        ..UploadConfig::default()
    }
}

/// The SHA-256 of the object's bytes and its `sha256` metadata.
async fn object_sha256(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (String, String) {
    let object = crate::support::get_object(client, bucket, key).await;
    let metadata = object.metadata().cloned().unwrap_or_default();
    let bytes = object
        .body
        .collect()
        .await
        .expect("read the object body")
        .into_bytes();
    let meta_sha = metadata.get("sha256").cloned().unwrap_or_default();
    (hex::encode(Sha256::digest(&bytes)), meta_sha)
}

async fn object_keys(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("ListObjectsV2");
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

/// File events until every one of `paths` has reached `Uploaded` (returned with its key), or a
/// failure (which panics with its message).
async fn wait_uploaded(
    t: &mut TestEngine,
    paths: &[&Path],
) -> (HashMap<String, String>, Vec<FileEvent>) {
    let mut keys = HashMap::new();
    let mut seen = Vec::new();
    while keys.len() < paths.len() {
        let event = t
            .wait_for("every file uploaded", |e| {
                matches!(
                    e.phase,
                    FilePhase::Uploaded { .. }
                        | FilePhase::Uploading { .. }
                        | FilePhase::Failed { .. }
                )
            })
            .await;
        match &event.phase {
            FilePhase::Uploaded { key, .. } => {
                keys.insert(event.path.clone(), key.clone());
            }
            FilePhase::Failed { code, message } => {
                panic!("{} failed with {code}: {message}", event.path)
            }
            _ => {}
        }
        seen.push(event);
    }
    (keys, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_files_end_as_verified_objects_with_their_sha256() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("engine-upload").await;
    let client = stack.garage_s3();
    let mut t =
        TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, small_parts()))).await;

    let files = [
        write_photo(&t.folder, "a.jpg", 100 * 1024, 1).path,
        write_photo(&t.folder, "b.jpg", MIB, 2).path,
        write_photo(&t.folder, "c.cr3", 3 * MIB + 17, 3).path,
        write_photo(&t.folder, "big.cr3", 40 * MIB, 4).path,
    ];
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (keys, seen) = wait_uploaded(&mut t, &paths).await;

    let big = files[3].display().to_string();
    let big_parts = seen.iter().find_map(|e| match e.phase {
        FilePhase::Uploading { parts, .. } if e.path == big => Some(parts),
        _ => None,
    });
    assert_eq!(
        big_parts,
        Some(5),
        "40 MiB with 8 MiB parts goes up as a 5-part multipart upload"
    );
    for path in &files {
        let key = &keys[&path.display().to_string()];
        let local = sha256_of_file(path);
        let (remote, meta) = object_sha256(&client, &bucket, key).await;
        assert_eq!(
            remote,
            local,
            "{key} holds exactly the bytes of {}",
            path.display()
        );
        assert_eq!(
            meta, local,
            "{key} carries the content's sha256 in its metadata"
        );
    }
    let counts = t.engine.counts().await.expect("counts");
    assert_eq!(
        counts.get(FileState::Uploaded) + counts.get(FileState::Done),
        4,
        "verified originals are uploaded (done once the previewer has been): {counts:?}"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_multipart_upload_resumes_with_only_the_missing_parts() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("engine-resume").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the pass-through proxy starts");
    let client = stack.garage_s3_via(&proxy.endpoint());
    // One part at a time, so stopping after the first part leaves parts to resume.
    let config = UploadConfig {
        concurrency: 1,
        max_requests_in_flight: 1,
        ..small_parts()
    };
    let mut t = TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, config))).await;
    let path = write_photo(&t.folder, "long.cr3", 48 * MIB, 7).path;
    let shown = path.display().to_string();

    let first = t
        .wait_for("the first part journalled", |e| {
            e.path == shown && matches!(e.phase, FilePhase::Uploading { part: 1.., .. })
        })
        .await;
    t.engine.stop(PATIENCE).await.expect("stops");
    let journalled = {
        let catalog = Catalog::open(&t.state.join("catalog.sqlite")).expect("open the catalog");
        let record = catalog
            .get_file(FileId::from_raw(first.file))
            .expect("read")
            .expect("the row");
        assert_eq!(record.state, FileState::Uploading, "stopped mid-upload");
        assert!(record.multipart.is_some(), "the upload id is journalled");
        catalog.parts(record.id).expect("read parts").len()
    };
    assert!(
        (1..6).contains(&journalled),
        "the stop came after part 1 and before the last of 6 parts: {journalled} journalled"
    );
    proxy.reset_stats();

    t.restart(fast_ingest()).await;
    let (keys, _) = wait_uploaded(&mut t, &[path.as_path()]).await;

    let stats = proxy.stats();
    assert_eq!(
        stats.requests_of(S3Operation::UploadPart),
        u64::try_from(6 - journalled).expect("small"),
        "only the parts missing from the journal are sent again"
    );
    assert_eq!(
        stats.requests_of(S3Operation::CreateMultipartUpload),
        0,
        "the journalled upload is resumed, not started over"
    );
    assert!(
        stats.requests_of(S3Operation::ListParts) >= 1,
        "the resume checks the journal against the server's parts"
    );
    let (remote, _) = object_sha256(&client, &bucket, &keys[&shown]).await;
    assert_eq!(
        remote,
        sha256_of_file(&path),
        "the resumed object is byte-identical"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_content_in_two_folders_is_one_object() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("engine-dup").await;
    let client = stack.garage_s3();
    let mut t =
        TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, small_parts()))).await;
    let second = t.folder.parent().expect("a parent").join("card-2");
    std::fs::create_dir_all(&second).expect("mkdir");
    t.engine
        .add_folder(&second)
        .await
        .expect("the second folder exists");

    write_photo(&t.folder, "IMG_1.jpg", 2 * MIB, 9);
    write_photo(&second, "copy of IMG_1.jpg", 2 * MIB, 9);

    // The first to be planned is uploaded; the other is a duplicate of it: skipped while the
    // first is only planned, done at the first's key once that one is in the bucket.
    let mut uploaded = None;
    let mut duplicate_key = None;
    while uploaded.is_none() || duplicate_key.is_none() {
        let event = t
            .wait_for("both copies handled", |e| {
                matches!(
                    e.phase,
                    FilePhase::Uploaded { .. }
                        | FilePhase::Done { .. }
                        | FilePhase::Skipped { .. }
                        | FilePhase::Failed { .. }
                )
            })
            .await;
        match event.phase {
            FilePhase::Uploaded { key, .. } => uploaded = Some(key),
            FilePhase::Done {
                ref key,
                duplicate: true,
                ..
            } => duplicate_key = Some(key.clone()),
            FilePhase::Done { .. } => {}
            FilePhase::Skipped { ref reason, .. } => {
                assert_eq!(
                    *reason,
                    SkipReason::Duplicate,
                    "the copy is skipped as a duplicate"
                );
                duplicate_key = Some(None);
            }
            ref other => panic!("{}: {other:?}", event.path),
        }
    }
    if let Some(Some(key)) = duplicate_key {
        assert_eq!(
            Some(key),
            uploaded,
            "the copy is done at the key that holds it"
        );
    }
    let keys = object_keys(&client, &bucket).await;
    assert_eq!(keys.len(), 1, "one object for one content: {keys:?}");
    t.engine.stop(PATIENCE).await.expect("stops");
}
