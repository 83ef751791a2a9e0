//! Overlap checks in O(n log n), so that a file with 100,000 subnets is
//! checked in about a second rather than in minutes.
//!
//! Addresses are compared as integers (`u128`, an IPv4 address is its
//! `u32`); a range is `(first, last)`, both included.
//!
//! - [`earlier_overlaps`]: for a list of prefixes (subnets), every earlier
//!   entry each one overlaps: a sort and a sweep instead of comparing every
//!   pair.
//! - [`Disjoint`]: a growing set of disjoint ranges (the pools of a subnet,
//!   the pd-pools of a section, the prefixes reserved in a subnet) that says
//!   which range added first overlaps a new one, in O(log n).

use std::collections::BTreeMap;

/// A range of addresses as integers, both ends included.
pub(super) type Range = (u128, u128);

/// For each entry of `prefixes` (`None`: not a valid prefix, ignored), the
/// indices of the earlier entries that overlap it, in increasing order.
///
/// The entries must be prefixes (CIDR blocks), for which two ranges are
/// either disjoint or one contains the other. Sorted by first address, and
/// the larger block first where two start together, the entries that still
/// contain the current one form a stack: each overlapping pair is found
/// once, in O(n log n + pairs).
pub(super) fn earlier_overlaps(prefixes: &[Option<Range>]) -> Vec<Vec<usize>> {
    let mut order: Vec<(u128, u128, usize)> = prefixes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|(first, last)| (first, last, i)))
        .collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); prefixes.len()];
    // The entries containing the current one, outermost first.
    let mut open: Vec<(u128, usize)> = Vec::new();
    for (first, last, i) in order {
        while open.last().is_some_and(|&(end, _)| end < first) {
            open.pop();
        }
        for &(_, j) in &open {
            let (earlier, later) = if j < i { (j, i) } else { (i, j) };
            out[later].push(earlier);
        }
        open.push((last, i));
    }
    for list in &mut out {
        list.sort_unstable();
    }
    out
}

/// A set of disjoint ranges, each added with a tag (the caller's index of
/// it; tags are added in increasing order), that answers which range added
/// first overlaps a given one.
///
/// The ranges that overlap a query are the one starting before it (if it
/// reaches into the query; there is at most one, as the ranges are
/// disjoint) and those starting inside it, which are consecutive in start
/// order. A segment tree over all the starts that may be added (given
/// up front) keeps the smallest tag, so both are found in O(log n).
#[derive(Debug)]
pub(super) struct Disjoint {
    /// Every start that may be added, sorted and unique: the leaves of
    /// `min_tag`.
    starts: Vec<u128>,
    /// Segment tree over `starts` (leaf `k` at `starts.len() + k`): the
    /// smallest tag added at or below each node, `usize::MAX` for none.
    min_tag: Vec<usize>,
    /// The ranges added, by start: (last, tag).
    ranges: BTreeMap<u128, (u128, usize)>,
    /// Whether a range was added whose start is not in `starts` (a caller's
    /// mistake): queries then scan `ranges`, slower but still right.
    stray: bool,
}

impl Disjoint {
    /// An empty set for ranges starting at some of `starts` (more is fine).
    pub(super) fn new(starts: impl IntoIterator<Item = u128>) -> Self {
        let mut starts: Vec<u128> = starts.into_iter().collect();
        starts.sort_unstable();
        starts.dedup();
        let min_tag = vec![usize::MAX; 2 * starts.len()];
        Disjoint {
            starts,
            min_tag,
            ranges: BTreeMap::new(),
            stray: false,
        }
    }

    /// The smallest tag of the ranges that overlap `(first, last)`.
    pub(super) fn first_overlap(&self, (first, last): Range) -> Option<usize> {
        let before = self
            .ranges
            .range(..first)
            .next_back()
            .filter(|(_, &(end, _))| end >= first)
            .map_or(usize::MAX, |(_, &(_, tag))| tag);
        let inside = if self.stray {
            self.ranges
                .range(first..=last)
                .map(|(_, &(_, tag))| tag)
                .min()
                .unwrap_or(usize::MAX)
        } else {
            let lo = self.starts.partition_point(|&s| s < first);
            let hi = self.starts.partition_point(|&s| s <= last);
            self.min_in(lo, hi)
        };
        let tag = before.min(inside);
        (tag != usize::MAX).then_some(tag)
    }

    /// Adds `(first, last)`, which overlaps nothing added before.
    pub(super) fn insert(&mut self, (first, last): Range, tag: usize) {
        self.ranges.insert(first, (last, tag));
        let Ok(k) = self.starts.binary_search(&first) else {
            self.stray = true;
            return;
        };
        let mut node = self.starts.len() + k;
        self.min_tag[node] = self.min_tag[node].min(tag);
        while node > 1 {
            node /= 2;
            self.min_tag[node] = self.min_tag[2 * node].min(self.min_tag[2 * node + 1]);
        }
    }

