//! Statistics with Kea's names and meanings.
//!
//! Global counters are a fixed array of atomics indexed by [`Stat`]; per-subnet
//! counters live in [`SubnetStats`], one per subnet id, handed out as `Arc`s so
//! the packet path increments them without a lookup. Values are signed because
//! Kea's gauges (`assigned-addresses`, ...) go up and down.

use std::collections::{BTreeMap, BTreeSet};
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

            /// The family whose Kea daemon has this statistic: `Some(V4)`
            /// for kea-dhcp4's, `Some(V6)` for kea-dhcp6's, `None` for
            /// those both daemons have (`declined-addresses`,
            /// `reclaimed-leases`, `reclaimed-declined-addresses`).
            pub fn family(self) -> Option<StatFamily> {
                family_of_name(self.name())
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
    V4AllocationFailSharedNetwork => "v4-allocation-fail-shared-network",
    V4AllocationFailNoPools => "v4-allocation-fail-no-pools",
    V4ReservationConflicts => "v4-reservation-conflicts",
    V4LeaseReuses => "v4-lease-reuses",
    // ruru addition: a REQUEST NAKed (a DHCPv6 message dropped) because
    // another server took the address since it was offered.
    V4AllocationConflicts => "v4-allocation-conflicts",
    V6AllocationConflicts => "v6-allocation-conflicts",
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
    Pkt4DropServiceDisabled => "pkt4-drop-service-disabled",
    Pkt4DropHook => "pkt4-drop-hook",
    // ruru addition: the packet is in class DROP (Kea counts it in
    // pkt4-receive-drop only).
    Pkt4DropClass => "pkt4-drop-class",
    // DHCPv6 (Kea's kea-dhcp6 names).
    Pkt6Received => "pkt6-received",
    Pkt6SolicitReceived => "pkt6-solicit-received",
    Pkt6RequestReceived => "pkt6-request-received",
    Pkt6RenewReceived => "pkt6-renew-received",
    Pkt6RebindReceived => "pkt6-rebind-received",
    Pkt6ReleaseReceived => "pkt6-release-received",
    Pkt6DeclineReceived => "pkt6-decline-received",
    Pkt6ConfirmReceived => "pkt6-confirm-received",
    Pkt6InfrequestReceived => "pkt6-infrequest-received",
    Pkt6UnknownReceived => "pkt6-unknown-received",
    Pkt6Dhcpv4QueryReceived => "pkt6-dhcpv4-query-received",
    Pkt6Dhcpv4ResponseReceived => "pkt6-dhcpv4-response-received",
    Pkt6Dhcpv4ResponseSent => "pkt6-dhcpv4-response-sent",
    Pkt6Sent => "pkt6-sent",
    Pkt6AdvertiseSent => "pkt6-advertise-sent",
    Pkt6ReplySent => "pkt6-reply-sent",
    Pkt6ParseFailed => "pkt6-parse-failed",
    Pkt6ReceiveDrop => "pkt6-receive-drop",
    Pkt6SendFailed => "pkt6-send-failed",
    Pkt6ProcessingPanic => "pkt6-processing-panic",
    Pkt6DropHook => "pkt6-drop-hook",
    // ruru additions, as for DHCPv4 (each also counts in pkt6-receive-drop).
    Pkt6DropStoreFailed => "pkt6-drop-lease-store-failed",
    Pkt6DropServiceDisabled => "pkt6-drop-service-disabled",
    Pkt6DropClass => "pkt6-drop-class",
    // ruru addition: a message with more IAs (or addresses/prefixes in an
    // IA) than ruru reads; the rest was ignored, the message answered.
    Pkt6IaLimit => "pkt6-ia-limit",
    V6AllocationFail => "v6-allocation-fail",
    V6AllocationFailSubnet => "v6-allocation-fail-subnet",
    V6AllocationFailSharedNetwork => "v6-allocation-fail-shared-network",
    V6IaNaLeaseReuses => "v6-ia-na-lease-reuses",
    V6IaPdLeaseReuses => "v6-ia-pd-lease-reuses",
    CumulativeAssignedNas => "cumulative-assigned-nas",
    CumulativeAssignedPds => "cumulative-assigned-pds",
    // ruru additions: name-change requests for the DNS updater (Kea has
    // no statistics for them on the DHCP side).
    DdnsNcrSent => "ddns-ncr-sent",
    DdnsNcrQueueFull => "ddns-ncr-queue-full",
    DdnsNcrSendErrors => "ddns-ncr-send-errors",
}

