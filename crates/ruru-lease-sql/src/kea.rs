//! Kea's SQL schema, which is ruru's: the versions this build reads and
//! writes, Kea's create scripts (shipped under `schema/`, from Kea 2.2's
//! `kea-admin`, MPL-2.0 like ruru), how a database's schema is recognised
//! ([`classify`]) and what ruru tells an operator about one it cannot use
//! ([`advice`]).
//!
//! # Versions
//! Kea 2.2's `kea-admin db-init` makes schema 13.0 on PostgreSQL and 14.0 on
//! MySQL/MariaDB ([`KEA_PG`], [`KEA_MYSQL`]); those are the versions ruru
//! opens. ruru never changes a schema unless told to (`ruru db init`).
//!
//! # ruru's former schema
//! Before it used Kea's, ruru had a schema of its own (its versions 1.0 to
//! 1.2, [`crate::SCHEMA_VERSION`]). Such a database has a `schema_version`
//! table but not Kea's `lease_state` table; it is reported as
//! [`SchemaState::Ruru`] and refused, with what to do (moving its rows
//! into Kea's schema is not done yet).

use crate::SchemaState;

/// Kea 2.2's PostgreSQL schema version (`kea-admin db-init pgsql`).
pub const KEA_PG: (u32, u32) = (13, 0);
/// Kea 2.2's MySQL/MariaDB schema version (`kea-admin db-init mysql`).
pub const KEA_MYSQL: (u32, u32) = (14, 0);

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
    match found {
        SchemaState::Missing => {
            format!("the database has no schema: run `ruru db init -c {config}` (or Kea's `kea-admin db-init`)")
        }
        SchemaState::Version(v, m) if (v, m) < expected => format!(
            "the database holds Kea's schema {v}.{m}, older than the {ev}.{em} of Kea 2.2 that this \
             ruru uses: upgrade it with Kea's `kea-admin db-upgrade` (Kea 2.2's)"
        ),
        SchemaState::Version(v, m) => format!(
            "the database holds Kea's schema {v}.{m}, of a newer Kea than this ruru supports \
             (it uses Kea 2.2's schema {ev}.{em}); ruru never downgrades a schema: use a \
             database made by Kea 2.2's `kea-admin db-init` or `ruru db init`"
        ),
        SchemaState::Ruru(v, m) => format!(
            "the database holds ruru's former schema {v}.{m}, not Kea's schema {ev}.{em} that \
             ruru now uses; this ruru does not move its rows into Kea's schema yet: point the \
             configuration ({config}) at a new database made by `ruru db init` (or Kea's \
             `kea-admin db-init`), or keep running the ruru version that made this one"
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
    fn schemas_are_recognised() {
        assert_eq!(classify(None, true), SchemaState::Missing);
        assert_eq!(classify(Some((13, 0)), true), SchemaState::Version(13, 0));
        assert_eq!(classify(Some((1, 2)), false), SchemaState::Ruru(1, 2));
        let former = advice(SchemaState::Ruru(1, 2), KEA_PG, "k.json");
        assert!(former.contains("ruru db init") && !former.contains("upgrade"));
        assert!(advice(SchemaState::Version(18, 0), KEA_PG, "k.json").contains("newer Kea"));
        assert!(!advice(SchemaState::Version(12, 0), KEA_PG, "k.json").contains("ruru db upgrade"));
    }
}
