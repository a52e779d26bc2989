//! The single window's id of a declaration, as deliveries and acknowledgements store it.

/// A single-window declaration id: 1 to 64 letters, digits, hyphens or underscores.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclarationId(String);

impl DeclarationId {
    pub fn parse(text: &str) -> Result<DeclarationId, String> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(DeclarationId(text.to_owned()))
        } else {
            Err("1 to 64 letters, digits, hyphens or underscores".to_owned())
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::DeclarationId;

    #[test]
    fn ids_are_one_to_sixty_four_safe_characters() {
        assert!(DeclarationId::parse("D-2026_0001").is_ok());
        assert!(DeclarationId::parse(&"9".repeat(64)).is_ok());
        for bad in ["", "D 1", "D/1", "报关单1"] {
            assert!(DeclarationId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DeclarationId::parse(&"9".repeat(65)).is_err());
    }
}
