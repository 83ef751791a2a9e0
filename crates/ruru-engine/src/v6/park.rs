//! DHCPv6 replies parked by hook libraries (Kea's PARK at
//! `leases6_committed` and `pkt6_send`), and what the hook points see of
//! the leases of an exchange.
//!
//! [`Engine6::park`] moves everything the rest of the reply needs into a
//! [`Parked6`]; the server keeps it in its bounded parking lot and calls
//! [`Engine6::resume`] on the same engine when the library unparks it.

use std::cell::RefCell;

use dhcproto::v6;
use ruru_config::Reservation6;
use ruru_lease::{Lease6, LeaseType6};
use serde_json::json;
use tracing::debug;

use super::packet::Query6;
use super::{Ctx, Drop6, Engine6, Outcome6, RecvMeta6};

/// Where a parked reply stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage6 {
    /// After `leases6_committed`: options, `pkt6_send` and `buffer6_send`
    /// still run.
    Committed,
    /// After `pkt6_send`: encoding and `buffer6_send` still run.
    Sent,
}

/// A reply held by a hook library: everything needed to finish it.
#[derive(Debug, Clone)]
pub struct Parked6 {
    /// The parking id the library was given (`parking_id`).
    pub id: u64,
    stage: Stage6,
    q: Query6,
    meta: RecvMeta6,
    sidx: usize,
    /// The client's reservation (from the subnet or a host database).
    host: Option<Reservation6>,
    now: u64,
    reply: v6::Message,
    pc: crate::hooks::PacketContext,
}

/// The `leases6` / `deleted_leases6` argument: a JSON array with the
/// fields of Kea's lease6 JSON that identify and time a lease.
pub(super) fn leases_json(leases: &[Lease6]) -> String {
    let list: Vec<_> = leases
        .iter()
        .map(|l| {
            json!({
                "ip-address": l.address.to_string(),
                "type": match l.lease_type { LeaseType6::Pd => "IA_PD", LeaseType6::Ta => "IA_TA", _ => "IA_NA" },
                "prefix-len": l.prefix_len,
                "iaid": l.iaid,
                "subnet-id": l.subnet_id,
                "valid-lft": l.valid_lifetime,
                "preferred-lft": l.pref_lifetime,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

impl Engine6 {
    /// Holds the reply for the library that parked it.
    pub(super) fn park(
        &self,
        ctx: &Ctx<'_>,
        meta: &RecvMeta6,
        id: u64,
        stage: Stage6,
        reply: v6::Message,
    ) -> Outcome6 {
        debug!(
            xid = format_args!("{:#08x}", ctx.q.xid()),
            id,
            ?stage,
            "DHCPv6 reply parked by a hook library"
        );
        let host = ctx.host.cloned();
        Outcome6::Parked(Box::new(Parked6 {
            id,
            stage,
            q: ctx.q.clone(),
            meta: meta.clone(),
            sidx: ctx.sidx,
            host,
            now: ctx.now,
            reply,
            pc: std::mem::take(&mut *ctx.pc.borrow_mut()),
        }))
    }

    /// Finishes a parked reply (the library unparked it). Must be called on
    /// the engine that parked it.
    pub fn resume(&self, p: Parked6) -> Outcome6 {
        let subnet = if p.sidx == usize::MAX {
            &self.no_subnet
        } else {
            match self.cfg.subnets.get(p.sidx) {
                Some(s) => s,
                None => return self.drop(Some(&p.q), Drop6::NoSubnet),
            }
        };
        let pc = RefCell::new(p.pc);
        let ctx = Ctx {
            q: &p.q,
            duid: p.q.client_id.as_deref().unwrap_or_default(),
            subnet,
            sidx: p.sidx,
            host: p.host.as_ref(),
            now: p.now,
            pc: &pc,
            track_commits: false,
            committed: RefCell::new(Vec::new()),
            deleted: RefCell::new(Vec::new()),
        };
        match p.stage {
            Stage6::Committed => self.finish(&ctx, &p.meta, p.reply),
            Stage6::Sent => self.send_out(&ctx, &p.meta, &p.reply),
        }
    }

    /// Hands a parked reply's `finish` to the dispatcher that parked it.
    pub fn hold(&self, id: u64, finish: crate::hooks::Finish) {
        match &self.opts.hooks {
            Some(h) => h.hold(id, finish),
            None => finish(false),
        }
    }

    /// Counts a parked reply that will never be sent.
    pub fn drop_parked(&self, p: &Parked6) {
        self.drop(Some(&p.q), Drop6::Hook);
    }
}
