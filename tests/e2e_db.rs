//! End-to-end tests of SQL lease databases: the real `ruru` binary on
//! PostgreSQL and on MySQL/MariaDB (127.0.0.1, as `.ci/run` sets them up),
//! with a database created per test and dropped after it.
//!
//! - `ruru db init|version` make and report the schema; `ruru serve` refuses
//!   a database without schema and names the command that fixes it.
//! - A DORA stores the lease row before the ACK arrives.
//! - `ruru serve` on a database made by Kea 2.2's `kea-admin db-init`: the
//!   lease is stored in Kea's table, counted by Kea's statistics, and its
//!   row deleted on RELEASE (as Kea 2.2 does).
//! - Two servers on one database, each behind its own relay on one subnet,
//!   serve clients concurrently: every ACKed address is distinct and stored
//!   once, for the client that got it.
//!
//! - Live reservations (`hosts-database`): a host row inserted directly
//!   in the database (as an inventory system would) applies to the
//!   client's next exchange, without reload; no other client gets the
//!   reserved address; an older Kea schema is refused, naming Kea's
//!   `kea-admin db-upgrade` (never a `ruru db` command that would fail).
//!   The same for DHCPv6 (`Dhcp6`'s `hosts-database`: a DUID host with an
//!   address, a prefix and an option, inserted by SQL), and
//!   `reservation-get` of the DHCPv6 service reads it.
//! - DHCPv6 on each database: `ruru db init` with a `Dhcp6`-only
//!   configuration, Solicit/Request for an address and a prefix, the rows
//!   committed before the Reply, a restart that keeps them.
//! - Database outages (Kea's `on-fail`), on a PostgreSQL server of the
//!   test's own ([`PrivatePg`]: `initdb` + `pg_ctl` in a temporary
//!   directory, on a free port) that the test really stops and starts — the
//!   machine's shared server is never touched:
//!   - stopped mid-traffic under `serve-retry-continue`: the server keeps
//!     running, acknowledges nothing while the database is away (even past
//!     `max-reconnect-tries`), logs the loss and the reconnection once
//!     each, serves again when the database is back, and every
//!     acknowledged lease is in the database;
//!   - under `stop-retry-exit`: no reply at all while it reconnects, then
//!     the server exits with an error when the tries run out;
//!   - `retry-on-startup`: the server starts while the database is down and
//!     serves once it is up;
//!   - DHCPv6 under `stop-retry-exit`: no Reply while the database is away,
//!     service again when it is back.
//!
//! - TLS (`trust-anchor`, `cert-file`, `key-file`), on a private
//!   PostgreSQL ([`PrivatePg::with_tls`]) and a private MariaDB
//!   ([`PrivateMy`]) that take TLS connections only, with certificates made
//!   by `rcgen`: with the right CA the store passes the conformance suite;
//!   with another CA the error says that certificate verification failed;
//!   a missing CA file is named; without TLS the server refuses; a client
//!   certificate gets past PostgreSQL's `cert` authentication and MySQL's
//!   `REQUIRE X509` (an RSA key made by `openssl`: the MySQL driver's
//!   limit); `ruru db version` takes the keys from the file.
//!
//! A database that is not reachable is a SKIP (a failure under
//! `RURU_REQUIRE_ALL=1`), and so are PostgreSQL server binaries that are
//! not installed (for the outage and TLS tests), MariaDB's (`mariadbd`,
//! `mariadb-install-db`) and `openssl` (for the TLS tests).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::db::*;
use common::*;
use dhcproto::v4::MessageType;
use ruru_lease::{LeaseStore, LeaseType6};
use ruru_lease_sql::{DbOptions, MySqlStore, PgStore};

