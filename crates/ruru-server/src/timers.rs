//! Background jobs on Kea's schedules, for either family (each family's
//! service, [`crate::service`], starts its own): reclaim expired leases
//! (`reclaim-timer-wait-time`), remove old reclaimed leases
//! (`flush-reclaimed-timer-wait-time`, `hold-reclaimed-time`) and compact the
//! lease file (`lfc-interval`).
//! Each runs on its own thread and never holds anything the packet path
//! waits for beyond the store's own short locks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ruru_lease::memfile::MemfileStore;
use ruru_lease::LeaseRow;
use tracing::{info, warn};

/// Sleeps up to `d`, waking early on stop. Returns false when stopping.
fn nap(stop: &AtomicBool, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100).min(end - Instant::now()));
    }
    !stop.load(Ordering::Relaxed)
}

/// What reclamation needs of one family; [`spawn_reclaimer`] runs Kea's
/// schedule over it, the same for DHCPv4 and DHCPv6.
pub trait Reclaim: Send + 'static {
    /// The family, for log lines (`DHCPv4`, `DHCPv6`).
    const FAMILY: &'static str;
    /// The running `expired-leases-processing`; `None` when the family is
    /// no longer served (the thread ends).
    fn settings(&self) -> Option<ruru_config::ExpiredLeasesProcessing>;
    /// Reclaims up to `limit` (0: all) leases expired at `now`: how many,
    /// and whether more remain.
    fn reclaim(&self, now: u64, limit: usize) -> (usize, bool);
    /// Removes reclaimed leases that expired before `cutoff`.
    fn flush(&self, cutoff: u64) -> Result<usize, ruru_lease::LeaseError>;
}

/// Runs reclamation and flushing on Kea's schedule
/// (`expired-leases-processing`, read from the running configuration at
/// every cycle): every `reclaim-timer-wait-time` seconds (0: never) a cycle
/// reclaims at most `max-reclaim-leases` leases (0: no limit, then batches
/// until none remain or `max-reclaim-time` ms have passed, 0: no limit);
/// after `unwarned-reclaim-cycles` cycles that left expired leases behind,
/// a warning says to raise the limits; every
/// `flush-reclaimed-timer-wait-time` seconds, reclaimed leases older than
/// `hold-reclaimed-time` are removed.
pub fn spawn_reclaimer<R: Reclaim>(
    name: &str,
    r: R,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(move || {
        let mut last_flush = Instant::now();
        let mut unwarned = 0u32;
        loop {
            let Some(e) = r.settings() else { return };
            if e.reclaim_timer_wait_time == 0 {
                if !nap(&stop, Duration::from_secs(1)) {
                    return;
                }
                continue;
            }
            if !nap(&stop, Duration::from_secs(u64::from(e.reclaim_timer_wait_time))) {
                return;
            }
            let now = crate::now();
            let start = Instant::now();
            let mut total = 0;
            let mut more;
            loop {
                let (n, m) = r.reclaim(now, e.max_reclaim_leases as usize);
                total += n;
                more = m;
                let over_time = e.max_reclaim_time != 0
                    && start.elapsed() >= Duration::from_millis(u64::from(e.max_reclaim_time));
                // One batch per cycle when a lease limit is set (Kea).
                if !more || over_time || e.max_reclaim_leases != 0 {
                    break;
                }
            }
            if total > 0 {
                info!(family = R::FAMILY, reclaimed = total, "expired leases reclaimed");
            }
            if more {
                unwarned += 1;
                if e.unwarned_reclaim_cycles != 0 && unwarned >= e.unwarned_reclaim_cycles {
                    warn!(family = R::FAMILY, cycles = unwarned, "expired leases remain after several reclamation cycles; consider raising max-reclaim-leases or max-reclaim-time");
                    unwarned = 0;
                }
            } else {
                unwarned = 0;
            }
            if e.flush_reclaimed_timer_wait_time != 0
                && e.hold_reclaimed_time != 0
                && last_flush.elapsed() >= Duration::from_secs(u64::from(e.flush_reclaimed_timer_wait_time))
            {
                last_flush = Instant::now();
                let cutoff = now.saturating_sub(u64::from(e.hold_reclaimed_time));
                match r.flush(cutoff) {
                    Ok(n) if n > 0 => info!(family = R::FAMILY, removed = n, "reclaimed leases flushed"),
                    Ok(_) => {}
                    // A lost database was logged once, when it went.
                    Err(ruru_lease::LeaseError::Unavailable(_)) => {}
                    Err(err) => warn!(family = R::FAMILY, error = %err, "flushing reclaimed leases failed"),
                }
            }
        }
    })
}

/// Compacts `memfile` every `interval()` seconds, read again before each
/// wait so that a reload takes effect at the next run (0 = never).
pub fn spawn_compaction<L: LeaseRow>(
    name: &str,
    memfile: Arc<MemfileStore<L>>,
    stop: Arc<AtomicBool>,
    interval: impl Fn() -> u32 + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(name.into()).spawn(move || loop {
        let interval = interval();
        if interval == 0 {
            if !nap(&stop, Duration::from_secs(1)) {
                return;
            }
            continue;
        }
        if !nap(&stop, Duration::from_secs(u64::from(interval))) {
            return;
        }
        let t = Instant::now();
        match memfile.compact() {
            Ok(s) => info!(family = L::FAMILY, elapsed_ms = t.elapsed().as_millis() as u64, stats = ?s, "lease file compacted"),
            Err(e) => warn!(family = L::FAMILY, error = %e, "lease file compaction failed"),
        }
    })
}
