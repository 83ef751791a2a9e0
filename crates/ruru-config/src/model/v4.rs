//! The validated runtime model: what the engine and server use.
//!
//! Every value here has been checked and every inherited parameter (global →
//! subnet) has been resolved, so the engine never sees a half-checked value or
//! has to know Kea's inheritance rules. Built from the file model by
//! [`crate::validate`].

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// A whole configuration file, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from (SIGHUP and `config-reload` read it
    /// again); with several files ([`crate::load_files`]), the first.
    pub source: PathBuf,
    /// Each section present (`Dhcp4`, `Dhcp6`) and the file it came from.
    pub sections: Vec<(String, PathBuf)>,
    /// The `Dhcp4` section, when present.
    pub dhcp4: Option<Dhcp4>,
    /// The `Dhcp6` section, when present. A file may have either section
    /// or both; one with neither is valid here (the server decides).
    pub dhcp6: Option<crate::model6::Dhcp6>,
    /// The file as JSON after comments and includes were resolved (what
    /// `config-get` returns and `config-write` writes).
    pub raw: serde_json::Value,
}

/// The validated `Dhcp4` section.
#[derive(Debug, Clone)]
pub struct Dhcp4 {
    pub interfaces: InterfacesConfig,
    pub lease_database: LeaseDatabase,
    /// `hosts-database` / `hosts-databases`, in lookup order (after the
    /// configuration's reservations). Each is `Postgresql` or `Mysql`,
    /// never `Memfile`.
    pub hosts_databases: Vec<LeaseDbKind>,
    /// Subnets in configuration order (subnet selection takes the first match).
    pub subnets: Vec<Subnet4>,
    /// Global `option-data`, already encoded.
    pub options: Vec<OptionData>,
    pub decline_probation_period: u32,
    pub expired_leases: ExpiredLeasesProcessing,
    pub loggers: Vec<Logger>,
    /// Kea's `echo-client-id` (RFC 6842), default true.
    pub echo_client_id: bool,
    /// Kea's `host-reservation-identifiers`, in lookup order.
    pub host_reservation_identifiers: Vec<HostIdType>,
    /// Kea's `multi-threading`.
    pub multi_threading: MultiThreading,
    /// Control channels (`control-socket` / `control-sockets`), in file order.
    pub control_sockets: Vec<ControlSocket>,
    /// Hook libraries, in `hooks-libraries` order.
    pub hooks_libraries: Vec<HookLibrary>,
    /// Kea's `parked-packet-limit` (0: no limit; default 256).
    pub parked_packet_limit: u32,
}

/// One hook library to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookLibrary {
    /// `library`, as written (absolute, or relative to the working directory
    /// as with Kea).
    pub path: PathBuf,
    /// `parameters` as JSON text (`{}` when absent), handed to the
    /// library's `ruru_hook_load`.
    pub parameters_json: String,
    /// One of Kea's command libraries ([`crate::BUILTIN_HOOK_LIBRARIES`]):
    /// ruru has their commands built in and loads nothing.
    pub builtin: bool,
}

/// One control channel, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlSocket {
    /// A UNIX stream socket at this path (created with mode 0600).
    Unix { path: PathBuf },
    /// HTTP (or HTTPS when `tls` is set).
    Http(HttpControl),
}

/// An HTTP/HTTPS control channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpControl {
    /// `socket-address` (default 127.0.0.1) and `socket-port` (default 8000).
    pub addr: std::net::SocketAddr,
    /// TLS, when `trust-anchor`, `cert-file` and `key-file` are set.
    pub tls: Option<TlsFiles>,
    /// HTTP basic authentication, when `authentication` is set.
    pub auth: Option<BasicAuth>,
}

/// TLS settings of an HTTPS control channel (files are read when the
/// listener starts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA certificate(s), PEM: client certificates must chain to one of them.
    pub trust_anchor: PathBuf,
    /// Server certificate chain, PEM.
    pub cert_file: PathBuf,
    /// Server private key, PEM.
    pub key_file: PathBuf,
    /// `cert-required` (default true): refuse clients without a certificate.
    pub cert_required: bool,
}

