//! Reads on a thread's own PostgreSQL connection.
//!
//! A packet worker is a plain OS thread that calls the store for every
//! packet. Through the store's runtime, each read cost thread hand-offs:
//! the worker handed the query to a runtime thread, which sent it on a
//! shared connection, and the connection task woke it with the answer,
//! which then woke the worker. Here a thread that is not inside a tokio
//! runtime keeps one connection per store, driven by a current-thread
//! runtime of its own: the worker itself writes the query and waits in
//! `epoll` for the answer, and nothing else runs (as the MySQL store's
//! reads do, `mysql::local`).
//!
//! Only reads take this way; the writes keep group commit. When the
//! thread's connection breaks or hangs, it is dropped and the read goes
//! the shared connections' way ([`None`]), which retries there and
//! notices an outage. When it cannot be made, the thread reads the shared
//! way for [`RETRY_AFTER`] before it tries again. A connection made before
//! a reconnection (an older epoch of the store's health) is replaced;
//! those of stores that are gone are closed at the thread's next read.

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio_postgres::Row;

use super::{connect, db_err, refs, Conn, Inner};
use crate::sql::{self, Col, Q};
use crate::LeaseError;

/// How long a thread whose connection could not be made reads the
/// shared way.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// A thread's connection to one store (the store is the one `owner`
/// points to: the weak reference keeps its address from being reused).
struct Slot {
    owner: Weak<Inner>,
    /// The store's health epoch when it was made (or failed).
    epoch: u64,
    /// The connection, or when the last attempt to make one failed.
    conn: Result<Conn, Instant>,
}

impl Slot {
    fn of(&self, inner: &Arc<Inner>) -> bool {
        std::ptr::eq(self.owner.as_ptr(), Arc::as_ptr(inner))
    }
}

/// A thread's connections and the runtime that drives them (the
/// connections are dropped first: their tasks run on it).
struct Local {
    slots: Vec<Slot>,
    rt: tokio::runtime::Runtime,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
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
    if tokio::runtime::Handle::try_current().is_ok() {
        return None;
    }
    LOCAL
        .try_with(|cell| {
            let mut guard = cell.try_borrow_mut().ok()?;
            if guard.is_none() {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                *guard = Some(Local {
                    slots: Vec::new(),
                    rt,
                });
            }
            let Local { slots, rt } = guard.as_mut()?;
            run(slots, rt, inner, epoch, q, params)
        })
        .ok()
        .flatten()
}

fn run(
    slots: &mut Vec<Slot>,
    rt: &tokio::runtime::Runtime,
    inner: &Arc<Inner>,
    epoch: u64,
    q: Q,
    params: &[Col],
) -> Option<Result<Vec<Row>, LeaseError>> {
    let limit = inner.connect_timeout;
    // Connections of dropped stores, or from before a reconnection: their
    // clients are dropped, and their tasks end on the runtime.
    slots.retain(|s| s.owner.strong_count() > 0 && !(s.of(inner) && s.epoch != epoch));
    let i = match slots.iter().position(|s| s.of(inner)) {
        Some(i) => i,
        None => {
            slots.push(Slot {
                owner: Arc::downgrade(inner),
                epoch,
                conn: Err(Instant::now() - RETRY_AFTER),
            });
            slots.len() - 1
        }
    };
    let slot = &mut slots[i];
    if let Err(failed) = slot.conn {
        if failed.elapsed() < RETRY_AFTER {
            return None;
        }
        slot.conn = rt
            .block_on(sql::within(
                limit,
                "connecting to PostgreSQL",
                connect(&inner.config, false),
            ))
            .map_err(|_| Instant::now());
    }
    let conn = slot.conn.as_ref().ok()?;
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
            slots.swap_remove(i);
            None
        }
    }
}
