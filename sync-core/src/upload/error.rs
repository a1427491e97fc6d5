//! What can go wrong moving bytes to S3, each with what to do about it and its [`ErrorClass`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use lightbox_types::FailureCode;

use crate::retry::{Classify, ErrorClass, classify_sdk_error};

/// The S3 call that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3Call {
    PutObject,
    HeadObject,
    CreateMultipartUpload,
    UploadPart,
    ListParts,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListMultipartUploads,
}

impl fmt::Display for S3Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What an S3 failure means, whatever server or SDK layer reported it. Its `Display` says what
/// happens next or what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum S3Problem {
    AccessDenied,
    NoSuchBucket,
    CredentialsRejected,
    CredentialsExpired,
    ClockSkew,
    Throttled,
    ServerError,
    Network,
    Conflict,
    /// A body did not match the checksum sent with it.
    ChecksumMismatch,
    /// The parts of a multipart upload do not add up to the whole-object checksum.
    ContentMismatch,
    UploadGone,
    InvalidPart,
    TooLarge,
    PartTooSmall,
    /// A 400 or 403 with no error code: the reply to a `HEAD` (which has no body). It may be
    /// expired credentials or a skewed clock (both pass on a retry: the SDK re-reads
    /// credentials and corrects its clock from the reply's `Date`) or a real refusal.
    RefusedWithoutCode,
    Rejected,
}

impl S3Problem {
    /// Name the problem from the failed `call`, its HTTP `status` and S3 error `code` (both
    /// absent for transport failures) and its retry `class`.
    #[must_use]
    pub fn identify(
        call: S3Call,
        status: Option<u16>,
        code: Option<&str>,
        class: ErrorClass,
    ) -> Self {
        match code {
            Some("AccessDenied" | "AllAccessDisabled" | "AccountProblem") => {
                return Self::AccessDenied;
            }
            Some("NoSuchBucket") => return Self::NoSuchBucket,
            Some(
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "AuthorizationHeaderMalformed"
                | "InvalidSecurity",
            ) => return Self::CredentialsRejected,
            Some("NoSuchUpload") => return Self::UploadGone,
            Some("InvalidPart" | "InvalidPartOrder") => return Self::InvalidPart,
            Some("EntityTooLarge") => return Self::TooLarge,
            Some("EntityTooSmall") => return Self::PartTooSmall,
            Some("BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch") => {
                return if call == S3Call::CompleteMultipartUpload {
                    Self::ContentMismatch
                } else {
                    Self::ChecksumMismatch
                };
            }
            Some("ConditionalRequestConflict" | "OperationAborted") => return Self::Conflict,
            _ => {}
        }
        match class {
            ErrorClass::RefreshCredentials => Self::CredentialsExpired,
            ErrorClass::ClockSkew => Self::ClockSkew,
            ErrorClass::Throttled => Self::Throttled,
            ErrorClass::Temporary if status.is_some() => Self::ServerError,
            ErrorClass::Temporary => Self::Network,
            // A HEAD refused has no body, so no code: retried, then permanent.
            ErrorClass::Permanent if code.is_none() && matches!(status, Some(400 | 403)) => {
                Self::RefusedWithoutCode
            }
            ErrorClass::Permanent if status == Some(403) => Self::AccessDenied,
            ErrorClass::Permanent => Self::Rejected,
        }
    }

    /// How to react. The class is a function of the problem, so a message never disagrees
    /// with what the queue does.
    #[must_use]
    pub fn class(self) -> ErrorClass {
        match self {
            Self::CredentialsExpired => ErrorClass::RefreshCredentials,
            Self::ClockSkew => ErrorClass::ClockSkew,
            Self::Throttled => ErrorClass::Throttled,
            Self::ServerError
            | Self::Network
            | Self::Conflict
            | Self::ChecksumMismatch
            | Self::RefusedWithoutCode => ErrorClass::Temporary,
            Self::AccessDenied
            | Self::NoSuchBucket
            | Self::CredentialsRejected
            | Self::ContentMismatch
            | Self::UploadGone
            | Self::InvalidPart
            | Self::TooLarge
            | Self::PartTooSmall
            | Self::Rejected => ErrorClass::Permanent,
        }
    }

