//! The checksums sent with uploads: the whole file's CRC64/NVME (from the fingerprint) and
//! each part's (computed here, just before the part is sent).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::UploadError;
use crate::ingest::{ContentSums, Fingerprint};

/// What the uploaded object must be: the size and CRC64/NVME the fingerprint read. Sent with
/// `PutObject` and `CompleteMultipartUpload`, so the server refuses anything else, and compared
/// with [`super::ObjectFacts`] after a `HeadObject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedContent {
    pub size: u64,
    /// Base64 of the 8 big-endian bytes, as in `x-amz-checksum-crc64nvme`.
    pub crc64nvme_base64: String,
}

impl From<&Fingerprint> for ExpectedContent {
    fn from(fingerprint: &Fingerprint) -> Self {
        Self {
            size: fingerprint.size,
            crc64nvme_base64: fingerprint.crc64nvme_base64.clone(),
        }
    }
}

impl From<&ContentSums> for ExpectedContent {
    fn from(sums: &ContentSums) -> Self {
        Self {
            size: sums.size,
            crc64nvme_base64: sums.crc64nvme_base64.clone(),
        }
    }
}

/// Bytes read per step of [`part_crc64nvme`]: the only buffer it holds.
const READ_BUFFER: usize = 1024 * 1024;

/// The CRC64/NVME (base64) of `len` bytes of `path` from `offset`, read in 1 MiB steps on a
/// blocking thread.
///
/// # Errors
/// [`UploadError::FileVanished`], [`UploadError::FileChanged`] when the file ends before
/// `offset + len`, [`UploadError::ReadFile`] for other I/O failures.
pub async fn part_crc64nvme(path: &Path, offset: u64, len: u64) -> Result<String, UploadError> {
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || crc64nvme_of_range(&owned, offset, len))
        .await
        .map_err(|join| UploadError::ReadFile {
            path: path.to_path_buf(),
            source: io::Error::other(join),
        })?
}

fn crc64nvme_of_range(path: &Path, offset: u64, len: u64) -> Result<String, UploadError> {
    let io_error = |source: io::Error| UploadError::from_io(path, source);
    let mut file = File::open(path).map_err(io_error)?;
    file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
    let mut range = file.take(len);
    let mut digest = crc64fast_nvme::Digest::new();
    let mut buffer = vec![0_u8; READ_BUFFER];
    let mut read = 0_u64;
    loop {
        let n = match range.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        };
        digest.write(&buffer[..n]);
        read += u64::try_from(n).unwrap_or(u64::MAX);
    }
    if read != len {
        return Err(UploadError::FileChanged {
            path: PathBuf::from(path),
            needed: offset.saturating_add(len),
            found: offset.saturating_add(read),
        });
    }
    Ok(BASE64.encode(digest.sum64().to_be_bytes()))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::ingest::ContentDigest;
    use lightbox_types::FailureCode;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(bytes).expect("write");
        file
    }

    #[tokio::test]
    async fn a_range_checksum_equals_the_fingerprint_digest_of_those_bytes() {
        let bytes: Vec<u8> = (0..3_000_000_u32)
            .map(|i| u8::try_from(i % 251).expect("below 251"))
            .collect();
        let file = file_with(&bytes);
        let (offset, len) = (1_048_570_usize, 1_500_000_usize);
        let mut digest = ContentDigest::new();
        digest.update(&bytes[offset..offset + len]);
        let expected = digest.finish().crc64nvme_base64;

        let crc = part_crc64nvme(file.path(), offset as u64, len as u64)
            .await
            .expect("the range is inside the file");

        assert_eq!(
            crc, expected,
            "the part checksum is the same CRC64/NVME the fingerprint computes, across buffer edges"
        );
    }

    #[tokio::test]
    async fn a_file_shorter_than_the_part_has_changed() {
        let file = file_with(&[1; 100]);
        let error = part_crc64nvme(file.path(), 50, 100)
            .await
            .expect_err("only 50 bytes from offset 50");
        assert_eq!(
            error.code(),
            FailureCode::UploadFileChanged,
            "a truncated file is re-fingerprinted, not uploaded: {error}"
        );
    }

    #[tokio::test]
    async fn a_missing_file_has_vanished() {
        let dir = tempfile::tempdir().expect("tempdir");
        let error = part_crc64nvme(&dir.path().join("gone.cr3"), 0, 1)
            .await
            .expect_err("no such file");
        assert_eq!(error.code(), FailureCode::UploadFileVanished, "{error}");
    }
}
