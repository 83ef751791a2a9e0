//! Loading whole configurations: defaults, inheritance, includes, and every
//! error with its exact position and path.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ruru_config::{
    load, load_str, ConfigError, HostId, HostIdType, LeaseDbKind, LogOutput, Severity, SocketType,
};

mod common;
use common::*;

/// A config whose `Dhcp4` body is `body` (starting on line 2).
fn v4(body: &str) -> String {
    format!("{{\"Dhcp4\": {{\n{body}\n}}}}")
}

fn subnet_cfg(subnet_body: &str) -> String {
    // The subnet object's body starts on line 3.
    v4(&format!("\"subnet4\": [ {{\n{subnet_body}\n}} ]"))
}

// ---------------------------------------------------------------- defaults

#[test]
fn empty_file_has_no_dhcp4() {
    assert!(ok("{}").dhcp4.is_none());
    assert_eq!(ok("{}").source, PathBuf::from(FILE));
}

#[test]
fn kea_defaults() {
    let c = ok(r#"{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]}}"#);
    let d = c.dhcp4.unwrap();
    assert!(d.interfaces.interfaces.is_empty());
    assert_eq!(d.interfaces.socket_type, SocketType::Raw);
    assert_eq!(d.lease_database.kind, LeaseDbKind::Memfile);
    assert_eq!(
        d.lease_database.name,
        PathBuf::from("/var/lib/kea/kea-leases4.csv")
    );
    assert!(d.lease_database.persist);
    assert_eq!(d.lease_database.lfc_interval, 3600);
    assert_eq!(d.decline_probation_period, 86400);
    assert_eq!(d.expired_leases, Default::default());
    assert_eq!(d.expired_leases.reclaim_timer_wait_time, 10);
    assert!(d.echo_client_id);
    assert_eq!(
        d.host_reservation_identifiers,
        [
            HostIdType::HwAddress,
            HostIdType::Duid,
            HostIdType::CircuitId,
            HostIdType::ClientId
        ]
    );
    assert!(!d.multi_threading.enabled);
    assert_eq!(d.multi_threading.packet_queue_size, 64);
    assert_eq!(d.loggers.len(), 1);
    assert_eq!(d.loggers[0].name, "kea-dhcp4");
    assert_eq!(d.loggers[0].severity, Severity::Info);
    assert_eq!(d.loggers[0].outputs, [LogOutput::Stdout]);
    assert!(d.options.is_empty());

    let s = &d.subnets[0];
    assert_eq!(s.valid_lifetime.default, 7200);
    assert_eq!(s.valid_lifetime.min, 7200);
    assert_eq!(s.valid_lifetime.max, 7200);
    assert_eq!(s.renew_timer, None);
    assert_eq!(s.rebind_timer, None);
    assert!(!s.calculate_tee_times);
    assert_eq!(s.t1_percent, 0.5);
    assert_eq!(s.t2_percent, 0.875);
    assert!(!s.authoritative);
    assert!(s.match_client_id);
    assert_eq!(s.next_server, Ipv4Addr::UNSPECIFIED);
    assert_eq!(s.server_hostname, "");
    assert_eq!(s.boot_file_name, "");
    assert!(s.pools.is_empty());
    assert!(s.relay_addresses.is_empty());
    assert_eq!(s.interface, None);
}

#[test]
fn min_max_default_to_valid_lifetime() {
    let d = ok(&v4(
        r#""valid-lifetime": 600, "subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]"#,
    ))
    .dhcp4
    .unwrap();
    let l = d.subnets[0].valid_lifetime;
    assert_eq!((l.min, l.default, l.max), (600, 600, 600));
    let d = ok(&v4(
        r#""valid-lifetime": 600, "max-valid-lifetime": 900, "subnet4": [{"id": 1, "subnet": "10.0.0.0/8"}]"#,
    ))
    .dhcp4
    .unwrap();
    let l = d.subnets[0].valid_lifetime;
    assert_eq!((l.min, l.default, l.max), (600, 600, 900));
    assert_eq!(l.choose(Some(10_000)), 900);
    assert_eq!(l.choose(None), 600);
}

// ------------------------------------------------------------- inheritance

#[test]
fn subnet_inherits_and_overrides_globals() {
    let c = ok(&v4(r#"
  "valid-lifetime": 1000, "min-valid-lifetime": 500, "max-valid-lifetime": 2000,
  "renew-timer": 100, "rebind-timer": 200, "calculate-tee-times": true,
  "t1-percent": 0.4, "t2-percent": 0.8, "authoritative": true, "match-client-id": false,
  "next-server": "192.0.2.9", "server-hostname": "srv", "boot-file-name": "pxe.0",
  "subnet4": [
    {"id": 1, "subnet": "10.0.0.0/24"},
    {"id": 2, "subnet": "10.0.1.0/24", "valid-lifetime": 50, "renew-timer": 10,
     "rebind-timer": 20, "calculate-tee-times": false, "t1-percent": 0.3, "t2-percent": 0.6,
     "authoritative": false, "match-client-id": true, "next-server": "192.0.2.10",
     "server-hostname": "other", "boot-file-name": "f"}
  ]"#));
    let d = c.dhcp4.unwrap();
    let a = &d.subnets[0];
    assert_eq!(
        (
            a.valid_lifetime.min,
            a.valid_lifetime.default,
            a.valid_lifetime.max
        ),
        (500, 1000, 2000)
    );
    assert_eq!((a.renew_timer, a.rebind_timer), (Some(100), Some(200)));
    assert!(a.calculate_tee_times && a.authoritative && !a.match_client_id);
    assert_eq!((a.t1_percent, a.t2_percent), (0.4, 0.8));
    assert_eq!(a.next_server, Ipv4Addr::new(192, 0, 2, 9));
    assert_eq!(
        (a.server_hostname.as_str(), a.boot_file_name.as_str()),
        ("srv", "pxe.0")
    );

    let b = &d.subnets[1];
    // A subnet's own valid-lifetime replaces the whole global triplet (Kea).
    assert_eq!(
        (
            b.valid_lifetime.min,
            b.valid_lifetime.default,
            b.valid_lifetime.max
        ),
        (50, 50, 50)
    );
    assert_eq!((b.renew_timer, b.rebind_timer), (Some(10), Some(20)));
    assert!(!b.calculate_tee_times && !b.authoritative && b.match_client_id);
    assert_eq!((b.t1_percent, b.t2_percent), (0.3, 0.6));
    assert_eq!(b.next_server, Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(
        (b.server_hostname.as_str(), b.boot_file_name.as_str()),
        ("other", "f")
    );
}

#[test]
fn options_at_every_level_and_subnet_ids_auto_assigned() {
    let d = ok(&v4(r#"
  "option-data": [ {"name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54", "always-send": true} ],
  "subnet4": [
    {"id": 7, "subnet": "10.0.0.0/24",
     "option-data": [ {"code": 3, "data": "10.0.0.1"} ],
     "pools": [ {"pool": "10.0.0.10 - 10.0.0.20", "option-data": [ {"name": "domain-name", "data": "pool.example"} ]},
                {"pool": "10.0.0.128/25"} ],
     "reservations": [ {"client-id": "01:aa:bb:cc:dd:ee:ff", "ip-address": "10.0.0.5",
                        "option-data": [ {"code": 200, "csv-format": false, "data": "0102"} ],
                        "next-server": "10.0.0.2", "server-hostname": "h", "boot-file-name": "b"},
                       {"circuit-id": "'port-1'"},
                       {"circuit-id": "0a0b", "ip-address": "0.0.0.0"} ]},
    {"subnet": "10.0.1.0/24"},
    {"subnet": "10.0.2.0/24"}
  ]"#))
    .dhcp4
    .unwrap();
    assert_eq!(d.options.len(), 1);
    assert_eq!(d.options[0].code, 6);
    assert_eq!(d.options[0].data, [192, 0, 2, 53, 192, 0, 2, 54]);
    assert!(d.options[0].always_send);
    let s = &d.subnets[0];
    assert_eq!(s.options[0].code, 3);
    assert!(!s.options[0].always_send);
    assert_eq!(s.pools[0].options[0].data, b"pool.example");
    assert_eq!(s.pools[1].start, Ipv4Addr::new(10, 0, 0, 128));
    assert_eq!(s.pools[1].end, Ipv4Addr::new(10, 0, 0, 255));
    assert_eq!(s.total_addresses(), 11 + 128);
    let r = s
        .reservations
        .get(&HostId::ClientId(vec![
            1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ]))
        .unwrap();
    assert_eq!(r.ip_address, Some(Ipv4Addr::new(10, 0, 0, 5)));
    assert_eq!(r.options[0].code, 200);
    assert_eq!(r.options[0].data, [1, 2]);
    assert_eq!(r.next_server, Some(Ipv4Addr::new(10, 0, 0, 2)));
    assert_eq!(r.server_hostname.as_deref(), Some("h"));
    assert_eq!(r.boot_file_name.as_deref(), Some("b"));
    assert!(s
        .reservations
        .get(&HostId::CircuitId(b"port-1".to_vec()))
        .is_some());
    let c = s
        .reservations
        .get(&HostId::CircuitId(vec![10, 11]))
        .unwrap();
    assert_eq!(c.ip_address, None);
    assert_eq!(
        d.subnets.iter().map(|s| s.id).collect::<Vec<_>>(),
        [7, 8, 9]
    );
}

#[test]
fn comment_and_user_context_are_accepted() {
    ok(&v4(r#"
  "comment": "x", "user-context": {"anything": [1, {"goes": true}]},
  "option-data": [ {"name": "routers", "data": "10.0.0.1", "comment": "c", "user-context": {}} ],
  "subnet4": [ {"id": 1, "subnet": "10.0.0.0/24", "comment": "c", "user-context": {"a": 1},
    "pools": [ {"pool": "10.0.0.5 - 10.0.0.6", "comment": "c", "user-context": {}} ],
    "reservations": [ {"hw-address": "aa:bb:cc:dd:ee:ff", "comment": "c", "user-context": {}} ] } ]"#));
}

#[test]
fn accepted_kea_keys_without_effect() {
    let d = ok(&v4(r#"
  "interfaces-config": {"interfaces": ["eth0/192.0.2.1", "*"], "re-detect": true},
  "hooks-libraries": [],
  "multi-threading": {"enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 16},
  "host-reservation-identifiers": ["circuit-id", "hw-address", "duid", "client-id", "flex-id"],
  "expired-leases-processing": {"reclaim-timer-wait-time": 5, "flush-reclaimed-timer-wait-time": 6,
     "hold-reclaimed-time": 7, "max-reclaim-leases": 8, "max-reclaim-time": 9, "unwarned-reclaim-cycles": 11},
  "echo-client-id": false, "decline-probation-period": 5,
  "lease-database": {"type": "memfile", "persist": false, "name": "rel/leases.csv", "lfc-interval": 0},
  "loggers": [ {"name": "kea-dhcp4.leases", "severity": "DEBUG", "debuglevel": 99,
                "output_options": [ {"output": "stderr"}, {"output": "/var/log/x.log", "flush": true,
                                     "maxsize": 1048576, "maxver": 4, "pattern": "%m\n"} ]} ]"#))
    .dhcp4
    .unwrap();
    assert_eq!(d.interfaces.interfaces, ["eth0/192.0.2.1", "*"]);
    assert_eq!(
        d.multi_threading,
        ruru_config::MultiThreading {
            configured: true,
            enabled: true,
            thread_pool_size: 4,
            packet_queue_size: 16
        }
    );
    assert_eq!(d.multi_threading.workers(), Some(4));
    let off = ruru_config::MultiThreading {
        enabled: false,
        ..d.multi_threading
    };
    assert_eq!(off.workers(), Some(1));
    assert_eq!(ruru_config::MultiThreading::default().workers(), None);
    assert_eq!(d.host_reservation_identifiers[0], HostIdType::CircuitId);
    assert_eq!(d.host_reservation_identifiers[4], HostIdType::Flex);
    let e = d.expired_leases;
    assert_eq!(
        (
            e.reclaim_timer_wait_time,
            e.flush_reclaimed_timer_wait_time,
            e.hold_reclaimed_time,
            e.max_reclaim_leases,
            e.max_reclaim_time,
            e.unwarned_reclaim_cycles
        ),
        (5, 6, 7, 8, 9, 11)
    );
    assert!(!d.echo_client_id);
    assert_eq!(d.decline_probation_period, 5);
    assert!(!d.lease_database.persist);
    // Relative lease file names are kept as given (relative to the cwd, as Kea).
    assert_eq!(d.lease_database.name, PathBuf::from("rel/leases.csv"));
    assert_eq!(d.lease_database.lfc_interval, 0);
    let l = &d.loggers[0];
    assert_eq!((l.severity, l.debuglevel), (Severity::Debug, 99));
    assert_eq!(
        l.outputs,
        [
            LogOutput::Stderr,
            LogOutput::File(PathBuf::from("/var/log/x.log"))
        ]
    );
}

#[test]
fn relay_single_address_form() {
    let d = ok(&subnet_cfg(
        r#""id": 1, "subnet": "10.0.0.0/24", "relay": {"ip-address": "10.9.9.9"}"#,
    ))
    .dhcp4
    .unwrap();
    assert_eq!(d.subnets[0].relay_addresses, [Ipv4Addr::new(10, 9, 9, 9)]);
}

// ---------------------------------------------------------------- comments

#[test]
fn all_three_comment_kinds() {
    let text = r#"# hash comment with "quotes" and { braces
{ // slash comment
  /* block
     comment */ "Dhcp4": {
    "option-data": [ { "name": "v4-captive-portal", "data": "http://portal.example/#a" } ], # trailing
    "subnet4": [ /* inline */ { "id": 1, "subnet": "10.0.0.0/8" } ]
  }
}
"#;
    let d = ok(text).dhcp4.unwrap();
    // `//` and `#` inside a string are data, not comments.
    assert_eq!(d.options[0].data, b"http://portal.example/#a");
}

#[test]
fn positions_after_comments_are_exact() {
    let text = "/* a\n b */ {\"Dhcp4\": { # x\n  \"valid-lifetime\": \"long\" } }";
    check(
        &err(text),
        3,
        21,
        "Dhcp4.valid-lifetime",
        "invalid type: string \"long\", expected an integer in 0..=4294967295",
    );
}

// ---------------------------------------------------------------- includes

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn nested_relative_includes() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.json",
        "{ \"Dhcp4\": {\n  <?include \"conf.d/subnets.json\"?>,\n  \"valid-lifetime\": 100 } }",
    );
    write(
        dir.path(),
        "conf.d/subnets.json",
        "// subnets\n\"subnet4\": [ <?include \"one.json\"?> ]",
    );
    write(
        dir.path(),
        "conf.d/one.json",
        "# the only subnet\n{ \"id\": 3, \"subnet\": \"10.1.0.0/16\" }",
    );
    let c = load(&main).unwrap();
    let d = c.dhcp4.unwrap();
    assert_eq!(d.subnets[0].id, 3);
    assert_eq!(d.subnets[0].valid_lifetime.default, 100);
}

#[test]
fn absolute_include_and_error_position_in_included_file() {
    let dir = tempfile::tempdir().unwrap();
    let inc = write(
        dir.path(),
        "sub/bad.json",
        "\n\n  { \"id\": 3,\n    \"subnet\": \"10.1.0.1/16\" }",
    );
    let text = format!(
        "{{ \"Dhcp4\": {{ \"subnet4\": [ <?include \"{}\"?> ] }} }}",
        inc.display()
    );
    let d = errs(&text);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].file, inc);
    check(&d[0], 4, 15, "Dhcp4.subnet4[0].subnet", "host bits set");
}

#[test]
fn missing_include_is_reported_at_the_directive() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "main.json",
        "{\n  \"Dhcp4\": <?include \"nope.json\"?>\n}",
    );
    let e = load(&main).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.file, main);
    assert_eq!((d.line, d.column), (2, 22));
    assert!(d.message.contains("cannot read included file"), "{d}");
    assert!(d.message.contains("nope.json"), "{d}");
}

#[test]
fn include_loop_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.json",
        "{ \"Dhcp4\": <?include \"b.json\"?> }",
    );
    let b = write(dir.path(), "b.json", "\n <?include \"a.json\"?>");
    let e = load(&a).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(d.file, b);
    assert_eq!((d.line, d.column), (2, 12));
    assert!(d.message.contains("include loop"), "{d}");
}

#[test]
fn missing_main_file() {
    let e = load(Path::new("/nonexistent/ruru.json")).unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/ruru.json:1:1: "),
        "{e}"
    );
}

// ----------------------------------------------------------- parse errors

#[test]
fn syntax_error_position() {
    let d = err("{\"Dhcp4\": {\n  \"valid-lifetime\": 10\n  \"renew-timer\": 5}}");
    check(&d, 3, 3, "Dhcp4", "invalid JSON: expected `,` or `}`");
    // A comma with no element before it is an error, as in Kea.
    let d = err("{\"Dhcp4\": {\n  \"subnet4\": [, {}]}}");
    check(
        &d,
        2,
        15,
        "Dhcp4.subnet4[0]",
        "invalid JSON: expected value",
    );
}

#[test]
fn extraneous_commas_are_accepted_as_kea_does() {
    // Kea warns "Extraneous comma" and reads on; Debian's stock
    // kea-dhcp4.conf has one.
    let c = ok("{\"Dhcp4\": {\n  \"decline-probation-period\": 10,\n  \"subnet4\": [],,\n},}");
    assert_eq!(c.dhcp4.unwrap().decline_probation_period, 10);
}

#[test]
fn display_format() {
    let d = err("{\"Dhcp4\": {\n  \"valid-lifetime\": -1 }}");
    assert_eq!(
        d.to_string(),
        "/etc/ruru/test.json:2:21: Dhcp4.valid-lifetime: invalid value: integer `-1`, expected an integer in 0..=4294967295"
    );
}

#[test]
fn type_errors_speak_json() {
    check(
        &err(&v4("  \"subnet4\": {}")),
        2,
        14,
        "Dhcp4.subnet4",
        "invalid type: map, expected a list",
    );
    check(
        &err(&v4("  \"lease-database\": []")),
        2,
        21,
        "Dhcp4.lease-database",
        "invalid type: sequence, expected an object",
    );
    check(
        &err(&v4("  \"t1-percent\": \"half\"")),
        2,
        17,
        "Dhcp4.t1-percent",
        "expected a number",
    );
    check(
        &err(&v4("  \"authoritative\": 1")),
        2,
        20,
        "Dhcp4.authoritative",
        "invalid type: integer `1`, expected a boolean",
    );
}

#[test]
fn objects_given_as_arrays_are_refused() {
    // serde's derived structs would accept `["memfile", ...]` positionally.
    check(
        &err("[{}]"),
        1,
        1,
        "",
        "invalid type: sequence, expected an object",
    );
    check(
        &err(&v4("  \"subnet4\": [[1, \"10.0.0.0/8\"]]")),
        2,
        15,
        "Dhcp4.subnet4[0]",
        "invalid type: sequence, expected an object",
    );
}

#[test]
fn reader_errors_have_no_path() {
    let e = load_str("{ /* x", Path::new("a.json")).unwrap_err();
    assert_eq!(e.to_string(), "a.json:1:3: unterminated `/*` comment");
}

#[test]
fn unknown_keys() {
    check(
        &err(&v4("  \"valid-lifetim\": 10")),
        2,
        3,
        "Dhcp4.valid-lifetim",
        "unknown key `valid-lifetim`, expected one of: comment, user-context, interfaces-config",
    );
    check(
        &err(&subnet_cfg(
            r#""id": 1, "subnet": "10.0.0.0/8", "pools": [{"pool": "10.0.0.1-10.0.0.2", "poll": 1}]"#,
        )),
        3,
        74,
        "Dhcp4.subnet4[0].pools[0].poll",
        "unknown key `poll`",
    );
    check(
        &err("{\"Dhcp4\": {}, \"dhcp4\": {}}"),
        1,
        15,
        "dhcp4",
        "unknown key `dhcp4`, expected one of: Dhcp4",
    );
}

#[test]
fn duplicate_key() {
    check(
        &err(&v4("  \"valid-lifetime\": 10,\n  \"valid-lifetime\": 20")),
        3,
        3,
        "Dhcp4.valid-lifetime",
        "duplicate key `valid-lifetime`",
    );
}

#[test]
fn missing_required_key() {
    check(
        &err(&subnet_cfg("  \"id\": 1")),
        2,
        14,
        "Dhcp4.subnet4[0]",
        "missing required key `subnet`",
    );
}

#[test]
fn wrong_enum_value() {
    check(
        &err(&v4(
            "  \"interfaces-config\": {\"dhcp-socket-type\": \"tcp\"}",
        )),
        2,
        45,
        "Dhcp4.interfaces-config.dhcp-socket-type",
        "unknown variant `tcp`, expected `raw` or `udp`",
    );
    check(
        &err(&v4(
            "  \"loggers\": [{\"name\": \"x\", \"severity\": \"verbose\"}]",
        )),
        2,
        41,
        "Dhcp4.loggers[0].severity",
        "unknown variant `verbose`",
    );
}

// ------------------------------------------------------ not supported yet

#[test]
fn not_supported_yet() {
    let cases: &[(&str, &str)] = &[("\"config-control\": {}", "Dhcp4.config-control")];
    for (body, path) in cases {
        let d = err(&v4(body));
        assert_eq!(d.path, *path, "{d}");
        assert_eq!(d.message, format!("not supported yet: {path}"), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
    for top in ["Netconf", "Logging"] {
        let d = err(&format!("{{\"Dhcp4\": {{}},\n \"{top}\": {{}}}}"));
        check(&d, 2, 2, top, &format!("not supported yet: {top}"));
    }
    // Kea's `key-password` goes with `key-file` (TLS with a client key).
    let d = err(&v4(
        "\"hosts-database\": {\"type\": \"mysql\", \"name\": \"kea\", \"key-password\": \"x\"}",
    ));
    assert_eq!(d.path, "Dhcp4.hosts-database.key-password", "{d}");
    assert!(d.message.contains("without `key-file`"), "{d}");
    let d = err(&v4(
        "\"loggers\": [{\"name\": \"a\", \"output_options\": [{\"output\": \"syslog:local9\"}]}]",
    ));
    check(
        &d,
        2,
        57,
        "Dhcp4.loggers[0].output_options[0].output",
        "unknown syslog facility `local9`",
    );
    for (output, facility) in [("syslog", 16), ("syslog:daemon", 3), ("syslog:LOCAL7", 23)] {
        let c = ok(&v4(&format!(
            "\"loggers\": [{{\"name\": \"a\", \"output_options\": [{{\"output\": \"{output}\"}}]}}]"
        )));
        assert_eq!(
            c.dhcp4.unwrap().loggers[0].outputs,
            vec![ruru_config::LogOutput::Syslog { facility }],
            "{output}"
        );
    }
}

// ------------------------------------------------------ semantic errors

#[test]
fn subnet_errors() {
    check(
        &err(&subnet_cfg("  \"id\": 1, \"subnet\": \"10.0.0.1/8\"")),
        3,
        22,
        "Dhcp4.subnet4[0].subnet",
        "`10.0.0.1/8` has host bits set: expected the network address, 10.0.0.0/8",
    );
    check(
        &err(&subnet_cfg("  \"id\": 1, \"subnet\": \"10.0.0.0\"")),
        3,
        22,
        "Dhcp4.subnet4[0].subnet",
        "expected a prefix like \"192.0.2.0/24\"",
    );
    check(
        &err(&subnet_cfg("  \"id\": 0, \"subnet\": \"10.0.0.0/8\"")),
        3,
        9,
        "Dhcp4.subnet4[0].id",
        "subnet id 0 is reserved",
    );
    let d = err(&v4(
        "\"subnet4\": [ {\"id\": 1, \"subnet\": \"10.0.0.0/8\"},\n {\"id\": 1, \"subnet\": \"11.0.0.0/8\"} ]",
    ));
    check(
        &d,
        3,
        9,
        "Dhcp4.subnet4[1].id",
        "duplicate subnet id 1 (also used by Dhcp4.subnet4[0])",
    );
    let d = err(&v4(
        "\"subnet4\": [ {\"id\": 1, \"subnet\": \"10.0.0.0/8\"},\n {\"id\": 2, \"subnet\": \"10.1.0.0/16\"} ]",
    ));
    check(
        &d,
        3,
        22,
        "Dhcp4.subnet4[1].subnet",
        "10.1.0.0/16 overlaps 10.0.0.0/8 of Dhcp4.subnet4[0]",
    );
    let d = err(&v4(
        "\"subnet4\": [ {\"id\": 1, \"subnet\": \"10.0.0.0/8\"},\n {\"id\": 2, \"subnet\": \"10.0.0.0/8\"} ]",
    ));
    check(&d, 3, 22, "Dhcp4.subnet4[1].subnet", "is the same as");
}

#[test]
fn pool_errors() {
    let base = "  \"id\": 1, \"subnet\": \"10.0.0.0/24\",\n  \"pools\": [ ";
    let d = err(&subnet_cfg(&format!(
        "{base}{{\"pool\": \"10.0.1.1 - 10.0.1.9\"}} ]"
    )));
    check(
        &d,
        4,
        23,
        "Dhcp4.subnet4[0].pools[0].pool",
        "pool 10.0.1.1 - 10.0.1.9 is not inside subnet 10.0.0.0/24: expected addresses in 10.0.0.0 - 10.0.0.255",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}{{\"pool\": \"10.0.0.1 - 10.0.0.9\"}},\n    {{\"pool\": \"10.0.0.9 - 10.0.0.20\"}} ]"
    )));
    check(
        &d,
        5,
        14,
        "Dhcp4.subnet4[0].pools[1].pool",
        "pool 10.0.0.9 - 10.0.0.20 overlaps Dhcp4.subnet4[0].pools[0]",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}{{\"pool\": \"10.0.0.9 - 10.0.0.1\"}} ]"
    )));
    check(
        &d,
        4,
        23,
        "Dhcp4.subnet4[0].pools[0].pool",
        "pool start 10.0.0.9 is after its end 10.0.0.1",
    );
    let d = err(&subnet_cfg(&format!("{base}{{\"pool\": \"10.0.0.9\"}} ]")));
    check(
        &d,
        4,
        23,
        "Dhcp4.subnet4[0].pools[0].pool",
        "expected \"192.0.2.10 - 192.0.2.20\" or \"192.0.2.64/26\"",
    );
}

#[test]
fn reservation_errors() {
    let base = "  \"id\": 1, \"subnet\": \"10.0.0.0/24\",\n  \"reservations\": [\n";
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"hw-address\": \"aa:bb:cc:dd:ee:ff\", \"ip-address\": \"10.0.1.5\"}} ]"
    )));
    check(
        &d,
        5,
        53,
        "Dhcp4.subnet4[0].reservations[0].ip-address",
        "10.0.1.5 is not inside subnet 10.0.0.0/24",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"hw-address\": \"aa:bb:cc:dd:ee:ff\"}},\n  {{\"hw-address\": \"AA-BB-CC-DD-EE-FF\"}} ]"
    )));
    check(
        &d,
        6,
        18,
        "Dhcp4.subnet4[0].reservations[1].hw-address",
        "this hw-address is already reserved by Dhcp4.subnet4[0].reservations[0]",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"hw-address\": \"aa:bb:cc:dd:ee:01\", \"ip-address\": \"10.0.0.5\"}},\n  {{\"client-id\": \"01:02\", \"ip-address\": \"10.0.0.5\"}} ]"
    )));
    check(
        &d,
        6,
        40,
        "Dhcp4.subnet4[0].reservations[1].ip-address",
        "10.0.0.5 is already reserved by Dhcp4.subnet4[0].reservations[0]",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"hw-address\": \"aa:bb:cc:dd:ee:01\", \"client-id\": \"01:02\"}} ]"
    )));
    check(
        &d,
        5,
        52,
        "Dhcp4.subnet4[0].reservations[0].client-id",
        "more than one identifier (hw-address, client-id)",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"ip-address\": \"10.0.0.5\"}} ]"
    )));
    check(
        &d,
        5,
        3,
        "Dhcp4.subnet4[0].reservations[0]",
        "no identifier",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"hw-address\": \"aa:bb:zz\"}} ]"
    )));
    check(
        &d,
        5,
        18,
        "Dhcp4.subnet4[0].reservations[0].hw-address",
        "`aa:bb:zz` is not a hardware address",
    );
    let d = err(&subnet_cfg(&format!("{base}  {{\"client-id\": \"01\"}} ]")));
    check(
        &d,
        5,
        17,
        "Dhcp4.subnet4[0].reservations[0].client-id",
        "expected 2 to 255 bytes of hex",
    );
    let d = err(&subnet_cfg(&format!(
        "{base}  {{\"circuit-id\": \"xyz\"}} ]"
    )));
    check(
        &d,
        5,
        18,
        "Dhcp4.subnet4[0].reservations[0].circuit-id",
        "not a circuit id",
    );
}

