//! One streaming read of a settled file: its content identity (SHA-256), the
//! checksum S3 verifies (CRC64-NVME), the size actually read, and its EXIF facts.
//!
//! The file is read once, in [`CHUNK_SIZE`] chunks through one reused buffer, so
//! memory stays bounded whatever the file size. The first [`EXIF_PREFIX_LEN`]
//! bytes are kept for EXIF; see [`super::exif_facts`] for the one case that reads
//! the file's head a second time.
//!
//! Encodings match what S3 expects and returns:
//! - `sha256`: the content's identity, the catalog's content key and the object metadata;
//! - `crc64nvme_base64`: base64 of the 8-byte big-endian CRC64/NVME value, the
//!   form of the `x-amz-checksum-crc64nvme` header and `ChecksumCRC64NVME`.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lightbox_types::FailureCode;
use lightbox_types::Sha256Digest;
use sha2::{Digest as _, Sha256};

use super::exif_facts::{EXIF_PREFIX_LEN, ExifFacts, read_exif_facts};

/// Bytes read per chunk: the only buffer the hashing pass holds.
pub const CHUNK_SIZE: usize = 1024 * 1024;

/// What one read of a file established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// SHA-256 of the content: the content's identity.
    pub sha256: Sha256Digest,
    /// CRC64/NVME of the content: base64 of its 8 big-endian bytes, as S3 wants it.
    pub crc64nvme_base64: String,
    /// The number of bytes read.
    pub size: u64,
    pub exif: ExifFacts,
}

/// Knobs for [`fingerprint_file`]. `Default` expects no size, reports no progress
/// and is never cancelled.
#[derive(Default, Clone, Copy)]
pub struct FingerprintOptions<'a> {
    /// The size the file had when it settled: reading a different number of
    /// bytes fails with [`FingerprintError::Changed`].
    pub expected_size: Option<u64>,
    /// Called after each chunk with the bytes read so far.
    pub progress: Option<&'a dyn Fn(u64)>,
    /// Checked before each chunk; `true` stops with [`FingerprintError::Cancelled`].
    /// Wrap a cancellation token or an `AtomicBool`: `&|| token.is_cancelled()`.
    pub cancelled: Option<&'a dyn Fn() -> bool>,
}

/// Why a file could not be fingerprinted. [`Self::code`] is stable.
#[derive(Debug, thiserror::Error)]
pub enum FingerprintError {
    #[error("{} disappeared before it could be read (moved or deleted); nothing to do unless it comes back", path.display())]
    Vanished { path: PathBuf },
    #[error(
        "{} cannot be read: permission denied. Give Lightbox read access to {}",
        path.display(),
        path.display()
    )]
    PermissionDenied { path: PathBuf },
    #[error(
        "{} changed while it was being read ({expected} bytes when it settled, {actual} bytes \
         read); it is still being written, so Lightbox will wait for it to settle and read it again",
        path.display()
    )]
    Changed {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("reading {} was cancelled; it will be read again when Lightbox resumes", path.display())]
    Cancelled { path: PathBuf },
    #[error("{} could not be read ({source}); check the disk or network share, Lightbox will retry", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl FingerprintError {
    /// A stable code for logs, the catalog and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Vanished { .. } => FailureCode::IngestVanished,
            Self::PermissionDenied { .. } => FailureCode::IngestPermissionDenied,
            Self::Changed { .. } => FailureCode::IngestChanged,
            Self::Cancelled { .. } => FailureCode::IngestCancelled,
            Self::Io { .. } => FailureCode::IngestReadFailed,
        }
    }

    /// Whether trying again later may succeed without anyone doing anything.
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            Self::Changed { .. } | Self::Cancelled { .. } | Self::Io { .. }
        )
    }

    fn from_io(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::NotFound => Self::Vanished { path },
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { path },
            _ => Self::Io { path, source },
        }
    }
}

/// Running SHA-256 and CRC64/NVME over a stream of chunks.
#[derive(Clone, Default)]
pub struct ContentDigest {
    sha256: Sha256,
    crc64nvme: crc64fast_nvme::Digest,
    size: u64,
}

/// The finished sums of a [`ContentDigest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSums {
    pub sha256: Sha256Digest,
    pub crc64nvme_base64: String,
    pub size: u64,
}

