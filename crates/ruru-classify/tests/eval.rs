//! Evaluator tests: expressions parsed from text and evaluated on the fake
//! packets, with expected values from Kea's `token_unittest.cc`,
//! `evaluate_unittest.cc` and the ARM where they exist.

mod common;

use common::fake::FakePacket;
use ruru_classify::{
    parse, parse_bool, parse_string, EvalError, Family, Kind, Packet, Scope, StdOptionNames,
};

fn on(pkt: &FakePacket, text: &str) -> bool {
    let e = parse_bool(text, pkt.family, &StdOptionNames).unwrap_or_else(|e| panic!("{text}: {e}"));
    e.eval_bool(pkt).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn string_on(pkt: &FakePacket, text: &str) -> Vec<u8> {
    let e =
        parse_string(text, pkt.family, &StdOptionNames).unwrap_or_else(|e| panic!("{text}: {e}"));
    let v = e.eval_string(pkt).unwrap_or_else(|e| panic!("{text}: {e}"));
    v.into_vec()
}

fn eval_err(pkt: &FakePacket, text: &str) -> EvalError {
    let e = parse(text, pkt.family, &StdOptionNames).unwrap_or_else(|e| panic!("{text}: {e}"));
    let r = match e.kind() {
        Kind::Bool => e.eval_bool(pkt).map(|_| ()),
        Kind::String => e.eval_string(pkt).map(|_| ()),
    };
    match r {
        Ok(()) => panic!("{text} evaluated"),
        Err(e) => e,
    }
}

fn t4(text: &str) -> bool {
    on(&FakePacket::v4(), text)
}

fn t6(text: &str) -> bool {
    on(&FakePacket::v6(), text)
}

fn s4(text: &str) -> Vec<u8> {
    string_on(&FakePacket::v4(), text)
}

fn s6(text: &str) -> Vec<u8> {
    string_on(&FakePacket::v6(), text)
}

#[test]
fn literals() {
    assert_eq!(s4("'example'"), b"example");
    assert_eq!(s4("0x5a7d"), b"Z}");
    assert_eq!(s4("0x123"), [0x01, 0x23]);
    assert_eq!(s4("10.0.0.1"), [10, 0, 0, 1]);
    assert_eq!(s4("2001:db8::1").len(), 16);
    assert_eq!(s4("::ffff:10.0.0.1")[10..], [0xff, 0xff, 10, 0, 0, 1]);
    assert_eq!(s4("123"), [0, 0, 0, 0x7b]);
    assert_eq!(s4("4294967295"), [0xff; 4]);
    assert!(t4("0 == 0"));
    assert!(!t4("2 == 3"));
    assert!(!t4("4294967295 == 0"));
    assert!(t4("'' == ''"));
    assert!(t4("1 == 0x00000001"));
    assert!(!t4("1 == 0x01"));
}

#[test]
fn options() {
    assert_eq!(s4("option[100].hex"), b"hundred4");
    assert_eq!(s6("option[100].hex"), b"hundred6");
    assert_eq!(s4("option[200].hex"), b"");
    assert_eq!(s6("option[200].hex"), b"");
    assert_eq!(s4("option[100].text"), b"hundred4");
    // `.text` is the option's textual form, supplied by the packet.
    assert_eq!(s4("option[93].text"), b"7");
    assert_eq!(s4("option[200].text"), b"");
    assert!(t4("option[100].exists"));
    assert!(!t4("option[200].exists"));
    assert!(t4("option[53].hex == 0x1"));
    assert!(!t4("option[53].hex == 0x0"));
    assert!(!t4("option[53].hex == 0x2"));
    assert!(t4("option[93].hex == 0x0007"));
    assert!(t4("option[host-name].text == 'MyHost'"));
    assert!(t4("option[ host-name ].hex == 'MyHost'"));
    assert!(t4("substring(option[60].hex,0,9) == 'PXEClient'"));
    assert!(t4(
        "option[vendor-class-identifier].text == 'PXEClient:Arch:00000:UNDI:002001'"
    ));
    // Sub-options.
    assert_eq!(s4("option[100].option[1].hex"), b"sub-one");
    assert!(t4("option[100].option[1].exists"));
    assert!(!t4("option[100].option[2].exists"));
    assert!(!t4("option[200].option[1].exists"));
    assert_eq!(s6("option[3].option[5].hex"), [0x20, 1, 0xd, 0xb8]);
    // The ARM: a string expression may compare two packet values.
    assert!(!t4("option[82].option[2].hex == pkt4.mac"));
}

#[test]
fn relay4() {
    assert_eq!(s4("relay4[13].hex"), b"thirteen");
    assert_eq!(s4("relay4[13].text"), b"thirteen");
    assert!(t4("relay4[1].hex == 'one'"));
    assert!(t4("relay4[1].exists"));
    assert!(!t4("relay4[2].exists"));
    assert_eq!(s4("relay4[2].hex"), b"");
    assert_eq!(s4("relay4[13].option[7].hex"), b"deeper");
    assert!(!t4("relay4[13].option[8].exists"));
}

#[test]
fn relay6() {
    // Kea's token_unittest relay6Option: level 0 is the relay closest to
    // the server, negative levels count from the client.
    let cases: &[(&str, &[u8])] = &[
        ("relay6[0].option[100].text", b"hundred.zero"),
        ("relay6[0].option[101].text", b"hundredone.zero"),
        ("relay6[0].option[102].text", b""),
        ("relay6[1].option[100].text", b"hundred.one"),
        ("relay6[1].option[101].text", b""),
        ("relay6[1].option[102].text", b"hundredtwo.one"),
        ("relay6[2].option[100].text", b""),
        ("relay6[-1].option[100].text", b"hundred.one"),
        ("relay6[-1].option[101].text", b""),
        ("relay6[-1].option[102].text", b"hundredtwo.one"),
        ("relay6[-2].option[100].text", b"hundred.zero"),
        ("relay6[-2].option[101].text", b"hundredone.zero"),
        ("relay6[-3].option[100].text", b""),
        ("relay6[31].option[100].hex", b""),
        ("relay6[-32].option[100].hex", b""),
        ("relay6[1].option[102].option[1].hex", b"sub.one"),
        // Names are allowed after the first code (Kea 3.3 grammar).
        ("relay6[1].option[102].option[interface-id].hex", b""),
    ];
    for (text, want) in cases {
        assert_eq!(s6(text), *want, "{text}");
    }
    assert!(t6("relay6[0].option[100].exists"));
    assert!(!t6("relay6[0].option[102].exists"));
    assert!(t6("relay6[-2].option[100].exists"));
    assert!(!t6("relay6[-3].option[100].exists"));
    assert!(t6("substring(relay6[0].option[18].hex,0,9) == 'interface'"));
    // Addresses: 16 bytes; out of range is "".
    let addr = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec();
    assert_eq!(s6("relay6[0].linkaddr"), addr("::"));
    assert_eq!(s6("relay6[1].linkaddr"), addr("1::1"));
    assert_eq!(s6("relay6[1].peeraddr"), addr("1::2"));
    assert_eq!(s6("relay6[-1].peeraddr"), addr("1::2"));
    assert_eq!(s6("relay6[2].peeraddr"), b"");
    assert_eq!(s6("relay6[-3].linkaddr"), b"");
    assert!(t6("relay6[1].peeraddr == 1::2"));
    // Not relayed at all.
    let mut direct = FakePacket::v6();
    direct.relays.clear();
    assert_eq!(string_on(&direct, "relay6[0].peeraddr"), b"");
    assert_eq!(string_on(&direct, "relay6[-1].option[100].hex"), b"");
}

#[test]
fn pkt_metadata() {
    assert!(t4("pkt.iface == 'eth0'"));
    assert_eq!(s4("pkt.src"), [10, 0, 0, 1]);
    assert_eq!(s4("pkt.dst"), [10, 0, 0, 2]);
    assert_eq!(s4("pkt.len"), 300u32.to_be_bytes());
    assert!(t4("pkt.len == 300"));
    assert_eq!(s6("pkt.iface"), b"eth1");
    assert_eq!(s6("pkt.src").len(), 16);
    assert!(t6("pkt.dst == ff02::1:2"));
    assert!(t6("pkt.len == 120"));
}

#[test]
fn pkt4_fields() {
    // Kea's token_unittest pkt4Fields: 7-byte MAC, htype 123.
    assert_eq!(s4("pkt4.mac"), [1, 2, 3, 4, 5, 6, 7]);
    assert!(t4("pkt4.mac == 0x01020304050607"));
    assert_eq!(s4("pkt4.hlen"), 7u32.to_be_bytes());
    assert!(t4("pkt4.hlen == 7"));
    assert!(!t4("pkt4.hlen == 6"));
    assert!(t4("pkt4.htype == 123"));
    assert!(!t4("pkt4.htype == 122"));
    assert_eq!(s4("pkt4.giaddr"), [192, 0, 2, 1]);
    assert_eq!(s4("pkt4.ciaddr"), [192, 0, 2, 2]);
    assert_eq!(s4("pkt4.yiaddr"), [192, 0, 2, 3]);
    assert_eq!(s4("pkt4.siaddr"), [192, 0, 2, 4]);
    assert!(t4("pkt4.giaddr == 192.0.2.1"));
    assert!(t4("pkt4.msgtype == 1"));
    assert!(!t4("pkt4.msgtype == 2"));
    assert!(t4("pkt4.transid == 12345"));
    assert!(!t4("pkt4.transid == 0"));
    assert_eq!(s4("pkt4.transid"), 12345u32.to_be_bytes());
}

#[test]
fn pkt6_fields() {
    assert!(t6("pkt6.msgtype == 1"));
    assert!(!t6("pkt6.msgtype == 2"));
    assert!(t6("pkt6.msgtype == 0x00000001"));
    assert!(t6("pkt6.transid == 12345"));
    assert!(!t6("pkt6.transid == 12346"));
    assert!(!t6("pkt6.transid == 0"));
}

#[test]
fn vendor() {
    for t in [s4 as fn(&str) -> Vec<u8>, s6] {
        assert_eq!(t("vendor.enterprise"), 4491u32.to_be_bytes());
    }
    assert!(t4("vendor.enterprise == 4491"));
    assert!(t6("vendor.enterprise == 4491"));
    assert!(t4("vendor[4491].exists"));
    assert!(t4("vendor[*].exists"));
    assert!(t4("vendor[0].exists"));
    assert!(!t4("vendor[1234].exists"));
    assert!(t4("vendor[4491].option[1].exists"));
    assert!(!t4("vendor[4491].option[3].exists"));
    assert!(!t4("vendor[1234].option[1].exists"));
    assert_eq!(s4("vendor[4491].option[1].hex"), b"alpha");
    assert_eq!(s4("vendor[*].option[2].hex"), b"beta");
    assert_eq!(s4("vendor[*].option[2].option[5].text"), b"gamma");
    assert_eq!(s4("vendor[1234].option[2].hex"), b"");
    assert_eq!(s6("vendor[4491].option[1026].hex"), [1, 2, 3, 4]);
    let mut none = FakePacket::v4();
    none.vendor = None;
    assert_eq!(string_on(&none, "vendor.enterprise"), b"");
    assert!(!on(&none, "vendor[*].exists"));
    assert!(!on(&none, "vendor[*].option[1].exists"));
}

#[test]
fn vendor_class() {
    assert!(t4("vendor-class[4491].exists"));
    assert!(t4("vendor-class[*].exists"));
    assert!(!t4("vendor-class[1].exists"));
    assert_eq!(s4("vendor-class.enterprise"), 4491u32.to_be_bytes());
    assert_eq!(s6("vendor-class.enterprise"), 1234u32.to_be_bytes());
    assert_eq!(s4("vendor-class[4491].data"), b"alpha");
    assert_eq!(s4("vendor-class[4491].data[0]"), b"alpha");
    assert_eq!(s4("vendor-class[4491].data[1]"), b"beta");
    assert_eq!(s4("vendor-class[4491].data[2]"), b"");
    assert_eq!(s4("vendor-class[*].data[1]"), b"beta");
    assert_eq!(s4("vendor-class[1].data"), b"");
    assert!(t6("vendor-class[1234].data == 'docsis3.0'"));
    let mut none = FakePacket::v6();
    none.vendor_class = None;
    assert_eq!(string_on(&none, "vendor-class.enterprise"), b"");
    assert_eq!(string_on(&none, "vendor-class[*].data"), b"");
    assert!(!on(&none, "vendor-class[*].exists"));
}

#[test]
fn member() {
    assert!(t4("member('X')"));
    assert!(!t4("member('Y')"));
    assert!(t4("member('X') and not member('Y')"));
    assert!(t4("member('KNOWN')"));
    assert!(!t6("member('KNOWN')"));
    // ALL is always true, whatever the packet says.
    assert!(t4("member('ALL')"));
    assert!(t6("member('ALL')"));
}

/// `member()` resolved to a definition index asks the packet by index;
/// names without an index stay looked up by name.
#[test]
fn member_resolved_by_index() {
    let mut pkt = FakePacket::v4();
    pkt.defs = vec![7];
    let index_of = |n: &str| match n {
        "X" => Some(3),
        "Z" => Some(7),
        _ => None,
    };
    let resolved = |text: &str| {
        let mut e = parse_bool(text, Family::V4, &StdOptionNames).unwrap();
        e.resolve_members(&index_of);
        e.eval_bool(&pkt).unwrap()
    };
    // X is in `classes` by name but not by index 3: the index decides.
    assert!(!resolved("member('X')"));
    assert!(resolved("member('Z')"));
    // KNOWN has no index: by name.
    assert!(resolved("member('KNOWN')"));
    assert!(resolved(
        "ifelse(member('Z') and member('KNOWN'), 'a', 'b') == 'a'"
    ));
    assert!(!resolved("not member('Z') or member('X')"));
}

/// The gate: conditions without which the test is false.
#[test]
fn gates() {
    use ruru_classify::Cond::{Member, Option as Opt};
    let gate = |text: &str| {
        parse_bool(text, Family::V4, &StdOptionNames)
            .unwrap()
            .gate()
    };
    assert_eq!(
        gate("option[60].hex == 'PXE'"),
        Some(vec![Opt(Scope::Packet, 60)])
    );
    assert_eq!(
        gate("substring(option[60].hex, 0, 3) == 'PXE'"),
        Some(vec![Opt(Scope::Packet, 60)])
    );
    assert_eq!(
        gate("'x' == relay4[2].hex"),
        Some(vec![Opt(Scope::Relay4, 2)])
    );
    assert_eq!(
        gate("option[93].exists"),
        Some(vec![Opt(Scope::Packet, 93)])
    );
    assert_eq!(
        gate("option[43].option[1].exists and pkt4.htype == 1"),
        Some(vec![Opt(Scope::Packet, 43)])
    );
    assert_eq!(
        gate("option[60].exists or option[61].hex == 0x01"),
        Some(vec![Opt(Scope::Packet, 60), Opt(Scope::Packet, 61)])
    );
    // Absent is '' and equal to an empty literal: no gate.
    assert_eq!(gate("option[60].hex == ''"), None);
    assert_eq!(gate("not option[60].exists"), None);
    assert_eq!(gate("option[60].exists or pkt4.htype == 1"), None);
    // `sand` evaluates its second operand even when the first is false.
    assert_eq!(gate("option[60].exists sand option[61].exists"), None);
    assert_eq!(gate("pkt4.mac == 0x010203040506"), None);
    assert_eq!(gate("option[60].text == 'PXE'"), None);
    // member() gates once resolved to a definition.
    assert_eq!(gate("member('X') or option[93].exists"), None);
    let mut e = parse_bool(
        "member('X') or option[93].exists",
        Family::V4,
        &StdOptionNames,
    )
    .unwrap();
    e.resolve_members(&|n| (n == "X").then_some(4));
    assert_eq!(e.gate(), Some(vec![Member(4), Opt(Scope::Packet, 93)]));
    let gate6 = |text: &str| {
        parse_bool(text, Family::V6, &StdOptionNames)
            .unwrap()
            .gate()
    };
    assert_eq!(
        gate6("relay6[1].option[37].hex == 'x'"),
        Some(vec![Opt(Scope::Relay6(1), 37)])
    );
    assert_eq!(
        gate6("relay6[0].option[18].exists"),
        Some(vec![Opt(Scope::Relay6(0), 18)])
    );
    assert_eq!(gate6("relay6[-1].option[37].hex == 'x'"), None);
    // Tests that are exactly their gate option's .exists.
    let exists = |text: &str| {
        parse_bool(text, Family::V4, &StdOptionNames)
            .unwrap()
            .is_exists()
    };
    assert!(exists("option[77].exists"));
    assert!(exists("relay4[1].exists"));
    assert!(!exists("option[43].option[1].exists"));
    assert!(!exists("option[77].exists and option[1].exists"));
    assert!(!exists("option[77].hex == 'x'"));
    let exists6 = |text: &str| {
        parse_bool(text, Family::V6, &StdOptionNames)
            .unwrap()
            .is_exists()
    };
    assert!(exists6("relay6[0].option[18].exists"));
    assert!(!exists6("relay6[-1].option[18].exists"));
    // A gated test is false without the option, as the gate promises.
    let pkt = FakePacket::v4();
    for text in [
        "option[201].hex == 'x'",
        "option[201].exists and 'a' == 'a'",
        "option[201].exists or option[202].hex == 'y'",
    ] {
        let e = parse_bool(text, Family::V4, &StdOptionNames).unwrap();
        assert!(e.gate().is_some(), "{text}");
        assert_eq!(e.eval_bool(&pkt), Ok(false), "{text}");
    }
}

#[test]
fn logic() {
    assert!(t4("not ('foo' == 'bar')"));
    assert!(!t4("not 'foo' == 'foo'"));
    assert!(t4("'a' == 'a' and 'b' == 'b'"));
    assert!(!t4("'a' == 'a' and 'b' == 'c'"));
    assert!(t4("'a' == 'b' or 'b' == 'b'"));
    assert!(!t4("'a' == 'b' or 'b' == 'c'"));
    // Precedence: not > and > or; "A and B or C" is "(A and B) or C".
    assert!(t4("'a' == 'b' and 'a' == 'b' or 'a' == 'a'"));
    assert!(!t4("'a' == 'b' and ('a' == 'b' or 'a' == 'a')"));
    assert!(t4("not 'a' == 'b' and not 'b' == 'c'"));
    assert!(t4("'a' == 'a' sand 'b' == 'b'"));
    assert!(!t4("'a' == 'a' sand 'b' == 'c'"));
    assert!(t4("'a' == 'b' sor 'b' == 'b'"));
    // Loosest first: sor, or, sand, and.
    assert!(t4("'a' == 'a' sor 'a' == 'b' and 'a' == 'b'"));
    assert!(t4("'x' == 'y' sand 'a' == 'a' or 'b' == 'b'"));
    assert!(!t4(
        "'x' == 'y' and 'a' == 'a' sand 'b' == 'b' or 'c' == 'd'"
    ));
    assert!(t4("'a' == 'a' or 'x' == 'y' sand 'x' == 'y'"));
    assert!(!t4("('a' == 'a' or 'x' == 'y') sand 'x' == 'y'"));
    assert!(t4("'x' == 'y' or 'a' == 'a' sor 'x' == 'y'"));
    assert!(t4("(('a' == 'a'))"));
}

#[test]
fn short_circuit_and_strict_forms() {
    // The right side fails (uint8totext of 4 bytes); `and`/`or`/`ifelse`
    // (Kea >= 2.7.2) skip it, the strict `sand`/`sor`/`sifelse` do not.
    let bad = "uint8totext(1) == '1'";
    let p = FakePacket::v4();
    assert!(!on(&p, &format!("'a' == 'b' and {bad}")));
    assert!(on(&p, &format!("'a' == 'a' or {bad}")));
    assert_eq!(
        string_on(&p, "ifelse('a' == 'a', 'ok', uint8totext(1))"),
        b"ok"
    );
    assert!(matches!(
        eval_err(&p, &format!("'a' == 'b' sand {bad}")),
        EvalError::BadLength {
            op: "uint8totext",
            len: 4,
            ..
        }
    ));
    assert!(matches!(
        eval_err(&p, &format!("'a' == 'a' sor {bad}")),
        EvalError::BadLength { .. }
    ));
    assert!(matches!(
        eval_err(&p, "sifelse('a' == 'a', 'ok', uint8totext(1))"),
        EvalError::BadLength { .. }
    ));
    assert!(matches!(
        eval_err(&p, &format!("'a' == 'a' and {bad}")),
        EvalError::BadLength { .. }
    ));
}

#[test]
fn string_functions() {
    assert!(t4("substring('foobar', 0, 6) == 'foobar'"));
    assert!(t4("substring('foobar', 3, 3) == 'bar'"));
    assert!(t4("substring('foobar', 3, all) == 'bar'"));
    assert!(t4("substring('foobar', 1, 4) == 'ooba'"));
    assert!(t4("substring('foobar', -5, 4) == 'ooba'"));
    assert!(t4("substring('foobar', -1, -3) == 'oba'"));
    assert!(t4("substring('foobar', 4, -2) == 'ob'"));
    assert!(t4("substring('foobar', 10, 2) == ''"));
    assert!(t4("substring(option[61].hex, 1, all) == 0x010203040506"));
    assert_eq!(s4("substring(option[201].hex, 0, 2)"), b"");
    assert!(t4("concat('foo', 'bar') == 'foobar'"));
    assert!(t4("'foo' + 'bar' == 'foobar'"));
    assert!(t4("'a' + 'b' + 'c' == 'abc'"));
    assert!(t4("'a' + ('b' + 'c') == 'abc'"));
    assert!(t4(
        "concat(concat(concat(concat('abc', 'def'), 'ghi'), 'jkl'), '...') == 'abcdefghijkl...'"
    ));
    assert!(t4(
        "'abc' + 'def' + 'ghi' + 'jkl' + '...' == 'abcdefghijkl...'"
    ));
    assert!(t4("split('one.two..four', '.', 1) == 'one'"));
    assert!(t4("split('one.two..four', '.', 2) == 'two'"));
    assert!(t4("split('one.two..four', '.', 3) == ''"));
    assert!(t4("split('one.two..four', '.', 4) == 'four'"));
    assert!(t4("split('one.two..four', '.', 5) == ''"));
    assert!(t4("split('it' + 0x27 + 's', 0x27, 1) == 'it'"));
    assert!(t4("lcase('LoWeR') == 'lower'"));
    assert!(t4("ucase('uPpEr') == 'UPPER'"));
    assert!(t4("match('foo.*', lcase('FooBar'))"));
    assert!(t4("match('.*foo.*', 'is it foo or bar')"));
    assert!(t4("match('^.*foo.*$', 'is it foo or bar')"));
    assert_eq!(s4("lcase(0xC3C9)"), [0xc3, 0xc9]); // bytes >= 0x80 untouched
    assert_eq!(s4("hexstring('foo', '-')"), b"66-6f-6f");
    assert_eq!(s4("hexstring(0x1234,':')"), b"12:34");
    assert_eq!(s4("hexstring(0x56789a,'-')"), b"56-78-9a");
    assert_eq!(s4("hexstring(0xbcde,'')"), b"bcde");
    assert_eq!(s4("hexstring(0xf01234,'..')"), b"f0..12..34");
    assert_eq!(s4("hexstring('', ':')"), b"");
    assert_eq!(s4("hexstring(pkt4.mac, ':')"), b"01:02:03:04:05:06:07");
    assert_eq!(s4("ifelse(option[100].exists,'foo','bar')"), b"foo");
    assert_eq!(s4("ifelse(option[200].exists,'foo','bar')"), b"bar");
    assert_eq!(
        s4("ifelse(option[200].exists,option[200].hex,ifelse(option[100].exists,option[100].hex,'none?'))"),
        b"hundred4"
    );
    assert_eq!(s4("sifelse(option[200].exists,'foo','bar')"), b"bar");
    // The flex-id example of the ARM (Cisco-style MAC).
    let mut p = FakePacket::v4();
    p.mac = vec![0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e];
    assert_eq!(
        string_on(&p, "substring(hexstring(pkt4.mac, ''), 0, 4) + '.' + substring(hexstring(pkt4.mac, ''), 4, 4) + '.' + substring(hexstring(pkt4.mac, ''), 8, 4)"),
        b"001a.2b3c.4d5e"
    );
    assert_eq!(
        string_on(&p, "concat(0x0000, pkt4.mac)"),
        [0, 0, 0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]
    );
}

#[test]
fn conversions() {
    // Kea's context_unittest: these parse; their values are 4-byte
    // integers, so the 1- and 2-byte conversions fail at evaluation.
    assert!(t4("addrtotext(10.0.0.1) == '10.0.0.1'"));
    assert!(t4("addrtotext(2001:db8::1) == '2001:db8::1'"));
    assert!(t4("addrtotext(pkt4.giaddr) == '192.0.2.1'"));
    assert!(t4("int32totext(4294967295) == '-1'"));
    assert!(t4("uint32totext(4294967295) == '4294967295'"));
    assert!(t4("int8totext(0xff) == '-1'"));
    assert!(t4("uint8totext(0xff) == '255'"));
    assert!(t4("int16totext(0xffff) == '-1'"));
    assert!(t4("uint16totext(0xffff) == '65535'"));
    assert!(t4("uint16totext(option[93].hex) == '7'"));
    assert!(t4("uint32totext(pkt4.transid) == '12345'"));
    assert!(t4("int8totext('') == ''"));
    assert!(t4("addrtotext('') == ''"));
    let p = FakePacket::v4();
    for (text, op) in [
        ("int8totext(255) == '-1'", "int8totext"),
        ("int16totext(65535) == '-1'", "int16totext"),
        ("uint8totext(255) == '255'", "uint8totext"),
        ("uint16totext(65535) == '65535'", "uint16totext"),
        ("int32totext('01') == ''", "int32totext"),
        ("addrtotext('192.100.1.1') == ''", "addrtotext"),
    ] {
        match eval_err(&p, text) {
            EvalError::BadLength { op: o, .. } => assert_eq!(o, op, "{text}"),
            e => panic!("{text}: {e}"),
        }
    }
}

#[test]
fn results_of_other_kinds() {
    let p = FakePacket::v4();
    // A condition as a string is "true"/"false" (Kea's evaluateString).
    let e = parse("option[100].exists", Family::V4, &StdOptionNames).unwrap();
    assert_eq!(e.eval_string(&p).unwrap().into_vec(), b"true");
    // A string as a condition must be exactly "true" or "false".
    let e = parse("'true'", Family::V4, &StdOptionNames).unwrap();
    assert!(e.eval_bool(&p).unwrap());
    let e = parse("'false'", Family::V4, &StdOptionNames).unwrap();
    assert!(!e.eval_bool(&p).unwrap());
    let e = parse("'bad'", Family::V4, &StdOptionNames).unwrap();
    assert_eq!(e.eval_bool(&p), Err(EvalError::NotBoolean));
}

#[test]
fn family_mismatch_is_an_error() {
    let e = parse_bool("option[1].exists", Family::V6, &StdOptionNames).unwrap();
    let p4 = FakePacket::v4();
    assert!(matches!(
        e.eval_bool(&p4),
        Err(EvalError::WrongFamily {
            expr: Family::V6,
            packet: Family::V4
        })
    ));
}

#[test]
fn members_are_listed() {
    let e = parse_bool(
        "member('A') or (member('KNOWN') and not member('ALL'))",
        Family::V4,
        &StdOptionNames,
    )
    .unwrap();
    let names: Vec<_> = e.members().iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["A", "KNOWN", "ALL"]);
    let m = &e.members()[1];
    assert_eq!(&e.source()[m.offset..m.offset + m.len], "'KNOWN'");
}

