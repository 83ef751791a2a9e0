//! The serde file model: Kea's JSON, key for key.
//!
//! Every struct denies unknown fields. Values are kept close to the text
//! (addresses and pools as strings) so that [`crate::validate`] can say
//! precisely what is wrong with them; defaults are applied there too, not
//! here, and are documented on each field.
//!
//! Kea keys that ruru does not implement yet are not fields here: serde
//! reports them as unknown and [`kea_known`] tells the caller to say
//! "not supported yet" instead of "unknown key".

use std::fmt;
use std::marker::PhantomData;

use serde::de::{value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

mod d2;
mod known;
mod v6;
pub use d2::*;
pub use known::{kea_known, object_kind};
pub use v6::*;

/// A value that must be a JSON object. serde's derived structs also accept
/// an array of the fields in order; Kea does not, and neither do we.
#[derive(Debug, Clone)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Obj)
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// `deserialize_with` for an optional object-valued key.
fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Option::<Obj<T>>::deserialize(d)?.map(|o| o.0))
}

/// `deserialize_with` for an optional list of objects.
fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<Vec<Obj<T>>>::deserialize(d)?.map(|v| v.into_iter().map(|o| o.0).collect()))
}

/// The whole file: `{"Dhcp4": {...}, "Dhcp6": {...}, "DhcpDdns": {...}}`
/// (any of them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Root {
    /// The DHCPv4 server configuration.
    #[serde(rename = "Dhcp4")]
    #[serde(default, deserialize_with = "object")]
    pub dhcp4: Option<Dhcp4>,
    /// The DHCPv6 server configuration.
    #[serde(rename = "Dhcp6")]
    #[serde(default, deserialize_with = "object")]
    pub dhcp6: Option<Dhcp6>,
    /// The DNS updater's configuration (Kea's `kea-dhcp-ddns`), see
    /// [`DhcpDdns`].
    #[serde(rename = "DhcpDdns")]
    #[serde(default, deserialize_with = "object")]
    pub dhcp_ddns: Option<DhcpDdns>,
    /// Kea's Control Agent (`kea-ctrl-agent`), see [`ControlAgent`].
    #[serde(rename = "Control-agent")]
    #[serde(default, deserialize_with = "object")]
    pub control_agent: Option<ControlAgent>,
}

/// The `Control-agent` section of Kea 2.2's `kea-ctrl-agent.conf`: where
/// Kea's Control Agent listens for commands over HTTP(S). ruru has no
/// separate agent: this opens one more HTTP(S) socket of ruru's own
/// control API, which answers the commands itself (a command's `service`
/// picks the family, as the agent forwards it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ControlAgent {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Address to listen on. Default `127.0.0.1`.
    pub http_host: Option<String>,
    /// TCP port. Default 8000.
    pub http_port: Option<u16>,
    /// HTTP basic authentication, as on an HTTP control socket.
    #[serde(default, deserialize_with = "object")]
    pub authentication: Option<Authentication>,
    /// TLS, as on an HTTPS control socket: CA file for client
    /// certificates, server certificate chain and key, whether a client
    /// certificate is required (default true).
    pub trust_anchor: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub cert_required: Option<bool>,
    /// Extra response headers (Kea 2.6+).
    #[serde(default, deserialize_with = "objects")]
    pub http_headers: Option<Vec<HttpHeader>>,
    /// The agent's sockets to Kea's daemons (`dhcp4`, `dhcp6`, `d2`):
    /// accepted and not used (ruru answers the commands itself).
    #[serde(default, deserialize_with = "object")]
    pub control_sockets: Option<Value>,
    /// The agent's hook libraries: an empty list is accepted; others are
    /// not supported yet.
    pub hooks_libraries: Option<Value>,
    /// The agent's loggers: validated, not used (ruru logs with the DHCP
    /// sections' loggers).
    #[serde(default, deserialize_with = "objects")]
    pub loggers: Option<Vec<Logger>>,
}

