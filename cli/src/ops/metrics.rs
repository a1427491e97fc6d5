//! Counters, gauges and a histogram for Prometheus, from engine events.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use lightbox_types::FileState;
use sync_core::engine::{EngineEvent, FilePhase, QueueDepth};
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

/// When a reading is taken: the monotonic clock (uptime) and the wall clock (the age of a
/// catalogued file, whose `created_at` is wall-clock time).
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub wall: jiff::Timestamp,
}

impl Now {
    /// The clocks now (the one place the ops code reads them).
    #[must_use]
    pub fn read() -> Self {
        Self {
            instant: Instant::now(),
            wall: jiff::Timestamp::now(),
        }
    }
}

/// One value of one series: a metric's name as `/metrics` prints it, its label (name and
/// value) if it has one, and its value (a counter's total, or a gauge's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub name: &'static str,
    pub label: Option<(&'static str, String)>,
    pub value: SampleValue,
}

/// A counter's total since start, or a gauge's current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleValue {
    Counter(u64),
    Gauge(i64),
}

/// The names `/metrics` gives the series (the registry's prefix `lightbox`, counters with
/// `_total`): `Sample::name`, and the contract of `infra/examples/server/metrics.json`.
pub mod names {
    pub const QUEUE_FILES: &str = "lightbox_queue_files";
    pub const UPLOADED_FILES: &str = "lightbox_uploaded_files_total";
    pub const UPLOADED_BYTES: &str = "lightbox_uploaded_bytes_total";
    pub const DUPLICATE_FILES: &str = "lightbox_duplicate_files_total";
    pub const FAILED_FILES: &str = "lightbox_failed_files_total";
    pub const RETRIES: &str = "lightbox_retries_total";
    pub const PARTS_UPLOADED: &str = "lightbox_parts_uploaded_total";
    pub const SCANS: &str = "lightbox_scans_total";
    pub const FOLDER_UNAVAILABLE: &str = "lightbox_folder_unavailable_events_total";
    pub const OLDEST_WAITING_AGE: &str = "lightbox_oldest_waiting_file_age_seconds";
    pub const UPTIME: &str = "lightbox_uptime_seconds";
}

/// The daemon's metrics. Cheap to update from the event loop; rendered on scrape.
#[derive(Debug)]
pub struct DaemonMetrics {
    registry: Registry,
    started: Instant,
    queue: Family<StateLabel, Gauge>,
    folders: Family<StateLabel, Gauge>,
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
    oldest_waiting_age: Gauge,
    uptime: Gauge,
    /// The failure codes counted so far (a `Family` cannot list its label values).
    failure_codes: Mutex<BTreeSet<&'static str>>,
    in_flight: Mutex<HashMap<i64, InFlight>>,
}

impl DaemonMetrics {
    /// Metrics of a process that started at `started` (uptime counts from it).
    #[must_use]
    pub fn new(started: Instant) -> Self {
        let mut registry = Registry::with_prefix("lightbox");
        let queue = Family::<StateLabel, Gauge>::default();
        let folders = Family::<StateLabel, Gauge>::default();
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
        let oldest_waiting_age = Gauge::default();
        let uptime = Gauge::default();
        registry.register("queue_files", "Catalogued files by state", queue.clone());
        registry.register(
            "folders",
            "Enabled watched folders by state as the engine last looked (online, offline)",
            folders.clone(),
        );
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
        registry.register(
            "oldest_waiting_file_age_seconds",
            "Age of the oldest catalogued file not yet in the bucket (discovered, ready, hashed, \
             planned or uploading), from when it entered the catalog; 0 when there is none",
            oldest_waiting_age.clone(),
        );
        registry.register(
            "uptime_seconds",
            "Seconds since this process started",
            uptime.clone(),
        );
        Self {
            registry,
            started,
            queue,
            folders,
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
            oldest_waiting_age,
            uptime,
            failure_codes: Mutex::new(BTreeSet::new()),
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
                self.failure_codes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(code.as_str());
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
            // Already in the bucket at another key: a duplicate without an upload.
            FilePhase::Done {
                duplicate: true, ..
            } => {
                self.duplicates.inc();
            }
            FilePhase::Discovered
            | FilePhase::Settling
            | FilePhase::Hashing
            | FilePhase::Planned { .. }
            | FilePhase::Verifying { .. }
            | FilePhase::Done { .. } => {}
        }
    }

