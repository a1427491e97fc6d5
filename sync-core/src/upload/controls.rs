//! Run-time controls shared by every upload through one [`super::S3Transfer`] (and its
//! clones): a pause gate and a bandwidth limit.
//!
//! - **Pause.** Every request that sends or commits bytes (`PutObject`, `UploadPart`,
//!   `CreateMultipartUpload`, `CompleteMultipartUpload`) passes [`TransferControls::enter`]
//!   first: while paused it waits there, so no new request starts. Requests already past the
//!   gate finish (and are journalled by the caller as usual); [`TransferControls::drained`]
//!   resolves when none is left. Entering counts the request in the same lock that reads the
//!   pause flag, so a drain never misses a request that slipped past a concurrent pause.
//! - **Bandwidth.** One [`TokenBucket`] for all uploads, charged as body bytes are handed to
//!   the HTTP client ([`ThrottledBody`]), not per part up front, so a limit changed at run
//!   time applies to the parts already in flight too.
//!
//! Why a hand-written bucket and not `governor` or `leaky-bucket`: both fix the rate when the
//! limiter is built, while ours changes at run time under requests in flight; and the pure
//! [`TokenBucket::take`] takes the time as an argument, so it is tested without a clock.

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_s3::primitives::SdkBody;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

/// How much sending time a full bucket holds: bursts are at most a quarter second's worth.
pub const BURST: Duration = Duration::from_millis(250);

/// A token bucket in its GCRA form: the "theoretical arrival time" `tat` of the next byte.
/// Taking `n` bytes pushes `tat` by `n / rate`; the caller waits until `tat` is at most
/// [`BURST`] ahead of now. So the bytes released by time `t` are at most
/// `rate × (t − t₀) + burst`, where `burst = rate × BURST`. A chunk may overdraw the bucket
/// (it is never split); the wait that follows pays it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    bytes_per_sec: u64,
    tat: Instant,
}

impl TokenBucket {
    /// A full bucket for `bytes_per_sec` (at least 1) at `now`.
    #[must_use]
    pub fn new(bytes_per_sec: u64, now: Instant) -> Self {
        Self {
            bytes_per_sec: bytes_per_sec.max(1),
            tat: now,
        }
    }

    /// The rate in bytes per second.
    #[must_use]
    pub fn bytes_per_sec(&self) -> u64 {
        self.bytes_per_sec
    }

    /// The most bytes released at once from a full bucket.
    #[must_use]
    pub fn burst_bytes(&self) -> u64 {
        duration_to_bytes(BURST, self.bytes_per_sec)
    }

    /// Take `bytes` at `now`; returns how long to wait before sending them.
    pub fn take(&mut self, bytes: u64, now: Instant) -> Duration {
        let start = self.tat.max(now);
        self.tat = start + bytes_to_duration(bytes, self.bytes_per_sec);
        self.tat.saturating_duration_since(now + BURST)
    }

    /// Change the rate at `now`. Debt already taken is kept, re-priced at the new rate, so a
    /// lower limit applies at once to the bytes already waiting.
    pub fn set_rate(&mut self, bytes_per_sec: u64, now: Instant) {
        let bytes_per_sec = bytes_per_sec.max(1);
        let owed = self.tat.saturating_duration_since(now);
        let owed_bytes = duration_to_bytes(owed, self.bytes_per_sec);
        self.bytes_per_sec = bytes_per_sec;
        self.tat = now + bytes_to_duration(owed_bytes, bytes_per_sec);
    }
}

fn bytes_to_duration(bytes: u64, bytes_per_sec: u64) -> Duration {
    let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(bytes_per_sec.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

fn duration_to_bytes(duration: Duration, bytes_per_sec: u64) -> u64 {
    let bytes = duration.as_nanos() * u128::from(bytes_per_sec) / 1_000_000_000;
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// One MiB, the unit of the configured limit.
pub const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, Default)]
struct Gate {
    paused: bool,
    /// Requests past the gate and not finished.
    active: usize,
}

/// The pause gate and bandwidth limit of one transfer and its clones (see the module docs).
#[derive(Debug)]
pub struct TransferControls {
    gate: watch::Sender<Gate>,
    bucket: Mutex<Option<TokenBucket>>,
}

impl Default for TransferControls {
    fn default() -> Self {
        Self {
            gate: watch::Sender::new(Gate::default()),
            bucket: Mutex::new(None),
        }
    }
}

/// A request past the pause gate; dropping it counts the request finished.
#[must_use = "the request counts as in flight while this is held"]
pub struct ActiveRequest<'a> {
    controls: &'a TransferControls,
}

