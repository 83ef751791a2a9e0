//! The file model of the `DhcpDdns` section: Kea's `kea-dhcp-ddns` (D2)
//! configuration, key for key — where ruru's built-in DNS updater
//! listens for name-change requests, which DNS servers it updates for
//! which domains, and the TSIG keys it signs with.
//!
//! As elsewhere in the file model, unknown keys are refused and Kea keys
//! ruru does not implement (`hooks-libraries`, a DNS server's `hostname`)
//! are kept as raw values that validation refuses with "not supported
//! yet".

use serde::Deserialize;
use serde_json::Value;

use super::{object, objects, ControlSocket, Logger};

/// The `DhcpDdns` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DhcpDdns {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data, ignored by ruru.
    pub user_context: Option<Value>,
    /// Address the name-change request listener binds (UDP). Default
    /// `127.0.0.1`; the unspecified addresses (`0.0.0.0`, `::`) are refused
    /// as Kea refuses them.
    pub ip_address: Option<String>,
    /// Port of the name-change request listener. Default 53001.
    pub port: Option<u16>,
    /// Milliseconds to wait for a DNS server's answer before trying the
    /// next server of the domain. Default 500; must be positive.
    pub dns_server_timeout: Option<u32>,
    /// Transport of name-change requests: `"UDP"` (default). `"TCP"` is
    /// refused as "not supported yet", as Kea does.
    pub ncr_protocol: Option<String>,
    /// Format of name-change requests: `"JSON"` (default, the only one).
    pub ncr_format: Option<String>,
    /// The forward zones ruru updates (A, AAAA and DHCID records).
    #[serde(default, deserialize_with = "object")]
    pub forward_ddns: Option<DdnsDomains>,
    /// The reverse zones ruru updates (PTR and DHCID records).
    #[serde(default, deserialize_with = "object")]
    pub reverse_ddns: Option<DdnsDomains>,
    /// TSIG keys that domains and servers refer to by `key-name`.
    #[serde(default, deserialize_with = "objects")]
    pub tsig_keys: Option<Vec<TsigKey>>,
    /// D2's control channel (Kea 2.2: one UNIX socket): opened by ruru as
    /// another control socket of the process, answering the same
    /// commands. May not be combined with `control-sockets`.
    #[serde(default, deserialize_with = "object")]
    pub control_socket: Option<ControlSocket>,
    /// Kea 3.0's list of D2 control channels (UNIX, HTTP, HTTPS).
    #[serde(default, deserialize_with = "objects")]
    pub control_sockets: Option<Vec<ControlSocket>>,
    /// Kea's D2 hook libraries (e.g. GSS-TSIG): not supported yet; an
    /// empty list is accepted.
    pub hooks_libraries: Option<Value>,
    /// Loggers, as in `Dhcp4` (default name `kea-dhcp-ddns`). Accepted and
    /// validated; ruru logs with the DHCP section's loggers.
    #[serde(default, deserialize_with = "objects")]
    pub loggers: Option<Vec<Logger>>,
}

/// `forward-ddns` / `reverse-ddns`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DdnsDomains {
    /// The zones. A name is updated in the zone whose name is its
    /// longest matching suffix.
    #[serde(default, deserialize_with = "objects")]
    pub ddns_domains: Option<Vec<DdnsDomain>>,
}

/// One `ddns-domains` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DdnsDomain {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data, ignored by ruru.
    pub user_context: Option<Value>,
    /// The zone name, e.g. `"example.org."` or `"2.0.192.in-addr.arpa."`
    /// (the trailing dot is optional). Required; unique in its list.
    pub name: Option<String>,
    /// TSIG key (a `tsig-keys` name) for updates of this zone. Default
    /// none (unsigned); `""` is none.
    pub key_name: Option<String>,
    /// The zone's primary servers, tried in this order. Required, at
    /// least one.
    #[serde(default, deserialize_with = "objects")]
    pub dns_servers: Option<Vec<DnsServer>>,
}

/// One `dns-servers` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DnsServer {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data, ignored by ruru.
    pub user_context: Option<Value>,
    /// The server's address. Required.
    pub ip_address: Option<String>,
    /// The server's port. Default 53.
    pub port: Option<u16>,
    /// TSIG key for this server, overriding the domain's `key-name`
    /// (Kea 2.2). `""` is none.
    pub key_name: Option<String>,
    /// Kea's `hostname`: not supported (by Kea either).
    pub hostname: Option<Value>,
}

/// One `tsig-keys` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TsigKey {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data, ignored by ruru.
    pub user_context: Option<Value>,
    /// The key's name, as the DNS server knows it (e.g. `"d2.key"`).
    /// Required; unique.
    pub name: Option<String>,
    /// `HMAC-MD5`, `HMAC-SHA1`, `HMAC-SHA224`, `HMAC-SHA256`,
    /// `HMAC-SHA384` or `HMAC-SHA512` (any case). Required.
    pub algorithm: Option<String>,
    /// Truncate the MAC to this many bits (RFC 4635 §3.1). Default 0 (no
    /// truncation); otherwise a multiple of 8, at least 80 and at least
    /// half the digest's length.
    pub digest_bits: Option<u32>,
    /// The shared secret, base64. One of `secret` and `secret-file`.
    pub secret: Option<String>,
    /// A file holding the secret, base64 (Kea 2.6+): read when the
    /// configuration is loaded.
    pub secret_file: Option<String>,
}
