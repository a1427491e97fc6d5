//! Error replies the proxy makes up, shaped like S3's own so that aws-sdk-s3
//! parses the code: an XML `<Error>` body, `x-amz-request-id`, `x-amz-id-2` and
//! a `Date` (which the SDK's clock-skew check reads).

use jiff::Timestamp;
use jiff::fmt::rfc2822::DateTimePrinter;

use super::wire::RequestHead;

/// S3 allows 15 minutes of clock skew.
const MAX_ALLOWED_SKEW_MS: u32 = 900_000;

/// An S3 error the proxy answers with instead of forwarding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum S3Error {
    InternalError,
    SlowDown,
    ExpiredToken,
    InvalidToken,
    RequestTimeTooSkewed,
}

impl S3Error {
    fn status(self) -> (u16, &'static str) {
        match self {
            Self::InternalError => (500, "Internal Server Error"),
            Self::SlowDown => (503, "Slow Down"),
            Self::ExpiredToken | Self::InvalidToken => (400, "Bad Request"),
            Self::RequestTimeTooSkewed => (403, "Forbidden"),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Self::InternalError => "InternalError",
            Self::SlowDown => "SlowDown",
            Self::ExpiredToken => "ExpiredToken",
            Self::InvalidToken => "InvalidToken",
            Self::RequestTimeTooSkewed => "RequestTimeTooSkewed",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::InternalError => "We encountered an internal error. Please try again.",
            Self::SlowDown => "Please reduce your request rate.",
            Self::ExpiredToken => "The provided token has expired.",
            Self::InvalidToken => "The provided token is malformed or otherwise invalid.",
            Self::RequestTimeTooSkewed => {
                "The difference between the request time and the current time is too large."
            }
        }
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The whole reply (head and, unless the request was `HEAD`, body) to `request`.
/// `close` adds `Connection: close`.
pub(super) fn render(
    error: S3Error,
    request: &RequestHead,
    request_id: &str,
    now: Timestamp,
    close: bool,
) -> Vec<u8> {
    let resource = request.target.split('?').next().unwrap_or_default();
    let mut details = String::new();
    if error == S3Error::RequestTimeTooSkewed {
        details = format!(
            "<RequestTime>{}</RequestTime><ServerTime>{}</ServerTime>\
             <MaxAllowedSkewMilliseconds>{MAX_ALLOWED_SKEW_MS}</MaxAllowedSkewMilliseconds>",
            xml_escape(request.header("x-amz-date").unwrap_or_default()),
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        );
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>{message}</Message><Resource>{resource}</Resource>{details}\
         <RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>",
        code = error.code(),
        message = error.message(),
        resource = xml_escape(resource),
        host_id = host_id(request_id),
    );
    let (status, reason) = error.status();
    let date = DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&now)
        .unwrap_or_else(|_| "Thu, 01 Jan 1970 00:00:00 GMT".to_owned());
    let connection = if close { "Connection: close\r\n" } else { "" };
    let mut reply = format!(
        "HTTP/1.1 {status} {reason}\r\n\
         Date: {date}\r\n\
         Server: LightboxFaultProxy\r\n\
         x-amz-request-id: {request_id}\r\n\
         x-amz-id-2: {host_id}\r\n\
         Content-Type: application/xml\r\n\
         Content-Length: {length}\r\n\
         {connection}\r\n",
        host_id = host_id(request_id),
        length = body.len(),
    )
    .into_bytes();
    if !request.is_head() {
        reply.extend_from_slice(body.as_bytes());
    }
    reply
}

fn host_id(request_id: &str) -> String {
    format!("lightbox-fault-proxy/{request_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(method: &str, target: &str) -> RequestHead {
        RequestHead {
            raw: Vec::new(),
            method: method.to_owned(),
            target: target.to_owned(),
            minor_version: 1,
            headers: vec![super::super::wire::Header {
                name: "x-amz-date".to_owned(),
                value: b"20250101T000000Z".to_vec(),
            }],
        }
    }

    #[test]
    fn fault_proxy_error_replies_look_like_s3s() {
        let now = Timestamp::from_second(1_700_000_000).expect("a valid time");
        let reply = render(
            S3Error::RequestTimeTooSkewed,
            &head("PUT", "/b/a&b.jpg?x-id=PutObject"),
            "LBFP1",
            now,
            false,
        );
        let text = String::from_utf8(reply).expect("ASCII");
        let (head_text, body) = text.split_once("\r\n\r\n").expect("head and body");
        assert!(head_text.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        assert!(
            head_text.contains("\r\nx-amz-request-id: LBFP1\r\n"),
            "the SDK reads the request id here"
        );
        assert!(head_text.contains("\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"));
        assert!(
            head_text.contains(&format!("\r\nContent-Length: {}", body.len())),
            "the length matches the body, or the client would see a truncated reply"
        );
        assert!(body.contains("<Code>RequestTimeTooSkewed</Code>"));
        assert!(
            body.contains("<Resource>/b/a&amp;b.jpg</Resource>"),
            "the key is XML-escaped"
        );
        assert!(body.contains("<RequestTime>20250101T000000Z</RequestTime>"));
        assert!(!head_text.contains("Connection: close"));
    }

    #[test]
    fn fault_proxy_error_reply_to_head_has_no_body() {
        let now = Timestamp::from_second(0).expect("a valid time");
        let reply = render(S3Error::SlowDown, &head("HEAD", "/b/k"), "LBFP2", now, true);
        let text = String::from_utf8(reply).expect("ASCII");
        assert!(text.starts_with("HTTP/1.1 503 Slow Down\r\n"));
        assert!(
            text.ends_with("Connection: close\r\n\r\n"),
            "a reply to HEAD stops after its head"
        );
    }
}
