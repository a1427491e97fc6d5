//! The one place the engine's errors become the app's `{code, message}` ([`IpcError`]): one
//! `From` per error type, each choosing the [`ErrorCode`] from the error's variant (and, for a
//! failed AWS call, from its typed [`SdkFailure`]), never from its text. The message is the
//! engine's own, which says what to do, except where it speaks of the command line
//! (`lightbox login`, `lightbox config import-terraform`): there the app says it in its words.

use sync_core::auth::refresh_store::RefreshStoreError;
use sync_core::auth::session::SessionError;
use sync_core::auth::user_pool::SignInError;
use sync_core::catalog::CatalogError;
use sync_core::config::ConfigError;
use sync_core::engine::EngineError;
use sync_core::gallery::GalleryError;
use sync_core::sdk_failure::SdkFailure;
use sync_core::team::TeamError;

use crate::ipc::{ErrorCode, IpcError};

/// Nobody is signed in.
#[must_use]
pub fn not_signed_in() -> IpcError {
    IpcError::new(
        ErrorCode::NotSignedIn,
        "Nobody is signed in. Sign in first.",
    )
}

/// A sign-in setting is missing (the CLI says to run `lightbox config import-terraform`).
fn sign_in_not_set_up(setting: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Config,
        format!(
            "Sign-in is not set up yet: the setting `{setting}` under [auth.cognito] is missing \
             from the settings file. Ask an admin for the studio's settings."
        ),
    )
}

/// The code for a failed AWS call, by its kind: never heard back is the network.
fn sdk_code(failure: &SdkFailure, otherwise: ErrorCode) -> ErrorCode {
    if failure.is_unreachable() {
        ErrorCode::Network
    } else {
        otherwise
    }
}

impl From<ConfigError> for IpcError {
    fn from(e: ConfigError) -> Self {
        Self::new(ErrorCode::Config, e.to_string())
    }
}

impl From<SignInError> for IpcError {
    fn from(e: SignInError) -> Self {
        let e = match e {
            SignInError::Store(inner) => return inner.into(),
            e => e,
        };
        let code = match &e {
            SignInError::WrongPassword => {
                return Self::new(
                    ErrorCode::WrongPassword,
                    "Wrong user name or password. Check both and try again, or choose \
                     \u{201c}Forgot password\u{201d}.",
                );
            }
            SignInError::SessionExpired => {
                return Self::new(
                    ErrorCode::SessionExpired,
                    "The sign-in took too long and expired. Start again with your user name \
                     and password.",
                );
            }
            SignInError::SignedOut => {
                return Self::new(
                    ErrorCode::NotSignedIn,
                    "You were signed out (the sign-in was revoked or expired). Sign in again.",
                );
            }
            SignInError::Unset(setting) => return sign_in_not_set_up(setting),
            SignInError::UnknownUser(_) => ErrorCode::UnknownUser,
            SignInError::WeakPassword { .. } => ErrorCode::WeakPassword,
            SignInError::WrongCode => ErrorCode::WrongCode,
            SignInError::Service { failure, .. } => sdk_code(failure, ErrorCode::AuthService),
            SignInError::UnsupportedChallenge { .. }
            | SignInError::Srp(_)
            | SignInError::Token(_)
            | SignInError::BadReply(_)
            | SignInError::Store(_) => ErrorCode::AuthService,
        };
        Self::new(code, e.to_string())
    }
}

impl From<RefreshStoreError> for IpcError {
    fn from(e: RefreshStoreError) -> Self {
        Self::new(ErrorCode::AuthService, e.to_string())
    }
}

impl From<SessionError> for IpcError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::SignIn(inner) => inner.into(),
            SessionError::Store(inner) => inner.into(),
            SessionError::NotSignedIn => not_signed_in(),
            SessionError::Unset(setting) => sign_in_not_set_up(setting),
            SessionError::Token(_) => Self::new(ErrorCode::AuthService, e.to_string()),
        }
    }
}

/// The code for a catalog failure.
fn catalog_code(e: &CatalogError) -> ErrorCode {
    match e {
        CatalogError::InUse { .. } => ErrorCode::EngineBusy,
        CatalogError::FileNotFound(_) => ErrorCode::NotFound,
        CatalogError::WrongState { .. } => ErrorCode::BadInput,
        // Everything else, the catalog's thread gone (`Stopped`) or not started (`Thread`)
        // among them, is nothing the user's input changes.
        _ => ErrorCode::Internal,
    }
}

