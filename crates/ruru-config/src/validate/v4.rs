//! The `Dhcp4` section: its globals (`next-server`, `server-hostname`,
//! `boot-file-name`, `authoritative`, `match-client-id`,
//! `host-reservation-identifiers`, ...), subnets with their inherited
//! parameters, pools, options and host reservations. Everything both
//! families have goes through the sibling modules (`common`, `subnets`,
//! `timers`, `option_data`, `databases`, `host_ids`).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use ipnet::Ipv4Net;
use ruru_classify::Family;

use super::classes::{guard, names, ClassIn, ClassList};
use super::common::{common, CommonIn, DEFAULT_DECLINE_PROBATION};
use super::databases::hosts_databases;
use super::ddns::{ddns_keys, ddns_params};
use super::host_ids::parse_host_id;
use super::host_modes::{host_modes, ip_reservations_unique, mode_keys};
use super::networks::{network_entries, network_names, network_required, NetworkInterfaces};
use super::subnets::{pool_ranges, relay_addresses, subnet_interface, SubnetList};
use super::timers::{
    check_subnet_timers, check_timers, Origin, Timers, DEFAULT_T1_PERCENT, DEFAULT_VALID_LIFETIME,
};
use super::{Section, V};
use crate::file;
use crate::model::{self, HostId, HostIdType, HostModes, Lifetime};

/// Kea's default memfile lease file for DHCPv4.
pub const DEFAULT_LEASE_FILE4: &str = "/var/lib/kea/kea-leases4.csv";
/// Kea's default `t2-percent` (DHCPv4).
pub const DEFAULT_T2_PERCENT: f64 = 0.875;

const SECTION4: Section = Section {
    name: "Dhcp4",
    lease_file: DEFAULT_LEASE_FILE4,
    logger: "kea-dhcp4",
};

/// Kea's global defaults as resolved values, inherited by every subnet.
struct Globals {
    lifetime: Lifetime,
    renew_timer: Option<u32>,
    rebind_timer: Option<u32>,
    calculate_tee_times: bool,
    t1_percent: f64,
    t2_percent: f64,
    authoritative: bool,
    match_client_id: bool,
    next_server: Ipv4Addr,
    server_hostname: String,
    boot_file_name: String,
    host_modes: HostModes,
    /// The `ddns-*` parameters in force.
    ddns: Arc<model::DdnsParams>,
    cache: model::LeaseCache,
    store_extended_info: bool,
    allocator: model::Allocator,
    offer_lifetime: u32,
    /// The built-in ping check's global settings (`None`: not listed).
    /// Not inherited through shared networks: as Kea's library, only a
    /// subnet's own `user-context` overrides them.
    ping_check: Option<model::PingCheck>,
}

impl Globals {
    fn timers(&self) -> Timers {
        Timers {
            valid: self.lifetime.default,
            renew: self.renew_timer,
            rebind: self.rebind_timer,
            calculate_tee_times: self.calculate_tee_times,
            t1_percent: self.t1_percent,
            t2_percent: self.t2_percent,
        }
    }
}

