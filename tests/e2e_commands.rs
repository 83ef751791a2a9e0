//! End-to-end tests of the control commands over the real UNIX control
//! socket of a running `ruru`, with DHCP traffic through a loopback relay
//! (see tests/common/mod.rs): every command family of the control API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use dhcproto::v4::MessageType;
use serde_json::{json, Value};

const SID: Ipv4Addr = Ipv4Addr::LOCALHOST;

fn config(relay: Ipv4Addr) -> String {
    format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctrl.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600,
    "hooks-libraries": [ {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }} ],
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.149" }}, {{ "pool": "192.0.2.150 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }} ]
    }} ]
}} }}"#
    )
}

/// Sends one command over the UNIX socket and returns the answer.
fn cmd(sock: &Path, command: &str, args: Option<Value>) -> Value {
    let mut req = json!({ "command": command });
    if let Some(a) = args {
        req["arguments"] = a;
    }
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

fn result(v: &Value) -> i64 {
    v["result"].as_i64().unwrap_or(-1)
}

struct Env {
    srv: Server,
    relay: Relay,
    sock: PathBuf,
}

fn setup(test: &str) -> Option<Env> {
    if !can_bind_67(test) {
        return None;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config(ra));
    let sock = srv.path("ctrl.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let relay = Relay::new(ra, srv.port);
    Some(Env { srv, relay, sock })
}

#[test]
fn server_commands() {
    let Some(mut e) = setup("cmd_server") else {
        return;
    };
    let list = cmd(&e.sock, "list-commands", None);
    assert_eq!(result(&list), 0);
    let names: Vec<&str> = list["arguments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for c in [
        "lease4-get",
        "reservation-add",
        "statistic-get",
        "config-set",
        "server-tag-get",
        "subnet4-list",
        "leases-reclaim",
    ] {
        assert!(names.contains(&c), "{c} listed");
    }
    let v = cmd(&e.sock, "version-get", None);
    assert_eq!(v["text"], env!("CARGO_PKG_VERSION"));
    assert!(cmd(&e.sock, "build-report", None)["text"]
        .as_str()
        .unwrap()
        .contains("ruru"));
    let st = cmd(&e.sock, "status-get", None);
    assert_eq!(
        st["arguments"]["pid"],
        json!(e.srv.child.as_ref().unwrap().id())
    );
    assert!(st["arguments"]["uptime"].as_u64().is_some());
    // Kea's error results.
    assert_eq!(result(&cmd(&e.sock, "no-such-command", None)), 2);
    assert_eq!(result(&raw(&e.sock, b"{ this is not json")), 1);
    assert_eq!(result(&raw(&e.sock, b"[1,2]")), 1);
    assert_eq!(
        result(&raw(
            &e.sock,
            br#"{"command": "version-get", "service": ["dhcp6"]}"#
        )),
        1
    );
    assert_eq!(
        result(&raw(
            &e.sock,
            br#"{"command": "lease4-get", "arguments": 5}"#
        )),
        1
    );
    assert_eq!(
        result(&cmd(&e.sock, "lease4-get", Some(json!({"ip-address": 17})))),
        1
    );
    // shutdown stops the process.
    assert_eq!(result(&cmd(&e.sock, "shutdown", None)), 0);
    let child = e.srv.child.as_mut().unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || matches!(
            child.try_wait(),
            Ok(Some(_))
        )),
        "exited after shutdown"
    );
}

