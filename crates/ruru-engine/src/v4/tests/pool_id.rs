//! Kea 2.4+'s `pool-id`: each lease stores the id of the pool its address
//! came from; an address in no pool keeps the id its lease had.

use super::*;

#[test]
fn leases_carry_their_pools_id() {
    let mut cfg = (*engine().cfg).clone();
    cfg.subnets[0].pools[0].id = 42;
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    assert_eq!(s.get4(a).unwrap().pool_id, 42);
    // The reservation (192.0.2.10) is outside the pool: no pool id...
    let r = dora(&e, &s, 0xaa);
    assert_eq!(r, Ipv4Addr::new(192, 0, 2, 10));
    assert_eq!(s.get4(r).unwrap().pool_id, 0);
    // ...unless its lease had one (Kea keeps it for an address in no pool).
    let mut l = s.get4(r).unwrap();
    l.pool_id = 9;
    s.update4(&l).unwrap();
    assert_eq!(dora(&e, &s, 0xaa), r);
    assert_eq!(s.get4(r).unwrap().pool_id, 9);
}
