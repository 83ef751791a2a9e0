//! Address allocation for one subnet: which address a client gets.
//!
//! Order (Kea's): the client's reservation; the client's existing lease; the
//! requested address (option 50); then a free address from the pools. The
//! pool search is iterative from a per-pool cursor that only moves forward, so
//! successive clients get successive addresses without rescanning the pool
//! from its start (a /16 pool stays fast; the cost per allocation grows only
//! with the fraction of the pool in use, never with its size). With Kea's
//! `"allocator": "random"`, each pool is first walked in a pseudo-random
//! order ([`Cursor::search_random`]), the iterative search taking over
//! when a few tries find nothing free.

use crate::cursor::{Candidate, Cursor};
use crate::rng::Rng;
use std::net::Ipv4Addr;
use std::sync::Arc;

use ruru_config::{Pool4, Reservation4, Subnet4};
use ruru_lease::{Block4, Lease4, LeaseStore, BLOCK4};

use super::hosts::{checks_reservations, HostSources};

/// Who is asking: the identifiers leases are matched on.
#[derive(Debug, Clone, Copy)]
pub struct ClientKey<'a> {
    pub hwaddr: &'a [u8],
    pub client_id: Option<&'a [u8]>,
    /// Subnet's `match-client-id`.
    pub match_client_id: bool,
}

impl ClientKey<'_> {
    /// Kea's `Lease4::belongsToClient`: client-id decides when both sides
    /// have one and matching is on; otherwise the hardware address does.
    pub fn owns(&self, lease: &Lease4) -> bool {
        match (
            self.match_client_id,
            self.client_id,
            lease.client_id.as_deref(),
        ) {
            (true, Some(q), Some(l)) => q == l,
            _ => !self.hwaddr.is_empty() && lease.hwaddr == self.hwaddr,
        }
    }
}

/// The client's current lease in `subnet`, if any (any state but declined).
pub fn existing_lease(
    store: &dyn LeaseStore,
    subnet: &Subnet4,
    key: &ClientKey<'_>,
) -> Option<Lease4> {
    client_leases(store, subnet, key, None).0
}

/// The client's current lease in `subnet` (as [`existing_lease`]) and the
/// lease of `addr` (when given), read together: one round trip to a SQL
/// database ([`LeaseStore::get4_client`]).
pub fn client_leases(
    store: &dyn LeaseStore,
    subnet: &Subnet4,
    key: &ClientKey<'_>,
    addr: Option<Ipv4Addr>,
) -> (Option<Lease4>, Option<Lease4>) {
    let cid = key.client_id.filter(|_| key.match_client_id);
    let all = store.get4_client(cid, key.hwaddr, addr);
    let at = addr.and_then(|a| all.iter().find(|l| l.addr == a).cloned());
    // The client's leases by client identifier; by hardware address when
    // none of those is in this subnet.
    let by_cid = |l: &&Lease4| cid.is_some_and(|c| l.client_id.as_deref() == Some(c));
    let by_hw = |l: &&Lease4| !key.hwaddr.is_empty() && l.hwaddr == key.hwaddr;
    let in_subnet_by_cid = all.iter().filter(by_cid).any(|l| l.subnet_id == subnet.id);
    let existing = all
        .iter()
        .filter(|l| {
            if in_subnet_by_cid {
                by_cid(l)
            } else {
                by_hw(l)
            }
        })
        .filter(|l| l.subnet_id == subnet.id && key.owns(l))
        .filter(|l| l.state != ruru_lease::LeaseState::Declined)
        .max_by_key(|l| l.expire)
        .cloned();
    (existing, at)
}

/// Whether `addr` may be given to this client now: not reserved for another
/// client (in the configuration or, checked last, a host database), and
/// either unleased, leased to this client, or expired.
pub fn available(
    store: &dyn LeaseStore,
    hosts: &HostSources,
    subnet: &Subnet4,
    key: &ClientKey<'_>,
    own: Option<&Reservation4>,
    addr: Ipv4Addr,
    now: u64,
) -> bool {
    // Reserved in the configuration for another client: no read needed.
    !reserved_for_other(subnet, own, addr)
        && lease_and_hosts_allow(
            hosts,
            subnet,
            key,
            own,
            addr,
            now,
            store.get4(addr).as_ref(),
        )
}

