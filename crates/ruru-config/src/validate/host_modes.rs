//! Kea's host reservation flags — `reservations-global`,
//! `reservations-in-subnet`, `reservations-out-of-pool` and the deprecated
//! `reservation-mode` that sets all three — resolved for one scope (the
//! section, a shared network, a subnet) from its parent's, and Kea's
//! global `ip-reservations-unique`.

use super::V;
use crate::model::HostModes;

/// The flags as written in one scope.
pub(super) struct ModeKeys<'a> {
    pub mode: Option<&'a str>,
    pub global: Option<bool>,
    pub in_subnet: Option<bool>,
    pub out_of_pool: Option<bool>,
}

/// The [`ModeKeys`] of a file object with Kea's four keys.
macro_rules! mode_keys {
    ($o:expr) => {
        $crate::validate::host_modes::ModeKeys {
            mode: $o.reservation_mode.as_deref(),
            global: $o.reservations_global,
            in_subnet: $o.reservations_in_subnet,
            out_of_pool: $o.reservations_out_of_pool,
        }
    };
}
pub(super) use mode_keys;

/// The modes of the scope at `p` whose keys are `k`, inheriting each flag
/// not given from `parent`. `reservation-mode` sets all three flags and,
/// as in Kea, may not be combined with them in one scope.
pub(super) fn host_modes(v: &mut V, p: &str, k: &ModeKeys<'_>, parent: HostModes) -> HostModes {
    let Some(mode) = k.mode else {
        return HostModes {
            global: k.global.unwrap_or(parent.global),
            in_subnet: k.in_subnet.unwrap_or(parent.in_subnet),
            out_of_pool: k.out_of_pool.unwrap_or(parent.out_of_pool),
        };
    };
    let mp = format!("{p}.reservation-mode");
    if k.global.is_some() || k.in_subnet.is_some() || k.out_of_pool.is_some() {
        v.err(
            &mp,
            "given with `reservations-global`, `reservations-in-subnet` or `reservations-out-of-pool`: expected either the deprecated `reservation-mode` or the flags",
        );
    }
    let (global, in_subnet, out_of_pool) = match mode {
        "all" => (false, true, false),
        "out-of-pool" => (false, true, true),
        "global" => (true, false, false),
        "disabled" => (false, false, false),
        _ => {
            v.err(
                &mp,
                format!("unknown reservation mode `{mode}`: expected one of \"all\", \"out-of-pool\", \"global\", \"disabled\""),
            );
            return parent;
        }
    };
    HostModes {
        global,
        in_subnet,
        out_of_pool,
    }
}

