//! Moving a database between Kea's schema versions, as `kea-admin
//! db-upgrade` does: the Kea releases whose schema `ruru db init --schema`
//! and `ruru db upgrade --schema` make ([`KeaRelease`]), the chain of Kea's
//! own upgrade scripts between their versions ([`path`]) and the SQL those
//! shell scripts hand to `psql` / `mysql` ([`heredoc_sql`]).
//!
//! The scripts are Kea's, shipped as they are under `schema/` (MPL-2.0 like
//! ruru): `kea-3.0.4/` from Kea 3.0.4's `kea-admin` package for every step
//! from Kea 2.2's schema (PostgreSQL 13.0, MySQL 14.0) to Kea 3.0's (29.0,
//! 30.0), and `kea-2.6.3/` for the two minor steps that Kea 2.6 back-ported
//! (22.0 → 22.1 → 22.2), which Kea 3.0's chain does not take: its step from
//! 22 accepts any 22.x (the later steps redo what 22.1 and 22.2 did, if
//! needed). A schema is created by Kea 2.2's create script and this chain
//! (`kea-admin` makes the same schema; CI compares them table by table).

use std::fmt;

/// A Kea release whose schema ruru can create: `ruru db init --schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeaRelease {
    /// Kea 2.2: PostgreSQL 13.0, MySQL 14.0.
    V2_2,
    /// Kea 2.4: PostgreSQL 18.0, MySQL 19.0.
    V2_4,
    /// Kea 2.6: 22.2 on both (2.6.0 made 22.0; 2.6.1 and 2.6.2 upgrade to 22.1, 22.2).
    V2_6,
    /// Kea 3.0: PostgreSQL 29.0, MySQL 30.0.
    V3_0,
}

impl KeaRelease {
    /// Every release, oldest first.
    pub const ALL: [KeaRelease; 4] = [Self::V2_2, Self::V2_4, Self::V2_6, Self::V3_0];
    /// The newest: what `ruru db init` and `ruru db upgrade` make without `--schema`.
    pub const NEWEST: KeaRelease = KeaRelease::V3_0;

    /// The schema version this release's `kea-admin db-init` makes.
    pub fn schema(self, mysql: bool) -> (u32, u32) {
        match (self, mysql) {
            (Self::V2_2, false) => (13, 0),
            (Self::V2_2, true) => (14, 0),
            (Self::V2_4, false) => (18, 0),
            (Self::V2_4, true) => (19, 0),
            (Self::V2_6, _) => (22, 2),
            (Self::V3_0, false) => (29, 0),
            (Self::V3_0, true) => (30, 0),
        }
    }

    /// The release named `s`: "2.2", "2.4", "2.6" or "3.0", a patch level
    /// allowed ("2.6.3").
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut parts = s.trim().trim_start_matches(['v', 'V']).split('.');
        let major_minor = (parts.next(), parts.next());
        let patch_ok =
            parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
        let r = match major_minor {
            (Some("2"), Some("2")) => Some(Self::V2_2),
            (Some("2"), Some("4")) => Some(Self::V2_4),
            (Some("2"), Some("6")) => Some(Self::V2_6),
            (Some("3"), Some("0")) => Some(Self::V3_0),
            _ => None,
        };
        match r {
            Some(r) if patch_ok => Ok(r),
            _ => Err(format!(
                "unknown Kea release `{s}`: ruru makes the schemas of Kea 2.2, 2.4, 2.6 and 3.0"
            )),
        }
    }
}

impl fmt::Display for KeaRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V2_2 => "2.2",
            Self::V2_4 => "2.4",
            Self::V2_6 => "2.6",
            Self::V3_0 => "3.0",
        })
    }
}

/// One of Kea's upgrade scripts: from schema `from` (any minor when
/// `any_minor`) to `to`.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub from: (u32, u32),
    pub any_minor: bool,
    pub to: (u32, u32),
    /// The script's file name, as Kea names it.
    pub name: &'static str,
    /// The script (a shell script whose here-document is the SQL).
    pub script: &'static str,
}

