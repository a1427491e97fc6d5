//! `lightbox run`: the engine in the foreground, logging what happens, until
//! Ctrl-C or SIGTERM. Then a graceful stop: no new upload request, the part requests in flight
//! finish and are journalled for up to `upload.shutdown_grace_secs`, the rest is abandoned
//! (the next start resumes it), exit 0. SIGHUP reloads the settings and applies what can
//! change while running (`crate::config_reload`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config_reload::{LiveChange, plan_reload};
use crate::ops::{self, DaemonMetrics, EmfLines, EmfRounds, QueueProbe};
use anyhow::{Context, Result};
use lightbox_types::FailureCode;
use sync_core::config::Config;
use sync_core::engine::{
    CATALOG_FILE, Engine, EngineEvent, EngineSettings, FilePhase, UploadTarget, source_host,
};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// How long a stop waits, after the grace period, for components to finish their current step.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(config: &Config, config_path: Option<&Path>, folders: &[PathBuf]) -> Result<()> {
    let started = Instant::now();
    check_bucket(config).await?;
    let catalog_path = config.state_dir()?.join(CATALOG_FILE);
    let engine = Engine::start(&EngineSettings {
        catalog_path,
        ingest: config.ingest.clone(),
        upload: Some(upload_target(config).await?),
    })?;
    let metrics = Arc::new(DaemonMetrics::new(started));
    let ops_cancel = CancellationToken::new();
    let probe = engine.clone();
    let queue: QueueProbe = Arc::new(move || probe.queue_depth_blocking());
    let ops = match config.daemon.listen {
        Some(listen) => {
            let served = ops::serve(
                listen,
                Arc::clone(&metrics),
                Arc::clone(&queue),
                ops_cancel.clone(),
            )
            .await;
            // The JSON log gets the stable code; the exit message repeats the words.
            let server =
                served.inspect_err(|e| tracing::error!(code = e.code().as_str(), "{e}"))?;
            tracing::info!(addr = %server.addr, "serving /health and /metrics");
            Some(server)
        }
        None => None,
    };
    let emf = config.daemon.emf.then(|| {
        let rounds = Arc::new(EmfRounds::new(
            EmfLines::new(source_host()),
            Arc::clone(&metrics),
        ));
        // At least a second apart: a 0 would spin.
        let interval = Duration::from_secs(config.daemon.emf_interval_secs.max(1));
        let task = tokio::spawn(ops::emf_task(
            Arc::clone(&rounds),
            Arc::clone(&queue),
            interval,
            ops_cancel.clone(),
        ));
        tracing::info!(?interval, "writing CloudWatch EMF metric lines to stdout");
        (rounds, task)
    });
    drop(queue); // it holds an engine handle
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
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut in_force = config.clone();
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => { r?; break; }
            _ = term.recv() => break,
            _ = hangup.recv() => reload(&engine, &mut in_force, config_path).await,
        }
    }
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
    // The /health server and the EMF task hold engine handles: stop them first.
    ops_cancel.cancel();
    if let Some(server) = ops {
        server.join().await;
    }
    // The last EMF round shows the queue as the engine left it.
    let last_queue = match &emf {
        Some(_) => {
            let reader = engine.clone();
            let depth = tokio::task::spawn_blocking(move || reader.queue_depth_blocking()).await?;
            depth
                .inspect_err(|e| tracing::warn!(code = e.code().as_str(), "{e}"))
                .ok()
        }
        None => None,
    };
    drop(engine); // closes the event bus, which ends the logger
    logger.await?;
    if let Some((rounds, task)) = emf {
        task.await?;
        // Every event is counted now: this round makes the sums equal the totals.
        if let Err(e) = rounds.write(last_queue.as_ref()) {
            tracing::warn!(error = %e, "EMF: writing the last metric lines to stdout failed");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// The configured bucket, `[upload]` settings and `[index]` (the shared index, when a table is
/// named), as the engine's upload target.
pub async fn upload_target(config: &Config) -> Result<UploadTarget> {
    let storage = config.require_storage()?;
    let client =
        sync_core::s3_client::build_s3_client(storage, &config.auth, &config.state_dir()?).await;
    // The headless daemon uploads as the OS user it runs as (a signed-in user's Cognito
    // `sub` replaces this once the daemon can sign in).
    let uploader = std::env::var("USER").unwrap_or_else(|_| "lightbox".to_owned());
    let index = sync_core::index::build_index_table(
        &config.index,
        storage,
        &config.auth,
        &config.state_dir()?,
    )
    .await;
    Ok(UploadTarget {
        index,
        ..UploadTarget::from_config(config, &client, uploader)?
    })
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

/// SIGHUP: load the settings again and apply what can change while running
/// ([`plan_reload`]); log what changed, what was applied and what waits for a restart. A
/// file that does not load leaves the settings in force as they are.
async fn reload(engine: &Engine, in_force: &mut Config, config_path: Option<&Path>) {
    let loaded = match Config::load(config_path) {
        Ok(loaded) => loaded.config,
        Err(e) => {
            tracing::error!(
                code = FailureCode::ConfigReloadFailed.as_str(),
                "SIGHUP: settings not reloaded, the ones in force stay: {e}"
            );
            return;
        }
    };
    let plan = plan_reload(in_force, &loaded);
    if plan.is_empty() {
        tracing::info!("SIGHUP: settings reloaded, nothing changed");
        return;
    }
    for change in &plan.apply {
        match *change {
            LiveChange::BandwidthLimit(limit) => match engine.set_bandwidth_limit(limit).await {
                Ok(()) => in_force.upload.bandwidth_limit_mib_per_sec = limit,
                Err(e) => tracing::error!(code = e.code().as_str(), "SIGHUP: {e}"),
            },
        }
    }
    for s in &plan.applied {
        tracing::info!(setting = %s.path, old = %s.old, new = %s.new, "SIGHUP: setting applied");
    }
    for (s, why) in &plan.need_restart {
        tracing::warn!(
            setting = %s.path,
            old = %s.old,
            new = %s.new,
            "SIGHUP: setting changed, but it takes effect only after a restart ({why})"
        );
    }
}
