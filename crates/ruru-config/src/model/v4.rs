//! The runtime model of the `Dhcp4` section: subnets, pools, encoded
//! options with 8-bit codes, host reservations and their identifiers.
//!
//! What `Dhcp4` shares with `Dhcp6` (interfaces, databases, control
//! sockets, loggers, ...) is in `common`.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::classes::{ClassGuard, ClassTest};
use super::common::{
    ControlSocket, ExpiredLeasesProcessing, FlexId, FlexOption, HookLibrary, HostModes,
    InterfacesConfig, LeaseDatabase, LeaseDbKind, Lifetime, Logger, MultiThreading, SharedNetwork,
};

/// The validated `Dhcp4` section.
#[derive(Debug, Clone)]
pub struct Dhcp4 {
    /// Kea's `dhcp4o6-port` (0: off). DHCPv4-over-DHCPv6 (RFC 7341) is on
    /// when `Dhcp6` names the same port (in the same ruru process).
    pub dhcp4o6_port: u16,
    /// `stash-agent-options` (Kea 2.6): a RENEWING REQUEST without option
    /// 82 gets the one stored with its lease (`store-extended-info`).
    pub stash_agent_options: bool,
    pub interfaces: InterfacesConfig,
    pub lease_database: LeaseDatabase,
    /// `hosts-database` / `hosts-databases`, in lookup order (after the
    /// configuration's reservations). Each is `Postgresql` or `Mysql`,
    /// never `Memfile`.
    pub hosts_databases: Vec<LeaseDbKind>,
    /// Subnets in configuration order (subnet selection looks at them by
    /// id and takes the first match, as Kea).
    pub subnets: Vec<Subnet4>,
    /// Global reservations (`Dhcp4.reservations`), used by the subnets
    /// whose [`Subnet4::host_modes`] has `global`.
    pub reservations: Reservations4,
    /// Kea's `early-global-reservations-lookup`: the global reservation
    /// is looked up before subnet selection (its classes and `KNOWN` then
    /// count for the subnets' class guards).
    pub early_global_reservations_lookup: bool,
    /// Global `option-data`, already encoded.
    pub options: Vec<OptionData>,
    pub decline_probation_period: u32,
    pub expired_leases: ExpiredLeasesProcessing,
    pub loggers: Vec<Logger>,
    /// Kea's `echo-client-id` (RFC 6842), default true.
    pub echo_client_id: bool,
    /// Kea's `host-reservation-identifiers`, in lookup order.
    pub host_reservation_identifiers: Vec<HostIdType>,
    /// Kea's `multi-threading`.
    pub multi_threading: MultiThreading,
    /// Control channels (`control-socket` / `control-sockets`), in file order.
    pub control_sockets: Vec<ControlSocket>,
    /// Hook libraries, in `hooks-libraries` order.
    pub hooks_libraries: Vec<HookLibrary>,
    /// Kea's `libdhcp_flex_id.so` in `hooks-libraries`, built in.
    pub flex_id: Option<FlexId>,
    /// Kea's `libdhcp_ping_check.so` in `hooks-libraries`, built in: its
    /// global settings (`None`: not listed, no address is checked). Each
    /// subnet has the settings in force for it in [`Subnet4::ping_check`].
    pub ping_check: Option<PingCheck>,
    /// The library's `ping-channel-threads` (Kea's ICMP thread pool; ruru
    /// checks on one thread of its own whatever the value).
    pub ping_channel_threads: u32,
    /// Kea's `libdhcp_ha.so` relationships, built in (empty: no HA; one:
    /// Kea 2.2's form; several: Kea 2.6's hub-and-spoke).
    pub ha: Vec<super::Ha>,
    /// Kea's `libdhcp_flex_option.so` `options`, built in, in the order
    /// they act (Kea's: by option code, then list order).
    pub flex_options: Vec<FlexOption>,
    /// Kea's `libdhcp_bootp.so` in `hooks-libraries`, built in: a
    /// BOOTREQUEST without a DHCP message type (a BOOTP client, RFC 1497
    /// vendor extensions) is served as a DHCPREQUEST in class `BOOTP`,
    /// with an infinite lease and a reply without DHCP-specific options.
    pub bootp: bool,
    /// Kea's `parked-packet-limit` (0: no limit; default 256).
    pub parked_packet_limit: u32,
    /// Kea's `server-tag` (default `""`), answered by `server-tag-get`.
    pub server_tag: String,
    /// Kea's `compatibility`.
    pub compatibility: crate::model::Compatibility,
    /// Kea's `statistic-default-sample-count` / `-age`.
    pub statistic_samples: crate::model::StatisticSamples,
    /// Kea's `sanity-checks.lease-checks` (default `warn`).
    pub lease_checks: crate::model::LeaseChecks,
    /// Kea's `dhcp-queue-control`, when it queues (see
    /// [`crate::model::QueueCapacity`]).
    pub queue_capacity: crate::model::QueueCapacity,
    /// Kea's `client-classes`, in definition order (the order Kea
    /// evaluates them in); names are unique.
    pub client_classes: Vec<ClientClass4>,
    /// The section's `option-def` (hosts databases' options in text form
    /// are read with them).
    pub option_defs: Vec<crate::options::CustomOptionDef>,
    /// Kea's `dhcp-ddns`: where name-change requests go.
    pub ddns_client: super::DdnsClient,
}

