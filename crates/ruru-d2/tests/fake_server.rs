//! The updater against a fake DNS server on 127.0.0.1 that answers what
//! a test tells it to: answers must carry the request's ID and, when the
//! request was signed, a valid TSIG signature; anything else is not an
//! answer (`update-error`, or a timeout for wrong IDs). Needs nothing
//! installed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failure

use std::sync::Arc;
use std::time::{Duration, Instant};

use ruru_config::D2Config;
use ruru_d2::{Tuning, D2};
use ruru_ddns::{ChangeType, ConflictMode, Dhcid, Ncr};
use tokio::net::UdpSocket;

fn config(port: u16, key: bool) -> D2Config {
    let key_name = if key { "\"key-name\": \"k\"," } else { "" };
    let text = format!(
        r#"{{"DhcpDdns": {{"dns-server-timeout": 200,
        "forward-ddns": {{"ddns-domains": [{{"name": "example.org.", {key_name}
            "dns-servers": [{{"ip-address": "127.0.0.1", "port": {port}}}]}}]}},
        "tsig-keys": [{{"name": "k", "algorithm": "HMAC-SHA256", "secret": "c2VjcmV0IHNlY3JldCBzZWNyZXQ="}}]}}}}"#
    );
    ruru_config::load_str(&text, std::path::Path::new("/etc/ruru/d2.json"))
        .unwrap()
        .dhcp_ddns
        .unwrap()
}

fn request() -> Ncr {
    let fqdn = "h.example.org.";
    Ncr {
        change: ChangeType::Add,
        forward: true,
        reverse: false,
        fqdn: fqdn.into(),
        ip: "192.0.2.1".parse().unwrap(),
        dhcid: Dhcid::from_hwaddr(1, &[0, 0x5e, 0, 0x53, 0, 1], fqdn).unwrap(),
        lease_expires_on: 0,
        lease_length: 600,
        conflict: ConflictMode::CheckWithDhcid,
    }
}

/// Answers every request with `answer(request)` (None: silence); returns
/// the port and the number of requests seen so far.
async fn fake(
    answer: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static,
) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let port = sock.local_addr().unwrap().port();
    let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok((n, from)) = sock.recv_from(&mut buf).await {
            s2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(a) = answer(&buf[..n]) {
                let _ = sock.send_to(&a, from).await;
            }
        }
    });
    (port, seen)
}

/// A NOERROR answer to `req`: its header with QR set and no records.
fn noerror(req: &[u8], id_delta: u16) -> Vec<u8> {
    let id = u16::from_be_bytes([req[0], req[1]]).wrapping_add(id_delta);
    let mut a = id.to_be_bytes().to_vec();
    a.extend_from_slice(&[0xA8, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
    a
}

async fn settle(h: &ruru_d2::D2Handle) {
    let t = Instant::now();
    while h.pending() > 0 {
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", h.snapshot());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn no_retry() -> Tuning {
    Tuning {
        retry_delays: Vec::new(),
        listen: false,
        ..Tuning::default()
    }
}

#[tokio::test]
async fn unsigned_answer_to_a_signed_update_is_an_error() {
    let (port, seen) = fake(|req| Some(noerror(req, 0))).await;
    let h = D2::spawn(Arc::new(config(port, true)), no_retry())
        .await
        .unwrap();
    h.submit(request()).unwrap();
    settle(&h).await;
    let v = |n: &str| h.stats().value(n).unwrap();
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert_eq!(v("update-signed"), 3);
    assert_eq!(v("update-error"), 3, "{:?}", h.snapshot());
    assert_eq!(v("update-success"), 0);
    assert_eq!(v("key[k.].update-error"), 3);
}

#[tokio::test]
async fn unsigned_update_takes_an_unsigned_answer() {
    let (port, _) = fake(|req| Some(noerror(req, 0))).await;
    let h = D2::spawn(Arc::new(config(port, false)), no_retry())
        .await
        .unwrap();
    h.submit(request()).unwrap();
    settle(&h).await;
    let v = |n: &str| h.stats().value(n).unwrap();
    assert_eq!(v("update-unsigned"), 1);
    assert_eq!(v("update-success"), 1, "{:?}", h.snapshot());
}

#[tokio::test]
async fn answers_with_another_id_are_ignored() {
    let (port, _) = fake(|req| Some(noerror(req, 1))).await;
    let h = D2::spawn(Arc::new(config(port, false)), no_retry())
        .await
        .unwrap();
    h.submit(request()).unwrap();
    settle(&h).await;
    let v = |n: &str| h.stats().value(n).unwrap();
    assert_eq!(v("update-timeout"), 3, "{:?}", h.snapshot());
    assert_eq!(v("update-success"), 0);
}

#[tokio::test]
async fn garbage_answers_are_errors() {
    let (port, _) = fake(|req| {
        let mut a = noerror(req, 0);
        a[5] = 3; // three questions that are not there
        Some(a)
    })
    .await;
    let h = D2::spawn(Arc::new(config(port, false)), no_retry())
        .await
        .unwrap();
    h.submit(request()).unwrap();
    settle(&h).await;
    assert_eq!(
        h.stats().value("update-error"),
        Some(3),
        "{:?}",
        h.snapshot()
    );
}
