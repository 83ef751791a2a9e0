//! Client classification in the configuration: `client-classes` and the
//! class keys of subnets, pools, pd-pools and reservations, in Kea 2.2's
//! and Kea 3.0's spellings, and every error with its exact position
//! (inside the expression string for expression errors).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::net::Ipv4Addr;

use ruru_classify::Kind;
use ruru_config::{ClassGuard, ClassTest, Dhcp4, Dhcp6, Lifetime};

mod common;
use common::*;

/// A config whose `Dhcp4` body is `body` (starting on line 2).
fn v4(body: &str) -> String {
    format!("{{\"Dhcp4\": {{\n{body}\n}}}}")
}

/// A config whose `Dhcp6` body is `body` (starting on line 2).
fn v6(body: &str) -> String {
    format!("{{\"Dhcp6\": {{\n{body}\n}}}}")
}

/// `Dhcp4` with these `client-classes` entries, one a line from line 3.
fn classes4(entries: &[&str]) -> String {
    v4(&format!(
        "\"client-classes\": [\n{}\n]",
        entries.join(",\n")
    ))
}

fn ok4(text: &str) -> Dhcp4 {
    ok(text).dhcp4.unwrap()
}

fn ok6(text: &str) -> Dhcp6 {
    ok(text).dhcp6.unwrap()
}

/// 1-based column of the first `needle` in `line`.
fn col(line: &str, needle: &str) -> usize {
    line[..line.find(needle).unwrap()].chars().count() + 1
}

fn guard(allowed: &[&str], required: &[&str]) -> ClassGuard {
    ClassGuard {
        client_classes: allowed.iter().map(|s| s.to_string()).collect(),
        required_classes: required.iter().map(|s| s.to_string()).collect(),
    }
}

const CLASSES4_22: &str = r#"
"client-classes": [
  {"name": "late", "only-if-required": true, "test": "member('ALL')",
   "option-data": [{"name": "domain-name-servers", "data": "192.0.2.53"}]},
  {"name": "VoIP", "test": "substring(option[60].hex,0,6) == 'Aastra'",
   "next-server": "192.0.2.254", "server-hostname": "hal9000",
   "boot-file-name": "/dev/null", "valid-lifetime": 600,
   "max-valid-lifetime": 900, "offer-lifetime": 0,
   "user-context": {"site": "lab"}, "comment": "phones"},
  {"name": "VoIP_host", "test": "member('VoIP') and member('KNOWN')"},
  {"name": "VoIP_host_late", "test": "not member('VoIP_host')"},
  {"name": "plain", "test": "pkt4.msgtype == 1 or member('VENDOR_CLASS_foo')"},
  {"name": "KNOWN", "option-data": [{"name": "domain-name", "data": "known.example"}]},
  {"name": "from-hosts"}
],
"subnet4": [
  {"id": 1, "subnet": "192.0.2.0/24", "client-class": "VoIP",
   "require-client-classes": ["late"],
   "pools": [
     {"pool": "192.0.2.10 - 192.0.2.19", "client-class": "UNKNOWN"},
     {"pool": "192.0.2.20 - 192.0.2.29", "client-class": "KNOWN",
      "require-client-classes": ["late", "late"]},
     {"pool": "192.0.2.30 - 192.0.2.39", "client-class": ""}
   ],
   "reservations": [
     {"hw-address": "1a:1b:1c:1d:1e:1f", "client-classes": ["VoIP", "from-hosts"]},
     {"hw-address": "1a:1b:1c:1d:1e:20"}
   ]},
  {"id": 2, "subnet": "198.51.100.0/24", "client-class": "defined-by-a-hook"}
]"#;

