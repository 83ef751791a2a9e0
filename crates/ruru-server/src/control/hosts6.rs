//! The reservation commands of the DHCPv6 service: Kea's host_cmds
//! (`reservation-add`, `-get`, `-get-all`, `-get-page`, `-del`) sent with
//! `"service": ["dhcp6"]`, or to a server that runs only `Dhcp6`. As for
//! DHCPv4 (see [`super::commands`]): a reservation is looked up in the
//! running configuration's subnet first, then in `Dhcp6`'s host databases
//! (`hosts-database(s)`); with a host database, `reservation-add` validates
//! the reservation as one in the file would be and writes it to the first
//! database (it applies to the next message, no reload); without one it
//! changes the running configuration.

use std::net::Ipv6Addr;
use std::sync::Arc;

use ruru_config::{Dhcp6, HostId, HostId6};
use ruru_engine::v4::hosts::HostSources;
use ruru_engine::v6::hosts::{host6_of, id_key6, options6_of};
use ruru_lease::csv::format_hex;
use ruru_lease::Host6;
use serde_json::{json, Value};

use super::commands::{
    answer, apply_raw, arg, err, hosts_all_answer, hosts_page_answer, opt_u32, req_str, ControlCtx,
    Res, EMPTY, SUCCESS, UNSUPPORTED,
};

/// Whether a `reservation-*` command is for the DHCPv6 service: its
/// `service` names `dhcp6` and not `dhcp4`, or it names none and the server
/// runs `Dhcp6` without `Dhcp4`.
pub(super) fn is_v6(ctx: &ControlCtx, service: Option<&Value>) -> bool {
    let names: Vec<&str> = service
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !names.is_empty() {
        return names.contains(&"dhcp6") && !names.contains(&"dhcp4");
    }
    let running = ctx.shared.snapshot();
    running.config.dhcp4.is_none() && running.config.dhcp6.is_some()
}

/// What the commands work on: the running `Dhcp6` configuration (model and
/// JSON) and the host databases.
struct View {
    cfg: Arc<Dhcp6>,
    raw: Value,
    hosts: HostSources,
}

fn view(ctx: &ControlCtx, command: &str) -> Result<View, Value> {
    let Some(svc) = crate::sockets::lock(&ctx.shared.v6).clone() else {
        return Err(answer(
            UNSUPPORTED,
            format!("'{command}' command not supported: this server runs no Dhcp6 section."),
            None,
        ));
    };
    Ok(View {
        cfg: svc.engine().cfg.clone(),
        raw: ctx.shared.snapshot().config.raw.clone(),
        hosts: svc.hosts().clone(),
    })
}

