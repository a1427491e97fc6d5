//! What the proxy does to which request: the fault kinds, request matchers and
//! the plan (a queue of targeted faults plus an optional seeded random schedule).

use std::collections::VecDeque;
use std::time::Duration;

use super::operation::S3Operation;

/// One injected failure. Each says whether the upstream server sees the request,
/// because that decides what a retry must cope with (a stored object or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Read the request head and about half its body, then reset the connection
    /// (TCP RST). The request never reaches upstream.
    ResetBeforeResponse,
    /// Forward the request; send the response head and half the body, then reset
    /// the connection. When the response has no body (a `PutObject` reply) the
    /// reset comes before the head. Upstream did the work.
    ResetMidResponse,
    /// Forward the request, hold the response for `duration`, then either relay it
    /// or reset the connection without answering. Upstream did the work.
    Stall {
        duration: Duration,
        then: AfterStall,
    },
    /// Answer `500 InternalError` without forwarding.
    ServerError500,
    /// Answer `503 SlowDown` without forwarding.
    SlowDown503,
    /// Answer `400 ExpiredToken` without forwarding.
    ExpiredToken,
    /// Answer `400 InvalidToken` without forwarding (a revoked or malformed session token).
    InvalidToken,
    /// Answer `403 RequestTimeTooSkewed` without forwarding.
    RequestTimeTooSkewed,
    /// Forward the request; send the response head with its `Content-Length` and
    /// half the body, then close the connection cleanly (FIN). A reply with an
    /// empty body gets a made-up `Content-Length` so the cut still shows; a reply
    /// that can have no body (to `HEAD`) is closed before its head. Upstream did the work.
    TruncatedResponse,
}

/// What a [`Fault::Stall`] does once its time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterStall {
    /// Relay the response as if nothing happened (the client only waited).
    Continue,
    /// Reset the connection without answering.
    Reset,
}

/// A fault without its parameters: the key for counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    ResetBeforeResponse,
    ResetMidResponse,
    StallThenContinue,
    StallThenReset,
    ServerError500,
    SlowDown503,
    ExpiredToken,
    InvalidToken,
    RequestTimeTooSkewed,
    TruncatedResponse,
}

impl FaultKind {
    /// Whether the client sees its request fail (every kind but a stall that continues).
    #[must_use]
    pub fn fails_the_request(self) -> bool {
        self != Self::StallThenContinue
    }
}

impl Fault {
    /// Hold the response for `duration`, then relay it.
    #[must_use]
    pub fn stall(duration: Duration) -> Self {
        Self::Stall {
            duration,
            then: AfterStall::Continue,
        }
    }

    /// Hold the response for `duration`, then reset the connection.
    #[must_use]
    pub fn stall_then_reset(duration: Duration) -> Self {
        Self::Stall {
            duration,
            then: AfterStall::Reset,
        }
    }

    #[must_use]
    pub fn kind(self) -> FaultKind {
        match self {
            Self::ResetBeforeResponse => FaultKind::ResetBeforeResponse,
            Self::ResetMidResponse => FaultKind::ResetMidResponse,
            Self::Stall {
                then: AfterStall::Continue,
                ..
            } => FaultKind::StallThenContinue,
            Self::Stall {
                then: AfterStall::Reset,
                ..
            } => FaultKind::StallThenReset,
            Self::ServerError500 => FaultKind::ServerError500,
            Self::SlowDown503 => FaultKind::SlowDown503,
            Self::ExpiredToken => FaultKind::ExpiredToken,
            Self::InvalidToken => FaultKind::InvalidToken,
            Self::RequestTimeTooSkewed => FaultKind::RequestTimeTooSkewed,
            Self::TruncatedResponse => FaultKind::TruncatedResponse,
        }
    }

    /// Whether the upstream server receives (and so may act on) the request.
    #[must_use]
    pub fn reaches_upstream(self) -> bool {
        matches!(
            self,
            Self::ResetMidResponse | Self::Stall { .. } | Self::TruncatedResponse
        )
    }
}

/// What a request looks like to a matcher and in the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    pub method: String,
    /// The request target as sent: path and query.
    pub target: String,
    pub operation: S3Operation,
}

