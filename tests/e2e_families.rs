//! End-to-end tests of one process serving both families, each as its own
//! Kea daemon would: `dhcp-disable` / `dhcp-enable` act on the family of
//! the section whose control socket received them, or on the families
//! named by `service`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use common::v6::*;
use common::*;
use dhcproto::v6::MessageType as M6;
use serde_json::{json, Value};

fn config(relay4: std::net::Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl4.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay4}"] }} }} ]
  }},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "multi-threading": {{ "enable-multi-threading": true, "thread-pool-size": 3 }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl6.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
  }}
}}"#
    )
}

fn cmd(sock: &Path, body: Value) -> Value {
    unix_cmd(sock, &body)
}

#[test]
fn each_family_is_disabled_and_enabled_on_its_own() {
    let test = "families_disable";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if !can_bind_67(test) {
        return;
    }
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let srv = Server::start(&config(ra));
    let relay4 = Relay::new(ra, srv.port);
    let relay6 = Relay6::new(sock6, srv.port);
    let (ctl4, ctl6) = (srv.path("ctl4.sock"), srv.path("ctl6.sock"));
    let mut n = 0u8;
    let mut answers = |relay4: &Relay, relay6: &Relay6| {
        n += 1;
        let v4 = relay4.exchange(&Client::new(n, ra).discover()).is_some();
        let v6 = relay6
            .exchange(&msg(1, n, None, &[ia_na(1, None)]))
            .is_some_and(|m| m.msg_type() == M6::Advertise);
        (v4, v6)
    };
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // list-commands and status-get answer for the family of the socket, as
    // each Kea daemon.
    let names = |sock: &Path| -> Vec<String> {
        cmd(sock, json!({"command": "list-commands"}))["arguments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    let (l4, l6) = (names(&ctl4), names(&ctl6));
    assert!(l4.iter().any(|c| c == "lease4-get") && !l4.iter().any(|c| c == "lease6-get"));
    assert!(l6.iter().any(|c| c == "lease6-get") && !l6.iter().any(|c| c == "lease4-get"));
    assert!(l6.iter().any(|c| c == "config-get") && l4.iter().any(|c| c == "config-get"));
    let st6 = cmd(&ctl6, json!({"command": "status-get"}));
    let st4 = cmd(&ctl4, json!({"command": "status-get"}));
    assert_eq!(st6["arguments"]["thread-pool-size"], 3, "{st6}");
    assert_eq!(st6["arguments"]["multi-threading-enabled"], true, "{st6}");
    assert_eq!(st4["arguments"]["multi-threading-enabled"], false, "{st4}");
    assert_eq!(st6["arguments"]["sockets"]["count"], 1, "{st6}");

    // To the Dhcp6 section's socket: DHCPv6 stops, DHCPv4 goes on.
    let a = cmd(&ctl6, json!({"command": "dhcp-disable"}));
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(a["text"], "DHCPv6 service disabled");
    assert_eq!(answers(&relay4, &relay6), (true, false));
    let a = cmd(&ctl6, json!({"command": "dhcp-enable"}));
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // To the Dhcp4 section's socket: the other way round.
    cmd(&ctl4, json!({"command": "dhcp-disable"}));
    assert_eq!(answers(&relay4, &relay6), (false, true));
    cmd(&ctl4, json!({"command": "dhcp-enable"}));
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // `service` names the families, whichever socket carries it.
    let a = cmd(
        &ctl4,
        json!({"command": "dhcp-disable", "service": ["dhcp6"], "arguments": {"max-period": 3600}}),
    );
    assert_eq!(a["text"], "DHCPv6 service disabled", "{a}");
    assert_eq!(answers(&relay4, &relay6), (true, false));
    let a = cmd(
        &ctl6,
        json!({"command": "dhcp-disable", "service": ["dhcp4", "dhcp6"]}),
    );
    assert_eq!(a["text"], "DHCPv4 and DHCPv6 service disabled", "{a}");
    assert_eq!(answers(&relay4, &relay6), (false, false));
    cmd(
        &ctl6,
        json!({"command": "dhcp-enable", "service": ["dhcp4", "dhcp6"]}),
    );
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // The drops were counted per family, each in its own statistics, as
    // each Kea daemon keeps its own: a section's socket answers with its
    // family's, `service` naming both with both answers (Kea's Control
    // Agent's shape).
    let stats4 = cmd(&ctl4, json!({"command": "statistic-get-all"}));
    let stats6 = cmd(&ctl6, json!({"command": "statistic-get-all"}));
    let get = |a: &Value, name: &str| a["arguments"][name][0][0].as_i64();
    assert_eq!(
        get(&stats4, "pkt4-drop-service-disabled"),
        Some(2),
        "{stats4}"
    );
    assert_eq!(
        get(&stats6, "pkt6-drop-service-disabled"),
        Some(3),
        "{stats6}"
    );
    assert_eq!(get(&stats4, "pkt6-received"), None, "{stats4}");
    assert_eq!(get(&stats6, "pkt4-received"), None, "{stats6}");
    let both = cmd(
        &ctl4,
        json!({"command": "statistic-get", "service": ["dhcp4", "dhcp6"], "arguments": {"name": "declined-addresses"}}),
    );
    assert_eq!(both.as_array().map(Vec::len), Some(2), "{both}");

    // The reload rules are the same for both families: what needs a
    // restart is refused, and the running configuration stays.
    let running = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();
    let mut lease6 = running.clone();
    lease6["Dhcp6"]["lease-database"]["name"] = json!(srv.path("other6.csv").display().to_string());
    let a = cmd(&ctl6, json!({"command": "config-set", "arguments": lease6}));
    assert_eq!(a["result"], 1, "{a}");
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains("Dhcp6 lease-database changed: that needs a restart"),
        "{a}"
    );
    // A config-set without the Dhcp6 section leaves it running (each
    // family takes its own section, as Kea's daemons do).
    let mut no6 = running.clone();
    no6.as_object_mut().unwrap().remove("Dhcp6");
    let a = cmd(&ctl4, json!({"command": "config-set", "arguments": no6}));
    assert_eq!(a["result"], 0, "{a}");
    let now = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();
    assert_eq!(now, running);
    assert_eq!(answers(&relay4, &relay6), (true, true));
}

#[test]
fn kea_per_daemon_files_run_in_one_process() {
    let test = "families_files";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if !can_bind_67(test) {
        return;
    }
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let both: Value =
        serde_json::from_str(&config(ra).replace("@DIR@", d.to_str().unwrap())).unwrap();
    let f4 = d.join("kea-dhcp4.conf");
    let f6 = d.join("kea-dhcp6.conf");
    std::fs::write(&f4, json!({"Dhcp4": both["Dhcp4"]}).to_string()).unwrap();
    std::fs::write(&f6, json!({"Dhcp6": both["Dhcp6"]}).to_string()).unwrap();

    // `ruru check` takes both; the same section twice is an error.
    let check = |files: &[&Path]| {
        let mut c = std::process::Command::new(BIN);
        c.arg("check");
        for f in files {
            c.arg("-c").arg(f);
        }
        c.output().unwrap()
    };
    assert!(check(&[&f4, &f6]).status.success());
    let out = check(&[&f4, &f6, &f4]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("section `Dhcp4` is also in"));

    let port = free_port();
    let mut child = std::process::Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&f4)
        .arg("-c")
        .arg(&f6)
        .args(["-p", &port.to_string(), "-P", &free_port().to_string()])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (ctl4, ctl6) = (d.join("ctl4.sock"), d.join("ctl6.sock"));
    let up = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        UnixStream::connect(&ctl4).is_ok() && UnixStream::connect(&ctl6).is_ok()
    });
    assert!(up, "ruru did not start on two files");
    let relay4 = Relay::new(ra, port);
    let relay6 = Relay6::new(sock6, port);
    let serves = |n: u8| {
        let v4 = relay4.exchange(&Client::new(n, ra).discover()).is_some();
        let v6 = relay6
            .exchange(&msg(1, n, None, &[ia_na(1, None)]))
            .is_some_and(|m| m.msg_type() == M6::Advertise);
        (v4, v6)
    };
    assert_eq!(serves(1), (true, true));

    // A kea-dhcp4-style config-set (the Dhcp4 section only) changes
    // DHCPv4 and leaves DHCPv6 as it runs.
    let running = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();
    let mut d4 = json!({"Dhcp4": running["Dhcp4"].clone()});
    d4["Dhcp4"]["valid-lifetime"] = json!(1234);
    let a = cmd(&ctl4, json!({"command": "config-set", "arguments": d4}));
    assert_eq!(a["result"], 0, "{a}");
    let now = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();
    assert_eq!(now["Dhcp4"]["valid-lifetime"], 1234);
    assert_eq!(now["Dhcp6"], running["Dhcp6"]);
    assert_eq!(serves(2), (true, true));

    // config-write puts each section back into its own file, also after
    // a config-set.
    let a = cmd(&ctl6, json!({"command": "config-write"}));
    assert_eq!(a["result"], 0, "{a}");
    let read =
        |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    let (w4, w6) = (read(&f4), read(&f6));
    assert_eq!(
        w4.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Dhcp4"]
    );
    assert_eq!(
        w6.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Dhcp6"]
    );

    // SIGHUP re-reads both files: a change in the DHCPv6 file applies.
    let mut edited = w6.clone();
    edited["Dhcp6"]["subnet6"][0]["pools"] =
        json!([{ "pool": "2001:db8:1::900 - 2001:db8:1::9ff" }]);
    std::fs::write(&f6, edited.to_string()).unwrap();
    std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    let applied = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        let got = cmd(&ctl4, json!({"command": "config-get"}));
        got["arguments"]["Dhcp6"]["subnet6"][0]["pools"][0]["pool"]
            == "2001:db8:1::900 - 2001:db8:1::9ff"
    });
    assert!(applied, "SIGHUP did not re-read the DHCPv6 file");
    let adv = relay6
        .exchange(&msg(1, 9, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let a = addr_of(&adv).unwrap();
    assert!(a.segments()[7] >= 0x900 && a.segments()[7] <= 0x9ff, "{a}");
    assert!(serves(10).0);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn dhcpv6_reclamation_follows_expired_leases_processing() {
    let test = "families_reclaim6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let cfg = r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctl6.sock" },
    "lease-database": { "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 },
    "preferred-lifetime": 1, "valid-lifetime": 2,
    "expired-leases-processing": { "reclaim-timer-wait-time": 1, "max-reclaim-leases": 1,
        "max-reclaim-time": 0, "flush-reclaimed-timer-wait-time": 1, "hold-reclaimed-time": 1 },
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] } ]
} }"#;
    let srv = Server::start(cfg);
    let relay6 = Relay6::new(sock6, srv.port);
    let ctl6 = srv.path("ctl6.sock");
    for n in 1..=3u8 {
        let adv = relay6
            .exchange(&msg(1, n, None, &[ia_na(1, None)]))
            .expect("ADVERTISE");
        let sid = server_duid(&adv);
        let a = addr_of(&adv).unwrap();
        let rep = relay6
            .exchange(&msg(3, n, Some(&sid), &[ia_na(1, Some(a))]))
            .expect("REPLY");
        assert_eq!(rep.msg_type(), M6::Reply);
    }
    let leases = || {
        let a = cmd(&ctl6, json!({"command": "lease6-get-all"}));
        a["arguments"]["leases"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(leases(), 3);
    // Reclaimed one per second (max-reclaim-leases 1), then flushed after
    // hold-reclaimed-time: the leases are gone from the store.
    let gone = (0..300).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        leases() == 0
    });
    let stats = cmd(&ctl6, json!({"command": "statistic-get-all"}));
    assert!(gone, "reclaimed DHCPv6 leases were not flushed: {stats}");
    assert_eq!(stats["arguments"]["reclaimed-leases"][0][0], 3, "{stats}");
}

