//! Kea control commands: request parsing, dispatch and responses.
//!
//! The DHCPv6 commands live in `commands6` and what both families' lease,
//! statistics and subnet commands share in `family`; the argument helpers
//! and answer builders below serve all three.
//!
//! Every command answers Kea's shape `{"result", "text", "arguments"}` with
//! Kea's result codes and texts. Commands that change the configuration
//! (`config-set`, `config-reload`, `reservation-add`, `reservation-del`)
//! build a complete new configuration, validate it like a file, and apply it
//! through [`Shared::apply`]; a failure leaves the running configuration.
//! The reservation commands (`reservation-*`, Kea's host_cmds) of both
//! families are in `reservations`.

use std::net::Ipv4Addr;
use std::sync::Arc;

use ruru_config::Subnet4;
use ruru_engine::v4::hex;
use ruru_lease::{Lease4, LeaseError, LeaseStore};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

use super::commands6::{self, COMMANDS6};
use super::family::{self, Family, V4};
use super::reservations;
use super::samples::Samples;
use crate::service::FamilyService;
use crate::state::Shared;
use crate::switch::Origin;
use crate::v4::V4 as V4s;

/// What a command handler can reach.
#[derive(Clone)]
pub struct ControlCtx {
    pub shared: Arc<Shared>,
    /// Statistic sample history (Kea's `statistic-sample-*`), one per
    /// family (DHCPv4's, DHCPv6's), as each Kea daemon keeps its own.
    pub samples: Arc<[Samples; 2]>,
    /// The control socket the request came in on (`None`: from inside the
    /// process). Its sections (`Dhcp4`, `Dhcp6`, or both when both list
    /// it) are the families a family-specific command acts on when the
    /// request names no `service`, as each Kea daemon answers on its own
    /// socket.
    pub socket: Option<ruru_config::ControlSocket>,
}

impl ControlCtx {
    pub fn new(shared: Arc<Shared>) -> Self {
        ControlCtx {
            samples: shared.samples.clone(),
            shared,
            socket: None,
        }
    }

    /// This context for requests arriving on `socket`.
    pub fn on_socket(&self, socket: &ruru_config::ControlSocket) -> Self {
        ControlCtx {
            socket: Some(socket.clone()),
            ..self.clone()
        }
    }
}

/// The families a family-specific command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Targets {
    pub v4: bool,
    pub v6: bool,
}

/// The families `service` names (`dhcp4`, `dhcp6`), or, without one, those
/// of the sections that list the socket the request came in on; only
/// families this server runs. Neither: the families it runs.
pub(super) fn targets(ctx: &ControlCtx, service: Option<&Value>) -> Targets {
    let running = ctx.shared.snapshot();
    let runs4 = ctx.shared.v4.is_some();
    let runs6 = ctx.shared.v6.is_some();
    let names: Vec<&str> = service
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let (want4, want6) = if !names.is_empty() {
        (names.contains(&"dhcp4"), names.contains(&"dhcp6"))
    } else if let Some(s) = &ctx.socket {
        let same = |c: &ruru_config::ControlSocket| match (c, s) {
            (
                ruru_config::ControlSocket::Unix { path: a },
                ruru_config::ControlSocket::Unix { path: b },
            ) => a == b,
            (ruru_config::ControlSocket::Http(a), ruru_config::ControlSocket::Http(b)) => {
                a.addr == b.addr
            }
            _ => false,
        };
        let in4 = running
            .config
            .dhcp4
            .as_ref()
            .is_some_and(|d| d.control_sockets.iter().any(same));
        let in6 = running
            .config
            .dhcp6
            .as_ref()
            .is_some_and(|d| d.control_sockets.iter().any(same));
        (in4, in6)
    } else {
        (true, true)
    };
    let t = Targets {
        v4: want4 && runs4,
        v6: want6 && runs6,
    };
    if t.v4 || t.v6 {
        t
    } else {
        Targets {
            v4: runs4,
            v6: runs6,
        }
    }
}

/// Kea result codes.
pub const SUCCESS: i64 = 0;
pub const ERROR: i64 = 1;
pub const UNSUPPORTED: i64 = 2;
pub const EMPTY: i64 = 3;

