//! Packet workers of both families, written once: receive, run the engine
//! on one configuration snapshot, send (DESIGN.md principle 7).
//!
//! Each socket gets one or more OS threads doing blocking receives (the
//! engine and memfile are synchronous, so a thread per core is the simplest
//! fast design). A receive timeout lets workers see the stop flags.
//!
//! What differs between DHCPv4 and DHCPv6 (the socket, the engine, the
//! statistic names) is the [`Family`] trait; its two implementations are
//! [`crate::v4::V4`] and [`crate::v6::V6`]. The service a worker serves
//! ([`Service`], implemented by [`crate::service::FamilyService`]) says
//! whether it is disabled and hands out the snapshot a packet uses to its
//! end.
//!
//! A reply parked by a hook library goes to the engine's parking lot with
//! a closure that finishes it on the same snapshot and socket when the
//! library unparks it ([`park`]). An OFFER held for the built-in ping
//! check of its address goes to the service's [`crate::ping::Prober`] the
//! same way ([`probe`]).
//!
//! With Kea's `dhcp-queue-control` (`kea-ring4` / `kea-ring6`), a socket
//! has one receiver thread that puts each packet in a [`Ring`] of the
//! configured capacity, dropping the oldest when it is full as Kea's ring
//! does, and its workers take packets from the ring instead of the socket.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ruru_engine::{Stat, Stats};
use ruru_lease::LeaseStore;
use tracing::{debug, error, warn};

/// What the engine made of one packet, in either family.
pub enum Outcome<R, P, Q> {
    /// Send this reply.
    Reply(R),
    /// A hook library parked the reply; see [`park`].
    Parked(Box<P>),
    /// The OFFER waits for the ping check of its address; see [`probe`].
    Probe(Box<Q>),
    /// Nothing to send (processed without an answer, or dropped: the
    /// engine counted and logged why).
    Done,
}

/// What differs between the families' workers.
pub trait Family: Sized + 'static {
    /// `DHCPv4`, `DHCPv6` (log lines and thread names).
    const NAME: &'static str;
    /// Thread name prefix (`ruru`, `ruru6`).
    const THREAD: &'static str;
    /// Largest datagram read.
    const BUF_LEN: usize;
    /// `pkt4-received` / `pkt6-received`, counted for packets dropped while
    /// the service is disabled (the engine counts the others).
    const RECEIVED: Stat;
    const RECEIVE_DROP: Stat;
    const DROP_DISABLED: Stat;
    const PROCESSING_PANIC: Stat;
    const SEND_FAILED: Stat;
    type Socket: Send + 'static;
    type Meta: Send + 'static;
    /// What one packet holds on to from start to end (the configuration
    /// generation and its engine).
    type Snap: Clone + Send + Sync + 'static;
    type Reply;
    type Parked: Send + 'static;
    /// A reply held for the built-in ping check of its address (DHCPv4's
    /// OFFER; DHCPv6 has none).
    type Probed: Send + 'static;

    /// The socket's interface name.
    fn iface(sock: &Self::Socket) -> &str;
    fn try_clone(sock: &Self::Socket) -> std::io::Result<Self::Socket>;
    /// Receives one datagram into `buf`: the payload's range and what the
    /// engine needs to know of it; `None` on a receive timeout.
    fn recv(
        sock: &Self::Socket,
        buf: &mut [u8],
        iface: &Arc<str>,
    ) -> std::io::Result<Option<(Range<usize>, Self::Meta)>>;
    /// Runs the engine; `admit` is what the built-in HA decided or
    /// decides about the query (its scope class, its subnet's
    /// relationship).
    fn process(
        snap: &Self::Snap,
        store: &dyn LeaseStore,
        bytes: &[u8],
        meta: &Self::Meta,
        now: u64,
        admit: &ruru_engine::Admit<'_>,
    ) -> Outcome<Self::Reply, Self::Parked, Self::Probed>;
    fn resume(
        snap: &Self::Snap,
        p: Self::Parked,
    ) -> Outcome<Self::Reply, Self::Parked, Self::Probed>;
    fn parked_id(p: &Self::Parked) -> u64;
    fn drop_parked(snap: &Self::Snap, p: &Self::Parked);
    fn hold(snap: &Self::Snap, id: u64, finish: ruru_engine::hooks::Finish);
    /// The address, requests and reply timeout of a held reply's check.
    fn probe(p: &Self::Probed) -> (std::net::Ipv4Addr, u32, Duration);
    /// How many replies may wait for a check at once (the section's
    /// `parked-packet-limit`, as Kea counts a query its ping check parks;
    /// `usize::MAX`: no limit).
    fn held_limit(_snap: &Self::Snap) -> usize {
        usize::MAX
    }
    /// Finishes a held reply whose address did not answer.
    fn probe_free(
        snap: &Self::Snap,
        p: Self::Probed,
    ) -> Outcome<Self::Reply, Self::Parked, Self::Probed>;
    /// Declines the address of a held reply that answered (the reply is
    /// discarded).
    fn probe_in_use(snap: &Self::Snap, store: &dyn LeaseStore, p: &Self::Probed, now: u64);
    /// Counts a held reply that will never be sent.
    fn drop_probed(snap: &Self::Snap, p: &Self::Probed);
    /// Sends a reply; the error is counted in [`Family::SEND_FAILED`].
    fn send(sock: &Self::Socket, r: &Self::Reply) -> std::io::Result<()>;
    /// Whether datagrams `sock` already received wait to be handed out:
    /// the worker then holds its replies and sends them together
    /// ([`Family::send_many`]) once they are handled.
    fn pending(_sock: &Self::Socket) -> bool {
        false
    }
    /// Sends several replies; how many failed, and the last error.
    fn send_many(sock: &Self::Socket, rs: &[Self::Reply]) -> (usize, Option<std::io::Error>) {
        let mut failed = 0;
        let mut last = None;
        for r in rs {
            if let Err(e) = Self::send(sock, r) {
                failed += 1;
                last = Some(e);
            }
        }
        (failed, last)
    }
}

