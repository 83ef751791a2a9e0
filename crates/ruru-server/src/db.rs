//! Opening the lease store `lease-database` names (for `Dhcp4` and
//! `Dhcp6`) and the hosts databases of `hosts-database(s)`, what the server does when a SQL database is lost (Kea's
//! `on-fail`, [`watch`]), and the schema operations behind `ruru db
//! init|upgrade|version`.
//!
//! memfile opens the lease file (and the caller runs LFC on it); PostgreSQL
//! and MySQL connect and check that the schema is the one this build uses —
//! an older or missing schema stops the start with a message that names the
//! `ruru db` command that fixes it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Duration;

use ruru_config::{Config, LeaseDatabase, LeaseDbKind, OnFail, SqlDatabase};
use ruru_engine::v4::hosts::HostSources;
use ruru_lease::memfile::{LoadCheck, MemfileOptions, MemfileStore};
pub use ruru_lease::SchemaState;
use ruru_lease::{
    Host4, Host6, HostQuery, HostStore, IdType, Lease4, Lease6, LeaseError, LeaseRow, LeaseStore,
};
pub use ruru_lease_sql::KeaRelease;
use ruru_lease_sql::{DbEvent, DbOptions, DbRole, MySqlStore, PgStore};
use tracing::{error, info, warn};

use crate::ServerError;

/// An open lease store of one family.
pub struct OpenStore<L: LeaseRow> {
    pub store: Arc<dyn LeaseStore>,
    /// Set when it is a memfile (for LFC).
    pub memfile: Option<Arc<MemfileStore<L>>>,
    /// For the start-up log line: the file or `type://host/name`.
    pub describe: String,
    /// False when a SQL database was not reached at start-up (with
    /// `retry-on-startup`; it keeps trying).
    pub up: bool,
    /// Set when it is a SQL database: its connection state changes, for
    /// [`watch`].
    pub sql: Option<SqlWatch>,
}

/// Logs the start-up state of a lease database: opened with its lease
/// count, or not reached yet (`retry-on-startup`).
pub fn log_opened(
    what: &str,
    describe: &str,
    up: bool,
    persist: bool,
    leases: impl FnOnce() -> usize,
) {
    if up {
        info!(leases = leases(), database = %describe, persist, "{what} opened");
    } else {
        warn!(database = %describe, "{what} not reachable at start-up; retrying (retry-on-startup)");
    }
}

/// A SQL store's connection state changes and what to do about them.
pub struct SqlWatch {
    pub events: Receiver<DbEvent>,
    pub on_fail: OnFail,
    /// `"lease"` or `"hosts"`, for the log.
    pub what: &'static str,
}

/// Whether a family's service is stopped because a database it needs is
/// lost under `on-fail` `stop-retry-exit` ([`watch`]). Its lease database
/// and each hosts database may hold it; the service resumes when none does.
#[derive(Debug, Default)]
pub struct Pause(AtomicUsize);

impl Pause {
    pub fn is_paused(&self) -> bool {
        self.0.load(Ordering::Acquire) > 0
    }
}

/// The lease library's connection options for a SQL `lease-database`.
pub fn db_options(s: &SqlDatabase) -> DbOptions {
    let mut o = DbOptions::new(s.name.clone());
    o.host = s.host.clone();
    o.port = s.port;
    o.user = s.user.clone();
    o.password = s.password.clone();
    o.connect_timeout = Duration::from_secs(u64::from(s.connect_timeout.max(1)));
    o.max_reconnect_tries = s.max_reconnect_tries;
    o.reconnect_wait_time = Duration::from_millis(u64::from(s.reconnect_wait_time));
    o.retry_on_startup = s.retry_on_startup;
    o.tcp_user_timeout =
        (s.tcp_user_timeout > 0).then(|| Duration::from_secs(u64::from(s.tcp_user_timeout)));
    o.tls = s.tls.as_ref().map(|t| ruru_lease_sql::sql::DbTls {
        trust_anchor: t.trust_anchor.clone(),
        client: t.client.clone(),
        tls12_suites: t.tls12_suites.clone(),
        key_password: t.key_password.clone(),
    });
    o
}

/// Opens the DHCPv4 store `db` names. `config` is the file, for error
/// messages; `callers` is how many packet workers may call the store at
/// once (a MySQL pool has a connection for each: see
/// [`ruru_lease_sql::mysql`]).
pub fn open4(
    db: &LeaseDatabase,
    config: &Path,
    callers: usize,
    check: Option<LoadCheck<'_, Lease4>>,
) -> Result<OpenStore<Lease4>, ServerError> {
    open(db, config, callers, check)
}

