//! The DHCPv4 option-definition table and the `option-data` encoder shared
//! by both families.
//!
//! Names, codes and formats follow Kea's standard DHCPv4 definitions (space
//! `dhcp4`), so `{"name": "routers", "data": "192.0.2.1"}` means the same
//! thing to ruru as to Kea. [`encode`] turns an `option-data` `data` string
//! into the option's wire payload (without code and length octets);
//! [`encode_as`] is the same encoder for any format, used by the DHCPv6
//! table in [`crate::options6`].

use std::net::Ipv4Addr;

/// The format of an option's payload (Kea's option data types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// No payload (a flag option).
    Empty,
    /// Opaque bytes, written in hex.
    Binary,
    /// One octet, 1 or 0; written `true`/`false` (or `1`/`0`).
    Boolean,
    Uint8,
    Uint16,
    Uint32,
    Int8,
    Int16,
    Int32,
    Ipv4Address,
    /// An IPv6 address (16 octets).
    Ipv6Address,
    /// Kea's `tuple` in DHCPv6: a 16-bit length followed by that many
    /// octets of text (RFC 8415 §21.16 "opaque data").
    Tuple,
    /// Kea's `tuple` in DHCPv4: one length octet followed by that many
    /// octets of text.
    TupleV4,
    /// An IPv6 prefix, written `2001:db8::/48`: the length octet, then
    /// the prefix's significant octets (host bits cleared).
    Ipv6Prefix,
    /// A port-set identifier (RFC 7597 §5.1), written `psid/length`: the
    /// length octet, then the PSID left-aligned in 16 bits.
    Psid,
    /// Text, sent as its UTF-8 bytes without a terminating NUL.
    String,
    /// A domain name in DNS wire format (RFC 1035 §3.1, uncompressed).
    Fqdn,
    /// A sequence of fields; with `array`, the last field repeats.
    Record(&'static [DataType]),
    /// RFC 3442 routes, written `"10.0.0.0/8 - 192.0.2.1, ..."` (Kea's syntax).
    ClasslessRoutes,
}

impl DataType {
    /// Kea's name of the type, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            DataType::Empty => "empty",
            DataType::Binary => "binary",
            DataType::Boolean => "boolean",
            DataType::Uint8 => "uint8",
            DataType::Uint16 => "uint16",
            DataType::Uint32 => "uint32",
            DataType::Int8 => "int8",
            DataType::Int16 => "int16",
            DataType::Int32 => "int32",
            DataType::Ipv4Address => "ipv4-address",
            DataType::Ipv6Address => "ipv6-address",
            DataType::Tuple | DataType::TupleV4 => "tuple",
            DataType::Ipv6Prefix => "ipv6-prefix",
            DataType::Psid => "psid",
            DataType::String => "string",
            DataType::Fqdn => "fqdn",
            DataType::Record(_) => "record",
            DataType::ClasslessRoutes => "internal",
        }
    }

    /// The type Kea calls `name` in an `option-def` (`record` aside), for
    /// options of DHCPv4 (`v4`) or DHCPv6: `tuple` has a one-octet length
    /// in DHCPv4 and a two-octet length in DHCPv6.
    pub fn from_kea(name: &str, v4: bool) -> Option<DataType> {
        Some(match name {
            "empty" => DataType::Empty,
            "binary" => DataType::Binary,
            "boolean" => DataType::Boolean,
            "uint8" => DataType::Uint8,
            "uint16" => DataType::Uint16,
            "uint32" => DataType::Uint32,
            "int8" => DataType::Int8,
            "int16" => DataType::Int16,
            "int32" => DataType::Int32,
            "ipv4-address" => DataType::Ipv4Address,
            "ipv6-address" => DataType::Ipv6Address,
            "ipv6-prefix" => DataType::Ipv6Prefix,
            "psid" => DataType::Psid,
            "tuple" if v4 => DataType::TupleV4,
            "tuple" => DataType::Tuple,
            "string" => DataType::String,
            "fqdn" => DataType::Fqdn,
            _ => return None,
        })
    }
}

/// The shape of an option's payload: one type (a value, or a list of
/// values with `array`), or a record of fields (with `array`, the last
/// field repeats). Records of the standard tables and of `option-def`
/// entries alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format<'a> {
    One(DataType),
    Record(&'a [DataType]),
}

/// A definition of the configuration's `option-def` (section level), as
/// the engine keeps it to read options stored in text form (Kea's
/// `formatted_value` of a hosts database's option rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomOptionDef {
    /// Its option space (`dhcp4` / `dhcp6` when not given).
    pub space: String,
    pub name: String,
    pub code: u16,
    /// The data type, or the fields of a record.
    pub types: Vec<DataType>,
    pub record: bool,
    pub array: bool,
}

impl CustomOptionDef {
    /// The payload of `text` (Kea's CSV form of the option's values).
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, String> {
        let format = if self.record {
            Format::Record(&self.types)
        } else {
            Format::One(self.types.first().copied().unwrap_or(DataType::Binary))
        };
        encode_format(Some((format, self.array)), text, true)
    }

