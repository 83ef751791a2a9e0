//! Leases and the stores that keep them.
//!
//! Modules:
//! - this file: [`Lease4`], [`LeaseState`], the [`LeaseStore`] trait every
//!   backend implements, and [`LeaseError`].
//! - `csv`: Kea 2.2's `kea-leases4.csv` row format (encode/decode, escaping).
//! - `memfile`: the embedded backend: in-memory indexes + append-only CSV
//!   journal + background compaction (Kea's LFC file dance: `.2`, `.1`).
//! - `conformance`: the one test suite every backend must pass.
//!
//! Times are Unix seconds passed in by the caller; no store reads the clock
//! except to timestamp compaction.

#![forbid(unsafe_code)]

use std::net::Ipv4Addr;

pub mod conformance;
pub mod csv;
pub mod memfile;

pub use memfile::{CompactStats, LoadStats, Memfile, MemfileOptions};

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
    /// Writing the journal failed: the lease is NOT stored.
    #[error("lease file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A lease file that cannot be loaded.
    #[error("lease file {path}:{line}: {message}")]
    Corrupt {
        path: String,
        line: usize,
        message: String,
    },
}

/// The lease store every backend implements. All methods are safe to call
/// from many threads at once. A write returns only after the lease is durable
/// as the backend defines it (memfile: the journal line is written to the OS).
pub trait LeaseStore: Send + Sync {
    /// The lease for `addr`, whatever its state.
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4>;
    /// Leases of the client with this client identifier, in any subnet.
    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4>;
    /// Leases of the client with this hardware address, in any subnet.
    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4>;
    /// Stores a new lease; `Exists` if the address already has one.
    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError>;
    /// Replaces the lease for `lease.addr`; `NotFound` if there is none.
    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError>;
    /// Removes the lease for `addr`; `Ok(false)` if there was none.
    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError>;
    /// Up to `limit` (0 = all) leases in state Default (or Declined) whose
    /// `expire` is <= `now`, oldest first: candidates for reclamation.
    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4>;
    /// Deletes leases in state ExpiredReclaimed that expired before
    /// `older_than`; returns how many.
    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError>;
    /// Every lease (for statistics at start-up and control commands).
    fn all4(&self) -> Vec<Lease4>;
    /// Number of leases stored.
    fn count4(&self) -> usize;
}
