//! Classification through `Engine4::process` / `Engine6::process`, with
//! configurations loaded from Kea JSON.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::path::Path;
use std::sync::Arc;

use dhcproto::v4::{self, DhcpOption, MessageType};
use dhcproto::v6;
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ruru_lease::{Memfile, Memfile6};

use crate::v4::{Drop4, Engine4, EngineOptions, Outcome4, RecvMeta};
use crate::v6::packet::{put, tests::relay_forw};
use crate::v6::{Engine6, EngineOptions6, Outcome6, RecvMeta6};
use crate::{Stat, Stats};

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

pub(crate) fn load(text: &str) -> ruru_config::Config {
    match ruru_config::load_str(text, Path::new("/tmp/engine-test.json")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Two subnets behind one relay: A only for class `pxe`, B for everyone,
/// with a pool for `gold` (reserved clients) and one for the others that
/// requires class `req`.
const CFG4: &str = r#"{"Dhcp4": {
  "valid-lifetime": 3600,
  "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
  "client-classes": [
    {"name": "pxe", "test": "substring(option[60].hex, 0, 9) == 'PXEClient'",
     "next-server": "192.0.2.9", "boot-file-name": "pxelinux.0", "valid-lifetime": 600,
     "option-data": [{"name": "domain-name-servers", "data": "192.0.2.99"}]},
    {"name": "DROP", "test": "option[60].hex == 'evil'"},
    {"name": "gold", "test": "member('KNOWN')"},
    {"name": "req", "only-if-required": true, "test": "not member('pxe')",
     "option-data": [{"name": "domain-name", "data": "req.example"}]}
  ],
  "subnet4": [
    {"id": 1, "subnet": "10.0.0.0/24", "client-class": "pxe",
     "relay": {"ip-addresses": ["198.51.100.1"]},
     "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}]},
    {"id": 2, "subnet": "10.0.1.0/24",
     "relay": {"ip-addresses": ["198.51.100.1"]},
     "reservations": [{"hw-address": "02:00:00:00:00:07", "client-classes": ["vip"]}],
     "pools": [
       {"pool": "10.0.1.10 - 10.0.1.10", "client-class": "gold"},
       {"pool": "10.0.1.20 - 10.0.1.21", "require-client-classes": ["req"]}
     ]}
  ]
}}"#;

fn engine4(text: &str) -> Engine4 {
    let cfg = load(text).dhcp4.unwrap();
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

fn discover(mac: u8, vendor: Option<&[u8]>) -> Vec<u8> {
    let mut m = v4::Message::new_with_id(
        0xabcd,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        RELAY,
        &[2, 0, 0, 0, 0, mac],
    );
    m.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Discover));
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        v4::OptionCode::DomainNameServer,
    ]));
    if let Some(v) = vendor {
        m.opts_mut().insert(DhcpOption::ClassIdentifier(v.to_vec()));
    }
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    b
}

fn offer(e: &Engine4, s: &Memfile, buf: &[u8]) -> Result<v4::Message, Drop4> {
    let meta = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: Ipv4Addr::new(192, 0, 2, 250),
        iface: None,
        src_mac: None,
    };
    match e.process(s, buf, &meta, NOW) {
        Outcome4::Reply(r) => Ok(v4::Message::decode(&mut Decoder::new(&r.bytes)).unwrap()),
        Outcome4::Drop(d) => Err(d),
        o => panic!("unexpected {o:?}"),
    }
}

pub(crate) fn opt(m: &v4::Message, code: u8) -> Option<Vec<u8>> {
    let mut b = Vec::new();
    m.opts()
        .get(v4::OptionCode::from(code))?
        .encode(&mut Encoder::new(&mut b))
        .unwrap();
    Some(b[2..].to_vec())
}

