//! Host reservations kept in a SQL database (Kea's `hosts-database`):
//! the [`Host4`] and [`Host6`] rows, the identifier types ([`IdType`]) and
//! the [`HostStore`] trait the PostgreSQL and MySQL stores implement.
//!
//! # The `hosts` table
//! Kea's (see docs/src/databases.md): one row per reservation, `host_id`
//! (generated), `dhcp_identifier` (bytes), `dhcp_identifier_type`
//! ([`IdType`] codes, Kea's: 0 hw-address, 1 duid, 2 circuit-id, 3
//! client-id, 4 flex-id), `hostname`, then per family:
//! - DHCPv4: `dhcp4_subnet_id`, `ipv4_address` (the address as an unsigned
//!   32-bit number, or NULL), `dhcp4_next_server` (a number, or NULL),
//!   `dhcp4_server_hostname`, `dhcp4_boot_file_name`;
//! - DHCPv6: `dhcp6_subnet_id`; the addresses and prefixes are rows of
//!   `ipv6_reservations` (`address` as RFC 5952 text, `prefix_len`, `type`
//!   0 address / 2 prefix, `host_id`; deleted with their host).
//!
//! A host's options are rows of Kea's `dhcp4_options`/`dhcp6_options`
//! (scope 3, binary `value`, `persistent`); [`Host4::option_data`] and
//! [`Host6::option_data`] hold them as a JSON list of `{"code": N, "data":
//! "hex", "always-send": bool}`.
//!
//! A row is a DHCPv4 reservation when `dhcp4_subnet_id` is set, a DHCPv6
//! one when `dhcp6_subnet_id` is (both: both, as in Kea). An identifier is
//! unique per subnet of each family (Kea's keys); an IPv4 address is kept
//! unique per subnet, an IPv6 address or prefix (with its length) in the
//! whole table, by the SQL stores' conditional inserts.
//!
//! # No cache
//! Every lookup is a query: a row written by another program applies to the
//! next packet. A read that fails is logged and finds nothing, as lease
//! reads do.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::LeaseError;

/// Kea's host identifier types (the `dhcp_identifier_type` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdType {
    /// 0: hardware address (without the htype).
    HwAddress,
    /// 1: DUID.
    Duid,
    /// 2: relay agent circuit-id.
    CircuitId,
    /// 3: client identifier (option 61 payload).
    ClientId,
    /// 4: flexible identifier (computed by a hook).
    Flex,
}

impl IdType {
    pub fn code(self) -> u8 {
        match self {
            IdType::HwAddress => 0,
            IdType::Duid => 1,
            IdType::CircuitId => 2,
            IdType::ClientId => 3,
            IdType::Flex => 4,
        }
    }

    pub fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => IdType::HwAddress,
            1 => IdType::Duid,
            2 => IdType::CircuitId,
            3 => IdType::ClientId,
            4 => IdType::Flex,
            _ => return None,
        })
    }

    /// Kea's name (`hw-address`, `duid`, `circuit-id`, `client-id`, `flex-id`).
    pub fn name(self) -> &'static str {
        match self {
            IdType::HwAddress => "hw-address",
            IdType::Duid => "duid",
            IdType::CircuitId => "circuit-id",
            IdType::ClientId => "client-id",
            IdType::Flex => "flex-id",
        }
    }
}

/// One DHCPv4 reservation as a `hosts` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host4 {
    /// The row's key (0 for a host not stored yet; `add4` ignores it).
    pub host_id: u64,
    pub id_type: IdType,
    pub identifier: Vec<u8>,
    pub subnet_id: u32,
    pub ipv4_address: Option<Ipv4Addr>,
    /// Empty: none.
    pub hostname: String,
    pub next_server: Option<Ipv4Addr>,
    /// Empty: none.
    pub server_hostname: String,
    /// Empty: none.
    pub boot_file_name: String,
    /// The options as stored: empty, or a JSON list of
    /// `{"code": N, "data": "hex", "always-send": bool}` (decoded by the
    /// engine, which logs a malformed list and ignores it).
    pub option_data: String,
    /// Kea's `dhcp4_client_classes`: the classes the host is put in,
    /// comma-separated (empty: none).
    pub client_classes: String,
    /// Kea's `user_context`: the reservation's `user-context` as JSON
    /// text (empty: none, NULL in the table).
    pub user_context: String,
}

