//! File-to-cloud latency of `lightbox run`: from the moment a finished file is renamed into a
//! watched folder to the daemon's `uploaded` log line (the object is verified by `HeadObject`
//! by then). The pure parts: reading the daemon's JSON log, percentiles, the table.

use std::fmt::Write as _;

use jiff::Timestamp;

/// A step of a file's way through the daemon, as its event log names it (`lightbox run` logs
/// each engine event; the steps below `planned` and `uploaded` at debug level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The pipeline first looked at the file (a debounced watcher event): its settle window
    /// starts here.
    Discovered,
    /// Settled and opened: the fingerprint read starts.
    Hashing,
    /// Fingerprinted and its key decided.
    Planned,
    /// The uploader started its upload (`Uploading` with part 0).
    Uploading,
    /// The object is complete; `HeadObject` checks it.
    Verifying,
    /// Verified.
    Uploaded,
}

impl Stage {
    /// What happens in the step that ends at this stage (the first starts at the rename).
    #[must_use]
    pub fn step(self) -> &'static str {
        match self {
            Self::Discovered => "rename → first look (watcher event, debounced)",
            Self::Hashing => "first look → settled and opened (the settle window)",
            Self::Planned => "fingerprint read, key planned",
            Self::Uploading => "planned → upload started (uploader wake-up)",
            Self::Verifying => "upload (overwrite guard, `PutObject`)",
            Self::Uploaded => "`HeadObject` verification",
        }
    }

    /// Every stage, in the order a file goes through them.
    pub const ALL: [Self; 6] = [
        Self::Discovered,
        Self::Hashing,
        Self::Planned,
        Self::Uploading,
        Self::Verifying,
        Self::Uploaded,
    ];
}

/// One step of one file from the daemon's JSON log: the file's path, the step and the line's
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageLine {
    pub path: String,
    pub stage: Stage,
    pub at: Timestamp,
}

/// The stage in one line of `LIGHTBOX_LOG_FORMAT=json` output, if it is one.
#[must_use]
pub fn parse_stage(line: &str) -> Option<StageLine> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = value.get("fields")?;
    let message = fields.get("message").and_then(serde_json::Value::as_str);
    let phase = fields.get("phase").and_then(serde_json::Value::as_str);
    let stage = match (message, phase) {
        (Some("uploaded"), _) => Stage::Uploaded,
        (Some("planned"), _) => Stage::Planned,
        (_, Some("Discovered")) => Stage::Discovered,
        (_, Some("Hashing")) => Stage::Hashing,
        (_, Some(p)) if p.starts_with("Uploading { part: 0,") => Stage::Uploading,
        (_, Some(p)) if p.starts_with("Verifying") => Stage::Verifying,
        _ => return None,
    };
    Some(StageLine {
        path: fields.get("path")?.as_str()?.to_owned(),
        stage,
        at: value.get("timestamp")?.as_str()?.parse().ok()?,
    })
}

/// When one file reached each stage (the first time it did).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileTimeline {
    reached: Vec<(Stage, Timestamp)>,
}

impl FileTimeline {
    /// Note a stage; a stage seen again (the file changed and went round again) keeps its first
    /// time.
    pub fn note(&mut self, stage: Stage, at: Timestamp) {
        if self.at(stage).is_none() {
            self.reached.push((stage, at));
        }
    }

    #[must_use]
    pub fn at(&self, stage: Stage) -> Option<Timestamp> {
        self.reached
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, at)| *at)
    }
}

/// The median of each step (from the rename to the first stage, then from each stage to the
/// next) over the files whose timeline has both ends, in seconds, with how many files had them.
/// `renamed` is when each file was renamed into the folder.
#[must_use]
pub fn step_medians(files: &[(Timestamp, FileTimeline)]) -> Vec<StepMedian> {
    let mut from = None;
    Stage::ALL
        .iter()
        .map(|&to| {
            let spans: Vec<f64> = files
                .iter()
                .filter_map(|(renamed, timeline)| {
                    let start = from.map_or(Some(*renamed), |stage| timeline.at(stage))?;
                    let end = timeline.at(to)?;
                    Some(end.duration_since(start).as_secs_f64())
                })
                .collect();
            from = Some(to);
            StepMedian {
                step: to.step().to_owned(),
                files: spans.len(),
                median_s: percentile(&spans, 0.5),
            }
        })
        .collect()
}

