//! Class tests on real packets: DHCPv4 built with dhcproto, DHCPv6 with
//! the wire helpers of `v6::packet`.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use dhcproto::v4::{self, DhcpOption, MessageType};
use dhcproto::{Encodable, Encoder};
use ruru_classify::{parse, parse_bool, Expr, Family, StdOptionNames};

use super::view4::Raw4;
use super::view6::Raw6;
use super::*;
use crate::v4::RecvMeta;
use crate::v6::packet::{put, tests::relay_forw, tests::solicit};
use crate::v6::RecvMeta6;

fn meta4() -> RecvMeta {
    RecvMeta {
        over6: None,
        src: SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 67),
        local: Ipv4Addr::new(192, 0, 2, 254),
        iface: Some(Arc::from("eth0")),
        src_mac: None,
    }
}

fn meta6() -> RecvMeta6 {
    RecvMeta6 {
        src: SocketAddrV6::new("fe80::1".parse().unwrap(), 547, 0, 0),
        iface: Some(Arc::from("eth1")),
        dst: None,
    }
}

/// A relayed DISCOVER from a PXE client with option 82 (circuit-id
/// "port1", remote-id 0xaabbcc), vendor class 124 (enterprise 4491,
/// chunks "abc", "de") and vendor options 125 (enterprise 4491,
/// sub-option 2 = 0x0102).
fn pxe_discover() -> Vec<u8> {
    let mut m = v4::Message::default();
    m.set_opcode(v4::Opcode::BootRequest)
        .set_chaddr(&[0, 0x11, 0x22, 0x33, 0x44, 0x55])
        .set_giaddr(Ipv4Addr::new(10, 0, 0, 1))
        .set_xid(0x1234_5678);
    let o = m.opts_mut();
    o.insert(DhcpOption::MessageType(MessageType::Discover));
    o.insert(DhcpOption::ClassIdentifier(
        b"PXEClient:Arch:00007:UNDI:003016".to_vec(),
    ));
    o.insert(DhcpOption::Unknown(v4::UnknownOption::new(
        v4::OptionCode::Unknown(124),
        vec![
            0, 0, 0x11, 0x8b, 3, b'a', b'b', b'c', 0, 0, 0x11, 0x8b, 2, b'd', b'e',
        ],
    )));
    o.insert(DhcpOption::Unknown(v4::UnknownOption::new(
        v4::OptionCode::Unknown(125),
        vec![0, 0, 0x11, 0x8b, 4, 2, 2, 1, 2],
    )));
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    // Option 82 as raw bytes, before the end option.
    let end = b.iter().rposition(|&x| x == 255).unwrap();
    b.splice(
        end..end,
        [
            82, 12, 1, 5, b'p', b'o', b'r', b't', b'1', 2, 3, 0xaa, 0xbb, 0xcc,
        ],
    );
    b
}

fn e4(text: &str) -> Expr {
    parse_bool(text, Family::V4, &StdOptionNames).unwrap()
}

fn e6(text: &str) -> Expr {
    parse_bool(text, Family::V6, &StdOptionNames).unwrap()
}

fn check4(buf: &[u8], text: &str) -> bool {
    let q = crate::v4::packet::parse(buf).unwrap();
    let meta = meta4();
    let raw = Raw4::new(buf, &q, &meta);
    let set = ClassSet::new();
    e4(text).eval_bool(&raw.view(&set)).unwrap()
}

#[test]
fn v4_views_read_options_relay_vendor_and_header() {
    let b = pxe_discover();
    for (t, want) in [
        ("substring(option[60].hex, 0, 9) == 'PXEClient'", true),
        (
            "substring(option[vendor-class-identifier].hex, 0, 9) == 'PXEClient'",
            true,
        ),
        ("option[60].exists", true),
        ("option[61].exists", false),
        ("relay4[2].hex == 0xaabbcc", true),
        ("relay4[1].hex == 'port1'", true),
        ("relay4[5].exists", false),
        ("pkt4.mac == 0x001122334455", true),
        ("pkt4.hlen == 6", true),
        ("pkt4.msgtype == 1", true),
        ("pkt4.transid == 305419896", true),
        ("pkt4.giaddr == 10.0.0.1", true),
        ("vendor-class[4491].exists", true),
        ("vendor-class[4491].data == 'abc'", true),
        ("vendor-class[4491].data[1] == 'de'", true),
        ("vendor-class[4491].data[2] == ''", true),
        ("vendor-class[1234].exists", false),
        ("vendor[4491].option[2].hex == 0x0102", true),
        ("vendor[4491].option[3].exists", false),
        ("vendor.enterprise == 4491", true),
        ("pkt.iface == 'eth0'", true),
        ("pkt.src == 192.0.2.1", true),
        ("member('ALL')", true),
        ("member('FOO')", false),
    ] {
        assert_eq!(check4(&b, t), want, "{t}");
    }
}

