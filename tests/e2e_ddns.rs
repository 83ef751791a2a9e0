//! End-to-end tests of dynamic DNS, DHCP side, over the wire with the
//! real binary: clients' FQDN (option 81) and Host Name (option 12)
//! options answered as Kea answers them, the lease file recording the
//! name and update flags, and Kea's name-change requests (JSON over UDP)
//! arriving at the `dhcp-ddns` server address for grants and releases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::time::Duration;

use common::*;
use dhcproto::v4::{self, DhcpOption, MessageType, OptionCode, UnknownOption};
use ruru_ddns::{ChangeType, Dhcid, Ncr};

/// One relayed subnet, DDNS on, requests to `ncr_port` on loopback.
fn config(relay: Ipv4Addr, ncr_port: u16) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "valid-lifetime": 3600,
    "dhcp-ddns": {{ "enable-updates": true, "server-ip": "127.0.0.1", "server-port": {ncr_port} }},
    "ddns-qualifying-suffix": "example.org",
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ] }} ]
  }}
}}"#
    )
}

/// The next name-change request at `sock`.
fn next_ncr(sock: &UdpSocket) -> Ncr {
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).expect("a name-change request");
    Ncr::from_wire(&buf[..n]).expect("Kea's NCR format")
}

fn with_option(mut m: v4::Message, code: u8, data: &[u8]) -> v4::Message {
    m.opts_mut().insert(DhcpOption::Unknown(UnknownOption::new(
        OptionCode::from(code),
        data.to_vec(),
    )));
    m
}

/// DISCOVER and REQUEST of `c` through `relay`, with option `name` (code,
/// data) in both when given: the ACKed address and the server identifier.
fn dora_named(relay: &Relay, c: &mut Client, name: Option<(u8, &[u8])>) -> (Ipv4Addr, Ipv4Addr) {
    let add = |m: v4::Message| match name {
        Some((code, data)) => with_option(m, code, data),
        None => m,
    };
    let offer = relay.exchange(&add(c.discover())).expect("OFFER");
    let sid = server_id(&offer).expect("server identifier");
    let ack = relay
        .exchange(&add(c.request_selecting(offer.yiaddr(), sid)))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    (ack.yiaddr(), sid)
}

