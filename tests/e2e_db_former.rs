//! `ruru db upgrade` of a database made by ruru 1.0–1.2 with its former
//! schema of its own (issue 19): `ruru serve` refuses it and names the
//! command; every lease and reservation moves into Kea 2.2's schema (also
//! from 1.0, leases alone), the former tables are kept aside, and `ruru
//! serve` runs on the result (a reserved client gets its address); a
//! migration that fails leaves the former database as it was.
//!
//! The former schema is created here exactly as ruru 1.2 created it: its
//! migrations (`MIGRATIONS` of `crates/ruru-lease-sql/src/postgres.rs` and
//! `mysql.rs` before commit e0b12ce) run by its runner's steps, and rows
//! written as ruru 1.2 wrote them (`expire` in Unix seconds, hosts'
//! options as a JSON list in `option_data`).
//!
//! For PostgreSQL and MySQL/MariaDB; a database missing is a SKIP (a
//! failure under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::db::*;
use common::*;
use dhcproto::v4::MessageType;
use ruru_lease::{HostStore, IdType, Lease4, Lease6, LeaseState, LeaseStore, LeaseType6};
use ruru_lease_sql::{MySqlStore, PgStore};

/// ruru 1.2's schema migrations (1.0 the leases, 1.1 hosts, 1.2 DHCPv6 hosts), as it shipped them.
const PG_FORMER: &[((u32, u32), &str)] = &[
    (
        (1, 0),
        r#"CREATE TABLE lease4 (
        address BIGINT PRIMARY KEY,
        hwaddr BYTEA NOT NULL,
        client_id BYTEA,
        valid_lifetime BIGINT NOT NULL,
        expire BIGINT NOT NULL,
        subnet_id BIGINT NOT NULL,
        fqdn_fwd BOOLEAN NOT NULL,
        fqdn_rev BOOLEAN NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        state INT NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX lease4_by_hwaddr ON lease4 (hwaddr);
    CREATE INDEX lease4_by_client_id ON lease4 (client_id);
    CREATE INDEX lease4_by_state_expire ON lease4 (state, expire);
    CREATE TABLE lease6 (
        address VARCHAR(39) PRIMARY KEY,
        duid BYTEA NOT NULL,
        valid_lifetime BIGINT NOT NULL,
        expire BIGINT NOT NULL,
        subnet_id BIGINT NOT NULL,
        pref_lifetime BIGINT NOT NULL,
        lease_type SMALLINT NOT NULL,
        iaid BIGINT NOT NULL,
        prefix_len SMALLINT NOT NULL,
        fqdn_fwd BOOLEAN NOT NULL,
        fqdn_rev BOOLEAN NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        hwaddr BYTEA NOT NULL,
        state INT NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL DEFAULT '',
        hwtype INT NOT NULL,
        hwaddr_source BIGINT NOT NULL
    );
    CREATE INDEX lease6_by_duid_iaid ON lease6 (duid, iaid, lease_type);
    CREATE INDEX lease6_by_state_expire ON lease6 (state, expire)"#,
    ),
    (
        (1, 1),
        r#"CREATE TABLE hosts (
        host_id BIGSERIAL PRIMARY KEY,
        dhcp_identifier BYTEA NOT NULL,
        dhcp_identifier_type SMALLINT NOT NULL,
        dhcp4_subnet_id BIGINT NOT NULL,
        ipv4_address BIGINT,
        hostname VARCHAR(255) NOT NULL DEFAULT '',
        dhcp4_next_server BIGINT,
        dhcp4_server_hostname VARCHAR(64) NOT NULL DEFAULT '',
        dhcp4_boot_file_name VARCHAR(128) NOT NULL DEFAULT '',
        option_data TEXT,
        CONSTRAINT hosts_identifier_unique UNIQUE (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id),
        CONSTRAINT hosts_address_unique UNIQUE (ipv4_address, dhcp4_subnet_id)
    )"#,
    ),
    (
        (1, 2),
        r#"ALTER TABLE hosts ALTER COLUMN dhcp4_subnet_id DROP NOT NULL;
    ALTER TABLE hosts ADD COLUMN dhcp6_subnet_id BIGINT;
    ALTER TABLE hosts ADD COLUMN dhcp6_option_data TEXT;
    ALTER TABLE hosts ADD CONSTRAINT hosts_identifier6_unique
        UNIQUE (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id);
    CREATE TABLE ipv6_reservations (
        reservation_id BIGSERIAL PRIMARY KEY,
        address VARCHAR(39) NOT NULL,
        prefix_len SMALLINT NOT NULL DEFAULT 128,
        type SMALLINT NOT NULL DEFAULT 0,
        host_id BIGINT NOT NULL REFERENCES hosts (host_id) ON DELETE CASCADE,
        CONSTRAINT ipv6_reservations_unique UNIQUE (address, prefix_len)
    );
    CREATE INDEX ipv6_reservations_by_host ON ipv6_reservations (host_id);
    CREATE INDEX hosts_by_dhcp6_subnet ON hosts (dhcp6_subnet_id)"#,
    ),
];

