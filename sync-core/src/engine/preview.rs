//! The preview driver: takes `Uploaded` rows (original verified in the bucket) to `Done`
//! by making their thumbnail and screen preview from the local file and putting them under
//! `previews/` (DESIGN.md, data flow step 6).
//!
//! The catalog is the queue, as for the uploader: the bus only wakes the previewer (an
//! `Uploaded` event, a lag, a finished job), and every wake-up lists `Uploaded` rows. At start
//! and every `previews.catchup_interval_secs` it looks again, which is the catch-up: a restart
//! after a crash between upload and preview, a lagged receiver, or a preview upload that failed
//! all end with previews.
//!
//! Per row (one job; at most `previews.workers` at once, decoding on a blocking thread):
//! 1. The ledger already says `made` for the key: `Done` at once.
//! 2. The local file is checked ([`check_source`]): gone (its folder still there) is recorded as
//!    no preview, `preview_source_missing`; changed since it was hashed, `preview_source_changed`
//!    (the bytes are no longer the original's); an unavailable folder or an unreadable file is
//!    left for the next catch-up.
//! 3. Previews are made; a format without previews (HEIC, a non-image) is found from the first
//!    bytes without reading the whole file.
//! 4. The two PUTs run under the [`Retrier`]; if they still fail the row stays `Uploaded` and is
//!    left alone for the [`FileRetrySchedule`]'s wait, then taken up at the next catch-up.
//! 5. The outcome (`made`, or `none` with its code) and `Uploaded → Done` are one transaction
//!    ([`crate::catalog::Catalog::finish_previews`]). A preview problem never fails the original.
//!
//! With `previews.enabled = false`, `Uploaded` rows become `Done` at once, without a ledger entry.
//!
//! With a shared index, step 5 is preceded by make-live ([`go_live`], docs/index.md, "Make
//! live"): the verified original and its previews (made or not) go live in the index in one
//! write, under this station's reservation. If the index cannot be reached the row stays
//! `Uploaded` and the next catch-up tries again.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use super::events::{EngineEvent, FilePhase};
use super::job_runner::{AtStop, Busy, Hold, JobKind, Release};
use super::plan_index::SharedIndex;
use super::upload::UploadTarget;
use super::wake::{Look, previewer_look};
use crate::catalog::CatalogHandle;
use crate::catalog::{CatalogError, FileId, FileRecord, PreviewStatus, SOURCE_MISSING_MESSAGE};
use crate::config::PreviewConfig;
use crate::ingest::stat_file;
use lightbox_types::object_keys::{PreviewKind, preview_key};
use lightbox_types::{FailureCode, FileStat, FileState};

use crate::preview::{Preview, PreviewError, make_previews, read_source};
use crate::retry::{
    ErrorClass, FileRetrySchedule, Retrier, RetryError, RetryPolicy, Setback, TokioClock,
};
use crate::upload::{RefreshTransferCredentials, S3Call, S3Transfer, UploadError};

/// What every preview job shares.
struct PreviewContext {
    transfer: S3Transfer,
    catalog: CatalogHandle,
    retrier: Retrier<TokioClock, RefreshTransferCredentials>,
    /// The bus, for the `Done` of each finished row.
    events: broadcast::Sender<EngineEvent>,
    /// The shared index, where verified originals go live.
    index: Option<SharedIndex>,
}

pub(crate) struct Previewer {
    ctx: Arc<PreviewContext>,
    settings: PreviewConfig,
    /// `settings.worker_count()`, asked once: it reads the cgroup files each time, which cost
    /// 3 % of a small-file upload when it was asked at every look.
    workers: usize,
    /// How long a held-back row waits before a catch-up takes it up again.
    schedule: FileRetrySchedule,
}

impl JobKind for Previewer {
    /// What held the row back, `None` when it is finished.
    type Outcome = Option<Setback>;
    type Command = Infallible;
    const JOB: &'static str = "preview";
    /// The catch-up tick at start (at once) is the first look.
    const FIRST_LOOK: Look = Look::Nothing;
    /// Decoding threads run to their end; their results are dropped and the rows stay
    /// `Uploaded` for the next start.
    const AT_STOP: AtStop = AtStop::Abort;
    /// A row whose wait is over is taken up at the next catch-up.
    const RELEASE: Release = Release::AtTick;

    fn wakes(event: &Result<EngineEvent, RecvError>) -> Look {
        previewer_look(event)
    }

