//! End-to-end tests of custom option definitions and vendor options, over
//! the wire with the real binary, in both families: options of several
//! `option-def` types and an array, sub-options of an encapsulated custom
//! space, option 43 with sub-options, option 125 / 17 with `vendor-N`
//! sub-options, `always-send` and `never-send`.
//!
//! The expected payloads are the bytes Kea 2.2 (kea-dhcp4 / kea-dhcp6)
//! sends for the same options on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::v6::*;
use common::*;
use dhcproto::v4::{DhcpOption, OptionCode};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn config4(relay: Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "option-def": [
      {{ "name": "prefix", "code": 200, "type": "ipv6-prefix" }},
      {{ "name": "rec", "code": 204, "type": "record", "record-types": "uint8, ipv4-address, string" }},
      {{ "name": "container", "code": 205, "type": "uint8", "encapsulate": "sp" }},
      {{ "name": "ports", "code": 206, "type": "uint16", "array": true }},
      {{ "name": "s-name", "code": 3, "space": "sp", "type": "string" }},
      {{ "name": "s-num", "code": 1, "space": "sp", "type": "uint32" }},
      {{ "name": "vlan", "code": 2, "space": "vendor-encapsulated-options-space", "type": "uint32" }},
      {{ "name": "vi-port", "code": 7, "space": "vendor-339", "type": "uint16" }},
      {{ "name": "vi-other", "code": 3, "space": "vendor-339", "type": "string" }},
      {{ "name": "vlanid", "code": 2, "space": "339", "type": "uint32" }},
      {{ "name": "dls", "code": 3, "space": "339", "type": "string" }}
    ],
    "option-data": [
      {{ "name": "prefix", "data": "2001:db8:ffff::/33" }},
      {{ "name": "rec", "data": "7, 192.0.2.1, hi there", "always-send": true }},
      {{ "name": "container", "data": "9" }},
      {{ "name": "s-name", "space": "sp", "data": "zz" }},
      {{ "name": "s-num", "space": "sp", "data": "1" }},
      {{ "name": "ports", "data": "1, 2, 65535" }},
      {{ "name": "vendor-encapsulated-options" }},
      {{ "name": "vlan", "space": "vendor-encapsulated-options-space", "data": "77" }},
      {{ "code": 1, "space": "vendor-encapsulated-options-space", "data": "01", "csv-format": false }},
      {{ "name": "vivso-suboptions", "data": "339" }},
      {{ "name": "vi-port", "space": "vendor-339", "data": "5", "always-send": true }},
      {{ "name": "vi-other", "space": "vendor-339", "data": "not always" }},
      {{ "name": "domain-name", "data": "example.org" }},
      {{ "name": "tftp-servers", "space": "vendor-4491", "data": "192.0.2.1" }}
    ],
    "client-classes": [ {{
      "name": "VENDOR_CLASS_339",
      "option-def": [ {{ "name": "vendor-encapsulated-options", "code": 43, "type": "empty", "encapsulate": "339" }} ],
      "option-data": [
        {{ "name": "vendor-encapsulated-options" }},
        {{ "name": "vlanid", "space": "339", "data": "123" }},
        {{ "name": "dls", "space": "339", "data": "sdlp://192.0.2.11:18443" }}
      ] }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.50" }} ],
      "option-data": [ {{ "name": "domain-name", "never-send": true }} ] }} ]
  }}
}}"#
    )
}

/// A DISCOVER of client `n` asking for `prl`, with `extra` raw options.
fn discover(n: u8, relay: Ipv4Addr, prl: &[u8], extra: &[u8]) -> (u32, Vec<u8>) {
    let mut c = Client::new(n, relay);
    let mut m = c.discover();
    m.opts_mut().insert(DhcpOption::ParameterRequestList(
        prl.iter().map(|c| OptionCode::from(*c)).collect(),
    ));
    let mut bytes = encode(&m);
    let end = bytes.iter().rposition(|b| *b == 255).unwrap();
    bytes.splice(end..end, extra.iter().copied());
    (m.xid(), bytes)
}

