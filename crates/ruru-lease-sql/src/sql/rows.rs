//! The mapping between a lease (or a host reservation) and a row of Kea's
//! tables, shared by both SQL backends: the column lists, the values a
//! lease becomes ([`Col`]) and the decoding of a result row ([`SqlRow`]),
//! with every range check in one place.

use super::*;

/// The `lease4` columns of Kea 2.2's schema, in the order of [`values4`]
/// and [`lease4_of`] (which add [`POOL_ID`] last).
pub(crate) const COLS4: &str = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
                                fqdn_fwd, fqdn_rev, hostname, state, user_context";
/// The `lease6` columns, in the order of [`values6`] and [`lease6_of`].
pub(crate) const COLS6: &str = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
                                lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, \
                                state, user_context, hwtype, hwaddr_source";
/// Kea 2.4+'s last column of `lease4` and `lease6` (`pool_id`), written
/// and read when the schema has it ([`crate::kea::shape`]): the statements
/// then list `COLS4` / `COLS6` and this, and the write parameters carry it
/// ([`fit_params`] takes it out for an older schema).
pub(crate) const POOL_ID: &str = "pool_id";
/// The positions in [`COLS6`] of the key (address, lease type).
pub(super) const KEY6: [usize; 2] = [0, 6];

/// One statement parameter, as both backends bind it (PostgreSQL narrows
/// `Int` to the column's width, checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Col {
    Int(i64),
    Bool(bool),
    Bytes(Vec<u8>),
    Text(String),
    Null,
}

impl Col {
    fn int(n: impl Into<i64>) -> Col {
        Col::Int(n.into())
    }
    fn opt_bytes(b: Option<&Vec<u8>>) -> Col {
        b.map_or(Col::Null, |b| Col::Bytes(b.clone()))
    }
}

/// A result row as both backends read it: column `i` of [`COLS4`] or
/// [`COLS6`] (or of `COUNT(*)`). Errors name the column.
pub(crate) trait SqlRow {
    /// Any integer column, widened.
    fn int(&self, i: usize) -> Result<i64, String>;
    fn boolean(&self, i: usize) -> Result<bool, String>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, String>;
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, String>;
    fn text(&self, i: usize) -> Result<String, String>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, String>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, String>;
    /// How many columns the row has.
    fn columns(&self) -> usize;
}

/// Kea 2.4+'s `pool_id`, column `i` when the row has it (a schema before
/// Kea 2.4 has none: 0).
fn pool_id_of(r: &impl SqlRow, i: usize) -> Result<u32, String> {
    if r.columns() > i {
        num_or_zero(r, i, POOL_ID)
    } else {
        Ok(0)
    }
}

pub(super) fn num<T: TryFrom<i64>>(r: &impl SqlRow, i: usize, column: &str) -> Result<T, String> {
    let n = r.int(i)?;
    T::try_from(n).map_err(|_| format!("{column} {n} out of range"))
}

/// A lease's `state`. Kea 3.0's schema adds 3 (released: a lease Kea
/// keeps for the client after a RELEASE, free for anyone) and 4
/// (registered: an address a client registered, RFC 9686, not to be
/// given out): read as expired-reclaimed and as in use.
pub(super) fn state_of(r: &impl SqlRow, i: usize) -> Result<LeaseState, String> {
    let code = r.int(i)?;
    match code {
        3 => Ok(LeaseState::ExpiredReclaimed),
        4 => Ok(LeaseState::Default),
        _ => u32::try_from(code)
            .ok()
            .and_then(LeaseState::from_code)
            .ok_or_else(|| format!("state {code} is unknown")),
    }
}

/// ruru's `expire` (Unix seconds) of Kea's: Kea stores `cltt` instead of
/// `cltt + valid_lifetime` for an infinite lifetime (`0xffffffff`), so
/// that it stays within the column's range.
pub(super) fn expire_of(kea: u64, valid_lifetime: u32) -> u64 {
    if valid_lifetime == u32::MAX {
        kea.saturating_add(u64::from(valid_lifetime))
    } else {
        kea
    }
}