#[test]
fn v4_classes_choose_subnet_pool_options_and_fixed_fields() {
    let e = engine4(CFG4);
    let s = Memfile::open(None).unwrap();
    // A PXE client: subnet A, the class's boot fields, DNS and lifetime.
    let o = offer(&e, &s, &discover(1, Some(b"PXEClient:Arch:00007"))).unwrap();
    assert_eq!(o.yiaddr(), Ipv4Addr::new(10, 0, 0, 10));
    assert_eq!(o.siaddr(), Ipv4Addr::new(192, 0, 2, 9));
    let file = o.fname().unwrap_or_default();
    assert_eq!(file.split(|&b| b == 0).next(), Some(&b"pxelinux.0"[..]));
    assert_eq!(opt(&o, 6), Some(vec![192, 0, 2, 99]));
    assert_eq!(opt(&o, 51), Some(600u32.to_be_bytes().to_vec()));
    // Another client: subnet B, not the gold pool; the pool requires
    // `req`, whose options come after the subnet's.
    let o = offer(&e, &s, &discover(2, None)).unwrap();
    assert_eq!(o.yiaddr(), Ipv4Addr::new(10, 0, 1, 20));
    assert_eq!(o.siaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(opt(&o, 6), Some(vec![192, 0, 2, 53]));
    assert_eq!(opt(&o, 15), Some(b"req.example".to_vec()));
    assert_eq!(opt(&o, 51), Some(3600u32.to_be_bytes().to_vec()));
    // A reserved client is KNOWN, hence gold: the gold pool.
    let o = offer(&e, &s, &discover(7, None)).unwrap();
    assert_eq!(o.yiaddr(), Ipv4Addr::new(10, 0, 1, 10));
    assert_eq!(opt(&o, 15), None, "the gold pool requires no class");
}

#[test]
fn v4_guarded_pool_is_never_used_by_others() {
    let e = engine4(CFG4);
    let s = Memfile::open(None).unwrap();
    // Fill the open pool (REQUESTs store the leases).
    for mac in [2, 3] {
        let o = offer(&e, &s, &discover(mac, None)).unwrap();
        let mut m = v4::Message::new_with_id(
            0xabce,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            RELAY,
            &[2, 0, 0, 0, 0, mac],
        );
        m.opts_mut()
            .insert(DhcpOption::MessageType(MessageType::Request));
        m.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(o.yiaddr()));
        m.opts_mut()
            .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(192, 0, 2, 250)));
        let mut b = Vec::new();
        m.encode(&mut Encoder::new(&mut b)).unwrap();
        assert_eq!(offer(&e, &s, &b).unwrap().yiaddr(), o.yiaddr());
    }
    // The gold pool is free, but not for this client.
    assert_eq!(
        offer(&e, &s, &discover(4, None)).unwrap_err(),
        Drop4::AllocationFailed
    );
}

#[test]
fn v4_drop_class_drops_and_counts() {
    let e = engine4(CFG4);
    let s = Memfile::open(None).unwrap();
    assert_eq!(
        offer(&e, &s, &discover(1, Some(b"evil"))).unwrap_err(),
        Drop4::Class
    );
    assert_eq!(e.stats().get(Stat::Pkt4DropClass), 1);
    assert_eq!(e.stats().get(Stat::Pkt4ReceiveDrop), 1);
}

/// A configured `VENDOR_CLASS_<option 60>` class (Kea's way of giving
/// one vendor's clients options, as in Kea's `vendor-specific.json`)
/// carries its options; a later class's `member()` of it (resolved to its
/// index) sees it.
#[test]
fn v4_defined_vendor_class_gives_its_options() {
    let e = engine4(
        r#"{"Dhcp4": {
  "client-classes": [
    {"name": "VENDOR_CLASS_acme-phone",
     "option-data": [{"name": "domain-name-servers", "data": "192.0.2.77"}]},
    {"name": "phone-boot", "test": "member('VENDOR_CLASS_acme-phone')",
     "boot-file-name": "phone.cfg"}
  ],
  "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
    "relay": {"ip-addresses": ["198.51.100.1"]},
    "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}],
    "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}]}]
}}"#,
    );
    let s = Memfile::open(None).unwrap();
    let file = |o: &v4::Message| {
        let f = o.fname().unwrap_or_default().to_vec();
        f.split(|&b| b == 0).next().unwrap_or_default().to_vec()
    };
    let o = offer(&e, &s, &discover(1, Some(b"acme-phone"))).unwrap();
    // Subnet options come before class options (Kea's precedence); the
    // class's option fills what the subnet does not set, so check with a
    // subnet without it below. Here: the boot file of the member() class.
    assert_eq!(file(&o), b"phone.cfg".to_vec());
    let o = offer(&e, &s, &discover(2, Some(b"other"))).unwrap();
    assert_eq!(file(&o), Vec::<u8>::new());
    // Without a subnet option, the vendor class's own option is sent.
    let e = engine4(
        r#"{"Dhcp4": {
  "client-classes": [
    {"name": "VENDOR_CLASS_acme-phone",
     "option-data": [{"name": "domain-name-servers", "data": "192.0.2.77"}]}
  ],
  "subnet4": [{"id": 1, "subnet": "10.0.0.0/24",
    "relay": {"ip-addresses": ["198.51.100.1"]},
    "pools": [{"pool": "10.0.0.10 - 10.0.0.20"}]}]
}}"#,
    );
    let o = offer(&e, &s, &discover(3, Some(b"acme-phone"))).unwrap();
    assert_eq!(opt(&o, 6), Some(vec![192, 0, 2, 77]));
    let o = offer(&e, &s, &discover(4, Some(b"acme-phonex"))).unwrap();
    assert_eq!(opt(&o, 6), None);
}

