//! The `DhcpDdns` section: listener address and port, NCR protocol and
//! format, forward and reverse zones (valid, unique names; reverse zones
//! under `in-addr.arpa.` or `ip6.arpa.`; at least one server each), TSIG
//! keys (algorithm, digest truncation, base64 secret inline or in a
//! file) and the `key-name` references to them. Kea keys ruru does not
//! implement (`control-socket`, `hooks-libraries`, a server's
//! `hostname`, `ncr-protocol` `TCP`) are "not supported yet".

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use base64::Engine as _;

use super::{Section, V};
use crate::{file, model};

const SECTION: Section = Section {
    name: "DhcpDdns",
    lease_file: "",
    logger: "kea-dhcp-ddns",
};

pub(super) fn dhcp_ddns(v: &mut V, d: file::DhcpDdns, source: &Path) -> model::D2Config {
    let p = "DhcpDdns";
    let ip = match d.ip_address.as_deref() {
        None => IpAddr::from([127, 0, 0, 1]),
        Some(s) => match s.parse::<IpAddr>() {
            Ok(a) if a.is_unspecified() => {
                v.err(
                    format!("{p}.ip-address"),
                    format!("{s} is not allowed: expected a specific address (the NCR listener may not listen on all addresses)"),
                );
                IpAddr::from([127, 0, 0, 1])
            }
            Ok(a) => a,
            Err(_) => {
                v.err(
                    format!("{p}.ip-address"),
                    format!("\"{s}\" is not an IP address: expected e.g. \"127.0.0.1\""),
                );
                IpAddr::from([127, 0, 0, 1])
            }
        },
    };
    let port = d.port.unwrap_or(model::DEFAULT_D2_PORT);
    if port == 0 {
        v.err(format!("{p}.port"), "0 is not a port: expected 1..=65535");
    }
    let timeout = d
        .dns_server_timeout
        .unwrap_or(model::DEFAULT_DNS_SERVER_TIMEOUT_MS);
    if timeout == 0 {
        v.err(
            format!("{p}.dns-server-timeout"),
            "0 is not a timeout: expected a positive number of milliseconds",
        );
    }
    match d.ncr_protocol.as_deref() {
        None => {}
        Some(s) if s.eq_ignore_ascii_case("UDP") => {}
        Some(s) if s.eq_ignore_ascii_case("TCP") => v.err(
            format!("{p}.ncr-protocol"),
            "not supported yet: DhcpDdns.ncr-protocol \"TCP\" (expected \"UDP\")",
        ),
        Some(s) => v.err(
            format!("{p}.ncr-protocol"),
            format!("\"{s}\" is not an NCR protocol: expected \"UDP\""),
        ),
    }
    match d.ncr_format.as_deref() {
        None => {}
        Some(s) if s.eq_ignore_ascii_case("JSON") => {}
        Some(s) => v.err(
            format!("{p}.ncr-format"),
            format!("\"{s}\" is not an NCR format: expected \"JSON\""),
        ),
    }
    let control_sockets = super::control::control_sockets(
        v,
        p,
        d.control_socket.as_ref(),
        d.control_sockets.as_deref(),
    );
    // An empty list (as Kea's templates have) loads nothing: accepted.
    if d.hooks_libraries
        .as_ref()
        .is_some_and(|h| h.as_array().is_none_or(|a| !a.is_empty()))
    {
        v.unsupported(format!("{p}.hooks-libraries"));
    }
    let loggers = super::common::loggers(v, &SECTION, d.loggers.as_deref());
    let keys = tsig_keys(v, p, d.tsig_keys.as_deref().unwrap_or_default(), source);
    let forward = domains(
        v,
        &format!("{p}.forward-ddns"),
        d.forward_ddns,
        &keys,
        false,
    );
    let reverse = domains(v, &format!("{p}.reverse-ddns"), d.reverse_ddns, &keys, true);
    model::D2Config {
        listen: SocketAddr::new(ip, port),
        dns_server_timeout: Duration::from_millis(u64::from(timeout)),
        forward,
        reverse,
        keys,
        loggers,
        control_sockets,
    }
}

