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

// --- Rows ---

/// The `lease4` columns, in the order of [`values4`] and [`lease4_of`].
pub(crate) const COLS4: &str = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
                                fqdn_fwd, fqdn_rev, hostname, state, user_context";
/// The `lease6` columns, in the order of [`values6`] and [`lease6_of`].
pub(crate) const COLS6: &str = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
                                lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, \
                                state, user_context, hwtype, hwaddr_source";
/// The positions in [`COLS6`] of the key (address, lease type).
const KEY6: [usize; 2] = [0, 6];

/// One statement parameter, as both backends bind it (PostgreSQL narrows
/// `Int` to the column's width, checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Col {
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
    Text(String),
    Null,
}

impl Col {
    fn int(n: impl Into<i64>) -> Col {
        Col::Int(n.into())
    }
    fn opt_bytes(b: Option<&Vec<u8>>) -> Col {
        b.map_or(Col::Null, |b| Col::Bytes(b.clone()))
    }
}

/// A result row as both backends read it: column `i` of [`COLS4`] or
/// [`COLS6`] (or of `COUNT(*)`). Errors name the column.
pub(crate) trait SqlRow {
    /// Any integer column, widened.
    fn int(&self, i: usize) -> Result<i64, String>;
    fn boolean(&self, i: usize) -> Result<bool, String>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, String>;
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, String>;
    fn text(&self, i: usize) -> Result<String, String>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, String>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, String>;
}

fn num<T: TryFrom<i64>>(r: &impl SqlRow, i: usize, column: &str) -> Result<T, String> {
    let n = r.int(i)?;
    T::try_from(n).map_err(|_| format!("{column} {n} out of range"))
}

fn state_of(r: &impl SqlRow, i: usize) -> Result<LeaseState, String> {
    let code = r.int(i)?;
    u32::try_from(code)
        .ok()
        .and_then(LeaseState::from_code)
        .ok_or_else(|| format!("state {code} is unknown"))
}

/// ruru's `expire` (Unix seconds) of Kea's: Kea stores `cltt` instead of
/// `cltt + valid_lifetime` for an infinite lifetime (`0xffffffff`), so
/// that it stays within the column's range.
fn expire_of(kea: u64, valid_lifetime: u32) -> u64 {
    if valid_lifetime == u32::MAX {
        kea.saturating_add(u64::from(valid_lifetime))
    } else {
        kea
    }
}

/// Kea's `expire` of ruru's (the inverse of [`expire_of`]).
pub(crate) fn kea_expire(expire: u64, valid_lifetime: u32) -> Col {
    if valid_lifetime == u32::MAX {
        time(expire.saturating_sub(u64::from(valid_lifetime)))
    } else {
        time(expire)
    }
}

/// A nullable integer column of Kea's (written by Kea as NULL when it has
/// no value), `0` when NULL.
fn num_or_zero<T: TryFrom<i64> + Default>(
    r: &impl SqlRow,
    i: usize,
    column: &str,
) -> Result<T, String> {
    match r.opt_int(i)? {
        None => Ok(T::default()),
        Some(n) => T::try_from(n).map_err(|_| format!("{column} {n} out of range")),
    }
}

/// Kea's `iaid`: PostgreSQL's column is a signed `INTEGER` that holds the
/// IAID's 32 bits (negative above 2^31), MySQL's an unsigned one.
fn iaid_of(r: &impl SqlRow, i: usize) -> Result<u32, String> {
    let n = r.int(i)?;
    u32::try_from(n)
        .or_else(|_| i32::try_from(n).map(|v| u32::from_ne_bytes(v.to_ne_bytes())))
        .map_err(|_| format!("iaid {n} out of range"))
}

/// The lease of a `SELECT COLS4` row of Kea's `lease4` (its nullable
/// columns read as empty when NULL; an empty `client_id` is none, as Kea
/// reads it).
pub(crate) fn lease4_of<R: SqlRow>(r: &R) -> Result<Lease4, String> {
    let valid_lifetime = num(r, 3, "valid_lifetime")?;
    Ok(Lease4 {
        addr: Ipv4Addr::from(num::<u32>(r, 0, "address")?),
        hwaddr: r.opt_bytes(1)?.unwrap_or_default(),
        client_id: r.opt_bytes(2)?.filter(|c| !c.is_empty()),
        valid_lifetime,
        expire: expire_of(num(r, 4, "expire")?, valid_lifetime),
        subnet_id: num(r, 5, "subnet_id")?,
        fqdn_fwd: r.boolean(6)?,
        fqdn_rev: r.boolean(7)?,
        hostname: r.opt_text(8)?.unwrap_or_default(),
        state: state_of(r, 9)?,
        user_context: r.opt_text(10)?.unwrap_or_default(),
    })
}