#[test]
fn dhcpv4_client_names_become_name_change_requests() {
    let test = "ddns_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let d2 = UdpSocket::bind("127.0.0.1:0").unwrap();
    d2.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let srv = Server::start(&config(ra, d2.local_addr().unwrap().port()));
    let relay = Relay::new(ra, srv.port);

    // Option 81, S=1 E=1, the partial name "Laptop".
    let fqdn = [&[0x05u8, 0, 0][..], b"\x06Laptop"].concat();
    let mut c = Client::new(0x31, ra);
    let offer = relay
        .exchange(&with_option(c.discover(), 81, &fqdn))
        .expect("OFFER");
    let full = [&[0x05u8, 0, 0][..], b"\x06laptop\x07example\x03org\x00"].concat();
    assert_eq!(raw_option(&encode(&offer), 81), Some(full.clone()));
    let sid = server_id(&offer).unwrap();
    let ack = relay
        .exchange(&with_option(
            c.request_selecting(offer.yiaddr(), sid),
            81,
            &fqdn,
        ))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(raw_option(&encode(&ack), 81), Some(full));
    let add = next_ncr(&d2);
    assert_eq!(add.change, ChangeType::Add);
    assert!(add.forward && add.reverse);
    assert_eq!(add.fqdn, "laptop.example.org.");
    assert_eq!(add.ip, IpAddr::V4(ack.yiaddr()));
    assert_eq!(add.lease_length, 1200, "a third of the lifetime (RFC 4702)");
    assert_eq!(
        Some(add.dhcid.clone()),
        Dhcid::from_hwaddr(1, &c.mac, "laptop.example.org.")
    );
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), ack.yiaddr());
    let last = rows.last().expect("the lease in the file");
    assert_eq!(&last[6..9], ["1", "1", "laptop.example.org."], "{last:?}");

    // Kea's lease4-resend-ddns asks for the same add again.
    let ctl = srv.path("ctl.sock");
    let r = unix_cmd(
        &ctl,
        &serde_json::json!({"command": "lease4-resend-ddns",
                            "arguments": {"ip-address": ack.yiaddr().to_string()}}),
    );
    assert_eq!(r["result"], 0, "{r}");
    assert_eq!(
        r["text"],
        format!(
            "NCR generated for: {}, hostname: laptop.example.org.",
            ack.yiaddr()
        )
    );
    assert_eq!(next_ncr(&d2), add);
    let r = unix_cmd(
        &ctl,
        &serde_json::json!({"command": "lease4-resend-ddns",
                            "arguments": {"ip-address": "192.0.2.99"}}),
    );
    assert_eq!(r["result"], 3, "{r}");

    // Option 12 only: answered qualified, no option 81; both updates.
    let mut h = Client::new(0x32, ra).with_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 0x32]);
    let discover = h.discover();
    let mut named = discover.clone();
    named.opts_mut().insert(DhcpOption::Hostname("PC_2".into()));
    let offer = relay.exchange(&named).expect("OFFER");
    assert_eq!(option_text(&offer, 12).as_deref(), Some("pc2.example.org"));
    assert_eq!(raw_option(&encode(&offer), 81), None);
    let mut req = h.request_selecting(offer.yiaddr(), sid);
    req.opts_mut().insert(DhcpOption::Hostname("PC_2".into()));
    let ack2 = relay.exchange(&req).expect("ACK");
    assert_eq!(option_text(&ack2, 12).as_deref(), Some("pc2.example.org"));
    let add2 = next_ncr(&d2);
    assert_eq!(
        (add2.change, add2.fqdn.as_str(), add2.forward, add2.reverse),
        (ChangeType::Add, "pc2.example.org.", true, true)
    );
    assert_eq!(
        Some(add2.dhcid),
        Dhcid::from_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 0x32], "pc2.example.org"),
        "the client identifier makes the DHCID when there is one"
    );

    // Release: the first client's names go, with the same DHCID.
    relay.send(&c.release(ack.yiaddr(), sid));
    let rm = next_ncr(&d2);
    assert_eq!(rm.change, ChangeType::Remove);
    assert_eq!(rm.fqdn, "laptop.example.org.");
    assert_eq!(rm.dhcid, add.dhcid);
    drop(srv);
}

/// DHCPv6: option 39 (RFC 4704) answered with the qualified name and
/// flags in the Advertise and Reply; one add request for the address,
/// its DHCID from the client's DUID; a Release removes the names.
#[test]
fn dhcpv6_client_fqdn_becomes_name_change_requests() {
    use common::v6::*;
    let test = "ddns_v6";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let d2 = UdpSocket::bind("127.0.0.1:0").unwrap();
    d2.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let srv = Server::start(&format!(
        r#"{{
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "dhcp-ddns": {{ "enable-updates": true, "server-ip": "127.0.0.1", "server-port": {port} }},
    "ddns-qualifying-suffix": "example.org",
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "relay": {{ "ip-addresses": ["2001:db8:1::1"] }},
      "pools": [ {{ "pool": "2001:db8:1::10 - 2001:db8:1::11" }} ] }} ]
  }}
}}"#,
        port = d2.local_addr().unwrap().port()
    ));
    let relay = Relay6::new(sock, srv.port);
    // S=1, partial name "printer".
    let fqdn = (39u16, [&[0x01u8][..], b"\x07printer"].concat());
    let want = [&[0x01u8][..], b"\x07printer\x07example\x03org\x00"].concat();
    let option39 = |m: &dhcproto::v6::Message| {
        m.opts().iter().find_map(|o| match o {
            dhcproto::v6::DhcpOption::Unknown(u) if u16::from(u.code()) == 39 => {
                Some(u.data().to_vec())
            }
            _ => None,
        })
    };
    let adv = relay
        .exchange(&msg(1, 0x41, None, &[ia_na(1, None), fqdn.clone()]))
        .expect("Advertise");
    assert_eq!(option39(&adv), Some(want.clone()));
    let addr = addr_of(&adv).expect("an address");
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg(3, 0x41, Some(&sid), &[ia_na(1, Some(addr)), fqdn]))
        .expect("Reply");
    assert_eq!(option39(&rep), Some(want));
    let add = next_ncr(&d2);
    assert_eq!(
        (
            add.change,
            add.fqdn.as_str(),
            add.ip,
            add.forward,
            add.reverse
        ),
        (
            ChangeType::Add,
            "printer.example.org.",
            IpAddr::V6(addr),
            true,
            true
        )
    );
    assert_eq!(add.lease_length, 4000 / 3);
    assert_eq!(
        Some(add.dhcid.clone()),
        Dhcid::from_duid(&duid(0x41), "printer.example.org.")
    );
    let _ = relay.exchange(&msg(8, 0x41, Some(&sid), &[ia_na(1, Some(addr))]));
    let rm = next_ncr(&d2);
    assert_eq!((rm.change, rm.dhcid), (ChangeType::Remove, add.dhcid));
}

