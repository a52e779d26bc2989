//! An index over many rules: for one set of facts, the rules that may be TRUE, found without
//! evaluating the others.
//!
//! A rule is TRUE only when every condition of its top-level `all` is, and a condition on a fact
//! that is missing is UNKNOWN. So a top-level condition on a fact with few values (the region
//! scope and region, the firm's size, customs credit, industry and foreign investment; the
//! declaration's direction, trade mode, port, country and HS codes) files the rule under the
//! values it admits. For given facts a rule is a candidate when, on every such fact, it sets no
//! condition or admits the value: a bit-set union per fact, then one intersection. A filed
//! condition admits a value exactly when it is TRUE on it, so a candidate's filed conditions are
//! all TRUE, and only the rest of it (its residue) is evaluated.

use std::collections::HashMap;

use fixedbitset::FixedBitSet;

use crate::compiled::CompiledRule;
use crate::eval::evaluate;
use crate::fact::{Fact, Op};
use crate::facts::Facts;
use crate::outcome::Outcome;
use crate::rule::{Operand, Rule};

/// What a rule is filed under: its region scope, or one fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dimension {
    Scope,
    Fact(Fact),
}

const DIMENSIONS: [Dimension; 11] = [
    Dimension::Scope,
    Dimension::Fact(Fact::FirmRegion),
    Dimension::Fact(Fact::FirmSize),
    Dimension::Fact(Fact::FirmCustomsCredit),
    Dimension::Fact(Fact::FirmIndustry),
    Dimension::Fact(Fact::FirmForeignInvested),
    Dimension::Fact(Fact::DeclarationDirection),
    Dimension::Fact(Fact::DeclarationTradeMode),
    Dimension::Fact(Fact::DeclarationPort),
    Dimension::Fact(Fact::DeclarationCountry),
    Dimension::Fact(Fact::DeclarationHsCode),
];

/// The rules filed under one dimension.
#[derive(Debug)]
struct Buckets {
    dimension: Dimension,
    /// Rules that set no condition on it.
    free: FixedBitSet,
    /// Rules admitting exactly this value.
    equal: HashMap<String, FixedBitSet>,
    /// Rules admitting every value that starts with this.
    prefix: HashMap<String, FixedBitSet>,
}

/// The rules of a catalog, filed by the values they admit.
#[derive(Debug, Default)]
pub struct RuleIndex {
    len: usize,
    buckets: Vec<Buckets>,
    /// What of each rule is not filed, every rule's in one run: a candidate is TRUE when each
    /// of its residue is.
    residues: Vec<Rule>,
    /// Where each rule's residue ends in `residues` (it starts where the previous one ends).
    residue_ends: Vec<usize>,
}

impl RuleIndex {
    /// Files `rules`; [`RuleIndex::candidates`] answers with their positions.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a CompiledRule>) -> RuleIndex {
        let rules: Vec<&CompiledRule> = rules.into_iter().collect();
        let len = rules.len();
        let mut residues = Vec::new();
        let mut residue_ends = Vec::with_capacity(len);
        let mut buckets: Vec<Buckets> = DIMENSIONS
            .iter()
            .map(|&dimension| Buckets {
                dimension,
                free: FixedBitSet::with_capacity(len),
                equal: HashMap::new(),
                prefix: HashMap::new(),
            })
            .collect();
        for (position, rule) in rules.iter().enumerate() {
            let children = top_level(&rule.rule);
            let mut filed = vec![false; children.len()];
            for bucket in &mut buckets {
                match admitted(bucket.dimension, rule, children, &mut filed) {
                    None => bucket.free.insert(position),
                    Some((values, by_prefix)) => {
                        let map = if by_prefix {
                            &mut bucket.prefix
                        } else {
                            &mut bucket.equal
                        };
                        for value in values {
                            map.entry(value)
                                .or_insert_with(|| FixedBitSet::with_capacity(len))
                                .insert(position);
                        }
                    }
                }
            }
            residues.extend(
                children
                    .iter()
                    .zip(filed)
                    .filter(|(_, filed)| !filed)
                    .map(|(child, _)| child.clone()),
            );
            residue_ends.push(residues.len());
        }
        // A dimension no rule constrains rules nothing out.
        buckets.retain(|b| b.free.count_ones(..) < len);
        RuleIndex {
            len,
            buckets,
            residues,
            residue_ends,
        }
    }

    /// The positions of the rules that are TRUE on `facts`, in order: the same as evaluating
    /// each rule, at the cost of evaluating the residues of the candidates.
    pub fn matches<'a>(&'a self, facts: Facts<'a>) -> impl Iterator<Item = usize> + 'a {
        self.candidates(facts).into_ones().filter(move |&position| {
            let start = position.checked_sub(1).map_or(0, |p| self.residue_ends[p]);
            self.residues[start..self.residue_ends[position]]
                .iter()
                .all(|child| evaluate(child, facts) == Outcome::True)
        })
    }

    /// The positions of the rules that may be TRUE on `facts`, in order: every rule that is
    /// TRUE is among them.
    pub fn candidates(&self, facts: Facts<'_>) -> FixedBitSet {
        let mut candidates = FixedBitSet::with_capacity(self.len);
        candidates.insert_range(..);
        let mut allowed = FixedBitSet::with_capacity(self.len);
        for bucket in &self.buckets {
            allowed.clone_from(&bucket.free);
            each_value(bucket.dimension, facts, &mut |value| {
                if let Some(rules) = bucket.equal.get(value) {
                    allowed.union_with(rules);
                }
                for end in 1..=value.len() {
                    if let Some(rules) = value.get(..end).and_then(|p| bucket.prefix.get(p)) {
                        allowed.union_with(rules);
                    }
                }
            });
            candidates.intersect_with(&allowed);
        }
        candidates
    }
}