impl fmt::Display for Step {
    /// `upgrade_013_to_014.sh (13.0 to 14.0)`, for errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ((a, b), (c, d)) = (self.from, self.to);
        write!(f, "{} ({a}.{b} to {c}.{d})", self.name)
    }
}

/// [`path`] from `found` to release `target`'s schema, its error as the
/// stores report it.
pub(crate) fn steps(
    mysql: bool,
    found: (u32, u32),
    target: KeaRelease,
) -> Result<Vec<Step>, crate::LeaseError> {
    path(mysql, found, target.schema(mysql)).map_err(|e| {
        crate::LeaseError::Database(format!("cannot upgrade to Kea {target}'s schema: {e}"))
    })
}

impl Step {
    /// The SQL the script runs.
    pub fn sql(&self) -> String {
        heredoc_sql(self.script)
    }
}

macro_rules! step {
    ($dir:literal, $db:literal, $from:expr, $any:expr, $to:expr, $name:literal) => {
        Step {
            from: $from,
            any_minor: $any,
            to: $to,
            name: $name,
            script: include_str!(concat!("../schema/", $dir, "/", $db, "/", $name)),
        }
    };
}

/// PostgreSQL's chain from Kea 2.2 (13.0) to Kea 3.0 (29.0).
const PG_CHAIN: &[Step] = &[
    step!(
        "kea-3.0.4",
        "pgsql",
        (13, 0),
        false,
        (14, 0),
        "upgrade_013_to_014.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (14, 0),
        false,
        (15, 0),
        "upgrade_014_to_015.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (15, 0),
        false,
        (16, 0),
        "upgrade_015_to_016.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (16, 0),
        false,
        (17, 0),
        "upgrade_016_to_017.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (17, 0),
        false,
        (18, 0),
        "upgrade_017_to_018.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (18, 0),
        false,
        (19, 0),
        "upgrade_018_to_019.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (19, 0),
        false,
        (20, 0),
        "upgrade_019_to_020.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (20, 0),
        false,
        (21, 0),
        "upgrade_020_to_021.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (21, 0),
        false,
        (22, 0),
        "upgrade_021_to_022.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (22, 0),
        true,
        (23, 0),
        "upgrade_022_to_023.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (23, 0),
        false,
        (24, 0),
        "upgrade_023_to_024.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (24, 0),
        false,
        (25, 0),
        "upgrade_024_to_025.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (25, 0),
        false,
        (26, 0),
        "upgrade_025_to_026.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (26, 0),
        false,
        (27, 0),
        "upgrade_026_to_027.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (27, 0),
        false,
        (28, 0),
        "upgrade_027_to_028.sh"
    ),
    step!(
        "kea-3.0.4",
        "pgsql",
        (28, 0),
        false,
        (29, 0),
        "upgrade_028_to_029.sh"
    ),
];

/// MySQL's chain from Kea 2.2 (14.0) to Kea 3.0 (30.0).
const MYSQL_CHAIN: &[Step] = &[
    step!(
        "kea-3.0.4",
        "mysql",
        (14, 0),
        false,
        (15, 0),
        "upgrade_014_to_015.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (15, 0),
        false,
        (16, 0),
        "upgrade_015_to_016.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (16, 0),
        false,
        (17, 0),
        "upgrade_016_to_017.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (17, 0),
        false,
        (18, 0),
        "upgrade_017_to_018.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (18, 0),
        false,
        (19, 0),
        "upgrade_018_to_019.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (19, 0),
        false,
        (20, 0),
        "upgrade_019_to_020.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (20, 0),
        false,
        (21, 0),
        "upgrade_020_to_021.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (21, 0),
        false,
        (22, 0),
        "upgrade_021_to_022.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (22, 0),
        true,
        (23, 0),
        "upgrade_022_to_023.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (23, 0),
        false,
        (24, 0),
        "upgrade_023_to_024.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (24, 0),
        false,
        (25, 0),
        "upgrade_024_to_025.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (25, 0),
        false,
        (26, 0),
        "upgrade_025_to_026.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (26, 0),
        false,
        (27, 0),
        "upgrade_026_to_027.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (27, 0),
        false,
        (28, 0),
        "upgrade_027_to_028.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (28, 0),
        false,
        (29, 0),
        "upgrade_028_to_029.sh"
    ),
    step!(
        "kea-3.0.4",
        "mysql",
        (29, 0),
        false,
        (30, 0),
        "upgrade_029_to_030.sh"
    ),
];

