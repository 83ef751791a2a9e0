//! High availability (issue 21): Kea's `libdhcp_ha.so`, built in, over
//! the real wire: two servers on loopback, each with its own DHCP port and
//! its HA URL, and one relay that forwards every client message to both
//! (as a relay configured with both servers' addresses does).
//!
//! - Hot-standby, ruru + ruru: both reach `hot-standby`; the primary
//!   answers, the standby stays silent and receives every lease
//!   (`lease4-get`); after `kill -9` of the primary, clients whose `secs`
//!   grow past `max-ack-delay` make the standby detect the failure and take
//!   over (new clients served, existing ones renewed); the primary
//!   restarts, synchronises the leases handed out meanwhile, and the pair
//!   returns to `hot-standby`.
//! - The same with Kea 2.2's `kea-dhcp4` as either partner (Debian's
//!   `kea-dhcp4-server`; missing: SKIP, a failure under
//!   `RURU_REQUIRE_ALL=1`).
//! - Load-balancing, ruru + Kea: each client is answered by exactly one
//!   server, the one Kea's hash picks, and both hold every lease.
//!
//! Binding the relay's port 67 needs root (SKIP otherwise).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::ha::*;
use common::kea::Kea;
use common::*;
use dhcproto::v4::MessageType;
use serde_json::{json, Value};

/// The `Dhcp4` section of one partner (`me` is "server1" or "server2").
fn config(
    relay: Ipv4Addr,
    mode: &str,
    me: &str,
    ports: [u16; 2],
    lease_file: &str,
    kea: bool,
    extra_ha: &str,
) -> String {
    let (r1, r2) = match mode {
        "load-balancing" => ("primary", "secondary"),
        "passive-backup" => ("primary", "backup"),
        _ => ("primary", "standby"),
    };
    // Kea 2.2 answers its partner itself only with HA's multi-threading
    // and dedicated listener (no Control Agent here).
    let mt = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 2, "http-client-threads": 2 },"#
    } else {
        ""
    };
    let dhcp_mt = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16 },
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO", "output_options": [ { "output": "stdout" } ] } ],"#
    } else {
        ""
    };
    format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": true, "name": "{lease_file}", "lfc-interval": 0 }},
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    // Kea puts each query in its HA scope's class: pools and options
    // may depend on it.
    "client-classes": [
      {{ "name": "scope1", "test": "member('HA_server1')",
         "option-data": [ {{ "name": "domain-name", "data": "scope1.example" }} ] }},
      {{ "name": "scope2", "test": "member('HA_server2')",
         "option-data": [ {{ "name": "domain-name", "data": "scope2.example" }} ] }}
    ],
    {dhcp_mt}
    "hooks-libraries": [
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }},
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
         "parameters": {{ "high-availability": [ {{
           "this-server-name": "{me}", "mode": "{mode}",
           "heartbeat-delay": 1000, "max-response-delay": 3000,
           "max-ack-delay": 1000, "max-unacked-clients": 2,
           {mt}
           {extra_ha}
           "peers": [
             {{ "name": "server1", "url": "http://127.0.0.1:{p1}/", "role": "{r1}" }},
             {{ "name": "server2", "url": "http://127.0.0.1:{p2}/", "role": "{r2}" }}
           ] }} ] }} }}
    ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.200" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }} }} ]
}} }}"#,
        p1 = ports[0],
        p2 = ports[1],
    )
}

