//! `option-data` lists of both families: option spaces, codes and names,
//! one entry per code, and the encoding of `data` through the definition
//! tables (`crate::options`, `crate::options6`). What differs between
//! the spaces `dhcp4` and `dhcp6` is the `OptionSpace` trait's two
//! implementations.

use std::collections::HashMap;

use super::V;
use crate::model;
use crate::{file, options, options6};

impl V {
    /// The DHCPv4 `option-data` list at `path`.
    pub(super) fn options(
        &mut self,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<model::OptionData> {
        self.option_list::<Space4>(path, list)
            .into_iter()
            .map(|(code, data, always_send)| model::OptionData {
                code: code as u8,
                data,
                always_send,
            })
            .collect()
    }

    /// An `option-data` list of either family, encoded: (code, payload,
    /// always-send) per entry. One entry per option code.
    fn option_list<S: OptionSpace>(
        &mut self,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<(u16, Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut seen: HashMap<u16, usize> = HashMap::new();
        for (i, o) in list.iter().flatten().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(opt) = self.option::<S>(&p, o) {
                if let Some(first) = seen.insert(opt.0, i) {
                    self.err(
                        format!("{p}.{}", if o.name.is_some() { "name" } else { "code" }),
                        format!(
                            "option {} is already configured at {path}[{first}]: expected one entry per option",
                            opt.0
                        ),
                    );
                }
                out.push(opt);
            }
        }
        out
    }

    fn option<S: OptionSpace>(
        &mut self,
        p: &str,
        o: &file::OptionData,
    ) -> Option<(u16, Vec<u8>, bool)> {
        if let Some(space) = &o.space {
            if space != S::SPACE {
                self.err(
                    format!("{p}.space"),
                    format!(
                        "not supported yet: option space `{space}` (only \"{}\")",
                        S::SPACE
                    ),
                );
                return None;
            }
        }
        if o.never_send == Some(true) {
            self.unsupported(format!("{p}.never-send"));
            return None;
        }
        let by_name = match &o.name {
            Some(n) => match S::by_name(n) {
                Some(d) => Some(d),
                None => {
                    self.err(
                        format!("{p}.name"),
                        format!("unknown option name `{n}` in space {}", S::SPACE),
                    );
                    return None;
                }
            },
            None => None,
        };
        let code = match (o.code, by_name) {
            (Some(c), _) if c == 0 || c > S::MAX_CODE => {
                let max = S::MAX_CODE;
                let why = S::reserved_reason(c).map_or_else(
                    || format!("expected 1..={max}"),
                    |w| format!("{w}: expected 1..={max}"),
                );
                self.err(
                    format!("{p}.code"),
                    format!("invalid option code {c}: {why}"),
                );
                return None;
            }
            (Some(c), Some((code, name))) if u32::from(code) != c => {
                self.err(
                    format!("{p}.code"),
                    format!("option code {c} does not match name `{name}` (code {code})"),
                );
                return None;
            }
            (Some(c), _) => c as u16,
            (None, Some((code, _))) => code,
            (None, None) => {
                self.err(
                    p,
                    "option has neither `name` nor `code`: expected at least one",
                );
                return None;
            }
        };
        let key = if o.name.is_some() { "name" } else { "code" };
        if let Some(why) = S::reserved_reason(u32::from(code)) {
            self.err(
                format!("{p}.{key}"),
                format!("option {code} cannot be configured: {why}"),
            );
            return None;
        }
        if let Some(what) = S::not_supported(code) {
            self.err(format!("{p}.{key}"), format!("not supported yet: {what}"));
            return None;
        }
        let csv = o.csv_format.unwrap_or(true);
        let data = o.data.as_deref().unwrap_or("");
        match S::encode(code, data, csv) {
            Ok(bytes) => Some((code, bytes, o.always_send.unwrap_or(false))),
            Err(e) => {
                let what = S::name_of(code).map_or_else(
                    || format!("option {code}"),
                    |n| format!("option {n} ({code})"),
                );
                let path = if o.data.is_some() {
                    format!("{p}.data")
                } else {
                    p.to_string()
                };
                self.err(path, format!("{what}: {e}"));
                None
            }
        }
    }
}

/// A DHCPv6 `option-data` list, encoded.
pub(super) fn options6(
    v: &mut V,
    path: &str,
    list: &Option<Vec<file::OptionData>>,
) -> Vec<model::OptionData6> {
    v.option_list::<Space6>(path, list)
        .into_iter()
        .map(|(code, data, always_send)| model::OptionData6 {
            code,
            data,
            always_send,
        })
        .collect()
}

/// What differs between the DHCPv4 and DHCPv6 `option-data` rules: the
/// space, the code range and the definition table.
trait OptionSpace {
    /// Kea's name of the standard space.
    const SPACE: &'static str;
    /// The highest code.
    const MAX_CODE: u32;
    /// (code, name) of the option called `name`.
    fn by_name(name: &str) -> Option<(u16, &'static str)>;
    /// The name of option `code`, for messages.
    fn name_of(code: u16) -> Option<&'static str>;
    /// Why `code` may not be configured (any `u32`, in range or not).
    fn reserved_reason(code: u32) -> Option<&'static str>;
    /// What is not supported yet about configuring `code`, if anything.
    fn not_supported(code: u16) -> Option<&'static str>;
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String>;
}

/// Space `dhcp4`.
struct Space4;

impl OptionSpace for Space4 {
    const SPACE: &'static str = "dhcp4";
    const MAX_CODE: u32 = 254;
    fn by_name(name: &str) -> Option<(u16, &'static str)> {
        options::by_name(name).map(|d| (u16::from(d.code), d.name))
    }
    fn name_of(code: u16) -> Option<&'static str> {
        options::by_code(u8::try_from(code).ok()?).map(|d| d.name)
    }
    fn reserved_reason(code: u32) -> Option<&'static str> {
        options::reserved_reason(u8::try_from(code).ok()?)
    }
    fn not_supported(code: u16) -> Option<&'static str> {
        (code == 54).then_some("configuring dhcp-server-identifier (54)")
    }
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String> {
        let def = u8::try_from(code).ok().and_then(options::by_code);
        options::encode(def, data, csv)
    }
}

/// Space `dhcp6`.
struct Space6;

impl OptionSpace for Space6 {
    const SPACE: &'static str = "dhcp6";
    const MAX_CODE: u32 = 65535;
    fn by_name(name: &str) -> Option<(u16, &'static str)> {
        options6::by_name(name).map(|d| (d.code, d.name))
    }
    fn name_of(code: u16) -> Option<&'static str> {
        options6::by_code(code).map(|d| d.name)
    }
    fn reserved_reason(code: u32) -> Option<&'static str> {
        options6::reserved_reason(u16::try_from(code).ok()?)
    }
    fn not_supported(_code: u16) -> Option<&'static str> {
        None
    }
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String> {
        options6::encode(options6::by_code(code), data, csv)
    }
}
