//! Errors of the engine's modules as the app's `{code, message}`, with messages that say what
//! to do in the app (not on the command line).

use crate::ipc::{ErrorCode, IpcError};
use sync_core::auth::session::SessionError;
use sync_core::auth::user_pool::SignInError;
use sync_core::catalog::CatalogError;
use sync_core::engine::EngineError;
use sync_core::gallery::GalleryError;

/// A sign-in failure, in the app's words where the CLI's would mislead.
#[must_use]
pub fn sign_in_error(e: SignInError) -> IpcError {
    let app_words = match &e {
        SignInError::WrongPassword => Some(
            "Wrong user name or password. Check both and try again, or choose \
             \u{201c}Forgot password\u{201d}.",
        ),
        SignInError::SessionExpired => Some(
            "The sign-in took too long and expired. Start again with your user name and password.",
        ),
        SignInError::SignedOut => {
            Some("You were signed out (the sign-in was revoked or expired). Sign in again.")
        }
        _ => None,
    };
    let mut ipc = IpcError::from(e);
    if let Some(words) = app_words {
        words.clone_into(&mut ipc.message);
    }
    if ipc.code == ErrorCode::AuthService && ipc.message.contains("could not be reached") {
        ipc.code = ErrorCode::Network;
    }
    ipc
}

/// A session failure (keeping the refresh token, who is signed in).
#[must_use]
pub fn session_error(e: SessionError) -> IpcError {
    match e {
        SessionError::SignIn(inner) => sign_in_error(inner),
        SessionError::NotSignedIn => not_signed_in(),
        other => IpcError::from(other),
    }
}

/// Nobody is signed in.
#[must_use]
pub fn not_signed_in() -> IpcError {
    IpcError::new(
        ErrorCode::NotSignedIn,
        "Nobody is signed in. Sign in first.",
    )
}

/// The code for a catalog failure.
fn catalog_code(e: &CatalogError) -> ErrorCode {
    match e {
        CatalogError::InUse { .. } => ErrorCode::EngineBusy,
        CatalogError::FileNotFound(_) => ErrorCode::NotFound,
        CatalogError::WrongState { .. } => ErrorCode::BadInput,
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

impl From<GalleryError> for IpcError {
    fn from(e: GalleryError) -> Self {
        let code = match &e {
            GalleryError::S3 { detail, .. } if is_unreachable(detail) => ErrorCode::Network,
            GalleryError::S3 { .. } => ErrorCode::Storage,
            GalleryError::BadCursor
            | GalleryError::BadDate { .. }
            | GalleryError::NotAnOriginal { .. }
            | GalleryError::ConfirmationMismatch
            | GalleryError::NoUndo
            | GalleryError::Write { .. } => ErrorCode::BadInput,
            GalleryError::DeleteForbidden { .. } => ErrorCode::Forbidden,
            GalleryError::NotFound { .. } => ErrorCode::NotFound,
            GalleryError::Cache { .. } => ErrorCode::Internal,
            GalleryError::Catalog(inner) => catalog_code(inner),
        };
        Self::new(code, e.to_string())
    }
}

/// Whether an SDK error's text says the server was never reached.
fn is_unreachable(detail: &str) -> bool {
    [
        "dispatch failure",
        "connection refused",
        "timed out",
        "dns error",
    ]
    .iter()
    .any(|m| detail.to_ascii_lowercase().contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_the_codes_the_ui_switches_on() {
        let busy = IpcError::from(EngineError::Catalog(CatalogError::InUse {
            catalog: "c.sqlite".into(),
            holder: sync_core::catalog::LockHolder { pid: Some(7) },
        }));
        assert_eq!(busy.code, ErrorCode::EngineBusy);
        let staff = IpcError::from(GalleryError::DeleteForbidden { key: "k".into() });
        assert_eq!(staff.code, ErrorCode::Forbidden);
        let offline = IpcError::from(GalleryError::S3 {
            op: "ListObjectsV2",
            bucket: "b".into(),
            key: String::new(),
            detail: "dispatch failure: Connection refused".into(),
        });
        assert_eq!(offline.code, ErrorCode::Network);
        let wrong = sign_in_error(SignInError::WrongPassword);
        assert_eq!(wrong.code, ErrorCode::WrongPassword);
        assert!(
            !wrong.message.contains("lightbox login"),
            "app words, not CLI words"
        );
    }
}
