//! Evaluating rules on facts, in memory, with Kleene logic.

use chrono::NaiveDate;

use super::fact::{Fact, Op};
use super::facts::Facts;
use super::outcome::Outcome;
use super::rule::{Condition, Operand, Rule};

/// The outcome of `rule` on `facts`.
pub fn evaluate(rule: &Rule, facts: Facts<'_>) -> Outcome {
    match rule {
        Rule::All(children) => {
            let mut outcome = Outcome::True;
            for child in children {
                outcome = outcome.and(evaluate(child, facts));
                if outcome == Outcome::False {
                    break;
                }
            }
            outcome
        }
        Rule::Any(children) => {
            let mut outcome = Outcome::False;
            for child in children {
                outcome = outcome.or(evaluate(child, facts));
                if outcome == Outcome::True {
                    break;
                }
            }
            outcome
        }
        Rule::Not(child) => evaluate(child, facts).not(),
        Rule::Condition(condition) => evaluate_condition(condition, facts),
    }
}

/// The outcome of one condition: UNKNOWN when the fact is missing.
pub fn evaluate_condition(c: &Condition, facts: Facts<'_>) -> Outcome {
    let firm = facts.firm;
    let declaration = facts.declaration;
    match (c.fact, &c.operand) {
        (Fact::FirmRegion, Operand::Regions(regions)) => {
            Outcome::from_bool(regions.iter().any(|r| firm.is_within(*r)))
        }
        (Fact::FirmSize, Operand::Sizes(sizes)) => known(firm.size, |v| sizes.contains(&v)),
        (Fact::FirmCustomsCredit, Operand::Credits(credits)) => {
            known(firm.customs_credit, |v| credits.contains(&v))
        }
        (Fact::FirmIndustry, Operand::Codes(codes)) => known(firm.industry.as_deref(), |v| {
            if c.op == Op::Prefix {
                codes.iter().any(|p| v.starts_with(p.as_str()))
            } else {
                codes.iter().any(|code| code == v)
            }
        }),
        (Fact::FirmExportValue, operand) => ordered(c.op, operand, firm.export_value_prev_year_usd),
        (Fact::FirmImportValue, operand) => ordered(c.op, operand, firm.import_value_prev_year_usd),
        (Fact::FirmForeignInvested, Operand::Bool(expected)) => {
            known(firm.foreign_invested, |v| v == *expected)
        }
        (Fact::FirmRegisteredOn, operand) => ordered_date(c.op, operand, firm.registered_on),
        (Fact::DeclarationDirection, Operand::Direction(expected)) => {
            known(declaration.map(|d| d.direction), |v| v == *expected)
        }
        (Fact::DeclarationTradeMode, Operand::Codes(codes)) => {
            known(declaration.and_then(|d| d.trade_mode.as_ref()), |v| {
                codes.iter().any(|c| c == v.as_str())
            })
        }
        (Fact::DeclarationPort, Operand::Codes(codes)) => {
            known(declaration.and_then(|d| d.port.as_ref()), |v| {
                codes.iter().any(|c| c == v.as_str())
            })
        }
        (Fact::DeclarationCountry, Operand::Codes(codes)) => {
            known(declaration.and_then(|d| d.country.as_ref()), |v| {
                codes.iter().any(|c| c == v.as_str())
            })
        }
        (Fact::DeclarationHsCode, Operand::Codes(prefixes)) => match declaration {
            Some(d) if !d.hs_codes.is_empty() => Outcome::from_bool(
                d.hs_codes
                    .iter()
                    .any(|hs| prefixes.iter().any(|p| hs.as_str().starts_with(p.as_str()))),
            ),
            _ => Outcome::Unknown,
        },
        (Fact::DeclarationValue, operand) => {
            ordered(c.op, operand, declaration.and_then(|d| d.value_usd))
        }
        // A parsed rule always pairs a fact with its own kind of operand.
        _ => Outcome::Unknown,
    }
}

fn known<T>(value: Option<T>, test: impl FnOnce(T) -> bool) -> Outcome {
    value.map_or(Outcome::Unknown, |v| Outcome::from_bool(test(v)))
}

fn ordered(op: Op, operand: &Operand, actual: Option<f64>) -> Outcome {
    match operand {
        Operand::Number(expected) => known(actual, |v| compare(op, v, *expected)),
        Operand::NumberRange(low, high) => known(actual, |v| *low <= v && v <= *high),
        _ => Outcome::Unknown,
    }
}

fn ordered_date(op: Op, operand: &Operand, actual: Option<NaiveDate>) -> Outcome {
    match operand {
        Operand::Date(expected) => known(actual, |v| compare(op, v, *expected)),
        Operand::DateRange(low, high) => known(actual, |v| *low <= v && v <= *high),
        _ => Outcome::Unknown,
    }
}

fn compare<T: PartialOrd>(op: Op, actual: T, expected: T) -> bool {
    match op {
        Op::Lt => actual < expected,
        Op::Lte => actual <= expected,
        Op::Gt => actual > expected,
        Op::Gte => actual >= expected,
        _ => actual == expected,
    }
}

/// Whether some declaration could make `rule` TRUE for the firm facts as they are (missing firm
/// facts stay UNKNOWN). Declaration conditions are taken as free to be TRUE or FALSE each.
pub fn may_hold_with_a_declaration(rule: &Rule, facts: Facts<'_>) -> bool {
    possible(rule, facts) & TRUE_BIT != 0
}

const TRUE_BIT: u8 = 1;
const FALSE_BIT: u8 = 2;
const UNKNOWN_BIT: u8 = 4;

fn bit(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::True => TRUE_BIT,
        Outcome::False => FALSE_BIT,
        Outcome::Unknown => UNKNOWN_BIT,
    }
}

fn outcomes(set: u8) -> impl Iterator<Item = Outcome> {
    [Outcome::True, Outcome::False, Outcome::Unknown]
        .into_iter()
        .filter(move |o| set & bit(*o) != 0)
}

/// The set of outcomes the rule can take over every choice of the declaration conditions.
fn possible(rule: &Rule, facts: Facts<'_>) -> u8 {
    let combine = |a: u8, b: u8, op: fn(Outcome, Outcome) -> Outcome| {
        outcomes(a)
            .flat_map(|x| outcomes(b).map(move |y| bit(op(x, y))))
            .fold(0, |s, b| s | b)
    };
    match rule {
        Rule::All(children) => children.iter().fold(TRUE_BIT, |acc, c| {
            combine(acc, possible(c, facts), Outcome::and)
        }),
        Rule::Any(children) => children.iter().fold(FALSE_BIT, |acc, c| {
            combine(acc, possible(c, facts), Outcome::or)
        }),
        Rule::Not(child) => outcomes(possible(child, facts)).fold(0, |s, o| s | bit(o.not())),
        Rule::Condition(c) if c.fact.is_declaration() => TRUE_BIT | FALSE_BIT,
        Rule::Condition(c) => bit(evaluate_condition(c, facts)),
    }
}
