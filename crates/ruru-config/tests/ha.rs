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
    let ha = d.ha.into_iter().next().unwrap();
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
    let ha = c.dhcp4.unwrap().ha.into_iter().next().unwrap();
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
    let ha = c.dhcp4.unwrap().ha.into_iter().next().unwrap();
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
    // Kea 2.6's hub-and-spoke: a name belongs to one relationship only.
    let one = format!(r#"{{"this-server-name": "a", "mode": "hot-standby", {PEERS}}}"#);
    let e = err(&ha4(&format!("{one}, {one}")));
    assert_eq!(e.message, "server names must be unique for different relationships: a relationship 'a' already exists", "{e}");
    assert!(e.path.ends_with("high-availability[1].peers"), "{e}");
}

/// Kea 2.6's hub-and-spoke: the hub is the standby of two primaries, with
/// a name of its own in each relationship.
const HUB: &str = r#"{"this-server-name": "hub1", "mode": "hot-standby", "peers": [
    {"name": "spoke1", "url": "http://192.0.2.1:8000/", "role": "primary"},
    {"name": "hub1", "url": "http://192.0.2.9:8000/", "role": "standby"}]},
  {"this-server-name": "hub2", "mode": "hot-standby", "peers": [
    {"name": "spoke2", "url": "http://192.0.2.2:8000/", "role": "primary"},
    {"name": "hub2", "url": "http://192.0.2.9:8000/", "role": "standby"}]}"#;

#[test]
fn hub_and_spoke_relationships() {
    let c = ok(&ha4(HUB));
    let ha = c.dhcp4.unwrap().ha;
    assert_eq!(ha.len(), 2);
    assert_eq!(
        (
            ha[0].this_server_name.as_str(),
            ha[0].partner().unwrap().name.as_str()
        ),
        ("hub1", "spoke1")
    );
    assert_eq!(
        (
            ha[1].this_server_name.as_str(),
            ha[1].partner().unwrap().name.as_str()
        ),
        ("hub2", "spoke2")
    );
    // Several relationships: hot-standby only, as in Kea 2.6.
    let lb = HUB.replacen("hot-standby", "load-balancing", 1).replacen(
        "\"standby\"",
        "\"secondary\"",
        1,
    );
    let e = err(&ha4(&lb));
    assert_eq!(
        e.message,
        "multiple HA relationships are only supported for 'hot-standby' mode"
    );
    assert!(e.path.ends_with("high-availability[0].mode"), "{e}");
    // A name shared between relationships (Kea names the first clash in
    // sorted order).
    let e = err(&ha4(&HUB.replace("spoke2", "spoke1")));
    assert!(
        e.message
            .ends_with("a relationship 'spoke1' already exists"),
        "{e}"
    );
    // Each relationship is validated as in Kea 2.2.
    let e = err(&ha4(&HUB.replace(
        "\"this-server-name\": \"hub2\"",
        "\"this-server-name\": \"x\"",
    )));
    assert!(e.path.contains("high-availability[1]"), "{e}");
}