/// The raw reply to `bytes` (transaction `xid`), as sent on the wire.
fn exchange_raw(relay: &Relay, xid: u32, bytes: &[u8]) -> Option<Vec<u8>> {
    relay.send_raw(bytes);
    let end = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < end {
        let r = relay.recv_raw()?;
        if r.get(4..8) == Some(&xid.to_be_bytes()[..]) {
            return Some(r);
        }
    }
    None
}

#[test]
fn dhcpv4_custom_options_sub_options_and_vendor_options() {
    let test = "optdef_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let relay = Relay::new(ra, srv.port);

    let (xid, q) = discover(1, ra, &[1, 3, 15, 43, 125, 200, 205, 206], &[]);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    let o = |code| raw_option(&r, code);
    assert_eq!(o(200), Some(hex("21 20010db880")));
    assert_eq!(o(206), Some(hex("0001 0002 ffff")));
    // Sub-options of space "sp", in code order, after the option's data.
    assert_eq!(o(205), Some(hex("09 01 04 00000001 03 02 7a7a")));
    assert_eq!(o(43), Some(hex("01 01 01 02 04 0000004d")));
    // Vendor 339, data-length 4, its always-send sub-option only.
    assert_eq!(o(125), Some(hex("00000153 04 07 02 0005")));
    // Always sent although not requested.
    assert_eq!(o(204), Some(hex("07 c0000201 6869207468657265")));
    // never-send at the subnet wins over the global domain-name (which
    // Kea would otherwise always send).
    assert_eq!(o(15), None);

    // Not requested: no 43, 200, 205; no 125 either (the client sent none).
    let (xid, q) = discover(2, ra, &[1, 3], &[]);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    for code in [43, 125, 200, 205, 206] {
        assert_eq!(raw_option(&r, code), None, "option {code}");
    }
    assert!(raw_option(&r, 204).is_some());

    // A client that sends option 125 for vendor 339 gets its always-send
    // sub-options in a 125 although it did not request 125.
    let (xid, q) = discover(3, ra, &[1, 3], &[125, 5, 0, 0, 1, 0x53, 0]);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    assert_eq!(raw_option(&r, 125), Some(hex("00000153 04 07 02 0005")));
    // ... and one of another vendor gets none.
    let (xid, q) = discover(4, ra, &[1, 3], &[125, 5, 0, 0, 0x11, 0x8b, 0]);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    assert_eq!(raw_option(&r, 125), None);
    // A DOCSIS client (vendor 4491) asks for its sub-option 2 (TFTP
    // servers, Kea's standard definition) in its option request
    // sub-option.
    let (xid, q) = discover(5, ra, &[1, 3], &[125, 8, 0, 0, 0x11, 0x8b, 3, 1, 1, 2]);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    assert_eq!(raw_option(&r, 125), Some(hex("0000118b 06 02 04 c0000201")));

    // Kea's vendor-specific.json: the class VENDOR_CLASS_339 (vendor class
    // identifier "339") redefines option 43 to carry space "339"; the
    // class's 43 wins over the global one.
    let (xid, q) = discover(6, ra, &[1, 3, 43], &[60, 3, b'3', b'3', b'9']);
    let r = exchange_raw(&relay, xid, &q).expect("OFFER");
    let mut want = hex("02 04 0000007b 03 17");
    want.extend(b"sdlp://192.0.2.11:18443");
    assert_eq!(raw_option(&r, 43), Some(want));
}

