//! The embedded JPEG preview of a RAW file, found by each format's documented location. Nothing
//! of the raw sensor data is decoded.
//!
//! - **TIFF-based RAWs** (DNG, CR2, NEF, ARW, ORF, RW2): a walk over IFD0, its chain and its
//!   `SubIFDs` (tag 0x014A) collecting every JPEG the IFDs point at, either as
//!   `JPEGInterchangeFormat`/`Length` (0x0201/0x0202) or as a single strip (`StripOffsets`/
//!   `StripByteCounts`, 0x0111/0x0117) of `Compression` 6 or 7. The caller keeps the largest
//!   one that decodes as an 8-bit baseline or progressive JPEG (a DNG's lossless-JPEG raw data
//!   does not).
//! - **CR3** (ISO-BMFF): the `PRVW` box inside Canon's preview `uuid` box
//!   (`eaf42b5e-1c98-4b88-b9fb-b7dc406e4d16`), a 1620-pixel JPEG.
//! - **RAF**: the header's big-endian offset and length at bytes 84 and 88 (shared with the
//!   EXIF reader in `ingest::exif_facts`).
//!
//! Every offset is bounds-checked; a walk visits at most [`MAX_IFDS`] IFDs, so a file whose
//! IFDs point in a loop ends the walk rather than the process.

use std::collections::HashSet;

/// The most IFDs one walk visits.
const MAX_IFDS: usize = 32;
/// The most entries read from one IFD.
const MAX_ENTRIES: u16 = 512;
/// Canon's CR3 preview box (holds `PRVW`).
const CR3_PREVIEW_UUID: [u8; 16] = [
    0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
];

const TAG_COMPRESSION: u16 = 0x0103;
const TAG_STRIP_OFFSETS: u16 = 0x0111;
const TAG_STRIP_BYTE_COUNTS: u16 = 0x0117;
const TAG_SUB_IFDS: u16 = 0x014A;
const TAG_JPEG_OFFSET: u16 = 0x0201;
const TAG_JPEG_LENGTH: u16 = 0x0202;

/// Every JPEG stream a TIFF-based RAW's IFDs point at, in the order found. Empty when the
/// bytes are no TIFF or hold none.
#[must_use]
pub fn tiff_embedded_jpegs(bytes: &[u8]) -> Vec<&[u8]> {
    let Some(tiff) = Tiff::new(bytes) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut queue = vec![tiff.u32_at(4)];
    let mut seen = HashSet::new();
    while let Some(Some(offset)) = queue.pop() {
        if offset == 0 || seen.len() >= MAX_IFDS || !seen.insert(offset) {
            continue;
        }
        let Some(ifd) = tiff.ifd(offset) else {
            continue;
        };
        queue.push(ifd.next);
        queue.extend(ifd.values(TAG_SUB_IFDS).into_iter().map(Some));
        let jpeg_at = |start: Option<&u32>, len: Option<&u32>| {
            let start = usize::try_from(*start?).ok()?;
            let len = usize::try_from(*len?).ok()?;
            bytes
                .get(start..start.checked_add(len)?)
                .filter(|jpeg| jpeg.starts_with(&[0xFF, 0xD8]))
        };
        let interchange = jpeg_at(
            ifd.values(TAG_JPEG_OFFSET).first(),
            ifd.values(TAG_JPEG_LENGTH).first(),
        );
        found.extend(interchange);
        let compression = ifd.values(TAG_COMPRESSION).first().copied();
        let strips = ifd.values(TAG_STRIP_OFFSETS);
        if matches!(compression, Some(6 | 7)) && strips.len() == 1 {
            let strip = jpeg_at(strips.first(), ifd.values(TAG_STRIP_BYTE_COUNTS).first());
            found.extend(strip);
        }
    }
    found
}

/// The JPEG in a CR3's `PRVW` box, if there is one.
#[must_use]
pub fn cr3_preview_jpeg(bytes: &[u8]) -> Option<&[u8]> {
    let mut at = 0usize;
    while at < bytes.len() {
        let (header, size) = box_header(bytes, at)?;
        let end = at.checked_add(size)?.min(bytes.len());
        let body = bytes.get(at + header..end)?;
        if bytes.get(at + 4..at + 8) == Some(b"uuid") && body.get(..16) == Some(&CR3_PREVIEW_UUID) {
            let prvw = body.windows(4).position(|w| w == b"PRVW")?;
            let box_start = prvw.checked_sub(4)?;
            let (_, prvw_size) = box_header(body, box_start)?;
            let prvw_body = body.get(prvw + 4..box_start.checked_add(prvw_size)?)?;
            let soi = prvw_body
                .windows(3)
                .take(64)
                .position(|w| w == [0xFF, 0xD8, 0xFF])?;
            return prvw_body.get(soi..);
        }
        if size == 0 {
            break;
        }
        at = end;
    }
    None
}

