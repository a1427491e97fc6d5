//! How a file of a given size goes up: one `PutObject`, or a multipart upload with parts of
//! which size. Pure, so the catalog can store the part size when the upload starts and a
//! resumed upload cuts the file the same way.

use super::UploadError;

const MIB: u64 = 1024 * 1024;

/// Files of at least this size go up as multipart uploads: a failure then costs one part, not
/// the whole file, and parts can resume after a restart.
pub const MULTIPART_THRESHOLD: u64 = 32 * MIB;
/// The smallest part we make (S3 allows 5 MiB; larger parts mean fewer requests).
pub const MIN_PART_SIZE: u64 = 8 * MIB;
/// The part size for any file that fits in [`MAX_PARTS`] of it (up to 160 GiB).
pub const DEFAULT_PART_SIZE: u64 = 16 * MIB;
/// S3's largest part.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// S3's most parts per upload.
pub const MAX_PARTS: u64 = *lightbox_types::PART_NUMBERS.end() as u64;
/// S3's largest object reachable with parts of at most [`MAX_PART_SIZE`]: 5 TiB.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;
/// S3's largest single `PutObject`.
pub const MAX_PUT_SIZE: u64 = 5 * 1024 * MIB;

/// How a file goes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferShape {
    /// One `PutObject` (`UploadMethod::SinglePut` in the catalog).
    SinglePut,
    /// A multipart upload of `part_count` parts of `part_size` bytes, the last one shorter or
    /// equal.
    Multipart { part_size: u64, part_count: u16 },
}

/// One part of a multipart upload: where it starts in the file and how long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRange {
    /// 1-based, as S3 numbers parts.
    pub part_number: u16,
    pub offset: u64,
    pub len: u64,
}

/// The part size for a file of `file_size` bytes: [`DEFAULT_PART_SIZE`], or, for a file too
/// large for 10,000 such parts, the smallest whole number of MiB that fits it in 10,000 parts.
/// Never below [`MIN_PART_SIZE`], never above [`MAX_PART_SIZE`] (files over
/// [`MAX_OBJECT_SIZE`] get that and are refused by [`transfer_shape`]).
#[must_use]
pub fn part_size_for(file_size: u64) -> u64 {
    let needed = file_size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    needed.clamp(DEFAULT_PART_SIZE.max(MIN_PART_SIZE), MAX_PART_SIZE)
}

/// How a file of `file_size` bytes goes up: a single put below [`MULTIPART_THRESHOLD`],
/// otherwise multipart with [`part_size_for`].
///
/// # Errors
/// [`UploadError::TooLarge`] over [`MAX_OBJECT_SIZE`].
pub fn transfer_shape(file_size: u64) -> Result<TransferShape, UploadError> {
    if file_size > MAX_OBJECT_SIZE {
        return Err(UploadError::TooLarge {
            size: file_size,
            max: MAX_OBJECT_SIZE,
        });
    }
    if file_size < MULTIPART_THRESHOLD {
        return Ok(TransferShape::SinglePut);
    }
    let part_size = part_size_for(file_size);
    let part_count =
        u16::try_from(file_size.div_ceil(part_size)).map_err(|_| UploadError::TooLarge {
            size: file_size,
            max: MAX_OBJECT_SIZE,
        })?;
    Ok(TransferShape::Multipart {
        part_size,
        part_count,
    })
}

