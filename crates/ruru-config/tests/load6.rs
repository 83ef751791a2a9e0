//! Loading `Dhcp6` sections: defaults, inheritance, option encoding and
//! every error with its exact position and path (the v6 counterpart of
//! `load.rs`).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use ruru_config::{
    load_str, ControlSocket, Dhcp6, DuidType, HostId6, LeaseDbKind, LogOutput, Severity, SocketType,
};

mod common;
use common::*;

fn ok6(text: &str) -> Dhcp6 {
    ok(text).dhcp6.unwrap()
}

/// A config whose `Dhcp6` body is `body` (starting on line 2).
fn v6(body: &str) -> String {
    format!("{{\"Dhcp6\": {{\n{body}\n}}}}")
}

/// A config with one subnet whose body starts on line 3.
fn subnet_cfg(subnet_body: &str) -> String {
    v6(&format!("\"subnet6\": [ {{\n{subnet_body}\n}} ]"))
}

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

const SUBNET: &str = r#""id": 1, "subnet": "2001:db8:1::/64""#;

// ---------------------------------------------------------------- defaults

#[test]
fn kea_defaults() {
    let d = ok6(r#"{"Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"}]}}"#);
    assert!(d.interfaces.interfaces.is_empty());
    assert_eq!(d.interfaces.socket_type, SocketType::Udp);
    assert_eq!(d.lease_database.kind, LeaseDbKind::Memfile);
    assert_eq!(
        d.lease_database.name,
        PathBuf::from("/var/lib/kea/kea-leases6.csv")
    );
    assert!(d.lease_database.persist);
    assert_eq!(d.lease_database.lfc_interval, 3600);
    assert_eq!(d.decline_probation_period, 86400);
    assert_eq!(d.expired_leases, Default::default());
    assert!(!d.multi_threading.enabled);
    assert!(d.control_sockets.is_empty() && d.hooks_libraries.is_empty());
    assert_eq!(d.loggers.len(), 1);
    assert_eq!(d.loggers[0].name, "kea-dhcp6");
    assert_eq!(d.loggers[0].severity, Severity::Info);
    assert_eq!(d.loggers[0].outputs, [LogOutput::Stdout]);
    assert!(d.options.is_empty());
    let sid = &d.server_id;
    assert_eq!(sid.kind, DuidType::Llt);
    assert_eq!(sid.identifier, None);
    assert_eq!((sid.enterprise_id, sid.htype, sid.time), (2495, 1, 0));
    assert!(sid.persist);
    assert_eq!(sid.file, PathBuf::from("/var/lib/kea/kea-dhcp6-serverid"));

    let s = &d.subnets[0];
    let l = s.valid_lifetime;
    assert_eq!((l.min, l.default, l.max), (7200, 7200, 7200));
    let l = s.preferred_lifetime;
    assert_eq!((l.min, l.default, l.max), (3600, 3600, 3600));
    assert_eq!((s.renew_timer, s.rebind_timer), (None, None));
    assert!(s.calculate_tee_times);
    assert_eq!((s.t1_percent, s.t2_percent), (0.5, 0.8));
    assert!(!s.rapid_commit);
    assert!(s.pools.is_empty() && s.pd_pools.is_empty());
    assert!(s.relay_addresses.is_empty());
    assert_eq!(
        (s.interface.as_deref(), s.interface_id.as_deref()),
        (None, None)
    );
}

#[test]
fn implicit_preferred_lifetime_never_exceeds_valid() {
    // Kea 2.2's default preferred lifetime (3600) is lowered to a shorter
    // valid lifetime rather than handed out longer than it.
    let d = ok6(&v6(
        r#""valid-lifetime": 600, "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"},
           {"id": 2, "subnet": "2001:db8:2::/64", "valid-lifetime": 9000}]"#,
    ));
    assert_eq!(d.subnets[0].preferred_lifetime.default, 600);
    assert_eq!(d.subnets[0].preferred_lifetime.max, 600);
    assert_eq!(d.subnets[1].preferred_lifetime.default, 3600);
}

// ------------------------------------------------------------- inheritance

