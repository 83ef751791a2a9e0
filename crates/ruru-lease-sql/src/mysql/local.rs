//! Reads on a thread's own MySQL connection.
//!
//! A packet worker is a plain OS thread that calls the store for every
//! packet. Through the pool, each read cost three thread hand-offs: the
//! store runtime's reactor thread woke for the answer and then woke the
//! worker, and the connection went back to the pool through its recycler
//! task, which woke a runtime thread again. Here a thread that is not
//! inside a tokio runtime keeps one connection per store, driven by a
//! current-thread runtime of its own: the worker itself waits in `epoll`
//! for the answer, and nothing else runs.
//!
//! Only reads take this way; the writes keep group commit. When the
//! thread's connection breaks or hangs, it is dropped and the read goes
//! the pool's way ([`None`]), which retries on the pool and notices an
//! outage. When it cannot be made (the server refuses more connections, a
//! certificate is wrong), the thread reads on the pool for [`RETRY_AFTER`]
//! before it tries again, so that a refusal does not cost every read a
//! connection attempt. A connection made before a reconnection (an older
//! epoch of the store's health) is replaced; those of stores that are gone
//! are closed at the thread's next read.

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row, Value};

use super::{bounded, connect_one, db_err, Inner};
use crate::sql::Q;
use crate::LeaseError;

/// How long a thread whose connection could not be made reads on the pool.
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
/// connections are dropped first: they are registered with it).
struct Local {
    slots: Vec<Slot>,
    rt: tokio::runtime::Runtime,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
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
    params: &[Value],
) -> Option<Result<Vec<Row>, LeaseError>> {
    let limit = inner.opts.connect_timeout;
    // Connections of dropped stores, or from before a reconnection.
    let mut stale = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let s = &slots[i];
        if s.owner.strong_count() == 0 || (s.of(inner) && s.epoch != epoch) {
            stale.extend(slots.swap_remove(i).conn.ok());
        } else {
            i += 1;
        }
    }
    if !stale.is_empty() {
        rt.block_on(async {
            for c in stale {
                let _ = tokio::time::timeout(limit, c.disconnect()).await;
            }
        });
    }
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
            .block_on(connect_one(&inner.opts))
            .map_err(|_| Instant::now());
    }
    let conn = slot.conn.as_mut().ok()?;
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
            drop(slots.swap_remove(i).conn);
            None
        }
    }
}
