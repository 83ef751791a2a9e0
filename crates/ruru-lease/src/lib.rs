//! Leases and the stores that keep them.
//!
//! Modules:
//! - this file: [`Lease4`], [`Lease6`] (with [`LeaseType6`]), [`LeaseState`],
//!   the [`LeaseStore`] trait every backend implements, and [`LeaseError`].
//! - `csv`: what Kea's two lease files share (escaping, hex, versioned
//!   headers, reading a file) and the [`LeaseRow`] trait a lease implements
//!   to be journaled; `csv::v4` is `kea-leases4.csv`, `csv::v6` is
//!   `kea-leases6.csv` (Kea 2.2 columns).
//! - `memfile`: the embedded backend, generic over the row type: in-memory
//!   indexes + append-only CSV journal + background compaction (Kea's LFC
//!   file dance: `.2`, `.1`). [`Memfile4`] (alias [`Memfile`]) and
//!   [`Memfile6`] are its two instances; like Kea, one store holds one
//!   family's file.
//! - `files`: how ruru creates files (private modes) and the instance lock
//!   that keeps a second server off a lease file or control socket.
//! - `hosts`: host reservations in a database (Kea's `hosts-database`):
//!   [`Host4`], [`Host6`], [`IdType`] and the [`HostStore`] trait,
//!   implemented by the SQL stores of the `ruru-lease-sql` crate.
//! - `conformance` (feature `conformance`, test support): the one test
//!   suite every backend must pass, per family.
//!
//! The SQL stores (PostgreSQL, MySQL/MariaDB) live in `ruru-lease-sql`, so
//! that this crate, and the engine that depends on it, is plain synchronous
//! code without an async runtime or a database driver.
//!
//! Times are Unix seconds passed in by the caller; no store reads the clock
//! except to timestamp compaction.

#![forbid(unsafe_code)]

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod csv;
pub mod files;
pub mod hosts;
pub mod memfile;

pub use csv::{LeaseRow, Lookup, LookupRef};
pub use hosts::{Host4, Host6, HostQuery, HostStore, IdType};
pub use memfile::{
    CompactStats, LoadStats, Memfile, Memfile4, Memfile6, MemfileOptions, MemfileStore,
};

/// Kea lease states (the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeaseState {
    /// 0: assigned (or expired, when `expire` is past).
    Default,
    /// 1: declined by a client; held for the probation period.
    Declined,
    /// 2: expired and reclaimed by the server.
    ExpiredReclaimed,
}

impl LeaseState {
    pub fn code(self) -> u32 {
        match self {
            LeaseState::Default => 0,
            LeaseState::Declined => 1,
            LeaseState::ExpiredReclaimed => 2,
        }
    }
    pub fn from_code(c: u32) -> Option<Self> {
        match c {
            0 => Some(LeaseState::Default),
            1 => Some(LeaseState::Declined),
            2 => Some(LeaseState::ExpiredReclaimed),
            _ => None,
        }
    }
}

/// A DHCPv4 lease, with exactly the fields of Kea's CSV row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease4 {
    pub addr: Ipv4Addr,
    /// Hardware address bytes (no htype); empty when unknown.
    pub hwaddr: Vec<u8>,
    /// Client identifier (option 61 payload), if the client sent one.
    pub client_id: Option<Vec<u8>>,
    /// Seconds.
    pub valid_lifetime: u32,
    /// Unix seconds when the lease expires (cltt + valid_lifetime).
    pub expire: u64,
    pub subnet_id: u32,
    pub fqdn_fwd: bool,
    pub fqdn_rev: bool,
    pub hostname: String,
    pub state: LeaseState,
    /// JSON text of the user context, empty when none.
    pub user_context: String,
    /// Kea's `pool_id` (Kea 2.4+): the `pool-id` of the pool the address
    /// was given from; 0 when none is configured, or it came from no pool.
    pub pool_id: u32,
}

