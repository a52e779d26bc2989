//! A policy's rule ready to evaluate: its region scope joined to its eligibility rule.

use serde_json::Value;

use super::eval::{evaluate, evaluate_condition, may_hold_with_a_declaration};
use super::facts::Facts;
use super::outcome::Outcome;
use super::parse::parse_rule;
use super::reason::{Reason, reason, scope_reason};
use super::rule::Rule;
use crate::problems::Problems;
use crate::region::{RegionCatalog, RegionCode};
use crate::values::Lang;

/// A policy's eligibility: the region scope (empty: nationwide) and the rule, parsed once.
#[derive(Clone, Debug, PartialEq)]
pub struct CompiledRule {
    pub scope: Vec<RegionCode>,
    pub rule: Rule,
}

impl CompiledRule {
    /// Parses a stored or submitted rule; `path` names it in errors.
    pub fn compile(
        scope: Vec<RegionCode>,
        rule: &Value,
        path: &str,
        regions: &RegionCatalog,
    ) -> Result<CompiledRule, Problems> {
        Ok(CompiledRule {
            scope,
            rule: parse_rule(rule, path, regions)?,
        })
    }

    /// Whether the firm is registered inside the policy's regions.
    pub fn in_scope(&self, facts: Facts<'_>) -> bool {
        self.scope.is_empty() || self.scope.iter().any(|r| facts.firm.is_within(*r))
    }

    /// The outcome: FALSE out of scope, else the rule's.
    pub fn evaluate(&self, facts: Facts<'_>) -> Outcome {
        if self.in_scope(facts) {
            evaluate(&self.rule, facts)
        } else {
            Outcome::False
        }
    }

    /// One reason per condition (the scope first, when the policy has one), with the firm's
    /// actual values and a sentence in `lang`.
    pub fn explain(&self, facts: Facts<'_>, regions: &RegionCatalog, lang: Lang) -> Vec<Reason> {
        let mut reasons = Vec::new();
        if !self.scope.is_empty() {
            reasons.push(scope_reason(
                &self.scope,
                self.in_scope(facts),
                facts,
                regions,
                lang,
            ));
        }
        for condition in self.rule.conditions() {
            let outcome = evaluate_condition(condition, facts);
            reasons.push(reason(condition, outcome, facts, regions, lang));
        }
        reasons
    }

    /// How many conditions the facts meet (scope included): ranks matches.
    pub fn matched_conditions(&self, facts: Facts<'_>) -> usize {
        let scope = usize::from(!self.scope.is_empty() && self.in_scope(facts));
        scope
            + self
                .rule
                .conditions()
                .into_iter()
                .filter(|c| evaluate_condition(c, facts) == Outcome::True)
                .count()
    }

    /// Whether the firm may qualify once a declaration supplies its facts: in scope, and some
    /// declaration makes the rule TRUE on the firm facts as they are.
    pub fn may_qualify(&self, facts: Facts<'_>) -> bool {
        self.in_scope(facts) && may_hold_with_a_declaration(&self.rule, facts)
    }

    /// Whether any condition looks at the declaration.
    pub fn needs_declaration(&self) -> bool {
        self.rule
            .conditions()
            .iter()
            .any(|c| c.fact.is_declaration())
    }
}