fn dora_stores_before_ack(kind: Kind, test: &str) {
    if !can_bind_67(test) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, db.config(&[ra])).unwrap();

    // No schema: serve refuses and names the command; db init makes it.
    let out = Command::new(BIN)
        .args(["serve", "-p", "1", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("ruru db init -c {}", cfg.display())),
        "{err}"
    );
    assert_eq!(ruru_db("version", &cfg), (true, "none\n".to_string()));
    let (ok, text) = ruru_db("init", &cfg);
    assert!(ok, "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok, "{text}");

    let srv = Server::start_in(dir, &db.config(&[ra]));
    let relay = Relay::new(ra, srv.port);
    let store = db.store();
    let mut c = Client::new(1, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    let a = offer.yiaddr();
    assert!(store.get4(a).is_none(), "an OFFER stores nothing");
    let ack = relay
        .exchange(&c.request_selecting(a, server_id(&offer).unwrap()))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    // The row is committed before the ACK is sent.
    let lease = store.get4(a).expect("lease row after ACK");
    assert_eq!(lease.hwaddr, vec![0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
    assert_eq!(lease.subnet_id, 1);
    assert_eq!(lease.valid_lifetime, 3600);
    drop(srv);
}

fn two_servers_one_database(kind: Kind, test: &str) {
    let (ta, tb) = (format!("{test}_a"), format!("{test}_b"));
    if !can_bind_67(&ta) || !can_bind_67(&tb) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let (ra, rb) = (relay_addr_for(&ta), relay_addr_for(&tb));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, db.config(&[ra, rb])).unwrap();
    let (ok, text) = ruru_db("init", &cfg);
    assert!(ok, "{text}");
    let sa = Server::start(&db.config(&[ra, rb]));
    let sb = Server::start(&db.config(&[ra, rb]));

    // 40 clients, 20 per server, both servers at once.
    const PER_SERVER: u8 = 20;
    let results: Vec<(u8, Ipv4Addr)> = doras_at_once(&[(ra, sa.port), (rb, sb.port)], PER_SERVER)
        .into_iter()
        .map(|(_, n, a)| (n, a))
        .collect();
    assert_eq!(results.len(), 2 * usize::from(PER_SERVER));
    let distinct: BTreeSet<Ipv4Addr> = results.iter().map(|(_, a)| *a).collect();
    let rows = db.store().all4();
    if distinct.len() != results.len() {
        let dups: Vec<_> = results
            .iter()
            .filter(|(_, a)| results.iter().filter(|(_, b)| a == b).count() > 1)
            .map(|(n, a)| {
                (
                    n,
                    a,
                    rows.iter().find(|l| l.addr == *a).map(|l| l.hwaddr[5]),
                )
            })
            .collect();
        panic!("an address was given twice: (client, address, owner in the database): {dups:?}");
    }
    assert_eq!(rows.len(), results.len(), "{rows:?}");
    for (n, a) in &results {
        let row = rows
            .iter()
            .find(|l| l.addr == *a)
            .expect("ACKed lease stored");
        assert_eq!(row.hwaddr, vec![0x02, 0x00, 0x5e, 0x10, 0x00, *n], "{a}");
    }
    drop((sa, sb));
}

/// Three servers on one database, each behind its own relay, serve clients
/// at the same time. Their searches start apart and part when they meet
/// (spread cursors), so at least 95% of exchanges get their ACK at the
/// first attempt (two Kea 2.2 servers on one PostgreSQL NAK about half of
/// the REQUESTs: both offer the same free addresses in the same order). The
/// NAKs that remain are counted in `v4-allocation-conflicts`. Afterwards
/// no address is held by two clients.
fn three_servers_first_attempt(kind: Kind, test: &str) {
    let names: Vec<String> = (0..3).map(|i| format!("{test}_{i}")).collect();
    if names.iter().any(|n| !can_bind_67(n)) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let relays: Vec<Ipv4Addr> = names.iter().map(|n| relay_addr_for(n)).collect();
    let cfg_text = db.config_with_pool(&relays, "192.0.2.10 - 192.0.2.249");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, &cfg_text).unwrap();
    let (ok, text) = ruru_db("init", &cfg);
    assert!(ok, "{text}");
    let mut servers: Vec<Server> = (0..3).map(|_| Server::start(&cfg_text)).collect();

    let sides: Vec<(Ipv4Addr, u16)> = relays
        .iter()
        .zip(&servers)
        .map(|(&a, s)| (a, s.port))
        .collect();
    let results = first_tries_at_once(&sides, 25);
    let total = results.len();
    let first = results.iter().filter(|r| r.acked).count();
    let naks = results.iter().filter(|r| r.naked).count();
    eprintln!(
        "{test}: {first}/{total} exchanges ACKed at the first attempt ({:.1}%), {naks} NAKed",
        100.0 * first as f64 / total as f64
    );
    assert!(
        first * 100 >= total * 95,
        "{first}/{total} at the first attempt"
    );
    let distinct: BTreeSet<Ipv4Addr> = results.iter().map(|r| r.addr).collect();
    assert_eq!(distinct.len(), total, "an address was given twice");
    let rows = db.store().all4();
    assert_eq!(rows.len(), total);
    for r in &results {
        let row = rows.iter().find(|l| l.addr == r.addr).expect("stored");
        assert_eq!(
            row.hwaddr,
            vec![0x02, 0x00, 0x5e, 0x10, 0x00, r.n],
            "{}",
            r.addr
        );
    }
    // Every NAK (at the first attempt or a retry: a client may lose a
    // second race) was a counted conflict.
    let all_naks = naks + results.iter().map(|r| r.retry_naks).sum::<usize>();
    let conflicts: i64 = servers
        .iter_mut()
        .map(|s| {
            let log = s.stop();
            Server::stat_from_log(&log, "v4-allocation-conflicts").unwrap_or(0)
        })
        .sum();
    assert_eq!(conflicts, i64::try_from(all_naks).unwrap());
}

#[test]
fn pg_three_servers_first_attempt() {
    three_servers_first_attempt(Kind::Pg, "pg_three");
}

#[test]
fn mysql_three_servers_first_attempt() {
    three_servers_first_attempt(Kind::My, "my_three");
}

/// `ruru serve` on a database made by Kea 2.2's own `kea-admin db-init`,
/// with no extra step: a DORA stores the lease where Kea reads it (Kea's
/// statistics table counts it), and a RELEASE deletes the row, as Kea 2.2
/// does.
fn kea_admin_database(kind: Kind, test: &str) {
    if !can_bind_67(test) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    if let Err(why) = kea_admin_init(&db) {
        skip(test, &why);
        return;
    }
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, db.config(&[ra])).unwrap();
    assert_eq!(ruru_db("version", &cfg), (true, kind.kea_version()));

    let srv = Server::start_in(dir, &db.config(&[ra]));
    let relay = Relay::new(ra, srv.port);
    let store = db.store();
    let mut c = Client::new(1, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    let sid = server_id(&offer).unwrap();
    let a = c.dora(&relay);
    let lease = store.get4(a).expect("lease row after ACK");
    assert_eq!(lease.hwaddr, vec![0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
    // Kea's triggers counted it in lease4_stat. (`exec` returns no rows: a
    // scalar subquery of two rows fails in both databases, so the
    // statement fails exactly when the expected statistics row exists.)
    let stat = |n: u32| {
        kind.exec(
            &db.opts,
            &format!(
                "SELECT (SELECT 1 UNION ALL SELECT 1 FROM lease4_stat \
                 WHERE subnet_id = 1 AND state = 0 AND leases = {n})"
            ),
        )
        .is_err()
    };
    assert!(stat(1), "lease4_stat counts the lease");
    relay.send(&c.release(a, sid));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while store.get4(a).is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "released lease row still there"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(stat(0), "lease4_stat counts the release");
    drop(srv);
}

/// `ruru db init|upgrade --schema`: the schema of the Kea release named
/// (the one the fleet's Kea servers run), upgraded release by release with
/// Kea's scripts, never downgraded; a release ruru does not know, or
/// `--schema` with another action, is refused with a clear error. Then
/// the server runs on what the upgrades made.
fn schema_releases(kind: Kind, test: &str) {
    if !can_bind_67(test) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, db.config(&[ra])).unwrap();
    let (ok, text) = ruru_db_args(&["init", "--schema", "2.8"], &cfg);
    assert!(!ok && text.contains("2.2, 2.4, 2.6 and 3.0"), "{text}");
    let (ok, text) = ruru_db_args(&["version", "--schema", "2.2"], &cfg);
    assert!(
        !ok && text.contains("--schema is for init and upgrade"),
        "{text}"
    );
    assert_eq!(ruru_db("version", &cfg), (true, "none\n".to_string()));

    let (ok, text) = ruru_db_args(&["init", "--schema", "2.2"], &cfg);
    assert!(ok && text.contains("Kea 2.2's"), "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.kea_version()));
    // init leaves a schema alone, and says so.
    let (ok, text) = ruru_db_args(&["init", "--schema", "3.0"], &cfg);
    assert!(ok && text.contains("left as it was"), "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.kea_version()));

    let (ok, text) = ruru_db_args(&["upgrade", "--schema", "2.6"], &cfg);
    assert!(ok && text.contains("Kea 2.6's 22.2"), "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, "22.2\n".to_string()));
    let (ok, text) = ruru_db_args(&["upgrade", "--schema", "2.4"], &cfg);
    assert!(!ok && text.contains("never downgraded"), "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, "22.2\n".to_string()));
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok && text.contains("Kea 3.0's"), "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));

    let srv = Server::start_in(dir, &db.config(&[ra]));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(1, relay.addr);
    let a = try_dora(&mut c, &relay).expect("an address on Kea 3.0's schema");
    assert_eq!(db.store().get4(a).map(|l| l.hwaddr), Some(c.mac.to_vec()));
}

#[test]
fn pg_schema_releases() {
    schema_releases(Kind::Pg, "pg_schema_releases");
}

#[test]
fn mysql_schema_releases() {
    schema_releases(Kind::My, "mysql_schema_releases");
}

#[test]
fn pg_kea_admin_database() {
    kea_admin_database(Kind::Pg, "pg_kea_admin");
}

#[test]
fn mysql_kea_admin_database() {
    kea_admin_database(Kind::My, "my_kea_admin");
}

#[test]
fn pg_dora_stores_before_ack() {
    dora_stores_before_ack(Kind::Pg, "pg_dora");
}

#[test]
fn pg_two_servers_one_database() {
    two_servers_one_database(Kind::Pg, "pg_two");
}

#[test]
fn mysql_dora_stores_before_ack() {
    dora_stores_before_ack(Kind::My, "my_dora");
}

#[test]
fn mysql_two_servers_one_database() {
    two_servers_one_database(Kind::My, "my_two");
}

// ------------------------------------------------------- live reservations

impl Db {
    /// `config_with_pool` with this database as the hosts database too.
    fn config_with_hosts(&self, relays: &[Ipv4Addr], pool: &str) -> String {
        self.config_with_pool(relays, pool).replacen(
            "  \"valid-lifetime\": 3600,",
            &format!(
                "  \"hosts-database\": {{ \"type\": \"{}\", \"name\": \"{}\", \"host\": \"127.0.0.1\", \"user\": \"{}\" }},\n  \"valid-lifetime\": 3600,",
                self.kind.type_name(),
                self.opts.name,
                self.kind.user()
            ),
            1,
        )
    }

    /// Inserts a host row by SQL, as an inventory system would.
    fn insert_host(&self, mac: &[u8], addr: Ipv4Addr, options: &str) {
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        let id = match self.kind {
            Kind::Pg => format!("'\\x{hex}'::bytea"),
            Kind::My => format!("x'{hex}'"),
        };
        let sql = format!(
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
             ipv4_address, hostname) VALUES ({id}, 0, 1, {}, 'inventory')",
            u32::from(addr)
        );
        self.kind.exec(&self.opts, &sql).unwrap();
        self.insert_options("dhcp4", &id, options);
    }
}

impl Db {
    /// Kea's rows of the options of host `id` (a SQL literal) of `space`
    /// (`dhcp4`, `dhcp6`: Kea's `dhcp4_options`/`dhcp6_options`), from a
    /// JSON list of `{"code", "data" (hex), "always-send"}`, as an
    /// inventory system writes them for Kea (binary `value`, host scope 3).
    fn insert_options(&self, space: &str, id: &str, options: &str) {
        let list: serde_json::Value = serde_json::from_str(options).unwrap();
        for o in list.as_array().unwrap() {
            let code = o["code"].as_u64().unwrap();
            let data = o["data"].as_str().unwrap().replace(':', "");
            let persistent = o["always-send"].as_bool().unwrap_or(false);
            let value = match self.kind {
                Kind::Pg => format!("'\\x{data}'::bytea"),
                Kind::My => format!("x'{data}'"),
            };
            let sql = format!(
                "INSERT INTO {space}_options (code, value, persistent, space, scope_id, host_id) \
                 SELECT {code}, {value}, {persistent}, '{space}', 3, host_id FROM hosts \
                 WHERE {space}_subnet_id = 1 AND dhcp_identifier = {id}"
            );
            self.kind.exec(&self.opts, &sql).unwrap();
        }
    }
}

fn live_reservation(kind: Kind, test: &str) {
    if !can_bind_67(test) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let config = db.config_with_hosts(&[ra], "192.0.2.100 - 192.0.2.103");
    let (dir, cfg) = init_dir(&config);
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
    // A schema older than Kea 2.2's is refused, with Kea's upgrade tool
    // named (ruru never changes a schema unless told to); one between two
    // releases' (a development Kea's) names `ruru db upgrade`, which can
    // take it to a release's.
    let refusal = || {
        let out = Command::new(BIN)
            .args(["serve", "-p", "1", "-c"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let newest = kind.newest();
    kind.exec(&db.opts, "UPDATE schema_version SET version = 12")
        .unwrap();
    let err = refusal();
    assert!(err.contains("kea-admin db-upgrade"), "{err}");
    assert!(!err.contains("ruru db upgrade"), "{err}");
    kind.exec(&db.opts, "UPDATE schema_version SET version = 15")
        .unwrap();
    let err = refusal();
    assert!(
        err.contains(&format!("ruru db upgrade -c {} --schema", cfg.display())),
        "{err}"
    );
    kind.exec(
        &db.opts,
        &format!("UPDATE schema_version SET version = {}", newest.0),
    )
    .unwrap();

    let srv = Server::start_in(dir, &config);
    let relay = Relay::new(ra, srv.port);
    let store = db.store();
    // No host row: a pool address.
    let mut c1 = Client::new(1, relay.addr);
    let first = c1.dora(&relay);
    let pool: BTreeSet<Ipv4Addr> = (100..=103).map(|i| Ipv4Addr::new(192, 0, 2, i)).collect();
    assert!(pool.contains(&first), "{first}");

    // The inventory system reserves another pool address for this client
    // (no reload).
    let reserved = *pool.iter().rev().find(|a| **a != first).unwrap();
    db.insert_host(
        &mac(1),
        reserved,
        r#"[{"code": 42, "data": "c0000205", "always-send": true}]"#,
    );
    // Renewing the pool address: NAK, the reservation wins.
    let nak = relay.exchange(&c1.request_renew(first)).expect("NAK");
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    // The next DORA gets the reserved address, with the host's option.
    let offer = relay.exchange(&c1.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), reserved);
    assert!(
        offer
            .opts()
            .get(dhcproto::v4::OptionCode::NtpServers)
            .is_some(),
        "host option 42 in the OFFER"
    );
    let ack = relay
        .exchange(&c1.request_selecting(reserved, server_id(&offer).unwrap()))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), reserved);
    assert_eq!(store.get4(reserved).map(|l| l.hwaddr), Some(mac(1)));
    assert!(store.get4(first).is_none(), "the old lease is gone");

    // Other clients share the three other addresses, never the reserved one.
    let mut got = BTreeSet::new();
    for n in 2..=4 {
        got.insert(Client::new(n, relay.addr).dora(&relay));
    }
    let others: BTreeSet<Ipv4Addr> = pool.iter().copied().filter(|a| *a != reserved).collect();
    assert_eq!(got, others);
    let mut c5 = Client::new(5, relay.addr);
    assert!(relay.exchange(&c5.discover()).is_none(), "pool exhausted");
    let sid = server_id(&ack).unwrap();
    let nak = relay
        .exchange(&c5.request_selecting(reserved, sid))
        .expect("NAK");
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    drop(srv);
}

/// Sends one control command over the UNIX socket; the answer.
fn control(sock: &std::path::Path, command: &str, args: serde_json::Value) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = serde_json::json!({ "command": command, "arguments": args });
    s.write_all(req.to_string().as_bytes()).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    serde_json::from_str(&out).unwrap()
}

/// `reservation-add|get|get-all|del` with a hosts database work on the
/// database (Kea's host_cmds), and an added host applies at once.
fn reservation_commands_db(kind: Kind, test: &str) {
    use serde_json::json;
    if !can_bind_67(test) {
        return;
    }
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let config = db
        .config_with_hosts(&[ra], "192.0.2.100 - 192.0.2.103")
        .replacen(
            "  \"valid-lifetime\": 3600,",
            "  \"control-socket\": { \"socket-type\": \"unix\", \"socket-name\": \"@DIR@/ctrl.sock\" },\n  \"valid-lifetime\": 3600,",
            1,
        );
    let (dir, _cfg) = init_dir(&config);
    let srv = Server::start_in(dir, &config);
    let sock = srv.path("ctrl.sock");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    let relay = Relay::new(ra, srv.port);
    let add = control(
        &sock,
        "reservation-add",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:07",
            "ip-address": "192.0.2.102", "hostname": "cmd",
            "option-data": [{"name": "ntp-servers", "data": "192.0.2.53", "always-send": true}]}}),
    );
    assert_eq!(add["result"], 0, "{add}");
    // In the database, not in the configuration.
    let hosts: Box<dyn ruru_lease::HostStore> = match kind {
        Kind::Pg => Box::new(PgStore::open(&db.opts).unwrap()),
        Kind::My => Box::new(MySqlStore::open(&db.opts).unwrap()),
    };
    let rows = hosts.all4(1);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].hostname, "cmd");
    let cfg = control(&sock, "config-get", json!({}));
    assert!(!cfg.to_string().contains("\"cmd\""), "{cfg}");
    // The next packet uses it.
    let mut c = Client::new(7, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 102));
    assert!(offer
        .opts()
        .get(dhcproto::v4::OptionCode::NtpServers)
        .is_some());
    // One address, one host.
    let dup = control(
        &sock,
        "reservation-add",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:08", "ip-address": "192.0.2.102"}}),
    );
    assert_eq!(dup["result"], 1, "{dup}");
    // An invalid one is refused by validation.
    let bad = control(
        &sock,
        "reservation-add",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:08", "ip-address": "10.9.9.9"}}),
    );
    assert_eq!(bad["result"], 1, "{bad}");
    let g = control(
        &sock,
        "reservation-get",
        json!({"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:07"}),
    );
    assert_eq!(g["result"], 0, "{g}");
    assert_eq!(g["arguments"]["hostname"], "cmd");
    assert_eq!(g["arguments"]["ip-address"], "192.0.2.102");
    assert_eq!(g["arguments"]["option-data"][0]["code"], 42);
    let all = control(&sock, "reservation-get-all", json!({"subnet-id": 1}));
    assert_eq!(
        all["arguments"]["hosts"].as_array().map(Vec::len),
        Some(1),
        "{all}"
    );
    // The lookups across subnets find the database's host (case-insensitive
    // host name, identifier, address).
    for (command, args) in [
        ("reservation-get-by-hostname", json!({"hostname": "CMD"})),
        (
            "reservation-get-by-hostname",
            json!({"hostname": "cmd", "subnet-id": 1}),
        ),
        (
            "reservation-get-by-id",
            json!({"identifier-type": "hw-address", "identifier": "02:00:5e:10:00:07"}),
        ),
        (
            "reservation-get-by-address",
            json!({"ip-address": "192.0.2.102"}),
        ),
    ] {
        let a = control(&sock, command, args);
        assert_eq!(a["result"], 0, "{command}: {a}");
        assert_eq!(a["arguments"]["hosts"][0]["subnet-id"], 1, "{command}: {a}");
        assert_eq!(
            a["arguments"]["hosts"][0]["hw-address"],
            "02:00:5e:10:00:07"
        );
    }
    let none = control(
        &sock,
        "reservation-get-by-hostname",
        json!({"hostname": "cmd", "operation-target": "memory"}),
    );
    assert_eq!(none["result"], 3, "not in the configuration: {none}");
    // reservation-update replaces the database's row as a whole.
    let up = control(
        &sock,
        "reservation-update",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:07", "ip-address": "192.0.2.103", "hostname": "cmd2"}}),
    );
    assert_eq!(up["result"], 0, "{up}");
    let rows = hosts.all4(1);
    assert_eq!(rows.len(), 1, "one row after the update");
    assert_eq!(rows[0].hostname, "cmd2");
    assert_eq!(rows[0].ipv4_address, Some(Ipv4Addr::new(192, 0, 2, 103)));
    assert!(
        rows[0].option_data.is_empty() || rows[0].option_data == "[]",
        "options gone: {}",
        rows[0].option_data
    );
    let mut c2 = Client::new(7, relay.addr);
    let offer = relay.exchange(&c2.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 103));
    // A failing update (address outside the subnet) keeps the old row.
    let bad = control(
        &sock,
        "reservation-update",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:07", "ip-address": "10.9.9.9"}}),
    );
    assert_eq!(bad["result"], 1, "{bad}");
    assert_eq!(hosts.all4(1)[0].hostname, "cmd2");
    // An update of a host no source has fails.
    let missing = control(
        &sock,
        "reservation-update",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:09", "ip-address": "192.0.2.104"}}),
    );
    assert_eq!(missing["result"], 1, "{missing}");
    assert_eq!(hosts.all4(1).len(), 1);
    let del = control(
        &sock,
        "reservation-del",
        json!({"subnet-id": 1, "ip-address": "192.0.2.103"}),
    );
    assert_eq!(del["result"], 0, "{del}");
    assert!(hosts.all4(1).is_empty());
    let g = control(
        &sock,
        "reservation-get",
        json!({"subnet-id": 1, "ip-address": "192.0.2.103"}),
    );
    assert_eq!(g["result"], 3, "{g}");
    drop(srv);
}

