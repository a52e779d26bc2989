//! Why a condition holds or not, in a sentence a firm understands.

use serde_json::{Value, json};

use super::fact::{Fact, Op};
use super::facts::Facts;
use super::outcome::Outcome;
use super::rule::{Condition, Operand};
use super::text::{alternatives, credit_words, direction_words, money, operand_words, size_words};
use crate::region::{RegionCatalog, RegionCode};
use crate::values::Lang;

/// One condition of a rule, checked against a firm and a declaration.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reason {
    /// The fact looked at (`firm.exportValuePrevYearUsd`).
    pub fact: String,
    pub op: String,
    /// The value the rule asks for.
    pub expected: Value,
    /// The firm's or the declaration's value; null when unknown.
    pub actual: Option<Value>,
    pub outcome: Outcome,
    /// The condition in words: "Export value last year US$3,200,000 is below US$8,000,000".
    pub text: String,
}

/// The fact and operator the region scope is reported under.
pub const SCOPE_FACT: Fact = Fact::FirmRegion;
pub const SCOPE_OP: Op = Op::In;

/// The reason for the policy's region scope.
pub(super) fn scope_reason(
    scope: &[RegionCode],
    inside: bool,
    facts: Facts<'_>,
    regions: &RegionCatalog,
    lang: Lang,
) -> Reason {
    let names = alternatives(
        scope.iter().map(|r| regions.name(*r).to_owned()).collect(),
        lang,
    );
    let at = regions.name(facts.firm.region);
    let text = match (lang, inside) {
        (Lang::En, true) => format!("Registered in {at}, within {names}"),
        (Lang::En, false) => format!("Registered in {at}, outside {names}"),
        (Lang::Zh, true) => format!("注册地{at}，属于{names}"),
        (Lang::Zh, false) => format!("注册地{at}，不属于{names}"),
    };
    Reason {
        fact: SCOPE_FACT.name().to_owned(),
        op: SCOPE_OP.name().to_owned(),
        expected: json!(scope.iter().map(ToString::to_string).collect::<Vec<_>>()),
        actual: Some(json!(facts.firm.region.to_string())),
        outcome: Outcome::from_bool(inside),
        text,
    }
}

/// The reason for one condition, whose outcome on `facts` is `outcome`.
pub(super) fn reason(
    c: &Condition,
    outcome: Outcome,
    facts: Facts<'_>,
    regions: &RegionCatalog,
    lang: Lang,
) -> Reason {
    let actual = actual(c.fact, facts, regions, lang);
    Reason {
        fact: c.fact.name().to_owned(),
        op: c.op.name().to_owned(),
        expected: c.expected.clone(),
        actual: actual.as_ref().map(|(json, _)| json.clone()),
        outcome,
        text: sentence(c, outcome, actual.map(|(_, words)| words), regions, lang),
    }
}

/// The fact's value as JSON and in words, when known.
fn actual(
    fact: Fact,
    facts: Facts<'_>,
    regions: &RegionCatalog,
    lang: Lang,
) -> Option<(Value, String)> {
    let firm = facts.firm;
    let declaration = facts.declaration;
    match fact {
        Fact::FirmRegion => Some((
            json!(firm.region.to_string()),
            regions.name(firm.region).to_owned(),
        )),
        Fact::FirmSize => firm
            .size
            .map(|s| (json!(s), size_words(s, lang).to_owned())),
        Fact::FirmIndustry => firm.industry.clone().map(|i| (json!(i), i)),
        Fact::FirmCustomsCredit => firm
            .customs_credit
            .map(|c| (json!(c), credit_words(c, lang).to_owned())),
        Fact::FirmExportValue => firm
            .export_value_prev_year_usd
            .map(|v| (json!(v), money(v, lang))),
        Fact::FirmImportValue => firm
            .import_value_prev_year_usd
            .map(|v| (json!(v), money(v, lang))),
        Fact::FirmForeignInvested => firm.foreign_invested.map(|b| (json!(b), b.to_string())),
        Fact::FirmRegisteredOn => firm
            .registered_on
            .map(|d| (json!(d.to_string()), d.to_string())),
        Fact::DeclarationDirection => declaration.map(|d| {
            (
                json!(d.direction),
                direction_words(d.direction, lang).to_owned(),
            )
        }),
        Fact::DeclarationTradeMode => declaration
            .and_then(|d| d.trade_mode.as_ref())
            .map(|v| (json!(v.as_str()), v.to_string())),
        Fact::DeclarationPort => declaration
            .and_then(|d| d.port.as_ref())
            .map(|v| (json!(v.as_str()), v.to_string())),
        Fact::DeclarationCountry => declaration
            .and_then(|d| d.country.as_ref())
            .map(|v| (json!(v.as_str()), v.to_string())),
        Fact::DeclarationHsCode => declaration.filter(|d| !d.hs_codes.is_empty()).map(|d| {
            let codes: Vec<String> = d.hs_codes.iter().map(ToString::to_string).collect();
            (json!(codes), codes.join(", "))
        }),
        Fact::DeclarationValue => declaration
            .and_then(|d| d.value_usd)
            .map(|v| (json!(v), money(v, lang))),
    }
}

