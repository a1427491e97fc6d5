//! What the ingest drivers (detect, settle, hash, plan) share: announcing a file's step on the
//! engine's bus, and recording the two ends a file can meet at any step, a failure and its
//! disappearance, in the catalog.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::broadcast;

use super::events::{EngineEvent, FileEvent, FilePhase};
use crate::catalog::{CatalogHandle, FileId};
use crate::retry::{ErrorClass, FileRetrySchedule, Setback};
use lightbox_types::FailureCode;

/// The shortest wait before a step the catalog could not record is tried again, should the
/// schedule give none.
const MIN_CATALOG_WAIT: Duration = Duration::from_millis(10);

/// The catalog and the bus, for the ingest drivers. Clones share both.
#[derive(Clone)]
pub(crate) struct Recorder {
    catalog: CatalogHandle,
    events: broadcast::Sender<EngineEvent>,
    /// When a file held back by a driver (a failed read, an unwritable catalog) is due again.
    /// The drivers do not count a file's setbacks in a row: each waits the first step.
    schedule: FileRetrySchedule,
}

impl Recorder {
    pub(crate) fn new(catalog: CatalogHandle, events: broadcast::Sender<EngineEvent>) -> Self {
        Self {
            catalog,
            events,
            schedule: FileRetrySchedule::default(),
        }
    }

    /// How long a step the catalog could not record (disk full: a settled file's `ready`, a
    /// fingerprint) waits before it is tried again.
    pub(crate) fn catalog_wait(&self) -> Duration {
        let wait = self
            .schedule
            .delay(Setback::CatalogUnwritable, 1, &mut rand::rng());
        wait.unwrap_or(MIN_CATALOG_WAIT)
    }

    /// When a file whose read or plan failed with `class` at `now` is due again.
    pub(crate) fn retry_at(&self, class: ErrorClass, now: Timestamp) -> Option<Timestamp> {
        self.schedule
            .next_attempt_at(Setback::Failed(class), 1, now, &mut rand::rng())
    }

    /// Record that `file` failed with `code` (due again at `retry_at`, never when `None`), and
    /// say so on the bus.
    pub(crate) async fn fail(
        &self,
        file: FileId,
        path: &Path,
        code: FailureCode,
        message: &str,
        retry_at: Option<Timestamp>,
    ) {
        tracing::warn!(path = %path.display(), code = code.as_str(), message, "file failed");
        let now = Timestamp::now();
        let recorded_message = message.to_owned();
        if let Err(e) = self
            .catalog
            .run(move |c| c.record_failure(file, code, &recorded_message, retry_at, now))
            .await
        {
            tracing::error!(path = %path.display(), error = %e, "cannot record the failure");
        }
        self.emit_file(
            file,
            path,
            FilePhase::Failed {
                code,
                message: message.to_owned(),
            },
        );
    }

    /// Record that `file` is gone from disk before it was uploaded, and say so on the bus.
    pub(crate) async fn vanished(&self, file: FileId, path: &Path) {
        match self.catalog.run(move |c| c.mark_vanished(file)).await {
            Ok(Some(_)) => {
                tracing::info!(path = %path.display(), "file vanished before it was uploaded; dropped from the queue");
                self.emit_file(file, path, FilePhase::Vanished);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot drop vanished file");
            }
        }
    }

    pub(crate) fn emit_file(&self, file: FileId, path: &Path, phase: FilePhase) {
        self.emit(EngineEvent::File(FileEvent {
            file: file.get(),
            path: path.display().to_string(),
            phase,
        }));
    }

    pub(crate) fn emit(&self, event: EngineEvent) {
        // An error only means nobody is subscribed right now; the catalog has the state.
        if self.events.send(event).is_err() {
            tracing::trace!("engine event with no subscriber");
        }
    }
}
