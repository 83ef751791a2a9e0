//! `ruru db lease-dump`, `lease-upload` and `stats-recount`: what Kea's
//! `kea-admin` commands of the same names do to a SQL lease database, for
//! an operator who has no Kea installed.
//!
//! - `lease-dump` writes a family's leases as Kea's lease file (the
//!   memfile CSV, Kea 2.2's columns): what `kea-admin lease-dump` writes,
//!   readable by Kea's memfile, by ruru's, and by `lease-upload`.
//! - `lease-upload` reads such a file (a dump, or a memfile journal: the
//!   last row of each address counts, a deletion row removes nothing) and
//!   writes each lease to the database, replacing the lease of the same
//!   address.
//! - `stats-recount` rebuilds Kea's `lease4_stat` / `lease6_stat` from the
//!   leases, in one transaction per family, as `kea-admin stats-recount`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use ruru_config::{Config, LeaseDatabase, LeaseDbKind};
use ruru_lease::csv::{decode_row, parse_header};
use ruru_lease::{Lease4, Lease6, LeaseRow};
use ruru_lease_sql::{MySqlStore, PgStore};

use crate::db::{db_options, open4, open6};
use crate::ServerError;

/// Which family's leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    fn section(self) -> &'static str {
        match self {
            Family::V4 => "Dhcp4",
            Family::V6 => "Dhcp6",
        }
    }
}

/// The family's SQL lease database in `config`, or why there is none.
fn sql_lease_database(config: &Config, family: Family) -> Result<&LeaseDatabase, ServerError> {
    let db = match family {
        Family::V4 => config.dhcp4.as_ref().map(|d| &d.lease_database),
        Family::V6 => config.dhcp6.as_ref().map(|d| &d.lease_database),
    };
    let Some(db) = db else {
        return Err(ServerError::Schema(format!(
            "the configuration has no {} section (its lease-database names the database)",
            family.section()
        )));
    };
    if db.kind == LeaseDbKind::Memfile {
        return Err(ServerError::Schema(format!(
            "{}'s lease-database is \"memfile\": its leases are already a lease file ({})",
            family.section(),
            db.name.display()
        )));
    }
    Ok(db)
}