/// `authentication` with `"type": "basic"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// `realm` (default empty), sent in `WWW-Authenticate`.
    pub realm: String,
    /// Accepted users; an empty list refuses every request.
    pub clients: Vec<AuthClient>,
}

/// One accepted user. File names are already joined with `directory`;
/// files are read when the listener starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthClient {
    /// User and password, each given inline or in a file.
    Split { user: Secret, password: Secret },
    /// `password-file` alone: the file holds `user:password`.
    CombinedFile(PathBuf),
}

/// A credential given inline or as a file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Inline(String),
    File(PathBuf),
}

/// `multi-threading`, with Kea 2.2's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiThreading {
    /// `enable-multi-threading` (Kea 2.2 default false).
    pub enabled: bool,
    /// `thread-pool-size`: worker threads, 0 = one per CPU (default 0).
    pub thread_pool_size: u32,
    /// `packet-queue-size`: packets queued per thread before dropping,
    /// 0 = unlimited (default 64).
    pub packet_queue_size: u32,
}

impl Default for MultiThreading {
    fn default() -> Self {
        MultiThreading {
            enabled: false,
            thread_pool_size: 0,
            packet_queue_size: 64,
        }
    }
}

/// `interfaces-config`.
#[derive(Debug, Clone)]
pub struct InterfacesConfig {
    /// Interface names as written: `"eth0"`, `"eth0/192.0.2.1"`, `"*"`.
    pub interfaces: Vec<String>,
    pub socket_type: SocketType,
    /// `service-sockets-require-all`: fail start-up unless every socket opens.
    pub require_all: bool,
    /// `service-sockets-max-retries`: retries for sockets that failed to open.
    pub max_retries: u32,
    /// `service-sockets-retry-wait-time`, milliseconds.
    pub retry_wait_ms: u32,
}

/// `dhcp-socket-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketType {
    Raw,
    Udp,
}

/// `lease-database`.
#[derive(Debug, Clone)]
pub struct LeaseDatabase {
    /// memfile, or a SQL database with its parameters.
    pub kind: LeaseDbKind,
    /// memfile: the CSV file; Kea's default name when not given.
    pub name: PathBuf,
    pub persist: bool,
    /// Seconds between compactions; 0 disables them.
    pub lfc_interval: u32,
}

/// Where leases are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseDbKind {
    /// In memory + a Kea CSV file (`name`, `persist`, `lfc_interval`).
    Memfile,
    /// PostgreSQL (`type` `"postgresql"`).
    Postgresql(SqlDatabase),
    /// MySQL or MariaDB (`type` `"mysql"`).
    Mysql(SqlDatabase),
}

/// A SQL `lease-database`'s parameters (Kea's names and defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlDatabase {
    /// The database name (`name`).
    pub name: String,
    /// Default `localhost`.
    pub host: String,
    /// `None`: the backend's default port.
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Seconds (Kea default 5).
    pub connect_timeout: u32,
    /// Reconnection attempts after the database is lost before `on_fail`
    /// applies (Kea default 0: at once).
    pub max_reconnect_tries: u32,
    /// Milliseconds between those attempts (Kea default 0).
    pub reconnect_wait_time: u32,
    pub on_fail: OnFail,
    /// Kea default false.
    pub retry_on_startup: bool,
    /// TLS to the database (`trust-anchor`, `cert-file`, `key-file`); `None`:
    /// a plain connection.
    pub tls: Option<DbTls>,
}

