//! Scheduler configurations to run the concurrency programs under.
//!
//! A program opts in with a header line `; matrix: full` or `; matrix: light`
//! (see [`crate::spec`]); every configuration must give the same (matching)
//! output and exit status as the program's expectations, since the programs
//! are written to be deterministic under any schedule.
//! - `full`: every policy x workers 1..=4 x LIFO slot on/off (24 runs); the
//!   seed cycles through [`SEEDS`] and the quantum through [`QUANTA`] so that
//!   each seed and each quantum meets every policy. A quantum of 1 preempts
//!   a thread at every call and taken branch: the harshest interleaving.
//! - `light`: six runs that still cover every policy, every worker count,
//!   both LIFO settings, every seed and every quantum, for the heavier
//!   programs.

/// The scheduling policies `greenvm run --policy` accepts.
pub const POLICIES: [&str; 3] = ["global-fifo", "steal-one", "steal-half"];

/// The seeds the matrix uses.
pub const SEEDS: [u64; 3] = [1, 7, 42];

/// The quanta (`--quantum`) the matrix uses; `None` is the VM's default.
pub const QUANTA: [Option<u32>; 3] = [None, Some(1), Some(50)];

/// How much of the matrix a program runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matrix {
    /// Only the plain runs (default options).
    None,
    /// Six configurations covering each option value at least once.
    Light,
    /// Every policy x workers x LIFO combination.
    Full,
}

impl Matrix {
    pub fn from_name(name: &str) -> Option<Matrix> {
        match name {
            "none" => Some(Matrix::None),
            "light" => Some(Matrix::Light),
            "full" => Some(Matrix::Full),
            _ => None,
        }
    }

    /// The configurations to run under.
    pub fn configs(self) -> Vec<SchedConfig> {
        match self {
            Matrix::None => Vec::new(),
            Matrix::Light => vec![
                SchedConfig::new("global-fifo", 1, true, 1, QUANTA[0]),
                SchedConfig::new("global-fifo", 4, false, 7, QUANTA[1]),
                SchedConfig::new("steal-one", 2, false, 42, QUANTA[2]),
                SchedConfig::new("steal-one", 3, true, 1, QUANTA[1]),
                SchedConfig::new("steal-half", 1, false, 7, QUANTA[2]),
                SchedConfig::new("steal-half", 4, true, 42, QUANTA[0]),
            ],
            Matrix::Full => {
                let mut configs = Vec::new();
                for policy in POLICIES {
                    for workers in 1..=4 {
                        for lifo in [true, false] {
                            let n = configs.len();
                            let seed = SEEDS[n % SEEDS.len()];
                            let quantum = QUANTA[n / 2 % QUANTA.len()];
                            configs.push(SchedConfig::new(policy, workers, lifo, seed, quantum));
                        }
                    }
                }
                configs
            }
        }
    }
}

/// One scheduler configuration: the `greenvm run` options that select it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedConfig {
    pub policy: &'static str,
    pub workers: usize,
    pub lifo_slot: bool,
    pub seed: u64,
    /// `--quantum`, or `None` for the default.
    pub quantum: Option<u32>,
}

impl SchedConfig {
    pub fn new(
        policy: &'static str,
        workers: usize,
        lifo_slot: bool,
        seed: u64,
        quantum: Option<u32>,
    ) -> SchedConfig {
        SchedConfig {
            policy,
            workers,
            lifo_slot,
            seed,
            quantum,
        }
    }

    /// The options, to put between `run` and the file name.
    pub fn options(&self) -> Vec<String> {
        let mut options: Vec<String> = vec![
            "--policy".into(),
            self.policy.into(),
            "--workers".into(),
            self.workers.to_string(),
            "--lifo-slot".into(),
            if self.lifo_slot { "on" } else { "off" }.into(),
            "--seed".into(),
            self.seed.to_string(),
        ];
        if let Some(quantum) = self.quantum {
            options.push("--quantum".into());
            options.push(quantum.to_string());
        }
        options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_covers_every_combination_and_every_seed() {
        let configs = Matrix::Full.configs();
        assert_eq!(configs.len(), 24);
        for policy in POLICIES {
            for seed in SEEDS {
                assert!(configs.iter().any(|c| c.seed == seed && c.policy == policy));
            }
            for quantum in QUANTA {
                assert!(configs
                    .iter()
                    .any(|c| c.quantum == quantum && c.policy == policy));
            }
        }
    }

    #[test]
    fn light_covers_every_value() {
        let configs = Matrix::Light.configs();
        for policy in POLICIES {
            assert!(configs.iter().any(|c| c.policy == policy));
        }
        for workers in 1..=4 {
            assert!(configs.iter().any(|c| c.workers == workers));
        }
        for seed in SEEDS {
            assert!(configs.iter().any(|c| c.seed == seed));
        }
        for quantum in QUANTA {
            assert!(configs.iter().any(|c| c.quantum == quantum));
        }
        assert!(configs.iter().any(|c| c.lifo_slot) && configs.iter().any(|c| !c.lifo_slot));
    }
}
