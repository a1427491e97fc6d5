//! An engine on a temporary catalog and folder, and waiting for its events.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sync_core::config::IngestConfig;
use sync_core::engine::{Engine, EngineEvent, EngineSettings, FileEvent, FilePhase, UploadTarget};
use tokio::sync::broadcast;

/// Long enough for a loaded 2-core machine; tests never assert on time.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct TestEngine {
    pub engine: Engine,
    pub events: broadcast::Receiver<EngineEvent>,
    pub folder: PathBuf,
    pub state: PathBuf,
    /// Where the engine uploads (`None`: ingest only); kept for restarts.
    pub upload: Option<UploadTarget>,
    _dir: tempfile::TempDir,
}

/// Quick settling for tests; the slow-writer test sets its own.
pub fn fast_ingest() -> IngestConfig {
    let mut ingest = IngestConfig::default();
    ingest.settle.base_ms = 300;
    ingest
}

impl TestEngine {
    pub async fn start(ingest: IngestConfig) -> Self {
        Self::start_with(ingest, None).await
    }

    /// An engine that also uploads to `upload`.
    pub async fn start_with(ingest: IngestConfig, upload: Option<UploadTarget>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("camera");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::create_dir_all(&state).expect("mkdir");
        let (engine, events) = start_engine(&state, ingest, upload.clone());
        engine.add_folder(&folder).await.expect("the folder exists");
        Self {
            engine,
            events,
            folder,
            state,
            upload,
            _dir: dir,
        }
    }

    /// Stop and start again on the same catalog (what a restart of the app does).
    pub async fn restart(&mut self, ingest: IngestConfig) {
        self.engine.stop(PATIENCE).await.expect("stops");
        let (engine, events) = start_engine(&self.state, ingest, self.upload.clone());
        self.engine = engine;
        self.events = events;
    }

    /// Wait for a file event matching `want`; panics with `what` after [`PATIENCE`].
    pub async fn wait_for(
        &mut self,
        what: &str,
        mut want: impl FnMut(&FileEvent) -> bool,
    ) -> FileEvent {
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                match self.events.recv().await {
                    Ok(EngineEvent::File(event)) if want(&event) => return event,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        panic!("engine stopped before {what}")
                    }
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    /// Every file event that arrives within `quiet` of the previous one.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<FileEvent> {
        let mut seen = Vec::new();
        while let Ok(Ok(event)) = tokio::time::timeout(quiet, self.events.recv()).await {
            if let EngineEvent::File(e) = event {
                seen.push(e);
            }
        }
        seen
    }
}

fn start_engine(
    state: &Path,
    ingest: IngestConfig,
    upload: Option<UploadTarget>,
) -> (Engine, broadcast::Receiver<EngineEvent>) {
    let settings = EngineSettings {
        catalog_path: state.join("catalog.sqlite"),
        ingest,
        upload,
    };
    let engine = Engine::start(&settings).expect("the engine starts on a fresh catalog");
    let events = engine.subscribe();
    (engine, events)
}

pub fn is_planned(path: &Path) -> impl Fn(&FileEvent) -> bool + '_ {
    move |e| e.path == path.display().to_string() && matches!(e.phase, FilePhase::Planned { .. })
}

pub fn planned_key(event: &FileEvent) -> &str {
    match &event.phase {
        FilePhase::Planned { key } => key,
        other => panic!("expected a planned event, got {other:?}"),
    }
}
