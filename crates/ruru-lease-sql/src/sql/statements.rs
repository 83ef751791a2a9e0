//! The statements of both SQL backends, written once with `?`
//! placeholders ([`Q`], [`statement`]); PostgreSQL's are numbered, and the
//! few places where the dialects differ are in [`Dialect`].

use super::*;

/// How a schema version stores DHCPv6 addresses (`lease6.address`,
/// `ipv6_reservations.address`): as text up to Kea 2.2's schema, as
/// PostgreSQL's `INET` from 18.0 (Kea 2.4), as MySQL's `BINARY(16)` from
/// 19.0 (Kea 2.4). ruru binds and reads them as text either way: the
/// statements convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addr6 {
    #[default]
    Text,
    Inet,
    Binary,
}

/// What of a schema version changes our statements (see
/// [`crate::kea::shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub addr6: Addr6,
    /// `lease4` and `lease6` have Kea 2.4+'s `pool_id` column (written and
    /// read; see [`super::fit_params`]).
    pub pool_id: bool,
}

/// Where the two SQL dialects differ in our statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    MySql,
}

/// Every statement a store runs; each backend prepares them once per
/// connection. The parameters are those of the `sql::*_params` helpers or
/// of the trait method's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Q {
    Get4,
    ByClientId4,
    ByHwaddr4,
    Add4,
    Update4,
    Update4If,
    Delete4,
    Expired4,
    Flush4,
    All4,
    Count4,
    Get6,
    ByDuidIaid6,
    ByDuid6,
    Add6,
    Update6,
    Update6If,
    Delete6,
    Expired6,
    Flush6,
    All6,
    Count6,
    HostGet4,
    HostByAddr4,
    HostAll4,
    HostAdd4,
    HostDelAddr4,
    HostDelId4,
    HostGet6,
    HostByAddr6,
    HostAll6,
    HostAdd6,
    HostAddRes6,
    HostDelAddr6,
    HostDelId6,
    HostAddOpt4,
    HostAddOpt6,
    HostByName4,
    HostById4,
    HostByAddrAny4,
    HostByName6,
    HostById6,
    HostByAddrAny6,
    /// A DHCPv4 client's leases and one address's, in one round trip
    /// (`LeaseStore::get4_client`): client id, hardware address, address,
    /// each NULL when not asked for.
    Client4,
}

/// Every [`Q`], indexed by `Q as usize`.
pub(crate) const ALL_Q: [Q; 44] = [
    Q::Get4,
    Q::ByClientId4,
    Q::ByHwaddr4,
    Q::Add4,
    Q::Update4,
    Q::Update4If,
    Q::Delete4,
    Q::Expired4,
    Q::Flush4,
    Q::All4,
    Q::Count4,
    Q::Get6,
    Q::ByDuidIaid6,
    Q::ByDuid6,
    Q::Add6,
    Q::Update6,
    Q::Update6If,
    Q::Delete6,
    Q::Expired6,
    Q::Flush6,
    Q::All6,
    Q::Count6,
    Q::HostGet4,
    Q::HostByAddr4,
    Q::HostAll4,
    Q::HostAdd4,
    Q::HostDelAddr4,
    Q::HostDelId4,
    Q::HostGet6,
    Q::HostByAddr6,
    Q::HostAll6,
    Q::HostAdd6,
    Q::HostAddRes6,
    Q::HostDelAddr6,
    Q::HostDelId6,
    Q::HostAddOpt4,
    Q::HostAddOpt6,
    Q::HostByName4,
    Q::HostById4,
    Q::HostByAddrAny4,
    Q::HostByName6,
    Q::HostById6,
    Q::HostByAddrAny6,
    Q::Client4,
];

impl Q {
    /// Whether this is a one-lease statement of the packet path (bounded by
    /// `connect_timeout`); scans and bulk deletes are not.
    pub(crate) fn is_point(self) -> bool {
        !matches!(
            self,
            Q::Expired4
                | Q::Flush4
                | Q::All4
                | Q::Count4
                | Q::Expired6
                | Q::Flush6
                | Q::All6
                | Q::Count6
                | Q::HostAll4
                | Q::HostAll6
                | Q::HostByName4
                | Q::HostById4
                | Q::HostByAddrAny4
                | Q::HostByName6
                | Q::HostById6
                | Q::HostByAddrAny6
        )
    }
}

