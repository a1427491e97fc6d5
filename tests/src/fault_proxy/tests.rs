//! The proxy against a scripted upstream over raw TCP: exact bytes, no S3 client.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::body::{BodyCursor, pump_body};
use super::wire::{ReadBuffer, read_request_head};
use super::{Fault, FaultKind, FaultProxy, RequestMatcher, S3Operation};

/// An upstream that records each request's raw bytes and answers every
/// request with `reply`.
struct ScriptedUpstream {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Vec<u8>>>>,
    task: JoinHandle<()>,
}

impl ScriptedUpstream {
    async fn start(reply: &'static [u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port is free");
        let addr = listener.local_addr().expect("bound");
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut stream, _)) = listener.accept().await {
                let log = Arc::clone(&log);
                connections.spawn(async move {
                    let mut buf = ReadBuffer::default();
                    while let Ok(Some(head)) = read_request_head(&mut stream, &mut buf).await {
                        let mut raw = head.raw.clone();
                        let Ok(framing) = head.body_framing() else {
                            return;
                        };
                        let mut body = BodyCursor::new(framing);
                        if pump_body(&mut stream, &mut buf, &mut body, &mut raw, None, |_| {})
                            .await
                            .is_err()
                        {
                            return;
                        }
                        log.lock().expect("not poisoned").push(raw);
                        if stream.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self {
            addr,
            received,
            task,
        }
    }

    fn received(&self) -> Vec<Vec<u8>> {
        self.received.lock().expect("not poisoned").clone()
    }
}

impl Drop for ScriptedUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const OK_EMPTY: &[u8] = b"HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 0\r\n\r\n";
const OK_TEN: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";

/// Read until the peer closes. `Err` carries what arrived before the error.
async fn read_until_closed(stream: &mut TcpStream) -> Result<Vec<u8>, (Vec<u8>, io::Error)> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) => return Err((got, e)),
        }
    }
}

async fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    stream
        .read_exact(&mut got)
        .await
        .expect("the proxy sends the whole reply");
    got
}

async fn connect(proxy: &FaultProxy) -> TcpStream {
    TcpStream::connect(proxy.addr())
        .await
        .expect("the proxy listens")
}

