//! What kind of failure an error is, so the retry policy and the upload queue know what to do:
//! try again soon, back off harder, refresh the credentials, wait for the clock fix, or give up.
//!
//! [`classify_response`] is the pure table (HTTP status and S3 error code); [`classify_sdk_error`]
//! applies it to an aws-sdk-s3 [`SdkError`], whose transport failures (dispatch, timeout, I/O,
//! a truncated or unparseable response) are all [`ErrorClass::Temporary`].

use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// How to react to a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The network or the server hiccupped (connection reset, timeout, 500/502/504,
    /// `InternalError`): retry with backoff.
    Temporary,
    /// The server asked us to slow down (`SlowDown`, 503, 429, `ThrottlingException`):
    /// retry with a longer backoff.
    Throttled,
    /// The temporary credentials expired or were revoked (`ExpiredToken`, `InvalidToken`,
    /// `TokenRefreshRequired`): refresh them and retry. Never fails the file.
    RefreshCredentials,
    /// The request's signing time was too far from the server's (`RequestTimeTooSkewed`).
    /// aws-sdk-s3 measures the offset from the error response's `Date` header and signs the
    /// next request on the same client with it, so one prompt retry normally succeeds.
    ClockSkew,
    /// Retrying cannot help until someone changes something (permissions, bucket name, key,
    /// file); the error's message says what.
    Permanent,
}

impl ErrorClass {
    /// Whether an attempt failing with this class may be tried again.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        self != ErrorClass::Permanent
    }

    /// A stable short name for logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Temporary => "temporary",
            ErrorClass::Throttled => "throttled",
            ErrorClass::RefreshCredentials => "refresh_credentials",
            ErrorClass::ClockSkew => "clock_skew",
            ErrorClass::Permanent => "permanent",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors that know their [`ErrorClass`]; what [`super::Retrier::run`] needs of an error.
pub trait Classify {
    /// How to react to this error.
    fn class(&self) -> ErrorClass;

    /// Whether this error, still failing after every retry, means retrying later cannot help
    /// either. `BadDigest` is the example: one mismatch may be corruption in transit, but a
    /// mismatch on every attempt means the file no longer has the content it was fingerprinted
    /// with. Defaults to `false`.
    fn is_permanent_when_exhausted(&self) -> bool {
        false
    }
}

/// Codes meaning the session credentials expired or were revoked.
const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
    "TokenRefreshRequired",
];

/// Codes meaning "slow down", whatever the status.
const THROTTLING_CODES: &[&str] = &[
    "SlowDown",
    "ServiceUnavailable",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    // DynamoDB's (the shared index).
    "ProvisionedThroughputExceededException",
];

/// Codes worth retrying, whatever the status (some come with a 400).
const TEMPORARY_CODES: &[&str] = &[
    "InternalError",
    "RequestTimeout",
    "RequestTimeoutException",
    "IncompleteBody",
    // Another conditional write or a concurrent complete of the same key is in flight.
    "ConditionalRequestConflict",
    "OperationAborted",
    // The bytes that arrived are not the bytes whose checksum was sent: corruption in transit,
    // or the file changed under us. A retry re-reads the file; see `is_permanent_when_exhausted`.
    "BadDigest",
    "InvalidDigest",
    "XAmzContentSHA256Mismatch",
    // DynamoDB's (the shared index): a server hiccup, and a transaction with the same
    // ClientRequestToken still running.
    "InternalServerError",
    "TransactionInProgressException",
];

/// The class of an S3 error response with HTTP `status` and error `code` (absent for HEAD
/// responses, which have no body). The code wins over the status; unknown codes fall back to
/// the status: 429 and 503 throttle, 408 and other 5xx (but 501) are temporary, the rest
/// (4xx, 501) are permanent.
#[must_use]
pub fn classify_response(status: u16, code: Option<&str>) -> ErrorClass {
    match code {
        Some(code) if CREDENTIAL_CODES.contains(&code) => return ErrorClass::RefreshCredentials,
        Some("RequestTimeTooSkewed") => return ErrorClass::ClockSkew,
        Some(code) if THROTTLING_CODES.contains(&code) => return ErrorClass::Throttled,
        Some(code) if TEMPORARY_CODES.contains(&code) => return ErrorClass::Temporary,
        _ => {}
    }
    match status {
        429 | 503 => ErrorClass::Throttled,
        408 | 500 | 502 | 504..=599 => ErrorClass::Temporary,
        _ => ErrorClass::Permanent,
    }
}

