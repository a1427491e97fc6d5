//! One client connection: read each request, look up its fault, then relay it
//! upstream byte for byte, or answer or cut it as the fault says.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::body::{BodyCursor, pump_body};
use super::operation::S3Operation;
use super::plan::{AfterStall, Fault, FaultPlan, RequestSummary};
use super::s3_error::{self, S3Error};
use super::stats::{RecordId, StatsRecorder};
use super::wire::{BodyFraming, ReadBuffer, RequestHead, ResponseHead};
use super::wire::{read_request_head, read_response_head};

/// A reset "mid-body" of a chunked request reads this much of it first.
const CHUNKED_BYTES_BEFORE_RESET: u64 = 64 * 1024;
/// The `Content-Length` a truncated reply claims when its real body is empty.
const PHANTOM_BODY_LENGTH: u64 = 64;
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What every connection task shares with the [`super::FaultProxy`] handle.
#[derive(Debug)]
pub(super) struct Shared {
    pub upstream: SocketAddr,
    plan: Mutex<FaultPlan>,
    pub stats: StatsRecorder,
    next_request_id: AtomicU64,
}

impl Shared {
    pub(super) fn new(upstream: SocketAddr) -> Self {
        Self {
            upstream,
            plan: Mutex::new(FaultPlan::pass_through()),
            stats: StatsRecorder::default(),
            next_request_id: AtomicU64::new(1),
        }
    }

    pub(super) fn plan(&self) -> std::sync::MutexGuard<'_, FaultPlan> {
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn new_request_id(&self) -> String {
        let n = self.next_request_id.fetch_add(1, Ordering::Relaxed);
        format!("LBFP{n:012X}")
    }
}

/// How the client connection goes on after one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    KeepAlive,
    /// Close cleanly (FIN).
    Close,
    /// Abort (RST).
    Reset,
}

/// What a fault does to the response of a forwarded request.
#[derive(Debug, Clone, Copy)]
enum ResponseFault {
    Stall {
        duration: Duration,
        then: AfterStall,
    },
    ResetMid,
    Truncate,
}

/// Where in the exchange a fault acts.
enum Action {
    Forward(Option<ResponseFault>),
    Answer(S3Error),
    ResetBeforeResponse,
}

impl From<Option<Fault>> for Action {
    fn from(fault: Option<Fault>) -> Self {
        match fault {
            None => Self::Forward(None),
            Some(Fault::ResetBeforeResponse) => Self::ResetBeforeResponse,
            Some(Fault::ResetMidResponse) => Self::Forward(Some(ResponseFault::ResetMid)),
            Some(Fault::TruncatedResponse) => Self::Forward(Some(ResponseFault::Truncate)),
            Some(Fault::Stall { duration, then }) => {
                Self::Forward(Some(ResponseFault::Stall { duration, then }))
            }
            Some(Fault::ServerError500) => Self::Answer(S3Error::InternalError),
            Some(Fault::SlowDown503) => Self::Answer(S3Error::SlowDown),
            Some(Fault::ExpiredToken) => Self::Answer(S3Error::ExpiredToken),
            Some(Fault::InvalidToken) => Self::Answer(S3Error::InvalidToken),
            Some(Fault::RequestTimeTooSkewed) => Self::Answer(S3Error::RequestTimeTooSkewed),
        }
    }
}

/// A socket and what has been read from it but not yet used.
struct Peer {
    stream: TcpStream,
    buf: ReadBuffer,
}

