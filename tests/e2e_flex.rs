//! End-to-end tests of the built-in flex-id and flex-option, over the
//! wire with the real binary: a Kea configuration listing Kea's
//! `libdhcp_flex_id.so` and `libdhcp_flex_option.so` (from Kea's
//! directory: nothing is loaded) gets a reservation by an expression and
//! options computed from the query.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::Ipv4Addr;

use common::*;
use dhcproto::v4::{self, DhcpOption, OptionCode};

fn config4(relay: Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "host-reservation-identifiers": ["hw-address", "flex-id"],
    "option-data": [ {{ "name": "domain-name", "data": "example.org" }} ],
    "hooks-libraries": [
      {{ "library": "/usr/lib/kea/hooks/libdhcp_flex_id.so",
         "parameters": {{ "identifier-expression": "ifelse(option[host-name].exists, concat('host-', option[host-name].text), '')" }} }},
      {{ "library": "/usr/lib/kea/hooks/libdhcp_flex_option.so",
         "parameters": {{ "options": [
           {{ "code": 67, "add": "ifelse(option[host-name].exists, concat(option[host-name].text, '.boot'), '')" }},
           {{ "name": "domain-name", "remove": "option[host-name].text == 'quiet'" }}
         ] }} }}
    ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.110" }} ],
      "reservations": [ {{ "flex-id": "'host-printer'", "ip-address": "192.0.2.42" }} ] }} ]
  }}
}}"#
    )
}

fn discover(n: u8, relay: Ipv4Addr, host: Option<&str>) -> v4::Message {
    let mut c = Client::new(n, relay);
    let mut m = c.discover();
    if let Some(h) = host {
        m.opts_mut().insert(DhcpOption::Hostname(h.to_string()));
    }
    m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::DomainName,
    ]));
    m
}

#[test]
fn dhcpv4_builtin_flex_id_and_flex_option_act_on_the_wire() {
    let test = "flex_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let relay = Relay::new(ra, srv.port);

    // flex-id: the host name computes the reserved identifier; flex-option
    // adds option 67 from it.
    let offer = relay
        .exchange(&discover(1, ra, Some("printer")))
        .expect("OFFER to the printer");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 42));
    assert_eq!(option_text(&offer, 67).as_deref(), Some("printer.boot"));
    assert_eq!(option_text(&offer, 15).as_deref(), Some("example.org"));

    // No host name: a pool address, no option 67 (empty value).
    let offer = relay.exchange(&discover(2, ra, None)).expect("OFFER");
    assert!((100..=110).contains(&offer.yiaddr().octets()[3]));
    assert_eq!(option_text(&offer, 67), None);

    // remove: the domain name goes when the condition holds.
    let offer = relay
        .exchange(&discover(3, ra, Some("quiet")))
        .expect("OFFER");
    assert_eq!(option_text(&offer, 67).as_deref(), Some("quiet.boot"));
    assert_eq!(option_text(&offer, 15), None);
}

/// flex-id's `replace-client-id`: the host name (option 12) is the
/// client's identity, so another device sending the same name gets the
/// same lease; the lease holds 0 then the identifier as its client-id;
/// each reply carries the client's own client identifier, or none.
#[test]
fn dhcpv4_flex_id_replace_client_id() {
    let test = "flex_replace4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "echo-client-id": false,
    "hooks-libraries": [
      {{ "library": "/usr/lib/kea/hooks/libdhcp_flex_id.so",
         "parameters": {{ "identifier-expression": "option[host-name].text", "replace-client-id": true }} }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", "relay": {{ "ip-addresses": ["{ra}"] }},
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.110" }} ] }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let named = |mut m: v4::Message| {
        m.opts_mut()
            .insert(DhcpOption::Hostname("laptop".to_string()));
        m
    };
    let cid = |m: &v4::Message| raw_option(&common::encode(m), 61);

    let mut a = Client::new(1, ra).with_client_id(&[1, 0xaa]);
    let offer = relay.exchange(&named(a.discover())).expect("OFFER");
    assert_eq!(cid(&offer), Some(vec![1, 0xaa]), "the client's own");
    let addr = offer.yiaddr();
    let ack = relay
        .exchange(&named(
            a.request_selecting(addr, server_id(&offer).unwrap()),
        ))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(v4::MessageType::Ack));
    let leases = srv.lease_file("leases4.csv");
    let row = csv_rows_for(&leases, addr);
    assert!(
        row.iter()
            .any(|r| r.iter().any(|c| c == "00:6c:61:70:74:6f:70")),
        "client-id 0 + \"laptop\": {leases}"
    );
    // Another device with the same name: the same lease.
    let mut b = Client::new(2, ra).with_client_id(&[1, 0xbb]);
    let offer = relay.exchange(&named(b.discover())).expect("OFFER");
    assert_eq!(offer.yiaddr(), addr);
    assert_eq!(cid(&offer), Some(vec![1, 0xbb]));
    // Without a client identifier: none in the reply.
    let mut c = Client::new(3, ra);
    let offer = relay.exchange(&named(c.discover())).expect("OFFER");
    assert_eq!(offer.yiaddr(), addr);
    assert_eq!(cid(&offer), None);
    // Without a name there is no identifier: nothing is replaced.
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_ne!(offer.yiaddr(), addr);
}

/// flex-id's `replace-client-id` in DHCPv6: the relay's interface-id is
/// the client's identity (the DUID becomes 0, 0 then it), so a second
/// client behind the same port gets the first one's address; each reply
/// carries the client's own DUID; the lease holds the replaced DUID.
#[test]
fn dhcpv6_flex_id_replace_client_id() {
    use common::v6::{addr_of, bind_relay, duid, ia_na, msg, server_duid, Relay6, ONE_AT_A_TIME};
    use dhcproto::v6::{DhcpOption as O6, OptionCode as C6};
    let test = "flex_replace6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(
        r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "lease-database": { "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 },
    "hooks-libraries": [
      { "library": "/usr/lib/kea/hooks/libdhcp_flex_id.so",
        "parameters": { "identifier-expression": "relay6[0].option[18].hex", "replace-client-id": true } } ],
    "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] } ]
} }"#,
    );
    let relay = Relay6::new(sock, srv.port);
    let client_id = |m: &dhcproto::v6::Message| match m.opts().get(C6::ClientId) {
        Some(O6::ClientId(d)) => Some(d.clone()),
        _ => None,
    };
    let adv = relay
        .exchange(&msg(1, 1, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    assert_eq!(client_id(&adv), Some(duid(1)), "the client's own DUID");
    let a = addr_of(&adv).unwrap();
    let sid = server_duid(&adv);
    let reply = relay
        .exchange(&msg(3, 1, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("REPLY");
    assert_eq!(addr_of(&reply), Some(a));
    assert_eq!(client_id(&reply), Some(duid(1)));
    let leases = srv.lease_file("leases6.csv");
    assert!(
        leases
            .lines()
            .any(|l| l.starts_with(&format!("{a},00:00:70:6f:72:74:2d:31,"))),
        "DUID 0, 0, \"port-1\": {leases}"
    );
    // Another client behind the same port: the same address.
    let adv = relay
        .exchange(&msg(1, 2, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    assert_eq!(addr_of(&adv), Some(a));
    assert_eq!(client_id(&adv), Some(duid(2)));
}