fn sentence(
    c: &Condition,
    outcome: Outcome,
    actual: Option<String>,
    regions: &RegionCatalog,
    lang: Lang,
) -> String {
    let subject = subject(c.fact, lang);
    let expected = operand_words(&c.operand, regions, lang);
    let en = lang == Lang::En;
    let Some(actual) = actual else {
        return unknown_sentence(c, &expected, lang);
    };
    let holds = outcome == Outcome::True;
    match (&c.operand, lang) {
        (Operand::Bool(expected), Lang::En) => {
            let is = if (actual == "true") == *expected {
                "is"
            } else {
                "is not"
            };
            let wanted = if *expected {
                "foreign-invested"
            } else {
                "domestic"
            };
            return if holds {
                format!("The firm {is} foreign-invested, as the policy requires")
            } else {
                format!("The firm {is} foreign-invested; the policy is for {wanted} firms")
            };
        }
        (Operand::Bool(expected), Lang::Zh) => {
            let firm = if actual == "true" {
                "企业为外商投资企业"
            } else {
                "企业为内资企业"
            };
            let wanted = if *expected {
                "外商投资企业"
            } else {
                "内资企业"
            };
            return if holds {
                format!("{firm}，符合要求")
            } else {
                format!("{firm}，政策面向{wanted}")
            };
        }
        (Operand::Direction(_), Lang::En) => {
            return if holds {
                format!("{subject} is {actual}")
            } else {
                format!("{subject} is {actual}, not {expected}")
            };
        }
        (Operand::Direction(_), Lang::Zh) => {
            return if holds {
                format!("{subject}为{actual}")
            } else {
                format!("{subject}为{actual}，政策要求{expected}")
            };
        }
        _ => {}
    }
    let relation = relation(c, holds, lang);
    if en {
        format!("{subject} {actual} {relation} {expected}")
    } else {
        format!("{subject}{actual}，{relation}{expected}")
    }
}

