//! The EXIF facts Lightbox keeps about a photo: when it was taken (with the
//! camera's UTC offset when it recorded one), its orientation and the camera's
//! serial number.
//!
//! They are read from the first bytes of the file that [`super::fingerprint`]
//! keeps while hashing ([`EXIF_PREFIX_LEN`]), so JPEG, PNG, WebP and most HEIF
//! files need no second read. Where that prefix is not enough (the file is
//! longer than the prefix and the parser ran out of bytes: a TIFF-based RAW
//! whose IFDs sit further in, a HEIF whose Exif item lies past the prefix), the
//! file's head is read a second time, at most [`HEAD_READ_LIMIT`] bytes.
//!
//! Formats: TIFF and TIFF-based RAW (CR2, NEF, ARW, DNG, PEF, 3FR, …, plus ORF
//! and RW2 whose headers use a non-standard magic number), JPEG, PNG, WebP,
//! HEIF/HEIC/AVIF, Canon CR3 (its `CMT1`/`CMT2` boxes) and Fujifilm RAF (its
//! embedded JPEG). Anything else, or any parse failure, gives empty facts: EXIF
//! is never a reason to fail a file.

use std::io::{self, Cursor, Read};
use std::path::Path;

use exif::{In, Reader, Value};
use jiff::civil::DateTime;
use jiff::tz::Offset;
use lightbox_types::CaptureTime;

/// How many leading bytes of the stream are kept for EXIF parsing.
pub const EXIF_PREFIX_LEN: usize = 256 * 1024;

/// The most a second read of a file's head for EXIF may read.
pub const HEAD_READ_LIMIT: u64 = 16 * 1024 * 1024;

// Tag numbers. They are looked up by number in the primary IFD whatever their
// context, because CR3 stores the Exif IFD as a standalone TIFF whose tags the
// parser files under the TIFF context.
const ORIENTATION: u16 = 0x0112;
const DATE_TIME_ORIGINAL: u16 = 0x9003;
const DATE_TIME_DIGITIZED: u16 = 0x9004;
const OFFSET_TIME_ORIGINAL: u16 = 0x9011;
const OFFSET_TIME_DIGITIZED: u16 = 0x9012;
const SUBSEC_TIME_ORIGINAL: u16 = 0x9291;
const SUBSEC_TIME_DIGITIZED: u16 = 0x9292;
/// Serial tags, best first: Exif 2.3 `BodySerialNumber`, DNG/TIFF-EP
/// `CameraSerialNumber`, and the `SerialNumber` that Adobe tools write.
const SERIAL_TAGS: [u16; 3] = [0xa431, 0xc62f, 0xfde9];

/// What EXIF told us. Every field is optional: a missing or unreadable tag is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExifFacts {
    /// `DateTimeOriginal` (falling back to `DateTimeDigitized`) with its offset and subseconds.
    pub captured: Option<CaptureTime>,
    /// EXIF orientation, 1..=8 (1 = upright); other values are dropped.
    pub orientation: Option<u8>,
    /// The camera body's serial number.
    pub camera_serial: Option<String>,
}

impl ExifFacts {
    fn or(self, other: Self) -> Self {
        Self {
            captured: self.captured.or(other.captured),
            orientation: self.orientation.or(other.orientation),
            camera_serial: self.camera_serial.or(other.camera_serial),
        }
    }
}

/// Facts parsed from some leading bytes of a file.
#[derive(Debug, Default)]
struct HeadParse {
    facts: ExifFacts,
    /// The parser ran out of bytes: more of the file may give more facts.
    truncated: bool,
}

/// The EXIF facts of the file at `path`, of `file_len` bytes, whose first bytes are
/// `prefix` (the whole file when it is that short). Reads the file's head again,
/// at most [`HEAD_READ_LIMIT`] bytes, only when the prefix was not enough.
#[must_use]
pub fn read_exif_facts(prefix: &[u8], file_len: u64, path: &Path) -> ExifFacts {
    let first = parse_head(prefix);
    let prefix_len = u64::try_from(prefix.len()).unwrap_or(u64::MAX);
    if !first.truncated || file_len <= prefix_len {
        return first.facts;
    }
    match read_head(path, HEAD_READ_LIMIT) {
        Ok(head) if head.len() > prefix.len() => parse_head(&head).facts.or(first.facts),
        Ok(_) => first.facts,
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "second read for EXIF failed");
            first.facts
        }
    }
}