pub(super) fn dhcp4(v: &mut V, d: file::Dhcp4) -> model::Dhcp4 {
    const P: &str = "Dhcp4";

    // First: option-data and expressions everywhere may use these names.
    v.option_defs.list = v.option_defs(true, "Dhcp4.option-def", &d.option_def);
    let common = common(
        v,
        &SECTION4,
        CommonIn {
            interfaces_config: d.interfaces_config.clone(),
            lease_database: d.lease_database.as_ref(),
            expired_leases_processing: d.expired_leases_processing.as_ref(),
            loggers: d.loggers.as_deref(),
            multi_threading: d.multi_threading.as_ref(),
            hooks_libraries: d.hooks_libraries.as_deref(),
            control_socket: d.control_socket.as_ref(),
            control_sockets: d.control_sockets.as_deref(),
        },
    );
    let dhcp4o6_port = super::common::dhcp4o6_port(v, P, d.dhcp4o6_port);

    let lifetime = v
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
    let t1_percent = d
        .t1_percent
        .map_or(DEFAULT_T1_PERCENT, |x| v.percent("Dhcp4.t1-percent", x));
    let t2_percent = d
        .t2_percent
        .map_or(DEFAULT_T2_PERCENT, |x| v.percent("Dhcp4.t2-percent", x));
    let next_server = d
        .next_server
        .as_deref()
        .and_then(|s| v.ipv4("Dhcp4.next-server", s))
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    if let Some(s) = &d.server_hostname {
        v.sname_file("Dhcp4.server-hostname", s, 63);
    }
    if let Some(s) = &d.boot_file_name {
        v.sname_file("Dhcp4.boot-file-name", s, 127);
    }
    let (ddns_client, ddns) = super::ddns::section(v, P, d.dhcp_ddns.as_ref(), &ddns_keys!(d));
    let g = Globals {
        lifetime,
        renew_timer: d.renew_timer,
        rebind_timer: d.rebind_timer,
        calculate_tee_times: d.calculate_tee_times.unwrap_or(false),
        t1_percent,
        t2_percent,
        authoritative: d.authoritative.unwrap_or(false),
        match_client_id: d.match_client_id.unwrap_or(true),
        next_server,
        server_hostname: d.server_hostname.clone().unwrap_or_default(),
        boot_file_name: d.boot_file_name.clone().unwrap_or_default(),
        host_modes: host_modes(v, P, &mode_keys!(d), HostModes::default()),
        cache: model::LeaseCache::inherit(d.cache_threshold, d.cache_max_age, Default::default()),
        store_extended_info: d.store_extended_info.unwrap_or(false),
        allocator: super::common::allocator(v, P, d.allocator.as_deref(), Default::default()),
        offer_lifetime: d.offer_lifetime.unwrap_or(0),
        ping_check: common.ping_check.map(|(pc, _)| pc),
        ddns,
    };
    ip_reservations_unique(v, P, d.ip_reservations_unique);
    check_timers(v, P, &Origin::section(P), &g.timers(), &[]);

    let options = v.options("Dhcp4.option-data", &d.option_data);
    let client_classes = client_classes(v, d.client_classes.as_deref().unwrap_or_default());
    let subnets = subnets(
        v,
        d.subnet4.as_deref().unwrap_or_default(),
        d.shared_networks.as_deref().unwrap_or_default(),
        &g,
    );

    let host_reservation_identifiers = match &d.host_reservation_identifiers {
        None => vec![
            HostIdType::HwAddress,
            HostIdType::Duid,
            HostIdType::CircuitId,
            HostIdType::ClientId,
        ],
        Some(list) => {
            let path = "Dhcp4.host-reservation-identifiers";
            if list.is_empty() {
                v.err(path, "empty list: expected at least one of \"hw-address\", \"duid\", \"circuit-id\", \"client-id\", \"flex-id\"");
            }
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let t = match s.as_str() {
                    "hw-address" => HostIdType::HwAddress,
                    "duid" => HostIdType::Duid,
                    "circuit-id" => HostIdType::CircuitId,
                    "client-id" => HostIdType::ClientId,
                    "flex-id" => HostIdType::Flex,
                    _ => {
                        v.err(format!("{path}[{i}]"), format!("unknown identifier type `{s}`: expected one of \"hw-address\", \"duid\", \"circuit-id\", \"client-id\", \"flex-id\""));
                        continue;
                    }
                };
                if out.contains(&t) {
                    v.err(format!("{path}[{i}]"), format!("`{s}` is listed twice"));
                } else {
                    out.push(t);
                }
            }
            out
        }
    };

    let reservations = reservations(v, P, d.reservations.as_deref().unwrap_or_default(), None);
    let hosts_databases = hosts_databases(
        v,
        P,
        d.hosts_database.as_ref(),
        d.hosts_databases.as_deref(),
    );

    model::Dhcp4 {
        dhcp4o6_port,
        stash_agent_options: d.stash_agent_options.unwrap_or(false),
        option_defs: v.option_defs.public(),
        interfaces: common.interfaces,
        lease_database: common.lease_database,
        hosts_databases,
        subnets,
        reservations,
        early_global_reservations_lookup: d.early_global_reservations_lookup.unwrap_or(false),
        options,
        decline_probation_period: d
            .decline_probation_period
            .unwrap_or(DEFAULT_DECLINE_PROBATION),
        expired_leases: common.expired_leases,
        loggers: common.loggers,
        echo_client_id: d.echo_client_id.unwrap_or(true),
        host_reservation_identifiers,
        multi_threading: common.multi_threading,
        control_sockets: common.control_sockets,
        hooks_libraries: common.hooks_libraries,
        flex_id: common.flex_id,
        ha: common.ha,
        ping_check: common.ping_check.map(|(pc, _)| pc),
        ping_channel_threads: common.ping_check.map_or(0, |(_, t)| t),
        flex_options: common.flex_options,
        bootp: common.bootp,
        parked_packet_limit: d.parked_packet_limit.unwrap_or(256),
        server_tag: d.server_tag.clone().unwrap_or_default(),
        compatibility: d.compatibility.as_ref().map_or_else(Default::default, |c| {
            crate::model::Compatibility {
                lenient_option_parsing: c.lenient_option_parsing.unwrap_or(false),
                ignore_dhcp_server_identifier: c.ignore_dhcp_server_identifier.unwrap_or(false),
                ignore_rai_link_selection: c.ignore_rai_link_selection.unwrap_or(false),
                exclude_first_last_24: c.exclude_first_last_24.unwrap_or(false),
            }
        }),
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

/// `Dhcp4.client-classes`.
fn client_classes(v: &mut V, list: &[file::ClientClass4]) -> Vec<model::ClientClass4> {
    const CP: &str = "Dhcp4.client-classes";
    let mut classes = ClassList::new(CP, Family::V4, list.iter().map(|c| c.name.as_str()));
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
        v.class_defs = v.option_defs(true, &format!("{p}.option-def"), &c.option_def);
        let options = v.options(&format!("{p}.option-data"), &c.option_data);
        v.class_defs.clear();
        let next_server = c.next_server.as_deref().and_then(|s| {
            let path = format!("{p}.next-server");
            let a = v.ipv4(&path, s)?;
            if a.is_broadcast() {
                v.err(
                    &path,
                    "255.255.255.255 cannot be a next-server: expected a unicast address",
                );
            }
            Some(a)
        });
        if let Some(x) = &c.server_hostname {
            v.sname_file(&format!("{p}.server-hostname"), x, 63);
        }
        if let Some(x) = &c.boot_file_name {
            v.sname_file(&format!("{p}.boot-file-name"), x, 127);
        }
        out.push(model::ClientClass4 {
            name: common.name,
            test: common.test,
            only_if_required: common.only_if_required,
            depends_on_known: common.depends_on_known,
            options,
            next_server,
            server_hostname: c.server_hostname.clone(),
            boot_file_name: c.boot_file_name.clone(),
            valid_lifetime: common.valid_lifetime,
            offer_lifetime: c.offer_lifetime,
            user_context: common.user_context,
        });
    }
    out
}