/// The columns of a list such as [`COLS4`].
pub(super) fn names(cols: &str) -> impl Iterator<Item = &str> {
    cols.split(',').map(str::trim)
}

/// How column `c` of a lease table is read: Kea's `expire` is a timestamp,
/// ruru's Unix seconds (PostgreSQL's `extract(epoch ..)` is Kea's own).
pub(super) fn read_col(c: &str, d: Dialect) -> String {
    match (c, d) {
        ("expire", Dialect::Postgres) => "extract(epoch from expire)::bigint".into(),
        ("expire", Dialect::MySql) => "UNIX_TIMESTAMP(expire)".into(),
        (c, _) => c.into(),
    }
}

/// The SELECT list of a lease table's columns `cols`.
pub(super) fn select_list(cols: &str, d: Dialect) -> String {
    names(cols)
        .map(|c| read_col(c, d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The placeholder of column `c` in a write: Unix seconds become Kea's
/// timestamp (the MySQL session's time zone is UTC, see `mysql`); a lease
/// without user context or client identifier has NULL (MySQL) or `''`
/// (PostgreSQL) there, as Kea 2.2 writes it with each
/// (`tests/e2e_mixed_fleet.rs` compares the rows).
pub(super) fn mark(c: &str, d: Dialect) -> &'static str {
    match (c, d) {
        ("expire", Dialect::Postgres) => "to_timestamp(?::bigint)",
        ("expire", Dialect::MySql) => "FROM_UNIXTIME(?)",
        ("user_context", Dialect::Postgres) => "COALESCE(?, '')",
        ("client_id", Dialect::Postgres) => "COALESCE(?, ''::bytea)",
        _ => "?",
    }
}

/// What a NULL of column `c` reads as, for a column Kea leaves NULL when
/// it has no value (`None`: a column Kea always writes).
pub(super) fn empty_of(c: &str, d: Dialect) -> Option<&'static str> {
    match (c, d) {
        ("hwaddr" | "client_id", Dialect::Postgres) => Some("''::bytea"),
        ("hwaddr" | "client_id" | "hostname" | "user_context", _) => Some("''"),
        ("hwtype" | "hwaddr_source", _) => Some("0"),
        _ => None,
    }
}

/// `c = ?` as a condition of a compare-and-swap: a NULL Kea wrote equals
/// the empty value ruru read it as.
pub(super) fn same(c: &str, d: Dialect) -> String {
    match empty_of(c, d) {
        Some(e) => format!("COALESCE({c}, {e}) = COALESCE({}, {e})", mark(c, d)),
        None => format!("{c} = {}", mark(c, d)),
    }
}

/// `c1 = ?, c2 = ?` over the columns of `cols` whose position `keep`
/// accepts (a SET list).
pub(super) fn each(cols: &str, d: Dialect, keep: impl Fn(usize) -> bool) -> String {
    names(cols)
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, c)| format!("{c} = {}", mark(c, d)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn insert(table: &str, cols: &str, d: Dialect) -> String {
    let marks = names(cols)
        .map(|c| mark(c, d))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!("INSERT INTO {table} ({cols}) VALUES ({marks})");
    match d {
        // A taken address inserts nothing (0 rows) instead of failing.
        Dialect::Postgres => format!("{text} ON CONFLICT (address) DO NOTHING"),
        // A taken address is error 1062 (duplicate key).
        Dialect::MySql => text,
    }
}

/// The text of `q` in dialect `d` for a schema of shape `shape`
/// (PostgreSQL's placeholders numbered).
pub(crate) fn statement(q: Q, d: Dialect, shape: Shape) -> String {
    let text = addr6(q, statement_text(q, d, shape.pool_id), shape);
    match d {
        Dialect::MySql => text,
        Dialect::Postgres => numbered(&text),
    }
}

/// `text` of `q` with its DHCPv6 addresses converted to and from the
/// schema's column type ([`Addr6`]): read as text (`AS address`, the rows
/// are read by position), written from a text parameter.
fn addr6(q: Q, text: String, shape: Shape) -> String {
    let (read, write): (fn(&str) -> String, &str) = match shape.addr6 {
        Addr6::Text => return text,
        Addr6::Inet => (|c| format!("host({c})"), "CAST(?::text AS inet)"),
        Addr6::Binary => (|c| format!("INET6_NTOA({c})"), "INET6_ATON(?)"),
    };
    let cond = format!("address = {write}");
    match q {
        Q::Get6
        | Q::ByDuidIaid6
        | Q::ByDuid6
        | Q::Add6
        | Q::Update6
        | Q::Update6If
        | Q::Delete6
        | Q::Expired6
        | Q::All6 => text
            .replacen(
                "SELECT address,",
                &format!("SELECT {} AS address,", read("address")),
                1,
            )
            .replacen("VALUES (?", &format!("VALUES ({write}"), 1)
            .replace("address = ?", &cond),
        Q::HostGet6
        | Q::HostByAddr6
        | Q::HostAll6
        | Q::HostDelAddr6
        | Q::HostByName6
        | Q::HostById6
        | Q::HostByAddrAny6 => text
            .replacen(
                "r.address,",
                &format!("{} AS address,", read("r.address")),
                1,
            )
            .replace("address = ?", &cond),
        Q::HostAddRes6 => {
            // The first value is the address (a typed placeholder on
            // PostgreSQL).
            let first = ["SELECT ?::varchar,", "SELECT ?,"]
                .into_iter()
                .find(|f| text.contains(f))
                .unwrap_or("SELECT ?,");
            text.replacen(first, &format!("SELECT {write},"), 1)
                .replace("address = ?", &cond)
        }
        _ => text,
    }
}

/// The text of `q` in dialect `d` with `?` placeholders, for Kea 2.2's
/// schema, with `pool_id` (Kea 2.4+) when the schema has it.
fn statement_text(q: Q, d: Dialect, pool_id: bool) -> String {
    // The lease columns of this schema: Kea 2.4+ adds `pool_id` last.
    let (all4, all6) = if pool_id {
        (format!("{COLS4}, {POOL_ID}"), format!("{COLS6}, {POOL_ID}"))
    } else {
        (COLS4.to_string(), COLS6.to_string())
    };
    let (all4, all6) = (all4.as_str(), all6.as_str());
    let update4 = format!(
        "UPDATE lease4 SET {} WHERE address = ?",
        each(all4, d, |i| i != 0)
    );
    let update6 = format!(
        "UPDATE lease6 SET {} WHERE address = ? AND lease_type = ?",
        each(all6, d, |i| !KEY6.contains(&i))
    );
    let (cols4, cols6) = (select_list(all4, d), select_list(all6, d));
    // A time compared with `expire`, bounded to what the column holds
    // (MySQL's TIMESTAMP ends in 2038; a later time finds every lease).
    let expire = match d {
        Dialect::Postgres => "to_timestamp(LEAST(?::bigint, 100000000000))",
        Dialect::MySql => "FROM_UNIXTIME(LEAST(?, 2147483647))",
    };
    let host4 = format!(
        "{COLS_HOST}, {}",
        options_select("dhcp4_options", "hosts.host_id", d)
    );
    let select6 = format!(
        "SELECT {} FROM hosts h LEFT JOIN ipv6_reservations r ON r.host_id = h.host_id",
        COLS_HOST6.replace("OPTIONS", &options_select("dhcp6_options", "h.host_id", d))
    );
    // A typed placeholder: PostgreSQL cannot infer the type of a parameter
    // in the SELECT list of an `INSERT .. SELECT`.
    let typed = |t: &str| match d {
        Dialect::Postgres => format!("?::{t}"),
        Dialect::MySql => "?".to_string(),
    };
    let from_dual = match d {
        Dialect::Postgres => "",
        Dialect::MySql => " FROM DUAL",
    };
    let order6 = "ORDER BY h.host_id, r.reservation_id";
    let text = match q {
        Q::Get4 => format!("SELECT {cols4} FROM lease4 WHERE address = ?"),
        Q::ByClientId4 => format!("SELECT {cols4} FROM lease4 WHERE client_id = ?"),
        Q::ByHwaddr4 => format!("SELECT {cols4} FROM lease4 WHERE hwaddr = ?"),
        // Three index lookups (Kea's client_id and hwaddr indexes, the
        // primary key) in one statement; a NULL parameter matches nothing.
        Q::Client4 => format!(
            "SELECT {cols4} FROM lease4 WHERE client_id = ? OR hwaddr = ? OR address = ?"
        ),
        Q::Add4 => insert("lease4", all4, d),
        Q::Update4 => update4,
        // Compare-and-swap: the old row's expire, state and identifiers
        // must still be there.
        Q::Update4If => format!(
            "{update4} AND {} AND state = ? AND {} AND {}",
            same("expire", d),
            same("hwaddr", d),
            same("client_id", d)
        ),
        Q::Delete4 => "DELETE FROM lease4 WHERE address = ?".into(),
        // Kea's: a lease of infinite lifetime never expires.
        Q::Expired4 => format!(
            "SELECT {cols4} FROM lease4 WHERE state IN (0, 1) AND valid_lifetime != 4294967295 \
             AND expire <= {expire} ORDER BY expire, address LIMIT ?"
        ),
        Q::Flush4 => format!("DELETE FROM lease4 WHERE state = 2 AND expire < {expire}"),
        Q::All4 => format!("SELECT {cols4} FROM lease4"),
        Q::Count4 => "SELECT COUNT(*) FROM lease4".into(),
        Q::Get6 => format!("SELECT {cols6} FROM lease6 WHERE address = ? AND lease_type = ?"),
        Q::ByDuidIaid6 => {
            format!("SELECT {cols6} FROM lease6 WHERE duid = ? AND iaid = ? AND lease_type = ?")
        }
        Q::ByDuid6 => format!("SELECT {cols6} FROM lease6 WHERE duid = ?"),
        Q::Add6 => insert("lease6", all6, d),
        Q::Update6 => update6,
        // Compare-and-swap on the whole row: the stored lease must still be
        // exactly the one read.
        Q::Update6If => format!(
            "UPDATE lease6 SET {} WHERE {}",
            each(all6, d, |_| true),
            names(all6)
                .map(|c| same(c, d))
                .collect::<Vec<_>>()
                .join(" AND ")
        ),
        Q::Delete6 => "DELETE FROM lease6 WHERE address = ? AND lease_type = ?".into(),
        Q::Expired6 => format!(
            "SELECT {cols6} FROM lease6 WHERE state IN (0, 1) AND valid_lifetime != 4294967295 \
             AND expire <= {expire} ORDER BY expire, address LIMIT ?"
        ),
        Q::Flush6 => format!("DELETE FROM lease6 WHERE state = 2 AND expire < {expire}"),
        Q::All6 => format!("SELECT {cols6} FROM lease6"),
        Q::Count6 => "SELECT COUNT(*) FROM lease6".into(),
        Q::HostGet4 => format!(
            "SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? AND ({})",
            ["(dhcp_identifier_type = ? AND dhcp_identifier = ?)"; IDS_PER_QUERY].join(" OR ")
        ),
        Q::HostByAddr4 => {
            format!("SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?")
        }
        Q::HostAll4 => {
            format!("SELECT {host4} FROM hosts WHERE dhcp4_subnet_id = ? ORDER BY host_id")
        }
        // Kea's schema does not make an address unique per subnet (Kea
        // checks it itself, unless `ip-reservations-unique` is false): the
        // insert is conditional.
        Q::HostAdd4 => {
            let cols = COLS_HOST
                .split_once(',')
                .map_or("", |(_, rest)| rest.trim());
            let types = [
                "bytea", "smallint", "bigint", "bigint", "varchar", "bigint", "varchar", "varchar",
                "varchar", "text",
            ];
            let marks = types.map(typed).join(", ");
            format!(
                "INSERT INTO hosts ({cols}) SELECT {marks}{from_dual} WHERE NOT EXISTS \
                 (SELECT 1 FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?)"
            )
        }
        Q::HostDelAddr4 => {
            "DELETE FROM hosts WHERE dhcp4_subnet_id = ? AND ipv4_address = ?".into()
        }
        Q::HostDelId4 => "DELETE FROM hosts WHERE dhcp4_subnet_id = ? \
                          AND dhcp_identifier_type = ? AND dhcp_identifier = ?"
            .into(),
        Q::HostGet6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id = ? AND ({}) {order6}",
            ["(h.dhcp_identifier_type = ? AND h.dhcp_identifier = ?)"; IDS_PER_QUERY].join(" OR ")
        ),
        Q::HostByAddr6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id = ? AND h.host_id IN \
             (SELECT host_id FROM ipv6_reservations WHERE address = ?) {order6}"
        ),
        Q::HostAll6 => format!("{select6} WHERE h.dhcp6_subnet_id = ? {order6}"),
        Q::HostAdd6 => "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, \
                        dhcp6_subnet_id, hostname, dhcp6_client_classes, user_context, auth_key) \
                        VALUES (?, ?, ?, ?, ?, ?, ?)"
            .into(),
        // The host is found by its key: the statements of one call may run
        // on different connections, so no "last insert id". Kea's schema
        // does not make a reservation unique: the insert is conditional.
        Q::HostAddRes6 => format!(
            "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
             SELECT {}, {}, {}, (SELECT host_id FROM hosts WHERE dhcp6_subnet_id = ? \
             AND dhcp_identifier_type = ? AND dhcp_identifier = ?){from_dual} WHERE NOT EXISTS \
             (SELECT 1 FROM ipv6_reservations WHERE address = ? AND prefix_len = ?)",
            typed("varchar"),
            typed("smallint"),
            typed("smallint")
        ),
        // Scope 3: a host's option (Kea's `dhcp_option_scope`).
        Q::HostAddOpt4 => "INSERT INTO dhcp4_options (code, value, persistent, space, scope_id, \
                           host_id) VALUES (?, ?, ?, ?, 3, (SELECT host_id FROM hosts \
                           WHERE dhcp4_subnet_id = ? AND dhcp_identifier_type = ? \
                           AND dhcp_identifier = ?))"
            .into(),
        Q::HostAddOpt6 => "INSERT INTO dhcp6_options (code, value, persistent, space, scope_id, \
                           host_id) VALUES (?, ?, ?, ?, 3, (SELECT host_id FROM hosts \
                           WHERE dhcp6_subnet_id = ? AND dhcp_identifier_type = ? \
                           AND dhcp_identifier = ?))"
            .into(),
        // Its reservations go with it (ON DELETE CASCADE).
        Q::HostDelAddr6 => "DELETE FROM hosts WHERE dhcp6_subnet_id = ? AND host_id IN \
                            (SELECT host_id FROM ipv6_reservations WHERE address = ?)"
            .into(),
        Q::HostDelId6 => "DELETE FROM hosts WHERE dhcp6_subnet_id = ? \
                          AND dhcp_identifier_type = ? AND dhcp_identifier = ?"
            .into(),
        // Across subnets (the host commands' lookups); a row without a
        // subnet of the family is not a host of that family.
        Q::HostByName4 => format!(
            "SELECT {host4} FROM hosts WHERE dhcp4_subnet_id IS NOT NULL \
             AND lower(hostname) = lower(?) ORDER BY host_id"
        ),
        Q::HostById4 => format!(
            "SELECT {host4} FROM hosts WHERE dhcp4_subnet_id IS NOT NULL \
             AND dhcp_identifier_type = ? AND dhcp_identifier = ? ORDER BY host_id"
        ),
        Q::HostByAddrAny4 => format!(
            "SELECT {host4} FROM hosts WHERE dhcp4_subnet_id IS NOT NULL \
             AND ipv4_address = ? ORDER BY host_id"
        ),
        Q::HostByName6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id IS NOT NULL AND lower(h.hostname) = lower(?) {order6}"
        ),
        Q::HostById6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id IS NOT NULL AND h.dhcp_identifier_type = ? \
             AND h.dhcp_identifier = ? {order6}"
        ),
        Q::HostByAddrAny6 => format!(
            "{select6} WHERE h.dhcp6_subnet_id IS NOT NULL AND h.host_id IN \
             (SELECT host_id FROM ipv6_reservations WHERE address = ?) {order6}"
        ),
    };
    text
}

/// `?` → `$1`, `$2`, ... (our statements have no `?` in literals).
pub(super) fn numbered(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for ch in text.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}
