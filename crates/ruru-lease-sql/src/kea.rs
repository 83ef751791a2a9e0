//! Kea's SQL schema, which is ruru's: the versions this build reads and
//! writes, Kea's create scripts (shipped under `schema/`, from Kea 2.2's
//! `kea-admin`, MPL-2.0 like ruru), how a database's schema is recognised
//! ([`classify`]) and what ruru tells an operator about one it cannot use
//! ([`advice`]).
//!
//! # Versions
//! Kea 2.2's `kea-admin db-init` makes schema 13.0 on PostgreSQL and 14.0 on
//! MySQL/MariaDB ([`KEA_PG`], [`KEA_MYSQL`]): the oldest ruru opens, and where
//! `ruru db init` starts (Kea's upgrade scripts take it on to the release asked
//! for, Kea 3.0's by default: module `upgrade`).
//! ruru opens the schemas of Kea 2.2, 2.4, 2.6 and 3.0 as it finds them
//! ([`PG_VERSIONS`], [`MYSQL_VERSIONS`]); what differs between them for
//! ruru's statements is the [`Shape`] ([`shape`]): from Kea 2.4 on,
//! DHCPv6 addresses are PostgreSQL `INET` / MySQL `BINARY(16)`. The columns
//! later versions added (`pool_id`, `relay_id`, ...) have defaults that
//! ruru's inserts leave to the database; the lease states Kea 3.0 added
//! (3 released, 4 registered) are read as reclaimed and as in use.
//! ruru never changes a schema unless told to (`ruru db init`, `ruru db
//! upgrade`, which run Kea's own scripts: module `upgrade`).
//!
//! # ruru's former schema
//! Before it used Kea's, ruru had a schema of its own (its versions 1.0 to
//! 1.2, [`crate::SCHEMA_VERSION`]). Such a database has a `schema_version`
//! table but not Kea's `lease_state` table; it is reported as
//! [`SchemaState::Ruru`]; `ruru serve` refuses it, and `ruru db upgrade`
//! moves its rows into Kea's schema (module `former`).

use crate::SchemaState;

/// Kea 2.2's PostgreSQL schema version (`kea-admin db-init pgsql`).
pub const KEA_PG: (u32, u32) = (13, 0);
/// Kea 2.2's MySQL/MariaDB schema version (`kea-admin db-init mysql`).
pub const KEA_MYSQL: (u32, u32) = (14, 0);

/// The PostgreSQL schema versions ruru opens: Kea 2.2's 13.0, 2.4's 18.0,
/// 2.6's 22.0 / 22.1 / 22.2 and 3.0's 29.0 (Kea itself refuses any
/// other, minor included).
pub const PG_VERSIONS: &[(u32, u32)] = &[(13, 0), (18, 0), (22, 0), (22, 1), (22, 2), (29, 0)];
/// The MySQL/MariaDB schema versions ruru opens: Kea 2.2's 14.0, 2.4's
/// 19.0, 2.6's 22.x and 3.0's 30.0.
pub const MYSQL_VERSIONS: &[(u32, u32)] = &[(14, 0), (19, 0), (22, 0), (22, 1), (22, 2), (30, 0)];

pub use crate::sql::{Addr6, Shape};

/// The shape of schema `version` for `dialect`: DHCPv6 addresses are
/// PostgreSQL `INET` from 18.0 and MySQL `BINARY(16)` from 19.0.
pub fn shape(mysql: bool, version: (u32, u32)) -> Shape {
    let addr6 = match (mysql, version >= (18, 0), version >= (19, 0)) {
        (false, true, _) => Addr6::Inet,
        (true, _, true) => Addr6::Binary,
        _ => Addr6::Text,
    };
    // `pool_id` came with Kea 2.3.8's schemas (PostgreSQL 17.0, MySQL
    // 18.0): every schema ruru opens after Kea 2.2's has it.
    let pool_id = version >= if mysql { (18, 0) } else { (17, 0) };
    Shape { addr6, pool_id }
}

