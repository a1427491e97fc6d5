//! One part of a multipart upload that S3 has accepted: what the journal keeps and what
//! completing the upload needs.

/// One part S3 has accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// 1..=10000.
    pub part_number: u16,
    /// The ETag S3 returned for the part, needed to complete the upload.
    pub etag: String,
    /// The checksum sent with the part.
    pub checksum: String,
    /// Bytes in the part.
    pub size: u64,
}
