//! The built-in flex-id and flex-option through `Engine4::process` /
//! `Engine6::process`, with configurations loaded from Kea JSON.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use dhcproto::v4::{self, DhcpOption, MessageType};
use dhcproto::v6;
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ruru_lease::{Memfile, Memfile6};

use crate::classify::engine_tests::{advertise, load, opt, solicit6};
use crate::v4::{Engine4, EngineOptions, Outcome4, RecvMeta};
use crate::v6::{Engine6, EngineOptions6};
use crate::Stats;

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

fn engine4(text: &str) -> Engine4 {
    Engine4::new(
        Arc::new(load(text).dhcp4.unwrap()),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

fn engine6(text: &str) -> Engine6 {
    Engine6::new(
        Arc::new(load(text).dhcp6.unwrap()),
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

/// A relayed Discover from MAC 02:00:00:00:00:`mac`, with option 82's
/// circuit-id `circuit`, host name `host` (option 12), asking for DNS
/// servers and the domain name.
fn discover(mac: u8, circuit: Option<&[u8]>, host: Option<&str>) -> Vec<u8> {
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
        v4::OptionCode::DomainName,
    ]));
    if let Some(h) = host {
        m.opts_mut().insert(DhcpOption::Hostname(h.to_string()));
    }
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    if let Some(c) = circuit {
        // Option 82 before END: sub-option 1, the circuit-id.
        assert_eq!(b.pop(), Some(255));
        b.extend_from_slice(&[82, c.len() as u8 + 2, 1, c.len() as u8]);
        b.extend_from_slice(c);
        b.push(255);
    }
    b
}

fn offer(e: &Engine4, s: &Memfile, buf: &[u8]) -> v4::Message {
    let meta = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: Ipv4Addr::new(192, 0, 2, 250),
        iface: None,
        src_mac: None,
    };
    match e.process(s, buf, &meta, NOW) {
        Outcome4::Reply(r) => v4::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("unexpected {o:?}"),
    }
}

fn flex_id4(expr: &str) -> String {
    format!(
        r#"{{"Dhcp4": {{
  "host-reservation-identifiers": ["hw-address", "flex-id"],
  "hooks-libraries": [{{"library": "/usr/lib/kea/hooks/libdhcp_flex_id.so",
    "parameters": {{"identifier-expression": "{expr}"}}}}],
  "subnet4": [{{"id": 1, "subnet": "10.0.1.0/24",
    "relay": {{"ip-addresses": ["198.51.100.1"]}},
    "pools": [{{"pool": "10.0.1.100 - 10.0.1.110"}}],
    "reservations": [
      {{"flex-id": "'port-9'", "ip-address": "10.0.1.9"}},
      {{"flex-id": "02:00:00:00:00:07", "ip-address": "10.0.1.7"}}
    ]}}]
}}}}"#
    )
}

#[test]
fn v4_flex_id_reservation_by_circuit_id() {
    let e = engine4(&flex_id4("relay4[1].hex"));
    let s = Memfile::open(None).unwrap();
    let m = offer(&e, &s, &discover(1, Some(b"port-9"), None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 9));
    // Another circuit: no reservation, a pool address.
    let m = offer(&e, &s, &discover(2, Some(b"port-8"), None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 100));
    // No option 82: the identifier is empty, no flex-id lookup.
    let m = offer(&e, &s, &discover(3, None, None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 101));
}

#[test]
fn v4_flex_id_reservation_by_mac() {
    let e = engine4(&flex_id4("pkt4.mac"));
    let s = Memfile::open(None).unwrap();
    let m = offer(&e, &s, &discover(7, None, None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 7));
    let m = offer(&e, &s, &discover(6, None, None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 100));
}

#[test]
fn v4_flex_id_needs_flex_id_among_the_identifiers() {
    let cfg = flex_id4("pkt4.mac").replace(r#"["hw-address", "flex-id"]"#, r#"["hw-address"]"#);
    let e = engine4(&cfg);
    let s = Memfile::open(None).unwrap();
    let m = offer(&e, &s, &discover(7, None, None));
    assert_eq!(m.yiaddr(), Ipv4Addr::new(10, 0, 1, 100));
}

const FLEX_OPTION4: &str = r#"{"Dhcp4": {
  "option-data": [
    {"name": "domain-name-servers", "data": "192.0.2.53"},
    {"name": "domain-name", "data": "example.org"}
  ],
  "client-classes": [{"name": "kiosk", "test": "option[host-name].text == 'kiosk'"}],
  "hooks-libraries": [{"library": "libdhcp_flex_option.so", "parameters": {"options": [
    {"code": 67, "add": "ifelse(option[host-name].exists, concat(option[host-name].text, '.boot'), '')"},
    {"name": "domain-name", "add": "'never.example'"},
    {"code": 6, "supersede": "ifelse(option[host-name].text == 'dns', 0xc0000201, '')"},
    {"code": 15, "remove": "option[host-name].text == 'nodomain'"},
    {"code": 15, "supersede": "'kiosk.example'", "client-class": "kiosk"}
  ]}}],
  "subnet4": [{"id": 1, "subnet": "10.0.1.0/24",
    "relay": {"ip-addresses": ["198.51.100.1"]},
    "pools": [{"pool": "10.0.1.100 - 10.0.1.110"}]}]
}}"#;

