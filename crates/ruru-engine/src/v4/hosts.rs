//! Reservations from host databases (Kea's `hosts-database(s)`): the
//! stores the engine asks after the configuration's own reservations
//! ([`HostSources`], shared with DHCPv6: see `crate::v6::hosts`), the
//! mapping between a `hosts` row ([`ruru_lease::Host4`]) and a
//! [`Reservation4`], and the `option_data` list both families use.
//!
//! Nothing is cached: each packet asks the databases, so a row written by
//! an inventory system applies to the next packet. With no host database
//! configured, [`HostSources`] is empty and every lookup returns at once.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv4Addr;
use std::sync::Arc;

use ruru_config::options::CustomOptionDef;
use ruru_config::{HostId, HostIdType, OptionData, Reservation4, Subnet4};
use ruru_lease::{Host4, HostStore, IdType};
use serde_json::Value;
use tracing::warn;

/// The host databases, in lookup order (Kea: `hosts-databases` order), of
/// one family (`Dhcp4`'s or `Dhcp6`'s).
#[derive(Clone, Default)]
pub struct HostSources(pub Vec<Arc<dyn HostStore>>);

// A panic inside a lookup leaves nothing half-changed that a later packet
// could see: a store's state is its connections (a broken one is replaced)
// and the database, which commits or not. So the engine stays usable across
// `catch_unwind`, as with the lease store.
impl std::panic::RefUnwindSafe for HostSources {}
impl std::panic::UnwindSafe for HostSources {}

impl fmt::Debug for HostSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostSources({} databases)", self.0.len())
    }
}

impl HostSources {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client's reservation in subnet `subnet_id`: the first database
    /// with a host for one of `ids`, the best identifier of that database
    /// first. A row that makes no DHCPv4 reservation (a DUID identifier) is
    /// skipped.
    /// `defs`: the section's `option-def`, to read options stored in text
    /// form.
    pub fn get4(
        &self,
        subnet_id: u32,
        ids: &[HostId],
        defs: &[CustomOptionDef],
    ) -> Option<Reservation4> {
        if ids.is_empty() {
            return None;
        }
        let keys: Vec<(IdType, &[u8])> = ids.iter().map(id_key).collect();
        self.0.iter().find_map(|db| {
            db.get4(subnet_id, &keys)
                .and_then(|h| reservation_of(&h, defs))
        })
    }

    /// Whether a database reserves `addr` in subnet `subnet_id` for another
    /// client than the one holding `own`.
    pub fn reserved_for_other(
        &self,
        subnet_id: u32,
        addr: Ipv4Addr,
        own: Option<&Reservation4>,
    ) -> bool {
        self.0.iter().any(|db| {
            db.get4_by_address(subnet_id, addr).is_some_and(|h| {
                !own.is_some_and(|o| id_of(h.id_type, &h.identifier).as_ref() == Some(&o.id))
            })
        })
    }
}

/// A global reservation as it applies in `subnet`: its address only when
/// inside the subnet (elsewhere only its hostname, options, boot fields
/// and classes apply).
pub fn usable_global<'a>(subnet: &Subnet4, h: Cow<'a, Reservation4>) -> Cow<'a, Reservation4> {
    without_address_if(h, |a| !subnet.contains(a))
}

/// A subnet reservation as it applies: with `reservations-out-of-pool`,
/// an address inside a pool is not given (Kea: such addresses are
/// dynamic, any client may get them).
pub fn usable_in_subnet<'a>(subnet: &Subnet4, h: Cow<'a, Reservation4>) -> Cow<'a, Reservation4> {
    without_address_if(h, |a| {
        subnet.host_modes.out_of_pool && subnet.pool_of(a).is_some()
    })
}

fn without_address_if<'a>(
    h: Cow<'a, Reservation4>,
    drop: impl Fn(Ipv4Addr) -> bool,
) -> Cow<'a, Reservation4> {
    match h.ip_address {
        Some(a) if drop(a) => {
            let mut r = h.into_owned();
            r.ip_address = None;
            Cow::Owned(r)
        }
        _ => h,
    }
}

