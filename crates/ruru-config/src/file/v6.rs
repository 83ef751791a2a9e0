//! The `Dhcp6` section of the file model: the section and its objects
//! that differ from `Dhcp4`'s (subnets, prefix pools, reservations, client
//! classes, shared networks, `interfaces-config`, `server-id`). What both
//! sections share is in the parent module.

use serde::Deserialize;
use serde_json::Value;

use super::*;

/// One `client-classes` entry of `Dhcp6`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientClass6 {
    pub comment: Option<String>,
    /// Data for hooks: a JSON object.
    pub user_context: Option<Value>,
    /// The class name, unique in the list. Required, not empty.
    pub name: String,
    /// See [`ClientClass4::test`].
    pub test: Option<String>,
    /// See [`ClientClass4::template_test`].
    pub template_test: Option<String>,
    /// See [`ClientClass4::only_if_required`].
    pub only_if_required: Option<bool>,
    /// Kea 3.0's name of `only-if-required`.
    pub only_in_additional_list: Option<bool>,
    /// Options for members (space `dhcp6`).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    pub preferred_lifetime: Option<u32>,
    pub min_preferred_lifetime: Option<u32>,
    pub max_preferred_lifetime: Option<u32>,
    pub valid_lifetime: Option<u32>,
    pub min_valid_lifetime: Option<u32>,
    pub max_valid_lifetime: Option<u32>,
}

/// One `shared-networks` entry of `Dhcp6`, as [`SharedNetwork4`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SharedNetwork6 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The network's name, unique among the section's networks. Required.
    pub name: Option<String>,
    /// The network's subnets, in the order allocation tries them.
    #[serde(default, deserialize_with = "objects")]
    pub subnet6: Option<Vec<Subnet6>>,
    /// Directly connected clients on this interface select the network.
    pub interface: Option<String>,
    /// Relayed traffic with this Interface-Id selects the network.
    pub interface_id: Option<String>,
    /// Relay link-addresses selecting the network.
    #[serde(default, deserialize_with = "object")]
    pub relay: Option<Relay>,
    /// Options of the network (below the subnets', above the classes').
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    pub preferred_lifetime: Option<u32>,
    pub min_preferred_lifetime: Option<u32>,
    pub max_preferred_lifetime: Option<u32>,
    pub valid_lifetime: Option<u32>,
    pub min_valid_lifetime: Option<u32>,
    pub max_valid_lifetime: Option<u32>,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub calculate_tee_times: Option<bool>,
    pub t1_percent: Option<f64>,
    pub t2_percent: Option<f64>,
    /// Kea's lease caching: a lease renewed before this fraction of its
    /// valid lifetime has passed is not written again; the reply gives
    /// what is left of it. Off unless set (here or above); values of 0
    /// or less, or above 1, turn it off.
    pub cache_threshold: Option<f64>,
    /// Kea's lease caching: the most seconds a lease may have aged and
    /// still be reused without a write (0 turns caching off).
    pub cache_max_age: Option<u32>,
    /// Kea's `store-extended-info`: the relay information of a relayed
    /// query (each relay's hop count, link and peer addresses and options)
    /// is kept in the lease's user context, as Kea 2.2 keeps it
    /// (`{ "ISC": { "relays": [ ... ] } }`). Default false.
    pub store_extended_info: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+) for addresses: `iterative` (the
    /// default) or `random`.
    pub allocator: Option<String>,
    /// Kea's `pd-allocator` (Kea 2.4+) for delegated prefixes:
    /// `iterative` (the default) or `random`; `flq` is refused as not
    /// supported yet.
    pub pd_allocator: Option<String>,
    pub rapid_commit: Option<bool>,
    /// See [`SharedNetwork4::client_class`].
    pub client_class: Option<String>,
    pub client_classes: Option<Vec<String>>,
    pub require_client_classes: Option<Vec<String>>,
    pub evaluate_additional_classes: Option<Vec<String>>,
    /// Kea's deprecated `reservation-mode` (`"all"`, `"out-of-pool"`,
    /// `"global"`, `"disabled"`): the three `reservations-*` flags at once.
    /// Not together with them in one scope.
    pub reservation_mode: Option<String>,
    /// Look up global reservations (`Dhcp*.reservations`, hosts database
    /// rows of subnet id 0). Default false; inherited.
    pub reservations_global: Option<bool>,
    /// Look up the subnet's reservations. Default true; inherited.
    pub reservations_in_subnet: Option<bool>,
    /// Reserved addresses are all outside the pools: in-pool reservations
    /// are ignored and pool addresses are not checked against
    /// reservations. Default false; inherited.
    pub reservations_out_of_pool: Option<bool>,
    /// `ddns-*` and `hostname-char-*`: as in [`super::Dhcp4`], for this scope.
    pub ddns_send_updates: Option<bool>,
    pub ddns_override_no_update: Option<bool>,
    pub ddns_override_client_update: Option<bool>,
    pub ddns_replace_client_name: Option<String>,
    pub ddns_generated_prefix: Option<String>,
    pub ddns_qualifying_suffix: Option<String>,
    pub ddns_update_on_renew: Option<bool>,
    pub ddns_use_conflict_resolution: Option<bool>,
    pub ddns_conflict_resolution_mode: Option<String>,
    pub ddns_ttl_percent: Option<f64>,
    pub ddns_ttl: Option<u32>,
    pub ddns_ttl_min: Option<u32>,
    pub ddns_ttl_max: Option<u32>,
    pub hostname_char_set: Option<String>,
    pub hostname_char_replacement: Option<String>,
}

