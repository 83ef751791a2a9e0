//! The DHCP servers' side of dynamic DNS: each family's bounded queue of
//! name-change requests and the task that sends them, in Kea's JSON
//! format over UDP (Kea's `D2ClientMgr`), from `dhcp-ddns` `sender-ip`:
//! `sender-port` to `server-ip`:`server-port` — a Kea `kea-dhcp-ddns`, or
//! ruru's own DNS updater (`DhcpDdns`) listening there.
//!
//! When `server-ip`/`server-port` is the address of the built-in updater
//! of this same process, requests are handed to it directly (no datagram,
//! no JSON): what goes over UDP to a Kea D2 goes through a queue here.
//!
//! A worker never waits here: [`NcrSender::submit`] counts and drops a
//! request when `max-queue-size` are already waiting
//! (`ddns-ncr-queue-full`). A request that cannot be sent is counted
//! (`ddns-ncr-send-errors`) and logged once per failure streak.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ruru_config::DdnsClient;
use ruru_ddns::Ncr;
use ruru_engine::{Stat, Stats};
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// One family's request queue (see the module).
#[derive(Debug)]
pub struct NcrSender {
    tx: mpsc::UnboundedSender<Ncr>,
    /// Requests queued and not yet sent.
    pending: Arc<AtomicUsize>,
    /// Where to send, as the current configuration says.
    target: Arc<Mutex<DdnsClient>>,
    stats: Arc<Stats>,
    /// A full queue was logged and no request got in since.
    full_logged: AtomicBool,
    /// The built-in updater of this process and the address it listens
    /// on, when it runs.
    local: arc_swap::ArcSwapOption<(SocketAddr, ruru_d2::D2Handle)>,
}

impl NcrSender {
    /// The queue of a family whose `dhcp-ddns` is `client`, with its
    /// sending task on `rt`; counts in `stats`.
    pub fn start(client: &DdnsClient, rt: &tokio::runtime::Handle, stats: Arc<Stats>) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let pending = Arc::new(AtomicUsize::new(0));
        let target = Arc::new(Mutex::new(client.clone()));
        rt.spawn(send_loop(
            rx,
            pending.clone(),
            target.clone(),
            stats.clone(),
        ));
        Arc::new(NcrSender {
            tx,
            pending,
            target,
            stats,
            full_logged: AtomicBool::new(false),
            local: arc_swap::ArcSwapOption::empty(),
        })
    }

    /// The built-in updater now running at `addr` (None: none runs).
    pub fn set_local(&self, local: Option<(SocketAddr, ruru_d2::D2Handle)>) {
        self.local.store(local.map(Arc::new));
    }

    /// The current target's server address and queue bound (one lock).
    fn server_and_bound(&self) -> (Option<SocketAddr>, usize) {
        self.target
            .lock()
            .map_or((None, 1024), |t| (Some(t.server), t.max_queue_size))
    }
}

