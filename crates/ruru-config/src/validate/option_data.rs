//! `option-data` lists of both families: option spaces, codes and names,
//! one entry per code and space, the encoding of `data` through the
//! definitions (`option_def`: custom ones, then the standard tables of
//! `crate::options` and `crate::options6`), and encapsulation.
//!
//! Encapsulation is Kea's (`CfgOption::encapsulate`), per list: an option
//! whose definition encapsulates space `S` carries, after its own data,
//! the options of space `S` configured in the same list, in code order
//! (sub-option header: code and length of one octet in DHCPv4, two in
//! DHCPv6), recursively. Options of `vendor-N` spaces are kept apart
//! (model `vendor: Some(N)`): the engine puts them in option 125 / 17 at
//! reply time, as Kea does. Options of other custom spaces that nothing
//! encapsulates are never sent.

use std::collections::HashMap;

use super::option_def::{top_space, Def};
use super::V;
use crate::model;
use crate::{file, options, options6};

/// One validated entry, before encapsulation.
struct Entry {
    space: String,
    code: u16,
    data: Vec<u8>,
    always_send: bool,
    never_send: bool,
    /// The space its definition encapsulates.
    encapsulate: Option<String>,
    /// Its JSON path, for errors found while encapsulating.
    path: String,
}

impl V {
    /// The DHCPv4 `option-data` list at `path`.
    pub(super) fn options(
        &mut self,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<model::OptionData> {
        self.option_list(true, path, list)
            .into_iter()
            .map(|(e, vendor)| model::OptionData {
                code: e.code as u8,
                data: e.data,
                always_send: e.always_send,
                never_send: e.never_send,
                vendor,
            })
            .collect()
    }

    /// An `option-data` list of either family, encoded and encapsulated:
    /// the options of the family's space and of `vendor-N` spaces (with
    /// `Some(N)`), one entry per code and space.
    fn option_list(
        &mut self,
        v4: bool,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<(Entry, Option<u32>)> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashMap<(String, u16), usize> = HashMap::new();
        for (i, o) in list.iter().flatten().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(e) = self.option(v4, &p, o) {
                if let Some(first) = seen.insert((e.space.clone(), e.code), i) {
                    let what = if e.space == top_space(v4) {
                        e.code.to_string()
                    } else {
                        format!("{}.{}", e.space, e.code)
                    };
                    self.err(
                        format!("{p}.{}", if o.name.is_some() { "name" } else { "code" }),
                        format!(
                            "option {what} is already configured at {path}[{first}]: expected one entry per option",
                        ),
                    );
                }
                entries.push(e);
            }
        }
        let top = top_space(v4);
        let mut out = Vec::new();
        for i in 0..entries.len() {
            let e = &entries[i];
            let vendor = vendor_space(&e.space);
            if e.space != top && vendor.is_none() {
                continue;
            }
            let mut data = e.data.clone();
            if let Some(space) = e.encapsulate.clone() {
                let mut stack = vec![e.space.clone()];
                let path = e.path.clone();
                data.extend(self.sub_options(v4, &path, &entries, &space, &mut stack));
            }
            let e = &entries[i];
            out.push((
                Entry {
                    space: e.space.clone(),
                    code: e.code,
                    data,
                    always_send: e.always_send,
                    never_send: e.never_send,
                    encapsulate: None,
                    path: String::new(),
                },
                vendor,
            ));
        }
        out
    }

    /// The options of `space` in `entries`, in code order, each with its
    /// own sub-options, as sub-options (code and length, then data).
    fn sub_options(
        &mut self,
        v4: bool,
        path: &str,
        entries: &[Entry],
        space: &str,
        stack: &mut Vec<String>,
    ) -> Vec<u8> {
        if stack.iter().any(|s| s == space) {
            self.err(
                path,
                format!(
                    "option space `{space}` encapsulates itself (through {}): expected no cycle",
                    stack.join(" -> ")
                ),
            );
            return Vec::new();
        }
        stack.push(space.to_string());
        let mut subs: Vec<&Entry> = entries.iter().filter(|e| e.space == space).collect();
        subs.sort_by_key(|e| e.code);
        let mut out = Vec::new();
        for e in subs {
            let mut data = e.data.clone();
            if let Some(inner) = &e.encapsulate {
                data.extend(self.sub_options(v4, &e.path, entries, inner, stack));
            }
            if v4 {
                let Ok(len) = u8::try_from(data.len()) else {
                    self.err(
                        &e.path,
                        format!(
                            "sub-option {space}.{} is {} octets long: a DHCPv4 sub-option holds at most 255",
                            e.code,
                            data.len()
                        ),
                    );
                    continue;
                };
                out.push(e.code as u8);
                out.push(len);
            } else {
                let Ok(len) = u16::try_from(data.len()) else {
                    self.err(
                        &e.path,
                        format!(
                            "sub-option {space}.{} is {} octets long: at most 65535",
                            e.code,
                            data.len()
                        ),
                    );
                    continue;
                };
                out.extend(e.code.to_be_bytes());
                out.extend(len.to_be_bytes());
            }
            out.extend(data);
        }
        stack.pop();
        out
    }