#[test]
fn default_text_is_the_payload() {
    struct Min;
    impl Packet for Min {
        fn family(&self) -> Family {
            Family::V6
        }
        fn option(&self, scope: Scope, path: &[u16]) -> Option<&[u8]> {
            (scope == Scope::Packet && path == [7]).then_some(b"seven")
        }
        fn vendor(&self) -> Option<u32> {
            None
        }
        fn vendor_class(&self) -> Option<u32> {
            None
        }
        fn vendor_class_data(&self, _: usize) -> Option<&[u8]> {
            None
        }
        fn iface(&self) -> &str {
            ""
        }
        fn src(&self) -> std::net::IpAddr {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        }
        fn dst(&self) -> std::net::IpAddr {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        }
        fn wire_len(&self) -> usize {
            0
        }
        fn member(&self, _: &str) -> bool {
            false
        }
    }
    let e = parse_string("option[7].text", Family::V6, &StdOptionNames).unwrap();
    assert_eq!(e.eval_string(&Min).unwrap().into_vec(), b"seven");
    // A packet without pkt6 fields is treated as the wrong family.
    let e = parse_bool("pkt6.msgtype == 1", Family::V6, &StdOptionNames).unwrap();
    assert!(e.eval_bool(&Min).is_err());
    let e = parse_bool("relay6[0].option[1].exists", Family::V6, &StdOptionNames).unwrap();
    assert!(!e.eval_bool(&Min).unwrap());
    let dynp: &dyn Packet = &Min;
    let e = parse_bool("option[7].hex == 'seven'", Family::V6, &StdOptionNames).unwrap();
    assert!(e.eval_bool(dynp).unwrap());
}