/// The lease of a `SELECT COLS6` row of Kea's `lease6` (as [`lease4_of`]).
pub(crate) fn lease6_of<R: SqlRow>(r: &R) -> Result<Lease6, String> {
    let address = r.text(0)?;
    let lease_type: u32 = num(r, 6, "lease_type")?;
    let valid_lifetime = num(r, 2, "valid_lifetime")?;
    Ok(Lease6 {
        address: address
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("address '{address}' is not an IPv6 address"))?,
        duid: r.opt_bytes(1)?.unwrap_or_default(),
        valid_lifetime,
        expire: expire_of(num(r, 3, "expire")?, valid_lifetime),
        subnet_id: num(r, 4, "subnet_id")?,
        pref_lifetime: num(r, 5, "pref_lifetime")?,
        lease_type: LeaseType6::from_code(lease_type)
            .ok_or_else(|| format!("lease_type {lease_type} is unknown"))?,
        iaid: iaid_of(r, 7)?,
        prefix_len: num(r, 8, "prefix_len")?,
        fqdn_fwd: r.boolean(9)?,
        fqdn_rev: r.boolean(10)?,
        hostname: r.opt_text(11)?.unwrap_or_default(),
        hwaddr: r.opt_bytes(12)?.unwrap_or_default(),
        state: state_of(r, 13)?,
        user_context: r.opt_text(14)?.unwrap_or_default(),
        hwtype: num_or_zero(r, 15, "hwtype")?,
        hwaddr_source: num_or_zero(r, 16, "hwaddr_source")?,
    })
}

/// The `COUNT(*)` of a row.
pub(crate) fn count_of<R: SqlRow>(r: &R) -> Result<usize, String> {
    num(r, 0, "count")
}

/// The `hosts` columns, in the order of [`host_values`] and [`host4_of`];
/// the options (`option_data`, last in [`host4_of`]) are read from Kea's
/// `dhcp4_options` ([`options_select`]).
pub(crate) const COLS_HOST: &str =
    "host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                                    ipv4_address, hostname, dhcp4_next_server, \
                                    dhcp4_server_hostname, dhcp4_boot_file_name";

/// The host of a `SELECT COLS_HOST` row.
pub(crate) fn host4_of<R: SqlRow>(r: &R) -> Result<Host4, String> {
    let code: u8 = num(r, 2, "dhcp_identifier_type")?;
    let addr = |i: usize, column: &str| -> Result<Option<Ipv4Addr>, String> {
        match r.opt_int(i)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(|a| Some(Ipv4Addr::from(a)))
                .map_err(|_| format!("{column} {n} out of range")),
        }
    };
    Ok(Host4 {
        host_id: num(r, 0, "host_id")?,
        identifier: r.bytes(1)?,
        id_type: IdType::from_code(code)
            .ok_or_else(|| format!("dhcp_identifier_type {code} is unknown"))?,
        subnet_id: num(r, 3, "dhcp4_subnet_id")?,
        ipv4_address: addr(4, "ipv4_address")?,
        hostname: r.opt_text(5)?.unwrap_or_default(),
        next_server: addr(6, "dhcp4_next_server")?,
        server_hostname: r.opt_text(7)?.unwrap_or_default(),
        boot_file_name: r.opt_text(8)?.unwrap_or_default(),
        option_data: r.opt_text(9)?.unwrap_or_default(),
    })
}

/// The parameters of [`Q::HostAdd4`]: the row of a new host ([`COLS_HOST`]
/// without `host_id`; empty texts as NULL, as Kea writes them), then its
/// subnet and address (which no other host of the subnet may have).
pub(crate) fn host_values(h: &Host4) -> Vec<Col> {
    let opt_addr = |a: Option<Ipv4Addr>| a.map_or(Col::Null, addr4);
    vec![
        Col::Bytes(h.identifier.clone()),
        Col::int(h.id_type.code()),
        Col::int(h.subnet_id),
        opt_addr(h.ipv4_address),
        context(&h.hostname),
        opt_addr(h.next_server),
        context(&h.server_hostname),
        context(&h.boot_file_name),
        Col::int(h.subnet_id),
        opt_addr(h.ipv4_address),
    ]
}

/// The options of a host's `option_data` (empty, or a JSON list of
/// `{"code": N, "data": "hex", "always-send": bool}`) as rows of Kea's
/// `dhcp4_options`/`dhcp6_options`: (code, value, persistent).
pub(crate) fn option_rows(text: &str) -> Result<Vec<(u16, Vec<u8>, bool)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("option_data is not JSON: {e}"))?;
    let list = v.as_array().ok_or("option_data is not a JSON list")?;
    list.iter()
        .map(|o| {
            let code = o
                .get("code")
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| format!("option {o}: no valid code"))?;
            let hex: String = o
                .get("data")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .chars()
                .filter(|c| !matches!(c, ':' | ' '))
                .collect();
            let data = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                        .ok_or_else(|| format!("option {code}: data is not hex"))
                })
                .collect::<Result<Vec<u8>, String>>()?;
            let always = o
                .get("always-send")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            Ok((code, data, always))
        })
        .collect()
}

/// The parameters of [`Q::HostAddOpt4`] / [`Q::HostAddOpt6`]: one option
/// of the host with this key ([`host_key`]).
pub(crate) fn option_values(opt: &(u16, Vec<u8>, bool), key: Vec<Col>) -> Vec<Col> {
    let mut p = vec![Col::int(opt.0), Col::Bytes(opt.1.clone()), Col::Bool(opt.2)];
    p.extend(key);
    p
}

