//! The random numbers the families draw (RANDOMKEY, HRANDFIELD, SPOP,
//! SRANDMEMBER, ZRANDMEMBER): uniform, not unpredictable.

use std::hash::{BuildHasher, Hasher};

/// splitmix64, seeded afresh for each request.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Rng {
        // Each RandomState has fresh keys: a fresh seed per call, with the
        // time mixed in for good measure.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos()));
        Rng(h.finish())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 for `n` = 0): a multiply, not a modulo, so no
    /// bias worth the name.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}
