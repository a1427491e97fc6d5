//! The user metadata Lightbox writes on every original (`x-amz-meta-*`), and reads back.
//!
//! Header values must be ASCII, so values are **percent-encoded UTF-8**: every byte outside
//! printable ASCII (`0x21..=0x7E`), plus the space and `%` itself, becomes `%XX`. So
//! `Müller 01.CR3` is stored as `M%C3%BCller%2001.CR3`, and decoding gives the name back exactly.
//! We never send RFC 2047 (`=?UTF-8?B?...?=`): that is what AWS itself *returns* for non-ASCII
//! metadata written by other tools, and [`decode_value`] leaves such values as they are.
//! Escaping the space keeps header-value whitespace trimming from changing a name.

use std::collections::HashMap;

use lightbox_types::Sha256Digest;

/// Metadata keys, without the `x-amz-meta-` prefix (S3 lower-cases them anyway).
pub mod keys {
    pub const SHA256: &str = "sha256";
    pub const ORIGINAL_NAME: &str = "original-name";
    pub const CAPTURE_TIME: &str = "capture-time";
    pub const SOURCE_HOST: &str = "source-host";
    pub const UPLOADER: &str = "uploader";
}

/// The types `mime_guess` lacks for extensions Lightbox uploads, or gets wrong for a camera
/// (docs/index.md, "Content-Type of originals", says where each comes from).
const CONTENT_TYPE_OVERRIDES: &[(&str, &str)] = &[
    // mime_guess: a subtitle format.
    ("srf", "image/x-sony-srf"),
    ("srw", "image/x-samsung-srw"),
    ("iiq", "image/x-phaseone-iiq"),
    ("3fr", "image/x-hasselblad-3fr"),
    // AVCHD clips are MPEG-2 transport streams (mime_guess: a CAD format, a DLNA name).
    ("mts", "video/mp2t"),
    ("m2ts", "video/mp2t"),
];

/// The `Content-Type` an original is stored with, from its key's extension in any case
/// (`image/jpeg`, `image/x-canon-cr2`, `image/x-nikon-nef`, `image/heic`, ...);
/// `application/octet-stream` when the extension names no known type. Browsers and the seeds'
/// validation read it. Magic bytes would not do: most RAW formats are TIFF containers.
#[must_use]
pub fn content_type_for(key: &str) -> &'static str {
    let Some(ext) = std::path::Path::new(key)
        .extension()
        .and_then(|ext| ext.to_str())
    else {
        return "application/octet-stream";
    };
    CONTENT_TYPE_OVERRIDES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(ext))
        .map(|(_, content_type)| *content_type)
        .or_else(|| mime_guess::from_ext(ext).first_raw())
        .unwrap_or("application/octet-stream")
}

/// What Lightbox records about an original, besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The content's SHA-256 (lowercase hex in the metadata).
    pub sha256: Sha256Digest,
    /// The file name as it was on the camera card or in the import folder.
    pub original_name: String,
    /// When the photo was taken, as `ingest::CaptureTime` displays it (ISO 8601 local time,
    /// with the camera's offset when it recorded one).
    pub capture_time: Option<String>,
    /// The machine the file was uploaded from.
    pub source_host: String,
    /// Who uploaded it: the Cognito `sub`, or the daemon's IAM identity.
    pub uploader: String,
}

impl ObjectMeta {
    /// The `x-amz-meta-*` pairs (keys without the prefix), values encoded ASCII-safe.
    #[must_use]
    pub fn to_user_metadata(&self) -> HashMap<String, String> {
        let mut metadata = HashMap::from([
            (keys::SHA256.to_owned(), self.sha256.to_hex()),
            (
                keys::ORIGINAL_NAME.to_owned(),
                encode_value(&self.original_name),
            ),
            (
                keys::SOURCE_HOST.to_owned(),
                encode_value(&self.source_host),
            ),
            (keys::UPLOADER.to_owned(), encode_value(&self.uploader)),
        ]);
        if let Some(capture_time) = &self.capture_time {
            metadata.insert(keys::CAPTURE_TIME.to_owned(), encode_value(capture_time));
        }
        metadata
    }