/// Opens the DHCPv6 store `db` names (a SQL database holds both families,
/// so `Dhcp4` and `Dhcp6` may name the same one).
pub fn open6(
    db: &LeaseDatabase,
    config: &Path,
    callers: usize,
    check: Option<LoadCheck<'_, Lease6>>,
) -> Result<OpenStore<Lease6>, ServerError> {
    open(db, config, callers, check)
}

/// A schema error of the `what` database (`lease`, `hosts`) as the
/// server reports it: what it found and what to do, naming only commands
/// that work ([`ruru_lease_sql::kea::advice`]).
fn schema_error(what: &str, config: &Path, e: LeaseError) -> ServerError {
    match e {
        LeaseError::Schema { found, expected } => ServerError::Schema(format!(
            "{what} database: {}",
            ruru_lease_sql::kea::advice(found, expected, &config.display().to_string())
        )),
        e => ServerError::Lease(e),
    }
}

/// Opens the hosts databases of a section (`hosts-database(s)` of `Dhcp4`
/// or `Dhcp6`; `family` names it in the log), in lookup order. Each checks
/// its schema like a lease database. Their connection state changes are
/// logged by the stores as a hosts database's, and returned for [`watch`]:
/// `on-fail` applies to a hosts database as to a lease database (Kea's),
/// because a lost hosts database finds no reservation, so that a reserved
/// address could be given to another client.
pub fn open_hosts(
    family: &str,
    dbs: &[LeaseDbKind],
    config: &Path,
    callers: usize,
) -> Result<(HostSources, Vec<SqlWatch>), ServerError> {
    let mut out = HostSources::default();
    let mut watches = Vec::new();
    for kind in dbs {
        let err = |e| match e {
            e @ LeaseError::Schema { .. } => schema_error("hosts", config, e),
            LeaseError::Database(m) => ServerError::HostsDatabase(m),
            e => ServerError::HostsDatabase(e.to_string()),
        };
        let opts = |s: &SqlDatabase| DbOptions {
            role: DbRole::Hosts,
            ..db_options(s)
        };
        let watch = |events: Option<Receiver<DbEvent>>, s: &SqlDatabase| {
            events.map(|events| SqlWatch {
                events,
                on_fail: s.on_fail,
                what: "hosts",
            })
        };
        let (store, describe, events, up): (Arc<dyn HostStore>, String, _, bool) = match kind {
            LeaseDbKind::Postgresql(s) => {
                let store = PgStore::open(&opts(s)).map_err(err)?;
                let events = watch(store.events(), s);
                let up = store.connected();
                (
                    Arc::new(store),
                    format!("postgresql://{}/{}", s.host, s.name),
                    events,
                    up,
                )
            }
            LeaseDbKind::Mysql(s) => {
                let o = DbOptions {
                    pool_size: callers,
                    ..opts(s)
                };
                let store = MySqlStore::open(&o).map_err(err)?;
                let events = watch(store.events(), s);
                let up = store.connected();
                (
                    Arc::new(store),
                    format!("mysql://{}/{}", s.host, s.name),
                    events,
                    up,
                )
            }
            // Refused by validation (Kea has no memfile hosts backend).
            LeaseDbKind::Memfile => continue,
        };
        if up {
            info!(family, database = %describe, "{family} hosts database opened");
        } else {
            // retry-on-startup: the store keeps trying; its on-fail watch
            // logs when it is reached.
            warn!(family, database = %describe, "{family} hosts database not reachable at start-up; retrying (retry-on-startup)");
        }
        let readonly = match kind {
            LeaseDbKind::Postgresql(s) | LeaseDbKind::Mysql(s) => s.readonly,
            LeaseDbKind::Memfile => false,
        };
        let store: Arc<dyn HostStore> = if readonly {
            Arc::new(ReadOnlyHosts {
                inner: store,
                describe: describe.clone(),
            })
        } else {
            store
        };
        out.0.push(store);
        watches.extend(events);
    }
    Ok((out, watches))
}

