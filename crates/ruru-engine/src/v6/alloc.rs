//! Address and prefix allocation for IA_NA and IA_PD: which address or
//! prefix one IA of a client gets, and how its lease is written.
//!
//! Order (Kea's): the client's reservation; the client's current lease; the
//! client's hint; then a free address (prefix) from the pools, searched
//! from a per-pool cursor ([`crate::cursor`]) that only moves forward. Also
//! here: the lease record (lifetimes, the client's link-layer address), the
//! conditional lease write (a lost race moves a spread cursor and drops the
//! message) and the `assigned-nas`/`assigned-pds` statistics.

use std::net::Ipv6Addr;

use dhcproto::v6::{self, DhcpOption};
use ruru_config::{ClassGuard, ClientClass6, Lifetime, PdPool, Pool6};
use ruru_lease::{Lease6, LeaseState, LeaseStore, LeaseType6};
use tracing::debug;

use super::hosts::checks_reservations6;
use super::{Ctx, Drop6, Engine6};
use crate::classify;
use crate::cursor::{Candidate, Cursor};
use crate::stats::{add, Stat};

/// Per-pool cursors of one subnet.
#[derive(Debug)]
pub(super) struct Cursors6 {
    pub(super) na: Vec<Cursor>,
    pub(super) pd: Vec<Cursor>,
    /// `"pd-allocator": "flq"`: one free lease queue per PD pool.
    pub(super) pd_flq: Vec<crate::flq::FreeQueue>,
}

/// Whether lease `l` keeps its address or prefix from IA `iaid` of the
/// client with DUID `duid` at `now`: it is neither expired nor that IA's
/// own (a declined lease is nobody's until it expires).
fn held_by_other(l: &Lease6, now: u64, duid: &[u8], iaid: u32) -> bool {
    !(l.expired(now) || (l.state == LeaseState::Default && l.duid == duid && l.iaid == iaid))
}

impl Engine6 {
    pub(super) fn owner_is(&self, ctx: &Ctx<'_>, l: &Lease6, iaid: u32) -> bool {
        l.duid == ctx.duid() && l.iaid == iaid
    }

    /// Whether `addr` (of `kind`) may go to this client's IA now: not
    /// reserved for another client (in the subnet or, checked last, in a
    /// host database), and free of leases for it.
    fn free_for(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        kind: LeaseType6,
        addr: Ipv6Addr,
        iaid: u32,
    ) -> bool {
        let checks = checks_reservations6(ctx.subnet, addr);
        if checks
            && ctx
                .subnet
                .reservations
                .reserved_for_other(addr, ctx.host.as_deref().map(|h| &h.id))
        {
            return false;
        }
        self.lease_free(store, ctx, kind, addr, iaid) && !(checks && self.db_reserved(ctx, addr))
    }

    /// Whether a host database reserves `addr` for another client (one
    /// query per database; none without a host database).
    fn db_reserved(&self, ctx: &Ctx<'_>, addr: Ipv6Addr) -> bool {
        let dbs = &self.opts.hosts;
        !dbs.is_empty()
            && ctx.subnet.id != 0
            && dbs.reserved_for_other6(ctx.subnet.id, addr, ctx.host.as_deref())
    }

    /// Whether no lease keeps `addr` from this client's IA.
    fn lease_free(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        kind: LeaseType6,
        addr: Ipv6Addr,
        iaid: u32,
    ) -> bool {
        store
            .get6(kind, addr)
            .is_none_or(|l| !held_by_other(&l, ctx.now, ctx.duid(), iaid))
    }