#[test]
fn subnet_inherits_and_overrides_globals() {
    let d = ok6(&v6(r#"
  "preferred-lifetime": 1000, "min-preferred-lifetime": 500, "max-preferred-lifetime": 1500,
  "valid-lifetime": 2000, "min-valid-lifetime": 1000, "max-valid-lifetime": 3000,
  "renew-timer": 100, "rebind-timer": 200, "calculate-tee-times": false,
  "t1-percent": 0.4, "t2-percent": 0.7,
  "subnet6": [
    {"id": 1, "subnet": "2001:db8:1::/64", "rapid-commit": true},
    {"id": 2, "subnet": "2001:db8:2::/64", "preferred-lifetime": 50, "valid-lifetime": 60,
     "renew-timer": 10, "rebind-timer": 20, "calculate-tee-times": true,
     "t1-percent": 0.3, "t2-percent": 0.6, "interface": "eth1"},
    {"subnet": "2001:db8:3::/64", "interface-id": "port-7",
     "relay": {"ip-addresses": ["2001:db8:3::1", "2001:db8:3::2"]}}
  ]"#));
    let a = &d.subnets[0];
    let (p, l) = (a.preferred_lifetime, a.valid_lifetime);
    assert_eq!((p.min, p.default, p.max), (500, 1000, 1500));
    assert_eq!((l.min, l.default, l.max), (1000, 2000, 3000));
    assert_eq!((a.renew_timer, a.rebind_timer), (Some(100), Some(200)));
    assert!(!a.calculate_tee_times && a.rapid_commit);
    assert_eq!((a.t1_percent, a.t2_percent), (0.4, 0.7));
    let b = &d.subnets[1];
    let (p, l) = (b.preferred_lifetime, b.valid_lifetime);
    // A subnet's own lifetime replaces the whole global triplet (Kea).
    assert_eq!((p.min, p.default, p.max), (50, 50, 50));
    assert_eq!((l.min, l.default, l.max), (60, 60, 60));
    assert_eq!((b.renew_timer, b.rebind_timer), (Some(10), Some(20)));
    assert!(b.calculate_tee_times && !b.rapid_commit);
    assert_eq!((b.t1_percent, b.t2_percent), (0.3, 0.6));
    assert_eq!(b.interface.as_deref(), Some("eth1"));
    let c = &d.subnets[2];
    assert_eq!(c.id, 3);
    assert_eq!(c.interface_id.as_deref(), Some(&b"port-7"[..]));
    assert_eq!(
        c.relay_addresses,
        [ip("2001:db8:3::1"), ip("2001:db8:3::2")]
    );
}

#[test]
fn options_pools_pd_pools_and_reservations() {
    let d = ok6(&v6(r#"
  "option-data": [ {"name": "dns-servers", "data": "2001:db8::53, 2001:db8::54", "always-send": true},
                   {"code": 24, "data": "example.org"},
                   {"name": "information-refresh-time", "data": "3600"},
                   {"code": 65000, "csv-format": false, "data": "0a:0b"} ],
  "subnet6": [ {"id": 5, "subnet": "2001:db8:1::/64",
     "option-data": [ {"name": "preference", "data": "10"} ],
     "pools": [ {"pool": "2001:db8:1::1:0/112", "option-data": [ {"name": "sntp-servers", "data": "2001:db8::123"} ]},
                {"pool": "2001:db8:1::5 - 2001:db8:1::9"} ],
     "pd-pools": [ {"prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56,
                    "excluded-prefix": "2001:db8:8:0:8000::", "excluded-prefix-len": 72,
                    "option-data": [ {"name": "domain-search", "data": "pd.example"} ]},
                   {"prefix": "2001:db8:9::", "prefix-len": 64, "delegated-len": 64} ],
     "reservations": [
       {"duid": "00:03:00:01:aa:bb:cc:dd:ee:ff", "ip-addresses": ["2001:db8:1::10", "2001:db8:1::11"],
        "prefixes": ["2001:db8:a::/56"], "hostname": "h1",
        "option-data": [ {"name": "dns-servers", "data": "2001:db8::99"} ]},
       {"hw-address": "aa:bb:cc:00:00:02"},
       {"duid": "0102"} ]} ]"#));
    let o = &d.options;
    assert_eq!(
        o.iter().map(|o| o.code).collect::<Vec<_>>(),
        [23, 24, 32, 65000]
    );
    assert!(o[0].always_send && !o[1].always_send);
    assert_eq!(o[0].data.len(), 32);
    assert_eq!(o[1].data, b"\x07example\x03org\x00");
    assert_eq!(o[2].data, [0, 0, 0x0e, 0x10]);
    assert_eq!(o[3].data, [10, 11]);
    let s = &d.subnets[0];
    assert_eq!(s.options[0].data, [10]);
    assert_eq!(s.pools[0].start, ip("2001:db8:1::1:0"));
    assert_eq!(s.pools[0].end, ip("2001:db8:1::1:ffff"));
    assert_eq!(s.pools[0].options[0].code, 31);
    assert_eq!(s.total_nas(), 65536 + 5);
    let pd = &s.pd_pools[0];
    assert_eq!(pd.excluded, Some((ip("2001:db8:8:0:8000::"), 72)));
    assert_eq!(pd.options[0].code, 24);
    assert_eq!(s.total_pds(), 256 + 1);
    let r = s
        .reservations
        .get(&HostId6::Duid(vec![
            0, 3, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
        ]))
        .unwrap();
    assert_eq!(r.ip_addresses, [ip("2001:db8:1::10"), ip("2001:db8:1::11")]);
    assert_eq!(r.prefixes, [(ip("2001:db8:a::"), 56)]);
    assert_eq!(r.hostname.as_deref(), Some("h1"));
    assert_eq!(r.options[0].data, ip("2001:db8::99").octets());
    assert!(s
        .reservations
        .get(&HostId6::HwAddress(vec![0xaa, 0xbb, 0xcc, 0, 0, 2]))
        .is_some());
    assert!(s.reservations.get(&HostId6::Duid(vec![1, 2])).is_some());
    assert_eq!(
        s.reservations
            .by_address(ip("2001:db8:1::11"))
            .unwrap()
            .hostname
            .as_deref(),
        Some("h1")
    );
}

#[test]
fn shared_objects_are_the_v4_ones() {
    let d = ok6(&v6(r#"
  "comment": "c", "user-context": {"a": [1]},
  "interfaces-config": {"interfaces": ["eth0", "eth1/2001:db8::1"], "re-detect": true,
                        "service-sockets-require-all": true, "service-sockets-max-retries": 3,
                        "service-sockets-retry-wait-time": 100},
  "lease-database": {"type": "memfile", "persist": false, "name": "/srv/l6.csv", "lfc-interval": 0},
  "expired-leases-processing": {"reclaim-timer-wait-time": 5},
  "multi-threading": {"enable-multi-threading": true, "thread-pool-size": 2},
  "decline-probation-period": 7,
  "server-id": {"type": "EN", "identifier": "0102030405", "enterprise-id": 4491, "persist": false,
                "htype": 6, "time": 99, "comment": "c", "user-context": {}},
  "hooks-libraries": [{"library": "/usr/lib/kea/hooks/libdhcp_lease_cmds.so"}, {"library": "libmine.so", "parameters": {"k": 1}}],
  "control-socket": {"socket-type": "unix", "socket-name": "/run/kea/kea6-ctrl-socket"},
  "loggers": [{"name": "kea-dhcp6.packets", "severity": "DEBUG", "debuglevel": 50,
               "output_options": [{"output": "stderr"}]}]"#));
    assert_eq!(d.interfaces.interfaces, ["eth0", "eth1/2001:db8::1"]);
    assert!(d.interfaces.require_all);
    assert_eq!(
        (d.interfaces.max_retries, d.interfaces.retry_wait_ms),
        (3, 100)
    );
    assert!(!d.lease_database.persist);
    assert_eq!(d.lease_database.lfc_interval, 0);
    assert_eq!(d.expired_leases.reclaim_timer_wait_time, 5);
    assert_eq!(d.expired_leases.hold_reclaimed_time, 3600);
    assert!(d.multi_threading.enabled);
    assert_eq!(d.multi_threading.thread_pool_size, 2);
    assert_eq!(d.decline_probation_period, 7);
    let sid = &d.server_id;
    assert_eq!(sid.kind, DuidType::En);
    assert_eq!(sid.identifier, Some(vec![1, 2, 3, 4, 5]));
    assert_eq!((sid.enterprise_id, sid.htype, sid.time), (4491, 6, 99));
    assert!(!sid.persist);
    assert_eq!(sid.file, PathBuf::from("/srv/kea-dhcp6-serverid"));
    assert!(d.hooks_libraries[0].builtin && !d.hooks_libraries[1].builtin);
    assert_eq!(d.hooks_libraries[1].parameters_json, r#"{"k":1}"#);
    assert_eq!(
        d.control_sockets,
        [ControlSocket::Unix {
            path: PathBuf::from("/run/kea/kea6-ctrl-socket")
        }]
    );
    assert_eq!(d.loggers[0].name, "kea-dhcp6.packets");
    assert_eq!(
        (d.loggers[0].severity, d.loggers[0].debuglevel),
        (Severity::Debug, 50)
    );
}

#[test]
fn sql_lease_database() {
    let d = ok6(&v6(
        r#""lease-database": {"type": "postgresql", "name": "kea", "host": "db.example.org",
        "max-reconnect-tries": 3, "reconnect-wait-time": 500, "on-fail": "serve-retry-exit",
        "retry-on-startup": true}"#,
    ));
    match &d.lease_database.kind {
        LeaseDbKind::Postgresql(s) => {
            assert_eq!(
                (s.name.as_str(), s.host.as_str()),
                ("kea", "db.example.org")
            );
            assert_eq!((s.max_reconnect_tries, s.reconnect_wait_time), (3, 500));
            assert_eq!(s.on_fail, ruru_config::OnFail::ServeRetryExit);
            assert!(s.retry_on_startup);
        }
        k => panic!("expected postgresql, got {k:?}"),
    }
    // No lease file: the server DUID is kept in Kea's data directory.
    assert_eq!(
        d.server_id.file,
        PathBuf::from("/var/lib/kea/kea-dhcp6-serverid")
    );
    let d = ok6(&v6(r#""lease-database": {"type": "mysql", "name": "kea"}"#));
    assert!(matches!(d.lease_database.kind, LeaseDbKind::Mysql(_)));
    check(
        &err(&v6(
            r#""lease-database": {"type": "mysql", "name": "kea", "persist": true}"#,
        )),
        2,
        63,
        "Dhcp6.lease-database.persist",
        "for \"memfile\" only",
    );
}

#[test]
fn dhcp4_and_dhcp6_in_one_file() {
    let c = load_str(
        r#"{
  "Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}],
            "lease-database": {"type": "memfile", "name": "l4.csv"}},
  "Dhcp6": {"subnet6": [{"id": 1, "subnet": "2001:db8:1::/64"}],
            "lease-database": {"type": "memfile", "name": "l6.csv"}}
}"#,
        Path::new(FILE),
    )
    .unwrap();
    let (d4, d6) = (c.dhcp4.unwrap(), c.dhcp6.unwrap());
    assert_eq!(d4.subnets[0].id, 1);
    assert_eq!(d6.subnets[0].id, 1);
    assert_eq!(d4.lease_database.name, PathBuf::from("l4.csv"));
    assert_eq!(d6.lease_database.name, PathBuf::from("l6.csv"));
    assert_eq!(d4.loggers[0].name, "kea-dhcp4");
    assert_eq!(d6.loggers[0].name, "kea-dhcp6");
    // Errors in both sections are all reported, each with its own path.
    let d = errs("{\"Dhcp4\": {\"valid-lifetime\": 10, \"renew-timer\": 20},\n \"Dhcp6\": {\"valid-lifetime\": 10, \"renew-timer\": 20}}");
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["Dhcp4.renew-timer", "Dhcp6.renew-timer"]);
    assert_eq!(d[1].line, 2);
    // Neither section: valid for the crate (the server decides).
    let c = load_str("{}", Path::new(FILE)).unwrap();
    assert!(c.dhcp4.is_none() && c.dhcp6.is_none());
}

// ------------------------------------------------------ unknown, not supported

#[test]
fn unknown_and_not_supported_keys() {
    check(
        &err(&v6("  \"preferred-lifetim\": 10")),
        2,
        3,
        "Dhcp6.preferred-lifetim",
        "unknown key `preferred-lifetim`, expected one of:",
    );
    // DHCPv6 has no socket type (it is v4 only in Kea).
    check(
        &err(&v6(
            "  \"interfaces-config\": {\"dhcp-socket-type\": \"udp\"}",
        )),
        2,
        25,
        "Dhcp6.interfaces-config.dhcp-socket-type",
        "unknown key `dhcp-socket-type`",
    );
    // Kea has no global rapid-commit (subnets and shared networks only).
    check(
        &err(&v6("  \"rapid-commit\": true")),
        2,
        3,
        "Dhcp6.rapid-commit",
        "unknown key `rapid-commit`",
    );
    // (`pool-id` in a pd-pool, once not supported yet, loads: pool_id.rs.)
}

#[test]
fn type_and_enum_errors() {
    check(
        &err(&v6("  \"subnet6\": {}")),
        2,
        14,
        "Dhcp6.subnet6",
        "invalid type: map, expected a list",
    );
    check(
        &err(&v6("  \"server-id\": {\"type\": \"UUID\"}")),
        2,
        25,
        "Dhcp6.server-id.type",
        "unknown variant `UUID`, expected one of `LLT`, `EN`, `LL`",
    );
    check(
        &err(&v6("  \"server-id\": {\"persist\": false}")),
        2,
        16,
        "Dhcp6.server-id",
        "missing required key `type`",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET}, \"pd-pools\": [{{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 48}}]"
        ))),
        3,
        52,
        "Dhcp6.subnet6[0].pd-pools[0]",
        "missing required key `delegated-len`",
    );
    check(
        &err(&subnet_cfg(&format!("{SUBNET}, \"rapid-commit\": 1"))),
        3,
        55,
        "Dhcp6.subnet6[0].rapid-commit",
        "expected a boolean",
    );
}

// ------------------------------------------------------ semantic errors

#[test]
fn subnet_errors() {
    check(
        &err(&subnet_cfg("  \"id\": 1, \"subnet\": \"2001:db8:1::1/64\"")),
        3,
        22,
        "Dhcp6.subnet6[0].subnet",
        "`2001:db8:1::1/64` has host bits set: expected the network address, 2001:db8:1::/64",
    );
    check(
        &err(&subnet_cfg("  \"id\": 1, \"subnet\": \"10.0.0.0/8\"")),
        3,
        22,
        "Dhcp6.subnet6[0].subnet",
        "expected a prefix like \"2001:db8:1::/64\"",
    );
    check(
        &err(&subnet_cfg("  \"id\": 0, \"subnet\": \"2001:db8:1::/64\"")),
        3,
        9,
        "Dhcp6.subnet6[0].id",
        "subnet id 0 is reserved",
    );
    check(
        &err(&v6(
            "\"subnet6\": [ {\"id\": 1, \"subnet\": \"2001:db8::/32\"},\n {\"id\": 1, \"subnet\": \"2001:db9::/32\"} ]",
        )),
        3,
        9,
        "Dhcp6.subnet6[1].id",
        "duplicate subnet id 1 (also used by Dhcp6.subnet6[0])",
    );
    check(
        &err(&v6(
            "\"subnet6\": [ {\"id\": 1, \"subnet\": \"2001:db8::/32\"},\n {\"id\": 2, \"subnet\": \"2001:db8:1::/64\"} ]",
        )),
        3,
        22,
        "Dhcp6.subnet6[1].subnet",
        "2001:db8:1::/64 overlaps 2001:db8::/32 of Dhcp6.subnet6[0]",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET}, \"interface\": \"eth0\", \"interface-id\": \"x\""
        ))),
        3,
        76,
        "Dhcp6.subnet6[0].interface-id",
        "`interface` and `interface-id` are both set",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET}, \"relay\": {{\"ip-addresses\": [\"192.0.2.1\"]}}"
        ))),
        3,
        66,
        "Dhcp6.subnet6[0].relay.ip-addresses[0]",
        "`192.0.2.1` is not an IPv6 address: expected e.g. \"2001:db8::1\"",
    );
}