/// One row of the breakdown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepMedian {
    pub step: String,
    pub files: usize,
    pub median_s: f64,
}

/// The `q`-quantile (0..=1) of `values` by the nearest-rank method.
#[must_use]
pub fn percentile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank within the slice"
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub file_mib: u64,
    pub interval_ms: u64,
    pub settle_s: f64,
    pub p50_s: f64,
    pub p95_s: f64,
    pub max_s: f64,
    /// Where the time went: the median of each step ([`step_medians`]).
    pub steps: Vec<StepMedian>,
}

impl Summary {
    /// From the latencies in seconds and the per-step medians.
    #[must_use]
    pub fn new(
        latencies: &[f64],
        steps: Vec<StepMedian>,
        file_mib: u64,
        interval_ms: u64,
        settle_s: f64,
    ) -> Self {
        Self {
            files: latencies.len(),
            file_mib,
            interval_ms,
            settle_s,
            p50_s: percentile(latencies, 0.5),
            p95_s: percentile(latencies, 0.95),
            max_s: latencies.iter().copied().fold(f64::NAN, f64::max),
            steps,
        }
    }

    /// p50 over the goal (settle window + 0.5 s): ≤ 1.0 meets it.
    #[must_use]
    pub fn goal_ratio(&self) -> f64 {
        self.p50_s / (self.settle_s + 0.5)
    }
}

