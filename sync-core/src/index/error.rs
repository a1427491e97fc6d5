//! What can go wrong talking to the shared index, typed, with a stable [`FailureCode`] each
//! and a message saying what to do (docs/index.md, "Errors, retries and an unreachable
//! index"). The class for the retry policy comes from the SDK error's kind and code, never
//! from a message.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use lightbox_types::FailureCode;

use super::attrs::ItemError;
use super::client::IndexTable;
use super::cursor::CursorError;
use crate::retry::{Classify, ErrorClass, classify_sdk_error};
use crate::sdk_failure::SdkFailure;

/// A failed index operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    #[error(
        "the index table `{table}` does not exist in {region}: check `[index] table` in the \
         settings (Terraform's `index_table` output) and the region"
    )]
    NoTable { table: String, region: String },
    #[error(
        "the shared index refused {operation} ({failure}): this station's role lacks \
         `dynamodb:{operation}` on the index table `{table}` (or on its writer attributes); \
         ask an admin to attach the index policy of infra/modules/index to the role"
    )]
    AccessDenied {
        operation: &'static str,
        table: String,
        failure: SdkFailure,
    },
    #[error("the shared index could not serve {operation} ({failure}); Lightbox will try again")]
    Unavailable {
        operation: &'static str,
        failure: SdkFailure,
        class: ErrorClass,
    },
    #[error(
        "the shared index left {left} item(s) of a {operation} unread (throttled); Lightbox \
         will try again"
    )]
    Unprocessed {
        operation: &'static str,
        left: usize,
    },
    #[error(
        "other stations' writes kept cancelling this {operation} in the shared index; Lightbox \
         will try again"
    )]
    Contended { operation: &'static str },
    #[error(
        "the shared index refused {operation} as invalid ({failure}); this is a bug in \
         Lightbox: please report it with the log"
    )]
    InvalidRequest {
        operation: &'static str,
        failure: SdkFailure,
    },
    #[error(
        "an item `{pk}` in the index table is not one Lightbox writes ({error}); run \
         `lightbox index check`, and `lightbox index rebuild` to repair it"
    )]
    BadItem { pk: String, error: ItemError },
    #[error(transparent)]
    BadCursor(#[from] CursorError),
    #[error("`{day}` is not a day (YYYY-MM-DD)")]
    BadDay { day: String },
}

impl IndexError {
    /// The stable code of this failure.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::NoTable { .. } => FailureCode::IndexNoTable,
            Self::AccessDenied { .. } => FailureCode::IndexAccessDenied,
            Self::Unavailable { .. } | Self::Unprocessed { .. } => FailureCode::IndexUnavailable,
            Self::Contended { .. } => FailureCode::IndexContended,
            Self::InvalidRequest { .. } => FailureCode::IndexInvalidRequest,
            Self::BadItem { .. } => FailureCode::IndexBadItem,
            Self::BadCursor(_) => FailureCode::IndexBadCursor,
            Self::BadDay { .. } => FailureCode::IndexBadDay,
        }
    }

    /// The failure of `operation` on `table` from the SDK's error, by its kind and code.
    pub(crate) fn from_sdk<E: ProvideErrorMetadata>(
        operation: &'static str,
        table: &IndexTable,
        error: &SdkError<E, HttpResponse>,
    ) -> Self {
        let failure = SdkFailure::of(error);
        let code = match &failure {
            SdkFailure::Service { code, .. } => code.as_deref(),
            _ => None,
        };
        match code {
            Some("ResourceNotFoundException") => Self::NoTable {
                table: table.table().to_owned(),
                region: table.region().to_owned(),
            },
            Some("AccessDeniedException") => Self::AccessDenied {
                operation,
                table: table.table().to_owned(),
                failure,
            },
            _ => match classify_sdk_error(error) {
                ErrorClass::Permanent => Self::InvalidRequest { operation, failure },
                class => Self::Unavailable {
                    operation,
                    failure,
                    class,
                },
            },
        }
    }
}

impl Classify for IndexError {
    fn class(&self) -> ErrorClass {
        match self {
            Self::Unavailable { class, .. } => *class,
            Self::Unprocessed { .. } => ErrorClass::Throttled,
            Self::Contended { .. } => ErrorClass::Temporary,
            Self::NoTable { .. }
            | Self::AccessDenied { .. }
            | Self::InvalidRequest { .. }
            | Self::BadItem { .. }
            | Self::BadCursor(_)
            | Self::BadDay { .. } => ErrorClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn failed(status: u16, code: &str) -> SdkError<BatchGetItemError, HttpResponse> {
        SdkError::service_error(
            BatchGetItemError::generic(ErrorMetadata::builder().code(code).build()),
            HttpResponse::new(status.try_into().expect("a status"), SdkBody::empty()),
        )
    }

    #[test]
    fn dynamodb_replies_become_the_errors_and_classes_docs_index_md_lists() {
        let table = IndexTable::new(
            aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::Config::builder()
                    .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                    .build(),
            ),
            "photos-index".to_owned(),
            "eu-west-1".to_owned(),
        );
        let cases: &[(u16, &str, FailureCode, ErrorClass)] = &[
            (
                400,
                "ThrottlingException",
                FailureCode::IndexUnavailable,
                ErrorClass::Throttled,
            ),
            (
                400,
                "ProvisionedThroughputExceededException",
                FailureCode::IndexUnavailable,
                ErrorClass::Throttled,
            ),
            (
                400,
                "RequestLimitExceeded",
                FailureCode::IndexUnavailable,
                ErrorClass::Throttled,
            ),
            (
                500,
                "InternalServerError",
                FailureCode::IndexUnavailable,
                ErrorClass::Temporary,
            ),
            (
                503,
                "ServiceUnavailable",
                FailureCode::IndexUnavailable,
                ErrorClass::Throttled,
            ),
            (
                400,
                "TransactionInProgressException",
                FailureCode::IndexUnavailable,
                ErrorClass::Temporary,
            ),
            (
                400,
                "ExpiredTokenException",
                FailureCode::IndexUnavailable,
                ErrorClass::RefreshCredentials,
            ),
            (
                400,
                "AccessDeniedException",
                FailureCode::IndexAccessDenied,
                ErrorClass::Permanent,
            ),
            (
                400,
                "ResourceNotFoundException",
                FailureCode::IndexNoTable,
                ErrorClass::Permanent,
            ),
            (
                400,
                "ValidationException",
                FailureCode::IndexInvalidRequest,
                ErrorClass::Permanent,
            ),
            (
                400,
                "IdempotentParameterMismatchException",
                FailureCode::IndexInvalidRequest,
                ErrorClass::Permanent,
            ),
        ];
        for &(status, code, want_code, want_class) in cases {
            let error = IndexError::from_sdk("BatchGetItem", &table, &failed(status, code));
            assert_eq!(
                (error.code(), error.class()),
                (want_code, want_class),
                "{code}: {error}"
            );
        }
        let missing =
            IndexError::from_sdk("Query", &table, &failed(400, "ResourceNotFoundException"));
        assert_eq!(
            missing.to_string(),
            "the index table `photos-index` does not exist in eu-west-1: check `[index] table` in \
             the settings (Terraform's `index_table` output) and the region"
        );
    }
}