impl Host4 {
    /// A host with this identifier in `subnet_id` and nothing else.
    pub fn new(id_type: IdType, identifier: Vec<u8>, subnet_id: u32) -> Self {
        Host4 {
            host_id: 0,
            id_type,
            identifier,
            subnet_id,
            ipv4_address: None,
            hostname: String::new(),
            next_server: None,
            server_hostname: String::new(),
            boot_file_name: String::new(),
            option_data: String::new(),
            client_classes: String::new(),
            user_context: String::new(),
        }
    }
}

/// One DHCPv6 reservation: a `hosts` row with `dhcp6_subnet_id` and its
/// `ipv6_reservations` rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host6 {
    /// The row's key (0 for a host not stored yet; `add6` ignores it).
    pub host_id: u64,
    pub id_type: IdType,
    pub identifier: Vec<u8>,
    pub subnet_id: u32,
    /// Reserved addresses (`type` 0), in the order they were stored.
    pub ip_addresses: Vec<Ipv6Addr>,
    /// Reserved prefixes (`type` 2) with their lengths.
    pub prefixes: Vec<(Ipv6Addr, u8)>,
    /// Empty: none.
    pub hostname: String,
    /// The options (rows of `dhcp6_options`): empty, or a JSON list
    /// of `{"code": N, "data": "hex", "always-send": bool}` with DHCPv6
    /// codes (decoded by the engine).
    pub option_data: String,
    /// Kea's `dhcp6_client_classes`: the classes the host is put in,
    /// comma-separated (empty: none).
    pub client_classes: String,
    /// Kea's `user_context`: the reservation's `user-context` as JSON
    /// text (empty: none, NULL in the table).
    pub user_context: String,
    /// Kea's `auth_key`: the client's DHCPv6 reconfigure key as Kea
    /// stores it, hex text of up to 32 digits (empty: none, NULL). Kept
    /// as read; never shown by the control commands (a secret).
    pub auth_key: String,
}

impl Host6 {
    /// A host with this identifier in `subnet_id` and nothing else.
    pub fn new(id_type: IdType, identifier: Vec<u8>, subnet_id: u32) -> Self {
        Host6 {
            host_id: 0,
            id_type,
            identifier,
            subnet_id,
            ip_addresses: Vec::new(),
            prefixes: Vec::new(),
            hostname: String::new(),
            option_data: String::new(),
            client_classes: String::new(),
            user_context: String::new(),
            auth_key: String::new(),
        }
    }
}

/// A host's identifier, for [`first_by_order`].
pub trait Keyed {
    /// The identifier type and bytes.
    fn key(&self) -> (IdType, &[u8]);
}

impl Keyed for Host4 {
    fn key(&self) -> (IdType, &[u8]) {
        (self.id_type, &self.identifier)
    }
}

impl Keyed for Host6 {
    fn key(&self) -> (IdType, &[u8]) {
        (self.id_type, &self.identifier)
    }
}

