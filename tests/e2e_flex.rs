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
