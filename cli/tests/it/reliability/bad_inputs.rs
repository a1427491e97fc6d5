//! Bad inputs from RELIABILITY.md's table that no other test showed: a 1,000-character path, a
//! watched folder deleted mid-run (nothing deleted anywhere), two daemons on one catalog, and a
//! corrupted catalog file (message, backup, rebuild by scan).

use std::time::Duration;

use lightbox_tests::stack;
use lightbox_types::FileState;
use sync_core::engine::{EngineEvent, FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;

use crate::support::{Daemon, PATIENCE, TestEngine, fast_ingest, write_photo};

const KIB: u64 = 1024;

fn target(client: &aws_sdk_s3::Client, bucket: &str) -> UploadTarget {
    UploadTarget::new(
        S3Transfer::new(client, bucket),
        "test-uploader",
        "test-host",
    )
}

async fn head_size(bucket: &str, key: &str) -> Option<i64> {
    stack()
        .garage_s3()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()
        .and_then(|h| h.content_length())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_bad_input_a_1000_character_path_is_uploaded_under_its_name() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("long-path").await;
    let mut t =
        TestEngine::start_with(fast_ingest(), Some(target(&stack.garage_s3(), &bucket))).await;
    // Five nested folders of 200 characters each, below the watched folder.
    let mut dir = t.folder.clone();
    for level in 0..5 {
        dir.push(format!("{level}{}", "d".repeat(199)));
    }
    std::fs::create_dir_all(&dir).expect("a deep folder");
    let photo = write_photo(&dir, "deep.jpg", 64 * KIB, 11);
    let path_len = photo.path.display().to_string().chars().count();
    assert!(path_len >= 1_000, "the path has {path_len} characters");
    let uploaded = t
        .wait_for("the deep file to be uploaded", |e| {
            e.path.ends_with("deep.jpg") && matches!(e.phase, FilePhase::Uploaded { .. })
        })
        .await;
    let FilePhase::Uploaded { key, .. } = uploaded.phase else {
        unreachable!()
    };
    assert!(
        key.starts_with("originals/") && key.ends_with("/deep.jpg") && key.len() < 1024,
        "the key is the date and the file name, whatever the local path: {key}"
    );
    assert_eq!(head_size(&bucket, &key).await, Some(64 * 1024));
    t.engine.stop(PATIENCE).await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_bad_input_a_deleted_watched_folder_deletes_nothing_anywhere() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("folder-gone").await;
    let mut t =
        TestEngine::start_with(fast_ingest(), Some(target(&stack.garage_s3(), &bucket))).await;
    let photo = write_photo(&t.folder, "kept.jpg", 32 * KIB, 12);
    let uploaded = t
        .wait_for("the file to be uploaded", |e| {
            e.path.ends_with("kept.jpg") && matches!(e.phase, FilePhase::Uploaded { .. })
        })
        .await;
    let FilePhase::Uploaded { key, .. } = uploaded.phase else {
        unreachable!()
    };
    // The card is pulled (or the share unmounted): the folder is gone mid-run.
    std::fs::remove_dir_all(&t.folder).expect("remove the watched folder");
    t.engine.rescan().await.expect("rescan");
    let unavailable = tokio::time::timeout(PATIENCE, async {
        loop {
            match t.events.recv().await {
                Ok(EngineEvent::FolderUnavailable { reason, .. }) => return reason,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("the engine stopped: {e}"),
            }
        }
    })
    .await
    .expect("the engine reports the folder unavailable");
    assert!(!unavailable.is_empty(), "it says why");
    // Let any wrongful clean-up happen before looking.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        head_size(&bucket, &key).await,
        Some(i64::try_from(photo.size).expect("small")),
        "the object stays in the bucket: uploads only ever add"
    );
    let counts = t.engine.counts().await.expect("counts");
    assert_eq!(
        counts.get(FileState::Done) + counts.get(FileState::Uploaded),
        1,
        "the catalog still knows the file as uploaded, not deleted: {counts:?}"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
}

#[test]
fn reliability_bad_input_a_second_daemon_on_one_catalog_is_refused() {
    let mut first = Daemon::new();
    first.start(&[]);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !first.log().contains("lightbox is running") {
        assert!(
            std::time::Instant::now() < deadline,
            "the first daemon did not start: {}",
            first.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = first
        .command(&[])
        .arg("run")
        .arg("--folder")
        .arg(first.camera())
        .output()
        .expect("a second lightbox run starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second daemon must not run");
    assert!(
        stderr.contains("in use by another Lightbox engine") && stderr.contains("stop that one"),
        "the message names the holder and what to do: {stderr}"
    );
    first.kill("-TERM");
}

#[test]
fn reliability_bad_input_a_corrupted_catalog_is_kept_aside_and_rebuilt_by_scan() {
    let mut daemon = Daemon::new();
    let state = daemon.camera().parent().expect("a parent").join("state");
    std::fs::create_dir_all(&state).expect("mkdir state");
    let garbage = b"SQLite format 3\0 but then the disk returned garbage".repeat(100);
    std::fs::write(state.join("catalog.sqlite"), &garbage).expect("write a corrupt catalog");
    let photo = write_photo(&daemon.camera(), "after-corruption.jpg", 16 * KIB, 13);
    daemon.start(&[]);
    daemon.wait_until("the file to be uploaded again from the scan", |s| {
        s["done"].as_u64() == Some(1)
    });
    daemon.kill("-TERM");
    let log = daemon.log();
    assert!(
        log.contains("catalog could not be read") && log.contains("a new one started"),
        "the log says what happened: {log}"
    );
    let backups: Vec<_> = std::fs::read_dir(&state)
        .expect("read state")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup of the bad file");
    assert_eq!(
        std::fs::read(backups[0].path()).expect("read the backup"),
        garbage,
        "the bad file is kept byte for byte"
    );
    assert!(photo.path.exists(), "the local file is untouched");
}

/// A Garage key of its own, with no permission on any bucket: (key id, secret).
fn key_without_permissions() -> (String, String) {
    let stack = stack();
    let name = lightbox_tests::unique_name("no-rights");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(
            ". scripts/common.sh && \"$GARAGE_BIN\" -c \"$1/garage/garage.toml\" key create \"$2\"",
        )
        .arg("bash")
        .arg(&stack.dir)
        .arg(&name)
        .current_dir(lightbox_tests::stack::repo_root())
        .output()
        .expect("the garage CLI runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |label: &str| {
        text.lines()
            .find(|l| l.contains(label))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {label} in `garage key create` output: {text}"))
    };
    (field("Key ID"), field("Secret key"))
}

#[test]
fn reliability_bad_input_access_denied_stops_the_daemon_with_what_to_check() {
    let (key, secret) = key_without_permissions();
    let dir = tempfile::tempdir().expect("tempdir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!("[lightbox-garage]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .expect("write a credentials file");
    let daemon = Daemon::new().with_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        &credentials.display().to_string(),
    );
    let out = daemon
        .command(&[])
        .arg("run")
        .arg("--folder")
        .arg(daemon.camera())
        .output()
        .expect("lightbox run starts");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "no upload can work: the daemon stops"
    );
    assert!(
        stderr.contains("is not reachable") && stderr.contains("credentials"),
        "the message names the bucket and says to check the credentials: {stderr}"
    );
    assert!(
        stderr.contains("403") || stderr.contains("AccessDenied") || stderr.contains("Forbidden"),
        "and shows S3's refusal: {stderr}"
    );
}

/// Run `script` (sh) in the mount namespace of process `pid`.
fn in_namespace_of(pid: u32, script: &str) {
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "sh", "-c", script])
        .output()
        .expect("nsenter runs");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The catalog on a 192 KiB file system: a private tmpfs in the daemon's own mount namespace
/// (`unshare -m`, which needs root, as the test command runs). Needs no disk to fill up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_bad_input_a_full_disk_for_the_catalog_is_reported_and_survived() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("disk-full").await;
    let mut daemon = Daemon::new().with_env("LIGHTBOX_STORAGE__BUCKET", &bucket);
    let state = daemon.camera().parent().expect("a parent").join("state");
    std::fs::create_dir_all(&state).expect("mkdir state");
    let photos: Vec<_> = (0..120)
        .map(|i| {
            write_photo(
                &daemon.camera(),
                &format!("full-{i:03}.jpg"),
                2 * KIB,
                1000 + 2 * i, // distinct seeds: write_photo sets the lowest bit
            )
        })
        .collect();
    daemon.start(&[
        "unshare",
        "-m",
        "sh",
        "-c",
        "mount -t tmpfs -o size=192k tmpfs \"$LIGHTBOX_STATE_DIR\" && exec \"$0\" \"$@\"",
    ]);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !daemon.log().contains("catalog_disk_full") {
        assert!(
            std::time::Instant::now() < deadline,
            "the full disk was not reported: {}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = daemon.log();
    let line = log
        .lines()
        .find(|l| l.contains("catalog_disk_full"))
        .unwrap_or_default();
    assert!(
        line.contains("WARN") && line.contains("is full") && line.contains("free some space"),
        "a warning that says what to do, at the default log level: {line}"
    );

    // Space is freed: the files still waiting go on.
    let uploaded = |log: &str| log.matches("lightbox::run: uploaded").count();
    let before = uploaded(&daemon.log());
    let pid = daemon.pid().expect("the daemon runs");
    in_namespace_of(
        pid,
        &format!("mount -o remount,size=64m '{}'", state.display()),
    );
    while uploaded(&daemon.log()) <= before {
        assert!(
            std::time::Instant::now() < deadline + PATIENCE,
            "nothing went on after space was freed: {}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every file ends done without a restart. The catalog is read where the daemon sees it:
    // in its mount namespace.
    let pid_text = pid.to_string();
    let status_inside = || {
        let out = daemon
            .command(&["nsenter", "-t", &pid_text, "-m", "--"])
            .args(["status", "--json"])
            .output()
            .expect("lightbox status runs in the daemon's namespace");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default()
    };
    let mut status = status_inside();
    while status["done"].as_u64() != Some(120) {
        assert!(
            std::time::Instant::now() < deadline + PATIENCE * 2,
            "not every file was done after space was freed: {status}\n{}",
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(250));
        status = status_inside();
    }
    daemon.kill("-TERM");

    // Whatever reached the bucket is a source file, byte for byte, and none is there twice.
    let client = stack.garage_s3();
    let mut names = std::collections::HashSet::new();
    for (key, sha256) in originals_with_sha256(&client, &bucket).await {
        let name = key.rsplit('/').next().unwrap_or(&key);
        let photo = photos
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{key} is no source file"));
        assert_eq!(
            sha256, photo.sha256,
            "{key} is byte-identical to its source"
        );
        assert!(
            names.insert(name.to_owned()),
            "{name} is in the bucket twice"
        );
    }
    assert!(
        !names.is_empty(),
        "something was uploaded once there was space"
    );
}

/// Every object under `originals/` (one page is enough here) with the SHA-256 of its bytes.
async fn originals_with_sha256(client: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, String)> {
    use sha2::Digest as _;
    let listed = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix("originals/")
        .send()
        .await
        .expect("list the bucket");
    let mut objects = Vec::new();
    for object in listed.contents() {
        let key = object.key().expect("a key").to_owned();
        let bytes = crate::support::get_object_bytes(client, bucket, &key).await;
        objects.push((key, hex::encode(sha2::Sha256::digest(&bytes))));
    }
    objects
}

/// The file is replaced (a new version renamed over it, as an editor or a re-import does) while
/// its multipart upload is under way, slowed to 4 MiB/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_bad_input_a_file_replaced_while_uploading_ends_with_its_new_bytes_once() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("replaced").await;
    let client = stack.garage_s3();
    let target = UploadTarget {
        config: sync_core::config::UploadConfig {
            multipart_threshold_mib: 16,
            part_size_mib: Some(8),
            ..sync_core::config::UploadConfig::default()
        },
        ..target(&client, &bucket)
    };
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;
    t.engine
        .set_bandwidth_limit(Some(4))
        .await
        .expect("a limit");
    let old = write_photo(&t.folder, "edited.cr3", 24 * 1024 * KIB, 21);
    t.wait_for("the upload to start", |e| {
        e.path.ends_with("edited.cr3") && matches!(e.phase, FilePhase::Uploading { .. })
    })
    .await;
    let new = write_photo(&t.folder, "edited.cr3", 20 * 1024 * KIB, 22);

    // Until the new bytes are in the bucket and the row is done.
    let deadline = std::time::Instant::now() + PATIENCE * 2;
    let objects = loop {
        let objects = originals_with_sha256(&client, &bucket).await;
        let done = t
            .engine
            .counts()
            .await
            .expect("counts")
            .get(FileState::Done)
            == 1;
        if done && objects.iter().any(|(_, sha)| *sha == new.sha256) {
            break objects;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new version never reached the bucket: {objects:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    t.engine.stop(PATIENCE).await.expect("stops");
    let count = |sha: &str| objects.iter().filter(|(_, s)| s == sha).count();
    assert_eq!(count(&new.sha256), 1, "the new version once: {objects:?}");
    assert!(
        count(&old.sha256) <= 1,
        "the old version at most once (if it was complete before the replace): {objects:?}"
    );
    assert_eq!(
        objects.len(),
        count(&new.sha256) + count(&old.sha256),
        "no object mixes the two versions: {objects:?}"
    );
    let uploads = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("list uploads");
    assert!(
        uploads.uploads().is_empty(),
        "the upload of the old bytes was aborted, not left open: {:?}",
        uploads.uploads()
    );
    eprintln!("after a replace mid-upload the bucket holds: {objects:?}");
}

/// A sparse file a little over S3's 5 GiB single-PUT limit goes up with `lightbox push` as a
/// multipart upload and is verified. Long form only (`scripts/reliability.sh` runs ignored
/// `reliability_` tests): 5 GiB through Garage does not fit the short form's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long form: scripts/reliability.sh (uploads 5 GiB)"]
async fn reliability_bad_input_a_sparse_file_over_5_gib_goes_up_in_parts() {
    use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("sparse").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sparse-5gib.cr3");
    let size = 5 * 1024 * 1024 * KIB + 1024 * KIB;
    {
        let mut file = std::fs::File::create(&path).expect("create");
        file.set_len(size).expect("a sparse file");
        file.write_all(b"the first bytes").expect("write");
        file.seek(SeekFrom::End(-15)).expect("seek");
        file.write_all(b"the final bytes").expect("write");
    }
    let (mut sha, mut crc) = (sha2::Sha256::default(), crc64fast_nvme::Digest::new());
    let mut file = std::fs::File::open(&path).expect("open");
    let mut chunk = vec![0_u8; 4 * 1024 * 1024];
    loop {
        let n = file.read(&mut chunk).expect("read");
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut sha, &chunk[..n]);
        crc.write(&chunk[..n]);
    }
    let photo = crate::support::Photo::hashed(path.clone(), size, sha, &crc);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack.env_vars())
        .env("LIGHTBOX_STORAGE__BUCKET", &bucket)
        .env("LIGHTBOX_STATE_DIR", dir.path().join("state"))
        .args(["push", "--json", "--part-size-mib", "64", "--catalog"])
        .arg(dir.path().join("catalog.sqlite"))
        .arg(&path)
        .output()
        .expect("lightbox push runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the push completes: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("a JSON line for the file ({e}): {stdout}"));
    assert_eq!(line["status"], "uploaded", "{line}");
    let key = line["key"].as_str().expect("the line names the key");
    crate::upload_push::assert_object_is(&stack.garage_s3(), &bucket, key, &photo).await;
}
