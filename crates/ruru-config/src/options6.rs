//! The DHCPv6 option-definition table (space `dhcp6`).
//!
//! Names, codes and formats are Kea's standard DHCPv6 definitions, so
//! `{"name": "dns-servers", "data": "2001:db8::53"}` means the same thing to
//! ruru as to Kea. Values are encoded by the encoder shared with DHCPv4,
//! [`crate::options::encode_as`].
//!
//! `vendor-opts` takes the enterprise number, as in Kea; its sub-options
//! are the options of space `vendor-N`, added by the engine at reply time.
//! Kea's standard sub-option spaces (`v6-ntp-server-suboptions`, `s46-*`,
//! `docsis3-v6`) are not defined: `ntp-server` is binary here, so its
//! sub-options (RFC 5908 §4: sub-option code, length, value) are written
//! in hex.

use crate::options::{encode_as, DataType};

/// One DHCPv6 option definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef6 {
    pub name: &'static str,
    pub code: u16,
    pub data_type: DataType,
    /// Whether the data is a list of values of `data_type`.
    pub array: bool,
}

const fn def(name: &'static str, code: u16, data_type: DataType, array: bool) -> OptionDef6 {
    OptionDef6 {
        name,
        code,
        data_type,
        array,
    }
}

use DataType::{
    Binary, Empty, Fqdn, Ipv6Address, Record, String as Str, Tuple, Uint16, Uint32, Uint8,
};

/// Standard DHCPv6 options with Kea 2.2's names and formats (space
/// `dhcp6`, checked against Kea 2.2's `std_option_defs.h`), including the
/// ones the server also derives itself. Kea's definitions of `lq-query`
/// and `client-data` encapsulate space `dhcp6`; ruru sends their
/// configured payload alone (Kea 2.2 crashes when a client asks for a
/// configured `iaaddr`, `iaprefix`, `lq-query` or `client-data`).
/// `ntp-server` (56) is ruru's: Kea 2.2 has no standard definition of it.
pub const DHCP6_OPTION_DEFS: &[OptionDef6] = &[
    def("clientid", 1, Binary, false),
    def("serverid", 2, Binary, false),
    def("ia-na", 3, Record(&[Uint32, Uint32, Uint32]), false),
    def("ia-ta", 4, Uint32, false),
    def("iaaddr", 5, Record(&[Ipv6Address, Uint32, Uint32]), false),
    def("oro", 6, Uint16, true),
    def("preference", 7, Uint8, false),
    def("elapsed-time", 8, Uint16, false),
    def("relay-msg", 9, Binary, false),
    def("auth", 11, Binary, false),
    def("unicast", 12, Ipv6Address, false),
    def("status-code", 13, Record(&[Uint16, Str]), false),
    def("rapid-commit", 14, Empty, false),
    def("user-class", 15, Binary, false),
    def("vendor-class", 16, Record(&[Uint32, Binary]), false),
    def("vendor-opts", 17, Uint32, false),
    def("interface-id", 18, Binary, false),
    def("reconf-msg", 19, Uint8, false),
    def("reconf-accept", 20, Empty, false),
    def("sip-server-dns", 21, Fqdn, true),
    def("sip-server-addr", 22, Ipv6Address, true),
    def("dns-servers", 23, Ipv6Address, true),
    def("domain-search", 24, Fqdn, true),
    def("ia-pd", 25, Record(&[Uint32, Uint32, Uint32]), false),
    def(
        "iaprefix",
        26,
        Record(&[Uint32, Uint32, Uint8, Ipv6Address]),
        false,
    ),
    def("nis-servers", 27, Ipv6Address, true),
    def("nisp-servers", 28, Ipv6Address, true),
    def("nis-domain-name", 29, Fqdn, true),
    def("nisp-domain-name", 30, Fqdn, true),
    def("sntp-servers", 31, Ipv6Address, true),
    def("information-refresh-time", 32, Uint32, false),
    def("bcmcs-server-dns", 33, Fqdn, true),
    def("bcmcs-server-addr", 34, Ipv6Address, true),
    def("geoconf-civic", 36, Record(&[Uint8, Uint16, Binary]), false),
    def("remote-id", 37, Record(&[Uint32, Binary]), false),
    def("subscriber-id", 38, Binary, false),
    def("client-fqdn", 39, Record(&[Uint8, Fqdn]), false),
    def("pana-agent", 40, Ipv6Address, true),
    def("new-posix-timezone", 41, Str, false),
    def("new-tzdb-timezone", 42, Str, false),
    def("ero", 43, Uint16, true),
    def("lq-query", 44, Record(&[Uint8, Ipv6Address]), false),
    def("client-data", 45, Empty, false),
    def("clt-time", 46, Uint32, false),
    def("lq-relay-data", 47, Record(&[Ipv6Address, Binary]), false),
    def("lq-client-link", 48, Ipv6Address, true),
    def("v6-lost", 51, Fqdn, false),
    def("capwap-ac-v6", 52, Ipv6Address, true),
    def("relay-id", 53, Binary, false),
    def("ntp-server", 56, Binary, false),
    def("v6-access-domain", 57, Fqdn, false),
    def("sip-ua-cs-list", 58, Fqdn, true),
    def("bootfile-url", 59, Str, false),
    def("bootfile-param", 60, Tuple, true),
    def("client-arch-type", 61, Uint16, true),
    def("nii", 62, Record(&[Uint8, Uint8, Uint8]), false),
    def("aftr-name", 64, Fqdn, false),
    def("erp-local-domain-name", 65, Fqdn, false),
    def("rsoo", 66, Empty, false),
    def("pd-exclude", 67, DataType::Ipv6Prefix, false),
    def("client-linklayer-addr", 79, Binary, false),
    def("link-address", 80, Ipv6Address, false),
    def("solmax-rt", 82, Uint32, false),
    def("inf-max-rt", 83, Uint32, false),
    def("dhcpv4-message", 87, Binary, false),
    def("dhcp4o6-server-addr", 88, Ipv6Address, true),
    def("relay-source-port", 135, Uint16, false),
    def("v6-captive-portal", 103, Str, false),
    def(
        "rdnss-selection",
        74,
        Record(&[Ipv6Address, Uint8, Fqdn]),
        true,
    ),
    def("ipv6-address-andsf", 143, Ipv6Address, true),
    def("s46-cont-mape", 94, Empty, false),
    def("s46-cont-mapt", 95, Empty, false),
    def("s46-cont-lw", 96, Empty, false),
];

