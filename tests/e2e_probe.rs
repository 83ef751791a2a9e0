//! End-to-end tests of `ruru probe`, the diagnostic client: the real `ruru`
//! binary serves on loopback (tests/common `Server`), and the real `ruru
//! probe` binary talks to it as a relay agent (DESIGN.md, "Loopback test
//! setup"); its output is checked against the server's lease file.
//!
//! The probe binds its relay address at port 67 (DHCPv4) or `[::1]:547`
//! (DHCPv6), which needs root: without it the tests print SKIP. The
//! `--interface` tests run the server and the probe in two network
//! namespaces joined by a veth pair (root and ip(8) needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::v6::{bind_relay, ONE_AT_A_TIME};
use common::*;
use serde_json::Value;

/// A relay-style DHCPv4 config: 192.0.2.0/24 for packets relayed by `relay`.
fn config4(relay: Ipv4Addr) -> String {
    format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }},
                       {{ "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" }},
                       {{ "name": "domain-name", "data": "example.org" }} ]
    }} ]
}} }}"#
    )
}

/// A relay-style DHCPv6 config: 2001:db8:1::/64 for link 2001:db8:1::1.
fn config6() -> String {
    r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 },
    "preferred-lifetime": 3000, "valid-lifetime": 4000, "renew-timer": 1000, "rebind-timer": 2000,
    "subnet6": [ {
      "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
      "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 } ],
      "relay": { "ip-addresses": ["2001:db8:1::1"] },
      "option-data": [ { "name": "dns-servers", "data": "2001:db8:1::53" } ]
    } ]
} }"#
        .to_string()
}

/// What one `ruru probe` run did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{}", self.stdout))
    }
}

fn probe(args: &[&str]) -> Run {
    let start = Instant::now();
    let out = Command::new(BIN)
        .arg("probe")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ruru probe");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    };
    eprintln!(
        "$ ruru probe {}\n{}{}(exit {})",
        args.join(" "),
        r.stdout,
        r.stderr,
        r.code
    );
    r
}

/// Starts a server for `test` and returns it with the probe's arguments
/// for playing its relay.
fn setup4(test: &str) -> Option<(Server, Vec<String>)> {
    if !can_bind_67(test) {
        return None;
    }
    let relay = relay_addr_for(test);
    let srv = Server::start(&config4(relay));
    let args = vec![
        "--relay".to_string(),
        relay.to_string(),
        "--server-port".to_string(),
        srv.port.to_string(),
    ];
    Some((srv, args))
}

fn with<'a>(base: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(more.iter().copied())
        .collect()
}

/// The `address` line of the text report.
fn text_address(out: &str) -> Ipv4Addr {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("address")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no address line in:\n{out}"))
}

fn in_pool(a: Ipv4Addr) -> bool {
    a >= Ipv4Addr::new(192, 0, 2, 100) && a <= Ipv4Addr::new(192, 0, 2, 199)
}

#[test]
fn dora_gets_a_pool_address_and_prints_it() {
    let Some((srv, base)) = setup4("probe_dora") else {
        return;
    };
    let r = probe(&with(&base, &[]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The exchange, in order.
    let order = [
        "sent      DHCPDISCOVER",
        "received  DHCPOFFER",
        "sent      DHCPREQUEST",
        "received  DHCPACK",
        "lease:",
    ];
    let mut at = 0;
    for step in order {
        let i = r.stdout[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} missing or out of order in:\n{}", r.stdout));
        at += i;
    }
    let a = text_address(&r.stdout);
    assert!(in_pool(a), "{a}");
    // The options, named, with readable values.
    for line in [
        "Router (3)",
        "192.0.2.1",
        "DomainNameServer (6)",
        "192.0.2.53, 192.0.2.54",
        "DomainName (15)",
        "example.org",
        "valid lifetime    3600 s",
        "renew (T1)        900 s",
    ] {
        assert!(
            r.stdout.contains(line),
            "{line:?} missing in:\n{}",
            r.stdout
        );
    }
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), a);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "00:00:5e:00:53:01", "the default MAC");
}

