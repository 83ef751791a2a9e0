//! The iterative allocation cursor shared by DHCPv4 and DHCPv6 pools.
//!
//! Each pool has a cursor that only moves forward (wrapping at the pool's
//! end): successive clients get successive candidates without rescanning
//! the pool from its start, and several worker threads never get the same
//! candidate at the same time. Callers check each candidate for being free.
//!
//! Servers sharing a lease database ("spread" cursors) start at a random
//! place of each pool and jump to another random place the first time a
//! search meets an address taken by someone else, so that two servers do
//! not walk a pool in lockstep offering the same addresses (which is what
//! makes Kea servers on one database NAK each other's clients). Those
//! random places are drawn from the caller's [`Rng`]: the same seed gives
//! the same places.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::rng::Rng;

/// How many candidates one search may look at one by one (each costs a
/// lease lookup: a lock, or a database round trip): 2^20.
pub const LOOKUP_LIMIT: u64 = 1 << 20;

/// A pool's position.
#[derive(Debug, Default)]
pub struct Cursor(AtomicU64);

/// What a search callback says of one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    /// Usable: the search ends with it.
    Free,
    /// Held by another client (or server).
    Taken,
    /// Taken, and so are the next `n - 1` candidates (a block the store
    /// knows is full): the search moves past all `n` at the cost of one.
    TakenRun(u64),
    /// Never usable (reserved, network address, ...).
    Skip,
}

impl Cursor {
    /// A new cursor: at the pool's start, or with `spread` (a spread
    /// cursor), at a place drawn from that generator.
    pub fn new(spread: Option<&Rng>) -> Cursor {
        match spread {
            Some(rng) => Cursor(AtomicU64::new(rng.next_u64())),
            None => Cursor::default(),
        }
    }

    /// Moves to a place drawn from `rng` (spread cursors that met another
    /// server's search).
    pub fn jump(&self, rng: &Rng) {
        self.0.store(rng.next_u64(), Ordering::Relaxed);
    }

    /// Looks for a usable candidate in a pool of `size`: the offset of the
    /// first one `check` calls [`Candidate::Free`]. The search ends after
    /// one lap of the pool (a [`Candidate::TakenRun`] covers its run), after
    /// [`Cursor::search_limit`] candidates, or after [`LOOKUP_LIMIT`]
    /// candidates looked at one by one (not runs), whichever comes first:
    /// a whole /8 of full blocks is stepped over, but a pool walked address
    /// by address costs at most that many lookups per message. With
    /// `spread`, the first taken candidate sends the cursor once to a place
    /// drawn from that generator (and the search starts again from there).
    pub fn search(
        &self,
        size: u128,
        spread: Option<&Rng>,
        mut check: impl FnMut(u128) -> Option<Candidate>,
    ) -> Option<u128> {
        let mut budget = Cursor::search_limit(size);
        let mut lookups = LOOKUP_LIMIT;
        let mut covered: u128 = 0;
        // The generator of the one jump still allowed (spread cursors).
        let mut jump = spread;
        while budget > 0 && lookups > 0 && covered < size {
            budget -= 1;
            let off = self.next(size);
            let c = check(off)?;
            match c {
                Candidate::TakenRun(n) => covered += u128::from(n.max(1)),
                _ => {
                    covered += 1;
                    lookups -= 1;
                }
            }
            match (c, jump) {
                (Candidate::Free, _) => return Some(off),
                (Candidate::Taken | Candidate::TakenRun(_), Some(rng)) => {
                    jump = None;
                    self.jump(rng);
                    budget = Cursor::search_limit(size);
                    lookups = LOOKUP_LIMIT;
                    covered = 0;
                }
                (Candidate::TakenRun(n), None) => self.skip(n.saturating_sub(1)),
                (Candidate::Taken | Candidate::Skip, _) => {}
            }
        }
        None
    }

    /// Moves `n` candidates ahead without looking at them.
    pub fn skip(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The next offset into a pool of `size` addresses (or prefixes).
    pub fn next(&self, size: u128) -> u128 {
        if size == 0 {
            return 0;
        }
        u128::from(self.0.fetch_add(1, Ordering::Relaxed)) % size
    }

    /// How many candidates a full search of a pool of `size` may look at:
    /// all of any IPv4 pool up to a /8 (a DHCPv4 client must not be told
    /// the pool is full when it is not), a bounded number of a huge IPv6
    /// pool, where a free address is found quickly unless something is
    /// badly wrong.
    pub fn search_limit(size: u128) -> u64 {
        u64::try_from(size).unwrap_or(u64::MAX).min(1 << 24)
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
    fn spread_cursors_start_apart_and_search_everything() {
        let rng = Rng::new(1);
        let starts: std::collections::BTreeSet<u128> =
            (0..8).map(|_| Cursor::new(Some(&rng)).next(1000)).collect();
        assert!(starts.len() >= 6, "random starts: {starts:?}");
        // A search that meets a taken candidate jumps once and still finds
        // the only free offset, wherever it is.
        for free in [0u128, 5, 9] {
            let c = Cursor::new(Some(&rng));
            let got = c.search(10, Some(&rng), |o| {
                Some(if o == free {
                    Candidate::Free
                } else {
                    Candidate::Taken
                })
            });
            assert_eq!(got, Some(free));
        }
        let c = Cursor::default();
        assert_eq!(c.search(4, None, |_| Some(Candidate::Taken)), None);
        assert_eq!(
            c.search(4, None, |o| Some(if o == 2 {
                Candidate::Free
            } else {
                Candidate::Skip
            })),
            Some(2)
        );
    }

    /// A run of taken candidates costs one step of the search budget, and
    /// the search goes on right after it.
    #[test]
    fn a_taken_run_is_skipped_whole() {
        let c = Cursor::default();
        let mut looked = Vec::new();
        let got = c.search(1000, None, |o| {
            looked.push(o);
            Some(match o {
                0 | 256 => Candidate::TakenRun(256),
                o if o < 600 => Candidate::Taken,
                _ => Candidate::Free,
            })
        });
        assert_eq!(got, Some(600));
        assert_eq!(&looked[..3], &[0, 256, 512]);
        assert_eq!(looked.len(), 3 + (600 - 512));
    }

    #[test]
    fn wraps_and_advances() {
        let c = Cursor::default();
        let got: Vec<u128> = (0..5).map(|_| c.next(3)).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1]);
        assert_eq!(Cursor::search_limit(10), 10);
        assert_eq!(Cursor::search_limit(u128::MAX), 1 << 24);
    }
}