impl Dhcp4 {
    /// The class defined as `name` in `client-classes`, if any.
    pub fn client_class(&self, name: &str) -> Option<&ClientClass4> {
        self.client_classes.iter().find(|c| c.name == name)
    }
}

/// One `client-classes` entry of `Dhcp4`, validated, its test compiled.
#[derive(Debug, Clone)]
pub struct ClientClass4 {
    /// `name`: unique in the list. It may be a built-in name (`KNOWN`,
    /// ...) to attach options to it, but then has no test.
    pub name: String,
    /// `test` or `template-test`, compiled for DHCPv4.
    pub test: ClassTest,
    /// Kea 2.2's `only-if-required` / Kea 3.0's
    /// `only-in-additional-list` (default false): the class is not
    /// evaluated with the others but only when a subnet, pool or pd-pool
    /// requires it (`require-client-classes` /
    /// `evaluate-additional-classes`).
    pub only_if_required: bool,
    /// Whether the test uses `member('KNOWN')` / `member('UNKNOWN')`,
    /// directly or through an earlier class that does: Kea evaluates
    /// such classes after the host reservation lookup, not on receipt.
    pub depends_on_known: bool,
    /// `option-data`, encoded (space `dhcp4`).
    pub options: Vec<OptionData>,
    /// `next-server`: `siaddr` for members (`None`: not set by the class).
    pub next_server: Option<Ipv4Addr>,
    /// `server-hostname`: `sname` for members.
    pub server_hostname: Option<String>,
    /// `boot-file-name`: `file` for members.
    pub boot_file_name: Option<String>,
    /// `valid-lifetime`, `min-valid-lifetime`, `max-valid-lifetime`, when
    /// any is given: they override the subnet's for members.
    pub valid_lifetime: Option<Lifetime>,
    /// `offer-lifetime` (Kea 2.6): seconds an offered address is held
    /// for members (0: no hold).
    pub offer_lifetime: Option<u32>,
    /// `user-context` (a JSON object), for hooks.
    pub user_context: Option<serde_json::Value>,
}

/// One subnet, with every inherited parameter resolved.
#[derive(Debug, Clone)]
pub struct Subnet4 {
    pub id: u32,
    /// `cache-threshold` / `cache-max-age`, inherited.
    pub cache: super::LeaseCache,
    /// `store-extended-info`, inherited: keep option 82 in the lease's
    /// user context.
    pub store_extended_info: bool,
    /// `allocator`, inherited.
    pub allocator: super::Allocator,
    /// `offer-lifetime`, inherited (0: an OFFER stores nothing); a class
    /// of the client that sets one wins.
    pub offer_lifetime: u32,
    /// Network address (host bits zero).
    pub addr: Ipv4Addr,
    pub prefix_len: u8,
    pub pools: Vec<Pool4>,
    /// Subnet-level `option-data` (encoded).
    pub options: Vec<OptionData>,
    pub reservations: Reservations4,
    /// `relay.ip-addresses`.
    pub relay_addresses: Vec<Ipv4Addr>,
    /// `interface`: directly connected clients on this interface use this subnet.
    pub interface: Option<String>,
    pub valid_lifetime: Lifetime,
    /// `renew-timer` (T1) when configured.
    pub renew_timer: Option<u32>,
    /// `rebind-timer` (T2) when configured.
    pub rebind_timer: Option<u32>,
    pub calculate_tee_times: bool,
    pub t1_percent: f64,
    pub t2_percent: f64,
    pub authoritative: bool,
    pub match_client_id: bool,
    pub next_server: Ipv4Addr,
    pub server_hostname: String,
    pub boot_file_name: String,
    /// `client-class` / `client-classes` and `require-client-classes` /
    /// `evaluate-additional-classes` of the subnet (a shared network's
    /// required classes come first in `required_classes`).
    pub classes: ClassGuard,
    /// The shared network the subnet is in, if any.
    pub network: Option<std::sync::Arc<SharedNetwork<OptionData>>>,
    /// Which reservations apply (global, in-subnet, out-of-pool).
    pub host_modes: HostModes,
    /// The `ddns-*` parameters in force (global → shared network →
    /// subnet).
    pub ddns: std::sync::Arc<super::DdnsParams>,
    /// The HA relationship the subnet belongs to (Kea 2.6's
    /// `ha-server-name`; used with several relationships).
    pub ha_server_name: super::HaServerName,
    /// DHCPv4-over-DHCPv6 (RFC 7341): how this subnet is selected for a
    /// client whose DHCPv4 messages come in DHCPv6 (Kea's `4o6-*` keys).
    pub dhcp4o6: Dhcp4o6Subnet,
    /// The built-in ping check's settings for this subnet: the library's,
    /// overridden by the subnet's `user-context` `ping-check` map (`None`:
    /// the library is not listed).
    pub ping_check: Option<PingCheck>,
}