    /// The Prometheus text format, after [`DaemonMetrics::update`].
    #[must_use]
    pub fn render(
        &self,
        queue: Option<&QueueDepth>,
        retries: &[(ErrorClass, u64)],
        now: Now,
    ) -> String {
        self.update(queue, retries, now);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Every series of the EMF lines and its value now, after [`DaemonMetrics::update`]: the
    /// label-free counters, the failures by code and retries by class seen so far, the queue
    /// by state (when `queue` was read) and the two gauges.
    #[must_use]
    pub fn samples(
        &self,
        queue: Option<&QueueDepth>,
        retries: &[(ErrorClass, u64)],
        now: Now,
    ) -> Vec<Sample> {
        self.update(queue, retries, now);
        let counter = |name, c: &Counter| Sample {
            name,
            label: None,
            value: SampleValue::Counter(c.get()),
        };
        let gauge = |name, g: &Gauge| Sample {
            name,
            label: None,
            value: SampleValue::Gauge(g.get()),
        };
        let mut out = vec![
            counter(names::UPLOADED_FILES, &self.uploaded_files),
            counter(names::UPLOADED_BYTES, &self.uploaded_bytes),
            counter(names::DUPLICATE_FILES, &self.duplicates),
            counter(names::PARTS_UPLOADED, &self.parts),
            counter(names::SCANS, &self.scans),
            counter(names::FOLDER_UNAVAILABLE, &self.folders_unavailable),
            gauge(names::OLDEST_WAITING_AGE, &self.oldest_waiting_age),
            gauge(names::UPTIME, &self.uptime),
        ];
        let codes = self
            .failure_codes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for code in codes {
            if let Some(c) = self.failures.get(&CodeLabel { code }) {
                out.push(Sample {
                    name: names::FAILED_FILES,
                    label: Some(("code", code.to_owned())),
                    value: SampleValue::Counter(c.get()),
                });
            }
        }
        for (class, _) in retries {
            let label = ClassLabel {
                class: class.as_str().to_owned(),
            };
            if let Some(c) = self.retries.get(&label) {
                out.push(Sample {
                    name: names::RETRIES,
                    label: Some(("class", label.class)),
                    value: SampleValue::Counter(c.get()),
                });
            }
        }
        if queue.is_some() {
            for state in FileState::ALL {
                let label = StateLabel {
                    state: state.as_str().to_owned(),
                };
                if let Some(g) = self.queue.get(&label) {
                    out.push(Sample {
                        name: names::QUEUE_FILES,
                        label: Some(("state", label.state)),
                        value: SampleValue::Gauge(g.get()),
                    });
                }
            }
        }
        out
    }

    /// Bring what is read rather than counted up to date: the retry counters caught up with
    /// `retries` (from `RetryCounters::snapshot`), the queue gauges and the oldest waiting
    /// file's age from `queue` (the catalog, read now; left as they were when `None`), the
    /// uptime from `now`.
    fn update(&self, queue: Option<&QueueDepth>, retries: &[(ErrorClass, u64)], now: Now) {
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
        if let Some(queue) = queue {
            for (state, n) in queue.counts.iter() {
                self.queue
                    .get_or_create(&StateLabel {
                        state: state.as_str().to_owned(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            for (state, n) in &queue.folders {
                self.folders
                    .get_or_create(&StateLabel {
                        state: state.as_str().to_owned(),
                    })
                    .set(i64::try_from(*n).unwrap_or(i64::MAX));
            }
            let age = queue
                .oldest_waiting_since
                .map_or(0, |since| now.wall.duration_since(since).as_secs().max(0));
            self.oldest_waiting_age.set(age);
        }
        let uptime = now
            .instant
            .saturating_duration_since(self.started)
            .as_secs();
        self.uptime.set(i64::try_from(uptime).unwrap_or(i64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use lightbox_types::{FailureCode, SkipReason, StateCounts};
    use sync_core::catalog::FolderState;
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
        let m = DaemonMetrics::new(Instant::now());
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
        let text = m.render(None, &[], Now::read());
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
        let m = DaemonMetrics::new(Instant::now());
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
        let text = m.render(None, &[], Now::read());
        assert!(
            text.contains("lightbox_upload_duration_seconds_sum 6.0"),
            "{text}"
        );
        assert!(text.contains("lightbox_duplicate_files_total 1"), "{text}");
    }

    #[test]
    fn retries_are_exported_by_class_and_follow_the_retriers_counts() {
        let m = DaemonMetrics::new(Instant::now());
        let text = m.render(
            None,
            &[(ErrorClass::Throttled, 3), (ErrorClass::Temporary, 0)],
            Now::read(),
        );
        assert!(
            text.contains("lightbox_retries_total{class=\"throttled\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("lightbox_retries_total{class=\"temporary\"} 0"),
            "{text}"
        );
        let text = m.render(None, &[(ErrorClass::Throttled, 5)], Now::read());
        assert!(
            text.contains("lightbox_retries_total{class=\"throttled\"} 5"),
            "a later scrape shows the new total, not the sum of snapshots: {text}"
        );
    }

    #[test]
    fn the_gauges_are_the_oldest_waiting_files_age_the_uptime_and_the_folders() {
        let started = Instant::now();
        let m = DaemonMetrics::new(started);
        let wall: jiff::Timestamp = "2026-12-07T12:00:00Z".parse().expect("time");
        let mut counts = StateCounts::default();
        counts.set(FileState::Ready, 2);
        let waiting = QueueDepth {
            counts,
            oldest_waiting_since: Some(wall - jiff::SignedDuration::from_secs(95)),
            folders: vec![(FolderState::Online, 2), (FolderState::Offline, 1)],
        };
        let now = Now {
            instant: started + Duration::from_secs(7),
            wall,
        };
        let text = m.render(Some(&waiting), &[], now);
        for line in [
            "lightbox_oldest_waiting_file_age_seconds 95",
            "lightbox_uptime_seconds 7",
            "lightbox_queue_files{state=\"ready\"} 2",
            "lightbox_folders{state=\"online\"} 2",
            "lightbox_folders{state=\"offline\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in:\n{text}"
            );
        }
        let drained = QueueDepth::default();
        let text = m.render(Some(&drained), &[], now);
        assert!(
            text.lines()
                .any(|l| l == "lightbox_oldest_waiting_file_age_seconds 0"),
            "nothing waits: the age is 0, not the last one seen: {text}"
        );
        let unread = m.render(None, &[], now);
        assert!(
            unread
                .lines()
                .any(|l| l == "lightbox_oldest_waiting_file_age_seconds 0"),
            "an unreadable catalog leaves the gauge as it was: {unread}"
        );
    }
}