/// TLS to a SQL database: Kea's `trust-anchor`, `cert-file` and `key-file`
/// of a `lease-database` or `hosts-database`. Only the paths: the files are
/// read when the database is opened (`ruru_lease_sql::sql::DbTls`), so a
/// missing or unreadable one is reported then, naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbTls {
    /// The CA certificates (a PEM file, or a directory of PEM files) the
    /// server's certificate must chain to.
    pub trust_anchor: PathBuf,
    /// The client certificate chain and its key (PEM), for a server that
    /// asks for a client certificate; both or neither.
    pub client: Option<(PathBuf, PathBuf)>,
}

/// Kea's `on-fail`: what the server does while the lease database is lost
/// and when the reconnection attempts run out (see `ruru_server::db::watch`
/// and docs/src/databases.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFail {
    /// `stop-retry-exit` (Kea's default): stop serving, retry, exit if
    /// retries run out.
    StopRetryExit,
    /// `serve-retry-exit`: keep serving, retry, exit if retries run out.
    ServeRetryExit,
    /// `serve-retry-continue`: keep serving and retrying.
    ServeRetryContinue,
}

/// `expired-leases-processing`, with Kea's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiredLeasesProcessing {
    /// Seconds between reclamation cycles (Kea default 10).
    pub reclaim_timer_wait_time: u32,
    /// Seconds between removals of reclaimed leases (Kea default 25; 0 = never).
    pub flush_reclaimed_timer_wait_time: u32,
    /// How long reclaimed leases are kept, seconds (Kea default 3600; 0 = forever).
    pub hold_reclaimed_time: u32,
    /// Leases reclaimed per cycle, 0 = no limit (Kea default 100).
    pub max_reclaim_leases: u32,
    /// Milliseconds one cycle may take, 0 = no limit (Kea default 250).
    pub max_reclaim_time: u32,
    /// Cycles with leases left over before a warning (Kea default 5).
    pub unwarned_reclaim_cycles: u32,
}

impl Default for ExpiredLeasesProcessing {
    fn default() -> Self {
        ExpiredLeasesProcessing {
            reclaim_timer_wait_time: 10,
            flush_reclaimed_timer_wait_time: 25,
            hold_reclaimed_time: 3600,
            max_reclaim_leases: 100,
            max_reclaim_time: 250,
            unwarned_reclaim_cycles: 5,
        }
    }
}

/// One `loggers` entry.
#[derive(Debug, Clone)]
pub struct Logger {
    /// Kea logger name, e.g. `kea-dhcp4` or `kea-dhcp4.leases`.
    pub name: String,
    pub outputs: Vec<LogOutput>,
    pub severity: Severity,
    /// 0..=99, only meaningful with `Severity::Debug`.
    pub debuglevel: u8,
}

/// Where a logger writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutput {
    Stdout,
    Stderr,
    /// Kea also accepts `syslog`; refused for now.
    File(PathBuf),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
    None,
}

/// A valid-lifetime triple (`valid-lifetime`, `min-…`, `max-…`), seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub default: u32,
    pub min: u32,
    pub max: u32,
}

impl Lifetime {
    /// Kea's rule: a client hint is clamped to [min, max]; no hint gives the default.
    pub fn choose(&self, hint: Option<u32>) -> u32 {
        match hint {
            None | Some(0) => self.default,
            Some(h) => h.clamp(self.min, self.max),
        }
    }
}

/// One subnet, with every inherited parameter resolved.
#[derive(Debug, Clone)]
pub struct Subnet4 {
    pub id: u32,
    /// Network address (host bits zero).
    pub addr: Ipv4Addr,
    pub prefix_len: u8,
    pub pools: Vec<Pool4>,
    /// Subnet-level `option-data` (encoded).
    pub options: Vec<OptionData>,
    pub reservations: Reservations4,
    /// `relay.ip-addresses`.
    pub relay_addresses: Vec<Ipv4Addr>,
    /// `interface`: directly connected clients on this interface use this subnet.
    pub interface: Option<String>,
    pub valid_lifetime: Lifetime,
    /// `renew-timer` (T1) when configured.
    pub renew_timer: Option<u32>,
    /// `rebind-timer` (T2) when configured.
    pub rebind_timer: Option<u32>,
    pub calculate_tee_times: bool,
    pub t1_percent: f64,
    pub t2_percent: f64,
    pub authoritative: bool,
    pub match_client_id: bool,
    pub next_server: Ipv4Addr,
    pub server_hostname: String,
    pub boot_file_name: String,
}

