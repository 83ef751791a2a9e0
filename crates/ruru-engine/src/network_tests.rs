//! Shared networks through `Engine4::process` / `Engine6::process`, with
//! configurations loaded from Kea JSON: which subnet of a network a client
//! gets, spill-over when one is full, renewals in any member, class
//! guards, options and lifetimes by scope.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use dhcproto::v4::{self, DhcpOption, MessageType};
use dhcproto::v6;
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ruru_lease::{LeaseStore, Memfile, Memfile6};

use crate::classify::engine_tests::{load, opt};
use crate::v4::{Drop4, Engine4, EngineOptions, Outcome4, RecvMeta};
use crate::v6::packet::{put, tests::relay_forw};
use crate::v6::{Engine6, EngineOptions6, Outcome6, RecvMeta6};
use crate::{Stat, Stats};

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 1);
const SERVER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 250);

/// A network of three subnets behind relay 203.0.113.1, one address each;
/// the second is only for class `vip` (MAC 02:..:77); a plain subnet
/// behind another relay.
const CFG4: &str = r#"{"Dhcp4": {
  "valid-lifetime": 7200,
  "option-data": [{"name": "domain-name", "data": "global.example"},
                  {"name": "domain-name-servers", "data": "192.0.2.53"}],
  "client-classes": [{"name": "vip", "test": "pkt4.mac == 0x020000000077"}],
  "subnet4": [{"id": 9, "subnet": "10.9.0.0/24",
               "relay": {"ip-addresses": ["203.0.113.9"]},
               "pools": [{"pool": "10.9.0.10 - 10.9.0.19"}]}],
  "shared-networks": [{
    "name": "floor1",
    "relay": {"ip-addresses": ["203.0.113.1"]},
    "valid-lifetime": 600,
    "option-data": [{"name": "domain-name", "data": "net.example"},
                    {"name": "routers", "data": "192.0.2.1"}],
    "subnet4": [
      {"id": 1, "subnet": "192.0.2.0/26", "pools": [{"pool": "192.0.2.10 - 192.0.2.10"}],
       "option-data": [{"name": "routers", "data": "192.0.2.62"}]},
      {"id": 2, "subnet": "192.0.2.64/26", "client-class": "vip",
       "pools": [{"pool": "192.0.2.70 - 192.0.2.70"}]},
      {"id": 3, "subnet": "198.51.100.0/26", "valid-lifetime": 900,
       "pools": [{"pool": "198.51.100.10 - 198.51.100.10"}]}
    ]
  }]
}}"#;

fn engine4(text: &str) -> Engine4 {
    Engine4::new(
        Arc::new(load(text).dhcp4.unwrap_or_else(|| panic!("no Dhcp4"))),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

/// A relayed message from MAC 02:00:00:00:00:`mac` asking for routers,
/// domain name and DNS servers.
fn msg4(
    t: MessageType,
    mac: u8,
    giaddr: Ipv4Addr,
    ciaddr: Ipv4Addr,
    requested: Option<Ipv4Addr>,
) -> Vec<u8> {
    let mut m = v4::Message::new_with_id(
        0x1234,
        ciaddr,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        giaddr,
        &[2, 0, 0, 0, 0, mac],
    );
    m.opts_mut().insert(DhcpOption::MessageType(t));
    if let Some(r) = requested {
        m.opts_mut().insert(DhcpOption::RequestedIpAddress(r));
        m.opts_mut().insert(DhcpOption::ServerIdentifier(SERVER));
    }
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        v4::OptionCode::Router,
        v4::OptionCode::DomainName,
        v4::OptionCode::DomainNameServer,
    ]));
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b))
        .unwrap_or_else(|e| panic!("{e}"));
    b
}

