//! Moving a message body from one socket to another without changing a byte,
//! while knowing where it ends: a `Content-Length` count or a chunked-framing
//! scanner. The framing is forwarded as it came (chunk sizes, extensions, trailers).

use std::io;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::wire::{BodyFraming, ReadBuffer};

/// Where a chunked body's scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex size; `digits` so far.
    Size {
        size: u64,
        digits: u8,
    },
    /// After the size: extensions or whitespace, up to the line's end.
    SizeLineRest {
        size: u64,
    },
    Data {
        remaining: u64,
    },
    /// Expecting the CRLF after a chunk's data.
    DataEnd {
        seen_cr: bool,
    },
    /// After the last chunk: trailer lines, ended by an empty line.
    Trailer {
        line_len: usize,
    },
    Done,
}

/// Progress through one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BodyCursor(State);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length { remaining: u64 },
    Chunked(Chunk),
    UntilClose,
    Done,
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl BodyCursor {
    pub(super) fn new(framing: BodyFraming) -> Self {
        Self(match framing {
            BodyFraming::None | BodyFraming::Length(0) => State::Done,
            BodyFraming::Length(n) => State::Length { remaining: n },
            BodyFraming::Chunked => State::Chunked(Chunk::Size { size: 0, digits: 0 }),
            BodyFraming::UntilClose => State::UntilClose,
        })
    }

    pub(super) fn is_done(&self) -> bool {
        self.0 == State::Done
    }

    /// How many bytes at the front of `input` belong to this body. Less than
    /// `input.len()` only when the body ends inside `input`.
    pub(super) fn advance(&mut self, input: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            State::Done => Ok(0),
            State::UntilClose => Ok(input.len()),
            State::Length { remaining } => {
                let n = input
                    .len()
                    .min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                *remaining -= len_u64(n);
                if *remaining == 0 {
                    self.0 = State::Done;
                }
                Ok(n)
            }
            State::Chunked(chunk) => {
                let n = scan_chunked(chunk, input)?;
                if *chunk == Chunk::Done {
                    self.0 = State::Done;
                }
                Ok(n)
            }
        }
    }

    /// The source closed. Only a body delimited by the close ends well that way.
    pub(super) fn finish_at_eof(&mut self) -> io::Result<()> {
        match self.0 {
            State::Done => Ok(()),
            State::UntilClose => {
                self.0 = State::Done;
                Ok(())
            }
            State::Length { .. } | State::Chunked(_) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the connection in the middle of a body",
            )),
        }
    }
}

/// Advance a chunked-body scanner over `input`; returns the bytes consumed.
fn scan_chunked(state: &mut Chunk, input: &[u8]) -> io::Result<usize> {
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        match *state {
            Chunk::Done => break,
            Chunk::Data { remaining } => {
                let n = (input.len() - i).min(usize::try_from(remaining).unwrap_or(usize::MAX));
                i += n;
                let remaining = remaining - len_u64(n);
                *state = if remaining == 0 {
                    Chunk::DataEnd { seen_cr: false }
                } else {
                    Chunk::Data { remaining }
                };
                continue;
            }
            Chunk::Size { size, digits } => {
                if let Some(d) = char::from(byte).to_digit(16) {
                    if digits >= 16 {
                        return Err(invalid("chunk size over 16 hex digits"));
                    }
                    *state = Chunk::Size {
                        size: size * 16 + u64::from(d),
                        digits: digits + 1,
                    };
                } else if digits == 0 {
                    return Err(invalid("a chunk size line without a size"));
                } else if byte == b'\n' {
                    *state = after_size_line(size);
                } else {
                    *state = Chunk::SizeLineRest { size };
                }
            }
            Chunk::SizeLineRest { size } => {
                if byte == b'\n' {
                    *state = after_size_line(size);
                }
            }
            Chunk::DataEnd { seen_cr } => match byte {
                b'\r' if !seen_cr => *state = Chunk::DataEnd { seen_cr: true },
                b'\n' => *state = Chunk::Size { size: 0, digits: 0 },
                _ => return Err(invalid("chunk data longer than its size")),
            },
            Chunk::Trailer { line_len } => match byte {
                b'\n' if line_len == 0 => *state = Chunk::Done,
                b'\n' => *state = Chunk::Trailer { line_len: 0 },
                b'\r' => {}
                _ => {
                    *state = Chunk::Trailer {
                        line_len: line_len + 1,
                    }
                }
            },
        }
        i += 1;
    }
    Ok(i)
}

fn after_size_line(size: u64) -> Chunk {
    if size == 0 {
        Chunk::Trailer { line_len: 0 }
    } else {
        Chunk::Data { remaining: size }
    }
}

