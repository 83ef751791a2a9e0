//! The reservation commands of both families: Kea's host_cmds
//! (`reservation-add`, `-get`, `-get-all`, `-get-page`, `-del`, Kea 2.4's
//! `-update`, and the lookups across subnets `-get-by-hostname`,
//! `-get-by-id` and Kea 2.6's `-get-by-address`).
//!
//! A command is for the DHCPv6 service when it targets DHCPv6 alone: its
//! `service` names `dhcp6` and not `dhcp4`, or it names none and came in
//! on a socket of the `Dhcp6` section only, or the server runs only `Dhcp6`
//! ([`is_v6`]); otherwise for DHCPv4. [`Hosts`] names what differs between
//! the families (the section and subnet list, the address and identifier
//! types, the host database calls and the database host's JSON); the
//! commands are written once below:
//! - a reservation is looked up in the running configuration's subnet
//!   first, then in the family's host databases (`hosts-database(s)`);
//! - `reservation-get-all` and `-get-page` list the configuration's hosts,
//!   then the databases';
//! - without a host database, `reservation-add` and `-del` edit the running
//!   configuration's JSON and apply it like `config-set` (so `config-get`
//!   and `config-write` show the change); with one, `reservation-add`
//!   validates the reservation as one in the file would be and writes it
//!   to the first database (it applies to the next message, no reload),
//!   and `reservation-del` of a host that is not in the configuration
//!   deletes it from every database that has it;
//! - `reservation-update` replaces a host (found by its subnet and
//!   identifier) where `reservation-add` would have added it;
//! - Kea's `operation-target` (`memory`/`primary`: the configuration,
//!   `database`/`alternate`: the hosts databases, `all`, `default`) chooses
//!   where a command looks; reads default to both, changes to the databases
//!   when there is one, else the configuration ([`Target`]).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

use ruru_config::{Config, HostId, HostId6};
use ruru_engine::v4::hex;
use ruru_engine::v4::hosts::{self as hosts4, HostSources};
use ruru_engine::v6::hosts::{host6_of, id_key6, options6_of};
use ruru_lease::{Host4, Host6, HostQuery, HostStore, LeaseError};
use serde_json::{json, Value};

use super::commands::{
    answer, apply_raw, arg, err, opt_u32, opt_u64, req_str, ControlCtx, Res, EMPTY, SUCCESS,
    UNSUPPORTED,
};
use super::family::{V4, V6};

/// Whether a `reservation-*` command is for the DHCPv6 service: it targets
/// DHCPv6 alone ([`super::commands::targets`]: its `service`, else the
/// section of the socket it came in on, else the families the server runs).
pub(super) fn is_v6(ctx: &ControlCtx, service: Option<&Value>) -> bool {
    let t = super::commands::targets(ctx, service);
    t.v6 && !t.v4
}

