//! Decoding to 8-bit RGB. JPEG uses shrink-on-load: `jpeg-decoder`'s `scale` runs a reduced
//! IDCT (1/2, 1/4 or 1/8 in the DCT domain, as libjpeg's `scale_denom` that libvips uses), so a
//! 24 MP photo decodes straight to ~750×500 for a 400 px thumbnail instead of to 24 MP.

use std::io::Cursor;

use jpeg_decoder::PixelFormat;

use super::PreviewError;

/// The most pixels a source may have (a 200 MP image); a header claiming more is refused
/// before any allocation.
pub const MAX_SOURCE_PIXELS: u64 = 200_000_000;

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

/// The dimensions in a JPEG's header, without decoding it. `None` for an 8-bit colour or grey
/// JPEG we cannot decode (lossless 16-bit raw data, a damaged header).
#[must_use]
pub fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    matches!(
        info.pixel_format,
        PixelFormat::RGB24 | PixelFormat::L8 | PixelFormat::CMYK32
    )
    .then_some((u32::from(info.width), u32::from(info.height)))
}

/// Decode a JPEG at the smallest DCT scale whose long edge is still at least `long_edge`
/// (or at full size when the image is smaller).
///
/// # Errors
/// [`PreviewError::Corrupt`] for damaged data, [`PreviewError::TooLarge`] past
/// [`MAX_SOURCE_PIXELS`].
pub fn decode_jpeg(bytes: &[u8], long_edge: u32) -> Result<Rgb, PreviewError> {
    let corrupt = |e: jpeg_decoder::Error| PreviewError::corrupt("JPEG", e);
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(corrupt)?;
    let info = decoder
        .info()
        .ok_or_else(|| PreviewError::corrupt("JPEG", "no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_size(width, height)?;
    let (want_w, want_h) = fit(width, height, long_edge);
    let (out_w, out_h) = decoder
        .scale(
            u16::try_from(want_w).unwrap_or(u16::MAX),
            u16::try_from(want_h).unwrap_or(u16::MAX),
        )
        .map_err(corrupt)?;
    let data = decoder.decode().map_err(corrupt)?;
    let pixels = match info.pixel_format {
        PixelFormat::RGB24 => data,
        PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        PixelFormat::CMYK32 => data
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(255 - p[3]);
                let ch = |c: u8| u8::try_from(u16::from(255 - c) * k / 255).unwrap_or(u8::MAX);
                [ch(p[0]), ch(p[1]), ch(p[2])]
            })
            .collect(),
        PixelFormat::L16 => {
            return Err(PreviewError::corrupt(
                "JPEG",
                "16-bit lossless JPEG is raw sensor data, not a picture",
            ));
        }
    };
    let rgb = Rgb {
        width: u32::from(out_w),
        height: u32::from(out_h),
        pixels,
    };
    if rgb.pixels.len() < rgb.width as usize * rgb.height as usize * 3 {
        return Err(PreviewError::corrupt(
            "JPEG",
            "fewer pixels than the header says",
        ));
    }
    Ok(rgb)
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
    use lightbox_tests::image_fixtures::{jpeg, png};

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