/// Move body bytes from `buf` (refilled from `src`) to `dst` until the body
/// ends or `limit` bytes have moved. `moved` hears of each slice once written.
/// Returns the bytes moved.
pub(super) async fn pump_body<R, W>(
    src: &mut R,
    buf: &mut ReadBuffer,
    cursor: &mut BodyCursor,
    dst: &mut W,
    limit: Option<u64>,
    mut moved: impl FnMut(u64),
) -> io::Result<u64>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut total = 0u64;
    loop {
        let room = limit.map_or(usize::MAX, |l| {
            usize::try_from(l.saturating_sub(total)).unwrap_or(usize::MAX)
        });
        if cursor.is_done() || room == 0 {
            return Ok(total);
        }
        if buf.is_empty() {
            if buf.fill(src).await? == 0 {
                cursor.finish_at_eof()?;
                return Ok(total);
            }
            continue;
        }
        let window = &buf.available()[..buf.available().len().min(room)];
        let n = cursor.advance(window)?;
        dst.write_all(&window[..n]).await?;
        buf.consume(n);
        total += len_u64(n);
        moved(len_u64(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `input` in pieces of `step` bytes; the bytes consumed before the end.
    fn scan_in_steps(input: &[u8], step: usize) -> io::Result<usize> {
        let mut cursor = BodyCursor::new(BodyFraming::Chunked);
        let mut consumed = 0;
        for piece in input.chunks(step) {
            consumed += cursor.advance(piece)?;
            if cursor.is_done() {
                return Ok(consumed);
            }
        }
        Err(io::Error::new(io::ErrorKind::UnexpectedEof, "not done"))
    }

    #[test]
    fn fault_proxy_finds_the_end_of_a_chunked_body_however_it_arrives() {
        let body = b"4;chunk-signature=abc\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
        let mut input = body.to_vec();
        input.extend_from_slice(b"GET /next HTTP/1.1\r\n");
        for step in [1, 2, 3, 7, 64, input.len()] {
            assert_eq!(
                scan_in_steps(&input, step).expect("valid framing"),
                body.len(),
                "with {step}-byte reads the body ends after its trailer, before the next request"
            );
        }
    }

    #[test]
    fn fault_proxy_refuses_broken_chunked_framing() {
        assert!(scan_in_steps(b"zz\r\n", 4).is_err(), "no hex size");
        assert!(
            scan_in_steps(b"2\r\nabc\r\n0\r\n\r\n", 4).is_err(),
            "data longer than its size"
        );
    }

    #[test]
    fn fault_proxy_counts_a_content_length_body() {
        let mut cursor = BodyCursor::new(BodyFraming::Length(5));
        assert_eq!(cursor.advance(b"abc").expect("ok"), 3);
        assert_eq!(
            cursor.advance(b"defgh").expect("ok"),
            2,
            "only 5 bytes belong to it"
        );
        assert!(cursor.is_done());
        assert!(BodyCursor::new(BodyFraming::Length(0)).is_done());
        let mut cut = BodyCursor::new(BodyFraming::Length(5));
        assert!(
            cut.finish_at_eof().is_err(),
            "a close before 5 bytes is a cut body"
        );
        let mut until_close = BodyCursor::new(BodyFraming::UntilClose);
        assert!(until_close.finish_at_eof().is_ok());
    }

    #[tokio::test]
    async fn fault_proxy_pumps_a_body_unchanged_and_stops_at_a_limit() {
        let wire = b"3\r\nabc\r\n0\r\n\r\nNEXT";
        let mut src = &wire[..];
        let mut buf = ReadBuffer::default();
        let mut cursor = BodyCursor::new(BodyFraming::Chunked);
        let mut out = Vec::new();
        let mut counted = 0;
        let moved = pump_body(&mut src, &mut buf, &mut cursor, &mut out, None, |n| {
            counted += n;
        })
        .await
        .expect("a valid body pumps");
        assert_eq!(
            out, b"3\r\nabc\r\n0\r\n\r\n",
            "chunk framing is forwarded as received"
        );
        assert_eq!((moved, counted), (13, 13));
        assert_eq!(
            buf.available(),
            b"NEXT",
            "the next message stays in the buffer"
        );

        let mut src = &b"0123456789"[..];
        let mut buf = ReadBuffer::default();
        let mut cursor = BodyCursor::new(BodyFraming::Length(10));
        let mut out = Vec::new();
        let moved = pump_body(&mut src, &mut buf, &mut cursor, &mut out, Some(5), |_| {})
            .await
            .expect("pumps");
        assert_eq!(
            (moved, out.as_slice()),
            (5, &b"01234"[..]),
            "the limit cuts at half"
        );
        assert!(!cursor.is_done());
    }
}