#[path = "../crates/ruru-d2/tests/named/mod.rs"]
mod named;

/// The reverse name of an IPv4 address.
fn rev4(a: Ipv4Addr) -> String {
    ruru_ddns::name::reverse_name(IpAddr::V4(a))
}

/// A private named (on a free port) and the `DhcpDdns` section of an
/// updater of its zones, listening for requests on `d2_port`.
struct Dns {
    named: named::Named,
    d2_port: u16,
    section: String,
}

fn dns_for(named_bin: &std::path::Path, dig: &std::path::Path) -> Dns {
    let named = named::Named::start(named_bin, dig, named::free_port());
    let d2_port = named::free_port();
    let section = named::section_text(&[("127.0.0.1", named.port)], 500, None, "", d2_port);
    Dns {
        named,
        d2_port,
        section,
    }
}

/// The whole chain in one process, against a real BIND: ruru's DHCPv4
/// server sends its requests to ruru's own DNS updater (`DhcpDdns` in
/// the same file), which updates BIND with TSIG: A, PTR and DHCID appear
/// for an option 81 client and an option 12 client; a second client
/// claiming a taken name does not get it; a release removes the records;
/// with BIND down, a burst of exchanges is answered as fast as ever and
/// the updates are applied once BIND is back.
#[test]
fn dhcpv4_clients_get_dns_records_from_the_built_in_updater() {
    let test = "ddns_bind_v4";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let Dns {
        named: mut dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    let cfg = config(ra, d2_port).replace("\n}", &format!(",\n  \"DhcpDdns\": {section}\n}}"));
    let srv = Server::start(&cfg);
    let relay = Relay::new(ra, srv.port);
    let dora = |c: &mut Client, name: Option<(u8, &[u8])>| dora_named(&relay, c, name).0;
    let settles = |name: &str, rtype: &str, want: &[String]| {
        assert!(
            wait_until(Duration::from_secs(10), || dns.dig(name, rtype) == want),
            "{name} {rtype}: {:?}, expected {want:?}\n{}",
            dns.dig(name, rtype),
            srv.log_text()
        );
    };

    // Option 81 (S=1): A, PTR, DHCID at both.
    let laptop = [&[0x05u8, 0, 0][..], b"\x06laptop"].concat();
    let mut a = Client::new(0x51, ra);
    let addr_a = dora(&mut a, Some((81, &laptop)));
    settles("laptop.example.org", "A", &[addr_a.to_string()]);
    settles(&rev4(addr_a), "PTR", &["laptop.example.org.".to_string()]);
    assert_eq!(dns.dig("laptop.example.org", "DHCID").len(), 1);
    assert_eq!(dns.dig(&rev4(addr_a), "DHCID").len(), 1);

    // Another client claims the name: refused (RFC 4703), the owner's
    // records stay; no PTR for the loser.
    let mut b = Client::new(0x52, ra);
    let addr_b = dora(&mut b, Some((81, &laptop)));
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(dns.dig("laptop.example.org", "A"), [addr_a.to_string()]);
    assert!(dns.dig(&rev4(addr_b), "PTR").is_empty());

    // Option 12: qualified and registered.
    let mut c = Client::new(0x53, ra);
    let addr_c = dora(&mut c, Some((12, b"PC_3")));
    settles("pc3.example.org", "A", &[addr_c.to_string()]);
    settles(&rev4(addr_c), "PTR", &["pc3.example.org.".to_string()]);

    // Release: the owner's records go.
    relay.send(&a.release(addr_a, Ipv4Addr::new(127, 0, 0, 1)));
    settles("laptop.example.org", "A", &[]);
    settles(&rev4(addr_a), "PTR", &[]);
    settles("laptop.example.org", "DHCID", &[]);

    // BIND down: exchanges are not slowed; updates wait and are applied
    // when it is back.
    dns.stop();
    let started = std::time::Instant::now();
    let mut burst = Vec::new();
    for n in 0..8u8 {
        let mut k = Client::new(0x60 + n, ra);
        let name = format!("host{n}");
        burst.push((name.clone(), dora(&mut k, Some((12, name.as_bytes())))));
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "8 DORAs took {took:?} with the DNS server down"
    );
    dns.restart();
    for (name, addr) in &burst {
        let fqdn = format!("{name}.example.org");
        assert!(
            wait_until(Duration::from_secs(30), || dns.dig(&fqdn, "A")
                == [addr.to_string()]),
            "{fqdn} not registered after the DNS server came back\n{}",
            srv.log_text()
        );
    }
}

/// Kea's stdout logger for `name`, as a JSON member.
fn kea_logger(name: &str) -> String {
    format!(
        r#""loggers": [ {{ "name": "{name}", "severity": "INFO", "output_options": [ {{ "output": "stdout" }} ] }} ]"#
    )
}

/// Kea 2.2's `kea-dhcp4` sends its name-change requests to ruru's DNS
/// updater (ruru replacing `kea-dhcp-ddns`): its client's records appear
/// in BIND.
#[test]
fn kea_dhcp4_sends_its_requests_to_rurus_updater() {
    use common::kea::Kea;
    let test = "ddns_kea_dhcp4_to_ruru";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let Dns {
        named: dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    // ruru: its updater, and a DHCPv4 section serving no one here.
    let idle = relay_addr_for("ddns_kea_dhcp4_to_ruru idle");
    let ruru = Server::start(
        &config(idle, named::free_port())
            .replace("\n}", &format!(",\n  \"DhcpDdns\": {section}\n}}")),
    );
    let kea_cfg = format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "valid-lifetime": 3600,
  {logger},
  "dhcp-ddns": {{ "enable-updates": true, "server-ip": "127.0.0.1", "server-port": {d2_port} }},
  "ddns-qualifying-suffix": "example.org",
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", "relay": {{ "ip-addresses": ["{ra}"] }},
                 "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.120" }} ] }} ]
}} }}"#,
        logger = kea_logger("kea-dhcp4")
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &kea_cfg,
        &args,
        "DHCP4_STARTED",
        test,
    ) else {
        return;
    };
    let relay = Relay::new(ra, kea.port);
    let mut c = Client::new(0x71, ra);
    let name = [&[0x05u8, 0, 0][..], b"\x07keahost"].concat();
    let (addr, _) = dora_named(&relay, &mut c, Some((81, &name)));
    let ok = wait_until(Duration::from_secs(10), || {
        dns.dig("keahost.example.org", "A") == [addr.to_string()]
            && dns.dig(&rev4(addr), "PTR") == ["keahost.example.org."]
    });
    assert!(
        ok,
        "Kea's client not in DNS:\n{}\n{}",
        kea.log_text(),
        ruru.log_text()
    );
}

