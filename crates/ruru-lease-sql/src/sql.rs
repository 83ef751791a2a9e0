//! What the two SQL backends ([`crate::postgres`], [`crate::mysql`]) share:
//! connection parameters ([`DbOptions`]), the schema version they expect,
//! the statements and the mapping between a lease and a table row, the
//! connection state with its background reconnection ([`DbEvent`]), and the
//! bridge from the synchronous [`crate::LeaseStore`] trait to the
//! asynchronous database clients.
//!
//! # Blocking
//! The trait is synchronous: it is called from packet worker OS threads and
//! from tokio's blocking pool. Each SQL store owns a small multi-thread tokio
//! runtime that drives its connections (and its group-commit writers); a
//! trait method polls its query future on the calling thread, within that
//! runtime's context, parking the thread until the runtime's reactor or the
//! connection's task wakes it ([`Bridge::run`]). It never calls
//! `Runtime::block_on`, so calling a store from inside some other runtime's
//! async task does not panic — but it does block that task's thread for a
//! database round trip, so async code should call a store through
//! `spawn_blocking`.
//!
//! # Rows
//! Both backends use the same statements ([`Q`], written once with `?`
//! placeholders; PostgreSQL numbers them) and the same row mapping: a lease
//! becomes a list of [`Col`] values in the order of [`COLS4`] / [`COLS6`],
//! and a result row is read back through [`SqlRow`], with every range check
//! in one place ([`lease4_of`], [`lease6_of`]; for host reservations
//! [`host4_of`], and [`hosts6_of`], which gathers a DHCPv6 host's
//! `ipv6_reservations` rows).
//!
//! # Outages
//! A store is *up* or *down* ([`Health`]). A broken connection alone is
//! not an outage: it is dropped and replaced on the next call. The database
//! is *lost* when a new connection cannot be made; from then on every call
//! fails at once, without a round trip (reads find nothing, writes return
//! [`LeaseError::Unavailable`], so the engine acknowledges nothing), and one
//! background task reconnects every `reconnect-wait-time`. The state changes
//! are logged once each and reported as [`DbEvent`]s; the server acts on
//! them (Kea's `on-fail`). While up, a call costs two atomic loads more than
//! before: no extra round trip.
//!
//! # Errors on reads
//! The trait's reads return `Option`/`Vec` (memfile reads cannot fail). A
//! database read that fails is logged at error level and finds nothing
//! (not logged while the store is down: the outage was); a write that
//! fails returns an error, so the engine does not acknowledge a lease that
//! is not stored.
//!
//! # TLS
//! [`DbTls`] (Kea's `trust-anchor`, `cert-file`, `key-file`): module
//! `tls` reads the files and makes each driver's TLS settings.

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::hosts::{Host4, Host6, IdType, IDS_PER_QUERY};
use crate::{Lease4, Lease6, LeaseError, LeaseState, LeaseType6};

pub(crate) mod local;
pub(crate) mod tls;

pub use ruru_lease::{SchemaState, SCHEMA_VERSION};

/// What a SQL store is opened for: its log lines name it so (`lease
/// database lost`, `hosts database lost`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DbRole {
    /// Kea's `lease-database` (the default).
    #[default]
    Lease,
    /// Kea's `hosts-database(s)`: only its reservations are read.
    Hosts,
}

impl DbRole {
    /// `lease` or `hosts`, as in "lease database".
    pub fn name(self) -> &'static str {
        match self {
            DbRole::Lease => "lease",
            DbRole::Hosts => "hosts",
        }
    }
}

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
    /// seconds in the file, default 5). Also the longest a lease lookup or
    /// write of the packet path may take before its connection is taken
    /// for broken (scans such as `all4` have no limit).
    pub connect_timeout: Duration,
    /// Reconnection attempts after the database is lost before the store
    /// reports [`DbEvent::GaveUp`] (Kea's `max-reconnect-tries`, default 0:
    /// it gives up at once). The store keeps trying after that; whether the
    /// server exits is its `on-fail`.
    pub max_reconnect_tries: u32,
    /// Wait between those attempts (Kea's `reconnect-wait-time`,
    /// milliseconds in the file, default 0); at least [`MIN_RECONNECT_WAIT`],
    /// and at least [`GAVE_UP_RECONNECT_WAIT`] once the store gave up.
    pub reconnect_wait_time: Duration,
    /// Kea's `retry-on-startup` (default false): a store whose database
    /// cannot be reached when it is opened starts down and reconnects in
    /// the background instead of failing to open. A missing or old schema
    /// still fails.
    pub retry_on_startup: bool,
    /// Connections kept open. PostgreSQL: calls are spread over them
    /// round-robin (each pipelines). MySQL: one per thread that may call
    /// the store at once (a connection runs one statement at a time); the
    /// group-commit writers get theirs on top.
    pub pool_size: usize,
    /// What the store is for (its log lines say so); default
    /// [`DbRole::Lease`].
    pub role: DbRole,
    /// TLS to the server (Kea's `trust-anchor`, `cert-file`, `key-file`);
    /// `None` (the default): a plain connection.
    pub tls: Option<DbTls>,
    /// PostgreSQL: TCP_USER_TIMEOUT of the connections (Kea's
    /// `tcp-user-timeout`); `None` (the default): the system's.
    pub tcp_user_timeout: Option<Duration>,
}

