//! Mixed fleets for DHCPv6 (issue 19): ISC Kea 2.2's `kea-dhcp6` and
//! ruru on one lease and hosts database in Kea's own schema (made by Kea's
//! `kea-admin db-init`), serving one subnet (addresses and delegated
//! prefixes) at the same time, each behind its own relay:
//!
//! - clients of both servers at once (Solicit, Request): every address and
//!   every prefix given is distinct and stored once in `lease6`, for the
//!   client that got it, and the rows either server writes are alike;
//! - a lease from one server is renewed (Renew, with that server's
//!   identifier) and rebound (Rebind) through the other: same address, same
//!   prefix, still one row each;
//! - a host inserted by plain SQL into Kea's `hosts` and
//!   `ipv6_reservations` tables applies on both servers;
//! - a Release through either server deletes the lease's rows, as Kea 2.2
//!   does;
//! - Kea's `lease6_stat` stays consistent with `lease6`: it matches a count
//!   of the leases, and `kea-admin stats-recount` changes nothing;
//! - a relay with RFC 8357's Relay Source Port option gets its Relay-reply
//!   on its own port from either server, the option echoed.
//!
//! For PostgreSQL and MySQL/MariaDB. Kea (`kea-dhcp6`, Debian package
//! `kea-dhcp6-server`), `kea-admin`, a database or the relay port
//! [::1]:547 missing is a SKIP (a failure under `RURU_REQUIRE_ALL=1`).
//! Kea runs on [::1] on a port of its own (`-p`); both servers send their
//! Relay-replies to [::1]:547, where one socket serves both relays.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::Ipv6Addr;

use common::db::*;
use common::kea::Kea;
use common::v6::*;
use common::*;
use dhcproto::v6::{self, DhcpOption};
use ruru_lease::{LeaseState, LeaseType6};

/// The link addresses of the two relays (Kea's, ruru's): both in the
/// subnet, which each server selects by it.
const LINKS: [&str; 2] = ["2001:db8:1::1", "2001:db8:1::2"];

/// Clients per server in the concurrent part.
const PER_SERVER: u8 = 20;

/// The configuration both servers run (Kea's format), with the server
/// identifier `sid` (a DUID-LL of hardware address `sid`, not kept in a
/// file: each server of the fleet has its own).
fn config6(db: &Db, sid: &str) -> String {
    let database = format!(
        r#"{{ "type": "{}", "name": "{}", "host": "127.0.0.1", "user": "{}",
       "connect-timeout": 3, "max-reconnect-tries": 2, "reconnect-wait-time": 100 }}"#,
        db.kind.type_name(),
        db.opts.name,
        db.kind.user()
    );
    format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo/::1"] }},
  "lease-database": {database},
  "hosts-database": {database},
  "server-id": {{ "type": "LL", "htype": 1, "identifier": "{sid}", "persist": false }},
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [ {{
    "id": 1, "subnet": "2001:db8:1::/64",
    "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
    "pd-pools": [ {{ "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }} ]
  }} ],
  "loggers": [ {{ "name": "kea-dhcp6", "severity": "INFO",
                 "output_options": [ {{ "output": "stdout" }} ] }} ]
}} }}"#
    )
}

/// One side of the fleet: a server's port, its relay's link address and
/// its DUID.
struct Side {
    port: u16,
    link: Ipv6Addr,
    duid: Vec<u8>,
}

/// What client `n` holds: its address and its prefix.
type Held = (Ipv6Addr, (Ipv6Addr, u8));

/// The address and prefix a reply gives (with a non-zero lifetime), with
/// the IA status codes it carries.
fn given(m: &v6::Message) -> (Option<Ipv6Addr>, Option<(Ipv6Addr, u8)>, Vec<u16>) {
    let (mut a, mut p, mut status) = (None, None, Vec::new());
    for o in m.opts().iter() {
        let opts = match o {
            DhcpOption::IANA(ia) => &ia.opts,
            DhcpOption::IAPD(ia) => &ia.opts,
            _ => continue,
        };
        for x in opts.iter() {
            match x {
                DhcpOption::IAAddr(x) if x.valid_life > 0 => a = Some(x.addr),
                DhcpOption::IAPrefix(x) if x.valid_lifetime > 0 => {
                    p = Some((x.prefix_ip, x.prefix_len))
                }
                DhcpOption::StatusCode(c) => status.push(u16::from(c.status)),
                _ => {}
            }
        }
    }
    (a, p, status)
}

