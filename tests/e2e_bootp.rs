//! BOOTP clients (RFC 951 with RFC 1497 vendor extensions), served by the
//! built-in `libdhcp_bootp.so` exactly as ISC Kea 2.2 with its own
//! library serves them: the same configuration (Kea's library path,
//! which ruru recognises and loads nothing for) runs in `kea-dhcp4` and in
//! ruru, both on loopback, and a relay sends each the same BOOTP requests.
//! The BOOTREPLYs must carry the same options with the same bytes (DHCP's
//! own options removed), come from the pool guarded by the built-in
//! `BOOTP` class, and be stored with Kea's infinite lifetime in both lease
//! files; the statistics count them as Kea does.
//!
//! Without Kea 2.2 (Debian's kea-dhcp4-server, whose package ships the
//! library) the test prints SKIP (a failure under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::Path;
use std::time::Duration;

use common::kea::Kea;
use common::*;

const KEA_BOOTP: &str = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_bootp.so";

/// The configuration both servers run: a BOOTP-only pool and a DHCP-only
/// pool (Kea's ARM example), a reservation, basic and requested options.
fn config(dir: &Path, relay: Ipv4Addr) -> String {
    let dir = dir.display();
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": true, "lfc-interval": 0,
                       "name": "{dir}/leases4.csv" }},
  "control-socket": {{ "socket-type": "unix", "socket-name": "{dir}/ctl" }},
  "hooks-libraries": [ {{ "library": "{KEA_BOOTP}" }} ],
  "valid-lifetime": 3600,
  "client-classes": [ {{ "name": "DHCP", "test": "not member('BOOTP')" }} ],
  "option-data": [
    {{ "name": "domain-name-servers", "data": "192.0.2.53" }},
    {{ "name": "routers", "data": "192.0.2.1" }},
    {{ "name": "ntp-servers", "data": "192.0.2.123" }}
  ],
  "subnet4": [ {{
    "id": 1, "subnet": "192.0.2.0/24",
    "relay": {{ "ip-addresses": [ "{relay}" ] }},
    "pools": [
      {{ "pool": "192.0.2.200 - 192.0.2.210", "client-class": "BOOTP" }},
      {{ "pool": "192.0.2.10 - 192.0.2.20", "client-class": "DHCP" }}
    ],
    "reservations": [ {{ "hw-address": "02:00:00:00:b0:77", "ip-address": "192.0.2.77" }} ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO",
                  "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#
    )
}

/// A BOOTP request (no option 53) from `mac` through `relay`, with `opts`
/// (already encoded) in the vendor area.
fn bootp(xid: u32, mac: [u8; 6], relay: Ipv4Addr, opts: &[u8]) -> Vec<u8> {
    let mut m = bootrequest(xid, mac, 1, relay);
    m.extend(opts);
    m.push(255);
    m.resize(300, 0);
    m
}

/// The options of a reply, by code.
fn options(msg: &[u8]) -> BTreeMap<u8, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut i = 240;
    while let Some(&code) = msg.get(i) {
        match code {
            0 => i += 1,
            255 => break,
            _ => {
                let len = usize::from(msg[i + 1]);
                out.insert(code, msg[i + 2..i + 2 + len].to_vec());
                i += 2 + len;
            }
        }
    }
    out
}

/// `address -> valid_lifetime` of the lease file's current rows.
fn lease_lifetimes(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((f.first()?.to_string(), f.get(3)?.to_string()))
        })
        .collect()
}

fn stat(sock: &Path, name: &str) -> i64 {
    let a = unix_cmd(
        sock,
        &serde_json::json!({"command": "statistic-get", "arguments": {"name": name}}),
    );
    a["arguments"][name][0][0].as_i64().unwrap_or(0)
}

