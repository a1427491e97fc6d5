//! The physical limits next to the upload figures (run by `bench/limits.sh`):
//!
//! - **disk read**: the upload datasets read with `dd iflag=direct` (O_DIRECT: past the page
//!   cache, so this is the disk, not memory); when the filesystem refuses O_DIRECT, a plain
//!   read, reported as cached;
//! - **SHA-256 and CRC64-NVME per core**: the `sha2` and `crc64fast-nvme` crates Lightbox
//!   fingerprints with, on one thread over a 64 MiB buffer;
//! - **loopback TCP**: one sender thread and one receiver thread on 127.0.0.1;
//! - **what Garage absorbs**: s5cmd uploading the bulk set with `--numworkers 64`, the most
//!   any client can get through this server here.
//!
//! Figures only: nothing is asserted.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::Parser;
use lightbox_bench::splitmix::SplitMix;
use lightbox_bench::upload::dataset::{self, Workload};
use lightbox_bench::upload::measure;
use lightbox_bench::upload::peers::{self, Mode, Programs, RunDir, Tool};
use lightbox_bench::upload::target::{self, Target};
use serde_json::{Value, json};
use sha2::Digest as _;

#[derive(Parser)]
struct Cli {
    /// The upload datasets (`bench/upload.sh` writes them; missing ones are written).
    #[arg(long)]
    data: PathBuf,
    /// Workloads read from disk and pushed by s5cmd at high concurrency.
    #[arg(long, value_delimiter = ',', default_value = "bulk,big")]
    workloads: Vec<String>,
    /// Bytes hashed per algorithm, in MiB.
    #[arg(long, default_value_t = 2048)]
    hash_mib: u64,
    /// Bytes sent over loopback, in MiB.
    #[arg(long, default_value_t = 8192)]
    loopback_mib: u64,
    #[arg(long, default_value_t = 64)]
    s5cmd_workers: usize,
    #[arg(long)]
    s5cmd: PathBuf,
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let mut rows = Vec::new();
    let workloads: Vec<Workload> = cli
        .workloads
        .iter()
        .map(|w| Workload::parse(w))
        .collect::<Result<_>>()?;
    for &w in &workloads {
        let data = dataset::ensure(&cli.data, w)?;
        rows.push(disk_read(&data.dir, data.bytes)?);
    }
    rows.push(sha256_per_core(cli.hash_mib << 20));
    rows.push(crc64_per_core(cli.hash_mib << 20));
    rows.push(loopback(cli.loopback_mib << 20)?);
    for &w in &workloads {
        rows.push(garage_absorbs(&cli, w).await?);
    }
    for row in &rows {
        println!("{row}");
    }
    if let Some(out) = &cli.out {
        lightbox_bench::write_report(out, &markdown(&rows))?;
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

/// Every file of `dir` through `dd` to /dev/null, O_DIRECT when the filesystem allows it.
fn disk_read(dir: &Path, bytes: u64) -> Result<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let dd = |file: &Path, direct: bool| -> Result<bool> {
        let mut cmd = Command::new("dd");
        cmd.arg(format!("if={}", file.display()))
            .args(["of=/dev/null", "bs=16M"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if direct {
            cmd.arg("iflag=direct");
        }
        Ok(cmd.status().context("run dd")?.success())
    };
    let direct = files.first().is_some_and(|f| dd(f, true).unwrap_or(false));
    let started = Instant::now();
    for file in &files {
        ensure!(dd(file, direct)?, "dd of {} failed", file.display());
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "measure": format!("disk read, {} ({} files), {}", dir.display(), files.len(),
            if direct { "`dd bs=16M iflag=direct`: O_DIRECT, past the page cache" } else { "`dd bs=16M`: O_DIRECT refused, so partly from the page cache" }),
        "mb_per_s": mb_per_s(bytes, seconds),
        "direct": direct,
    }))
}

/// `bytes` through `update` on this thread, from a 64 MiB buffer of random bytes, in MB/s.
fn per_core(bytes: u64, mut update: impl FnMut(&[u8])) -> f64 {
    let mut data = vec![0_u8; 64 << 20];
    SplitMix(0x1234_5678).fill(&mut data);
    let started = Instant::now();
    let mut left = bytes;
    while left > 0 {
        let n = usize::try_from(left.min(data.len() as u64)).unwrap_or(data.len());
        update(&data[..n]);
        left -= n as u64;
    }
    mb_per_s(bytes, started.elapsed().as_secs_f64())
}

fn sha256_per_core(bytes: u64) -> Value {
    let mut hasher = sha2::Sha256::new();
    let speed = per_core(bytes, |chunk| hasher.update(chunk));
    std::hint::black_box(hasher.finalize());
    json!({ "measure": timed_here("SHA-256 on one core (`sha2`, as Lightbox fingerprints)"), "mb_per_s": speed })
}

fn crc64_per_core(bytes: u64) -> Value {
    let mut digest = crc64fast_nvme::Digest::new();
    let speed = per_core(bytes, |chunk| digest.write(chunk));
    std::hint::black_box(digest.sum64());
    json!({ "measure": timed_here("CRC64-NVME on one core (`crc64fast-nvme`, the S3 checksum)"), "mb_per_s": speed })
}

/// The label of a row timed inside this process: its figure is the limit only in a release
/// build (`bench/limits.sh`); a dev build keeps debug assertions in the hashing loops.
fn timed_here(label: &str) -> String {
    if cfg!(debug_assertions) {
        format!("{label}; **dev build: a floor, not the limit** (run `bench/limits.sh`)")
    } else {
        format!("{label}, release build")
    }
}

/// One TCP connection on 127.0.0.1: a sender thread writes `bytes`, this thread reads them.
fn loopback(bytes: u64) -> Result<Value> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sender = std::thread::spawn(move || -> std::io::Result<()> {
        let mut stream = std::net::TcpStream::connect(addr)?;
        let block = vec![0x5A_u8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            stream.write_all(&block[..n])?;
            left -= n as u64;
        }
        Ok(())
    });
    let (mut stream, _) = listener.accept()?;
    let started = Instant::now();
    let mut block = vec![0_u8; 1 << 20];
    let mut got = 0_u64;
    loop {
        let n = stream.read(&mut block)?;
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    sender
        .join()
        .map_err(|_| anyhow::anyhow!("the sender panicked"))??;
    ensure!(got == bytes, "received {got} of {bytes} bytes");
    Ok(
        json!({ "measure": "loopback TCP, one connection (sender and receiver threads, 1 MiB writes)", "mb_per_s": mb_per_s(bytes, seconds) }),
    )
}

/// s5cmd with many workers into a fresh bucket: what Garage itself takes in on this machine.
async fn garage_absorbs(cli: &Cli, workload: Workload) -> Result<Value> {
    let stack = lightbox_tests::stack::stack();
    let data = dataset::ensure(&cli.data, workload)?;
    let bucket = stack.fresh_garage_bucket("limits-s5cmd").await;
    let target = Target::garage(stack, &bucket);
    let programs = Programs {
        lightbox: PathBuf::new(),
        s5cmd: cli.s5cmd.clone(),
        rclone: PathBuf::new(),
        aws: PathBuf::new(),
    };
    let mode = Mode::Matched {
        concurrency: cli.s5cmd_workers,
        part_size_mib: 16,
    };
    let (inv, _) = peers::invocation(
        Tool::S5cmd,
        mode,
        &programs,
        &data.dir,
        &target,
        &RunDir(cli.data.clone()),
    );
    let m = measure::run(
        &inv,
        &cli.data.join("last-limits-s5cmd.log"),
        std::time::Duration::from_secs(600),
    )?;
    target::verify_and_drop(&stack.garage_s3(), &bucket, data.contents()).await?;
    Ok(json!({
        "measure": format!("Garage absorbs: s5cmd `--numworkers {0} cp --concurrency {0} --part-size 16`, {1}", cli.s5cmd_workers, workload.description()),
        "mb_per_s": mb_per_s(data.bytes, m.wall_secs),
        "cpu_s": m.cpu_secs,
    }))
}

fn markdown(rows: &[Value]) -> String {
    let mut md = String::from("| limit | MB/s |\n|---|---:|\n");
    for row in rows {
        let _ = writeln!(
            md,
            "| {} | {:.0} |",
            row["measure"].as_str().unwrap_or("?"),
            row["mb_per_s"].as_f64().unwrap_or(f64::NAN)
        );
    }
    md
}