/// Hot-standby with `kea_primary` / `kea_standby` choosing who runs Kea.
fn hot_standby(test: &str, kea_primary: bool, kea_standby: bool) {
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let cfg = |me: &str, kea: bool| {
        let me = me.to_string();
        move |file: &str| config(relay, "hot-standby", &me, ha, file, kea, "")
    };
    let Some(primary) = start(kea_primary, cfg("server1", kea_primary), test) else {
        return;
    };
    let Some(standby) = start(kea_standby, cfg("server2", kea_standby), test) else {
        return;
    };
    assert!(
        wait_state(ha[0], "hot-standby", 20),
        "primary: {:?}",
        ha_state(ha[0])
    );
    assert!(
        wait_state(ha[1], "hot-standby", 20),
        "standby: {:?}",
        ha_state(ha[1])
    );
    // status-get's HA part, as Kea shapes it (the same keys on both
    // servers, whichever runs Kea).
    let shape = |port: u16| {
        let a = post(port, "status-get", None).expect("status-get");
        let h = a["arguments"]["high-availability"][0].clone();
        assert_eq!(h["ha-mode"], json!("hot-standby"), "{a}");
        let keys = |v: &Value| {
            let mut k: Vec<String> = v
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            k.sort();
            k
        };
        (
            keys(&h["ha-servers"]["local"]),
            keys(&h["ha-servers"]["remote"]),
            h,
        )
    };
    let (l0, r0, h0) = shape(ha[0]);
    let (l1, r1, h1) = shape(ha[1]);
    assert_eq!((l0, r0), (l1, r1), "{h0}\n{h1}");
    assert_eq!(h0["ha-servers"]["local"]["role"], json!("primary"));
    assert_eq!(h0["ha-servers"]["local"]["scopes"], json!(["server1"]));
    assert_eq!(h1["ha-servers"]["local"]["scopes"], json!([]));
    assert_eq!(
        h1["ha-servers"]["remote"]["last-state"],
        json!("hot-standby")
    );

    let both = Both {
        relay: Relay::new(relay, primary.dhcp_port()),
        ports: [primary.dhcp_port(), standby.dhcp_port()],
    };
    // The primary answers everyone; each lease is on the standby too.
    let mut clients: Vec<Client> = (1..=5).map(|n| Client::new(n, relay)).collect();
    let mut leased = Vec::new();
    for (n, c) in (1..=5u8).zip(&mut clients) {
        let (addr, port) = both.dora(c).expect("an ACK from the pair");
        assert_eq!(port, primary.dhcp_port(), "the standby answered");
        let on_standby =
            lease_on(ha[1], addr).unwrap_or_else(|| panic!("{addr} not on the standby"));
        assert_eq!(
            on_standby["hw-address"],
            json!(format!("02:00:5e:10:00:{n:02x}"))
        );
        leased.push(addr);
    }

    // The primary dies. Clients retrying with growing `secs` make the
    // standby detect it (more than max-unacked-clients = 2 of them).
    // Dropping a partner kills it (SIGKILL); a ruru primary restarts
    // with an empty lease file, so everything comes back by synchronisation.
    drop(primary);
    std::thread::sleep(Duration::from_millis(3500));
    let mut late: Vec<Client> = (20..=22).map(|n| Client::new(n, relay)).collect();
    let took_over = wait_until(Duration::from_secs(15), || {
        for c in &mut late {
            let mut d = c.discover();
            d.set_secs(5);
            both.send(&d, Duration::from_millis(50));
        }
        ha_state(ha[1]).as_deref() == Some("partner-down")
    });
    assert!(
        took_over,
        "the standby did not take over: {:?}",
        ha_state(ha[1])
    );
    // New clients are served, existing ones keep their addresses.
    let mut newc = Client::new(30, relay);
    let (new_addr, port) = both
        .dora(&mut newc)
        .expect("a new client served by the standby");
    assert_eq!(port, standby.dhcp_port());
    let acks = both.send(
        &clients[0].request_renew(leased[0]),
        Duration::from_millis(700),
    );
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(msg_type(&acks[0].1), Some(MessageType::Ack));
    assert_eq!(acks[0].1.yiaddr(), leased[0]);

    // The primary comes back, synchronises, and the pair is whole again.
    let Some(primary) = start(kea_primary, cfg("server1", kea_primary), test) else {
        return;
    };
    assert!(
        wait_state(ha[0], "hot-standby", 30),
        "primary after restart: {:?}",
        ha_state(ha[0])
    );
    assert!(
        wait_state(ha[1], "hot-standby", 10),
        "standby after recovery: {:?}",
        ha_state(ha[1])
    );
    assert!(
        lease_on(ha[0], new_addr).is_some(),
        "the lease the standby gave while the primary was down was not synchronised"
    );
    let both = Both {
        relay: both.relay,
        ports: [primary.dhcp_port(), standby.dhcp_port()],
    };
    let mut after = Client::new(40, relay);
    let (_, port) = both.dora(&mut after).expect("served after recovery");
    assert_eq!(port, primary.dhcp_port(), "the primary serves again");
}

