//! The upload driver: takes `Planned` files to verified objects in the bucket (DESIGN.md,
//! data flow step 5), a few files at a time, newest first.
//!
//! One task (a [`super::job_runner::JobRunner`] of [`Uploader`]) picks work from the catalog and
//! keeps a `JoinSet` of per-file jobs ([`super::upload_job`]); each job keeps a `JoinSet` of its
//! part requests. Every handle is joined: `Engine::stop` cancels the token, jobs stop starting
//! parts, abandon the request in flight, and the loop waits for them. The catalog's multipart journal makes the next start
//! resume with only the missing parts.
//!
//! What gets picked, each time a slot is free (woken when a job ends, when a file is `Planned`,
//! once a second for due retries, and at most once per burst of events: [`super::wake`]):
//! 1. `Uploading` rows not in flight (left by an earlier run: resume them first, so parts
//!    already sent do not expire);
//! 2. `Planned` rows, newest mtime first;
//! 3. `Failed` rows that failed while uploading and whose `next_attempt_at` has come
//!    ([`crate::catalog::Catalog::retry`] puts them back first).
//!
//! Nothing is picked while paused ([`UploaderCommand::Pause`]): the transfer's pause gate
//! ([`crate::upload::TransferControls`]) also holds the requests of jobs already running, so
//! only requests already sent finish. Each change of the controls goes out as
//! [`EngineEvent::UploadControls`].
//!
//! Before the first pick, the overwrite guard is chosen (`upload.overwrite_guard`; `auto` probes
//! whether the endpoint honours `If-None-Match`, [`crate::upload::guard_probe`]), and multipart
//! uploads under `originals/` that the journal does not know and that are older than
//! `upload.orphan_min_age_hours` are aborted ([`crate::upload::orphans`]).
//!
//! A verified original stays `Uploaded`: the previewer (`super::preview`) makes it `Done`.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::events::EngineEvent;
use super::job_runner::{AtStop, Busy, Hold, JobKind, Release};
use super::upload_job::{JobContext, JobOutcome, JobSettings, upload_file};
use super::wake::{Look, uploader_look};
use crate::catalog::CatalogHandle;
use lightbox_types::FileState;

use crate::catalog::{CatalogError, FileId, FileRecord};
use crate::config::{OverwriteGuardSetting, PreviewConfig, UploadConfig};
use crate::retry::{ErrorClass, RetryPolicy, Setback};
use crate::upload::{OverwriteGuard, S3Transfer, TransferControls, abort_orphaned_uploads};
use lightbox_types::object_keys::ORIGINALS_PREFIX;

/// How often due retries and deferred files are looked at when nothing else happens.
const TICK: Duration = Duration::from_secs(1);
/// Where the engine uploads originals, and what it writes about who uploaded them.
#[derive(Debug, Clone)]
pub struct UploadTarget {
    /// The bucket and a client (its SDK retries off: the uploader's `Retrier` retries).
    pub transfer: S3Transfer,
    /// The uploader identity written to object metadata (the Cognito `sub`, or the daemon's
    /// role name).
    pub uploader: String,
    /// This machine's name, written to object metadata.
    pub source_host: String,
    pub config: UploadConfig,
    /// `[previews]`: whether and how verified originals get previews (the previewer).
    pub previews: PreviewConfig,
    /// The shared photo index (`[index]`, docs/index.md); `None`: this station's catalog is
    /// the only truth, as without a table.
    pub index: Option<crate::index::IndexTable>,
}

impl UploadTarget {
    /// Upload to `transfer` with the default `[upload]` settings.
    #[must_use]
    pub fn new(
        transfer: S3Transfer,
        uploader: impl Into<String>,
        source_host: impl Into<String>,
    ) -> Self {
        Self {
            transfer,
            uploader: uploader.into(),
            source_host: source_host.into(),
            config: UploadConfig::default(),
            previews: PreviewConfig::default(),
            index: None,
        }
    }
}

impl UploadTarget {
    /// The configured bucket through `client`, with `[upload]` and `[previews]` from `config`,
    /// as `uploader` from this machine ([`source_host`]).
    ///
    /// # Errors
    /// When no bucket is configured.
    pub fn from_config(
        config: &crate::config::Config,
        client: &aws_sdk_s3::Client,
        uploader: impl Into<String>,
    ) -> Result<Self, crate::config::ConfigError> {
        let storage = config.require_storage()?;
        Ok(Self {
            config: config.upload.clone(),
            previews: config.previews.clone(),
            ..Self::new(
                S3Transfer::new(client, &storage.bucket),
                uploader,
                source_host(),
            )
        })
    }
}

