//! `store-extended-info` in DHCPv4 beside kea-dhcp4 2.2: the same
//! relayed DORA with option 82, then a RENEWING client's unicast REQUEST
//! without it, sent to both servers; their lease files hold the same user
//! context, kept through the renewal. Needs root (port 67 on loopback)
//! and Kea (SKIP otherwise, failure under RURU_REQUIRE_ALL=1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use common::kea::Kea;
use common::*;

const MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x44];
const RAI: [u8; 6] = [1, 4, b'p', b'o', b'r', b't'];

/// A BOOTREQUEST of DHCP type `t` from MAC with `opts` (then option 82
/// when `rai`).
fn packet(t: u8, ciaddr: Ipv4Addr, giaddr: Ipv4Addr, opts: &[u8], rai: bool) -> Vec<u8> {
    let mut b = vec![1, 1, 6, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0];
    b.extend_from_slice(&ciaddr.octets());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&giaddr.octets());
    b.extend_from_slice(&MAC);
    b.extend_from_slice(&[0; 10 + 192]);
    b.extend_from_slice(&[0x63, 0x82, 0x53, 0x63, 53, 1, t]);
    b.extend_from_slice(opts);
    if rai {
        b.extend_from_slice(&[82, RAI.len() as u8]);
        b.extend_from_slice(&RAI);
    }
    b.push(255);
    b
}

/// The relayed DORA from `relay` (giaddr `ra`) and the unicast renewal
/// from 127.0.0.1 (no giaddr, no option 82) to a server on `port`;
/// returns the leased address.
fn dora_then_renew(relay: &UdpSocket, ra: Ipv4Addr, port: u16) -> Ipv4Addr {
    let server = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let mut buf = [0u8; 2048];
    relay
        .send_to(&packet(1, Ipv4Addr::UNSPECIFIED, ra, &[], true), server)
        .unwrap();
    let (n, _) = relay.recv_from(&mut buf).expect("OFFER");
    assert!(n > 240);
    let yiaddr = Ipv4Addr::new(buf[16], buf[17], buf[18], buf[19]);
    let mut opts = vec![50, 4];
    opts.extend_from_slice(&yiaddr.octets());
    opts.extend_from_slice(&[54, 4, 127, 0, 0, 1]);
    relay
        .send_to(&packet(3, Ipv4Addr::UNSPECIFIED, ra, &opts, true), server)
        .unwrap();
    let (n, _) = relay.recv_from(&mut buf).expect("ACK");
    assert_eq!(&buf[240..243.min(n)], &[53, 1, 5], "an ACK");
    // RENEWING: the reply goes to ciaddr (not reachable here); the lease
    // file tells what the server did.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .send_to(
            &packet(3, yiaddr, Ipv4Addr::UNSPECIFIED, &[], false),
            server,
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    yiaddr
}

/// The user contexts of the rows of `addr` in a Kea-format DHCPv4 lease
/// file, in file order.
fn contexts(csv: &str, addr: Ipv4Addr) -> Vec<String> {
    let Some(header) = csv.lines().next() else {
        return Vec::new();
    };
    let col = header.split(',').position(|h| h == "user_context").unwrap();
    csv.lines()
        .filter(|l| l.starts_with(&format!("{addr},")))
        .map(|l| l.split(',').nth(col).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn dhcp4_extended_info_survives_a_renewal_as_in_kea() {
    let test = "v4_extended_info_renewal";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let config = |file: &str| {
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "{file}", "lfc-interval": 0 }},
  "store-extended-info": true,
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ {{ "output": "stdout" }} ] }} ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }} }} ]
}} }}"#
        )
    };
    let kea_dir = tempfile::tempdir().unwrap();
    let kea_file = kea_dir.path().join("kea-leases4.csv");
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &config(kea_file.to_str().unwrap()),
        &args,
        "DHCP4_STARTED",
        test,
    ) else {
        return;
    };
    let srv = Server::start(&config("@DIR@/leases4.csv"));
    let relay = UdpSocket::bind(SocketAddrV4::new(ra, 67)).unwrap();
    relay
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let a_kea = dora_then_renew(&relay, ra, kea.port);
    let a_ruru = dora_then_renew(&relay, ra, srv.port);
    let kea_rows = contexts(&std::fs::read_to_string(&kea_file).unwrap(), a_kea);
    let ruru_rows = contexts(&srv.lease_file("leases4.csv"), a_ruru);
    assert_eq!(
        kea_rows.len(),
        2,
        "Kea wrote the ACK and the renewal: {kea_rows:?}"
    );
    assert_eq!(
        kea_rows[1],
        r#"{ "ISC": { "relay-agent-info": "0x0104706F7274" } }"#
    );
    assert_eq!(ruru_rows, kea_rows);
}
