//! Running an operation under a [`RetryPolicy`]: the only retry loop in the engine.
//!
//! Time and credential refresh are injected ([`Clock`], [`CredentialRefresh`]) so tests run
//! without waiting and without a network.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::{
    AttemptTally, Classify, ErrorClass, GiveUpReason, RetryCounters, RetryDecision, RetryPolicy,
};

/// Where [`Retrier`] reads the time and how it waits.
pub trait Clock: Send + Sync {
    /// Now, monotonic.
    fn now(&self) -> Instant;
    /// Wait `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// The real clock: [`Instant::now`] and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// How to get fresh credentials after [`ErrorClass::RefreshCredentials`] (the Cognito
/// identity-pool exchange, for the desktop app).
pub trait CredentialRefresh: Send + Sync {
    /// Make the next request use fresh credentials: those in use when the refused attempt
    /// started (`attempt_started`, real time) are dropped; credentials loaded since are kept.
    /// A refresh that fails shows up as the next attempt failing again; after
    /// `max_credential_refreshes` the error is handed back with class `RefreshCredentials`,
    /// which never fails the file: the user is asked to sign in.
    fn refresh(&self, attempt_started: Instant) -> impl Future<Output = ()> + Send;
}

/// No refresh hook: the retry relies on the SDK's identity cache, which loads new credentials
/// by itself once the cached ones are past their expiry (the headless daemon's instance or task
/// role).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCredentialRefresh;

impl CredentialRefresh for NoCredentialRefresh {
    async fn refresh(&self, _attempt_started: Instant) {}
}

/// An operation that failed for good under the policy: its last error, how many attempts were
/// made and why retrying stopped.
#[derive(Debug)]
pub struct RetryError<E> {
    /// The error of the last attempt.
    pub last: E,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// Why there was no further attempt.
    pub reason: GiveUpReason,
}

impl<E: Classify> RetryError<E> {
    /// The class of the failure as a whole, for the caller's queue: what `last` says, except
    /// that an error which is permanent when exhausted (a checksum mismatch on every attempt)
    /// becomes `Permanent` once the budget or the deadline ran out.
    #[must_use]
    pub fn class(&self) -> ErrorClass {
        let exhausted = matches!(
            self.reason,
            GiveUpReason::AttemptsExhausted | GiveUpReason::DeadlineReached
        );
        if exhausted && self.last.is_permanent_when_exhausted() {
            ErrorClass::Permanent
        } else {
            self.last.class()
        }
    }
}

impl<E: Classify> Classify for RetryError<E> {
    fn class(&self) -> ErrorClass {
        RetryError::class(self)
    }
}

impl<E: fmt::Display> fmt::Display for RetryError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = self.attempts;
        let note = match self.reason {
            GiveUpReason::Permanent => return write!(f, "{}", self.last),
            GiveUpReason::AttemptsExhausted => {
                format!("still failing after {attempts} attempts; Lightbox will try again later")
            }
            GiveUpReason::DeadlineReached => format!(
                "still failing after {attempts} attempts when the retry deadline passed; \
                 Lightbox will try again later"
            ),
            GiveUpReason::CredentialRefreshesExhausted => {
                "fresh credentials were refused too: sign in again".to_owned()
            }
            GiveUpReason::ClockSkewPersists => "the clock correction did not help: set this \
                 computer's clock to update automatically"
                .to_owned(),
        };
        write!(f, "{} ({note})", self.last)
    }
}

impl<E: std::error::Error + 'static> std::error::Error for RetryError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.last)
    }
}

/// A [`RetryPolicy`] with its clock, its credential refresh and its random source. Share one
/// between concurrent operations: [`Retrier::run`] takes `&self`.
#[derive(Debug)]
pub struct Retrier<C = TokioClock, R = NoCredentialRefresh> {
    policy: RetryPolicy,
    clock: C,
    refresh: R,
    rng: Mutex<StdRng>,
    /// Where each retry is counted by class (`/metrics`).
    counters: &'static RetryCounters,
}

impl Retrier {
    /// `policy` on the real clock, without a credential-refresh hook.
    #[must_use]
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            policy,
            clock: TokioClock,
            refresh: NoCredentialRefresh,
            rng: Mutex::new(StdRng::from_os_rng()),
            counters: RetryCounters::global(),
        }
    }
}

impl<C: Clock, R: CredentialRefresh> Retrier<C, R> {
    /// The same retrier on another clock (tests).
    pub fn with_clock<C2: Clock>(self, clock: C2) -> Retrier<C2, R> {
        Retrier {
            policy: self.policy,
            clock,
            refresh: self.refresh,
            rng: self.rng,
            counters: self.counters,
        }
    }

    /// The same retrier, refreshing credentials with `refresh`.
    pub fn with_credential_refresh<R2: CredentialRefresh>(self, refresh: R2) -> Retrier<C, R2> {
        Retrier {
            policy: self.policy,
            clock: self.clock,
            refresh,
            rng: self.rng,
            counters: self.counters,
        }
    }

