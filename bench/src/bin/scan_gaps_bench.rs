//! Part completions while a folder of 100,000 files is scanned (run by `bench/scan-gaps.sh`).
//!
//! A real engine (the one `lightbox run` starts, in this process, on a tokio runtime with one
//! worker per core) uploads one large file to the local Garage as a multipart upload, each part
//! journalled in the catalog as S3 accepts it, exactly as in production. The bench records when
//! each part's `Uploading` event arrives (the job emits it after the part is journalled), on a
//! thread of its own so that a stalled runtime cannot delay the recording. It measures the
//! longest gap between two part completions:
//!
//! 1. without a scan, for `--baseline-secs`;
//! 2. while a new folder of `--files` small photos is added and scanned (every file is new:
//!    the walk, a stat per file and a catalog row per file);
//! 3. while the same folder is rescanned (every file catalogued and unchanged: the walk and a
//!    stat per file).
//!
//! The upload file is planned in the catalog before the engine starts (fingerprinted by the
//! bench, as the pipeline would), and the settle window is an hour, so nothing but the upload
//! and the scans runs: the 100,000 scanned files stay `discovered`. Figures only, nothing is
//! asserted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use jiff::Timestamp;
use lightbox_bench::scan_gaps::{self, Summary, Window};
use lightbox_bench::upload::dataset::write_random;
use lightbox_types::FileStat;
use sync_core::catalog::{Catalog, RelPath};
use sync_core::config::{IngestConfig, UploadConfig};
use sync_core::engine::{Engine, EngineEvent, EngineSettings, FilePhase, UploadTarget};
use sync_core::ingest::{FingerprintOptions, fingerprint_file};
use sync_core::upload::S3Transfer;
use tokio::sync::{broadcast, oneshot};

#[derive(Parser, Clone)]
struct Cli {
    /// Scratch space: the photos folder and the upload file (kept between runs), each run's
    /// catalog.
    #[arg(long)]
    work: PathBuf,
    /// Small photos in the scanned folder, 1,000 per subfolder.
    #[arg(long, default_value_t = 100_000)]
    files: usize,
    /// The uploaded file's size: large enough to outlast every window.
    #[arg(long, default_value_t = 2048)]
    upload_mib: u64,
    #[arg(long, default_value_t = 5)]
    part_mib: u64,
    /// Part requests in flight (`upload.max_requests_in_flight`).
    #[arg(long, default_value_t = 1)]
    requests_in_flight: usize,
    /// `upload.bandwidth_limit_mib_per_sec`; 0: unlimited.
    #[arg(long, default_value_t = 25)]
    bandwidth_mib: u64,
    /// How long the window without a scan lasts.
    #[arg(long, default_value_t = 20)]
    baseline_secs: u64,
    /// A pause between two windows, so that the events that end one (100,000 `discovered`
    /// files after the first scan) are not inside the next.
    #[arg(long, default_value_t = 5)]
    pause_secs: u64,
    /// The Markdown table.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// How long the upload may take to start, and a scan to finish.
const PATIENCE: Duration = Duration::from_secs(600);
/// The planned key of the uploaded file.
const KEY: &str = "originals/bench/BIG_0001.CR3";

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let summary = run(&cli).await?;
    lightbox_bench::print_and_report(&summary, cli.out.as_deref(), scan_gaps::markdown)
}