/// The commands of this module, sorted; with
/// [`COMMANDS6`](super::commands6::COMMANDS6) every command ruru answers
/// (`list-commands`).
pub const COMMANDS: &[&str] = &[
    "build-report",
    "config-get",
    "config-reload",
    "config-set",
    "config-test",
    "config-write",
    "dhcp-disable",
    "dhcp-enable",
    "lease4-add",
    "lease4-del",
    "lease4-get",
    "lease4-get-all",
    "lease4-get-by-client-id",
    "lease4-get-by-hostname",
    "lease4-get-by-hw-address",
    "lease4-get-page",
    "lease4-resend-ddns",
    "lease4-update",
    "lease4-wipe",
    "leases-reclaim",
    "list-commands",
    "reservation-add",
    "reservation-del",
    "reservation-get",
    "reservation-get-all",
    "reservation-get-by-address",
    "reservation-get-by-hostname",
    "reservation-get-by-id",
    "reservation-get-page",
    "reservation-update",
    "server-tag-get",
    "shutdown",
    "stat-lease4-get",
    "statistic-get",
    "statistic-get-all",
    "statistic-remove",
    "statistic-remove-all",
    "statistic-reset",
    "statistic-reset-all",
    "statistic-sample-age-set",
    "statistic-sample-age-set-all",
    "statistic-sample-count-set",
    "statistic-sample-count-set-all",
    "status-get",
    "version-get",
];

/// The commands of the targeted families, sorted (`list-commands`): a
/// socket of the `Dhcp6` section lists no `lease4-*`, as kea-dhcp6 would.
fn commands_for(t: Targets, ha: bool) -> Vec<&'static str> {
    // lease4-*, stat-lease4-get: the DHCPv4-only commands.
    let v4_only = |c: &str| c.contains("4-");
    let mut all: Vec<&str> = COMMANDS
        .iter()
        .filter(|c| t.v4 || !v4_only(c))
        .chain(COMMANDS6.iter().filter(|_| t.v6))
        .chain(super::subnets::COMMANDS4.iter().filter(|_| t.v4))
        .chain(super::subnets::COMMANDS6.iter().filter(|_| t.v6))
        .chain(super::classes::COMMANDS.iter())
        .chain(crate::ha::commands::COMMANDS.iter().filter(|_| ha))
        .copied()
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// The Kea services (`"service"` of a request) this process answers for:
/// `dhcp4` when it runs a `Dhcp4` section, `dhcp6` when it runs a `Dhcp6`
/// one.
fn served_services(ctx: &ControlCtx) -> Vec<&'static str> {
    let mut s = Vec::new();
    if ctx.shared.v4.is_some() {
        s.push("dhcp4");
    }
    if ctx.shared.v6.is_some() {
        s.push("dhcp6");
    }
    s
}

/// The DHCPv4 service, or the answer a DHCPv4 command gets from a server
/// without a `Dhcp4` section.
fn service4(ctx: &ControlCtx, command: &str) -> Result<Arc<FamilyService<V4s>>, Value> {
    ctx.shared.v4.clone().ok_or_else(|| {
        answer(
            UNSUPPORTED,
            format!("'{command}' command not supported: this server runs no Dhcp4 section."),
            None,
        )
    })
}

/// A Kea-shaped response.
pub fn answer(result: i64, text: impl Into<String>, arguments: Option<Value>) -> Value {
    let mut v = json!({ "result": result, "text": text.into() });
    if let Some(a) = arguments {
        v["arguments"] = a;
    }
    v
}

pub(super) fn ok(text: impl Into<String>, args: Value) -> Value {
    answer(SUCCESS, text, Some(args))
}

pub(super) fn err(text: impl Into<String>) -> Value {
    answer(ERROR, text, None)
}

/// A handler's outcome: `Err` holds a ready error answer (result 1).
pub(super) type Res = Result<Value, Value>;

/// Parses and runs one request; never panics on input, always answers.
/// A request that is not JSON, or that repeats a key in any object, is
/// answered with result 1 and not run. Hook libraries see each processed
/// command at `command_processed` and may replace the response.
pub fn dispatch(ctx: &ControlCtx, body: &[u8]) -> Value {
    let req = match super::json::from_slice(body) {
        Ok(v) => v,
        // A repeated key (the only data error the parser makes) is valid
        // JSON, just not an acceptable request.
        Err(e) if e.classify() == serde_json::error::Category::Data => return err(e.to_string()),
        Err(e) => return err(format!("invalid JSON: {e}")),
    };
    let response = run(ctx, &req);
    let Some(hooks) = ctx.shared.snapshot().hooks.clone() else {
        return response;
    };
    if !ruru_engine::HookDispatch::has(&*hooks, ruru_engine::HookPoint::CommandProcessed) {
        return response;
    }
    let Some(name) = req.get("command").and_then(Value::as_str) else {
        return response;
    };
    let args = req.get("arguments").cloned().unwrap_or(Value::Null);
    hooks.command_processed(name, &args, response)
}

