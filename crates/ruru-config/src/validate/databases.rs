//! The databases of both families: `lease-database` (memfile with Kea's
//! defaults, or PostgreSQL / MySQL) and `hosts-database` /
//! `hosts-databases` (SQL only), with their SQL parameters (`on-fail`,
//! reconnection, timeouts) and TLS to the database server.

use std::path::PathBuf;

use super::{Section, V};
use crate::{file, model};

/// Kea's default `lfc-interval`.
pub const DEFAULT_LFC_INTERVAL: u32 = 3600;

pub(super) fn lease_database(
    v: &mut V,
    sec: &Section,
    ld: Option<&file::LeaseDatabase>,
) -> model::LeaseDatabase {
    let p = sec.name;
    let default = model::LeaseDatabase {
        kind: model::LeaseDbKind::Memfile,
        name: PathBuf::from(sec.lease_file),
        persist: true,
        lfc_interval: DEFAULT_LFC_INTERVAL,
        max_row_errors: 0,
    };
    let Some(ld) = ld else { return default };
    if ld.readonly.is_some() {
        v.err(
            format!("{p}.lease-database.readonly"),
            "`readonly` is for a hosts database (`hosts-database`, `hosts-databases`), not `lease-database` (as in Kea)",
        );
    }
    let kind = match ld.kind.as_str() {
        "memfile" => {
            let sql_only = [
                ("host", ld.host.is_some()),
                ("port", ld.port.is_some()),
                ("user", ld.user.is_some()),
                ("password", ld.password.is_some()),
                ("connect-timeout", ld.connect_timeout.is_some()),
                ("max-reconnect-tries", ld.max_reconnect_tries.is_some()),
                ("reconnect-wait-time", ld.reconnect_wait_time.is_some()),
                ("on-fail", ld.on_fail.is_some()),
                ("retry-on-startup", ld.retry_on_startup.is_some()),
                ("trust-anchor", ld.trust_anchor.is_some()),
                ("cert-file", ld.cert_file.is_some()),
                ("key-file", ld.key_file.is_some()),
                ("key-password", ld.key_password.is_some()),
                ("cipher-list", ld.cipher_list.is_some()),
                ("tcp-user-timeout", ld.tcp_user_timeout.is_some()),
                ("read-timeout", ld.read_timeout.is_some()),
                ("write-timeout", ld.write_timeout.is_some()),
            ];
            for (key, set) in sql_only {
                if set {
                    v.err(
                        format!("{p}.lease-database.{key}"),
                        format!("`{key}` is for \"postgresql\" and \"mysql\", not \"memfile\""),
                    );
                }
            }
            model::LeaseDbKind::Memfile
        }
        "postgresql" => {
            model::LeaseDbKind::Postgresql(sql_database(v, &format!("{p}.lease-database"), ld))
        }
        "mysql" => model::LeaseDbKind::Mysql(sql_database(v, &format!("{p}.lease-database"), ld)),
        "cql" => {
            v.err(
                format!("{p}.lease-database.type"),
                "not supported yet: lease-database.type \"cql\" (Kea removed it too)",
            );
            model::LeaseDbKind::Memfile
        }
        other => {
            v.err(
                format!("{p}.lease-database.type"),
                format!(
                    "unknown lease database type `{other}`: expected \"memfile\", \"postgresql\" or \"mysql\""
                ),
            );
            model::LeaseDbKind::Memfile
        }
    };
    if let Some(n) = &ld.name {
        if n.is_empty() {
            v.err(
                format!("{p}.lease-database.name"),
                "empty name: expected a path (memfile) or a database name",
            );
        }
    }
    if kind != model::LeaseDbKind::Memfile {
        // `max-row-errors` is taken and ignored with a SQL database, as in
        // Kea (only the memfile backend reads rows from a file).
        for (key, set) in [
            ("persist", ld.persist.is_some()),
            ("lfc-interval", ld.lfc_interval.is_some()),
        ] {
            if set {
                v.err(
                    format!("{p}.lease-database.{key}"),
                    format!("`{key}` is for \"memfile\" only"),
                );
            }
        }
        return model::LeaseDatabase {
            kind,
            name: PathBuf::new(),
            persist: true,
            lfc_interval: 0,
            max_row_errors: 0,
        };
    }
    model::LeaseDatabase {
        name: ld.name.as_ref().map_or(default.name, PathBuf::from),
        persist: ld.persist.unwrap_or(true),
        lfc_interval: ld.lfc_interval.unwrap_or(DEFAULT_LFC_INTERVAL),
        max_row_errors: ld.max_row_errors.unwrap_or(0),
        ..default
    }
}