/// Whether the configuration reserves `addr` for a client other than the
/// one `own` reserves for.
fn reserved_for_other(subnet: &Subnet4, own: Option<&Reservation4>, addr: Ipv4Addr) -> bool {
    checks_reservations(subnet, addr)
        && subnet
            .reservations
            .reserved_for_other(addr, own.map(|o| &o.id))
}

/// [`available`] with the lease of `addr` already read (`current`), so
/// that a REQUEST reads its address's lease once.
pub fn available_with(
    hosts: &HostSources,
    subnet: &Subnet4,
    key: &ClientKey<'_>,
    own: Option<&Reservation4>,
    addr: Ipv4Addr,
    now: u64,
    current: Option<&Lease4>,
) -> bool {
    !reserved_for_other(subnet, own, addr)
        && lease_and_hosts_allow(hosts, subnet, key, own, addr, now, current)
}

/// The checks of [`available`] after the configuration's reservations:
/// the lease of `addr` (`current`) is free, this client's or expired, and
/// no host database reserves `addr` for another client.
fn lease_and_hosts_allow(
    hosts: &HostSources,
    subnet: &Subnet4,
    key: &ClientKey<'_>,
    own: Option<&Reservation4>,
    addr: Ipv4Addr,
    now: u64,
    current: Option<&Lease4>,
) -> bool {
    let free = match current {
        None => true,
        Some(l) => l.expired(now) || (l.state != ruru_lease::LeaseState::Declined && key.owns(l)),
    };
    free && !(checks_reservations(subnet, addr) && hosts.reserved_for_other(subnet.id, addr, own))
}

/// Per-pool search cursors of one subnet.
#[derive(Debug)]
pub struct PoolCursors {
    cursors: Vec<Cursor>,
    /// Spread cursors: the generator their random places come from.
    spread: Option<Arc<Rng>>,
    /// Kea's random allocator: the generator of the pool a search starts
    /// with (the cursors hold their permutations' keys).
    random: Option<Arc<Rng>>,
    /// Kea's free lease queue allocator: one queue per pool (pools too
    /// large for one are searched as by the random allocator).
    flq: Vec<crate::flq::FreeQueue>,
}

impl PoolCursors {
    /// `spread`: the lease database is shared with other servers, and the
    /// cursors' random places come from this generator (see
    /// [`crate::cursor`]).
    /// `rng`: the engine's generator, drawn from when the subnet's
    /// `allocator` is `random`.
    pub fn new(subnet: &Subnet4, spread: Option<Arc<Rng>>, rng: &Arc<Rng>) -> Self {
        use ruru_config::Allocator;
        let random =
            matches!(subnet.allocator, Allocator::Random | Allocator::Flq).then(|| Arc::clone(rng));
        let flq = match subnet.allocator {
            Allocator::Flq => subnet
                .pools
                .iter()
                .map(|_| crate::flq::FreeQueue::new(rng))
                .collect(),
            _ => Vec::new(),
        };
        PoolCursors {
            cursors: subnet
                .pools
                .iter()
                .map(|_| {
                    let c = Cursor::new(spread.as_deref());
                    match &random {
                        Some(r) => c.with_key(r),
                        None => c,
                    }
                })
                .collect(),
            spread,
            random,
            flq,
        }
    }

    /// The address the iterative search would look at first now (of the
    /// first pool `pool_ok` allows), for a caller that reads its lease
    /// together with the client's (one round trip to a SQL database
    /// instead of two) and hands it to [`PoolCursors::find_free`]. A guess:
    /// another search may move the cursor first, and then the address is
    /// read as before. None with Kea's random and free-lease-queue
    /// allocators.
    pub fn next_candidate(
        &self,
        subnet: &Subnet4,
        pool_ok: &dyn Fn(&Pool4) -> bool,
    ) -> Option<Ipv4Addr> {
        if self.random.is_some() || !self.flq.is_empty() {
            return None;
        }
        let (pool, cursor) = subnet
            .pools
            .iter()
            .zip(&self.cursors)
            .find(|(p, _)| pool_ok(p))?;
        let off = cursor.peek(u128::from(pool.size()));
        u32::from(pool.start)
            .checked_add(u32::try_from(off).ok()?)
            .map(Ipv4Addr::from)
    }