/// The `Dhcp4` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Dhcp4 {
    /// Free text, ignored.
    pub comment: Option<String>,
    /// Arbitrary data for hooks, ignored by ruru itself.
    pub user_context: Option<Value>,
    /// Which interfaces to listen on and how. Default: no interfaces, raw sockets.
    #[serde(default, deserialize_with = "object")]
    pub interfaces_config: Option<InterfacesConfig>,
    /// Where leases are stored. Default: memfile in Kea's default file.
    #[serde(default, deserialize_with = "object")]
    pub lease_database: Option<LeaseDatabase>,
    /// Host reservations in a SQL database (Kea's `hosts-database`): the
    /// parameters of a `postgresql` or `mysql` `lease-database` (`memfile`
    /// is not a hosts backend). Looked up after the configuration's own
    /// reservations, at every packet. Not together with `hosts-databases`.
    #[serde(default, deserialize_with = "object")]
    pub hosts_database: Option<LeaseDatabase>,
    /// Several host databases (Kea's `hosts-databases`), looked up in this
    /// order after the configuration's reservations; each as
    /// `hosts-database`.
    #[serde(default, deserialize_with = "objects")]
    pub hosts_databases: Option<Vec<LeaseDatabase>>,
    /// Default lease lifetime, seconds. Default 7200.
    pub valid_lifetime: Option<u32>,
    /// Shortest lifetime granted to a client asking for less. Default: `valid-lifetime`.
    pub min_valid_lifetime: Option<u32>,
    /// Longest lifetime granted to a client asking for more. Default: `valid-lifetime`.
    pub max_valid_lifetime: Option<u32>,
    /// T1 (option 58), seconds. Default: not sent unless `calculate-tee-times`.
    pub renew_timer: Option<u32>,
    /// T2 (option 59), seconds. Default: not sent unless `calculate-tee-times`.
    pub rebind_timer: Option<u32>,
    /// Compute T1/T2 from the lifetime when the timers are not given. Default false.
    pub calculate_tee_times: Option<bool>,
    /// T1 as a fraction of the lifetime when calculated. Default 0.5.
    pub t1_percent: Option<f64>,
    /// T2 as a fraction of the lifetime when calculated. Default 0.875.
    pub t2_percent: Option<f64>,
    /// Kea's lease caching: a lease renewed before this fraction of its
    /// valid lifetime has passed is not written again; the reply gives
    /// what is left of it. Off unless set (here or above); values of 0
    /// or less, or above 1, turn it off.
    pub cache_threshold: Option<f64>,
    /// Kea's lease caching: the most seconds a lease may have aged and
    /// still be reused without a write (0 turns caching off).
    pub cache_max_age: Option<u32>,
    /// Kea's `store-extended-info`: the relay agent information (option
    /// 82) of a relayed query is kept in the lease's user context, as Kea
    /// 2.2 keeps it (`{ "ISC": { "relay-agent-info": "0x..." } }`). Default
    /// false.
    pub store_extended_info: Option<bool>,
    /// Kea 2.6's `stash-agent-options`: a REQUEST from a RENEWING client
    /// (unicast, no relay) is handled as if it carried the relay agent
    /// information (option 82) stored with its lease by
    /// `store-extended-info`. Default false.
    pub stash_agent_options: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+): `iterative` (the default) or
    /// `random`; `flq` is refused as not supported yet.
    pub allocator: Option<String>,
    /// Kea 2.6's `offer-lifetime`: when above 0, an OFFER stores a lease
    /// of that many seconds (the OFFER still carries `valid-lifetime`).
    /// Default 0: nothing is stored for an OFFER.
    pub offer_lifetime: Option<u32>,
    /// The subnets, in selection order.
    #[serde(default, deserialize_with = "objects")]
    pub subnet4: Option<Vec<Subnet4>>,
    /// Shared networks: subnets on one link, each network's subnets
    /// tried in order when allocating. See [`SharedNetwork4`].
    #[serde(default, deserialize_with = "objects")]
    pub shared_networks: Option<Vec<SharedNetwork4>>,
    /// Options sent to every client (lowest precedence).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Custom option definitions (any space). Default none.
    #[serde(default, deserialize_with = "objects")]
    pub option_def: Option<Vec<OptionDef>>,
    /// NAK requests for addresses the server does not know. Default false.
    pub authoritative: Option<bool>,
    /// Use the client identifier (option 61) to identify clients. Default true.
    pub match_client_id: Option<bool>,
    /// Echo the client identifier back (RFC 6842). Default true.
    pub echo_client_id: Option<bool>,
    /// `siaddr` in responses. Default 0.0.0.0.
    pub next_server: Option<String>,
    /// `sname` in responses. Default empty.
    pub server_hostname: Option<String>,
    /// `file` in responses. Default empty.
    pub boot_file_name: Option<String>,
    /// Seconds a declined address stays unusable. Default 86400.
    pub decline_probation_period: Option<u32>,
    /// Lease reclamation timing. Default: Kea's defaults.
    #[serde(default, deserialize_with = "object")]
    pub expired_leases_processing: Option<ExpiredLeasesProcessing>,
    /// Identifier types tried, in order, when looking up reservations.
    /// Default `["hw-address", "duid", "circuit-id", "client-id"]`.
    pub host_reservation_identifiers: Option<Vec<String>>,
    /// Logging. Default: one `kea-dhcp4` logger, INFO, to stdout.
    #[serde(default, deserialize_with = "objects")]
    pub loggers: Option<Vec<Logger>>,
    /// Hook libraries, loaded by the server in this order. Kea's command
    /// libraries whose commands ruru has built in (`libdhcp_lease_cmds.so`,
    /// `libdhcp_stat_cmds.so`, `libdhcp_host_cmds.so`, in any directory) are
    /// recognised and load nothing.
    #[serde(default, deserialize_with = "objects")]
    pub hooks_libraries: Option<Vec<HookLibrary>>,
    /// Kea 2.2's single control channel. May not be combined with `control-sockets`.
    #[serde(default, deserialize_with = "object")]
    pub control_socket: Option<ControlSocket>,
    /// Recent Kea's list of control channels (UNIX, HTTP, HTTPS).
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
    /// Leniencies for non-compliant clients and relays (Kea's
    /// `compatibility`, see [`Compatibility4`]). Default: none.
    #[serde(default, deserialize_with = "object")]
    pub compatibility: Option<Compatibility4>,
    /// Kea's `dhcp4o6-port` (DHCPv4-over-DHCPv6, RFC 7341): 0 (Kea's
    /// default) is off; another port is refused as not supported yet.
    pub dhcp4o6_port: Option<u16>,
    /// Client classes, in evaluation order. Default none.
    #[serde(default, deserialize_with = "objects")]
    pub client_classes: Option<Vec<ClientClass4>>,
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
    pub reservations: Option<Vec<Reservation>>,
    /// Kea's `reservations-lookup-first`: a lookup-order optimisation with
    /// no visible effect; accepted and ignored.
    pub reservations_lookup_first: Option<bool>,
    /// Kea's `ip-reservations-unique` (default true); false: several
    /// hosts may reserve one address.
    pub ip_reservations_unique: Option<bool>,
    /// Kea's `early-global-reservations-lookup` (default false): the
    /// global reservation is looked up before the subnet is selected, its
    /// `client-classes` (and `KNOWN`) usable by the subnets' class guards.
    pub early_global_reservations_lookup: Option<bool>,
    /// Send DNS updates for this scope's clients when `dhcp-ddns`
    /// `enable-updates` is true (Kea's `ddns-send-updates`). Default true;
    /// inherited global → shared network → subnet → pool, as every
    /// `ddns-*` key and `hostname-char-*` key below.
    pub ddns_send_updates: Option<bool>,
    /// Do the forward update although the client asked for no update
    /// (FQDN N flag). Default false.
    pub ddns_override_no_update: Option<bool>,
    /// Do the forward update although the client asked to do it itself
    /// (FQDN S flag clear). Default false.
    pub ddns_override_client_update: Option<bool>,
    /// When to replace the client's name with a generated one: `never`
    /// (default), `always`, `when-present`, `when-not-present`.
    pub ddns_replace_client_name: Option<String>,
    /// Host label prefix of generated names (`myhost-192-0-2-10`).
    /// Default `myhost`.
    pub ddns_generated_prefix: Option<String>,
    /// Suffix that completes partial names. Default empty.
    pub ddns_qualifying_suffix: Option<String>,
    /// Update DNS at every renewal, not only when the name or address
    /// changes. Default false.
    pub ddns_update_on_renew: Option<bool>,
    /// Kea 2.2's RFC 4703 conflict resolution switch. Default true
    /// (`check-with-dhcid`); false is `no-check-with-dhcid`.
    pub ddns_use_conflict_resolution: Option<bool>,
    /// Kea 2.4's conflict resolution mode: `check-with-dhcid` (default),
    /// `no-check-with-dhcid`, `check-exists-with-dhcid`,
    /// `no-check-without-dhcid`. Wins over `ddns-use-conflict-resolution`.
    pub ddns_conflict_resolution_mode: Option<String>,
    /// DNS TTL as a fraction of the lease lifetime (Kea 2.4). Default: a
    /// third of the lifetime (RFC 4702 §5).
    pub ddns_ttl_percent: Option<f64>,
    /// A fixed DNS TTL, seconds (Kea 3.0). Not with `ddns-ttl-percent`.
    pub ddns_ttl: Option<u32>,
    /// The shortest DNS TTL, seconds (Kea 3.0).
    pub ddns_ttl_min: Option<u32>,
    /// The longest DNS TTL, seconds (Kea 3.0).
    pub ddns_ttl_max: Option<u32>,
    /// Regular expression of the characters removed from (or replaced in)
    /// client host names before they are used. Default `[^A-Za-z0-9.-]`;
    /// empty: names are used as sent.
    pub hostname_char_set: Option<String>,
    /// What each character matched by `hostname-char-set` becomes.
    /// Default empty (removed).
    pub hostname_char_replacement: Option<String>,
    /// The connection to the DNS updater (Kea's `dhcp-ddns`): where
    /// name-change requests go. Default: updates disabled.
    #[serde(default, deserialize_with = "object")]
    pub dhcp_ddns: Option<DhcpDdnsClient>,
}

