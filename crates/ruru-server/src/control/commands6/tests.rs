//! The DHCPv6 commands against an in-memory DHCPv6 memfile and a `Dhcp6`
//! configuration: Kea's request and answer shapes, result codes, argument
//! errors, and what each command does to the store.

use std::cell::Cell;
use std::path::Path;

use ruru_engine::Stats;
use ruru_lease::Memfile6;
use serde_json::json;

use super::*;

const NOW: u64 = 1_700_000_000;

const CONFIG: &str = r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "persist": false },
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [
      { "id": 1, "subnet": "2001:db8:1::/64",
        "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
        "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 } ] },
      { "id": 2, "subnet": "2001:db8:2::/64", "valid-lifetime": 600, "preferred-lifetime": 500,
        "pools": [ { "pool": "2001:db8:2::/120" } ] }
    ]
} }"#;

struct Fixture {
    config: ruru_config::Config,
    store: Memfile6,
    stats: Stats,
    recounts: Cell<usize>,
}

fn fixture() -> Fixture {
    let config = match ruru_config::load_str(CONFIG, Path::new("/nonexistent/ruru.json")) {
        Ok(c) => c,
        Err(e) => panic!("test configuration: {e}"),
    };
    Fixture {
        config,
        store: Memfile6::open(None).unwrap(),
        stats: Stats::new(),
        recounts: Cell::new(0),
    }
}

impl Fixture {
    /// Runs `command` and returns the answer (an error answer as well).
    fn run(&self, command: &str, args: Value) -> Value {
        let recount = || self.recounts.set(self.recounts.get() + 1);
        let view = View6 {
            cfg: self.config.dhcp6.as_ref().unwrap(),
            store: &self.store,
            stats: &self.stats,
            recount: &recount,
            now: NOW,
        };
        handle(&view, command, &args).unwrap_or_else(|e| e)
    }

    fn ok(&self, command: &str, args: Value) -> Value {
        let a = self.run(command, args);
        assert_eq!(a["result"], 0, "{command}: {a}");
        a
    }

    /// Asserts result 1 and that the text contains `needle`.
    fn bad(&self, command: &str, args: Value, needle: &str) {
        let a = self.run(command, args);
        assert_eq!(a["result"], 1, "{command}: {a}");
        let text = a["text"].as_str().unwrap_or_default();
        assert!(
            text.contains(needle),
            "{command}: {text:?} lacks {needle:?}"
        );
    }

    fn add_na(&self, addr: &str, duid: &str, iaid: u32) {
        self.ok(
            "lease6-add",
            json!({ "ip-address": addr, "duid": duid, "iaid": iaid }),
        );
    }

    fn add_pd(&self, prefix: &str, duid: &str, iaid: u32) {
        self.ok(
            "lease6-add",
            json!({ "ip-address": prefix, "duid": duid, "iaid": iaid, "type": "IA_PD",
                    "prefix-len": 56, "subnet-id": 1 }),
        );
    }
}