const CFG6: &str = r#"{"Dhcp6": {
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "client-classes": [
    {"name": "ll", "test": "substring(option[1].hex, 0, 2) == 0x0003",
     "preferred-lifetime": 1000,
     "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}]}
  ],
  "subnet6": [
    {"id": 1, "subnet": "2001:db8:1::/64",
     "relay": {"ip-addresses": ["2001:db8:1::1"]},
     "pools": [
       {"pool": "2001:db8:1::10 - 2001:db8:1::10", "client-class": "ll"},
       {"pool": "2001:db8:1::20 - 2001:db8:1::20"}
     ]}
  ]
}}"#;

pub(crate) fn solicit6(duid: &[u8]) -> Vec<u8> {
    let mut m = vec![1, 0, 0, 9];
    put(&mut m, 1, duid);
    put(&mut m, 6, &[0, 23]);
    put(&mut m, 3, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    relay_forw(&m, "2001:db8:1::1".parse().unwrap(), None)
}

pub(crate) fn advertise(e: &Engine6, s: &Memfile6, buf: &[u8]) -> v6::Message {
    let meta = RecvMeta6 {
        src: SocketAddrV6::new("fe80::1".parse().unwrap(), 547, 0, 0),
        iface: None,
        dst: None,
    };
    match e.process(s, buf, &meta, NOW) {
        Outcome6::Reply(r) => {
            let (_, m) = crate::v6::packet::parse_reply(&r.bytes).unwrap();
            m
        }
        o => panic!("unexpected {o:?}"),
    }
}

fn addr_pref(m: &v6::Message) -> Option<(Ipv6Addr, u32)> {
    m.opts().iter().find_map(|o| match o {
        v6::DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            v6::DhcpOption::IAAddr(a) => Some((a.addr, a.preferred_life)),
            _ => None,
        }),
        _ => None,
    })
}

#[test]
fn v6_classes_choose_pool_lifetimes_and_options() {
    let cfg = load(CFG6).dhcp6.unwrap();
    let e = Engine6::new(
        Arc::new(cfg),
        EngineOptions6 {
            dhcp4o6: None,
            ddns: None,
            server_duid: vec![0, 2, 0, 0, 0, 9, 1],
            client_port: 546,
            hooks: None,
            hosts: Default::default(),
            rng: Arc::new(crate::Rng::new(0)),
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile6::open(None).unwrap();
    // DUID-LL: class ll, its pool, its preferred lifetime and DNS.
    let m = advertise(&e, &s, &solicit6(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]));
    assert_eq!(
        addr_pref(&m),
        Some(("2001:db8:1::10".parse().unwrap(), 1000))
    );
    assert!(m.opts().get(v6::OptionCode::DomainNameServers).is_some());
    // DUID-EN: not ll, so the other pool, the subnet's lifetime, no DNS.
    let m = advertise(&e, &s, &solicit6(&[0, 2, 0, 0, 0, 9, 1, 2]));
    assert_eq!(
        addr_pref(&m),
        Some(("2001:db8:1::20".parse().unwrap(), 3000))
    );
    assert!(m.opts().get(v6::OptionCode::DomainNameServers).is_none());
}
