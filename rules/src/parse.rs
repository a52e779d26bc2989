//! The JSON rule language (DESIGN §6) into a [`Rule`], reporting every problem with its path.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::codes::{CountryCode, CustomsCode4, HsCode};
use super::fact::{Fact, Kind, Op};
use super::rule::{Condition, Operand, Rule};
use crate::problems::Problems;
use crate::region::RegionCatalog;
use crate::values::Direction;
use crate::values::{CustomsCredit, FirmSize};

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

    fn operand(&mut self, fact: Fact, op: Op, value: &Value, path: &str) -> Option<Operand> {
        let kind = fact.kind();
        match (kind, op) {
            (Kind::Money, Op::Between) => {
                let (low, high) = self.pair(
                    value,
                    path,
                    |v| v.as_f64().filter(|n| n.is_finite()),
                    "numbers",
                )?;
                self.ordered(low <= high, path)?;
                Some(Operand::NumberRange(low, high))
            }
            (Kind::Money, _) => match value.as_f64().filter(|n| n.is_finite()) {
                Some(n) => Some(Operand::Number(n)),
                None => self.fail(path, "expected a number (US dollars)"),
            },
            (Kind::Date, Op::Between) => {
                let (low, high) = self.pair(value, path, date, "dates (YYYY-MM-DD)")?;
                self.ordered(low <= high, path)?;
                Some(Operand::DateRange(low, high))
            }
            (Kind::Date, _) => match date(value) {
                Some(d) => Some(Operand::Date(d)),
                None => self.fail(path, "expected a date, YYYY-MM-DD"),
            },
            (Kind::Bool, _) => match value.as_bool() {
                Some(b) => Some(Operand::Bool(b)),
                None => self.fail(path, "expected true or false"),
            },
            (Kind::Direction, _) => match value.as_str().and_then(Direction::parse) {
                Some(d) => Some(Operand::Direction(d)),
                None => self.fail(path, "expected \"IMPORT\" or \"EXPORT\""),
            },
            (Kind::Region, _) => {
                let regions = self.regions;
                self.list(op, value, path, |text| regions.parse(text))
                    .map(Operand::Regions)
            }
            (Kind::Size, _) => self
                .list(op, value, path, |t| {
                    enum_value(t, FirmSize::parse, FirmSize::ALL)
                })
                .map(Operand::Sizes),
            (Kind::Credit, _) => self
                .list(op, value, path, |t| {
                    enum_value(t, CustomsCredit::parse, CustomsCredit::ALL)
                })
                .map(Operand::Credits),
            (Kind::Industry, Op::Prefix) => self
                .list(op, value, path, industry_prefix)
                .map(Operand::Codes),
            (Kind::Industry, _) => self
                .list(op, value, path, crate::codes::validate_industry)
                .map(Operand::Codes),
            (Kind::Code4, _) => self
                .list(op, value, path, |t| {
                    CustomsCode4::parse(t).map(|c| c.to_string())
                })
                .map(Operand::Codes),
            (Kind::Country, _) => self
                .list(op, value, path, |t| {
                    CountryCode::parse(t).map(|c| c.to_string())
                })
                .map(Operand::Codes),
            (Kind::Hs, _) => self
                .list(op, value, path, |t| HsCode::parse(t).map(|c| c.to_string()))
                .map(Operand::Codes),
        }
    }

    /// One string (`eq`, `within`), a non-empty list of strings (`in`), or either (`prefix`: one
    /// code or any of several), each parsed.
    fn list<T>(
        &mut self,
        op: Op,
        value: &Value,
        path: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let items = match value {
            Value::Array(items) if matches!(op, Op::In | Op::Prefix) => items,
            Value::String(text) if op != Op::In => {
                return match parse(text) {
                    Ok(v) => Some(vec![v]),
                    Err(message) => self.fail(path, message),
                };
            }
            _ => {
                let expected = match op {
                    Op::In => "expected a list of strings",
                    Op::Prefix => "expected a string or a list of strings",
                    _ => "expected a string",
                };
                return self.fail(path, expected);
            }
        };
        let name = op.name();
        if items.is_empty() {
            return self.fail(path, format!("the \"{name}\" list must not be empty"));
        }
        if items.len() > MAX_LIST {
            return self.fail(
                path,
                format!("the \"{name}\" list may have at most {MAX_LIST} values"),
            );
        }
        let parsed: Vec<Option<T>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let item_path = format!("{path}[{i}]");
                match item.as_str().map(&parse) {
                    Some(Ok(v)) => Some(v),
                    Some(Err(message)) => self.fail(&item_path, message),
                    None => self.fail(&item_path, "expected a string"),
                }
            })
            .collect();
        parsed.into_iter().collect()
    }

    fn pair<T>(
        &mut self,
        value: &Value,
        path: &str,
        parse: impl Fn(&Value) -> Option<T>,
        what: &str,
    ) -> Option<(T, T)> {
        match value.as_array().map(Vec::as_slice) {
            Some([low, high]) => match (parse(low), parse(high)) {
                (Some(low), Some(high)) => Some((low, high)),
                _ => self.fail(path, format!("expected a pair of {what}")),
            },
            _ => self.fail(
                path,
                format!("\"between\" takes a pair [low, high] of {what}"),
            ),
        }
    }

    fn ordered(&mut self, ordered: bool, path: &str) -> Option<()> {
        if ordered {
            Some(())
        } else {
            self.fail(path, "the pair is reversed: give [low, high]")
        }
    }
}

