//! File-to-cloud latency (run by `bench/latency.sh`): the real `lightbox run` watches a folder
//! on the local Garage; finished files are renamed into it at a steady rate, and each file's
//! latency runs from its rename to the daemon's `uploaded` log line (JSON logs). The settle
//! window the daemon waits for is reported beside it, and where the time goes: the daemon logs
//! each file's steps (`lightbox::run` at debug level), and the median of each step is reported.
//! Figures only: nothing is asserted.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use jiff::Timestamp;
use lightbox_bench::latency::{self, FileTimeline, Stage, StageLine, Summary};
use lightbox_bench::upload::dataset::write_random;
use sync_core::ingest::SettleSettings;

#[derive(Parser, Clone)]
struct Cli {
    /// The `lightbox` binary.
    #[arg(long)]
    lightbox: PathBuf,
    /// Scratch space: staged files, the watched folder, the daemon's state and log.
    #[arg(long)]
    work: PathBuf,
    #[arg(long, default_value_t = 90)]
    files: usize,
    #[arg(long, default_value_t = 25)]
    file_mib: u64,
    /// Time between two files.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// The Markdown table.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// How long the daemon may take to start and to finish after the last file.
const PATIENCE: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let summary = run(&cli).await?;
    lightbox_bench::print_and_report(&summary, cli.out.as_deref(), latency::markdown)
}

async fn run(cli: &Cli) -> Result<Summary> {
    let stack = lightbox_tests::stack();
    let bucket = stack.fresh_garage_bucket("latency").await;
    std::fs::create_dir_all(&cli.work)?;
    let run_dir = tempfile::Builder::new()
        .prefix("latency-")
        .tempdir_in(&cli.work)?;
    let (staging, watch) = (run_dir.path().join("staging"), run_dir.path().join("watch"));
    std::fs::create_dir_all(&staging)?;
    std::fs::create_dir_all(&watch)?;
    let watch = watch.canonicalize()?;
    let size = cli.file_mib << 20;
    let names: Vec<String> = (0..cli.files).map(|i| format!("IMG_{i:04}.CR3")).collect();
    for (i, name) in names.iter().enumerate() {
        write_random(&staging.join(name), size, 0x1A7E_0000 + i as u64)?;
    }

    let mut daemon = Command::new(&cli.lightbox)
        .args(["run", "--folder"])
        .arg(&watch)
        .envs(stack.env_vars())
        .env("LIGHTBOX_STORAGE__BUCKET", &bucket)
        .env("LIGHTBOX_STATE_DIR", run_dir.path().join("state"))
        .env("LIGHTBOX_LOG_FORMAT", "json")
        // The engine's events at debug level: each file's steps, for the breakdown.
        .env("LIGHTBOX_LOG", "info,lightbox::run=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("start {}", cli.lightbox.display()))?;
    let lines = follow_log(&mut daemon, &cli.work.join("latency-daemon.log"))?;
    let outcome = drop_and_collect(cli, &staging, &watch, &names, &lines);
    stop(&mut daemon)?;
    let (dropped, mut timelines) = outcome?;

    let mut latencies = Vec::with_capacity(names.len());
    let mut files = Vec::with_capacity(names.len());
    for (path, renamed) in dropped {
        let timeline = timelines.remove(&path).unwrap_or_default();
        let at = timeline
            .at(Stage::Uploaded)
            .with_context(|| format!("{path} was never uploaded"))?;
        latencies.push(at.duration_since(renamed).as_secs_f64());
        files.push((renamed, timeline));
    }
    let listed = stack
        .garage_s3()
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("originals/")
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    ensure!(
        listed.key_count().unwrap_or(0) == i32::try_from(names.len())?,
        "the bucket holds {:?} originals, not {}",
        listed.key_count(),
        names.len()
    );
    let settle = SettleSettings::default().window_for(size).as_secs_f64();
    Ok(Summary::new(
        &latencies,
        latency::step_medians(&files),
        cli.file_mib,
        cli.interval_ms,
        settle,
    ))
}

/// A file renamed into the watched folder: its path there and when.
type Dropped = (String, Timestamp);

enum Line {
    Running,
    Stage(StageLine),
}

/// Each file's steps, by path.
type Timelines = HashMap<String, FileTimeline>;

/// Copy the daemon's stderr to `log` on a thread, passing on what the bench waits for.
fn follow_log(daemon: &mut Child, log: &Path) -> Result<mpsc::Receiver<Line>> {
    let stderr = daemon.stderr.take().context("the daemon's stderr")?;
    let mut file = std::fs::File::create(log)?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Write as _;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if writeln!(file, "{line}").is_err() {
                break;
            }
            let event = if line.contains("lightbox is running") {
                Some(Line::Running)
            } else {
                latency::parse_stage(&line).map(Line::Stage)
            };
            if let Some(event) = event
                && tx.send(event).is_err()
            {
                break;
            }
        }
    });
    Ok(rx)
}

/// Wait for the daemon, rename one staged file into the watched folder per interval, then wait
/// for every `uploaded` line, noting each file's steps on the way.
fn drop_and_collect(
    cli: &Cli,
    staging: &Path,
    watch: &Path,
    names: &[String],
    lines: &mpsc::Receiver<Line>,
) -> Result<(Vec<Dropped>, Timelines)> {
    loop {
        match lines.recv_timeout(PATIENCE) {
            Ok(Line::Running) => break,
            Ok(Line::Stage(_)) => {}
            Err(_) => bail!("the daemon did not start (its log is in the work folder)"),
        }
    }
    let mut timelines = Timelines::new();
    let mut uploaded = 0;
    let mut dropped = Vec::with_capacity(names.len());
    let started = Instant::now();
    let interval = Duration::from_millis(cli.interval_ms);
    for (i, name) in names.iter().enumerate() {
        let target = watch.join(name);
        std::fs::rename(staging.join(name), &target)?;
        dropped.push((target.display().to_string(), Timestamp::now()));
        let next = started + interval * u32::try_from(i + 1)?;
        while let Some(left) = next.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(Line::Stage(line)) => uploaded += note(&mut timelines, line),
                Ok(Line::Running) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => bail!("the daemon exited"),
            }
        }
    }
    let deadline = Instant::now() + PATIENCE;
    while uploaded < names.len() {
        let left = deadline
            .checked_duration_since(Instant::now())
            .context("not every file was uploaded in time")?;
        match lines.recv_timeout(left) {
            Ok(Line::Stage(line)) => uploaded += note(&mut timelines, line),
            Ok(Line::Running) => {}
            Err(_) => bail!(
                "{} of {} files uploaded before the daemon went quiet",
                uploaded,
                names.len()
            ),
        }
    }
    Ok((dropped, timelines))
}

/// Note a step; 1 when it is a file's first `uploaded` line (the engine and the daemon's event
/// log both write one, the engine's first, and the first is kept).
fn note(timelines: &mut Timelines, line: StageLine) -> usize {
    let timeline = timelines.entry(line.path).or_default();
    let first_upload = line.stage == Stage::Uploaded && timeline.at(Stage::Uploaded).is_none();
    timeline.note(line.stage, line.at);
    usize::from(first_upload)
}

/// SIGTERM (the daemon's graceful stop), then wait.
fn stop(daemon: &mut Child) -> Result<()> {
    let status = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()?;
    ensure!(status.success(), "kill -TERM failed");
    daemon.wait()?;
    Ok(())
}