    fn tick_period(&self) -> Duration {
        Duration::from_secs(self.settings.catchup_interval_secs.max(1))
    }

    /// The catch-up (the runner has released the rows left for it).
    fn on_tick(&mut self) -> Look {
        Look::Queue
    }

    fn on_command(&mut self, command: Infallible) -> Look {
        match command {}
    }

    fn slots(&self) -> usize {
        self.workers
    }

    /// `Uploaded` rows to start; with previews off, every `Uploaded` row is done at once.
    async fn pick(&mut self, free: usize, _look: Look, busy: Busy) -> Vec<FileRecord> {
        if !self.settings.enabled {
            self.finish_without_previews().await;
            return Vec::new();
        }
        let rows = self
            .ctx
            .catalog
            .run(move |c| {
                c.files_due_except(FileState::Uploaded, Timestamp::now(), free, |id| {
                    busy.contains(id)
                })
            })
            .await;
        rows.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list files waiting for previews");
            Vec::new()
        })
    }

    fn start(
        &self,
        record: FileRecord,
        cancel: CancellationToken,
    ) -> impl Future<Output = (FileId, Option<Setback>)> + Send + 'static {
        preview_row(Arc::clone(&self.ctx), record, cancel)
    }

    /// A row held back waits the [`FileRetrySchedule`]'s step for its `in_a_row`-th setback,
    /// then is taken up at the next catch-up.
    fn hold(&mut self, held_back: &Option<Setback>, in_a_row: u32) -> Hold {
        match held_back {
            None => Hold::No,
            Some(setback) => {
                let wait = self.schedule.delay(*setback, in_a_row, &mut rand::rng());
                Hold::For(wait.unwrap_or_default())
            }
        }
    }
}

impl Previewer {
    /// Run it with a [`super::job_runner::JobRunner`] whose receiver is subscribed before the
    /// uploader can emit, so no wake-up is missed.
    pub(crate) fn new(
        target: &UploadTarget,
        catalog: CatalogHandle,
        events: &broadcast::Sender<EngineEvent>,
        index: Option<SharedIndex>,
    ) -> Self {
        Self {
            ctx: Arc::new(PreviewContext {
                transfer: target.transfer.clone(),
                catalog,
                retrier: Retrier::new(RetryPolicy::default())
                    .with_credential_refresh(target.transfer.credential_refresh()),
                events: events.clone(),
                index,
            }),
            settings: target.previews.clone(),
            workers: target.previews.worker_count(),
            schedule: FileRetrySchedule::default(),
        }
    }

    /// `[previews] enabled = false`: verified originals are done as they are.
    async fn finish_without_previews(&self) {
        if self.ctx.index.is_some() {
            return self.finish_live_without_previews().await;
        }
        let now = Timestamp::now();
        let finished = self
            .ctx
            .catalog
            .run(move |c| -> Result<_, CatalogError> {
                let mut done = Vec::new();
                for record in c.files_due(FileState::Uploaded, now, usize::MAX)? {
                    c.mark_done(record.id, now)?;
                    let folder = c.get_folder(record.folder)?.map(|f| f.path);
                    done.push((record, folder));
                }
                Ok(done)
            })
            .await;
        match finished {
            Ok(done) => {
                for (record, folder) in done {
                    let path =
                        folder.map_or_else(PathBuf::new, |f| f.join(record.rel_path.to_path_buf()));
                    emit_done(&self.ctx, record.id, &path, record.planned_key, false);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot mark uploaded files done"),
        }
    }
}

impl Previewer {
    /// `[previews] enabled = false` with a shared index: each verified original goes live
    /// first; one the index cannot take now stays `Uploaded` for the next look.
    async fn finish_live_without_previews(&self) {
        let rows = self
            .ctx
            .catalog
            .run(|c| c.files_due(FileState::Uploaded, Timestamp::now(), usize::MAX))
            .await;
        let rows = rows.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list files waiting to go live");
            Vec::new()
        });
        for record in rows {
            let folder_id = record.folder;
            let folder = self.ctx.catalog.run(move |c| c.get_folder(folder_id)).await;
            let path = folder
                .ok()
                .flatten()
                .map_or_else(PathBuf::new, |f| f.path.join(record.rel_path.to_path_buf()));
            finish(&self.ctx, &record, &path, None).await;
        }
    }
}

