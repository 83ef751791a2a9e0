//! Kea's `all-options.json` examples (issue 17): every standard option of
//! each family, custom definitions, custom spaces and encapsulation,
//! served from the same file by ruru and by ISC Kea 2.2 (`kea-dhcp4`,
//! `kea-dhcp6`), both on loopback on ports of their own. A client asks
//! each server for every option (DHCPv4: a parameter request list of
//! every code and a large maximum message size; DHCPv6: an ORO of every
//! code) and the replies must hold the same options with the same bytes,
//! option by option.
//!
//! The examples are ISC's files and are not copied into ruru's tree: set
//! `RURU_KEA_EXAMPLES` to the `doc/examples` directory of a Kea source
//! tree, or install Debian's kea-doc (its `/usr/share/doc/kea/examples`
//! is the default). Without them, or without Kea's daemons, the tests
//! print SKIP (and fail under `RURU_REQUIRE_ALL=1`).
//!
//! Two more tests configure, in both families, the options the server
//! also derives itself (server identifier, message type, lease times,
//! client identifier, IAs, status, ...) and compare the replies the same
//! way.
//!
//! Kea 2.2 crashes when a client asks for the configured DHCPv6
//! `lq-query` (44) or `client-data` (45) of this file (their definitions
//! encapsulate space `dhcp6` and packing recurses): Kea is not asked for
//! them; ruru is, and must answer with their payload alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use common::kea::Kea;
use common::v6::*;
use common::*;

/// Kea's example `name` (`kea4/all-options.json`), or SKIP.
fn example(name: &str, test: &str) -> Option<String> {
    let dir = std::env::var_os("RURU_KEA_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/doc/kea/examples"));
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) => {
            skip(
                test,
                &format!(
                    "Kea's example {} not readable ({e}): install kea-doc or set RURU_KEA_EXAMPLES",
                    path.display()
                ),
            );
            None
        }
    }
}

/// The example with what both servers need to answer on loopback,
/// inserted as text (the file keeps its comments): interfaces, a
/// non-persistent memfile, loggers to stdout (Kea's start is seen there),
/// and `subnet_extra` after the subnet's `"subnet"` entry.
fn adapt(text: &str, section: &str, head: &str, subnet: &str, subnet_extra: &str) -> String {
    let open = format!("\"{section}\": {{");
    assert!(text.contains(&open), "no {open} in the example");
    let t = text.replacen(&open, &format!("{open}\n{head}"), 1);
    let at = format!("\"subnet\": \"{subnet}\"");
    assert!(t.contains(&at), "no {at} in the example");
    t.replacen(&at, &format!("{at}, {subnet_extra}"), 1)
}

/// The options of a DHCPv4 message's option area (no overload: the
/// client allows a large message), by code; a code twice is a failure.
fn options4(msg: &[u8]) -> BTreeMap<u8, Vec<u8>> {
    assert!(msg.len() >= 240, "short reply");
    let mut out = BTreeMap::new();
    let mut b = &msg[240..];
    while let Some((&code, rest)) = b.split_first() {
        match code {
            0 => b = rest,
            255 => break,
            _ => {
                let len = usize::from(*rest.first().expect("option length"));
                let v = rest.get(1..1 + len).expect("option data").to_vec();
                assert!(
                    out.insert(code, v).is_none(),
                    "option {code} twice in a reply"
                );
                b = &rest[1 + len..];
            }
        }
    }
    out
}

/// A DHCPv4 query of `msg_type` from client `mac` relayed by `relay`, with
/// a parameter request list of every code and a maximum message size of
/// 8192 octets, plus `extra` options.
fn query4(
    msg_type: u8,
    xid: u32,
    mac: [u8; 6],
    relay: Ipv4Addr,
    extra: &[(u8, Vec<u8>)],
) -> Vec<u8> {
    let mut m = bootrequest(xid, mac, 1, relay);
    m.extend([53, 1, msg_type]);
    let prl: Vec<u8> = (1..=254).collect();
    m.extend([55, prl.len() as u8]);
    m.extend(prl);
    m.extend([57, 2, 0x20, 0x00]);
    for (c, v) in extra {
        m.extend([*c, v.len() as u8]);
        m.extend(v);
    }
    m.push(255);
    m
}

