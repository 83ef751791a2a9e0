//! The built-in `libdhcp_ping_check.so` over the wire, in two network
//! namespaces this test creates (root and `ip` needed, else SKIP):
//!
//! ```text
//! server netns: ps<id> 192.0.2.1/24  ==  pc<id> 192.0.2.2/24   client netns
//!   ruru serve (udp, port 1067)            + 192.0.2.100/24: the "squatter"
//!                                          ruru probe --relay 192.0.2.2
//! ```
//!
//! The pool is 192.0.2.100 - 192.0.2.101. The client namespace holds
//! 192.0.2.100 itself, so its kernel answers the server's ECHO REQUESTs
//! to it: that address must never be offered and must end up declined in
//! the lease file; nobody has 192.0.2.101, so its check times out and
//! the client gets it. The configuration lists the library under a Kea
//! path that does not exist here: nothing is loaded for it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{csv_rows_for, skip, unix_cmd, BIN};

const SQUATTED: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
const FREE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 101);

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(args: &[&str]) {
    assert!(ip(args), "ip {args:?} failed");
}

/// The two namespaces, deleted (with their veth pair) when dropped, and
/// the server started in one of them.
struct Lab {
    srv: String,
    cli: String,
    dir: tempfile::TempDir,
    server: Option<Child>,
    /// The server's output, for a failing test.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// What the names of its namespaces and links end with.
    id: String,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() || std::env::var_os("RURU_E2E_DUMP").is_some() {
            for l in self.log.lock().unwrap().iter() {
                eprintln!("ruru: {l}");
            }
        }
        ip(&["netns", "del", &self.srv]);
        ip(&["netns", "del", &self.cli]);
    }
}

impl Lab {
    /// `tag` tells apart the labs of tests running at once.
    fn new(test: &str, tag: char) -> Option<Lab> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if !root || !ip(&["netns", "list"]) {
            skip(test, "needs root and iproute2 (`ip netns`)");
            return None;
        }
        let id = format!("{tag}{}", std::process::id() % 100_000);
        let lab = Lab {
            srv: format!("ruru-pc-s{id}"),
            cli: format!("ruru-pc-c{id}"),
            dir: tempfile::tempdir().unwrap(),
            server: None,
            log: Default::default(),
            id: id.clone(),
        };
        let (s, c) = (lab.srv.as_str(), lab.cli.as_str());
        let (si, ci) = (format!("ps{id}"), format!("pc{id}"));
        must(&["netns", "add", s]);
        must(&["netns", "add", c]);
        must(&[
            "link", "add", &si, "netns", s, "type", "veth", "peer", "name", &ci, "netns", c,
        ]);
        must(&["-n", s, "addr", "add", "192.0.2.1/24", "dev", &si]);
        must(&["-n", c, "addr", "add", "192.0.2.2/24", "dev", &ci]);
        must(&["-n", c, "addr", "add", "192.0.2.100/24", "dev", &ci]);
        for (ns, dev) in [(s, &si), (c, &ci)] {
            must(&["-n", ns, "link", "set", dev, "up"]);
            must(&["-n", ns, "link", "set", "lo", "up"]);
        }
        Some(lab)
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Starts ruru in the server namespace on port 1067.
    fn start(&mut self) {
        let id = &self.id;
        let cfg = self.dir.path().join("ping.json");
        std::fs::write(
            &cfg,
            format!(
                r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["ps{id}"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "{leases}", "lfc-interval": 0 }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "{sock}" }},
    "hooks-libraries": [ {{
        "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ping_check.so",
        "parameters": {{ "enable-ping-check": true, "min-ping-requests": 1,
                         "reply-timeout": 100, "ping-cltt-secs": 60 }} }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
                   "relay": {{ "ip-addresses": ["192.0.2.2"] }},
                   "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.101" }} ],
                   "user-context": {{ "ping-check": {{ "reply-timeout": 500 }} }} }} ]
}} }}"#,
                leases = self.path("leases4.csv"),
                sock = self.path("ctl.sock"),
            ),
        )
        .unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.srv, BIN, "serve", "-c"])
            .arg(&cfg)
            .args(["-p", "1067", "-P", "1068", "--threads", "2"])
            .env("RUST_LOG", "ruru_server=debug,ruru_engine=debug")
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ruru");
        let (tx, rx) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (tx, log) = (tx.clone(), self.log.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if line.contains("ruru ready") {
                        let _ = tx.send(());
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        self.server = Some(child);
        rx.recv_timeout(Duration::from_secs(20))
            .expect("ruru ready in the server namespace");
    }

    /// One DORA by `ruru probe` as the relay 192.0.2.2 for client `mac`:
    /// its JSON report.
    fn probe(&self, mac: &str) -> serde_json::Value {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.cli, BIN, "probe", "--json"])
            .args(["--relay", "192.0.2.2", "--server", "192.0.2.1"])
            .args(["--server-port", "1067", "--timeout", "2", "--retries", "2"])
            .args(["--mac", mac])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .expect("run ruru probe");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "probe output: {e}: {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn stat(&self, name: &str) -> serde_json::Value {
        let sock = self.dir.path().join("ctl.sock");
        let a = unix_cmd(
            &sock,
            &serde_json::json!({"command": "statistic-get", "arguments": {"name": name}}),
        );
        a["arguments"][name][0][0].clone()
    }
}

