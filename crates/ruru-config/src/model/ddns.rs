//! The DHCP side of dynamic DNS, validated: Kea's `ddns-*` parameters of
//! one scope (section, shared network, subnet, pool) with inheritance
//! resolved, host name sanitising, and the `dhcp-ddns` connection.

use std::net::SocketAddr;
use std::sync::Arc;

pub use ruru_ddns::ConflictMode;

/// Kea's `ddns-replace-client-name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplaceName {
    /// Use the client's name; generate none (the default).
    #[default]
    Never,
    /// Replace the client's name; generate one when it sent none.
    Always,
    /// Replace the client's name; generate none when it sent none.
    WhenPresent,
    /// Use the client's name; generate one when it sent none.
    WhenNotPresent,
}

impl ReplaceName {
    /// Parses Kea's spelling.
    pub fn parse(s: &str) -> Option<ReplaceName> {
        Some(match s {
            "never" => ReplaceName::Never,
            "always" => ReplaceName::Always,
            "when-present" => ReplaceName::WhenPresent,
            "when-not-present" => ReplaceName::WhenNotPresent,
            _ => return None,
        })
    }

    /// Whether a name the client sent is replaced.
    pub fn replaces(self) -> bool {
        matches!(self, ReplaceName::Always | ReplaceName::WhenPresent)
    }

    /// Whether a name is generated for a client that sent none.
    pub fn generates(self) -> bool {
        matches!(self, ReplaceName::Always | ReplaceName::WhenNotPresent)
    }
}

/// Kea's `hostname-char-set` / `hostname-char-replacement`: every match
/// of the set in a host name (label by label) becomes the replacement.
#[derive(Debug, Clone)]
pub struct Sanitizer {
    pub set: regex::Regex,
    pub replacement: String,
}

impl Sanitizer {
    /// `s` with every match of the set replaced.
    pub fn scrub(&self, s: &str) -> String {
        self.set
            .replace_all(s, regex::NoExpand(&self.replacement))
            .into_owned()
    }
}

/// The `ddns-*` parameters in force in one scope.
#[derive(Debug, Clone)]
pub struct DdnsParams {
    /// The section's `dhcp-ddns.enable-updates`.
    pub client_enabled: bool,
    /// `ddns-send-updates` (default true).
    pub send_updates: bool,
    pub override_no_update: bool,
    pub override_client_update: bool,
    pub replace_client_name: ReplaceName,
    pub generated_prefix: String,
    pub qualifying_suffix: String,
    pub update_on_renew: bool,
    pub conflict_mode: ConflictMode,
    /// `ddns-ttl-percent` (a fraction), when given.
    pub ttl_percent: Option<f64>,
    /// `ddns-ttl`, `ddns-ttl-min`, `ddns-ttl-max`, when given.
    pub ttl: Option<u32>,
    pub ttl_min: Option<u32>,
    pub ttl_max: Option<u32>,
    /// `None` when `hostname-char-set` is empty.
    pub sanitizer: Option<Arc<Sanitizer>>,
}

impl DdnsParams {
    /// Whether clients of this scope get DNS updates (Kea's
    /// `DdnsParams::getEnableUpdates`): `enable-updates` and
    /// `ddns-send-updates` both true.
    pub fn enable_updates(&self) -> bool {
        self.client_enabled && self.send_updates
    }

    /// Kea's defaults, with `dhcp-ddns.enable-updates` on or off.
    pub fn defaults(client_enabled: bool) -> DdnsParams {
        DdnsParams {
            client_enabled,
            send_updates: true,
            override_no_update: false,
            override_client_update: false,
            replace_client_name: ReplaceName::Never,
            generated_prefix: "myhost".into(),
            qualifying_suffix: String::new(),
            update_on_renew: false,
            conflict_mode: ConflictMode::CheckWithDhcid,
            ttl_percent: None,
            ttl: None,
            ttl_min: None,
            ttl_max: None,
            sanitizer: regex::Regex::new(DEFAULT_CHAR_SET).ok().map(|set| {
                Arc::new(Sanitizer {
                    set,
                    replacement: String::new(),
                })
            }),
        }
    }

    /// The TTL of the DNS records of a lease of `lifetime` seconds, as
    /// Kea computes it: `ddns-ttl` when set; else `ddns-ttl-percent` of
    /// the lifetime, or a third of it but at least 600 s (RFC 4702 §5);
    /// then clamped to `ddns-ttl-min`/`-max`.
    pub fn ttl_for(&self, lifetime: u32) -> u32 {
        if let Some(t) = self.ttl {
            return t;
        }
        let t = match self.ttl_percent {
            Some(p) => ((f64::from(lifetime) * p) as u32).max(self.ttl_min.unwrap_or(0)),
            None => (lifetime / 3).max(self.ttl_min.unwrap_or(600)),
        };
        match self.ttl_max {
            Some(m) => t.min(m),
            None => t,
        }
    }
}

/// Kea's default `hostname-char-set`.
pub const DEFAULT_CHAR_SET: &str = "[^A-Za-z0-9.-]";

/// Kea's `dhcp-ddns`: where name-change requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdnsClient {
    pub enable_updates: bool,
    /// `server-ip`:`server-port` (default 127.0.0.1:53001).
    pub server: SocketAddr,
    /// `sender-ip`:`sender-port` (default any address, any port).
    pub sender: SocketAddr,
    /// `max-queue-size` (default 1024).
    pub max_queue_size: usize,
}

impl Default for DdnsClient {
    fn default() -> Self {
        DdnsClient {
            enable_updates: false,
            server: SocketAddr::from(([127, 0, 0, 1], 53001)),
            sender: SocketAddr::from(([0, 0, 0, 0], 0)),
            max_queue_size: 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rules() {
        let mut p = DdnsParams::defaults(true);
        assert_eq!(p.ttl_for(3600), 1200);
        assert_eq!(p.ttl_for(900), 600);
        p.ttl_percent = Some(0.5);
        assert_eq!(p.ttl_for(7200), 3600);
        p.ttl_max = Some(1000);
        assert_eq!(p.ttl_for(7200), 1000);
        p.ttl = Some(77);
        assert_eq!(p.ttl_for(7200), 77);
    }

    #[test]
    fn default_sanitizer_removes_invalid_characters() {
        let p = DdnsParams::defaults(true);
        let s = p.sanitizer.as_deref().map(|s| s.scrub("my_host!1"));
        assert_eq!(s.as_deref(), Some("myhost1"));
    }
}
