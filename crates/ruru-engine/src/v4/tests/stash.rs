//! Kea 2.6's `stash-agent-options`: a RENEWING client's unicast REQUEST
//! is handled with the option 82 its lease recorded (`store-extended-info`).

use super::*;

/// Members of class `port` (the relay's circuit-id is "port") get a
/// domain name; members of `STASH_AGENT_OPTIONS` (a class defined without
/// a test, as Kea allows for classes the server assigns) option 14.
fn stash_engine(stash: bool) -> Engine4 {
    let text = format!(
        r#"{{"Dhcp4": {{
  "stash-agent-options": {stash},
  "store-extended-info": true,
  "client-classes": [
    {{ "name": "port", "test": "relay4[1].text == 'port'",
       "option-data": [ {{ "name": "domain-name", "data": "port.example" }} ] }},
    {{ "name": "STASH_AGENT_OPTIONS",
       "option-data": [ {{ "name": "merit-dump", "data": "stashed", "always-send": true }} ] }} ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.102" }} ],
    "relay": {{ "ip-addresses": ["{RELAY}"] }} }} ]
}}}}"#
    );
    let cfg = ruru_config::load_str(&text, std::path::Path::new("t.json"))
        .unwrap()
        .dhcp4
        .unwrap();
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

const RAI: [u8; 6] = [1, 4, b'p', b'o', b'r', b't'];

/// `m` with option 82 `RAI` appended, as a relay appends it.
fn with_rai(m: &v4::Message) -> Vec<u8> {
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    assert_eq!(b.pop(), Some(255));
    b.extend_from_slice(&[82, RAI.len() as u8]);
    b.extend_from_slice(&RAI);
    b.push(255);
    b
}

fn decode(o: Outcome4) -> (v4::Message, Vec<u8>) {
    match o {
        Outcome4::Reply(r) => (
            v4::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
            r.bytes,
        ),
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// A relayed DORA with option 82, then a unicast RENEWING REQUEST without
/// it: the ACK and the reply's bytes.
fn renew(e: &Engine4, s: &dyn LeaseStore) -> (v4::Message, Vec<u8>) {
    let (offer, _) = decode(e.process(s, &with_rai(&msg(MessageType::Discover, 1)), &meta(), NOW));
    let a = offer.yiaddr();
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let (ack, _) = decode(e.process(s, &with_rai(&r), &meta(), NOW));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(
        ack.opts().get(OptionCode::DomainName),
        Some(&DhcpOption::DomainName("port.example".into()))
    );
    // RENEWING: unicast from the client, ciaddr set, no giaddr, no 82.
    let mut m = v4::Message::new_with_id(
        0xbeef,
        a,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        &[2, 0, 0, 0, 0, 1],
    );
    m.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Request));
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    let from_client = RecvMeta {
        over6: None,
        src: SocketAddrV4::new(a, 68),
        local: meta().local,
        iface: None,
        src_mac: None,
    };
    decode(e.process(s, &b, &from_client, NOW + 100))
}

#[test]
fn a_renewing_request_gets_the_stashed_relay_agent_information() {
    let e = stash_engine(true);
    let s = Memfile::open(None).unwrap();
    let (ack, bytes) = renew(&e, &s);
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    // Classified with the recovered option 82, and in STASH_AGENT_OPTIONS.
    assert_eq!(
        ack.opts().get(OptionCode::DomainName),
        Some(&DhcpOption::DomainName("port.example".into()))
    );
    assert!(ack.opts().get(OptionCode::MeritDumpFile).is_some());
    // The recovered option is not echoed.
    assert!(!bytes.windows(RAI.len()).any(|w| w == RAI), "no option 82");
}

#[test]
fn without_stash_agent_options_the_renewal_has_no_relay_information() {
    let e = stash_engine(false);
    let s = Memfile::open(None).unwrap();
    let (ack, _) = renew(&e, &s);
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(ack.opts().get(OptionCode::DomainName), None);
    assert!(ack.opts().get(OptionCode::MeritDumpFile).is_none());
    // The relay information stored with the lease stays (Kea updates
    // nothing when the query has no option 82).
    let l = s.get4(ack.yiaddr()).unwrap();
    assert_eq!(
        l.user_context,
        r#"{ "ISC": { "relay-agent-info": "0x0104706F7274" } }"#
    );
    assert_eq!(l.expire, NOW + 100 + 7200, "renewed");
}
