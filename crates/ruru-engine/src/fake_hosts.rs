//! A host database in memory for the engine tests: every lookup reads the
//! current rows, as the SQL stores query at every call.

#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;

use ruru_lease::{Host4, Host6, HostQuery, HostStore, IdType, LeaseError};

#[derive(Default)]
pub(crate) struct FakeHosts {
    pub v4: Mutex<Vec<Host4>>,
    pub v6: Mutex<Vec<Host6>>,
}

impl HostStore for FakeHosts {
    fn get4(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host4> {
        let rows = self.v4.lock().unwrap();
        ids.iter().find_map(|(t, id)| {
            rows.iter()
                .find(|h| h.subnet_id == subnet_id && h.id_type == *t && h.identifier == *id)
                .cloned()
        })
    }
    fn get4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Option<Host4> {
        let rows = self.v4.lock().unwrap();
        rows.iter()
            .find(|h| h.subnet_id == subnet_id && h.ipv4_address == Some(addr))
            .cloned()
    }
    fn all4(&self, subnet_id: u32) -> Vec<Host4> {
        let rows = self.v4.lock().unwrap();
        rows.iter()
            .filter(|h| h.subnet_id == subnet_id)
            .cloned()
            .collect()
    }
    fn add4(&self, host: &Host4) -> Result<(), LeaseError> {
        self.v4.lock().unwrap().push(host.clone());
        Ok(())
    }
    fn del4_by_address(&self, _subnet_id: u32, _addr: Ipv4Addr) -> Result<bool, LeaseError> {
        Ok(false)
    }
    fn del4_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
        Ok(false)
    }
    fn find4(&self, q: HostQuery<'_, Ipv4Addr>) -> Vec<Host4> {
        let rows = self.v4.lock().unwrap();
        rows.iter()
            .filter(|h| match q {
                HostQuery::Hostname(n) => h.hostname.eq_ignore_ascii_case(n),
                HostQuery::Id(t, id) => h.id_type == t && h.identifier == id,
                HostQuery::Address(a) => h.ipv4_address == Some(a),
            })
            .cloned()
            .collect()
    }
    fn get6(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host6> {
        let rows = self.v6.lock().unwrap();
        ids.iter().find_map(|(t, id)| {
            rows.iter()
                .find(|h| h.subnet_id == subnet_id && h.id_type == *t && h.identifier == *id)
                .cloned()
        })
    }
    fn get6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Option<Host6> {
        let rows = self.v6.lock().unwrap();
        rows.iter()
            .find(|h| {
                h.subnet_id == subnet_id
                    && (h.ip_addresses.contains(&addr) || h.prefixes.iter().any(|p| p.0 == addr))
            })
            .cloned()
    }
    fn all6(&self, subnet_id: u32) -> Vec<Host6> {
        let rows = self.v6.lock().unwrap();
        rows.iter()
            .filter(|h| h.subnet_id == subnet_id)
            .cloned()
            .collect()
    }
    fn add6(&self, host: &Host6) -> Result<(), LeaseError> {
        self.v6.lock().unwrap().push(host.clone());
        Ok(())
    }
    fn del6_by_address(&self, _: u32, _: Ipv6Addr) -> Result<bool, LeaseError> {
        Ok(false)
    }
    fn del6_by_id(&self, _: u32, _: IdType, _: &[u8]) -> Result<bool, LeaseError> {
        Ok(false)
    }
    fn find6(&self, q: HostQuery<'_, Ipv6Addr>) -> Vec<Host6> {
        let rows = self.v6.lock().unwrap();
        rows.iter()
            .filter(|h| match q {
                HostQuery::Hostname(n) => h.hostname.eq_ignore_ascii_case(n),
                HostQuery::Id(t, id) => h.id_type == t && h.identifier == id,
                HostQuery::Address(a) => {
                    h.ip_addresses.contains(&a) || h.prefixes.iter().any(|p| p.0 == a)
                }
            })
            .cloned()
            .collect()
    }
}
