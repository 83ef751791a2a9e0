//! Option names in `option[name]`: the [`OptionNames`] trait the parser asks,
//! and [`StdOptionNames`], the standard DHCPv4/DHCPv6 option names Kea knows
//! (the configuration adds `option-def` names on top).

use crate::Family;

/// Resolves the name in `option[name]` to an option code.
///
/// Kea looks the name up in the top-level space of the family (`dhcp4` or
/// `dhcp6`): standard definitions, then `option-def` entries of that space,
/// then last-resort definitions (`vendor-encapsulated-options`, 43, in
/// DHCPv4). A name that resolves to nothing is a parse error.
pub trait OptionNames {
    /// The code of the option called `name` in the top-level space of
    /// `family`, or `None` when it is not defined.
    fn option_code(&self, family: Family, name: &str) -> Option<u16>;
}

/// The standard option names of Kea (no `option-def`s).
#[derive(Debug, Clone, Copy, Default)]
pub struct StdOptionNames;

impl OptionNames for StdOptionNames {
    fn option_code(&self, family: Family, name: &str) -> Option<u16> {
        std_option_code(family, name)
    }
}

/// Looks `name` up in [`V4_NAMES`] or [`V6_NAMES`].
pub fn std_option_code(family: Family, name: &str) -> Option<u16> {
    let table = match family {
        Family::V4 => V4_NAMES,
        Family::V6 => V6_NAMES,
    };
    table.iter().find(|(n, _)| *n == name).map(|&(_, c)| c)
}

/// Names of the DHCPv4 options Kea defines in its `dhcp4` space, by code.
pub const V4_NAMES: &[(&str, u16)] = &[
    ("subnet-mask", 1),
    ("time-offset", 2),
    ("routers", 3),
    ("time-servers", 4),
    ("name-servers", 5),
    ("domain-name-servers", 6),
    ("log-servers", 7),
    ("cookie-servers", 8),
    ("lpr-servers", 9),
    ("impress-servers", 10),
    ("resource-location-servers", 11),
    ("host-name", 12),
    ("boot-size", 13),
    ("merit-dump", 14),
    ("domain-name", 15),
    ("swap-server", 16),
    ("root-path", 17),
    ("extensions-path", 18),
    ("ip-forwarding", 19),
    ("non-local-source-routing", 20),
    ("policy-filter", 21),
    ("max-dgram-reassembly", 22),
    ("default-ip-ttl", 23),
    ("path-mtu-aging-timeout", 24),
    ("path-mtu-plateau-table", 25),
    ("interface-mtu", 26),
    ("all-subnets-local", 27),
    ("broadcast-address", 28),
    ("perform-mask-discovery", 29),
    ("mask-supplier", 30),
    ("router-discovery", 31),
    ("router-solicitation-address", 32),
    ("static-routes", 33),
    ("trailer-encapsulation", 34),
    ("arp-cache-timeout", 35),
    ("ieee802-3-encapsulation", 36),
    ("default-tcp-ttl", 37),
    ("tcp-keepalive-interval", 38),
    ("tcp-keepalive-garbage", 39),
    ("nis-domain", 40),
    ("nis-servers", 41),
    ("ntp-servers", 42),
    ("vendor-encapsulated-options", 43),
    ("netbios-name-servers", 44),
    ("netbios-dd-server", 45),
    ("netbios-node-type", 46),
    ("netbios-scope", 47),
    ("font-servers", 48),
    ("x-display-manager", 49),
    ("dhcp-requested-address", 50),
    ("dhcp-lease-time", 51),
    ("dhcp-option-overload", 52),
    ("dhcp-message-type", 53),
    ("dhcp-server-identifier", 54),
    ("dhcp-parameter-request-list", 55),
    ("dhcp-message", 56),
    ("dhcp-max-message-size", 57),
    ("dhcp-renewal-time", 58),
    ("dhcp-rebinding-time", 59),
    ("vendor-class-identifier", 60),
    ("dhcp-client-identifier", 61),
    ("nwip-domain-name", 62),
    ("nwip-suboptions", 63),
    ("nisplus-domain-name", 64),
    ("nisplus-servers", 65),
    ("tftp-server-name", 66),
    ("boot-file-name", 67),
    ("mobile-ip-home-agent", 68),
    ("smtp-server", 69),
    ("pop-server", 70),
    ("nntp-server", 71),
    ("www-server", 72),
    ("finger-server", 73),
    ("irc-server", 74),
    ("streettalk-server", 75),
    ("streettalk-directory-assistance-server", 76),
    ("user-class", 77),
    ("slp-directory-agent", 78),
    ("slp-service-scope", 79),
    ("fqdn", 81),
    ("dhcp-agent-options", 82),
    ("nds-servers", 85),
    ("nds-tree-name", 86),
    ("nds-context", 87),
    ("bcms-controller-names", 88),
    ("bcms-controller-address", 89),
    ("authenticate", 90),
    ("client-last-transaction-time", 91),
    ("associated-ip", 92),
    ("client-system", 93),
    ("client-ndi", 94),
    ("uuid-guid", 97),
    ("uap-servers", 98),
    ("geoconf-civic", 99),
    ("pcode", 100),
    ("tcode", 101),
    ("v6-only-preferred", 108),
    ("netinfo-server-address", 112),
    ("netinfo-server-tag", 113),
    ("v4-captive-portal", 114),
    ("auto-config", 116),
    ("name-service-search", 117),
    ("subnet-selection", 118),
    ("domain-search", 119),
    ("classless-static-route", 121),
    ("cablelabs-client-conf", 122),
    ("vivco-suboptions", 124),
    ("vivso-suboptions", 125),
    ("pana-agent", 136),
    ("v4-lost", 137),
    ("capwap-ac-v4", 138),
    ("sip-ua-cs-domains", 141),
    ("v4-sztp-redirect", 143),
    ("rdnss-selection", 146),
    ("status-code", 151),
    ("base-time", 152),
    ("start-time-of-state", 153),
    ("query-start-time", 154),
    ("query-end-time", 155),
    ("dhcp-state", 156),
    ("data-source", 157),
    ("v4-portparams", 159),
    ("v4-dnr", 162),
    ("option-6rd", 212),
    ("v4-access-domain", 213),
];