    /// A stable code for logs, the catalog and the UI.
    #[must_use]
    pub fn code(self) -> FailureCode {
        match self {
            Self::AccessDenied => FailureCode::UploadAccessDenied,
            Self::NoSuchBucket => FailureCode::UploadNoSuchBucket,
            Self::CredentialsRejected => FailureCode::UploadCredentialsRejected,
            Self::CredentialsExpired => FailureCode::UploadCredentialsExpired,
            Self::ClockSkew => FailureCode::UploadClockSkew,
            Self::Throttled => FailureCode::UploadThrottled,
            Self::ServerError => FailureCode::UploadServerError,
            Self::Network => FailureCode::UploadNetwork,
            Self::Conflict => FailureCode::UploadConflict,
            Self::ChecksumMismatch => FailureCode::UploadChecksumMismatch,
            Self::ContentMismatch => FailureCode::UploadContentMismatch,
            Self::UploadGone => FailureCode::UploadGone,
            Self::InvalidPart => FailureCode::UploadInvalidPart,
            Self::TooLarge => FailureCode::UploadTooLarge,
            Self::PartTooSmall => FailureCode::UploadPartTooSmall,
            Self::RefusedWithoutCode => FailureCode::UploadRefusedWithoutCode,
            Self::Rejected => FailureCode::UploadRejected,
        }
    }
}

impl fmt::Display for S3Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AccessDenied => {
                "access denied: the signed-in user's role (or the daemon's IAM role) may not do \
                 this; ask an admin to check that the role may upload to this bucket"
            }
            Self::NoSuchBucket => {
                "the bucket does not exist: check `storage.bucket` and `storage.region` in the \
                 config"
            }
            Self::CredentialsRejected => {
                "the server does not accept these credentials: sign in again, or check the \
                 access key and secret of the configured profile"
            }
            Self::CredentialsExpired => {
                "the credentials expired: Lightbox refreshes them and retries"
            }
            Self::ClockSkew => {
                "this computer's clock differs from the server's by more than 15 minutes: \
                 Lightbox retries with the corrected time; if this persists, set the clock to \
                 update automatically"
            }
            Self::Throttled => "the server asked us to slow down: Lightbox backs off and retries",
            Self::ServerError => "the server had a temporary problem: Lightbox retries",
            Self::Network => {
                "the connection failed or the reply was cut off: Lightbox retries; check the \
                 network if this persists"
            }
            Self::Conflict => "another write to the same key was in progress: Lightbox retries",
            Self::ChecksumMismatch => {
                "the bytes the server received do not match their checksum (corrupted on the \
                 way, or the file changed during the upload): Lightbox reads the file again \
                 and retries"
            }
            Self::ContentMismatch => {
                "the uploaded parts do not add up to the file as it was fingerprinted (it \
                 changed since): Lightbox reads it again and starts a new upload"
            }
            Self::UploadGone => {
                "the multipart upload no longer exists (aborted, or expired by the bucket's \
                 lifecycle rule): check whether the object exists, otherwise start a new upload"
            }
            Self::InvalidPart => {
                "the server does not have a part the completion named, or its ETag differs: \
                 list the parts again and upload the missing ones"
            }
            Self::TooLarge => "the object is larger than S3 accepts",
            Self::PartTooSmall => {
                "a part other than the last is smaller than S3's 5 MiB minimum: this is a bug \
                 in Lightbox's part sizes; please report it"
            }
            Self::RefusedWithoutCode => {
                "the server refused a request without saying why (a reply to HEAD has no \
                 body): expired credentials or a skewed clock pass on a retry, which Lightbox \
                 made; since it persists, ask an admin to check that the role may read and \
                 upload to this bucket, and run `lightbox doctor`"
            }
            Self::Rejected => "the server refused the request: please report this with the log",
        })
    }
}

/// A failed transfer call. [`UploadError::code`] is stable; [`Classify::class`] tells the
/// retry policy and the queue what to do.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(
        "{} could not be read for upload ({source}); check the disk or network share, \
         Lightbox will retry",
        path.display()
    )]
    ReadFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "{} disappeared before it was uploaded (moved or deleted); nothing to upload unless it \
         comes back",
        path.display()
    )]
    FileVanished { path: PathBuf },

    #[error(
        "{} changed after it was fingerprinted (the upload needs {needed} bytes, the file has \
         {found}); Lightbox will read it again once it settles",
        path.display()
    )]
    FileChanged {
        path: PathBuf,
        needed: u64,
        found: u64,
    },

    #[error(
        "the file has {size} bytes, more than S3 accepts in one object ({max} bytes); it \
         cannot be uploaded as it is"
    )]
    TooLarge { size: u64, max: u64 },

    #[error(
        "part number {part_number} is outside S3's range 1..=10000: this is a bug in \
         Lightbox's part sizes; please report it"
    )]
    PartNumberOutOfRange { part_number: u16 },

    #[error("{call} of s3://{bucket}/{key} failed: {problem} ({detail})")]
    S3 {
        call: S3Call,
        bucket: String,
        key: String,
        problem: S3Problem,
        /// Status, code and the server's message, or the transport failure.
        detail: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error(
        "{call} of s3://{bucket}/{key}: the server's reply {what}; the server may not be \
         S3-compatible enough, please report this with the log"
    )]
    BadResponse {
        call: S3Call,
        bucket: String,
        key: String,
        what: String,
    },
}

