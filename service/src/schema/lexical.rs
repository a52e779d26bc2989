//! What a GraphQL document or a JSON text holds, found in one pass over its bytes before any
//! parser sees it: how deep it nests (a parser that recurses once per level would overflow its
//! stack on a document a few kilobytes long) and how many tokens it has (what parsing costs).

/// A limit the text is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    /// More than the allowed levels of `{`, `[` and `(` open at once.
    Nesting,
    /// More tokens than allowed.
    Tokens,
}

/// Checks `text` against both limits, stopping at the first it passes. Strings, block strings and
/// comments are skipped (a string is one token); unbalanced brackets are left for the parser to
/// report. The delimiters are ASCII, and no byte of a multi-byte UTF-8 character is, so bytes are
/// enough.
pub fn scan(text: &[u8], max_nesting: usize, max_tokens: usize) -> Result<(), Over> {
    let mut depth = 0usize;
    let mut tokens = 0usize;
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                i = end_of_line(text, i) + 1;
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max_nesting {
                    return Err(Over::Nesting);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            // Unterminated, `"""` reads as the parser reads it: an empty string, then a string
            // opened by the third quote.
            b'"' => match block_string_end(text, i) {
                Some(end) => i = end,
                None => i = end_of_string(text, i + 1),
            },
            _ if is_word(byte) => {
                while i + 1 < text.len() && is_word(text[i + 1]) {
                    i += 1;
                }
            }
            _ => {}
        }
        tokens += 1;
        if tokens > max_tokens {
            return Err(Over::Tokens);
        }
        i += 1;
    }
    Ok(())
}

/// Bytes of a name or the digits of a number; anything else outside strings (a sign, a decimal
/// point, each dot of a spread) is a token of its own, which may count a number as several but
/// never a run of punctuation as one.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// The index of the line break ending the comment at `start` (or the last byte).
fn end_of_line(text: &[u8], start: usize) -> usize {
    text[start..]
        .iter()
        .position(|b| matches!(b, b'\n' | b'\r'))
        .map_or(text.len(), |p| start + p)
}

/// The index of the quote closing a string whose content starts at `start`, or of the line break
/// that ends it unclosed (a string is one line; the parser refuses it there).
fn end_of_string(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' | b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    text.len()
}

/// For a block string opening at `start` (`"""`), the index of the last quote closing it; `\"""`
/// is an escaped delimiter inside one. `None` when it is not a block string or never closes.
fn block_string_end(text: &[u8], start: usize) -> Option<usize> {
    if !text[start..].starts_with(b"\"\"\"") {
        return None;
    }
    let mut i = start + 3;
    while i < text.len() {
        if text[i..].starts_with(b"\\\"\"\"") {
            i += 4;
        } else if text[i..].starts_with(b"\"\"\"") {
            return Some(i + 2);
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Over, scan};

    fn deeper(text: &str, max: usize) -> bool {
        scan(text.as_bytes(), max, usize::MAX) == Err(Over::Nesting)
    }

    fn tokens_over(text: &str, max: usize) -> bool {
        scan(text.as_bytes(), usize::MAX, max) == Err(Over::Tokens)
    }

    #[test]
    fn selection_sets_arguments_objects_and_lists_all_count() {
        let document = "{ a(x: {y: [1]}) { b } }";
        assert!(!deeper(document, 5), "{{ ( {{ [ is four levels, then one");
        assert!(deeper(document, 3));
        assert!(!deeper("{ a } { b } { c }", 1), "siblings do not add up");
        assert!(deeper(&"[".repeat(3_000), 64));
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        assert!(!deeper(r#"{ a(s: "{{{[[[\"{{{") }"#, 2));
        assert!(!deeper("{ a(s: \"\"\"{{{ \\\"\"\" [[[ \"\"\") }", 2));
        assert!(!deeper("{ a # {{{{{{\n }", 1));
        assert!(
            deeper("{ a(s: \"\"\"x\"\"\") { b { c } } }", 2),
            "counting resumes after a block string"
        );
        assert!(deeper(
            r#"{"query": "{{{{", "variables": {"a": {"b": {}}}}"#,
            3
        ));
    }

    #[test]
    fn names_numbers_strings_and_punctuators_are_one_token_each() {
        // { me ( x : 15 , s : "a b c" ) { role } } # comment
        let document = "{ me(x: 15, s: \"a b c\") { role } } # a comment of words";
        assert!(!tokens_over(document, 14));
        assert!(tokens_over(document, 13));
        assert!(!tokens_over(
            &format!("{{ me(s: \"{}\") }}", "x y ".repeat(1_000)),
            8
        ));
        assert!(tokens_over(&"{ me { role } } ".repeat(1_000), 3_999));
        assert!(
            tokens_over("{ ...F...F...F }", 6),
            "each dot of a spread is a token"
        );
    }

    #[test]
    fn unterminated_strings_and_stray_closers_end_the_scan_without_panicking() {
        assert!(!deeper("{ a(s: \"unterminated {{{", 2));
        assert!(
            deeper("{ a(s: \"unterminated\n {{{", 2),
            "a string ends at its line"
        );
        // The parser reads an unterminated `"""` as `""` and a string opened by the third quote,
        // so what follows that string counts.
        assert!(deeper("{ a(s: [\"\"\" \" [[[[1]]]] ]) }", 4));
        assert!(!deeper("}}}]]] {", 1));
        assert!(!deeper("\"\\", 1));
        assert!(!deeper("# only a comment", 0));
        assert!(!deeper("", 0));
    }
}