/// The EXIF facts in `bytes`, the start (or all) of a file. No I/O.
#[must_use]
pub fn exif_facts_from_head(bytes: &[u8]) -> ExifFacts {
    parse_head(bytes).facts
}

fn read_head(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(limit)
        .read_to_end(&mut head)?;
    Ok(head)
}

fn parse_head(bytes: &[u8]) -> HeadParse {
    if let Some(tiff) = standard_tiff(bytes) {
        outcome(new_reader().read_raw(tiff), true)
    } else if is_cr3(bytes) {
        parse_cr3(bytes)
    } else if let Some(embedded) = raf_embedded_jpeg(bytes) {
        embedded.map_or(
            HeadParse {
                truncated: true,
                ..HeadParse::default()
            },
            parse_container,
        )
    } else {
        parse_container(bytes)
    }
}

/// A TIFF header, with the magic number of Olympus ORF (`IIRO`, `IIRS`, `MMOR`)
/// and Panasonic RW2 (`IIU\0`) rewritten to the standard 42 so the TIFF parser
/// accepts them; their IFDs are plain TIFF.
fn standard_tiff(bytes: &[u8]) -> Option<Vec<u8>> {
    let magic = bytes.get(..4)?;
    let little = match magic {
        b"II*\0" | b"IIRO" | b"IIRS" | b"IIU\0" => true,
        b"MM\0*" | b"MMOR" => false,
        _ => return None,
    };
    let mut owned = bytes.to_vec();
    owned[2..4].copy_from_slice(if little { b"*\0" } else { b"\0*" });
    Some(owned)
}

fn new_reader() -> Reader {
    let mut reader = Reader::new();
    reader.continue_on_error(true);
    reader
}

fn parse_container(bytes: &[u8]) -> HeadParse {
    // The EXIF block of a container is read whole or not at all, so errors inside
    // it mean bad EXIF, not missing bytes.
    outcome(
        new_reader().read_from_container(&mut Cursor::new(bytes)),
        false,
    )
}

/// `cut_tiff`: the bytes are a TIFF that may be cut short, so parse errors inside
/// it may only mean that its IFDs continue past the end.
fn outcome(result: Result<exif::Exif, exif::Error>, cut_tiff: bool) -> HeadParse {
    match result {
        Ok(exif) => HeadParse {
            facts: facts_from_exif(&exif),
            truncated: false,
        },
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, _errors) = partial.into_inner();
            HeadParse {
                facts: facts_from_exif(&exif),
                truncated: cut_tiff,
            }
        }
        // Out of bytes: a truncated box, segment or IFD.
        Err(exif::Error::Io(_)) => HeadParse {
            truncated: true,
            ..HeadParse::default()
        },
        Err(exif::Error::InvalidFormat(what)) => HeadParse {
            truncated: what != "Unknown image format",
            ..HeadParse::default()
        },
        // No EXIF in this file, or nothing we can use.
        Err(_) => HeadParse::default(),
    }
}

/// An ISO-BMFF file whose major brand is Canon's `crx `.
fn is_cr3(bytes: &[u8]) -> bool {
    bytes.get(4..12) == Some(b"ftypcrx ")
}

/// CR3 keeps IFD0 in a `CMT1` box and the Exif IFD in a `CMT2` box, each a
/// standalone TIFF, near the start of the file.
fn parse_cr3(bytes: &[u8]) -> HeadParse {
    let mut result = HeadParse::default();
    for box_type in [b"CMT1", b"CMT2"] {
        match find_box(bytes, box_type) {
            Some(Some(body)) => {
                let parsed = outcome(new_reader().read_raw(body.to_vec()), false);
                result.facts = result.facts.or(parsed.facts);
                result.truncated |= parsed.truncated;
            }
            Some(None) | None => result.truncated = true,
        }
    }
    result
}

