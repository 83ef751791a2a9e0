//! What the two SQL backends ([`crate::postgres`], [`crate::mysql`]) share:
//! connection parameters ([`DbOptions`]), the schema version they expect,
//! and the bridge from the synchronous [`crate::LeaseStore`] trait to the
//! asynchronous database clients.
//!
//! # Blocking
//! The trait is synchronous: it is called from packet worker OS threads and
//! from tokio's blocking pool. Each SQL store owns a small multi-thread tokio
//! runtime that drives its connections; a trait method spawns its future on
//! that runtime and waits for the answer on a plain channel
//! ([`Bridge::run`]). It never calls `Runtime::block_on`, so calling a store
//! from inside some other runtime's async task does not panic — but it does
//! block that task's thread for a database round trip, so async code should
//! call a store through `spawn_blocking`.
//!
//! # Errors on reads
//! The trait's reads return `Option`/`Vec` (memfile reads cannot fail). A
//! database read that fails is logged at error level and finds nothing; a
//! write that fails returns [`LeaseError::Database`], so the engine does
//! not acknowledge a lease that is not stored.

use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use crate::LeaseError;

/// The schema version (major, minor) this build reads and writes; the
/// number of embedded migrations of each backend.
pub const SCHEMA_VERSION: (u32, u32) = (1, 0);

/// Kea's `lease-database` parameters for a SQL backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbOptions {
    /// Server host name or address (Kea's `host`, default `localhost`).
    pub host: String,
    /// Server port; `None` = the backend's default (5432, 3306).
    pub port: Option<u16>,
    /// Database name (Kea's `name`).
    pub name: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// How long one connection attempt may take (Kea's `connect-timeout`,
    /// seconds in the file, default 5).
    pub connect_timeout: Duration,
    /// Extra connection attempts when opening the store (Kea's
    /// `max-reconnect-tries`, default 0).
    pub max_reconnect_tries: u32,
    /// Wait between those attempts (Kea's `reconnect-wait-time`,
    /// milliseconds in the file, default 0).
    pub reconnect_wait_time: Duration,
    /// Connections kept open; calls are spread over them round-robin.
    pub pool_size: usize,
}

impl DbOptions {
    /// Options with Kea's defaults for database `name`.
    pub fn new(name: impl Into<String>) -> Self {
        DbOptions {
            host: "localhost".into(),
            port: None,
            name: name.into(),
            user: None,
            password: None,
            connect_timeout: Duration::from_secs(5),
            max_reconnect_tries: 0,
            reconnect_wait_time: Duration::ZERO,
            pool_size: 4,
        }
    }
}

/// Which schema a database holds, as `ruru db version` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// No `schema_version` table: `ruru db init` creates the schema.
    Missing,
    /// This version; [`SCHEMA_VERSION`] is current.
    Version(u32, u32),
}

impl SchemaState {
    /// `Ok` when the store can be used as is; otherwise the error the
    /// server reports (it names the command that fixes it).
    pub fn check(self) -> Result<(), LeaseError> {
        match self {
            SchemaState::Version(v, m) if (v, m) == SCHEMA_VERSION => Ok(()),
            found => Err(LeaseError::Schema {
                found,
                expected: SCHEMA_VERSION,
            }),
        }
    }
}

impl std::fmt::Display for SchemaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaState::Missing => f.write_str("no schema"),
            SchemaState::Version(v, m) => write!(f, "{v}.{m}"),
        }
    }
}

/// The runtime a SQL store drives its connections on (see the module
/// documentation for why it is not `block_on`).
pub(crate) struct Bridge {
    /// Always `Some` until drop, which shuts it down in the background (a
    /// plain drop would panic inside an async context).
    rt: Option<tokio::runtime::Runtime>,
}

impl Bridge {
    pub(crate) fn new(name: &str) -> Result<Self, LeaseError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(name)
            .enable_all()
            .build()
            .map_err(|e| LeaseError::Database(format!("cannot start the database runtime: {e}")))?;
        Ok(Bridge { rt: Some(rt) })
    }

    /// Runs `f` on the store's runtime and waits for its result.
    pub(crate) fn run<T, F>(&self, f: F) -> Result<T, LeaseError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, LeaseError>> + Send + 'static,
    {
        let Some(rt) = &self.rt else {
            return Err(LeaseError::Database("the store is closed".into()));
        };
        let (tx, rx) = mpsc::sync_channel(1);
        rt.spawn(async move {
            let _ = tx.send(f.await);
        });
        rx.recv().unwrap_or_else(|_| {
            Err(LeaseError::Database(
                "the database task stopped without an answer".into(),
            ))
        })
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A read's result: the value, or (logged) nothing.
pub(crate) fn or_log<T: Default>(what: &str, r: Result<T, LeaseError>) -> T {
    r.unwrap_or_else(|e| {
        tracing::error!(error = %e, "lease database read failed: {what}");
        T::default()
    })
}

/// Splits a migration into statements (ours contain no `;` in literals).
pub(crate) fn statements(migration: &str) -> impl Iterator<Item = &str> {
    migration
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Expiry times and limits as the databases store them (signed 64 bits).
pub(crate) fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The `limit` argument of `expired*` as a SQL LIMIT (0 = all).
pub(crate) fn limit_of(limit: usize) -> i64 {
    if limit == 0 {
        i64::MAX
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    }
}

/// For backend tests: report a database that is not reachable as SKIP, or
/// fail under `RURU_REQUIRE_ALL=1` (the same rule as the end-to-end tests'
/// `skip`).
pub fn skip(test: &str, reason: &str) {
    let msg = format!("SKIP {test}: {reason}");
    if std::env::var("RURU_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{msg} (RURU_REQUIRE_ALL=1)");
    }
    eprintln!("{msg}");
}
