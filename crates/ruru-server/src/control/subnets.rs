//! Kea's subnet_cmds (`libdhcp_subnet_cmds.so`), built in: the `subnetX-*`
//! and `networkX-*` commands of both families (`X` is 4 or 6): list, get,
//! add, update, delete, delta-add and delta-del of subnets; list, get, add
//! and delete of shared networks, and moving a subnet into or out of one.
//!
//! Like the class commands, a change edits the running configuration's
//! JSON (the `DhcpX` section of `config.raw`) and applies it like
//! `config-set`: the result is validated as a file would be (pools inside
//! their subnet, disjoint subnets, unique ids, ...), the change is atomic
//! (a refused command leaves the running configuration), and `config-get`,
//! `config-write` and the engines follow. A subnet is found wherever it
//! lives: in the top-level `subnetX` list or in a shared network's.
//!
//! The JSON editing is [`handle`], which works on a section's JSON alone so
//! that it can be tested without a server; [`run`] feeds it the running
//! section and applies the result. Texts and result codes are Kea's
//! (subnet_cmds 2.2): result 3 for "nothing found", 1 for errors.
//!
//! Deleting a subnet leaves its leases in the lease database (Kea does
//! the same): they are no longer served (no configured subnet matches
//! them) until a subnet with that id is configured again.

use std::net::IpAddr;

use serde_json::{json, Map, Value};

use super::commands::{answer, apply_raw, err, ok, ControlCtx, Res, EMPTY, SUCCESS, UNSUPPORTED};

/// The DHCPv4 commands of this module, sorted.
pub const COMMANDS4: &[&str] = &[
    "network4-add",
    "network4-del",
    "network4-get",
    "network4-list",
    "network4-subnet-add",
    "network4-subnet-del",
    "subnet4-add",
    "subnet4-del",
    "subnet4-delta-add",
    "subnet4-delta-del",
    "subnet4-get",
    "subnet4-list",
    "subnet4-update",
];

/// The DHCPv6 commands of this module, sorted.
pub const COMMANDS6: &[&str] = &[
    "network6-add",
    "network6-del",
    "network6-get",
    "network6-list",
    "network6-subnet-add",
    "network6-subnet-del",
    "subnet6-add",
    "subnet6-del",
    "subnet6-delta-add",
    "subnet6-delta-del",
    "subnet6-get",
    "subnet6-list",
    "subnet6-update",
];

/// One address family as these commands name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fam {
    pub v6: bool,
}

impl Fam {
    pub const V4: Fam = Fam { v6: false };
    pub const V6: Fam = Fam { v6: true };

    /// The family of one of [`COMMANDS4`] / [`COMMANDS6`].
    pub fn of(command: &str) -> Option<Fam> {
        if COMMANDS4.contains(&command) {
            Some(Fam::V4)
        } else if COMMANDS6.contains(&command) {
            Some(Fam::V6)
        } else {
            None
        }
    }
    fn section(self) -> &'static str {
        if self.v6 {
            "Dhcp6"
        } else {
            "Dhcp4"
        }
    }
    /// `subnet4` / `subnet6`: the key of a subnet list.
    fn key(self) -> &'static str {
        if self.v6 {
            "subnet6"
        } else {
            "subnet4"
        }
    }
    /// `IPv4` / `IPv6`, as Kea's texts say it.
    fn ip(self) -> &'static str {
        if self.v6 {
            "IPv6"
        } else {
            "IPv4"
        }
    }
    /// The default option space.
    fn space(self) -> &'static str {
        if self.v6 {
            "dhcp6"
        } else {
            "dhcp4"
        }
    }
}

/// What a command did to the section: its answer, and whether the section
/// changed (and must be applied).
#[derive(Debug)]
pub(super) struct Done {
    pub answer: Value,
    pub changed: bool,
}

fn read(answer: Value) -> Result<Done, Value> {
    Ok(Done {
        answer,
        changed: false,
    })
}

fn wrote(answer: Value) -> Result<Done, Value> {
    Ok(Done {
        answer,
        changed: true,
    })
}