/// The body of the first box of `box_type`: `None` when not found, `Some(None)`
/// when it is cut off by the end of `bytes`.
fn find_box<'a>(bytes: &'a [u8], box_type: &[u8; 4]) -> Option<Option<&'a [u8]>> {
    let at = bytes.windows(4).skip(4).position(|w| w == box_type)? + 4;
    let size_bytes: [u8; 4] = bytes.get(at - 4..at)?.try_into().ok()?;
    let size = usize::try_from(u32::from_be_bytes(size_bytes)).ok()?;
    let end = (at - 4).checked_add(size)?;
    Some(bytes.get(at + 4..end))
}

/// Fujifilm RAF: a big-endian header pointing at an embedded JPEG that carries the
/// EXIF. `None`: not a RAF; `Some(None)`: the JPEG lies past `bytes`.
pub(crate) fn raf_embedded_jpeg(bytes: &[u8]) -> Option<Option<&[u8]>> {
    if !bytes.starts_with(b"FUJIFILMCCD-RAW") {
        return None;
    }
    let field = |at: usize| -> Option<usize> {
        let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(u32::from_be_bytes(raw)).ok()
    };
    let (Some(offset), Some(length)) = (field(84), field(88)) else {
        return Some(None);
    };
    let end = offset.saturating_add(length).min(bytes.len());
    Some(bytes.get(offset..end).filter(|jpeg| jpeg.len() > 4))
}

fn facts_from_exif(exif: &exif::Exif) -> ExifFacts {
    let field = |number: u16| {
        exif.fields()
            .find(|f| f.ifd_num == In::PRIMARY && f.tag.number() == number)
    };
    let ascii = |number: u16| field(number).and_then(|f| first_ascii(&f.value));
    let captured = capture_time(
        ascii(DATE_TIME_ORIGINAL),
        ascii(OFFSET_TIME_ORIGINAL),
        ascii(SUBSEC_TIME_ORIGINAL),
    )
    .or_else(|| {
        capture_time(
            ascii(DATE_TIME_DIGITIZED),
            ascii(OFFSET_TIME_DIGITIZED),
            ascii(SUBSEC_TIME_DIGITIZED),
        )
    });
    let orientation = field(ORIENTATION)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v));
    let camera_serial = SERIAL_TAGS.iter().find_map(|&number| {
        let text = String::from_utf8_lossy(ascii(number)?).trim().to_owned();
        (!text.is_empty()).then_some(text)
    });
    ExifFacts {
        captured,
        orientation,
        camera_serial,
    }
}

/// The first string of an ASCII value, without trailing NULs.
fn first_ascii(value: &Value) -> Option<&[u8]> {
    match value {
        Value::Ascii(strings) => {
            let s = strings.first()?;
            let end = s.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            Some(&s[..end])
        }
        _ => None,
    }
}