/// The `option_data` of a host as a subquery over Kea's options table
/// `table` (`dhcp4_options`, `dhcp6_options`): the JSON list of its
/// options stored as binary `value` (those Kea stores only as
/// `formatted_value`, its CSV form, are not read), NULL when none.
/// `always-send` is written only when true (its default is false).
fn options_select(table: &str, host: &str, d: Dialect) -> String {
    let (one, list) = match d {
        Dialect::Postgres => (
            r#"'{"code": ' || o.code || ', "data": "' || encode(o.value, 'hex') || '"' || CASE WHEN o.persistent THEN ', "always-send": true' ELSE '' END || '}'"#,
            "'[' || string_agg(ONE, ', ' ORDER BY o.option_id) || ']'",
        ),
        Dialect::MySql => (
            r#"CONCAT('{"code": ', o.code, ', "data": "', LOWER(HEX(o.value)), '"', IF(o.persistent, ', "always-send": true', ''), '}')"#,
            "CONCAT('[', GROUP_CONCAT(ONE ORDER BY o.option_id SEPARATOR ', '), ']')",
        ),
    };
    format!(
        "(SELECT {} FROM {table} o WHERE o.host_id = {host} AND o.value IS NOT NULL)",
        list.replace("ONE", one)
    )
}

/// The columns of a DHCPv6 host read: the `hosts` row (`h`), then one of
/// its `ipv6_reservations` (`r`, NULL when it has none), in the order of
/// [`host6_row_of`]. One result row per reservation, ordered by host.
/// (`OPTIONS` stands for [`options_select`] over `dhcp6_options`.)
pub(crate) const COLS_HOST6: &str =
    "h.host_id, h.dhcp_identifier, h.dhcp_identifier_type, h.dhcp6_subnet_id, h.hostname, \
     OPTIONS, r.address, r.prefix_len, r.type";

/// `ipv6_reservations.type` of an address and of a prefix (Kea's).
pub(crate) const RES6_ADDRESS: i64 = 0;
pub(crate) const RES6_PREFIX: i64 = 2;

/// One reservation of an `ipv6_reservations` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Res6 {
    Address(Ipv6Addr),
    Prefix(Ipv6Addr, u8),
}

/// A `SELECT COLS_HOST6` row: its host (without reservations) and its
/// reservation — `Ok(None)` when the host has none, `Err` (the host still
/// applies) when the reservation cannot be read.
pub(crate) fn host6_row_of<R: SqlRow>(
    r: &R,
) -> Result<(Host6, Result<Option<Res6>, String>), String> {
    let code: u8 = num(r, 2, "dhcp_identifier_type")?;
    let host = Host6 {
        host_id: num(r, 0, "host_id")?,
        identifier: r.bytes(1)?,
        id_type: IdType::from_code(code)
            .ok_or_else(|| format!("dhcp_identifier_type {code} is unknown"))?,
        subnet_id: num(r, 3, "dhcp6_subnet_id")?,
        ip_addresses: Vec::new(),
        prefixes: Vec::new(),
        hostname: r.opt_text(4)?.unwrap_or_default(),
        option_data: r.opt_text(5)?.unwrap_or_default(),
    };
    let res = (|| {
        let Some(text) = r.opt_text(6)? else {
            return Ok(None);
        };
        let addr: Ipv6Addr = text
            .trim()
            .parse()
            .map_err(|_| format!("address '{text}' is not an IPv6 address"))?;
        let kind = r.opt_int(8)?.unwrap_or(RES6_ADDRESS);
        match kind {
            RES6_ADDRESS => Ok(Some(Res6::Address(addr))),
            RES6_PREFIX => {
                let len = r.opt_int(7)?.unwrap_or(128);
                let len = u8::try_from(len)
                    .ok()
                    .filter(|l| (1..=128).contains(l))
                    .ok_or_else(|| format!("prefix_len {len} out of range"))?;
                Ok(Some(Res6::Prefix(addr, len)))
            }
            t => Err(format!("type {t} is unknown (0: address, 2: prefix)")),
        }
    })();
    Ok((host, res))
}

/// The DHCPv6 hosts of `SELECT COLS_HOST6 .. ORDER BY h.host_id` rows:
/// one per host, with its reservations gathered. Unusable rows and
/// reservations are logged and skipped.
pub(crate) fn hosts6_of<R: SqlRow>(what: &str, rows: impl IntoIterator<Item = R>) -> Vec<Host6> {
    let mut out: Vec<Host6> = Vec::new();
    for r in rows {
        let (host, res) = match host6_row_of(&r) {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "unusable hosts row skipped: {what}");
                continue;
            }
        };
        let h = match out.last_mut() {
            Some(last) if last.host_id == host.host_id => last,
            _ => {
                out.push(host);
                let Some(last) = out.last_mut() else {
                    continue;
                };
                last
            }
        };
        match res {
            Ok(None) => {}
            Ok(Some(Res6::Address(a))) => h.ip_addresses.push(a),
            Ok(Some(Res6::Prefix(p, len))) => h.prefixes.push((p, len)),
            Err(e) => tracing::warn!(
                host_id = h.host_id,
                error = %e,
                "unusable ipv6_reservations row skipped: {what}"
            ),
        }
    }
    out
}

