//! The DHCPv6 commands: Kea's lease_cmds `lease6-*`, stat_cmds
//! `stat-lease6-get` (`subnet6-*` are in `subnets`).
//!
//! They work on the DHCPv6 service's lease store and the running `Dhcp6`
//! configuration through a [`View6`], so that they can be tested without a
//! running server ([`run`] builds one from the server's shared state). What
//! they have in common with the DHCPv4 commands (lists sorted by address,
//! paging, add/update/delete/wipe, result sets) is in
//! `family`; this module holds what is DHCPv6's own: the lease JSON
//! (`type`, `duid`, `iaid`, `preferred-lft`, `prefix-len`), the lease
//! arguments, lookups by DUID and IA, and the `stat-lease6-get` columns.
//!
//! Without a running DHCPv6 service (no `Dhcp6` section at start-up) these
//! commands answer result 2, as a Kea DHCPv4 server does.

use std::net::Ipv6Addr;

use ruru_config::{Dhcp6, Subnet6};
use ruru_lease::csv::{format_hex, parse_hex, v6::MAX_DUID_LEN};
use ruru_lease::{Lease6, LeaseError, LeaseState, LeaseStore, LeaseType6};
use serde_json::{json, Value};

use super::commands::{
    answer, arg, err, hw_arg, ok, opt_bool, opt_str, opt_u32, req_str, ControlCtx, Res, EMPTY,
    SUCCESS, UNSUPPORTED,
};
use super::family::{self, Change, Family, V6};

/// The DHCPv6 commands, sorted (part of `list-commands`).
pub const COMMANDS6: &[&str] = &[
    "lease6-add",
    "lease6-bulk-apply",
    "lease6-del",
    "lease6-get",
    "lease6-get-all",
    "lease6-get-by-duid",
    "lease6-get-by-hostname",
    "lease6-get-page",
    "lease6-resend-ddns",
    "lease6-update",
    "lease6-wipe",
    "stat-lease6-get",
];

/// The columns of `stat-lease6-get` (Kea 2.2's stat_cmds).
const STAT_COLUMNS: [&str; 8] = [
    "subnet-id",
    "total-nas",
    "cumulative-assigned-nas",
    "assigned-nas",
    "declined-nas",
    "total-pds",
    "cumulative-assigned-pds",
    "assigned-pds",
];

/// What the DHCPv6 commands work on.
pub(super) struct View6<'a> {
    /// The running `Dhcp6` configuration.
    pub cfg: &'a Dhcp6,
    pub store: &'a dyn LeaseStore,
    /// Source of `total-*` and `cumulative-assigned-*` in `stat-lease6-get`.
    pub stats: &'a ruru_engine::Stats,
    /// Recomputes the lease statistics after a command changed leases.
    pub recount: &'a dyn Fn(),
    /// Unix seconds (lease expiry defaults to `now + valid-lft`).
    pub now: u64,
}

/// Runs a DHCPv6 command against the running server.
pub(super) fn run(ctx: &ControlCtx, command: &str, args: &Value) -> Res {
    let Some(svc) = ctx.shared.v6.clone() else {
        return Ok(answer(
            UNSUPPORTED,
            format!("'{command}' command not supported: this server runs no Dhcp6 section."),
            None,
        ));
    };
    let running = ctx.shared.snapshot();
    let engine = svc.engine();
    let store: &dyn LeaseStore = svc.store.as_ref();
    if command == "lease6-resend-ddns" {
        let ip = req_str(args, "ip-address")?;
        let addr: std::net::Ipv6Addr = ip
            .parse()
            .map_err(|_| err(format!("'{ip}' is not a valid IPv6 address.")))?;
        let found = store
            .get6(LeaseType6::Na, addr)
            .map(|l| (l.hostname.clone(), l));
        return super::commands::resend_ddns(ip, found, |l| engine.resend_ddns(l));
    }
    // With HA, the partner's lease updates come one per exchange: the HA
    // thread recounts at most once a second instead.
    let ha = svc.ha.load_full();
    let recount = || match &ha {
        Some(ha) => ha.leases_changed(),
        None => engine.recount(store),
    };
    let view = View6 {
        // The configuration and its JSON of one snapshot.
        cfg: running.config.dhcp6.as_ref().unwrap_or(&engine.cfg),
        store,
        stats: &svc.stats,
        recount: &recount,
        now: crate::now(),
    };
    handle(&view, command, args)
}

