//! Why no preview was made. The original is uploaded regardless: a preview is a convenience.

use lightbox_types::FailureCode;

/// A preview could not be made. Each variant has a stable [`PreviewError::code`].
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The format has no preview we can make (HEIC with an HEVC-coded thumbnail, video, ...).
    #[error(
        "no preview for {format} files: the original is uploaded and can be downloaded; \
         open it in an editor that reads {format}"
    )]
    Unsupported { format: &'static str },
    /// A RAW file without an embedded JPEG preview we can find.
    #[error(
        "this {format} file has no embedded JPEG preview: the original is uploaded; export a \
         JPEG from the raw converter to see it in the gallery"
    )]
    NoEmbeddedPreview { format: &'static str },
    /// The image data is damaged or truncated.
    #[error(
        "preview failed: the {format} data is damaged ({detail}); the original is uploaded as \
         it is, check it on the camera card"
    )]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    /// The image is larger than previews are made for.
    #[error(
        "preview failed: the image is {width}×{height} pixels, more than previews are made \
         for; the original is uploaded"
    )]
    TooLarge { width: u32, height: u32 },
    /// The source file is larger than previews are read for.
    #[error(
        "no preview: the file is {bytes} bytes, more than previews are made from; the \
         original is uploaded"
    )]
    FileTooLarge { bytes: u64 },
    /// The local file could not be read.
    #[error("cannot read {path} to make its preview ({source}); it is retried at the next start")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl PreviewError {
    /// A stable short code for the catalog, logs and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Unsupported { .. } => FailureCode::PreviewUnsupported,
            Self::NoEmbeddedPreview { .. } => FailureCode::PreviewNoEmbedded,
            Self::Corrupt { .. } => FailureCode::PreviewFailed,
            Self::TooLarge { .. } | Self::FileTooLarge { .. } => FailureCode::PreviewTooLarge,
            Self::Read { .. } => FailureCode::PreviewReadFailed,
        }
    }

    pub(crate) fn corrupt(format: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            format,
            detail: detail.to_string(),
        }
    }
}
