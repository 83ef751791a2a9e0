//! The runtime model of the `Dhcp6` section: what differs from DHCPv4
//! (prefixes, PD pools, DUID reservations, 16-bit option codes, preferred
//! lifetimes, the server DUID).
//!
//! What `Dhcp6` shares with `Dhcp4` (interfaces, databases, control
//! sockets, lifetimes, loggers, expired-leases processing, ...) is in
//! `common`.

use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;

use super::classes::{ClassGuard, ClassTest};
use super::common::{
    ControlSocket, ExpiredLeasesProcessing, FlexId, FlexOption, HookLibrary, HostModes,
    InterfacesConfig, LeaseDatabase, LeaseDbKind, Lifetime, Logger, MultiThreading, SharedNetwork,
};

/// One of Kea's `mac-sources`: where the client's link-layer address is
/// found. The bit is Kea's `hwaddr_source` (as in the lease file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacSource {
    /// `any`: each of the others in turn, in Kea's order (raw, client
    /// link-layer address option, DUID, link-local address, remote-id,
    /// subscriber-id, DOCSIS CMTS, DOCSIS modem).
    Any,
    /// `raw` (0x1): the frame's source address. DHCPv6 has no raw
    /// sockets in Kea (nor in ruru): never found.
    Raw,
    /// `duid` (0x2): the address in a DUID-LLT or DUID-LL.
    Duid,
    /// `ipv6-link-local` (0x4): the EUI-64 interface identifier of the
    /// client's link-local address (the innermost relay's peer-address
    /// when relayed).
    Ipv6LinkLocal,
    /// `client-link-addr-option` / `rfc6939` (0x8): option 79 of the
    /// relay closest to the client.
    ClientLinkAddrOption,
    /// `remote-id` / `rfc4649` (0x10): option 37 of the relay closest to
    /// the client, after its enterprise number.
    RemoteId,
    /// `subscriber-id` / `rfc4580` (0x20): not implemented by Kea either:
    /// never found.
    SubscriberId,
    /// `docsis-cmts` (0x40): sub-option 1026 (CM MAC) of option 17 of
    /// enterprise 4491, in the relays (the one closest to the client
    /// first).
    DocsisCmts,
    /// `docsis-modem` (0x80): sub-option 36 (device ID) of option 17 of
    /// enterprise 4491 in the client's message.
    DocsisModem,
}

impl MacSource {
    /// Kea's names (`HWAddr`'s `textToSource`), aliases included.
    pub fn from_name(name: &str) -> Option<MacSource> {
        Some(match name {
            "any" => MacSource::Any,
            "raw" => MacSource::Raw,
            "duid" => MacSource::Duid,
            "ipv6-link-local" => MacSource::Ipv6LinkLocal,
            "client-link-addr-option" | "rfc6939" => MacSource::ClientLinkAddrOption,
            "remote-id" | "rfc4649" => MacSource::RemoteId,
            "subscriber-id" | "rfc4580" => MacSource::SubscriberId,
            "docsis-cmts" => MacSource::DocsisCmts,
            "docsis-modem" => MacSource::DocsisModem,
            _ => return None,
        })
    }
}