    /// The definition of option `code` in `space` among `defs`.
    pub fn find<'a>(defs: &'a [CustomOptionDef], space: &str, code: u16) -> Option<&'a Self> {
        defs.iter().find(|d| d.code == code && d.space == space)
    }
}

/// One option definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDef {
    pub name: &'static str,
    pub code: u8,
    pub data_type: DataType,
    /// Whether the data is a list of values of `data_type`.
    pub array: bool,
}

const fn def(name: &'static str, code: u8, data_type: DataType, array: bool) -> OptionDef {
    OptionDef {
        name,
        code,
        data_type,
        array,
    }
}

use DataType::{
    Binary, Boolean, ClasslessRoutes, Empty, Fqdn, Int16, Int32, Int8, Ipv4Address, Ipv6Address,
    Record, Tuple, Uint16, Uint32, Uint8,
};

/// Standard DHCPv4 options with Kea's names (space `dhcp4`).
pub const DHCP4_OPTION_DEFS: &[OptionDef] = &[
    def("subnet-mask", 1, Ipv4Address, false),
    def("time-offset", 2, Int32, false),
    def("routers", 3, Ipv4Address, true),
    def("time-servers", 4, Ipv4Address, true),
    def("name-servers", 5, Ipv4Address, true),
    def("domain-name-servers", 6, Ipv4Address, true),
    def("log-servers", 7, Ipv4Address, true),
    def("cookie-servers", 8, Ipv4Address, true),
    def("lpr-servers", 9, Ipv4Address, true),
    def("impress-servers", 10, Ipv4Address, true),
    def("resource-location-servers", 11, Ipv4Address, true),
    def("host-name", 12, DataType::String, false),
    def("boot-size", 13, Uint16, false),
    def("merit-dump", 14, DataType::String, false),
    def("domain-name", 15, DataType::String, false),
    def("swap-server", 16, Ipv4Address, false),
    def("root-path", 17, DataType::String, false),
    def("extensions-path", 18, DataType::String, false),
    def("ip-forwarding", 19, Boolean, false),
    def("non-local-source-routing", 20, Boolean, false),
    def("policy-filter", 21, Ipv4Address, true),
    def("max-dgram-reassembly", 22, Uint16, false),
    def("default-ip-ttl", 23, Uint8, false),
    def("path-mtu-aging-timeout", 24, Uint32, false),
    def("path-mtu-plateau-table", 25, Uint16, true),
    def("interface-mtu", 26, Uint16, false),
    def("all-subnets-local", 27, Boolean, false),
    def("broadcast-address", 28, Ipv4Address, false),
    def("perform-mask-discovery", 29, Boolean, false),
    def("mask-supplier", 30, Boolean, false),
    def("router-discovery", 31, Boolean, false),
    def("router-solicitation-address", 32, Ipv4Address, false),
    def("static-routes", 33, Ipv4Address, true),
    def("trailer-encapsulation", 34, Boolean, false),
    def("arp-cache-timeout", 35, Uint32, false),
    def("ieee802-3-encapsulation", 36, Boolean, false),
    def("default-tcp-ttl", 37, Uint8, false),
    def("tcp-keepalive-interval", 38, Uint32, false),
    def("tcp-keepalive-garbage", 39, Boolean, false),
    def("nis-domain", 40, DataType::String, false),
    def("nis-servers", 41, Ipv4Address, true),
    def("ntp-servers", 42, Ipv4Address, true),
    def("vendor-encapsulated-options", 43, Empty, false),
    def("netbios-name-servers", 44, Ipv4Address, true),
    def("netbios-dd-server", 45, Ipv4Address, true),
    def("netbios-node-type", 46, Uint8, false),
    def("netbios-scope", 47, DataType::String, false),
    def("font-servers", 48, Ipv4Address, true),
    def("x-display-manager", 49, Ipv4Address, true),
    def("dhcp-requested-address", 50, Ipv4Address, false),
    def("dhcp-lease-time", 51, Uint32, false),
    def("dhcp-option-overload", 52, Uint8, false),
    def("dhcp-message-type", 53, Uint8, false),
    def("dhcp-server-identifier", 54, Ipv4Address, false),
    def("dhcp-parameter-request-list", 55, Uint8, true),
    def("dhcp-message", 56, DataType::String, false),
    def("dhcp-max-message-size", 57, Uint16, false),
    def("dhcp-renewal-time", 58, Uint32, false),
    def("dhcp-rebinding-time", 59, Uint32, false),
    def("vendor-class-identifier", 60, DataType::String, false),
    def("dhcp-client-identifier", 61, Binary, false),
    def("nwip-domain-name", 62, DataType::String, false),
    def("nwip-suboptions", 63, Binary, false),
    def("nisplus-domain-name", 64, DataType::String, false),
    def("nisplus-servers", 65, Ipv4Address, true),
    def("tftp-server-name", 66, DataType::String, false),
    def("boot-file-name", 67, DataType::String, false),
    def("mobile-ip-home-agent", 68, Ipv4Address, true),
    def("smtp-server", 69, Ipv4Address, true),
    def("pop-server", 70, Ipv4Address, true),
    def("nntp-server", 71, Ipv4Address, true),
    def("www-server", 72, Ipv4Address, true),
    def("finger-server", 73, Ipv4Address, true),
    def("irc-server", 74, Ipv4Address, true),
    def("streettalk-server", 75, Ipv4Address, true),
    def(
        "streettalk-directory-assistance-server",
        76,
        Ipv4Address,
        true,
    ),
    def("user-class", 77, Binary, false),
    def(
        "slp-directory-agent",
        78,
        Record(&[Boolean, Ipv4Address]),
        true,
    ),
    def(
        "slp-service-scope",
        79,
        Record(&[Boolean, DataType::String]),
        false,
    ),
    def("fqdn", 81, Record(&[Uint8, Uint8, Uint8, Fqdn]), false),
    def("dhcp-agent-options", 82, Empty, false),
    def("nds-servers", 85, Ipv4Address, true),
    def("nds-tree-name", 86, DataType::String, false),
    def("nds-context", 87, DataType::String, false),
    def("bcms-controller-names", 88, Fqdn, true),
    def("bcms-controller-address", 89, Ipv4Address, true),
    def("authenticate", 90, Binary, false),
    def("client-last-transaction-time", 91, Uint32, false),
    def("associated-ip", 92, Ipv4Address, true),
    def("client-system", 93, Uint16, true),
    def("client-ndi", 94, Record(&[Uint8, Uint8, Uint8]), false),
    def("uuid-guid", 97, Record(&[Uint8, Binary]), false),
    def("uap-servers", 98, DataType::String, false),
    def("geoconf-civic", 99, Binary, false),
    def("pcode", 100, DataType::String, false),
    def("tcode", 101, DataType::String, false),
    def("v6-only-preferred", 108, Uint32, false),
    def("netinfo-server-address", 112, Ipv4Address, true),
    def("netinfo-server-tag", 113, DataType::String, false),
    def("v4-captive-portal", 114, DataType::String, false),
    def("auto-config", 116, Uint8, false),
    def("name-service-search", 117, Uint16, true),
    def("subnet-selection", 118, Ipv4Address, false),
    def("domain-search", 119, Fqdn, true),
    def("classless-static-route", 121, ClasslessRoutes, false),
    def("vivco-suboptions", 124, Record(&[Uint32, Binary]), false),
    def("vivso-suboptions", 125, Uint32, false),
    def("pana-agent", 136, Ipv4Address, true),
    def("v4-lost", 137, Fqdn, false),
    def("capwap-ac-v4", 138, Ipv4Address, true),
    def("sip-ua-cs-domains", 141, Fqdn, true),
    def(
        "rdnss-selection",
        146,
        Record(&[Uint8, Ipv4Address, Ipv4Address, Fqdn]),
        true,
    ),
    def(
        "v4-portparams",
        159,
        Record(&[Uint8, DataType::Psid]),
        false,
    ),
    def(
        "option-6rd",
        212,
        Record(&[Uint8, Uint8, Ipv6Address, Ipv4Address]),
        true,
    ),
    def("v4-access-domain", 213, Fqdn, false),
];