/// Kea's `dhcp-ddns` (in `Dhcp4` and `Dhcp6`): whether this server asks
/// for DNS updates and where it sends its name-change requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DhcpDdnsClient {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Send name-change requests at all. Default false.
    pub enable_updates: Option<bool>,
    /// Address of the DNS updater (a Kea `kea-dhcp-ddns`, or ruru's own
    /// `DhcpDdns` section in this process). Default 127.0.0.1.
    pub server_ip: Option<String>,
    /// Its UDP port. Default 53001.
    pub server_port: Option<u16>,
    /// Source address of the requests. Default: any.
    pub sender_ip: Option<String>,
    /// Source port of the requests. Default 0 (any).
    pub sender_port: Option<u16>,
    /// Requests waiting to be sent at most; more are dropped and
    /// counted. Default 1024.
    pub max_queue_size: Option<u32>,
    /// `UDP` only (Kea's `TCP` is not implemented by Kea either).
    pub ncr_protocol: Option<String>,
    /// `JSON` only.
    pub ncr_format: Option<String>,
    /// Kea 1.x placements of the global `ddns-*` / `hostname-char-*`
    /// keys, still accepted by Kea 2.2: used when the global key is not
    /// given.
    pub override_no_update: Option<bool>,
    pub override_client_update: Option<bool>,
    pub replace_client_name: Option<String>,
    pub generated_prefix: Option<String>,
    pub qualifying_suffix: Option<String>,
    pub hostname_char_set: Option<String>,
    pub hostname_char_replacement: Option<String>,
}