/// A DHCP family, as far as statistics are concerned: each family's
/// service has its own [`Stats`], holding what that Kea daemon holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatFamily {
    V4,
    V6,
}

/// The family of a server-wide statistic by its Kea name (see
/// [`Stat::family`]).
fn family_of_name(name: &str) -> Option<StatFamily> {
    if name.starts_with("pkt4-")
        || name.starts_with("v4-")
        || name == "cumulative-assigned-addresses"
    {
        Some(StatFamily::V4)
    } else if name.starts_with("pkt6-")
        || name.starts_with("v6-")
        || name.starts_with("cumulative-assigned-")
    {
        Some(StatFamily::V6)
    } else {
        None
    }
}

macro_rules! subnet_stats {
    ($ty:ident: $($field:ident => $name:literal),* $(,)?) => {
        /// One subnet's statistics (`subnet[ID].<name>`).
        #[derive(Debug, Default)]
        pub struct $ty {
            $(pub $field: AtomicI64,)*
        }

        impl $ty {
            /// `(name, value)` for every statistic of the subnet.
            pub fn values(&self) -> Vec<(&'static str, i64)> {
                vec![$(($name, self.$field.load(Ordering::Relaxed))),*]
            }

            /// The counter with Kea name `name`.
            pub fn field(&self, name: &str) -> Option<&AtomicI64> {
                match name {
                    $($name => Some(&self.$field),)*
                    _ => None,
                }
            }

            /// Every counter.
            pub fn fields(&self) -> Vec<&AtomicI64> {
                vec![$(&self.$field),*]
            }
        }
    };
}

subnet_stats! {
    SubnetStats:
    total_addresses => "total-addresses",
    assigned_addresses => "assigned-addresses",
    cumulative_assigned_addresses => "cumulative-assigned-addresses",
    declined_addresses => "declined-addresses",
    reclaimed_declined_addresses => "reclaimed-declined-addresses",
    reclaimed_leases => "reclaimed-leases",
    v4_reservation_conflicts => "v4-reservation-conflicts",
    v4_lease_reuses => "v4-lease-reuses",
}

subnet_stats! {
    SubnetStats6:
    total_nas => "total-nas",
    assigned_nas => "assigned-nas",
    cumulative_assigned_nas => "cumulative-assigned-nas",
    total_pds => "total-pds",
    assigned_pds => "assigned-pds",
    cumulative_assigned_pds => "cumulative-assigned-pds",
    declined_addresses => "declined-addresses",
    reclaimed_declined_addresses => "reclaimed-declined-addresses",
    reclaimed_leases => "reclaimed-leases",
    v6_ia_na_lease_reuses => "v6-ia-na-lease-reuses",
    v6_ia_pd_lease_reuses => "v6-ia-pd-lease-reuses",
}

/// The subnet statistics that also exist per pool (Kea's pool statistics).
pub const POOL_STATS: &[&str] = &[
    "total-addresses",
    "assigned-addresses",
    "cumulative-assigned-addresses",
    "declined-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
];

/// Adds `d` to a counter.
pub fn add(c: &AtomicI64, d: i64) {
    c.fetch_add(d, Ordering::Relaxed);
}

/// What a statistic of [`Stats::scoped_snapshot`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The server (`pkt4-received`, `declined-addresses`, ...).
    Global,
    /// A DHCPv4 subnet, by id: `subnet[ID].NAME`.
    Subnet4(u32),
    /// A pool of a DHCPv4 subnet, by subnet id and pool index (from 0 in
    /// the subnet's `pools`): `subnet[ID].pool[N].NAME`.
    Pool4(u32, usize),
    /// A DHCPv6 subnet, by id: `subnet[ID].NAME`.
    Subnet6(u32),
}

impl Scope {
    /// Kea's name of the statistic `name` of this scope.
    pub fn kea_name(self, name: &str) -> String {
        match self {
            Scope::Global => name.to_string(),
            Scope::Subnet4(id) | Scope::Subnet6(id) => format!("subnet[{id}].{name}"),
            Scope::Pool4(id, idx) => format!("subnet[{id}].pool[{idx}].{name}"),
        }
    }
}

