//! End-to-end tests of one process serving both families, each as its own
//! Kea daemon would: `dhcp-disable` / `dhcp-enable` act on the family of
//! the section whose control socket received them, or on the families
//! named by `service`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use common::v6::*;
use common::*;
use dhcproto::v6::MessageType as M6;
use serde_json::{json, Value};

fn config(relay4: std::net::Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl4.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay4}"] }} }} ]
  }},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl6.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
  }}
}}"#
    )
}

fn cmd(sock: &Path, body: Value) -> Value {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(body.to_string().as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn each_family_is_disabled_and_enabled_on_its_own() {
    let test = "families_disable";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    if !can_bind_67(test) {
        return;
    }
    let Some(sock6) = bind_relay(test) else {
        return;
    };
    let ra = relay_addr_for(test);
    let srv = Server::start(&config(ra));
    let relay4 = Relay::new(ra, srv.port);
    let relay6 = Relay6::new(sock6, srv.port);
    let (ctl4, ctl6) = (srv.path("ctl4.sock"), srv.path("ctl6.sock"));
    let mut n = 0u8;
    let mut answers = |relay4: &Relay, relay6: &Relay6| {
        n += 1;
        let v4 = relay4.exchange(&Client::new(n, ra).discover()).is_some();
        let v6 = relay6
            .exchange(&msg(1, n, None, &[ia_na(1, None)]))
            .is_some_and(|m| m.msg_type() == M6::Advertise);
        (v4, v6)
    };
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // To the Dhcp6 section's socket: DHCPv6 stops, DHCPv4 goes on.
    let a = cmd(&ctl6, json!({"command": "dhcp-disable"}));
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(a["text"], "DHCPv6 service disabled");
    assert_eq!(answers(&relay4, &relay6), (true, false));
    let a = cmd(&ctl6, json!({"command": "dhcp-enable"}));
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // To the Dhcp4 section's socket: the other way round.
    cmd(&ctl4, json!({"command": "dhcp-disable"}));
    assert_eq!(answers(&relay4, &relay6), (false, true));
    cmd(&ctl4, json!({"command": "dhcp-enable"}));
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // `service` names the families, whichever socket carries it.
    let a = cmd(
        &ctl4,
        json!({"command": "dhcp-disable", "service": ["dhcp6"], "arguments": {"max-period": 3600}}),
    );
    assert_eq!(a["text"], "DHCPv6 service disabled", "{a}");
    assert_eq!(answers(&relay4, &relay6), (true, false));
    let a = cmd(
        &ctl6,
        json!({"command": "dhcp-disable", "service": ["dhcp4", "dhcp6"]}),
    );
    assert_eq!(a["text"], "DHCPv4 and DHCPv6 service disabled", "{a}");
    assert_eq!(answers(&relay4, &relay6), (false, false));
    cmd(
        &ctl6,
        json!({"command": "dhcp-enable", "service": ["dhcp4", "dhcp6"]}),
    );
    assert_eq!(answers(&relay4, &relay6), (true, true));

    // The drops were counted per family.
    let stats = cmd(&ctl4, json!({"command": "statistic-get-all"}));
    let get = |name: &str| stats["arguments"][name][0][0].as_i64().unwrap_or(0);
    assert_eq!(get("pkt4-drop-service-disabled"), 2, "{stats}");
    assert_eq!(get("pkt6-drop-service-disabled"), 3, "{stats}");
}
