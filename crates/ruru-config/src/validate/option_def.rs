//! `option-def` lists: custom option definitions (name, code, space,
//! type, `record-types`, `array`, `encapsulate`), checked as Kea 2.2
//! checks them, and the lookup of a definition by space and name or code
//! that `option_data` uses: custom definitions (a class's, then the
//! section's) first, then the standard tables of `crate::options` and
//! `crate::options6`.

use super::V;
use crate::file;
use crate::options::{self, DataType, Format};
use crate::options6;

/// One definition, custom or standard, in an owned form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Def {
    pub name: String,
    pub code: u16,
    /// The data type, or the fields of a record.
    pub types: Vec<DataType>,
    pub record: bool,
    pub array: bool,
    /// The space whose options are this option's sub-options.
    pub encapsulate: Option<String>,
}

impl Def {
    /// The payload format for the encoder.
    pub fn format(&self) -> Format<'_> {
        if self.record {
            Format::Record(&self.types)
        } else {
            Format::One(self.types.first().copied().unwrap_or(DataType::Binary))
        }
    }

    fn standard(name: &str, code: u16, t: DataType, array: bool, encap: Option<&str>) -> Def {
        let (types, record) = match t {
            DataType::Record(f) => (f.to_vec(), true),
            t => (vec![t], false),
        };
        Def {
            name: name.to_string(),
            code,
            types,
            record,
            array,
            encapsulate: encap.map(str::to_string),
        }
    }
}

/// The custom definitions in force: `(space, definition)`.
#[derive(Debug, Clone, Default)]
pub(super) struct Defs {
    pub list: Vec<(String, Def)>,
}

impl Defs {
    /// The definitions as the model keeps them.
    pub fn public(&self) -> Vec<crate::options::CustomOptionDef> {
        self.list
            .iter()
            .map(|(space, d)| crate::options::CustomOptionDef {
                space: space.clone(),
                name: d.name.clone(),
                code: d.code,
                types: d.types.clone(),
                record: d.record,
                array: d.array,
            })
            .collect()
    }
}

/// The option names of class expressions (`option[name]`): Kea's
/// standard names, then the section's `option-def` names of the family's
/// standard space.
pub(super) struct DefNames<'a>(pub &'a [(String, Def)]);

impl ruru_classify::OptionNames for DefNames<'_> {
    fn option_code(&self, family: ruru_classify::Family, name: &str) -> Option<u16> {
        let top = top_space(family == ruru_classify::Family::V4);
        ruru_classify::std_option_code(family, name).or_else(|| {
            self.0
                .iter()
                .find(|(s, d)| s == top && d.name == name)
                .map(|(_, d)| d.code)
        })
    }
}

/// The family's standard space (`dhcp4` / `dhcp6`).
pub(super) fn top_space(v4: bool) -> &'static str {
    if v4 {
        "dhcp4"
    } else {
        "dhcp6"
    }
}

impl V {
    /// The definition named `name` in `space`: a class's custom ones
    /// first (`class`), the section's, then the standard table.
    pub(super) fn def_by_name(&self, v4: bool, space: &str, name: &str) -> Option<Def> {
        let custom = self
            .class_defs
            .iter()
            .chain(&self.option_defs.list)
            .find(|(s, d)| s == space && d.name == name)
            .map(|(_, d)| d.clone());
        custom.or_else(|| standard(v4, space, |n, _| n == name))
    }

    /// The definition of option `code` in `space` (see [`V::def_by_name`]).
    pub(super) fn def_by_code(&self, v4: bool, space: &str, code: u16) -> Option<Def> {
        let custom = self
            .class_defs
            .iter()
            .chain(&self.option_defs.list)
            .find(|(s, d)| s == space && d.code == code)
            .map(|(_, d)| d.clone());
        custom.or_else(|| standard(v4, space, |_, c| c == code))
    }

