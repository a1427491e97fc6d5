//! Upload throughput of Lightbox next to s5cmd, rclone and aws-cli (run by
//! `bench/upload.sh`, which builds Lightbox and finds the peers): the same Garage,
//! the same files, every tool in turn per round, the order rotated from round to round
//! (A B C D, B C D A, …), each run into a fresh bucket that is checked to hold exactly the
//! dataset before it counts. Writes the Markdown table (medians, ratios, client and server
//! CPU, peak RSS) to `--out` and every run as a JSON line to `<data>/runs.jsonl`.
//!
//! Every run starts from the same server state ([`report::SERVER_STATE_NOTE`]): the dataset is
//! uploaded once, untimed, into a bucket kept until the workload's last run, so Garage (which
//! stores each block once, by content) already holds every block; dirty pages are flushed and
//! Garage is left to go idle before each run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use lightbox_bench::upload::dataset::{self, Workload};
use lightbox_bench::upload::measure::{self, RunError};
use lightbox_bench::upload::peers::{self, Mode, Programs, RunDir, Tool};
use lightbox_bench::upload::report::{self, Run};
use lightbox_bench::upload::server::{ServerProcess, flush_dirty_pages};
use lightbox_bench::upload::target::{self, Target};

#[derive(Parser)]
struct Cli {
    /// Where the datasets are written once and reused (needs ~8 GB for all workloads).
    #[arg(long)]
    data: PathBuf,
    /// Markdown output.
    #[arg(long)]
    out: PathBuf,
    /// Workloads, comma-separated: bulk, big, small, smoke.
    #[arg(long, value_delimiter = ',', default_value = "bulk,big,small")]
    workloads: Vec<String>,
    /// Tools, comma-separated: lightbox, s5cmd, rclone, aws-cli.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "lightbox,s5cmd,rclone,aws-cli"
    )]
    tools: Vec<String>,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Matched mode: files (and parts per file) at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Matched mode: part size and multipart threshold.
    #[arg(long, default_value_t = 16)]
    part_size_mib: u64,
    /// Skip the run with each tool's defaults.
    #[arg(long)]
    matched_only: bool,
    #[arg(long)]
    lightbox: PathBuf,
    #[arg(long)]
    s5cmd: PathBuf,
    #[arg(long)]
    rclone: PathBuf,
    #[arg(long)]
    aws: PathBuf,
    /// A run still going after this many seconds is killed and tried once more.
    #[arg(long, default_value_t = 600)]
    run_timeout_secs: u64,
    /// Before each run, wait at most this long for Garage to go idle (the smoke test, on a
    /// server shared with other tests, waits 0).
    #[arg(long, default_value_t = 60)]
    quiesce_secs: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let workloads: Vec<Workload> = cli
        .workloads
        .iter()
        .map(|w| Workload::parse(w))
        .collect::<Result<_>>()?;
    let tools: Vec<Tool> = cli
        .tools
        .iter()
        .map(|t| Tool::parse(t))
        .collect::<Result<_>>()?;
    let mut modes = vec![Mode::Matched {
        concurrency: cli.concurrency,
        part_size_mib: cli.part_size_mib,
    }];
    if !cli.matched_only {
        modes.push(Mode::Defaults);
    }
    let programs = Programs {
        lightbox: cli.lightbox,
        s5cmd: cli.s5cmd,
        rclone: cli.rclone,
        aws: cli.aws,
    };

    let run_limit = std::time::Duration::from_secs(cli.run_timeout_secs);
    let quiesce = std::time::Duration::from_secs(cli.quiesce_secs);
    let stack = lightbox_tests::stack::stack();
    let s3 = stack.garage_s3();
    let server = ServerProcess::garage(&stack.dir)?;
    std::fs::create_dir_all(&cli.data).with_context(|| format!("create {}", cli.data.display()))?;
    let raw_path = cli.data.join("runs.jsonl");
    let mut raw = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&raw_path)?;

    let total = workloads.len() * cli.rounds * modes.len() * tools.len();
    let mut runs = Vec::new();
    let mut commands = Vec::new();
    for &workload in &workloads {
        let data = dataset::ensure(&cli.data, workload)?;
        let want = data.contents();
        let warm = data.warm_page_cache()?;
        eprintln!(
            "{}: read {} MiB once to warm the page cache",
            workload.name(),
            warm >> 20
        );
        let primed = prime(stack, &s3, &programs, &data, &cli.data, &modes, run_limit).await?;
        for round in 1..=cli.rounds {
            for &mode in &modes {
                for tool in rotated(&tools, round - 1) {
                    // A run that hangs is killed and tried once more in a fresh bucket.
                    let mut hung_before = false;
                    let (bucket, target, _run_dir, inv, m, server_cpu) = loop {
                        let bucket = stack
                            .fresh_garage_bucket(&format!("bench-{}", tool.name()))
                            .await;
                        let target = Target::garage(stack, &bucket);
                        let run_dir = tempfile::Builder::new()
                            .prefix("run-")
                            .tempdir_in(&cli.data)?;
                        let (inv, files) = peers::invocation(
                            tool,
                            mode,
                            &programs,
                            &data.dir,
                            &target,
                            &RunDir(run_dir.path().to_owned()),
                        );
                        for (path, text) in files {
                            std::fs::write(&path, text)
                                .with_context(|| format!("write {}", path.display()))?;
                        }
                        let log = cli.data.join(format!("last-{}.log", tool.name()));
                        settle_server(&server, quiesce)?;
                        let server_before = server.cpu_secs()?;
                        match measure::run(&inv, &log, run_limit) {
                            Ok(m) => {
                                let server_cpu = server.cpu_secs()? - server_before;
                                break (bucket, target, run_dir, inv, m, server_cpu);
                            }
                            Err(e @ RunError::Hung { .. }) if !hung_before => {
                                eprintln!("{}: {e}; trying once more", inv.display());
                                hung_before = true;
                            }
                            Err(e) => return Err(e.into()),
                        }
                    };
                    target::verify_and_drop(&s3, &bucket, want).await?;
                    #[allow(clippy::cast_precision_loss)]
                    let mbps = data.bytes as f64 / 1e6 / m.wall_secs;
                    eprintln!(
                        "[{}/{total}] {} · {} · {} · round {round}: {mbps:.0} MB/s, {:.1} CPU s, \
                         {server_cpu:.1} server CPU s, {} MiB peak",
                        runs.len() + 1,
                        workload.name(),
                        mode.label(),
                        tool.name(),
                        m.cpu_secs,
                        m.peak_rss_kib / 1024
                    );
                    writeln!(
                        raw,
                        "{}",
                        serde_json::json!({"workload": workload.name(), "mode": mode.label(), "tool": tool.name(),
                            "round": round, "bytes": data.bytes, "files": data.files, "measurement": m,
                            "server_cpu_secs": server_cpu})
                    )?;
                    if round == 1 {
                        // Placeholders for what changes from run to run.
                        let line = inv
                            .display()
                            .replace(&target.endpoint, "$ENDPOINT")
                            .replace(&bucket, "$BUCKET")
                            .replace(&data.dir.display().to_string(), "$DATA");
                        commands.push(format!(
                            "- {} · {}: `{line}`",
                            workload.name(),
                            mode.label()
                        ));
                    }
                    runs.push(Run {
                        workload,
                        mode,
                        tool,
                        files: data.files,
                        bytes: data.bytes,
                        m,
                        server_cpu_secs: server_cpu,
                    });
                }
            }
        }
        target::verify_and_drop(&s3, &primed, want).await?;
    }

    let mut md = report::goals_markdown(&report::goal_checks(&runs, &workloads, &modes));
    md.push_str(report::WARM_UP_NOTE);
    md.push_str(report::SERVER_STATE_NOTE);
    md.push_str(&report::markdown(&runs, &workloads, &modes));
    let _ = writeln!(
        md,
        "Command lines ($ENDPOINT: the local Garage, $BUCKET: a fresh bucket per run, \
         $DATA: the dataset folder; credentials from the environment):\n"
    );
    for c in commands {
        let _ = writeln!(md, "{c}");
    }
    lightbox_bench::write_report(&cli.out, &md)?;
    eprintln!(
        "wrote {} (raw runs appended to {})",
        cli.out.display(),
        raw_path.display()
    );
    Ok(())
}