/// ruru's DHCPv4 server sends its name-change requests to Kea 2.2's
/// `kea-dhcp-ddns` (a site keeping its Kea D2): its client's records
/// appear in BIND.
#[test]
fn ruru_sends_its_requests_to_kea_dhcp_ddns() {
    use common::kea::Kea;
    let test = "ddns_ruru_to_kea_d2";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let Dns {
        named: dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    let section = section.replacen('{', &format!("{{ {},", kea_logger("kea-dhcp-ddns")), 1);
    let Some(kea) = Kea::start(
        "kea-dhcp-ddns",
        "kea-dhcp-ddns-server",
        &format!("{{ \"DhcpDdns\": {section} }}"),
        &[],
        "DHCP_DDNS_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config(ra, d2_port));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x72, ra);
    let name = [&[0x05u8, 0, 0][..], b"\x08ruruhost"].concat();
    let (addr, sid) = dora_named(&relay, &mut c, Some((81, &name)));
    let ok = wait_until(Duration::from_secs(10), || {
        dns.dig("ruruhost.example.org", "A") == [addr.to_string()]
            && dns.dig(&rev4(addr), "PTR") == ["ruruhost.example.org."]
            && dns.dig("ruruhost.example.org", "DHCID").len() == 1
    });
    assert!(
        ok,
        "ruru's client not in DNS:\n{}\n{}",
        kea.log_text(),
        srv.log_text()
    );
    // Release: Kea's D2 removes them (the DHCID matches).
    relay.send(&c.release(addr, sid));
    let gone = wait_until(Duration::from_secs(10), || {
        dns.dig("ruruhost.example.org", "A").is_empty() && dns.dig(&rev4(addr), "PTR").is_empty()
    });
    assert!(gone, "not removed:\n{}", kea.log_text());
}

/// ruru as a DNS updater only (a `DhcpDdns` section and nothing else),
/// replacing a `kea-dhcp-ddns`: a request as Kea 2.2 writes it, sent to
/// its address, becomes the records in BIND; D2's `control-socket`
/// answers the control commands (its statistics among them).
#[test]
fn dns_updater_alone_carries_out_kea_requests() {
    let test = "ddns_updater_alone";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    let Dns {
        named: dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    let section = section.replacen(
        '{',
        r#"{ "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/d2.sock" },"#,
        1,
    );
    let srv = Server::start(&format!("{{ \"DhcpDdns\": {section} }}"));
    let mac = [2, 0, 0x5e, 0x10, 0, 0x77];
    let ncr = format!(
        r#"{{"change-type":0,"forward-change":true,"reverse-change":true,"fqdn":"alone.example.org.","ip-address":"192.0.2.77","dhcid":"{}","lease-expires-on":"20301231235959","lease-length":1200,"use-conflict-resolution":true}}"#,
        Dhcid::from_hwaddr(1, &mac, "alone.example.org.")
            .unwrap()
            .to_hex()
    );
    let mut wire = (ncr.len() as u16).to_be_bytes().to_vec();
    wire.extend_from_slice(ncr.as_bytes());
    let kea = UdpSocket::bind("127.0.0.1:0").unwrap();
    kea.send_to(&wire, ("127.0.0.1", d2_port)).unwrap();
    let ok = wait_until(Duration::from_secs(10), || {
        dns.dig("alone.example.org", "A") == ["192.0.2.77"]
            && dns.dig("77.2.0.192.in-addr.arpa", "PTR") == ["alone.example.org."]
    });
    assert!(ok, "not in DNS:\n{}", srv.log_text());
    let sock = srv.path("d2.sock");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    let v = unix_cmd(&sock, &serde_json::json!({"command": "version-get"}));
    assert_eq!(v["result"], 0, "{v}");
    let st = unix_cmd(&sock, &serde_json::json!({"command": "statistic-get-all"}));
    assert_eq!(st["result"], 0, "{st}");
    assert_eq!(st["arguments"]["ncr-received"][0][0], 1, "{st}");
    assert!(
        st["arguments"]["update-success"][0][0].as_i64() >= Some(1),
        "{st}"
    );
    let cfg = unix_cmd(&sock, &serde_json::json!({"command": "config-get"}));
    assert!(cfg["arguments"]["DhcpDdns"].is_object(), "{cfg}");
}

/// DHCPv6 through the whole chain: a client with option 39 gets AAAA,
/// PTR (ip6.arpa) and DHCID records from ruru's own updater, and its
/// Release removes them.
#[test]
fn dhcpv6_clients_get_dns_records_from_the_built_in_updater() {
    use common::v6::*;
    let test = "ddns_bind_v6";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let Dns {
        named: dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    let srv = Server::start(&format!(
        r#"{{
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "dhcp-ddns": {{ "enable-updates": true, "server-ip": "127.0.0.1", "server-port": {d2_port} }},
    "ddns-qualifying-suffix": "example.org",
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "relay": {{ "ip-addresses": ["2001:db8:1::1"] }},
      "pools": [ {{ "pool": "2001:db8:1::10 - 2001:db8:1::11" }} ] }} ]
  }},
  "DhcpDdns": {section}
}}"#
    ));
    let relay = Relay6::new(sock, srv.port);
    let fqdn = (39u16, [&[0x01u8][..], b"\x08printer6"].concat());
    let adv = relay
        .exchange(&msg(1, 0x42, None, &[ia_na(1, None), fqdn.clone()]))
        .expect("Advertise");
    let addr = addr_of(&adv).expect("an address");
    let sid = server_duid(&adv);
    relay
        .exchange(&msg(3, 0x42, Some(&sid), &[ia_na(1, Some(addr)), fqdn]))
        .expect("Reply");
    let rev = ruru_ddns::name::reverse_name(IpAddr::V6(addr));
    let ok = wait_until(Duration::from_secs(10), || {
        dns.dig("printer6.example.org", "AAAA") == [addr.to_string()]
            && dns.dig(&rev, "PTR") == ["printer6.example.org."]
            && dns.dig("printer6.example.org", "DHCID").len() == 1
    });
    assert!(ok, "not in DNS:\n{}", srv.log_text());
    let _ = relay.exchange(&msg(8, 0x42, Some(&sid), &[ia_na(1, Some(addr))]));
    let gone = wait_until(Duration::from_secs(10), || {
        dns.dig("printer6.example.org", "AAAA").is_empty() && dns.dig(&rev, "PTR").is_empty()
    });
    assert!(gone, "not removed:\n{}", srv.log_text());
}

