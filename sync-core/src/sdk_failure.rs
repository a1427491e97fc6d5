//! What kind of failure an AWS SDK call had (S3 or Cognito), read from the SDK's error type
//! where the call failed, so that whoever reports it (the gallery, sign-in, the app's error
//! codes) decides from a type and never from the error's text.
//!
//! The retry policy has its own reading of the same errors ([`crate::retry::classify_sdk_error`]:
//! what to do next); this one says what happened, for the person who must act on it.

use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// How an SDK call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkFailure {
    /// No answer could be had: the connection failed or broke (refused, DNS, TLS, reset).
    Unreachable,
    /// No answer in time.
    TimedOut,
    /// The server answered with an error: its HTTP status (absent for one key's error inside
    /// a batch reply such as `DeleteObjects`) and its error code.
    Service {
        status: Option<u16>,
        code: Option<String>,
    },
    /// An answer came but could not be read (cut off, or not what the API returns).
    BadResponse,
    /// The request could not be made: it could not be built or signed (no credentials, an
    /// invalid input or setting).
    Request,
}

impl SdkFailure {
    /// The kind of `error`, from its variant (and the connector's own kind for a dispatch
    /// failure).
    #[must_use]
    pub fn of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Self {
        match error {
            SdkError::ConstructionFailure(_) => Self::Request,
            SdkError::TimeoutError(_) => Self::TimedOut,
            SdkError::DispatchFailure(failure) if failure.is_timeout() => Self::TimedOut,
            SdkError::DispatchFailure(failure) if failure.is_user() => Self::Request,
            SdkError::ResponseError(_) => Self::BadResponse,
            SdkError::ServiceError(service) => Self::Service {
                status: Some(service.raw().status().as_u16()),
                code: service.err().code().map(str::to_owned),
            },
            // Any other dispatch failure (I/O, DNS, TLS, a reset): no answer. `SdkError` is
            // non-exhaustive, and a kind a newer SDK adds is reported the same way.
            _ => Self::Unreachable,
        }
    }

    /// Whether the server was never heard from (no connection, or no answer in time): the
    /// network or the endpoint setting is the problem, not a refusal.
    #[must_use]
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable | Self::TimedOut)
    }
}

impl fmt::Display for SdkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable => f.write_str("no connection"),
            Self::TimedOut => f.write_str("no answer in time"),
            Self::Service { status, code } => {
                f.write_str("refused")?;
                if let Some(status) = status {
                    write!(f, " with HTTP {status}")?;
                }
                if let Some(code) = code {
                    write!(f, " {code}")?;
                }
                Ok(())
            }
            Self::BadResponse => f.write_str("an answer that could not be read"),
            Self::Request => f.write_str("the request could not be made"),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    /// An operation error as the SDKs generate them: metadata only.
    #[derive(Debug)]
    struct OperationError(ErrorMetadata);

    impl fmt::Display for OperationError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("operation error")
        }
    }

    impl std::error::Error for OperationError {}

    impl ProvideErrorMetadata for OperationError {
        fn meta(&self) -> &ErrorMetadata {
            &self.0
        }
    }

    fn response(status: u16) -> HttpResponse {
        HttpResponse::new(status.try_into().expect("a status"), SdkBody::empty())
    }

    #[test]
    fn each_sdk_error_kind_is_named_from_its_type() {
        let service = |status, code: &str| {
            SdkError::service_error(
                OperationError(ErrorMetadata::builder().code(code).build()),
                response(status),
            )
        };
        let cases: Vec<(
            SdkError<OperationError, HttpResponse>,
            SdkFailure,
            bool,
            &str,
        )> = vec![
            (
                SdkError::dispatch_failure(ConnectorError::io("connection refused".into())),
                SdkFailure::Unreachable,
                true,
                "a refused or reset connection",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::other("dns error".into(), None)),
                SdkFailure::Unreachable,
                true,
                "a name that does not resolve",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout("connect timed out".into())),
                SdkFailure::TimedOut,
                true,
                "the connector gave up waiting",
            ),
            (
                SdkError::timeout_error("operation timeout"),
                SdkFailure::TimedOut,
                true,
                "the SDK's own timeout",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::user("bad body".into())),
                SdkFailure::Request,
                false,
                "the request itself was wrong",
            ),
            (
                SdkError::construction_failure("no credentials to sign with"),
                SdkFailure::Request,
                false,
                "a request that could not be built",
            ),
            (
                SdkError::response_error("unexpected end of XML", response(200)),
                SdkFailure::BadResponse,
                false,
                "an answer cut off",
            ),
            (
                service(403, "AccessDenied"),
                SdkFailure::Service {
                    status: Some(403),
                    code: Some("AccessDenied".to_owned()),
                },
                false,
                "a refusal, with its status and code",
            ),
        ];
        for (error, expected, unreachable, why) in &cases {
            let failure = SdkFailure::of(error);
            assert_eq!(&failure, expected, "{why}");
            assert_eq!(failure.is_unreachable(), *unreachable, "{why}");
        }
    }
}