/// `tools` starting at `shift` (mod their count): round r starts with the r-th tool, so no tool
/// always runs right after the same other one, or first.
fn rotated(tools: &[Tool], shift: usize) -> Vec<Tool> {
    let n = tools.len().max(1);
    (0..tools.len()).map(|i| tools[(i + shift) % n]).collect()
}

/// Flush dirty pages and wait (up to `limit`) for Garage to go idle before a timed run.
fn settle_server(server: &ServerProcess, limit: std::time::Duration) -> Result<()> {
    flush_dirty_pages()?;
    if server.quiesce(limit)?.is_none() && !limit.is_zero() {
        eprintln!("Garage was still busy after {limit:?}; running anyway");
    }
    Ok(())
}

/// Upload `data` once, untimed, with the first mode's s5cmd command into a bucket that is kept
/// until the workload's last run: Garage stores a block once per content, so from here on no
/// timed run writes new blocks to disk, whichever tool comes first (before this, the first run
/// of each dataset paid for every block write and the others for none). Returns the bucket.
async fn prime(
    stack: &lightbox_tests::Stack,
    s3: &aws_sdk_s3::Client,
    programs: &Programs,
    data: &dataset::Dataset,
    scratch: &std::path::Path,
    modes: &[Mode],
    limit: std::time::Duration,
) -> Result<String> {
    let bucket = stack.fresh_garage_bucket("bench-prime").await;
    let target = Target::garage(stack, &bucket);
    let run_dir = tempfile::Builder::new()
        .prefix("prime-")
        .tempdir_in(scratch)?;
    let (inv, files) = peers::invocation(
        Tool::S5cmd,
        modes[0],
        programs,
        &data.dir,
        &target,
        &RunDir(run_dir.path().to_owned()),
    );
    for (path, text) in files {
        std::fs::write(&path, text).with_context(|| format!("write {}", path.display()))?;
    }
    let m = measure::run(&inv, &scratch.join("last-prime.log"), limit)?;
    let got = target::contents(s3, &bucket).await?;
    anyhow::ensure!(
        got == data.contents(),
        "the priming upload left {got:?} in {bucket}, expected {:?}",
        data.contents()
    );
    eprintln!(
        "{}: primed Garage with the dataset in {:.1} s (untimed; bucket {bucket} kept until the \
         workload ends)",
        data.workload.name(),
        m.wall_secs
    );
    Ok(bucket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_starts_with_the_next_tool() {
        let tools = [Tool::Lightbox, Tool::S5cmd, Tool::Rclone];
        assert_eq!(rotated(&tools, 0), tools);
        assert_eq!(
            rotated(&tools, 1),
            [Tool::S5cmd, Tool::Rclone, Tool::Lightbox]
        );
        assert_eq!(rotated(&tools, 3), tools, "wraps after every tool led once");
    }
}