/// The `Dhcp6` section. Shared objects (`lease-database`, `loggers`,
/// `option-data`, `hooks-libraries`, control sockets, ...) are the same
/// types as in [`Dhcp4`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Dhcp6 {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data for hooks, ignored by ruru itself.
    pub user_context: Option<Value>,
    /// Which interfaces to listen on. Default: none.
    #[serde(default, deserialize_with = "object")]
    pub interfaces_config: Option<InterfacesConfig6>,
    /// Where leases are stored. Default: memfile in `/var/lib/kea/kea-leases6.csv`.
    #[serde(default, deserialize_with = "object")]
    pub lease_database: Option<LeaseDatabase>,
    /// Host reservations in a SQL database (Kea's `hosts-database`), as in
    /// `Dhcp4`: DUID, hw-address and flex-id reservations with addresses,
    /// prefixes, hostname and options, looked up after the subnets'
    /// `reservations` at every message. Not together with
    /// `hosts-databases`.
    #[serde(default, deserialize_with = "object")]
    pub hosts_database: Option<LeaseDatabase>,
    /// Several host databases (Kea's `hosts-databases`), looked up in this
    /// order; each as `hosts-database`.
    #[serde(default, deserialize_with = "objects")]
    pub hosts_databases: Option<Vec<LeaseDatabase>>,
    /// Default preferred lifetime, seconds. Default 3600 (Kea 2.2).
    pub preferred_lifetime: Option<u32>,
    /// Shortest preferred lifetime granted. Default: `preferred-lifetime`.
    pub min_preferred_lifetime: Option<u32>,
    /// Longest preferred lifetime granted. Default: `preferred-lifetime`.
    pub max_preferred_lifetime: Option<u32>,
    /// Default valid lifetime, seconds. Default 7200.
    pub valid_lifetime: Option<u32>,
    /// Shortest valid lifetime granted. Default: `valid-lifetime`.
    pub min_valid_lifetime: Option<u32>,
    /// Longest valid lifetime granted. Default: `valid-lifetime`.
    pub max_valid_lifetime: Option<u32>,
    /// T1, seconds. Default: calculated (see `calculate-tee-times`).
    pub renew_timer: Option<u32>,
    /// T2, seconds. Default: calculated (see `calculate-tee-times`).
    pub rebind_timer: Option<u32>,
    /// Compute T1/T2 from the preferred lifetime when the timers are not
    /// given. Default true (DHCPv6).
    pub calculate_tee_times: Option<bool>,
    /// T1 as a fraction of the preferred lifetime. Default 0.5.
    pub t1_percent: Option<f64>,
    /// T2 as a fraction of the preferred lifetime. Default 0.8.
    pub t2_percent: Option<f64>,
    /// Kea's lease caching: a lease renewed before this fraction of its
    /// valid lifetime has passed is not written again; the reply gives
    /// what is left of it. Off unless set (here or above); values of 0
    /// or less, or above 1, turn it off.
    pub cache_threshold: Option<f64>,
    /// Kea's lease caching: the most seconds a lease may have aged and
    /// still be reused without a write (0 turns caching off).
    pub cache_max_age: Option<u32>,
    /// Kea's `store-extended-info`: the relay information of a relayed
    /// query (each relay's hop count, link and peer addresses and options)
    /// is kept in the lease's user context, as Kea 2.2 keeps it
    /// (`{ "ISC": { "relays": [ ... ] } }`). Default false.
    pub store_extended_info: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+) for addresses: `iterative` (the
    /// default) or `random`.
    pub allocator: Option<String>,
    /// Kea's `pd-allocator` (Kea 2.4+) for delegated prefixes:
    /// `iterative` (the default) or `random`; `flq` is refused as not
    /// supported yet.
    pub pd_allocator: Option<String>,
    /// Seconds a declined address stays unusable. Default 86400.
    pub decline_probation_period: Option<u32>,
    /// Lease reclamation timing. Default: Kea's defaults.
    #[serde(default, deserialize_with = "object")]
    pub expired_leases_processing: Option<ExpiredLeasesProcessing>,
    /// Logging. Default: one `kea-dhcp6` logger, INFO, to stdout.
    #[serde(default, deserialize_with = "objects")]
    pub loggers: Option<Vec<Logger>>,
    /// Options sent to every client (lowest precedence).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Custom option definitions (any space). Default none.
    #[serde(default, deserialize_with = "objects")]
    pub option_def: Option<Vec<OptionDef>>,
    /// How the server DUID is made. Default: DUID-LLT, persisted.
    #[serde(default, deserialize_with = "object")]
    pub server_id: Option<ServerId>,
    /// The subnets, in selection order.
    #[serde(default, deserialize_with = "objects")]
    pub subnet6: Option<Vec<Subnet6>>,
    /// Shared networks. See [`SharedNetwork6`].
    #[serde(default, deserialize_with = "objects")]
    pub shared_networks: Option<Vec<SharedNetwork6>>,
    /// Hook libraries, as in `Dhcp4`.
    #[serde(default, deserialize_with = "objects")]
    pub hooks_libraries: Option<Vec<HookLibrary>>,
    /// Kea 2.2's single control channel. May not be combined with `control-sockets`.
    #[serde(default, deserialize_with = "object")]
    pub control_socket: Option<ControlSocket>,
    /// Recent Kea's list of control channels.
    #[serde(default, deserialize_with = "objects")]
    pub control_sockets: Option<Vec<ControlSocket>>,
    /// Worker threads. Default: multi-threading off (Kea 2.2).
    #[serde(default, deserialize_with = "object")]
    pub multi_threading: Option<MultiThreading>,
    /// Most packets parked by hook libraries at once (Kea's PARK); a
    /// packet that would exceed it is dropped. 0: no limit. Default 256.
    pub parked_packet_limit: Option<u32>,
    /// Kea's `server-tag`: this server's name among the servers sharing a
    /// configuration backend. ruru has no configuration backend yet
    /// (`config-control`), so the tag only answers `server-tag-get`, as
    /// Kea's does; taken verbatim, any string (Kea 2.2 checks nothing).
    /// Default `""`.
    pub server_tag: Option<String>,
    /// Leniencies for non-compliant clients (Kea's `compatibility`, see
    /// [`Compatibility6`]). Default: none.
    #[serde(default, deserialize_with = "object")]
    pub compatibility: Option<Compatibility6>,
    /// Where the client's link-layer address (MAC) is looked for, in this
    /// order (Kea's `mac-sources`): `any` (all below, in Kea's order),
    /// `raw`, `duid`, `ipv6-link-local`, `client-link-addr-option` (alias
    /// `rfc6939`), `remote-id` (`rfc4649`), `subscriber-id` (`rfc4580`),
    /// `docsis-cmts`, `docsis-modem`. Not empty, no source twice.
    /// Default `["any"]`.
    pub mac_sources: Option<Vec<String>>,
    /// Kea's `dhcp4o6-port` (DHCPv4-over-DHCPv6, RFC 7341): 0 (Kea's
    /// default) is off; another port is refused as not supported yet.
    pub dhcp4o6_port: Option<u16>,
    /// Options that relays may supply in a Relay-Supplied Options option
    /// (66, RFC 6422) for the server to send to the client (Kea's
    /// `relay-supplied-options`): codes or names of DHCPv6 options, added
    /// to option 65 (`erp-local-domain-name`), which is always enabled.
    pub relay_supplied_options: Option<Vec<String>>,
    /// Client classes, in evaluation order. Default none.
    #[serde(default, deserialize_with = "objects")]
    pub client_classes: Option<Vec<ClientClass6>>,
    /// Kea's data directory (DHCPv6 only, as in Kea): where the default
    /// lease file (`kea-leases6.csv`) and the server DUID file
    /// (`kea-dhcp6-serverid`) go. Default: the lease file is
    /// `/var/lib/kea/kea-leases6.csv` and the DUID file is next to it.
    pub data_directory: Option<String>,
    /// Samples each statistic keeps (Kea's
    /// `statistic-default-sample-count`): default 20; 0 keeps samples by
    /// age instead (`statistic-default-sample-age`).
    pub statistic_default_sample_count: Option<u32>,
    /// Seconds of samples each statistic keeps when
    /// `statistic-default-sample-count` is 0 (Kea's
    /// `statistic-default-sample-age`). Default 0.
    pub statistic_default_sample_age: Option<u32>,
    /// Checks of the leases loaded from the lease file (Kea's
    /// `sanity-checks`).
    #[serde(default, deserialize_with = "object")]
    pub sanity_checks: Option<SanityChecks>,
    /// Kea's packet queue (`dhcp-queue-control`).
    #[serde(default, deserialize_with = "object")]
    pub dhcp_queue_control: Option<DhcpQueueControl>,
    /// Kea's deprecated `reservation-mode` (`"all"`, `"out-of-pool"`,
    /// `"global"`, `"disabled"`): the three `reservations-*` flags at once.
    /// Not together with them in one scope.
    pub reservation_mode: Option<String>,
    /// Look up global reservations (`Dhcp*.reservations`, hosts database
    /// rows of subnet id 0). Default false; inherited.
    pub reservations_global: Option<bool>,
    /// Look up the subnet's reservations. Default true; inherited.
    pub reservations_in_subnet: Option<bool>,
    /// Reserved addresses are all outside the pools: in-pool reservations
    /// are ignored and pool addresses are not checked against
    /// reservations. Default false; inherited.
    pub reservations_out_of_pool: Option<bool>,
    /// Global host reservations (not tied to a subnet), used in the
    /// subnets with `reservations-global`. As a subnet's `reservations`.
    #[serde(default, deserialize_with = "objects")]
    pub reservations: Option<Vec<Reservation6>>,
    /// Kea's `reservations-lookup-first`: a lookup-order optimisation with
    /// no visible effect; accepted and ignored.
    pub reservations_lookup_first: Option<bool>,
    /// Kea's `ip-reservations-unique` (default true); false: several
    /// hosts may reserve one address.
    pub ip_reservations_unique: Option<bool>,
    /// Identifier types tried, in order, when looking up reservations:
    /// `"duid"`, `"hw-address"`, `"flex-id"`. Default: all three in this
    /// order.
    pub host_reservation_identifiers: Option<Vec<String>>,
    /// Kea's `early-global-reservations-lookup` (default false): the
    /// global reservation is looked up before the subnet is selected, its
    /// `client-classes` (and `KNOWN`) usable by the subnets' class guards.
    pub early_global_reservations_lookup: Option<bool>,
    /// `ddns-*` and `hostname-char-*`: as in [`super::Dhcp4`], for this scope.
    pub ddns_send_updates: Option<bool>,
    pub ddns_override_no_update: Option<bool>,
    pub ddns_override_client_update: Option<bool>,
    pub ddns_replace_client_name: Option<String>,
    pub ddns_generated_prefix: Option<String>,
    pub ddns_qualifying_suffix: Option<String>,
    pub ddns_update_on_renew: Option<bool>,
    pub ddns_use_conflict_resolution: Option<bool>,
    pub ddns_conflict_resolution_mode: Option<String>,
    pub ddns_ttl_percent: Option<f64>,
    pub ddns_ttl: Option<u32>,
    pub ddns_ttl_min: Option<u32>,
    pub ddns_ttl_max: Option<u32>,
    pub hostname_char_set: Option<String>,
    pub hostname_char_replacement: Option<String>,
    /// The connection to the DNS updater (Kea's `dhcp-ddns`): where
    /// name-change requests go. Default: updates disabled.
    #[serde(default, deserialize_with = "object")]
    pub dhcp_ddns: Option<super::DhcpDdnsClient>,
}

