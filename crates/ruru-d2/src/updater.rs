//! Carrying out one name-change request as Kea's D2 transactions do:
//! the forward zone (longest `forward-ddns` match of the FQDN) first,
//! then the reverse zone (longest `reverse-ddns` match of the address's
//! reverse name), each as the RFC 2136 updates of Kea's transaction for
//! the request's conflict-resolution mode (RFC 4703 for
//! `check-with-dhcid`):
//!
//! | mode | forward add | forward remove | reverse |
//! |---|---|---|---|
//! | `check-with-dhcid` | add if the name is not in use; on YXDOMAIN replace the address if the DHCID matches | remove the address if the DHCID matches, then the DHCID if no address is left | replace PTR + DHCID; remove if the PTR is the FQDN |
//! | `check-exists-with-dhcid` | as above, replacing when a DHCID exists (whatever its value) | as above with "a DHCID exists" | as above |
//! | `no-check-with-dhcid` | replace address and DHCID | delete address and DHCID RRsets | replace / delete PTR + DHCID |
//! | `no-check-without-dhcid` | replace address | delete address RRset | replace / delete PTR |
//!
//! Records get the request's `lease-length` as TTL (Kea's D2 does the
//! same; the DHCP side chooses it). Each update is TSIG-signed with the
//! server's key and the answer's signature verified. A server that does
//! not answer in `dns-server-timeout` (or answers garbage) is tried 3
//! times, as Kea's D2 does, then the zone's next server is tried from the
//! first step; when every server failed the request is
//! [`Outcome::Unreachable`] and the queue tries it again later.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use ruru_config::{reverse_name, D2Config, DdnsDomain, DnsServer};
use ruru_ddns::{ChangeType, ConflictMode, Ncr};
use tokio::net::UdpSocket;

use crate::stats::{KeyStat, Stat, Stats};
use crate::tsig;
use crate::wire::{self, ResponseCode, DHCID};

/// Tries of one update on one server before the next server (Kea's
/// `MAX_UPDATE_TRIES_PER_SERVER`).
pub const TRIES_PER_SERVER: usize = 3;

/// How a request (or one direction of it) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every requested change was made.
    Done,
    /// A server refused a change (e.g. the name belongs to another
    /// client): final, as in Kea.
    Rejected(String),
    /// No server of a zone could be reached (or gave a verifiable
    /// answer): worth trying again later.
    Unreachable(String),
    /// No `forward-ddns` or `reverse-ddns` domain matches the request:
    /// nothing to do (the zones are not this updater's).
    NoDomain,
}

/// Which directions of a request are done (kept across retries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub forward_done: bool,
    pub reverse_done: bool,
}

/// One step's updates, for one zone.
struct Step {
    prereqs: Vec<Record>,
    updates: Vec<Record>,
}

