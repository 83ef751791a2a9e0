//! Moving a database of ruru's former schema (its versions 1.0 to 1.2,
//! ruru's own tables before it used Kea's) into Kea 2.2's schema: what
//! `ruru db upgrade` does with one. The former tables have Kea's names
//! (`lease4`, `lease6`, `hosts`, `ipv6_reservations`, `schema_version`),
//! so they are moved aside first and kept there (PostgreSQL: into schema
//! [`PG_SCHEMA`]; MySQL: renamed with the prefix [`MYSQL_PREFIX`]); then
//! Kea's create script runs and every row is copied into Kea's tables,
//! converted as ruru writes them today. The backends run these statements
//! ([`crate::postgres`]: all in one transaction; [`crate::mysql`]: the
//! rename, the script, then the copy in one transaction, with everything
//! undone when a step fails), so a failure leaves the former tables as
//! they were.
//!
//! What differs from Kea's tables: `expire` was Unix seconds (Kea: a
//! timestamp, and for an infinite lifetime the last transmission time);
//! PostgreSQL's `iaid` was a `BIGINT` (Kea: a signed `INTEGER` holding the
//! IAID's bits); empty texts were `''` (Kea: NULL for a host's); a host's
//! options were a JSON list in `option_data` / `dhcp6_option_data` (Kea:
//! rows of `dhcp4_options` / `dhcp6_options`).

use crate::sql::{option_rows, Dialect};
use crate::LeaseError;

/// The PostgreSQL schema the former tables are moved into (and kept).
pub(crate) const PG_SCHEMA: &str = "ruru_former";
/// The prefix of the former tables' names once moved aside in MySQL.
pub(crate) const MYSQL_PREFIX: &str = "ruru_former_";

/// The tables of the former schema (1.0: the leases; 1.1: `hosts`; 1.2:
/// `ipv6_reservations`), with its version table.
pub(crate) const TABLES: [&str; 5] = [
    "lease4",
    "lease6",
    "hosts",
    "ipv6_reservations",
    "schema_version",
];

/// Where former table `t` is once moved aside.
pub(crate) fn moved(d: Dialect, t: &str) -> String {
    match d {
        Dialect::Postgres => format!("{PG_SCHEMA}.{t}"),
        Dialect::MySql => format!("{MYSQL_PREFIX}{t}"),
    }
}

/// Kea 2.2's PostgreSQL create script without its own `START
/// TRANSACTION` and `COMMIT`, to run inside the migration's transaction.
pub(crate) fn pg_script_in_transaction(script: &str) -> String {
    script
        .lines()
        .filter(|l| {
            let t = l.trim().to_ascii_uppercase();
            t != "START TRANSACTION;" && t != "COMMIT;"
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statements that copy the former rows (moved aside, see [`moved`])
/// into Kea's tables, for a former schema of `version` whose moved tables
/// include `has` (1.0 has no `hosts`, 1.1 no `ipv6_reservations` nor
/// DHCPv6 host columns). Host options are copied afterwards
/// ([`option_inserts`]).
pub(crate) fn copy_statements(d: Dialect, version: (u32, u32), has: &[&str]) -> Vec<String> {
    let (to_ts, bytes_empty) = match d {
        Dialect::Postgres => ("to_timestamp(LEAST({}, 100000000000))", "''::bytea"),
        Dialect::MySql => ("FROM_UNIXTIME(LEAST({}, 2147483647))", "''"),
    };
    // Kea's expire: the last transmission time for an infinite lifetime.
    let expire = to_ts.replace(
        "{}",
        "CASE WHEN valid_lifetime = 4294967295 AND expire >= valid_lifetime \
         THEN expire - valid_lifetime ELSE expire END",
    );
    // What ruru writes today for no client id and no user context (as Kea
    // 2.2 with each backend).
    let (client_id, context) = match d {
        Dialect::Postgres => (
            format!("COALESCE(client_id, {bytes_empty})"),
            "COALESCE(user_context, '')",
        ),
        Dialect::MySql => ("client_id".to_string(), "NULLIF(user_context, '')"),
    };
    let iaid = match d {
        Dialect::Postgres => {
            "CAST(CASE WHEN iaid > 2147483647 THEN iaid - 4294967296 ELSE iaid END AS INTEGER)"
        }
        Dialect::MySql => "iaid",
    };
    let mut out = Vec::new();
    let leases = [
        format!(
            "INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
             fqdn_fwd, fqdn_rev, hostname, state, user_context) \
             SELECT address, hwaddr, {client_id}, valid_lifetime, {expire}, subnet_id, \
             fqdn_fwd, fqdn_rev, hostname, state, {context} FROM {}",
            moved(d, "lease4")
        ),
        format!(
            "INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
             lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, \
             user_context, hwtype, hwaddr_source) \
             SELECT address, duid, valid_lifetime, {expire}, subnet_id, pref_lifetime, \
             lease_type, {iaid}, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, state, \
             {context}, hwtype, hwaddr_source FROM {}",
            moved(d, "lease6")
        ),
    ];
    for (t, s) in ["lease4", "lease6"].into_iter().zip(leases) {
        if has.contains(&t) {
            out.push(s);
        }
    }
    if has.contains(&"hosts") {
        let v6 = if version >= (1, 2) {
            ", dhcp6_subnet_id"
        } else {
            ""
        };
        out.push(format!(
            "INSERT INTO hosts (host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
             ipv4_address, hostname, dhcp4_next_server, dhcp4_server_hostname, \
             dhcp4_boot_file_name{v6}) \
             SELECT host_id, dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
             ipv4_address, NULLIF(hostname, ''), dhcp4_next_server, \
             NULLIF(dhcp4_server_hostname, ''), NULLIF(dhcp4_boot_file_name, ''){v6} \
             FROM {} ORDER BY host_id",
            moved(d, "hosts")
        ));
        if d == Dialect::Postgres {
            // New hosts get ids after the copied ones.
            out.push(
                "SELECT setval(pg_get_serial_sequence('hosts', 'host_id'), \
                 COALESCE((SELECT MAX(host_id) FROM hosts), 0) + 1, false)"
                    .into(),
            );
        }
    }
    if has.contains(&"ipv6_reservations") {
        out.push(format!(
            "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
             SELECT address, prefix_len, type, host_id FROM {} ORDER BY reservation_id",
            moved(d, "ipv6_reservations")
        ));
    }
    out
}