/// The same for MySQL/MariaDB.
const MYSQL_FORMER: &[((u32, u32), &str)] = &[
    (
        (1, 0),
        r#"CREATE TABLE lease4 (
        address INT UNSIGNED PRIMARY KEY NOT NULL,
        hwaddr VARBINARY(20) NOT NULL,
        client_id VARBINARY(255),
        valid_lifetime INT UNSIGNED NOT NULL,
        expire BIGINT UNSIGNED NOT NULL,
        subnet_id INT UNSIGNED NOT NULL,
        fqdn_fwd BOOL NOT NULL,
        fqdn_rev BOOL NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        state INT UNSIGNED NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL,
        INDEX lease4_by_hwaddr (hwaddr),
        INDEX lease4_by_client_id (client_id),
        INDEX lease4_by_state_expire (state, expire)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
    CREATE TABLE lease6 (
        address VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY NOT NULL,
        duid VARBINARY(130) NOT NULL,
        valid_lifetime INT UNSIGNED NOT NULL,
        expire BIGINT UNSIGNED NOT NULL,
        subnet_id INT UNSIGNED NOT NULL,
        pref_lifetime INT UNSIGNED NOT NULL,
        lease_type TINYINT UNSIGNED NOT NULL,
        iaid INT UNSIGNED NOT NULL,
        prefix_len TINYINT UNSIGNED NOT NULL,
        fqdn_fwd BOOL NOT NULL,
        fqdn_rev BOOL NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        hwaddr VARBINARY(20) NOT NULL,
        state INT UNSIGNED NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL,
        hwtype SMALLINT UNSIGNED NOT NULL,
        hwaddr_source INT UNSIGNED NOT NULL,
        INDEX lease6_by_duid_iaid (duid, iaid, lease_type),
        INDEX lease6_by_state_expire (state, expire)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4"#,
    ),
    (
        (1, 1),
        r#"CREATE TABLE hosts (
        host_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
        dhcp_identifier VARBINARY(255) NOT NULL,
        dhcp_identifier_type TINYINT UNSIGNED NOT NULL,
        dhcp4_subnet_id INT UNSIGNED NOT NULL,
        ipv4_address INT UNSIGNED,
        hostname VARCHAR(255) NOT NULL DEFAULT '',
        dhcp4_next_server INT UNSIGNED,
        dhcp4_server_hostname VARCHAR(64) NOT NULL DEFAULT '',
        dhcp4_boot_file_name VARCHAR(128) NOT NULL DEFAULT '',
        option_data TEXT,
        UNIQUE KEY hosts_identifier_unique (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id),
        UNIQUE KEY hosts_address_unique (ipv4_address, dhcp4_subnet_id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4"#,
    ),
    (
        (1, 2),
        r#"ALTER TABLE hosts MODIFY dhcp4_subnet_id INT UNSIGNED NULL;
    ALTER TABLE hosts
        ADD COLUMN dhcp6_subnet_id INT UNSIGNED NULL,
        ADD COLUMN dhcp6_option_data TEXT,
        ADD UNIQUE KEY hosts_identifier6_unique (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id),
        ADD INDEX hosts_by_dhcp6_subnet (dhcp6_subnet_id);
    CREATE TABLE ipv6_reservations (
        reservation_id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
        address VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        prefix_len TINYINT UNSIGNED NOT NULL DEFAULT 128,
        type TINYINT UNSIGNED NOT NULL DEFAULT 0,
        host_id BIGINT UNSIGNED NOT NULL,
        UNIQUE KEY ipv6_reservations_unique (address, prefix_len),
        INDEX ipv6_reservations_by_host (host_id),
        CONSTRAINT ipv6_reservations_host FOREIGN KEY (host_id)
            REFERENCES hosts (host_id) ON DELETE CASCADE
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4"#,
    ),
];

/// A far expiry (2033), as Unix seconds.
const EXPIRE: u64 = 2_000_000_000;

/// Creates ruru 1.2's former schema in `db`, as its migration runner did.
fn former_schema(db: &Db) {
    former_schema_to(db, (1, 2));
}

/// [`former_schema`] at an older version of ruru's (`upto`: 1.0, 1.1).
fn former_schema_to(db: &Db, upto: (u32, u32)) {
    let (create, migrations) = match db.kind {
        Kind::Pg => (
            "CREATE TABLE schema_version (version INT NOT NULL, minor INT NOT NULL)",
            PG_FORMER,
        ),
        Kind::My => (
            "CREATE TABLE IF NOT EXISTS schema_version \
             (version INT UNSIGNED NOT NULL, minor INT UNSIGNED NOT NULL) ENGINE = InnoDB",
            MYSQL_FORMER,
        ),
    };
    let exec = |s: &str| db.kind.exec(&db.opts, s).unwrap();
    exec(create);
    exec("INSERT INTO schema_version VALUES (0, 0)");
    for ((v, m), text) in migrations.iter().filter(|(to, _)| *to <= upto) {
        for s in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            exec(s);
        }
        exec(&format!(
            "UPDATE schema_version SET version = {v}, minor = {m}"
        ));
    }
}

/// Bytes as a SQL literal of `kind`.
fn bytes(kind: Kind, b: &[u8]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    match kind {
        Kind::Pg => format!("'\\x{hex}'::bytea"),
        Kind::My => format!("x'{hex}'"),
    }
}

/// The leases the former database holds (as ruru 1.2 wrote them, see
/// [`former_rows`]).
fn leases() -> (Vec<Lease4>, Vec<Lease6>) {
    let l4 = |last: u8, client_id: Option<Vec<u8>>, valid: u32, expire: u64, ctx: &str| Lease4 {
        addr: Ipv4Addr::new(192, 0, 2, last),
        hwaddr: vec![2, 0, 0x5e, 0x10, 0, last],
        client_id,
        valid_lifetime: valid,
        expire,
        subnet_id: 1,
        fqdn_fwd: last == 10,
        fqdn_rev: false,
        hostname: if last == 10 {
            "a.example.org.".into()
        } else {
            String::new()
        },
        state: if last == 12 {
            LeaseState::Declined
        } else {
            LeaseState::Default
        },
        user_context: ctx.into(),
        pool_id: 0,
    };
    let v4 = vec![
        l4(
            10,
            Some(vec![1, 2, 0, 0x5e, 0x10, 0, 10]),
            3600,
            EXPIRE,
            r#"{"ISC": {"relay-agent-info": {"sub-options": "0104AABBCCDD"}}}"#,
        ),
        // An infinite lifetime: ruru 1.2 stored cltt + 2^32-1.
        l4(11, None, u32::MAX, 1_700_000_000 + u64::from(u32::MAX), ""),
        l4(12, None, 3600, EXPIRE, ""),
    ];
    let l6 = |address: &str, lease_type, iaid, prefix_len| Lease6 {
        address: address.parse().unwrap(),
        duid: vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 7],
        valid_lifetime: 4000,
        expire: EXPIRE,
        subnet_id: 1,
        pref_lifetime: 3000,
        lease_type,
        iaid,
        prefix_len,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        hwaddr: vec![2, 0, 0, 0, 0, 7],
        state: LeaseState::Default,
        user_context: String::new(),
        hwtype: 1,
        hwaddr_source: 2,
        pool_id: 0,
    };
    let v6 = vec![
        // An IAID above 2^31 (PostgreSQL's Kea column is signed).
        l6("2001:db8:1::10", LeaseType6::Na, 3_000_000_000, 128),
        l6("2001:db8:8:100::", LeaseType6::Pd, 2, 56),
    ];
    (v4, v6)
}

/// Writes the former rows: the leases of [`leases`], a DHCPv4 host with
/// options and a DHCPv6 host with an address, a prefix and an option.
/// `bad_options`: the DHCPv4 host's options are not JSON (a migration
/// that must fail).
fn former_rows(db: &Db, bad_options: bool) {
    let k = db.kind;
    let exec = |s: &str| k.exec(&db.opts, s).unwrap();
    let b = |x: bool| if x { "TRUE" } else { "FALSE" };
    let (v4, v6) = leases();
    for l in &v4 {
        exec(&format!(
            "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
             fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES \
             ({}, {}, {}, {}, {}, 1, {}, {}, '{}', {}, '{}')",
            u32::from(l.addr),
            bytes(k, &l.hwaddr),
            l.client_id.as_ref().map_or("NULL".into(), |c| bytes(k, c)),
            l.valid_lifetime,
            l.expire,
            b(l.fqdn_fwd),
            b(l.fqdn_rev),
            l.hostname,
            l.state.code(),
            l.user_context
        ));
    }
    for l in &v6 {
        exec(&format!(
            "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, \
             pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, \
             state, user_context, hwtype, hwaddr_source) VALUES \
             ('{}', {}, 4000, {}, 1, 3000, {}, {}, {}, FALSE, FALSE, '', {}, 0, '', 1, 2)",
            l.address,
            bytes(k, &l.duid),
            l.expire,
            l.lease_type.code(),
            l.iaid,
            l.prefix_len,
            bytes(k, &l.hwaddr)
        ));
    }
    let options4 = if bad_options {
        "nope"
    } else {
        r#"[{"code": 6, "data": "c0000201"}, {"code": 15, "data": "6578616d706c65", "always-send": true}]"#
    };
    exec(&format!(
        "INSERT INTO hosts (host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
         ipv4_address, hostname, dhcp4_next_server, dhcp4_boot_file_name, option_data) VALUES \
         (5, {}, 0, 1, {}, 'printer', {}, 'boot.img', '{options4}')",
        bytes(k, &[2, 0, 0x5e, 0x10, 0, 5]),
        u32::from(Ipv4Addr::new(192, 0, 2, 50)),
        u32::from(Ipv4Addr::new(192, 0, 2, 1)),
    ));
    exec(&format!(
        "INSERT INTO hosts (host_id, dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, \
         hostname, dhcp6_option_data) VALUES (9, {}, 1, 1, 'nas6', \
         '[{{\"code\": 23, \"data\": \"20010db8000000000000000000000053\"}}]')",
        bytes(k, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 9]),
    ));
    exec(
        "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) VALUES \
         ('2001:db8:1::77', 128, 0, 9), ('2001:db8:9:100::', 56, 2, 9)",
    );
}