/// Kea 2.6's minor steps (2.6.1, 2.6.2), taken only on the way to Kea 2.6's 22.2.
const PG_MINORS: &[Step] = &[
    step!(
        "kea-2.6.3",
        "pgsql",
        (22, 0),
        false,
        (22, 1),
        "upgrade_022.0_to_022.1.sh"
    ),
    step!(
        "kea-2.6.3",
        "pgsql",
        (22, 1),
        false,
        (22, 2),
        "upgrade_022.1_to_022.2.sh"
    ),
];
const MYSQL_MINORS: &[Step] = &[
    step!(
        "kea-2.6.3",
        "mysql",
        (22, 0),
        false,
        (22, 1),
        "upgrade_022.0_to_022.1.sh"
    ),
    step!(
        "kea-2.6.3",
        "mysql",
        (22, 1),
        false,
        (22, 2),
        "upgrade_022.1_to_022.2.sh"
    ),
];

/// The scripts that take a database from schema `found` to `target`, in
/// order (none when it is there already); an error, saying why, when
/// there is no way: `target` older than `found` (Kea has no downgrade),
/// `found` older than Kea 2.2's or not on Kea's chain.
pub fn path(mysql: bool, found: (u32, u32), target: (u32, u32)) -> Result<Vec<Step>, String> {
    let (chain, minors) = if mysql {
        (MYSQL_CHAIN, MYSQL_MINORS)
    } else {
        (PG_CHAIN, PG_MINORS)
    };
    let v = |(a, b): (u32, u32)| format!("{a}.{b}");
    if found > target {
        return Err(format!(
            "the database holds schema {}, newer than the {} asked for: Kea's schemas are \
             never downgraded",
            v(found),
            v(target)
        ));
    }
    let oldest = chain[0].from;
    if found < oldest {
        return Err(format!(
            "the database holds schema {}, older than Kea 2.2's {}, the oldest ruru upgrades: \
             upgrade it first with Kea 2.2's `kea-admin db-upgrade`",
            v(found),
            v(oldest)
        ));
    }
    let mut out = Vec::new();
    let mut at = found;
    while at != target {
        // Kea 2.6's minors lead to 22.2; Kea 3.0's step from 22 takes any 22.x.
        let next = if at.0 == 22 && target.0 == 22 {
            minors.iter().find(|s| s.from == at)
        } else {
            chain
                .iter()
                .find(|s| s.from == at || (s.any_minor && s.from.0 == at.0))
        };
        match next {
            Some(s) if s.to <= target => {
                out.push(*s);
                at = s.to;
            }
            _ => {
                return Err(format!(
                    "there is no upgrade from schema {} to {} (schema {} is not one that a \
                     released Kea makes)",
                    v(found),
                    v(target),
                    v(at)
                ))
            }
        }
    }
    Ok(out)
}