    /// Read back what [`Self::to_user_metadata`] wrote. `None` when the object has no valid
    /// `sha256` (it was not uploaded by Lightbox); other missing values read as empty.
    #[must_use]
    pub fn from_user_metadata(metadata: &HashMap<String, String>) -> Option<Self> {
        let get = |key: &str| metadata.get(key).map(|value| decode_value(value));
        Some(Self {
            sha256: metadata.get(keys::SHA256)?.parse().ok()?,
            original_name: get(keys::ORIGINAL_NAME).unwrap_or_default(),
            capture_time: get(keys::CAPTURE_TIME),
            source_host: get(keys::SOURCE_HOST).unwrap_or_default(),
            uploader: get(keys::UPLOADER).unwrap_or_default(),
        })
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

fn is_kept(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte) && byte != b'%'
}

/// Percent-encode `value` so it is a safe HTTP header value (see the module docs).
#[must_use]
pub fn encode_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if is_kept(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX_DIGITS[usize::from(byte & 0x0F)]));
        }
    }
    encoded
}

/// Undo [`encode_value`]. A value that is not valid percent-encoded UTF-8 (written by another
/// tool, or RFC 2047 from AWS) is returned unchanged.
#[must_use]
pub fn decode_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
                let text = std::str::from_utf8(pair).ok()?;
                u8::from_str_radix(text, 16).ok()
            });
            match hex {
                Some(byte) => {
                    decoded.push(byte);
                    i += 3;
                }
                None => return value.to_owned(),
            }
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).unwrap_or_else(|_| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn originals_get_their_image_type_from_the_extension_in_any_case() {
        let cases = [
            ("originals/2026/12/07/DSC_0001.JPG", "image/jpeg"),
            ("originals/2026/12/07/a.jpeg", "image/jpeg"),
            ("originals/2026/12/07/IMG_1.CR2", "image/x-canon-cr2"),
            ("originals/2026/12/07/IMG_1.cr3", "image/x-canon-cr3"),
            ("originals/2026/12/07/DSC_1.NEF", "image/x-nikon-nef"),
            ("originals/2026/12/07/DSC_1.ARW", "image/x-sony-arw"),
            ("originals/2026/12/07/L1.DNG", "image/x-adobe-dng"),
            ("originals/2026/12/07/IMG_1.HEIC", "image/heic"),
            ("originals/2026/12/07/scan.tif", "image/tiff"),
            ("originals/2026/12/07/x.png", "image/png"),
            (
                "originals/2026/12/07/unnamed_feedface",
                "application/octet-stream",
            ),
            ("originals/2026/12/07/odd.zzzq", "application/octet-stream"),
        ];
        for (key, want) in cases {
            assert_eq!(content_type_for(key), want, "{key}");
        }
    }

    /// docs/index.md's table, row by row, and a type for every extension ingest accepts.
    #[test]
    fn every_accepted_extension_has_the_documented_type() {
        use crate::ingest::filter::{IMAGE_EXTENSIONS, RAW_EXTENSIONS, VIDEO_EXTENSIONS};
        let documented = [
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("png", "image/png"),
            ("tif", "image/tiff"),
            ("tiff", "image/tiff"),
            ("heic", "image/heic"),
            ("heif", "image/heif"),
            ("webp", "image/webp"),
            ("avif", "image/avif"),
            ("cr2", "image/x-canon-cr2"),
            ("cr3", "image/x-canon-cr3"),
            ("nef", "image/x-nikon-nef"),
            ("nrw", "image/x-nikon-nrw"),
            ("arw", "image/x-sony-arw"),
            ("srf", "image/x-sony-srf"),
            ("sr2", "image/x-sony-sr2"),
            ("dng", "image/x-adobe-dng"),
            ("raf", "image/x-fuji-raf"),
            ("orf", "image/x-olympus-orf"),
            ("rw2", "image/x-panasonic-rw2"),
            ("pef", "image/x-pentax-pef"),
            ("x3f", "image/x-sigma-x3f"),
            ("srw", "image/x-samsung-srw"),
            ("iiq", "image/x-phaseone-iiq"),
            ("3fr", "image/x-hasselblad-3fr"),
            ("mp4", "video/mp4"),
            ("mov", "video/quicktime"),
            ("avi", "video/x-msvideo"),
            ("mts", "video/mp2t"),
            ("m2ts", "video/mp2t"),
        ];
        for (ext, want) in documented {
            assert_eq!(content_type_for(&format!("a.{ext}")), want, "{ext}");
        }
        for ext in IMAGE_EXTENSIONS
            .iter()
            .chain(RAW_EXTENSIONS)
            .chain(VIDEO_EXTENSIONS)
        {
            assert!(
                documented.iter().any(|(known, _)| known == ext),
                "{ext} is accepted by ingest: add its type to the table (and docs/index.md)"
            );
        }
    }

    #[test]
    fn values_are_ascii_safe_and_decode_back_exactly() {
        let cases = [
            ("IMG_0001.CR3", "IMG_0001.CR3", "plain names stay readable"),
            (
                "Müller 01.CR3",
                "M%C3%BCller%2001.CR3",
                "UTF-8 bytes and the space are escaped",
            ),
            (
                "100%.jpg",
                "100%25.jpg",
                "a literal % is escaped, so decoding is unambiguous",
            ),
            (
                "tab\there",
                "tab%09here",
                "control characters never reach a header",
            ),
            (" lead", "%20lead", "a leading space cannot be trimmed away"),
            ("日本.jpg", "%E6%97%A5%E6%9C%AC.jpg", "any script"),
            ("", "", "empty stays empty"),
        ];
        for (value, encoded, why) in cases {
            assert_eq!(encode_value(value), encoded, "{value:?}: {why}");
            assert!(
                encode_value(value)
                    .bytes()
                    .all(|b| (0x21..=0x7E).contains(&b)),
                "{value:?}: only printable ASCII goes into a header"
            );
            assert_eq!(decode_value(encoded), value, "{value:?}: round trip");
        }
    }

    #[test]
    fn foreign_values_are_read_as_they_are() {
        let cases = [
            (
                "=?UTF-8?B?TcO8bGxlcg==?=",
                "RFC 2047 from AWS is not ours to decode",
            ),
            ("50%", "a truncated escape"),
            ("%zz", "not hex"),
            ("%FF", "not UTF-8 once decoded"),
        ];
        for (value, why) in cases {
            assert_eq!(decode_value(value), value, "{why}");
        }
    }

    #[test]
    fn object_meta_round_trips_through_user_metadata() {
        let meta = ObjectMeta {
            sha256: Sha256Digest::from([7; 32]),
            original_name: "Café 1.NEF".to_owned(),
            capture_time: Some("2024-03-09T10:00:00+02:00".to_owned()),
            source_host: "studio-mac".to_owned(),
            uploader: "0b7c1a9e-sub".to_owned(),
        };
        let metadata = meta.to_user_metadata();
        assert_eq!(
            metadata.get("sha256").map(String::as_str),
            Some("07".repeat(32).as_str()),
            "the sha256 is plain lowercase hex, for other tools"
        );
        assert_eq!(
            ObjectMeta::from_user_metadata(&metadata),
            Some(meta),
            "everything written is read back"
        );
    }

    #[test]
    fn objects_without_a_sha256_are_not_lightbox_objects() {
        let metadata = HashMap::from([("original-name".to_owned(), "a.jpg".to_owned())]);
        assert_eq!(ObjectMeta::from_user_metadata(&metadata), None);
        let metadata = HashMap::from([("sha256".to_owned(), "not hex".to_owned())]);
        assert_eq!(
            ObjectMeta::from_user_metadata(&metadata),
            None,
            "a sha256 that does not parse proves nothing"
        );
    }
}
