use chrono::NaiveDate;

use super::fact::{Fact, Op};
use crate::region::RegionCode;
use crate::values::Direction;
use crate::values::{CustomsCredit, FirmSize};

/// A validated eligibility rule.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Condition(Condition),
}

/// One comparison of a fact with a value, typed by the fact.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub fact: Fact,
    pub op: Op,
    pub operand: Operand,
    /// The value as the rule wrote it, for explanations.
    pub expected: serde_json::Value,
}

/// The value of a condition. Single values (`eq`, `within`, `prefix`) are one-element lists.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Regions(Vec<RegionCode>),
    Sizes(Vec<FirmSize>),
    Credits(Vec<CustomsCredit>),
    /// Industry codes or prefixes, trade modes, ports, countries, HS prefixes.
    Codes(Vec<String>),
    Number(f64),
    NumberRange(f64, f64),
    Bool(bool),
    Date(NaiveDate),
    DateRange(NaiveDate, NaiveDate),
    Direction(Direction),
}

impl Rule {
    /// The rule that matches every firm in scope.
    pub fn everyone() -> Rule {
        Rule::All(Vec::new())
    }

    /// Every condition, depth first, in the order written.
    pub fn conditions(&self) -> Vec<&Condition> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Condition>) {
        match self {
            Rule::All(children) | Rule::Any(children) => {
                children.iter().for_each(|c| c.collect(out))
            }
            Rule::Not(child) => child.collect(out),
            Rule::Condition(c) => out.push(c),
        }
    }
}
