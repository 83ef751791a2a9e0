//! Kea's `libdhcp_ping_check.so` as a built-in library: accepted from any
//! directory with Kea's parameters and defaults, a subnet's
//! `user-context` `ping-check` overriding them, bad values refused with
//! their place and what was expected.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ruru_config::{Dhcp4, PingCheck};

mod common;
use common::*;

/// `Dhcp4` with the library entry `entry` on line 3 and `subnets` (a JSON
/// list) on line 5.
fn conf(entry: &str, subnets: &str) -> String {
    format!("{{\"Dhcp4\": {{\n\"hooks-libraries\": [\n{entry}\n],\n\"subnet4\": {subnets}\n}}}}")
}

fn ok4(text: &str) -> Dhcp4 {
    ok(text).dhcp4.unwrap()
}

fn col(line: &str, needle: &str) -> usize {
    line[..line.find(needle).unwrap()].chars().count() + 1
}

const SUBNET: &str = r#"[{"id": 1, "subnet": "192.0.2.0/24"}]"#;

#[test]
fn built_in_from_any_directory_with_keas_defaults() {
    let c = ok4(&conf(
        r#"{"library": "/usr/local/lib/kea/hooks/libdhcp_ping_check.so"}"#,
        SUBNET,
    ));
    assert!(c.hooks_libraries[0].builtin);
    let want = PingCheck {
        enabled: true,
        min_ping_requests: 1,
        reply_timeout_ms: 100,
        ping_cltt_secs: 60,
    };
    assert_eq!(c.ping_check, Some(want));
    assert_eq!(c.subnets[0].ping_check, Some(want));
    assert_eq!(c.ping_channel_threads, 0);
    // Without the library nothing is checked, whatever subnets say.
    let c = ok4(
        r#"{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "user-context": {"ping-check": {"bogus": 1}}}]}}"#,
    );
    assert!(c.ping_check.is_none() && c.subnets[0].ping_check.is_none());
}

#[test]
fn parameters_and_subnet_overrides() {
    let c = ok4(&conf(
        r#"{"library": "libdhcp_ping_check.so", "parameters": {"enable-ping-check": true, "min-ping-requests": 2, "reply-timeout": 250, "ping-cltt-secs": 0, "ping-channel-threads": 4}}"#,
        r#"[{"id": 1, "subnet": "192.0.2.0/24", "user-context": {"ping-check": {"enable-ping-check": false}}},
            {"id": 2, "subnet": "198.51.100.0/24", "user-context": {"note": "x", "ping-check": {"reply-timeout": 50, "ping-cltt-secs": 120}}},
            {"id": 3, "subnet": "203.0.113.0/24", "user-context": {"note": "no override"}}]"#,
    ));
    let g = c.ping_check.unwrap();
    assert_eq!(
        (
            g.enabled,
            g.min_ping_requests,
            g.reply_timeout_ms,
            g.ping_cltt_secs
        ),
        (true, 2, 250, 0)
    );
    assert_eq!(c.ping_channel_threads, 4);
    // A subnet's map starts from the global settings.
    assert_eq!(
        c.subnets[0].ping_check,
        Some(PingCheck {
            enabled: false,
            ..g
        })
    );
    assert_eq!(
        c.subnets[1].ping_check,
        Some(PingCheck {
            reply_timeout_ms: 50,
            ping_cltt_secs: 120,
            ..g
        })
    );
    assert_eq!(c.subnets[2].ping_check, Some(g));
}

