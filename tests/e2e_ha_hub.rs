//! Kea 2.6's HA hub-and-spoke (issue 21), over the real wire on loopback:
//! a ruru hub is the standby of two primaries ("spokes"), Kea 2.2's
//! `kea-dhcp4` for one subnet and ruru for the other, in two hot-standby
//! relationships. The hub has a name of its own in each (`hub1`, `hub2`)
//! and one HA URL for both; each subnet's `user-context` names its
//! relationship (`ha-server-name`). Each subnet has its own relay, which
//! forwards to its spoke and to the hub.
//!
//! - Both relationships reach hot-standby; the hub is silent and holds
//!   the leases of both spokes; `status-get` lists both relationships.
//! - `kill -9` of the ruru spoke: the hub takes over its subnet only
//!   (partner-down there, hot-standby with the Kea spoke); a lease it
//!   hands out there is not sent to the Kea spoke.
//! - The ruru spoke restarts with an empty lease file and synchronises
//!   from the hub only the leases of its own subnet.
//!
//! Binding the relays' port 67 needs root; Kea missing: SKIP (a failure
//! under `RURU_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::ha::*;
use common::*;
use serde_json::{json, Value};

/// A hot-standby relationship: `me` is its name for this server.
fn relationship(me: &str, primary: (&str, u16), standby: (&str, u16), kea: bool) -> String {
    // Kea 2.2 answers its partner itself only with HA's multi-threading
    // and dedicated listener.
    let mt = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 2, "http-client-threads": 2 },"#
    } else {
        ""
    };
    format!(
        r#"{{ "this-server-name": "{me}", "mode": "hot-standby",
           "heartbeat-delay": 1000, "max-response-delay": 3000,
           "max-ack-delay": 1000, "max-unacked-clients": 2, {mt}
           "peers": [
             {{ "name": "{}", "url": "http://127.0.0.1:{}/", "role": "primary" }},
             {{ "name": "{}", "url": "http://127.0.0.1:{}/", "role": "standby" }}
           ] }}"#,
        primary.0, primary.1, standby.0, standby.1
    )
}

/// A `Dhcp4` section with `relationships` and `subnets`.
fn config(lease_file: &str, relationships: &[String], subnets: &[String], kea: bool) -> String {
    let dhcp_mt = if kea {
        r#""multi-threading": { "enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16 },
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO", "output_options": [ { "output": "stdout" } ] } ],"#
    } else {
        ""
    };
    format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": true, "name": "{lease_file}", "lfc-interval": 0 }},
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    {dhcp_mt}
    "hooks-libraries": [
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }},
      {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_ha.so",
         "parameters": {{ "high-availability": [ {} ] }} }}
    ],
    "subnet4": [ {} ]
}} }}"#,
        relationships.join(", "),
        subnets.join(", ")
    )
}