#[test]
fn pg_reservation_commands_db() {
    reservation_commands_db(Kind::Pg, "pg_res_cmds");
}

#[test]
fn mysql_reservation_commands_db() {
    reservation_commands_db(Kind::My, "my_res_cmds");
}

#[test]
fn pg_live_reservation() {
    live_reservation(Kind::Pg, "pg_live_res");
}

#[test]
fn mysql_live_reservation() {
    live_reservation(Kind::My, "my_live_res");
}

// ------------------------------------------------------------------ DHCPv6

impl Db {
    /// A `Dhcp6`-only config for this database: one subnet with an address
    /// pool and a prefix pool, reached through the relay link 2001:db8:1::1.
    fn config6(&self) -> String {
        format!(
            r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo"] }},
  "lease-database": {{ "type": "{}", "name": "{}", "host": "127.0.0.1", "user": "{}",
                       "connect-timeout": 3 }},
  "server-id": {{ "type": "LLT", "persist": false }},
  "preferred-lifetime": 3000, "valid-lifetime": 4000,
  "subnet6": [ {{
    "id": 1, "subnet": "2001:db8:1::/64",
    "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
    "pd-pools": [ {{ "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }} ]
  }} ]
}} }}"#,
            self.kind.type_name(),
            self.opts.name,
            self.kind.user(),
        )
    }
}

impl Db {
    /// `config6` with a four-address pool, this database as the hosts
    /// database and a control socket.
    fn config6_with_hosts(&self) -> String {
        self.config6()
            .replacen(
                "2001:db8:1::100 - 2001:db8:1::1ff",
                "2001:db8:1::100 - 2001:db8:1::103",
                1,
            )
            .replacen(
                "  \"preferred-lifetime\"",
                &format!(
                    "  \"hosts-database\": {{ \"type\": \"{}\", \"name\": \"{}\", \"host\": \"127.0.0.1\", \"user\": \"{}\" }},\n  \"control-socket\": {{ \"socket-type\": \"unix\", \"socket-name\": \"@DIR@/ctrl6.sock\" }},\n  \"preferred-lifetime\"",
                    self.kind.type_name(),
                    self.opts.name,
                    self.kind.user()
                ),
                1,
            )
    }

    /// Inserts a DHCPv6 host by SQL, as an inventory system would: the
    /// `hosts` row, then its `ipv6_reservations` rows.
    fn insert_host6(
        &self,
        duid: &[u8],
        addrs: &[Ipv6Addr],
        prefixes: &[(Ipv6Addr, u8)],
        options: &str,
    ) {
        let hex: String = duid.iter().map(|b| format!("{b:02x}")).collect();
        let id = match self.kind {
            Kind::Pg => format!("'\\x{hex}'::bytea"),
            Kind::My => format!("x'{hex}'"),
        };
        let host = format!(
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, \
             hostname) VALUES ({id}, 1, 1, 'inventory6')"
        );
        self.kind.exec(&self.opts, &host).unwrap();
        self.insert_options("dhcp6", &id, options);
        let rows = addrs
            .iter()
            .map(|a| (*a, 128, 0))
            .chain(prefixes.iter().map(|(p, l)| (*p, *l, 2)));
        for (a, len, t) in rows {
            // Kea 3.0's schema (what `ruru db init` made): MySQL keeps the
            // address as BINARY(16), PostgreSQL as INET (which takes text).
            let a = match self.kind {
                Kind::Pg => format!("'{a}'"),
                Kind::My => format!("INET6_ATON('{a}')"),
            };
            let sql = format!(
                "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
                 SELECT {a}, {len}, {t}, host_id FROM hosts \
                 WHERE dhcp6_subnet_id = 1 AND dhcp_identifier_type = 1 AND dhcp_identifier = {id}"
            );
            self.kind.exec(&self.opts, &sql).unwrap();
        }
    }
}

