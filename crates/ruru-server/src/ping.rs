//! The built-in ping check's ICMP half (Kea's `libdhcp_ping_check.so`):
//! a [`Prober`] checks whether an address answers ICMP ECHO REQUESTs
//! before its OFFER goes out (the engine decides which OFFERs wait, see
//! `ruru_engine::v4::ping`).
//!
//! One thread per service owns a raw ICMP socket ([`ruru_net::icmp`]).
//! Workers hand it a [`Check`] with what to do once it concludes, and go
//! on serving other clients meanwhile (Kea parks the query the same
//! way). For each address, as Kea's library:
//! - an ECHO REQUEST is sent; when no reply came within the reply
//!   timeout, another one, until `min-ping-requests` went unanswered:
//!   the address is [`Verdict::Free`];
//! - an ECHO REPLY from the address (any, as Kea's: it shows a host is
//!   there) makes it [`Verdict::InUse`];
//! - a DESTINATION UNREACHABLE quoting a request to it, or a send that
//!   fails (network unreachable, no buffer space, a broadcast address),
//!   means it could not be checked: [`Verdict::Free`];
//! - a second check of an address already being checked is refused
//!   ([`Verdict::Duplicate`]: Kea drops that DISCOVER).
//!
//! What follows a verdict (finishing and sending the OFFER, or declining
//! the address) runs on this thread. When the socket cannot be opened
//! (no `CAP_NET_RAW`), an error is logged once and OFFERs go out
//! unchecked, as with Kea's channel closed.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ruru_net::icmp::{self, Icmp, IcmpSocket};
use tracing::{debug, error, info, warn};

/// How long the thread waits for work when no check is running (it looks
/// at the stop flag in between).
const IDLE: Duration = Duration::from_millis(200);
/// The longest the thread reads the socket before it looks for new
/// checks: a new check's first request waits at most this long.
const SLICE: Duration = Duration::from_millis(5);

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No answer (or the address could not be checked): offer it.
    Free,
    /// The address answered: another host uses it.
    InUse,
    /// Another check of the address is running: this one is dropped.
    Duplicate,
    /// The service stops: the check is dropped.
    Stopped,
}

/// What to do once a check concludes.
pub type Then = Box<dyn FnOnce(Verdict) + Send>;

/// One address to check.
pub struct Check {
    pub addr: Ipv4Addr,
    /// ECHO REQUESTs that must go unanswered (at least 1).
    pub requests: u32,
    /// How long a reply to each is waited for.
    pub timeout: Duration,
    pub then: Then,
}

/// The ping check thread of a service.
pub struct Prober {
    tx: Mutex<Sender<Check>>,
    /// Checks handed over and not concluded yet (each holds an OFFER and
    /// a socket descriptor): bounded by the caller, as Kea bounds parked
    /// packets with `parked-packet-limit`.
    held: Arc<AtomicUsize>,
}

impl Prober {
    /// Opens the ICMP socket and starts the thread, which ends when `stop`
    /// is set (dropping the checks still running).
    pub fn start(thread: &str, stop: Arc<AtomicBool>) -> std::io::Result<Prober> {
        let sock = icmp::open()?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(thread.to_string())
            .spawn(move || Checks::new(sock).run(&rx, &stop))?;
        info!("ping check: ICMP socket open");
        Ok(Prober {
            tx: Mutex::new(tx),
            held: Arc::default(),
        })
    }

    /// How many checks are in progress.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Starts `check`; when the thread is gone, it concludes at once
    /// ([`Verdict::Free`]: the OFFER goes out unchecked).
    pub fn check(&self, mut check: Check) {
        let held = self.held.clone();
        held.fetch_add(1, Ordering::Relaxed);
        let then = check.then;
        check.then = Box::new(move |v| {
            held.fetch_sub(1, Ordering::Relaxed);
            then(v);
        });
        if let Err(mpsc::SendError(c)) = crate::lock(&self.tx).send(check) {
            (c.then)(Verdict::Free);
        }
    }
}

/// A check in progress.
struct Running {
    then: Then,
    /// ECHO REQUESTs still to send after the one waited for.
    left: u32,
    timeout: Duration,
    deadline: Instant,
}

/// The thread's state: the socket and the checks by address.
struct Checks {
    sock: IcmpSocket,
    running: HashMap<Ipv4Addr, Running>,
    /// The identifier of our requests (from the process id, as ping(8)).
    id: u16,
    seq: u16,
}

impl Checks {
    fn new(sock: IcmpSocket) -> Self {
        Checks {
            sock,
            running: HashMap::new(),
            id: (std::process::id() & 0xffff) as u16,
            seq: 0,
        }
    }