#[test]
fn v4_overloaded_file_field_holds_options() {
    let mut b = pxe_discover();
    // Option 52 = 1 (file holds options), option 43 in file.
    let end = b.iter().rposition(|&x| x == 255).unwrap();
    b.splice(end..end, [52, 1, 1]);
    b[108..113].copy_from_slice(&[43, 2, 7, 8, 255]);
    assert!(check4(&b, "option[43].hex == 0x0708"));
}

fn set_with<'a>(names: &[&'a str]) -> ClassSet<'a> {
    let mut s = ClassSet::new();
    for n in names {
        s.insert(Name::Str(n));
    }
    s
}

#[test]
fn member_sees_the_classes_so_far() {
    let b = pxe_discover();
    let q = crate::v4::packet::parse(&b).unwrap();
    let meta = meta4();
    let raw = Raw4::new(&b, &q, &meta);
    let s = set_with(&["gold"]);
    let e = e4("member('gold') and not member('silver')");
    assert!(e.eval_bool(&raw.view(&s)).unwrap());
}

/// A SOLICIT with vendor class 16 (enterprise 4491, "eRouter1.0" second)
/// and vendor options 17 (sub-option 1 = "x"), relayed twice; the inner
/// relay carries remote-id (37).
fn relayed_solicit() -> Vec<u8> {
    let mut s = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
    let mut vc = vec![0, 0, 0x11, 0x8b];
    vc_tuple(&mut vc, b"foo");
    vc_tuple(&mut vc, b"eRouter1.0");
    put(&mut s, 16, &vc);
    let mut vo = vec![0, 0, 0x11, 0x8b];
    put(&mut vo, 1, b"x");
    put(&mut s, 17, &vo);
    // Inner relay (closest to the client) with remote-id.
    let mut l1 = relay_forw(&s, "2001:db8:1::1".parse().unwrap(), Some(b"eth0"));
    put(&mut l1, 37, &[0, 0, 0x11, 0x8b, 0xde, 0xad]);
    relay_forw(&l1, "2001:db8:ff::1".parse().unwrap(), None)
}

fn vc_tuple(v: &mut Vec<u8>, d: &[u8]) {
    v.extend_from_slice(&u16::try_from(d.len()).unwrap().to_be_bytes());
    v.extend_from_slice(d);
}

#[test]
fn v6_views_read_client_relay_and_vendor_options() {
    let b = relayed_solicit();
    let q = crate::v6::packet::parse(&b).unwrap();
    let meta = meta6();
    let raw = Raw6::new(&b, &q, &meta);
    let set = ClassSet::new();
    let v = raw.view(&set);
    for (t, want) in [
        ("option[1].hex == 0x0003000102000000 + 0x0001", true),
        ("option[3].option[5].exists", false),
        ("option[3].exists", true),
        ("relay6[1].option[37].hex == 0x0000118bdead", true),
        ("relay6[-1].option[37].exists", true),
        ("relay6[0].option[37].exists", false),
        ("relay6[0].linkaddr == 2001:db8:ff::1", true),
        ("relay6[1].linkaddr == 2001:db8:1::1", true),
        ("relay6[1].option[18].hex == 'eth0'", true),
        ("vendor-class[4491].data == 'foo'", true),
        ("vendor-class[4491].data[1] == 'eRouter1.0'", true),
        ("vendor[4491].option[1].hex == 'x'", true),
        ("pkt6.msgtype == 1", true),
        ("pkt6.transid == 1193046", true),
        ("pkt.iface == 'eth1'", true),
    ] {
        assert_eq!(e6(t).eval_bool(&v).unwrap(), want, "{t}");
    }
    // Kea prefers the DOCSIS names for the built-in vendor class.
    assert_eq!(raw.vendor_class(), Some(&b"eRouter1.0"[..]));
}

/// A class definition for the tests.
struct Def {
    name: &'static str,
    test: Option<std::sync::Arc<Expr>>,
    template: bool,
    required: bool,
    known: bool,
}

impl ClassDef for Def {
    fn name(&self) -> &str {
        self.name
    }
    fn test(&self) -> Test<'_> {
        match &self.test {
            None => Test::None,
            Some(e) if self.template => Test::Template(e),
            Some(e) => Test::Bool(e),
        }
    }
    fn expr(&self) -> Option<&std::sync::Arc<Expr>> {
        self.test.as_ref()
    }
    fn only_if_required(&self) -> bool {
        self.required
    }
    fn depends_on_known(&self) -> bool {
        self.known
    }
}

