//! Decoding to 8-bit RGB. JPEG goes through libjpeg-turbo (the `turbojpeg` crate) with
//! shrink-on-load: the IDCT runs at 1/2, 1/4 or 1/8 in the DCT domain (libjpeg's
//! `scale_denom`, as libvips uses), so a 24 MP photo decodes straight to 750×500 for a 400 px
//! thumbnail instead of to 24 MP.

use std::io::Cursor;

use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

use super::PreviewError;

/// The most pixels a source may have (a 200 MP image); a header claiming more is refused
/// before any allocation.
pub const MAX_SOURCE_PIXELS: u64 = 200_000_000;

/// The DCT scale denominators a JPEG may be decoded at, smallest output first. libjpeg-turbo
/// also offers 3/8, 5/8 and so on, but only these have fast IDCTs, and libvips keeps to them.
const DCT_DENOMINATORS: [u32; 4] = [8, 4, 2, 1];

/// An 8-bit RGB image, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgb {
    /// The pixel at (`x`, `y`), for tests and checks.
    #[must_use]
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        let at = (usize::try_from(y).ok()? * usize::try_from(self.width).ok()?
            + usize::try_from(x).ok()?)
            * 3;
        self.pixels.get(at..at + 3)?.try_into().ok()
    }
}

fn check_size(width: u32, height: u32) -> Result<(), PreviewError> {
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > MAX_SOURCE_PIXELS {
        return Err(PreviewError::TooLarge { width, height });
    }
    Ok(())
}

/// The dimensions in a JPEG's header, without decoding it. `None` for a JPEG that is not a
/// picture we decode: lossless JPEG (in a RAW, that is the sensor data), a damaged header.
#[must_use]
pub fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let header = Decompressor::new().ok()?.read_header(bytes).ok()?;
    if header.is_lossless {
        return None;
    }
    Some((
        u32::try_from(header.width).ok()?,
        u32::try_from(header.height).ok()?,
    ))
}

/// The denominator of the smallest DCT scale (1/8, 1/4, 1/2 or 1) whose output still covers
/// `width`×`height` fitted to `long_edge` (see [`fit`]). Scaled sides round up, as in libjpeg.
#[must_use]
pub fn dct_denominator(width: u32, height: u32, long_edge: u32) -> u32 {
    let (want_w, want_h) = fit(width, height, long_edge);
    DCT_DENOMINATORS
        .into_iter()
        .find(|&d| width.div_ceil(d) >= want_w && height.div_ceil(d) >= want_h)
        .unwrap_or(1)
}

/// Decode a JPEG at the smallest DCT scale whose long edge is still at least `long_edge`
/// (or at full size when the image is smaller). Grey JPEGs come out as RGB; CMYK and YCCK
/// (Adobe) JPEGs are converted naively, without a colour profile.
///
/// # Errors
/// [`PreviewError::Corrupt`] for damaged data (libjpeg-turbo's warnings included, such as a
/// truncated file), [`PreviewError::TooLarge`] past [`MAX_SOURCE_PIXELS`].
pub fn decode_jpeg(bytes: &[u8], long_edge: u32) -> Result<Rgb, PreviewError> {
    let corrupt = |e: turbojpeg::Error| PreviewError::corrupt("JPEG", e);
    let mut decompressor = Decompressor::new().map_err(corrupt)?;
    let header = decompressor.read_header(bytes).map_err(corrupt)?;
    let (width, height) = (
        u32::try_from(header.width).unwrap_or(u32::MAX),
        u32::try_from(header.height).unwrap_or(u32::MAX),
    );
    check_size(width, height)?;
    // Lossless JPEG has no DCT to scale in; its precision decides whether it decodes to 8 bits.
    let denominator = if header.is_lossless {
        1
    } else {
        dct_denominator(width, height, long_edge)
    };
    let scale = ScalingFactor::new(1, denominator as usize);
    decompressor.set_scaling_factor(scale).map_err(corrupt)?;
    let out = header.scaled(scale);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let format = if cmyk {
        PixelFormat::CMYK
    } else {
        PixelFormat::RGB
    };
    let mut image = Image {
        pixels: vec![0; out.width * out.height * format.size()],
        width: out.width,
        pitch: out.width * format.size(),
        height: out.height,
        format,
    };
    decompressor
        .decompress(bytes, image.as_deref_mut())
        .map_err(corrupt)?;
    let pixels = if cmyk {
        // libjpeg hands back CMYK as stored: Adobe's inverted ink, 255 = none. So
        // R = (1 − C)(1 − K) in ink terms is C·K / 255 here.
        image
            .pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                let ch = |c: u8| u8::try_from(u16::from(c) * k / 255).unwrap_or(u8::MAX);
                [ch(p[0]), ch(p[1]), ch(p[2])]
            })
            .collect()
    } else {
        image.pixels
    };
    Ok(Rgb {
        width: u32::try_from(out.width).unwrap_or(u32::MAX),
        height: u32::try_from(out.height).unwrap_or(u32::MAX),
        pixels,
    })
}

