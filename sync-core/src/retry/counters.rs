//! Retries counted by [`ErrorClass`], for the daemon's `/metrics`
//! (`lightbox_retries_total{class}`). Every [`super::Retrier`] counts into the process-wide
//! [`RetryCounters::global`] unless given its own ([`super::Retrier::with_counters`]).

use std::sync::atomic::{AtomicU64, Ordering};

use super::ErrorClass;

/// The classes a retry can have (a `Permanent` failure is never retried).
pub const RETRIED_CLASSES: [ErrorClass; 4] = [
    ErrorClass::Temporary,
    ErrorClass::Throttled,
    ErrorClass::RefreshCredentials,
    ErrorClass::ClockSkew,
];

/// Attempts that failed and were tried again, by the class of their failure.
#[derive(Debug, Default)]
pub struct RetryCounters {
    counts: [AtomicU64; RETRIED_CLASSES.len()],
}

static GLOBAL: RetryCounters = RetryCounters::new();

impl RetryCounters {
    #[must_use]
    pub const fn new() -> Self {
        Self {
            counts: [const { AtomicU64::new(0) }; RETRIED_CLASSES.len()],
        }
    }

    /// The counters every retrier uses unless told otherwise.
    #[must_use]
    pub fn global() -> &'static Self {
        &GLOBAL
    }

    /// One more retry after a failure of `class` (a `Permanent` one is not counted: it is
    /// never retried).
    pub fn record(&self, class: ErrorClass) {
        if let Some(i) = RETRIED_CLASSES.iter().position(|c| *c == class) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Every retried class with its count so far.
    #[must_use]
    pub fn snapshot(&self) -> [(ErrorClass, u64); RETRIED_CLASSES.len()] {
        let mut out = [(ErrorClass::Temporary, 0); RETRIED_CLASSES.len()];
        for (i, class) in RETRIED_CLASSES.iter().enumerate() {
            out[i] = (*class, self.counts[i].load(Ordering::Relaxed));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_counted_by_class_and_permanent_failures_not_at_all() {
        let counters = RetryCounters::new();
        counters.record(ErrorClass::Throttled);
        counters.record(ErrorClass::Throttled);
        counters.record(ErrorClass::ClockSkew);
        counters.record(ErrorClass::Permanent);
        let snapshot = counters.snapshot();
        assert_eq!(
            snapshot,
            [
                (ErrorClass::Temporary, 0),
                (ErrorClass::Throttled, 2),
                (ErrorClass::RefreshCredentials, 0),
                (ErrorClass::ClockSkew, 1),
            ]
        );
    }
}
