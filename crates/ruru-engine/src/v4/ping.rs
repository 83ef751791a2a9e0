//! Kea's `libdhcp_ping_check.so`, built in: the engine's half. Whether
//! the address of an OFFER is checked first, and what a check that got an
//! answer does (Kea's server-initiated decline). The ICMP exchange itself
//! is the server's (`ruru-server`'s `ping` module): the engine stays
//! sans-I/O.
//!
//! As in Kea (whose library parks the query at `lease4_offer`), an OFFER
//! is held for a check when the subnet's settings enable it and the
//! address is not:
//! - the one the lease cache gives the client again (nothing new is
//!   offered: Kea's `leases4` is empty then);
//! - reserved for the client (Kea 3.0);
//! - the client's own lease that is still valid, or that expired but was
//!   last transmitted (CLTT) less than `ping-cltt-secs` ago. With
//!   `offer-lifetime`, a repeated DISCOVER finds its held offer valid and
//!   is answered at once.
//!
//! The held reply goes out as [`Outcome4::Probe`]. When the address
//! answers, [`Engine4::decline_probed`] does what Kea's `serverDecline`
//! does: the lease is stored declined for `decline-probation-period`
//! (added, or written over the offered one), `declined-addresses` counts
//! it (and `assigned-addresses` when no offered lease was counted) and
//! the OFFER is discarded; the client's next DISCOVER gets another
//! address. Otherwise [`Engine4::resume`] finishes the OFFER.

use std::cell::Cell;
use std::net::Ipv4Addr;

use ruru_lease::{Lease4, LeaseState, LeaseStore};
use tracing::{debug, info};

use super::{Ctx, Engine4, Outcome4, Parked4};
use crate::hooks::{next_park_id, HookArgs, HookPoint};
use crate::stats::{add, Stat};

/// What the DHCPv4 handlers keep per exchange beside the pipeline's
/// context.
#[derive(Default)]
pub struct Exchange4 {
    /// The parking id of a reply held by a `leases4_committed` callout,
    /// or of an OFFER held for its ping check.
    pub(super) park: Cell<Option<u64>>,
    /// The ping check the OFFER waits for.
    pub(super) probe: Cell<Option<Probe4>>,
}

/// The ping check of an offered address, for the server to run.
#[derive(Debug, Clone)]
pub struct Probe4 {
    /// The address to send ICMP ECHO REQUESTs to.
    pub addr: Ipv4Addr,
    /// How many ECHO REQUESTs go unanswered before the address is
    /// offered (`min-ping-requests`, at least 1).
    pub requests: u32,
    /// How long a reply to one ECHO REQUEST is waited for, in
    /// milliseconds (`reply-timeout`, at least 1).
    pub reply_timeout_ms: u32,
    /// The offered lease (declined when the address answers).
    lease: Lease4,
}

/// An OFFER held for the ping check of its address: the reply to finish
/// ([`Engine4::resume`]) when no answer comes, the check to run.
#[derive(Debug, Clone)]
pub struct Probed4 {
    pub parked: Parked4,
    pub probe: Probe4,
}

impl Engine4 {
    /// Holds the OFFER of `lease` for a ping check when the subnet's
    /// settings ask for one; `old` is what the store held at its address
    /// before this DISCOVER, `reused` whether the lease cache gives the
    /// client its lease again.
    pub(super) fn ping_first(
        &self,
        ctx: &Ctx<'_>,
        lease: &Lease4,
        old: Option<&Lease4>,
        reused: bool,
    ) {
        let Some(pc) = ctx.subnet.ping_check.filter(|p| p.enabled) else {
            return;
        };
        let addr = lease.addr;
        let reserved = ctx.host.as_deref().and_then(|h| h.ip_address) == Some(addr);
        let key = self.key(ctx);
        // Kea's `shouldPing`: the client's own lease last seen less than
        // `ping-cltt-secs` ago (valid or not) is not checked again.
        let recent = old.is_some_and(|o| {
            let cltt = o.expire.saturating_sub(u64::from(o.valid_lifetime));
            key.owns(o)
                && o.state != LeaseState::Declined
                && ctx.now.saturating_sub(cltt) < u64::from(pc.ping_cltt_secs)
        });
        if reused || reserved || recent {
            debug!(xid = format_args!("{:#010x}", ctx.q.xid()), %addr, reused, reserved, recent, "ping check: not needed");
            return;
        }
        ctx.fam.park.set(Some(next_park_id()));
        ctx.fam.probe.set(Some(Probe4 {
            addr,
            requests: pc.min_ping_requests,
            reply_timeout_ms: pc.reply_timeout_ms,
            lease: lease.clone(),
        }));
    }

