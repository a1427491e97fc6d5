//! One part of a multipart upload that S3 has accepted: what the journal keeps and what
//! completing the upload needs.

use std::ops::RangeInclusive;

/// S3's part numbers: 1 to 10,000 (so also its most parts per upload).
pub const PART_NUMBERS: RangeInclusive<u16> = 1..=10_000;

/// Whether S3 accepts `part_number` as a part number.
#[must_use]
pub fn is_part_number(part_number: u16) -> bool {
    PART_NUMBERS.contains(&part_number)
}

/// One part S3 has accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// In [`PART_NUMBERS`].
    pub part_number: u16,
    /// The ETag S3 returned for the part, needed to complete the upload.
    pub etag: String,
    /// The checksum sent with the part.
    pub checksum: String,
    /// Bytes in the part.
    pub size: u64,
}
