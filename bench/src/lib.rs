//! Benchmark harnesses for Lightbox. Figures and ratios for reports, never asserted
//! in tests (this machine is noisy); the smoke tests only check that they still run.

pub mod latency;
pub mod scan_gaps;
pub mod splitmix;
pub mod thumbs;
pub mod upload;

use std::path::Path;

use anyhow::Context as _;

/// The line every results file starts with: when it was written, at which commit (from
/// `BENCH_COMMIT`, which `bench/lib.sh` sets) and by which build. `bench/report.sh` quotes it
/// (a file's mtime would say when it was checked out).
#[must_use]
pub fn stamp(now: jiff::Timestamp, commit: Option<&str>) -> String {
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    let commit = commit.unwrap_or("unknown (not run by a bench/*.sh script)");
    format!(
        "Written {} at commit {commit} ({profile} build).",
        now.strftime("%Y-%m-%dT%H:%MZ")
    )
}

/// Write a benchmark's Markdown table to `out`, creating its folder, after the [`stamp`] line.
///
/// # Errors
/// When the folder or the file cannot be written.
pub fn write_report(out: &Path, markdown: &str) -> anyhow::Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    }
    let commit = std::env::var("BENCH_COMMIT").ok();
    let text = format!(
        "{}\n\n{markdown}",
        stamp(jiff::Timestamp::now(), commit.as_deref())
    );
    std::fs::write(out, text).with_context(|| format!("write {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The end of a bench that reports one summary: the summary as one JSON line on stdout, and its
/// Markdown table written to `out` when one is given ([`write_report`]).
///
/// # Errors
/// When the summary cannot be serialized or the report cannot be written.
pub fn print_and_report<S: serde::Serialize>(
    summary: &S,
    out: Option<&Path>,
    markdown: impl FnOnce(&S) -> String,
) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(summary)?);
    match out {
        Some(out) => write_report(out, &markdown(summary)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_names_the_time_the_commit_and_the_build() {
        let now: jiff::Timestamp = "2026-11-24T03:10:59Z".parse().expect("a time");
        let line = stamp(now, Some("abc1234"));
        let profile = if cfg!(debug_assertions) {
            "dev"
        } else {
            "release"
        };
        assert_eq!(
            line,
            format!("Written 2026-11-24T03:10Z at commit abc1234 ({profile} build).")
        );
        assert!(
            stamp(now, None).contains("at commit unknown (not run by a bench/*.sh script)"),
            "a run outside the scripts says so"
        );
    }
}
