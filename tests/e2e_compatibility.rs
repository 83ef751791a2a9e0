//! Kea's `compatibility` flags over the wire: the same exchanges with a
//! server that sets none and one that sets them all, through a loopback
//! relay (DHCPv4) and a Relay-forward on [::1] (DHCPv6).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;

use common::v6::{addr_of, bind_relay, duid, ia_na, put, Relay6, ONE_AT_A_TIME};
use common::*;
use dhcproto::v4::{self, DhcpOption, MessageType};

/// Three subnets: the relay's (`192.0.2.0/24`), one named only by a link
/// selection (`203.0.113.0/24`) and a /23 whose pool ends at
/// `198.51.100.255` (not its broadcast address). Members of `vc` (vendor
/// class 4491 with data `abc`) get boot file `vc.efi`.
fn config4(relay: Ipv4Addr, compat: bool) -> String {
    let compat = if compat {
        r#""compatibility": { "lenient-option-parsing": true, "ignore-dhcp-server-identifier": true,
            "ignore-rai-link-selection": true, "exclude-first-last-24": true },"#
    } else {
        ""
    };
    format!(
        r#"{{ "Dhcp4": {{ {compat}
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "valid-lifetime": 3600,
    "client-classes": [ {{ "name": "vc", "test": "vendor-class[4491].data == 'abc'", "boot-file-name": "vc.efi" }} ],
    "subnet4": [
      {{ "id": 1, "subnet": "192.0.2.0/24", "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.19" }} ],
         "relay": {{ "ip-addresses": ["{relay}"] }} }},
      {{ "id": 2, "subnet": "203.0.113.0/24", "pools": [ {{ "pool": "203.0.113.10 - 203.0.113.19" }} ] }},
      {{ "id": 3, "subnet": "198.51.100.0/23", "pools": [ {{ "pool": "198.51.100.254 - 198.51.100.255" }} ] }}
    ]
}} }}"#
    )
}

/// `msg` encoded with the raw options `extra` (code, length and data)
/// added before the end option.
fn with_raw(msg: &v4::Message, extra: &[u8]) -> Vec<u8> {
    let mut b = encode(msg);
    assert_eq!(b.pop(), Some(255), "end option last");
    b.extend_from_slice(extra);
    b.push(255);
    b
}

/// The reply to `bytes` with the transaction id of `msg`, if any.
fn exchange_raw(relay: &Relay, msg: &v4::Message, bytes: &[u8]) -> Option<v4::Message> {
    relay.send_raw(bytes);
    while let Some(r) = relay.recv() {
        if r.xid() == msg.xid() {
            return Some(r);
        }
    }
    None
}

fn run4(test: &str, compat: bool) {
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra, compat));
    let relay = Relay::new(ra, srv.port);
    let in_subnet = |a: Ipv4Addr, o: [u8; 3]| a.octets()[..3] == o;

    // ignore-dhcp-server-identifier: a REQUEST naming another server is
    // dropped, unless the flag is set.
    let mut c = Client::new(1, ra);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    let other = Ipv4Addr::new(192, 0, 2, 77);
    let ack = relay.exchange(&c.request_selecting(offer.yiaddr(), other));
    if compat {
        let ack = ack.expect("ACK although the server identifier is another's");
        assert_eq!(msg_type(&ack), Some(MessageType::Ack));
        assert_eq!(ack.yiaddr(), offer.yiaddr());
    } else {
        assert!(ack.is_none(), "a REQUEST for another server is dropped");
    }

    // ignore-rai-link-selection: option 82 sub-option 5 names
    // 203.0.113.0; with the flag the relay's subnet is used.
    let mut c = Client::new(2, ra);
    let d = c.discover();
    let offer =
        exchange_raw(&relay, &d, &with_raw(&d, &[82, 6, 5, 4, 203, 0, 113, 0])).expect("OFFER");
    let want = if compat { [192, 0, 2] } else { [203, 0, 113] };
    assert!(in_subnet(offer.yiaddr(), want), "{}", offer.yiaddr());
    // Option 118 still selects with the flag (Kea).
    let mut c = Client::new(3, ra);
    let d = c.discover();
    let offer = exchange_raw(&relay, &d, &with_raw(&d, &[118, 4, 203, 0, 113, 0])).expect("OFFER");
    assert!(
        in_subnet(offer.yiaddr(), [203, 0, 113]),
        "{}",
        offer.yiaddr()
    );

    // exclude-first-last-24: in the /23, .254 is given, .255 only without
    // the flag, or when the client asks for it.
    let sel = [118, 4, 198, 51, 100, 1];
    let mut c = Client::new(4, ra);
    let d = c.discover();
    let offer = exchange_raw(&relay, &d, &with_raw(&d, &sel)).expect("OFFER");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(198, 51, 100, 254));
    let r = c.request_selecting(offer.yiaddr(), server_id(&offer).unwrap());
    let ack = exchange_raw(&relay, &r, &with_raw(&r, &sel)).expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    let mut c = Client::new(5, ra);
    let d = c.discover();
    let offer = exchange_raw(&relay, &d, &with_raw(&d, &sel));
    let last = Ipv4Addr::new(198, 51, 100, 255);
    if compat {
        assert!(offer.is_none(), "x.x.x.255 is not picked: {offer:?}");
    } else {
        assert_eq!(offer.expect("OFFER").yiaddr(), last);
    }
    let mut d = c.discover();
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(last));
    let offer =
        exchange_raw(&relay, &d, &with_raw(&d, &sel)).expect("OFFER of the address asked for");
    assert_eq!(offer.yiaddr(), last);

    // lenient-option-parsing: a V-I Vendor Class (124) whose data claims
    // 10 bytes but has 3 fails to parse (no answer) unless lenient; then
    // the data is the rest, `abc`, and the client is in class `vc`.
    let mut c = Client::new(6, ra);
    let d = c.discover();
    let vivco = [124, 8, 0, 0, 0x11, 0x8b, 10, b'a', b'b', b'c'];
    let offer = exchange_raw(&relay, &d, &with_raw(&d, &vivco));
    if compat {
        let offer = offer.expect("OFFER");
        assert_eq!(raw_file(&offer), "vc.efi");
    } else {
        assert!(offer.is_none(), "a packet that fails to parse is dropped");
    }
    // An empty tuple after a last enterprise number fails either way, as
    // in Kea 2.2 (it wants two bytes after the enterprise number).
    let d = c.discover();
    let vivco = [
        124, 13, 0, 0, 0x11, 0x8b, 3, b'a', b'b', b'c', 0, 0, 0x11, 0x8b, 0,
    ];
    assert!(exchange_raw(&relay, &d, &with_raw(&d, &vivco)).is_none());
    // A whole tuple parses either way.
    let d = c.discover();
    let vivco = [124, 8, 0, 0, 0x11, 0x8b, 3, b'a', b'b', b'c'];
    let offer = exchange_raw(&relay, &d, &with_raw(&d, &vivco)).expect("OFFER");
    assert_eq!(raw_file(&offer), "vc.efi");
}

