//! Where a raw socket delivers a reply at the link layer: a reply to the
//! `ciaddr` of a query that was not relayed goes to the query's source
//! hardware address (Kea builds raw replies so), a relayed one never.

use super::*;

const MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x42];

/// The reply to `m` received from `src` with frame source `MAC`.
fn reply(e: &Engine4, s: &dyn LeaseStore, m: &v4::Message, src: SocketAddrV4) -> Reply4 {
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    let from = RecvMeta {
        over6: None,
        src,
        local: meta().local,
        iface: None,
        src_mac: Some(MAC),
    };
    match e.process(s, &b, &from, NOW) {
        Outcome4::Reply(r) => r,
        other => panic!("expected a reply, got {other:?}"),
    }
}

#[test]
fn a_reply_to_ciaddr_goes_to_the_frame_source() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    // A relayed DORA: replies to the relay, never at the link layer.
    let offer = reply(&e, &s, &msg(MessageType::Discover, 7), meta().src);
    assert_eq!(offer.dest.link_mac, None);
    let addr = Ipv4Addr::from(<[u8; 4]>::try_from(&offer.bytes[16..20]).unwrap());
    let mut r = msg(MessageType::Request, 7);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(addr));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let ack = reply(&e, &s, &r, meta().src);
    assert_eq!(ack.msg_type, 5);
    assert_eq!(ack.dest.link_mac, None, "relayed");
    // RENEWING: unicast from the client, ciaddr set, not relayed.
    let mut m = v4::Message::new_with_id(
        0xbeef,
        addr,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        &[2, 0, 0, 0, 0, 7],
    );
    m.opts_mut()
        .insert(DhcpOption::MessageType(MessageType::Request));
    let ack = reply(&e, &s, &m, SocketAddrV4::new(addr, 68));
    assert_eq!(ack.msg_type, 5);
    assert_eq!((ack.dest.addr, ack.dest.link_mac), (addr, Some(MAC)));
    assert!(!ack.dest.link_unicast);
}
