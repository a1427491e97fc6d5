//! Network faults: `lightbox run` uploads through the fault proxy, which injects every kind of
//! fault S3 traffic meets (resets before and during the reply, stalls that continue or reset,
//! 500 InternalError, 503 SlowDown, 400 ExpiredToken, 403 RequestTimeTooSkewed, truncated
//! replies) at random into any request, until its budget is spent; batches of new files keep
//! arriving until then. Then the same end-state check as the crash points.

use std::collections::BTreeMap;
use std::time::Duration;

use lightbox_tests::fault_proxy::{Fault, FaultPlan, RandomFaults};

use super::daemon::{http_get, metric};
use super::{EndState, Form, Rig, Source, content_rng, seed, write_figures, write_source};
use crate::support::MIB;

const KIB: u64 = 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_network_faults_lose_and_duplicate_nothing() {
    let form = Form::from_env();
    let (budget, batch_small, medium_every) = match form {
        Form::Long => (1_000_u64, 40, 2),
        Form::Short => (100, 25, 2),
    };
    let seed = seed("reliability_network_faults");
    let mut content = content_rng(seed);
    let Rig {
        bucket,
        proxy,
        mut daemon,
        camera,
        jpeg_head,
        dir,
    } = Rig::new("net-faults").await;
    let metrics_addr = daemon.serve_metrics();

    let offset = daemon.start();
    daemon.wait_for_line(offset, "lightbox is running");
    // About one request in five meets a fault; the start-up HeadBucket is already past.
    proxy.set_plan(
        FaultPlan::pass_through().with_random(
            RandomFaults::new(seed)
                .with(Fault::ResetBeforeResponse, 0.025)
                .with(Fault::ResetMidResponse, 0.025)
                .with(Fault::stall(Duration::from_millis(400)), 0.02)
                .with(Fault::stall_then_reset(Duration::from_millis(300)), 0.02)
                .with(Fault::ServerError500, 0.025)
                .with(Fault::SlowDown503, 0.025)
                .with(Fault::ExpiredToken, 0.02)
                .with(Fault::RequestTimeTooSkewed, 0.02)
                .with(Fault::TruncatedResponse, 0.02)
                .at_most(budget),
        ),
    );

    // Batches of new files until the budget is spent: small JPEGs (PUT and two preview PUTs
    // each) and, every other batch, one 20 MiB file (3 parts).
    let mut sources: Vec<Source> = Vec::new();
    let mut batch = 0;
    while proxy.random_faults_remaining() > 0 {
        for i in 0..batch_small {
            let size = 64 * KIB + u64::try_from(i).expect("small") * KIB;
            sources.push(write_source(
                &camera,
                &format!("b{batch:03}-{i:02}.jpg"),
                &jpeg_head,
                size,
                &mut content,
            ));
        }
        if batch % medium_every == 0 {
            sources.push(write_source(
                &camera,
                &format!("b{batch:03}-mp.jpg"),
                &jpeg_head,
                20 * MIB,
                &mut content,
            ));
        }
        batch += 1;
        let files = u64::try_from(sources.len()).expect("small");
        // Let this batch finish before the next one, so requests keep coming at a steady pace.
        let seen = daemon.poll(Duration::from_secs(300), |d| {
            let states = d.states();
            let done = states
                .get("done")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0)
                + states
                    .get("skipped")
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0);
            std::thread::sleep(Duration::from_millis(200));
            (done == files || proxy.random_faults_remaining() == 0).then_some(())
        });
        assert!(
            seen.is_some(),
            "batch {batch} did not finish:\n{}",
            daemon.log_tail(60)
        );
        assert!(
            batch < 200,
            "the fault budget should be spent long before 200 batches"
        );
    }
    let stats = proxy.stats();
    proxy.set_plan(FaultPlan::pass_through());
    let files = u64::try_from(sources.len()).expect("small");
    daemon.wait_all_finished(files);
    let metrics = http_get(metrics_addr, "/metrics").expect("the daemon serves /metrics");
    let retries: BTreeMap<&str, u64> = [
        "temporary",
        "throttled",
        "refresh_credentials",
        "clock_skew",
    ]
    .into_iter()
    .map(|class| {
        (
            class,
            metric(
                &metrics,
                &format!("lightbox_retries_total{{class=\"{class}\"}}"),
            ),
        )
    })
    .collect();
    daemon.terminate();

    let end = EndState::check(&bucket, &daemon.catalog(), &sources, dir.path());
    let faults: BTreeMap<String, u64> = stats
        .faults
        .iter()
        .map(|(kind, n)| (format!("{kind:?}"), *n))
        .collect();
    let log = daemon.log_since(0);
    let file_failures = log.lines().filter(|l| l.contains("failed:")).count();
    write_figures(
        "network_faults",
        &end.figures(
            &sources,
            serde_json::json!({
                "seed": seed,
                "faults_injected": stats.faults_total(),
                "faults_by_kind": faults,
                "requests": stats.requests,
                "file_attempts_failed_and_retried": file_failures,
                "retries_by_class": retries,
            }),
        ),
    );
    end.assert_clean(&format!(
        "seed {seed}; faults {faults:?}\n{}",
        daemon.log_tail(40)
    ));
    assert!(
        retries.values().all(|n| *n > 0),
        "/metrics counts the retries of every class the faults cause (500 and resets: \
         temporary, 503: throttled, ExpiredToken: refresh_credentials, RequestTimeTooSkewed: \
         clock_skew): {retries:?}"
    );
    assert_eq!(
        stats.faults_total(),
        budget,
        "the whole fault budget was injected (seed {seed})"
    );
    proxy.shutdown().await;
}
