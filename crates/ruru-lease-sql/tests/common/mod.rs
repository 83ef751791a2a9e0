//! What the database tests share: a database per test (`TestDb`),
//! statements run as the administrator, and the conformance tests on a
//! Kea release's schema.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ruru_lease::conformance::{run_all4, run_all6};
use ruru_lease::{LeaseStore, SchemaState};
use ruru_lease_sql::sql::skip;
use ruru_lease_sql::{DbOptions, KeaRelease, MySqlStore, PgStore, KEA_MYSQL, KEA_PG};

#[derive(Clone, Copy)]
pub enum Kind {
    Pg,
    My,
}

impl Kind {
    /// Kea 3.0's schema version of this backend.
    pub fn newest(self) -> (u32, u32) {
        KeaRelease::NEWEST.schema(matches!(self, Kind::My))
    }

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

    /// `ruru db init`: Kea's newest schema ruru makes (Kea 3.0's).
    pub fn init(&self) -> SchemaState {
        self.init_as(KeaRelease::NEWEST)
    }

    /// `ruru db init --schema release`.
    pub fn init_as(&self, release: KeaRelease) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::init(&self.opts, release).unwrap(),
            Kind::My => MySqlStore::init(&self.opts, release).unwrap(),
        }
    }

    /// `ruru db upgrade --schema release`.
    pub fn upgrade(&self, release: KeaRelease) -> Result<SchemaState, ruru_lease::LeaseError> {
        match self.kind {
            Kind::Pg => PgStore::upgrade(&self.opts, release),
            Kind::My => MySqlStore::upgrade(&self.opts, release),
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

/// ruru's lease conformance tests on the schema of Kea `release`, made by
/// Kea's scripts (`ruru db init --schema`).
pub fn conformance_on(kind: Kind, test: &str, v6: bool, release: KeaRelease) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init_as(release);
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

// --- Kea's own `kea-admin`, of each release ---

/// The `kea-admin` of Kea `release`: Kea 2.2's from the system's package
/// (kea-admin), the others unpacked by `.ci/kea-admin-releases` under
/// `RURU_KEA_ADMIN_DIR` (default /opt): `/opt/kea-admin-3.0/usr/sbin/kea-admin`.
pub fn kea_admin_bin(release: KeaRelease) -> Result<String, String> {
    if release == KeaRelease::V2_2 {
        return ["/usr/sbin/kea-admin", "/usr/bin/kea-admin"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(str::to_string)
            .ok_or_else(|| "kea-admin (package kea-admin) not found".to_string());
    }
    let dir = std::env::var("RURU_KEA_ADMIN_DIR").unwrap_or_else(|_| "/opt".into());
    let bin = format!("{dir}/kea-admin-{release}/usr/sbin/kea-admin");
    if std::path::Path::new(&bin).exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{bin} not found (Kea {release}'s kea-admin: run .ci/kea-admin-releases)"
        ))
    }
}

/// Runs `kea-admin ACTION` (`db-init`, `db-upgrade`, `stats-recount`) of
/// Kea `release` on the test's database; its output, or why it failed.
pub fn kea_admin(db: &TestDb, release: KeaRelease, action: &str) -> Result<String, String> {
    let bin = kea_admin_bin(release)?;
    let name = db.opts.name.clone();
    let mut args: Vec<&str> = vec![action];
    match db.kind {
        Kind::Pg => args.extend(["pgsql", "-u", "postgres"]),
        // A password-less root needs `-p ''` (kea-admin asks otherwise).
        Kind::My => args.extend(["mysql", "-u", "root", "-p", ""]),
    }
    args.extend(["-n", &name, "-h", "127.0.0.1"]);
    let out = std::process::Command::new(&bin)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{bin}: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("{bin} {action}: {text}"))
    }
}

/// A database made by Kea `release`'s own `kea-admin db-init`, or `None`
/// (after reporting SKIP) when that kea-admin or the database server is
/// missing.
pub fn kea_admin_db(kind: Kind, test: &str, release: KeaRelease) -> Option<TestDb> {
    let db = TestDb::new(kind, test)?;
    if let Err(e) = kea_admin_bin(release) {
        skip(test, &e);
        return None;
    }
    kea_admin(&db, release, "db-init").unwrap();
    let v = release.schema(matches!(kind, Kind::My));
    assert_eq!(db.version(), SchemaState::Version(v.0, v.1));
    Some(db)
}

/// The rows of `sql` on the test's database, each column as text (NULL:
/// `None`; MySQL's binary values lossily), the way a script (or Kea's own
/// reads) sees them.
pub fn rows(kind: Kind, db: &TestDb, sql: &str) -> Vec<Vec<Option<String>>> {
    use mysql_async::prelude::Queryable;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        match kind {
            Kind::Pg => {
                let conf = format!("host=127.0.0.1 user=postgres dbname={}", db.opts.name);
                let (client, conn) = tokio_postgres::connect(&conf, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                client
                    .simple_query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .collect()
            }
            Kind::My => {
                let opts = mysql_async::OptsBuilder::default()
                    .ip_or_hostname("127.0.0.1")
                    .user(Some("root"))
                    .db_name(Some(db.opts.name.clone()))
                    .prefer_socket(false);
                let mut conn = mysql_async::Conn::new(opts).await.unwrap();
                let rows: Vec<mysql_async::Row> = conn
                    .query(sql)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                conn.disconnect().await.unwrap();
                rows.into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                r.get::<Option<Vec<u8>>, _>(i)
                                    .flatten()
                                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    })
}