/// `ddns4_update`: the name decided for the client is "hook-<last MAC
/// octet>.example.net."; a client whose MAC ends in 0x02 gets no DNS
/// update; the callout checks that it sees the server's name first.
const DDNS_HOOK: &str = r#"
uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)params;
    api = a; self = l;
    return 0;
}

int32_t ddns4_update(RuruCallout *c) {
    uint8_t mac[16];
    size_t len = sizeof mac;
    char seen[256];
    size_t n = sizeof seen - 1;
    uint32_t fwd, rev;
    if (api->get_bytes(c, "query4.hwaddr", mac, &len) != RURU_OK || len == 0) return RURU_ERROR;
    if (api->get_bytes(c, "hostname", (uint8_t *)seen, &n) != RURU_OK) return RURU_ERROR;
    seen[n] = 0;
    if (strcmp(seen, "laptop.example.org.") != 0) return RURU_ERROR;
    if (api->get_u32(c, "fwd-update", &fwd) != RURU_OK || fwd != 1) return RURU_ERROR;
    if (api->get_u32(c, "rev-update", &rev) != RURU_OK || rev != 1) return RURU_ERROR;
    char name[64];
    snprintf(name, sizeof name, "hook-%u.example.net.", mac[len - 1]);
    if (api->set_bytes(c, "hostname", (const uint8_t *)name, strlen(name)) != RURU_OK)
        return RURU_ERROR;
    if (mac[len - 1] == 2) {
        if (api->set_u32(c, "fwd-update", 0) != RURU_OK) return RURU_ERROR;
        if (api->set_u32(c, "rev-update", 0) != RURU_OK) return RURU_ERROR;
    }
    return RURU_CONTINUE;
}
"#;