/// The validated `Dhcp6` section.
#[derive(Debug, Clone)]
pub struct Dhcp6 {
    pub interfaces: InterfacesConfig,
    pub lease_database: LeaseDatabase,
    /// `hosts-database` / `hosts-databases`, in lookup order (after the
    /// subnets' reservations). Each is `Postgresql` or `Mysql`, never
    /// `Memfile`.
    pub hosts_databases: Vec<LeaseDbKind>,
    /// Subnets in configuration order.
    pub subnets: Vec<Subnet6>,
    /// Global reservations (`Dhcp6.reservations`), used by the subnets
    /// whose [`Subnet6::host_modes`] has `global`.
    pub reservations: Reservations6,
    /// Kea's `host-reservation-identifiers`: the identifier kinds looked
    /// up, in order (`Duid`, `HwAddress` from a DUID-LL/LLT, `Flex`).
    pub host_reservation_identifiers: Vec<super::v4::HostIdType>,
    /// Kea's `early-global-reservations-lookup`: the global reservation
    /// is looked up before subnet selection (its classes and `KNOWN` then
    /// count for the subnets' class guards).
    pub early_global_reservations_lookup: bool,
    /// Global `option-data`, encoded.
    pub options: Vec<OptionData6>,
    pub decline_probation_period: u32,
    pub expired_leases: ExpiredLeasesProcessing,
    pub loggers: Vec<Logger>,
    /// Kea's `server-id`: how the server DUID is made and where it is kept.
    pub server_id: ServerId,
    /// Kea's `multi-threading` (Kea 2.2 defaults, as for DHCPv4).
    pub multi_threading: MultiThreading,
    /// Control channels (`control-socket` / `control-sockets`), in file order.
    pub control_sockets: Vec<ControlSocket>,
    /// Hook libraries, in `hooks-libraries` order.
    pub hooks_libraries: Vec<HookLibrary>,
    /// Kea's `libdhcp_flex_id.so` in `hooks-libraries`, built in.
    pub flex_id: Option<FlexId>,
    /// Kea's `libdhcp_ha.so` relationships, built in (empty: no HA; one:
    /// Kea 2.2's form; several: Kea 2.6's hub-and-spoke).
    pub ha: Vec<super::Ha>,
    /// Kea's `libdhcp_flex_option.so` `options`, built in, in the order
    /// they act (Kea's: by option code, then list order).
    pub flex_options: Vec<FlexOption>,
    /// Kea's `parked-packet-limit` (0: no limit; default 256).
    pub parked_packet_limit: u32,
    /// Kea's `server-tag` (default `""`), answered by `server-tag-get`.
    pub server_tag: String,
    /// Kea's `compatibility`.
    pub compatibility: crate::model::Compatibility,
    /// Kea's `mac-sources`, in order (default `[Any]`).
    pub mac_sources: Vec<MacSource>,
    /// Kea's `relay-supplied-options` with option 65: the codes of the
    /// options a relay's RSOO (66) may give the client, sorted.
    pub rsoo_enabled: Vec<u16>,
    /// Kea's `statistic-default-sample-count` / `-age`.
    pub statistic_samples: crate::model::StatisticSamples,
    /// Kea's `sanity-checks.lease-checks` (default `warn`).
    pub lease_checks: crate::model::LeaseChecks,
    /// Kea's `dhcp-queue-control`, when it queues (see
    /// [`crate::model::QueueCapacity`]).
    pub queue_capacity: crate::model::QueueCapacity,
    /// Kea's `client-classes`, in definition order (the order Kea
    /// evaluates them in); names are unique.
    pub client_classes: Vec<ClientClass6>,
    /// The section's `option-def` (hosts databases' options in text form
    /// are read with them).
    pub option_defs: Vec<crate::options::CustomOptionDef>,
    /// Kea's `dhcp4o6-port` (0: off): with the same port in `Dhcp4`, a
    /// DHCPV4-QUERY's DHCPv4 message is served by this process's `Dhcp4`
    /// (RFC 7341).
    pub dhcp4o6_port: u16,
    /// Kea's `dhcp-ddns`: where name-change requests go.
    pub ddns_client: super::DdnsClient,
}

impl Dhcp6 {
    /// The class defined as `name` in `client-classes`, if any.
    pub fn client_class(&self, name: &str) -> Option<&ClientClass6> {
        self.client_classes.iter().find(|c| c.name == name)
    }
}

/// One `client-classes` entry of `Dhcp6`, validated, its test compiled.
#[derive(Debug, Clone)]
pub struct ClientClass6 {
    /// `name`: unique in the list. It may be a built-in name (`KNOWN`,
    /// ...) to attach options to it, but then has no test.
    pub name: String,
    /// `test` or `template-test`, compiled for DHCPv6.
    pub test: ClassTest,
    /// Kea 2.2's `only-if-required` / Kea 3.0's
    /// `only-in-additional-list` (default false): the class is evaluated
    /// only when a subnet, pool or pd-pool requires it
    /// (`require-client-classes` / `evaluate-additional-classes`).
    pub only_if_required: bool,
    /// Whether the test uses `member('KNOWN')` / `member('UNKNOWN')`,
    /// directly or through an earlier class that does: Kea evaluates
    /// such classes after the host reservation lookup, not on receipt.
    pub depends_on_known: bool,
    /// `option-data`, encoded (space `dhcp6`).
    pub options: Vec<OptionData6>,
    /// `valid-lifetime`, `min-valid-lifetime`, `max-valid-lifetime`, when
    /// any is given: they override the subnet's for members.
    pub valid_lifetime: Option<Lifetime>,
    /// `preferred-lifetime`, `min-preferred-lifetime`,
    /// `max-preferred-lifetime`, when any is given.
    pub preferred_lifetime: Option<Lifetime>,
    /// `user-context` (a JSON object), for hooks.
    pub user_context: Option<serde_json::Value>,
}