/// The definition named `name` in space `dhcp4`.
pub fn by_name(name: &str) -> Option<&'static OptionDef> {
    DHCP4_OPTION_DEFS.iter().find(|d| d.name == name)
}

/// The definition of option `code` in space `dhcp4`.
pub fn by_code(code: u8) -> Option<&'static OptionDef> {
    DHCP4_OPTION_DEFS.iter().find(|d| d.code == code)
}

/// Kea's standard definitions of DHCPv4 sub-option spaces: DOCSIS 3
/// (CableLabs, space `docsis3-v4`, which is also vendor 4491's
/// `vendor-4491`): (space, name, code, type, array).
pub const DHCP4_SUB_DEFS: &[(&str, &str, u8, DataType, bool)] = &[
    ("docsis3-v4", "oro", 1, Uint8, true),
    ("docsis3-v4", "tftp-servers", 2, Ipv4Address, true),
];

/// Kea's space of the sub-options of option 43 (its standard definition
/// encapsulates it).
pub const VENDOR_ENCAPSULATED_SPACE: &str = "vendor-encapsulated-options-space";

/// Kea's space of the sub-options of option 82 (relay agent information).
pub const AGENT_OPTIONS_SPACE: &str = "dhcp-agent-options-space";

/// The space a standard DHCPv4 option carries as sub-options, if any.
pub fn encapsulated_space(code: u8) -> Option<&'static str> {
    match code {
        43 => Some(VENDOR_ENCAPSULATED_SPACE),
        82 => Some(AGENT_OPTIONS_SPACE),
        _ => None,
    }
}

