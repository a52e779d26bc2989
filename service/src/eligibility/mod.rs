//! Eligibility (DESIGN §6) in the service: the rule language itself is the `rules` crate (parse,
//! validate, evaluate, explain, compile to SQL); this module feeds it the stored firms and the
//! declarations frontends send, and answers the `eligibility` check over GraphQL.

mod declaration;
mod declaration_id;
mod facts;
mod graphql;
pub mod service;

pub use declaration::{DeclarationInput, DeclarationItemInput, Direction};
pub use declaration_id::DeclarationId;
pub use facts::{stored_firm_facts, synced_firm_facts};
pub use graphql::{EligibilityQuery, OutcomeValue, ReasonView, reason_views};
pub use rules::sql;
pub use rules::{
    CompiledRule, CountryCode, CustomsCode4, DeclarationFacts, Facts, FirmFacts, HsCode, Outcome,
    Reason, Rule, RuleIndex, describe, parse_rule,
};