/// `Dhcp6`'s `hosts-database`: a host inserted by SQL applies to the
/// client's next Solicit/Request (address, prefix, option, hostname), no
/// other client gets its address, and `reservation-get` reads it.
fn live_reservation6(kind: Kind, test: &str) {
    use dhcproto::v6::{MessageType as M6, OptionCode};
    let _one = V6_ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sock = match UdpSocket::bind("[::1]:547") {
        Ok(s) => s,
        Err(e) => {
            skip(
                test,
                &format!("needs to bind UDP [::1]:547 (root or CAP_NET_BIND_SERVICE): {e}"),
            );
            return;
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let config = db.config6_with_hosts();
    let (dir, cfg) = init_dir(&config);
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
    let srv = Server::start_in(dir, &config);
    let relay = Relay6 {
        sock,
        server: SocketAddrV6::new(Ipv6Addr::LOCALHOST, srv.port, 0, 0),
    };
    let store = db.store();
    let pool: BTreeSet<Ipv6Addr> = (0x100..=0x103)
        .map(|i| Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, i))
        .collect();
    // No host row: a pool address.
    let adv = relay
        .exchange(&msg6(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let first = addr_of(&adv).unwrap();
    assert!(pool.contains(&first), "{first}");

    // The inventory system reserves another pool address and a prefix for
    // this client, with the DNS servers option (no reload).
    let reserved = *pool.iter().rev().find(|a| **a != first).unwrap();
    let prefix: Ipv6Addr = "2001:db8:8:ff00::".parse().unwrap();
    db.insert_host6(
        &duid6(1),
        &[reserved],
        &[(prefix, 56)],
        r#"[{"code": 23, "data": "20010db8000000000000000000000053", "always-send": true}]"#,
    );
    // The next Solicit gets them, with the host's option; Request commits.
    let adv = relay
        .exchange(&msg6(1, 1, None, &[ia_na(1, None), ia_pd(2, None)]))
        .expect("ADVERTISE");
    assert_eq!(adv.msg_type(), M6::Advertise);
    assert_eq!(
        (addr_of(&adv), prefix_of(&adv)),
        (Some(reserved), Some((prefix, 56)))
    );
    assert!(
        adv.opts().get(OptionCode::DomainNameServers).is_some(),
        "host option 23 in the Advertise"
    );
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg6(
            3,
            1,
            Some(&sid),
            &[ia_na(1, Some(reserved)), ia_pd(2, Some((prefix, 56)))],
        ))
        .expect("REPLY");
    assert_eq!(rep.msg_type(), M6::Reply);
    assert_eq!(
        (addr_of(&rep), prefix_of(&rep)),
        (Some(reserved), Some((prefix, 56)))
    );
    let l = store.get6(LeaseType6::Na, reserved).expect("stored");
    assert_eq!(
        (l.duid.clone(), l.hostname.as_str()),
        (duid6(1), "inventory6")
    );

    // Other clients share the three other addresses, never the reserved
    // one, even when they ask for it.
    let mut got = BTreeSet::new();
    for n in 2..=4 {
        let adv = relay
            .exchange(&msg6(1, n, None, &[ia_na(1, Some(reserved))]))
            .expect("ADVERTISE");
        let a = addr_of(&adv).expect("an address");
        let rep = relay
            .exchange(&msg6(3, n, Some(&sid), &[ia_na(1, Some(a))]))
            .expect("REPLY");
        assert_eq!(addr_of(&rep), Some(a));
        got.insert(a);
    }
    let others: BTreeSet<Ipv6Addr> = pool.iter().copied().filter(|a| *a != reserved).collect();
    assert_eq!(got, others);
    let adv = relay
        .exchange(&msg6(1, 5, None, &[ia_na(1, Some(reserved))]))
        .expect("ADVERTISE");
    assert_eq!(addr_of(&adv), None, "pool exhausted: {adv:?}");

    // reservation-get of the DHCPv6 service reads the database.
    let ctrl = srv.path("ctrl6.sock");
    assert!(wait_until(Duration::from_secs(5), || ctrl.exists()));
    let g = control(
        &ctrl,
        "reservation-get",
        serde_json::json!({"subnet-id": 1, "ip-address": reserved.to_string()}),
    );
    assert_eq!(g["result"], 0, "{g}");
    assert_eq!(g["arguments"]["hostname"], "inventory6");
    assert_eq!(g["arguments"]["prefixes"][0], "2001:db8:8:ff00::/56", "{g}");
    assert_eq!(g["arguments"]["option-data"][0]["code"], 23, "{g}");
    let g = control(
        &ctrl,
        "reservation-get",
        serde_json::json!({"subnet-id": 1, "identifier-type": "duid",
            "identifier": duid6(1).iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")}),
    );
    assert_eq!(
        g["arguments"]["ip-addresses"][0],
        reserved.to_string(),
        "{g}"
    );

    // reservation-add writes a DHCPv6 host to the database (an address
    // outside the pools); the client's next message gets it.
    let add = control(
        &ctrl,
        "reservation-add",
        serde_json::json!({"reservation": {"subnet-id": 1, "duid": "00:03:00:01:02:00:00:00:00:09",
            "ip-addresses": ["2001:db8:1::50"], "hostname": "cmd6"}}),
    );
    assert_eq!(add["result"], 0, "{add}");
    let adv = relay
        .exchange(&msg6(1, 9, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    assert_eq!(addr_of(&adv), Some("2001:db8:1::50".parse().unwrap()));
    let dup = control(
        &ctrl,
        "reservation-add",
        serde_json::json!({"reservation": {"subnet-id": 1, "duid": "0a:0b",
            "ip-addresses": ["2001:db8:1::50"]}}),
    );
    assert_eq!(dup["result"], 1, "{dup}");
    let all = control(
        &ctrl,
        "reservation-get-all",
        serde_json::json!({"subnet-id": 1}),
    );
    assert_eq!(
        all["arguments"]["hosts"].as_array().map(Vec::len),
        Some(2),
        "{all}"
    );
    let del = control(
        &ctrl,
        "reservation-del",
        serde_json::json!({"subnet-id": 1, "ip-address": "2001:db8:1::50"}),
    );
    assert_eq!(del["result"], 0, "{del}");
    let g = control(
        &ctrl,
        "reservation-get",
        serde_json::json!({"subnet-id": 1, "identifier-type": "duid",
            "identifier": "00:03:00:01:02:00:00:00:00:09"}),
    );
    assert_eq!(g["result"], 3, "{g}");
    drop(srv);
}

#[test]
fn pg_live_reservation6() {
    live_reservation6(Kind::Pg, "pg_live_res6");
}

#[test]
fn mysql_live_reservation6() {
    live_reservation6(Kind::My, "my_live_res6");
}

/// A hosts database that cannot be reached is logged as a hosts database
/// (not as the lease database, which is a file here); with
/// `retry-on-startup` the server starts and serves meanwhile.
#[test]
fn unreachable_hosts_database6_is_named_so() {
    // A port nothing listens on.
    let port = free_port();
    let config = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo"] }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "hosts-database": {{ "type": "postgresql", "name": "nowhere", "host": "127.0.0.1",
                       "port": {port}, "connect-timeout": 1, "retry-on-startup": true,
                       "max-reconnect-tries": 1, "reconnect-wait-time": 100 }},
  "server-id": {{ "type": "LLT", "persist": false }},
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
                 "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#
    );
    let mut srv = Server::start(&config);
    assert!(
        srv.wait_log("hosts database lost", Duration::from_secs(10)),
        "{}",
        srv.log_text()
    );
    assert!(
        srv.wait_log(
            "hosts database still unreachable after max-reconnect-tries",
            Duration::from_secs(10)
        ),
        "{}",
        srv.log_text()
    );
    let log = srv.stop().join("\n");
    assert_eq!(lines_with(&log, "hosts database lost"), 1, "{log}");
    assert_eq!(lines_with(&log, "lease database lost"), 0, "{log}");
    assert!(
        log.lines()
            .filter(|l| l.contains("nowhere"))
            .all(|l| !l.contains("lease database")),
        "{log}"
    );
}

/// The DHCPv6 tests bind the relay port [::1]:547: one at a time.
static V6_ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn put(out: &mut Vec<u8>, code: u16, data: &[u8]) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

/// A DHCPv6 relay agent at [::1]:547 (as in tests/e2e_v6.rs).
struct Relay6 {
    sock: UdpSocket,
    server: SocketAddrV6,
}

impl Relay6 {
    /// Sends a client message in a Relay-forward from link 2001:db8:1::1;
    /// the client message of the Relay-reply.
    fn exchange(&self, client_msg: &[u8]) -> Option<dhcproto::v6::Message> {
        use dhcproto::{Decodable, Decoder};
        let mut fw = vec![12, 0];
        fw.extend_from_slice(&"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
        fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
        put(&mut fw, 9, client_msg);
        self.sock.send_to(&fw, self.server).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = self.sock.recv_from(&mut buf).ok()?;
        let b = &buf[..n];
        assert_eq!(b[0], 13, "Relay-reply");
        let mut i = 34;
        while i + 4 <= b.len() {
            let code = u16::from_be_bytes([b[i], b[i + 1]]);
            let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
            if code == 9 {
                let inner = &b[i + 4..i + 4 + len];
                return Some(dhcproto::v6::Message::decode(&mut Decoder::new(inner)).unwrap());
            }
            i += 4 + len;
        }
        None
    }
}

fn duid6(n: u8) -> Vec<u8> {
    vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
}

/// A client message of type `t` from client `n`.
fn msg6(t: u8, n: u8, server: Option<&[u8]>, extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut m = vec![t, 0, 1, n];
    put(&mut m, 1, &duid6(n));
    if let Some(s) = server {
        put(&mut m, 2, s);
    }
    put(&mut m, 6, &[0, 23]);
    for (c, v) in extra {
        put(&mut m, *c, v);
    }
    m
}

fn ia_na(iaid: u32, addr: Option<Ipv6Addr>) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    if let Some(a) = addr {
        let mut x = a.octets().to_vec();
        x.extend_from_slice(&[0; 8]);
        put(&mut v, 5, &x);
    }
    (3, v)
}

fn ia_pd(iaid: u32, prefix: Option<(Ipv6Addr, u8)>) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    if let Some((p, len)) = prefix {
        let mut x = vec![0u8; 8];
        x.push(len);
        x.extend_from_slice(&p.octets());
        put(&mut v, 26, &x);
    }
    (25, v)
}

fn addr_of(m: &dhcproto::v6::Message) -> Option<Ipv6Addr> {
    use dhcproto::v6::DhcpOption;
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAAddr(a) => Some(a.addr),
            _ => None,
        }),
        _ => None,
    })
}

fn prefix_of(m: &dhcproto::v6::Message) -> Option<(Ipv6Addr, u8)> {
    use dhcproto::v6::DhcpOption;
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
            _ => None,
        }),
        _ => None,
    })
}