/// Kea's `expire` of ruru's (the inverse of [`expire_of`]).
pub(crate) fn kea_expire(expire: u64, valid_lifetime: u32) -> Col {
    if valid_lifetime == u32::MAX {
        time(expire.saturating_sub(u64::from(valid_lifetime)))
    } else {
        time(expire)
    }
}

/// A nullable integer column of Kea's (written by Kea as NULL when it has
/// no value), `0` when NULL.
pub(super) fn num_or_zero<T: TryFrom<i64> + Default>(
    r: &impl SqlRow,
    i: usize,
    column: &str,
) -> Result<T, String> {
    match r.opt_int(i)? {
        None => Ok(T::default()),
        Some(n) => T::try_from(n).map_err(|_| format!("{column} {n} out of range")),
    }
}

/// Kea's `iaid`: PostgreSQL's column is a signed `INTEGER` that holds the
/// IAID's 32 bits (negative above 2^31), MySQL's an unsigned one.
pub(super) fn iaid_of(r: &impl SqlRow, i: usize) -> Result<u32, String> {
    let n = r.int(i)?;
    u32::try_from(n)
        .or_else(|_| i32::try_from(n).map(|v| u32::from_ne_bytes(v.to_ne_bytes())))
        .map_err(|_| format!("iaid {n} out of range"))
}

/// The lease of a `SELECT COLS4` row of Kea's `lease4` (its nullable
/// columns read as empty when NULL; an empty `client_id` is none, as Kea
/// reads it).
pub(crate) fn lease4_of<R: SqlRow>(r: &R) -> Result<Lease4, String> {
    let valid_lifetime = num(r, 3, "valid_lifetime")?;
    Ok(Lease4 {
        addr: Ipv4Addr::from(num::<u32>(r, 0, "address")?),
        hwaddr: r.opt_bytes(1)?.unwrap_or_default(),
        client_id: r.opt_bytes(2)?.filter(|c| !c.is_empty()),
        valid_lifetime,
        expire: expire_of(num(r, 4, "expire")?, valid_lifetime),
        subnet_id: num(r, 5, "subnet_id")?,
        fqdn_fwd: r.boolean(6)?,
        fqdn_rev: r.boolean(7)?,
        hostname: r.opt_text(8)?.unwrap_or_default(),
        state: state_of(r, 9)?,
        user_context: r.opt_text(10)?.unwrap_or_default(),
        pool_id: pool_id_of(r, 11)?,
    })
}

/// The lease of a `SELECT COLS6` row of Kea's `lease6` (as [`lease4_of`]).
pub(crate) fn lease6_of<R: SqlRow>(r: &R) -> Result<Lease6, String> {
    let address = r.text(0)?;
    let lease_type: u32 = num(r, 6, "lease_type")?;
    let valid_lifetime = num(r, 2, "valid_lifetime")?;
    Ok(Lease6 {
        address: address
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("address '{address}' is not an IPv6 address"))?,
        duid: r.opt_bytes(1)?.unwrap_or_default(),
        valid_lifetime,
        expire: expire_of(num(r, 3, "expire")?, valid_lifetime),
        subnet_id: num(r, 4, "subnet_id")?,
        pref_lifetime: num(r, 5, "pref_lifetime")?,
        lease_type: LeaseType6::from_code(lease_type)
            .ok_or_else(|| format!("lease_type {lease_type} is unknown"))?,
        iaid: iaid_of(r, 7)?,
        prefix_len: num(r, 8, "prefix_len")?,
        fqdn_fwd: r.boolean(9)?,
        fqdn_rev: r.boolean(10)?,
        hostname: r.opt_text(11)?.unwrap_or_default(),
        hwaddr: r.opt_bytes(12)?.unwrap_or_default(),
        state: state_of(r, 13)?,
        user_context: r.opt_text(14)?.unwrap_or_default(),
        hwtype: num_or_zero(r, 15, "hwtype")?,
        hwaddr_source: num_or_zero(r, 16, "hwaddr_source")?,
        pool_id: pool_id_of(r, 17)?,
    })
}