/// Asserts that the two replies hold the same options, option by option.
fn same_options<K: Ord + Copy + std::fmt::Debug>(
    what: &str,
    kea: &BTreeMap<K, Vec<u8>>,
    ruru: &BTreeMap<K, Vec<u8>>,
) {
    let mut diffs = Vec::new();
    for (code, k) in kea {
        match ruru.get(code) {
            Some(r) if r == k => {}
            Some(r) => diffs.push(format!("option {code:?}: Kea {} ruru {}", hex(k), hex(r))),
            None => diffs.push(format!("option {code:?}: Kea {} ruru none", hex(k))),
        }
    }
    for (code, r) in ruru {
        if !kea.contains_key(code) {
            diffs.push(format!("option {code:?}: Kea none ruru {}", hex(r)));
        }
    }
    assert!(diffs.is_empty(), "{what}:\n{}", diffs.join("\n"));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn dhcpv4_all_options_as_kea_sends_them() {
    let test = "all_options_v4";
    if !can_bind_67(test) {
        return;
    }
    let Some(text) = example("kea4/all-options.json", test) else {
        return;
    };
    let relay = relay_addr_for(test);
    let config = adapt(
        &text,
        "Dhcp4",
        r#""interfaces-config": { "interfaces": ["lo"], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": false },
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "stdout" } ] } ],"#,
        "192.0.2.0/24",
        &format!(
            r#""id": 1, "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.150" }} ],
        "relay": {{ "ip-addresses": [ "{relay}" ] }}"#
        ),
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &config,
        &args,
        "DHCP4_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config);
    let sock = UdpSocket::bind(SocketAddrV4::new(relay, 67)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();

    let mut offers = Vec::new();
    for (i, port) in [kea.port, srv.port].into_iter().enumerate() {
        let mac = [2, 0, 0, 0, 0x17, i as u8];
        let q = query4(1, 0x1700 + i as u32, mac, relay, &[]);
        let r = exchange4(&sock, port, &q).unwrap_or_else(|| panic!("no OFFER from port {port}"));
        offers.push(r);
    }
    let (kea_offer, ruru_offer) = (options4(&offers[0]), options4(&offers[1]));
    same_options("DHCPOFFER", &kea_offer, &ruru_offer);
    // Not vacuous: the file's options are there, among them those the
    // server also derives: 52 and 57 as configured, 54 the configured
    // server identifier.
    assert!(ruru_offer.len() > 100, "{} options", ruru_offer.len());
    assert_eq!(ruru_offer.get(&54), Some(&vec![192, 0, 2, 39]));
    assert_eq!(ruru_offer.get(&52), Some(&vec![3]));
    assert_eq!(ruru_offer.get(&57), Some(&vec![6, 0]));
    assert_eq!(ruru_offer.get(&53), Some(&vec![2]));

    // The REQUEST names the configured server identifier: both accept it.
    for (i, port) in [kea.port, srv.port].into_iter().enumerate() {
        let mac = [2, 0, 0, 0, 0x17, i as u8];
        let yiaddr = offers[i][16..20].to_vec();
        let q = query4(
            3,
            0x1710 + i as u32,
            mac,
            relay,
            &[(50, yiaddr), (54, vec![192, 0, 2, 39])],
        );
        let r = exchange4(&sock, port, &q).unwrap_or_else(|| panic!("no ACK from port {port}"));
        offers[i] = r;
    }
    let (kea_ack, ruru_ack) = (options4(&offers[0]), options4(&offers[1]));
    assert_eq!(kea_ack.get(&53), Some(&vec![5]));
    same_options("DHCPACK", &kea_ack, &ruru_ack);
    drop(kea);
}

