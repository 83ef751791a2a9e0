//! A subnet or shared network as Kea's `subnetX-get` and `networkX-get`
//! return it: not as written, but with what Kea's parser fills in.
//! Observed with Kea 2.2 (`config-get` of kea-dhcp4 and kea-dhcp6, whose
//! subnets and networks are the same elements subnet_cmds returns):
//!
//! - the timers and lifetimes a subnet inherits are copied into it from
//!   its shared network, else from the global level, else Kea's global
//!   defaults: `renew-timer`, `rebind-timer`, `calculate-tee-times`,
//!   `t1-percent`, `t2-percent`, `store-extended-info`,
//!   `cache-threshold`, `cache-max-age`, `valid-lifetime` and, in
//!   `Dhcp6`, `preferred-lifetime`; a network gets them from the global
//!   level. Other global keys (`authoritative`, `match-client-id`, the
//!   `ddns-*`, `reservations-*` and boot fields, the network's
//!   `interface`, ...) are not copied.
//! - `min-`/`max-valid-lifetime` (and `-preferred-`) come from the nearest
//!   level that sets them, else they are the level's own valid (preferred)
//!   lifetime.
//! - absent lists and maps appear empty: `option-data`, `pools`,
//!   `pd-pools`, `reservations`, `relay` (`{"ip-addresses": []}`; the
//!   former `ip-address` becomes that list); DHCPv4 subnets carry
//!   `4o6-interface`, `4o6-interface-id` and `4o6-subnet` (`""`); a
//!   DHCPv6 network, and a DHCPv6 subnet in no network, `rapid-commit`
//!   (false).
//! - a `comment` moves into the `user-context` (as its `comment`), in the
//!   subnet, the network, pools, reservations and options;
//! - each option gets its `code` or `name` (from Kea's definitions or the
//!   section's `option-def`), `space`, `always-send` (false) and
//!   `csv-format` (true); each pool its option list, and a range pool is
//!   written without spaces (`192.0.2.10-192.0.2.20`); each reservation
//!   its empty fields (DHCPv4: `boot-file-name`, `client-classes`,
//!   `hostname`, `next-server` `0.0.0.0`, `option-data`,
//!   `server-hostname`; DHCPv6: `client-classes`, `hostname`,
//!   `ip-addresses`, `option-data`, `prefixes`).

use serde_json::{json, Map, Value};

use super::Fam;

/// What a subnet or network takes from the level above when it does not
/// set it (besides the lifetimes, see [`LIFETIMES`]).
const INHERITED: &[&str] = &[
    "renew-timer",
    "rebind-timer",
    "calculate-tee-times",
    "t1-percent",
    "t2-percent",
    "store-extended-info",
    "cache-threshold",
    "cache-max-age",
];

/// The lifetimes: (value, its minimum, its maximum); the preferred ones
/// are DHCPv6's.
const LIFETIMES: [(&str, &str, &str); 2] = [
    ("valid-lifetime", "min-valid-lifetime", "max-valid-lifetime"),
    (
        "preferred-lifetime",
        "min-preferred-lifetime",
        "max-preferred-lifetime",
    ),
];

/// Kea 2.2's global default of `key`, if it has one that reaches the
/// subnets.
fn global_default(f: Fam, key: &str) -> Option<Value> {
    Some(match key {
        "valid-lifetime" => json!(7200),
        "preferred-lifetime" if f.v6 => json!(3600),
        "calculate-tee-times" => json!(f.v6),
        "t1-percent" => json!(0.5),
        "t2-percent" if f.v6 => json!(0.8),
        "t2-percent" => json!(0.875),
        "store-extended-info" => json!(false),
        _ => return None,
    })
}

/// `key` at the nearest of `levels` (nearest first) that sets it, else
/// its global default.
fn inherited(f: Fam, levels: &[&Value], key: &str) -> Option<Value> {
    levels
        .iter()
        .find_map(|l| l.get(key).filter(|v| !v.is_null()).cloned())
        .or_else(|| global_default(f, key))
}