#[test]
fn bad_parameters_are_located() {
    let cases = [
        (
            r#"{"library": "libdhcp_ping_check.so", "parameters": {"min-ping-requests": 0}}"#,
            "0",
            "min-ping-requests",
            "0 is out of range: expected 1..=4294967295",
        ),
        (
            r#"{"library": "libdhcp_ping_check.so", "parameters": {"reply-timeout": -5}}"#,
            "-5",
            "reply-timeout",
            "-5 is out of range: expected 1..=",
        ),
        (
            r#"{"library": "libdhcp_ping_check.so", "parameters": {"ping-cltt-secs": 4294967296}}"#,
            "4294967296",
            "ping-cltt-secs",
            "out of range: expected 0..=4294967295",
        ),
        (
            r#"{"library": "libdhcp_ping_check.so", "parameters": {"ping-channel-threads": 1.5}}"#,
            "1.5",
            "ping-channel-threads",
            "expected an integer, got 1.5",
        ),
        (
            r#"{"library": "libdhcp_ping_check.so", "parameters": {"enable-ping-check": "yes"}}"#,
            r#""yes""#,
            "enable-ping-check",
            "expected a boolean",
        ),
    ];
    for (line, at, key, msg) in cases {
        let d = err(&conf(line, SUBNET));
        check(
            &d,
            3,
            col(line, &format!(": {at}")) + 2,
            &format!("Dhcp4.hooks-libraries[0].parameters.{key}"),
            msg,
        );
    }
    // Unknown keys, `comment` included (Kea's library refuses it).
    let line = r#"{"library": "libdhcp_ping_check.so", "parameters": {"reply-timout": 5}}"#;
    let d = err(&conf(line, SUBNET));
    assert_eq!(d.line, 3);
    assert_eq!(
        d.path, "Dhcp4.hooks-libraries[0].parameters.reply-timout",
        "{d}"
    );
    assert!(
        d.message.contains("unknown parameter `reply-timout` of libdhcp_ping_check.so: expected enable-ping-check, min-ping-requests, reply-timeout, ping-cltt-secs or ping-channel-threads"),
        "{d}"
    );
    let line = r#"{"library": "libdhcp_ping_check.so", "parameters": {"comment": "x"}}"#;
    assert!(err(&conf(line, SUBNET))
        .message
        .contains("unknown parameter"));
    // Listed twice.
    let two = r#"{"library": "libdhcp_ping_check.so"}, {"library": "/opt/libdhcp_ping_check.so"}"#;
    let d = err(&conf(two, SUBNET));
    assert_eq!(d.path, "Dhcp4.hooks-libraries[1].library", "{d}");
    assert!(d.message.contains("already listed"), "{d}");
}

#[test]
fn bad_subnet_overrides_are_located() {
    let lib = r#"{"library": "libdhcp_ping_check.so"}"#;
    let subnets = r#"[{"id": 1, "subnet": "192.0.2.0/24", "user-context": {"ping-check": {"min-ping-requests": 0}}}]"#;
    let d = err(&conf(lib, subnets));
    check(
        &d,
        5,
        col(&format!("\"subnet4\": {subnets}"), "0}}}]"),
        "Dhcp4.subnet4[0].user-context.ping-check.min-ping-requests",
        "0 is out of range: expected 1..=",
    );
    let subnets = r#"[{"id": 1, "subnet": "192.0.2.0/24", "user-context": {"ping-check": true}}]"#;
    let d = err(&conf(lib, subnets));
    check(
        &d,
        5,
        col(&format!("\"subnet4\": {subnets}"), "true"),
        "Dhcp4.subnet4[0].user-context.ping-check",
        "expected a map of libdhcp_ping_check.so's parameters",
    );
    // In a shared network too.
    let text = format!(
        "{{\"Dhcp4\": {{\"hooks-libraries\": [{lib}], \"shared-networks\": [{{\"name\": \"n\", \"subnet4\": [{{\"id\": 7, \"subnet\": \"192.0.2.0/24\", \"user-context\": {{\"ping-check\": {{\"enable\": true}}}}}}]}}]}}}}"
    );
    let d = err(&text);
    assert_eq!(
        d.path, "Dhcp4.shared-networks[0].subnet4[0].user-context.ping-check.enable",
        "{d}"
    );
}

#[test]
fn dhcpv6_refuses_it() {
    let d = err(
        "{\"Dhcp6\": {\n\"hooks-libraries\": [\n{\"library\": \"libdhcp_ping_check.so\"}\n]\n}}",
    );
    assert_eq!(d.path, "Dhcp6.hooks-libraries[0].library", "{d}");
    assert!(d.message.contains("is a DHCPv4 library"), "{d}");
}
