//! The `DhcpDdns` section, validated: what ruru's built-in DNS updater
//! (crate `ruru-d2`) needs — the name-change request listener's address,
//! the forward and reverse zones with their servers, and the TSIG keys
//! already decoded and attached to the servers that use them.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::common::Logger;

/// Kea's default listener port of `kea-dhcp-ddns`.
pub const DEFAULT_D2_PORT: u16 = 53001;
/// Kea's default `dns-server-timeout`, milliseconds.
pub const DEFAULT_DNS_SERVER_TIMEOUT_MS: u32 = 500;

/// The `DhcpDdns` section.
#[derive(Debug, Clone)]
pub struct D2Config {
    /// Where name-change requests are received (UDP, Kea's JSON format).
    pub listen: SocketAddr,
    /// How long to wait for one DNS server's answer.
    pub dns_server_timeout: Duration,
    /// Forward zones, longest name first.
    pub forward: Vec<DdnsDomain>,
    /// Reverse zones (`in-addr.arpa.` / `ip6.arpa.`), longest name first.
    pub reverse: Vec<DdnsDomain>,
    /// All keys of `tsig-keys`, in file order.
    pub keys: Vec<TsigKey>,
    /// The section's loggers (validated; not used by the updater).
    pub loggers: Vec<Logger>,
    /// D2's control sockets: more sockets of the process's control API.
    pub control_sockets: Vec<super::ControlSocket>,
}

/// One zone ruru updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DdnsDomain {
    /// Lower-case, with its trailing dot, e.g. `example.org.`.
    pub name: String,
    /// The zone's servers, in the order they are tried.
    pub servers: Vec<DnsServer>,
}

/// One DNS server of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsServer {
    pub addr: SocketAddr,
    /// The key updates to this server are signed with: the server's
    /// `key-name`, else the domain's; `None` sends them unsigned.
    pub key: Option<TsigKey>,
}

/// A TSIG key (RFC 8945).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsigKey {
    /// Lower-case, with its trailing dot (as it goes on the wire).
    pub name: String,
    /// The name as written in the configuration (what `key-name` refers to).
    pub config_name: String,
    pub algorithm: TsigAlgorithm,
    /// Truncate MACs to this many bits; 0: the whole digest.
    pub digest_bits: u32,
    /// The decoded secret.
    pub secret: Vec<u8>,
}

/// The HMAC algorithms of TSIG that Kea's D2 supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TsigAlgorithm {
    HmacMd5,
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl TsigAlgorithm {
    /// Parses Kea's spelling (`HMAC-SHA256`, any case).
    pub fn parse(s: &str) -> Option<TsigAlgorithm> {
        Some(match s.to_ascii_uppercase().as_str() {
            "HMAC-MD5" => TsigAlgorithm::HmacMd5,
            "HMAC-SHA1" => TsigAlgorithm::HmacSha1,
            "HMAC-SHA224" => TsigAlgorithm::HmacSha224,
            "HMAC-SHA256" => TsigAlgorithm::HmacSha256,
            "HMAC-SHA384" => TsigAlgorithm::HmacSha384,
            "HMAC-SHA512" => TsigAlgorithm::HmacSha512,
            _ => return None,
        })
    }

    /// The algorithm's name in TSIG records (RFC 8945 §6).
    pub fn wire_name(self) -> &'static str {
        match self {
            TsigAlgorithm::HmacMd5 => "hmac-md5.sig-alg.reg.int.",
            TsigAlgorithm::HmacSha1 => "hmac-sha1.",
            TsigAlgorithm::HmacSha224 => "hmac-sha224.",
            TsigAlgorithm::HmacSha256 => "hmac-sha256.",
            TsigAlgorithm::HmacSha384 => "hmac-sha384.",
            TsigAlgorithm::HmacSha512 => "hmac-sha512.",
        }
    }

    /// Length of the full MAC, bits.
    pub fn digest_bits(self) -> u32 {
        match self {
            TsigAlgorithm::HmacMd5 => 128,
            TsigAlgorithm::HmacSha1 => 160,
            TsigAlgorithm::HmacSha224 => 224,
            TsigAlgorithm::HmacSha256 => 256,
            TsigAlgorithm::HmacSha384 => 384,
            TsigAlgorithm::HmacSha512 => 512,
        }
    }
}

impl D2Config {
    /// The zone of `list` whose name is the longest suffix of `name`
    /// (compared label by label, case-insensitively).
    pub fn longest_match<'a>(list: &'a [DdnsDomain], name: &str) -> Option<&'a DdnsDomain> {
        let n = name.to_ascii_lowercase();
        let n = if n.ends_with('.') { n } else { format!("{n}.") };
        list.iter()
            .filter(|d| d.name == "." || n == d.name || n.ends_with(&format!(".{}", d.name)))
            .max_by_key(|d| d.name.len())
    }

    /// The forward zone of `fqdn`.
    pub fn forward_domain(&self, fqdn: &str) -> Option<&DdnsDomain> {
        Self::longest_match(&self.forward, fqdn)
    }

    /// The reverse zone of `addr`'s reverse name.
    pub fn reverse_domain(&self, addr: IpAddr) -> Option<&DdnsDomain> {
        Self::longest_match(&self.reverse, &reverse_name(addr))
    }
}

/// The reverse-lookup name of an address (see [`ruru_ddns::name::reverse_name`]).
pub use ruru_ddns::name::reverse_name;