    /// An address for an IA_NA: reservation, current lease, hint, pool.
    fn pick_na(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        iaid: u32,
        hint: Option<Ipv6Addr>,
    ) -> Option<Ipv6Addr> {
        let s = ctx.subnet;
        if let Some(h) = ctx.host.as_deref() {
            for a in &h.ip_addresses {
                if self.free_for(store, ctx, LeaseType6::Na, *a, iaid) {
                    return Some(*a);
                }
            }
        }
        let current = store
            .get6_by_duid_iaid(LeaseType6::Na, ctx.duid(), iaid)
            .into_iter()
            .filter(|l| l.subnet_id == s.id && l.state != LeaseState::Declined)
            .map(|l| l.address)
            .find(|a| {
                s.pools
                    .iter()
                    .any(|p| p.contains(*a) && Self::allowed(ctx, &p.classes))
            });
        if let Some(c) = current {
            if hint.is_none_or(|h| h == c) {
                return Some(c);
            }
        }
        if let Some(h) = hint {
            if s.pools
                .iter()
                .any(|p| p.contains(h) && Self::allowed(ctx, &p.classes))
                && self.free_for(store, ctx, LeaseType6::Na, h, iaid)
            {
                return Some(h);
            }
        }
        if current.is_some() {
            return current;
        }
        // Kea's random allocator starts at a random pool.
        let n = s.pools.len();
        let first = match s.allocator {
            ruru_config::Allocator::Iterative => 0,
            _ => usize::try_from(self.opts.rng.next_u64() % n.max(1) as u64).unwrap_or(0),
        };
        let cursors = &self.cursors[ctx.sidx].na;
        for i in (0..n).map(|k| (first + k) % n) {
            let (Some(pool), Some(cur)) = (s.pools.get(i), cursors.get(i)) else {
                continue;
            };
            // A pool the client's classes do not allow is never used, even
            // when the others are full (Kea).
            if !Self::allowed(ctx, &pool.classes) {
                continue;
            }
            if let Some(a) = self.search_pool(store, ctx, pool, cur, iaid) {
                return Some(a);
            }
        }
        None
    }

    fn search_pool(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        pool: &Pool6,
        cur: &Cursor,
        iaid: u32,
    ) -> Option<Ipv6Addr> {
        let size = pool.size();
        let start = u128::from(pool.start);
        let addr = |off: u128| Ipv6Addr::from(start.wrapping_add(off));
        if ctx.subnet.allocator == ruru_config::Allocator::Random {
            // Kea's random allocator; a nearly full pool is scanned below.
            let found = cur.search_random(size, |off| {
                Some(self.candidate(store, ctx, LeaseType6::Na, addr(off), iaid))
            });
            if let Some(off) = found {
                return Some(addr(off));
            }
        }
        cur.search(size, self.spread.as_deref(), |off| {
            let a = addr(off);
            Some(self.candidate(store, ctx, LeaseType6::Na, a, iaid))
        })
        .map(addr)
    }

    /// A prefix for an IA_PD: reservation, current lease, hint, PD pools.
    fn pick_pd(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        iaid: u32,
        hint: Option<(Ipv6Addr, u8)>,
    ) -> Option<(Ipv6Addr, u8)> {
        let s = ctx.subnet;
        if let Some(h) = ctx.host.as_deref() {
            for (p, len) in &h.prefixes {
                if self.free_for(store, ctx, LeaseType6::Pd, *p, iaid) {
                    return Some((*p, *len));
                }
            }
        }
        let current = store
            .get6_by_duid_iaid(LeaseType6::Pd, ctx.duid(), iaid)
            .into_iter()
            .filter(|l| l.subnet_id == s.id && l.state != LeaseState::Declined)
            .map(|l| (l.address, l.prefix_len))
            .find(|(p, len)| {
                s.pd_pools
                    .iter()
                    .any(|pp| pp.contains(*p, *len) && Self::allowed(ctx, &pp.classes))
            });
        if let Some(c) = current {
            if hint.is_none_or(|(h, _)| h == c.0 || h.is_unspecified()) {
                return Some(c);
            }
        }
        if let Some((h, len)) = hint {
            if !h.is_unspecified()
                && s.pd_pools
                    .iter()
                    .any(|p| p.contains(h, len) && Self::allowed(ctx, &p.classes))
                && self.free_for(store, ctx, LeaseType6::Pd, h, iaid)
            {
                return Some((h, len));
            }
        }
        if current.is_some() {
            return current;
        }
        let cursors = &self.cursors[ctx.sidx];
        // Kea's random and free lease queue allocators start at a random
        // pool.
        let n = s.pd_pools.len();
        let first = match s.pd_allocator {
            ruru_config::Allocator::Iterative => 0,
            _ => usize::try_from(self.opts.rng.next_u64() % n.max(1) as u64).unwrap_or(0),
        };
        for i in (0..n).map(|k| (first + k) % n) {
            let (Some(pool), Some(cur)) = (s.pd_pools.get(i), cursors.pd.get(i)) else {
                continue;
            };
            if !Self::allowed(ctx, &pool.classes) {
                continue;
            }
            // Kea's free lease queue allocator: the queue's pass covers
            // the whole pool (pools too large for a queue are searched as
            // by the random allocator below).
            if let Some(q) = cursors.pd_flq.get(i) {
                let size = pool.size();
                if size <= crate::flq::MAX_FLQ_POOL {
                    let found = q.next_free(size, |off| {
                        let p = pool.nth(off)?;
                        Some(self.candidate(store, ctx, LeaseType6::Pd, p, iaid))
                    });
                    if let Some(p) = found.and_then(|off| pool.nth(off)) {
                        return Some((p, pool.delegated_len));
                    }
                    continue;
                }
            }
            if let Some(p) = self.search_pd(store, ctx, pool, cur, iaid) {
                return Some((p, pool.delegated_len));
            }
        }
        None
    }