#[tokio::test]
async fn fault_proxy_relays_keep_alive_requests_byte_for_byte() {
    let upstream = ScriptedUpstream::start(OK_EMPTY).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    let mut client = connect(&proxy).await;
    let put = b"PUT /bucket/key?x-id=PutObject HTTP/1.1\r\nHOST: 127.0.0.1:1\r\n\
                Transfer-Encoding: chunked\r\nx-amz-content-sha256: STREAMING\r\n\r\n\
                5;chunk-signature=aa\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    let get = b"GET /bucket/key HTTP/1.1\r\nhost: 127.0.0.1:1\r\n\r\n";
    client.write_all(put).await.expect("sent");
    assert_eq!(read_exactly(&mut client, OK_EMPTY.len()).await, OK_EMPTY);
    client.write_all(get).await.expect("sent");
    assert_eq!(
        read_exactly(&mut client, OK_EMPTY.len()).await,
        OK_EMPTY,
        "a second request on the same connection is relayed too"
    );
    assert_eq!(
        upstream.received(),
        vec![put.to_vec(), get.to_vec()],
        "upstream receives the exact bytes, Host header, casing and chunk framing included"
    );
    let stats = proxy.stats();
    let put_head = put
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head")
        + 4;
    let put_body = put.len() - put_head;
    assert_eq!(stats.requests, 2);
    assert_eq!(
        stats.connections, 1,
        "both requests came over one client connection"
    );
    assert_eq!(
        stats.request_body_bytes_forwarded,
        u64::try_from(put_body).expect("small"),
        "the chunked body is counted as on the wire"
    );
    assert_eq!(
        stats.forwarded_for(S3Operation::PutObject),
        stats.request_body_bytes_forwarded
    );
    assert_eq!(
        stats.log[0].declared_payload_bytes, None,
        "no length was declared"
    );
    assert_eq!(stats.log[1].upstream_status, Some(200));
    assert_eq!(stats.faults_total(), 0);
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_answers_an_s3_error_and_keeps_the_connection() {
    let upstream = ScriptedUpstream::start(OK_EMPTY).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    proxy.inject(RequestMatcher::any().method("PUT"), Fault::SlowDown503);
    let mut client = connect(&proxy).await;
    client
        .write_all(
            b"PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        )
        .await
        .expect("sent");
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    assert_eq!(
        read_exactly(&mut client, interim.len()).await,
        interim,
        "a client waiting for 100-continue is told to send its body"
    );
    client.write_all(b"body").await.expect("sent");
    let mut head = Vec::new();
    while !head.ends_with(b"</Error>") {
        head.extend(read_exactly(&mut client, 1).await);
    }
    let reply = String::from_utf8(head).expect("ASCII");
    assert!(reply.starts_with("HTTP/1.1 503 Slow Down\r\n"), "{reply}");
    assert!(reply.contains("<Code>SlowDown</Code>"));

    client
        .write_all(b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("sent");
    assert_eq!(
        read_exactly(&mut client, OK_EMPTY.len()).await,
        OK_EMPTY,
        "after the error reply the same connection carries the next request"
    );
    assert_eq!(
        upstream.received().len(),
        1,
        "the faulted PUT never reached upstream; only the GET did"
    );
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::SlowDown503), 1);
    assert_eq!(
        stats.request_body_bytes_received, 4,
        "the PUT body was read"
    );
    assert_eq!(stats.request_body_bytes_forwarded, 0, "and dropped");
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_resets_before_forwarding() {
    let upstream = ScriptedUpstream::start(OK_EMPTY).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    proxy.inject(RequestMatcher::any(), Fault::ResetBeforeResponse);
    let mut client = connect(&proxy).await;
    let mut request = b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n".to_vec();
    request.extend([b'x'; 1000]);
    // The proxy may reset while this is still being written.
    let written = client.write_all(&request).await;
    let (got, error) = read_until_closed(&mut client)
        .await
        .expect_err("a reset is an error, not a clean end");
    assert!(
        got.is_empty() && (written.is_err() || error.kind() == io::ErrorKind::ConnectionReset),
        "no response byte arrives before the reset, got {got:?} and {error}"
    );
    assert!(upstream.received().is_empty(), "nothing reached upstream");
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::ResetBeforeResponse), 1);
    assert_eq!(stats.request_body_bytes_forwarded, 0);
    assert_eq!(
        stats.request_body_bytes_received, 500,
        "the reset comes halfway through the body"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_truncates_a_body_to_half_and_closes_cleanly() {
    let upstream = ScriptedUpstream::start(OK_TEN).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    proxy.inject(RequestMatcher::any(), Fault::TruncatedResponse);
    let mut client = connect(&proxy).await;
    client
        .write_all(b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("sent");
    let got = read_until_closed(&mut client)
        .await
        .expect("a truncation ends with a clean close, not a reset");
    assert_eq!(
        got, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234",
        "the head announces 10 bytes and only 5 follow"
    );
    assert_eq!(upstream.received().len(), 1, "upstream served the request");
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_truncates_an_empty_body_by_claiming_a_length() {
    let upstream = ScriptedUpstream::start(OK_EMPTY).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    proxy.inject(RequestMatcher::any(), Fault::TruncatedResponse);
    let mut client = connect(&proxy).await;
    client
        .write_all(b"PUT /b/k HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        .await
        .expect("sent");
    let got = read_until_closed(&mut client).await.expect("a clean close");
    assert_eq!(
        String::from_utf8(got).expect("ASCII"),
        "HTTP/1.1 200 OK\r\netag: \"abc\"\r\ncontent-length: 64\r\n\r\n",
        "an empty body cannot be cut in half, so the head claims one that never comes"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_resets_mid_response_after_upstream_answered() {
    let upstream = ScriptedUpstream::start(OK_TEN).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    proxy.inject(RequestMatcher::any(), Fault::ResetMidResponse);
    let mut client = connect(&proxy).await;
    client
        .write_all(b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n")
        .await
        .expect("sent");
    let (got, error) = read_until_closed(&mut client)
        .await
        .expect_err("the response ends in a reset");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    assert!(
        OK_TEN[..OK_TEN.len() - 5].starts_with(&got),
        "whatever arrived before the reset is at most the head and half the body: {got:?}"
    );
    assert_eq!(upstream.received().len(), 1, "upstream served the request");
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_stalls_then_continues_or_resets() {
    let upstream = ScriptedUpstream::start(OK_TEN).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    let get = b"GET /b/k HTTP/1.1\r\nHost: h\r\n\r\n";
    proxy.inject(
        RequestMatcher::any(),
        Fault::stall(Duration::from_millis(200)),
    );
    let mut client = connect(&proxy).await;
    client.write_all(get).await.expect("sent");
    assert_eq!(
        read_exactly(&mut client, OK_TEN.len()).await,
        OK_TEN,
        "a stall that continues delivers the whole response"
    );

    proxy.inject(
        RequestMatcher::any(),
        Fault::stall_then_reset(Duration::from_millis(200)),
    );
    client.write_all(get).await.expect("sent");
    let (got, error) = read_until_closed(&mut client)
        .await
        .expect_err("a stall that resets ends in a reset");
    assert!(got.is_empty(), "nothing of the response is sent");
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(
        upstream.received().len(),
        2,
        "upstream served both requests"
    );
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::StallThenContinue), 1);
    assert_eq!(stats.faults_of(FaultKind::StallThenReset), 1);
    assert_eq!(
        stats.failing_faults(),
        1,
        "only the reset fails its request"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_shutdown_closes_connections_and_the_port() {
    let upstream = ScriptedUpstream::start(OK_EMPTY).await;
    let proxy = FaultProxy::start(upstream.addr).await.expect("starts");
    let addr = proxy.addr();
    let mut idle = connect(&proxy).await;
    proxy.shutdown().await;
    let ended = read_until_closed(&mut idle).await;
    assert!(
        matches!(&ended, Ok(bytes) if bytes.is_empty()) || ended.is_err(),
        "an idle connection ends when the proxy shuts down"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nothing listens on the port after shutdown"
    );
}

#[tokio::test]
async fn fault_proxy_accepts_an_upstream_url() {
    use super::Upstream;
    let addr: SocketAddr = "127.0.0.1:3900".parse().expect("an address");
    assert_eq!("http://127.0.0.1:3900".socket_addr().expect("valid"), addr);
    assert_eq!(
        "http://127.0.0.1:3900/path?q".socket_addr().expect("valid"),
        addr
    );
    assert_eq!("127.0.0.1:3900".socket_addr().expect("valid"), addr);
    assert!(
        "https://127.0.0.1:3900".socket_addr().is_err(),
        "the proxy speaks plain HTTP only"
    );
}