fn run4(e: &Engine4, s: &Memfile, buf: &[u8]) -> Result<v4::Message, Drop4> {
    let meta = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: SERVER,
        iface: None,
        src_mac: None,
    };
    match e.process(s, buf, &meta, NOW) {
        Outcome4::Reply(r) => {
            Ok(v4::Message::decode(&mut Decoder::new(&r.bytes)).unwrap_or_else(|e| panic!("{e}")))
        }
        Outcome4::Drop(d) => Err(d),
        o => panic!("unexpected {o:?}"),
    }
}

/// DISCOVER then REQUEST through relay 203.0.113.1: the ACK.
fn lease4(e: &Engine4, s: &Memfile, mac: u8) -> Result<v4::Message, Drop4> {
    let offer = run4(
        e,
        s,
        &msg4(
            MessageType::Discover,
            mac,
            RELAY,
            Ipv4Addr::UNSPECIFIED,
            None,
        ),
    )?;
    let ack = run4(
        e,
        s,
        &msg4(
            MessageType::Request,
            mac,
            RELAY,
            Ipv4Addr::UNSPECIFIED,
            Some(offer.yiaddr()),
        ),
    )?;
    assert_eq!(opt(&ack, 53), Some(vec![5]), "not an ACK");
    Ok(ack)
}

