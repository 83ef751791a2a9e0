//! One run reports every problem of a file (DESIGN principle 2): keys
//! Kea knows that ruru does not take, unknown keys, values of the wrong
//! type and semantic errors, in both sections and in several subnets, each
//! with its position and JSON path.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;
use common::*;

/// A file with problems in many places; line numbers matter.
const MANY: &str = r#"{
"Dhcp4": {
  "config-control": { "config-databases": [] },
  "valid-lifetim": 4000,
  "subnet4": [
    { "id": 1, "subnet": "192.0.2.0/24",
      "4o6-subnet": "10.0.0.0/8",
      "pools": [ { "pool": "192.0.2.10 - 192.0.2.20", "colour": "blue" } ] },
    { "id": 2, "subnet": "198.51.100.0/24",
      "renew-timer": "soon",
      "pools": [ { "pool": "198.51.100.300 - 198.51.100.20" } ] }
  ],
  "interfaces-config": { "interfaces": [], "interfaces": [] }
},
"Dhcp6": {
  "dhcp4o6-port": 65535,
  "subnet6": [
    { "id": 1, "subnet": "2001:db8:1::/64", "preferred-lifetim": 3 }
  ]
}
}"#;

#[test]
fn every_problem_of_a_file_in_one_run() {
    let d = errs(MANY);
    for x in &d {
        eprintln!("{x}");
    }
    // The first problem serde met on the text stays first.
    check(&d[0], 3, 3, "Dhcp4.config-control", "not supported yet");
    let want: &[(usize, usize, &str, &str)] = &[
        (4, 3, "Dhcp4.valid-lifetim", "unknown key `valid-lifetim`"),
        (
            7,
            21,
            "Dhcp4.subnet4[0].4o6-subnet",
            "expected an IPv6 prefix",
        ),
        (
            8,
            55,
            "Dhcp4.subnet4[0].pools[0].colour",
            "unknown key `colour`",
        ),
        (10, 22, "Dhcp4.subnet4[1].renew-timer", "invalid type"),
        (
            13,
            44,
            "Dhcp4.interfaces-config.interfaces",
            "duplicate key",
        ),
        (16, 19, "Dhcp6.dhcp4o6-port", "out of range"),
        (18, 45, "Dhcp6.subnet6[0].preferred-lifetim", "unknown key"),
        (11, 28, "Dhcp4.subnet4[1].pools[0].pool", "is not a pool"),
    ];
    for (line, column, path, msg) in want {
        let Some(x) = d.iter().find(|x| x.path == *path) else {
            panic!("no diagnostic at {path}: {d:#?}");
        };
        check(x, *line, *column, path, msg);
    }
    assert_eq!(d.len(), want.len() + 1, "{d:#?}");
    // The problems of the file model come in file order (the first
    // excepted), the semantic ones after.
    let lines: Vec<usize> = d[1..6].iter().map(|x| x.line).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
}

#[test]
fn a_wrong_required_value_stops_without_a_consequence() {
    // `subnet` of the wrong type is taken out; its "missing key" is not
    // reported as a second problem.
    let d = errs(
        r#"{"Dhcp4": {
  "subnet4": [ { "id": 1, "subnet": 7 } ],
  "bogus": 1
}}"#,
    );
    assert_eq!(d.len(), 2, "{d:#?}");
    check(&d[0], 2, 37, "Dhcp4.subnet4[0].subnet", "invalid type");
    check(&d[1], 3, 3, "Dhcp4.bogus", "unknown key `bogus`");
}

#[test]
fn a_syntax_error_is_reported_alone() {
    let d = errs("{\"Dhcp4\": { \"bogus\": 1, \"valid-lifetime\": }}");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(d[0].message.contains("invalid JSON"), "{d:#?}");
}

#[test]
fn the_search_stops_after_256_problems_and_says_so() {
    let keys: Vec<String> = (0..300).map(|i| format!("\"bogus{i}\": 1")).collect();
    let d = errs(&format!("{{\"Dhcp4\": {{ {} }}}}", keys.join(", ")));
    assert_eq!(d.len(), 257, "{:?}", d.last());
    assert!(
        d[256].message.contains("more problems may follow"),
        "{}",
        d[256]
    );
}
