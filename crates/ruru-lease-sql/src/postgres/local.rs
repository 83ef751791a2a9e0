//! Reads on a thread's own PostgreSQL connection.
//!
//! A packet worker is a plain OS thread that calls the store for every
//! packet. Through the store's runtime, each read cost thread hand-offs:
//! the worker handed the query to a runtime thread, which sent it on a
//! shared connection, and the connection task woke it with the answer,
//! which then woke the worker. Here a thread that is not inside a tokio
//! runtime keeps one connection per store, driven by a current-thread
//! runtime of its own (`sql::local`, as the MySQL store's reads): the
//! worker itself writes the query and waits in `epoll` for the answer, and
//! nothing else runs.
//!
//! Reads take this way, and a one-lease write when no other write of the
//! store is in flight ([`execute`]): group commit has nothing to batch it
//! with then, and the hand-off to a writer task would only cost wake-ups
//! (a single packet worker, Kea's `enable-multi-threading: false`, never
//! has two writes at once). Under load the writes queue for group commit
//! as before. When the

//! thread's connection breaks or hangs, it is dropped and the read goes
//! the shared connections' way ([`None`]), which retries there and
//! notices an outage. When it cannot be made, the thread reads the shared
//! way for a while before it tries again. A connection made before a
//! reconnection (an older epoch of the store's health) is replaced; those
//! of stores that are gone are closed at the thread's next read (their
//! clients are dropped, and their tasks end on the runtime).

use std::cell::RefCell;
use std::sync::Arc;

use tokio_postgres::Row;

use super::{connect, db_err, refs, Conn, Inner};
use crate::sql::local::{self, Local};
use crate::sql::{self, Col, Q};
use crate::LeaseError;

thread_local! {
    static LOCAL: RefCell<Option<Local<Inner, Conn>>> = const { RefCell::new(None) };
}

/// Runs read `q` on this thread's connection to the store; `None` when it
/// must go the shared way: the thread is inside a tokio runtime (the
/// control API, tests), or its connection could not be made or failed.
pub(super) fn rows(
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Col],
) -> Option<Result<Vec<Row>, LeaseError>> {
    local::with(&LOCAL, |l| run(l, inner, epoch, q, params))
}

/// This thread's connection to the store (made when it has none, the
/// connections of an older epoch and of dropped stores closed first): its
/// index in `l`, or `None` when it cannot be made.
fn connection(l: &mut Local<Inner, Conn>, inner: &Arc<Inner>, epoch: u64) -> Option<usize> {
    drop(l.stale(inner, epoch));
    l.conn(inner, epoch, |rt| {
        rt.block_on(sql::within(
            inner.connect_timeout,
            "connecting to PostgreSQL",
            connect(&inner.config, false),
        ))
        .ok()
    })
}

fn run(
    l: &mut Local<Inner, Conn>,
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Col],
) -> Option<Result<Vec<Row>, LeaseError>> {
    let limit = inner.connect_timeout;
    let i = connection(l, inner, epoch)?;
    let (rt, conn) = l.get(i)?;
    let stmt = conn.stmts.get(q as usize)?;
    let refs = refs(params);
    let query = conn.client.query(stmt, &refs);
    // A one-lease read gets `connect_timeout`, as on the shared way.
    let answer = if q.is_point() {
        rt.block_on(async { tokio::time::timeout(limit, query).await.ok() })
    } else {
        Some(rt.block_on(query))
    };
    match answer {
        Some(Ok(rows)) => Some(Ok(rows)),
        // Refused by the server (the connection is fine).
        Some(Err(e)) if !conn.client.is_closed() && e.as_db_error().is_some() => {
            Some(Err(db_err(e)))
        }
        // Broken or hung: closed; the shared way decides, and the next
        // read makes a new connection.
        Some(Err(_)) | None => {
            l.forget(i);
            None
        }
    }
}

/// Runs one-lease write `q` on this thread's connection, autocommit, as a
/// writer task runs a batch of one; `None` when it must go the shared way
/// (group commit): the thread is inside a tokio runtime, its connection
/// could not be made, or PostgreSQL chose the write as a deadlock's victim
/// (rolled back: the shared way runs it again). A write whose connection
/// breaks or hangs after it was sent may or may not have committed: it
/// gets the error and is never run again (as on the shared way).
pub(super) fn execute(
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Col],
) -> Option<Result<u64, LeaseError>> {
    local::with(&LOCAL, |l| {
        let limit = inner.connect_timeout;
        let i = connection(l, inner, epoch)?;
        let (rt, conn) = l.get(i)?;
        let stmt = conn.stmts.get(q as usize)?.clone();
        let mut params = params.to_vec();
        sql::fit_params(q, conn.pool_id, &mut params);
        let refs = refs(&params);
        let write = conn.client.execute(&stmt, &refs);
        let answer = rt.block_on(async { tokio::time::timeout(limit, write).await.ok() });
        match answer {
            Some(Ok(n)) => Some(Ok(n)),
            Some(Err(e)) if !conn.client.is_closed() && e.as_db_error().is_some() => {
                let e = db_err(e);
                if super::is_deadlock(&e) {
                    None
                } else {
                    Some(Err(e))
                }
            }
            Some(Err(e)) => {
                l.forget(i);
                Some(Err(db_err(e)))
            }
            None => {
                l.forget(i);
                Some(Err(LeaseError::Database(
                    "PostgreSQL did not answer a write in time (connect-timeout); whether it \
                     was stored is unknown"
                        .into(),
                )))
            }
        }
    })
}