fn lifetime(m: &v4::Message) -> Option<u32> {
    let b: [u8; 4] = opt(m, 51)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

#[test]
fn v4_clients_spill_over_to_the_next_subnet_and_guards_hold() {
    let e = engine4(CFG4);
    let s = Memfile::open(None).unwrap_or_else(|e| panic!("{e}"));
    // The first subnet's only address; its routers and the network's
    // domain name; the network's lifetime.
    let a = lease4(&e, &s, 1).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(a.yiaddr(), Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(opt(&a, 3), Some(vec![192, 0, 2, 62]));
    assert_eq!(opt(&a, 15), Some(b"net.example".to_vec()));
    assert_eq!(opt(&a, 6), Some(vec![192, 0, 2, 53]));
    assert_eq!(lifetime(&a), Some(600));
    // The first is full: an outsider skips the vip subnet for the third,
    // whose own lifetime and the network's routers apply.
    let b = lease4(&e, &s, 2).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(b.yiaddr(), Ipv4Addr::new(198, 51, 100, 10));
    assert_eq!(opt(&b, 3), Some(vec![192, 0, 2, 1]));
    assert_eq!(lifetime(&b), Some(900));
    // All it may use is full: no offer, counted once for the network.
    assert_eq!(lease4(&e, &s, 3).err(), Some(Drop4::AllocationFailed));
    assert_eq!(e.stats().get(Stat::V4AllocationFail), 1);
    assert_eq!(e.stats().get(Stat::V4AllocationFailSharedNetwork), 1);
    assert_eq!(e.stats().get(Stat::V4AllocationFailSubnet), 0);
    // The vip client gets the guarded subnet.
    let v = lease4(&e, &s, 0x77).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(v.yiaddr(), Ipv4Addr::new(192, 0, 2, 70));
    // A plain subnet elsewhere is not part of it.
    let p = run4(
        &e,
        &s,
        &msg4(
            MessageType::Discover,
            9,
            Ipv4Addr::new(203, 0, 113, 9),
            Ipv4Addr::UNSPECIFIED,
            None,
        ),
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(p.yiaddr(), Ipv4Addr::new(10, 9, 0, 10));
    assert_eq!(lifetime(&p), Some(7200));
    assert_eq!(opt(&p, 15), Some(b"global.example".to_vec()));
}

#[test]
fn v4_a_client_keeps_and_renews_its_lease_in_any_subnet() {
    let e = engine4(CFG4);
    let s = Memfile::open(None).unwrap_or_else(|e| panic!("{e}"));
    lease4(&e, &s, 1).unwrap_or_else(|d| panic!("{d:?}"));
    let b = lease4(&e, &s, 2).unwrap_or_else(|d| panic!("{d:?}"));
    let addr = b.yiaddr();
    assert_eq!(addr, Ipv4Addr::new(198, 51, 100, 10));
    // The first subnet frees up; the client still gets its own lease back.
    assert_eq!(s.delete4(Ipv4Addr::new(192, 0, 2, 10)).ok(), Some(true));
    let again = lease4(&e, &s, 2).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(again.yiaddr(), addr);
    // A renewal (ciaddr, no server id) through the relay is acknowledged
    // by the third subnet.
    let renew = run4(&e, &s, &msg4(MessageType::Request, 2, RELAY, addr, None))
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(opt(&renew, 53), Some(vec![5]));
    assert_eq!(renew.yiaddr(), addr);
    assert_eq!(lifetime(&renew), Some(900));
    let l = s.get4(addr).unwrap_or_else(|| panic!("no lease"));
    assert_eq!(l.subnet_id, 3);
    // An address outside every subnet of the network is NAKed.
    let nak = run4(
        &e,
        &s,
        &msg4(
            MessageType::Request,
            2,
            RELAY,
            Ipv4Addr::new(10, 9, 0, 10),
            None,
        ),
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(opt(&nak, 53), Some(vec![6]));
}

/// Two subnets of one network behind relay link 2001:db8:1::1, one
/// address each; the network's DNS servers, the second's own.
const CFG6: &str = r#"{"Dhcp6": {
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "shared-networks": [{
    "name": "six",
    "relay": {"ip-addresses": ["2001:db8:1::1"]},
    "preferred-lifetime": 200, "valid-lifetime": 300,
    "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}],
    "subnet6": [
      {"id": 1, "subnet": "2001:db8:a::/64", "pools": [{"pool": "2001:db8:a::10 - 2001:db8:a::10"}]},
      {"id": 2, "subnet": "2001:db8:b::/64", "pools": [{"pool": "2001:db8:b::10 - 2001:db8:b::10"}],
       "preferred-lifetime": 500, "valid-lifetime": 600,
       "option-data": [{"name": "dns-servers", "data": "2001:db8::54"}]}
    ]
  }]
}}"#;

fn engine6(text: &str) -> Engine6 {
    Engine6::new(
        Arc::new(load(text).dhcp6.unwrap_or_else(|| panic!("no Dhcp6"))),
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
    )
}

/// A relayed message of type `t` from DUID 00:03:00:01:..:`n`, one IA_NA
/// (IAID 1) listing `addr` if given, asking for DNS servers.
fn msg6(t: u8, n: u8, addr: Option<Ipv6Addr>) -> Vec<u8> {
    let mut m = vec![t, 0, 0, 9];
    put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, n]);
    if t != 1 {
        put(&mut m, 2, &[0, 2, 0, 0, 0, 9, 1]);
    }
    put(&mut m, 6, &[0, 23]);
    let mut ia = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    if let Some(a) = addr {
        put(&mut ia, 5, &[&a.octets()[..], &[0; 8]].concat());
    }
    put(&mut m, 3, &ia);
    relay_forw(
        &m,
        "2001:db8:1::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
        None,
    )
}

fn run6(e: &Engine6, s: &Memfile6, buf: &[u8]) -> v6::Message {
    let meta = RecvMeta6 {
        src: SocketAddrV6::new(
            "fe80::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED),
            547,
            0,
            0,
        ),
        iface: None,
        dst: None,
    };
    match e.process(s, buf, &meta, NOW) {
        Outcome6::Reply(r) => match crate::v6::packet::parse_reply(&r.bytes) {
            Ok((_, m)) => m,
            Err(e) => panic!("{e:?}"),
        },
        o => panic!("unexpected {o:?}"),
    }
}

/// The first IA_NA address with its lifetimes, or the IA's status code.
fn ia_addr(m: &v6::Message) -> Result<(Ipv6Addr, u32, u32), u16> {
    for o in m.opts().iter() {
        if let v6::DhcpOption::IANA(ia) = o {
            for x in ia.opts.iter() {
                match x {
                    v6::DhcpOption::IAAddr(a) => {
                        return Ok((a.addr, a.preferred_life, a.valid_life))
                    }
                    v6::DhcpOption::StatusCode(c) => return Err(u16::from(c.status)),
                    _ => {}
                }
            }
        }
    }
    Err(u16::MAX)
}

