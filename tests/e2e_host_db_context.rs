//! End-to-end: what Kea's `hosts` table keeps beside the reservation model,
//! through the real binary and a real PostgreSQL / MariaDB database in
//! Kea 2.2's schema: `user_context` is written by `reservation-add` and
//! `-update` from the reservation's `user-context` and given back by
//! `reservation-get` (both families); `auth_key` (DHCPv6 reconfigure key,
//! hex) written by another program is kept by `reservation-update` and
//! never shown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::db::{Db, Kind};
use common::*;
use ruru_lease::{HostStore, IdType};
use ruru_lease_sql::{MySqlStore, PgStore};
use serde_json::{json, Value};
use std::time::Duration;

fn config(db: &Db) -> String {
    let database = format!(
        r#"{{ "type": "{}", "name": "{}", "host": "127.0.0.1", "user": "{}" }}"#,
        db.kind.type_name(),
        db.opts.name,
        db.kind.user()
    );
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {database},
    "hosts-database": {database},
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
                   "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ] }} ]
  }},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {database},
    "hosts-database": {database},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
                   "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
  }}
}}"#
    )
}

fn cmd(sock: &std::path::Path, command: &str, service: &str, args: Value) -> Value {
    unix_cmd(
        sock,
        &json!({"command": command, "service": [service], "arguments": args}),
    )
}

fn user_context_and_auth_key(kind: Kind, test: &str) {
    let Some(db) = Db::new(kind, test) else {
        return;
    };
    let text = config(&db);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(&cfg, &text).unwrap();
    let (ok, out) = common::db::ruru_db("init", &cfg);
    assert!(ok, "{out}");
    let srv = Server::start_in(dir, &text);
    let sock = srv.path("ctl.sock");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));

    // DHCPv4: the user context goes to the row and comes back.
    let ctx4 = json!({"asset": "pc-7", "rooms": [1, 2], "owner": {"team": "lab"}});
    let add = cmd(
        &sock,
        "reservation-add",
        "dhcp4",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:07",
            "ip-address": "192.0.2.7", "user-context": ctx4}}),
    );
    assert_eq!(add["result"], 0, "{add}");
    let hosts: Box<dyn HostStore> = match kind {
        Kind::Pg => Box::new(PgStore::open(&db.opts).unwrap()),
        Kind::My => Box::new(MySqlStore::open(&db.opts).unwrap()),
    };
    let row = hosts.all4(1);
    assert_eq!(row.len(), 1);
    let stored: Value = serde_json::from_str(&row[0].user_context).unwrap();
    assert_eq!(stored, ctx4);
    let get = cmd(
        &sock,
        "reservation-get",
        "dhcp4",
        json!({"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:07"}),
    );
    assert_eq!(get["arguments"]["user-context"], ctx4, "{get}");

    // DHCPv6: likewise, and a reconfigure key set by another program.
    let duid = [0u8, 3, 0, 1, 2, 0, 0, 0, 0, 9];
    let ctx6 = json!({"cpe": "modem-9"});
    let add = cmd(
        &sock,
        "reservation-add",
        "dhcp6",
        json!({"reservation": {"subnet-id": 1, "duid": "00:03:00:01:02:00:00:00:00:09",
            "ip-addresses": ["2001:db8:1::9"], "user-context": ctx6}}),
    );
    assert_eq!(add["result"], 0, "{add}");
    let key = "00112233445566778899AABBCCDDEEFF";
    kind.exec(
        &db.opts,
        &format!("UPDATE hosts SET auth_key = '{key}' WHERE dhcp6_subnet_id = 1"),
    )
    .unwrap();
    let by_duid = [(IdType::Duid, &duid[..])];
    let h = hosts.get6(1, &by_duid).unwrap();
    assert_eq!(h.auth_key, key);
    assert_eq!(
        serde_json::from_str::<Value>(&h.user_context).unwrap(),
        ctx6
    );
    let get = cmd(
        &sock,
        "reservation-get",
        "dhcp6",
        json!({"subnet-id": 1, "identifier-type": "duid", "identifier": "00:03:00:01:02:00:00:00:00:09"}),
    );
    assert_eq!(get["arguments"]["user-context"], ctx6, "{get}");
    assert!(
        get["arguments"].get("auth-key").is_none(),
        "a secret: {get}"
    );
    // An update replaces the user context and keeps the key.
    let ctx6b = json!({"cpe": "modem-9b"});
    let upd = cmd(
        &sock,
        "reservation-update",
        "dhcp6",
        json!({"reservation": {"subnet-id": 1, "duid": "00:03:00:01:02:00:00:00:00:09",
            "ip-addresses": ["2001:db8:1::19"], "hostname": "cpe9", "user-context": ctx6b}}),
    );
    assert_eq!(upd["result"], 0, "{upd}");
    let h = hosts.get6(1, &by_duid).unwrap();
    assert_eq!(
        h.ip_addresses,
        vec!["2001:db8:1::19".parse::<std::net::Ipv6Addr>().unwrap()]
    );
    assert_eq!(h.auth_key, key, "the reconfigure key is kept");
    assert_eq!(
        serde_json::from_str::<Value>(&h.user_context).unwrap(),
        ctx6b
    );
    // Without a user context, the column is NULL again.
    let upd = cmd(
        &sock,
        "reservation-update",
        "dhcp6",
        json!({"reservation": {"subnet-id": 1, "duid": "00:03:00:01:02:00:00:00:00:09",
            "ip-addresses": ["2001:db8:1::19"]}}),
    );
    assert_eq!(upd["result"], 0, "{upd}");
    let h = hosts.get6(1, &by_duid).unwrap();
    assert_eq!((h.user_context.as_str(), h.auth_key.as_str()), ("", key));
    let get = cmd(
        &sock,
        "reservation-get",
        "dhcp6",
        json!({"subnet-id": 1, "identifier-type": "duid", "identifier": "00:03:00:01:02:00:00:00:00:09"}),
    );
    assert!(get["arguments"].get("user-context").is_none(), "{get}");
}

#[test]
fn pg_host_user_context_and_auth_key() {
    user_context_and_auth_key(Kind::Pg, "pg_host_context");
}

#[test]
fn mysql_host_user_context_and_auth_key() {
    user_context_and_auth_key(Kind::My, "mysql_host_context");
}
