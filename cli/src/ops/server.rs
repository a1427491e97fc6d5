//! The daemon's HTTP surface: `GET /health` and `GET /metrics`, loopback only.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::DaemonMetrics;
use super::metrics::Now;
use lightbox_types::FailureCode;
use sync_core::engine::{EngineError, QueueDepth};
use sync_core::retry::RetryCounters;

/// Reads the queue depth by state and the oldest waiting file (the catalog) when a request
/// asks for it.
pub type QueueProbe = Arc<dyn Fn() -> Result<QueueDepth, EngineError> + Send + Sync>;

/// Why `/health` could not read the queue: a code for monitoring, a message that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum QueueProbeError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(
        "reading the queue failed unexpectedly ({0}): this is a bug; restart the daemon and \
         report it with the log"
    )]
    Panicked(String),
}

impl QueueProbeError {
    /// A stable short code (the engine's, e.g. `catalog_busy`, or `ops_probe_panicked`).
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Engine(e) => e.code(),
            Self::Panicked(_) => FailureCode::OpsProbePanicked,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(
        "daemon.listen = {0} is not a loopback address: /health and /metrics are served on \
         127.0.0.1 or ::1 only; put a reverse proxy in front to expose them"
    )]
    NotLoopback(SocketAddr),
    #[error(
        "cannot listen on {addr} for /health and /metrics ({source}): choose a free port \
         in daemon.listen, or stop what is using it"
    )]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl OpsError {
    /// A stable code for scripts and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::NotLoopback(_) => FailureCode::OpsNotLoopback,
            Self::Bind { .. } => FailureCode::OpsBindFailed,
        }
    }
}

/// The running server.
#[derive(Debug)]
pub struct OpsServer {
    /// Where it listens (the actual port when 0 was asked for).
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl OpsServer {
    /// Wait for the server to finish after its token was cancelled.
    pub async fn join(self) {
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "the /health server task ended abnormally");
        }
    }
}

#[derive(Clone)]
struct State {
    metrics: Arc<DaemonMetrics>,
    queue: QueueProbe,
    started: Instant,
}

/// Serve `/health` and `/metrics` on `listen` until `cancel` fires.
///
/// # Errors
/// When `listen` is not a loopback address, or cannot be bound.
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<DaemonMetrics>,
    queue: QueueProbe,
    cancel: CancellationToken,
) -> Result<OpsServer, OpsError> {
    if !listen.ip().is_loopback() {
        return Err(OpsError::NotLoopback(listen));
    }
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| OpsError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| OpsError::Bind {
        addr: listen,
        source,
    })?;
    let state = State {
        metrics,
        queue,
        started: Instant::now(),
    };
    let task = tokio::spawn(accept_loop(listener, state, cancel));
    Ok(OpsServer { addr, task })
}

/// How long a client may take to send its request head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may stay open, whatever it does (a slow reader holds nothing longer).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

async fn accept_loop(listener: TcpListener, state: State, cancel: CancellationToken) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let state = state.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |req| respond(state.clone(), req));
                        let conn = hyper::server::conn::http1::Builder::new()
                            .timer(TokioTimer::new())
                            .header_read_timeout(HEADER_READ_TIMEOUT)
                            .serve_connection(TokioIo::new(stream), service);
                        match tokio::time::timeout(CONNECTION_TIMEOUT, conn).await {
                            Ok(Ok(())) => {}
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "a /metrics connection ended with an error");
                            }
                            Err(_) => tracing::debug!("a /metrics connection timed out"),
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "accepting a /metrics connection failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn respond(
    state: State,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        ));
    }
    // DNS rebinding: a web page whose name resolves to 127.0.0.1 still sends its own name.
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    if !is_loopback_host(host) {
        return Ok(reply(
            StatusCode::MISDIRECTED_REQUEST,
            "text/plain",
            "this server answers to localhost, 127.0.0.1 and [::1] only\n".into(),
        ));
    }
    // Route first: only the two known paths read the catalog.
    let path = req.uri().path();
    if path != "/health" && path != "/metrics" {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            "try /health or /metrics\n".into(),
        ));
    }
    let probe = Arc::clone(&state.queue);
    let counts = match tokio::task::spawn_blocking(move || probe()).await {
        Ok(result) => result.map_err(QueueProbeError::from),
        Err(e) => Err(QueueProbeError::Panicked(e.to_string())),
    };
    Ok(if path == "/health" {
        health(&state, counts)
    } else {
        reply(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            state.metrics.render(
                counts.as_ref().ok(),
                &RetryCounters::global().snapshot(),
                Now::read(),
            ),
        )
    })
}

