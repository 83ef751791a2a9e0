//! The running ruru process.
//!
//! Modules:
//! - [`control`]: the control API (Kea's commands over UNIX socket / HTTP).
//! - [`d2`]: the built-in DNS updater (`DhcpDdns`) in the process.
//! - [`logging`]: Kea `loggers` → a tracing subscriber.
//! - [`state`]: the process: what both families share (the configuration
//!   snapshot, hook libraries, control channels) and reload itself.
//! - [`service`]: one family's service, written once (lease store,
//!   statistics, sockets, workers, `dhcp-disable`, reclamation, lease-file
//!   compaction, the engine swap on reload), instantiated as [`v4`] and
//!   [`v6`].
//! - [`sockets`]: opening a family's interfaces, with Kea's retry rules.
//! - [`v4`], [`v6`]: what the families differ in (sockets, engine, section).
//! - [`db`]: opening the lease store `lease-database` names (memfile,
//!   PostgreSQL, MySQL) for each family, Kea's `on-fail` when a SQL
//!   database is lost, and the schema operations of `ruru db`.
//! - [`ddns`]: each family's queue of name-change requests to the DNS
//!   updater and the task that sends them.
//! - [`duid`]: the persisted DHCPv6 server DUID.
//! - [`workers`]: packet threads of either family: receive, run the
//!   engine, send.
//! - [`switch`]: `dhcp-disable` / `dhcp-enable` of one family.
//! - [`timers`]: background jobs: lease reclamation, flushing of reclaimed
//!   leases, lease-file compaction.
//! - [`serve`]: start-up, signals (SIGHUP reload, SIGTERM/SIGINT stop) and the
//!   shutdown sequence.
//! - [`hooks`]: hook libraries (C ABI v1): loading, the callback table, the
//!   dispatcher the engine calls, hook statistics. The only module allowed
//!   `unsafe` (the crate denies it everywhere else).

#![deny(unsafe_code)]

pub mod control;
pub mod d2;
pub mod db;
pub mod ddns;
pub mod dhcp4o6;
pub mod duid;
pub mod ha;
pub mod hooks;
pub mod lease_tools;
pub mod logging;
pub mod ping;
pub mod sanity;
pub mod serve;
pub mod service;
pub mod sockets;
pub mod state;
pub mod switch;
pub mod timers;
pub mod v4;
pub mod v6;
pub mod workers;

pub use serve::{serve, ServeOptions};

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    #[error("{0}")]
    Config(#[from] ruru_config::ConfigError),
    #[error("configuration has no Dhcp4, Dhcp6 or DhcpDdns section")]
    NoService,
    /// A lease store error; its own text says which store (lease file,
    /// lease database) it is about.
    #[error(transparent)]
    Lease(#[from] ruru_lease::LeaseError),
    /// The SQL lease database's schema is missing or not current; the
    /// message names the `ruru db` command that fixes it.
    #[error("{0}")]
    Schema(String),
    /// A hosts database (`hosts-database(s)`) could not be opened.
    #[error("hosts database: {0}")]
    HostsDatabase(String),
    #[error("{0}")]
    Net(#[from] ruru_net::NetError),
    /// No DHCP socket could be opened; each entry says which interface and
    /// why (`eth0: bind on eth0: Address in use (...)`).
    #[error("no socket could be opened: {}", .0.join("; "))]
    NoSockets(Vec<String>),
    #[error("reload refused: {0}")]
    Reload(String),
    #[error("{0}")]
    Hooks(#[from] hooks::HookError),
    #[error("logging: {0}")]
    Logging(String),
    /// A control channel could not be claimed or opened.
    #[error("{0}")]
    Control(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A SQL lease or hosts database was lost and could not be
    /// reconnected, and its `on-fail` says to exit.
    #[error("database lost: {0}")]
    DatabaseLost(String),
}

/// The randomness of one family's engines (the one place the server seeds
/// it; the engine never does): seeded once at start from std's random hash
/// keys, which come from the operating system, so that servers sharing a
/// lease database spread their pool searches differently. The seed is
/// logged at debug level: with it, a run's allocation order can be replayed.
pub fn engine_rng(family: &str) -> std::sync::Arc<ruru_engine::Rng> {
    use std::hash::{BuildHasher, Hasher};
    let seed = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    tracing::debug!(family, seed, "engine randomness seeded");
    std::sync::Arc::new(ruru_engine::Rng::new(seed))
}

/// Current time in Unix seconds (the one place the server reads the clock
/// for the engine).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Locks a mutex, recovering from poisoning (every table the server locks is changed by single inserts and removes,
/// so a panicked holder leaves it consistent).
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