/// Kea's `server-id` (the server DUID), generated once and persisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerId {
    pub kind: DuidType,
    /// Explicit identifier bytes (`identifier`), if configured.
    pub identifier: Option<Vec<u8>>,
    /// `enterprise-id` for DUID-EN (Kea's default 2495, ISC).
    pub enterprise_id: u32,
    /// `htype` for DUID-LLT/LL (default 1, Ethernet).
    pub htype: u16,
    /// `time` for DUID-LLT (0: now at generation).
    pub time: u32,
    /// `persist`: keep the DUID in a file (default true).
    pub persist: bool,
    /// The file: `kea-dhcp6-serverid` in `data-directory`, as in Kea;
    /// without one, in the directory of the lease file
    /// (`lease-database.name`, default `/var/lib/kea/`), Kea's default data
    /// directory, where its default lease file is too: next to the lease
    /// file keeps a test's or a relative-path setup self-contained.
    pub file: PathBuf,
}

/// DUID types Kea can generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuidType {
    Llt,
    En,
    Ll,
}

/// A DHCPv6 option, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionData6 {
    pub code: u16,
    pub data: Vec<u8>,
    pub always_send: bool,
    /// Kea 2.6's `never-send`: the option is not sent, whatever the other
    /// levels say.
    pub never_send: bool,
    /// `Some(n)`: a sub-option of space `vendor-n`, sent inside option 17
    /// for vendor `n` (not a top-level option).
    pub vendor: Option<u32>,
}

/// One subnet, with inherited parameters resolved.
#[derive(Debug, Clone)]
pub struct Subnet6 {
    pub id: u32,
    /// `cache-threshold` / `cache-max-age`, inherited.
    pub cache: super::LeaseCache,
    /// `store-extended-info`, inherited: keep the relays of a relayed
    /// query in the lease's user context.
    pub store_extended_info: bool,
    /// `allocator` (addresses) and `pd-allocator` (prefixes), inherited.
    pub allocator: super::Allocator,
    pub pd_allocator: super::Allocator,
    pub addr: Ipv6Addr,
    pub prefix_len: u8,
    pub pools: Vec<Pool6>,
    pub pd_pools: Vec<PdPool>,
    pub options: Vec<OptionData6>,
    pub reservations: Reservations6,
    /// `relay.ip-addresses`.
    pub relay_addresses: Vec<Ipv6Addr>,
    pub interface: Option<String>,
    /// `interface-id`: relayed traffic carrying this interface-id option.
    pub interface_id: Option<Vec<u8>>,
    pub valid_lifetime: Lifetime,
    pub preferred_lifetime: Lifetime,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    /// v6 default true (Kea).
    pub calculate_tee_times: bool,
    /// Default 0.5.
    pub t1_percent: f64,
    /// Default 0.8.
    pub t2_percent: f64,
    /// `rapid-commit` (default false).
    pub rapid_commit: bool,
    /// `client-class` / `client-classes` and `require-client-classes` /
    /// `evaluate-additional-classes` of the subnet (a shared network's
    /// required classes come first in `required_classes`).
    pub classes: ClassGuard,
    /// The shared network the subnet is in, if any.
    pub network: Option<std::sync::Arc<SharedNetwork<OptionData6>>>,
    /// Which reservations apply (global, in-subnet, out-of-pool).
    pub host_modes: HostModes,
    /// The `ddns-*` parameters in force (global → shared network →
    /// subnet).
    pub ddns: std::sync::Arc<super::DdnsParams>,
    /// The HA relationship the subnet belongs to (Kea 2.6's
    /// `ha-server-name`; used with several relationships).
    pub ha_server_name: super::HaServerName,
}