/// Runs one of [`COMMANDS4`] / [`COMMANDS6`] against the running server.
pub(super) fn run(ctx: &ControlCtx, command: &str, args: &Value) -> Res {
    let Some(f) = Fam::of(command) else {
        return Ok(answer(
            UNSUPPORTED,
            format!("'{command}' command not supported."),
            None,
        ));
    };
    // From the read of the running JSON to its apply: one edit at a time.
    let _edit = super::commands::EDIT_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let running = ctx.shared.snapshot();
    let serves = if f.v6 {
        ctx.shared.v6.is_some()
    } else {
        ctx.shared.v4.is_some()
    };
    // The running subnets' ids and prefixes, in the model's order.
    let ids: Option<Vec<(u32, String)>> = if f.v6 {
        running.config.dhcp6.as_ref().map(|d| {
            d.subnets
                .iter()
                .map(|s| (s.id, format!("{}/{}", s.addr, s.prefix_len)))
                .collect()
        })
    } else {
        running.config.dhcp4.as_ref().map(|d| {
            d.subnets
                .iter()
                .map(|s| (s.id, format!("{}/{}", s.addr, s.prefix_len)))
                .collect()
        })
    };
    let mut raw = running.config.raw.clone();
    let (true, Some(ids), Some(section)) = (serves, ids, raw.get_mut(f.section())) else {
        return Ok(answer(
            UNSUPPORTED,
            format!(
                "'{command}' command not supported: this server runs no {} section.",
                f.section()
            ),
            None,
        ));
    };
    pin_ids(section, f.key(), &ids);
    let done = handle(f, section, command, args)?;
    if done.changed {
        apply_raw(ctx, &raw)?;
    }
    Ok(done.answer)
}

/// Writes the running ids into the subnets of `section` that have none
/// (numbered automatically at load), so that an edit cannot renumber them.
/// `ids` are the model's (id, prefix), in the order of [`all_subnets`];
/// nothing is written unless every prefix lines up (as a range: host bits
/// and spelling aside).
fn pin_ids(section: &mut Value, key: &str, ids: &[(u32, String)]) {
    let subnets = all_subnets(section, key);
    let lined_up = subnets.len() == ids.len()
        && subnets
            .iter()
            .zip(ids)
            .all(|((_, s), (_, p))| pool_range(&prefix_text(s)) == pool_range(p));
    if !lined_up {
        return;
    }
    let locs: Vec<Loc> = subnets.iter().map(|(l, _)| *l).collect();
    for (loc, (id, _)) in locs.into_iter().zip(ids) {
        if let Some(Value::Object(s)) = subnet_mut(section, key, loc) {
            s.entry("id").or_insert_with(|| json!(id));
        }
    }
}

// ---- where subnets are ----

/// Where a subnet entry is: the top-level list, or a shared network's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Top(usize),
    /// (network index, subnet index in it)
    Net(usize, usize),
}

/// Every subnet entry of `section`: the top-level `key` list, then each
/// shared network's (the order of the running model's subnets).
fn all_subnets<'a>(section: &'a Value, key: &str) -> Vec<(Loc, &'a Value)> {
    let mut out: Vec<(Loc, &Value)> = section[key]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, s)| (Loc::Top(i), s))
        .collect();
    for (n, net) in networks(section).iter().enumerate() {
        out.extend(
            net[key]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, s)| (Loc::Net(n, i), s)),
        );
    }
    out
}

fn networks(section: &Value) -> &[Value] {
    section["shared-networks"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
}

fn subnet_mut<'a>(section: &'a mut Value, key: &str, loc: Loc) -> Option<&'a mut Value> {
    match loc {
        Loc::Top(i) => section.get_mut(key)?.get_mut(i),
        Loc::Net(n, i) => section
            .get_mut("shared-networks")?
            .get_mut(n)?
            .get_mut(key)?
            .get_mut(i),
    }
}

/// Removes and returns the subnet at `loc`.
fn take_subnet(section: &mut Value, key: &str, loc: Loc) -> Option<Value> {
    let list = match loc {
        Loc::Top(_) => section.get_mut(key)?,
        Loc::Net(n, _) => section
            .get_mut("shared-networks")?
            .get_mut(n)?
            .get_mut(key)?,
    };
    let i = match loc {
        Loc::Top(i) | Loc::Net(_, i) => i,
    };
    let arr = list.as_array_mut()?;
    (i < arr.len()).then(|| arr.remove(i))
}

/// Appends `subnet` to the top-level list.
fn push_top(section: &mut Value, key: &str, subnet: Value) {
    if let Some(Value::Array(a)) = section.get_mut(key) {
        a.push(subnet);
    } else if let Value::Object(m) = section {
        m.insert(key.to_string(), Value::Array(vec![subnet]));
    }
}

fn id_of(s: &Value) -> Option<u64> {
    s.get("id").and_then(Value::as_u64)
}

/// `prefix/len` parsed; `None` when it is not one.
fn parse_prefix(s: &str) -> Option<(IpAddr, u8)> {
    let (a, l) = s.split_once('/')?;
    Some((a.trim().parse().ok()?, l.trim().parse().ok()?))
}