impl Drop for ActiveRequest<'_> {
    fn drop(&mut self) {
        self.controls.gate.send_modify(|gate| {
            gate.active = gate.active.saturating_sub(1);
        });
    }
}

impl TransferControls {
    /// Pause or resume. Returns whether that changed anything.
    pub fn set_paused(&self, paused: bool) -> bool {
        self.gate.send_if_modified(|gate| {
            let changed = gate.paused != paused;
            gate.paused = paused;
            changed
        })
    }

    #[must_use]
    pub fn is_paused(&self) -> bool {
        self.gate.borrow().paused
    }

    /// Requests past the gate and not finished.
    #[must_use]
    pub fn requests_in_flight(&self) -> usize {
        self.gate.borrow().active
    }

    /// Wait until not paused, and count a request in flight until the guard drops.
    pub async fn enter(&self) -> ActiveRequest<'_> {
        let mut gate = self.gate.subscribe();
        loop {
            let mut entered = false;
            self.gate.send_if_modified(|state| {
                if !state.paused {
                    state.active += 1;
                    entered = true;
                }
                entered
            });
            if entered {
                return ActiveRequest { controls: self };
            }
            // The sender lives in `self`, so the channel cannot close while we wait.
            if gate.wait_for(|state| !state.paused).await.is_err() {
                return ActiveRequest { controls: self };
            }
        }
    }

    /// Resolves when no request is past the gate (while paused, none will start).
    pub async fn drained(&self) {
        let mut gate = self.gate.subscribe();
        // The sender lives in `self`: the wait only ends with the condition.
        let _ = gate.wait_for(|state| state.active == 0).await;
    }

    /// Limit all uploads to `mib_per_sec` MiB/s; `None` or 0: unlimited.
    pub fn set_bandwidth_limit(&self, mib_per_sec: Option<u64>) {
        let now = Instant::now();
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        *bucket = match (mib_per_sec.filter(|&l| l > 0), bucket.take()) {
            (None, _) => None,
            (Some(limit), Some(mut current)) => {
                current.set_rate(limit.saturating_mul(MIB), now);
                Some(current)
            }
            (Some(limit), None) => Some(TokenBucket::new(limit.saturating_mul(MIB), now)),
        };
    }

    /// The limit in MiB/s, `None` when unlimited.
    #[must_use]
    pub fn bandwidth_limit(&self) -> Option<u64> {
        self.bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|bucket| bucket.bytes_per_sec() / MIB)
    }

    /// How long to wait before sending `bytes` (zero when unlimited).
    fn reserve(&self, bytes: u64) -> Duration {
        self.bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
            .map_or(Duration::ZERO, |bucket| bucket.take(bytes, Instant::now()))
    }
}

/// A request body whose data frames are released through the controls' token bucket.
pub struct ThrottledBody {
    inner: SdkBody,
    controls: std::sync::Arc<TransferControls>,
    /// A frame taken from `inner`, released when `sleep` ends.
    held: Option<(Frame<Bytes>, Pin<Box<Sleep>>)>,
}

impl ThrottledBody {
    #[must_use]
    pub fn new(inner: SdkBody, controls: std::sync::Arc<TransferControls>) -> Self {
        Self {
            inner,
            controls,
            held: None,
        }
    }
}