impl Peer {
    fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: ReadBuffer::default(),
        })
    }

    /// An idle upstream connection can carry the next request unless upstream
    /// closed it (or sent something unasked) meanwhile.
    fn is_reusable(&self) -> bool {
        let mut probe = [0u8; 1];
        self.buf.is_empty()
            && matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// Serve one client connection until it closes, a fault ends it, or it fails.
pub(super) async fn serve_connection(stream: TcpStream, shared: &Shared) {
    shared.stats.connection_opened();
    if let Err(e) = relay_connection(stream, shared).await {
        shared.stats.connection_failed(e.to_string());
    }
}

async fn relay_connection(stream: TcpStream, shared: &Shared) -> io::Result<()> {
    let mut client = Peer::new(stream)?;
    let mut upstream: Option<Peer> = None;
    while let Some(head) = read_request_head(&mut client.stream, &mut client.buf).await? {
        let summary = RequestSummary {
            method: head.method.clone(),
            target: head.target.clone(),
            operation: S3Operation::classify(
                &head.method,
                &head.target,
                head.header("x-amz-copy-source").is_some(),
            ),
        };
        let fault = shared.plan().decide(&summary);
        let record =
            shared
                .stats
                .request_started(summary, fault.map(Fault::kind), declared_payload(&head));
        let exchange = Exchange {
            shared,
            head: &head,
            record,
        };
        let next = match Action::from(fault) {
            Action::Answer(error) => exchange.answer(&mut client, error).await?,
            Action::ResetBeforeResponse => exchange.reset_before_response(&mut client).await?,
            Action::Forward(fault) => exchange.forward(&mut client, &mut upstream, fault).await?,
        };
        match next {
            Next::KeepAlive => {}
            Next::Close => return client.stream.shutdown().await,
            // Dropping a socket with zero linger sends RST.
            Next::Reset => return client.stream.set_zero_linger(),
        }
    }
    Ok(())
}

/// The payload the client means to send: aws-chunked declares it separately.
fn declared_payload(head: &RequestHead) -> Option<u64> {
    head.header("x-amz-decoded-content-length")
        .or_else(|| head.header("content-length"))
        .and_then(|v| v.parse().ok())
}

/// One request on its way through.
struct Exchange<'a> {
    shared: &'a Shared,
    head: &'a RequestHead,
    record: RecordId,
}

impl Exchange<'_> {
    /// Answer with a made-up S3 error. The body is read first so the
    /// connection stays usable, as S3 keeps it after a 503.
    async fn answer(&self, client: &mut Peer, error: S3Error) -> io::Result<Next> {
        self.drop_request_body(client, None).await?;
        let close = self.head.closes_connection();
        let request_id = self.shared.new_request_id();
        let reply = s3_error::render(error, self.head, &request_id, Timestamp::now(), close);
        client.stream.write_all(&reply).await?;
        Ok(if close { Next::Close } else { Next::KeepAlive })
    }

    async fn reset_before_response(&self, client: &mut Peer) -> io::Result<Next> {
        let limit = match self.head.body_framing()? {
            BodyFraming::Length(n) => n / 2,
            BodyFraming::Chunked => CHUNKED_BYTES_BEFORE_RESET,
            BodyFraming::None | BodyFraming::UntilClose => 0,
        };
        self.drop_request_body(client, Some(limit)).await?;
        Ok(Next::Reset)
    }

    /// Read (up to `limit` bytes of) the request body and drop it.
    async fn drop_request_body(&self, client: &mut Peer, limit: Option<u64>) -> io::Result<()> {
        let mut body = BodyCursor::new(self.head.body_framing()?);
        if body.is_done() {
            return Ok(());
        }
        if self.head.expects_continue() {
            client.stream.write_all(CONTINUE).await?;
        }
        let stats = &self.shared.stats;
        pump_body(
            &mut client.stream,
            &mut client.buf,
            &mut body,
            &mut tokio::io::sink(),
            limit,
            |n| stats.body_received(self.record, n),
        )
        .await?;
        Ok(())
    }

    /// Relay the request upstream, and its response back with `fault` applied.
    async fn forward(
        &self,
        client: &mut Peer,
        upstream: &mut Option<Peer>,
        fault: Option<ResponseFault>,
    ) -> io::Result<Next> {
        let request_framing = self.head.body_framing()?;
        let up = match upstream.take() {
            Some(peer) if peer.is_reusable() => peer,
            _ => Peer::new(TcpStream::connect(self.shared.upstream).await?)?,
        };
        let up = upstream.insert(up);
        let next = {
            let (mut client_read, mut client_write) = client.stream.split();
            let (mut up_read, mut up_write) = up.stream.split();
            up_write.write_all(&self.head.raw).await?;
            let mut request_body = BodyCursor::new(request_framing);
            let stats = &self.shared.stats;
            // The body goes up while the response is awaited: upstream may answer
            // `100 Continue` first, or answer early.
            let send = pump_body(
                &mut client_read,
                &mut client.buf,
                &mut request_body,
                &mut up_write,
                None,
                |n| stats.body_forwarded(self.record, n),
            );
            let respond = self.respond(&mut up_read, &mut up.buf, &mut client_write, fault);
            tokio::pin!(send, respond);
            let mut sent = false;
            let next = loop {
                tokio::select! {
                    result = &mut send, if !sent => {
                        result?;
                        sent = true;
                    }
                    next = &mut respond => break next?,
                }
            };
            if !sent && next == Next::KeepAlive {
                // Upstream answered before taking the whole body; the rest must
                // still go, or the next request would be read as body.
                send.await?;
            }
            next
        };
        let next = if next == Next::KeepAlive && self.head.closes_connection() {
            Next::Close
        } else {
            next
        };
        if next != Next::KeepAlive {
            *upstream = None;
        }
        Ok(next)
    }

    async fn respond<R, W>(
        &self,
        up_read: &mut R,
        up_buf: &mut ReadBuffer,
        client_write: &mut W,
        fault: Option<ResponseFault>,
    ) -> io::Result<Next>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let head = loop {
            let head = read_response_head(up_read, up_buf).await?;
            if !head.is_interim() {
                break head;
            }
            client_write.write_all(&head.raw).await?;
        };
        if head.status == 101 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "upstream switched protocols; the proxy relays HTTP/1.1 only",
            ));
        }
        self.shared
            .stats
            .upstream_answered(self.record, head.status);
        let framing = head.body_framing(self.head.is_head())?;
        match fault {
            None => {}
            Some(ResponseFault::Stall { duration, then }) => {
                tokio::time::sleep(duration).await;
                if then == AfterStall::Reset {
                    return Ok(Next::Reset);
                }
            }
            Some(ResponseFault::ResetMid) => {
                send_part(up_read, up_buf, client_write, &head, framing, Cut::Reset).await?;
                return Ok(Next::Reset);
            }
            Some(ResponseFault::Truncate) => {
                send_part(up_read, up_buf, client_write, &head, framing, Cut::Close).await?;
                return Ok(Next::Close);
            }
        }
        client_write.write_all(&head.raw).await?;
        let mut body = BodyCursor::new(framing);
        pump_body(up_read, up_buf, &mut body, client_write, None, |_| {}).await?;
        Ok(
            if head.closes_connection() || framing == BodyFraming::UntilClose {
                Next::Close
            } else {
                Next::KeepAlive
            },
        )
    }
}