/// The Markdown table.
#[must_use]
pub fn markdown(s: &Summary) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{} files of {} MiB renamed into a folder watched by `lightbox run` (release build, \
         default settings, previews on), one every {} ms. Latency: from the rename to the \
         daemon's `uploaded` log line (the object is complete and verified by `HeadObject`).\n",
        s.files, s.file_mib, s.interval_ms
    );
    let _ = writeln!(
        md,
        "| settle window | p50 | p95 | max | p50 after the settle window | p50 ÷ (settle + 0.5 s) | goal ≤ 1.0 |"
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---|");
    let ratio = s.goal_ratio();
    let _ = writeln!(
        md,
        "| {:.2} s | {:.3} s | {:.3} s | {:.3} s | {:.3} s | {ratio:.3} | {} |",
        s.settle_s,
        s.p50_s,
        s.p95_s,
        s.max_s,
        s.p50_s - s.settle_s,
        if ratio <= 1.0 { "met" } else { "not met" }
    );
    if !s.steps.is_empty() {
        let _ = writeln!(
            md,
            "\nWhere the time goes: the median of each step over the files, from the daemon's \
             debug-level event log (each step's median on its own, so they need not add up to \
             the p50 exactly).\n"
        );
        let _ = writeln!(md, "| step | median | files |");
        let _ = writeln!(md, "|---|---:|---:|");
        for step in &s.steps {
            let _ = writeln!(
                md,
                "| {} | {:.3} s | {} |",
                step.step, step.median_s, step.files
            );
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &str) -> String {
        format!(
            r#"{{"timestamp":"2026-11-24T00:10:02.512345Z","level":"INFO","fields":{{{fields}}},"target":"lightbox::run"}}"#
        )
    }

    #[test]
    fn stages_are_read_from_the_event_log() {
        let uploaded = line(
            r#""message":"uploaded","path":"/w/IMG_1.CR3","key":"originals/2026/11/24/IMG_1.CR3","duplicate":false"#,
        );
        let got = parse_stage(&uploaded).expect("an uploaded line");
        assert_eq!(got.path, "/w/IMG_1.CR3");
        assert_eq!(got.stage, Stage::Uploaded);
        assert_eq!(
            got.at,
            "2026-11-24T00:10:02.512345Z"
                .parse::<Timestamp>()
                .expect("a time")
        );
        let stage = |fields: &str| parse_stage(&line(fields)).map(|l| l.stage);
        assert_eq!(
            stage(r#""message":"planned","path":"/w/a","key":"k""#),
            Some(Stage::Planned)
        );
        assert_eq!(
            stage(r#""phase":"Discovered","path":"/w/a""#),
            Some(Stage::Discovered)
        );
        assert_eq!(
            stage(r#""phase":"Hashing","path":"/w/a""#),
            Some(Stage::Hashing)
        );
        assert_eq!(
            stage(
                r#""phase":"Uploading { part: 0, parts: 1, bytes_sent: 0, bytes_total: 5 }","path":"/w/a""#
            ),
            Some(Stage::Uploading),
            "part 0 is the start"
        );
        assert_eq!(
            stage(
                r#""phase":"Uploading { part: 1, parts: 1, bytes_sent: 5, bytes_total: 5 }","path":"/w/a""#
            ),
            None,
            "a finished part is not a stage"
        );
        assert_eq!(
            stage(r#""phase":"Verifying { key: \"k\" }","path":"/w/a""#),
            Some(Stage::Verifying)
        );
        assert_eq!(
            stage(r#""phase":"Settling","path":"/w/a""#),
            None,
            "settling starts with the first look, which is Discovered"
        );
        assert_eq!(parse_stage("not json"), None);
    }

    #[test]
    fn step_medians_take_each_step_from_its_own_ends() {
        let t = |ms: i64| {
            "2026-11-24T00:00:00Z"
                .parse::<Timestamp>()
                .expect("a time")
                .checked_add(jiff::SignedDuration::from_millis(ms))
                .expect("in range")
        };
        let timeline = |offsets: [i64; 6]| {
            let mut timeline = FileTimeline::default();
            for (stage, ms) in Stage::ALL.iter().zip(offsets) {
                timeline.note(*stage, t(ms));
            }
            timeline
        };
        let mut partial = FileTimeline::default();
        partial.note(Stage::Discovered, t(10_300));
        partial.note(Stage::Discovered, t(10_900));
        let files = vec![
            (t(0), timeline([200, 2_200, 2_300, 2_350, 2_450, 2_500])),
            (
                t(1_000),
                timeline([1_300, 3_300, 3_420, 3_500, 3_600, 3_620]),
            ),
            (t(10_000), partial),
        ];
        let steps = step_medians(&files);
        let medians: Vec<(usize, i64)> = steps
            .iter()
            .map(|s| {
                #[allow(clippy::cast_possible_truncation, reason = "test milliseconds")]
                let ms = (s.median_s * 1000.0).round() as i64;
                (s.files, ms)
            })
            .collect();
        assert_eq!(
            medians,
            vec![(3, 300), (2, 2_000), (2, 100), (2, 50), (2, 100), (2, 20)],
            "nearest-rank medians; the unfinished file counts only where it has both ends, \
             with its first look (not the repeated one)"
        );
    }

    #[test]
    fn nearest_rank_percentiles_and_the_goal() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert!((percentile(&values, 0.5) - 10.0).abs() < 1e-9);
        assert!((percentile(&values, 0.95) - 19.0).abs() < 1e-9);
        let steps = vec![StepMedian {
            step: "fingerprint read, key planned".to_owned(),
            files: 3,
            median_s: 0.0421,
        }];
        let s = Summary::new(&[2.2, 2.4, 2.6], steps, 25, 1000, 2.0);
        assert!((s.goal_ratio() - 0.96).abs() < 1e-9, "2.4 ÷ 2.5");
        let md = markdown(&s);
        assert!(md.contains("| 0.960 | met |"), "{md}");
        assert!(
            md.contains("| fingerprint read, key planned | 0.042 s | 3 |"),
            "{md}"
        );
    }
}
