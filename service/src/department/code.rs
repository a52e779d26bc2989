use std::fmt;

/// A department code such as `SZ-COMMERCE`: 2 to 32 capitals, digits and single hyphens.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartmentCode(String);

impl DepartmentCode {
    pub fn parse(text: &str) -> Result<DepartmentCode, String> {
        let ok = (2..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if ok {
            Ok(DepartmentCode(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not a department code: 2 to 32 capitals, digits and hyphens, like SZ-COMMERCE"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DepartmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DepartmentCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_capitals_digits_and_inner_hyphens() {
        assert!(DepartmentCode::parse("SZ-COMMERCE").is_ok());
        assert!(DepartmentCode::parse("PBOC-GD2").is_ok());
        for bad in [
            "sz-commerce",
            "S",
            "-SZ",
            "SZ-",
            "SZ--C",
            "SZ COMMERCE",
            "深圳商务局",
        ] {
            assert!(DepartmentCode::parse(bad).is_err(), "{bad}");
        }
    }
}