/// Kea's DHCPv4-over-DHCPv6 subnet selectors (`4o6-interface`,
/// `4o6-interface-id`, `4o6-subnet`). A subnet with none of them is never
/// selected for such a client; one with some is selected when any of its
/// own matches (Kea's `selectSubnet4o6`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dhcp4o6Subnet {
    /// `4o6-interface`: the interface the DHCPv6 message arrived on.
    pub interface: Option<String>,
    /// `4o6-interface-id`: the bytes of the interface-id option (18) of
    /// the relay closest to the client.
    pub interface_id: Option<Vec<u8>>,
    /// `4o6-subnet`: the prefix holding the DHCPv6 message's source address.
    pub subnet: Option<(std::net::Ipv6Addr, u8)>,
}

impl Dhcp4o6Subnet {
    /// Whether any selector is set.
    pub fn enabled(&self) -> bool {
        self.interface.is_some() || self.interface_id.is_some() || self.subnet.is_some()
    }

    /// Kea's order: the source address in `4o6-subnet`, then the relay's
    /// interface-id, then the interface name.
    pub fn matches(
        &self,
        src: std::net::Ipv6Addr,
        interface_id: Option<&[u8]>,
        iface: Option<&str>,
    ) -> bool {
        if let Some((a, len)) = self.subnet {
            // Kea: a prefix of `::` never matches.
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            if !a.is_unspecified() && u128::from(src) & mask == u128::from(a) & mask {
                return true;
            }
        }
        if let (Some(want), Some(got)) = (&self.interface_id, interface_id) {
            if want[..] == *got {
                return true;
            }
        }
        matches!((&self.interface, iface), (Some(want), Some(got)) if want == got)
    }
}

/// Kea's `libdhcp_ping_check.so` settings at one scope: before an address
/// is offered to a DHCPDISCOVER, ICMP ECHO REQUESTs are sent to it, and an
/// ECHO REPLY means another host uses it (the server declines it instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PingCheck {
    /// `enable-ping-check` (default true).
    pub enabled: bool,
    /// `min-ping-requests` (default 1, at least 1): ECHO REQUESTs sent,
    /// each unanswered for `reply-timeout`, before the address is offered.
    pub min_ping_requests: u32,
    /// `reply-timeout` in milliseconds (default 100, at least 1): how long
    /// a reply to one ECHO REQUEST is waited for.
    pub reply_timeout_ms: u32,
    /// `ping-cltt-secs` (default 60): the client's own expired lease of
    /// the address is offered again unchecked while its last transmission
    /// time (CLTT) is younger than this.
    pub ping_cltt_secs: u32,
}

impl Default for PingCheck {
    /// Kea's defaults.
    fn default() -> Self {
        PingCheck {
            enabled: true,
            min_ping_requests: 1,
            reply_timeout_ms: 100,
            ping_cltt_secs: 60,
        }
    }
}

impl Subnet4 {
    /// Whether `a` is inside this subnet's prefix.
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        let mask = if self.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix_len))
        };
        (u32::from(a) & mask) == u32::from(self.addr)
    }

    /// The pool holding `a`, if any.
    pub fn pool_of(&self, a: Ipv4Addr) -> Option<&Pool4> {
        self.pools.iter().find(|p| p.contains(a))
    }

    /// Number of addresses in all pools (Kea's `total-addresses`).
    pub fn total_addresses(&self) -> u64 {
        self.pools.iter().map(Pool4::size).sum()
    }
}

/// An address pool: `start` ..= `end`.
#[derive(Debug, Clone)]
pub struct Pool4 {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
    /// Kea's `pool-id` (0: none), stored with the pool's leases.
    pub id: u32,
    /// Pool-level `option-data` (encoded).
    pub options: Vec<OptionData>,
    /// `client-class` / `client-classes` and `require-client-classes` /
    /// `evaluate-additional-classes` of the pool.
    pub classes: ClassGuard,
    /// The `ddns-*` parameters for leases of this pool (the subnet's,
    /// overridden by the pool's own keys).
    pub ddns: std::sync::Arc<super::DdnsParams>,
}

