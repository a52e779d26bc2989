//! The value of a condition, checked against what its fact and operator take.

use chrono::NaiveDate;
use serde_json::Value;

use super::{MAX_LIST, Parser};
use crate::codes::{CountryCode, CustomsCode4, HsCode};
use crate::fact::{Fact, Kind, Op};
use crate::rule::Operand;
use crate::values::{CustomsCredit, Direction, FirmSize};

impl Parser<'_> {
    pub(super) fn operand(
        &mut self,
        fact: Fact,
        op: Op,
        value: &Value,
        path: &str,
    ) -> Option<Operand> {
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
