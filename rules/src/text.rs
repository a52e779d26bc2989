//! Rules in words, in Chinese and English, for firms and for the departments writing them.

use super::fact::{Fact, Op};
use super::rule::{Condition, Operand, Rule};
use crate::region::RegionCatalog;
use crate::values::Direction;
use crate::values::Lang;
use crate::values::{CustomsCredit, FirmSize};

/// The whole rule as one sentence: "registered in 深圳市 and previous-year exports below US$8,000,000".
pub fn describe(rule: &Rule, regions: &RegionCatalog, lang: Lang) -> String {
    match rule {
        Rule::All(children) if children.is_empty() => match lang {
            Lang::En => "every firm".to_owned(),
            Lang::Zh => "所有企业".to_owned(),
        },
        _ => group(rule, regions, lang, false),
    }
}

fn group(rule: &Rule, regions: &RegionCatalog, lang: Lang, nested: bool) -> String {
    let (children, joiner) = match rule {
        Rule::Condition(c) => return condition(c, regions, lang),
        Rule::Not(inner) => {
            let inner = group(inner, regions, lang, true);
            return match lang {
                Lang::En => format!("not {inner}"),
                Lang::Zh => format!("不满足{inner}"),
            };
        }
        Rule::All(children) => (children, if lang == Lang::En { "and" } else { "且" }),
        Rule::Any(children) => (children, if lang == Lang::En { "or" } else { "或" }),
    };
    if children.is_empty() {
        return match (rule, lang) {
            (Rule::Any(_), Lang::En) => "no firm".to_owned(),
            (Rule::Any(_), Lang::Zh) => "无企业".to_owned(),
            (_, Lang::En) => "every firm".to_owned(),
            (_, Lang::Zh) => "所有企业".to_owned(),
        };
    }
    let parts: Vec<String> = children
        .iter()
        .map(|c| group(c, regions, lang, true))
        .collect();
    let text = join(&parts, joiner, lang);
    if nested && parts.len() > 1 {
        match lang {
            Lang::En => format!("({text})"),
            Lang::Zh => format!("（{text}）"),
        }
    } else {
        text
    }
}

fn join(parts: &[String], word: &str, lang: Lang) -> String {
    match (parts, lang) {
        ([], _) => String::new(),
        ([only], _) => only.clone(),
        ([init @ .., last], Lang::En) => format!("{} {word} {last}", init.join(", ")),
        ([init @ .., last], Lang::Zh) => format!("{}{word}{last}", init.join("，")),
    }
}

/// One condition in words.
pub(super) fn condition(c: &Condition, regions: &RegionCatalog, lang: Lang) -> String {
    let en = lang == Lang::En;
    let values = operand_words(&c.operand, regions, lang);
    let subject = subject(c.fact, lang);
    match (&c.operand, c.fact) {
        (Operand::Bool(true), _) => if en {
            "foreign-invested"
        } else {
            "外商投资企业"
        }
        .to_owned(),
        (Operand::Bool(false), _) => if en {
            "not foreign-invested"
        } else {
            "非外商投资企业"
        }
        .to_owned(),
        (Operand::Direction(Direction::Export), _) => if en {
            "filing an export declaration"
        } else {
            "出口申报"
        }
        .to_owned(),
        (Operand::Direction(Direction::Import), _) => if en {
            "filing an import declaration"
        } else {
            "进口申报"
        }
        .to_owned(),
        (Operand::NumberRange(..) | Operand::DateRange(..), _) => {
            if en {
                format!("{subject} between {values}")
            } else {
                format!("{subject}在{values}之间")
            }
        }
        (Operand::Number(_) | Operand::Date(_), Fact::FirmRegisteredOn) => {
            let word = match (c.op, en) {
                (Op::Lt, true) => "before",
                (Op::Lte, true) => "on or before",
                (Op::Gt, true) => "after",
                (Op::Gte, true) => "on or after",
                (_, true) => "on",
                (Op::Lt, false) => "早于",
                (Op::Lte, false) => "不晚于",
                (Op::Gt, false) => "晚于",
                (Op::Gte, false) => "不早于",
                (_, false) => "为",
            };
            if en {
                format!("{subject} {word} {values}")
            } else {
                format!("{subject}{word}{values}")
            }
        }
        (Operand::Number(_) | Operand::Date(_), _) => {
            if en {
                format!("{subject} {} {values}", comparison_en(c.op))
            } else {
                format!("{subject}{}{values}", comparison_zh(c.op))
            }
        }
        _ => {
            let verb = match (c.op, c.fact, en) {
                (Op::Within | Op::In, Fact::FirmRegion, true) => "in",
                (Op::Prefix, _, true) | (Op::In, Fact::DeclarationHsCode, true) => "under",
                (_, _, true) => "is",
                (_, Fact::FirmRegion, false) => "在",
                (Op::Prefix, _, false) | (Op::In, Fact::DeclarationHsCode, false) => "属于",
                (_, _, false) => "为",
            };
            if en {
                format!("{subject} {verb} {values}")
            } else {
                format!("{subject}{verb}{values}")
            }
        }
    }
}

