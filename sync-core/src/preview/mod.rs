//! Previews: a thumbnail (~400 px long edge) and a screen-size image (~2048 px) as JPEG, made
//! from the local file once the original is uploaded (DESIGN.md, data flow step 6).
//!
//! Pure functions from bytes to JPEGs; the previewer component (`engine::preview`) does the
//! reading and the uploading.
//!
//! - **JPEG**: libjpeg-turbo (the `turbojpeg` crate) with shrink-on-load in the DCT domain
//!   (1/8, 1/4 or 1/2, see [`decode`]), then a Catmull-Rom resize with `fast_image_resize`
//!   (SIMD). Why libjpeg-turbo: it is what libvips uses, and its SIMD Huffman decoder reads the
//!   entropy-coded data (which every decoder must read in full, at any scale) far faster than
//!   `jpeg-decoder`. `zune-jpeg` (what `image` uses) has no scaled decode.
//! - **PNG**: full decode (PNG has no scaled decode), alpha over white.
//! - **RAW** (CR2/CR3/NEF/ARW/DNG/RAF/ORF): the embedded JPEG ([`raw`]), never the sensor data.
//! - **HEIC**: its embedded thumbnail is HEVC-coded, which we do not decode:
//!   [`PreviewError::Unsupported`] (`preview_unsupported`).
//! - **EXIF orientation** (from the original's EXIF, which for RAWs sits in the RAW's IFD0, not
//!   in the embedded JPEG) is applied to the pixels, so previews are upright everywhere.
//! - Colour: 8-bit sRGB-as-stored; embedded ICC profiles are not converted (camera JPEGs are
//!   sRGB or Adobe RGB; the latter looks a little flat).

pub mod decode;
mod error;
pub mod format;
pub mod orient;
pub mod raw;
mod source;

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

pub use decode::Rgb;
pub use error::PreviewError;
pub use format::SourceFormat;
pub use source::{MAX_SOURCE_BYTES, read_source};

use lightbox_types::PreviewKind;

use crate::ingest::exif_facts::exif_facts_from_head;

/// The long edge of a preview of `kind`, in pixels (smaller sources are not enlarged): about 400
/// for the gallery grid, 2048 for full-screen viewing.
#[must_use]
pub const fn long_edge(kind: PreviewKind) -> u32 {
    match kind {
        PreviewKind::Thumb => 400,
        PreviewKind::Screen => 2048,
    }
}

/// The JPEG quality of a preview of `kind`.
const fn quality(kind: PreviewKind) -> u8 {
    match kind {
        PreviewKind::Thumb => 80,
        PreviewKind::Screen => 85,
    }
}

/// One encoded preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub kind: PreviewKind,
    pub width: u32,
    pub height: u32,
    /// The JPEG file.
    pub jpeg: Vec<u8>,
}

/// The previews of an image file's bytes, one per entry of `kinds`, in that order.
///
/// # Errors
/// [`PreviewError`]: unsupported format, a RAW without an embedded JPEG, damaged data, too many
/// pixels. The original is uploaded regardless.
pub fn make_previews(bytes: &[u8], kinds: &[PreviewKind]) -> Result<Vec<Preview>, PreviewError> {
    let largest = kinds.iter().map(|k| long_edge(*k)).max().unwrap_or(0);
    let format = SourceFormat::sniff(bytes);
    let (decoded, embedded) = match format {
        SourceFormat::Jpeg => (decode::decode_jpeg(bytes, largest)?, None),
        SourceFormat::Png => (decode::decode_png(bytes)?, None),
        SourceFormat::TiffRaw | SourceFormat::Cr3 | SourceFormat::Raf => {
            let jpeg = embedded_jpeg(bytes, format)?;
            (decode::decode_jpeg(jpeg, largest)?, Some(jpeg))
        }
        SourceFormat::Heic | SourceFormat::Unknown => {
            return Err(PreviewError::Unsupported {
                format: format.name(),
            });
        }
    };
    let orientation = exif_facts_from_head(bytes)
        .orientation
        .or_else(|| embedded.and_then(|jpeg| exif_facts_from_head(jpeg).orientation))
        .unwrap_or(1);
    let upright = orient::apply_orientation(decoded, orientation);
    render(upright, kinds)
}