fn server_duid(m: &dhcproto::v6::Message) -> Vec<u8> {
    use dhcproto::v6::{DhcpOption, OptionCode};
    match m.opts().get(OptionCode::ServerId) {
        Some(DhcpOption::ServerId(d)) => d.clone(),
        _ => panic!("no server id"),
    }
}

/// DHCPv6 on a SQL database: `ruru db init` from a `Dhcp6`-only file, an
/// address and a prefix stored before the Reply, kept across a restart,
/// deleted by a Release.
fn v6_on_sql(kind: Kind, test: &str) {
    let _one = V6_ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sock = match UdpSocket::bind("[::1]:547") {
        Ok(s) => s,
        Err(e) => {
            skip(
                test,
                &format!("needs to bind UDP [::1]:547 (root or CAP_NET_BIND_SERVICE): {e}"),
            );
            return;
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, db.config6()).unwrap();
    assert_eq!(ruru_db("version", &cfg), (true, "none\n".to_string()));
    let (ok, text) = ruru_db("init", &cfg);
    assert!(ok, "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));

    let mut srv = Server::start_in(dir, &db.config6());
    let relay = Relay6 {
        sock,
        server: SocketAddrV6::new(Ipv6Addr::LOCALHOST, srv.port, 0, 0),
    };
    let store = db.store();
    let adv = relay
        .exchange(&msg6(1, 1, None, &[ia_na(1, None), ia_pd(2, None)]))
        .expect("ADVERTISE");
    assert_eq!(adv.msg_type(), dhcproto::v6::MessageType::Advertise);
    let (a, p) = (addr_of(&adv).unwrap(), prefix_of(&adv).unwrap());
    assert_eq!(p.1, 56);
    assert_eq!(store.count6(), 0, "an Advertise stores nothing");
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg6(
            3,
            1,
            Some(&sid),
            &[ia_na(1, Some(a)), ia_pd(2, Some(p))],
        ))
        .expect("REPLY");
    assert_eq!(rep.msg_type(), dhcproto::v6::MessageType::Reply);
    assert_eq!((addr_of(&rep), prefix_of(&rep)), (Some(a), Some(p)));
    // Both rows are committed before the Reply.
    let na = store
        .get6(LeaseType6::Na, a)
        .expect("IA_NA row after the Reply");
    assert_eq!((na.duid.clone(), na.iaid, na.subnet_id), (duid6(1), 1, 1));
    assert_eq!(
        (na.valid_lifetime, na.pref_lifetime, na.prefix_len),
        (4000, 3000, 128)
    );
    let pd = store
        .get6(LeaseType6::Pd, p.0)
        .expect("IA_PD row after the Reply");
    assert_eq!((pd.duid.clone(), pd.iaid, pd.prefix_len), (duid6(1), 2, 56));
    assert_eq!(store.get6_by_duid(&duid6(1)).len(), 2);

    // A restart finds them: the same address for the same client.
    srv.stop();
    srv.spawn();
    let adv2 = relay
        .exchange(&msg6(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE after restart");
    assert_eq!(addr_of(&adv2), Some(a));
    // Release deletes the row.
    let rel = relay
        .exchange(&msg6(8, 1, Some(&server_duid(&adv2)), &[ia_na(1, Some(a))]))
        .expect("REPLY to Release");
    assert_eq!(rel.msg_type(), dhcproto::v6::MessageType::Reply);
    assert_eq!(store.get6(LeaseType6::Na, a), None);
    assert!(store.get6(LeaseType6::Pd, p.0).is_some());
    drop(srv);
}

#[test]
fn pg_v6_leases() {
    v6_on_sql(Kind::Pg, "pg_v6");
}

#[test]
fn mysql_v6_leases() {
    v6_on_sql(Kind::My, "my_v6");
}

// ----------------------------------------------------------------- outages

/// The newest PostgreSQL server binaries (`initdb`, `pg_ctl`) installed.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_ctl").exists() && b.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL server of the test's own: `initdb` in a temporary
/// directory, on a free port of 127.0.0.1, trust authentication, database
/// `ruru`. The test stops and starts it at will; it is stopped when this is
/// dropped.
struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// The server refuses to run as root: as root, its tools run as the
    /// `postgres` user (`runuser`).
    as_postgres: bool,
    /// More server options (`-c ssl=on ...`).
    extra: String,
    /// TLS for [`PrivatePg::opts`] (a server that requires it).
    tls: Option<ruru_lease_sql::sql::DbTls>,
}

impl PrivatePg {
    /// `None` (after a SKIP) when PostgreSQL's server binaries are missing.
    fn new(test: &str) -> Option<PrivatePg> {
        let pg = PrivatePg::initdb(test)?;
        pg.start();
        PgStore::execute_admin(&pg.opts("postgres"), "CREATE DATABASE ruru").unwrap();
        Some(pg)
    }

    /// A server that takes TLS connections only (`hostssl` lines alone in
    /// `pg_hba.conf`, trust authentication), with the certificate and key
    /// of `pki` ([`make_pki`]); its `ssl_ca_file` is `pki`'s CA, for
    /// client certificates.
    fn with_tls(test: &str, pki: &std::path::Path) -> Option<PrivatePg> {
        PrivatePg::with_tls_opts(test, pki, "")
    }

    /// [`PrivatePg::with_tls`] with more server options (`-c ...`).
    fn with_tls_opts(test: &str, pki: &std::path::Path, more: &str) -> Option<PrivatePg> {
        let mut pg = PrivatePg::initdb(test)?;
        let data = pg.data();
        for f in ["server.pem", "server.key", "ca.pem"] {
            std::fs::copy(pki.join(f), data.join(f)).unwrap();
        }
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        if pg.as_postgres {
            let st = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&data)
                .status()
                .unwrap();
            assert!(st.success());
        }
        pg.extra = format!("-c ssl=on -c ssl_cert_file=server.pem -c ssl_key_file=server.key -c ssl_ca_file=ca.pem {more}");
        pg.tls = Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: pki.join("ca.pem"),
            client: None,
            tls12_suites: None,
            key_password: None,
        });
        pg.start();
        PgStore::execute_admin(&pg.opts("postgres"), "CREATE DATABASE ruru").unwrap();
        Some(pg)
    }

    /// `initdb` in a new temporary directory; not started.
    fn initdb(test: &str) -> Option<PrivatePg> {
        let Some(bin) = pg_bin() else {
            skip(
                test,
                "needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb, pg_ctl) for a private server",
            );
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let st = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(st.success(), "chown postgres {}", dir.path().display());
        }
        let pg = PrivatePg {
            dir,
            bin,
            port: free_tcp_port(),
            as_postgres,
            extra: String::new(),
            tls: None,
        };
        let out = pg
            .tool("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(pg)
    }

    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `pg_ctl` with its output discarded (the server it starts would hold
    /// a captured pipe open).
    fn pg_ctl(&self, args: &[&str]) -> bool {
        self.tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    fn start(&self) {
        let log = self.dir.path().join("log");
        let o = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off {}",
            self.port,
            self.dir.path().display(),
            self.extra
        );
        let log = log.to_str().unwrap();
        assert!(
            self.pg_ctl(&["-l", log, "-w", "-t", "60", "-o", &o, "start"]),
            "pg_ctl start:\n{}",
            self.log()
        );
    }

    /// Stops the server: its connections are closed, new ones refused.
    fn stop(&self) {
        assert!(
            self.pg_ctl(&["-m", "fast", "-w", "-t", "60", "stop"]),
            "pg_ctl stop:\n{}",
            self.log()
        );
    }

    fn opts(&self, name: &str) -> DbOptions {
        let mut o = DbOptions::new(name);
        o.host = "127.0.0.1".into();
        o.port = Some(self.port);
        o.user = Some("postgres".into());
        o.connect_timeout = Duration::from_secs(3);
        o.tls = self.tls.clone();
        o
    }

    /// A `lease-database` for database `ruru` with `more` parameters.
    fn lease_database(&self, more: &str) -> String {
        format!(
            r#"{{ "type": "postgresql", "name": "ruru", "host": "127.0.0.1", "port": {},
                 "user": "postgres", "connect-timeout": 2, {more} }}"#,
            self.port
        )
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
    }
}

/// A `Dhcp4` config with `lease_database`, one subnet behind `relays`.
fn config4(lease_database: &str, relays: &[Ipv4Addr]) -> String {
    let relays: Vec<String> = relays.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {lease_database},
  "valid-lifetime": 3600,
  "subnet4": [ {{
    "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "relay": {{ "ip-addresses": [{}] }}
  }} ]
}} }}"#,
        relays.join(", ")
    )
}

/// Writes `config` in a new directory and makes the schema (`ruru db init`).
fn init_dir(config: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, config).unwrap();
    let (ok, text) = ruru_db("init", &cfg);
    assert!(ok, "{text}");
    (dir, cfg)
}

/// One DORA: the ACKed address, or `None` (no OFFER, no ACK, or a NAK).
fn try_dora(c: &mut Client, relay: &Relay) -> Option<Ipv4Addr> {
    let offer = relay.exchange(&c.discover())?;
    let sid = server_id(&offer)?;
    let ack = relay.exchange(&c.request_selecting(offer.yiaddr(), sid))?;
    (msg_type(&ack) == Some(MessageType::Ack)).then(|| ack.yiaddr())
}

fn mac(n: u8) -> Vec<u8> {
    vec![0x02, 0x00, 0x5e, 0x10, 0x00, n]
}

