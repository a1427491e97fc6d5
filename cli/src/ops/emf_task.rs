//! Writing the EMF lines: a round every interval on stdout, and one more at shutdown.

use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{DaemonMetrics, EmfLines, Now, QueueProbe};
use sync_core::engine::QueueDepth;
use sync_core::retry::RetryCounters;

/// The EMF lines of one daemon: what was written so far, and the metrics they read.
#[derive(Debug)]
pub struct EmfRounds {
    lines: Mutex<EmfLines>,
    metrics: Arc<DaemonMetrics>,
}

impl EmfRounds {
    #[must_use]
    pub fn new(lines: EmfLines, metrics: Arc<DaemonMetrics>) -> Self {
        Self {
            lines: Mutex::new(lines),
            metrics,
        }
    }

    /// Read the metrics now (`queue`: the catalog's, `None` when it could not be read) and
    /// write one round of lines to stdout, each with one `write(2)` so that a reader never
    /// sees half a document. Blocks: call it from a blocking thread or at shutdown.
    ///
    /// # Errors
    /// When stdout cannot be written.
    pub fn write(&self, queue: Option<&QueueDepth>) -> std::io::Result<()> {
        let now = Now::read();
        let samples = self
            .metrics
            .samples(queue, &RetryCounters::global().snapshot(), now);
        let lines = self
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .lines(&samples, now.wall);
        let mut out = std::io::stdout().lock();
        for line in lines {
            out.write_all(format!("{line}\n").as_bytes())?;
        }
        out.flush()
    }
}

/// Write a round of EMF lines every `interval` (the first one interval after the start) until
/// `cancel` fires. The last round, at shutdown, is the caller's ([`EmfRounds::write`] once
/// the engine's events are all counted).
pub async fn emf_task(
    rounds: Arc<EmfRounds>,
    queue: QueueProbe,
    interval: Duration,
    cancel: CancellationToken,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = ticks.tick() => {}
        }
        let rounds = Arc::clone(&rounds);
        let queue = Arc::clone(&queue);
        let written = tokio::task::spawn_blocking(move || {
            let depth = queue()
                .inspect_err(|e| {
                    tracing::warn!(
                        code = e.code().as_str(),
                        "EMF: the queue could not be read, its metrics are left out of this round: {e}"
                    );
                })
                .ok();
            rounds.write(depth.as_ref())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "EMF: writing the metric lines to stdout failed");
            }
            Err(e) => tracing::warn!(error = %e, "EMF: the round of metric lines ended abnormally"),
        }
    }
}