/// `interfaces-config` in `Dhcp6`: as in `Dhcp4` without
/// `dhcp-socket-type` (DHCPv6 always uses UDP sockets).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InterfacesConfig6 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Interface names: `"eth0"`, `"eth0/2001:db8::1"` or `"*"`. Default none.
    pub interfaces: Option<Vec<String>>,
    /// Accepted; ruru always re-detects.
    pub re_detect: Option<bool>,
    /// See [`InterfacesConfig`].
    pub service_sockets_require_all: Option<bool>,
    /// See [`InterfacesConfig`].
    pub service_sockets_max_retries: Option<u32>,
    /// See [`InterfacesConfig`].
    pub service_sockets_retry_wait_time: Option<u32>,
}

impl InterfacesConfig6 {
    /// The same settings in the shared shape, with UDP sockets.
    pub fn to_common(&self) -> InterfacesConfig {
        InterfacesConfig {
            comment: self.comment.clone(),
            user_context: self.user_context.clone(),
            interfaces: self.interfaces.clone(),
            dhcp_socket_type: Some(SocketType::Udp),
            re_detect: self.re_detect,
            service_sockets_require_all: self.service_sockets_require_all,
            service_sockets_max_retries: self.service_sockets_max_retries,
            service_sockets_retry_wait_time: self.service_sockets_retry_wait_time,
            outbound_interface: None,
        }
    }
}