/// A `ddns4_update` callout (a C library) renames the client and turns the
/// DNS updates off for one client: the reply's option 81, the lease file
/// and the name-change requests follow it.
#[test]
fn ddns4_update_callout_renames_and_turns_updates_off() {
    let test = "ddns_hook4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let d2 = UdpSocket::bind("127.0.0.1:0").unwrap();
    d2.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lib = common::clib::build_lib(dir.path(), "libddns_hook.so", DDNS_HOOK);
    let cfg = config(ra, d2.local_addr().unwrap().port()).replace(
        r#""valid-lifetime": 3600,"#,
        &format!(
            r#""valid-lifetime": 3600, "hooks-libraries": [ {{ "library": "{}" }} ],"#,
            lib.display()
        ),
    );
    let srv = Server::start_in(dir, &cfg);
    let relay = Relay::new(ra, srv.port);
    let fqdn = [&[0x05u8, 0, 0][..], b"\x06Laptop"].concat();

    let mut c = Client::new(0x41, ra);
    let (addr, _) = dora_named(&relay, &mut c, Some((81, &fqdn)));
    let add = next_ncr(&d2);
    assert_eq!(add.change, ChangeType::Add);
    assert_eq!(add.fqdn, "hook-65.example.net.");
    assert!(add.forward && add.reverse);
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), addr);
    let last = rows.last().expect("the lease in the file");
    assert_eq!(&last[6..9], ["1", "1", "hook-65.example.net."], "{last:?}");

    // The OFFER and ACK carry the callout's name in option 81.
    let mut c2 = Client::new(0x02, ra);
    let offer = relay
        .exchange(&with_option(c2.discover(), 81, &fqdn))
        .expect("OFFER");
    let want = [&[0x05u8, 0, 0][..], b"\x06hook-2\x07example\x03net\x00"].concat();
    assert_eq!(raw_option(&encode(&offer), 81), Some(want.clone()));
    let sid = server_id(&offer).unwrap();
    let ack = relay
        .exchange(&with_option(
            c2.request_selecting(offer.yiaddr(), sid),
            81,
            &fqdn,
        ))
        .expect("ACK");
    assert_eq!(raw_option(&encode(&ack), 81), Some(want));
    // Updates off for this client: no request, and the lease says so.
    let mut buf = [0u8; 2048];
    assert!(d2.recv(&mut buf).is_err(), "no name-change request");
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), ack.yiaddr());
    let last = rows.last().expect("the lease in the file");
    assert_eq!(&last[6..9], ["0", "0", "hook-2.example.net."], "{last:?}");
}