#[test]
fn classes_load_into_the_model_v4() {
    let d = ok4(&v4(CLASSES4_22));
    let names: Vec<&str> = d.client_classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "late",
            "VoIP",
            "VoIP_host",
            "VoIP_host_late",
            "plain",
            "KNOWN",
            "from-hosts"
        ]
    );
    let late = &d.client_classes[0];
    assert!(late.only_if_required);
    assert!(!late.depends_on_known);
    assert_eq!(late.options.len(), 1);
    assert_eq!(late.options[0].code, 6);
    assert_eq!(late.options[0].data, [192, 0, 2, 53]);
    let voip = d.client_class("VoIP").unwrap();
    let ClassTest::Test(e) = &voip.test else {
        panic!("{:?}", voip.test)
    };
    assert_eq!(e.kind(), Kind::Bool);
    assert_eq!(e.source(), "substring(option[60].hex,0,6) == 'Aastra'");
    assert!(!voip.only_if_required);
    assert!(!voip.depends_on_known);
    assert_eq!(voip.next_server, Some(Ipv4Addr::new(192, 0, 2, 254)));
    assert_eq!(voip.server_hostname.as_deref(), Some("hal9000"));
    assert_eq!(voip.boot_file_name.as_deref(), Some("/dev/null"));
    assert_eq!(
        voip.valid_lifetime,
        Some(Lifetime {
            default: 600,
            min: 600,
            max: 900
        })
    );
    assert_eq!(voip.offer_lifetime, Some(0));
    assert_eq!(voip.user_context.as_ref().unwrap()["site"], "lab");
    // KNOWN directly, and through VoIP_host.
    assert!(d.client_class("VoIP_host").unwrap().depends_on_known);
    assert!(d.client_class("VoIP_host_late").unwrap().depends_on_known);
    assert!(!d.client_class("plain").unwrap().depends_on_known);
    let known = d.client_class("KNOWN").unwrap();
    assert!(matches!(known.test, ClassTest::None));
    assert_eq!(known.options[0].code, 15);
    let hosts = d.client_class("from-hosts").unwrap();
    assert!(matches!(hosts.test, ClassTest::None));
    assert_eq!(hosts.next_server, None);
    assert_eq!(hosts.valid_lifetime, None);

    let s = &d.subnets[0];
    assert_eq!(s.classes, guard(&["VoIP"], &["late"]));
    assert_eq!(s.pools[0].classes, guard(&["UNKNOWN"], &[]));
    assert_eq!(s.pools[1].classes, guard(&["KNOWN"], &["late"]));
    // Kea's "" is no class: everyone.
    assert_eq!(s.pools[2].classes, ClassGuard::default());
    assert!(s.pools[2].classes.allows(|_| false));
    assert!(s.pools[1].classes.allows(|c| c == "KNOWN"));
    assert!(!s.pools[1].classes.allows(|c| c == "UNKNOWN"));
    assert_eq!(
        s.reservations.hosts[0].client_classes,
        ["VoIP", "from-hosts"]
    );
    assert!(s.reservations.hosts[1].client_classes.is_empty());
    // A class that is not defined (a hook's, a reservation's) is accepted.
    assert_eq!(d.subnets[1].classes, guard(&["defined-by-a-hook"], &[]));
}

#[test]
fn kea30_spellings_load_the_same_model() {
    let kea30 = CLASSES4_22
        .replace("\"only-if-required\"", "\"only-in-additional-list\"")
        .replace(
            "\"require-client-classes\"",
            "\"evaluate-additional-classes\"",
        )
        .replace(
            "\"client-class\": \"VoIP\"",
            "\"client-classes\": [\"VoIP\"]",
        )
        .replace(
            "\"client-class\": \"UNKNOWN\"",
            "\"client-classes\": [\"UNKNOWN\"]",
        )
        .replace(
            "\"client-class\": \"KNOWN\"",
            "\"client-classes\": [\"KNOWN\"]",
        )
        .replace("\"client-class\": \"\"", "\"client-classes\": []")
        .replace(
            "\"client-class\": \"defined-by-a-hook\"",
            "\"client-classes\": [\"defined-by-a-hook\"]",
        );
    assert!(!kea30.contains("\"client-class\""), "{kea30}");
    let (a, b) = (ok4(&v4(CLASSES4_22)), ok4(&v4(&kea30)));
    let summary = |d: &Dhcp4| {
        let classes: Vec<_> = d
            .client_classes
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.only_if_required,
                    c.depends_on_known,
                    c.test.expr().map(|e| e.source().to_string()),
                    c.options.clone(),
                )
            })
            .collect();
        let guards: Vec<_> = d
            .subnets
            .iter()
            .flat_map(|s| {
                std::iter::once(s.classes.clone()).chain(s.pools.iter().map(|p| p.classes.clone()))
            })
            .collect();
        (classes, guards)
    };
    assert_eq!(summary(&a), summary(&b));
    // Kea 3.0's list may name several classes: any one admits.
    let d = ok4(&v4(
        r#""subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "client-classes": ["a", "b", "a", ""]}]"#,
    ));
    assert_eq!(d.subnets[0].classes, guard(&["a", "b"], &[]));
    assert!(d.subnets[0].classes.allows(|c| c == "b"));
}