/// One `client-classes` entry of `Dhcp4`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientClass4 {
    pub comment: Option<String>,
    /// Data for hooks: a JSON object.
    pub user_context: Option<Value>,
    /// The class name, unique in the list. Required, not empty.
    pub name: String,
    /// A condition in Kea's expression language; packets for which it is
    /// true join the class. Not together with `template-test`.
    pub test: Option<String>,
    /// Kea 2.6 template class: a string expression whose value names the
    /// spawned class `SPAWN_<name>_<value>`. Not together with `test`.
    pub template_test: Option<String>,
    /// Kea 2.2: evaluate only when a subnet or pool requires the class.
    /// Default false. Not together with `only-in-additional-list`.
    pub only_if_required: Option<bool>,
    /// Kea 3.0's name of `only-if-required`.
    pub only_in_additional_list: Option<bool>,
    /// Options for members (space `dhcp4` and custom spaces).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Option definitions used by this class's `option-data` only (Kea:
    /// DHCPv4 only, typically to give option 43 a vendor's format).
    #[serde(default, deserialize_with = "objects")]
    pub option_def: Option<Vec<OptionDef>>,
    /// `siaddr` for members.
    pub next_server: Option<String>,
    /// `sname` for members (at most 63 bytes).
    pub server_hostname: Option<String>,
    /// `file` for members (at most 127 bytes).
    pub boot_file_name: Option<String>,
    pub valid_lifetime: Option<u32>,
    pub min_valid_lifetime: Option<u32>,
    pub max_valid_lifetime: Option<u32>,
    /// Kea 2.6: seconds an offered address is held for members.
    pub offer_lifetime: Option<u32>,
}

/// One `hooks-libraries` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HookLibrary {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Path of the library. Required.
    pub library: String,
    /// Library parameters (a JSON object), handed to the library's
    /// `ruru_hook_load`; ignored for the built-in command libraries.
    pub parameters: Option<Value>,
}

/// One control channel: `control-socket` or a `control-sockets` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ControlSocket {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// `"unix"`, `"http"` or `"https"`. Required.
    pub socket_type: String,
    /// UNIX socket path (unix only). Required for unix.
    pub socket_name: Option<String>,
    /// Address to listen on (http/https). Default `127.0.0.1`.
    pub socket_address: Option<String>,
    /// TCP port (http/https). Default 8000.
    pub socket_port: Option<u16>,
    /// HTTP basic authentication (http/https). Default: none.
    #[serde(default, deserialize_with = "object")]
    pub authentication: Option<Authentication>,
    /// CA certificate file (PEM) that client certificates must chain to.
    pub trust_anchor: Option<String>,
    /// Server certificate chain (PEM).
    pub cert_file: Option<String>,
    /// Server private key (PEM).
    pub key_file: Option<String>,
    /// Require a client certificate (mutual TLS). Default true.
    pub cert_required: Option<bool>,
    /// Extra headers of every HTTP response (http/https, Kea 2.6+).
    /// Default none.
    #[serde(default, deserialize_with = "objects")]
    pub http_headers: Option<Vec<HttpHeader>>,
}

/// One `http-headers` entry of an HTTP control socket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HttpHeader {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The header's name. Required.
    pub name: String,
    /// Its value. Required.
    pub value: String,
}

/// `authentication` of an HTTP control socket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Authentication {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Only `"basic"`. Required.
    #[serde(rename = "type")]
    pub kind: String,
    /// Realm sent in `WWW-Authenticate`. Default `""`.
    pub realm: Option<String>,
    /// Directory that relative `user-file` / `password-file` names are in. Default `""`.
    pub directory: Option<String>,
    /// Accepted users. Default none (every request is refused).
    #[serde(default, deserialize_with = "objects")]
    pub clients: Option<Vec<AuthClient>>,
}

/// One `authentication.clients` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthClient {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// User name (no `:`).
    pub user: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// File holding the user name.
    pub user_file: Option<String>,
    /// File holding the password, or `user:password` when neither `user` nor
    /// `user-file` is given.
    pub password_file: Option<String>,
}

/// `interfaces-config`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InterfacesConfig {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Interface names: `"eth0"`, `"eth0/192.0.2.1"` or `"*"`. Default none.
    pub interfaces: Option<Vec<String>>,
    /// `"raw"` (default; can serve clients without an address) or `"udp"`.
    pub dhcp_socket_type: Option<SocketType>,
    /// Re-detect interfaces on reconfiguration. Accepted; ruru always does.
    pub re_detect: Option<bool>,
    /// Fail start-up when a socket cannot be opened on every configured
    /// interface (after the retries below). Default false: serve on those
    /// that opened and keep retrying the others.
    pub service_sockets_require_all: Option<bool>,
    /// How many times to retry opening a socket that failed (an interface
    /// that does not exist yet, an address not yet configured). Default 0.
    pub service_sockets_max_retries: Option<u32>,
    /// Milliseconds between those retries. Default 5000.
    pub service_sockets_retry_wait_time: Option<u32>,
    /// `Dhcp4` only: where replies leave, `same-as-inbound` (the default:
    /// the interface the query came in on) or `use-routing` (with UDP
    /// sockets, a reply to a relayed query leaves by the interface the
    /// routing table chooses for the relay's address, from the address of
    /// the interface the query came in on; no effect with raw sockets, as
    /// in Kea).
    pub outbound_interface: Option<String>,
}