/// A subnet behind `relay`, tied to the relationship of `ha_name`.
fn subnet(id: u32, prefix: &str, relay: Ipv4Addr, ha_name: &str) -> String {
    format!(
        r#"{{ "id": {id}, "subnet": "{prefix}.0/24",
      "pools": [ {{ "pool": "{prefix}.10 - {prefix}.200" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "user-context": {{ "ha-server-name": "{ha_name}" }} }}"#
    )
}

/// The HA state of the relationship `name` names on the server at `port`.
fn state_of(port: u16, name: &str) -> Option<String> {
    post(port, "ha-heartbeat", Some(json!({ "server-name": name })))?
        .get("arguments")?
        .get("state")?
        .as_str()
        .map(String::from)
}

fn wait_rel(port: u16, name: &str, want: &str, secs: u64) -> bool {
    wait_until(Duration::from_secs(secs), || {
        state_of(port, name).as_deref() == Some(want)
    })
}

#[test]
fn hub_with_a_kea_spoke_and_a_ruru_spoke() {
    let test = "hub_with_a_kea_spoke_and_a_ruru_spoke";
    if !can_bind_67(test) {
        return;
    }
    let relay_a = relay_addr_for(&format!("{test}-a"));
    let relay_b = relay_addr_for(&format!("{test}-b"));
    let (s1, s2, hub) = (free_tcp_port(), free_tcp_port(), free_tcp_port());
    let net_a = subnet(1, "192.0.2", relay_a, "hub1");
    let net_b = subnet(2, "198.51.100", relay_b, "spoke2");
    // spoke1: Kea 2.2, primary of subnet A, in Kea 2.2's form (one
    // relationship): it must be the hub's first relationship, which
    // answers Kea 2.2's commands (they carry no server-name).
    let spoke1_cfg = |file: &str| {
        config(
            file,
            &[relationship("spoke1", ("spoke1", s1), ("hub1", hub), true)],
            std::slice::from_ref(&net_a),
            true,
        )
    };
    let spoke2_cfg = |file: &str| {
        config(
            file,
            &[relationship("spoke2", ("spoke2", s2), ("hub2", hub), false)],
            std::slice::from_ref(&net_b),
            false,
        )
    };
    let hub_cfg = |file: &str| {
        config(
            file,
            &[
                relationship("hub1", ("spoke1", s1), ("hub1", hub), false),
                relationship("hub2", ("spoke2", s2), ("hub2", hub), false),
            ],
            &[net_a.clone(), net_b.clone()],
            false,
        )
    };
    let Some(spoke1) = start(true, spoke1_cfg, test) else {
        return;
    };
    let Some(spoke2) = start(false, spoke2_cfg, test) else {
        return;
    };
    let Some(hub_srv) = start(false, hub_cfg, test) else {
        return;
    };
    for (port, name) in [(hub, "hub1"), (hub, "hub2"), (s2, "spoke2")] {
        assert!(
            wait_rel(port, name, "hot-standby", 30),
            "{name}: {:?}",
            state_of(port, name)
        );
    }
    assert!(
        wait_state(s1, "hot-standby", 10),
        "spoke1: {:?}",
        ha_state(s1)
    );
    let status = post(hub, "status-get", None).expect("status-get");
    let rels = status["arguments"]["high-availability"].clone();
    assert_eq!(rels.as_array().map(Vec::len), Some(2), "{status}");
    assert_eq!(rels[1]["ha-servers"]["local"]["server-name"], json!("hub2"));
    assert_eq!(
        rels[1]["ha-servers"]["remote"]["server-name"],
        json!("spoke2")
    );

    let a = Both {
        relay: Relay::new(relay_a, spoke1.dhcp_port()),
        ports: [spoke1.dhcp_port(), hub_srv.dhcp_port()],
    };
    let b = Both {
        relay: Relay::new(relay_b, spoke2.dhcp_port()),
        ports: [spoke2.dhcp_port(), hub_srv.dhcp_port()],
    };
    // Each spoke serves its subnet; the hub is silent and holds both.
    let mut ca = Client::new(1, relay_a);
    let (addr_a, port) = a.dora(&mut ca).expect("subnet A served");
    assert_eq!(port, spoke1.dhcp_port(), "the hub answered in subnet A");
    assert!(lease_on(hub, addr_a).is_some(), "{addr_a} not on the hub");
    let mut cb = Client::new(2, relay_b);
    let (addr_b, port) = b.dora(&mut cb).expect("subnet B served");
    assert_eq!(port, spoke2.dhcp_port(), "the hub answered in subnet B");
    assert!(lease_on(hub, addr_b).is_some(), "{addr_b} not on the hub");

    // The ruru spoke dies: the hub takes over subnet B only.
    drop(spoke2);
    std::thread::sleep(Duration::from_millis(3500));
    let mut late: Vec<Client> = (20..=22).map(|n| Client::new(n, relay_b)).collect();
    let took_over = wait_until(Duration::from_secs(15), || {
        for c in &mut late {
            let mut d = c.discover();
            d.set_secs(5);
            b.send(&d, Duration::from_millis(50));
        }
        state_of(hub, "hub2").as_deref() == Some("partner-down")
    });
    assert!(took_over, "hub2: {:?}", state_of(hub, "hub2"));
    assert_eq!(state_of(hub, "hub1").as_deref(), Some("hot-standby"));
    let mut nb = Client::new(30, relay_b);
    let (new_b, port) = b.dora(&mut nb).expect("subnet B served by the hub");
    assert_eq!(port, hub_srv.dhcp_port());
    assert!(
        lease_on(s1, new_b).is_none(),
        "a subnet-B lease went to the Kea spoke of subnet A"
    );
    let mut na = Client::new(31, relay_a);
    let (_, port) = a.dora(&mut na).expect("subnet A still served");
    assert_eq!(port, spoke1.dhcp_port(), "the hub took over subnet A too");

    // The ruru spoke comes back empty and takes its subnet's leases only.
    let Some(spoke2) = start(false, spoke2_cfg, test) else {
        return;
    };
    assert!(
        wait_rel(s2, "spoke2", "hot-standby", 30),
        "spoke2 after restart: {:?}",
        state_of(s2, "spoke2")
    );
    assert!(wait_rel(hub, "hub2", "hot-standby", 10));
    let got = |addr: Ipv4Addr| lease_on(s2, addr).map(|l: Value| l["subnet-id"].clone());
    assert_eq!(got(new_b), Some(json!(2)), "the hub's subnet-B lease");
    assert_eq!(got(addr_b), Some(json!(2)));
    assert_eq!(
        got(addr_a),
        None,
        "a subnet-A lease reached the subnet-B spoke"
    );
    let b = Both {
        relay: b.relay,
        ports: [spoke2.dhcp_port(), hub_srv.dhcp_port()],
    };
    let mut after = Client::new(40, relay_b);
    let (_, port) = b.dora(&mut after).expect("served after recovery");
    assert_eq!(port, spoke2.dhcp_port(), "the spoke serves again");
}