impl Subnet6 {
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        prefix_contains(self.addr, self.prefix_len, a)
    }

    /// Addresses in all address pools (Kea's `total-nas`), saturating.
    pub fn total_nas(&self) -> u128 {
        self.pools
            .iter()
            .fold(0u128, |t, p| t.saturating_add(p.size()))
    }

    /// Delegable prefixes in all PD pools (Kea's `total-pds`), saturating.
    pub fn total_pds(&self) -> u128 {
        self.pd_pools
            .iter()
            .fold(0u128, |t, p| t.saturating_add(p.size()))
    }
}

/// Whether `a` is inside `net/len`.
pub fn prefix_contains(net: Ipv6Addr, len: u8, a: Ipv6Addr) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    (u128::from(a) & mask) == (u128::from(net) & mask)
}

/// An address pool `start ..= end`.
#[derive(Debug, Clone)]
pub struct Pool6 {
    pub start: Ipv6Addr,
    pub end: Ipv6Addr,
    /// Kea's `pool-id` (0: none), stored with the pool's leases.
    pub id: u32,
    pub options: Vec<OptionData6>,
    /// `client-class` / `client-classes` and `require-client-classes` /
    /// `evaluate-additional-classes` of the pool.
    pub classes: ClassGuard,
    /// The `ddns-*` parameters for leases of this pool.
    pub ddns: std::sync::Arc<super::DdnsParams>,
}

impl Pool6 {
    pub fn contains(&self, a: Ipv6Addr) -> bool {
        a >= self.start && a <= self.end
    }
    pub fn size(&self) -> u128 {
        (u128::from(self.end) - u128::from(self.start)).saturating_add(1)
    }
}

/// A prefix-delegation pool: `prefix/prefix_len` cut into `/delegated_len`.
#[derive(Debug, Clone)]
pub struct PdPool {
    pub prefix: Ipv6Addr,
    /// Kea's `pool-id` (0: none), stored with the pool's leases.
    pub id: u32,
    pub prefix_len: u8,
    pub delegated_len: u8,
    /// `excluded-prefix` (RFC 6603), when configured.
    pub excluded: Option<(Ipv6Addr, u8)>,
    pub options: Vec<OptionData6>,
    /// `client-class` / `client-classes` and `require-client-classes` /
    /// `evaluate-additional-classes` of the pd-pool.
    pub classes: ClassGuard,
}

impl PdPool {
    /// Number of delegable prefixes (saturating).
    pub fn size(&self) -> u128 {
        let bits = u32::from(self.delegated_len.saturating_sub(self.prefix_len));
        if bits >= 128 {
            u128::MAX
        } else {
            1u128 << bits
        }
    }

    /// The `n`th delegated prefix.
    pub fn nth(&self, n: u128) -> Option<Ipv6Addr> {
        if n >= self.size() || self.delegated_len == 0 {
            return None;
        }
        let shift = 128 - u32::from(self.delegated_len);
        let base = u128::from(self.prefix);
        let off = n.checked_shl(shift)?;
        Some(Ipv6Addr::from(base | off))
    }

    /// Whether `p/len` is one of this pool's delegated prefixes.
    pub fn contains(&self, p: Ipv6Addr, len: u8) -> bool {
        len == self.delegated_len && prefix_contains(self.prefix, self.prefix_len, p)
    }
}

/// A DHCPv6 reservation identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostId6 {
    Duid(Vec<u8>),
    HwAddress(Vec<u8>),
    /// Kea's flexible identifier (computed by a `host6_identifier` callout).
    Flex(Vec<u8>),
}

/// One DHCPv6 host reservation.
#[derive(Debug, Clone)]
pub struct Reservation6 {
    pub id: HostId6,
    pub ip_addresses: Vec<Ipv6Addr>,
    pub prefixes: Vec<(Ipv6Addr, u8)>,
    /// Kea's `excluded-prefixes`: the prefix excluded (RFC 6603) from the
    /// prefix of `prefixes` at the same index; shorter than `prefixes`
    /// (hosts databases: empty) means none for the others.
    pub excluded_prefixes: Vec<Option<(Ipv6Addr, u8)>>,
    pub hostname: Option<String>,
    pub options: Vec<OptionData6>,
    /// `client-classes`: classes the host is put in once its reservation
    /// is found (Kea's "class reservations"), in file order, each once.
    pub client_classes: Vec<String>,
}

