//! Part completions while a folder is scanned (`bench/scan-gaps.sh`): the gaps between two
//! journalled parts of an upload, without a scan and during scans, and the report.
//!
//! Pure: the harness (`src/bin/scan_gaps_bench.rs`) records when each part completed and when
//! each window began and ended; this module finds the gaps and writes the table.

use std::time::Duration;

use serde::Serialize;

/// One measured window: what ran in it and the part completions around it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// What ran ("no scan", "first scan of 100,000 new files", ...).
    pub name: String,
    /// Seconds from the window's start to its end.
    pub seconds: f64,
    /// Part completions inside the window.
    pub parts: usize,
    /// The median gap between two part completions, in milliseconds.
    pub median_gap_ms: f64,
    /// The longest gap between two part completions, in milliseconds.
    pub longest_gap_ms: f64,
    /// Anything that qualifies the figures (printed under the table).
    pub note: Option<String>,
}

/// The gaps, in order, between the part completions that bound and fall in `[start, end]`
/// (offsets from any common origin): the last completion at or before `start`, every one
/// inside, and the first at or after `end`. So a stall that began before the window or ended
/// after it is counted whole. `None` when no completion precedes or follows the window (the
/// upload started late or ended early: the window says nothing).
#[must_use]
pub fn gaps_around(completions: &[Duration], start: Duration, end: Duration) -> Option<Vec<f64>> {
    let mut sorted = completions.to_vec();
    sorted.sort_unstable();
    let first = sorted.iter().rposition(|&c| c <= start)?;
    let last = sorted.iter().position(|&c| c >= end)?;
    Some(
        sorted[first..=last]
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).as_secs_f64() * 1000.0)
            .collect(),
    )
}

/// The window `[start, end]` measured from `completions`, or `None` as [`gaps_around`].
#[must_use]
pub fn window(
    name: &str,
    completions: &[Duration],
    start: Duration,
    end: Duration,
) -> Option<Window> {
    let gaps = gaps_around(completions, start, end)?;
    let parts = completions
        .iter()
        .filter(|&&c| c > start && c < end)
        .count();
    Some(Window {
        name: name.to_owned(),
        seconds: (end.saturating_sub(start)).as_secs_f64(),
        parts,
        median_gap_ms: median(&gaps),
        longest_gap_ms: gaps.iter().copied().fold(0.0, f64::max),
        note: None,
    })
}

fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        f64::midpoint(sorted[mid - 1], sorted[mid])
    } else {
        sorted[mid]
    }
}

/// What a run measured: the windows without a scan first, then the scans.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The upload's settings, for the report's first line.
    pub setup: String,
    pub baseline: Window,
    pub scans: Vec<Window>,
}

impl Summary {
    /// The goal's ratio for `scan`: its longest gap over the longest gap without a scan.
    #[must_use]
    pub fn ratio(&self, scan: &Window) -> f64 {
        scan.longest_gap_ms / self.baseline.longest_gap_ms.max(f64::MIN_POSITIVE)
    }
}

/// The goal: the longest gap during a scan is at most this many times the longest without.
pub const GOAL_RATIO: f64 = 2.0;

/// The Markdown report.
#[must_use]
pub fn markdown(summary: &Summary) -> String {
    let mut out = format!(
        "{}\n\n| window | seconds | parts completed | median gap ms | longest gap ms | longest ÷ no scan | goal ≤ {GOAL_RATIO}× |\n|---|---:|---:|---:|---:|---:|---|\n",
        summary.setup
    );
    let row = |w: &Window, ratio: Option<f64>| {
        let (ratio, goal) = ratio.map_or_else(
            || ("1.00×".to_owned(), String::new()),
            |r| {
                let met = if r <= GOAL_RATIO {
                    "met"
                } else {
                    "**not met**"
                };
                (format!("{r:.2}×"), met.to_owned())
            },
        );
        format!(
            "| {} | {:.1} | {} | {:.0} | {:.0} | {ratio} | {goal} |\n",
            w.name, w.seconds, w.parts, w.median_gap_ms, w.longest_gap_ms
        )
    };
    out.push_str(&row(&summary.baseline, None));
    for scan in &summary.scans {
        out.push_str(&row(scan, Some(summary.ratio(scan))));
    }
    for window in std::iter::once(&summary.baseline).chain(&summary.scans) {
        if let Some(note) = &window.note {
            out.push_str(&format!("\n{}: {note}.\n", window.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn a_stall_across_the_window_edges_is_counted_whole() {
        // (why, completions ms, window start ms, window end ms, expected gaps ms)
        type Case = (&'static str, Vec<u64>, u64, u64, Option<Vec<f64>>);
        let cases: [Case; 4] = [
            (
                "steady parts: every gap in and around the window",
                vec![0, 100, 200, 300, 400],
                150,
                250,
                Some(vec![100.0, 100.0]),
            ),
            (
                "a stall that starts before the window and ends after it",
                vec![0, 100, 1900, 2000],
                500,
                1000,
                Some(vec![1800.0]),
            ),
            (
                "unsorted input is sorted first",
                vec![300, 0, 200, 100],
                50,
                250,
                Some(vec![100.0, 100.0, 100.0]),
            ),
            (
                "no part after the window: the upload ended early",
                vec![0, 100],
                50,
                500,
                None,
            ),
        ];
        for (why, completions, start, end, expected) in cases {
            assert_eq!(
                gaps_around(
                    &ms(&completions),
                    Duration::from_millis(start),
                    Duration::from_millis(end)
                ),
                expected,
                "{why}"
            );
        }
    }

    #[test]
    fn the_report_compares_each_scan_with_the_window_without_one() {
        let completions = ms(&[0, 100, 200, 300, 400, 500, 1300, 1400, 1500]);
        let baseline = window(
            "no scan",
            &completions,
            Duration::ZERO,
            Duration::from_millis(400),
        )
        .expect("parts on both sides");
        let scan = window(
            "first scan",
            &completions,
            Duration::from_millis(450),
            Duration::from_millis(1350),
        )
        .expect("parts on both sides");
        assert_eq!(baseline.longest_gap_ms, 100.0, "steady 100 ms parts");
        assert_eq!(scan.longest_gap_ms, 800.0, "the stall from 500 to 1300 ms");
        assert_eq!(scan.parts, 2, "the parts at 500 and 1300 ms fall inside");
        let summary = Summary {
            setup: "setup".to_owned(),
            baseline,
            scans: vec![scan],
        };
        let table = markdown(&summary);
        assert!(
            table.contains("| first scan | 0.9 | 2 | 100 | 800 | 8.00× | **not met** |"),
            "{table}"
        );
        assert!(
            table.contains("| no scan | 0.4 | 3 | 100 | 100 | 1.00× |  |"),
            "{table}"
        );
    }
}