    fn search_pd(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        pool: &PdPool,
        cur: &Cursor,
        iaid: u32,
    ) -> Option<Ipv6Addr> {
        let size = pool.size();
        if matches!(
            ctx.subnet.pd_allocator,
            ruru_config::Allocator::Random | ruru_config::Allocator::Flq
        ) {
            // Kea's random allocator; a nearly full pool is scanned below.
            let found = cur.search_random(size, |off| {
                let p = pool.nth(off)?;
                Some(self.candidate(store, ctx, LeaseType6::Pd, p, iaid))
            });
            if let Some(p) = found.and_then(|off| pool.nth(off)) {
                return Some(p);
            }
        }
        let off = cur.search(size, self.spread.as_deref(), |off| {
            let p = pool.nth(off)?;
            Some(self.candidate(store, ctx, LeaseType6::Pd, p, iaid))
        })?;
        pool.nth(off)
    }

    /// What a pool search makes of `a`: reserved addresses are skipped (the
    /// client's own were tried first), those of a host database asked only
    /// once the address is free of leases.
    fn candidate(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        kind: LeaseType6,
        a: Ipv6Addr,
        iaid: u32,
    ) -> Candidate {
        let checks = checks_reservations6(ctx.subnet, a);
        if checks && ctx.subnet.reservations.by_address(a).is_some() {
            Candidate::Skip
        } else if !self.lease_free(store, ctx, kind, a, iaid) {
            Candidate::Taken
        } else if checks && self.db_reserved(ctx, a) {
            Candidate::Skip
        } else {
            Candidate::Free
        }
    }

    /// Whether the client's classes let it use a pool with this guard.
    fn allowed(ctx: &Ctx<'_>, g: &ClassGuard) -> bool {
        g.client_classes.is_empty() || classify::allowed(&g.client_classes, &ctx.classes.borrow())
    }

    /// Preferred and valid lifetimes for an IA with the client's `hint`
    /// (preferred, valid; 0 = none): the defaults, or the hint within
    /// `min-`/`max-` (Kea); preferred never above valid. Each triple is
    /// the first of the client's classes' that sets it, else the subnet's
    /// (Kea's `getValidLft` / `getPreferredLft`).
    fn lifetimes(&self, ctx: &Ctx<'_>, hint: (u32, u32)) -> (u32, u32) {
        let s = ctx.subnet;
        let (mut vl, mut pl) = (s.valid_lifetime, s.preferred_lifetime);
        let defs = &self.cfg.client_classes;
        if !defs.is_empty() {
            let classes = ctx.classes.borrow();
            let first = |f: fn(&ClientClass6) -> Option<Lifetime>| {
                classes.defs().find_map(|i| f(defs.get(i)?))
            };
            vl = first(|c| c.valid_lifetime).unwrap_or(vl);
            pl = first(|c| c.preferred_lifetime).unwrap_or(pl);
        }
        let valid = vl.choose(Some(hint.1));
        let pref = pl.choose(Some(hint.0)).min(valid);
        (pref, valid)
    }

