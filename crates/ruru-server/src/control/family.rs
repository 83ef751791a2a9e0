//! What the DHCPv4 and DHCPv6 commands share.
//!
//! Kea's `lease4-*`/`lease6-*` and `stat-lease4-get`/`stat-lease6-get`
//! commands take the same arguments and answer the
//! same shapes; only the lease type, its JSON and the store methods differ.
//! [`Family`] names those differences ([`V4`] is implemented in
//! `commands`, [`V6`] in `commands6`); everything else is written once
//! here: lease lists sorted by address, paging, the hostname search, add or
//! update with `force-create`, delete, wipe, the lease fields both families
//! parse the same way (`expire`, `state`, `user-context`), and the subnet
//! selection and result set of `stat-leaseX-get`. (`subnetX-*` are in
//! `subnets`.)

use std::fmt::Display;
use std::str::FromStr;

use ruru_lease::{LeaseError, LeaseState, LeaseStore};
use serde_json::{json, Value};

use super::commands::{answer, arg, err, opt_str, opt_u32, opt_u64, req_str, Res, EMPTY, SUCCESS};

/// One address family's leases as the lease commands see them.
pub(super) trait Family {
    type Lease;
    type Addr: Copy + Ord + Display + FromStr;
    /// `IPv4` or `IPv6`, as Kea's texts say it.
    const IP: &'static str;

    fn addr(l: &Self::Lease) -> Self::Addr;
    fn subnet_id(l: &Self::Lease) -> u32;
    fn hostname(l: &Self::Lease) -> &str;
    /// Kea's JSON form of a lease (`Lease4::toElement`, `Lease6::toElement`).
    fn json(l: &Self::Lease) -> Value;
    /// The text of a successful `leaseX-add`.
    fn added_text(l: &Self::Lease) -> String;

    /// Every lease of this family in `store`.
    fn all(store: &dyn LeaseStore) -> Vec<Self::Lease>;
    /// The stored lease `l` would replace (same address; for DHCPv6 also
    /// the same type).
    fn stored(store: &dyn LeaseStore, l: &Self::Lease) -> Option<Self::Lease>;
    fn add(store: &dyn LeaseStore, l: &Self::Lease) -> Result<(), LeaseError>;
    fn update(store: &dyn LeaseStore, l: &Self::Lease) -> Result<(), LeaseError>;
    fn delete(store: &dyn LeaseStore, l: &Self::Lease) -> Result<bool, LeaseError>;
}

/// The DHCPv4 family (`Lease4`).
pub(super) struct V4;

/// The DHCPv6 family (`Lease6`).
pub(super) struct V6;

/// What a change made by a command needs besides the store: the recount of
/// the lease statistics that follows every successful change.
pub(super) struct Change<'a> {
    pub store: &'a dyn LeaseStore,
    pub recount: &'a dyn Fn(),
}

fn sorted<F: Family>(mut leases: Vec<F::Lease>) -> Vec<F::Lease> {
    leases.sort_by_key(F::addr);
    leases
}

fn count_result(n: usize) -> i64 {
    if n == 0 {
        EMPTY
    } else {
        SUCCESS
    }
}

/// `{"leases": [...]}` sorted by address; result 3 when there is none.
pub(super) fn leases_answer<F: Family>(leases: Vec<F::Lease>) -> Value {
    let list: Vec<Value> = sorted::<F>(leases).iter().map(F::json).collect();
    let n = list.len();
    answer(
        count_result(n),
        format!("{n} {} lease(s) found.", F::IP),
        Some(json!({ "leases": list })),
    )
}

/// The `subnets` argument: a list of subnet ids, or `None` when absent.
pub(super) fn subnets_arg(args: &Value) -> Result<Option<Vec<u32>>, Value> {
    match arg(args, "subnets") {
        None => Ok(None),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|i| u32::try_from(i).ok())
                    .ok_or_else(|| err("listed subnet identifiers must be numbers"))
            })
            .collect::<Result<Vec<u32>, Value>>()
            .map(Some),
        Some(_) => Err(err("'subnets' parameter must be a list")),
    }
}