    /// The same retrier with a seeded jitter source (reproducible tests).
    #[must_use]
    pub fn with_seed(self, seed: u64) -> Self {
        Self {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            ..self
        }
    }

    /// The same retrier, counting its retries into `counters` instead of
    /// [`RetryCounters::global`] (tests).
    #[must_use]
    pub fn with_counters(self, counters: &'static RetryCounters) -> Self {
        Self { counters, ..self }
    }

    /// The policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Run `op` until it succeeds or the policy gives up. `op` gets the attempt number
    /// (1-based) and must be safe to repeat: every upload call is (a part number is simply
    /// overwritten; a conditional put or complete that already happened answers "exists").
    ///
    /// # Errors
    /// The last attempt's error, wrapped in a [`RetryError`] saying why retrying stopped.
    pub async fn run<T, E, Op, Fut>(&self, mut op: Op) -> Result<T, RetryError<E>>
    where
        E: Classify + fmt::Display,
        Op: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let started = self.clock.now();
        let mut tally = AttemptTally::default();
        loop {
            tally.attempts += 1;
            let attempt_started = Instant::now();
            let last = match op(tally.attempts).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let class = last.class();
            let elapsed = self.clock.now().saturating_duration_since(started);
            let decision = {
                // A poisoned lock only means another task panicked mid-draw; the generator
                // itself is still usable.
                let mut rng = self
                    .rng
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                self.policy.decide(&mut tally, class, elapsed, &mut *rng)
            };
            match decision {
                RetryDecision::GiveUp(reason) => {
                    return Err(RetryError {
                        last,
                        attempts: tally.attempts,
                        reason,
                    });
                }
                RetryDecision::Retry {
                    after,
                    refresh_credentials,
                } => {
                    self.counters.record(class);
                    tracing::debug!(
                        attempt = tally.attempts,
                        %class,
                        wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                        error = %last,
                        "retrying"
                    );
                    if refresh_credentials {
                        self.refresh.refresh(attempt_started).await;
                    }
                    if !after.is_zero() {
                        self.clock.sleep(after).await;
                    }
                }
            }
        }
    }
}

