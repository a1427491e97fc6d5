//! Two stations, two catalogs, one bucket (Garage) and one shared index (moto's DynamoDB),
//! running together (docs/index.md, issue #18's must-show): each content ends in the bucket
//! exactly once, a name two stations both use goes to one of them and the other's content to
//! `<stem>_<hash8>` of its own bytes, and no row fails; then an admin's delete on one station
//! sticks on the other. Checked from outside: the test's own listing and `HeadObject`s.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use lightbox_fixtures::tiff::{ascii, exif_jpeg, tiff};
use lightbox_tests::stack::stack;
use lightbox_types::{FileState, Role, SkipReason};
use sha2::{Digest as _, Sha256};
use sync_core::config::IngestConfig;
use sync_core::engine::UploadTarget;
use sync_core::gallery::{Bucket, DeletedBy, TOMBSTONE_PREFIX};
use sync_core::index::IndexTable;
use sync_core::plan::DateSource;
use sync_core::upload::S3Transfer;

use crate::support::{PATIENCE, TestEngine, fast_ingest};

/// Files per station under the same names (`DSC_0001.JPG` …), each with its own bytes.
const OWN: usize = 50;
/// Photos both stations get, under other names on each.
const SHARED: usize = 20;
/// Photos of A's an admin deletes, then read from the same card on B.
const DELETED: usize = 10;

fn target(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    index: &IndexTable,
    host: &str,
) -> UploadTarget {
    UploadTarget {
        index: Some(index.clone()),
        ..UploadTarget::new(
            S3Transfer::new(client, bucket),
            format!("{host}-user"),
            host,
        )
    }
}

/// Keys go under the capture day, a day of its own for this run: the index outlives the test.
fn ingest_by_capture_day() -> IngestConfig {
    let mut ingest = fast_ingest();
    ingest.plan.date_source = DateSource::CaptureDate;
    ingest
}

/// A random far day, `(YYYY:MM:DD, YYYY/MM/DD)`.
fn unique_day() -> (String, String) {
    let (y, m, d) = (
        rand::random_range(2100..9999),
        rand::random_range(1..=12),
        rand::random_range(1..=28),
    );
    (
        format!("{y:04}:{m:02}:{d:02}"),
        format!("{y:04}/{m:02}/{d:02}"),
    )
}

/// A JPEG-shaped file taken on `exif_day` with random bytes of its own; returns its SHA-256.
fn photo_bytes(exif_day: &str) -> Vec<u8> {
    let exif = tiff(0, &[], &[ascii(0x9003, &format!("{exif_day} 12:00:00"))]);
    let body: Vec<u8> = (0..16 * 1024).map(|_| rand::random::<u8>()).collect();
    exif_jpeg(&exif, &body)
}

fn put(folder: &Path, name: &str, bytes: &[u8]) -> String {
    let temporary = folder.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes).expect("write photo");
    std::fs::rename(&temporary, folder.join(name)).expect("rename into place");
    hex::encode(Sha256::digest(bytes))
}