/// A configuration with `Dhcp4` and `Dhcp6` on `db` (lease and hosts
/// database), the DHCPv4 subnet behind `relay`.
fn config(db: &Db, relay: Ipv4Addr) -> String {
    let database = format!(
        r#"{{ "type": "{}", "name": "{}", "host": "127.0.0.1", "user": "{}" }}"#,
        db.kind.type_name(),
        db.opts.name,
        db.kind.user()
    );
    db.config(&[relay])
        .replacen(
            r#""valid-lifetime": 3600,"#,
            &format!(r#""valid-lifetime": 3600, "hosts-database": {database},"#),
            1,
        )
        .replacen(
            "\n} }",
            &format!(
                r#"
}},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {database},
    "hosts-database": {database},
    "server-id": {{ "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
                   "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
  }}
}}"#
            ),
            1,
        )
}

/// What `ruru serve -c cfg` says when it refuses to start (it must exit
/// within 20 seconds, unsuccessfully).
fn serve_refusal(cfg: &std::path::Path) -> String {
    let mut child = std::process::Command::new(BIN)
        .args(["serve", "-c"])
        .arg(cfg)
        .args([
            "-p",
            &free_port().to_string(),
            "-P",
            &free_port().to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ruru serve started on ruru's former schema");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn former_upgrade(kind: Kind, test: &str) {
    let relay_test = format!("{test}_r");
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    former_schema(&db);
    former_rows(&db, false);
    let relay = relay_addr_for(&relay_test);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, config(&db, relay)).unwrap();
    // Before: `ruru serve` refuses it, naming the command that moves it.
    let refused = serve_refusal(&cfg);
    assert!(
        refused.contains(&format!("ruru db upgrade -c {}", cfg.display())),
        "{refused}"
    );
    let (ok, text) = ruru_db("version", &cfg);
    assert!(ok && text.contains("1.2"), "{text}");

    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok, "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
    // Running it again changes nothing.
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok, "{text}");

    // Every lease, as it was.
    let store: Box<dyn LeaseStore> = db.store();
    let (v4, v6) = leases();
    let mut got4 = store.all4();
    got4.sort_by_key(|l| l.addr);
    assert_eq!(got4, v4);
    let mut got6 = store.all6();
    got6.sort_by_key(|l| l.address);
    assert_eq!(got6, v6);
    // Kea's statistics count them (its triggers ran on the copy).
    assert_eq!(
        query(
            &db,
            "SELECT subnet_id, state, leases FROM lease4_stat WHERE leases <> 0 \
             ORDER BY subnet_id, state"
        ),
        "1 0 2 1 1 1"
    );
    assert_eq!(
        query(
            &db,
            "SELECT subnet_id, lease_type, state, leases FROM lease6_stat WHERE leases <> 0 \
             ORDER BY subnet_id, lease_type, state"
        ),
        "1 0 0 1 1 2 0 1"
    );
    // Every reservation, with its options.
    let hosts: Box<dyn HostStore> = match kind {
        Kind::Pg => Box::new(PgStore::open(&db.opts).unwrap()),
        Kind::My => Box::new(MySqlStore::open(&db.opts).unwrap()),
    };
    let h4 = hosts.all4(1);
    assert_eq!(h4.len(), 1, "{h4:?}");
    let h = &h4[0];
    assert_eq!(
        (
            h.host_id,
            h.id_type,
            &h.identifier[..],
            h.ipv4_address,
            &h.hostname[..]
        ),
        (
            5,
            IdType::HwAddress,
            &[2, 0, 0x5e, 0x10, 0, 5][..],
            Some(Ipv4Addr::new(192, 0, 2, 50)),
            "printer"
        )
    );
    assert_eq!(
        (h.next_server, &h.server_hostname[..], &h.boot_file_name[..]),
        (Some(Ipv4Addr::new(192, 0, 2, 1)), "", "boot.img")
    );
    let opts: serde_json::Value = serde_json::from_str(&h.option_data).unwrap();
    assert_eq!(
        opts,
        serde_json::json!([{"code": 6, "data": "c0000201"},
                           {"code": 15, "data": "6578616d706c65", "always-send": true}])
    );
    let h6 = hosts.all6(1);
    assert_eq!(h6.len(), 1, "{h6:?}");
    let h = &h6[0];
    assert_eq!(
        (h.host_id, h.id_type, &h.hostname[..]),
        (9, IdType::Duid, "nas6")
    );
    assert_eq!(
        h.ip_addresses,
        vec!["2001:db8:1::77".parse::<Ipv6Addr>().unwrap()]
    );
    assert_eq!(h.prefixes, vec![("2001:db8:9:100::".parse().unwrap(), 56)]);
    let opts: serde_json::Value = serde_json::from_str(&h.option_data).unwrap();
    assert_eq!(
        opts,
        serde_json::json!([{"code": 23, "data": "20010db8000000000000000000000053"}])
    );
    // The former tables are kept aside, whole.
    let former = match kind {
        Kind::Pg => "ruru_former.",
        Kind::My => "ruru_former_",
    };
    assert_eq!(
        query(
            &db,
            &format!(
                "SELECT (SELECT COUNT(*) FROM {former}lease4), (SELECT COUNT(*) FROM {former}lease6), \
                 (SELECT COUNT(*) FROM {former}hosts), (SELECT COUNT(*) FROM {former}ipv6_reservations), \
                 (SELECT version FROM {former}schema_version)"
            )
        ),
        "3 2 2 2 1"
    );
    // A new host gets an id after the copied ones.
    let mut new = ruru_lease::Host4::new(IdType::HwAddress, vec![2, 0, 0x5e, 0x10, 0, 6], 1);
    new.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 51));
    hosts.add4(&new).unwrap();
    assert!(hosts
        .all4(1)
        .iter()
        .any(|h| h.host_id > 9 && h.identifier == new.identifier));
    drop((store, hosts));

    // ruru serves on it: the reserved client gets its address.
    let srv = Server::start_in(dir, &config(&db, relay));
    if can_bind_67(&relay_test) {
        let relay = Relay::new(relay, srv.port);
        let mut c = Client::new(5, relay.addr);
        let offer = relay.exchange(&c.discover()).expect("OFFER");
        assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 50));
        let ack = relay
            .exchange(&c.request_selecting(offer.yiaddr(), server_id(&offer).unwrap()))
            .expect("ACK");
        assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    }
}

