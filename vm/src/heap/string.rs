//! String operations on immutable heap strings: character counting, indexing
//! and slicing by character (Unicode scalar value) position, with an ASCII
//! fast path (when the character count equals the byte length, a character
//! index is a byte index).

use std::cmp::Ordering;

/// Number of characters in `s`.
#[inline]
pub fn char_count(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// The code point at character index `index` of `s`, which has `chars`
/// characters; `None` if out of range.
#[inline]
pub fn char_at(s: &str, chars: usize, index: i64) -> Option<u32> {
    if index < 0 || index as u64 >= chars as u64 {
        return None;
    }
    let index = index as usize;
    if chars == s.len() {
        return s.as_bytes().get(index).map(|&b| b as u32);
    }
    s.chars().nth(index).map(|c| c as u32)
}

/// The characters `[begin, end)` of `s` (which has `chars` characters);
/// `None` unless `0 <= begin <= end <= chars`.
#[inline]
pub fn substring(s: &str, chars: usize, begin: i64, end: i64) -> Option<&str> {
    if begin < 0 || end < begin || end as u64 > chars as u64 {
        return None;
    }
    let (begin, end) = (begin as usize, end as usize);
    if chars == s.len() {
        return s.get(begin..end);
    }
    let mut offsets = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    let start = offsets.nth(begin)?;
    let stop = if end == begin {
        start
    } else {
        offsets.nth(end - begin - 1)?
    };
    s.get(start..stop)
}

/// Compares by code points: -1, 0 or 1. (UTF-8 byte order is code point
/// order.)
#[inline]
pub fn compare(a: &str, b: &str) -> i64 {
    match a.as_bytes().cmp(b.as_bytes()) {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_at_handles_ascii_and_non_ascii() {
        assert_eq!(char_at("abc", 3, 1), Some('b' as u32));
        assert_eq!(char_at("abc", 3, 3), None);
        assert_eq!(char_at("abc", 3, -1), None);
        let s = "aé😀z";
        assert_eq!(char_at(s, 4, 2), Some(0x1F600));
        assert_eq!(char_at(s, 4, 3), Some('z' as u32));
    }

    #[test]
    fn substring_by_characters() {
        assert_eq!(substring("hello", 5, 1, 3), Some("el"));
        assert_eq!(substring("hello", 5, 5, 5), Some(""));
        assert_eq!(substring("hello", 5, 2, 6), None);
        assert_eq!(substring("hello", 5, 3, 2), None);
        let s = "aé😀z";
        assert_eq!(substring(s, 4, 1, 3), Some("é😀"));
        assert_eq!(substring(s, 4, 0, 4), Some(s));
        assert_eq!(substring(s, 4, 4, 4), Some(""));
        assert_eq!(substring(s, 4, 2, 2), Some(""));
    }

    #[test]
    fn compare_is_code_point_order() {
        assert_eq!(compare("a", "b"), -1);
        assert_eq!(compare("b", "a"), 1);
        assert_eq!(compare("ab", "ab"), 0);
        assert_eq!(compare("ab", "abc"), -1);
        assert_eq!(compare("\u{FFFF}", "\u{10000}"), -1);
    }
}
