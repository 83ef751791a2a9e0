//! A packet for tests and the fuzz target: options stored by (scope, path),
//! header fields as plain data. The v4/v6 fixtures follow the packets of
//! Kea's `token_unittest.cc` (options 100/101, RAI sub-options 1 and 13,
//! two relay encapsulations, 7-byte MAC with htype 123, ...).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ruru_classify::{Family, Packet, Pkt4Fields, Pkt6Fields, Relay6Addr, Scope};

pub struct FakePacket {
    pub family: Family,
    /// (scope, path, payload); the first match wins.
    pub options: Vec<(Scope, Vec<u16>, Vec<u8>)>,
    /// `.text` overrides: (scope, path, text).
    pub texts: Vec<(Scope, Vec<u16>, Vec<u8>)>,
    /// (link-address, peer-address) per relay, 0 = outermost.
    pub relays: Vec<(Ipv6Addr, Ipv6Addr)>,
    pub vendor: Option<u32>,
    pub vendor_class: Option<(u32, Vec<Vec<u8>>)>,
    pub mac: Vec<u8>,
    pub htype: u8,
    pub ciaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub msgtype: u8,
    pub transid: u32,
    pub iface: String,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub len: usize,
    pub classes: Vec<String>,
    /// Definition indexes the packet is in, for `member()` resolved by
    /// `Expr::resolve_members` (answered from here, not from `classes`).
    pub defs: Vec<usize>,
}

fn v4(s: &str) -> Ipv4Addr {
    s.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().unwrap_or(Ipv6Addr::UNSPECIFIED)
}

impl FakePacket {
    /// A DHCPv4 DISCOVER, relayed, with a few options.
    pub fn v4() -> FakePacket {
        let o = |code: u16, data: &[u8]| (Scope::Packet, vec![code], data.to_vec());
        FakePacket {
            family: Family::V4,
            options: vec![
                o(53, &[1]),
                o(100, b"hundred4"),
                o(101, b"hundredone4"),
                o(60, b"PXEClient:Arch:00000:UNDI:002001"),
                o(93, &[0, 7]),
                o(12, b"MyHost"),
                o(61, &[1, 1, 2, 3, 4, 5, 6]),
                o(250, b"flex-id"),
                o(
                    82,
                    &[
                        1, 3, b'o', b'n', b'e', 13, 8, b't', b'h', b'i', b'r', b't', b'e', b'e',
                        b'n',
                    ],
                ),
                (Scope::Packet, vec![100, 1], b"sub-one".to_vec()),
                (Scope::Relay4, vec![1], b"one".to_vec()),
                (Scope::Relay4, vec![13], b"thirteen".to_vec()),
                (Scope::Relay4, vec![13, 7], b"deeper".to_vec()),
                (Scope::Vendor, vec![1], b"alpha".to_vec()),
                (Scope::Vendor, vec![2], b"beta".to_vec()),
                (Scope::Vendor, vec![2, 5], b"gamma".to_vec()),
            ],
            texts: vec![(Scope::Packet, vec![93], b"7".to_vec())],
            relays: Vec::new(),
            vendor: Some(4491),
            vendor_class: Some((4491, vec![b"alpha".to_vec(), b"beta".to_vec()])),
            mac: vec![1, 2, 3, 4, 5, 6, 7],
            htype: 123,
            ciaddr: v4("192.0.2.2"),
            giaddr: v4("192.0.2.1"),
            yiaddr: v4("192.0.2.3"),
            siaddr: v4("192.0.2.4"),
            msgtype: 1,
            transid: 12345,
            iface: "eth0".into(),
            src: IpAddr::V4(v4("10.0.0.1")),
            dst: IpAddr::V4(v4("10.0.0.2")),
            len: 300,
            classes: vec!["X".into(), "KNOWN".into()],
            defs: Vec::new(),
        }
    }

