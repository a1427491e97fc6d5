//! The daemon's metrics as CloudWatch Embedded Metric Format (EMF) documents, one JSON
//! object per line, for `[daemon] emf = true`. The contract (names, units, dimension sets)
//! is `infra/examples/server/metrics.json`; a test holds [`EMF_METRICS`] to it.
//!
//! Written by hand: the one EMF crate, `metrics_cloudwatch_embedded`, is a backend of the
//! `metrics` facade (aimed at Lambda, one flush per invocation), while the daemon's counters
//! live in `prometheus_client` for `/metrics`; and the contract needs what it does not do:
//! counters as the increase since the line before (so that their sum is the `/metrics`
//! total) and each label value in its own document with a rollup dimension set.
//! (`metrics_cloudwatch` calls `PutMetricData`, which the server example avoids.) The format
//! itself is a few JSON members, which `serde_json` writes.
//!
//! [`EmfLines::lines`] is pure: samples and a time in, lines out.

use std::collections::HashMap;

use super::metrics::{Sample, SampleValue, names};

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "Lightbox";
/// The dimension every document carries: the station (the host name).
pub const STATION: &str = "station";
/// Standard resolution: the metrics are written once a minute.
const STORAGE_RESOLUTION: u32 = 60;

/// A metric of the EMF lines: its name (as in `/metrics`), its CloudWatch unit and its
/// dimension sets (the first one with the metric's label, if it has one; a set without the
/// label is the rollup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmfMetric {
    pub name: &'static str,
    pub unit: &'static str,
    pub dimension_sets: &'static [&'static [&'static str]],
}

/// Every metric the EMF lines carry (the others are in `/metrics` only).
pub const EMF_METRICS: &[EmfMetric] = &[
    EmfMetric {
        name: names::QUEUE_FILES,
        unit: "Count",
        dimension_sets: &[&[STATION, "state"]],
    },
    EmfMetric {
        name: names::UPLOADED_FILES,
        unit: "Count",
        dimension_sets: &[&[STATION]],
    },
    EmfMetric {
        name: names::UPLOADED_BYTES,
        unit: "Bytes",
        dimension_sets: &[&[STATION]],
    },
    EmfMetric {
        name: names::FAILED_FILES,
        unit: "Count",
        dimension_sets: &[&[STATION, "code"], &[STATION]],
    },
    EmfMetric {
        name: names::RETRIES,
        unit: "Count",
        dimension_sets: &[&[STATION, "class"], &[STATION]],
    },
    EmfMetric {
        name: names::FOLDER_UNAVAILABLE,
        unit: "Count",
        dimension_sets: &[&[STATION]],
    },
    EmfMetric {
        name: names::OLDEST_WAITING_AGE,
        unit: "Seconds",
        dimension_sets: &[&[STATION]],
    },
    EmfMetric {
        name: names::UPTIME,
        unit: "Seconds",
        dimension_sets: &[&[STATION]],
    },
];

fn emf_metric(name: &str) -> Option<&'static EmfMetric> {
    EMF_METRICS.iter().find(|m| m.name == name)
}

/// Turns readings of the metrics into EMF lines, remembering each counter's total at the
/// line before so that a line carries the increase.
#[derive(Debug, Clone)]
pub struct EmfLines {
    station: String,
    written: HashMap<(&'static str, Option<String>), u64>,
}

impl EmfLines {
    /// Lines for the station named `station` (the source host), nothing written yet.
    #[must_use]
    pub fn new(station: String) -> Self {
        Self {
            station,
            written: HashMap::new(),
        }
    }

    /// The documents of one round, each a JSON object on one line (no newline): one with
    /// every label-free metric (counters as their increase, 0 included; gauges as values),
    /// then one per label value of a labelled metric (a counter only when it increased).
    /// `samples` not in [`EMF_METRICS`] are left out. `at` is the documents' timestamp.
    pub fn lines(&mut self, samples: &[Sample], at: jiff::Timestamp) -> Vec<String> {
        let mut plain = serde_json::Map::new();
        let mut plain_metrics = Vec::new();
        let mut labelled = Vec::new();
        for sample in samples {
            let Some(metric) = emf_metric(sample.name) else {
                continue;
            };
            let value = match sample.value {
                SampleValue::Gauge(v) => v,
                SampleValue::Counter(total) => {
                    let key = (sample.name, sample.label.as_ref().map(|(_, v)| v.clone()));
                    let before = self.written.insert(key, total).unwrap_or(0);
                    let increase = total.saturating_sub(before);
                    if sample.label.is_some() && increase == 0 {
                        continue;
                    }
                    i64::try_from(increase).unwrap_or(i64::MAX)
                }
            };
            match &sample.label {
                None => {
                    plain.insert(sample.name.to_owned(), value.into());
                    plain_metrics.push(metric);
                }
                Some((label, label_value)) => {
                    let mut members = serde_json::Map::new();
                    members.insert((*label).to_owned(), label_value.clone().into());
                    members.insert(sample.name.to_owned(), value.into());
                    labelled.push(self.document(members, &[metric], at));
                }
            }
        }
        let mut out = Vec::with_capacity(1 + labelled.len());
        if !plain_metrics.is_empty() {
            out.push(self.document(plain, &plain_metrics, at));
        }
        out.extend(labelled);
        out
    }