/// Runs a `reservation-*` command of the family `service` selects.
pub(super) fn run(ctx: &ControlCtx, command: &str, service: Option<&Value>, args: &Value) -> Res {
    // The changes edit the running JSON: from its read to its apply, one
    // edit at a time (reads need no lock).
    let _edit = matches!(
        command,
        "reservation-add" | "reservation-del" | "reservation-update"
    )
    .then(|| {
        super::commands::EDIT_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    if is_v6(ctx, service) {
        run_family::<V6>(ctx, command, args)
    } else {
        run_family::<V4>(ctx, command, args)
    }
}

/// A host selected by a command's `ip-address` or its `identifier-type`
/// and `identifier`.
enum Select<F: Hosts> {
    Addr(F::Addr),
    Id(F::Id),
}

/// What the lookups across subnets look for.
enum Find<F: Hosts> {
    /// A host name, compared without regard to case.
    Hostname(String),
    Id(F::Id),
    Addr(F::Addr),
}

/// One family's reservations as the commands see them.
trait Hosts: Sized {
    type Addr: Copy + FromStr;
    type Id: Clone;
    type Host;
    /// `IPv4` or `IPv6`, as Kea's texts say it.
    const IP: &'static str;
    /// The configuration section (`Dhcp4`) and its subnet list (`subnet4`).
    const SECTION: &'static str;
    const SUBNETS: &'static str;

    /// The host databases of this family's service, or the answer when the
    /// service does not run.
    fn hosts(ctx: &ControlCtx, command: &str) -> Result<HostSources, Value>;
    /// The identifier in a command's arguments.
    fn id_arg(args: &Value) -> Result<Self::Id, Value>;
    /// The index in its subnet's `reservations` of the configured host
    /// `sel` of subnet `sid`.
    fn config_host(config: &Config, sid: u32, sel: &Select<Self>) -> Option<usize>;
    fn db_get(db: &dyn HostStore, sid: u32, sel: &Select<Self>) -> Option<Self::Host>;
    fn db_all(db: &dyn HostStore, sid: u32) -> Vec<Self::Host>;
    fn db_del(db: &dyn HostStore, sid: u32, sel: &Select<Self>) -> Result<bool, LeaseError>;
    /// Writes reservation `hi` of subnet `sid` in the validated `config`
    /// to `db`, with what the hosts table keeps beside the model (`extra`:
    /// its `user-context`, the old row's DHCPv6 reconfigure key);
    /// `Ok(false)` when validation did not keep it.
    fn db_add(
        db: &dyn HostStore,
        config: &Config,
        sid: u64,
        hi: usize,
        extra: &Extra<'_, Self>,
    ) -> Result<bool, LeaseError>;
    /// The configured hosts that `q` selects, as (subnet id, index in the
    /// subnet's `reservations`), the global ones (subnet 0) first.
    fn config_find(config: &Config, q: &Find<Self>) -> Vec<(u32, usize)>;
    /// The database hosts, of any subnet, that `q` selects.
    fn db_find(db: &dyn HostStore, q: &Find<Self>) -> Vec<Self::Host>;
    /// A database host's subnet id.
    fn db_subnet(h: &Self::Host) -> u32;
    /// Stores `h` again (a `reservation-update` that failed half-way).
    fn db_put_back(db: &dyn HostStore, h: &Self::Host) -> Result<(), LeaseError>;
    /// The ids of the family's configured subnets, in configuration order.
    fn subnet_ids(config: &Config) -> Vec<u32>;
    /// The identifier keys a reservation of the family may have.
    const ID_KEYS: &'static [&'static str];

    /// The identifier of a reservation's JSON: its one identifier key.
    fn reservation_id(res: &serde_json::Map<String, Value>) -> Result<Self::Id, Value> {
        let mut keys = Self::ID_KEYS.iter().filter(|k| res.contains_key(**k));
        match (keys.next(), keys.next()) {
            (Some(k), None) => Self::id_arg(&json!({
                "identifier-type": k,
                "identifier": res.get(*k).cloned().unwrap_or(Value::Null),
            })),
            (None, _) => Err(err(format!(
                "the reservation has no identifier: expected one of {}",
                Self::ID_KEYS.join(", ")
            ))),
            (Some(_), Some(_)) => Err(err(format!(
                "the reservation has more than one identifier: expected one of {}",
                Self::ID_KEYS.join(", ")
            ))),
        }
    }
    /// Kea's JSON form of a host from a hosts database.
    /// A database host as the commands list it; `config`'s `option-def`
    /// reads its options stored in text form.
    fn db_json(h: &Self::Host, config: &Config) -> Value;
    /// Sets on a host row to write what `extra` carries.
    fn keep_extra(h: &mut Self::Host, extra: &Extra<'_, Self>);
}

/// What a `hosts` row keeps beside the reservation model: written by
/// `reservation-add` and `-update` ([`Hosts::db_add`]).
struct Extra<'a, F: Hosts> {
    /// The reservation's `user-context` (Kea's `user_context` column).
    user_context: Option<&'a Value>,
    /// The row this one replaces (`reservation-update`): its DHCPv6
    /// reconfigure key (`auth_key`, which no command sets) is kept.
    old: Option<&'a F::Host>,
}

/// A `user-context` as the `user_context` column keeps it: JSON text,
/// empty for none (NULL).
fn context_text(v: Option<&Value>) -> String {
    v.filter(|v| !v.is_null())
        .map(Value::to_string)
        .unwrap_or_default()
}

/// A `user_context` column as a reservation's `user-context`: `None` when
/// empty; text that is not JSON (written by another program) as a string.
fn context_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())))
}

