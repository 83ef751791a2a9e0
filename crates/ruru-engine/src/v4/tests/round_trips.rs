//! How many times a DORA asks the lease store: with a SQL database each
//! call is a round trip to the database, the most of what an exchange
//! costs. A store that counts its calls, without memfile's block index (as
//! the SQL stores).

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct Counts {
    by_addr: AtomicUsize,
    by_client_id: AtomicUsize,
    by_hwaddr: AtomicUsize,
    by_client: AtomicUsize,
    writes: AtomicUsize,
}

struct Counting {
    inner: Memfile,
    n: Counts,
}

fn bump(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl LeaseStore for Counting {
    fn get4(&self, addr: Ipv4Addr) -> Option<ruru_lease::Lease4> {
        bump(&self.n.by_addr);
        self.inner.get4(addr)
    }
    fn get4_by_client_id(&self, id: &[u8]) -> Vec<ruru_lease::Lease4> {
        bump(&self.n.by_client_id);
        self.inner.get4_by_client_id(id)
    }
    fn get4_by_hwaddr(&self, hw: &[u8]) -> Vec<ruru_lease::Lease4> {
        bump(&self.n.by_hwaddr);
        self.inner.get4_by_hwaddr(hw)
    }
    fn get4_client(
        &self,
        client_id: Option<&[u8]>,
        hwaddr: &[u8],
        addr: Option<Ipv4Addr>,
    ) -> Vec<ruru_lease::Lease4> {
        bump(&self.n.by_client);
        self.inner.get4_client(client_id, hwaddr, addr)
    }
    fn add4(&self, l: &ruru_lease::Lease4) -> Result<(), ruru_lease::LeaseError> {
        bump(&self.n.writes);
        self.inner.add4(l)
    }
    fn update4_if(
        &self,
        l: &ruru_lease::Lease4,
        old: &ruru_lease::Lease4,
    ) -> Result<bool, ruru_lease::LeaseError> {
        bump(&self.n.writes);
        self.inner.update4_if(l, old)
    }
}

fn counts(s: &Counting) -> [usize; 4] {
    let g = |c: &AtomicUsize| c.swap(0, Ordering::Relaxed);
    [
        g(&s.n.by_addr),
        g(&s.n.by_client_id) + g(&s.n.by_client),
        g(&s.n.by_hwaddr),
        g(&s.n.writes),
    ]
}

#[test]
fn a_new_clients_dora_asks_the_store_few_times() {
    let e = engine();
    let s = Counting {
        inner: Memfile::open(None).unwrap(),
        n: Counts::default(),
    };
    let a = dora(&e, &s, 1);
    assert_eq!(
        s.inner.get4(a).map(|l| l.hwaddr),
        Some(vec![2, 0, 0, 0, 0, 1])
    );
    // [by address, the client's (get4_client or by client id), by hardware
    // address, writes]: the DISCOVER reads the client's leases with the
    // lease of the address its pool search looks at first; the REQUEST
    // reads the client's leases and the requested address's at once, then
    // writes. Three round trips to a SQL database (there were seven with a
    // client identifier, five without).
    assert_eq!(counts(&s), [0, 2, 0, 1]);

    // A client with a client identifier (as perfdhcp's), whose pool
    // search finds its first candidate taken (by another server's client):
    // the next candidate is read on its own.
    let other = ruru_lease::Lease4 {
        addr: Ipv4Addr::from(u32::from(a) + 1),
        hwaddr: vec![2, 9, 9, 9, 9, 9],
        ..s.inner.get4(a).unwrap()
    };
    s.inner.add4(&other).unwrap();
    let offer = reply(run(
        &e,
        &s,
        &with_client_id(msg(MessageType::Discover, 2)),
        NOW,
    ));
    assert_eq!(u32::from(offer.yiaddr()), u32::from(other.addr) + 1);
    let mut r = with_client_id(msg(MessageType::Request, 2));
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let ack = reply(run(&e, &s, &r, NOW));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(
        s.inner.get4(ack.yiaddr()).and_then(|l| l.client_id),
        Some(vec![1, 2, 0, 0, 0, 0, 2])
    );
    assert_eq!(counts(&s), [1, 2, 0, 1]);

    // Its renewal (RENEWING: ciaddr, unicast): one read, one write.
    let mut renew = with_client_id(msg(MessageType::Request, 2));
    renew.set_ciaddr(ack.yiaddr());
    let ack = reply(run(&e, &s, &renew, NOW + 100));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(counts(&s), [0, 1, 0, 1]);
}

fn with_client_id(mut m: v4::Message) -> v4::Message {
    let mac = m.chaddr()[5];
    m.opts_mut()
        .insert(DhcpOption::ClientIdentifier(vec![1, 2, 0, 0, 0, 0, mac]));
    m
}
