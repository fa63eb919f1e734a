//! Expected-output patterns: exact text with two placeholders.
//!
//! An expected-output file (`NAME.stdout`, `NAME.stderr`) is compared with
//! the actual output line by line. Each expected line is literal text, except
//! for two placeholders that may appear anywhere in it:
//! - `{num}` matches a number: an optional `-`, one or more digits, and an
//!   optional fraction (`.` and one or more digits);
//! - `{any}` matches any run of characters within the line (possibly none).
//!
//! Nothing else is special (a lone `{` is literal), so a file without
//! placeholders is an exact comparison; the line count must agree too
//! (a missing final newline counts, as in an exact comparison).
//! Matching backtracks over the placeholders, so `{any}x{num}` does what it
//! says; the patterns are tiny, so the cost does not matter.

/// True if `actual` matches the expected text `pattern` (see the module doc).
pub fn matches(pattern: &str, actual: &str) -> bool {
    if !pattern.contains("{num}") && !pattern.contains("{any}") {
        return pattern == actual;
    }
    let expected: Vec<&str> = pattern.split('\n').collect();
    let got: Vec<&str> = actual.split('\n').collect();
    expected.len() == got.len() && expected.iter().zip(&got).all(|(p, a)| line_matches(p, a))
}

/// One line against one pattern line.
pub fn line_matches(pattern: &str, line: &str) -> bool {
    let pieces = tokenize(pattern);
    match_from(&pieces, line)
}

#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Num,
    Any,
}

fn tokenize(pattern: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    loop {
        let num = rest.find("{num}");
        let any = rest.find("{any}");
        let (at, piece) = match (num, any) {
            (Some(n), Some(a)) if n < a => (n, Piece::Num),
            (Some(_), Some(a)) => (a, Piece::Any),
            (Some(n), None) => (n, Piece::Num),
            (None, Some(a)) => (a, Piece::Any),
            (None, None) => break,
        };
        if at > 0 {
            pieces.push(Piece::Text(&rest[..at]));
        }
        pieces.push(piece);
        rest = &rest[at + "{num}".len()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

fn match_from(pieces: &[Piece<'_>], text: &str) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    match first {
        Piece::Text(t) => text
            .strip_prefix(t)
            .is_some_and(|after| match_from(rest, after)),
        Piece::Any => text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .any(|i| match_from(rest, &text[i..])),
        Piece::Num => number_ends(text)
            .into_iter()
            .any(|end| match_from(rest, &text[end..])),
    }
}

/// Every byte offset at which a number starting at the beginning of `text`
/// may end (longest first).
fn number_ends(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits_start = i;
    let mut ends = Vec::new();
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
        ends.push(i);
    }
    if i == digits_start {
        return Vec::new();
    }
    if i < bytes.len() && bytes[i] == b'.' {
        let mut j = i + 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
            ends.push(j);
        }
    }
    ends.reverse();
    ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_an_exact_comparison() {
        assert!(matches("a\nb\n", "a\nb\n"));
        assert!(!matches("a\nb\n", "a\nb"));
        assert!(!matches("a\n", "a\nb\n"));
        assert!(matches("{x}\n", "{x}\n"));
    }

    #[test]
    fn num_matches_integers_and_decimals_only() {
        for ok in ["1", "42", "-7", "3.25", "0.00"] {
            assert!(line_matches("{num}", ok), "{ok}");
        }
        for bad in ["", "-", "x", "1.", ".5", "1e5", "12 "] {
            assert!(!line_matches("{num}", bad), "{bad}");
        }
        assert!(line_matches(
            "{num} switches, {num} ns per switch",
            "2000 switches, 81.5 ns per switch"
        ));
        assert!(!line_matches(
            "{num} switches, {num} ns per switch",
            "2000 switches, fast ns per switch"
        ));
    }

    #[test]
    fn any_matches_within_a_line() {
        assert!(line_matches("a{any}c", "ac"));
        assert!(line_matches("a{any}c", "abbbc"));
        assert!(line_matches("{any}", ""));
        assert!(line_matches("x{any}{num}", "x abc 12"));
        assert!(!line_matches("a{any}c", "abd"));
        assert!(matches("head\n{any}\n", "head\nwhatever it is\n"));
        assert!(!matches("head\n{any}\n", "head\none\ntwo\n"));
    }
}
