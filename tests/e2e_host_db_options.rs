//! Options of reservations in a hosts database (Kea 2.2's schema, made by
//! Kea's `kea-admin db-init`), as ISC Kea 2.2's `kea-dhcp4` and
//! `kea-dhcp6` serve them (DHCPv6: `dhcp6_options`, option 17):
//! rows of `dhcp4_options` in space `dhcp4` are options, rows of a
//! `vendor-N` space are sub-options of vendor N's option 125 (sent to a
//! client that sends a 125 for that vendor: its always-send ones, and for
//! DOCSIS, vendor 4491, those it asks for in its option request
//! sub-option), rows of other spaces are not sent; a row's
//! `formatted_value` (Kea's CSV text, what Kea itself writes) is encoded
//! with the option's definition (Kea's, or one of the configuration's
//! `option-def`), its binary `value` used otherwise.
//!
//! Kea and ruru run at once on the same database, each behind its own
//! relay, and must send the same bytes (but for a Kea 2.2 MySQL bug: a row
//! whose `value` is NULL is read with the previous row's value). For PostgreSQL and MySQL/MariaDB;
//! Kea (`kea-dhcp4`, `kea-admin`) or a database missing is a SKIP (a
//! failure under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

use common::db::*;
use common::kea::Kea;
use common::*;

/// The host (hardware address 02:00:00:00:17:01, subnet 1, hostname
/// "h1") and its option rows, in each database's syntax for bytes.
fn host_sql(kind: Kind) -> String {
    let b = |hex: &str| match kind {
        Kind::Pg => format!("'\\x{hex}'::bytea"),
        Kind::My => format!("X'{hex}'"),
    };
    let (t, f) = match kind {
        Kind::Pg => ("true", "false"),
        Kind::My => ("1", "0"),
    };
    format!(
        "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, hostname) \
         VALUES ({}, 0, 1, 'h1');
         INSERT INTO dhcp4_options (code, value, formatted_value, space, persistent, host_id, scope_id) VALUES
         (2, NULL, '192.0.2.1, 192.0.2.2', 'vendor-4491', {f}, 1, 3),
         (5, {}, NULL, 'vendor-4491', {t}, 1, 3),
         (15, NULL, 'db.example', 'dhcp4', {f}, 1, 3),
         (3, {}, NULL, 'vendor-4491', {f}, 1, 3),
         (9, {}, NULL, 'foo-space', {t}, 1, 3),
         (7, NULL, 'abc', 'vendor-1234', {t}, 1, 3),
         (42, {}, NULL, 'dhcp4', {t}, 1, 3),
         (222, NULL, '1, 2, 513', 'dhcp4', {t}, 1, 3),
         (223, NULL, '7, 192.0.2.9, ab', 'dhcp4', {t}, 1, 3);",
        b("020000001701"),
        b("0a0b"),
        b("0c"),
        b("0d"),
        b("c0000203"),
    )
}

/// A DISCOVER of the reserved client relayed by `relay`, with PRL `prl`
/// and a raw option 125 when given.
fn discover(xid: u32, relay: Ipv4Addr, prl: &[u8], vivso: Option<&[u8]>) -> Vec<u8> {
    let mut m = vec![1, 1, 6, 1];
    m.extend(xid.to_be_bytes());
    m.extend([0; 4 + 12]);
    m.extend(relay.octets());
    m.extend([2, 0, 0, 0, 0x17, 1]);
    m.extend([0; 10 + 64 + 128]);
    m.extend([99, 130, 83, 99, 53, 1, 1, 55, prl.len() as u8]);
    m.extend(prl);
    if let Some(v) = vivso {
        m.extend([125, v.len() as u8]);
        m.extend(v);
    }
    m.push(255);
    m
}