/// A Relay-forward from link 2001:db8:d0c5:15::1 (the example's subnet)
/// around `msg`, sent to `port`; the options of the client message in the
/// Relay-reply, by code (a code twice is a failure).
fn exchange6(sock: &UdpSocket, port: u16, msg: &[u8]) -> Option<BTreeMap<u16, Vec<u8>>> {
    let mut fw = vec![12, 0];
    fw.extend("2001:db8:d0c5:15::1".parse::<Ipv6Addr>().unwrap().octets());
    fw.extend("fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 9, msg);
    sock.send_to(&fw, SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0))
        .unwrap();
    let mut buf = [0u8; 65536];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    let inner = tlvs(buf.get(34..n)?).into_iter().find(|(c, _)| *c == 9)?.1;
    let mut out = BTreeMap::new();
    for (c, v) in tlvs(inner.get(4..)?) {
        assert!(out.insert(c, v).is_none(), "option {c} twice in a reply");
    }
    Some(out)
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

/// A Solicit of client `n` with ORO `oro`, an IA_NA and an IA_PD.
fn solicit(n: u8, oro: &[u16]) -> Vec<u8> {
    let mut m = vec![1, 0, 0x17, n];
    put(&mut m, 1, &duid(n));
    let oro: Vec<u8> = oro.iter().flat_map(|c| c.to_be_bytes()).collect();
    put(&mut m, 6, &oro);
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    let (c, v) = ia_pd(2, None);
    put(&mut m, c, &v);
    m
}

#[test]
fn dhcpv6_all_options_as_kea_sends_them() {
    let test = "all_options_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(text) = example("kea6/all-options.json", test) else {
        return;
    };
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let config = adapt(
        &text,
        "Dhcp6",
        r#""interfaces-config": { "interfaces": ["lo/::1"] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false },
  "loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ { "output": "stdout" } ] } ],"#,
        "2001:db8:d0c5:15::/64",
        r#""id": 1,
        "pools": [ { "pool": "2001:db8:d0c5:15::100 - 2001:db8:d0c5:15::1ff" } ],
        "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ]"#,
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        &config,
        &args,
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config);

    // Every code but the message plumbing and 44 / 45 (see above), and
    // the file's custom options.
    let oro: Vec<u16> = (1..=150)
        .filter(|c| ![1, 2, 3, 4, 5, 6, 8, 9, 25, 26, 44, 45].contains(c))
        .chain([65432, 12321])
        .collect();
    let kea_adv = exchange6(&sock, kea.port, &solicit(1, &oro)).expect("Advertise from Kea");
    let ruru_adv = exchange6(&sock, srv.port, &solicit(1, &oro)).expect("Advertise from ruru");
    same_options("Advertise", &kea_adv, &ruru_adv);
    // Not vacuous; options the server also derives, as configured:
    // reconf-accept, client-fqdn (the client sent none), pd-exclude at
    // the top level, client-linklayer-addr.
    assert!(ruru_adv.len() > 50, "{} options", ruru_adv.len());
    assert_eq!(ruru_adv.get(&20), Some(&Vec::new()));
    assert_eq!(
        ruru_adv.get(&39).map(|v| hex(v)).as_deref(),
        Some("e006636c69656e74076578616d706c65036f726700")
    );
    assert_eq!(
        ruru_adv.get(&67).map(|v| hex(v)).as_deref(),
        Some("4020010db800010001")
    );
    assert!(ruru_adv.contains_key(&79));
    // The extra fourth values of geoconf-civic and nii are ignored.
    assert_eq!(ruru_adv.get(&36), Some(&unhex("00 5553 159d")));
    assert_eq!(ruru_adv.get(&62), Some(&unhex("01 02 0b")));

    // lq-query and client-data: their payload alone (Kea is not asked).
    let r = exchange6(&sock, srv.port, &solicit(2, &[44, 45])).expect("Advertise from ruru");
    assert_eq!(
        r.get(&44),
        Some(&unhex("01 20010db8000000000000000000000017"))
    );
    assert_eq!(r.get(&45), Some(&Vec::new()));
    drop(kea);
}