impl ContentDigest {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.crc64nvme.write(chunk);
        self.size += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
    }

    /// Bytes seen so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    #[must_use]
    pub fn finish(self) -> ContentSums {
        ContentSums {
            sha256: Sha256Digest::from(<[u8; 32]>::from(self.sha256.finalize())),
            crc64nvme_base64: BASE64.encode(self.crc64nvme.sum64().to_be_bytes()),
            size: self.size,
        }
    }
}

/// Read `path` once and fingerprint it. See [`FingerprintOptions`] for the size
/// check, progress and cancellation.
pub fn fingerprint_file(
    path: &Path,
    options: &FingerprintOptions<'_>,
) -> Result<Fingerprint, FingerprintError> {
    let file = File::open(path).map_err(|e| FingerprintError::from_io(path, e))?;
    let (sums, exif) = digest_stream(file, path, options)?;
    Ok(Fingerprint {
        sha256: sums.sha256,
        crc64nvme_base64: sums.crc64nvme_base64,
        size: sums.size,
        exif,
    })
}

/// Files at least this large are summed on two threads: SHA-256 (the slow sum, ~1.7 GB/s on
/// one core) on its own, while this one reads and computes the CRC64/NVME. For a 2 GiB file the
/// read and the CRC were a quarter of the pass, and nothing can be uploaded before the SHA-256
/// is known (it is the object's metadata and the content's identity).
pub const OVERLAP_FROM: u64 = 64 * 1024 * 1024;

/// The smallest read buffer: a file that grows past its settled size is still seen growing.
const MIN_BUFFER: usize = 64 * 1024;

/// The streaming pass: sums of everything `reader` yields, and the EXIF facts of its first
/// [`EXIF_PREFIX_LEN`] bytes. `path` names the file in errors (and is read again for EXIF in
/// the one case [`read_exif_facts`] needs it).
///
/// A file known to be smaller than a chunk is read through a buffer of its own size (at least
/// [`MIN_BUFFER`]), and when the size is known up front EXIF is parsed from the first chunk
/// itself instead of a copy of its head. (For 256 KiB files, zeroing a 1 MiB buffer and
/// copying the head were a seventh of the client's CPU.)
fn digest_stream(
    mut reader: impl Read,
    path: &Path,
    options: &FingerprintOptions<'_>,
) -> Result<(ContentSums, ExifFacts), FingerprintError> {
    let overlap = options
        .expected_size
        .is_some_and(|size| size >= OVERLAP_FROM);
    let mut sums = if overlap {
        Sums::overlapped()
    } else {
        let fits = options.expected_size.map_or(CHUNK_SIZE, |size| {
            usize::try_from(size).map_or(CHUNK_SIZE, |size| size.clamp(MIN_BUFFER, CHUNK_SIZE))
        });
        Sums::inline(fits)
    };
    // Parsed from the first chunk when the file's size is known; else from a copy of the head.
    let mut exif = None;
    let mut prefix = Vec::new();
    let changed = |actual| FingerprintError::Changed {
        path: path.to_path_buf(),
        expected: options.expected_size.unwrap_or(actual),
        actual,
    };
    loop {
        if options.cancelled.is_some_and(|cancelled| cancelled()) {
            return Err(FingerprintError::Cancelled {
                path: path.to_path_buf(),
            });
        }
        let mut buffer = sums.buffer();
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                sums.give_back(buffer);
                continue;
            }
            Err(e) => return Err(FingerprintError::from_io(path, e)),
        };
        let head = &buffer[..EXIF_PREFIX_LEN.min(n)];
        if sums.size() == 0 && (n >= EXIF_PREFIX_LEN || Some(n as u64) == options.expected_size) {
            // The first read brought the whole head: parse it in place.
            exif = options
                .expected_size
                .map(|size| read_exif_facts(head, size, path));
        }
        if exif.is_none() && prefix.len() < EXIF_PREFIX_LEN {
            prefix.extend_from_slice(&head[..head.len().min(EXIF_PREFIX_LEN - prefix.len())]);
        }
        sums.update(buffer, n);
        if options
            .expected_size
            .is_some_and(|expected| sums.size() > expected)
        {
            // Still growing: stop now rather than follow it.
            return Err(changed(sums.size()));
        }
        if let Some(progress) = options.progress {
            progress(sums.size());
        }
    }
    if options
        .expected_size
        .is_some_and(|expected| sums.size() != expected)
    {
        return Err(changed(sums.size()));
    }
    let sums = sums.finish();
    let exif = exif.unwrap_or_else(|| read_exif_facts(&prefix, sums.size, path));
    Ok((sums, exif))
}