/// A former database whose rows cannot all be moved (a host's options are
/// not JSON): `ruru db upgrade` fails, says why, and leaves the former
/// schema and rows as they were (run again after fixing the row, it
/// succeeds).
fn former_upgrade_fails_safely(kind: Kind, test: &str) {
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    former_schema(&db);
    former_rows(&db, true);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, config(&db, Ipv4Addr::new(127, 0, 0, 2))).unwrap();
    let tables = "SELECT table_name FROM information_schema.tables \
                  WHERE table_schema = {S} ORDER BY table_name";
    let tables = tables.replace(
        "{S}",
        match kind {
            Kind::Pg => "'public'",
            Kind::My => "DATABASE()",
        },
    );
    let before = query(&db, &tables);
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(!ok, "{text}");
    assert!(
        text.contains("former host 5") && text.contains("not JSON"),
        "{text}"
    );
    assert_eq!(
        query(&db, &tables),
        before,
        "the former tables, alone, as they were"
    );
    assert_eq!(
        query(
            &db,
            "SELECT (SELECT COUNT(*) FROM lease4), (SELECT COUNT(*) FROM lease6), \
                    (SELECT COUNT(*) FROM hosts), (SELECT version FROM schema_version), \
                    (SELECT minor FROM schema_version)"
        ),
        "3 2 2 1 2"
    );
    let (ok, text) = ruru_db("version", &cfg);
    assert!(ok && text.contains("1.2"), "{text}");
    kind.exec(
        &db.opts,
        "UPDATE hosts SET option_data = NULL WHERE host_id = 5",
    )
    .unwrap();
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok, "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
}

