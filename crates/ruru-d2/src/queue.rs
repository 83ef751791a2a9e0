//! The request queue: [`D2::spawn`] starts the updater as tokio tasks and
//! returns a [`D2Handle`] whose [`D2Handle::submit`] never waits (a DHCP
//! worker calls it): requests beyond the queue's capacity are refused and
//! counted (`queue-mgr-queue-full`). Requests for one FQDN are carried out
//! one at a time in their order (Kea serialises those of one DHCID, i.e.
//! one client's name; ruru those of one name, whoever asks); others run
//! concurrently, at most [`Tuning::max_concurrent`] at once. A request
//! whose servers are all unreachable is tried again after each of
//! [`Tuning::retry_delays`] (Kea's D2 drops it at once), holding back the
//! later requests of its FQDN so they stay in order.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ruru_config::D2Config;
use ruru_ddns::Ncr;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;

use crate::stats::{Stat, Stats};
use crate::updater::{carry_out, Outcome, Progress};

/// How the queue runs (the parts Kea does not configure).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Requests accepted and not finished, at most (Kea's D2 queue holds
    /// 1024); [`D2Handle::submit`] refuses more.
    pub queue_capacity: usize,
    /// Requests carried out at once (different FQDNs).
    pub max_concurrent: usize,
    /// Waits before trying an unreachable request again; after the last
    /// it is dropped (logged at error level).
    pub retry_delays: Vec<Duration>,
    /// Receive NCRs over UDP on the configuration's `ip-address`/`port`
    /// (Kea's DHCP servers send there).
    pub listen: bool,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            queue_capacity: 1024,
            max_concurrent: 16,
            retry_delays: [5, 15, 30, 60, 120]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            listen: true,
        }
    }
}

/// The queue is full (or the updater stopped): the request was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the DNS update queue is full")]
pub struct QueueFull;

/// What submits requests: the handle and the UDP listener.
#[derive(Clone)]
pub(crate) struct Submitter {
    tx: mpsc::Sender<Ncr>,
    pub(crate) stats: Arc<Stats>,
    pending: Arc<AtomicUsize>,
    capacity: usize,
}

impl Submitter {
    pub(crate) fn submit(&self, ncr: Ncr) -> Result<(), QueueFull> {
        // Reserve a place first, so that the bound covers requests in the
        // channel and those being carried out.
        let prev = self.pending.fetch_add(1, Ordering::AcqRel);
        if prev >= self.capacity || self.tx.try_send(ncr).is_err() {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            self.stats.inc(Stat::QueueFull);
            return Err(QueueFull);
        }
        Ok(())
    }
}

/// The updater.
pub struct D2;

struct Inner {
    submitter: Submitter,
    listen_addr: Option<SocketAddr>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(t) = self.tasks.lock() {
            for h in t.iter() {
                h.abort();
            }
        }
    }
}

/// A handle on a running updater; clones share it. Dropping the last
/// clone (or [`D2Handle::shutdown`]) stops it; requests not carried out
/// yet are lost (logged).
#[derive(Clone)]
pub struct D2Handle {
    inner: Arc<Inner>,
}

impl D2 {
    /// Starts the updater for `cfg` on the current tokio runtime, with its
    /// NCR listener bound to `cfg.listen` when `tuning.listen` (an error
    /// if that address cannot be bound).
    pub async fn spawn(cfg: Arc<D2Config>, tuning: Tuning) -> std::io::Result<D2Handle> {
        D2::start(cfg, tuning, &tokio::runtime::Handle::current())
    }

    /// [`D2::spawn`] from outside an async context: the tasks run on
    /// `rt` (the listener's socket is bound here, at once).
    pub fn start(
        cfg: Arc<D2Config>,
        tuning: Tuning,
        rt: &tokio::runtime::Handle,
    ) -> std::io::Result<D2Handle> {
        let stats = Arc::new(Stats::new(&cfg));
        let capacity = tuning.queue_capacity.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let submitter = Submitter {
            tx,
            stats: stats.clone(),
            pending: Arc::new(AtomicUsize::new(0)),
            capacity,
        };
        let _in_rt = rt.enter();
        let mut tasks = Vec::new();
        let mut listen_addr = None;
        if tuning.listen {
            let bound = std::net::UdpSocket::bind(cfg.listen)
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .and_then(tokio::net::UdpSocket::from_std);
            let sock = bound.map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("DhcpDdns: cannot listen for NCRs on {}: {e}", cfg.listen),
                )
            })?;
            listen_addr = sock.local_addr().ok();
            tasks.push(rt.spawn(crate::listener::run(sock, submitter.clone())));
        }
        tasks.push(rt.spawn(dispatch(cfg, stats, tuning, rx, submitter.pending.clone())));
        Ok(D2Handle {
            inner: Arc::new(Inner {
                submitter,
                listen_addr,
                tasks: Mutex::new(tasks),
            }),
        })
    }
}

impl std::fmt::Debug for D2Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("D2Handle")
            .field("listen", &self.listen_addr())
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}

impl D2Handle {
    /// Queues `ncr` without waiting; `Err(QueueFull)` when the queue is
    /// full (counted as `queue-mgr-queue-full`) or the updater stopped.
    pub fn submit(&self, ncr: Ncr) -> Result<(), QueueFull> {
        self.inner.submitter.submit(ncr)
    }

    /// The statistics.
    pub fn stats(&self) -> &Stats {
        &self.inner.submitter.stats
    }