/// Why one exchange with one server failed.
enum SendError {
    Timeout,
    Other(String),
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn random_id() -> u16 {
    let mut b = [0u8; 2];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    u16::from_be_bytes(b)
}

/// Sends one update to `server` and waits for its answer: the answer's
/// RCODE, or why there is none. Counts the statistics.
async fn exchange(
    stats: &Stats,
    server: &DnsServer,
    zone: &Name,
    step: &Step,
    timeout: Duration,
) -> Result<ResponseCode, SendError> {
    let id = random_id();
    let mut msg = wire::update_message(id, zone, &step.prereqs, &step.updates);
    let key = server.key.as_ref();
    let request_mac = match key {
        Some(k) => {
            Some(tsig::sign(&mut msg, k, now_secs()).map_err(|e| SendError::Other(e.to_string()))?)
        }
        None => None,
    };
    let msg = wire::encode(&msg).map_err(|e| SendError::Other(e.to_string()))?;
    stats.inc(Stat::UpdateSent);
    match key {
        Some(k) => {
            stats.inc(Stat::UpdateSigned);
            stats.inc_key(&k.name, KeyStat::Sent);
        }
        None => stats.inc(Stat::UpdateUnsigned),
    }
    let result = exchange_io(server.addr, &msg, id, timeout).await;
    let result = match result {
        Ok(answer) => check_answer(&answer, server, request_mac.as_deref()),
        Err(e) => Err(e),
    };
    let (g, k) = match &result {
        Ok(_) => (Stat::UpdateSuccess, KeyStat::Success),
        Err(SendError::Timeout) => (Stat::UpdateTimeout, KeyStat::Timeout),
        Err(SendError::Other(_)) => (Stat::UpdateError, KeyStat::Error),
    };
    stats.inc(g);
    if let Some(key) = key {
        stats.inc_key(&key.name, k);
    }
    result
}

/// Sends `msg` over UDP and returns the first answer with ID `id`.
async fn exchange_io(
    addr: SocketAddr,
    msg: &[u8],
    id: u16,
    timeout: Duration,
) -> Result<Vec<u8>, SendError> {
    let local: SocketAddr = match addr.ip() {
        IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
    };
    let sock = UdpSocket::bind(local)
        .await
        .map_err(|e| SendError::Other(format!("socket: {e}")))?;
    sock.connect(addr)
        .await
        .map_err(|e| SendError::Other(format!("connect {addr}: {e}")))?;
    sock.send(msg)
        .await
        .map_err(|e| SendError::Other(format!("send to {addr}: {e}")))?;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = vec![0u8; 65_535];
    loop {
        let n = match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
            Err(_) => return Err(SendError::Timeout),
            Ok(Ok(n)) => n,
            // ICMP port unreachable shows as a receive error: the server
            // is down. Kea counts that as a timeout too (no answer).
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                tokio::time::sleep_until(deadline).await;
                return Err(SendError::Timeout);
            }
            Ok(Err(e)) => return Err(SendError::Other(format!("receive from {addr}: {e}"))),
        };
        let answer = &buf[..n];
        if answer.len() >= 2 && u16::from_be_bytes([answer[0], answer[1]]) == id {
            return Ok(answer.to_vec());
        }
    }
}

/// The RCODE of a verified answer.
fn check_answer(
    answer: &[u8],
    server: &DnsServer,
    request_mac: Option<&[u8]>,
) -> Result<ResponseCode, SendError> {
    let r = wire::parse_response(answer).map_err(|e| SendError::Other(e.to_string()))?;
    if let (Some(key), Some(mac)) = (server.key.as_ref(), request_mac) {
        tsig::verify(answer, &r, key, mac, now_secs())
            .map_err(|e| SendError::Other(format!("TSIG: {e}")))?;
    }
    Ok(r.metadata.response_code)
}

/// The address record type of the request.
fn addr_type(ip: IpAddr) -> RecordType {
    match ip {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    }
}

fn dhcid_rr(name: &Name, class: DNSClass, ttl: u32, ncr: &Ncr) -> Record {
    wire::dhcid(name, class, ttl, &ncr.dhcid.0)
}

fn empty(name: &Name, rtype: RecordType, class: DNSClass) -> Record {
    wire::empty(name, rtype, class)
}

/// The forward steps, by state: what to send and what each RCODE leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fwd {
    Add,
    Replace,
    RemoveAddr,
    RemoveRrs,
}

