//! End-to-end tests of the DHCPv6 control commands and of the DHCPv6 lease
//! file cleanup: the real `ruru` binary with a `Dhcp6` section and a UNIX
//! control socket; leases obtained over the wire (Solicit, Advertise,
//! Request, Reply through a relay at [::1]:547, see tests/common/v6.rs),
//! then every `lease6-*`, `stat-lease6-get` and `subnet6-*` command checked
//! against what the server stores (answers, the lease file, statistics, the
//! next allocation, a restart). Binding port 547 needs root: SKIP
//! otherwise, failure under RURU_REQUIRE_ALL=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::Ipv6Addr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;
use std::time::Duration;

use common::v6::*;
use common::*;
use dhcproto::v6::MessageType;
use serde_json::{json, Value};

fn config(lfc_interval: u32) -> String {
    format!(
        r#"{{ "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctrl6.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": {lfc_interval} }},
    "server-id": {{ "type": "LLT", "persist": true }},
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [
      {{ "id": 1, "subnet": "2001:db8:1::/64",
        "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
        "pd-pools": [ {{ "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }} ] }},
      {{ "id": 2, "subnet": "2001:db8:2::/64",
        "pools": [ {{ "pool": "2001:db8:2::100 - 2001:db8:2::1ff" }} ] }}
    ]
}} }}"#
    )
}

/// Sends one command over the UNIX socket and returns the answer.
fn cmd(sock: &Path, command: &str, args: Value) -> Value {
    let req = json!({ "command": command, "arguments": args });
    raw(sock, req.to_string().as_bytes())
}

fn raw(sock: &Path, body: &[u8]) -> Value {
    let mut s = UnixStream::connect(sock).expect("connect control socket");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(body).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("answer is not JSON ({e}): {out}"))
}

/// Runs a command that must succeed (result 0).
fn ok(sock: &Path, command: &str, args: Value) -> Value {
    let a = cmd(sock, command, args);
    assert_eq!(a["result"], 0, "{command}: {a}");
    a
}

