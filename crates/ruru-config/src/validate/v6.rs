//! The `Dhcp6` section: what only DHCPv6 has (preferred lifetimes, PD
//! pools, DUID reservations with several addresses and prefixes,
//! `interface-id`, `rapid-commit`, `server-id`). Everything both families
//! have goes through the sibling modules (`common`, `subnets`, `timers`,
//! `option_data`, `databases`, `host_ids`).

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::Ipv6Net;
use ruru_classify::Family;

use super::classes::{guard, names, ClassIn, ClassList};
use super::common::{common, CommonIn, DEFAULT_DECLINE_PROBATION};
use super::databases::hosts_databases;
use super::ddns::{ddns_keys, ddns_params};
use super::host_ids::{hex_or_text, parse_duid, parse_hw_address};
use super::host_modes::{host_modes, ip_reservations_unique, mode_keys};
use super::networks::{network_entries, network_names, network_required, NetworkInterfaces};
use super::option_data::options6;
use super::overlap::Disjoint;
use super::subnets::{pool_ranges, prefix, relay_addresses, subnet_interface, SubnetList};
use super::timers::{
    check_subnet_timers, check_timers, Origin, Timers, DEFAULT_T1_PERCENT, DEFAULT_VALID_LIFETIME,
};
use super::{Section, V};
use crate::model::{
    ClientClass6, Dhcp6, DuidType, HostId6, HostIdType, HostModes, Lifetime, PdPool, Pool6,
    Reservation6, Reservations6, ServerId, Subnet6,
};
use crate::{file, options};

mod hosts;
use hosts::{host_reservation_identifiers6, reservations};

/// Kea's default memfile lease file for DHCPv6.
pub const DEFAULT_LEASE_FILE6: &str = "/var/lib/kea/kea-leases6.csv";
/// Kea 2.2's default `preferred-lifetime`.
pub const DEFAULT_PREFERRED_LIFETIME: u32 = 3600;
/// Kea's default `t2-percent` for DHCPv6.
pub const DEFAULT_T2_PERCENT6: f64 = 0.8;
/// Kea's name of the file holding the server DUID.
const SERVER_ID_FILE: &str = "kea-dhcp6-serverid";
/// ISC's enterprise number, Kea's default for DUID-EN.
const ENTERPRISE_ID_ISC: u32 = 2495;

const SECTION6: Section = Section {
    name: "Dhcp6",
    lease_file: DEFAULT_LEASE_FILE6,
    logger: "kea-dhcp6",
};

const P: &str = "Dhcp6";

/// `allocator` of `Dhcp6`, a shared network or a subnet at `p`: `flq`
/// is for prefixes only, as in Kea.
fn allocator6(
    v: &mut V,
    p: &str,
    value: Option<&str>,
    inherited: crate::model::Allocator,
) -> crate::model::Allocator {
    if value == Some("flq") {
        v.err(
            format!("{p}.allocator"),
            "the free lease queue allocator is not supported for IPv6 address pools (as in Kea): expected \"iterative\" or \"random\"; \"flq\" is for `pd-allocator`",
        );
        return inherited;
    }
    super::common::allocator(v, p, value, inherited)
}

/// `pd-allocator` at `p`.
fn pd_allocator(
    v: &mut V,
    p: &str,
    value: Option<&str>,
    inherited: crate::model::Allocator,
) -> crate::model::Allocator {
    super::common::allocator_named(v, p, "pd-allocator", value, inherited)
}

/// Section-level values every subnet inherits.
struct Globals6 {
    valid: Lifetime,
    preferred: Lifetime,
    /// Whether `preferred-lifetime` (or its min/max) is in the file: an
    /// implicit default never exceeds the valid lifetime (see `preferred`).
    preferred_explicit: bool,
    renew_timer: Option<u32>,
    rebind_timer: Option<u32>,
    calculate_tee_times: bool,
    t1_percent: f64,
    t2_percent: f64,
    host_modes: HostModes,
    /// The `ddns-*` parameters in force.
    ddns: std::sync::Arc<crate::model::DdnsParams>,
    cache: crate::model::LeaseCache,
    /// `store-extended-info`.
    store_extended_info: bool,
    allocator: crate::model::Allocator,
    pd_allocator: crate::model::Allocator,
}

impl Globals6 {
    fn timers(&self) -> Timers {
        Timers {
            valid: self.valid.default,
            renew: self.renew_timer,
            rebind: self.rebind_timer,
            calculate_tee_times: self.calculate_tee_times,
            t1_percent: self.t1_percent,
            t2_percent: self.t2_percent,
        }
    }
}