/// Whether the reservations of `subnet` must be checked before `addr`
/// goes to a client (Kea's `addressReserved`): only with
/// `reservations-in-subnet`, and, with `reservations-out-of-pool`, only
/// for addresses outside the pools. Global reservations never keep an
/// address from other clients.
pub fn checks_reservations(subnet: &Subnet4, addr: Ipv4Addr) -> bool {
    let m = subnet.host_modes;
    m.in_subnet && !(m.out_of_pool && subnet.pool_of(addr).is_some())
}

/// The `hosts` key of a configuration identifier.
pub fn id_key(id: &HostId) -> (IdType, &[u8]) {
    match id {
        HostId::HwAddress(b) => (IdType::HwAddress, b),
        HostId::ClientId(b) => (IdType::ClientId, b),
        HostId::CircuitId(b) => (IdType::CircuitId, b),
        HostId::Flex(b) => (IdType::Flex, b),
        HostId::Duid(b) => (IdType::Duid, b),
    }
}

/// The database identifier type of a configuration identifier type.
pub fn id_type_of(t: HostIdType) -> IdType {
    match t {
        HostIdType::HwAddress => IdType::HwAddress,
        HostIdType::Duid => IdType::Duid,
        HostIdType::CircuitId => IdType::CircuitId,
        HostIdType::ClientId => IdType::ClientId,
        HostIdType::Flex => IdType::Flex,
    }
}

/// The configuration identifier of a row's (a DUID row matches an RFC
/// 4361 client identifier).
pub fn id_of(t: IdType, b: &[u8]) -> Option<HostId> {
    let b = b.to_vec();
    match t {
        IdType::HwAddress => Some(HostId::HwAddress(b)),
        IdType::ClientId => Some(HostId::ClientId(b)),
        IdType::CircuitId => Some(HostId::CircuitId(b)),
        IdType::Flex => Some(HostId::Flex(b)),
        IdType::Duid => Some(HostId::Duid(b)),
    }
}

/// The reservation of a `hosts` row. Options that cannot be decoded are
/// logged and left out (the address still applies).
pub fn reservation_of(h: &Host4, defs: &[CustomOptionDef]) -> Option<Reservation4> {
    let id = id_of(h.id_type, &h.identifier)?;
    let options = match options_of(&h.option_data, defs) {
        Ok(o) => o,
        Err(e) => {
            warn!(host_id = h.host_id, subnet = h.subnet_id, error = %e, "hosts database: option_data ignored");
            Vec::new()
        }
    };
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(Reservation4 {
        id,
        ip_address: h.ipv4_address,
        hostname: text(&h.hostname),
        options,
        next_server: h.next_server,
        server_hostname: text(&h.server_hostname),
        boot_file_name: text(&h.boot_file_name),
        client_classes: classes_of(&h.client_classes),
    })
}

/// Kea's comma-separated `dhcp4_client_classes` / `dhcp6_client_classes`
/// as a list (trimmed, empty names left out, each once).
pub fn classes_of(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    out
}

/// The `hosts` row of a reservation in subnet `subnet_id`.
pub fn host_of(subnet_id: u32, r: &Reservation4) -> Host4 {
    let (t, b) = id_key(&r.id);
    let mut h = Host4::new(t, b.to_vec(), subnet_id);
    h.ipv4_address = r.ip_address;
    h.hostname = r.hostname.clone().unwrap_or_default();
    h.next_server = r.next_server;
    h.server_hostname = r.server_hostname.clone().unwrap_or_default();
    h.boot_file_name = r.boot_file_name.clone().unwrap_or_default();
    h.client_classes = r.client_classes.join(",");
    h.option_data = options_text(
        r.options
            .iter()
            // never-send has no column in Kea's schema.
            .filter(|o| !o.never_send)
            .map(|o| (u16::from(o.code), &o.data[..], o.always_send, o.vendor)),
    );
    h
}