/// `hosts-database` / `hosts-databases` (Kea's parameters; SQL only:
/// Kea has no memfile hosts backend), in lookup order.
pub(super) fn hosts_databases(
    v: &mut V,
    p: &str,
    one: Option<&file::LeaseDatabase>,
    list: Option<&[file::LeaseDatabase]>,
) -> Vec<model::LeaseDbKind> {
    if one.is_some() && list.is_some() {
        v.err(
            format!("{p}.hosts-databases"),
            "`hosts-database` and `hosts-databases` are exclusive: use one of them",
        );
    }
    let mut all: Vec<(String, &file::LeaseDatabase)> = Vec::new();
    if let Some(d) = one {
        all.push((format!("{p}.hosts-database"), d));
    }
    for (i, d) in list.unwrap_or_default().iter().enumerate() {
        all.push((format!("{p}.hosts-databases[{i}]"), d));
    }
    let mut out = Vec::new();
    for (path, d) in all {
        if d.name.as_deref() == Some("") {
            v.err(
                format!("{path}.name"),
                "empty name: expected a database name",
            );
        }
        for (key, set) in [
            ("persist", d.persist.is_some()),
            ("lfc-interval", d.lfc_interval.is_some()),
            ("max-row-errors", d.max_row_errors.is_some()),
        ] {
            if set {
                v.err(
                    format!("{path}.{key}"),
                    format!("`{key}` is for a memfile lease database, not a hosts database"),
                );
            }
        }
        match d.kind.as_str() {
            "postgresql" => out.push(model::LeaseDbKind::Postgresql(sql_database(v, &path, d))),
            "mysql" => out.push(model::LeaseDbKind::Mysql(sql_database(v, &path, d))),
            "memfile" => v.err(
                format!("{path}.type"),
                "\"memfile\" is not a hosts backend (as in Kea): reservations in the file go in `reservations`; a hosts database is \"postgresql\" or \"mysql\"",
            ),
            other => v.err(
                format!("{path}.type"),
                format!("unknown hosts database type `{other}`: expected \"postgresql\" or \"mysql\""),
            ),
        }
    }
    out
}

/// The parameters of a `postgresql` or `mysql` lease or hosts database;
/// `p` is the object's path (`Dhcp4.lease-database`).
fn sql_database(v: &mut V, p: &str, ld: &file::LeaseDatabase) -> model::SqlDatabase {
    let name = match &ld.name {
        Some(n) => n.clone(),
        None => {
            v.err(
                p,
                "missing `name`: the database name is required for a SQL database",
            );
            String::new()
        }
    };
    let on_fail = match ld.on_fail.as_deref() {
        None | Some("stop-retry-exit") => model::OnFail::StopRetryExit,
        Some("serve-retry-exit") => model::OnFail::ServeRetryExit,
        Some("serve-retry-continue") => model::OnFail::ServeRetryContinue,
        Some(other) => {
            v.err(
                format!("{p}.on-fail"),
                format!(
                    "unknown on-fail `{other}`: expected \"stop-retry-exit\", \"serve-retry-exit\" or \"serve-retry-continue\""
                ),
            );
            model::OnFail::StopRetryExit
        }
    };
    if ld.host.as_deref() == Some("") {
        v.err(format!("{p}.host"), "empty host name");
    }
    let tls = db_tls(v, p, ld);
    // Kea's MySQL client sets socket read/write timeouts; the MySQL client
    // ruru uses has none (each statement is bounded by connect-timeout).
    // PostgreSQL takes and ignores them, as in Kea.
    if ld.kind == "mysql" {
        for (key, val) in [
            ("read-timeout", ld.read_timeout),
            ("write-timeout", ld.write_timeout),
        ] {
            if val.is_some_and(|t| t > 0) {
                v.err(
                    format!("{p}.{key}"),
                    format!("not supported yet: {key} with mysql (ruru bounds each statement by connect-timeout); expected 0 (Kea's default: not used)"),
                );
            }
        }
    }
    model::SqlDatabase {
        name,
        host: ld.host.clone().unwrap_or_else(|| "localhost".into()),
        port: ld.port,
        user: ld.user.clone(),
        password: ld.password.clone(),
        connect_timeout: ld.connect_timeout.unwrap_or(5),
        max_reconnect_tries: ld.max_reconnect_tries.unwrap_or(0),
        reconnect_wait_time: ld.reconnect_wait_time.unwrap_or(0),
        on_fail,
        retry_on_startup: ld.retry_on_startup.unwrap_or(false),
        tls,
        readonly: ld.readonly.unwrap_or(false),
        // Without effect with MySQL, as in Kea.
        tcp_user_timeout: if ld.kind == "postgresql" {
            ld.tcp_user_timeout.unwrap_or(0)
        } else {
            0
        },
    }
}