fn dns(m: &v6::Message) -> Option<Vec<Ipv6Addr>> {
    m.opts().iter().find_map(|o| match o {
        v6::DhcpOption::DomainNameServers(l) => Some(l.clone()),
        _ => None,
    })
}

#[test]
fn v6_clients_spill_over_and_renew_in_any_subnet() {
    let e = engine6(CFG6);
    let s = Memfile6::open(None).unwrap_or_else(|e| panic!("{e}"));
    let a6: Ipv6Addr = "2001:db8:a::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
    let b6: Ipv6Addr = "2001:db8:b::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
    // Client 1: Solicit, Request: the first subnet, the network's values.
    let adv = run6(&e, &s, &msg6(1, 1, None));
    assert_eq!(ia_addr(&adv), Ok((a6, 200, 300)));
    assert_eq!(dns(&adv), Some(vec!["2001:db8::53".parse().unwrap_or(a6)]));
    let rep = run6(&e, &s, &msg6(3, 1, Some(a6)));
    assert_eq!(ia_addr(&rep), Ok((a6, 200, 300)));
    // Client 2: the first is full, the second subnet and its own values.
    let adv = run6(&e, &s, &msg6(1, 2, None));
    assert_eq!(ia_addr(&adv), Ok((b6, 500, 600)));
    assert_eq!(dns(&adv), Some(vec!["2001:db8::54".parse().unwrap_or(a6)]));
    let rep = run6(&e, &s, &msg6(3, 2, Some(b6)));
    assert_eq!(ia_addr(&rep), Ok((b6, 500, 600)));
    // Its Renew is answered from the second subnet.
    let ren = run6(&e, &s, &msg6(5, 2, Some(b6)));
    assert_eq!(ia_addr(&ren), Ok((b6, 500, 600)));
    // A Confirm listing addresses of both subnets: all on the link.
    let mut m = vec![4, 0, 0, 9];
    put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
    let mut ia = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    for a in [a6, b6] {
        put(&mut ia, 5, &[&a.octets()[..], &[0; 8]].concat());
    }
    put(&mut m, 3, &ia);
    let link = "2001:db8:1::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
    let conf = run6(&e, &s, &relay_forw(&m, link, None));
    let code = conf.opts().iter().find_map(|o| match o {
        v6::DhcpOption::StatusCode(c) => Some(u16::from(c.status)),
        _ => None,
    });
    assert_eq!(code, Some(0), "{conf:?}");
    // Client 3: nothing left anywhere: NoAddrsAvail (2), counted once.
    let adv = run6(&e, &s, &msg6(1, 3, None));
    assert_eq!(ia_addr(&adv), Err(2));
    assert_eq!(e.stats().get(Stat::V6AllocationFailSharedNetwork), 1);
    assert_eq!(e.stats().get(Stat::V6AllocationFailSubnet), 0);
}

