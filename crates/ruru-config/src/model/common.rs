//! The runtime model of what `Dhcp4` and `Dhcp6` share: interfaces, the
//! lease and hosts databases (SQL parameters and TLS), control sockets
//! (HTTP, TLS, basic authentication), hook libraries, loggers,
//! expired-leases processing, multi-threading, lifetime triplets and what
//! a subnet takes from its shared network.
//!
//! Both family modules (`v4`, `v6`) take these types from here; nothing
//! here refers to either family.

use std::path::PathBuf;

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
    /// `http-headers`: (name, value) added to every response.
    pub headers: Vec<(String, String)>,
    /// The only commands answered (`None`: all): the HA listener's with
    /// `restrict-commands`.
    pub commands: Option<&'static [&'static str]>,
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
    /// The section has a `multi-threading` object. Without one, ruru
    /// sizes its workers as Kea 2.6/3.0's default (multi-threading on,
    /// one thread per CPU) does; see [`MultiThreading::workers`].
    pub configured: bool,
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
            configured: false,
            enabled: false,
            thread_pool_size: 0,
            packet_queue_size: 64,
        }
    }
}

/// Kea's `dhcp-queue-control`: with `enable-queue`, and unless
/// multi-threading is enabled in the section (Kea then turns the queue
/// off), a receiver thread per socket puts packets in a ring of this
/// capacity that the socket's workers take them from; when the ring is
/// full, the oldest packet is dropped (Kea's `kea-ring4` / `kea-ring6`).
pub type QueueCapacity = Option<usize>;

impl MultiThreading {
    /// Packet workers per socket that this asks for: 1 with
    /// multi-threading disabled (Kea then handles one packet at a time),
    /// `thread-pool-size` with it enabled, `None` for the default count
    /// (`thread-pool-size` 0, Kea's "as many as CPUs", or no
    /// `multi-threading` object: Kea 2.6/3.0's default is enabled).
    pub fn workers(&self) -> Option<usize> {
        if !self.configured {
            return None;
        }
        if !self.enabled {
            return Some(1);
        }
        match self.thread_pool_size {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }
}

/// Kea's `statistic-default-sample-count` and
/// `statistic-default-sample-age`: how much history each statistic keeps.
/// As in Kea, a count of 0 means "by age"; the age is ignored otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatisticSamples {
    /// Samples kept per statistic (Kea's default 20); 0: by age.
    pub count: u32,
    /// Seconds of samples kept when `count` is 0 (Kea's default 0: the
    /// latest sample only).
    pub age: u32,
}

impl Default for StatisticSamples {
    fn default() -> Self {
        StatisticSamples { count: 20, age: 0 }
    }
}

/// Kea's `compatibility` flags (all false by default; `Dhcp6` has only
/// `lenient_option_parsing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compatibility {
    /// A vendor class option's (DHCPv4 124, DHCPv6 16) last length-value
    /// tuple may claim more bytes than its option has left: it is then
    /// the rest of the option. Without it, such a packet fails to parse
    /// and is dropped (`pkt4-parse-failed` / `pkt6-parse-failed`).
    pub lenient_option_parsing: bool,
    /// DHCPv4: accept a message whose Server Identifier names another
    /// server.
    pub ignore_dhcp_server_identifier: bool,
    /// DHCPv4: ignore the relay's Link Selection sub-option (82.5) when
    /// selecting the subnet.
    pub ignore_rai_link_selection: bool,
    /// DHCPv4: never pick x.x.x.0 or x.x.x.255 from the pools of a
    /// subnet of prefix length 24 or shorter.
    pub exclude_first_last_24: bool,
}