/// TLS to a SQL database: the server's certificate must chain to
/// `trust_anchor` and name the host connected to (module `sql::tls`). The files
/// are read when the store opens (or a `ruru db` command connects): one
/// that is missing or not PEM fails it, with an error naming the file,
/// also with `retry_on_startup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbTls {
    /// Kea's `trust-anchor`: a PEM file of CA certificates, or a directory
    /// of such files.
    pub trust_anchor: PathBuf,
    /// Kea's `cert-file` and `key-file` (PEM; the key unencrypted): the
    /// client certificate, for a server that asks for one.
    pub client: Option<(PathBuf, PathBuf)>,
    /// Kea's `cipher-list` (PostgreSQL only): the TLS 1.2 suites offered,
    /// by IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), in
    /// preference order; TLS 1.3 suites are all offered, as OpenSSL's
    /// cipher list leaves them. `None`: every suite.
    pub tls12_suites: Option<Vec<String>>,
    /// Kea's `key-password`: the password of an encrypted PKCS#8 client
    /// key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`).
    pub key_password: Option<String>,
}

/// The shortest wait between two reconnection attempts (a
/// `reconnect-wait-time` of 0 would otherwise spin on a server that refuses
/// connections at once).
pub const MIN_RECONNECT_WAIT: Duration = Duration::from_millis(100);

/// The shortest wait between two reconnection attempts after
/// `max-reconnect-tries` ran out (`on-fail` `serve-retry-continue` keeps
/// the store trying for as long as the server runs).
pub const GAVE_UP_RECONNECT_WAIT: Duration = Duration::from_secs(1);

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
            retry_on_startup: false,
            pool_size: 4,
            role: DbRole::Lease,
            tls: None,
            tcp_user_timeout: None,
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

    /// Runs `f` to its end on the calling thread, within the store's
    /// runtime context (its connections, timers and spawned tasks are the
    /// runtime's), and returns its result.
    pub(crate) fn run<T, F>(&self, f: F) -> Result<T, LeaseError>
    where
        F: Future<Output = Result<T, LeaseError>>,
    {
        let Some(rt) = &self.rt else {
            return Err(LeaseError::Database("the store is closed".into()));
        };
        let _context = rt.enter();
        block_on(f)
    }

    /// Starts `f` on the store's runtime without waiting (a reconnection
    /// task); it is dropped with the store.
    pub(crate) fn spawn<F>(&self, f: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if let Some(rt) = &self.rt {
            rt.spawn(f);
        }
    }
}

/// Wakes the thread that waits in [`block_on`].
struct Unpark(std::thread::Thread);

impl std::task::Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

thread_local! {
    /// This thread's waker for [`block_on`], made once.
    static WAKER: std::task::Waker =
        std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
}

/// Polls `f` on this thread until it is ready, parking the thread in
/// between (not `Runtime::block_on`, which panics inside another runtime).
/// A query future needs no runtime thread of its own: it hands its request
/// to the connection's task (PostgreSQL) or does its I/O through the
/// runtime's reactor (MySQL), which wakes this thread when the answer is
/// there — one thread switch each way, where spawning the future on the
/// runtime and waiting on a channel took two.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    WAKER.with(|waker| {
        let mut cx = std::task::Context::from_waker(waker);
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            // A stale unpark only costs one more poll.
            std::thread::park();
        }
    })
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A change of a SQL store's connection state, reported once per change
/// (`PgStore::events`, `MySqlStore::events`). The store logs each one too.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbEvent {
    /// The database cannot be reached: a new connection could not be made
    /// (or, with `retry_on_startup`, not at start-up). Until
    /// [`DbEvent::Restored`], reads find nothing and writes fail at once with
    /// [`LeaseError::Unavailable`], and the store reconnects in the
    /// background.
    Lost { error: String },
    /// Reconnected, after `tries` attempts: the store works again.
    Restored { tries: u32 },
    /// `max_reconnect_tries` attempts failed (at once when it is 0). The
    /// store keeps trying; the server decides whether to exit (Kea's
    /// `on-fail`).
    GaveUp { tries: u32, error: String },
}

/// Whether a SQL store can reach its database; see the module
/// documentation ("Outages").
pub(crate) struct Health {
    /// For log lines: `postgresql://host/name`.
    what: String,
    /// For log lines: a lease or a hosts database.
    role: DbRole,
    up: AtomicBool,
    /// Incremented at each reconnection: a failure seen by a call that
    /// started before it (on the old connections) is not a new outage.
    epoch: AtomicU64,
    /// Why the store is down (for the errors of the calls refused meanwhile).
    last_error: Mutex<String>,
    events: mpsc::Sender<DbEvent>,
    /// The receiving end, until the server takes it.
    receiver: Mutex<Option<mpsc::Receiver<DbEvent>>>,
    max_tries: u32,
    wait: Duration,
}

