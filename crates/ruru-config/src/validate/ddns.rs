//! Kea's `ddns-*` and `hostname-char-*` parameters resolved for one scope
//! (section, shared network, subnet, pool) from its parent's, and the
//! section's `dhcp-ddns` connection.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use super::V;
use crate::file::DhcpDdnsClient;
use crate::model::{ConflictMode, DdnsClient, DdnsParams, ReplaceName, Sanitizer};

/// The keys as written in one scope.
pub(super) struct DdnsKeys<'a> {
    pub send_updates: Option<bool>,
    pub override_no_update: Option<bool>,
    pub override_client_update: Option<bool>,
    pub replace_client_name: Option<&'a str>,
    pub generated_prefix: Option<&'a str>,
    pub qualifying_suffix: Option<&'a str>,
    pub update_on_renew: Option<bool>,
    pub use_conflict_resolution: Option<bool>,
    pub conflict_resolution_mode: Option<&'a str>,
    pub ttl_percent: Option<f64>,
    pub ttl: Option<u32>,
    pub ttl_min: Option<u32>,
    pub ttl_max: Option<u32>,
    pub char_set: Option<&'a str>,
    pub char_replacement: Option<&'a str>,
}

impl DdnsKeys<'_> {
    fn any(&self) -> bool {
        self.send_updates.is_some()
            || self.override_no_update.is_some()
            || self.override_client_update.is_some()
            || self.replace_client_name.is_some()
            || self.generated_prefix.is_some()
            || self.qualifying_suffix.is_some()
            || self.update_on_renew.is_some()
            || self.use_conflict_resolution.is_some()
            || self.conflict_resolution_mode.is_some()
            || self.ttl_percent.is_some()
            || self.ttl.is_some()
            || self.ttl_min.is_some()
            || self.ttl_max.is_some()
            || self.char_set.is_some()
            || self.char_replacement.is_some()
    }
}

/// The [`DdnsKeys`] of a file object with Kea's keys (pools have no
/// `ddns-use-conflict-resolution`: pass `pool` as second argument).
macro_rules! ddns_keys {
    ($o:expr) => {
        $crate::validate::ddns::DdnsKeys {
            use_conflict_resolution: $o.ddns_use_conflict_resolution,
            ..ddns_keys!($o, pool)
        }
    };
    ($o:expr, pool) => {
        $crate::validate::ddns::DdnsKeys {
            send_updates: $o.ddns_send_updates,
            override_no_update: $o.ddns_override_no_update,
            override_client_update: $o.ddns_override_client_update,
            replace_client_name: $o.ddns_replace_client_name.as_deref(),
            generated_prefix: $o.ddns_generated_prefix.as_deref(),
            qualifying_suffix: $o.ddns_qualifying_suffix.as_deref(),
            update_on_renew: $o.ddns_update_on_renew,
            use_conflict_resolution: None,
            conflict_resolution_mode: $o.ddns_conflict_resolution_mode.as_deref(),
            ttl_percent: $o.ddns_ttl_percent,
            ttl: $o.ddns_ttl,
            ttl_min: $o.ddns_ttl_min,
            ttl_max: $o.ddns_ttl_max,
            char_set: $o.hostname_char_set.as_deref(),
            char_replacement: $o.hostname_char_replacement.as_deref(),
        }
    };
}
pub(super) use ddns_keys;