/// Fills what `m` (a subnet or a network) inherits from `above` (the
/// levels above it, nearest first; the section last).
fn fill_inherited(f: Fam, m: &mut Map<String, Value>, above: &[&Value]) {
    for key in INHERITED {
        if !m.contains_key(*key) {
            if let Some(v) = inherited(f, above, key) {
                m.insert((*key).to_string(), v);
            }
        }
    }
    let lifetimes = if f.v6 {
        &LIFETIMES[..]
    } else {
        &LIFETIMES[..1]
    };
    for (value, min, max) in lifetimes {
        let own = m.get(*value).cloned();
        let Some(v) = own.or_else(|| inherited(f, above, value)) else {
            continue;
        };
        for bound in [min, max] {
            if !m.contains_key(*bound) {
                let b = above
                    .iter()
                    .find_map(|l| l.get(*bound).filter(|x| !x.is_null()).cloned())
                    .unwrap_or_else(|| v.clone());
                m.insert((*bound).to_string(), b);
            }
        }
        m.insert((*value).to_string(), v);
    }
}

/// Kea keeps a `comment` in the `user-context` (as its `comment`).
fn fold_comment(m: &mut Map<String, Value>) {
    let Some(c) = m.remove("comment") else {
        return;
    };
    let mut ctx = m
        .get("user-context")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    ctx.insert("comment".into(), c);
    m.insert("user-context".into(), Value::Object(ctx));
}

/// Sets `key` to `v` when `m` does not have it.
fn default_key(m: &mut Map<String, Value>, key: &str, v: Value) {
    if !m.contains_key(key) {
        m.insert(key.to_string(), v);
    }
}

/// An option of `option-data` as Kea lists it (see the module).
fn option(f: Fam, section: &Value, o: &Value) -> Value {
    let Some(m) = o.as_object() else {
        return o.clone();
    };
    let mut m = m.clone();
    fold_comment(&mut m);
    let space = m
        .get("space")
        .and_then(Value::as_str)
        .unwrap_or(f.space())
        .to_string();
    let code = m.get("code").and_then(Value::as_u64);
    let name = m.get("name").and_then(Value::as_str).map(str::to_string);
    let (code, name) = resolve(f, section, &space, code, name.as_deref());
    if let Some(c) = code {
        default_key(&mut m, "code", json!(c));
    }
    if let Some(n) = name {
        default_key(&mut m, "name", json!(n));
    }
    default_key(&mut m, "space", json!(space));
    default_key(&mut m, "always-send", json!(false));
    default_key(&mut m, "csv-format", json!(true));
    Value::Object(m)
}