#[test]
fn pool_errors() {
    let base = "  \"id\": 1, \"subnet\": \"2001:db8:1::/64\",\n  \"pools\": [ ";
    check(
        &err(&subnet_cfg(&format!(
            "{base}{{\"pool\": \"2001:db8:2::1 - 2001:db8:2::9\"}} ]"
        ))),
        4,
        23,
        "Dhcp6.subnet6[0].pools[0].pool",
        "pool 2001:db8:2::1 - 2001:db8:2::9 is not inside subnet 2001:db8:1::/64: expected addresses in 2001:db8:1:: - 2001:db8:1:0:ffff:ffff:ffff:ffff",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{base}{{\"pool\": \"2001:db8:1::/120\"}},\n    {{\"pool\": \"2001:db8:1::ff - 2001:db8:1::1ff\"}} ]"
        ))),
        5,
        14,
        "Dhcp6.subnet6[0].pools[1].pool",
        "pool 2001:db8:1::ff - 2001:db8:1::1ff overlaps Dhcp6.subnet6[0].pools[0]",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{base}{{\"pool\": \"2001:db8:1::9 - 2001:db8:1::1\"}} ]"
        ))),
        4,
        23,
        "Dhcp6.subnet6[0].pools[0].pool",
        "pool start 2001:db8:1::9 is after its end 2001:db8:1::1",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{base}{{\"pool\": \"2001:db8:1::9\"}} ]"
        ))),
        4,
        23,
        "Dhcp6.subnet6[0].pools[0].pool",
        "expected \"2001:db8:1::100 - 2001:db8:1::1ff\" or \"2001:db8:1::/112\"",
    );
}