/// An ISO-BMFF box at `at`: (header length, box length; `usize::MAX` for "to the end").
fn box_header(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let size = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?);
    match size {
        0 => Some((8, bytes.len() - at)),
        1 => {
            let large = u64::from_be_bytes(bytes.get(at + 8..at + 16)?.try_into().ok()?);
            Some((16, usize::try_from(large).ok()?.max(16)))
        }
        n => Some((8, usize::try_from(n).ok()?.max(8))),
    }
}

/// A TIFF byte stream with its byte order.
struct Tiff<'a> {
    bytes: &'a [u8],
    little: bool,
}

/// One IFD's entries, as (tag, type, count, value-or-offset field position).
struct Ifd<'t, 'a> {
    tiff: &'t Tiff<'a>,
    entries: Vec<(u16, u16, u32, usize)>,
    next: Option<u32>,
}

impl<'a> Tiff<'a> {
    fn new(bytes: &'a [u8]) -> Option<Self> {
        let little = match bytes.get(..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        Some(Self { bytes, little })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let raw: [u8; 2] = self.bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(raw)
        } else {
            u16::from_be_bytes(raw)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let raw: [u8; 4] = self.bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        })
    }

    fn ifd(&self, offset: u32) -> Option<Ifd<'_, 'a>> {
        let start = usize::try_from(offset).ok()?;
        let count = self.u16_at(start)?.min(MAX_ENTRIES);
        let entries = (0..usize::from(count))
            .filter_map(|i| {
                let at = start + 2 + 12 * i;
                Some((
                    self.u16_at(at)?,
                    self.u16_at(at + 2)?,
                    self.u32_at(at + 4)?,
                    at + 8,
                ))
            })
            .collect();
        let next = self.u32_at(start + 2 + 12 * usize::from(count));
        Some(Ifd {
            tiff: self,
            entries,
            next,
        })
    }
}

impl Ifd<'_, '_> {
    /// The SHORT or LONG values of `tag` (at most 64), empty when absent or of another type.
    fn values(&self, tag: u16) -> Vec<u32> {
        let Some(&(_, kind, count, field)) = self.entries.iter().find(|e| e.0 == tag) else {
            return Vec::new();
        };
        let width = match kind {
            3 => 2,
            4 | 13 => 4,
            _ => return Vec::new(),
        };
        let count = usize::try_from(count.min(64)).unwrap_or(0);
        let base = if width * count <= 4 {
            Some(field)
        } else {
            self.tiff
                .u32_at(field)
                .and_then(|o| usize::try_from(o).ok())
        };
        let Some(base) = base else {
            return Vec::new();
        };
        (0..count)
            .filter_map(|i| {
                let at = base + width * i;
                if width == 2 {
                    self.tiff.u16_at(at).map(u32::from)
                } else {
                    self.tiff.u32_at(at)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_fixtures::{cr3_with_preview, dng_with_preview, tiny_jpeg};

    #[test]
    fn a_dng_yields_the_jpeg_its_sub_ifd_points_at() {
        let jpeg = tiny_jpeg(64, 48);
        let dng = dng_with_preview(&jpeg, 1);
        let found = tiff_embedded_jpegs(&dng);
        assert_eq!(
            found,
            vec![jpeg.as_slice()],
            "the preview is found through IFD0's SubIFDs entry, byte for byte"
        );
    }

    #[test]
    fn a_cr3_yields_the_prvw_jpeg() {
        let jpeg = tiny_jpeg(32, 16);
        let cr3 = cr3_with_preview(&jpeg);
        assert_eq!(
            cr3_preview_jpeg(&cr3),
            Some(jpeg.as_slice()),
            "PRVW inside Canon's preview uuid box holds the JPEG"
        );
    }

    #[test]
    fn broken_or_looping_tiffs_yield_nothing_and_do_not_hang() {
        // IFD0 at 8 with zero entries whose next-IFD pointer is 8 again: a loop.
        let looping = b"II*\0\x08\0\0\0\0\0\x08\0\0\0".to_vec();
        let cases: [(&[u8], &str); 4] = [
            (b"", "empty"),
            (b"II*\0\xff\xff\xff\x7f", "IFD0 past the end"),
            (&looping, "an IFD chain that points at itself"),
            (b"not a tiff at all", "no byte-order mark"),
        ];
        for (bytes, why) in cases {
            assert!(tiff_embedded_jpegs(bytes).is_empty(), "{why}");
            assert_eq!(cr3_preview_jpeg(bytes), None, "{why}");
        }
    }
}
