//! The subnet_cmds JSON editing, on a section's JSON alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn section4() -> Value {
    json!({
        "option-def": [ { "name": "my-opt", "code": 222, "type": "string" } ],
        "subnet4": [
            { "id": 1, "subnet": "192.0.2.0/24",
              "pools": [ { "pool": "192.0.2.10 - 192.0.2.20" } ],
              "option-data": [ { "name": "routers", "data": "192.0.2.1" } ],
              "reservations": [ { "hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5" } ] }
        ],
        "shared-networks": [
            { "name": "floor1", "subnet4": [ { "id": 7, "subnet": "198.51.100.0/26" } ] }
        ]
    })
}

/// Runs a DHCPv4 command; an error answer is returned as the answer.
fn run4(section: &mut Value, command: &str, args: Value) -> (Value, bool) {
    match handle(Fam::V4, section, command, &args) {
        Ok(d) => (d.answer, d.changed),
        Err(e) => (e, false),
    }
}

fn text(a: &Value) -> &str {
    a["text"].as_str().unwrap_or_default()
}

#[test]
fn subnet_list_shows_both_places() {
    let mut s = section4();
    let (a, changed) = run4(&mut s, "subnet4-list", json!({}));
    assert!(!changed);
    assert_eq!(text(&a), "2 IPv4 subnets found");
    assert_eq!(
        a["arguments"]["subnets"],
        json!([
            { "id": 1, "subnet": "192.0.2.0/24", "shared-network-name": null },
            { "id": 7, "subnet": "198.51.100.0/26", "shared-network-name": "floor1" }
        ])
    );
    let mut empty = json!({});
    let (a, _) = run4(&mut empty, "subnet4-list", json!({}));
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "0 IPv4 subnets found")
    );
}

#[test]
fn subnet_get_by_id_or_prefix_in_either_place() {
    let mut s = section4();
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "id": 7 }));
    assert_eq!(a["result"], 0);
    assert_eq!(
        text(&a),
        "Info about IPv4 subnet 198.51.100.0/26 (id 7) returned"
    );
    assert_eq!(a["arguments"]["subnet4"][0]["subnet"], "198.51.100.0/26");
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "subnet": "192.0.2.0/24" }));
    assert_eq!(a["arguments"]["subnet4"][0]["id"], 1);
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "id": 5 }));
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "No subnet with id 5 found")
    );
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "subnet": "10.0.0.0/8" }));
    assert_eq!(text(&a), "No 10.0.0.0/8 subnet found");
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "id": 1, "subnet": "x" }));
    assert_eq!(a["result"], 1);
    assert!(text(&a).contains("Expecting 'id' or 'subnet'"), "{a}");
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "id": "1" }));
    assert_eq!(text(&a), "'id' parameter must be an integer");
}

#[test]
fn subnet6_get_normalizes_the_prefix() {
    let mut s = json!({ "subnet6": [ { "id": 3, "subnet": "2001:db8:0:1::/64" } ] });
    let a = handle(
        Fam::V6,
        &mut s,
        "subnet6-get",
        &json!({ "subnet": "2001:db8:0:1:0::/64" }),
    )
    .unwrap()
    .answer;
    assert_eq!(
        text(&a),
        "Info about IPv6 subnet 2001:db8:0:1::/64 (id 3) returned"
    );
    assert_eq!(a["arguments"]["subnet6"][0]["id"], 3);
}