/// The reply to `q` sent to the server at `port` through `sock`.
fn exchange(sock: &UdpSocket, port: u16, q: &[u8]) -> Vec<u8> {
    sock.send_to(q, SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(3);
    let mut buf = [0u8; 2048];
    while Instant::now() < end {
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            break;
        };
        if buf.get(4..8) == q.get(4..8) {
            return buf[..n].to_vec();
        }
    }
    panic!("no reply from port {port}");
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A DISCOVER's PRL and option 125, and the option 125 of the reply.
type Case<'a> = (&'a [u8], Option<&'a [u8]>, Option<Vec<u8>>);

fn vendor_options_from_db(kind: Kind, test: &str) {
    let (ta, tb) = (format!("{test}_kea"), format!("{test}_ruru"));
    if !can_bind_67(&ta) || !can_bind_67(&tb) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    if let Err(why) = kea_admin_init(&db) {
        skip(test, &why);
        return;
    }
    for stmt in host_sql(kind).split(';').filter(|s| !s.trim().is_empty()) {
        kind.exec(&db.opts, stmt).unwrap();
    }
    let (ra, rb) = (relay_addr_for(&ta), relay_addr_for(&tb));
    // The leases in memory; the hosts in the database.
    let config = db.config(&[ra, rb]).replacen(
        r#""lease-database": {"#,
        r#""lease-database": { "type": "memfile", "persist": false },
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "stdout" } ] } ],
  "hosts-database": {"#,
        1,
    );
    // Options the configuration defines, stored as formatted_value.
    let config = config.replacen(
        r#""valid-lifetime": 3600,"#,
        r#""valid-lifetime": 3600,
  "option-def": [ { "name": "site-list", "code": 222, "type": "uint16", "array": true },
                  { "name": "site-loc", "code": 223, "type": "record",
                    "record-types": "uint8, ipv4-address, string" } ],"#,
        1,
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
    let ruru = Server::start(&config);
    let socks: Vec<(UdpSocket, u16)> = [(ra, kea.port), (rb, ruru.port)]
        .into_iter()
        .map(|(a, port)| {
            let s = UdpSocket::bind(SocketAddrV4::new(a, 67)).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            (s, port)
        })
        .collect();

    // (PRL, option 125 of the client, the 125 both must send).
    let cases: &[Case] = &[
        // No 125 from the client: none, although it asks for 125.
        (&[1, 3, 15, 125], None, None),
        // DOCSIS: sub-options 2 (formatted_value through Kea's definition
        // of docsis3-v4 tftp-servers), 3 and 5 (binary) asked for, in code
        // order; 5 is always-send.
        (
            &[1, 3, 15],
            Some(&[0, 0, 0x11, 0x8b, 5, 1, 3, 2, 3, 5]),
            Some(hex("0000118b 11 0208c0000201c0000202 03010c 05020a0b")),
        ),
        // Nothing asked for: the always-send one.
        (
            &[1, 3],
            Some(&[0, 0, 0x11, 0x8b, 0]),
            Some(hex("0000118b 04 05020a0b")),
        ),
        // Vendor 1234: its always-send sub-option 7, formatted_value
        // without a definition, so the (empty) binary value.
        (
            &[1, 3],
            Some(&[0, 0, 0x04, 0xd2, 0]),
            Some(hex("000004d2 02 0700")),
        ),
    ];
    for (i, (prl, vivso, want)) in cases.iter().enumerate() {
        let mut got = Vec::new();
        for (j, (sock, port)) in socks.iter().enumerate() {
            let relay = [ra, rb][j];
            let r = exchange(
                sock,
                *port,
                &discover(0x4400 + i as u32, relay, prl, *vivso),
            );
            got.push((
                raw_option(&r, 125),
                raw_option(&r, 15),
                raw_option(&r, 42),
                raw_option(&r, 9),
                (raw_option(&r, 222), raw_option(&r, 223)),
            ));
        }
        // Kea 2.2's MySQL backend reads a NULL `value` as the previous
        // row's (here the foo-space row's 0d): vendor 1234's sub-option 7
        // comes out as `07 01 0d` there; PostgreSQL's gives `07 00`.
        if matches!(kind, Kind::My) && i == 3 {
            assert_eq!(
                got[0].0,
                Some(hex("000004d2 03 07010d")),
                "Kea's MySQL quirk"
            );
            assert_eq!(got[0].1, got[1].1);
        } else {
            assert_eq!(got[0], got[1], "case {i}: Kea's (left) and ruru's");
        }
        assert_eq!(&got[1].0, want, "case {i}: option 125");
        // The dhcp4 rows: 15 from its formatted_value, 42 always sent from
        // its binary value; the foo-space row is not sent.
        assert_eq!(got[1].1.as_deref(), Some(&b"db.example"[..]), "case {i}");
        assert_eq!(got[1].2, Some(vec![192, 0, 2, 3]), "case {i}");
        assert_eq!(got[1].3, None, "case {i}");
        // The rows of options of the configuration's option-def: their
        // formatted_value through those definitions (always sent).
        assert_eq!(got[0].4, got[1].4, "case {i}: Kea's and ruru's 222, 223");
        assert_eq!(
            got[1].4,
            (
                Some(vec![0, 1, 0, 2, 2, 1]),
                Some(vec![7, 192, 0, 2, 9, b'a', b'b'])
            ),
            "case {i}"
        );
    }
    drop(kea);
}

#[test]
fn host_db_vendor_options_postgresql() {
    vendor_options_from_db(Kind::Pg, "hostopt_pg");
}

#[test]
fn host_db_vendor_options_mysql() {
    vendor_options_from_db(Kind::My, "hostopt_my");
}

