//! `lightbox push PATH...`: upload files and folders once, then exit.
//!
//! The same engine as `lightbox run` (pipeline and uploader; there is no second upload path),
//! on a catalog of its own, with three differences:
//! - **no settle window**: the user names files that are already complete, so the settle
//!   window is zero (a file still open for writing is caught by the open probe, and a file that
//!   changes under the upload is caught by the stat check and the server's whole-object
//!   checksum, as in the daemon);
//! - **no periodic rescan**, and single files are queued without scanning their folder;
//! - it **exits** once nothing it queued is still on its way, with a non-zero code when any
//!   file failed.
//!
//! The catalog is a temporary one by default, so every push checks the bucket afresh (a file
//! already there is found by `HeadObject` and counted as `duplicate`, never sent twice).
//! `--catalog PATH` keeps the journal instead: a push that was killed resumes its multipart
//! uploads with only the missing parts when run again with the same `PATH`.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lightbox_types::FileState;
use serde_json::json;
use sync_core::config::Config;
use sync_core::engine::{CATALOG_FILE, Engine, EngineEvent, EngineSettings, FileEvent, FilePhase};
use sync_core::ingest::{Filter, Verdict};
use tokio::sync::broadcast::error::RecvError;

use crate::cli::PushArgs;
use crate::run::{check_bucket, upload_target};

/// How often the catalog is asked whether anything is still on its way.
const IDLE_CHECK: Duration = Duration::from_millis(250);
/// How long the engine gets to stop after the last file.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn push(config: &Config, args: PushArgs) -> Result<ExitCode> {
    check_bucket(config).await?;
    let mut config = config.clone();
    apply_overrides(&mut config, &args);
    let temporary = tempfile::tempdir().context("cannot create a temporary catalog directory")?;
    let catalog_path = args
        .catalog
        .clone()
        .unwrap_or_else(|| temporary.path().join(CATALOG_FILE));
    let engine = Engine::start(&EngineSettings {
        catalog_path,
        ingest: config.ingest.clone(),
        upload: Some(upload_target(&config).await?),
    })?;
    let mut events = engine.subscribe();
    let filter = Filter::new(&config.ingest.filter)?;
    let mut adding = tokio::spawn(add_paths(engine.clone(), filter, args.paths.clone()));
    let mut view = PushView::new(args.json);
    let started = Instant::now();
    let mut idle = tokio::time::interval(IDLE_CHECK);
    let mut added: Option<Vec<String>> = None;
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(EngineEvent::File(event)) => view.on_event(&event),
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => view.lagged += missed,
                Err(RecvError::Closed) => break,
            },
            _ = idle.tick() => {
                if added.is_none() && adding.is_finished() {
                    added = Some((&mut adding).await.context("adding the paths failed")?);
                }
                if added.is_some() && !busy(&engine).await? {
                    break;
                }
            }
        }
    }
    // Whatever is still buffered finished before the idle check.
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::File(event) = event {
            view.on_event(&event);
        }
    }
    engine.stop(STOP_TIMEOUT).await?;
    let path_errors = added.unwrap_or_default();
    Ok(view.finish(&path_errors, started.elapsed()))
}

/// `--concurrency` is both the files and the requests in flight at once (as for s5cmd's
/// workers); `--part-size-mib` the multipart part size. Push settles nothing (see module docs)
/// and never rescans.
fn apply_overrides(config: &mut Config, args: &PushArgs) {
    if let Some(concurrency) = args.concurrency {
        config.upload.concurrency = concurrency.max(1);
        config.upload.max_requests_in_flight = concurrency.max(1);
    }
    if let Some(part_size) = args.part_size_mib {
        config.upload.part_size_mib = Some(part_size);
    }
    let settle = &mut config.ingest.settle;
    settle.base_ms = 0;
    settle.extra_ms_per_step = 0;
    settle.max_ms = 0;
    config.ingest.rescan_interval_secs = u64::from(u32::MAX);
}