/// The parameters of [`Q::HostAdd6`]: the `hosts` row of a new DHCPv6 host
/// (its options are rows of `dhcp6_options`).
pub(crate) fn host6_values(h: &Host6) -> Vec<Col> {
    vec![
        Col::Bytes(h.identifier.clone()),
        Col::int(h.id_type.code()),
        Col::int(h.subnet_id),
        context(&h.hostname),
    ]
}

/// The parameters of [`Q::HostAddRes6`]: one reservation of host `h`
/// (which is found by its subnet and identifier).
pub(crate) fn res6_values(h: &Host6, res: Res6) -> Vec<Col> {
    let (addr, len, kind) = match res {
        Res6::Address(a) => (a, 128, RES6_ADDRESS),
        Res6::Prefix(p, len) => (p, len, RES6_PREFIX),
    };
    vec![
        addr6(addr),
        Col::int(len),
        Col::Int(kind),
        Col::int(h.subnet_id),
        Col::int(h.id_type.code()),
        Col::Bytes(h.identifier.clone()),
        addr6(addr),
        Col::int(len),
    ]
}

/// The reservations of `h` as [`Res6`], addresses first.
pub(crate) fn res6_of(h: &Host6) -> Vec<Res6> {
    h.ip_addresses
        .iter()
        .map(|a| Res6::Address(*a))
        .chain(h.prefixes.iter().map(|(p, l)| Res6::Prefix(*p, *l)))
        .collect()
}

/// The parameters of [`Q::HostGet4`]: the subnet, then [`IDS_PER_QUERY`]
/// (type, identifier) pairs, unused ones with a type no row has.
pub(crate) fn host_get_params(subnet_id: u32, ids: &[(IdType, &[u8])]) -> Vec<Col> {
    let mut p = vec![Col::int(subnet_id)];
    for i in 0..IDS_PER_QUERY {
        match ids.get(i) {
            Some((t, id)) => p.extend([Col::int(t.code()), Col::Bytes(id.to_vec())]),
            None => p.extend([Col::Int(-1), Col::Bytes(Vec::new())]),
        }
    }
    p
}

/// The parameters that name one host: its subnet and identifier
/// ([`Q::HostDelId4`], [`Q::HostDelId6`]).
pub(crate) fn host_key(subnet_id: u32, id_type: IdType, id: &[u8]) -> Vec<Col> {
    vec![
        Col::int(subnet_id),
        Col::int(id_type.code()),
        Col::Bytes(id.to_vec()),
    ]
}

/// A v4 address as stored (an unsigned 32-bit number).
pub(crate) fn addr4(a: Ipv4Addr) -> Col {
    Col::int(u32::from(a))
}

/// A v6 address as stored (its RFC 5952 text).
pub(crate) fn addr6(a: Ipv6Addr) -> Col {
    Col::Text(a.to_string())
}

pub(crate) fn type6(t: LeaseType6) -> Col {
    Col::int(t.code())
}

