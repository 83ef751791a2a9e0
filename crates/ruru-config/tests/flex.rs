//! Kea's `libdhcp_flex_id.so` and `libdhcp_flex_option.so` as built-in
//! libraries: accepted from any directory with Kea's parameters, their
//! expressions compiled, every error located in the file.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ruru_config::{Dhcp4, Dhcp6, FlexAction};

mod common;
use common::*;

/// `Dhcp4` with one hook library entry, `entry`, on line 3.
fn lib4(entry: &str) -> String {
    format!("{{\"Dhcp4\": {{\n\"hooks-libraries\": [\n{entry}\n]\n}}}}")
}

fn lib6(entry: &str) -> String {
    format!("{{\"Dhcp6\": {{\n\"hooks-libraries\": [\n{entry}\n]\n}}}}")
}

fn ok4(text: &str) -> Dhcp4 {
    ok(text).dhcp4.unwrap()
}

fn ok6(text: &str) -> Dhcp6 {
    ok(text).dhcp6.unwrap()
}

fn col(line: &str, needle: &str) -> usize {
    line[..line.find(needle).unwrap()].chars().count() + 1
}

#[test]
fn flex_id_is_built_in_from_any_directory() {
    let c = ok4(&lib4(
        r#"{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_id.so",
            "parameters": {"identifier-expression": "relay4[1].hex", "replace-client-id": false}}"#,
    ));
    assert!(c.hooks_libraries[0].builtin);
    let f = c.flex_id.unwrap();
    assert!(f.expr.is_some());
    assert!(!f.replace_client_id);
    assert!(c.flex_options.is_empty());
    // No parameters, or an empty expression: no identifier.
    let c = ok4(&lib4(r#"{"library": "libdhcp_flex_id.so"}"#));
    assert!(c.flex_id.unwrap().expr.is_none());
    let c = ok6(&lib6(
        r#"{"library": "/opt/kea/lib/libdhcp_flex_id.so", "parameters": {"identifier-expression": "", "ignore-iaid": false}}"#,
    ));
    assert!(c.flex_id.unwrap().expr.is_none());
    // Without the library: nothing.
    let c = ok4("{\"Dhcp4\": {}}");
    assert!(c.flex_id.is_none() && c.flex_options.is_empty());
}

#[test]
fn flex_id_errors_are_located() {
    let line = r#"{"library": "libdhcp_flex_id.so", "parameters": {"identifier-expression": "pkt4.mac annd"}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "annd"),
        "Dhcp4.hooks-libraries[0].parameters.identifier-expression",
        "invalid expression: ",
    );
    // A condition is not an identifier.
    let line = r#"{"library": "libdhcp_flex_id.so", "parameters": {"identifier-expression": "pkt4.mac == 0x01"}}"#;
    let d = err(&lib4(line));
    assert_eq!(d.line, 3);
    assert!(d.message.contains("invalid expression"), "{d}");
    // DHCPv6 expressions in DHCPv4.
    let line = r#"{"library": "libdhcp_flex_id.so", "parameters": {"identifier-expression": "pkt6.transid"}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("invalid expression"), "{d}");
    let line =
        r#"{"library": "libdhcp_flex_id.so", "parameters": {"identifer-expression": "pkt4.mac"}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "\"pkt4.mac"),
        "Dhcp4.hooks-libraries[0].parameters.identifer-expression",
        "unknown parameter `identifer-expression` of libdhcp_flex_id.so",
    );
    let line = r#"{"library": "libdhcp_flex_id.so", "parameters": {"replace-client-id": 1}}"#;
    let d = err(&lib4(line));
    assert_eq!(
        d.path,
        "Dhcp4.hooks-libraries[0].parameters.replace-client-id"
    );
    let c = ok4(&lib4(
        r#"{"library": "libdhcp_flex_id.so", "parameters": {"identifier-expression": "pkt4.mac", "replace-client-id": true}}"#,
    ));
    assert!(c.flex_id.unwrap().replace_client_id);
    let line = r#"{"library": "libdhcp_flex_id.so", "parameters": {"ignore-iaid": true}}"#;
    let d = err(&lib6(line));
    assert!(d.message.contains("not supported yet: ignore-iaid"), "{d}");
    // ignore-iaid is a DHCPv6 parameter.
    let d = err(&lib4(line));
    assert!(d.message.contains("unknown parameter `ignore-iaid`"), "{d}");
    let line = r#"{"library": "libdhcp_flex_id.so"}, {"library": "/x/libdhcp_flex_id.so"}"#;
    let d = err(&lib4(line));
    assert_eq!(d.path, "Dhcp4.hooks-libraries[1].library");
    assert!(d.message.contains("already listed"), "{d}");
}