pub(super) fn dhcp6(v: &mut V, d: file::Dhcp6) -> Dhcp6 {
    // First: option-data and expressions everywhere may use these names.
    v.option_defs.list = v.option_defs(false, "Dhcp6.option-def", &d.option_def);
    let common = common(
        v,
        &SECTION6,
        CommonIn {
            interfaces_config: d
                .interfaces_config
                .as_ref()
                .map(file::InterfacesConfig6::to_common),
            lease_database: d.lease_database.as_ref(),
            expired_leases_processing: d.expired_leases_processing.as_ref(),
            loggers: d.loggers.as_deref(),
            multi_threading: d.multi_threading.as_ref(),
            hooks_libraries: d.hooks_libraries.as_deref(),
            control_socket: d.control_socket.as_ref(),
            control_sockets: d.control_sockets.as_deref(),
        },
    );
    let dhcp4o6_port = super::common::dhcp4o6_port(v, "Dhcp6", d.dhcp4o6_port);

    let valid = v
        .lifetime(
            P,
            "valid-lifetime",
            d.valid_lifetime,
            d.min_valid_lifetime,
            d.max_valid_lifetime,
        )
        .unwrap_or(Lifetime {
            default: DEFAULT_VALID_LIFETIME,
            min: DEFAULT_VALID_LIFETIME,
            max: DEFAULT_VALID_LIFETIME,
        });
    let own_preferred = v.lifetime(
        P,
        "preferred-lifetime",
        d.preferred_lifetime,
        d.min_preferred_lifetime,
        d.max_preferred_lifetime,
    );
    let preferred_explicit = own_preferred.is_some();
    let preferred = own_preferred.unwrap_or(Lifetime {
        default: DEFAULT_PREFERRED_LIFETIME,
        min: DEFAULT_PREFERRED_LIFETIME,
        max: DEFAULT_PREFERRED_LIFETIME,
    });
    let t1_percent = d
        .t1_percent
        .map_or(DEFAULT_T1_PERCENT, |x| v.percent("Dhcp6.t1-percent", x));
    let t2_percent = d
        .t2_percent
        .map_or(DEFAULT_T2_PERCENT6, |x| v.percent("Dhcp6.t2-percent", x));
    let (ddns_client, ddns) = super::ddns::section(v, P, d.dhcp_ddns.as_ref(), &ddns_keys!(d));
    let mut g = Globals6 {
        valid,
        preferred,
        preferred_explicit,
        renew_timer: d.renew_timer,
        rebind_timer: d.rebind_timer,
        calculate_tee_times: d.calculate_tee_times.unwrap_or(true),
        t1_percent,
        t2_percent,
        host_modes: host_modes(v, P, &mode_keys!(d), HostModes::default()),
        ddns,
        cache: crate::model::LeaseCache::inherit(
            d.cache_threshold,
            d.cache_max_age,
            Default::default(),
        ),
        store_extended_info: d.store_extended_info.unwrap_or(false),
        allocator: allocator6(v, P, d.allocator.as_deref(), Default::default()),
        pd_allocator: pd_allocator(v, P, d.pd_allocator.as_deref(), Default::default()),
    };
    ip_reservations_unique(v, P, d.ip_reservations_unique);
    g.preferred = check_preferred(v, P, &Origin::section(P), &g, preferred_explicit, &[]);
    check_timers(v, P, &Origin::section(P), &g.timers(), &[]);

    let options = options6(v, "Dhcp6.option-data", &d.option_data);
    let mut common = common;
    let data_dir = data_directory(v, d.data_directory.as_deref());
    // `data-directory` holds the default lease file (Kea's memfile
    // default is `<data-directory>/kea-leases6.csv`).
    let named = d.lease_database.as_ref().is_some_and(|l| l.name.is_some());
    if let Some(dir) = &data_dir {
        if common.lease_database.kind == crate::model::LeaseDbKind::Memfile && !named {
            common.lease_database.name = dir.join(LEASE_FILE6_NAME);
        }
    }
    // The DUID file is in the data directory, as in Kea; without one, next
    // to the lease file, or, with a SQL lease database (no lease file),
    // where Kea's default lease file would be (its data directory).
    let lease_file = match (&data_dir, &common.lease_database.kind) {
        (Some(dir), _) => dir.join(LEASE_FILE6_NAME),
        (None, crate::model::LeaseDbKind::Memfile) => common.lease_database.name.clone(),
        (None, _) => DEFAULT_LEASE_FILE6.into(),
    };
    let server_id = server_id(v, d.server_id.as_ref(), &lease_file);
    let client_classes = client_classes(v, d.client_classes.as_deref().unwrap_or_default());
    let subnets = subnets(
        v,
        d.subnet6.as_deref().unwrap_or_default(),
        d.shared_networks.as_deref().unwrap_or_default(),
        &g,
    );
    let reservations = reservations(v, P, d.reservations.as_deref().unwrap_or_default(), None);
    let host_reservation_identifiers =
        host_reservation_identifiers6(v, d.host_reservation_identifiers.as_deref());
    let hosts_databases = hosts_databases(
        v,
        P,
        d.hosts_database.as_ref(),
        d.hosts_databases.as_deref(),
    );

    Dhcp6 {
        dhcp4o6_port,
        option_defs: v.option_defs.public(),
        interfaces: model_udp(common.interfaces),
        lease_database: common.lease_database,
        hosts_databases,
        subnets,
        reservations,
        host_reservation_identifiers,
        early_global_reservations_lookup: d.early_global_reservations_lookup.unwrap_or(false),
        options,
        decline_probation_period: d
            .decline_probation_period
            .unwrap_or(DEFAULT_DECLINE_PROBATION),
        expired_leases: common.expired_leases,
        loggers: common.loggers,
        server_id,
        multi_threading: common.multi_threading,
        control_sockets: common.control_sockets,
        hooks_libraries: common.hooks_libraries,
        flex_id: common.flex_id,
        ha: common.ha,
        flex_options: common.flex_options,
        parked_packet_limit: d.parked_packet_limit.unwrap_or(256),
        server_tag: d.server_tag.clone().unwrap_or_default(),
        mac_sources: mac_sources(v, d.mac_sources.as_deref()),
        rsoo_enabled: rsoo_enabled(v, d.relay_supplied_options.as_deref()),
        compatibility: crate::model::Compatibility {
            lenient_option_parsing: d
                .compatibility
                .as_ref()
                .and_then(|c| c.lenient_option_parsing)
                .unwrap_or(false),
            ..Default::default()
        },
        statistic_samples: crate::model::StatisticSamples {
            count: d.statistic_default_sample_count.unwrap_or(20),
            age: d.statistic_default_sample_age.unwrap_or(0),
        },
        lease_checks: super::common::sanity_checks(v, P, d.sanity_checks.as_ref()),
        queue_capacity: super::common::queue_control(
            v,
            P,
            d.dhcp_queue_control.as_ref(),
            &common.multi_threading,
        ),
        client_classes,
        ddns_client,
    }
}

