//! Upload throughput of Lightbox next to s5cmd, rclone and aws-cli (run by
//! `bench/upload.sh`, which builds Lightbox and finds the peers): the same Garage,
//! the same files, every tool in turn per round (A B C D A B C D …), each run into
//! a fresh bucket that is checked to hold exactly the dataset before it counts.
//! Writes the Markdown table (medians, ratios, CPU, peak RSS) to `--out` and every
//! run as a JSON line to `<data>/runs.jsonl`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use lightbox_bench::upload::dataset::{self, Workload};
use lightbox_bench::upload::measure::{self, RunError};
use lightbox_bench::upload::peers::{self, Mode, Programs, RunDir, Tool};
use lightbox_bench::upload::report::{self, Run};
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
    let stack = lightbox_tests::stack::stack();
    let s3 = stack.garage_s3();
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
        for round in 1..=cli.rounds {
            for &mode in &modes {
                for &tool in &tools {
                    // A run that hangs is killed and tried once more in a fresh bucket.
                    let mut hung_before = false;
                    let (bucket, target, _run_dir, inv, m) = loop {
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
                        match measure::run(&inv, &log, run_limit) {
                            Ok(m) => break (bucket, target, run_dir, inv, m),
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
                        "[{}/{total}] {} · {} · {} · round {round}: {mbps:.0} MB/s, {:.1} CPU s, {} MiB peak",
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
                            "round": round, "bytes": data.bytes, "files": data.files, "measurement": m})
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
                    });
                }
            }
        }
    }

    let mut md = report::goals_markdown(&report::goal_checks(&runs, &workloads, &modes));
    md.push_str(report::WARM_UP_NOTE);
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
