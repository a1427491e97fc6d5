//! File-to-cloud latency of `lightbox run`: from the moment a finished file is renamed into a
//! watched folder to the daemon's `uploaded` log line (the object is verified by `HeadObject`
//! by then). The pure parts: reading the daemon's JSON log, percentiles, the table.

use std::fmt::Write as _;

use jiff::Timestamp;

/// One verified upload from the daemon's JSON log: the file's path and the line's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub path: String,
    pub at: Timestamp,
}

/// The `uploaded` event in one line of `LIGHTBOX_LOG_FORMAT=json` output, if it is one.
#[must_use]
pub fn parse_uploaded(line: &str) -> Option<Uploaded> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let fields = value.get("fields")?;
    if fields.get("message")?.as_str()? != "uploaded" {
        return None;
    }
    Some(Uploaded {
        path: fields.get("path")?.as_str()?.to_owned(),
        at: value.get("timestamp")?.as_str()?.parse().ok()?,
    })
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
}

impl Summary {
    /// From the latencies in seconds.
    #[must_use]
    pub fn new(latencies: &[f64], file_mib: u64, interval_ms: u64, settle_s: f64) -> Self {
        Self {
            files: latencies.len(),
            file_mib,
            interval_ms,
            settle_s,
            p50_s: percentile(latencies, 0.5),
            p95_s: percentile(latencies, 0.95),
            max_s: latencies.iter().copied().fold(f64::NAN, f64::max),
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
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uploaded_lines_are_read() {
        let line = r#"{"timestamp":"2026-11-24T00:10:02.512345Z","level":"INFO","fields":{"message":"uploaded","path":"/w/IMG_1.CR3","key":"originals/2026/11/24/IMG_1.CR3","duplicate":false},"target":"lightbox::run"}"#;
        let got = parse_uploaded(line).expect("an uploaded line");
        assert_eq!(got.path, "/w/IMG_1.CR3");
        assert_eq!(
            got.at,
            "2026-11-24T00:10:02.512345Z"
                .parse::<Timestamp>()
                .expect("a time")
        );
        let planned = line.replace("\"uploaded\"", "\"planned\"");
        assert_eq!(parse_uploaded(&planned), None, "other events are not");
        assert_eq!(parse_uploaded("not json"), None);
    }

    #[test]
    fn nearest_rank_percentiles_and_the_goal() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert!((percentile(&values, 0.5) - 10.0).abs() < 1e-9);
        assert!((percentile(&values, 0.95) - 19.0).abs() < 1e-9);
        let s = Summary::new(&[2.2, 2.4, 2.6], 25, 1000, 2.0);
        assert!((s.goal_ratio() - 0.96).abs() < 1e-9, "2.4 ÷ 2.5");
        assert!(markdown(&s).contains("| 0.960 | met |"));
    }
}