/// The `COUNT(*)` of a row.
pub(crate) fn count_of<R: SqlRow>(r: &R) -> Result<usize, String> {
    num(r, 0, "count")
}

/// The `hosts` columns, in the order of [`host_values`] and [`host4_of`];
/// the options (`option_data`, last in [`host4_of`]) are read from Kea's
/// `dhcp4_options` ([`options_select`]).
pub(crate) const COLS_HOST: &str =
    "host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                                    ipv4_address, hostname, dhcp4_next_server, \
                                    dhcp4_server_hostname, dhcp4_boot_file_name, \
                                    dhcp4_client_classes, user_context";

/// The host of a `SELECT COLS_HOST` row.
pub(crate) fn host4_of<R: SqlRow>(r: &R) -> Result<Host4, String> {
    let code: u8 = num(r, 2, "dhcp_identifier_type")?;
    let addr = |i: usize, column: &str| -> Result<Option<Ipv4Addr>, String> {
        match r.opt_int(i)? {
            None => Ok(None),
            Some(n) => u32::try_from(n)
                .map(|a| Some(Ipv4Addr::from(a)))
                .map_err(|_| format!("{column} {n} out of range")),
        }
    };
    Ok(Host4 {
        host_id: num(r, 0, "host_id")?,
        identifier: r.bytes(1)?,
        id_type: IdType::from_code(code)
            .ok_or_else(|| format!("dhcp_identifier_type {code} is unknown"))?,
        subnet_id: num(r, 3, "dhcp4_subnet_id")?,
        ipv4_address: addr(4, "ipv4_address")?,
        hostname: r.opt_text(5)?.unwrap_or_default(),
        next_server: addr(6, "dhcp4_next_server")?,
        server_hostname: r.opt_text(7)?.unwrap_or_default(),
        boot_file_name: r.opt_text(8)?.unwrap_or_default(),
        client_classes: r.opt_text(9)?.unwrap_or_default(),
        user_context: r.opt_text(10)?.unwrap_or_default(),
        option_data: r.opt_text(11)?.unwrap_or_default(),
    })
}

/// The parameters of [`Q::HostAdd4`]: the row of a new host ([`COLS_HOST`]
/// without `host_id`; empty texts as NULL, as Kea writes them), then its
/// subnet and address (which no other host of the subnet may have).
pub(crate) fn host_values(h: &Host4) -> Vec<Col> {
    let opt_addr = |a: Option<Ipv4Addr>| a.map_or(Col::Null, addr4);
    vec![
        Col::Bytes(h.identifier.clone()),
        Col::int(h.id_type.code()),
        Col::int(h.subnet_id),
        opt_addr(h.ipv4_address),
        context(&h.hostname),
        opt_addr(h.next_server),
        context(&h.server_hostname),
        context(&h.boot_file_name),
        context(&h.client_classes),
        context(&h.user_context),
        Col::int(h.subnet_id),
        opt_addr(h.ipv4_address),
    ]
}

/// One option row to write: (code, value, persistent, space; `None`:
/// the family's own).
pub(crate) type OptionRow = (u16, Vec<u8>, bool, Option<String>);

/// The options of a host's `option_data` (empty, or a JSON list of
/// `{"code": N, "data": "hex", "always-send": bool, "space": "vendor-N"}`)
/// as rows of Kea's `dhcp4_options`/`dhcp6_options`.
pub(crate) fn option_rows(text: &str) -> Result<Vec<OptionRow>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("option_data is not JSON: {e}"))?;
    let list = v.as_array().ok_or("option_data is not a JSON list")?;
    list.iter()
        .map(|o| {
            let code = o
                .get("code")
                .and_then(serde_json::Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| format!("option {o}: no valid code"))?;
            let hex: String = o
                .get("data")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .chars()
                .filter(|c| !matches!(c, ':' | ' '))
                .collect();
            let data = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|b| u8::from_str_radix(b, 16).ok())
                        .ok_or_else(|| format!("option {code}: data is not hex"))
                })
                .collect::<Result<Vec<u8>, String>>()?;
            let always = o
                .get("always-send")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            let space = o
                .get("space")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            Ok((code, data, always, space))
        })
        .collect()
}

