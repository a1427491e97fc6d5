//! What the proxy saw and did: counters, a per-request log, and errors.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::operation::S3Operation;
use super::plan::{FaultKind, RequestSummary};

/// The proxy keeps at most this many error messages (the count goes on).
const MAX_ERRORS_KEPT: usize = 32;

/// One request as the proxy handled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub request: RequestSummary,
    pub fault: Option<FaultKind>,
    /// `x-amz-decoded-content-length` (aws-chunked) or else `Content-Length`: the
    /// payload the client meant to send.
    pub declared_payload_bytes: Option<u64>,
    /// Body bytes read from the client (as on the wire: chunk framing counts).
    pub body_bytes_received: u64,
    /// Body bytes written to upstream (as on the wire).
    pub body_bytes_forwarded: u64,
    /// The final status upstream answered with (not set for answers the proxy made up).
    pub upstream_status: Option<u16>,
}

/// A snapshot of the counters. Body bytes are counted as on the wire after the
/// head: for a chunked or aws-chunked body that includes its framing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    pub connections: u64,
    pub requests: u64,
    pub requests_by_operation: BTreeMap<S3Operation, u64>,
    pub faults: BTreeMap<FaultKind, u64>,
    pub request_body_bytes_received: u64,
    pub request_body_bytes_forwarded: u64,
    pub forwarded_by_method: BTreeMap<String, u64>,
    pub forwarded_by_operation: BTreeMap<S3Operation, u64>,
    /// Every request in arrival order.
    pub log: Vec<RequestRecord>,
    /// How many connections ended with an I/O or protocol error (a client's own
    /// reset or timeout lands here too).
    pub connection_errors: u64,
    /// The first few of those errors, for a failing test to print.
    pub errors: Vec<String>,
}

impl ProxyStats {
    #[must_use]
    pub fn faults_total(&self) -> u64 {
        self.faults.values().sum()
    }

    #[must_use]
    pub fn faults_of(&self, kind: FaultKind) -> u64 {
        self.faults.get(&kind).copied().unwrap_or(0)
    }

    /// Faults that made the client's request fail (all but stalls that continue).
    #[must_use]
    pub fn failing_faults(&self) -> u64 {
        self.faults
            .iter()
            .filter(|(kind, _)| kind.fails_the_request())
            .map(|(_, n)| n)
            .sum()
    }

    #[must_use]
    pub fn requests_of(&self, operation: S3Operation) -> u64 {
        self.requests_by_operation
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }

    #[must_use]
    pub fn forwarded_for(&self, operation: S3Operation) -> u64 {
        self.forwarded_by_operation
            .get(&operation)
            .copied()
            .unwrap_or(0)
    }
}

/// A request's place in the log, valid until the counters are reset.
#[derive(Debug, Clone, Copy)]
pub(super) struct RecordId {
    generation: u64,
    index: usize,
}

/// The live counters behind [`ProxyStats`]. After a reset, bytes of requests
/// that started before it are not counted: the counters cover requests started
/// since the last reset.
#[derive(Debug, Default)]
pub(super) struct StatsRecorder(Mutex<Live>);

#[derive(Debug, Default)]
struct Live {
    generation: u64,
    stats: ProxyStats,
}

impl Live {
    fn record(&mut self, id: RecordId) -> Option<&mut RequestRecord> {
        if id.generation == self.generation {
            self.stats.log.get_mut(id.index)
        } else {
            None
        }
    }
}

impl StatsRecorder {
    fn lock(&self) -> MutexGuard<'_, Live> {
        // A panic elsewhere while holding the lock leaves plain counters: still usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn snapshot(&self) -> ProxyStats {
        self.lock().stats.clone()
    }

    pub(super) fn reset(&self) {
        let mut live = self.lock();
        live.generation += 1;
        live.stats = ProxyStats::default();
    }

    pub(super) fn connection_opened(&self) {
        self.lock().stats.connections += 1;
    }

    pub(super) fn connection_failed(&self, error: String) {
        let stats = &mut self.lock().stats;
        stats.connection_errors += 1;
        if stats.errors.len() < MAX_ERRORS_KEPT {
            stats.errors.push(error);
        }
    }

    pub(super) fn request_started(
        &self,
        request: RequestSummary,
        fault: Option<FaultKind>,
        declared_payload_bytes: Option<u64>,
    ) -> RecordId {
        let mut live = self.lock();
        let generation = live.generation;
        let stats = &mut live.stats;
        stats.requests += 1;
        *stats
            .requests_by_operation
            .entry(request.operation)
            .or_default() += 1;
        if let Some(kind) = fault {
            *stats.faults.entry(kind).or_default() += 1;
        }
        stats.log.push(RequestRecord {
            request,
            fault,
            declared_payload_bytes,
            body_bytes_received: 0,
            body_bytes_forwarded: 0,
            upstream_status: None,
        });
        RecordId {
            generation,
            index: stats.log.len() - 1,
        }
    }

    /// Body bytes read from the client and dropped (not forwarded).
    pub(super) fn body_received(&self, id: RecordId, bytes: u64) {
        let mut live = self.lock();
        let Some(record) = live.record(id) else {
            return;
        };
        record.body_bytes_received += bytes;
        live.stats.request_body_bytes_received += bytes;
    }

    /// Body bytes read from the client and written upstream.
    pub(super) fn body_forwarded(&self, id: RecordId, bytes: u64) {
        let mut live = self.lock();
        let Some(record) = live.record(id) else {
            return;
        };
        record.body_bytes_received += bytes;
        record.body_bytes_forwarded += bytes;
        let (method, operation) = (record.request.method.clone(), record.request.operation);
        let stats = &mut live.stats;
        stats.request_body_bytes_received += bytes;
        stats.request_body_bytes_forwarded += bytes;
        *stats.forwarded_by_method.entry(method).or_default() += bytes;
        *stats.forwarded_by_operation.entry(operation).or_default() += bytes;
    }

    pub(super) fn upstream_answered(&self, id: RecordId, status: u16) {
        if let Some(record) = self.lock().record(id) {
            record.upstream_status = Some(status);
        }
    }
}
