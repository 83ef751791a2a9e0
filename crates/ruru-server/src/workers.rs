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
//! library unparks it ([`park`]).

use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use ruru_engine::{Stat, Stats};
use ruru_lease::LeaseStore;
use tracing::{debug, error, warn};

/// What the engine made of one packet, in either family.
pub enum Outcome<R, P> {
    /// Send this reply.
    Reply(R),
    /// A hook library parked the reply; see [`park`].
    Parked(Box<P>),
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
    type Meta;
    /// What one packet holds on to from start to end (the configuration
    /// generation and its engine).
    type Snap: Clone + Send + Sync + 'static;
    type Reply;
    type Parked: Send + 'static;

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
    fn process(
        snap: &Self::Snap,
        store: &dyn LeaseStore,
        bytes: &[u8],
        meta: &Self::Meta,
        now: u64,
    ) -> Outcome<Self::Reply, Self::Parked>;
    fn resume(snap: &Self::Snap, p: Self::Parked) -> Outcome<Self::Reply, Self::Parked>;
    fn parked_id(p: &Self::Parked) -> u64;
    fn drop_parked(snap: &Self::Snap, p: &Self::Parked);
    fn hold(snap: &Self::Snap, id: u64, finish: ruru_engine::hooks::Finish);
    /// Sends a reply; the error is counted in [`Family::SEND_FAILED`].
    fn send(sock: &Self::Socket, r: &Self::Reply) -> std::io::Result<()>;
}

/// The service a family's workers serve.
pub trait Service<F: Family>: Send + Sync + 'static {
    /// `dhcp-disable`, or a lost database under `stop-retry-exit`.
    fn disabled(&self, now: u64) -> bool;
    /// The snapshot one packet uses to its end.
    fn snapshot(&self) -> F::Snap;
    fn store(&self) -> &dyn LeaseStore;
    fn stats(&self) -> &Arc<Stats>;
}

/// Starts `per_socket` workers on `sock`; they end when `stop` or
/// `closed` is set.
pub fn spawn<F: Family, S: Service<F>>(
    svc: Arc<S>,
    sock: &F::Socket,
    per_socket: usize,
    stop: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut handles = Vec::new();
    for i in 0..per_socket.max(1) {
        let s = F::try_clone(sock)?;
        let (svc, stop, closed) = (svc.clone(), stop.clone(), closed.clone());
        let h = std::thread::Builder::new()
            .name(format!("{}-{}-{i}", F::THREAD, F::iface(sock)))
            .spawn(move || run::<F, S>(&*svc, &s, &stop, &closed))?;
        handles.push(h);
    }
    Ok(handles)
}

fn run<F: Family, S: Service<F>>(
    svc: &S,
    sock: &F::Socket,
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
        let now = crate::now();
        let stats = svc.stats();
        if svc.disabled(now) {
            // dhcp-disable: received, counted, dropped.
            stats.inc(F::RECEIVED);
            stats.inc(F::RECEIVE_DROP);
            stats.inc(F::DROP_DISABLED);
            continue;
        }
        // One snapshot for the whole packet.
        let snap = svc.snapshot();
        // A panic while handling one packet (a bug, or a decoder assertion on
        // hostile input) drops that packet and is counted; the worker lives on.
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            F::process(&snap, svc.store(), &buf[payload.clone()], &meta, now)
        }));
        match out {
            Ok(Outcome::Reply(r)) => send::<F>(sock, &r, stats),
            Ok(Outcome::Parked(p)) => match F::try_clone(sock) {
                Ok(s) => park::<F>(snap, s, stats.clone(), p),
                Err(e) => {
                    warn!(family = F::NAME, error = %e, "cannot keep a socket for a parked reply; dropped");
                    F::drop_parked(&snap, &p);
                }
            },
            Ok(Outcome::Done) => {}
            Err(_) => {
                stats.inc(F::RECEIVE_DROP);
                stats.inc(F::PROCESSING_PANIC);
                error!(family = F::NAME, iface = %iface, "packet processing panicked; packet dropped");
            }
        }
    }
}

fn send<F: Family>(sock: &F::Socket, r: &F::Reply, stats: &Stats) {
    if let Err(e) = F::send(sock, r) {
        stats.inc(F::SEND_FAILED);
        debug!(family = F::NAME, error = %e, "send failed");
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
