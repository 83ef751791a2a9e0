//! The iterative allocation cursor shared by DHCPv4 and DHCPv6 pools.
//!
//! Each pool has a cursor that only moves forward (wrapping at the pool's
//! end): successive clients get successive candidates without rescanning
//! the pool from its start, and several worker threads never get the same
//! candidate at the same time. Callers check each candidate for being free.

use std::sync::atomic::{AtomicU64, Ordering};

/// A pool's position.
#[derive(Debug, Default)]
pub struct Cursor(AtomicU64);

impl Cursor {
    /// The next offset into a pool of `size` addresses (or prefixes).
    pub fn next(&self, size: u128) -> u128 {
        if size == 0 {
            return 0;
        }
        u128::from(self.0.fetch_add(1, Ordering::Relaxed)) % size
    }

    /// How many candidates a full search of a pool of `size` may look at
    /// (all of a small pool; a bounded number of a huge IPv6 pool, where a
    /// free address is found quickly unless something is badly wrong).
    pub fn search_limit(size: u128) -> u64 {
        u64::try_from(size).unwrap_or(u64::MAX).min(1 << 20)
    }

    /// Takes over another cursor's position (same pool after a reload).
    pub fn continue_from(&self, other: &Cursor) {
        self.0
            .store(other.0.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_advances() {
        let c = Cursor::default();
        let got: Vec<u128> = (0..5).map(|_| c.next(3)).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1]);
        assert_eq!(Cursor::search_limit(10), 10);
        assert_eq!(Cursor::search_limit(u128::MAX), 1 << 20);
    }
}
