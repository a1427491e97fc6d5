//! When a file is taken up again after a setback: the one per-file retry schedule.
//!
//! [`super::RetryPolicy`] retries one request for seconds to minutes. When it gives up, or
//! when a step cannot go on for another reason (the file changed under the uploader, the
//! catalog could not be written), the file itself waits: its row gets a `next_attempt_at`, or
//! the component that holds it (uploader, previewer, pipeline) leaves it alone for a while.
//! Every such wait comes from [`FileRetrySchedule`], as a pure function of what held the file
//! back ([`Setback`], for a failure its [`ErrorClass`]), how many times in a row it did, the
//! time now (passed in) and a random source.
//!
//! The wait is exponential with a cap and **equal jitter**: uniform between half and all of
//! the ceiling. Never less than half, so a file that failed does not come straight back; the
//! spread over the other half keeps files that failed together (a network drop) from all
//! coming back at the same moment.

use std::time::Duration;

use jiff::Timestamp;
use rand::Rng;

use super::{Backoff, ErrorClass};

/// What held a file back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setback {
    /// A step failed with this class: the retry policy gave up on a request, or a read failed.
    /// [`ErrorClass::Permanent`] is never retried by itself (a person retries it).
    Failed(ErrorClass),
    /// The file changed on disk under a step: the pipeline looks at it again first.
    FileChanged,
    /// The catalog could not record a step (disk full, read-only, locked by another program).
    CatalogUnwritable,
}

/// The per-file waits, each a [`Backoff`] (`base` before the first retry, doubling per
/// setback in a row, at most `cap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRetrySchedule {
    /// After a temporary failure (the network, a server error, a read error) or clock skew.
    pub temporary: Backoff,
    /// After the server asked to slow down: longer.
    pub throttled: Backoff,
    /// After credentials were still refused past their refreshes: short, since the file is
    /// never failed for it and new credentials (a sign-in) fix it at once.
    pub credentials: Backoff,
    /// After the file changed under the uploader: long enough for the pipeline to see it.
    pub file_changed: Backoff,
    /// After the catalog could not be written: short, so a freed disk is noticed soon.
    pub catalog: Backoff,
}

impl Default for FileRetrySchedule {
    /// Temporary 30 s → 30 min, throttled 60 s → 30 min, credentials 5 s → 5 min, file changed
    /// 30 s → 5 min, catalog 5 s → 5 min.
    fn default() -> Self {
        let backoff = |base, cap| Backoff {
            base: Duration::from_secs(base),
            cap: Duration::from_secs(cap),
        };
        Self {
            temporary: backoff(30, 30 * 60),
            throttled: backoff(60, 30 * 60),
            credentials: backoff(5, 5 * 60),
            file_changed: backoff(30, 5 * 60),
            catalog: backoff(5, 5 * 60),
        }
    }
}

impl FileRetrySchedule {
    /// The backoff for `setback`; `None` for a permanent failure.
    fn backoff(&self, setback: Setback) -> Option<&Backoff> {
        match setback {
            Setback::Failed(ErrorClass::Permanent) => None,
            Setback::Failed(ErrorClass::Temporary | ErrorClass::ClockSkew) => Some(&self.temporary),
            Setback::Failed(ErrorClass::Throttled) => Some(&self.throttled),
            Setback::Failed(ErrorClass::RefreshCredentials) => Some(&self.credentials),
            Setback::FileChanged => Some(&self.file_changed),
            Setback::CatalogUnwritable => Some(&self.catalog),
        }
    }

    /// The longest wait after the `in_a_row`-th setback in a row (1 is the first; 0 counts as
    /// 1); `None` when the file is not retried by itself.
    #[must_use]
    pub fn ceiling(&self, setback: Setback, in_a_row: u32) -> Option<Duration> {
        self.backoff(setback).map(|b| b.ceiling(in_a_row))
    }

    /// The wait after the `in_a_row`-th setback in a row: uniform in `[ceiling / 2, ceiling]`,
    /// at millisecond resolution; `None` when the file is not retried by itself.
    pub fn delay(&self, setback: Setback, in_a_row: u32, rng: &mut impl Rng) -> Option<Duration> {
        let ceiling = self.ceiling(setback, in_a_row)?;
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Some(Duration::from_millis(
            rng.random_range(ceiling_ms / 2..=ceiling_ms),
        ))
    }