fn forward_step(state: Fwd, ncr: &Ncr, n: &Name) -> Step {
    let ttl = ncr.lease_length;
    let at = addr_type(ncr.ip);
    let mode = ncr.conflict;
    let addr = |class, ttl| wire::address(n, class, ttl, ncr.ip);
    match (state, mode) {
        (Fwd::Add, _) => Step {
            prereqs: vec![empty(n, RecordType::ANY, DNSClass::NONE)],
            updates: vec![addr(DNSClass::IN, ttl), dhcid_rr(n, DNSClass::IN, ttl, ncr)],
        },
        (Fwd::Replace, ConflictMode::CheckWithDhcid) => Step {
            prereqs: vec![
                empty(n, RecordType::ANY, DNSClass::ANY),
                dhcid_rr(n, DNSClass::IN, 0, ncr),
            ],
            updates: vec![empty(n, at, DNSClass::ANY), addr(DNSClass::IN, ttl)],
        },
        (Fwd::Replace, ConflictMode::CheckExistsWithDhcid) => Step {
            prereqs: vec![empty(n, DHCID, DNSClass::ANY)],
            updates: vec![
                empty(n, at, DNSClass::ANY),
                empty(n, DHCID, DNSClass::ANY),
                addr(DNSClass::IN, ttl),
                dhcid_rr(n, DNSClass::IN, ttl, ncr),
            ],
        },
        (Fwd::Replace, ConflictMode::NoCheckWithDhcid) => Step {
            prereqs: vec![],
            updates: vec![
                empty(n, at, DNSClass::ANY),
                empty(n, DHCID, DNSClass::ANY),
                addr(DNSClass::IN, ttl),
                dhcid_rr(n, DNSClass::IN, ttl, ncr),
            ],
        },
        (Fwd::Replace, ConflictMode::NoCheckWithoutDhcid) => Step {
            prereqs: vec![],
            updates: vec![empty(n, at, DNSClass::ANY), addr(DNSClass::IN, ttl)],
        },
        (Fwd::RemoveAddr, ConflictMode::CheckWithDhcid) => Step {
            prereqs: vec![dhcid_rr(n, DNSClass::IN, 0, ncr)],
            updates: vec![addr(DNSClass::NONE, 0)],
        },
        (Fwd::RemoveAddr, ConflictMode::CheckExistsWithDhcid) => Step {
            prereqs: vec![empty(n, DHCID, DNSClass::ANY)],
            updates: vec![addr(DNSClass::NONE, 0)],
        },
        (Fwd::RemoveAddr, ConflictMode::NoCheckWithDhcid) => Step {
            prereqs: vec![],
            updates: vec![empty(n, at, DNSClass::ANY), empty(n, DHCID, DNSClass::ANY)],
        },
        (Fwd::RemoveAddr, ConflictMode::NoCheckWithoutDhcid) => Step {
            prereqs: vec![],
            updates: vec![empty(n, at, DNSClass::ANY)],
        },
        (Fwd::RemoveRrs, ConflictMode::CheckWithDhcid) => Step {
            prereqs: vec![
                dhcid_rr(n, DNSClass::IN, 0, ncr),
                empty(n, RecordType::A, DNSClass::NONE),
                empty(n, RecordType::AAAA, DNSClass::NONE),
            ],
            updates: vec![empty(n, RecordType::ANY, DNSClass::ANY)],
        },
        (Fwd::RemoveRrs, _) => Step {
            prereqs: vec![
                empty(n, RecordType::A, DNSClass::NONE),
                empty(n, RecordType::AAAA, DNSClass::NONE),
            ],
            updates: vec![empty(n, DHCID, DNSClass::ANY)],
        },
    }
}

/// What follows `state` given the answer's RCODE: the next state,
/// `Ok(None)` when the direction is done, `Err` when refused.
fn forward_next(
    state: Fwd,
    mode: ConflictMode,
    rcode: ResponseCode,
) -> Result<Option<Fwd>, String> {
    let no_check = matches!(
        mode,
        ConflictMode::NoCheckWithDhcid | ConflictMode::NoCheckWithoutDhcid
    );
    use ResponseCode::{NXDomain, NXRRSet, NoError, YXDomain};
    match (state, rcode) {
        (Fwd::Add, NoError) => Ok(None),
        (Fwd::Add, YXDomain) => Ok(Some(Fwd::Replace)),
        (Fwd::Replace, NoError) => Ok(None),
        (Fwd::Replace, NXDomain) if !no_check => Ok(Some(Fwd::Add)),
        (Fwd::RemoveAddr, NoError | NXRRSet) if no_check => Ok(None),
        (Fwd::RemoveAddr, NoError | NXRRSet) => Ok(Some(Fwd::RemoveRrs)),
        (Fwd::RemoveRrs, NoError | NXRRSet) => Ok(None),
        (s, r) => Err(format!("{s:?} refused with RCODE {}", u16::from(r))),
    }
}