/// The parts of a `file_size`-byte file cut into `part_size`-byte parts, in order. Empty for
/// an empty file or a zero part size; stops at part 10,000.
pub fn part_ranges(file_size: u64, part_size: u64) -> impl Iterator<Item = PartRange> {
    let count = if part_size == 0 {
        0
    } else {
        file_size.div_ceil(part_size).min(MAX_PARTS)
    };
    (1..=count).map(move |number| {
        let offset = (number - 1) * part_size;
        PartRange {
            // `count` ≤ 10,000, so the part number fits.
            part_number: u16::try_from(number).unwrap_or(u16::MAX),
            offset,
            len: part_size.min(file_size - offset),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FailureCode;

    const GIB: u64 = 1024 * MIB;

    #[test]
    fn part_size_is_the_default_until_ten_thousand_parts_do_not_suffice() {
        let cases = [
            (0, 16 * MIB, "an empty file still has a valid size"),
            (MULTIPART_THRESHOLD, 16 * MIB, "the smallest multipart file"),
            (40 * MIB, 16 * MIB, "a RAW file"),
            (4 * GIB, 16 * MIB, "a long video"),
            (10_000 * 16 * MIB, 16 * MIB, "exactly 10,000 default parts"),
            (
                10_000 * 16 * MIB + 1,
                17 * MIB,
                "one byte more needs the next whole MiB",
            ),
            (
                500 * GIB,
                52 * MIB,
                "500 GiB / 10,000 = 51.2 MiB, rounded up to a whole MiB",
            ),
            (MAX_OBJECT_SIZE, 525 * MIB, "5 TiB / 10,000 = 524.3 MiB"),
            (
                u64::MAX,
                MAX_PART_SIZE,
                "absurd sizes are clamped, and refused elsewhere",
            ),
        ];
        for (file_size, expected, why) in cases {
            let part_size = part_size_for(file_size);
            assert_eq!(part_size, expected, "{file_size} bytes: {why}");
            assert_eq!(part_size % MIB, 0, "{file_size} bytes: parts are whole MiB");
            assert!(
                part_size >= MIN_PART_SIZE,
                "{file_size} bytes: at least 8 MiB"
            );
            if file_size <= MAX_OBJECT_SIZE {
                assert!(
                    file_size.div_ceil(part_size) <= MAX_PARTS,
                    "{file_size} bytes: S3 allows at most 10,000 parts"
                );
            }
        }
    }

    #[test]
    fn transfer_shape_switches_to_multipart_at_the_threshold() {
        let cases = [
            (
                0,
                Some(TransferShape::SinglePut),
                "an empty file is one put",
            ),
            (
                25 * MIB,
                Some(TransferShape::SinglePut),
                "a JPEG is one put",
            ),
            (
                MULTIPART_THRESHOLD - 1,
                Some(TransferShape::SinglePut),
                "just below",
            ),
            (
                MULTIPART_THRESHOLD,
                Some(TransferShape::Multipart {
                    part_size: 16 * MIB,
                    part_count: 2,
                }),
                "at the threshold: multipart",
            ),
            (
                40 * MIB + 1,
                Some(TransferShape::Multipart {
                    part_size: 16 * MIB,
                    part_count: 3,
                }),
                "16 + 16 + 8 MiB and one byte",
            ),
            (
                MAX_OBJECT_SIZE,
                Some(TransferShape::Multipart {
                    part_size: 525 * MIB,
                    part_count: 9_987,
                }),
                "S3's largest object fits",
            ),
            (MAX_OBJECT_SIZE + 1, None, "larger than S3 allows"),
        ];
        for (file_size, expected, why) in cases {
            let shape = transfer_shape(file_size);
            match expected {
                Some(expected) => assert_eq!(
                    shape.expect("within S3's limits"),
                    expected,
                    "{file_size} bytes: {why}"
                ),
                None => assert_eq!(
                    shape.expect_err("too large").code(),
                    FailureCode::UploadTooLarge,
                    "{file_size} bytes: {why}"
                ),
            }
        }
    }

    #[test]
    fn part_ranges_cover_the_file_exactly_once() {
        let cases = [
            (0, 8 * MIB, 0, "an empty file has no parts"),
            (8 * MIB, 8 * MIB, 1, "one full part"),
            (
                40 * MIB + 5,
                8 * MIB,
                6,
                "five full parts and a 5-byte tail",
            ),
            (
                10,
                0,
                0,
                "a zero part size makes no parts instead of looping",
            ),
        ];
        for (file_size, part_size, count, why) in cases {
            let parts: Vec<PartRange> = part_ranges(file_size, part_size).collect();
            assert_eq!(parts.len(), count, "{why}");
            let mut next_offset = 0;
            for (i, part) in parts.iter().enumerate() {
                assert_eq!(
                    usize::from(part.part_number),
                    i + 1,
                    "{why}: numbered from 1"
                );
                assert_eq!(part.offset, next_offset, "{why}: no gap, no overlap");
                next_offset += part.len;
            }
            if count > 0 {
                assert_eq!(
                    next_offset, file_size,
                    "{why}: the parts end at the file's end"
                );
            }
        }
    }
}