/// The built-in ping check on a ruru hot-standby pair: an offered address
/// that answers (every address of 127.77.0.0/24 does: it is loopback's)
/// is declined by the primary, no OFFER goes out, and the declined lease
/// reaches the standby, as Kea's HA library sends it at
/// `lease4_server_decline`.
#[test]
fn a_server_declined_lease_reaches_the_partner() {
    let test = "ha_ping_decline";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let cfg = |me: &'static str| {
        move |file: &str| {
            let c = config(relay, "hot-standby", me, ha, file, false, "");
            let c = c.replace(
                r#""subnet": "192.0.2.0/24","#,
                r#""subnet": "127.77.0.0/24","#,
            );
            let c = c.replace(
                r#""pool": "192.0.2.10 - 192.0.2.200""#,
                r#""pool": "127.77.0.10 - 127.77.0.11""#,
            );
            c.replace(
                r#""hooks-libraries": ["#,
                r#""hooks-libraries": [
      { "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ping_check.so",
        "parameters": { "enable-ping-check": true, "min-ping-requests": 1, "reply-timeout": 300 } },"#,
            )
        }
    };
    assert!(cfg("server1")("x").contains("127.77.0.10 - 127.77.0.11"));
    assert!(cfg("server1")("x").contains("libdhcp_ping_check.so"));
    let Some(primary) = start(false, cfg("server1"), test) else {
        return;
    };
    let Some(standby) = start(false, cfg("server2"), test) else {
        return;
    };
    assert!(
        wait_state(ha[0], "hot-standby", 20),
        "{:?}",
        ha_state(ha[0])
    );
    assert!(
        wait_state(ha[1], "hot-standby", 20),
        "{:?}",
        ha_state(ha[1])
    );
    let both = Both {
        relay: Relay::new(relay, primary.dhcp_port()),
        ports: [primary.dhcp_port(), standby.dhcp_port()],
    };
    let mut c = Client::new(1, relay);
    let offers = both.send(&c.discover(), Duration::from_millis(1500));
    assert!(
        offers.is_empty(),
        "an address in use was offered: {offers:?}"
    );
    let first: Ipv4Addr = "127.77.0.10".parse().unwrap();
    let declined = |port: u16| lease_on(port, first).is_some_and(|l| l["state"] == json!(1));
    assert!(
        wait_until(Duration::from_secs(5), || declined(ha[0])),
        "not declined on the primary: {:?}",
        lease_on(ha[0], first)
    );
    assert!(
        wait_until(Duration::from_secs(5), || declined(ha[1])),
        "the declined lease is not on the standby: {:?}",
        lease_on(ha[1], first)
    );
}

#[test]
fn hot_standby_ruru_pair() {
    hot_standby("hot_standby_ruru_pair", false, false);
}

#[test]
fn hot_standby_ruru_primary_kea_standby() {
    hot_standby("hot_standby_ruru_primary_kea_standby", false, true);
}

#[test]
fn hot_standby_kea_primary_ruru_standby() {
    hot_standby("hot_standby_kea_primary_ruru_standby", true, false);
}