fn config6() -> &'static str {
    r#"{
  "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "persist": false },
    "option-def": [
      { "name": "params", "code": 1000, "type": "tuple", "array": true },
      { "name": "container", "code": 1001, "type": "uint8", "encapsulate": "sp" },
      { "name": "rec", "code": 1002, "type": "record", "record-types": "ipv6-prefix, psid, fqdn" },
      { "name": "motd", "code": 1003, "type": "string" },
      { "name": "s-name", "code": 3, "space": "sp", "type": "string" },
      { "name": "s-num", "code": 1, "space": "sp", "type": "uint32" },
      { "name": "vi-port", "code": 7, "space": "vendor-339", "type": "uint16" }
    ],
    "option-data": [
      { "name": "params", "data": "ab, c" },
      { "name": "container", "data": "9" },
      { "name": "s-name", "space": "sp", "data": "zz" },
      { "name": "s-num", "space": "sp", "data": "1" },
      { "name": "rec", "data": "2001:db8::/48, 3/4, a.b" },
      { "name": "motd", "data": "hello", "always-send": true },
      { "name": "vendor-opts", "data": "339" },
      { "name": "vi-port", "space": "vendor-339", "data": "5", "always-send": true },
      { "name": "config-file", "space": "vendor-4491", "data": "cm.cfg" }
    ],
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] } ]
  }
}"#
}

/// A Solicit of client `n` with ORO `oro` and `extra` options.
fn solicit(n: u8, oro: &[u16], extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut m = vec![1, 0, 2, n];
    put(&mut m, 1, &duid(n));
    let oro: Vec<u8> = oro.iter().flat_map(|c| c.to_be_bytes()).collect();
    put(&mut m, 6, &oro);
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    for (c, v) in extra {
        put(&mut m, *c, v);
    }
    m
}

/// The options of the client message in the Relay-reply to `client_msg`,
/// raw: (code, payload) in wire order.
fn exchange6(relay: &Relay6, client_msg: &[u8]) -> Option<Vec<(u16, Vec<u8>)>> {
    let mut fw = vec![12, 0];
    fw.extend_from_slice(&"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
    fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 9, client_msg);
    relay.sock.send_to(&fw, relay.server).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = relay.sock.recv_from(&mut buf).ok()?;
    let inner = tlvs(buf.get(34..n)?).into_iter().find(|(c, _)| *c == 9)?.1;
    Some(tlvs(inner.get(4..)?))
}

fn tlvs(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let code = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let Some(v) = b.get(4..4 + len) else { break };
        out.push((code, v.to_vec()));
        b = &b[4 + len..];
    }
    out
}

fn get(opts: &[(u16, Vec<u8>)], code: u16) -> Option<Vec<u8>> {
    opts.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, v)| v.clone())
}

#[test]
fn dhcpv6_custom_options_sub_options_and_vendor_options() {
    let test = "optdef_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(config6());
    let relay = Relay6::new(sock, srv.port);

    let r = exchange6(&relay, &solicit(1, &[17, 1000, 1001, 1002], &[])).expect("ADVERTISE");
    assert_eq!(get(&r, 1000), Some(hex("0002 6162 0001 63")));
    assert_eq!(
        get(&r, 1001),
        Some(hex("09 0001 0004 00000001 0003 0002 7a7a"))
    );
    assert_eq!(
        get(&r, 1002),
        Some(hex("30 20010db80000 04 3000 01 61 01 62 00"))
    );
    // Enterprise 339 and its always-send sub-option (two-octet headers).
    assert_eq!(get(&r, 17), Some(hex("00000153 0007 0002 0005")));
    assert_eq!(get(&r, 1003), Some(b"hello".to_vec()), "always-send");

    // Not requested: none of them but the always-send one.
    let r = exchange6(&relay, &solicit(2, &[23], &[])).expect("ADVERTISE");
    for code in [17, 1000, 1001, 1002] {
        assert_eq!(get(&r, code), None, "option {code}");
    }
    assert!(get(&r, 1003).is_some());

    // The client's own option 17 (vendor 339) brings the vendor's
    // always-send sub-options.
    let r = exchange6(&relay, &solicit(3, &[23], &[(17, vec![0, 0, 1, 0x53])])).expect("ADVERTISE");
    assert_eq!(get(&r, 17), Some(hex("00000153 0007 0002 0005")));

    // A DOCSIS client (vendor 4491) asks for sub-option 33 (config file).
    let r = exchange6(
        &relay,
        &solicit(4, &[23], &[(17, hex("0000118b 0001 0004 0021 001f"))]),
    )
    .expect("ADVERTISE");
    assert_eq!(get(&r, 17), Some(hex("0000118b 0021 0006 636d2e636667")));
}
