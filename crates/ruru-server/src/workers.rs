//! Packet workers: receive, run the engine on one config snapshot, send.
//!
//! Each socket gets one or more OS threads doing blocking receives (the
//! engine and memfile are synchronous, so a thread per core is the simplest
//! fast design). A receive timeout lets workers see the shutdown flag.
//!
//! A reply parked by a hook library goes to the engine's parking lot with
//! a closure that finishes it on the same engine and socket when the
//! library unparks it ([`park`]).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use ruru_engine::{Outcome4, Parked4, RecvMeta, Reply4, Stat, Stats};
use ruru_net::{SendTo, Socket4};
use tracing::{debug, error, warn};

use crate::state::{Running, Shared};

/// Largest datagram we read; anything longer is truncated and then fails
/// to parse (counted).
const BUF_LEN: usize = 4096;

/// Starts `per_socket` workers on each socket.
pub fn spawn(
    shared: Arc<Shared>,
    sockets: &[Socket4],
    per_socket: usize,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Vec<JoinHandle<()>>> {
    let mut handles = Vec::new();
    for s in sockets {
        for i in 0..per_socket.max(1) {
            let sock = s.try_clone()?;
            let shared = shared.clone();
            let stop = stop.clone();
            let h = std::thread::Builder::new()
                .name(format!("ruru-{}-{i}", s.iface()))
                .spawn(move || run(&shared, &sock, &stop))?;
            handles.push(h);
        }
    }
    Ok(handles)
}

fn run(shared: &Shared, sock: &Socket4, stop: &AtomicBool) {
    let mut buf = vec![0u8; BUF_LEN];
    let iface: Arc<str> = Arc::from(sock.iface());
    while !stop.load(Ordering::Relaxed) {
        let rx = match sock.recv(&mut buf) {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => {
                warn!(iface = %sock.iface(), error = %e, "receive failed");
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            }
        };
        let src = rx.src;
        let meta = RecvMeta {
            src,
            local: sock.local(),
            iface: Some(iface.clone()),
        };
        let now = crate::now();
        if shared.disabled(now) {
            // dhcp-disable: received, counted, dropped.
            shared.stats.inc(Stat::Pkt4Received);
            shared.stats.inc(Stat::Pkt4ReceiveDrop);
            shared.stats.inc(Stat::Pkt4DropServiceDisabled);
            continue;
        }
        // One snapshot for the whole packet.
        let running = shared.snapshot();
        // A panic while handling one packet (a bug, or a decoder assertion on
        // hostile input) drops that packet and is counted; the worker lives on.
        let out = std::panic::catch_unwind(AssertUnwindSafe(|| {
            running
                .engine
                .process(shared.store.as_ref(), &buf[rx.payload.clone()], &meta, now)
        }));
        let out = match out {
            Ok(o) => o,
            Err(_) => {
                shared.stats.inc(Stat::Pkt4ReceiveDrop);
                shared.stats.inc(Stat::Pkt4ProcessingPanic);
                error!(%src, "packet processing panicked; packet dropped");
                continue;
            }
        };
        match out {
            Outcome4::Reply(r) => send(sock, &r, &shared.stats),
            Outcome4::Parked(p) => match sock.try_clone() {
                Ok(s) => park(running, s, shared.stats.clone(), p),
                Err(e) => {
                    warn!(error = %e, "cannot keep a socket for a parked reply; dropped");
                    running.engine.drop_parked(&p);
                }
            },
            Outcome4::Done | Outcome4::Drop(_) => {}
        }
    }
}

fn send(sock: &Socket4, r: &Reply4, stats: &Stats) {
    let dest = SendTo {
        addr: r.dest.addr,
        port: r.dest.port,
        link_unicast: r.dest.link_unicast,
        chaddr: &r.chaddr,
        htype: r.htype,
    };
    if let Err(e) = sock.send(&r.bytes, &dest) {
        stats.inc(Stat::Pkt4SendFailed);
        debug!(dest = %r.dest.addr, error = %e, "send failed");
    }
}

/// Hands a parked reply to the parking lot of the engine that parked it;
/// when its library unparks it, the reply is finished there (it may be
/// parked again at `pkt4_send`) and sent on `sock`.
fn park(running: Arc<Running>, sock: Socket4, stats: Arc<Stats>, p: Box<Parked4>) {
    let id = p.id;
    let engine_of = running.clone();
    engine_of.engine.hold(
        id,
        Box::new(move |go| {
            if !go {
                running.engine.drop_parked(&p);
                return;
            }
            let out = std::panic::catch_unwind(AssertUnwindSafe(|| running.engine.resume(*p)));
            match out {
                Ok(Outcome4::Reply(r)) => send(&sock, &r, &stats),
                Ok(Outcome4::Parked(p)) => park(running, sock, stats, p),
                Ok(Outcome4::Done | Outcome4::Drop(_)) => {}
                Err(_) => {
                    stats.inc(Stat::Pkt4ReceiveDrop);
                    stats.inc(Stat::Pkt4ProcessingPanic);
                    error!(id, "finishing a parked reply panicked; dropped");
                }
            }
        }),
    );
}