    /// Kea's `requiredClassify`: the `require-client-classes` of the
    /// subnet, then of the pools of every address and prefix in `reply`.
    pub(super) fn require_classes(&self, ctx: &Ctx<'_>, reply: &v6::Message) {
        let Some(raw) = ctx.raw else {
            return;
        };
        let s = ctx.subnet;
        let mut lists: Vec<&[String]> = Vec::new();
        if !s.classes.required_classes.is_empty() {
            lists.push(&s.classes.required_classes);
        }
        let pools = s
            .pools
            .iter()
            .any(|p| !p.classes.required_classes.is_empty());
        let pd_pools = s
            .pd_pools
            .iter()
            .any(|p| !p.classes.required_classes.is_empty());
        if pools || pd_pools {
            for o in reply.opts().iter() {
                let (DhcpOption::IANA(v6::IANA { opts, .. })
                | DhcpOption::IAPD(v6::IAPD { opts, .. })) = o
                else {
                    continue;
                };
                for x in opts.iter() {
                    let g = match x {
                        DhcpOption::IAAddr(a) if pools => s
                            .pools
                            .iter()
                            .find(|p| p.contains(a.addr))
                            .map(|p| &p.classes),
                        DhcpOption::IAPrefix(p) if pd_pools => s
                            .pd_pools
                            .iter()
                            .find(|pp| pp.contains(p.prefix_ip, p.prefix_len))
                            .map(|p| &p.classes),
                        _ => None,
                    };
                    if let Some(g) = g.filter(|g| !g.required_classes.is_empty()) {
                        lists.push(&g.required_classes);
                    }
                }
            }
        }
        if lists.is_empty() {
            return;
        }
        classify::required(
            raw,
            &self.cfg.client_classes,
            &mut ctx.classes.borrow_mut(),
            lists,
        );
    }

    pub(super) fn lease(
        &self,
        ctx: &Ctx<'_>,
        kind: LeaseType6,
        addr: Ipv6Addr,
        prefix_len: u8,
        iaid: u32,
        hint: (u32, u32),
    ) -> Lease6 {
        let (pref, valid) = self.lifetimes(ctx, hint);
        let (hwaddr, hwtype, hwaddr_source) =
            super::mac::client_mac(ctx.q, ctx.meta, &self.cfg.mac_sources)
                .map_or((Vec::new(), 0, 0), |m| (m.addr, m.htype, m.source));
        // Addresses get the client's name (option 39); prefixes the
        // reservation's host name only.
        let name = match kind {
            LeaseType6::Pd => super::names::Name6 {
                hostname: ctx
                    .host
                    .as_deref()
                    .and_then(|h| h.hostname.clone())
                    .unwrap_or_default(),
                ..Default::default()
            },
            _ => self.name(ctx, Some(addr)),
        };
        Lease6 {
            address: addr,
            duid: ctx.duid().to_vec(),
            valid_lifetime: valid,
            expire: ctx.now + u64::from(valid),
            subnet_id: ctx.subnet.id,
            pref_lifetime: pref,
            lease_type: kind,
            iaid,
            prefix_len,
            fqdn_fwd: name.fwd,
            fqdn_rev: name.rev,
            hostname: name.hostname,
            hwaddr,
            state: LeaseState::Default,
            user_context: Self::extended_info(ctx),
            hwtype,
            hwaddr_source,
            // Kea 2.4+: the `pool-id` of the pool holding it.
            pool_id: match kind {
                LeaseType6::Pd => ctx
                    .subnet
                    .pd_pools
                    .iter()
                    .find(|p| p.contains(addr, prefix_len))
                    .map_or(0, |p| p.id),
                _ => ctx
                    .subnet
                    .pools
                    .iter()
                    .find(|p| p.contains(addr))
                    .map_or(0, |p| p.id),
            },
        }
    }

