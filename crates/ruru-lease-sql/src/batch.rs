//! Group commit for the SQL stores: the one-lease writes of the packet path
//! that arrive while others are in flight are committed together, in one
//! transaction, so that a busy server pays one commit (one WAL flush, one
//! `fsync`) per batch instead of one per lease.
//!
//! A packet worker calls a store's write ([`Batches::submit`]); the write
//! is queued and the worker waits for its own answer. Each of the store's
//! writer tasks takes the next batch ([`Batches::next`]: the oldest queued
//! write, then whatever else is queued, at most [`MAX_BATCH`]) and runs it
//! on a connection of its own. Nothing waits for a batch to fill: under a
//! light load a batch is one write, run as a plain statement, exactly as
//! without batching; the batches grow with the load, while the previous
//! batch commits.
//!
//! Every write still gets its own answer (rows affected, or its error), and
//! only after its transaction committed: an ACK never goes out for a lease
//! that could still be rolled back. How a backend runs a batch, and what it
//! does when one statement of it fails, is in [`crate::postgres`] and
//! [`crate::mysql`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::sql::{Col, Q};
use crate::LeaseError;

/// The most writes committed in one transaction.
pub(crate) const MAX_BATCH: usize = 24;

/// Writer tasks (and connections) per store: one batch commits while the
/// next one is collected and sent.
pub(crate) const WRITERS: usize = 2;

/// Whether statement `q` is one of the one-lease writes that are batched
/// (the host-reservation writes and bulk deletes are not).
pub(crate) fn batched(q: Q) -> bool {
    matches!(
        q,
        Q::Add4
            | Q::Update4
            | Q::Update4If
            | Q::Delete4
            | Q::Add6
            | Q::Update6
            | Q::Update6If
            | Q::Delete6
    )
}

/// One queued write and the way back to its caller. `R` is the backend's
/// answer to one statement.
pub(crate) struct Write<R> {
    pub q: Q,
    pub params: Vec<Col>,
    reply: mpsc::SyncSender<Result<R, LeaseError>>,
}

impl<R> Write<R> {
    /// Answers the caller (who may have gone: then nobody needs it).
    pub fn answer(self, r: Result<R, LeaseError>) {
        let _ = self.reply.send(r);
    }
}

/// Answers every write of a batch that could not be run with (a copy of)
/// `e`.
pub(crate) fn answer_all<R>(batch: Vec<Write<R>>, e: &LeaseError) {
    for w in batch {
        let copy = match e {
            LeaseError::Unavailable(m) => LeaseError::Unavailable(m.clone()),
            LeaseError::Database(m) => LeaseError::Database(m.clone()),
            other => LeaseError::Database(other.to_string()),
        };
        w.answer(Err(copy));
    }
}

/// What a SQL store's group commit did since it was opened
/// (`PgStore::group_commits`, `MySqlStore::group_commits`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommits {
    /// Transactions that committed (or tried) more than one write.
    pub batches: u64,
    /// The writes in those transactions.
    pub writes: u64,
    /// Batches rolled back because one statement failed; their writes were
    /// run again one by one.
    pub rolled_back: u64,
}

/// The queue of a store's writes waiting for a writer task.
pub(crate) struct Batches<R> {
    tx: UnboundedSender<Write<R>>,
    rx: tokio::sync::Mutex<UnboundedReceiver<Write<R>>>,
    batches: AtomicU64,
    writes: AtomicU64,
    rolled_back: AtomicU64,
    /// Writes submitted or run alone ([`Batches::alone`]) and not yet
    /// answered.
    in_flight: AtomicU64,
}

/// A write run outside the queue, counted as in flight until dropped.
pub(crate) struct Alone<'a>(&'a AtomicU64);

impl Drop for Alone<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<R> Batches<R> {
    pub fn new() -> Self {
        let (tx, rx) = unbounded_channel();
        Batches {
            tx,
            rx: tokio::sync::Mutex::new(rx),
            batches: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            rolled_back: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }
    }

