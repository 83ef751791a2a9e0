//! Kea's `outbound-interface` `use-routing` over the wire, in two network
//! namespaces this test creates (root and `ip` needed, else SKIP):
//!
//! ```text
//! server netns: ua<id> 198.51.100.1/24  ==  198.51.100.2/24 relay netns
//!               ub<id> 203.0.113.1/24   ==  203.0.113.2/24
//! ```
//!
//! ruru listens with UDP sockets on `ua` only. The relay (`ruru probe
//! --relay 203.0.113.2`) sends over link A with giaddr 203.0.113.2, which
//! the server reaches over link B only. With `same-as-inbound` the reply
//! must leave by `ua` and cannot reach the relay (the relay answers ARP
//! on a link only for that link's address); with `use-routing` the
//! routing table sends it by `ub`, as Kea does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{skip, BIN};

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

/// The two namespaces, deleted (with their veth pairs) when dropped.
struct Lab {
    srv: String,
    relay: String,
    dir: tempfile::TempDir,
    server: Option<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        ip(&["netns", "del", &self.srv]);
        ip(&["netns", "del", &self.relay]);
    }
}

impl Lab {
    fn new(test: &str) -> Option<Lab> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if !root || !ip(&["netns", "list"]) {
            skip(test, "needs root and iproute2 (`ip netns`)");
            return None;
        }
        let id = std::process::id() % 100_000;
        let lab = Lab {
            srv: format!("ruru-ur-s{id}"),
            relay: format!("ruru-ur-r{id}"),
            dir: tempfile::tempdir().unwrap(),
            server: None,
        };
        let (s, r) = (lab.srv.as_str(), lab.relay.as_str());
        must(&["netns", "add", s]);
        must(&["netns", "add", r]);
        for (link, srv_addr, relay_addr) in [
            ("a", "198.51.100.1/24", "198.51.100.2/24"),
            ("b", "203.0.113.1/24", "203.0.113.2/24"),
        ] {
            let (si, ri) = (format!("u{link}{id}"), format!("v{link}{id}"));
            must(&[
                "link", "add", &si, "netns", s, "type", "veth", "peer", "name", &ri, "netns", r,
            ]);
            must(&["-n", s, "addr", "add", srv_addr, "dev", &si]);
            must(&["-n", r, "addr", "add", relay_addr, "dev", &ri]);
            must(&["-n", s, "link", "set", &si, "up"]);
            must(&["-n", r, "link", "set", &ri, "up"]);
        }
        must(&["-n", s, "link", "set", "lo", "up"]);
        must(&["-n", r, "link", "set", "lo", "up"]);
        // Each side sends from one link's address over the other link:
        // no reverse-path filtering.
        for ns in [s, r] {
            for k in ["all", "default"] {
                ip(&[
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    &format!("net.ipv4.conf.{k}.rp_filter=0"),
                ]);
            }
            for link in ["a", "b"] {
                let p = if ns == s { "u" } else { "v" };
                ip(&[
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    &format!("net.ipv4.conf.{p}{link}{id}.rp_filter=0"),
                ]);
            }
        }
        // A socket bound to a device sends to a destination it has no
        // route for as if it were on that link (Linux): the relay answers
        // ARP on a link only for that link's address, and asks with it.
        for k in ["arp_ignore=1", "arp_announce=2"] {
            ip(&[
                "netns",
                "exec",
                r,
                "sysctl",
                "-qw",
                &format!("net.ipv4.conf.all.{k}"),
            ]);
        }
        Some(lab)
    }

    fn iface_a(&self) -> String {
        format!("ua{}", std::process::id() % 100_000)
    }

    /// Starts ruru in the server namespace with `outbound`, on port 1067.
    fn start(&mut self, outbound: &str) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let cfg = self.dir.path().join(format!("{outbound}.json"));
        std::fs::write(
            &cfg,
            format!(
                r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["{}"], "dhcp-socket-type": "udp",
                           "outbound-interface": "{outbound}" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "subnet4": [ {{ "id": 1, "subnet": "203.0.113.0/24",
                   "pools": [ {{ "pool": "203.0.113.100 - 203.0.113.110" }} ] }} ]
}} }}"#,
                self.iface_a()
            ),
        )
        .unwrap();
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.srv, BIN, "serve", "-c"])
            .arg(&cfg)
            .args(["-p", "1067", "-P", "1068", "--threads", "1"])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ruru");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("ruru ready") {
                    let _ = tx.send(());
                }
            }
        });
        self.server = Some(child);
        rx.recv_timeout(Duration::from_secs(20))
            .expect("ruru ready in the server namespace");
    }

    /// One DORA by `ruru probe` as a relay at 203.0.113.2: whether a lease
    /// was obtained.
    fn probe(&self) -> bool {
        Command::new("ip")
            .args(["netns", "exec", &self.relay, BIN, "probe"])
            .args(["--relay", "203.0.113.2", "--server", "198.51.100.1"])
            .args(["--server-port", "1067", "--timeout", "1", "--retries", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

#[test]
fn use_routing_sends_relay_replies_by_the_routing_table() {
    let Some(mut lab) = Lab::new("use_routing") else {
        return;
    };
    lab.start("same-as-inbound");
    assert!(
        !lab.probe(),
        "same-as-inbound: the reply leaves by link A, where the relay is not reachable"
    );
    lab.start("use-routing");
    assert!(lab.probe(), "use-routing: the reply goes by link B");
}
