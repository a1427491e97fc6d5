//! Previews are what make a row `done`, and they are caught up after a stop, against Garage.
//!
//! Two photos go up through a fault-injecting proxy that refuses every PUT under
//! `previews/` (500s, more than the retry policy's attempts), so both originals are verified
//! but their previews cannot be stored. The engine is stopped while that is so: both rows
//! must still be `uploaded` (not `done`), and `StateCounts` shows them apart from done rows.
//! One photo is then deleted from disk; the engine restarts straight on Garage. The start-up
//! catch-up makes the kept photo's previews and its row ends `done`; the deleted one is recorded
//! as `preview_source_missing` (by the previewer or by the scan that drops its row, whichever
//! comes first) and no row is left waiting.

use std::path::Path;
use std::time::Duration;

use lightbox_fixtures::jpeg;
use lightbox_tests::fault_proxy::{Fault, FaultProxy, RequestMatcher};
use lightbox_tests::stack;
use lightbox_types::object_keys::{PreviewKind, preview_key};
use lightbox_types::{FailureCode, FileState, StateCounts};
use sync_core::catalog::{Catalog, PreviewStatus};
use sync_core::engine::{FilePhase, UploadTarget};
use sync_core::preview::decode::decode_jpeg;
use sync_core::upload::S3Transfer;

use crate::support::{PATIENCE, TestEngine, fast_ingest, get_object_bytes};

/// More refusals than two photos' preview PUTs can use up before the stop (6 attempts each
/// for the first PUT of each photo, then the row waits for the next catch-up, a minute away).
const REFUSED_PREVIEW_PUTS: usize = 100;

fn drop_file(folder: &Path, name: &str, bytes: &[u8]) {
    let hidden = folder.join(format!(".{name}.tmp"));
    std::fs::write(&hidden, bytes).expect("the temp folder is writable");
    std::fs::rename(&hidden, folder.join(name)).expect("rename within one folder");
}

fn counts(state: &Path) -> StateCounts {
    Catalog::open(&state.join("catalog.sqlite"))
        .expect("a second reader opens the catalog")
        .counts_by_state()
        .expect("counted")
}

/// Poll until `want` holds for the catalog's counts; panics with them after [`PATIENCE`].
async fn wait_counts(state: &Path, what: &str, want: impl Fn(&StateCounts) -> bool) {
    let reached = tokio::time::timeout(PATIENCE, async {
        loop {
            if want(&counts(state)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "timed out waiting for {what}: {:?}",
        counts(state)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previews_missing_at_a_stop_are_made_after_the_restart_and_only_then_the_row_is_done() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("preview-catchup").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the pass-through proxy starts");
    for _ in 0..REFUSED_PREVIEW_PUTS {
        proxy.inject(
            RequestMatcher::any()
                .method("PUT")
                .target_contains("/previews/"),
            Fault::ServerError500,
        );
    }
    let via_proxy = stack.garage_s3_via(&proxy.endpoint());
    let direct = stack.garage_s3();
    let target = UploadTarget::new(S3Transfer::new(&via_proxy, &bucket), "test", "host");
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;

    drop_file(&t.folder, "kept.jpg", &jpeg(1200, 800, None));
    drop_file(&t.folder, "gone.jpg", &jpeg(600, 400, None));
    let mut keys = std::collections::HashMap::new();
    while keys.len() < 2 {
        let event = t
            .wait_for("both originals verified", |e| {
                matches!(e.phase, FilePhase::Uploaded { .. })
            })
            .await;
        if let FilePhase::Uploaded { key, .. } = event.phase {
            keys.insert(event.path, key);
        }
    }
    let kept_key = keys[&t.folder.join("kept.jpg").display().to_string()].clone();
    let gone_key = keys[&t.folder.join("gone.jpg").display().to_string()].clone();
    // The previewer has tried and been refused: its PUT failures are what keeps rows open.
    let tried = tokio::time::timeout(PATIENCE, async {
        while proxy.stats().faults_total() == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        tried.is_ok(),
        "the previewer never tried to store a preview"
    );
    t.engine.stop(PATIENCE).await.expect("stops");

    let stopped = counts(&t.state);
    assert_eq!(
        (
            stopped.get(FileState::Uploaded),
            stopped.get(FileState::Done)
        ),
        (2, 0),
        "originals verified but no preview could be stored: waiting for previews, not done \
         ({stopped:?})"
    );
    let catalog = Catalog::open(&t.state.join("catalog.sqlite")).expect("opens");
    assert_eq!(
        catalog.preview_status(&kept_key).expect("read"),
        None,
        "a refused preview upload is no outcome: it is tried again"
    );
    drop(catalog);

    std::fs::remove_file(t.folder.join("gone.jpg")).expect("delete one photo while stopped");
    t.upload = Some(UploadTarget::new(
        S3Transfer::new(&direct, &bucket),
        "test",
        "host",
    ));
    t.restart(fast_ingest()).await;
    wait_counts(
        &t.state,
        "no row waiting for previews after the restart",
        |c| c.get(FileState::Uploaded) == 0 && c.get(FileState::Done) >= 1,
    )
    .await;
    let restarted = counts(&t.state);
    assert_eq!(
        (restarted.get(FileState::Done), restarted.total()),
        (1, 1),
        "the kept photo is done; the deleted one's row went with its file ({restarted:?})"
    );

    let catalog = Catalog::open(&t.state.join("catalog.sqlite")).expect("opens");
    assert_eq!(
        catalog.preview_status(&kept_key).expect("read"),
        Some(PreviewStatus::Made),
        "the start-up catch-up made the kept photo's previews"
    );
    let gone_code = match catalog.preview_status(&gone_key).expect("read") {
        Some(PreviewStatus::None { code, .. }) => code,
        other => panic!("a deleted photo gets no preview, with a code: {other:?}"),
    };
    assert_eq!(
        gone_code,
        FailureCode::PreviewSourceMissing,
        "the local file was gone before its preview was made"
    );
    let thumb_key = preview_key(PreviewKind::Thumb, &kept_key).expect("an originals/ key");
    let thumb = decode_jpeg(
        &get_object_bytes(&direct, &bucket, &thumb_key).await,
        u32::MAX,
    )
    .expect("the thumb is a JPEG");
    assert_eq!(
        (thumb.width, thumb.height),
        (400, 267),
        "a 1200×800 photo gets a 400 px thumb"
    );
    let screen_key = preview_key(PreviewKind::Screen, &kept_key).expect("an originals/ key");
    let screen = get_object_bytes(&direct, &bucket, &screen_key).await;
    assert!(
        !screen.is_empty(),
        "the screen preview is in the bucket too"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
    proxy.shutdown().await;
}
