//! Mixed fleets (issue 19): ISC Kea 2.2's `kea-dhcp4` and ruru on one lease
//! database in Kea's own schema (made by Kea's `kea-admin db-init`), serving
//! one subnet at the same time, each behind its own relay:
//!
//! - clients of both servers at once: every ACKed address is distinct and
//!   stored once, for the client that got it;
//! - a lease from one server is confirmed through the other (INIT-REBOOT):
//!   same address, ACKed;
//! - Kea's statistics table stays consistent with the leases both wrote:
//!   `kea-admin stats-recount` changes nothing;
//! - ruru's own tools on that database: `ruru db stats-recount` repairs a
//!   wrong count, `ruru db lease-dump` writes the rows `kea-admin
//!   lease-dump` writes, and `ruru db lease-upload` of that dump into a new
//!   database gives back every lease and Kea's statistics.
//!
//! For PostgreSQL and MySQL/MariaDB. Kea (`kea-dhcp4`, Debian package
//! `kea-dhcp4-server`), `kea-admin` or a database missing is a SKIP (a
//! failure under `RURU_REQUIRE_ALL=1`). Kea runs on loopback on a port of
//! its own (`-p`), with its pid and lock files in a temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use common::db::*;
use common::kea::Kea;
use common::*;
use dhcproto::v4::MessageType;

/// Starts `kea-dhcp4` on `config` (Kea's format, given loggers to
/// stdout here), listening on a free port of 127.0.0.1; `None` (SKIP)
/// when Kea is not installed.
fn start_kea(config: &str, test: &str) -> Option<Kea> {
    let config = config.replacen(
        r#""valid-lifetime": 3600,"#,
        r#""valid-lifetime": 3600,
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "stdout" } ] } ],"#,
        1,
    );
    let args = ["-p".to_string(), free_port().to_string()];
    Kea::start(
        "kea-dhcp4",
        "kea-dhcp4-server",
        &config,
        &args,
        "DHCP4_STARTED",
        test,
    )
}

/// Kea's `lease4_stat` rows (subnet, state, count).
fn lease4_stat(db: &Db) -> String {
    query(
        db,
        "SELECT subnet_id, state, leases FROM lease4_stat ORDER BY subnet_id, state",
    )
}