/// `dhcp-socket-type` values.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SocketType {
    Raw,
    Udp,
}

/// `lease-database` (both families).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LeaseDatabase {
    /// Backend: `"memfile"`, `"postgresql"` or `"mysql"`. Required.
    #[serde(rename = "type")]
    pub kind: String,
    /// memfile: the lease file. Default `/var/lib/kea/kea-leases4.csv` in
    /// `Dhcp4`, `/var/lib/kea/kea-leases6.csv` in `Dhcp6`; a relative name
    /// is relative to the working directory, as in Kea. postgresql/mysql:
    /// the database name (required).
    pub name: Option<String>,
    /// memfile: write leases to the file. Default true.
    pub persist: Option<bool>,
    /// memfile: seconds between lease file compactions, 0 = never. Default 3600.
    pub lfc_interval: Option<u32>,
    /// SQL: server host. Default `localhost`.
    pub host: Option<String>,
    /// SQL: server port. Default the backend's (5432, 3306).
    pub port: Option<u16>,
    /// SQL: user name.
    pub user: Option<String>,
    /// SQL: password.
    pub password: Option<String>,
    /// SQL: seconds one connection attempt may take. Default 5.
    pub connect_timeout: Option<u32>,
    /// SQL: reconnection attempts after the database is lost. Default 0.
    pub max_reconnect_tries: Option<u32>,
    /// SQL: milliseconds between reconnection attempts. Default 0.
    pub reconnect_wait_time: Option<u32>,
    /// SQL: what to do when the connection is lost and cannot be made again
    /// (`stop-retry-exit`, `serve-retry-exit`, `serve-retry-continue`).
    /// Default `stop-retry-exit`.
    pub on_fail: Option<String>,
    /// SQL: keep retrying at start-up instead of failing. Default false.
    pub retry_on_startup: Option<bool>,
    /// SQL: TLS to the database server. The CA certificates (a PEM file, or
    /// a directory of PEM files) that the server's certificate must chain
    /// to; TLS is used when this is set. The files are read when the
    /// database is opened, not here.
    pub trust_anchor: Option<String>,
    /// SQL: TLS: the client certificate chain (PEM) presented to a server
    /// that asks for one; with `key-file`, and only with `trust-anchor`.
    pub cert_file: Option<String>,
    /// SQL: TLS: the private key (PEM) of `cert-file`: unencrypted, or
    /// an encrypted PKCS#8 key (`-----BEGIN ENCRYPTED PRIVATE KEY-----`,
    /// as `openssl pkcs8 -topk8` writes it) with `key-password`.
    pub key_file: Option<String>,
    /// SQL: TLS: the password `key-file` is encrypted with (Kea's
    /// `key-password`); only with `key-file`. It stays in memory; `config-get`
    /// shows it as `*****`.
    pub key_password: Option<String>,
    /// SQL: TLS: the TLS 1.2 cipher suites offered, as an OpenSSL cipher
    /// list (`"AES"`, `"HIGH:!aRSA"`, ...; TLS 1.3 suites are not
    /// affected, as in OpenSSL); only with `trust-anchor`. PostgreSQL
    /// only: the MySQL driver does not let ruru choose its suites. Default:
    /// all that ruru's TLS has.
    pub cipher_list: Option<String>,
    /// memfile: invalid rows one lease file may have before loading fails
    /// (Kea's `max-row-errors`); 0: no limit. Default 0. Taken and ignored
    /// with a SQL lease database, as in Kea; not a hosts database key.
    pub max_row_errors: Option<u32>,
    /// Hosts databases: reservations are only read from it; the
    /// reservation commands do not write it. Default false.
    pub readonly: Option<bool>,
    /// PostgreSQL: seconds transmitted data may stay unacknowledged before
    /// the connection is dropped (TCP_USER_TIMEOUT); 0: the system's.
    /// Taken and without effect with MySQL, as in Kea. Default 0.
    pub tcp_user_timeout: Option<u32>,
    /// MySQL: Kea's socket read timeout, seconds; only 0 (not used, Kea's
    /// default) is supported yet. Taken and without effect with
    /// PostgreSQL, as in Kea.
    pub read_timeout: Option<u32>,
    /// MySQL: Kea's socket write timeout, as `read-timeout`.
    pub write_timeout: Option<u32>,
}

