//! The memfile store's secondary-key index ([`LookupIndex`]): client
//! identifiers (hardware address, client ID, DUID, IA) to the slots of the
//! leases that have them.

use std::collections::{hash_map, HashMap};
use std::hash::{BuildHasher, Hasher};

use crate::csv::LookupRef;

/// Secondary key ([`LookupRef`]) -> the slots of the leases that have it.
/// Only 32 bits of a hash of the key are kept: a lookup checks each
/// candidate's own keys, so a collision costs a comparison, never a wrong
/// answer (with 16 M keys, about one key in 250 shares its hash). Nearly
/// every key has one lease, kept in `first` (8 bytes an entry, half of
/// what a 64-bit hash takes with its padding: the biggest table after the
/// leases); a key's further leases (and those of a colliding key) are in
/// `more`.
#[derive(Default)]
pub(super) struct LookupIndex {
    /// foldhash (seeded per process) is several times faster than std's
    /// SipHash on these short keys; it dominated loading a big lease file.
    hasher: foldhash::fast::RandomState,
    pub(super) first: HashMap<u32, u32, PreHashed>,
    pub(super) more: HashMap<u32, Vec<u32>, PreHashed>,
}

impl LookupIndex {
    pub(super) fn hash(&self, lookup: LookupRef<'_>) -> u32 {
        // The high half: foldhash mixes best there.
        (self.hasher.hash_one(lookup) >> 32) as u32
    }

    pub(super) fn add(&mut self, lookup: LookupRef<'_>, slot: u32) {
        self.add_hashed(self.hash(lookup), slot);
    }

    /// Adds many (hash, slot) pairs at once (`hash` from
    /// [`LookupIndex::hash`]), in the order of the table's buckets: one pass
    /// over the table instead of a random access per key, each a cache and
    /// TLB miss once the table outgrows the caches (loading a million
    /// leases from a snapshot took 0.5 s in these misses, 0.1 s with this).
    /// The order in which a key's slots are added does not matter.
    pub(super) fn add_all(&mut self, mut pending: Vec<(u32, u32)>) {
        self.first.reserve(pending.len());
        // hashbrown's bucket count for this capacity (7/8 of it usable): a
        // wrong guess would only cost speed.
        let buckets = (self.first.capacity() / 7 * 8).next_power_of_two();
        let mask = u32::try_from(buckets - 1).unwrap_or(u32::MAX);
        group_by_bucket(&mut pending, mask);
        for (hash, slot) in pending {
            self.add_hashed(hash, slot);
        }
    }

    fn add_hashed(&mut self, hash: u32, slot: u32) {
        match self.first.entry(hash) {
            hash_map::Entry::Vacant(e) => {
                e.insert(slot);
            }
            hash_map::Entry::Occupied(e) if *e.get() == slot => {}
            hash_map::Entry::Occupied(_) => {
                let more = self.more.entry(hash).or_default();
                if !more.contains(&slot) {
                    more.push(slot);
                }
            }
        }
    }

    pub(super) fn remove(&mut self, lookup: LookupRef<'_>, slot: u32) {
        let hash = self.hash(lookup);
        let Some(first) = self.first.get_mut(&hash) else {
            return;
        };
        let more = self.more.get_mut(&hash);
        if *first == slot {
            match more.and_then(Vec::pop) {
                Some(next) => *first = next,
                None => {
                    self.first.remove(&hash);
                }
            }
        } else if let Some(more) = more {
            more.retain(|s| *s != slot);
        }
        if self.more.get(&hash).is_some_and(Vec::is_empty) {
            self.more.remove(&hash);
        }
    }