/// Load-balancing: each client is answered by exactly one partner, the
/// one Kea's hash picks, and both partners hold every lease.
#[test]
fn load_balancing_ruru_and_kea() {
    let test = "load_balancing_ruru_and_kea";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let Some(ruru) = start(
        false,
        |f: &str| config(relay, "load-balancing", "server1", ha, f, false, ""),
        test,
    ) else {
        return;
    };
    let Some(kea) = start(
        true,
        |f: &str| config(relay, "load-balancing", "server2", ha, f, true, ""),
        test,
    ) else {
        return;
    };
    assert!(
        wait_state(ha[0], "load-balancing", 20),
        "ruru: {:?}",
        ha_state(ha[0])
    );
    assert!(
        wait_state(ha[1], "load-balancing", 20),
        "kea: {:?}",
        ha_state(ha[1])
    );
    let both = Both {
        relay: Relay::new(relay, ruru.dhcp_port()),
        ports: [ruru.dhcp_port(), kea.dhcp_port()],
    };
    let mut served = [0, 0];
    for n in 1..=16u8 {
        let mut c = Client::new(n, relay);
        let (addr, port, ack) = both
            .dora_ack(&mut c)
            .expect("one server answers each client");
        // RFC 3074 over the hardware address: even → primary (ruru).
        let mac = [0x02, 0x00, 0x5e, 0x10, 0x00, n];
        let mut h = mac.len() as u8;
        for b in mac.iter().rev() {
            h = kea_table()[usize::from(h ^ b)];
        }
        let want = if h.is_multiple_of(2) {
            ruru.dhcp_port()
        } else {
            kea.dhcp_port()
        };
        assert_eq!(
            port, want,
            "client {n} (hash {h}) answered by the other server"
        );
        served[usize::from(port != ruru.dhcp_port())] += 1;
        // Both servers put the client in its scope's class.
        let scope = if h.is_multiple_of(2) {
            "scope1.example"
        } else {
            "scope2.example"
        };
        assert_eq!(option_text(&ack, 15).as_deref(), Some(scope), "client {n}");
        for p in ha {
            assert!(
                lease_on(p, addr).is_some(),
                "{addr} missing on the partner at {p}"
            );
        }
    }
    assert!(served[0] > 0 && served[1] > 0, "{served:?}");
}

/// Passive-backup between ruru and Kea 2.2 (`kea_primary` says which is
/// the primary): the primary serves at once, the backup never answers,
/// and every lease, decline and release reaches the backup.
fn passive_backup(test: &str, kea_primary: bool) {
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let Some(primary) = start(
        kea_primary,
        |f: &str| config(relay, "passive-backup", "server1", ha, f, kea_primary, ""),
        test,
    ) else {
        return;
    };
    let Some(backup) = start(
        !kea_primary,
        |f: &str| config(relay, "passive-backup", "server2", ha, f, !kea_primary, ""),
        test,
    ) else {
        return;
    };
    assert!(
        wait_state(ha[0], "passive-backup", 20),
        "primary: {:?}",
        ha_state(ha[0])
    );
    assert!(
        wait_state(ha[1], "backup", 20),
        "backup: {:?}",
        ha_state(ha[1])
    );
    let both = Both {
        relay: Relay::new(relay, primary.dhcp_port()),
        ports: [primary.dhcp_port(), backup.dhcp_port()],
    };
    for n in 1..=4u8 {
        let mut c = Client::new(n, relay);
        let (addr, port) = both.dora(&mut c).expect("the primary answers");
        assert_eq!(port, primary.dhcp_port(), "the backup answered");
        assert!(lease_on(ha[1], addr).is_some(), "{addr} not on the backup");
        // A decline reaches the backup as a declined lease (Kea sends it
        // with an empty hw-address).
        if n == 3 {
            both.send(
                &c.decline(addr, Ipv4Addr::LOCALHOST),
                Duration::from_millis(300),
            );
            assert!(
                wait_until(Duration::from_secs(3), || {
                    lease_on(ha[1], addr).is_some_and(|l| l["state"] == json!(1))
                }),
                "the declined {addr} is not declined on the backup: {:?}",
                lease_on(ha[1], addr)
            );
        }
        // A release reaches the backup too.
        if n == 4 {
            both.send(
                &c.release(addr, Ipv4Addr::LOCALHOST),
                Duration::from_millis(300),
            );
            assert!(
                wait_until(Duration::from_secs(3), || lease_on(ha[1], addr).is_none()),
                "the released {addr} is still on the backup"
            );
        }
    }
}

#[test]
fn passive_backup_ruru_primary_kea_backup() {
    passive_backup("passive_backup_ruru_primary_kea_backup", false);
}

#[test]
fn passive_backup_kea_primary_ruru_backup() {
    passive_backup("passive_backup_kea_primary_ruru_backup", true);
}

/// RFC 3074's table, read from Kea's own library: the test checks ruru
/// against what Kea ships, not against a copy of ruru's constant.
fn kea_table() -> Vec<u8> {
    let lib = std::fs::read("/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so").unwrap();
    let start = lib
        .windows(4)
        .position(|w| w == [251, 175, 119, 215])
        .expect("RFC 3074's table in libdhcp_ha.so");
    lib[start..start + 256].to_vec()
}