#[test]
fn lifetime_and_timer_errors() {
    // Kea: an unset max defaults to valid-lifetime.
    check(
        &err(&v4("  \"valid-lifetime\": 10, \"min-valid-lifetime\": 20")),
        2,
        47,
        "Dhcp4.min-valid-lifetime",
        "min-valid-lifetime (20) is greater than max-valid-lifetime (10)",
    );
    check(
        &err(&v4(
            "  \"valid-lifetime\": 10, \"min-valid-lifetime\": 5, \"max-valid-lifetime\": 8",
        )),
        2,
        21,
        "Dhcp4.valid-lifetime",
        "valid-lifetime (10) is not between min-valid-lifetime (5) and max-valid-lifetime (8)",
    );
    check(
        &err(&v4(
            "  \"min-valid-lifetime\": 30, \"max-valid-lifetime\": 20",
        )),
        2,
        25,
        "Dhcp4.min-valid-lifetime",
        "min-valid-lifetime (30) is greater than max-valid-lifetime (20)",
    );
    check(
        &err(&v4("  \"renew-timer\": 200, \"rebind-timer\": 100")),
        2,
        18,
        "Dhcp4.renew-timer",
        "renew-timer (200) must be less than rebind-timer (100)",
    );
    check(
        &err(&v4("  \"valid-lifetime\": 100, \"rebind-timer\": 100")),
        2,
        42,
        "Dhcp4.rebind-timer",
        "rebind-timer (100) must be less than valid-lifetime (100)",
    );
    check(
        &err(&v4("  \"renew-timer\": 7200")),
        2,
        18,
        "Dhcp4.renew-timer",
        "renew-timer (7200) must be less than valid-lifetime (7200)",
    );
    ok(&subnet_cfg(
        "  \"id\": 1, \"subnet\": \"10.0.0.0/8\", \"valid-lifetime\": 60",
    ));
}

