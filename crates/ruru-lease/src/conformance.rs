//! The one test suite every [`LeaseStore`] backend must pass.
//!
//! A backend's tests call [`run_all4`] / [`run_all6`] for each family it
//! stores, with a factory that returns a fresh, empty store each time (one
//! line per backend and family). Each case checks one part of the trait's
//! contract and panics with the case name on failure. It is compiled into
//! the library (not only under `cfg(test)`) so that database backends' tests
//! can run it too.
//!
//! The contract that is the same for both families (add/get/update/delete,
//! expiry order, flushing, counting, concurrency) is written once, generic
//! over a [`Family`]; the lookups by client identifier and the lease fields
//! are per family.

use std::fmt::Debug;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Lease4, Lease6, LeaseError, LeaseState, LeaseStore, LeaseType6};

/// One conformance case: a name and a function run on a fresh empty store.
pub type Case = (&'static str, fn(&dyn LeaseStore));

/// How the shared cases drive one family's trait methods.
pub trait Family {
    type Lease: Clone + PartialEq + Debug + Send + Sync;
    /// What the trait's get/delete methods name a lease by.
    type Key: Copy + Ord + Debug + Send + Sync;
    /// A lease with a key and client identifiers of its own for each `n`,
    /// subnet 1, state Default, expiring at 1000 + n.
    fn lease(n: u16) -> Self::Lease;
    fn key(lease: &Self::Lease) -> Self::Key;
    /// `from` moved to `to`'s key; every other field stays `from`'s.
    fn rekey(from: &Self::Lease, to: &Self::Lease) -> Self::Lease;
    fn expire(lease: &mut Self::Lease) -> &mut u64;
    fn state(lease: &mut Self::Lease) -> &mut LeaseState;
    /// The leases found by `lease`'s main client identifier (hardware
    /// address for v4, DUID for v6).
    fn by_client(s: &dyn LeaseStore, lease: &Self::Lease) -> Vec<Self::Lease>;
    fn get(s: &dyn LeaseStore, key: Self::Key) -> Option<Self::Lease>;
    fn add(s: &dyn LeaseStore, lease: &Self::Lease) -> Result<(), LeaseError>;
    fn update(s: &dyn LeaseStore, lease: &Self::Lease) -> Result<(), LeaseError>;
    fn delete(s: &dyn LeaseStore, key: Self::Key) -> Result<bool, LeaseError>;
    fn expired(s: &dyn LeaseStore, now: u64, limit: usize) -> Vec<Self::Lease>;
    fn flush_reclaimed(s: &dyn LeaseStore, older_than: u64) -> Result<usize, LeaseError>;
    fn all(s: &dyn LeaseStore) -> Vec<Self::Lease>;
    fn count(s: &dyn LeaseStore) -> usize;
    /// `e` is this family's "already exists" for `key`.
    fn is_exists(e: &LeaseError, key: Self::Key) -> bool;
    /// `e` is this family's "not found" for `key`.
    fn is_not_found(e: &LeaseError, key: Self::Key) -> bool;
}

/// DHCPv4: leases named by address.
pub struct V4;

/// DHCPv6: leases named by (type, address).
pub struct V6;

impl Family for V4 {
    type Lease = Lease4;
    type Key = Ipv4Addr;
    fn lease(n: u16) -> Lease4 {
        lease4(n)
    }
    fn key(lease: &Lease4) -> Ipv4Addr {
        lease.addr
    }
    fn rekey(from: &Lease4, to: &Lease4) -> Lease4 {
        Lease4 {
            addr: to.addr,
            ..from.clone()
        }
    }
    fn expire(lease: &mut Lease4) -> &mut u64 {
        &mut lease.expire
    }
    fn state(lease: &mut Lease4) -> &mut LeaseState {
        &mut lease.state
    }
    fn by_client(s: &dyn LeaseStore, lease: &Lease4) -> Vec<Lease4> {
        s.get4_by_hwaddr(&lease.hwaddr)
    }
    fn get(s: &dyn LeaseStore, key: Ipv4Addr) -> Option<Lease4> {
        s.get4(key)
    }
    fn add(s: &dyn LeaseStore, lease: &Lease4) -> Result<(), LeaseError> {
        s.add4(lease)
    }
    fn update(s: &dyn LeaseStore, lease: &Lease4) -> Result<(), LeaseError> {
        s.update4(lease)
    }
    fn delete(s: &dyn LeaseStore, key: Ipv4Addr) -> Result<bool, LeaseError> {
        s.delete4(key)
    }
    fn expired(s: &dyn LeaseStore, now: u64, limit: usize) -> Vec<Lease4> {
        s.expired4(now, limit)
    }
    fn flush_reclaimed(s: &dyn LeaseStore, older_than: u64) -> Result<usize, LeaseError> {
        s.flush_reclaimed4(older_than)
    }
    fn all(s: &dyn LeaseStore) -> Vec<Lease4> {
        s.all4()
    }
    fn count(s: &dyn LeaseStore) -> usize {
        s.count4()
    }
    fn is_exists(e: &LeaseError, key: Ipv4Addr) -> bool {
        matches!(e, LeaseError::Exists(a) if *a == key)
    }
    fn is_not_found(e: &LeaseError, key: Ipv4Addr) -> bool {
        matches!(e, LeaseError::NotFound(a) if *a == key)
    }
}

impl Family for V6 {
    type Lease = Lease6;
    type Key = (LeaseType6, Ipv6Addr);
    fn lease(n: u16) -> Lease6 {
        lease6(n)
    }
    fn key(lease: &Lease6) -> (LeaseType6, Ipv6Addr) {
        (lease.lease_type, lease.address)
    }
    fn rekey(from: &Lease6, to: &Lease6) -> Lease6 {
        Lease6 {
            address: to.address,
            lease_type: to.lease_type,
            prefix_len: to.prefix_len,
            ..from.clone()
        }
    }
    fn expire(lease: &mut Lease6) -> &mut u64 {
        &mut lease.expire
    }
    fn state(lease: &mut Lease6) -> &mut LeaseState {
        &mut lease.state
    }
    fn by_client(s: &dyn LeaseStore, lease: &Lease6) -> Vec<Lease6> {
        s.get6_by_duid(&lease.duid)
    }
    fn get(s: &dyn LeaseStore, (t, a): (LeaseType6, Ipv6Addr)) -> Option<Lease6> {
        s.get6(t, a)
    }
    fn add(s: &dyn LeaseStore, lease: &Lease6) -> Result<(), LeaseError> {
        s.add6(lease)
    }
    fn update(s: &dyn LeaseStore, lease: &Lease6) -> Result<(), LeaseError> {
        s.update6(lease)
    }
    fn delete(s: &dyn LeaseStore, (t, a): (LeaseType6, Ipv6Addr)) -> Result<bool, LeaseError> {
        s.delete6(t, a)
    }
    fn expired(s: &dyn LeaseStore, now: u64, limit: usize) -> Vec<Lease6> {
        s.expired6(now, limit)
    }
    fn flush_reclaimed(s: &dyn LeaseStore, older_than: u64) -> Result<usize, LeaseError> {
        s.flush_reclaimed6(older_than)
    }
    fn all(s: &dyn LeaseStore) -> Vec<Lease6> {
        s.all6()
    }
    fn count(s: &dyn LeaseStore) -> usize {
        s.count6()
    }
    fn is_exists(e: &LeaseError, (_, key): (LeaseType6, Ipv6Addr)) -> bool {
        matches!(e, LeaseError::Exists6(a) if *a == key)
    }
    fn is_not_found(e: &LeaseError, (t, a): (LeaseType6, Ipv6Addr)) -> bool {
        matches!(e, LeaseError::NotFound6(et, ea) if (*et, *ea) == (t, a))
    }
}

/// Every DHCPv4 case, in the order [`run_all4`] runs them.
pub const CASES4: &[Case] = &[
    ("add_then_get", add_then_get::<V4>),
    ("add_existing_is_exists", add_existing_is_exists::<V4>),
    ("update_replaces", update_replaces4),
    ("update_if_compares", update_if_compares4),
    (
        "update_missing_is_not_found",
        update_missing_is_not_found::<V4>,
    ),
    ("delete", delete::<V4>),
    ("fields_round_trip", fields_round_trip4),
    ("get_by_hwaddr_across_subnets", get_by_hwaddr_across_subnets),
    (
        "get_by_client_id_across_subnets",
        get_by_client_id_across_subnets,
    ),
    ("get_client_in_one_call", get_client_in_one_call),
    ("expired_order_and_limit", expired_order_and_limit::<V4>),
    ("expired_states", expired_states::<V4>),
    ("flush_reclaimed", flush_reclaimed::<V4>),
    ("count_and_all", count_and_all::<V4>),
    ("concurrent_writers", concurrent_writers::<V4>),
    ("concurrent_add_one_wins", concurrent_add_one_wins::<V4>),
];

/// Every DHCPv6 case, in the order [`run_all6`] runs them.
pub const CASES6: &[Case] = &[
    ("add_then_get", add_then_get::<V6>),
    ("add_existing_is_exists", add_existing_is_exists::<V6>),
    ("update_replaces", update_replaces6),
    ("update_if_compares", update_if_compares6),
    (
        "update_missing_is_not_found",
        update_missing_is_not_found::<V6>,
    ),
    ("delete", delete::<V6>),
    ("type_names_the_lease", type_names_the_lease),
    ("fields_round_trip", fields_round_trip6),
    ("invalid_leases_are_refused", invalid_leases_are_refused),
    ("get_by_duid_iaid", get_by_duid_iaid),
    ("get_by_duid", get_by_duid),
    ("expired_order_and_limit", expired_order_and_limit::<V6>),
    ("expired_states", expired_states::<V6>),
    ("flush_reclaimed", flush_reclaimed::<V6>),
    ("count_and_all", count_and_all::<V6>),
    ("concurrent_writers", concurrent_writers::<V6>),
    ("concurrent_add_one_wins", concurrent_add_one_wins::<V6>),
];

fn run(
    family: &str,
    cases: &[Case],
    count: fn(&dyn LeaseStore) -> usize,
    make: &dyn Fn() -> Box<dyn LeaseStore>,
) {
    for (name, case) in cases {
        let store = make();
        assert_eq!(
            count(store.as_ref()),
            0,
            "{family} {name}: the factory must return an empty store"
        );
        tracing::debug!(family, case = name, "conformance");
        case(store.as_ref());
    }
}

/// Runs every DHCPv4 case, each on a store fresh from `make`.
pub fn run_all4(make: &dyn Fn() -> Box<dyn LeaseStore>) {
    run("DHCPv4", CASES4, |s| s.count4(), make);
}

/// Runs every DHCPv6 case, each on a store fresh from `make`.
pub fn run_all6(make: &dyn Fn() -> Box<dyn LeaseStore>) {
    run("DHCPv6", CASES6, |s| s.count6(), make);
}

/// A lease for 10.0.<n/256>.<n%256> with distinct identifiers per `n`,
/// subnet 1, expiring at 1000 + n.
pub fn lease4(n: u16) -> Lease4 {
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
        pool_id: 0,
    }
}