    /// When a file held back at `now` is due again ([`FileRetrySchedule::delay`] later), for a
    /// catalog row's `next_attempt_at`; `None` when it is not retried by itself.
    pub fn next_attempt_at(
        &self,
        setback: Setback,
        in_a_row: u32,
        now: Timestamp,
        rng: &mut impl Rng,
    ) -> Option<Timestamp> {
        let delay = self.delay(setback, in_a_row, rng)?;
        Some(now.saturating_add(delay).unwrap_or(Timestamp::MAX))
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn each_setback_has_its_ceiling_doubling_per_setback_in_a_row_up_to_a_cap() {
        use ErrorClass::{ClockSkew, Permanent, RefreshCredentials, Temporary, Throttled};
        let schedule = FileRetrySchedule::default();
        let cases: &[(Setback, u32, Option<Duration>, &str)] = &[
            (
                Setback::Failed(Temporary),
                1,
                Some(30 * S),
                "a first temporary failure",
            ),
            (Setback::Failed(Temporary), 2, Some(60 * S), "doubles"),
            (
                Setback::Failed(Temporary),
                7,
                Some(1800 * S),
                "30 s × 64 is past the 30 min cap",
            ),
            (
                Setback::Failed(Temporary),
                u32::MAX,
                Some(1800 * S),
                "no overflow",
            ),
            (
                Setback::Failed(ClockSkew),
                1,
                Some(30 * S),
                "a skew that persists waits as a temporary failure",
            ),
            (
                Setback::Failed(Throttled),
                1,
                Some(60 * S),
                "the server asked to slow down",
            ),
            (Setback::Failed(Throttled), 6, Some(1800 * S), "capped"),
            (
                Setback::Failed(RefreshCredentials),
                1,
                Some(5 * S),
                "new credentials fix it at once",
            ),
            (
                Setback::Failed(RefreshCredentials),
                9,
                Some(300 * S),
                "a sign-in that stays expired",
            ),
            (
                Setback::Failed(Permanent),
                1,
                None,
                "a person retries a permanent failure",
            ),
            (
                Setback::FileChanged,
                1,
                Some(30 * S),
                "the pipeline sees the change first",
            ),
            (
                Setback::FileChanged,
                5,
                Some(300 * S),
                "a file that keeps changing",
            ),
            (
                Setback::CatalogUnwritable,
                0,
                Some(5 * S),
                "0 counts as the first",
            ),
            (
                Setback::CatalogUnwritable,
                3,
                Some(20 * S),
                "a disk still full",
            ),
        ];
        for &(setback, in_a_row, ceiling, why) in cases {
            assert_eq!(
                schedule.ceiling(setback, in_a_row),
                ceiling,
                "{setback:?} × {in_a_row}: {why}"
            );
        }
    }

    #[test]
    fn waits_lie_between_half_and_all_of_the_ceiling_and_spread_out() {
        let schedule = FileRetrySchedule::default();
        let mut rng = StdRng::seed_from_u64(17);
        let setback = Setback::Failed(ErrorClass::Temporary);
        let waits: Vec<Duration> = (0..200)
            .map(|_| schedule.delay(setback, 2, &mut rng).expect("retried"))
            .collect();
        assert!(
            waits.iter().all(|w| (30 * S..=60 * S).contains(w)),
            "the second failure in a row waits 30–60 s: {waits:?}"
        );
        let lower_half = waits.iter().filter(|w| **w < 45 * S).count();
        assert!(
            (50..150).contains(&lower_half),
            "uniform: about half of 200 waits below 45 s, got {lower_half}"
        );
        assert_eq!(
            schedule.delay(Setback::Failed(ErrorClass::Permanent), 1, &mut rng),
            None,
            "no wait, no retry"
        );
    }

    #[test]
    fn the_next_attempt_is_the_wait_after_the_time_passed_in() {
        let schedule = FileRetrySchedule::default();
        let now = Timestamp::from_second(1_700_000_000).expect("a valid time");
        let mut rng = StdRng::seed_from_u64(3);
        let setback = Setback::Failed(ErrorClass::Throttled);
        let at = schedule
            .next_attempt_at(setback, 1, now, &mut rng)
            .expect("retried");
        let waited = at.duration_since(now);
        assert!(
            (SignedDuration::from_secs(30)..=SignedDuration::from_secs(60)).contains(&waited),
            "a first throttling waits 30–60 s from now, got {waited}"
        );
        assert_eq!(
            schedule.next_attempt_at(Setback::Failed(ErrorClass::Permanent), 1, now, &mut rng),
            None
        );
    }
}
