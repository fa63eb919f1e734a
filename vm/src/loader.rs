//! Loading a module from a file, the one path `greenvm run`, `verify`, `asm`
//! and `disasm` all take: read the bytes, decode them if they start with the
//! `.gbc` magic ([`gbc::is_gbc`]) or else assemble them as `.gasm` text, then
//! verify the result.
//!
//! Invariants:
//! - [`load`] returns only verified modules.
//! - Every failure is a [`LoadFailure`] whose `Display` is the complete
//!   message for the user, located as precisely as its layer allows:
//!   `file:line:col` for assembly, `file: byte offset N` for binary modules,
//!   `file: verify error: function `f`, pc N` for verification.
//! - Nothing here panics on any input.

use std::fmt;
use std::io;
use std::path::Path;

use crate::asm::{self, AsmError};
use crate::gbc::{self, LoadError};
use crate::module::Module;
use crate::verifier::{self, VerifyError};

/// Why a file could not be loaded.
#[derive(Debug)]
pub enum LoadFailure {
    /// The file could not be read at all (missing, a directory, no permission).
    Unreadable { path: String, error: io::Error },
    /// Neither a `.gbc` module nor UTF-8 text; `offset` is the first bad byte.
    NotText { path: String, offset: usize },
    /// `.gasm` text that does not assemble (the error names the file).
    Assembly(AsmError),
    /// A `.gbc` module the loader refused.
    Binary { path: String, error: LoadError },
    /// A module that decoded or assembled but failed verification.
    Verify { path: String, error: VerifyError },
}

impl fmt::Display for LoadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadFailure::Unreadable { path, error } => {
                write!(
                    f,
                    "greenvm: error: cannot read '{path}': {}",
                    describe_io_error(error)
                )
            }
            LoadFailure::NotText { path, offset } => write!(
                f,
                "{path}: byte offset {offset}: error: neither a .gbc module nor UTF-8 .gasm text"
            ),
            LoadFailure::Assembly(error) => write!(f, "{error}"),
            LoadFailure::Binary { path, error } => write!(f, "{path}: {error}"),
            LoadFailure::Verify { path, error } => write!(f, "{path}: {error}"),
        }
    }
}

impl std::error::Error for LoadFailure {}

/// Reads the module in `path` (`.gbc` or `.gasm`, told apart by content, not
/// by name) and verifies it.
pub fn load(path: &Path) -> Result<Module, LoadFailure> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| LoadFailure::Unreadable {
        path: shown.clone(),
        error,
    })?;
    let module = if gbc::is_gbc(&bytes) {
        log::debug!("{shown}: {} bytes, decoding as .gbc", bytes.len());
        gbc::decode(&bytes).map_err(|error| LoadFailure::Binary {
            path: shown.clone(),
            error,
        })?
    } else {
        log::debug!("{shown}: {} bytes, assembling as .gasm", bytes.len());
        let text = std::str::from_utf8(&bytes).map_err(|e| LoadFailure::NotText {
            path: shown.clone(),
            offset: e.valid_up_to(),
        })?;
        asm::assemble(text, &shown).map_err(LoadFailure::Assembly)?
    };
    verifier::verify(&module).map_err(|error| LoadFailure::Verify {
        path: shown.clone(),
        error,
    })?;
    log::debug!(
        "{shown}: verified: {} functions, {} classes, {} constants, {} statics, {} natives",
        module.functions.len(),
        module.classes.len(),
        module.constants.len(),
        module.statics.len(),
        module.natives.len()
    );
    Ok(module)
}

/// An I/O error's message without the `(os error N)` suffix std appends:
/// `No such file or directory`.
pub fn describe_io_error(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("greenvm-loader-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn a_missing_file_reads_like_a_shell_error() {
        let failure = load(Path::new("no/such/file.gasm")).unwrap_err();
        assert_eq!(
            failure.to_string(),
            "greenvm: error: cannot read 'no/such/file.gasm': No such file or directory"
        );
    }

    #[test]
    fn text_and_binary_forms_load_to_the_same_module() {
        let source = ".func main(args)\n    ldc \"hi\"\n    callnative println\n    return\n.end\n";
        let from_text = load(&temp_file("same.gasm", source.as_bytes())).unwrap();
        let from_binary = load(&temp_file("same.gbc", &gbc::encode(&from_text))).unwrap();
        assert_eq!(from_text, from_binary);
    }

    #[test]
    fn each_layer_reports_its_own_location() {
        let bad_text = load(&temp_file(
            "bad.gasm",
            b".func main(args)\n    bogus\n.end\n",
        ))
        .unwrap_err();
        assert!(matches!(bad_text, LoadFailure::Assembly(_)), "{bad_text}");
        assert!(
            bad_text.to_string().contains("bad.gasm:2:5: error:"),
            "{bad_text}"
        );

        let not_text = load(&temp_file("bin.gasm", &[b'a', 0xff])).unwrap_err();
        assert!(not_text.to_string().ends_with(
            "bin.gasm: byte offset 1: error: neither a .gbc module nor UTF-8 .gasm text"
        ));

        let truncated = load(&temp_file("cut.gbc", &gbc::MAGIC)).unwrap_err();
        assert!(
            truncated.to_string().contains("cut.gbc: byte offset "),
            "{truncated}"
        );
    }

    #[test]
    fn os_error_suffixes_are_dropped() {
        let error = io::Error::from_raw_os_error(2);
        assert_eq!(describe_io_error(&error), "No such file or directory");
        let custom = io::Error::other("plain");
        assert_eq!(describe_io_error(&custom), "plain");
    }
}