/// An IA_NA lease for `2001:db8::n` with its own DUID (DUID-LL of
/// `02:00:00:00:n`), IAID `n`, subnet 1, expiring at 1000 + n.
pub fn lease6(n: u16) -> Lease6 {
    let [hi, lo] = n.to_be_bytes();
    Lease6 {
        address: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n),
        duid: vec![0x00, 0x03, 0x00, 0x01, 0x02, 0, 0, 0, hi, lo],
        valid_lifetime: 3600,
        expire: 1000 + u64::from(n),
        subnet_id: 1,
        pref_lifetime: 1800,
        lease_type: LeaseType6::Na,
        iaid: u32::from(n),
        prefix_len: 128,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        hwaddr: vec![0x02, 0, 0, 0, hi, lo],
        state: LeaseState::Default,
        user_context: String::new(),
        hwtype: 1,
        hwaddr_source: 0,
        pool_id: 0,
    }
}

/// A prefix delegation lease for `2001:db8:n::/48`, otherwise [`lease6`].
pub fn prefix6(n: u16) -> Lease6 {
    Lease6 {
        address: Ipv6Addr::new(0x2001, 0xdb8, n, 0, 0, 0, 0, 0),
        lease_type: LeaseType6::Pd,
        prefix_len: 48,
        ..lease6(n)
    }
}