/// This machine's name for object metadata: `HOSTNAME`, else `/etc/hostname`.
#[must_use]
pub fn source_host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// What the engine asks of the uploader (its own mpsc channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UploaderCommand {
    Pause,
    Resume,
    /// MiB per second over all uploads; `None` or 0: unlimited.
    SetBandwidthLimit(Option<u64>),
}

pub(crate) struct Uploader {
    ctx: Arc<JobContext<S3Transfer>>,
    concurrency: usize,
    orphan_min_age: SignedDuration,
    overwrite_guard: OverwriteGuardSetting,
}

impl Uploader {
    /// An uploader for `target`, writing to the engine's bus `events` (the jobs do). Run it
    /// with a [`JobRunner`] whose receiver is subscribed before the pipeline starts, so no
    /// `Planned` event is missed.
    pub(crate) fn new(
        target: &UploadTarget,
        catalog: CatalogHandle,
        events: broadcast::Sender<EngineEvent>,
    ) -> Self {
        let config = &target.config;
        target
            .transfer
            .controls()
            .set_bandwidth_limit(config.bandwidth_limit_mib_per_sec);
        let mib = 1024 * 1024;
        let settings = JobSettings {
            uploader: target.uploader.clone(),
            source_host: target.source_host.clone(),
            max_requests_in_flight: config.max_requests_in_flight,
            multipart_threshold: config.multipart_threshold_mib.saturating_mul(mib),
            part_size: config
                .part_size_mib
                .map(|size| size.max(5).saturating_mul(mib)),
            retry: RetryPolicy::default(),
        };
        let ctx = JobContext::new(catalog, target.transfer.clone(), events, settings);
        Self {
            ctx: Arc::new(ctx),
            concurrency: config.concurrency.max(1),
            overwrite_guard: config.overwrite_guard,
            orphan_min_age: SignedDuration::from_hours(
                i64::try_from(config.orphan_min_age_hours).unwrap_or(i64::MAX / 3600),
            ),
        }
    }

    fn controls(&self) -> &TransferControls {
        self.ctx.transfer.controls()
    }

    /// `upload.overwrite_guard`: as set, or probed once (`auto`).
    async fn choose_overwrite_guard(&self) {
        let transfer = &self.ctx.transfer;
        let guard = match self.overwrite_guard {
            OverwriteGuardSetting::Auto => transfer.probe_overwrite_guard().await,
            OverwriteGuardSetting::HeadFirst => OverwriteGuard::HeadFirst,
            OverwriteGuardSetting::IfNoneMatch => OverwriteGuard::IfNoneMatch,
        };
        transfer.set_overwrite_guard(guard);
    }

    /// Abort multipart uploads of ours that no journal knows (see [`crate::upload::orphans`]).
    async fn abort_orphans(&self) {
        let journal = match self.ctx.catalog.run(|c| c.journalled_upload_ids()).await {
            Ok(ids) => ids.into_iter().collect(),
            Err(e) => return tracing::error!(error = %e, "cannot read the upload journal"),
        };
        let swept = abort_orphaned_uploads(
            &self.ctx.transfer,
            &self.ctx.retrier,
            ORIGINALS_PREFIX,
            &journal,
            Timestamp::now(),
            self.orphan_min_age,
        )
        .await;
        match swept {
            Ok(sweep) if sweep.aborted.is_empty() && sweep.failed == 0 => {}
            Ok(sweep) => tracing::info!(
                listed = sweep.listed,
                aborted = sweep.aborted.len(),
                failed = sweep.failed,
                "orphaned multipart uploads swept"
            ),
            // Not a reason to stop uploading: the next start (or the lifecycle rule) sweeps.
            Err(e) => tracing::warn!(error = %e, "cannot list multipart uploads to sweep orphans"),
        }
    }

