//! `lightbox run`: the engine in the foreground, logging what happens, until
//! Ctrl-C or SIGTERM. Then a graceful stop: no new upload request, the part requests in flight
//! finish and are journalled for up to `upload.shutdown_grace_secs`, the rest is abandoned
//! (the next start resumes it), exit 0.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sync_core::config::Config;
use sync_core::engine::{
    CATALOG_FILE, Engine, EngineEvent, EngineSettings, FilePhase, UploadTarget,
};
use sync_core::ops::{self, DaemonMetrics, QueueProbe};
use tokio_util::sync::CancellationToken;

/// How long a stop waits, after the grace period, for components to finish their current step.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(config: &Config, folders: &[PathBuf]) -> Result<()> {
    check_bucket(config).await?;
    let catalog_path = config.state_dir()?.join(CATALOG_FILE);
    let engine = Engine::start(&EngineSettings {
        catalog_path,
        ingest: config.ingest.clone(),
        upload: Some(upload_target(config).await?),
    })?;
    let metrics = Arc::new(DaemonMetrics::new());
    let ops_cancel = CancellationToken::new();
    let ops = match config.daemon.listen {
        Some(listen) => {
            let probe = engine.clone();
            let queue: QueueProbe = Arc::new(move || probe.counts().map_err(|e| e.to_string()));
            Some(ops::serve(listen, Arc::clone(&metrics), queue, ops_cancel.clone()).await?)
        }
        None => None,
    };
    let mut events = engine.subscribe();
    let logger = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    metrics.observe(&event, Instant::now());
                    log_event(&event);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "event log fell behind");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    for folder in folders {
        engine.add_folder(folder).await?;
    }
    tracing::info!(bucket = %config.storage.bucket, "lightbox is running; Ctrl-C stops it");
    shutdown_signal().await?;
    let grace = Duration::from_secs(config.upload.shutdown_grace_secs);
    tracing::info!(
        ?grace,
        "stopping: no new uploads, waiting for the requests in flight"
    );
    let report = engine.shutdown(grace, STOP_TIMEOUT).await?;
    if !report.drained {
        tracing::warn!(
            ?grace,
            "upload requests still in flight after the grace period were abandoned; \
             the next start resumes them"
        );
    }
    // The /health server holds an engine handle: stop it first.
    ops_cancel.cancel();
    if let Some(server) = ops {
        server.join().await;
    }
    drop(engine); // closes the event bus, which ends the logger
    logger.await?;
    tracing::info!("stopped");
    Ok(())
}

/// The configured bucket and `[upload]` settings, as the engine's upload target.
pub async fn upload_target(config: &Config) -> Result<UploadTarget> {
    let storage = config.require_storage()?;
    let client =
        sync_core::s3_client::build_s3_client(storage, &config.auth, &config.state_dir()?).await;
    // The headless daemon uploads as the OS user it runs as (a signed-in user's Cognito
    // `sub` replaces this once the daemon can sign in).
    let uploader = std::env::var("USER").unwrap_or_else(|_| "lightbox".to_owned());
    Ok(UploadTarget::from_config(config, &client, uploader)?)
}

fn log_event(event: &EngineEvent) {
    match event {
        EngineEvent::File(f) => match &f.phase {
            FilePhase::Planned { key } => tracing::info!(path = %f.path, %key, "planned"),
            FilePhase::Skipped { reason, detail } => {
                tracing::info!(path = %f.path, %reason, "skipped: {detail}");
            }
            FilePhase::Failed { code, message } => {
                tracing::warn!(path = %f.path, %code, "failed: {message}");
            }
            FilePhase::Vanished => tracing::info!(path = %f.path, "vanished before upload"),
            FilePhase::Uploaded { key, duplicate } => {
                tracing::info!(path = %f.path, %key, duplicate, "uploaded");
            }
            phase => tracing::debug!(path = %f.path, ?phase),
        },
        EngineEvent::Scanned { .. } => tracing::debug!(?event),
        EngineEvent::FolderUnavailable { folder, reason } => {
            tracing::warn!(%folder, %reason, "folder unavailable; nothing is treated as deleted");
        }
        EngineEvent::UploadControls {
            paused,
            bandwidth_limit_mib_per_sec,
        } => tracing::info!(paused, ?bandwidth_limit_mib_per_sec, "upload controls"),
    }
}

pub async fn check_bucket(config: &Config) -> Result<()> {
    let storage = config.require_storage()?;
    let client =
        sync_core::s3_client::build_s3_client(storage, &config.auth, &config.state_dir()?).await;
    client
        .head_bucket()
        .bucket(&storage.bucket)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
        .with_context(|| {
            format!(
                "bucket {} is not reachable: check storage.endpoint, storage.region and the credentials",
                storage.bucket
            )
        })?;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