#[test]
fn subnet_add_numbers_and_refuses_duplicates() {
    let mut s = section4();
    let (a, changed) = run4(
        &mut s,
        "subnet4-add",
        json!({ "subnet4": [ { "subnet": "203.0.113.0/24", "pools": [ { "pool": "203.0.113.10-203.0.113.20" } ] } ] }),
    );
    assert!(changed);
    assert_eq!(text(&a), "IPv4 subnet added");
    // The next id after the highest in use (7, in the shared network).
    assert_eq!(
        a["arguments"]["subnets"],
        json!([{ "id": 8, "subnet": "203.0.113.0/24" }])
    );
    assert_eq!(s["subnet4"][1]["id"], 8);

    let (a, changed) = run4(
        &mut s,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 7, "subnet": "203.0.113.0/25" } ] }),
    );
    assert!(!changed);
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(1), "ID of the new IPv4 subnet '7' is already in use")
    );
    let (a, _) = run4(
        &mut s,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 9, "subnet": "198.51.100.0/26" } ] }),
    );
    assert_eq!(
        text(&a),
        "subnet with the prefix of '198.51.100.0/26' already exists"
    );
    let (a, _) = run4(
        &mut s,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 9, "subnet": "10.0.0.0/8", "reservations": [] } ] }),
    );
    assert!(
        text(&a).starts_with("must not specify host reservations with 'subnet4-add'"),
        "{a}"
    );
    for (args, needle) in [
        (
            json!({}),
            "no arguments specified for the 'subnet4-add' command",
        ),
        (
            json!({ "subnet4": {} }),
            "'subnet4' argument specified for the 'subnet4-add' command is not a list",
        ),
        (json!({ "subnet4": [] }), "Expected one subnet"),
        (json!({ "subnet6": [ {} ] }), "missing 'subnet4' argument"),
        (json!({ "subnet4": [ 1 ] }), "Expected a map"),
        (
            json!({ "subnet4": [ { "id": 0, "subnet": "10.0.0.0/8" } ] }),
            "subnet4.id: expected an integer from 1 to 4294967294, got 0",
        ),
    ] {
        let (a, changed) = run4(&mut s, "subnet4-add", args);
        assert!(!changed);
        assert_eq!(a["result"], 1);
        assert!(text(&a).contains(needle), "{a} lacks {needle}");
    }
    assert_eq!(s["subnet4"].as_array().unwrap().len(), 2);
}

#[test]
fn subnet_del_from_either_place() {
    let mut s = section4();
    let (a, changed) = run4(&mut s, "subnet4-del", json!({ "id": 7 }));
    assert!(changed);
    assert_eq!(text(&a), "IPv4 subnet 198.51.100.0/26 (id 7) deleted");
    assert_eq!(
        a["arguments"]["subnets"],
        json!([{ "id": 7, "subnet": "198.51.100.0/26" }])
    );
    assert_eq!(s["shared-networks"][0]["subnet4"], json!([]));
    let (a, changed) = run4(&mut s, "subnet4-del", json!({ "id": 7 }));
    assert!(!changed);
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "no subnet with id 7 found")
    );
    let (a, _) = run4(&mut s, "subnet4-del", json!({ "id": 1, "x": 2 }));
    assert_eq!(a["result"], 1);
    let (a, _) = run4(&mut s, "subnet4-del", json!({ "id": "1" }));
    assert_eq!(
        text(&a),
        "subnet identifier specified for the 'subnet4-del' is not a number"
    );
    let (_, changed) = run4(&mut s, "subnet4-del", json!({ "id": 1 }));
    assert!(changed);
    assert_eq!(s["subnet4"], json!([]));
}

#[test]
fn subnet_update_replaces_in_place_and_keeps_reservations() {
    let mut s = section4();
    let (a, changed) = run4(
        &mut s,
        "subnet4-update",
        json!({ "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "valid-lifetime": 99 } ] }),
    );
    assert!(changed);
    assert_eq!(text(&a), "IPv4 subnet updated");
    assert_eq!(
        a["arguments"]["subnets"],
        json!([{ "id": 1, "subnet": "192.0.2.0/24" }])
    );
    assert_eq!(s["subnet4"][0]["valid-lifetime"], 99);
    assert!(s["subnet4"][0].get("pools").is_none());
    assert_eq!(
        s["subnet4"][0]["reservations"][0]["ip-address"],
        "192.0.2.5"
    );
    // In a shared network it stays there.
    run4(
        &mut s,
        "subnet4-update",
        json!({ "subnet4": [ { "id": 7, "subnet": "198.51.100.0/26", "valid-lifetime": 5 } ] }),
    );
    assert_eq!(s["shared-networks"][0]["subnet4"][0]["valid-lifetime"], 5);
    let (a, changed) = run4(
        &mut s,
        "subnet4-update",
        json!({ "subnet4": [ { "id": 3, "subnet": "10.0.0.0/8" } ] }),
    );
    assert!(!changed);
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(1), "Can't find subnet '3' to update")
    );
    let (a, _) = run4(
        &mut s,
        "subnet4-update",
        json!({ "subnet4": [ { "subnet": "10.0.0.0/8" } ] }),
    );
    assert_eq!(
        text(&a),
        "must specify subnet id with 'subnet4-update' command."
    );
}