/// A condition whose fact is missing: what is missing and what the policy asks for.
fn unknown_sentence(c: &Condition, expected: &str, lang: Lang) -> String {
    let (en_noun, zh_noun) = match c.fact {
        Fact::FirmRegion => ("Region", "注册地"),
        Fact::FirmSize => ("Firm size", "企业规模"),
        Fact::FirmIndustry => ("Industry", "所属行业"),
        Fact::FirmCustomsCredit => ("Customs credit rating", "海关信用等级"),
        Fact::FirmExportValue => ("Export value last year", "上年出口额"),
        Fact::FirmImportValue => ("Import value last year", "上年进口额"),
        Fact::FirmForeignInvested => ("Foreign investment", "是否外商投资"),
        Fact::FirmRegisteredOn => ("Registration date", "成立日期"),
        Fact::DeclarationDirection => ("Direction", "进出口方向"),
        Fact::DeclarationTradeMode => ("Trade mode", "贸易方式"),
        Fact::DeclarationPort => ("Customs port", "申报口岸"),
        Fact::DeclarationCountry => ("Country", "贸易国别"),
        Fact::DeclarationHsCode => ("Goods (HS)", "商品编码"),
        Fact::DeclarationValue => ("Declared value", "申报货值"),
    };
    let (en_where, zh_where) = if c.fact.is_declaration() {
        ("no declaration says", "申报中未提供")
    } else {
        ("the firm's profile does not say", "企业信息中缺失")
    };
    let (en_wanted, zh_wanted) = match &c.operand {
        Operand::Bool(true) => (
            "foreign-invested firms".to_owned(),
            "外商投资企业".to_owned(),
        ),
        Operand::Bool(false) => ("domestic firms".to_owned(), "内资企业".to_owned()),
        _ => {
            let (en, zh) = relation_words(c);
            let zh = if zh == "为" { "" } else { zh };
            (
                format!("{en} {expected}").trim_start().to_owned(),
                format!("{zh}{expected}"),
            )
        }
    };
    match lang {
        Lang::En => format!("{en_noun} unknown: {en_where}; the policy asks for {en_wanted}"),
        Lang::Zh => format!("{zh_noun}未知（{zh_where}），政策要求{zh_wanted}"),
    }
}

/// "is below" / "is not below", "低于" / "不低于".
fn relation(c: &Condition, holds: bool, lang: Lang) -> String {
    let (en, zh) = relation_words(c);
    match (lang, holds) {
        (Lang::En, true) => format!("is {en}").trim_end().to_owned(),
        (Lang::En, false) => format!("is not {en}").trim_end().to_owned(),
        (Lang::Zh, true) => zh.to_owned(),
        (Lang::Zh, false) => format!("不{}", zh.trim_start_matches('不')),
    }
}

/// The comparison of a condition without a verb: ("below", "低于").
fn relation_words(c: &Condition) -> (&'static str, &'static str) {
    match (c.op, &c.operand) {
        (_, Operand::NumberRange(..) | Operand::DateRange(..)) => ("between", "在"),
        (Op::Lt, Operand::Date(_)) => ("before", "早于"),
        (Op::Lte, Operand::Date(_)) => ("on or before", "不晚于"),
        (Op::Gt, Operand::Date(_)) => ("after", "晚于"),
        (Op::Gte, Operand::Date(_)) => ("on or after", "不早于"),
        (Op::Lt, _) => ("below", "低于"),
        (Op::Lte, _) => ("at most", "不高于"),
        (Op::Gt, _) => ("above", "高于"),
        (Op::Gte, _) => ("at least", "不低于"),
        (Op::Within | Op::In, Operand::Regions(_)) => ("within", "属于"),
        (Op::Prefix, _) | (Op::In, _) if c.fact == Fact::DeclarationHsCode => ("under", "属于"),
        (Op::Prefix, _) => ("under", "属于"),
        (Op::In, _) => ("one of", "属于"),
        _ => ("", "为"),
    }
}

fn subject(fact: Fact, lang: Lang) -> &'static str {
    let (en, zh) = match fact {
        Fact::FirmRegion => ("Registered in", "注册地"),
        Fact::FirmSize => ("Firm size", "企业规模"),
        Fact::FirmIndustry => ("Industry", "所属行业"),
        Fact::FirmCustomsCredit => ("Customs credit rating", "海关信用等级"),
        Fact::FirmExportValue => ("Export value last year", "上年出口额"),
        Fact::FirmImportValue => ("Import value last year", "上年进口额"),
        Fact::FirmForeignInvested => ("Foreign-invested", "外商投资企业"),
        Fact::FirmRegisteredOn => ("Registered on", "成立日期"),
        Fact::DeclarationDirection => ("This declaration", "本次申报"),
        Fact::DeclarationTradeMode => ("Trade mode", "贸易方式"),
        Fact::DeclarationPort => ("Customs port", "申报口岸"),
        Fact::DeclarationCountry => ("Country", "贸易国别"),
        Fact::DeclarationHsCode => ("Goods (HS)", "商品编码"),
        Fact::DeclarationValue => ("Declared value", "申报货值"),
    };
    if lang == Lang::En { en } else { zh }
}