#[test]
fn pd_pool_errors() {
    let pd = |body: &str| {
        err(&subnet_cfg(&format!(
            "{SUBNET},\n  \"pd-pools\": [ {{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 48, {body}}} ]"
        )))
    };
    check(
        &pd("\"delegated-len\": 40"),
        4,
        79,
        "Dhcp6.subnet6[0].pd-pools[0].delegated-len",
        "delegated-len (40) is out of range: expected prefix-len (48) to 128",
    );
    check(
        &pd("\"delegated-len\": 129"),
        4,
        79,
        "Dhcp6.subnet6[0].pd-pools[0].delegated-len",
        "delegated-len (129) is out of range",
    );
    check(
        &pd("\"delegated-len\": 56, \"excluded-prefix\": \"2001:db8:8::\""),
        4,
        102,
        "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix",
        "`excluded-prefix` and `excluded-prefix-len` go together",
    );
    check(
        &pd("\"delegated-len\": 56, \"excluded-prefix\": \"2001:db8:8::\", \"excluded-prefix-len\": 56"),
        4,
        141,
        "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix-len",
        "excluded-prefix-len (56) is out of range: expected more than delegated-len (56)",
    );
    check(
        &pd("\"delegated-len\": 56, \"excluded-prefix\": \"2001:db8:9::\", \"excluded-prefix-len\": 64"),
        4,
        102,
        "Dhcp6.subnet6[0].pd-pools[0].excluded-prefix",
        "2001:db8:9::/64 is not inside the pool's prefix 2001:db8:8::/48",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET},\n  \"pd-pools\": [ {{\"prefix\": \"2001:db8:8::1\", \"prefix-len\": 48, \"delegated-len\": 56}} ]"
        ))),
        4,
        28,
        "Dhcp6.subnet6[0].pd-pools[0].prefix",
        "`2001:db8:8::1` has bits set beyond /48: expected 2001:db8:8::",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET},\n  \"pd-pools\": [ {{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 0, \"delegated-len\": 56}} ]"
        ))),
        4,
        58,
        "Dhcp6.subnet6[0].pd-pools[0].prefix-len",
        "0 is out of range: expected 1..=128",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET},\n  \"pd-pools\": [ {{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 48, \"delegated-len\": 56}},\n    {{\"prefix\": \"2001:db8:8:100::\", \"prefix-len\": 56, \"delegated-len\": 64}} ]"
        ))),
        5,
        16,
        "Dhcp6.subnet6[0].pd-pools[1].prefix",
        "2001:db8:8:100::/56 overlaps 2001:db8:8::/48 of Dhcp6.subnet6[0].pd-pools[0]: expected disjoint pd-pools",
    );
    // Also across subnets: one prefix must not be delegated by two pools.
    check(
        &err(&v6(
            "\"subnet6\": [ {\"id\": 1, \"subnet\": \"2001:db8:1::/64\", \"pd-pools\": [{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 48, \"delegated-len\": 56}]},\n {\"id\": 2, \"subnet\": \"2001:db8:2::/64\", \"pd-pools\": [{\"prefix\": \"2001:db8:8::\", \"prefix-len\": 48, \"delegated-len\": 64}]} ]",
        )),
        3,
        65,
        "Dhcp6.subnet6[1].pd-pools[0].prefix",
        "of Dhcp6.subnet6[0].pd-pools[0]",
    );
}

