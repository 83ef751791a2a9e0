//! [`ParkingLot`]: replies parked by hook libraries (Kea's PARK), bounded by
//! `parked-packet-limit`.
//!
//! A parked reply goes through two steps that can happen in either order
//! relative to the library's `unpark`:
//! 1. during the callout that returns PARK, the dispatcher **reserves** the
//!    id (refused when the lot is full: the packet is dropped);
//! 2. when the engine has handed back the half-done reply, the worker
//!    **holds** it with the closure that finishes it (resume and send, or
//!    count it dropped).
//!
//! `unpark` on a reserved id records the decision, and holding then
//! finishes at once; `unpark` on a held id finishes it. Finishing never runs
//! on the caller's thread (a library may unpark from inside a callout,
//! holding its own locks): closures go to the lot's executor thread.
//! [`ParkingLot::clear`] drops everything (the libraries are being
//! unloaded or replaced).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, MutexGuard};

use tracing::{debug, warn};

pub use ruru_engine::hooks::Finish;

enum Slot {
    /// A callout that may park is running: its library may already unpark
    /// from another thread before the callout returns PARK (Kea parks the
    /// packet before calling the callouts). `early` is that decision.
    Pending {
        lib: usize,
        early: Option<bool>,
        v6: bool,
    },
    /// The callout returned PARK; the reply is not held yet. `early` is the
    /// library's decision if it already unparked.
    Reserved {
        lib: usize,
        early: Option<bool>,
        v6: bool,
    },
    Held {
        lib: usize,
        finish: Finish,
        v6: bool,
    },
}

impl Slot {
    /// Whether it holds a DHCPv6 reply.
    fn is_v6(&self) -> bool {
        match self {
            Slot::Pending { v6, .. } | Slot::Reserved { v6, .. } | Slot::Held { v6, .. } => *v6,
        }
    }
}

/// Each family's `parked-packet-limit` (0: no limit), as each Kea daemon
/// has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParkLimits {
    pub v4: u32,
    pub v6: u32,
}

impl ParkLimits {
    /// The same limit for both families.
    pub fn both(limit: u32) -> Self {
        ParkLimits {
            v4: limit,
            v6: limit,
        }
    }
}

/// Counters of a lot (statistics `hooks.parked-packets`, ...).
#[derive(Debug, Default)]
pub struct ParkStats {
    pub parked: AtomicU64,
    pub resumed: AtomicU64,
    pub dropped: AtomicU64,
    pub refused: AtomicU64,
}

/// The parking lot of one generation of hook libraries.
pub struct ParkingLot {
    /// Most slots of each family at once; 0: no limit.
    limits: ParkLimits,
    slots: Mutex<HashMap<u64, Slot>>,
    exec: Mutex<Option<Sender<(Finish, bool)>>>,
    pub stats: std::sync::Arc<ParkStats>,
}

impl std::fmt::Debug for ParkingLot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParkingLot")
            .field("limits", &self.limits)
            .field("slots", &self.lock().len())
            .finish()
    }
}