// ---- DHCPv6 ----

use common::v6::{bind_relay, ia_na, ia_pd, msg, put, ONE_AT_A_TIME};
use dhcproto::v6;
use dhcproto::{Decodable, Decoder};
use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};

fn post6(port: u16, command: &str, args: Option<Value>) -> Option<Value> {
    post_to("dhcp6", port, command, args)
}

fn state6(port: u16) -> Option<String> {
    post6(port, "ha-heartbeat", None)?["arguments"]["state"]
        .as_str()
        .map(String::from)
}

fn wait_state6(port: u16, want: &str, secs: u64) -> bool {
    wait_until(Duration::from_secs(secs), || {
        state6(port).as_deref() == Some(want)
    })
}

/// Relays a client message to both servers; the client messages of the
/// Relay-replies within `wait`, with the port that sent each.
fn relay6_both(
    sock: &UdpSocket,
    ports: [u16; 2],
    m: &[u8],
    wait: Duration,
) -> Vec<(u16, v6::Message)> {
    let mut fw = vec![12, 0];
    fw.extend_from_slice(&"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
    fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 9, m);
    for p in ports {
        let _ = sock.send_to(&fw, SocketAddrV6::new(Ipv6Addr::LOCALHOST, p, 0, 0));
    }
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let end = Instant::now() + wait;
    let mut out = Vec::new();
    while Instant::now() < end {
        let mut buf = [0u8; 4096];
        let Ok((n, from)) = sock.recv_from(&mut buf) else {
            continue;
        };
        let b = &buf[..n];
        let mut i = 34;
        while i + 4 <= b.len() {
            let code = u16::from_be_bytes([b[i], b[i + 1]]);
            let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
            if code == 9 {
                if let Ok(inner) = v6::Message::decode(&mut Decoder::new(&b[i + 4..i + 4 + len])) {
                    if inner.xid() == [0, 1, m[3]] {
                        out.push((from.port(), inner));
                    }
                }
            }
            i += 4 + len;
        }
    }
    out
}

fn config6(me: &str, ports: [u16; 2], lease_file: &str, kea: bool) -> String {
    let mt = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 2, "http-client-threads": 2 },"#
    } else {
        ""
    };
    let extra = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16 },
    "loggers": [ { "name": "kea-dhcp6", "severity": "INFO", "output_options": [ { "output": "stdout" } ] } ],"#
    } else {
        ""
    };
    let ifaces = if kea { "lo/::1" } else { "lo" };
    format!(
        r#"{{ "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["{ifaces}"] }},
    "lease-database": {{ "type": "memfile", "name": "{lease_file}", "lfc-interval": 0 }},
    "server-id": {{ "type": "LLT", "persist": false }},
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    {extra}
    "hooks-libraries": [
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }},
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
         "parameters": {{ "high-availability": [ {{
           "this-server-name": "{me}", "mode": "hot-standby",
           "heartbeat-delay": 1000, "max-response-delay": 3000,
           "max-ack-delay": 1000, "max-unacked-clients": 2,
           {mt}
           "peers": [
             {{ "name": "server1", "url": "http://127.0.0.1:{p1}/", "role": "primary" }},
             {{ "name": "server2", "url": "http://127.0.0.1:{p2}/", "role": "standby" }}
           ] }} ] }} }}
    ],
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
      "pd-pools": [ {{ "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }} ] }} ]
}} }}"#,
        p1 = ports[0],
        p2 = ports[1],
    )
}