impl Reservation6 {
    /// The excluded prefix (RFC 6603) of reserved prefix `p`/`len`, if
    /// it is one of this host's and has one.
    pub fn excluded_prefix(&self, p: Ipv6Addr, len: u8) -> Option<(Ipv6Addr, u8)> {
        let i = self.prefixes.iter().position(|x| *x == (p, len))?;
        self.excluded_prefixes.get(i).copied().flatten()
    }
}

/// A subnet's reservations with indexes.
#[derive(Debug, Clone, Default)]
pub struct Reservations6 {
    pub hosts: Vec<Reservation6>,
    pub by_id: HashMap<HostId6, usize>,
    pub by_addr: HashMap<Ipv6Addr, usize>,
    /// With `ip-reservations-unique: false`: the further hosts reserving an
    /// address already in `by_addr` (which keeps the first).
    pub shared_addr: HashMap<Ipv6Addr, Vec<usize>>,
}

impl Reservations6 {
    /// Builds the indexes; a shared address or prefix
    /// (`ip-reservations-unique: false`) is indexed by its first host, the
    /// others in `shared_addr`.
    pub fn new(hosts: Vec<Reservation6>) -> Self {
        let mut by_id = HashMap::new();
        let mut by_addr = HashMap::new();
        let mut shared_addr: HashMap<Ipv6Addr, Vec<usize>> = HashMap::new();
        for (i, h) in hosts.iter().enumerate() {
            by_id.insert(h.id.clone(), i);
            let addrs = h
                .ip_addresses
                .iter()
                .chain(h.prefixes.iter().map(|(p, _)| p));
            for a in addrs {
                if let std::collections::hash_map::Entry::Vacant(e) = by_addr.entry(*a) {
                    e.insert(i);
                } else {
                    shared_addr.entry(*a).or_default().push(i);
                }
            }
        }
        Reservations6 {
            hosts,
            by_id,
            by_addr,
            shared_addr,
        }
    }

    /// Whether `a` (an address, or a prefix by its first address) is
    /// reserved, but not for the host `own`.
    pub fn reserved_for_other(&self, a: Ipv6Addr, own: Option<&HostId6>) -> bool {
        let Some(&first) = self.by_addr.get(&a) else {
            return false;
        };
        let is_own = |i: usize| own.is_some_and(|o| self.hosts[i].id == *o);
        !(is_own(first)
            || self
                .shared_addr
                .get(&a)
                .is_some_and(|more| more.iter().any(|&i| is_own(i))))
    }

    pub fn get(&self, id: &HostId6) -> Option<&Reservation6> {
        self.by_id.get(id).map(|&i| &self.hosts[i])
    }

    pub fn by_address(&self, a: Ipv6Addr) -> Option<&Reservation6> {
        self.by_addr.get(&a).map(|&i| &self.hosts[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pd_pool_prefixes() {
        let p = PdPool {
            id: 0,
            prefix: "2001:db8:8::".parse().unwrap(),
            prefix_len: 48,
            delegated_len: 56,
            excluded: None,
            options: vec![],
            classes: ClassGuard::default(),
        };
        assert_eq!(p.size(), 256);
        assert_eq!(p.nth(0), Some("2001:db8:8::".parse().unwrap()));
        assert_eq!(p.nth(1), Some("2001:db8:8:100::".parse().unwrap()));
        assert_eq!(p.nth(255), Some("2001:db8:8:ff00::".parse().unwrap()));
        assert_eq!(p.nth(256), None);
        assert!(p.contains("2001:db8:8:300::".parse().unwrap(), 56));
        assert!(!p.contains("2001:db8:8:300::".parse().unwrap(), 64));
    }

    #[test]
    fn prefix_containment() {
        let n: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        assert!(prefix_contains(n, 64, "2001:db8:1::5".parse().unwrap()));
        assert!(!prefix_contains(n, 64, "2001:db8:2::5".parse().unwrap()));
        assert!(prefix_contains(n, 0, "::1".parse().unwrap()));
    }
}