/// How a partly sent response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Reset: a response with no body gets nothing at all.
    Reset,
    /// Clean close: a response with an empty body claims a made-up length, so
    /// the client still sees a cut body; one that can have no body gets nothing.
    Close,
}

/// Send the head and half the body of upstream's response, so that what the
/// client receives is always shorter than what the head announces.
async fn send_part<R, W>(
    up_read: &mut R,
    up_buf: &mut ReadBuffer,
    client_write: &mut W,
    head: &ResponseHead,
    framing: BodyFraming,
    cut: Cut,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match framing {
        BodyFraming::None => {}
        BodyFraming::Length(0) => {
            if cut == Cut::Close {
                client_write
                    .write_all(&head.with_content_length(PHANTOM_BODY_LENGTH))
                    .await?;
            }
        }
        BodyFraming::Length(n) => {
            client_write.write_all(&head.raw).await?;
            let mut body = BodyCursor::new(framing);
            pump_body(
                up_read,
                up_buf,
                &mut body,
                client_write,
                Some(n / 2),
                |_| {},
            )
            .await?;
        }
        BodyFraming::Chunked | BodyFraming::UntilClose => {
            // The length is unknown until the end: read it all (S3 sends such
            // bodies only for small XML replies), then send half.
            let mut whole = Vec::new();
            let mut body = BodyCursor::new(framing);
            pump_body(up_read, up_buf, &mut body, &mut whole, None, |_| {}).await?;
            let half = &whole[..whole.len() / 2];
            if framing == BodyFraming::Chunked {
                // Half the raw chunked bytes never include the last chunk.
                client_write.write_all(&head.raw).await?;
                client_write.write_all(half).await?;
            } else if !whole.is_empty() {
                let length = u64::try_from(whole.len()).unwrap_or(u64::MAX);
                client_write
                    .write_all(&head.with_content_length(length))
                    .await?;
                client_write.write_all(half).await?;
            } else if cut == Cut::Close {
                client_write
                    .write_all(&head.with_content_length(PHANTOM_BODY_LENGTH))
                    .await?;
            }
        }
    }
    client_write.flush().await
}