/// Solicit + Request with an IA_NA and an IA_PD through both servers: the
/// address, the prefix, and the port of the server that answered.
fn sarr6(sock: &UdpSocket, ports: [u16; 2], n: u8) -> Option<(Ipv6Addr, (Ipv6Addr, u8), u16)> {
    let w = Duration::from_millis(700);
    let adv = relay6_both(
        sock,
        ports,
        &msg(1, n, None, &[ia_na(1, None), ia_pd(2, None)]),
        w,
    );
    assert!(adv.len() <= 1, "two servers answered a Solicit: {adv:?}");
    let (port, adv) = adv.into_iter().next()?;
    let sid = common::v6::server_duid(&adv);
    let (a, p) = (common::v6::addr_of(&adv)?, common::v6::prefix_of(&adv)?);
    let rep = relay6_both(
        sock,
        ports,
        &msg(3, n, Some(&sid), &[ia_na(1, Some(a)), ia_pd(2, Some(p))]),
        w,
    );
    assert!(rep.len() <= 1, "two servers answered a Request: {rep:?}");
    let (p2, rep) = rep.into_iter().next()?;
    assert_eq!(p2, port);
    Some((
        common::v6::addr_of(&rep)?,
        common::v6::prefix_of(&rep)?,
        port,
    ))
}

/// DHCPv6 hot-standby, ruru primary + Kea 2.2 standby: addresses and
/// prefixes reach the standby (lease6-bulk-apply), it takes over after the
/// primary's death, and the restarted primary synchronises both kinds.
#[test]
fn hot_standby_v6_ruru_primary_kea_standby() {
    let test = "hot_standby_v6_ruru_primary_kea_standby";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let ha = [free_tcp_port(), free_tcp_port()];
    let primary = Server::start(&config6("server1", ha, "@DIR@/leases6.csv", false));
    let dir = tempfile::tempdir().unwrap();
    let kcfg = config6(
        "server2",
        ha,
        dir.path().join("l6.csv").to_str().unwrap(),
        true,
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        &kcfg,
        &args,
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    assert!(
        wait_state6(ha[0], "hot-standby", 20),
        "ruru: {:?}",
        state6(ha[0])
    );
    assert!(
        wait_state6(ha[1], "hot-standby", 20),
        "kea: {:?}",
        state6(ha[1])
    );
    let ports = [primary.port, kea.port];
    let (a, (p, len), port) = sarr6(&sock, ports, 1).expect("a Reply from the pair");
    assert_eq!(port, primary.port, "the standby answered");
    for (ip, kind) in [(a, "IA_NA"), (p, "IA_PD")] {
        let got = post6(
            ha[1],
            "lease6-get",
            Some(json!({ "ip-address": ip.to_string(), "type": kind })),
        )
        .unwrap();
        assert_eq!(got["result"], json!(0), "{kind} {ip} not on Kea: {got}");
        assert_eq!(got["arguments"]["duid"], json!(common::v6::duid_text(1)));
    }
    assert_eq!(len, 56);

    // The primary dies; three clients retrying for 5 s make Kea take over.
    drop(primary);
    std::thread::sleep(Duration::from_millis(3500));
    let took_over = wait_until(Duration::from_secs(15), || {
        for n in 20..=22u8 {
            let mut e = Vec::new();
            e.extend_from_slice(&500u16.to_be_bytes());
            let m = msg(1, n, None, &[(8, e), ia_na(1, None)]);
            relay6_both(&sock, ports, &m, Duration::from_millis(50));
        }
        state6(ha[1]).as_deref() == Some("partner-down")
    });
    assert!(took_over, "Kea did not take over: {:?}", state6(ha[1]));
    let (a2, (p2, _), port) = sarr6(&sock, ports, 30).expect("Kea serves a new client");
    assert_eq!(port, kea.port);

    // ruru comes back (an empty lease file) and gets everything from Kea.
    let primary = Server::start(&config6("server1", ha, "@DIR@/leases6.csv", false));
    assert!(
        wait_state6(ha[0], "hot-standby", 30),
        "ruru after restart: {:?}",
        state6(ha[0])
    );
    assert!(
        wait_state6(ha[1], "hot-standby", 10),
        "kea after recovery: {:?}",
        state6(ha[1])
    );
    for (ip, kind) in [(a, "IA_NA"), (p, "IA_PD"), (a2, "IA_NA"), (p2, "IA_PD")] {
        let got = post6(
            ha[0],
            "lease6-get",
            Some(json!({ "ip-address": ip.to_string(), "type": kind })),
        )
        .unwrap();
        assert_eq!(
            got["result"],
            json!(0),
            "{kind} {ip} not synchronised to ruru: {got}"
        );
    }
    let (_, _, port) = sarr6(&sock, [primary.port, kea.port], 40).expect("served after recovery");
    assert_eq!(port, primary.port);
}

/// `kill -9` of the primary in the middle of a stream of clients: every
/// address a client got an ACK for is on the standby, which serves on.
#[test]
fn kill_under_load_loses_no_acked_lease() {
    let test = "ha_kill_under_load";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let cfg =
        |me: &'static str| move |file: &str| config(relay, "hot-standby", me, ha, file, false, "");
    let Some(primary) = start(false, cfg("server1"), test) else {
        return;
    };
    let Some(standby) = start(false, cfg("server2"), test) else {
        return;
    };
    assert!(wait_state(ha[0], "hot-standby", 20));
    assert!(wait_state(ha[1], "hot-standby", 20));
    let ports = [primary.dhcp_port(), standby.dhcp_port()];
    let both = Both {
        relay: Relay::new(relay, ports[0]),
        ports,
    };
    // Clients one after another; the primary dies after the 12th DISCOVER
    // went out, while exchanges are in flight.
    let Partner::Ruru(mut p) = primary else {
        unreachable!()
    };
    let mut acked = Vec::new();
    for n in 1..=16u8 {
        let mut c = Client::new(n, relay);
        if n == 12 {
            let pid = p.child.as_ref().unwrap().id();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(2));
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            });
        }
        if let Some((addr, port)) = both.dora(&mut c) {
            acked.push((n, addr, port));
        }
    }
    p.kill();
    let before: Vec<_> = acked.iter().filter(|a| a.2 == ports[0]).collect();
    assert!(before.len() >= 8, "{acked:?}");
    for (n, addr, _) in &acked {
        let l = lease_on(ha[1], *addr)
            .unwrap_or_else(|| panic!("client {n}'s ACKed {addr} is not on the standby"));
        assert_eq!(l["hw-address"], json!(format!("02:00:5e:10:00:{n:02x}")));
    }
}