/// Names of the DHCPv6 options Kea defines in its `dhcp6` space, by code.
pub const V6_NAMES: &[(&str, u16)] = &[
    ("clientid", 1),
    ("serverid", 2),
    ("ia-na", 3),
    ("ia-ta", 4),
    ("iaaddr", 5),
    ("oro", 6),
    ("preference", 7),
    ("elapsed-time", 8),
    ("relay-msg", 9),
    ("auth", 11),
    ("unicast", 12),
    ("status-code", 13),
    ("rapid-commit", 14),
    ("user-class", 15),
    ("vendor-class", 16),
    ("vendor-opts", 17),
    ("interface-id", 18),
    ("reconf-msg", 19),
    ("reconf-accept", 20),
    ("sip-server-dns", 21),
    ("sip-server-addr", 22),
    ("dns-servers", 23),
    ("domain-search", 24),
    ("ia-pd", 25),
    ("iaprefix", 26),
    ("nis-servers", 27),
    ("nisp-servers", 28),
    ("nis-domain-name", 29),
    ("nisp-domain-name", 30),
    ("sntp-servers", 31),
    ("information-refresh-time", 32),
    ("bcmcs-server-dns", 33),
    ("bcmcs-server-addr", 34),
    ("geoconf-civic", 36),
    ("remote-id", 37),
    ("subscriber-id", 38),
    ("client-fqdn", 39),
    ("pana-agent", 40),
    ("new-posix-timezone", 41),
    ("new-tzdb-timezone", 42),
    ("ero", 43),
    ("lq-query", 44),
    ("client-data", 45),
    ("clt-time", 46),
    ("lq-relay-data", 47),
    ("lq-client-link", 48),
    ("v6-lost", 51),
    ("capwap-ac-v6", 52),
    ("relay-id", 53),
    ("ntp-server", 56),
    ("v6-access-domain", 57),
    ("sip-ua-cs-list", 58),
    ("bootfile-url", 59),
    ("bootfile-param", 60),
    ("client-arch-type", 61),
    ("nii", 62),
    ("aftr-name", 64),
    ("erp-local-domain-name", 65),
    ("rsoo", 66),
    ("pd-exclude", 67),
    ("rdnss-selection", 74),
    ("client-linklayer-addr", 79),
    ("link-address", 80),
    ("solmax-rt", 82),
    ("inf-max-rt", 83),
    ("dhcpv4-message", 87),
    ("dhcp4o6-server-addr", 88),
    ("s46-cont-mape", 94),
    ("s46-cont-mapt", 95),
    ("s46-cont-lw", 96),
    ("v6-captive-portal", 103),
    ("relay-source-port", 135),
    ("v6-sztp-redirect", 136),
    ("ipv6-address-andsf", 143),
    ("v6-dnr", 144),
    ("addr-reg-enable", 148),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(
            std_option_code(Family::V4, "vendor-class-identifier"),
            Some(60)
        );
        assert_eq!(std_option_code(Family::V4, "host-name"), Some(12));
        assert_eq!(
            std_option_code(Family::V4, "vendor-encapsulated-options"),
            Some(43)
        );
        assert_eq!(std_option_code(Family::V6, "vendor-class"), Some(16));
        assert_eq!(std_option_code(Family::V6, "host-name"), None);
        assert_eq!(StdOptionNames.option_code(Family::V6, "clientid"), Some(1));
    }

    #[test]
    fn names_are_unique_per_family() {
        for table in [V4_NAMES, V6_NAMES] {
            for (i, (a, _)) in table.iter().enumerate() {
                assert!(table.iter().skip(i + 1).all(|(b, _)| a != b), "{a}");
            }
        }
    }
}
