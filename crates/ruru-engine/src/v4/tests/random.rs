//! Kea's `"allocator": "random"` in DHCPv4: every free pool address is
//! offered once, in no pool order, before any is offered again; a pool
//! nearly full is still searched to its last free address.

use super::*;

/// A subnet of 192.0.2.0/24 with the random allocator and `pools`.
fn random_subnet(pools: &[(u8, u8)]) -> Subnet4 {
    let mut sn = subnet();
    sn.allocator = Allocator::Random;
    sn.reservations = Reservations4::new(vec![]);
    sn.pools = pools
        .iter()
        .map(|(a, b)| Pool4 {
            id: 0,
            ddns: Arc::new(ruru_config::DdnsParams::defaults(false)),
            start: Ipv4Addr::new(192, 0, 2, *a),
            end: Ipv4Addr::new(192, 0, 2, *b),
            options: vec![],
            classes: Default::default(),
        })
        .collect();
    sn
}

fn key() -> alloc::ClientKey<'static> {
    alloc::ClientKey {
        hwaddr: &[2, 0, 0, 0, 0, 7],
        client_id: None,
        match_client_id: true,
    }
}

#[test]
fn random_allocator_offers_every_address_once_then_none() {
    let sn = random_subnet(&[(10, 29), (100, 109)]);
    let store = Memfile::open(None).unwrap();
    let hosts = hosts::HostSources::default();
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(5)));
    let mut got = Vec::new();
    for _ in 0..30 {
        let a = cursors
            .find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None)
            .expect("a free address");
        assert!(!got.contains(&a), "{a} offered twice: {got:?}");
        // Another client takes it.
        store.add4(&fill_lease(u32::from(a), NOW + 3600)).unwrap();
        got.push(a);
    }
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_ne!(got, sorted, "random, not in pool order: {got:?}");
    let want: Vec<Ipv4Addr> = (10..=29)
        .chain(100..=109)
        .map(|d| Ipv4Addr::new(192, 0, 2, d))
        .collect();
    assert_eq!(sorted, want);
    // Exhausted: nothing more.
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None),
        None
    );
    // An address whose lease expired is free again.
    store
        .update4(&fill_lease(u32::from(got[7]), NOW - 1))
        .unwrap();
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None),
        Some(got[7])
    );
}

/// Without leases in between, the same generator seed gives the same
/// order (replay), and the first offers differ from the iterative ones.
#[test]
fn random_allocator_is_seeded_by_the_engine() {
    let sn = random_subnet(&[(10, 250)]);
    let store = Memfile::open(None).unwrap();
    let hosts = hosts::HostSources::default();
    let run = |seed| {
        let c = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(seed)));
        (0..8)
            .map(|_| c.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2));
    let iterative: Vec<_> = (10..18)
        .map(|d| Some(Ipv4Addr::new(192, 0, 2, d)))
        .collect();
    assert_ne!(run(1), iterative);
}

/// A /20 pool with one free address: the random tries give up and the
/// iterative search finds it.
#[test]
fn random_allocator_falls_back_to_a_scan_when_nearly_full() {
    let mut sn = random_subnet(&[]);
    sn.addr = Ipv4Addr::new(10, 0, 0, 0);
    sn.prefix_len = 20;
    sn.relay_addresses = vec![];
    sn.pools = vec![Pool4 {
        id: 0,
        ddns: Arc::new(ruru_config::DdnsParams::defaults(false)),
        start: Ipv4Addr::new(10, 0, 0, 1),
        end: Ipv4Addr::new(10, 0, 15, 254),
        options: vec![],
        classes: Default::default(),
    }];
    let store = Memfile::open(None).unwrap();
    let free = u32::from(Ipv4Addr::new(10, 0, 9, 77));
    let base = u32::from(Ipv4Addr::new(10, 0, 0, 1));
    for a in base..base + 4094 {
        if a != free {
            store.add4(&fill_lease(a, NOW + 3600)).unwrap();
        }
    }
    let hosts = hosts::HostSources::default();
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(0)));
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None),
        Some(Ipv4Addr::from(free))
    );
}

/// `"allocator": "flq"`: every free address once in a random order, then
/// none; an address freed meanwhile (its lease expired) comes back.
#[test]
fn flq_allocator_offers_the_free_queue() {
    let mut sn = random_subnet(&[(10, 29), (100, 109)]);
    sn.allocator = Allocator::Flq;
    let store = Memfile::open(None).unwrap();
    // Two addresses are leased before the queue is filled.
    for d in [12u8, 105] {
        store
            .add4(&fill_lease(
                u32::from(Ipv4Addr::new(192, 0, 2, d)),
                NOW + 3600,
            ))
            .unwrap();
    }
    let hosts = hosts::HostSources::default();
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(5)));
    let mut got = Vec::new();
    while let Some(a) = cursors.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None)
    {
        assert!(!got.contains(&a), "{a} offered twice: {got:?}");
        store.add4(&fill_lease(u32::from(a), NOW + 3600)).unwrap();
        got.push(a);
        assert!(got.len() <= 28, "{got:?}");
    }
    assert_eq!(got.len(), 28);
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_ne!(got, sorted, "random, not in pool order");
    assert!(!got.contains(&Ipv4Addr::new(192, 0, 2, 12)));
    store
        .update4(&fill_lease(u32::from(got[3]), NOW - 1))
        .unwrap();
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key(), NOW, false, &|_| true, None),
        Some(got[3])
    );
}
