//! ruru on the schemas of Kea 2.4, 2.6 and 3.0 as those releases' own
//! `kea-admin` makes them (unpacked by `.ci/kea-admin-releases`; Kea 2.2's
//! is the system's package): `ruru db init --schema` makes the same schema
//! as `kea-admin db-init`, `ruru db upgrade` the same as `kea-admin
//! db-upgrade` (with every lease kept and Kea's statistics right), and
//! ruru's lease conformance suite passes on each. PostgreSQL and
//! MySQL/MariaDB as in `sql.rs`; a missing kea-admin is a SKIP (a failure
//! under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ruru_lease::conformance::{lease4, lease6, prefix6, run_all4, run_all6};
use ruru_lease::SchemaState;
use ruru_lease_sql::KeaRelease;

/// Everything a schema is, as text lines: columns (type, default,
/// nullability, position), routines (name, arguments, body up to white
/// space), triggers, indexes, constraints, and every table's rows without
/// their timestamp columns (Kea's server tables stamp the moment they were
/// made).
fn schema_dump(db: &TestDb) -> Vec<String> {
    let kind = db.kind;
    let q = |sql: &str| -> Vec<String> {
        rows(kind, db, sql)
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|c| c.unwrap_or_else(|| "NULL".into()))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    let name = &db.opts.name;
    let mut out = Vec::new();
    let (meta, tables_sql): (Vec<String>, String) = match kind {
        Kind::Pg => (
            vec![
                "SELECT table_name, column_name, ordinal_position::text, data_type, column_default, is_nullable FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 3".into(),
                "SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(regexp_replace(p.prosrc, '\\s+', ' ', 'g')) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'public' ORDER BY 1, 2".into(),
                "SELECT event_object_table, trigger_name, action_timing, event_manipulation, action_statement FROM information_schema.triggers ORDER BY 1, 2, 4".into(),
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2".into(),
                "SELECT c.conrelid::regclass::text, conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE nspname = 'public' ORDER BY 1, 2".into(),
            ],
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1".into(),
        ),
        Kind::My => (
            vec![
                format!("SELECT table_name, column_name, ordinal_position, column_type, column_default, is_nullable, extra FROM information_schema.columns WHERE table_schema = '{name}' ORDER BY 1, 3"),
                format!("SELECT routine_type, routine_name, md5(regexp_replace(routine_definition, '[[:space:]]+', ' ')) FROM information_schema.routines WHERE routine_schema = '{name}' ORDER BY 1, 2"),
                format!("SELECT event_object_table, trigger_name, action_timing, event_manipulation, md5(regexp_replace(action_statement, '[[:space:]]+', ' ')) FROM information_schema.triggers WHERE trigger_schema = '{name}' ORDER BY 1, 2"),
                format!("SELECT table_name, index_name, seq_in_index, column_name, non_unique FROM information_schema.statistics WHERE table_schema = '{name}' ORDER BY 1, 2, 3"),
                format!("SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = '{name}' ORDER BY 1, 2"),
                format!("SELECT constraint_name, table_name, referenced_table_name, update_rule, delete_rule FROM information_schema.referential_constraints WHERE constraint_schema = '{name}' ORDER BY 1"),
            ],
            format!("SELECT table_name FROM information_schema.tables WHERE table_schema = '{name}' AND table_type = 'BASE TABLE' ORDER BY 1"),
        ),
    };
    for m in &meta {
        out.extend(q(m));
    }
    for table in q(&tables_sql) {
        let cols_sql = match kind {
            Kind::Pg => format!("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{table}' AND data_type NOT LIKE 'timestamp%' ORDER BY ordinal_position"),
            Kind::My => format!("SELECT column_name FROM information_schema.columns WHERE table_schema = '{name}' AND table_name = '{table}' AND data_type NOT IN ('timestamp', 'datetime') ORDER BY ordinal_position"),
        };
        let cols = q(&cols_sql);
        out.push(format!("== {table}"));
        if cols.is_empty() {
            continue;
        }
        let list = match kind {
            Kind::Pg => cols
                .iter()
                .map(|c| format!("\"{c}\"::text"))
                .collect::<Vec<_>>(),
            Kind::My => cols.iter().map(|c| format!("`{c}`")).collect(),
        };
        out.extend(q(&format!(
            "SELECT {} FROM {table} ORDER BY 1",
            list.join(", ")
        )));
    }
    out
}

