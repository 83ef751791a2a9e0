//! Kea's free lease queue allocator (`"allocator": "flq"` in DHCPv4,
//! `"pd-allocator": "flq"` in DHCPv6), shared by both families.
//!
//! Kea keeps, per pool, a queue of the addresses (or prefixes) free of an
//! active lease, filled in a random order when the configuration loads
//! and kept up to date by callbacks of its lease manager: an allocated
//! lease leaves the queue, a released or reclaimed one joins its back. An
//! offer takes the queue's front and moves it to the back, so a search
//! costs the same in a full pool as in an empty one.
//!
//! ruru's lease stores have no such callbacks; the store stays the truth
//! and the queue follows it:
//! - the queue is filled on the pool's first search, by one pass over the
//!   pool in a pseudo-random order (the permutation of [`crate::cursor`]),
//!   with what is free then;
//! - an offer takes the front; if the store says it is taken now, it
//!   leaves the queue and the next one is tried, else it moves to the back
//!   and is offered;
//! - once as many offers as the queue held after its last pass were made
//!   (one rotation), or when the queue runs empty, another pass puts what
//!   became free since (released, reclaimed, deleted) at the back, in a
//!   new random order. A freed address thus comes back within one
//!   rotation, where Kea puts it back at once (also behind the whole
//!   queue). A pass costs a lookup per pool address, once per rotation.
//!
//! Pools larger than [`MAX_FLQ_POOL`] are not queued (the caller searches
//! them with the random allocator), as the queue's memory grows with the
//! pool; Kea advises against FLQ for such pools too.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::cursor::{shuffle, Candidate};
use crate::rng::Rng;

/// The largest pool with a free lease queue: 2^24 addresses (a /8), whose
/// queue takes at most 64 MiB and its membership bits 2 MiB.
pub const MAX_FLQ_POOL: u128 = 1 << 24;

/// One pool's free lease queue.
#[derive(Debug)]
pub struct FreeQueue {
    state: Mutex<State>,
    /// Keys the permutations of the passes.
    key: u64,
}

#[derive(Debug, Default)]
struct State {
    /// Free offsets, the next offer first.
    queue: VecDeque<u32>,
    /// Bit `o`: offset `o` is in `queue`.
    member: Vec<u64>,
    /// Passes over the pool so far.
    passes: u64,
    /// Offers since the last pass.
    offers: usize,
    /// The queue's length after the last pass (one rotation).
    rotation: usize,
}

impl State {
    fn has(&self, o: u32) -> bool {
        self.member
            .get((o / 64) as usize)
            .is_some_and(|w| w & (1 << (o % 64)) != 0)
    }
    fn set(&mut self, o: u32, on: bool) {
        if let Some(w) = self.member.get_mut((o / 64) as usize) {
            if on {
                *w |= 1 << (o % 64);
            } else {
                *w &= !(1 << (o % 64));
            }
        }
    }
}

impl FreeQueue {
    /// An empty queue, filled at its first search; its passes' orders are
    /// keyed from `rng`.
    pub fn new(rng: &Rng) -> FreeQueue {
        FreeQueue {
            state: Mutex::new(State::default()),
            key: rng.next_u64(),
        }
    }

    /// The next free offset of a pool of `size` (see the module): `free`
    /// says what the store holds at an offset now. `None`: the pool has
    /// nothing free, or is larger than [`MAX_FLQ_POOL`].
    pub fn next_free(
        &self,
        size: u128,
        mut free: impl FnMut(u128) -> Option<Candidate>,
    ) -> Option<u128> {
        if size == 0 || size > MAX_FLQ_POOL {
            return None;
        }
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut passed = false;
        if st.passes == 0 || st.offers >= st.rotation {
            self.pass(&mut st, size, &mut free);
            passed = true;
        }
        loop {
            while let Some(o) = st.queue.pop_front() {
                if free(u128::from(o)) == Some(Candidate::Free) {
                    st.queue.push_back(o);
                    st.offers += 1;
                    return Some(u128::from(o));
                }
                // Taken since it was queued: out until a pass finds it
                // free again.
                st.set(o, false);
            }
            if passed {
                return None;
            }
            self.pass(&mut st, size, &mut free);
            passed = true;
        }
    }

    /// One pass over the pool in a new random order: what is free and not
    /// queued yet joins the back.
    fn pass(&self, st: &mut State, size: u128, free: &mut impl FnMut(u128) -> Option<Candidate>) {
        let words = usize::try_from(size.div_ceil(64)).unwrap_or(0);
        if st.member.len() != words {
            st.member = vec![0; words];
            st.queue.clear();
        }
        let key = self.key ^ st.passes.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        st.passes += 1;
        for i in 0..size {
            let off = shuffle(i, size, key);
            let Ok(o) = u32::try_from(off) else {
                continue;
            };
            if !st.has(o) && free(off) == Some(Candidate::Free) {
                st.queue.push_back(o);
                st.set(o, true);
            }
        }
        st.offers = 0;
        st.rotation = st.queue.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    /// Offers until the pool is full, each taken at once: every free
    /// offset once, in no order; then none; a freed one comes back.
    #[test]
    fn every_free_offset_once_then_none_then_the_freed_one() {
        let taken = RefCell::new(BTreeSet::from([3u128, 7]));
        let q = FreeQueue::new(&Rng::new(4));
        let check = |o: u128| {
            Some(if taken.borrow().contains(&o) {
                Candidate::Taken
            } else {
                Candidate::Free
            })
        };
        let mut got = Vec::new();
        while let Some(o) = q.next_free(100, check) {
            assert!(taken.borrow_mut().insert(o), "{o} twice");
            got.push(o);
        }
        assert_eq!(got.len(), 98);
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_ne!(got, sorted, "random order");
        taken.borrow_mut().remove(&42);
        assert_eq!(q.next_free(100, check), Some(42));
    }

    /// An offer not taken goes to the back: the next offers are the
    /// others; a freed offset joins within one rotation.
    #[test]
    fn offers_rotate_and_freed_offsets_come_back_within_a_rotation() {
        let taken = RefCell::new(BTreeSet::<u128>::new());
        let q = FreeQueue::new(&Rng::new(8));
        let check = |o: u128| {
            Some(if taken.borrow().contains(&o) {
                Candidate::Taken
            } else {
                Candidate::Free
            })
        };
        // Nothing taken: ten offers are ten different offsets, then the
        // first comes round again.
        let first: Vec<u128> = (0..10).map(|_| q.next_free(10, check).unwrap()).collect();
        assert_eq!(first.iter().collect::<BTreeSet<_>>().len(), 10);
        // Take all but two; free one of those taken: it is offered within
        // the next rotation.
        for o in &first[..8] {
            taken.borrow_mut().insert(*o);
        }
        taken.borrow_mut().remove(&first[0]);
        let next: BTreeSet<u128> = (0..6).filter_map(|_| q.next_free(10, check)).collect();
        assert!(next.contains(&first[0]), "{next:?}");
        assert!(next.iter().all(|o| !taken.borrow().contains(o)));
    }

    #[test]
    fn pools_beyond_the_limit_are_not_queued() {
        let q = FreeQueue::new(&Rng::new(1));
        assert_eq!(
            q.next_free(MAX_FLQ_POOL + 1, |_| Some(Candidate::Free)),
            None
        );
    }
}
