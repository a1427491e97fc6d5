//! Gallery benchmarks (run by `bench/gallery.sh`): on the local Garage, through the gallery's
//! own code (`sync_core::gallery`, `sync_core::preview`):
//!
//! - **listing**: `gallery::refresh` of one day prefix holding `--objects` originals (100,000 by
//!   default) into a fresh cache: `ListObjectsV2` 1000 a page, then the SQLite write;
//! - **first page**: `GalleryCache::page` of 200 from that cache plus a presigned thumb URL per
//!   item (`Bucket::presign_get` of the preview key), the median of `--page-runs`.
//!
//! Thumbnails per CPU second against vipsthumbnail are `thumb-bench` (`bench/thumbs.sh`).
//!
//! The objects are seeded once per bucket (many concurrent tiny `PutObject`s with the
//! original-key layout and Lightbox's metadata); a marker object records that the seeding
//! finished, so later runs reuse them. Figures only: nothing here asserts a time.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use aws_sdk_s3::Client;
use clap::Parser;
use lightbox_types::object_keys::{PreviewKind, preview_key};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sync_core::credential_expiry::CredentialExpiry;
use sync_core::gallery::{Bucket, GalleryCache, refresh, url_lifetime};
use sync_core::upload::ObjectMeta;

/// The day every seeded original is under.
const DAY_PREFIX: &str = "originals/2026/01/15/";

#[derive(Parser, Debug, Clone)]
struct Cli {
    /// Originals under the day prefix.
    #[arg(long, default_value_t = 100_000)]
    objects: usize,
    /// The Garage bucket (created if missing; reused when its marker says it is seeded).
    #[arg(long, default_value = "lightbox-gallery-bench")]
    bucket: String,
    /// Concurrent `PutObject`s while seeding.
    #[arg(long, default_value_t = 64)]
    put_concurrency: usize,
    /// Full listings timed (the median is reported).
    #[arg(long, default_value_t = 3)]
    list_runs: usize,
    /// First-page runs timed (the median is reported).
    #[arg(long, default_value_t = 20)]
    page_runs: usize,
    /// The Markdown table.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let report = run(&cli).await?;
    lightbox_bench::print_and_report(&report, cli.out.as_deref(), markdown)
}

async fn run(cli: &Cli) -> Result<Value> {
    let client = lightbox_tests::stack().garage_s3();
    let bucket = Bucket {
        client: client.clone(),
        bucket: cli.bucket.clone(),
        credentials: CredentialExpiry::default(),
    };
    let seeding = seed(&client, cli).await?;
    let listing = listing(&bucket, cli).await?;
    let page = first_page(&bucket, cli).await?;
    Ok(json!({
        "machine": machine(),
        "profile": if cfg!(debug_assertions) { "dev (dependencies at opt-level 2)" } else { "release" },
        "date": jiff::Timestamp::now().to_string(),
        "objects": cli.objects,
        "seeding": seeding,
        "listing": listing,
        "first_page": page,
    }))
}

fn marker_key(objects: usize) -> String {
    format!("bench-marker/gallery-{objects}-under-{DAY_PREFIX}")
}

fn object_key(i: usize) -> String {
    format!("{DAY_PREFIX}IMG_{i:06}.jpg")
}

/// Put `--objects` tiny originals unless the bucket's marker says they are there already.
async fn seed(client: &Client, cli: &Cli) -> Result<Value> {
    match client.create_bucket().bucket(&cli.bucket).send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
            }) => {}
        Err(e) => bail!(
            "cannot create bucket {}: {}",
            cli.bucket,
            aws_sdk_s3::error::DisplayErrorContext(e)
        ),
    }
    let marker = marker_key(cli.objects);
    if client
        .head_object()
        .bucket(&cli.bucket)
        .key(&marker)
        .send()
        .await
        .is_ok()
    {
        eprintln!("{} objects already seeded (marker {marker})", cli.objects);
        return Ok(json!({ "reused": true }));
    }
    eprintln!("seeding {} objects under {DAY_PREFIX}", cli.objects);
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..cli.put_concurrency.max(1) {
        let (client, bucket, next, total) = (
            client.clone(),
            cli.bucket.clone(),
            Arc::clone(&next),
            cli.objects,
        );
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return anyhow::Ok(());
                }
                put_original(&client, &bucket, i).await?;
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.context("a seeding task panicked")??;
    }
    client
        .put_object()
        .bucket(&cli.bucket)
        .key(&marker)
        .body(Vec::new().into())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("marker: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(json!({
        "reused": false, "seconds": seconds,
        "puts_per_s": per_second(cli.objects, seconds),
    }))
}

/// One tiny original with the key layout and the metadata the uploader writes.
async fn put_original(client: &Client, bucket: &str, i: usize) -> Result<()> {
    let key = object_key(i);
    let body = format!("lightbox gallery bench object {i}").into_bytes();
    let name = key.rsplit('/').next().unwrap_or(&key).to_owned();
    let meta = ObjectMeta {
        sha256: <[u8; 32]>::from(Sha256::digest(&body)).into(),
        original_name: name,
        capture_time: Some("2026-01-15T10:00:00+01:00".to_owned()),
        source_host: "bench".to_owned(),
        uploader: "bench".to_owned(),
    };
    client
        .put_object()
        .bucket(bucket)
        .key(&key)
        .set_metadata(Some(meta.to_user_metadata()))
        .body(body.into())
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(())
}