    /// One document: `members` (the metrics' values and any label) plus the station and
    /// the `_aws` metadata naming the metrics, their units and dimension sets.
    fn document(
        &self,
        mut members: serde_json::Map<String, serde_json::Value>,
        metrics: &[&EmfMetric],
        at: jiff::Timestamp,
    ) -> String {
        members.insert(STATION.to_owned(), self.station.clone().into());
        // Every metric of a document shares its dimension sets (a document holds either the
        // label-free metrics, all `[station]`, or one labelled metric).
        let dimensions = metrics.first().map_or(&[][..], |m| m.dimension_sets);
        let definitions: Vec<serde_json::Value> = metrics
            .iter()
            .map(|m| {
                serde_json::json!({
                    "Name": m.name,
                    "Unit": m.unit,
                    "StorageResolution": STORAGE_RESOLUTION,
                })
            })
            .collect();
        members.insert(
            "_aws".to_owned(),
            serde_json::json!({
                "Timestamp": at.as_millisecond(),
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": dimensions,
                    "Metrics": definitions,
                }],
            }),
        );
        serde_json::Value::Object(members).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(name: &'static str, label: Option<(&'static str, &str)>, total: u64) -> Sample {
        Sample {
            name,
            label: label.map(|(k, v)| (k, v.to_owned())),
            value: SampleValue::Counter(total),
        }
    }

    fn parse(line: &str) -> serde_json::Value {
        serde_json::from_str(line).expect("one JSON object per line")
    }

    #[test]
    fn counters_are_increases_and_a_label_value_gets_its_own_document() {
        let mut emf = EmfLines::new("studio-server".into());
        let at: jiff::Timestamp = "2026-12-07T12:00:00Z".parse().expect("time");
        let first = emf.lines(
            &[
                counter(names::UPLOADED_FILES, None, 3),
                counter(names::SCANS, None, 9),
                counter(
                    names::FAILED_FILES,
                    Some(("code", "upload_access_denied")),
                    1,
                ),
                Sample {
                    name: names::UPTIME,
                    label: None,
                    value: SampleValue::Gauge(60),
                },
            ],
            at,
        );
        assert_eq!(
            first.len(),
            2,
            "the station's document and one per code: {first:?}"
        );
        let plain = parse(&first[0]);
        assert_eq!(plain["lightbox_uploaded_files_total"], 3);
        assert_eq!(plain["lightbox_uptime_seconds"], 60);
        assert!(
            plain.get("lightbox_scans_total").is_none(),
            "a metric outside the contract stays in /metrics: {plain}"
        );
        assert_eq!(plain["station"], "studio-server");
        assert_eq!(
            plain["_aws"]["Timestamp"], 1_796_644_800_000_i64,
            "milliseconds"
        );
        let failed = parse(&first[1]);
        assert_eq!(failed["code"], "upload_access_denied");
        assert_eq!(
            failed["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            serde_json::json!([["station", "code"], ["station"]]),
            "per code, and the station's rollup"
        );

        let second = emf.lines(
            &[
                counter(names::UPLOADED_FILES, None, 5),
                counter(
                    names::FAILED_FILES,
                    Some(("code", "upload_access_denied")),
                    1,
                ),
            ],
            at,
        );
        assert_eq!(
            second.len(),
            1,
            "a code that did not increase is not written"
        );
        assert_eq!(
            parse(&second[0])["lightbox_uploaded_files_total"],
            2,
            "the increase since the line before"
        );
        let third = emf.lines(&[counter(names::UPLOADED_FILES, None, 5)], at);
        assert_eq!(
            parse(&third[0])["lightbox_uploaded_files_total"],
            0,
            "a label-free counter is written every round, 0 included"
        );
    }
}
