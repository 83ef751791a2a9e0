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
//! thread's connection cannot be made, breaks or hangs, it is dropped and
//! the read goes the pool's way ([`None`]), which retries on the pool and
//! notices an outage. A connection made before a reconnection (an older
//! epoch of the store's health) is replaced; those of stores that are gone
//! are closed at the thread's next read.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Row, Value};

use super::{connect_one, db_err, Inner};
use crate::sql::Q;
use crate::LeaseError;

/// Numbers the stores, so that a thread finds its connection to each.
static NEXT_STORE: AtomicU64 = AtomicU64::new(1);

/// A new store's number.
pub(super) fn store_id() -> u64 {
    NEXT_STORE.fetch_add(1, Ordering::Relaxed)
}

/// A thread's connection to one store.
struct Slot {
    store: u64,
    owner: Weak<Inner>,
    /// The store's health epoch when it was made.
    epoch: u64,
    conn: Conn,
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
    // Connections of dropped stores, or from before a reconnection.
    let mut stale = Vec::new();
    let mut i = 0;
    while i < slots.len() {
        let s = &slots[i];
        let gone = s.owner.strong_count() == 0;
        if gone || (s.store == inner.id && s.epoch != epoch) {
            stale.push(slots.swap_remove(i).conn);
        } else {
            i += 1;
        }
    }
    let limit = inner.opts.connect_timeout;
    if !stale.is_empty() {
        rt.block_on(async {
            for c in stale {
                let _ = tokio::time::timeout(limit, c.disconnect()).await;
            }
        });
    }
    let i = match slots.iter().position(|s| s.store == inner.id) {
        Some(i) => i,
        None => {
            let conn = rt.block_on(connect_one(&inner.opts)).ok()?;
            slots.push(Slot {
                store: inner.id,
                owner: Arc::downgrade(inner),
                epoch,
                conn,
            });
            slots.len() - 1
        }
    };
    let text = inner.texts[q as usize].as_str();
    let conn = &mut slots[i].conn;
    // A one-lease read gets `connect_timeout`, as on the pool.
    let answer = rt.block_on(async {
        let exec = conn.exec::<Row, _, _>(text, Params::Positional(params.to_vec()));
        if q.is_point() {
            tokio::time::timeout(limit, exec).await
        } else {
            Ok(exec.await)
        }
    });
    match answer {
        Ok(Ok(rows)) => Some(Ok(rows)),
        // Refused by the server (the connection is fine).
        Ok(Err(e @ mysql_async::Error::Server(_))) => Some(Err(db_err(e))),
        // Broken or hung: closed; the pool's way decides.
        Ok(Err(_)) | Err(_) => {
            drop(slots.swap_remove(i).conn);
            None
        }
    }
}