/// The SQL in one of Kea's upgrade scripts: the body of its here-document
/// (`psql "$@" <<EOF` ... `EOF`), with the shell's quoting undone (`\$`,
/// `` \` `` and `\\` are a `$`, a `` ` `` and a `\`; a `\` before a newline
/// joins the lines), as the shell gives it to `psql` or `mysql`.
pub fn heredoc_sql(script: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in script.lines() {
        if !inside {
            inside = line.contains("<<EOF") || line.contains("<< EOF");
            continue;
        }
        if line == "EOF" {
            inside = false;
            continue;
        }
        let mut chars = line.chars().peekable();
        let mut joined = false;
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.peek() {
                Some(&n @ ('$' | '`' | '\\')) => {
                    out.push(n);
                    chars.next();
                }
                None => joined = true,
                Some(_) => out.push('\\'),
            }
        }
        if !joined {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_named_as_kea_numbers_them() {
        assert_eq!(KeaRelease::parse("2.2"), Ok(KeaRelease::V2_2));
        assert_eq!(KeaRelease::parse("2.6.3"), Ok(KeaRelease::V2_6));
        assert_eq!(KeaRelease::parse("3.0"), Ok(KeaRelease::V3_0));
        assert!(KeaRelease::parse("2.8").is_err());
        assert!(KeaRelease::parse("2.6.x").is_err());
        assert!(KeaRelease::parse("").is_err());
        for r in KeaRelease::ALL {
            assert_eq!(KeaRelease::parse(&r.to_string()), Ok(r));
        }
        assert_eq!(KeaRelease::V2_4.schema(false), (18, 0));
        assert_eq!(KeaRelease::V3_0.schema(true), (30, 0));
    }

    #[test]
    fn the_chain_reaches_every_release_from_kea_2_2() {
        for mysql in [false, true] {
            let start = KeaRelease::V2_2.schema(mysql);
            for r in KeaRelease::ALL {
                let steps = path(mysql, start, r.schema(mysql)).unwrap();
                let mut at = start;
                for s in &steps {
                    assert!(
                        s.from == at || (s.any_minor && s.from.0 == at.0),
                        "{s:?} at {at:?}"
                    );
                    at = s.to;
                    let sql = s.sql();
                    assert!(sql.contains("schema_version"), "{}", s.name);
                    assert!(!sql.contains("<<EOF") && !sql.contains("\\$"), "{}", s.name);
                }
                assert_eq!(at, r.schema(mysql));
            }
            // Kea 2.6's 22.2 goes on to 3.0 through the step from any 22.x.
            let on = path(mysql, (22, 2), KeaRelease::V3_0.schema(mysql)).unwrap();
            assert_eq!(on[0].from.0, 22);
            assert!(path(mysql, (22, 2), (22, 2)).unwrap().is_empty());
        }
        // Kea 2.6's minors: 22.0 -> 22.1 -> 22.2.
        let minors = path(false, (22, 0), (22, 2)).unwrap();
        assert_eq!(
            minors.iter().map(|s| s.to).collect::<Vec<_>>(),
            [(22, 1), (22, 2)]
        );
    }

    #[test]
    fn impossible_upgrades_say_why() {
        assert!(path(false, (29, 0), (13, 0))
            .unwrap_err()
            .contains("never downgraded"));
        assert!(path(false, (12, 0), (29, 0))
            .unwrap_err()
            .contains("older than Kea 2.2"));
        // 23.0 -> 22.2 is a downgrade; 22.1 -> 18.0 too.
        assert!(path(true, (23, 0), (22, 2)).is_err());
        // A version past Kea 3.0's is not on the chain.
        assert!(path(false, (29, 0), (30, 0))
            .unwrap_err()
            .contains("no upgrade"));
    }

    #[test]
    fn here_documents_are_unquoted_as_the_shell_does() {
        let script = "#!/bin/sh\nVERSION=$(x)\npsql \"$@\" <<EOF\nSELECT \\$\\$a\\$\\$, '\\\\x', 'a\\b';\nSELECT 1 \\\n+ 2;\nEOF\necho done\n";
        assert_eq!(
            heredoc_sql(script),
            "SELECT $$a$$, '\\x', 'a\\b';\nSELECT 1 + 2;\n"
        );
        let pg = path(false, (16, 0), (17, 0)).unwrap()[0].sql();
        assert!(pg.contains("RETURNS trigger AS $lease4_AINS$"));
        assert!(!pg.contains("VERSION="));
    }
}
