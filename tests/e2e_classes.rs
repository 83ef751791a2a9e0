//! End-to-end tests of client classification, over the wire with the real
//! binary: Kea's `client-classes` with their expressions decide which pools
//! a client may use, which options and boot fields it gets, and whether
//! it is answered at all (DROP), in both families.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::v6::*;
use common::*;
use dhcproto::v4::{self, DhcpOption, OptionCode};
use dhcproto::v6;
use serde_json::json;

/// DHCPv4 classes: PXE (vendor class prefix) with boot fields and option
/// 66; phones on their own pool; known clients (a reservation without an
/// address) on theirs; a template class spawning `SPAWN_vendor_<prefix>`;
/// a relay agent's remote-id; `member()`; a class only evaluated where the
/// subnet requires it; DROP.
fn config4(relay: Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "client-classes": [
      {{ "name": "DROP", "test": "option[vendor-class-identifier].text == 'evil'" }},
      {{ "name": "pxe", "test": "substring(option[60].hex,0,9) == 'PXEClient'",
         "next-server": "192.0.2.5", "boot-file-name": "pxelinux.0",
         "option-data": [ {{ "name": "tftp-server-name", "data": "tftp.example" }} ] }},
      {{ "name": "phones", "test": "substring(option[60].hex,0,4) == 'VoIP'" }},
      {{ "name": "vendor", "template-test": "substring(option[60].hex,0,3)" }},
      {{ "name": "pxe-or-phone", "test": "member('pxe') or member('phones')",
         "option-data": [ {{ "name": "domain-name-servers", "data": "192.0.2.53" }} ] }},
      {{ "name": "rack7", "test": "relay4[2].hex == 'rack7'",
         "option-data": [ {{ "name": "domain-name", "data": "rack7.example" }} ] }},
      {{ "name": "vip", "only-if-required": true, "test": "option[60].hex == 'VIP'",
         "option-data": [ {{ "name": "domain-name", "data": "vip.example" }} ] }},
      {{ "name": "unasked", "only-if-required": true, "test": "option[60].hex == 'VIP'",
         "option-data": [ {{ "name": "nis-domain", "data": "nope" }} ] }},
      {{ "name": "plain", "test": "member('UNKNOWN') and not member('phones') and not member('SPAWN_vendor_ABC')" }}
    ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "require-client-classes": ["vip"],
      "pools": [
        {{ "pool": "192.0.2.10 - 192.0.2.11", "client-class": "phones" }},
        {{ "pool": "192.0.2.50 - 192.0.2.59", "client-class": "KNOWN" }},
        {{ "pool": "192.0.2.70 - 192.0.2.79", "client-class": "SPAWN_vendor_ABC" }},
        {{ "pool": "192.0.2.100 - 192.0.2.102", "client-class": "plain" }}
      ],
      "reservations": [ {{ "hw-address": "02:00:5e:10:00:40" }} ] }} ]
  }}
}}"#
    )
}

fn in_range(a: Ipv4Addr, lo: u8, hi: u8) -> bool {
    a.octets()[..3] == [192, 0, 2] && (lo..=hi).contains(&a.octets()[3])
}

/// A DISCOVER of client `n` with vendor class `vc` (option 60) asking for
/// options 6, 15, 40 and 66.
fn discover(n: u8, relay: Ipv4Addr, vc: Option<&str>) -> v4::Message {
    let mut c = Client::new(n, relay);
    let mut m = c.discover();
    if let Some(vc) = vc {
        m.opts_mut()
            .insert(DhcpOption::ClassIdentifier(vc.as_bytes().to_vec()));
    }
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::DomainNameServer,
        OptionCode::DomainName,
        OptionCode::NisDomain,
        OptionCode::TFTPServerName,
    ]));
    m
}