/// `Dhcp6.client-classes`.
fn client_classes(v: &mut V, list: &[file::ClientClass6]) -> Vec<ClientClass6> {
    const CP: &str = "Dhcp6.client-classes";
    let mut classes = ClassList::new(CP, Family::V6, list.iter().map(|c| c.name.as_str()));
    let mut out = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let p = format!("{CP}[{i}]");
        let common = classes.class(
            v,
            i,
            ClassIn {
                name: &c.name,
                test: c.test.as_deref(),
                template_test: c.template_test.as_deref(),
                only_if_required: c.only_if_required,
                only_in_additional_list: c.only_in_additional_list,
                valid_lifetime: c.valid_lifetime,
                min_valid_lifetime: c.min_valid_lifetime,
                max_valid_lifetime: c.max_valid_lifetime,
                user_context: c.user_context.as_ref(),
            },
        );
        let preferred_lifetime = v.lifetime(
            &p,
            "preferred-lifetime",
            c.preferred_lifetime,
            c.min_preferred_lifetime,
            c.max_preferred_lifetime,
        );
        let options = options6(v, &format!("{p}.option-data"), &c.option_data);
        out.push(ClientClass6 {
            name: common.name,
            test: common.test,
            only_if_required: common.only_if_required,
            depends_on_known: common.depends_on_known,
            options,
            valid_lifetime: common.valid_lifetime,
            preferred_lifetime,
            user_context: common.user_context,
        });
    }
    out
}

/// DHCPv6 always uses UDP sockets (also when `interfaces-config` is absent).
fn model_udp(mut ic: crate::model::InterfacesConfig) -> crate::model::InterfacesConfig {
    ic.socket_type = crate::model::SocketType::Udp;
    ic
}

/// Checks preferred ≤ valid at `scope` and returns the preferred lifetime
/// to use. RFC 8415 §21.6: a client discards an address whose preferred
/// lifetime exceeds its valid lifetime. A configured preferred lifetime
/// that does so is an error; Kea 2.2's implicit default (3600) is lowered
/// to the valid lifetime instead, so that a file setting only a short
/// `valid-lifetime` keeps working. `inherited` is as for timers.
fn check_preferred(
    v: &mut V,
    scope: &str,
    root: &Origin<'_>,
    g: &Globals6,
    explicit: bool,
    inherited: &[&str],
) -> Lifetime {
    let (p, l) = (g.preferred, g.valid);
    if p.default <= l.default {
        return p;
    }
    if !explicit {
        let d = l.default;
        return Lifetime {
            default: d,
            min: p.min.min(d),
            max: p.max.min(d),
        };
    }
    let from = |k: &str| {
        if inherited.contains(&k) {
            format!(", from {}", root.of(k))
        } else {
            String::new()
        }
    };
    let key = if inherited.contains(&"preferred-lifetime") {
        "valid-lifetime"
    } else {
        "preferred-lifetime"
    };
    v.err(
        format!("{scope}.{key}"),
        format!(
            "preferred-lifetime ({}{}) is greater than valid-lifetime ({}{}): expected preferred <= valid (RFC 8415 §21.6)",
            p.default,
            from("preferred-lifetime"),
            l.default,
            from("valid-lifetime")
        ),
    );
    p
}

/// The file name of Kea's default DHCPv6 lease file.
const LEASE_FILE6_NAME: &str = "kea-leases6.csv";

/// `data-directory`: a directory path, not empty.
fn data_directory(v: &mut V, dir: Option<&str>) -> Option<PathBuf> {
    match dir {
        None => None,
        Some("") => {
            v.err(
                "Dhcp6.data-directory",
                "empty `data-directory`: expected a directory path",
            );
            None
        }
        Some(d) => Some(PathBuf::from(d)),
    }
}

/// Kea's `mac-sources`: known names, at least one, none twice (an alias
/// counts as its source).
fn mac_sources(v: &mut V, list: Option<&[String]>) -> Vec<crate::model::MacSource> {
    use crate::model::MacSource;
    let Some(list) = list else {
        return vec![MacSource::Any];
    };
    let mut out = Vec::new();
    for (i, name) in list.iter().enumerate() {
        match MacSource::from_name(name) {
            Some(s) if out.contains(&s) => v.err(
                format!("Dhcp6.mac-sources[{i}]"),
                format!("mac source `{name}` given twice"),
            ),
            Some(s) => out.push(s),
            None => v.err(
                format!("Dhcp6.mac-sources[{i}]"),
                format!("unknown mac source `{name}`: expected any, raw, duid, ipv6-link-local, client-link-addr-option (rfc6939), remote-id (rfc4649), subscriber-id (rfc4580), docsis-cmts or docsis-modem"),
            ),
        }
    }
    if list.is_empty() {
        v.err(
            "Dhcp6.mac-sources",
            "empty list: expected at least one mac source (leave the key out for [\"any\"])",
        );
    }
    out
}

