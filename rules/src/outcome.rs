//! Three-valued truth, as rules are evaluated.

/// Three-valued truth (Kleene): a condition on a fact that is missing is UNKNOWN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    True,
    False,
    Unknown,
}

impl Outcome {
    pub fn from_bool(value: bool) -> Outcome {
        if value { Outcome::True } else { Outcome::False }
    }

    /// FALSE if either is FALSE, TRUE if both are TRUE, else UNKNOWN.
    pub fn and(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::False, _) | (_, Outcome::False) => Outcome::False,
            (Outcome::True, Outcome::True) => Outcome::True,
            _ => Outcome::Unknown,
        }
    }

    /// TRUE if either is TRUE, FALSE if both are FALSE, else UNKNOWN.
    pub fn or(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::True, _) | (_, Outcome::True) => Outcome::True,
            (Outcome::False, Outcome::False) => Outcome::False,
            _ => Outcome::Unknown,
        }
    }

    /// Swaps TRUE and FALSE; UNKNOWN stays.
    #[expect(clippy::should_implement_trait, reason = "reads as the logic it is")]
    pub fn not(self) -> Outcome {
        match self {
            Outcome::True => Outcome::False,
            Outcome::False => Outcome::True,
            Outcome::Unknown => Outcome::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome::{self, False as F, True as T, Unknown as U};

    #[test]
    fn kleene_truth_tables() {
        let and = [
            (T, T, T),
            (T, F, F),
            (T, U, U),
            (F, T, F),
            (F, F, F),
            (F, U, F),
            (U, T, U),
            (U, F, F),
            (U, U, U),
        ];
        for (a, b, expected) in and {
            assert_eq!(a.and(b), expected, "{a:?} and {b:?}");
        }
        let or = [
            (T, T, T),
            (T, F, T),
            (T, U, T),
            (F, T, T),
            (F, F, F),
            (F, U, U),
            (U, T, T),
            (U, F, U),
            (U, U, U),
        ];
        for (a, b, expected) in or {
            assert_eq!(a.or(b), expected, "{a:?} or {b:?}");
        }
        assert_eq!([T, F, U].map(Outcome::not), [F, T, U]);
    }
}
