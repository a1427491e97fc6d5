//! The daemon against its metric contract, `infra/examples/server/metrics.json`, which the
//! alarms and dashboards are checked against (`infra/tests/test_server_metrics.py`): a
//! rename, a new or dropped metric, another unit or dimension set on either side fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use lightbox_types::{FailureCode, FileState, SkipReason};
use sync_core::catalog::FolderState;
use sync_core::engine::{EngineEvent, FileEvent, FilePhase, QueueDepth};
use sync_core::retry::RetryCounters;

use super::emf::{EMF_METRICS, NAMESPACE, STATION};
use super::{DaemonMetrics, Now};

fn contract() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/examples/server/metrics.json"
    );
    let text = std::fs::read_to_string(path).expect("infra/examples/server/metrics.json");
    serde_json::from_str(&text).expect("metrics.json is JSON")
}

fn contract_metrics() -> BTreeMap<String, serde_json::Value> {
    contract()["metrics"]
        .as_array()
        .expect("metrics is a list")
        .iter()
        .map(|m| (m["name"].as_str().expect("a name").to_owned(), m.clone()))
        .collect()
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// `/metrics` of a daemon that has seen one of everything (a failure, a skip, a retry of each
/// class, the queue), so that every labelled series has a sample.
fn scrape_after_one_of_everything() -> String {
    let metrics = DaemonMetrics::new(Instant::now());
    let now = Instant::now();
    for (id, phase) in [
        (
            1,
            FilePhase::Failed {
                code: FailureCode::UploadAccessDenied,
                message: String::new(),
            },
        ),
        (
            2,
            FilePhase::Skipped {
                reason: SkipReason::Duplicate,
                detail: String::new(),
            },
        ),
    ] {
        let event = EngineEvent::File(FileEvent {
            file: id,
            path: format!("/p/{id}.jpg"),
            phase,
        });
        metrics.observe(&event, now);
    }
    let retries: Vec<_> = RetryCounters::global()
        .snapshot()
        .iter()
        .map(|(class, _)| (*class, 1))
        .collect();
    let queue = QueueDepth {
        folders: FolderState::ALL.into_iter().map(|s| (s, 1)).collect(),
        ..QueueDepth::default()
    };
    metrics.render(Some(&queue), &retries, Now::read())
}

#[test]
fn the_prometheus_metrics_are_the_contracts_names_types_and_labels() {
    let text = scrape_after_one_of_everything();
    // Declared metrics (`# TYPE`), whether or not they have a sample yet: a counter's samples
    // carry `_total` (OpenMetrics), a histogram's `_bucket`, `_sum` and `_count`.
    let mut declared = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').expect("# TYPE name type");
            let name = if kind == "counter" {
                format!("{family}_total")
            } else {
                family.to_owned()
            };
            declared.insert(name, kind.to_owned());
        }
    }
    let contract = contract_metrics();
    let in_contract: BTreeMap<_, _> = contract
        .iter()
        .map(|(name, m)| (name.clone(), m["type"].as_str().expect("type").to_owned()))
        .collect();
    assert_eq!(
        declared, in_contract,
        "/metrics declares exactly metrics.json's metrics, with its types"
    );

    for (name, m) in &contract {
        if m["type"] == "histogram" {
            continue;
        }
        let labels: BTreeSet<String> = strings(&m["labels"]).into_iter().collect();
        let samples: Vec<&str> = text
            .lines()
            .filter(|l| l.split(['{', ' ']).next() == Some(name.as_str()))
            .collect();
        assert!(!samples.is_empty(), "{name} has a sample: {text}");
        let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for sample in samples {
            let keys: BTreeSet<String> = sample
                .split_once('{')
                .map(|(_, rest)| rest.split_once('}').expect("closing brace").0)
                .into_iter()
                .flat_map(|pairs| pairs.split(','))
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    values
                        .entry(k.to_owned())
                        .or_default()
                        .insert(v.trim_matches('"').to_owned());
                    k.to_owned()
                })
                .collect();
            assert_eq!(keys, labels, "{name}'s labels in `{sample}`");
        }
        // Where the contract lists a label's values, the daemon writes exactly those.
        if let Some(listed) = m.get("label_values").and_then(|v| v.as_object()) {
            for (label, expected) in listed {
                let expected: BTreeSet<String> = strings(expected).into_iter().collect();
                assert_eq!(
                    values.get(label),
                    Some(&expected),
                    "{name}'s values of `{label}`"
                );
            }
        }
    }
    let states: BTreeSet<String> = FileState::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let listed: BTreeSet<String> =
        strings(&contract["lightbox_queue_files"]["label_values"]["state"])
            .into_iter()
            .collect();
    assert_eq!(
        states, listed,
        "every catalog state is a queue_files label value"
    );
}

#[test]
fn the_emf_metrics_are_the_contracts_names_units_and_dimension_sets() {
    let whole = contract();
    assert_eq!(whole["namespace"], NAMESPACE);
    assert_eq!(whole["emf"]["station_dimension"], STATION);
    assert_eq!(whole["emf"]["enable_config_key"], "daemon.emf");
    assert_eq!(
        whole["emf"]["interval_seconds"],
        sync_core::config::DaemonConfig::default().emf_interval_secs,
        "the default interval is the contract's"
    );
    let in_contract: BTreeMap<String, (String, Vec<Vec<String>>)> = contract_metrics()
        .into_iter()
        .filter(|(_, m)| !m["emf"].is_null())
        .map(|(name, m)| {
            let sets = m["emf"]["dimension_sets"]
                .as_array()
                .expect("dimension sets")
                .iter()
                .map(strings)
                .collect();
            (
                name,
                (m["emf"]["unit"].as_str().expect("unit").to_owned(), sets),
            )
        })
        .collect();
    let in_daemon: BTreeMap<String, (String, Vec<Vec<String>>)> = EMF_METRICS
        .iter()
        .map(|m| {
            let sets = m
                .dimension_sets
                .iter()
                .map(|set| set.iter().map(|d| (*d).to_owned()).collect())
                .collect();
            (m.name.to_owned(), (m.unit.to_owned(), sets))
        })
        .collect();
    assert_eq!(
        in_daemon, in_contract,
        "the EMF lines carry exactly metrics.json's EMF metrics, units and dimension sets"
    );
    for (name, m) in contract_metrics() {
        assert_eq!(
            m["today"],
            serde_json::json!({"prometheus": true, "emf": !m["emf"].is_null()}),
            "{name}: metrics.json's `today` says what the daemon has"
        );
    }
}