    /// Every statistic by its Kea name (see [`Stats::snapshot`]).
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        self.stats().snapshot()
    }

    /// Where the NCR listener is bound, when it runs.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.inner.listen_addr
    }

    /// Requests accepted and not finished (waiting, being carried out or
    /// waiting to be tried again).
    pub fn pending(&self) -> usize {
        self.inner.submitter.pending.load(Ordering::Acquire)
    }

    /// Stops the listener and the queue now.
    pub fn shutdown(&self) {
        if let Ok(t) = self.inner.tasks.lock() {
            for h in t.iter() {
                h.abort();
            }
        }
    }
}

/// Takes requests from the channel and runs them, one at a time per FQDN.
/// How long the dispatcher leaves the queue alone after taking requests.
const BATCH_PAUSE: Duration = Duration::from_millis(2);

async fn dispatch(
    cfg: Arc<D2Config>,
    stats: Arc<Stats>,
    tuning: Tuning,
    mut rx: mpsc::Receiver<Ncr>,
    pending: Arc<AtomicUsize>,
) {
    let sem = Arc::new(Semaphore::new(tuning.max_concurrent.max(1)));
    let delays: Arc<[Duration]> = tuning.retry_delays.into();
    // FQDN → the requests waiting behind the one being carried out.
    let mut waiting: HashMap<String, VecDeque<Ncr>> = HashMap::new();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
    // The workers: dropped (aborted) with this task.
    let mut workers = tokio::task::JoinSet::new();
    let mut closed = false;
    let start = |workers: &mut tokio::task::JoinSet<()>, ncr: Ncr, key: String| {
        let (cfg, stats, sem, delays) = (cfg.clone(), stats.clone(), sem.clone(), delays.clone());
        // Frees the FQDN and the queue place however the worker ends.
        let guard = Finished {
            key: Some(key),
            done: done_tx.clone(),
            pending: pending.clone(),
        };
        workers.spawn(async move {
            work(&cfg, &stats, &sem, &delays, ncr).await;
            drop(guard);
        });
    };
    // Requests are taken in batches: after one arrives, the queue is not
    // looked at again for BATCH_PAUSE, so that under load a DHCP worker's
    // submit does not wake this thread for each request (a cross-thread
    // wake-up costs more than the request itself); DNS waits that much
    // longer, at most.
    let pause = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(pause);
    let mut paused = false;
    let take = |ncr: Ncr,
                waiting: &mut HashMap<String, VecDeque<Ncr>>,
                workers: &mut tokio::task::JoinSet<()>| {
        let key = ncr.fqdn.to_ascii_lowercase();
        match waiting.get_mut(&key) {
            Some(q) => q.push_back(ncr),
            None => {
                waiting.insert(key.clone(), VecDeque::new());
                start(workers, ncr, key);
            }
        }
    };
    loop {
        tokio::select! {
            Some(_) = workers.join_next(), if !workers.is_empty() => {}
            () = &mut pause, if paused => paused = false,
            Some(key) = done_rx.recv() => {
                match waiting.get_mut(&key).and_then(VecDeque::pop_front) {
                    Some(next) => start(&mut workers, next, key),
                    None => {
                        waiting.remove(&key);
                    }
                }
            }
            r = rx.recv(), if !closed && !paused => match r {
                Some(ncr) => {
                    take(ncr, &mut waiting, &mut workers);
                    while let Ok(more) = rx.try_recv() {
                        take(more, &mut waiting, &mut workers);
                    }
                    pause.as_mut().reset(tokio::time::Instant::now() + BATCH_PAUSE);
                    paused = true;
                }
                None => closed = true,
            },
        }
        if closed && waiting.is_empty() {
            break;
        }
    }
}

/// Sent when a worker ends (or is dropped): its FQDN is free and its
/// queue place too.
struct Finished {
    key: Option<String>,
    done: mpsc::UnboundedSender<String>,
    pending: Arc<AtomicUsize>,
}

impl Drop for Finished {
    fn drop(&mut self) {
        self.pending.fetch_sub(1, Ordering::AcqRel);
        if let Some(k) = self.key.take() {
            let _ = self.done.send(k);
        }
    }
}

/// Carries out one request, trying again later while unreachable.
async fn work(cfg: &D2Config, stats: &Stats, sem: &Semaphore, delays: &[Duration], ncr: Ncr) {
    let mut progress = Progress::default();
    let mut tries = delays.iter();
    loop {
        let outcome = {
            let Ok(_permit) = sem.acquire().await else {
                return;
            };
            carry_out(cfg, stats, &ncr, &mut progress).await
        };
        match outcome {
            Outcome::Done => {
                tracing::info!(
                    fqdn = %ncr.fqdn, ip = %ncr.ip, change = ?ncr.change,
                    "DNS updated"
                );
                return;
            }
            // Debug level: a request for zones this updater does not
            // have is the configuration's choice, not an event (one line
            // per lease would flood the log).
            Outcome::NoDomain => {
                tracing::debug!(fqdn = %ncr.fqdn, ip = %ncr.ip, "no forward-ddns or reverse-ddns domain matches: request ignored");
                return;
            }
            Outcome::Rejected(why) => {
                tracing::warn!(fqdn = %ncr.fqdn, ip = %ncr.ip, change = ?ncr.change, "DNS update refused: {why}");
                return;
            }
            Outcome::Unreachable(why) => match tries.next() {
                Some(d) => {
                    tracing::warn!(fqdn = %ncr.fqdn, "DNS update failed ({why}): trying again in {d:?}");
                    tokio::time::sleep(*d).await;
                }
                None => {
                    tracing::error!(fqdn = %ncr.fqdn, ip = %ncr.ip, change = ?ncr.change, "DNS update failed ({why}): giving up");
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DHCP workers on any thread hold clones of the handle.
    #[test]
    fn handle_is_shareable() {
        fn check<T: Send + Sync + Clone + 'static>() {}
        check::<D2Handle>();
    }
}