/// The parameters of [`Q::HostAddOpt4`] / [`Q::HostAddOpt6`]: one option
/// of the host with this key ([`host_key`]), in space `top` unless the
/// row names another.
pub(crate) fn option_values(opt: &OptionRow, top: &str, key: Vec<Col>) -> Vec<Col> {
    let mut p = vec![
        Col::int(opt.0),
        Col::Bytes(opt.1.clone()),
        Col::Bool(opt.2),
        Col::Text(opt.3.clone().unwrap_or_else(|| top.to_string())),
    ];
    p.extend(key);
    p
}

/// The `option_data` of a host as a subquery over Kea's options table
/// `table` (`dhcp4_options`, `dhcp6_options`): the JSON list of its
/// options, NULL when none: `code`, `data` (the binary `value` in hex,
/// empty when NULL), `always-send` (only when true, its default is
/// false), `space` (only when not the family's own, `dhcp4` / `dhcp6`),
/// and `csv` (Kea's `formatted_value`, its CSV form,
/// when not empty: the engine encodes it with the option's definition,
/// as Kea does when it reads the row).
pub(super) fn options_select(table: &str, host: &str, d: Dialect) -> String {
    let (one, list) = match d {
        Dialect::Postgres => (
            r#"'{"code": ' || o.code || ', "data": "' || encode(COALESCE(o.value, ''::bytea), 'hex') || '"' || CASE WHEN o.persistent THEN ', "always-send": true' ELSE '' END || CASE WHEN COALESCE(o.space, '') IN ('dhcp4', 'dhcp6') THEN '' ELSE ', "space": ' || to_json(COALESCE(o.space, ''))::text END || CASE WHEN COALESCE(o.formatted_value, '') <> '' THEN ', "csv": ' || to_json(o.formatted_value)::text ELSE '' END || '}'"#,
            "'[' || string_agg(ONE, ', ' ORDER BY o.option_id) || ']'",
        ),
        Dialect::MySql => (
            r#"CONCAT('{"code": ', o.code, ', "data": "', LOWER(HEX(COALESCE(o.value, ''))), '"', IF(o.persistent, ', "always-send": true', ''), IF(COALESCE(o.space, '') IN ('dhcp4', 'dhcp6'), '', CONCAT(', "space": ', JSON_QUOTE(COALESCE(o.space, '')))), IF(COALESCE(o.formatted_value, '') <> '', CONCAT(', "csv": ', JSON_QUOTE(o.formatted_value)), ''), '}')"#,
            "CONCAT('[', GROUP_CONCAT(ONE ORDER BY o.option_id SEPARATOR ', '), ']')",
        ),
    };
    format!(
        "(SELECT {} FROM {table} o WHERE o.host_id = {host})",
        list.replace("ONE", one)
    )
}

/// The columns of a DHCPv6 host read: the `hosts` row (`h`), then one of
/// its `ipv6_reservations` (`r`, NULL when it has none), in the order of
/// [`host6_row_of`]. One result row per reservation, ordered by host.
/// (`OPTIONS` stands for [`options_select`] over `dhcp6_options`.)
pub(crate) const COLS_HOST6: &str =
    "h.host_id, h.dhcp_identifier, h.dhcp_identifier_type, h.dhcp6_subnet_id, h.hostname, \
     OPTIONS, r.address, r.prefix_len, r.type, h.dhcp6_client_classes, h.user_context, \
     h.auth_key";

