//! [`DesktopCore`]: the state behind every command of the desktop app.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::activity::{counts_view, record_view};
use crate::engine_slot::{ActivityHub, EngineSlot};
use crate::errors::not_signed_in;
use crate::gallery_ops::GalleryState;
use crate::ipc::{
    ActivityBatch, AppInfo, CodeDelivery, EngineOwner, ErrorCode, FileActivity, FolderCounts,
    FolderStatus, FolderView, IpcError, SessionView, SettingsView, SignInStep, SignOutView,
    TotpSetup,
};
use crate::notices::{Notice, NoticePrefs, NoticeTracker};
use crate::sign_in::{Outcome, Pending};
use crate::{notices, settings_file, sign_in};
use sync_core::auth::Secret;
use sync_core::auth::session::{Auth, SessionError};
use sync_core::auth::user_pool::{SignInError, Tokens};
use sync_core::catalog::{Catalog, FileId};
use sync_core::config::{Config, CredentialSource, LoadedConfig};
use sync_core::credential_expiry::CredentialExpiry;
use sync_core::engine::{CATALOG_FILE, EngineSettings, UploadTarget};

/// How long uploads in flight get to finish when the engine stops (sign-out, quit, restart).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Who is signed in, as the app needs it.
#[derive(Debug, Clone)]
struct Signed {
    view: SessionView,
    /// The Cognito `sub`, written into object metadata as the uploader.
    sub: String,
}

/// The desktop app's state: one per app, shared by every command.
pub struct DesktopCore {
    explicit_config: Option<PathBuf>,
    loaded: Mutex<LoadedConfig>,
    auth: tokio::sync::OnceCell<Auth>,
    pending: tokio::sync::Mutex<Pending>,
    session: Mutex<Option<Signed>>,
    engine: tokio::sync::Mutex<EngineSlot>,
    hub: Arc<ActivityHub>,
    pub(crate) gallery: tokio::sync::Mutex<GalleryState>,
    watchers: Mutex<Vec<JoinHandle<()>>>,
    cancel: CancellationToken,
    pub(crate) dropped: crate::dropped::DroppedPaths,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DesktopCore {
    /// Load the config (`explicit`, else `LIGHTBOX_CONFIG`, else the platform file). Nothing
    /// starts until someone signs in (or [`DesktopCore::session_state`] finds a kept sign-in).
    ///
    /// # Errors
    /// `config` when the file is missing (when named) or invalid.
    pub fn new(explicit: Option<PathBuf>) -> Result<Self, IpcError> {
        let loaded = Config::load(explicit.as_deref())?;
        Ok(Self {
            explicit_config: explicit,
            loaded: Mutex::new(loaded),
            auth: tokio::sync::OnceCell::new(),
            pending: tokio::sync::Mutex::default(),
            session: Mutex::default(),
            engine: tokio::sync::Mutex::new(EngineSlot::Stopped),
            hub: Arc::default(),
            gallery: tokio::sync::Mutex::default(),
            watchers: Mutex::default(),
            cancel: CancellationToken::new(),
            dropped: crate::dropped::DroppedPaths::default(),
        })
    }

    /// The effective configuration.
    #[must_use]
    pub fn config(&self) -> Config {
        lock(&self.loaded).config.clone()
    }

    pub(crate) fn state_dir(&self) -> Result<PathBuf, IpcError> {
        Ok(self.config().state_dir()?)
    }

    async fn auth(&self) -> Result<&Auth, IpcError> {
        let config = self.config();
        let state_dir = config.state_dir()?;
        self.auth
            .get_or_try_init(|| Auth::from_config(&config.auth.cognito, &state_dir))
            .await
            .map_err(IpcError::from)
    }

    // ----- app and engine -----

    /// Version, config file, bucket and who runs the engine.
    pub async fn app_info(&self) -> AppInfo {
        let mut info = AppInfo::new(lock(&self.loaded).clone());
        match &*self.engine.lock().await {
            EngineSlot::Running(_) => {
                info.engine_owner = EngineOwner::App;
                "Uploading from the folders below.".clone_into(&mut info.owner_detail);
            }
            EngineSlot::Daemon { detail, .. } => {
                info.engine_owner = EngineOwner::Daemon;
                info.owner_detail.clone_from(detail);
            }
            EngineSlot::Stopped => {}
        }
        info
    }

    /// The running engine, or why there is none.
    pub(crate) async fn engine(&self) -> Result<sync_core::engine::Engine, IpcError> {
        match &*self.engine.lock().await {
            EngineSlot::Running(r) => Ok(r.engine.clone()),
            EngineSlot::Daemon { detail, .. } => {
                Err(IpcError::new(ErrorCode::EngineBusy, detail.clone()))
            }
            EngineSlot::Stopped => Err(not_signed_in()),
        }
    }

    /// Start the engine for the signed-in user, unless it runs already.
    async fn start_engine(&self, sub: &str) -> Result<(), IpcError> {
        let mut slot = self.engine.lock().await;
        if !matches!(*slot, EngineSlot::Stopped) {
            return Ok(());
        }
        let config = self.config();
        let state_dir = config.state_dir()?;
        let (client, credentials) = self.s3_client(&config).await?;
        let settings = EngineSettings {
            catalog_path: state_dir.join(CATALOG_FILE),
            ingest: config.ingest.clone(),
            upload: Some(UploadTarget::from_config(&config, &client, sub)?),
        };
        *slot = EngineSlot::start(&settings, &self.hub).await?;
        self.gallery
            .lock()
            .await
            .connect(&config, client, credentials)?;
        Ok(())
    }

    /// An S3 client with the signed-in user's identity-pool credentials (whatever
    /// `auth.credentials` says: the app always uploads as its user), and the handle on their
    /// expiry that the gallery's presigned URLs keep within.
    async fn s3_client(
        &self,
        config: &Config,
    ) -> Result<(aws_sdk_s3::Client, CredentialExpiry), IpcError> {
        let storage = config.require_storage()?;
        let mut auth = config.auth.clone();
        auth.credentials = CredentialSource::Cognito;
        Ok(
            sync_core::s3_client::build_tracked_s3_client(storage, &auth, &config.state_dir()?)
                .await,
        )
    }

    async fn stop_engine(&self) {
        let slot = std::mem::replace(&mut *self.engine.lock().await, EngineSlot::Stopped);
        slot.stop(STOP_GRACE).await;
    }

    /// Stop everything for quitting: uploads in flight get a few seconds to be journalled.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.stop_engine().await;
        let watchers = std::mem::take(&mut *lock(&self.watchers));
        for watcher in watchers {
            if let Err(e) = watcher.await {
                tracing::error!(error = %e, "an activity watcher panicked");
            }
        }
    }