    /// When no other write is in flight (there is nothing to batch a write
    /// with), the right to run one alone, outside the queue: the caller
    /// runs it on a connection of its own and holds the guard until it is
    /// answered. `None` while others are in flight: queue it
    /// ([`Batches::submit`]), so that it commits with them.
    pub fn alone(&self) -> Option<Alone<'_>> {
        self.in_flight
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Alone(&self.in_flight))
    }

    /// The counts so far.
    pub fn stats(&self) -> GroupCommits {
        GroupCommits {
            batches: self.batches.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            rolled_back: self.rolled_back.load(Ordering::Relaxed),
        }
    }

    /// A batch of several writes was rolled back (a backend reports it).
    pub fn rolled_back(&self) {
        self.rolled_back.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues a write and waits for its answer (called from a packet
    /// worker's thread, never from the store's runtime).
    pub fn submit(&self, q: Q, params: Vec<Col>) -> Result<R, LeaseError> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let _answered = Alone(&self.in_flight);
        let (reply, answer) = mpsc::sync_channel(1);
        self.tx
            .send(Write { q, params, reply })
            .map_err(|_| LeaseError::Database("the store is closed".into()))?;
        answer.recv().unwrap_or_else(|_| {
            Err(LeaseError::Database(
                "the database writer stopped without an answer".into(),
            ))
        })
    }

    /// The next batch: waits for one write, then takes the others already
    /// queued (at most [`MAX_BATCH`] in all). `None` once the store is gone.
    pub async fn next(&self) -> Option<Vec<Write<R>>> {
        let mut rx = self.rx.lock().await;
        let first = rx.recv().await?;
        let mut batch = Vec::with_capacity(MAX_BATCH);
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        if batch.len() > 1 {
            self.batches.fetch_add(1, Ordering::Relaxed);
            self.writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    /// Writes queued while the writer is busy come out as one batch, in
    /// order, and each caller gets its own answer.
    #[test]
    fn queued_writes_form_one_batch_and_each_gets_its_answer() {
        let rt = runtime();
        let b: Arc<Batches<u64>> = Arc::new(Batches::new());
        let callers: Vec<_> = (0..5)
            .map(|n| {
                let b = b.clone();
                std::thread::spawn(move || b.submit(Q::Delete4, vec![Col::Int(n)]))
            })
            .collect();
        // Wait until all five are queued, then take them.
        let batch = rt.block_on(async {
            loop {
                if b.rx.lock().await.len() == 5 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            b.next().await.unwrap()
        });
        assert_eq!(batch.len(), 5);
        assert_eq!(
            b.stats(),
            GroupCommits {
                batches: 1,
                writes: 5,
                rolled_back: 0
            }
        );
        for w in batch {
            let Col::Int(n) = w.params[0] else {
                panic!("params changed")
            };
            let n = n as u64;
            w.answer(Ok(n * 10));
        }
        let mut answers: Vec<u64> = callers
            .into_iter()
            .map(|c| c.join().unwrap().unwrap())
            .collect();
        answers.sort();
        assert_eq!(answers, vec![0, 10, 20, 30, 40]);
    }

    #[test]
    fn a_batch_is_at_most_max_batch_writes() {
        let rt = runtime();
        let b: Arc<Batches<u64>> = Arc::new(Batches::new());
        let n = MAX_BATCH + 3;
        let callers: Vec<_> = (0..n)
            .map(|_| {
                let b = b.clone();
                std::thread::spawn(move || b.submit(Q::Add4, Vec::new()))
            })
            .collect();
        let sizes = rt.block_on(async {
            while b.rx.lock().await.len() < n {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let first = b.next().await.unwrap();
            let second = b.next().await.unwrap();
            let sizes = (first.len(), second.len());
            for w in first.into_iter().chain(second) {
                w.answer(Ok(1));
            }
            sizes
        });
        assert_eq!(sizes, (MAX_BATCH, 3));
        for c in callers {
            assert_eq!(c.join().unwrap().unwrap(), 1);
        }
    }

    /// A write may run alone only while no other is in flight: one alone
    /// at a time, none while a queued write waits for its answer.
    #[test]
    fn a_write_runs_alone_only_when_none_is_in_flight() {
        let rt = runtime();
        let b: Arc<Batches<u64>> = Arc::new(Batches::new());
        let first = b.alone().expect("idle: alone");
        assert!(b.alone().is_none(), "one in flight");
        drop(first);
        let again = b.alone().expect("idle again");
        drop(again);
        // A queued write in flight (its writer not answering yet).
        let b2 = b.clone();
        let caller = std::thread::spawn(move || b2.submit(Q::Update4, Vec::new()));
        let batch = rt.block_on(b.next()).unwrap();
        assert!(b.alone().is_none(), "a queued write is in flight");
        for w in batch {
            w.answer(Ok(1));
        }
        assert_eq!(caller.join().unwrap().unwrap(), 1);
        assert!(b.alone().is_some(), "answered: idle");
    }

    /// A write whose writer drops it unanswered gets an error, not a hang.
    #[test]
    fn an_unanswered_write_is_an_error() {
        let rt = runtime();
        let b: Arc<Batches<u64>> = Arc::new(Batches::new());
        let b2 = b.clone();
        let caller = std::thread::spawn(move || b2.submit(Q::Update4, Vec::new()));
        rt.block_on(async {
            drop(b.next().await.unwrap());
        });
        assert!(matches!(
            caller.join().unwrap(),
            Err(LeaseError::Database(_))
        ));
    }

    #[test]
    fn only_one_lease_writes_are_batched() {
        assert!(batched(Q::Add4) && batched(Q::Update6If) && batched(Q::Delete6));
        assert!(!batched(Q::Get4) && !batched(Q::Flush4) && !batched(Q::HostAdd4));
    }
}