fn reverse_step(ncr: &Ncr, rev: &Name, fqdn: &Name) -> Step {
    let ttl = ncr.lease_length;
    let ptr = |class, ttl| wire::ptr(rev, class, ttl, fqdn);
    let with_dhcid = ncr.conflict != ConflictMode::NoCheckWithoutDhcid;
    match ncr.change {
        ChangeType::Add => {
            let mut updates = vec![empty(rev, RecordType::PTR, DNSClass::ANY)];
            if with_dhcid {
                updates.push(empty(rev, DHCID, DNSClass::ANY));
            }
            updates.push(ptr(DNSClass::IN, ttl));
            if with_dhcid {
                updates.push(dhcid_rr(rev, DNSClass::IN, ttl, ncr));
            }
            Step {
                prereqs: vec![],
                updates,
            }
        }
        ChangeType::Remove => match ncr.conflict {
            ConflictMode::CheckWithDhcid | ConflictMode::CheckExistsWithDhcid => Step {
                prereqs: vec![ptr(DNSClass::IN, 0)],
                updates: vec![empty(rev, RecordType::ANY, DNSClass::ANY)],
            },
            ConflictMode::NoCheckWithDhcid => Step {
                prereqs: vec![],
                updates: vec![
                    empty(rev, RecordType::PTR, DNSClass::ANY),
                    empty(rev, DHCID, DNSClass::ANY),
                ],
            },
            ConflictMode::NoCheckWithoutDhcid => Step {
                prereqs: vec![],
                updates: vec![empty(rev, RecordType::PTR, DNSClass::ANY)],
            },
        },
    }
}

/// Sends `step` to `server`, retrying [`TRIES_PER_SERVER`] times.
async fn send_step(
    stats: &Stats,
    server: &DnsServer,
    zone: &Name,
    step: &Step,
    timeout: Duration,
) -> Result<ResponseCode, String> {
    let mut last = String::new();
    for _ in 0..TRIES_PER_SERVER {
        match exchange(stats, server, zone, step, timeout).await {
            Ok(rcode) => return Ok(rcode),
            Err(SendError::Timeout) => {
                last = format!("no answer from {} in {timeout:?}", server.addr);
            }
            Err(SendError::Other(e)) => last = format!("{}: {e}", server.addr),
        }
        tracing::debug!(%zone, "DNS update: {last}");
    }
    Err(last)
}

/// The forward direction on `dom`: each server in turn, from the first step.
async fn forward(stats: &Stats, dom: &DdnsDomain, ncr: &Ncr, timeout: Duration) -> Outcome {
    let first = match ncr.change {
        ChangeType::Add
            if matches!(
                ncr.conflict,
                ConflictMode::NoCheckWithDhcid | ConflictMode::NoCheckWithoutDhcid
            ) =>
        {
            Fwd::Replace
        }
        ChangeType::Add => Fwd::Add,
        ChangeType::Remove => Fwd::RemoveAddr,
    };
    let (zone, fqdn) = match (wire::name(&dom.name), wire::name(&ncr.fqdn)) {
        (Ok(z), Ok(f)) => (z, f),
        (Err(e), _) | (_, Err(e)) => return Outcome::Rejected(format!("forward: {e}")),
    };
    let mut why = format!("zone {} has no servers", dom.name);
    'servers: for server in &dom.servers {
        let mut state = first;
        // Add and Replace may alternate while other clients change the
        // name; Kea loops, ruru gives up after a few rounds.
        for _ in 0..8 {
            let step = forward_step(state, ncr, &fqdn);
            let rcode = match send_step(stats, server, &zone, &step, timeout).await {
                Ok(r) => r,
                Err(e) => {
                    why = e;
                    continue 'servers;
                }
            };
            match forward_next(state, ncr.conflict, rcode) {
                Ok(None) => return Outcome::Done,
                Ok(Some(next)) => state = next,
                Err(e) => return Outcome::Rejected(format!("forward {}: {e}", ncr.fqdn)),
            }
        }
        return Outcome::Rejected(format!("forward {}: name keeps changing", ncr.fqdn));
    }
    Outcome::Unreachable(why)
}