/// A subnet's prefix as Kea prints it (`192.0.2.0/24`, `2001:db8::/64`).
fn prefix_text(s: &Value) -> String {
    let raw = s.get("subnet").and_then(Value::as_str).unwrap_or_default();
    parse_prefix(raw).map_or_else(|| raw.to_string(), |(a, l)| format!("{a}/{l}"))
}

fn find_id(section: &Value, key: &str, id: u64) -> Option<(Loc, Value)> {
    all_subnets(section, key)
        .into_iter()
        .find(|(_, s)| id_of(s) == Some(id))
        .map(|(l, s)| (l, s.clone()))
}

fn find_network(section: &Value, name: &str) -> Option<usize> {
    networks(section)
        .iter()
        .position(|n| n.get("name").and_then(Value::as_str) == Some(name))
}

/// `{"id", "subnet"}`: a subnet as the change commands answer it.
fn brief(s: &Value) -> Value {
    json!({ "id": s.get("id").cloned().unwrap_or(Value::Null), "subnet": prefix_text(s) })
}

// ---- the commands ----

/// Runs `command` (one of [`COMMANDS4`] / [`COMMANDS6`] of family `f`) on
/// the JSON of its section.
pub(super) fn handle(
    f: Fam,
    section: &mut Value,
    command: &str,
    args: &Value,
) -> Result<Done, Value> {
    let key = f.key();
    let ip = f.ip();
    // The command without its family digit: `subnet-add`, `network-get`.
    let op = command.replacen(['4', '6'], "", 1);
    match op.as_str() {
        "subnet-list" => {
            let list: Vec<Value> = all_subnets(section, key)
                .into_iter()
                .map(|(loc, s)| {
                    let net = match loc {
                        Loc::Net(n, _) => networks(section)[n].get("name").cloned(),
                        Loc::Top(_) => None,
                    };
                    json!({ "id": s.get("id").cloned().unwrap_or(Value::Null),
                            "subnet": prefix_text(s),
                            "shared-network-name": net.unwrap_or(Value::Null) })
                })
                .collect();
            let n = list.len();
            read(answer(
                if n == 0 { EMPTY } else { SUCCESS },
                format!("{n} {ip} subnet{} found", if n == 1 { "" } else { "s" }),
                Some(json!({ "subnets": list })),
            ))
        }
        "subnet-get" => subnet_get(f, section, command, args),
        "subnet-add" => subnet_add(f, section, command, args),
        "subnet-update" | "subnet-delta-add" | "subnet-delta-del" => {
            subnet_update(f, section, command, &op, args)
        }
        "subnet-del" => {
            let id = id_arg(command, args, true)?;
            let Some((loc, s)) = find_id(section, key, id) else {
                return read(answer(EMPTY, format!("no subnet with id {id} found"), None));
            };
            take_subnet(section, key, loc);
            wrote(answer(
                SUCCESS,
                format!("{ip} subnet {} (id {id}) deleted", prefix_text(&s)),
                Some(json!({ "subnets": [brief(&s)] })),
            ))
        }
        "network-list" => {
            let names: Vec<Value> = networks(section)
                .iter()
                .map(|n| json!({ "name": n.get("name").cloned().unwrap_or(Value::Null) }))
                .collect();
            let n = names.len();
            read(answer(
                if n == 0 { EMPTY } else { SUCCESS },
                format!("{n} {ip} network(s) found"),
                Some(json!({ "shared-networks": names })),
            ))
        }
        "network-get" => {
            let name = match args.get("name") {
                None => {
                    return Err(err(format!(
                        "invalid '{command}': missing mandatory 'name' parameter"
                    )))
                }
                Some(Value::String(s)) => s,
                Some(_) => return Err(err("'name' parameter must be a string")),
            };
            match find_network(section, name) {
                Some(i) => read(ok(
                    format!("Info about {ip} shared network '{name}' returned"),
                    json!({ "shared-networks": [defaults::network(f, section, &networks(section)[i])] }),
                )),
                None => read(answer(
                    EMPTY,
                    format!("No '{name}' shared network found"),
                    None,
                )),
            }
        }
        "network-add" => network_add(f, section, command, args),
        "network-del" => network_del(f, section, command, args),
        "network-subnet-add" | "network-subnet-del" => {
            network_subnet(f, section, command, op == "network-subnet-add", args)
        }
        _ => Ok(Done {
            answer: answer(
                UNSUPPORTED,
                format!("'{command}' command not supported."),
                None,
            ),
            changed: false,
        }),
    }
}

