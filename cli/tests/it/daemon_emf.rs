//! The daemon's CloudWatch EMF lines (`[daemon] emf = true`) after a real run against the
//! local stack (behind the fault proxy, which fails two uploads once so that retries are
//! counted): each line is a document the EMF specification accepts, and the counters summed
//! over every line equal `/metrics` at the end.
//!
//! The rules checked are those of the specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! the root is one JSON object with nothing before or after it; `_aws` holds `Timestamp`
//! (milliseconds since the epoch) and `CloudWatchMetrics`, an array of metric directives; a
//! directive has a `Namespace`, `Dimensions` (an array of dimension sets, each at most 30
//! names, each name a root member with a string value) and `Metrics` (at most 100 metric
//! definitions: `Name`, which must be a root member holding a number or an array of at most
//! 100 numbers, an optional `Unit` from CloudWatch's list and an optional
//! `StorageResolution` of 1 or 60); the objects the specification defines have no other
//! members.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lightbox_tests::fault_proxy::{Fault, FaultProxy, RequestMatcher, S3Operation};
use lightbox_tests::stack;

use crate::support::{Daemon, http_get, write_photo};

/// CloudWatch's units (`MetricDatum.Unit`), the only ones EMF accepts.
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

fn only_members(object: &serde_json::Value, allowed: &[&str], what: &str) {
    let object = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object"));
    for key in object.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what} has no member `{key}` beyond the specification's {allowed:?}"
        );
    }
}

/// One EMF line checked against the specification; returns, for each metric it defines,
/// (name, the value of its non-station dimension if any, value).
fn check_emf_line(line: &str, now_ms: i64) -> Vec<(String, Option<String>, f64)> {
    let root: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
        panic!("an EMF line is one JSON object and nothing else ({e}): {line}")
    });
    let aws = &root["_aws"];
    only_members(aws, &["Timestamp", "CloudWatchMetrics"], "_aws");
    let timestamp = aws["Timestamp"]
        .as_i64()
        .unwrap_or_else(|| panic!("_aws.Timestamp is an integer: {line}"));
    assert!(
        (now_ms - 3_600_000..=now_ms + 60_000).contains(&timestamp),
        "_aws.Timestamp is milliseconds since the epoch, of this run: {timestamp} vs now {now_ms}"
    );
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .unwrap_or_else(|| panic!("_aws.CloudWatchMetrics is an array: {line}"));
    assert!(!directives.is_empty(), "at least one directive: {line}");
    let mut out = Vec::new();
    for directive in directives {
        only_members(
            directive,
            &["Namespace", "Dimensions", "Metrics"],
            "a metric directive",
        );
        let namespace = directive["Namespace"]
            .as_str()
            .expect("Namespace is a string");
        assert!((1..=1024).contains(&namespace.len()), "{line}");
        assert_eq!(namespace, "Lightbox", "the contract's namespace");
        let sets = directive["Dimensions"]
            .as_array()
            .unwrap_or_else(|| panic!("Dimensions is an array: {line}"));
        let mut label = None;
        for set in sets {
            let set = set.as_array().expect("a dimension set is an array");
            assert!(set.len() <= 30, "at most 30 dimensions in a set: {line}");
            for name in set {
                let name = name.as_str().expect("a dimension is named by a string");
                let value = root[name].as_str().unwrap_or_else(|| {
                    panic!("dimension `{name}` is a root member with a string value: {line}")
                });
                assert!((1..=1024).contains(&value.len()), "{line}");
                if name != "station" {
                    label = Some(value.to_owned());
                }
            }
        }
        assert!(
            sets.iter().any(|s| s
                .as_array()
                .is_some_and(|s| s.iter().any(|d| d == "station"))),
            "every metric has the station: {line}"
        );
        let metrics = directive["Metrics"]
            .as_array()
            .unwrap_or_else(|| panic!("Metrics is an array: {line}"));
        assert!((1..=100).contains(&metrics.len()), "{line}");
        for metric in metrics {
            only_members(
                metric,
                &["Name", "Unit", "StorageResolution"],
                "a metric definition",
            );
            let name = metric["Name"].as_str().expect("Name is a string");
            assert!((1..=1024).contains(&name.len()), "{line}");
            let unit = metric["Unit"].as_str().expect("each metric has its unit");
            assert!(UNITS.contains(&unit), "{unit} is a CloudWatch unit");
            let resolution = &metric["StorageResolution"];
            assert!(
                resolution.is_null() || resolution == 1 || resolution == 60,
                "{line}"
            );
            let value = root[name].as_f64().unwrap_or_else(|| {
                panic!("metric `{name}` is a root member with a number value: {line}")
            });
            out.push((name.to_owned(), label.clone(), value));
        }
    }
    out
}

/// `/metrics` samples of the EMF counters: (name, its label's value, value).
fn scraped_counters(text: &str) -> BTreeMap<(String, Option<String>), f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, label) = match series.split_once('{') {
                Some((name, rest)) => {
                    let value = rest.split_once('"')?.1.split_once('"')?.0;
                    (name, Some(value.to_owned()))
                }
                None => (series, None),
            };
            let emf_counter = [
                "lightbox_uploaded_files_total",
                "lightbox_uploaded_bytes_total",
                "lightbox_failed_files_total",
                "lightbox_retries_total",
                "lightbox_folder_unavailable_events_total",
            ]
            .contains(&name);
            Some(((name.to_owned(), label), value.parse().ok()?)).filter(|_| emf_counter)
        })
        .collect()
}