/// The name of a fact as a subject of a sentence.
pub(super) fn subject(fact: Fact, lang: Lang) -> &'static str {
    let (en, zh) = match fact {
        Fact::FirmRegion => ("registered", "注册地"),
        Fact::FirmSize => ("firm size", "企业规模"),
        Fact::FirmIndustry => ("industry", "所属行业"),
        Fact::FirmCustomsCredit => ("customs credit rating", "海关信用等级"),
        Fact::FirmExportValue => ("previous-year exports", "上年出口额"),
        Fact::FirmImportValue => ("previous-year imports", "上年进口额"),
        Fact::FirmForeignInvested => ("foreign-invested", "外商投资"),
        Fact::FirmRegisteredOn => ("registered", "成立日期"),
        Fact::DeclarationDirection => ("direction", "进出口方向"),
        Fact::DeclarationTradeMode => ("trade mode", "贸易方式"),
        Fact::DeclarationPort => ("customs port", "申报口岸"),
        Fact::DeclarationCountry => ("country", "贸易国别"),
        Fact::DeclarationHsCode => ("goods", "商品编码"),
        Fact::DeclarationValue => ("declared value", "申报货值"),
    };
    if lang == Lang::En { en } else { zh }
}

fn comparison_en(op: Op) -> &'static str {
    match op {
        Op::Lt => "below",
        Op::Lte => "at most",
        Op::Gt => "above",
        Op::Gte => "at least",
        _ => "of exactly",
    }
}

fn comparison_zh(op: Op) -> &'static str {
    match op {
        Op::Lt => "低于",
        Op::Lte => "不高于",
        Op::Gt => "高于",
        Op::Gte => "不低于",
        _ => "等于",
    }
}

/// The value of a condition in words: "深圳市 or 广州市", "US$8,000,000", "an export".
pub(super) fn operand_words(operand: &Operand, regions: &RegionCatalog, lang: Lang) -> String {
    let and = if lang == Lang::En { " and " } else { "至" };
    match operand {
        Operand::Regions(codes) => alternatives(
            codes.iter().map(|c| regions.name(*c).to_owned()).collect(),
            lang,
        ),
        Operand::Sizes(sizes) => alternatives(
            sizes
                .iter()
                .map(|s| size_words(*s, lang).to_owned())
                .collect(),
            lang,
        ),
        Operand::Credits(credits) => alternatives(
            credits
                .iter()
                .map(|c| credit_words(*c, lang).to_owned())
                .collect(),
            lang,
        ),
        Operand::Codes(codes) => alternatives(codes.clone(), lang),
        Operand::Number(n) => money(*n, lang),
        Operand::NumberRange(low, high) => {
            format!("{}{and}{}", money(*low, lang), money(*high, lang))
        }
        Operand::Date(d) => d.to_string(),
        Operand::DateRange(low, high) => format!("{low}{and}{high}"),
        Operand::Bool(b) => b.to_string(),
        Operand::Direction(d) => direction_words(*d, lang).to_owned(),
    }
}

pub(super) fn direction_words(direction: Direction, lang: Lang) -> &'static str {
    match (direction, lang) {
        (Direction::Export, Lang::En) => "an export",
        (Direction::Import, Lang::En) => "an import",
        (Direction::Export, Lang::Zh) => "出口",
        (Direction::Import, Lang::Zh) => "进口",
    }
}

pub(super) fn alternatives(items: Vec<String>, lang: Lang) -> String {
    match (items.as_slice(), lang) {
        ([], _) => String::new(),
        ([only], _) => only.clone(),
        ([init @ .., last], Lang::En) => format!("{} or {last}", init.join(", ")),
        ([init @ .., last], Lang::Zh) => format!("{}或{last}", init.join("、")),
    }
}

pub(super) fn size_words(size: FirmSize, lang: Lang) -> &'static str {
    match (size, lang) {
        (FirmSize::Micro, Lang::En) => "micro",
        (FirmSize::Small, Lang::En) => "small",
        (FirmSize::Medium, Lang::En) => "medium",
        (FirmSize::Large, Lang::En) => "large",
        (FirmSize::Micro, Lang::Zh) => "微型",
        (FirmSize::Small, Lang::Zh) => "小型",
        (FirmSize::Medium, Lang::Zh) => "中型",
        (FirmSize::Large, Lang::Zh) => "大型",
    }
}

pub(super) fn credit_words(credit: CustomsCredit, lang: Lang) -> &'static str {
    match (credit, lang) {
        (CustomsCredit::AdvancedCertified, Lang::En) => "advanced certified (AEO)",
        (CustomsCredit::GeneralCertified, Lang::En) => "general certified",
        (CustomsCredit::General, Lang::En) => "general",
        (CustomsCredit::Dishonest, Lang::En) => "dishonest",
        (CustomsCredit::AdvancedCertified, Lang::Zh) => "高级认证企业",
        (CustomsCredit::GeneralCertified, Lang::Zh) => "一般认证企业",
        (CustomsCredit::General, Lang::Zh) => "一般信用企业",
        (CustomsCredit::Dishonest, Lang::Zh) => "失信企业",
    }
}

/// US$3,200,000 (English) or 3,200,000美元 (Chinese); cents only when there are any.
pub(super) fn money(amount: f64, lang: Lang) -> String {
    let cents = (amount.abs() * 100.0).round() as u128;
    let (whole, fraction) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if fraction > 0 {
        grouped.push_str(&format!(".{fraction:02}"));
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    match lang {
        Lang::En => format!("{sign}US${grouped}"),
        Lang::Zh => format!("{sign}{grouped}美元"),
    }
}

#[cfg(test)]
mod tests;