/// The service a family's workers serve.
pub trait Service<F: Family>: Send + Sync + 'static {
    /// `dhcp-disable`, or a lost database under `stop-retry-exit`.
    fn disabled(&self, now: u64) -> bool;
    /// The snapshot one packet uses to its end.
    fn snapshot(&self) -> F::Snap;
    fn store(&self) -> &dyn LeaseStore;
    fn stats(&self) -> &Arc<Stats>;
    /// The built-in HA service, when configured.
    fn ha(&self) -> Option<Arc<crate::ha::HaSet>> {
        None
    }
    /// The built-in ping check's thread (started on first use); `None`
    /// when its socket cannot be opened.
    fn prober(&self) -> Option<&crate::ping::Prober> {
        None
    }
}

/// A bounded queue of received packets (Kea's `kea-ring4`/`kea-ring6`):
/// when it is full, a new packet pushes the oldest out.
pub struct Ring<T> {
    queue: Mutex<VecDeque<T>>,
    ready: Condvar,
    capacity: usize,
}

impl<T> Ring<T> {
    pub fn new(capacity: usize) -> Self {
        Ring {
            queue: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Adds `t`; returns whether the oldest packet was dropped for it.
    pub fn push(&self, t: T) -> bool {
        let mut q = crate::lock(&self.queue);
        let dropped = q.len() >= self.capacity && q.pop_front().is_some();
        q.push_back(t);
        drop(q);
        self.ready.notify_one();
        dropped
    }

    /// The oldest packet, waiting at most `wait` for one.
    pub fn pop(&self, wait: Duration) -> Option<T> {
        let q = crate::lock(&self.queue);
        let (mut q, _) = self
            .ready
            .wait_timeout_while(q, wait, |q| q.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        q.pop_front()
    }
}

/// A packet in a [`Ring`]: its bytes and where it came from.
struct Received<M> {
    bytes: Vec<u8>,
    meta: M,
}

/// Starts `per_socket` workers on `sock`, with a receiver thread and a
/// ring of `queue` packets when given; they end when `stop` or `closed`
/// is set.
pub fn spawn<F: Family, S: Service<F>>(
    svc: Arc<S>,
    sock: &F::Socket,
    per_socket: usize,
    queue: Option<usize>,
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut handles = Vec::new();
    if let Some(capacity) = queue {
        let ring = Arc::new(Ring::<Received<F::Meta>>::new(capacity));
        let s = F::try_clone(sock)?;
        let (svc2, stop2, closed2, ring2) =
            (svc.clone(), stop.clone(), closed.clone(), ring.clone());
        handles.push(
            std::thread::Builder::new()
                .name(format!("{}-{}-rx", F::THREAD, F::iface(sock)))
                .spawn(move || receive::<F, S>(&*svc2, &s, &ring2, &stop2, &closed2))?,
        );
        for i in 0..per_socket.max(1) {
            let s = F::try_clone(sock)?;
            let (svc, stop, closed, ring) =
                (svc.clone(), stop.clone(), closed.clone(), ring.clone());
            let h = std::thread::Builder::new()
                .name(format!("{}-{}-{i}", F::THREAD, F::iface(sock)))
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) && !closed.load(Ordering::Relaxed) {
                        if let Some(p) = ring.pop(crate::sockets::POLL) {
                            if let Some(r) = handle::<F, S>(&svc, &s, &p.bytes, &p.meta) {
                                send::<F>(&s, &r, svc.stats());
                            }
                        }
                    }
                })?;
            handles.push(h);
        }
        return Ok(handles);
    }
    for i in 0..per_socket.max(1) {
        let s = F::try_clone(sock)?;
        let (svc, stop, closed) = (svc.clone(), stop.clone(), closed.clone());
        let h = std::thread::Builder::new()
            .name(format!("{}-{}-{i}", F::THREAD, F::iface(sock)))
            .spawn(move || run::<F, S>(&svc, &s, &stop, &closed))?;
        handles.push(h);
    }
    Ok(handles)
}

