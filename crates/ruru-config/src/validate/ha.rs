//! Kea's `libdhcp_ha.so`, built in: its `parameters` checked as Kea's
//! library checks them at load time (Kea 2.2's keys, and the keys Kea 2.4
//! and 2.6 added) into [`crate::model::Ha`].
//!
//! `parameters` holds `high-availability`, a list of relationships (Kea
//! 2.2: one; Kea 2.6's hub-and-spoke: several, each `hot-standby`, and a
//! server name may appear in one relationship only, so the hub has a
//! name of its own in each; at most [`MAX_RELATIONSHIPS`]).
//! A relationship has:
//! - `this-server-name` (required; must name one of `peers`), `mode`
//!   (required: `hot-standby`, `load-balancing` or `passive-backup`);
//! - `peers` (required): `name`, `url` (`http://host:port/` or
//!   `https://...`), `role` (`primary`, `secondary`, `standby`, `backup`),
//!   `auto-failover` (default true), `basic-auth-user`,
//!   `basic-auth-password` / `basic-auth-password-file`, `trust-anchor`,
//!   `cert-file`, `key-file`. Hot-standby needs one primary and one
//!   standby, load-balancing one primary and one secondary,
//!   passive-backup one primary; any of them may add backups.
//! - timers in milliseconds: `heartbeat-delay` (10,000),
//!   `max-response-delay` (60,000), `max-ack-delay` (10,000),
//!   `sync-timeout` (60,000); counts: `max-unacked-clients` (10),
//!   `max-rejected-lease-updates` (10), `sync-page-limit` (10,000),
//!   `delayed-updates-limit` (0); switches: `send-lease-updates` (true),
//!   `sync-leases` (true), `wait-backup-ack` (false),
//!   `require-client-certs` (true), `restrict-commands` (false);
//! - `trust-anchor`, `cert-file`, `key-file` for every peer;
//! - `state-machine`: `states`, a list of `{"state", "pause"}` with
//!   `pause` `always`, `never` or `once`;
//! - `multi-threading`: `enable-multi-threading`,
//!   `http-dedicated-listener`, `http-listener-threads`,
//!   `http-client-threads`.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::V;
use crate::model::{Ha, HaMode, HaMultiThreading, HaPause, HaPeer, HaRole, HaTls, HaUrl, Secret};

/// The most relationships one family's HA runs (each has its own
/// origins in the family's service switch).
pub const MAX_RELATIONSHIPS: usize = 16;

/// The file name of Kea's HA library.
pub(super) const HA: &str = "libdhcp_ha.so";

/// Kea's state names a `state-machine` entry may pause in.
const STATES: &[&str] = &[
    "backup",
    "communication-recovery",
    "hot-standby",
    "load-balancing",
    "in-maintenance",
    "partner-down",
    "partner-in-maintenance",
    "passive-backup",
    "ready",
    "syncing",
    "terminated",
    "waiting",
];

fn obj<'a>(v: &mut V, key: &str, val: &'a Value) -> Option<&'a Map<String, Value>> {
    match val {
        Value::Object(m) => Some(m),
        other => {
            v.err(key, format!("expected a map, got {other}"));
            None
        }
    }
}

fn boolean(v: &mut V, key: &str, val: &Value) -> Option<bool> {
    match val {
        Value::Bool(b) => Some(*b),
        other => {
            v.err(key, format!("expected a boolean, got {other}"));
            None
        }
    }
}

fn uint(v: &mut V, key: &str, val: &Value, max: u64) -> Option<u64> {
    match val.as_u64() {
        Some(n) if n <= max => Some(n),
        _ => {
            v.err(
                key,
                format!("expected an integer from 0 to {max}, got {val}"),
            );
            None
        }
    }
}

fn string(v: &mut V, key: &str, val: &Value) -> Option<String> {
    match val {
        Value::String(s) => Some(s.clone()),
        other => {
            v.err(key, format!("expected a string, got {other}"));
            None
        }
    }
}

