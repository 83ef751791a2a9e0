//! Kea 2.6's OFFER features (DHCPv4): `offer-lifetime` (when above 0, an
//! OFFER stores a lease of that many seconds, holding its address for the
//! client until its REQUEST: Kea's ARM, "Temporary Allocation on
//! DHCPDISCOVER") and the `lease4_offer` hook point.

use std::net::Ipv4Addr;

use ruru_lease::{Lease4, LeaseError, LeaseState, LeaseStore};
use tracing::debug;

use super::{names, Ctx, Draft, Drop4, Engine4};
use crate::hooks::{next_park_id, HookArgs, HookPoint, NextStep};

impl Engine4 {
    /// Kea 2.6's `offer-lifetime` for this client: the first of its
    /// classes that sets one, else the subnet's (Kea's `getOfferLft`).
    pub(super) fn offer_lifetime(&self, ctx: &Ctx<'_>) -> u32 {
        let defs = &self.cfg.client_classes;
        if !defs.is_empty() {
            let classes = ctx.classes.borrow();
            let found = classes.defs().find_map(|i| defs.get(i)?.offer_lifetime);
            if let Some(t) = found {
                return t;
            }
        }
        ctx.subnet.offer_lifetime
    }

    /// Kea 2.6's `offer-lifetime` above 0: the OFFER of `addr` stores a
    /// lease of `secs` seconds (the OFFER itself carries the valid
    /// lifetime), counted as assigned, without DNS flags (so that the
    /// REQUEST's lease differs and updates DNS, as Kea does); a repeated
    /// DISCOVER finds it and is offered the same address. The client's own
    /// lease that outlives the hold is offered as it is, unwritten. An
    /// address another server took meanwhile (shared database) gets no
    /// OFFER: the client's next DISCOVER gets another one.
    pub(super) fn hold_offer(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        addr: Ipv4Addr,
        secs: u32,
        name: &names::Name4,
    ) -> Result<(), Drop4> {
        let key = self.key(ctx);
        let old = store.get4(addr);
        let outlives = |o: &Lease4| {
            key.owns(o) && o.state == LeaseState::Default && o.expire > ctx.now + u64::from(secs)
        };
        if old.as_ref().is_some_and(outlives) {
            return Ok(());
        }
        let mut lease = self.candidate(ctx, addr, secs, name);
        lease.fqdn_fwd = false;
        lease.fqdn_rev = false;
        let taken = old.as_ref().is_some_and(|o| {
            !(o.expired(ctx.now) || (o.state != LeaseState::Declined && key.owns(o)))
        });
        let res = match &old {
            Some(_) if taken => Ok(false),
            Some(o) => store.update4_if(&lease, o),
            None => store.add4(&lease).map(|()| true),
        };
        match res {
            Ok(true) => {
                self.count_assignment(ctx, old.as_ref(), &key, addr);
                Ok(())
            }
            Ok(false) | Err(LeaseError::Exists(_)) => {
                self.conflict(ctx.sidx, addr);
                debug!(xid = format_args!("{:#010x}", ctx.q.xid()), %addr, "offered address taken meanwhile (another server?): no OFFER");
                Err(Drop4::AllocationFailed)
            }
            Err(e) => {
                crate::store_failed("offered lease not stored; no OFFER", &addr, &e);
                Err(Drop4::StoreFailed)
            }
        }
    }

    /// Runs `lease4_offer` (Kea 2.6) on the OFFER `d` of `lease`, held
    /// `hold` seconds (`offer-lifetime`; 0: not stored). On PARK the
    /// exchange's parking id is set: the OFFER waits for the library.
    pub(super) fn offer_hook(
        &self,
        ctx: &Ctx<'_>,
        d: &mut Draft,
        lease: &mut Lease4,
        hold: u32,
    ) -> NextStep {
        let Some(h) = self.hooks_at(HookPoint::Lease4Offer) else {
            return NextStep::Continue;
        };
        let id = next_park_id();
        let step = {
            let classes = ctx.classes.borrow();
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Lease4Offer, &mut pcm);
            a.query = Some(ctx.q);
            a.subnet_id = Some(ctx.subnet.id);
            a.classes = Some(&classes);
            a.response = Some(d);
            a.lease = Some(lease);
            a.offer_lifetime = Some(hold);
            a.park = Some(id);
            h.call(&mut a)
        };
        if step == NextStep::Park {
            ctx.fam.park.set(Some(id));
        }
        step
    }
}