impl Health {
    pub(crate) fn new(what: String, opts: &DbOptions) -> Self {
        let (events, receiver) = mpsc::channel();
        Health {
            what,
            role: opts.role,
            up: AtomicBool::new(true),
            epoch: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
            events,
            receiver: Mutex::new(Some(receiver)),
            max_tries: opts.max_reconnect_tries,
            wait: opts.reconnect_wait_time,
        }
    }

    /// The current epoch when the store is up (the caller hands it back to
    /// [`Health::lost`]); [`LeaseError::Unavailable`] when it is down.
    pub(crate) fn check(&self) -> Result<u64, LeaseError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        if self.up.load(Ordering::Acquire) {
            return Ok(epoch);
        }
        let why = self
            .last_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        Err(LeaseError::Unavailable(why))
    }

    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// The events, once (`None` after the first call).
    pub(crate) fn take_events(&self) -> Option<mpsc::Receiver<DbEvent>> {
        self.receiver.lock().ok().and_then(|mut r| r.take())
    }

    fn set_error(&self, error: &LeaseError) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = error.to_string();
        }
    }

    /// A new connection could not be made by a call that started in
    /// `epoch`. Returns true when this call took the store down: the caller
    /// then starts [`recover`] (exactly one task runs).
    pub(crate) fn lost(&self, epoch: u64, error: &LeaseError) -> bool {
        if self.epoch.load(Ordering::Acquire) != epoch {
            return false;
        }
        self.set_error(error);
        if self
            .up
            .compare_exchange(true, false, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        let (role, meanwhile) = match self.role {
            DbRole::Lease => (
                "lease",
                "no lease is stored (and no address acknowledged) until it is back",
            ),
            DbRole::Hosts => ("hosts", "its reservations are not found until it is back"),
        };
        tracing::error!(
            database = %self.what,
            error = %detail(error),
            max_reconnect_tries = self.max_tries,
            wait_ms = self.wait.max(MIN_RECONNECT_WAIT).as_millis() as u64,
            "{role} database lost: {meanwhile}; reconnecting"
        );
        let _ = self.events.send(DbEvent::Lost {
            error: error.to_string(),
        });
        if self.max_tries == 0 {
            self.gave_up(0, error);
        }
        true
    }

    fn restored(&self, tries: u32) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.up.store(true, Ordering::Release);
        tracing::info!(database = %self.what, tries, "{} database reconnected", self.role.name());
        let _ = self.events.send(DbEvent::Restored { tries });
    }

    fn gave_up(&self, tries: u32, error: &LeaseError) {
        tracing::error!(
            database = %self.what,
            tries,
            error = %detail(error),
            "{} database still unreachable after max-reconnect-tries ({}) attempts",
            self.role.name(),
            self.max_tries
        );
        let _ = self.events.send(DbEvent::GaveUp {
            tries,
            error: error.to_string(),
        });
    }
}

/// What went wrong, for a log line that already says which database: the
/// message of a database error without the "lease database" of its
/// `Display` (a hosts database's errors are the same variants).
fn detail(e: &LeaseError) -> std::borrow::Cow<'_, str> {
    match e {
        LeaseError::Database(m) | LeaseError::Unavailable(m) => m.as_str().into(),
        e => e.to_string().into(),
    }
}

/// The reconnection task started by the call that took the store down:
/// every `reconnect_wait_time`, `attempt` (which makes new connections,
/// checks the schema and installs them) until it succeeds; then the store
/// is up again. Reports [`DbEvent::GaveUp`] after `max_reconnect_tries`
/// failures and goes on trying, more slowly.
pub(crate) async fn recover<F, Fut>(health: &Health, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), LeaseError>>,
{
    let mut tries: u32 = 0;
    loop {
        let wait = if tries >= health.max_tries {
            health.wait.max(GAVE_UP_RECONNECT_WAIT)
        } else {
            health.wait.max(MIN_RECONNECT_WAIT)
        };
        tokio::time::sleep(wait).await;
        tries = tries.saturating_add(1);
        match attempt().await {
            Ok(()) => {
                health.restored(tries);
                return;
            }
            Err(e) => {
                tracing::debug!(database = %health.what, tries, error = %detail(&e), "reconnection attempt failed");
                health.set_error(&e);
                if tries == health.max_tries {
                    health.gave_up(tries, &e);
                }
            }
        }
    }
}

/// `f`, abandoned after `limit` (`what` names it in the error).
pub(crate) async fn within<T, F>(limit: Duration, what: &str, f: F) -> Result<T, LeaseError>
where
    F: Future<Output = Result<T, LeaseError>>,
{
    tokio::time::timeout(limit, f).await.unwrap_or_else(|_| {
        Err(LeaseError::Database(format!(
            "{what}: timed out after {limit:?}"
        )))
    })
}

mod rows;
mod statements;

pub(crate) use rows::*;
pub(crate) use statements::*;
pub use statements::{Addr6, Shape};

// --- Helpers ---

/// A lease read's result: the value, or (logged, unless the store is down)
/// nothing.
pub(crate) fn or_log<T: Default>(what: &str, r: Result<T, LeaseError>) -> T {
    or_log_as(DbRole::Lease, what, r)
}

