//! Kea's `libdhcp_ping_check.so` (Kea 2.6 premium, open source since
//! Kea 3.0), built in: its `parameters` checked as Kea's library checks
//! them at load time, and a subnet's `user-context` `ping-check` map,
//! which overrides them for that subnet (Kea reads it when the server is
//! configured, so a bad one fails the configuration).
//!
//! The keys, at both scopes (Kea's types; an unknown key, `comment`
//! included, is refused as Kea's library refuses it):
//! - `enable-ping-check` (boolean, default true);
//! - `min-ping-requests` (integer ≥ 1, default 1): ECHO REQUESTs sent,
//!   each unanswered within `reply-timeout`, before the address is
//!   offered;
//! - `reply-timeout` (milliseconds ≥ 1, default 100);
//! - `ping-cltt-secs` (seconds ≥ 0, default 60): the client's own
//!   expired lease of the address is offered again unchecked while its
//!   last transmission time is younger than this;
//! - `ping-channel-threads` (integer ≥ 0, default 0): Kea's thread pool
//!   of the ICMP channel; accepted (ruru's checks run on one thread of
//!   their own, see the server's `ping` module).
//!
//! Only DHCPv4 has the library: Kea's `kea-dhcp6` refuses to load it.

use serde_json::{Map, Value};

use super::V;
use crate::model::PingCheck;

/// The file name of Kea's ping-check library.
pub(super) const PING_CHECK: &str = "libdhcp_ping_check.so";

const KEYS: &str =
    "enable-ping-check, min-ping-requests, reply-timeout, ping-cltt-secs or ping-channel-threads";

/// `libdhcp_ping_check.so`'s parameters at `p` (the `hooks-libraries`
/// entry): the global settings and `ping-channel-threads`.
pub(super) fn library(v: &mut V, p: &str, parameters: Option<&Value>) -> (PingCheck, u32) {
    let base = PingCheck::default();
    match parameters {
        None | Some(Value::Null) => (base, 0),
        Some(Value::Object(m)) => scope(v, &format!("{p}.parameters"), m, base),
        // The shape of `parameters` is reported by `hook_library`.
        Some(_) => (base, 0),
    }
}

/// The settings of the subnet at `p` whose `user-context` is `ctx`: the
/// global ones, overridden by the keys of its `ping-check` map (Kea:
/// a copy of the global settings, then the subnet's keys parsed on top).
pub(super) fn subnet(v: &mut V, p: &str, global: PingCheck, ctx: Option<&Value>) -> PingCheck {
    match ctx.and_then(|c| c.get("ping-check")) {
        None => global,
        Some(Value::Object(m)) => scope(v, &format!("{p}.user-context.ping-check"), m, global).0,
        Some(other) => {
            v.err(
                format!("{p}.user-context.ping-check"),
                format!("expected a map of {PING_CHECK}'s parameters ({KEYS}), got {other}"),
            );
            global
        }
    }
}

/// One scope's keys at `p` over `base`; the second value is
/// `ping-channel-threads`.
fn scope(v: &mut V, p: &str, m: &Map<String, Value>, base: PingCheck) -> (PingCheck, u32) {
    let mut out = base;
    let mut threads = 0;
    for (k, val) in m {
        let key = format!("{p}.{k}");
        match k.as_str() {
            "enable-ping-check" => match val {
                Value::Bool(b) => out.enabled = *b,
                other => v.err(key, format!("expected a boolean, got {other}")),
            },
            "min-ping-requests" => {
                if let Some(n) = integer(v, &key, val, 1) {
                    out.min_ping_requests = n;
                }
            }
            "reply-timeout" => {
                if let Some(n) = integer(v, &key, val, 1) {
                    out.reply_timeout_ms = n;
                }
            }
            "ping-cltt-secs" => {
                if let Some(n) = integer(v, &key, val, 0) {
                    out.ping_cltt_secs = n;
                }
            }
            "ping-channel-threads" => {
                if let Some(n) = integer(v, &key, val, 0) {
                    threads = n;
                }
            }
            _ => v.err(
                key,
                format!("unknown parameter `{k}` of {PING_CHECK}: expected {KEYS}"),
            ),
        }
    }
    (out, threads)
}

/// An integer from `min` to `u32::MAX` (Kea keeps these as 32-bit).
fn integer(v: &mut V, key: &str, val: &Value, min: u32) -> Option<u32> {
    let n = val
        .as_i64()
        .map(i128::from)
        .or_else(|| val.as_u64().map(i128::from));
    let Some(n) = n else {
        v.err(key, format!("expected an integer, got {val}"));
        return None;
    };
    match u32::try_from(n) {
        Ok(n) if n >= min => Some(n),
        _ => {
            v.err(
                key,
                format!("{n} is out of range: expected {min}..={}", u32::MAX),
            );
            None
        }
    }
}
