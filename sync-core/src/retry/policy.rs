//! The retry decisions, as pure functions of the failure so far and a random source: how long
//! to wait before the next attempt (full-jitter exponential backoff), and whether to retry at
//! all (attempt budget, overall deadline, error class).

use std::time::Duration;

use rand::Rng;

use super::ErrorClass;

/// Exponential backoff with full jitter: before retry `n` (1-based) wait a uniformly random
/// time in `[0, min(cap, base × 2^(n-1))]` (the "Full Jitter" of AWS's backoff analysis,
/// which spreads out clients that failed together better than any fixed delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling before the first retry.
    pub base: Duration,
    /// The ceiling never grows past this.
    pub cap: Duration,
}

impl Backoff {
    /// The longest wait before retry number `retry` (1-based; 0 is treated as 1).
    #[must_use]
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.base
            .checked_mul(1_u32 << doublings)
            .map_or(self.cap, |grown| grown.min(self.cap))
    }

    /// A full-jitter wait before retry number `retry`: uniform in `[0, ceiling(retry)]`, at
    /// millisecond resolution.
    pub fn delay(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling_ms = u64::try_from(self.ceiling(retry).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling_ms))
    }
}

/// When and how often to retry one operation (one `PutObject`, one `UploadPart`, ...).
///
/// Temporary and throttled failures share the attempt budget; a credential refresh or a
/// clock-skew correction has its own small budget, because neither means the server or the
/// network is struggling. Nothing is retried once `deadline` would pass, so one stuck file
/// cannot hold an upload slot forever: the caller's queue schedules it again later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included, that may fail temporarily or by throttling.
    pub max_attempts: u32,
    /// No retry is started whose wait would end later than this after the first attempt began.
    pub deadline: Duration,
    /// Backoff after a [`ErrorClass::Temporary`] failure.
    pub temporary: Backoff,
    /// Backoff after a [`ErrorClass::Throttled`] failure: longer, the server asked for it.
    pub throttled: Backoff,
    /// Credential refreshes (each followed by an immediate retry) per operation.
    pub max_credential_refreshes: u32,
    /// Immediate retries after `RequestTimeTooSkewed` per operation.
    pub max_clock_skew_retries: u32,
}

impl Default for RetryPolicy {
    /// The policy for uploads: 6 attempts within 15 minutes (a 16 MiB part on a slow studio
    /// uplink takes minutes), temporary backoff from 250 ms up to 20 s, throttled backoff
    /// from 1 s up to 60 s, two credential refreshes and one clock-skew retry.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            deadline: Duration::from_secs(15 * 60),
            temporary: Backoff {
                base: Duration::from_millis(250),
                cap: Duration::from_secs(20),
            },
            throttled: Backoff {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(60),
            },
            max_credential_refreshes: 2,
            max_clock_skew_retries: 1,
        }
    }
}

/// What happened so far in one operation's attempts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttemptTally {
    /// Attempts made, every kind included.
    pub attempts: u32,
    /// Attempts that failed temporarily or by throttling.
    pub backoff_failures: u32,
    /// Credential refreshes made.
    pub credential_refreshes: u32,
    /// Retries made after clock skew.
    pub clock_skew_retries: u32,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait `after`, refresh the credentials first if asked, then try again.
    Retry {
        after: Duration,
        refresh_credentials: bool,
    },
    /// Stop and hand the error back.
    GiveUp(GiveUpReason),
}

/// Why an operation stopped being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GiveUpReason {
    /// The error is [`ErrorClass::Permanent`].
    Permanent,
    /// `max_attempts` temporary or throttled failures.
    AttemptsExhausted,
    /// The next wait would end past the policy's deadline.
    DeadlineReached,
    /// Fresh credentials were rejected too: the user must sign in again.
    CredentialRefreshesExhausted,
    /// The request was still too skewed after the SDK corrected its clock offset.
    ClockSkewPersists,
}