fn open<L: LeaseRow>(
    db: &LeaseDatabase,
    config: &Path,
    callers: usize,
    check: Option<LoadCheck<'_, L>>,
) -> Result<OpenStore<L>, ServerError>
where
    MemfileStore<L>: LeaseStore,
{
    let schema_err = |e: LeaseError| schema_error("lease", config, e);
    Ok(match &db.kind {
        LeaseDbKind::Memfile => {
            let path = db.persist.then_some(db.name.as_path());
            let options = MemfileOptions {
                max_row_errors: usize::try_from(db.max_row_errors).unwrap_or(usize::MAX),
                ..MemfileOptions::default()
            };
            let m = Arc::new(MemfileStore::<L>::open_checked(path, options, check)?);
            OpenStore {
                store: m.clone(),
                memfile: Some(m),
                describe: db.name.display().to_string(),
                up: true,
                sql: None,
            }
        }
        LeaseDbKind::Postgresql(s) => {
            let store = PgStore::open(&db_options(s)).map_err(schema_err)?;
            OpenStore {
                up: store.connected(),
                sql: store.events().map(|events| SqlWatch {
                    events,
                    on_fail: s.on_fail,
                    what: "lease",
                }),
                store: Arc::new(store),
                memfile: None,
                describe: format!("postgresql://{}/{}", s.host, s.name),
            }
        }
        LeaseDbKind::Mysql(s) => {
            let o = DbOptions {
                pool_size: callers,
                ..db_options(s)
            };
            let store = MySqlStore::open(&o).map_err(schema_err)?;
            OpenStore {
                up: store.connected(),
                sql: store.events().map(|events| SqlWatch {
                    events,
                    on_fail: s.on_fail,
                    what: "lease",
                }),
                store: Arc::new(store),
                memfile: None,
                describe: format!("mysql://{}/{}", s.host, s.name),
            }
        }
    })
}

/// What the server does for [`watch`].
pub struct Reactions {
    /// Held while the database is lost under `stop-retry-exit`: the service
    /// stops (packets are dropped and counted as with `dhcp-disable`).
    pub paused: Arc<Pause>,
    /// When the database is back: count the statistics again.
    pub restored: Box<dyn Fn() + Send>,
    /// When the reconnection attempts ran out under `stop-retry-exit` or
    /// `serve-retry-exit`: stop the server, which exits with this error.
    pub exit: Box<dyn Fn(String) + Send>,
}

/// Starts the thread that applies Kea's `on-fail` to a SQL store (lease or
/// hosts database) of `family` (`"DHCPv4"`, `"DHCPv6"`) while the server
/// runs. The store
/// reconnects by itself and logs each change of its state; this logs what
/// the server does about it:
///
/// | event | `stop-retry-exit` | `serve-retry-exit` | `serve-retry-continue` |
/// |---|---|---|---|
/// | lost | service stopped | serving (no lease stored, so no ACK/Reply) | same |
/// | reconnected | service resumed | — | — |
/// | tries run out | exit with an error | exit with an error | serving, still trying |
///
/// The thread ends when the store is dropped.
pub fn watch(family: &'static str, sql: SqlWatch, react: Reactions) -> std::io::Result<()> {
    let SqlWatch {
        events,
        on_fail,
        what,
    } = sql;
    std::thread::Builder::new()
        .name("ruru-db-watch".into())
        .spawn(move || {
            // Whether this database holds the pause.
            let mut holding = false;
            for event in events {
                match event {
                    DbEvent::Lost { .. } if on_fail == OnFail::StopRetryExit => {
                        if !holding {
                            holding = true;
                            react.paused.0.fetch_add(1, Ordering::AcqRel);
                        }
                        warn!(
                            family,
                            "{family} service stopped until the {what} database is back (on-fail stop-retry-exit)"
                        );
                    }
                    DbEvent::Restored { .. } => {
                        (react.restored)();
                        if holding {
                            holding = false;
                            if react.paused.0.fetch_sub(1, Ordering::AcqRel) == 1 {
                                info!(family, "{family} service resumed");
                            }
                        }
                    }
                    DbEvent::GaveUp { tries, error } => match on_fail {
                        OnFail::StopRetryExit | OnFail::ServeRetryExit => {
                            let msg = format!(
                                "the {family} {what} database could not be reconnected after {tries} attempts ({error})"
                            );
                            error!(family, "exiting: {msg} (on-fail {})", on_fail_name(on_fail));
                            (react.exit)(msg);
                        }
                        OnFail::ServeRetryContinue => warn!(
                            family,
                            "{family} keeps serving without its {what} database and keeps trying to reconnect (on-fail serve-retry-continue)"
                        ),
                    },
                    _ => {}
                }
            }
        })
        .map(drop)
}