/// Why an option code may not appear in `option-data`, if it may not.
///
/// Only PAD and END: like Kea 2.2, every other option may be configured,
/// including those the server also derives itself. The engine then does
/// what Kea does with them: a configured `dhcp-server-identifier` (54) is
/// the reply's server identifier; the message type (53), the lease time
/// (51) and T1/T2 (58, 59) the server computed, the client identifier it
/// echoes (61) and the relay's option 82 win over configured ones; the
/// others (50, 52, 55, 57, ...) are sent as configured when the client
/// asks for them.
pub fn reserved_reason(code: u8) -> Option<&'static str> {
    match code {
        0 => Some("option code 0 is reserved for PAD"),
        255 => Some("option code 255 is reserved for END"),
        _ => None,
    }
}

/// Encodes `data` for an option with definition `def` (or none).
///
/// With `csv` (Kea's `csv-format`, default true) the data is
/// comma-separated values in the definition's format; without it, the data
/// is hex (`"0A0B"`, `"0a:0b"`, `"0x0a 0b"`), whatever the definition.
pub fn encode(def: Option<&OptionDef>, data: &str, csv: bool) -> Result<Vec<u8>, String> {
    encode_as(def.map(|d| (d.data_type, d.array)), data, csv)
}

/// The encoder shared by the DHCPv4 and DHCPv6 tables: `def` is the
/// option's format and whether it is an array (`None`: no definition).
pub fn encode_as(def: Option<(DataType, bool)>, data: &str, csv: bool) -> Result<Vec<u8>, String> {
    let def = def.map(|(t, array)| match t {
        Record(fields) => (Format::Record(fields), array),
        t => (Format::One(t), array),
    });
    encode_format(def, data, csv)
}