#[test]
fn reservation_errors() {
    let base = format!("{SUBNET},\n  \"reservations\": [\n");
    let r = |body: &str| err(&subnet_cfg(&format!("{base}{body} ]")));
    check(
        &r("  {\"duid\": \"01:02\", \"ip-addresses\": [\"2001:db8:2::5\"]}"),
        5,
        38,
        "Dhcp6.subnet6[0].reservations[0].ip-addresses[0]",
        "2001:db8:2::5 is not inside subnet 2001:db8:1::/64",
    );
    check(
        &r("  {\"duid\": \"01:02\"},\n  {\"duid\": \"0102\"}"),
        6,
        12,
        "Dhcp6.subnet6[0].reservations[1].duid",
        "this duid is already reserved by Dhcp6.subnet6[0].reservations[0]",
    );
    check(
        &r("  {\"duid\": \"01:02\", \"ip-addresses\": [\"2001:db8:1::5\"]},\n  {\"duid\": \"01:03\", \"ip-addresses\": [\"2001:db8:1::5\"]}"),
        6,
        38,
        "Dhcp6.subnet6[0].reservations[1].ip-addresses[0]",
        "2001:db8:1::5 is already reserved by Dhcp6.subnet6[0].reservations[0]",
    );
    check(
        &r("  {\"duid\": \"01:02\", \"prefixes\": [\"2001:db8:8::/48\"]},\n  {\"duid\": \"01:03\", \"prefixes\": [\"2001:db8:8:100::/56\"]}"),
        6,
        34,
        "Dhcp6.subnet6[0].reservations[1].prefixes[0]",
        "2001:db8:8:100::/56 overlaps a prefix reserved by Dhcp6.subnet6[0].reservations[0]",
    );
    check(
        &r("  {\"duid\": \"01:02\", \"prefixes\": [\"2001:db8:8::1/56\"]}"),
        5,
        34,
        "Dhcp6.subnet6[0].reservations[0].prefixes[0]",
        "has host bits set",
    );
    check(
        &r("  {\"duid\": \"01:02\", \"hw-address\": \"aa:bb:cc:dd:ee:ff\"}"),
        5,
        35,
        "Dhcp6.subnet6[0].reservations[0].hw-address",
        "more than one identifier (duid, hw-address)",
    );
    check(
        &r("  {\"ip-addresses\": [\"2001:db8:1::5\"]}"),
        5,
        3,
        "Dhcp6.subnet6[0].reservations[0]",
        "no identifier",
    );
    check(
        &r("  {\"duid\": \"xyz\"}"),
        5,
        12,
        "Dhcp6.subnet6[0].reservations[0].duid",
        "`xyz` is not a DUID",
    );
    check(
        &r("  {\"hw-address\": \"aa:bb:zz\"}"),
        5,
        18,
        "Dhcp6.subnet6[0].reservations[0].hw-address",
        "`aa:bb:zz` is not a hardware address",
    );
}

