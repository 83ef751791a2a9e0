//! The engine's only source of randomness: a small deterministic generator
//! that the caller seeds.
//!
//! The engine never seeds anything itself (no clock, no OS randomness):
//! the server seeds one [`Rng`] from its own randomness at start and hands
//! it in through the engine options; tests pass a fixed seed, so that the
//! same seed and the same exchanges give the same decisions (replay).
//!
//! Today the only user is the pool cursor ([`crate::cursor`]): servers that
//! share a lease database start each pool search at a random place and
//! jump to another one when they meet another server's lease. That needs
//! numbers that differ between servers, not secret ones: SplitMix64 is
//! enough, and one atomic add per number lets worker threads share it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The SplitMix64 increment (2^64 divided by the golden ratio, made odd).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// A SplitMix64 generator (Steele, Lea and Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) whose state is an atomic
/// counter: shared by reference between threads, every call gets its own
/// number. From one thread, the sequence depends only on the seed.
///
/// Not for secrets (it is predictable from one output).
#[derive(Debug)]
pub struct Rng(AtomicU64);

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng(AtomicU64::new(seed))
    }

    /// The next number of the sequence.
    pub fn next_u64(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(GAMMA, Ordering::Relaxed)
            .wrapping_add(GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first outputs of SplitMix64 for seed 1234567, as the
    /// Rosetta Code task "Pseudo-random numbers/Splitmix64" lists them.
    #[test]
    fn splitmix64_reference_vector() {
        let r = Rng::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn same_seed_same_sequence_other_seed_other_sequence() {
        let (a, b, c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let sa: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let sb: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let sc: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }
}