/// The methods of [`Hosts`] that differ between the families only in the
/// names they call: the configuration section, the [`HostStore`] methods,
/// and the identifier key and host conversions.
macro_rules! store_calls {
    ($section:ident, $by_addr:ident, $get:ident, $all:ident, $del_addr:ident, $del_id:ident,
     $add:ident, $find:ident, $id_key:path, $host_of:path) => {
        fn config_host(config: &Config, sid: u32, sel: &Select<Self>) -> Option<usize> {
            let section = config.$section.as_ref()?;
            // Subnet id 0: the global reservations (Kea's convention).
            let r = if sid == 0 {
                &section.reservations
            } else {
                &section.subnets.iter().find(|s| s.id == sid)?.reservations
            };
            match sel {
                Select::Addr(a) => r.by_addr.get(a).copied(),
                Select::Id(id) => r.by_id.get(id).copied(),
            }
        }

        fn db_get(db: &dyn HostStore, sid: u32, sel: &Select<Self>) -> Option<Self::Host> {
            match sel {
                Select::Addr(a) => db.$by_addr(sid, *a),
                Select::Id(id) => db.$get(sid, &[$id_key(id)]),
            }
        }

        fn db_all(db: &dyn HostStore, sid: u32) -> Vec<Self::Host> {
            db.$all(sid)
        }

        fn db_del(db: &dyn HostStore, sid: u32, sel: &Select<Self>) -> Result<bool, LeaseError> {
            match sel {
                Select::Addr(a) => db.$del_addr(sid, *a),
                Select::Id(id) => {
                    let (t, b) = $id_key(id);
                    db.$del_id(sid, t, b)
                }
            }
        }

        fn db_add(
            db: &dyn HostStore,
            config: &Config,
            sid: u64,
            hi: usize,
            extra: &Extra<'_, Self>,
        ) -> Result<bool, LeaseError> {
            let section = config.$section.as_ref();
            let host = if sid == 0 {
                section.and_then(|d| d.reservations.hosts.get(hi).map(|r| (0, r)))
            } else {
                section
                    .and_then(|d| d.subnets.iter().find(|s| u64::from(s.id) == sid))
                    .and_then(|s| s.reservations.hosts.get(hi).map(|r| (s.id, r)))
            };
            match host {
                Some((id, r)) => {
                    let mut h = $host_of(id, r);
                    Self::keep_extra(&mut h, extra);
                    db.$add(&h).map(|()| true)
                }
                None => Ok(false),
            }
        }

        fn config_find(config: &Config, q: &Find<Self>) -> Vec<(u32, usize)> {
            let Some(section) = config.$section.as_ref() else {
                return Vec::new();
            };
            let scopes = std::iter::once((0, &section.reservations))
                .chain(section.subnets.iter().map(|s| (s.id, &s.reservations)));
            let mut out = Vec::new();
            for (sid, r) in scopes {
                match q {
                    Find::Hostname(n) => out.extend(
                        r.hosts
                            .iter()
                            .enumerate()
                            .filter(|(_, h)| {
                                h.hostname
                                    .as_deref()
                                    .is_some_and(|h| h.eq_ignore_ascii_case(n))
                            })
                            .map(|(i, _)| (sid, i)),
                    ),
                    Find::Id(id) => out.extend(r.by_id.get(id).map(|&i| (sid, i))),
                    Find::Addr(a) => {
                        let mut found: Vec<usize> = r.by_addr.get(a).copied().into_iter().collect();
                        found.extend(r.shared_addr.get(a).into_iter().flatten().copied());
                        found.sort_unstable();
                        out.extend(found.into_iter().map(|i| (sid, i)));
                    }
                }
            }
            out
        }

        fn db_find(db: &dyn HostStore, q: &Find<Self>) -> Vec<Self::Host> {
            match q {
                Find::Hostname(n) => db.$find(HostQuery::Hostname(n)),
                Find::Id(id) => {
                    let (t, b) = $id_key(id);
                    db.$find(HostQuery::Id(t, b))
                }
                Find::Addr(a) => db.$find(HostQuery::Address(*a)),
            }
        }

        fn db_subnet(h: &Self::Host) -> u32 {
            h.subnet_id
        }

        fn db_put_back(db: &dyn HostStore, h: &Self::Host) -> Result<(), LeaseError> {
            db.$add(h)
        }

        fn subnet_ids(config: &Config) -> Vec<u32> {
            config
                .$section
                .as_ref()
                .map(|d| d.subnets.iter().map(|s| s.id).collect())
                .unwrap_or_default()
        }
    };
}

impl Hosts for V4 {
    type Addr = Ipv4Addr;
    type Id = HostId;
    type Host = Host4;
    const IP: &'static str = "IPv4";
    const SECTION: &'static str = "Dhcp4";
    const SUBNETS: &'static str = "subnet4";
    const ID_KEYS: &'static [&'static str] =
        &["hw-address", "client-id", "circuit-id", "duid", "flex-id"];

    fn hosts(ctx: &ControlCtx, command: &str) -> Result<HostSources, Value> {
        match ctx.shared.v4.as_ref() {
            Some(svc) => Ok(svc.hosts()),
            None => Err(answer(
                UNSUPPORTED,
                format!("'{command}' command not supported: this server runs no Dhcp4 section."),
                None,
            )),
        }
    }

    fn id_arg(args: &Value) -> Result<HostId, Value> {
        let kind = req_str(args, "identifier-type")?;
        let ident = req_str(args, "identifier")?;
        ruru_config::parse_host_id(kind, ident).map_err(|e| match e {
            Some(m) => err(m),
            None => err(format!("identifier-type {kind} is not supported yet")),
        })
    }

    store_calls!(
        dhcp4,
        get4_by_address,
        get4,
        all4,
        del4_by_address,
        del4_by_id,
        add4,
        find4,
        hosts4::id_key,
        hosts4::host_of
    );

    fn keep_extra(h: &mut Host4, extra: &Extra<'_, Self>) {
        h.user_context = context_text(extra.user_context);
    }

    fn db_json(h: &Host4, config: &Config) -> Value {
        let mut v = json!({ "subnet-id": h.subnet_id });
        v[h.id_type.name()] = json!(hex(&h.identifier));
        if let Some(a) = h.ipv4_address {
            v["ip-address"] = json!(a.to_string());
        }
        if !h.hostname.is_empty() {
            v["hostname"] = json!(h.hostname);
        }
        if let Some(a) = h.next_server {
            v["next-server"] = json!(a.to_string());
        }
        if !h.server_hostname.is_empty() {
            v["server-hostname"] = json!(h.server_hostname);
        }
        if !h.boot_file_name.is_empty() {
            v["boot-file-name"] = json!(h.boot_file_name);
        }
        v["client-classes"] = json!(hosts4::classes_of(&h.client_classes));
        if let Some(c) = context_json(&h.user_context) {
            v["user-context"] = c;
        }
        let defs = config
            .dhcp4
            .as_ref()
            .map_or(&[][..], |d| &d.option_defs[..]);
        let options = hosts4::options_of(&h.option_data, defs).unwrap_or_default();
        v["option-data"] = options_json(
            options
                .iter()
                .map(|o| (u16::from(o.code), &o.data[..], o.always_send, o.vendor)),
        );
        v
    }
}