#[test]
fn lifetime_and_timer_errors() {
    check(
        &err(&v6(
            "  \"preferred-lifetime\": 10, \"min-preferred-lifetime\": 20",
        )),
        2,
        55,
        "Dhcp6.min-preferred-lifetime",
        "min-preferred-lifetime (20) is greater than max-preferred-lifetime (10)",
    );
    check(
        &err(&v6(
            "  \"preferred-lifetime\": 10, \"min-preferred-lifetime\": 5, \"max-preferred-lifetime\": 8",
        )),
        2,
        25,
        "Dhcp6.preferred-lifetime",
        "preferred-lifetime (10) is not between min-preferred-lifetime (5) and max-preferred-lifetime (8)",
    );
    check(
        &err(&v6("  \"valid-lifetime\": 10, \"max-valid-lifetime\": 8")),
        2,
        21,
        "Dhcp6.valid-lifetime",
        "valid-lifetime (10) is greater than max-valid-lifetime (8)",
    );
    check(
        &err(&v6(
            "  \"preferred-lifetime\": 5000, \"valid-lifetime\": 4000",
        )),
        2,
        25,
        "Dhcp6.preferred-lifetime",
        "preferred-lifetime (5000) is greater than valid-lifetime (4000)",
    );
    check(
        &err(&v6("  \"renew-timer\": 200, \"rebind-timer\": 100")),
        2,
        18,
        "Dhcp6.renew-timer",
        "renew-timer (200) must be less than rebind-timer (100)",
    );
    check(
        &err(&v6("  \"valid-lifetime\": 100, \"rebind-timer\": 100")),
        2,
        42,
        "Dhcp6.rebind-timer",
        "rebind-timer (100) must be less than valid-lifetime (100)",
    );
    // v6 calculates T1/T2 by default, so the percentages are checked.
    check(
        &err(&v6("  \"t1-percent\": 0.9")),
        2,
        17,
        "Dhcp6.t1-percent",
        "t1-percent (0.9) must be less than t2-percent (0.8)",
    );
    check(
        &err(&v6("  \"t2-percent\": 1.0")),
        2,
        17,
        "Dhcp6.t2-percent",
        "1 is out of range: expected a number in (0, 1)",
    );
}

#[test]
fn subnet_lifetime_errors_name_inherited_values() {
    check(
        &err(&v6(
            "\"preferred-lifetime\": 3000,\n\"subnet6\": [{\"id\": 1, \"subnet\": \"2001:db8::/64\", \"valid-lifetime\": 2000}]",
        )),
        3,
        68,
        "Dhcp6.subnet6[0].valid-lifetime",
        "preferred-lifetime (3000, from Dhcp6) is greater than valid-lifetime (2000)",
    );
    check(
        &err(&v6(
            "\"rebind-timer\": 100,\n\"subnet6\": [{\"id\": 1, \"subnet\": \"2001:db8::/64\", \"valid-lifetime\": 60}]",
        )),
        3,
        13,
        "Dhcp6.subnet6[0].rebind-timer",
        "rebind-timer (100, from Dhcp6) must be less than valid-lifetime (60)",
    );
    check(
        &err(&subnet_cfg(&format!(
            "{SUBNET}, \"preferred-lifetime\": 10, \"max-preferred-lifetime\": 5"
        ))),
        3,
        61,
        "Dhcp6.subnet6[0].preferred-lifetime",
        "preferred-lifetime (10) is greater than max-preferred-lifetime (5)",
    );
}

