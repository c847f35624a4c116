//! Pieces the benchmarks share.

/// A cheap deterministic walk over 0..n (an LCG), so that every iteration
/// names a different key or member without a random-number crate.
pub struct Walk(pub u64);

impl Walk {
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((self.0 >> 33) % n as u64) as usize
    }
}
