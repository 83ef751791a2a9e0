//! Kea's `statistic-*` commands, per family: each family's service keeps
//! its own statistics, as each Kea daemon does, and a request reads those
//! of the families it targets ([`super::commands`]'s `targets`: its
//! `service`, or the sections whose control socket received it). One
//! family answers as its Kea daemon would; both answer as Kea's Control
//! Agent does for `"service": ["dhcp4", "dhcp6"]`: a list of the two
//! answers, DHCPv4's first. Hook statistics (of the libraries both
//! families share) are in every family's answer.

use std::sync::Arc;

use ruru_engine::Stats;

use super::samples::Samples;
use serde_json::{Map, Value};

use super::commands::{answer, err, ok, opt_u64, req_str, ControlCtx, Res, Targets, SUCCESS};

/// One family's statistics and their sample history.
struct Family<'a> {
    stats: Arc<Stats>,
    samples: &'a Samples,
}

/// The statistics of the targeted families.
fn families(ctx: &ControlCtx, t: Targets) -> Vec<Family<'_>> {
    let mut out = Vec::new();
    if let Some(v4) = ctx.shared.v4.as_ref().filter(|_| t.v4) {
        out.push(Family {
            stats: v4.stats.clone(),
            samples: &ctx.samples[0],
        });
    }
    if let Some(v6) = ctx.shared.v6.as_ref().filter(|_| t.v6) {
        out.push(Family {
            stats: v6.stats.clone(),
            samples: &ctx.samples[1],
        });
    }
    out
}

/// Runs a `statistic-*` command in each targeted family.
pub(super) fn run(ctx: &ControlCtx, t: Targets, command: &str, args: &Value) -> Value {
    let mut answers: Vec<Value> = families(ctx, t)
        .iter()
        .map(|f| one(ctx, f, command, args).unwrap_or_else(|e| e))
        .collect();
    match answers.len() {
        // A DNS updater alone (`DhcpDdns` only): D2's statistics, as
        // kea-dhcp-ddns answers them.
        0 if ctx.shared.snapshot().config.dhcp_ddns.is_some() => {
            d2_only(ctx, command, args).unwrap_or_else(|e| e)
        }
        0 => err("this server runs no DHCP service"),
        1 => answers.remove(0),
        _ => Value::Array(answers),
    }
}

/// The `statistic-*` commands of a process that runs only the DNS
/// updater: its statistics (`ncr-received`, `update-sent`, ...).
fn d2_only(ctx: &ControlCtx, command: &str, args: &Value) -> Res {
    let d2 = &ctx.shared.d2;
    let samples = &ctx.samples[0];
    match command {
        "statistic-get" => {
            let name = req_str(args, "name")?;
            let mut m = Map::new();
            if let Some(v) = d2.lookup(name) {
                m.insert(name.to_string(), samples.observe(name, v));
            }
            Ok(ok("", Value::Object(m)))
        }
        "statistic-get-all" => {
            let mut m = Map::new();
            for (name, v) in d2.snapshot() {
                let s = samples.observe(&name, v);
                m.insert(name, s);
            }
            Ok(ok("", Value::Object(m)))
        }
        "statistic-reset-all" => {
            d2.reset_all();
            samples.clear();
            Ok(answer(
                SUCCESS,
                "All statistics reset to neutral values.",
                None,
            ))
        }
        other => Ok(answer(
            super::commands::UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

fn one(ctx: &ControlCtx, f: &Family<'_>, command: &str, args: &Value) -> Res {
    let hooks = &ctx.shared.hook_stats;
    match command {
        "statistic-get" => {
            let name = req_str(args, "name")?;
            let mut m = Map::new();
            let d2 = || ctx.shared.d2.lookup(name);
            if let Some(v) = f
                .stats
                .lookup(name)
                .or_else(|| hooks.lookup(name))
                .or_else(d2)
            {
                m.insert(name.to_string(), f.samples.observe(name, v));
            }
            Ok(ok("", Value::Object(m)))
        }
        "statistic-get-all" => {
            let mut m = Map::new();
            let all = f.stats.snapshot().into_iter().chain(hooks.snapshot());
            for (name, v) in all.chain(ctx.shared.d2.snapshot()) {
                let s = f.samples.observe(&name, v);
                m.insert(name, s);
            }
            Ok(ok("", Value::Object(m)))
        }
        "statistic-reset" => {
            let name = req_str(args, "name")?;
            if f.stats.reset(name) || hooks.reset(name) {
                f.samples.forget(name);
                Ok(answer(SUCCESS, format!("Statistic '{name}' reset."), None))
            } else {
                Err(err(format!("No '{name}' statistic found")))
            }
        }
        "statistic-reset-all" => {
            f.stats.reset_all();
            hooks.reset_all();
            ctx.shared.d2.reset_all();
            f.samples.clear();
            Ok(answer(
                SUCCESS,
                "All statistics reset to neutral values.",
                None,
            ))
        }
        "statistic-remove" => {
            let name = req_str(args, "name")?;
            if f.stats.remove(name) {
                f.samples.forget(name);
                Ok(answer(
                    SUCCESS,
                    format!("Statistic '{name}' removed."),
                    None,
                ))
            } else {
                Err(err(format!("No '{name}' statistic found")))
            }
        }
        "statistic-remove-all" => {
            f.stats.remove_all();
            f.samples.clear();
            Ok(answer(
                SUCCESS,
                "Warning: statistic-remove-all command is deprecated. All statistics removed.",
                None,
            ))
        }
        "statistic-sample-age-set" => sample_set(f, args, "duration", false),
        "statistic-sample-age-set-all" => sample_set(f, args, "duration", true),
        "statistic-sample-count-set" => sample_set(f, args, "max-samples", false),
        "statistic-sample-count-set-all" => sample_set(f, args, "max-samples", true),
        other => Ok(answer(
            super::commands::UNSUPPORTED,
            format!("'{other}' command not supported."),
            None,
        )),
    }
}

fn sample_set(f: &Family<'_>, args: &Value, key: &str, all: bool) -> Res {
    let value =
        opt_u64(args, key)?.ok_or_else(|| err(format!("'{key}' parameter not specified")))?;
    let name = if all {
        None
    } else {
        Some(req_str(args, "name")?)
    };
    if let Some(n) = name {
        if f.stats.lookup(n).is_none() {
            return Err(err(format!("No '{n}' statistic found")));
        }
    }
    if key == "duration" {
        f.samples.set_age(name, value);
    } else {
        if value == 0 {
            return Err(err("'max-samples' must be greater than 0"));
        }
        f.samples
            .set_count(name, usize::try_from(value).unwrap_or(usize::MAX));
    }
    let what = if key == "duration" {
        "duration"
    } else {
        "max samples"
    };
    Ok(answer(
        SUCCESS,
        match name {
            Some(n) => format!("Statistic '{n}' {what} set."),
            None => format!("All statistics {what} set."),
        },
        None,
    ))
}