/// Make the verified original of `record` live in the shared index (docs/index.md, "Make
/// live"), with its previews when `previews` were made. A row without a reservation (planned
/// before the index was configured) has nothing to make live. `Err`: the index could not be
/// reached; the row stays `Uploaded`.
async fn go_live(
    ctx: &PreviewContext,
    record: &FileRecord,
    key: &str,
    previews: bool,
) -> Result<(), Setback> {
    use crate::index::{LiveFacts, LiveOutcome, MakeLive, make_live, taken};
    use crate::retry::Classify;
    let Some(index) = &ctx.index else {
        return Ok(());
    };
    let file = record.id;
    let hold = ctx.catalog.run(move |c| c.index_hold(file)).await;
    let hold = hold.map_err(|e| {
        tracing::error!(%file, error = %e, "cannot read the file's index reservation");
        Setback::CatalogUnwritable
    })?;
    let (Some(hold), Some(sha256)) = (hold, record.sha256) else {
        return Ok(());
    };
    let now = Timestamp::now();
    let uploaded_local = index
        .time_zone
        .to_datetime(now)
        .strftime("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
    let captured = record.capture_time.map(|c| c.to_string());
    let preview = |kind| previews.then(|| preview_key(kind, key)).flatten();
    let file_live = MakeLive {
        sha256,
        key: key.to_owned(),
        token: hold.token,
        rnd: hold.rnd,
        taken: taken(captured.as_deref(), &uploaded_local),
        live: LiveFacts {
            uploaded_at: now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            thumb_key: preview(PreviewKind::Thumb),
            screen_key: preview(PreviewKind::Screen),
            width: None,
            height: None,
        },
    };
    match make_live(
        &index.table,
        &*index.retrier,
        std::slice::from_ref(&file_live),
    )
    .await
    {
        Ok(outcomes) => {
            if outcomes.first() == Some(&LiveOutcome::Lost) {
                // Taken over while this station was away: the object is in the bucket, the
                // index names another holder. Adopting it is not built yet; `index check`
                // reports the object.
                tracing::warn!(key, "the index reservation was taken over; not made live");
            }
            if let Err(e) = ctx.catalog.run(move |c| c.clear_index_hold(file)).await {
                tracing::warn!(%file, error = %e, "cannot forget the index reservation");
            }
            Ok(())
        }
        Err(e) => {
            tracing::warn!(key, code = e.code().as_str(), error = %e, "not live in the index yet; tried again later");
            Err(Setback::Failed(e.class()))
        }
    }
}

/// Where the local file stands when its previews are due.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SourceCheck {
    /// The file the original was uploaded from: read it.
    Read,
    /// No preview, for good: this code.
    NoPreview(FailureCode),
    /// Not now (an unmounted share, an unreadable file): the next catch-up tries again.
    Later(String),
}

/// Decide from the folder root and the file's stat now (pure; the caller stats).
fn check_source(
    folder_available: bool,
    now: &std::io::Result<Option<FileStat>>,
    catalogued: &FileStat,
) -> SourceCheck {
    match now {
        // An unmounted folder is never taken for a deleted file.
        _ if !folder_available => {
            SourceCheck::Later("its folder is not available (unmounted or removed)".to_owned())
        }
        Ok(Some(stat)) if stat == catalogued => SourceCheck::Read,
        Ok(Some(_)) => SourceCheck::NoPreview(FailureCode::PreviewSourceChanged),
        Ok(None) => SourceCheck::NoPreview(FailureCode::PreviewSourceMissing),
        Err(e) => SourceCheck::Later(format!("cannot stat the file ({e})")),
    }
}

fn no_preview_message(code: FailureCode) -> String {
    if code == FailureCode::PreviewSourceMissing {
        return SOURCE_MISSING_MESSAGE.to_owned();
    }
    "no preview: the local file changed after it was uploaded, so a preview of it would not \
     show the uploaded original; that is uploaded and can be opened full size"
        .to_owned()
}

/// What the blocking half of a job found.
enum Made {
    Previews(Vec<Preview>),
    None(PreviewStatus),
    Later(String),
}