/// Expiry times and limits as the databases store them (signed 64 bits).
pub(crate) fn time(n: u64) -> Col {
    Col::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The `limit` argument of `expired*` as a SQL LIMIT (0 = all).
pub(crate) fn limit(limit: usize) -> Col {
    if limit == 0 {
        Col::Int(i64::MAX)
    } else {
        Col::Int(i64::try_from(limit).unwrap_or(i64::MAX))
    }
}

/// A `user_context` as Kea stores it: NULL when there is none.
fn context(c: &str) -> Col {
    if c.is_empty() {
        Col::Null
    } else {
        Col::Text(c.to_string())
    }
}

/// The row of a lease, in [`COLS4`] order, as Kea writes it.
pub(crate) fn values4(l: &Lease4) -> Vec<Col> {
    vec![
        addr4(l.addr),
        Col::Bytes(l.hwaddr.clone()),
        Col::opt_bytes(l.client_id.as_ref()),
        Col::int(l.valid_lifetime),
        kea_expire(l.expire, l.valid_lifetime),
        Col::int(l.subnet_id),
        Col::Bool(l.fqdn_fwd),
        Col::Bool(l.fqdn_rev),
        Col::Text(l.hostname.clone()),
        Col::int(l.state.code()),
        context(&l.user_context),
    ]
}

/// The row of a lease, in [`COLS6`] order, as Kea writes it.
pub(crate) fn values6(l: &Lease6) -> Vec<Col> {
    vec![
        addr6(l.address),
        Col::Bytes(l.duid.clone()),
        Col::int(l.valid_lifetime),
        kea_expire(l.expire, l.valid_lifetime),
        Col::int(l.subnet_id),
        Col::int(l.pref_lifetime),
        type6(l.lease_type),
        Col::int(l.iaid),
        Col::int(l.prefix_len),
        Col::Bool(l.fqdn_fwd),
        Col::Bool(l.fqdn_rev),
        Col::Text(l.hostname.clone()),
        Col::Bytes(l.hwaddr.clone()),
        Col::int(l.state.code()),
        context(&l.user_context),
        Col::int(l.hwtype),
        Col::int(l.hwaddr_source),
    ]
}

/// The parameters of [`Q::Update4`]: the row without its key, then the key.
pub(crate) fn update4_params(l: &Lease4) -> Vec<Col> {
    key_last(values4(l), &[0])
}

/// The parameters of [`Q::Update4If`]: [`update4_params`], then what must
/// still be stored (`old`'s expire, state and client identifiers).
pub(crate) fn update4_if_params(l: &Lease4, old: &Lease4) -> Vec<Col> {
    let mut p = update4_params(l);
    p.extend([
        kea_expire(old.expire, old.valid_lifetime),
        Col::int(old.state.code()),
        Col::Bytes(old.hwaddr.clone()),
        Col::opt_bytes(old.client_id.as_ref()),
    ]);
    p
}

/// The parameters of [`Q::Update6`]: the row without its key, then the key.
pub(crate) fn update6_params(l: &Lease6) -> Vec<Col> {
    key_last(values6(l), &KEY6)
}

/// The parameters of [`Q::Update6If`]: the new row, then the whole old one.
pub(crate) fn update6_if_params(l: &Lease6, old: &Lease6) -> Vec<Col> {
    let mut p = values6(l);
    p.extend(values6(old));
    p
}

fn key_last(values: Vec<Col>, key: &[usize]) -> Vec<Col> {
    let (mut rest, mut keys) = (Vec::new(), Vec::new());
    for (i, v) in values.into_iter().enumerate() {
        if key.contains(&i) {
            keys.push(v);
        } else {
            rest.push(v);
        }
    }
    rest.extend(keys);
    rest
}

/// A DUID that finds nothing: empty, or the "empty DUID" of declined
/// leases (memfile does not index them either).
pub(crate) fn no_duid(duid: &[u8]) -> bool {
    duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID
}

/// Decodes rows, skipping (and logging) those that do not make a lease.
pub(crate) fn decode_all<R, L>(
    what: &str,
    rows: impl IntoIterator<Item = R>,
    f: fn(&R) -> Result<L, String>,
) -> Vec<L> {
    rows.into_iter()
        .filter_map(|r| match f(&r) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "unusable lease row skipped: {what}");
                None
            }
        })
        .collect()
}

// --- Statements ---

/// Where the two SQL dialects differ in our statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    MySql,
}

/// Every statement a store runs; each backend prepares them once per
/// connection. The parameters are those of the `sql::*_params` helpers or
/// of the trait method's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Q {
    Get4,
    ByClientId4,
    ByHwaddr4,
    Add4,
    Update4,
    Update4If,
    Delete4,
    Expired4,
    Flush4,
    All4,
    Count4,
    Get6,
    ByDuidIaid6,
    ByDuid6,
    Add6,
    Update6,
    Update6If,
    Delete6,
    Expired6,
    Flush6,
    All6,
    Count6,
    HostGet4,
    HostByAddr4,
    HostAll4,
    HostAdd4,
    HostDelAddr4,
    HostDelId4,
    HostGet6,
    HostByAddr6,
    HostAll6,
    HostAdd6,
    HostAddRes6,
    HostDelAddr6,
    HostDelId6,
    HostAddOpt4,
    HostAddOpt6,
}

/// Every [`Q`], indexed by `Q as usize`.
pub(crate) const ALL_Q: [Q; 37] = [
    Q::Get4,
    Q::ByClientId4,
    Q::ByHwaddr4,
    Q::Add4,
    Q::Update4,
    Q::Update4If,
    Q::Delete4,
    Q::Expired4,
    Q::Flush4,
    Q::All4,
    Q::Count4,
    Q::Get6,
    Q::ByDuidIaid6,
    Q::ByDuid6,
    Q::Add6,
    Q::Update6,
    Q::Update6If,
    Q::Delete6,
    Q::Expired6,
    Q::Flush6,
    Q::All6,
    Q::Count6,
    Q::HostGet4,
    Q::HostByAddr4,
    Q::HostAll4,
    Q::HostAdd4,
    Q::HostDelAddr4,
    Q::HostDelId4,
    Q::HostGet6,
    Q::HostByAddr6,
    Q::HostAll6,
    Q::HostAdd6,
    Q::HostAddRes6,
    Q::HostDelAddr6,
    Q::HostDelId6,
    Q::HostAddOpt4,
    Q::HostAddOpt6,
];

impl Q {
    /// Whether this is a one-lease statement of the packet path (bounded by
    /// `connect_timeout`); scans and bulk deletes are not.
    pub(crate) fn is_point(self) -> bool {
        !matches!(
            self,
            Q::Expired4
                | Q::Flush4
                | Q::All4
                | Q::Count4
                | Q::Expired6
                | Q::Flush6
                | Q::All6
                | Q::Count6
                | Q::HostAll4
                | Q::HostAll6
        )
    }
}

/// The columns of a list such as [`COLS4`].
fn names(cols: &str) -> impl Iterator<Item = &str> {
    cols.split(',').map(str::trim)
}