    /// Up to `free` rows to start, in the order they should start, leaving out the `busy`
    /// files; `due_retries`: also put due upload failures back first.
    async fn candidates(
        &self,
        free: usize,
        due_retries: bool,
        busy: Busy,
    ) -> Result<Vec<FileRecord>, CatalogError> {
        let now = Timestamp::now();
        let limit = free + busy.len();
        self.ctx
            .catalog
            .run(move |c| {
                // Due retries of upload failures go back to the state they failed in first.
                let failed = if due_retries {
                    c.files_due(FileState::Failed, now, limit)?
                } else {
                    Vec::new()
                };
                for failed in failed {
                    let ours = matches!(
                        failed.failed_in,
                        Some(FileState::Planned | FileState::Uploading | FileState::Uploaded)
                    );
                    if ours && !busy.in_flight.contains(&failed.id) {
                        // Back to `Uploaded` (if it failed there): the previewer finishes it.
                        c.retry(failed.id, now)?;
                    }
                }
                let held = |id: FileId| busy.contains(id);
                let mut rows = c.files_due_except(FileState::Uploading, now, free, held)?;
                let left = free - rows.len();
                rows.extend(c.files_due_except(FileState::Planned, now, left, held)?);
                Ok(rows)
            })
            .await
    }
}

impl JobKind for Uploader {
    type Outcome = JobOutcome;
    type Command = UploaderCommand;
    const JOB: &'static str = "upload";
    /// The first pick looks at everything, due retries included.
    const FIRST_LOOK: Look = Look::Everything;
    /// Jobs see the cancelled token, stop starting parts and abandon the request in flight;
    /// the journal makes the next start resume them.
    const AT_STOP: AtStop = AtStop::Join;
    /// A held-back file is taken up at the first look after its wait.
    const RELEASE: Release = Release::WhenDue;

    fn wakes(event: &Result<EngineEvent, RecvError>) -> Look {
        uploader_look(event)
    }

    fn tick_period(&self) -> Duration {
        TICK
    }

    async fn prepare(&mut self) {
        self.choose_overwrite_guard().await;
        self.abort_orphans().await;
    }

    /// Due retries and files held back are looked at once a second.
    fn on_tick(&mut self) -> Look {
        Look::Everything
    }

    /// Apply `command`; a resume is a reason to look at the queue.
    fn on_command(&mut self, command: UploaderCommand) -> Look {
        let controls = self.controls();
        match command {
            UploaderCommand::Pause => {
                controls.set_paused(true);
            }
            UploaderCommand::Resume => {
                controls.set_paused(false);
            }
            UploaderCommand::SetBandwidthLimit(limit) => controls.set_bandwidth_limit(limit),
        }
        let event = EngineEvent::UploadControls {
            paused: controls.is_paused(),
            bandwidth_limit_mib_per_sec: controls.bandwidth_limit(),
        };
        if self.ctx.events.send(event).is_err() {
            tracing::debug!("no one listens to the upload controls change");
        }
        if controls.is_paused() {
            Look::Nothing
        } else {
            Look::Queue
        }
    }

    fn slots(&self) -> usize {
        self.concurrency
    }

    /// Nothing while paused; a look at everything also puts due upload failures back.
    async fn pick(&mut self, free: usize, look: Look, busy: Busy) -> Vec<FileRecord> {
        if self.controls().is_paused() {
            return Vec::new();
        }
        match self.candidates(free, look == Look::Everything, busy).await {
            Ok(candidates) => candidates,
            Err(e) => {
                tracing::error!(error = %e, "cannot list files to upload");
                Vec::new()
            }
        }
    }

    fn start(
        &self,
        record: FileRecord,
        cancel: CancellationToken,
    ) -> impl Future<Output = (FileId, JobOutcome)> + Send + 'static {
        upload_file(Arc::clone(&self.ctx), record, cancel)
    }

    /// A file held back waits the [`crate::retry::FileRetrySchedule`]'s step for its
    /// `in_a_row`-th setback.
    fn hold(&mut self, outcome: &JobOutcome, in_a_row: u32) -> Hold {
        let setback = match outcome {
            // Left to the pipeline, which re-plans the file.
            JobOutcome::Deferred => Setback::FileChanged,
            // Each try asks for fresh credentials once more.
            JobOutcome::AwaitingCredentials => Setback::Failed(ErrorClass::RefreshCredentials),
            JobOutcome::Finished | JobOutcome::Stopped => return Hold::No,
        };
        let wait = self.ctx.schedule.delay(setback, in_a_row, &mut rand::rng());
        Hold::For(wait.unwrap_or(TICK))
    }
}