/// The message's top-level status code, if any.
fn top_status(m: &v6::Message) -> Option<u16> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::StatusCode(c) => Some(u16::from(c.status)),
        _ => None,
    })
}

/// Client `n`'s Solicit and Request through `side`, started again when
/// the Request gets no reply or no address and prefix (another server may
/// have taken them meanwhile); `None` after 40 tries.
fn sarr(mux: &RelayMux6, side: &Side, n: u8) -> Option<Held> {
    for _ in 0..40 {
        let ias = [ia_na(1, None), ia_pd(2, None)];
        let Some(adv) = mux.exchange(side.link, side.port, &msg(1, n, None, &ias)) else {
            continue;
        };
        let (Some(a), Some(p), _) = given(&adv) else {
            continue;
        };
        let sid = server_duid(&adv);
        let ias = [ia_na(1, Some(a)), ia_pd(2, Some(p))];
        let Some(rep) = mux.exchange(side.link, side.port, &msg(3, n, Some(&sid), &ias)) else {
            continue;
        };
        if let (Some(a), Some(p), _) = given(&rep) {
            return Some((a, p));
        }
    }
    None
}

/// Renew (with `side`'s identifier) or Rebind (`renew` false) of what
/// client `n` holds, through `side`: what the Reply gives.
fn extend(mux: &RelayMux6, side: &Side, n: u8, held: Held, renew: bool) -> Held {
    let ias = [ia_na(1, Some(held.0)), ia_pd(2, Some(held.1))];
    let m = if renew {
        msg(5, n, Some(&side.duid), &ias)
    } else {
        msg(6, n, None, &ias)
    };
    let rep = mux
        .exchange(side.link, side.port, &m)
        .unwrap_or_else(|| panic!("no Reply to client {n}'s Renew/Rebind"));
    let (a, p, status) = given(&rep);
    (
        a.unwrap_or_else(|| panic!("client {n}: no address in {rep:?} ({status:?})")),
        p.unwrap_or_else(|| panic!("client {n}: no prefix in {rep:?} ({status:?})")),
    )
}

/// Client `n`'s Release of what it holds through `side`: the Reply's
/// status code.
fn release(mux: &RelayMux6, side: &Side, n: u8, held: Held) -> Option<u16> {
    let ias = [ia_na(1, Some(held.0)), ia_pd(2, Some(held.1))];
    let rep = mux
        .exchange(side.link, side.port, &msg(8, n, Some(&side.duid), &ias))
        .unwrap_or_else(|| panic!("no Reply to client {n}'s Release"));
    top_status(&rep)
}

/// `lease6_stat`'s non-zero rows, and the same counts made from `lease6`
/// (Kea counts states 0 and 1, assigned and declined).
fn stats(db: &Db) -> (String, String) {
    (
        query(
            db,
            "SELECT subnet_id, lease_type, state, leases FROM lease6_stat \
             WHERE leases <> 0 ORDER BY subnet_id, lease_type, state",
        ),
        query(
            db,
            "SELECT subnet_id, lease_type, state, COUNT(*) FROM lease6 \
             WHERE state IN (0, 1) GROUP BY subnet_id, lease_type, state \
             ORDER BY subnet_id, lease_type, state",
        ),
    )
}

/// Inserts, by SQL, a DHCPv6 host for client `n` in subnet 1 reserving
/// `addr` and `prefix`.
fn insert_host(db: &Db, n: u8, addr: Ipv6Addr, prefix: (Ipv6Addr, u8)) {
    let hex: String = duid(n).iter().map(|b| format!("{b:02x}")).collect();
    let id = match db.kind {
        Kind::Pg => format!("'\\x{hex}'::bytea"),
        Kind::My => format!("x'{hex}'"),
    };
    db.kind
        .exec(
            &db.opts,
            &format!(
                "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id) \
                 VALUES ({id}, 1, 1)"
            ),
        )
        .unwrap();
    for (a, len, t) in [(addr, 128, 0), (prefix.0, prefix.1, 2)] {
        db.kind
            .exec(
                &db.opts,
                &format!(
                    "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
                     SELECT '{a}', {len}, {t}, host_id FROM hosts \
                     WHERE dhcp6_subnet_id = 1 AND dhcp_identifier_type = 1 \
                     AND dhcp_identifier = {id}"
                ),
            )
            .unwrap();
    }
}

