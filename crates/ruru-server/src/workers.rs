//! Packet workers: receive, run the engine on one config snapshot, send.
//!
//! Each socket gets one or more OS threads doing blocking receives (the
//! engine and memfile are synchronous, so a thread per core is the simplest
//! fast design). A receive timeout lets workers see the shutdown flag.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use ruru_engine::{Outcome4, RecvMeta, Stat};
use ruru_net::{SendTo, Socket4};
use tracing::{debug, error, warn};

use crate::state::Shared;

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
        if let Outcome4::Reply(r) = out {
            // buffer4_send: (hook point) the encoded reply.
            let dest = SendTo {
                addr: r.dest.addr,
                port: r.dest.port,
                link_unicast: r.dest.link_unicast,
                chaddr: &r.chaddr,
                htype: r.htype,
            };
            if let Err(e) = sock.send(&r.bytes, &dest) {
                shared.stats.inc(Stat::Pkt4SendFailed);
                debug!(dest = %r.dest.addr, error = %e, "send failed");
            }
        }
    }
}