/// The version of `found` when ruru opens it (one of `versions`);
/// otherwise the error to report (naming the nearest version ruru knows).
pub fn accept(
    found: SchemaState,
    versions: &[(u32, u32)],
) -> Result<(u32, u32), crate::LeaseError> {
    match found {
        SchemaState::Version(v, m) if versions.contains(&(v, m)) => Ok((v, m)),
        SchemaState::Version(v, m) if (v, m) < versions[0] => Err(crate::LeaseError::Schema {
            found,
            expected: versions[0],
        }),
        _ => Err(crate::LeaseError::Schema {
            found,
            expected: versions[versions.len() - 1],
        }),
    }
}

/// Kea 2.2's `dhcpdb_create.pgsql`, as `kea-admin` 2.2 runs it.
pub(crate) const CREATE_PG: &str = include_str!("../schema/kea-2.2-dhcpdb_create.pgsql");
/// Kea 2.2's `dhcpdb_create.mysql` (with `DELIMITER` lines: see
/// [`mysql_statements`]).
pub(crate) const CREATE_MYSQL: &str = include_str!("../schema/kea-2.2-dhcpdb_create.mysql");

/// The schema of a database from its `schema_version` row (`None`: no
/// such table or row) and whether it has Kea's `lease_state` table.
pub(crate) fn classify(version: Option<(u32, u32)>, has_lease_state: bool) -> SchemaState {
    match version {
        None => SchemaState::Missing,
        Some((v, m)) if has_lease_state => SchemaState::Version(v, m),
        Some((v, m)) => SchemaState::Ruru(v, m),
    }
}

/// What to do about a schema ruru cannot open (for a server that needs
/// Kea's schema `expected`): a sentence that names a command that works.
/// `config` is the configuration file the `ruru db` commands need.
pub fn advice(found: SchemaState, expected: (u32, u32), config: &str) -> String {
    let (ev, em) = expected;
    // The dialect, from the versions it is told of (MySQL's are 14.0 and 30.0).
    let mysql = [MYSQL_VERSIONS[0], MYSQL_VERSIONS[MYSQL_VERSIONS.len() - 1]].contains(&expected);
    let newest = crate::upgrade::KeaRelease::NEWEST;
    match found {
        SchemaState::Missing => format!(
            "the database has no schema: run `ruru db init -c {config}` (Kea {newest}'s \
             schema; add `--schema 2.2` (or 2.4, 2.6) for a fleet whose Kea servers run that \
             release), or Kea's `kea-admin db-init`"
        ),
        SchemaState::Version(v, m)
            if crate::upgrade::path(mysql, (v, m), newest.schema(mysql)).is_ok() =>
        {
            format!(
                "the database holds Kea's schema {v}.{m}, not one that a released Kea makes \
                 (ruru opens the schemas of Kea 2.2, 2.4, 2.6 and 3.0): upgrade it with \
                 `ruru db upgrade -c {config} --schema RELEASE`, naming the Kea release your \
                 fleet runs (or that release's `kea-admin db-upgrade`)"
            )
        }
        SchemaState::Version(v, m) if (v, m) < expected => format!(
            "the database holds Kea's schema {v}.{m}, older than the {ev}.{em} of Kea 2.2, the \
             oldest this ruru opens (it opens the schemas of Kea 2.2, 2.4, 2.6 and 3.0): \
             upgrade it with the `kea-admin db-upgrade` of the Kea version your fleet runs"
        ),
        SchemaState::Version(v, m) => format!(
            "the database holds Kea's schema {v}.{m}, which this ruru does not know (it opens \
             the schemas of Kea 2.2, 2.4, 2.6 and 3.0, the newest {ev}.{em}); ruru never \
             changes a schema it does not know: use a database made by `ruru db init`, or \
             the ruru release that knows this schema"
        ),
        SchemaState::Ruru(v, m) => format!(
            "the database holds ruru's former schema {v}.{m}, not Kea's schema {ev}.{em} that \
             ruru now uses: run `ruru db upgrade -c {config}` to move its leases and \
             reservations into Kea's schema (the former tables are kept aside; add `--schema \
             2.2` (or 2.4, 2.6) for a fleet whose Kea servers run that release)"
        ),
    }
}

