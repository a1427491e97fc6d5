//! The upload controls against Garage through the counting proxy: pause/resume, the bandwidth
//! limit, newest-first order, and the graceful stop of `lightbox run` on SIGTERM. Every bound
//! on bytes is read from the proxy's counters (what reached the server side), never from the
//! engine.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use lightbox_tests::fault_proxy::{FaultProxy, S3Operation};
use lightbox_tests::stack;
use lightbox_types::FileState;
use sync_core::catalog::Catalog;
use sync_core::config::UploadConfig;
use sync_core::engine::{EngineEvent, FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;
use tokio::sync::broadcast;

// `write_photo` seeds differ by 2 here: it sets the lowest bit, so 2k and 2k+1 give the same
// content (which the planner skips as a duplicate).
use crate::support::{
    MIB, PATIENCE, Photo, TestEngine, fast_ingest, get_object_bytes, write_photo,
};

fn target(client: &aws_sdk_s3::Client, bucket: &str, config: UploadConfig) -> UploadTarget {
    UploadTarget {
        config,
        ..UploadTarget::new(S3Transfer::new(client, bucket), "tester", "test-host")
    }
}

/// One file and one request at a time; files from 32 MiB in 8 MiB parts.
fn one_at_a_time() -> UploadConfig {
    UploadConfig {
        concurrency: 1,
        max_requests_in_flight: 1,
        multipart_threshold_mib: 32,
        part_size_mib: Some(8),
        ..UploadConfig::default()
    }
}

/// Wait for an `UploadControls` event saying `want`.
async fn wait_controls(events: &mut broadcast::Receiver<EngineEvent>, want: &EngineEvent) {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match events.recv().await {
                Ok(event) if &event == want => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("engine stopped"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {want:?}"));
}

/// Wait until every path in `paths` had a `phase` event accepted by `want`; panics on a
/// failure (none is expected here).
async fn wait_all(t: &mut TestEngine, what: &str, paths: &[&Path], want: fn(&FilePhase) -> bool) {
    let mut left: BTreeSet<String> = paths.iter().map(|p| p.display().to_string()).collect();
    while !left.is_empty() {
        let event = t
            .wait_for(what, |e| {
                want(&e.phase) || matches!(e.phase, FilePhase::Failed { .. })
            })
            .await;
        if let FilePhase::Failed { code, message } = &event.phase {
            panic!("{} failed with {code}: {message}", event.path);
        }
        left.remove(&event.path);
    }
}

fn planned(phase: &FilePhase) -> bool {
    matches!(phase, FilePhase::Planned { .. })
}

fn uploaded(phase: &FilePhase) -> bool {
    matches!(phase, FilePhase::Uploaded { .. })
}

/// Every photo's object (`originals/.../<name>`) holds exactly its bytes.
async fn assert_objects_are(client: &aws_sdk_s3::Client, bucket: &str, photos: &[Photo]) {
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("originals/")
        .send()
        .await
        .expect("list the bucket");
    for photo in photos {
        let key = listed
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .find(|k| k.ends_with(&format!("/{}", photo.name)))
            .unwrap_or_else(|| panic!("{} has an object", photo.name));
        let bytes = get_object_bytes(client, bucket, key).await;
        assert_eq!(
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
            photo.sha256,
            "{key} is byte-identical to {}",
            photo.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_stops_new_requests_and_a_resume_completes_every_file() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("pause").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the pass-through proxy starts");
    let client = stack.garage_s3_via(&proxy.endpoint());
    let mut t = TestEngine::start_with(
        fast_ingest(),
        Some(target(&client, &bucket, one_at_a_time())),
    )
    .await;
    let mut photos = vec![write_photo(&t.folder, "big.cr3", 40 * MIB, 1)];
    let shown = photos[0].path.display().to_string();
    t.wait_for("the first part of the big file", |e| {
        e.path == shown && matches!(e.phase, FilePhase::Uploading { part: 1.., .. })
    })
    .await;
    t.engine.pause().await.expect("pause");
    let paused = EngineEvent::UploadControls {
        paused: true,
        bandwidth_limit_mib_per_sec: None,
    };
    wait_controls(&mut t.events, &paused).await;
    // Written while paused: ingest goes on, and they wait planned.
    for i in 0..3 {
        photos.push(write_photo(
            &t.folder,
            &format!("small-{i}.jpg"),
            2 * MIB,
            10 + 2 * i,
        ));
    }
    let waiting: Vec<&Path> = photos[1..].iter().map(|p| p.path.as_path()).collect();
    wait_all(
        &mut t,
        "the files written while paused planned",
        &waiting,
        planned,
    )
    .await;
    tokio::time::timeout(PATIENCE, t.engine.uploads_drained())
        .await
        .expect("the requests in flight at the pause finish")
        .expect("the engine uploads");
    let before = proxy.stats();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = proxy.stats();
    assert_eq!(
        after.request_body_bytes_received, before.request_body_bytes_received,
        "paused and drained, no request body goes out (requests before: {:?}, after: {:?})",
        before.requests_by_operation, after.requests_by_operation
    );
    let counts = t.engine.counts().await.expect("counts");
    assert_eq!(
        counts.get(FileState::Planned),
        3,
        "the files written while paused wait planned: {counts:?}"
    );

    t.engine.resume().await.expect("resume");
    wait_controls(
        &mut t.events,
        &EngineEvent::UploadControls {
            paused: false,
            bandwidth_limit_mib_per_sec: None,
        },
    )
    .await;
    let all: Vec<&Path> = photos.iter().map(|p| p.path.as_path()).collect();
    wait_all(
        &mut t,
        "every file uploaded after the resume",
        &all,
        uploaded,
    )
    .await;
    assert_objects_are(&stack.garage_s3(), &bucket, &photos).await;
    t.engine.stop(PATIENCE).await.expect("stops");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bandwidth_limit_set_at_run_time_bounds_the_bytes_sent() {
    const LIMIT_MIB: u64 = 1;
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("bandwidth").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the pass-through proxy starts");
    let client = stack.garage_s3_via(&proxy.endpoint());
    let config = UploadConfig {
        concurrency: 3,
        max_requests_in_flight: 3,
        ..UploadConfig::default()
    };
    let mut t = TestEngine::start_with(fast_ingest(), Some(target(&client, &bucket, config))).await;
    t.engine
        .set_bandwidth_limit(Some(LIMIT_MIB))
        .await
        .expect("set the limit");
    wait_controls(
        &mut t.events,
        &EngineEvent::UploadControls {
            paused: false,
            bandwidth_limit_mib_per_sec: Some(LIMIT_MIB),
        },
    )
    .await;
    proxy.reset_stats();
    // Before any byte can be sent: the elapsed time below is an over-estimate.
    let start = Instant::now();
    let photos: Vec<Photo> = (0..3)
        .map(|i| write_photo(&t.folder, &format!("limited-{i}.jpg"), 3 * MIB, 20 + 2 * i))
        .collect();
    let burst = LIMIT_MIB * MIB / 4;
    let mut samples = 0;
    while start.elapsed() < Duration::from_secs(4) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Counted after the elapsed time is read: the count can only be larger for it.
        let elapsed = start.elapsed();
        let sent = proxy.stats().request_body_bytes_received;
        let bound =
            u64::try_from(elapsed.as_millis()).expect("small") * LIMIT_MIB * MIB / 1000 + burst;
        assert!(
            sent <= bound,
            "after {elapsed:?} at {LIMIT_MIB} MiB/s the proxy saw {sent} body bytes, more than \
             limit × elapsed + one burst = {bound}"
        );
        samples += 1;
    }
    assert!(samples > 0, "the bound was checked");

    t.engine
        .set_bandwidth_limit(None)
        .await
        .expect("lift the limit");
    let all: Vec<&Path> = photos.iter().map(|p| p.path.as_path()).collect();
    wait_all(&mut t, "every file uploaded", &all, uploaded).await;
    assert_objects_are(&stack.garage_s3(), &bucket, &photos).await;
    t.engine.stop(PATIENCE).await.expect("stops");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_files_go_up_newest_mtime_first() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("newest").await;
    let client = stack.garage_s3();
    let mut t = TestEngine::start_with(
        fast_ingest(),
        Some(target(&client, &bucket, one_at_a_time())),
    )
    .await;
    // Paused, so all of them are planned before the first pick.
    t.engine.pause().await.expect("pause");
    wait_controls(
        &mut t.events,
        &EngineEvent::UploadControls {
            paused: true,
            bandwidth_limit_mib_per_sec: None,
        },
    )
    .await;
    // (name, hours before now): written in an order that is neither oldest nor newest first.
    let ages = [("b.jpg", 3), ("d.jpg", 1), ("a.jpg", 4), ("c.jpg", 2)];
    let now = SystemTime::now();
    let mut paths = Vec::new();
    for (i, (name, hours)) in ages.iter().enumerate() {
        let photo = write_photo(&t.folder, name, MIB, 30 + 2 * i as u64);
        let file = std::fs::File::options()
            .write(true)
            .open(&photo.path)
            .expect("open to set the mtime");
        file.set_modified(now - Duration::from_secs(hours * 3600))
            .expect("set the mtime");
        paths.push(photo.path);
    }
    let all: Vec<&Path> = paths.iter().map(std::path::PathBuf::as_path).collect();
    wait_all(&mut t, "every file planned", &all, planned).await;
    t.engine.resume().await.expect("resume");
    let mut order = Vec::new();
    while order.len() < paths.len() {
        let event = t
            .wait_for("uploaded", |e| {
                matches!(e.phase, FilePhase::Uploaded { .. })
            })
            .await;
        let name = Path::new(&event.path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        order.push(name);
    }
    assert_eq!(
        order,
        ["d.jpg", "c.jpg", "b.jpg", "a.jpg"],
        "with one file at a time, the newest mtime goes up first"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
}

/// `partNumber=N` of an `UploadPart` request target.
fn part_number(target: &str) -> Option<u16> {
    target
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("partNumber="))
        .and_then(|n| n.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_parts_in_flight_finish_and_a_restart_sends_only_the_rest() {
    const GRACE_SECS: u64 = 20;
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("graceful").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let camera = dir.path().join("camera");
    std::fs::create_dir_all(&camera).expect("mkdir");
    let state = dir.path().join("state");
    let run = || {
        let log = std::fs::File::options()
            .create(true)
            .append(true)
            .open(dir.path().join("daemon.log"))
            .expect("log file");
        Command::new(env!("CARGO_BIN_EXE_lightbox"))
            .envs(stack.env_vars())
            .env("LIGHTBOX_STATE_DIR", &state)
            .env("LIGHTBOX_STORAGE__BUCKET", &bucket)
            .env("LIGHTBOX_STORAGE__ENDPOINT", proxy.endpoint())
            .env("LIGHTBOX_INGEST__SETTLE__BASE_MS", "200")
            .env("LIGHTBOX_INGEST__SETTLE__EXTRA_MS_PER_STEP", "0")
            .env("LIGHTBOX_UPLOAD__PART_SIZE_MIB", "8")
            .env("LIGHTBOX_UPLOAD__MAX_REQUESTS_IN_FLIGHT", "4")
            .env(
                "LIGHTBOX_UPLOAD__SHUTDOWN_GRACE_SECS",
                GRACE_SECS.to_string(),
            )
            .arg("run")
            .arg("--folder")
            .arg(&camera)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("lightbox run starts")
    };
    let log = || std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    let photo = write_photo(&camera, "big.cr3", 200 * MIB, 77);

    let mut daemon = run();
    let waited = tokio::time::timeout(PATIENCE * 3, async {
        while proxy.stats().forwarded_for(S3Operation::UploadPart) < 48 * MIB {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "parts went up in time: {}", log());
    let signalled = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success(), "the daemon was running");
    // The grace period plus the stop's own 30 s: a hang turns into a message, not a pass.
    let limit = Duration::from_secs(GRACE_SECS + 30);
    let signalled_at = Instant::now();
    let status = loop {
        if let Some(status) = daemon.try_wait().expect("poll the daemon") {
            break status;
        }
        if signalled_at.elapsed() > limit {
            let _ = daemon.kill();
            panic!(
                "the daemon did not exit within {limit:?} of SIGTERM: {}",
                log()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        status.success(),
        "a graceful stop exits 0: {status}\n{}",
        log()
    );

    // Every part the server accepted before the exit is in the journal.
    let accepted: BTreeSet<u16> = proxy
        .stats()
        .log
        .iter()
        .filter(|r| {
            r.request.operation == S3Operation::UploadPart && r.upstream_status == Some(200)
        })
        .filter_map(|r| part_number(&r.request.target))
        .collect();
    let journalled: BTreeSet<u16> = {
        let catalog = Catalog::open(&state.join("catalog.sqlite")).expect("open the catalog");
        let far = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 365);
        let rows = catalog
            .files_due(FileState::Uploading, far, 10)
            .expect("read rows");
        assert_eq!(rows.len(), 1, "the big file was stopped mid-upload");
        catalog
            .parts(rows[0].id)
            .expect("read parts")
            .iter()
            .map(|p| p.part_number)
            .collect()
    };
    assert!(
        !accepted.is_empty() && accepted.len() < 25,
        "SIGTERM came mid-upload: {} of 25 parts accepted",
        accepted.len()
    );
    assert_eq!(
        journalled,
        accepted,
        "the parts in flight at SIGTERM finished and were journalled: every part the server \
         accepted is in the journal\n{}",
        log()
    );

    proxy.reset_stats();
    let mut daemon = run();
    let done = tokio::time::timeout(PATIENCE * 3, async {
        loop {
            let done = Catalog::open(&state.join("catalog.sqlite"))
                .and_then(|c| c.counts_by_state())
                .map(|counts| counts.get(FileState::Done))
                .unwrap_or(0);
            if done == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let _ = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status();
    let restarted = daemon.wait().expect("the second daemon exits");
    assert!(done.is_ok(), "the restart completes the upload: {}", log());
    assert!(restarted.success(), "the second daemon stops cleanly too");
    let resent: BTreeSet<u16> = proxy
        .stats()
        .log
        .iter()
        .filter(|r| r.request.operation == S3Operation::UploadPart)
        .filter_map(|r| part_number(&r.request.target))
        .collect();
    assert!(
        resent.is_disjoint(&journalled),
        "no journalled part is sent again: re-sent {resent:?}, journalled {journalled:?}"
    );
    assert_eq!(
        proxy
            .stats()
            .requests_of(S3Operation::CreateMultipartUpload),
        0,
        "the restart resumes the same multipart upload"
    );
    assert_objects_are(&stack.garage_s3(), &bucket, std::slice::from_ref(&photo)).await;
    proxy.shutdown().await;
}
