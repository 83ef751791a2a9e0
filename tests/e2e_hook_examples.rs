//! End-to-end tests of the example hook libraries (examples/hooks/) loaded
//! by the real `ruru` binary on loopback, driven by a relay agent as in
//! tests/e2e_v4.rs: deny-mac (Rust), c-option (C), inventory (Rust), and a
//! test-only library whose callout panics (tests/hooks/panic).
//!
//! The libraries are built outside `cargo test` (.ci/run does it):
//! ```text
//! cargo build --release -p ruru-hook-deny-mac -p ruru-hook-inventory -p ruru-test-hook-panic
//! make -C examples/hooks/c-option
//! ```
//! Without them, or without the right to bind port 67 on loopback, the
//! tests print SKIP (and fail when RURU_REQUIRE_ALL=1, as in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use dhcproto::v4::MessageType;

const SID: Ipv4Addr = Ipv4Addr::LOCALHOST;

const BUILD_RUST: &str =
    "cargo build --release -p ruru-hook-deny-mac -p ruru-hook-inventory -p ruru-test-hook-panic";
const BUILD_C: &str = "make -C examples/hooks/c-option";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("target"),
    }
}

/// The release build of a Rust example's library, if built.
fn rust_lib(test: &str, file: &str) -> Option<PathBuf> {
    existing(test, target_dir().join("release").join(file), BUILD_RUST)
}

fn existing(test: &str, path: PathBuf, build: &str) -> Option<PathBuf> {
    if path.is_file() {
        Some(path.canonicalize().unwrap())
    } else {
        skip(
            test,
            &format!("{} is not built; build it with `{build}`", path.display()),
        );
        None
    }
}

/// Subnet 192.0.2.0/24 (pool .100-.199) reached through `relay`, with
/// `hooks` as the `hooks-libraries` list.
fn config(relay: Ipv4Addr, hooks: &str) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600,
    "control-sockets": [ {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }} ],
    "hooks-libraries": {hooks},
    "loggers": [ {{ "name": "kea-dhcp4.hooks", "severity": "DEBUG", "debuglevel": 99,
                    "output_options": [ {{ "output": "stdout" }} ] }} ],
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }} ]
    }} ]
  }}
}}"#
    )
}

