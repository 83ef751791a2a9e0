//! Kea's `"allocator": "random"` and `"pd-allocator": "random"` in
//! DHCPv6: addresses and prefixes in no pool order, none twice while the
//! pool has others.

use super::*;

fn first_prefix(m: &v6::Message) -> Option<Ipv6Addr> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some(p.prefix_ip),
            _ => None,
        }),
        _ => None,
    })
}

/// 64 addresses and 256 /56 prefixes, allocated at random.
fn random_engine() -> Engine6 {
    let mut c = cfg();
    let s = &mut c.subnets[0];
    s.allocator = Allocator::Random;
    s.pd_allocator = Allocator::Random;
    s.rapid_commit = true;
    s.pools[0].end = "2001:db8:1::13f".parse().unwrap();
    engine_from(c)
}

#[test]
fn random_allocators_hand_out_distinct_leases_in_no_order() {
    let e = random_engine();
    let s = store();
    let (mut addrs, mut prefixes) = (Vec::new(), Vec::new());
    for n in 1..=40u8 {
        let rep = exchange(
            &e,
            &s,
            &relayed(1, n, &[ia_na(1, None), ia_pd(2), (14, vec![])], false),
        )
        .unwrap();
        assert_eq!(rep.msg_type(), MessageType::Reply, "rapid commit");
        addrs.push(first_addr(&rep).unwrap().0);
        prefixes.push(first_prefix(&rep).unwrap());
    }
    for list in [&addrs, &prefixes] {
        let mut sorted = list.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), list.len(), "no repeats: {list:?}");
        assert_ne!(&sorted, list, "not in pool order: {list:?}");
    }
    let pool = 0x100u128..=0x13f;
    assert!(addrs
        .iter()
        .all(|a| pool.contains(&(u128::from(*a) & 0xffff))));
    // The rest of the 64 addresses, then none.
    for n in 41..=64u8 {
        let rep = exchange(
            &e,
            &s,
            &relayed(1, n, &[ia_na(1, None), (14, vec![])], false),
        )
        .unwrap();
        addrs.push(first_addr(&rep).expect("a free address left").0);
    }
    let mut sorted = addrs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 64);
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 65, &[ia_na(1, None), (14, vec![])], false),
    )
    .unwrap();
    assert_eq!(ia_status(&rep), Some(Status::NoAddrsAvail));
}

/// `"pd-allocator": "flq"`: the 256 prefixes of the PD pool, each once,
/// in no pool order.
#[test]
fn flq_pd_allocator_hands_out_distinct_prefixes() {
    let mut c = cfg();
    c.subnets[0].pd_allocator = Allocator::Flq;
    c.subnets[0].rapid_commit = true;
    let e = engine_from(c);
    let s = store();
    let mut prefixes = Vec::new();
    for n in 1..=40u8 {
        let rep = exchange(&e, &s, &relayed(1, n, &[ia_pd(2), (14, vec![])], false)).unwrap();
        prefixes.push(first_prefix(&rep).expect("a prefix"));
    }
    let mut sorted = prefixes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 40, "no repeats");
    assert_ne!(sorted, prefixes, "not in pool order");
}