async fn reverse(stats: &Stats, dom: &DdnsDomain, ncr: &Ncr, timeout: Duration) -> Outcome {
    let rev = reverse_name(ncr.ip);
    let (zone, rev_name, fqdn) = match (
        wire::name(&dom.name),
        wire::name(&rev),
        wire::name(&ncr.fqdn),
    ) {
        (Ok(z), Ok(r), Ok(f)) => (z, r, f),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return Outcome::Rejected(format!("reverse {rev}: {e}"))
        }
    };
    let step = reverse_step(ncr, &rev_name, &fqdn);
    let mut why = format!("zone {} has no servers", dom.name);
    for server in &dom.servers {
        match send_step(stats, server, &zone, &step, timeout).await {
            Ok(ResponseCode::NoError) => return Outcome::Done,
            Ok(ResponseCode::NXRRSet) if ncr.change == ChangeType::Remove => return Outcome::Done,
            Ok(r) => {
                return Outcome::Rejected(format!(
                    "reverse {rev}: refused with RCODE {}",
                    u16::from(r)
                ))
            }
            Err(e) => why = e,
        }
    }
    Outcome::Unreachable(why)
}

/// Carries out what is left of `ncr` (per `progress`), forward first.
pub async fn carry_out(
    cfg: &D2Config,
    stats: &Stats,
    ncr: &Ncr,
    progress: &mut Progress,
) -> Outcome {
    let fwd = ncr.forward.then(|| cfg.forward_domain(&ncr.fqdn)).flatten();
    let rev = ncr.reverse.then(|| cfg.reverse_domain(ncr.ip)).flatten();
    if ncr.forward && fwd.is_none() {
        tracing::debug!(fqdn = %ncr.fqdn, "no forward-ddns domain matches: forward change skipped");
    }
    if ncr.reverse && rev.is_none() {
        tracing::debug!(ip = %ncr.ip, "no reverse-ddns domain matches: reverse change skipped");
    }
    if fwd.is_none() && rev.is_none() {
        return Outcome::NoDomain;
    }
    let timeout = cfg.dns_server_timeout;
    if let (Some(dom), false) = (fwd, progress.forward_done) {
        match forward(stats, dom, ncr, timeout).await {
            Outcome::Done => progress.forward_done = true,
            other => return other,
        }
    }
    if let (Some(dom), false) = (rev, progress.reverse_done) {
        match reverse(stats, dom, ncr, timeout).await {
            Outcome::Done => progress.reverse_done = true,
            other => return other,
        }
    }
    Outcome::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_resolution_transitions() {
        let c = ConflictMode::CheckWithDhcid;
        assert_eq!(
            forward_next(Fwd::Add, c, ResponseCode::YXDomain),
            Ok(Some(Fwd::Replace))
        );
        assert_eq!(
            forward_next(Fwd::Replace, c, ResponseCode::NXDomain),
            Ok(Some(Fwd::Add))
        );
        assert!(forward_next(Fwd::Replace, c, ResponseCode::NXRRSet).is_err());
        assert_eq!(
            forward_next(Fwd::RemoveAddr, c, ResponseCode::NXRRSet),
            Ok(Some(Fwd::RemoveRrs))
        );
        assert_eq!(
            forward_next(
                Fwd::RemoveAddr,
                ConflictMode::NoCheckWithDhcid,
                ResponseCode::NoError
            ),
            Ok(None)
        );
    }
}