/// The largest decodable JPEG a RAW file embeds.
fn embedded_jpeg(bytes: &[u8], format: SourceFormat) -> Result<&[u8], PreviewError> {
    let candidates = match format {
        SourceFormat::Cr3 => raw::cr3_preview_jpeg(bytes).into_iter().collect(),
        SourceFormat::Raf => crate::ingest::exif_facts::raf_embedded_jpeg(bytes)
            .flatten()
            .into_iter()
            .collect(),
        _ => raw::tiff_embedded_jpegs(bytes),
    };
    candidates
        .into_iter()
        .filter_map(|jpeg| {
            let (w, h) = decode::jpeg_dimensions(jpeg)?;
            Some((u64::from(w) * u64::from(h), jpeg))
        })
        .max_by_key(|(pixels, _)| *pixels)
        .map(|(_, jpeg)| jpeg)
        .ok_or(PreviewError::NoEmbeddedPreview {
            format: format.name(),
        })
}

/// Resize `image` to each kind (largest first, each from the one before) and encode.
fn render(image: Rgb, kinds: &[PreviewKind]) -> Result<Vec<Preview>, PreviewError> {
    let mut order: Vec<PreviewKind> = kinds.to_vec();
    order.sort_by_key(|k| std::cmp::Reverse(long_edge(*k)));
    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    let mut source = image;
    let mut made = Vec::with_capacity(kinds.len());
    for kind in order {
        let (w, h) = decode::fit(source.width, source.height, long_edge(kind));
        if (w, h) != (source.width, source.height) {
            let src =
                Image::from_vec_u8(source.width, source.height, source.pixels, PixelType::U8x3)
                    .map_err(|e| PreviewError::corrupt("image", e))?;
            let mut dst = Image::new(w, h, PixelType::U8x3);
            resizer
                .resize(&src, &mut dst, &options)
                .map_err(|e| PreviewError::corrupt("image", e))?;
            source = Rgb {
                width: w,
                height: h,
                pixels: dst.into_vec(),
            };
        }
        made.push(Preview {
            kind,
            width: source.width,
            height: source.height,
            jpeg: encode_jpeg(&source, quality(kind))?,
        });
    }
    made.sort_by_key(|p| kinds.iter().position(|k| *k == p.kind));
    Ok(made)
}

