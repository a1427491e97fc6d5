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
    /// CPU seconds the S3 server (Garage) used during the run.
    pub server_cpu_secs: f64,
}

/// One table row: a tool's medians over its rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub tool: Tool,
    pub rounds: usize,
    pub mb_per_s: f64,
    pub files_per_s: f64,
    pub cpu_secs_per_gib: f64,
    /// The server's CPU seconds per GiB uploaded, median over the rounds.
    pub server_cpu_secs_per_gib: f64,
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
            let server_cpu = median(mine.iter().map(|r| r.server_cpu_secs).collect());
            let rss = mine.iter().map(|r| r.m.peak_rss_kib).max().unwrap_or(0);
            #[allow(clippy::cast_precision_loss)]
            let peak_rss_mib = rss as f64 / 1024.0;
            Some(Row {
                tool,
                rounds: mine.len(),
                mb_per_s: bytes / 1e6 / wall,
                files_per_s: files / wall,
                cpu_secs_per_gib: cpu / (bytes / f64::from(1u32 << 30)),
                server_cpu_secs_per_gib: server_cpu / (bytes / f64::from(1u32 << 30)),
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

/// How the datasets were read before the first round, for the report.
pub const WARM_UP_NOTE: &str = "Before its first round, each dataset was read once in full, \
    so every tool reads it from the page cache: the first tool of round 1 no longer pays for cold \
    disk reads that the others skip.\n\n";

/// How every run starts from the same server state, for the report.
pub const SERVER_STATE_NOTE: &str = "Garage stores each 1 MiB block once, by its content, and \
    deletes unreferenced blocks only 10 minutes later. Before its first round each dataset is \
    uploaded once, untimed, into a bucket kept until the workload's last run, so no timed run \
    writes new blocks to disk: without this, whichever tool ran first paid for all of them (in \
    earlier reports that was always Lightbox, round 1). Before each run, dirty pages are \
    flushed (`sync`) and Garage is left until it idles (under 3 % of a core over 0.5 s), and \
    the tools take turns leading the rounds. Server CPU is Garage's own user + system time \
    during the run: it shares the two cores with the client.\n\n";

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
            out.push_str(
                "| tool | MB/s | files/s | Lightbox ÷ tool | client CPU s/GiB | server CPU s/GiB \
                 | peak RSS MiB | rounds |\n",
            );
            out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for r in rows {
                let ratio = r
                    .lightbox_ratio
                    .map_or_else(|| "–".to_owned(), |x| format!("{x:.2}×"));
                let _ = writeln!(
                    out,
                    "| {} | {:.0} | {:.1} | {ratio} | {:.2} | {:.2} | {:.1} | {} |",
                    r.tool.name(),
                    r.mb_per_s,
                    r.files_per_s,
                    r.cpu_secs_per_gib,
                    r.server_cpu_secs_per_gib,
                    r.peak_rss_mib,
                    r.rounds
                );
            }
            out.push('\n');
        }
    }
    out
}

/// The goals of issue #9 for a workload: (peer, the least Lightbox ÷ peer throughput).
#[must_use]
pub fn throughput_goals(workload: Workload) -> &'static [(Tool, f64)] {
    match workload {
        Workload::Bulk | Workload::Big => {
            &[(Tool::S5cmd, 1.0), (Tool::Rclone, 1.3), (Tool::AwsCli, 2.0)]
        }
        Workload::Small => &[(Tool::S5cmd, 1.0)],
        Workload::Smoke => &[],
    }
}

/// The most peak RSS Lightbox may use in any upload workload, in MiB.
pub const RSS_GOAL_MIB: f64 = 64.0;

/// One goal checked against the medians.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalCheck {
    pub what: String,
    pub figure: String,
    pub target: String,
    pub met: bool,
}

/// Every goal for every (workload, mode) that ran: throughput ratios against the peers, and
/// Lightbox's peak RSS.
#[must_use]
pub fn goal_checks(runs: &[Run], workloads: &[Workload], modes: &[Mode]) -> Vec<GoalCheck> {
    let mut checks = Vec::new();
    for &workload in workloads {
        for &mode in modes {
            let rows = rows(runs, workload, mode);
            let Some(lightbox) = rows.iter().find(|r| r.tool == Tool::Lightbox) else {
                continue;
            };
            let label = format!("{} — {}", workload.description(), mode.label());
            for &(peer, least) in throughput_goals(workload) {
                if let Some(x) = rows
                    .iter()
                    .find(|r| r.tool == peer)
                    .and_then(|r| r.lightbox_ratio)
                {
                    checks.push(GoalCheck {
                        what: format!("{label}: throughput vs {}", peer.name()),
                        figure: format!("{x:.2}×"),
                        target: format!("≥ {least:.1}×"),
                        met: x >= least,
                    });
                }
            }
            checks.push(GoalCheck {
                what: format!("{label}: Lightbox peak RSS"),
                figure: format!(
                    "{:.1} MiB ({:.2}× of the limit)",
                    lightbox.peak_rss_mib,
                    lightbox.peak_rss_mib / RSS_GOAL_MIB
                ),
                target: format!("≤ {RSS_GOAL_MIB:.0} MiB"),
                met: lightbox.peak_rss_mib <= RSS_GOAL_MIB,
            });
        }
    }
    checks
}

/// The goals as a Markdown table.
#[must_use]
pub fn goals_markdown(checks: &[GoalCheck]) -> String {
    let mut out = String::from(
        "### Goals (issue #9)\n\n| goal | Lightbox | target | |\n|---|---:|---:|---|\n",
    );
    for c in checks {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            c.what,
            c.figure,
            c.target,
            if c.met { "met" } else { "**not met**" }
        );
    }
    out.push('\n');
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
            server_cpu_secs: wall,
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
        assert!(
            md.contains("| s5cmd | 262 | 10.0 | 1.00× | 2.05 | 4.10 |"),
            "client CPU 10 s and server CPU 20 s over 5000 MiB: {md}"
        );
    }

    #[test]
    fn goals_are_ratios_against_the_named_peers_and_the_rss_limit() {
        let runs = vec![
            run(Tool::Lightbox, 10.0, 70 * 1024),
            run(Tool::S5cmd, 9.0, 20_000),
            run(Tool::Rclone, 14.0, 20_000),
        ];
        let checks = goal_checks(&runs, &[Workload::Bulk], &[Mode::Defaults]);
        let got: Vec<(&str, bool)> = checks.iter().map(|c| (c.figure.as_str(), c.met)).collect();
        assert_eq!(
            got,
            [
                ("0.90×", false),
                ("1.40×", true),
                ("70.0 MiB (1.09× of the limit)", false)
            ],
            "s5cmd ≥ 1.0× missed, rclone ≥ 1.3× met, aws-cli did not run, RSS over 64 MiB"
        );
        assert!(goals_markdown(&checks).contains("| **not met** |"));
    }

    #[test]
    fn even_count_median_is_the_mean_of_the_middle_two() {
        assert!((median(vec![4.0, 1.0, 3.0, 2.0]) - 2.5).abs() < 1e-12);
    }
}
