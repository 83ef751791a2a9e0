//! Reclamation of expired DHCPv6 leases (Kea's `expired-leases-processing`).
//!
//! An expired lease is kept in state expired-reclaimed (so a returning
//! client still finds "its" address or prefix); declined addresses come
//! back to the pool once their probation period has passed. Hook points:
//! `lease6_expire` and `lease6_recover` (declined leases); a callout that
//! sets `remove_lease` has the lease deleted instead of kept.

use ruru_lease::{Lease6, LeaseState, LeaseStore};
use tracing::debug;

use super::Engine6;
use crate::hooks::{HookArgs, HookPoint, NextStep, PacketContext};
use crate::stats::{add, Stat};

impl Engine6 {
    /// Reclaims up to `limit` (0: all) expired leases; how many were
    /// reclaimed, and whether expired leases remain beyond the limit.
    pub fn reclaim(&self, store: &dyn LeaseStore, now: u64, limit: usize) -> (usize, bool) {
        let fetch = if limit == 0 { 0 } else { limit + 1 };
        let mut expired = store.expired6(now, fetch);
        let more = limit != 0 && expired.len() > limit;
        expired.truncate(if limit == 0 { usize::MAX } else { limit });
        let mut n = 0;
        for l in expired {
            let was_declined = l.state == LeaseState::Declined;
            // lease6_expire / lease6_recover: SKIP leaves the lease;
            // `remove_lease` deletes it instead of keeping it reclaimed.
            let point = if was_declined {
                HookPoint::Lease6Recover
            } else {
                HookPoint::Lease6Expire
            };
            let mut remove = false;
            if let Some(h) = self.hooks_at(point) {
                let mut pc = PacketContext::default();
                let mut copy = l.clone();
                let mut a = HookArgs::new(point, &mut pc);
                a.lease6 = Some(&mut copy);
                a.subnet_id = Some(l.subnet_id);
                a.remove_lease = Some(false);
                if h.call(&mut a) != NextStep::Continue {
                    continue;
                }
                remove = a.remove_lease == Some(true);
            }
            let r = Lease6 {
                state: LeaseState::ExpiredReclaimed,
                hostname: String::new(),
                fqdn_fwd: false,
                fqdn_rev: false,
                ..l.clone()
            };
            // Only the lease read as expired: another server sharing the
            // database may have leased the address again meanwhile, and
            // that lease must stay.
            let res = if remove {
                store.delete6(l.lease_type, l.address)
            } else {
                store.update6_if(&r, &l)
            };
            if matches!(res, Ok(false)) {
                debug!(addr = %l.address, "expired lease changed meanwhile (another server?): left alone");
            }
            if matches!(res, Ok(true)) {
                n += 1;
                self.unassign(&l);
                // The lease's DNS names go with it.
                self.queue_ncr(ruru_ddns::ChangeType::Remove, &l);
                let st = self
                    .cfg
                    .subnets
                    .iter()
                    .position(|s| s.id == l.subnet_id)
                    .map(|i| &self.subnet_stats[i]);
                if was_declined {
                    self.stats.add(Stat::DeclinedAddresses, -1);
                    self.stats.inc(Stat::ReclaimedDeclinedAddresses);
                    if let Some(st) = st {
                        add(&st.declined_addresses, -1);
                        add(&st.reclaimed_declined_addresses, 1);
                    }
                } else {
                    self.stats.inc(Stat::ReclaimedLeases);
                    if let Some(st) = st {
                        add(&st.reclaimed_leases, 1);
                    }
                }
            }
        }
        (n, more)
    }
}