/// What [`HostStore::find4`] and [`HostStore::find6`] look for, in every
/// subnet of the family (Kea's `reservation-get-by-hostname`, `-by-id` and
/// `-by-address` without a subnet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostQuery<'a, A> {
    /// Hosts with this host name, compared without regard to case.
    Hostname(&'a str),
    /// Hosts with this identifier.
    Id(IdType, &'a [u8]),
    /// Hosts reserving this address (DHCPv6: an address, or the first
    /// address of a reserved prefix).
    Address(A),
}

/// A source of reservations (the SQL stores: [`crate::PgStore`],
/// [`crate::MySqlStore`]). Safe to call from many threads; every call is a
/// query (no cache).
pub trait HostStore: Send + Sync {
    /// The host of subnet `subnet_id` with one of `ids`; when several
    /// match, the one whose identifier comes first in `ids` (Kea's
    /// `host-reservation-identifiers` order).
    fn get4(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host4>;
    /// The host of subnet `subnet_id` that reserves `addr`.
    fn get4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Option<Host4>;
    /// Every host of subnet `subnet_id`, by `host_id`.
    fn all4(&self, subnet_id: u32) -> Vec<Host4>;
    /// Stores a new host; [`LeaseError::HostExists`] when its identifier or
    /// address is already reserved in its subnet.
    fn add4(&self, host: &Host4) -> Result<(), LeaseError>;
    /// Deletes the host of subnet `subnet_id` reserving `addr`; whether
    /// there was one.
    fn del4_by_address(&self, subnet_id: u32, addr: Ipv4Addr) -> Result<bool, LeaseError>;
    /// Deletes the host of subnet `subnet_id` with this identifier; whether
    /// there was one.
    fn del4_by_id(&self, subnet_id: u32, id_type: IdType, id: &[u8]) -> Result<bool, LeaseError>;
    /// Every DHCPv4 host, of any subnet, that `q` selects, by `host_id`.
    fn find4(&self, q: HostQuery<'_, Ipv4Addr>) -> Vec<Host4>;

    /// The DHCPv6 host of subnet `subnet_id` with one of `ids`, with its
    /// addresses and prefixes; when several match, the one whose
    /// identifier comes first in `ids`.
    fn get6(&self, subnet_id: u32, ids: &[(IdType, &[u8])]) -> Option<Host6>;
    /// The DHCPv6 host of subnet `subnet_id` that reserves `addr` (an
    /// address, or the first address of a prefix).
    fn get6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Option<Host6>;
    /// Every DHCPv6 host of subnet `subnet_id`, by `host_id`.
    fn all6(&self, subnet_id: u32) -> Vec<Host6>;
    /// Stores a new DHCPv6 host with its addresses and prefixes;
    /// [`LeaseError::HostExists`] (and nothing stored) when its identifier
    /// is already reserved in its subnet or one of its addresses or
    /// prefixes is reserved already.
    fn add6(&self, host: &Host6) -> Result<(), LeaseError>;
    /// Deletes the DHCPv6 host of subnet `subnet_id` reserving `addr` (with
    /// all its addresses and prefixes); whether there was one.
    fn del6_by_address(&self, subnet_id: u32, addr: Ipv6Addr) -> Result<bool, LeaseError>;
    /// Deletes the DHCPv6 host of subnet `subnet_id` with this identifier;
    /// whether there was one.
    fn del6_by_id(&self, subnet_id: u32, id_type: IdType, id: &[u8]) -> Result<bool, LeaseError>;
    /// Every DHCPv6 host, of any subnet, that `q` selects, by `host_id`.
    fn find6(&self, q: HostQuery<'_, Ipv6Addr>) -> Vec<Host6>;
}

/// How many identifiers one [`HostStore::get4`] / [`HostStore::get6`]
/// query takes (more are looked up by further queries).
pub const IDS_PER_QUERY: usize = 5;

/// The best host of `found` for `ids` (see [`HostStore::get4`]).
pub fn first_by_order<H: Keyed + Clone>(found: Vec<H>, ids: &[(IdType, &[u8])]) -> Option<H> {
    ids.iter()
        .find_map(|(t, id)| found.iter().find(|h| h.key() == (*t, *id)).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in 0..=4 {
            assert_eq!(IdType::from_code(c).map(IdType::code), Some(c));
        }
        assert_eq!(IdType::from_code(5), None);
    }

    #[test]
    fn first_by_order_follows_the_identifier_order() {
        let a = Host4::new(IdType::ClientId, vec![1], 1);
        let b = Host4::new(IdType::HwAddress, vec![2], 1);
        let ids: [(IdType, &[u8]); 2] = [(IdType::HwAddress, &[2]), (IdType::ClientId, &[1])];
        assert_eq!(first_by_order(vec![a.clone(), b.clone()], &ids), Some(b));
        assert_eq!(first_by_order(vec![a.clone()], &ids), Some(a));
        assert_eq!(first_by_order(Vec::<Host4>::new(), &ids), None);
    }
}