/// The top-level subnets, then those of each shared network: one list of
/// ids and prefixes (unique ids, disjoint prefixes across all of them).
fn subnets(
    v: &mut V,
    list: &[file::Subnet4],
    networks: &[file::SharedNetwork4],
    g: &Globals,
) -> Vec<model::Subnet4> {
    let entries = network_entries(
        "Dhcp4",
        "subnet4",
        list,
        networks,
        |n: &file::SharedNetwork4| n.subnet4.as_deref(),
    );
    let mut all = SubnetList::<Ipv4Addr>::with_paths(
        entries
            .iter()
            .map(|(p, s, _)| (p.clone(), s.id, s.subnet.as_str())),
    );
    network_names(v, "Dhcp4", networks.iter().map(|n| n.name.as_deref()));
    let scopes: Vec<Network4> = networks
        .iter()
        .enumerate()
        .map(|(k, n)| network(v, &format!("Dhcp4.shared-networks[{k}]"), n, g))
        .collect();
    let mut interfaces =
        NetworkInterfaces::new("Dhcp4", scopes.iter().map(|n| n.interface.clone()));
    let mut out = Vec::new();
    for (i, (p, s, k)) in entries.iter().enumerate() {
        let id = all.id(v, i, s.id);
        let Some(net) = all.prefix(v, i) else {
            continue;
        };
        let Some(k) = *k else {
            out.push(subnet(v, p, s, id, net, g, &Origin::section("Dhcp4")));
            continue;
        };
        let n = &scopes[k];
        let origin = Origin {
            section: "Dhcp4",
            network: Some((&n.path, &n.sets)),
        };
        let mut sub = subnet(v, p, s, id, net, &n.globals, &origin);
        sub.interface = interfaces.member(v, k, p, s.interface.as_deref());
        if s.relay.is_none() {
            sub.relay_addresses.clone_from(&n.relay_addresses);
        }
        sub.classes.required_classes =
            network_required(&n.required_classes, &sub.classes.required_classes);
        sub.network = Some(Arc::clone(&n.shared));
        if sub.ha_server_name == model::HaServerName::None {
            sub.ha_server_name = model::HaServerName::of(None, networks[k].user_context.as_ref());
        }
        out.push(sub);
    }
    out
}