/// The comparisons compiled to in-place compares (`x == 'lit'` and
/// `substring(x, 0, k) == 'lit'` on options, relay sub-options and
/// `pkt4.mac`) give what the general path gives: `concat(x, '')` is the
/// same value but not of that shape.
#[test]
fn literal_comparisons_match_the_general_path() {
    let v4 = [
        "option[60].hex",
        "option[100].option[1].hex",
        "option[77].hex",
        "relay4[1].hex",
        "relay4[13].option[7].hex",
        "relay4[2].hex",
        "pkt4.mac",
    ];
    let v6 = [
        "option[1].hex",
        "option[3].option[5].hex",
        "option[77].hex",
        "relay6[0].option[100].hex",
        "relay6[-1].option[102].option[1].hex",
        "relay6[1].option[100].hex",
        "relay6[5].option[100].hex",
        "relay6[-3].option[100].hex",
    ];
    let lits = [
        "''",
        "'PXEClient'",
        "'PXE'",
        "'sub-one'",
        "'one'",
        "'deeper'",
        "0x01020304050607",
        "0x010203",
        "0x0002aabbccddeeff",
        "0x0002",
        "'hundred.one'",
        "'sub.one'",
        "'hundred'",
    ];
    let cuts = [
        "", "0, 0", "0, 3", "0, 7", "0, 9", "0, 100", "0, all", "1, 3", "0, -2",
    ];
    for (pkt, xs) in [(FakePacket::v4(), &v4[..]), (FakePacket::v6(), &v6[..])] {
        for x in xs {
            for cut in cuts {
                let (fast, slow) = if cut.is_empty() {
                    (x.to_string(), format!("concat({x}, '')"))
                } else {
                    (
                        format!("substring({x}, {cut})"),
                        format!("substring(concat({x}, ''), {cut})"),
                    )
                };
                for lit in lits {
                    for (a, b) in [
                        (format!("{fast} == {lit}"), format!("{slow} == {lit}")),
                        (format!("{lit} == {fast}"), format!("{lit} == {slow}")),
                    ] {
                        assert_eq!(on(&pkt, &a), on(&pkt, &b), "{a} vs {b}");
                    }
                }
            }
        }
    }
    // pkt4.mac on a DHCPv6 packet is refused at parse time; the error of
    // a v4 expression on a v6 packet is kept.
    let e = parse_bool("pkt4.mac == 0x01", Family::V4, &StdOptionNames).unwrap();
    assert!(matches!(
        e.eval_bool(&FakePacket::v6()),
        Err(EvalError::WrongFamily { .. })
    ));
}