impl Hosts for V6 {
    type Addr = Ipv6Addr;
    type Id = HostId6;
    type Host = Host6;
    const IP: &'static str = "IPv6";
    const SECTION: &'static str = "Dhcp6";
    const SUBNETS: &'static str = "subnet6";
    const ID_KEYS: &'static [&'static str] = &["duid", "hw-address", "flex-id"];

    fn hosts(ctx: &ControlCtx, command: &str) -> Result<HostSources, Value> {
        match ctx.shared.v6.as_ref() {
            Some(svc) => Ok(svc.hosts()),
            None => Err(answer(
                UNSUPPORTED,
                format!("'{command}' command not supported: this server runs no Dhcp6 section."),
                None,
            )),
        }
    }

    /// `duid`, `hw-address` or `flex-id`.
    fn id_arg(args: &Value) -> Result<HostId6, Value> {
        let kind = req_str(args, "identifier-type")?;
        let ident = req_str(args, "identifier")?;
        match kind {
            "duid" => ruru_config::parse_duid(ident).map(HostId6::Duid).ok_or_else(|| {
                err(format!(
                    "`{ident}` is not a DUID: expected hex, e.g. \"00:03:00:01:aa:bb:cc:dd:ee:ff\""
                ))
            }),
            "hw-address" | "flex-id" => match ruru_config::parse_host_id(kind, ident) {
                Ok(HostId::HwAddress(b)) => Ok(HostId6::HwAddress(b)),
                Ok(HostId::Flex(b)) => Ok(HostId6::Flex(b)),
                Ok(_) => Err(err(format!(
                    "identifier-type {kind} is not a DHCPv6 identifier"
                ))),
                Err(Some(m)) => Err(err(m)),
                Err(None) => Err(err(format!("identifier-type {kind} is not supported yet"))),
            },
            other => Err(err(format!(
                "identifier-type {other} is not a DHCPv6 identifier: expected duid, hw-address or flex-id"
            ))),
        }
    }

    store_calls!(
        dhcp6,
        get6_by_address,
        get6,
        all6,
        del6_by_address,
        del6_by_id,
        add6,
        find6,
        id_key6,
        host6_of
    );

    fn keep_extra(h: &mut Host6, extra: &Extra<'_, Self>) {
        h.user_context = context_text(extra.user_context);
        if let Some(old) = extra.old {
            h.auth_key.clone_from(&old.auth_key);
        }
    }

    fn db_json(h: &Host6, config: &Config) -> Value {
        let mut v = json!({ "subnet-id": h.subnet_id });
        v[h.id_type.name()] = json!(hex(&h.identifier));
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
        v["client-classes"] = json!(hosts4::classes_of(&h.client_classes));
        if let Some(c) = context_json(&h.user_context) {
            v["user-context"] = c;
        }
        let defs = config
            .dhcp6
            .as_ref()
            .map_or(&[][..], |d| &d.option_defs[..]);
        let options = options6_of(&h.option_data, defs).unwrap_or_default();
        v["option-data"] = options_json(
            options
                .iter()
                .map(|o| (o.code, &o.data[..], o.always_send, o.vendor)),
        );
        v
    }
}

/// A database host's options as Kea lists them: code, hex data (upper
/// case, no separators), `csv-format` false; a vendor's sub-option with
/// its `space` (`vendor-N`).
fn options_json<'a>(options: impl Iterator<Item = (u16, &'a [u8], bool, Option<u32>)>) -> Value {
    Value::Array(
        options
            .map(|(code, data, always_send, vendor)| {
                let mut o = json!({
                    "code": code,
                    "data": hex(data).replace(':', "").to_uppercase(),
                    "csv-format": false,
                    "always-send": always_send,
                });
                if let Some(n) = vendor {
                    o["space"] = json!(format!("vendor-{n}"));
                }
                o
            })
            .collect(),
    )
}

/// What a command works on: the running configuration (model and JSON) and
/// the family's host databases.
struct View {
    config: Arc<Config>,
    hosts: HostSources,
}

impl View {
    fn of<F: Hosts>(ctx: &ControlCtx, command: &str) -> Result<View, Value> {
        let hosts = F::hosts(ctx, command)?;
        Ok(View {
            config: ctx.shared.snapshot().config.clone(),
            hosts,
        })
    }

