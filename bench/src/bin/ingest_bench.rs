//! Ingest benchmarks (run by `bench/ingest.sh`, which also measures peak RSS with
//! `/usr/bin/time -v`):
//!
//! - `scan --files N DIR`: the reconciliation scan of a folder whose N files are
//!   already catalogued (the case the periodic rescan hits), after a first scan
//!   that catalogues them.
//! - `fingerprint FILE`: one streaming fingerprint pass (SHA-256 + CRC64-NVME + EXIF).
//!
//! Prints one JSON object per run. Times are figures for the report, never asserted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use jiff::Timestamp;
use sync_core::catalog::{Catalog, CatalogHandle};
use sync_core::engine::scan_folder;
use sync_core::ingest::{Filter, FilterSettings, FingerprintOptions, fingerprint_file};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan DIR holding N small photos (created if missing) twice: cataloguing, then unchanged.
    Scan {
        #[arg(long, default_value_t = 100_000)]
        files: usize,
        dir: PathBuf,
    },
    /// Fingerprint FILE once.
    Fingerprint { file: PathBuf },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Scan { files, dir } => println!("{}", scan(files, &dir)?),
        Command::Fingerprint { file } => println!("{}", fingerprint(&file)?),
    }
    Ok(())
}

/// Create `files` tiny JPEG-named files under `dir`, 1,000 per subfolder (as cards do).
fn populate(files: usize, dir: &Path) -> Result<PathBuf> {
    let photos = dir.join("photos");
    for i in 0..files {
        let sub = photos.join(format!("{:03}", i / 1000));
        let path = sub.join(format!("IMG_{i:06}.JPG"));
        if !path.exists() {
            std::fs::create_dir_all(&sub)?;
            std::fs::write(&path, i.to_le_bytes())?;
        }
    }
    Ok(photos.canonicalize()?)
}

fn scan(files: usize, dir: &Path) -> Result<serde_json::Value> {
    let root = populate(files, dir)?;
    let catalog_path = dir.join("bench-catalog.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _absent = std::fs::remove_file(format!("{}{suffix}", catalog_path.display()));
    }
    let mut catalog = Catalog::open(&catalog_path)?;
    let id = catalog.add_folder(&root, Timestamp::now())?;
    let folder = catalog.get_folder(id)?.context("folder just added")?;
    let filter = Filter::new(&FilterSettings::default())?;
    // As in the engine: the catalog on its own thread, the scan committing in batches.
    let catalog = CatalogHandle::start(catalog)?;

    let started = Instant::now();
    let first = scan_folder(&catalog, &folder, &filter, Timestamp::now())?;
    let first_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let again = scan_folder(&catalog, &folder, &filter, Timestamp::now())?;
    let rescan_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        again.unchanged == first.new && again.new == 0,
        "the rescan must find every file unchanged: {again:?}"
    );
    Ok(serde_json::json!({
        "bench": "scan", "files": files, "catalogued": first.new,
        "first_scan_s": first_s, "rescan_s": rescan_s, "rescan_unchanged": again.unchanged,
    }))
}

fn fingerprint(file: &Path) -> Result<serde_json::Value> {
    let started = Instant::now();
    let fp = fingerprint_file(file, &FingerprintOptions::default())?;
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)] // a throughput figure
    let mb_per_s = fp.size as f64 / 1e6 / seconds;
    Ok(serde_json::json!({
        "bench": "fingerprint", "bytes": fp.size, "seconds": seconds, "mb_per_s": mb_per_s,
        "sha256": fp.sha256.to_hex(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smoke version that keeps the benchmark from rotting: small, and it checks
    /// counts, never times.
    #[test]
    fn scan_and_fingerprint_benchmarks_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let report = scan(2_500, dir.path()).expect("scan bench runs");
        assert_eq!(report["catalogued"], 2_500, "every file is catalogued once");
        assert_eq!(
            report["rescan_unchanged"], 2_500,
            "and found unchanged by the rescan"
        );
        let file = dir.path().join("big.bin");
        std::fs::write(&file, vec![3u8; 3 * 1024 * 1024 + 5]).expect("write");
        let fp = fingerprint(&file).expect("fingerprint bench runs");
        assert_eq!(fp["bytes"], 3 * 1024 * 1024 + 5);
    }
}