/// DHCPv4 options the server also derives, configured, asked for by a
/// client that sends its own client identifier: Kea's and ruru's replies
/// hold the same options (the server's message type, lease time and
/// echoed client identifier win; the configured server identifier is
/// used; the others are sent as configured).
#[test]
fn dhcpv4_configured_server_options_as_kea() {
    let test = "derived_v4";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let config = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ {{ "output": "stdout" }} ] }} ],
  "option-data": [
    {{ "name": "dhcp-requested-address", "data": "192.0.2.200" }},
    {{ "name": "dhcp-lease-time", "data": "1234" }},
    {{ "name": "dhcp-message-type", "data": "7" }},
    {{ "name": "dhcp-parameter-request-list", "data": "1, 2, 3" }},
    {{ "name": "dhcp-renewal-time", "data": "100" }},
    {{ "name": "dhcp-rebinding-time", "data": "200" }},
    {{ "name": "dhcp-client-identifier", "data": "01020304" }},
    {{ "name": "dhcp-agent-options" }},
    {{ "name": "dhcp-server-identifier", "data": "192.0.2.39" }},
    {{ "name": "dhcp-option-overload", "data": "3" }},
    {{ "name": "dhcp-max-message-size", "data": "1536" }},
    {{ "name": "subnet-mask", "data": "255.0.0.0" }}
  ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.150" }} ],
    "relay": {{ "ip-addresses": [ "{relay}" ] }} }} ]
}} }}"#
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &config,
        &args,
        "DHCP4_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config);
    let sock = UdpSocket::bind(SocketAddrV4::new(relay, 67)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut replies = Vec::new();
    for (i, port) in [kea.port, srv.port].into_iter().enumerate() {
        let mac = [2, 0, 0, 0, 0x18, i as u8];
        let cid = vec![1, 2, 0, 0, 0, 0x18, i as u8];
        let q = query4(1, 0x1800 + i as u32, mac, relay, &[(61, cid.clone())]);
        let offer = exchange4(&sock, port, &q).expect("OFFER");
        let q = query4(
            3,
            0x1810 + i as u32,
            mac,
            relay,
            &[
                (61, cid),
                (50, offer[16..20].to_vec()),
                (54, vec![192, 0, 2, 39]),
            ],
        );
        let ack = exchange4(&sock, port, &q).expect("ACK");
        replies.push((options4(&offer), options4(&ack)));
    }
    // The client identifiers differ by client: compare the rest.
    let strip = |m: &BTreeMap<u8, Vec<u8>>| {
        let mut m = m.clone();
        assert_eq!(m.remove(&61).map(|v| v.len()), Some(7), "echoed 61");
        m
    };
    same_options("OFFER", &strip(&replies[0].0), &strip(&replies[1].0));
    same_options("ACK", &strip(&replies[0].1), &strip(&replies[1].1));
    let ack = &replies[1].1;
    assert_eq!(ack.get(&53), Some(&vec![5]));
    assert_eq!(ack.get(&54), Some(&vec![192, 0, 2, 39]));
    assert_eq!(ack.get(&51), Some(&vec![0, 0, 0x1c, 0x20]));
    assert_eq!(ack.get(&58), Some(&vec![0, 0, 0, 100]));
    assert_eq!(ack.get(&1), Some(&vec![255, 255, 255, 0]));
    assert_eq!(ack.get(&82), Some(&Vec::new()));
    drop(kea);
}

/// DHCPv6 options the server also derives (identifiers, IAs, status,
/// rapid commit, ...), configured and asked for: Kea's and ruru's
/// Advertises hold the same options. (`iaaddr` and `iaprefix` are left
/// out: Kea 2.2 crashes when asked for them.)
#[test]
fn dhcpv6_configured_server_options_as_kea() {
    let test = "derived_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let config = r#"{ "Dhcp6": {
  "interfaces-config": { "interfaces": ["lo/::1"] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false },
  "loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ { "output": "stdout" } ] } ],
  "option-data": [
    { "name": "clientid", "data": "0102" },
    { "name": "serverid", "data": "0304" },
    { "name": "ia-na", "data": "1, 2, 3" },
    { "name": "ia-ta", "data": "9" },
    { "name": "oro", "data": "23, 24" },
    { "name": "elapsed-time", "data": "77" },
    { "name": "relay-msg", "data": "0a0b" },
    { "name": "auth", "data": "0a0b" },
    { "name": "status-code", "data": "1, hello" },
    { "name": "rapid-commit" },
    { "name": "interface-id", "data": "0c0d" },
    { "name": "reconf-msg", "data": "5" },
    { "name": "ia-pd", "data": "1, 2, 3" },
    { "name": "client-linklayer-addr", "data": "0001020304050607" },
    { "name": "client-fqdn", "data": "4, a.example" }
  ],
  "subnet6": [ { "id": 1, "subnet": "2001:db8:d0c5:15::/64",
    "pools": [ { "pool": "2001:db8:d0c5:15::100 - 2001:db8:d0c5:15::1ff" } ],
    "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ] } ]
} }"#;
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        config,
        &args,
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(config);
    let oro = [1, 2, 3, 4, 6, 8, 9, 11, 13, 14, 18, 19, 25, 39, 79];
    let k = exchange6(&sock, kea.port, &solicit(3, &oro)).expect("Advertise from Kea");
    let r = exchange6(&sock, srv.port, &solicit(3, &oro)).expect("Advertise from ruru");
    same_options("Advertise", &k, &r);
    // The server's own identifiers and IAs; the configured rest.
    assert_eq!(r.get(&1), Some(&duid(3)));
    assert_eq!(
        r.get(&2).map(|v| hex(v)).as_deref(),
        Some("000300010a0b0c0d0e0f")
    );
    assert_eq!(r.get(&4), Some(&vec![0, 0, 0, 9]));
    assert_eq!(r.get(&14), Some(&Vec::new()));
    drop(kea);
}