impl Subnet4 {
    /// Whether `a` is inside this subnet's prefix.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let mask = if self.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix_len))
        };
        (u32::from(a) & mask) == u32::from(self.addr)
    }

    /// The pool holding `a`, if any.
    pub fn pool_of(&self, a: Ipv4Addr) -> Option<&Pool4> {
        self.pools.iter().find(|p| p.contains(a))
    }

    /// Number of addresses in all pools (Kea's `total-addresses`).
    pub fn total_addresses(&self) -> u64 {
        self.pools.iter().map(Pool4::size).sum()
    }
}

/// An address pool: `start` ..= `end`.
#[derive(Debug, Clone)]
pub struct Pool4 {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    /// Pool-level `option-data` (encoded).
    pub options: Vec<OptionData>,
}

impl Pool4 {
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        a >= self.start && a <= self.end
    }
    pub fn size(&self) -> u64 {
        u64::from(u32::from(self.end)) - u64::from(u32::from(self.start)) + 1
    }
}

/// One `option-data` entry, validated and encoded to its wire bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionData {
    pub code: u8,
    /// The option payload (without code and length octets).
    pub data: Vec<u8>,
    /// Kea's `always-send`: include even when not in the parameter request list.
    pub always_send: bool,
}

/// Host identifier types usable in DHCPv4 reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostIdType {
    HwAddress,
    Duid,
    CircuitId,
    ClientId,
    Flex,
}

/// A reservation's identifier, as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostId {
    /// Hardware address (without the htype).
    HwAddress(Vec<u8>),
    /// Client identifier, option 61 payload exactly as the client sends it.
    ClientId(Vec<u8>),
    /// Relay agent circuit-id (option 82 sub-option 1) payload.
    CircuitId(Vec<u8>),
    /// Kea's flexible identifier: the bytes a `host4_identifier` callout
    /// computes for the packet.
    Flex(Vec<u8>),
}

/// One host reservation.
#[derive(Debug, Clone)]
pub struct Reservation4 {
    pub id: HostId,
    pub ip_address: Option<Ipv4Addr>,
    pub hostname: Option<String>,
    pub options: Vec<OptionData>,
    pub next_server: Option<Ipv4Addr>,
    pub server_hostname: Option<String>,
    pub boot_file_name: Option<String>,
}

/// A subnet's reservations with lookup indexes.
#[derive(Debug, Clone, Default)]
pub struct Reservations4 {
    pub hosts: Vec<Reservation4>,
    /// identifier → index into `hosts`.
    pub by_id: HashMap<HostId, usize>,
    /// reserved address → index into `hosts`.
    pub by_addr: HashMap<Ipv4Addr, usize>,
}

impl Reservations4 {
    /// Builds the indexes. Duplicates are rejected earlier by validation.
    pub fn new(hosts: Vec<Reservation4>) -> Self {
        let mut by_id = HashMap::with_capacity(hosts.len());
        let mut by_addr = HashMap::with_capacity(hosts.len());
        for (i, h) in hosts.iter().enumerate() {
            by_id.insert(h.id.clone(), i);
            if let Some(a) = h.ip_address {
                by_addr.insert(a, i);
            }
        }
        Reservations4 {
            hosts,
            by_id,
            by_addr,
        }
    }

    pub fn get(&self, id: &HostId) -> Option<&Reservation4> {
        self.by_id.get(id).map(|&i| &self.hosts[i])
    }

    pub fn by_address(&self, a: Ipv4Addr) -> Option<&Reservation4> {
        self.by_addr.get(&a).map(|&i| &self.hosts[i])
    }
}