fn no_args(command: &str, args: &Value) -> Result<(), Value> {
    match args {
        Value::Object(m) if !m.is_empty() => Ok(()),
        Value::Object(_) | Value::Null => Err(err(format!(
            "no arguments specified for the '{command}' command"
        ))),
        _ => Err(err(format!(
            "arguments specified for the '{command}' command are not a map"
        ))),
    }
}

/// The `id` argument (an integer); `alone`: it must be the only argument
/// (`subnetX-del`).
fn id_arg(command: &str, args: &Value, alone: bool) -> Result<u64, Value> {
    no_args(command, args)?;
    if alone && args.as_object().is_some_and(|m| m.len() != 1) {
        return Err(err(format!(
            "invalid number of arguments specified for the '{command} command. Expected subnet identifier"
        )));
    }
    match args.get("id") {
        None => Err(err(format!(
            "subnet identifier is required for the '{command}' command"
        ))),
        Some(v) => v.as_u64().ok_or_else(|| {
            err(format!(
                "subnet identifier specified for the '{command}' is not a number"
            ))
        }),
    }
}

fn subnet_get(f: Fam, section: &Value, command: &str, args: &Value) -> Result<Done, Value> {
    no_args(command, args)?;
    let n = args.as_object().map_or(0, Map::len);
    if n != 1 {
        return Err(err(format!(
            "invalid number of arguments {n} for the '{command}' command. Expecting 'id' or 'subnet'"
        )));
    }
    let subnets = all_subnets(section, f.key());
    let (found, missing) = if let Some(p) = args.get("subnet") {
        let p = p
            .as_str()
            .ok_or_else(|| err("'subnet' parameter must be a string"))?;
        let want = parse_prefix(p);
        let found = subnets.iter().find(|(_, s)| {
            let have = s.get("subnet").and_then(Value::as_str).unwrap_or_default();
            want.is_some_and(|w| parse_prefix(have) == Some(w)) || have == p
        });
        (found, format!("No {p} subnet found"))
    } else if let Some(id) = args.get("id") {
        let id = id
            .as_u64()
            .ok_or_else(|| err("'id' parameter must be an integer"))?;
        let found = subnets.iter().find(|(_, s)| id_of(s) == Some(id));
        (found, format!("No subnet with id {id} found"))
    } else {
        return Err(err("'id' or 'subnet' parameter required"));
    };
    match found {
        Some((loc, s)) => {
            // As Kea returns it: with the values it fills in.
            let network = match loc {
                Loc::Net(n, _) => networks(section).get(*n),
                Loc::Top(_) => None,
            };
            read(ok(
                format!(
                    "Info about {} subnet {} (id {}) returned",
                    f.ip(),
                    prefix_text(s),
                    id_of(s).unwrap_or(0)
                ),
                json!({ f.key(): [defaults::subnet(f, section, network, s)] }),
            ))
        }
        None => read(answer(EMPTY, missing, None)),
    }
}

/// The one subnet of `{"subnetX": [ {...} ]}`, checked as Kea does.
fn one_subnet(f: Fam, command: &str, args: &Value) -> Result<Map<String, Value>, Value> {
    let key = f.key();
    no_args(command, args)?;
    let n = args.as_object().map_or(0, Map::len);
    if n != 1 {
        return Err(err(format!(
            "invalid number of arguments {n} for the '{command}' command. Expecting '{key}' list"
        )));
    }
    let list = match args.get(key) {
        None => {
            return Err(err(format!(
                "missing '{key}' argument for the '{command}' command"
            )))
        }
        Some(Value::Array(l)) => l,
        Some(_) => {
            return Err(err(format!(
                "'{key}' argument specified for the '{command}' command is not a list"
            )))
        }
    };
    if list.len() != 1 {
        return Err(err(format!(
            "invalid number of subnets specified for the '{command}' command. Expected one subnet"
        )));
    }
    let Some(s) = list[0].as_object() else {
        return Err(err(format!(
            "invalid subnet information specified for the '{command}' command. Expected a map"
        )));
    };
    if s.contains_key("reservations") {
        return Err(err(format!(
            "must not specify host reservations with '{command}'. Use 'reservation-add' to add a reservation to a subnet"
        )));
    }
    Ok(s.clone())
}