/// `ipv6_reservations.type` of an address and of a prefix (Kea's).
pub(crate) const RES6_ADDRESS: i64 = 0;
pub(crate) const RES6_PREFIX: i64 = 2;

/// One reservation of an `ipv6_reservations` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Res6 {
    Address(Ipv6Addr),
    Prefix(Ipv6Addr, u8),
}

/// A `SELECT COLS_HOST6` row: its host (without reservations) and its
/// reservation — `Ok(None)` when the host has none, `Err` (the host still
/// applies) when the reservation cannot be read.
pub(crate) fn host6_row_of<R: SqlRow>(
    r: &R,
) -> Result<(Host6, Result<Option<Res6>, String>), String> {
    let code: u8 = num(r, 2, "dhcp_identifier_type")?;
    let host = Host6 {
        host_id: num(r, 0, "host_id")?,
        identifier: r.bytes(1)?,
        id_type: IdType::from_code(code)
            .ok_or_else(|| format!("dhcp_identifier_type {code} is unknown"))?,
        subnet_id: num(r, 3, "dhcp6_subnet_id")?,
        ip_addresses: Vec::new(),
        prefixes: Vec::new(),
        hostname: r.opt_text(4)?.unwrap_or_default(),
        option_data: r.opt_text(5)?.unwrap_or_default(),
        client_classes: r.opt_text(9)?.unwrap_or_default(),
        user_context: r.opt_text(10)?.unwrap_or_default(),
        auth_key: r.opt_text(11)?.unwrap_or_default(),
    };
    let res = (|| {
        let Some(text) = r.opt_text(6)? else {
            return Ok(None);
        };
        let addr: Ipv6Addr = text
            .trim()
            .parse()
            .map_err(|_| format!("address '{text}' is not an IPv6 address"))?;
        let kind = r.opt_int(8)?.unwrap_or(RES6_ADDRESS);
        match kind {
            RES6_ADDRESS => Ok(Some(Res6::Address(addr))),
            RES6_PREFIX => {
                let len = r.opt_int(7)?.unwrap_or(128);
                let len = u8::try_from(len)
                    .ok()
                    .filter(|l| (1..=128).contains(l))
                    .ok_or_else(|| format!("prefix_len {len} out of range"))?;
                Ok(Some(Res6::Prefix(addr, len)))
            }
            t => Err(format!("type {t} is unknown (0: address, 2: prefix)")),
        }
    })();
    Ok((host, res))
}

/// The DHCPv6 hosts of `SELECT COLS_HOST6 .. ORDER BY h.host_id` rows:
/// one per host, with its reservations gathered. Unusable rows and
/// reservations are logged and skipped.
pub(crate) fn hosts6_of<R: SqlRow>(what: &str, rows: impl IntoIterator<Item = R>) -> Vec<Host6> {
    let mut out: Vec<Host6> = Vec::new();
    for r in rows {
        let (host, res) = match host6_row_of(&r) {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "unusable hosts row skipped: {what}");
                continue;
            }
        };
        let h = match out.last_mut() {
            Some(last) if last.host_id == host.host_id => last,
            _ => {
                out.push(host);
                let Some(last) = out.last_mut() else {
                    continue;
                };
                last
            }
        };
        match res {
            Ok(None) => {}
            Ok(Some(Res6::Address(a))) => h.ip_addresses.push(a),
            Ok(Some(Res6::Prefix(p, len))) => h.prefixes.push((p, len)),
            Err(e) => tracing::warn!(
                host_id = h.host_id,
                error = %e,
                "unusable ipv6_reservations row skipped: {what}"
            ),
        }
    }
    out
}

/// The parameters of [`Q::HostAdd6`]: the `hosts` row of a new DHCPv6 host
/// (its options are rows of `dhcp6_options`).
pub(crate) fn host6_values(h: &Host6) -> Vec<Col> {
    vec![
        Col::Bytes(h.identifier.clone()),
        Col::int(h.id_type.code()),
        Col::int(h.subnet_id),
        context(&h.hostname),
        context(&h.client_classes),
        context(&h.user_context),
        context(&h.auth_key),
    ]
}