/// The receiver thread of a socket with a [`Ring`]: every packet goes in
/// the ring; one pushed out of a full ring is counted as received and
/// dropped (`pkt4-receive-drop` / `pkt6-receive-drop`).
fn receive<F: Family, S: Service<F>>(
    svc: &S,
    sock: &F::Socket,
    ring: &Ring<Received<F::Meta>>,
    stop: &AtomicBool,
    closed: &AtomicBool,
) {
    let mut buf = vec![0u8; F::BUF_LEN];
    let iface: Arc<str> = Arc::from(F::iface(sock));
    while !stop.load(Ordering::Relaxed) && !closed.load(Ordering::Relaxed) {
        let (payload, meta) = match F::recv(sock, &mut buf, &iface) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                warn!(family = F::NAME, iface = %iface, error = %e, "receive failed");
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        let bytes = buf.get(payload).map(<[u8]>::to_vec).unwrap_or_default();
        if ring.push(Received { bytes, meta }) {
            let stats = svc.stats();
            stats.inc(F::RECEIVED);
            stats.inc(F::RECEIVE_DROP);
            debug!(family = F::NAME, iface = %iface, "packet queue full: oldest packet dropped");
        }
    }
}

fn run<F: Family, S: Service<F>>(
    svc: &Arc<S>,
    sock: &F::Socket,
    stop: &AtomicBool,
    closed: &AtomicBool,
) {
    let mut buf = vec![0u8; F::BUF_LEN];
    let iface: Arc<str> = Arc::from(F::iface(sock));
    // Replies to the datagrams of one batch, sent together after its last.
    let mut out: Vec<F::Reply> = Vec::with_capacity(ruru_net::batch::BATCH);
    while !stop.load(Ordering::Relaxed) && !closed.load(Ordering::Relaxed) {
        let (payload, meta) = match F::recv(sock, &mut buf, &iface) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                warn!(family = F::NAME, iface = %iface, error = %e, "receive failed");
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        if let Some(r) = handle::<F, S>(svc, sock, &buf[payload], &meta) {
            out.push(r);
        }
        // Every reply leaves before the worker waits for more.
        if !F::pending(sock) || out.len() >= ruru_net::batch::BATCH {
            match out.len() {
                0 => {}
                1 => send::<F>(sock, &out[0], svc.stats()),
                _ => {
                    let (failed, last) = F::send_many(sock, &out);
                    if failed > 0 {
                        svc.stats()
                            .add(F::SEND_FAILED, i64::try_from(failed).unwrap_or(i64::MAX));
                        if let Some(e) = last {
                            debug!(family = F::NAME, error = %e, failed, "send failed");
                        }
                    }
                }
            }
            out.clear();
        }
    }
}

