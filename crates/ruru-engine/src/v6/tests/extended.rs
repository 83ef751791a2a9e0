//! `store-extended-info`: the relays of a relayed query in the lease's
//! user context, compared with what kea-dhcp6 2.2 wrote to its lease file
//! for the same two-hop Relay-forward (its `user_context` column, `&#x2c`
//! turned back into commas).

use super::*;

/// A relay-forward (RFC 8415 §9.1) with `opts` (whole TLVs) before the
/// Relay Message.
fn forward(hop: u8, link: &str, peer: &str, opts: &[(u16, &[u8])], inner: &[u8]) -> Vec<u8> {
    let mut out = vec![12, hop];
    out.extend_from_slice(&link.parse::<Ipv6Addr>().unwrap().octets());
    out.extend_from_slice(&peer.parse::<Ipv6Addr>().unwrap().octets());
    for (c, v) in opts {
        put(&mut out, *c, v);
    }
    put(&mut out, 9, inner);
    out
}

/// A rapid-commit Solicit of client `n` for one address, relayed twice:
/// the inner relay (hop 0, on LINK) adds Remote-Id, Interface-Id and
/// Subscriber-Id in that order; the outer one (hop 1) adds an
/// Interface-Id, or nothing.
fn two_hops(n: u8, outer_opts: bool) -> Vec<u8> {
    let mut m = vec![1, 0, 0, n];
    put(&mut m, 1, &duid(n));
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    put(&mut m, 14, &[]);
    let mut remote = 4491u32.to_be_bytes().to_vec();
    remote.extend_from_slice(b"remote");
    let inner = forward(
        0,
        LINK,
        "fe80::9",
        &[(37, &remote), (18, b"port1"), (38, b"sub")],
        &m,
    );
    let outer: &[(u16, &[u8])] = if outer_opts { &[(18, b"outer")] } else { &[] };
    forward(1, "2001:db8:9::1", "2001:db8:9::2", outer, &inner)
}

fn engine_storing(on: bool) -> Engine6 {
    let mut c = cfg();
    c.subnets[0].store_extended_info = on;
    c.subnets[0].rapid_commit = true;
    engine_from(c)
}

/// Client `n`'s rapid-commit exchange through `msg`; the user context
/// of its one lease.
fn context(e: &Engine6, s: &dyn LeaseStore, n: u8, msg: &[u8]) -> String {
    match e.process(s, msg, &meta(), NOW) {
        Outcome6::Reply(r) => assert_eq!(r.bytes[0], 13, "relay-reply"),
        _ => panic!("no reply"),
    }
    let leases = s.get6_by_duid(&duid(n));
    assert_eq!(leases.len(), 1, "{leases:?}");
    leases[0].user_context.clone()
}

/// What kea-dhcp6 2.2 stored for [`two_hops`] with the outer relay's
/// Interface-Id: relays outermost first, each one's options but the Relay
/// Message in order of code.
const KEA_TWO_HOPS: &str = concat!(
    r#"{ "ISC": { "relays": [ { "hop": 1, "link": "2001:db8:9::1", "#,
    r#""options": "0x001200056F75746572", "peer": "2001:db8:9::2" }, "#,
    r#"{ "hop": 0, "link": "2001:db8:1::1", "#,
    r#""options": "0x00120005706F7274310025000A0000118B72656D6F746500260003737562", "#,
    r#""peer": "fe80::9" } ] } }"#
);

/// The same when the outer relay added no option: `options` left out.
const KEA_BARE_OUTER: &str = concat!(
    r#"{ "ISC": { "relays": [ { "hop": 1, "link": "2001:db8:9::1", "peer": "2001:db8:9::2" }, "#,
    r#"{ "hop": 0, "link": "2001:db8:1::1", "#,
    r#""options": "0x00120005706F7274310025000A0000118B72656D6F746500260003737562", "#,
    r#""peer": "fe80::9" } ] } }"#
);

#[test]
fn relays_in_the_user_context_as_kea_2_2_writes_them() {
    let e = engine_storing(true);
    let s = store();
    assert_eq!(context(&e, &s, 7, &two_hops(7, true)), KEA_TWO_HOPS);
    assert_eq!(context(&e, &s, 8, &two_hops(8, false)), KEA_BARE_OUTER);
    // The context is valid JSON, as the lease commands give it out.
    let v: serde_json::Value = serde_json::from_str(KEA_TWO_HOPS).unwrap();
    assert_eq!(v["ISC"]["relays"][1]["peer"], "fe80::9");
}

#[test]
fn nothing_stored_when_off() {
    let e = engine_storing(false);
    let s = store();
    assert_eq!(context(&e, &s, 7, &two_hops(7, true)), "");
}

/// A renewal that brings no relay information to store keeps the lease's
/// user context (here one set through the lease commands), as Kea does.
#[test]
fn a_renewal_keeps_the_user_context() {
    let e = engine_storing(false);
    let s = store();
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 9, &[ia_na(1, None), (14, vec![])], false),
    )
    .unwrap();
    let (a, _) = first_addr(&rep).unwrap();
    let mut l = s.get6(LeaseType6::Na, a).unwrap();
    l.user_context = r#"{ "site": "b" }"#.into();
    s.update6(&l).unwrap();
    let rep = exchange(&e, &s, &relayed(5, 9, &[ia_na(1, Some(a))], true)).unwrap();
    assert_eq!(rep.msg_type(), MessageType::Reply);
    let l = s.get6(LeaseType6::Na, a).unwrap();
    assert_eq!(l.user_context, r#"{ "site": "b" }"#);
}
