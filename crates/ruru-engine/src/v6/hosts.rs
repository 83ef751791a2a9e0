//! DHCPv6 reservations from host databases (Kea's `hosts-database(s)` in
//! `Dhcp6`): the DHCPv6 lookups of [`HostSources`] (the same type as
//! DHCPv4's, see [`crate::v4::hosts`]) and the mapping between a DHCPv6
//! host row ([`ruru_lease::Host6`]) and a [`Reservation6`].
//!
//! Nothing is cached: each message asks the databases, so a row written
//! by an inventory system applies to the client's next message. With no
//! host database configured, every lookup returns at once.

use std::borrow::Cow;
use std::net::Ipv6Addr;

use ruru_config::options::CustomOptionDef;
use ruru_config::{prefix_contains, HostId6, OptionData6, Reservation6, Subnet6};
use ruru_lease::{Host6, IdType};
use tracing::warn;

use crate::v4::hosts::{option_list, options_text, HostSources, Space};

impl HostSources {
    /// The client's DHCPv6 reservation in subnet `subnet_id`: the first
    /// database with a host for one of `ids`, the best identifier of that
    /// database first. A row that makes no DHCPv6 reservation (a
    /// client-id or circuit-id identifier) is skipped.
    /// `defs`: the section's `option-def`, to read options stored in text
    /// form.
    pub fn get6(
        &self,
        subnet_id: u32,
        ids: &[HostId6],
        defs: &[CustomOptionDef],
    ) -> Option<Reservation6> {
        if ids.is_empty() || self.is_empty() {
            return None;
        }
        let keys: Vec<(IdType, &[u8])> = ids.iter().map(id_key6).collect();
        self.0.iter().find_map(|db| {
            db.get6(subnet_id, &keys)
                .and_then(|h| reservation6_of(&h, defs))
        })
    }

    /// Whether a database reserves `addr` (an address, or a prefix by its
    /// first address) in subnet `subnet_id` for another client than the one
    /// holding `own`.
    pub fn reserved_for_other6(
        &self,
        subnet_id: u32,
        addr: Ipv6Addr,
        own: Option<&Reservation6>,
    ) -> bool {
        self.0.iter().any(|db| {
            db.get6_by_address(subnet_id, addr).is_some_and(|h| {
                !own.is_some_and(|o| id6_of(h.id_type, &h.identifier).as_ref() == Some(&o.id))
            })
        })
    }
}

/// A global reservation as it applies in `subnet`: only its addresses
/// inside the subnet (its prefixes, hostname, options and classes apply
/// as they are).
pub fn usable_global6<'a>(subnet: &Subnet6, h: Cow<'a, Reservation6>) -> Cow<'a, Reservation6> {
    if h.ip_addresses.iter().all(|&a| subnet.contains(a)) {
        return h;
    }
    let mut r = h.into_owned();
    r.ip_addresses.retain(|&a| subnet.contains(a));
    Cow::Owned(r)
}

/// A subnet reservation as it applies: with `reservations-out-of-pool`,
/// its addresses inside an address pool and its prefixes inside a
/// pd-pool are not given (Kea: they are dynamic, any client may get them).
pub fn usable_in_subnet6<'a>(subnet: &Subnet6, h: Cow<'a, Reservation6>) -> Cow<'a, Reservation6> {
    if !subnet.host_modes.out_of_pool {
        return h;
    }
    let in_pool = |a: &Ipv6Addr| subnet.pools.iter().any(|p| p.contains(*a));
    let in_pd = |(p, len): &(Ipv6Addr, u8)| subnet.pd_pools.iter().any(|d| d.contains(*p, *len));
    if !h.ip_addresses.iter().any(in_pool) && !h.prefixes.iter().any(in_pd) {
        return h;
    }
    let mut r = h.into_owned();
    r.ip_addresses.retain(|a| !in_pool(a));
    r.prefixes.retain(|p| !in_pd(p));
    Cow::Owned(r)
}

/// Whether the reservations of `subnet` must be checked before `addr`
/// (an address, or a prefix by its first address) goes to a client:
/// only with `reservations-in-subnet` and, with
/// `reservations-out-of-pool`, never for pool addresses and prefixes.
pub fn checks_reservations6(subnet: &Subnet6, addr: Ipv6Addr) -> bool {
    let m = subnet.host_modes;
    m.in_subnet
        && !(m.out_of_pool
            && (subnet.pools.iter().any(|p| p.contains(addr))
                || subnet
                    .pd_pools
                    .iter()
                    .any(|d| prefix_contains(d.prefix, d.prefix_len, addr))))
}

/// The `hosts` key of a DHCPv6 configuration identifier.
pub fn id_key6(id: &HostId6) -> (IdType, &[u8]) {
    match id {
        HostId6::Duid(b) => (IdType::Duid, b),
        HostId6::HwAddress(b) => (IdType::HwAddress, b),
        HostId6::Flex(b) => (IdType::Flex, b),
    }
}

/// The DHCPv6 configuration identifier of a row's (`None` for a client-id
/// or circuit-id: DHCPv4 only).
pub fn id6_of(t: IdType, b: &[u8]) -> Option<HostId6> {
    let b = b.to_vec();
    match t {
        IdType::Duid => Some(HostId6::Duid(b)),
        IdType::HwAddress => Some(HostId6::HwAddress(b)),
        IdType::Flex => Some(HostId6::Flex(b)),
        IdType::ClientId | IdType::CircuitId => None,
    }
}