/// The DHCPv6 host (DUID 00:03:00:01:02:00:00:00:00:01, subnet 1) and its
/// option rows (PostgreSQL).
const HOST6_SQL: &str = "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, hostname) \
     VALUES ('\\x00030001020000000001'::bytea, 1, 1, 'h6');
     INSERT INTO dhcp6_options (code, value, formatted_value, space, persistent, host_id, scope_id) VALUES
     (32, NULL, '2001:db8::31, 2001:db8::32', 'vendor-4491', false, 1, 3),
     (33, NULL, 'cm.cfg', 'vendor-4491', false, 1, 3),
     (36, '\\x0a0b'::bytea, NULL, 'vendor-4491', true, 1, 3),
     (23, NULL, '2001:db8::53', 'dhcp6', false, 1, 3),
     (9, '\\x0d'::bytea, NULL, 'foo-space', true, 1, 3),
     (7, NULL, 'abc', 'vendor-1234', true, 1, 3);";

/// The options of the client message in the Relay-reply to a Solicit with
/// ORO `oro` and option 17 `vendor` (when given), relayed from link
/// 2001:db8:1::1 to the server at `port`.
fn solicit6(
    sock: &UdpSocket,
    port: u16,
    oro: &[u16],
    vendor: Option<&[u8]>,
) -> Vec<(u16, Vec<u8>)> {
    use common::v6::{duid, put};
    let mut m = vec![1, 0, 0x44, 1];
    put(&mut m, 1, &duid(1));
    let oro: Vec<u8> = oro.iter().flat_map(|c| c.to_be_bytes()).collect();
    put(&mut m, 6, &oro);
    if let Some(v) = vendor {
        put(&mut m, 17, v);
    }
    let mut fw = vec![12, 0];
    fw.extend(
        "2001:db8:1::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    fw.extend("fe80::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    put(&mut fw, 9, &m);
    let to = std::net::SocketAddrV6::new(std::net::Ipv6Addr::LOCALHOST, port, 0, 0);
    sock.send_to(&fw, to).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).expect("Relay-reply");
    let inner = tlvs(&buf[34..n])
        .into_iter()
        .find(|(c, _)| *c == 9)
        .expect("relay message")
        .1;
    tlvs(&inner[4..])
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

/// A Solicit's ORO and option 17, and the option 17 of the reply.
type Case6<'a> = (&'a [u16], Option<Vec<u8>>, Option<Vec<u8>>);

#[test]
fn host_db_vendor_options_dhcpv6_postgresql() {
    let test = "hostopt6_pg";
    let _g = common::v6::ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let Some(db) = Db::new(Kind::Pg, test) else {
        return;
    };
    if let Err(why) = kea_admin_init(&db) {
        skip(test, &why);
        return;
    }
    for stmt in HOST6_SQL.split(';').filter(|s| !s.trim().is_empty()) {
        Kind::Pg.exec(&db.opts, stmt).unwrap();
    }
    let Some(sock) = common::v6::bind_relay(test) else {
        return;
    };
    let config = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo/::1"] }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "server-id": {{ "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false }},
  "hosts-database": {{ "type": "postgresql", "name": "{}", "host": "127.0.0.1", "user": "postgres" }},
  "loggers": [ {{ "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ {{ "output": "stdout" }} ] }} ],
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
    "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#,
        db.opts.name
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
    let ruru = Server::start(&config);
    let get = |opts: &[(u16, Vec<u8>)], code: u16| {
        opts.iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.clone())
    };
    // (ORO, option 17 of the client, the option 17 both must send).
    let cases: &[Case6] = &[
        // No 17 from the client: none.
        (&[23, 17], None, None),
        // DOCSIS asks for 32 and 33 (ORO sub-option 1): both, encoded from
        // their formatted_value with Kea's docsis3-v6 definitions, and
        // the always-send 36, in code order.
        (
            &[23],
            Some(hex("0000118b 0001 0004 0020 0021")),
            Some(hex(
                "0000118b 0020 0020 20010db8000000000000000000000031 20010db8000000000000000000000032 \
                 0021 0006 636d2e636667 0024 0002 0a0b",
            )),
        ),
        // Vendor 1234: its always-send 7, no definition: the empty value.
        (&[23], Some(hex("000004d2")), Some(hex("000004d2 0007 0000"))),
    ];
    for (i, (oro, vendor, want)) in cases.iter().enumerate() {
        let k = solicit6(&sock, kea.port, oro, vendor.as_deref());
        let r = solicit6(&sock, ruru.port, oro, vendor.as_deref());
        for code in [17, 23, 9] {
            assert_eq!(
                get(&k, code),
                get(&r, code),
                "case {i}, option {code}: Kea's (left) and ruru's"
            );
        }
        assert_eq!(&get(&r, 17), want, "case {i}: option 17");
        assert_eq!(
            get(&r, 23),
            Some(hex("20010db8000000000000000000000053")),
            "case {i}"
        );
        assert_eq!(get(&r, 9), None, "case {i}");
    }
    drop(kea);
}
