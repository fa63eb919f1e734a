//! A tiny seeded xorshift64* generator. Every random scheduling choice (victim selection)
//! draws from one of these, seeded from `Config::seed`, so a run is reproducible.
//! Owned by one worker; not shared.

use std::cell::Cell;

/// xorshift64*: small, fast, good enough for picking victims.
pub(crate) struct Rng(Cell<u64>);

impl Rng {
    /// A generator for stream `stream` (e.g. a worker index) of `seed`.
    pub(crate) fn new(seed: u64, stream: u64) -> Rng {
        // splitmix64 of (seed, stream) so nearby seeds and streams diverge; never zero.
        let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(Cell::new(z | 1))
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a = Rng::new(7, 1);
        let b = Rng::new(7, 1);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let c = Rng::new(7, 2);
        assert_ne!(Rng::new(7, 1).next_u64(), c.next_u64());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let r = Rng::new(1, 0);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.below(5);
            assert!(v < 5);
            seen[v] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
