//! Thumbnails per CPU second, Lightbox vs vipsthumbnail (run by `bench/thumbs.sh`):
//!
//! - `race`: writes the photo-like JPEGs once, then per round and job runs Lightbox (this
//!   binary's `make`, in its own process) and vipsthumbnail on all of them, alternately;
//!   prints every run as a JSON line and writes the Markdown table to `--out`.
//! - `make`: Lightbox's side: for each file, read it the way the previewer does
//!   (`read_source`), `make_previews` on this thread, write the JPEGs.
//!
//! Figures only: nothing here asserts a time.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use lightbox_bench::thumbs::dataset::{self, PhotoSet};
use lightbox_bench::thumbs::{self, Job, Maker, Run, report};
use lightbox_types::object_keys::PreviewKind;
use sync_core::preview::{make_previews, read_source};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The race (see the module docs).
    Race(Race),
    /// Make previews of FILES into OUT (Lightbox's side of the race).
    Make {
        /// Comma-separated: thumb, screen.
        #[arg(long, value_delimiter = ',')]
        kinds: Vec<String>,
        #[arg(long)]
        out: PathBuf,
        files: Vec<PathBuf>,
    },
}

#[derive(clap::Args, Clone)]
struct Race {
    /// Where the photos are written once and reused, and the previews go.
    #[arg(long)]
    work: PathBuf,
    #[arg(long, default_value_t = 500)]
    images: usize,
    /// 6000 × 4000 = 24 MP.
    #[arg(long, default_value_t = 6000)]
    width: u16,
    #[arg(long, default_value_t = 4000)]
    height: u16,
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// Jobs, comma-separated: thumb, thumb+screen.
    #[arg(long, value_delimiter = ',', default_value = "thumb,thumb+screen")]
    jobs: Vec<String>,
    #[arg(long, default_value = "vipsthumbnail")]
    vipsthumbnail: PathBuf,
    /// The Markdown table.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Race(race) => {
            let md = run_race(&race)?;
            if let Some(out) = &race.out {
                lightbox_bench::write_report(out, &md)?;
            }
        }
        Command::Make { kinds, out, files } => make(&kinds, &out, &files)?,
    }
    Ok(())
}

fn run_race(race: &Race) -> Result<String> {
    let jobs: Vec<Job> = race
        .jobs
        .iter()
        .map(|j| Job::parse(j))
        .collect::<Result<_>>()?;
    let set = PhotoSet {
        count: race.images,
        width: race.width,
        height: race.height,
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let photos = dataset::ensure(&race.work, set, cores)?;
    let bench = std::env::current_exe().context("this benchmark's own path")?;
    let mut runs = Vec::new();
    for round in 1..=race.rounds.max(1) {
        for &job in &jobs {
            for maker in [Maker::Lightbox, Maker::Vipsthumbnail] {
                let out = race.work.join(format!("out-{}", maker.name()));
                let invs =
                    thumbs::invocations(maker, job, &bench, &race.vipsthumbnail, &photos, &out);
                let log = race.work.join(format!("last-{}.log", maker.name()));
                let want = photos.len() * job.sizes().len();
                let m = thumbs::run_once(&invs, &out, &log, want)?;
                let run = Run {
                    job,
                    maker,
                    round,
                    images: photos.len(),
                    m,
                };
                println!("{}", serde_json::to_string(&run)?);
                runs.push(run);
            }
        }
    }
    Ok(report::markdown(
        &runs,
        photos.len(),
        (race.width, race.height),
        &vips_version(&race.vipsthumbnail),
    ))
}

/// Lightbox's side: one thread, file by file, as the previewer's worker does.
fn make(kinds: &[String], out: &std::path::Path, files: &[PathBuf]) -> Result<()> {
    let kinds: Vec<PreviewKind> = kinds
        .iter()
        .map(|k| match k.as_str() {
            "thumb" => Ok(PreviewKind::Thumb),
            "screen" => Ok(PreviewKind::Screen),
            other => anyhow::bail!("unknown preview kind {other:?}: use thumb or screen"),
        })
        .collect::<Result<_>>()?;
    std::fs::create_dir_all(out)?;
    for file in files {
        let previews = read_source(file)
            .and_then(|bytes| make_previews(&bytes, &kinds))
            .with_context(|| format!("no previews of {}", file.display()))?;
        let stem = file
            .file_stem()
            .context("a file name")?
            .to_string_lossy()
            .into_owned();
        for preview in previews {
            let name = format!("{stem}-{}.jpg", sync_core::preview::long_edge(preview.kind));
            std::fs::write(out.join(name), &preview.jpeg)?;
        }
    }
    Ok(())
}

fn vips_version(program: &std::path::Path) -> String {
    std::process::Command::new(program)
        .arg("--vips-version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "vipsthumbnail".to_owned())
}