#[test]
fn option_errors() {
    let o = |s: &str| err(&v6(&format!("  \"option-data\": [ {s} ]")));
    check(
        &o(r#"{"name": "dns-server", "data": "::1"}"#),
        2,
        29,
        "Dhcp6.option-data[0].name",
        "unknown option name `dns-server` in space dhcp6",
    );
    // A DHCPv4 name is not a DHCPv6 option.
    check(
        &o(r#"{"name": "routers", "data": "::1"}"#),
        2,
        29,
        "Dhcp6.option-data[0].name",
        "unknown option name `routers` in space dhcp6",
    );
    check(
        &o(r#"{"name": "dns-servers", "code": 24, "data": "::1"}"#),
        2,
        52,
        "Dhcp6.option-data[0].code",
        "option code 24 does not match name `dns-servers` (code 23)",
    );
    check(
        &o(r#"{"name": "dns-servers", "data": "192.0.2.1"}"#),
        2,
        52,
        "Dhcp6.option-data[0].data",
        "option dns-servers (23): `192.0.2.1` is not an IPv6 address",
    );
    check(
        &o(r#"{"code": 0, "data": ""}"#),
        2,
        29,
        "Dhcp6.option-data[0].code",
        "invalid option code 0: option code 0 is reserved: expected 1..=65535",
    );
    check(
        &o(r#"{"code": 65536, "data": ""}"#),
        2,
        29,
        "Dhcp6.option-data[0].code",
        "invalid option code 65536: expected 1..=65535",
    );
    // Options the server also derives may be configured, in Kea's
    // formats (here IA_NA's record of three uint32).
    check(
        &o(r#"{"name": "ia-na", "data": "1, 2"}"#),
        2,
        46,
        "Dhcp6.option-data[0].data",
        "option ia-na (3): expected 3 comma-separated fields (uint32, uint32, uint32), got 2",
    );
    check(
        &o(r#"{"code": 1000, "data": "abc"}"#),
        2,
        43,
        "Dhcp6.option-data[0].data",
        "option 1000: no definition for this option code",
    );
    check(
        &o(r#"{"name": "dns-servers", "space": "dhcp4", "data": "::1"}"#),
        2,
        29,
        "Dhcp6.option-data[0].name",
        "definition for the option 'dhcp4.dns-servers' does not exist",
    );
    check(
        &o(r#"{"name": "dns-servers", "data": "::1"}, {"code": 23, "data": "::2"}"#),
        2,
        69,
        "Dhcp6.option-data[1].code",
        "option 23 is already configured at Dhcp6.option-data[0]",
    );
    check(
        &o(r#"{"name": "preference", "csv-format": false, "data": "0g"}"#),
        2,
        72,
        "Dhcp6.option-data[0].data",
        "option preference (7): `0g` is not hex data",
    );
}

#[test]
fn data_directory_holds_the_default_lease_file_and_the_duid() {
    let d = ok6(&v6(r#""data-directory": "/srv/kea6""#));
    assert_eq!(
        d.lease_database.name,
        PathBuf::from("/srv/kea6/kea-leases6.csv")
    );
    assert_eq!(
        d.server_id.file,
        PathBuf::from("/srv/kea6/kea-dhcp6-serverid")
    );
    // A named lease file stays where it is named; the DUID stays in the
    // data directory, as in Kea.
    let d = ok6(&v6(
        r#""data-directory": "/srv/kea6", "lease-database": {"type": "memfile", "name": "/tmp/l6.csv"}"#,
    ));
    assert_eq!(d.lease_database.name, PathBuf::from("/tmp/l6.csv"));
    assert_eq!(
        d.server_id.file,
        PathBuf::from("/srv/kea6/kea-dhcp6-serverid")
    );
    let d = ok6(&v6(
        r#""data-directory": "rel", "lease-database": {"type": "postgresql", "name": "kea"}"#,
    ));
    assert_eq!(d.server_id.file, PathBuf::from("rel/kea-dhcp6-serverid"));
    check(
        &err(&v6(r#""data-directory": """#)),
        2,
        19,
        "Dhcp6.data-directory",
        "empty `data-directory`",
    );
    // Kea's DHCPv4 server has no data directory.
    let d = err(r#"{"Dhcp4": {"data-directory": "/srv"}}"#);
    assert!(d.message.starts_with("unknown key `data-directory`"), "{d}");
}

#[test]
fn statistic_sample_defaults() {
    let d = ok6(&v6(""));
    assert_eq!(
        d.statistic_samples,
        ruru_config::StatisticSamples { count: 20, age: 0 }
    );
    let d = ok6(&v6(
        r#""statistic-default-sample-count": 0, "statistic-default-sample-age": 90"#,
    ));
    assert_eq!(
        d.statistic_samples,
        ruru_config::StatisticSamples { count: 0, age: 90 }
    );
    let c = ok(r#"{"Dhcp4": {"statistic-default-sample-count": 5}}"#);
    assert_eq!(c.dhcp4.unwrap().statistic_samples.count, 5);
    check(
        &err(&v6(r#""statistic-default-sample-age": -1"#)),
        2,
        33,
        "Dhcp6.statistic-default-sample-age",
        "expected an integer",
    );
}

#[test]
fn server_id_errors() {
    check(
        &err(&v6(
            "  \"server-id\": {\"type\": \"LL\", \"identifier\": \"xyz\"}",
        )),
        2,
        45,
        "Dhcp6.server-id.identifier",
        "`xyz` is not hex data",
    );
    check(
        &err(&v6(&format!(
            "  \"server-id\": {{\"type\": \"LLT\", \"identifier\": \"{}\"}}",
            "ab".repeat(123)
        ))),
        2,
        46,
        "Dhcp6.server-id.identifier",
        "123 bytes: expected 1 to 122 bytes of hex",
    );
    // An empty identifier means "generate one", as in Kea.
    let d = ok6(&v6(
        "  \"server-id\": {\"type\": \"LLT\", \"identifier\": \"\"}",
    ));
    assert_eq!(d.server_id.identifier, None);
}

#[test]
fn shared_checks_speak_dhcp6_paths() {
    check(
        &err(&v6(
            "  \"loggers\": [{\"name\": \"x\", \"debuglevel\": 100}]",
        )),
        2,
        43,
        "Dhcp6.loggers[0].debuglevel",
        "100 is out of range: expected 0..=99",
    );
    check(
        &err(&v6("  \"lease-database\": {\"type\": \"cassandra\"}")),
        2,
        30,
        "Dhcp6.lease-database.type",
        "unknown lease database type `cassandra`",
    );
    check(
        &err(&v6("  \"interfaces-config\": {\"interfaces\": [\"\"]}")),
        2,
        40,
        "Dhcp6.interfaces-config.interfaces[0]",
        "empty interface name",
    );
    check(
        &err(&v6("  \"hooks-libraries\": [{\"library\": \"\"}]")),
        2,
        35,
        "Dhcp6.hooks-libraries[0].library",
        "expected the path of a hook library",
    );
    check(
        &err(&v6(
            "  \"control-socket\": {\"socket-type\": \"unix\", \"socket-name\": \"/a\"},\n  \"control-sockets\": []",
        )),
        3,
        22,
        "Dhcp6.control-sockets",
        "`control-socket` and `control-sockets` are both set",
    );
    check(
        &err(&v6("  \"control-sockets\": [{\"socket-type\": \"tcp\"}]")),
        2,
        39,
        "Dhcp6.control-sockets[0].socket-type",
        "unknown control socket type `tcp`",
    );
}

// ---------------------------------------------------------- hosts databases

#[test]
fn hosts_databases6() {
    let d = ok6(&v6(
        r#""hosts-database": {"type": "mysql", "name": "hosts", "host": "db", "user": "kea",
        "reconnect-wait-time": 500}"#,
    ));
    match d.hosts_databases.as_slice() {
        [LeaseDbKind::Mysql(s)] => {
            assert_eq!((s.name.as_str(), s.host.as_str()), ("hosts", "db"));
            assert_eq!(
                (s.user.as_deref(), s.reconnect_wait_time),
                (Some("kea"), 500)
            );
        }
        k => panic!("expected one mysql hosts database, got {k:?}"),
    }
    assert_eq!(d.lease_database.kind, LeaseDbKind::Memfile);
    let d = ok6(&v6(
        r#""hosts-databases": [{"type": "postgresql", "name": "a"}, {"type": "mysql", "name": "b"}]"#,
    ));
    assert!(matches!(
        d.hosts_databases.as_slice(),
        [LeaseDbKind::Postgresql(a), LeaseDbKind::Mysql(b)] if a.name == "a" && b.name == "b"
    ));
    assert!(ok6(&v6("")).hosts_databases.is_empty());
    let cases: &[(&str, &str, &str)] = &[
        (
            r#""hosts-database": {"type": "memfile"}"#,
            "Dhcp6.hosts-database.type",
            "\"memfile\" is not a hosts backend",
        ),
        (
            r#""hosts-databases": [{"type": "mysql", "name": "a"}, {"type": "cql", "name": "b"}]"#,
            "Dhcp6.hosts-databases[1].type",
            "unknown hosts database type `cql`",
        ),
        (
            r#""hosts-database": {"type": "postgresql", "name": "a", "persist": true}"#,
            "Dhcp6.hosts-database.persist",
            "not a hosts database",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a"}, "hosts-databases": []"#,
            "Dhcp6.hosts-databases",
            "exclusive",
        ),
        (
            r#""hosts-database": {"type": "mysql", "name": "a", "nmae": "b"}"#,
            "Dhcp6.hosts-database.nmae",
            "unknown",
        ),
        (
            r#""lease-database": {"type": "mysql", "name": "a", "readonly": true}"#,
            "Dhcp6.lease-database.readonly",
            "is for a hosts database",
        ),
    ];
    for (body, path, msg) in cases {
        let d = err(&v6(body));
        assert_eq!(d.path, *path, "{d}");
        assert!(d.message.contains(msg), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
}
