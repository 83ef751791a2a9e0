//! The NCR listener: Kea's DHCP servers (with `dhcp-ddns`
//! `enable-updates`) send name-change requests as UDP datagrams in Kea's
//! JSON format to D2's `ip-address`/`port`; ruru reads them into the
//! same queue as its own DHCP side. Malformed datagrams are dropped,
//! logged at debug level and counted (`ncr-invalid`); receive errors are
//! counted as `ncr-error`. Like Kea's D2 in UDP mode, nothing is sent back.

use ruru_ddns::Ncr;
use tokio::net::UdpSocket;

use crate::queue::Submitter;
use crate::stats::Stat;

pub(crate) async fn run(sock: UdpSocket, submitter: Submitter) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, from) = match sock.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                submitter.stats.inc(Stat::NcrError);
                tracing::debug!("NCR listener: receive error: {e}");
                // Do not spin on a persistent error.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        match Ncr::from_wire(&buf[..n]) {
            Ok(ncr) => {
                submitter.stats.inc(Stat::NcrReceived);
                if submitter.submit(ncr).is_err() {
                    tracing::debug!(%from, "NCR dropped: the queue is full");
                }
            }
            Err(e) => {
                submitter.stats.inc(Stat::NcrInvalid);
                tracing::debug!(%from, "invalid NCR dropped: {e}");
            }
        }
    }
}