/// The statistics registry shared by the engine, the server and (later) the
/// control API.
#[derive(Debug)]
pub struct Stats {
    global: Vec<AtomicI64>,
    subnets: Mutex<BTreeMap<u32, Arc<SubnetStats>>>,
    /// DHCPv6 subnets (their own id space, as in Kea's separate servers).
    subnets6: Mutex<BTreeMap<u32, Arc<SubnetStats6>>>,
    /// Per-pool statistics, by (subnet id, pool index in the subnet).
    pools: Mutex<BTreeMap<(u32, usize), Arc<SubnetStats>>>,
    /// Statistics removed by `statistic-remove`: reset to 0 and hidden until
    /// the server changes them again (Kea recreates a removed statistic on
    /// its next update).
    removed: Mutex<BTreeSet<String>>,
    /// The family these statistics are of (`None`: both, for tests and
    /// tools): the other family's server-wide statistics are not listed
    /// nor found by name.
    family: Option<StatFamily>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            global: Stat::ALL.iter().map(|_| AtomicI64::new(0)).collect(),
            subnets: Mutex::new(BTreeMap::new()),
            pools: Mutex::new(BTreeMap::new()),
            subnets6: Mutex::new(BTreeMap::new()),
            removed: Mutex::new(BTreeSet::new()),
            family: None,
        }
    }
}

impl Stats {
    /// Statistics of both families (tests and tools).
    pub fn new() -> Self {
        Self::default()
    }

    /// The statistics of one family's service: its Kea daemon's server-wide
    /// statistics (and those both daemons have), and its subnets.
    pub fn of_family(family: StatFamily) -> Self {
        Stats {
            family: Some(family),
            ..Self::default()
        }
    }

    /// Whether the server-wide statistic `s` is one of this family's.
    fn lists(&self, s: Stat) -> bool {
        match (self.family, s.family()) {
            (Some(mine), Some(its)) => mine == its,
            _ => true,
        }
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
        lock(&self.subnets).entry(id).or_default().clone()
    }

    /// The statistics of DHCPv6 subnet `id`, created on first use.
    pub fn subnet6(&self, id: u32) -> Arc<SubnetStats6> {
        lock(&self.subnets6).entry(id).or_default().clone()
    }

    /// The statistics of pool `idx` of subnet `id` (`subnet[ID].pool[IDX].*`),
    /// created on first use.
    pub fn pool(&self, id: u32, idx: usize) -> Arc<SubnetStats> {
        lock(&self.pools).entry((id, idx)).or_default().clone()
    }