fn ok<T>(r: Result<T, LeaseError>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: unexpected error: {e}"),
    }
}

fn sorted<F: Family>(mut v: Vec<F::Lease>) -> Vec<F::Lease> {
    v.sort_by_key(|l| F::key(l));
    v
}

fn mk<F: Family>(n: u16, expire: u64, state: LeaseState) -> F::Lease {
    let mut l = F::lease(n);
    *F::expire(&mut l) = expire;
    *F::state(&mut l) = state;
    l
}

// --- Shared cases ---

fn add_then_get<F: Family>(s: &dyn LeaseStore) {
    let l = F::lease(1);
    assert_eq!(F::get(s, F::key(&l)), None);
    ok(F::add(s, &l), "add");
    assert_eq!(F::get(s, F::key(&l)), Some(l.clone()));
    assert_eq!(F::get(s, F::key(&F::lease(2))), None);
    assert_eq!(F::by_client(s, &l), vec![l]);
}

fn add_existing_is_exists<F: Family>(s: &dyn LeaseStore) {
    let l = F::lease(1);
    ok(F::add(s, &l), "add");
    let other = F::lease(2);
    let clash = F::rekey(&other, &l);
    match F::add(s, &clash) {
        Err(e) if F::is_exists(&e, F::key(&l)) => {}
        r => panic!("second add of {:?}: expected exists, got {r:?}", F::key(&l)),
    }
    assert_eq!(
        F::get(s, F::key(&l)),
        Some(l.clone()),
        "a failed add must not change the lease"
    );
    assert!(F::by_client(s, &other).is_empty());
    assert_eq!(F::count(s), 1);
}