/// The query of the former hosts' options: `host_id`, `option_data`
/// and `dhcp6_option_data` (NULL before 1.2).
pub(crate) fn options_query(d: Dialect, version: (u32, u32)) -> String {
    let v6 = if version >= (1, 2) {
        "dhcp6_option_data"
    } else {
        "NULL"
    };
    format!(
        "SELECT host_id, option_data, {v6} FROM {} ORDER BY host_id",
        moved(d, "hosts")
    )
}

/// The inserts of host `host_id`'s options (its former `option_data`
/// text, ruru's JSON list) into Kea's `table` (`dhcp4_options`,
/// `dhcp6_options`; the family's own space `top`). An option that cannot
/// be read stops the migration (nothing is dropped silently).
pub(crate) fn option_inserts(
    d: Dialect,
    table: &str,
    top: &str,
    host_id: i64,
    text: &str,
) -> Result<Vec<String>, LeaseError> {
    let rows = option_rows(text)
        .map_err(|e| LeaseError::Database(format!("former host {host_id}: its options: {e}")))?;
    rows.into_iter()
        .map(|(code, value, always, space)| {
            let space = space.unwrap_or_else(|| top.to_string());
            if space.is_empty()
                || !space
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(LeaseError::Database(format!(
                    "former host {host_id}: option {code}: space {space:?} is not a name"
                )));
            }
            let hex: String = value.iter().map(|b| format!("{b:02x}")).collect();
            let value = match d {
                Dialect::Postgres => format!("decode('{hex}', 'hex')"),
                Dialect::MySql => format!("UNHEX('{hex}')"),
            };
            Ok(format!(
                "INSERT INTO {table} (code, value, persistent, space, scope_id, host_id) \
                 VALUES ({code}, {value}, {always}, '{space}', 3, {host_id})"
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kea_script_runs_inside_our_transaction() {
        let s = pg_script_in_transaction(crate::kea::CREATE_PG);
        assert!(!s.contains("START TRANSACTION;") && !s.to_ascii_uppercase().contains("\nCOMMIT;"));
        assert!(s.contains("CREATE TABLE lease4"));
    }

    #[test]
    fn former_options_become_kea_rows() {
        let text = r#"[{"code": 6, "data": "c0000201"}, {"code": 2, "data": "01", "always-send": true, "space": "vendor-4491"}]"#;
        let got = option_inserts(Dialect::MySql, "dhcp4_options", "dhcp4", 7, text).unwrap();
        assert_eq!(
            got,
            vec![
                "INSERT INTO dhcp4_options (code, value, persistent, space, scope_id, host_id) \
                 VALUES (6, UNHEX('c0000201'), false, 'dhcp4', 3, 7)",
                "INSERT INTO dhcp4_options (code, value, persistent, space, scope_id, host_id) \
                 VALUES (2, UNHEX('01'), true, 'vendor-4491', 3, 7)",
            ]
        );
        assert!(option_inserts(Dialect::Postgres, "t", "dhcp6", 1, "")
            .unwrap()
            .is_empty());
        let quote = r#"[{"code": 1, "data": "", "space": "x'; DROP TABLE hosts; --"}]"#;
        assert!(option_inserts(Dialect::Postgres, "t", "dhcp6", 1, quote).is_err());
        assert!(option_inserts(Dialect::Postgres, "t", "dhcp6", 1, "nope").is_err());
    }
}