fn on_fail_name(f: OnFail) -> &'static str {
    match f {
        OnFail::StopRetryExit => "stop-retry-exit",
        OnFail::ServeRetryExit => "serve-retry-exit",
        OnFail::ServeRetryContinue => "serve-retry-continue",
    }
}

/// The SQL databases of a configuration, for `ruru db`: `Dhcp4`'s and
/// `Dhcp6`'s lease databases, then their hosts databases, each once
/// (several may name the same database), labelled with the section (and
/// `hosts-database` for a hosts database).
pub fn sql_databases(config: &Config) -> Vec<(String, &LeaseDbKind)> {
    let mut all: Vec<(String, &LeaseDbKind)> = Vec::new();
    if let Some(d) = &config.dhcp4 {
        all.push(("Dhcp4".into(), &d.lease_database.kind));
    }
    if let Some(d) = &config.dhcp6 {
        all.push(("Dhcp6".into(), &d.lease_database.kind));
    }
    if let Some(d) = &config.dhcp4 {
        for h in &d.hosts_databases {
            all.push(("Dhcp4 hosts-database".into(), h));
        }
    }
    if let Some(d) = &config.dhcp6 {
        for h in &d.hosts_databases {
            all.push(("Dhcp6 hosts-database".into(), h));
        }
    }
    // One database: same backend, server and name (other parameters, such
    // as timeouts, may differ between its uses).
    let same = |a: &LeaseDbKind, b: &LeaseDbKind| match (a, b) {
        (LeaseDbKind::Postgresql(x), LeaseDbKind::Postgresql(y))
        | (LeaseDbKind::Mysql(x), LeaseDbKind::Mysql(y)) => {
            (&x.host, x.port, &x.name) == (&y.host, y.port, &y.name)
        }
        _ => false,
    };
    let mut out: Vec<(String, &LeaseDbKind)> = Vec::new();
    for (name, kind) in all {
        if *kind != LeaseDbKind::Memfile && !out.iter().any(|(_, k)| same(k, kind)) {
            out.push((name, kind));
        }
    }
    out
}

/// What `ruru db` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbAction {
    /// Create the schema of this Kea release where there is none.
    Init(KeaRelease),
    /// Upgrade the schema to this Kea release's.
    Upgrade(KeaRelease),
    Version,
}

/// Runs `ruru db ACTION` on the SQL database `db` (a lease or hosts
/// database: one schema holds both); the schema after it.
pub fn schema(db: &LeaseDbKind, action: DbAction) -> Result<SchemaState, ServerError> {
    let r = match (db, action) {
        (LeaseDbKind::Memfile, _) => {
            return Err(ServerError::Schema(
                "the lease database is \"memfile\": it has no schema (ruru db is for \"postgresql\" and \"mysql\")".into(),
            ))
        }
        (LeaseDbKind::Postgresql(s), DbAction::Init(r)) => PgStore::init(&db_options(s), r),
        (LeaseDbKind::Postgresql(s), DbAction::Upgrade(r)) => PgStore::upgrade(&db_options(s), r),
        (LeaseDbKind::Postgresql(s), DbAction::Version) => PgStore::schema_version(&db_options(s)),
        (LeaseDbKind::Mysql(s), DbAction::Init(r)) => MySqlStore::init(&db_options(s), r),
        (LeaseDbKind::Mysql(s), DbAction::Upgrade(r)) => MySqlStore::upgrade(&db_options(s), r),
        (LeaseDbKind::Mysql(s), DbAction::Version) => MySqlStore::schema_version(&db_options(s)),
    };
    r.map_err(|e| match e {
        LeaseError::Schema {
            found: SchemaState::Missing,
            ..
        } => ServerError::Schema("the database has no schema: run `ruru db init` first".into()),
        LeaseError::Schema { found, expected } => ServerError::Schema(
            ruru_lease_sql::kea::advice(found, expected, "CONFIG").replace(" -c CONFIG", ""),
        ),
        e => ServerError::Lease(e),
    })
}

/// A hosts database with Kea's `readonly`: reservations are read from it;
/// adding or deleting one there fails, as Kea's read-only host backends do.
struct ReadOnlyHosts {
    inner: Arc<dyn HostStore>,
    /// `type://host/name`, for the error.
    describe: String,
}