/// `ip-reservations-unique` of the section at `p` (default true); false
/// lets several hosts reserve one address or prefix (see `V::ip_shared`).
pub(super) fn ip_reservations_unique(v: &mut V, _p: &str, value: Option<bool>) {
    v.ip_shared = value == Some(false);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::model::HostModes;

    fn modes(g: bool, i: bool, o: bool) -> HostModes {
        HostModes {
            global: g,
            in_subnet: i,
            out_of_pool: o,
        }
    }

    /// Every diagnostic of `text` as `path: message`.
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

    #[test]
    fn flags_inherit_global_network_subnet() {
        let text = r#"{"Dhcp4": {
            "reservations-global": true,
            "reservations": [{"hw-address": "02:00:00:00:00:01", "ip-address": "198.51.100.7"}],
            "subnet4": [
                {"id": 1, "subnet": "192.0.2.0/24"},
                {"id": 2, "subnet": "192.0.3.0/24", "reservation-mode": "disabled"}
            ],
            "shared-networks": [{
                "name": "n", "reservations-in-subnet": false,
                "subnet4": [
                    {"id": 3, "subnet": "203.0.113.0/25"},
                    {"id": 4, "subnet": "203.0.113.128/25", "reservations-out-of-pool": true, "reservations-in-subnet": true}
                ]
            }]
        }}"#;
        let c = match crate::load_str(text, Path::new("t.json")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let d = c.dhcp4.unwrap_or_else(|| panic!("no Dhcp4"));
        let got: Vec<(u32, HostModes)> = d.subnets.iter().map(|s| (s.id, s.host_modes)).collect();
        assert_eq!(
            got,
            [
                (1, modes(true, true, false)),
                (2, modes(false, false, false)),
                (3, modes(true, false, false)),
                (4, modes(true, true, true)),
            ]
        );
        // A global reservation's address need not be in any subnet.
        assert_eq!(d.reservations.hosts.len(), 1);
    }

    #[test]
    fn reservation_mode_values_and_errors() {
        for (mode, want) in [
            ("all", modes(false, true, false)),
            ("out-of-pool", modes(false, true, true)),
            ("global", modes(true, false, false)),
            ("disabled", modes(false, false, false)),
        ] {
            let text = format!(
                r#"{{"Dhcp6": {{"reservation-mode": "{mode}", "subnet6": [{{"id": 1, "subnet": "2001:db8::/64"}}]}}}}"#
            );
            let c = match crate::load_str(&text, Path::new("t.json")) {
                Ok(c) => c,
                Err(e) => panic!("{mode}: {e}"),
            };
            let d = c.dhcp6.unwrap_or_else(|| panic!("no Dhcp6"));
            assert_eq!(d.subnets[0].host_modes, want, "{mode}");
        }
        assert_eq!(
            problems(r#"{"Dhcp4": {"reservation-mode": "some"}}"#),
            ["Dhcp4.reservation-mode: unknown reservation mode `some`: expected one of \"all\", \"out-of-pool\", \"global\", \"disabled\""]
        );
        assert_eq!(
            problems(
                r#"{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "reservation-mode": "all", "reservations-global": true}]}}"#
            ),
            ["Dhcp4.subnet4[0].reservation-mode: given with `reservations-global`, `reservations-in-subnet` or `reservations-out-of-pool`: expected either the deprecated `reservation-mode` or the flags"]
        );
        // With ip-reservations-unique false, two hosts may reserve one
        // address; by default that is an error.
        let two = |unique: bool| {
            format!(
                r#"{{"Dhcp4": {{"ip-reservations-unique": {unique}, "subnet4": [{{"id": 1, "subnet": "192.0.2.0/24", "reservations": [
                {{"hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.9"}},
                {{"hw-address": "02:00:00:00:00:02", "ip-address": "192.0.2.9"}}]}}]}}}}"#
            )
        };
        assert_eq!(problems(&two(false)), Vec::<String>::new());
        assert_eq!(
            problems(&two(true)),
            ["Dhcp4.subnet4[0].reservations[1].ip-address: 192.0.2.9 is already reserved by Dhcp4.subnet4[0].reservations[0]: expected unique addresses (or `ip-reservations-unique: false`)"]
        );
        assert_eq!(
            problems(
                r#"{"Dhcp4": {"ip-reservations-unique": true, "reservations-lookup-first": true}}"#
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            problems(r#"{"Dhcp6": {"host-reservation-identifiers": ["duid", "client-id"]}}"#),
            ["Dhcp6.host-reservation-identifiers[1]: unknown identifier type `client-id`: expected one of \"duid\", \"hw-address\", \"flex-id\""]
        );
    }

    #[test]
    fn dhcp4_duid_reservations() {
        let text = r#"{"Dhcp4": {"reservations": [{"duid": "00:03:00:01:02:00:00:00:00:09", "hostname": "d"}]}}"#;
        let c = match crate::load_str(text, Path::new("t.json")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let d = c.dhcp4.unwrap_or_else(|| panic!("no Dhcp4"));
        let id = crate::HostId::Duid(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 9]);
        assert!(d.reservations.get(&id).is_some());
        assert_eq!(
            crate::HostId::duid_of_client_id(&[0xff, 0, 0, 0, 1, 0, 3, 0, 1, 2, 0, 0, 0, 0, 9]),
            Some(id)
        );
        assert_eq!(
            crate::HostId::duid_of_client_id(&[1, 2, 0, 0, 0, 0, 9]),
            None
        );
    }
}
