//! Kea's High Availability library (`libdhcp_ha.so`), built in: the
//! validated `high-availability` relationship of one family's section.
//! The server's `ha` module runs it (state machine, lease updates,
//! synchronisation, load balancing).

use std::path::PathBuf;

/// Kea's HA `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaMode {
    /// `hot-standby`: the primary serves every client, the standby takes
    /// over when the primary fails.
    HotStandby,
    /// `load-balancing`: primary and secondary each serve the clients
    /// whose RFC 3074 hash falls in their scope.
    LoadBalancing,
    /// `passive-backup`: the primary serves, backups only receive leases.
    PassiveBackup,
}

impl HaMode {
    /// Kea's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HaMode::HotStandby => "hot-standby",
            HaMode::LoadBalancing => "load-balancing",
            HaMode::PassiveBackup => "passive-backup",
        }
    }
}

/// A peer's `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaRole {
    Primary,
    Secondary,
    Standby,
    Backup,
}

impl HaRole {
    /// Kea's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HaRole::Primary => "primary",
            HaRole::Secondary => "secondary",
            HaRole::Standby => "standby",
            HaRole::Backup => "backup",
        }
    }
}

/// Where a peer listens: `url` split into what an HTTP client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaUrl {
    /// As written (e.g. `http://192.0.2.1:8000/`).
    pub text: String,
    /// `https` rather than `http`.
    pub tls: bool,
    /// The host part (an IP address literal or a name; IPv6 without
    /// brackets).
    pub host: String,
    pub port: u16,
    /// The path (`/` when absent).
    pub path: String,
}

/// One `peers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HaPeer {
    pub name: String,
    pub url: HaUrl,
    pub role: HaRole,
    /// `auto-failover` (default true): whether this server takes over the
    /// partner's scope on its own when it detects the partner's failure.
    pub auto_failover: bool,
    /// `basic-auth-user` with `basic-auth-password` (inline) or
    /// `basic-auth-password-file` (read when HA starts, like the control
    /// sockets' credential files, not when the configuration is checked):
    /// credentials this server sends to the peer.
    pub basic_auth: Option<(String, super::Secret)>,
    /// Per-peer TLS files (`trust-anchor`, `cert-file`, `key-file`),
    /// falling back to the relationship's.
    pub tls: HaTls,
}

/// TLS files of a relationship or a peer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HaTls {
    pub trust_anchor: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

/// When the state machine pauses in a state (`state-machine.states[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaPause {
    Never,
    Once,
    Always,
}

/// Kea's HA `multi-threading` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HaMultiThreading {
    pub enabled: bool,
    /// `http-dedicated-listener`: the server listens on its own URL
    /// rather than relying on a Control Agent. ruru always answers its
    /// partner on its own URL (it has no separate agent), so this only
    /// records what was written.
    pub http_dedicated_listener: bool,
    pub http_listener_threads: u32,
    pub http_client_threads: u32,
}

/// One validated HA relationship (Kea 2.2: exactly one per family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ha {
    pub this_server_name: String,
    pub mode: HaMode,
    /// `heartbeat-delay` in milliseconds (default 10,000).
    pub heartbeat_delay_ms: u64,
    /// `max-response-delay` in milliseconds (default 60,000): without an
    /// answer from the partner this long, communication is interrupted.
    pub max_response_delay_ms: u64,
    /// `max-ack-delay` in milliseconds (default 10,000): a client whose
    /// `secs` / elapsed time exceeds it counts as unacknowledged.
    pub max_ack_delay_ms: u64,
    /// `max-unacked-clients` (default 10).
    pub max_unacked_clients: u32,
    /// `max-rejected-lease-updates` (Kea 2.4, default 10; 0: no limit).
    pub max_rejected_lease_updates: u32,
    /// `send-lease-updates` (default true).
    pub send_lease_updates: bool,
    /// `sync-leases` (default true).
    pub sync_leases: bool,
    /// `sync-timeout` in milliseconds (default 60,000).
    pub sync_timeout_ms: u64,
    /// `sync-page-limit` (default 10,000).
    pub sync_page_limit: u32,
    /// `delayed-updates-limit` (default 0).
    pub delayed_updates_limit: u32,
    /// `wait-backup-ack` (default false).
    pub wait_backup_ack: bool,
    /// `require-client-certs` (default true).
    pub require_client_certs: bool,
    /// `restrict-commands` (Kea 2.4, default false).
    pub restrict_commands: bool,
    /// The relationship's TLS files.
    pub tls: HaTls,
    /// `peers`, in configuration order.
    pub peers: Vec<HaPeer>,
    /// `state-machine.states`: pauses by state name.
    pub pauses: Vec<(String, HaPause)>,
    pub multi_threading: HaMultiThreading,
}