#[test]
fn config_commands() {
    let Some(e) = setup("cmd_config") else { return };
    let got = cmd(&e.sock, "config-get", None);
    assert_eq!(result(&got), 0);
    let mut conf = got["arguments"].clone();
    assert_eq!(conf["Dhcp4"]["subnet4"][0]["id"], 1);
    // config-test: good and bad, nothing applied.
    assert_eq!(result(&cmd(&e.sock, "config-test", Some(conf.clone()))), 0);
    let mut bad = conf.clone();
    bad["Dhcp4"]["subnet4"][0]["subnet"] = json!("nonsense");
    let t = cmd(&e.sock, "config-test", Some(bad.clone()));
    assert_eq!(result(&t), 1);
    assert!(
        t["text"]
            .as_str()
            .unwrap()
            .contains("Dhcp4.subnet4[0].subnet"),
        "{t}"
    );
    // config-set applies at once; a bad one keeps the running config.
    conf["Dhcp4"]["subnet4"][0]["option-data"][0]["data"] = json!("192.0.2.254");
    // server-tag: "" until set, then verbatim, answered as Kea answers
    // it (no text).
    assert_eq!(
        cmd(&e.sock, "server-tag-get", None),
        json!({"result": 0, "arguments": {"server-tag": ""}})
    );
    conf["Dhcp4"]["server-tag"] = json!("  My server ");
    assert_eq!(result(&cmd(&e.sock, "config-set", Some(conf.clone()))), 0);
    assert_eq!(
        cmd(&e.sock, "server-tag-get", None),
        json!({"result": 0, "arguments": {"server-tag": "  My server "}})
    );
    let mut c = Client::new(1, e.relay.addr);
    let offer = e.relay.exchange(&c.discover()).unwrap();
    assert_eq!(
        raw_option(&common::encode(&offer), 3),
        Some(vec![192, 0, 2, 254])
    );
    assert_eq!(result(&cmd(&e.sock, "config-set", Some(bad))), 1);
    let offer = e.relay.exchange(&c.discover()).unwrap();
    assert_eq!(
        raw_option(&common::encode(&offer), 3),
        Some(vec![192, 0, 2, 254])
    );
    // config-write: the running config to a file that ruru check accepts.
    let out = e.srv.path("written.json");
    let w = cmd(
        &e.sock,
        "config-write",
        Some(json!({"filename": out.to_str().unwrap()})),
    );
    assert_eq!(result(&w), 0, "{w}");
    let check = std::process::Command::new(BIN)
        .args(["check", "-c"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("192.0.2.254"));
    // config-reload re-reads the original file (router 192.0.2.1 again).
    assert_eq!(result(&cmd(&e.sock, "config-reload", None)), 0);
    let offer = e.relay.exchange(&c.discover()).unwrap();
    assert_eq!(
        raw_option(&common::encode(&offer), 3),
        Some(vec![192, 0, 2, 1])
    );
    // subnets
    let l = cmd(&e.sock, "subnet4-list", None);
    assert_eq!(
        l["arguments"]["subnets"],
        json!([{"id": 1, "subnet": "192.0.2.0/24", "shared-network-name": null}])
    );
    let g = cmd(
        &e.sock,
        "subnet4-get",
        Some(json!({"subnet": "192.0.2.0/24"})),
    );
    assert_eq!(g["arguments"]["subnet4"][0]["id"], 1);
    assert_eq!(
        result(&cmd(&e.sock, "subnet4-get", Some(json!({"id": 99})))),
        3
    );
}

#[test]
fn lease_commands() {
    let Some(mut e) = setup("cmd_leases") else {
        return;
    };
    let mut c = Client::new(2, e.relay.addr).with_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 2]);
    let mut m = c.discover();
    m.opts_mut()
        .insert(dhcproto::v4::DhcpOption::Hostname("laptop".into()));
    let offer = e.relay.exchange(&m).unwrap();
    let mut r = c.request_selecting(offer.yiaddr(), SID);
    r.opts_mut()
        .insert(dhcproto::v4::DhcpOption::Hostname("laptop".into()));
    let a = e.relay.exchange(&r).unwrap().yiaddr();
    let ip = a.to_string();

    let g = cmd(&e.sock, "lease4-get", Some(json!({"ip-address": ip})));
    assert_eq!(result(&g), 0, "{g}");
    assert_eq!(g["arguments"]["hw-address"], "02:00:5e:10:00:02");
    assert_eq!(g["arguments"]["client-id"], "01:02:00:5e:10:00:02");
    assert_eq!(g["arguments"]["subnet-id"], 1);
    assert_eq!(g["arguments"]["valid-lft"], 3600);
    let by_id = cmd(
        &e.sock,
        "lease4-get",
        Some(
            json!({"identifier-type": "hw-address", "identifier": "02:00:5e:10:00:02", "subnet-id": 1}),
        ),
    );
    assert_eq!(by_id["arguments"]["ip-address"], ip);
    for (c_, a_) in [
        (
            "lease4-get-by-hw-address",
            json!({"hw-address": "02:00:5e:10:00:02"}),
        ),
        (
            "lease4-get-by-client-id",
            json!({"client-id": "01:02:00:5e:10:00:02"}),
        ),
        ("lease4-get-by-hostname", json!({"hostname": "LAPTOP"})),
    ] {
        let v = cmd(&e.sock, c_, Some(a_));
        assert_eq!(v["arguments"]["leases"][0]["ip-address"], ip, "{c_}: {v}");
    }
    assert_eq!(
        result(&cmd(
            &e.sock,
            "lease4-get",
            Some(json!({"ip-address": "192.0.2.99"}))
        )),
        3
    );

    // lease4-add: the added address is no longer given to others.
    let add = cmd(
        &e.sock,
        "lease4-add",
        Some(
            json!({"ip-address": "192.0.2.150", "hw-address": "02:00:5e:10:00:77", "hostname": "printer"}),
        ),
    );
    assert_eq!(result(&add), 0, "{add}");
    assert_eq!(
        result(&cmd(
            &e.sock,
            "lease4-add",
            Some(json!({"ip-address": "192.0.2.150", "hw-address": "02:00:5e:10:00:78"}))
        )),
        1
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "lease4-add",
            Some(json!({"ip-address": "203.0.113.5", "hw-address": "02:00:5e:10:00:78"}))
        )),
        1
    );
    let mut other = Client::new(3, e.relay.addr);
    let mut d = other.discover();
    d.opts_mut()
        .insert(dhcproto::v4::DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            192, 0, 2, 150,
        )));
    assert_ne!(
        e.relay.exchange(&d).unwrap().yiaddr(),
        Ipv4Addr::new(192, 0, 2, 150)
    );

    // get-all and paging
    let all = cmd(&e.sock, "lease4-get-all", None);
    assert_eq!(all["arguments"]["leases"].as_array().unwrap().len(), 2);
    let p1 = cmd(
        &e.sock,
        "lease4-get-page",
        Some(json!({"from": "start", "limit": 1})),
    );
    assert_eq!(p1["arguments"]["count"], 1);
    let first = p1["arguments"]["leases"][0]["ip-address"]
        .as_str()
        .unwrap()
        .to_string();
    let p2 = cmd(
        &e.sock,
        "lease4-get-page",
        Some(json!({"from": first, "limit": 5})),
    );
    assert_eq!(p2["arguments"]["count"], 1);
    let p3 = cmd(
        &e.sock,
        "lease4-get-page",
        Some(json!({"from": "192.0.2.255", "limit": 5})),
    );
    assert_eq!(result(&p3), 3);

    // update, written to the lease file
    let u = cmd(
        &e.sock,
        "lease4-update",
        Some(
            json!({"ip-address": "192.0.2.150", "hw-address": "02:00:5e:10:00:77", "valid-lft": 1234}),
        ),
    );
    assert_eq!(result(&u), 0, "{u}");
    assert!(
        csv_rows_for(
            &e.srv.lease_file("leases4.csv"),
            Ipv4Addr::new(192, 0, 2, 150)
        )
        .last()
        .unwrap()[3]
            == "1234"
    );
    // delete, then not found
    assert_eq!(
        result(&cmd(
            &e.sock,
            "lease4-del",
            Some(json!({"ip-address": "192.0.2.150"}))
        )),
        0
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "lease4-del",
            Some(json!({"ip-address": "192.0.2.150"}))
        )),
        3
    );
    // statistics follow lease commands
    let s = cmd(
        &e.sock,
        "statistic-get",
        Some(json!({"name": "subnet[1].assigned-addresses"})),
    );
    assert_eq!(s["arguments"]["subnet[1].assigned-addresses"][0][0], 1);
    // an expired lease, reclaimed on demand
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 10;
    cmd(
        &e.sock,
        "lease4-add",
        Some(
            json!({"ip-address": "192.0.2.151", "hw-address": "02:00:5e:10:00:79", "valid-lft": 5, "expire": past}),
        ),
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "leases-reclaim",
            Some(json!({"remove": false}))
        )),
        0
    );
    let r = cmd(
        &e.sock,
        "lease4-get",
        Some(json!({"ip-address": "192.0.2.151"})),
    );
    assert_eq!(r["arguments"]["state"], 2, "expired-reclaimed: {r}");
    // wipe
    let w = cmd(&e.sock, "lease4-wipe", Some(json!({"subnet-id": 1})));
    assert_eq!(result(&w), 0, "{w}");
    assert_eq!(result(&cmd(&e.sock, "lease4-get-all", None)), 3);
    let log = e.srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-addresses"),
        Some(0)
    );
}

