//! Text a person wrote, checked once at the edge and kept exactly as checked: the only way to make
//! one of these types is to parse it, and parsing keeps the trimmed text it measured, so nothing
//! can store the raw input after checking a trimmed copy.

use std::fmt;

/// Free text of 1 to `MAX` characters (a comment, a note, a reason, a summary, a body): trimmed,
/// never blank, with no control characters but tab and line breaks.
#[derive(Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

/// A name or a title of 1 to `MAX` characters, on one line: a [`Text`] without tabs or line
/// breaks, and without the invisible characters (bidirectional controls, zero-width characters)
/// that only serve to make one name look like another.
#[derive(Clone, PartialEq, Eq)]
pub struct Name<const MAX: usize>(String);

macro_rules! checked_text {
    ($type:ident, $kind:expr) => {
        impl<const MAX: usize> $type<MAX> {
            /// Checks `raw`, which must not be blank.
            pub fn parse(raw: &str) -> Result<Self, String> {
                Self::parse_optional(Some(raw))?.ok_or_else(|| "must not be empty".to_owned())
            }

            /// Checks `raw` when given; absent or blank is `None`.
            pub fn parse_optional(raw: Option<&str>) -> Result<Option<Self>, String> {
                let Some(trimmed) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
                    return Ok(None);
                };
                check(trimmed, MAX, $kind)?;
                Ok(Some($type(trimmed.to_owned())))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl<const MAX: usize> fmt::Display for $type<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<const MAX: usize> fmt::Debug for $type<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl<const MAX: usize> serde::Serialize for $type<MAX> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<const MAX: usize> From<$type<MAX>> for String {
            fn from(text: $type<MAX>) -> String {
                text.0
            }
        }
    };
}

checked_text!(Text, Kind::Text);
checked_text!(Name, Kind::Name);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Name,
}

fn check(trimmed: &str, max: usize, kind: Kind) -> Result<(), String> {
    let count = trimmed.chars().count();
    if count > max {
        return Err(format!("at most {max} characters, got {count}"));
    }
    let line_break_allowed = |c: char| kind == Kind::Text && matches!(c, '\t' | '\n' | '\r');
    // Line and paragraph separators are not control characters, but break a name all the same.
    let breaks_line = |c: char| kind == Kind::Name && matches!(c, '\u{2028}' | '\u{2029}');
    if let Some(c) = trimmed
        .chars()
        .find(|&c| (c.is_control() && !line_break_allowed(c)) || breaks_line(c))
    {
        return Err(if kind == Kind::Name && c.is_whitespace() {
            format!("must be one line (found U+{:04X})", u32::from(c))
        } else {
            // PostgreSQL cannot store U+0000 in text at all; none of them belongs in a name, a
            // title or a comment.
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            )
        });
    }
    if kind == Kind::Name
        && let Some(c) = trimmed.chars().find(|&c| disguises(c))
    {
        return Err(format!(
            "must not contain invisible or direction-changing characters (found U+{:04X}), \
             which can make one name look like another",
            u32::from(c)
        ));
    }
    Ok(())
}

/// Invisible characters (Unicode's default-ignorable code points: bidirectional controls,
/// zero-width characters, fillers, variation selectors, tags): they change how the text around
/// them reads, or make two different strings look the same.
fn disguises(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                     // soft hyphen
        | '\u{034F}'                   // combining grapheme joiner
        | '\u{061C}'                   // Arabic letter mark
        | '\u{115F}'..='\u{1160}'      // Hangul fillers
        | '\u{17B4}'..='\u{17B5}'      // Khmer inherent vowels
        | '\u{180B}'..='\u{180F}'      // Mongolian variation selectors and vowel separator
        | '\u{200B}'..='\u{200F}'      // zero-width space, non-joiner, joiner; LTR and RTL marks
        | '\u{202A}'..='\u{202E}'      // embeddings and overrides
        | '\u{2060}'..='\u{206F}'      // word joiner, invisible operators, isolates
        | '\u{3164}'                   // Hangul filler
        | '\u{FE00}'..='\u{FE0F}'      // variation selectors
        | '\u{FEFF}'                   // zero-width no-break space
        | '\u{FFA0}'                   // halfwidth Hangul filler
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}'    // shorthand format controls
        | '\u{1D173}'..='\u{1D17A}'    // musical format controls
        | '\u{E0000}'..='\u{E0FFF}'    // tags and variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use super::{Name, Text};

    type Comment = Text<10>;
    type Title = Name<10>;

    #[test]
    fn text_is_kept_trimmed_and_measured_as_kept() {
        let comment = Comment::parse(" 深圳\n第二行\t ").unwrap();
        assert_eq!(comment.as_str(), "深圳\n第二行");
        let padded = format!("{}{}", "x".repeat(10), " ".repeat(5_000));
        assert_eq!(Comment::parse(&padded).unwrap().as_str().len(), 10);
        assert!(Comment::parse(&"x".repeat(11)).is_err());
    }

    #[test]
    fn blank_text_is_absent_when_optional_and_refused_when_required() {
        assert_eq!(Comment::parse_optional(Some("   ")), Ok(None));
        assert_eq!(Comment::parse_optional(None), Ok(None));
        assert_eq!(Comment::parse(" \n ").unwrap_err(), "must not be empty");
    }

    #[test]
    fn control_characters_are_refused_by_code_point() {
        let nul = Text::<20>::parse("budget\u{0}spent").unwrap_err();
        assert!(nul.contains("U+0000"), "{nul}");
        assert!(Comment::parse("bell\u{7}").is_err());
        assert!(Comment::parse("a\u{7f}").is_err());
    }

    #[test]
    fn names_are_one_line_without_disguising_characters() {
        assert_eq!(Title::parse(" 深圳商务局 ").unwrap().as_str(), "深圳商务局");
        assert!(Title::parse("two\nlines").unwrap_err().contains("one line"));
        assert!(
            Title::parse("two\u{2028}lines")
                .unwrap_err()
                .contains("one line")
        );
        for disguise in [
            '\u{202E}',
            '\u{2066}',
            '\u{200B}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0041}',
        ] {
            let refused = Title::parse(&format!("ab{disguise}cd")).unwrap_err();
            assert!(refused.contains("invisible"), "{refused}");
            assert!(
                Comment::parse(&format!("ab{disguise}cd")).is_ok(),
                "free text may quote them"
            );
        }
    }
}