fn mixed_fleet(kind: Kind, test: &str) {
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
    let (ra, rb) = (relay_addr_for(&ta), relay_addr_for(&tb));
    let config = db.config_with_pool(&[ra, rb], "192.0.2.10 - 192.0.2.249");
    let Some(kea) = start_kea(&config, test) else {
        return;
    };
    let ruru = Server::start(&config);

    // 80 clients, 40 per server, both servers at once. ruru spreads its
    // pool searches (docs/src/databases.md, "Few conflicts"), Kea 2.2 walks
    // its pool from the start: ruru's clients must be ACKed at the first
    // attempt at least 95% of the time, as among ruru servers.
    let tries = first_tries_at_once(&[(ra, kea.port), (rb, ruru.port)], 40);
    for (side, name) in [(0, "Kea 2.2"), (1, "ruru")] {
        let mine: Vec<&FirstTry> = tries.iter().filter(|t| t.side == side).collect();
        let first = mine.iter().filter(|t| t.acked).count();
        let naks = mine.iter().filter(|t| t.naked).count();
        eprintln!(
            "{test}: {name}: {first}/{} ACKed at the first attempt ({:.1}%), {naks} NAKed",
            mine.len(),
            100.0 * first as f64 / mine.len() as f64
        );
        if side == 1 {
            assert!(
                first * 100 >= mine.len() * 95,
                "ruru: {first}/{} at the first attempt",
                mine.len()
            );
        }
    }
    let results: Vec<(u8, u8, Ipv4Addr)> = tries.iter().map(|t| (t.side, t.n, t.addr)).collect();
    let distinct: BTreeSet<Ipv4Addr> = results.iter().map(|r| r.2).collect();
    assert_eq!(
        distinct.len(),
        results.len(),
        "an address was given twice: {results:?}"
    );
    let rows = db.store().all4();
    assert_eq!(rows.len(), results.len(), "{rows:?}");
    for (_, n, a) in &results {
        let row = rows
            .iter()
            .find(|l| l.addr == *a)
            .expect("ACKed lease stored");
        assert_eq!(row.hwaddr, vec![0x02, 0x00, 0x5e, 0x10, 0x00, *n], "{a}");
    }

    // Every column but the address, the client's and the times is the same
    // in the rows of both servers (NULL and '' told apart).
    let shape = "SELECT DISTINCT subnet_id, valid_lifetime, fqdn_fwd, fqdn_rev, \
                 COALESCE(hostname, 'NULL'), state, COALESCE(user_context, 'NULL'), \
                 client_id IS NULL FROM lease4";
    assert_eq!(
        query(&db, &format!("SELECT COUNT(*) FROM ({shape}) AS shapes")),
        "1",
        "the rows of Kea and of ruru differ: {}",
        query(&db, shape)
    );

    // A lease of each server confirmed through the other (INIT-REBOOT).
    for (from, via, port) in [(0u8, rb, ruru.port), (1u8, ra, kea.port)] {
        let &(_, n, a) = results.iter().find(|r| r.0 == from).unwrap();
        let relay = Relay::new(via, port);
        let mut c = Client::new(n, via);
        let ack = relay
            .exchange(&c.request_init_reboot(a))
            .unwrap_or_else(|| panic!("no reply to client {n}'s INIT-REBOOT for {a}"));
        assert_eq!(msg_type(&ack), Some(MessageType::Ack), "client {n}, {a}");
        assert_eq!(ack.yiaddr(), a);
    }
    assert_eq!(db.store().all4().len(), results.len());

    // Kea's statistics agree with the leases: a recount changes nothing.
    let before = lease4_stat(&db);
    assert_eq!(before, format!("1 0 {}", results.len()), "lease4_stat");
    kea_admin(&db, "stats-recount", &[]).unwrap();
    assert_eq!(lease4_stat(&db), before, "kea-admin stats-recount");
    drop((kea, ruru));

    // ruru's own tools on the same database.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, &config).unwrap();
    // stats-recount repairs a wrong count.
    kind.exec(&db.opts, "UPDATE lease4_stat SET leases = 999")
        .unwrap();
    let (ok, text) = ruru_db_args(&["stats-recount"], &cfg);
    assert!(ok, "{text}");
    assert_eq!(lease4_stat(&db), before, "ruru db stats-recount");
    // lease-dump writes what kea-admin lease-dump writes (as a set of rows).
    let ours = dir.path().join("ruru-dump.csv");
    let (ok, text) = ruru_db_args(&["lease-dump", "-4", "-o", ours.to_str().unwrap()], &cfg);
    assert!(ok, "{text}");
    let theirs = dir.path().join("kea-dump.csv");
    kea_admin(&db, "lease-dump", &["-4", "-o", theirs.to_str().unwrap()]).unwrap();
    let rows = |p: &std::path::Path| {
        let text = std::fs::read_to_string(p).unwrap();
        let mut lines: Vec<String> = text.lines().map(normalize_row).collect();
        let header = lines.remove(0);
        lines.sort();
        (header, lines)
    };
    let (ours_header, ours_rows) = rows(&ours);
    let (kea_header, kea_rows) = rows(&theirs);
    assert_eq!(ours_header, kea_header);
    assert_eq!(ours_rows.len(), results.len());
    assert_eq!(
        ours_rows, kea_rows,
        "ruru db lease-dump and kea-admin lease-dump"
    );
    // lease-upload into a new database gives back every lease.
    let Some(db2) = Db::new(kind, &format!("{test}_up")) else {
        return;
    };
    kea_admin_init(&db2).unwrap();
    let cfg2 = dir.path().join("ruru2.json");
    std::fs::write(&cfg2, db2.config(&[ra])).unwrap();
    let (ok, text) = ruru_db_args(&["lease-upload", "-4", "-i", ours.to_str().unwrap()], &cfg2);
    assert!(ok, "{text}");
    assert!(
        text.contains(&format!("{} leases uploaded", results.len())),
        "{text}"
    );
    let mut a = db.store().all4();
    let mut b = db2.store().all4();
    a.sort_by_key(|l| l.addr);
    b.sort_by_key(|l| l.addr);
    assert_eq!(a, b, "leases after lease-dump | lease-upload");
    assert_eq!(
        lease4_stat(&db2),
        before,
        "statistics of the uploaded leases"
    );
}

/// A lease file row with its hardware address and client id in one
/// spelling (Kea's dump and ruru's both use colon-separated hex; this only
/// lowercases) and trailing empty columns dropped.
fn normalize_row(line: &str) -> String {
    line.to_ascii_lowercase().trim_end_matches(',').to_string()
}

#[test]
fn pg_mixed_fleet() {
    mixed_fleet(Kind::Pg, "pg_mixed");
}

#[test]
fn mysql_mixed_fleet() {
    mixed_fleet(Kind::My, "my_mixed");
}
