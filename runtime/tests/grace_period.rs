//! The grace-period guarantee of `Job` under load: readers on every worker use data owned
//! by other threads' jobs, reached through a pointer each owner clears just before it
//! exits; no owner's data may be dropped while a reader that loaded the pointer is still
//! in the same run segment. Runs under every policy x LIFO slot x victim x 1..=4 workers.

mod common;

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use common::{matrix, run};
use runtime::{Context, Job, Outcome, SpawnOptions, Step};

const OWNERS: usize = 200;
const READERS: usize = 8;
const SLOTS: usize = 16;

/// Owned by one owner's job; readers count themselves in and out while they use it.
struct Payload {
    users: AtomicUsize,
    /// Dropped while a reader was using it (counted, then checked by the test).
    violations: Arc<AtomicU64>,
}

impl Drop for Payload {
    fn drop(&mut self) {
        if self.users.load(SeqCst) != 0 {
            self.violations.fetch_add(1, SeqCst);
        }
        // Make a late reader's count visible as a violation too.
        self.users.store(usize::MAX / 2, SeqCst);
    }
}

struct World {
    slots: Vec<AtomicPtr<Payload>>,
    owners_left: AtomicUsize,
    violations: Arc<AtomicU64>,
}

/// Publishes its payload in a slot for a few segments, clears it and exits.
struct Owner {
    world: Arc<World>,
    payload: Box<Payload>,
    slot: usize,
    runs: u32,
}

impl Job for Owner {
    fn run(&mut self, _cx: &mut Context) -> Step {
        let slot = &self.world.slots[self.slot];
        self.runs += 1;
        match self.runs {
            1 => {
                let mine = &*self.payload as *const Payload as *mut Payload;
                // Wait for the slot to be free (another owner may still hold it).
                if slot
                    .compare_exchange(std::ptr::null_mut(), mine, SeqCst, SeqCst)
                    .is_err()
                {
                    self.runs = 0;
                }
                Step::Yield
            }
            2..=4 => Step::Yield,
            _ => {
                slot.store(std::ptr::null_mut(), SeqCst);
                self.world.owners_left.fetch_sub(1, SeqCst);
                Step::Exit
            }
        }
    }
}

/// Uses whatever payloads it finds, within one segment each time, until every owner ended.
struct Reader {
    world: Arc<World>,
    turn: usize,
}

impl Job for Reader {
    fn run(&mut self, _cx: &mut Context) -> Step {
        if self.world.owners_left.load(SeqCst) == 0 {
            return Step::Exit;
        }
        for i in 0..SLOTS {
            let p = self.world.slots[(self.turn + i) % SLOTS].load(SeqCst);
            // SAFETY: the pointer was loaded in this segment from a slot its owner clears
            // before exiting: the grace period under test keeps it alive until we yield.
            if let Some(payload) = unsafe { p.as_ref() } {
                payload.users.fetch_add(1, SeqCst);
                for _ in 0..50 {
                    std::hint::spin_loop();
                }
                payload.users.fetch_sub(1, SeqCst);
            }
        }
        self.turn += 1;
        Step::Yield
    }
}

#[test]
fn exited_jobs_outlive_every_segment_that_could_see_them() {
    for config in matrix(&[1, 2]) {
        let what = format!("{config:?}");
        let violations = Arc::new(AtomicU64::new(0));
        let world = Arc::new(World {
            slots: (0..SLOTS).map(|_| AtomicPtr::default()).collect(),
            owners_left: AtomicUsize::new(OWNERS),
            violations: violations.clone(),
        });
        let w = world.clone();
        let mut spawned = false;
        let report = run(config, move |cx: &mut Context| {
            if std::mem::replace(&mut spawned, true) {
                return Step::Exit;
            }
            for turn in 0..READERS {
                let reader = Reader {
                    world: w.clone(),
                    turn,
                };
                cx.spawn(Box::new(reader), SpawnOptions::default());
            }
            for i in 0..OWNERS {
                let owner = Owner {
                    world: w.clone(),
                    payload: Box::new(Payload {
                        users: AtomicUsize::new(0),
                        violations: w.violations.clone(),
                    }),
                    slot: i % SLOTS,
                    runs: 0,
                };
                cx.spawn(Box::new(owner), SpawnOptions::default());
            }
            Step::Yield
        });
        assert_eq!(report.outcome, Outcome::Completed, "{what}");
        assert_eq!(violations.load(SeqCst), 0, "{what}");
    }
}
