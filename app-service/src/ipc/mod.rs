//! The shapes that cross the desktop app's IPC boundary. They live here, in the app service,
//! so that the TypeScript bindings are generated from one place
//! (`cargo test -p lightbox-app-service --features ts export_bindings`) and the shell stays thin.
//! One module per screen; `docs/desktop.md` lists the commands that carry them.

use serde::{Deserialize, Serialize};

pub mod activity;
pub mod auth;
pub mod folders;
pub mod gallery;
pub mod settings;
pub mod team;

pub use activity::{ActivityBatch, ActivityTotals, FileActivity, Problem, ProblemCode, Stage};
pub use auth::{CodeDelivery, PasswordPolicyView, SessionView, SignInStep, SignOutView, TotpSetup};
pub use folders::{FolderCounts, FolderStatus, FolderView};
pub use gallery::{
    DeletePlanView, DeleteReportView, GalleryDay, GalleryItem, GalleryPage, ImportReport,
    KeyProblem, PathProblem,
};
pub use settings::{KeyDate, SettingsView};
pub use team::{InvitationView, MemberStatus, TeamGroup, TeamMember};

/// The error codes the UI understands. The UI switches on these, never on text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The configuration is missing or invalid: open Settings or fix the file.
    Config,
    /// Something unexpected; the message has the details worth reporting.
    Internal,
    /// Sign-in: the user name or password is wrong.
    WrongPassword,
    /// Sign-in: the pool has no such user.
    UnknownUser,
    /// The new password breaks the pool's policy; the message lists the unmet rules.
    WeakPassword,
    /// The sign-in session expired or was used up: start the sign-in again.
    SessionExpired,
    /// The MFA or reset code is wrong or too old.
    WrongCode,
    /// Nobody is signed in, or the sign-in was revoked: show the sign-in screen.
    NotSignedIn,
    /// Cognito refused, or its reply could not be used (see the message).
    AuthService,
    /// A staff member tried an admin action (deleting in the gallery).
    Forbidden,
    /// The file, folder, photo or delete plan does not exist (any more).
    NotFound,
    /// Another process (the headless daemon) owns the catalog; the app is read-only.
    EngineBusy,
    /// An argument is malformed (a day that is no date, an empty path list...).
    BadInput,
    /// The bucket or Cognito could not be reached: check the connection.
    Network,
    /// The bucket refused or failed the request (see the message).
    Storage,
}

impl IpcError {
    /// An error with `code` and a message that says what to do.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// `{code, message}`: what every command returns on failure. The message says what to do.
/// Every engine error becomes one in app-service's `errors.rs`, one mapping per error type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

/// Shown in the app's header and about box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Engine version.
    pub version: String,
    /// The config file in use.
    pub config_path: String,
    /// Whether that file exists (otherwise defaults apply).
    pub config_found: bool,
    /// The configured bucket, empty when not set up yet.
    pub bucket: String,
    /// Who runs the engine on this catalog: this app, the headless daemon, or nobody yet.
    pub engine_owner: EngineOwner,
    /// That, in a sentence for the header.
    pub owner_detail: String,
}

/// Who runs the engine on the app's catalog (exactly one process may).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub enum EngineOwner {
    /// The app uploads.
    App,
    /// The headless daemon (`lightbox run`) holds the catalog; the app is read-only.
    Daemon,
    /// Nobody: not signed in yet, or stopped.
    Stopped,
}

impl AppInfo {
    /// Describe the app as configured by the file `explicit` (else `LIGHTBOX_CONFIG`, else the
    /// platform file), before any engine runs.
    ///
    /// # Errors
    /// `config`, saying what is wrong with the file.
    pub fn from_config_file(explicit: Option<&std::path::Path>) -> Result<Self, IpcError> {
        Ok(Self::new(sync_core::config::Config::load(explicit)?))
    }

    /// Describe the app as configured by `loaded`.
    #[must_use]
    pub fn new(loaded: sync_core::config::LoadedConfig) -> Self {
        Self {
            version: sync_core::VERSION.to_owned(),
            config_path: loaded.path.display().to_string(),
            config_found: loaded.file_found,
            bucket: loaded.config.storage.bucket,
            engine_owner: EngineOwner::Stopped,
            owner_detail: "Not uploading: sign in to start.".to_owned(),
        }
    }
}