impl Pool4 {
    pub fn contains(&self, a: Ipv4Addr) -> bool {
        a >= self.start && a <= self.end
    }
    pub fn size(&self) -> u64 {
        u64::from(u32::from(self.end)) - u64::from(u32::from(self.start)) + 1
    }
}

/// One `option-data` entry, validated and encoded to its wire bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionData {
    pub code: u8,
    /// The option payload (without code and length octets).
    pub data: Vec<u8>,
    /// Kea's `always-send`: include even when not in the parameter request list.
    pub always_send: bool,
    /// Kea 2.6's `never-send`: the option is not sent, whatever the other
    /// levels say.
    pub never_send: bool,
    /// `Some(n)`: a sub-option of space `vendor-n`, sent inside option 125
    /// for vendor `n` (not a top-level option).
    pub vendor: Option<u32>,
}

/// Host identifier types usable in DHCPv4 reservations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostIdType {
    HwAddress,
    Duid,
    CircuitId,
    ClientId,
    Flex,
}

/// A reservation's identifier, as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostId {
    /// Hardware address (without the htype).
    HwAddress(Vec<u8>),
    /// Client identifier, option 61 payload exactly as the client sends it.
    ClientId(Vec<u8>),
    /// Relay agent circuit-id (option 82 sub-option 1) payload.
    CircuitId(Vec<u8>),
    /// Kea's flexible identifier: the bytes a `host4_identifier` callout
    /// computes for the packet.
    Flex(Vec<u8>),
    /// A DUID, matched against an RFC 4361 client identifier (option 61
    /// of type 255: the IAID's 4 octets, then the DUID).
    Duid(Vec<u8>),
}

impl HostId {
    /// The DUID in an RFC 4361 client identifier (`0xff`, IAID, DUID).
    pub fn duid_of_client_id(client_id: &[u8]) -> Option<HostId> {
        match client_id {
            [0xff, _, _, _, _, duid @ ..] if !duid.is_empty() => Some(HostId::Duid(duid.to_vec())),
            _ => None,
        }
    }
}

/// One host reservation.
#[derive(Debug, Clone)]
pub struct Reservation4 {
    pub id: HostId,
    pub ip_address: Option<Ipv4Addr>,
    pub hostname: Option<String>,
    pub options: Vec<OptionData>,
    pub next_server: Option<Ipv4Addr>,
    pub server_hostname: Option<String>,
    pub boot_file_name: Option<String>,
    /// `client-classes`: classes the host is put in once its reservation
    /// is found (Kea's "class reservations"), in file order, each once.
    pub client_classes: Vec<String>,
}

/// A subnet's reservations with lookup indexes.
#[derive(Debug, Clone, Default)]
pub struct Reservations4 {
    pub hosts: Vec<Reservation4>,
    /// identifier → index into `hosts`.
    pub by_id: HashMap<HostId, usize>,
    /// reserved address → index into `hosts`.
    pub by_addr: HashMap<Ipv4Addr, usize>,
    /// With `ip-reservations-unique: false`: the further hosts reserving an
    /// address already in `by_addr` (which keeps the first).
    pub shared_addr: HashMap<Ipv4Addr, Vec<usize>>,
}

impl Reservations4 {
    /// Builds the indexes. Duplicate identifiers are rejected earlier by
    /// validation; a shared address (`ip-reservations-unique: false`) is
    /// indexed by its first host, the others in `shared_addr`.
    pub fn new(hosts: Vec<Reservation4>) -> Self {
        let mut by_id = HashMap::with_capacity(hosts.len());
        let mut by_addr = HashMap::with_capacity(hosts.len());
        let mut shared_addr: HashMap<Ipv4Addr, Vec<usize>> = HashMap::new();
        for (i, h) in hosts.iter().enumerate() {
            by_id.insert(h.id.clone(), i);
            if let Some(a) = h.ip_address {
                if let std::collections::hash_map::Entry::Vacant(e) = by_addr.entry(a) {
                    e.insert(i);
                } else {
                    shared_addr.entry(a).or_default().push(i);
                }
            }
        }
        Reservations4 {
            hosts,
            by_id,
            by_addr,
            shared_addr,
        }
    }

    /// Whether `a` is reserved, but not for the host `own` (several hosts
    /// may reserve it with `ip-reservations-unique: false`).
    pub fn reserved_for_other(&self, a: Ipv4Addr, own: Option<&HostId>) -> bool {
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

    pub fn get(&self, id: &HostId) -> Option<&Reservation4> {
        self.by_id.get(id).map(|&i| &self.hosts[i])
    }

    pub fn by_address(&self, a: Ipv4Addr) -> Option<&Reservation4> {
        self.by_addr.get(&a).map(|&i| &self.hosts[i])
    }
}