    /// A DHCPv6 SOLICIT inside two relay encapsulations.
    pub fn v6() -> FakePacket {
        let o = |scope: Scope, code: u16, data: &[u8]| (scope, vec![code], data.to_vec());
        FakePacket {
            family: Family::V6,
            options: vec![
                o(Scope::Packet, 100, b"hundred6"),
                o(
                    Scope::Packet,
                    1,
                    &[0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
                ),
                o(Scope::Packet, 15, &[0, 4, b'i', b'P', b'X', b'E']),
                (Scope::Packet, vec![3, 5], vec![0x20, 1, 0xd, 0xb8]),
                o(Scope::Relay6(0), 100, b"hundred.zero"),
                o(Scope::Relay6(0), 101, b"hundredone.zero"),
                o(Scope::Relay6(0), 18, b"interface-one"),
                o(Scope::Relay6(1), 100, b"hundred.one"),
                o(Scope::Relay6(1), 102, b"hundredtwo.one"),
                (Scope::Relay6(1), vec![102, 1], b"sub.one".to_vec()),
                o(Scope::Vendor, 1026, &[1, 2, 3, 4]),
            ],
            texts: Vec::new(),
            relays: vec![
                (Ipv6Addr::UNSPECIFIED, Ipv6Addr::UNSPECIFIED),
                (v6("1::1"), v6("1::2")),
            ],
            vendor: Some(4491),
            vendor_class: Some((1234, vec![b"docsis3.0".to_vec()])),
            mac: Vec::new(),
            htype: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            msgtype: 1,
            transid: 12345,
            iface: "eth1".into(),
            src: IpAddr::V6(v6("fe80::1")),
            dst: IpAddr::V6(v6("ff02::1:2")),
            len: 120,
            classes: vec!["X".into()],
            defs: Vec::new(),
        }
    }
}

impl Packet for FakePacket {
    fn family(&self) -> Family {
        self.family
    }

    fn option(&self, scope: Scope, path: &[u16]) -> Option<&[u8]> {
        self.options
            .iter()
            .find(|(s, p, _)| *s == scope && p == path)
            .map(|(_, _, d)| d.as_slice())
    }

    fn option_text(&self, scope: Scope, path: &[u16]) -> Option<Cow<'_, [u8]>> {
        match self.texts.iter().find(|(s, p, _)| *s == scope && p == path) {
            Some((_, _, t)) => Some(Cow::Owned(t.clone())),
            None => self.option(scope, path).map(Cow::Borrowed),
        }
    }

    fn relay6_count(&self) -> usize {
        self.relays.len()
    }

    fn relay6_addr(&self, level: usize, which: Relay6Addr) -> Option<Ipv6Addr> {
        let (link, peer) = self.relays.get(level)?;
        Some(match which {
            Relay6Addr::Link => *link,
            Relay6Addr::Peer => *peer,
        })
    }

    fn vendor(&self) -> Option<u32> {
        self.vendor
    }

    fn vendor_class(&self) -> Option<u32> {
        self.vendor_class.as_ref().map(|(e, _)| *e)
    }

    fn vendor_class_data(&self, index: usize) -> Option<&[u8]> {
        self.vendor_class.as_ref()?.1.get(index).map(Vec::as_slice)
    }

    fn pkt4(&self) -> Option<Pkt4Fields<'_>> {
        (self.family == Family::V4).then_some(Pkt4Fields {
            mac: &self.mac,
            hlen: self.mac.len() as u8,
            htype: self.htype,
            ciaddr: self.ciaddr,
            giaddr: self.giaddr,
            yiaddr: self.yiaddr,
            siaddr: self.siaddr,
            msgtype: self.msgtype,
            transid: self.transid,
        })
    }

    fn pkt6(&self) -> Option<Pkt6Fields> {
        (self.family == Family::V6).then_some(Pkt6Fields {
            msgtype: self.msgtype,
            transid: self.transid,
        })
    }

    fn iface(&self) -> &str {
        &self.iface
    }

    fn src(&self) -> IpAddr {
        self.src
    }

    fn dst(&self) -> IpAddr {
        self.dst
    }

    fn wire_len(&self) -> usize {
        self.len
    }

    fn member(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }

    fn member_def(&self, def: usize, _class: &str) -> bool {
        self.defs.contains(&def)
    }
}