/// The space a standard DHCPv6 option carries as sub-options, if any
/// (the softwire 46 containers of RFC 7598).
pub fn encapsulated_space(code: u16) -> Option<&'static str> {
    match code {
        94 => Some("s46-cont-mape-options"),
        95 => Some("s46-cont-mapt-options"),
        96 => Some("s46-cont-lw-options"),
        _ => None,
    }
}

/// One standard definition of a sub-option space: (space, name, code,
/// type, array, encapsulated space).
pub type SubDef = (
    &'static str,
    &'static str,
    u16,
    DataType,
    bool,
    Option<&'static str>,
);

const S46_RULE: DataType = Record(&[
    Uint8,
    Uint8,
    Uint8,
    DataType::Ipv4Address,
    DataType::Ipv6Prefix,
]);
const S46_V4V6BIND: DataType = Record(&[DataType::Ipv4Address, DataType::Ipv6Prefix]);
const S46_PORTPARAMS: DataType = Record(&[Uint8, DataType::Psid]);

/// Kea's standard definitions of DHCPv6 sub-option spaces: softwire 46
/// (RFC 7598), DOCSIS 3 (CableLabs, space `docsis3-v6`, which is also
/// vendor 4491's `vendor-4491`) and ISC's `4o6` space (the options Kea's
/// DHCPv4-over-DHCPv6 servers pass between each other: interface, source
/// address and port of the DHCPv6 packet).
pub const DHCP6_SUB_DEFS: &[SubDef] = &[
    (
        "s46-cont-mape-options",
        "s46-br",
        90,
        Ipv6Address,
        false,
        None,
    ),
    (
        "s46-cont-mape-options",
        "s46-rule",
        89,
        S46_RULE,
        false,
        Some("s46-rule-options"),
    ),
    (
        "s46-cont-mapt-options",
        "s46-rule",
        89,
        S46_RULE,
        false,
        Some("s46-rule-options"),
    ),
    (
        "s46-cont-mapt-options",
        "s46-dmr",
        91,
        DataType::Ipv6Prefix,
        false,
        None,
    ),
    (
        "s46-cont-lw-options",
        "s46-br",
        90,
        Ipv6Address,
        false,
        None,
    ),
    (
        "s46-cont-lw-options",
        "s46-v4v6bind",
        92,
        S46_V4V6BIND,
        false,
        Some("s46-v4v6bind-options"),
    ),
    (
        "s46-rule-options",
        "s46-portparams",
        93,
        S46_PORTPARAMS,
        false,
        None,
    ),
    (
        "s46-v4v6bind-options",
        "s46-portparams",
        93,
        S46_PORTPARAMS,
        false,
        None,
    ),
    ("docsis3-v6", "oro", 1, Uint16, true, None),
    ("docsis3-v6", "device-type", 2, Str, false, None),
    ("docsis3-v6", "vendor-type", 10, Str, false, None),
    ("docsis3-v6", "tftp-servers", 32, Ipv6Address, true, None),
    ("docsis3-v6", "config-file", 33, Str, false, None),
    ("docsis3-v6", "syslog-servers", 34, Ipv6Address, true, None),
    ("docsis3-v6", "device-id", 36, Binary, false, None),
    ("docsis3-v6", "time-servers", 37, Ipv6Address, true, None),
    (
        "docsis3-v6",
        "time-offset",
        38,
        DataType::Int32,
        false,
        None,
    ),
    ("docsis3-v6", "cmts-cm-mac", 1026, Binary, false, None),
    ("4o6", "4o6-interface", 60000, Str, false, None),
    ("4o6", "4o6-source-address", 60001, Ipv6Address, false, None),
    ("4o6", "4o6-source-port", 60002, Uint16, false, None),
];

