//! [`FileRangeBody`]: a request body streamed from a byte range of a file.
//!
//! Written here rather than taken from the SDK's `ByteStream::read_from().path(..)`, which goes
//! through `tokio::fs::File`: that reads each step into tokio's own buffer on the blocking pool
//! and then copies it into the body's buffer, one more pass over every byte sent (5 % of the
//! client's samples on 2,000 × 256 KiB, `docs/upload.md`). Here each step is read on the
//! blocking pool straight into the buffer that becomes the frame, and hyper writes that buffer
//! to the socket as it is. The reads go into a `Vec`'s spare capacity (`read_to_end`), so no
//! buffer is zeroed first either.

use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::task::JoinHandle;

/// What one step's read hands back: the file (to read the next step from) and the bytes.
type Step = std::io::Result<(File, Bytes)>;

/// `len` bytes of a file from `offset`, read `step` bytes at a time, each read only when hyper
/// asks for the next frame (so a request holds one step's buffer at a time).
#[derive(Debug)]
pub(crate) struct FileRangeBody {
    path: PathBuf,
    /// The file, positioned at the next byte to read; `None` while a step is being read.
    file: Option<File>,
    /// Bytes not yet read.
    remaining: u64,
    step: usize,
    reading: Option<JoinHandle<Step>>,
}

impl FileRangeBody {
    /// Open `path` and position it at `offset`. The caller has checked that the file holds
    /// `offset + len` bytes; a file that ends early after all fails the body with
    /// `UnexpectedEof` (and the server never sees a complete request).
    ///
    /// # Errors
    /// When the file cannot be opened or positioned.
    pub(crate) fn open(path: &Path, offset: u64, len: u64, step: usize) -> std::io::Result<Self> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            path: path.to_path_buf(),
            file: Some(file),
            remaining: len,
            step: step.max(1),
            reading: None,
        })
    }
}

/// Read up to `want` bytes from `file`'s position; fewer only at the end of the file.
fn read_step(mut file: File, want: usize) -> Step {
    let mut buffer = Vec::with_capacity(want);
    (&mut file)
        .take(u64::try_from(want).unwrap_or(u64::MAX))
        .read_to_end(&mut buffer)?;
    Ok((file, Bytes::from(buffer)))
}

impl Body for FileRangeBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        loop {
            if let Some(reading) = self.reading.as_mut() {
                let step = ready!(Pin::new(reading).poll(cx));
                self.reading = None;
                let (file, bytes) = match step {
                    Ok(Ok(read)) => read,
                    Ok(Err(e)) => return Poll::Ready(Some(Err(e))),
                    Err(join) => return Poll::Ready(Some(Err(std::io::Error::other(join)))),
                };
                let got = bytes.len() as u64;
                if got == 0 {
                    return Poll::Ready(Some(Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        format!(
                            "{} ended {} bytes before the range being uploaded",
                            self.path.display(),
                            self.remaining
                        ),
                    ))));
                }
                self.remaining = self.remaining.saturating_sub(got);
                self.file = Some(file);
                return Poll::Ready(Some(Ok(Frame::data(bytes))));
            }
            if self.remaining == 0 {
                return Poll::Ready(None);
            }
            let Some(file) = self.file.take() else {
                return Poll::Ready(None); // unreachable: the file is back after every step
            };
            let want = usize::try_from(self.remaining).map_or(self.step, |r| r.min(self.step));
            self.reading = Some(tokio::task::spawn_blocking(move || read_step(file, want)));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.reading.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    fn file_of(len: usize) -> (tempfile::TempDir, PathBuf, Vec<u8>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("IMG_0001.CR3");
        let data: Vec<u8> = (0..len)
            .map(|i| u8::try_from(i * 7 % 251).expect("below 251"))
            .collect();
        std::fs::write(&path, &data).expect("write");
        (dir, path, data)
    }

    #[tokio::test]
    async fn yields_exactly_the_range_in_steps() {
        let (_dir, path, data) = file_of(100_000);
        let body = FileRangeBody::open(&path, 1_000, 50_001, 16_384).expect("opens");
        assert_eq!(body.size_hint().exact(), Some(50_001));
        let mut body = std::pin::pin!(body);
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.expect("reads").into_data().expect("data"));
        }
        let sizes: Vec<usize> = frames.iter().map(Bytes::len).collect();
        assert_eq!(
            sizes,
            [16_384, 16_384, 16_384, 849],
            "steps of 16 KiB, the last short"
        );
        assert_eq!(frames.concat(), data[1_000..51_001]);
        assert!(body.is_end_stream());
    }

    #[tokio::test]
    async fn a_file_that_ends_early_fails_the_body() {
        let (_dir, path, _) = file_of(10_000);
        let mut body =
            std::pin::pin!(FileRangeBody::open(&path, 5_000, 8_000, 4_096).expect("opens"));
        let mut error = None;
        while let Some(frame) = body.frame().await {
            if let Err(e) = frame {
                error = Some(e);
                break;
            }
        }
        let error = error.expect("5,000 bytes are there, 8,000 were promised");
        assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    }
}