    // ----- auth -----

    /// Who is signed in. At the first call, a sign-in kept from an earlier run (the refresh
    /// token in the keyring) is resumed and the engine started.
    ///
    /// # Errors
    /// `config` when Cognito is not configured; `network`/`auth_service` when it cannot be
    /// asked.
    pub async fn session_state(&self) -> Result<SessionView, IpcError> {
        if let Some(signed) = lock(&self.session).clone() {
            return Ok(signed.view);
        }
        let auth = self.auth().await?;
        match auth.whoami().await {
            Ok(who) => self.signed_in(who).await,
            Err(SessionError::NotSignedIn | SessionError::SignIn(SignInError::SignedOut)) => {
                Ok(SessionView::signed_out())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn signed_in(
        &self,
        who: sync_core::auth::session::Whoami,
    ) -> Result<SessionView, IpcError> {
        let signed = Signed {
            view: SessionView {
                signed_in: true,
                username: who.user,
                email: who.email,
                groups: who.groups,
                role: who.role,
            },
            sub: who.sub,
        };
        *lock(&self.session) = Some(signed.clone());
        self.start_engine(&signed.sub).await?;
        Ok(signed.view)
    }

    async fn finish(&self, tokens: &Tokens) -> Result<SignInStep, IpcError> {
        let who = self
            .auth()
            .await?
            .keep(tokens)
            .await
            .map_err(IpcError::from)?;
        Ok(SignInStep::SignedIn {
            session: self.signed_in(who).await?,
        })
    }

    async fn step(
        &self,
        step: Result<sync_core::auth::user_pool::SignInStep, SignInError>,
    ) -> Result<SignInStep, IpcError> {
        let policy = self.config().auth.cognito.password_policy;
        match sign_in::outcome(step.map_err(IpcError::from)?, &policy) {
            Outcome::Done(tokens) => {
                *self.pending.lock().await = Pending::Nothing;
                self.finish(&tokens).await
            }
            Outcome::Ask(view, pending) => {
                *self.pending.lock().await = pending;
                Ok(view)
            }
        }
    }

    /// The first step: user name and password.
    ///
    /// # Errors
    /// `wrong_password`, `unknown_user`, `network`, `config`.
    pub async fn sign_in(&self, username: &str, password: String) -> Result<SignInStep, IpcError> {
        let auth = self.auth().await?;
        let step = auth
            .pool
            .sign_in(username.trim(), &Secret::new(password), Timestamp::now())
            .await;
        self.step(step).await
    }

    /// Answer "choose a new password".
    ///
    /// # Errors
    /// `weak_password` listing the unmet rules; `session_expired`.
    pub async fn complete_new_password(
        &self,
        new_password: String,
    ) -> Result<SignInStep, IpcError> {
        let auth = self.auth().await?;
        let challenge = match &*self.pending.lock().await {
            Pending::NewPassword(c) => c.clone(),
            _ => return Err(sign_in::out_of_turn("a new password")),
        };
        let step = auth
            .pool
            .set_new_password(&challenge, &Secret::new(new_password))
            .await;
        self.step(step).await
    }

    /// Answer "type the code from the authenticator app".
    ///
    /// # Errors
    /// `wrong_code`; `session_expired`.
    pub async fn answer_totp(&self, code: &str) -> Result<SignInStep, IpcError> {
        let auth = self.auth().await?;
        let challenge = match &*self.pending.lock().await {
            Pending::Totp(c) => c.clone(),
            _ => return Err(sign_in::out_of_turn("an authenticator code")),
        };
        let step = auth.pool.answer_totp(&challenge, code.trim()).await;
        self.step(step).await
    }

    /// Start enrolling an authenticator app: the secret and its QR code.
    ///
    /// # Errors
    /// `session_expired`; `network`.
    pub async fn begin_totp_setup(&self) -> Result<TotpSetup, IpcError> {
        let auth = self.auth().await?;
        let mut pending = self.pending.lock().await;
        let challenge = match &*pending {
            Pending::TotpSetup(c) => c.clone(),
            Pending::Enrolling(e) => return sign_in::totp_setup(e),
            _ => return Err(sign_in::out_of_turn("an authenticator app")),
        };
        let enrolment = auth
            .pool
            .start_totp_enrolment(&challenge)
            .await
            .map_err(IpcError::from)?;
        let view = sign_in::totp_setup(&enrolment)?;
        *pending = Pending::Enrolling(enrolment);
        Ok(view)
    }

    /// Finish enrolling with the first code the app shows.
    ///
    /// # Errors
    /// `wrong_code`; `session_expired`.
    pub async fn verify_totp_setup(&self, code: &str) -> Result<SignInStep, IpcError> {
        let auth = self.auth().await?;
        let enrolment = match &*self.pending.lock().await {
            Pending::Enrolling(e) => e.clone(),
            _ => return Err(sign_in::out_of_turn("the first authenticator code")),
        };
        let step = auth
            .pool
            .finish_totp_enrolment(&enrolment, code.trim())
            .await;
        self.step(step).await
    }

    /// Send a password-reset code.
    ///
    /// # Errors
    /// `unknown_user`; `network`.
    pub async fn forgot_password(&self, username: &str) -> Result<CodeDelivery, IpcError> {
        let destination = self
            .auth()
            .await?
            .pool
            .forgot_password(username.trim())
            .await
            .map_err(IpcError::from)?;
        Ok(CodeDelivery {
            medium: if destination.contains('@') {
                "EMAIL"
            } else {
                "SMS"
            }
            .to_owned(),
            destination,
        })
    }

    /// Set a new password with the reset code.
    ///
    /// # Errors
    /// `wrong_code`; `weak_password`.
    pub async fn confirm_forgot_password(
        &self,
        username: &str,
        code: &str,
        new_password: String,
    ) -> Result<(), IpcError> {
        self.auth()
            .await?
            .pool
            .confirm_forgot_password(username.trim(), code.trim(), &Secret::new(new_password))
            .await
            .map_err(IpcError::from)
    }

    /// Stop uploading, forget the refresh token here, then sign out everywhere (best effort:
    /// with Cognito unreachable the view says the server could not be told).
    ///
    /// # Errors
    /// When the kept token cannot be deleted (keyring or file), with how to fix it.
    pub async fn sign_out(&self) -> Result<SignOutView, IpcError> {
        self.stop_engine().await;
        self.gallery.lock().await.disconnect();
        *lock(&self.session) = None;
        *self.pending.lock().await = Pending::Nothing;
        let report = match self.auth().await?.sign_out().await {
            Ok(report) => report,
            Err(SessionError::NotSignedIn) => {
                return Ok(SignOutView {
                    revoked: false,
                    message: "Signed out (nobody was signed in).".to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let revoked = report.revoke.is_ok() || report.global_sign_out.is_ok();
        let message = if revoked {
            "Signed out on every device; this computer forgot the sign-in.".to_owned()
        } else {
            "Signed out here; the server could not be told, so the old sign-in expires on its \
             own within its lifetime."
                .to_owned()
        };
        Ok(SignOutView { revoked, message })
    }

    pub(crate) fn role(&self) -> lightbox_types::Role {
        lock(&self.session)
            .as_ref()
            .map_or(lightbox_types::Role::None, |s| s.view.role)
    }

    pub(crate) fn username(&self) -> String {
        lock(&self.session)
            .as_ref()
            .map_or_else(String::new, |s| s.view.username.clone())
    }

    // ----- folders -----

    /// Read the catalog with `f`: on the engine's read-only connection when it runs (never
    /// behind its writes), else from the file, on a blocking thread.
    async fn with_catalog<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Catalog) -> Result<R, sync_core::catalog::CatalogError> + Send + 'static,
    ) -> Result<R, IpcError> {
        if let Some(engine) = self.engine.lock().await.engine() {
            return Ok(engine.catalog().read(f).await?);
        }
        let path = self.state_dir()?.join(CATALOG_FILE);
        let read = tokio::task::spawn_blocking(move || Catalog::open(&path)?.snapshot(f)).await;
        read.map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("reading the catalog failed unexpectedly ({e}); try again"),
            )
        })?
        .map_err(IpcError::from)
    }

    /// The watched folders with their counts and whether they are reachable.
    ///
    /// # Errors
    /// When the catalog cannot be read.
    pub async fn folders(&self) -> Result<Vec<FolderView>, IpcError> {
        let running = self.engine.lock().await.engine().is_some();
        let (folders, counts) = self
            .with_catalog(|c| Ok((c.list_folders()?, c.counts_by_folder()?)))
            .await?;
        let watch = engine_slot_folders(&self.hub);
        Ok(folders
            .into_iter()
            .filter(|f| f.enabled)
            .map(|f| {
                let counts = counts
                    .iter()
                    .find(|(id, _)| *id == f.id)
                    .map_or_else(FolderCounts::default, |(_, c)| counts_view(c));
                let offline = watch.0.iter().find(|(p, _)| *p == f.path).map(|(_, r)| r);
                let (status, detail) = folder_status(
                    &f.path,
                    offline.map(String::as_str),
                    f.path.is_dir(),
                    running && !watch.1.contains(&f.path),
                );
                FolderView {
                    path: f.path.display().to_string(),
                    status,
                    detail,
                    counts,
                }
            })
            .collect())
    }

    /// Watch `path` (and scan it now). `path` comes from the native folder picker, opened
    /// from Rust (`src-tauri`), never from the webview.
    ///
    /// # Errors
    /// `not_found` when it is no folder; `engine_busy`; `not_signed_in`.
    pub async fn add_folder(&self, path: &Path) -> Result<FolderView, IpcError> {
        let engine = self.engine().await?;
        engine.add_folder(path).await?;
        self.refresh_folder_names(&engine).await;
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.folders()
            .await?
            .into_iter()
            .find(|f| Path::new(&f.path) == canonical)
            .ok_or_else(|| {
                IpcError::new(
                    ErrorCode::Internal,
                    "the folder was added but is not listed; reopen the Folders screen",
                )
            })
    }

    /// Stop watching `path`. Nothing in the bucket changes.
    ///
    /// # Errors
    /// `not_found` when it was not watched.
    pub async fn remove_folder(&self, path: &str) -> Result<(), IpcError> {
        let engine = self.engine().await?;
        if !engine.remove_folder(Path::new(path)).await? {
            return Err(IpcError::new(
                ErrorCode::NotFound,
                format!(
                    "{path} is not a watched folder (removed already?); reopen the Folders screen"
                ),
            ));
        }
        self.refresh_folder_names(&engine).await;
        Ok(())
    }

    async fn refresh_folder_names(&self, engine: &sync_core::engine::Engine) {
        if let Ok(folders) = engine.catalog().read(Catalog::list_folders).await {
            self.hub.set_folders(&folders);
        }
    }

    // ----- activity -----

    /// The `limit` most recently changed files, newest first (the first paint).
    ///
    /// # Errors
    /// When the catalog cannot be read.
    pub async fn recent_activity(&self, limit: u64) -> Result<Vec<FileActivity>, IpcError> {
        let limit = usize::try_from(limit.clamp(1, 5000)).unwrap_or(5000);
        self.with_catalog(move |c| {
            let folders = c.list_folders()?;
            Ok(c.recent_files(limit)?
                .into_iter()
                .filter_map(|r| {
                    let folder = folders.iter().find(|f| f.id == r.folder)?;
                    Some(record_view(&r, &folder.path))
                })
                .collect())
        })
        .await
    }

    /// Call `sink` with every activity batch (at most one per 250 ms) until it returns
    /// `false` or the app quits. The current totals come first.
    pub fn watch_activity(&self, mut sink: impl FnMut(ActivityBatch) -> bool + Send + 'static) {
        let (mut batches, last) = self.hub.subscribe();
        let cancel = self.cancel.clone();
        let task = tokio::spawn(async move {
            if let Some(totals) = last
                && !sink(ActivityBatch {
                    files: Vec::new(),
                    totals,
                })
            {
                return;
            }
            loop {
                let batch = tokio::select! {
                    () = cancel.cancelled() => break,
                    batch = batches.recv() => batch,
                };
                match batch {
                    Ok(batch) => {
                        if !sink(batch) {
                            break;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a window fell behind the activity batches");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let mut watchers = lock(&self.watchers);
        watchers.retain(|w| !w.is_finished());
        watchers.push(task);
    }

    /// Call `show` with each notification the batches call for, as Settings allow, and
    /// `status` with the tray's line whenever it changes.
    pub fn watch_notices(
        self: &Arc<Self>,
        mut show: impl FnMut(Notice) + Send + 'static,
        mut status: impl FnMut(String) + Send + 'static,
    ) {
        let core = Arc::clone(self);
        let mut tracker = NoticeTracker::default();
        let mut last_status = String::new();
        self.watch_activity(move |batch| {
            let desktop = core.config().desktop;
            let prefs = NoticePrefs {
                on_batch: desktop.notify_on_batch,
                on_failure: desktop.notify_on_failure,
            };
            for notice in tracker.notices(&batch, prefs) {
                show(notice);
            }
            let line = notices::tray_status(&batch.totals);
            if line != last_status {
                last_status.clone_from(&line);
                status(line);
            }
            true
        });
    }

    /// Put a failed file back where it failed and wake the engine.
    ///
    /// # Errors
    /// `not_found`; `bad_input` when the file has not failed.
    pub async fn retry_file(&self, id: i64) -> Result<(), IpcError> {
        let engine = self.engine().await?;
        engine
            .catalog()
            .run(move |c| c.retry(FileId::from_raw(id), Timestamp::now()))
            .await?;
        engine.rescan().await?;
        Ok(())
    }

    /// Start no new upload request until [`DesktopCore::resume`].
    ///
    /// # Errors
    /// `engine_busy`, `not_signed_in`.
    pub async fn pause(&self) -> Result<(), IpcError> {
        Ok(self.engine().await?.pause().await?)
    }

    /// Undo [`DesktopCore::pause`].
    ///
    /// # Errors
    /// `engine_busy`, `not_signed_in`.
    pub async fn resume(&self) -> Result<(), IpcError> {
        Ok(self.engine().await?.resume().await?)
    }

    /// Limit all uploads together (`None`: unlimited), at once and in the config file.
    ///
    /// # Errors
    /// `engine_busy`, `not_signed_in`, `config` when the file cannot be written.
    pub async fn set_bandwidth_limit(&self, mib_per_sec: Option<u64>) -> Result<(), IpcError> {
        let limit = mib_per_sec.filter(|l| *l > 0);
        self.engine().await?.set_bandwidth_limit(limit).await?;
        let mut view = self.settings();
        view.bandwidth_limit_mib_per_sec = limit;
        self.save_settings(&view).await.map(drop)
    }

    // ----- settings -----

    /// What the Settings screen shows.
    #[must_use]
    pub fn settings(&self) -> SettingsView {
        settings_file::settings_view(&self.config())
    }

    /// Check and save the Settings screen. The bandwidth limit applies at once; other
    /// engine settings restart the engine (uploads in flight resume from their last part).
    ///
    /// # Errors
    /// `bad_input` naming the value; `config` when the file cannot be written.
    pub async fn save_settings(&self, view: &SettingsView) -> Result<SettingsView, IpcError> {
        let old = self.config();
        let next = settings_file::apply_settings(&old, view)?;
        let path = lock(&self.loaded).path.clone();
        settings_file::write_settings(&path, &next)?;
        let reloaded = Config::load(self.explicit_config.as_deref().or(Some(&path)))?;
        let config = reloaded.config.clone();
        *lock(&self.loaded) = reloaded;
        if settings_file::needs_engine_restart(&old, &config) {
            let sub = lock(&self.session).as_ref().map(|s| s.sub.clone());
            let running = self.engine.lock().await.engine().is_some();
            if let (Some(sub), true) = (sub, running) {
                self.stop_engine().await;
                self.start_engine(&sub).await?;
            }
        } else if let Some(engine) = self.engine.lock().await.engine() {
            engine
                .set_bandwidth_limit(config.upload.bandwidth_limit_mib_per_sec)
                .await?;
        }
        Ok(settings_file::settings_view(&config))
    }
}

/// The offline reasons and scanned folders the events reported.
fn engine_slot_folders(hub: &ActivityHub) -> (Vec<(PathBuf, String)>, Vec<PathBuf>) {
    let watch = hub.folders.lock().unwrap_or_else(PoisonError::into_inner);
    (
        watch
            .offline
            .iter()
            .map(|(p, r)| (p.clone(), r.clone()))
            .collect(),
        watch.scanned.iter().cloned().collect(),
    )
}

/// A folder's status from what is known of it (pure): an unavailable folder is offline,
/// never treated as emptied.
fn folder_status(
    path: &Path,
    offline_reason: Option<&str>,
    is_dir: bool,
    scanning: bool,
) -> (FolderStatus, Option<String>) {
    if let Some(reason) = offline_reason {
        return (
            FolderStatus::Offline,
            Some(format!(
                "{reason}. Nothing is deleted; its photos are picked up again when it is back."
            )),
        );
    }
    if !is_dir {
        return (
            FolderStatus::Offline,
            Some(format!(
                "{} is not there (unplugged card or unmounted share?). Nothing is deleted; it \
                 is picked up again when it is back.",
                path.display()
            )),
        );
    }
    if scanning {
        return (FolderStatus::Scanning, None);
    }
    (FolderStatus::Watching, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_offline_with_what_happens_next() {
        let path = Path::new("/media/card");
        let (status, detail) = folder_status(path, None, false, false);
        assert_eq!(status, FolderStatus::Offline);
        assert!(detail.is_some_and(|d| d.contains("Nothing is deleted")));
        let (status, _) = folder_status(path, Some("permission denied"), true, false);
        assert_eq!(
            status,
            FolderStatus::Offline,
            "a reported problem wins over is_dir"
        );
        assert_eq!(
            folder_status(path, None, true, true).0,
            FolderStatus::Scanning
        );
        assert_eq!(
            folder_status(path, None, true, false),
            (FolderStatus::Watching, None)
        );
    }
}