fn run(ctx: &ControlCtx, req: &Value) -> Value {
    let Some(obj) = req.as_object() else {
        return err("the request must be a JSON object with a \"command\"");
    };
    let Some(command) = obj.get("command").and_then(Value::as_str) else {
        return err("missing \"command\" (a string)");
    };
    if let Some(svc) = obj.get("service") {
        let names: Option<Vec<&str>> = svc
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        let served = served_services(ctx);
        match names {
            Some(n) if n.is_empty() || n.iter().any(|s| served.contains(s)) => {}
            _ => {
                return err(format!(
                    "service {svc} is not served here (this server is {})",
                    served.join(", ")
                ))
            }
        }
    }
    let empty = Value::Object(Map::new());
    let args = match obj.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(a @ Value::Object(_)) => a,
        Some(_) => return err("\"arguments\" must be a JSON object"),
    };
    let r = match command {
        "list-commands" => Ok(ok(
            "List of commands.",
            json!(commands_for(
                targets(ctx, obj.get("service")),
                ha_runs(ctx, obj.get("service"))
            )),
        )),
        "version-get" => Ok(ok(
            env!("CARGO_PKG_VERSION"),
            json!({ "extended": format!("ruru {} (Kea-compatible DHCPv4 and DHCPv6 server)", env!("CARGO_PKG_VERSION")) }),
        )),
        "build-report" => Ok(answer(SUCCESS, build_report(), None)),
        "server-tag-get" => Ok(server_tag_get(ctx, targets(ctx, obj.get("service")))),
        "status-get" => Ok(status_get(ctx, targets(ctx, obj.get("service")))),
        "shutdown" => {
            // Answer first: the shutdown starts once the answer had time to
            // be written (the transports write it right after dispatch).
            let sh = ctx.shared.clone();
            let _ = std::thread::Builder::new()
                .name("ruru-shutdown".into())
                .spawn(move || {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    sh.shutdown.notify_one();
                });
            Ok(answer(SUCCESS, "Shutting down.", None))
        }
        "dhcp-disable" => dhcp_disable(ctx, targets(ctx, obj.get("service")), args),
        "dhcp-enable" => origin_arg(args).map(|origin| {
            let t = targets(ctx, obj.get("service"));
            let enable = |s: &crate::switch::Switch| s.enable_by(origin);
            if let Some(v4) = ctx.shared.v4.as_ref().filter(|_| t.v4) {
                enable(&v4.switch);
            }
            if let Some(v6) = ctx.shared.v6.as_ref().filter(|_| t.v6) {
                enable(&v6.switch);
            }
            answer(SUCCESS, "DHCP service successfully enabled", None)
        }),
        c if crate::ha::commands::COMMANDS.contains(&c) => {
            Ok(ha_command(ctx, obj.get("service"), c, args))
        }
        c if super::subnets::Fam::of(c).is_some() => super::subnets::run(ctx, c, args),
        c if c.contains("4-") && COMMANDS.contains(&c) => match service4(ctx, c) {
            Ok(v4) => run4(ctx, &v4, c, args),
            Err(e) => Err(e),
        },
        c if COMMANDS6.contains(&c) => commands6::run(ctx, c, args),
        "config-get" => Ok(ok(
            "Configuration returned.",
            super::secrets::redact(&ctx.shared.snapshot().config.raw),
        )),
        "config-test" => config_from_args(ctx, args).and_then(|c| {
            crate::hooks::check_config(&c).map_err(|e| err(e.to_string()))?;
            Ok(answer(SUCCESS, "Configuration seems sane.", None))
        }),
        "config-set" => config_set(ctx, args),
        "config-reload" => ctx
            .shared
            .reload()
            .map(|_| answer(SUCCESS, "Configuration successful.", None))
            .map_err(|e| err(format!("Config reload failed: {e}"))),
        "config-write" => config_write(ctx, args),
        "leases-reclaim" => leases_reclaim(ctx, obj.get("service"), args),
        c if c.starts_with("reservation-") => reservations::run(ctx, c, obj.get("service"), args),
        c if super::classes::COMMANDS.contains(&c) => {
            super::classes::run(ctx, c, obj.get("service"), args)
        }
        c if c.starts_with("statistic-") => Ok(super::statistics::run(
            ctx,
            targets(ctx, obj.get("service")),
            c,
            args,
        )),
        other => {
            return answer(
                UNSUPPORTED,
                format!("'{other}' command not supported."),
                None,
            )
        }
    };
    r.unwrap_or_else(|e| e)
}

/// Whether a targeted family runs HA (its commands are listed).
fn ha_runs(ctx: &ControlCtx, service: Option<&Value>) -> bool {
    let t = targets(ctx, service);
    ctx.shared
        .v4
        .as_ref()
        .filter(|_| t.v4)
        .is_some_and(|s| s.ha.load().is_some())
        || ctx
            .shared
            .v6
            .as_ref()
            .filter(|_| t.v6)
            .is_some_and(|s| s.ha.load().is_some())
}

/// The HA commands (`ha-*`) of the family the request targets (DHCPv4
/// when both are targeted and run HA).
fn ha_command(ctx: &ControlCtx, service: Option<&Value>, c: &str, args: &Value) -> Value {
    let t = targets(ctx, service);
    let v4 = ctx
        .shared
        .v4
        .as_ref()
        .filter(|_| t.v4)
        .and_then(|s| s.ha.load_full());
    let v6 = ctx
        .shared
        .v6
        .as_ref()
        .filter(|_| t.v6)
        .and_then(|s| s.ha.load_full());
    match v4.or(v6) {
        Some(ha) => ha.command(c, args),
        None => answer(UNSUPPORTED, format!("'{c}' command not supported."), None),
    }
}