/// A reload is all or nothing across the families: a Dhcp6 change that
/// cannot be met (`service-sockets-require-all` with an interface that
/// does not exist) refuses the whole configuration, the Dhcp4 change with
/// it. What may change does: loggers (here to DEBUG) and the DHCPv6
/// server DUID of `server-id`.
#[test]
fn reload_is_all_or_nothing_and_applies_loggers_and_server_id() {
    let test = "families_reload";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if !can_bind_67(test) {
        return;
    }
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let mut base: Value = serde_json::from_str(&config(ra)).unwrap();
    base["Dhcp4"]["loggers"] = json!([{
        "name": "kea-dhcp4",
        "output_options": [{ "output": "stdout" }],
        "severity": "INFO"
    }]);
    let srv = Server::start(&base.to_string());
    let relay4 = Relay::new(ra, srv.port);
    let relay6 = Relay6::new(sock6, srv.port);
    let ctl4 = srv.path("ctl4.sock");
    let sid = |relay6: &Relay6, n: u8| {
        server_duid(
            &relay6
                .exchange(&msg(1, n, None, &[ia_na(1, None)]))
                .expect("ADVERTISE"),
        )
    };
    let before = sid(&relay6, 1);
    let running = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();

    // Refused as a whole: the DHCPv6 interface cannot be opened.
    let mut bad = running.clone();
    bad["Dhcp4"]["valid-lifetime"] = json!(1234);
    bad["Dhcp6"]["interfaces-config"] = json!({
        "interfaces": ["lo", "rurunosuch0"],
        "service-sockets-require-all": true
    });
    let a = cmd(&ctl4, json!({"command": "config-set", "arguments": bad}));
    assert_eq!(a["result"], 1, "{a}");
    let now = cmd(&ctl4, json!({"command": "config-get"}))["arguments"].clone();
    assert_eq!(now, running, "the running configuration stays");
    assert!(relay4.exchange(&Client::new(1, ra).discover()).is_some());

    // Loggers and server-id change at run time.
    assert!(!srv.log_text().contains("DEBUG"), "{}", srv.log_text());
    let mut good = running.clone();
    good["Dhcp4"]["loggers"][0]["severity"] = json!("DEBUG");
    good["Dhcp6"]["server-id"] = json!({
        "type": "LL", "identifier": "020000000099", "htype": 1, "persist": false
    });
    let a = cmd(&ctl4, json!({"command": "config-set", "arguments": good}));
    assert_eq!(a["result"], 0, "{a}");
    assert!(relay4.exchange(&Client::new(2, ra).discover()).is_some());
    assert!(
        srv.wait_log("DEBUG", Duration::from_secs(5)),
        "no debug line after the loggers changed: {}",
        srv.log_text()
    );
    let after = sid(&relay6, 2);
    assert_ne!(after, before);
    assert_eq!(after, vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0x99], "DUID-LL");
}