/// A zone or key name: lower-case with its trailing dot, or an error.
fn dns_name(v: &mut V, path: &str, s: &str, what: &str) -> Option<String> {
    if s.is_empty() {
        v.err(path, format!("empty {what}: expected a domain name"));
        return None;
    }
    if s != "." && ruru_ddns::name::to_wire(s, true).is_none() {
        v.err(
            path,
            format!("\"{s}\" is not a valid {what}: expected dot-separated labels of 1 to 63 octets, 255 octets in all"),
        );
        return None;
    }
    let mut n = s.to_ascii_lowercase();
    if !n.ends_with('.') {
        n.push('.');
    }
    Some(n)
}

fn tsig_keys(v: &mut V, p: &str, list: &[file::TsigKey], source: &Path) -> Vec<model::TsigKey> {
    let mut out: Vec<model::TsigKey> = Vec::new();
    let mut seen = HashSet::new();
    for (i, k) in list.iter().enumerate() {
        let kp = format!("{p}.tsig-keys[{i}]");
        let Some(config_name) = k.name.as_deref() else {
            v.err(&kp, "missing required key `name`");
            continue;
        };
        let Some(name) = dns_name(v, &format!("{kp}.name"), config_name, "key name") else {
            continue;
        };
        if !seen.insert(name.clone()) {
            v.err(
                format!("{kp}.name"),
                format!("key \"{config_name}\" is defined twice: expected unique key names"),
            );
        }
        let algorithm = match k.algorithm.as_deref() {
            None => {
                v.err(&kp, "missing required key `algorithm`");
                continue;
            }
            Some(a) => match model::TsigAlgorithm::parse(a) {
                Some(a) => a,
                None => {
                    v.err(
                        format!("{kp}.algorithm"),
                        format!("\"{a}\" is not a TSIG algorithm: expected HMAC-MD5, HMAC-SHA1, HMAC-SHA224, HMAC-SHA256, HMAC-SHA384 or HMAC-SHA512"),
                    );
                    continue;
                }
            },
        };
        let digest_bits = k.digest_bits.unwrap_or(0);
        let full = algorithm.digest_bits();
        if digest_bits != 0
            && (digest_bits % 8 != 0
                || digest_bits < 80
                || digest_bits < full / 2
                || digest_bits > full)
        {
            v.err(
                format!("{kp}.digest-bits"),
                format!(
                    "{digest_bits} is not a valid truncation for {}: expected 0 or a multiple of 8 from {} to {full}",
                    k.algorithm.as_deref().unwrap_or_default(),
                    (full / 2).max(80)
                ),
            );
        }
        let text = match (&k.secret, &k.secret_file) {
            (Some(_), Some(_)) => {
                v.err(
                    format!("{kp}.secret-file"),
                    "`secret` and `secret-file` are both set: expected only one of them",
                );
                continue;
            }
            (None, None) => {
                v.err(&kp, "missing required key `secret` (or `secret-file`)");
                continue;
            }
            (Some(s), None) => (s.clone(), format!("{kp}.secret")),
            (None, Some(f)) => {
                let path = Path::new(f);
                let path = if path.is_relative() {
                    source.parent().unwrap_or(Path::new(".")).join(path)
                } else {
                    path.to_path_buf()
                };
                match std::fs::read_to_string(&path) {
                    Ok(s) => (s.trim().to_string(), format!("{kp}.secret-file")),
                    Err(e) => {
                        v.err(
                            format!("{kp}.secret-file"),
                            format!("cannot read {}: {e}: expected a readable file holding the base64 secret", path.display()),
                        );
                        continue;
                    }
                }
            }
        };
        let secret = match base64::engine::general_purpose::STANDARD.decode(text.0.as_bytes()) {
            Ok(s) if !s.is_empty() => s,
            _ => {
                v.err(
                    text.1,
                    "the secret is not base64: expected a non-empty base64 string",
                );
                continue;
            }
        };
        out.push(model::TsigKey {
            name,
            config_name: config_name.to_string(),
            algorithm,
            digest_bits,
            secret,
        });
    }
    out
}