/// Expiry: a lease that runs out is reclaimed and its records leave BIND
/// (Kea's reclamation queues the same removal as a release).
#[test]
fn expired_leases_lose_their_dns_records() {
    let test = "ddns_bind_expiry";
    let Some((named_bin, dig)) = named::prerequisites(test) else {
        return;
    };
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let Dns {
        named: dns,
        d2_port,
        section,
    } = dns_for(&named_bin, &dig);
    let cfg = config(ra, d2_port)
        .replace(
            r#""valid-lifetime": 3600,"#,
            r#""valid-lifetime": 3, "expired-leases-processing": { "reclaim-timer-wait-time": 1, "hold-reclaimed-time": 60 },"#,
        )
        .replace("\n}", &format!(",\n  \"DhcpDdns\": {section}\n}}"));
    let srv = Server::start(&cfg);
    let relay = Relay::new(ra, srv.port);
    let settles = |name: &str, rtype: &str, want: &[String], secs: u64| {
        assert!(
            wait_until(Duration::from_secs(secs), || dns.dig(name, rtype) == want),
            "{name} {rtype}: {:?}, expected {want:?}\n{}",
            dns.dig(name, rtype),
            srv.log_text()
        );
    };
    let fqdn = [&[0x05u8, 0, 0][..], b"\x07expires"].concat();
    let mut c = Client::new(0x71, ra);
    let (addr, _) = dora_named(&relay, &mut c, Some((81, &fqdn)));
    settles("expires.example.org", "A", &[addr.to_string()], 10);
    settles(
        &rev4(addr),
        "PTR",
        &["expires.example.org.".to_string()],
        10,
    );
    // No renewal: within a few seconds of its end the lease is reclaimed
    // and its A, PTR and DHCID records are removed.
    settles("expires.example.org", "A", &[], 20);
    settles(&rev4(addr), "PTR", &[], 10);
    settles("expires.example.org", "DHCID", &[], 10);
}
