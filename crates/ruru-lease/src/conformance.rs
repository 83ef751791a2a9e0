//! The one test suite every [`LeaseStore`] backend must pass.
//!
//! A backend's tests call [`run_all`] with a factory that returns a fresh,
//! empty store each time (one line per backend). Each case checks one part of
//! the trait's contract and panics with the case name on failure. It is
//! compiled into the library (not only under `cfg(test)`) so that database
//! backends' tests can run it too.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Lease4, LeaseError, LeaseState, LeaseStore};

/// One conformance case: a name and a function run on a fresh empty store.
pub type Case = (&'static str, fn(&dyn LeaseStore));

/// Every case, in the order [`run_all`] runs them.
pub const CASES: &[Case] = &[
    ("add_then_get", add_then_get),
    ("add_existing_is_exists", add_existing_is_exists),
    ("update_replaces", update_replaces),
    ("update_missing_is_not_found", update_missing_is_not_found),
    ("delete", delete),
    ("fields_round_trip", fields_round_trip),
    ("get_by_hwaddr_across_subnets", get_by_hwaddr_across_subnets),
    (
        "get_by_client_id_across_subnets",
        get_by_client_id_across_subnets,
    ),
    ("expired4_order_and_limit", expired4_order_and_limit),
    ("expired4_states", expired4_states),
    ("flush_reclaimed4", flush_reclaimed4),
    ("count_and_all", count_and_all),
    ("concurrent_writers", concurrent_writers),
    ("concurrent_add_one_wins", concurrent_add_one_wins),
];

/// Runs every case, each on a store fresh from `make`.
pub fn run_all(make: &dyn Fn() -> Box<dyn LeaseStore>) {
    for (name, case) in CASES {
        let store = make();
        assert_eq!(
            store.count4(),
            0,
            "{name}: the factory must return an empty store"
        );
        tracing::debug!(case = name, "conformance");
        case(store.as_ref());
    }
}

/// A lease for 10.0.<n/256>.<n%256> with distinct identifiers per `n`,
/// subnet 1, expiring at 1000 + n.
pub fn lease(n: u16) -> Lease4 {
    let [hi, lo] = n.to_be_bytes();
    Lease4 {
        addr: Ipv4Addr::new(10, 0, hi, lo),
        hwaddr: vec![0x02, 0, 0, 0, hi, lo],
        client_id: Some(vec![0x01, 0x02, 0, 0, 0, hi, lo]),
        valid_lifetime: 3600,
        expire: 1000 + u64::from(n),
        subnet_id: 1,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        state: LeaseState::Default,
        user_context: String::new(),
    }
}

fn ok<T>(r: Result<T, LeaseError>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

fn sorted(mut v: Vec<Lease4>) -> Vec<Lease4> {
    v.sort_by_key(|l| l.addr);
    v
}

fn add_then_get(s: &dyn LeaseStore) {
    let l = lease(1);
    assert_eq!(s.get4(l.addr), None);
    ok(s.add4(&l), "add4");
    assert_eq!(s.get4(l.addr), Some(l.clone()));
    assert_eq!(s.get4(lease(2).addr), None);
}

fn add_existing_is_exists(s: &dyn LeaseStore) {
    let l = lease(1);
    ok(s.add4(&l), "add4");
    let mut other = lease(2);
    other.addr = l.addr;
    match s.add4(&other) {
        Err(LeaseError::Exists(a)) => assert_eq!(a, l.addr),
        r => panic!("second add4 of {}: expected Exists, got {r:?}", l.addr),
    }
    assert_eq!(
        s.get4(l.addr),
        Some(l),
        "a failed add4 must not change the lease"
    );
    assert!(s.get4_by_hwaddr(&other.hwaddr).is_empty());
    assert_eq!(s.count4(), 1);
}

fn update_replaces(s: &dyn LeaseStore) {
    let l = lease(1);
    ok(s.add4(&l), "add4");
    let mut u = l.clone();
    u.expire += 500;
    u.hwaddr = vec![0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f];
    u.client_id = None;
    u.hostname = "renewed".into();
    ok(s.update4(&u), "update4");
    assert_eq!(s.get4(l.addr), Some(u.clone()));
    assert!(
        s.get4_by_hwaddr(&l.hwaddr).is_empty(),
        "old hwaddr still indexed"
    );
    assert_eq!(s.get4_by_hwaddr(&u.hwaddr), vec![u.clone()]);
    let cid = l.client_id.unwrap_or_default();
    assert!(
        s.get4_by_client_id(&cid).is_empty(),
        "old client id still indexed"
    );
    assert_eq!(s.count4(), 1);
}

fn update_missing_is_not_found(s: &dyn LeaseStore) {
    let l = lease(1);
    match s.update4(&l) {
        Err(LeaseError::NotFound(a)) => assert_eq!(a, l.addr),
        r => panic!("update4 of a missing lease: expected NotFound, got {r:?}"),
    }
    assert_eq!(
        s.get4(l.addr),
        None,
        "a failed update4 must not add a lease"
    );
    assert_eq!(s.count4(), 0);
}

fn delete(s: &dyn LeaseStore) {
    let (a, b) = (lease(1), lease(2));
    ok(s.add4(&a), "add4");
    ok(s.add4(&b), "add4");
    assert!(ok(s.delete4(a.addr), "delete4"));
    assert_eq!(s.get4(a.addr), None);
    assert!(s.get4_by_hwaddr(&a.hwaddr).is_empty());
    assert!(s
        .get4_by_client_id(a.client_id.as_deref().unwrap_or_default())
        .is_empty());
    assert!(s.expired4(u64::MAX, 0).iter().all(|l| l.addr != a.addr));
    assert!(!ok(s.delete4(a.addr), "second delete4"));
    assert_eq!(s.get4(b.addr), Some(b));
    assert_eq!(s.count4(), 1);
    // The address can be leased again.
    ok(s.add4(&a), "add4 after delete4");
    assert_eq!(s.get4(a.addr), Some(a));
}

fn fields_round_trip(s: &dyn LeaseStore) {
    let mut l = lease(7);
    l.hwaddr = vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11];
    l.client_id = Some(vec![0xff, 0x00, 0x2c]);
    l.valid_lifetime = u32::MAX;
    l.expire = 1_700_000_000 + u64::from(u32::MAX);
    l.subnet_id = u32::MAX;
    l.fqdn_fwd = true;
    l.fqdn_rev = true;
    l.hostname = "a,b&c&#x2c.example.org.".into();
    l.state = LeaseState::Declined;
    l.user_context = r#"{"comment": "x,y", "n": [1, 2]}"#.into();
    ok(s.add4(&l), "add4");
    assert_eq!(s.get4(l.addr), Some(l.clone()));
    let mut m = lease(8);
    m.hwaddr.clear();
    m.client_id = None;
    ok(s.add4(&m), "add4 without identifiers");
    assert_eq!(s.get4(m.addr), Some(m));
    assert!(
        s.get4_by_hwaddr(&[]).is_empty(),
        "an empty hwaddr matches nothing"
    );
    assert!(
        s.get4_by_client_id(&[]).is_empty(),
        "an empty client id matches nothing"
    );
}

fn get_by_hwaddr_across_subnets(s: &dyn LeaseStore) {
    let a = lease(1);
    let mut b = lease(2);
    b.hwaddr = a.hwaddr.clone();
    b.subnet_id = 2;
    let c = lease(3);
    for l in [&a, &b, &c] {
        ok(s.add4(l), "add4");
    }
    assert_eq!(
        sorted(s.get4_by_hwaddr(&a.hwaddr)),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(s.get4_by_hwaddr(&c.hwaddr), vec![c]);
    assert!(s.get4_by_hwaddr(&[1, 2, 3, 4, 5, 6]).is_empty());
    ok(s.delete4(b.addr), "delete4");
    assert_eq!(s.get4_by_hwaddr(&a.hwaddr), vec![a]);
}

fn get_by_client_id_across_subnets(s: &dyn LeaseStore) {
    let a = lease(1);
    let mut b = lease(2);
    b.client_id = a.client_id.clone();
    b.subnet_id = 2;
    let mut c = lease(3);
    c.client_id = None;
    for l in [&a, &b, &c] {
        ok(s.add4(l), "add4");
    }
    let cid = a.client_id.clone().unwrap_or_default();
    assert_eq!(
        sorted(s.get4_by_client_id(&cid)),
        vec![a.clone(), b.clone()]
    );
    assert!(s.get4_by_client_id(&[1, 2, 3]).is_empty());
    let mut b2 = b.clone();
    b2.client_id = Some(vec![9, 9, 9]);
    ok(s.update4(&b2), "update4");
    assert_eq!(s.get4_by_client_id(&cid), vec![a]);
    assert_eq!(s.get4_by_client_id(&[9, 9, 9]), vec![b2]);
}

fn expired4_order_and_limit(s: &dyn LeaseStore) {
    // Expiry times deliberately not in address order.
    let expires = [(1, 500), (2, 300), (3, 400), (4, 100), (5, 900)];
    for (n, expire) in expires {
        let mut l = lease(n);
        l.expire = expire;
        ok(s.add4(&l), "add4");
    }
    let addrs = |v: Vec<Lease4>| v.into_iter().map(|l| l.expire).collect::<Vec<_>>();
    assert_eq!(
        addrs(s.expired4(500, 0)),
        vec![100, 300, 400, 500],
        "<= now, oldest first"
    );
    assert_eq!(addrs(s.expired4(499, 0)), vec![100, 300, 400]);
    assert_eq!(addrs(s.expired4(500, 2)), vec![100, 300], "limit");
    assert_eq!(addrs(s.expired4(99, 0)), Vec::<u64>::new());
    assert_eq!(s.expired4(u64::MAX, 0).len(), 5);
    // Renewing moves a lease out of the expired set.
    let mut l = lease(4);
    l.expire = 10_000;
    ok(s.update4(&l), "update4");
    assert_eq!(addrs(s.expired4(500, 0)), vec![300, 400, 500]);
}

fn expired4_states(s: &dyn LeaseStore) {
    let mut d = lease(1);
    d.expire = 100;
    let mut declined = lease(2);
    declined.expire = 200;
    declined.state = LeaseState::Declined;
    let mut reclaimed = lease(3);
    reclaimed.expire = 50;
    reclaimed.state = LeaseState::ExpiredReclaimed;
    for l in [&d, &declined, &reclaimed] {
        ok(s.add4(l), "add4");
    }
    assert_eq!(s.expired4(1000, 0), vec![d.clone(), declined.clone()]);
    // Reclaiming removes it from the candidates.
    let mut r = d.clone();
    r.state = LeaseState::ExpiredReclaimed;
    ok(s.update4(&r), "update4");
    assert_eq!(s.expired4(1000, 0), vec![declined]);
}

fn flush_reclaimed4(s: &dyn LeaseStore) {
    let mk = |n: u16, expire: u64, state: LeaseState| {
        let mut l = lease(n);
        l.expire = expire;
        l.state = state;
        l
    };
    let old_reclaimed = mk(1, 100, LeaseState::ExpiredReclaimed);
    let old_reclaimed2 = mk(2, 150, LeaseState::ExpiredReclaimed);
    let edge_reclaimed = mk(3, 200, LeaseState::ExpiredReclaimed);
    let new_reclaimed = mk(4, 300, LeaseState::ExpiredReclaimed);
    let old_default = mk(5, 100, LeaseState::Default);
    let old_declined = mk(6, 100, LeaseState::Declined);
    let all = [
        &old_reclaimed,
        &old_reclaimed2,
        &edge_reclaimed,
        &new_reclaimed,
        &old_default,
        &old_declined,
    ];
    for l in all {
        ok(s.add4(l), "add4");
    }
    assert_eq!(ok(s.flush_reclaimed4(200), "flush_reclaimed4"), 2);
    assert_eq!(s.get4(old_reclaimed.addr), None);
    assert_eq!(s.get4(old_reclaimed2.addr), None);
    for l in [&edge_reclaimed, &new_reclaimed, &old_default, &old_declined] {
        assert_eq!(s.get4(l.addr).as_ref(), Some(l), "flush removed {}", l.addr);
    }
    assert!(s.get4_by_hwaddr(&old_reclaimed.hwaddr).is_empty());
    assert_eq!(ok(s.flush_reclaimed4(200), "flush_reclaimed4 again"), 0);
    assert_eq!(s.count4(), 4);
}

fn count_and_all(s: &dyn LeaseStore) {
    assert_eq!(s.count4(), 0);
    assert!(s.all4().is_empty());
    let leases: Vec<Lease4> = (1..=20).map(lease).collect();
    for l in &leases {
        ok(s.add4(l), "add4");
    }
    assert_eq!(s.count4(), 20);
    assert_eq!(sorted(s.all4()), leases);
    ok(s.delete4(leases[0].addr), "delete4");
    assert_eq!(s.count4(), 19);
    assert_eq!(sorted(s.all4()), leases[1..].to_vec());
}

fn concurrent_writers(s: &dyn LeaseStore) {
    const THREADS: u16 = 4;
    const PER_THREAD: u16 = 100;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let n = t * PER_THREAD + i;
                    let mut l = lease(n);
                    ok(s.add4(&l), "add4");
                    l.expire += 1;
                    ok(s.update4(&l), "update4");
                    if i % 3 == 0 {
                        assert!(ok(s.delete4(l.addr), "delete4"));
                    }
                    // Readers run alongside writers.
                    let _ = s.get4_by_hwaddr(&l.hwaddr);
                    let _ = s.expired4(2000, 10);
                }
            });
        }
    });
    let expected: Vec<Lease4> = (0..THREADS * PER_THREAD)
        .filter(|n| !matches!((n % PER_THREAD) % 3, 0))
        .map(|n| {
            let mut l = lease(n);
            l.expire += 1;
            l
        })
        .collect();
    assert_eq!(s.count4(), expected.len());
    assert_eq!(sorted(s.all4()), expected);
}

fn concurrent_add_one_wins(s: &dyn LeaseStore) {
    let wins = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let wins = &wins;
            scope.spawn(move || {
                let mut l = lease(1);
                l.subnet_id = u32::from(t) + 1;
                match s.add4(&l) {
                    Ok(()) => {
                        wins.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(LeaseError::Exists(_)) => {}
                    Err(e) => panic!("add4: {e}"),
                }
            });
        }
    });
    assert_eq!(wins.load(Ordering::SeqCst), 1);
    assert_eq!(s.count4(), 1);
}