/// Queue every path (folders are scanned, files queued alone); the errors, one per path.
async fn add_paths(engine: Engine, filter: Filter, paths: Vec<PathBuf>) -> Vec<String> {
    let mut errors = Vec::new();
    for path in paths {
        let added = if path.is_dir() {
            engine.add_folder(&path).await.map(|_| true)
        } else {
            engine.add_file(&path).await
        };
        match added {
            Ok(true) => {}
            Ok(false) => {
                let name = path.file_name().map(Path::new).unwrap_or(&path);
                errors.push(left_out_line(&path, &filter.verdict(name)));
            }
            Err(e) => errors.push(format!("{}: {e} ({})", path.display(), e.code())),
        }
    }
    errors
}

/// The line for a file named on the command line that the filter leaves out, with the real
/// reason and what to change.
fn left_out_line(path: &Path, verdict: &Verdict) -> String {
    let hint = match verdict {
        Verdict::NotAPhoto(Some(_)) => "set [ingest.filter] kinds to upload it",
        Verdict::NotAPhoto(None) | Verdict::Ignored(_) | Verdict::Candidate => {
            "rename it or change [ingest.filter]"
        }
    };
    format!("{}: not uploaded, {verdict}; {hint}", path.display())
}

async fn busy(engine: &Engine) -> Result<bool> {
    let counts = engine.counts().await?;
    // Anything not at rest (done, skipped, or failed until a retry) is still on its way.
    Ok(FileState::ALL
        .into_iter()
        .filter(|state| {
            !matches!(
                state,
                FileState::Done | FileState::Skipped | FileState::Failed
            )
        })
        .any(|state| counts.get(state) > 0))
}

/// How a file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Uploaded,
    Duplicate,
    Skipped,
    Failed,
    Vanished,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Uploaded => "uploaded",
            Self::Duplicate => "duplicate",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
            Self::Vanished => "vanished",
        }
    }
}

#[derive(Default)]
struct FileProgress {
    sent: u64,
    total: u64,
    bar: Option<ProgressBar>,
    outcome: Option<Outcome>,
}

/// Progress bars on a terminal (overall bytes and files, one bar per multipart file), JSON
/// lines with `--json`, and the summary.
struct PushView {
    json: bool,
    bars: MultiProgress,
    overall: ProgressBar,
    files: HashMap<i64, FileProgress>,
    failures: Vec<String>,
    lagged: u64,
}

