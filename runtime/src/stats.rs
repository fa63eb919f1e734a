//! `Stats`: the built-in [`EventSink`] that counts events per kind (what the CLI's
//! `--stats` prints). Counters are relaxed atomics, one cache line each, written by any
//! worker; read them after the run for exact totals, or during it for a snapshot.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;

use crate::event::{Event, EventSink, WakeSource, NO_WORKER};

/// Counts of scheduling events, by kind.
#[derive(Default)]
pub struct Stats {
    spawns: CachePadded<AtomicU64>,
    runs: CachePadded<AtomicU64>,
    yields: CachePadded<AtomicU64>,
    preempts: CachePadded<AtomicU64>,
    parks: CachePadded<AtomicU64>,
    wakes_by_unpark: CachePadded<AtomicU64>,
    wakes_by_timer: CachePadded<AtomicU64>,
    wakes_by_permit: CachePadded<AtomicU64>,
    steals: CachePadded<AtomicU64>,
    stolen_threads: CachePadded<AtomicU64>,
    injector_takes: CachePadded<AtomicU64>,
    injector_threads: CachePadded<AtomicU64>,
    worker_parks: CachePadded<AtomicU64>,
    worker_unparks: CachePadded<AtomicU64>,
    exits: CachePadded<AtomicU64>,
}

/// A plain copy of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub spawns: u64,
    pub runs: u64,
    pub yields: u64,
    pub preempts: u64,
    pub parks: u64,
    pub wakes_by_unpark: u64,
    pub wakes_by_timer: u64,
    pub wakes_by_permit: u64,
    pub steals: u64,
    pub stolen_threads: u64,
    /// `Steal` events from the injector (victim `NO_WORKER`), and the threads they took.
    pub injector_takes: u64,
    pub injector_threads: u64,
    pub worker_parks: u64,
    pub worker_unparks: u64,
    pub exits: u64,
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    /// The counters as they are now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &CachePadded<AtomicU64>| c.load(Relaxed);
        StatsSnapshot {
            spawns: get(&self.spawns),
            runs: get(&self.runs),
            yields: get(&self.yields),
            preempts: get(&self.preempts),
            parks: get(&self.parks),
            wakes_by_unpark: get(&self.wakes_by_unpark),
            wakes_by_timer: get(&self.wakes_by_timer),
            wakes_by_permit: get(&self.wakes_by_permit),
            steals: get(&self.steals),
            stolen_threads: get(&self.stolen_threads),
            injector_takes: get(&self.injector_takes),
            injector_threads: get(&self.injector_threads),
            worker_parks: get(&self.worker_parks),
            worker_unparks: get(&self.worker_unparks),
            exits: get(&self.exits),
        }
    }
}

impl EventSink for Stats {
    fn event(&self, _worker: usize, event: Event) {
        let bump = |c: &CachePadded<AtomicU64>, n: u64| {
            c.fetch_add(n, Relaxed);
        };
        match event {
            Event::Spawn { .. } => bump(&self.spawns, 1),
            Event::Run { .. } => bump(&self.runs, 1),
            Event::Yield { .. } => bump(&self.yields, 1),
            Event::Preempt { .. } => bump(&self.preempts, 1),
            Event::Park { .. } => bump(&self.parks, 1),
            Event::Wake {
                source: WakeSource::Unpark,
                ..
            } => bump(&self.wakes_by_unpark, 1),
            Event::Wake {
                source: WakeSource::Timer,
                ..
            } => bump(&self.wakes_by_timer, 1),
            Event::Wake {
                source: WakeSource::Permit,
                ..
            } => bump(&self.wakes_by_permit, 1),
            Event::Steal {
                victim: NO_WORKER,
                count,
                ..
            } => {
                bump(&self.injector_takes, 1);
                bump(&self.injector_threads, count as u64);
            }
            Event::Steal { count, .. } => {
                bump(&self.steals, 1);
                bump(&self.stolen_threads, count as u64);
            }
            Event::WorkerPark { .. } => bump(&self.worker_parks, 1),
            Event::WorkerUnpark { .. } => bump(&self.worker_unparks, 1),
            Event::Exit { .. } => bump(&self.exits, 1),
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

impl fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, u64); 15] = [
            ("threads spawned", self.spawns),
            ("runs", self.runs),
            ("yields", self.yields),
            ("preemptions", self.preempts),
            ("parks", self.parks),
            ("wakes by unpark", self.wakes_by_unpark),
            ("wakes by timer", self.wakes_by_timer),
            ("wakes by permit", self.wakes_by_permit),
            ("steals", self.steals),
            ("threads stolen", self.stolen_threads),
            ("injector takes", self.injector_takes),
            ("threads from injector", self.injector_threads),
            ("worker parks", self.worker_parks),
            ("worker unparks", self.worker_unparks),
            ("threads exited", self.exits),
        ];
        writeln!(f, "{:<21} {:>12}", "scheduler event", "count")?;
        writeln!(f, "{:-<21} {:->12}", "", "")?;
        for (name, count) in rows {
            writeln!(f, "{name:<21} {count:>12}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_and_prints_a_table() {
        let stats = Stats::new();
        stats.event(
            0,
            Event::Spawn {
                thread: 1,
                worker: 0,
            },
        );
        stats.event(
            0,
            Event::Steal {
                thief: 0,
                victim: 1,
                count: 5,
            },
        );
        stats.event(
            1,
            Event::Steal {
                thief: 1,
                victim: NO_WORKER,
                count: 3,
            },
        );
        stats.event(
            1,
            Event::Wake {
                thread: 1,
                worker: 1,
                source: WakeSource::Timer,
            },
        );
        let s = stats.snapshot();
        assert_eq!(
            (s.spawns, s.steals, s.stolen_threads, s.wakes_by_timer),
            (1, 1, 5, 1)
        );
        assert_eq!((s.injector_takes, s.injector_threads), (1, 3));
        let table = stats.to_string();
        assert!(table.contains("threads stolen"), "{table}");
        assert!(table
            .lines()
            .any(|l| l.starts_with("threads stolen") && l.ends_with(" 5")));
    }
}
