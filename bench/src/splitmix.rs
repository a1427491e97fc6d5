//! SplitMix64: a tiny pseudo-random generator whose stream is fixed forever (unlike `rand`'s
//! generators, which may change between versions), so generated datasets are the same bytes on
//! every run and machine.

/// The generator's state.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    #[allow(
        clippy::cast_precision_loss,
        reason = "24 random bits fit an f32 exactly"
    )]
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Fill `buf` with random bytes (its length a multiple of 8; a tail is left as it is).
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_fixed() {
        // The first output for seed 0, as published with the algorithm.
        assert_eq!(SplitMix(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let u = SplitMix(7).unit();
        assert!((0.0..1.0).contains(&u));
    }
}