async fn run(cli: &Cli) -> Result<Summary> {
    std::fs::create_dir_all(&cli.work)?;
    let photos = populate(cli.files, &cli.work.join(format!("photos-{}", cli.files)))?;
    let upload_dir = cli.work.join("upload");
    std::fs::create_dir_all(&upload_dir)?;
    let upload_dir = upload_dir.canonicalize()?;
    let big = upload_dir.join("BIG_0001.CR3");
    if std::fs::metadata(&big).map(|m| m.len()).ok() != Some(cli.upload_mib << 20) {
        eprintln!("writing {} MiB to {}", cli.upload_mib, big.display());
        write_random(&big, cli.upload_mib << 20, 0x5CA7_6A95)?;
    }
    let run_dir = tempfile::Builder::new()
        .prefix("scan-gaps-")
        .tempdir_in(&cli.work)?;
    let catalog_path = run_dir.path().join("catalog.sqlite");
    plan_upload(&catalog_path, &upload_dir, &big)?;

    let stack = lightbox_tests::stack();
    let bucket = stack.fresh_garage_bucket("scan-gaps").await;
    let engine = Engine::start(&settings(cli, catalog_path, &stack.garage_s3(), &bucket))?;
    let origin = Instant::now();
    let recorder = Recorder::start(engine.subscribe(), origin);
    let measured = measure(cli, &engine, &recorder, &photos).await;
    engine.stop(Duration::from_secs(60)).await?;
    let record = recorder.stop();
    let (baseline, first, rescan) = measured?;
    if let Some(failure) = &record.failed {
        bail!("the upload failed: {failure}");
    }
    let window = |name: &str, (start, end): (Duration, Duration)| -> Result<Window> {
        // Events lost (the recorder fell behind the bus, as when the first scan's 100,000
        // `discovered` events go out right after it) hide part completions. Inside a window
        // that makes it useless; between its end and the next part seen, the gap across the
        // end is counted up to the loss instead: at most that long, perhaps shorter.
        let bound = record.parts.iter().copied().find(|&at| at >= end);
        let lost = record
            .lagged
            .iter()
            .copied()
            .find(|&at| at >= start && bound.is_none_or(|bound| at <= bound));
        let mut parts = record.parts.clone();
        let mut note = None;
        if let Some(lost) = lost {
            ensure!(
                lost >= end,
                "the bench fell behind the engine's events at {lost:?}, inside the window {name:?}"
            );
            parts.retain(|&at| at < lost);
            parts.push(lost);
            note = Some(format!(
                "events were lost {:.0} ms after this window ended; its last gap is counted up \
                 to then (an upper bound)",
                (lost - end).as_secs_f64() * 1000.0
            ));
        }
        let mut window = scan_gaps::window(name, &parts, start, end)
            .with_context(|| format!("no part completed before or after the window {name:?}"))?;
        window.note = note;
        Ok(window)
    };
    let files = thousands(cli.files);
    let bandwidth = if cli.bandwidth_mib == 0 {
        "no bandwidth limit".to_owned()
    } else {
        format!("a bandwidth limit of {} MiB/s", cli.bandwidth_mib)
    };
    Ok(Summary {
        setup: format!(
            "One {} MiB file uploading to the local Garage through the engine in {} MiB parts, {} \
             part request(s) in flight, {bandwidth}; the scanned folder holds {files} files \
             of a few bytes, 1,000 per subfolder. A part completes when S3 has accepted it and \
             the catalog has journalled it.",
            cli.upload_mib, cli.part_mib, cli.requests_in_flight
        ),
        baseline: window("no scan", baseline)?,
        scans: vec![
            window(&format!("first scan of {files} new files"), first)?,
            window(&format!("rescan of {files} unchanged files"), rescan)?,
        ],
    })
}