/// Processes one received packet: the reply to send on `sock` (a parked
/// or held one is sent when it is finished).
fn handle<F: Family, S: Service<F>>(
    svc: &Arc<S>,
    sock: &F::Socket,
    bytes: &[u8],
    meta: &F::Meta,
) -> Option<F::Reply> {
    {
        let iface = F::iface(sock);
        let now = crate::now();
        let stats = svc.stats();
        if svc.disabled(now) {
            // dhcp-disable: received, counted, dropped.
            stats.inc(F::RECEIVED);
            stats.inc(F::RECEIVE_DROP);
            stats.inc(F::DROP_DISABLED);
            return None;
        }
        // HA: a query in a scope this server does not serve is dropped
        // (and looked at for the partner's failure): here with one
        // relationship, once the subnet is selected with several (Kea
        // 2.6's hub-and-spoke), by the gate.
        let ha = svc.ha();
        let chosen = Cell::new(None);
        let gate = |name: Option<&ruru_config::HaServerName>| {
            ha.as_ref()
                .is_some_and(|set| set.gate(name, bytes, &chosen))
        };
        let admit = match &ha {
            None => ruru_engine::Admit::default(),
            Some(set) if set.hub() => ruru_engine::Admit {
                class: None,
                subnet: Some(&gate),
            },
            Some(set) => match set.first().and_then(|r| r.admit(bytes)) {
                Some(class) => ruru_engine::Admit {
                    class,
                    subnet: None,
                },
                None => {
                    stats.inc(F::RECEIVED);
                    stats.inc(F::RECEIVE_DROP);
                    debug!(family = F::NAME, iface = %iface, "not in a served HA scope: dropped");
                    return None;
                }
            },
        };
        // One snapshot for the whole packet.
        let snap = svc.snapshot();
        // With HA, the store records the packet's lease changes, which go
        // to the partner before the reply leaves.
        let recorder = ha.as_ref().map(|_| crate::ha::Recorder::new(svc.store()));
        let store: &dyn LeaseStore = match &recorder {
            Some(r) => r,
            None => svc.store(),
        };
        // A panic while handling one packet (a bug, or a decoder assertion on
        // hostile input) drops that packet and is counted; the worker lives on.
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            F::process(&snap, store, bytes, meta, now, &admit)
        }));
        if let (Some(set), Some(rec), Ok(_)) = (&ha, &recorder, &out) {
            // A RELEASE has no reply but its deletion goes to the partner:
            // the partner of the subnet's relationship in hub-and-spoke.
            let changes = rec.take();
            let rel = if set.hub() {
                chosen.get().and_then(|i| set.rels.get(i))
            } else {
                set.first()
            };
            let sent = match rel {
                Some(r) => r.replicate(&changes),
                None => changes.is_empty(),
            };
            if !sent {
                stats.inc(F::RECEIVE_DROP);
                debug!(family = F::NAME, iface = %iface, "lease update to the HA partner failed: reply dropped");
                match &out {
                    Ok(Outcome::Parked(p)) => F::drop_parked(&snap, p),
                    Ok(Outcome::Probe(p)) => F::drop_probed(&snap, p),
                    _ => {}
                }
                return None;
            }
        }
        match out {
            Ok(Outcome::Reply(r)) => return Some(r),
            Ok(Outcome::Parked(p)) => match F::try_clone(sock) {
                Ok(s) => park::<F>(snap, s, stats.clone(), p),
                Err(e) => {
                    warn!(family = F::NAME, error = %e, "cannot keep a socket for a parked reply; dropped");
                    F::drop_parked(&snap, &p);
                }
            },
            Ok(Outcome::Probe(p)) => probe::<F, S>(svc, snap, sock, p),
            Ok(Outcome::Done) => {}
            Err(_) => {
                stats.inc(F::RECEIVE_DROP);
                stats.inc(F::PROCESSING_PANIC);
                error!(family = F::NAME, iface = %iface, "packet processing panicked; packet dropped");
            }
        }
        None
    }
}

fn send<F: Family>(sock: &F::Socket, r: &F::Reply, stats: &Stats) {
    if let Err(e) = F::send(sock, r) {
        stats.inc(F::SEND_FAILED);
        debug!(family = F::NAME, error = %e, "send failed");
    }
}

/// Hands an OFFER held for the ping check of its address to the service's
/// prober; when the check concludes, the OFFER is finished on the same
/// snapshot and sent on `sock` (no answer), or the address is declined
/// (it answered). Without a prober (no ICMP socket) it goes out at once.
fn probe<F: Family, S: Service<F>>(
    svc: &Arc<S>,
    snap: F::Snap,
    sock: &F::Socket,
    p: Box<F::Probed>,
) {
    let stats = svc.stats().clone();
    let Some(prober) = svc.prober() else {
        finish_probed::<F>(&snap, sock, &stats, *p);
        return;
    };
    // Each held OFFER keeps a socket descriptor: a flood of DISCOVERs
    // must not run the process out of them.
    if prober.held() >= F::held_limit(&snap) {
        debug!(
            family = F::NAME,
            "too many OFFERs waiting for their ping check (parked-packet-limit): DISCOVER dropped"
        );
        // Counted as a drop (pkt4-receive-drop, pkt4-drop-hook).
        F::drop_probed(&snap, &p);
        return;
    }
    let sock = match F::try_clone(sock) {
        Ok(s) => s,
        Err(e) => {
            warn!(family = F::NAME, error = %e, "cannot keep a socket for an OFFER being checked; dropped");
            F::drop_probed(&snap, &p);
            return;
        }
    };
    let (addr, requests, timeout) = F::probe(&p);
    let svc2 = svc.clone();
    prober.check(crate::ping::Check {
        addr,
        requests,
        timeout,
        then: Box::new(move |verdict| {
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| match verdict {
                crate::ping::Verdict::Free => finish_probed::<F>(&snap, &sock, &stats, *p),
                crate::ping::Verdict::InUse => decline_in_use::<F, S>(&svc2, &snap, &p),
                crate::ping::Verdict::Duplicate | crate::ping::Verdict::Stopped => {
                    F::drop_probed(&snap, &p);
                }
            }));
            if r.is_err() {
                stats.inc(F::RECEIVE_DROP);
                stats.inc(F::PROCESSING_PANIC);
                error!(
                    family = F::NAME,
                    "finishing a checked OFFER panicked; dropped"
                );
            }
        }),
    });
}

