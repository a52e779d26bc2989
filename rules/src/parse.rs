//! The JSON rule language (DESIGN §6) into a [`Rule`], reporting every problem with its path:
//! the groups and conditions here, the values each fact takes in `operand.rs`.

mod operand;

use serde_json::{Map, Value};

use super::fact::{Fact, Op};
use super::rule::{Condition, Rule};
use crate::problems::Problems;
use crate::region::RegionCatalog;

/// Deepest nesting of `all`, `any` and `not` a rule may have.
pub const MAX_DEPTH: usize = 10;
/// Most nodes (groups and conditions) a rule may have.
pub const MAX_NODES: usize = 500;
/// Most values an `in` list may have.
const MAX_LIST: usize = 1000;

/// Parses and validates a rule; `path` names it in errors (`eligibility`).
pub fn parse_rule(json: &Value, path: &str, regions: &RegionCatalog) -> Result<Rule, Problems> {
    let mut parser = Parser {
        regions,
        errors: Problems::default(),
        nodes: 0,
    };
    let rule = parser.node(json, path, 0);
    match rule {
        Some(rule) if parser.errors.is_empty() => Ok(rule),
        _ => Err(parser.errors),
    }
}

struct Parser<'a> {
    regions: &'a RegionCatalog,
    errors: Problems,
    nodes: usize,
}

impl Parser<'_> {
    fn fail<T>(&mut self, path: &str, message: impl Into<String>) -> Option<T> {
        self.errors.push(path, message);
        None
    }

    fn node(&mut self, json: &Value, path: &str, depth: usize) -> Option<Rule> {
        self.nodes += 1;
        if self.nodes == MAX_NODES + 1 {
            return self.fail(
                path,
                format!("a rule may have at most {MAX_NODES} groups and conditions"),
            );
        }
        if depth > MAX_DEPTH {
            return self.fail(
                path,
                format!("a rule may nest at most {MAX_DEPTH} groups deep"),
            );
        }
        let Some(object) = json.as_object() else {
            return self.fail(
                path,
                r#"expected an object: {"all": [...]}, {"any": [...]}, {"not": rule} or {"fact", "op", "value"}"#,
            );
        };
        if let Some(keyword) = ["all", "any", "not"]
            .into_iter()
            .find(|k| object.contains_key(*k))
        {
            if object.len() != 1 {
                return self.fail(
                    path,
                    format!("\"{keyword}\" must be the only key of its object"),
                );
            }
            let inner = &object[keyword];
            let inner_path = format!("{path}.{keyword}");
            return match keyword {
                "not" => Some(Rule::Not(Box::new(self.node(
                    inner,
                    &inner_path,
                    depth + 1,
                )?))),
                _ => {
                    let Some(items) = inner.as_array() else {
                        return self.fail(&inner_path, "expected a list of rules");
                    };
                    let children: Vec<Option<Rule>> = items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.node(item, &format!("{inner_path}[{i}]"), depth + 1))
                        .collect();
                    let children: Option<Vec<Rule>> = children.into_iter().collect();
                    let children = children?;
                    Some(if keyword == "all" {
                        Rule::All(children)
                    } else {
                        Rule::Any(children)
                    })
                }
            };
        }
        self.condition(object, path).map(Rule::Condition)
    }

    fn condition(&mut self, object: &Map<String, Value>, path: &str) -> Option<Condition> {
        if let Some(extra) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "fact" | "op" | "value"))
        {
            return self.fail(
                &format!("{path}.{extra}"),
                "unknown key: a condition has exactly \"fact\", \"op\" and \"value\"",
            );
        }
        let fact_path = format!("{path}.fact");
        let fact = match object.get("fact").and_then(Value::as_str) {
            Some(name) => match Fact::parse(name) {
                Some(fact) => fact,
                None => {
                    let known: Vec<&str> = Fact::ALL.iter().map(|f| f.name()).collect();
                    return self.fail(
                        &fact_path,
                        format!("unknown fact {name:?}; known facts: {}", known.join(", ")),
                    );
                }
            },
            None => {
                return self.fail(
                    &fact_path,
                    "expected the name of a fact, like \"firm.size\"",
                );
            }
        };
        let op_path = format!("{path}.op");
        let allowed: Vec<&str> = fact.ops().iter().map(|o| o.name()).collect();
        let op = match object
            .get("op")
            .and_then(Value::as_str)
            .map(|n| (n, Op::parse(n)))
        {
            Some((_, Some(op))) if fact.ops().contains(&op) => op,
            Some((name, _)) => {
                return self.fail(
                    &op_path,
                    format!(
                        "{name:?} is not an operator of {}; use {}",
                        fact.name(),
                        allowed.join(", ")
                    ),
                );
            }
            None => {
                return self.fail(
                    &op_path,
                    format!("expected an operator: {}", allowed.join(", ")),
                );
            }
        };
        let value_path = format!("{path}.value");
        let Some(value) = object.get("value") else {
            return self.fail(&value_path, "missing: every condition needs a value");
        };
        let operand = self.operand(fact, op, value, &value_path)?;
        Some(Condition {
            fact,
            op,
            operand,
            expected: value.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