/// Check, read and decode on a blocking thread.
fn make_from_disk(folder: Option<&Path>, path: &Path, catalogued: &FileStat) -> Made {
    let available = folder.is_some_and(Path::is_dir);
    match check_source(available, &stat_file(path), catalogued) {
        SourceCheck::Read => {}
        SourceCheck::NoPreview(code) => {
            return Made::None(PreviewStatus::None {
                code,
                message: no_preview_message(code),
            });
        }
        SourceCheck::Later(why) => return Made::Later(why),
    }
    // `read_source` reads only the head of what cannot have a preview (a video, unknown
    // bytes, HEIC) and caps what it reads whole.
    match read_source(path).and_then(|bytes| make_previews(&bytes, &PreviewKind::ALL)) {
        Ok(previews) => Made::Previews(previews),
        Err(PreviewError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Made::None(PreviewStatus::None {
                code: FailureCode::PreviewSourceMissing,
                message: SOURCE_MISSING_MESSAGE.to_owned(),
            })
        }
        Err(PreviewError::Read { source, .. }) => {
            Made::Later(format!("cannot read the file ({source})"))
        }
        Err(e) => Made::None(PreviewStatus::None {
            code: e.code(),
            message: e.to_string(),
        }),
    }
}

/// One row's previews; returns what held the row back, `None` when it is finished.
async fn preview_row(
    ctx: Arc<PreviewContext>,
    record: FileRecord,
    cancel: CancellationToken,
) -> (FileId, Option<Setback>) {
    let file = record.id;
    let held_back = tokio::select! {
        biased;
        // The engine stops: the row stays `Uploaded` for the next start.
        () = cancel.cancelled() => Some(Setback::Failed(ErrorClass::Temporary)),
        held_back = preview_row_inner(&ctx, record) => held_back,
    };
    (file, held_back)
}

/// A row left `Uploaded` for the next catch-up, for a temporary reason.
const LATER: Option<Setback> = Some(Setback::Failed(ErrorClass::Temporary));

async fn preview_row_inner(ctx: &PreviewContext, record: FileRecord) -> Option<Setback> {
    let file = record.id;
    let folder_id = record.folder;
    let folder = match ctx.catalog.run(move |c| c.get_folder(folder_id)).await {
        Ok(folder) => folder.map(|f| f.path),
        Err(e) => {
            tracing::error!(%file, error = %e, "cannot read the file's folder");
            return Some(Setback::CatalogUnwritable);
        }
    };
    let path = folder
        .as_ref()
        .map_or_else(PathBuf::new, |f| f.join(record.rel_path.to_path_buf()));
    let Some(key) = record.planned_key.clone() else {
        // Not reachable through the pipeline (an uploaded row has its key); done without one.
        return finish(ctx, &record, &path, None).await;
    };
    let ledger_key = key.clone();
    match ctx
        .catalog
        .run(move |c| c.preview_status(&ledger_key))
        .await
    {
        Ok(Some(PreviewStatus::Made)) => {
            return finish(ctx, &record, &path, Some((&key, &PreviewStatus::Made))).await;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(key, error = %e, "cannot read the preview ledger");
            return Some(Setback::CatalogUnwritable);
        }
    }
    let catalogued = record.stat;
    let source = path.clone();
    let made = tokio::task::spawn_blocking(move || {
        make_from_disk(folder.as_deref(), &source, &catalogued)
    })
    .await;
    let status = match made {
        Ok(Made::Previews(previews)) => match put_all(ctx, &key, previews).await {
            Ok(()) => PreviewStatus::Made,
            Err(e) => {
                tracing::warn!(key, error = %e, "previews not uploaded; tried again later");
                return Some(Setback::Failed(e.class()));
            }
        },
        Ok(Made::None(status)) => status,
        Ok(Made::Later(why)) => {
            tracing::warn!(key, why, "no preview yet; tried again later");
            return LATER;
        }
        Err(e) => {
            tracing::error!(key, error = %e, "the preview task panicked");
            PreviewStatus::None {
                code: FailureCode::PreviewFailed,
                message: format!("preview failed: {e}; the original is uploaded"),
            }
        }
    };
    if let PreviewStatus::None { code, message } = &status {
        tracing::info!(key, code = code.as_str(), message, "no preview");
    }
    finish(ctx, &record, &path, Some((&key, &status))).await
}