#[test]
fn v4_flex_option_add_supersede_remove() {
    let e = engine4(FLEX_OPTION4);
    let s = Memfile::open(None).unwrap();
    // add: a value from the query; the option the reply has is kept.
    let m = offer(&e, &s, &discover(1, None, Some("alpha")));
    assert_eq!(opt(&m, 67).as_deref(), Some(&b"alpha.boot"[..]));
    assert_eq!(opt(&m, 15).as_deref(), Some(&b"example.org"[..]));
    assert_eq!(opt(&m, 6).as_deref(), Some(&[192, 0, 2, 53][..]));
    // An empty value: nothing added, nothing superseded.
    let m = offer(&e, &s, &discover(2, None, None));
    assert_eq!(opt(&m, 67), None);
    assert_eq!(opt(&m, 6).as_deref(), Some(&[192, 0, 2, 53][..]));
    // supersede: replaced.
    let m = offer(&e, &s, &discover(3, None, Some("dns")));
    assert_eq!(opt(&m, 6).as_deref(), Some(&[192, 0, 2, 1][..]));
    // remove: gone when the condition is true.
    let m = offer(&e, &s, &discover(4, None, Some("nodomain")));
    assert_eq!(opt(&m, 15), None);
    // client-class: the entry acts for the class's members only.
    let m = offer(&e, &s, &discover(5, None, Some("kiosk")));
    assert_eq!(opt(&m, 15).as_deref(), Some(&b"kiosk.example"[..]));
}

fn addr(m: &v6::Message) -> Option<std::net::Ipv6Addr> {
    m.opts().iter().find_map(|o| match o {
        v6::DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            v6::DhcpOption::IAAddr(a) => Some(a.addr),
            _ => None,
        }),
        _ => None,
    })
}

fn opt6(m: &v6::Message, code: u16) -> Option<Vec<u8>> {
    let mut b = Vec::new();
    m.opts()
        .get(v6::OptionCode::from(code))?
        .encode(&mut Encoder::new(&mut b))
        .unwrap();
    Some(b[4..].to_vec())
}

const CFG6: &str = r#"{"Dhcp6": {
  "host-reservation-identifiers": ["duid", "flex-id"],
  "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}],
  "hooks-libraries": [
    {"library": "libdhcp_flex_id.so",
     "parameters": {"identifier-expression": "substring(option[1].hex, 2, all)"}},
    {"library": "libdhcp_flex_option.so", "parameters": {"options": [
      {"name": "bootfile-url", "add": "'http://boot.example/x'"},
      {"code": 23, "remove": "substring(option[1].hex, 0, 2) == 0x0002"}
    ]}}
  ],
  "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64",
    "relay": {"ip-addresses": ["2001:db8:1::1"]},
    "pools": [{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}],
    "reservations": [{"flex-id": "00:01:02:00:00:00:00:07", "ip-addresses": ["2001:db8:1::7"]}]}]
}}"#;

#[test]
fn v6_flex_id_and_flex_option() {
    let e = engine6(CFG6);
    let s = Memfile6::open(None).unwrap();
    // DUID-LL 00:03 + 00:01 02:00:00:00:00:07: flex-id = the DUID
    // without its type, reserved.
    let m = advertise(&e, &s, &solicit6(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 7]));
    assert_eq!(addr(&m), Some("2001:db8:1::7".parse().unwrap()));
    assert_eq!(opt6(&m, 59).as_deref(), Some(&b"http://boot.example/x"[..]));
    assert!(opt6(&m, 23).is_some(), "DNS kept for a DUID-LL");
    // DUID-EN: no reservation; DNS removed.
    let m = advertise(&e, &s, &solicit6(&[0, 2, 0, 0, 0, 9, 1, 2]));
    assert_eq!(addr(&m), Some("2001:db8:1::100".parse().unwrap()));
    assert_eq!(opt6(&m, 23), None);
    assert_eq!(opt6(&m, 59).as_deref(), Some(&b"http://boot.example/x"[..]));
}