    /// Where subnet `sid` is in the configuration's JSON (a JSON pointer).
    fn subnet_index<F: Hosts>(&self, sid: u64) -> Option<String> {
        subnet_index::<F>(&self.config.raw, sid)
    }

    /// The configured host `sel` of subnet `sid`: (where the subnet is in
    /// the JSON, index of the host in its `reservations`).
    fn config_host<F: Hosts>(&self, sid: u32, sel: &Select<F>) -> Option<(String, usize)> {
        let hi = F::config_host(&self.config, sid, sel)?;
        Some((self.subnet_index::<F>(u64::from(sid))?, hi))
    }

    /// The configured host at (`si`, `hi`) with its `subnet-id`.
    fn config_json<F: Hosts>(&self, si: &str, hi: usize, sid: u64) -> Value {
        let mut h = self
            .config
            .raw
            .pointer(si)
            .map_or(Value::Null, |s| s["reservations"][hi].clone());
        if let Some(o) = h.as_object_mut() {
            o.insert("subnet-id".into(), json!(sid));
        }
        h
    }
}

/// Where subnet `sid` is in the configuration's JSON, as a JSON pointer:
/// in the section's subnet list (`/Dhcp4/subnet4/0`) or in a shared
/// network's (`/Dhcp4/shared-networks/1/subnet4/0`). Subnet id 0 is the
/// section itself (`/Dhcp4`), whose `reservations` are the global ones.
fn subnet_index<F: Hosts>(raw: &Value, sid: u64) -> Option<String> {
    let section = raw.get(F::SECTION)?;
    if sid == 0 {
        return Some(format!("/{}", F::SECTION));
    }
    let find = |list: Option<&Value>| {
        list?
            .as_array()?
            .iter()
            .position(|s| s.get("id").and_then(Value::as_u64) == Some(sid))
    };
    if let Some(i) = find(section.get(F::SUBNETS)) {
        return Some(format!("/{}/{}/{i}", F::SECTION, F::SUBNETS));
    }
    let networks = section.get("shared-networks")?.as_array()?;
    networks.iter().enumerate().find_map(|(k, n)| {
        let j = find(n.get(F::SUBNETS))?;
        Some(format!(
            "/{}/shared-networks/{k}/{}/{j}",
            F::SECTION,
            F::SUBNETS
        ))
    })
}

fn no_subnet<F: Hosts>(sid: u64) -> Value {
    err(format!(
        "Invalid subnet-id: No {} subnet with subnet-id={sid} currently configured.",
        F::IP
    ))
}

fn sid_arg(args: &Value) -> Result<u32, Value> {
    opt_u32(args, "subnet-id")?.ok_or_else(|| err("'subnet-id' parameter not specified"))
}

/// The host a command selects: by `ip-address` when given, else by
/// identifier.
fn select_arg<F: Hosts>(args: &Value) -> Result<Select<F>, Value> {
    if arg(args, "ip-address").is_none() {
        return F::id_arg(args).map(Select::Id);
    }
    let s = req_str(args, "ip-address")?;
    s.parse()
        .map(Select::Addr)
        .map_err(|_| err(format!("'ip-address' is not an {} address: {s}", F::IP)))
}

/// Where a command looks: the running configuration, the hosts
/// databases, or both (Kea's `operation-target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    config: bool,
    db: bool,
}

impl Target {
    const ALL: Target = Target {
        config: true,
        db: true,
    };

    /// Where a change goes by default: the hosts databases when there is
    /// one, else the configuration. (Kea 2.2 refuses changes without a
    /// hosts database; ruru edits its configuration.)
    fn change(v: &View) -> Target {
        let db = !v.hosts.0.is_empty();
        Target { config: !db, db }
    }
}

/// The command's `operation-target`, or `default` when it has none: Kea's
/// `memory` (older `primary`), `database` (`alternate`), `all`, `default`.
fn target_arg(args: &Value, default: Target) -> Result<Target, Value> {
    match arg(args, "operation-target") {
        None => Ok(default),
        Some(Value::String(s)) => match s.as_str() {
            "memory" | "primary" => Ok(Target {
                config: true,
                db: false,
            }),
            "database" | "alternate" => Ok(Target {
                config: false,
                db: true,
            }),
            "all" => Ok(Target::ALL),
            "default" => Ok(default),
            other => Err(err(format!(
                "The 'operation-target' value ({other}) is not within expected set: \
                 (memory, database, all, default)"
            ))),
        },
        Some(_) => Err(err("'operation-target' is not a string")),
    }
}