#[test]
fn delta_add_merges_options_and_pools() {
    let mut s = section4();
    let (a, changed) = run4(
        &mut s,
        "subnet4-delta-add",
        json!({ "subnet4": [ {
            "id": 1, "subnet": "192.0.2.0/24", "valid-lifetime": 120,
            // Same option as the configured `routers` (by code): merged.
            "option-data": [ { "code": 3, "data": "192.0.2.254" },
                             { "name": "my-opt", "data": "x" } ],
            "pools": [
                // The configured pool, spelled differently: merged.
                { "pool": "192.0.2.10-192.0.2.20",
                  "option-data": [ { "name": "time-servers", "data": "192.0.2.4" } ] },
                { "pool": "192.0.2.30 - 192.0.2.40" }
            ]
        } ] }),
    );
    assert!(changed, "{a}");
    assert_eq!(text(&a), "IPv4 subnet updated");
    let sub = &s["subnet4"][0];
    assert_eq!(sub["valid-lifetime"], 120);
    assert_eq!(
        sub["option-data"],
        json!([ { "name": "routers", "data": "192.0.2.254", "code": 3 },
                { "name": "my-opt", "data": "x" } ])
    );
    assert_eq!(sub["pools"].as_array().unwrap().len(), 2);
    assert_eq!(sub["pools"][0]["pool"], "192.0.2.10 - 192.0.2.20");
    assert_eq!(sub["pools"][0]["option-data"][0]["name"], "time-servers");
    assert_eq!(sub["reservations"][0]["ip-address"], "192.0.2.5");
    // A second delta-add of the same pool option replaces its data.
    run4(
        &mut s,
        "subnet4-delta-add",
        json!({ "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
            "pools": [ { "pool": "192.0.2.10 - 192.0.2.20",
                         "option-data": [ { "code": 4, "data": "192.0.2.44" } ] } ] } ] }),
    );
    assert_eq!(
        s["subnet4"][0]["pools"][0]["option-data"],
        json!([{ "name": "time-servers", "data": "192.0.2.44", "code": 4 }])
    );
}

#[test]
fn delta_del_removes_the_parts_named() {
    let mut s = section4();
    run4(
        &mut s,
        "subnet4-delta-add",
        json!({ "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "valid-lifetime": 120,
            "require-client-classes": ["a", "b"],
            "pools": [
                { "pool": "192.0.2.10 - 192.0.2.20",
                  "option-data": [ { "name": "time-servers", "data": "192.0.2.4" } ] },
                { "pool": "192.0.2.30 - 192.0.2.40" } ] } ] }),
    );
    let (a, changed) = run4(
        &mut s,
        "subnet4-delta-del",
        json!({ "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "valid-lifetime": 0,
            "require-client-classes": ["a"],
            "option-data": [ { "code": 3 } ],
            "pools": [
                { "pool": "192.0.2.10-192.0.2.20", "option-data": [ { "code": 4 } ] },
                { "pool": "192.0.2.30 - 192.0.2.40" } ] } ] }),
    );
    assert!(changed);
    assert_eq!(text(&a), "IPv4 subnet updated");
    let sub = &s["subnet4"][0];
    assert!(sub.get("valid-lifetime").is_none(), "{sub}");
    assert!(sub.get("option-data").is_none(), "{sub}");
    assert_eq!(sub["require-client-classes"], json!(["b"]));
    // The first pool stays, without its option; the second is gone.
    assert_eq!(sub["pools"], json!([{ "pool": "192.0.2.10 - 192.0.2.20" }]));
    assert_eq!(sub["id"], 1);
    assert_eq!(sub["subnet"], "192.0.2.0/24");
    assert_eq!(sub["reservations"][0]["ip-address"], "192.0.2.5");
}