/// The parameters of the scope at `p` whose keys are `k`, inheriting
/// each one not given from `parent` (shared when nothing is given).
pub(super) fn ddns_params(
    v: &mut V,
    p: &str,
    k: &DdnsKeys<'_>,
    parent: &Arc<DdnsParams>,
) -> Arc<DdnsParams> {
    if !k.any() {
        return parent.clone();
    }
    let mut d = DdnsParams::clone(parent);
    set(&mut d.send_updates, k.send_updates);
    set(&mut d.override_no_update, k.override_no_update);
    set(&mut d.override_client_update, k.override_client_update);
    if let Some(r) = k.replace_client_name {
        match ReplaceName::parse(r) {
            Some(m) => d.replace_client_name = m,
            None => v.err(
                format!("{p}.ddns-replace-client-name"),
                format!("unknown mode `{r}`: expected one of \"never\", \"always\", \"when-present\", \"when-not-present\""),
            ),
        }
    }
    if let Some(g) = k.generated_prefix {
        if !g.is_empty() && ruru_ddns::name::to_wire(g, false).is_none() {
            v.err(
                format!("{p}.ddns-generated-prefix"),
                format!("`{g}` is not a valid host label"),
            );
        }
        d.generated_prefix = g.to_string();
    }
    if let Some(s) = k.qualifying_suffix {
        if !s.is_empty() && ruru_ddns::name::to_wire(s, false).is_none() {
            v.err(
                format!("{p}.ddns-qualifying-suffix"),
                format!("`{s}` is not a valid domain name"),
            );
        }
        d.qualifying_suffix = s.to_string();
    }
    set(&mut d.update_on_renew, k.update_on_renew);
    if let Some(u) = k.use_conflict_resolution {
        d.conflict_mode = if u {
            ConflictMode::CheckWithDhcid
        } else {
            ConflictMode::NoCheckWithDhcid
        };
    }
    if let Some(m) = k.conflict_resolution_mode {
        match ConflictMode::parse(m) {
            Some(m) => d.conflict_mode = m,
            None => v.err(
                format!("{p}.ddns-conflict-resolution-mode"),
                format!("unknown mode `{m}`: expected one of \"check-with-dhcid\", \"no-check-with-dhcid\", \"check-exists-with-dhcid\", \"no-check-without-dhcid\""),
            ),
        }
    }
    if let Some(t) = k.ttl_percent {
        if !(t > 0.0 && t <= 1.0) {
            v.err(
                format!("{p}.ddns-ttl-percent"),
                format!("{t} is out of range: expected a number in (0, 1]"),
            );
        }
        d.ttl_percent = Some(t);
    }
    if k.ttl.is_some() && k.ttl_percent.is_some() {
        v.err(
            format!("{p}.ddns-ttl"),
            "given with `ddns-ttl-percent`: expected one of them",
        );
    }
    if k.ttl.is_some() {
        d.ttl = k.ttl;
    }
    if k.ttl_min.is_some() {
        d.ttl_min = k.ttl_min;
    }
    if k.ttl_max.is_some() {
        d.ttl_max = k.ttl_max;
    }
    if let (Some(mn), Some(mx)) = (d.ttl_min, d.ttl_max) {
        if mn > mx {
            v.err(
                format!("{p}.ddns-ttl-min"),
                format!("{mn} is more than `ddns-ttl-max` {mx}"),
            );
        }
    }
    if k.char_set.is_some() || k.char_replacement.is_some() {
        let set = k
            .char_set
            .map(str::to_string)
            .or_else(|| d.sanitizer.as_ref().map(|s| s.set.as_str().to_string()))
            .unwrap_or_default();
        let replacement = k
            .char_replacement
            .map(str::to_string)
            .or_else(|| d.sanitizer.as_ref().map(|s| s.replacement.clone()))
            .unwrap_or_default();
        d.sanitizer = sanitizer(v, p, &set, replacement);
    }
    Arc::new(d)
}

fn set(field: &mut bool, value: Option<bool>) {
    if let Some(b) = value {
        *field = b;
    }
}

/// The sanitizer of `hostname-char-set` `set` (none when empty).
fn sanitizer(v: &mut V, p: &str, set: &str, replacement: String) -> Option<Arc<Sanitizer>> {
    if set.is_empty() {
        return None;
    }
    if replacement.contains('.') {
        v.err(
            format!("{p}.hostname-char-replacement"),
            format!("`{replacement}` is not valid in a host name"),
        );
    }
    match regex::Regex::new(set) {
        Ok(set) => Some(Arc::new(Sanitizer { set, replacement })),
        Err(e) => {
            v.err(
                format!("{p}.hostname-char-set"),
                format!("invalid regular expression: {e}"),
            );
            None
        }
    }
}