/// Which requests a fault may hit. Every condition set must hold; `any()` matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMatcher {
    method: Option<String>,
    operation: Option<S3Operation>,
    target_contains: Vec<String>,
}

impl RequestMatcher {
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Only requests with this method (`"PUT"`, case-insensitive).
    #[must_use]
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only requests classified as this operation.
    #[must_use]
    pub fn operation(mut self, operation: S3Operation) -> Self {
        self.operation = Some(operation);
        self
    }

    /// Only requests whose target (path and query, as sent) contains `needle`,
    /// e.g. `"partNumber=2&"` or `"uploadId="`.
    #[must_use]
    pub fn target_contains(mut self, needle: &str) -> Self {
        self.target_contains.push(needle.to_owned());
        self
    }

    #[must_use]
    pub fn matches(&self, request: &RequestSummary) -> bool {
        self.method.as_ref().is_none_or(|m| *m == request.method)
            && self.operation.is_none_or(|op| op == request.operation)
            && self
                .target_contains
                .iter()
                .all(|needle| request.target.contains(needle.as_str()))
    }
}

/// Faults drawn at random per matching request, reproducibly from a seed, up to a budget.
#[derive(Debug, Clone)]
pub struct RandomFaults {
    rng: SplitMix64,
    when: RequestMatcher,
    mix: Vec<(Fault, f64)>,
    remaining: u64,
}

impl RandomFaults {
    /// No faults yet: add them with [`RandomFaults::with`].
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64(seed),
            when: RequestMatcher::any(),
            mix: Vec::new(),
            remaining: u64::MAX,
        }
    }

    /// Inject `fault` into a matching request with this probability.
    ///
    /// # Panics
    /// When the probabilities of all faults add up to more than 1 (a mistake in
    /// the test, not a runtime condition).
    #[must_use]
    pub fn with(mut self, fault: Fault, probability: f64) -> Self {
        self.mix.push((fault, probability));
        let total: f64 = self.mix.iter().map(|(_, p)| p).sum();
        assert!(
            (0.0..=1.0).contains(&probability) && total <= 1.0 + f64::EPSILON,
            "fault probabilities must each be in 0..=1 and add up to at most 1, got {total}"
        );
        self
    }

    /// Only requests that `when` matches are candidates.
    #[must_use]
    pub fn only(mut self, when: RequestMatcher) -> Self {
        self.when = when;
        self
    }

    /// Stop after this many faults.
    #[must_use]
    pub fn at_most(mut self, max_faults: u64) -> Self {
        self.remaining = max_faults;
        self
    }

    /// How many more faults this schedule may inject.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn draw(&mut self, request: &RequestSummary) -> Option<Fault> {
        if self.remaining == 0 || !self.when.matches(request) {
            return None;
        }
        let roll = self.rng.next_unit();
        let mut cumulative = 0.0;
        let fault = self.mix.iter().find_map(|&(fault, p)| {
            cumulative += p;
            (roll < cumulative).then_some(fault)
        })?;
        self.remaining -= 1;
        Some(fault)
    }
}

/// The proxy's schedule: queued faults first, then the random schedule, if any.
///
/// A queued fault hits the next request its matcher matches, once; entries are
/// tried in the order they were queued, so faults aimed at different operations
/// do not wait for each other.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    queued: VecDeque<(RequestMatcher, Fault)>,
    random: Option<RandomFaults>,
}

impl FaultPlan {
    /// No faults: the proxy only relays and counts.
    #[must_use]
    pub fn pass_through() -> Self {
        Self::default()
    }

    /// Queue `fault` for the next request that `when` matches.
    #[must_use]
    pub fn then(mut self, when: RequestMatcher, fault: Fault) -> Self {
        self.queue(when, fault);
        self
    }

    /// Add a random schedule, consulted when no queued fault matches.
    #[must_use]
    pub fn with_random(mut self, random: RandomFaults) -> Self {
        self.random = Some(random);
        self
    }

    pub fn queue(&mut self, when: RequestMatcher, fault: Fault) {
        self.queued.push_back((when, fault));
    }

    /// Queued faults not yet injected.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Faults the random schedule may still inject (0 without one).
    #[must_use]
    pub fn random_remaining(&self) -> u64 {
        self.random.as_ref().map_or(0, RandomFaults::remaining)
    }