#[test]
fn classes_load_into_the_model_v6() {
    let d = ok6(&v6(r#"
"client-classes": [
  {"name": "second_subnet", "only-in-additional-list": true, "test": "member('ALL')",
   "option-data": [{"name": "dns-servers", "data": "2001:db8::1"}],
   "preferred-lifetime": 100, "valid-lifetime": 200},
  {"name": "cable-modems", "test": "vendor.enterprise == 4491"},
  {"name": "tmpl", "template-test": "substring(option[1].hex, 0, 2)"},
  {"name": "spawned-user", "test": "member('SPAWN_tmpl_00') or member('UNKNOWN')"},
  {"name": "bootp-looking", "test": "member('spawned-user')"}
],
"subnet6": [
  {"id": 1, "subnet": "2001:db8:1::/64", "client-class": "cable-modems",
   "evaluate-additional-classes": ["second_subnet"],
   "pools": [{"pool": "2001:db8:1::/80", "client-classes": ["KNOWN"],
              "require-client-classes": ["second_subnet"]}],
   "pd-pools": [{"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56,
                 "client-class": "cable-modems", "evaluate-additional-classes": ["x"]}],
   "reservations": [{"duid": "01:02:03", "client-classes": ["cable-modems"]}]}
]"#));
    let c = &d.client_classes[0];
    assert!(c.only_if_required);
    assert_eq!(c.options[0].code, 23);
    assert_eq!(c.preferred_lifetime.map(|l| l.default), Some(100));
    assert_eq!(c.valid_lifetime.map(|l| l.default), Some(200));
    let t = d.client_class("tmpl").unwrap();
    assert!(t.test.is_template());
    assert_eq!(t.test.expr().unwrap().kind(), Kind::String);
    assert!(d.client_class("spawned-user").unwrap().depends_on_known);
    assert!(d.client_class("bootp-looking").unwrap().depends_on_known);
    let s = &d.subnets[0];
    assert_eq!(s.classes, guard(&["cable-modems"], &["second_subnet"]));
    assert_eq!(s.pools[0].classes, guard(&["KNOWN"], &["second_subnet"]));
    assert_eq!(s.pd_pools[0].classes, guard(&["cable-modems"], &["x"]));
    assert_eq!(s.reservations.hosts[0].client_classes, ["cable-modems"]);
}

// ------------------------------------------------------------------ errors

#[test]
fn a_bad_expression_is_located_inside_the_string() {
    let line = r#"  {"name": "a", "test": "pkt4.mac == 0x010203 annd member('ALL')"}"#;
    let d = err(&classes4(&[line]));
    check(
        &d,
        3,
        col(line, "annd"),
        "Dhcp4.client-classes[0].test",
        "invalid expression: ",
    );
    // Escapes count as the characters they are in the file.
    let line = r#"  {"name": "a", "test": "option[60].text == \u0027x\u0027 \n oops"}"#;
    let d = err(&classes4(&[line]));
    check(
        &d,
        3,
        col(line, "oops"),
        "Dhcp4.client-classes[0].test",
        "invalid expression: ",
    );
    // A string where a condition is needed; an unknown option name.
    let line = r#"  {"name": "a", "test": "option[no-such-option].hex == 'x'"}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "no-such-option"),
        "Dhcp4.client-classes[0].test",
        "invalid expression: ",
    );
    // A DHCPv6 expression in Dhcp4.
    let line = r#"  {"name": "a", "test": "pkt6.msgtype == 1"}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "pkt6"),
        "Dhcp4.client-classes[0].test",
        "invalid expression: ",
    );
    // A template test must be a string expression.
    let line = r#"  {"name": "t", "template-test": "member('ALL')"}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "member"),
        "Dhcp4.client-classes[0].template-test",
        "invalid expression: ",
    );
}