impl UploadError {
    /// A stable code for logs, the catalog and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::ReadFile { .. } => FailureCode::UploadReadFile,
            Self::FileVanished { .. } => FailureCode::UploadFileVanished,
            Self::FileChanged { .. } => FailureCode::UploadFileChanged,
            Self::TooLarge { .. } => FailureCode::UploadTooLarge,
            Self::PartNumberOutOfRange { .. } => FailureCode::UploadPartNumberOutOfRange,
            Self::S3 { problem, .. } => problem.code(),
            Self::BadResponse { .. } => FailureCode::UploadBadResponse,
        }
    }

    /// The S3 problem, for an error the server or the transport reported.
    #[must_use]
    pub fn problem(&self) -> Option<S3Problem> {
        match self {
            Self::S3 { problem, .. } => Some(*problem),
            _ => None,
        }
    }

    /// Wrap an SDK failure of `call` on `key`.
    pub(crate) fn from_sdk<E>(
        call: S3Call,
        bucket: &str,
        key: &str,
        error: SdkError<E, HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let class = classify_sdk_error(&error);
        let status = error.raw_response().map(|raw| raw.status().as_u16());
        let service = error.as_service_error();
        let code = service.and_then(ProvideErrorMetadata::code);
        let problem = S3Problem::identify(call, status, code, class);
        let detail = match status {
            Some(status) => {
                let mut detail = format!("HTTP {status}");
                if let Some(code) = code {
                    detail.push(' ');
                    detail.push_str(code);
                }
                if let Some(message) = service.and_then(ProvideErrorMetadata::message) {
                    detail.push_str(": ");
                    detail.push_str(message);
                }
                detail
            }
            None => DisplayErrorContext(&error).to_string(),
        };
        Self::S3 {
            call,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            problem,
            detail,
            source: Box::new(error),
        }
    }

    /// Map a local I/O failure on `path`.
    pub(crate) fn from_io(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::NotFound => Self::FileVanished { path },
            _ => Self::ReadFile { path, source },
        }
    }
}

