//! Kea's `libdhcp_ha.so` as a built-in library: its `high-availability`
//! relationship accepted from any directory with Kea's keys and defaults,
//! and every error located in the file.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ruru_config::{HaMode, HaRole};

mod common;
use common::*;

/// `Dhcp4` with the HA library whose relationship is `rel` (on line 4).
fn ha4(rel: &str) -> String {
    format!(
        "{{\"Dhcp4\": {{\n\"hooks-libraries\": [\n{{\"library\": \"/usr/lib/kea/hooks/libdhcp_ha.so\", \"parameters\": {{\"high-availability\": [\n{rel}\n]}}}}\n]\n}}}}"
    )
}

const PEERS: &str = r#""peers": [ {"name": "a", "url": "http://192.0.2.1:8000/", "role": "primary"},
                    {"name": "b", "url": "http://[2001:db8::2]:8001/", "role": "standby", "auto-failover": false} ]"#;

#[test]
fn a_relationship_with_kea_defaults() {
    let c = ok(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", {PEERS}}}"#
    )));
    let d = c.dhcp4.unwrap();
    assert!(d.hooks_libraries[0].builtin);
    let ha = d.ha.unwrap();
    assert_eq!(ha.mode, HaMode::HotStandby);
    assert_eq!(
        (
            ha.heartbeat_delay_ms,
            ha.max_response_delay_ms,
            ha.max_ack_delay_ms
        ),
        (10_000, 60_000, 10_000)
    );
    assert_eq!((ha.max_unacked_clients, ha.sync_page_limit), (10, 10_000));
    assert_eq!(ha.delayed_updates_limit, 0);
    assert_eq!(ha.this_role(), HaRole::Primary);
    let b = ha.partner().unwrap();
    assert_eq!((b.url.host.as_str(), b.url.port), ("2001:db8::2", 8001));
    assert!(!b.auto_failover);
    // Load-balancing queues delayed updates by default (Kea's 100).
    let lb = PEERS.replace("standby", "secondary");
    let c = ok(&ha4(&format!(
        r#"{{"this-server-name": "b", "mode": "load-balancing", {lb}}}"#
    )));
    let ha = c.dhcp4.unwrap().ha.unwrap();
    assert_eq!(
        (ha.delayed_updates_limit, ha.this_role()),
        (100, HaRole::Secondary)
    );
}

/// A password file is named, not read, when the configuration is checked
/// (`ruru check`, `config-test`): HA reads it when it starts.
#[test]
fn a_password_file_is_read_when_ha_starts() {
    let peers = PEERS.replace(
        r#""role": "standby","#,
        r#""role": "standby", "basic-auth-user": "ha", "basic-auth-password-file": "/nonexistent/ha-pass","#,
    );
    let c = ok(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", {peers}}}"#
    )));
    let ha = c.dhcp4.unwrap().ha.unwrap();
    assert_eq!(
        ha.partner().unwrap().basic_auth,
        Some((
            "ha".to_string(),
            ruru_config::Secret::File("/nonexistent/ha-pass".into())
        ))
    );
}

#[test]
fn errors_are_located() {
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "c", "mode": "hot-standby", {PEERS}}}"#
    )));
    assert_eq!(
        e.path,
        "Dhcp4.hooks-libraries[0].parameters.high-availability[0].this-server-name"
    );
    assert!(e.message.contains("not one of the peers' names"), "{e}");
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "load-balancing", {PEERS}}}"#
    )));
    assert!(e.message.contains("one primary and one secondary"), "{e}");
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", "heartbeat-dealy": 5, {PEERS}}}"#
    )));
    assert!(
        e.message.contains("unknown parameter `heartbeat-dealy`"),
        "{e}"
    );
    assert_eq!(e.line, 4);
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", "heartbeat-delay": 70000, {PEERS}}}"#
    )));
    assert!(e.message.contains("0 to 65535"), "{e}");
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", "delayed-updates-limit": 5, {PEERS}}}"#
    )));
    assert!(e.message.contains("expected 0 in hot-standby"), "{e}");
    let named = PEERS.replace("192.0.2.1", "ha1.example.org");
    let e = err(&ha4(&format!(
        r#"{{"this-server-name": "a", "mode": "hot-standby", {named}}}"#
    )));
    assert!(e.message.contains("must be an IPv4 address"), "{e}");
    assert!(e.path.ends_with("peers[0].url"), "{e}");
    // Every missing key is reported.
    let d = errs(&ha4(r#"{"mode": "hot-standby"}"#));
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].message.contains("this-server-name"), "{d:?}");
    assert!(d[1].message.contains("`peers` is required"), "{d:?}");
    // Kea 2.6's hub-and-spoke: said, not silently half-done.
    let one = format!(r#"{{"this-server-name": "a", "mode": "hot-standby", {PEERS}}}"#);
    let e = err(&ha4(&format!("{one}, {one}")));
    assert!(e.message.starts_with("not supported yet"), "{e}");
}