    /// The slots of the leases that may have this key.
    pub(super) fn get(&self, lookup: LookupRef<'_>) -> impl Iterator<Item = u32> + '_ {
        let hash = self.hash(lookup);
        let more = self.more.get(&hash).into_iter().flatten().copied();
        self.first.get(&hash).copied().into_iter().chain(more)
    }
}

/// [`LookupIndex::add_all`]'s groups: 2^9 of them, each a stretch of the
/// table that stays in the caches while its keys are added (36 KiB for a
/// million keys, 576 KiB for 16 M). Few enough that the partition's 512
/// write positions stay in the caches and the TLB too: with 2^11 groups,
/// whole snapshot loads of 1 M and 16.6 M leases took 10-25% longer.
const GROUP_BITS: u32 = 9;

/// Reorders `pending` so that the hashes of each group of buckets (the top
/// [`GROUP_BITS`] bits of `hash & mask`, `mask` being 2^n - 1) are
/// together, in one pass, in place (the partition step of an American flag
/// sort): inserting group by group then touches the table in order. Sorting
/// further would not pay, and a sort took several times as long.
fn group_by_bucket(pending: &mut [(u32, u32)], mask: u32) {
    let shift = mask.count_ones().saturating_sub(GROUP_BITS);
    let group = |hash: u32| ((hash & mask) >> shift) as usize;
    let groups = group(mask) + 1;
    // starts[g]..starts[g + 1]: where group g goes.
    let mut starts = vec![0usize; groups + 1];
    for &(hash, _) in pending.iter() {
        starts[group(hash) + 1] += 1;
    }
    for g in 0..groups {
        starts[g + 1] += starts[g];
    }
    // next[g]: the first place of group g not yet holding one of its own.
    let mut next = starts.clone();
    for g in 0..groups {
        while next[g] < starts[g + 1] {
            let owner = group(pending[next[g]].0);
            if owner != g {
                pending.swap(next[g], next[owner]);
            }
            next[owner] += 1;
        }
    }
}

/// The hasher of the maps in [`LookupIndex`]: their keys are already hashes
/// (foldhash, seeded per process, so no client can aim at a bucket), so the
/// key is used as it is, in both halves: its low bits choose the bucket and
/// its high bits the tag (hashbrown's h1 and h2). This is also what lets
/// [`LookupIndex::add_all`] insert in bucket order.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PreHashed;

pub(super) struct PreHasher(u64);

impl BuildHasher for PreHashed {
    type Hasher = PreHasher;
    fn build_hasher(&self) -> PreHasher {
        PreHasher(0)
    }
}

impl Hasher for PreHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u32(&mut self, key: u32) {
        self.0 = (u64::from(key) << 32) | u64::from(key);
    }

    /// Not used by a `u32` key; any bytes still hash.
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_keeps_every_pair_and_orders_the_groups() {
        for (n, mask) in [
            (0usize, 0u32),
            (1, 7),
            (1000, 255),
            (50_000, (1 << 16) - 1),
            (9999, (1 << 21) - 1),
        ] {
            let mut v: Vec<(u32, u32)> = (0..n as u32)
                .map(|i| (i.wrapping_mul(0x9e37_79b9).rotate_left(7), i))
                .collect();
            let mut before = v.clone();
            group_by_bucket(&mut v, mask);
            let shift = mask.count_ones().saturating_sub(GROUP_BITS);
            assert!(v
                .windows(2)
                .all(|w| (w[0].0 & mask) >> shift <= (w[1].0 & mask) >> shift));
            before.sort_unstable();
            v.sort_unstable();
            assert_eq!(v, before);
        }
    }

    #[test]
    fn add_all_equals_adding_one_by_one() {
        let mut one = LookupIndex::default();
        let mut all = LookupIndex::default();
        let keys: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| (i % 4000).to_be_bytes().to_vec())
            .collect();
        let mut pending = Vec::new();
        for (slot, key) in keys.iter().enumerate() {
            let slot = slot as u32;
            one.add(LookupRef::HwAddr(key), slot);
            pending.push((all.hash(LookupRef::HwAddr(key)), slot));
        }
        all.add_all(pending);
        for key in &keys {
            let mut a: Vec<u32> = one.get(LookupRef::HwAddr(key)).collect();
            let mut b: Vec<u32> = all.get(LookupRef::HwAddr(key)).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
            assert!(!a.is_empty());
        }
        // Colliding hashes (forced): every slot is kept, and removed.
        let mut idx = LookupIndex::default();
        idx.add_all(vec![(7, 1), (7, 2), (7, 3), (8, 4)]);
        let mut got: Vec<u32> = idx.more.get(&7).cloned().unwrap_or_default();
        got.extend(idx.first.get(&7));
        got.sort_unstable();
        assert_eq!(got, [1, 2, 3]);
        assert_eq!(idx.first.get(&8), Some(&4));
    }
}