/// A database of ruru 1.0 (the lease tables alone): its leases move.
fn former_upgrade_10(kind: Kind, test: &str) {
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    former_schema_to(&db, (1, 0));
    let (v4, v6) = leases();
    // The 1.2 rows without the hosts.
    let k = db.kind;
    for l in &v4 {
        k.exec(
            &db.opts,
            &format!(
                "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, \
                 subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES \
                 ({}, {}, NULL, {}, {}, 1, FALSE, FALSE, '', {}, '')",
                u32::from(l.addr),
                bytes(k, &l.hwaddr),
                l.valid_lifetime,
                l.expire,
                l.state.code()
            ),
        )
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, config(&db, Ipv4Addr::new(127, 0, 0, 2))).unwrap();
    let (ok, text) = ruru_db("version", &cfg);
    assert!(ok && text.contains("1.0"), "{text}");
    let (ok, text) = ruru_db("upgrade", &cfg);
    assert!(ok, "{text}");
    assert_eq!(ruru_db("version", &cfg), (true, kind.newest_version()));
    let mut got = db.store().all4();
    got.sort_by_key(|l| l.addr);
    let want: Vec<Lease4> = v4
        .into_iter()
        .map(|mut l| {
            (l.client_id, l.fqdn_fwd, l.hostname, l.user_context) =
                (None, false, String::new(), String::new());
            l
        })
        .collect();
    assert_eq!(got, want);
    assert!(db.store().all6().is_empty() && !v6.is_empty());
}

#[test]
fn pg_former_upgrade_10() {
    former_upgrade_10(Kind::Pg, "pg_former_10");
}

#[test]
fn mysql_former_upgrade_10() {
    former_upgrade_10(Kind::My, "my_former_10");
}

#[test]
fn pg_former_upgrade() {
    former_upgrade(Kind::Pg, "pg_former_up");
}

#[test]
fn mysql_former_upgrade() {
    former_upgrade(Kind::My, "my_former_up");
}

#[test]
fn pg_former_upgrade_fails_safely() {
    former_upgrade_fails_safely(Kind::Pg, "pg_former_fail");
}

#[test]
fn mysql_former_upgrade_fails_safely() {
    former_upgrade_fails_safely(Kind::My, "my_former_fail");
}
