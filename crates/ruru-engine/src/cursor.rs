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

/// How many candidates a random search ([`Cursor::search_random`]) looks
/// at before the caller falls back to the iterative search: with a tenth
/// of the pool free, one search in 10^6 gets that far.
pub const RANDOM_TRIES: u64 = 128;

/// A pool's position.
#[derive(Debug, Default)]
pub struct Cursor {
    /// The iterative position.
    pos: AtomicU64,
    /// The random allocator's position: how many candidates of its
    /// permutations were handed out.
    shuffled: AtomicU64,
    /// The random allocator's key (drawn once, see [`Cursor::with_key`]);
    /// 0: the pool is searched iteratively only.
    key: AtomicU64,
}

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
            Some(rng) => Cursor {
                pos: AtomicU64::new(rng.next_u64()),
                ..Cursor::default()
            },
            None => Cursor::default(),
        }
    }

    /// The cursor of a pool of Kea's random allocator: its permutations
    /// are keyed by a number drawn from `rng`.
    pub fn with_key(self, rng: &Rng) -> Cursor {
        self.key.store(rng.next_u64() | 1, Ordering::Relaxed);
        self
    }

    /// Kea's random allocator: the next candidates of a pseudo-random
    /// permutation of the pool's `size` offsets, until `check` calls one
    /// [`Candidate::Free`] or [`RANDOM_TRIES`] were looked at (`None`:
    /// the caller falls back to [`Cursor::search`], so that a nearly full
    /// pool is still searched at the cost of a scan, with its block
    /// steps). Successive searches walk one permutation to its end, so
    /// that every offset is offered once before any is offered again; each
    /// lap of the pool has a permutation of its own.
    pub fn search_random(
        &self,
        size: u128,
        mut check: impl FnMut(u128) -> Option<Candidate>,
    ) -> Option<u128> {
        if size == 0 {
            return None;
        }
        let key = self.key.load(Ordering::Relaxed);
        let tries = u64::try_from(size).unwrap_or(u64::MAX).min(RANDOM_TRIES);
        for _ in 0..tries {
            let n = u128::from(self.shuffled.fetch_add(1, Ordering::Relaxed));
            let (lap, i) = (n / size, n % size);
            let lap_key = key ^ (lap as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let off = shuffle(i, size, lap_key);
            if check(off)? == Candidate::Free {
                return Some(off);
            }
        }
        None
    }

    /// Moves to a place drawn from `rng` (spread cursors that met another
    /// server's search).
    pub fn jump(&self, rng: &Rng) {
        self.pos.store(rng.next_u64(), Ordering::Relaxed);
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
        self.pos.fetch_add(n, Ordering::Relaxed);
    }

    /// The offset [`Cursor::next`] would give now, without moving (another
    /// thread's search may move first: a guess, to be checked).
    pub fn peek(&self, size: u128) -> u128 {
        if size == 0 {
            return 0;
        }
        u128::from(self.pos.load(Ordering::Relaxed)) % size
    }

    /// The next offset into a pool of `size` addresses (or prefixes).
    pub fn next(&self, size: u128) -> u128 {
        if size == 0 {
            return 0;
        }
        u128::from(self.pos.fetch_add(1, Ordering::Relaxed)) % size
    }

    /// How many candidates a full search of a pool of `size` may look at:
    /// all of any IPv4 pool up to a /8 (a DHCPv4 client must not be told
    /// the pool is full when it is not), a bounded number of a huge IPv6
    /// pool, where a free address is found quickly unless something is
    /// badly wrong.
    pub fn search_limit(size: u128) -> u64 {
        u64::try_from(size).unwrap_or(u64::MAX).min(1 << 24)
    }

    /// Takes over another cursor's position (same pool after a reload),
    /// and its random permutations when both are random.
    pub fn continue_from(&self, other: &Cursor) {
        self.pos
            .store(other.pos.load(Ordering::Relaxed), Ordering::Relaxed);
        let key = other.key.load(Ordering::Relaxed);
        if key != 0 && self.key.load(Ordering::Relaxed) != 0 {
            self.key.store(key, Ordering::Relaxed);
            self.shuffled
                .store(other.shuffled.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// The place of `i` in a pseudo-random permutation of `0..size` keyed by
/// `key`: a four-round Feistel network on the smallest even number of
/// bits that holds `size`, applied again to a result out of range (cycle
/// walking: a bijection of `0..size`, with fewer than four rounds of
/// walking on average since the domain is less than four times `size`).
pub(crate) fn shuffle(i: u128, size: u128, key: u64) -> u128 {
    let bits = 128 - (size - 1).leading_zeros();
    let half = bits.div_ceil(2).max(1);
    let mask: u128 = if half >= 64 {
        u128::from(u64::MAX)
    } else {
        (1u128 << half) - 1
    };
    let mut x = i;
    loop {
        let (mut l, mut r) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = u128::from(mix(r as u64 ^ key.wrapping_add(round))) & mask;
            (l, r) = (r, l ^ f);
        }
        x = (l << half) | r;
        if x < size {
            return x;
        }
    }
}

/// SplitMix64's output function: a good 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

    /// Each lap of the pool offers every offset once, in an order of its
    /// own that is not the pool's.
    #[test]
    fn random_search_offers_each_offset_once_per_lap() {
        for size in [1u128, 2, 3, 7, 64, 100, 1000, 4097] {
            let c = Cursor::default().with_key(&Rng::new(9));
            let mut seen = Vec::new();
            for _ in 0..size {
                let got = c.search_random(size, |_| Some(Candidate::Free));
                seen.push(got.unwrap());
            }
            let mut sorted = seen.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..size).collect::<Vec<_>>(), "size {size}");
            if size >= 64 {
                assert_ne!(seen, sorted, "not in pool order");
                let next: Vec<u128> = (0..size)
                    .map(|_| c.search_random(size, |_| Some(Candidate::Free)).unwrap())
                    .collect();
                assert_ne!(next, seen, "a new permutation per lap");
            }
        }
        // A huge IPv6 pool: in range, no panic.
        let c = Cursor::default().with_key(&Rng::new(1));
        let big = 1u128 << 64;
        let got = c.search_random(big, |_| Some(Candidate::Free)).unwrap();
        assert!(got < big);
        let got = c
            .search_random(u128::MAX, |_| Some(Candidate::Free))
            .unwrap();
        assert!(got < u128::MAX);
    }

    /// Taken candidates are passed over; a pool nearly full gives up
    /// after RANDOM_TRIES (the caller then scans).
    #[test]
    fn random_search_passes_taken_and_gives_up() {
        let c = Cursor::default().with_key(&Rng::new(3));
        let got = c.search_random(10, |o| {
            Some(if o == 4 {
                Candidate::Free
            } else {
                Candidate::Taken
            })
        });
        assert_eq!(got, Some(4));
        let mut looked = 0;
        let got = c.search_random(100_000, |o| {
            looked += 1;
            Some(if o == 99_999 {
                Candidate::Free
            } else {
                Candidate::Taken
            })
        });
        assert!(got.is_none() || got == Some(99_999));
        assert!(looked <= RANDOM_TRIES);
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
