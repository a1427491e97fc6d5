//! Deterministic photo-like JPEGs for the thumbnail race: smooth gradients, soft shaded shapes
//! with hard edges, fine texture and sensor grain, so the JPEG sizes (and the entropy decoder's
//! work) look like a camera's: a 24 MP file is several MB. Some carry an EXIF orientation.
//! Encoded with `jpeg-encoder` (the encoder Lightbox uses) at q92, 4:2:2 like most cameras.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::splitmix::SplitMix;

/// How the set is made: the same numbers give the same bytes on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSet {
    pub count: usize,
    pub width: u16,
    pub height: u16,
}

/// The EXIF orientation photo `n` carries: every 7th is a portrait shot turned by the
/// camera (6: rotate 90° clockwise to view), every 11th is turned the other way (8);
/// the rest have no EXIF.
#[must_use]
pub fn orientation_of(n: usize) -> Option<u16> {
    if n % 7 == 3 {
        Some(6)
    } else if n % 11 == 5 {
        Some(8)
    } else {
        None
    }
}

/// The set's JPEGs under `root/photos-v1-<W>x<H>/`, written once (in parallel on `threads`) and
/// reused while present.
///
/// # Errors
/// When a file cannot be written or encoded.
pub fn ensure(root: &Path, set: PhotoSet, threads: usize) -> Result<Vec<PathBuf>> {
    let dir = root.join(format!("photos-v1-{}x{}", set.width, set.height));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let paths: Vec<PathBuf> = (0..set.count)
        .map(|n| dir.join(format!("IMG_{n:04}.JPG")))
        .collect();
    let missing: Vec<usize> = (0..set.count).filter(|&n| !paths[n].exists()).collect();
    if !missing.is_empty() {
        eprintln!(
            "writing {} photo-like JPEGs of {}×{} under {}",
            missing.len(),
            set.width,
            set.height,
            dir.display()
        );
    }
    let threads = threads.max(1);
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (missing, paths) = (&missing, &paths);
                scope.spawn(move || -> Result<()> {
                    for &n in missing.iter().skip(t).step_by(threads) {
                        write_photo(&paths[n], set, n)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a JPEG writer panicked"))??;
        }
        Ok(())
    })?;
    Ok(paths)
}

fn write_photo(path: &Path, set: PhotoSet, n: usize) -> Result<()> {
    let pixels = photo_pixels(set.width, set.height, n as u64);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_1);
    if let Some(orientation) = orientation_of(n) {
        encoder.add_app_segment(1, &lightbox_fixtures::exif_orientation(orientation))?;
    }
    encoder.encode(&pixels, set.width, set.height, jpeg_encoder::ColorType::Rgb)?;
    let partial = path.with_extension("part");
    std::fs::write(&partial, &out).with_context(|| format!("write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("rename to {}", path.display()))?;
    Ok(())
}

/// A grid of random values, read back with bilinear interpolation: value noise at one scale.
struct ValueNoise {
    cell: f32,
    cols: usize,
    values: Vec<f32>,
}

impl ValueNoise {
    fn new(width: u32, height: u32, cell: u32, rng: &mut SplitMix) -> Self {
        let cols = (width / cell + 2) as usize;
        let rows = (height / cell + 2) as usize;
        let values = (0..cols * rows).map(|_| rng.unit() * 2.0 - 1.0).collect();
        #[allow(clippy::cast_precision_loss, reason = "small cell sizes")]
        Self {
            cell: cell as f32,
            cols,
            values,
        }
    }

    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "non-negative coordinates inside the grid"
    )]
    fn at(&self, x: f32, y: f32) -> f32 {
        let (gx, gy) = (x / self.cell, y / self.cell);
        let (ix, iy) = (gx as usize, gy as usize);
        let (fx, fy) = (gx - ix as f32, gy - iy as f32);
        let v = |c: usize, r: usize| self.values[r * self.cols + c];
        let top = v(ix, iy) + (v(ix + 1, iy) - v(ix, iy)) * fx;
        let bottom = v(ix, iy + 1) + (v(ix + 1, iy + 1) - v(ix, iy + 1)) * fx;
        top + (bottom - top) * fy
    }
}