impl Lease4 {
    /// Client last transmission time.
    pub fn cltt(&self) -> u64 {
        self.expire.saturating_sub(u64::from(self.valid_lifetime))
    }
    /// Whether the lease has expired at `now`.
    pub fn expired(&self, now: u64) -> bool {
        self.expire <= now
    }
}

/// The kind of a DHCPv6 lease (Kea's `lease_type` column and `Lease::Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeaseType6 {
    /// 0: a non-temporary address (IA_NA).
    Na,
    /// 1: a temporary address (IA_TA).
    Ta,
    /// 2: a delegated prefix (IA_PD).
    Pd,
}

impl LeaseType6 {
    pub fn code(self) -> u32 {
        match self {
            LeaseType6::Na => 0,
            LeaseType6::Ta => 1,
            LeaseType6::Pd => 2,
        }
    }
    pub fn from_code(c: u32) -> Option<Self> {
        match c {
            0 => Some(LeaseType6::Na),
            1 => Some(LeaseType6::Ta),
            2 => Some(LeaseType6::Pd),
            _ => None,
        }
    }
}

impl fmt::Display for LeaseType6 {
    /// Kea's `Lease::typeToText`: `IA_NA`, `IA_TA`, `IA_PD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeaseType6::Na => "IA_NA",
            LeaseType6::Ta => "IA_TA",
            LeaseType6::Pd => "IA_PD",
        })
    }
}

/// A DHCPv6 lease, with exactly the fields of Kea 2.2's `kea-leases6.csv`
/// row.
///
/// An address holds at most one lease, whatever its type (Kea's storage and
/// SQL schemas key a v6 lease by address); the API names a lease by
/// `(lease_type, address)` and a lease of another type at that address is
/// "not this lease".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease6 {
    /// The address, or the prefix for `Pd`.
    pub address: Ipv6Addr,
    /// The client's DUID. Must be non-empty unless the lease is Declined;
    /// Kea gives a declined lease the "empty DUID" `[0]` (see
    /// `csv::v6::EMPTY_DUID`).
    pub duid: Vec<u8>,
    /// Seconds.
    pub valid_lifetime: u32,
    /// Unix seconds when the lease expires (cltt + valid_lifetime).
    pub expire: u64,
    pub subnet_id: u32,
    /// Preferred lifetime, seconds.
    pub pref_lifetime: u32,
    pub lease_type: LeaseType6,
    pub iaid: u32,
    /// 128 for `Na` and `Ta` (Kea rejects anything else); the prefix length
    /// for `Pd`.
    pub prefix_len: u8,
    pub fqdn_fwd: bool,
    pub fqdn_rev: bool,
    pub hostname: String,
    /// Hardware address bytes (no htype); empty when unknown.
    pub hwaddr: Vec<u8>,
    pub state: LeaseState,
    /// JSON text of the user context, empty when none.
    pub user_context: String,
    /// Hardware type of `hwaddr` (1 = Ethernet); stored as 0 when `hwaddr`
    /// is empty, since the file keeps it only with a hardware address.
    pub hwtype: u16,
    /// How `hwaddr` was learned (Kea's `HWAddr::HWADDR_SOURCE_*` bits);
    /// stored as 0 when `hwaddr` is empty.
    pub hwaddr_source: u32,
    /// Kea's `pool_id` (Kea 2.4+): the `pool-id` of the pool the address
    /// or prefix was given from; 0 when none is configured, or none.
    pub pool_id: u32,
}

impl Lease6 {
    /// Client last transmission time.
    pub fn cltt(&self) -> u64 {
        self.expire.saturating_sub(u64::from(self.valid_lifetime))
    }
    /// Whether the lease has expired at `now`.
    pub fn expired(&self, now: u64) -> bool {
        self.expire <= now
    }
}