#[test]
fn subnet_timer_errors_and_inherited_globals() {
    // The global rebind-timer (100) is not less than the subnet's lifetime (60).
    let d = err(&v4(
        "\"rebind-timer\": 100,\n\"subnet4\": [{\"id\": 1, \"subnet\": \"10.0.0.0/8\", \"valid-lifetime\": 60}]",
    ));
    check(
        &d,
        3,
        13,
        "Dhcp4.subnet4[0].rebind-timer",
        "rebind-timer (100, from Dhcp4) must be less than valid-lifetime (60)",
    );
    check(
        &err(&v4("  \"t1-percent\": 1.5")),
        2,
        17,
        "Dhcp4.t1-percent",
        "1.5 is out of range: expected a number in (0, 1)",
    );
    check(
        &err(&v4(
            "  \"calculate-tee-times\": true, \"t1-percent\": 0.9, \"t2-percent\": 0.8",
        )),
        2,
        46,
        "Dhcp4.t1-percent",
        "t1-percent (0.9) must be less than t2-percent (0.8)",
    );
}

#[test]
fn option_errors() {
    let o = |s: &str| err(&v4(&format!("  \"option-data\": [ {s} ]")));
    check(
        &o(r#"{"name": "routerz", "data": "10.0.0.1"}"#),
        2,
        29,
        "Dhcp4.option-data[0].name",
        "unknown option name `routerz` in space dhcp4",
    );
    check(
        &o(r#"{"name": "routers", "code": 4, "data": "10.0.0.1"}"#),
        2,
        48,
        "Dhcp4.option-data[0].code",
        "option code 4 does not match name `routers` (code 3)",
    );
    check(
        &o(r#"{"name": "routers", "data": "10.0.0.256"}"#),
        2,
        48,
        "Dhcp4.option-data[0].data",
        "option routers (3): `10.0.0.256` is not an IPv4 address",
    );
    check(
        &o(r#"{"code": 0, "data": ""}"#),
        2,
        29,
        "Dhcp4.option-data[0].code",
        "option code 0 is reserved for PAD",
    );
    check(
        &o(r#"{"code": 255, "data": ""}"#),
        2,
        29,
        "Dhcp4.option-data[0].code",
        "reserved for END",
    );
    check(
        &o(r#"{"code": 256, "data": ""}"#),
        2,
        29,
        "Dhcp4.option-data[0].code",
        "invalid option code 256: expected 1..=254",
    );
    check(
        &o(r#"{"code": 222, "data": "abc"}"#),
        2,
        42,
        "Dhcp4.option-data[0].data",
        "option 222: no definition for this option code",
    );
    check(
        &o(r#"{"name": "routers", "space": "vendor-4491", "data": "10.0.0.1"}"#),
        2,
        29,
        "Dhcp4.option-data[0].name",
        "definition for the option 'vendor-4491.routers' does not exist",
    );
    check(
        &o(r#"{"data": "10.0.0.1"}"#),
        2,
        20,
        "Dhcp4.option-data[0]",
        "neither `name` nor `code`",
    );
    check(
        &o(r#"{"name": "routers", "data": "10.0.0.1"}, {"code": 3, "data": "10.0.0.2"}"#),
        2,
        70,
        "Dhcp4.option-data[1].code",
        "option 3 is already configured at Dhcp4.option-data[0]",
    );
    check(
        &o(r#"{"name": "routers", "csv-format": false, "data": "0g"}"#),
        2,
        69,
        "Dhcp4.option-data[0].data",
        "option routers (3): `0g` is not hex data",
    );
}

#[test]
fn other_value_errors() {
    check(
        &err(&v4("  \"next-server\": \"x\"")),
        2,
        18,
        "Dhcp4.next-server",
        "`x` is not an IPv4 address",
    );
    check(
        &err(&v4(&format!(
            "  \"boot-file-name\": \"{}\"",
            "a".repeat(128)
        ))),
        2,
        21,
        "Dhcp4.boot-file-name",
        "too long: 128 bytes, expected at most 127",
    );
    check(
        &err(&v4("  \"host-reservation-identifiers\": [\"mac\"]")),
        2,
        36,
        "Dhcp4.host-reservation-identifiers[0]",
        "unknown identifier type `mac`",
    );
    check(
        &err(&v4(
            "  \"loggers\": [{\"name\": \"x\", \"debuglevel\": 100}]",
        )),
        2,
        43,
        "Dhcp4.loggers[0].debuglevel",
        "100 is out of range: expected 0..=99",
    );
    check(
        &err(&v4("  \"lease-database\": {\"type\": \"cassandra\"}")),
        2,
        30,
        "Dhcp4.lease-database.type",
        "unknown lease database type `cassandra`: expected \"memfile\"",
    );
    check(
        &err(&subnet_cfg(
            "  \"id\": 1, \"subnet\": \"10.0.0.0/8\", \"relay\": {\"ip-addresses\": [\"10.0.0.1\", \"nope\"]}",
        )),
        3,
        75,
        "Dhcp4.subnet4[0].relay.ip-addresses[1]",
        "`nope` is not an IPv4 address",
    );
}

#[test]
fn several_errors_are_collected() {
    let d = errs(&v4(
        "\"next-server\": \"x\",\n\"subnet4\": [{\"id\": 1, \"subnet\": \"10.0.0.0/8\", \"pools\": [{\"pool\": \"11.0.0.1 - 11.0.0.2\"}]}]",
    ));
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        paths,
        ["Dhcp4.next-server", "Dhcp4.subnet4[0].pools[0].pool"]
    );
    let e = ConfigError { diagnostics: d };
    assert_eq!(e.to_string().lines().count(), 2);
}

// ------------------------------------------------------ control sockets, hooks

#[test]
fn hook_libraries_resolve_in_the_hooks_directory() {
    let places = ruru_config::Places {
        hooks: "/usr/lib/ruru/hooks".into(),
        ..Default::default()
    };
    let load = |t: &str| ruru_config::load_str_with(&v4(t), std::path::Path::new(FILE), &places);
    let c = load(
        "\"hooks-libraries\": [{\"library\": \"/usr/lib/kea/hooks/libdhcp_lease_cmds.so\"},\n\
         {\"library\": \"libdhcp_stat_cmds.so\", \"parameters\": {}}, {\"library\": \"/x/libdhcp_host_cmds.so\"},\n\
         {\"library\": \"/usr/lib/ruru/hooks/libmine.so\", \"parameters\": {\"a\": [1, \"b\"]}},\n\
         {\"library\": \"libother.so\"}]",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let d = c.dhcp4.expect("dhcp4");
    let h = &d.hooks_libraries;
    assert_eq!(h.len(), 5);
    // Kea's built-in libraries: any directory, nothing loaded.
    assert!(h[0].builtin && h[1].builtin && h[2].builtin);
    assert!(!h[3].builtin && !h[4].builtin);
    assert_eq!(
        h[3].path,
        std::path::PathBuf::from("/usr/lib/ruru/hooks/libmine.so")
    );
    assert_eq!(h[3].parameters_json, r#"{"a":[1,"b"]}"#);
    // A relative name resolves in the hooks directory.
    assert_eq!(
        h[4].path,
        std::path::PathBuf::from("/usr/lib/ruru/hooks/libother.so")
    );
    assert_eq!(h[4].parameters_json, "{}");
    // Anywhere else is refused, naming the directory and the variable.
    for lib in [
        "/opt/hooks/libmine.so",
        "relative/libother.so",
        "../libx.so",
        "/usr/lib/ruru/hooks/../libx.so",
    ] {
        let e = load(&format!(
            "\"hooks-libraries\": [{{\"library\": \"{lib}\"}}]"
        ))
        .unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.path, "Dhcp4.hooks-libraries[0].library", "{d}");
        assert!(d.message.contains("/usr/lib/ruru/hooks"), "{d}");
    }
    let e = load("\"hooks-libraries\": [{\"library\": \"/opt/libmine.so\"}]").unwrap_err();
    assert!(e.diagnostics[0].message.contains("RURU_HOOKS_PATH"), "{e}");
    let d = err(&v4(
        "\"hooks-libraries\": [{\"library\": \"/x/lib.so\", \"parameters\": [1]}]",
    ));
    assert_eq!(d.path, "Dhcp4.hooks-libraries[0].parameters", "{d}");
    let d = err(&v4("\"hooks-libraries\": [{\"library\": \"\"}]"));
    assert_eq!(d.path, "Dhcp4.hooks-libraries[0].library", "{d}");
    // The misspelt key, then the key it leaves missing.
    let d = errs(&v4("\"hooks-libraries\": [{\"lib\": \"x\"}]"));
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].path, "Dhcp4.hooks-libraries[0].lib", "{}", d[0]);
    assert!(
        d[1].message.contains("missing required key `library`"),
        "{}",
        d[1]
    );
}

#[test]
fn control_sockets_parse_with_defaults() {
    use ruru_config::{AuthClient, ControlSocket, Secret};
    let c = ok(&v4(
        "\"control-socket\": {\"socket-type\": \"unix\", \"socket-name\": \"/run/kea/kea4-ctrl-socket\"}",
    ));
    assert_eq!(
        c.dhcp4.unwrap().control_sockets,
        [ControlSocket::Unix {
            path: PathBuf::from("/run/kea/kea4-ctrl-socket")
        }]
    );
    let c = ok(&v4(r#""control-sockets": [
          {"socket-type": "unix", "socket-name": "/tmp/s"},
          {"socket-type": "http"},
          {"socket-type": "https", "socket-address": "::1", "socket-port": 8443,
           "trust-anchor": "ca.pem", "cert-file": "c.pem", "key-file": "k.pem", "cert-required": false,
           "authentication": {"type": "basic", "realm": "kea", "directory": "/etc/kea",
             "clients": [{"user": "a", "password": "b"}, {"user-file": "u", "password-file": "p"},
                         {"password-file": "both"}]}}
        ]"#));
    let socks = c.dhcp4.unwrap().control_sockets;
    assert_eq!(socks.len(), 3);
    let ControlSocket::Http(h) = &socks[1] else {
        panic!("{socks:?}")
    };
    assert_eq!(h.addr.to_string(), "127.0.0.1:8000");
    assert!(h.tls.is_none() && h.auth.is_none());
    let ControlSocket::Http(h) = &socks[2] else {
        panic!("{socks:?}")
    };
    assert_eq!(h.addr.to_string(), "[::1]:8443");
    let tls = h.tls.as_ref().unwrap();
    assert!(!tls.cert_required);
    assert_eq!(tls.trust_anchor, PathBuf::from("ca.pem"));
    let auth = h.auth.as_ref().unwrap();
    assert_eq!(auth.realm, "kea");
    assert_eq!(
        auth.clients,
        [
            AuthClient::Split {
                user: Secret::Inline("a".into()),
                password: Secret::Inline("b".into())
            },
            AuthClient::Split {
                user: Secret::File("/etc/kea/u".into()),
                password: Secret::File("/etc/kea/p".into())
            },
            AuthClient::CombinedFile("/etc/kea/both".into()),
        ]
    );
}

#[test]
fn control_socket_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#""control-socket": {"socket-type": "tcp"}"#,
            "Dhcp4.control-socket.socket-type",
            "unknown control socket type `tcp`",
        ),
        (
            r#""control-socket": {"socket-type": "unix"}"#,
            "Dhcp4.control-socket",
            "missing required key `socket-name`",
        ),
        (
            r#""control-socket": {"socket-name": "/x"}"#,
            "Dhcp4.control-socket",
            "missing required key `socket-type`",
        ),
        (
            r#""control-sockets": [{"socket-type": "unix", "socket-name": "/x", "socket-port": 1}]"#,
            "Dhcp4.control-sockets[0].socket-port",
            "not valid for a unix control socket",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "socket-name": "/x"}]"#,
            "Dhcp4.control-sockets[0].socket-name",
            "not valid for an HTTP control socket",
        ),
        (
            r#""control-sockets": [{"socket-type": "https"}]"#,
            "Dhcp4.control-sockets[0].socket-type",
            "no TLS setup for an HTTPS control socket",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "socket-address": "localhost"}]"#,
            "Dhcp4.control-sockets[0].socket-address",
            "is not an IP address",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "socket-port": 70000}]"#,
            "Dhcp4.control-sockets[0].socket-port",
            "expected an integer in 0..=65535",
        ),
        (
            r#""control-sockets": [{"socket-type": "https", "cert-file": "c", "key-file": "k"}]"#,
            "Dhcp4.control-sockets[0]",
            "`trust-anchor` is missing or empty",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "authentication": {"type": "digest"}}]"#,
            "Dhcp4.control-sockets[0].authentication.type",
            "unknown authentication type `digest`",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "authentication": {"type": "basic", "clients": [{"user": "a:b", "password": "x"}]}}]"#,
            "Dhcp4.control-sockets[0].authentication.clients[0].user",
            "contains `:`",
        ),
        (
            r#""control-sockets": [{"socket-type": "http", "authentication": {"type": "basic", "clients": [{"password": "x"}]}}]"#,
            "Dhcp4.control-sockets[0].authentication.clients[0]",
            "no user",
        ),
        (
            r#""control-sockets": [{"socket-type": "http"}, {"socket-type": "http", "socket-port": 8000}]"#,
            "Dhcp4.control-sockets[1].socket-port",
            "another control socket already uses this",
        ),
        (
            r#""control-socket": {"socket-type": "unix", "socket-name": "/a"}, "control-sockets": []"#,
            "Dhcp4.control-sockets",
            "both set",
        ),
    ];
    for (body, path, msg) in cases {
        let d = err(&v4(body));
        assert_eq!(d.path, *path, "{d}");
        assert!(d.message.contains(msg), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
}

#[test]
fn hosts_databases() {
    let c = ok(&v4(
        r#""hosts-database": {"type": "postgresql", "name": "hosts", "host": "db", "user": "kea",
        "max-reconnect-tries": 2}"#,
    ));
    let d = c.dhcp4.unwrap();
    match d.hosts_databases.as_slice() {
        [LeaseDbKind::Postgresql(s)] => {
            assert_eq!((s.name.as_str(), s.host.as_str()), ("hosts", "db"));
            assert_eq!((s.user.as_deref(), s.max_reconnect_tries), (Some("kea"), 2));
        }
        k => panic!("expected one postgresql hosts database, got {k:?}"),
    }
    // The lease database is unchanged (memfile by default).
    assert_eq!(d.lease_database.kind, LeaseDbKind::Memfile);
    let c = ok(&v4(
        r#""hosts-databases": [{"type": "mysql", "name": "a"}, {"type": "postgresql", "name": "b"}]"#,
    ));
    let kinds = c.dhcp4.unwrap().hosts_databases;
    assert!(matches!(
        kinds.as_slice(),
        [LeaseDbKind::Mysql(a), LeaseDbKind::Postgresql(b)] if a.name == "a" && b.name == "b"
    ));
    assert!(ok(&v4("")).dhcp4.unwrap().hosts_databases.is_empty());
    let cases: &[(&str, &str, &str)] = &[
        (
            r#""hosts-database": {"type": "memfile"}"#,
            "Dhcp4.hosts-database.type",
            "\"memfile\" is not a hosts backend",
        ),
        (
            r#""hosts-databases": [{"type": "mysql", "name": "a"}, {"type": "cql", "name": "b"}]"#,
            "Dhcp4.hosts-databases[1].type",
            "unknown hosts database type `cql`",
        ),
        (
            r#""hosts-database": {"type": "mysql"}"#,
            "Dhcp4.hosts-database",
            "missing `name`",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": ""}"#,
            "Dhcp4.hosts-database.name",
            "empty name",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a", "lfc-interval": 5}"#,
            "Dhcp4.hosts-database.lfc-interval",
            "not a hosts database",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a", "on-fail": "never"}"#,
            "Dhcp4.hosts-database.on-fail",
            "unknown on-fail `never`",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a"}, "hosts-databases": []"#,
            "Dhcp4.hosts-databases",
            "exclusive",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a", "nmae": "b"}"#,
            "Dhcp4.hosts-database.nmae",
            "unknown",
        ),
    ];
    for (body, path, msg) in cases {
        let d = err(&v4(body));
        assert_eq!(d.path, *path, "{d}");
        assert!(d.message.contains(msg), "{d}");
    }
}

