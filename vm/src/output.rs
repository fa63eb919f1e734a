//! The program's standard output and error streams.
//!
//! stdout is buffered (one buffer per program, behind a mutex taken only by
//! output natives); it is flushed at VM exit and before anything is written
//! to stderr, so the two streams interleave in program order. Tests use a
//! capturing sink instead of the real streams. Write errors (e.g. a closed
//! pipe) are ignored, as Java's `System.out` does.

use std::io::{self, BufWriter, Write};
use std::sync::Mutex;

enum Sink {
    /// The process's stdout and stderr.
    Process(BufWriter<io::Stdout>),
    /// In-memory buffers for tests.
    Capture { out: Vec<u8>, err: Vec<u8> },
}

/// Where a program's output goes.
pub struct Output {
    sink: Mutex<Sink>,
}

impl Output {
    /// The process's stdout (buffered) and stderr.
    pub fn process() -> Output {
        Output {
            sink: Mutex::new(Sink::Process(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            ))),
        }
    }

    /// In-memory buffers, read back with [`Output::captured`].
    pub fn capture() -> Output {
        Output {
            sink: Mutex::new(Sink::Capture {
                out: Vec::new(),
                err: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Sink> {
        self.sink.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends to stdout.
    pub fn write_out(&self, bytes: &[u8]) {
        match &mut *self.lock() {
            Sink::Process(w) => {
                let _ = w.write_all(bytes);
            }
            Sink::Capture { out, .. } => out.extend_from_slice(bytes),
        }
    }

    /// Flushes stdout, then writes to stderr.
    pub fn write_err(&self, bytes: &[u8]) {
        match &mut *self.lock() {
            Sink::Process(w) => {
                let _ = w.flush();
                let mut err = io::stderr().lock();
                let _ = err.write_all(bytes);
                let _ = err.flush();
            }
            Sink::Capture { err, .. } => err.extend_from_slice(bytes),
        }
    }

    /// Flushes stdout.
    pub fn flush(&self) {
        if let Sink::Process(w) = &mut *self.lock() {
            let _ = w.flush();
        }
    }

    /// What a capturing sink has collected so far: (stdout, stderr). Empty
    /// for the process sink.
    pub fn captured(&self) -> (String, String) {
        match &*self.lock() {
            Sink::Process(_) => (String::new(), String::new()),
            Sink::Capture { out, err } => (
                String::from_utf8_lossy(out).into_owned(),
                String::from_utf8_lossy(err).into_owned(),
            ),
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_collects_both_streams() {
        let o = Output::capture();
        o.write_out(b"a");
        o.write_err(b"b");
        o.write_out(b"c");
        assert_eq!(o.captured(), ("ac".to_string(), "b".to_string()));
    }
}
