//! A lease store that records what one packet changed: HA sends exactly
//! those changes to the partner before the reply leaves. It passes every
//! call to the real store and notes each successful write (the lease as
//! written) and each delete (the lease as it was).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

use ruru_lease::{Block4, Lease4, Lease6, LeaseError, LeaseStore, LeaseType6};

/// One change a packet made.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Put4(Lease4),
    Del4(Lease4),
    Put6(Lease6),
    Del6(Lease6),
}

/// The recording wrapper of one packet's store.
pub struct Recorder<'a> {
    inner: &'a dyn LeaseStore,
    changes: Mutex<Vec<Change>>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn LeaseStore) -> Self {
        Recorder {
            inner,
            changes: Mutex::new(Vec::new()),
        }
    }

    /// The changes so far, in order; a lease written twice appears once,
    /// as last written.
    pub fn take(&self) -> Vec<Change> {
        last_of_each(std::mem::take(&mut *crate::lock(&self.changes)))
    }

    fn note(&self, c: Change) {
        crate::lock(&self.changes).push(c);
    }
}

/// `changes` with each lease once, at the place and as of its last change.
pub fn last_of_each(changes: Vec<Change>) -> Vec<Change> {
    let mut out: Vec<Change> = Vec::with_capacity(changes.len());
    for c in changes {
        out.retain(|o| !same_lease(o, &c));
        out.push(c);
    }
    out
}

fn same_lease(a: &Change, b: &Change) -> bool {
    match (a, b) {
        (Change::Put4(x) | Change::Del4(x), Change::Put4(y) | Change::Del4(y)) => x.addr == y.addr,
        (Change::Put6(x) | Change::Del6(x), Change::Put6(y) | Change::Del6(y)) => {
            x.address == y.address && x.lease_type == y.lease_type
        }
        _ => false,
    }
}

impl LeaseStore for Recorder<'_> {
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
        self.inner.get4(addr)
    }
    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
        self.inner.get4_by_client_id(client_id)
    }
    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
        self.inner.get4_by_hwaddr(hwaddr)
    }
    fn get4_client(
        &self,
        client_id: Option<&[u8]>,
        hwaddr: &[u8],
        addr: Option<Ipv4Addr>,
    ) -> Vec<Lease4> {
        self.inner.get4_client(client_id, hwaddr, addr)
    }
    fn leased_in_block4(&self, first: Ipv4Addr) -> Option<Block4> {
        self.inner.leased_in_block4(first)
    }
    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        self.inner.add4(lease)?;
        self.note(Change::Put4(lease.clone()));
        Ok(())
    }
    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        self.inner.update4(lease)?;
        self.note(Change::Put4(lease.clone()));
        Ok(())
    }
    fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
        let done = self.inner.update4_if(lease, old)?;
        if done {
            self.note(Change::Put4(lease.clone()));
        }
        Ok(done)
    }
    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
        let old = self.inner.get4(addr);
        let done = self.inner.delete4(addr)?;
        if let (true, Some(old)) = (done, old) {
            self.note(Change::Del4(old));
        }
        Ok(done)
    }
    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
        self.inner.expired4(now, limit)
    }
    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
        self.inner.flush_reclaimed4(older_than)
    }
    fn all4(&self) -> Vec<Lease4> {
        self.inner.all4()
    }
    fn for_each4(&self, f: &mut dyn FnMut(&Lease4)) {
        self.inner.for_each4(f)
    }
    fn count4(&self) -> usize {
        self.inner.count4()
    }
    fn get6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Option<Lease6> {
        self.inner.get6(lease_type, addr)
    }
    fn get6_by_duid_iaid(&self, lease_type: LeaseType6, duid: &[u8], iaid: u32) -> Vec<Lease6> {
        self.inner.get6_by_duid_iaid(lease_type, duid, iaid)
    }
    fn get6_by_duid(&self, duid: &[u8]) -> Vec<Lease6> {
        self.inner.get6_by_duid(duid)
    }
    fn add6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        self.inner.add6(lease)?;
        self.note(Change::Put6(lease.clone()));
        Ok(())
    }
    fn update6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        self.inner.update6(lease)?;
        self.note(Change::Put6(lease.clone()));
        Ok(())
    }
    fn update6_if(&self, lease: &Lease6, old: &Lease6) -> Result<bool, LeaseError> {
        let done = self.inner.update6_if(lease, old)?;
        if done {
            self.note(Change::Put6(lease.clone()));
        }
        Ok(done)
    }
    fn delete6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Result<bool, LeaseError> {
        let old = self.inner.get6(lease_type, addr);
        let done = self.inner.delete6(lease_type, addr)?;
        if let (true, Some(old)) = (done, old) {
            self.note(Change::Del6(old));
        }
        Ok(done)
    }
    fn expired6(&self, now: u64, limit: usize) -> Vec<Lease6> {
        self.inner.expired6(now, limit)
    }
    fn flush_reclaimed6(&self, older_than: u64) -> Result<usize, LeaseError> {
        self.inner.flush_reclaimed6(older_than)
    }
    fn all6(&self) -> Vec<Lease6> {
        self.inner.all6()
    }
    fn for_each6(&self, f: &mut dyn FnMut(&Lease6)) {
        self.inner.for_each6(f)
    }
    fn count6(&self) -> usize {
        self.inner.count6()
    }
}