/// The section's `dhcp-ddns` (at `p`), and the parameters of the section
/// scope: Kea's defaults, Kea 1.x's keys inside `dhcp-ddns`, then the
/// section's own `ddns-*` keys `k`.
pub(super) fn section(
    v: &mut V,
    p: &str,
    c: Option<&DhcpDdnsClient>,
    k: &DdnsKeys<'_>,
) -> (DdnsClient, Arc<DdnsParams>) {
    let cp = format!("{p}.dhcp-ddns");
    let mut client = DdnsClient::default();
    let mut base = DdnsParams::defaults(false);
    if let Some(c) = c {
        client.enable_updates = c.enable_updates.unwrap_or(false);
        let ip = |v: &mut V, key: &str, s: Option<&str>, default: IpAddr| match s {
            None => Some(default),
            Some(s) => match s.parse::<IpAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    v.err(format!("{cp}.{key}"), format!("`{s}` is not an IP address"));
                    None
                }
            },
        };
        let server = ip(v, "server-ip", c.server_ip.as_deref(), client.server.ip());
        if let Some(server) = server {
            client.server = SocketAddr::new(server, c.server_port.unwrap_or(53001));
            let any = if server.is_ipv6() {
                IpAddr::from([0u16; 8])
            } else {
                IpAddr::from([0u8; 4])
            };
            if let Some(sender) = ip(v, "sender-ip", c.sender_ip.as_deref(), any) {
                if sender.is_ipv6() != server.is_ipv6() {
                    v.err(
                        format!("{cp}.sender-ip"),
                        format!("`{sender}` is not of the family of `server-ip` {server}"),
                    );
                }
                client.sender = SocketAddr::new(sender, c.sender_port.unwrap_or(0));
                if client.sender == client.server {
                    v.err(
                        format!("{cp}.sender-port"),
                        "the sender address and port are the server's: expected another port",
                    );
                }
            }
        }
        if let Some(q) = c.max_queue_size {
            if q == 0 {
                v.err(format!("{cp}.max-queue-size"), "0: expected at least 1");
            }
            client.max_queue_size = q as usize;
        }
        match c.ncr_protocol.as_deref() {
            None | Some("UDP") | Some("udp") => {}
            Some("TCP") | Some("tcp") => v.unsupported(format!("{cp}.ncr-protocol")),
            Some(o) => v.err(
                format!("{cp}.ncr-protocol"),
                format!("`{o}`: expected \"UDP\""),
            ),
        }
        match c.ncr_format.as_deref() {
            None | Some("JSON") | Some("json") => {}
            Some(o) => v.err(
                format!("{cp}.ncr-format"),
                format!("`{o}`: expected \"JSON\""),
            ),
        }
        // Kea 1.x's places of the global keys (Kea 2.2 still reads them).
        let old = DdnsKeys {
            send_updates: None,
            override_no_update: c.override_no_update,
            override_client_update: c.override_client_update,
            replace_client_name: c.replace_client_name.as_deref(),
            generated_prefix: c.generated_prefix.as_deref(),
            qualifying_suffix: c.qualifying_suffix.as_deref(),
            update_on_renew: None,
            use_conflict_resolution: None,
            conflict_resolution_mode: None,
            ttl_percent: None,
            ttl: None,
            ttl_min: None,
            ttl_max: None,
            char_set: c.hostname_char_set.as_deref(),
            char_replacement: c.hostname_char_replacement.as_deref(),
        };
        base = DdnsParams::clone(&ddns_params(v, &cp, &old, &Arc::new(base)));
    }
    base.client_enabled = client.enable_updates;
    let params = ddns_params(v, p, k, &Arc::new(base));
    (client, params)
}