/// Declines the address of a held OFFER that answered its ping check.
/// With HA the declined lease goes to the partner, as Kea's HA library
/// sends it at `lease4_server_decline` (to the first relationship, as
/// Kea does).
fn decline_in_use<F: Family, S: Service<F>>(svc: &Arc<S>, snap: &F::Snap, p: &F::Probed) {
    let ha = svc.ha();
    let recorder = ha.as_ref().map(|_| crate::ha::Recorder::new(svc.store()));
    let store: &dyn LeaseStore = match &recorder {
        Some(r) => r,
        None => svc.store(),
    };
    F::probe_in_use(snap, store, p, crate::now());
    if let (Some(set), Some(rec)) = (&ha, &recorder) {
        let changes = rec.take();
        let sent = changes.is_empty() || set.first().is_some_and(|r| r.replicate(&changes));
        if !sent {
            debug!(
                family = F::NAME,
                "the server-declined lease did not reach the HA partner"
            );
        }
    }
}

/// Finishes a held OFFER whose address is free and sends it.
fn finish_probed<F: Family>(snap: &F::Snap, sock: &F::Socket, stats: &Arc<Stats>, p: F::Probed) {
    match F::probe_free(snap, p) {
        Outcome::Reply(r) => send::<F>(sock, &r, stats),
        Outcome::Parked(p) => match F::try_clone(sock) {
            Ok(s) => park::<F>(snap.clone(), s, stats.clone(), p),
            Err(_) => F::drop_parked(snap, &p),
        },
        Outcome::Probe(p) => F::drop_probed(snap, &p),
        Outcome::Done => {}
    }
}

/// Hands a parked reply to the parking lot of the engine that parked it;
/// when its library unparks it, the reply is finished there (it may be
/// parked again at the send hook point) and sent on `sock`.
fn park<F: Family>(snap: F::Snap, sock: F::Socket, stats: Arc<Stats>, p: Box<F::Parked>) {
    let id = F::parked_id(&p);
    let holder = snap.clone();
    F::hold(
        &holder,
        id,
        Box::new(move |go| {
            if !go {
                F::drop_parked(&snap, &p);
                return;
            }
            match std::panic::catch_unwind(AssertUnwindSafe(|| F::resume(&snap, *p))) {
                Ok(Outcome::Reply(r)) => send::<F>(&sock, &r, &stats),
                Ok(Outcome::Parked(p)) => park::<F>(snap, sock, stats, p),
                // A resumed reply is not checked again.
                Ok(Outcome::Probe(p)) => F::drop_probed(&snap, &p),
                Ok(Outcome::Done) => {}
                Err(_) => {
                    stats.inc(F::RECEIVE_DROP);
                    stats.inc(F::PROCESSING_PANIC);
                    error!(
                        family = F::NAME,
                        id, "finishing a parked reply panicked; dropped"
                    );
                }
            }
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_ring_drops_its_oldest_packet() {
        let r = Ring::new(2);
        assert!(!r.push(1));
        assert!(!r.push(2));
        assert!(r.push(3), "full: the oldest goes");
        assert_eq!(r.pop(Duration::ZERO), Some(2));
        assert_eq!(r.pop(Duration::ZERO), Some(3));
        assert_eq!(r.pop(Duration::from_millis(10)), None);
    }

    #[test]
    fn a_waiting_worker_gets_the_next_packet() {
        let r = Arc::new(Ring::new(4));
        let r2 = r.clone();
        let t = std::thread::spawn(move || r2.pop(Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        r.push(7);
        assert_eq!(t.join().unwrap(), Some(7));
    }
}