#[test]
fn dhcpv4_classes_choose_pools_options_and_boot_fields() {
    let test = "classes_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let relay = Relay::new(ra, srv.port);

    // PXE: boot fields, option 66, and member('pxe') gives the DNS server.
    let offer = relay
        .exchange(&discover(1, ra, Some("PXEClient:Arch:00000:UNDI:002001")))
        .expect("OFFER to the PXE client");
    assert_eq!(offer.siaddr(), Ipv4Addr::new(192, 0, 2, 5));
    let file = offer.fname().map(|f| {
        String::from_utf8_lossy(f)
            .trim_end_matches('\0')
            .to_string()
    });
    assert_eq!(file.as_deref(), Some("pxelinux.0"), "{offer:?}");
    assert_eq!(option_text(&offer, 66).as_deref(), Some("tftp.example"));
    assert_eq!(raw_option(&encode(&offer), 6), Some(vec![192, 0, 2, 53]));

    // Phones get the phone pool; known clients theirs; the template class
    // its spawned class's pool.
    let phone = relay
        .exchange(&discover(2, ra, Some("VoIP-phone")))
        .unwrap();
    assert!(in_range(phone.yiaddr(), 10, 11), "{}", phone.yiaddr());
    assert_eq!(raw_option(&encode(&phone), 6), Some(vec![192, 0, 2, 53]));
    let known = relay.exchange(&discover(0x40, ra, None)).unwrap();
    assert!(in_range(known.yiaddr(), 50, 59), "{}", known.yiaddr());
    let abc = relay
        .exchange(&discover(3, ra, Some("ABC-printer")))
        .unwrap();
    assert!(in_range(abc.yiaddr(), 70, 79), "{}", abc.yiaddr());

    // The required class applies (its options), the one no subnet
    // requires does not.
    let vip = relay
        .exchange(&discover(4, ra, Some("VIP")))
        .expect("OFFER");
    assert_eq!(option_text(&vip, 15).as_deref(), Some("vip.example"));
    assert_eq!(
        option_text(&vip, 40),
        None,
        "an only-if-required class nobody requires"
    );

    // The plain pool has three addresses; a fourth plain client gets
    // nothing, although the phone pool still has a free address.
    let mut plain = Vec::new();
    for n in 10..13 {
        let mut c = Client::new(n, ra);
        let a = c.dora(&relay);
        assert!(in_range(a, 100, 102), "{a}");
        plain.push(a);
    }
    assert!(relay.exchange(&discover(13, ra, None)).is_none());

    // A relay agent's remote-id (option 82 sub-option 2).
    let mut bytes = encode(&discover(5, ra, Some("ABC-cam")));
    let end = bytes.iter().rposition(|b| *b == 255).unwrap();
    bytes.splice(end..end, [82, 7, 2, 5, b'r', b'a', b'c', b'k', b'7']);
    relay.send_raw(&bytes);
    let r = relay.recv().expect("OFFER with the remote-id's class");
    assert_eq!(option_text(&r, 15).as_deref(), Some("rack7.example"));

    // DROP: no answer, counted.
    assert!(relay.exchange(&discover(6, ra, Some("evil"))).is_none());
    let stats = unix_cmd(
        &srv.path("ctl.sock"),
        &json!({"command": "statistic-get", "arguments": {"name": "pkt4-receive-drop"}}),
    );
    assert!(
        stats["arguments"]["pkt4-receive-drop"][0][0].as_i64() >= Some(1),
        "{stats}"
    );
}

/// DHCPv6 classes as in Kea's `iPXE.json`: a class on the user class
/// (option 15) with a boot file URL and its own pool; a class on the
/// relay's interface-id (relay6); DROP.
fn config6() -> &'static str {
    r#"{
  "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "persist": false },
    "client-classes": [
      { "name": "DROP", "test": "substring(option[15].hex,2,4) == 'evil'" },
      { "name": "ipxe", "test": "substring(option[15].hex,2,4) == 'iPXE'",
        "option-data": [ { "name": "bootfile-url", "data": "http://[2001:db8::1]/boot.ipxe" } ] },
      { "name": "not-ipxe", "test": "not member('ipxe')" },
      { "name": "port1", "test": "relay6[0].option[18].hex == 'port-1'",
        "option-data": [ { "name": "domain-search", "data": "port1.example" } ] }
    ],
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [
        { "pool": "2001:db8:1::100 - 2001:db8:1::1ff", "client-class": "not-ipxe" },
        { "pool": "2001:db8:1::e00 - 2001:db8:1::eff", "client-class": "ipxe" }
      ] } ]
  }
}"#
}