/// `server-tag-get`: the section's `server-tag` (`""` when not set), as
/// Kea answers it: `{"result": 0, "arguments": {"server-tag": ...}}`, no
/// text. A socket of both sections answers with `Dhcp4`'s tag (with
/// `"service": ["dhcp6"]`, `Dhcp6`'s).
fn server_tag_get(ctx: &ControlCtx, t: Targets) -> Value {
    let running = ctx.shared.snapshot();
    let c = &running.config;
    let v4 = c.dhcp4.as_ref().filter(|_| t.v4).map(|d| &d.server_tag);
    let v6 = c.dhcp6.as_ref().filter(|_| t.v6).map(|d| &d.server_tag);
    let tag = v4.or(v6).cloned().unwrap_or_default();
    json!({ "result": SUCCESS, "arguments": { "server-tag": tag } })
}

/// Runs one of the DHCPv4 commands (`lease4-*`, `stat-lease4-get`) on the
/// DHCPv4 service.
fn run4(ctx: &ControlCtx, v4: &FamilyService<V4s>, command: &str, args: &Value) -> Res {
    let store = v4.store.as_ref();
    match command {
        "lease4-add" => lease_add(ctx, v4, args, false),
        "lease4-update" => lease_add(ctx, v4, args, true),
        "lease4-get" => lease_get(v4, args),
        "lease4-get-all" => family::get_all::<V4>(store, args),
        "lease4-get-page" => family::get_page::<V4>(store, args),
        "lease4-get-by-hw-address" => lease_get_by(v4, args, "hw-address"),
        "lease4-get-by-client-id" => lease_get_by(v4, args, "client-id"),
        "lease4-get-by-hostname" => family::get_by_hostname::<V4>(store, args),
        "lease4-del" => lease_del(v4, args),
        "lease4-resend-ddns" => {
            let ip = req_str(args, "ip-address")?;
            let addr: std::net::Ipv4Addr = ip
                .parse()
                .map_err(|_| err(format!("'{ip}' is not a valid IPv4 address.")))?;
            let engine = v4.engine();
            resend_ddns(ip, store.get4(addr).map(|l| (l.hostname.clone(), l)), |l| {
                engine.resend_ddns(l)
            })
        }
        "lease4-wipe" => change4(v4, |c| family::wipe::<V4>(c, args)),
        "stat-lease4-get" => stat_lease4_get(ctx, v4, args),
        other => Ok(answer(
            UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

// ---- argument helpers ----

pub(super) fn arg<'a>(args: &'a Value, key: &str) -> Option<&'a Value> {
    args.get(key).filter(|v| !v.is_null())
}

pub(super) fn req_str<'a>(args: &'a Value, key: &str) -> Result<&'a str, Value> {
    match arg(args, key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(err(format!("'{key}' is not a string"))),
        None => Err(err(format!("'{key}' parameter not specified"))),
    }
}

pub(super) fn opt_str<'a>(args: &'a Value, key: &str) -> Result<Option<&'a str>, Value> {
    match arg(args, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(err(format!("'{key}' is not a string"))),
    }
}

pub(super) fn opt_u64(args: &Value, key: &str) -> Result<Option<u64>, Value> {
    match arg(args, key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| err(format!("'{key}' is not a non-negative integer"))),
    }
}

pub(super) fn opt_u32(args: &Value, key: &str) -> Result<Option<u32>, Value> {
    opt_u64(args, key)?
        .map(|v| u32::try_from(v).map_err(|_| err(format!("'{key}' is out of range"))))
        .transpose()
}

pub(super) fn opt_bool(args: &Value, key: &str) -> Result<Option<bool>, Value> {
    match arg(args, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(err(format!("'{key}' is not a boolean"))),
    }
}

fn ip_arg(args: &Value, key: &str) -> Result<Ipv4Addr, Value> {
    let s = req_str(args, key)?;
    s.parse()
        .map_err(|_| err(format!("'{key}' is not an IPv4 address: {s}")))
}

pub(super) fn hw_arg(s: &str) -> Result<Vec<u8>, Value> {
    ruru_config::parse_hw_address(s).ok_or_else(|| err(format!("invalid hw-address: {s}")))
}

fn cid_arg(s: &str) -> Result<Vec<u8>, Value> {
    ruru_lease::csv::parse_hex(s).map_err(|e| err(format!("invalid client-id {s}: {e}")))
}

fn now() -> u64 {
    crate::now()
}

// ---- server ----