impl Classify for UploadError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::ReadFile { .. } => ErrorClass::Temporary,
            Self::FileVanished { .. }
            | Self::FileChanged { .. }
            | Self::TooLarge { .. }
            | Self::PartNumberOutOfRange { .. }
            | Self::BadResponse { .. } => ErrorClass::Permanent,
            Self::S3 { problem, .. } => problem.class(),
        }
    }

    fn is_permanent_when_exhausted(&self) -> bool {
        matches!(
            self.problem(),
            Some(S3Problem::ChecksumMismatch | S3Problem::RefusedWithoutCode)
        )
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::upload_part::UploadPartError;
    use aws_sdk_s3::primitives::SdkBody;

    use super::*;

    fn service_error(call: S3Call, status: u16, code: &str, message: &str) -> UploadError {
        let raw = HttpResponse::new(status.try_into().expect("a status"), SdkBody::empty());
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let error = SdkError::service_error(UploadPartError::generic(meta), raw);
        UploadError::from_sdk(call, "photos", "originals/2024/a.cr3", error)
    }

    #[test]
    fn a_head_refused_without_a_code_is_retried_then_permanent() {
        for status in [400_u16, 403] {
            // A reply to HEAD has no body: the SDK sees the status only.
            let raw = HttpResponse::new(status.try_into().expect("a status"), SdkBody::empty());
            let error = SdkError::service_error(
                UploadPartError::generic(ErrorMetadata::builder().build()),
                raw,
            );
            let error =
                UploadError::from_sdk(S3Call::HeadObject, "photos", "originals/a.jpg", error);
            assert_eq!(
                error.problem(),
                Some(S3Problem::RefusedWithoutCode),
                "{status}"
            );
            assert_eq!(
                error.class(),
                ErrorClass::Temporary,
                "{status}: an ExpiredToken or RequestTimeTooSkewed to a HEAD looks like this, \
                 and a retry cures both"
            );
            assert!(
                error.is_permanent_when_exhausted(),
                "{status}: a refusal on every attempt is a real one"
            );
            assert!(error.to_string().contains("lightbox doctor"), "{error}");
        }
    }

    #[test]
    fn s3_failures_get_a_code_a_class_and_a_message_that_says_what_to_do() {
        use S3Call::{CompleteMultipartUpload, UploadPart};
        let cases = [
            (
                UploadPart,
                403,
                "AccessDenied",
                FailureCode::UploadAccessDenied,
                ErrorClass::Permanent,
                "ask an admin",
            ),
            (
                UploadPart,
                404,
                "NoSuchBucket",
                FailureCode::UploadNoSuchBucket,
                ErrorClass::Permanent,
                "storage.bucket",
            ),
            (
                UploadPart,
                403,
                "InvalidAccessKeyId",
                FailureCode::UploadCredentialsRejected,
                ErrorClass::Permanent,
                "sign in again",
            ),
            (
                UploadPart,
                400,
                "ExpiredToken",
                FailureCode::UploadCredentialsExpired,
                ErrorClass::RefreshCredentials,
                "refreshes",
            ),
            (
                UploadPart,
                403,
                "RequestTimeTooSkewed",
                FailureCode::UploadClockSkew,
                ErrorClass::ClockSkew,
                "clock",
            ),
            (
                UploadPart,
                503,
                "SlowDown",
                FailureCode::UploadThrottled,
                ErrorClass::Throttled,
                "backs off",
            ),
            (
                UploadPart,
                500,
                "InternalError",
                FailureCode::UploadServerError,
                ErrorClass::Temporary,
                "retries",
            ),
            (
                UploadPart,
                400,
                "BadDigest",
                FailureCode::UploadChecksumMismatch,
                ErrorClass::Temporary,
                "reads the file again",
            ),
            (
                CompleteMultipartUpload,
                400,
                "InvalidDigest",
                FailureCode::UploadContentMismatch,
                ErrorClass::Permanent,
                "new upload",
            ),
            (
                UploadPart,
                404,
                "NoSuchUpload",
                FailureCode::UploadGone,
                ErrorClass::Permanent,
                "start a new upload",
            ),
            (
                CompleteMultipartUpload,
                400,
                "InvalidPart",
                FailureCode::UploadInvalidPart,
                ErrorClass::Permanent,
                "list the parts again",
            ),
            (
                UploadPart,
                400,
                "EntityTooLarge",
                FailureCode::UploadTooLarge,
                ErrorClass::Permanent,
                "larger than S3",
            ),
            (
                UploadPart,
                400,
                "WeirdNewCode",
                FailureCode::UploadRejected,
                ErrorClass::Permanent,
                "report",
            ),
        ];
        for (call, status, code, expected_code, class, hint) in cases {
            let error = service_error(call, status, code, "server says so");
            let message = error.to_string();
            assert_eq!(error.code(), expected_code, "{call} {status} {code}");
            assert_eq!(error.class(), class, "{call} {status} {code}");
            assert!(
                message.contains(hint)
                    && message.contains(code)
                    && message.contains("server says so"),
                "the message names the call's object, the server's words and what to do: {message}"
            );
            assert!(
                message.contains("s3://photos/originals/2024/a.cr3"),
                "{message}"
            );
        }
    }

    #[test]
    fn only_a_checksum_mismatch_turns_permanent_when_retries_run_out() {
        let mismatch = service_error(S3Call::UploadPart, 400, "BadDigest", "");
        let server = service_error(S3Call::UploadPart, 500, "InternalError", "");
        assert!(
            mismatch.is_permanent_when_exhausted(),
            "the same mismatch on every attempt means the file changed"
        );
        assert!(
            !server.is_permanent_when_exhausted(),
            "a struggling server is tried again later"
        );
    }

    #[test]
    fn a_transport_failure_is_a_temporary_network_problem() {
        let error: SdkError<UploadPartError, HttpResponse> = SdkError::dispatch_failure(
            aws_sdk_s3::error::ConnectorError::io("connection reset by peer".into()),
        );
        let error = UploadError::from_sdk(S3Call::UploadPart, "b", "k", error);
        assert_eq!(error.code(), FailureCode::UploadNetwork);
        assert_eq!(error.class(), ErrorClass::Temporary, "{error}");
    }

    #[test]
    fn local_file_failures_say_whether_the_file_is_gone_or_unreadable() {
        let path = Path::new("/photos/a.cr3");
        let gone = UploadError::from_io(path, io::Error::from(io::ErrorKind::NotFound));
        let denied = UploadError::from_io(path, io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(gone.code(), FailureCode::UploadFileVanished);
        assert_eq!(
            gone.class(),
            ErrorClass::Permanent,
            "a vanished file is not retried"
        );
        assert_eq!(denied.code(), FailureCode::UploadReadFile);
        assert!(denied.to_string().contains("/photos/a.cr3"), "{denied}");
    }
}
