//! Reclamation of expired leases (Kea's `expired-leases-processing`).
//!
//! An expired lease is kept in state expired-reclaimed (so a returning client
//! still finds "its" address) until `hold-reclaimed-time` has passed; declined
//! addresses come back to the pool after their probation period. Hook points:
//! `lease4_expire` and `lease4_recover` (declined leases); a callout that
//! sets `remove_lease` has the lease deleted instead of kept.

use ruru_lease::{Lease4, LeaseState, LeaseStore};
use tracing::{debug, warn};

use super::Engine4;
use crate::hooks::{HookArgs, HookPoint, NextStep, PacketContext};
use crate::stats::{add, Stat};

impl Engine4 {
    /// Reclaims up to `limit` (0 = all) expired leases at `now`. Returns how
    /// many were reclaimed and whether more remain.
    pub fn reclaim(&self, store: &dyn LeaseStore, now: u64, limit: usize) -> (usize, bool) {
        let fetch = if limit == 0 { 0 } else { limit + 1 };
        let mut expired = store.expired4(now, fetch);
        let more = limit != 0 && expired.len() > limit;
        expired.truncate(if limit == 0 { usize::MAX } else { limit });
        let mut done = 0;
        for l in expired {
            let was_declined = l.state == LeaseState::Declined;
            // lease4_expire / lease4_recover (declined): SKIP leaves the lease.
            let point = if was_declined {
                HookPoint::Lease4Recover
            } else {
                HookPoint::Lease4Expire
            };
            let mut remove = false;
            if let Some(h) = self.opts.hooks.as_deref().filter(|h| h.has(point)) {
                let mut pc = PacketContext::default();
                let mut copy = l.clone();
                let mut a = HookArgs::new(point, &mut pc);
                a.lease = Some(&mut copy);
                a.subnet_id = Some(l.subnet_id);
                a.remove_lease = Some(false);
                if h.call(&mut a) != NextStep::Continue {
                    continue;
                }
                remove = a.remove_lease == Some(true);
            }
            let reclaimed = Lease4 {
                hostname: String::new(),
                fqdn_fwd: false,
                fqdn_rev: false,
                state: LeaseState::ExpiredReclaimed,
                ..l.clone()
            };
            // Only the lease read as expired: another server sharing the
            // database may have leased the address again meanwhile, and
            // that lease must stay.
            let res = if remove {
                store.delete4(l.addr).map(|_| true)
            } else {
                store.update4_if(&reclaimed, &l)
            };
            match res {
                Ok(true) => {}
                Ok(false) => {
                    debug!(addr = %l.addr, "expired lease changed meanwhile (another server?): left alone");
                    continue;
                }
                Err(e) => {
                    warn!(addr = %l.addr, error = %e, "reclaiming lease failed");
                    continue;
                }
            }
            done += 1;
            // The lease's DNS names go with it (hardware type unknown
            // here: Ethernet, as Kea reads leases from its file).
            self.queue_ncr(ruru_ddns::ChangeType::Remove, &l, 1);
            if let Some(i) = self.subnet_index(l.subnet_id) {
                self.bump(i, l.addr, |st| {
                    add(&st.assigned_addresses, -1);
                    if was_declined {
                        add(&st.declined_addresses, -1);
                        add(&st.reclaimed_declined_addresses, 1);
                    } else {
                        add(&st.reclaimed_leases, 1);
                    }
                });
            }
            if was_declined {
                self.stats.add(Stat::DeclinedAddresses, -1);
                self.stats.inc(Stat::ReclaimedDeclinedAddresses);
            } else {
                self.stats.inc(Stat::ReclaimedLeases);
            }
            debug!(addr = %l.addr, declined = was_declined, "lease reclaimed");
        }
        (done, more)
    }
}
