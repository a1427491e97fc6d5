//! The uploader under injected S3 faults, checked from outside: 200 files dropped into a
//! watched folder behind a fault-injecting proxy all end in the bucket exactly once and
//! byte-identical; two engines on two catalogs uploading the same files leave one object per
//! file. The checks list, read and HEAD the bucket directly (the Rust SDK and boto3 from the
//! project's venv), never through the proxy or the engine.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::time::{Duration, Instant};

use lightbox_tests::fault_proxy::{Fault, FaultPlan, FaultProxy, RandomFaults, S3Operation};
use lightbox_tests::stack;
use lightbox_types::{FailureCode, FileState};
use sha2::{Digest as _, Sha256};
use sync_core::catalog::FileId;
use sync_core::config::UploadConfig;
use sync_core::engine::{EngineEvent, FileEvent, FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;
use tokio::sync::broadcast::error::TryRecvError;

use crate::support::{MIB, PATIENCE, Photo, TestEngine, fast_ingest, write_photo};

const KIB: u64 = 1024;

/// Fixed, so a failure can be replayed with the same fault schedule.
const FAULT_SEED: u64 = 0x5EED_F00D;

/// Files from 32 MiB on go up in 8 MiB parts, so a 33–36 MiB file has 5 parts.
fn small_parts() -> UploadConfig {
    UploadConfig {
        multipart_threshold_mib: 32,
        part_size_mib: Some(8),
        ..UploadConfig::default()
    }
}

fn target(client: &aws_sdk_s3::Client, bucket: &str, uploader: &str) -> UploadTarget {
    UploadTarget {
        config: small_parts(),
        ..UploadTarget::new(S3Transfer::new(client, bucket), uploader, "test-host")
    }
}

/// What the engine reported while the files went up.
#[derive(Debug, Default)]
struct UploadLog {
    /// `Failed` events by code: file-level failures the uploader retried later.
    failures: BTreeMap<FailureCode, u64>,
    /// `Uploaded` events that met the object already there (a lost reply, or another copy).
    duplicates: u64,
    /// `Uploaded` events that created the object.
    created: u64,
    /// The file names of those.
    created_names: Vec<String>,
}

/// Poll the catalog until `files` rows are `Done`, reading the bus on the way. Panics on a
/// permanent failure (it would never come back) and after `patience`, with `context()` in the
/// message. Not a timed assertion: patience only turns a hang into a message.
async fn wait_all_done(
    t: &mut TestEngine,
    files: u64,
    patience: Duration,
    context: &dyn Fn() -> String,
) -> UploadLog {
    let started = Instant::now();
    let mut log = UploadLog::default();
    loop {
        loop {
            match t.events.try_recv() {
                Ok(EngineEvent::File(FileEvent {
                    file,
                    path,
                    phase: FilePhase::Failed { code, message },
                })) => {
                    let record = t
                        .engine
                        .catalog()
                        .read(move |c| c.get_file(FileId::from_raw(file)))
                        .await
                        .expect("read the failed row");
                    let permanent = record.is_some_and(|r| {
                        r.state == FileState::Failed && r.next_attempt_at.is_none()
                    });
                    assert!(
                        !permanent,
                        "{path} failed permanently with {code}: {message} \
                         (injected faults are all temporary, so every failure must be retried)"
                    );
                    *log.failures.entry(code).or_default() += 1;
                }
                Ok(EngineEvent::File(FileEvent {
                    path,
                    phase: FilePhase::Uploaded { duplicate, .. },
                    ..
                })) => {
                    if duplicate {
                        log.duplicates += 1;
                    } else {
                        log.created += 1;
                        log.created_names.push(name_of(&path).to_owned());
                    }
                }
                // A lag only loses progress events here; the catalog counts are the truth.
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        let counts = t.engine.counts().await.expect("counts");
        if counts.get(FileState::Done) == files {
            return log;
        }
        assert!(
            started.elapsed() < patience,
            "not every file was done after {patience:?}: {counts:?}; failures seen: {:?}; \
             rows not done: {:#?}\n{}",
            log.failures,
            rows_not_done(t).await,
            context()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The catalog rows still on their way (for a message): path, state, attempts, last failure
/// and multipart upload id.
async fn rows_not_done(t: &TestEngine) -> Vec<String> {
    let far_future = jiff::Timestamp::MAX;
    t.engine
        .catalog()
        .read(move |c| {
            Ok(FileState::ALL
                .into_iter()
                .filter(|s| !matches!(s, FileState::Done | FileState::Skipped))
                .flat_map(|s| c.files_due(s, far_future, 20).expect("list rows"))
                .map(|r| {
                    format!(
                        "{} {:?} attempts={} failure={:?} upload={:?}",
                        r.rel_path,
                        r.state,
                        r.attempts,
                        r.last_failure.map(|f| format!("{}: {}", f.code, f.message)),
                        r.multipart.map(|m| m.upload_id)
                    )
                })
                .collect())
        })
        .await
        .expect("the catalog reads")
}

/// Every object under `originals/` with its size, every page of the listing.
async fn originals(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, u64)> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("originals/")
        .into_paginator()
        .send();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.unwrap_or_else(|e| {
            panic!(
                "ListObjectsV2 {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
        for object in page.contents() {
            let key = object.key().expect("a listed object has a key").to_owned();
            if key.starts_with("originals/.lightbox/") {
                continue; // the probes, not photos
            }
            let size = object
                .size()
                .and_then(|s| u64::try_from(s).ok())
                .expect("a listed object has a size");
            objects.push((key, size));
        }
    }
    objects
}

/// The SHA-256 of the object's bytes (streamed) and its `uploader` metadata.
async fn object_sha256(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> (String, String) {
    let object = crate::support::get_object(client, bucket, key).await;
    let uploader = object
        .metadata()
        .and_then(|m| m.get("uploader").cloned())
        .unwrap_or_default();
    let mut body = object.body;
    let mut sha = Sha256::new();
    while let Some(chunk) = body.next().await {
        sha.update(chunk.expect("read the object body"));
    }
    (hex::encode(sha.finalize()), uploader)
}

/// The file name at the end of an `originals/YYYY/MM/DD/<name>` key.
fn name_of(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// boto3 (from the project's venv, configured by the stack's AWS profile, straight to Garage)
/// lists the bucket and HEADs every original with checksum mode on: key → (CRC64/NVME,
/// checksum type, size) as an independent client reads them.
fn boto3_checksums(bucket: &str) -> HashMap<String, (String, String, u64)> {
    const SCRIPT: &str = r#"
import json, sys, boto3
s3 = boto3.Session(profile_name="lightbox-garage").client("s3")
out = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1], Prefix="originals/"):
    for o in page.get("Contents", []):
        h = s3.head_object(Bucket=sys.argv[1], Key=o["Key"], ChecksumMode="ENABLED")
        out[o["Key"]] = [h.get("ChecksumCRC64NVME") or "", h.get("ChecksumType") or "", h["ContentLength"]]
print(json.dumps(out))
"#;
    let stack = stack();
    let python = stack.venv_bin("python");
    let out = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(bucket)
        .envs(stack.env_vars())
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "boto3 could not HEAD the objects: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints a JSON object")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_files_survive_injected_faults() {
    let started = Instant::now();
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("upload-faults").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    // About one request in eight fails or stalls, every kind of fault the uploader must survive,
    // until 80 have been injected (200 files make about 750 requests).
    proxy.set_plan(
        FaultPlan::pass_through().with_random(
            RandomFaults::new(FAULT_SEED)
                .with(Fault::ResetBeforeResponse, 0.02)
                .with(Fault::ResetMidResponse, 0.025)
                .with(Fault::stall(Duration::from_millis(300)), 0.015)
                .with(Fault::stall_then_reset(Duration::from_millis(200)), 0.01)
                .with(Fault::ServerError500, 0.02)
                .with(Fault::SlowDown503, 0.015)
                .with(Fault::TruncatedResponse, 0.02)
                .at_most(80),
        ),
    );
    let client = stack.garage_s3_via(&proxy.endpoint());
    let mut t = TestEngine::start_with(
        fast_ingest(),
        Some(target(&client, &bucket, "test-uploader")),
    )
    .await;

    // 190 single puts of 64–512 KiB and 10 five-part uploads of 33–36 MiB: about 400 MiB.
    let folder = t.folder.clone();
    let photos = tokio::task::spawn_blocking(move || {
        let mut photos = Vec::new();
        for i in 0..200_u64 {
            let (name, size) = if i % 20 == 19 {
                (format!("RAW_{i:03}.cr3"), 33 * MIB + (i / 20 % 4) * MIB + i)
            } else {
                (
                    format!("IMG_{i:03}.jpg"),
                    64 * KIB + (i * 7919) % (448 * KIB),
                )
            };
            photos.push(write_photo(&folder, &name, size, 1000 + i));
        }
        photos
    })
    .await
    .expect("writing the files");
    assert_eq!(
        photos.iter().filter(|p| p.size >= 32 * MIB).count(),
        10,
        "ten files are large enough for multipart"
    );

    let proxy_state = || {
        let stats = proxy.stats();
        let unanswered: Vec<_> = stats
            .log
            .iter()
            .filter(|r| r.upstream_status.is_none() && r.fault.is_none())
            .map(|r| (&r.request.method, &r.request.target))
            .collect();
        format!(
            "proxy: faults {:?}, connection errors {} {:?}, requests without an answer: {unanswered:#?}",
            stats.faults, stats.connection_errors, stats.errors
        )
    };
    let log = wait_all_done(&mut t, 200, Duration::from_secs(6 * 60), &proxy_state).await;
    let uploaded_in = started.elapsed();
    t.engine.stop(PATIENCE).await.expect("stops");
    let stats = proxy.stats();
    eprintln!(
        "faults injected: {} ({} failed the request) of {} requests: {:?}",
        stats.faults_total(),
        stats.failing_faults(),
        stats.requests,
        stats.faults
    );
    eprintln!("requests by operation: {:?}", stats.requests_by_operation);
    eprintln!(
        "engine: {} created, {} met their own object after a lost reply, \
         file-level failures retried: {:?}; all done after {uploaded_in:?}",
        log.created, log.duplicates, log.failures
    );
    assert!(
        stats.failing_faults() > 0,
        "the proxy made requests fail, so the test is not passing vacuously: {:?}",
        stats.faults
    );
    proxy.shutdown().await;

    // From outside: a client straight to Garage.
    let direct = stack.garage_s3();
    let objects = originals(&direct, &bucket).await;
    let by_name: HashMap<&str, &Photo> = photos.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut objects_per_file: HashMap<&str, u32> = HashMap::new();
    for (key, _) in &objects {
        *objects_per_file.entry(name_of(key)).or_default() += 1;
    }
    let lost: Vec<&str> = by_name
        .keys()
        .filter(|name| !objects_per_file.contains_key(*name))
        .copied()
        .collect();
    let doubled: Vec<(&str, u32)> = objects_per_file
        .iter()
        .filter(|(name, n)| **n > 1 || !by_name.contains_key(*name))
        .map(|(name, n)| (*name, *n))
        .collect();
    assert!(lost.is_empty(), "no file is lost: missing {lost:?}");
    assert!(
        doubled.is_empty(),
        "no file is stored twice or under another name (a retry that took its own object for \
         a stranger's would rename it): {doubled:?}"
    );
    assert_eq!(objects.len(), 200, "one object per file");

    let mut corrupted = Vec::new();
    for (key, size) in &objects {
        let photo = by_name[name_of(key)];
        let (remote, _) = object_sha256(&direct, &bucket, key).await;
        if remote != photo.sha256 || *size != photo.size {
            corrupted.push(key.clone());
        }
    }
    assert!(
        corrupted.is_empty(),
        "every object holds exactly its file's bytes: {corrupted:?}"
    );

    // And with another S3 implementation: the server's own CRC64/NVME of each object.
    let checksums = tokio::task::spawn_blocking({
        let bucket = bucket.clone();
        move || boto3_checksums(&bucket)
    })
    .await
    .expect("boto3 runs");
    assert_eq!(checksums.len(), 200, "boto3 lists the same 200 objects");
    for (key, (crc, kind, size)) in &checksums {
        let photo = by_name[name_of(key)];
        assert_eq!(
            (crc.as_str(), kind.as_str(), *size),
            (photo.crc64nvme.as_str(), "FULL_OBJECT", photo.size),
            "{key}: Garage's whole-object CRC64/NVME is the local file's, for single puts and \
             multipart uploads alike"
        );
    }

    let orphans = direct
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("ListMultipartUploads")
        .uploads()
        .len();
    eprintln!(
        "multipart uploads left open (a CreateMultipartUpload whose reply was lost; the \
         bucket's abort-incomplete rule removes them): {orphans}; test took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_on_two_catalogs_upload_the_same_files_once() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("two-engines").await;
    // A pass-through proxy, only to count which writes reached Garage.
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    let client = stack.garage_s3_via(&proxy.endpoint());
    let mut a =
        TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, "engine-a"))).await;
    let mut b =
        TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, "engine-b"))).await;

    // Nine single puts and one 33 MiB multipart upload, written once outside both folders.
    let staging = tempfile::tempdir().expect("tempdir");
    let photos: Vec<Photo> = (0..10_u64)
        .map(|i| {
            if i == 9 {
                write_photo(staging.path(), "RAW_9.cr3", 33 * MIB + 3, 500 + i)
            } else {
                write_photo(
                    staging.path(),
                    &format!("IMG_{i}.jpg"),
                    100 * KIB * (i + 1),
                    500 + i,
                )
            }
        })
        .collect();
    // Copies under hidden names first, then renamed in pairwise, so both engines see each file
    // appear at the same moment.
    for photo in &photos {
        for folder in [&a.folder, &b.folder] {
            std::fs::copy(&photo.path, folder.join(format!(".{}.tmp", photo.name)))
                .expect("copy into a watched folder");
        }
    }
    for photo in &photos {
        for folder in [&a.folder, &b.folder] {
            std::fs::rename(
                folder.join(format!(".{}.tmp", photo.name)),
                folder.join(&photo.name),
            )
            .expect("rename into place");
        }
    }

    let log_a = wait_all_done(&mut a, 10, Duration::from_secs(4 * 60), &String::new).await;
    let log_b = wait_all_done(&mut b, 10, Duration::from_secs(4 * 60), &String::new).await;
    a.engine.stop(PATIENCE).await.expect("stops");
    b.engine.stop(PATIENCE).await.expect("stops");
    let stats = proxy.stats();
    proxy.shutdown().await;

    // Writes of originals Garage accepted, per file name: a PutObject or
    // CompleteMultipartUpload with 200 (not the uploaders' start-up If-None-Match probes).
    let mut writes: BTreeMap<String, u32> = BTreeMap::new();
    for record in &stats.log {
        let op = record.request.operation;
        if matches!(
            op,
            S3Operation::PutObject | S3Operation::CompleteMultipartUpload
        ) && record.upstream_status == Some(200)
            && record.request.target.contains("/originals/")
            // The upload guard's probe writes under originals/.lightbox/, not a photo.
            && !record.request.target.contains("/originals/.lightbox/")
        {
            let path = record.request.target.split('?').next().unwrap_or_default();
            *writes.entry(name_of(path).to_owned()).or_default() += 1;
        }
    }
    let completions_gone = stats
        .log
        .iter()
        .filter(|r| {
            r.request.operation == S3Operation::CompleteMultipartUpload
                && r.upstream_status == Some(404)
        })
        .count();
    let raced: Vec<&String> = writes
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(name, _)| name)
        .collect();
    eprintln!(
        "engine a: {} created, {} found the other's object; engine b: {} created, {} found \
         the other's object; files both engines wrote (HEAD-first race, Garage ignores \
         If-None-Match): {} {raced:?}; multipart completions that found their upload gone \
         (the other engine completed the key first): {completions_gone}",
        log_a.created,
        log_a.duplicates,
        log_b.created,
        log_b.duplicates,
        raced.len()
    );
    assert_eq!(
        log_a.failures.len() + log_b.failures.len(),
        0,
        "no faults, no failures: {:?} {:?}",
        log_a.failures,
        log_b.failures
    );
    for photo in &photos {
        let n = writes.get(&photo.name).copied().unwrap_or(0);
        assert!(
            (1..=2).contains(&n),
            "{} was written by one engine, or by both in the HEAD-to-PUT window, never \
             more: {n} writes",
            photo.name
        );
    }
    // Every write Garage accepted shows up as a `created` upload. The converse need not hold:
    // when both engines race a multipart upload of the same key, Garage completes one and
    // answers the other's CompleteMultipartUpload with NoSuchUpload; that engine's HEAD then
    // finds the very bytes it uploaded and reports them as its own (it cannot tell a lost reply
    // from a rival), without a write.
    assert!(
        log_a.created + log_b.created >= u64::from(writes.values().sum::<u32>()),
        "every accepted write is reported as created: writes {writes:?}, a created {:?}, \
         b created {:?}",
        log_a.created_names,
        log_b.created_names
    );
    let direct = stack.garage_s3();
    let objects = originals(&direct, &bucket).await;
    let mut names: Vec<&str> = objects.iter().map(|(key, _)| name_of(key)).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = photos.iter().map(|p| p.name.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(
        names, expected,
        "exactly one object per file: the second engine met the first one's object (or wrote \
         the same bytes to the same key), never a renamed copy"
    );
    for (key, _) in &objects {
        let photo = photos
            .iter()
            .find(|p| p.name == name_of(key))
            .expect("a listed file");
        let (remote, uploader) = object_sha256(&direct, &bucket, key).await;
        assert_eq!(
            remote, photo.sha256,
            "{key} holds exactly the file's bytes, whichever engine wrote it last"
        );
        assert!(
            uploader == "engine-a" || uploader == "engine-b",
            "{key} names one of the two engines as its uploader, not {uploader:?}"
        );
    }
}