/// `gallery::refresh` of the day prefix into a fresh cache, `--list-runs` times.
async fn listing(bucket: &Bucket, cli: &Cli) -> Result<Value> {
    let dir = tempfile::tempdir()?;
    let mut refresh_s = Vec::new();
    let mut list_s = Vec::new();
    for run in 0..cli.list_runs.max(1) {
        let started = Instant::now();
        let listed = bucket.list_all(DAY_PREFIX).await?;
        list_s.push(started.elapsed().as_secs_f64());
        ensure!(
            listed.len() == cli.objects,
            "the day prefix holds {} objects, not {}",
            listed.len(),
            cli.objects
        );
        let mut cache = GalleryCache::open(&dir.path().join(format!("cache-{run}.sqlite")))?;
        let started = Instant::now();
        let count = refresh(bucket, &mut cache, DAY_PREFIX).await?;
        refresh_s.push(started.elapsed().as_secs_f64());
        ensure!(count == cli.objects, "refresh cached {count} objects");
        ensure!(
            usize::try_from(cache.count(DAY_PREFIX)?)? == cli.objects,
            "the cache holds every object"
        );
    }
    let refresh = median(&mut refresh_s);
    Ok(json!({
        "runs": refresh_s.len(),
        "refresh_median_s": refresh,
        "list_only_median_s": median(&mut list_s),
        "objects_per_s": per_second(cli.objects, refresh),
        "refresh_all_s": refresh_s,
    }))
}

/// A cache filled once, then `--page-runs` × (open the cache, page of 200, 200 presigned thumb
/// URLs): the gallery opening a day from its cache.
async fn first_page(bucket: &Bucket, cli: &Cli) -> Result<Value> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("gallery-cache.sqlite");
    let mut cache = GalleryCache::open(&path)?;
    refresh(bucket, &mut cache, DAY_PREFIX).await?;
    drop(cache);
    let lifetime = url_lifetime(jiff::Timestamp::now(), None);
    let want = cli.objects.min(200);
    let mut total_ms = Vec::new();
    let mut query_ms = Vec::new();
    for _ in 0..cli.page_runs.max(1) {
        let started = Instant::now();
        let cache = GalleryCache::open(&path)?;
        let page = cache.page(DAY_PREFIX, None, 200)?;
        query_ms.push(ms(started.elapsed()));
        let mut urls = Vec::with_capacity(page.items.len());
        for item in &page.items {
            let thumb = preview_key(PreviewKind::Thumb, &item.key)
                .with_context(|| format!("{} is not an original", item.key))?;
            urls.push(bucket.presign_get(&thumb, lifetime).await?);
        }
        total_ms.push(ms(started.elapsed()));
        ensure!(urls.len() == want, "a page of {} URLs", urls.len());
    }
    Ok(json!({
        "runs": total_ms.len(),
        "items": want,
        "median_ms": median(&mut total_ms),
        "open_and_query_median_ms": median(&mut query_ms),
        "all_ms": total_ms,
    }))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, load average at start {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
fn per_second(count: usize, seconds: f64) -> f64 {
    count as f64 / seconds
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn markdown(r: &Value) -> String {
    let f = |v: &Value| {
        v.as_f64()
            .map_or_else(|| "n/a".to_owned(), |x| format!("{x:.2}"))
    };
    let (l, p) = (&r["listing"], &r["first_page"]);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Generated by `bench/gallery.sh` on {}.",
        r["date"].as_str().unwrap_or("")
    );
    let _ = writeln!(
        md,
        "Machine: {}. Build: {}. Figures from one run; targets are compared, never asserted.\n",
        r["machine"].as_str().unwrap_or(""),
        r["profile"].as_str().unwrap_or("?")
    );
    let _ = writeln!(md, "| measure | Lightbox | peer / target | ratio |");
    let _ = writeln!(md, "|---|---|---|---|");
    let _ = writeln!(
        md,
        "| full listing of {} objects into the cache (`gallery::refresh`, median of {}) | {} s (ListObjectsV2 alone {} s) | target ≤ 10 s | {} of target |",
        r["objects"],
        l["runs"],
        f(&l["refresh_median_s"]),
        f(&l["list_only_median_s"]),
        l["refresh_median_s"]
            .as_f64()
            .map_or_else(|| "n/a".to_owned(), |s| format!("{:.2}×", s / 10.0))
    );
    let _ = writeln!(
        md,
        "| first page: open cache, {} items, presigned thumb URLs (median of {}) | {} ms (open + query {} ms) | target ≤ 50 ms | {} of target |",
        p["items"],
        p["runs"],
        f(&p["median_ms"]),
        f(&p["open_and_query_median_ms"]),
        p["median_ms"]
            .as_f64()
            .map_or_else(|| "n/a".to_owned(), |m| format!("{:.2}×", m / 50.0))
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smoke version that keeps the benchmark from rotting: tiny sizes, every path run,
    /// counts checked, times never.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gallery_benchmark_runs_at_tiny_sizes() {
        let bucket = lightbox_tests::stack()
            .fresh_garage_bucket("gallery-bench")
            .await;
        let cli = Cli::parse_from([
            "gallery-bench",
            "--objects",
            "250",
            "--bucket",
            &bucket,
            "--list-runs",
            "1",
            "--page-runs",
            "2",
        ]);
        let first = run(&cli).await.expect("the benchmark runs");
        assert_eq!(
            first["seeding"]["reused"], false,
            "a fresh bucket is seeded"
        );
        assert_eq!(
            first["first_page"]["items"], 200,
            "a full first page of 200"
        );
        let md = markdown(&first);
        assert!(md.contains("| first page"), "the table has its rows: {md}");
        let again = run(&cli).await.expect("the benchmark runs again");
        assert_eq!(
            again["seeding"]["reused"], true,
            "the marker object lets a second run reuse the seeded objects"
        );
    }
}