#[test]
fn v4_a_reservation_in_a_later_subnet_is_where_its_client_starts() {
    // The configuration reserves 198.51.100.20 in the third subnet for
    // client 5; a host database reserves 198.51.100.21 there for client 6.
    let text = CFG4.replace(
        r#""valid-lifetime": 900,"#,
        r#""valid-lifetime": 900,
       "reservations": [{"hw-address": "02:00:00:00:00:05", "ip-address": "198.51.100.20"}],"#,
    );
    let db = Arc::new(crate::fake_hosts::FakeHosts::default());
    let mut h = ruru_lease::Host4::new(ruru_lease::IdType::HwAddress, vec![2, 0, 0, 0, 0, 6], 3);
    h.ipv4_address = Some(Ipv4Addr::new(198, 51, 100, 21));
    if let Ok(mut rows) = db.v4.lock() {
        rows.push(h);
    }
    let e = Engine4::new(
        Arc::new(load(&text).dhcp4.unwrap_or_else(|| panic!("no Dhcp4"))),
        EngineOptions {
            hosts: crate::v4::hosts::HostSources(vec![db]),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap_or_else(|e| panic!("{e}"));
    // The first subnet has a free address, yet each gets its reservation.
    let a = lease4(&e, &s, 5).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(a.yiaddr(), Ipv4Addr::new(198, 51, 100, 20));
    assert_eq!(lifetime(&a), Some(900));
    let b = lease4(&e, &s, 6).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(b.yiaddr(), Ipv4Addr::new(198, 51, 100, 21));
    // Another client still starts in the first subnet.
    let c = lease4(&e, &s, 7).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(c.yiaddr(), Ipv4Addr::new(192, 0, 2, 10));
}

/// A network whose first subnet has addresses and one /56 prefix, and
/// whose second has prefixes only; each with its own timers and DNS
/// server (Kea 2.2 answers the same way: see `v6::network`).
const CFG6_IA: &str = r#"{"Dhcp6": {
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "shared-networks": [{
    "name": "cpe",
    "relay": {"ip-addresses": ["2001:db8:1::1"]},
    "option-data": [{"name": "dns-servers", "data": "2001:db8::99"}],
    "subnet6": [
      {"id": 1, "subnet": "2001:db8:a::/64", "renew-timer": 100, "rebind-timer": 200,
       "pools": [{"pool": "2001:db8:a::10 - 2001:db8:a::1f"}],
       "pd-pools": [{"prefix": "2001:db8:8800::", "prefix-len": 56, "delegated-len": 56}],
       "option-data": [{"name": "dns-servers", "data": "2001:db8::1"}]},
      {"id": 2, "subnet": "2001:db8:b::/64", "renew-timer": 300, "rebind-timer": 400,
       "pd-pools": [{"prefix": "2001:db8:9900::", "prefix-len": 48, "delegated-len": 56}],
       "option-data": [{"name": "dns-servers", "data": "2001:db8::2"}]}
    ]
  }]
}}"#;