impl Body for ThrottledBody {
    type Data = Bytes;
    type Error = <SdkBody as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Some((_, sleep)) = &mut this.held {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            return Poll::Ready(this.held.take().map(|(frame, _)| Ok(frame)));
        }
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        let len = frame.data_ref().map_or(0, |data| data.len() as u64);
        let wait = this.controls.reserve(len);
        if wait.is_zero() {
            return Poll::Ready(Some(Ok(frame)));
        }
        let mut sleep = Box::pin(tokio::time::sleep(wait));
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Ok(frame)));
        }
        this.held = Some((frame, sleep));
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let mut hint = self.inner.size_hint();
        if let Some(len) = self
            .held
            .as_ref()
            .and_then(|(frame, _)| frame.data_ref().map(|d| d.len() as u64))
        {
            hint.set_lower(hint.lower().saturating_add(len));
            if let Some(upper) = hint.upper() {
                hint.set_upper(upper.saturating_add(len));
            }
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u64 = 4 * MIB;

    #[test]
    fn a_bucket_releases_at_most_its_rate_plus_one_burst() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let chunk = 64 * 1024;
        // (what happens, when (ms after t0), bytes taken, expected wait in ms)
        let cases: [(&str, u64, u64, u64); 5] = [
            ("a full bucket sends a burst at once", 0, RATE / 4, 0),
            ("past the burst, a chunk waits for its share", 0, chunk, 15),
            ("time refills the bucket", 1000, chunk, 0),
            ("a big overdraw waits for all of it", 1000, RATE, 765),
            (
                "an idle bucket refills only up to one burst",
                60_000,
                RATE / 2,
                250,
            ),
        ];
        let mut bucket = TokenBucket::new(RATE, t0);
        assert_eq!(bucket.burst_bytes(), RATE / 4, "a burst is 250 ms of rate");
        for (what, at, bytes, want_ms) in cases {
            let wait = bucket.take(bytes, ms(at));
            assert_eq!(
                wait.as_millis(),
                u128::from(want_ms),
                "{what}: {bytes} bytes at {at} ms"
            );
        }
    }

    #[test]
    fn released_bytes_never_exceed_rate_times_time_plus_burst() {
        // A sender that always sends as soon as allowed, in 64 KiB chunks.
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(RATE, t0);
        let mut now = t0;
        let mut sent: u64 = 0;
        for _ in 0..1000 {
            let wait = bucket.take(64 * 1024, now);
            now += wait;
            sent += 64 * 1024;
            let allowed = duration_to_bytes(now - t0, RATE) + bucket.burst_bytes();
            // 1 KiB of slack for the nanosecond rounding of 1000 takes (a few bytes).
            assert!(
                sent <= allowed + 1024,
                "by {:?} {sent} bytes were released, the bound is {allowed}",
                now - t0
            );
        }
        assert!(
            now - t0 >= Duration::from_millis(15_000),
            "1000 × 64 KiB at 4 MiB/s take at least 15.6 s less one burst: {:?}",
            now - t0
        );
    }

    #[test]
    fn a_lower_rate_reprices_the_debt_already_taken() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(RATE, t0);
        // 1.25 s of debt at 4 MiB/s: 5 MiB owed, 1 s beyond the burst.
        assert_eq!(bucket.take(5 * MIB, t0), Duration::from_secs(1));
        bucket.set_rate(RATE / 2, t0);
        // The same 5 MiB at 2 MiB/s: 2.5 s, and the next byte waits behind them.
        assert_eq!(
            bucket.take(0, t0),
            Duration::from_millis(2250),
            "halving the rate doubles the time the owed bytes take"
        );
    }

    #[tokio::test]
    async fn a_paused_gate_holds_new_requests_and_drains_active_ones() {
        let controls = std::sync::Arc::new(TransferControls::default());
        let first = controls.enter().await;
        assert!(controls.set_paused(true), "pausing changes the state");
        assert!(!controls.set_paused(true), "pausing twice changes nothing");
        let waiting = {
            let controls = std::sync::Arc::clone(&controls);
            tokio::spawn(async move {
                let _second = controls.enter().await;
            })
        };
        tokio::task::yield_now().await;
        assert_eq!(
            controls.requests_in_flight(),
            1,
            "the request entered before the pause is still in flight; the new one waits"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(10), controls.drained())
            .await
            .expect("with the first request done and the gate shut, nothing is in flight");
        assert!(
            !waiting.is_finished(),
            "the new request still waits at the gate"
        );
        controls.set_paused(false);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("resuming opens the gate")
            .expect("the waiting task ends");
    }
}