/// Decode a PNG to RGB (16-bit reduced to 8, palette expanded, alpha over white).
///
/// # Errors
/// [`PreviewError::Corrupt`] for damaged data, [`PreviewError::TooLarge`] past
/// [`MAX_SOURCE_PIXELS`].
pub fn decode_png(bytes: &[u8]) -> Result<Rgb, PreviewError> {
    let corrupt = |e: png::DecodingError| PreviewError::corrupt("PNG", e);
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(corrupt)?;
    let (width, height) = {
        let info = reader.info();
        (info.width, info.height)
    };
    check_size(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or(PreviewError::TooLarge { width, height })?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(corrupt)?;
    buffer.truncate(frame.buffer_size());
    let over_white = |c: u8, a: u8| {
        let (c, a) = (u16::from(c), u16::from(a));
        u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
    };
    let pixels = match frame.color_type {
        png::ColorType::Rgb => buffer,
        png::ColorType::Rgba => buffer
            .chunks_exact(4)
            .flat_map(|p| {
                [
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]
            })
            .collect(),
        png::ColorType::Grayscale => buffer.iter().flat_map(|&l| [l, l, l]).collect(),
        png::ColorType::GrayscaleAlpha => buffer
            .chunks_exact(2)
            .flat_map(|p| {
                let l = over_white(p[0], p[1]);
                [l, l, l]
            })
            .collect(),
        png::ColorType::Indexed => {
            return Err(PreviewError::corrupt("PNG", "palette was not expanded"));
        }
    };
    Ok(Rgb {
        width,
        height,
        pixels,
    })
}

/// The size of `width`×`height` scaled so its long edge is `long_edge`, never enlarged, each
/// side at least 1.
#[must_use]
pub fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(long_edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_fixtures::{jpeg, png};

    #[test]
    fn fit_keeps_the_aspect_and_never_enlarges() {
        let cases = [
            ((6000, 4000), 400, (400, 267), "landscape 3:2"),
            ((4000, 6000), 400, (267, 400), "portrait 2:3"),
            (
                (300, 200),
                400,
                (300, 200),
                "smaller than the target stays as is",
            ),
            ((10_000, 1), 400, (400, 1), "a sliver keeps one pixel"),
        ];
        for ((w, h), edge, want, why) in cases {
            assert_eq!(fit(w, h, edge), want, "{why}");
        }
    }

    #[test]
    fn jpeg_is_decoded_at_a_reduced_dct_scale() {
        let bytes = jpeg(1600, 800, None);
        let rgb = decode_jpeg(&bytes, 200).expect("a valid JPEG decodes");
        assert_eq!(
            (rgb.width, rgb.height),
            (200, 100),
            "1/8 scale is the smallest that keeps the long edge at 200"
        );
        let rgb = decode_jpeg(&bytes, 1000).expect("a valid JPEG decodes");
        assert_eq!(
            (rgb.width, rgb.height),
            (1600, 800),
            "no DCT scale below 1 keeps 1000 px, so the full size is decoded"
        );
    }

    #[test]
    fn the_dct_scale_is_the_smallest_that_covers_the_size_asked() {
        let cases = [
            ((6000, 4000), 400, 8, "24 MP to a thumbnail: 750×500 at 1/8"),
            (
                (6000, 4000),
                2048,
                2,
                "24 MP to the screen size: 1/4 gives 1500, too small",
            ),
            (
                (6001, 4001),
                400,
                8,
                "scaled sides round up, so 751×501 still covers",
            ),
            (
                (1600, 800),
                1000,
                1,
                "only the full size keeps a 1000 px long edge",
            ),
            (
                (300, 200),
                400,
                1,
                "smaller than the target: decoded as it is",
            ),
            ((800, 1600), 400, 4, "portrait: the long edge is the height"),
        ];
        for ((w, h), edge, want, why) in cases {
            assert_eq!(dct_denominator(w, h, edge), want, "{why}");
        }
    }

    #[test]
    fn grey_cmyk_and_ycck_jpegs_decode_to_rgb() {
        let encode = |pixels: &[u8], colour| {
            let mut out = Vec::new();
            jpeg_encoder::Encoder::new(&mut out, 95)
                .encode(pixels, 16, 16, colour)
                .expect("encoding to memory cannot fail");
            out
        };
        // jpeg-encoder takes ink amounts (0 = none) and writes them Adobe-inverted.
        let red_ink = [0_u8, 255, 255, 0].repeat(16 * 16);
        let cases = [
            (
                "grey",
                encode(&[100; 16 * 16], jpeg_encoder::ColorType::Luma),
                [100, 100, 100],
            ),
            (
                "CMYK",
                encode(&red_ink, jpeg_encoder::ColorType::Cmyk),
                [255, 0, 0],
            ),
            (
                "YCCK",
                encode(&red_ink, jpeg_encoder::ColorType::CmykAsYcck),
                [255, 0, 0],
            ),
        ];
        for (why, bytes, want) in cases {
            let rgb = decode_jpeg(&bytes, 16).unwrap_or_else(|e| panic!("{why}: {e}"));
            assert_eq!((rgb.width, rgb.height), (16, 16), "{why}: full size");
            assert_eq!(rgb.pixels.len(), 16 * 16 * 3, "{why}: three bytes a pixel");
            let got = rgb.pixel(8, 8).expect("in bounds");
            assert!(
                got.iter().zip(want).all(|(g, w)| g.abs_diff(w) < 12),
                "{why}: {got:?} should be near {want:?}"
            );
        }
    }

    #[test]
    fn lossless_jpeg_decodes_at_full_size_and_is_no_raw_preview() {
        let pixels = lightbox_fixtures::marked_rgb(64, 32);
        let mut compressor = turbojpeg::Compressor::new().expect("a compressor");
        compressor
            .set_lossless(true)
            .expect("lossless is supported");
        let bytes = compressor
            .compress_to_vec(Image {
                pixels: pixels.as_slice(),
                width: 64,
                pitch: 64 * 3,
                height: 32,
                format: PixelFormat::RGB,
            })
            .expect("encoding to memory cannot fail");
        assert_eq!(
            jpeg_dimensions(&bytes),
            None,
            "a lossless JPEG in a RAW is its sensor data, never the preview"
        );
        let rgb = decode_jpeg(&bytes, 8).expect("8-bit lossless decodes");
        assert!(
            (rgb.width, rgb.height) == (64, 32) && rgb.pixels == pixels,
            "lossless JPEG has no DCT to scale in: full size, every byte back"
        );
    }

    #[test]
    fn png_with_alpha_decodes_to_rgb() {
        let rgb = decode_png(&png(40, 20)).expect("a valid PNG decodes");
        assert_eq!(
            (rgb.width, rgb.height),
            (40, 20),
            "PNG has no scaled decode"
        );
        assert_eq!(
            rgb.pixels.len(),
            40 * 20 * 3,
            "alpha is dropped after compositing"
        );
    }
}