/// A read's result as [`or_log`], logged as a read of a `role` database.
pub(crate) fn or_log_as<T: Default>(role: DbRole, what: &str, r: Result<T, LeaseError>) -> T {
    r.unwrap_or_else(|e| {
        if !matches!(e, LeaseError::Unavailable(_)) {
            tracing::error!(error = %detail(&e), "{} database read failed: {what}", role.name());
        }
        T::default()
    })
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

/// `LeaseStore` and `HostStore` for a SQL backend, written once for
/// PostgreSQL and MySQL, with the store's `events`, `group_commits` and
/// `connected` (its `inner` holds `health` and `batches`). The backend
/// type `$t` provides the statements'
/// runners: `execute` (rows affected), `insert` (`false`: the key or a
/// unique column exists already), `rows4`, `rows6`, `hosts`, `hosts6` and
/// `count`;
/// the names the bodies use (`Q`, `Col`, `sql`, `hosts`, the lease types)
/// are imported where the macro is invoked.
macro_rules! sql_stores {
    ($t:ty) => {
        impl $t {
            /// The connection state changes ([`DbEvent`](crate::sql::DbEvent)) from the store's
            /// opening on, once: `None` after the first call.
            pub fn events(&self) -> Option<std::sync::mpsc::Receiver<$crate::sql::DbEvent>> {
                self.inner.health.take_events()
            }

            /// What group commit did so far ([`crate::batch`]).
            pub fn group_commits(&self) -> $crate::GroupCommits {
                self.inner.batches.stats()
            }

            /// Whether the database is reachable (false during an outage).
            pub fn connected(&self) -> bool {
                self.inner.health.is_up()
            }
        }

        impl $crate::LeaseStore for $t {
            fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
                self.rows4("get4", Q::Get4, vec![sql::addr4(addr)])
                    .into_iter()
                    .next()
            }

            fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
                if client_id.is_empty() {
                    return Vec::new();
                }
                let p = vec![Col::Bytes(client_id.to_vec())];
                self.rows4("get4_by_client_id", Q::ByClientId4, p)
            }

            fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
                if hwaddr.is_empty() {
                    return Vec::new();
                }
                let p = vec![Col::Bytes(hwaddr.to_vec())];
                self.rows4("get4_by_hwaddr", Q::ByHwaddr4, p)
            }

            fn get4_client(
                &self,
                client_id: Option<&[u8]>,
                hwaddr: &[u8],
                addr: Option<std::net::Ipv4Addr>,
            ) -> Vec<Lease4> {
                let bytes = |b: &[u8]| {
                    if b.is_empty() {
                        Col::Null
                    } else {
                        Col::Bytes(b.to_vec())
                    }
                };
                let p = vec![
                    client_id.map_or(Col::Null, bytes),
                    bytes(hwaddr),
                    addr.map_or(Col::Null, sql::addr4),
                ];
                if p.iter().all(|c| matches!(c, Col::Null)) {
                    return Vec::new();
                }
                self.rows4("get4_client", Q::Client4, p)
            }

            fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                if self.insert(Q::Add4, sql::values4(&l))? {
                    Ok(())
                } else {
                    Err(LeaseError::Exists(l.addr))
                }
            }

            fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                match self.execute(Q::Update4, sql::update4_params(&l))? {
                    0 => Err(LeaseError::NotFound(l.addr)),
                    _ => Ok(()),
                }
            }

            fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                if l.addr != old.addr {
                    return Ok(false);
                }
                Ok(self.execute(Q::Update4If, sql::update4_if_params(&l, old))? > 0)
            }

            fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
                Ok(self.execute(Q::Delete4, vec![sql::addr4(addr)])? > 0)
            }

            fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
                let p = vec![sql::time(now), sql::limit(limit)];
                self.rows4("expired4", Q::Expired4, p)
            }

            fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
                let n = self.execute(Q::Flush4, vec![sql::time(older_than)])?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }

            fn all4(&self) -> Vec<Lease4> {
                self.rows4("all4", Q::All4, Vec::new())
            }

            fn count4(&self) -> usize {
                self.count("count4", Q::Count4)
            }

            fn get6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Option<Lease6> {
                let p = vec![sql::addr6(addr), sql::type6(lease_type)];
                self.rows6("get6", Q::Get6, p).into_iter().next()
            }

            fn get6_by_duid_iaid(
                &self,
                lease_type: LeaseType6,
                duid: &[u8],
                iaid: u32,
            ) -> Vec<Lease6> {
                if sql::no_duid(duid) {
                    return Vec::new();
                }
                let p = vec![
                    Col::Bytes(duid.to_vec()),
                    Col::Int(i64::from(iaid)),
                    sql::type6(lease_type),
                ];
                self.rows6("get6_by_duid_iaid", Q::ByDuidIaid6, p)
            }

            fn get6_by_duid(&self, duid: &[u8]) -> Vec<Lease6> {
                if sql::no_duid(duid) {
                    return Vec::new();
                }
                self.rows6("get6_by_duid", Q::ByDuid6, vec![Col::Bytes(duid.to_vec())])
            }

            fn add6(&self, lease: &Lease6) -> Result<(), LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                if self.insert(Q::Add6, sql::values6(&l))? {
                    Ok(())
                } else {
                    Err(LeaseError::Exists6(l.address))
                }
            }

            fn update6(&self, lease: &Lease6) -> Result<(), LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                match self.execute(Q::Update6, sql::update6_params(&l))? {
                    0 => Err(LeaseError::NotFound6(l.lease_type, l.address)),
                    _ => Ok(()),
                }
            }

            fn update6_if(&self, lease: &Lease6, old: &Lease6) -> Result<bool, LeaseError> {
                let l = lease.prepare().map_err(LeaseError::Invalid)?;
                if l.address != old.address {
                    return Ok(false);
                }
                Ok(self.execute(Q::Update6If, sql::update6_if_params(&l, old))? > 0)
            }

            fn delete6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Result<bool, LeaseError> {
                let p = vec![sql::addr6(addr), sql::type6(lease_type)];
                Ok(self.execute(Q::Delete6, p)? > 0)
            }

            fn expired6(&self, now: u64, limit: usize) -> Vec<Lease6> {
                let p = vec![sql::time(now), sql::limit(limit)];
                self.rows6("expired6", Q::Expired6, p)
            }

            fn flush_reclaimed6(&self, older_than: u64) -> Result<usize, LeaseError> {
                let n = self.execute(Q::Flush6, vec![sql::time(older_than)])?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }

            fn all6(&self) -> Vec<Lease6> {
                self.rows6("all6", Q::All6, Vec::new())
            }

            fn count6(&self) -> usize {
                self.count("count6", Q::Count6)
            }
        }

        impl $crate::hosts::HostStore for $t {
            fn get4(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host4> {
                let mut found = Vec::new();
                for chunk in ids.chunks(hosts::IDS_PER_QUERY) {
                    let p = sql::host_get_params(subnet_id, chunk);
                    found.extend(self.hosts("hosts get4", Q::HostGet4, p));
                }
                hosts::first_by_order(found, ids)
            }

            fn get4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Option<Host4> {
                let p = vec![Col::Int(i64::from(subnet_id)), sql::addr4(addr)];
                self.hosts("hosts get4_by_address", Q::HostByAddr4, p)
                    .into_iter()
                    .next()
            }

            fn all4(&self, subnet_id: u32) -> Vec<Host4> {
                let p = vec![Col::Int(i64::from(subnet_id))];
                self.hosts("hosts all4", Q::HostAll4, p)
            }

            fn add4(&self, host: &Host4) -> Result<(), LeaseError> {
                let options = sql::option_rows(&host.option_data).map_err(LeaseError::Invalid)?;
                if !self.insert(Q::HostAdd4, sql::host_values(host))? {
                    return Err(LeaseError::HostExists(format!(
                        "subnet {}: this {} or address is already reserved",
                        host.subnet_id,
                        host.id_type.name()
                    )));
                }
                let key = || sql::host_key(host.subnet_id, host.id_type, &host.identifier);
                for o in &options {
                    if let Err(e) = self.execute(Q::HostAddOpt4, sql::option_values(o, "dhcp4", key())) {
                        // Nothing of the host stays (its options go with it).
                        if let Err(e) = self.execute(Q::HostDelId4, key()) {
                            tracing::error!(
                                error = %e,
                                subnet = host.subnet_id,
                                "hosts database: a DHCPv4 host whose options could not all be stored was not removed"
                            );
                        }
                        return Err(e);
                    }
                }
                Ok(())
            }

            fn del4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Result<bool, LeaseError> {
                let p = vec![Col::Int(i64::from(subnet_id)), sql::addr4(addr)];
                Ok(self.execute(Q::HostDelAddr4, p)? > 0)
            }

            fn del4_by_id(
                &self,
                subnet_id: u32,
                id_type: IdType,
                id: &[u8],
            ) -> Result<bool, LeaseError> {
                let p = sql::host_key(subnet_id, id_type, id);
                Ok(self.execute(Q::HostDelId4, p)? > 0)
            }

            fn find4(&self, q: hosts::HostQuery<'_, Ipv4Addr>) -> Vec<Host4> {
                let (what, stmt, p) = match q {
                    hosts::HostQuery::Hostname(n) => {
                        ("hosts by hostname4", Q::HostByName4, vec![Col::Text(n.to_string())])
                    }
                    hosts::HostQuery::Id(t, id) => (
                        "hosts by id4",
                        Q::HostById4,
                        vec![Col::Int(i64::from(t.code())), Col::Bytes(id.to_vec())],
                    ),
                    hosts::HostQuery::Address(a) => {
                        ("hosts by address4", Q::HostByAddrAny4, vec![sql::addr4(a)])
                    }
                };
                self.hosts(what, stmt, p)
            }

            fn get6(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<$crate::Host6> {
                let mut found = Vec::new();
                for chunk in ids.chunks(hosts::IDS_PER_QUERY) {
                    let p = sql::host_get_params(subnet_id, chunk);
                    found.extend(self.hosts6("hosts get6", Q::HostGet6, p));
                }
                hosts::first_by_order(found, ids)
            }

            fn get6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Option<$crate::Host6> {
                let p = vec![Col::Int(i64::from(subnet_id)), sql::addr6(addr)];
                self.hosts6("hosts get6_by_address", Q::HostByAddr6, p)
                    .into_iter()
                    .next()
            }

            fn all6(&self, subnet_id: u32) -> Vec<$crate::Host6> {
                let p = vec![Col::Int(i64::from(subnet_id))];
                self.hosts6("hosts all6", Q::HostAll6, p)
            }

            fn add6(&self, host: &$crate::Host6) -> Result<(), LeaseError> {
                let options = sql::option_rows(&host.option_data).map_err(LeaseError::Invalid)?;
                let exists = || {
                    LeaseError::HostExists(format!(
                        "subnet {}: this {} or one of its addresses or prefixes is already reserved",
                        host.subnet_id,
                        host.id_type.name()
                    ))
                };
                if !self.insert(Q::HostAdd6, sql::host6_values(host))? {
                    return Err(exists());
                }
                let key = || sql::host_key(host.subnet_id, host.id_type, &host.identifier);
                let res = sql::res6_of(host)
                    .into_iter()
                    .map(|r| (Q::HostAddRes6, sql::res6_values(host, r)));
                let opts = options
                    .iter()
                    .map(|o| (Q::HostAddOpt6, sql::option_values(o, "dhcp6", key())));
                for (q, p) in res.chain(opts).collect::<Vec<_>>() {
                    let stored = self.insert(q, p);
                    if matches!(stored, Ok(true)) {
                        continue;
                    }
                    // Not stored: nothing of the host stays (the
                    // reservations stored so far go with it).
                    let key = sql::host_key(host.subnet_id, host.id_type, &host.identifier);
                    if let Err(e) = self.execute(Q::HostDelId6, key) {
                        tracing::error!(
                            error = %e,
                            subnet = host.subnet_id,
                            "hosts database: a DHCPv6 host whose reservations could not all be stored was not removed"
                        );
                    }
                    return Err(match stored {
                        Err(e) => e,
                        Ok(_) => exists(),
                    });
                }
                Ok(())
            }

            fn del6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Result<bool, LeaseError> {
                let p = vec![Col::Int(i64::from(subnet_id)), sql::addr6(addr)];
                Ok(self.execute(Q::HostDelAddr6, p)? > 0)
            }

            fn del6_by_id(
                &self,
                subnet_id: u32,
                id_type: IdType,
                id: &[u8],
            ) -> Result<bool, LeaseError> {
                let p = sql::host_key(subnet_id, id_type, id);
                Ok(self.execute(Q::HostDelId6, p)? > 0)
            }

            fn find6(&self, q: hosts::HostQuery<'_, Ipv6Addr>) -> Vec<$crate::Host6> {
                let (what, stmt, p) = match q {
                    hosts::HostQuery::Hostname(n) => {
                        ("hosts by hostname6", Q::HostByName6, vec![Col::Text(n.to_string())])
                    }
                    hosts::HostQuery::Id(t, id) => (
                        "hosts by id6",
                        Q::HostById6,
                        vec![Col::Int(i64::from(t.code())), Col::Bytes(id.to_vec())],
                    ),
                    hosts::HostQuery::Address(a) => {
                        ("hosts by address6", Q::HostByAddrAny6, vec![sql::addr6(a)])
                    }
                };
                self.hosts6(what, stmt, p)
            }
        }
    };
}
pub(crate) use sql_stores;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_number_their_placeholders_for_postgres() {
        assert_eq!(
            statement(Q::Get6, Dialect::Postgres, Shape::default()),
            format!(
                "SELECT {} FROM lease6 WHERE address = $1 AND lease_type = $2",
                COLS6.replace("expire", "extract(epoch from expire)::bigint")
            )
        );
        assert_eq!(
            statement(Q::Delete4, Dialect::MySql, Shape::default()),
            "DELETE FROM lease4 WHERE address = ?"
        );
    }

    #[test]
    fn parameters_match_placeholders() {
        let mut l4 = crate::conformance::lease4(1);
        let mut l6 = crate::conformance::lease6(1);
        // A pool id no other value has: fit_params must take out exactly it.
        l4.pool_id = 777_777;
        l6.pool_id = 777_777;
        let cases: [(Q, Vec<Col>); 6] = [
            (Q::Add4, values4(&l4)),
            (Q::Update4, update4_params(&l4)),
            (Q::Update4If, update4_if_params(&l4, &l4)),
            (Q::Add6, values6(&l6)),
            (Q::Update6, update6_params(&l6)),
            (Q::Update6If, update6_if_params(&l6, &l6)),
        ];
        for (q, params) in cases {
            for pool_id in [false, true] {
                let shape = Shape {
                    pool_id,
                    ..Shape::default()
                };
                let mut p = params.clone();
                fit_params(q, pool_id, &mut p);
                let pools = p.iter().filter(|c| **c == Col::Int(777_777)).count();
                let want = if !pool_id {
                    0
                } else if q == Q::Update6If {
                    2
                } else {
                    1
                };
                assert_eq!(pools, want, "{q:?} pool_id {pool_id}");
                let n = p.len();
                let text = statement(q, Dialect::MySql, shape);
                assert_eq!(text.matches('?').count(), n, "{q:?}: {text}");
                assert_eq!(text.contains("pool_id"), pool_id, "{q:?}: {text}");
                let pg = statement(q, Dialect::Postgres, shape);
                assert!(pg.contains(&format!("${n}")) && !pg.contains(&format!("${}", n + 1)));
            }
        }
        l4.pool_id = 0;
        l6.pool_id = 0;
        // The key goes last, in the WHERE clause's order.
        let p = update6_params(&l6);
        assert_eq!(p[p.len() - 2..], [addr6(l6.address), type6(l6.lease_type)]);
        assert!(statement(Q::Update6, Dialect::MySql, Shape::default())
            .ends_with("WHERE address = ? AND lease_type = ?"));
    }

    /// A row as a test double, with the values a backend would return.
    struct Fake(Vec<Col>);

    impl SqlRow for Fake {
        fn int(&self, i: usize) -> Result<i64, String> {
            match self.0.get(i) {
                Some(Col::Int(n)) => Ok(*n),
                Some(Col::Bool(b)) => Ok(i64::from(*b)),
                c => Err(format!("column {i}: {c:?}")),
            }
        }
        fn boolean(&self, i: usize) -> Result<bool, String> {
            match self.0.get(i) {
                Some(Col::Bool(b)) => Ok(*b),
                c => Err(format!("column {i}: {c:?}")),
            }
        }
        fn bytes(&self, i: usize) -> Result<Vec<u8>, String> {
            match self.0.get(i) {
                Some(Col::Bytes(b)) => Ok(b.clone()),
                c => Err(format!("column {i}: {c:?}")),
            }
        }
        fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, String> {
            match self.0.get(i) {
                Some(Col::Null) => Ok(None),
                _ => self.bytes(i).map(Some),
            }
        }
        fn text(&self, i: usize) -> Result<String, String> {
            match self.0.get(i) {
                Some(Col::Text(s)) => Ok(s.clone()),
                c => Err(format!("column {i}: {c:?}")),
            }
        }
        fn opt_int(&self, i: usize) -> Result<Option<i64>, String> {
            match self.0.get(i) {
                Some(Col::Null) => Ok(None),
                _ => self.int(i).map(Some),
            }
        }
        fn opt_text(&self, i: usize) -> Result<Option<String>, String> {
            match self.0.get(i) {
                Some(Col::Null) => Ok(None),
                _ => self.text(i).map(Some),
            }
        }
        fn columns(&self) -> usize {
            self.0.len()
        }
    }

    #[test]
    fn host_rows_round_trip() {
        let mut h = Host4::new(IdType::HwAddress, vec![1, 2, 3, 4, 5, 6], 7);
        h.host_id = 9;
        h.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 9));
        h.hostname = "pc".into();
        h.option_data = r#"[{"code": 6, "data": "c0000201"}]"#.into();
        h.client_classes = "gold".into();
        h.user_context = r#"{"room": 12}"#.into();
        // The row read: the host's columns, then its options' list.
        let mut row = vec![Col::Int(9)];
        row.extend(host_values(&h).into_iter().take(10));
        row.push(Col::Text(h.option_data.clone()));
        assert_eq!(host4_of(&Fake(row.clone())), Ok(h.clone()));
        assert_eq!(
            option_rows(&h.option_data),
            Ok(vec![(6, vec![0xc0, 0, 2, 1], false, None)])
        );
        assert_eq!(
            option_rows(r#"[{"code": 7, "data": "01:0a", "always-send": true}]"#),
            Ok(vec![(7, vec![1, 10], true, None)])
        );
        assert_eq!(
            option_rows(r#"[{"code": 2, "data": "c0000201", "space": "vendor-4491"}]"#),
            Ok(vec![(
                2,
                vec![0xc0, 0, 2, 1],
                false,
                Some("vendor-4491".into())
            )])
        );
        assert!(option_rows(r#"[{"code": 7, "data": "0g"}]"#).is_err());
        row[2] = Col::Int(9);
        assert_eq!(
            host4_of(&Fake(row)),
            Err("dhcp_identifier_type 9 is unknown".into())
        );
        let text = statement(Q::HostGet4, Dialect::MySql, Shape::default());
        assert_eq!(text.matches('?').count(), host_get_params(1, &[]).len());
        let add = statement(Q::HostAdd4, Dialect::Postgres, Shape::default());
        assert!(add.contains(&format!(
            "${}",
            host_values(&Host4::new(IdType::Duid, vec![1], 1)).len()
        )));
        assert!(!add.contains("host_id"));
        assert!(add.contains("$1::bytea"));
        assert_eq!(
            statement(Q::HostAddOpt4, Dialect::MySql, Shape::default())
                .matches('?')
                .count(),
            option_values(
                &(1, vec![1], false, None),
                "dhcp4",
                host_key(1, IdType::Duid, &[1])
            )
            .len()
        );
    }

    #[test]
    fn host6_rows_are_grouped_by_host() {
        let row = |id: i64, res: [Col; 3]| {
            let mut r = vec![
                Col::Int(id),
                Col::Bytes(vec![0, 1, 2]),
                Col::Int(1),
                Col::Int(5),
                Col::Text("h".into()),
                Col::Null,
            ];
            r.extend(res);
            // dhcp6_client_classes, user_context, auth_key
            r.extend([Col::Null, Col::Text(r#"{"a": 1}"#.into()), Col::Null]);
            Fake(r)
        };
        let a: Ipv6Addr = "2001:db8::10".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let p: Ipv6Addr = "2001:db8:8::".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        let rows = vec![
            row(1, [Col::Text(a.to_string()), Col::Int(128), Col::Int(0)]),
            row(1, [Col::Text(p.to_string()), Col::Int(56), Col::Int(2)]),
            // Unusable reservations are skipped, their host kept.
            row(1, [Col::Text("nope".into()), Col::Int(128), Col::Int(0)]),
            row(1, [Col::Text(p.to_string()), Col::Int(129), Col::Int(2)]),
            row(2, [Col::Null, Col::Null, Col::Null]),
            row(3, [Col::Text(a.to_string()), Col::Int(128), Col::Int(7)]),
        ];
        let hosts = hosts6_of("test", rows);
        assert_eq!(hosts.len(), 3);
        assert_eq!(hosts[0].ip_addresses, vec![a]);
        assert_eq!(hosts[0].prefixes, vec![(p, 56)]);
        assert_eq!((hosts[0].subnet_id, hosts[0].hostname.as_str()), (5, "h"));
        assert_eq!(hosts[0].option_data, "");
        assert_eq!(hosts[0].user_context, r#"{"a": 1}"#);
        assert_eq!(hosts[0].auth_key, "");
        assert!(hosts[1].ip_addresses.is_empty() && hosts[1].prefixes.is_empty());
        assert!(hosts[2].ip_addresses.is_empty());
        // The parameters match the placeholders.
        let mut h = Host6::new(IdType::Duid, vec![1], 5);
        h.ip_addresses.push(a);
        let cases = [
            (Q::HostAdd6, host6_values(&h).len()),
            (Q::HostAddRes6, res6_values(&h, Res6::Address(a)).len()),
            (Q::HostGet6, host_get_params(5, &[]).len()),
            (Q::HostByAddr6, 2),
            (Q::HostAll6, 1),
            (Q::HostDelAddr6, 2),
            (Q::HostDelId6, 3),
        ];
        for (q, n) in cases {
            assert_eq!(
                statement(q, Dialect::MySql, Shape::default())
                    .matches('?')
                    .count(),
                n,
                "{q:?}"
            );
        }
        assert_eq!(res6_of(&h), vec![Res6::Address(a)]);
    }

    #[test]
    fn kea_2_4_statements_convert_dhcpv6_addresses() {
        let inet = Shape {
            addr6: Addr6::Inet,
            pool_id: false,
        };
        let bin = Shape {
            addr6: Addr6::Binary,
            pool_id: false,
        };
        for q in ALL_Q {
            let plain = statement(q, Dialect::MySql, Shape::default());
            let my = statement(q, Dialect::MySql, bin);
            let pg = statement(q, Dialect::Postgres, inet);
            // The same parameters, in the same order.
            assert_eq!(plain.matches('?').count(), my.matches('?').count(), "{q:?}");
            let v6 = format!("{q:?}").contains('6');
            if v6 && plain.contains("address") {
                assert!(!my.contains("address = ?"), "{q:?}: {my}");
                assert!(!pg.contains("address = $"), "{q:?}: {pg}");
                if plain.starts_with("SELECT") {
                    assert!(my.contains("INET6_NTOA("), "{q:?}: {my}");
                    assert!(pg.contains("host("), "{q:?}: {pg}");
                }
            } else {
                assert_eq!(plain, my, "{q:?}: not a DHCPv6 address statement");
            }
        }
        assert_eq!(
            statement(Q::Get6, Dialect::Postgres, inet),
            statement(Q::Get6, Dialect::Postgres, Shape::default())
                .replace("SELECT address,", "SELECT host(address) AS address,")
                .replace("address = $1", "address = CAST($1::text AS inet)")
        );
        assert!(statement(Q::Add6, Dialect::MySql, bin).contains("VALUES (INET6_ATON(?), ?"));
        assert!(statement(Q::HostAddRes6, Dialect::Postgres, inet)
            .contains("SELECT CAST($1::text AS inet), $2::smallint"));
    }

    #[test]
    fn rows_round_trip_and_ranges_are_checked() {
        let mut l4 = crate::conformance::lease4(3);
        l4.client_id = None;
        assert_eq!(lease4_of(&Fake(values4(&l4))), Ok(l4.clone()));
        let l6 = crate::conformance::prefix6(3);
        assert_eq!(lease6_of(&Fake(values6(&l6))), Ok(l6.clone()));
        let mut bad = values6(&l6);
        bad[8] = Col::Int(300);
        assert_eq!(
            lease6_of(&Fake(bad)),
            Err("prefix_len 300 out of range".into())
        );
        let mut bad = values4(&l4);
        bad[4] = Col::Int(-1);
        assert_eq!(lease4_of(&Fake(bad)), Err("expire -1 out of range".into()));
        let mut bad = values4(&l4);
        bad[9] = Col::Int(7);
        assert_eq!(lease4_of(&Fake(bad)), Err("state 7 is unknown".into()));
    }
}
