//! The `.gbc` format against real programs: every `programs/*.gasm` that
//! assembles must survive encode → decode unchanged, and every truncation
//! of its encoding must be refused.
//!
//! Programs that do not assemble are skipped here (the program harness in
//! `tests/` reports them); at least one must assemble.

use super::{decode, encode};
use crate::asm::assemble;

#[test]
fn sample_programs_round_trip_through_gbc() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("programs/ is readable")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "gasm"))
        .collect();
    paths.sort();
    let mut round_tripped = 0;
    for path in paths {
        let name = path.display().to_string();
        let source = std::fs::read_to_string(&path).expect("a sample program is readable");
        let Ok(module) = assemble(&source, &name) else {
            eprintln!("skipping {name}: it does not assemble");
            continue;
        };
        let bytes = encode(&module);
        let decoded = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Debug text, not ==, so that NaN constants compare equal.
        assert_eq!(format!("{decoded:?}"), format!("{module:?}"), "{name}");
        assert_eq!(encode(&decoded), bytes, "{name}");
        for len in 0..bytes.len() {
            assert!(
                decode(&bytes[..len]).is_err(),
                "{name}: prefix of {len} bytes loaded"
            );
        }
        round_tripped += 1;
    }
    assert!(round_tripped > 0, "no sample program assembled");
}
