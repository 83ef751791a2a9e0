//! What the evaluator reads from a packet: the [`Packet`] trait the engine
//! implements for its received DHCPv4 and DHCPv6 messages, and two helpers
//! to walk option buffers.
//!
//! Every method returns borrowed or `Copy` data, so evaluation can work
//! without allocating. "Absent" is always `None`; the evaluator turns it
//! into Kea's results (`""` for values, false for `.exists`).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::expr::{Relay6Addr, Scope};
use crate::Family;

/// The DHCPv4 header fields `pkt4.*` reads.
#[derive(Debug, Clone, Copy)]
pub struct Pkt4Fields<'a> {
    /// `pkt4.mac`: the client hardware address, `chaddr` cut to `hlen`
    /// bytes (at most 16), as Kea's `HWAddr`.
    pub mac: &'a [u8],
    /// `pkt4.hlen`.
    pub hlen: u8,
    /// `pkt4.htype`.
    pub htype: u8,
    /// `pkt4.ciaddr`.
    pub ciaddr: Ipv4Addr,
    /// `pkt4.giaddr`.
    pub giaddr: Ipv4Addr,
    /// `pkt4.yiaddr`.
    pub yiaddr: Ipv4Addr,
    /// `pkt4.siaddr`.
    pub siaddr: Ipv4Addr,
    /// `pkt4.msgtype`: the DHCP message type (option 53); Kea uses 0 when
    /// the packet has none (BOOTP).
    pub msgtype: u8,
    /// `pkt4.transid`: `xid`.
    pub transid: u32,
}

/// The DHCPv6 header fields `pkt6.*` reads: those of the client's message,
/// inside any relay encapsulation.
#[derive(Debug, Clone, Copy)]
pub struct Pkt6Fields {
    /// `pkt6.msgtype`.
    pub msgtype: u8,
    /// `pkt6.transid`: the 24-bit transaction id.
    pub transid: u32,
}

/// A received packet as the expression language sees it.
///
/// The engine implements this for its DHCPv4 and DHCPv6 message types.
/// Options are addressed by a [`Scope`] and a path of codes: the first code
/// is an option of the scope, each further code a sub-option of the one
/// before (Kea's `option[a].option[b]...`, with sub-options as Kea unpacks
/// them: per the option definition's encapsulated space; [`find_option4`]
/// and [`find_option6`] walk plain TLV buffers). When an option appears more
/// than once, Kea uses the first instance.
pub trait Packet {
    /// DHCPv4 or DHCPv6. An expression only evaluates on packets of its
    /// family ([`crate::EvalError::WrongFamily`] otherwise).
    fn family(&self) -> Family;

    /// The payload (no code, no length) of the option at `path` in `scope`,
    /// or `None` when absent.
    ///
    /// * [`Scope::Packet`]: `option[c]...`; in DHCPv6 the options of the
    ///   client's message, not of the relays.
    /// * [`Scope::Relay4`]: `relay4[c]...`; `path[0]` is a sub-option of the
    ///   Relay Agent Information option (82).
    /// * [`Scope::Relay6`]: `relay6[n].option[c]...`; the options of relay
    ///   encapsulation `n`, counted from the server (0 = outermost). The
    ///   evaluator has already turned negative nesting levels into this
    ///   index and checked it against [`Packet::relay6_count`].
    /// * [`Scope::Vendor`]: `vendor[e].option[c]...`; `path[0]` is a
    ///   sub-option of the first vendor-specific option (DHCPv4 125, DHCPv6
    ///   17). The evaluator has already checked its enterprise id.
    fn option(&self, scope: Scope, path: &[u16]) -> Option<&[u8]>;