/// Errors a store reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LeaseError {
    /// `add4` of an address that already has a lease.
    #[error("a lease for {0} already exists")]
    Exists(Ipv4Addr),
    /// `update4`/`delete4` of an address with no lease.
    #[error("no lease for {0}")]
    NotFound(Ipv4Addr),
    /// `add6` of an address that already has a lease (of any type).
    #[error("a lease for {0} already exists")]
    Exists6(Ipv6Addr),
    /// `update6` of an address with no lease of that type.
    #[error("no {0} lease for {1}")]
    NotFound6(LeaseType6, Ipv6Addr),
    /// A lease that cannot be stored as given (it would not read back from
    /// the lease file: e.g. a DHCPv6 lease without DUID, or a user context
    /// that is not a JSON map). Nothing is stored.
    #[error("invalid lease: {0}")]
    Invalid(String),
    /// The store does not hold this family's leases (e.g. a DHCPv4 write to
    /// a store opened for `kea-leases6.csv`).
    #[error("this lease store does not hold {0} leases")]
    Unsupported(&'static str),
    /// Writing the journal failed: the lease is NOT stored.
    #[error("lease file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A database operation failed (connection lost, query refused): a
    /// write is NOT stored.
    #[error("lease database: {0}")]
    Database(String),
    /// The lease database is unreachable and the store is reconnecting in
    /// the background (`ruru_lease_sql::DbEvent`): the call was refused at once,
    /// without a round trip. A write is NOT stored. The text is why the
    /// last connection attempt failed.
    #[error("lease database unreachable (reconnecting): {0}")]
    Unavailable(String),
    /// `HostStore::add4` of a host whose identifier or address is already
    /// reserved in its subnet. Nothing is stored.
    #[error("host already exists: {0}")]
    HostExists(String),
    /// The database's schema is not the one this build uses.
    #[error("lease database holds {found}, this ruru needs Kea's schema {}.{}", expected.0, expected.1)]
    Schema {
        found: SchemaState,
        expected: (u32, u32),
    },
    /// A lease file that cannot be loaded.
    #[error("lease file {path}:{line}: {message}")]
    Corrupt {
        path: String,
        line: usize,
        message: String,
    },
}

/// The last version (major, minor) of ruru's former schema of its own (1.0:
/// the lease tables; 1.1: the `hosts` table; 1.2: its DHCPv6 columns and
/// `ipv6_reservations`). ruru now uses Kea's schema (the `ruru-lease-sql`
/// crate); a database of its former schema is [`SchemaState::Ruru`].
pub const SCHEMA_VERSION: (u32, u32) = (1, 2);

/// Which schema a database holds, as `ruru db version` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// No `schema_version` table: `ruru db init` creates the schema.
    Missing,
    /// Kea's schema (made by `kea-admin db-init`, or `ruru db init`), at
    /// this version of Kea's `schema_version` table.
    Version(u32, u32),
    /// ruru's former schema of its own (the tables of ruru 1.x, before it
    /// used Kea's), at this version.
    Ruru(u32, u32),
}

impl SchemaState {
    /// `Ok` when the store can be used as is: Kea's schema at `expected`;
    /// otherwise the error the server reports.
    pub fn check(self, expected: (u32, u32)) -> Result<(), LeaseError> {
        match self {
            SchemaState::Version(v, m) if (v, m) == expected => Ok(()),
            found => Err(LeaseError::Schema { found, expected }),
        }
    }
}

impl std::fmt::Display for SchemaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaState::Missing => f.write_str("no schema"),
            SchemaState::Version(v, m) => write!(f, "Kea's schema {v}.{m}"),
            SchemaState::Ruru(v, m) => write!(f, "ruru's former schema {v}.{m}"),
        }
    }
}

/// The size of the address blocks of [`LeaseStore::leased_in_block4`]
/// (aligned: a block's first address is a multiple of it).
pub const BLOCK4: u32 = 256;

/// Which addresses of a [`BLOCK4`]-address block have a lease record: bit
/// `i % 64` of word `i / 64` for the block's `i`-th address.
pub type Block4 = [u64; (BLOCK4 / 64) as usize];