/// Gives `s` the next free id when it has none (the one after the highest
/// in use), and refuses an id or a prefix already in use (Kea's texts).
/// `taken` are subnets being added alongside (`networkX-add`).
fn admit(
    f: Fam,
    section: &Value,
    s: &mut Map<String, Value>,
    taken: &[Value],
) -> Result<(), Value> {
    let key = f.key();
    let ip = f.ip();
    let existing: Vec<&Value> = all_subnets(section, key)
        .into_iter()
        .map(|(_, s)| s)
        .chain(taken.iter())
        .collect();
    let id = match s.get("id") {
        None => {
            let next = existing.iter().filter_map(|s| id_of(s)).max().unwrap_or(0) + 1;
            s.insert("id".into(), json!(next));
            next
        }
        Some(v) => match v.as_u64() {
            Some(id @ 1..=4_294_967_294) => id,
            _ => {
                return Err(err(format!(
                    "{key}.id: expected an integer from 1 to 4294967294, got {v}"
                )))
            }
        },
    };
    if existing.iter().any(|e| id_of(e) == Some(id)) {
        return Err(err(format!(
            "ID of the new {ip} subnet '{id}' is already in use"
        )));
    }
    let me = Value::Object(s.clone());
    let prefix = prefix_text(&me);
    if !prefix.is_empty() && existing.iter().any(|e| prefix_text(e) == prefix) {
        return Err(err(format!(
            "subnet with the prefix of '{prefix}' already exists"
        )));
    }
    Ok(())
}

fn subnet_add(f: Fam, section: &mut Value, command: &str, args: &Value) -> Result<Done, Value> {
    let mut s = one_subnet(f, command, args)?;
    admit(f, section, &mut s, &[])?;
    let s = Value::Object(s);
    let b = brief(&s);
    push_top(section, f.key(), s);
    wrote(answer(
        SUCCESS,
        format!("{} subnet added", f.ip()),
        Some(json!({ "subnets": [b] })),
    ))
}

/// `subnetX-update` (replace), `subnetX-delta-add`, `subnetX-delta-del`:
/// the subnet keeps its place (top level or its shared network) and its
/// host reservations.
fn subnet_update(
    f: Fam,
    section: &mut Value,
    command: &str,
    op: &str,
    args: &Value,
) -> Result<Done, Value> {
    let key = f.key();
    let new = one_subnet(f, command, args)?;
    let id = match new.get("id") {
        None => {
            return Err(err(format!(
                "must specify subnet id with '{command}' command."
            )))
        }
        Some(v) => v
            .as_u64()
            .filter(|i| (1..=4_294_967_294).contains(i))
            .ok_or_else(|| {
                err(format!(
                    "{key}.id: expected an integer from 1 to 4294967294, got {v}"
                ))
            })?,
    };
    let Some((loc, old)) = find_id(section, key, id) else {
        return Err(err(format!("Can't find subnet '{id}' to update")));
    };
    let mut old = match old {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let updated = match op {
        "subnet-update" => {
            let mut s = new;
            if let Some(r) = old.get("reservations") {
                s.insert("reservations".into(), r.clone());
            }
            s
        }
        "subnet-delta-add" => {
            let defs = OptionNames::new(f, section);
            delta_add(&mut old, &new, Level::Subnet, &defs);
            old
        }
        _ => {
            let defs = OptionNames::new(f, section);
            delta_del(&mut old, &new, Level::Subnet, &defs);
            old
        }
    };
    let updated = Value::Object(updated);
    let b = brief(&updated);
    if let Some(slot) = subnet_mut(section, key, loc) {
        *slot = updated;
    }
    wrote(answer(
        SUCCESS,
        format!("{} subnet updated", f.ip()),
        Some(json!({ "subnets": [b] })),
    ))
}

fn network_name<'a>(command: &str, args: &'a Value) -> Result<&'a str, Value> {
    match args.get("name") {
        None => Err(err(format!(
            "network name ('name') is required for the '{command}' command"
        ))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(format!(
            "network name ('name') specified for the '{command}' is not a string"
        ))),
    }
}