/// Writes the family's leases to `out` as Kea's lease file (header, then a
/// row per lease); returns how many.
pub fn lease_dump(
    config: &Config,
    path: &Path,
    family: Family,
    out: &mut dyn Write,
) -> Result<usize, ServerError> {
    let db = sql_lease_database(config, family)?;
    let io = |e: std::io::Error| ServerError::Schema(format!("writing the dump: {e}"));
    let rows: Vec<String> = match family {
        Family::V4 => {
            let store = open4(db, path, 1, None)?.store;
            store.all4().iter().map(LeaseRow::encode).collect()
        }
        Family::V6 => {
            let store = open6(db, path, 1, None)?.store;
            store.all6().iter().map(LeaseRow::encode).collect()
        }
    };
    let header = match family {
        Family::V4 => <Lease4 as LeaseRow>::HEADER,
        Family::V6 => <Lease6 as LeaseRow>::HEADER,
    };
    writeln!(out, "{header}").map_err(io)?;
    for r in &rows {
        writeln!(out, "{r}").map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(rows.len())
}

/// The leases of a lease file's text: the last row of each address, rows
/// that record a deletion left out. A row that cannot be read is an error
/// naming its line.
fn read_leases<L: LeaseRow>(text: &str, source: &str) -> Result<Vec<L>, ServerError> {
    let bad = |line: usize, why: String| ServerError::Schema(format!("{source}:{line}: {why}"));
    let mut lines = text.lines().enumerate();
    let Some((_, first)) = lines.next() else {
        return Err(bad(
            1,
            "empty file: expected Kea's lease file header".into(),
        ));
    };
    let header = parse_header::<L>(first.trim_end_matches('\r')).map_err(|e| bad(1, e))?;
    let mut last: BTreeMap<L::Key, L> = BTreeMap::new();
    for (i, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let lease = decode_row::<L>(&header, line).map_err(|e| bad(i + 1, e))?;
        last.insert(lease.key(), lease);
    }
    Ok(last
        .into_values()
        .filter(|l| l.valid_lifetime() != 0)
        .collect())
}

/// Writes the leases of the lease file `text` (named `source` in errors)
/// to the family's database, each replacing the lease of its address;
/// returns how many.
pub fn lease_upload(
    config: &Config,
    path: &Path,
    family: Family,
    text: &str,
    source: &str,
) -> Result<usize, ServerError> {
    let db = sql_lease_database(config, family)?;
    match family {
        Family::V4 => {
            let leases = read_leases::<Lease4>(text, source)?;
            let store = open4(db, path, 1, None)?.store;
            for l in &leases {
                match store.get4(l.addr) {
                    Some(_) => store.update4(l)?,
                    None => store.add4(l)?,
                }
            }
            Ok(leases.len())
        }
        Family::V6 => {
            let leases = read_leases::<Lease6>(text, source)?;
            let store = open6(db, path, 1, None)?.store;
            for l in &leases {
                match store.get6(l.lease_type, l.address) {
                    Some(_) => store.update6(l)?,
                    None => store.add6(l)?,
                }
            }
            Ok(leases.len())
        }
    }
}

/// Rebuilding Kea's statistics tables from the leases (states 0 and 1
/// are counted, per subnet, and per lease type in DHCPv6).
const RECOUNT: [&str; 2] = [
    "START TRANSACTION; DELETE FROM lease4_stat; \
     INSERT INTO lease4_stat (subnet_id, state, leases) \
     SELECT subnet_id, state, COUNT(*) FROM lease4 WHERE state IN (0, 1) \
     GROUP BY subnet_id, state; COMMIT;",
    "START TRANSACTION; DELETE FROM lease6_stat; \
     INSERT INTO lease6_stat (subnet_id, lease_type, state, leases) \
     SELECT subnet_id, lease_type, state, COUNT(*) FROM lease6 WHERE state IN (0, 1) \
     GROUP BY subnet_id, lease_type, state; COMMIT;",
];

/// Recounts Kea's lease statistics tables of the SQL database `db`.
pub fn stats_recount(db: &LeaseDbKind) -> Result<(), ServerError> {
    for sql in RECOUNT {
        match db {
            LeaseDbKind::Memfile => {
                return Err(ServerError::Schema(
                    "the lease database is \"memfile\": it keeps no statistics tables (ruru db is for \"postgresql\" and \"mysql\")".into(),
                ))
            }
            LeaseDbKind::Postgresql(s) => PgStore::execute_admin(&db_options(s), sql)?,
            LeaseDbKind::Mysql(s) => MySqlStore::execute_admin(&db_options(s), sql)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_keeps_the_last_row_of_each_address_and_drops_deletions() {
        let h = <Lease4 as LeaseRow>::HEADER;
        let text = format!(
            "{h}\n\
             192.0.2.10,02:00:00:00:00:01,,3600,1700003600,1,0,0,,0,\n\
             192.0.2.11,02:00:00:00:00:02,,3600,1700003600,1,0,0,,0,\n\
             192.0.2.10,02:00:00:00:00:01,,3600,1700007200,1,0,0,,0,\n\
             192.0.2.11,02:00:00:00:00:02,,0,1700000000,1,0,0,,0,\n"
        );
        let leases = read_leases::<Lease4>(&text, "f.csv").unwrap();
        assert_eq!(leases.len(), 1);
        assert_eq!(leases[0].addr, std::net::Ipv4Addr::new(192, 0, 2, 10));
        assert_eq!(leases[0].expire, 1_700_007_200);
        let err = read_leases::<Lease4>(&format!("{h}\nnot,a,lease\n"), "f.csv")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("f.csv:2: "), "{err}");
        assert!(read_leases::<Lease4>("address,nonsense\n", "f.csv").is_err());
        assert!(read_leases::<Lease4>("", "f.csv").is_err());
    }
}
