//! The client's link-layer address (MAC) in DHCPv6, as Kea's
//! `mac-sources` finds it (Kea's `Dhcpv6Srv::getMAC` and `Pkt6::getMAC*`):
//! each configured source in turn, the first that gives an address wins;
//! `any` tries them all in Kea's fixed order. The address goes into the
//! lease (`hwaddr`, `hwtype`, `hwaddr_source`) and is the `hw-address`
//! host identifier.

use std::net::Ipv6Addr;

use dhcproto::v6::{DhcpOption, OptionCode};
use ruru_config::MacSource;

use super::packet::{Query6, Relay};
use super::RecvMeta6;

/// A link-layer address found for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mac {
    pub addr: Vec<u8>,
    /// Hardware type (1: Ethernet; DOCSIS addresses are 1 too, Kea's
    /// `HTYPE_DOCSIS`).
    pub htype: u16,
    /// Kea's `hwaddr_source` bit of the source that found it.
    pub source: u32,
}

/// CableLabs' enterprise number (DOCSIS).
const CABLE_LABS: u32 = 4491;
/// Kea's longest hardware address.
const MAX_HWADDR_LEN: usize = 20;
/// The hardware type of the receiving interface, for the sources that
/// take it from there (link-local address, remote-id): Kea asks the
/// interface; ruru's engine does not know it and says Ethernet.
const IFACE_HTYPE: u16 = 1;

/// Kea's order for `any`.
const ANY_ORDER: [MacSource; 8] = [
    MacSource::Raw,
    MacSource::ClientLinkAddrOption,
    MacSource::Duid,
    MacSource::Ipv6LinkLocal,
    MacSource::RemoteId,
    MacSource::SubscriberId,
    MacSource::DocsisCmts,
    MacSource::DocsisModem,
];

/// The client's MAC from the first of `sources` that has one.
pub fn client_mac(q: &Query6, meta: &RecvMeta6, sources: &[MacSource]) -> Option<Mac> {
    sources.iter().find_map(|s| match s {
        MacSource::Any => ANY_ORDER.iter().find_map(|s| from_source(q, meta, *s)),
        s => from_source(q, meta, *s),
    })
}

fn from_source(q: &Query6, meta: &RecvMeta6, s: MacSource) -> Option<Mac> {
    let mac = |addr: &[u8], htype: u16, source: u32| {
        Some(Mac {
            addr: addr.to_vec(),
            htype,
            source,
        })
    };
    match s {
        MacSource::Any | MacSource::Raw | MacSource::SubscriberId => None,
        MacSource::ClientLinkAddrOption => match q.inner_relay()?.client_link_addr()? {
            [t0, t1, addr @ ..] if !addr.is_empty() => {
                mac(addr, u16::from_be_bytes([*t0, *t1]), 0x8)
            }
            _ => None,
        },
        MacSource::Duid => match q.client_id.as_deref()? {
            [0, 1, t0, t1, _, _, _, _, ll @ ..] | [0, 3, t0, t1, ll @ ..] if !ll.is_empty() => {
                mac(ll, u16::from_be_bytes([*t0, *t1]), 0x2)
            }
            _ => None,
        },
        MacSource::Ipv6LinkLocal => {
            let src = match q.inner_relay() {
                Some(r) => r.peer_addr,
                None => *meta.src.ip(),
            };
            eui64_mac(src).and_then(|m| mac(&m, IFACE_HTYPE, 0x4))
        }
        MacSource::RemoteId => match q.inner_relay()?.remote_id()? {
            d if d.len() >= 5 => {
                let id = &d[4..];
                mac(&id[..id.len().min(MAX_HWADDR_LEN)], IFACE_HTYPE, 0x10)
            }
            _ => None,
        },
        MacSource::DocsisCmts => {
            // The first relay from the client outwards with option 17.
            let v = q.relays.iter().rev().find_map(Relay::vendor_opts)?;
            cable_labs_sub(v, 1026).and_then(|m| mac(m, 1, 0x40))
        }
        MacSource::DocsisModem => {
            let v = q.msg.opts().iter().find_map(|o| match o {
                DhcpOption::Unknown(u) if u.code() == OptionCode::VendorOpts => Some(u.data()),
                _ => None,
            })?;
            cable_labs_sub(v, 36).and_then(|m| mac(m, 1, 0x80))
        }
    }
}

/// Sub-option `code` of a Vendor-specific Information payload of
/// enterprise 4491, when not empty.
fn cable_labs_sub(v: &[u8], code: u16) -> Option<&[u8]> {
    let ent = u32::from_be_bytes(v.get(..4)?.try_into().ok()?);
    if ent != CABLE_LABS {
        return None;
    }
    let mut r = &v[4..];
    while r.len() >= 4 {
        let c = u16::from_be_bytes([r[0], r[1]]);
        let len = usize::from(u16::from_be_bytes([r[2], r[3]]));
        let data = r.get(4..4 + len)?;
        if c == code {
            return Some(data).filter(|d| !d.is_empty());
        }
        r = &r[4 + len..];
    }
    None
}

/// The MAC-48 in an EUI-64-based link-local address (RFC 4291 §2.5.1):
/// `fe80::/64`, the u bit set and the g bit clear, `ff:fe` in the middle;
/// the u bit is inverted back.
fn eui64_mac(a: Ipv6Addr) -> Option<[u8; 6]> {
    let b = a.octets();
    if b[0] != 0xfe || b[1] != 0x80 || b[8] & 3 != 2 || b[11] != 0xff || b[12] != 0xfe {
        return None;
    }
    Some([b[8] ^ 2, b[9], b[10], b[13], b[14], b[15]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_eui64() {
        let a: Ipv6Addr = "fe80::200:5eff:fe10:1"
            .parse()
            .unwrap_or(Ipv6Addr::UNSPECIFIED);
        assert_eq!(eui64_mac(a), Some([0, 0, 0x5e, 0x10, 0, 1]));
        // Privacy address (no ff:fe), global address, g bit set.
        for s in [
            "fe80::1234:5678:9abc:def0",
            "2001:db8::200:5eff:fe10:1",
            "fe80::300:5eff:fe10:1",
        ] {
            let a: Ipv6Addr = s.parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
            assert_eq!(eui64_mac(a), None, "{s}");
        }
    }

    #[test]
    fn docsis_sub_options() {
        let mut v = CABLE_LABS.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 1, 0, 1, 9, 4, 2, 0, 6, 1, 2, 3, 4, 5, 6]);
        assert_eq!(cable_labs_sub(&v, 1026), Some(&[1, 2, 3, 4, 5, 6][..]));
        assert_eq!(cable_labs_sub(&v, 36), None);
        v[3] = 0;
        assert_eq!(cable_labs_sub(&v, 1026), None);
    }
}