fn lines_with(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

fn alive(srv: &mut Server) -> bool {
    srv.child
        .as_mut()
        .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
}

/// The database is stopped in the middle of traffic and started again
/// (`on-fail` `serve-retry-continue`, 3 tries 200 ms apart: the outage
/// outlasts them).
#[test]
fn pg_outage_mid_traffic() {
    let (test, test_bg) = ("pg_outage", "pg_outage_bg");
    if !can_bind_67(test) || !can_bind_67(test_bg) {
        return;
    }
    let Some(pg) = PrivatePg::new(test) else {
        return;
    };
    let (ra, rb) = (relay_addr_for(test), relay_addr_for(test_bg));
    let config = config4(
        &pg.lease_database(
            r#""max-reconnect-tries": 3, "reconnect-wait-time": 200, "on-fail": "serve-retry-continue""#,
        ),
        &[ra, rb],
    );
    let (dir, _) = init_dir(&config);
    let mut srv = Server::start_in(dir, &config);
    let relay = Relay::new(ra, srv.port);
    let mut acked: Vec<(u8, Ipv4Addr)> = (1..=5u8)
        .map(|n| (n, Client::new(n, ra).dora(&relay)))
        .collect();

    // Traffic from another relay all along: (client, address, when ACKed).
    let stop = Arc::new(AtomicBool::new(false));
    let background = {
        let (stop, port) = (stop.clone(), srv.port);
        std::thread::spawn(move || {
            let relay = Relay::new(rb, port);
            let mut got = Vec::new();
            let mut n = 100u8;
            while !stop.load(Ordering::Relaxed) && n < 250 {
                let mut c = Client::new(n, rb);
                if let Some(a) = try_dora(&mut c, &relay) {
                    got.push((n, a, Instant::now()));
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            got
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    pg.stop();
    let down_since = Instant::now();
    assert!(
        srv.wait_log("lease database lost", Duration::from_secs(15)),
        "{}",
        srv.log_text()
    );
    // Away: the server runs and acknowledges nothing, past max-reconnect-tries.
    for n in 20..23u8 {
        let mut c = Client::new(n, ra);
        assert_eq!(try_dora(&mut c, &relay), None, "ACK without a database");
    }
    assert!(srv.wait_log(
        "still unreachable after max-reconnect-tries",
        Duration::from_secs(10)
    ));
    assert!(alive(&mut srv), "the server exited:\n{}", srv.log_text());
    let up_from = Instant::now();
    pg.start();
    assert!(
        srv.wait_log("lease database reconnected", Duration::from_secs(15)),
        "{}",
        srv.log_text()
    );
    // Served again, without a restart.
    let mut c = Client::new(30, ra);
    let a = (0..10)
        .find_map(|_| try_dora(&mut c, &relay))
        .expect("no ACK after the database came back");
    acked.push((30, a));
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let background = background.join().unwrap();
    assert!(
        background.iter().any(|(_, _, at)| *at < down_since),
        "no traffic before the outage"
    );
    for (n, a, at) in &background {
        // A reply may still be in flight when the stop completes.
        let down = *at > down_since + Duration::from_millis(300) && *at < up_from;
        assert!(
            !down,
            "client {n} got {a} ACKed while the database was down"
        );
        acked.push((*n, *a));
    }

    // Every acknowledged lease is in the database, for its client.
    let store = PgStore::open(&pg.opts("ruru")).unwrap();
    for (n, a) in &acked {
        let l = store
            .get4(*a)
            .unwrap_or_else(|| panic!("{a} was ACKed to client {n} but is not stored"));
        assert_eq!(l.hwaddr, mac(*n), "{a}");
    }
    let log = srv.stop().join("\n");
    // Each state change is logged once, not once per packet.
    assert_eq!(lines_with(&log, "lease database lost"), 1, "{log}");
    assert_eq!(
        lines_with(&log, "still unreachable after max-reconnect-tries"),
        1
    );
    assert_eq!(lines_with(&log, "lease database reconnected"), 1);
    let lines: Vec<String> = log.lines().map(str::to_string).collect();
    assert!(
        Server::stat_from_log(&lines, "pkt4-drop-lease-store-failed").unwrap_or(0) >= 3,
        "{log}"
    );
}

/// `on-fail` `stop-retry-exit`: no reply at all while the server
/// reconnects, and an exit with an error when the tries run out.
#[test]
fn pg_outage_stop_retry_exit() {
    let test = "pg_stop_retry_exit";
    if !can_bind_67(test) {
        return;
    }
    let Some(pg) = PrivatePg::new(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let config = config4(
        &pg.lease_database(
            r#""max-reconnect-tries": 10, "reconnect-wait-time": 300, "on-fail": "stop-retry-exit""#,
        ),
        &[ra],
    );
    let (dir, _) = init_dir(&config);
    let mut srv = Server::start_in(dir, &config);
    let relay = Relay::new(ra, srv.port);
    Client::new(1, ra).dora(&relay);

    pg.stop();
    // The next packet finds the database gone.
    let _ = try_dora(&mut Client::new(2, ra), &relay);
    assert!(
        srv.wait_log(
            "service stopped until the lease database is back",
            Duration::from_secs(10)
        ),
        "{}",
        srv.log_text()
    );
    // Stopped: not even an OFFER.
    assert!(relay.exchange(&Client::new(3, ra).discover()).is_none());
    // 10 tries 300 ms apart, then the server exits with an error.
    let child = srv.child.as_mut().unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "still running:\n{}", srv.log_text());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    std::thread::sleep(Duration::from_millis(200));
    let log = srv.log_text();
    assert!(log.contains("ruru: database lost: the DHCPv4 lease database could not be reconnected after 10 attempts"), "{log}");
    let lines: Vec<String> = log.lines().map(str::to_string).collect();
    assert!(Server::stat_from_log(&lines, "pkt4-drop-service-disabled").unwrap_or(0) >= 1);
}

/// `on-fail` applies to a hosts database too: with the default
/// `stop-retry-exit`, the DHCPv4 service stops while the hosts database is
/// lost (its reservations cannot be seen, so a reserved address could go
/// to someone else) and resumes when it is back, without a restart.
#[test]
fn pg_hosts_outage_stops_service() {
    let test = "pg_hosts_outage";
    if !can_bind_67(test) {
        return;
    }
    let Some(pg) = PrivatePg::new(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let hosts = format!(
        r#"{{ "type": "postgresql", "name": "ruru", "host": "127.0.0.1", "port": {},
             "user": "postgres", "connect-timeout": 2, "max-reconnect-tries": 1000,
             "reconnect-wait-time": 200 }}"#,
        pg.port
    );
    let config = config4(r#"{ "type": "memfile", "persist": false }"#, &[ra]).replacen(
        "\"valid-lifetime\"",
        &format!("\"hosts-database\": {hosts},\n  \"valid-lifetime\""),
        1,
    );
    let (dir, _) = init_dir(&config);
    let mut srv = Server::start_in(dir, &config);
    let relay = Relay::new(ra, srv.port);
    assert!(try_dora(&mut Client::new(1, ra), &relay).is_some());

    pg.stop();
    // The next packet finds the hosts database gone.
    let _ = try_dora(&mut Client::new(2, ra), &relay);
    assert!(
        srv.wait_log(
            "DHCPv4 service stopped until the hosts database is back",
            Duration::from_secs(10)
        ),
        "{}",
        srv.log_text()
    );
    // Stopped: not even an OFFER.
    assert!(relay.exchange(&Client::new(3, ra).discover()).is_none());

    pg.start();
    assert!(
        srv.wait_log("DHCPv4 service resumed", Duration::from_secs(20)),
        "{}",
        srv.log_text()
    );
    assert!(try_dora(&mut Client::new(4, ra), &relay).is_some());
    let log = srv.stop().join("\n");
    assert_eq!(lines_with(&log, "hosts database lost"), 1, "{log}");
    assert_eq!(lines_with(&log, "hosts database reconnected"), 1, "{log}");
    let lines: Vec<String> = log.lines().map(str::to_string).collect();
    assert!(Server::stat_from_log(&lines, "pkt4-drop-service-disabled").unwrap_or(0) >= 1);
}

/// `retry-on-startup`: the server starts while the database is down, with
/// its service stopped (`stop-retry-exit`), and serves once the database is
/// up; without it, the start fails.
#[test]
fn pg_retry_on_startup() {
    let test = "pg_retry_on_startup";
    if !can_bind_67(test) {
        return;
    }
    let Some(pg) = PrivatePg::new(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let tries = r#""max-reconnect-tries": 1000, "reconnect-wait-time": 200"#;
    let (dir, cfg) = init_dir(&config4(&pg.lease_database(tries), &[ra]));
    pg.stop();
    let out = Command::new(BIN)
        .args(["serve", "-p", "1", "-c"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success(), "started without its database");
    let config = config4(
        &pg.lease_database(&format!(r#"{tries}, "retry-on-startup": true"#)),
        &[ra],
    );
    let srv = Server::start_in(dir, &config);
    assert!(srv.wait_log(
        "service stopped until the lease database is back",
        Duration::from_secs(5)
    ));
    // The start-up line says the database was not reached, not "opened".
    let log = srv.log_text();
    assert!(
        log.contains("lease database not reachable at start-up; retrying"),
        "{log}"
    );
    assert!(!log.contains("lease database opened"), "{log}");
    let relay = Relay::new(ra, srv.port);
    assert!(
        relay.exchange(&Client::new(1, ra).discover()).is_none(),
        "served without its database"
    );
    pg.start();
    assert!(
        srv.wait_log("lease database reconnected", Duration::from_secs(15)),
        "{}",
        srv.log_text()
    );
    let mut c = Client::new(2, ra);
    let a = (0..5)
        .find_map(|_| try_dora(&mut c, &relay))
        .expect("no ACK once the database is up");
    let store = PgStore::open(&pg.opts("ruru")).unwrap();
    assert_eq!(store.get4(a).map(|l| l.hwaddr), Some(mac(2)));
}

/// DHCPv6 on a lost database (`stop-retry-exit`): no Reply while it is
/// away, service again when it is back.
#[test]
fn pg_v6_outage() {
    let test = "pg_v6_outage";
    let _one = V6_ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sock = match UdpSocket::bind("[::1]:547") {
        Ok(s) => s,
        Err(e) => {
            skip(
                test,
                &format!("needs to bind UDP [::1]:547 (root or CAP_NET_BIND_SERVICE): {e}"),
            );
            return;
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let Some(pg) = PrivatePg::new(test) else {
        return;
    };
    let config = format!(
        r#"{{ "Dhcp6": {{
  "interfaces-config": {{ "interfaces": ["lo"] }},
  "lease-database": {},
  "server-id": {{ "type": "LLT", "persist": false }},
  "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
                  "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#,
        pg.lease_database(
            r#""max-reconnect-tries": 100, "reconnect-wait-time": 200, "on-fail": "stop-retry-exit""#
        )
    );
    let (dir, _) = init_dir(&config);
    let mut srv = Server::start_in(dir, &config);
    let relay = Relay6 {
        sock,
        server: SocketAddrV6::new(Ipv6Addr::LOCALHOST, srv.port, 0, 0),
    };
    // Solicit + Request: the client's address, stored.
    let sarr = |n: u8| -> Option<Ipv6Addr> {
        let adv = relay.exchange(&msg6(1, n, None, &[ia_na(1, None)]))?;
        let a = addr_of(&adv)?;
        let rep = relay.exchange(&msg6(3, n, Some(&server_duid(&adv)), &[ia_na(1, Some(a))]))?;
        (addr_of(&rep) == Some(a)).then_some(a)
    };
    let a1 = sarr(1).expect("REPLY before the outage");
    pg.stop();
    let _ = sarr(2); // finds the database gone
    assert!(
        srv.wait_log(
            "DHCPv6 service stopped until the lease database is back",
            Duration::from_secs(10)
        ),
        "{}",
        srv.log_text()
    );
    assert!(
        relay
            .exchange(&msg6(1, 3, None, &[ia_na(1, None)]))
            .is_none(),
        "answered while the database is away"
    );
    pg.start();
    assert!(
        srv.wait_log("DHCPv6 service resumed", Duration::from_secs(15)),
        "{}",
        srv.log_text()
    );
    let a4 = (0..5)
        .find_map(|_| sarr(4))
        .expect("no REPLY after the outage");
    let store = PgStore::open(&pg.opts("ruru")).unwrap();
    for (n, a) in [(1, a1), (4, a4)] {
        let l = store.get6(LeaseType6::Na, a).expect("REPLY'd lease stored");
        assert_eq!(l.duid, duid6(n));
    }
    let log = srv.stop();
    assert!(Server::stat_from_log(&log, "pkt6-drop-service-disabled").unwrap_or(0) >= 1);
}

// --------------------------------------------------------------------- TLS

/// A CA and certificates made with `rcgen` (already the workspace's test
/// PKI maker, see tests/e2e_control.rs; no `openssl` needed), as PEM files
/// in `dir`: ca.pem (and its ca.key); server.pem and server.key for `localhost` and
/// 127.0.0.1; client.pem and client.key with CN `user` (PostgreSQL's
/// `cert` authentication takes the CN as the user name); other-ca.pem, an
/// unrelated CA.
fn make_pki(dir: &std::path::Path, user: &str) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let w = |n: &str, s: String| std::fs::write(dir.join(n), s).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "ruru db CA");
    w("ca.pem", ca.self_signed(&ca_key).unwrap().pem());
    w("ca.key", ca_key.serialize_pem());
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    p.subject_alt_names
        .push(SanType::IpAddress(Ipv4Addr::LOCALHOST.into()));
    p.distinguished_name.push(DnType::CommonName, "localhost");
    w("server.pem", p.signed_by(&key, &issuer).unwrap().pem());
    w("server.key", key.serialize_pem());

    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, user);
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    w("client.pem", p.signed_by(&key, &issuer).unwrap().pem());
    w("client.key", key.serialize_pem());

    let other_key = KeyPair::generate().unwrap();
    let mut other = CertificateParams::new(Vec::<String>::new()).unwrap();
    other.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    other
        .distinguished_name
        .push(DnType::CommonName, "another CA");
    w("other-ca.pem", other.self_signed(&other_key).unwrap().pem());
}

/// The error of `r`, as text ("" when it is `Ok`).
fn err_text<T>(r: Result<T, ruru_lease::LeaseError>) -> String {
    r.err().map(|e| e.to_string()).unwrap_or_default()
}

/// A store over TLS passes the DHCPv4 conformance suite (each case on an
/// emptied table), and a lease written through one is read by another.
fn tls_store_works(open: &dyn Fn() -> Box<dyn LeaseStore>, clear: &dyn Fn()) {
    ruru_lease::conformance::run_all4(&|| {
        clear();
        open()
    });
    clear();
    let l = ruru_lease::conformance::lease4(7);
    open().add4(&l).unwrap();
    assert_eq!(open().get4(l.addr), Some(l));
}

/// Kea's `cipher-list` with PostgreSQL: a private server that speaks TLS
/// 1.2 with one suite only (ECDHE-ECDSA-AES128-GCM-SHA256: the test CA's
/// keys are ECDSA). A list without that suite cannot connect, one with it
/// (and the default, every suite) can; the configuration's OpenSSL list is
/// what `ruru db version` uses.
#[test]
fn pg_tls_cipher_list() {
    let test = "pg_tls_cipher_list";
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path(), "postgres");
    let Some(pg) = PrivatePg::with_tls_opts(
        test,
        pki.path(),
        "-c ssl_ciphers=ECDHE-ECDSA-AES128-GCM-SHA256 -c ssl_max_protocol_version=TLSv1.2",
    ) else {
        return;
    };
    let opts = pg.opts("postgres");
    assert!(
        PgStore::execute_admin(&opts, "SELECT 1").is_ok(),
        "default: every suite"
    );
    let with = |names: &[&str]| DbOptions {
        tls: opts.tls.clone().map(|t| ruru_lease_sql::sql::DbTls {
            tls12_suites: Some(names.iter().map(|s| s.to_string()).collect()),
            ..t
        }),
        ..opts.clone()
    };
    let e = PgStore::execute_admin(
        &with(&["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]),
        "SELECT 1",
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(
        e.to_lowercase().contains("handshake") || e.contains("TLS"),
        "{e}"
    );
    assert!(PgStore::execute_admin(
        &with(&[
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        ]),
        "SELECT 1"
    )
    .is_ok());

    // The binary: the OpenSSL list of the configuration file.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    let db = |list: &str| {
        format!(
            r#"{{ "type": "postgresql", "name": "postgres", "host": "localhost", "port": {},
                 "user": "postgres", "connect-timeout": 3, "trust-anchor": "{}", "cipher-list": "{list}" }}"#,
            pg.port,
            pki.path().join("ca.pem").display()
        )
    };
    std::fs::write(&cfg, config4(&db("AES256"), &[Ipv4Addr::new(127, 0, 0, 1)])).unwrap();
    let (ok, text) = ruru_db("version", &cfg);
    assert!(!ok, "AES256 only: {text}");
    std::fs::write(
        &cfg,
        config4(&db("AES128:!aRSA"), &[Ipv4Addr::new(127, 0, 0, 1)]),
    )
    .unwrap();
    let (ok, text) = ruru_db("version", &cfg);
    assert!(ok, "AES128: {text}");
}

/// TLS to PostgreSQL (Kea's `trust-anchor`, `cert-file`, `key-file`), on
/// a private server that takes TLS connections only: with the CA that
/// signed its certificate the store works (conformance suite); with
/// another CA, or a CA file that is missing, or without TLS, it does not
/// open, and the error says why. Then the server requires a client
/// certificate (`cert` authentication): it works with `cert-file` and
/// `key-file`, not without. `ruru db init|version` take the keys from the
/// configuration file.
#[test]
fn pg_tls() {
    let test = "pg_tls";
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path(), "postgres");
    let Some(pg) = PrivatePg::with_tls(test, pki.path()) else {
        return;
    };
    let ca = pki.path().join("ca.pem");
    let opts = pg.opts("ruru");
    assert_eq!(
        PgStore::init(&opts, ruru_lease_sql::KeaRelease::V2_2).unwrap(),
        ruru_lease::SchemaState::Version(ruru_lease_sql::KEA_PG.0, ruru_lease_sql::KEA_PG.1)
    );
    tls_store_works(&|| Box::new(PgStore::open(&opts).unwrap()), &|| {
        PgStore::execute_admin(&opts, "DELETE FROM lease4").unwrap()
    });

    // Another CA: the server's certificate is not trusted.
    let mut wrong = opts.clone();
    wrong.tls = Some(ruru_lease_sql::sql::DbTls {
        trust_anchor: pki.path().join("other-ca.pem"),
        client: None,
        tls12_suites: None,
        key_password: None,
    });
    let e = err_text(PgStore::open(&wrong));
    assert!(e.contains("certificate verification failed"), "{e}");
    assert!(e.contains("other-ca.pem"), "{e}");
    // With retry-on-startup, a failed handshake is a database that cannot
    // be reached (the server may get its new certificate): the store opens
    // down and tries again.
    let store = PgStore::open(&DbOptions {
        retry_on_startup: true,
        ..wrong.clone()
    })
    .unwrap();
    assert!(!store.connected());
    match store.events().unwrap().try_recv() {
        Ok(ruru_lease_sql::DbEvent::Lost { error }) => {
            assert!(error.contains("certificate verification failed"), "{error}")
        }
        e => panic!("expected Lost, got {e:?}"),
    }
    drop(store);
    // A trust anchor that is not there: named.
    let missing = pki.path().join("missing-ca.pem");
    wrong.tls = Some(ruru_lease_sql::sql::DbTls {
        trust_anchor: missing.clone(),
        client: None,
        tls12_suites: None,
        key_password: None,
    });
    let e = err_text(PgStore::open(&wrong));
    assert!(
        e.contains("trust-anchor") && e.contains(&missing.display().to_string()),
        "{e}"
    );
    // The CA's directory is a trust anchor too.
    let cas = tempfile::tempdir().unwrap();
    std::fs::copy(&ca, cas.path().join("ca.pem")).unwrap();
    std::fs::write(cas.path().join("README"), "not a certificate\n").unwrap();
    let by_dir = DbOptions {
        tls: Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: cas.path().to_path_buf(),
            client: None,
            tls12_suites: None,
            key_password: None,
        }),
        ..opts.clone()
    };
    assert!(PgStore::open(&by_dir).unwrap().connected());
    // Without TLS: the server refuses (no `host` line for plain
    // connections).
    let plain = DbOptions {
        tls: None,
        ..opts.clone()
    };
    let e = err_text(PgStore::open(&plain));
    assert!(e.contains("no encryption"), "{e}");

    // The binary: the keys of the configuration file.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    let db = |ca: &std::path::Path| {
        format!(
            r#"{{ "type": "postgresql", "name": "ruru", "host": "localhost", "port": {},
                 "user": "postgres", "connect-timeout": 3, "trust-anchor": "{}" }}"#,
            pg.port,
            ca.display()
        )
    };
    std::fs::write(&cfg, config4(&db(&ca), &[Ipv4Addr::new(127, 0, 0, 1)])).unwrap();
    let (ok, text) = ruru_db("version", &cfg);
    assert!(ok && text.contains("13.0"), "{text}");
    std::fs::write(&cfg, config4(&db(&missing), &[Ipv4Addr::new(127, 0, 0, 1)])).unwrap();
    let (ok, text) = ruru_db("version", &cfg);
    assert!(!ok && text.contains("missing-ca.pem"), "{text}");

    // A client certificate required (`cert` authentication, against
    // `ssl_ca_file`).
    std::fs::write(
        pg.data().join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 cert\n",
    )
    .unwrap();
    assert!(pg.pg_ctl(&["reload"]), "pg_ctl reload:\n{}", pg.log());
    std::thread::sleep(Duration::from_millis(500));
    let e = err_text(PgStore::open(&opts));
    assert!(!e.is_empty(), "opened without a client certificate");
    let with_cert = DbOptions {
        tls: Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: ca.clone(),
            client: Some((pki.path().join("client.pem"), pki.path().join("client.key"))),
            tls12_suites: None,
            key_password: None,
        }),
        ..opts.clone()
    };
    let store = PgStore::open(&with_cert).unwrap();
    let l = ruru_lease::conformance::lease4(8);
    store.add4(&l).unwrap();
    assert_eq!(store.get4(l.addr), Some(l));
}