/// `server-id`: how the server DUID is generated (RFC 8415 §11).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServerId {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// `"LLT"`, `"EN"` or `"LL"`. Required (as in Kea).
    #[serde(rename = "type")]
    pub kind: DuidType,
    /// Link-layer address (LLT, LL) or identifier (EN), hex. Default:
    /// generated (an interface's MAC address, or random bytes for EN).
    pub identifier: Option<String>,
    /// DUID-LLT time. Default 0: the time of generation.
    pub time: Option<u32>,
    /// Hardware type for LLT and LL. Default 1 (Ethernet).
    pub htype: Option<u16>,
    /// Enterprise number for EN. Default 2495 (ISC).
    pub enterprise_id: Option<u32>,
    /// Keep the DUID in a file and reuse it. Default true.
    pub persist: Option<bool>,
}

/// `server-id.type` values.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub enum DuidType {
    #[serde(rename = "LLT")]
    Llt,
    #[serde(rename = "EN")]
    En,
    #[serde(rename = "LL")]
    Ll,
}

/// One `subnet6` entry. Unset parameters inherit the global value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Subnet6 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Unique subnet id, > 0. Default: the highest id so far + 1, as Kea.
    pub id: Option<u32>,
    /// The prefix, e.g. `"2001:db8:1::/64"`; host bits must be zero. Required.
    pub subnet: String,
    /// Address pools (IA_NA).
    #[serde(default, deserialize_with = "objects")]
    pub pools: Option<Vec<Pool>>,
    /// Prefix delegation pools (IA_PD).
    #[serde(default, deserialize_with = "objects")]
    pub pd_pools: Option<Vec<PdPool>>,
    /// Subnet options (override global ones).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Host reservations in this subnet.
    #[serde(default, deserialize_with = "objects")]
    pub reservations: Option<Vec<Reservation6>>,
    /// Relays whose link-address is one of these select this subnet.
    #[serde(default, deserialize_with = "object")]
    pub relay: Option<Relay>,
    /// Directly connected clients on this interface select this subnet.
    pub interface: Option<String>,
    /// Relayed traffic whose Interface-Id option (18) carries these bytes
    /// (the string's UTF-8 bytes) selects this subnet. Excludes `interface`.
    pub interface_id: Option<String>,
    pub preferred_lifetime: Option<u32>,
    pub min_preferred_lifetime: Option<u32>,
    pub max_preferred_lifetime: Option<u32>,
    pub valid_lifetime: Option<u32>,
    pub min_valid_lifetime: Option<u32>,
    pub max_valid_lifetime: Option<u32>,
    pub renew_timer: Option<u32>,
    pub rebind_timer: Option<u32>,
    pub calculate_tee_times: Option<bool>,
    pub t1_percent: Option<f64>,
    pub t2_percent: Option<f64>,
    /// Kea's lease caching: a lease renewed before this fraction of its
    /// valid lifetime has passed is not written again; the reply gives
    /// what is left of it. Off unless set (here or above); values of 0
    /// or less, or above 1, turn it off.
    pub cache_threshold: Option<f64>,
    /// Kea's lease caching: the most seconds a lease may have aged and
    /// still be reused without a write (0 turns caching off).
    pub cache_max_age: Option<u32>,
    /// Kea's `store-extended-info`: the relay information of a relayed
    /// query (each relay's hop count, link and peer addresses and options)
    /// is kept in the lease's user context, as Kea 2.2 keeps it
    /// (`{ "ISC": { "relays": [ ... ] } }`). Default false.
    pub store_extended_info: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+) for addresses: `iterative` (the
    /// default) or `random`.
    pub allocator: Option<String>,
    /// Kea's `pd-allocator` (Kea 2.4+) for delegated prefixes:
    /// `iterative` (the default) or `random`; `flq` is refused as not
    /// supported yet.
    pub pd_allocator: Option<String>,
    /// Two-message exchange (RFC 8415 §18.2.1) for clients asking for it.
    /// Default false. (Kea has no global `rapid-commit`.)
    pub rapid_commit: Option<bool>,
    /// Kea 2.2: the one class whose members may use this subnet
    /// (`""` or absent: everyone). Not together with `client-classes`.
    pub client_class: Option<String>,
    /// Kea 3.0: the classes whose members may use this subnet (a member
    /// of any one may). Not together with `client-class`.
    pub client_classes: Option<Vec<String>>,
    /// Kea 2.2: classes evaluated for packets that use this subnet,
    /// after it is chosen. Not together with `evaluate-additional-classes`.
    pub require_client_classes: Option<Vec<String>>,
    /// Kea 3.0's name of `require-client-classes`.
    pub evaluate_additional_classes: Option<Vec<String>>,
    /// Kea's deprecated `reservation-mode` (`"all"`, `"out-of-pool"`,
    /// `"global"`, `"disabled"`): the three `reservations-*` flags at once.
    /// Not together with them in one scope.
    pub reservation_mode: Option<String>,
    /// Look up global reservations (`Dhcp*.reservations`, hosts database
    /// rows of subnet id 0). Default false; inherited.
    pub reservations_global: Option<bool>,
    /// Look up the subnet's reservations. Default true; inherited.
    pub reservations_in_subnet: Option<bool>,
    /// Reserved addresses are all outside the pools: in-pool reservations
    /// are ignored and pool addresses are not checked against
    /// reservations. Default false; inherited.
    pub reservations_out_of_pool: Option<bool>,
    /// `ddns-*` and `hostname-char-*`: as in [`super::Dhcp4`], for this scope.
    pub ddns_send_updates: Option<bool>,
    pub ddns_override_no_update: Option<bool>,
    pub ddns_override_client_update: Option<bool>,
    pub ddns_replace_client_name: Option<String>,
    pub ddns_generated_prefix: Option<String>,
    pub ddns_qualifying_suffix: Option<String>,
    pub ddns_update_on_renew: Option<bool>,
    pub ddns_use_conflict_resolution: Option<bool>,
    pub ddns_conflict_resolution_mode: Option<String>,
    pub ddns_ttl_percent: Option<f64>,
    pub ddns_ttl: Option<u32>,
    pub ddns_ttl_min: Option<u32>,
    pub ddns_ttl_max: Option<u32>,
    pub hostname_char_set: Option<String>,
    pub hostname_char_replacement: Option<String>,
}