    /// Validates the `option-def` list at `path` (a section's or a
    /// class's); the definitions that are valid are returned.
    pub(super) fn option_defs(
        &mut self,
        v4: bool,
        path: &str,
        list: &Option<Vec<file::OptionDef>>,
    ) -> Vec<(String, Def)> {
        let mut out: Vec<(String, Def)> = Vec::new();
        for (i, d) in list.iter().flatten().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(def) = self.option_def(v4, &p, d) {
                if let Some((_, clash)) = out
                    .iter()
                    .find(|(s, e)| *s == def.0 && (e.name == def.1.name || e.code == def.1.code))
                {
                    let (what, key) = if clash.name == def.1.name {
                        (format!("name '{}'", def.1.name), "name")
                    } else {
                        (format!("code '{}'", def.1.code), "code")
                    };
                    self.err(
                        format!("{p}.{key}"),
                        format!(
                            "option definition with {what} already exists in option space '{}'",
                            def.0
                        ),
                    );
                    continue;
                }
                out.push(def);
            }
        }
        out
    }

    fn option_def(&mut self, v4: bool, p: &str, d: &file::OptionDef) -> Option<(String, Def)> {
        let top = top_space(v4);
        let mut missing = Vec::new();
        if d.name.is_none() {
            missing.push("name");
        }
        if d.code.is_none() {
            missing.push("code");
        }
        if d.data_type.is_none() {
            missing.push("type");
        }
        if !missing.is_empty() {
            self.err(
                p,
                format!(
                    "missing parameter {}: an option definition needs `name`, `code` and `type`",
                    missing
                        .iter()
                        .map(|m| format!("'{m}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        }
        let (name, code, ty) = (d.name.as_deref()?, d.code?, d.data_type.as_deref()?);
        let space = d.space.as_deref().unwrap_or(top);
        if !valid_name(name) {
            self.err(
                format!("{p}.name"),
                format!(
                    "invalid option name '{name}': expected letters, digits, '-' and '_', \
                     not starting or ending with '-' or '_'"
                ),
            );
            return None;
        }
        if !valid_name(space) {
            self.err(
                format!("{p}.space"),
                format!(
                    "invalid option space name '{space}': expected letters, digits, '-' and \
                     '_', not starting or ending with '-' or '_'"
                ),
            );
            return None;
        }
        let max: u32 = if v4 { 255 } else { 65535 };
        if code > max {
            self.err(
                format!("{p}.code"),
                format!("invalid option code '{code}', it must not be greater than '{max}'"),
            );
            return None;
        }
        if v4 && space == top && (code == 0 || code == 255) {
            let what = if code == 0 { "PAD" } else { "END" };
            self.err(
                format!("{p}.code"),
                format!("invalid option code '{code}': reserved for {what}"),
            );
            return None;
        }
        let code = code as u16;
        // Standard definitions cannot be replaced, except DHCPv4 option 43
        // whose format is vendor-specific (Kea's rule).
        if space == top && !(v4 && code == 43) {
            let clash = standard(v4, space, |n, c| c == code || n == name);
            if let Some(s) = clash {
                let (what, key) = if s.code == code {
                    (code.to_string(), "code")
                } else {
                    (name.to_string(), "name")
                };
                self.err(
                    format!("{p}.{key}"),
                    format!(
                        "unable to override definition of option '{what}' in standard option \
                         space '{space}'"
                    ),
                );
                return None;
            }
        }
        let array = d.array.unwrap_or(false);
        let (types, record) = if ty == "record" {
            let text = d.record_types.as_deref().unwrap_or("");
            let mut fields = Vec::new();
            for f in text.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                match DataType::from_kea(f, v4) {
                    Some(DataType::Empty) | None => {
                        self.err(
                            format!("{p}.record-types"),
                            format!(
                                "invalid record type values specified for the option \
                                 definition: attempted to add invalid data type '{f}' to the \
                                 record: expected {}",
                                FIELD_TYPES
                            ),
                        );
                        return None;
                    }
                    Some(t) => fields.push(t),
                }
            }
            if fields.len() < 2 {
                self.err(
                    p,
                    format!(
                        "invalid number of data fields: {} specified for the option of type \
                         'record'. Expected at least 2 fields (`record-types`, e.g. \
                         \"uint8, ipv4-address\")",
                        fields.len()
                    ),
                );
                return None;
            }
            let last = fields.len() - 1;
            for (i, f) in fields.iter().enumerate() {
                if i < last && matches!(f, DataType::String | DataType::Binary) {
                    self.err(
                        format!("{p}.record-types"),
                        format!(
                            "{} data field can't be laid before data fields of other types \
                             (it takes the rest of the option: it must be last)",
                            f.name()
                        ),
                    );
                    return None;
                }
            }
            (fields, true)
        } else {
            if d.record_types
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty())
            {
                self.err(
                    format!("{p}.record-types"),
                    format!(
                        "invalid record type values specified for the option definition: \
                         'record' option type must be used instead of '{ty}' to add data \
                         fields to the record"
                    ),
                );
                return None;
            }
            match DataType::from_kea(ty, v4) {
                Some(t) => (vec![t], false),
                None => {
                    self.err(
                        format!("{p}.type"),
                        format!("option type '{ty}' not supported: expected record or {FIELD_TYPES}, or empty"),
                    );
                    return None;
                }
            }
        };
        if array {
            let repeated = types.last().copied().unwrap_or(DataType::Binary);
            let why = match repeated {
                DataType::String => Some("array of strings"),
                DataType::Binary => Some("array of binary values"),
                DataType::Empty => Some("array of empty value"),
                _ => None,
            };
            if let Some(why) = why {
                self.err(
                    format!("{p}.array"),
                    format!("{why} is not a valid option definition"),
                );
                return None;
            }
        }
        let encapsulate = d.encapsulate.as_deref().filter(|e| !e.is_empty());
        if let Some(e) = encapsulate {
            if !valid_name(e) {
                self.err(
                    format!("{p}.encapsulate"),
                    format!("invalid encapsulated option space name: '{e}'"),
                );
                return None;
            }
            if array {
                self.err(
                    format!("{p}.encapsulate"),
                    format!(
                        "option '{space}.{name}', comprising an array of data fields may not \
                         encapsulate any option space"
                    ),
                );
                return None;
            }
        }
        Some((
            space.to_string(),
            Def {
                name: name.to_string(),
                code,
                types,
                record,
                array,
                encapsulate: encapsulate.map(str::to_string),
            },
        ))
    }
}

const FIELD_TYPES: &str = "one of binary, boolean, fqdn, int8, int16, int32, uint8, uint16, \
                           uint32, ipv4-address, ipv6-address, ipv6-prefix, psid, string, tuple";

/// Kea's rule for option and space names: letters, digits, `-` and `_`,
/// not starting or ending with `-` or `_`.
pub(super) fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && !n.starts_with(['-', '_'])
        && !n.ends_with(['-', '_'])
}

/// The standard definition in `space` matching `f(name, code)`.
fn standard(v4: bool, space: &str, f: impl Fn(&str, u16) -> bool) -> Option<Def> {
    if space != top_space(v4) {
        // Vendor 4491's space has the DOCSIS 3 definitions.
        let space = if space == "vendor-4491" {
            if v4 {
                "docsis3-v4"
            } else {
                "docsis3-v6"
            }
        } else {
            space
        };
        return if v4 {
            options::DHCP4_SUB_DEFS
                .iter()
                .find(|d| d.0 == space && f(d.1, u16::from(d.2)))
                .map(|d| Def::standard(d.1, u16::from(d.2), d.3, d.4, None))
        } else {
            options6::DHCP6_SUB_DEFS
                .iter()
                .find(|d| d.0 == space && f(d.1, d.2))
                .map(|d| Def::standard(d.1, d.2, d.3, d.4, d.5))
        };
    }
    if v4 {
        options::DHCP4_OPTION_DEFS
            .iter()
            .find(|d| f(d.name, u16::from(d.code)))
            .map(|d| {
                Def::standard(
                    d.name,
                    u16::from(d.code),
                    d.data_type,
                    d.array,
                    options::encapsulated_space(d.code),
                )
            })
    } else {
        options6::DHCP6_OPTION_DEFS
            .iter()
            .find(|d| f(d.name, d.code))
            .map(|d| {
                Def::standard(
                    d.name,
                    d.code,
                    d.data_type,
                    d.array,
                    options6::encapsulated_space(d.code),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names() {
        for ok in ["foo", "vendor-339", "339", "a_b", "A1"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-foo", "foo_", "a b", "a.b", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