    /// Every statistic as `(kea-name, value)`, globals first, then
    /// `subnet[ID].name` in subnet order. Removed statistics that have not
    /// changed since are left out.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        self.scoped_snapshot()
            .into_iter()
            .map(|(scope, name, v)| (scope.kea_name(name), v))
            .collect()
    }

    /// [`Stats::snapshot`] with what each statistic belongs to, so that a
    /// reader can tell a DHCPv4 subnet's `subnet[1].declined-addresses`
    /// from a DHCPv6 subnet's (their ids are separate spaces). Each entry is
    /// `(scope, name within the scope, value)`.
    pub fn scoped_snapshot(&self) -> Vec<(Scope, &'static str, i64)> {
        let mut out: Vec<(Scope, &'static str, i64)> = Stat::ALL
            .iter()
            .filter(|s| self.lists(**s))
            .map(|s| (Scope::Global, s.name(), self.get(*s)))
            .collect();
        let m = lock(&self.subnets);
        let pools = lock(&self.pools);
        for (id, s) in m.iter() {
            for (name, v) in s.values() {
                out.push((Scope::Subnet4(*id), name, v));
            }
            for ((_, idx), p) in pools.range((*id, 0)..=(*id, usize::MAX)) {
                for (name, v) in p.values() {
                    if POOL_STATS.contains(&name) {
                        out.push((Scope::Pool4(*id, *idx), name, v));
                    }
                }
            }
        }
        drop(pools);
        drop(m);
        for (id, s) in lock(&self.subnets6).iter() {
            for (name, v) in s.values() {
                out.push((Scope::Subnet6(*id), name, v));
            }
        }
        let mut removed = lock(&self.removed);
        if !removed.is_empty() {
            // A removed statistic comes back once its value moves.
            out.retain(|(scope, n, v)| !(*v == 0 && removed.contains(&scope.kea_name(n))));
            for (scope, n, _) in &out {
                removed.remove(&scope.kea_name(n));
            }
        }
        out
    }

    /// Value by Kea name (global or `subnet[ID].name`), if it exists.
    pub fn lookup(&self, name: &str) -> Option<i64> {
        if lock(&self.removed).contains(name)
            && self.with_counter(name, |c| c.load(Ordering::Relaxed)) == Some(0)
        {
            return None;
        }
        self.with_counter(name, |c| c.load(Ordering::Relaxed))
    }

    /// Runs `f` on the counter named `name`, if there is one.
    fn with_counter<T>(&self, name: &str, f: impl FnOnce(&AtomicI64) -> T) -> Option<T> {
        if let Some(s) = Stat::ALL.iter().find(|s| s.name() == name) {
            if !self.lists(*s) {
                return None;
            }
            return self.global.get(*s as usize).map(f);
        }
        let rest = name.strip_prefix("subnet[")?;
        let (id, field) = rest.split_once("].")?;
        let id: u32 = id.parse().ok()?;
        if let Some(p) = field.strip_prefix("pool[") {
            let (idx, field) = p.split_once("].")?;
            let idx: usize = idx.parse().ok()?;
            if !POOL_STATS.contains(&field) {
                return None;
            }
            let pool = lock(&self.pools).get(&(id, idx)).cloned()?;
            return pool.field(field).map(f);
        }
        if let Some(sub) = lock(&self.subnets).get(&id).cloned() {
            if let Some(c) = sub.field(field) {
                return Some(f(c));
            }
        }
        let sub6 = lock(&self.subnets6).get(&id).cloned()?;
        sub6.field(field).map(f)
    }

    /// Drops the statistics of every subnet not in `keep` (id, number of
    /// pools) and of pools past each kept subnet's count: a subnet deleted
    /// by a reconfiguration has no statistics any more, as in Kea. Engines
    /// still holding the dropped counters update them unseen.
    pub fn retain_subnets(&self, keep: &[(u32, usize)]) {
        let pools: BTreeMap<u32, usize> = keep.iter().copied().collect();
        lock(&self.subnets).retain(|id, _| pools.contains_key(id));
        lock(&self.subnets6).retain(|id, _| pools.contains_key(id));
        lock(&self.pools).retain(|(id, idx), _| pools.get(id).is_some_and(|n| idx < n));
    }

    /// `statistic-reset`: sets one statistic to 0. False if unknown.
    pub fn reset(&self, name: &str) -> bool {
        self.with_counter(name, |c| c.store(0, Ordering::Relaxed))
            .is_some()
    }

    /// `statistic-reset-all`.
    pub fn reset_all(&self) {
        for c in &self.global {
            c.store(0, Ordering::Relaxed);
        }
        for s in lock(&self.subnets)
            .values()
            .chain(lock(&self.pools).values())
        {
            for c in s.fields() {
                c.store(0, Ordering::Relaxed);
            }
        }
        for s in lock(&self.subnets6).values() {
            for c in s.fields() {
                c.store(0, Ordering::Relaxed);
            }
        }
    }

    /// `statistic-remove`: resets and hides one statistic. False if unknown.
    pub fn remove(&self, name: &str) -> bool {
        if self.lookup(name).is_none() || !self.reset(name) {
            return false;
        }
        lock(&self.removed).insert(name.to_string());
        true
    }

    /// `statistic-remove-all`.
    pub fn remove_all(&self) {
        let names: Vec<String> = self.snapshot().into_iter().map(|(n, _)| n).collect();
        self.reset_all();
        lock(&self.removed).extend(names);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_deleted_subnets_and_pools_go() {
        let s = Stats::new();
        s.subnet(1);
        s.subnet(2);
        s.pool(1, 0);
        s.pool(1, 1);
        s.pool(2, 0);
        s.subnet6(3);
        s.retain_subnets(&[(1, 1)]);
        assert!(s.lookup("subnet[1].total-addresses").is_some());
        assert!(s.lookup("subnet[1].pool[0].total-addresses").is_some());
        assert!(s.lookup("subnet[1].pool[1].total-addresses").is_none());
        assert!(s.lookup("subnet[2].total-addresses").is_none());
        assert!(s.lookup("subnet[2].pool[0].total-addresses").is_none());
        assert!(s.lookup("subnet[3].total-nas").is_none());
    }

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
        add(&s.pool(7, 1).assigned_addresses, 3);
        assert_eq!(s.lookup("subnet[7].pool[1].assigned-addresses"), Some(3));
        assert_eq!(s.lookup("subnet[7].pool[1].v4-reservation-conflicts"), None);
    }

    #[test]
    fn reset_and_remove() {
        let s = Stats::new();
        s.add(Stat::Pkt4Received, 5);
        add(&s.subnet(1).assigned_addresses, 2);
        assert!(s.reset("subnet[1].assigned-addresses"));
        assert_eq!(s.lookup("subnet[1].assigned-addresses"), Some(0));
        assert!(!s.reset("no-such-stat"));
        assert!(s.remove("pkt4-received"));
        assert_eq!(s.lookup("pkt4-received"), None);
        assert!(!s.snapshot().iter().any(|(n, _)| n == "pkt4-received"));
        s.inc(Stat::Pkt4Received);
        assert_eq!(
            s.lookup("pkt4-received"),
            Some(1),
            "recreated by the next update"
        );
        add(&s.subnet6(1).assigned_nas, 3);
        s.reset_all();
        assert_eq!(s.get(Stat::Pkt4Received), 0);
        assert_eq!(
            s.subnet6(1).assigned_nas.load(Ordering::Relaxed),
            0,
            "DHCPv6 subnets are reset too"
        );
    }

    #[test]
    fn a_family_lists_its_own_daemons_statistics() {
        let v4 = Stats::of_family(StatFamily::V4);
        let v6 = Stats::of_family(StatFamily::V6);
        v6.inc(Stat::DeclinedAddresses);
        assert_eq!(v4.lookup("pkt4-received"), Some(0));
        assert_eq!(v4.lookup("pkt6-received"), None);
        assert_eq!(v6.lookup("pkt4-received"), None);
        assert_eq!(v6.lookup("cumulative-assigned-nas"), Some(0));
        assert_eq!(v4.lookup("cumulative-assigned-nas"), None);
        assert_eq!(
            v4.lookup("declined-addresses"),
            Some(0),
            "both daemons have it"
        );
        assert_eq!(v6.lookup("declined-addresses"), Some(1), "each its own");
        let names: Vec<String> = v4.snapshot().into_iter().map(|(n, _)| n).collect();
        assert!(names.iter().any(|n| n == "pkt4-received"));
        assert!(!names
            .iter()
            .any(|n| n.starts_with("pkt6-") || n.starts_with("v6-")));
        assert!(!v6.reset("pkt4-received"), "not one of DHCPv6's");
    }

    #[test]
    fn scoped_snapshot_tells_the_families_apart() {
        let s = Stats::new();
        add(&s.subnet(1).declined_addresses, 2);
        add(&s.subnet6(1).declined_addresses, 3);
        add(&s.pool(1, 0).assigned_addresses, 4);
        let scoped = s.scoped_snapshot();
        let find = |scope: Scope, name: &str| {
            scoped
                .iter()
                .find(|(sc, n, _)| *sc == scope && *n == name)
                .map(|(_, _, v)| *v)
        };
        assert_eq!(find(Scope::Subnet4(1), "declined-addresses"), Some(2));
        assert_eq!(find(Scope::Subnet6(1), "declined-addresses"), Some(3));
        assert_eq!(find(Scope::Pool4(1, 0), "assigned-addresses"), Some(4));
        assert_eq!(find(Scope::Global, "pkt6-received"), Some(0));
        // The same entries, in the same order, under Kea's names.
        let named: Vec<(String, i64)> = scoped
            .iter()
            .map(|(sc, n, v)| (sc.kea_name(n), *v))
            .collect();
        assert_eq!(named, s.snapshot());
        assert!(named.contains(&("subnet[1].pool[0].assigned-addresses".to_string(), 4)));
    }
}