impl PushView {
    fn new(json: bool) -> Self {
        let target = if json || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bars = MultiProgress::with_draw_target(target);
        let overall = bars.add(ProgressBar::new(0));
        overall.set_style(
            ProgressStyle::with_template(
                "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            json,
            bars,
            overall,
            files: HashMap::new(),
            failures: Vec::new(),
            lagged: 0,
        }
    }

    fn on_event(&mut self, event: &FileEvent) {
        let file = self.files.entry(event.file).or_default();
        let outcome = match &event.phase {
            FilePhase::Uploading {
                parts,
                bytes_sent,
                bytes_total,
                ..
            } => {
                if file.total == 0 {
                    file.total = *bytes_total;
                    self.overall.inc_length(*bytes_total);
                    if *parts > 1 {
                        let bar = self.bars.add(ProgressBar::new(*bytes_total));
                        bar.set_style(
                            ProgressStyle::with_template(
                                "  {bar:30} {binary_bytes}/{binary_total_bytes} {wide_msg}",
                            )
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        bar.set_message(event.path.clone());
                        file.bar = Some(bar);
                    }
                }
                self.overall.inc(bytes_sent.saturating_sub(file.sent));
                file.sent = file.sent.max(*bytes_sent);
                if let Some(bar) = &file.bar {
                    bar.set_position(file.sent);
                }
                None
            }
            FilePhase::Uploaded { duplicate, .. } => Some(if *duplicate {
                Outcome::Duplicate
            } else {
                Outcome::Uploaded
            }),
            // Done without an upload: the content was already in the bucket.
            FilePhase::Done {
                duplicate: true, ..
            } => Some(Outcome::Duplicate),
            FilePhase::Skipped { .. } => Some(Outcome::Skipped),
            FilePhase::Failed { .. } => Some(Outcome::Failed),
            FilePhase::Vanished => Some(Outcome::Vanished),
            _ => None,
        };
        let Some(outcome) = outcome else { return };
        file.outcome = Some(outcome);
        if let Some(bar) = file.bar.take() {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
        let line = file_line(event, outcome);
        if outcome == Outcome::Failed {
            self.failures.push(failure_text(event));
        }
        if self.json {
            println!("{line}");
        }
        self.overall.set_message(self.files_message());
    }

    fn count(&self, outcome: Outcome) -> usize {
        self.files
            .values()
            .filter(|f| f.outcome == Some(outcome))
            .count()
    }

    fn files_message(&self) -> String {
        let finished = self.files.values().filter(|f| f.outcome.is_some()).count();
        format!("{finished}/{} files", self.files.len())
    }

    fn finish(self, path_errors: &[String], elapsed: Duration) -> ExitCode {
        self.overall.finish_and_clear();
        let bytes: u64 = self
            .files
            .values()
            .filter(|f| f.outcome == Some(Outcome::Uploaded))
            .map(|f| f.total)
            .sum();
        let failed = self.count(Outcome::Failed) + path_errors.len();
        let summary = json!({
            "summary": {
                "files": self.files.len(),
                "uploaded": self.count(Outcome::Uploaded),
                "duplicate": self.count(Outcome::Duplicate),
                "skipped": self.count(Outcome::Skipped),
                "vanished": self.count(Outcome::Vanished),
                "failed": failed,
                "bytes_uploaded": bytes,
                "seconds": elapsed.as_secs_f64(),
                "path_errors": path_errors,
                "events_missed": self.lagged,
            }
        });
        if self.json {
            println!("{summary}");
        } else {
            for failure in self.failures.iter().chain(path_errors) {
                eprintln!("FAILED {failure}");
            }
            println!(
                "{} uploaded, {} already in the bucket, {} skipped, {} failed; {:.1} MiB in {:.1} s",
                self.count(Outcome::Uploaded),
                self.count(Outcome::Duplicate),
                self.count(Outcome::Skipped),
                failed,
                bytes_as_mib(bytes),
                elapsed.as_secs_f64(),
            );
        }
        if failed > 0 {
            if !self.json {
                eprintln!(
                    "{failed} file(s) failed: fix what each message says, then run the same \
                     push again (files already in the bucket are not sent twice)"
                );
            }
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn file_line(event: &FileEvent, outcome: Outcome) -> serde_json::Value {
    let mut line = json!({"path": event.path, "status": outcome.as_str()});
    match &event.phase {
        FilePhase::Uploaded { key, .. } | FilePhase::Done { key: Some(key), .. } => {
            line["key"] = json!(key);
        }
        FilePhase::Skipped { reason, detail } => {
            line["code"] = json!(reason);
            line["message"] = json!(detail);
        }
        FilePhase::Failed { code, message } => {
            line["code"] = json!(code);
            line["message"] = json!(message);
        }
        _ => {}
    }
    line
}

fn failure_text(event: &FileEvent) -> String {
    match &event.phase {
        FilePhase::Failed { code, message } => format!("{}: {code}: {message}", event.path),
        _ => event.path.clone(),
    }
}

#[allow(clippy::cast_precision_loss)] // a figure for people
fn bytes_as_mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::ingest::FilterSettings;

    #[test]
    fn a_file_named_on_the_command_line_and_left_out_gets_its_real_reason() {
        let filter = Filter::new(&FilterSettings::default()).expect("default filter");
        for (name, says) in [
            (
                "notes.txt",
                ".txt files are not uploaded with the current file types; set [ingest.filter] kinds",
            ),
            ("IMG_1.jpg.part", "a temporary file still being written"),
            (".hidden.jpg", "hidden, or inside a hidden folder"),
            ("._IMG_1.jpg", "a system or sidecar file"),
        ] {
            let line = left_out_line(Path::new(name), &filter.verdict(Path::new(name)));
            assert!(line.contains(says), "{name}: {line}");
            if name == "notes.txt" {
                assert!(
                    !line.contains("temporary") && !line.contains("sidecar"),
                    "the file-type setting left it out, nothing else: {line}"
                );
            }
        }
    }
}
