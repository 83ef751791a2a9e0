//! A packet worker's own connections, for reads (MySQL's `mysql::local`
//! and PostgreSQL's `postgres::local`): one per store per thread, driven
//! by a current-thread runtime of the thread's own, so that the worker
//! itself waits in `epoll` for the answer and no other thread is woken.
//!
//! What both databases share is kept here: which store a connection
//! belongs to (a weak reference, so a dropped store's address is never
//! mistaken for a new one's), the store's health epoch it was made in (a
//! connection from before a reconnection is replaced), and a pause of
//! [`RETRY_AFTER`] after a connection could not be made, during which the
//! thread reads the store's shared way.

use std::cell::RefCell;
use std::sync::{Arc, Weak};
use std::thread::LocalKey;
use std::time::{Duration, Instant};

/// How long a thread whose connection could not be made reads the
/// shared way.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(10);

/// A thread's connection `C` to one store `I`.
struct Slot<I, C> {
    owner: Weak<I>,
    /// The store's health epoch when it was made (or failed).
    epoch: u64,
    /// The connection, or when the last attempt to make one failed.
    conn: Result<C, Instant>,
}

impl<I, C> Slot<I, C> {
    fn of(&self, inner: &Arc<I>) -> bool {
        std::ptr::eq(self.owner.as_ptr(), Arc::as_ptr(inner))
    }
}

/// A thread's connections and the runtime that drives them (the
/// connections are dropped first: they are registered with it).
pub(crate) struct Local<I, C> {
    slots: Vec<Slot<I, C>>,
    pub rt: tokio::runtime::Runtime,
}

/// This thread's [`Local`] in `key`, made on first use, given to `f`;
/// `None` when the thread is inside a tokio runtime (the control API,
/// tests: they read the shared way) or the runtime cannot be made.
pub(crate) fn with<I: 'static, C: 'static, T>(
    key: &'static LocalKey<RefCell<Option<Local<I, C>>>>,
    f: impl FnOnce(&mut Local<I, C>) -> Option<T>,
) -> Option<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return None;
    }
    key.try_with(|cell| {
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
        f(guard.as_mut()?)
    })
    .ok()
    .flatten()
}

impl<I, C> Local<I, C> {
    /// Takes out the connections of dropped stores, and `inner`'s from
    /// before `epoch` (for the caller to close).
    pub fn stale(&mut self, inner: &Arc<I>, epoch: u64) -> Vec<C> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.slots.len() {
            let s = &self.slots[i];
            if s.owner.strong_count() == 0 || (s.of(inner) && s.epoch != epoch) {
                out.extend(self.slots.swap_remove(i).conn.ok());
            } else {
                i += 1;
            }
        }
        out
    }

    /// The index of `inner`'s connection, made with `connect` if there is
    /// none (unless an attempt failed less than [`RETRY_AFTER`] ago);
    /// `None`: read the shared way.
    pub fn conn(
        &mut self,
        inner: &Arc<I>,
        epoch: u64,
        connect: impl FnOnce(&tokio::runtime::Runtime) -> Option<C>,
    ) -> Option<usize> {
        let i = match self.slots.iter().position(|s| s.of(inner)) {
            Some(i) => i,
            None => {
                self.slots.push(Slot {
                    owner: Arc::downgrade(inner),
                    epoch,
                    conn: Err(Instant::now() - RETRY_AFTER),
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[i];
        if let Err(failed) = slot.conn {
            if failed.elapsed() < RETRY_AFTER {
                return None;
            }
            slot.conn = connect(&self.rt).ok_or_else(Instant::now);
        }
        slot.conn.is_ok().then_some(i)
    }

    /// The runtime and connection `i` (from [`Local::conn`]).
    pub fn get(&mut self, i: usize) -> Option<(&tokio::runtime::Runtime, &mut C)> {
        let conn = self.slots.get_mut(i)?.conn.as_mut().ok()?;
        Some((&self.rt, conn))
    }

    /// Drops connection `i` (broken or hung): the next read makes a new one.
    pub fn forget(&mut self, i: usize) {
        if i < self.slots.len() {
            self.slots.swap_remove(i);
        }
    }
}
