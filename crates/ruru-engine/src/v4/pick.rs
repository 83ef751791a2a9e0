//! Which address a DHCPv4 client gets, in Kea's order: its reservation,
//! its current lease, the address it asked for, then the pool search; the
//! lease store read as few times as that allows (the client's leases with
//! the requested address's, or with the pool search's first candidate: one
//! round trip to a SQL database).

use std::net::Ipv4Addr;

use ruru_lease::LeaseStore;

use super::{add, alloc, hosts, Ctx, Engine4, Stat};

impl Engine4 {
    /// The address to offer or assign, Kea's order. `requested` is the
    /// address the client asked for (option 50 or ciaddr).
    pub(super) fn pick(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        requested: Option<Ipv4Addr>,
    ) -> Option<Ipv4Addr> {
        let key = self.key(ctx);
        let s = ctx.subnet;
        let (own, hosts) = (ctx.host.as_deref(), &self.opts.hosts);
        if let Some(r) = own.and_then(|h| h.ip_address) {
            if s.contains(r) && alloc::available(store, hosts, s, &key, own, r, ctx.now) {
                return Some(r);
            }
            add(&self.subnet_stats[ctx.sidx].v4_reservation_conflicts, 1);
            self.stats.inc(Stat::V4ReservationConflicts);
        }
        // The client's current lease, when it may keep it, read with the
        // requested address's lease, or without one with the lease of the
        // address the pool search would look at first (one round trip to
        // a SQL database for what were two or three).
        let probe = requested
            .or_else(|| self.cursors[ctx.sidx].next_candidate(s, &|p| Self::pool_allowed(ctx, p)));
        let (existing, at_probe) = alloc::client_leases(store, s, &key, probe);
        let at_requested = at_probe.as_ref().filter(|_| probe == requested);
        let current = existing
            .filter(|l| {
                Self::in_allowed_pool(ctx, l.addr)
                    && (!hosts::checks_reservations(s, l.addr)
                        || !s
                            .reservations
                            .reserved_for_other(l.addr, own.map(|h| &h.id))
                            && !hosts.reserved_for_other(s.id, l.addr, own))
            })
            .map(|l| l.addr);
        if let Some(c) = current {
            if requested.is_none_or(|r| r == c) {
                return Some(c);
            }
        }
        if let Some(r) = requested {
            if Self::in_allowed_pool(ctx, r)
                && alloc::available_with(hosts, s, &key, own, r, ctx.now, at_requested)
            {
                return Some(r);
            }
        }
        // A hint that could not be honoured falls back to the current lease.
        if current.is_some() {
            return current;
        }
        // Kea's `compatibility.exclude-first-last-24`: .0 and .255 are
        // never picked in a subnet of prefix length 24 or shorter.
        let exclude_24 = self.cfg.compatibility.exclude_first_last_24 && s.prefix_len <= 24;
        let read = probe.map(|a| (a, at_probe.as_ref()));
        self.cursors[ctx.sidx].find_free(
            store,
            hosts,
            s,
            &key,
            ctx.now,
            exclude_24,
            &|p| Self::pool_allowed(ctx, p),
            read,
        )
    }
}
