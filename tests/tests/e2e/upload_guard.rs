//! The overwrite-guard probe against the real servers: Garage 2.5 ignores `If-None-Match`
//! (HEAD before every write), moto honours it like AWS (the conditional write alone), and an
//! engine with `overwrite_guard = "auto"` on moto sends no HEAD before its PUT.

use lightbox_tests::fault_proxy::{FaultProxy, S3Operation};
use lightbox_tests::stack;
use sync_core::config::UploadConfig;
use sync_core::engine::{FilePhase, UploadTarget};
use sync_core::upload::{OverwriteGuard, S3Transfer};

use crate::support::{PATIENCE, TestEngine, fast_ingest, moto_bucket, write_photo};

#[tokio::test]
async fn the_probe_picks_head_first_on_garage_and_the_condition_alone_on_moto() {
    let stack = stack();
    let garage = S3Transfer::new(
        &stack.garage_s3(),
        stack.fresh_garage_bucket("guard-probe").await,
    )
    .with_overwrite_guard(OverwriteGuard::IfNoneMatch);
    assert_eq!(
        garage.probe_overwrite_guard().await,
        OverwriteGuard::HeadFirst,
        "Garage 2.5 overwrites despite If-None-Match: only a HEAD first protects objects"
    );
    assert_eq!(
        garage.probe_overwrite_guard().await,
        OverwriteGuard::HeadFirst,
        "probing again (the probe object now there) gives the same answer"
    );

    let client = stack.moto_s3();
    let bucket = moto_bucket(&client, "guard-probe").await;
    let moto = S3Transfer::new(&client, &bucket);
    assert_eq!(
        moto.probe_overwrite_guard().await,
        OverwriteGuard::IfNoneMatch,
        "moto answers 412 to the second conditional write, as AWS does"
    );
    assert_eq!(
        moto.probe_overwrite_guard().await,
        OverwriteGuard::IfNoneMatch,
        "probing again gives the same answer"
    );
    let listed = client
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.contents().len(),
        0,
        "the probe deletes its object where allowed, so the bucket holds only photos"
    );

    let unreachable = S3Transfer::new(&stack.garage_s3_via("http://127.0.0.1:9"), "no-such-bucket");
    assert_eq!(
        unreachable.probe_overwrite_guard().await,
        OverwriteGuard::HeadFirst,
        "a probe that fails keeps the safe guard"
    );
}

/// Through the engine: `auto` on moto (behind a counting proxy) uploads a small file with a
/// PUT and the verifying HEAD only; `head-first` would send a HEAD before the PUT as well.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_on_an_honouring_server_sends_no_head_before_its_put() {
    let stack = stack();
    let direct = stack.moto_s3();
    let bucket = moto_bucket(&direct, "guard-engine").await;
    let proxy = FaultProxy::start(&stack.info.moto.endpoint)
        .await
        .expect("the proxy starts");
    let client = stack.moto_s3_via(&proxy.endpoint());
    let transfer = S3Transfer::new(&client, &bucket);
    let guard = transfer.clone();
    let target = UploadTarget {
        config: UploadConfig::default(),
        ..UploadTarget::new(transfer, "guard-test", "test-host")
    };
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;
    let photo = write_photo(&t.folder, "IMG_7.jpg", 200 * 1024, 77);
    t.wait_for("the file uploaded", |e| {
        matches!(e.phase, FilePhase::Uploaded { .. })
    })
    .await;
    t.engine.stop(PATIENCE).await.expect("stops");
    let stats = proxy.stats();
    proxy.shutdown().await;

    assert_eq!(guard.overwrite_guard(), OverwriteGuard::IfNoneMatch);
    let to_photo = |op: S3Operation| {
        stats
            .log
            .iter()
            .filter(|r| r.request.operation == op && r.request.target.contains(&photo.name))
            .count()
    };
    assert_eq!(
        (
            to_photo(S3Operation::PutObject),
            to_photo(S3Operation::HeadObject)
        ),
        (1, 1),
        "one conditional PUT and one verifying HEAD for the file, no HEAD before the PUT"
    );
}
