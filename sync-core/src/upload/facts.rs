//! What `HeadObject` says about an object, and whether that is the file we fingerprinted.

use std::collections::HashMap;

use aws_sdk_s3::types::ChecksumType;

use super::{ExpectedContent, ObjectMeta};

/// An object as `HeadObject` (with checksum mode on) describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectFacts {
    pub size: u64,
    pub etag: Option<String>,
    /// `x-amz-checksum-crc64nvme`: base64, for the whole object when `checksum_type` is
    /// `FULL_OBJECT` (every object Lightbox writes).
    pub crc64nvme_base64: Option<String>,
    pub checksum_type: Option<ChecksumType>,
    /// Lightbox's metadata, when the object has a valid `sha256` (it was uploaded by Lightbox).
    pub meta: Option<ObjectMeta>,
    /// All user metadata as the server returned it (keys without `x-amz-meta-`).
    pub user_metadata: HashMap<String, String>,
}

/// Whether an object is the content we expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentMatch {
    /// Same size and the same whole-object CRC64/NVME, which the server computed itself.
    Verified,
    /// The object is something else.
    Different { reason: String },
    /// The size matches but the object has no whole-object CRC64/NVME to compare (uploaded by
    /// another tool, or as a composite multipart upload). Its `sha256` metadata, if any, is
    /// what the uploader claimed, not what the server checked.
    NoChecksum,
}

impl ObjectFacts {
    /// Compare this object with the content a file was fingerprinted with.
    #[must_use]
    pub fn compare(&self, expected: &ExpectedContent) -> ContentMatch {
        if self.size != expected.size {
            return ContentMatch::Different {
                reason: format!(
                    "the object has {} bytes, the file {} bytes",
                    self.size, expected.size
                ),
            };
        }
        let full_object = matches!(self.checksum_type, None | Some(ChecksumType::FullObject));
        match &self.crc64nvme_base64 {
            Some(crc) if full_object && *crc == expected.crc64nvme_base64 => ContentMatch::Verified,
            Some(crc) if full_object => ContentMatch::Different {
                reason: format!(
                    "the object's CRC64/NVME is {crc}, the file's {}",
                    expected.crc64nvme_base64
                ),
            },
            _ => ContentMatch::NoChecksum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(size: u64, crc: Option<&str>, checksum_type: Option<ChecksumType>) -> ObjectFacts {
        ObjectFacts {
            size,
            etag: None,
            crc64nvme_base64: crc.map(str::to_owned),
            checksum_type,
            meta: None,
            user_metadata: HashMap::new(),
        }
    }

    #[test]
    fn compare_trusts_only_a_full_object_checksum_of_the_right_size() {
        let expected = ExpectedContent {
            size: 10,
            crc64nvme_base64: "AAAAAAAAAAE=".to_owned(),
        };
        let full = Some(ChecksumType::FullObject);
        let cases = [
            (
                facts(10, Some("AAAAAAAAAAE="), full.clone()),
                "verified",
                "same size, same CRC",
            ),
            (
                facts(10, Some("AAAAAAAAAAE="), None),
                "verified",
                "a PutObject may omit the type",
            ),
            (
                facts(11, Some("AAAAAAAAAAE="), full.clone()),
                "different",
                "size differs",
            ),
            (
                facts(10, Some("AAAAAAAAAAI="), full),
                "different",
                "CRC differs",
            ),
            (
                facts(10, None, None),
                "no checksum",
                "uploaded without a CRC64/NVME",
            ),
            (
                facts(10, Some("AAAAAAAAAAE=-2"), Some(ChecksumType::Composite)),
                "no checksum",
                "a composite checksum is a checksum of part checksums",
            ),
        ];
        for (object, verdict, why) in cases {
            let got = match object.compare(&expected) {
                ContentMatch::Verified => "verified",
                ContentMatch::Different { .. } => "different",
                ContentMatch::NoChecksum => "no checksum",
            };
            assert_eq!(got, verdict, "{why}");
        }
    }
}