#[test]
fn reservation_commands() {
    let Some(e) = setup("cmd_hosts") else { return };
    let add = cmd(
        &e.sock,
        "reservation-add",
        Some(
            json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:0a", "ip-address": "192.0.2.20", "hostname": "nas"}}),
        ),
    );
    assert_eq!(result(&add), 0, "{add}");
    // The very next packet uses it.
    let mut c = Client::new(0x0a, e.relay.addr);
    assert_eq!(c.dora(&e.relay), Ipv4Addr::new(192, 0, 2, 20));
    let dup = cmd(
        &e.sock,
        "reservation-add",
        Some(
            json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:0b", "ip-address": "192.0.2.20"}}),
        ),
    );
    assert_eq!(result(&dup), 1, "{dup}");
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-add",
            Some(json!({"reservation": {"subnet-id": 7, "hw-address": "02:00:5e:10:00:0b"}}))
        )),
        1
    );
    let g = cmd(
        &e.sock,
        "reservation-get",
        Some(json!({"subnet-id": 1, "ip-address": "192.0.2.20"})),
    );
    assert_eq!(g["arguments"]["hostname"], "nas");
    assert_eq!(g["arguments"]["subnet-id"], 1);
    let g = cmd(
        &e.sock,
        "reservation-get",
        Some(
            json!({"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:0a"}),
        ),
    );
    assert_eq!(g["arguments"]["ip-address"], "192.0.2.20");
    cmd(
        &e.sock,
        "reservation-add",
        Some(
            json!({"reservation": {"subnet-id": 1, "client-id": "01:02:00:5e:10:00:0c", "ip-address": "192.0.2.21"}}),
        ),
    );
    let all = cmd(
        &e.sock,
        "reservation-get-all",
        Some(json!({"subnet-id": 1})),
    );
    assert_eq!(all["arguments"]["hosts"].as_array().unwrap().len(), 2);
    let page = cmd(
        &e.sock,
        "reservation-get-page",
        Some(json!({"subnet-id": 1, "limit": 1})),
    );
    assert_eq!(page["arguments"]["count"], 1);
    let next = page["arguments"]["next"]["from"].clone();
    let page2 = cmd(
        &e.sock,
        "reservation-get-page",
        Some(json!({"subnet-id": 1, "limit": 1, "from": next})),
    );
    assert_eq!(page2["arguments"]["hosts"][0]["ip-address"], "192.0.2.21");
    // config-get shows them
    let conf = cmd(&e.sock, "config-get", None);
    assert_eq!(
        conf["arguments"]["Dhcp4"]["subnet4"][0]["reservations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // delete: the address is free for others again
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-del",
            Some(json!({"subnet-id": 1, "ip-address": "192.0.2.21"}))
        )),
        0
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-get",
            Some(json!({"subnet-id": 1, "ip-address": "192.0.2.21"}))
        )),
        3
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-del",
            Some(json!({"subnet-id": 1, "ip-address": "192.0.2.21"}))
        )),
        3
    );
}