fn addrs(answer: &Value) -> Vec<String> {
    answer["arguments"]["leases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ip-address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn add_stores_kea_defaults_and_answers_kea_json() {
    let f = fixture();
    let a = f.ok(
        "lease6-add",
        json!({ "ip-address": "2001:db8:1::100", "duid": "00:03:00:01:02:00:00:00:00:01", "iaid": 7 }),
    );
    assert_eq!(
        a["text"],
        "Lease for address 2001:db8:1::100, subnet-id 1 added."
    );
    assert_eq!(f.recounts.get(), 1, "statistics recounted");
    let l = f
        .store
        .get6(LeaseType6::Na, "2001:db8:1::100".parse().unwrap())
        .unwrap();
    // The subnet containing the address; its lifetimes.
    assert_eq!(
        (l.subnet_id, l.valid_lifetime, l.pref_lifetime, l.expire),
        (1, 4000, 3000, NOW + 4000)
    );
    assert_eq!((l.prefix_len, l.iaid, l.hwtype), (128, 7, 0));
    let got = f.ok("lease6-get", json!({ "ip-address": "2001:db8:1::100" }));
    assert_eq!(got["text"], "IPv6 lease found.");
    assert_eq!(
        got["arguments"],
        json!({
            "ip-address": "2001:db8:1::100", "type": "IA_NA", "iaid": 7,
            "duid": "00:03:00:01:02:00:00:00:00:01", "subnet-id": 1,
            "cltt": NOW, "preferred-lft": 3000, "valid-lft": 4000,
            "fqdn-fwd": false, "fqdn-rev": false, "hostname": "", "state": 0
        })
    );
}

#[test]
fn add_takes_every_kea_field() {
    let f = fixture();
    f.ok(
        "lease6-add",
        json!({
            "ip-address": "2001:db8:2::5", "duid": "0a0b0c", "iaid": 1, "subnet-id": 2,
            "hw-address": "02:00:5e:10:00:01", "valid-lft": 100, "preferred-lft": 50,
            "expire": NOW + 50, "fqdn-fwd": true, "fqdn-rev": true, "hostname": "Host.Example.",
            "state": 1, "user-context": { "a": 1 }
        }),
    );
    let got = f.ok("lease6-get", json!({ "ip-address": "2001:db8:2::5" }));
    let l = &got["arguments"];
    assert_eq!(l["duid"], "0a:0b:0c");
    assert_eq!(l["hw-address"], "02:00:5e:10:00:01");
    assert_eq!(
        (l["valid-lft"].as_u64(), l["preferred-lft"].as_u64()),
        (Some(100), Some(50))
    );
    assert_eq!(l["cltt"], NOW - 50);
    assert_eq!(
        l["hostname"], "host.example.",
        "lower-cased as Kea stores it"
    );
    assert_eq!(
        (l["fqdn-fwd"].as_bool(), l["state"].as_u64()),
        (Some(true), Some(1))
    );
    assert_eq!(l["user-context"], json!({ "a": 1 }));
    // Defaults of subnet 2.
    f.ok(
        "lease6-add",
        json!({ "ip-address": "2001:db8:2::6", "duid": "0a0b0c", "iaid": 2 }),
    );
    let l = f.ok("lease6-get", json!({ "ip-address": "2001:db8:2::6" }));
    assert_eq!(
        (
            l["arguments"]["valid-lft"].as_u64(),
            l["arguments"]["preferred-lft"].as_u64()
        ),
        (Some(600), Some(500))
    );
}

#[test]
fn prefixes_need_a_type_a_length_and_a_subnet() {
    let f = fixture();
    let a = f.ok(
        "lease6-add",
        json!({ "ip-address": "2001:db8:8:100::", "duid": "01:02", "iaid": 2, "type": "IA_PD",
                "prefix-len": 56, "subnet-id": 1 }),
    );
    assert_eq!(
        a["text"],
        "Lease for prefix 2001:db8:8:100::/56, subnet-id 1 added."
    );
    // A prefix is found as IA_PD only.
    assert_eq!(
        f.run("lease6-get", json!({ "ip-address": "2001:db8:8:100::" }))["result"],
        3
    );
    let got = f.ok(
        "lease6-get",
        json!({ "ip-address": "2001:db8:8:100::", "type": "IA_PD" }),
    );
    assert_eq!(got["arguments"]["type"], "IA_PD");
    assert_eq!(got["arguments"]["prefix-len"], 56);
    f.bad(
        "lease6-add",
        json!({ "ip-address": "2001:db8:8:200::", "duid": "01:02", "iaid": 2, "type": "IA_PD", "subnet-id": 1 }),
        "'prefix-len' parameter not specified",
    );
    f.bad(
        "lease6-add",
        json!({ "ip-address": "2001:db8:8:200::", "duid": "01:02", "iaid": 2, "type": "IA_PD", "prefix-len": 56 }),
        "allowed for address leases only",
    );
    f.bad(
        "lease6-add",
        json!({ "ip-address": "2001:db8:8:200::", "duid": "01:02", "iaid": 2, "type": "IA_PD",
                "prefix-len": 129, "subnet-id": 1 }),
        "between 1 and 128",
    );
}

#[test]
fn bad_add_arguments_are_result_1_with_a_reason() {
    let f = fixture();
    let base = json!({ "ip-address": "2001:db8:1::100", "duid": "01:02", "iaid": 1 });
    let with = |k: &str, v: Value| {
        let mut a = base.clone();
        a[k] = v;
        a
    };
    let without = |k: &str| {
        let mut a = base.clone();
        a.as_object_mut().unwrap().remove(k);
        a
    };
    f.bad(
        "lease6-add",
        without("ip-address"),
        "'ip-address' parameter not specified",
    );
    f.bad(
        "lease6-add",
        without("duid"),
        "'duid' parameter not specified",
    );
    f.bad(
        "lease6-add",
        without("iaid"),
        "'iaid' parameter not specified",
    );
    f.bad(
        "lease6-add",
        with("ip-address", json!("192.0.2.1")),
        "Invalid IPv6 address",
    );
    f.bad(
        "lease6-add",
        with("ip-address", json!(5)),
        "'ip-address' is not a string",
    );
    f.bad("lease6-add", with("duid", json!("xyz")), "invalid DUID");
    f.bad("lease6-add", with("duid", json!("")), "invalid DUID");
    f.bad(
        "lease6-add",
        with("iaid", json!(-1)),
        "'iaid' is not a non-negative integer",
    );
    f.bad(
        "lease6-add",
        with("iaid", json!(1u64 << 32)),
        "'iaid' is out of range",
    );
    f.bad(
        "lease6-add",
        with("type", json!("IA_XX")),
        "Invalid lease type specified: IA_XX",
    );
    f.bad(
        "lease6-add",
        with("subnet-id", json!(9)),
        "No IPv6 subnet with subnet-id=9",
    );
    f.bad(
        "lease6-add",
        with("subnet-id", json!(2)),
        "does not belong to subnet 2001:db8:2::/64",
    );
    f.bad(
        "lease6-add",
        with("ip-address", json!("2001:db8:99::1")),
        "failed to find a subnet for address 2001:db8:99::1",
    );
    f.bad(
        "lease6-add",
        with("state", json!(3)),
        "Invalid state value: 3",
    );
    f.bad(
        "lease6-add",
        with("fqdn-fwd", json!(true)),
        "No hostname specified",
    );
    f.bad(
        "lease6-add",
        with("user-context", json!([1])),
        "'user-context' must be a JSON object",
    );
    f.bad(
        "lease6-add",
        with("expire", json!(10)),
        "expiration time must be greater",
    );
    f.bad(
        "lease6-add",
        with("hw-address", json!("zz")),
        "invalid hw-address",
    );
    assert_eq!(f.store.count6(), 0, "nothing stored");
    assert_eq!(f.recounts.get(), 0);
    // An address holds one lease of any type.
    f.add_na("2001:db8:1::100", "01:02", 1);
    f.bad(
        "lease6-add",
        base.clone(),
        "IPv6 lease already exists for 2001:db8:1::100",
    );
}

#[test]
fn update_replaces_and_force_create_adds() {
    let f = fixture();
    f.bad(
        "lease6-update",
        json!({ "ip-address": "2001:db8:1::100", "duid": "01:02", "iaid": 1 }),
        "failed to update the lease with address 2001:db8:1::100",
    );
    let a = f.ok(
        "lease6-update",
        json!({ "ip-address": "2001:db8:1::100", "duid": "01:02", "iaid": 1, "force-create": true }),
    );
    assert_eq!(a["text"], "IPv6 lease added.");
    let a = f.ok(
        "lease6-update",
        json!({ "ip-address": "2001:db8:1::100", "duid": "01:03", "iaid": 4, "hostname": "h" }),
    );
    assert_eq!(a["text"], "IPv6 lease updated.");
    let l = f.ok("lease6-get", json!({ "ip-address": "2001:db8:1::100" }));
    assert_eq!(
        (
            &l["arguments"]["duid"],
            &l["arguments"]["iaid"],
            &l["arguments"]["hostname"]
        ),
        (&json!("01:03"), &json!(4), &json!("h"))
    );
    assert_eq!(f.store.count6(), 1);
    f.bad(
        "lease6-update",
        json!({ "ip-address": "2001:db8:1::100", "duid": "01:02", "iaid": 1, "force-create": "yes" }),
        "'force-create' is not a boolean",
    );
}

#[test]
fn get_and_del_by_duid_iaid_and_subnet() {
    let f = fixture();
    f.add_na("2001:db8:1::100", "01:02:03", 1);
    f.add_na("2001:db8:1::101", "01:02:03", 2);
    f.add_pd("2001:db8:8:100::", "01:02:03", 1);
    let by_id = |extra: Value| {
        let mut a = json!({ "identifier-type": "duid", "identifier": "01:02:03", "subnet-id": 1 });
        for (k, v) in extra.as_object().unwrap() {
            a[k] = v.clone();
        }
        f.run("lease6-get", a)
    };
    assert_eq!(
        by_id(json!({ "iaid": 2 }))["arguments"]["ip-address"],
        "2001:db8:1::101"
    );
    assert_eq!(
        by_id(json!({ "iaid": 1, "type": "IA_PD" }))["arguments"]["ip-address"],
        "2001:db8:8:100::"
    );
    assert_eq!(by_id(json!({ "iaid": 3 }))["result"], 3);
    assert_eq!(by_id(json!({ "iaid": 1, "subnet-id": 2 }))["result"], 3);
    // ruru's shorthand: "duid".
    let a = f.ok(
        "lease6-get",
        json!({ "duid": "010203", "iaid": 1, "subnet-id": 1 }),
    );
    assert_eq!(a["arguments"]["ip-address"], "2001:db8:1::100");
    f.bad(
        "lease6-get",
        json!({ "identifier-type": "duid", "identifier": "01:02:03", "iaid": 1 }),
        "Mandatory 'subnet-id' parameter missing.",
    );
    f.bad(
        "lease6-get",
        json!({ "identifier-type": "hw-address", "identifier": "01:02:03:04:05:06", "subnet-id": 1 }),
        "Query by hw-address is not allowed in v6.",
    );
    f.bad(
        "lease6-get",
        json!({ "identifier-type": "foo", "identifier": "01", "subnet-id": 1 }),
        "Incorrect identifier type: foo",
    );
    f.bad(
        "lease6-get",
        json!({ "subnet-id": 1 }),
        "'identifier-type' is either missing",
    );
    f.bad(
        "lease6-get",
        json!({ "ip-address": "10.0.0.1" }),
        "Invalid IPv6 address",
    );
    // Delete by identifier, then by address.
    let d = f.ok(
        "lease6-del",
        json!({ "identifier-type": "duid", "identifier": "01:02:03", "iaid": 2, "subnet-id": 1 }),
    );
    assert_eq!(d["text"], "IPv6 lease deleted.");
    let d = f.ok(
        "lease6-del",
        json!({ "ip-address": "2001:db8:8:100::", "type": "IA_PD" }),
    );
    assert_eq!(d["text"], "IPv6 lease deleted.");
    let gone = f.run("lease6-del", json!({ "ip-address": "2001:db8:1::101" }));
    assert_eq!(
        (gone["result"].as_i64(), gone["text"].as_str()),
        (Some(3), Some("IPv6 lease not found."))
    );
    // A type that does not match the lease at the address: not found.
    assert_eq!(
        f.run(
            "lease6-del",
            json!({ "ip-address": "2001:db8:1::100", "type": "IA_PD" })
        )["result"],
        3
    );
    assert_eq!(f.store.count6(), 1);
}

#[test]
fn lists_pages_duid_and_hostname() {
    let f = fixture();
    f.add_na("2001:db8:1::102", "01:01", 1);
    f.add_na("2001:db8:2::1", "01:02", 1);
    f.add_na("2001:db8:1::100", "01:01", 2);
    f.add_pd("2001:db8:8:100::", "01:01", 3);
    f.ok(
        "lease6-update",
        json!({ "ip-address": "2001:db8:2::1", "duid": "01:02", "iaid": 1, "hostname": "Printer" }),
    );
    let all = f.ok("lease6-get-all", json!({}));
    assert_eq!(all["text"], "4 IPv6 lease(s) found.");
    assert_eq!(
        addrs(&all),
        [
            "2001:db8:1::100",
            "2001:db8:1::102",
            "2001:db8:2::1",
            "2001:db8:8:100::"
        ],
        "sorted by address"
    );
    assert_eq!(
        addrs(&f.ok("lease6-get-all", json!({ "subnets": [2] }))),
        ["2001:db8:2::1"]
    );
    assert_eq!(
        f.run("lease6-get-all", json!({ "subnets": [9] }))["result"],
        3
    );
    f.bad(
        "lease6-get-all",
        json!({ "subnets": 1 }),
        "'subnets' parameter must be a list",
    );
    f.bad(
        "lease6-get-all",
        json!({ "subnets": ["a"] }),
        "must be numbers",
    );

    // Pages: pass the last address as the next `from`.
    let p1 = f.ok("lease6-get-page", json!({ "from": "start", "limit": 3 }));
    assert_eq!(p1["arguments"]["count"], 3);
    assert_eq!(addrs(&p1).last().map(String::as_str), Some("2001:db8:2::1"));
    let p2 = f.ok(
        "lease6-get-page",
        json!({ "from": "2001:db8:2::1", "limit": 3 }),
    );
    assert_eq!(addrs(&p2), ["2001:db8:8:100::"]);
    let p3 = f.run(
        "lease6-get-page",
        json!({ "from": "2001:db8:8:100::", "limit": 3 }),
    );
    assert_eq!(
        (p3["result"].as_i64(), p3["arguments"]["count"].as_u64()),
        (Some(3), Some(0))
    );
    f.bad(
        "lease6-get-page",
        json!({ "from": "192.0.2.1", "limit": 3 }),
        "nor a valid IPv6 address",
    );
    f.bad(
        "lease6-get-page",
        json!({ "limit": 3 }),
        "'from' parameter not specified",
    );
    f.bad(
        "lease6-get-page",
        json!({ "from": "start" }),
        "'limit' parameter not specified",
    );
    f.bad(
        "lease6-get-page",
        json!({ "from": "start", "limit": 0 }),
        "must not be 0",
    );

    let by_duid = f.ok("lease6-get-by-duid", json!({ "duid": "01:01" }));
    assert_eq!(
        addrs(&by_duid),
        ["2001:db8:1::100", "2001:db8:1::102", "2001:db8:8:100::"]
    );
    assert_eq!(
        f.run("lease6-get-by-duid", json!({ "duid": "09" }))["result"],
        3
    );
    f.bad(
        "lease6-get-by-duid",
        json!({}),
        "'duid' parameter not specified",
    );
    f.bad(
        "lease6-get-by-duid",
        json!({ "duid": "nope" }),
        "invalid DUID",
    );

    let by_name = f.ok("lease6-get-by-hostname", json!({ "hostname": "PRINTER" }));
    assert_eq!(addrs(&by_name), ["2001:db8:2::1"]);
    f.bad(
        "lease6-get-by-hostname",
        json!({ "hostname": "" }),
        "'hostname' parameter is empty",
    );
}

#[test]
fn wipe_one_subnet_or_all() {
    let f = fixture();
    f.add_na("2001:db8:1::100", "01:01", 1);
    f.add_pd("2001:db8:8:100::", "01:01", 2);
    f.add_na("2001:db8:2::1", "01:02", 1);
    let w = f.ok("lease6-wipe", json!({ "subnet-id": 1 }));
    assert_eq!(w["text"], "Deleted 2 IPv6 lease(s) from subnet 1.");
    assert_eq!(f.store.count6(), 1);
    let w = f.ok("lease6-wipe", json!({}));
    assert_eq!(w["text"], "Deleted 1 IPv6 lease(s) from all subnets.");
    assert_eq!(f.run("lease6-wipe", json!({}))["result"], 3);
    assert_eq!(f.store.count6(), 0);
}

#[test]
fn stat_lease6_get_has_kea_columns() {
    let f = fixture();
    f.add_na("2001:db8:1::100", "01:01", 1);
    f.add_na("2001:db8:1::101", "01:02", 1);
    f.add_pd("2001:db8:8:100::", "01:01", 2);
    f.ok(
        "lease6-add",
        json!({ "ip-address": "2001:db8:1::102", "duid": "01:03", "iaid": 1, "state": 1 }),
    );
    f.ok(
        "lease6-add",
        json!({ "ip-address": "2001:db8:1::103", "duid": "01:04", "iaid": 1, "state": 2 }),
    );
    let s1 = f.stats.subnet6(1);
    s1.total_nas
        .store(256, std::sync::atomic::Ordering::Relaxed);
    s1.total_pds
        .store(256, std::sync::atomic::Ordering::Relaxed);
    s1.cumulative_assigned_nas
        .store(9, std::sync::atomic::Ordering::Relaxed);
    let a = f.ok("stat-lease6-get", json!({}));
    assert_eq!(a["text"], "stat-lease6-get: 2 rows found");
    let rs = &a["arguments"]["result-set"];
    assert_eq!(rs["columns"], json!(STAT_COLUMNS));
    // Declined counts as assigned; expired-reclaimed does not count.
    assert_eq!(
        rs["rows"],
        json!([[1, 256, 9, 3, 1, 256, 0, 1], [2, 0, 0, 0, 0, 0, 0, 0]])
    );
    assert!(rs["timestamp"].is_string());
    let one = f.ok("stat-lease6-get", json!({ "subnet-id": 2 }));
    assert_eq!(
        one["arguments"]["result-set"]["rows"],
        json!([[2, 0, 0, 0, 0, 0, 0, 0]])
    );
    let range = f.ok(
        "stat-lease6-get",
        json!({ "subnet-range": { "first-subnet-id": 2, "last-subnet-id": 5 } }),
    );
    assert_eq!(
        range["arguments"]["result-set"]["rows"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    f.bad(
        "stat-lease6-get",
        json!({ "subnet-id": 7 }),
        "subnet-id: 7 does not exist",
    );
    f.bad(
        "stat-lease6-get",
        json!({ "subnet-range": { "first-subnet-id": 2, "last-subnet-id": 1 } }),
        "last-subnet-id must be greater",
    );
    let none = f.run(
        "stat-lease6-get",
        json!({ "subnet-range": { "first-subnet-id": 5, "last-subnet-id": 9 } }),
    );
    assert_eq!(none["result"], 3);
}

#[test]
fn lease6_json_matches_kea_for_every_kind() {
    let l = Lease6 {
        address: "2001:db8:8:100::".parse().unwrap(),
        duid: vec![0, 1, 0xab],
        valid_lifetime: 100,
        expire: 1100,
        subnet_id: 3,
        pref_lifetime: 50,
        lease_type: LeaseType6::Pd,
        iaid: 9,
        prefix_len: 56,
        fqdn_fwd: false,
        fqdn_rev: true,
        hostname: "h".into(),
        hwaddr: vec![2, 0, 0, 0, 0, 1],
        state: LeaseState::Default,
        user_context: String::new(),
        hwtype: 1,
        hwaddr_source: 0,
        pool_id: 0,
    };
    assert_eq!(
        lease6_json(&l),
        json!({
            "ip-address": "2001:db8:8:100::", "type": "IA_PD", "prefix-len": 56, "iaid": 9,
            "duid": "00:01:ab", "subnet-id": 3, "cltt": 1000, "preferred-lft": 50,
            "valid-lft": 100, "fqdn-fwd": false, "fqdn-rev": true, "hostname": "h",
            "hw-address": "02:00:00:00:00:01", "state": 0
        })
    );
    let ta = Lease6 {
        lease_type: LeaseType6::Ta,
        prefix_len: 128,
        ..l
    };
    let j = lease6_json(&ta);
    assert_eq!(j["type"], "IA_TA");
    assert!(j.get("prefix-len").is_none());
}