/// The values `rule` admits on `dimension` and whether they are prefixes; `None` when it sets
/// no condition there that the index can use (then it is free on it). Marks in `filed` the
/// top-level condition it files the rule by.
fn admitted(
    dimension: Dimension,
    rule: &CompiledRule,
    children: &[Rule],
    filed: &mut [bool],
) -> Option<(Vec<String>, bool)> {
    let fact = match dimension {
        Dimension::Scope if rule.scope.is_empty() => return None,
        Dimension::Scope => {
            return Some((
                rule.scope.iter().map(|r| r.as_str().to_owned()).collect(),
                false,
            ));
        }
        Dimension::Fact(fact) => fact,
    };
    // The first top-level condition on the fact: any further one is left to evaluation.
    let (position, condition) = children
        .iter()
        .enumerate()
        .find_map(|(i, child)| match child {
            Rule::Condition(c) if c.fact == fact => Some((i, c)),
            _ => None,
        })?;
    let values: Vec<String> = match &condition.operand {
        Operand::Regions(regions) => regions.iter().map(|r| r.as_str().to_owned()).collect(),
        Operand::Sizes(sizes) => sizes.iter().map(|s| s.as_str().to_owned()).collect(),
        Operand::Credits(credits) => credits.iter().map(|c| c.as_str().to_owned()).collect(),
        Operand::Codes(codes) => codes.clone(),
        Operand::Bool(value) => vec![value.to_string()],
        Operand::Direction(direction) => vec![direction.as_str().to_owned()],
        _ => return None,
    };
    let by_prefix = fact == Fact::DeclarationHsCode
        || (fact == Fact::FirmIndustry && condition.op == Op::Prefix);
    filed[position] = true;
    Some((values, by_prefix))
}

/// The parts of a rule every one of which must be TRUE for it to be.
fn top_level(rule: &Rule) -> &[Rule] {
    match rule {
        Rule::All(children) => children.as_slice(),
        single => std::slice::from_ref(single),
    }
}

/// Calls `f` with each value the facts hold on `dimension` (none when the fact is missing): the
/// firm's region and each division it lies in, its industry, the declaration's HS codes, …
fn each_value(dimension: Dimension, facts: Facts<'_>, f: &mut dyn FnMut(&str)) {
    let firm = facts.firm;
    let declaration = facts.declaration;
    match dimension {
        Dimension::Scope | Dimension::Fact(Fact::FirmRegion) => {
            firm.lineage.iter().for_each(|r| f(r.as_str()));
        }
        Dimension::Fact(Fact::FirmSize) => firm.size.iter().for_each(|s| f(s.as_str())),
        Dimension::Fact(Fact::FirmCustomsCredit) => {
            firm.customs_credit.iter().for_each(|c| f(c.as_str()));
        }
        Dimension::Fact(Fact::FirmIndustry) => firm.industry.iter().for_each(|i| f(i)),
        Dimension::Fact(Fact::FirmForeignInvested) => {
            firm.foreign_invested
                .iter()
                .for_each(|b| f(if *b { "true" } else { "false" }));
        }
        Dimension::Fact(Fact::DeclarationDirection) => {
            declaration.iter().for_each(|d| f(d.direction.as_str()));
        }
        Dimension::Fact(Fact::DeclarationTradeMode) => {
            declaration
                .and_then(|d| d.trade_mode.as_ref())
                .iter()
                .for_each(|c| f(c.as_str()));
        }
        Dimension::Fact(Fact::DeclarationPort) => {
            declaration
                .and_then(|d| d.port.as_ref())
                .iter()
                .for_each(|c| f(c.as_str()));
        }
        Dimension::Fact(Fact::DeclarationCountry) => {
            declaration
                .and_then(|d| d.country.as_ref())
                .iter()
                .for_each(|c| f(c.as_str()));
        }
        Dimension::Fact(Fact::DeclarationHsCode) => {
            declaration
                .iter()
                .flat_map(|d| &d.hs_codes)
                .for_each(|hs| f(hs.as_str()));
        }
        Dimension::Fact(_) => {}
    }
}

#[cfg(test)]
mod tests;
