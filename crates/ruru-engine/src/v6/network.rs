//! DHCPv6 in a shared network, IA by IA: as Kea's allocation engine,
//! each IA of a message may be served by another subnet of the network
//! (an IA_NA from a subnet with address pools, an IA_PD from one with
//! `pd-pools`), and Renew, Rebind and Release find each IA's lease in
//! whichever subnet holds it. Checked with kea-dhcp6 2.2: a Solicit with
//! IA_NA and IA_PD to a network whose first subnet has only address pools
//! and whose second has only prefix pools gets both, each with its own
//! subnet's T1/T2; the reply's other options are those of the subnet of
//! the last IA served (IA_NAs are handled before IA_PDs).
//!
//! The message as a whole is handled in the subnet the pipeline chose
//! (`Family::preferred_member`); here, each IA tries that subnet's network
//! in [`Engine6::ia_members`]'s order, each subnet with the client's
//! reservation there ([`Engine6::member_host`]).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};

use ruru_config::{HostId6, Reservation6, Subnet6};
use ruru_lease::{LeaseState, LeaseStore, LeaseType6};

use super::{Commits, Ctx, Engine6, Ia};
use crate::pipeline::Family;

impl Commits {
    /// Everything gathered so far, for an exchange in another subnet of
    /// the network; [`Commits::restore`] takes it back.
    fn lend(&self) -> Commits {
        Commits {
            track: self.track,
            committed: RefCell::new(self.committed.take()),
            deleted: RefCell::new(self.deleted.take()),
            name: RefCell::new(self.name.take()),
            ids: RefCell::new(self.ids.take()),
            moved: Cell::new(self.moved.get()),
        }
    }

    fn restore(&self, o: Commits) {
        self.committed.replace(o.committed.into_inner());
        self.deleted.replace(o.deleted.into_inner());
        self.name.replace(o.name.into_inner());
        self.ids.replace(o.ids.into_inner());
        self.moved.set(o.moved.get());
    }
}

impl Engine6 {
    /// The subnets (indices) an IA of the exchange tries, in order: the
    /// exchange's alone outside a shared network. In a network, of the
    /// subnets the client's classes allow: first the one whose
    /// configuration (then a hosts database) reserves it an address (a
    /// prefix, for an IA_PD),
    /// else the one holding the IA's lease, else the one whose pools hold
    /// the address or prefix the IA names; then the exchange's subnet and
    /// the others in the network's order.
    pub(super) fn ia_members(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>, ia: &Ia) -> Vec<usize> {
        let all = self.network_members(ctx.sidx);
        if all.len() <= 1 {
            return vec![ctx.sidx];
        }
        let members: Vec<usize> = {
            let classes = ctx.classes.borrow();
            let pos = all.iter().position(|&m| m == ctx.sidx).unwrap_or(0);
            all[pos..]
                .iter()
                .chain(&all[..pos])
                .copied()
                .filter(|&m| m == ctx.sidx || self.subnet_allows(m, &classes))
                .collect()
        };
        let subnets = &self.cfg.subnets;
        let find = |f: &dyn Fn(&Subnet6) -> bool| {
            members
                .iter()
                .copied()
                .find(|&m| subnets.get(m).is_some_and(f))
        };
        let duid = ctx.duid();
        let of_kind = |h: &Reservation6| match ia.kind {
            LeaseType6::Pd => !h.prefixes.is_empty(),
            _ => !h.ip_addresses.is_empty(),
        };
        let reserved = || {
            if duid.is_empty() {
                return None;
            }
            let id = HostId6::Duid(duid.to_vec());
            find(&|s: &Subnet6| {
                s.host_modes.in_subnet && s.reservations.get(&id).is_some_and(of_kind)
            })
            .or_else(|| {
                // Then the hosts databases, subnet by subnet, with the
                // client's identifiers.
                if self.opts.hosts.is_empty() {
                    return None;
                }
                let kept = ctx.fam.ids.borrow();
                let computed;
                let ids = match kept.as_deref() {
                    Some(ids) => ids,
                    None => {
                        computed = self.host_ids(ctx.q, ctx.meta, None);
                        &computed[..]
                    }
                };
                find(&|s: &Subnet6| {
                    s.host_modes.in_subnet
                        && self
                            .opts
                            .hosts
                            .get6(s.id, ids, &self.cfg.option_defs)
                            .is_some_and(|h| of_kind(&h))
                })
            })
        };
        let leased = || {
            if duid.is_empty() {
                return None;
            }
            store
                .get6_by_duid_iaid(ia.kind, duid, ia.id)
                .into_iter()
                .filter(|l| l.state == LeaseState::Default)
                .filter_map(|l| {
                    let m = find(&|s: &Subnet6| s.id == l.subnet_id)?;
                    Some((l.expire, m))
                })
                .max_by_key(|(expire, _)| *expire)
                .map(|(_, m)| m)
        };
        let hinted = || {
            ia.listed
                .iter()
                .filter(|(a, _)| !a.is_unspecified())
                .find_map(|&(a, len)| {
                    find(&|s: &Subnet6| match ia.kind {
                        LeaseType6::Pd => s.pd_pools.iter().any(|p| p.contains(a, len)),
                        _ => s.pools.iter().any(|p| p.contains(a)),
                    })
                })
        };
        let first = reserved()
            .or_else(leased)
            .or_else(hinted)
            .unwrap_or(ctx.sidx);
        let mut order = Vec::with_capacity(members.len());
        order.push(first);
        order.extend(members.iter().copied().filter(|&m| m != first));
        order
    }

    /// Runs `f` on the exchange as it would be in subnet `m` of the
    /// shared network (with the client's reservation there); what `f`
    /// gathers (leases written, the client's name) comes back to `ctx`,
    /// and with `classes`, the classes it added too.
    pub(super) fn in_member<R>(
        &self,
        ctx: &Ctx<'_>,
        m: usize,
        classes: bool,
        f: impl FnOnce(&Ctx<'_>) -> R,
    ) -> R {
        let Some(s) = self.cfg.subnets.get(m).filter(|_| m != ctx.sidx) else {
            return f(ctx);
        };
        let host = self.member_host(ctx, s);
        let sub = Ctx {
            pc: ctx.pc,
            q: ctx.q,
            meta: ctx.meta,
            subnet: s,
            sidx: m,
            host,
            now: ctx.now,
            fam: ctx.fam.lend(),
            classes: RefCell::new(ctx.classes.borrow().clone()),
            raw: ctx.raw,
        };
        let r = f(&sub);
        let Ctx {
            fam, classes: got, ..
        } = sub;
        ctx.fam.restore(fam);
        if classes {
            *ctx.classes.borrow_mut() = got.into_inner().to_owned_set();
        }
        r
    }

    /// The client's reservation in subnet `s`, another subnet of the
    /// exchange's shared network: looked up with the identifiers the
    /// exchange's own lookup used (its `host6_identifier` callouts are not
    /// called again); without them, with the DUID and the link-layer
    /// address.
    pub(super) fn member_host<'a>(
        &'a self,
        ctx: &Ctx<'_>,
        s: &'a Subnet6,
    ) -> Option<Cow<'a, Reservation6>> {
        if !self.may_have_host(s) {
            return None;
        }
        let kept = ctx.fam.ids.borrow();
        match kept.as_deref() {
            Some(ids) => self.host_with_ids(s, ids),
            None => {
                let ids = self.host_ids(ctx.q, ctx.meta, None);
                self.host_with_ids(s, &ids)
            }
        }
    }
}