#[test]
fn member_must_name_a_builtin_or_earlier_class() {
    let first = r#"  {"name": "a", "test": "member('ALL') and member('b')"}"#;
    let second = r#"  {"name": "b", "test": "member('a') or member('nowhere') or member('b')"}"#;
    let d = errs(&classes4(&[first, second]));
    assert_eq!(d.len(), 3, "{d:#?}");
    check(
        &d[0],
        3,
        col(first, "b')"),
        "Dhcp4.client-classes[0].test",
        "member('b') names a class defined later, at Dhcp4.client-classes[1]",
    );
    check(
        &d[1],
        4,
        col(second, "nowhere"),
        "Dhcp4.client-classes[1].test",
        "member('nowhere') names an undefined class",
    );
    check(
        &d[2],
        4,
        col(second, "b')"),
        "Dhcp4.client-classes[1].test",
        "member('b') names the class being defined",
    );
    // BOOTP is DHCPv4 only; spawned classes need their template first.
    let line = r#"  {"name": "a", "test": "member('BOOTP')"}"#;
    let d = err(&v6(&format!("\"client-classes\": [\n{line}\n]")));
    check(
        &d,
        3,
        col(line, "BOOTP"),
        "Dhcp6.client-classes[0].test",
        "names an undefined class",
    );
    let user = r#"  {"name": "u", "test": "member('SPAWN_t_x')"}"#;
    let tmpl = r#"  {"name": "t", "template-test": "pkt4.mac"}"#;
    check(
        &err(&classes4(&[user, tmpl])),
        3,
        col(user, "SPAWN"),
        "Dhcp4.client-classes[0].test",
        "member('SPAWN_t_x') names an undefined class",
    );
    ok4(&classes4(&[tmpl, user]));
    // Built-in names and prefixes need no definition.
    ok4(&classes4(&[
        r#"{"name": "a", "test": "member('ALL') or member('KNOWN') or member('UNKNOWN') or member('BOOTP') or member('DROP') or member('VENDOR_CLASS_docsis3.0') or member('HA_server1')"}"#,
    ]));
}