/// Maintenance between ruru and Kea 2.2: `ha-maintenance-start` sent to
/// one puts its partner in `in-maintenance` (ha-maintenance-notify), then
/// `ha-maintenance-cancel` brings both back; in both directions.
#[test]
fn maintenance_between_ruru_and_kea() {
    let test = "ha_maintenance";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let Some(_ruru) = start(
        false,
        |f: &str| config(relay, "hot-standby", "server1", ha, f, false, ""),
        test,
    ) else {
        return;
    };
    let Some(_kea) = start(
        true,
        |f: &str| config(relay, "hot-standby", "server2", ha, f, true, ""),
        test,
    ) else {
        return;
    };
    assert!(wait_state(ha[0], "hot-standby", 20));
    assert!(wait_state(ha[1], "hot-standby", 20));
    for (admin, other) in [(ha[0], ha[1]), (ha[1], ha[0])] {
        let a = post(admin, "ha-maintenance-start", None).unwrap();
        assert_eq!(a["result"], json!(0), "{a}");
        assert_eq!(ha_state(admin).as_deref(), Some("partner-in-maintenance"));
        assert_eq!(ha_state(other).as_deref(), Some("in-maintenance"));
        let c = post(admin, "ha-maintenance-cancel", None).unwrap();
        assert_eq!(c["result"], json!(0), "{c}");
        assert!(
            wait_state(admin, "hot-standby", 10),
            "{:?}",
            ha_state(admin)
        );
        assert!(
            wait_state(other, "hot-standby", 10),
            "{:?}",
            ha_state(other)
        );
    }
    // A second cancel is refused as Kea refuses it.
    let again = post(ha[0], "ha-maintenance-cancel", None).unwrap();
    assert_eq!(again["result"], json!(1), "{again}");
}