    /// Kea's `store-extended-info`: the relays of a relayed query in the
    /// lease's user context, as kea-dhcp6 2.2 writes it (checked against
    /// its lease file with a two-hop Relay-forward):
    /// `{ "ISC": { "relays": [ { "hop": 1, "link": "...", "options":
    /// "0x...", "peer": "..." }, ... ] } }`, outermost relay first, each
    /// relay's options but the Relay Message in order of code in
    /// upper-case hex (`options` left out when it has none). Empty when
    /// off or not relayed.
    fn extended_info(ctx: &Ctx<'_>) -> String {
        use std::fmt::Write as _;
        if !ctx.subnet.store_extended_info || ctx.q.relays.is_empty() {
            return String::new();
        }
        let mut out = String::from("{ \"ISC\": { \"relays\": [ ");
        for (i, r) in ctx.q.relays.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(
                out,
                "{{ \"hop\": {}, \"link\": \"{}\", ",
                r.hop_count, r.link_addr
            );
            if !r.options.is_empty() {
                out.push_str("\"options\": \"0x");
                for b in r.options_by_code().concat() {
                    let _ = write!(out, "{b:02X}");
                }
                out.push_str("\", ");
            }
            let _ = write!(out, "\"peer\": \"{}\" }}", r.peer_addr);
        }
        out.push_str(" ] } }");
        out
    }

    /// Kea's lease caching (`cache-threshold`, `cache-max-age`): the
    /// preferred and valid lifetimes left of the client's lease `old` when
    /// it may be given again instead of `new` without a write: same
    /// client, IA, subnet, name and DNS flags, no shorter lifetime, and
    /// young enough for the subnet's settings.
    fn reuse_left6(ctx: &Ctx<'_>, old: &Lease6, new: &Lease6) -> Option<(u32, u32)> {
        if ctx.subnet.cache == ruru_config::LeaseCache::default()
            || old.state != LeaseState::Default
            || old.lease_type != new.lease_type
            || old.address != new.address
            || old.prefix_len != new.prefix_len
            || old.duid != new.duid
            || old.iaid != new.iaid
            || old.subnet_id != new.subnet_id
            || old.hostname != new.hostname
            || old.fqdn_fwd != new.fqdn_fwd
            || old.fqdn_rev != new.fqdn_rev
            || new.valid_lifetime < old.valid_lifetime
        {
            return None;
        }
        let valid = ctx.subnet.cache.reusable_at(
            ctx.now,
            old.expire,
            old.valid_lifetime,
            new.valid_lifetime,
        )?;
        // What is left of the preferred lifetime: as much has gone of it
        // as of the valid one.
        let pref = if old.pref_lifetime == u32::MAX {
            u32::MAX
        } else {
            old.pref_lifetime
                .saturating_sub(old.valid_lifetime.saturating_sub(valid))
        };
        Some((pref, valid))
    }

    /// Stores a lease (add or replace); statistics for new assignments.
    /// `Ok(Some((preferred, valid)))`: the client's stored lease was
    /// reused by lease caching (nothing written); the reply gives those
    /// lifetimes.
    /// Whether `l`'s address (or prefix) lies in one of the subnet's pools
    /// of its type.
    fn in_a_pool(ctx: &Ctx<'_>, l: &Lease6) -> bool {
        match l.lease_type {
            LeaseType6::Pd => ctx
                .subnet
                .pd_pools
                .iter()
                .any(|p| p.contains(l.address, l.prefix_len)),
            _ => ctx.subnet.pools.iter().any(|p| p.contains(l.address)),
        }
    }

    pub(super) fn store(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        l: &Lease6,
    ) -> Result<Option<(u32, u32)>, Drop6> {
        // Conditional writes: a new lease only if the address is still
        // free, a replacement only if the stored lease is still the one
        // checked (another worker, or another server on a shared database,
        // may have taken the address since). A lost race drops the message;
        // the client retransmits and gets another address.
        let old = store.get6(l.lease_type, l.address);
        if let Some(o) = &old {
            if let Some(left) = Self::reuse_left6(ctx, o, l) {
                let st = &self.subnet_stats[ctx.sidx];
                let (total, per_subnet) = match l.lease_type {
                    LeaseType6::Pd => (Stat::V6IaPdLeaseReuses, &st.v6_ia_pd_lease_reuses),
                    _ => (Stat::V6IaNaLeaseReuses, &st.v6_ia_na_lease_reuses),
                };
                self.stats.inc(total);
                add(per_subnet, 1);
                if ctx.fam.track {
                    ctx.fam.committed.borrow_mut().push(o.clone());
                }
                return Ok(Some(left));
            }
        }
        // An address or prefix in no pool keeps the pool id its lease had
        // (Kea).
        let kept;
        let l = match &old {
            Some(o) if o.pool_id != 0 && l.pool_id == 0 && !Self::in_a_pool(ctx, l) => {
                kept = Lease6 {
                    pool_id: o.pool_id,
                    ..l.clone()
                };
                &kept
            }
            _ => l,
        };
        // The lease read here, not the one the address was chosen with,
        // decides: another server may have leased the address to another
        // client in between (then it is a conflict, never a replacement).
        let res = match &old {
            Some(o) if held_by_other(o, ctx.now, &l.duid, l.iaid) => Ok(false),
            Some(o) => store.update6_if(l, o),
            None => store.add6(l).map(|()| true),
        };
        match res {
            Ok(true) if ctx.fam.track => ctx.fam.committed.borrow_mut().push(l.clone()),
            Ok(true) => {}
            Ok(false) | Err(ruru_lease::LeaseError::Exists6(_)) => {
                self.stats.inc(Stat::V6AllocationConflicts);
                if let (Some(rng), Some(c)) = (self.spread.as_deref(), self.cursors.get(ctx.sidx)) {
                    let s = ctx.subnet;
                    let cur =
                        match l.lease_type {
                            LeaseType6::Pd => s.pd_pools.iter().zip(&c.pd).find_map(|(p, c)| {
                                p.contains(l.address, l.prefix_len).then_some(c)
                            }),
                            _ => s
                                .pools
                                .iter()
                                .zip(&c.na)
                                .find_map(|(p, c)| p.contains(l.address).then_some(c)),
                        };
                    if let Some(cur) = cur {
                        cur.jump(rng);
                    }
                }
                debug!(addr = %l.address, "DHCPv6 lease changed meanwhile; message dropped");
                return Err(Drop6::Conflict);
            }
            Err(e) => {
                crate::store_failed("DHCPv6 lease not stored; no reply", &l.address, &e);
                return Err(Drop6::StoreFailed);
            }
        }
        // DNS (Kea's `createNameChangeRequests`): nothing when a renewal
        // keeps its name, unless `ddns-update-on-renew`.
        if l.lease_type == LeaseType6::Na && self.ddns_sink().is_some() {
            let same = old.as_ref().is_some_and(|o| {
                o.duid == l.duid
                    && o.iaid == l.iaid
                    && o.hostname == l.hostname
                    && o.fqdn_fwd == l.fqdn_fwd
                    && o.fqdn_rev == l.fqdn_rev
            });
            if !same || Self::ddns_params(ctx.subnet, Some(l.address)).update_on_renew {
                if let Some(o) = &old {
                    self.queue_ncr(ruru_ddns::ChangeType::Remove, o);
                }
                self.queue_ncr(ruru_ddns::ChangeType::Add, l);
            }
        }
        let fresh = old.as_ref().is_none_or(|o| {
            o.state == LeaseState::ExpiredReclaimed || o.duid != l.duid || o.iaid != l.iaid
        });
        if fresh {
            let st = &self.subnet_stats[ctx.sidx];
            if old
                .as_ref()
                .is_some_and(|o| o.state != LeaseState::ExpiredReclaimed)
            {
                // reused another client's expired lease: it stops counting
                self.unassign(old.as_ref().unwrap_or(l));
            }
            match l.lease_type {
                LeaseType6::Pd => {
                    add(&st.assigned_pds, 1);
                    add(&st.cumulative_assigned_pds, 1);
                    self.stats.inc(Stat::CumulativeAssignedPds);
                }
                _ => {
                    add(&st.assigned_nas, 1);
                    add(&st.cumulative_assigned_nas, 1);
                    self.stats.inc(Stat::CumulativeAssignedNas);
                }
            }
        }
        Ok(None)
    }

    pub(super) fn unassign(&self, l: &Lease6) {
        if let Some(i) = self.cfg.subnets.iter().position(|s| s.id == l.subnet_id) {
            let st = &self.subnet_stats[i];
            match l.lease_type {
                LeaseType6::Pd => add(&st.assigned_pds, -1),
                _ => add(&st.assigned_nas, -1),
            }
        }
    }

    /// An address or a prefix for one IA of `kind`.
    pub(super) fn pick(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        kind: LeaseType6,
        iaid: u32,
        hint: Option<(Ipv6Addr, u8)>,
    ) -> Option<(Ipv6Addr, u8)> {
        match kind {
            LeaseType6::Pd => self.pick_pd(store, ctx, iaid, hint),
            _ => self
                .pick_na(store, ctx, iaid, hint.map(|(a, _)| a))
                .map(|a| (a, 128)),
        }
    }

    /// Counts an IA that got nothing (in a shared network, from any of
    /// its subnets).
    pub(super) fn no_space(&self, ctx: &Ctx<'_>) {
        self.stats.inc(Stat::V6AllocationFail);
        if ctx.subnet.network.is_none() {
            self.stats.inc(Stat::V6AllocationFailSubnet);
        } else {
            self.stats.inc(Stat::V6AllocationFailSharedNetwork);
        }
        debug!(
            xid = format_args!("{:#08x}", ctx.q.xid()),
            subnet = ctx.subnet.id,
            shared_network = ctx.subnet.network.as_ref().map(|n| n.name.as_str()),
            "no address/prefix available"
        );
    }
}