/// The lines of `a` and `b` that differ (each side's, in order).
fn differences(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let only = |x: &[String], y: &[String]| {
        x.iter()
            .filter(|l| !y.contains(l))
            .cloned()
            .collect::<Vec<_>>()
    };
    (only(a, b), only(b, a))
}

/// `ruru db init --schema R` makes what R's `kea-admin db-init` makes, for
/// Kea 2.4, 2.6 and 3.0. One difference is Kea's own: the body of the
/// MySQL function `isJsonSupported`, which Kea's create scripts since 2.4
/// write with another test key than their upgrade scripts (which ruru
/// runs, as `kea-admin db-upgrade` does); both answer the same.
fn init_makes_kea_admins_schema(kind: Kind, test: &str) {
    for release in [KeaRelease::V2_4, KeaRelease::V2_6, KeaRelease::V3_0] {
        let tag = release.to_string().replace('.', "");
        let Some(kea) = kea_admin_db(kind, &format!("{test}_k{tag}"), release) else {
            return;
        };
        let ruru = TestDb::new(kind, &format!("{test}_r{tag}")).unwrap();
        let v = release.schema(matches!(kind, Kind::My));
        assert_eq!(ruru.init_as(release), SchemaState::Version(v.0, v.1));
        let (k, r) = (schema_dump(&kea), schema_dump(&ruru));
        assert!(k.len() > 500, "{}", k.len());
        let (only_kea, only_ruru) = differences(&k, &r);
        let known = |l: &String| l.starts_with("FUNCTION|isJsonSupported|");
        assert!(
            only_kea.iter().all(known) && only_ruru.iter().all(known),
            "Kea {release}: only in kea-admin's: {only_kea:#?}\nonly in ruru's: {only_ruru:#?}"
        );
        assert_eq!(k.len(), r.len());
    }
}

#[test]
fn pg_init_makes_kea_admins_schema() {
    init_makes_kea_admins_schema(Kind::Pg, "pg_init_kea");
}

#[test]
fn mysql_init_makes_kea_admins_schema() {
    init_makes_kea_admins_schema(Kind::My, "my_init_kea");
}

/// The leases [`upgrade_as_kea_admin_does`] writes: 20 of each family in
/// several subnets, every fourth DHCPv6 one a delegated prefix.
fn written() -> Vec<(ruru_lease::Lease4, ruru_lease::Lease6)> {
    (1..=20u16)
        .map(|n| {
            let mut l4 = lease4(n);
            l4.subnet_id = 1 + u32::from(n % 3);
            let mut l6 = if n % 4 == 0 { prefix6(n) } else { lease6(n) };
            l6.subnet_id = 1 + u32::from(n % 2);
            (l4, l6)
        })
        .collect()
}

