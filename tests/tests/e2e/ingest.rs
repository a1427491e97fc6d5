//! The ingest engine on real files: watcher, scan, settle, fingerprint, plan.

use std::io::Write;
use std::time::Duration;

use lightbox_types::{FailureCode, FileState, SkipReason};
use sha2::{Digest, Sha256};
use sync_core::engine::{FileEvent, FilePhase};

use crate::support::{TestEngine, fast_ingest, is_planned, planned_key};

async fn state_of(t: &TestEngine, path: &std::path::Path) -> Option<FileState> {
    let folder = t
        .engine
        .catalog()
        .read(sync_core::catalog::Catalog::list_folders)
        .await
        .expect("folders")[0]
        .clone();
    let rel =
        sync_core::catalog::RelPath::from_path(path.strip_prefix(&folder.path).expect("inside"))
            .expect("valid");
    t.engine
        .catalog()
        .read(move |c| c.file_by_path(folder.id, &rel))
        .await
        .expect("read")
        .map(|r| r.state)
}

/// The catalog row behind a file event.
async fn record_of(t: &TestEngine, event: &FileEvent) -> sync_core::catalog::FileRecord {
    let file = sync_core::catalog::FileId::from_raw(event.file);
    t.engine
        .catalog()
        .read(move |c| c.get_file(file))
        .await
        .expect("read")
        .expect("row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowly_written_file_is_planned_only_once_it_is_complete() {
    // The default settle window (2 s for a small file), as a tethered camera sees it.
    let mut t = TestEngine::start(sync_core::config::IngestConfig::default()).await;
    let path = t.folder.join("tethered.CR3");
    let chunk = vec![7u8; 1024 * 1024];
    let mut file = std::fs::File::create(&path).expect("create");
    let mut hasher = Sha256::new();
    // 50 MiB in 1 MiB chunks, one every 200 ms: 10 s of writing.
    for _ in 0..50 {
        file.write_all(&chunk).expect("write");
        file.flush().expect("flush");
        hasher.update(&chunk);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_ne!(
            state_of(&t, &path).await,
            Some(FileState::Planned),
            "a file still being written must never be planned"
        );
    }
    drop(file);
    let planned = t
        .wait_for("the finished file to be planned", is_planned(&path))
        .await;
    assert!(
        planned_key(&planned).ends_with("/tethered.CR3"),
        "{planned:?}"
    );
    let record = record_of(&t, &planned).await;
    assert_eq!(
        record.sha256.map(|s| s.to_hex()),
        Some(hex::encode(hasher.finalize())),
        "the hash is of the complete file, not of a prefix"
    );
    assert_eq!(record.stat.size, 50 * 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_renamed_into_place_is_planned_once() {
    let mut t = TestEngine::start(fast_ingest()).await;
    let partial = t.folder.join("IMG_0001.JPG.part");
    let done = t.folder.join("IMG_0001.JPG");
    std::fs::write(&partial, vec![1u8; 300_000]).expect("write");
    tokio::time::sleep(Duration::from_millis(700)).await;
    std::fs::rename(&partial, &done).expect("rename");
    t.wait_for("the renamed file to be planned", is_planned(&done))
        .await;
    let later = t.drain(Duration::from_secs(2)).await;
    assert!(
        later
            .iter()
            .all(|e| !matches!(e.phase, FilePhase::Planned { .. })),
        "planned exactly once: {later:?}"
    );
    assert!(
        later.iter().all(|e| !e.path.ends_with(".part")),
        "the temporary name is never queued"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_there_before_start_and_added_while_stopped_are_found() {
    let mut t = TestEngine::start(fast_ingest()).await;
    let first = t.folder.join("before.jpg");
    std::fs::write(&first, b"first photo").expect("write");
    t.wait_for("the first file", is_planned(&first)).await;

    t.engine.stop(Duration::from_secs(30)).await.expect("stops");
    let second = t.folder.join("sub/while-stopped.jpg");
    std::fs::create_dir_all(second.parent().expect("parent")).expect("mkdir");
    std::fs::write(&second, b"second photo").expect("write");
    t.restart(fast_ingest()).await;

    t.wait_for("the file added while stopped", is_planned(&second))
        .await;
    let later = t.drain(Duration::from_secs(2)).await;
    assert!(
        later.iter().all(|e| e.path != first.display().to_string()),
        "the unchanged file is not processed again: {later:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_inputs_each_get_a_defined_outcome() {
    let mut t = TestEngine::start(fast_ingest()).await;

    // 0 bytes: reported as empty, not queued for ever.
    let empty = t.folder.join("empty.jpg");
    std::fs::write(&empty, b"").expect("write");
    let failed = t
        .wait_for("the empty file's outcome", |e| {
            e.path.ends_with("empty.jpg") && matches!(e.phase, FilePhase::Failed { .. })
        })
        .await;
    let FilePhase::Failed { code, message } = &failed.phase else {
        unreachable!()
    };
    assert_eq!(*code, FailureCode::IngestEmptyFile);
    assert!(message.contains("0 bytes"), "{message}");

    // NFD, spaces and URL-special characters; a name of 250 bytes.
    let nfd = t.folder.join("Cafe\u{301} #1 & 50%+?.jpg");
    std::fs::write(&nfd, b"unicode").expect("write");
    let planned = t.wait_for("the unicode name", is_planned(&nfd)).await;
    assert!(
        planned_key(&planned).ends_with("/Caf\u{e9} #1 & 50%+?.jpg"),
        "NFC in the key: {planned:?}"
    );

    let long = t.folder.join(format!("{}.jpg", "é".repeat(123)));
    std::fs::write(&long, b"long").expect("write");
    let planned = t.wait_for("the long name", is_planned(&long)).await;
    assert!(planned_key(&planned).len() < 1024, "keys fit S3's limit");

    // A symlink loop in the folder: no crash, nothing followed.
    #[cfg(unix)]
    std::os::unix::fs::symlink(&t.folder, t.folder.join("loop")).expect("symlink");
    t.engine.rescan().await.expect("rescan");
    let same = t.folder.join("same-content.jpg");
    std::fs::write(&same, b"unicode").expect("write");
    let skipped = t
        .wait_for("the duplicate", |e| {
            e.path.ends_with("same-content.jpg") && matches!(e.phase, FilePhase::Skipped { .. })
        })
        .await;
    assert!(
        matches!(
            skipped.phase,
            FilePhase::Skipped {
                reason: SkipReason::Duplicate,
                ..
            }
        ),
        "the same bytes under another name are not uploaded twice: {skipped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_deleted_while_queued_leaves_the_queue() {
    let mut ingest = fast_ingest();
    ingest.settle.base_ms = 5_000; // long enough to delete it while it settles
    let mut t = TestEngine::start(ingest).await;
    let fleeting = t.folder.join("fleeting.jpg");
    std::fs::write(&fleeting, b"here and gone").expect("write");
    t.wait_for("the file to be queued", |e| {
        e.path.ends_with("fleeting.jpg") && e.phase == FilePhase::Settling
    })
    .await;
    std::fs::remove_file(&fleeting).expect("rm");
    t.wait_for("the deleted file to leave the queue", |e| {
        e.path.ends_with("fleeting.jpg") && e.phase == FilePhase::Vanished
    })
    .await;
    let counts = t.engine.counts().await.expect("counts");
    assert_eq!(counts.total(), 0, "nothing is left of it in the catalog");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_changed_inside_its_window_is_hashed_once_in_its_final_form() {
    // The pipeline looks at a settling file when its window ends (a timer, not a tick): a
    // change inside the window must still restart it, so the first version is never read.
    let mut ingest = fast_ingest();
    ingest.settle.base_ms = 5_000; // the change lands well inside the window
    let mut t = TestEngine::start(ingest).await;
    let path = t.folder.join("retouched.jpg");
    let shown = path.display().to_string();
    std::fs::write(&path, b"the first version").expect("write");
    t.wait_for("the file to start settling", |e| {
        e.path == shown && e.phase == FilePhase::Settling
    })
    .await;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open for append");
    file.write_all(b", and the rest of it").expect("append");
    drop(file);

    // Every step of the file until it is planned, then whatever follows within a second.
    let mut phases = Vec::new();
    let planned = t
        .wait_for("the final version to be planned", |e| {
            if e.path == shown {
                phases.push(e.phase.clone());
            }
            e.path == shown && matches!(e.phase, FilePhase::Planned { .. })
        })
        .await;
    phases.extend(
        t.drain(Duration::from_secs(1))
            .await
            .into_iter()
            .filter(|e| e.path == shown)
            .map(|e| e.phase),
    );
    let hashed = phases
        .iter()
        .filter(|p| matches!(p, FilePhase::Hashing))
        .count();
    assert_eq!(
        hashed, 1,
        "read once, after the change, never in its first version: {phases:?}"
    );
    let settling_again = phases.iter().position(|p| *p == FilePhase::Settling);
    let hashing = phases.iter().position(|p| *p == FilePhase::Hashing);
    assert!(
        matches!((settling_again, hashing), (Some(s), Some(h)) if s < h),
        "the change sent it back to settling before it was read: {phases:?}"
    );
    assert_eq!(
        record_of(&t, &planned).await.sha256.map(|s| s.to_hex()),
        Some(hex::encode(Sha256::digest(
            b"the first version, and the rest of it"
        ))),
        "the hash is of the final version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settle_window_carries_on_across_restarts_more_frequent_than_it() {
    // A 4 s window and an engine restarted every 1.5 s: if each start began the window
    // again, the file would never be ready (issue #19).
    let mut ingest = fast_ingest();
    ingest.settle.base_ms = 4_000;
    let restart_every = Duration::from_millis(1_500);
    let mut t = TestEngine::start(ingest.clone()).await;
    let path = t.folder.join("big.CR3");
    std::fs::write(&path, vec![5u8; 1024 * 1024]).expect("write");
    t.wait_for("the file to be catalogued", |e| {
        e.path == path.display().to_string() && matches!(e.phase, FilePhase::Discovered)
    })
    .await;
    let mut restarts = 0;
    loop {
        let planned =
            tokio::time::timeout(restart_every, t.wait_for("planned", is_planned(&path))).await;
        if planned.is_ok() {
            break;
        }
        assert!(
            restarts < 20,
            "restarted {restarts} times, never planned: the window starts again at each start"
        );
        t.restart(ingest.clone()).await;
        restarts += 1;
    }
    assert!(restarts >= 1, "the test restarted the engine at least once");
}
