//! Refused credentials through the whole engine: S3 (a fault proxy in front of Garage) answers
//! `ExpiredToken` / `InvalidToken` to a `PutObject`, an `UploadPart` and a
//! `CompleteMultipartUpload`; the uploader must load fresh credentials from the provider and
//! retry, and every file ends verified in the bucket, none ever failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials};
use lightbox_tests::fault_proxy::{Fault, FaultKind, FaultProxy, RequestMatcher, S3Operation};
use lightbox_tests::stack;
use lightbox_types::FileState;
use sync_core::config::UploadConfig;
use sync_core::engine::{EngineEvent, FileEvent, FilePhase, UploadTarget};
use sync_core::upload::S3Transfer;
use tokio::sync::broadcast::error::TryRecvError;

use crate::support::{MIB, PATIENCE, TestEngine, fast_ingest, write_photo};

/// Garage's key, handed out afresh on every call, counted. The credentials say they are good
/// for a day, so nothing but a refusal makes a cache ask again.
#[derive(Debug)]
struct CountingProvider {
    key: String,
    secret: String,
    calls: Arc<AtomicUsize>,
}

impl ProvideCredentials for CountingProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let expiry = SystemTime::now() + Duration::from_secs(24 * 3600);
        provider::future::ProvideCredentials::ready(Ok(Credentials::new(
            &self.key,
            &self.secret,
            None,
            Some(expiry),
            "counting-test-provider",
        )))
    }
}

/// An upload target through `proxy` to Garage's `bucket`, with credentials from a
/// [`CountingProvider`] (its call count is returned).
fn target_via(proxy: &FaultProxy, bucket: &str) -> (UploadTarget, Arc<AtomicUsize>) {
    let stack = stack();
    let calls = Arc::new(AtomicUsize::new(0));
    let g = &stack.info.garage;
    let client = aws_sdk_s3::Client::from_conf(
        stack
            .garage_s3_config_via(&proxy.endpoint())
            .credentials_provider(CountingProvider {
                key: g.access_key_id.clone(),
                secret: g.secret_access_key.clone(),
                calls: Arc::clone(&calls),
            })
            .build(),
    );
    let transfer = S3Transfer::new(&client, bucket);
    let target = UploadTarget {
        config: UploadConfig {
            multipart_threshold_mib: 32,
            part_size_mib: Some(8),
            ..UploadConfig::default()
        },
        ..UploadTarget::new(transfer, "token-test", "test-host")
    };
    (target, calls)
}

/// Wait until `done` files are `Done`; the `Failed` events seen meanwhile.
async fn failures_until_done(t: &mut TestEngine, done: u64) -> Vec<String> {
    let started = Instant::now();
    let mut failures = Vec::new();
    loop {
        loop {
            match t.events.try_recv() {
                Ok(EngineEvent::File(FileEvent {
                    path,
                    phase: FilePhase::Failed { code, message },
                    ..
                })) => failures.push(format!("{path}: {code}: {message}")),
                Ok(_) | Err(TryRecvError::Lagged(_)) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        let counts = t.engine.counts().await.expect("counts");
        if counts.get(FileState::Done) == done {
            return failures;
        }
        assert!(
            started.elapsed() < 3 * PATIENCE,
            "{done} files should be done: {counts:?}; failures: {failures:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_refreshed_and_retried_never_a_failed_file() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("expired-token").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    let (target, calls) = target_via(&proxy, &bucket);
    let credentials = Arc::clone(target.transfer.credentials());
    // Matched by file name, so the uploader's start-up probe (its own PUTs) is left alone.
    let refusals = [
        (S3Operation::PutObject, "IMG_1.jpg", Fault::ExpiredToken),
        (S3Operation::UploadPart, "RAW_2.cr3", Fault::InvalidToken),
        (
            S3Operation::CompleteMultipartUpload,
            "RAW_2.cr3",
            Fault::ExpiredToken,
        ),
    ];
    for (operation, name, fault) in refusals {
        proxy.inject(
            RequestMatcher::any()
                .operation(operation)
                .target_contains(name),
            fault,
        );
    }
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;

    let small = write_photo(&t.folder, "IMG_1.jpg", 300 * 1024, 71);
    let large = write_photo(&t.folder, "RAW_2.cr3", 33 * MIB + 5, 72);

    let failures = failures_until_done(&mut t, 2).await;
    t.engine.stop(PATIENCE).await.expect("stops");
    let stats = proxy.stats();
    let queued = proxy.queued_faults();
    proxy.shutdown().await;

    assert_eq!(
        failures,
        Vec::<String>::new(),
        "a refused token is refreshed and retried at once, never recorded as a failed file"
    );
    assert_eq!(
        (
            stats.faults_of(FaultKind::ExpiredToken),
            stats.faults_of(FaultKind::InvalidToken),
            queued
        ),
        (2, 1, 0),
        "all three refusals were served"
    );
    assert_eq!(
        credentials.refreshes(),
        3,
        "each refusal asked the transfer's credential cache for a refresh"
    );
    let loads = calls.load(Ordering::SeqCst);
    assert!(
        loads >= 2 && credentials.loads() >= 2,
        "the provider was asked again after a refusal (day-long credentials are otherwise \
         loaded once): provider calls {loads}, cache loads {}",
        credentials.loads()
    );

    let direct = stack.garage_s3();
    for photo in [&small, &large] {
        let mut found = None;
        let mut pages = direct
            .list_objects_v2()
            .bucket(&bucket)
            .prefix("originals/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page.expect("list").contents() {
                if o.key()
                    .is_some_and(|k| k.ends_with(&format!("/{}", photo.name)))
                {
                    found = o.key().map(str::to_owned);
                }
            }
        }
        let key = found.unwrap_or_else(|| panic!("{} is in the bucket", photo.name));
        let head = direct
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .expect("head");
        assert_eq!(
            (
                head.content_length(),
                head.metadata().and_then(|m| m.get("sha256")).cloned()
            ),
            (i64::try_from(photo.size).ok(), Some(photo.sha256.clone())),
            "{key} holds the file (size and sha256 metadata)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_still_refused_after_their_refreshes_leave_the_file_waiting_not_failed() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("refused-token").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    let (target, _calls) = target_via(&proxy, &bucket);
    // One refusal more than the retry policy refreshes for (2): the job gives up on them.
    for _ in 0..3 {
        proxy.inject(
            RequestMatcher::any()
                .operation(S3Operation::PutObject)
                .target_contains("IMG_3.jpg"),
            Fault::ExpiredToken,
        );
    }
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;

    write_photo(&t.folder, "IMG_3.jpg", 200 * 1024, 73);
    let failures = failures_until_done(&mut t, 1).await;
    t.engine.stop(PATIENCE).await.expect("stops");
    let stats = proxy.stats();
    proxy.shutdown().await;

    assert_eq!(
        failures,
        Vec::<String>::new(),
        "refused past the refreshes, the file waits and is tried again; it is never failed"
    );
    assert_eq!(
        stats.faults_of(FaultKind::ExpiredToken),
        3,
        "every refusal was served before the upload went through"
    );
}
