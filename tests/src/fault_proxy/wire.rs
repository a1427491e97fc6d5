//! Just enough HTTP/1.1 to relay messages byte for byte: a read buffer and
//! parsed request and response heads that keep their raw bytes.
//!
//! The proxy forwards the raw head exactly as received (the `Host` header and
//! everything SigV4 signed stay untouched); the parsed fields only steer it.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// A head larger than this is refused (S3 heads are a few KiB).
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;
const READ_CHUNK: usize = 64 * 1024;

/// Bytes read from one side of a connection and not yet consumed.
#[derive(Debug, Default)]
pub(super) struct ReadBuffer {
    data: Vec<u8>,
    start: usize,
}

impl ReadBuffer {
    pub(super) fn available(&self) -> &[u8] {
        &self.data[self.start..]
    }

    pub(super) fn is_empty(&self) -> bool {
        self.start == self.data.len()
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.data.len());
        if self.is_empty() {
            self.data.clear();
            self.start = 0;
        }
    }

    /// Read more from `src`; 0 means the peer closed its side.
    pub(super) async fn fill<R: AsyncRead + Unpin>(&mut self, src: &mut R) -> io::Result<usize> {
        if self.start > 0 {
            self.data.drain(..self.start);
            self.start = 0;
        }
        self.data.reserve(READ_CHUNK);
        src.read_buf(&mut self.data).await
    }
}

/// One header, its name lowercased for lookups (the raw head keeps the original).
#[derive(Debug, Clone)]
pub(super) struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

/// How a message's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyFraming {
    None,
    Length(u64),
    Chunked,
    /// Until the sender closes (responses only).
    UntilClose,
}

#[derive(Debug, Clone)]
pub(super) struct RequestHead {
    pub raw: Vec<u8>,
    pub method: String,
    pub target: String,
    pub minor_version: u8,
    pub headers: Vec<Header>,
}

