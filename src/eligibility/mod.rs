//! Eligibility rules (DESIGN §6): the JSON rule language parsed into a typed, validated tree,
//! evaluated in memory with Kleene logic, compiled to SQL for audiences, and explained in words.

mod codes;
mod compiled;
mod declaration;
mod eval;
mod fact;
mod facts;
mod graphql;
mod outcome;
mod parse;
mod reason;
mod rule;
pub mod service;
pub mod sql;
mod text;

pub use codes::{CountryCode, CustomsCode4, DeclarationId, HsCode};
pub use compiled::CompiledRule;
pub use declaration::{DeclarationInput, DeclarationItemInput};
pub use eval::evaluate;
pub use fact::{Direction, Fact, Op};
pub use facts::{DeclarationFacts, Facts, FirmFacts};
pub use graphql::EligibilityQuery;
pub use outcome::Outcome;
pub use parse::{MAX_DEPTH, MAX_NODES, parse_rule};
pub use reason::Reason;
pub use rule::{Condition, Operand, Rule};
pub use text::describe;

#[cfg(test)]
mod tests;