/// The statements of a MySQL script written for the `mysql` client:
/// `DELIMITER` lines change the end of a statement (the procedures and
/// triggers end with `$$`), `#` and `--` comment lines are left out, and a
/// `\` at the end of a line joins it to the next.
pub(crate) fn mysql_statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut delimiter = ";".to_string();
    let mut current = String::new();
    for line in script.lines() {
        let t = line.trim();
        if current.trim().is_empty() {
            if let Some(d) = t
                .strip_prefix("DELIMITER ")
                .or_else(|| t.strip_prefix("delimiter "))
            {
                delimiter = d.trim().to_string();
                continue;
            }
        }
        if t.starts_with('#') || t.starts_with("--") || t.is_empty() {
            continue;
        }
        // A backslash at the end of a line continues it (as in the
        // `mysql` client).
        current.push_str(line.trim_end().strip_suffix('\\').unwrap_or(line));
        current.push('\n');
        if t.ends_with(delimiter.as_str()) {
            let text = current.trim_end();
            let text = text.strip_suffix(delimiter.as_str()).unwrap_or(text).trim();
            if !text.is_empty() {
                out.push(text.to_string());
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mysql_script_is_split_at_its_delimiters() {
        let s = "# c\nCREATE TABLE a (x INT);\n-- d\nDELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND $$\nDELIMITER ;\nINSERT INTO a\n VALUES (1);\n";
        assert_eq!(
            mysql_statements(s),
            vec![
                "CREATE TABLE a (x INT)".to_string(),
                "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND".to_string(),
                "INSERT INTO a\n VALUES (1)".to_string(),
            ]
        );
        let all = mysql_statements(CREATE_MYSQL);
        assert!(all.len() > 100, "{}", all.len());
        assert!(all.iter().all(|s| !s.contains("DELIMITER")));
    }

    #[test]
    fn kea_versions_and_their_shapes() {
        for v in PG_VERSIONS {
            assert_eq!(
                accept(SchemaState::Version(v.0, v.1), PG_VERSIONS).ok(),
                Some(*v)
            );
        }
        assert!(
            accept(SchemaState::Version(17, 0), PG_VERSIONS).is_err(),
            "a development version"
        );
        assert!(accept(SchemaState::Version(29, 1), PG_VERSIONS).is_err());
        assert!(accept(SchemaState::Missing, MYSQL_VERSIONS).is_err());
        assert_eq!(shape(false, (13, 0)).addr6, Addr6::Text);
        assert_eq!(shape(false, (18, 0)).addr6, Addr6::Inet);
        assert_eq!(shape(false, (29, 0)).addr6, Addr6::Inet);
        assert_eq!(shape(true, (14, 0)).addr6, Addr6::Text);
        assert_eq!(shape(true, (19, 0)).addr6, Addr6::Binary);
        assert_eq!(shape(true, (30, 0)).addr6, Addr6::Binary);
    }

    #[test]
    fn schemas_are_recognised() {
        assert_eq!(classify(None, true), SchemaState::Missing);
        assert_eq!(classify(Some((13, 0)), true), SchemaState::Version(13, 0));
        assert_eq!(classify(Some((1, 2)), false), SchemaState::Ruru(1, 2));
        let former = advice(SchemaState::Ruru(1, 2), KEA_PG, "k.json");
        assert!(former.contains("ruru db upgrade -c k.json"));
        assert!(advice(SchemaState::Version(31, 0), (29, 0), "k.json").contains("does not know"));
        assert!(!advice(SchemaState::Version(12, 0), KEA_PG, "k.json").contains("ruru db upgrade"));
        // A development schema on Kea's chain: ruru's upgrade takes it to a release's.
        let dev = advice(SchemaState::Version(15, 0), (29, 0), "k.json");
        assert!(dev.contains("ruru db upgrade -c k.json --schema"), "{dev}");
        // MySQL has no 29.0 -> 30.0 gap; PostgreSQL has no 30.0.
        assert!(advice(SchemaState::Version(30, 0), (29, 0), "k.json").contains("does not know"));
        let missing = advice(SchemaState::Missing, KEA_MYSQL, "k.json");
        assert!(missing.contains("ruru db init -c k.json") && missing.contains("--schema 2.2"));
    }
}