/// A CA and one certificate for 127.0.0.1 (server and client use), PEM
/// files in `dir`: ca.pem, ha.pem, ha.key.
fn make_pki(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "ruru HA test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    let cert = p.signed_by(&key, &issuer).unwrap();
    std::fs::write(dir.join("ha.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("ha.key"), key.serialize_pem()).unwrap();
}

/// Two ruru partners over HTTPS with client certificates (Kea's
/// `trust-anchor`, `cert-file`, `key-file`, `require-client-certs`): they
/// reach hot-standby and leases reach the standby; plain HTTP to the HA
/// URL gets nothing.
#[test]
fn hot_standby_over_mutual_tls() {
    let test = "ha_tls";
    if !can_bind_67(test) {
        return;
    }
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let d = pki.path().to_str().unwrap().to_string();
    let tls = format!(
        r#""trust-anchor": "{d}/ca.pem", "cert-file": "{d}/ha.pem", "key-file": "{d}/ha.key", "require-client-certs": true,"#
    );
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let cfg = |me: &'static str| {
        let tls = tls.clone();
        move |file: &str| {
            config(relay, "hot-standby", me, ha, file, false, &tls).replace("http://", "https://")
        }
    };
    let Some(primary) = start(false, cfg("server1"), test) else {
        return;
    };
    let Some(standby) = start(false, cfg("server2"), test) else {
        return;
    };
    // Plain HTTP gets no answer from a TLS listener.
    assert!(ha_state(ha[0]).is_none());
    // The partners' own state, as the primary's log says it.
    let Partner::Ruru(p) = &primary else {
        unreachable!()
    };
    assert!(
        p.wait_log("to=\"hot-standby\"", Duration::from_secs(20)),
        "{}",
        p.log_text()
    );
    let Partner::Ruru(s) = &standby else {
        unreachable!()
    };
    assert!(
        s.wait_log("to=\"hot-standby\"", Duration::from_secs(20)),
        "{}",
        s.log_text()
    );
    let both = Both {
        relay: Relay::new(relay, primary.dhcp_port()),
        ports: [primary.dhcp_port(), standby.dhcp_port()],
    };
    let (addr, port) = both.dora(&mut Client::new(1, relay)).expect("an ACK");
    assert_eq!(port, primary.dhcp_port());
    // The standby has it: its lease file holds the address.
    assert!(
        wait_until(Duration::from_secs(3), || s
            .lease_file("leases4.csv")
            .contains(&addr.to_string())),
        "{addr} not in the standby's lease file"
    );
}

/// Load-balancing through a partner's short outage (SIGSTOP): the other
/// server goes to communication-recovery, keeps serving its own clients
/// and queues their leases, and sends them when the partner is back
/// (SIGCONT): both end in load-balancing and the partner has every lease.
#[test]
fn load_balancing_communication_recovery() {
    let test = "ha_comm_recovery";
    if !can_bind_67(test) {
        return;
    }
    let relay = relay_addr_for(test);
    let ha = [free_tcp_port(), free_tcp_port()];
    let cfg = |me: &'static str| {
        move |file: &str| config(relay, "load-balancing", me, ha, file, false, "")
    };
    let Some(a) = start(false, cfg("server1"), test) else {
        return;
    };
    let Some(b) = start(false, cfg("server2"), test) else {
        return;
    };
    assert!(wait_state(ha[0], "load-balancing", 20));
    assert!(wait_state(ha[1], "load-balancing", 20));
    let Partner::Ruru(bs) = &b else {
        unreachable!()
    };
    bs.signal("-STOP");
    // A stopped partner accepts connections but never answers: the
    // heartbeat fails after Kea's 10 s request timeout.
    assert!(
        wait_state(ha[0], "communication-recovery", 25),
        "{:?}",
        ha_state(ha[0])
    );
    let both = Both {
        relay: Relay::new(relay, a.dhcp_port()),
        ports: [a.dhcp_port(), b.dhcp_port()],
    };
    // Server1's clients are served meanwhile (server2's go unanswered).
    let mut queued = Vec::new();
    for n in 1..=12u8 {
        if let Some((addr, port)) = both.dora(&mut Client::new(n, relay)) {
            assert_eq!(port, a.dhcp_port());
            queued.push(addr);
        }
    }
    assert!(!queued.is_empty());
    bs.signal("-CONT");
    assert!(
        wait_state(ha[0], "load-balancing", 15),
        "{:?}",
        ha_state(ha[0])
    );
    for addr in &queued {
        assert!(
            wait_until(Duration::from_secs(3), || lease_on(ha[1], *addr).is_some()),
            "the queued {addr} did not reach the partner"
        );
    }
}