impl ruru_engine::DdnsSink for NcrSender {
    fn submit(&self, ncr: Ncr) {
        let (server, bound) = self.server_and_bound();
        if let Some(local) = self.local.load().as_deref() {
            if Some(local.0) == server {
                match local.1.submit(ncr) {
                    Ok(()) => self.stats.inc(Stat::DdnsNcrSent),
                    // Counted by the updater too (queue-mgr-queue-full).
                    Err(_) => self.stats.inc(Stat::DdnsNcrQueueFull),
                }
                return;
            }
        }
        if self.pending.load(Ordering::Relaxed) >= bound {
            self.stats.inc(Stat::DdnsNcrQueueFull);
            if !self.full_logged.swap(true, Ordering::Relaxed) {
                warn!(
                    name = %ncr.fqdn,
                    "name-change request queue full (dhcp-ddns max-queue-size): request dropped"
                );
            }
            return;
        }
        self.full_logged.store(false, Ordering::Relaxed);
        self.pending.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(ncr).is_err() {
            self.pending.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn reconfigure(&self, client: &DdnsClient) {
        if let Ok(mut t) = self.target.lock() {
            *t = client.clone();
        }
    }
}

/// Sends each request to the current target, binding (again) the
/// sender's address when it changes.
async fn send_loop(
    mut rx: mpsc::UnboundedReceiver<Ncr>,
    pending: Arc<AtomicUsize>,
    target: Arc<Mutex<DdnsClient>>,
    stats: Arc<Stats>,
) {
    let mut sock: Option<(SocketAddr, tokio::net::UdpSocket)> = None;
    let mut failing = false;
    let mut batch = Vec::new();
    // In batches: after each, the queue is left alone for 2 ms, so that
    // under load a DHCP worker's submit does not wake this thread for
    // each request.
    while rx.recv_many(&mut batch, 256).await > 0 {
        for ncr in batch.drain(..) {
            send_one(ncr, &pending, &target, &stats, &mut sock, &mut failing).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// Sends one request to the current target (see [`send_loop`]).
async fn send_one(
    ncr: Ncr,
    pending: &AtomicUsize,
    target: &Mutex<DdnsClient>,
    stats: &Stats,
    sock: &mut Option<(SocketAddr, tokio::net::UdpSocket)>,
    failing: &mut bool,
) {
    pending.fetch_sub(1, Ordering::Relaxed);
    let Ok(t) = target.lock().map(|t| t.clone()) else {
        return;
    };
    if sock.as_ref().is_none_or(|(a, _)| *a != t.sender) {
        *sock = match tokio::net::UdpSocket::bind(t.sender).await {
            Ok(s) => Some((t.sender, s)),
            Err(e) => {
                stats.inc(Stat::DdnsNcrSendErrors);
                if !*failing {
                    warn!(sender = %t.sender, error = %e, "cannot bind the name-change request socket (dhcp-ddns sender-ip/sender-port)");
                    *failing = true;
                }
                return;
            }
        };
    }
    let Some((_, s)) = sock.as_ref() else { return };
    match s.send_to(&ncr.to_wire(), t.server).await {
        Ok(_) => {
            stats.inc(Stat::DdnsNcrSent);
            *failing = false;
            debug!(server = %t.server, name = %ncr.fqdn, change = ?ncr.change, "name-change request sent");
        }
        Err(e) => {
            stats.inc(Stat::DdnsNcrSendErrors);
            if !*failing {
                warn!(server = %t.server, error = %e, "cannot send name-change requests (dhcp-ddns server-ip/server-port)");
                *failing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ruru_engine::DdnsSink;

    fn ncr(name: &str) -> Ncr {
        Ncr {
            change: ruru_ddns::ChangeType::Add,
            forward: true,
            reverse: true,
            fqdn: name.into(),
            ip: "192.0.2.1".parse().unwrap(),
            dhcid: ruru_ddns::Dhcid(vec![0, 1, 1, 2]),
            lease_expires_on: 0,
            lease_length: 600,
            conflict: Default::default(),
        }
    }

    /// Requests arrive at the server in Kea's format; a full queue drops
    /// and counts instead of blocking.
    #[test]
    fn sends_kea_datagrams_and_bounds_the_queue() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let client = DdnsClient {
            enable_updates: true,
            server: server.local_addr().unwrap(),
            sender: "127.0.0.1:0".parse().unwrap(),
            max_queue_size: 2,
        };
        let stats = Arc::new(Stats::new());
        let s = NcrSender::start(&client, rt.handle(), stats.clone());
        // The task has not run yet: the third request finds the queue full.
        s.submit(ncr("a.example.org."));
        s.submit(ncr("b.example.org."));
        s.submit(ncr("c.example.org."));
        assert_eq!(stats.get(Stat::DdnsNcrQueueFull), 1);
        rt.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(100)).await });
        let mut buf = [0u8; 2048];
        for want in ["a.example.org.", "b.example.org."] {
            let n = server.recv(&mut buf).unwrap();
            let got = Ncr::from_wire(&buf[..n]).unwrap();
            assert_eq!(got.fqdn, want);
        }
        assert_eq!(stats.get(Stat::DdnsNcrSent), 2);
    }
}