#[test]
fn duplicate_and_empty_class_names() {
    let d = errs(&classes4(&[
        r#"  {"name": "a"}"#,
        r#"  {"name": "b"}"#,
        r#"  {"name": "a", "test": "member('b')"}"#,
        r#"  {"name": ""}"#,
    ]));
    assert_eq!(d.len(), 2, "{d:#?}");
    check(
        &d[0],
        5,
        12,
        "Dhcp4.client-classes[2].name",
        "class `a` is already defined at Dhcp4.client-classes[0]: expected unique class names",
    );
    check(
        &d[1],
        6,
        12,
        "Dhcp4.client-classes[3].name",
        "empty class name",
    );
    check(
        &err(&classes4(&[r#"  {"test": "member('ALL')"}"#])),
        3,
        3,
        "Dhcp4.client-classes[0]",
        "missing required key `name`",
    );
}

#[test]
fn offer_lifetime_of_a_class() {
    let c = ok(&classes4(&[r#"  {"name": "a", "offer-lifetime": 60}"#]));
    assert_eq!(c.dhcp4.unwrap().client_classes[0].offer_lifetime, Some(60));
}

#[test]
fn both_spellings_or_both_tests_are_errors() {
    let line = r#"  {"name": "a", "test": "member('ALL')", "template-test": "pkt4.mac"}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "\"pkt4.mac"),
        "Dhcp4.client-classes[0].template-test",
        "both `test` and `template-test` are given",
    );
    let line = r#"  {"name": "a", "only-if-required": true, "only-in-additional-list": false}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "false"),
        "Dhcp4.client-classes[0].only-in-additional-list",
        "both `only-if-required` (Kea 2.2) and `only-in-additional-list`",
    );
    let subnet = r#""subnet4": [{"id": 1, "subnet": "10.0.0.0/8", "client-class": "a", "client-classes": ["a"],"#;
    let pool = r#" "pools": [{"pool": "10.0.0.0/24", "require-client-classes": ["x"], "evaluate-additional-classes": ["y"]}]}]"#;
    let d = errs(&v4(&format!("{subnet}\n{pool}")));
    assert_eq!(d.len(), 2, "{d:#?}");
    check(
        &d[0],
        2,
        col(subnet, "[\"a\"]"),
        "Dhcp4.subnet4[0].client-classes",
        "both `client-class` (Kea 2.2) and `client-classes` (Kea 3.0) are given",
    );
    check(
        &d[1],
        3,
        col(pool, "[\"y\"]"),
        "Dhcp4.subnet4[0].pools[0].evaluate-additional-classes",
        "both `require-client-classes` (Kea 2.2) and `evaluate-additional-classes`",
    );
    let pd = r#" {"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56, "client-class": "a", "client-classes": []}]}]"#;
    let d = err(&v6(&format!(
        "\"subnet6\": [{{\"id\": 1, \"subnet\": \"2001:db8::/64\", \"pd-pools\": [\n{pd}"
    )));
    check(
        &d,
        3,
        col(pd, "[]"),
        "Dhcp6.subnet6[0].pd-pools[0].client-classes",
        "both `client-class` (Kea 2.2) and `client-classes` (Kea 3.0) are given",
    );
}

#[test]
fn builtin_classes_take_no_test_and_are_not_required() {
    let line = r#"  {"name": "KNOWN", "test": "member('ALL')"}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "\"member"),
        "Dhcp4.client-classes[0].test",
        "built-in class `KNOWN` cannot have a test",
    );
    let line = r#"  {"name": "DROP", "test": "pkt4.msgtype == 8", "only-if-required": true}"#;
    check(
        &err(&classes4(&[line])),
        3,
        col(line, "true"),
        "Dhcp4.client-classes[0].only-if-required",
        "special class `DROP` cannot be only-if-required",
    );
    // DROP may have a test.
    ok4(&classes4(&[
        r#"{"name": "DROP", "test": "pkt4.msgtype == 8"}"#,
    ]));
}

#[test]
fn class_values_are_checked_like_elsewhere() {
    let d = errs(&classes4(&[concat!(
        r#"  {"name": "a", "next-server": "255.255.255.255", "valid-lifetime": 10, "max-valid-lifetime": 5,"#,
        "\n",
        r#"   "option-data": [{"name": "routers", "data": "x"}], "user-context": 1}"#,
    )]));
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Dhcp4.client-classes[0].valid-lifetime",
            "Dhcp4.client-classes[0].user-context",
            "Dhcp4.client-classes[0].option-data[0].data",
            "Dhcp4.client-classes[0].next-server",
        ],
        "{d:#?}"
    );
    // Family keys: no preferred lifetime in Dhcp4, no next-server in Dhcp6.
    check(
        &err(&classes4(&[r#"  {"name": "a", "preferred-lifetime": 5}"#])),
        3,
        17,
        "Dhcp4.client-classes[0].preferred-lifetime",
        "unknown key `preferred-lifetime`",
    );
    check(
        &err(&v6(
            "\"client-classes\": [{\"name\": \"a\", \"next-server\": \"10.0.0.1\"}]",
        )),
        2,
        34,
        "Dhcp6.client-classes[0].next-server",
        "unknown key `next-server`",
    );
    // Class-level option definitions are checked like the section's.
    check(
        &err(&classes4(&[
            r#"  {"name": "a", "option-def": [{"name": "x", "code": 43, "type": "bogus"}]}"#,
        ])),
        3,
        66,
        "Dhcp4.client-classes[0].option-def[0].type",
        "option type 'bogus' not supported",
    );
}
