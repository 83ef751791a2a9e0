//! DHCPv4-over-DHCPv6 (RFC 7341) between this process's two services.
//!
//! Kea's `kea-dhcp6` forwards a DHCPV4-QUERY to `kea-dhcp4` over
//! `dhcp4o6-port`; ruru's DHCPv6 engine hands the DHCPv4 message to the
//! DHCPv4 service of the same process through [`Bridge`] instead, and no
//! socket is opened for the port. As with Kea, the feature is on when
//! `Dhcp4` and `Dhcp6` name the same non-zero `dhcp4o6-port`
//! ([`check`] warns when they do not).

use std::sync::{Arc, Weak};

use ruru_config::Config;
use ruru_engine::dhcp4o6::{Dhcp4o6, Over6};
use ruru_engine::Stat;
use tracing::{debug, warn};

use crate::service::FamilyService;
use crate::v4::V4;

/// The DHCPv4 service as the DHCPv6 engine's [`Dhcp4o6`].
pub struct Bridge(Weak<FamilyService<V4>>);

impl Bridge {
    /// The bridge to `v4` for the DHCPv6 engine's options.
    pub fn to(v4: &Arc<FamilyService<V4>>) -> Arc<dyn Dhcp4o6> {
        Arc::new(Bridge(Arc::downgrade(v4)))
    }
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dhcp4o6::Bridge")
    }
}

impl Dhcp4o6 for Bridge {
    /// The DHCPv4 engine's reply, when `Dhcp4` has the same `dhcp4o6-port`
    /// and a socket on the interface the DHCPv6 message came in on: its
    /// address is the server identifier (Kea's; without one Kea drops the
    /// query, counted in `pkt4-receive-drop`). The DHCPv4 service's
    /// `dhcp-disable` does not stop it (as Kea's); the DHCPv6 one's does.
    fn query(&self, msg: &[u8], over: &Over6, port: u16, now: u64) -> Option<Vec<u8>> {
        let v4 = self.0.upgrade()?;
        let engine = v4.engine();
        if engine.cfg.dhcp4o6_port != port {
            debug!(
                dhcp6 = port,
                dhcp4 = engine.cfg.dhcp4o6_port,
                "DHCPV4-QUERY dropped: Dhcp4's dhcp4o6-port is not Dhcp6's"
            );
            return None;
        }
        let Some(local) = over.iface.as_deref().and_then(|i| v4.socket_addr_on(i)) else {
            v4.stats.inc(Stat::Pkt4Received);
            v4.stats.inc(Stat::Pkt4ReceiveDrop);
            debug!(
                iface = over.iface.as_deref().unwrap_or("?"),
                "DHCPV4-QUERY dropped: Dhcp4 has no socket on the interface it came in on (its address is the server identifier)"
            );
            return None;
        };
        engine.process_4o6(v4.store.as_ref(), msg, over.clone(), local, now)
    }
}

/// Warns when only one section turns DHCPv4-over-DHCPv6 on, or they name
/// different ports (Kea's pair then loses the queries without a word).
pub fn check(config: &Config) {
    let p4 = config.dhcp4.as_ref().map_or(0, |d| d.dhcp4o6_port);
    let p6 = config.dhcp6.as_ref().map_or(0, |d| d.dhcp4o6_port);
    if p6 != 0 && config.dhcp4.is_none() {
        warn!(port = p6, "Dhcp6.dhcp4o6-port is set but this process has no Dhcp4 section: DHCPV4-QUERY messages are dropped (give ruru the Dhcp4 file too: ruru serve -c kea-dhcp4.conf -c kea-dhcp6.conf)");
    } else if (p4 != 0 || p6 != 0) && p4 != p6 {
        warn!(
            dhcp4 = p4,
            dhcp6 = p6,
            "Dhcp4.dhcp4o6-port and Dhcp6.dhcp4o6-port differ: DHCPv4-over-DHCPv6 is off (DHCPV4-QUERY messages are dropped)"
        );
    }
}