/// Runs one of [`COMMANDS6`].
pub(super) fn handle(v: &View6, command: &str, args: &Value) -> Res {
    let c = Change {
        store: v.store,
        recount: v.recount,
    };
    match command {
        "lease6-add" => family::add_or_update::<V6>(&c, &lease_from_args(v, args)?, false, args),
        "lease6-update" => family::add_or_update::<V6>(&c, &lease_from_args(v, args)?, true, args),
        "lease6-get" => match find_lease(v, args)? {
            Some(l) => Ok(ok("IPv6 lease found.", lease6_json(&l))),
            None => Ok(answer(EMPTY, "Lease not found.", None)),
        },
        "lease6-get-all" => family::get_all::<V6>(v.store, args),
        "lease6-get-page" => family::get_page::<V6>(v.store, args),
        "lease6-get-by-duid" => {
            let duid = duid_arg(req_str(args, "duid")?)?;
            Ok(family::leases_answer::<V6>(v.store.get6_by_duid(&duid)))
        }
        "lease6-get-by-hostname" => family::get_by_hostname::<V6>(v.store, args),
        "lease6-del" => family::delete::<V6>(&c, find_lease(v, args)?),
        "lease6-wipe" => family::wipe::<V6>(&c, args),
        "lease6-bulk-apply" => bulk_apply(v, args),
        "stat-lease6-get" => stat_lease6_get(v, args),
        other => Ok(answer(
            UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

/// Kea's `lease6-bulk-apply` (lease_cmds; what an HA partner sends for
/// each DHCPv6 exchange): deletes the `deleted-leases`, adds or replaces
/// the `leases` (create forced), and lists what failed
/// (`failed-deleted-leases`, `failed-leases`). Result 0 when anything
/// was applied, 3 when nothing could be.
fn bulk_apply(v: &View6, args: &Value) -> Res {
    let list = |k: &str| match arg(args, k) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(err(format!("the parameter '{k}' must be a list"))),
    };
    let deleted = list("deleted-leases")?;
    let leases = list("leases")?;
    if arg(args, "deleted-leases").is_none() && arg(args, "leases").is_none() {
        return Err(err(
            "neither 'deleted-leases' nor 'leases' parameter specified",
        ));
    }
    let failure = |l: &Value, result: i64, msg: String| {
        let mut f = json!({
            "type": l.get("type").cloned().unwrap_or(json!("IA_NA")),
            "ip-address": l.get("ip-address").cloned().unwrap_or(Value::Null),
            "result": result,
            "error-message": msg,
        });
        if let Some(d) = l.get("duid") {
            f["duid"] = d.clone();
        }
        f
    };
    let text = |e: Value| {
        e.get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut applied = 0;
    let mut failed_deleted = Vec::new();
    let mut failed = Vec::new();
    for d in &deleted {
        match find_lease(v, d) {
            Ok(Some(l)) => match v.store.delete6(l.lease_type, l.address) {
                Ok(true) => applied += 1,
                Ok(false) => failed_deleted.push(failure(d, EMPTY, "lease not found".into())),
                Err(e) => failed_deleted.push(failure(d, 1, e.to_string())),
            },
            Ok(None) => failed_deleted.push(failure(d, EMPTY, "lease not found".into())),
            Err(e) => failed_deleted.push(failure(d, 1, text(e))),
        }
    }
    for l in &leases {
        let lease = match lease_from_args(v, l) {
            Ok(x) => x,
            Err(e) => {
                failed.push(failure(l, 1, text(e)));
                continue;
            }
        };
        let res = if v.store.get6(lease.lease_type, lease.address).is_some() {
            v.store.update6(&lease)
        } else {
            v.store.add6(&lease)
        };
        match res {
            Ok(()) => applied += 1,
            Err(e) => failed.push(failure(l, 1, e.to_string())),
        }
    }
    if applied > 0 {
        (v.recount)();
    }
    let n = deleted.len() + leases.len();
    let result = if applied > 0 || n == 0 {
        SUCCESS
    } else {
        EMPTY
    };
    let extra = (!failed_deleted.is_empty() || !failed.is_empty()).then(|| {
        let mut a = serde_json::Map::new();
        if !failed_deleted.is_empty() {
            a.insert("failed-deleted-leases".into(), json!(failed_deleted));
        }
        if !failed.is_empty() {
            a.insert("failed-leases".into(), json!(failed));
        }
        Value::Object(a)
    });
    Ok(answer(
        result,
        format!("Bulk apply of {n} IPv6 leases completed."),
        extra,
    ))
}

/// Kea's JSON form of a DHCPv6 lease (`Lease6::toElement`): `prefix-len`
/// only for a prefix, `hw-address` only when known.
pub fn lease6_json(l: &Lease6) -> Value {
    let mut v = json!({
        "ip-address": l.address.to_string(),
        "type": l.lease_type.to_string(),
        "iaid": l.iaid,
        "duid": format_hex(&l.duid),
        "subnet-id": l.subnet_id,
        "cltt": l.cltt(),
        "preferred-lft": l.pref_lifetime,
        "valid-lft": l.valid_lifetime,
        "fqdn-fwd": l.fqdn_fwd,
        "fqdn-rev": l.fqdn_rev,
        "hostname": l.hostname,
        "state": l.state.code(),
    });
    if l.lease_type == LeaseType6::Pd {
        v["prefix-len"] = json!(l.prefix_len);
    }
    if !l.hwaddr.is_empty() {
        v["hw-address"] = json!(format_hex(&l.hwaddr));
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

impl Family for V6 {
    type Lease = Lease6;
    type Addr = Ipv6Addr;
    const IP: &'static str = "IPv6";

    fn addr(l: &Lease6) -> Ipv6Addr {
        l.address
    }
    fn subnet_id(l: &Lease6) -> u32 {
        l.subnet_id
    }
    fn hostname(l: &Lease6) -> &str {
        &l.hostname
    }
    fn json(l: &Lease6) -> Value {
        lease6_json(l)
    }
    fn added_text(l: &Lease6) -> String {
        match l.lease_type {
            LeaseType6::Pd => format!(
                "Lease for prefix {}/{}, subnet-id {} added.",
                l.address, l.prefix_len, l.subnet_id
            ),
            _ => format!(
                "Lease for address {}, subnet-id {} added.",
                l.address, l.subnet_id
            ),
        }
    }
    fn all(store: &dyn LeaseStore) -> Vec<Lease6> {
        store.all6()
    }
    fn stored(store: &dyn LeaseStore, l: &Lease6) -> Option<Lease6> {
        store.get6(l.lease_type, l.address)
    }
    fn add(store: &dyn LeaseStore, l: &Lease6) -> Result<(), LeaseError> {
        store.add6(l)
    }
    fn update(store: &dyn LeaseStore, l: &Lease6) -> Result<(), LeaseError> {
        store.update6(l)
    }
    fn delete(store: &dyn LeaseStore, l: &Lease6) -> Result<bool, LeaseError> {
        store.delete6(l.lease_type, l.address)
    }
}

// ---- arguments ----

fn ip6_arg(args: &Value, key: &str) -> Result<Ipv6Addr, Value> {
    let s = req_str(args, key)?;
    s.parse()
        .map_err(|_| err(format!("Invalid IPv6 address specified: {s}")))
}

/// A DUID as Kea writes it (`00:01:ab`, or contiguous hex).
fn duid_arg(s: &str) -> Result<Vec<u8>, Value> {
    let d = parse_hex(s).map_err(|e| err(format!("invalid DUID: {e}")))?;
    if d.is_empty() || d.len() > MAX_DUID_LEN {
        return Err(err(format!(
            "invalid DUID '{s}': expected 1 to {MAX_DUID_LEN} bytes"
        )));
    }
    Ok(d)
}

/// `type`: `IA_NA` (the default), `IA_TA` or `IA_PD` (or Kea's codes
/// `"0"`, `"1"`, `"2"`).
fn type_arg(args: &Value) -> Result<LeaseType6, Value> {
    match opt_str(args, "type")? {
        None | Some("IA_NA" | "0") => Ok(LeaseType6::Na),
        Some("IA_TA" | "1") => Ok(LeaseType6::Ta),
        Some("IA_PD" | "2") => Ok(LeaseType6::Pd),
        Some(t) => Err(err(format!(
            "Invalid lease type specified: {t}, only supported values are: IA_NA, IA_TA and IA_PD"
        ))),
    }
}

/// The subnet of a lease being added: `subnet-id` (which must contain an
/// address lease's address), or, for an address lease only, the subnet
/// containing the address.
fn subnet_for(
    cfg: &Dhcp6,
    addr: Ipv6Addr,
    kind: LeaseType6,
    id: Option<u32>,
) -> Result<&Subnet6, Value> {
    match id.filter(|i| *i != 0) {
        Some(i) => {
            let s = cfg.subnets.iter().find(|s| s.id == i).ok_or_else(|| {
                err(format!(
                    "Invalid subnet-id: No IPv6 subnet with subnet-id={i} currently configured."
                ))
            })?;
            if kind == LeaseType6::Na && !s.contains(addr) {
                return Err(err(format!(
                    "The address {addr} does not belong to subnet {}/{}, subnet-id={i}",
                    s.addr, s.prefix_len
                )));
            }
            Ok(s)
        }
        None if kind != LeaseType6::Na => Err(err(
            "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.",
        )),
        None => cfg.subnets.iter().find(|s| s.contains(addr)).ok_or_else(|| {
            err(format!(
                "subnet-id not specified and failed to find a subnet for address {addr}"
            ))
        }),
    }
}

/// The lease of `lease6-add` / `lease6-update`, checked as Kea's
/// `Lease6Parser`: `ip-address`, `duid`, `iaid` required; `prefix-len`
/// required for `IA_PD`; lifetimes default to the subnet's.
fn lease_from_args(v: &View6, args: &Value) -> Result<Lease6, Value> {
    let address = ip6_arg(args, "ip-address")?;
    let duid = duid_arg(req_str(args, "duid")?)?;
    let lease_type = type_arg(args)?;
    let prefix_len = match lease_type {
        LeaseType6::Pd => {
            let len = opt_u32(args, "prefix-len")?
                .ok_or_else(|| err("'prefix-len' parameter not specified (required for IA_PD)"))?;
            u8::try_from(len)
                .ok()
                .filter(|l| (1..=128).contains(l))
                .ok_or_else(|| err(format!("'prefix-len' {len} is not between 1 and 128")))?
        }
        _ => 128,
    };
    let subnet = subnet_for(v.cfg, address, lease_type, opt_u32(args, "subnet-id")?)?;
    let iaid = opt_u32(args, "iaid")?.ok_or_else(|| err("'iaid' parameter not specified"))?;
    let hwaddr = opt_str(args, "hw-address")?
        .map(hw_arg)
        .transpose()?
        .unwrap_or_default();
    let valid = opt_u32(args, "valid-lft")?.unwrap_or(subnet.valid_lifetime.default);
    let pref = opt_u32(args, "preferred-lft")?.unwrap_or(subnet.preferred_lifetime.default);
    let fqdn_fwd = opt_bool(args, "fqdn-fwd")?.unwrap_or(false);
    let fqdn_rev = opt_bool(args, "fqdn-rev")?.unwrap_or(false);
    Ok(Lease6 {
        address,
        duid,
        valid_lifetime: valid,
        expire: family::expire_arg(args, valid, v.now)?,
        subnet_id: subnet.id,
        pref_lifetime: pref,
        lease_type,
        iaid,
        prefix_len,
        fqdn_fwd,
        fqdn_rev,
        hostname: family::hostname_arg(args, fqdn_fwd || fqdn_rev)?,
        // Kea's `HWAddr::fromText`: Ethernet, source unknown.
        hwtype: if hwaddr.is_empty() { 0 } else { 1 },
        hwaddr_source: 0,
        hwaddr,
        state: family::state_arg(args)?,
        user_context: family::user_context_arg(args)?,
        // Kea 2.4+'s `pool-id`, stored as given (default 0, none).
        pool_id: super::commands::opt_u32(args, "pool-id")?.unwrap_or(0),
    })
}

/// The lease of `lease6-get` / `lease6-del`: by `ip-address` (and `type`),
/// or by `identifier-type: "duid"` + `identifier` (or ruru's shorthand
/// `duid`) + `iaid` (default 0) + `subnet-id` (and `type`).
fn find_lease(v: &View6, args: &Value) -> Result<Option<Lease6>, Value> {
    let kind = type_arg(args)?;
    if arg(args, "ip-address").is_some() {
        return Ok(v.store.get6(kind, ip6_arg(args, "ip-address")?));
    }
    let subnet = match arg(args, "subnet-id") {
        None => return Err(err("Mandatory 'subnet-id' parameter missing.")),
        Some(s) => s
            .as_u64()
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| err("'subnet-id' parameter is not integer."))?,
    };
    let iaid = opt_u32(args, "iaid")?.unwrap_or(0);
    let duid = match opt_str(args, "duid")? {
        Some(d) => duid_arg(d)?,
        None => {
            let Some(Value::String(t)) = arg(args, "identifier-type") else {
                return Err(err("No 'ip-address' provided and 'identifier-type' is either missing or not a string."));
            };
            let Some(Value::String(ident)) = arg(args, "identifier") else {
                return Err(err(
                    "No 'ip-address' provided and 'identifier' is either missing or not a string.",
                ));
            };
            match t.as_str() {
                "duid" => duid_arg(ident)?,
                "hw-address" => return Err(err("Query by hw-address is not allowed in v6.")),
                "client-id" => return Err(err("Query by client-id is not allowed in v6.")),
                other => return Err(err(format!(
                    "Incorrect identifier type: {other}, the only supported values are: address, hw-address, duid"
                ))),
            }
        }
    };
    let mut found: Vec<Lease6> = v
        .store
        .get6_by_duid_iaid(kind, &duid, iaid)
        .into_iter()
        .filter(|l| l.subnet_id == subnet)
        .collect();
    found.sort_by_key(|l| l.address);
    Ok(found.into_iter().next())
}

// ---- stat-lease6-get ----

/// Kea's stat_cmds `stat-lease6-get`: one row per selected subnet. The
/// totals and cumulative counts are the statistics; the assigned and
/// declined counts are counted in the lease store, as Kea's lease stats
/// query does (a declined address counts as assigned, as in Kea's
/// statistics).
fn stat_lease6_get(v: &View6, args: &Value) -> Res {
    use std::sync::atomic::Ordering::Relaxed;
    let configured: Vec<u32> = v.cfg.subnets.iter().map(|s| s.id).collect();
    let ids = family::stat_subnets(args, &configured)?;
    let leases = v.store.all6();
    let rows = ids
        .iter()
        .map(|&id| {
            let (mut nas, mut declined, mut pds) = (0u64, 0u64, 0u64);
            for l in leases.iter().filter(|l| l.subnet_id == id) {
                match (l.lease_type, l.state) {
                    (_, LeaseState::ExpiredReclaimed) => {}
                    (LeaseType6::Pd, _) => pds += 1,
                    (_, LeaseState::Declined) => {
                        nas += 1;
                        declined += 1;
                    }
                    _ => nas += 1,
                }
            }
            let s = v.stats.subnet6(id);
            json!([
                id,
                s.total_nas.load(Relaxed),
                s.cumulative_assigned_nas.load(Relaxed),
                nas,
                declined,
                s.total_pds.load(Relaxed),
                s.cumulative_assigned_pds.load(Relaxed),
                pds
            ])
        })
        .collect();
    Ok(family::result_set("stat-lease6-get", &STAT_COLUMNS, rows))
}

#[cfg(test)]
mod tests;