/// `expired-leases-processing`; defaults in [`crate::model::ExpiredLeasesProcessing`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExpiredLeasesProcessing {
    /// Seconds between reclamation cycles. Default 10.
    pub reclaim_timer_wait_time: Option<u32>,
    /// Seconds between removals of reclaimed leases, 0 = never. Default 25.
    pub flush_reclaimed_timer_wait_time: Option<u32>,
    /// Seconds reclaimed leases are kept, 0 = forever. Default 3600.
    pub hold_reclaimed_time: Option<u32>,
    /// Leases reclaimed per cycle, 0 = all. Default 100.
    pub max_reclaim_leases: Option<u32>,
    /// Milliseconds one cycle may take, 0 = unlimited. Default 250.
    pub max_reclaim_time: Option<u32>,
    /// Cycles with leases left before warning, 0 = never warn. Default 5.
    pub unwarned_reclaim_cycles: Option<u32>,
}

/// `dhcp-queue-control` (both families). Kea takes other keys too, for
/// the queue types of hook libraries; ruru has only Kea's ring.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DhcpQueueControl {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Queue received packets. Default false.
    pub enable_queue: Option<bool>,
    /// `kea-ring4` (Dhcp4) or `kea-ring6` (Dhcp6); required with
    /// `enable-queue` true, as in Kea.
    pub queue_type: Option<String>,
    /// Packets the ring holds; when full the oldest is dropped. Default 64.
    pub capacity: Option<u32>,
}

/// `sanity-checks` (both families).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SanityChecks {
    /// What to do with a loaded lease whose subnet ID does not name the
    /// subnet holding its address: `none`, `warn`, `fix`, `fix-del` or
    /// `del`. Default `warn`.
    pub lease_checks: Option<String>,
    /// Kea 2.6's checks of the extended information in leases' user
    /// context: only `none` (ruru does not check or convert it as leases load).
    pub extended_info_checks: Option<String>,
}

/// Kea's `compatibility` (`Dhcp4`): leniencies for clients and relays
/// that do not follow the RFCs. Every flag defaults to false.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Compatibility4 {
    /// Kea 2.2: a length-value tuple of a V-I Vendor Class option (124)
    /// longer than the rest of its option is the rest of the option,
    /// instead of a packet that fails to parse (and is dropped).
    pub lenient_option_parsing: Option<bool>,
    /// Kea 2.4: a Server Identifier (option 54) naming another server does
    /// not make the server drop the message.
    pub ignore_dhcp_server_identifier: Option<bool>,
    /// Kea 2.4: the relay agent's Link Selection sub-option (option 82,
    /// sub-option 5) is not used to select the subnet.
    pub ignore_rai_link_selection: Option<bool>,
    /// Kea 2.4: in subnets of prefix length 24 or shorter, addresses
    /// ending in .0 or .255 are never picked from the pools (a client may
    /// still ask for one, or have it reserved).
    pub exclude_first_last_24: Option<bool>,
}

/// Kea's `compatibility` (`Dhcp6`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Compatibility6 {
    /// Kea 2.2: a length-value tuple of a Vendor Class option (16) longer
    /// than the rest of its option is the rest of the option, instead of
    /// a packet that fails to parse (and is dropped).
    pub lenient_option_parsing: Option<bool>,
}

/// `multi-threading`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MultiThreading {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Process packets on a thread pool. Default false.
    pub enable_multi_threading: Option<bool>,
    /// Threads in the pool, 0 = one per CPU. Default 0.
    pub thread_pool_size: Option<u32>,
    /// Packets queued per thread before dropping, 0 = unlimited. Default 64.
    pub packet_queue_size: Option<u32>,
}

/// One `loggers` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Logger {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Kea logger name, e.g. `kea-dhcp4` or `kea-dhcp4.leases`. Required.
    pub name: String,
    /// Where to write. Default: stdout. Kea 2.2 spells it
    /// `output_options`, Kea 2.6/3.0 `output-options`: both are read (one
    /// logger may not give both).
    #[serde(
        rename = "output_options",
        alias = "output-options",
        default,
        deserialize_with = "objects"
    )]
    pub output_options: Option<Vec<OutputOption>>,
    /// Minimum severity. Default INFO.
    pub severity: Option<Severity>,
    /// Debug verbosity 0..=99 when severity is DEBUG. Default 0.
    pub debuglevel: Option<u32>,
}

/// `severity` values. Kea compares them without regard to case (its own
/// `comments.json` example writes `"info"`); ruru takes Kea's upper-case
/// spelling, lower case and capitalised.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    #[serde(alias = "debug", alias = "Debug")]
    Debug,
    #[serde(alias = "info", alias = "Info")]
    Info,
    #[serde(alias = "warn", alias = "Warn")]
    Warn,
    #[serde(alias = "error", alias = "Error")]
    Error,
    #[serde(alias = "fatal", alias = "Fatal")]
    Fatal,
    #[serde(alias = "none", alias = "None")]
    None,
}

/// One `output_options` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputOption {
    /// `"stdout"`, `"stderr"`, a file path, or `"syslog"` / `"syslog:FACILITY"`. Required.
    pub output: String,
    /// Flush after each message. Accepted; ruru always flushes.
    pub flush: Option<bool>,
    /// Rotate a log file at this size. Accepted, not acted on yet.
    pub maxsize: Option<u64>,
    /// Rotated files kept. Accepted, not acted on yet.
    pub maxver: Option<u32>,
    /// Kea's log4cplus pattern. Accepted, not used (ruru's format is fixed).
    pub pattern: Option<String>,
}

