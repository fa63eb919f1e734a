//! Checks that docs/isa.md documents exactly the instruction set of
//! `vm::isa::OPCODES` and the natives of `vm::builtin::NATIVES`.
//!
//! The page's format, which this test relies on:
//! - one `### mnemonic` heading per instruction, in opcode order, followed by
//!   a table whose first data row starts with the opcode: ``| `0x10` | ...``;
//! - a `## Natives` section holding a table with one row per native:
//!   ``| `name` | arity | yes/no | behaviour |``.

use std::path::Path;

use vm::builtin::NATIVES;
use vm::isa::OPCODES;

fn isa_doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/isa.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The documented instructions: (mnemonic, opcode text such as `0x10`).
fn documented_instructions(doc: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(mnemonic) = line.strip_prefix("### ") else {
            continue;
        };
        // The first table row after the header row and the separator.
        let row = lines[i + 1..]
            .iter()
            .filter(|l| l.starts_with('|'))
            .nth(2)
            .unwrap_or_else(|| panic!("`### {mnemonic}` has no table row"));
        let opcode = row
            .split('|')
            .nth(1)
            .unwrap_or("")
            .trim()
            .trim_matches('`')
            .to_string();
        found.push((mnemonic.trim().to_string(), opcode));
    }
    found
}

/// The rows of the table in the `## Natives` section: (name, arity, returns).
fn documented_natives(doc: &str) -> Vec<(String, String, String)> {
    let section = doc
        .split("\n## Natives")
        .nth(1)
        .expect("docs/isa.md has a `## Natives` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            (
                cells[1].trim_matches('`').to_string(),
                cells[2].to_string(),
                cells[3].to_string(),
            )
        })
        .collect()
}

#[test]
fn isa_doc_lists_exactly_the_opcodes_in_order() {
    let doc = isa_doc();
    let documented = documented_instructions(&doc);
    let expected: Vec<(String, String)> = OPCODES
        .iter()
        .map(|i| (i.mnemonic.to_string(), format!("0x{:02X}", i.opcode)))
        .collect();
    for (mnemonic, opcode) in &expected {
        assert!(
            documented.iter().any(|(m, _)| m == mnemonic),
            "docs/isa.md has no `### {mnemonic}` heading (opcode {opcode})"
        );
    }
    for (mnemonic, _) in &documented {
        assert!(
            expected.iter().any(|(m, _)| m == mnemonic),
            "docs/isa.md documents `{mnemonic}`, which is not in vm::isa::OPCODES"
        );
    }
    assert_eq!(
        documented, expected,
        "docs/isa.md: headings or opcodes differ from vm::isa::OPCODES"
    );
}

#[test]
fn isa_doc_lists_exactly_the_natives() {
    let doc = isa_doc();
    let documented = documented_natives(&doc);
    let expected: Vec<(String, String, String)> = NATIVES
        .iter()
        .map(|n| {
            (
                n.name.to_string(),
                n.arity.to_string(),
                if n.returns_value { "yes" } else { "no" }.to_string(),
            )
        })
        .collect();
    assert_eq!(
        documented, expected,
        "docs/isa.md's Natives table differs from vm::builtin::NATIVES"
    );
}

#[test]
fn isa_doc_mentions_the_reserved_opcode_range() {
    assert!(
        isa_doc().contains("0xC0`–`0xDF"),
        "docs/isa.md must describe the reserved range 0xC0–0xDF"
    );
}