    /// The fault for this request, if any; consumes it from the plan.
    pub fn decide(&mut self, request: &RequestSummary) -> Option<Fault> {
        if let Some(index) = self.queued.iter().position(|(m, _)| m.matches(request)) {
            return self.queued.remove(index).map(|(_, fault)| fault);
        }
        self.random.as_mut().and_then(|r| r.draw(request))
    }
}

/// A tiny seeded generator (SplitMix64): the schedule must not change when a
/// dependency's generator does.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits (exact in an `f64`).
    #[allow(clippy::cast_precision_loss)]
    fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / 9_007_199_254_740_992.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str) -> RequestSummary {
        RequestSummary {
            method: method.to_owned(),
            target: target.to_owned(),
            operation: S3Operation::classify(method, target, false),
        }
    }

    #[test]
    fn fault_plan_gives_each_queued_fault_to_the_first_request_it_matches() {
        let mut plan = FaultPlan::pass_through()
            .then(
                RequestMatcher::any().operation(S3Operation::UploadPart),
                Fault::ResetBeforeResponse,
            )
            .then(RequestMatcher::any().method("get"), Fault::SlowDown503);
        let put = request("PUT", "/b/k?x-id=PutObject");
        let get = request("GET", "/b/k?x-id=GetObject");
        let part = request("PUT", "/b/k?partNumber=1&uploadId=u");

        assert_eq!(plan.decide(&put), None, "a PutObject matches neither entry");
        assert_eq!(
            plan.decide(&get),
            Some(Fault::SlowDown503),
            "the GET entry need not wait for the UploadPart entry queued before it"
        );
        assert_eq!(plan.decide(&get), None, "a queued fault hits once");
        assert_eq!(plan.decide(&part), Some(Fault::ResetBeforeResponse));
        assert_eq!(plan.queued(), 0, "both queued faults were used");
    }

    #[test]
    fn fault_matcher_needs_every_condition() {
        let only_part_two = RequestMatcher::any()
            .method("PUT")
            .target_contains("partNumber=2&");
        assert!(only_part_two.matches(&request("PUT", "/b/k?partNumber=2&uploadId=u")));
        assert!(
            !only_part_two.matches(&request("PUT", "/b/k?partNumber=20&uploadId=u")),
            "the trailing & keeps part 20 out"
        );
        assert!(!only_part_two.matches(&request("GET", "/b/k?partNumber=2&uploadId=u")));
    }

    #[test]
    fn fault_random_schedule_is_reproducible_and_stops_at_its_budget() {
        let schedule = || {
            RandomFaults::new(7)
                .with(Fault::SlowDown503, 0.3)
                .with(Fault::ResetMidResponse, 0.2)
                .only(RequestMatcher::any().method("PUT"))
                .at_most(25)
        };
        let put = request("PUT", "/b/k");
        let mut first = FaultPlan::pass_through().with_random(schedule());
        let mut second = FaultPlan::pass_through().with_random(schedule());
        let a: Vec<_> = (0..200).map(|_| first.decide(&put)).collect();
        let b: Vec<_> = (0..200).map(|_| second.decide(&put)).collect();
        assert_eq!(a, b, "the same seed gives the same schedule");
        let injected = a.iter().flatten().count();
        assert_eq!(
            injected, 25,
            "200 draws at p = 0.5 exhaust a budget of 25, and it is never exceeded"
        );
        assert!(a.iter().flatten().any(|f| *f == Fault::SlowDown503));
        assert!(a.iter().flatten().any(|f| *f == Fault::ResetMidResponse));
        assert_eq!(first.random_remaining(), 0);
        assert_eq!(
            first.decide(&request("GET", "/b/k")),
            None,
            "a GET is not a candidate"
        );
    }

    #[test]
    fn fault_random_draws_are_uniform_enough() {
        let mut rng = SplitMix64(1);
        let draws: Vec<f64> = (0..10_000).map(|_| rng.next_unit()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        let below_half = draws.iter().filter(|d| **d < 0.5).count();
        assert!(
            (4_700..5_300).contains(&below_half),
            "about half of 10,000 uniform draws fall below 0.5, got {below_half}"
        );
    }
}