#[test]
fn an_address_that_answers_ping_is_declined_and_never_offered() {
    let Some(mut lab) = Lab::new("ping_check", 'a') else {
        return;
    };
    lab.start();
    let r = lab.probe("00:00:5e:00:53:01");
    assert_eq!(r["result"], "lease", "{r:#}");
    // The first DISCOVER got no OFFER (192.0.2.100 answered the ping); a
    // retry got the address nobody answers for, after its check.
    assert_eq!(r["ip-address"], FREE.to_string(), "{r:#}");
    let exchange = r["exchange"].to_string();
    assert!(
        !exchange.contains(&SQUATTED.to_string()),
        "the squatted address was offered: {r:#}"
    );
    // The lease file: the squatted address declined (state 1), no client.
    let text = std::fs::read_to_string(lab.path("leases4.csv")).unwrap();
    let rows = csv_rows_for(&text, SQUATTED);
    let last = rows.last().expect("a lease row for the squatted address");
    assert_eq!(last[1], "", "hwaddr of a declined lease: {last:?}");
    assert_eq!(last[9], "1", "state declined: {last:?}");
    let rows = csv_rows_for(&text, FREE);
    assert_eq!(rows.last().unwrap()[9], "0", "{rows:?}");
    assert_eq!(lab.stat("declined-addresses"), 1);
    assert_eq!(lab.stat("subnet[1].declined-addresses"), 1);
    assert_eq!(lab.stat("pkt4-offer-sent"), 1);

    // Another client: nothing is left (one address declined, one leased).
    let r = lab.probe("00:00:5e:00:53:02");
    assert_eq!(r["result"], "no-reply", "{r:#}");
}

#[test]
fn without_a_squatter_the_offer_goes_out_after_the_check() {
    let Some(mut lab) = Lab::new("ping_check_free", 'b') else {
        return;
    };
    // Nobody answers for 192.0.2.100 now.
    must(&[
        "-n",
        &lab.cli,
        "addr",
        "del",
        "192.0.2.100/24",
        "dev",
        &format!("pc{}", lab.id),
    ]);
    lab.start();
    let r = lab.probe("00:00:5e:00:53:01");
    assert_eq!(r["result"], "lease", "{r:#}");
    assert_eq!(r["ip-address"], SQUATTED.to_string(), "{r:#}");
    // The OFFER waited for the 500 ms reply timeout of the subnet.
    let offer_ms = r["exchange"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["message"] == "DHCPOFFER")
        .and_then(|e| e["ms"].as_f64())
        .expect("an OFFER in the exchange");
    assert!(offer_ms >= 450.0, "OFFER after {offer_ms} ms: {r:#}");
    assert_eq!(lab.stat("declined-addresses"), 0);
}