impl RetryPolicy {
    /// The jittered wait before the next attempt after `failures` failures of `class` (the
    /// first retry is `failures == 1`). Credential refreshes and clock-skew corrections are
    /// retried at once: nothing is overloaded, and the fix happened before the retry.
    pub fn next_delay(&self, class: ErrorClass, failures: u32, rng: &mut impl Rng) -> Duration {
        match class {
            ErrorClass::Temporary => self.temporary.delay(failures, rng),
            ErrorClass::Throttled => self.throttled.delay(failures, rng),
            ErrorClass::RefreshCredentials | ErrorClass::ClockSkew | ErrorClass::Permanent => {
                Duration::ZERO
            }
        }
    }

    /// Record a failed attempt of `class` in `tally` and decide what to do next, `elapsed`
    /// after the first attempt began. `tally.attempts` must already count the failed attempt.
    pub fn decide(
        &self,
        tally: &mut AttemptTally,
        class: ErrorClass,
        elapsed: Duration,
        rng: &mut impl Rng,
    ) -> RetryDecision {
        let (after, refresh_credentials) = match class {
            ErrorClass::Permanent => return RetryDecision::GiveUp(GiveUpReason::Permanent),
            ErrorClass::Temporary | ErrorClass::Throttled => {
                tally.backoff_failures += 1;
                if tally.backoff_failures >= self.max_attempts {
                    return RetryDecision::GiveUp(GiveUpReason::AttemptsExhausted);
                }
                (self.next_delay(class, tally.backoff_failures, rng), false)
            }
            ErrorClass::RefreshCredentials => {
                if tally.credential_refreshes >= self.max_credential_refreshes {
                    return RetryDecision::GiveUp(GiveUpReason::CredentialRefreshesExhausted);
                }
                tally.credential_refreshes += 1;
                (Duration::ZERO, true)
            }
            ErrorClass::ClockSkew => {
                if tally.clock_skew_retries >= self.max_clock_skew_retries {
                    return RetryDecision::GiveUp(GiveUpReason::ClockSkewPersists);
                }
                tally.clock_skew_retries += 1;
                (Duration::ZERO, false)
            }
        };
        if elapsed.saturating_add(after) > self.deadline {
            return RetryDecision::GiveUp(GiveUpReason::DeadlineReached);
        }
        RetryDecision::Retry {
            after,
            refresh_credentials,
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_ceiling_doubles_from_base_up_to_cap() {
        let backoff = Backoff {
            base: 100 * MS,
            cap: 1000 * MS,
        };
        let cases = [
            (0, 100, "retry 0 is treated as the first"),
            (1, 100, "the first retry waits at most base"),
            (2, 200, "doubles"),
            (3, 400, "doubles again"),
            (4, 800, "still under the cap"),
            (5, 1000, "capped"),
            (40, 1000, "no overflow far past the cap"),
            (u32::MAX, 1000, "no overflow at the end of u32"),
        ];
        for (retry, ceiling_ms, why) in cases {
            assert_eq!(
                backoff.ceiling(retry),
                ceiling_ms * MS,
                "retry {retry}: {why}"
            );
        }
    }

    #[test]
    fn full_jitter_delays_stay_within_the_ceiling_and_spread_out() {
        let backoff = Backoff {
            base: 100 * MS,
            cap: 1000 * MS,
        };
        let mut rng = StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| backoff.delay(3, &mut rng)).collect();
        assert!(
            delays.iter().all(|d| *d <= 400 * MS),
            "full jitter never exceeds the ceiling of retry 3 (400 ms)"
        );
        let short = delays.iter().filter(|d| **d < 200 * MS).count();
        assert!(
            (50..150).contains(&short),
            "uniform jitter puts about half of 200 delays below half the ceiling, got {short}"
        );
    }

    #[test]
    fn throttling_backs_off_longer_than_a_temporary_failure() {
        let policy = RetryPolicy::default();
        for retry in 1..=6 {
            assert!(
                policy.throttled.ceiling(retry) > policy.temporary.ceiling(retry),
                "retry {retry}: the server asked us to slow down"
            );
        }
    }

    /// Feed `classes` as consecutive failures, each `step` apart, and collect the decisions.
    fn decisions(
        policy: &RetryPolicy,
        classes: &[ErrorClass],
        step: Duration,
    ) -> Vec<RetryDecision> {
        let mut rng = StdRng::seed_from_u64(1);
        let mut tally = AttemptTally::default();
        let mut elapsed = Duration::ZERO;
        classes
            .iter()
            .map(|&class| {
                tally.attempts += 1;
                let decision = policy.decide(&mut tally, class, elapsed, &mut rng);
                elapsed += step;
                decision
            })
            .collect()
    }

    fn is_retry(decision: &RetryDecision) -> bool {
        matches!(decision, RetryDecision::Retry { .. })
    }

    #[test]
    fn decisions_follow_the_class_and_the_budgets() {
        use ErrorClass::{ClockSkew, Permanent, RefreshCredentials, Temporary, Throttled};
        let policy = RetryPolicy {
            max_attempts: 3,
            max_credential_refreshes: 1,
            max_clock_skew_retries: 1,
            ..RetryPolicy::default()
        };
        let give_up = RetryDecision::GiveUp;
        let cases: &[(&[ErrorClass], GiveUpReason, &str)] = &[
            (
                &[Permanent],
                GiveUpReason::Permanent,
                "permanent errors are never retried",
            ),
            (
                &[Temporary, Throttled, Temporary],
                GiveUpReason::AttemptsExhausted,
                "temporary and throttled failures share max_attempts = 3",
            ),
            (
                &[
                    Temporary,
                    RefreshCredentials,
                    ClockSkew,
                    Temporary,
                    RefreshCredentials,
                ],
                GiveUpReason::CredentialRefreshesExhausted,
                "refreshes have their own budget of 1, not counted in max_attempts",
            ),
            (
                &[ClockSkew, ClockSkew],
                GiveUpReason::ClockSkewPersists,
                "a second skew error means the correction did not help",
            ),
        ];
        for (classes, reason, why) in cases {
            let made = decisions(&policy, classes, Duration::ZERO);
            let (last, before) = made.split_last().expect("at least one failure");
            assert!(
                before.iter().all(is_retry),
                "{why}: all but the last are retried: {made:?}"
            );
            assert_eq!(*last, give_up(*reason), "{why}");
        }
    }

    #[test]
    fn refreshes_and_skew_retry_at_once_and_refreshes_ask_for_it() {
        let policy = RetryPolicy::default();
        let made = decisions(
            &policy,
            &[ErrorClass::RefreshCredentials, ErrorClass::ClockSkew],
            Duration::ZERO,
        );
        assert_eq!(
            made,
            [
                RetryDecision::Retry {
                    after: Duration::ZERO,
                    refresh_credentials: true
                },
                RetryDecision::Retry {
                    after: Duration::ZERO,
                    refresh_credentials: false
                },
            ],
            "the fix (new credentials, the SDK's skew correction) precedes the retry, so no wait"
        );
    }

    #[test]
    fn no_retry_is_started_past_the_deadline() {
        let policy = RetryPolicy {
            max_attempts: 100,
            deadline: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let made = decisions(
            &policy,
            &[ErrorClass::Temporary; 20],
            Duration::from_secs(3),
        );
        let retries = made.iter().take_while(|d| is_retry(d)).count();
        assert!(
            (3..=4).contains(&retries),
            "failures at 0, 3, 6, 9 s may retry (9 s only if the jitter is < 1 s), got {retries}"
        );
        assert_eq!(
            made[retries],
            RetryDecision::GiveUp(GiveUpReason::DeadlineReached),
            "the deadline, not the attempt budget, stopped it"
        );
    }
}
