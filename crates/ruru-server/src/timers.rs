//! Background jobs on Kea's schedules: reclaim expired leases
//! (`reclaim-timer-wait-time`), remove old reclaimed leases
//! (`flush-reclaimed-timer-wait-time`, `hold-reclaimed-time`) and compact the
//! lease file (`lfc-interval`). Each runs on its own thread and never holds
//! anything the packet path waits for beyond the store's own short locks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ruru_lease::memfile::Memfile;
use tracing::{info, warn};

use crate::state::Shared;

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

/// Reclamation and flushing, reading intervals from the current config.
pub fn spawn_reclaim(
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("ruru-reclaim".into()).spawn(move || {
        let mut last_flush = Instant::now();
        let mut unwarned = 0u32;
        loop {
            let running = shared.snapshot();
            let Some(cfg) = running.config.dhcp4.as_ref() else { return };
            let e = cfg.expired_leases;
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
                let (n, m) = running.engine.reclaim(shared.store.as_ref(), now, e.max_reclaim_leases as usize);
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
                info!(reclaimed = total, "expired leases reclaimed");
            }
            if more {
                unwarned += 1;
                if e.unwarned_reclaim_cycles != 0 && unwarned >= e.unwarned_reclaim_cycles {
                    warn!(cycles = unwarned, "expired leases remain after several reclamation cycles; consider raising max-reclaim-leases or max-reclaim-time");
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
                match shared.store.flush_reclaimed4(cutoff) {
                    Ok(n) if n > 0 => info!(removed = n, "reclaimed leases flushed"),
                    Ok(_) => {}
                    Err(err) => warn!(error = %err, "flushing reclaimed leases failed"),
                }
            }
        }
    })
}

/// Lease-file compaction every `lfc-interval` seconds (0 = never).
pub fn spawn_lfc(
    shared: Arc<Shared>,
    memfile: Arc<Memfile>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("ruru-lfc".into()).spawn(move || loop {
        let interval = shared
            .snapshot()
            .config
            .dhcp4
            .as_ref()
            .map_or(0, |c| if c.lease_database.persist { c.lease_database.lfc_interval } else { 0 });
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
            Ok(s) => info!(elapsed_ms = t.elapsed().as_millis() as u64, stats = ?s, "lease file compacted"),
            Err(e) => warn!(error = %e, "lease file compaction failed"),
        }
    })
}