    /// Another server took `addr` after we offered it: with spread cursors,
    /// the search of its pool jumps elsewhere (we were walking in step).
    pub fn conflict(&self, subnet: &Subnet4, addr: Ipv4Addr) {
        let Some(rng) = &self.spread else {
            return;
        };
        if let Some(c) = subnet
            .pools
            .iter()
            .zip(&self.cursors)
            .find_map(|(p, c)| p.contains(addr).then_some(c))
        {
            c.jump(rng);
        }
    }

    /// Takes over the positions of `other` (same pools).
    pub fn continue_from(&self, other: &PoolCursors) {
        for (a, b) in self.cursors.iter().zip(&other.cursors) {
            a.continue_from(b);
        }
    }

    /// A free pool address for this client, or None when every pool it may
    /// use (`pool_ok`) is full.
    /// An address reserved in a host database is skipped like one reserved
    /// in the configuration (asked only for addresses free of leases).
    ///
    /// When the store can tell which addresses of an aligned block of
    /// [`BLOCK4`] have a lease ([`LeaseStore::leased_in_block4`]: memfile),
    /// the search steps over each run of leased addresses at once, so that
    /// an allocation costs about the same in a nearly full pool as in an
    /// empty one. A leased address may still hold an expired lease, which is
    /// as good as a free one: when no address free of leases is left, a
    /// second search looks at the addresses one by one (at most
    /// [`crate::cursor::LOOKUP_LIMIT`] of them per message).
    ///
    /// `exclude_24`: addresses ending in .0 or .255 are skipped (Kea's
    /// `compatibility.exclude-first-last-24`; the caller decides that it
    /// applies to this subnet). `read`: an address whose lease the caller
    /// already read, with what it read (see [`PoolCursors::next_candidate`]).
    #[allow(clippy::too_many_arguments)]
    pub fn find_free(
        &self,
        store: &dyn LeaseStore,
        hosts: &HostSources,
        subnet: &Subnet4,
        key: &ClientKey<'_>,
        now: u64,
        exclude_24: bool,
        pool_ok: &dyn Fn(&Pool4) -> bool,
        read: Option<(Ipv4Addr, Option<&Lease4>)>,
    ) -> Option<Ipv4Addr> {
        let mut stepped = false;
        // Pool addresses: checked against reservations unless Kea's
        // flags say otherwise (see `checks_reservations`).
        let checks = subnet.host_modes.in_subnet && !subnet.host_modes.out_of_pool;
        // What one address is to this client.
        let one = |addr: Ipv4Addr| {
            if is_network_or_broadcast(subnet, addr)
                || exclude_24 && matches!(addr.octets()[3], 0 | 255)
                || checks && subnet.reservations.by_address(addr).is_some()
            {
                return Candidate::Skip;
            }
            let lease = match read {
                Some((a, l)) if a == addr => l.cloned(),
                _ => store.get4(addr),
            };
            let c = match lease {
                None => Candidate::Free,
                Some(l)
                    if l.expired(now)
                        || key.owns(&l) && l.state != ruru_lease::LeaseState::Declined =>
                {
                    Candidate::Free
                }
                Some(_) => Candidate::Taken,
            };
            if matches!(c, Candidate::Free)
                && checks
                && !hosts.is_empty()
                && hosts.reserved_for_other(subnet.id, addr, None)
            {
                return Candidate::Skip;
            }
            c
        };
        // Kea's free lease queue allocator: a random pool first, then the
        // others; each queue's pass covers its whole pool, so nothing is
        // left for the searches below but pools too large for a queue.
        if let (false, Some(rng)) = (self.flq.is_empty(), &self.random) {
            let n = subnet.pools.len();
            let first = usize::try_from(rng.next_u64() % n.max(1) as u64).unwrap_or(0);
            let mut large = false;
            for k in 0..n {
                let i = (first + k) % n;
                let (Some(pool), Some(queue)) = (subnet.pools.get(i), self.flq.get(i)) else {
                    continue;
                };
                if !pool_ok(pool) {
                    continue;
                }
                let size = u128::from(pool.size());
                if size > crate::flq::MAX_FLQ_POOL {
                    large = true;
                    continue;
                }
                let start = u32::from(pool.start);
                let at = |off: u128| start.checked_add(u32::try_from(off).ok()?);
                if let Some(a) = queue
                    .next_free(size, |off| Some(one(Ipv4Addr::from(at(off)?))))
                    .and_then(at)
                {
                    return Some(Ipv4Addr::from(a));
                }
            }
            if !large {
                return None;
            }
        }
        // Kea's random allocator: a random pool first, then the others,
        // each walked in its permutation; a pool where a few tries find
        // nothing free is left to the iterative search below.
        if let Some(rng) = &self.random {
            let n = subnet.pools.len();
            let first = usize::try_from(rng.next_u64() % n.max(1) as u64).unwrap_or(0);
            for k in 0..n {
                let i = (first + k) % n;
                let (Some(pool), Some(cursor)) = (subnet.pools.get(i), self.cursors.get(i)) else {
                    continue;
                };
                if !pool_ok(pool) {
                    continue;
                }
                let start = u32::from(pool.start);
                let found = cursor.search_random(u128::from(pool.size()), |off| {
                    let a = start.checked_add(u32::try_from(off).ok()?)?;
                    Some(one(Ipv4Addr::from(a)))
                });
                if let Some(a) = found.and_then(|off| start.checked_add(u32::try_from(off).ok()?)) {
                    return Some(Ipv4Addr::from(a));
                }
            }
        }
        for by_blocks in [true, false] {
            for (pool, cursor) in subnet.pools.iter().zip(&self.cursors) {
                // A pool whose client-class guard the client fails is never
                // used, even when the others are full (Kea).
                if !pool_ok(pool) {
                    continue;
                }
                let size = u128::from(pool.size());
                let start = u128::from(u32::from(pool.start));
                // The last block asked about, during this search.
                let mut block: Option<(u32, Option<Block4>)> = None;
                let found = cursor.search(size, self.spread.as_deref(), |off| {
                    let a = u32::try_from(start + off).ok()?;
                    if by_blocks {
                        let b = a / BLOCK4;
                        let bits = match block {
                            Some((cached, bits)) if cached == b => bits,
                            _ => {
                                let bits = store.leased_in_block4(Ipv4Addr::from(b * BLOCK4));
                                block = Some((b, bits));
                                bits
                            }
                        };
                        let run = bits.map_or(0, |bits| leased_run(&bits, a % BLOCK4));
                        if run > 0 {
                            stepped = true;
                            let run = u128::from(run).min(size - off);
                            return Some(Candidate::TakenRun(u64::try_from(run).ok()?));
                        }
                    }
                    Some(one(Ipv4Addr::from(a)))
                });
                if let Some(off) = found {
                    if let Ok(a) = u32::try_from(start + off) {
                        return Some(Ipv4Addr::from(a));
                    }
                }
            }
            if !stepped {
                break;
            }
        }
        None
    }
}

