//! Statistic sample history for `statistic-get` and Kea's
//! `statistic-sample-count-set` / `statistic-sample-age-set`.
//!
//! The packet path only bumps atomic counters; samples are taken here when a
//! statistic is read and its value changed since the last sample, so a
//! series shows the values seen by readers (dashboards polling through the
//! control API), newest first, in Kea's `[[value, "timestamp"], ...]` shape.
//! Each series keeps at most `max-samples` entries (Kea's default 20) or,
//! once an age was set, the samples younger than that age. Each
//! configuration sets both for every series again from its
//! `statistic-default-sample-count` / `-age` ([`Samples::configure`]).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Kea's default `statistic-default-sample-count`.
pub const DEFAULT_MAX_SAMPLES: usize = 20;

/// How a series is bounded (setting one replaces the other, as in Kea).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    Count(usize),
    Age(Duration),
}

#[derive(Debug)]
struct Series {
    samples: VecDeque<(i64, SystemTime)>,
    limit: Limit,
}

#[derive(Debug, Default)]
struct Inner {
    series: HashMap<String, Series>,
    /// Limit for series created later (set by the `-all` commands).
    default: Option<Limit>,
}

/// Sample history of every statistic that has been read.
#[derive(Debug, Default)]
pub struct Samples {
    inner: Mutex<Inner>,
}

impl Samples {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Records `value` for `name` if it changed and returns the series.
    pub fn observe(&self, name: &str, value: i64) -> Value {
        let now = SystemTime::now();
        let mut g = self.lock();
        let default = g.default.unwrap_or(Limit::Count(DEFAULT_MAX_SAMPLES));
        let s = g.series.entry(name.to_string()).or_insert_with(|| Series {
            samples: VecDeque::new(),
            limit: default,
        });
        if s.samples.front().is_none_or(|(v, _)| *v != value) {
            s.samples.push_front((value, now));
        }
        trim(s, now);
        Value::Array(
            s.samples
                .iter()
                .map(|(v, t)| json!([v, timestamp(*t)]))
                .collect(),
        )
    }

    pub fn set_count(&self, name: Option<&str>, n: usize) {
        self.set(name, Limit::Count(n));
    }

    pub fn set_age(&self, name: Option<&str>, secs: u64) {
        self.set(name, Limit::Age(Duration::from_secs(secs)));
    }

    fn set(&self, name: Option<&str>, limit: Limit) {
        let mut g = self.lock();
        let now = SystemTime::now();
        match name {
            Some(n) => {
                let s = g.series.entry(n.to_string()).or_insert_with(|| Series {
                    samples: VecDeque::new(),
                    limit,
                });
                s.limit = limit;
                trim(s, now);
            }
            None => {
                g.default = Some(limit);
                for s in g.series.values_mut() {
                    s.limit = limit;
                    trim(s, now);
                }
            }
        }
    }

    /// Applies a configuration's `statistic-default-sample-count` /
    /// `statistic-default-sample-age` as Kea does at every configuration:
    /// a count other than 0 becomes the limit of every series and of those
    /// created later; a count of 0 makes the age the limit instead.
    pub fn configure(&self, s: ruru_config::StatisticSamples) {
        let limit = if s.count == 0 {
            Limit::Age(Duration::from_secs(u64::from(s.age)))
        } else {
            Limit::Count(usize::try_from(s.count).unwrap_or(usize::MAX))
        };
        self.set(None, limit);
    }

    pub fn forget(&self, name: &str) {
        self.lock().series.remove(name);
    }

    pub fn clear(&self) {
        self.lock().series.clear();
    }
}

fn trim(s: &mut Series, now: SystemTime) {
    match s.limit {
        Limit::Count(n) => s.samples.truncate(n.max(1)),
        Limit::Age(age) => {
            // Keep the newest sample whatever its age: the current value.
            while s.samples.len() > 1
                && s.samples
                    .back()
                    .is_some_and(|(_, t)| now.duration_since(*t).unwrap_or_default() > age)
            {
                s.samples.pop_back();
            }
        }
    }
}

/// Kea's sample timestamp: `YYYY-MM-DD HH:MM:SS.ffffff` (UTC).
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (y, m, day) = ruru_ddns::time::civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_kea_format() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_806_231_000_123);
        assert_eq!(timestamp(t), "2026-11-27 19:03:51.000123");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00.000000");
    }

    #[test]
    fn series_records_changes_and_respects_count() {
        let s = Samples::default();
        s.observe("x", 1);
        s.observe("x", 1);
        let v = s.observe("x", 2);
        assert_eq!(v.as_array().map(Vec::len), Some(2));
        assert_eq!(v[0][0], 2);
        s.set_count(Some("x"), 1);
        assert_eq!(s.observe("x", 3).as_array().map(Vec::len), Some(1));
        s.set_age(None, 3600);
        for i in 4..30 {
            s.observe("x", i);
        }
        assert_eq!(
            s.observe("x", 30).as_array().map(Vec::len),
            Some(28),
            "age limit replaces count"
        );
    }

    #[test]
    fn the_configuration_sets_every_series_as_kea_does() {
        let len = |v: Value| v.as_array().map_or(0, Vec::len);
        let s = Samples::default();
        s.set_count(Some("x"), 100);
        for i in 0..10 {
            s.observe("x", i);
        }
        // A count: every series, and those created later.
        s.configure(ruru_config::StatisticSamples { count: 3, age: 60 });
        assert_eq!(len(s.observe("x", 10)), 3);
        for i in 0..10 {
            s.observe("y", i);
        }
        assert_eq!(len(s.observe("y", 10)), 3);
        // A count of 0: the age instead (0 s: the latest sample only).
        s.configure(ruru_config::StatisticSamples { count: 0, age: 0 });
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(len(s.observe("x", 11)), 1);
        s.configure(ruru_config::StatisticSamples {
            count: 0,
            age: 3600,
        });
        for i in 12..20 {
            s.observe("x", i);
        }
        assert_eq!(len(s.observe("x", 20)), 10);
    }
}