/// Runs a DHCPv6 `reservation-*` command.
pub(super) fn run(ctx: &ControlCtx, command: &str, args: &Value) -> Res {
    let v = view(ctx, command)?;
    match command {
        "reservation-add" => add(ctx, &v, args),
        "reservation-get" => get(&v, args),
        "reservation-get-all" => get_all(&v, args),
        "reservation-get-page" => get_page(&v, args),
        "reservation-del" => del(ctx, &v, args),
        other => Ok(answer(
            UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

fn subnet_index(raw: &Value, id: u64) -> Option<usize> {
    raw.get("Dhcp6")?
        .get("subnet6")?
        .as_array()?
        .iter()
        .position(|s| s.get("id").and_then(Value::as_u64) == Some(id))
}

fn sid_arg(args: &Value) -> Result<u32, Value> {
    opt_u32(args, "subnet-id")?.ok_or_else(|| err("'subnet-id' parameter not specified"))
}

fn ip6_arg(args: &Value) -> Result<Ipv6Addr, Value> {
    let s = req_str(args, "ip-address")?;
    s.parse()
        .map_err(|_| err(format!("'{s}' is not an IPv6 address")))
}

/// The DHCPv6 identifier in a command's arguments (`duid`, `hw-address`,
/// `flex-id`).
fn host_id_arg(args: &Value) -> Result<HostId6, Value> {
    let kind = req_str(args, "identifier-type")?;
    let ident = req_str(args, "identifier")?;
    match kind {
        "duid" => ruru_config::parse_duid(ident)
            .map(HostId6::Duid)
            .ok_or_else(|| err(format!("`{ident}` is not a DUID: expected hex, e.g. \"00:03:00:01:aa:bb:cc:dd:ee:ff\""))),
        "hw-address" | "flex-id" => match ruru_config::parse_host_id(kind, ident) {
            Ok(HostId::HwAddress(b)) => Ok(HostId6::HwAddress(b)),
            Ok(HostId::Flex(b)) => Ok(HostId6::Flex(b)),
            Ok(_) => Err(err(format!("identifier-type {kind} is not a DHCPv6 identifier"))),
            Err(Some(m)) => Err(err(m)),
            Err(None) => Err(err(format!("identifier-type {kind} is not supported yet"))),
        },
        other => Err(err(format!(
            "identifier-type {other} is not a DHCPv6 identifier: expected duid, hw-address or flex-id"
        ))),
    }
}

/// A configuration host selected by `ip-address` or identifier in subnet
/// `sid`: (index of the subnet in the file, index of the host).
fn find_config(v: &View, args: &Value, sid: u32) -> Result<Option<(usize, usize)>, Value> {
    let Some(s) = v.cfg.subnets.iter().find(|s| s.id == sid) else {
        return Ok(None);
    };
    let hi = if arg(args, "ip-address").is_some() {
        s.reservations.by_addr.get(&ip6_arg(args)?).copied()
    } else {
        s.reservations.by_id.get(&host_id_arg(args)?).copied()
    };
    Ok(hi.and_then(|hi| subnet_index(&v.raw, u64::from(sid)).map(|si| (si, hi))))
}

fn config_json(raw: &Value, si: usize, hi: usize, sid: u32) -> Value {
    let mut h = raw["Dhcp6"]["subnet6"][si]["reservations"][hi].clone();
    if let Some(o) = h.as_object_mut() {
        o.insert("subnet-id".into(), json!(sid));
    }
    h
}

/// Kea's JSON form of a DHCPv6 host from a hosts database.
fn db_json(h: &Host6) -> Value {
    let mut v = json!({ "subnet-id": h.subnet_id });
    v[h.id_type.name()] = json!(format_hex(&h.identifier));
    v["ip-addresses"] = json!(h
        .ip_addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>());
    v["prefixes"] = json!(h
        .prefixes
        .iter()
        .map(|(p, l)| format!("{p}/{l}"))
        .collect::<Vec<_>>());
    if !h.hostname.is_empty() {
        v["hostname"] = json!(h.hostname);
    }
    let options = options6_of(&h.option_data).unwrap_or_default();
    v["option-data"] = Value::Array(
        options
            .iter()
            .map(|o| {
                json!({
                    "code": o.code,
                    "data": format_hex(&o.data).replace(':', "").to_uppercase(),
                    "csv-format": false,
                    "always-send": o.always_send,
                })
            })
            .collect(),
    );
    v
}

/// The host of a hosts database selected by `ip-address` or identifier.
fn find_db(v: &View, args: &Value, sid: u32) -> Result<Option<Host6>, Value> {
    let dbs = &v.hosts.0;
    if arg(args, "ip-address").is_some() {
        let a = ip6_arg(args)?;
        return Ok(dbs.iter().find_map(|db| db.get6_by_address(sid, a)));
    }
    let id = host_id_arg(args)?;
    let key = id_key6(&id);
    Ok(dbs.iter().find_map(|db| db.get6(sid, &[key])))
}

fn get(v: &View, args: &Value) -> Res {
    let sid = sid_arg(args)?;
    if let Some((si, hi)) = find_config(v, args, sid)? {
        return Ok(ok_host(config_json(&v.raw, si, hi, sid)));
    }
    match find_db(v, args, sid)? {
        Some(h) => Ok(ok_host(db_json(&h))),
        None => Ok(answer(EMPTY, "Host not found.", None)),
    }
}

fn ok_host(h: Value) -> Value {
    answer(SUCCESS, "Host found.", Some(h))
}

/// The configuration's hosts of subnet `sid`, then the databases'.
fn hosts_of(v: &View, sid: u64) -> Result<Vec<Value>, Value> {
    let si = subnet_index(&v.raw, sid).ok_or_else(|| {
        err(format!(
            "Invalid subnet-id: No IPv6 subnet with subnet-id={sid} currently configured."
        ))
    })?;
    let list = v.raw["Dhcp6"]["subnet6"][si]["reservations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out: Vec<Value> = list
        .into_iter()
        .map(|mut h| {
            if let Some(o) = h.as_object_mut() {
                o.insert("subnet-id".into(), json!(sid));
            }
            h
        })
        .collect();
    if let Ok(id) = u32::try_from(sid) {
        for db in &v.hosts.0 {
            out.extend(db.all6(id).iter().map(db_json));
        }
    }
    Ok(out)
}

fn get_all(v: &View, args: &Value) -> Res {
    hosts_all_answer("IPv6", args, |sid| hosts_of(v, sid))
}

fn get_page(v: &View, args: &Value) -> Res {
    hosts_page_answer("IPv6", args, |sid| hosts_of(v, sid))
}

fn add(ctx: &ControlCtx, v: &View, args: &Value) -> Res {
    let Some(Value::Object(res)) = arg(args, "reservation") else {
        return Err(err("missing parameter 'reservation' (a map)"));
    };
    let mut res = res.clone();
    let sid = res
        .remove("subnet-id")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| err("missing or invalid 'subnet-id' in the reservation (global reservations are not supported yet)"))?;
    let mut raw = v.raw.clone();
    let si = subnet_index(&raw, sid).ok_or_else(|| {
        err(format!(
            "Invalid subnet-id: No IPv6 subnet with subnet-id={sid} currently configured."
        ))
    })?;
    let subnet = &mut raw["Dhcp6"]["subnet6"][si];
    if !subnet.get("reservations").is_some_and(Value::is_array) {
        subnet["reservations"] = json!([]);
    }
    if let Some(list) = subnet["reservations"].as_array_mut() {
        list.push(Value::Object(res));
    }
    let not_added = |t: String| err(format!("Host not added: {t}"));
    let Some(db) = v.hosts.0.first() else {
        apply_raw(ctx, &raw)
            .map_err(|e| not_added(e["text"].as_str().unwrap_or_default().to_string()))?;
        return Ok(answer(SUCCESS, "Host added.", None));
    };
    // Validated as the file's would be, then written to the database.
    let text = serde_json::to_string_pretty(&raw).map_err(|e| not_added(e.to_string()))?;
    let config = ruru_config::load_str(&text, &ctx.shared.config_path)
        .map_err(|e| not_added(e.to_string()))?;
    let r = config
        .dhcp6
        .as_ref()
        .and_then(|d| d.subnets.iter().find(|s| u64::from(s.id) == sid))
        .and_then(|s| s.reservations.hosts.last().map(|r| (s.id, r)));
    let Some((id, r)) = r else {
        return Err(not_added(
            "the reservation was not kept by validation".into(),
        ));
    };
    db.add6(&host6_of(id, r))
        .map_err(|e| not_added(e.to_string()))?;
    Ok(answer(SUCCESS, "Host added.", None))
}

fn del(ctx: &ControlCtx, v: &View, args: &Value) -> Res {
    let sid = sid_arg(args)?;
    if let Some((si, hi)) = find_config(v, args, sid)? {
        let mut raw = v.raw.clone();
        if let Some(list) = raw["Dhcp6"]["subnet6"][si]["reservations"].as_array_mut() {
            if hi < list.len() {
                list.remove(hi);
            }
        }
        apply_raw(ctx, &raw)?;
        return Ok(answer(SUCCESS, "Host deleted.", None));
    }
    let by_addr = match arg(args, "ip-address") {
        Some(_) => Some(ip6_arg(args)?),
        None => None,
    };
    let id = match by_addr {
        Some(_) => None,
        None => Some(host_id_arg(args)?),
    };
    let mut deleted = false;
    for db in &v.hosts.0 {
        let r = match (&by_addr, &id) {
            (Some(a), _) => db.del6_by_address(sid, *a),
            (None, Some(id)) => {
                let (t, b) = id_key6(id);
                db.del6_by_id(sid, t, b)
            }
            (None, None) => Ok(false),
        };
        deleted |= r.map_err(|e| err(format!("Host not deleted: {e}")))?;
    }
    if deleted {
        Ok(answer(SUCCESS, "Host deleted.", None))
    } else {
        Ok(answer(EMPTY, "Host not deleted (not found).", None))
    }
}