fn def(name: &'static str, test: &str) -> Def {
    Def {
        name,
        test: (!test.is_empty()).then(|| std::sync::Arc::new(e4(test))),
        template: false,
        required: false,
        known: test.contains("KNOWN"),
    }
}

fn names(s: &ClassSet<'_>) -> Vec<String> {
    s.to_strings()
}

#[test]
fn kea_order_receive_host_required() {
    let b = pxe_discover();
    let q = crate::v4::packet::parse(&b).unwrap();
    let meta = meta4();
    let raw = Raw4::new(&b, &q, &meta);
    let mut tmpl = def("by-circuit", "");
    tmpl.test = Some(std::sync::Arc::new(
        parse("relay4[1].hex", Family::V4, &StdOptionNames).unwrap(),
    ));
    tmpl.template = true;
    let mut req = def("req", "member('pxe')");
    req.required = true;
    let defs = [
        def("pxe", "substring(option[60].hex, 0, 9) == 'PXEClient'"),
        def("after-pxe", "member('pxe')"),
        def("known-pxe", "member('KNOWN') and member('pxe')"),
        def("unknown", "member('UNKNOWN')"),
        def("never", "option[61].exists"),
        tmpl,
        req,
        def("no-test", ""),
    ];
    let mut s = ClassSet::new();
    on_receive(&raw, &defs, &Plan::new(&defs), &mut s);
    assert_eq!(
        names(&s),
        [
            "ALL",
            "VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016",
            "pxe",
            "after-pxe",
            "by-circuit",
            "SPAWN_by-circuit_port1",
        ]
    );
    assert!(s.contains("VENDOR_CLASS_PXEClient:Arch:00007:UNDI:003016"));
    let host = vec!["no-test".to_string(), "undefined".to_string()];
    after_host(
        &raw,
        &defs,
        &Plan::new(&defs),
        &mut s,
        Some(HostClasses::Borrowed(&host)),
    );
    assert!(s.contains("KNOWN") && s.contains("known-pxe") && !s.contains("unknown"));
    assert!(s.contains("no-test") && s.contains("undefined"));
    assert!(!s.contains("req"));
    let subnet_req = ["req".to_string(), "nope".to_string()];
    required(&raw, &defs, &mut s, [&subnet_req[..]]);
    assert!(s.contains("req"));
    // Definitions, in assignment order: the reservation's before the
    // classes that depend on KNOWN.
    assert_eq!(s.defs().collect::<Vec<_>>(), [0, 1, 5, 7, 2, 6]);
    assert!(allowed(&[], &s) && allowed(&["x".into(), "pxe".into()], &s));
    assert!(!allowed(&["x".into()], &s));
}

#[test]
fn unknown_client_and_drop() {
    let b = pxe_discover();
    let q = crate::v4::packet::parse(&b).unwrap();
    let meta = meta4();
    let raw = Raw4::new(&b, &q, &meta);
    let defs = [
        def("DROP", "member('UNKNOWN') and member('pxe')"),
        def("pxe", "option[60].exists"),
    ];
    let mut s = ClassSet::new();
    on_receive(&raw, &defs, &Plan::new(&defs), &mut s);
    assert!(!s.contains(DROP));
    after_host(&raw, &defs, &Plan::new(&defs), &mut s, None);
    // "pxe" is defined after DROP but evaluated in the first pass.
    assert!(s.contains(UNKNOWN) && s.contains(DROP));
}

#[test]
fn set_spills_and_parks() {
    let mut s = ClassSet::new();
    let many: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    for n in &many {
        s.insert(Name::Str(n));
        s.insert(Name::Str(n));
    }
    s.insert(Name::Vendor(b"v"));
    s.insert(Name::Str("VENDOR_CLASS_v"));
    assert_eq!(s.len(), 22);
    assert!(s.contains("c19") && s.contains("VENDOR_CLASS_v"));
    let owned: ClassSet<'static> = s.to_owned_set();
    assert_eq!(owned.to_strings(), s.to_strings());
}

#[test]
fn evaluation_error_is_no_match() {
    // substring of a relay6 level that does not exist errors? No: it is
    // empty. An integer conversion of a wrong-length value is an error.
    let b = pxe_discover();
    let q = crate::v4::packet::parse(&b).unwrap();
    let meta = meta4();
    let raw = Raw4::new(&b, &q, &meta);
    let defs = [def("bad", "uint16totext(option[60].hex) == '1'")];
    let mut s = ClassSet::new();
    on_receive(&raw, &defs, &Plan::new(&defs), &mut s);
    assert!(!s.contains("bad"));
}