/// The class of any aws-sdk-s3 operation error.
///
/// - Dispatch failures (connect refused, connection reset, I/O, timeouts while sending),
///   timeouts, and response errors (a truncated or unparseable body) are `Temporary`, except a
///   dispatch failure the SDK calls a user error (a bad request body or config), which is
///   `Permanent`.
/// - A request that could not be built is `Permanent`: retrying builds it the same way.
/// - A service error goes through [`classify_response`].
#[must_use]
pub fn classify_sdk_error<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
) -> ErrorClass {
    match error {
        SdkError::ConstructionFailure(_) => ErrorClass::Permanent,
        SdkError::DispatchFailure(failure) if failure.is_user() => ErrorClass::Permanent,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorClass::Temporary
        }
        SdkError::ServiceError(service) => {
            classify_response(service.raw().status().as_u16(), service.err().code())
        }
        // `SdkError` is non-exhaustive: a new kind of failure is retried, within the policy's
        // limits, rather than failing a file on an SDK upgrade.
        _ => ErrorClass::Temporary,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_s3::operation::put_object::PutObjectError;
    use aws_sdk_s3::primitives::SdkBody;

    use super::*;

    #[test]
    fn s3_error_responses_classify_as_the_table_says() {
        use ErrorClass::{ClockSkew, Permanent, RefreshCredentials, Temporary, Throttled};
        let cases: &[(u16, Option<&str>, ErrorClass, &str)] = &[
            (
                500,
                Some("InternalError"),
                Temporary,
                "S3 says retry an InternalError",
            ),
            (500, None, Temporary, "a bare 500 is a server hiccup"),
            (502, None, Temporary, "a proxy in between lost the server"),
            (504, None, Temporary, "a gateway timed out"),
            (
                400,
                Some("RequestTimeout"),
                Temporary,
                "S3 closed an idle upload socket",
            ),
            (
                400,
                Some("BadDigest"),
                Temporary,
                "a corrupted body is worth one more read",
            ),
            (
                400,
                Some("InvalidDigest"),
                Temporary,
                "Garage's word for a checksum mismatch",
            ),
            (
                409,
                Some("ConditionalRequestConflict"),
                Temporary,
                "a racing conditional write",
            ),
            (503, Some("SlowDown"), Throttled, "S3's request-rate limit"),
            (503, None, Throttled, "a bare 503 from S3 means slow down"),
            (429, None, Throttled, "too many requests"),
            (
                400,
                Some("ThrottlingException"),
                Throttled,
                "the code wins over the status",
            ),
            (
                400,
                Some("RequestLimitExceeded"),
                Throttled,
                "an AWS-wide rate limit",
            ),
            (
                400,
                Some("ExpiredToken"),
                RefreshCredentials,
                "Cognito credentials ran out",
            ),
            (
                400,
                Some("InvalidToken"),
                RefreshCredentials,
                "a revoked session token",
            ),
            (
                400,
                Some("TokenRefreshRequired"),
                RefreshCredentials,
                "S3 asks for a refresh",
            ),
            (
                400,
                Some("ExpiredTokenException"),
                RefreshCredentials,
                "the STS spelling",
            ),
            (
                403,
                Some("RequestTimeTooSkewed"),
                ClockSkew,
                "the local clock is off",
            ),
            (
                403,
                Some("AccessDenied"),
                Permanent,
                "the role may not do this",
            ),
            (403, None, Permanent, "a HEAD refused without a body"),
            (
                404,
                Some("NoSuchBucket"),
                Permanent,
                "the bucket name is wrong",
            ),
            (
                403,
                Some("InvalidAccessKeyId"),
                Permanent,
                "the key is unknown",
            ),
            (
                403,
                Some("SignatureDoesNotMatch"),
                Permanent,
                "the secret is wrong",
            ),
            (
                400,
                Some("EntityTooLarge"),
                Permanent,
                "the object is over S3's limit",
            ),
            (
                404,
                Some("NoSuchUpload"),
                Permanent,
                "the multipart upload is gone",
            ),
            (
                501,
                Some("NotImplemented"),
                Permanent,
                "the server lacks the feature",
            ),
            (418, None, Permanent, "an unknown 4xx is not worth a retry"),
        ];
        for &(status, code, expected, why) in cases {
            assert_eq!(
                classify_response(status, code),
                expected,
                "{status} {code:?}: {why}"
            );
        }
    }

    fn service_error(status: u16, code: &str) -> SdkError<PutObjectError, HttpResponse> {
        let raw = HttpResponse::new(
            status.try_into().expect("a valid status code"),
            SdkBody::empty(),
        );
        let error = PutObjectError::generic(ErrorMetadata::builder().code(code).build());
        SdkError::service_error(error, raw)
    }

    #[test]
    fn sdk_errors_classify_by_kind_and_then_by_response() {
        let io = || ConnectorError::io("connection reset by peer".into());
        let cases: Vec<(SdkError<PutObjectError, HttpResponse>, ErrorClass, &str)> = vec![
            (
                SdkError::dispatch_failure(io()),
                ErrorClass::Temporary,
                "a reset connection is retried",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::timeout("read timed out".into())),
                ErrorClass::Temporary,
                "a connector timeout is retried",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::user("bad body".into())),
                ErrorClass::Permanent,
                "a user error repeats on retry",
            ),
            (
                SdkError::timeout_error("attempt timeout"),
                ErrorClass::Temporary,
                "an attempt timeout is retried",
            ),
            (
                SdkError::response_error(
                    "unexpected end of XML",
                    HttpResponse::new(200.try_into().expect("200"), SdkBody::empty()),
                ),
                ErrorClass::Temporary,
                "a truncated response is retried",
            ),
            (
                SdkError::construction_failure("missing bucket"),
                ErrorClass::Permanent,
                "a request that cannot be built never can",
            ),
            (
                service_error(503, "SlowDown"),
                ErrorClass::Throttled,
                "service errors go through the response table",
            ),
            (
                service_error(400, "ExpiredToken"),
                ErrorClass::RefreshCredentials,
                "an expired token is refreshed, not failed",
            ),
        ];
        for (error, expected, why) in &cases {
            assert_eq!(classify_sdk_error(error), *expected, "{why}");
        }
    }

    #[test]
    fn only_permanent_is_not_retryable() {
        for class in [
            ErrorClass::Temporary,
            ErrorClass::Throttled,
            ErrorClass::RefreshCredentials,
            ErrorClass::ClockSkew,
        ] {
            assert!(class.is_retryable(), "{class} must be retried");
        }
        assert!(
            !ErrorClass::Permanent.is_retryable(),
            "permanent errors need a person"
        );
    }
}
