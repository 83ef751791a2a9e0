//! What the database tests share: a database per test (`TestDb`),
//! statements run as the administrator, and Kea 2.4's table shapes.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ruru_lease::conformance::{run_all4, run_all6};
use ruru_lease::{LeaseStore, SchemaState};
use ruru_lease_sql::sql::skip;
use ruru_lease_sql::{DbOptions, MySqlStore, PgStore, KEA_MYSQL, KEA_PG};

#[derive(Clone, Copy)]
pub enum Kind {
    Pg,
    My,
}

impl Kind {
    /// The Kea 2.2 schema version of this backend.
    pub fn kea(self) -> (u32, u32) {
        match self {
            Kind::Pg => KEA_PG,
            Kind::My => KEA_MYSQL,
        }
    }
}

pub fn admin(kind: Kind) -> DbOptions {
    let mut o = DbOptions::new("");
    o.host = "127.0.0.1".into();
    o.connect_timeout = Duration::from_secs(3);
    match kind {
        Kind::Pg => {
            o.name = "postgres".into();
            o.user = Some("postgres".into());
        }
        Kind::My => o.user = Some("root".into()),
    }
    o
}

pub fn exec(kind: Kind, opts: &DbOptions, sql: &str) -> Result<(), ruru_lease::LeaseError> {
    match kind {
        Kind::Pg => PgStore::execute_admin(opts, sql),
        Kind::My => MySqlStore::execute_admin(opts, sql),
    }
}

/// A database created for one test, dropped when this is dropped.
pub struct TestDb {
    pub kind: Kind,
    pub opts: DbOptions,
}

impl TestDb {
    /// `None` (after reporting SKIP) when the server is not reachable.
    pub fn new(kind: Kind, test: &str) -> Option<TestDb> {
        let admin = admin(kind);
        if let Err(e) = exec(kind, &admin, "SELECT 1") {
            skip(test, &format!("database not reachable: {e}"));
            return None;
        }
        let name = format!("ruru_{test}_{}", std::process::id());
        let _ = exec(kind, &admin, &format!("DROP DATABASE IF EXISTS {name}"));
        exec(kind, &admin, &format!("CREATE DATABASE {name}")).unwrap();
        let mut opts = admin;
        opts.name = name;
        Some(TestDb { kind, opts })
    }

    pub fn init(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::init(&self.opts).unwrap(),
            Kind::My => MySqlStore::init(&self.opts).unwrap(),
        }
    }

    pub fn version(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::schema_version(&self.opts).unwrap(),
            Kind::My => MySqlStore::schema_version(&self.opts).unwrap(),
        }
    }

    pub fn open(&self) -> Result<Box<dyn LeaseStore>, ruru_lease::LeaseError> {
        Ok(match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts)?),
            Kind::My => Box::new(MySqlStore::open(&self.opts)?),
        })
    }

    /// An empty store: the tables emptied, a new store opened.
    pub fn fresh(&self) -> Box<dyn LeaseStore> {
        exec(self.kind, &self.opts, "DELETE FROM lease4").unwrap();
        exec(self.kind, &self.opts, "DELETE FROM lease6").unwrap();
        self.open().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = &self.opts.name;
        let sql = match self.kind {
            Kind::Pg => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            Kind::My => format!("DROP DATABASE IF EXISTS {name}"),
        };
        let _ = exec(self.kind, &admin(self.kind), &sql);
    }
}

/// Makes Kea 2.2's lease and host tables those of Kea 2.4's schema (PG
/// 18.0, MySQL 19.0), for what ruru's statements touch: the option tables'
/// `cancelled`, lease4's `relay_id`/`remote_id`, both lease tables'
/// `pool_id` (with defaults, as Kea adds them), and the DHCPv6 addresses
/// of `lease6` and `ipv6_reservations` as PostgreSQL `INET` / MySQL
/// `BINARY(16)`. (Kea's own upgrade scripts are not in this repository;
/// the rest of Kea 2.4's schema is its configuration backend's.)
pub fn to_kea_2_4(kind: Kind, db: &TestDb) {
    let steps: &[&str] = match kind {
        Kind::Pg => &[
            "ALTER TABLE dhcp4_options ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE dhcp6_options ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE lease4 ADD COLUMN relay_id BYTEA DEFAULT NULL, ADD COLUMN remote_id BYTEA DEFAULT NULL",
            "ALTER TABLE lease4 ADD COLUMN pool_id BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE lease6 ADD COLUMN pool_id BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE lease6 ALTER COLUMN address TYPE INET USING address::inet",
            "ALTER TABLE ipv6_reservations ALTER COLUMN address TYPE INET USING address::inet",
            "UPDATE schema_version SET version = 18, minor = 0",
        ],
        Kind::My => &[
            "ALTER TABLE dhcp4_options ADD COLUMN cancelled TINYINT(1) NOT NULL DEFAULT 0",
            "ALTER TABLE dhcp6_options ADD COLUMN cancelled TINYINT(1) NOT NULL DEFAULT 0",
            "ALTER TABLE lease4 ADD COLUMN relay_id VARBINARY(255) DEFAULT NULL, ADD COLUMN remote_id VARBINARY(255) DEFAULT NULL",
            "ALTER TABLE lease4 ADD COLUMN pool_id INT UNSIGNED NOT NULL DEFAULT 0",
            "ALTER TABLE lease6 ADD COLUMN pool_id INT UNSIGNED NOT NULL DEFAULT 0",
            "ALTER TABLE lease6 ADD COLUMN address_bin BINARY(16)",
            "UPDATE lease6 SET address_bin = INET6_ATON(address)",
            "ALTER TABLE lease6 DROP PRIMARY KEY, DROP COLUMN address",
            "ALTER TABLE lease6 CHANGE address_bin address BINARY(16) NOT NULL FIRST, ADD PRIMARY KEY (address)",
            "ALTER TABLE ipv6_reservations ADD COLUMN address_bin BINARY(16)",
            "UPDATE ipv6_reservations SET address_bin = INET6_ATON(address)",
            "ALTER TABLE ipv6_reservations DROP COLUMN address",
            "ALTER TABLE ipv6_reservations CHANGE address_bin address BINARY(16) NOT NULL",
            "UPDATE schema_version SET version = 19, minor = 0",
        ],
    };
    for step in steps {
        exec(kind, &db.opts, step).unwrap_or_else(|e| panic!("{step}: {e}"));
    }
}

pub fn conformance_on(kind: Kind, test: &str, v6: bool, kea24: bool) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    if kea24 {
        to_kea_2_4(kind, &db);
    }
    if v6 {
        run_all6(&|| db.fresh());
    } else {
        run_all4(&|| db.fresh());
    }
}

impl TestDb {
    pub fn open_hosts(&self) -> Box<dyn ruru_lease::HostStore> {
        match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts).unwrap()),
            Kind::My => Box::new(MySqlStore::open(&self.opts).unwrap()),
        }
    }
}