/// The `file` header field, up to its first NUL.
fn raw_file(m: &v4::Message) -> String {
    let f = m.fname().unwrap_or_default();
    let end = f.iter().position(|&b| b == 0).unwrap_or(f.len());
    String::from_utf8_lossy(&f[..end]).into_owned()
}

#[test]
fn dhcpv4_without_compatibility_flags() {
    run4("compat4_off", false);
}

#[test]
fn dhcpv4_compatibility_flags() {
    run4("compat4_on", true);
}

fn config6(lenient: bool) -> String {
    format!(
        r#"{{ "Dhcp6": {{
    "compatibility": {{ "lenient-option-parsing": {lenient} }},
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "client-classes": [ {{ "name": "vc", "test": "vendor-class[4491].data == 'abc'",
        "option-data": [ {{ "name": "bootfile-url", "data": "http://[2001:db8::1]/vc.efi" }} ] }} ],
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#
    )
}

/// A Solicit of client `n` asking for option 59, with Vendor Class
/// option 16 (enterprise 4491) holding `tuples` as they are.
fn solicit(n: u8, tuples: &[u8]) -> Vec<u8> {
    let mut m = vec![1, 0, 2, n];
    put(&mut m, 1, &duid(n));
    put(&mut m, 6, &[0, 59]);
    let mut vc = 4491u32.to_be_bytes().to_vec();
    vc.extend_from_slice(tuples);
    put(&mut m, 16, &vc);
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    m
}

fn run6(test: &str, lenient: bool) {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(&config6(lenient));
    let relay = Relay6::new(sock, srv.port);
    let bootfile = |m: &dhcproto::v6::Message| opt6(m, 59);
    // The tuple claims 16 bytes and has 3.
    let adv = relay.exchange(&solicit(1, &[0, 16, b'a', b'b', b'c']));
    if lenient {
        let adv = adv.expect("ADVERTISE");
        assert!(addr_of(&adv).is_some());
        assert_eq!(
            bootfile(&adv).as_deref(),
            Some(&b"http://[2001:db8::1]/vc.efi"[..])
        );
    } else {
        assert!(adv.is_none(), "a packet that fails to parse is dropped");
    }
    // A length field cut in two fails either way (Kea).
    assert!(relay
        .exchange(&solicit(2, &[0, 3, b'a', b'b', b'c', 0]))
        .is_none());
    // A whole tuple parses either way.
    let adv = relay
        .exchange(&solicit(3, &[0, 3, b'a', b'b', b'c']))
        .expect("ADVERTISE");
    assert_eq!(
        bootfile(&adv).as_deref(),
        Some(&b"http://[2001:db8::1]/vc.efi"[..])
    );
}

/// Option `code` of a client message, as encoded.
fn opt6(m: &dhcproto::v6::Message, code: u16) -> Option<Vec<u8>> {
    use dhcproto::Encodable;
    let mut buf = Vec::new();
    m.encode(&mut dhcproto::Encoder::new(&mut buf)).unwrap();
    let mut i = 4;
    while i + 4 <= buf.len() {
        let c = u16::from_be_bytes([buf[i], buf[i + 1]]);
        let l = usize::from(u16::from_be_bytes([buf[i + 2], buf[i + 3]]));
        if c == code {
            return Some(buf[i + 4..i + 4 + l].to_vec());
        }
        i += 4 + l;
    }
    None
}

#[test]
fn dhcpv6_without_lenient_option_parsing() {
    run6("compat6_off", false);
}

#[test]
fn dhcpv6_lenient_option_parsing() {
    run6("compat6_on", true);
}