/// `leaseX-get-all`: every lease, or those of the listed `subnets`.
pub(super) fn get_all<F: Family>(store: &dyn LeaseStore, args: &Value) -> Res {
    let subnets = subnets_arg(args)?;
    let leases = F::all(store)
        .into_iter()
        .filter(|l| {
            subnets
                .as_ref()
                .is_none_or(|s| s.contains(&F::subnet_id(l)))
        })
        .collect();
    Ok(leases_answer::<F>(leases))
}

/// `leaseX-get-page`: up to `limit` leases after the address `from`
/// (`"start"`: from the first), in address order, with their `count`.
pub(super) fn get_page<F: Family>(store: &dyn LeaseStore, args: &Value) -> Res {
    let from = match arg(args, "from") {
        Some(Value::String(s)) if s == "start" => None,
        Some(Value::String(s)) => Some(s.parse::<F::Addr>().map_err(|_| {
            err(format!(
                "'from' parameter value {s} is neither 'start' keyword nor a valid {} address",
                F::IP
            ))
        })?),
        Some(_) => return Err(err("'from' parameter must be a string")),
        None => return Err(err("'from' parameter not specified")),
    };
    let limit = opt_u64(args, "limit")?.ok_or_else(|| err("'limit' parameter not specified"))?;
    if limit == 0 {
        return Err(err("page size of the retrieved leases must not be 0"));
    }
    let page: Vec<Value> = sorted::<F>(F::all(store))
        .iter()
        .filter(|l| from.is_none_or(|f| F::addr(l) > f))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(F::json)
        .collect();
    let n = page.len();
    Ok(answer(
        count_result(n),
        format!("{n} {} lease(s) found.", F::IP),
        Some(json!({ "leases": page, "count": n })),
    ))
}

/// `leaseX-get-by-hostname`: leases whose hostname is `hostname`, ignoring
/// case (Kea stores hostnames in lower case).
pub(super) fn get_by_hostname<F: Family>(store: &dyn LeaseStore, args: &Value) -> Res {
    let want = req_str(args, "hostname")?.to_lowercase();
    if want.is_empty() {
        return Err(err("'hostname' parameter is empty"));
    }
    let leases = F::all(store)
        .into_iter()
        .filter(|l| F::hostname(l).to_lowercase() == want)
        .collect();
    Ok(leases_answer::<F>(leases))
}

/// `leaseX-add` (`update` false) and `leaseX-update`: stores `lease`.
/// An update of a missing lease fails unless `force-create` is true.
pub(super) fn add_or_update<F: Family>(
    c: &Change,
    lease: &F::Lease,
    update: bool,
    args: &Value,
) -> Res {
    let ip = F::IP;
    let a = F::addr(lease);
    let force = update && super::commands::opt_bool(args, "force-create")?.unwrap_or(false);
    let create = !update || (force && F::stored(c.store, lease).is_none());
    let res = if create {
        F::add(c.store, lease)
    } else {
        F::update(c.store, lease)
    };
    match res {
        Ok(()) => {
            (c.recount)();
            Ok(answer(
                SUCCESS,
                match (update, create) {
                    (false, _) => F::added_text(lease),
                    (true, true) => format!("{ip} lease added."),
                    (true, false) => format!("{ip} lease updated."),
                },
                None,
            ))
        }
        Err(LeaseError::Exists(_) | LeaseError::Exists6(_)) => {
            Err(err(format!("{ip} lease already exists for {a}.")))
        }
        Err(LeaseError::NotFound(_) | LeaseError::NotFound6(..)) => Err(err(format!(
            "failed to update the lease with address {a} either because the lease has been deleted or it has changed in the database"
        ))),
        Err(e) => Err(err(e.to_string())),
    }
}

/// `leaseX-del` of the lease found (or not) from the arguments.
pub(super) fn delete<F: Family>(c: &Change, found: Option<F::Lease>) -> Res {
    let ip = F::IP;
    let not_found = || Ok(answer(EMPTY, format!("{ip} lease not found."), None));
    let Some(l) = found else {
        return not_found();
    };
    match F::delete(c.store, &l) {
        Ok(true) => {
            (c.recount)();
            Ok(answer(SUCCESS, format!("{ip} lease deleted."), None))
        }
        Ok(false) => not_found(),
        Err(e) => Err(err(e.to_string())),
    }
}