/// One `subnet4` entry. Unset parameters inherit the global value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Subnet4 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Kea's DHCPv4-over-DHCPv6 subnet selectors (RFC 7341): the
    /// interface the clients' DHCPv6 messages arrive on...
    #[serde(rename = "4o6-interface")]
    pub four_o6_interface: Option<String>,
    /// ...the interface-id (option 18, the string's bytes) of the relay
    /// closest to them...
    #[serde(rename = "4o6-interface-id")]
    pub four_o6_interface_id: Option<String>,
    /// ...or the IPv6 prefix their messages come from (`"2001:db8::/64"`).
    #[serde(rename = "4o6-subnet")]
    pub four_o6_subnet: Option<String>,
    /// Unique subnet id, > 0. Default: the highest id so far + 1, as Kea.
    pub id: Option<u32>,
    /// The prefix, e.g. `"192.0.2.0/24"`; host bits must be zero. Required.
    pub subnet: String,
    /// Dynamic address pools.
    #[serde(default, deserialize_with = "objects")]
    pub pools: Option<Vec<Pool>>,
    /// Subnet options (override global ones).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Host reservations in this subnet.
    #[serde(default, deserialize_with = "objects")]
    pub reservations: Option<Vec<Reservation>>,
    /// Relay addresses: packets relayed from these (giaddr) select this subnet.
    #[serde(default, deserialize_with = "object")]
    pub relay: Option<Relay>,
    /// Directly connected clients on this interface select this subnet.
    pub interface: Option<String>,
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
    /// Kea's `store-extended-info`: the relay agent information (option
    /// 82) of a relayed query is kept in the lease's user context, as Kea
    /// 2.2 keeps it (`{ "ISC": { "relay-agent-info": "0x..." } }`). Default
    /// false.
    pub store_extended_info: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+): `iterative` (the default) or
    /// `random`; `flq` is refused as not supported yet.
    pub allocator: Option<String>,
    /// Kea 2.6's `offer-lifetime`: when above 0, an OFFER stores a lease
    /// of that many seconds (the OFFER still carries `valid-lifetime`).
    /// Default 0: nothing is stored for an OFFER.
    pub offer_lifetime: Option<u32>,
    pub authoritative: Option<bool>,
    pub match_client_id: Option<bool>,
    pub next_server: Option<String>,
    pub server_hostname: Option<String>,
    pub boot_file_name: Option<String>,
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
    /// `ddns-*` and `hostname-char-*`: as in [`Dhcp4`], for this scope.
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

/// One `shared-networks` entry of `Dhcp4`: subnets on one link. Its
/// parameters are inherited by its subnets (which may override them) and
/// inherit the global ones; its `option-data` ranks between the subnets'
/// and the classes'.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SharedNetwork4 {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The network's name, unique among the section's networks. Required.
    pub name: Option<String>,
    /// The network's subnets, in the order allocation tries them.
    #[serde(default, deserialize_with = "objects")]
    pub subnet4: Option<Vec<Subnet4>>,
    /// Directly connected clients on this interface select the network
    /// (its subnets may repeat it, not name another).
    pub interface: Option<String>,
    /// Relay addresses selecting the network (inherited by subnets
    /// without their own).
    #[serde(default, deserialize_with = "object")]
    pub relay: Option<Relay>,
    /// Options of the network (below the subnets', above the classes').
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
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
    /// Kea's `store-extended-info`: the relay agent information (option
    /// 82) of a relayed query is kept in the lease's user context, as Kea
    /// 2.2 keeps it (`{ "ISC": { "relay-agent-info": "0x..." } }`). Default
    /// false.
    pub store_extended_info: Option<bool>,
    /// Kea's `allocator` (Kea 2.4+): `iterative` (the default) or
    /// `random`; `flq` is refused as not supported yet.
    pub allocator: Option<String>,
    /// Kea 2.6's `offer-lifetime`: when above 0, an OFFER stores a lease
    /// of that many seconds (the OFFER still carries `valid-lifetime`).
    /// Default 0: nothing is stored for an OFFER.
    pub offer_lifetime: Option<u32>,
    pub authoritative: Option<bool>,
    pub match_client_id: Option<bool>,
    pub next_server: Option<String>,
    pub server_hostname: Option<String>,
    pub boot_file_name: Option<String>,
    /// Kea 2.2: only members of this class may use the network's subnets.
    pub client_class: Option<String>,
    /// Kea 3.0: the classes whose members may use the network.
    pub client_classes: Option<Vec<String>>,
    /// Kea 2.2: classes evaluated for packets using the network, before
    /// the subnet's and the pool's.
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
    /// `ddns-*` and `hostname-char-*`: as in [`Dhcp4`], for this scope.
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

/// `relay` (both families).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Relay {
    /// Relay agent addresses: giaddr values in DHCPv4, the relay's
    /// link-address in DHCPv6.
    pub ip_addresses: Option<Vec<String>>,
    /// Older single-address form; may not be combined with `ip-addresses`.
    pub ip_address: Option<String>,
}