#[test]
fn the_emf_lines_follow_the_specification_and_their_counters_sum_to_metrics() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    // The runtime outlives the test body: the fault proxy's tasks run on it.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let bucket = runtime.block_on(stack().fresh_garage_bucket("ops-emf"));
    // Two first uploads answered with a throttle and a server error: retried, so the EMF
    // lines carry labelled counters (retries by class) with their rollup.
    let proxy = runtime
        .block_on(FaultProxy::start(&stack().info.garage.endpoint))
        .expect("the fault proxy starts");
    // The photos' PUTs, not the guard's probe (under originals/.lightbox/).
    let put = RequestMatcher::any()
        .operation(S3Operation::PutObject)
        .target_contains("/IMG_");
    proxy.inject(put.clone(), Fault::SlowDown503);
    proxy.inject(put, Fault::ServerError500);
    let mut daemon = Daemon::new()
        .with_env("LIGHTBOX_DAEMON__LISTEN", &addr)
        .with_env("LIGHTBOX_STORAGE__ENDPOINT", &proxy.endpoint())
        .with_env("LIGHTBOX_DAEMON__EMF", "true")
        .with_env("LIGHTBOX_DAEMON__EMF_INTERVAL_SECS", "1")
        .with_env("LIGHTBOX_PREVIEWS__ENABLED", "false")
        .with_env("LIGHTBOX_STORAGE__BUCKET", &bucket);
    daemon.start(&[]);
    // Two batches, with rounds of lines between them: the counters' increases spread over
    // several lines.
    let mut bytes = 0;
    let mut metrics = String::new();
    for (batch, seeds) in [(1_u64, 0..2_u64), (2, 2..4)] {
        for i in seeds {
            bytes += write_photo(
                &daemon.camera(),
                &format!("IMG_{i:04}.JPG"),
                300_000 + i,
                40 + i,
            )
            .size;
        }
        let rounds_before = daemon
            .stdout()
            .matches("lightbox_uptime_seconds\":")
            .count();
        let done = format!("lightbox_queue_files{{state=\"done\"}} {}", 2 * batch);
        let deadline = Instant::now() + Duration::from_secs(120);
        metrics = loop {
            let metrics = http_get(&addr, "/metrics").unwrap_or_default();
            let rounds = daemon
                .stdout()
                .matches("lightbox_uptime_seconds\":")
                .count();
            if metrics.lines().any(|l| l == done) && rounds >= rounds_before + 2 {
                break metrics;
            }
            assert!(
                Instant::now() < deadline,
                "batch {batch} was never done, or no EMF round followed:\n{metrics}\n{}",
                daemon.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
    }
    assert!(
        metrics.contains("lightbox_oldest_waiting_file_age_seconds 0"),
        "nothing waits once every file is done: {metrics}"
    );
    daemon.kill("-TERM");

    let stdout = daemon.stdout();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let mut sums: BTreeMap<(String, Option<String>), f64> = BTreeMap::new();
    let mut uptimes = Vec::new();
    let mut last_done = None;
    for line in stdout.lines() {
        for (name, label, value) in check_emf_line(line, now_ms) {
            match name.as_str() {
                "lightbox_uptime_seconds" => uptimes.push(value),
                "lightbox_queue_files" if label.as_deref() == Some("done") => {
                    last_done = Some(value);
                }
                _ if name.ends_with("_total") => {
                    *sums.entry((name, label)).or_default() += value;
                }
                _ => {}
            }
        }
    }
    assert!(
        uptimes.len() >= 2,
        "a heartbeat every round and one at shutdown:\n{stdout}"
    );
    assert!(
        uptimes.windows(2).all(|w| w[0] <= w[1]),
        "the uptime only grows: {uptimes:?}"
    );
    assert_eq!(
        last_done,
        Some(4.0),
        "the queue by state, as the engine left it:\n{stdout}"
    );
    for class in ["throttled", "temporary"] {
        assert_eq!(
            sums.get(&("lightbox_retries_total".to_owned(), Some(class.to_owned()))),
            Some(&1.0),
            "the injected fault is one retry of class {class}, in a document of its own:\n{stdout}"
        );
    }
    let scraped = scraped_counters(&metrics);
    assert_eq!(
        scraped.get(&("lightbox_uploaded_bytes_total".to_owned(), None)),
        Some(&(bytes as f64)),
        "/metrics counted the photos' bytes: {metrics}"
    );
    // A labelled counter is written only for label values that increased: /metrics' zeros
    // are not in the EMF lines.
    let expected: BTreeMap<_, _> = scraped
        .into_iter()
        .filter(|((_, label), value)| label.is_none() || *value > 0.0)
        .collect();
    assert_eq!(
        sums, expected,
        "every EMF counter summed over the lines equals its /metrics total\n{stdout}"
    );
}