impl From<CatalogError> for IpcError {
    fn from(e: CatalogError) -> Self {
        Self::new(catalog_code(&e), e.to_string())
    }
}

impl From<EngineError> for IpcError {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::Catalog(inner) => catalog_code(inner),
            EngineError::FolderNotFound { .. } | EngineError::FileNotFound { .. } => {
                ErrorCode::NotFound
            }
            EngineError::Filter(_) | EngineError::Plan(_) | EngineError::UploadsOff => {
                ErrorCode::Config
            }
            EngineError::Watch(_) | EngineError::Stopped | EngineError::StopTimeout(_) => {
                ErrorCode::Internal
            }
        };
        Self::new(code, e.to_string())
    }
}

impl From<TeamError> for IpcError {
    fn from(e: TeamError) -> Self {
        let e = match e {
            TeamError::Session(inner) => return inner.into(),
            e => e,
        };
        let code = match &e {
            TeamError::NotSignedIn => return not_signed_in(),
            TeamError::NotConfigured(setting) => return sign_in_not_set_up(setting),
            TeamError::Refused { .. } => ErrorCode::Forbidden,
            TeamError::NoSuchUser(_) => ErrorCode::NotFound,
            TeamError::Exists(_)
            | TeamError::UnknownGroup(_)
            | TeamError::BadValue(_)
            | TeamError::NotNow { .. }
            | TeamError::OwnAccount(_)
            | TeamError::NotConfirmed(_) => ErrorCode::BadInput,
            TeamError::Unreachable { .. } => ErrorCode::Network,
            TeamError::Session(_) | TeamError::Service { .. } => ErrorCode::AuthService,
        };
        Self::new(code, e.to_string())
    }
}