/// A soft shaded ellipse: an object in the scene.
struct Blob {
    cx: f32,
    cy: f32,
    rx: f32,
    ry: f32,
    colour: [f32; 3],
}

/// RGB pixels of photo `seed`: sky-to-ground gradient, shaded ellipses, value-noise texture at
/// three scales and per-pixel grain.
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss,
    reason = "pixel arithmetic on small, clamped values"
)]
pub fn photo_pixels(width: u16, height: u16, seed: u64) -> Vec<u8> {
    let (w, h) = (u32::from(width), u32::from(height));
    let mut rng = SplitMix(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5EED);
    let sky = [
        90.0 + 80.0 * rng.unit(),
        120.0 + 70.0 * rng.unit(),
        170.0 + 70.0 * rng.unit(),
    ];
    let ground = [
        60.0 + 90.0 * rng.unit(),
        50.0 + 70.0 * rng.unit(),
        30.0 + 50.0 * rng.unit(),
    ];
    let horizon = 0.35 + 0.3 * rng.unit();
    let blobs: Vec<Blob> = (0..14)
        .map(|_| Blob {
            cx: rng.unit() * w as f32,
            cy: rng.unit() * h as f32,
            rx: (0.03 + 0.15 * rng.unit()) * w as f32,
            ry: (0.03 + 0.2 * rng.unit()) * h as f32,
            colour: [255.0 * rng.unit(), 255.0 * rng.unit(), 255.0 * rng.unit()],
        })
        .collect();
    let broad = ValueNoise::new(w, h, w.max(64) / 16, &mut rng);
    let mid = ValueNoise::new(w, h, 24, &mut rng);
    let fine = ValueNoise::new(w, h, 4, &mut rng);
    let mut grain = SplitMix(seed ^ 0x6A09_E667_F3BC_C908);
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        let fy = y as f32;
        let t = fy / h as f32;
        let below = t > horizon;
        for x in 0..w {
            let fx = x as f32;
            let mut rgb = if below {
                let d = (t - horizon) / (1.0 - horizon);
                [
                    ground[0] * (1.0 - 0.4 * d),
                    ground[1] * (1.0 - 0.4 * d),
                    ground[2] * (1.0 - 0.3 * d),
                ]
            } else {
                let d = t / horizon;
                [sky[0] + 40.0 * d, sky[1] + 30.0 * d, sky[2] - 20.0 * d]
            };
            for blob in &blobs {
                let (dx, dy) = ((fx - blob.cx) / blob.rx, (fy - blob.cy) / blob.ry);
                let r2 = dx * dx + dy * dy;
                if r2 < 1.0 {
                    let shade = 1.0 - 0.5 * r2 - 0.25 * dx;
                    rgb = [
                        blob.colour[0] * shade,
                        blob.colour[1] * shade,
                        blob.colour[2] * shade,
                    ];
                }
            }
            let texture = 28.0 * broad.at(fx, fy) + 14.0 * mid.at(fx, fy) + 10.0 * fine.at(fx, fy);
            let g = grain.next_u64();
            let luma_grain = ((g & 0xFF) as f32 - 127.5) / 16.0;
            for (c, value) in rgb.iter().enumerate() {
                let chroma_grain = (((g >> (8 + 8 * c)) & 0x0F) as f32 - 7.5) / 4.0;
                let v = value + texture + luma_grain + chroma_grain;
                pixels.push(v.clamp(0.0, 255.0) as u8);
            }
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_photo_and_others_differ() {
        let a = photo_pixels(96, 64, 1);
        assert_eq!(a, photo_pixels(96, 64, 1), "deterministic");
        assert_ne!(a, photo_pixels(96, 64, 2), "another seed, another photo");
        assert_eq!(a.len(), 96 * 64 * 3);
    }

    #[test]
    fn some_photos_carry_an_exif_orientation() {
        let turned: Vec<usize> = (0..30).filter(|&n| orientation_of(n).is_some()).collect();
        assert_eq!(
            turned,
            [3, 5, 10, 16, 17, 24, 27],
            "every 7th and every 11th"
        );
    }
}