fn date(value: &Value) -> Option<NaiveDate> {
    let text = value.as_str().filter(|t| t.len() == 10)?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn enum_value<T: Copy + std::fmt::Display>(
    text: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
) -> Result<T, String> {
    parse(text).ok_or_else(|| {
        let names: Vec<String> = all.iter().map(ToString::to_string).collect();
        format!("{text:?} is not one of {}", names.join(", "))
    })
}

fn industry_prefix(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let ok = matches!(bytes.first(), Some(b'A'..=b'T'))
        && bytes.len() <= 5
        && bytes[1..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not the start of a GB/T 4754 code: a section letter A-T and up to four digits, like C39"
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::region::tests::shipped;

    fn problems(rule: Value) -> Vec<(String, String)> {
        match parse_rule(&rule, "eligibility", &shipped()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.0.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn fields(rule: Value) -> Vec<String> {
        problems(rule).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn the_shenzhen_insurance_rule_parses() {
        let rule = json!({"all": [
            {"fact": "firm.region", "op": "within", "value": "440300"},
            {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
            {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
        ]});
        let parsed = parse_rule(&rule, "eligibility", &shipped());
        assert_eq!(parsed.map(|r| r.conditions().len()).ok(), Some(3));
    }

    #[test]
    fn the_empty_rule_matches_everyone() {
        assert_eq!(
            parse_rule(&json!({"all": []}), "e", &shipped()).ok(),
            Some(Rule::everyone())
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let got = fields(json!({"all": [
            {"fact": "firm.size", "op": "eq", "value": "SMALL"},
            {"fact": "firm.colour", "op": "eq", "value": "red"},
            {"fact": "firm.size", "op": "lt", "value": "SMALL"},
            {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": "lots"},
            {"any": [{"fact": "firm.region", "op": "within", "value": "449999"}]},
            {"fact": "declaration.hsCode", "op": "prefix", "value": "8"},
            {"fact": "declaration.country", "op": "in", "value": ["US", "XX"]},
            {"fact": "firm.exportValuePrevYearUsd", "op": "between", "value": [9, 1]},
            {"fact": "firm.size", "op": "in", "value": []},
            {"not": {"fact": "firm.foreignInvested", "op": "eq", "value": "yes"}}
        ]}));
        assert_eq!(
            got,
            [
                "eligibility.all[1].fact",
                "eligibility.all[2].op",
                "eligibility.all[3].value",
                "eligibility.all[4].any[0].value",
                "eligibility.all[5].value",
                "eligibility.all[6].value[1]",
                "eligibility.all[7].value",
                "eligibility.all[8].value",
                "eligibility.all[9].not.value",
            ]
        );
    }

    #[test]
    fn messages_say_what_to_write_instead() {
        let got = problems(json!({"fact": "firm.size", "op": "lt", "value": "SMALL"}));
        assert!(got[0].1.contains("use eq, in"), "{got:?}");
        let got = problems(
            json!({"fact": "firm.exportValuePrevYearUsd", "op": "between", "value": [9, 1]}),
        );
        assert!(got[0].1.contains("reversed"), "{got:?}");
    }

    #[test]
    fn deep_and_huge_rules_are_refused() {
        let mut deep = json!({"all": []});
        for _ in 0..=MAX_DEPTH {
            deep = json!({"not": deep});
        }
        assert!(problems(deep).iter().any(|(_, m)| m.contains("deep")));
        let many: Vec<Value> = (0..=MAX_NODES)
            .map(|_| json!({"fact": "firm.foreignInvested", "op": "eq", "value": true}))
            .collect();
        assert!(
            problems(json!({"any": many}))
                .iter()
                .any(|(_, m)| m.contains("at most"))
        );
    }

    #[test]
    fn unknown_keys_and_mixed_groups_are_refused() {
        assert_eq!(fields(json!({"all": [], "any": []})), ["eligibility"]);
        assert_eq!(
            fields(json!({"fact": "firm.size", "op": "eq", "value": "SMALL", "note": 1})),
            ["eligibility.note"]
        );
        assert_eq!(fields(json!([1])), ["eligibility"]);
    }
}