/// The encoder of every definition, standard or `option-def`: `def` is
/// the option's format and whether it is an array (`None`: no
/// definition, the data must be hex).
pub fn encode_format(
    def: Option<(Format<'_>, bool)>,
    data: &str,
    csv: bool,
) -> Result<Vec<u8>, String> {
    if !csv {
        return decode_hex(data);
    }
    let Some((format, array)) = def else {
        return Err(
            "no definition for this option code: give `\"csv-format\": false` and the \
             data as hex"
                .to_string(),
        );
    };
    let mut out = Vec::new();
    let data_type = match format {
        Format::Record(fields) => {
            encode_record(fields, array, data, &mut out)?;
            return Ok(out);
        }
        Format::One(t) => t,
    };
    match data_type {
        Empty => {
            if !data.trim().is_empty() {
                return Err("this option carries no data: expected `\"data\": \"\"`".into());
            }
        }
        ClasslessRoutes => encode_classless_routes(data, &mut out)?,
        Binary => out = decode_hex(data)?,
        Record(fields) => encode_record(fields, array, data, &mut out)?,
        t => {
            let values = split_csv(data);
            if values.iter().all(|v| v.is_empty()) {
                // Kea's `optionFactory`: an array may have no element
                // (e.g. an empty `dhcp4o6-server-addr`, which tells the
                // client to multicast); a single value is required.
                if array {
                    return Ok(out);
                }
                return Err(format!("empty data: expected {}", expected(t, array)));
            }
            // Kea's `optionFactory`: a single value takes the first one;
            // the others are ignored (no error), so the bytes are Kea's.
            let values = if array { &values[..] } else { &values[..1] };
            for v in values {
                encode_value(t, v, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// A record's comma-separated values, one per field (with `array`, the
/// last field takes the remaining values; without, values beyond the
/// fields are ignored, as Kea's `optionFactory` does).
fn encode_record(
    fields: &[DataType],
    array: bool,
    data: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let values = split_csv(data);
    let (last, fixed) = fields.split_last().ok_or("empty record")?;
    if values.len() < fields.len() {
        return Err(format!(
            "expected {} comma-separated fields ({}), got {}",
            fields.len(),
            fields
                .iter()
                .map(DataType::name)
                .collect::<Vec<_>>()
                .join(", "),
            values.len()
        ));
    }
    for (t, v) in fixed.iter().zip(&values) {
        encode_value(*t, v, out)?;
    }
    let rest = if array {
        &values[fixed.len()..]
    } else {
        &values[fixed.len()..fields.len()]
    };
    for v in rest {
        encode_value(*last, v, out)?;
    }
    Ok(())
}

fn expected(t: DataType, array: bool) -> String {
    if array {
        format!("a comma-separated list of {} values", t.name())
    } else {
        format!("one {} value", t.name())
    }
}

/// Splits Kea CSV data on commas (a `\,` is a literal comma) and trims
/// every value.
fn split_csv(data: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut cur = String::new();
    let mut chars = data.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => values.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    values.push(cur.trim().to_string());
    values
}

fn encode_value(t: DataType, v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    match t {
        Boolean => out.push(match v.to_ascii_lowercase().as_str() {
            "true" | "1" => 1,
            "false" | "0" => 0,
            _ => return Err(format!("`{v}` is not a boolean: expected true or false")),
        }),
        Uint8 => out.push(int(v, t, 0, u8::MAX.into())? as u8),
        Uint16 => out.extend((int(v, t, 0, u16::MAX.into())? as u16).to_be_bytes()),
        Uint32 => out.extend((int(v, t, 0, u32::MAX.into())? as u32).to_be_bytes()),
        Int8 => out.extend((int(v, t, i8::MIN.into(), i8::MAX.into())? as i8).to_be_bytes()),
        Int16 => out.extend((int(v, t, i16::MIN.into(), i16::MAX.into())? as i16).to_be_bytes()),
        Int32 => out.extend((int(v, t, i32::MIN.into(), i32::MAX.into())? as i32).to_be_bytes()),
        Ipv4Address => out.extend(ipv4(v)?.octets()),
        Ipv6Address => out.extend(
            v.parse::<std::net::Ipv6Addr>()
                .map_err(|_| format!("`{v}` is not an IPv6 address: expected e.g. 2001:db8::1"))?
                .octets(),
        ),
        Tuple => {
            let len =
                u16::try_from(v.len()).map_err(|_| format!("`{v}` is longer than 65535 octets"))?;
            out.extend(len.to_be_bytes());
            out.extend(v.as_bytes());
        }
        DataType::TupleV4 => {
            let len =
                u8::try_from(v.len()).map_err(|_| format!("`{v}` is longer than 255 octets"))?;
            out.push(len);
            out.extend(v.as_bytes());
        }
        DataType::Ipv6Prefix => encode_ipv6_prefix(v, out)?,
        DataType::Psid => encode_psid(v, out)?,
        DataType::String => {
            if v.is_empty() {
                return Err("empty string: expected some text".into());
            }
            out.extend(v.as_bytes());
        }
        Fqdn => encode_fqdn(v, out)?,
        Binary => out.extend(decode_hex(v)?),
        Empty | Record(_) | ClasslessRoutes => {
            return Err(format!("{} cannot be a record field", t.name()))
        }
    }
    Ok(())
}

/// `2001:db8::/48`: the length octet, then the significant octets of the
/// prefix with the bits past the length cleared (as Kea writes it).
fn encode_ipv6_prefix(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("`{v}` is not an IPv6 prefix: expected e.g. 2001:db8::/48");
    let (addr, len) = v.split_once('/').ok_or_else(bad)?;
    let addr: std::net::Ipv6Addr = addr.trim().parse().map_err(|_| bad())?;
    let len: u8 = len.trim().parse().map_err(|_| bad())?;
    if len > 128 {
        return Err(format!("`{v}`: a prefix length is at most 128"));
    }
    let masked = if len == 0 {
        0
    } else {
        u128::from(addr) & (u128::MAX << (128 - u32::from(len)))
    };
    out.push(len);
    out.extend(&masked.to_be_bytes()[..usize::from(len.div_ceil(8))]);
    Ok(())
}

/// `psid/length` (RFC 7597 §5.1): the length octet (0..=16), then the
/// PSID left-aligned in 16 bits (0 when the length is 0, as Kea writes it).
fn encode_psid(v: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let bad = || format!("`{v}` is not a PSID: expected `psid/length`, e.g. 3/4");
    let (psid, len) = v.split_once('/').ok_or_else(bad)?;
    let psid: u16 = psid.trim().parse().map_err(|_| bad())?;
    let len: u8 = len.trim().parse().map_err(|_| bad())?;
    if len > 16 {
        return Err(format!("`{v}`: a PSID length is at most 16"));
    }
    if len > 0 && len < 16 && psid >= 1 << len {
        return Err(format!("`{v}`: PSID {psid} does not fit in {len} bits"));
    }
    out.push(len);
    let wire = if len == 0 { 0 } else { psid << (16 - len) };
    out.extend(wire.to_be_bytes());
    Ok(())
}

fn ipv4(v: &str) -> Result<Ipv4Addr, String> {
    v.parse()
        .map_err(|_| format!("`{v}` is not an IPv4 address: expected e.g. 192.0.2.1"))
}

/// A decimal (or `0x` hex) integer within `min..=max`.
fn int(v: &str, t: DataType, min: i64, max: i64) -> Result<i64, String> {
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16),
        None => v.parse::<i64>(),
    };
    match parsed {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "`{v}` is out of range for {}: expected {min}..={max}",
            t.name()
        )),
        Err(_) => Err(format!(
            "`{v}` is not a {}: expected an integer in {min}..={max}",
            t.name()
        )),
    }
}

/// Encodes a domain name in uncompressed DNS wire format.
pub fn encode_fqdn(name: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() {
        return Err("empty domain name: expected e.g. example.org".into());
    }
    let start = out.len();
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "`{name}` is not a valid domain name: labels must be 1..=63 characters"
            ));
        }
        out.push(label.len() as u8);
        out.extend(label.as_bytes());
    }
    out.push(0);
    if out.len() - start > 255 {
        return Err(format!("`{name}` is longer than 255 octets"));
    }
    Ok(())
}