/// One `pools` entry (both families).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Pool {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// `"192.0.2.10 - 192.0.2.20"` or `"192.0.2.64/26"` (DHCPv6:
    /// `"2001:db8:1::100 - 2001:db8:1::1ff"` or `"2001:db8:1::/112"`). Required.
    pub pool: String,
    /// Kea 2.4+'s `pool-id`: 1..=4294967295, stored with each lease given
    /// from the pool (`pool_id`). Default: none (0).
    pub pool_id: Option<i64>,
    /// Pool options (override subnet ones).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// Kea 2.2: the one class whose members may use this pool
    /// (`""` or absent: everyone). Not together with `client-classes`.
    pub client_class: Option<String>,
    /// Kea 3.0: the classes whose members may use this pool (a member
    /// of any one may). Not together with `client-class`.
    pub client_classes: Option<Vec<String>>,
    /// Kea 2.2: classes evaluated for packets that use this pool,
    /// after it is chosen. Not together with `evaluate-additional-classes`.
    pub require_client_classes: Option<Vec<String>>,
    /// Kea 3.0's name of `require-client-classes`.
    pub evaluate_additional_classes: Option<Vec<String>>,
    /// `ddns-*` and `hostname-char-*`: as in [`Dhcp4`], for this scope.
    pub ddns_send_updates: Option<bool>,
    pub ddns_override_no_update: Option<bool>,
    pub ddns_override_client_update: Option<bool>,
    pub ddns_replace_client_name: Option<String>,
    pub ddns_generated_prefix: Option<String>,
    pub ddns_qualifying_suffix: Option<String>,
    pub ddns_update_on_renew: Option<bool>,
    pub ddns_conflict_resolution_mode: Option<String>,
    pub ddns_ttl_percent: Option<f64>,
    pub ddns_ttl: Option<u32>,
    pub ddns_ttl_min: Option<u32>,
    pub ddns_ttl_max: Option<u32>,
    pub hostname_char_set: Option<String>,
    pub hostname_char_replacement: Option<String>,
}

/// One `option-data` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OptionData {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// Option name in the space (e.g. `"routers"`, `"dns-servers"`).
    pub name: Option<String>,
    /// Option code; with `name`, both must designate the same option.
    pub code: Option<u32>,
    /// Option space: `"dhcp4"` in `Dhcp4`, `"dhcp6"` in `Dhcp6` (the
    /// defaults), or a custom space of `option-def` (sub-options of the
    /// options that encapsulate it, or `vendor-N` vendor sub-options).
    pub space: Option<String>,
    /// The value: comma-separated values, or hex when `csv-format` is false.
    /// Default empty.
    pub data: Option<String>,
    /// Whether `data` is in the option's text format. Default true.
    pub csv_format: Option<bool>,
    /// Send even when the client did not ask for it. Default false.
    pub always_send: Option<bool>,
    /// Kea 2.6: never send this option, whatever the other levels say.
    /// Default false.
    pub never_send: Option<bool>,
}

/// One `option-def` entry: a custom option's name, code, space and format.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OptionDef {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// The option's name in its space. Required.
    pub name: Option<String>,
    /// The option's code in its space. Required.
    pub code: Option<u32>,
    /// The space. Default `"dhcp4"` / `"dhcp6"`.
    pub space: Option<String>,
    /// Kea's data type name (`uint8`, `string`, `record`, ...). Required.
    #[serde(rename = "type")]
    pub data_type: Option<String>,
    /// For `type: "record"`: the fields' types, comma-separated.
    pub record_types: Option<String>,
    /// A list of values (of the type, or of the record's last field).
    /// Default false.
    pub array: Option<bool>,
    /// The space whose options this option carries as sub-options.
    /// Default none.
    pub encapsulate: Option<String>,
}

/// One `reservations` entry. Exactly one identifier is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Reservation {
    pub comment: Option<String>,
    pub user_context: Option<Value>,
    /// MAC address: `"aa:bb:cc:dd:ee:ff"`, `"aabbccddeeff"` or `"aa-bb-..."`.
    pub hw_address: Option<String>,
    /// Client identifier (option 61 payload) in hex, e.g. `"01:aa:bb:cc:dd:ee:ff"`.
    pub client_id: Option<String>,
    /// Relay agent circuit id in hex, or as quoted text `"'port-1'"`.
    pub circuit_id: Option<String>,
    /// DUID identifier: not supported yet.
    pub duid: Option<String>,
    /// Flexible identifier (needs a hook): not supported yet.
    pub flex_id: Option<String>,
    /// The reserved address; must be in the subnet (it may be outside the pools).
    pub ip_address: Option<String>,
    /// Hostname given to this client.
    pub hostname: Option<String>,
    /// Options for this host (highest precedence).
    #[serde(default, deserialize_with = "objects")]
    pub option_data: Option<Vec<OptionData>>,
    /// `siaddr` for this host.
    pub next_server: Option<String>,
    /// `sname` for this host.
    pub server_hostname: Option<String>,
    /// `file` for this host.
    pub boot_file_name: Option<String>,
    /// Classes this host is put in.
    pub client_classes: Option<Vec<String>>,
}
