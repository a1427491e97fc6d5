//! Image files built in memory for tests: no sample photos are downloaded or checked in.
//!
//! - [`jpeg`]: a JPEG of any size, optionally with an EXIF orientation, its top-left corner
//!   painted red ([`MARK`]) so a test can see where that corner ends after rotation;
//! - [`png`]: the same picture as an RGBA PNG;
//! - [`dng_with_preview`]: a little-endian TIFF/DNG whose `SubIFDs` entry points at a JPEG
//!   preview strip (compression 7), the structure real DNGs use;
//! - [`cr3_with_preview`]: an ISO-BMFF file with Canon's preview `uuid` box and `PRVW` inside.

/// The colour of the marked top-left corner.
pub const MARK: [u8; 3] = [230, 20, 20];
/// The colour of the rest of the picture.
pub const BACKGROUND: [u8; 3] = [40, 90, 200];

/// RGB pixels: a red block over the top-left eighth in each axis, blue elsewhere.
#[must_use]
pub fn marked_rgb(width: u16, height: u16) -> Vec<u8> {
    let (w, h) = (usize::from(width), usize::from(height));
    let mut pixels = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let marked = x < w.div_ceil(8) && y < h.div_ceil(8);
            pixels.extend(if marked { MARK } else { BACKGROUND });
        }
    }
    pixels
}

/// A baseline JPEG of `width`×`height` (see [`marked_rgb`]), with an EXIF orientation when
/// given.
///
/// # Panics
/// Never for sizes up to 65535 (the encoder writes to memory).
#[must_use]
pub fn jpeg(width: u16, height: u16, orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    if let Some(orientation) = orientation {
        encoder
            .add_app_segment(1, &exif_orientation(orientation))
            .expect("an APP1 segment of a few bytes is accepted");
    }
    encoder
        .encode(
            &marked_rgb(width, height),
            width,
            height,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encoding to memory cannot fail");
    out
}

/// The tiny JPEG with no EXIF that RAW fixtures embed.
#[must_use]
pub fn tiny_jpeg(width: u16, height: u16) -> Vec<u8> {
    jpeg(width, height, None)
}

/// An RGBA PNG of the marked picture, fully opaque.
///
/// # Panics
/// Never (the encoder writes to memory).
#[must_use]
pub fn png(width: u16, height: u16) -> Vec<u8> {
    let rgba: Vec<u8> = marked_rgb(width, height)
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, u32::from(width), u32::from(height));
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("header to memory");
    writer.write_image_data(&rgba).expect("data to memory");
    writer.finish().expect("finish to memory");
    out
}

/// The body of an EXIF APP1 segment holding only IFD0's Orientation.
#[must_use]
pub fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff(&[entry_short(0x0112, orientation)], &[]));
    app1
}

/// One 12-byte IFD entry (little-endian) whose value fits inline.
fn entry(tag: u16, kind: u16, count: u32, value: [u8; 4]) -> [u8; 12] {
    let mut e = [0u8; 12];
    e[..2].copy_from_slice(&tag.to_le_bytes());
    e[2..4].copy_from_slice(&kind.to_le_bytes());
    e[4..8].copy_from_slice(&count.to_le_bytes());
    e[8..].copy_from_slice(&value);
    e
}

fn entry_short(tag: u16, value: u16) -> [u8; 12] {
    let v = value.to_le_bytes();
    entry(tag, 3, 1, [v[0], v[1], 0, 0])
}

fn entry_long(tag: u16, value: u32) -> [u8; 12] {
    entry(tag, 4, 1, value.to_le_bytes())
}

fn ifd_bytes(entries: &[[u8; 12]], next: u32) -> Vec<u8> {
    let mut out = u16::try_from(entries.len())
        .expect("few entries")
        .to_le_bytes()
        .to_vec();
    for e in entries {
        out.extend(e);
    }
    out.extend(next.to_le_bytes());
    out
}

fn ifd_len(entries: usize) -> u32 {
    u32::try_from(2 + 12 * entries + 4).expect("few entries")
}

/// A little-endian TIFF: IFD0 at 8 with `entries`, then `tail`.
fn tiff(entries: &[[u8; 12]], tail: &[u8]) -> Vec<u8> {
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend(ifd_bytes(entries, 0));
    out.extend(tail);
    out
}

/// A minimal DNG: IFD0 (a 1×1 uncompressed "thumbnail", the orientation, `DNGVersion`,
/// `SubIFDs`) and one sub-IFD whose single strip is `preview`, a JPEG (compression 7).
///
/// # Panics
/// When `preview` is over 4 GiB.
#[must_use]
pub fn dng_with_preview(preview: &[u8], orientation: u16) -> Vec<u8> {
    const IFD0_ENTRIES: usize = 8;
    const SUB_ENTRIES: usize = 6;
    let sub_ifd_at = 8 + ifd_len(IFD0_ENTRIES);
    let jpeg_at = sub_ifd_at + ifd_len(SUB_ENTRIES);
    let jpeg_len = u32::try_from(preview.len()).expect("a small preview");
    let ifd0 = [
        entry_long(0x00FE, 1),
        entry_long(0x0100, 1),
        entry_long(0x0101, 1),
        entry_short(0x0103, 1),
        entry_short(0x0112, orientation),
        entry_long(0x014A, sub_ifd_at),
        entry(0xC612, 1, 4, [1, 4, 0, 0]),
        entry(0xC614, 2, 4, *b"LB1\0"),
    ];
    let sub = [
        entry_long(0x00FE, 1),
        entry_long(0x0100, 0),
        entry_long(0x0101, 0),
        entry_short(0x0103, 7),
        entry_long(0x0111, jpeg_at),
        entry_long(0x0117, jpeg_len),
    ];
    debug_assert_eq!(ifd0.len(), IFD0_ENTRIES);
    debug_assert_eq!(sub.len(), SUB_ENTRIES);
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    out.extend(ifd_bytes(&ifd0, 0));
    out.extend(ifd_bytes(&sub, 0));
    out.extend(preview);
    out
}

/// An ISO-BMFF file with brand `crx ` and Canon's preview `uuid` box holding `PRVW` with
/// `preview`.
///
/// # Panics
/// When `preview` is over 4 GiB.
#[must_use]
pub fn cr3_with_preview(preview: &[u8]) -> Vec<u8> {
    let uuid = [
        0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d,
        0x16,
    ];
    let be = |n: usize| u32::try_from(n).expect("small boxes").to_be_bytes();
    let mut prvw = Vec::new();
    let prvw_len = 8 + 16 + preview.len();
    prvw.extend(be(prvw_len));
    prvw.extend(b"PRVW");
    prvw.extend([0, 0, 0, 0, 0, 1, 0x06, 0x54, 0x04, 0x38, 0, 1]);
    prvw.extend(be(preview.len()));
    prvw.extend(preview);
    let mut out = Vec::new();
    out.extend(be(24));
    out.extend(b"ftypcrx \0\0\0\x01crx isom");
    let uuid_len = 8 + 16 + 8 + prvw.len();
    out.extend(be(uuid_len));
    out.extend(b"uuid");
    out.extend(uuid);
    out.extend([0u8; 8]);
    out.extend(prvw);
    out
}

/// An ISO-BMFF file with the `heic` brand and nothing else.
#[must_use]
pub fn heic_stub() -> Vec<u8> {
    let mut out = vec![0, 0, 0, 24];
    out.extend(b"ftypheic\0\0\0\0mif1heic");
    out
}