/// Kea's `reservation-update`, the lookups across subnets
/// (`reservation-get-by-hostname`, `-by-id`, `-by-address`) and
/// `operation-target`, on the configuration's hosts (no hosts database).
#[test]
fn reservation_update_and_lookups() {
    let Some(e) = setup("cmd_hosts_upd") else {
        return;
    };
    let ok = |command: &str, args: Value| {
        let a = cmd(&e.sock, command, Some(args));
        assert_eq!(result(&a), 0, "{command}: {a}");
        a
    };
    ok(
        "reservation-add",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1a", "ip-address": "192.0.2.20", "hostname": "nas.example.org"}}),
    );
    // A global reservation with the same name, and one of another subnet-less name.
    ok(
        "reservation-add",
        json!({"reservation": {"subnet-id": 0, "hw-address": "02:00:5e:10:00:1b", "hostname": "NAS.example.org"}}),
    );
    // By host name, without regard to case, in every subnet or in one.
    let by_name = ok(
        "reservation-get-by-hostname",
        json!({"hostname": "nas.EXAMPLE.org"}),
    );
    let hosts = by_name["arguments"]["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{by_name}");
    assert_eq!(by_name["text"], "2 IPv4 host(s) found.");
    let sids: Vec<i64> = hosts
        .iter()
        .map(|h| h["subnet-id"].as_i64().unwrap())
        .collect();
    assert_eq!(sids, [0, 1], "global first, then subnet 1");
    let in_one = ok(
        "reservation-get-by-hostname",
        json!({"hostname": "nas.example.org", "subnet-id": 1}),
    );
    assert_eq!(in_one["arguments"]["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(in_one["arguments"]["hosts"][0]["ip-address"], "192.0.2.20");
    let none = cmd(
        &e.sock,
        "reservation-get-by-hostname",
        Some(json!({"hostname": "nobody"})),
    );
    assert_eq!(result(&none), 3, "{none}");
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-get-by-hostname",
            Some(json!({"hostname": "nas.example.org", "subnet-id": 7}))
        )),
        1,
        "an unknown subnet is an error"
    );
    // By identifier, whatever the subnet; subnet-id is refused as in Kea.
    let by_id = ok(
        "reservation-get-by-id",
        json!({"identifier-type": "hw-address", "identifier": "02:00:5e:10:00:1b"}),
    );
    assert_eq!(by_id["arguments"]["hosts"][0]["subnet-id"], 0, "{by_id}");
    let refused = cmd(
        &e.sock,
        "reservation-get-by-id",
        Some(
            json!({"identifier-type": "hw-address", "identifier": "02:00:5e:10:00:1b", "subnet-id": 0}),
        ),
    );
    assert_eq!(result(&refused), 1, "{refused}");
    // By address (Kea 2.6).
    let by_addr = ok(
        "reservation-get-by-address",
        json!({"ip-address": "192.0.2.20"}),
    );
    assert_eq!(
        by_addr["arguments"]["hosts"][0]["hw-address"],
        "02:00:5e:10:00:1a"
    );

    // Update: the host is replaced as a whole.
    let up = ok(
        "reservation-update",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1a", "ip-address": "192.0.2.30"}}),
    );
    assert_eq!(up["text"], "Host updated.");
    let g = ok(
        "reservation-get",
        json!({"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:1a"}),
    );
    assert_eq!(g["arguments"]["ip-address"], "192.0.2.30", "{g}");
    assert!(
        g["arguments"].get("hostname").is_none(),
        "replaced as a whole: {g}"
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "reservation-get-by-address",
            Some(json!({"ip-address": "192.0.2.20"}))
        )),
        3,
        "the old address is no longer reserved"
    );
    // The very next DORA of that client gets the new address.
    let mut c = Client::new(0x1a, e.relay.addr);
    assert_eq!(c.dora(&e.relay), Ipv4Addr::new(192, 0, 2, 30));
    // An update of a host that does not exist fails, and changes nothing.
    let missing = cmd(
        &e.sock,
        "reservation-update",
        Some(
            json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1f", "ip-address": "192.0.2.31"}}),
        ),
    );
    assert_eq!(result(&missing), 1, "{missing}");
    // An update that breaks a rule (an address outside the subnet) fails.
    let bad = cmd(
        &e.sock,
        "reservation-update",
        Some(
            json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1a", "ip-address": "198.51.100.9"}}),
        ),
    );
    assert_eq!(result(&bad), 1, "{bad}");
    let g = ok(
        "reservation-get",
        json!({"subnet-id": 1, "ip-address": "192.0.2.30"}),
    );
    assert_eq!(g["arguments"]["hw-address"], "02:00:5e:10:00:1a");

    // operation-target: the database without one is an error; memory works;
    // a value outside Kea's set is an error.
    let no_db = cmd(
        &e.sock,
        "reservation-add",
        Some(
            json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1c"}, "operation-target": "database"}),
        ),
    );
    assert_eq!(result(&no_db), 1, "{no_db}");
    assert!(no_db["text"]
        .as_str()
        .unwrap()
        .contains("no hosts-database"));
    ok(
        "reservation-add",
        json!({"reservation": {"subnet-id": 1, "hw-address": "02:00:5e:10:00:1c", "ip-address": "192.0.2.32"}, "operation-target": "memory"}),
    );
    let mem_only = ok(
        "reservation-get",
        json!({"subnet-id": 1, "ip-address": "192.0.2.32", "operation-target": "memory"}),
    );
    assert_eq!(mem_only["arguments"]["hw-address"], "02:00:5e:10:00:1c");
    let db_only = cmd(
        &e.sock,
        "reservation-get",
        Some(json!({"subnet-id": 1, "ip-address": "192.0.2.32", "operation-target": "database"})),
    );
    assert_eq!(result(&db_only), 3, "{db_only}");
    let wrong = cmd(
        &e.sock,
        "reservation-get-all",
        Some(json!({"subnet-id": 1, "operation-target": "somewhere"})),
    );
    assert_eq!(result(&wrong), 1, "{wrong}");
    // reservation-get-page without a subnet: the global ones, then subnet 1's.
    let page = ok("reservation-get-page", json!({"limit": 10}));
    assert_eq!(page["arguments"]["count"], 3, "{page}");
    assert_eq!(page["arguments"]["hosts"][0]["subnet-id"], 0);
}