fn network_add(f: Fam, section: &mut Value, command: &str, args: &Value) -> Result<Done, Value> {
    no_args(command, args)?;
    let list = match args.get("shared-networks") {
        None => {
            return Err(err(format!(
                "missing 'shared-networks' argument for the '{command}' command"
            )))
        }
        Some(Value::Array(l)) => l,
        Some(_) => {
            return Err(err(format!(
                "'shared-networks' argument specified for the '{command}' command is not a list"
            )))
        }
    };
    if list.len() != 1 {
        return Err(err(format!(
            "invalid number of networks specified for the '{command}' command. Expected one network"
        )));
    }
    let Some(net) = list[0].as_object() else {
        return Err(err(format!(
            "invalid network information specified for the '{command}' command. Expected a map"
        )));
    };
    let mut net = net.clone();
    let name = match net.get("name") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            return Err(err(
                "shared-networks[0].name: expected the network's name (a non-empty string)",
            ))
        }
    };
    if find_network(section, &name).is_some() {
        return Err(err(format!(
            "shared network with name '{name}' already exists"
        )));
    }
    // Its subnets: numbered and checked against the running ones and each
    // other, as `subnetX-add` does.
    let mut added: Vec<Value> = Vec::new();
    if let Some(subs) = net.get(f.key()) {
        let Some(subs) = subs.as_array() else {
            return Err(err(format!(
                "shared-networks[0].{}: expected a list of subnets",
                f.key()
            )));
        };
        for s in subs {
            let Some(s) = s.as_object() else {
                return Err(err(format!(
                    "shared-networks[0].{}: expected subnets (JSON objects)",
                    f.key()
                )));
            };
            let mut s = s.clone();
            admit(f, section, &mut s, &added)?;
            added.push(Value::Object(s));
        }
        net.insert(f.key().into(), Value::Array(added));
    }
    if let Some(Value::Array(a)) = section.get_mut("shared-networks") {
        a.push(Value::Object(net));
    } else if let Value::Object(m) = section {
        m.insert(
            "shared-networks".into(),
            Value::Array(vec![Value::Object(net)]),
        );
    }
    wrote(answer(
        SUCCESS,
        format!("A new {} shared network '{name}' added", f.ip()),
        Some(json!({ "shared-networks": [{ "name": name }] })),
    ))
}

fn network_del(f: Fam, section: &mut Value, command: &str, args: &Value) -> Result<Done, Value> {
    no_args(command, args)?;
    let name = network_name(command, args)?.to_string();
    let delete = match args.get("subnets-action") {
        None => false,
        Some(Value::String(s)) if s == "keep" => false,
        Some(Value::String(s)) if s == "delete" => true,
        Some(Value::String(s)) => {
            return Err(err(format!(
                "Invalid value for subnets-action parameter: {s}, Supported values: 'keep' and 'delete'."
            )))
        }
        Some(_) => {
            return Err(err(format!(
                "subnets-action parameter for {command} command must be a string. Supported values are: 'keep' and 'delete'."
            )))
        }
    };
    let Some(i) = find_network(section, &name) else {
        return read(answer(
            EMPTY,
            format!("no shared network with name '{name}' found"),
            None,
        ));
    };
    let removed = section
        .get_mut("shared-networks")
        .and_then(Value::as_array_mut)
        .map(|a| a.remove(i));
    if !delete {
        // Demoted to plain subnets, at the end of the top-level list.
        let subs = removed
            .as_ref()
            .and_then(|n| n[f.key()].as_array().cloned())
            .unwrap_or_default();
        for s in subs {
            push_top(section, f.key(), s);
        }
    }
    wrote(answer(
        SUCCESS,
        format!("{} shared network '{name}' deleted", f.ip()),
        Some(json!({ "shared-networks": [{ "name": name }] })),
    ))
}

/// `networkX-subnet-add` (`add`) and `networkX-subnet-del`: move a subnet
/// from the top level into a shared network, or back.
fn network_subnet(
    f: Fam,
    section: &mut Value,
    command: &str,
    add: bool,
    args: &Value,
) -> Result<Done, Value> {
    let (key, ip) = (f.key(), f.ip());
    no_args(command, args)?;
    let name = match args.get("name") {
        None => {
            return Err(err(format!(
                "missing 'name' argument for the '{command}' command"
            )))
        }
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(err(format!(
                "'name' argument specified for the '{command}' command is not a string"
            )))
        }
    };
    let id = match args.get("id") {
        None => {
            return Err(err(format!(
                "missing 'id' argument for the '{command}' command"
            )))
        }
        Some(v) => v.as_u64().ok_or_else(|| {
            err(format!(
                "'id' argument specified for the '{command}' command is not an integer"
            ))
        })?,
    };
    let Some(n) = find_network(section, &name) else {
        return read(answer(
            EMPTY,
            format!("no {ip} shared network with name '{name}' found"),
            None,
        ));
    };
    let found = find_id(section, key, id);
    if add {
        let Some((loc, s)) = found else {
            return read(answer(
                EMPTY,
                format!("no {ip} subnet with id '{id}' found"),
                None,
            ));
        };
        if let Loc::Net(other, _) = loc {
            let other = networks(section)[other]
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            return Err(err(format!(
                "subnet {id} being added to a shared network already belongs to the shared network '{other}'"
            )));
        }
        take_subnet(section, key, loc);
        let net = &mut section["shared-networks"][n];
        if let Some(Value::Array(a)) = net.get_mut(key) {
            a.push(s.clone());
        } else {
            net[key] = Value::Array(vec![s.clone()]);
        }
        wrote(answer(
            SUCCESS,
            format!(
                "{ip} subnet {} (id {id}) is now part of shared network '{name}'",
                prefix_text(&s)
            ),
            None,
        ))
    } else {
        let Some((loc, s)) = found.filter(|(l, _)| matches!(l, Loc::Net(m, _) if *m == n)) else {
            return read(answer(
                EMPTY,
                format!("The {ip} subnet with id {id} is not part of the shared network with name '{name}' found"),
                None,
            ));
        };
        take_subnet(section, key, loc);
        push_top(section, key, s.clone());
        wrote(answer(
            SUCCESS,
            format!(
                "{ip} subnet {} (id {id}) is now removed from shared network '{name}'",
                prefix_text(&s)
            ),
            None,
        ))
    }
}