fn run_family<F: Hosts>(ctx: &ControlCtx, command: &str, args: &Value) -> Res {
    let v = View::of::<F>(ctx, command)?;
    match command {
        "reservation-add" => add::<F>(ctx, &v, args),
        "reservation-update" => update::<F>(ctx, &v, args),
        "reservation-get" => get::<F>(&v, args),
        "reservation-get-all" => get_all::<F>(&v, args),
        "reservation-get-page" => get_page::<F>(&v, args),
        "reservation-get-by-hostname" => get_by_hostname::<F>(&v, args),
        "reservation-get-by-id" => get_by_id::<F>(&v, args),
        "reservation-get-by-address" => get_by_address::<F>(&v, args),
        "reservation-del" => del::<F>(ctx, &v, args),
        other => Ok(answer(
            UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

fn get<F: Hosts>(v: &View, args: &Value) -> Res {
    let sid = sid_arg(args)?;
    let sel = select_arg::<F>(args)?;
    let t = target_arg(args, Target::ALL)?;
    let config = if t.config {
        v.config_host(sid, &sel)
            .map(|(si, hi)| v.config_json::<F>(&si, hi, u64::from(sid)))
    } else {
        None
    };
    let host = config.or_else(|| {
        if !t.db {
            return None;
        }
        v.hosts
            .0
            .iter()
            .find_map(|db| F::db_get(db.as_ref(), sid, &sel))
            .map(|h| F::db_json(&h, &v.config))
    });
    Ok(match host {
        Some(h) => answer(SUCCESS, "Host found.", Some(h)),
        None => answer(EMPTY, "Host not found.", None),
    })
}

/// The hosts of subnet `sid` that `t` selects: the configuration's, then
/// the databases'.
fn hosts_of<F: Hosts>(v: &View, sid: u64, t: Target) -> Result<Vec<Value>, Value> {
    let si = v
        .subnet_index::<F>(sid)
        .ok_or_else(|| no_subnet::<F>(sid))?;
    let n = if t.config {
        v.config
            .raw
            .pointer(&si)
            .and_then(|s| s["reservations"].as_array())
            .map_or(0, Vec::len)
    } else {
        0
    };
    let mut out: Vec<Value> = (0..n).map(|hi| v.config_json::<F>(&si, hi, sid)).collect();
    if let (true, Ok(id)) = (t.db, u32::try_from(sid)) {
        for db in &v.hosts.0 {
            out.extend(
                F::db_all(db.as_ref(), id)
                    .iter()
                    .map(|h| F::db_json(h, &v.config)),
            );
        }
    }
    Ok(out)
}

/// `reservation-get-all`: every host of the subnet `args` names.
fn get_all<F: Hosts>(v: &View, args: &Value) -> Res {
    let sid = u64::from(sid_arg(args)?);
    let t = target_arg(args, Target::ALL)?;
    found::<F>(hosts_of::<F>(v, sid, t)?)
}

/// The answer of the commands that list hosts: `hosts`, result 3 when
/// there are none.
fn found<F: Hosts>(hosts: Vec<Value>) -> Res {
    let n = hosts.len();
    Ok(answer(
        if n == 0 { EMPTY } else { SUCCESS },
        format!("{n} {} host(s) found.", F::IP),
        Some(json!({ "hosts": hosts })),
    ))
}

/// `reservation-get-page`: the page of the subnet's hosts that `args` asks
/// for (`from`, `limit`); without `subnet-id` (Kea 1.9+), of the global
/// reservations and then every subnet's.
fn get_page<F: Hosts>(v: &View, args: &Value) -> Res {
    let limit = opt_u64(args, "limit")?.ok_or_else(|| err("'limit' parameter not specified"))?;
    if limit == 0 {
        return Err(err("'limit' must not be 0"));
    }
    let from = opt_u64(args, "from")?.unwrap_or(0);
    let all = match opt_u32(args, "subnet-id")? {
        Some(sid) => hosts_of::<F>(v, u64::from(sid), Target::ALL)?,
        None => {
            let mut all = hosts_of::<F>(v, 0, Target::ALL)?;
            for sid in F::subnet_ids(&v.config) {
                all.extend(hosts_of::<F>(v, u64::from(sid), Target::ALL)?);
            }
            all
        }
    };
    let hosts: Vec<Value> = all
        .into_iter()
        .skip(usize::try_from(from).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let n = hosts.len() as u64;
    Ok(answer(
        if n == 0 { EMPTY } else { SUCCESS },
        format!("{n} {} host(s) found.", F::IP),
        Some(
            json!({ "count": n, "hosts": hosts, "next": { "from": from + n, "source-index": 0 } }),
        ),
    ))
}

/// The hosts `q` selects in every subnet, or in subnet `sid` only: the
/// configuration's, then the databases'.
fn find<F: Hosts>(v: &View, q: &Find<F>, sid: Option<u32>, t: Target) -> Result<Vec<Value>, Value> {
    if let Some(sid) = sid {
        if v.subnet_index::<F>(u64::from(sid)).is_none() {
            return Err(no_subnet::<F>(u64::from(sid)));
        }
    }
    let wanted = |s: u32| sid.is_none_or(|w| w == s);
    let mut out = Vec::new();
    if t.config {
        for (s, hi) in F::config_find(&v.config, q) {
            if !wanted(s) {
                continue;
            }
            if let Some(si) = v.subnet_index::<F>(u64::from(s)) {
                out.push(v.config_json::<F>(&si, hi, u64::from(s)));
            }
        }
    }
    if t.db {
        for db in &v.hosts.0 {
            out.extend(
                F::db_find(db.as_ref(), q)
                    .iter()
                    .filter(|h| wanted(F::db_subnet(h)))
                    .map(|h| F::db_json(h, &v.config)),
            );
        }
    }
    Ok(out)
}

/// `reservation-get-by-hostname`: `hostname` (case-insensitive), in
/// `subnet-id` or in every subnet.
fn get_by_hostname<F: Hosts>(v: &View, args: &Value) -> Res {
    let name = req_str(args, "hostname")?;
    if name.is_empty() {
        return Err(err("Empty hostname"));
    }
    let sid = opt_u32(args, "subnet-id")?;
    let t = target_arg(args, Target::ALL)?;
    found::<F>(find::<F>(v, &Find::Hostname(name.to_string()), sid, t)?)
}

/// `reservation-get-by-id`: every host with the identifier, whatever its
/// subnet (`subnet-id` is refused, as in Kea).
fn get_by_id<F: Hosts>(v: &View, args: &Value) -> Res {
    if args.get("subnet-id").is_some() {
        return Err(err("'subnet-id' is forbidden in reservation-get-by-id"));
    }
    let id = F::id_arg(args)?;
    let t = target_arg(args, Target::ALL)?;
    found::<F>(find::<F>(v, &Find::Id(id), None, t)?)
}

/// `reservation-get-by-address` (Kea 2.6): every host reserving
/// `ip-address`, in `subnet-id` or in every subnet.
fn get_by_address<F: Hosts>(v: &View, args: &Value) -> Res {
    let s = req_str(args, "ip-address")?;
    let addr: F::Addr = s
        .parse()
        .map_err(|_| err(format!("Failed to parse IP address {s}")))?;
    let sid = opt_u32(args, "subnet-id")?;
    let t = target_arg(args, Target::ALL)?;
    found::<F>(find::<F>(v, &Find::Addr(addr), sid, t)?)
}

/// A `reservation` argument: the host's JSON without its `subnet-id`, and
/// that subnet id.
fn reservation_arg(args: &Value) -> Result<(serde_json::Map<String, Value>, u64), Value> {
    let Some(Value::Object(res)) = arg(args, "reservation") else {
        return Err(err("missing parameter 'reservation' (a map)"));
    };
    let mut res = res.clone();
    let sid = res
        .remove("subnet-id")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| {
            err("missing or invalid 'subnet-id' in the reservation (0 for a global reservation)")
        })?;
    Ok((res, sid))
}

/// Whether a reservation's JSON has a non-empty `excluded-prefixes`.
fn excludes_prefixes(res: &serde_json::Map<String, Value>) -> bool {
    res.get("excluded-prefixes")
        .and_then(Value::as_array)
        .is_some_and(|l| {
            l.iter()
                .any(|x| x.as_str().is_some_and(|s| !s.trim().is_empty()))
        })
}

fn text_of(e: &Value) -> String {
    e["text"].as_str().unwrap_or_default().to_string()
}

fn add<F: Hosts>(ctx: &ControlCtx, v: &View, args: &Value) -> Res {
    let (res, sid) = reservation_arg(args)?;
    let user_context = res.get("user-context").cloned();
    let t = target_arg(args, Target::change(v))?;
    let not_added = |t: String| err(format!("Host not added: {t}"));
    if t.db && !t.config && v.hosts.0.is_empty() {
        return Err(err(
            "Unable to add new host because there is no hosts-database configured.",
        ));
    }
    // Kea 2.2's host schema has no column for an excluded prefix: a
    // reservation with one cannot go to a hosts database without losing it.
    if t.db && excludes_prefixes(&res) && !v.hosts.0.is_empty() {
        return Err(err(
            "Host not added: not supported yet: 'excluded-prefixes' in a hosts database (Kea 2.2's schema has no column for it)",
        ));
    }
    let mut raw = v.config.raw.clone();
    let si = subnet_index::<F>(&raw, sid).ok_or_else(|| no_subnet::<F>(sid))?;
    let subnet = raw.pointer_mut(&si).ok_or_else(|| no_subnet::<F>(sid))?;
    if !subnet.get("reservations").is_some_and(Value::is_array) {
        subnet["reservations"] = json!([]);
    }
    let mut hi = 0;
    if let Some(list) = subnet["reservations"].as_array_mut() {
        list.push(Value::Object(res));
        hi = list.len() - 1;
    }
    // Validated as the file's would be, then written to the database.
    let config = super::commands::load_api(ctx, &raw).map_err(|e| not_added(text_of(&e)))?;
    if let (true, Some(db)) = (t.db, v.hosts.0.first()) {
        let extra = Extra::<F> {
            user_context: user_context.as_ref(),
            old: None,
        };
        match F::db_add(db.as_ref(), &config, sid, hi, &extra) {
            Ok(true) => {}
            Ok(false) => {
                return Err(not_added(
                    "the reservation was not kept by validation".into(),
                ))
            }
            Err(e) => return Err(not_added(e.to_string())),
        }
    }
    if t.config {
        ctx.shared
            .apply(config)
            .map_err(|e| not_added(e.to_string()))?;
    }
    Ok(answer(SUCCESS, "Host added.", None))
}

/// `reservation-update`: the host of the reservation's subnet with the
/// reservation's identifier is replaced by the reservation, as a whole
/// (Kea's semantics: what the new one leaves out is gone). In the
/// configuration the host must exist; in a database the old row is deleted
/// and the new one added (and the old one put back when the add fails).
fn update<F: Hosts>(ctx: &ControlCtx, v: &View, args: &Value) -> Res {
    let (res, sid) = reservation_arg(args)?;
    let user_context = res.get("user-context").cloned();
    let t = target_arg(args, Target::change(v))?;
    let not_updated = |t: String| err(format!("Host not updated: {t}"));
    if t.db && !t.config && v.hosts.0.is_empty() {
        return Err(err(
            "Unable to update existing host because there is no hosts-database configured.",
        ));
    }
    if t.db && excludes_prefixes(&res) && !v.hosts.0.is_empty() {
        return Err(err(
            "Host not updated: not supported yet: 'excluded-prefixes' in a hosts database (Kea 2.2's schema has no column for it)",
        ));
    }
    let id = F::reservation_id(&res)?;
    let sid32 = u32::try_from(sid).map_err(|_| no_subnet::<F>(sid))?;
    let mut raw = v.config.raw.clone();
    let si = subnet_index::<F>(&raw, sid).ok_or_else(|| no_subnet::<F>(sid))?;
    let in_config = F::config_host(&v.config, sid32, &Select::Id(id.clone()));
    if t.config && !t.db && in_config.is_none() {
        return Err(not_updated("no such host in the configuration".into()));
    }
    let subnet = raw.pointer_mut(&si).ok_or_else(|| no_subnet::<F>(sid))?;
    if !subnet.get("reservations").is_some_and(Value::is_array) {
        subnet["reservations"] = json!([]);
    }
    let mut hi = 0;
    if let Some(list) = subnet["reservations"].as_array_mut() {
        match in_config {
            Some(i) if i < list.len() => {
                list[i] = Value::Object(res);
                hi = i;
            }
            _ => {
                list.push(Value::Object(res));
                hi = list.len() - 1;
            }
        }
    }
    let config = super::commands::load_api(ctx, &raw).map_err(|e| not_updated(text_of(&e)))?;
    if let (true, Some(db)) = (t.db, v.hosts.0.first()) {
        let sel = Select::Id(id.clone());
        let old = F::db_get(db.as_ref(), sid32, &sel);
        if old.is_none() && !(t.config && in_config.is_some()) {
            return Err(not_updated("no such host in the hosts database".into()));
        }
        if old.is_some() {
            F::db_del(db.as_ref(), sid32, &sel).map_err(|e| not_updated(e.to_string()))?;
        }
        let extra = Extra::<F> {
            user_context: user_context.as_ref(),
            old: old.as_ref(),
        };
        let added = F::db_add(db.as_ref(), &config, sid, hi, &extra);
        if !matches!(added, Ok(true)) {
            if let Some(old) = &old {
                if let Err(e) = F::db_put_back(db.as_ref(), old) {
                    tracing::error!(error = %e, subnet = sid, "reservation-update: the old host could not be put back");
                }
            }
            return Err(not_updated(match added {
                Err(e) => e.to_string(),
                _ => "the reservation was not kept by validation".into(),
            }));
        }
    }
    if t.config && in_config.is_some() {
        ctx.shared
            .apply(config)
            .map_err(|e| not_updated(e.to_string()))?;
    }
    Ok(answer(SUCCESS, "Host updated.", None))
}

fn del<F: Hosts>(ctx: &ControlCtx, v: &View, args: &Value) -> Res {
    let sid = sid_arg(args)?;
    let sel = select_arg::<F>(args)?;
    // ruru's default: the configuration's host, else the databases'.
    let t = target_arg(args, Target::ALL)?;
    if t.db && !t.config && v.hosts.0.is_empty() {
        return Err(err(
            "Unable to delete a host because there is no hosts-database configured.",
        ));
    }
    if t.config {
        if let Some((si, hi)) = v.config_host(sid, &sel) {
            let mut raw = v.config.raw.clone();
            if let Some(list) = raw
                .pointer_mut(&si)
                .and_then(|s| s["reservations"].as_array_mut())
            {
                if hi < list.len() {
                    list.remove(hi);
                }
            }
            apply_raw(ctx, &raw)?;
            return Ok(answer(SUCCESS, "Host deleted.", None));
        }
    }
    let mut deleted = false;
    if t.db {
        for db in &v.hosts.0 {
            deleted |= F::db_del(db.as_ref(), sid, &sel)
                .map_err(|e| err(format!("Host not deleted: {e}")))?;
        }
    }
    Ok(if deleted {
        answer(SUCCESS, "Host deleted.", None)
    } else {
        answer(EMPTY, "Host not deleted (not found).", None)
    })
}
