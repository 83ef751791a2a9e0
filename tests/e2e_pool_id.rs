//! Kea 2.4+'s `pool-id` and the lease files' `pool_id` column, over the
//! wire: a lease file Kea 2.4+ wrote (with `pool_id`) keeps its layout and
//! its pool ids across a restart, the leases ruru grants carry the pool's
//! `pool-id` in it, and a file in Kea 2.2's layout stays in Kea 2.2's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;

use common::*;

const HEADER22: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

fn config(relay: Ipv4Addr) -> String {
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "valid-lifetime": 3600,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "relay": {{ "ip-addresses": ["{relay}"] }},
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.149", "pool-id": 5 }},
               {{ "pool": "192.0.2.150 - 192.0.2.199" }} ] }} ]
}} }}"#
    )
}

/// The `pool_id` column of `addr`'s last row (`None`: no such row, or no
/// such column).
fn pool_id_of(csv: &str, addr: Ipv4Addr) -> Option<String> {
    let row = csv
        .lines()
        .rev()
        .find(|l| l.starts_with(&format!("{addr},")))?;
    let f: Vec<&str> = row.split(',').collect();
    f.get(11).map(|s| s.to_string())
}

#[test]
fn a_kea_2_4_lease_file_keeps_pool_ids() {
    let test = "pool_id_file";
    if !can_bind_67(test) {
        return;
    }
    let relay_addr = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    // What Kea 2.4+ wrote: one lease from a pool with pool-id 7.
    let expire = 4_000_000_000u64;
    std::fs::write(
        dir.path().join("leases4.csv"),
        format!("{HEADER22},pool_id\n192.0.2.120,02:00:00:00:00:77,,3600,{expire},1,0,0,,0,,7\n"),
    )
    .unwrap();
    let mut srv = Server::start_in(dir, &config(relay_addr));
    let relay = Relay::new(relay_addr, srv.port);
    let a = Client::new(1, relay_addr).dora(&relay);
    let csv = srv.lease_file("leases4.csv");
    assert!(csv.starts_with(&format!("{HEADER22},pool_id\n")), "{csv}");
    // The pool of 192.0.2.100-149 has pool-id 5; the other none (0).
    let want = if a < Ipv4Addr::new(192, 0, 2, 150) {
        "5"
    } else {
        "0"
    };
    assert_eq!(pool_id_of(&csv, a).as_deref(), Some(want), "{csv}");
    assert_eq!(
        pool_id_of(&csv, Ipv4Addr::new(192, 0, 2, 120)).as_deref(),
        Some("7")
    );
    // A restart keeps the layout and the ids (lease4-get shows the lease).
    srv.stop();
    srv.spawn();
    let b = Client::new(2, relay_addr).dora(&relay);
    let csv = srv.lease_file("leases4.csv");
    assert!(csv.starts_with(&format!("{HEADER22},pool_id\n")), "{csv}");
    assert_eq!(
        pool_id_of(&csv, Ipv4Addr::new(192, 0, 2, 120)).as_deref(),
        Some("7")
    );
    assert!(pool_id_of(&csv, b).is_some(), "{csv}");
}

#[test]
fn a_new_lease_file_has_kea_2_2_columns() {
    let test = "pool_id_new_file";
    if !can_bind_67(test) {
        return;
    }
    let relay_addr = relay_addr_for(test);
    let srv = Server::start(&config(relay_addr));
    let relay = Relay::new(relay_addr, srv.port);
    let a = Client::new(3, relay_addr).dora(&relay);
    let csv = srv.lease_file("leases4.csv");
    assert!(csv.starts_with(&format!("{HEADER22}\n")), "{csv}");
    assert_eq!(pool_id_of(&csv, a), None, "no pool_id column: {csv}");
}