#[test]
fn json_output_matches_the_lease_file() {
    let Some((srv, base)) = setup4("probe_json") else {
        return;
    };
    let r = probe(&with(
        &base,
        &[
            "--json",
            "--mac",
            "02:00:5e:10:00:42",
            "--client-id",
            "01:02:00:5e:10:00:42",
            "--vendor-class",
            "probe-test",
            "--option",
            "77=68656c6c6f",
        ],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"], "lease");
    assert_eq!(j["family"], 4);
    let a: Ipv4Addr = j["ip-address"].as_str().unwrap().parse().unwrap();
    assert!(in_pool(a), "{a}");
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), a);
    let row = rows.last().expect("the lease is in the lease file");
    assert_eq!(j["hw-address"], row[1].as_str());
    assert_eq!(j["client-id"], row[2].as_str());
    assert_eq!(j["valid-lft"].as_u64().unwrap().to_string(), row[3]);
    assert_eq!(row[5], "1", "subnet id");
    assert_eq!(j["server-id"], "127.0.0.1");
    assert_eq!(j["renew-timer"], 900);
    assert_eq!(j["rebind-timer"], 1800);
    let opts = j["options"].as_array().unwrap();
    let router = opts.iter().find(|o| o["code"] == 3).expect("option 3");
    assert_eq!(router["name"], "Router");
    assert_eq!(router["value"], "192.0.2.1");
    let ex: Vec<&str> = j["exchange"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(ex, ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"]);
    assert!(j["exchange"][3]["ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn release_after_dora_and_of_a_given_address() {
    let Some((srv, base)) = setup4("probe_release") else {
        return;
    };
    // DORA, then RELEASE of what it got.
    let r = probe(&with(&base, &["--release", "--mac", "02:00:5e:10:00:51"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sent      DHCPRELEASE"), "{}", r.stdout);
    assert!(r.stdout.contains("released:"), "{}", r.stdout);
    let a = text_address(&r.stdout);
    // The journal gets a deletion row (valid_lifetime 0).
    let released = |a| {
        wait_until(Duration::from_secs(3), || {
            csv_rows_for(&srv.lease_file("leases4.csv"), a)
                .last()
                .map(|r| r[3].as_str())
                == Some("0")
        })
    };
    assert!(released(a), "{}", srv.lease_file("leases4.csv"));

    // A lease, then a RELEASE of it alone (as another run would).
    let j = probe(&with(&base, &["--json", "--mac", "02:00:5e:10:00:52"])).json();
    let b: Ipv4Addr = j["ip-address"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        csv_rows_for(&srv.lease_file("leases4.csv"), b)[0][3],
        "3600"
    );
    let r = probe(&with(
        &base,
        &[
            "--release",
            "--request-address",
            &b.to_string(),
            "--mac",
            "02:00:5e:10:00:52",
        ],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("DHCPDISCOVER"),
        "no exchange first:\n{}",
        r.stdout
    );
    assert!(released(b), "{}", srv.lease_file("leases4.csv"));
}

#[test]
fn inform_gets_options_without_a_lease() {
    let Some((srv, base)) = setup4("probe_inform") else {
        return;
    };
    // The answer goes to ciaddr (the relay address) at the client port.
    let port = srv.client_port.to_string();
    let r = probe(&with(
        &base,
        &["--inform", "--client-port", &port, "--json"],
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"], "inform");
    let names: Vec<&str> = j["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"DomainName"), "{names:?}");
    assert!(!names.contains(&"AddressLeaseTime"), "{names:?}");
    assert!(
        srv.lease_file("leases4.csv").lines().count() <= 1,
        "no lease stored"
    );
}

#[test]
fn no_answer_exits_1_after_the_timeout() {
    let test = "probe_timeout";
    if !can_bind_67(test) {
        return;
    }
    // Nobody listens at this port.
    let port = free_port().to_string();
    let relay = relay_addr_for(test).to_string();
    let args = [
        "--relay",
        &relay,
        "--server-port",
        &port,
        "--timeout",
        "0.5",
        "--retries",
        "1",
    ];
    let r = probe(&args);
    assert_eq!(r.code, 1);
    assert!(
        r.took >= Duration::from_millis(1000) && r.took < Duration::from_secs(10),
        "two tries of 0.5 s: {:?}",
        r.took
    );
    assert!(
        r.stdout.contains("failed: no answer to DHCPDISCOVER"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("sent      DHCPDISCOVER").count(), 2);
    let mut json = args.to_vec();
    json.push("--json");
    let r = probe(&json);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["result"], "no-reply");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["--relay", "::1"],
        &["-6", "--relay", "127.0.0.2"],
        &["--relay", "127.0.0.2", "--interface", "lo"],
        &["--relay", "127.0.0.2", "--mac", "zz:00:00:00:00:01"],
        &["--relay", "127.0.0.2", "--option", "300=00"],
        &["--relay", "127.0.0.2", "--prefix"],
        &["-6", "--relay", "::1", "--hostname", "h"],
        &["--relay", "127.0.0.2", "--timeout", "0"],
        &["--relay", "127.0.0.2", "--inform", "--release"],
        &["--interface", "no-such-if0"],
    ] {
        let r = probe(args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(!r.stderr.is_empty(), "{args:?}: says why");
    }
}

/// Runs a DHCPv6 probe as the relay at [::1]:547, which one process at a
/// time can bind: waits for other tests to let it go, and tries again if
/// one took it in between.
fn probe6(args: &[&str]) -> Option<Run> {
    for _ in 0..20 {
        drop(bind_relay("probe_v6")?);
        let r = probe(args);
        if !r.stderr.contains("in use") {
            return Some(r);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("[::1]:547 stayed busy");
}

#[test]
fn v6_sarr_via_relay_gets_an_address_and_a_prefix_then_releases() {
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let srv = Server::start(&config6());
    let port = srv.port.to_string();
    let base = [
        "-6",
        "--relay",
        "::1",
        "--link-address",
        "2001:db8:1::1",
        "--server-port",
        &port,
    ];
    let mut args = base.to_vec();
    args.extend(["--prefix", "--json"]);
    let Some(r) = probe6(&args) else {
        return;
    };
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"], "lease");
    assert_eq!(j["family"], 6);
    let a: Ipv6Addr = j["ip-address"].as_str().unwrap().parse().unwrap();
    assert_eq!(a.segments()[..4], [0x2001, 0xdb8, 1, 0], "{a}");
    assert!((0x100..=0x1ff).contains(&a.segments()[7]), "{a}");
    assert_eq!(j["valid-lft"], 4000);
    assert_eq!(j["preferred-lft"], 3000);
    assert_eq!(j["renew-timer"], 1000);
    assert_eq!(j["prefixes"][0]["prefix-len"], 56);
    let duid = j["duid"].as_str().unwrap();
    assert_eq!(
        duid, "00:03:00:01:00:00:5e:00:53:01",
        "DUID-LL of the default MAC"
    );
    let dns = j["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["code"] == 23)
        .expect("option 23");
    assert_eq!(dns["name"], "DomainNameServers");
    assert_eq!(dns["value"], "2001:db8:1::53");
    // In the lease file: address, DUID, valid lifetime, IAID.
    let text = srv.lease_file("leases6.csv");
    let row: Vec<&str> = text
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{a},")))
        .unwrap_or_else(|| panic!("{a} not in\n{text}"))
        .split(',')
        .collect();
    assert_eq!(row[1], duid);
    assert_eq!(row[2], "4000");
    assert_eq!(row[7], "1", "IAID");

    // The same client again, releasing what it gets (its address).
    let mut args = base.to_vec();
    args.push("--release");
    let r = probe6(&args).unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("received  REPLY"), "{}", r.stdout);
    assert!(r.stdout.contains("sent      RELEASE"), "{}", r.stdout);
    assert!(r.stdout.contains("released:"), "{}", r.stdout);
    let b: Ipv6Addr = r
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("address")?.trim().parse().ok())
        .unwrap();
    assert!(
        srv.lease_file("leases6.csv")
            .lines()
            .any(|l| l.starts_with(&format!("{b},{duid},0,"))),
        "a deletion row for {b}:\n{}",
        srv.lease_file("leases6.csv")
    );

    // Information-request.
    let mut args = base.to_vec();
    args.push("--inform");
    let r = probe6(&args).unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("DomainNameServers (23)"), "{}", r.stdout);
}

// ---------------------------------------------------------------------------
// --interface: a client on a link, in network namespaces

/// Two namespaces joined by a veth pair: the server's end `s` has the
/// server address, the probe's end `c` none. Removed on drop.
struct Link {
    server_ns: String,
    client_ns: String,
    s: String,
    c: String,
    dir: tempfile::TempDir,
    server: Option<std::process::Child>,
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `dev` in `ns` has a usable (not tentative) link-local address.
fn has_link_local(ns: &str, dev: &str) -> bool {
    Command::new("ip")
        .args(["-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link"])
        .output()
        .is_ok_and(|o| {
            let t = String::from_utf8_lossy(&o.stdout);
            t.contains("inet6 fe80:") && !t.contains("tentative")
        })
}

impl Link {
    fn new(test: &str, k: u8, v6: bool) -> Option<Link> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if !root || !ip(&["-V"]) {
            skip(test, "needs root and ip(8) (network namespaces)");
            return None;
        }
        let pid = std::process::id();
        let l = Link {
            server_ns: format!("rurup-{pid}-{k}-s"),
            client_ns: format!("rurup-{pid}-{k}-c"),
            s: format!("ps{:04x}{k}", pid & 0xffff),
            c: format!("pc{:04x}{k}", pid & 0xffff),
            dir: tempfile::tempdir().unwrap(),
            server: None,
        };
        for ns in [&l.server_ns, &l.client_ns] {
            assert!(ip(&["netns", "add", ns]), "ip netns add {ns}");
            let sysctls: &[&str] = if v6 {
                &[
                    "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0",
                ]
            } else {
                &["net.ipv6.conf.default.disable_ipv6=1"]
            };
            for k in sysctls {
                ip(&["netns", "exec", ns, "sysctl", "-qw", k]);
            }
        }
        assert!(ip(&[
            "link",
            "add",
            &l.c,
            "netns",
            &l.client_ns,
            "type",
            "veth",
            "peer",
            "name",
            &l.s,
            "netns",
            &l.server_ns,
        ]));
        let addr = if v6 {
            "2001:db8:1::1/64"
        } else {
            "192.0.2.1/24"
        };
        assert!(
            ip(&[
                "-n",
                &l.server_ns,
                "addr",
                "add",
                addr,
                "dev",
                &l.s,
                "nodad"
            ]) || ip(&["-n", &l.server_ns, "addr", "add", addr, "dev", &l.s])
        );
        for (ns, dev) in [(&l.server_ns, &l.s), (&l.client_ns, &l.c)] {
            assert!(ip(&["-n", ns, "link", "set", "lo", "up"]));
            assert!(ip(&["-n", ns, "link", "set", dev, "up"]));
        }
        if v6 {
            // Link-local addresses come once the kernel sees the carrier.
            assert!(
                wait_until(Duration::from_secs(5), || {
                    has_link_local(&l.server_ns, &l.s) && has_link_local(&l.client_ns, &l.c)
                }),
                "no link-local addresses on {} / {}",
                l.s,
                l.c
            );
        }
        Some(l)
    }

    /// Starts ruru in the server namespace on the standard ports.
    fn serve(&mut self, config: &str) {
        use std::io::{BufRead, BufReader};
        let path = self.dir.path().join("ruru.json");
        std::fs::write(
            &path,
            config.replace("@DIR@", self.dir.path().to_str().unwrap()),
        )
        .unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.server_ns, BIN, "serve", "-c"])
            .arg(&path)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        self.server = Some(child);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("ruru ready") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .expect("ruru ready in the namespace");
    }

    fn probe(&self, args: &[&str]) -> Run {
        let start = Instant::now();
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.client_ns,
                BIN,
                "probe",
                "--interface",
                &self.c,
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let r = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took: start.elapsed(),
        };
        eprintln!(
            "$ ruru probe --interface {} {}\n{}{}",
            self.c,
            args.join(" "),
            r.stdout,
            r.stderr
        );
        r
    }

    fn lease_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.server_ns, &self.client_ns] {
            ip(&["netns", "del", ns]);
        }
    }
}

#[test]
fn interface_broadcast_dora_from_a_client_without_an_address() {
    let Some(mut l) = Link::new("probe_interface", 1, false) else {
        return;
    };
    let s = l.s.clone();
    l.serve(&format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["{s}"] }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 600,
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", "interface": "{s}",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }} ] }} ]
}} }}"#
    ));
    let r = l.probe(&["--json", "--release"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"], "released");
    let a: Ipv4Addr = j["ip-address"].as_str().unwrap().parse().unwrap();
    assert!(in_pool(a), "{a}");
    assert_eq!(j["server-id"], "192.0.2.1");
    let rows = csv_rows_for(&l.lease_file("leases4.csv"), a);
    // The interface's own MAC, then the release.
    assert_eq!(rows[0][1], j["hw-address"].as_str().unwrap());
    assert_ne!(rows[0][1], "00:00:5e:00:53:01", "not the relay default MAC");
    assert!(
        wait_until(Duration::from_secs(3), || csv_rows_for(
            &l.lease_file("leases4.csv"),
            a
        )
        .last()
        .is_some_and(|r| r[3] == "0")),
        "released: {}",
        l.lease_file("leases4.csv")
    );
}

#[test]
fn interface_multicast_sarr_from_a_link_local_client() {
    let Some(mut l) = Link::new("probe_interface6", 2, true) else {
        return;
    };
    let s = l.s.clone();
    l.serve(&format!(
        r#"{{ "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["{s}"] }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64", "interface": "{s}",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
}} }}"#
    ));
    let r = l.probe(&["-6", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["result"], "lease");
    let a = j["ip-address"].as_str().unwrap();
    assert!(a.starts_with("2001:db8:1::1"), "{a}");
    assert!(
        l.lease_file("leases6.csv")
            .contains(&format!("{a},{}", j["duid"].as_str().unwrap())),
        "{}",
        l.lease_file("leases6.csv")
    );
}