    fn option(&mut self, v4: bool, p: &str, o: &file::OptionData) -> Option<Entry> {
        let top = top_space(v4);
        let space = o.space.as_deref().unwrap_or(top);
        let is_top = space == top;
        if !is_top && !super::option_def::valid_name(space) {
            self.err(
                format!("{p}.space"),
                format!("invalid option space name '{space}'"),
            );
            return None;
        }
        let by_name = match &o.name {
            Some(n) => match self.def_by_name(v4, space, n) {
                Some(d) => Some(d),
                None => {
                    let msg = if is_top {
                        format!("unknown option name `{n}` in space {space}")
                    } else {
                        format!(
                            "definition for the option '{space}.{n}' does not exist: expected \
                             an `option-def` entry with this name in space \"{space}\""
                        )
                    };
                    self.err(format!("{p}.name"), msg);
                    return None;
                }
            },
            None => None,
        };
        // Codes: 1..=254 in dhcp4 (0 and 255 are PAD and END), 1..=65535
        // in dhcp6; any octet / 16-bit value in a custom space.
        let (min, max): (u32, u32) = match (v4, is_top) {
            (true, true) => (1, 254),
            (true, false) => (0, 255),
            (false, true) => (1, 65535),
            (false, false) => (0, 65535),
        };
        let code = match (o.code, &by_name) {
            (Some(c), _) if c < min || c > max => {
                let reserved = if is_top { reserved_reason(v4, c) } else { None };
                let why = reserved.map_or_else(
                    || format!("expected {min}..={max}"),
                    |w| format!("{w}: expected {min}..={max}"),
                );
                self.err(
                    format!("{p}.code"),
                    format!("invalid option code {c}: {why}"),
                );
                return None;
            }
            (Some(c), Some(d)) if u32::from(d.code) != c => {
                self.err(
                    format!("{p}.code"),
                    format!(
                        "option code {c} does not match name `{}` (code {})",
                        d.name, d.code
                    ),
                );
                return None;
            }
            (Some(c), _) => c as u16,
            (None, Some(d)) => d.code,
            (None, None) => {
                self.err(
                    p,
                    "option has neither `name` nor `code`: expected at least one",
                );
                return None;
            }
        };
        let key = if o.name.is_some() { "name" } else { "code" };
        if is_top {
            if let Some(why) = reserved_reason(v4, u32::from(code)) {
                self.err(
                    format!("{p}.{key}"),
                    format!("option {code} cannot be configured: {why}"),
                );
                return None;
            }
        }
        let def: Option<Def> = by_name.or_else(|| self.def_by_code(v4, space, code));
        let csv = o.csv_format.unwrap_or(true);
        let data = o.data.as_deref().unwrap_or("");
        let never_send = o.never_send.unwrap_or(false);
        // A never-sent option needs no data.
        let encoded = if never_send && o.data.is_none() {
            Ok(Vec::new())
        } else {
            options::encode_format(def.as_ref().map(|d| (d.format(), d.array)), data, csv)
        };
        let mut bytes = match encoded {
            Ok(b) => b,
            Err(e) => {
                let what = match &def {
                    Some(d) if is_top => format!("option {} ({code})", d.name),
                    Some(d) => format!("option {space}.{} ({code})", d.name),
                    None if is_top => format!("option {code}"),
                    None => format!("option {space}.{code}"),
                };
                let path = if o.data.is_some() {
                    format!("{p}.data")
                } else {
                    p.to_string()
                };
                self.err(path, format!("{what}: {e}"));
                return None;
            }
        };
        // Option 125 (RFC 3925 §4): enterprise number, then the length of
        // the vendor's sub-options (none here; the engine adds them).
        if v4 && is_top && code == 125 && csv {
            bytes.push(0);
        }
        Some(Entry {
            space: space.to_string(),
            code,
            data: bytes,
            always_send: o.always_send.unwrap_or(false),
            never_send,
            encapsulate: def.and_then(|d| d.encapsulate),
            path: p.to_string(),
        })
    }
}

/// `Some(n)` for space `vendor-n`.
fn vendor_space(space: &str) -> Option<u32> {
    space.strip_prefix("vendor-")?.parse().ok()
}

/// Why option `code` of the family's standard space may not be configured.
fn reserved_reason(v4: bool, code: u32) -> Option<&'static str> {
    if v4 {
        options::reserved_reason(u8::try_from(code).ok()?)
    } else {
        options6::reserved_reason(u16::try_from(code).ok()?)
    }
}

/// A DHCPv6 `option-data` list, encoded.
pub(super) fn options6(
    v: &mut V,
    path: &str,
    list: &Option<Vec<file::OptionData>>,
) -> Vec<model::OptionData6> {
    v.option_list(false, path, list)
        .into_iter()
        .map(|(e, vendor)| model::OptionData6 {
            code: e.code,
            data: e.data,
            always_send: e.always_send,
            never_send: e.never_send,
            vendor,
        })
        .collect()
}