// ---- delta-add / delta-del ----

/// The level of a map in Kea's subnet hierarchy for the delta commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Subnet,
    /// A `pools` or `pd-pools` entry.
    Pool,
    Option,
}

/// The lists the delta commands merge entry by entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pools,
    PdPools,
    Options,
}

fn kind_of(level: Level, key: &str) -> Option<Kind> {
    match (level, key) {
        (Level::Subnet, "pools") => Some(Kind::Pools),
        (Level::Subnet, "pd-pools") => Some(Kind::PdPools),
        (Level::Subnet | Level::Pool, "option-data") => Some(Kind::Options),
        _ => None,
    }
}

fn level_of(kind: Kind) -> Level {
    match kind {
        Kind::Pools | Kind::PdPools => Level::Pool,
        Kind::Options => Level::Option,
    }
}

/// The keys that identify an entry (kept by a delta-del of other parts).
fn is_key(level: Level, key: &str) -> bool {
    match level {
        Level::Subnet => key == "id" || key == "subnet",
        Level::Pool => matches!(key, "pool" | "prefix" | "prefix-len" | "delegated-len"),
        Level::Option => matches!(key, "code" | "name" | "space"),
    }
}

/// An entry given by its identifying keys alone (an empty `option-data`
/// aside): a delta-del removes the whole entry.
fn keys_only(level: Level, v: &Map<String, Value>) -> bool {
    v.iter().all(|(k, x)| {
        is_key(level, k)
            || (level == Level::Pool
                && k == "option-data"
                && x.as_array().is_some_and(Vec::is_empty))
    })
}

/// Option names to codes, for matching an option given by name with one
/// given by code: the standard definitions and the section's `option-def`.
struct OptionNames {
    fam: Fam,
    defs: Vec<(String, String, u64)>,
}

impl OptionNames {
    fn new(fam: Fam, section: &Value) -> Self {
        let defs = section["option-def"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                Some((
                    d.get("space")
                        .and_then(Value::as_str)
                        .unwrap_or(fam.space())
                        .to_string(),
                    d.get("name")?.as_str()?.to_string(),
                    d.get("code")?.as_u64()?,
                ))
            })
            .collect();
        OptionNames { fam, defs }
    }

    /// (space, code or name) of an option entry.
    fn identity(&self, o: &Map<String, Value>) -> (String, Option<u64>, Option<String>) {
        let space = o
            .get("space")
            .and_then(Value::as_str)
            .unwrap_or(self.fam.space())
            .to_string();
        let name = o.get("name").and_then(Value::as_str).map(str::to_string);
        let code = o.get("code").and_then(Value::as_u64).or_else(|| {
            let n = name.as_deref()?;
            if let Some((_, _, c)) = self.defs.iter().find(|(s, m, _)| *s == space && m == n) {
                return Some(*c);
            }
            if space != self.fam.space() {
                return None;
            }
            if self.fam.v6 {
                ruru_config::options6::by_name(n).map(|d| u64::from(d.code))
            } else {
                ruru_config::options::by_name(n).map(|d| u64::from(d.code))
            }
        });
        (space, code, name)
    }

    fn same_option(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> bool {
        let (sa, ca, na) = self.identity(a);
        let (sb, cb, nb) = self.identity(b);
        sa == sb
            && match (ca, cb, na, nb) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => false,
            }
    }
}