/// A configuration with only `Dhcp6` runs DHCPv6 alone: no DHCPv4 service
/// is made up, so DHCPv4 commands and `"service": ["dhcp4"]` are answered
/// as by a server without it.
#[test]
fn a_dhcp6_only_server_runs_no_dhcpv4() {
    let test = "families_v6_only";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let mut c: Value = serde_json::from_str(&config(relay_addr_for(test))).unwrap();
    c.as_object_mut().unwrap().remove("Dhcp4");
    let srv = Server::start(&c.to_string());
    let relay6 = Relay6::new(sock6, srv.port);
    assert!(relay6
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .is_some());
    let ctl6 = srv.path("ctl6.sock");
    let l = cmd(&ctl6, json!({"command": "list-commands"}));
    assert!(!l.to_string().contains("lease4-"), "{l}");
    let a = cmd(&ctl6, json!({"command": "lease4-get-all"}));
    assert_eq!(a["result"], 2, "{a}");
    let a = cmd(
        &ctl6,
        json!({"command": "version-get", "service": ["dhcp4"]}),
    );
    assert_eq!(a["result"], 1, "{a}");
    let stats = cmd(&ctl6, json!({"command": "statistic-get-all"}));
    assert!(stats["arguments"]["pkt6-received"].is_array(), "{stats}");
    assert!(stats["arguments"].get("pkt4-received").is_none(), "{stats}");
    assert!(!srv.log_text().contains("DHCPv4"), "{}", srv.log_text());
}