#[derive(Debug, Clone)]
pub(super) struct ResponseHead {
    pub raw: Vec<u8>,
    pub status: u16,
    pub reason: String,
    pub minor_version: u8,
    pub headers: Vec<Header>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn owned_headers(parsed: &[httparse::Header<'_>]) -> Vec<Header> {
    parsed
        .iter()
        .map(|h| Header {
            name: h.name.to_ascii_lowercase(),
            value: h.value.to_vec(),
        })
        .collect()
}

/// The comma-separated tokens of every header `name` (lowercase), trimmed and lowercased.
fn tokens(headers: &[Header], name: &str) -> Vec<String> {
    headers
        .iter()
        .filter(|h| h.name == name)
        .flat_map(|h| {
            String::from_utf8_lossy(&h.value)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn header_str<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name == name)
        .and_then(|h| std::str::from_utf8(&h.value).ok())
        .map(str::trim)
}

/// The `Content-Length`, if any. Differing values are refused (request smuggling territory).
fn content_length(headers: &[Header]) -> io::Result<Option<u64>> {
    let mut length = None;
    for value in tokens(headers, "content-length") {
        let parsed: u64 = value
            .parse()
            .map_err(|_| invalid(format!("Content-Length {value:?} is not a number")))?;
        if length.is_some_and(|l| l != parsed) {
            return Err(invalid("conflicting Content-Length headers".to_owned()));
        }
        length = Some(parsed);
    }
    Ok(length)
}

/// Whether `Transfer-Encoding` is present, and whether its last coding is `chunked`.
fn transfer_encoding(headers: &[Header]) -> Option<bool> {
    tokens(headers, "transfer-encoding")
        .pop()
        .map(|last| last == "chunked")
}

/// Whether the connection ends after this message (RFC 9112 §9.3).
fn closes_connection(headers: &[Header], minor_version: u8) -> bool {
    let connection = tokens(headers, "connection");
    if minor_version == 0 {
        !connection.iter().any(|t| t == "keep-alive")
    } else {
        connection.iter().any(|t| t == "close")
    }
}

impl RequestHead {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        header_str(&self.headers, name)
    }

    pub(super) fn is_head(&self) -> bool {
        self.method == "HEAD"
    }

    pub(super) fn body_framing(&self) -> io::Result<BodyFraming> {
        match transfer_encoding(&self.headers) {
            Some(true) => Ok(BodyFraming::Chunked),
            Some(false) => Err(invalid(
                "a request Transfer-Encoding must end in chunked".to_owned(),
            )),
            None => Ok(match content_length(&self.headers)? {
                Some(n) => BodyFraming::Length(n),
                None => BodyFraming::None,
            }),
        }
    }

    pub(super) fn expects_continue(&self) -> bool {
        tokens(&self.headers, "expect")
            .iter()
            .any(|t| t == "100-continue")
    }

    pub(super) fn closes_connection(&self) -> bool {
        closes_connection(&self.headers, self.minor_version)
    }
}

impl ResponseHead {
    /// `1xx` other than `101`: relayed, then the real response follows.
    pub(super) fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }

    pub(super) fn body_framing(&self, request_was_head: bool) -> io::Result<BodyFraming> {
        if request_was_head || (100..200).contains(&self.status) || matches!(self.status, 204 | 304)
        {
            return Ok(BodyFraming::None);
        }
        Ok(match transfer_encoding(&self.headers) {
            Some(true) => BodyFraming::Chunked,
            Some(false) => BodyFraming::UntilClose,
            None => match content_length(&self.headers)? {
                Some(n) => BodyFraming::Length(n),
                None => BodyFraming::UntilClose,
            },
        })
    }

    pub(super) fn closes_connection(&self) -> bool {
        closes_connection(&self.headers, self.minor_version)
    }

    /// This head re-serialized with `Content-Length: length` in place of any
    /// `Content-Length` or `Transfer-Encoding`: for truncating a body that had none.
    pub(super) fn with_content_length(&self, length: u64) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.{} {} {}\r\n",
            self.minor_version, self.status, self.reason
        )
        .into_bytes();
        for h in &self.headers {
            if h.name != "content-length" && h.name != "transfer-encoding" {
                out.extend_from_slice(h.name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(&h.value);
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(format!("content-length: {length}\r\n\r\n").as_bytes());
        out
    }
}

/// Read the next request head. `Ok(None)` when the client closed between requests.
pub(super) async fn read_request_head<R: AsyncRead + Unpin>(
    src: &mut R,
    buf: &mut ReadBuffer,
) -> io::Result<Option<RequestHead>> {
    loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Request::new(&mut slots);
            let status = parsed
                .parse(buf.available())
                .map_err(|e| invalid(format!("malformed request head: {e}")))?;
            if let httparse::Status::Complete(len) = status {
                let head = RequestHead {
                    raw: buf.available()[..len].to_vec(),
                    method: parsed.method.unwrap_or_default().to_owned(),
                    target: parsed.path.unwrap_or_default().to_owned(),
                    minor_version: parsed.version.unwrap_or(1),
                    headers: owned_headers(parsed.headers),
                };
                buf.consume(len);
                return Ok(Some(head));
            }
            if buf.available().len() > MAX_HEAD_BYTES {
                return Err(invalid(format!("request head over {MAX_HEAD_BYTES} bytes")));
            }
        }
        if buf.fill(src).await? == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the client closed in the middle of a request head",
                ))
            };
        }
    }
}