/// Until every one of `files` rows is `Done` or `Skipped` (rows waiting for the other
/// station's upload are `Failed` with a due time meanwhile).
async fn settle(station: &TestEngine, files: u64) {
    let deadline = tokio::time::Instant::now() + PATIENCE * 4;
    loop {
        let counts = station.engine.counts().await.expect("counts");
        let finished = counts.get(FileState::Done) + counts.get(FileState::Skipped);
        if finished == files {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the station did not finish: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every object under `prefix` with its `sha256` metadata, by a listing and a `HeadObject`
/// each.
async fn bucket_contents(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> HashMap<String, String> {
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .expect("ListObjectsV2");
    let mut out = HashMap::new();
    for object in listed.contents() {
        let key = object.key().expect("a key").to_owned();
        let head = client
            .head_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .expect("HeadObject");
        let sha = head
            .metadata()
            .and_then(|m| m.get("sha256"))
            .cloned()
            .expect("sha256 metadata");
        out.insert(key, sha);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_two_stations_one_bucket_each_content_once_and_the_loser_of_a_name_renamed() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("stations").await;
    let client = stack.garage_s3();
    let index = stack.moto_index_via(&stack.info.moto.endpoint);
    let (exif_day, key_day) = unique_day();
    let a = TestEngine::start_with(
        ingest_by_capture_day(),
        Some(target(&client, &bucket, &index, "desk")),
    )
    .await;
    let b = TestEngine::start_with(
        ingest_by_capture_day(),
        Some(target(&client, &bucket, &index, "laptop")),
    )
    .await;

    // Written in turns, so both stations plan and reserve at the same time.
    let mut own: Vec<(String, String, String)> = Vec::new(); // name, A's sha, B's sha
    let mut a_bytes: Vec<Vec<u8>> = Vec::new();
    for n in 1..=OWN {
        let name = format!("DSC_{n:04}.JPG");
        let bytes = photo_bytes(&exif_day);
        let sha_a = put(&a.folder, &name, &bytes);
        a_bytes.push(bytes);
        let sha_b = put(&b.folder, &name, &photo_bytes(&exif_day));
        own.push((name, sha_a, sha_b));
    }
    let mut shared = HashSet::new();
    for n in 1..=SHARED {
        let bytes = photo_bytes(&exif_day);
        let sha = put(&a.folder, &format!("EDIT_{n:04}.JPG"), &bytes);
        put(&b.folder, &format!("COPY_{n:04}.JPG"), &bytes);
        shared.insert(sha);
    }
    let per_station = u64::try_from(OWN + SHARED).expect("small");
    settle(&a, per_station).await;
    settle(&b, per_station).await;

    let originals = format!("originals/{key_day}/");
    let objects = bucket_contents(&client, &bucket, &originals).await;
    let distinct: HashSet<&String> = objects.values().collect();
    let want = 2 * OWN + SHARED;
    assert_eq!(distinct.len(), want, "every content is in the bucket");
    assert_eq!(objects.len(), want, "and each exactly once");
    for (name, sha_a, sha_b) in &own {
        let clean = format!("{originals}{name}");
        let holder = objects
            .get(&clean)
            .expect("one station holds the clean name");
        let other = if holder == sha_a { sha_b } else { sha_a };
        assert!(
            holder == sha_a || holder == sha_b,
            "{clean} holds one of the two"
        );
        let stem = name.strip_suffix(".JPG").expect("a JPG");
        let renamed = format!("{originals}{stem}_{}.JPG", &other[..8]);
        assert_eq!(
            objects.get(&renamed),
            Some(other),
            "the other content sits at <stem>_<hash8> of its own bytes"
        );
    }
    for sha in &shared {
        assert_eq!(
            objects.values().filter(|s| *s == sha).count(),
            1,
            "a photo both stations got is uploaded once"
        );
    }
    for station in [&a, &b] {
        let counts = station.engine.counts().await.expect("counts");
        assert_eq!(
            counts.get(FileState::Failed),
            0,
            "no failed row: {counts:?}"
        );
        // The shared photos the other station uploaded are done here too (duplicates of
        // live content), not skipped: `status` can say the card is fully in the bucket.
        assert_eq!(
            counts.get(FileState::Skipped),
            0,
            "every file is done: {counts:?}"
        );
    }

    // Deletes stick: an admin deletes 10 of A's photos on station A, then the same card is
    // read on station B.
    let deleted: Vec<(String, String)> = own[..DELETED]
        .iter()
        .map(|(_, sha_a, _)| {
            let key = objects
                .iter()
                .find(|(_, sha)| *sha == sha_a)
                .map(|(key, _)| key.clone())
                .expect("A's photo is in the bucket");
            (key, sha_a.clone())
        })
        .collect();
    let keys: Vec<String> = deleted.iter().map(|(key, _)| key.clone()).collect();
    let gallery = Bucket {
        client: client.clone(),
        bucket: bucket.clone(),
        credentials: sync_core::credential_expiry::CredentialExpiry::default(),
    };
    let now = jiff::Timestamp::now();
    let preview = gallery
        .preview_delete(&keys, Role::Admin, now)
        .await
        .expect("a delete preview");
    let by = DeletedBy {
        id: "sub-grace".to_owned(),
        name: "Grace".to_owned(),
    };
    let outcome = gallery
        .delete_indexed(
            &index,
            a.engine.catalog(),
            &keys,
            &preview.token,
            Role::Admin,
            &by,
            now,
        )
        .await
        .expect("deleted");
    assert_eq!(outcome.tombstoned, DELETED);
    for (_, sha) in &deleted {
        let record = client
            .head_object()
            .bucket(&bucket)
            .key(format!("{TOMBSTONE_PREFIX}{sha}.json"))
            .send()
            .await
            .expect("the bucket keeps a record of the deletion");
        assert_eq!(record.content_type(), Some("application/json"));
    }
    for (n, bytes) in a_bytes[..DELETED].iter().enumerate() {
        put(&b.folder, &format!("CARD_{:04}.JPG", n + 1), bytes);
    }
    settle(&b, per_station + u64::try_from(DELETED).expect("small")).await;
    // What `lightbox status` shows for them: skipped, tombstoned.
    let rows = b
        .engine
        .catalog()
        .run(|c| c.recent_files(1000))
        .await
        .expect("B's rows");
    let card_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.rel_path.to_string().starts_with("CARD_"))
        .collect();
    assert_eq!(card_rows.len(), DELETED, "B catalogued the card");
    for row in card_rows {
        assert_eq!(row.state, FileState::Skipped, "{row:?}");
        assert_eq!(
            row.skip_reason.as_deref(),
            Some(SkipReason::Tombstoned.as_str()),
            "{row:?}"
        );
    }
    let after = bucket_contents(&client, &bucket, &originals).await;
    for (_, sha) in &deleted {
        assert!(
            !after.values().any(|s| s == sha),
            "a deleted photo does not come back"
        );
    }
    let counts = b.engine.counts().await.expect("counts");
    assert_eq!(counts.get(FileState::Failed), 0, "{counts:?}");
    a.engine.stop(PATIENCE).await.expect("stops");
    b.engine.stop(PATIENCE).await.expect("stops");
}