/// Whether a request's `Host` names this machine's loopback (pure): `localhost`, an address
/// in 127.0.0.0/8 or `[::1]`, with or without a port. No `Host` (HTTP/1.0) is allowed: a
/// browser always sends one.
fn is_loopback_host(host: Option<&str>) -> bool {
    let Some(host) = host else {
        return true;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn health(state: &State, counts: Result<QueueDepth, QueueProbeError>) -> Response<Full<Bytes>> {
    let uptime_secs = state.started.elapsed().as_secs();
    let (status, body) = match counts {
        Ok(depth) => {
            let queue: serde_json::Map<String, serde_json::Value> = depth
                .counts
                .iter()
                .map(|(s, n)| (s.as_str().to_owned(), n.into()))
                .collect();
            (
                StatusCode::OK,
                serde_json::json!({"status": "ok", "version": sync_core::VERSION, "uptime_secs": uptime_secs, "queue": queue}),
            )
        }
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({
                "status": "unhealthy",
                "version": sync_core::VERSION,
                "uptime_secs": uptime_secs,
                "error": {"code": error.code(), "message": error.to_string()},
            }),
        ),
    };
    reply(status, "application/json", format!("{body}\n"))
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    fn get(addr: SocketAddr, path: &str) -> String {
        get_as(addr, path, &addr.to_string())
    }

    fn get_as(addr: SocketAddr, path: &str, host: &str) -> String {
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn only_loopback_names_are_served() {
        let cases = [
            (Some("127.0.0.1:9464"), true),
            (Some("localhost:9464"), true),
            (Some("LOCALHOST"), true),
            (Some("[::1]:9464"), true),
            (Some("127.0.0.2"), true),
            (None, true),
            (Some("evil.example:9464"), false),
            (Some("localhost.evil.example"), false),
            (Some("192.168.1.5:9464"), false),
            (Some("[2001:db8::1]:9464"), false),
        ];
        for (host, ok) in cases {
            assert_eq!(is_loopback_host(host), ok, "{host:?}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rebound_name_an_unknown_path_and_a_silent_client_never_reach_the_catalog() {
        let reads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&reads);
        let probe: QueueProbe = Arc::new(move || {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(QueueDepth::default())
        });
        let cancel = CancellationToken::new();
        let server = serve(
            "127.0.0.1:0".parse().expect("addr"),
            Arc::new(DaemonMetrics::new(Instant::now())),
            probe,
            cancel.clone(),
        )
        .await
        .expect("serve");
        let a = server.addr;
        let (rebound, unknown, silent) = tokio::task::spawn_blocking(move || {
            let rebound = get_as(a, "/metrics", "attacker.example:9464");
            let unknown = get(a, "/favicon.ico");
            // A client that connects and sends nothing is dropped (header read timeout).
            let mut idle = std::net::TcpStream::connect(a).expect("connect");
            let mut out = Vec::new();
            let silent = idle.read_to_end(&mut out).map(|_| out.len());
            (rebound, unknown, silent)
        })
        .await
        .expect("client");
        assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
        assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
        assert!(
            silent.is_ok(),
            "the idle connection was closed by the server"
        );
        assert_eq!(
            reads.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "none of these read the catalog"
        );
        cancel.cancel();
        server.join().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn health_and_metrics_answer_and_a_broken_catalog_is_unhealthy() {
        let healthy: QueueProbe = Arc::new(|| Ok(QueueDepth::default()));
        let cancel = CancellationToken::new();
        let metrics = Arc::new(DaemonMetrics::new(Instant::now()));
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("addr");
        let server = serve(addr, Arc::clone(&metrics), healthy, cancel.clone())
            .await
            .expect("serve");
        let a = server.addr;
        let (health, metrics_text, missing) = tokio::task::spawn_blocking(move || {
            (get(a, "/health"), get(a, "/metrics"), get(a, "/nope"))
        })
        .await
        .expect("client");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(
            health.contains("\"status\":\"ok\"") && health.contains("\"planned\":0"),
            "{health}"
        );
        assert!(
            metrics_text.contains("lightbox_queue_files{state=\"planned\"} 0"),
            "{metrics_text}"
        );
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        cancel.cancel();
        server.join().await;

        let broken: QueueProbe = Arc::new(|| {
            Err(EngineError::Catalog(
                sync_core::catalog::CatalogError::Busy {
                    path: "/var/lib/lightbox/catalog.sqlite".into(),
                    op: "count files",
                },
            ))
        });
        let cancel = CancellationToken::new();
        let server = serve(addr, metrics, broken, cancel.clone())
            .await
            .expect("serve");
        let a = server.addr;
        let health = tokio::task::spawn_blocking(move || get(a, "/health"))
            .await
            .expect("client");
        assert!(
            health.starts_with("HTTP/1.1 503"),
            "an unreadable catalog must fail the health check: {health}"
        );
        assert!(
            health.contains(r#""code":"catalog_busy""#),
            "monitoring gets a code to match on: {health}"
        );
        assert!(
            health.contains("close other programs using it"),
            "and a message that says what to do: {health}"
        );
        cancel.cancel();
        server.join().await;
    }

    #[tokio::test]
    async fn refuses_a_public_address() {
        let public: SocketAddr = "0.0.0.0:9464".parse().expect("addr");
        let probe: QueueProbe = Arc::new(|| Ok(QueueDepth::default()));
        let err = serve(
            public,
            Arc::new(DaemonMetrics::new(Instant::now())),
            probe,
            CancellationToken::new(),
        )
        .await
        .expect_err("0.0.0.0 must be refused");
        assert_eq!(err.code(), FailureCode::OpsNotLoopback);
        assert!(err.to_string().contains("reverse proxy"), "{err}");
    }
}