impl ParkingLot {
    pub fn new(limits: ParkLimits, stats: std::sync::Arc<ParkStats>) -> Self {
        ParkingLot {
            limits,
            slots: Mutex::new(HashMap::new()),
            exec: Mutex::new(None),
            stats,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Slot>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `finish(send)` on the executor thread (started on first use).
    fn run(&self, finish: Finish, send: bool) {
        if send {
            self.stats.resumed.fetch_add(1, Relaxed);
        } else {
            self.stats.dropped.fetch_add(1, Relaxed);
        }
        let mut exec = self
            .exec
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let job = (finish, send);
        let job = match exec.as_ref() {
            Some(tx) => match tx.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (tx, rx) = mpsc::channel::<(Finish, bool)>();
        let started = std::thread::Builder::new()
            .name("ruru-unpark".into())
            .spawn(move || {
                while let Ok((f, send)) = rx.recv() {
                    f(send);
                }
            });
        match started {
            Ok(_) => {
                let _ = tx.send(job);
                *exec = Some(tx);
            }
            Err(e) => {
                warn!(target: super::TARGET, error = %e, "cannot start the unpark thread; finishing the parked packet here");
                drop(exec);
                (job.0)(job.1);
            }
        }
    }

    /// Step 0 (before a callout that may park runs): library `lib` may
    /// unpark `id` from now on, even before its callout returns.
    pub fn expect(&self, id: u64, lib: usize, v6: bool) {
        self.lock().insert(
            id,
            Slot::Pending {
                lib,
                early: None,
                v6,
            },
        );
    }

    /// The callout did not park after all: forgets what [`Self::expect`]
    /// noted (an unpark it got meanwhile has nothing to act on).
    pub fn forget(&self, id: u64) {
        let mut slots = self.lock();
        if matches!(slots.get(&id), Some(Slot::Pending { .. })) {
            slots.remove(&id);
        }
    }

    /// Step 1 (in the callout's dispatch): reserves `id` for library `lib`
    /// (a DHCPv6 reply when `v6`), keeping an unpark that came while the
    /// callout ran; false when that family's part of the lot is full.
    pub fn reserve(&self, id: u64, lib: usize, v6: bool) -> bool {
        let mut slots = self.lock();
        let early = match slots.remove(&id) {
            Some(Slot::Pending { lib: l, early, .. }) if l == lib => early,
            _ => None,
        };
        let limit = if v6 { self.limits.v6 } else { self.limits.v4 };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let parked = slots
            .values()
            .filter(|s| s.is_v6() == v6 && !matches!(s, Slot::Pending { .. }))
            .count();
        if limit != 0 && parked >= limit {
            self.stats.refused.fetch_add(1, Relaxed);
            return false;
        }
        slots.insert(id, Slot::Reserved { lib, early, v6 });
        self.stats.parked.fetch_add(1, Relaxed);
        true
    }

    /// Step 2 (in the worker): holds the reply parked under `id`. If the
    /// library already decided, or the lot was cleared meanwhile, the
    /// reply is finished at once.
    pub fn hold(&self, id: u64, finish: Finish) {
        let mut slots = self.lock();
        match slots.remove(&id) {
            Some(Slot::Reserved {
                lib,
                early: None,
                v6,
            }) => {
                slots.insert(id, Slot::Held { lib, finish, v6 });
            }
            Some(Slot::Reserved {
                early: Some(send), ..
            }) => {
                drop(slots);
                self.run(finish, send);
            }
            Some(held @ Slot::Held { .. }) => {
                // Cannot happen (ids are unique); keep the first.
                slots.insert(id, held);
                drop(slots);
                self.run(finish, false);
            }
            // (Pending: its callout did not park; cannot happen either.)
            Some(Slot::Pending { .. }) | None => {
                drop(slots);
                debug!(target: super::TARGET, id, "parked packet was given up before it was held");
                self.run(finish, false);
            }
        }
    }

    /// The library `lib` unparks `id`: `send` or drop. False when no reply
    /// of that library is parked under `id`.
    pub fn unpark(&self, lib: usize, id: u64, send: bool) -> bool {
        let mut slots = self.lock();
        match slots.get_mut(&id) {
            Some(Slot::Reserved { lib: l, early, .. } | Slot::Pending { lib: l, early, .. })
                if *l == lib && early.is_none() =>
            {
                *early = Some(send);
                true
            }
            Some(Slot::Held { lib: l, .. }) if *l == lib => {
                let Some(Slot::Held { finish, .. }) = slots.remove(&id) else {
                    return false;
                };
                drop(slots);
                self.run(finish, send);
                true
            }
            _ => false,
        }
    }

    /// Drops every parked reply (libraries unloaded or replaced).
    pub fn clear(&self) {
        let all: Vec<Slot> = self.lock().drain().map(|(_, s)| s).collect();
        let n = all.len();
        for s in all {
            match s {
                Slot::Held { finish, .. } => self.run(finish, false),
                Slot::Reserved { .. } => {
                    self.stats.dropped.fetch_add(1, Relaxed);
                }
                Slot::Pending { .. } => {}
            }
        }
        if n > 0 {
            warn!(target: super::TARGET, packets = n, "parked packets dropped: their hook libraries are being unloaded");
        }
    }

    /// Replies parked now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no reply is parked.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::sync::Arc;
    use std::time::Duration;

    fn lot(limit: u32) -> ParkingLot {
        ParkingLot::new(ParkLimits::both(limit), Arc::new(ParkStats::default()))
    }

    fn finisher(tx: &Sender<(u64, bool)>, id: u64) -> Finish {
        let tx = tx.clone();
        Box::new(move |send| {
            let _ = tx.send((id, send));
        })
    }

    #[test]
    fn unpark_before_or_after_hold_finishes_once() {
        let l = lot(0);
        let (tx, rx) = channel();
        // unpark after hold
        assert!(l.reserve(1, 0, false));
        l.hold(1, finisher(&tx, 1));
        assert!(l.unpark(0, 1, true));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok((1, true)));
        assert!(!l.unpark(0, 1, true), "a second unpark finds nothing");
        // unpark between reserve and hold
        assert!(l.reserve(2, 0, false));
        assert!(l.unpark(0, 2, false));
        l.hold(2, finisher(&tx, 2));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok((2, false)));
        assert_eq!(l.len(), 0);
    }

    /// A library may unpark from its own thread before its callout has
    /// returned PARK (as it may in Kea, which parks first): the decision
    /// is kept and applied when the reply is held.
    #[test]
    fn unpark_while_the_callout_still_runs() {
        let l = lot(0);
        let (tx, rx) = channel();
        l.expect(7, 0, false);
        assert!(!l.unpark(1, 7, true), "another library's id");
        assert!(l.unpark(0, 7, true));
        assert!(l.reserve(7, 0, false));
        l.hold(7, finisher(&tx, 7));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok((7, true)));
        assert_eq!(l.len(), 0);
        // A callout that did not park leaves nothing behind.
        l.expect(8, 0, false);
        l.forget(8);
        assert_eq!(l.len(), 0);
        assert!(!l.unpark(0, 8, true));
        // Pending callouts do not count against the limit.
        let l = lot(1);
        l.expect(9, 0, false);
        assert!(l.reserve(10, 0, false));
        assert!(!l.reserve(9, 0, false), "the one slot is taken");
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn each_family_has_its_own_limit() {
        let l = ParkingLot::new(ParkLimits { v4: 1, v6: 2 }, Arc::new(ParkStats::default()));
        assert!(l.reserve(1, 0, false));
        assert!(!l.reserve(2, 0, false), "DHCPv4's one slot is taken");
        assert!(l.reserve(3, 0, true));
        assert!(l.reserve(4, 0, true));
        assert!(!l.reserve(5, 0, true), "DHCPv6's two slots are taken");
        assert_eq!(l.stats.refused.load(Relaxed), 2);
    }

    #[test]
    fn bounded_owned_and_cleared() {
        let l = lot(2);
        let (tx, rx) = channel();
        assert!(l.reserve(1, 0, false));
        assert!(l.reserve(2, 1, false));
        assert!(!l.reserve(3, 0, false), "full");
        assert_eq!(l.stats.refused.load(Relaxed), 1);
        l.hold(1, finisher(&tx, 1));
        l.hold(2, finisher(&tx, 2));
        assert!(
            !l.unpark(1, 1, true),
            "library 1 cannot unpark library 0's packet"
        );
        l.clear();
        let mut got = vec![
            rx.recv_timeout(Duration::from_secs(5)),
            rx.recv_timeout(Duration::from_secs(5)),
        ];
        got.sort_by_key(|r| r.as_ref().map(|x| x.0).unwrap_or(0));
        assert_eq!(got, vec![Ok((1, false)), Ok((2, false))]);
        assert!(l.reserve(3, 0, false), "room again after clear");
        // held after a clear: finished as dropped at once
        l.clear();
        l.hold(3, finisher(&tx, 3));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok((3, false)));
    }
}
