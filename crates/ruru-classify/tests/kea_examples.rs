//! Every expression of Kea's example configurations (`doc/examples/kea4/`
//! and `kea6/`: classify.json, classify2.json, all-keys.json, iPXE.json)
//! and of the ARM's classification, flex-id and flex-option sections must
//! parse, with the type their configuration key requires.

use ruru_classify::{parse_bool, parse_string, Family, StdOptionNames};

/// Class `test` expressions, DHCPv4.
const TESTS4: &[&str] = &[
    "pkt4.mac == 0x010203040506",
    "pkt4.msgtype == 1",
    "pkt4.transid == 0",
    "substring(option[60].hex,0,6) == 'Aastra'",
    "member('ALL')",
    "member('VoIP') and member('KNOWN')",
    "member('HA_server1')",
    "member('HA_server2')",
    "member('laptops') and member('HA_server1')",
    "member('phones') and member('HA_server2')",
    "not member('phones')",
    "not member('BOOTP')",
    "member('KNOWN') or member('bar')",
    "'' == ''",
    "option[61].hex == 0x0007",
    "option[82].option[2].hex == pkt4.mac",
    "option[93].hex == 0x0001",
    "option[93].hex == 0x0007",
    "option[93].hex == 0x0009",
    "option[93].hex == 0x0017",
    "option[123].hex == 0x000C4B1E",
    "option[vendor-class-identifier].text == 'APC'",
    "option[vendor-class-identifier].text == 'PXEClient'",
    "relay4[2].hex == 0x01020304",
    "substring(option[60].hex,0,7) == 'HMC1000'",
    "substring(option[60].hex,0,9) == 'partial-content-of-option-60'",
    "substring(option[61].hex,0,3) == 'foo'",
    "substring(option[123].hex,0,4) == 'ONE'",
    "vendor.enterprise == 4491",
    "pkt.iface == 'eth0'",
    // ARM predicates and operators.
    "not (substring('foobar', 3, 3) == 'bar')",
    "match('foo.*', lcase('FooBar'))",
    "match('.*foo.*', 'is it foo or bar')",
    "match('^.*foo.*$', 'is it foo or bar')",
    "('foo' == 'bar') or ('bar' == 'foo')",
    "('foo' == 'bar') and ('bar' == 'foo')",
    "concat('foo', 'bar') == 'foobar'",
    "'abc' + 'def' + 'ghi' + 'jkl' + '...' == 'abcdefghijkl...'",
    "split ('one.two..four', '.', 1) == 'one'",
    "split(option[39].text, 0x27, 1) == 'x'",
    "ifelse('foo' == 'bar','us','them') == 'them'",
    "hexstring('foo', '-') == '66-6F-6F'",
    "addrtotext (192.10.0.1) == '192.10.0.1'",
];

/// Class `test` expressions, DHCPv6.
const TESTS6: &[&str] = &[
    "pkt.iface == 'eth0'",
    "pkt6.msgtype == 5",
    "vendor.enterprise == 4491",
    "member('ALL')",
    "member('cable-modems') and member('KNOWN')",
    "substring(option[15].hex, 2, 4) == 'iPXE'",
    "option[61].hex == 0x0007",
    "option[1234].hex == 0x0001",
    "substring(option[1].hex,0,6) == 0x0002AABBCCDD",
    "addrtotext (2003:db8::) == '2003:db8::'",
];

/// String expressions (template-test, flex-id identifier-expression,
/// flex-option add/supersede, DDNS tuning), DHCPv4.
const STRINGS4: &[&str] = &[
    "substring(option[61].hex, 0, all)",
    "substring(option[61].hex,0,3)",
    "ifelse(substring(option[61].hex,4,3) == 'foo', substring(option[12].hex,0,12), '')",
    "option[250].text",
    "concat(0x0000, pkt4.mac)",
    "hexstring(pkt4.mac, '-')",
    "hexstring(pkt4.mac,':')",
    "pkt.iface",
    "substring(hexstring(pkt4.mac, ''), 0, 4) + '.' + substring(hexstring(pkt4.mac, ''), 4, 4) + '.' + substring(hexstring(pkt4.mac, ''), 8, 4)",
    "'foobar'",
    "ifelse(option[host-name].exists,concat(option[host-name].text,'.boot'),'')",
    "ifelse(pkt4.giaddr==192.168.0.1, '255.255.255.255', '')",
    "uint8totext (255)",
    "uint16totext (65535)",
    "uint32totext (4294967295)",
    "int16totext (65535)",
    "int32totext (4294967295)",
    "lcase('LoWeR')",
    "ucase('uPpEr')",
];

/// String expressions, DHCPv6.
const STRINGS6: &[&str] = &[
    "substring(option[1].hex, 0, all)",
    "substring(option[1].hex,0,3)",
    "substring(option[1].hex,0,6)",
    "substring(relay6[0].option[18].hex,0,8)",
    "substring(relay6[0].option[79].hex, 2, all)",
    "vendor[4491].option[1026].hex",
    "relay6[0].peeraddr",
    "relay6[-1].linkaddr",
];

#[test]
fn kea_examples_parse() {
    for (list, family) in [(TESTS4, Family::V4), (TESTS6, Family::V6)] {
        for text in list {
            if let Err(e) = parse_bool(text, family, &StdOptionNames) {
                panic!("{family} test {text:?}: {e}");
            }
        }
    }
    for (list, family) in [(STRINGS4, Family::V4), (STRINGS6, Family::V6)] {
        for text in list {
            if let Err(e) = parse_string(text, family, &StdOptionNames) {
                panic!("{family} string {text:?}: {e}");
            }
        }
    }
}

/// The ARM's `int8totext (-1)` example does not parse in Kea either: a bare
/// integer is a 4-byte unsigned value, so -1 is out of range.
#[test]
fn arm_int8totext_example_is_rejected_as_in_kea() {
    let e = parse_string("int8totext (-1)", Family::V4, &StdOptionNames).unwrap_err();
    assert!(e.message.contains("0..4294967295"), "{e}");
}