/// The `hooks-libraries` list for `entries`, each library installed into
/// the hooks directory of a server to start in `dir` and named by its file
/// name alone (a relative `library` resolves in the hooks directory).
fn hooks(dir: &Path, entries: &[(&Path, &str)]) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(lib, params)| {
            let installed = install_hook(dir, lib);
            let name = installed.file_name().unwrap().to_str().unwrap().to_string();
            format!(
                r#"{{ "library": {}, "parameters": {params} }}"#,
                serde_json::Value::String(name)
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// Starts a server with `entries` as its hook libraries.
fn start(test: &str, entries: &[(&Path, &str)]) -> Option<(Server, Relay)> {
    if !can_bind_67(test) {
        return None;
    }
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let h = hooks(dir.path(), entries);
    let srv = Server::start_in(dir, &config(ra, &h));
    let relay = Relay::new(ra, srv.port);
    Some((srv, relay))
}

/// A statistic of the running server, read with `statistic-get` over the
/// control socket (hook statistics are not in the shutdown log).
fn stat(srv: &Server, name: &str) -> Option<i64> {
    let mut s = UnixStream::connect(srv.path("ctl.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let cmd = serde_json::json!({"command": "statistic-get", "arguments": {"name": name}});
    s.write_all(cmd.to_string().as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["result"], 0, "{v}");
    v["arguments"][name][0][0].as_i64()
}

fn with_mac(mut c: Client, mac: [u8; 6]) -> Client {
    c.mac = mac;
    c
}

#[test]
fn deny_mac_drops_listed_mac_and_serves_others() {
    let test = "hook_deny_mac";
    let Some(lib) = rust_lib(test, "libruru_hook_deny_mac.so") else {
        return;
    };
    let Some((mut srv, relay)) = start(test, &[(&lib, r#"{"macs": ["02:00:00:00:00:aa"]}"#)])
    else {
        return;
    };
    let mut denied = with_mac(Client::new(1, relay.addr), [2, 0, 0, 0, 0, 0xaa]);
    assert!(
        relay.exchange(&denied.discover()).is_none(),
        "denied MAC got a reply"
    );
    let mut other = with_mac(Client::new(2, relay.addr), [2, 0, 0, 0, 0, 0xab]);
    let a = other.dora(&relay);
    assert!(a >= Ipv4Addr::new(192, 0, 2, 100) && a <= Ipv4Addr::new(192, 0, 2, 199));
    assert!(relay.exchange(&denied.discover()).is_none());

    assert_eq!(
        stat(&srv, "hooks.libruru_hook_deny_mac.so.pkt4_receive.calls"),
        Some(4)
    );
    assert_eq!(
        stat(&srv, "hooks.libruru_hook_deny_mac.so.pkt4_receive.errors"),
        Some(0)
    );
    let log = srv.stop();
    let text = log.join("\n");
    assert!(text.contains("denying 1 hardware address(es)"), "{text}");
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-drop-hook"),
        Some(2),
        "{text}"
    );
}

#[test]
fn c_option_adds_its_option_to_offer_and_ack() {
    let test = "hook_c_option";
    let Some(lib) = existing(
        test,
        repo_root().join("examples/hooks/c-option/c_option.so"),
        BUILD_C,
    ) else {
        return;
    };
    let url = "http://wpad.example/wpad.dat";
    let params = format!(r#"{{"code": 252, "text": "{url}"}}"#);
    let Some((_srv, relay)) = start(test, &[(&lib, &params)]) else {
        return;
    };
    let mut c = Client::new(3, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(msg_type(&offer), Some(MessageType::Offer));
    assert_eq!(
        raw_option(&encode(&offer), 252),
        Some(url.as_bytes().to_vec())
    );
    let ack = relay
        .exchange(&c.request_selecting(offer.yiaddr(), SID))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(
        raw_option(&encode(&ack), 252),
        Some(url.as_bytes().to_vec())
    );
    // The server's own options are still there.
    assert_eq!(raw_option(&encode(&ack), 3), Some(vec![192, 0, 2, 1]));
}

/// Writes `text` to `path` atomically (a new file renamed over the old).
fn replace_file(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn inventory_assigns_listed_addresses_and_follows_edits() {
    let test = "hook_inventory";
    let Some(lib) = rust_lib(test, "libruru_hook_inventory.so") else {
        return;
    };
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.csv");
    replace_file(&inv, "# test inventory\n02:00:5e:10:00:21,192.0.2.21\n");
    let params = format!(
        r#"{{"file": {}}}"#,
        serde_json::Value::String(inv.display().to_string())
    );
    let ra = relay_addr_for(test);
    let h = hooks(dir.path(), &[(&lib, &params)]);
    let mut srv = Server::start_in(dir, &config(ra, &h));
    let relay = Relay::new(ra, srv.port);

    // Listed: the inventory's address, outside the pool, stored as a lease.
    let mut c21 = Client::new(0x21, relay.addr);
    assert_eq!(c21.dora(&relay), Ipv4Addr::new(192, 0, 2, 21));
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), Ipv4Addr::new(192, 0, 2, 21));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "02:00:5e:10:00:21");
    // Not listed: a pool address.
    let mut c22 = Client::new(0x22, relay.addr);
    let pool = c22.dora(&relay);
    assert!(pool >= Ipv4Addr::new(192, 0, 2, 100) && pool <= Ipv4Addr::new(192, 0, 2, 199));

    // An edit applies to the next packet, without a reload.
    replace_file(
        &inv,
        "02:00:5e:10:00:21,192.0.2.21\n02:00:5e:10:00:23,192.0.2.23\n",
    );
    let mut c23 = Client::new(0x23, relay.addr);
    assert_eq!(c23.dora(&relay), Ipv4Addr::new(192, 0, 2, 23));
    replace_file(&inv, "02:00:5e:10:00:24,192.0.2.44\n");
    let mut c24 = Client::new(0x24, relay.addr);
    let offer = relay.exchange(&c24.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 44));

    assert_eq!(
        stat(&srv, "hooks.libruru_hook_inventory.so.lease4_select.errors"),
        Some(0)
    );
    // DORA x3 (two calls each) and one DISCOVER.
    assert_eq!(
        stat(&srv, "hooks.libruru_hook_inventory.so.lease4_select.calls"),
        Some(7)
    );
    let log = srv.stop();
    assert!(!log
        .iter()
        .any(|l| l.contains("SIGHUP") || l.contains("reconfigured")));
}

#[test]
fn panicking_callout_drops_only_that_packet_and_server_keeps_serving() {
    let test = "hook_panic";
    let Some(lib) = rust_lib(test, "libruru_test_hook_panic.so") else {
        return;
    };
    let Some((mut srv, relay)) = start(test, &[(&lib, r#"{"mac": "02:00:00:00:00:ee"}"#)]) else {
        return;
    };
    let mut bad = with_mac(Client::new(5, relay.addr), [2, 0, 0, 0, 0, 0xee]);
    let mut good = Client::new(6, relay.addr);
    assert!(relay.exchange(&bad.discover()).is_none());
    good.dora(&relay);
    assert!(relay.exchange(&bad.discover()).is_none());
    let mut good2 = Client::new(7, relay.addr);
    good2.dora(&relay);

    assert_eq!(
        stat(&srv, "hooks.libruru_test_hook_panic.so.pkt4_receive.errors"),
        Some(2)
    );
    assert_eq!(
        stat(&srv, "hooks.libruru_test_hook_panic.so.pkt4_receive.calls"),
        Some(6)
    );
    let log = srv.stop();
    let text = log.join("\n");
    assert!(
        text.contains("pkt4_receive: callout panicked: test panic for 02:00:00:00:00:ee"),
        "{text}"
    );
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-drop-hook"),
        Some(2),
        "{text}"
    );
    assert_eq!(Server::stat_from_log(&log, "pkt4-ack-sent"), Some(2));
}

#[test]
fn bad_parameters_stop_the_server_from_starting() {
    let test = "hook_bad_params";
    let Some(lib) = rust_lib(test, "libruru_hook_deny_mac.so") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    let h = hooks(dir.path(), &[(&lib, r#"{"macs": ["not-a-mac"]}"#)]);
    std::fs::write(
        &cfg,
        config(relay_addr_for(test), &h).replace("@DIR@", dir.path().to_str().unwrap()),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .args([
            "-p",
            &free_port().to_string(),
            "-P",
            &free_port().to_string(),
        ])
        .current_dir(dir.path())
        .env("RURU_HOOKS_PATH", hooks_dir(dir.path()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("ruru kept running with a library whose load fails");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!status.success(), "{text}");
    assert!(text.contains("ruru_hook_load failed"), "{text}");
    assert!(
        text.contains("\\\"not-a-mac\\\" is not a MAC address")
            || text.contains("\"not-a-mac\" is not a MAC address"),
        "{text}"
    );
}

#[test]
fn reload_unloads_and_loads_the_library_with_new_parameters() {
    let test = "hook_reload";
    let Some(lib) = rust_lib(test, "libruru_hook_deny_mac.so") else {
        return;
    };
    let ra = relay_addr_for(test);
    let Some((mut srv, relay)) = start(test, &[(&lib, r#"{"macs": ["02:00:00:00:00:aa"]}"#)])
    else {
        return;
    };
    let mut a = with_mac(Client::new(1, relay.addr), [2, 0, 0, 0, 0, 0xaa]);
    let mut b = with_mac(Client::new(2, relay.addr), [2, 0, 0, 0, 0, 0xbb]);
    assert!(relay.exchange(&a.discover()).is_none());
    assert!(relay.exchange(&b.discover()).is_some());

    // Same library file, new parameters: SIGHUP.
    let h = hooks(
        srv.dir.path(),
        &[(
            &lib,
            r#"{"macs": ["02:00:00:00:00:bb", "02:00:00:00:00:cc"]}"#,
        )],
    );
    std::fs::write(
        &srv.config,
        config(ra, &h).replace("@DIR@", srv.dir.path().to_str().unwrap()),
    )
    .unwrap();
    srv.signal("-HUP");
    assert!(
        srv.wait_log("denying 2 hardware address(es)", Duration::from_secs(10)),
        "{}",
        srv.log_text()
    );
    // The reload is applied once the new libraries are loaded; give the swap
    // a moment, then the new list holds.
    let ok = wait_until(Duration::from_secs(5), || {
        relay.exchange(&a.discover()).is_some() && relay.exchange(&b.discover()).is_none()
    });
    assert!(ok, "{}", srv.log_text());
    let log = srv.stop();
    assert!(log.iter().any(|l| l.contains("hook library unloaded")));
}