fn encode_jpeg(image: &Rgb, quality: u8) -> Result<Vec<u8>, PreviewError> {
    let too_large = || PreviewError::TooLarge {
        width: image.width,
        height: image.height,
    };
    let w = u16::try_from(image.width).map_err(|_| too_large())?;
    let h = u16::try_from(image.height).map_err(|_| too_large())?;
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality)
        .encode(&image.pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| PreviewError::corrupt("image", e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_fixtures::{
        BACKGROUND, MARK, cr3_with_preview, dng_with_preview, heic_stub, jpeg, png, tiny_jpeg,
    };
    use lightbox_types::FailureCode;

    /// Decode a preview back to pixels for checks.
    fn look(preview: &Preview) -> Rgb {
        decode::decode_jpeg(&preview.jpeg, u32::MAX).expect("our own JPEG decodes")
    }

    fn near(a: [u8; 3], b: [u8; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| x.abs_diff(y) < 40)
    }

    #[test]
    fn every_supported_source_gives_both_sizes_with_the_aspect_kept() {
        let big = jpeg(2200, 1100, None);
        type Case = (&'static str, Vec<u8>, (u32, u32), (u32, u32));
        let cases: [Case; 5] = [
            ("JPEG 2200×1100", big.clone(), (2048, 1024), (400, 200)),
            ("PNG 600×300", png(600, 300), (600, 300), (400, 200)),
            (
                "DNG with a 2200×1100 preview",
                dng_with_preview(&big, 1),
                (2048, 1024),
                (400, 200),
            ),
            (
                "CR3 with a 1620×1080 PRVW",
                cr3_with_preview(&jpeg(1620, 1080, None)),
                (1620, 1080),
                (400, 267),
            ),
            (
                "small JPEG is not enlarged",
                jpeg(200, 100, None),
                (200, 100),
                (200, 100),
            ),
        ];
        for (why, bytes, screen, thumb) in cases {
            let made = make_previews(&bytes, &[PreviewKind::Thumb, PreviewKind::Screen])
                .unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!(
                made[0].kind,
                PreviewKind::Thumb,
                "{why}: in the order asked"
            );
            assert_eq!((made[0].width, made[0].height), thumb, "{why}: thumb size");
            assert_eq!(
                (made[1].width, made[1].height),
                screen,
                "{why}: screen size"
            );
            for preview in &made {
                let pixels = look(preview);
                assert_eq!(
                    (pixels.width, pixels.height),
                    (preview.width, preview.height),
                    "{why}: the JPEG has the size reported"
                );
                assert!(
                    near(pixels.pixel(0, 0).expect("in bounds"), MARK),
                    "{why}: the marked corner stays top-left"
                );
                assert!(
                    near(
                        pixels
                            .pixel(pixels.width - 1, pixels.height - 1)
                            .expect("in bounds"),
                        BACKGROUND
                    ),
                    "{why}: the rest is background"
                );
            }
        }
    }

    #[test]
    fn exif_orientation_six_turns_the_picture_clockwise() {
        // Stored 600×400 with the mark top-left; orientation 6 means "rotate 90° clockwise to
        // view", so upright it is 400×600 and the mark is top-right.
        for (why, bytes) in [
            ("JPEG with EXIF orientation 6", jpeg(600, 400, Some(6))),
            (
                "DNG whose IFD0 says 6 over an EXIF-less preview",
                dng_with_preview(&tiny_jpeg(600, 400), 6),
            ),
        ] {
            let made = make_previews(&bytes, &[PreviewKind::Thumb]).expect("valid image");
            let thumb = look(&made[0]);
            assert_eq!(
                (thumb.width, thumb.height),
                (267, 400),
                "{why}: width and height swap"
            );
            assert!(
                near(thumb.pixel(thumb.width - 5, 5).expect("in bounds"), MARK),
                "{why}: the stored top-left lands top-right"
            );
            assert!(
                near(thumb.pixel(5, 5).expect("in bounds"), BACKGROUND),
                "{why}: top-left is now background"
            );
        }
    }

    #[test]
    fn what_cannot_be_previewed_says_why_with_a_code() {
        let mut cut = jpeg(400, 300, None);
        cut.truncate(cut.len() / 3);
        let mut garbage = jpeg(64, 64, None);
        for byte in garbage.iter_mut().skip(200) {
            *byte = 0xA5;
        }
        let cases: [(&str, Vec<u8>, FailureCode); 6] = [
            ("HEIC", heic_stub(), FailureCode::PreviewUnsupported),
            (
                "a text file",
                b"not an image".to_vec(),
                FailureCode::PreviewUnsupported,
            ),
            (
                "a DNG without a preview",
                b"II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec(),
                FailureCode::PreviewNoEmbedded,
            ),
            ("a truncated JPEG", cut, FailureCode::PreviewFailed),
            (
                "a JPEG whose scan data is garbage",
                garbage,
                FailureCode::PreviewFailed,
            ),
            (
                "a PNG cut after its signature",
                b"\x89PNG\r\n\x1a\n\0\0".to_vec(),
                FailureCode::PreviewFailed,
            ),
        ];
        for (why, bytes, code) in cases {
            let err = make_previews(&bytes, &PreviewKind::ALL).expect_err(why);
            assert_eq!(err.code(), code, "{why}: {err}");
        }
    }
}
