//! Reading a source file for its previews, without reading what cannot have one.
//!
//! The preview code works on bytes in memory, so the whole file is read, but only
//! once its first bytes say it is a format we preview, and only up to
//! [`MAX_SOURCE_BYTES`]. A 2 GiB video or a file of unknown bytes costs one small read,
//! not its size in memory (glibc keeps large freed buffers per thread arena, so whole
//! reads of big non-images showed up as hundreds of MiB of RSS in `lightbox push`).

use std::io::Read as _;
use std::path::Path;

use super::PreviewError;
use super::format::SourceFormat;

/// Enough for every format's signature and an EXIF header.
const HEAD_BYTES: usize = 64 * 1024;

/// The largest source read for a preview. Camera RAW files stay well below (a 100 MP
/// RAW is ~200 MB); larger files are videos, scans or archives.
pub const MAX_SOURCE_BYTES: u64 = 320 * 1024 * 1024;

/// The file's bytes, when its format is one we make previews of.
///
/// # Errors
/// [`PreviewError::Unsupported`] for formats without previews (nothing past the first
/// 64 KiB is read), [`PreviewError::FileTooLarge`] past [`MAX_SOURCE_BYTES`],
/// [`PreviewError::Read`] when the file cannot be read.
pub fn read_source(path: &Path) -> Result<Vec<u8>, PreviewError> {
    let read_error = |source| PreviewError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut file)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    let format = SourceFormat::sniff(&head);
    if matches!(format, SourceFormat::Unknown | SourceFormat::Heic) {
        return Err(PreviewError::Unsupported {
            format: format.name(),
        });
    }
    if size > MAX_SOURCE_BYTES {
        return Err(PreviewError::FileTooLarge { bytes: size });
    }
    let mut bytes = head;
    bytes.reserve_exact(
        usize::try_from(size)
            .unwrap_or(0)
            .saturating_sub(bytes.len()),
    );
    file.read_to_end(&mut bytes).map_err(read_error)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FailureCode;

    #[test]
    fn unknown_bytes_are_refused_from_their_head_and_images_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let video = dir.path().join("clip.CR3");
        std::fs::write(&video, vec![0x42_u8; 200_000]).expect("write");
        let err = read_source(&video).expect_err("unknown bytes have no preview");
        assert_eq!(err.code(), FailureCode::PreviewUnsupported);

        let jpeg = dir.path().join("a.jpg");
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.resize(150_000, 7);
        std::fs::write(&jpeg, &bytes).expect("write");
        assert_eq!(
            read_source(&jpeg).expect("a JPEG is read"),
            bytes,
            "all of it, unchanged"
        );

        let err = read_source(&dir.path().join("gone.jpg")).expect_err("missing");
        assert_eq!(err.code(), FailureCode::PreviewReadFailed);
    }
}