/// RFC 3442 routes: `"10.0.0.0/8 - 192.0.2.1, 0.0.0.0/0 - 192.0.2.254"`.
fn encode_classless_routes(data: &str, out: &mut Vec<u8>) -> Result<(), String> {
    const EXPECTED: &str = "expected routes like `10.0.0.0/8 - 192.0.2.1, 0.0.0.0/0 - 192.0.2.254`";
    for route in split_csv(data) {
        let (dest, router) = route
            .split_once(" - ")
            .ok_or_else(|| format!("`{route}`: {EXPECTED}"))?;
        let net: ipnet::Ipv4Net = dest
            .trim()
            .parse()
            .map_err(|_| format!("`{dest}` is not a prefix: {EXPECTED}"))?;
        if net.network() != net.addr() {
            return Err(format!("`{dest}` has host bits set"));
        }
        let len = net.prefix_len();
        out.push(len);
        out.extend(&net.addr().octets()[..usize::from(len.div_ceil(8))]);
        out.extend(ipv4(router.trim())?.octets());
    }
    Ok(())
}

/// Decodes Kea's hex notations: `"0A0B0C"`, `"0x0a0b0c"`, `"0a:0b:0c"`,
/// `"0a 0b 0c"` (in the separated forms a group may be one digit).
pub fn decode_hex(data: &str) -> Result<Vec<u8>, String> {
    let s = data.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let bad = || {
        format!("`{data}` is not hex data: expected e.g. \"0A0B0C\", \"0a:0b:0c\" or \"0x0a0b0c\"")
    };
    let byte = |g: &str| {
        if g.is_empty() || g.len() > 2 || !g.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        u8::from_str_radix(g, 16).map_err(|_| bad())
    };
    if s.contains(':') {
        return s.split(':').map(byte).collect();
    }
    if s.contains(char::is_whitespace) {
        return s.split_whitespace().map(byte).collect();
    }
    if !s.is_ascii() {
        return Err(bad());
    }
    // Continuous hex; an odd number of digits gets a leading zero, as Kea does.
    let padded;
    let s = if s.len() % 2 == 1 {
        padded = format!("0{s}");
        padded.as_str()
    } else {
        s
    };
    (0..s.len())
        .step_by(2)
        .map(|i| byte(&s[i..i + 2]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(name: &str, data: &str) -> Result<Vec<u8>, String> {
        encode(by_name(name), data, true)
    }

    #[test]
    fn table_is_consistent() {
        for (i, d) in DHCP4_OPTION_DEFS.iter().enumerate() {
            assert!(reserved_reason(d.code) != Some("") && d.code != 0 && d.code != 255);
            for e in &DHCP4_OPTION_DEFS[i + 1..] {
                assert_ne!(d.code, e.code, "{} / {}", d.name, e.name);
                assert_ne!(d.name, e.name);
            }
        }
        assert_eq!(by_code(6).unwrap().name, "domain-name-servers");
        assert_eq!(by_name("domain-search").unwrap().code, 119);
    }

    // RFC 2132 §3.5: routers, a list of addresses.
    #[test]
    fn rfc2132_3_5_routers_list() {
        assert_eq!(
            enc("routers", "192.0.2.1, 192.0.2.2").unwrap(),
            [192, 0, 2, 1, 192, 0, 2, 2]
        );
    }

    // RFC 2132 §3.8: domain name servers.
    #[test]
    fn rfc2132_3_8_domain_name_servers() {
        assert_eq!(
            enc("domain-name-servers", "192.0.2.53").unwrap(),
            [192, 0, 2, 53]
        );
    }

    // RFC 2132 §3.17: domain name is plain text, no terminating NUL.
    #[test]
    fn rfc2132_3_17_domain_name() {
        assert_eq!(enc("domain-name", "example.org").unwrap(), b"example.org");
    }

    #[test]
    fn hex_when_csv_format_false() {
        for s in ["0A0B", "0a:0b", "0x0a 0b", "0x0A0B", "a:b", "A0B", "0a 0b"] {
            assert_eq!(
                encode(by_name("routers"), s, false).unwrap(),
                [10, 11],
                "{s}"
            );
        }
        assert_eq!(encode(None, "", false).unwrap(), Vec::<u8>::new());
        assert!(encode(None, "0g", false).is_err());
        assert!(encode(None, "0a::0b", false).is_err());
        assert!(encode(None, "+a", false).is_err());
        assert!(encode(None, "+a:0b", false).is_err());
    }

    // RFC 2132 §9.2: IP address lease time, 32-bit unsigned.
    #[test]
    fn rfc2132_9_2_uint32() {
        assert_eq!(enc("dhcp-lease-time", "3600").unwrap(), [0, 0, 0x0e, 0x10]);
        assert_eq!(enc("dhcp-lease-time", "0x10").unwrap(), [0, 0, 0, 16]);
        assert!(enc("dhcp-lease-time", "-1").is_err());
        assert!(enc("dhcp-lease-time", "4294967296").is_err());
        assert_eq!(enc("interface-mtu", "1500").unwrap(), [0x05, 0xdc]);
        assert_eq!(enc("default-ip-ttl", "64").unwrap(), [64]);
        assert!(enc("default-ip-ttl", "256").is_err());
        assert_eq!(enc("time-offset", "-1").unwrap(), [0xff; 4]);
    }

    // RFC 2132 §4.1: IP forwarding, a boolean octet.
    #[test]
    fn rfc2132_4_1_boolean() {
        assert_eq!(enc("ip-forwarding", "true").unwrap(), [1]);
        assert_eq!(enc("ip-forwarding", "false").unwrap(), [0]);
        assert_eq!(enc("ip-forwarding", "1").unwrap(), [1]);
        assert!(enc("ip-forwarding", "yes").is_err());
    }

    // RFC 3397 §2: domain search list, uncompressed names are valid.
    #[test]
    fn rfc3397_domain_search() {
        assert_eq!(
            enc("domain-search", "example.org, a.b.").unwrap(),
            b"\x07example\x03org\x00\x01a\x01b\x00"
        );
        assert!(enc("domain-search", "a..b").is_err());
    }

    // RFC 3442: classless static routes.
    #[test]
    fn rfc3442_classless_routes() {
        assert_eq!(
            enc(
                "classless-static-route",
                "10.0.0.0/8 - 192.0.2.1, 0.0.0.0/0 - 192.0.2.254, 10.17.0.0/16 - 10.0.0.1"
            )
            .unwrap(),
            [8, 10, 192, 0, 2, 1, 0, 192, 0, 2, 254, 16, 10, 17, 10, 0, 0, 1]
        );
        assert!(enc("classless-static-route", "10.0.0.1/8 - 192.0.2.1").is_err());
    }

    #[test]
    fn strings_and_escaped_commas() {
        assert_eq!(
            enc("v4-captive-portal", "https://x/").unwrap(),
            b"https://x/"
        );
        assert_eq!(enc("host-name", "a\\,b").unwrap(), b"a,b");
        // Kea 2.2 keeps the first value and ignores the others.
        assert_eq!(enc("host-name", "a,b").unwrap(), b"a");
        // A single value is required; an array may be empty (both as
        // Kea 2.2's `kea-dhcp4 -t` says).
        assert!(enc("host-name", "").is_err());
        assert_eq!(enc("routers", "").unwrap(), Vec::<u8>::new());
        assert!(enc("routers", "192.0.2.300").is_err());
        assert_eq!(
            enc("subnet-mask", "255.255.255.0, 255.0.0.0").unwrap(),
            [255, 255, 255, 0]
        );
    }

    #[test]
    fn records() {
        assert_eq!(enc("client-ndi", "1, 2, 3").unwrap(), [1, 2, 3]);
        assert!(enc("client-ndi", "1, 2").is_err());
        // Kea 2.2 ignores values beyond a record's fields.
        assert_eq!(enc("client-ndi", "1, 2, 3, 4").unwrap(), [1, 2, 3]);
        assert_eq!(
            enc("slp-directory-agent", "true, 192.0.2.1, 192.0.2.2").unwrap(),
            [1, 192, 0, 2, 1, 192, 0, 2, 2]
        );
        assert_eq!(
            enc("vivco-suboptions", "4491, 0a0b").unwrap(),
            [0, 0, 0x11, 0x8b, 10, 11]
        );
    }

    #[test]
    fn binary_in_csv_mode_is_hex() {
        // Kea 2.2: option 82 is `empty` too (its content is sub-options
        // of space dhcp-agent-options-space).
        assert!(enc("dhcp-agent-options", "01:02:aa").is_err());
        assert!(enc("dhcp-agent-options", "").unwrap().is_empty());
        assert_eq!(encapsulated_space(82), Some(AGENT_OPTIONS_SPACE));
        assert_eq!(
            enc("fqdn", "0, 255, 255, a.example").unwrap(),
            b"\x00\xff\xff\x01a\x07example\x00"
        );
        // Kea: option 43 is `empty` (its content is sub-options); raw
        // bytes need `csv-format: false`.
        assert!(enc("vendor-encapsulated-options", "01:02:aa").is_err());
        assert!(enc("vendor-encapsulated-options", "").unwrap().is_empty());
        assert_eq!(
            encode(by_name("vendor-encapsulated-options"), "0102", false).unwrap(),
            [1, 2]
        );
    }

    fn kea(t: &str, array: bool, data: &str) -> Result<Vec<u8>, String> {
        let t = DataType::from_kea(t, true).unwrap();
        encode_format(Some((Format::One(t), array)), data, true)
    }

    fn hex(s: &str) -> Vec<u8> {
        decode_hex(s).unwrap()
    }

    // Expected bytes below are what Kea 2.2 (kea-dhcp4 on loopback) sends
    // for option-def entries of these types with the same data.
    #[test]
    fn kea_custom_types() {
        assert_eq!(
            kea("ipv6-prefix", false, "2001:db8::1/33").unwrap(),
            hex("2120010db800")
        );
        // Host bits of the last octet are cleared.
        assert_eq!(
            kea("ipv6-prefix", false, "2001:db8:ffff::/33").unwrap(),
            hex("2120010db880")
        );
        assert_eq!(
            kea("ipv6-prefix", true, "2001:db8::/0, 2001:db8::/128").unwrap(),
            hex("008020010db8000000000000000000000000")
        );
        assert!(kea("ipv6-prefix", false, "2001:db8::").is_err());
        assert!(kea("ipv6-prefix", false, "2001:db8::/129").is_err());
        assert_eq!(kea("psid", false, "3/4").unwrap(), hex("043000"));
        assert_eq!(kea("psid", false, "0/0").unwrap(), hex("000000"));
        assert_eq!(kea("psid", false, "1/16").unwrap(), hex("100001"));
        assert!(kea("psid", false, "3/1").is_err());
        assert!(kea("psid", false, "3/17").is_err());
        assert!(kea("psid", false, "3").is_err());
        // A DHCPv4 tuple has a one-octet length; an empty one is allowed.
        assert_eq!(kea("tuple", false, "abc").unwrap(), hex("03616263"));
        assert_eq!(kea("tuple", true, "ab, , c").unwrap(), hex("026162000163"));
        assert_eq!(
            encode_format(
                Some((
                    Format::One(DataType::from_kea("tuple", false).unwrap()),
                    false
                )),
                "abc",
                true
            )
            .unwrap(),
            hex("0003616263")
        );
        // Case is kept in domain names.
        assert_eq!(
            kea("fqdn", true, "Example.ORG., b.c").unwrap(),
            hex("074578616d706c65034f5247000162016300")
        );
        assert!(kea("fqdn", false, ".").is_err());
        assert_eq!(
            kea("int16", true, "-2, 0x10, 300").unwrap(),
            hex("fffe0010012c")
        );
        assert_eq!(kea("boolean", true, "true,false,1").unwrap(), hex("010001"));
        // Strings are trimmed, inner spaces kept.
        assert_eq!(kea("string", false, " x y ").unwrap(), hex("782079"));
        assert!(kea("int8", false, "-129").is_err());
        assert!(kea("uint8", false, "256").is_err());
        assert!(kea("empty", false, "abc").is_err());
        assert_eq!(kea("uint8", true, "").unwrap(), Vec::<u8>::new());
        assert!(kea("uint8", false, "").is_err());
        assert_eq!(DataType::from_kea("record", true), None);
        assert_eq!(DataType::from_kea("internal", true), None);
    }

    // RFC 6731, RFC 7618, RFC 5969; bytes from Kea 2.2.
    #[test]
    fn rdnss_selection_portparams_6rd() {
        assert_eq!(
            enc(
                "rdnss-selection",
                "1, 192.0.2.1, 192.0.2.2, a.example, b.example"
            )
            .unwrap(),
            hex("01c0000201c00002020161076578616d706c65000162076578616d706c6500")
        );
        assert_eq!(enc("v4-portparams", "6, 52/6").unwrap(), hex("0606d000"));
        assert_eq!(
            enc("option-6rd", "0, 32, 2001:db8::, 192.0.2.1, 192.0.2.2").unwrap(),
            hex("002020010db8000000000000000000000000c0000201c0000202")
        );
    }

    #[test]
    fn kea_custom_records() {
        let rec = |fields: &[&str], array: bool, data: &str| {
            let f: Vec<DataType> = fields
                .iter()
                .map(|t| DataType::from_kea(t, true).unwrap())
                .collect();
            encode_format(Some((Format::Record(&f), array)), data, true)
        };
        assert_eq!(
            rec(
                &["uint8", "ipv4-address", "string"],
                false,
                "7, 192.0.2.1, hi there"
            )
            .unwrap(),
            hex("07c00002016869207468657265")
        );
        assert_eq!(
            rec(&["uint16", "binary"], false, "5, 0a0b").unwrap(),
            hex("00050a0b")
        );
        assert!(rec(&["uint8", "uint16"], false, "1").is_err());
        assert_eq!(
            rec(&["uint8", "uint16"], true, "1, 2, 3").unwrap(),
            hex("01 00 02 00 03")
        );
    }

    #[test]
    fn no_definition_needs_hex() {
        assert!(encode(None, "abc", true).is_err());
        assert_eq!(encode(None, "abc", false).unwrap(), [0x0a, 0xbc]);
    }
}
