//! Kea 2.4+'s `pool-id` on pools (both families) and Kea 2.6's on
//! `pd-pools`: 1..=4294967295, absent is none (0), as Kea checks it.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;
use common::*;

#[test]
fn pool_ids_load_and_bad_ones_are_located() {
    let c = ok(r#"{
"Dhcp4": { "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "pools": [
  { "pool": "192.0.2.10 - 192.0.2.19", "pool-id": 4294967295 },
  { "pool": "192.0.2.20 - 192.0.2.29" } ] } ] },
"Dhcp6": { "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
  "pools": [ { "pool": "2001:db8:1::/80", "pool-id": 6 } ],
  "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 48, "delegated-len": 56, "pool-id": 8 } ] } ] } }"#);
    let d4 = c.dhcp4.unwrap();
    assert_eq!(d4.subnets[0].pools[0].id, u32::MAX);
    assert_eq!(d4.subnets[0].pools[1].id, 0);
    let d6 = c.dhcp6.unwrap();
    assert_eq!(d6.subnets[0].pools[0].id, 6);
    assert_eq!(d6.subnets[0].pd_pools[0].id, 8);

    for bad in ["0", "-1", "4294967296"] {
        let d = err(&format!(
            "{{\"Dhcp4\": {{\"subnet4\": [{{\"id\": 1, \"subnet\": \"192.0.2.0/24\",\n\"pools\": [{{\"pool\": \"192.0.2.10 - 192.0.2.19\", \"pool-id\": {bad}}}]}}]}}}}"
        ));
        assert_eq!(d.path, "Dhcp4.subnet4[0].pools[0].pool-id", "{d}");
        assert!(d.message.contains("expected 1 to 4294967295"), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }
}