#[test]
fn sql_lease_database() {
    let c = ok(&v4(
        r#""lease-database": {"type": "postgresql", "name": "kea", "host": "db.example.org",
        "port": 5433, "user": "kea", "password": "secret", "connect-timeout": 10,
        "max-reconnect-tries": 3, "reconnect-wait-time": 500, "on-fail": "serve-retry-continue",
        "retry-on-startup": true}"#,
    ));
    let d = c.dhcp4.unwrap();
    assert_eq!(
        d.lease_database.kind,
        LeaseDbKind::Postgresql(ruru_config::SqlDatabase {
            name: "kea".into(),
            host: "db.example.org".into(),
            port: Some(5433),
            user: Some("kea".into()),
            password: Some("secret".into()),
            connect_timeout: 10,
            max_reconnect_tries: 3,
            reconnect_wait_time: 500,
            on_fail: ruru_config::OnFail::ServeRetryContinue,
            retry_on_startup: true,
            tls: None,
            readonly: false,
            tcp_user_timeout: 0,
        })
    );
    // Kea's defaults.
    let c = ok(&v4(r#""lease-database": {"type": "mysql", "name": "kea"}"#));
    match c.dhcp4.unwrap().lease_database.kind {
        LeaseDbKind::Mysql(s) => {
            assert_eq!(
                (s.host.as_str(), s.port, s.connect_timeout),
                ("localhost", None, 5)
            );
            assert_eq!(s.on_fail, ruru_config::OnFail::StopRetryExit);
            assert!(!s.retry_on_startup);
        }
        k => panic!("expected mysql, got {k:?}"),
    }
    check(
        &err(&v4(r#""lease-database": {"type": "mysql"}"#)),
        2,
        19,
        "Dhcp4.lease-database",
        "missing `name`",
    );
    check(
        &err(&v4(
            r#""lease-database": {"type": "mysql", "name": "kea", "on-fail": "x"}"#,
        )),
        2,
        63,
        "Dhcp4.lease-database.on-fail",
        "unknown on-fail `x`",
    );
    check(
        &err(&v4(r#""lease-database": {"type": "memfile", "host": "h"}"#)),
        2,
        47,
        "Dhcp4.lease-database.host",
        "not \"memfile\"",
    );
    check(
        &err(&v4(
            r#""lease-database": {"type": "mysql", "name": "kea", "lfc-interval": 1}"#,
        )),
        2,
        68,
        "Dhcp4.lease-database.lfc-interval",
        "for \"memfile\" only",
    );
}

/// Kea's `trust-anchor`, `cert-file`, `key-file` and `key-password` of a SQL lease or hosts
/// database. The files are only named here: they are read when the database
/// is opened (ruru-lease's `sql::tls`, tests/e2e_db.rs), as the control
/// socket's are.
#[test]
fn sql_database_tls() {
    let c = ok(&v4(
        r#""lease-database": {"type": "postgresql", "name": "kea", "trust-anchor": "/etc/kea/ca.pem",
        "cert-file": "/etc/kea/client.pem", "key-file": "/etc/kea/client.key", "key-password": "s3cret"},
  "hosts-databases": [ {"type": "mysql", "name": "kea", "trust-anchor": "/etc/kea/cas"},
                       {"type": "mysql", "name": "kea2"} ]"#,
    ));
    let d = c.dhcp4.unwrap();
    let LeaseDbKind::Postgresql(s) = &d.lease_database.kind else {
        panic!("expected postgresql, got {:?}", d.lease_database.kind);
    };
    assert_eq!(
        s.tls,
        Some(ruru_config::DbTls {
            trust_anchor: PathBuf::from("/etc/kea/ca.pem"),
            client: Some((
                PathBuf::from("/etc/kea/client.pem"),
                PathBuf::from("/etc/kea/client.key")
            )),
            tls12_suites: None,
            key_password: Some("s3cret".into()),
        })
    );
    let tls: Vec<_> = d
        .hosts_databases
        .iter()
        .map(|h| match h {
            LeaseDbKind::Mysql(s) => s.tls.clone(),
            k => panic!("expected mysql, got {k:?}"),
        })
        .collect();
    assert_eq!(
        tls,
        [
            Some(ruru_config::DbTls {
                trust_anchor: PathBuf::from("/etc/kea/cas"),
                client: None,
                tls12_suites: None,
                key_password: None,
            }),
            None
        ]
    );
    // A missing file is not an error here (it is when the database opens).
    ok(&v4(
        r#""lease-database": {"type": "mysql", "name": "kea", "trust-anchor": "/nonexistent/ca.pem"}"#,
    ));
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            r#""lease-database": {"type": "mysql", "name": "k", "trust-anchor": "a", "cert-file": "c"}"#,
            84,
            "Dhcp4.lease-database.cert-file",
            "`cert-file` without `key-file`",
        ),
        (
            r#""lease-database": {"type": "mysql", "name": "k", "trust-anchor": "a", "key-file": "k"}"#,
            83,
            "Dhcp4.lease-database.key-file",
            "`key-file` without `cert-file`",
        ),
        (
            r#""lease-database": {"type": "mysql", "name": "k", "cert-file": "c", "key-file": "k"}"#,
            63,
            "Dhcp4.lease-database.cert-file",
            "expected `trust-anchor` too",
        ),
        (
            r#""hosts-database": {"type": "postgresql", "name": "k", "trust-anchor": ""}"#,
            71,
            "Dhcp4.hosts-database.trust-anchor",
            "empty `trust-anchor`",
        ),
        (
            r#""lease-database": {"type": "memfile", "trust-anchor": "a"}"#,
            55,
            "Dhcp4.lease-database.trust-anchor",
            "not \"memfile\"",
        ),
    ];
    for (body, col, path, msg) in cases {
        check(&err(&v4(body)), 2, *col, path, msg);
    }
}

#[test]
fn flex_id_reservations_and_parked_packet_limit() {
    let c = ok(&v4(r#""parked-packet-limit": 16,
  "host-reservation-identifiers": ["hw-address", "flex-id"],
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
    "reservations": [ {"flex-id": "'port-9'", "ip-address": "192.0.2.9"},
                      {"flex-id": "01:02", "ip-address": "192.0.2.12"} ] } ]"#));
    let d = c.dhcp4.unwrap();
    assert_eq!(d.parked_packet_limit, 16);
    assert_eq!(
        d.host_reservation_identifiers,
        vec![HostIdType::HwAddress, HostIdType::Flex]
    );
    let r = &d.subnets[0].reservations;
    assert_eq!(
        r.get(&HostId::Flex(b"port-9".to_vec())).unwrap().ip_address,
        Some(Ipv4Addr::new(192, 0, 2, 9))
    );
    assert!(r.get(&HostId::Flex(vec![1, 2])).is_some());
    // Kea's default limit.
    assert_eq!(
        ok(&v4(r#""valid-lifetime": 60"#))
            .dhcp4
            .unwrap()
            .parked_packet_limit,
        256
    );
    let e = err(&subnet_cfg(
        r#""id": 1, "subnet": "192.0.2.0/24",
"reservations": [ {"flex-id": "zz"} ]"#,
    ));
    check(
        &e,
        4,
        31,
        "Dhcp4.subnet4[0].reservations[0].flex-id",
        "is not a flex-id",
    );
}

#[test]
fn several_files_make_one_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let f4 = dir.path().join("kea-dhcp4.conf");
    let f6 = dir.path().join("kea-dhcp6.conf");
    let again = dir.path().join("again.conf");
    std::fs::write(
        &f4,
        r#"{ "Dhcp4": { "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" } ] } }"#,
    )
    .unwrap();
    std::fs::write(
        &f6,
        "// DHCPv6\n{ \"Dhcp6\": { \"subnet6\": [ { \"id\": 1, \"subnet\": \"2001:db8:1::/64\" } ] } }",
    )
    .unwrap();
    std::fs::write(&again, "{\n  \"Dhcp4\": {}\n}").unwrap();
    let places = ruru_config::Places::default();
    let c = ruru_config::load_files(&[f4.clone(), f6.clone()], &places).unwrap();
    assert!(c.dhcp4.is_some() && c.dhcp6.is_some());
    assert_eq!(
        c.sections,
        [
            ("Dhcp4".to_string(), f4.clone()),
            ("Dhcp6".to_string(), f6.clone())
        ]
    );
    assert!(c.raw["Dhcp4"]["subnet4"].is_array() && c.raw["Dhcp6"]["subnet6"].is_array());
    // A section in two files names both, at the second file's key.
    let e = ruru_config::load_files(&[f4.clone(), f6.clone(), again.clone()], &places).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        (d.file.as_path(), d.line, d.column),
        (again.as_path(), 2, 3),
        "{d}"
    );
    assert!(d.message.contains(f4.to_str().unwrap()), "{d}");
    // Every file's problems are reported in one run.
    std::fs::write(&f6, "{ \"Dhcp6\": { \"valid-lifetim\": 1 } }").unwrap();
    std::fs::write(&f4, "{ \"Dhcp4\": { \"renew-timr\": 1 } }").unwrap();
    let e = ruru_config::load_files(&[f4.clone(), f6.clone()], &places).unwrap_err();
    let files: Vec<_> = e.diagnostics.iter().map(|d| d.file.clone()).collect();
    assert_eq!(files, [f4, f6]);
}

/// Kea 2.6/3.0 spell the loggers' outputs `output-options`; Kea 2.2
/// `output_options`: both read the same.
#[test]
fn logger_outputs_in_either_spelling() {
    for key in ["output_options", "output-options"] {
        let c = ruru_config::load_str(
            &v4(&format!(
                "\"loggers\": [{{\"name\": \"kea-dhcp4\", \"{key}\": [{{\"output\": \"stderr\"}}]}}]"
            )),
            std::path::Path::new(FILE),
        )
        .unwrap_or_else(|e| panic!("{key}: {e}"));
        let d = c.dhcp4.expect("dhcp4");
        assert_eq!(d.loggers[0].outputs, [LogOutput::Stderr], "{key}");
    }
}

/// Kea 3.0 lists its SQL backend libraries in `hooks-libraries` for a
/// `postgresql` or `mysql` database: ruru has them built in.
#[test]
fn kea_3_sql_backend_libraries_are_built_in() {
    let c = ruru_config::load_str(
        &v4(
            "\"hooks-libraries\": [{\"library\": \"/usr/lib/kea/hooks/libdhcp_pgsql.so\"},\n\
             {\"library\": \"libdhcp_mysql.so\"}]",
        ),
        std::path::Path::new(FILE),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let d = c.dhcp4.expect("dhcp4");
    assert!(d.hooks_libraries.iter().all(|h| h.builtin));
}

#[test]
fn kea_keys_anywhere_are_not_supported_yet() {
    // Keys Kea 2.2 to 3.0 know in objects where ruru does not take them
    // yet: "not supported yet", never "unknown key".
    let cases = [
        (
            v4("\"option-data\": [{\"name\": \"routers\", \"data\": \"192.0.2.1\", \"client-classes\": [\"a\"]}]"),
            "Dhcp4.option-data[0].client-classes",
        ),
        (
            "{\"Dhcp6\": {\n\"subnet6\": [{\"id\": 1, \"subnet\": \"2001:db8::/64\", \"option-data\": [{\"code\": 23, \"data\": \"2001:db8::1\", \"client-classes\": []}]}]}}".to_string(),
            "Dhcp6.subnet6[0].option-data[0].client-classes",
        ),
    ];
    for (text, path) in cases {
        let d = err(&text);
        assert_eq!(d.message, format!("not supported yet: {path}"), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
    // A Kea key in an object that does not take it stays unknown.
    let d = err(&v4(
        "\"option-data\": [{\"name\": \"routers\", \"data\": \"192.0.2.1\", \"pools\": []}]",
    ));
    assert!(d.message.starts_with("unknown key `pools`"), "{d}");
}

// ------------------------------------------------------------ numbers

#[test]
fn numbers_as_kea_writes_them() {
    // Kea's own tee-times example writes `.45`.
    let c = ok(&subnet_cfg(
        "\"id\": 1, \"subnet\": \"192.0.2.0/24\", \"calculate-tee-times\": true, \"t1-percent\": .45, \"t2-percent\": +.8, \"valid-lifetime\": 0400",
    ));
    let s = &c.dhcp4.unwrap().subnets[0];
    assert_eq!((s.t1_percent, s.t2_percent), (0.45, 0.8));
    assert_eq!(s.valid_lifetime.default, 400);
    // A float where Kea wants an integer is refused, at its place.
    for (text, col) in [("7.", 19), ("+7", 19), ("1e2", 19)] {
        let d = err(&v4(&format!("\"valid-lifetime\": {text}")));
        check(&d, 2, col, "Dhcp4.valid-lifetime", "floating point");
    }
    let d = err(&v4("\"t1-percent\": ."));
    check(&d, 2, 15, "", "`.` is not a number");
}

#[test]
fn sanity_checks() {
    use ruru_config::LeaseChecks;
    assert_eq!(ok(&v4("")).dhcp4.unwrap().lease_checks, LeaseChecks::Warn);
    for (text, want) in [
        ("none", LeaseChecks::None),
        ("warn", LeaseChecks::Warn),
        ("fix", LeaseChecks::Fix),
        ("fix-del", LeaseChecks::FixDel),
        ("del", LeaseChecks::Del),
    ] {
        let c = ok(&v4(&format!(
            "\"sanity-checks\": {{\"lease-checks\": \"{text}\", \"extended-info-checks\": \"none\"}}"
        )));
        assert_eq!(c.dhcp4.unwrap().lease_checks, want, "{text}");
    }
    let d = err(&v4("\"sanity-checks\": {\"lease-checks\": \"fixdel\"}"));
    check(
        &d,
        2,
        35,
        "Dhcp4.sanity-checks.lease-checks",
        "unknown lease-checks `fixdel`: expected",
    );
    let d = err(&v4(
        "\"sanity-checks\": {\"extended-info-checks\": \"fix\"}",
    ));
    check(
        &d,
        2,
        43,
        "Dhcp4.sanity-checks.extended-info-checks",
        "not supported yet: extended-info-checks \"fix\"",
    );
    let d = err(&v4("\"sanity-checks\": {\"lease-check\": \"del\"}"));
    assert!(d.message.starts_with("unknown key `lease-check`"), "{d}");
}

#[test]
fn max_row_errors() {
    let c = ok(&v4(
        "\"lease-database\": {\"type\": \"memfile\", \"max-row-errors\": 5}",
    ));
    assert_eq!(c.dhcp4.unwrap().lease_database.max_row_errors, 5);
    assert_eq!(ok(&v4("")).dhcp4.unwrap().lease_database.max_row_errors, 0);
    // Taken and ignored with a SQL database, as in Kea.
    ok(&v4(
        "\"lease-database\": {\"type\": \"postgresql\", \"name\": \"kea\", \"max-row-errors\": 5}",
    ));
    let d = err(&v4(
        "\"hosts-database\": {\"type\": \"mysql\", \"name\": \"kea\", \"max-row-errors\": 5}",
    ));
    check(
        &d,
        2,
        70,
        "Dhcp4.hosts-database.max-row-errors",
        "is for a memfile lease database",
    );
}

#[test]
fn dhcp_queue_control() {
    let q = |body: &str| ok(&v4(body)).dhcp4.unwrap().queue_capacity;
    assert_eq!(q(""), None);
    assert_eq!(
        q("\"dhcp-queue-control\": {\"enable-queue\": true, \"queue-type\": \"kea-ring4\"}"),
        Some(64)
    );
    assert_eq!(
        q("\"dhcp-queue-control\": {\"enable-queue\": true, \"queue-type\": \"kea-ring4\", \"capacity\": 250}"),
        Some(250)
    );
    assert_eq!(
        q("\"dhcp-queue-control\": {\"enable-queue\": false, \"queue-type\": \"kea-ring4\", \"capacity\": 250}"),
        None
    );
    // Kea turns the queue off when multi-threading is enabled.
    assert_eq!(
        q("\"multi-threading\": {\"enable-multi-threading\": true},\n\"dhcp-queue-control\": {\"enable-queue\": true, \"queue-type\": \"kea-ring4\"}"),
        None
    );
    let d = err(&v4("\"dhcp-queue-control\": {\"enable-queue\": true}"));
    check(
        &d,
        2,
        23,
        "Dhcp4.dhcp-queue-control",
        "`queue-type` is required",
    );
    let d = err(&v4(
        "\"dhcp-queue-control\": {\"enable-queue\": true, \"queue-type\": \"kea-ring6\"}",
    ));
    check(
        &d,
        2,
        60,
        "Dhcp4.dhcp-queue-control.queue-type",
        "not supported yet: queue-type \"kea-ring6\"",
    );
    let d = err(&v4(
        "\"dhcp-queue-control\": {\"enable-queue\": true, \"queue-type\": \"kea-ring4\", \"capacity\": 0}",
    ));
    assert_eq!(d.path, "Dhcp4.dhcp-queue-control.capacity", "{d}");
}

#[test]
fn http_headers() {
    let c = ok(&v4(
        r#""control-socket": {"socket-type": "http", "http-headers": [{"name": "X-A", "value": "1 2", "user-context": {}}]}"#,
    ));
    match &c.dhcp4.unwrap().control_sockets[0] {
        ruru_config::ControlSocket::Http(h) => {
            assert_eq!(h.headers, [("X-A".to_string(), "1 2".to_string())]);
        }
        s => panic!("{s:?}"),
    }
    let d = err(&v4(
        r#""control-socket": {"socket-type": "http", "http-headers": [{"name": "X A", "value": "1"}]}"#,
    ));
    assert_eq!(d.path, "Dhcp4.control-socket.http-headers[0].name", "{d}");
    let d = err(&v4(
        r#""control-socket": {"socket-type": "http", "http-headers": [{"name": "X", "value": "a\nb"}]}"#,
    ));
    assert_eq!(d.path, "Dhcp4.control-socket.http-headers[0].value", "{d}");
    let d = err(&v4(
        r#""control-socket": {"socket-type": "unix", "socket-name": "/tmp/s", "http-headers": []}"#,
    ));
    assert!(
        d.message.contains("not valid for a unix control socket"),
        "{d}"
    );
}

#[test]
fn hosts_database_readonly() {
    let c = ok(&v4(
        "\"hosts-database\": {\"type\": \"mysql\", \"name\": \"h\", \"readonly\": true}",
    ));
    match &c.dhcp4.unwrap().hosts_databases[..] {
        [ruru_config::LeaseDbKind::Mysql(s)] => assert!(s.readonly),
        k => panic!("{k:?}"),
    }
    let d = err(&v4(
        "\"lease-database\": {\"type\": \"memfile\", \"readonly\": true}",
    ));
    assert_eq!(d.path, "Dhcp4.lease-database.readonly", "{d}");
    assert!(d.message.contains("is for a hosts database"), "{d}");
}

#[test]
fn sql_socket_timeouts() {
    let pg = |extra: &str| {
        let c = ok(&v4(&format!(
            "\"lease-database\": {{\"type\": \"postgresql\", \"name\": \"kea\"{extra}}}"
        )));
        match c.dhcp4.unwrap().lease_database.kind {
            LeaseDbKind::Postgresql(s) => s.tcp_user_timeout,
            k => panic!("{k:?}"),
        }
    };
    assert_eq!(pg(""), 0);
    assert_eq!(pg(", \"tcp-user-timeout\": 30"), 30);
    // Kea's PostgreSQL backend takes and ignores the MySQL timeouts.
    assert_eq!(pg(", \"read-timeout\": 5, \"write-timeout\": 5"), 0);
    // MySQL: 0 (Kea's default) only; tcp-user-timeout ignored as in Kea.
    ok(&v4(
        "\"lease-database\": {\"type\": \"mysql\", \"name\": \"kea\", \"read-timeout\": 0, \"tcp-user-timeout\": 9}",
    ));
    let d = err(&v4(
        "\"lease-database\": {\"type\": \"mysql\", \"name\": \"kea\", \"write-timeout\": 3}",
    ));
    assert_eq!(d.path, "Dhcp4.lease-database.write-timeout", "{d}");
    assert!(
        d.message
            .starts_with("not supported yet: write-timeout with mysql"),
        "{d}"
    );
    let d = err(&v4(
        "\"lease-database\": {\"type\": \"memfile\", \"tcp-user-timeout\": 3}",
    ));
    assert!(
        d.message.contains("is for \"postgresql\" and \"mysql\""),
        "{d}"
    );
}

#[test]
fn outbound_interface() {
    ok(&v4(
        "\"interfaces-config\": {\"interfaces\": [\"lo\"], \"outbound-interface\": \"same-as-inbound\"}",
    ));
    let c = ok(&v4(
        "\"interfaces-config\": {\"dhcp-socket-type\": \"udp\", \"outbound-interface\": \"use-routing\"}",
    ));
    assert!(c.dhcp4.unwrap().interfaces.use_routing);
    let d = err(&v4(
        "\"interfaces-config\": {\"outbound-interface\": \"routing\"}",
    ));
    assert!(
        d.message
            .starts_with("unknown outbound-interface `routing`"),
        "{d}"
    );
    // Kea's DHCPv6 server has no such key.
    let d =
        err("{\"Dhcp6\": {\"interfaces-config\": {\"outbound-interface\": \"same-as-inbound\"}}}");
    assert!(
        d.message.starts_with("unknown key `outbound-interface`"),
        "{d}"
    );
}

#[test]
fn multi_threading_takes_comment_and_user_context_as_kea() {
    let c = ok(&v4(
        "\"multi-threading\": {\"comment\": \"x\", \"user-context\": {\"a\": 1}, \"thread-pool-size\": 2}",
    ));
    assert_eq!(c.dhcp4.unwrap().multi_threading.thread_pool_size, 2);
}

/// Kea reads logger severities without regard to case (its
/// `comments.json` example writes `"info"`).
#[test]
fn logger_severity_in_lower_case() {
    let c = ok(&v4(
        "  \"loggers\": [{\"name\": \"kea-dhcp4\", \"severity\": \"info\"}, {\"name\": \"kea-dhcp4.leases\", \"severity\": \"Debug\", \"debuglevel\": 10}]",
    ));
    let l = &c.dhcp4.unwrap().loggers;
    let got: Vec<_> = l.iter().map(|l| (l.severity, l.debuglevel)).collect();
    assert_eq!(
        got,
        [
            (ruru_config::Severity::Info, 0),
            (ruru_config::Severity::Debug, 10)
        ]
    );
}

/// `cache-threshold` and `cache-max-age` are inherited each on its own,
/// global → shared network → subnet, in both families (Kea's lease
/// caching); without them caching is off.
#[test]
fn lease_caching_keys_are_inherited() {
    let c = ok(r#"{
  "Dhcp4": {
    "cache-threshold": 0.25,
    "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" },
                 { "id": 2, "subnet": "198.51.100.0/24", "cache-threshold": 0.5 } ],
    "shared-networks": [ { "name": "n", "cache-max-age": 600,
      "subnet4": [ { "id": 3, "subnet": "203.0.113.0/24" } ] } ]
  },
  "Dhcp6": {
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64", "cache-max-age": 0 },
                 { "id": 2, "subnet": "2001:db8:2::/64" } ]
  }
}"#);
    let d4 = c.dhcp4.unwrap();
    let cache = |id: u32| d4.subnets.iter().find(|s| s.id == id).unwrap().cache;
    assert_eq!((cache(1).threshold, cache(1).max_age), (Some(0.25), None));
    assert_eq!((cache(2).threshold, cache(2).max_age), (Some(0.5), None));
    assert_eq!(
        (cache(3).threshold, cache(3).max_age),
        (Some(0.25), Some(600))
    );
    let d6 = c.dhcp6.unwrap();
    assert_eq!(d6.subnets[0].cache.max_age, Some(0));
    assert_eq!(d6.subnets[1].cache, Default::default(), "off");
}

/// Kea's `Control-agent` section (kea-ctrl-agent.conf) is read as one
/// more HTTP(S) control socket; its errors name the agent's own keys; Kea's
/// agent examples load, but for agent hook libraries.
#[test]
fn control_agent_section() {
    let c = ok(
        r#"{ "Control-agent": { "http-host": "127.0.0.1", "http-port": 8001,
        "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": "/tmp/k4" } } } }"#,
    );
    assert_eq!(c.agent_sockets.len(), 1);
    assert!(c.sections.iter().any(|(n, _)| n == "Control-agent"));
    let d = err(r#"{ "Control-agent": { "http-host": "localhost" } }"#);
    assert_eq!(d.path, "Control-agent.http-host", "{d}");
    let d = err(r#"{ "Control-agent": { "http-port": 0 } }"#);
    assert_eq!(d.path, "Control-agent.http-port", "{d}");
    let d = err(r#"{ "Control-agent": { "hooks-libraries": [ { "library": "/x.so" } ] } }"#);
    assert!(d.message.contains("not supported yet"), "{d}");
    let Some(dir) = kea_examples("control_agent_section", "agent") else {
        return;
    };
    for f in ["comments.json", "https.json"] {
        let c =
            ruru_config::load(&dir.join("agent").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(c.agent_sockets.len(), 1, "{f}");
    }
}

/// Kea's `compatibility`: the four DHCPv4 flags (default false), the one
/// DHCPv6 flag; the DHCPv4-only ones are unknown in `Dhcp6`, as in Kea.
#[test]
fn compatibility_flags() {
    let c = ok(&v4(
        "\"compatibility\": {\"lenient-option-parsing\": true, \"ignore-dhcp-server-identifier\": true, \"ignore-rai-link-selection\": false, \"exclude-first-last-24\": true}",
    ));
    let d = c.dhcp4.unwrap();
    assert_eq!(
        d.compatibility,
        ruru_config::Compatibility {
            lenient_option_parsing: true,
            ignore_dhcp_server_identifier: true,
            ignore_rai_link_selection: false,
            exclude_first_last_24: true,
        }
    );
    let c = ok(&v4("\"compatibility\": {}"));
    assert_eq!(
        c.dhcp4.unwrap().compatibility,
        ruru_config::Compatibility::default()
    );
    let c = ok("{\"Dhcp6\": {\"compatibility\": {\"lenient-option-parsing\": true}}}");
    assert!(c.dhcp6.unwrap().compatibility.lenient_option_parsing);
    let d = err("{\"Dhcp6\": {\"compatibility\": {\"ignore-rai-link-selection\": true}}}");
    assert!(
        d.message
            .starts_with("unknown key `ignore-rai-link-selection`"),
        "{d}"
    );
    let d = err(&v4("\"compatibility\": {\"lenient-option-parsing\": 1}"));
    assert_eq!(d.path, "Dhcp4.compatibility.lenient-option-parsing", "{d}");
}

/// Kea's `server-tag`, kept verbatim (default empty).
#[test]
fn server_tag() {
    let c = ok(&v4("\"server-tag\": \"  Foo \""));
    assert_eq!(c.dhcp4.unwrap().server_tag, "  Foo ");
    let c = ok("{\"Dhcp6\": {}}");
    assert_eq!(c.dhcp6.unwrap().server_tag, "");
}

/// Kea's `mac-sources` (DHCPv6): names and aliases in order, default
/// `any`; an unknown name, a source twice (an alias counts) or an empty
/// list are errors, as in Kea. `relay-supplied-options`: codes or names,
/// 65 always enabled.
#[test]
fn mac_sources_and_relay_supplied_options() {
    use ruru_config::MacSource;
    let c = ok("{\"Dhcp6\": {\"mac-sources\": [\"rfc6939\", \"duid\", \"ipv6-link-local\", \"docsis-modem\"], \"relay-supplied-options\": [\"110\", \"dns-servers\", \" 120 \"]}}");
    let d = c.dhcp6.unwrap();
    assert_eq!(
        d.mac_sources,
        [
            MacSource::ClientLinkAddrOption,
            MacSource::Duid,
            MacSource::Ipv6LinkLocal,
            MacSource::DocsisModem
        ]
    );
    assert_eq!(d.rsoo_enabled, [23, 65, 110, 120]);
    let d = ok("{\"Dhcp6\": {}}").dhcp6.unwrap();
    assert_eq!(d.mac_sources, [MacSource::Any]);
    assert_eq!(d.rsoo_enabled, [65]);
    let d = err("{\"Dhcp6\": {\"mac-sources\": [\"remote-id\", \"rfc4649\"]}}");
    assert_eq!(d.path, "Dhcp6.mac-sources[1]", "{d}");
    assert!(d.message.contains("given twice"), "{d}");
    let d = err("{\"Dhcp6\": {\"mac-sources\": [\"docsis\"]}}");
    assert!(d.message.starts_with("unknown mac source `docsis`"), "{d}");
    let d = err("{\"Dhcp6\": {\"mac-sources\": []}}");
    assert_eq!(d.path, "Dhcp6.mac-sources", "{d}");
    let d = err("{\"Dhcp6\": {\"relay-supplied-options\": [\"no-such-option\"]}}");
    assert_eq!(d.path, "Dhcp6.relay-supplied-options[0]", "{d}");
    // Kea's DHCPv4 server has neither.
    let d = err(&v4("\"mac-sources\": [\"any\"]"));
    assert!(d.message.contains("mac-sources"), "{d}");
}

/// Kea's `cipher-list`: an OpenSSL list, PostgreSQL with `trust-anchor`
/// only; refused precisely with MySQL, memfile or no `trust-anchor`.
#[test]
fn cipher_list() {
    let db = |kind: &str, more: &str| {
        v4(&format!(
            "\"lease-database\": {{\"type\": \"{kind}\", \"name\": \"kea\"{more}}}"
        ))
    };
    let c = ok(&db(
        "postgresql",
        ", \"trust-anchor\": \"/etc/kea/ca.pem\", \"cipher-list\": \"AES128:!aRSA\"",
    ));
    match c.dhcp4.unwrap().lease_database.kind {
        LeaseDbKind::Postgresql(s) => assert_eq!(
            s.tls.unwrap().tls12_suites.unwrap(),
            ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
        ),
        k => panic!("{k:?}"),
    }
    let d = err(&db(
        "mysql",
        ", \"trust-anchor\": \"/etc/kea/ca.pem\", \"cipher-list\": \"AES\"",
    ));
    assert_eq!(d.path, "Dhcp4.lease-database.cipher-list", "{d}");
    assert!(d.message.starts_with("not supported yet with mysql"), "{d}");
    let d = err(&db("postgresql", ", \"cipher-list\": \"AES\""));
    assert!(d.message.starts_with("TLS without `trust-anchor`"), "{d}");
    let d = err(&db(
        "postgresql",
        ", \"trust-anchor\": \"/etc/kea/ca.pem\", \"cipher-list\": \"RSA:3DES\"",
    ));
    assert!(d.message.contains("selects none"), "{d}");
    let d = err(&v4(
        "\"lease-database\": {\"type\": \"memfile\", \"cipher-list\": \"AES\"}",
    ));
    assert!(d.message.contains("not \"memfile\""), "{d}");
}