/// Kea's `sanity-checks.lease-checks`: what happens to a lease loaded from
/// the lease file whose subnet ID does not name a subnet holding its
/// address (DHCPv6: addresses only, not prefixes, as in Kea).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaseChecks {
    /// Loaded as it is.
    None,
    /// Loaded as it is, with a warning (Kea's default).
    #[default]
    Warn,
    /// Given the ID of the subnet holding its address; with none, loaded
    /// as it is with a warning.
    Fix,
    /// Given the ID of the subnet holding its address; with none, not
    /// loaded.
    FixDel,
    /// Not loaded.
    Del,
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
    /// `outbound-interface` `use-routing` (DHCPv4): with UDP sockets,
    /// replies to relayed queries leave by the interface the kernel's
    /// routing table chooses, not necessarily the one the query came in
    /// on. Default false (`same-as-inbound`).
    pub use_routing: bool,
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
    /// memfile: invalid rows one lease file may have before loading it
    /// fails (Kea's `max-row-errors`); 0, Kea's default: no limit.
    pub max_row_errors: u32,
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
    /// Hosts databases (Kea's `readonly`): never written (the reservation
    /// commands refuse to add or delete there). Default false.
    pub readonly: bool,
    /// PostgreSQL's `tcp-user-timeout`, seconds; 0 (default): the system's.
    pub tcp_user_timeout: u32,
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
    /// Kea's `cipher-list` (PostgreSQL): the TLS 1.2 suites to offer,
    /// IANA names in preference order (`None`: all).
    pub tls12_suites: Option<Vec<String>>,
    /// Kea's `key-password`: decrypts an encrypted PKCS#8 client key.
    pub key_password: Option<String>,
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
    /// Kea's `syslog` / `syslog:FACILITY`: each message to the local
    /// syslog socket with this facility number (local0 = 16 by default,
    /// as Kea).
    Syslog {
        facility: u8,
    },
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

/// Kea's `libdhcp_flex_id.so`, built in: the flexible identifier of host
/// reservations computed by an expression on the query.
#[derive(Debug, Clone)]
pub struct FlexId {
    /// `identifier-expression`, a string expression compiled for the
    /// section's family; `None` when absent or empty (Kea: no flex-id is
    /// computed, the library does nothing).
    pub expr: Option<std::sync::Arc<ruru_classify::Expr>>,
    /// `replace-client-id`: the flexible identifier replaces the client
    /// identifier (DHCPv4: 0 then the identifier; DHCPv6: the DUID 0, 0
    /// then the identifier) for the whole exchange, leases included; the
    /// reply carries the client's own. Default false.
    pub replace_client_id: bool,
}

/// What one `libdhcp_flex_option.so` entry does to the response.
#[derive(Debug, Clone)]
pub enum FlexAction {
    /// `add`: put the option (its value: the string's bytes) when the
    /// response has none and the value is not empty.
    Add(std::sync::Arc<ruru_classify::Expr>),
    /// `supersede`: replace (or add) the option when the value is not
    /// empty.
    Supersede(std::sync::Arc<ruru_classify::Expr>),
    /// `remove`: remove the option when the condition is true.
    Remove(std::sync::Arc<ruru_classify::Expr>),
}

/// One `options` entry of Kea's `libdhcp_flex_option.so`, built in.
#[derive(Debug, Clone)]
pub struct FlexOption {
    /// The option code (`code`, or the code of the standard option
    /// `name`), in the section's option space (`dhcp4` / `dhcp6`).
    pub code: u16,
    pub action: FlexAction,
    /// `client-class`: the entry acts only for queries in this class.
    pub client_class: Option<String>,
}

/// What a subnet in a shared network (Kea's `shared-networks`) keeps of
/// it besides the parameters it inherited (those are resolved into the
/// subnet): `O` is the family's encoded option. One value is shared (an
/// `Arc`) by the network's subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedNetwork<O> {
    /// `name`, unique among the section's networks.
    pub name: String,
    /// The network's `option-data`: below the subnet's, above the
    /// classes' (Kea 2.2's order: host, pool, subnet, shared network,
    /// class, global).
    pub options: Vec<O>,
    /// The network's `client-class` / `client-classes`: when not empty,
    /// only packets in one of these classes may use its subnets (on top
    /// of each subnet's own guard).
    pub client_classes: Vec<String>,
}

impl<O> SharedNetwork<O> {
    /// Whether a packet may use the network; `in_class` says whether it
    /// is in the class it is given.
    pub fn allows(&self, mut in_class: impl FnMut(&str) -> bool) -> bool {
        self.client_classes.is_empty() || self.client_classes.iter().any(|c| in_class(c))
    }
}

/// Which host reservations a subnet uses: Kea's `reservations-global`,
/// `reservations-in-subnet` and `reservations-out-of-pool` (or the
/// deprecated `reservation-mode`), resolved global → shared network →
/// subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostModes {
    /// Global reservations (`reservations` at section level, hosts
    /// database rows of subnet id 0) are looked up, after the subnet's (a
    /// subnet reservation wins, as in Kea 2.2).
    pub global: bool,
    /// The subnet's reservations are looked up, and addresses they reserve
    /// are kept from other clients.
    pub in_subnet: bool,
    /// Reservations are assumed out of the pools: a reservation's address
    /// inside a pool is not given to its client, and pool addresses are not
    /// checked against reservations (any client may get them).
    pub out_of_pool: bool,
}

