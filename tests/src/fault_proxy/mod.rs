//! A fault-injecting HTTP/1.1 proxy for S3 traffic in tests.
//!
//! It listens on `127.0.0.1`, relays each request to an upstream S3 server
//! (Garage on the local stack) byte for byte, so SigV4 signatures still verify,
//! and injects the faults a [`FaultPlan`] schedules: connection resets before or
//! during the response, stalls, truncated bodies, and S3's own error replies
//! (`500 InternalError`, `503 SlowDown`, `400 ExpiredToken`, `400 InvalidToken`,
//! `403 RequestTimeTooSkewed`). It counts requests, faults and request body
//! bytes forwarded upstream, per method and per S3 operation, so a test can tell
//! how many bytes were sent again after a crash.
//!
//! ```no_run
//! # async fn demo(garage: &str) -> Result<(), lightbox_tests::fault_proxy::FaultProxyError> {
//! use lightbox_tests::fault_proxy::{Fault, FaultProxy, RequestMatcher, S3Operation};
//!
//! let proxy = FaultProxy::start(garage).await?;
//! proxy.inject(
//!     RequestMatcher::any().operation(S3Operation::UploadPart),
//!     Fault::SlowDown503,
//! );
//! // ... point an S3 client at proxy.endpoint() ...
//! assert_eq!(proxy.stats().faults_total(), 1);
//! proxy.shutdown().await;
//! # Ok(()) }
//! ```

mod body;
mod operation;
mod plan;
mod relay;
mod s3_error;
mod stats;
mod wire;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

pub use operation::S3Operation;
pub use plan::{
    AfterStall, Fault, FaultKind, FaultPlan, RandomFaults, RequestMatcher, RequestSummary,
};
pub use stats::{ProxyStats, RequestRecord};

use relay::Shared;

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum FaultProxyError {
    #[error(
        "upstream {0:?} is not an http:// URL or host:port the proxy can reach \
         (TLS is not supported: point it at the plain-HTTP endpoint)"
    )]
    InvalidUpstream(String),
    #[error("could not listen on 127.0.0.1: {0}")]
    Listen(#[source] io::Error),
}

/// Something that names the upstream server: a `SocketAddr`, or a URL such as
/// `http://127.0.0.1:3900` (a path is ignored), or `host:port`.
pub trait Upstream {
    /// # Errors
    /// When it names no reachable plain-HTTP address.
    fn socket_addr(&self) -> Result<SocketAddr, FaultProxyError>;
}

impl Upstream for SocketAddr {
    fn socket_addr(&self) -> Result<SocketAddr, FaultProxyError> {
        Ok(*self)
    }
}

impl Upstream for str {
    fn socket_addr(&self) -> Result<SocketAddr, FaultProxyError> {
        let invalid = || FaultProxyError::InvalidUpstream(self.to_owned());
        let rest = match self.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(invalid()),
            None => self,
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let with_port = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        // Resolution of a name like `localhost` is local and quick.
        with_port
            .to_socket_addrs()
            .map_err(|_| invalid())?
            .next()
            .ok_or_else(invalid)
    }
}

impl Upstream for String {
    fn socket_addr(&self) -> Result<SocketAddr, FaultProxyError> {
        self.as_str().socket_addr()
    }
}

impl<T: Upstream + ?Sized> Upstream for &T {
    fn socket_addr(&self) -> Result<SocketAddr, FaultProxyError> {
        (**self).socket_addr()
    }
}

/// A running proxy. It stops when dropped (connections are aborted) or on
/// [`FaultProxy::shutdown`] (which also waits for its tasks to end).
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listen on `127.0.0.1` at a free port and relay to `upstream`, with no
    /// faults until a plan is set.
    ///
    /// # Errors
    /// When `upstream` names no address, or no port can be bound.
    pub async fn start(upstream: impl Upstream) -> Result<Self, FaultProxyError> {
        let shared = Arc::new(Shared::new(upstream.socket_addr()?));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(FaultProxyError::Listen)?;
        let addr = listener.local_addr().map_err(FaultProxyError::Listen)?;
        let stop = CancellationToken::new();
        let acceptor = tokio::spawn(accept_connections(
            listener,
            Arc::clone(&shared),
            stop.clone(),
        ));
        Ok(Self {
            addr,
            shared,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The URL to give an S3 client (`http://127.0.0.1:<port>`).
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replace the plan; requests already past their head keep their fault.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan() = plan;
    }

    /// Queue `fault` for the next request that `when` matches.
    pub fn inject(&self, when: RequestMatcher, fault: Fault) {
        self.shared.plan().queue(when, fault);
    }

    /// Queued faults not yet injected.
    #[must_use]
    pub fn queued_faults(&self) -> usize {
        self.shared.plan().queued()
    }

    /// Faults the plan's random schedule may still inject.
    #[must_use]
    pub fn random_faults_remaining(&self) -> u64 {
        self.shared.plan().random_remaining()
    }

    #[must_use]
    pub fn stats(&self) -> ProxyStats {
        self.shared.stats.snapshot()
    }

    /// Zero the counters and the log; requests in flight stop being counted.
    pub fn reset_stats(&self) {
        self.shared.stats.reset();
    }

    /// Stop accepting, end every connection, and wait for all tasks to finish.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(acceptor) = self.acceptor.take()
            && let Err(e) = acceptor.await
        {
            self.shared
                .stats
                .connection_failed(format!("the accept task failed: {e}"));
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        // Aborting the accept task drops its JoinSet, which aborts every connection task.
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
    }
}

/// Accept connections until stopped; each gets a task in a `JoinSet`, so none
/// outlives the proxy.
async fn accept_connections(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = Arc::clone(&shared);
                    let stop = stop.clone();
                    connections.spawn(async move {
                        tokio::select! {
                            () = stop.cancelled() => {}
                            () = relay::serve_connection(stream, &shared) => {}
                        }
                    });
                }
                Err(e) => {
                    shared.stats.connection_failed(format!("accept failed: {e}"));
                    // Out of file descriptors, say: do not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(finished) = connections.join_next(), if !connections.is_empty() => {
                if let Err(e) = finished {
                    shared.stats.connection_failed(format!("a connection task failed: {e}"));
                }
            }
        }
    }
    connections.shutdown().await;
}

#[cfg(test)]
mod tests;