/// Make the original live in the shared index (if any), then record the outcome and make the
/// row `Done` (one transaction), then announce it. Returns what held the row back.
async fn finish(
    ctx: &PreviewContext,
    record: &FileRecord,
    path: &Path,
    outcome: Option<(&str, &PreviewStatus)>,
) -> Option<Setback> {
    let file = record.id;
    if let Some(key) = &record.planned_key {
        let made = matches!(outcome, Some((_, PreviewStatus::Made)));
        if let Err(setback) = go_live(ctx, record, key, made).await {
            return Some(setback);
        }
    }
    let now = Timestamp::now();
    let recorded = outcome.map(|(key, status)| (key.to_owned(), status.clone()));
    let finished = ctx
        .catalog
        .run(move |c| match recorded {
            Some((key, status)) => c
                .finish_previews(file, &key, &status, now)
                .map(|()| true)
                .or_else(|e| {
                    // The row moved on meanwhile (the file changed): keep what the bucket holds.
                    tracing::debug!(%file, error = %e, "row not finished by its previews");
                    c.record_preview(&key, &status, now).map(|()| false)
                }),
            None => c.mark_done(file, now).map(|()| true),
        })
        .await;
    match finished {
        Ok(true) => emit_done(
            ctx,
            file,
            path,
            outcome.map(|(key, _)| key.to_owned()),
            matches!(outcome, Some((_, PreviewStatus::Made))),
        ),
        Ok(false) => {}
        Err(e) => tracing::error!(%file, error = %e, "cannot record the preview outcome"),
    }
    None
}

/// Tell the bus the row is `Done`.
fn emit_done(ctx: &PreviewContext, file: FileId, path: &Path, key: Option<String>, previews: bool) {
    super::upload_job::emit(
        &ctx.events,
        file,
        path,
        FilePhase::Done {
            key,
            previews,
            duplicate: false,
        },
    );
}

async fn put_all(
    ctx: &PreviewContext,
    original: &str,
    previews: Vec<Preview>,
) -> Result<(), RetryError<UploadError>> {
    for preview in previews {
        let Some(key) = preview_key(preview.kind, original) else {
            continue;
        };
        let bucket = ctx.transfer.bucket();
        let client = ctx.transfer.client();
        let controls = ctx.transfer.controls();
        ctx.retrier
            .run(|_| {
                let body = ByteStream::from(preview.jpeg.clone());
                let key = key.clone();
                async move {
                    // Paused means no new request, previews included.
                    let _active = controls.enter().await;
                    // Conditional, like an original: a preview is never replaced. 412 means
                    // one is there already, made from the same (never overwritten) original,
                    // which is all this write was for.
                    match client
                        .put_object()
                        .bucket(bucket)
                        .key(&key)
                        .if_none_match("*")
                        .content_type("image/jpeg")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(_) => Ok(()),
                        Err(e) if crate::upload::is_precondition_failed(&e) => Ok(()),
                        Err(e) => Err(UploadError::from_sdk(S3Call::PutObject, bucket, &key, e)),
                    }
                }
            })
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(size: u64, mtime_ns: i64) -> FileStat {
        FileStat {
            size,
            mtime_ns,
            os_file_id: None,
        }
    }

    #[test]
    fn the_local_file_decides_between_reading_giving_up_and_waiting() {
        let catalogued = stat(10, 1);
        let unreadable = || Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        // (folder available, stat now, expected, why)
        let cases: [(bool, std::io::Result<Option<FileStat>>, SourceCheck, &str); 6] = [
            (
                true,
                Ok(Some(stat(10, 1))),
                SourceCheck::Read,
                "the uploaded file is there",
            ),
            (
                true,
                Ok(None),
                SourceCheck::NoPreview(FailureCode::PreviewSourceMissing),
                "gone from a folder that is there: deleted",
            ),
            (
                true,
                Ok(Some(stat(11, 2))),
                SourceCheck::NoPreview(FailureCode::PreviewSourceChanged),
                "other bytes than the original's",
            ),
            (
                false,
                Ok(None),
                SourceCheck::Later("its folder is not available (unmounted or removed)".into()),
                "an unmounted share is not a deletion",
            ),
            (
                false,
                Ok(Some(stat(10, 1))),
                SourceCheck::Later("its folder is not available (unmounted or removed)".into()),
                "the folder check comes first",
            ),
            (
                true,
                unreadable(),
                SourceCheck::Later("cannot stat the file (permission denied)".into()),
                "a permission problem may be fixed: try again later",
            ),
        ];
        for (available, now, expected, why) in cases {
            assert_eq!(
                check_source(available, &now, &catalogued),
                expected,
                "{why}"
            );
        }
    }
}
