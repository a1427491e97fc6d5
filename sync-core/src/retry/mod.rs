//! Retry is a policy object (DESIGN.md, house style): jittered exponential backoff, a maximum
//! count and an overall deadline, with every error classified so the queue knows whether to
//! retry, back off harder, refresh credentials, or give up.
//!
//! - [`class`]: [`ErrorClass`] and the classification of aws-sdk-s3 errors;
//! - [`policy`]: [`RetryPolicy`], the pure decisions ([`RetryPolicy::next_delay`],
//!   [`RetryPolicy::decide`]);
//! - [`mod@run`]: [`Retrier::run`], the one retry loop, with the clock and the credential
//!   refresh injected;
//! - [`schedule`]: [`FileRetrySchedule`], when a whole file is taken up again after a setback
//!   (a failure the policy gave up on, a file that changed, a catalog that could not be
//!   written): the one per-file schedule the uploader, the previewer and the pipeline use.
//!
//! # Who retries: this policy, not the SDK
//!
//! The S3 client used for transfers has the SDK's own retries disabled
//! (`RetryConfig::disabled()`, set by `upload::S3Transfer::new`), so that every retry goes
//! through this policy. Otherwise the SDK's standard mode (3 attempts, with a client-wide retry
//! token bucket that starts failing retries under load) would multiply with ours, hide attempts
//! from the logs, and keep going past our deadline. One attempt per SDK call also means a
//! retried part re-opens its file range, and the caller's catalog journal sees each outcome.
//!
//! # Clock skew: what we rely on from the SDK
//!
//! aws-runtime 1.10 (aws-sdk-s3 1.157 in Cargo.lock) installs `ServiceClockSkewInterceptor` on
//! every S3 client: it measures the offset between the local clock and every response's `Date`
//! header (error responses included, so also the `RequestTimeTooSkewed` one, and also with the
//! SDK's retries disabled), keeps it in the client, and signs the client's next requests at
//! `now + offset`. So [`ErrorClass::ClockSkew`] is retried once, at once, **on the same
//! client**; building a new client per attempt would lose the learned offset. It is on unless
//! the client was built with `disable_clock_skew_correction(true)`. If the skew persists, the
//! error is handed back with class `ClockSkew` and a message asking to fix the system clock.
//! `sync-core/tests/it/upload.rs` (`a_skewed_client_clock_is_corrected_from_the_first_refusal`)
//! checks this against Garage with a client clock a day behind: refused once, then accepted.

pub mod class;
pub mod counters;
pub mod policy;
pub mod run;
pub mod schedule;

pub use class::{Classify, ErrorClass, classify_response, classify_sdk_error};
pub use counters::RetryCounters;
pub use policy::{AttemptTally, Backoff, GiveUpReason, RetryDecision, RetryPolicy};
pub use run::{
    Clock, CredentialRefresh, NoCredentialRefresh, Retrier, RetryError, TokioClock, run,
};
pub use schedule::{FileRetrySchedule, Setback};