/// Run `op` under `policy` on the real clock, without a credential-refresh hook. See
/// [`Retrier::run`].
///
/// # Errors
/// The last attempt's error, wrapped in a [`RetryError`].
pub async fn run<T, E, Op, Fut>(policy: &RetryPolicy, op: Op) -> Result<T, RetryError<E>>
where
    E: Classify + fmt::Display,
    Op: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    Retrier::new(policy.clone()).run(op).await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A clock that never waits: `sleep` moves its time forward and records the wait.
    #[derive(Debug, Clone)]
    struct ManualClock {
        origin: Instant,
        elapsed: Arc<Mutex<Duration>>,
        sleeps: Arc<Mutex<Vec<Duration>>>,
    }

    impl ManualClock {
        fn new() -> Self {
            Self {
                origin: Instant::now(),
                elapsed: Arc::default(),
                sleeps: Arc::default(),
            }
        }

        fn sleeps(&self) -> Vec<Duration> {
            self.sleeps.lock().expect("test lock").clone()
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> Instant {
            self.origin + *self.elapsed.lock().expect("test lock")
        }

        fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
            *self.elapsed.lock().expect("test lock") += duration;
            self.sleeps.lock().expect("test lock").push(duration);
            std::future::ready(())
        }
    }

    #[derive(Debug, Default, Clone)]
    struct CountingRefresh(Arc<AtomicU32>);

    impl CredentialRefresh for CountingRefresh {
        async fn refresh(&self, _attempt_started: Instant) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Failure {
        class: ErrorClass,
        permanent_when_exhausted: bool,
    }

    impl Failure {
        fn of(class: ErrorClass) -> Self {
            Self {
                class,
                permanent_when_exhausted: false,
            }
        }
    }

    impl Classify for Failure {
        fn class(&self) -> ErrorClass {
            self.class
        }
        fn is_permanent_when_exhausted(&self) -> bool {
            self.permanent_when_exhausted
        }
    }

    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} failure", self.class)
        }
    }

    /// Run an operation that fails with `script` in order and then succeeds.
    fn run_script(
        policy: RetryPolicy,
        script: &[Failure],
    ) -> (Result<u32, RetryError<Failure>>, ManualClock, u32) {
        let clock = ManualClock::new();
        let refreshes = CountingRefresh::default();
        let retrier = Retrier::new(policy)
            .with_clock(clock.clone())
            .with_credential_refresh(refreshes.clone())
            .with_seed(3);
        let result = block_on(retrier.run(|attempt| {
            let outcome = match script.get(usize::try_from(attempt - 1).expect("small")) {
                Some(failure) => Err(*failure),
                None => Ok(attempt),
            };
            std::future::ready(outcome)
        }));
        (result, clock, refreshes.0.load(Ordering::SeqCst))
    }

    /// The manual clock never pends, so a current-thread runtime drives the loop to the end.
    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
            .block_on(future)
    }

    #[test]
    fn temporary_failures_are_retried_with_jittered_waits_until_success() {
        let policy = RetryPolicy::default();
        let script = [Failure::of(ErrorClass::Temporary); 3];
        let (result, clock, _) = run_script(policy.clone(), &script);
        assert_eq!(
            result.expect("the 4th attempt succeeds"),
            4,
            "three failures, then success"
        );
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 3, "one wait before each retry: {sleeps:?}");
        for (i, wait) in sleeps.iter().enumerate() {
            let retry = u32::try_from(i + 1).expect("small");
            assert!(
                *wait <= policy.temporary.ceiling(retry),
                "wait {i} ({wait:?}) is within the full-jitter ceiling"
            );
        }
    }

    #[test]
    fn each_retry_is_counted_by_the_class_of_the_failure_before_it() {
        static COUNTERS: RetryCounters = RetryCounters::new();
        let retrier = Retrier::new(RetryPolicy::default())
            .with_clock(ManualClock::new())
            .with_seed(5)
            .with_counters(&COUNTERS);
        let script = [
            Failure::of(ErrorClass::Throttled),
            Failure::of(ErrorClass::Temporary),
            Failure::of(ErrorClass::Throttled),
            Failure::of(ErrorClass::Permanent),
        ];
        let result = block_on(retrier.run(|attempt| {
            let failure = script[usize::try_from(attempt - 1).expect("small")];
            std::future::ready(Err::<(), _>(failure))
        }));
        assert_eq!(result.expect_err("ends permanent").attempts, 4);
        assert_eq!(
            COUNTERS.snapshot(),
            [
                (ErrorClass::Temporary, 1),
                (ErrorClass::Throttled, 2),
                (ErrorClass::RefreshCredentials, 0),
                (ErrorClass::ClockSkew, 0),
            ],
            "three retries; the permanent failure at the end is given up, not retried"
        );
    }

    #[test]
    fn a_permanent_failure_stops_at_once() {
        let (result, clock, _) = run_script(
            RetryPolicy::default(),
            &[Failure::of(ErrorClass::Permanent)],
        );
        let error = result.expect_err("permanent");
        assert_eq!(error.attempts, 1, "no retry of a permanent failure");
        assert_eq!(error.reason, GiveUpReason::Permanent);
        assert!(clock.sleeps().is_empty(), "nothing to wait for");
    }

    #[test]
    fn expired_credentials_are_refreshed_then_retried_without_waiting() {
        let (result, clock, refreshes) = run_script(
            RetryPolicy::default(),
            &[Failure::of(ErrorClass::RefreshCredentials)],
        );
        assert_eq!(result.expect("retried after the refresh"), 2);
        assert_eq!(refreshes, 1, "the hook ran before the retry");
        assert!(clock.sleeps().is_empty(), "a refresh needs no backoff");
    }

    #[test]
    fn credentials_refused_after_every_refresh_keep_their_class() {
        let policy = RetryPolicy::default();
        let refreshes_allowed = policy.max_credential_refreshes;
        let script = [Failure::of(ErrorClass::RefreshCredentials); 10];
        let (result, _, refreshes) = run_script(policy, &script);
        let error = result.expect_err("never accepted");
        assert_eq!(
            refreshes, refreshes_allowed,
            "the refresh budget was used up"
        );
        assert_eq!(
            error.class(),
            ErrorClass::RefreshCredentials,
            "the queue must park the file for sign-in, never fail it"
        );
        assert!(
            error.to_string().contains("sign in again"),
            "the message says what to do: {error}"
        );
    }

    #[test]
    fn a_mismatch_on_every_attempt_becomes_permanent() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let mismatch = Failure {
            class: ErrorClass::Temporary,
            permanent_when_exhausted: true,
        };
        let (result, _, _) = run_script(policy, &[mismatch; 5]);
        let error = result.expect_err("exhausted");
        assert_eq!(error.attempts, 3, "max_attempts = 3");
        assert_eq!(error.reason, GiveUpReason::AttemptsExhausted);
        assert_eq!(
            error.class(),
            ErrorClass::Permanent,
            "the same mismatch three times is no transit glitch"
        );
    }

    #[test]
    fn exhausted_temporary_failures_stay_temporary_for_the_queue() {
        let policy = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let (result, _, _) = run_script(policy, &[Failure::of(ErrorClass::Throttled); 5]);
        let error = result.expect_err("exhausted");
        assert_eq!(
            error.class(),
            ErrorClass::Throttled,
            "the queue tries the file again later"
        );
        assert!(
            error.to_string().contains("after 2 attempts"),
            "the message counts the attempts: {error}"
        );
    }
}