/// Read the next response head; an error when upstream closes before one.
pub(super) async fn read_response_head<R: AsyncRead + Unpin>(
    src: &mut R,
    buf: &mut ReadBuffer,
) -> io::Result<ResponseHead> {
    loop {
        if !buf.is_empty() {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut parsed = httparse::Response::new(&mut slots);
            let status = parsed
                .parse(buf.available())
                .map_err(|e| invalid(format!("malformed response head: {e}")))?;
            if let httparse::Status::Complete(len) = status {
                let head = ResponseHead {
                    raw: buf.available()[..len].to_vec(),
                    status: parsed.code.unwrap_or_default(),
                    reason: parsed.reason.unwrap_or_default().to_owned(),
                    minor_version: parsed.version.unwrap_or(1),
                    headers: owned_headers(parsed.headers),
                };
                buf.consume(len);
                return Ok(head);
            }
            if buf.available().len() > MAX_HEAD_BYTES {
                return Err(invalid(format!(
                    "response head over {MAX_HEAD_BYTES} bytes"
                )));
            }
        }
        if buf.fill(src).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "upstream closed the connection before a complete response head",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn request(bytes: &[u8]) -> RequestHead {
        let mut src = bytes;
        let mut buf = ReadBuffer::default();
        read_request_head(&mut src, &mut buf)
            .await
            .expect("a well-formed head parses")
            .expect("the bytes hold a head")
    }

    #[tokio::test]
    async fn fault_proxy_keeps_the_raw_head_and_leaves_the_body_in_the_buffer() {
        let bytes = b"PUT /b/k?x-id=PutObject HTTP/1.1\r\nHost: 127.0.0.1:4000\r\nContent-Length: 3\r\n\r\nabcGET";
        let mut src = &bytes[..];
        let mut buf = ReadBuffer::default();
        let head = read_request_head(&mut src, &mut buf)
            .await
            .expect("parses")
            .expect("a head");
        assert_eq!(
            head.raw,
            &bytes[..bytes.len() - 6],
            "the raw head is forwarded as sent, so the signed Host header is unchanged"
        );
        assert_eq!(head.method, "PUT");
        assert_eq!(head.target, "/b/k?x-id=PutObject");
        assert_eq!(head.body_framing().expect("valid"), BodyFraming::Length(3));
        assert_eq!(
            buf.available(),
            b"abcGET",
            "body and what follows stay unread"
        );
    }

    #[tokio::test]
    async fn fault_proxy_reads_request_framing_like_a_server() {
        let chunked = request(
            b"PUT /b/k HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 9\r\n\r\n",
        )
        .await;
        assert_eq!(
            chunked.body_framing().expect("valid"),
            BodyFraming::Chunked,
            "Transfer-Encoding wins over Content-Length (RFC 9112 §6.3)"
        );
        let get =
            request(b"GET /b/k HTTP/1.1\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
                .await;
        assert_eq!(get.body_framing().expect("valid"), BodyFraming::None);
        assert!(get.expects_continue());
        assert!(get.closes_connection());
        let old = request(b"GET / HTTP/1.0\r\n\r\n").await;
        assert!(
            old.closes_connection(),
            "HTTP/1.0 closes unless keep-alive is asked"
        );
        let conflicting =
            request(b"PUT / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").await;
        assert!(
            conflicting.body_framing().is_err(),
            "two lengths are ambiguous"
        );
    }

    #[tokio::test]
    async fn fault_proxy_reads_response_framing_and_rewrites_the_length() {
        let bytes = b"HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n\r\n";
        let mut src = &bytes[..];
        let mut buf = ReadBuffer::default();
        let head = read_response_head(&mut src, &mut buf)
            .await
            .expect("parses");
        assert_eq!(
            head.body_framing(false).expect("valid"),
            BodyFraming::Length(0)
        );
        assert_eq!(
            head.body_framing(true).expect("valid"),
            BodyFraming::None,
            "a response to HEAD has no body whatever its Content-Length says"
        );
        assert_eq!(
            head.with_content_length(64),
            b"HTTP/1.1 200 OK\r\netag: \"e\"\r\ncontent-length: 64\r\n\r\n".to_vec()
        );
        let mut eof = &b"HTTP/1.1 200 OK\r\n"[..];
        let mut buf = ReadBuffer::default();
        assert!(
            read_response_head(&mut eof, &mut buf).await.is_err(),
            "a head cut short by upstream is an error, not a response"
        );
    }
}
