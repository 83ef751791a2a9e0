//! The conformance suite against PostgreSQL and MySQL/MariaDB on
//! 127.0.0.1 (PostgreSQL: user `postgres`, trust auth; MariaDB: `root`,
//! no password — what `.ci/run` sets up). Each test creates a database of
//! its own, named after the test and the process, and drops it at the end.
//! A database that is not reachable is a SKIP (a failure under
//! `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ruru_lease::conformance::{run_all4, run_all6};
use ruru_lease::sql::skip;
use ruru_lease::{DbOptions, LeaseStore, MySqlStore, PgStore, SchemaState, SCHEMA_VERSION};

#[derive(Clone, Copy)]
enum Kind {
    Pg,
    My,
}

fn admin(kind: Kind) -> DbOptions {
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

fn exec(kind: Kind, opts: &DbOptions, sql: &str) -> Result<(), ruru_lease::LeaseError> {
    match kind {
        Kind::Pg => PgStore::execute_admin(opts, sql),
        Kind::My => MySqlStore::execute_admin(opts, sql),
    }
}

/// A database created for one test, dropped when this is dropped.
struct TestDb {
    kind: Kind,
    opts: DbOptions,
}

impl TestDb {
    /// `None` (after reporting SKIP) when the server is not reachable.
    fn new(kind: Kind, test: &str) -> Option<TestDb> {
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

    fn init(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::init(&self.opts).unwrap(),
            Kind::My => MySqlStore::init(&self.opts).unwrap(),
        }
    }

    fn version(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::schema_version(&self.opts).unwrap(),
            Kind::My => MySqlStore::schema_version(&self.opts).unwrap(),
        }
    }

    fn open(&self) -> Result<Box<dyn LeaseStore>, ruru_lease::LeaseError> {
        Ok(match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts)?),
            Kind::My => Box::new(MySqlStore::open(&self.opts)?),
        })
    }

    /// An empty store: the tables emptied, a new store opened.
    fn fresh(&self) -> Box<dyn LeaseStore> {
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

fn conformance(kind: Kind, test: &str, v6: bool) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    if v6 {
        run_all6(&|| db.fresh());
    } else {
        run_all4(&|| db.fresh());
    }
}

fn schema(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    assert_eq!(db.version(), SchemaState::Missing);
    match db.open() {
        Err(ruru_lease::LeaseError::Schema { found, .. }) => {
            assert_eq!(found, SchemaState::Missing)
        }
        Err(e) => panic!("open without schema: {e}"),
        Ok(_) => panic!("open without schema succeeded"),
    }
    let current = SchemaState::Version(SCHEMA_VERSION.0, SCHEMA_VERSION.1);
    assert_eq!(db.init(), current);
    assert_eq!(db.init(), current, "init is idempotent");
    assert_eq!(db.version(), current);
    let up = match kind {
        Kind::Pg => PgStore::upgrade(&db.opts).unwrap(),
        Kind::My => MySqlStore::upgrade(&db.opts).unwrap(),
    };
    assert_eq!(up, current, "upgrade of a current schema changes nothing");
    // An older schema is refused until upgraded.
    exec(kind, &db.opts, "UPDATE schema_version SET version = 0").unwrap();
    assert!(matches!(
        db.open(),
        Err(ruru_lease::LeaseError::Schema { .. })
    ));
    exec(kind, &db.opts, "UPDATE schema_version SET version = 1").unwrap();
    assert!(db.open().is_ok());
}

#[test]
fn pg_conformance4() {
    conformance(Kind::Pg, "pg_conformance4", false);
}

#[test]
fn pg_conformance6() {
    conformance(Kind::Pg, "pg_conformance6", true);
}

#[test]
fn pg_schema() {
    schema(Kind::Pg, "pg_schema");
}

#[test]
fn mysql_conformance4() {
    conformance(Kind::My, "mysql_conformance4", false);
}

#[test]
fn mysql_conformance6() {
    conformance(Kind::My, "mysql_conformance6", true);
}

#[test]
fn mysql_schema() {
    schema(Kind::My, "mysql_schema");
}
