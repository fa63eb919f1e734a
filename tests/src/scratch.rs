//! Per-test scratch directories under the system temporary directory.
//!
//! Each call gets a fresh, empty directory whose name holds the process id,
//! the caller's label and a counter, so parallel tests and concurrent test
//! runs never share one. Directories are left behind on failure for
//! inspection and removed when the [`Scratch`] is dropped after success.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh temporary directory, removed on drop unless the thread panicked.
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// Creates an empty directory labelled `label`.
    pub fn new(label: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("greenvm-test-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Scratch { dir }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The path of `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