#[test]
fn delta_on_pd_pools() {
    let mut s = json!({ "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
        "pd-pools": [ { "prefix": "2001:db8:2::", "prefix-len": 48, "delegated-len": 64 } ] } ] });
    let d = handle(
        Fam::V6,
        &mut s,
        "subnet6-delta-add",
        &json!({ "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
            "pd-pools": [ { "prefix": "2001:db8:2:0::", "prefix-len": 48, "delegated-len": 64,
                            "option-data": [ { "name": "sip-server-addr", "data": "2001:db8::5" } ] },
                          { "prefix": "2001:db8:3::", "prefix-len": 48, "delegated-len": 64 } ] } ] }),
    )
    .unwrap();
    assert_eq!(d.answer["text"], "IPv6 subnet updated");
    assert_eq!(s["subnet6"][0]["pd-pools"].as_array().unwrap().len(), 2);
    assert_eq!(
        s["subnet6"][0]["pd-pools"][0]["option-data"][0]["name"],
        "sip-server-addr"
    );
    handle(
        Fam::V6,
        &mut s,
        "subnet6-delta-del",
        &json!({ "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
            "pd-pools": [ { "prefix": "2001:db8:2::", "prefix-len": 48, "delegated-len": 64,
                            "option-data": [ { "code": 22 } ] },
                          { "prefix": "2001:db8:3::", "prefix-len": 48, "delegated-len": 64 } ] } ] }),
    )
    .unwrap();
    assert_eq!(
        s["subnet6"][0]["pd-pools"],
        json!([{ "prefix": "2001:db8:2::", "prefix-len": 48, "delegated-len": 64 }])
    );
}

#[test]
fn networks_list_get_add_del() {
    let mut s = section4();
    let (a, _) = run4(&mut s, "network4-list", json!({}));
    assert_eq!(text(&a), "1 IPv4 network(s) found");
    assert_eq!(
        a["arguments"]["shared-networks"],
        json!([{ "name": "floor1" }])
    );
    let (a, _) = run4(&mut s, "network4-get", json!({ "name": "floor1" }));
    assert_eq!(text(&a), "Info about IPv4 shared network 'floor1' returned");
    assert_eq!(a["arguments"]["shared-networks"][0]["subnet4"][0]["id"], 7);
    let (a, _) = run4(&mut s, "network4-get", json!({ "name": "nope" }));
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "No 'nope' shared network found")
    );
    let (a, _) = run4(&mut s, "network4-get", json!({ "x": 1 }));
    assert_eq!(
        text(&a),
        "invalid 'network4-get': missing mandatory 'name' parameter"
    );

    let (a, changed) = run4(
        &mut s,
        "network4-add",
        json!({ "shared-networks": [ { "name": "floor13", "subnet4": [
            { "subnet": "203.0.113.0/25" }, { "subnet": "203.0.113.128/25" } ] } ] }),
    );
    assert!(changed);
    assert_eq!(text(&a), "A new IPv4 shared network 'floor13' added");
    assert_eq!(
        a["arguments"],
        json!({ "shared-networks": [ { "name": "floor13" } ] })
    );
    assert_eq!(s["shared-networks"][1]["subnet4"][0]["id"], 8);
    assert_eq!(s["shared-networks"][1]["subnet4"][1]["id"], 9);
    let (a, _) = run4(
        &mut s,
        "network4-add",
        json!({ "shared-networks": [ { "name": "floor13" } ] }),
    );
    assert_eq!(
        text(&a),
        "shared network with name 'floor13' already exists"
    );
    let (a, _) = run4(
        &mut s,
        "network4-add",
        json!({ "shared-networks": [ { "name": "x", "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8" } ] } ] }),
    );
    assert_eq!(text(&a), "ID of the new IPv4 subnet '1' is already in use");

    // keep: the subnets become plain subnets.
    let (a, changed) = run4(&mut s, "network4-del", json!({ "name": "floor13" }));
    assert!(changed);
    assert_eq!(text(&a), "IPv4 shared network 'floor13' deleted");
    assert_eq!(s["subnet4"].as_array().unwrap().len(), 3);
    assert_eq!(s["shared-networks"].as_array().unwrap().len(), 1);
    // delete: they go too.
    let (_, changed) = run4(
        &mut s,
        "network4-del",
        json!({ "name": "floor1", "subnets-action": "delete" }),
    );
    assert!(changed);
    assert_eq!(s["shared-networks"], json!([]));
    let (a, _) = run4(&mut s, "subnet4-get", json!({ "id": 7 }));
    assert_eq!(a["result"], 3);
    let (a, _) = run4(&mut s, "network4-del", json!({ "name": "floor1" }));
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "no shared network with name 'floor1' found")
    );
    let (a, _) = run4(
        &mut s,
        "network4-del",
        json!({ "name": "floor1", "subnets-action": "drop" }),
    );
    assert_eq!(
        text(&a),
        "Invalid value for subnets-action parameter: drop, Supported values: 'keep' and 'delete'."
    );
}