fn build_report() -> String {
    format!(
        "ruru {}\nKea-compatible DHCPv4 and DHCPv6 server\nlease backends: memfile, postgresql, mysql\ncontrol: unix, http(s)\nbuilt with rustc for {}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// Kea's `status-get` of the targeted family (DHCPv4 when both are
/// targeted, as the first section): its multi-threading settings and
/// sockets.
fn status_get(ctx: &ControlCtx, t: Targets) -> Value {
    let sh = &ctx.shared;
    let running = sh.snapshot();
    let reload = crate::lock(&sh.last_reload).elapsed().as_secs();
    let (mt, sockets) = if t.v4 {
        (
            running.config.dhcp4.as_ref().map(|d| d.multi_threading),
            sh.v4.as_ref().map_or(0, |v4| v4.socket_count()),
        )
    } else {
        (
            running.config.dhcp6.as_ref().map(|d| d.multi_threading),
            sh.v6.as_ref().map_or(0, |v6| v6.socket_count()),
        )
    };
    let mut args = json!({
        "pid": std::process::id(),
        "uptime": sh.started.elapsed().as_secs(),
        "reload": reload,
        "multi-threading-enabled": mt.is_some_and(|m| m.enabled),
        "thread-pool-size": mt.map_or(0, |m| m.thread_pool_size),
        "packet-queue-size": mt.map_or(0, |m| m.packet_queue_size),
        "sockets": { "status": if sockets > 0 { "ready" } else { "failed" }, "count": sockets },
    });
    // libdhcp_ha.so's part.
    let ha = if t.v4 {
        sh.v4.as_ref().and_then(|s| s.ha.load_full())
    } else {
        sh.v6.as_ref().and_then(|s| s.ha.load_full())
    };
    if let Some(ha) = ha {
        args["high-availability"] = ha.status();
    }
    ok("", args)
}

/// The origin of `dhcp-disable` / `dhcp-enable`: Kea 2.6's numeric
/// `origin-id` first, else `origin`: `"user"` (the default), Kea 2.2's
/// `"ha-partner"` (2000), or a number.
fn origin_arg(args: &Value) -> Result<Origin, Value> {
    let by_id = |id: u64| {
        Origin::from_id(id).ok_or_else(|| {
            err(format!(
                "unsupported origin {id}: expected 1 (user), 1000-1015 or 2000-2015 (HA)"
            ))
        })
    };
    match arg(args, "origin-id") {
        None => {}
        Some(v) => match v.as_u64() {
            Some(id) => return by_id(id),
            None => return Err(err("'origin-id' argument must be a number")),
        },
    }
    match arg(args, "origin") {
        None => Ok(Origin::User),
        Some(Value::String(s)) if s == "user" => Ok(Origin::User),
        Some(Value::String(s)) if s == "ha-partner" => Ok(Origin::HaRemote(0)),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(id) => by_id(id),
            None => Err(err(format!(
                "invalid value used for 'origin' parameter: {n}"
            ))),
        },
        Some(Value::String(s)) => Err(err(format!(
            "invalid value used for 'origin' parameter: {s}"
        ))),
        Some(other) => Err(err(format!(
            "invalid value used for 'origin' parameter: {other}"
        ))),
    }
}

/// Kea's `dhcp-disable` for the families of `t` (`max-period`: seconds).
fn dhcp_disable(ctx: &ControlCtx, t: Targets, args: &Value) -> Res {
    let period = match opt_u64(args, "max-period")? {
        Some(0) => return Err(err("'max-period' must be positive integer")),
        p => p,
    };
    let origin = origin_arg(args)?;
    let now = now();
    let mut names = Vec::new();
    let disable = |s: &crate::switch::Switch| s.disable_by(origin, now, period);
    if let Some(v4) = ctx.shared.v4.as_ref().filter(|_| t.v4) {
        disable(&v4.switch);
        names.push("DHCPv4");
    }
    if let Some(v6) = ctx.shared.v6.as_ref().filter(|_| t.v6) {
        disable(&v6.switch);
        names.push("DHCPv6");
    }
    Ok(answer(
        SUCCESS,
        format!("{} service disabled", names.join(" and ")),
        None,
    ))
}

/// Kea's stat_cmds `stat-lease4-get`: lease counts per subnet as a result set.
fn stat_lease4_get(ctx: &ControlCtx, v4: &FamilyService<V4s>, args: &Value) -> Res {
    let running = ctx.shared.snapshot();
    let configured: Vec<u32> = running
        .config
        .dhcp4
        .as_ref()
        .map_or(&[][..], |d| &d.subnets[..])
        .iter()
        .map(|s| s.id)
        .collect();
    let ids = family::stat_subnets(args, &configured)?;
    let stats = &v4.stats;
    let get = |id: u32, n: &str| stats.lookup(&format!("subnet[{id}].{n}")).unwrap_or(0);
    let rows: Vec<Value> = ids
        .iter()
        .map(|&id| {
            json!([
                id,
                get(id, "total-addresses"),
                get(id, "cumulative-assigned-addresses"),
                get(id, "assigned-addresses"),
                get(id, "declined-addresses")
            ])
        })
        .collect();
    Ok(family::result_set(
        "stat-lease4-get",
        &[
            "subnet-id",
            "total-addresses",
            "cumulative-assigned-addresses",
            "assigned-addresses",
            "declined-addresses",
        ],
        rows,
    ))
}

// ---- configuration ----

/// Validates the `{"Dhcp4": ...}` in `args` as a configuration file:
/// secrets left as `config-get`'s placeholder keep their running values,
/// and the files it would write must lie in the allowed directories
/// ([`super::paths`]).
fn config_from_args(ctx: &ControlCtx, args: &Value) -> Result<ruru_config::Config, Value> {
    if args.get("Dhcp4").is_none() && args.get("Dhcp6").is_none() {
        return Err(err("Missing mandatory 'Dhcp4' or 'Dhcp6' parameter."));
    }
    let running = ctx.shared.snapshot();
    let mut args = args.clone();
    // As each Kea daemon takes its own section: a section the request
    // leaves out stays as it runs.
    if let (Value::Object(new), Value::Object(old)) = (&mut args, &running.config.raw) {
        for (name, section) in old {
            if name.starts_with("Dhcp") && !new.contains_key(name) {
                new.insert(name.clone(), section.clone());
            }
        }
    }
    super::secrets::restore(&mut args, &running.config.raw);
    let config = load_api(ctx, &args)?;
    ctx.shared.allowed.check(&config).map_err(err)?;
    Ok(config)
}

/// Validates a configuration received through the API (or an edited copy
/// of the running one) as the startup files would be; each section keeps
/// the file it came from (for `config-write`), a new one goes to the first.
pub(super) fn load_api(ctx: &ControlCtx, value: &Value) -> Result<ruru_config::Config, Value> {
    let text = serde_json::to_string(value).map_err(|e| err(e.to_string()))?;
    let mut config =
        ruru_config::load_str_with(&text, &ctx.shared.config_path, ctx.shared.allowed.places())
            .map_err(|e| err(e.to_string()))?;
    let running = ctx.shared.snapshot();
    for (name, file) in config.sections.iter_mut() {
        if let Some((_, f)) = running.config.sections.iter().find(|(n, _)| n == name) {
            file.clone_from(f);
        }
    }
    Ok(config)
}

fn config_set(ctx: &ControlCtx, args: &Value) -> Res {
    // Not in the middle of an edit (whose apply would undo this one).
    let _edit = EDIT_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let config = config_from_args(ctx, args)?;
    ctx.shared.apply(config).map_err(|e| err(e.to_string()))?;
    Ok(answer(SUCCESS, "Configuration successful.", None))
}

/// Kea's `config-write`, within the startup configuration's directory
/// ([`super::paths::write_target`]). Without `filename`, each startup file
/// gets back the sections it held (one file: the whole configuration).
fn config_write(ctx: &ControlCtx, args: &Value) -> Res {
    let raw = ctx.shared.snapshot().config.raw.clone();
    let filename = opt_str(args, "filename")?;
    let targets: Vec<(PathBuf, Value)> = match filename {
        Some(_) => vec![(ctx.shared.config_path.clone(), raw)],
        None if ctx.shared.config_paths.len() <= 1 => {
            vec![(ctx.shared.config_path.clone(), raw)]
        }
        None => {
            let running = ctx.shared.snapshot();
            ctx.shared
                .config_paths
                .iter()
                .map(|file| {
                    let part: Map<String, Value> = running
                        .config
                        .sections
                        .iter()
                        .filter(|(_, f)| f == file)
                        .filter_map(|(name, _)| raw.get(name).map(|v| (name.clone(), v.clone())))
                        .collect();
                    (file.clone(), Value::Object(part))
                })
                .collect()
        }
    };
    let mut written = Vec::new();
    let mut size = 0;
    for (startup, value) in targets {
        let path = super::paths::write_target(&startup, filename)
            .map_err(|e| err(format!("Unable to write the configuration: {e}")))?;
        let text = serde_json::to_string_pretty(&value).map_err(|e| err(e.to_string()))?;
        let mode = if super::secrets::has_secrets(&value) {
            ruru_lease::files::SECRET_MODE
        } else {
            ruru_lease::files::FILE_MODE
        };
        super::paths::write_file(&path, text.as_bytes(), mode).map_err(|e| {
            err(format!(
                "Unable to write the configuration to {}: {e}",
                path.display()
            ))
        })?;
        size += text.len();
        written.push(path.display().to_string());
    }
    Ok(ok(
        format!("Configuration written to {} successful", written.join(", ")),
        json!({ "filename": written.join(", "), "size": size }),
    ))
}

pub(super) use crate::state::EDIT_LOCK;

/// Applies an edited copy of the running configuration's JSON.
pub(super) fn apply_raw(ctx: &ControlCtx, raw: &Value) -> Result<(), Value> {
    let config = load_api(ctx, raw)?;
    ctx.shared.apply(config).map_err(|e| err(e.to_string()))
}

// ---- leases ----

/// Kea's JSON form of a lease.
pub fn lease_json(l: &Lease4) -> Value {
    let mut v = json!({
        "ip-address": l.addr.to_string(),
        "hw-address": hex(&l.hwaddr),
        "valid-lft": l.valid_lifetime,
        "cltt": l.cltt(),
        "subnet-id": l.subnet_id,
        "fqdn-fwd": l.fqdn_fwd,
        "fqdn-rev": l.fqdn_rev,
        "hostname": l.hostname,
        "state": l.state.code(),
    });
    if let Some(c) = &l.client_id {
        v["client-id"] = json!(hex(c));
    }
    if !l.user_context.is_empty() {
        if let Ok(u) = serde_json::from_str::<Value>(&l.user_context) {
            v["user-context"] = u;
        }
    }
    // Kea 2.4+ shows the pool id only when there is one.
    if l.pool_id != 0 {
        v["pool-id"] = json!(l.pool_id);
    }
    v
}

impl Family for V4 {
    type Lease = Lease4;
    type Addr = Ipv4Addr;
    const IP: &'static str = "IPv4";

    fn addr(l: &Lease4) -> Ipv4Addr {
        l.addr
    }
    fn subnet_id(l: &Lease4) -> u32 {
        l.subnet_id
    }
    fn hostname(l: &Lease4) -> &str {
        &l.hostname
    }
    fn json(l: &Lease4) -> Value {
        lease_json(l)
    }
    fn added_text(l: &Lease4) -> String {
        format!("Lease for address {} added.", l.addr)
    }
    fn all(store: &dyn LeaseStore) -> Vec<Lease4> {
        store.all4()
    }
    fn stored(store: &dyn LeaseStore, l: &Lease4) -> Option<Lease4> {
        store.get4(l.addr)
    }
    fn add(store: &dyn LeaseStore, l: &Lease4) -> Result<(), LeaseError> {
        store.add4(l)
    }
    fn update(store: &dyn LeaseStore, l: &Lease4) -> Result<(), LeaseError> {
        store.update4(l)
    }
    fn delete(store: &dyn LeaseStore, l: &Lease4) -> Result<bool, LeaseError> {
        store.delete4(l.addr)
    }
}

fn subnet_for(ctx: &ControlCtx, addr: Ipv4Addr, id: Option<u32>) -> Result<Subnet4, Value> {
    let running = ctx.shared.snapshot();
    let subnets = running
        .config
        .dhcp4
        .as_ref()
        .map_or(&[][..], |d| &d.subnets[..]);
    match id.filter(|i| *i != 0) {
        Some(i) => {
            let s = subnets.iter().find(|s| s.id == i).ok_or_else(|| {
                err(format!(
                    "Invalid subnet-id: No IPv4 subnet with subnet-id={i} currently configured."
                ))
            })?;
            if !s.contains(addr) {
                return Err(err(format!(
                    "The address {addr} does not belong to subnet {}/{}, subnet-id={i}",
                    s.addr, s.prefix_len
                )));
            }
            Ok(s.clone())
        }
        None => subnets
            .iter()
            .find(|s| s.contains(addr))
            .cloned()
            .ok_or_else(|| {
                err(format!(
                    "subnet-id not specified and failed to find a subnet for address {addr}"
                ))
            }),
    }
}

fn lease_from_args(ctx: &ControlCtx, args: &Value) -> Result<Lease4, Value> {
    let addr = ip_arg(args, "ip-address")?;
    let subnet = subnet_for(ctx, addr, opt_u32(args, "subnet-id")?)?;
    // Empty for a declined lease, as Kea (and its HA partner) sends it.
    let hwaddr = match req_str(args, "hw-address")? {
        "" => Vec::new(),
        hw => hw_arg(hw)?,
    };
    let client_id = opt_str(args, "client-id")?.map(cid_arg).transpose()?;
    let valid = opt_u32(args, "valid-lft")?.unwrap_or(subnet.valid_lifetime.default);
    let fqdn_fwd = opt_bool(args, "fqdn-fwd")?.unwrap_or(false);
    let fqdn_rev = opt_bool(args, "fqdn-rev")?.unwrap_or(false);
    Ok(Lease4 {
        addr,
        hwaddr,
        client_id,
        valid_lifetime: valid,
        expire: family::expire_arg(args, valid, now())?,
        subnet_id: subnet.id,
        fqdn_fwd,
        fqdn_rev,
        hostname: family::hostname_arg(args, fqdn_fwd || fqdn_rev)?,
        state: family::state_arg(args)?,
        user_context: family::user_context_arg(args)?,
        // Kea 2.4+'s `pool-id`, stored as given (default 0, none).
        pool_id: opt_u32(args, "pool-id")?.unwrap_or(0),
    })
}

/// The store and the statistics recount of the DHCPv4 lease commands.
fn change4<R>(v4: &FamilyService<V4s>, f: impl FnOnce(&family::Change) -> R) -> R {
    // Statistics follow lease changes made by commands (with HA, the
    // partner's lease updates come one per exchange: the HA thread
    // recounts at most once a second instead).
    let ha = v4.ha.load_full();
    let recount = || match &ha {
        Some(ha) => ha.leases_changed(),
        None => v4.recount(),
    };
    f(&family::Change {
        store: v4.store.as_ref(),
        recount: &recount,
    })
}

fn lease_add(ctx: &ControlCtx, v4: &FamilyService<V4s>, args: &Value, update: bool) -> Res {
    let lease = lease_from_args(ctx, args)?;
    change4(v4, |c| family::add_or_update::<V4>(c, &lease, update, args))
}

/// The lease named by `ip-address`, or by `identifier-type` + `identifier`
/// + `subnet-id`.
fn find_lease(v4: &FamilyService<V4s>, args: &Value) -> Result<Option<Lease4>, Value> {
    let store = &v4.store;
    if arg(args, "ip-address").is_some() {
        return Ok(store.get4(ip_arg(args, "ip-address")?));
    }
    let kind = req_str(args, "identifier-type")?;
    let ident = req_str(args, "identifier")?;
    let subnet =
        opt_u32(args, "subnet-id")?.ok_or_else(|| err("'subnet-id' parameter not specified"))?;
    let leases = match kind {
        "hw-address" => store.get4_by_hwaddr(&hw_arg(ident)?),
        "client-id" => store.get4_by_client_id(&cid_arg(ident)?),
        other => return Err(err(format!("Incorrect identifier type: {other}, the only supported values are: address, hw-address, client-id"))),
    };
    Ok(leases.into_iter().find(|l| l.subnet_id == subnet))
}

fn lease_get(v4: &FamilyService<V4s>, args: &Value) -> Res {
    match find_lease(v4, args)? {
        Some(l) => Ok(ok("IPv4 lease found.", lease_json(&l))),
        None => Ok(answer(EMPTY, "Lease not found.", None)),
    }
}

fn lease_get_by(v4: &FamilyService<V4s>, args: &Value, by: &str) -> Res {
    let value = req_str(args, by)?;
    let store = &v4.store;
    let leases = match by {
        "hw-address" => store.get4_by_hwaddr(&hw_arg(value)?),
        _ => store.get4_by_client_id(&cid_arg(value)?),
    };
    Ok(family::leases_answer::<V4>(leases))
}

fn lease_del(v4: &FamilyService<V4s>, args: &Value) -> Res {
    let found = find_lease(v4, args)?;
    change4(v4, |c| family::delete::<V4>(c, found))
}

/// Kea's `lease4-resend-ddns` / `lease6-resend-ddns` (lease_cmds): the
/// DNS add of the lease at `ip` asked for again, with Kea's answers.
pub(super) fn resend_ddns<L>(
    ip: &str,
    found: Option<(String, L)>,
    queue: impl FnOnce(&L) -> bool,
) -> Res {
    let Some((hostname, l)) = found else {
        return Ok(answer(EMPTY, format!("No lease found for: {ip}"), None));
    };
    if hostname.is_empty() {
        return Err(err(format!(
            "Lease for: {ip}, has no hostname, nothing to update"
        )));
    }
    if !queue(&l) {
        return Err(err("DDNS updating is not enabled"));
    }
    Ok(answer(
        SUCCESS,
        format!("NCR generated for: {ip}, hostname: {hostname}"),
        None,
    ))
}

/// Kea's `leases-reclaim`, in the targeted families ([`targets`]).
fn leases_reclaim(ctx: &ControlCtx, service: Option<&Value>, args: &Value) -> Res {
    let remove =
        opt_bool(args, "remove")?.ok_or_else(|| err("'remove' parameter not specified"))?;
    let t = now();
    let which = targets(ctx, service);
    let mut n = 0;
    if let Some(v4) = ctx.shared.v4.as_ref().filter(|_| which.v4) {
        n += v4.reclaim_all(t, remove).map_err(|e| err(e.to_string()))?;
    }
    if let Some(v6) = ctx.shared.v6.as_ref().filter(|_| which.v6) {
        n += v6.reclaim_all(t, remove).map_err(|e| err(e.to_string()))?;
    }
    Ok(answer(
        SUCCESS,
        format!("Reclamation of expired leases is complete ({n} reclaimed)."),
        None,
    ))
}