/// Sends `client_msg` to `side` from a relay on an ephemeral port of
/// [::1], with an Interface-Id and a Relay Source Port option (RFC 8357);
/// the option codes of the Relay-reply that comes back to that port.
fn source_port_relay(side: &Side, client_msg: &[u8]) -> Vec<u16> {
    let sock = std::net::UdpSocket::bind("[::1]:0").unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    let mut fw = vec![12, 0];
    fw.extend_from_slice(&side.link.octets());
    fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 18, b"port-1");
    put(&mut fw, 135, &[0, 0]);
    put(&mut fw, 9, client_msg);
    sock.send_to(&fw, ("::1", side.port)).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock
        .recv_from(&mut buf)
        .expect("a Relay-reply on the relay's own port");
    let b = &buf[..n];
    assert_eq!(b[0], 13, "Relay-reply");
    let (mut i, mut codes) = (34, Vec::new());
    while i + 4 <= b.len() {
        codes.push(u16::from_be_bytes([b[i], b[i + 1]]));
        i += 4 + usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
    }
    codes
}

fn mixed_fleet6(kind: Kind, test: &str) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    if let Err(why) = kea_admin_init(&db) {
        skip(test, &why);
        return;
    }
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let mux = RelayMux6::new(sock);
    let kea_port = free_port();
    let Some(kea) = Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        &config6(&db, "0a0b0c0d0e01"),
        &["-p".to_string(), kea_port.to_string()],
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    let ruru = Server::start(&config6(&db, "0a0b0c0d0e02"));
    let sides = [
        Side {
            port: kea.port,
            link: LINKS[0].parse().unwrap(),
            duid: vec![0, 3, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x01],
        },
        Side {
            port: ruru.port,
            link: LINKS[1].parse().unwrap(),
            duid: vec![0, 3, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x02],
        },
    ];
    // Each server answers with its own identifier.
    for side in &sides {
        let adv = mux
            .exchange(side.link, side.port, &msg(1, 1, None, &[ia_na(1, None)]))
            .expect("Advertise");
        assert_eq!(server_duid(&adv), side.duid);
    }

    // A relay on a port of its own (RFC 8357's Relay Source Port option)
    // gets its Relay-reply there from either server, the option echoed.
    for side in &sides {
        assert_eq!(
            source_port_relay(side, &msg(1, 2, None, &[ia_na(1, None)])),
            vec![18, 135, 9],
            "the Relay-reply's options, server on port {}",
            side.port
        );
    }

    // 40 clients, 20 per server, both servers at once.
    let results: Vec<(usize, u8, Held)> = std::thread::scope(|scope| {
        let handles: Vec<_> = sides
            .iter()
            .enumerate()
            .map(|(s, side)| {
                let mux = &mux;
                scope.spawn(move || {
                    (0..PER_SERVER)
                        .map(|i| {
                            let n = 10 + u8::try_from(s).unwrap() * PER_SERVER + i;
                            let held = sarr(mux, side, n)
                                .unwrap_or_else(|| panic!("client {n} (server {s}): no Reply"));
                            (s, n, held)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let addrs: BTreeSet<Ipv6Addr> = results.iter().map(|r| r.2 .0).collect();
    let prefixes: BTreeSet<(Ipv6Addr, u8)> = results.iter().map(|r| r.2 .1).collect();
    assert_eq!(
        addrs.len(),
        results.len(),
        "an address given twice: {results:?}"
    );
    assert_eq!(
        prefixes.len(),
        results.len(),
        "a prefix given twice: {results:?}"
    );
    let rows = db.store().all6();
    assert_eq!(rows.len(), 2 * results.len(), "{rows:?}");
    for (s, n, (a, p)) in &results {
        for (addr, len, t, iaid) in [(*a, 128, LeaseType6::Na, 1), (p.0, p.1, LeaseType6::Pd, 2)] {
            let row = rows
                .iter()
                .find(|l| l.address == addr)
                .unwrap_or_else(|| panic!("{addr} (client {n}, server {s}) stored"));
            // The same row whichever server wrote it.
            assert_eq!(
                (
                    &row.duid[..],
                    row.lease_type,
                    row.iaid,
                    row.prefix_len,
                    row.subnet_id,
                    row.valid_lifetime,
                    row.pref_lifetime,
                    row.state
                ),
                (
                    &duid(*n)[..],
                    t,
                    iaid,
                    len,
                    1,
                    4000,
                    3000,
                    LeaseState::Default
                ),
                "server {s}, client {n}: {row:?}"
            );
            assert_eq!(
                (&row.hwaddr[..], row.hwtype),
                (&[2, 0, 0, 0, 0, *n][..], 1),
                "server {s}, client {n}: {row:?}"
            );
        }
    }
    // Every column but the address, the client's and the times is the same
    // in the rows of both servers: one row shape per lease type.
    let shape = "SELECT DISTINCT lease_type, iaid, prefix_len, subnet_id, valid_lifetime, \
                 pref_lifetime, fqdn_fwd, fqdn_rev, COALESCE(hostname, 'NULL'), state, hwtype, \
                 hwaddr_source, COALESCE(user_context, 'NULL') FROM lease6";
    let shapes = query(&db, &format!("SELECT COUNT(*) FROM ({shape}) AS shapes"));
    assert_eq!(
        shapes,
        "2",
        "the rows of Kea and of ruru differ: {}",
        query(&db, &format!("{shape} ORDER BY lease_type"))
    );
    let (stat, count) = stats(&db);
    assert_eq!(stat, format!("1 0 0 {n} 1 2 0 {n}", n = results.len()));
    assert_eq!(stat, count, "lease6_stat and lease6");

    // A lease of each server renewed, then rebound, through the other.
    for (from, via) in [(0, 1), (1, 0)] {
        let &(_, n, held) = results.iter().find(|r| r.0 == from).unwrap();
        for renew in [true, false] {
            assert_eq!(
                extend(&mux, &sides[via], n, held, renew),
                held,
                "client {n} of server {from} through server {via} (renew: {renew})"
            );
        }
    }
    assert_eq!(db.store().all6().len(), 2 * results.len());

    // A host inserted by SQL applies on both servers.
    let r_addr: Ipv6Addr = "2001:db8:1::77".parse().unwrap();
    let r_prefix: (Ipv6Addr, u8) = ("2001:db8:9:100::".parse().unwrap(), 56);
    insert_host(&db, 200, r_addr, r_prefix);
    for side in &sides {
        let adv = mux
            .exchange(
                side.link,
                side.port,
                &msg(1, 200, None, &[ia_na(1, None), ia_pd(2, None)]),
            )
            .expect("Advertise to the reserved client");
        assert_eq!(
            (given(&adv).0, given(&adv).1),
            (Some(r_addr), Some(r_prefix)),
            "server on port {}: {adv:?}",
            side.port
        );
    }
    // Leased through ruru, renewed through Kea.
    let held = sarr(&mux, &sides[1], 200).expect("the reserved client's Reply");
    assert_eq!(held, (r_addr, r_prefix));
    assert_eq!(extend(&mux, &sides[0], 200, held, true), held);

    // A Release through either server deletes the rows (as Kea 2.2 does),
    // for a lease of either.
    let before = db.store().all6().len();
    let mut released = 0;
    for (from, via) in [(0, 1), (1, 0), (0, 0), (1, 1)] {
        let &(_, n, held) = results.iter().filter(|r| r.0 == from).nth(1 + via).unwrap();
        assert_eq!(
            release(&mux, &sides[via], n, held),
            Some(0),
            "client {n} of server {from} released through server {via}"
        );
        released += 1;
        let rows = db.store().all6();
        assert!(
            !rows
                .iter()
                .any(|l| l.address == held.0 || l.address == held.1 .0),
            "client {n} of server {from} released through server {via}: {rows:?}"
        );
        assert_eq!(rows.len(), before - 2 * released);
    }

    // Kea's statistics agree with the leases: a recount changes nothing.
    let (stat, count) = stats(&db);
    let leases = before / 2 - released;
    assert_eq!(stat, format!("1 0 0 {leases} 1 2 0 {leases}"));
    assert_eq!(stat, count, "lease6_stat and lease6");
    drop((kea, ruru));
    kea_admin(&db, "stats-recount", &[]).unwrap();
    assert_eq!(stats(&db).0, stat, "kea-admin stats-recount");
}

#[test]
fn pg_mixed_fleet6() {
    mixed_fleet6(Kind::Pg, "pg_mixed6");
}

#[test]
fn mysql_mixed_fleet6() {
    mixed_fleet6(Kind::My, "my_mixed6");
}
