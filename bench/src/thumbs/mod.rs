//! Thumbnails per CPU second: Lightbox's preview code (`sync_core::preview`, run in its own
//! process on one thread, as the previewer does per file) next to `vipsthumbnail` with
//! `VIPS_CONCURRENCY=1`, on the same photo-like 24 MP JPEGs, in alternating rounds (A B A B).
//! Both are timed by `/usr/bin/time` (CPU of every thread, peak RSS), so the ratio is per core
//! (`bench/thumbs.sh`).

pub mod dataset;
pub mod report;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};

use crate::upload::measure::{self, Invocation, Measurement};

/// Which previews are made of each photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    /// The gallery thumbnail only: 400 px, q80.
    Thumb,
    /// What the previewer makes per photo: the 2048 px screen preview (q85) and the thumbnail.
    ThumbAndScreen,
}

impl Job {
    pub const ALL: [Self; 2] = [Self::Thumb, Self::ThumbAndScreen];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Thumb => "thumb",
            Self::ThumbAndScreen => "thumb+screen",
        }
    }

    /// Parse a name from the command line.
    ///
    /// # Errors
    /// When the name is not a job.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|j| j.name() == name)
            .with_context(|| format!("unknown job {name:?}: use thumb or thumb+screen"))
    }

    /// (long edge, JPEG quality) per preview, as Lightbox's `PreviewKind`s define them.
    #[must_use]
    pub fn sizes(self) -> Vec<(u32, u8)> {
        match self {
            Self::Thumb => vec![(400, 80)],
            Self::ThumbAndScreen => vec![(2048, 85), (400, 80)],
        }
    }
}

/// The two contestants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maker {
    Lightbox,
    Vipsthumbnail,
}

impl Maker {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Lightbox => "lightbox",
            Self::Vipsthumbnail => "vipsthumbnail",
        }
    }
}

/// One measured run: every photo through one maker for one job.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Run {
    pub job: Job,
    pub maker: Maker,
    pub round: usize,
    pub images: usize,
    pub m: Measurement,
}

/// The command lines of one run: Lightbox is this benchmark's own `make` subcommand (`bench`),
/// vipsthumbnail is one process per preview size.
#[must_use]
pub fn invocations(
    maker: Maker,
    job: Job,
    bench: &Path,
    vipsthumbnail: &Path,
    photos: &[PathBuf],
    out: &Path,
) -> Vec<Invocation> {
    let files = photos.iter().map(|p| p.display().to_string());
    match maker {
        Maker::Lightbox => {
            let kinds = match job {
                Job::Thumb => "thumb",
                Job::ThumbAndScreen => "screen,thumb",
            };
            let mut args = vec![
                "make".to_owned(),
                "--kinds".to_owned(),
                kinds.to_owned(),
                "--out".to_owned(),
                out.display().to_string(),
            ];
            args.extend(files);
            vec![Invocation {
                program: bench.to_owned(),
                args,
                env: vec![],
            }]
        }
        Maker::Vipsthumbnail => job
            .sizes()
            .into_iter()
            .map(|(edge, quality)| {
                let mut args = vec![
                    "--size".to_owned(),
                    edge.to_string(),
                    "-o".to_owned(),
                    format!("{}/%s-{edge}.jpg[Q={quality}]", out.display()),
                ];
                args.extend(files.clone());
                Invocation {
                    program: vipsthumbnail.to_owned(),
                    args,
                    env: vec![("VIPS_CONCURRENCY".to_owned(), "1".to_owned())],
                }
            })
            .collect(),
    }
}

/// Run one maker over every photo into a fresh `out`, then check that every preview is there.
/// Several processes (vipsthumbnail's sizes) add up their wall and CPU time; the peak RSS is
/// the largest.
///
/// # Errors
/// When a process fails or a preview is missing.
pub fn run_once(
    invocations: &[Invocation],
    out: &Path,
    log: &Path,
    want_files: usize,
) -> Result<Measurement> {
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("clear {}", out.display()))?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("create {}", out.display()))?;
    let mut total = Measurement {
        wall_secs: 0.0,
        cpu_secs: 0.0,
        peak_rss_kib: 0,
    };
    for inv in invocations {
        let m = measure::run(inv, log, std::time::Duration::from_secs(3600))?;
        total.wall_secs += m.wall_secs;
        total.cpu_secs += m.cpu_secs;
        total.peak_rss_kib = total.peak_rss_kib.max(m.peak_rss_kib);
    }
    let made = std::fs::read_dir(out)?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "jpg"))
        .count();
    ensure!(
        made == want_files,
        "{} made {made} previews, not {want_files}",
        invocations
            .first()
            .map(Invocation::display)
            .unwrap_or_default()
    );
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vipsthumbnail_gets_one_process_per_size_with_lightboxs_qualities() {
        let photos = [PathBuf::from("/p/a.jpg"), PathBuf::from("/p/b.jpg")];
        let invs = invocations(
            Maker::Vipsthumbnail,
            Job::ThumbAndScreen,
            Path::new("/b/thumb-bench"),
            Path::new("vipsthumbnail"),
            &photos,
            Path::new("/out"),
        );
        let lines: Vec<String> = invs.iter().map(Invocation::display).collect();
        assert_eq!(
            lines,
            [
                "vipsthumbnail --size 2048 -o '/out/%s-2048.jpg[Q=85]' /p/a.jpg /p/b.jpg",
                "vipsthumbnail --size 400 -o '/out/%s-400.jpg[Q=80]' /p/a.jpg /p/b.jpg",
            ]
        );
        assert!(
            invs.iter()
                .all(|i| i.env == [("VIPS_CONCURRENCY".to_owned(), "1".to_owned())]),
            "one worker thread, so CPU seconds compare per core"
        );
        let lightbox = invocations(
            Maker::Lightbox,
            Job::ThumbAndScreen,
            Path::new("/b/thumb-bench"),
            Path::new("vipsthumbnail"),
            &photos,
            Path::new("/out"),
        );
        assert_eq!(
            lightbox[0].display(),
            "thumb-bench make --kinds screen,thumb --out /out /p/a.jpg /p/b.jpg",
            "Lightbox makes both sizes in one pass, as its previewer does"
        );
    }
}