/// TLS to a SQL database (Kea's `trust-anchor`, `cert-file`, `key-file`):
/// used when `trust-anchor` is set, and then the server's certificate is
/// verified against it. `cert-file` and `key-file` go together, and only
/// with a `trust-anchor` (a client certificate without verifying the
/// server would give the key to whoever answers). The files are read when
/// the database is opened, as the control socket's are.
fn db_tls(v: &mut V, p: &str, ld: &file::LeaseDatabase) -> Option<model::DbTls> {
    let mut ok = true;
    for (key, val) in [
        ("trust-anchor", &ld.trust_anchor),
        ("cert-file", &ld.cert_file),
        ("key-file", &ld.key_file),
    ] {
        if val.as_deref() == Some("") {
            v.err(
                format!("{p}.{key}"),
                format!("empty `{key}`: expected a path"),
            );
            ok = false;
        }
    }
    let client = match (&ld.cert_file, &ld.key_file) {
        (None, None) => None,
        (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
        (Some(_), None) => {
            v.err(
                format!("{p}.cert-file"),
                "`cert-file` without `key-file`: expected both (the client certificate and its key) or neither",
            );
            ok = false;
            None
        }
        (None, Some(_)) => {
            v.err(
                format!("{p}.key-file"),
                "`key-file` without `cert-file`: expected both (the client certificate and its key) or neither",
            );
            ok = false;
            None
        }
    };
    if ld.key_password.is_some() && ld.key_file.is_none() {
        v.err(
            format!("{p}.key-password"),
            "`key-password` without `key-file`: expected the encrypted client key it opens",
        );
        ok = false;
    }
    // Kea's `cipher-list`: an OpenSSL cipher list, PostgreSQL only.
    let tls12_suites = match ld.cipher_list.as_deref() {
        None => None,
        Some(_) if ld.kind == "mysql" => {
            v.err(
                format!("{p}.cipher-list"),
                "not supported yet with mysql: the MySQL driver ruru uses (mysql_async) does not let it choose the TLS cipher suites (it offers all of its TLS library's: ECDHE with AES-GCM or ChaCha20-Poly1305); cipher-list works with postgresql",
            );
            ok = false;
            None
        }
        Some(list) => match super::ciphers::tls12_suites(list) {
            Ok(s) => Some(s.into_iter().map(str::to_string).collect()),
            Err(e) => {
                v.err(format!("{p}.cipher-list"), e);
                ok = false;
                None
            }
        },
    };
    let Some(ca) = &ld.trust_anchor else {
        if client.is_some() {
            v.err(
                format!("{p}.cert-file"),
                "TLS without `trust-anchor`: expected `trust-anchor` too, the CA that signed the database server's certificate",
            );
        } else if tls12_suites.is_some() {
            v.err(
                format!("{p}.cipher-list"),
                "TLS without `trust-anchor`: expected `trust-anchor` too, the CA that signed the database server's certificate",
            );
        }
        return None;
    };
    ok.then(|| model::DbTls {
        trust_anchor: PathBuf::from(ca),
        client,
        tls12_suites,
        key_password: ld.key_password.clone(),
    })
}
