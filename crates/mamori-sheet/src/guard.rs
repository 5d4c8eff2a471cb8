//! CSV formula-injection defence. A text cell that a spreadsheet application would read as a
//! formula (`=HYPERLINK(…)`, `+`, `-`, `@`, a leading tab or carriage return, and the full-width
//! forms a Japanese input method produces) is written with a leading `'`, which makes it text.
//!
//! The escape is reversible: a cell is guarded exactly when, after any leading `'`s, it starts
//! with a trigger; reading strips one `'` from exactly those cells. So a cell that already began
//! with `'=` is written as `''=` and read back as `'=`.

const TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

fn starts_with_trigger(value: &str) -> bool {
    value
        .trim_start_matches('\'')
        .starts_with(|c: char| TRIGGERS.contains(&c))
}

/// The cell as it is written to a CSV file.
pub fn guard(value: &str) -> std::borrow::Cow<'_, str> {
    if starts_with_trigger(value) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// The cell as it was before [`guard`].
pub fn unguard(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if starts_with_trigger(rest) => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")")]
    #[case("+81-3-0000", "'+81-3-0000")]
    #[case("-1", "'-1")]
    #[case("@SUM(A1)", "'@SUM(A1)")]
    #[case("\tx", "'\tx")]
    #[case("＝１＋１", "'＝１＋１")]
    #[case("'=x", "''=x")]
    #[case("'plain", "'plain")]
    #[case("a=b", "a=b")]
    #[case("", "")]
    fn guards_cells_that_would_be_formulas(#[case] value: &str, #[case] written: &str) {
        assert_eq!(guard(value), written);
        assert_eq!(unguard(written), value);
    }

    proptest! {
        #[test]
        fn unguard_inverts_guard(value in "['=+@a-]{0,6}[a-z=]{0,3}") {
            let written = guard(&value);
            prop_assert_eq!(unguard(&written), value.as_str());
        }
    }
}