#[test]
fn statistic_commands() {
    let Some(e) = setup("cmd_stats") else { return };
    let mut c = Client::new(4, e.relay.addr);
    c.dora(&e.relay);
    let g = cmd(
        &e.sock,
        "statistic-get",
        Some(json!({"name": "pkt4-received"})),
    );
    let series = &g["arguments"]["pkt4-received"];
    assert_eq!(series[0][0], 2, "{g}");
    assert!(
        series[0][1].as_str().unwrap().len() >= 26,
        "Kea timestamp: {series}"
    );
    let all = cmd(&e.sock, "statistic-get-all", None);
    for n in [
        "pkt4-ack-sent",
        "subnet[1].total-addresses",
        "subnet[1].pool[1].total-addresses",
        "subnet[1].pool[0].assigned-addresses",
    ] {
        assert!(
            all["arguments"].get(n).is_some(),
            "{n} in statistic-get-all"
        );
    }
    assert_eq!(
        all["arguments"]["subnet[1].pool[1].total-addresses"][0][0],
        50
    );
    assert_eq!(
        all["arguments"]["subnet[1].pool[0].assigned-addresses"][0][0],
        1
    );
    // More traffic: a new sample is added on the next read.
    c.discover();
    let mut d = Client::new(5, e.relay.addr);
    d.dora(&e.relay);
    let g = cmd(
        &e.sock,
        "statistic-get",
        Some(json!({"name": "pkt4-received"})),
    );
    assert_eq!(g["arguments"]["pkt4-received"].as_array().unwrap().len(), 2);
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-sample-count-set",
            Some(json!({"name": "pkt4-received", "max-samples": 1}))
        )),
        0
    );
    let g = cmd(
        &e.sock,
        "statistic-get",
        Some(json!({"name": "pkt4-received"})),
    );
    assert_eq!(g["arguments"]["pkt4-received"].as_array().unwrap().len(), 1);
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-sample-age-set",
            Some(json!({"name": "pkt4-received", "duration": 60}))
        )),
        0
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-sample-count-set-all",
            Some(json!({"max-samples": 5}))
        )),
        0
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-sample-age-set-all",
            Some(json!({"duration": 60}))
        )),
        0
    );
    // reset / remove
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-reset",
            Some(json!({"name": "pkt4-ack-sent"}))
        )),
        0
    );
    assert_eq!(
        cmd(
            &e.sock,
            "statistic-get",
            Some(json!({"name": "pkt4-ack-sent"}))
        )["arguments"]["pkt4-ack-sent"][0][0],
        0
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-reset",
            Some(json!({"name": "nope"}))
        )),
        1
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "statistic-remove",
            Some(json!({"name": "pkt4-nak-sent"}))
        )),
        0
    );
    assert_eq!(
        cmd(
            &e.sock,
            "statistic-get",
            Some(json!({"name": "pkt4-nak-sent"}))
        )["arguments"],
        json!({})
    );
    assert_eq!(result(&cmd(&e.sock, "statistic-reset-all", None)), 0);
    assert_eq!(
        cmd(
            &e.sock,
            "statistic-get",
            Some(json!({"name": "pkt4-received"}))
        )["arguments"]["pkt4-received"][0][0],
        0
    );
    assert_eq!(result(&cmd(&e.sock, "statistic-remove-all", None)), 0);
    assert_eq!(
        cmd(&e.sock, "statistic-get-all", None)["arguments"],
        json!({})
    );
    // Counting goes on after removal.
    let mut f = Client::new(6, e.relay.addr);
    let _ = e.relay.exchange(&f.discover());
    let g = cmd(
        &e.sock,
        "statistic-get",
        Some(json!({"name": "pkt4-received"})),
    );
    assert_eq!(g["arguments"]["pkt4-received"][0][0], 1);
    let _ = MessageType::Ack;
}