fn addrs(answer: &Value) -> Vec<String> {
    answer["arguments"]["leases"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| x["ip-address"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

struct Env {
    // Dropped in this order: the server, the relay socket, then the guard,
    // so that the next test may bind port 547.
    srv: Server,
    relay: Relay6,
    sock: PathBuf,
    _guard: MutexGuard<'static, ()>,
}

fn setup(test: &str, lfc_interval: u32) -> Option<Env> {
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let sock = bind_relay(test)?;
    let srv = Server::start(&config(lfc_interval));
    let relay = Relay6::new(sock, srv.port);
    let ctrl = srv.path("ctrl6.sock");
    assert!(
        wait_until(Duration::from_secs(5), || ctrl.exists()),
        "control socket created"
    );
    Some(Env {
        srv,
        relay,
        sock: ctrl,
        _guard: guard,
    })
}

/// Solicit + Request for client `n` with one IA_NA (IAID 1) and, when
/// `pd`, one IA_PD (IAID 2); returns the address and the prefix.
fn sarr(relay: &Relay6, n: u8, pd: bool) -> (Ipv6Addr, Option<(Ipv6Addr, u8)>) {
    let ias = |a: Option<Ipv6Addr>, p: Option<(Ipv6Addr, u8)>| {
        let mut v = vec![ia_na(1, a)];
        if pd {
            v.push(ia_pd(2, p));
        }
        v
    };
    let adv = relay
        .exchange(&msg(1, n, None, &ias(None, None)))
        .expect("ADVERTISE");
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let sid = server_duid(&adv);
    let (a, p) = (addr_of(&adv).expect("an address"), prefix_of(&adv));
    let rep = relay
        .exchange(&msg(3, n, Some(&sid), &ias(Some(a), p)))
        .expect("REPLY");
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(addr_of(&rep), Some(a));
    assert_eq!(prefix_of(&rep), p);
    (a, p)
}

/// The latest lease-file row for `addr` (split into columns).
fn last_row(srv: &Server, addr: &str) -> Option<Vec<String>> {
    srv.lease_file("leases6.csv")
        .lines()
        .rev()
        .find(|l| l.split(',').next() == Some(addr))
        .map(|l| l.split(',').map(str::to_string).collect())
}

fn stat(sock: &Path, name: &str) -> Option<i64> {
    ok(sock, "statistic-get", json!({ "name": name }))["arguments"][name][0][0].as_i64()
}

#[test]
fn lease6_commands_see_and_change_the_servers_leases() {
    let Some(mut e) = setup("v6_commands", 0) else {
        return;
    };
    let s = e.sock.clone();
    let (a1, p1) = sarr(&e.relay, 1, true);
    let (p1, plen) = p1.expect("a prefix");
    let (a2, _) = sarr(&e.relay, 2, false);
    let (a1s, p1s, a2s) = (a1.to_string(), p1.to_string(), a2.to_string());

    // Listed, and served for "dhcp6".
    let list = raw(&s, br#"{"command": "list-commands", "service": ["dhcp6"]}"#);
    assert_eq!(list["result"], 0, "{list}");
    for c in [
        "lease6-add",
        "lease6-del",
        "lease6-get",
        "lease6-get-all",
        "lease6-get-by-duid",
        "lease6-get-by-hostname",
        "lease6-get-page",
        "lease6-update",
        "lease6-wipe",
        "stat-lease6-get",
        "subnet6-get",
        "subnet6-list",
    ] {
        assert!(
            list["arguments"].as_array().unwrap().contains(&json!(c)),
            "{c} listed"
        );
    }

    // lease6-get by address: Kea's lease6 JSON of what the Reply gave.
    let l = ok(&s, "lease6-get", json!({ "ip-address": a1s }))["arguments"].clone();
    assert_eq!(l["type"], "IA_NA");
    assert_eq!(l["duid"], duid_text(1));
    assert_eq!(
        (
            &l["iaid"],
            &l["subnet-id"],
            &l["valid-lft"],
            &l["preferred-lft"],
            &l["state"]
        ),
        (&json!(1), &json!(1), &json!(4000), &json!(3000), &json!(0))
    );
    assert!(l.get("prefix-len").is_none());
    let cltt = l["cltt"].as_u64().unwrap();
    let row = last_row(&e.srv, &a1s).unwrap();
    assert_eq!(
        row[3].parse::<u64>().unwrap(),
        cltt + 4000,
        "expire = cltt + valid"
    );
    // The prefix, as IA_PD only.
    let p = ok(
        &s,
        "lease6-get",
        json!({ "ip-address": p1s, "type": "IA_PD" }),
    )["arguments"]
        .clone();
    assert_eq!(
        (&p["type"], &p["prefix-len"], &p["iaid"]),
        (&json!("IA_PD"), &json!(plen), &json!(2))
    );
    assert_eq!(
        cmd(&s, "lease6-get", json!({ "ip-address": p1s }))["result"],
        3
    );
    // By DUID + IAID + subnet.
    let by_id = ok(
        &s,
        "lease6-get",
        json!({ "identifier-type": "duid", "identifier": duid_text(2), "iaid": 1, "subnet-id": 1 }),
    );
    assert_eq!(by_id["arguments"]["ip-address"], a2s);
    assert_eq!(
        cmd(
            &s,
            "lease6-get",
            json!({ "identifier-type": "duid", "identifier": duid_text(2), "iaid": 1, "subnet-id": 2 })
        )["result"],
        3
    );

    // Lists.
    let mut all_sorted = vec![a1s.clone(), a2s.clone(), p1s.clone()];
    all_sorted.sort_by_key(|x| x.parse::<Ipv6Addr>().unwrap());
    assert_eq!(addrs(&ok(&s, "lease6-get-all", json!({}))), all_sorted);
    assert_eq!(
        addrs(&ok(&s, "lease6-get-all", json!({ "subnets": [1] }))),
        all_sorted
    );
    assert_eq!(
        cmd(&s, "lease6-get-all", json!({ "subnets": [2] }))["result"],
        3
    );
    let page1 = ok(
        &s,
        "lease6-get-page",
        json!({ "from": "start", "limit": 2 }),
    );
    assert_eq!(page1["arguments"]["count"], 2);
    let last = addrs(&page1).pop().unwrap();
    let page2 = ok(&s, "lease6-get-page", json!({ "from": last, "limit": 2 }));
    assert_eq!(addrs(&page2), [all_sorted[2].clone()]);
    let mut mine = vec![a1s.clone(), p1s.clone()];
    mine.sort_by_key(|x| x.parse::<Ipv6Addr>().unwrap());
    assert_eq!(
        addrs(&ok(
            &s,
            "lease6-get-by-duid",
            json!({ "duid": duid_text(1) })
        )),
        mine
    );

    // lease6-add: stored, journaled, counted, and the allocator skips it.
    let added = "2001:db8:1::1f0";
    let a = ok(
        &s,
        "lease6-add",
        json!({ "ip-address": added, "duid": "0a:0b:0c:0d", "iaid": 9, "hostname": "Added.Example." }),
    );
    assert_eq!(
        a["text"],
        format!("Lease for address {added}, subnet-id 1 added.")
    );
    let row = last_row(&e.srv, added).expect("lease6-add journaled");
    assert_eq!(
        (row[1].as_str(), row[4].as_str(), row[7].as_str()),
        ("0a:0b:0c:0d", "1", "9")
    );
    assert_eq!(stat(&s, "subnet[1].assigned-nas"), Some(3), "recounted");
    let by_name = ok(
        &s,
        "lease6-get-by-hostname",
        json!({ "hostname": "added.example." }),
    );
    assert_eq!(addrs(&by_name), [added]);
    // A client asking for that address does not get it.
    let adv = e
        .relay
        .exchange(&msg(1, 3, None, &[ia_na(1, Some(added.parse().unwrap()))]))
        .unwrap();
    assert_ne!(addr_of(&adv), Some(added.parse().unwrap()));
    assert_eq!(
        cmd(
            &s,
            "lease6-add",
            json!({ "ip-address": added, "duid": "0a", "iaid": 1 })
        )["result"],
        1,
        "already exists"
    );

    // lease6-update: the server's lease gets the new values.
    let u = ok(
        &s,
        "lease6-update",
        json!({ "ip-address": a2s, "duid": duid_text(2), "iaid": 1, "hostname": "printer", "valid-lft": 999 }),
    );
    assert_eq!(u["text"], "IPv6 lease updated.");
    let row = last_row(&e.srv, &a2s).unwrap();
    assert_eq!((row[2].as_str(), row[11].as_str()), ("999", "printer"));

    // stat-lease6-get: totals and cumulative counts from the statistics,
    // leases counted in the store.
    let st = ok(&s, "stat-lease6-get", json!({}));
    let rs = &st["arguments"]["result-set"];
    assert_eq!(
        rs["columns"],
        json!([
            "subnet-id",
            "total-nas",
            "cumulative-assigned-nas",
            "assigned-nas",
            "declined-nas",
            "total-pds",
            "cumulative-assigned-pds",
            "assigned-pds"
        ])
    );
    assert_eq!(
        rs["rows"],
        json!([[1, 256, 2, 3, 0, 256, 1, 1], [2, 256, 0, 0, 0, 0, 0, 0]])
    );
    let one = ok(&s, "stat-lease6-get", json!({ "subnet-id": 2 }));
    assert_eq!(
        one["arguments"]["result-set"]["rows"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // subnet6-list, subnet6-get.
    let sl = ok(&s, "subnet6-list", json!({}));
    assert_eq!(
        sl["arguments"]["subnets"],
        json!([
            { "id": 1, "subnet": "2001:db8:1::/64", "shared-network-name": null },
            { "id": 2, "subnet": "2001:db8:2::/64", "shared-network-name": null }
        ])
    );
    let sg = ok(&s, "subnet6-get", json!({ "subnet": "2001:db8:2::/64" }));
    assert_eq!(sg["arguments"]["subnet6"][0]["id"], 2);
    assert_eq!(cmd(&s, "subnet6-get", json!({ "id": 7 }))["result"], 3);

    // Bad arguments: result 1 with a reason.
    for (c, args, needle) in [
        (
            "lease6-get",
            json!({ "ip-address": "192.0.2.1" }),
            "Invalid IPv6 address",
        ),
        (
            "lease6-get",
            json!({ "identifier-type": "duid", "identifier": "01" }),
            "'subnet-id'",
        ),
        (
            "lease6-add",
            json!({ "ip-address": "2001:db8:1::5", "iaid": 1 }),
            "'duid' parameter not specified",
        ),
        (
            "lease6-add",
            json!({ "ip-address": "2001:db8:77::5", "duid": "01", "iaid": 1 }),
            "failed to find a subnet",
        ),
        (
            "lease6-get-page",
            json!({ "from": "nowhere", "limit": 1 }),
            "neither 'start'",
        ),
        (
            "lease6-get-by-duid",
            json!({ "duid": "zz" }),
            "invalid DUID",
        ),
        (
            "stat-lease6-get",
            json!({ "subnet-id": 9 }),
            "does not exist",
        ),
    ] {
        let a = cmd(&s, c, args);
        assert_eq!(a["result"], 1, "{c}: {a}");
        assert!(a["text"].as_str().unwrap().contains(needle), "{c}: {a}");
    }

    // lease6-del: gone from the store (deletion row) and the statistics.
    let d = ok(&s, "lease6-del", json!({ "ip-address": a2s }));
    assert_eq!(d["text"], "IPv6 lease deleted.");
    assert_eq!(last_row(&e.srv, &a2s).unwrap()[2], "0", "deletion row");
    assert_eq!(
        cmd(&s, "lease6-get", json!({ "ip-address": a2s }))["result"],
        3
    );
    assert_eq!(
        cmd(&s, "lease6-del", json!({ "ip-address": a2s }))["result"],
        3
    );
    assert_eq!(stat(&s, "subnet[1].assigned-nas"), Some(2));

    // What the commands changed survives a restart.
    e.srv.stop();
    e.srv.spawn();
    assert!(wait_until(Duration::from_secs(5), || e.sock.exists()));
    assert_eq!(
        ok(&s, "lease6-get", json!({ "ip-address": added }))["arguments"]["iaid"],
        9
    );
    assert_eq!(
        cmd(&s, "lease6-get", json!({ "ip-address": a2s }))["result"],
        3
    );
    assert_eq!(addrs(&ok(&s, "lease6-get-all", json!({}))).len(), 3);

    // lease6-wipe: every lease of subnet 1; the client then starts over.
    let w = ok(&s, "lease6-wipe", json!({ "subnet-id": 1 }));
    assert_eq!(w["text"], "Deleted 3 IPv6 lease(s) from subnet 1.");
    assert_eq!(cmd(&s, "lease6-get-all", json!({}))["result"], 3);
    assert_eq!(stat(&s, "subnet[1].assigned-pds"), Some(0));
    let _ = e.srv.stop();
}

#[test]
fn lease6_file_cleanup_compacts_and_keeps_leases() {
    let Some(mut e) = setup("v6_lfc", 1) else {
        return;
    };
    let (a, p) = sarr(&e.relay, 5, true);
    let (p, plen) = p.unwrap();
    let adv = e
        .relay
        .exchange(&msg(1, 5, None, &[ia_na(1, None)]))
        .unwrap();
    let sid = server_duid(&adv);
    // Renews append rows; the cleanup keeps one per lease.
    for _ in 0..3 {
        let rep = e
            .relay
            .exchange(&msg(
                5,
                5,
                Some(&sid),
                &[ia_na(1, Some(a)), ia_pd(2, Some((p, plen)))],
            ))
            .unwrap();
        assert_eq!(addr_of(&rep), Some(a));
    }
    // Two cleanups that started after the last write: everything is in
    // the compacted file, the new journal has no row yet.
    let done = |srv: &Server| srv.log_text().matches("lease file compacted").count();
    let n0 = done(&e.srv);
    assert!(
        wait_until(Duration::from_secs(10), || done(&e.srv) >= n0 + 2),
        "{}",
        e.srv.log_text()
    );
    // Stopped, so that no cleanup is half-way while the files are read.
    e.srv.stop();
    assert_eq!(
        e.srv.lease_file("leases6.csv").lines().count(),
        1,
        "only the header in the new journal"
    );
    // Kea's files: the result is `.2`; `.1` and `.completed` are gone.
    let compacted = std::fs::read_to_string(e.srv.path("leases6.csv.2")).unwrap();
    assert!(compacted
        .starts_with("address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type"));
    assert_eq!(
        compacted
            .lines()
            .filter(|l| l.starts_with(&format!("{a},")))
            .count(),
        1,
        "{compacted}"
    );
    assert_eq!(
        compacted
            .lines()
            .filter(|l| l.starts_with(&format!("{p},")))
            .count(),
        1,
        "{compacted}"
    );
    for leftover in [
        "leases6.csv.1",
        "leases6.csv.completed",
        "leases6.csv.output",
    ] {
        assert!(!e.srv.path(leftover).exists(), "{leftover} removed");
    }

    // After a restart (the compacted file and the journal are loaded), the
    // client keeps its address and prefix.
    e.srv.spawn();
    let adv = e
        .relay
        .exchange(&msg(1, 5, None, &[ia_na(1, None), ia_pd(2, None)]))
        .unwrap();
    assert_eq!(addr_of(&adv), Some(a));
    assert_eq!(prefix_of(&adv), Some((p, plen)));
    assert!(wait_until(Duration::from_secs(5), || e.sock.exists()));
    let l = ok(
        &e.sock,
        "lease6-get-by-duid",
        json!({ "duid": duid_text(5) }),
    );
    assert_eq!(addrs(&l).len(), 2);
    let _ = e.srv.stop();
}

/// The reservation commands of the DHCPv6 service without a hosts
/// database (`"service": ["dhcp6"]`, or none on a server that runs only
/// `Dhcp6`): `reservation-add` changes the running configuration (so the
/// client gets the reserved address at once and `config-get` shows it),
/// `-get` finds it by DUID and by address, `-get-all` and `-get-page` list
/// it, `-del` removes it; bad arguments are refused with Kea's result codes.
#[test]
fn reservation6_commands_change_the_running_configuration() {
    let Some(env) = setup("reservation6_commands", 0) else {
        return;
    };
    let sock = &env.sock;
    let reserved = "2001:db8:1::77";
    let add = json!({ "reservation": {
        "subnet-id": 1, "duid": duid_text(7), "ip-addresses": [reserved], "hostname": "seven"
    } });
    let a = cmd(sock, "reservation-add", add.clone());
    assert_eq!(a["result"], 0, "{a}");
    // Not twice.
    assert_eq!(cmd(sock, "reservation-add", add)["result"], 1);
    // Unknown subnet.
    let a = cmd(
        sock,
        "reservation-add",
        json!({ "reservation": { "subnet-id": 9, "duid": duid_text(8) } }),
    );
    assert_eq!(a["result"], 1, "{a}");
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains("No IPv6 subnet with subnet-id=9"),
        "{a}"
    );

    // The client gets its reserved address over the wire.
    let (addr, _) = sarr(&env.relay, 7, false);
    assert_eq!(addr, reserved.parse::<Ipv6Addr>().unwrap());

    let by_duid = json!({ "subnet-id": 1, "identifier-type": "duid", "identifier": duid_text(7) });
    let by_addr = json!({ "subnet-id": 1, "ip-address": reserved });
    for args in [&by_duid, &by_addr] {
        let a = ok(sock, "reservation-get", args.clone());
        assert_eq!(a["arguments"]["hostname"], "seven", "{a}");
        assert_eq!(a["arguments"]["subnet-id"], 1, "{a}");
    }
    let a = cmd(
        sock,
        "reservation-get",
        json!({ "subnet-id": 1, "ip-address": "192.0.2.1" }),
    );
    assert_eq!(a["result"], 1, "an IPv4 address: {a}");
    let a = cmd(
        sock,
        "reservation-get",
        json!({ "subnet-id": 1, "identifier-type": "circuit-id", "identifier": "01" }),
    );
    assert_eq!(a["result"], 1, "not a DHCPv6 identifier: {a}");
    let a = ok(sock, "reservation-get-all", json!({ "subnet-id": 1 }));
    assert_eq!(
        a["arguments"]["hosts"].as_array().map(Vec::len),
        Some(1),
        "{a}"
    );
    let a = cmd(sock, "reservation-get-all", json!({ "subnet-id": 2 }));
    assert_eq!(a["result"], 3, "{a}");
    let a = ok(
        sock,
        "reservation-get-page",
        json!({ "subnet-id": 1, "limit": 10 }),
    );
    assert_eq!(a["arguments"]["count"], 1, "{a}");
    let a = ok(sock, "config-get", json!({}));
    assert_eq!(
        a["arguments"]["Dhcp6"]["subnet6"][0]["reservations"][0]["hostname"], "seven",
        "{a}"
    );

    // The lookups across subnets, and reservation-update.
    for (command, args) in [
        (
            "reservation-get-by-hostname",
            json!({ "hostname": "SEVEN" }),
        ),
        (
            "reservation-get-by-id",
            json!({ "identifier-type": "duid", "identifier": duid_text(7) }),
        ),
        (
            "reservation-get-by-address",
            json!({ "ip-address": reserved }),
        ),
    ] {
        let a = ok(sock, command, args);
        assert_eq!(a["text"], "1 IPv6 host(s) found.", "{command}: {a}");
        assert_eq!(a["arguments"]["hosts"][0]["subnet-id"], 1, "{command}: {a}");
    }
    let moved = "2001:db8:1::78";
    let a = ok(
        sock,
        "reservation-update",
        json!({ "reservation": {
            "subnet-id": 1, "duid": duid_text(7), "ip-addresses": [moved], "hostname": "seven"
        } }),
    );
    assert_eq!(a["text"], "Host updated.", "{a}");
    let a = ok(sock, "reservation-get", by_duid.clone());
    assert_eq!(a["arguments"]["ip-addresses"][0], moved, "{a}");
    // The client's next exchange gets the new address.
    let (addr, _) = sarr(&env.relay, 7, false);
    assert_eq!(addr, moved.parse::<Ipv6Addr>().unwrap());
    let by_addr = json!({ "subnet-id": 1, "ip-address": moved });

    // The same with the service named.
    let req = json!({ "command": "reservation-del", "service": ["dhcp6"], "arguments": by_duid });
    let a = raw(sock, req.to_string().as_bytes());
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(cmd(sock, "reservation-get", by_addr.clone())["result"], 3);
    assert_eq!(cmd(sock, "reservation-del", by_addr)["result"], 3);
}

/// `lease6-bulk-apply`, what an HA partner sends for each exchange:
/// deletions and additions in one command, failures listed.
#[test]
fn lease6_bulk_apply_adds_replaces_and_deletes() {
    let Some(e) = setup("v6_bulk_apply", 0) else {
        return;
    };
    let s = e.sock.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lease = |ip: &str, duid: &str| {
        json!({ "ip-address": ip, "type": "IA_NA", "duid": duid, "iaid": 3, "subnet-id": 1,
                "valid-lft": 4000, "preferred-lft": 3000, "expire": now + 4000,
                "fqdn-fwd": false, "fqdn-rev": false, "hostname": "", "state": 0 })
    };
    let first = cmd(
        &s,
        "lease6-bulk-apply",
        json!({ "deleted-leases": [], "leases": [ lease("2001:db8:1::1f0", "0a:0b"), lease("2001:db8:1::1f1", "0a:0c") ] }),
    );
    assert_eq!(first["result"], 0, "{first}");
    assert_eq!(first["text"], "Bulk apply of 2 IPv6 leases completed.");
    assert!(first.get("arguments").is_none(), "{first}");
    // The next exchange: one lease gone, one renewed by another client,
    // and a deletion of a lease that is not there.
    let second = cmd(
        &s,
        "lease6-bulk-apply",
        json!({
            "deleted-leases": [ lease("2001:db8:1::1f0", "0a:0b"), lease("2001:db8:1::1ee", "0a:0d") ],
            "leases": [ lease("2001:db8:1::1f1", "0a:0e") ]
        }),
    );
    assert_eq!(second["result"], 0, "{second}");
    assert_eq!(second["text"], "Bulk apply of 3 IPv6 leases completed.");
    let failed = &second["arguments"]["failed-deleted-leases"];
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{second}");
    assert_eq!(failed[0]["ip-address"], "2001:db8:1::1ee");
    assert_eq!(failed[0]["result"], 3);
    assert_eq!(
        cmd(&s, "lease6-get", json!({ "ip-address": "2001:db8:1::1f0" }))["result"],
        3,
        "deleted"
    );
    let got = ok(&s, "lease6-get", json!({ "ip-address": "2001:db8:1::1f1" }));
    assert_eq!(got["arguments"]["duid"], "0a:0e", "replaced");
    // Nothing applicable: result 3.
    let none = cmd(
        &s,
        "lease6-bulk-apply",
        json!({ "deleted-leases": [ lease("2001:db8:1::1ee", "0a:0d") ] }),
    );
    assert_eq!(none["result"], 3, "{none}");
    assert_eq!(
        cmd(&s, "lease6-bulk-apply", json!({}))["result"],
        1,
        "neither list"
    );
}