/// How many addresses from the block's `i`-th on have a lease, in a row
/// (0 when the `i`-th has none).
fn leased_run(bits: &Block4, i: u32) -> u32 {
    let mut run = 0;
    let mut i = i;
    while i < BLOCK4 {
        let (word, bit) = ((i / 64) as usize, i % 64);
        let ones = (bits[word] >> bit).trailing_ones().min(64 - bit);
        run += ones;
        if ones < 64 - bit {
            break;
        }
        i += ones;
    }
    run
}

/// Kea never hands out a subnet's network or broadcast address from a pool
/// that covers it (e.g. a prefix-form pool equal to the subnet).
fn is_network_or_broadcast(subnet: &Subnet4, addr: Ipv4Addr) -> bool {
    if subnet.prefix_len >= 31 {
        return false;
    }
    let host_mask = u32::MAX >> u32::from(subnet.prefix_len);
    let a = u32::from(addr);
    a & host_mask == 0 || a & host_mask == host_mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leased_runs() {
        let mut bits: Block4 = [0; 4];
        assert_eq!(leased_run(&bits, 0), 0);
        // Addresses 3..70 and 250..256 leased.
        for i in (3..70).chain(250..256) {
            bits[i / 64] |= 1 << (i % 64);
        }
        assert_eq!(leased_run(&bits, 2), 0);
        assert_eq!(leased_run(&bits, 3), 67);
        assert_eq!(leased_run(&bits, 63), 7);
        assert_eq!(leased_run(&bits, 64), 6);
        assert_eq!(leased_run(&bits, 70), 0);
        assert_eq!(leased_run(&bits, 250), 6);
        assert_eq!(leased_run(&[u64::MAX; 4], 0), 256);
        assert_eq!(leased_run(&[u64::MAX; 4], 255), 1);
    }
}