fn update_missing_is_not_found<F: Family>(s: &dyn LeaseStore) {
    let l = F::lease(1);
    match F::update(s, &l) {
        Err(e) if F::is_not_found(&e, F::key(&l)) => {}
        r => panic!("update of a missing lease: expected not found, got {r:?}"),
    }
    assert_eq!(
        F::get(s, F::key(&l)),
        None,
        "a failed update must not add a lease"
    );
    assert_eq!(F::count(s), 0);
}

fn delete<F: Family>(s: &dyn LeaseStore) {
    let (a, b) = (F::lease(1), F::lease(2));
    ok(F::add(s, &a), "add");
    ok(F::add(s, &b), "add");
    assert!(ok(F::delete(s, F::key(&a)), "delete"));
    assert_eq!(F::get(s, F::key(&a)), None);
    assert!(F::by_client(s, &a).is_empty());
    assert!(F::expired(s, u64::MAX, 0)
        .iter()
        .all(|l| F::key(l) != F::key(&a)));
    assert!(!ok(F::delete(s, F::key(&a)), "second delete"));
    assert_eq!(F::get(s, F::key(&b)), Some(b));
    assert_eq!(F::count(s), 1);
    // The address can be leased again.
    ok(F::add(s, &a), "add after delete");
    assert_eq!(F::get(s, F::key(&a)), Some(a));
}

fn expired_order_and_limit<F: Family>(s: &dyn LeaseStore) {
    // Expiry times deliberately not in key order.
    let expires = [(1, 500), (2, 300), (3, 400), (4, 100), (5, 900)];
    for (n, expire) in expires {
        ok(F::add(s, &mk::<F>(n, expire, LeaseState::Default)), "add");
    }
    let times = |v: Vec<F::Lease>| {
        v.into_iter()
            .map(|mut l| *F::expire(&mut l))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        times(F::expired(s, 500, 0)),
        vec![100, 300, 400, 500],
        "<= now, oldest first"
    );
    assert_eq!(times(F::expired(s, 499, 0)), vec![100, 300, 400]);
    assert_eq!(times(F::expired(s, 500, 2)), vec![100, 300], "limit");
    assert_eq!(times(F::expired(s, 99, 0)), Vec::<u64>::new());
    assert_eq!(F::expired(s, u64::MAX, 0).len(), 5);
    // Renewing moves a lease out of the expired set.
    ok(
        F::update(s, &mk::<F>(4, 10_000, LeaseState::Default)),
        "update",
    );
    assert_eq!(times(F::expired(s, 500, 0)), vec![300, 400, 500]);
}

fn expired_states<F: Family>(s: &dyn LeaseStore) {
    let d = mk::<F>(1, 100, LeaseState::Default);
    let declined = mk::<F>(2, 200, LeaseState::Declined);
    let reclaimed = mk::<F>(3, 50, LeaseState::ExpiredReclaimed);
    for l in [&d, &declined, &reclaimed] {
        ok(F::add(s, l), "add");
    }
    assert_eq!(F::expired(s, 1000, 0), vec![d.clone(), declined.clone()]);
    // Reclaiming removes it from the candidates.
    let mut r = d.clone();
    *F::state(&mut r) = LeaseState::ExpiredReclaimed;
    ok(F::update(s, &r), "update");
    assert_eq!(F::expired(s, 1000, 0), vec![declined]);
}

fn flush_reclaimed<F: Family>(s: &dyn LeaseStore) {
    let old_reclaimed = mk::<F>(1, 100, LeaseState::ExpiredReclaimed);
    let old_reclaimed2 = mk::<F>(2, 150, LeaseState::ExpiredReclaimed);
    let edge_reclaimed = mk::<F>(3, 200, LeaseState::ExpiredReclaimed);
    let new_reclaimed = mk::<F>(4, 300, LeaseState::ExpiredReclaimed);
    let old_default = mk::<F>(5, 100, LeaseState::Default);
    let old_declined = mk::<F>(6, 100, LeaseState::Declined);
    let all = [
        &old_reclaimed,
        &old_reclaimed2,
        &edge_reclaimed,
        &new_reclaimed,
        &old_default,
        &old_declined,
    ];
    for l in all {
        ok(F::add(s, l), "add");
    }
    assert_eq!(ok(F::flush_reclaimed(s, 200), "flush_reclaimed"), 2);
    assert_eq!(F::get(s, F::key(&old_reclaimed)), None);
    assert_eq!(F::get(s, F::key(&old_reclaimed2)), None);
    for l in [&edge_reclaimed, &new_reclaimed, &old_default, &old_declined] {
        assert_eq!(
            F::get(s, F::key(l)).as_ref(),
            Some(l),
            "flush removed {:?}",
            F::key(l)
        );
    }
    assert!(F::by_client(s, &old_reclaimed).is_empty());
    assert_eq!(ok(F::flush_reclaimed(s, 200), "flush_reclaimed again"), 0);
    assert_eq!(F::count(s), 4);
}

