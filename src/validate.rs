//! Checks shared by several inputs, each answering with a message a person can act on.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Largest money value accepted, in US dollars: a sanity bound, not a policy.
pub const MAX_USD: f64 = 1e13;

/// A non-negative amount of US dollars.
pub fn usd(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..MAX_USD).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not an amount in US dollars (0 or more)"
        ))
    }
}

/// A name: trimmed, not empty, at most `max` characters, no control characters.
pub fn name(text: &str, max: usize) -> Result<String, String> {
    free_text(text, max, true)
}

/// Free text, trimmed: at most `max` characters (and at least one when `required`), and no
/// control characters but tab and line breaks. PostgreSQL cannot store U+0000 in text at all, and
/// none of them belongs in a name, a title or a comment.
pub fn free_text(text: &str, max: usize, required: bool) -> Result<String, String> {
    let trimmed = text.trim();
    let count = trimmed.chars().count();
    if required && count == 0 {
        Err("must not be empty".to_owned())
    } else if count > max {
        Err(format!("at most {max} characters, got {count}"))
    } else if let Some(c) = trimmed
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Err(format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        ))
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A policy id argument; `field` names it in the error.
pub fn policy_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::field(field, "not a policy id (a UUID)"))
}

#[cfg(test)]
mod tests {
    use super::free_text;

    #[test]
    fn free_text_refuses_control_characters_but_keeps_line_breaks() {
        assert_eq!(
            free_text(" 深圳\n第二行\t ", 10, true).as_deref(),
            Ok("深圳\n第二行")
        );
        let nul = free_text("a\u{0}b", 10, true).unwrap_err();
        assert!(nul.contains("U+0000"), "{nul}");
        assert!(free_text("bell\u{7}", 10, false).is_err());
        assert!(free_text("", 10, false).is_ok());
        assert!(free_text("  ", 10, true).is_err());
        assert!(free_text("abcdef", 5, false).is_err());
    }
}