/// Where the chunks of one pass go: both sums on this thread, or the SHA-256 on a thread of its
/// own ([`OVERLAP_FROM`]). Either way the pass holds at most a few [`CHUNK_SIZE`] buffers.
enum Sums {
    Inline {
        digest: ContentDigest,
        buffer: Vec<u8>,
    },
    Overlapped {
        crc64nvme: crc64fast_nvme::Digest,
        size: u64,
        to_sha: std::sync::mpsc::SyncSender<(Vec<u8>, usize)>,
        free: std::sync::mpsc::Receiver<Vec<u8>>,
        sha: std::thread::JoinHandle<Sha256>,
    },
}

/// Buffers in an overlapped pass: one being read, one being hashed, one waiting.
const OVERLAP_BUFFERS: usize = 3;

impl Sums {
    /// Both sums on this thread, reading through one buffer of `len` bytes.
    fn inline(len: usize) -> Self {
        Self::Inline {
            digest: ContentDigest::new(),
            buffer: vec![0; len],
        }
    }

    /// The SHA-256 thread hashes each chunk and hands its buffer back; when it cannot be
    /// started, the pass runs inline.
    fn overlapped() -> Self {
        let (to_sha, chunks) = std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(OVERLAP_BUFFERS);
        let (give_back, free) = std::sync::mpsc::sync_channel(OVERLAP_BUFFERS);
        for _ in 0..OVERLAP_BUFFERS {
            // Cannot fail: the channel has room for every buffer.
            let _ = give_back.send(vec![0; CHUNK_SIZE]);
        }
        let spawned = std::thread::Builder::new()
            .name("lightbox-sha256".to_owned())
            .spawn(move || {
                let mut sha = Sha256::new();
                for (buffer, n) in chunks {
                    sha.update(&buffer[..n]);
                    // The reader has stopped (an error) when no one takes it back.
                    let _ = give_back.send(buffer);
                }
                sha
            });
        match spawned {
            Ok(sha) => Self::Overlapped {
                crc64nvme: crc64fast_nvme::Digest::new(),
                size: 0,
                to_sha,
                free,
                sha,
            },
            Err(e) => {
                tracing::debug!(error = %e, "no thread for SHA-256; hashing inline");
                Self::inline(CHUNK_SIZE)
            }
        }
    }

    /// A buffer to read the next chunk into.
    fn buffer(&mut self) -> Vec<u8> {
        match self {
            Self::Inline { buffer, .. } => std::mem::take(buffer),
            // The SHA-256 thread only ends when `to_sha` is dropped, so a buffer comes back.
            Self::Overlapped { free, .. } => free.recv().unwrap_or_else(|_| vec![0; CHUNK_SIZE]),
        }
    }

    /// An unused buffer.
    fn give_back(&mut self, unused: Vec<u8>) {
        match self {
            Self::Inline { buffer, .. } => *buffer = unused,
            Self::Overlapped { to_sha, .. } => {
                let _ = to_sha.send((unused, 0));
            }
        }
    }

    /// Add the first `n` bytes of `chunk`.
    fn update(&mut self, chunk: Vec<u8>, n: usize) {
        match self {
            Self::Inline { digest, buffer } => {
                digest.update(&chunk[..n]);
                *buffer = chunk;
            }
            Self::Overlapped {
                crc64nvme,
                size,
                to_sha,
                ..
            } => {
                crc64nvme.write(&chunk[..n]);
                *size += n as u64;
                let _ = to_sha.send((chunk, n));
            }
        }
    }

    fn size(&self) -> u64 {
        match self {
            Self::Inline { digest, .. } => digest.size(),
            Self::Overlapped { size, .. } => *size,
        }
    }