/// A Kea 2.2 database with leases in it (written by ruru: addresses,
/// prefixes, several subnets), upgraded to Kea 3.0's schema by Kea 3.0's
/// `kea-admin db-upgrade` and by `ruru db upgrade`: the two databases are
/// the same, every lease reads back as it was written, and Kea's
/// statistics tables are what `kea-admin stats-recount` makes of them.
fn upgrade_as_kea_admin_does(kind: Kind, test: &str) {
    let mut dbs = Vec::new();
    for who in ["k", "r"] {
        let Some(db) = kea_admin_db(kind, &format!("{test}_{who}"), KeaRelease::V2_2) else {
            return;
        };
        if let Err(e) = kea_admin_bin(KeaRelease::V3_0) {
            ruru_lease_sql::sql::skip(test, &e);
            return;
        }
        let store = db.open().unwrap();
        for (l4, l6) in written() {
            store.add4(&l4).unwrap();
            store.add6(&l6).unwrap();
        }
        drop(store);
        dbs.push(db);
    }
    let (kea, ruru) = (&dbs[0], &dbs[1]);
    kea_admin(kea, KeaRelease::V3_0, "db-upgrade").unwrap();
    let newest = kind.newest();
    assert_eq!(
        ruru.upgrade(KeaRelease::V3_0).unwrap(),
        SchemaState::Version(newest.0, newest.1)
    );
    assert_eq!(kea.version(), ruru.version());
    let (k, r) = (schema_dump(kea), schema_dump(ruru));
    assert_eq!(differences(&k, &r), (vec![], vec![]), "after db-upgrade");
    // Every lease as it was written.
    let store = ruru.open().unwrap();
    for (l4, l6) in written() {
        assert_eq!(store.get4(l4.addr), Some(l4));
        assert_eq!(store.get6(l6.lease_type, l6.address), Some(l6));
    }
    assert_eq!((store.all4().len(), store.all6().len()), (20, 20));
    // Kea's statistics: what its own recount makes of the leases.
    let stats = |db: &TestDb| {
        let mut s = Vec::new();
        for t in ["lease4_stat", "lease6_stat"] {
            s.extend(rows(
                kind,
                db,
                &format!("SELECT * FROM {t} ORDER BY 1, 2, 3"),
            ));
        }
        s
    };
    let before = stats(ruru);
    assert!(!before.is_empty());
    kea_admin(ruru, KeaRelease::V3_0, "stats-recount").unwrap();
    assert_eq!(
        stats(ruru),
        before,
        "kea-admin stats-recount changes nothing"
    );
}

#[test]
fn pg_upgrade_as_kea_admin_does() {
    upgrade_as_kea_admin_does(Kind::Pg, "pg_up_kea");
}

#[test]
fn mysql_upgrade_as_kea_admin_does() {
    upgrade_as_kea_admin_does(Kind::My, "my_up_kea");
}

/// ruru's lease conformance suite on a database that Kea `release`'s own
/// `kea-admin db-init` made.
fn conformance_on_kea_admins(kind: Kind, test: &str, release: KeaRelease, v6: bool) {
    let Some(db) = kea_admin_db(kind, test, release) else {
        return;
    };
    if v6 {
        run_all6(&|| db.fresh());
    } else {
        run_all4(&|| db.fresh());
    }
}

macro_rules! conformance_tests {
    ($($name:ident: $kind:expr, $release:expr, $v6:expr;)*) => {
        $(
            #[test]
            fn $name() {
                conformance_on_kea_admins($kind, stringify!($name), $release, $v6);
            }
        )*
    };
}

conformance_tests! {
    pg_kea24_admin4: Kind::Pg, KeaRelease::V2_4, false;
    pg_kea24_admin6: Kind::Pg, KeaRelease::V2_4, true;
    pg_kea26_admin4: Kind::Pg, KeaRelease::V2_6, false;
    pg_kea26_admin6: Kind::Pg, KeaRelease::V2_6, true;
    pg_kea30_admin4: Kind::Pg, KeaRelease::V3_0, false;
    pg_kea30_admin6: Kind::Pg, KeaRelease::V3_0, true;
    my_kea24_admin4: Kind::My, KeaRelease::V2_4, false;
    my_kea24_admin6: Kind::My, KeaRelease::V2_4, true;
    my_kea26_admin4: Kind::My, KeaRelease::V2_6, false;
    my_kea26_admin6: Kind::My, KeaRelease::V2_6, true;
    my_kea30_admin4: Kind::My, KeaRelease::V3_0, false;
    my_kea30_admin6: Kind::My, KeaRelease::V3_0, true;
}