impl From<GalleryError> for IpcError {
    fn from(e: GalleryError) -> Self {
        let code = match &e {
            GalleryError::S3 { failure, .. } => sdk_code(failure, ErrorCode::Storage),
            GalleryError::NoContentHash { .. } | GalleryError::Index(_) => ErrorCode::Storage,
            GalleryError::BadCursor
            | GalleryError::BadDate { .. }
            | GalleryError::NotAnOriginal { .. }
            | GalleryError::ConfirmationMismatch
            | GalleryError::NoUndo
            | GalleryError::Write { .. }
            | GalleryError::UnsafeDestination { .. } => ErrorCode::BadInput,
            GalleryError::DeleteForbidden { .. } => ErrorCode::Forbidden,
            GalleryError::NotFound { .. } => ErrorCode::NotFound,
            GalleryError::Cache { .. } => ErrorCode::Internal,
            GalleryError::Catalog(inner) => catalog_code(inner),
        };
        Self::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use sync_core::catalog::{FileId, LockHolder};

    use super::*;

    fn s3(failure: SdkFailure) -> GalleryError {
        GalleryError::S3 {
            op: "ListObjectsV2",
            bucket: "photos".into(),
            key: "originals/".into(),
            failure,
            detail: "the SDK's account".into(),
        }
    }

    fn cognito(failure: SdkFailure) -> SignInError {
        SignInError::Service {
            failure,
            detail: "the SDK's account".into(),
        }
    }

    fn refused(code: &str) -> SdkFailure {
        SdkFailure::Service {
            status: Some(400),
            code: Some(code.into()),
        }
    }

    #[test]
    fn each_error_maps_to_the_code_the_ui_switches_on_and_speaks_the_apps_words() {
        use ErrorCode as C;
        let cases: Vec<(IpcError, ErrorCode, &str)> = vec![
            (
                ConfigError::Missing(PathBuf::from("/etc/lightbox.toml")).into(),
                C::Config,
                "a settings file that is not there",
            ),
            (
                SignInError::WrongPassword.into(),
                C::WrongPassword,
                "wrong password",
            ),
            (
                SignInError::UnknownUser("ana".into()).into(),
                C::UnknownUser,
                "no such user",
            ),
            (
                SignInError::WeakPassword {
                    unmet: vec!["a digit".into()],
                }
                .into(),
                C::WeakPassword,
                "the policy's unmet rules",
            ),
            (
                SignInError::SessionExpired.into(),
                C::SessionExpired,
                "a stale challenge",
            ),
            (
                SignInError::WrongCode.into(),
                C::WrongCode,
                "a wrong TOTP code",
            ),
            (
                SignInError::SignedOut.into(),
                C::NotSignedIn,
                "a revoked refresh token",
            ),
            (
                SignInError::Unset("client_id").into(),
                C::Config,
                "sign-in not set up",
            ),
            (
                SignInError::UnsupportedChallenge {
                    challenge: "SMS_MFA".into(),
                }
                .into(),
                C::AuthService,
                "a challenge the app cannot answer",
            ),
            (
                SignInError::BadReply("no ID token".into()).into(),
                C::AuthService,
                "a reply without tokens",
            ),
            (
                cognito(SdkFailure::Unreachable).into(),
                C::Network,
                "Cognito never answered",
            ),
            (
                cognito(SdkFailure::TimedOut).into(),
                C::Network,
                "Cognito answered too late",
            ),
            (
                cognito(refused("InvalidParameterException")).into(),
                C::AuthService,
                "Cognito refused",
            ),
            (
                SessionError::NotSignedIn.into(),
                C::NotSignedIn,
                "no refresh token kept",
            ),
            (
                SessionError::Unset("user_pool_id").into(),
                C::Config,
                "the session's settings",
            ),
            (
                SessionError::SignIn(SignInError::SignedOut).into(),
                C::NotSignedIn,
                "a session's sign-in error maps as a sign-in error",
            ),
            (
                EngineError::Catalog(CatalogError::InUse {
                    catalog: "c.sqlite".into(),
                    holder: LockHolder { pid: Some(7) },
                })
                .into(),
                C::EngineBusy,
                "the daemon holds the catalog",
            ),
            (
                CatalogError::FileNotFound(FileId::from_raw(3)).into(),
                C::NotFound,
                "a retry of a file that is gone",
            ),
            (
                EngineError::Catalog(CatalogError::Stopped {
                    path: "c.sqlite".into(),
                })
                .into(),
                C::Internal,
                "the catalog's thread stopped",
            ),
            (
                CatalogError::Thread {
                    path: "c.sqlite".into(),
                    source: std::io::Error::other("no threads"),
                }
                .into(),
                C::Internal,
                "no thread for the catalog",
            ),
            (
                EngineError::FolderNotFound {
                    path: PathBuf::from("/gone"),
                }
                .into(),
                C::NotFound,
                "a folder that is not there",
            ),
            (
                EngineError::UploadsOff.into(),
                C::Config,
                "no bucket, no uploads",
            ),
            (
                EngineError::Stopped.into(),
                C::Internal,
                "the engine stopped",
            ),
            (
                GalleryError::DeleteForbidden { key: "k".into() }.into(),
                C::Forbidden,
                "staff cannot delete",
            ),
            (
                s3(SdkFailure::Unreachable).into(),
                C::Network,
                "the bucket never answered",
            ),
            (
                s3(SdkFailure::TimedOut).into(),
                C::Network,
                "the bucket answered too late",
            ),
            (
                s3(refused("AccessDenied")).into(),
                C::Storage,
                "the bucket refused",
            ),
            (
                s3(SdkFailure::BadResponse).into(),
                C::Storage,
                "an unreadable reply",
            ),
            (
                GalleryError::NoContentHash { key: "k".into() }.into(),
                C::Storage,
                "an object from another tool",
            ),
            (
                GalleryError::NotFound { key: "k".into() }.into(),
                C::NotFound,
                "deleted already",
            ),
            (
                GalleryError::BadCursor.into(),
                C::BadInput,
                "an edited cursor",
            ),
        ];
        for (ipc, code, why) in cases {
            assert_eq!(ipc.code, code, "{why}: {}", ipc.message);
            assert!(!ipc.message.is_empty(), "{why}: a message says what to do");
            assert!(
                !ipc.message.contains("lightbox login")
                    && !ipc.message.contains("import-terraform"),
                "{why}: app words, not CLI words: {}",
                ipc.message
            );
        }
    }
}
