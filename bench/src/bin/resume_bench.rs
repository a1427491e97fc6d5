//! Bytes re-sent after a SIGKILL in the middle of the 2 GiB upload (run by `bench/resume.sh`):
//! `lightbox push` of the upload bench's 2 GiB file goes through the counting proxy
//! (`lightbox_tests::fault_proxy`) to the local Garage, is killed once `--kill-at` of the file
//! has gone up, then the same push runs again and resumes from its journal. Re-sent bytes =
//! part bytes forwarded in both runs − the file's size. The same measure as the `upload_crash`
//! test, once, on the bench's file and with the upload table's settings. Figures only.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use lightbox_bench::upload::dataset::{self, Workload};
use lightbox_bench::upload::target;
use lightbox_tests::fault_proxy::{FaultProxy, S3Operation};

#[derive(Parser)]
struct Cli {
    #[arg(long)]
    lightbox: PathBuf,
    /// The upload datasets (the 2 GiB file is written when missing).
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "big")]
    workload: String,
    #[arg(long, default_value_t = 8)]
    concurrency: u64,
    #[arg(long, default_value_t = 16)]
    part_size_mib: u64,
    /// The fraction of the file sent before the kill.
    #[arg(long, default_value_t = 0.5)]
    kill_at: f64,
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let stack = lightbox_tests::stack();
    let data = dataset::ensure(&cli.data, Workload::parse(&cli.workload)?)?;
    let bucket = stack.fresh_garage_bucket("resume").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .context("the counting proxy starts")?;
    let scratch = tempfile::tempdir_in(&cli.data)?;
    let push = || {
        let mut cmd = Command::new(&cli.lightbox);
        cmd.envs(stack.env_vars())
            .env("LIGHTBOX_STORAGE__BUCKET", &bucket)
            .env("LIGHTBOX_STORAGE__ENDPOINT", proxy.endpoint())
            .env("LIGHTBOX_STATE_DIR", scratch.path().join("state"))
            .args([
                "push",
                "--json",
                "--concurrency",
                &cli.concurrency.to_string(),
            ])
            .args([
                "--part-size-mib",
                &cli.part_size_mib.to_string(),
                "--catalog",
            ])
            .arg(scratch.path().join("catalog.sqlite"))
            .arg(&data.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };

    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a fraction of a byte count"
    )]
    let kill_after = (data.bytes as f64 * cli.kill_at) as u64;
    let mut first = push().spawn().context("lightbox push starts")?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while proxy.stats().forwarded_for(S3Operation::UploadPart) < kill_after {
        if let Some(status) = first.try_wait()? {
            bail!("the push ended ({status}) before it was killed");
        }
        ensure!(
            Instant::now() < deadline,
            "the push did not get far enough in time"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().context("SIGKILL the push")?;
    first.wait()?;
    let before = proxy.stats().forwarded_for(S3Operation::UploadPart);

    let second = push();
    let status = tokio::task::spawn_blocking(move || {
        let mut second = second;
        second.status()
    })
    .await??;
    ensure!(status.success(), "the resumed push failed: {status}");
    target::verify_and_drop(&stack.garage_s3(), &bucket, data.contents()).await?;
    let stats = proxy.stats();
    let total = stats.forwarded_for(S3Operation::UploadPart);
    let creates = stats.requests_of(S3Operation::CreateMultipartUpload);
    proxy.shutdown().await;

    let resent = total.saturating_sub(data.bytes);
    let bound = (cli.concurrency * cli.part_size_mib) << 20;
    let json = serde_json::json!({
        "file_bytes": data.bytes, "sent_before_kill": before, "sent_total": total,
        "resent_bytes": resent, "bound_bytes": bound, "create_multipart_uploads": creates,
    });
    println!("{json}");
    if let Some(out) = &cli.out {
        let mib = |b: u64| b >> 20;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "`lightbox push --concurrency {} --part-size-mib {}` of {} through a counting proxy to \
             Garage, SIGKILLed after {} MiB of parts had gone up, then run again.\n",
            cli.concurrency,
            cli.part_size_mib,
            Workload::parse(&cli.workload)?.description(),
            mib(before)
        );
        let _ = writeln!(
            md,
            "| file | part bytes sent before the kill | in all | re-sent | bound (parts in flight: concurrency × part size) | multipart uploads created |\n|---:|---:|---:|---:|---:|---:|"
        );
        let _ = writeln!(
            md,
            "| {} MiB | {} MiB | {} MiB | {} MiB | {} MiB | {creates} |",
            mib(data.bytes),
            mib(before),
            mib(total),
            mib(resent),
            mib(bound)
        );
        lightbox_bench::write_report(out, &md)?;
    }
    Ok(())
}