/// A Solicit of client `n` asking for options 24 and 59, with user class
/// `uc` (option 15) when given.
fn solicit(n: u8, uc: Option<&str>) -> Vec<u8> {
    let mut m = vec![1, 0, 1, n];
    put(&mut m, 1, &duid(n));
    put(&mut m, 6, &[0, 24, 0, 59]);
    if let Some(uc) = uc {
        let mut v = (uc.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(uc.as_bytes());
        put(&mut m, 15, &v);
    }
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    m
}

fn opt6(m: &v6::Message, code: u16) -> Option<Vec<u8>> {
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
fn dhcpv6_classes_choose_pools_and_options() {
    let test = "classes_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(config6());
    let relay = Relay6::new(sock, srv.port);
    let in_pool = |a: Ipv6Addr, lo: u16, hi: u16| {
        let s = a.segments();
        s[..7] == [0x2001, 0xdb8, 1, 0, 0, 0, 0] && (lo..=hi).contains(&s[7])
    };

    let adv = relay
        .exchange(&solicit(1, Some("iPXE")))
        .expect("ADVERTISE");
    let a = addr_of(&adv).unwrap();
    assert!(in_pool(a, 0xe00, 0xeff), "{a}");
    assert_eq!(
        opt6(&adv, 59).as_deref(),
        Some(&b"http://[2001:db8::1]/boot.ipxe"[..])
    );
    assert!(opt6(&adv, 24).is_some(), "relay6 interface-id class");

    let adv = relay.exchange(&solicit(2, None)).expect("ADVERTISE");
    let a = addr_of(&adv).unwrap();
    assert!(in_pool(a, 0x100, 0x1ff), "{a}");
    assert_eq!(opt6(&adv, 59), None);
    assert!(opt6(&adv, 24).is_some());

    assert!(relay.exchange(&solicit(3, Some("evil"))).is_none(), "DROP");
}

/// Kea's class_cmds, built in: `class-list`/`class-get` show the classes,
/// `class-add` adds one (validated: a duplicate or a bad expression is
/// refused), `class-update` changes one and the change acts on the next
/// packet, `class-del` removes one, and a class in use cannot be deleted.
#[test]
fn class_commands_change_classes_at_run_time() {
    let test = "classes_cmds";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let relay = Relay::new(ra, srv.port);
    let ctl = srv.path("ctl.sock");
    let cmd = |c: serde_json::Value| unix_cmd(&ctl, &c);
    let printer = |n: u8| {
        relay
            .exchange(&discover(n, ra, Some("ABC-printer")))
            .is_some()
    };
    assert!(printer(1));

    let list = cmd(json!({"command": "class-list"}));
    assert_eq!(list["result"], 0, "{list}");
    assert!(list["arguments"]["client-classes"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "pxe"})));
    let a = cmd(
        json!({"command": "class-add", "arguments": {"client-classes": [
        {"name": "no-printers", "test": "substring(option[60].hex,0,3) == 'ABC'"}]}}),
    );
    assert_eq!(a["result"], 0, "{a}");
    let a = cmd(
        json!({"command": "class-add", "arguments": {"client-classes": [
        {"name": "no-printers", "test": "'a' == 'a'"}]}}),
    );
    assert_eq!(a["result"], 1, "already exists: {a}");
    // An invalid expression is refused, with its position.
    let a = cmd(
        json!({"command": "class-update", "arguments": {"client-classes": [
        {"name": "no-printers", "test": "option[60].hex =="}]}}),
    );
    assert_eq!(a["result"], 1, "{a}");
    let got = cmd(json!({"command": "class-get", "arguments": {"name": "no-printers"}}));
    assert_eq!(
        got["arguments"]["client-classes"][0]["test"], "substring(option[60].hex,0,3) == 'ABC'",
        "{got}"
    );

    // A class may only name classes defined before it.
    let a = cmd(
        json!({"command": "class-update", "arguments": {"client-classes": [
        {"name": "DROP", "test": "option[vendor-class-identifier].text == 'evil' or member('no-printers')"}]}}),
    );
    assert_eq!(a["result"], 1, "no-printers is defined after DROP: {a}");
    let a = cmd(json!({"command": "class-del", "arguments": {"name": "phones"}}));
    assert_eq!(a["result"], 1, "phones is used by a class and a pool: {a}");

    // The template now spawns SPAWN_vendor_AB for ABC printers: the pool
    // of SPAWN_vendor_ABC is closed to them, the plain pool open.
    let a = cmd(
        json!({"command": "class-update", "arguments": {"client-classes": [
        {"name": "vendor", "template-test": "substring(option[60].hex,0,2)"}]}}),
    );
    assert_eq!(a["result"], 0, "{a}");
    let offer = relay
        .exchange(&discover(2, ra, Some("ABC-printer")))
        .expect("OFFER");
    assert!(in_range(offer.yiaddr(), 100, 102), "{}", offer.yiaddr());

    let a = cmd(json!({"command": "class-del", "arguments": {"name": "no-printers"}}));
    assert_eq!(a["result"], 0, "{a}");
    let got = cmd(json!({"command": "class-get", "arguments": {"name": "no-printers"}}));
    assert_eq!(got["result"], 3, "{got}");
}
