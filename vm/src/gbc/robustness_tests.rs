//! The loader against damaged and random input: every truncation of a valid
//! file, every single-byte change of a valid file, and seeded random files.
//!
//! Each case must return `Ok` or a `LoadError` without panicking. The format
//! is canonical (one encoding per module), so whenever a damaged file does
//! load, encoding the result must give back exactly the damaged bytes; and
//! every error offset must lie within the file.

use super::sample::full_module;
use super::{decode, encode, FORMAT_VERSION, MAGIC};

/// splitmix64: a tiny seeded generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A byte biased towards the small values that make tags, bools and
    /// type bytes plausible.
    fn plausible_byte(&mut self) -> u8 {
        match self.below(8) {
            0..=3 => 0,
            4 | 5 => self.below(4) as u8,
            _ => self.next() as u8,
        }
    }

    /// Appends a random field-shaped piece: mostly small little-endian u32s
    /// and u16s (plausible counts, lengths and indices), sometimes single
    /// bytes, so that random files get deep into the format.
    fn push_plausible_field(&mut self, bytes: &mut Vec<u8>) {
        let small = self.below(3) as u32;
        match self.below(10) {
            0..=4 => bytes.extend_from_slice(&small.to_le_bytes()),
            5 | 6 => bytes.extend_from_slice(&(small as u16).to_le_bytes()),
            7 | 8 => bytes.push(self.plausible_byte()),
            _ => bytes.push(self.next() as u8),
        }
    }
}

/// Decodes `bytes`, which must not panic, and checks the result is sane.
fn check(bytes: &[u8], case: &str) {
    match decode(bytes) {
        Ok(module) => assert_eq!(
            encode(&module),
            bytes,
            "{case}: loaded but does not re-encode to the same bytes"
        ),
        Err(e) => assert!(
            e.offset <= bytes.len(),
            "{case}: offset {} past the end ({})",
            e.offset,
            e.message
        ),
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = encode(&full_module());
    for len in 0..bytes.len() {
        let e = decode(&bytes[..len]).expect_err("a truncated file must be refused");
        assert!(
            e.offset <= len,
            "prefix {len}: offset {} ({})",
            e.offset,
            e.message
        );
        assert!(
            e.message.starts_with("unexpected end of file") || len < MAGIC.len(),
            "prefix {len}: {}",
            e.message
        );
    }
}

#[test]
fn every_byte_of_the_header_and_first_sections_takes_every_value() {
    let bytes = encode(&full_module());
    let mut damaged = bytes.clone();
    for pos in 0..bytes.len().min(160) {
        for value in 0..=255u8 {
            damaged[pos] = value;
            check(&damaged, &format!("byte {pos} = {value:#04x}"));
        }
        damaged[pos] = bytes[pos];
    }
}

#[test]
fn random_single_byte_changes_never_panic() {
    let bytes = encode(&full_module());
    let mut rng = Rng(0x5EED_0001);
    let mut damaged = bytes.clone();
    for _ in 0..20_000 {
        let pos = rng.below(bytes.len());
        let value = rng.next() as u8;
        damaged[pos] = value;
        check(&damaged, &format!("byte {pos} = {value:#04x}"));
        damaged[pos] = bytes[pos];
    }
}

#[test]
fn random_multi_byte_damage_never_panics() {
    let bytes = encode(&full_module());
    let mut rng = Rng(0x5EED_0002);
    for case in 0..5_000 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + rng.below(8) {
            let pos = rng.below(damaged.len());
            damaged[pos] = rng.plausible_byte();
        }
        damaged.truncate(damaged.len() - rng.below(4));
        check(&damaged, &format!("case {case}"));
    }
}

#[test]
fn random_files_behind_a_valid_header_never_panic() {
    let mut rng = Rng(0x5EED_0003);
    // Error messages without numbers and names: how many different checks
    // the random files reached.
    let mut kinds = std::collections::BTreeSet::new();
    for case in 0..10_000 {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        for _ in 0..rng.below(64) {
            rng.push_plausible_field(&mut bytes);
        }
        check(&bytes, &format!("case {case}"));
        let kind = match decode(&bytes) {
            Ok(_) => "loaded".to_string(),
            Err(e) => {
                let without_name = e.message.split(" (`").next().unwrap_or_default();
                without_name
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .collect()
            }
        };
        kinds.insert(kind);
    }
    assert!(
        kinds.len() >= 25,
        "the random files reached only {} different outcomes",
        kinds.len()
    );
}
