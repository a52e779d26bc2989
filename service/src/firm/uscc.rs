use std::fmt;

/// The characters a USCC may contain (GB 32100-2015): digits and capitals without I, O, S, V, Z.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is right; only [`Uscc::parse`] makes one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

impl Uscc {
    /// Parses an 18-character code and checks its check character.
    pub fn parse(text: &str) -> Result<Uscc, String> {
        let bytes = text.as_bytes();
        if bytes.len() != 18 {
            return Err(format!(
                "{text:?} is not a unified social credit code: it must be 18 characters, not {}",
                text.chars().count()
            ));
        }
        let mut values = [0u32; 18];
        for (i, b) in bytes.iter().enumerate() {
            values[i] = value_of(*b).ok_or_else(|| {
                format!(
                    "{text:?} is not a unified social credit code: character {} ({:?}) is not allowed \
                     (digits and capitals except I, O, S, V, Z)",
                    i + 1,
                    char::from(*b)
                )
            })?;
        }
        let expected = check_character(&values[..17]);
        if bytes[17] != expected {
            return Err(format!(
                "{text:?} is not a unified social credit code: its check character is {:?}, \
                 the first 17 characters need {:?}",
                char::from(bytes[17]),
                char::from(expected)
            ));
        }
        Ok(Uscc(text.to_owned()))
    }

    /// Completes 17 valid characters with their check character (for synthetic and demo firms).
    pub fn with_check_character(first17: &str) -> Result<Uscc, String> {
        let values: Vec<u32> = first17
            .bytes()
            .map(value_of)
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{first17:?} has characters a USCC may not contain"))?;
        if values.len() != 17 {
            return Err(format!("{first17:?} must be 17 characters"));
        }
        Uscc::parse(&format!(
            "{first17}{}",
            char::from(check_character(&values))
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn value_of(byte: u8) -> Option<u32> {
    ALPHABET.iter().position(|c| *c == byte).map(|p| p as u32)
}

fn check_character(first17: &[u32]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    ALPHABET[((31 - sum % 31) % 31) as usize]
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_codes_pass_their_check() {
        // Codes printed on public business licences.
        for code in [
            "91440300708461136T",
            "91110000802100433B",
            "914403001922038216",
        ] {
            assert!(Uscc::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn a_wrong_check_character_is_named() {
        let err = Uscc::parse("91440300708461136X").err().unwrap_or_default();
        assert!(err.contains("check character"), "{err}");
    }

    #[test]
    fn wrong_length_and_forbidden_letters_are_refused() {
        assert!(Uscc::parse("9144030070846113").is_err_and(|e| e.contains("18 characters")));
        assert!(Uscc::parse("91440300708461136I").is_err_and(|e| e.contains("not allowed")));
        assert!(Uscc::parse("91440300708461136t").is_err());
    }

    #[test]
    fn completing_seventeen_characters_gives_a_valid_code() {
        let uscc = Uscc::with_check_character("91440300708461136");
        assert_eq!(
            uscc.map(|u| u.into_string()).ok().as_deref(),
            Some("91440300708461136T")
        );
    }
}