/// `leaseX-wipe`: deletes the leases of `subnet-id`, or every lease when it
/// is absent or 0.
pub(super) fn wipe<F: Family>(c: &Change, args: &Value) -> Res {
    let subnet = opt_u32(args, "subnet-id")?.filter(|s| *s != 0);
    let mut n = 0;
    for l in F::all(c.store) {
        if subnet.is_none_or(|s| s == F::subnet_id(&l))
            && matches!(F::delete(c.store, &l), Ok(true))
        {
            n += 1;
        }
    }
    (c.recount)();
    let what = subnet.map_or("all subnets".to_string(), |s| format!("subnet {s}"));
    Ok(answer(
        count_result(n),
        format!("Deleted {n} {} lease(s) from {what}.", F::IP),
        None,
    ))
}

// ---- lease fields both families parse alike ----

/// `expire` (Unix seconds) as Kea checks it: positive and not before
/// `valid`; absent: `now + valid`.
pub(super) fn expire_arg(args: &Value, valid: u32, now: u64) -> Result<u64, Value> {
    match opt_u64(args, "expire")? {
        None => Ok(now.saturating_add(u64::from(valid))),
        Some(0) => Err(err("expiration time must be positive")),
        Some(e) if e < u64::from(valid) => {
            Err(err("expiration time must be greater than valid lifetime"))
        }
        Some(e) => Ok(e),
    }
}

/// `state`: 0 (default), 1 (declined) or 2 (expired-reclaimed).
pub(super) fn state_arg(args: &Value) -> Result<LeaseState, Value> {
    match opt_u32(args, "state")? {
        None => Ok(LeaseState::Default),
        Some(c) => LeaseState::from_code(c).ok_or_else(|| {
            err(format!(
                "Invalid state value: {c}, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)"
            ))
        }),
    }
}

/// `user-context` (a JSON map) as the text the store keeps; empty when
/// absent.
pub(super) fn user_context_arg(args: &Value) -> Result<String, Value> {
    match arg(args, "user-context") {
        None => Ok(String::new()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        Some(_) => Err(err("'user-context' must be a JSON object")),
    }
}

/// `hostname`, lower-cased as Kea stores it; with `fqdn-fwd`/`fqdn-rev`
/// it must not be empty.
pub(super) fn hostname_arg(args: &Value, fqdn: bool) -> Result<String, Value> {
    let h = opt_str(args, "hostname")?
        .unwrap_or_default()
        .to_lowercase();
    if h.is_empty() && fqdn {
        return Err(err(
            "No hostname specified and either forward or reverse fqdn was set to true.",
        ));
    }
    Ok(h)
}

// ---- stat-leaseX-get ----

/// The subnet ids `stat-leaseX-get` reports, in order: the one of
/// `subnet-id` (which must exist), those of `subnet-range`, or all of
/// `configured`.
pub(super) fn stat_subnets(args: &Value, configured: &[u32]) -> Result<Vec<u32>, Value> {
    let (first, last) = if let Some(id) = opt_u32(args, "subnet-id")? {
        if !configured.contains(&id) {
            return Err(err(format!("subnet-id: {id} does not exist")));
        }
        (id, id)
    } else if let Some(r) = arg(args, "subnet-range") {
        let f = opt_u32(r, "first-subnet-id")?
            .ok_or_else(|| err("'first-subnet-id' parameter not specified"))?;
        let l = opt_u32(r, "last-subnet-id")?
            .ok_or_else(|| err("'last-subnet-id' parameter not specified"))?;
        if l < f {
            return Err(err("last-subnet-id must be greater than first-subnet-id"));
        }
        (f, l)
    } else {
        (0, u32::MAX)
    };
    let mut ids: Vec<u32> = configured
        .iter()
        .copied()
        .filter(|i| (first..=last).contains(i))
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Kea stat_cmds' answer: a `result-set` of `columns` and `rows`; result 3
/// when there is no row.
pub(super) fn result_set(command: &str, columns: &[&str], rows: Vec<Value>) -> Value {
    let n = rows.len();
    answer(
        count_result(n),
        format!("{command}: {n} rows found"),
        Some(json!({ "result-set": {
            "columns": columns,
            "rows": rows,
            "timestamp": super::samples::timestamp(std::time::SystemTime::now()),
        }})),
    )
}