/// Looks up `key-name` at `path`; `""` is no key.
fn key_ref(
    v: &mut V,
    path: String,
    name: Option<&str>,
    keys: &[model::TsigKey],
) -> Option<Option<model::TsigKey>> {
    let name = name.filter(|n| !n.is_empty())?;
    let found = keys.iter().find(|k| {
        k.config_name == name
            || k.name
                .trim_end_matches('.')
                .eq_ignore_ascii_case(name.trim_end_matches('.'))
    });
    match found {
        Some(k) => Some(Some(k.clone())),
        None => {
            v.err(
                path,
                format!("TSIG key \"{name}\" is not defined: expected the name of a `DhcpDdns.tsig-keys` entry"),
            );
            Some(None)
        }
    }
}

fn domains(
    v: &mut V,
    p: &str,
    d: Option<file::DdnsDomains>,
    keys: &[model::TsigKey],
    reverse: bool,
) -> Vec<model::DdnsDomain> {
    let list = d.and_then(|d| d.ddns_domains).unwrap_or_default();
    let mut out: Vec<model::DdnsDomain> = Vec::new();
    for (i, dom) in list.into_iter().enumerate() {
        let dp = format!("{p}.ddns-domains[{i}]");
        let Some(raw) = dom.name.as_deref() else {
            v.err(&dp, "missing required key `name`");
            continue;
        };
        let Some(name) = dns_name(v, &format!("{dp}.name"), raw, "domain name") else {
            continue;
        };
        if reverse
            && !(name == "in-addr.arpa."
                || name == "ip6.arpa."
                || name.ends_with(".in-addr.arpa.")
                || name.ends_with(".ip6.arpa."))
        {
            v.err(
                format!("{dp}.name"),
                format!("\"{raw}\" is not a reverse zone: expected a name under in-addr.arpa. or ip6.arpa."),
            );
        }
        if out.iter().any(|o| o.name == name) {
            v.err(
                format!("{dp}.name"),
                format!("domain \"{raw}\" is listed twice: expected unique domain names"),
            );
        }
        let dom_key = key_ref(v, format!("{dp}.key-name"), dom.key_name.as_deref(), keys).flatten();
        let mut servers = Vec::new();
        let list = dom.dns_servers.unwrap_or_default();
        if list.is_empty() {
            v.err(
                format!("{dp}.dns-servers"),
                "no DNS servers: expected at least one `dns-servers` entry",
            );
        }
        for (j, s) in list.into_iter().enumerate() {
            let sp = format!("{dp}.dns-servers[{j}]");
            if s.hostname.is_some() {
                v.unsupported(format!("{sp}.hostname"));
                continue;
            }
            let Some(ip) = s.ip_address.as_deref() else {
                v.err(&sp, "missing required key `ip-address`");
                continue;
            };
            let Ok(ip) = ip.parse::<IpAddr>() else {
                v.err(
                    format!("{sp}.ip-address"),
                    format!("\"{ip}\" is not an IP address: expected e.g. \"192.0.2.53\""),
                );
                continue;
            };
            let port = s.port.unwrap_or(53);
            if port == 0 {
                v.err(format!("{sp}.port"), "0 is not a port: expected 1..=65535");
            }
            let key = match key_ref(v, format!("{sp}.key-name"), s.key_name.as_deref(), keys) {
                Some(k) => k,
                None if s.key_name.is_some() => None,
                None => dom_key.clone(),
            };
            servers.push(model::DnsServer {
                addr: SocketAddr::new(ip, port),
                key,
            });
        }
        out.push(model::DdnsDomain { name, servers });
    }
    out.sort_by_key(|d| std::cmp::Reverse(d.name.len()));
    out
}