/// The lease store every backend implements. All methods are safe to call
/// from many threads at once. A write returns only after the lease is durable
/// as the backend defines it (memfile: the journal line is written to the OS).
///
/// A backend may hold one family only (memfile does, like Kea: one file per
/// family). Every method has a default for "this family is not stored
/// here": reads find nothing, writes return [`LeaseError::Unsupported`]. A
/// backend overrides every method of each family it stores; the
/// conformance suite checks that.
pub trait LeaseStore: Send + Sync {
    // --- DHCPv4 ---

    /// The lease for `addr`, whatever its state.
    fn get4(&self, _addr: Ipv4Addr) -> Option<Lease4> {
        None
    }
    /// Leases of the client with this client identifier, in any subnet.
    fn get4_by_client_id(&self, _client_id: &[u8]) -> Vec<Lease4> {
        Vec::new()
    }
    /// Leases of the client with this hardware address, in any subnet.
    fn get4_by_hwaddr(&self, _hwaddr: &[u8]) -> Vec<Lease4> {
        Vec::new()
    }
    /// What a DHCPv4 message needs to know about its client in one call:
    /// the leases with client identifier `client_id` (when given and not
    /// empty), those with hardware address `hwaddr` (when not empty) and
    /// the lease of `addr` (when given), each lease once, in any order.
    /// With a SQL database this is one round trip instead of up to three;
    /// the default makes the three calls.
    fn get4_client(
        &self,
        client_id: Option<&[u8]>,
        hwaddr: &[u8],
        addr: Option<Ipv4Addr>,
    ) -> Vec<Lease4> {
        let mut out = match client_id {
            Some(c) if !c.is_empty() => self.get4_by_client_id(c),
            _ => Vec::new(),
        };
        if !hwaddr.is_empty() {
            for l in self.get4_by_hwaddr(hwaddr) {
                if !out.iter().any(|o| o.addr == l.addr) {
                    out.push(l);
                }
            }
        }
        if let Some(a) = addr.filter(|a| !out.iter().any(|o| o.addr == *a)) {
            out.extend(self.get4(a));
        }
        out
    }
    /// Which of the [`BLOCK4`] addresses from `first` (a multiple of
    /// [`BLOCK4`]) have a lease record, in any state, if the store can tell
    /// without reading the leases: the allocator steps over runs of leased
    /// addresses at once. `None` (the default): it cannot, and the
    /// allocator looks at each address.
    fn leased_in_block4(&self, _first: Ipv4Addr) -> Option<Block4> {
        None
    }
    /// Stores a new lease; `Exists` if the address already has one.
    fn add4(&self, _lease: &Lease4) -> Result<(), LeaseError> {
        Err(LeaseError::Unsupported("DHCPv4"))
    }
    /// Replaces the lease for `lease.addr`; `NotFound` if there is none.
    fn update4(&self, _lease: &Lease4) -> Result<(), LeaseError> {
        Err(LeaseError::Unsupported("DHCPv4"))
    }
    /// Replaces the lease for `lease.addr` only if the stored lease is still
    /// `old` (as `get4` returned it): a compare-and-swap, so that two
    /// servers sharing a store cannot both take over one (expired) lease.
    /// `Ok(false)` when the stored lease changed or is gone; nothing is
    /// written then. The default is NOT atomic; every backend overrides it.
    fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
        if self.get4(old.addr).as_ref() != Some(old) {
            return Ok(false);
        }
        self.update4(lease).map(|()| true)
    }
    /// Removes the lease for `addr`; `Ok(false)` if there was none.
    fn delete4(&self, _addr: Ipv4Addr) -> Result<bool, LeaseError> {
        Err(LeaseError::Unsupported("DHCPv4"))
    }
    /// Up to `limit` (0 = all) leases in state Default (or Declined) whose
    /// `expire` is <= `now`, oldest first: candidates for reclamation.
    fn expired4(&self, _now: u64, _limit: usize) -> Vec<Lease4> {
        Vec::new()
    }
    /// Deletes leases in state ExpiredReclaimed that expired before
    /// `older_than`; returns how many.
    fn flush_reclaimed4(&self, _older_than: u64) -> Result<usize, LeaseError> {
        Err(LeaseError::Unsupported("DHCPv4"))
    }
    /// Every lease (for statistics at start-up and control commands).
    fn all4(&self) -> Vec<Lease4> {
        Vec::new()
    }
    /// Calls `f` with every lease without copying them all first (the
    /// statistics recount of a big lease file); the default goes through
    /// `all4`.
    fn for_each4(&self, f: &mut dyn FnMut(&Lease4)) {
        for l in self.all4() {
            f(&l);
        }
    }
    /// Number of leases stored.
    fn count4(&self) -> usize {
        0
    }

    // --- DHCPv6 ---

    /// The lease of this type for `addr` (the prefix, for `Pd`), whatever
    /// its state; `None` if there is none or the address holds a lease of
    /// another type.
    fn get6(&self, _lease_type: LeaseType6, _addr: Ipv6Addr) -> Option<Lease6> {
        None
    }
    /// Leases of this type for the client's IA (DUID + IAID), in any subnet.
    fn get6_by_duid_iaid(&self, _lease_type: LeaseType6, _duid: &[u8], _iaid: u32) -> Vec<Lease6> {
        Vec::new()
    }
    /// Every lease of the client with this DUID (all types, IAs, subnets).
    fn get6_by_duid(&self, _duid: &[u8]) -> Vec<Lease6> {
        Vec::new()
    }
    /// Stores a new lease; `Exists6` if the address already has a lease of
    /// any type; `Invalid` if the lease cannot be stored (see [`Lease6`]).
    fn add6(&self, _lease: &Lease6) -> Result<(), LeaseError> {
        Err(LeaseError::Unsupported("DHCPv6"))
    }
    /// Replaces the lease of `lease.lease_type` for `lease.address`;
    /// `NotFound6` if there is none.
    fn update6(&self, _lease: &Lease6) -> Result<(), LeaseError> {
        Err(LeaseError::Unsupported("DHCPv6"))
    }
    /// Compare-and-swap: replaces the lease for `old.address` with `lease`
    /// only if the stored lease is still exactly `old`; `Ok(false)` when it
    /// changed meanwhile (another worker or server took the address). The
    /// default is NOT atomic; every backend overrides it.
    fn update6_if(&self, lease: &Lease6, old: &Lease6) -> Result<bool, LeaseError> {
        if lease.address != old.address
            || self.get6(old.lease_type, old.address).as_ref() != Some(old)
        {
            return Ok(false);
        }
        self.update6(lease).map(|()| true)
    }
    /// Removes the lease of this type for `addr`; `Ok(false)` if there was
    /// none.
    fn delete6(&self, _lease_type: LeaseType6, _addr: Ipv6Addr) -> Result<bool, LeaseError> {
        Err(LeaseError::Unsupported("DHCPv6"))
    }
    /// Up to `limit` (0 = all) leases in state Default (or Declined) whose
    /// `expire` is <= `now`, oldest first, all types.
    fn expired6(&self, _now: u64, _limit: usize) -> Vec<Lease6> {
        Vec::new()
    }
    /// Deletes leases in state ExpiredReclaimed that expired before
    /// `older_than`; returns how many.
    fn flush_reclaimed6(&self, _older_than: u64) -> Result<usize, LeaseError> {
        Err(LeaseError::Unsupported("DHCPv6"))
    }
    /// Every lease, all types.
    fn all6(&self) -> Vec<Lease6> {
        Vec::new()
    }
    /// [`LeaseStore::for_each4`] for DHCPv6 leases.
    fn for_each6(&self, f: &mut dyn FnMut(&Lease6)) {
        for l in self.all6() {
            f(&l);
        }
    }
    /// Number of leases stored, all types.
    fn count6(&self) -> usize {
        0
    }
}