/// One `pd-pools` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PdPool {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The pool's prefix, e.g. `"2001:db8:8::"`. Required.
    pub prefix: String,
    /// Kea 2.6's `pool-id` (see `Pool::pool_id`).
    pub pool_id: Option<i64>,
    /// Its length, 1..=128. Required.
    pub prefix_len: u8,
    /// Length of the delegated prefixes, `prefix-len`..=128. Required.
    pub delegated_len: u8,
    /// RFC 6603 excluded prefix, with `excluded-prefix-len`.
    pub excluded_prefix: Option<String>,
    /// Length of the excluded prefix, > `delegated-len`.
    pub excluded_prefix_len: Option<u8>,
    /// Pool options (override subnet ones).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Kea 2.2: the one class whose members may use this pd-pool
    /// (`""` or absent: everyone). Not together with `client-classes`.
    pub client_class: Option<String>,
    /// Kea 3.0: the classes whose members may use this pd-pool (a member
    /// of any one may). Not together with `client-class`.
    pub client_classes: Option<Vec<String>>,
    /// Kea 2.2: classes evaluated for packets that use this pd-pool,
    /// after it is chosen. Not together with `evaluate-additional-classes`.
    pub require_client_classes: Option<Vec<String>>,
    /// Kea 3.0's name of `require-client-classes`.
    pub evaluate_additional_classes: Option<Vec<String>>,
}

/// One `subnet6.reservations` entry. Exactly one identifier is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Reservation6 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The client's DUID in hex, e.g. `"00:03:00:01:aa:bb:cc:dd:ee:ff"`.
    pub duid: Option<String>,
    /// MAC address, as in `Dhcp4`.
    pub hw_address: Option<String>,
    /// Flexible identifier (needs a hook): not supported yet.
    pub flex_id: Option<String>,
    /// Reserved addresses; each must be in the subnet.
    pub ip_addresses: Option<Vec<String>>,
    /// Reserved delegated prefixes, e.g. `"2001:db8:8:100::/56"`.
    pub prefixes: Option<Vec<String>>,
    /// Kea 2.7.3's excluded prefixes (RFC 6603), one per entry of
    /// `prefixes` (`""`: none), sent as OPTION_PD_EXCLUDE in the IAPREFIX.
    pub excluded_prefixes: Option<Vec<String>>,
    /// Hostname given to this client.
    pub hostname: Option<String>,
    /// Options for this host (highest precedence).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Classes this host is put in.
    pub client_classes: Option<Vec<String>>,
}
