//! Counters, gauges and a histogram for Prometheus, from engine events.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use lightbox_types::StateCounts;
use sync_core::engine::{EngineEvent, FilePhase};
use sync_core::retry::ErrorClass;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

/// A `FailureCode`'s text.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabel {
    class: String,
}

/// A `SkipReason`'s text.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// An upload in progress: when it started (in this process) and its size.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    started: Instant,
    bytes_total: u64,
}

/// The daemon's metrics. Cheap to update from the event loop; rendered on scrape.
#[derive(Debug)]
pub struct DaemonMetrics {
    registry: Registry,
    queue: Family<StateLabel, Gauge>,
    uploaded_files: Counter,
    uploaded_bytes: Counter,
    duplicates: Counter,
    failures: Family<CodeLabel, Counter>,
    skipped: Family<ReasonLabel, Counter>,
    retries: Family<ClassLabel, Counter>,
    parts: Counter,
    scans: Counter,
    folders_unavailable: Counter,
    upload_seconds: Histogram,
    in_flight: Mutex<HashMap<i64, InFlight>>,
}

impl Default for DaemonMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl DaemonMetrics {
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("lightbox");
        let queue = Family::<StateLabel, Gauge>::default();
        let uploaded_files = Counter::default();
        let uploaded_bytes = Counter::default();
        let duplicates = Counter::default();
        let failures = Family::<CodeLabel, Counter>::default();
        let skipped = Family::<ReasonLabel, Counter>::default();
        let retries = Family::<ClassLabel, Counter>::default();
        let parts = Counter::default();
        let scans = Counter::default();
        let folders_unavailable = Counter::default();
        // 0.25 s … ~17 min: a small JPEG to a 2 GiB video on a slow link.
        let upload_seconds = Histogram::new(exponential_buckets(0.25, 2.0, 13));
        registry.register("queue_files", "Catalogued files by state", queue.clone());
        registry.register(
            "uploaded_files",
            "Files verified in the bucket by this process",
            uploaded_files.clone(),
        );
        registry.register(
            "uploaded_bytes",
            "Bytes of files verified in the bucket by this process",
            uploaded_bytes.clone(),
        );
        registry.register(
            "duplicate_files",
            "Files whose exact content was already at their key",
            duplicates.clone(),
        );
        registry.register(
            "failed_files",
            "Files that failed, by error code",
            failures.clone(),
        );
        registry.register("skipped_files", "Files skipped, by reason", skipped.clone());
        registry.register(
            "retries",
            "S3 requests tried again, by the class of the failure before (temporary, throttled, \
             refresh_credentials, clock_skew)",
            retries.clone(),
        );
        registry.register(
            "parts_uploaded",
            "Parts (or single puts) S3 accepted",
            parts.clone(),
        );
        registry.register("scans", "Reconciliation scans finished", scans.clone());
        registry.register(
            "folder_unavailable_events",
            "Times a watched folder could not be read (unmounted, deleted, no permission)",
            folders_unavailable.clone(),
        );
        registry.register(
            "upload_duration_seconds",
            "From the start of a file's upload to its verified object",
            upload_seconds.clone(),
        );
        Self {
            registry,
            queue,
            uploaded_files,
            uploaded_bytes,
            duplicates,
            failures,
            skipped,
            retries,
            parts,
            scans,
            folders_unavailable,
            upload_seconds,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Count one event. `now` is when it was received.
    pub fn observe(&self, event: &EngineEvent, now: Instant) {
        let file = match event {
            EngineEvent::File(file) => file,
            EngineEvent::Scanned { .. } => {
                self.scans.inc();
                return;
            }
            EngineEvent::FolderUnavailable { .. } => {
                self.folders_unavailable.inc();
                return;
            }
            EngineEvent::UploadControls { .. } => return,
        };
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &file.phase {
            FilePhase::Uploading {
                part: 0,
                bytes_total,
                ..
            } => {
                in_flight.entry(file.file).or_insert(InFlight {
                    started: now,
                    bytes_total: *bytes_total,
                });
            }
            FilePhase::Uploading { .. } => {
                self.parts.inc();
            }
            FilePhase::Uploaded { duplicate, .. } => {
                self.uploaded_files.inc();
                if *duplicate {
                    self.duplicates.inc();
                }
                if let Some(flight) = in_flight.remove(&file.file) {
                    self.uploaded_bytes.inc_by(flight.bytes_total);
                    self.upload_seconds
                        .observe(now.saturating_duration_since(flight.started).as_secs_f64());
                }
            }
            FilePhase::Failed { code, .. } => {
                in_flight.remove(&file.file);
                self.failures
                    .get_or_create(&CodeLabel {
                        code: code.as_str(),
                    })
                    .inc();
            }
            FilePhase::Skipped { reason, .. } => {
                self.skipped
                    .get_or_create(&ReasonLabel {
                        reason: reason.as_str(),
                    })
                    .inc();
            }
            FilePhase::Vanished => {
                in_flight.remove(&file.file);
            }
            FilePhase::Discovered
            | FilePhase::Settling
            | FilePhase::Hashing
            | FilePhase::Planned { .. }
            | FilePhase::Verifying { .. }
            | FilePhase::Done { .. } => {}
        }
    }

    /// The Prometheus text format, with the queue gauges set from `counts` (from the
    /// catalog at scrape time) and the retry counters caught up with `retries` (from
    /// `RetryCounters::snapshot`).
    #[must_use]
    pub fn render(&self, counts: Option<&StateCounts>, retries: &[(ErrorClass, u64)]) -> String {
        for (class, total) in retries {
            // The retriers count on their own (`RetryCounters`); catch the counter up.
            let counter = self.retries.get_or_create(&ClassLabel {
                class: class.as_str().to_owned(),
            });
            let seen = counter.get();
            if *total > seen {
                counter.inc_by(total - seen);
            }
        }
        if let Some(counts) = counts {
            for (state, n) in counts.iter() {
                self.queue
                    .get_or_create(&StateLabel {
                        state: state.as_str().to_owned(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use lightbox_types::{FailureCode, SkipReason};
    use sync_core::engine::FileEvent;

    fn file(id: i64, phase: FilePhase) -> EngineEvent {
        EngineEvent::File(FileEvent {
            file: id,
            path: format!("/p/{id}.jpg"),
            phase,
        })
    }

    fn uploading(part: u16, total: u64) -> FilePhase {
        FilePhase::Uploading {
            part,
            parts: 2,
            bytes_sent: 0,
            bytes_total: total,
        }
    }

    #[test]
    fn a_files_life_becomes_counters_and_a_latency() {
        let m = DaemonMetrics::new();
        let t0 = Instant::now();
        m.observe(&file(1, uploading(0, 1000)), t0);
        m.observe(&file(1, uploading(1, 1000)), t0);
        m.observe(&file(1, uploading(2, 1000)), t0);
        m.observe(
            &file(
                1,
                FilePhase::Uploaded {
                    key: "k".into(),
                    duplicate: false,
                },
            ),
            t0 + Duration::from_secs(3),
        );
        m.observe(
            &file(
                2,
                FilePhase::Failed {
                    code: FailureCode::UploadAccessDenied,
                    message: String::new(),
                },
            ),
            t0,
        );
        m.observe(
            &file(
                3,
                FilePhase::Skipped {
                    reason: SkipReason::Duplicate,
                    detail: String::new(),
                },
            ),
            t0,
        );
        let text = m.render(None, &[]);
        for line in [
            "lightbox_uploaded_files_total 1",
            "lightbox_uploaded_bytes_total 1000",
            "lightbox_parts_uploaded_total 2",
            "lightbox_failed_files_total{code=\"upload_access_denied\"} 1",
            "lightbox_skipped_files_total{reason=\"duplicate\"} 1",
            "lightbox_upload_duration_seconds_count 1",
            "lightbox_upload_duration_seconds_sum 3.0",
            // 3 s lands in the 4 s bucket and above, not in the 2 s one.
            "lightbox_upload_duration_seconds_bucket{le=\"2.0\"} 0",
            "lightbox_upload_duration_seconds_bucket{le=\"4.0\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in:\n{text}"
            );
        }
    }

    #[test]
    fn a_resumed_upload_is_timed_from_its_first_start() {
        let m = DaemonMetrics::new();
        let t0 = Instant::now();
        m.observe(&file(7, uploading(0, 10)), t0);
        m.observe(&file(7, uploading(0, 10)), t0 + Duration::from_secs(5));
        m.observe(
            &file(
                7,
                FilePhase::Uploaded {
                    key: "k".into(),
                    duplicate: true,
                },
            ),
            t0 + Duration::from_secs(6),
        );
        let text = m.render(None, &[]);
        assert!(
            text.contains("lightbox_upload_duration_seconds_sum 6.0"),
            "{text}"
        );
        assert!(text.contains("lightbox_duplicate_files_total 1"), "{text}");
    }

    #[test]
    fn retries_are_exported_by_class_and_follow_the_retriers_counts() {
        let m = DaemonMetrics::new();
        let text = m.render(
            None,
            &[(ErrorClass::Throttled, 3), (ErrorClass::Temporary, 0)],
        );
        assert!(
            text.contains("lightbox_retries_total{class=\"throttled\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("lightbox_retries_total{class=\"temporary\"} 0"),
            "{text}"
        );
        let text = m.render(None, &[(ErrorClass::Throttled, 5)]);
        assert!(
            text.contains("lightbox_retries_total{class=\"throttled\"} 5"),
            "a later scrape shows the new total, not the sum of snapshots: {text}"
        );
    }
}