/// Kea's `relay-supplied-options`: DHCPv6 option codes or standard option
/// names; option 65 is always enabled.
fn rsoo_enabled(v: &mut V, list: Option<&[String]>) -> Vec<u16> {
    let mut out = vec![65];
    for (i, s) in list.unwrap_or_default().iter().enumerate() {
        let t = s.trim();
        let code = t
            .parse::<u16>()
            .ok()
            .or_else(|| crate::options6::by_name(t).map(|d| d.code));
        match code {
            Some(c) if c != 0 => out.push(c),
            _ => v.err(
                format!("Dhcp6.relay-supplied-options[{i}]"),
                format!("`{s}` is not a DHCPv6 option code (1-65535) or a standard option name"),
            ),
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn server_id(v: &mut V, sid: Option<&file::ServerId>, lease_file: &Path) -> ServerId {
    // Kea keeps the DUID file in its data directory, where its default
    // lease file is too; ruru puts it next to the configured lease file.
    let file = lease_file
        .parent()
        .unwrap_or(Path::new(""))
        .join(SERVER_ID_FILE);
    let Some(s) = sid else {
        return ServerId {
            kind: DuidType::Llt,
            identifier: None,
            enterprise_id: ENTERPRISE_ID_ISC,
            htype: 1,
            time: 0,
            persist: true,
            file,
        };
    };
    let kind = match s.kind {
        file::DuidType::Llt => DuidType::Llt,
        file::DuidType::En => DuidType::En,
        file::DuidType::Ll => DuidType::Ll,
    };
    let identifier = match s.identifier.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => {
            // RFC 8415 §11.1: a DUID is at most 130 octets with its header
            // (type + hardware type + time for LLT, type + enterprise
            // number for EN, type + hardware type for LL).
            let header = match kind {
                DuidType::Llt => 8,
                DuidType::En => 6,
                DuidType::Ll => 4,
            };
            let path = "Dhcp6.server-id.identifier";
            match options::decode_hex(text) {
                Ok(b) if !b.is_empty() && b.len() <= 130 - header => Some(b),
                Ok(b) => {
                    v.err(
                        path,
                        format!(
                            "{} bytes: expected 1 to {} bytes of hex for a DUID of this type",
                            b.len(),
                            130 - header
                        ),
                    );
                    None
                }
                Err(e) => {
                    v.err(path, e);
                    None
                }
            }
        }
    };
    ServerId {
        kind,
        identifier,
        enterprise_id: s.enterprise_id.unwrap_or(ENTERPRISE_ID_ISC),
        htype: s.htype.unwrap_or(1),
        time: s.time.unwrap_or(0),
        persist: s.persist.unwrap_or(true),
        file,
    }
}

/// The top-level subnets, then those of each shared network: one list of
/// ids and prefixes (unique ids, disjoint prefixes across all of them).
fn subnets(
    v: &mut V,
    list: &[file::Subnet6],
    networks: &[file::SharedNetwork6],
    g: &Globals6,
) -> Vec<Subnet6> {
    let entries = network_entries(P, "subnet6", list, networks, |n: &file::SharedNetwork6| {
        n.subnet6.as_deref()
    });
    let mut all = SubnetList::<Ipv6Addr>::with_paths(
        entries
            .iter()
            .map(|(p, s, _)| (p.clone(), s.id, s.subnet.as_str())),
    );
    network_names(v, P, networks.iter().map(|n| n.name.as_deref()));
    let scopes: Vec<Network6> = networks
        .iter()
        .enumerate()
        .map(|(k, n)| network(v, &format!("Dhcp6.shared-networks[{k}]"), n, g))
        .collect();
    let mut interfaces = NetworkInterfaces::new(P, scopes.iter().map(|n| n.interface.clone()));
    // Delegated prefixes must not be handed out by two pools, in one subnet
    // or in two.
    let mut pd_seen = PdSeen::new(entries.iter().map(|(_, s, _)| *s));
    let mut out = Vec::new();
    for (i, (p, s, k)) in entries.iter().enumerate() {
        let id = all.id(v, i, s.id);
        let Some(net) = all.prefix(v, i) else {
            continue;
        };
        let Some(k) = *k else {
            out.push(subnet(
                v,
                p,
                s,
                id,
                net,
                (g, &Origin::section(P)),
                &mut pd_seen,
            ));
            continue;
        };
        let n = &scopes[k];
        let origin = Origin {
            section: P,
            network: Some((&n.path, &n.sets)),
        };
        let mut sub = subnet(v, p, s, id, net, (&n.globals, &origin), &mut pd_seen);
        sub.interface = interfaces.member(v, k, p, sub.interface.as_deref());
        if s.relay.is_none() {
            sub.relay_addresses.clone_from(&n.relay_addresses);
        }
        if sub.interface_id.is_none() {
            sub.interface_id.clone_from(&n.interface_id);
        }
        if s.rapid_commit.is_none() {
            sub.rapid_commit = n.rapid_commit;
        }
        sub.classes.required_classes =
            network_required(&n.required_classes, &sub.classes.required_classes);
        sub.network = Some(Arc::clone(&n.shared));
        if sub.ha_server_name == crate::model::HaServerName::None {
            sub.ha_server_name =
                crate::model::HaServerName::of(None, networks[k].user_context.as_ref());
        }
        out.push(sub);
    }
    out
}

/// One shared network's scope: the parameters its subnets inherit.
struct Network6 {
    /// `Dhcp6.shared-networks[k]`.
    path: String,
    /// The inheritable lifetime and timer keys the network sets (for
    /// messages).
    sets: Vec<&'static str>,
    globals: Globals6,
    relay_addresses: Vec<Ipv6Addr>,
    interface: Option<String>,
    interface_id: Option<Vec<u8>>,
    rapid_commit: bool,
    required_classes: Vec<String>,
    shared: Arc<crate::model::SharedNetwork<crate::model::OptionData6>>,
}

/// A `Dhcp6.shared-networks` entry at `p`, inheriting `g`.
fn network(v: &mut V, p: &str, n: &file::SharedNetwork6, g: &Globals6) -> Network6 {
    let own_valid = v.lifetime(
        p,
        "valid-lifetime",
        n.valid_lifetime,
        n.min_valid_lifetime,
        n.max_valid_lifetime,
    );
    let own_preferred = v.lifetime(
        p,
        "preferred-lifetime",
        n.preferred_lifetime,
        n.min_preferred_lifetime,
        n.max_preferred_lifetime,
    );
    let t1_percent = n
        .t1_percent
        .map_or(g.t1_percent, |x| v.percent(&format!("{p}.t1-percent"), x));
    let t2_percent = n
        .t2_percent
        .map_or(g.t2_percent, |x| v.percent(&format!("{p}.t2-percent"), x));
    let mut r = Globals6 {
        valid: own_valid.unwrap_or(g.valid),
        preferred: own_preferred.unwrap_or(g.preferred),
        preferred_explicit: own_preferred.is_some() || g.preferred_explicit,
        renew_timer: n.renew_timer.or(g.renew_timer),
        rebind_timer: n.rebind_timer.or(g.rebind_timer),
        calculate_tee_times: n.calculate_tee_times.unwrap_or(g.calculate_tee_times),
        t1_percent,
        t2_percent,
        host_modes: host_modes(v, p, &mode_keys!(n), g.host_modes),
        ddns: ddns_params(v, p, &ddns_keys!(n), &g.ddns),
        cache: crate::model::LeaseCache::inherit(n.cache_threshold, n.cache_max_age, g.cache),
        store_extended_info: n.store_extended_info.unwrap_or(g.store_extended_info),
        allocator: allocator6(v, p, n.allocator.as_deref(), g.allocator),
        pd_allocator: pd_allocator(v, p, n.pd_allocator.as_deref(), g.pd_allocator),
    };
    if !r.preferred_explicit {
        r.preferred = Lifetime {
            default: DEFAULT_PREFERRED_LIFETIME,
            min: DEFAULT_PREFERRED_LIFETIME,
            max: DEFAULT_PREFERRED_LIFETIME,
        };
    }
    if own_valid.is_some() || own_preferred.is_some() || !r.preferred_explicit {
        let mut inherited = Vec::new();
        if own_valid.is_none() {
            inherited.push("valid-lifetime");
        }
        if own_preferred.is_none() {
            inherited.push("preferred-lifetime");
        }
        r.preferred = check_preferred(
            v,
            p,
            &Origin::section(P),
            &r,
            r.preferred_explicit,
            &inherited,
        );
    }
    check_subnet_timers(
        v,
        p,
        &Origin::section(P),
        &r.timers(),
        &[
            ("renew-timer", n.renew_timer.is_some()),
            ("rebind-timer", n.rebind_timer.is_some()),
            ("valid-lifetime", own_valid.is_some()),
            ("t1-percent", n.t1_percent.is_some()),
            ("t2-percent", n.t2_percent.is_some()),
            ("calculate-tee-times", n.calculate_tee_times.is_some()),
        ],
    );
    let relay_addresses = relay_addresses::<Ipv6Addr>(v, p, n.relay.as_ref());
    subnet_interface(v, p, n.interface.as_ref());
    let interface_id = match n.interface_id.as_deref() {
        None | Some("") => None,
        Some(text) => {
            if n.interface.as_deref().is_some_and(|i| !i.is_empty()) {
                v.err(
                    format!("{p}.interface-id"),
                    "`interface` and `interface-id` are both set: expected only one (they are mutually exclusive in Kea)",
                );
            }
            Some(text.as_bytes().to_vec())
        }
    };
    let classes = guard(v, p, n);
    let options = options6(v, &format!("{p}.option-data"), &n.option_data);
    let sets = [
        ("renew-timer", n.renew_timer.is_some()),
        ("rebind-timer", n.rebind_timer.is_some()),
        ("valid-lifetime", own_valid.is_some()),
        ("preferred-lifetime", own_preferred.is_some()),
        ("t1-percent", n.t1_percent.is_some()),
        ("t2-percent", n.t2_percent.is_some()),
        ("calculate-tee-times", n.calculate_tee_times.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    Network6 {
        path: p.to_string(),
        sets,
        globals: r,
        relay_addresses,
        interface: n.interface.clone().filter(|i| !i.is_empty()),
        interface_id,
        rapid_commit: n.rapid_commit.unwrap_or(false),
        required_classes: classes.required_classes,
        shared: Arc::new(crate::model::SharedNetwork {
            name: n.name.clone().unwrap_or_default(),
            options,
            client_classes: classes.client_classes,
        }),
    }
}

/// The pd-pools accepted so far, in every subnet.
struct PdSeen {
    /// Their prefixes, tagged by index into `pools`.
    prefixes: Disjoint,
    /// Each one's prefix and path, in the order they were accepted.
    pools: Vec<(Ipv6Net, String)>,
}

impl PdSeen {
    fn new<'a>(subnets: impl Iterator<Item = &'a file::Subnet6>) -> Self {
        // Every pd-pool prefix that reads as an address: a pool is accepted
        // only when its prefix is that address.
        let starts = subnets
            .flat_map(|s| s.pd_pools.as_deref().unwrap_or_default())
            .filter_map(|pd| pd.prefix.trim().parse::<Ipv6Addr>().ok())
            .map(u128::from);
        PdSeen {
            prefixes: Disjoint::new(starts),
            pools: Vec::new(),
        }
    }
}

fn subnet(
    v: &mut V,
    p: &str,
    s: &file::Subnet6,
    id: u32,
    net: Ipv6Net,
    (g, origin): (&Globals6, &Origin<'_>),
    pd_seen: &mut PdSeen,
) -> Subnet6 {
    let own_valid = v.lifetime(
        p,
        "valid-lifetime",
        s.valid_lifetime,
        s.min_valid_lifetime,
        s.max_valid_lifetime,
    );
    let own_preferred = v.lifetime(
        p,
        "preferred-lifetime",
        s.preferred_lifetime,
        s.min_preferred_lifetime,
        s.max_preferred_lifetime,
    );
    let t1_percent = s
        .t1_percent
        .map_or(g.t1_percent, |x| v.percent(&format!("{p}.t1-percent"), x));
    let t2_percent = s
        .t2_percent
        .map_or(g.t2_percent, |x| v.percent(&format!("{p}.t2-percent"), x));
    let mut r = Globals6 {
        valid: own_valid.unwrap_or(g.valid),
        preferred: own_preferred.unwrap_or(g.preferred),
        preferred_explicit: own_preferred.is_some() || g.preferred_explicit,
        renew_timer: s.renew_timer.or(g.renew_timer),
        rebind_timer: s.rebind_timer.or(g.rebind_timer),
        calculate_tee_times: s.calculate_tee_times.unwrap_or(g.calculate_tee_times),
        t1_percent,
        t2_percent,
        host_modes: host_modes(v, p, &mode_keys!(s), g.host_modes),
        ddns: ddns_params(v, p, &ddns_keys!(s), &g.ddns),
        cache: crate::model::LeaseCache::inherit(s.cache_threshold, s.cache_max_age, g.cache),
        store_extended_info: s.store_extended_info.unwrap_or(g.store_extended_info),
        allocator: allocator6(v, p, s.allocator.as_deref(), g.allocator),
        pd_allocator: pd_allocator(v, p, s.pd_allocator.as_deref(), g.pd_allocator),
    };
    if !r.preferred_explicit {
        // Start again from Kea's default: a subnet's own (longer) valid
        // lifetime must not inherit a default lowered for the global one.
        r.preferred = Lifetime {
            default: DEFAULT_PREFERRED_LIFETIME,
            min: DEFAULT_PREFERRED_LIFETIME,
            max: DEFAULT_PREFERRED_LIFETIME,
        };
    }
    if own_valid.is_some() || own_preferred.is_some() || !r.preferred_explicit {
        let mut inherited = Vec::new();
        if own_valid.is_none() {
            inherited.push("valid-lifetime");
        }
        if own_preferred.is_none() {
            inherited.push("preferred-lifetime");
        }
        r.preferred = check_preferred(v, p, origin, &r, r.preferred_explicit, &inherited);
    }
    check_subnet_timers(
        v,
        p,
        origin,
        &r.timers(),
        &[
            ("renew-timer", s.renew_timer.is_some()),
            ("rebind-timer", s.rebind_timer.is_some()),
            ("valid-lifetime", own_valid.is_some()),
            ("t1-percent", s.t1_percent.is_some()),
            ("t2-percent", s.t2_percent.is_some()),
            ("calculate-tee-times", s.calculate_tee_times.is_some()),
        ],
    );

    let relay_addresses = relay_addresses::<Ipv6Addr>(v, p, s.relay.as_ref());
    subnet_interface(v, p, s.interface.as_ref());
    let classes = guard(v, p, s);
    let interface_id = match s.interface_id.as_deref() {
        None | Some("") => None,
        Some(text) => {
            if s.interface.as_deref().is_some_and(|i| !i.is_empty()) {
                v.err(
                    format!("{p}.interface-id"),
                    "`interface` and `interface-id` are both set: expected only one (they are mutually exclusive in Kea)",
                );
            }
            Some(text.as_bytes().to_vec())
        }
    };

    let pool_list = s.pools.as_deref().unwrap_or_default();
    let pools = pool_ranges::<Ipv6Addr>(v, p, pool_list, &net)
        .into_iter()
        .map(|(start, end, i)| Pool6 {
            start,
            end,
            id: super::common::pool_id(v, &format!("{p}.pools[{i}]"), pool_list[i].pool_id),
            options: options6(
                v,
                &format!("{p}.pools[{i}].option-data"),
                &pool_list[i].option_data,
            ),
            classes: guard(v, &format!("{p}.pools[{i}]"), &pool_list[i]),
            ddns: ddns_params(
                v,
                &format!("{p}.pools[{i}]"),
                &ddns_keys!(pool_list[i], pool),
                &r.ddns,
            ),
        })
        .collect();
    let pd_pools = pd_pools(v, p, s.pd_pools.as_deref().unwrap_or_default(), pd_seen);
    let options = options6(v, &format!("{p}.option-data"), &s.option_data);
    let reservations = reservations(
        v,
        p,
        s.reservations.as_deref().unwrap_or_default(),
        Some(net),
    );

    Subnet6 {
        id,
        cache: r.cache,
        store_extended_info: r.store_extended_info,
        allocator: r.allocator,
        pd_allocator: r.pd_allocator,
        addr: net.addr(),
        prefix_len: net.prefix_len(),
        pools,
        pd_pools,
        options,
        reservations,
        relay_addresses,
        interface: s.interface.clone().filter(|i| !i.is_empty()),
        interface_id,
        valid_lifetime: r.valid,
        preferred_lifetime: r.preferred,
        renew_timer: r.renew_timer,
        rebind_timer: r.rebind_timer,
        calculate_tee_times: r.calculate_tee_times,
        t1_percent: r.t1_percent,
        t2_percent: r.t2_percent,
        rapid_commit: s.rapid_commit.unwrap_or(false),
        classes,
        network: None,
        host_modes: r.host_modes,
        ddns: r.ddns.clone(),
        ha_server_name: crate::model::HaServerName::of(s.user_context.as_ref(), None),
    }
}

fn pd_pools(v: &mut V, sp: &str, list: &[file::PdPool], seen: &mut PdSeen) -> Vec<PdPool> {
    let mut out = Vec::new();
    for (i, pd) in list.iter().enumerate() {
        let p = format!("{sp}.pd-pools[{i}]");
        let Some(net) = pd_prefix(v, &p, "prefix", &pd.prefix, pd.prefix_len) else {
            continue;
        };
        let (len, dlen) = (pd.prefix_len, pd.delegated_len);
        if dlen < len || dlen > 128 {
            v.err(
                format!("{p}.delegated-len"),
                format!(
                    "delegated-len ({dlen}) is out of range: expected prefix-len ({len}) to 128"
                ),
            );
            continue;
        }
        let excluded = match (pd.excluded_prefix.as_deref(), pd.excluded_prefix_len) {
            // Kea's "no exclusion" spelling.
            (None, None) | (Some("" | "::"), None | Some(0)) => None,
            (Some(_), None) | (None, Some(_)) => {
                let key = if pd.excluded_prefix.is_some() {
                    "excluded-prefix"
                } else {
                    "excluded-prefix-len"
                };
                v.err(
                    format!("{p}.{key}"),
                    "`excluded-prefix` and `excluded-prefix-len` go together: expected both or neither",
                );
                continue;
            }
            (Some(x), Some(xlen)) => {
                if xlen <= dlen || xlen > 128 {
                    v.err(
                        format!("{p}.excluded-prefix-len"),
                        format!("excluded-prefix-len ({xlen}) is out of range: expected more than delegated-len ({dlen}), at most 128"),
                    );
                    continue;
                }
                let Some(xnet) = pd_prefix(v, &p, "excluded-prefix", x, xlen) else {
                    continue;
                };
                if !net.contains(&xnet) {
                    v.err(
                        format!("{p}.excluded-prefix"),
                        format!("{xnet} is not inside the pool's prefix {net}: expected a prefix within it (RFC 6603)"),
                    );
                    continue;
                }
                Some((xnet.addr(), xlen))
            }
        };
        let range = (u128::from(net.network()), u128::from(net.broadcast()));
        if let Some((other, where_)) = seen
            .prefixes
            .first_overlap(range)
            .and_then(|k| seen.pools.get(k))
        {
            v.err(
                format!("{p}.prefix"),
                format!("{net} overlaps {other} of {where_}: expected disjoint pd-pools"),
            );
            continue;
        }
        seen.prefixes.insert(range, seen.pools.len());
        seen.pools.push((net, p.clone()));
        out.push(PdPool {
            id: super::common::pool_id(v, &p, pd.pool_id),
            prefix: net.addr(),
            prefix_len: len,
            delegated_len: dlen,
            excluded,
            options: options6(v, &format!("{p}.option-data"), &pd.option_data),
            classes: guard(v, &p, pd),
        });
    }
    out
}

/// `key` of pd pool `p` (an address) with length `len`: a prefix without
/// host bits.
fn pd_prefix(v: &mut V, p: &str, key: &str, addr: &str, len: u8) -> Option<Ipv6Net> {
    let a = v.addr::<Ipv6Addr>(&format!("{p}.{key}"), addr)?;
    let Ok(net) = Ipv6Net::new(a, len) else {
        v.err(
            format!("{p}.{key}-len"),
            format!("{len} is out of range: expected 1..=128"),
        );
        return None;
    };
    if len == 0 {
        v.err(
            format!("{p}.{key}-len"),
            "0 is out of range: expected 1..=128",
        );
        return None;
    }
    if net.network() != a {
        v.err(
            format!("{p}.{key}"),
            format!(
                "`{addr}` has bits set beyond /{len}: expected {}",
                net.network()
            ),
        );
        return None;
    }
    Some(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Every diagnostic of a `Dhcp6` section with these subnets (JSON
    /// objects), as `path: message`, in order.
    fn problems(subnets: &[&str]) -> Vec<String> {
        let text = format!("{{\"Dhcp6\": {{\"subnet6\": [{}]}}}}", subnets.join(",\n"));
        match crate::load_str(&text, Path::new("t.json")) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect(),
        }
    }

    // Kea 2.7.3's checks of `excluded-prefixes`.
    #[test]
    fn excluded_prefixes_of_a_reservation() {
        let r = |body: &str| {
            format!(
                "{{\"id\": 1, \"subnet\": \"2001:db8:1::/64\", \"reservations\": [{{\"duid\": \"01:02\", {body}}}]}}"
            )
        };
        let p = "Dhcp6.subnet6[0].reservations[0]";
        assert_eq!(
            problems(&[&r(
                r#""prefixes": ["2001:db8:9::/48", "2001:db8:a::/48"], "excluded-prefixes": ["2001:db8:9:1::/64", ""]"#
            )]),
            Vec::<String>::new()
        );
        let cfg = crate::load_str(
            &format!(
                "{{\"Dhcp6\": {{\"subnet6\": [{}]}}}}",
                r(r#""prefixes": ["2001:db8:9::/48", "2001:db8:a::/48"], "excluded-prefixes": ["2001:db8:9:1::/64", ""]"#)
            ),
            Path::new("t.json"),
        )
        .ok()
        .and_then(|c| c.dhcp6)
        .expect("loads");
        let h = &cfg.subnets[0].reservations.hosts[0];
        assert_eq!(
            h.excluded_prefix("2001:db8:9::".parse().unwrap(), 48),
            Some(("2001:db8:9:1::".parse().unwrap(), 64))
        );
        assert_eq!(h.excluded_prefix("2001:db8:a::".parse().unwrap(), 48), None);
        assert_eq!(
            problems(&[&r(r#""excluded-prefixes": ["2001:db8:9:1::/64"]"#)]),
            [format!(
                "{p}.excluded-prefixes: 'excluded-prefixes' requires the 'prefixes' parameter"
            )]
        );
        assert_eq!(
            problems(&[&r(
                r#""prefixes": ["2001:db8:9::/48"], "excluded-prefixes": ["2001:db8:9:1::/64", ""]"#
            )]),
            [format!("{p}.excluded-prefixes: 'excluded-prefixes' does not match the 'prefixes' parameter: 2 != 1: expected one entry (or \"\") per prefix")]
        );
        assert_eq!(
            problems(&[&r(
                r#""prefixes": ["2001:db8:9::/48"], "excluded-prefixes": ["2001:db8::/32"]"#
            )]),
            [format!("{p}.excluded-prefixes[0]: length of the excluded prefix 2001:db8::/32 must be greater than the length of the delegated prefix 2001:db8:9::/48")]
        );
        assert_eq!(
            problems(&[&r(
                r#""prefixes": ["2001:db8:9::/48"], "excluded-prefixes": ["2001:db8:a:1::/64"]"#
            )]),
            [format!("{p}.excluded-prefixes[0]: excluded prefix 2001:db8:a:1::/64 must have the same common prefix part of 48 as the delegated prefix 2001:db8:9::/48")]
        );
    }

    fn pd(prefix: &str, len: u8) -> String {
        format!("{{\"prefix\": \"{prefix}\", \"prefix-len\": {len}, \"delegated-len\": 64}}")
    }

    #[test]
    fn an_overlapping_pd_pool_names_the_first_pool_it_overlaps() {
        let s1 = format!(
            "{{\"id\": 1, \"subnet\": \"2001:db8:1::/64\", \"pd-pools\": [{}, {}]}}",
            pd("3000:0:0:200::", 56),
            pd("3000:0:0:100::", 56)
        );
        let s2 = format!(
            "{{\"id\": 2, \"subnet\": \"2001:db8:2::/64\", \"pd-pools\": [{}, {}, {}, {}]}}",
            pd("3000:0:0:300::", 56),
            // Covers all three: named after the first one accepted.
            pd("3000::", 48),
            pd("3000:0:0:140::", 58),
            pd("3000:1::", 48)
        );
        let s3 = format!(
            "{{\"id\": 3, \"subnet\": \"2001:db8:3::/64\", \"pd-pools\": [{}]}}",
            pd("3000:1:0:100::", 56)
        );
        assert_eq!(
            problems(&[&s1, &s2, &s3]),
            [
                "Dhcp6.subnet6[1].pd-pools[1].prefix: 3000::/48 overlaps 3000:0:0:200::/56 of Dhcp6.subnet6[0].pd-pools[0]: expected disjoint pd-pools",
                "Dhcp6.subnet6[1].pd-pools[2].prefix: 3000:0:0:140::/58 overlaps 3000:0:0:100::/56 of Dhcp6.subnet6[0].pd-pools[1]: expected disjoint pd-pools",
                "Dhcp6.subnet6[2].pd-pools[0].prefix: 3000:1:0:100::/56 overlaps 3000:1::/48 of Dhcp6.subnet6[1].pd-pools[3]: expected disjoint pd-pools",
            ]
        );
    }

    #[test]
    fn an_overlapping_reserved_prefix_names_the_first_reservation() {
        let r = |duid: &str, prefixes: &[&str]| {
            let list: Vec<String> = prefixes.iter().map(|p| format!("\"{p}\"")).collect();
            format!(
                "{{\"duid\": \"{duid}\", \"prefixes\": [{}]}}",
                list.join(", ")
            )
        };
        let s = format!(
            "{{\"id\": 1, \"subnet\": \"2001:db8:1::/64\", \"reservations\": [{}]}}",
            [
                r("01:01", &["3000:0:0:300::/56"]),
                r("01:02", &["3000:0:0:100::/56", "3000:0:0:100::/60"]),
                r("01:03", &["3000::/48", "3000:0:0:200::/56"]),
                r("01:04", &["3000:0:0:400::/60", "3000:0:0:200::/60"]),
            ]
            .join(", ")
        );
        assert_eq!(
            problems(&[&s]),
            [
                "Dhcp6.subnet6[0].reservations[1].prefixes[1]: 3000:0:0:100::/60 overlaps a prefix reserved by Dhcp6.subnet6[0].reservations[1]: expected unique prefixes",
                "Dhcp6.subnet6[0].reservations[2].prefixes[0]: 3000::/48 overlaps a prefix reserved by Dhcp6.subnet6[0].reservations[0]: expected unique prefixes",
                "Dhcp6.subnet6[0].reservations[3].prefixes[1]: 3000:0:0:200::/60 overlaps a prefix reserved by Dhcp6.subnet6[0].reservations[2]: expected unique prefixes",
            ]
        );
    }

    #[test]
    fn every_earlier_overlapping_subnet_is_named() {
        let s = |id: u32, net: &str| format!("{{\"id\": {id}, \"subnet\": \"{net}\"}}");
        assert_eq!(
            problems(&[
                &s(1, "2001:db8:1::/64"),
                &s(2, "2001:db8::/32"),
                &s(3, "2001:db8:1::/64"),
            ]),
            [
                "Dhcp6.subnet6[1].subnet: 2001:db8::/32 overlaps 2001:db8:1::/64 of Dhcp6.subnet6[0]: expected disjoint subnets",
                "Dhcp6.subnet6[2].subnet: 2001:db8:1::/64 is the same as 2001:db8:1::/64 of Dhcp6.subnet6[0]: expected disjoint subnets",
                "Dhcp6.subnet6[2].subnet: 2001:db8:1::/64 overlaps 2001:db8::/32 of Dhcp6.subnet6[1]: expected disjoint subnets",
            ]
        );
    }

    #[test]
    fn server_id_file_is_next_to_the_lease_file() {
        let mut v = V::default();
        let s = server_id(&mut v, None, Path::new("/srv/dhcp/leases6.csv"));
        assert_eq!(s.file, PathBuf::from("/srv/dhcp/kea-dhcp6-serverid"));
        let s = server_id(&mut v, None, Path::new("leases6.csv"));
        assert_eq!(s.file, PathBuf::from("kea-dhcp6-serverid"));
        assert!(v.problems.is_empty());
    }
}