#[test]
fn bootp_clients_served_as_kea_serves_them() {
    let test = "bootp_as_kea";
    if !can_bind_67(test) {
        return;
    }
    if !Path::new(KEA_BOOTP).exists() {
        skip(
            test,
            &format!("{KEA_BOOTP} (Debian package kea-dhcp4-server) not found"),
        );
        return;
    }
    let relay = relay_addr_for(test);
    let kea_dir = tempfile::tempdir().unwrap();
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &config(kea_dir.path(), relay),
        &args,
        "DHCP4_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config(Path::new("@DIR@"), relay));
    let sock = UdpSocket::bind(SocketAddrV4::new(relay, 67)).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let servers = [
        (kea.port, kea_dir.path().to_path_buf()),
        (srv.port, srv.dir.path().to_path_buf()),
    ];

    // Three clients: plain; one asking for NTP by a parameter request
    // list and naming itself (option 12); one with a reservation.
    let clients: [([u8; 6], Vec<u8>); 3] = [
        ([2, 0, 0, 0, 0xb0, 1], vec![]),
        (
            [2, 0, 0, 0, 0xb0, 2],
            vec![12, 5, b'b', b'o', b'o', b't', b'p', 55, 2, 1, 42],
        ),
        ([2, 0, 0, 0, 0xb0, 0x77], vec![]),
    ];
    let mut yiaddrs = [Vec::new(), Vec::new()];
    for (n, (mac, opts)) in clients.iter().enumerate() {
        let mut replies = Vec::new();
        for (port, _) in &servers {
            let q = bootp(0xb0070 + n as u32, *mac, relay, opts);
            let r = exchange4(&sock, *port, &q)
                .unwrap_or_else(|| panic!("no BOOTREPLY to client {n} from port {port}"));
            assert_eq!(r[0], 2, "op BOOTREPLY");
            assert!(r.len() >= 300, "padded to 300 octets: {}", r.len());
            replies.push(r);
        }
        let (k, r) = (options(&replies[0]), options(&replies[1]));
        assert_eq!(k, r, "client {n}: Kea's options, then ruru's");
        assert!(!r.contains_key(&53) && !r.contains_key(&54) && !r.contains_key(&51));
        assert_eq!(r.get(&3), Some(&vec![192, 0, 2, 1]));
        for (i, reply) in replies.iter().enumerate() {
            yiaddrs[i].push(Ipv4Addr::new(reply[16], reply[17], reply[18], reply[19]));
        }
    }
    let ntp = options(
        &exchange4(
            &sock,
            srv.port,
            &bootp(0xb0080, clients[1].0, relay, &clients[1].1),
        )
        .unwrap(),
    );
    assert_eq!(
        ntp.get(&42),
        Some(&vec![192, 0, 2, 123]),
        "requested option 42"
    );
    assert_eq!(ntp.get(&12), Some(&b"bootp".to_vec()), "option 12 echoed");

    for (i, addrs) in yiaddrs.iter().enumerate() {
        let who = ["Kea", "ruru"][i];
        // The BOOTP class's pool, and the reservation.
        for a in &addrs[..2] {
            assert!(
                *a >= Ipv4Addr::new(192, 0, 2, 200) && *a <= Ipv4Addr::new(192, 0, 2, 210),
                "{who}: {a} is not in the BOOTP pool"
            );
        }
        assert_eq!(addrs[2], Ipv4Addr::new(192, 0, 2, 77), "{who}: reservation");
        // Stored with the infinite lifetime.
        let leases = lease_lifetimes(&servers[i].1.join("leases4.csv"));
        for a in addrs {
            assert_eq!(
                leases.get(&a.to_string()).map(String::as_str),
                Some("4294967295"),
                "{who}: lease of {a} in {leases:?}"
            );
        }
        // Counted as REQUESTs received and packets sent, never as ACKs.
        let ctl = servers[i].1.join("ctl");
        assert_eq!(stat(&ctl, "pkt4-ack-sent"), 0, "{who}");
        assert!(stat(&ctl, "pkt4-request-received") >= 3, "{who}");
        assert!(stat(&ctl, "pkt4-sent") >= 3, "{who}");
    }

    // A DHCP client still gets its DHCP pool and a DHCP reply.
    let mut discover = bootp(0xb0090, [2, 0, 0, 0, 0xb0, 9], relay, &[53, 1, 1]);
    discover.truncate(300);
    let offer = exchange4(&sock, srv.port, &discover).expect("an OFFER for a DHCP client");
    assert_eq!(options(&offer).get(&53), Some(&vec![2]));
    let a = Ipv4Addr::new(offer[16], offer[17], offer[18], offer[19]);
    assert!(
        a >= Ipv4Addr::new(192, 0, 2, 10) && a <= Ipv4Addr::new(192, 0, 2, 20),
        "{a}"
    );
    drop(kea);
}
