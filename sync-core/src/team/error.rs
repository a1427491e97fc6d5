//! What can go wrong managing the team, each with its code and what to do.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lightbox_types::FailureCode;

use crate::auth::session::SessionError;
use crate::sdk_failure::SdkFailure;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("not signed in: run `lightbox login` (or sign in to the app) as a studio admin")]
    NotSignedIn,
    #[error(
        "setting `auth.cognito.{0}` is not set: run `lightbox config import-terraform`, or set it in the config"
    )]
    NotConfigured(&'static str),
    #[error("the sign-in could not be used: {0}")]
    Session(#[source] SessionError),
    #[error(
        "AWS refused {operation} ({detail}): only studio admins may manage the team; sign in as an admin"
    )]
    Refused {
        operation: &'static str,
        detail: String,
    },
    #[error("there is no user {0:?} in the studio's pool: check the name in the list of users")]
    NoSuchUser(String),
    #[error("a user {0:?} exists already: pick another user name, or enable or reset that one")]
    Exists(String),
    #[error("{0:?} is not a group Lightbox knows: use `admins` or `staff`")]
    UnknownGroup(String),
    #[error("{0}: correct it and try again")]
    BadValue(String),
    #[error(
        "Cognito refused {operation} for {username:?} in their present state ({detail}): check their status in the list; a password can be reset only for someone who has signed in before"
    )]
    NotNow {
        operation: &'static str,
        username: String,
        detail: String,
    },
    #[error("you cannot {0} your own account: ask another admin to do it")]
    OwnAccount(&'static str),
    #[error(
        "nothing removed: the confirmation did not name {0:?}; type the user name exactly, or pass --yes"
    )]
    NotConfirmed(String),
    #[error(
        "Cognito could not be reached for {operation} ({failure}): check the network and try again"
    )]
    Unreachable {
        operation: &'static str,
        failure: SdkFailure,
    },
    #[error("Cognito failed {operation} ({failure}: {detail}): try again later")]
    Service {
        operation: &'static str,
        failure: SdkFailure,
        detail: String,
    },
}

impl TeamError {
    /// The stable code of this failure.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::NotSignedIn => FailureCode::TeamNotSignedIn,
            Self::NotConfigured(_) => FailureCode::TeamNotConfigured,
            Self::Session(_) => FailureCode::TeamSession,
            Self::Refused { .. } => FailureCode::TeamRefused,
            Self::NoSuchUser(_) => FailureCode::TeamNoSuchUser,
            Self::Exists(_) => FailureCode::TeamUserExists,
            Self::UnknownGroup(_) => FailureCode::TeamUnknownGroup,
            Self::BadValue(_) => FailureCode::TeamBadValue,
            Self::NotNow { .. } => FailureCode::TeamNotAllowedNow,
            Self::OwnAccount(_) => FailureCode::TeamOwnAccount,
            Self::NotConfirmed(_) => FailureCode::TeamNotConfirmed,
            Self::Unreachable { .. } => FailureCode::TeamUnreachable,
            Self::Service { .. } => FailureCode::TeamService,
        }
    }

    /// The failure of `operation` on `username` from the SDK's error, by its kind, code and
    /// status.
    pub(crate) fn from_sdk<E: ProvideErrorMetadata>(
        operation: &'static str,
        username: &str,
        error: &SdkError<E, HttpResponse>,
    ) -> Self {
        let failure = SdkFailure::of(error);
        let detail = error.message().unwrap_or_default().to_owned();
        let (status, code) = match &failure {
            SdkFailure::Service { status, code } => (*status, code.as_deref()),
            _ if failure.is_unreachable() => return Self::Unreachable { operation, failure },
            _ => (None, None),
        };
        match code {
            Some("UserNotFoundException") => Self::NoSuchUser(username.to_owned()),
            Some("UsernameExistsException") => Self::Exists(username.to_owned()),
            Some("InvalidParameterException" | "InvalidPasswordException") => {
                Self::BadValue(detail)
            }
            // Cognito's refusal of the request for the user's state (reset the password of
            // someone who never signed in, of a disabled user).
            Some("NotAuthorizedException") => Self::NotNow {
                operation,
                username: username.to_owned(),
                detail,
            },
            // IAM's refusal: the caller's role has no such right. moto answers it in XML, which
            // the JSON protocol reads as no code, so the status says it there.
            Some("AccessDeniedException" | "AccessDenied") => Self::Refused { operation, detail },
            _ if status == Some(403) => Self::Refused {
                operation,
                detail: if detail.is_empty() {
                    "HTTP 403".to_owned()
                } else {
                    detail
                },
            },
            _ => Self::Service {
                operation,
                failure,
                detail,
            },
        }
    }
}

impl From<SessionError> for TeamError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotSignedIn => Self::NotSignedIn,
            SessionError::Unset(name) => Self::NotConfigured(name),
            other => Self::Session(other),
        }
    }
}