/// A relayed message of type `t` from client `n` with IA_NA 1 (listing
/// `na`) and IA_PD 2 (listing `pd`), each when `Some`.
fn msg6_ias(
    t: u8,
    n: u8,
    na: Option<Option<Ipv6Addr>>,
    pd: Option<Option<(Ipv6Addr, u8)>>,
) -> Vec<u8> {
    let mut m = vec![t, 0, 0, n];
    put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, n]);
    if ![1, 6].contains(&t) {
        put(&mut m, 2, &[0, 2, 0, 0, 0, 9, 1]);
    }
    put(&mut m, 6, &[0, 23]);
    if let Some(a) = na {
        let mut ia = vec![0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        if let Some(a) = a {
            put(&mut ia, 5, &[&a.octets()[..], &[0; 8]].concat());
        }
        put(&mut m, 3, &ia);
    }
    if let Some(p) = pd {
        let mut ia = vec![0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
        if let Some((p, len)) = p {
            put(
                &mut ia,
                26,
                &[&[0; 8][..], &[len], &p.octets()[..]].concat(),
            );
        }
        put(&mut m, 25, &ia);
    }
    let link = "2001:db8:1::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
    relay_forw(&m, link, None)
}

/// One IA of a reply: (type code, T1, first address or prefix, status).
type IaSeen = (u16, u32, Option<(Ipv6Addr, u8)>, Option<u16>);

fn ias6(m: &v6::Message) -> Vec<IaSeen> {
    let entries = |opts: &v6::DhcpOptions| {
        let mut first = None;
        let mut status = None;
        for x in opts.iter() {
            match x {
                v6::DhcpOption::IAAddr(a) if first.is_none() && a.valid_life > 0 => {
                    first = Some((a.addr, 128))
                }
                v6::DhcpOption::IAPrefix(p) if first.is_none() && p.valid_lifetime > 0 => {
                    first = Some((p.prefix_ip, p.prefix_len))
                }
                v6::DhcpOption::StatusCode(c) => status = Some(u16::from(c.status)),
                _ => {}
            }
        }
        (first, status)
    };
    m.opts()
        .iter()
        .filter_map(|o| match o {
            v6::DhcpOption::IANA(ia) => {
                let (f, s) = entries(&ia.opts);
                Some((3, ia.t1, f, s))
            }
            v6::DhcpOption::IAPD(ia) => {
                let (f, s) = entries(&ia.opts);
                Some((25, ia.t1, f, s))
            }
            _ => None,
        })
        .collect()
}

fn ip6(s: &str) -> Ipv6Addr {
    s.parse().unwrap_or(Ipv6Addr::UNSPECIFIED)
}

#[test]
fn v6_each_ia_is_served_by_the_subnet_that_has_room_for_it() {
    let e = engine6(CFG6_IA);
    let s = Memfile6::open(None).unwrap_or_else(|e| panic!("{e}"));
    let a = ip6("2001:db8:a::10");
    let p1 = (ip6("2001:db8:8800::"), 56);
    let p2 = (ip6("2001:db8:9900::"), 56);
    // Client 1: both from the first subnet (its one prefix).
    let adv = run6(&e, &s, &msg6_ias(1, 1, Some(None), Some(None)));
    assert_eq!(
        ias6(&adv),
        vec![(3, 100, Some((a, 128)), None), (25, 100, Some(p1), None)]
    );
    let rep = run6(&e, &s, &msg6_ias(3, 1, Some(Some(a)), Some(Some(p1))));
    assert_eq!(ias6(&rep)[1], (25, 100, Some(p1), None));
    assert_eq!(dns(&rep), Some(vec![ip6("2001:db8::1")]));
    // Client 2: the address from the first, the prefix from the second
    // (with its timers); the reply's options are the second's.
    let b = ip6("2001:db8:a::11");
    let adv = run6(&e, &s, &msg6_ias(1, 2, Some(None), Some(None)));
    assert_eq!(
        ias6(&adv),
        vec![(3, 100, Some((b, 128)), None), (25, 300, Some(p2), None)]
    );
    assert_eq!(dns(&adv), Some(vec![ip6("2001:db8::2")]));
    let rep = run6(&e, &s, &msg6_ias(3, 2, Some(Some(b)), Some(Some(p2))));
    assert_eq!(
        ias6(&rep),
        vec![(3, 100, Some((b, 128)), None), (25, 300, Some(p2), None)]
    );
    let na = s.get6(ruru_lease::LeaseType6::Na, b);
    let pd = s.get6(ruru_lease::LeaseType6::Pd, p2.0);
    assert_eq!(na.map(|l| l.subnet_id), Some(1));
    assert_eq!(pd.map(|l| l.subnet_id), Some(2));
    // Client 1 gives its prefix back: client 2's Renew keeps its prefix
    // in the second subnet all the same, and so does a Rebind.
    let rel = run6(&e, &s, &msg6_ias(8, 1, None, Some(Some(p1))));
    assert_eq!(ias6(&rel), vec![]);
    assert!(s.get6(ruru_lease::LeaseType6::Pd, p1.0).is_none());
    for t in [5, 6] {
        let ren = run6(&e, &s, &msg6_ias(t, 2, Some(Some(b)), Some(Some(p2))));
        assert_eq!(
            ias6(&ren),
            vec![(3, 100, Some((b, 128)), None), (25, 300, Some(p2), None)],
            "message type {t}"
        );
    }
    // Its address alone: answered from the first subnet, with its options.
    let ren = run6(&e, &s, &msg6_ias(5, 2, Some(Some(b)), None));
    assert_eq!(ias6(&ren), vec![(3, 100, Some((b, 128)), None)]);
    assert_eq!(dns(&ren), Some(vec![ip6("2001:db8::1")]));
    // Releasing both finds each lease in its subnet.
    let rel = run6(&e, &s, &msg6_ias(8, 2, Some(Some(b)), Some(Some(p2))));
    let code = rel.opts().iter().find_map(|o| match o {
        v6::DhcpOption::StatusCode(c) => Some(u16::from(c.status)),
        _ => None,
    });
    assert_eq!(code, Some(0));
    assert!(s.get6(ruru_lease::LeaseType6::Na, b).is_none());
    assert!(s.get6(ruru_lease::LeaseType6::Pd, p2.0).is_none());
    assert_eq!(e.stats().get(Stat::V6AllocationFailSharedNetwork), 0);
}

#[test]
fn v6_an_ia_no_subnet_can_serve_is_counted_once() {
    // Only the first subnet, without prefixes: the IA_PD gets
    // NoPrefixAvail, the IA_NA its address.
    let text = CFG6_IA.replace(
        r#""pd-pools": [{"prefix": "2001:db8:8800::", "prefix-len": 56, "delegated-len": 56}],"#,
        "",
    );
    let text = text.replace(
        r#""pd-pools": [{"prefix": "2001:db8:9900::", "prefix-len": 48, "delegated-len": 56}],"#,
        "",
    );
    let e = engine6(&text);
    let s = Memfile6::open(None).unwrap_or_else(|e| panic!("{e}"));
    let adv = run6(&e, &s, &msg6_ias(1, 1, Some(None), Some(None)));
    assert_eq!(
        ias6(&adv),
        vec![
            (3, 100, Some((ip6("2001:db8:a::10"), 128)), None),
            (25, 0, None, Some(6))
        ]
    );
    assert_eq!(e.stats().get(Stat::V6AllocationFailSharedNetwork), 1);
    assert_eq!(e.stats().get(Stat::V6AllocationFail), 1);
}

#[test]
fn v6_a_prefix_reserved_in_a_hosts_database_comes_from_its_subnet() {
    // Both subnets delegate prefixes; a hosts database reserves client 9
    // a prefix in the second and an address in the first: each IA gets
    // its reservation, not a dynamic prefix of the first subnet.
    let db = Arc::new(crate::fake_hosts::FakeHosts::default());
    let duid = vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 9];
    let mut in1 = ruru_lease::Host6::new(ruru_lease::IdType::Duid, duid.clone(), 1);
    in1.ip_addresses = vec![ip6("2001:db8:a::1f")];
    let mut in2 = ruru_lease::Host6::new(ruru_lease::IdType::Duid, duid, 2);
    in2.prefixes = vec![(ip6("2001:db8:7700::"), 56)];
    if let Ok(mut rows) = db.v6.lock() {
        rows.extend([in1, in2]);
    }
    let e = Engine6::new(
        Arc::new(load(CFG6_IA).dhcp6.unwrap_or_else(|| panic!("no Dhcp6"))),
        EngineOptions6 {
            dhcp4o6: None,
            ddns: None,
            server_duid: vec![0, 2, 0, 0, 0, 9, 1],
            client_port: 546,
            hooks: None,
            hosts: crate::v4::hosts::HostSources(vec![db]),
            rng: Arc::new(crate::Rng::new(0)),
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile6::open(None).unwrap_or_else(|e| panic!("{e}"));
    let adv = run6(&e, &s, &msg6_ias(1, 9, Some(None), Some(None)));
    assert_eq!(
        ias6(&adv),
        vec![
            (3, 100, Some((ip6("2001:db8:a::1f"), 128)), None),
            (25, 300, Some((ip6("2001:db8:7700::"), 56)), None)
        ]
    );
    // Another client: a dynamic prefix of the first subnet.
    let adv = run6(&e, &s, &msg6_ias(1, 8, None, Some(None)));
    assert_eq!(
        ias6(&adv),
        vec![(25, 100, Some((ip6("2001:db8:8800::"), 56)), None)]
    );
}
