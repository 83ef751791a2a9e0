//! DHCPv4-over-DHCPv6 (RFC 7341) in one process.
//!
//! A client without IPv4 connectivity sends its DHCPv4 messages inside
//! DHCPv6 DHCPV4-QUERY messages (type 20, option 87 `dhcpv4-message`); the
//! server answers with a DHCPV4-RESPONSE (type 21) holding the DHCPv4
//! reply. Kea runs this across its two daemons (`kea-dhcp6` forwards the
//! query to `kea-dhcp4` over `dhcp4o6-port`); ruru serves both families in
//! one process, so the DHCPv6 engine hands the DHCPv4 message to the
//! DHCPv4 service through [`Dhcp4o6`] (the server implements it) and wraps
//! what comes back. The clients see what Kea's pair gives them (checked
//! against kea-dhcp4 + kea-dhcp6 2.2 on the wire):
//! - on the DHCPv6 side (`v6::dhcp4o6`): the query needs no DHCPv6 subnet
//!   and may be unicast; a Server Identifier, if any, must be ours; the
//!   response carries the query's three flag octets and option 87 alone,
//!   in the query's relay layers;
//! - on the DHCPv4 side (`v4::dhcp4o6`): the whole DHCPv4 pipeline runs
//!   (statistics, classes, hooks, leases), with the subnet selected only by
//!   the subnets' `4o6-*` keys ([`ruru_config::Dhcp4o6Subnet`]), in
//!   subnet-id order, without fallback.

use std::net::Ipv6Addr;
use std::sync::Arc;

/// What the DHCPv4 side knows of the DHCPv6 message a DHCPv4 query came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Over6 {
    /// The DHCPv6 message's source address (a relay's, when relayed):
    /// what `4o6-subnet` is matched against.
    pub src: Ipv6Addr,
    /// The interface it arrived on (`4o6-interface`).
    pub iface: Option<Arc<str>>,
    /// The interface-id (option 18) of the relay closest to the client
    /// (`4o6-interface-id`).
    pub interface_id: Option<Vec<u8>>,
}

/// The DHCPv4 service as the DHCPv6 engine sees it.
pub trait Dhcp4o6: Send + Sync + std::fmt::Debug {
    /// The DHCPv4 reply (its encoded bytes) to `msg`, the DHCPv4 message of
    /// a DHCPV4-QUERY received as `over`; `port` is the `Dhcp6`
    /// `dhcp4o6-port`: the DHCPv4 side serves the query only when its own
    /// is the same (Kea's rule). `None`: no reply.
    fn query(&self, msg: &[u8], over: &Over6, port: u16, now: u64) -> Option<Vec<u8>>;
}
