//! Locates the `greenvm` binary, building it first.
//!
//! Cargo only builds a package's binaries for that package's own tests, so
//! this crate builds `greenvm` itself: once per test process (guarded by a
//! `OnceLock`), it runs `cargo build -p greenvm --bin greenvm` with the same
//! profile and target directory as the running test, then returns
//! `<target-dir>/<profile>/greenvm`. The target directory and profile are read
//! off the test executable's own path (`<target-dir>/<profile>/deps/NAME`),
//! which is right whether or not `CARGO_TARGET_DIR` or `--release` is used.
//!
//! Setting `GREENVM_BIN` skips the build and uses that binary instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of an up-to-date `greenvm` binary. Panics (failing the test) if
/// it cannot be built.
pub fn greenvm() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| match std::env::var_os("GREENVM_BIN") {
        Some(path) => PathBuf::from(path),
        None => build_greenvm(),
    })
}

fn build_greenvm() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test executable has a path");
    // <target-dir>/<profile>/deps/<test executable>
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in <target-dir>/<profile>/deps");
    let target_dir = profile_dir
        .parent()
        .expect("the profile directory has a parent");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "greenvm",
            "--bin",
            "greenvm",
            "--profile",
            profile,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(crate::workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{cargo} build`: {e}"));
    assert!(
        output.status.success(),
        "`cargo build -p greenvm` failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let binary = profile_dir.join(format!("greenvm{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "built greenvm, but {} does not exist",
        binary.display()
    );
    binary
}