    /// The smallest tag among leaves `lo..hi`.
    fn min_in(&self, lo: usize, hi: usize) -> usize {
        let n = self.starts.len();
        let (mut lo, mut hi) = (lo + n, hi + n);
        let mut best = usize::MAX;
        while lo < hi {
            if lo % 2 == 1 {
                best = best.min(self.min_tag[lo]);
                lo += 1;
            }
            if hi % 2 == 1 {
                hi -= 1;
                best = best.min(self.min_tag[hi]);
            }
            lo /= 2;
            hi /= 2;
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quadratic definition the sweep must agree with.
    fn naive_pairs(prefixes: &[Option<Range>]) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); prefixes.len()];
        for (i, a) in prefixes.iter().enumerate() {
            for (j, b) in prefixes[..i].iter().enumerate() {
                if let (Some(a), Some(b)) = (a, b) {
                    if a.0 <= b.1 && b.0 <= a.1 {
                        out[i].push(j);
                    }
                }
            }
        }
        out
    }

    fn prefix(addr: u32, len: u32) -> Option<Range> {
        let size = 1u128 << (32 - len);
        let first = u128::from(addr) & !(size - 1);
        Some((first, first + size - 1))
    }

    /// A small deterministic generator, so the tests need no dependency.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % below
        }
    }

    #[test]
    fn nested_identical_and_disjoint_prefixes() {
        let list = [
            prefix(0x0a00_0000, 8),  // 0: 10.0.0.0/8
            prefix(0x0a01_0000, 16), // 1: inside 0
            None,                    // 2: not a prefix
            prefix(0x0b00_0000, 8),  // 3: disjoint
            prefix(0x0a01_0000, 16), // 4: same as 1, inside 0
            prefix(0x0000_0000, 1),  // 5: contains 0, 1, 3, 4
            prefix(0x0a01_0200, 24), // 6: inside 0, 1, 4, 5
        ];
        let got = earlier_overlaps(&list);
        assert_eq!(got, naive_pairs(&list));
        assert_eq!(got[4], vec![0, 1]);
        assert_eq!(got[5], vec![0, 1, 3, 4]);
        assert_eq!(got[6], vec![0, 1, 4, 5]);
    }

    #[test]
    fn sweep_agrees_with_the_definition() {
        let mut rng = Lcg(7);
        for _ in 0..200 {
            let list: Vec<Option<Range>> = (0..40)
                .map(|_| {
                    let len = 24 + rng.next(9) as u32;
                    (rng.next(10) > 0)
                        .then(|| prefix(rng.next(1024) as u32, len))
                        .flatten()
                })
                .collect();
            assert_eq!(earlier_overlaps(&list), naive_pairs(&list));
        }
    }

    #[test]
    fn disjoint_names_the_first_range_added() {
        let mut d = Disjoint::new([10, 20, 30, 40, 50]);
        d.insert((30, 35), 0);
        d.insert((10, 15), 1);
        d.insert((50, 60), 2);
        assert_eq!(d.first_overlap((0, 9)), None);
        assert_eq!(d.first_overlap((16, 29)), None);
        assert_eq!(d.first_overlap((12, 12)), Some(1));
        // Reaching into 30-35 from before, and covering 10-15 and 50-60.
        assert_eq!(d.first_overlap((35, 49)), Some(0));
        assert_eq!(d.first_overlap((0, 100)), Some(0));
        assert_eq!(d.first_overlap((11, 55)), Some(0));
        assert_eq!(d.first_overlap((40, 100)), Some(2));
    }

    #[test]
    fn disjoint_agrees_with_a_scan() {
        let mut rng = Lcg(11);
        for stray in [false, true] {
            for _ in 0..100 {
                let wanted: Vec<Range> = (0..60)
                    .map(|_| {
                        let first = u128::from(rng.next(500));
                        (first, first + u128::from(rng.next(20)))
                    })
                    .collect();
                // With `stray`, some starts are left out of the universe.
                let starts = wanted
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !stray || i % 7 != 0)
                    .map(|(_, r)| r.0);
                let mut d = Disjoint::new(starts);
                let mut added: Vec<(Range, usize)> = Vec::new();
                for (tag, &r) in wanted.iter().enumerate() {
                    let scan = added
                        .iter()
                        .find(|(a, _)| a.0 <= r.1 && r.0 <= a.1)
                        .map(|(_, t)| *t);
                    assert_eq!(d.first_overlap(r), scan, "{r:?} in {added:?}");
                    if scan.is_none() {
                        d.insert(r, tag);
                        added.push((r, tag));
                    }
                }
            }
        }
    }
}