/// A MariaDB server of the test's own that takes TLS connections only
/// (`--require-secure-transport`), with the certificate and key of a
/// [`make_pki`] directory: `mariadb-install-db` in a temporary directory,
/// `mariadbd` on a free port of 127.0.0.1 (user `root`, no password). It is
/// stopped (and its directory removed) when this is dropped, also when the
/// test fails.
struct PrivateMy {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

/// A MariaDB server program: in `PATH`, or in /usr/sbin and /usr/bin.
fn mariadb_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl PrivateMy {
    /// `None` (after a SKIP) when MariaDB's server programs are missing.
    fn with_tls(test: &str, pki: &std::path::Path) -> Option<PrivateMy> {
        let (Some(install), Some(server)) =
            (mariadb_tool("mariadb-install-db"), mariadb_tool("mariadbd"))
        else {
            skip(
                test,
                "needs MariaDB's server programs (mariadb-install-db, mariadbd) for a private server",
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // `--no-defaults`: not the machine's my.cnf (its user, its log
        // file). As root, the server runs as root (`--user=root`).
        let user = is_root().then_some("--user=root");
        let out = Command::new(install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
            .args(user)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mariadb-install-db: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_tcp_port();
        let p = |f: &str| pki.join(f).display().to_string();
        let d = |f: &str| dir.path().join(f).display().to_string();
        let child = Command::new(server)
            .arg("--no-defaults")
            .args(user)
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", d("sock")))
            .arg(format!("--pid-file={}", d("pid")))
            .arg(format!("--log-error={}", d("log")))
            .arg(format!("--port={port}"))
            .args(["--bind-address=127.0.0.1", "--skip-log-bin"])
            .arg("--innodb-flush-log-at-trx-commit=0")
            .arg(format!("--ssl-ca={}", p("ca.pem")))
            .arg(format!("--ssl-cert={}", p("server.pem")))
            .arg(format!("--ssl-key={}", p("server.key")))
            .arg("--require-secure-transport=ON")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut my = PrivateMy { dir, port, child };
        // Ready when it takes connections.
        let until = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(st)) = my.child.try_wait() {
                panic!("mariadbd exited ({st}):\n{}", my.log());
            }
            assert!(
                Instant::now() < until,
                "mariadbd did not start:\n{}",
                my.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let admin = my.opts("", pki);
        MySqlStore::execute_admin(&admin, "CREATE DATABASE ruru")
            .unwrap_or_else(|e| panic!("{e}\n{}", my.log()));
        Some(my)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Database `name` as `root`, over TLS with `pki`'s CA.
    fn opts(&self, name: &str, pki: &std::path::Path) -> DbOptions {
        let mut o = DbOptions::new(name);
        o.host = "127.0.0.1".into();
        o.port = Some(self.port);
        o.user = Some("root".into());
        o.connect_timeout = Duration::from_secs(3);
        o.tls = Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: pki.join("ca.pem"),
            client: None,
            tls12_suites: None,
            key_password: None,
        });
        o
    }
}

impl Drop for PrivateMy {
    fn drop(&mut self) {
        // Only the server this test started, by its process.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// TLS to MariaDB, on a private server that takes TLS connections only:
/// with the CA that signed its certificate the store works (conformance
/// suite); with another CA, a missing CA file, or without TLS, it does not
/// open, and the error says why.
#[test]
fn mysql_tls() {
    let test = "mysql_tls";
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path(), "root");
    let Some(my) = PrivateMy::with_tls(test, pki.path()) else {
        return;
    };
    let opts = my.opts("ruru", pki.path());
    assert_eq!(
        MySqlStore::init(&opts, ruru_lease_sql::KeaRelease::V2_2).unwrap(),
        ruru_lease::SchemaState::Version(ruru_lease_sql::KEA_MYSQL.0, ruru_lease_sql::KEA_MYSQL.1)
    );
    tls_store_works(&|| Box::new(MySqlStore::open(&opts).unwrap()), &|| {
        MySqlStore::execute_admin(&opts, "DELETE FROM lease4").unwrap()
    });
    // The host name is checked too: `localhost` is in the certificate.
    let by_name = DbOptions {
        host: "localhost".into(),
        ..opts.clone()
    };
    assert!(MySqlStore::open(&by_name).unwrap().connected());

    let other = |trust_anchor: PathBuf| DbOptions {
        tls: Some(ruru_lease_sql::sql::DbTls {
            trust_anchor,
            client: None,
            tls12_suites: None,
            key_password: None,
        }),
        ..opts.clone()
    };
    let e = err_text(MySqlStore::open(&other(pki.path().join("other-ca.pem"))));
    assert!(e.contains("certificate verification failed"), "{e}");
    assert!(e.contains("other-ca.pem"), "{e}");
    let missing = pki.path().join("missing-ca.pem");
    let e = err_text(MySqlStore::open(&other(missing.clone())));
    assert!(
        e.contains("trust-anchor") && e.contains(&missing.display().to_string()),
        "{e}"
    );
    let e = err_text(MySqlStore::open(&DbOptions {
        tls: None,
        ..opts.clone()
    }));
    // (MariaDB refuses it as "Access denied"; the same user gets in with
    // TLS above.)
    assert!(e.contains("Access denied"), "opened without TLS: {e}");

    // A client certificate required (`REQUIRE X509`). The MySQL driver
    // takes RSA client keys only: one made by `openssl` (PKCS#8, as
    // OpenSSL 3 writes it), signed by the CA.
    MySqlStore::execute_admin(
        &opts,
        "CREATE USER 'x509'@'%' REQUIRE X509; GRANT ALL ON ruru.* TO 'x509'@'%'",
    )
    .unwrap();
    let user = DbOptions {
        user: Some("x509".into()),
        ..opts.clone()
    };
    let e = err_text(MySqlStore::open(&user));
    assert!(
        e.contains("Access denied"),
        "opened without a client certificate: {e}"
    );
    let client = |cert: &str, key: &str| DbOptions {
        tls: Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: pki.path().join("ca.pem"),
            client: Some((pki.path().join(cert), pki.path().join(key))),
            tls12_suites: None,
            key_password: None,
        }),
        ..user.clone()
    };
    let e = err_text(MySqlStore::open(&client("client.pem", "client.key")));
    assert!(
        e.contains("client.key") && e.contains("RSA") && e.contains("not supported yet"),
        "an EC key: {e}"
    );
    if !openssl_rsa_client(pki.path(), "x509") {
        skip(test, "needs `openssl` for an RSA client certificate");
        return;
    }
    let store = MySqlStore::open(&client("rsa.pem", "rsa.key")).unwrap();
    let l = ruru_lease::conformance::lease4(9);
    store.add4(&l).unwrap();
    assert_eq!(store.get4(l.addr), Some(l.clone()));

    // Kea's `key-password`: the same key encrypted (PKCS#8, PBES2 with
    // AES-256-CBC, as `openssl pkcs8 -topk8` writes it).
    let enc = Command::new("openssl")
        .current_dir(pki.path())
        .args([
            "pkcs8",
            "-topk8",
            "-in",
            "rsa.key",
            "-out",
            "rsa-enc.key",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:s3cret",
        ])
        .status()
        .unwrap();
    assert!(enc.success());
    let encrypted = |password: Option<&str>| DbOptions {
        tls: Some(ruru_lease_sql::sql::DbTls {
            trust_anchor: pki.path().join("ca.pem"),
            client: Some((pki.path().join("rsa.pem"), pki.path().join("rsa-enc.key"))),
            tls12_suites: None,
            key_password: password.map(str::to_string),
        }),
        ..user.clone()
    };
    let e = err_text(MySqlStore::open(&encrypted(None)));
    assert!(
        e.contains("rsa-enc.key") && e.contains("encrypted") && e.contains("key-password"),
        "{e}"
    );
    let e = err_text(MySqlStore::open(&encrypted(Some("wrong"))));
    assert!(
        e.contains("rsa-enc.key") && e.contains("cannot decrypt"),
        "{e}"
    );
    let store = MySqlStore::open(&encrypted(Some("s3cret"))).unwrap();
    assert_eq!(store.get4(l.addr), Some(l));
}

/// rsa.pem and rsa.key in `dir`, a [`make_pki`] directory: an RSA client
/// certificate with CN `cn` signed by its CA, made with `openssl`; false
/// when `openssl` is not there.
fn openssl_rsa_client(dir: &std::path::Path, cn: &str) -> bool {
    let run = |args: &[&str]| {
        Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .map(|o| {
                assert!(
                    o.status.success(),
                    "openssl {args:?}: {}",
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .is_ok()
    };
    // An extension makes it a version 3 certificate (rustls takes no other).
    std::fs::write(dir.join("rsa.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    let subject = format!("/CN={cn}");
    run(&[
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-subj", &subject, "-out",
        "rsa.csr",
    ]) && run(&[
        "x509",
        "-req",
        "-in",
        "rsa.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "rsa.ext",
        "-out",
        "rsa.pem",
    ])
}