/// The definition named `name` in space `dhcp6`.
pub fn by_name(name: &str) -> Option<&'static OptionDef6> {
    DHCP6_OPTION_DEFS.iter().find(|d| d.name == name)
}

/// The definition of option `code` in space `dhcp6`.
pub fn by_code(code: u16) -> Option<&'static OptionDef6> {
    DHCP6_OPTION_DEFS.iter().find(|d| d.code == code)
}

/// Why an option code may not appear in `option-data`, if it may not.
///
/// Only code 0: like Kea 2.2, every option may be configured, including
/// those the server also derives itself. What the server derives (client
/// and server identifiers, the IAs it answers, status codes, rapid
/// commit, its Client FQDN answer) wins; a configured one is sent only
/// when the client asks for it (ORO) or with `always-send`, and only when
/// the reply does not hold that option already.
pub fn reserved_reason(code: u16) -> Option<&'static str> {
    match code {
        0 => Some("option code 0 is reserved"),
        _ => None,
    }
}

/// Encodes `data` for an option with definition `def` (or none); see
/// [`crate::options::encode`] for the `csv` rules.
pub fn encode(def: Option<&OptionDef6>, data: &str, csv: bool) -> Result<Vec<u8>, String> {
    encode_as(def.map(|d| (d.data_type, d.array)), data, csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(name: &str, data: &str) -> Result<Vec<u8>, String> {
        encode(by_name(name), data, true)
    }

    #[test]
    fn table_is_consistent() {
        for (i, d) in DHCP6_OPTION_DEFS.iter().enumerate() {
            assert_ne!(d.code, 0);
            for e in &DHCP6_OPTION_DEFS[i + 1..] {
                assert_ne!(d.code, e.code, "{} / {}", d.name, e.name);
                assert_ne!(d.name, e.name);
            }
        }
        assert_eq!(by_code(23).unwrap().name, "dns-servers");
        assert_eq!(by_name("domain-search").unwrap().code, 24);
        assert!(reserved_reason(0).is_some());
        for code in [1, 2, 3, 5, 9, 13, 14, 23, 25, 26] {
            assert!(reserved_reason(code).is_none(), "{code}");
        }
    }

    // RFC 3646 §3: DNS Recursive Name Server option, a list of addresses.
    #[test]
    fn rfc3646_3_dns_servers() {
        let mut want = "2001:db8::53"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec();
        want.extend(
            "2001:db8::54"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        assert_eq!(
            enc("dns-servers", "2001:db8::53, 2001:db8::54").unwrap(),
            want
        );
        let e = enc("dns-servers", "192.0.2.53").unwrap_err();
        assert!(e.contains("not an IPv6 address"), "{e}");
        // An array may be empty (Kea 2.2's `kea-dhcp6 -t` takes it).
        assert_eq!(enc("dns-servers", "").unwrap(), Vec::<u8>::new());
    }

    // RFC 3646 §4: Domain Search List, uncompressed names (RFC 8415 §10).
    #[test]
    fn rfc3646_4_domain_search() {
        assert_eq!(
            enc("domain-search", "example.org, a.b.").unwrap(),
            b"\x07example\x03org\x00\x01a\x01b\x00"
        );
    }

    // RFC 8415 §21.23: Information Refresh Time, 32-bit seconds.
    #[test]
    fn rfc8415_21_23_information_refresh_time() {
        assert_eq!(
            enc("information-refresh-time", "86400").unwrap(),
            [0, 1, 0x51, 0x80]
        );
        // Kea 2.2 keeps the first of several values.
        assert_eq!(
            enc("information-refresh-time", "1, 2").unwrap(),
            [0, 0, 0, 1]
        );
    }

    // RFC 8415 §21.8: Preference, one octet.
    #[test]
    fn rfc8415_21_8_preference() {
        assert_eq!(enc("preference", "255").unwrap(), [255]);
        assert!(enc("preference", "256").is_err());
    }

    // RFC 5970 §3.2: Boot File Parameters, 16-bit length-prefixed strings.
    #[test]
    fn rfc5970_3_2_bootfile_param() {
        assert_eq!(
            enc("bootfile-param", "ab, c").unwrap(),
            [0, 2, b'a', b'b', 0, 1, b'c']
        );
    }

    // RFC 6731 §4.2: RDNSS selection; bytes from Kea 2.2.
    #[test]
    fn rfc6731_rdnss_selection() {
        assert_eq!(
            enc("rdnss-selection", "2001:db8::1, 3, a.example, b.example").unwrap(),
            crate::options::decode_hex(
                "20010db8000000000000000000000001030161076578616d706c65000162076578616d706c6500"
            )
            .unwrap()
        );
    }

    // Bytes from Kea 2.2 (kea-dhcp6 on loopback, all-options.json and
    // the options the server also derives).
    #[test]
    fn kea_formats_of_server_options() {
        let h = |s: &str| crate::options::decode_hex(s).unwrap();
        assert_eq!(
            enc("client-fqdn", "224, client.example.org").unwrap(),
            h("e006636c69656e74076578616d706c65036f726700")
        );
        assert_eq!(
            enc("pd-exclude", "2001:db8:1:1::/64").unwrap(),
            h("4020010db800010001")
        );
        assert_eq!(
            enc("geoconf-civic", "0, 0x5553, 15 9D, A3 FF").unwrap(),
            h("005553159d")
        );
        assert_eq!(enc("nii", "1, 2, 11, 13").unwrap(), h("01020b"));
        assert_eq!(
            enc("lq-relay-data", "2001:db8::18, 1A BB").unwrap(),
            h("20010db80000000000000000000000181abb")
        );
        assert_eq!(enc("status-code", "1, hello").unwrap(), h("000168656c6c6f"));
        assert_eq!(enc("rsoo", "").unwrap(), h(""));
        assert_eq!(enc("ia-ta", "9").unwrap(), h("00000009"));
    }

    #[test]
    fn hex_and_no_definition() {
        assert_eq!(encode(None, "0a:0b", false).unwrap(), [10, 11]);
        assert!(encode(None, "0a0b", true).is_err());
        assert_eq!(
            encode(by_name("dns-servers"), "20010db8", false).unwrap(),
            [0x20, 0x01, 0x0d, 0xb8]
        );
        // ntp-server sub-options are written in hex.
        assert_eq!(enc("ntp-server", "00010010").unwrap().len(), 4);
    }
}
