//! Grace periods: when the job of an exited thread may be dropped.
//!
//! The guarantee (stated on [`crate::Job`]): a thread's job is dropped only after every
//! worker has finished the run segment it was in when the thread exited. So code running
//! in a job may keep using data owned by *another* thread's job, reached through a pointer
//! that the owner clears before its job returns `Step::Exit`, until its own run segment
//! ends, even if the owner exits meanwhile. The vm relies on this: a thread object points
//! at its live thread record without counting references on every use, and the record is
//! freed soon after the thread ends instead of living as long as the object.
//!
//! Mechanism: quiescent-state-based reclamation, as in userspace RCU's QSBR flavour.
//! - Each worker owns one [`Announcements`] word: even while it is online, moving on by 2
//!   at each of its quiescent points; odd while it is offline (asleep or stopped), when it
//!   touches no job data at all.
//! - Between two run segments, every [`QUIESCE_TICKS`] picks, a worker announces a
//!   quiescent point with a sequentially consistent swap: a full fence, so what its
//!   earlier segments read is done before the new value is visible, and its later
//!   segments read only after it is.
//! - The job of a thread that exits on a worker goes to that worker's [`Limbo`]. At a
//!   quiescent point the worker *seals* the batch: it snapshots every other worker's word.
//!   The batch is dropped at a later quiescent point once every other worker was offline
//!   at the snapshot or has announced since.
//!
//! Why that is enough: suppose worker B read the pointer (before it was cleared) in a
//! segment that began with announcement `a`. Worker A cleared it, then (swap, a full
//! fence) snapshotted B's word. By the two fences, A's snapshot sees `a` or later, unless
//! B's read came after the clearing and so saw null. If the snapshot saw `a`, A waits for
//! B's next announcement, which comes after that segment. If B was offline at the
//! snapshot, it comes online with another full fence and then reads only cleared pointers.
//!
//! Cost: one locked instruction per [`QUIESCE_TICKS`] run segments and two per worker
//! sleep; nothing on the spawn, unpark or park paths.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

use crossbeam_utils::CachePadded;

use crate::thread::Continuation;

/// A worker announces a quiescent point every this many picks.
pub(crate) const QUIESCE_TICKS: u32 = 64;

const OFFLINE: u64 = 1;

/// One announcement word per worker (see the module header).
pub(crate) struct Announcements {
    words: Box<[CachePadded<AtomicU64>]>,
}

impl Announcements {
    /// Every worker starts online.
    pub(crate) fn new(workers: usize) -> Announcements {
        Announcements {
            words: (0..workers)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        }
    }

    /// Worker `me`, online and between run segments, passes a quiescent point.
    pub(crate) fn quiesce(&self, me: usize) {
        let word = &self.words[me];
        let now = word.load(Relaxed);
        debug_assert_eq!(now & OFFLINE, 0, "an offline worker announced");
        word.swap(now + 2, SeqCst);
    }

    /// Worker `me` stops touching job data (it is about to sleep or stop).
    pub(crate) fn go_offline(&self, me: usize) {
        let word = &self.words[me];
        let now = word.load(Relaxed);
        if now & OFFLINE == 0 {
            word.store(now | OFFLINE, Release);
        }
    }

    /// Worker `me` is back and may touch job data again.
    pub(crate) fn go_online(&self, me: usize) {
        let word = &self.words[me];
        let now = word.load(Relaxed);
        if now & OFFLINE != 0 {
            word.swap(now + 1, SeqCst);
        }
    }

    /// Every other worker's word, just after `me` announced a quiescent point.
    fn snapshot(&self, me: usize, out: &mut Vec<u64>) {
        out.clear();
        out.extend(self.words.iter().map(|w| w.load(SeqCst)));
        out[me] = OFFLINE;
    }

    /// Has every worker passed a quiescent point (or been offline) since `snapshot`?
    fn passed(&self, snapshot: &[u64]) -> bool {
        snapshot
            .iter()
            .zip(self.words.iter())
            .all(|(&then, now)| then & OFFLINE != 0 || now.load(Acquire) != then)
    }
}

/// The jobs of threads that exited on one worker, waiting out their grace period.
/// Owned by that worker.
#[derive(Default)]
pub(crate) struct Limbo {
    /// Exited since the last seal.
    fresh: Vec<Continuation>,
    /// Sealed under `snapshot`: dropped once every worker has passed it.
    sealed: Vec<Continuation>,
    snapshot: Vec<u64>,
}

impl Limbo {
    pub(crate) fn retire(&mut self, continuation: Continuation) {
        self.fresh.push(continuation);
    }

    /// Whether anything waits here.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.fresh.is_empty() && self.sealed.is_empty()
    }

    /// Called by worker `me` just after it announced a quiescent point: returns the jobs
    /// whose grace period is over (to be dropped by the caller, outside any borrow), and
    /// seals the fresh ones if no batch is waiting.
    pub(crate) fn collect(
        &mut self,
        me: usize,
        announcements: &Announcements,
    ) -> Vec<Continuation> {
        let mut done = Vec::new();
        if !self.sealed.is_empty() && announcements.passed(&self.snapshot) {
            done = std::mem::take(&mut self.sealed);
        }
        if self.sealed.is_empty() && !self.fresh.is_empty() {
            std::mem::swap(&mut self.sealed, &mut self.fresh);
            announcements.snapshot(me, &mut self.snapshot);
        }
        done
    }

    /// Everything still here (the run is over; the caller drops it once all workers stopped).
    pub(crate) fn take_all(&mut self) -> Vec<Continuation> {
        let mut all = std::mem::take(&mut self.sealed);
        all.append(&mut self.fresh);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Step};

    fn job() -> Continuation {
        Continuation::Job(Box::new(|_: &mut Context| Step::Exit))
    }

    #[test]
    fn a_batch_waits_for_every_online_worker() {
        let ann = Announcements::new(3);
        let mut limbo = Limbo::default();
        limbo.retire(job());
        ann.quiesce(0);
        assert!(limbo.collect(0, &ann).is_empty(), "sealed, not yet passed");
        ann.quiesce(1);
        ann.quiesce(0);
        assert!(limbo.collect(0, &ann).is_empty(), "worker 2 has not passed");
        ann.go_offline(2);
        ann.quiesce(0);
        assert_eq!(limbo.collect(0, &ann).len(), 1);
        assert!(limbo.is_empty());
    }

    #[test]
    fn offline_workers_do_not_hold_a_batch_back() {
        let ann = Announcements::new(2);
        ann.go_offline(1);
        let mut limbo = Limbo::default();
        limbo.retire(job());
        ann.quiesce(0);
        assert!(limbo.collect(0, &ann).is_empty());
        // Coming back online does not matter: it was offline at the snapshot.
        ann.go_online(1);
        ann.quiesce(0);
        assert_eq!(limbo.collect(0, &ann).len(), 1);
    }

    #[test]
    fn a_lone_worker_frees_at_its_next_quiescent_point() {
        let ann = Announcements::new(1);
        let mut limbo = Limbo::default();
        limbo.retire(job());
        ann.quiesce(0);
        assert!(limbo.collect(0, &ann).is_empty());
        limbo.retire(job());
        ann.quiesce(0);
        assert_eq!(limbo.collect(0, &ann).len(), 1, "the first batch");
        ann.quiesce(0);
        assert_eq!(limbo.collect(0, &ann).len(), 1, "the second batch");
    }
}
