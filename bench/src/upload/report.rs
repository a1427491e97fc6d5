//! Medians and ratios from the runs, as Markdown. Pure: tested on made-up figures.

use std::fmt::Write as _;

use super::dataset::Workload;
use super::measure::Measurement;
use super::peers::{Mode, Tool};

/// One measured run.
#[derive(Debug, Clone)]
pub struct Run {
    pub workload: Workload,
    pub mode: Mode,
    pub tool: Tool,
    pub files: usize,
    pub bytes: u64,
    pub m: Measurement,
}

/// One table row: a tool's medians over its rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub tool: Tool,
    pub rounds: usize,
    pub mb_per_s: f64,
    pub files_per_s: f64,
    pub cpu_secs_per_gib: f64,
    pub peak_rss_mib: f64,
    /// Lightbox's throughput divided by this tool's (> 1: Lightbox is faster).
    pub lightbox_ratio: Option<f64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Rows for one (workload, mode), in `Tool::ALL` order, for the tools that ran.
#[must_use]
pub fn rows(runs: &[Run], workload: Workload, mode: Mode) -> Vec<Row> {
    let mut rows: Vec<Row> = Tool::ALL
        .into_iter()
        .filter_map(|tool| {
            let mine: Vec<&Run> = runs
                .iter()
                .filter(|r| r.workload == workload && r.mode == mode && r.tool == tool)
                .collect();
            let first = mine.first()?;
            #[allow(clippy::cast_precision_loss)] // byte and file counts far below 2^52
            let (bytes, files) = (first.bytes as f64, first.files as f64);
            let wall = median(mine.iter().map(|r| r.m.wall_secs).collect());
            let cpu = median(mine.iter().map(|r| r.m.cpu_secs).collect());
            let rss = mine.iter().map(|r| r.m.peak_rss_kib).max().unwrap_or(0);
            #[allow(clippy::cast_precision_loss)]
            let peak_rss_mib = rss as f64 / 1024.0;
            Some(Row {
                tool,
                rounds: mine.len(),
                mb_per_s: bytes / 1e6 / wall,
                files_per_s: files / wall,
                cpu_secs_per_gib: cpu / (bytes / f64::from(1u32 << 30)),
                peak_rss_mib,
                lightbox_ratio: None,
            })
        })
        .collect();
    let lightbox = rows
        .iter()
        .find(|r| r.tool == Tool::Lightbox)
        .map(|r| r.mb_per_s);
    for row in &mut rows {
        row.lightbox_ratio = lightbox.map(|l| l / row.mb_per_s);
    }
    rows
}

/// The Markdown section for every (workload, mode) that has runs.
#[must_use]
pub fn markdown(runs: &[Run], workloads: &[Workload], modes: &[Mode]) -> String {
    let mut out = String::new();
    for &workload in workloads {
        for &mode in modes {
            let rows = rows(runs, workload, mode);
            if rows.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {} — {}\n", workload.description(), mode.label());
            out.push_str("| tool | MB/s | files/s | Lightbox ÷ tool | client CPU s/GiB | peak RSS MiB | rounds |\n");
            out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
            for r in rows {
                let ratio = r
                    .lightbox_ratio
                    .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}×"));
                let _ = writeln!(
                    out,
                    "| {} | {:.0} | {:.1} | {ratio} | {:.2} | {:.1} | {} |",
                    r.tool.name(),
                    r.mb_per_s,
                    r.files_per_s,
                    r.cpu_secs_per_gib,
                    r.peak_rss_mib,
                    r.rounds
                );
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tool: Tool, wall: f64, rss: u64) -> Run {
        Run {
            workload: Workload::Bulk,
            mode: Mode::Defaults,
            tool,
            files: 200,
            bytes: (200 * 25) << 20,
            m: Measurement {
                wall_secs: wall,
                cpu_secs: wall / 2.0,
                peak_rss_kib: rss,
            },
        }
    }

    #[test]
    fn medians_peaks_and_ratios() {
        let runs = vec![
            run(Tool::Lightbox, 10.0, 30_000),
            run(Tool::S5cmd, 20.0, 20_000),
            run(Tool::Lightbox, 30.0, 40_000),
            run(Tool::S5cmd, 20.0, 25_000),
            run(Tool::Lightbox, 20.0, 35_000),
        ];
        let rows = rows(&runs, Workload::Bulk, Mode::Defaults);
        assert_eq!(rows.len(), 2, "only the tools that ran get a row");
        let (lb, s5) = (&rows[0], &rows[1]);
        assert_eq!((lb.tool, lb.rounds), (Tool::Lightbox, 3));
        assert!(
            (lb.files_per_s - 10.0).abs() < 1e-9,
            "median wall 20 s → 10 files/s, got {}",
            lb.files_per_s
        );
        assert!(
            (lb.peak_rss_mib - 40_000.0 / 1024.0).abs() < 1e-9,
            "peak, not median"
        );
        assert!(
            (s5.lightbox_ratio.expect("ratio") - 1.0).abs() < 1e-9,
            "equal medians → 1.0×"
        );
        assert!((lb.cpu_secs_per_gib - 10.0 / (5000.0 / 1024.0)).abs() < 1e-9);
        let md = markdown(&runs, &[Workload::Bulk], &[Mode::Defaults]);
        assert!(md.contains("| s5cmd | 262 | 10.0 | 1.00× |"), "{md}");
    }

    #[test]
    fn even_count_median_is_the_mean_of_the_middle_two() {
        assert!((median(vec![4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < 1e-12);
    }
}
