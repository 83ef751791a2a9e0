//! Reads on a thread's own MySQL connection.
//!
//! A packet worker is a plain OS thread that calls the store for every
//! packet. Through the pool, each read cost three thread hand-offs: the
//! store runtime's reactor thread woke for the answer and then woke the
//! worker, and the connection went back to the pool through its recycler
//! task, which woke a runtime thread again. Here a thread that is not
//! inside a tokio runtime keeps one connection per store, driven by a
//! current-thread runtime of its own (`sql::local`): the worker itself
//! waits in `epoll` for the answer, and nothing else runs.
//!
//! Only reads take this way; the writes keep group commit. When the
//! thread's connection breaks or hangs, it is dropped and the read goes
//! the pool's way ([`None`]), which retries on the pool and notices an
//! outage. When it cannot be made (the server refuses more connections, a
//! certificate is wrong), the thread reads on the pool for a while before
//! it tries again, so that a refusal does not cost every read a
//! connection attempt. A connection made before a reconnection (an older
//! epoch of the store's health) is replaced; those of stores that are gone
//! are closed at the thread's next read.

use std::cell::RefCell;
use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row, Value};

use super::{bounded, connect_one, db_err, Inner};
use crate::sql::local::{self, Local};
use crate::sql::Q;
use crate::LeaseError;

thread_local! {
    static LOCAL: RefCell<Option<Local<Inner, Conn>>> = const { RefCell::new(None) };
}

/// Runs read `q` on this thread's connection to the store; `None` when it
/// must go the pool's way: the thread is inside a tokio runtime (the
/// control API, tests), or its connection could not be made or failed.
pub(super) fn rows(
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Value],
) -> Option<Result<Vec<Row>, LeaseError>> {
    local::with(&LOCAL, |l| run(l, inner, epoch, q, params))
}

fn run(
    l: &mut Local<Inner, Conn>,
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Value],
) -> Option<Result<Vec<Row>, LeaseError>> {
    let limit = inner.opts.connect_timeout;
    // Connections of dropped stores, or from before a reconnection.
    let stale = l.stale(inner, epoch);
    if !stale.is_empty() {
        l.rt.block_on(async {
            for c in stale {
                let _ = tokio::time::timeout(limit, c.disconnect()).await;
            }
        });
    }
    let i = l.conn(inner, epoch, |rt| {
        rt.block_on(connect_one(&inner.opts)).ok()
    })?;
    let (rt, conn) = l.get(i)?;
    let texts = inner.texts();
    let text = texts[q as usize].as_str();
    // A one-lease read gets `connect_timeout`, as on the pool.
    let answer = rt.block_on(bounded(
        q,
        limit,
        conn.exec::<Row, _, _>(text, Params::Positional(params.to_vec())),
    ));
    match answer {
        Ok(Ok(rows)) => Some(Ok(rows)),
        // Refused by the server (the connection is fine).
        Ok(Err(e @ mysql_async::Error::Server(_))) => Some(Err(db_err(e))),
        // Broken or hung: closed; the pool's way decides, and the next
        // read makes a new connection.
        Ok(Err(_)) | Err(_) => {
            l.forget(i);
            None
        }
    }
}