    fn run(mut self, rx: &Receiver<Check>, stop: &AtomicBool) {
        let mut buf = vec![0u8; 1500];
        while !stop.load(Ordering::Relaxed) {
            // New checks: waited for when there is nothing else to do.
            let wait = if self.running.is_empty() {
                IDLE
            } else {
                Duration::ZERO
            };
            match rx.recv_timeout(wait) {
                Ok(c) => {
                    self.start(c);
                    while let Ok(c) = rx.try_recv() {
                        self.start(c);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if self.running.is_empty() {
                continue;
            }
            self.read(&mut buf);
            self.expire();
        }
        for (_, r) in self.running.drain() {
            (r.then)(Verdict::Stopped);
        }
    }

    fn start(&mut self, c: Check) {
        if self.running.contains_key(&c.addr) {
            debug!(addr = %c.addr, "ping check: the address is being checked already; DISCOVER dropped");
            (c.then)(Verdict::Duplicate);
            return;
        }
        let r = Running {
            then: c.then,
            left: c.requests.saturating_sub(1),
            timeout: c.timeout,
            deadline: Instant::now() + c.timeout,
        };
        debug!(addr = %c.addr, requests = c.requests, timeout_ms = c.timeout.as_millis(), "ping check: started");
        if self.send(c.addr) {
            self.running.insert(c.addr, r);
        } else {
            (r.then)(Verdict::Free);
        }
    }

    /// Sends an ECHO REQUEST to `addr`; false when it could not go (the
    /// address cannot be checked).
    fn send(&mut self, addr: Ipv4Addr) -> bool {
        self.seq = self.seq.wrapping_add(1);
        match self.sock.send_echo(addr, self.id, self.seq) {
            Ok(()) => true,
            Err(e) => {
                warn!(%addr, error = %e, "ping check: ECHO REQUEST not sent; the address is offered unchecked");
                false
            }
        }
    }

    /// Reads what arrives until the next deadline (at most [`SLICE`]).
    fn read(&mut self, buf: &mut [u8]) {
        let now = Instant::now();
        let next = self
            .running
            .values()
            .map(|r| r.deadline)
            .min()
            .unwrap_or(now);
        let mut wait = next.saturating_duration_since(now).min(SLICE);
        loop {
            // A steady flow of ICMP messages (the socket sees every one the
            // host receives) must not keep timeouts and new checks waiting.
            if wait.is_zero() && now.elapsed() >= SLICE {
                return;
            }
            let n = match self.sock.recv(buf, wait) {
                Ok(Some(n)) => n,
                Ok(None) => return,
                Err(e) => {
                    error!(error = %e, "ping check: receive failed");
                    std::thread::sleep(SLICE);
                    return;
                }
            };
            wait = Duration::ZERO;
            let (addr, verdict) = match buf.get(..n).and_then(icmp::parse) {
                Some(Icmp::EchoReply { from, .. }) => (from, Verdict::InUse),
                Some(Icmp::Unreachable { target, .. }) => (target, Verdict::Free),
                None => continue,
            };
            if let Some(r) = self.running.remove(&addr) {
                match verdict {
                    Verdict::InUse => info!(%addr, "ping check: ECHO REPLY; the address is in use"),
                    _ => {
                        debug!(%addr, "ping check: destination unreachable; the address is offered")
                    }
                }
                (r.then)(verdict);
            }
        }
    }

    /// Checks whose reply timeout passed: another request, or free.
    fn expire(&mut self) {
        let now = Instant::now();
        let due: Vec<Ipv4Addr> = self
            .running
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(a, _)| *a)
            .collect();
        for addr in due {
            let Some(mut r) = self.running.remove(&addr) else {
                continue;
            };
            if r.left > 0 && self.send(addr) {
                r.left -= 1;
                r.deadline = now + r.timeout;
                self.running.insert(addr, r);
            } else {
                debug!(%addr, "ping check: no reply; the address is offered");
                (r.then)(Verdict::Free);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(addr: u8, seen: &Arc<Mutex<Vec<Verdict>>>) -> Check {
        let seen = seen.clone();
        Check {
            addr: Ipv4Addr::new(192, 0, 2, addr),
            requests: 1,
            timeout: Duration::from_millis(1),
            then: Box::new(move |v| crate::lock(&seen).push(v)),
        }
    }

    /// `held` counts the checks handed over until each concludes (what
    /// bounds the OFFERs, and socket descriptors, held at once).
    #[test]
    fn held_counts_checks_until_they_conclude() {
        let (tx, rx) = mpsc::channel();
        let p = Prober {
            tx: Mutex::new(tx),
            held: Arc::default(),
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        p.check(check(1, &seen));
        p.check(check(2, &seen));
        assert_eq!(p.held(), 2);
        let first = rx.recv().unwrap();
        (first.then)(Verdict::InUse);
        assert_eq!(p.held(), 1);
        // The thread gone: a check concludes at once, and is not held.
        drop(rx);
        p.check(check(3, &seen));
        assert_eq!(p.held(), 1);
        assert_eq!(*crate::lock(&seen), [Verdict::InUse, Verdict::Free]);
    }
}