#[test]
fn network_subnet_add_and_del_move_a_subnet() {
    let mut s = section4();
    let (a, changed) = run4(
        &mut s,
        "network4-subnet-add",
        json!({ "name": "floor1", "id": 1 }),
    );
    assert!(changed, "{a}");
    assert_eq!(
        text(&a),
        "IPv4 subnet 192.0.2.0/24 (id 1) is now part of shared network 'floor1'"
    );
    assert_eq!(s["subnet4"], json!([]));
    assert_eq!(s["shared-networks"][0]["subnet4"][1]["id"], 1);
    let (a, changed) = run4(
        &mut s,
        "network4-subnet-add",
        json!({ "name": "floor1", "id": 1 }),
    );
    assert!(!changed);
    assert_eq!(a["result"], 1);
    let (a, _) = run4(
        &mut s,
        "network4-subnet-add",
        json!({ "name": "floor1", "id": 4 }),
    );
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (Some(3), "no IPv4 subnet with id '4' found")
    );
    let (a, _) = run4(
        &mut s,
        "network4-subnet-add",
        json!({ "name": "x", "id": 1 }),
    );
    assert_eq!(text(&a), "no IPv4 shared network with name 'x' found");

    let (a, changed) = run4(
        &mut s,
        "network4-subnet-del",
        json!({ "name": "floor1", "id": 7 }),
    );
    assert!(changed);
    assert_eq!(
        text(&a),
        "IPv4 subnet 198.51.100.0/26 (id 7) is now removed from shared network 'floor1'"
    );
    assert_eq!(s["subnet4"][0]["id"], 7);
    let (a, _) = run4(
        &mut s,
        "network4-subnet-del",
        json!({ "name": "floor1", "id": 7 }),
    );
    assert_eq!(
        (a["result"].as_i64(), text(&a)),
        (
            Some(3),
            "The IPv4 subnet with id 7 is not part of the shared network with name 'floor1' found"
        )
    );
}

#[test]
fn pinned_ids_survive_an_add() {
    // Subnets numbered at load keep their numbers in the edited JSON.
    let mut s = json!({ "subnet4": [ { "subnet": "192.0.2.0/24" }, { "id": 5, "subnet": "198.51.100.0/24" } ] });
    let mut other = s.clone();
    pin_ids(
        &mut other,
        "subnet4",
        &[(6, "10.0.0.0/8".into()), (5, "198.51.100.0/24".into())],
    );
    assert!(
        other["subnet4"][0].get("id").is_none(),
        "not lined up: nothing written"
    );
    pin_ids(
        &mut s,
        "subnet4",
        &[(6, "192.0.2.7/24".into()), (5, "198.51.100.0/24".into())],
    );
    assert_eq!(s["subnet4"][0]["id"], 6);
    let (a, _) = run4(
        &mut s,
        "subnet4-add",
        json!({ "subnet4": [ { "subnet": "203.0.113.0/24" } ] }),
    );
    assert_eq!(a["arguments"]["subnets"][0]["id"], 7);
}

#[test]
fn pool_ranges_compare_whatever_the_spelling() {
    assert_eq!(
        pool_range("192.0.2.0/30"),
        pool_range("192.0.2.0 - 192.0.2.3")
    );
    assert_eq!(
        pool_range("2001:db8::/126"),
        pool_range("2001:db8::-2001:db8::3")
    );
    assert_eq!(pool_range("nonsense"), None);
}
