//! The eligibility rule language of policy-outreach (DESIGN §6).
//!
//! A rule is JSON: conditions on a firm's facts and on the declaration being filed, joined by
//! `all`, `any` and `not`. This crate parses and validates it into a typed tree
//! ([`parse_rule`]), evaluates it in memory with Kleene logic ([`CompiledRule::evaluate`]),
//! explains each condition in Chinese or English ([`CompiledRule::explain`], [`describe`]) and
//! compiles its firm-level part to a SQL condition that counts audiences in the database
//! ([`CompiledRule::audience_sql`]). It knows nothing of GraphQL, HTTP or the service's storage.

mod codes;
mod compiled;
mod eval;
mod fact;
mod facts;
mod index;
mod outcome;
mod parse;
mod problems;
mod reason;
mod region;
mod rule;
#[cfg(feature = "sample")]
pub mod sample;
pub mod sql;
mod text;
mod values;

pub use codes::{CountryCode, CustomsCode4, HsCode, validate_industry};
pub use compiled::CompiledRule;
pub use eval::evaluate;
pub use fact::{Fact, Op};
pub use facts::{DeclarationFacts, Facts, FirmFacts};
pub use index::RuleIndex;
pub use outcome::Outcome;
pub use parse::{MAX_DEPTH, MAX_NODES, parse_rule};
pub use problems::{Problem, Problems};
pub use reason::Reason;
pub use region::{RegionCatalog, RegionCode, RegionLevel};
pub use rule::{Condition, Operand, Rule};
pub use text::describe;
pub use values::{CustomsCredit, Direction, FirmSize, Lang};

#[cfg(test)]
mod tests;