impl Default for HostModes {
    /// Kea's defaults: subnet reservations only, in or out of the pools.
    fn default() -> Self {
        HostModes {
            global: false,
            in_subnet: true,
            out_of_pool: false,
        }
    }
}

/// Kea's lease caching of one scope (`cache-threshold`, `cache-max-age`),
/// each inherited global → shared network → subnet; `None` where no level
/// sets it. Off unless one of them is set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LeaseCache {
    pub threshold: Option<f64>,
    pub max_age: Option<u32>,
}

impl LeaseCache {
    /// This scope's values, each inherited from `above` when not set here.
    pub fn inherit(threshold: Option<f64>, max_age: Option<u32>, above: LeaseCache) -> Self {
        LeaseCache {
            threshold: threshold.or(above.threshold),
            max_age: max_age.or(above.max_age),
        }
    }

    /// [`LeaseCache::reusable`] of a stored lease that expires at
    /// `old_expire` (Unix seconds) after a lifetime of `old_valid`, at
    /// `now`: its age is the time since it was written.
    pub fn reusable_at(
        &self,
        now: u64,
        old_expire: u64,
        old_valid: u32,
        new_valid: u32,
    ) -> Option<u32> {
        let written = old_expire.checked_sub(u64::from(old_valid))?;
        self.reusable(now.checked_sub(written)?, old_valid, new_valid)
    }

    /// Kea's `setLeaseReusable`: the seconds left of a lease of lifetime
    /// `old_valid` that is `age` seconds old (since it was last written),
    /// when it may be given again without a write with the lifetime
    /// `new_valid` that a new write would give; `None` when it may not.
    /// An infinite lease (`u32::MAX`) is always reusable.
    pub fn reusable(&self, age: u64, old_valid: u32, new_valid: u32) -> Option<u32> {
        if old_valid == u32::MAX {
            return Some(u32::MAX);
        }
        if age >= u64::from(old_valid) {
            return None;
        }
        let mut limit = 0u64;
        if let Some(m) = self.max_age {
            if m == 0 || age > u64::from(m) {
                return None;
            }
            limit = u64::from(m);
        }
        if let Some(t) = self.threshold {
            if t <= 0.0 || t > 1.0 {
                return None;
            }
            // Truncated, as Kea's integer conversion.
            limit = (f64::from(new_valid) * t) as u64;
            if age > limit {
                return None;
            }
        }
        if limit == 0 {
            return None;
        }
        u32::try_from(u64::from(old_valid) - age).ok()
    }
}

#[cfg(test)]
mod lease_cache_tests {
    use super::LeaseCache;

    #[test]
    fn kea_s_reuse_rules() {
        let off = LeaseCache::default();
        assert_eq!(off.reusable(10, 2000, 2000), None, "off unless set");
        // The ARM's example: threshold .25, max age 600.
        let c = LeaseCache {
            threshold: Some(0.25),
            max_age: Some(600),
        };
        assert_eq!(c.reusable(499, 2000, 2000), Some(1501));
        assert_eq!(c.reusable(501, 2000, 2000), None, "a quarter of 2000");
        assert_eq!(c.reusable(601, 3000, 3000), None, "max age 600 first");
        assert_eq!(c.reusable(599, 3000, 3000), Some(2401));
        let t = LeaseCache {
            threshold: Some(0.5),
            max_age: None,
        };
        assert_eq!(t.reusable(3, 3600, 3600), Some(3597));
        assert_eq!(t.reusable(3600, 3600, 3600), None, "expired");
        assert_eq!(t.reusable(5, u32::MAX, 3600), Some(u32::MAX));
        for bad in [0.0, -1.0, 1.5] {
            let c = LeaseCache {
                threshold: Some(bad),
                max_age: None,
            };
            assert_eq!(c.reusable(1, 3600, 3600), None, "{bad} turns it off");
        }
        let zero = LeaseCache {
            threshold: Some(0.5),
            max_age: Some(0),
        };
        assert_eq!(zero.reusable(1, 3600, 3600), None, "max age 0 turns it off");
    }
}

/// Kea's `allocator` / `pd-allocator` (Kea 2.4+): how a free address or
/// prefix is picked from a subnet's pools.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Allocator {
    /// The next free one after the last one handed out (Kea's default).
    #[default]
    Iterative,
    /// A pseudo-random one: each pool is walked in an order of its own,
    /// every address once before any is offered again.
    Random,
    /// Kea's free lease queue: each pool's free addresses in a queue of
    /// random order (DHCPv4 addresses, DHCPv6 prefixes).
    Flq,
}
