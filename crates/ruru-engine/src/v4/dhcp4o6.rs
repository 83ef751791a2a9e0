//! The DHCPv4 side of DHCPv4-over-DHCPv6 (RFC 7341, see
//! [`crate::dhcp4o6`]): the DHCPv4 message of a DHCPV4-QUERY goes through
//! the whole DHCPv4 pipeline, with Kea's subnet selection for it.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use tracing::debug;

use super::{Engine4, Outcome4, RecvMeta};
use crate::dhcp4o6::Over6;
use ruru_lease::LeaseStore;

impl Engine4 {
    /// The encoded reply to `msg`, a DHCPv4 message that came in a
    /// DHCPV4-QUERY received as `over`; `local` is the server identifier
    /// (Kea's: the address of the DHCPv4 service's socket on the
    /// interface the DHCPv6 message arrived on). Replies a hook library
    /// parks are dropped (Kea does not park them either); an OFFER held
    /// for the built-in ping check goes out unchecked.
    pub fn process_4o6(
        &self,
        store: &dyn LeaseStore,
        msg: &[u8],
        over: Over6,
        local: Ipv4Addr,
        now: u64,
    ) -> Option<Vec<u8>> {
        let meta = RecvMeta {
            src: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, self.opts.client_port),
            local,
            iface: over.iface.clone(),
            src_mac: None,
            over6: Some(Arc::new(over)),
        };
        let mut outcome = self.process(store, msg, &meta, now);
        if let Outcome4::Probe(p) = outcome {
            outcome = self.resume(p.parked);
        }
        match outcome {
            Outcome4::Reply(r) => Some(r.bytes),
            Outcome4::Parked(p) => {
                debug!(
                    park = p.id,
                    "DHCPv4-over-DHCPv6 reply parked by a hook library: dropped"
                );
                self.drop_parked(&p);
                None
            }
            _ => None,
        }
    }

    /// Kea's `selectSubnet4o6`: the first subnet, by id, with `4o6-*` keys
    /// of which one matches; classes are not asked (Kea's does not), and
    /// there is no fallback to the DHCPv4 rules.
    pub(super) fn select_4o6(&self, over: &Over6) -> Option<usize> {
        let subnets = &self.cfg.subnets;
        self.by_id.iter().copied().find(|&i| {
            subnets.get(i).is_some_and(|s| {
                s.dhcp4o6.enabled()
                    && s.dhcp4o6.matches(
                        over.src,
                        over.interface_id.as_deref(),
                        over.iface.as_deref(),
                    )
            })
        })
    }
}
