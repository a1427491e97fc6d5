//! EXIF orientation applied to pixels, so previews are upright without the viewer's help.

use super::decode::Rgb;

/// `image` turned upright according to EXIF `orientation` (1..=8; anything else is 1).
///
/// 2: mirrored; 3: rotated 180°; 4: flipped vertically; 5: transposed; 6: needs 90° clockwise;
/// 7: transversed; 8: needs 90° counter-clockwise.
#[must_use]
pub fn apply_orientation(image: Rgb, orientation: u8) -> Rgb {
    if !(2..=8).contains(&orientation) {
        return image;
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let swaps = orientation >= 5;
    let (out_w, out_h) = if swaps { (h, w) } else { (w, h) };
    let mut pixels = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            // Where the source pixel (x, y) lands in the upright image.
            let (nx, ny) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (h - 1 - y, x),
                7 => (h - 1 - y, w - 1 - x),
                _ => (y, w - 1 - x),
            };
            let from = (y * w + x) * 3;
            let to = (ny * out_w + nx) * 3;
            pixels[to..to + 3].copy_from_slice(&image.pixels[from..from + 3]);
        }
    }
    Rgb {
        width: u32::try_from(out_w).unwrap_or(u32::MAX),
        height: u32::try_from(out_h).unwrap_or(u32::MAX),
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 image: red at the left, blue at the right.
    fn two_pixels() -> Rgb {
        Rgb {
            width: 2,
            height: 1,
            pixels: vec![255, 0, 0, 0, 0, 255],
        }
    }

    #[test]
    fn each_orientation_moves_the_left_pixel_where_exif_says() {
        let red = [255, 0, 0];
        // (orientation, upright size, where the red (top-left source) pixel lands, why)
        let cases = [
            (1, (2, 1), (0, 0), "upright stays"),
            (2, (2, 1), (1, 0), "mirror: left goes right"),
            (3, (2, 1), (1, 0), "180°: top-left goes bottom-right"),
            (
                4,
                (2, 1),
                (0, 0),
                "vertical flip of one row changes nothing",
            ),
            (
                5,
                (1, 2),
                (0, 0),
                "transpose: the row becomes a column, top-left stays",
            ),
            (
                6,
                (1, 2),
                (0, 0),
                "90° clockwise: top-left goes top-right (of a 1-wide image)",
            ),
            (7, (1, 2), (0, 1), "transverse: top-left goes bottom-right"),
            (
                8,
                (1, 2),
                (0, 1),
                "90° counter-clockwise: top-left goes bottom-left",
            ),
            (9, (2, 1), (0, 0), "an invalid value is treated as upright"),
        ];
        for (orientation, size, (x, y), why) in cases {
            let out = apply_orientation(two_pixels(), orientation);
            assert_eq!((out.width, out.height), size, "{why}");
            assert_eq!(out.pixel(x, y), Some(red), "{why}");
        }
    }
}
