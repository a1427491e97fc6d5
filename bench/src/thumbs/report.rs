//! Medians and ratios of the thumbnail race, as Markdown. Pure: tested on made-up figures.

use std::fmt::Write as _;

use super::{Job, Maker, Run};

/// One table row: a maker's medians for one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub maker: Maker,
    pub rounds: usize,
    pub per_cpu_s: f64,
    pub per_wall_s: f64,
    pub cpu_ms_per_image: f64,
    pub peak_rss_mib: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The row of `maker` for `job`, when it ran.
#[must_use]
#[allow(clippy::cast_precision_loss, reason = "image counts far below 2^52")]
pub fn row(runs: &[Run], job: Job, maker: Maker) -> Option<Row> {
    let mine: Vec<&Run> = runs
        .iter()
        .filter(|r| r.job == job && r.maker == maker)
        .collect();
    let images = mine.first()?.images as f64;
    let cpu = median(mine.iter().map(|r| r.m.cpu_secs).collect());
    let wall = median(mine.iter().map(|r| r.m.wall_secs).collect());
    let rss = mine.iter().map(|r| r.m.peak_rss_kib).max().unwrap_or(0);
    Some(Row {
        maker,
        rounds: mine.len(),
        per_cpu_s: images / cpu,
        per_wall_s: images / wall,
        cpu_ms_per_image: cpu * 1000.0 / images,
        peak_rss_mib: rss as f64 / 1024.0,
    })
}

/// Lightbox's images per CPU second over vipsthumbnail's for `job` (> 1: Lightbox is faster).
#[must_use]
pub fn ratio(runs: &[Run], job: Job) -> Option<f64> {
    let lightbox = row(runs, job, Maker::Lightbox)?;
    let vips = row(runs, job, Maker::Vipsthumbnail)?;
    Some(lightbox.per_cpu_s / vips.per_cpu_s)
}

/// The table: one block per job, the goal (≥ 1.0× vipsthumbnail per CPU second) stated.
#[must_use]
pub fn markdown(runs: &[Run], images: usize, size: (u16, u16), vips_version: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{images} photo-like JPEGs of {}×{} (q92, 4:2:2, every 7th and 11th with an EXIF \
         orientation): Lightbox's `make_previews` called file by file from one thread (as one \
         previewer worker does; libjpeg-turbo decodes on that thread), \
         `{vips_version}` with `VIPS_CONCURRENCY=1`. Timed by `/usr/bin/time`: user + system CPU \
         of every thread, so the ratio is per core; file reads and writes included.\n",
        size.0, size.1
    );
    let _ = writeln!(
        md,
        "| previews per photo | tool | images / CPU s | images / wall s | CPU ms / image | peak RSS MiB | rounds | Lightbox ÷ vipsthumbnail (per CPU s) | goal ≥ 1.0× |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---|");
    for job in Job::ALL {
        let ratio = ratio(runs, job);
        for maker in [Maker::Lightbox, Maker::Vipsthumbnail] {
            let Some(r) = row(runs, job, maker) else {
                continue;
            };
            let (ratio_cell, goal_cell) = match (maker, ratio) {
                (Maker::Lightbox, Some(x)) => (
                    format!("{x:.2}×"),
                    (if x >= 1.0 { "met" } else { "not met" }).to_owned(),
                ),
                _ => (String::new(), String::new()),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.2} | {:.0} | {:.1} | {} | {ratio_cell} | {goal_cell} |",
                describe(job),
                maker.name(),
                r.per_cpu_s,
                r.per_wall_s,
                r.cpu_ms_per_image,
                r.peak_rss_mib,
                r.rounds,
            );
        }
    }
    md
}

fn describe(job: Job) -> &'static str {
    match job {
        Job::Thumb => "thumb (400 px, q80)",
        Job::ThumbAndScreen => "thumb + screen (2048 px q85, 400 px q80)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::measure::Measurement;

    fn run(job: Job, maker: Maker, round: usize, cpu: f64) -> Run {
        Run {
            job,
            maker,
            round,
            images: 100,
            m: Measurement {
                wall_secs: cpu * 1.1,
                cpu_secs: cpu,
                peak_rss_kib: 40 * 1024,
            },
        }
    }

    #[test]
    fn the_ratio_is_per_cpu_second_over_the_median_round() {
        let runs = [
            run(Job::Thumb, Maker::Lightbox, 1, 10.0),
            run(Job::Thumb, Maker::Vipsthumbnail, 1, 5.0),
            run(Job::Thumb, Maker::Lightbox, 2, 4.0),
            run(Job::Thumb, Maker::Vipsthumbnail, 2, 6.0),
            run(Job::Thumb, Maker::Lightbox, 3, 5.0),
            run(Job::Thumb, Maker::Vipsthumbnail, 3, 7.0),
        ];
        let lightbox = row(&runs, Job::Thumb, Maker::Lightbox).expect("ran");
        assert!(
            (lightbox.per_cpu_s - 20.0).abs() < 1e-9,
            "median CPU 5 s for 100 images"
        );
        let x = ratio(&runs, Job::Thumb).expect("both ran");
        assert!((x - 1.2).abs() < 1e-9, "20 ÷ (100 / 6) = 1.2, got {x}");
        let md = markdown(&runs, 100, (6000, 4000), "libvips 8.14.1");
        assert!(md.contains("| 1.20× | met |"), "{md}");
        assert!(
            !md.contains("thumb + screen"),
            "a job that did not run has no rows: {md}"
        );
    }
}
