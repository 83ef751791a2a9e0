//! Kea's `libdhcp_flex_id.so` and `libdhcp_flex_option.so`, built in
//! (issue 16): the flexible identifier of host reservations computed on
//! the query, and the options of the response added, superseded or
//! removed by expressions on the query.
//!
//! Both evaluate on the query's packet view (`classify::view4` /
//! `view6`), the one class tests use. The pipeline calls them only when
//! the configuration has the library: nothing runs (nor allocates) per
//! packet otherwise.

use dhcproto::v6::{self, DhcpOption};
use ruru_classify::Expr;
use ruru_config::{FlexAction, FlexOption};

use crate::classify::{ClassSet, Source};
use crate::v4::reply::Draft;

/// The flexible identifier `expr` computes on the query: `None` when it
/// is empty or its evaluation fails (Kea: no flex-id lookup).
pub fn flex_id<S: Source>(src: &S, classes: &ClassSet<'_>, expr: &Expr) -> Option<Vec<u8>> {
    let view = src.view(classes);
    match expr.eval_string(&view) {
        Ok(v) if !v.as_bytes().is_empty() => Some(v.as_bytes().to_vec()),
        Ok(_) => None,
        Err(err) => {
            tracing::error!(error = %err, "flex-id identifier-expression failed");
            None
        }
    }
}

/// A response whose options flex-option changes.
pub trait FlexReply {
    /// Whether the response has option `code`.
    fn has_option(&self, code: u16) -> bool;
    /// Replaces every option `code` by one with `data` (or adds it).
    fn set_option(&mut self, code: u16, data: Vec<u8>);
    /// Adds option `code` (the caller checked it is absent).
    fn add_option(&mut self, code: u16, data: Vec<u8>);
    /// Removes every option `code`.
    fn remove_option(&mut self, code: u16);
}

/// Applies the flex-option entries, in order, to the response `d` of the
/// query seen through `src` (in `classes`), as Kea's library does at
/// `pktN_send`: `add` when the response has no such option and the value
/// is not empty, `supersede` when the value is not empty, `remove` when
/// the response has the option and the condition is true. The value is
/// the option's raw data. An evaluation error skips the entry.
pub fn apply<S: Source, R: FlexReply + ?Sized>(
    opts: &[FlexOption],
    src: &S,
    classes: &ClassSet<'_>,
    d: &mut R,
) {
    let view = src.view(classes);
    for o in opts {
        if let Some(c) = &o.client_class {
            if !classes.contains(c) {
                continue;
            }
        }
        match &o.action {
            FlexAction::Add(e) => {
                if d.has_option(o.code) {
                    continue;
                }
                if let Some(v) = value(e, &view, o.code) {
                    d.add_option(o.code, v);
                }
            }
            FlexAction::Supersede(e) => {
                if let Some(v) = value(e, &view, o.code) {
                    d.set_option(o.code, v);
                }
            }
            FlexAction::Remove(e) => {
                if !d.has_option(o.code) {
                    continue;
                }
                match e.eval_bool(&view) {
                    Ok(true) => d.remove_option(o.code),
                    Ok(false) => {}
                    Err(err) => {
                        tracing::error!(code = o.code, error = %err, "flex-option remove failed");
                    }
                }
            }
        }
    }
}

/// A non-empty value of `e`, or `None`.
fn value<P: ruru_classify::Packet>(e: &Expr, view: &P, code: u16) -> Option<Vec<u8>> {
    match e.eval_string(view) {
        Ok(v) if !v.as_bytes().is_empty() => Some(v.as_bytes().to_vec()),
        Ok(_) => None,
        Err(err) => {
            tracing::error!(code, error = %err, "flex-option expression failed");
            None
        }
    }
}

impl FlexReply for Draft {
    fn has_option(&self, code: u16) -> bool {
        u8::try_from(code).is_ok_and(|c| self.has(c))
    }

    fn set_option(&mut self, code: u16, data: Vec<u8>) {
        let Ok(c) = u8::try_from(code) else {
            return;
        };
        match self.options.iter().position(|(k, _)| *k == c) {
            Some(i) => {
                self.options[i].1 = data;
                let mut j = 0;
                self.options.retain(|(k, _)| {
                    j += 1;
                    *k != c || j == i + 1
                });
            }
            None => self.options.push((c, data)),
        }
    }

    fn add_option(&mut self, code: u16, data: Vec<u8>) {
        if let Ok(c) = u8::try_from(code) {
            self.options.push((c, data));
        }
    }

    fn remove_option(&mut self, code: u16) {
        if let Ok(c) = u8::try_from(code) {
            self.options.retain(|(k, _)| *k != c);
        }
    }
}

impl FlexReply for v6::Message {
    fn has_option(&self, code: u16) -> bool {
        self.opts().get(v6::OptionCode::from(code)).is_some()
    }

    fn set_option(&mut self, code: u16, data: Vec<u8>) {
        self.remove_option(code);
        self.add_option(code, data);
    }

    fn add_option(&mut self, code: u16, data: Vec<u8>) {
        self.opts_mut()
            .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                v6::OptionCode::from(code),
                data,
            )));
    }

    fn remove_option(&mut self, code: u16) {
        let c = v6::OptionCode::from(code);
        while self.opts_mut().remove(c).is_some() {}
    }
}

#[cfg(test)]
mod tests;