impl Ha {
    /// A relationship with Kea's defaults for everything but its server,
    /// mode and peers.
    pub fn new(this_server_name: String, mode: HaMode, peers: Vec<HaPeer>) -> Ha {
        Ha {
            this_server_name,
            mode,
            heartbeat_delay_ms: 10_000,
            max_response_delay_ms: 60_000,
            max_ack_delay_ms: 10_000,
            max_unacked_clients: 10,
            max_rejected_lease_updates: 10,
            send_lease_updates: true,
            sync_leases: true,
            sync_timeout_ms: 60_000,
            sync_page_limit: 10_000,
            delayed_updates_limit: 0,
            wait_backup_ack: false,
            require_client_certs: true,
            restrict_commands: false,
            tls: HaTls::default(),
            peers,
            pauses: Vec::new(),
            multi_threading: HaMultiThreading {
                enabled: false,
                http_dedicated_listener: false,
                http_listener_threads: 0,
                http_client_threads: 0,
            },
        }
    }

    /// This server's own `peers` entry.
    pub fn this_peer(&self) -> Option<&HaPeer> {
        self.peers.iter().find(|p| p.name == self.this_server_name)
    }

    /// This server's role.
    pub fn this_role(&self) -> HaRole {
        self.this_peer().map_or(HaRole::Backup, |p| p.role)
    }

    /// The partner that takes part in the state machine: the other
    /// primary/secondary/standby server (none for a backup server, or in
    /// passive-backup mode).
    pub fn partner(&self) -> Option<&HaPeer> {
        if self.mode == HaMode::PassiveBackup || self.this_role() == HaRole::Backup {
            return None;
        }
        self.peers
            .iter()
            .find(|p| p.name != self.this_server_name && p.role != HaRole::Backup)
    }

    /// The backup servers (other than this one).
    pub fn backups(&self) -> impl Iterator<Item = &HaPeer> {
        self.peers
            .iter()
            .filter(move |p| p.role == HaRole::Backup && p.name != self.this_server_name)
    }

    /// The pause configured for `state` (`never` by default).
    pub fn pause_in(&self, state: &str) -> HaPause {
        self.pauses
            .iter()
            .find(|(s, _)| s == state)
            .map_or(HaPause::Never, |(_, p)| *p)
    }
}

/// Which HA relationship a subnet belongs to (Kea 2.6's hub-and-spoke):
/// `ha-server-name` in the subnet's `user-context`, else in its shared
/// network's. Any peer name of a relationship selects it. Kea checks the
/// value only per packet (a subnet without a usable name is not an
/// error in the configuration), so neither does ruru: with several
/// relationships a query in such a subnet is dropped and logged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HaServerName {
    /// No `ha-server-name` in either context.
    #[default]
    None,
    Name(String),
    /// `ha-server-name` is there but not a non-empty string.
    Invalid,
}

impl HaServerName {
    /// From the subnet's and its shared network's `user-context`.
    pub fn of(subnet: Option<&serde_json::Value>, network: Option<&serde_json::Value>) -> Self {
        let one = |ctx: Option<&serde_json::Value>| match ctx.and_then(|c| c.get("ha-server-name"))
        {
            None => None,
            Some(serde_json::Value::String(s)) if !s.is_empty() => {
                Some(HaServerName::Name(s.clone()))
            }
            Some(_) => Some(HaServerName::Invalid),
        };
        one(subnet).or_else(|| one(network)).unwrap_or_default()
    }
}