    fn finish(self) -> ContentSums {
        match self {
            Self::Inline { digest, .. } => digest.finish(),
            Self::Overlapped {
                crc64nvme,
                size,
                to_sha,
                sha,
                ..
            } => {
                drop(to_sha);
                // The thread only hashes; a panic there is a bug, reported as one.
                let sha = sha.join().expect("the SHA-256 thread does not panic");
                ContentSums {
                    sha256: Sha256Digest::from(<[u8; 32]>::from(sha.finalize())),
                    crc64nvme_base64: BASE64.encode(crc64nvme.sum64().to_be_bytes()),
                    size,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};

    use jiff::civil::date;
    use jiff::tz::Offset;

    use super::*;
    use lightbox_fixtures::tiff::{camera_tiff, exif_jpeg as jpeg};
    use lightbox_types::CaptureTime;

    fn sums(data: &[u8]) -> ContentSums {
        let mut digest = ContentDigest::new();
        digest.update(data);
        digest.finish()
    }

    /// Deterministic bytes that do not repeat at chunk boundaries.
    fn pseudo_random(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    }

    fn write_temp(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, data).expect("write test file");
        path
    }

    #[test]
    fn a_large_file_summed_on_two_threads_gets_the_same_sums_as_one_thread() {
        // Just over the threshold, so the last chunk is short.
        let size = OVERLAP_FROM + 12_345;
        let mut expected = ContentDigest::new();
        let mut block = pseudo_random(CHUNK_SIZE);
        let mut left = size;
        let mut stream = Vec::new();
        while left > 0 {
            let n = usize::try_from(left.min(CHUNK_SIZE as u64)).expect("small");
            block.rotate_left(7);
            expected.update(&block[..n]);
            stream.extend_from_slice(&block[..n]);
            left -= n as u64;
        }
        let options = FingerprintOptions {
            expected_size: Some(size),
            ..FingerprintOptions::default()
        };

        let (sums, exif) =
            digest_stream(stream.as_slice(), Path::new("big.cr3"), &options).expect("read");

        assert_eq!(
            sums,
            expected.finish(),
            "SHA-256, CRC64/NVME and size agree"
        );
        assert_eq!(
            exif,
            ExifFacts::default(),
            "pseudo-random bytes hold no EXIF"
        );
    }

    #[test]
    fn exif_is_read_from_the_head_whether_the_size_is_known_or_not() {
        // Small (one read), just over a chunk, and large enough for the two-thread pass.
        for body in [
            10_000,
            CHUNK_SIZE,
            usize::try_from(OVERLAP_FROM).expect("small"),
        ] {
            let data = jpeg(&camera_tiff(0), &pseudo_random(body));
            for expected_size in [Some(u64::try_from(data.len()).expect("small")), None] {
                let options = FingerprintOptions {
                    expected_size,
                    ..FingerprintOptions::default()
                };
                let (got, exif) =
                    digest_stream(data.as_slice(), Path::new("IMG_0001.JPG"), &options)
                        .expect("in-memory read");
                assert_eq!(got, sums(&data), "the sums of every byte");
                let captured = exif.captured.expect("DateTimeOriginal is in the head");
                assert_eq!(
                    captured.local,
                    date(2024, 3, 10).at(1, 30, 5, 250_000_000),
                    "{body} body bytes, size known: {}",
                    expected_size.is_some()
                );
            }
        }
    }

    /// A reader over bytes that records the largest read request.
    struct Recording<'a> {
        inner: &'a [u8],
        largest: &'a Cell<usize>,
    }

    impl Read for Recording<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.largest.set(self.largest.get().max(buf.len()));
            self.inner.read(buf)
        }
    }

    #[test]
    fn a_small_file_is_read_through_a_buffer_of_its_own_size() {
        for (len, buffer) in [
            (256 * 1024, 256 * 1024),
            (1000, MIN_BUFFER),
            (3 * CHUNK_SIZE, CHUNK_SIZE),
        ] {
            let data = pseudo_random(len);
            let largest = Cell::new(0);
            let reader = Recording {
                inner: &data,
                largest: &largest,
            };
            let options = FingerprintOptions {
                expected_size: Some(u64::try_from(len).expect("small")),
                ..FingerprintOptions::default()
            };
            let (got, _) = digest_stream(reader, Path::new("x"), &options).expect("read");
            assert_eq!(got, sums(&data));
            assert_eq!(largest.get(), buffer, "a {len}-byte file");
        }
    }

    #[test]
    fn a_large_file_that_grows_while_summed_on_two_threads_has_changed() {
        let stream = vec![3_u8; usize::try_from(OVERLAP_FROM).expect("small") + CHUNK_SIZE];
        let options = FingerprintOptions {
            expected_size: Some(OVERLAP_FROM),
            ..FingerprintOptions::default()
        };
        let error = digest_stream(stream.as_slice(), Path::new("big.cr3"), &options)
            .expect_err("more bytes than settled");
        assert_eq!(error.code(), FailureCode::IngestChanged, "{error}");
    }

    #[test]
    fn known_vectors() {
        let cases: &[(&[u8], &str, u64)] = &[
            // The CRC-64/NVME catalogue check value for "123456789".
            (
                b"123456789",
                "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
                0xae8b_1486_0a79_9888,
            ),
            // AWS's own test vector (aws-c-s3 `crc64nvme_nist_test_case_1`: the
            // checksum bytes 0C 1A 80 03 6D 65 C5 55, i.e. big-endian).
            (
                b"aaaaaaaaaa",
                "bf2cb58a68f684d95a3b78ef8f661c9a4e5b09e82cc8f9cc88cce90528caeb27",
                0x0c1a_8003_6d65_c555,
            ),
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                0,
            ),
        ];
        for (data, sha, crc) in cases {
            let got = sums(data);
            assert_eq!(got.sha256.to_hex(), *sha, "sha256 of {data:?}");
            assert_eq!(
                got.crc64nvme_base64,
                BASE64.encode(crc.to_be_bytes()),
                "crc64nvme of {data:?} is base64 of the big-endian value"
            );
            assert_eq!(got.size, data.len() as u64);
        }
        assert_eq!(
            sums(b"123456789").crc64nvme_base64,
            "rosUhgp5mIg=",
            "the literal header value"
        );
        assert_eq!(sums(b"").crc64nvme_base64, "AAAAAAAAAAA=");
    }

    #[test]
    fn multi_mib_file_matches_one_shot_sums_and_reports_progress() {
        let data = pseudo_random(5 * CHUNK_SIZE + 12_345);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_temp(&dir, "big.dng", &data);
        let seen = RefCell::new(Vec::new());
        let progress = |n| seen.borrow_mut().push(n);
        let options = FingerprintOptions {
            expected_size: Some(data.len() as u64),
            progress: Some(&progress),
            ..FingerprintOptions::default()
        };
        let got = fingerprint_file(&path, &options).expect("a stable file fingerprints");
        let one_shot = sums(&data);
        assert_eq!(
            got.sha256.to_hex(),
            hex::encode(Sha256::digest(&data)),
            "sha256 equals one-shot"
        );
        assert_eq!(got.sha256, one_shot.sha256);
        let mut crc = crc64fast_nvme::Digest::new();
        crc.write(&data);
        assert_eq!(
            got.crc64nvme_base64,
            BASE64.encode(crc.sum64().to_be_bytes())
        );
        assert_eq!(got.size, data.len() as u64);
        let seen = seen.into_inner();
        assert!(seen.len() >= 6, "one report per chunk at least: {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "progress only grows: {seen:?}"
        );
        assert_eq!(
            seen.last(),
            Some(&(data.len() as u64)),
            "ends at the full size"
        );
    }

    #[test]
    fn reads_through_one_bounded_buffer() {
        let data = pseudo_random(3 * CHUNK_SIZE);
        let largest = Cell::new(0);
        let reader = Recording {
            inner: &data,
            largest: &largest,
        };
        let (got, _) = digest_stream(reader, Path::new("x"), &FingerprintOptions::default())
            .expect("in-memory read");
        assert_eq!(got, sums(&data));
        assert_eq!(
            largest.get(),
            CHUNK_SIZE,
            "never asks for more than one chunk"
        );
    }

    #[test]
    fn jpeg_with_exif_gives_capture_time_orientation_and_serial() {
        let data = jpeg(&camera_tiff(0), &pseudo_random(2 * CHUNK_SIZE));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_temp(&dir, "IMG_0001.JPG", &data);
        let got = fingerprint_file(&path, &FingerprintOptions::default()).expect("readable");
        let captured = got.exif.captured.expect("DateTimeOriginal is set");
        assert_eq!(captured.local, date(2024, 3, 10).at(1, 30, 5, 250_000_000));
        assert_eq!(
            captured.offset,
            Some(Offset::constant(1)),
            "OffsetTimeOriginal +01:00"
        );
        assert_eq!(
            captured,
            CaptureTime {
                local: date(2024, 3, 10).at(1, 30, 5, 250_000_000),
                offset: Some(Offset::constant(1))
            }
        );
        assert_eq!(got.exif.orientation, Some(6), "rotated 90° clockwise");
        assert_eq!(
            got.exif.camera_serial.as_deref(),
            Some("052021004321"),
            "trimmed"
        );
        assert_eq!(
            got.sha256,
            sums(&data).sha256,
            "EXIF does not change the hash"
        );
    }

    #[test]
    fn a_file_without_exif_has_empty_facts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_temp(&dir, "notes.txt", b"not a photo at all");
        let got = fingerprint_file(&path, &FingerprintOptions::default()).expect("readable");
        assert_eq!(got.exif, ExifFacts::default());
    }

    #[test]
    fn size_mismatch_is_a_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = pseudo_random(CHUNK_SIZE + 10);
        let path = write_temp(&dir, "IMG_2.CR3", &data);
        let len = data.len() as u64;
        // (expected size, bytes read when reported)
        let cases: &[(u64, u64)] = &[
            (len + 100, len),         // shorter than when it settled
            (10, MIN_BUFFER as u64),  // grew: stops after the first read (its own-size buffer)
            (CHUNK_SIZE as u64, len), // grew by a few bytes in the last chunk
        ];
        for (expected, actual) in cases {
            let options = FingerprintOptions {
                expected_size: Some(*expected),
                ..FingerprintOptions::default()
            };
            match fingerprint_file(&path, &options) {
                Err(err @ FingerprintError::Changed { .. }) => {
                    assert_eq!(err.code(), FailureCode::IngestChanged);
                    assert!(err.is_temporary(), "a changed file is read again later");
                    let FingerprintError::Changed {
                        expected: e,
                        actual: a,
                        ..
                    } = err
                    else {
                        unreachable!("matched above")
                    };
                    assert_eq!((e, a), (*expected, *actual), "expected {expected}");
                }
                other => panic!("expected a change for size {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn cancellation_is_checked_between_chunks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_temp(&dir, "IMG_3.NEF", &pseudo_random(3 * CHUNK_SIZE));
        let chunks = Cell::new(0u32);
        let progress = |_| chunks.set(chunks.get() + 1);
        let cancelled = || chunks.get() >= 1;
        let options = FingerprintOptions {
            progress: Some(&progress),
            cancelled: Some(&cancelled),
            ..FingerprintOptions::default()
        };
        let err = fingerprint_file(&path, &options).expect_err("cancelled after one chunk");
        assert_eq!(err.code(), FailureCode::IngestCancelled, "{err}");
        assert_eq!(chunks.get(), 1, "stopped before the second chunk");
    }

    #[test]
    fn errors_are_classified_with_stable_codes() {
        let path = Path::new("/photos/IMG_1.jpg");
        let cases: &[(io::ErrorKind, FailureCode, &str)] = &[
            (
                io::ErrorKind::NotFound,
                FailureCode::IngestVanished,
                "disappeared",
            ),
            (
                io::ErrorKind::PermissionDenied,
                FailureCode::IngestPermissionDenied,
                "Give Lightbox read access to /photos/IMG_1.jpg",
            ),
            (
                io::ErrorKind::UnexpectedEof,
                FailureCode::IngestReadFailed,
                "check the disk or network share",
            ),
        ];
        for (kind, code, says) in cases {
            let err = FingerprintError::from_io(path, io::Error::from(*kind));
            assert_eq!(err.code(), *code, "{kind:?}");
            assert!(err.to_string().contains(says), "{kind:?}: {err}");
        }
        let missing = fingerprint_file(
            Path::new("/nonexistent/x.jpg"),
            &FingerprintOptions::default(),
        )
        .expect_err("a missing file cannot be read");
        assert_eq!(missing.code(), FailureCode::IngestVanished);
        assert!(
            !missing.is_temporary(),
            "retrying a vanished file does not help"
        );
    }
}