/// One shared network's scope: the parameters its subnets inherit.
struct Network4 {
    /// `Dhcp4.shared-networks[k]`.
    path: String,
    /// The inheritable timer keys the network sets (for messages).
    sets: Vec<&'static str>,
    globals: Globals,
    relay_addresses: Vec<Ipv4Addr>,
    interface: Option<String>,
    required_classes: Vec<String>,
    shared: Arc<model::SharedNetwork<model::OptionData>>,
}

/// A `Dhcp4.shared-networks` entry at `p`, inheriting `g`.
fn network(v: &mut V, p: &str, n: &file::SharedNetwork4, g: &Globals) -> Network4 {
    let lifetime = v
        .lifetime(
            p,
            "valid-lifetime",
            n.valid_lifetime,
            n.min_valid_lifetime,
            n.max_valid_lifetime,
        )
        .unwrap_or(g.lifetime);
    let t1_percent = n
        .t1_percent
        .map_or(g.t1_percent, |x| v.percent(&format!("{p}.t1-percent"), x));
    let t2_percent = n
        .t2_percent
        .map_or(g.t2_percent, |x| v.percent(&format!("{p}.t2-percent"), x));
    let next_server = match &n.next_server {
        Some(ns) => v
            .ipv4(&format!("{p}.next-server"), ns)
            .unwrap_or(g.next_server),
        None => g.next_server,
    };
    if let Some(x) = &n.server_hostname {
        v.sname_file(&format!("{p}.server-hostname"), x, 63);
    }
    if let Some(x) = &n.boot_file_name {
        v.sname_file(&format!("{p}.boot-file-name"), x, 127);
    }
    let globals = Globals {
        lifetime,
        renew_timer: n.renew_timer.or(g.renew_timer),
        rebind_timer: n.rebind_timer.or(g.rebind_timer),
        calculate_tee_times: n.calculate_tee_times.unwrap_or(g.calculate_tee_times),
        t1_percent,
        t2_percent,
        authoritative: n.authoritative.unwrap_or(g.authoritative),
        match_client_id: n.match_client_id.unwrap_or(g.match_client_id),
        next_server,
        server_hostname: n
            .server_hostname
            .clone()
            .unwrap_or_else(|| g.server_hostname.clone()),
        boot_file_name: n
            .boot_file_name
            .clone()
            .unwrap_or_else(|| g.boot_file_name.clone()),
        host_modes: host_modes(v, p, &mode_keys!(n), g.host_modes),
        ddns: ddns_params(v, p, &ddns_keys!(n), &g.ddns),
        cache: model::LeaseCache::inherit(n.cache_threshold, n.cache_max_age, g.cache),
        store_extended_info: n.store_extended_info.unwrap_or(g.store_extended_info),
        allocator: super::common::allocator(v, p, n.allocator.as_deref(), g.allocator),
        offer_lifetime: n.offer_lifetime.unwrap_or(g.offer_lifetime),
        ping_check: g.ping_check,
    };
    let own_lifetime = n.valid_lifetime.is_some()
        || n.min_valid_lifetime.is_some()
        || n.max_valid_lifetime.is_some();
    check_subnet_timers(
        v,
        p,
        &Origin::section("Dhcp4"),
        &globals.timers(),
        &[
            ("renew-timer", n.renew_timer.is_some()),
            ("rebind-timer", n.rebind_timer.is_some()),
            ("valid-lifetime", own_lifetime),
            ("t1-percent", n.t1_percent.is_some()),
            ("t2-percent", n.t2_percent.is_some()),
            ("calculate-tee-times", n.calculate_tee_times.is_some()),
        ],
    );
    let relay_addresses = relay_addresses::<Ipv4Addr>(v, p, n.relay.as_ref());
    subnet_interface(v, p, n.interface.as_ref());
    let classes = guard(v, p, n);
    let options = v.options(&format!("{p}.option-data"), &n.option_data);
    let sets = [
        ("renew-timer", n.renew_timer.is_some()),
        ("rebind-timer", n.rebind_timer.is_some()),
        ("valid-lifetime", own_lifetime),
        ("t1-percent", n.t1_percent.is_some()),
        ("t2-percent", n.t2_percent.is_some()),
        ("calculate-tee-times", n.calculate_tee_times.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    Network4 {
        path: p.to_string(),
        sets,
        globals,
        relay_addresses,
        interface: n.interface.clone(),
        required_classes: classes.required_classes,
        shared: Arc::new(model::SharedNetwork {
            name: n.name.clone().unwrap_or_default(),
            options,
            client_classes: classes.client_classes,
        }),
    }
}

fn subnet(
    v: &mut V,
    p: &str,
    s: &file::Subnet4,
    id: u32,
    net: Ipv4Net,
    g: &Globals,
    origin: &Origin<'_>,
) -> model::Subnet4 {
    let dhcp4o6 = dhcp4o6_selectors(v, p, s);
    let lifetime = v
        .lifetime(
            p,
            "valid-lifetime",
            s.valid_lifetime,
            s.min_valid_lifetime,
            s.max_valid_lifetime,
        )
        .unwrap_or(g.lifetime);
    let t1_percent = s
        .t1_percent
        .map_or(g.t1_percent, |x| v.percent(&format!("{p}.t1-percent"), x));
    let t2_percent = s
        .t2_percent
        .map_or(g.t2_percent, |x| v.percent(&format!("{p}.t2-percent"), x));
    let next_server = match &s.next_server {
        Some(ns) => v
            .ipv4(&format!("{p}.next-server"), ns)
            .unwrap_or(g.next_server),
        None => g.next_server,
    };
    if let Some(x) = &s.server_hostname {
        v.sname_file(&format!("{p}.server-hostname"), x, 63);
    }
    if let Some(x) = &s.boot_file_name {
        v.sname_file(&format!("{p}.boot-file-name"), x, 127);
    }
    let r = Globals {
        lifetime,
        renew_timer: s.renew_timer.or(g.renew_timer),
        rebind_timer: s.rebind_timer.or(g.rebind_timer),
        calculate_tee_times: s.calculate_tee_times.unwrap_or(g.calculate_tee_times),
        t1_percent,
        t2_percent,
        authoritative: s.authoritative.unwrap_or(g.authoritative),
        match_client_id: s.match_client_id.unwrap_or(g.match_client_id),
        next_server,
        server_hostname: s
            .server_hostname
            .clone()
            .unwrap_or_else(|| g.server_hostname.clone()),
        boot_file_name: s
            .boot_file_name
            .clone()
            .unwrap_or_else(|| g.boot_file_name.clone()),
        host_modes: host_modes(v, p, &mode_keys!(s), g.host_modes),
        ddns: ddns_params(v, p, &ddns_keys!(s), &g.ddns),
        cache: model::LeaseCache::inherit(s.cache_threshold, s.cache_max_age, g.cache),
        store_extended_info: s.store_extended_info.unwrap_or(g.store_extended_info),
        allocator: super::common::allocator(v, p, s.allocator.as_deref(), g.allocator),
        offer_lifetime: s.offer_lifetime.unwrap_or(g.offer_lifetime),
        ping_check: g.ping_check,
    };
    let own_lifetime = s.valid_lifetime.is_some()
        || s.min_valid_lifetime.is_some()
        || s.max_valid_lifetime.is_some();
    check_subnet_timers(
        v,
        p,
        origin,
        &r.timers(),
        &[
            ("renew-timer", s.renew_timer.is_some()),
            ("rebind-timer", s.rebind_timer.is_some()),
            ("valid-lifetime", own_lifetime),
            ("t1-percent", s.t1_percent.is_some()),
            ("t2-percent", s.t2_percent.is_some()),
            ("calculate-tee-times", s.calculate_tee_times.is_some()),
        ],
    );
    let relay_addresses = relay_addresses::<Ipv4Addr>(v, p, s.relay.as_ref());
    subnet_interface(v, p, s.interface.as_ref());

    let classes = guard(v, p, s);
    let pools = pools(v, p, s.pools.as_deref().unwrap_or_default(), net, &r.ddns);
    let options = v.options(&format!("{p}.option-data"), &s.option_data);
    let reservations = reservations(
        v,
        p,
        s.reservations.as_deref().unwrap_or_default(),
        Some(net),
    );

    model::Subnet4 {
        id,
        cache: r.cache,
        store_extended_info: r.store_extended_info,
        allocator: r.allocator,
        offer_lifetime: r.offer_lifetime,
        addr: net.addr(),
        prefix_len: net.prefix_len(),
        pools,
        options,
        reservations,
        relay_addresses,
        interface: s.interface.clone(),
        valid_lifetime: r.lifetime,
        renew_timer: r.renew_timer,
        rebind_timer: r.rebind_timer,
        calculate_tee_times: r.calculate_tee_times,
        t1_percent: r.t1_percent,
        t2_percent: r.t2_percent,
        authoritative: r.authoritative,
        match_client_id: r.match_client_id,
        next_server: r.next_server,
        server_hostname: r.server_hostname,
        boot_file_name: r.boot_file_name,
        classes,
        network: None,
        host_modes: r.host_modes,
        ddns: r.ddns,
        ha_server_name: model::HaServerName::of(s.user_context.as_ref(), None),
        dhcp4o6,
        ping_check: r
            .ping_check
            .map(|pc| super::ping::subnet(v, p, pc, s.user_context.as_ref())),
    }
}

/// Kea's DHCPv4-over-DHCPv6 subnet selectors of subnet `s` at `p`
/// (`4o6-interface`, `4o6-interface-id`, `4o6-subnet`; an empty string is
/// unset, as in Kea). `4o6-subnet` must be an IPv6 prefix: Kea accepts an
/// IPv4 one or a length over 128 and then never matches (or drops every
/// packet), which is refused here.
fn dhcp4o6_selectors(v: &mut V, p: &str, s: &file::Subnet4) -> model::Dhcp4o6Subnet {
    let set = |x: &Option<String>| x.as_deref().filter(|t| !t.is_empty()).map(str::to_string);
    let subnet = set(&s.four_o6_subnet).and_then(|text| {
        let parsed = text.split_once('/').and_then(|(a, l)| {
            let a: std::net::Ipv6Addr = a.trim().parse().ok()?;
            let l: u8 = l.trim().parse().ok().filter(|l| *l <= 128)?;
            Some((a, l))
        });
        if parsed.is_none() {
            v.err(
                format!("{p}.4o6-subnet"),
                format!("invalid 4o6-subnet `{text}`: expected an IPv6 prefix such as \"2001:db8:1::/64\" (the IPv6 addresses of this subnet's DHCPv4-over-DHCPv6 clients)"),
            );
        }
        parsed
    });
    model::Dhcp4o6Subnet {
        interface: set(&s.four_o6_interface),
        interface_id: set(&s.four_o6_interface_id).map(String::into_bytes),
        subnet,
    }
}

fn pools(
    v: &mut V,
    sp: &str,
    list: &[file::Pool],
    net: Ipv4Net,
    ddns: &Arc<model::DdnsParams>,
) -> Vec<model::Pool4> {
    pool_ranges::<Ipv4Addr>(v, sp, list, &net)
        .into_iter()
        .map(|(start, end, i)| model::Pool4 {
            start,
            end,
            id: super::common::pool_id(v, &format!("{sp}.pools[{i}]"), list[i].pool_id),
            options: v.options(
                &format!("{sp}.pools[{i}].option-data"),
                &list[i].option_data,
            ),
            classes: guard(v, &format!("{sp}.pools[{i}]"), &list[i]),
            ddns: ddns_params(
                v,
                &format!("{sp}.pools[{i}]"),
                &ddns_keys!(list[i], pool),
                ddns,
            ),
        })
        .collect()
}

fn reservations(
    v: &mut V,
    sp: &str,
    list: &[file::Reservation],
    net: Option<Ipv4Net>,
) -> model::Reservations4 {
    let mut hosts = Vec::new();
    let mut ids: HashMap<HostId, usize> = HashMap::new();
    let mut addrs: HashMap<Ipv4Addr, usize> = HashMap::new();
    for (i, r) in list.iter().enumerate() {
        let p = format!("{sp}.reservations[{i}]");
        let given: Vec<(&str, &String)> = [
            ("hw-address", &r.hw_address),
            ("client-id", &r.client_id),
            ("circuit-id", &r.circuit_id),
            ("duid", &r.duid),
            ("flex-id", &r.flex_id),
        ]
        .into_iter()
        .filter_map(|(k, x)| x.as_ref().map(|x| (k, x)))
        .collect();
        let id = match given.as_slice() {
            [] => {
                v.err(&p, "no identifier: expected exactly one of `hw-address`, `client-id`, `circuit-id`, `duid`, `flex-id`");
                None
            }
            [(k, val)] => host_id(v, &format!("{p}.{k}"), k, val),
            [_, (k, _), ..] => {
                v.err(
                    format!("{p}.{k}"),
                    format!(
                        "more than one identifier ({}): expected exactly one",
                        given.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
        };
        let ip = r.ip_address.as_deref().and_then(|a| {
            let ap = format!("{p}.ip-address");
            let addr = v.ipv4(&ap, a)?;
            if addr.is_unspecified() {
                return None;
            }
            if let Some(net) = net.filter(|net| !net.contains(&addr)) {
                v.err(&ap, format!("{addr} is not inside subnet {net}: expected an address of the subnet"));
                return None;
            }
            if let Some(first) = addrs.insert(addr, i).filter(|_| !v.ip_shared) {
                v.err(&ap, format!("{addr} is already reserved by {sp}.reservations[{first}]: expected unique addresses (or `ip-reservations-unique: false`)"));
            }
            Some(addr)
        });
        let next_server = r
            .next_server
            .as_deref()
            .and_then(|a| v.ipv4(&format!("{p}.next-server"), a));
        if let Some(x) = &r.server_hostname {
            v.sname_file(&format!("{p}.server-hostname"), x, 63);
        }
        if let Some(x) = &r.boot_file_name {
            v.sname_file(&format!("{p}.boot-file-name"), x, 127);
        }
        let options = v.options(&format!("{p}.option-data"), &r.option_data);
        let Some(id) = id else { continue };
        if let Some(first) = ids.insert(id.clone(), i) {
            let k = given.first().map_or("", |(k, _)| *k);
            v.err(
                format!("{p}.{k}"),
                format!("this {k} is already reserved by {sp}.reservations[{first}]: expected one reservation per client"),
            );
        }
        hosts.push(model::Reservation4 {
            id,
            ip_address: ip,
            hostname: r.hostname.clone(),
            options,
            next_server,
            server_hostname: r.server_hostname.clone(),
            boot_file_name: r.boot_file_name.clone(),
            client_classes: r.client_classes.as_deref().map_or_else(Vec::new, names),
        });
    }
    model::Reservations4::new(hosts)
}

fn host_id(v: &mut V, path: &str, kind: &str, s: &str) -> Option<HostId> {
    match parse_host_id(kind, s) {
        Ok(id) => Some(id),
        Err(None) => {
            v.unsupported(path.to_string());
            None
        }
        Err(Some(msg)) => {
            v.err(path, msg);
            None
        }
    }
}

impl V {
    fn ipv4(&mut self, path: &str, s: &str) -> Option<Ipv4Addr> {
        self.addr(path, s)
    }

    fn sname_file(&mut self, path: &str, s: &str, max: usize) {
        if s.len() > max {
            self.err(
                path,
                format!("too long: {} bytes, expected at most {max}", s.len()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every diagnostic of `text` as `path: message`, in order.
    fn problems(text: &str) -> Vec<String> {
        match crate::load_str(text, Path::new("t.json")) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect(),
        }
    }

    /// A `Dhcp4` config with these subnets (`(subnet, pools)`).
    fn config4(subnets: &[(&str, &[&str])]) -> String {
        let list: Vec<String> = subnets
            .iter()
            .enumerate()
            .map(|(i, (net, pools))| {
                let pools: Vec<String> = pools
                    .iter()
                    .map(|p| format!("{{\"pool\": \"{p}\"}}"))
                    .collect();
                format!(
                    "{{\"id\": {}, \"subnet\": \"{net}\", \"pools\": [{}]}}",
                    i + 1,
                    pools.join(", ")
                )
            })
            .collect();
        format!("{{\"Dhcp4\": {{\"subnet4\": [{}]}}}}", list.join(",\n"))
    }

    #[test]
    fn every_earlier_overlapping_subnet_is_named_in_order() {
        let p = problems(&config4(&[
            ("10.1.0.0/16", &[]),
            ("10.2.0.0/16", &[]),
            ("10.0.0.0/8", &[]),
            ("10.1.2.0/24", &[]),
            ("10.1.0.0/16", &["10.1.0.1 - 10.1.0.2"]),
            ("bad", &[]),
            ("11.0.0.0/8", &[]),
        ]));
        assert_eq!(
            p,
            [
                "Dhcp4.subnet4[2].subnet: 10.0.0.0/8 overlaps 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[2].subnet: 10.0.0.0/8 overlaps 10.2.0.0/16 of Dhcp4.subnet4[1]: expected disjoint subnets",
                "Dhcp4.subnet4[3].subnet: 10.1.2.0/24 overlaps 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[3].subnet: 10.1.2.0/24 overlaps 10.0.0.0/8 of Dhcp4.subnet4[2]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 is the same as 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 overlaps 10.0.0.0/8 of Dhcp4.subnet4[2]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 overlaps 10.1.2.0/24 of Dhcp4.subnet4[3]: expected disjoint subnets",
                "Dhcp4.subnet4[5].subnet: `bad` is not a subnet: expected a prefix like \"192.0.2.0/24\"",
            ]
        );
    }

    #[test]
    fn an_overlapping_pool_names_the_first_pool_it_overlaps() {
        let p = problems(&config4(&[(
            "10.0.0.0/24",
            &[
                "10.0.0.100 - 10.0.0.109",
                "10.0.0.10 - 10.0.0.19",
                "10.0.0.200 - 10.0.0.209",
                // Covers pools 1, 0 and 2: named after pool 0.
                "10.0.0.0 - 10.0.0.255",
                // Reaches into pool 1 from before, and covers pool 0.
                "10.0.0.5 - 10.0.0.150",
                "10.0.0.20 - 10.0.0.99",
                // Overlaps pool 5 only (pool 3, 4 were refused).
                "10.0.0.50/28",
                "10.0.0.110 - 10.0.0.199",
                "10.0.0.199 - 10.0.0.200",
            ],
        )]));
        assert_eq!(
            p,
            [
                "Dhcp4.subnet4[0].pools[3].pool: pool 10.0.0.0 - 10.0.0.255 overlaps Dhcp4.subnet4[0].pools[0]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[4].pool: pool 10.0.0.5 - 10.0.0.150 overlaps Dhcp4.subnet4[0].pools[0]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[6].pool: pool 10.0.0.48 - 10.0.0.63 overlaps Dhcp4.subnet4[0].pools[5]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[8].pool: pool 10.0.0.199 - 10.0.0.200 overlaps Dhcp4.subnet4[0].pools[2]: expected disjoint pools",
            ]
        );
    }

    #[test]
    fn repeated_identifier_types_and_control_sockets() {
        let p = problems(
            r#"{"Dhcp4": {
                "host-reservation-identifiers": ["duid", "hw-address", "duid", "duid"],
                "control-sockets": [
                    {"socket-type": "unix", "socket-name": "/run/a"},
                    {"socket-type": "http", "socket-port": 8001},
                    {"socket-type": "unix", "socket-name": "/run/b"},
                    {"socket-type": "unix", "socket-name": "/run/a"},
                    {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8001},
                    {"socket-type": "http", "socket-port": 8002}
                ]
            }}"#,
        );
        assert_eq!(
            p,
            [
                "Dhcp4.control-sockets[3].socket-name: another control socket already uses this: expected each socket once",
                "Dhcp4.control-sockets[4].socket-port: another control socket already uses this: expected each socket once",
                "Dhcp4.host-reservation-identifiers[2]: `duid` is listed twice",
                "Dhcp4.host-reservation-identifiers[3]: `duid` is listed twice",
            ]
        );
    }

    #[test]
    fn a_generated_config_of_20000_subnets_loads() {
        let subnets: Vec<String> = (0..20_000u32)
            .map(|i| {
                let net = Ipv4Addr::from((10 << 24) + (i << 8));
                let o = net.octets();
                let at = |last: u8| format!("{}.{}.{}.{last}", o[0], o[1], o[2]);
                format!(
                    "{{\"id\": {}, \"subnet\": \"{net}/24\", \"pools\": [{{\"pool\": \"{} - {}\"}}], \"reservations\": [{{\"hw-address\": \"02:00:00:00:{:02x}:{:02x}\", \"ip-address\": \"{}\"}}]}}",
                    i + 1,
                    at(10),
                    at(200),
                    o[1],
                    o[2],
                    at(5)
                )
            })
            .collect();
        let text = format!(
            "{{\"Dhcp4\": {{\"subnet4\": [\n{}\n]}}}}",
            subnets.join(",\n")
        );
        let c = crate::load_str(&text, Path::new("big.json")).unwrap();
        let d = c.dhcp4.unwrap();
        assert_eq!(d.subnets.len(), 20_000);
        assert_eq!(d.subnets[19_999].id, 20_000);
        assert_eq!(d.subnets[19_999].pools.len(), 1);
    }
}