/// The reservation of a DHCPv6 host row. Options that cannot be decoded
/// are logged and left out (the addresses and prefixes still apply).
pub fn reservation6_of(h: &Host6, defs: &[CustomOptionDef]) -> Option<Reservation6> {
    let id = id6_of(h.id_type, &h.identifier)?;
    let options = match options6_of(&h.option_data, defs) {
        Ok(o) => o,
        Err(e) => {
            warn!(host_id = h.host_id, subnet = h.subnet_id, error = %e, "hosts database: dhcp6_option_data ignored");
            Vec::new()
        }
    };
    Some(Reservation6 {
        id,
        ip_addresses: h.ip_addresses.clone(),
        prefixes: h.prefixes.clone(),
        excluded_prefixes: Vec::new(),
        hostname: (!h.hostname.is_empty()).then(|| h.hostname.clone()),
        options,
        client_classes: crate::v4::hosts::classes_of(&h.client_classes),
    })
}

/// The DHCPv6 host row of a reservation in subnet `subnet_id`.
pub fn host6_of(subnet_id: u32, r: &Reservation6) -> Host6 {
    let (t, b) = id_key6(&r.id);
    let mut h = Host6::new(t, b.to_vec(), subnet_id);
    h.ip_addresses = r.ip_addresses.clone();
    h.prefixes = r.prefixes.clone();
    h.hostname = r.hostname.clone().unwrap_or_default();
    h.client_classes = r.client_classes.join(",");
    h.option_data = options_text(
        r.options
            .iter()
            // never-send has no column in Kea's schema.
            .filter(|o| !o.never_send)
            .map(|o| (o.code, &o.data[..], o.always_send, o.vendor)),
    );
    h
}

/// Decodes the `dhcp6_option_data` column: as DHCPv4's `option_data`
/// ([`crate::v4::hosts::options_of`]) with DHCPv6 codes, 1 to 65535,
/// space `dhcp6`, and sub-options of `vendor-N` sent in option 17.
pub fn options6_of(text: &str, defs: &[CustomOptionDef]) -> Result<Vec<OptionData6>, String> {
    let list = option_list(text, "1 to 65535", |c| {
        u16::try_from(c).ok().filter(|c| *c != 0)
    })?;
    let mut out = Vec::new();
    for o in list {
        let def = match &o.vendor {
            Space::Top => ruru_config::options6::by_code(o.code).map(|d| (d.data_type, d.array)),
            Space::Vendor(4491) => ruru_config::options6::DHCP6_SUB_DEFS
                .iter()
                .find(|d| d.0 == "docsis3-v6" && d.2 == o.code)
                .map(|d| (d.3, d.4)),
            Space::Vendor(_) => None,
            Space::Other => continue,
        };
        let data = o.data(def, defs, "dhcp6", o.code)?;
        out.push(OptionData6 {
            code: o.code,
            data,
            always_send: o.always_send,
            never_send: false,
            vendor: match o.vendor {
                Space::Vendor(n) => Some(n),
                _ => None,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_values_of_custom_definitions() {
        let defs = [CustomOptionDef {
            space: "dhcp6".into(),
            name: "site-id".into(),
            code: 1000,
            types: vec![ruru_config::options::DataType::Uint32],
            record: false,
            array: false,
        }];
        let o =
            options6_of(r#"[{"code": 1000, "data": "", "csv": "258"}]"#, &defs).unwrap_or_default();
        assert_eq!(o.first().map(|o| o.data.clone()), Some(vec![0, 0, 1, 2]));
        // Without the definition: the binary value.
        let o =
            options6_of(r#"[{"code": 1000, "data": "ff", "csv": "258"}]"#, &[]).unwrap_or_default();
        assert_eq!(o.first().map(|o| o.data.clone()), Some(vec![0xff]));
    }

    #[test]
    fn rows_and_reservations_round_trip() {
        let r = Reservation6 {
            id: HostId6::Duid(vec![0, 3, 0, 1, 1, 2, 3, 4, 5, 6]),
            ip_addresses: vec![Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5)],
            prefixes: vec![(Ipv6Addr::new(0x2001, 0xdb8, 8, 0, 0, 0, 0, 0), 56)],
            excluded_prefixes: Vec::new(),
            hostname: Some("h6".into()),
            options: vec![OptionData6 {
                code: 23,
                data: vec![0x20, 0x01, 0x0d, 0xb8],
                always_send: true,
                never_send: false,
                vendor: None,
            }],
            client_classes: Vec::new(),
        };
        let h = host6_of(4, &r);
        assert_eq!((h.id_type, h.subnet_id), (IdType::Duid, 4));
        let back = reservation6_of(&h, &[]);
        assert_eq!(back.as_ref().map(|b| &b.id), Some(&r.id));
        assert_eq!(back.as_ref().map(|b| &b.prefixes), Some(&r.prefixes));
        assert_eq!(back.as_ref().map(|b| &b.options), Some(&r.options));
        assert_eq!(back.and_then(|b| b.hostname), Some("h6".into()));
        assert!(reservation6_of(&Host6::new(IdType::ClientId, vec![1], 4), &[]).is_none());
        assert_eq!(
            options6_of(r#"[{"code": 1000, "data": "01"}]"#, &[]).map(|o| o[0].code),
            Ok(1000)
        );
        assert!(options6_of(r#"[{"code": 0}]"#, &[]).is_err());
        assert!(options6_of(r#"[{"code": 65536}]"#, &[]).is_err());
        assert_eq!(options6_of("", &[]), Ok(Vec::new()));
    }
}