/// The `option_data` text of (code, data, always-send, vendor) options:
/// empty when there are none. A vendor's sub-option has `"space":
/// "vendor-N"`.
pub(crate) fn options_text<'a>(
    options: impl Iterator<Item = (u16, &'a [u8], bool, Option<u32>)>,
) -> String {
    let list: Vec<Value> = options
        .map(|(code, data, always_send, vendor)| {
            let mut o = serde_json::json!({
                "code": code,
                "data": crate::v4::hex(data).replace(':', ""),
                "always-send": always_send,
            });
            if let Some(n) = vendor {
                o["space"] = Value::String(format!("vendor-{n}"));
            }
            o
        })
        .collect();
    if list.is_empty() {
        String::new()
    } else {
        Value::Array(list).to_string()
    }
}

/// Decodes the `option_data` column: empty, or a JSON list of
/// `{"code": 1..254, "data": "hex", "always-send": bool, "space": "...",
/// "csv": "..."}` (`data` may separate octets with `:` or spaces;
/// `always-send` defaults to false; `space` to `dhcp4`). As Kea reads a
/// host's option rows: those of space `dhcp4` are options, those of a
/// `vendor-N` space sub-options of vendor N (sent in option 125), those
/// of other spaces are not sent; `csv` (Kea's `formatted_value`) is
/// encoded with the option's standard definition when it has one, else
/// with its definition among `defs` (the section's `option-def`), else
/// the binary `data` is used.
pub fn options_of(text: &str, defs: &[CustomOptionDef]) -> Result<Vec<OptionData>, String> {
    let list = option_list(text, "1 to 254", |c| {
        u8::try_from(c).ok().filter(|c| (1..=254).contains(c))
    })?;
    let mut out = Vec::new();
    for o in list {
        let def = match &o.vendor {
            Space::Top => ruru_config::options::by_code(o.code).map(|d| (d.data_type, d.array)),
            Space::Vendor(4491) => ruru_config::options::DHCP4_SUB_DEFS
                .iter()
                .find(|d| d.0 == "docsis3-v4" && d.2 == o.code)
                .map(|d| (d.3, d.4)),
            Space::Vendor(_) => None,
            Space::Other => continue,
        };
        let data = o.data(def, defs, "dhcp4", u16::from(o.code))?;
        out.push(OptionData {
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

/// The space of a host's option row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// The family's own space (`dhcp4`, `dhcp6`).
    Top,
    /// `vendor-N`.
    Vendor(u32),
    /// A custom space: not sent.
    Other,
}

/// One option row of a host.
pub(crate) struct Row<C> {
    pub code: C,
    pub bin: Vec<u8>,
    /// Kea's `formatted_value`, when not empty.
    pub csv: Option<String>,
    pub always_send: bool,
    pub vendor: Space,
}

impl<C: std::fmt::Display> Row<C> {
    /// The option's payload: `csv` encoded with `def` (its standard
    /// definition) or else with its definition among `custom` (the
    /// section's `option-def`; `top` is the family's space, `code` the
    /// option's), when it has one; else the binary value (Kea's
    /// `retrieveOption`, which looks at the standard definitions, then at
    /// the runtime ones).
    pub fn data(
        &self,
        def: Option<(ruru_config::options::DataType, bool)>,
        custom: &[CustomOptionDef],
        top: &str,
        code: u16,
    ) -> Result<Vec<u8>, String> {
        let Some(csv) = &self.csv else {
            return Ok(self.bin.clone());
        };
        let fail = |e: String| format!("option {}: formatted_value `{csv}`: {e}", self.code);
        if let Some(def) = def {
            return ruru_config::options::encode_as(Some(def), csv, true).map_err(fail);
        }
        let space = match self.vendor {
            Space::Top => top.to_string(),
            Space::Vendor(n) => format!("vendor-{n}"),
            Space::Other => return Ok(self.bin.clone()),
        };
        match CustomOptionDef::find(custom, &space, code) {
            Some(d) => d.encode(csv).map_err(fail),
            None => Ok(self.bin.clone()),
        }
    }
}

/// An `option_data` list of rows; `code` accepts the codes of a family
/// (`what` says which, for errors); `top` is the family's space.
pub(crate) fn option_list<C>(
    text: &str,
    what: &str,
    code: impl Fn(u64) -> Option<C>,
) -> Result<Vec<Row<C>>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(list) = v else {
        return Err("expected a JSON list".into());
    };
    list.iter()
        .enumerate()
        .map(|(i, o)| {
            let code = o
                .get("code")
                .and_then(Value::as_u64)
                .and_then(&code)
                .ok_or_else(|| format!("[{i}]: `code` must be {what}"))?;
            let bin = match o.get("data") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => {
                    unhex(s).ok_or_else(|| format!("[{i}]: `data` is not hex"))?
                }
                Some(_) => return Err(format!("[{i}]: `data` must be a hex string")),
            };
            let always_send = match o.get("always-send") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(format!("[{i}]: `always-send` must be a boolean")),
            };
            let csv = match o.get("csv") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.trim().is_empty() => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err(format!("[{i}]: `csv` must be a string")),
            };
            let vendor = match o.get("space") {
                None | Some(Value::Null) => Space::Top,
                Some(Value::String(s)) if s == "dhcp4" || s == "dhcp6" => Space::Top,
                Some(Value::String(s)) => match s.strip_prefix("vendor-").map(str::parse::<u32>) {
                    Some(Ok(n)) => Space::Vendor(n),
                    _ => Space::Other,
                },
                Some(_) => return Err(format!("[{i}]: `space` must be a string")),
            };
            Ok(Row {
                code,
                bin,
                csv,
                always_send,
                vendor,
            })
        })
        .collect()
}