    /// What `.text` returns for the option: Kea's `Option::toString()`,
    /// which depends on the option's definition (the string of a string
    /// option, decimal for integers, dotted for addresses, ...). The
    /// default returns the payload as is, which is what Kea returns for
    /// string-typed options (`host-name`, `vendor-class-identifier`, ...);
    /// override it for the others.
    fn option_text(&self, scope: Scope, path: &[u16]) -> Option<Cow<'_, [u8]>> {
        self.option(scope, path).map(Cow::Borrowed)
    }

    /// Number of relay encapsulations of a DHCPv6 packet (0 in DHCPv4 and
    /// for a packet received directly from the client).
    fn relay6_count(&self) -> usize {
        0
    }

    /// `relay6[n].peeraddr` / `.linkaddr`: the address field of relay
    /// encapsulation `level` (0 = outermost; already checked against
    /// [`Packet::relay6_count`]).
    fn relay6_addr(&self, level: usize, which: Relay6Addr) -> Option<Ipv6Addr> {
        let _ = (level, which);
        None
    }

    /// Enterprise id of the first vendor-specific option (DHCPv4 125,
    /// DHCPv6 17), `None` when there is none.
    fn vendor(&self) -> Option<u32>;

    /// Enterprise id of the first vendor class option (DHCPv4 124, DHCPv6
    /// 16), `None` when there is none.
    fn vendor_class(&self) -> Option<u32>;

    /// Data chunk `index` (0 = first) of that vendor class option, `None`
    /// when there are not that many.
    fn vendor_class_data(&self, index: usize) -> Option<&[u8]>;

    /// The DHCPv4 header; `None` for a DHCPv6 packet.
    fn pkt4(&self) -> Option<Pkt4Fields<'_>> {
        None
    }

    /// `pkt4.mac` alone (what [`Packet::pkt4`]'s `mac` is), for the
    /// comparisons that read only it; `None` for DHCPv6.
    fn hwaddr(&self) -> Option<&[u8]> {
        self.pkt4().map(|h| h.mac)
    }

    /// The DHCPv6 header of the client's message; `None` for DHCPv4.
    fn pkt6(&self) -> Option<Pkt6Fields> {
        None
    }

    /// `pkt.iface`: name of the interface the packet came in on.
    fn iface(&self) -> &str;

    /// `pkt.src`: the source address of the received datagram (the relay's
    /// when relayed).
    fn src(&self) -> IpAddr;

    /// `pkt.dst`: its destination address.
    fn dst(&self) -> IpAddr;

    /// `pkt.len`: the length of the DHCP message (UDP payload), in bytes.
    fn wire_len(&self) -> usize;

    /// `member('name')`: whether the packet is already in class `name`.
    /// `ALL` never reaches this (it is always true); `KNOWN` and `UNKNOWN`
    /// are true once the host reservation lookup has found (or not found)
    /// a reservation; the caller must evaluate expressions that use them
    /// after that lookup, as Kea does.
    fn member(&self, class: &str) -> bool;

    /// `member('name')` for a class that [`crate::Expr::resolve_members`]
    /// resolved to entry `def` of the configuration's class list: whether
    /// the packet is in that class. The default asks [`Packet::member`];
    /// a packet that keeps its classes by definition index answers
    /// without comparing names.
    fn member_def(&self, def: usize, class: &str) -> bool {
        let _ = def;
        self.member(class)
    }
}

/// The payload of the first option `code` in a DHCPv4 option buffer
/// (1-byte code and length; pad 0 and end 255 are skipped/stop). Truncated
/// buffers end the walk.
pub fn find_option4(buf: &[u8], code: u8) -> Option<&[u8]> {
    let mut rest = buf;
    while let Some((&c, tail)) = rest.split_first() {
        match c {
            0 => rest = tail,
            255 => return None,
            _ => {
                let (&len, tail) = tail.split_first()?;
                let data = tail.get(..usize::from(len))?;
                if c == code {
                    return Some(data);
                }
                rest = tail.get(usize::from(len)..)?;
            }
        }
    }
    None
}

/// The payload of the first option `code` in a DHCPv6 option buffer
/// (2-byte code and length). Truncated buffers end the walk.
pub fn find_option6(buf: &[u8], code: u16) -> Option<&[u8]> {
    let mut rest = buf;
    while rest.len() >= 4 {
        let c = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let data = rest.get(4..4 + len)?;
        if c == code {
            return Some(data);
        }
        rest = rest.get(4 + len..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_walks() {
        let b4 = [0, 1, 2, 0xaa, 0xbb, 2, 0, 3, 1, 9, 255, 4, 1, 7];
        assert_eq!(find_option4(&b4, 1), Some(&[0xaa, 0xbb][..]));
        assert_eq!(find_option4(&b4, 2), Some(&[][..]));
        assert_eq!(find_option4(&b4, 3), Some(&[9][..]));
        assert_eq!(find_option4(&b4, 4), None);
        assert_eq!(find_option4(&[1, 5, 0], 1), None);
        let b6 = [0, 1, 0, 2, 1, 2, 0, 9, 0, 0];
        assert_eq!(find_option6(&b6, 1), Some(&[1, 2][..]));
        assert_eq!(find_option6(&b6, 9), Some(&[][..]));
        assert_eq!(find_option6(&b6, 3), None);
        assert_eq!(find_option6(&[0, 1, 0, 9, 1], 1), None);
    }
}