#[test]
fn flex_option_entries_are_compiled_in_kea_order() {
    let c = ok4(&lib4(
        r#"{"library": "/usr/lib/kea/hooks/libdhcp_flex_option.so", "parameters": {"options": [
            {"code": 67, "add": "ifelse(option[host-name].exists, concat(option[host-name].text, '.boot'), '')"},
            {"name": "domain-name", "supersede": "'example.org'", "csv-format": false, "space": "dhcp4"},
            {"code": 12, "remove": "option[12].exists", "client-class": "phones", "comment": "x"}
        ]}}"#,
    ));
    assert!(c.hooks_libraries[0].builtin);
    let codes: Vec<u16> = c.flex_options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [12, 15, 67]);
    assert!(matches!(c.flex_options[0].action, FlexAction::Remove(_)));
    assert_eq!(c.flex_options[0].client_class.as_deref(), Some("phones"));
    assert!(matches!(c.flex_options[1].action, FlexAction::Supersede(_)));
    assert!(matches!(c.flex_options[2].action, FlexAction::Add(_)));
    let c = ok6(&lib6(
        r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [
            {"name": "bootfile-url", "add": "'http://boot/x'"}, {"code": 23, "remove": "'a' == 'a'"}]}}"#,
    ));
    let codes: Vec<u16> = c.flex_options.iter().map(|o| o.code).collect();
    assert_eq!(codes, [23, 59]);
}

#[test]
fn flex_option_errors_are_located() {
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67, "add": "concat('a', oops)"}]}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "oops"),
        "Dhcp4.hooks-libraries[0].parameters.options[0].add",
        "invalid expression: ",
    );
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67, "remove": "'a'"}]}}"#;
    let d = err(&lib4(line));
    assert_eq!(
        d.path,
        "Dhcp4.hooks-libraries[0].parameters.options[0].remove"
    );
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67, "add": "'a'", "supersede": "'b'"}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("multiple actions"), "{d}");
    let line =
        r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("no action"), "{d}");
    let line =
        r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"add": "'a'"}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("'code' or 'name'"), "{d}");
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 255, "add": "'a'"}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("invalid code 255"), "{d}");
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 300, "add": "'a'"}]}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "300"),
        "Dhcp4.hooks-libraries[0].parameters.options[0].code",
        "invalid code 300",
    );
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"name": "no-such", "add": "'a'"}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("no known 'no-such' option"), "{d}");
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"name": "host-name", "code": 13, "add": "'a'"}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("defined as code: 12"), "{d}");
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67, "add": "'a'", "csv-format": true}]}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("not supported yet: csv-format"), "{d}");
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [{"code": 67, "ad": "'a'"}]}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "\"'a'"),
        "Dhcp4.hooks-libraries[0].parameters.options[0].ad",
        "unknown parameter `ad`",
    );
    let line = r#"{"library": "libdhcp_flex_option.so", "parameters": {}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("needs `options`"), "{d}");
    let line =
        r#"{"library": "libdhcp_flex_option.so", "parameters": {"options": [], "extra": 1}}"#;
    let d = err(&lib4(line));
    assert!(d.message.contains("unknown parameter `extra`"), "{d}");
}

/// `libdhcp_bootp.so`, built in: from any directory, in `Dhcp4` only, with
/// no parameters (Kea's library defines none).
#[test]
fn bootp_is_built_in_for_dhcp4_only() {
    let c = ok4(&lib4(
        r#"{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_bootp.so"}"#,
    ));
    assert!(c.hooks_libraries[0].builtin);
    assert!(c.bootp);
    assert!(!ok4(&lib4(r#"{"library": "libdhcp_lease_cmds.so"}"#)).bootp);
    assert!(
        ok4(&lib4(
            r#"{"library": "libdhcp_bootp.so", "parameters": {}}"#
        ))
        .bootp
    );

    let line = r#"{"library": "libdhcp_bootp.so"}"#;
    let d = err(&lib6(line));
    check(
        &d,
        3,
        col(line, "\"libdhcp_bootp"),
        "Dhcp6.hooks-libraries[0].library",
        "BOOTP clients, which are IPv4 only",
    );
    let line = r#"{"library": "libdhcp_bootp.so", "parameters": {"x": 1}}"#;
    let d = err(&lib4(line));
    check(
        &d,
        3,
        col(line, "{\"x\""),
        "Dhcp4.hooks-libraries[0].parameters",
        "takes no parameters",
    );
}
