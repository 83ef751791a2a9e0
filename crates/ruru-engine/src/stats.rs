//! Statistics with Kea's names and meanings.
//!
//! Global counters are a fixed array of atomics indexed by [`Stat`]; per-subnet
//! counters live in [`SubnetStats`], one per subnet id, handed out as `Arc`s so
//! the packet path increments them without a lookup. Values are signed because
//! Kea's gauges (`assigned-addresses`, ...) go up and down.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

macro_rules! global_stats {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A server-wide statistic, named as Kea names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[repr(usize)]
        pub enum Stat { $($variant),* }

        impl Stat {
            /// Every global statistic, in a stable order.
            pub const ALL: &'static [Stat] = &[$(Stat::$variant),*];
            /// Kea's name for it.
            pub fn name(self) -> &'static str {
                match self { $(Stat::$variant => $name),* }
            }
        }
    };
}

global_stats! {
    Pkt4Received => "pkt4-received",
    Pkt4DiscoverReceived => "pkt4-discover-received",
    Pkt4OfferReceived => "pkt4-offer-received",
    Pkt4RequestReceived => "pkt4-request-received",
    Pkt4AckReceived => "pkt4-ack-received",
    Pkt4NakReceived => "pkt4-nak-received",
    Pkt4ReleaseReceived => "pkt4-release-received",
    Pkt4DeclineReceived => "pkt4-decline-received",
    Pkt4InformReceived => "pkt4-inform-received",
    Pkt4UnknownReceived => "pkt4-unknown-received",
    Pkt4Sent => "pkt4-sent",
    Pkt4OfferSent => "pkt4-offer-sent",
    Pkt4AckSent => "pkt4-ack-sent",
    Pkt4NakSent => "pkt4-nak-sent",
    Pkt4ParseFailed => "pkt4-parse-failed",
    Pkt4ReceiveDrop => "pkt4-receive-drop",
    V4AllocationFail => "v4-allocation-fail",
    V4AllocationFailSubnet => "v4-allocation-fail-subnet",
    V4AllocationFailNoPools => "v4-allocation-fail-no-pools",
    V4ReservationConflicts => "v4-reservation-conflicts",
    V4LeaseReuses => "v4-lease-reuses",
    DeclinedAddresses => "declined-addresses",
    ReclaimedDeclinedAddresses => "reclaimed-declined-addresses",
    ReclaimedLeases => "reclaimed-leases",
    CumulativeAssignedAddresses => "cumulative-assigned-addresses",
    // ruru additions: why a packet was dropped (each also counts in pkt4-receive-drop).
    Pkt4DropNoSubnet => "pkt4-drop-no-subnet",
    Pkt4DropNotForUs => "pkt4-drop-not-for-us",
    Pkt4DropStoreFailed => "pkt4-drop-lease-store-failed",
    Pkt4SendFailed => "pkt4-send-failed",
    Pkt4ProcessingPanic => "pkt4-processing-panic",
}

macro_rules! subnet_stats {
    ($($field:ident => $name:literal),* $(,)?) => {
        /// One subnet's statistics (`subnet[ID].<name>`).
        #[derive(Debug, Default)]
        pub struct SubnetStats {
            $(pub $field: AtomicI64,)*
        }

        impl SubnetStats {
            /// `(name, value)` for every statistic of the subnet.
            pub fn values(&self) -> Vec<(&'static str, i64)> {
                vec![$(($name, self.$field.load(Ordering::Relaxed))),*]
            }
        }
    };
}

subnet_stats! {
    total_addresses => "total-addresses",
    assigned_addresses => "assigned-addresses",
    cumulative_assigned_addresses => "cumulative-assigned-addresses",
    declined_addresses => "declined-addresses",
    reclaimed_declined_addresses => "reclaimed-declined-addresses",
    reclaimed_leases => "reclaimed-leases",
    v4_reservation_conflicts => "v4-reservation-conflicts",
    v4_lease_reuses => "v4-lease-reuses",
}

/// Adds `d` to a counter.
pub fn add(c: &AtomicI64, d: i64) {
    c.fetch_add(d, Ordering::Relaxed);
}

/// The statistics registry shared by the engine, the server and (later) the
/// control API.
#[derive(Debug)]
pub struct Stats {
    global: Vec<AtomicI64>,
    subnets: Mutex<BTreeMap<u32, Arc<SubnetStats>>>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            global: Stat::ALL.iter().map(|_| AtomicI64::new(0)).collect(),
            subnets: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Stats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Increments a global statistic by one.
    pub fn inc(&self, s: Stat) {
        self.add(s, 1);
    }

    /// Adds `d` to a global statistic.
    pub fn add(&self, s: Stat, d: i64) {
        if let Some(c) = self.global.get(s as usize) {
            c.fetch_add(d, Ordering::Relaxed);
        }
    }

    /// Current value of a global statistic.
    pub fn get(&self, s: Stat) -> i64 {
        self.global
            .get(s as usize)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// The statistics of subnet `id`, created on first use.
    pub fn subnet(&self, id: u32) -> Arc<SubnetStats> {
        let mut m = match self.subnets.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.entry(id).or_default().clone()
    }

    /// Every statistic as `(kea-name, value)`, globals first, then
    /// `subnet[ID].name` in subnet order.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = Stat::ALL
            .iter()
            .map(|s| (s.name().to_string(), self.get(*s)))
            .collect();
        let m = match self.subnets.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        for (id, s) in m.iter() {
            for (name, v) in s.values() {
                out.push((format!("subnet[{id}].{name}"), v));
            }
        }
        out
    }

    /// Value by Kea name (global or `subnet[ID].name`), if it exists.
    pub fn lookup(&self, name: &str) -> Option<i64> {
        self.snapshot()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_counts() {
        let s = Stats::new();
        s.inc(Stat::Pkt4Received);
        s.add(Stat::Pkt4Received, 2);
        assert_eq!(s.get(Stat::Pkt4Received), 3);
        add(&s.subnet(7).assigned_addresses, 5);
        add(&s.subnet(7).assigned_addresses, -1);
        assert_eq!(s.lookup("pkt4-received"), Some(3));
        assert_eq!(s.lookup("subnet[7].assigned-addresses"), Some(4));
        assert_eq!(s.lookup("subnet[8].assigned-addresses"), None);
    }
}