fn count_and_all<F: Family>(s: &dyn LeaseStore) {
    assert_eq!(F::count(s), 0);
    assert!(F::all(s).is_empty());
    let leases: Vec<F::Lease> = (1..=20).map(F::lease).collect();
    for l in &leases {
        ok(F::add(s, l), "add");
    }
    assert_eq!(F::count(s), 20);
    assert_eq!(sorted::<F>(F::all(s)), leases);
    ok(F::delete(s, F::key(&leases[0])), "delete");
    assert_eq!(F::count(s), 19);
    assert_eq!(sorted::<F>(F::all(s)), leases[1..].to_vec());
}

fn concurrent_writers<F: Family>(s: &dyn LeaseStore) {
    const THREADS: u16 = 4;
    const PER_THREAD: u16 = 100;
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let n = t * PER_THREAD + i;
                    let mut l = F::lease(n);
                    ok(F::add(s, &l), "add");
                    *F::expire(&mut l) += 1;
                    ok(F::update(s, &l), "update");
                    if i % 3 == 0 {
                        assert!(ok(F::delete(s, F::key(&l)), "delete"));
                    }
                    // Readers run alongside writers.
                    let _ = F::by_client(s, &l);
                    let _ = F::expired(s, 2000, 10);
                }
            });
        }
    });
    let expected: Vec<F::Lease> = (0..THREADS * PER_THREAD)
        .filter(|n| !matches!((n % PER_THREAD) % 3, 0))
        .map(|n| {
            let mut l = F::lease(n);
            *F::expire(&mut l) += 1;
            l
        })
        .collect();
    assert_eq!(F::count(s), expected.len());
    assert_eq!(sorted::<F>(F::all(s)), sorted::<F>(expected));
}

fn concurrent_add_one_wins<F: Family>(s: &dyn LeaseStore) {
    let wins = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let wins = &wins;
            scope.spawn(move || {
                // The same key, each thread with other identifiers.
                let l = F::rekey(&F::lease(t + 10), &F::lease(1));
                match F::add(s, &l) {
                    Ok(()) => {
                        wins.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if F::is_exists(&e, F::key(&l)) => {}
                    Err(e) => panic!("add: {e}"),
                }
            });
        }
    });
    assert_eq!(wins.load(Ordering::SeqCst), 1);
    assert_eq!(F::count(s), 1);
}

// --- DHCPv4 cases ---