#[test]
fn dhcp_disable_enable_and_stat_lease4_get() {
    let Some(mut e) = setup("cmd_disable") else {
        return;
    };
    let mut c = Client::new(7, e.relay.addr);
    c.dora(&e.relay);
    let s = cmd(&e.sock, "stat-lease4-get", None);
    assert_eq!(
        s["arguments"]["result-set"]["columns"][3],
        "assigned-addresses"
    );
    assert_eq!(
        s["arguments"]["result-set"]["rows"],
        json!([[1, 100, 1, 1, 0]])
    );
    assert_eq!(
        result(&cmd(
            &e.sock,
            "stat-lease4-get",
            Some(json!({"subnet-id": 9}))
        )),
        1
    );
    assert_eq!(result(&cmd(&e.sock, "dhcp-disable", None)), 0);
    assert!(
        e.relay.exchange(&c.discover()).is_none(),
        "no answer while disabled"
    );
    assert_eq!(result(&cmd(&e.sock, "dhcp-enable", None)), 0);
    assert!(e.relay.exchange(&c.discover()).is_some(), "served again");
    assert_eq!(
        result(&cmd(
            &e.sock,
            "dhcp-disable",
            Some(json!({"max-period": 1}))
        )),
        0
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert!(
        e.relay.exchange(&c.discover()).is_some(),
        "max-period elapsed"
    );
    let log = e.srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-drop-service-disabled"),
        Some(1)
    );
}