/// Hex text to bytes; `:` and blanks between octets are allowed.
fn unhex(s: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !matches!(b, b':' | b' ' | b'\t'))
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let text = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_decode() {
        let o = options_of(r#"[{"code": 6, "data": "c0:00:02:01", "always-send": true}, {"code": 15, "data": "6578"}]"#, &[])
            .unwrap_or_default();
        assert_eq!(
            o,
            vec![
                OptionData {
                    code: 6,
                    data: vec![192, 0, 2, 1],
                    always_send: true,
                    never_send: false,
                    vendor: None,
                },
                OptionData {
                    code: 15,
                    data: b"ex".to_vec(),
                    always_send: false,
                    never_send: false,
                    vendor: None,
                },
            ]
        );
        assert_eq!(options_of("", &[]), Ok(Vec::new()));
        assert!(options_of("{}", &[]).is_err());
        assert!(options_of(r#"[{"code": 0}]"#, &[]).is_err());
        assert!(options_of(r#"[{"code": 6, "data": "abc"}]"#, &[]).is_err());
        assert!(options_of(r#"[{"code": 6, "data": 5}]"#, &[]).is_err());
    }

    // The formatted_value of an option the configuration's `option-def`
    // defines (Kea's runtime definitions), in the top space and in a
    // vendor space; without a definition, the binary value.
    #[test]
    fn formatted_values_of_custom_definitions() {
        use ruru_config::options::DataType;
        let def = |space: &str, code, types: Vec<DataType>, record, array| CustomOptionDef {
            space: space.into(),
            name: format!("opt-{code}"),
            code,
            types,
            record,
            array,
        };
        let defs = [
            def("dhcp4", 222, vec![DataType::Uint16], false, true),
            def(
                "dhcp4",
                223,
                vec![DataType::Uint8, DataType::Ipv4Address, DataType::String],
                true,
                false,
            ),
            def("vendor-2312", 1, vec![DataType::Ipv4Address], false, false),
        ];
        let o = options_of(
            r#"[{"code": 222, "data": "", "csv": "1, 2, 513"},
                {"code": 223, "data": "", "csv": "7, 192.0.2.9, ab"},
                {"code": 1, "data": "", "space": "vendor-2312", "csv": "198.51.100.1"},
                {"code": 224, "data": "0102", "csv": "9"}]"#,
            &defs,
        )
        .unwrap_or_default();
        let got: Vec<(u8, Vec<u8>, Option<u32>)> =
            o.into_iter().map(|o| (o.code, o.data, o.vendor)).collect();
        assert_eq!(
            got,
            vec![
                (222, vec![0, 1, 0, 2, 2, 1], None),
                (223, vec![7, 192, 0, 2, 9, b'a', b'b'], None),
                (1, vec![198, 51, 100, 1], Some(2312)),
                (224, vec![1, 2], None),
            ]
        );
        // A value its definition cannot encode: the list is refused.
        assert!(options_of(r#"[{"code": 222, "csv": "70000"}]"#, &defs).is_err());
    }

    // Kea's reading of option rows: space, formatted_value (`csv`).
    #[test]
    fn option_spaces_and_formatted_values() {
        let o = options_of(
            r#"[{"code": 2, "data": "", "space": "vendor-4491", "csv": "192.0.2.1, 192.0.2.2"},
                {"code": 5, "data": "0a0b", "space": "vendor-4491", "always-send": true},
                {"code": 7, "data": "", "space": "vendor-1234", "csv": "abc"},
                {"code": 9, "data": "0d", "space": "foo-space"},
                {"code": 15, "data": "", "csv": "db.example", "space": "dhcp4"}]"#,
            &[],
        )
        .unwrap();
        let got: Vec<(u8, Vec<u8>, bool, Option<u32>)> = o
            .into_iter()
            .map(|o| (o.code, o.data, o.always_send, o.vendor))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, vec![192, 0, 2, 1, 192, 0, 2, 2], false, Some(4491)),
                (5, vec![10, 11], true, Some(4491)),
                // No definition: the binary value.
                (7, vec![], false, Some(1234)),
                (15, b"db.example".to_vec(), false, None),
            ]
        );
        assert!(options_of(r#"[{"code": 3, "csv": "192.0.2.300"}]"#, &[]).is_err());
        // Written back with their space.
        let r = Reservation4 {
            id: HostId::HwAddress(vec![2, 0, 0, 0, 0, 1]),
            ip_address: None,
            hostname: None,
            options: vec![OptionData {
                code: 2,
                data: vec![1],
                always_send: false,
                never_send: false,
                vendor: Some(4491),
            }],
            next_server: None,
            server_hostname: None,
            boot_file_name: None,
            client_classes: Vec::new(),
        };
        assert_eq!(
            host_of(1, &r).option_data,
            r#"[{"always-send":false,"code":2,"data":"01","space":"vendor-4491"}]"#
        );
    }

    #[test]
    fn rows_and_reservations_round_trip() {
        let r = Reservation4 {
            id: HostId::ClientId(vec![1, 2, 3]),
            ip_address: Some(Ipv4Addr::new(10, 0, 0, 5)),
            hostname: Some("h".into()),
            options: vec![OptionData {
                code: 42,
                data: vec![10, 0, 0, 1],
                always_send: false,
                never_send: false,
                vendor: None,
            }],
            next_server: None,
            server_hostname: None,
            boot_file_name: Some("f".into()),
            client_classes: Vec::new(),
        };
        let h = host_of(3, &r);
        assert_eq!((h.id_type, h.subnet_id), (IdType::ClientId, 3));
        let back = reservation_of(&h, &[]);
        assert_eq!(back.as_ref().map(|b| &b.id), Some(&r.id));
        assert_eq!(back.as_ref().map(|b| &b.options), Some(&r.options));
        assert_eq!(
            back.as_ref().and_then(|b| b.boot_file_name.clone()),
            Some("f".into())
        );
        let duid = Host4::new(IdType::Duid, vec![1], 3);
        assert_eq!(
            reservation_of(&duid, &[]).map(|r| r.id),
            Some(HostId::Duid(vec![1]))
        );
    }
}