fn update_replaces4(s: &dyn LeaseStore) {
    let l = lease4(1);
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

/// `update4_if` writes only over the lease it was given, and of two writers
/// that read the same lease exactly one wins.
fn update_if_compares4(s: &dyn LeaseStore) {
    let old = lease4(1);
    ok(s.add4(&old), "add4");
    let mut mine = lease4(2);
    mine.addr = old.addr;
    mine.expire = 9000;
    let mut stale = old.clone();
    stale.expire += 1;
    assert!(!ok(s.update4_if(&mine, &stale), "update4_if stale"));
    assert_eq!(s.get4(old.addr), Some(old.clone()), "a failed swap wrote");
    let mut no_cid = old.clone();
    no_cid.client_id = None;
    assert!(!ok(
        s.update4_if(&mine, &no_cid),
        "update4_if other client id"
    ));
    assert!(ok(s.update4_if(&mine, &old), "update4_if"));
    assert_eq!(s.get4(old.addr), Some(mine.clone()));
    assert!(
        !ok(s.update4_if(&mine, &old), "update4_if again"),
        "swapped twice"
    );
    let gone = lease4(3);
    assert!(!ok(s.update4_if(&gone, &gone), "update4_if missing"));
    assert_eq!(s.get4(gone.addr), None);
    // Concurrent takeovers of one lease: one wins.
    let wins = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let (wins, mine) = (&wins, &mine);
            scope.spawn(move || {
                let mut l = lease4(10 + t);
                l.addr = mine.addr;
                if ok(s.update4_if(&l, mine), "concurrent update4_if") {
                    wins.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(wins.load(Ordering::SeqCst), 1);
}

/// `update6_if` writes only over the lease it was given (exactly: any
/// field that changed fails the swap), and of two writers that read the
/// same lease exactly one wins.
fn update_if_compares6(s: &dyn LeaseStore) {
    let old = lease6(1);
    ok(s.add6(&old), "add6");
    let mut mine = lease6(2);
    mine.address = old.address;
    mine.lease_type = old.lease_type;
    mine.prefix_len = old.prefix_len;
    mine.expire = 9000;
    let mut stale = old.clone();
    stale.expire += 1;
    assert!(!ok(s.update6_if(&mine, &stale), "update6_if stale"));
    assert_eq!(
        s.get6(old.lease_type, old.address),
        Some(old.clone()),
        "a failed swap wrote"
    );
    assert!(ok(s.update6_if(&mine, &old), "update6_if"));
    assert_eq!(s.get6(old.lease_type, old.address), Some(mine.clone()));
    assert!(
        !ok(s.update6_if(&mine, &old), "update6_if again"),
        "swapped twice"
    );
    let gone = lease6(3);
    assert!(!ok(s.update6_if(&gone, &gone), "update6_if missing"));
    assert_eq!(s.get6(gone.lease_type, gone.address), None);
    // Any other field of the stored lease fails the swap.
    type Change = (&'static str, fn(&mut Lease6));
    let changes: [Change; 4] = [
        ("duid", |l| l.duid = vec![0, 3, 0, 1, 9, 9, 9, 9]),
        ("iaid", |l| l.iaid += 1),
        ("hostname", |l| l.hostname = "other.example.org.".into()),
        ("state", |l| l.state = LeaseState::Declined),
    ];
    for (field, change) in changes {
        let mut other = mine.clone();
        change(&mut other);
        let mut next = mine.clone();
        next.expire += 100;
        assert!(
            !ok(s.update6_if(&next, &other), "update6_if other field"),
            "swapped over a lease with another {field}"
        );
        assert_eq!(s.get6(mine.lease_type, mine.address), Some(mine.clone()));
    }
    // Concurrent takeovers of one lease: one wins.
    let wins = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..4u16 {
            let (wins, mine) = (&wins, &mine);
            scope.spawn(move || {
                let mut l = lease6(10 + t);
                l.address = mine.address;
                if ok(s.update6_if(&l, mine), "concurrent update6_if") {
                    wins.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(wins.load(Ordering::SeqCst), 1);
}

fn fields_round_trip4(s: &dyn LeaseStore) {
    let mut l = lease4(7);
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
    let mut m = lease4(8);
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
    let a = lease4(1);
    let mut b = lease4(2);
    b.hwaddr = a.hwaddr.clone();
    b.subnet_id = 2;
    let c = lease4(3);
    for l in [&a, &b, &c] {
        ok(s.add4(l), "add4");
    }
    assert_eq!(
        sorted::<V4>(s.get4_by_hwaddr(&a.hwaddr)),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(s.get4_by_hwaddr(&c.hwaddr), vec![c]);
    assert!(s.get4_by_hwaddr(&[1, 2, 3, 4, 5, 6]).is_empty());
    ok(s.delete4(b.addr), "delete4");
    assert_eq!(s.get4_by_hwaddr(&a.hwaddr), vec![a]);
}

fn get_by_client_id_across_subnets(s: &dyn LeaseStore) {
    let a = lease4(1);
    let mut b = lease4(2);
    b.client_id = a.client_id.clone();
    b.subnet_id = 2;
    let mut c = lease4(3);
    c.client_id = None;
    for l in [&a, &b, &c] {
        ok(s.add4(l), "add4");
    }
    let cid = a.client_id.clone().unwrap_or_default();
    assert_eq!(
        sorted::<V4>(s.get4_by_client_id(&cid)),
        vec![a.clone(), b.clone()]
    );
    assert!(s.get4_by_client_id(&[1, 2, 3]).is_empty());
    let mut b2 = b.clone();
    b2.client_id = Some(vec![9, 9, 9]);
    ok(s.update4(&b2), "update4");
    assert_eq!(s.get4_by_client_id(&cid), vec![a]);
    assert_eq!(s.get4_by_client_id(&[9, 9, 9]), vec![b2]);
}

/// `get4_client`: the leases by client id, by hardware address and the
/// address's, each once; what is not asked for (None, empty) matches
/// nothing, a lease without client id included.
fn get_client_in_one_call(s: &dyn LeaseStore) {
    let a = lease4(1);
    // b: a's hardware address, another client id, another subnet.
    let mut b = lease4(2);
    b.hwaddr = a.hwaddr.clone();
    b.subnet_id = 2;
    // c: a's client id, another hardware address.
    let mut c = lease4(3);
    c.client_id = a.client_id.clone();
    // d: no client id; e: someone else's.
    let mut d = lease4(4);
    d.client_id = None;
    let e = lease4(5);
    for l in [&a, &b, &c, &d, &e] {
        ok(s.add4(l), "add4");
    }
    let cid = a.client_id.clone().unwrap_or_default();
    let got = |c: Option<&[u8]>, hw: &[u8], addr| sorted::<V4>(s.get4_client(c, hw, addr));
    assert_eq!(
        got(Some(&cid), &a.hwaddr, None),
        vec![a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        got(Some(&cid), &a.hwaddr, Some(e.addr)),
        vec![a.clone(), b.clone(), c.clone(), e.clone()]
    );
    // The address of a lease also found by identifier: once.
    assert_eq!(
        got(None, &a.hwaddr, Some(a.addr)),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(got(Some(&[]), &[], Some(d.addr)), vec![d.clone()]);
    assert_eq!(got(Some(&cid), &[], None), vec![a.clone(), c]);
    assert!(
        got(None, &[], None).is_empty(),
        "nothing asked, nothing found"
    );
    assert!(got(Some(&[7, 7]), &[1, 2, 3], Some(Ipv4Addr::new(10, 9, 9, 9))).is_empty());
}

// --- DHCPv6 cases ---

fn update_replaces6(s: &dyn LeaseStore) {
    let l = lease6(1);
    ok(s.add6(&l), "add6");
    let mut u = l.clone();
    u.expire += 500;
    u.duid = vec![0x00, 0x02, 0x00, 0x00, 0x09, 0xbf, 0x01];
    u.iaid = 77;
    u.hwaddr.clear();
    u.hwtype = 0;
    u.hostname = "renewed".into();
    ok(s.update6(&u), "update6");
    assert_eq!(s.get6(LeaseType6::Na, l.address), Some(u.clone()));
    assert!(s.get6_by_duid(&l.duid).is_empty(), "old DUID still indexed");
    assert!(
        s.get6_by_duid_iaid(LeaseType6::Na, &l.duid, l.iaid)
            .is_empty(),
        "old IA still indexed"
    );
    assert_eq!(s.get6_by_duid(&u.duid), vec![u.clone()]);
    assert_eq!(s.get6_by_duid_iaid(LeaseType6::Na, &u.duid, 77), vec![u]);
    assert_eq!(s.count6(), 1);
}

/// A lease is named by (type, address); an address holds one lease.
fn type_names_the_lease(s: &dyn LeaseStore) {
    let na = lease6(1);
    ok(s.add6(&na), "add6");
    assert_eq!(s.get6(LeaseType6::Pd, na.address), None);
    assert_eq!(s.get6(LeaseType6::Ta, na.address), None);
    let mut ta = na.clone();
    ta.lease_type = LeaseType6::Ta;
    match s.update6(&ta) {
        Err(LeaseError::NotFound6(LeaseType6::Ta, a)) => assert_eq!(a, na.address),
        r => panic!("update6 of the wrong type: expected NotFound6, got {r:?}"),
    }
    assert!(!ok(
        s.delete6(LeaseType6::Pd, na.address),
        "delete6 of the wrong type"
    ));
    match s.add6(&ta) {
        Err(LeaseError::Exists6(a)) => assert_eq!(a, na.address),
        r => panic!("add6 of another type at a leased address: expected Exists6, got {r:?}"),
    }
    assert_eq!(s.all6(), vec![na.clone()]);
    // A prefix and an address of the same client live side by side.
    let pd = prefix6(1);
    ok(s.add6(&pd), "add6 prefix");
    assert_eq!(s.get6(LeaseType6::Pd, pd.address), Some(pd.clone()));
    assert_eq!(s.get6(LeaseType6::Na, pd.address), None);
    assert!(ok(s.delete6(LeaseType6::Na, na.address), "delete6"));
    assert_eq!(s.all6(), vec![pd]);
}

fn fields_round_trip6(s: &dyn LeaseStore) {
    let mut l = lease6(7);
    l.duid = (0..=127).collect();
    l.valid_lifetime = u32::MAX;
    l.pref_lifetime = u32::MAX - 1;
    l.expire = 1_700_000_000 + u64::from(u32::MAX);
    l.subnet_id = u32::MAX;
    l.iaid = u32::MAX;
    l.fqdn_fwd = true;
    l.fqdn_rev = true;
    l.hostname = "a,b&c&#x2c.example.org.".into();
    l.hwaddr = vec![0xaa; 20];
    l.hwtype = 6;
    l.hwaddr_source = 0x40;
    l.state = LeaseState::ExpiredReclaimed;
    l.user_context = r#"{"comment": "x,y", "n": [1, 2]}"#.into();
    ok(s.add6(&l), "add6");
    assert_eq!(s.get6(LeaseType6::Na, l.address), Some(l.clone()));
    let mut ta = lease6(8);
    ta.lease_type = LeaseType6::Ta;
    ok(s.add6(&ta), "add6 temporary");
    assert_eq!(s.get6(LeaseType6::Ta, ta.address), Some(ta));
    let mut pd = prefix6(9);
    pd.prefix_len = 0;
    ok(s.add6(&pd), "add6 prefix");
    assert_eq!(s.get6(LeaseType6::Pd, pd.address), Some(pd));
    // Without a hardware address, its type and source are stored as 0.
    let mut m = lease6(10);
    m.hwaddr.clear();
    m.hwtype = 1;
    m.hwaddr_source = 4;
    ok(s.add6(&m), "add6 without hwaddr");
    let got = s.get6(LeaseType6::Na, m.address);
    m.hwtype = 0;
    m.hwaddr_source = 0;
    assert_eq!(got, Some(m));
    // A declined lease carries Kea's empty DUID, which finds nothing.
    let mut d = lease6(11);
    d.duid = vec![0];
    d.state = LeaseState::Declined;
    ok(s.add6(&d), "add6 declined");
    assert_eq!(s.get6(LeaseType6::Na, d.address), Some(d));
    assert!(
        s.get6_by_duid(&[0]).is_empty(),
        "the empty DUID matches nothing"
    );
    assert!(s.get6_by_duid(&[]).is_empty());
}

fn invalid_leases_are_refused(s: &dyn LeaseStore) {
    let mut no_duid = lease6(1);
    no_duid.duid.clear();
    let mut empty_duid = lease6(2);
    empty_duid.duid = vec![0];
    let mut long_duid = lease6(3);
    long_duid.duid = vec![1; 129];
    let mut bad_len = lease6(4);
    bad_len.prefix_len = 64;
    let mut bad_context = lease6(5);
    bad_context.user_context = "[1]".into();
    for l in [&no_duid, &empty_duid, &long_duid, &bad_len, &bad_context] {
        match s.add6(l) {
            Err(LeaseError::Invalid(_)) => {}
            r => panic!("add6 of {l:?}: expected Invalid, got {r:?}"),
        }
        assert_eq!(s.get6(l.lease_type, l.address), None);
    }
    assert_eq!(s.count6(), 0);
    let good = lease6(1);
    ok(s.add6(&good), "add6");
    match s.update6(&no_duid) {
        Err(LeaseError::Invalid(_)) => {}
        r => panic!("update6 without DUID: expected Invalid, got {r:?}"),
    }
    assert_eq!(s.get6(LeaseType6::Na, good.address), Some(good));
    // Declining without a DUID is how Kea declines: it gets the empty DUID.
    let mut declined = no_duid.clone();
    declined.state = LeaseState::Declined;
    ok(s.update6(&declined), "update6 declined without DUID");
    declined.duid = vec![0];
    assert_eq!(s.get6(LeaseType6::Na, declined.address), Some(declined));
}

fn get_by_duid_iaid(s: &dyn LeaseStore) {
    let a = lease6(1);
    // The same IA in another subnet.
    let mut b = lease6(2);
    b.duid = a.duid.clone();
    b.iaid = a.iaid;
    b.subnet_id = 2;
    // Same DUID, another IAID; same DUID and IAID, but a prefix.
    let mut c = lease6(3);
    c.duid = a.duid.clone();
    let mut p = prefix6(4);
    p.duid = a.duid.clone();
    p.iaid = a.iaid;
    let other = lease6(5);
    for l in [&a, &b, &c, &p, &other] {
        ok(s.add6(l), "add6");
    }
    assert_eq!(
        sorted::<V6>(s.get6_by_duid_iaid(LeaseType6::Na, &a.duid, a.iaid)),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        s.get6_by_duid_iaid(LeaseType6::Na, &a.duid, c.iaid),
        vec![c]
    );
    assert_eq!(
        s.get6_by_duid_iaid(LeaseType6::Pd, &a.duid, a.iaid),
        vec![p]
    );
    assert!(s
        .get6_by_duid_iaid(LeaseType6::Ta, &a.duid, a.iaid)
        .is_empty());
    assert!(s
        .get6_by_duid_iaid(LeaseType6::Na, &other.duid, a.iaid)
        .is_empty());
    assert!(s
        .get6_by_duid_iaid(LeaseType6::Na, &[1, 2, 3], a.iaid)
        .is_empty());
    ok(s.delete6(LeaseType6::Na, b.address), "delete6");
    assert_eq!(
        s.get6_by_duid_iaid(LeaseType6::Na, &a.duid, a.iaid),
        vec![a]
    );
}

fn get_by_duid(s: &dyn LeaseStore) {
    let a = lease6(1);
    let mut b = prefix6(2);
    b.duid = a.duid.clone();
    b.subnet_id = 2;
    let mut t = lease6(3);
    t.duid = a.duid.clone();
    t.lease_type = LeaseType6::Ta;
    let other = lease6(4);
    for l in [&a, &b, &t, &other] {
        ok(s.add6(l), "add6");
    }
    assert_eq!(
        sorted::<V6>(s.get6_by_duid(&a.duid)),
        sorted::<V6>(vec![a.clone(), b.clone(), t.clone()])
    );
    assert_eq!(s.get6_by_duid(&other.duid), vec![other]);
    assert!(s.get6_by_duid(&[1, 2, 3]).is_empty());
    let mut b2 = b.clone();
    b2.duid = vec![9, 9, 9];
    ok(s.update6(&b2), "update6");
    assert_eq!(
        sorted::<V6>(s.get6_by_duid(&a.duid)),
        sorted::<V6>(vec![a, t])
    );
    assert_eq!(s.get6_by_duid(&[9, 9, 9]), vec![b2]);
}