impl ReadOnlyHosts {
    fn refuse<T>(&self) -> Result<T, LeaseError> {
        Err(LeaseError::Database(format!(
            "the hosts database {} is configured to operate in read only mode (readonly)",
            self.describe
        )))
    }
}

impl HostStore for ReadOnlyHosts {
    fn get4(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host4> {
        self.inner.get4(subnet_id, ids)
    }
    fn get4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Option<Host4> {
        self.inner.get4_by_address(subnet_id, addr)
    }
    fn all4(&self, subnet_id: u32) -> Vec<Host4> {
        self.inner.all4(subnet_id)
    }
    fn add4(&self, _: &Host4) -> Result<(), LeaseError> {
        self.refuse()
    }
    fn del4_by_address(&self, _: u32, _: Ipv4Addr) -> Result<bool, LeaseError> {
        self.refuse()
    }
    fn del4_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
        self.refuse()
    }
    fn find4(&self, q: HostQuery<'_, Ipv4Addr>) -> Vec<Host4> {
        self.inner.find4(q)
    }
    fn get6(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host6> {
        self.inner.get6(subnet_id, ids)
    }
    fn get6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Option<Host6> {
        self.inner.get6_by_address(subnet_id, addr)
    }
    fn all6(&self, subnet_id: u32) -> Vec<Host6> {
        self.inner.all6(subnet_id)
    }
    fn add6(&self, _: &Host6) -> Result<(), LeaseError> {
        self.refuse()
    }
    fn del6_by_address(&self, _: u32, _: Ipv6Addr) -> Result<bool, LeaseError> {
        self.refuse()
    }
    fn del6_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
        self.refuse()
    }
    fn find6(&self, q: HostQuery<'_, Ipv6Addr>) -> Vec<Host6> {
        self.inner.find6(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store that says whether it was written.
    #[derive(Default)]
    struct Probe(std::sync::atomic::AtomicBool);

    impl HostStore for Probe {
        fn get4(&self, _: u32, _: &[(IdType, &[u8])]) -> Option<Host4> {
            None
        }
        fn get4_by_address(&self, _: u32, _: Ipv4Addr) -> Option<Host4> {
            None
        }
        fn all4(&self, _: u32) -> Vec<Host4> {
            Vec::new()
        }
        fn add4(&self, _: &Host4) -> Result<(), LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(())
        }
        fn del4_by_address(&self, _: u32, _: Ipv4Addr) -> Result<bool, LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(true)
        }
        fn del4_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(true)
        }
        fn find4(&self, _: HostQuery<'_, Ipv4Addr>) -> Vec<Host4> {
            Vec::new()
        }
        fn get6(&self, _: u32, _: &[(IdType, &[u8])]) -> Option<Host6> {
            None
        }
        fn get6_by_address(&self, _: u32, _: Ipv6Addr) -> Option<Host6> {
            None
        }
        fn all6(&self, _: u32) -> Vec<Host6> {
            Vec::new()
        }
        fn add6(&self, _: &Host6) -> Result<(), LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(())
        }
        fn del6_by_address(&self, _: u32, _: Ipv6Addr) -> Result<bool, LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(true)
        }
        fn del6_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
            self.0.store(true, Ordering::Relaxed);
            Ok(true)
        }
        fn find6(&self, _: HostQuery<'_, Ipv6Addr>) -> Vec<Host6> {
            Vec::new()
        }
    }

    #[test]
    fn a_readonly_hosts_database_is_never_written() {
        let probe = Arc::new(Probe::default());
        let ro = ReadOnlyHosts {
            inner: probe.clone(),
            describe: "mysql://localhost/kea".into(),
        };
        let h = Host4::new(IdType::HwAddress, vec![1, 2, 3, 4, 5, 6], 1);
        let e = ro.add4(&h).unwrap_err().to_string();
        assert!(e.contains("read only mode"), "{e}");
        assert!(ro.del4_by_address(1, Ipv4Addr::new(192, 0, 2, 1)).is_err());
        assert!(ro.del4_by_id(1, IdType::HwAddress, &[1]).is_err());
        assert!(ro.add6(&Host6::new(IdType::Duid, vec![1], 1)).is_err());
        assert!(ro.del6_by_address(1, Ipv6Addr::LOCALHOST).is_err());
        assert!(ro.del6_by_id(1, IdType::Duid, &[1]).is_err());
        assert!(!probe.0.load(Ordering::Relaxed));
        assert!(ro.get4(1, &[]).is_none() && ro.all6(1).is_empty());
    }
}