/// How column `c` of a lease table is read: Kea's `expire` is a timestamp,
/// ruru's Unix seconds (PostgreSQL's `extract(epoch ..)` is Kea's own).
fn read_col(c: &str, d: Dialect) -> String {
    match (c, d) {
        ("expire", Dialect::Postgres) => "extract(epoch from expire)::bigint".into(),
        ("expire", Dialect::MySql) => "UNIX_TIMESTAMP(expire)".into(),
        (c, _) => c.into(),
    }
}

/// The SELECT list of a lease table's columns `cols`.
fn select_list(cols: &str, d: Dialect) -> String {
    names(cols)
        .map(|c| read_col(c, d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholder of column `c` in a write: Unix seconds become Kea's
/// timestamp (the MySQL session's time zone is UTC, see `mysql`).
fn mark(c: &str, d: Dialect) -> &'static str {
    match (c, d) {
        ("expire", Dialect::Postgres) => "to_timestamp(?::bigint)",
        ("expire", Dialect::MySql) => "FROM_UNIXTIME(?)",
        _ => "?",
    }
}

/// What a NULL of column `c` reads as, for a column Kea leaves NULL when
/// it has no value (`None`: a column Kea always writes).
fn empty_of(c: &str, d: Dialect) -> Option<&'static str> {
    match (c, d) {
        ("hwaddr" | "client_id", Dialect::Postgres) => Some("''::bytea"),
        ("hwaddr" | "client_id" | "hostname" | "user_context", _) => Some("''"),
        ("hwtype" | "hwaddr_source", _) => Some("0"),
        _ => None,
    }
}

/// `c = ?` as a condition of a compare-and-swap: a NULL Kea wrote equals
/// the empty value ruru read it as.
fn same(c: &str, d: Dialect) -> String {
    match empty_of(c, d) {
        Some(e) => format!("COALESCE({c}, {e}) = COALESCE({}, {e})", mark(c, d)),
        None => format!("{c} = {}", mark(c, d)),
    }
}

/// `c1 = ?, c2 = ?` over the columns of `cols` whose position `keep`
/// accepts (a SET list).
fn each(cols: &str, d: Dialect, keep: impl Fn(usize) -> bool) -> String {
    names(cols)
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| format!("{c} = {}", mark(c, d)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn insert(table: &str, cols: &str, d: Dialect) -> String {
    let marks = names(cols)
        .map(|c| mark(c, d))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!("INSERT INTO {table} ({cols}) VALUES ({marks})");
    match d {
        // A taken address inserts nothing (0 rows) instead of failing.
        Dialect::Postgres => format!("{text} ON CONFLICT (address) DO NOTHING"),
        // A taken address is error 1062 (duplicate key).
        Dialect::MySql => text,
    }
}

/// The text of `q` in dialect `d` (PostgreSQL's placeholders numbered).
pub(crate) fn statement(q: Q, d: Dialect) -> String {
    let update4 = format!(
        "UPDATE lease4 SET {} WHERE address = ?",
        each(COLS4, d, |i| i != 0)
    );
    let update6 = format!(
        "UPDATE lease6 SET {} WHERE address = ? AND lease_type = ?",
        each(COLS6, d, |i| !KEY6.contains(&i))
    );
    let (cols4, cols6) = (select_list(COLS4, d), select_list(COLS6, d));
    // A time compared with `expire`, bounded to what the column holds
    // (MySQL's TIMESTAMP ends in 2038; a later time finds every lease).
    let expire = match d {
        Dialect::Postgres => "to_timestamp(LEAST(?::bigint, 100000000000))",
        Dialect::MySql => "FROM_UNIXTIME(LEAST(?, 2147483647))",
    };
    let host4 = format!(
        "{COLS_HOST}, {}",
        options_select("dhcp4_options", "hosts.host_id", d)
    );
    let select6 = format!(
        "SELECT {} FROM hosts h LEFT JOIN ipv6_reservations r ON r.host_id = h.host_id",
        COLS_HOST6.replace("OPTIONS", &options_select("dhcp6_options", "h.host_id", d))
    );
    // A typed placeholder: PostgreSQL cannot infer the type of a parameter
    // in the SELECT list of an `INSERT .. SELECT`.
    let typed = |t: &str| match d {
        Dialect::Postgres => format!("?::{t}"),
        Dialect::MySql => "?".to_string(),
    };
    let from_dual = match d {
        Dialect::Postgres => "",
        Dialect::MySql => " FROM DUAL",
    };
    let order6 = "ORDER BY h.host_id, r.reservation_id";
    let text = match q {
        Q::Get4 => format!("SELECT {cols4} FROM lease4 WHERE address = ?"),
        Q::ByClientId4 => format!("SELECT {cols4} FROM lease4 WHERE client_id = ?"),
        Q::ByHwaddr4 => format!("SELECT {cols4} FROM lease4 WHERE hwaddr = ?"),
        Q::Add4 => insert("lease4", COLS4, d),
        Q::Update4 => update4,
        // Compare-and-swap: the old row's expire, state and identifiers
        // must still be there.
        Q::Update4If => format!(
            "{update4} AND {} AND state = ? AND {} AND {}",
            same("expire", d),
            same("hwaddr", d),
            same("client_id", d)
        ),
        Q::Delete4 => "DELETE FROM lease4 WHERE address = ?".into(),
        // Kea's: a lease of infinite lifetime never expires.
        Q::Expired4 => format!(
            "SELECT {cols4} FROM lease4 WHERE state IN (0, 1) AND valid_lifetime != 4294967295 \
             AND expire <= {expire} ORDER BY expire, address LIMIT ?"
        ),
        Q::Flush4 => format!("DELETE FROM lease4 WHERE state = 2 AND expire < {expire}"),
        Q::All4 => format!("SELECT {cols4} FROM lease4"),
        Q::Count4 => "SELECT COUNT(*) FROM lease4".into(),
        Q::Get6 => format!("SELECT {cols6} FROM lease6 WHERE address = ? AND lease_type = ?"),
        Q::ByDuidIaid6 => {
            format!("SELECT {cols6} FROM lease6 WHERE duid = ? AND iaid = ? AND lease_type = ?")
        }
        Q::ByDuid6 => format!("SELECT {cols6} FROM lease6 WHERE duid = ?"),
        Q::Add6 => insert("lease6", COLS6, d),
        Q::Update6 => update6,
        // Compare-and-swap on the whole row: the stored lease must still be
        // exactly the one read.
        Q::Update6If => format!(
            "UPDATE lease6 SET {} WHERE {}",
            each(COLS6, d, |_| true),
            names(COLS6)
                .map(|c| same(c, d))
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
        Q::Delete6 => "DELETE FROM lease6 WHERE address = ? AND lease_type = ?".into(),
        Q::Expired6 => format!(
            "SELECT {cols6} FROM lease6 WHERE state IN (0, 1) AND valid_lifetime != 4294967295 \
             AND expire <= {expire} ORDER BY expire, address LIMIT ?"
        ),
        Q::Flush6 => format!("DELETE FROM lease6 WHERE state = 2 AND expire < {expire}"),
        Q::All6 => format!("SELECT {cols6} FROM lease6"),
        Q::Count6 => "SELECT COUNT(*) FROM lease6".into(),
        Q::HostGet4 => format!(
            "SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? AND ({})",
            ["(dhcp_identifier_type = ? AND dhcp_identifier = ?)"; IDS_PER_QUERY].join(" OR ")
        ),
        Q::HostByAddr4 => {
            format!("SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?")
        }
        Q::HostAll4 => {
            format!("SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? ORDER BY host_id")
        }
        // Kea's schema does not make an address unique per subnet (Kea
        // checks it itself, unless `ip-reservations-unique` is false): the
        // insert is conditional.
        Q::HostAdd4 => {
            let cols = COLS_HOST
                .split_once(',')
                .map_or("", |(_, rest)| rest.trim());
            let types = [
                "bytea", "smallint", "bigint", "bigint", "varchar", "bigint", "varchar", "varchar",
            ];
            let marks = types.map(typed).join(", ");
            format!(
                "INSERT INTO hosts ({cols}) SELECT {marks}{from_dual} WHERE NOT EXISTS \
                 (SELECT 1 FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?)"
            )
        }
        Q::HostDelAddr4 => {
            "DELETE FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?".into()
        }
        Q::HostDelId4 => "DELETE FROM hosts WHERE dhcp4_subnet_id = ? \
                          AND dhcp_identifier_type = ? AND dhcp_identifier = ?"
            .into(),
        Q::HostGet6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id = ? AND ({}) {order6}",
            ["(h.dhcp_identifier_type = ? AND h.dhcp_identifier = ?)"; IDS_PER_QUERY].join(" OR ")
        ),
        Q::HostByAddr6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id = ? AND h.host_id IN \
             (SELECT host_id FROM ipv6_reservations WHERE address = ?) {order6}"
        ),
        Q::HostAll6 => format!("{select6} WHERE h.dhcp6_subnet_id = ? {order6}"),
        Q::HostAdd6 => "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, \
                        dhcp6_subnet_id, hostname) VALUES (?, ?, ?, ?)"
            .into(),
        // The host is found by its key: the statements of one call may run
        // on different connections, so no "last insert id". Kea's schema
        // does not make a reservation unique: the insert is conditional.
        Q::HostAddRes6 => format!(
            "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
             SELECT {}, {}, {}, (SELECT host_id FROM hosts WHERE dhcp6_subnet_id = ? \
             AND dhcp_identifier_type = ? AND dhcp_identifier = ?){from_dual} WHERE NOT EXISTS \
             (SELECT 1 FROM ipv6_reservations WHERE address = ? AND prefix_len = ?)",
            typed("varchar"),
            typed("smallint"),
            typed("smallint")
        ),
        // Scope 3: a host's option (Kea's `dhcp_option_scope`).
        Q::HostAddOpt4 => "INSERT INTO dhcp4_options (code, value, persistent, space, scope_id, \
                           host_id) VALUES (?, ?, ?, 'dhcp4', 3, (SELECT host_id FROM hosts \
                           WHERE dhcp4_subnet_id = ? AND dhcp_identifier_type = ? \
                           AND dhcp_identifier = ?))"
            .into(),
        Q::HostAddOpt6 => "INSERT INTO dhcp6_options (code, value, persistent, space, scope_id, \
                           host_id) VALUES (?, ?, ?, 'dhcp6', 3, (SELECT host_id FROM hosts \
                           WHERE dhcp6_subnet_id = ? AND dhcp_identifier_type = ? \
                           AND dhcp_identifier = ?))"
            .into(),
        // Its reservations go with it (ON DELETE CASCADE).
        Q::HostDelAddr6 => "DELETE FROM hosts WHERE dhcp6_subnet_id = ? AND host_id IN \
                            (SELECT host_id FROM ipv6_reservations WHERE address = ?)"
            .into(),
        Q::HostDelId6 => "DELETE FROM hosts WHERE dhcp6_subnet_id = ? \
                          AND dhcp_identifier_type = ? AND dhcp_identifier = ?"
            .into(),
    };
    match d {
        Dialect::MySql => text,
        Dialect::Postgres => numbered(&text),
    }
}

/// `?` → `$1`, `$2`, ... (our statements have no `?` in literals).
fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for ch in text.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

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
                    if let Err(e) = self.execute(Q::HostAddOpt4, sql::option_values(o, key())) {
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
                    .map(|o| (Q::HostAddOpt6, sql::option_values(o, key())));
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
            statement(Q::Get6, Dialect::Postgres),
            format!(
                "SELECT {} FROM lease6 WHERE address = $1 AND lease_type = $2",
                COLS6.replace("expire", "extract(epoch from expire)::bigint")
            )
        );
        assert_eq!(
            statement(Q::Delete4, Dialect::MySql),
            "DELETE FROM lease4 WHERE address = ?"
        );
    }

    #[test]
    fn parameters_match_placeholders() {
        let l4 = crate::conformance::lease4(1);
        let l6 = crate::conformance::lease6(1);
        let cases: [(Q, usize); 6] = [
            (Q::Add4, values4(&l4).len()),
            (Q::Update4, update4_params(&l4).len()),
            (Q::Update4If, update4_if_params(&l4, &l4).len()),
            (Q::Add6, values6(&l6).len()),
            (Q::Update6, update6_params(&l6).len()),
            (Q::Update6If, update6_if_params(&l6, &l6).len()),
        ];
        for (q, n) in cases {
            let text = statement(q, Dialect::MySql);
            assert_eq!(text.matches('?').count(), n, "{q:?}: {text}");
            assert!(statement(q, Dialect::Postgres).contains(&format!("${n}")));
        }
        // The key goes last, in the WHERE clause's order.
        let p = update6_params(&l6);
        assert_eq!(p[p.len() - 2..], [addr6(l6.address), type6(l6.lease_type)]);
        assert!(
            statement(Q::Update6, Dialect::MySql).ends_with("WHERE address = ? AND lease_type = ?")
        );
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
    }

    #[test]
    fn host_rows_round_trip() {
        let mut h = Host4::new(IdType::HwAddress, vec![1, 2, 3, 4, 5, 6], 7);
        h.host_id = 9;
        h.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 9));
        h.hostname = "pc".into();
        h.option_data = r#"[{"code": 6, "data": "c0000201"}]"#.into();
        // The row read: the host's columns, then its options' list.
        let mut row = vec![Col::Int(9)];
        row.extend(host_values(&h).into_iter().take(8));
        row.push(Col::Text(h.option_data.clone()));
        assert_eq!(host4_of(&Fake(row.clone())), Ok(h.clone()));
        assert_eq!(
            option_rows(&h.option_data),
            Ok(vec![(6, vec![0xc0, 0, 2, 1], false)])
        );
        assert_eq!(
            option_rows(r#"[{"code": 7, "data": "01:0a", "always-send": true}]"#),
            Ok(vec![(7, vec![1, 10], true)])
        );
        assert!(option_rows(r#"[{"code": 7, "data": "0g"}]"#).is_err());
        row[2] = Col::Int(9);
        assert_eq!(
            host4_of(&Fake(row)),
            Err("dhcp_identifier_type 9 is unknown".into())
        );
        let text = statement(Q::HostGet4, Dialect::MySql);
        assert_eq!(text.matches('?').count(), host_get_params(1, &[]).len());
        let add = statement(Q::HostAdd4, Dialect::Postgres);
        assert!(add.contains(&format!(
            "${}",
            host_values(&Host4::new(IdType::Duid, vec![1], 1)).len()
        )));
        assert!(!add.contains("host_id"));
        assert!(add.contains("$1::bytea"));
        assert_eq!(
            statement(Q::HostAddOpt4, Dialect::MySql)
                .matches('?')
                .count(),
            option_values(&(1, vec![1], false), host_key(1, IdType::Duid, &[1])).len()
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
                statement(q, Dialect::MySql).matches('?').count(),
                n,
                "{q:?}"
            );
        }
        assert_eq!(res6_of(&h), vec![Res6::Address(a)]);
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