fn capture_time(
    date_time: Option<&[u8]>,
    offset: Option<&[u8]>,
    subsec: Option<&[u8]>,
) -> Option<CaptureTime> {
    let mut parsed = exif::DateTime::from_ascii(date_time?).ok()?;
    if let Some(subsec) = subsec {
        // A malformed fraction is dropped, not the whole time.
        if parsed.parse_subsec(subsec).is_err() {
            parsed.nanosecond = None;
        }
    }
    let offset = offset.and_then(|text| {
        parsed.parse_offset(text).ok()?;
        Offset::from_seconds(i32::from(parsed.offset?) * 60).ok()
    });
    let local = DateTime::new(
        i16::try_from(parsed.year).ok()?,
        i8::try_from(parsed.month).ok()?,
        i8::try_from(parsed.day).ok()?,
        i8::try_from(parsed.hour).ok()?,
        i8::try_from(parsed.minute).ok()?,
        i8::try_from(parsed.second).ok()?,
        i32::try_from(parsed.nanosecond.unwrap_or(0)).ok()?,
    )
    .ok()?;
    Some(CaptureTime { local, offset })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use lightbox_fixtures::tiff::{ascii, camera_tiff, exif_jpeg as jpeg, short, tiff};

    use super::*;

    fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8, ns: i32) -> DateTime {
        date(y, mo, d).at(h, mi, s, ns)
    }

    fn offset_hours(h: i8) -> Option<Offset> {
        Some(Offset::constant(h))
    }

    fn camera_facts() -> ExifFacts {
        ExifFacts {
            captured: Some(CaptureTime {
                local: at(2024, 3, 10, 1, 30, 5, 250_000_000),
                offset: offset_hours(1),
            }),
            orientation: Some(6),
            camera_serial: Some("052021004321".to_owned()),
        }
    }

    /// A minimal CR3: `ftyp crx `, then a `uuid` box holding `CMT1` (IFD0) and `CMT2` (Exif IFD).
    fn cr3() -> Vec<u8> {
        let boxed = |kind: &[u8; 4], body: &[u8]| {
            let mut out = u32::try_from(8 + body.len())
                .expect("small")
                .to_be_bytes()
                .to_vec();
            out.extend(kind);
            out.extend(body);
            out
        };
        let cmt1 = boxed(b"CMT1", &tiff(0, &[short(0x0112, 8)], &[]));
        let cmt2 = boxed(
            b"CMT2",
            &tiff(
                0,
                &[
                    ascii(0x9003, "2023:12:31 23:59:59"),
                    ascii(0xa431, "R5-123"),
                ],
                &[],
            ),
        );
        let mut out = boxed(b"ftyp", b"crx \0\0\0\x01crx isom");
        out.extend(boxed(b"uuid", &[vec![0; 16], cmt1, cmt2].concat()));
        out
    }

    /// A minimal RAF: the 92-byte header, then the embedded JPEG it points at.
    fn raf(jpeg_bytes: &[u8]) -> Vec<u8> {
        let mut out = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
        out.resize(84, 0);
        out.extend(100u32.to_be_bytes());
        out.extend(
            u32::try_from(jpeg_bytes.len())
                .expect("small")
                .to_be_bytes(),
        );
        out.resize(100, 0);
        out.extend(jpeg_bytes);
        out
    }

    #[test]
    fn facts_from_head_table() {
        let jpeg_with_exif = jpeg(&camera_tiff(0), b"scan data");
        let mut orf = camera_tiff(0);
        orf[2..4].copy_from_slice(b"RO");
        let mut rw2 = camera_tiff(0);
        rw2[2..4].copy_from_slice(b"U\0");
        let no_offset = tiff(0, &[], &[ascii(0x9003, "2024:07:01 12:00:00")]);
        let digitized_only = tiff(0, &[], &[ascii(0x9004, "2020:01:02 03:04:05")]);
        let blank_date = tiff(
            0,
            &[short(0x0112, 3)],
            &[ascii(0x9003, "    :  :     :  :  ")],
        );
        let bad_orientation = tiff(0, &[short(0x0112, 9)], &[]);
        let bad_offset = tiff(
            0,
            &[],
            &[
                ascii(0x9003, "2024:07:01 12:00:00"),
                ascii(0x9011, "garbage"),
            ],
        );
        let dng_serial = tiff(0, &[ascii(0xc62f, "DNG-7")], &[]);
        let negative = tiff(
            0,
            &[],
            &[
                ascii(0x9003, "2024:11:03 01:30:00"),
                ascii(0x9011, "-04:30"),
            ],
        );
        let no_date = || None;
        let cases: Vec<(&str, Vec<u8>, ExifFacts)> = vec![
            ("TIFF", camera_tiff(0), camera_facts()),
            ("JPEG with APP1", jpeg_with_exif.clone(), camera_facts()),
            ("ORF magic", orf, camera_facts()),
            ("RW2 magic", rw2, camera_facts()),
            ("RAF embedded JPEG", raf(&jpeg_with_exif), camera_facts()),
            (
                "CR3 CMT boxes",
                cr3(),
                ExifFacts {
                    captured: Some(CaptureTime {
                        local: at(2023, 12, 31, 23, 59, 59, 0),
                        offset: None,
                    }),
                    orientation: Some(8),
                    camera_serial: Some("R5-123".to_owned()),
                },
            ),
            (
                "no offset recorded",
                no_offset,
                ExifFacts {
                    captured: Some(CaptureTime {
                        local: at(2024, 7, 1, 12, 0, 0, 0),
                        offset: None,
                    }),
                    ..ExifFacts::default()
                },
            ),
            (
                "negative half-hour offset",
                negative,
                ExifFacts {
                    captured: Some(CaptureTime {
                        local: at(2024, 11, 3, 1, 30, 0, 0),
                        offset: Some(Offset::from_seconds(-(4 * 3600 + 1800)).expect("valid")),
                    }),
                    ..ExifFacts::default()
                },
            ),
            (
                "falls back to DateTimeDigitized",
                digitized_only,
                ExifFacts {
                    captured: Some(CaptureTime {
                        local: at(2020, 1, 2, 3, 4, 5, 0),
                        offset: None,
                    }),
                    ..ExifFacts::default()
                },
            ),
            (
                "blank date is no date",
                blank_date,
                ExifFacts {
                    captured: no_date(),
                    orientation: Some(3),
                    ..ExifFacts::default()
                },
            ),
            (
                "orientation outside 1..=8 is dropped",
                bad_orientation,
                ExifFacts::default(),
            ),
            (
                "a malformed offset keeps the civil time",
                bad_offset,
                ExifFacts {
                    captured: Some(CaptureTime {
                        local: at(2024, 7, 1, 12, 0, 0, 0),
                        offset: None,
                    }),
                    ..ExifFacts::default()
                },
            ),
            (
                "DNG CameraSerialNumber",
                dng_serial,
                ExifFacts {
                    camera_serial: Some("DNG-7".to_owned()),
                    ..ExifFacts::default()
                },
            ),
            (
                "JPEG without EXIF",
                vec![0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, b'x', 0xff, 0xd9],
                ExifFacts::default(),
            ),
            (
                "plain text",
                b"hello, not a photo".to_vec(),
                ExifFacts::default(),
            ),
            ("empty", Vec::new(), ExifFacts::default()),
            (
                "truncated TIFF keeps what was parsed",
                camera_tiff(0)[..40].to_vec(),
                ExifFacts {
                    orientation: Some(6),
                    ..ExifFacts::default()
                },
            ),
        ];
        for (name, bytes, want) in cases {
            assert_eq!(exif_facts_from_head(&bytes), want, "{name}");
        }
    }

    #[test]
    fn tiff_raw_with_ifds_past_the_prefix_is_read_again_from_the_file() {
        // IFD0 starts 300 KiB in, beyond the 256 KiB prefix the hashing pass keeps.
        let bytes = camera_tiff(300 * 1024);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("DSC_0001.NEF");
        std::fs::write(&path, &bytes).expect("write test file");
        let prefix = &bytes[..EXIF_PREFIX_LEN];
        assert_eq!(
            exif_facts_from_head(prefix),
            ExifFacts::default(),
            "the prefix alone has nothing"
        );
        let len = u64::try_from(bytes.len()).expect("small");
        assert_eq!(
            read_exif_facts(prefix, len, &path),
            camera_facts(),
            "second read finds it"
        );
    }

    #[test]
    fn no_second_read_when_the_prefix_is_the_whole_file_or_has_no_exif() {
        let missing = Path::new("/nonexistent/never-read.jpg");
        let short = camera_tiff(0)[..40].to_vec();
        let len = u64::try_from(short.len()).expect("small");
        let partial = ExifFacts {
            orientation: Some(6),
            ..ExifFacts::default()
        };
        assert_eq!(
            read_exif_facts(&short, len, missing),
            partial,
            "IFD0 only, no retry"
        );
        // A long file whose prefix is definitely not an image: nothing to retry.
        assert_eq!(
            read_exif_facts(b"plain text", 10_000_000, missing),
            ExifFacts::default()
        );
    }
}