/// `http://host:port/path` (IPv6 hosts in brackets) split up; the port
/// defaults to 80 / 443 as in any URL.
pub fn parse_url(text: &str) -> Result<HaUrl, String> {
    let (tls, rest) = if let Some(r) = text.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = text.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(format!(
            "invalid url \"{text}\": expected http://host:port/ or https://host:port/"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let Some(end) = r.find(']') else {
            return Err(format!("invalid url \"{text}\": unclosed '[' in the host"));
        };
        let host = &r[..end];
        let after = &r[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("invalid url \"{text}\": expected ':' after ']'")),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("invalid url \"{text}\": no host"));
    }
    let port = match port {
        None => {
            if tls {
                443
            } else {
                80
            }
        }
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("invalid url \"{text}\": port `{p}` is not 1..65535"))?,
    };
    Ok(HaUrl {
        text: text.to_string(),
        tls,
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// `trust-anchor`, `cert-file`, `key-file` at `key` into `tls`; `true`
/// when `k` was one of them.
fn tls_key(v: &mut V, tls: &mut HaTls, k: &str, key: &str, val: &Value) -> bool {
    let slot = match k {
        "trust-anchor" => &mut tls.trust_anchor,
        "cert-file" => &mut tls.cert_file,
        "key-file" => &mut tls.key_file,
        _ => return false,
    };
    if let Some(s) = string(v, key, val) {
        *slot = (!s.is_empty()).then(|| PathBuf::from(s));
    }
    true
}

/// `libdhcp_ha.so`'s parameters at `p` (the `hooks-libraries` entry).
pub(super) fn ha(v: &mut V, p: &str, parameters: Option<&Value>) -> Option<Vec<Ha>> {
    let pp = format!("{p}.parameters");
    let m = match parameters {
        None | Some(Value::Null) => {
            v.err(
                &pp,
                format!("{HA} needs `high-availability`, a list of relationships"),
            );
            return None;
        }
        Some(val) => obj(v, &pp, val)?,
    };
    for k in m.keys() {
        if k != "high-availability" && k != "comment" {
            v.err(
                format!("{pp}.{k}"),
                format!("unknown parameter `{k}` of {HA}: expected high-availability"),
            );
        }
    }
    let list = match m.get("high-availability") {
        Some(Value::Array(a)) => a,
        Some(other) => {
            v.err(
                format!("{pp}.high-availability"),
                format!("expected a list of relationships, got {other}"),
            );
            return None;
        }
        None => {
            v.err(
                &pp,
                format!("{HA} needs `high-availability`, a list of relationships"),
            );
            return None;
        }
    };
    if list.is_empty() {
        v.err(
            format!("{pp}.high-availability"),
            "an empty list: expected one relationship or more",
        );
        return None;
    }
    if list.len() > MAX_RELATIONSHIPS {
        v.err(
            format!("{pp}.high-availability"),
            format!(
                "{} relationships: expected at most {MAX_RELATIONSHIPS}",
                list.len()
            ),
        );
        return None;
    }
    let mut rels = Vec::new();
    // Kea 2.6: a server name names one relationship only (the hub has a
    // name of its own in each).
    let mut names: Vec<String> = Vec::new();
    for (i, val) in list.iter().enumerate() {
        let rp = format!("{pp}.high-availability[{i}]");
        let Some(rel) = relationship(v, &rp, val) else {
            continue;
        };
        let mut sorted: Vec<&str> = rel.peers.iter().map(|p| p.name.as_str()).collect();
        sorted.sort_unstable();
        for n in sorted {
            if names.iter().any(|m| m == n) {
                v.err(
                    format!("{rp}.peers"),
                    format!("server names must be unique for different relationships: a relationship '{n}' already exists"),
                );
                break;
            } else {
                names.push(n.to_string());
            }
        }
        rels.push(rel);
    }
    if list.len() > 1 {
        for (i, r) in rels.iter().enumerate() {
            if r.mode != HaMode::HotStandby {
                v.err(
                    format!("{pp}.high-availability[{i}].mode"),
                    "multiple HA relationships are only supported for 'hot-standby' mode",
                );
            }
        }
    }
    (rels.len() == list.len()).then_some(rels)
}

fn relationship(v: &mut V, rp: &str, val: &Value) -> Option<Ha> {
    let m = obj(v, rp, val)?;
    let mut ha = Ha::new(String::new(), HaMode::HotStandby, Vec::new());
    let mut ok = true;
    let mut mode_seen = false;
    let mut peers_seen = false;
    const MS: u64 = u32::MAX as u64;
    // Kea keeps these three in 16 bits.
    const MS16: u64 = u16::MAX as u64;
    let mut delayed_seen = false;
    for (k, val) in m {
        let key = format!("{rp}.{k}");
        match k.as_str() {
            "this-server-name" => match string(v, &key, val) {
                Some(s) if !s.trim().is_empty() => ha.this_server_name = s,
                Some(_) => {
                    v.err(&key, "empty server name: expected one of the peers' names");
                    ok = false;
                }
                None => ok = false,
            },
            "mode" => {
                mode_seen = true;
                match val.as_str() {
                    Some("hot-standby") => ha.mode = HaMode::HotStandby,
                    Some("load-balancing") => ha.mode = HaMode::LoadBalancing,
                    Some("passive-backup") => ha.mode = HaMode::PassiveBackup,
                    _ => {
                        v.err(&key, format!("unknown mode {val}: expected \"hot-standby\", \"load-balancing\" or \"passive-backup\""));
                        ok = false;
                    }
                }
            }
            "heartbeat-delay" => {
                ha.heartbeat_delay_ms = uint(v, &key, val, MS16).unwrap_or(ha.heartbeat_delay_ms)
            }
            "max-response-delay" => {
                ha.max_response_delay_ms =
                    uint(v, &key, val, MS16).unwrap_or(ha.max_response_delay_ms)
            }
            "max-ack-delay" => {
                ha.max_ack_delay_ms = uint(v, &key, val, MS16).unwrap_or(ha.max_ack_delay_ms)
            }
            "max-unacked-clients" => {
                ha.max_unacked_clients =
                    uint(v, &key, val, MS).map_or(ha.max_unacked_clients, |n| n as u32)
            }
            "max-rejected-lease-updates" => {
                ha.max_rejected_lease_updates =
                    uint(v, &key, val, MS).map_or(ha.max_rejected_lease_updates, |n| n as u32)
            }
            "sync-timeout" => {
                ha.sync_timeout_ms = uint(v, &key, val, MS).unwrap_or(ha.sync_timeout_ms)
            }
            "sync-page-limit" => match uint(v, &key, val, MS) {
                Some(0) => v.err(&key, "0: expected at least 1 lease per page"),
                Some(n) => ha.sync_page_limit = n as u32,
                None => {}
            },
            "delayed-updates-limit" => {
                delayed_seen = true;
                ha.delayed_updates_limit =
                    uint(v, &key, val, MS).map_or(ha.delayed_updates_limit, |n| n as u32)
            }
            "send-lease-updates" => ha.send_lease_updates = boolean(v, &key, val).unwrap_or(true),
            "sync-leases" => ha.sync_leases = boolean(v, &key, val).unwrap_or(true),
            "wait-backup-ack" => ha.wait_backup_ack = boolean(v, &key, val).unwrap_or(false),
            "require-client-certs" => {
                ha.require_client_certs = boolean(v, &key, val).unwrap_or(true)
            }
            "restrict-commands" => ha.restrict_commands = boolean(v, &key, val).unwrap_or(false),
            "trust-anchor" | "cert-file" | "key-file" => {
                tls_key(v, &mut ha.tls, k, &key, val);
            }
            "peers" => {
                peers_seen = true;
                match val {
                    Value::Array(a) => {
                        for (i, pv) in a.iter().enumerate() {
                            if let Some(peer) = peer(v, &format!("{key}[{i}]"), pv) {
                                ha.peers.push(peer);
                            } else {
                                ok = false;
                            }
                        }
                    }
                    other => {
                        v.err(&key, format!("expected a list of peers, got {other}"));
                        ok = false;
                    }
                }
            }
            "state-machine" => {
                if let Some(sm) = obj(v, &key, val) {
                    state_machine(v, &key, sm, &mut ha.pauses);
                }
            }
            "multi-threading" => {
                if let Some(mt) = obj(v, &key, val) {
                    multi_threading(v, &key, mt, &mut ha.multi_threading);
                }
            }
            "comment" | "user-context" => {}
            _ => {
                v.err(
                    &key,
                    format!("unknown parameter `{k}` of an HA relationship: expected this-server-name, mode, peers, heartbeat-delay, max-response-delay, max-ack-delay, max-unacked-clients, max-rejected-lease-updates, send-lease-updates, sync-leases, sync-timeout, sync-page-limit, delayed-updates-limit, wait-backup-ack, require-client-certs, restrict-commands, trust-anchor, cert-file, key-file, state-machine or multi-threading"),
                );
                ok = false;
            }
        }
    }
    if ha.this_server_name.is_empty() && m.get("this-server-name").is_none() {
        v.err(
            rp,
            "`this-server-name` is required: the name of this server in `peers`",
        );
        ok = false;
    }
    if !mode_seen {
        v.err(
            rp,
            "`mode` is required: \"hot-standby\", \"load-balancing\" or \"passive-backup\"",
        );
        ok = false;
    }
    if !peers_seen {
        v.err(rp, "`peers` is required: this server and its partner(s)");
        ok = false;
    }
    if !ok {
        return None;
    }
    // Kea: communication-recovery (a queue of delayed updates) is on by
    // default in load-balancing, and only there.
    if !delayed_seen && ha.mode == HaMode::LoadBalancing {
        ha.delayed_updates_limit = 100;
    }
    if ha.delayed_updates_limit > 0 && ha.mode != HaMode::LoadBalancing {
        v.err(
            format!("{rp}.delayed-updates-limit"),
            format!(
                "{}: expected 0 in {} mode (delayed updates are a load-balancing feature)",
                ha.delayed_updates_limit,
                ha.mode.as_str()
            ),
        );
        return None;
    }
    if ha.wait_backup_ack && ha.mode != HaMode::PassiveBackup {
        v.err(
            format!("{rp}.wait-backup-ack"),
            format!(
                "true: expected false in {} mode (only passive-backup waits for backups)",
                ha.mode.as_str()
            ),
        );
        return None;
    }
    check_peers(v, rp, &ha).then_some(ha)
}

/// Kea's checks of the peer list against the mode.
fn check_peers(v: &mut V, rp: &str, ha: &Ha) -> bool {
    let key = format!("{rp}.peers");
    for (i, p) in ha.peers.iter().enumerate() {
        if ha.peers[..i].iter().any(|q| q.name == p.name) {
            v.err(
                format!("{key}[{i}].name"),
                format!(
                    "peer name \"{}\" is used twice: expected unique names",
                    p.name
                ),
            );
            return false;
        }
    }
    if ha.this_peer().is_none() {
        v.err(
            format!("{rp}.this-server-name"),
            format!(
                "\"{}\" is not one of the peers' names: expected one of {}",
                ha.this_server_name,
                ha.peers
                    .iter()
                    .map(|p| format!("\"{}\"", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return false;
    }
    let count = |r: HaRole| ha.peers.iter().filter(|p| p.role == r).count();
    let (primary, secondary, standby) = (
        count(HaRole::Primary),
        count(HaRole::Secondary),
        count(HaRole::Standby),
    );
    let want = match ha.mode {
        HaMode::HotStandby => (
            secondary == 0 && standby == 1,
            "one primary and one standby server",
        ),
        HaMode::LoadBalancing => (
            standby == 0 && secondary == 1,
            "one primary and one secondary server",
        ),
        HaMode::PassiveBackup => (
            secondary == 0 && standby == 0,
            "one primary server and backup servers",
        ),
    };
    if primary != 1 || !want.0 {
        v.err(
            key,
            format!(
                "mode \"{}\" needs {} (backup servers may be added): found {primary} primary, {secondary} secondary, {standby} standby",
                ha.mode.as_str(),
                want.1
            ),
        );
        return false;
    }
    if ha.mode == HaMode::PassiveBackup && ha.peers.len() < 2 {
        v.err(
            key,
            "passive-backup needs at least one backup server besides the primary",
        );
        return false;
    }
    true
}

fn peer(v: &mut V, pp: &str, val: &Value) -> Option<HaPeer> {
    let m = obj(v, pp, val)?;
    let mut name = None;
    let mut url = None;
    let mut role = None;
    let mut auto_failover = true;
    let mut user = None;
    let mut password = None;
    let mut tls = HaTls::default();
    let mut ok = true;
    for (k, val) in m {
        let key = format!("{pp}.{k}");
        match k.as_str() {
            "name" => match string(v, &key, val) {
                Some(s) if !s.trim().is_empty() => name = Some(s),
                Some(_) => {
                    v.err(&key, "empty peer name");
                    ok = false;
                }
                None => ok = false,
            },
            "url" => match string(v, &key, val).map(|s| parse_url(&s)) {
                Some(Ok(u)) if u.host.parse::<std::net::IpAddr>().is_err() => {
                    v.err(&key, format!("bad url \"{}\": the host must be an IPv4 address or an IPv6 address in brackets, as Kea requires", u.text));
                    ok = false;
                }
                Some(Ok(u)) => url = Some(u),
                Some(Err(e)) => {
                    v.err(&key, e);
                    ok = false;
                }
                None => ok = false,
            },
            "role" => {
                role = match val.as_str() {
                    Some("primary") => Some(HaRole::Primary),
                    Some("secondary") => Some(HaRole::Secondary),
                    Some("standby") => Some(HaRole::Standby),
                    Some("backup") => Some(HaRole::Backup),
                    _ => {
                        v.err(&key, format!("unknown role {val}: expected \"primary\", \"secondary\", \"standby\" or \"backup\""));
                        ok = false;
                        None
                    }
                }
            }
            "auto-failover" => auto_failover = boolean(v, &key, val).unwrap_or(true),
            "basic-auth-user" => user = string(v, &key, val),
            "basic-auth-password" => password = string(v, &key, val).map(Secret::Inline),
            "basic-auth-password-file" if m.contains_key("basic-auth-password") => {
                v.err(&key, "basic-auth-password and basic-auth-password-file are exclusive: expected one of them");
                ok = false;
            }
            "basic-auth-password-file" => match string(v, &key, val) {
                Some(f) if !f.is_empty() => password = Some(Secret::File(PathBuf::from(f))),
                Some(_) => {
                    v.err(
                        &key,
                        "empty file name: expected the file holding the password",
                    );
                    ok = false;
                }
                None => ok = false,
            },
            "trust-anchor" | "cert-file" | "key-file" => {
                tls_key(v, &mut tls, k, &key, val);
            }
            "comment" | "user-context" => {}
            _ => {
                v.err(&key, format!("unknown parameter `{k}` of an HA peer: expected name, url, role, auto-failover, basic-auth-user, basic-auth-password, basic-auth-password-file, trust-anchor, cert-file or key-file"));
                ok = false;
            }
        }
    }
    for (what, missing) in [
        ("name", name.is_none()),
        ("url", url.is_none()),
        ("role", role.is_none()),
    ] {
        if missing && m.get(what).is_none() {
            v.err(pp, format!("`{what}` is required for each peer"));
            ok = false;
        }
    }
    if password.is_some() && user.as_deref().is_none_or(str::is_empty) {
        v.err(
            pp,
            "basic-auth-password without basic-auth-user: expected both or neither",
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    Some(HaPeer {
        name: name?,
        url: url?,
        role: role?,
        auto_failover,
        basic_auth: user
            .filter(|u| !u.is_empty())
            .map(|u| (u, password.unwrap_or(Secret::Inline(String::new())))),
        tls,
    })
}

fn state_machine(v: &mut V, key: &str, m: &Map<String, Value>, out: &mut Vec<(String, HaPause)>) {
    for (k, val) in m {
        let kk = format!("{key}.{k}");
        match (k.as_str(), val) {
            ("states", Value::Array(a)) => {
                for (i, s) in a.iter().enumerate() {
                    let sp = format!("{kk}[{i}]");
                    let Some(sm) = obj(v, &sp, s) else { continue };
                    let state = sm.get("state").and_then(Value::as_str);
                    let pause = match sm.get("pause").and_then(Value::as_str) {
                        None | Some("never") => HaPause::Never,
                        Some("once") => HaPause::Once,
                        Some("always") => HaPause::Always,
                        Some(other) => {
                            v.err(format!("{sp}.pause"), format!("unknown pause \"{other}\": expected \"always\", \"never\" or \"once\""));
                            continue;
                        }
                    };
                    match state {
                        Some(st) if STATES.contains(&st) => {
                            if out.iter().any(|(s, _)| s == st) {
                                v.err(
                                    format!("{sp}.state"),
                                    format!("state \"{st}\" is listed twice"),
                                );
                            } else {
                                out.push((st.to_string(), pause));
                            }
                        }
                        Some(st) => v.err(
                            format!("{sp}.state"),
                            format!(
                                "unknown state \"{st}\": expected one of {}",
                                STATES.join(", ")
                            ),
                        ),
                        None => v.err(&sp, "`state` is required: the name of an HA state"),
                    }
                    for k2 in sm.keys() {
                        if !matches!(k2.as_str(), "state" | "pause" | "comment" | "user-context") {
                            v.err(
                                format!("{sp}.{k2}"),
                                format!("unknown parameter `{k2}`: expected state or pause"),
                            );
                        }
                    }
                }
            }
            ("states", other) => v.err(kk, format!("expected a list of states, got {other}")),
            ("comment" | "user-context", _) => {}
            _ => v.err(
                kk,
                format!("unknown parameter `{k}` of state-machine: expected states"),
            ),
        }
    }
}

fn multi_threading(v: &mut V, key: &str, m: &Map<String, Value>, out: &mut HaMultiThreading) {
    for (k, val) in m {
        let kk = format!("{key}.{k}");
        match k.as_str() {
            "enable-multi-threading" => out.enabled = boolean(v, &kk, val).unwrap_or(false),
            "http-dedicated-listener" => {
                out.http_dedicated_listener = boolean(v, &kk, val).unwrap_or(false)
            }
            "http-listener-threads" => {
                out.http_listener_threads = uint(v, &kk, val, 65535).unwrap_or(0) as u32
            }
            "http-client-threads" => {
                out.http_client_threads = uint(v, &kk, val, 65535).unwrap_or(0) as u32
            }
            "comment" | "user-context" => {}
            _ => v.err(kk, format!("unknown parameter `{k}` of HA multi-threading: expected enable-multi-threading, http-dedicated-listener, http-listener-threads or http-client-threads")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_as_an_http_client_needs_them() {
        let u = parse_url("http://192.0.2.1:8000/").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "192.0.2.1", 8000, "/")
        );
        let u = parse_url("https://[2001:db8::1]:8443").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (true, "2001:db8::1", 8443, "/")
        );
        let u = parse_url("http://ha.example.org/").unwrap();
        assert_eq!(u.port, 80);
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("http://x:0/").is_err());
        assert!(parse_url("http://:80/").is_err());
    }
}