fn settings(
    cli: &Cli,
    catalog_path: PathBuf,
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> EngineSettings {
    let mut ingest = IngestConfig::default();
    // Nothing settles during the bench: the scanned files stay `discovered`.
    ingest.settle.base_ms = 3_600_000;
    ingest.settle.max_ms = 3_600_000;
    // No periodic rescan: the bench starts each scan itself.
    ingest.rescan_interval_secs = 86_400;
    let config = UploadConfig {
        part_size_mib: Some(cli.part_mib),
        max_requests_in_flight: cli.requests_in_flight,
        bandwidth_limit_mib_per_sec: (cli.bandwidth_mib > 0).then_some(cli.bandwidth_mib),
        ..UploadConfig::default()
    };
    EngineSettings {
        catalog_path,
        ingest,
        upload: Some(UploadTarget {
            config,
            ..UploadTarget::new(S3Transfer::new(client, bucket), "scan-gaps-bench", "bench")
        }),
    }
}

/// The three windows, as (start, end) offsets from the recorder's origin.
type Windows = (
    (Duration, Duration),
    (Duration, Duration),
    (Duration, Duration),
);

async fn measure(
    cli: &Cli,
    engine: &Engine,
    recorder: &Recorder,
    photos: &Path,
) -> Result<Windows> {
    // 1. No scan: from the first part on.
    let first_part = recorder
        .wait_for("the first part", |r| r.parts.first().copied())
        .await?;
    let baseline = (
        first_part,
        first_part + Duration::from_secs(cli.baseline_secs),
    );
    tokio::time::sleep_until((recorder.origin + baseline.1).into()).await;
    tokio::time::sleep(Duration::from_secs(cli.pause_secs)).await;

    // 2. The first scan of the new folder, until its `Scanned` event (the 100,000
    // `discovered` events that follow are not the scan's).
    let folder = photos.display().to_string();
    let scanned_after = |start: Duration| {
        let folder = folder.clone();
        move |r: &Record| {
            r.scanned
                .iter()
                .find(|(at, f)| *at > start && *f == folder)
                .map(|(at, _)| *at)
        }
    };
    let start = recorder.now();
    engine.add_folder(photos).await?;
    let end = recorder
        .wait_for("the first scan", scanned_after(start))
        .await?;
    let first = (start, end);
    eprintln!("first scan: {:.1} s", (end - start).as_secs_f64());
    tokio::time::sleep(Duration::from_secs(cli.pause_secs)).await;

    // 3. The rescan, until the folder's `Scanned` event.
    let start = recorder.now();
    engine.rescan().await?;
    let end = recorder
        .wait_for("the rescan", scanned_after(start))
        .await?;
    let rescan = (start, end);
    eprintln!("rescan: {:.1} s", (end - start).as_secs_f64());

    // The upload must outlast the last window.
    recorder
        .wait_for("a part after the rescan", |r| {
            r.parts.iter().copied().find(|&at| at >= end)
        })
        .await
        .context("the upload ended before the last window: give a larger --upload-mib")?;
    Ok((baseline, first, rescan))
}

/// Put `big` in the catalog as planned for [`KEY`] (settled, fingerprinted, planned), as the
/// pipeline would have, so the engine's uploader starts it at once.
fn plan_upload(catalog_path: &Path, folder: &Path, big: &Path) -> Result<()> {
    let now = Timestamp::now();
    let mut catalog = Catalog::open(catalog_path)?;
    let folder = catalog.add_folder(folder, now)?;
    let stat = FileStat::from_metadata(&std::fs::metadata(big)?).context("stat the upload")?;
    let rel = RelPath::from_path(Path::new("BIG_0001.CR3"))?;
    let file = catalog.observe_file(folder, &rel, &stat, now)?.file();
    catalog.mark_ready(file, now)?;
    let fingerprint = fingerprint_file(big, &FingerprintOptions::default())?;
    catalog.record_fingerprint(
        file,
        fingerprint.sha256,
        Some(&fingerprint.crc64nvme_base64),
        None,
        now,
    )?;
    catalog.record_plan(file, KEY, now)?;
    Ok(())
}

/// `files` photos of a few bytes under `dir`, 1,000 per subfolder (as cards do); made once.
fn populate(files: usize, dir: &Path) -> Result<PathBuf> {
    let done = dir.join(".complete");
    if !done.exists() {
        eprintln!("creating {files} files in {}", dir.display());
        for i in 0..files {
            let sub = dir.join(format!("{:03}", i / 1000));
            if i % 1000 == 0 {
                std::fs::create_dir_all(&sub)?;
            }
            std::fs::write(sub.join(format!("IMG_{i:06}.JPG")), i.to_le_bytes())?;
        }
        std::fs::write(&done, b"")?;
    }
    Ok(dir.canonicalize()?)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What the recorder saw, as offsets from its origin.
#[derive(Debug, Default, Clone)]
struct Record {
    /// Each journalled part's `Uploading` event.
    parts: Vec<Duration>,
    /// Each `Scanned` event, with its folder.
    scanned: Vec<(Duration, String)>,
    /// When the recorder fell behind the bus (events were lost).
    lagged: Vec<Duration>,
    failed: Option<String>,
}

/// Records the engine's events on a thread of its own (with its own one-thread runtime), so
/// that when the engine's runtime stalls, the stall shows as a gap instead of a late recording.
struct Recorder {
    origin: Instant,
    record: Arc<Mutex<Record>>,
    stop: oneshot::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Recorder {
    fn start(mut events: broadcast::Receiver<EngineEvent>, origin: Instant) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let (stop, mut stopped) = oneshot::channel();
        let shared = Arc::clone(&record);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a one-thread runtime");
            runtime.block_on(async move {
                loop {
                    let event = tokio::select! {
                        _ = &mut stopped => break,
                        event = events.recv() => event,
                    };
                    let at = origin.elapsed();
                    let mut record = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    match event {
                        Ok(EngineEvent::File(file)) => match file.phase {
                            FilePhase::Uploading { part, .. } if part > 0 => record.parts.push(at),
                            FilePhase::Failed { code, message } => {
                                record.failed = Some(format!("{code}: {message}"));
                            }
                            _ => {}
                        },
                        Ok(EngineEvent::Scanned { folder, .. }) => {
                            record.scanned.push((at, folder));
                        }
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => record.lagged.push(at),
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
        });
        Self {
            origin,
            record,
            stop,
            thread,
        }
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Poll the record until `found` finds something (or [`PATIENCE`] runs out).
    async fn wait_for<T>(&self, what: &str, found: impl Fn(&Record) -> Option<T>) -> Result<T> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = found(&self.record.lock().unwrap_or_else(PoisonError::into_inner))
            {
                return Ok(value);
            }
            ensure!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stop(self) -> Record {
        // The thread may have ended already (the bus closed): nothing to stop then.
        let _ended = self.stop.send(());
        if self.thread.join().is_err() {
            eprintln!("the recorder thread panicked");
        }
        let record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        record.clone()
    }
}
