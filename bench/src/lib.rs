//! Benchmark harnesses for Lightbox. Figures and ratios for reports, never asserted
//! in tests (this machine is noisy); the smoke tests only check that they still run.

pub mod latency;
pub mod splitmix;
pub mod thumbs;
pub mod upload;

use std::path::Path;

use anyhow::Context as _;

/// Write a benchmark's Markdown table to `out`, creating its folder.
///
/// # Errors
/// When the folder or the file cannot be written.
pub fn write_report(out: &Path, markdown: &str) -> anyhow::Result<()> {
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
    }
    std::fs::write(out, markdown).with_context(|| format!("write {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