/// The parameters of [`Q::HostAddRes6`]: one reservation of host `h`
/// (which is found by its subnet and identifier).
pub(crate) fn res6_values(h: &Host6, res: Res6) -> Vec<Col> {
    let (addr, len, kind) = match res {
        Res6::Address(a) => (a, 128, RES6_ADDRESS),
        Res6::Prefix(p, len) => (p, len, RES6_PREFIX),
    };
    vec![
        addr6(addr),
        Col::int(len),
        Col::Int(kind),
        Col::int(h.subnet_id),
        Col::int(h.id_type.code()),
        Col::Bytes(h.identifier.clone()),
        addr6(addr),
        Col::int(len),
    ]
}

/// The reservations of `h` as [`Res6`], addresses first.
pub(crate) fn res6_of(h: &Host6) -> Vec<Res6> {
    h.ip_addresses
        .iter()
        .map(|a| Res6::Address(*a))
        .chain(h.prefixes.iter().map(|(p, l)| Res6::Prefix(*p, *l)))
        .collect()
}

/// The parameters of [`Q::HostGet4`]: the subnet, then [`IDS_PER_QUERY`]
/// (type, identifier) pairs, unused ones with a type no row has.
pub(crate) fn host_get_params(subnet_id: u32, ids: &[(IdType, &[u8])]) -> Vec<Col> {
    let mut p = vec![Col::int(subnet_id)];
    for i in 0..IDS_PER_QUERY {
        match ids.get(i) {
            Some((t, id)) => p.extend([Col::int(t.code()), Col::Bytes(id.to_vec())]),
            None => p.extend([Col::Int(-1), Col::Bytes(Vec::new())]),
        }
    }
    p
}

/// The parameters that name one host: its subnet and identifier
/// ([`Q::HostDelId4`], [`Q::HostDelId6`]).
pub(crate) fn host_key(subnet_id: u32, id_type: IdType, id: &[u8]) -> Vec<Col> {
    vec![
        Col::int(subnet_id),
        Col::int(id_type.code()),
        Col::Bytes(id.to_vec()),
    ]
}

/// A v4 address as stored (an unsigned 32-bit number).
pub(crate) fn addr4(a: Ipv4Addr) -> Col {
    Col::int(u32::from(a))
}

/// A v6 address as stored (its RFC 5952 text).
pub(crate) fn addr6(a: Ipv6Addr) -> Col {
    Col::Text(a.to_string())
}

pub(crate) fn type6(t: LeaseType6) -> Col {
    Col::int(t.code())
}