    /// The address of an OFFER held for its ping check answered: Kea's
    /// server-initiated decline (see the module's documentation). The
    /// OFFER is discarded.
    pub fn decline_probed(&self, store: &dyn LeaseStore, p: &Probed4, now: u64) {
        let addr = p.probe.addr;
        let offered = &p.probe.lease;
        let probation = self.cfg.decline_probation_period;
        let declined = Lease4 {
            hwaddr: Vec::new(),
            client_id: None,
            valid_lifetime: probation,
            expire: now + u64::from(probation),
            hostname: String::new(),
            fqdn_fwd: false,
            fqdn_rev: false,
            state: LeaseState::Declined,
            user_context: String::new(),
            ..offered.clone()
        };
        let cur = store.get4(addr);
        let written = match &cur {
            Some(c) => store.update4_if(&declined, c),
            None => store.add4(&declined).map(|()| true),
        };
        match written {
            Ok(true) => {}
            Ok(false) => {
                debug!(%addr, "ping check: the lease changed meanwhile; not declined");
                return;
            }
            Err(e) => {
                crate::store_failed("server-initiated decline not stored", &addr, &e);
                return;
            }
        }
        let Some(sidx) = self.subnet_index(offered.subnet_id) else {
            return;
        };
        // Already counted as assigned here: the lease held for the offer
        // (offer-lifetime), or another one not yet reclaimed.
        let counted = cur
            .as_ref()
            .filter(|c| c.state != LeaseState::ExpiredReclaimed);
        // A declined lease not yet reclaimed is counted as declined already.
        let declined_before = counted
            .is_some_and(|c| c.state == LeaseState::Declined && c.subnet_id == offered.subnet_id);
        let assigned = match counted {
            Some(c) if c.subnet_id == offered.subnet_id => false,
            Some(c) => {
                self.unassign(c);
                true
            }
            None => true,
        };
        if !declined_before {
            self.bump(sidx, addr, |st| {
                add(&st.declined_addresses, 1);
                if assigned {
                    add(&st.assigned_addresses, 1);
                }
            });
            self.stats.inc(Stat::DeclinedAddresses);
        }
        info!(
            xid = format_args!("{:#010x}", p.parked.query().xid()),
            %addr,
            probation,
            "address in use (it answered a ping): declined by the server, OFFER discarded"
        );
        // Kea 2.6's lease4_server_decline: the libraries see the declined
        // lease (the status is not used).
        if let Some(h) = self.hooks_at(HookPoint::Lease4ServerDecline) {
            let mut pc = p.parked.context().clone();
            let mut lease = declined;
            let mut a = HookArgs::new(HookPoint::Lease4ServerDecline, &mut pc);
            a.query = Some(p.parked.query());
            a.subnet_id = Some(offered.subnet_id);
            a.lease = Some(&mut lease);
            h.call(&mut a);
        }
    }
}

/// The outcome of a parked reply: held for its ping check when the
/// exchange asked for one.
pub(super) fn parked(fam: &Exchange4, p: Box<Parked4>) -> Outcome4 {
    match fam.probe.take() {
        Some(probe) => Outcome4::Probe(Box::new(Probed4 { parked: *p, probe })),
        None => Outcome4::Parked(p),
    }
}
