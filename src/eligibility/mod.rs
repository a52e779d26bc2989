//! Eligibility rules (DESIGN §6): the JSON rule language parsed into a typed, validated tree, and
//! its explanation in words.

mod codes;
mod fact;
mod parse;
mod rule;
mod text;

pub use codes::{CountryCode, CustomsCode4, HsCode};
pub use fact::{Direction, Fact, Op};
pub use parse::{MAX_DEPTH, MAX_NODES, parse_rule};
pub use rule::{Condition, Operand, Rule};
pub use text::describe;