/// A pool's range, whatever its spelling (`a-b`, `a - b`, `prefix/len`).
fn pool_range(p: &str) -> Option<(IpAddr, IpAddr)> {
    if let Some((a, b)) = p.split_once('-') {
        return Some((a.trim().parse().ok()?, b.trim().parse().ok()?));
    }
    let (a, l) = parse_prefix(p)?;
    match a {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let mask = if l == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(l.min(32)))
            };
            Some((
                IpAddr::V4((bits & mask).into()),
                IpAddr::V4((bits | !mask).into()),
            ))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let mask = if l == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(l.min(128)))
            };
            Some((
                IpAddr::V6((bits & mask).into()),
                IpAddr::V6((bits | !mask).into()),
            ))
        }
    }
}

fn same_entry(
    kind: Kind,
    names: &OptionNames,
    a: &Map<String, Value>,
    b: &Map<String, Value>,
) -> bool {
    match kind {
        Kind::Pools => {
            let pa = a.get("pool").and_then(Value::as_str).unwrap_or_default();
            let pb = b.get("pool").and_then(Value::as_str).unwrap_or_default();
            match (pool_range(pa), pool_range(pb)) {
                (Some(x), Some(y)) => x == y,
                _ => pa.split_whitespace().eq(pb.split_whitespace()),
            }
        }
        Kind::PdPools => {
            let pre = |m: &Map<String, Value>| {
                m.get("prefix")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<IpAddr>().ok())
            };
            pre(a).is_some()
                && pre(a) == pre(b)
                && a.get("prefix-len") == b.get("prefix-len")
                && a.get("delegated-len") == b.get("delegated-len")
        }
        Kind::Options => names.same_option(a, b),
    }
}

/// Kea's delta-add: every parameter given is set; in `pools`, `pd-pools`
/// and `option-data` an entry matching a configured one (same pool range,
/// same pd-pool, same option space and code or name) is merged into it
/// (recursively: a pool's `option-data` likewise), others are appended.
/// Any other value (a scalar, a map such as `relay`, another list such as
/// `require-client-classes`) replaces the configured one. The keys that
/// identify a matched pool or option keep their configured spelling.
fn delta_add(
    old: &mut Map<String, Value>,
    new: &Map<String, Value>,
    level: Level,
    names: &OptionNames,
) {
    for (k, v) in new {
        // The keys that matched the entry keep their configured spelling.
        if is_key(level, k) && old.contains_key(k) && (level != Level::Subnet || k == "id") {
            continue;
        }
        match (kind_of(level, k), v, old.get_mut(k)) {
            (Some(kind), Value::Array(items), Some(Value::Array(have))) => {
                let mut appended = Vec::new();
                for item in items {
                    let Some(item_m) = item.as_object() else {
                        appended.push(item.clone());
                        continue;
                    };
                    let mut found = false;
                    for h in have.iter_mut() {
                        if let Value::Object(hm) = h {
                            if same_entry(kind, names, hm, item_m) {
                                found = true;
                                delta_add(hm, item_m, level_of(kind), names);
                            }
                        }
                    }
                    if !found {
                        appended.push(item.clone());
                    }
                }
                have.extend(appended);
            }
            _ => {
                old.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Kea's delta-del: every parameter given is removed whatever its value
/// (the subnet's `id` and `subnet` excepted); a `pools`, `pd-pools` or
/// `option-data` entry given by its keys alone is removed, one given with
/// more has those parts removed (a pool's options); values of another list
/// (`require-client-classes`) equal to one given are removed. A list or
/// map left empty is removed.
fn delta_del(
    old: &mut Map<String, Value>,
    del: &Map<String, Value>,
    level: Level,
    names: &OptionNames,
) {
    for (k, v) in del {
        if is_key(level, k) {
            continue;
        }
        let kind = kind_of(level, k);
        match (kind, v, old.get_mut(k)) {
            (Some(kind), Value::Array(items), Some(Value::Array(have))) => {
                for item in items.iter().filter_map(Value::as_object) {
                    let sub = level_of(kind);
                    have.retain_mut(|h| {
                        let Value::Object(hm) = h else { return true };
                        if !same_entry(kind, names, hm, item) {
                            return true;
                        }
                        if keys_only(sub, item) {
                            return false;
                        }
                        delta_del(hm, item, sub, names);
                        true
                    });
                }
                if have.is_empty() {
                    old.remove(k);
                }
            }
            (None, Value::Array(items), Some(Value::Array(have))) => {
                have.retain(|h| !items.contains(h));
                if have.is_empty() {
                    old.remove(k);
                }
            }
            (None, Value::Object(keys), Some(Value::Object(have))) if !keys.is_empty() => {
                for key in keys.keys() {
                    have.remove(key);
                }
                if have.is_empty() {
                    old.remove(k);
                }
            }
            _ => {
                old.remove(k);
            }
        }
    }
}

mod defaults;
#[cfg(test)]
mod tests;
