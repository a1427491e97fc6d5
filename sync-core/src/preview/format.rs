//! Which kind of image a file is, from its first bytes (never from its name).

/// The kinds of file previews are made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    /// A TIFF-structured RAW (DNG, CR2, NEF, ARW, ORF, RW2) or a plain TIFF.
    TiffRaw,
    /// Canon CR3 (ISO-BMFF, brand `crx `).
    Cr3,
    /// Fujifilm RAF.
    Raf,
    /// HEIC/HEIF (ISO-BMFF, brands `heic`, `heix`, `mif1`, ...).
    Heic,
    Unknown,
}

impl SourceFormat {
    /// Sniff the format from the file's first bytes.
    #[must_use]
    pub fn sniff(head: &[u8]) -> Self {
        match head {
            [0xFF, 0xD8, 0xFF, ..] => Self::Jpeg,
            [0x89, b'P', b'N', b'G', ..] => Self::Png,
            [b'I', b'I', b'*' | b'U', 0, ..]
            | [b'I', b'I', b'R', b'O' | b'S', ..]
            | [b'M', b'M', 0, b'*', ..]
            | [b'M', b'M', b'O', b'R', ..] => Self::TiffRaw,
            _ if head.starts_with(b"FUJIFILMCCD-RAW") => Self::Raf,
            _ if head.get(4..8) == Some(b"ftyp") => match head.get(8..12) {
                Some(b"crx ") => Self::Cr3,
                Some(b"heic" | b"heix" | b"hevc" | b"heim" | b"heis" | b"mif1" | b"msf1") => {
                    Self::Heic
                }
                _ => Self::Unknown,
            },
            _ => Self::Unknown,
        }
    }

    /// A short name for messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::TiffRaw => "RAW (TIFF)",
            Self::Cr3 => "CR3",
            Self::Raf => "RAF",
            Self::Heic => "HEIC",
            Self::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_their_magic_bytes() {
        let cases: [(&[u8], SourceFormat, &str); 9] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0], SourceFormat::Jpeg, "JPEG SOI"),
            (b"\x89PNG\r\n\x1a\n", SourceFormat::Png, "PNG signature"),
            (
                b"II*\0\x08\0\0\0",
                SourceFormat::TiffRaw,
                "little-endian TIFF (DNG, NEF)",
            ),
            (b"MM\0*\0\0\0\x08", SourceFormat::TiffRaw, "big-endian TIFF"),
            (b"IIRO\x08\0\0\0", SourceFormat::TiffRaw, "Olympus ORF"),
            (
                b"\0\0\0\x18ftypcrx \0\0\0\x01",
                SourceFormat::Cr3,
                "Canon CR3 brand",
            ),
            (
                b"\0\0\0\x18ftypheic\0\0\0\0",
                SourceFormat::Heic,
                "HEIC brand",
            ),
            (b"FUJIFILMCCD-RAW 0201", SourceFormat::Raf, "RAF header"),
            (b"hello world", SourceFormat::Unknown, "text is no image"),
        ];
        for (head, want, why) in cases {
            assert_eq!(SourceFormat::sniff(head), want, "{why}");
        }
    }
}