/// Expiry times and limits as the databases store them (signed 64 bits).
pub(crate) fn time(n: u64) -> Col {
    Col::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The `limit` argument of `expired*` as a SQL LIMIT (0 = all).
pub(crate) fn limit(limit: usize) -> Col {
    if limit == 0 {
        Col::Int(i64::MAX)
    } else {
        Col::Int(i64::try_from(limit).unwrap_or(i64::MAX))
    }
}

/// A `user_context` as Kea stores it: NULL when there is none (a lease's
/// becomes `''` in PostgreSQL's statements, see `statements::mark`).
pub(super) fn context(c: &str) -> Col {
    if c.is_empty() {
        Col::Null
    } else {
        Col::Text(c.to_string())
    }
}

/// The row of a lease, in [`COLS4`] order, as Kea writes it.
pub(crate) fn values4(l: &Lease4) -> Vec<Col> {
    vec![
        addr4(l.addr),
        Col::Bytes(l.hwaddr.clone()),
        Col::opt_bytes(l.client_id.as_ref()),
        Col::int(l.valid_lifetime),
        kea_expire(l.expire, l.valid_lifetime),
        Col::int(l.subnet_id),
        Col::Bool(l.fqdn_fwd),
        Col::Bool(l.fqdn_rev),
        Col::Text(l.hostname.clone()),
        Col::int(l.state.code()),
        context(&l.user_context),
        Col::int(l.pool_id),
    ]
}

/// The row of a lease, in [`COLS6`] order then `pool_id`, as Kea writes it.
pub(crate) fn values6(l: &Lease6) -> Vec<Col> {
    vec![
        addr6(l.address),
        Col::Bytes(l.duid.clone()),
        Col::int(l.valid_lifetime),
        kea_expire(l.expire, l.valid_lifetime),
        Col::int(l.subnet_id),
        Col::int(l.pref_lifetime),
        type6(l.lease_type),
        Col::int(l.iaid),
        Col::int(l.prefix_len),
        Col::Bool(l.fqdn_fwd),
        Col::Bool(l.fqdn_rev),
        Col::Text(l.hostname.clone()),
        Col::Bytes(l.hwaddr.clone()),
        Col::int(l.state.code()),
        context(&l.user_context),
        Col::int(l.hwtype),
        Col::int(l.hwaddr_source),
        Col::int(l.pool_id),
    ]
}

/// The parameters of [`Q::Update4`]: the row without its key, then the key.
pub(crate) fn update4_params(l: &Lease4) -> Vec<Col> {
    key_last(values4(l), &[0])
}

/// The parameters of [`Q::Update4If`]: [`update4_params`], then what must
/// still be stored (`old`'s expire, state and client identifiers).
pub(crate) fn update4_if_params(l: &Lease4, old: &Lease4) -> Vec<Col> {
    let mut p = update4_params(l);
    p.extend([
        kea_expire(old.expire, old.valid_lifetime),
        Col::int(old.state.code()),
        Col::Bytes(old.hwaddr.clone()),
        Col::opt_bytes(old.client_id.as_ref()),
    ]);
    p
}

/// The parameters of [`Q::Update6`]: the row without its key, then the key.
pub(crate) fn update6_params(l: &Lease6) -> Vec<Col> {
    key_last(values6(l), &KEY6)
}

/// The parameters of [`Q::Update6If`]: the new row, then the whole old one.
pub(crate) fn update6_if_params(l: &Lease6, old: &Lease6) -> Vec<Col> {
    let mut p = values6(l);
    p.extend(values6(old));
    p
}

/// The write parameters of `q` for a schema without `pool_id` (before Kea
/// 2.4): those built above without it. Where it sits: last of a row
/// ([`values4`], [`values6`]), and so last before the key of an update.
pub(crate) fn fit_params(q: Q, pool_id: bool, params: &mut Vec<Col>) {
    if pool_id {
        return;
    }
    let at: &[usize] = match q {
        Q::Add4 => &[11],
        Q::Update4 | Q::Update4If => &[10],
        Q::Add6 => &[17],
        Q::Update6 => &[15],
        Q::Update6If => &[35, 17],
        _ => &[],
    };
    for &i in at {
        if i < params.len() {
            params.remove(i);
        }
    }
}

pub(super) fn key_last(values: Vec<Col>, key: &[usize]) -> Vec<Col> {
    let (mut rest, mut keys) = (Vec::new(), Vec::new());
    for (i, v) in values.into_iter().enumerate() {
        if key.contains(&i) {
            keys.push(v);
        } else {
            rest.push(v);
        }
    }
    rest.extend(keys);
    rest
}

/// A DUID that finds nothing: empty, or the "empty DUID" of declined
/// leases (memfile does not index them either).
pub(crate) fn no_duid(duid: &[u8]) -> bool {
    duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID
}

/// Decodes rows, skipping (and logging) those that do not make a lease.
pub(crate) fn decode_all<R, L>(
    what: &str,
    rows: impl IntoIterator<Item = R>,
    f: fn(&R) -> Result<L, String>,
) -> Vec<L> {
    rows.into_iter()
        .filter_map(|r| match f(&r) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "unusable lease row skipped: {what}");
                None
            }
        })
        .collect()
}
