//! Folders that come and go (camera cards, mounts), with the real watcher, against Garage: a
//! folder removed and made again, or moved away and back, is watched again at once (not at the
//! periodic rescan) and shows offline while it is gone (issue #19).

use std::path::Path;
use std::time::{Duration, Instant};

use lightbox_tests::stack;
use sync_core::catalog::{Catalog, FolderState, RelPath};
use sync_core::config::IngestConfig;
use sync_core::engine::{FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;

use crate::support::{PATIENCE, TestEngine, fast_ingest, get_object_bytes, write_photo};

/// Long, so that only the watcher and the presence look can explain an upload in time.
const RESCAN: Duration = Duration::from_secs(300);

fn slow_rescan() -> IngestConfig {
    let mut ingest = fast_ingest();
    ingest.rescan_interval_secs = RESCAN.as_secs();
    ingest
}

async fn engine_on_garage(name: &str) -> (TestEngine, aws_sdk_s3::Client, String) {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket(name).await;
    let client = stack.garage_s3();
    let target = UploadTarget::new(S3Transfer::new(&client, &bucket), "test", "host");
    let t = TestEngine::start_with(slow_rescan(), Some(target)).await;
    (t, client, bucket)
}

/// The watched folder's state as the catalog has it.
async fn folder_state(t: &TestEngine) -> Option<FolderState> {
    let folders = t
        .engine
        .catalog()
        .read(Catalog::list_folders)
        .await
        .expect("folders");
    folders[0].presence.as_ref().map(|p| p.state)
}

/// The catalog's row of `name` in the watched folder.
async fn file_row(t: &TestEngine, name: &str) -> Option<sync_core::catalog::FileRecord> {
    let folder = t
        .engine
        .catalog()
        .read(Catalog::list_folders)
        .await
        .expect("folders")[0]
        .id;
    let rel = RelPath::from_path(Path::new(name)).expect("valid");
    t.engine
        .catalog()
        .read(move |c| c.file_by_path(folder, &rel))
        .await
        .expect("read")
}

async fn wait_for_state(t: &TestEngine, want: FolderState) {
    let deadline = Instant::now() + PATIENCE;
    while folder_state(t).await != Some(want) {
        assert!(
            Instant::now() < deadline,
            "the folder never became {}",
            want.as_str()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Write `name` into `dir` (`seed`: odd and distinct, so that each photo's content is its own)
/// and wait until it is verified in the bucket; returns its key.
async fn photo_reaches_the_bucket(
    t: &mut TestEngine,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    dir: &Path,
    name: &str,
    seed: u64,
) -> String {
    let started = Instant::now();
    let photo = write_photo(dir, name, 200_000, seed);
    let path = t.folder.join(name).display().to_string();
    let uploaded = t
        .wait_for(&format!("{name} to be uploaded"), |e| {
            e.path == path && matches!(e.phase, FilePhase::Uploaded { .. })
        })
        .await;
    assert!(
        started.elapsed() < RESCAN,
        "uploaded through the watcher, before the periodic rescan could have run"
    );
    let FilePhase::Uploaded { key, .. } = uploaded.phase else {
        unreachable!()
    };
    let bytes = get_object_bytes(client, bucket, &key).await;
    assert_eq!(bytes.len() as u64, photo.size, "{key} holds the photo");
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_removed_and_made_again_is_watched_again_and_shows_offline_while_gone() {
    let (mut t, client, bucket) = engine_on_garage("rm-mkdir").await;
    let folder = t.folder.clone();
    photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "before.jpg", 101).await;
    assert_eq!(folder_state(&t).await, Some(FolderState::Online));

    std::fs::remove_dir_all(&folder).expect("rm -rf");
    wait_for_state(&t, FolderState::Offline).await;
    let presence = t
        .engine
        .catalog()
        .read(Catalog::list_folders)
        .await
        .expect("folders")[0]
        .presence
        .clone()
        .expect("looked at");
    assert!(
        presence
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("gone")),
        "offline with its reason: {presence:?}"
    );

    std::fs::create_dir(&folder).expect("mkdir");
    wait_for_state(&t, FolderState::Online).await;
    photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "after-1.jpg", 203).await;
    photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "after-2.jpg", 305).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_moved_away_is_not_watched_there_and_is_watched_again_when_back() {
    let (mut t, client, bucket) = engine_on_garage("mv-away").await;
    let folder = t.folder.clone();
    let away = folder.with_file_name("camera.away");
    photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "before.jpg", 407).await;

    std::fs::rename(&folder, &away).expect("mv away");
    wait_for_state(&t, FolderState::Offline).await;
    // Written to the moved directory: not watched there any more, so not catalogued.
    write_photo(&away, "while-away.jpg", 100_000, 509);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let row = file_row(&t, "while-away.jpg").await;
    assert!(row.is_none(), "the moved directory is not watched: {row:?}");
    let kept = file_row(&t, "before.jpg").await;
    assert!(kept.is_some(), "offline is not deleted: the row is kept");

    std::fs::rename(&away, &folder).expect("mv back");
    wait_for_state(&t, FolderState::Online).await;
    // The photo written while away is found by the scan when the folder is back.
    let path = folder.join("while-away.jpg").display().to_string();
    t.wait_for("the photo written while away to be uploaded", |e| {
        e.path == path && matches!(e.phase, FilePhase::Uploaded { .. })
    })
    .await;
    photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "after.jpg", 611).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_already_in_the_bucket_is_done_as_a_duplicate_with_its_key_not_skipped() {
    let (mut t, client, bucket) = engine_on_garage("already-uploaded").await;
    let folder = t.folder.clone();
    let key = photo_reaches_the_bucket(&mut t, &client, &bucket, &folder, "IMG_1.jpg", 713).await;

    // The same photo again, as a re-inserted card brings it back under another name.
    write_photo(&folder, "IMG_1 copy.jpg", 200_000, 713);
    let path = folder.join("IMG_1 copy.jpg").display().to_string();
    let done = t
        .wait_for("the copy's outcome", |e| {
            e.path == path
                && matches!(
                    e.phase,
                    FilePhase::Done { .. } | FilePhase::Skipped { .. } | FilePhase::Failed { .. }
                )
        })
        .await;
    assert_eq!(
        done.phase,
        FilePhase::Done {
            key: Some(key.clone()),
            previews: false,
            duplicate: true,
        },
        "done at the key that holds it (a random-bytes photo has no previews)"
    );
    let row = file_row(&t, "IMG_1 copy.jpg").await.expect("catalogued");
    assert_eq!(
        row.state,
        lightbox_types::FileState::Done,
        "done, not skipped"
    );
    assert_eq!(row.duplicate_of.as_deref(), Some(key.as_str()));
    assert_eq!(row.skip_reason, None);
    let counts = t
        .engine
        .catalog()
        .read(Catalog::counts_by_state)
        .await
        .expect("counts");
    assert_eq!(
        counts.get(lightbox_types::FileState::Skipped),
        0,
        "{counts:?}"
    );
}