/// An option's code and name, whichever is missing found in the
/// family's standard definitions (its own space) or the section's
/// `option-def`.
fn resolve(
    f: Fam,
    section: &Value,
    space: &str,
    code: Option<u64>,
    name: Option<&str>,
) -> (Option<u64>, Option<String>) {
    if code.is_some() && name.is_some() {
        return (code, name.map(str::to_string));
    }
    if space == f.space() {
        let std = match (f.v6, code, name) {
            (false, Some(c), _) => u8::try_from(c)
                .ok()
                .and_then(ruru_config::options::by_code)
                .map(|d| (u64::from(d.code), d.name)),
            (false, None, Some(n)) => {
                ruru_config::options::by_name(n).map(|d| (u64::from(d.code), d.name))
            }
            (true, Some(c), _) => u16::try_from(c)
                .ok()
                .and_then(ruru_config::options6::by_code)
                .map(|d| (u64::from(d.code), d.name)),
            (true, None, Some(n)) => {
                ruru_config::options6::by_name(n).map(|d| (u64::from(d.code), d.name))
            }
            _ => None,
        };
        if let Some((c, n)) = std {
            return (Some(c), Some(n.to_string()));
        }
    }
    let defs = section["option-def"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let def = defs.iter().find(|d| {
        let s = d.get("space").and_then(Value::as_str).unwrap_or(f.space());
        s == space
            && match (code, name) {
                (Some(c), _) => d.get("code").and_then(Value::as_u64) == Some(c),
                (None, Some(n)) => d.get("name").and_then(Value::as_str) == Some(n),
                _ => false,
            }
    });
    match def {
        Some(d) => (
            code.or_else(|| d.get("code").and_then(Value::as_u64)),
            name.map(str::to_string)
                .or_else(|| d.get("name").and_then(Value::as_str).map(str::to_string)),
        ),
        None => (code, name.map(str::to_string)),
    }
}

/// Fills `m`'s `option-data` (an empty list when absent).
fn fill_options(f: Fam, section: &Value, m: &mut Map<String, Value>) {
    let list: Vec<Value> = m
        .get("option-data")
        .and_then(Value::as_array)
        .map(|l| l.iter().map(|o| option(f, section, o)).collect())
        .unwrap_or_default();
    m.insert("option-data".into(), Value::Array(list));
}

/// `relay` as Kea lists it: `{"ip-addresses": [...]}`.
fn fill_relay(m: &mut Map<String, Value>) {
    let mut relay = m
        .get("relay")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(one) = relay.remove("ip-address") {
        let mut list = relay
            .get("ip-addresses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !one.is_null() && !list.contains(&one) {
            list.push(one);
        }
        relay.insert("ip-addresses".into(), Value::Array(list));
    }
    default_key(&mut relay, "ip-addresses", json!([]));
    m.insert("relay".into(), Value::Object(relay));
}

/// Each entry of list `key` (pools, pd-pools, reservations) through
/// `each`; an empty list when absent.
fn fill_list(m: &mut Map<String, Value>, key: &str, each: impl Fn(&mut Map<String, Value>)) {
    let list: Vec<Value> = m
        .get(key)
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|e| match e.as_object() {
                    Some(o) => {
                        let mut o = o.clone();
                        each(&mut o);
                        Value::Object(o)
                    }
                    None => e.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    m.insert(key.to_string(), Value::Array(list));
}

/// A reservation with Kea's empty fields.
fn fill_host(f: Fam, section: &Value, h: &mut Map<String, Value>) {
    fold_comment(h);
    default_key(h, "client-classes", json!([]));
    default_key(h, "hostname", json!(""));
    fill_options(f, section, h);
    if f.v6 {
        default_key(h, "ip-addresses", json!([]));
        default_key(h, "prefixes", json!([]));
    } else {
        default_key(h, "boot-file-name", json!(""));
        default_key(h, "next-server", json!("0.0.0.0"));
        default_key(h, "server-hostname", json!(""));
    }
}

/// A pool as Kea writes it: a range that is exactly a prefix as
/// `prefix/len`, another as `first-last` (no spaces); addresses in their
/// canonical form. Text that does not parse is left as it is.
fn pool_text(p: &str) -> String {
    use std::net::IpAddr;
    let bits = |a: IpAddr| -> (u128, u32) {
        match a {
            IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    if let Some((a, len)) = p.split_once('/') {
        return match (a.trim().parse::<IpAddr>(), len.trim().parse::<u8>()) {
            (Ok(a), Ok(len)) => format!("{a}/{len}"),
            _ => p.to_string(),
        };
    }
    let Some((a, b)) = p.split_once('-') else {
        return p.to_string();
    };
    let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) else {
        return p.to_string();
    };
    let ((x, width), (y, width_b)) = (bits(a), bits(b));
    if width == width_b && x <= y {
        // The number of host bits: the range must cover them exactly.
        let host = y - x;
        if host.checked_add(1).is_some_and(u128::is_power_of_two)
            && x & host == 0
            && (host != u128::MAX || width == 128)
        {
            let len = width - (host.count_ones());
            return format!("{a}/{len}");
        }
    }
    format!("{a}-{b}")
}

/// Subnet `s` of `section` (in shared network `network`, if any) as
/// `subnetX-get` returns it.
pub(super) fn subnet(f: Fam, section: &Value, network: Option<&Value>, s: &Value) -> Value {
    let Some(m) = s.as_object() else {
        return s.clone();
    };
    let mut m = m.clone();
    fold_comment(&mut m);
    let above: Vec<&Value> = network.into_iter().chain([section]).collect();
    fill_inherited(f, &mut m, &above);
    if f.v6 {
        if network.is_none() {
            default_key(&mut m, "rapid-commit", json!(false));
        }
    } else {
        for k in ["4o6-interface", "4o6-interface-id", "4o6-subnet"] {
            default_key(&mut m, k, json!(""));
        }
    }
    fill_options(f, section, &mut m);
    fill_relay(&mut m);
    fill_list(&mut m, "pools", |p| {
        fold_comment(p);
        if let Some(text) = p.get("pool").and_then(Value::as_str) {
            let t = pool_text(text);
            p.insert("pool".into(), json!(t));
        }
        fill_options(f, section, p);
    });
    if f.v6 {
        fill_list(&mut m, "pd-pools", |p| {
            fold_comment(p);
            fill_options(f, section, p);
        });
    }
    fill_list(&mut m, "reservations", |h| fill_host(f, section, h));
    Value::Object(m)
}

/// Shared network `n` of `section` as `networkX-get` returns it, its
/// subnets as [`subnet`] gives them.
pub(super) fn network(f: Fam, section: &Value, n: &Value) -> Value {
    let Some(m) = n.as_object() else {
        return n.clone();
    };
    let mut m = m.clone();
    fold_comment(&mut m);
    fill_inherited(f, &mut m, &[section]);
    if f.v6 {
        default_key(&mut m, "rapid-commit", json!(false));
    }
    fill_options(f, section, &mut m);
    fill_relay(&mut m);
    let subnets: Vec<Value> = n[f.key()]
        .as_array()
        .map(|l| l.iter().map(|s| subnet(f, section, Some(n), s)).collect())
        .unwrap_or_default();
    m.insert(f.key().to_string(), Value::Array(subnets));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v4_subnet_gets_what_kea_2_2_fills_in() {
        // kea-dhcp4 2.2's config-get for this section (see the module).
        let section = json!({
            "valid-lifetime": 4000, "max-valid-lifetime": 9000, "renew-timer": 1000,
            "rebind-timer": 2000, "authoritative": true, "boot-file-name": "x.efi",
            "cache-threshold": 0.25,
            "shared-networks": [{"name": "net", "valid-lifetime": 600, "interface": "lo",
                "subnet4": [{"id": 2, "subnet": "198.51.100.0/24", "renew-timer": 100}]}],
            "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "interface": "lo",
                "relay": {"ip-address": "192.0.2.254"},
                "pools": [{"pool": "192.0.2.10 - 192.0.2.20"}],
                "option-data": [{"name": "routers", "data": "192.0.2.1"},
                                {"code": 6, "data": "C0000201", "csv-format": false}],
                "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5"}]}]
        });
        let got = subnet(Fam::V4, &section, None, &section["subnet4"][0]);
        assert_eq!(
            got,
            json!({"4o6-interface": "", "4o6-interface-id": "", "4o6-subnet": "",
                "cache-threshold": 0.25, "calculate-tee-times": false, "id": 1,
                "interface": "lo", "max-valid-lifetime": 9000, "min-valid-lifetime": 4000,
                "option-data": [
                    {"always-send": false, "code": 3, "csv-format": true, "data": "192.0.2.1",
                     "name": "routers", "space": "dhcp4"},
                    {"always-send": false, "code": 6, "csv-format": false, "data": "C0000201",
                     "name": "domain-name-servers", "space": "dhcp4"}],
                "pools": [{"option-data": [], "pool": "192.0.2.10-192.0.2.20"}],
                "rebind-timer": 2000, "relay": {"ip-addresses": ["192.0.2.254"]},
                "renew-timer": 1000,
                "reservations": [{"boot-file-name": "", "client-classes": [], "hostname": "",
                    "hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5",
                    "next-server": "0.0.0.0", "option-data": [], "server-hostname": ""}],
                "store-extended-info": false, "subnet": "192.0.2.0/24", "t1-percent": 0.5,
                "t2-percent": 0.875, "valid-lifetime": 4000})
        );
        let net = network(Fam::V4, &section, &section["shared-networks"][0]);
        assert_eq!(
            net,
            json!({"cache-threshold": 0.25, "calculate-tee-times": false, "interface": "lo",
                "max-valid-lifetime": 9000, "min-valid-lifetime": 600, "name": "net",
                "option-data": [], "rebind-timer": 2000, "relay": {"ip-addresses": []},
                "renew-timer": 1000, "store-extended-info": false,
                "subnet4": [{"4o6-interface": "", "4o6-interface-id": "", "4o6-subnet": "",
                    "cache-threshold": 0.25, "calculate-tee-times": false, "id": 2,
                    "max-valid-lifetime": 9000, "min-valid-lifetime": 600, "option-data": [],
                    "pools": [], "rebind-timer": 2000, "relay": {"ip-addresses": []},
                    "renew-timer": 100, "reservations": [], "store-extended-info": false,
                    "subnet": "198.51.100.0/24", "t1-percent": 0.5, "t2-percent": 0.875,
                    "valid-lifetime": 600}],
                "t1-percent": 0.5, "t2-percent": 0.875, "valid-lifetime": 600})
        );
    }

    #[test]
    fn pools_are_written_as_kea_writes_them() {
        assert_eq!(
            pool_text("192.0.2.10 - 192.0.2.20"),
            "192.0.2.10-192.0.2.20"
        );
        assert_eq!(pool_text("192.0.2.64 - 192.0.2.79"), "192.0.2.64/28");
        assert_eq!(pool_text("192.0.2.64/28"), "192.0.2.64/28");
        assert_eq!(pool_text("192.0.2.5 - 192.0.2.5"), "192.0.2.5/32");
        // Observed with kea-dhcp6 2.2.
        assert_eq!(
            pool_text("2001:db8:2::1:0 - 2001:db8:2::1:ff"),
            "2001:db8:2::1:0/120"
        );
        assert_eq!(pool_text("2001:DB8:2:0::/120"), "2001:db8:2::/120");
        assert_eq!(pool_text("not a pool"), "not a pool");
    }

    #[test]
    fn a_v6_subnet_gets_what_kea_2_2_fills_in() {
        // kea-dhcp6 2.2's config-get for this section (see the module).
        let section = json!({
            "cache-max-age": 100, "store-extended-info": true, "rebind-timer": 50,
            "preferred-lifetime": 3000, "min-valid-lifetime": 1000,
            "option-def": [{"name": "foo", "code": 222, "type": "uint16"}],
            "shared-networks": [{"name": "n", "interface": "lo", "subnet6": [{"id": 1,
                "subnet": "2001:db8:1::/64", "pd-pools": [{"prefix": "2001:db8:9::",
                "prefix-len": 48, "delegated-len": 56}]}]}],
            "subnet6": [{"id": 2, "subnet": "2001:db8:2::/64",
                "pools": [{"pool": "2001:db8:2::/120"}], "valid-lifetime": 5000,
                "option-data": [{"name": "foo", "data": "5"}],
                "reservations": [{"duid": "01:02", "ip-addresses": ["2001:db8:2::5"]}]}]
        });
        let got = subnet(Fam::V6, &section, None, &section["subnet6"][0]);
        assert_eq!(
            got,
            json!({"cache-max-age": 100, "calculate-tee-times": true, "id": 2,
                "max-preferred-lifetime": 3000, "max-valid-lifetime": 5000,
                "min-preferred-lifetime": 3000, "min-valid-lifetime": 1000,
                "option-data": [{"always-send": false, "code": 222, "csv-format": true,
                    "data": "5", "name": "foo", "space": "dhcp6"}],
                "pd-pools": [], "pools": [{"option-data": [], "pool": "2001:db8:2::/120"}],
                "preferred-lifetime": 3000, "rapid-commit": false, "rebind-timer": 50,
                "relay": {"ip-addresses": []},
                "reservations": [{"client-classes": [], "duid": "01:02", "hostname": "",
                    "ip-addresses": ["2001:db8:2::5"], "option-data": [], "prefixes": []}],
                "store-extended-info": true, "subnet": "2001:db8:2::/64", "t1-percent": 0.5,
                "t2-percent": 0.8, "valid-lifetime": 5000})
        );
        let net = network(Fam::V6, &section, &section["shared-networks"][0]);
        assert_eq!(
            net,
            json!({"cache-max-age": 100, "calculate-tee-times": true, "interface": "lo",
                "max-preferred-lifetime": 3000, "max-valid-lifetime": 7200,
                "min-preferred-lifetime": 3000, "min-valid-lifetime": 1000, "name": "n",
                "option-data": [], "preferred-lifetime": 3000, "rapid-commit": false,
                "rebind-timer": 50, "relay": {"ip-addresses": []}, "store-extended-info": true,
                "subnet6": [{"cache-max-age": 100, "calculate-tee-times": true, "id": 1,
                    "max-preferred-lifetime": 3000, "max-valid-lifetime": 7200,
                    "min-preferred-lifetime": 3000, "min-valid-lifetime": 1000,
                    "option-data": [], "pd-pools": [{"delegated-len": 56, "option-data": [],
                    "prefix": "2001:db8:9::", "prefix-len": 48}], "pools": [],
                    "preferred-lifetime": 3000, "rebind-timer": 50,
                    "relay": {"ip-addresses": []}, "reservations": [],
                    "store-extended-info": true, "subnet": "2001:db8:1::/64",
                    "t1-percent": 0.5, "t2-percent": 0.8, "valid-lifetime": 7200}],
                "t1-percent": 0.5, "t2-percent": 0.8, "valid-lifetime": 7200})
        );
    }
}
