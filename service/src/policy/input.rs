//! `PolicyInput`, shared by the policy mutations and `import-policies`, and its validation.

use async_graphql::InputObject;
use chrono::NaiveDate;
use serde::Deserialize;

use super::model::{Body, DocumentTitle, Summary, Title};
use super::{BenefitKind, DocumentKind};
use crate::department::DepartmentCode;
use crate::eligibility::{Rule, parse_rule};
use crate::error::InputErrors;
use crate::graphql::Date;
use crate::region::{RegionCatalog, RegionCode};

const MAX_REGIONS: usize = 100;
const MAX_CO_ISSUERS: usize = 20;
const MAX_DOCUMENTS: usize = 20;

/// A policy's content, as a department writes it.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInput {
    /// Human code, unique (3 to 64 capitals, digits and hyphens); generated when absent.
    pub code: Option<String>,
    /// ADMIN only: the lead department. A department always leads what it creates.
    pub lead_issuer: Option<String>,
    /// Codes of co-issuing departments (joint notices).
    pub co_issuers: Option<Vec<String>>,
    pub title_zh: String,
    pub title_en: Option<String>,
    pub summary_zh: String,
    pub summary_en: Option<String>,
    /// Full text in Markdown.
    pub body_zh: Option<String>,
    pub body_en: Option<String>,
    pub benefit_kind: BenefitKind,
    /// GB/T 2260 codes of the regions covered; empty or absent: nationwide.
    pub regions: Option<Vec<String>>,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub apply_deadline: Option<Date>,
    pub apply_url: Option<String>,
    /// Granted without application.
    #[graphql(default = false)]
    #[serde(default)]
    pub auto_enjoy: bool,
    pub source_url: Option<String>,
    pub documents: Option<Vec<DocumentInput>>,
    /// The eligibility rule (DESIGN §6).
    pub eligibility: serde_json::Value,
}

/// A link to the policy text.
#[derive(InputObject, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentInput {
    pub title: String,
    pub url: String,
    pub kind: DocumentKind,
    /// Language of the document: zh or en.
    pub lang: Option<String>,
}

/// A validated policy version, ready to store.
#[derive(Clone, Debug)]
pub struct PolicyDraft {
    pub code: Option<String>,
    pub lead_issuer: Option<DepartmentCode>,
    pub co_issuers: Vec<DepartmentCode>,
    pub title_zh: Title,
    pub title_en: Option<Title>,
    pub summary_zh: Summary,
    pub summary_en: Option<Summary>,
    pub body_zh: Option<Body>,
    pub body_en: Option<Body>,
    pub benefit_kind: BenefitKind,
    pub regions: Vec<RegionCode>,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub apply_deadline: Option<NaiveDate>,
    pub apply_url: Option<String>,
    pub auto_enjoy: bool,
    pub source_url: Option<String>,
    pub documents: Vec<DocumentDraft>,
    pub eligibility: serde_json::Value,
    pub rule: Rule,
}

#[derive(Clone, Debug)]
pub struct DocumentDraft {
    pub title: DocumentTitle,
    pub url: String,
    pub kind: DocumentKind,
    pub lang: Option<String>,
}

/// Validates every field, naming each problem under `path` (`input.titleZh`).
pub fn validate_input(
    input: PolicyInput,
    path: &str,
    regions: &RegionCatalog,
) -> Result<PolicyDraft, InputErrors> {
    let mut errors = InputErrors::default();
    let at = |field: &str| format!("{path}.{field}");
    let code = input
        .code
        .and_then(|c| errors.check(at("code"), policy_code(&c)));
    let lead_issuer = input
        .lead_issuer
        .and_then(|c| errors.check(at("leadIssuer"), DepartmentCode::parse(&c)));
    let co_issuers = list(
        &mut errors,
        &at("coIssuers"),
        input.co_issuers,
        MAX_CO_ISSUERS,
        DepartmentCode::parse,
    );
    if let Some(lead) = &lead_issuer
        && co_issuers.contains(lead)
    {
        errors.push(at("coIssuers"), "the lead issuer is not also a co-issuer");
    }
    let title_zh = errors.check(at("titleZh"), Title::parse(&input.title_zh));
    let title_en = errors.check_optional(
        at("titleEn"),
        Title::parse_optional(input.title_en.as_deref()),
    );
    let summary_zh = errors.check(at("summaryZh"), Summary::parse(&input.summary_zh));
    let summary_en = errors.check_optional(
        at("summaryEn"),
        Summary::parse_optional(input.summary_en.as_deref()),
    );
    let body_zh =
        errors.check_optional(at("bodyZh"), Body::parse_optional(input.body_zh.as_deref()));
    let body_en =
        errors.check_optional(at("bodyEn"), Body::parse_optional(input.body_en.as_deref()));
    let regions_list = list(
        &mut errors,
        &at("regions"),
        input.regions,
        MAX_REGIONS,
        |c| regions.parse(c),
    );
    let (from, to) = (input.effective_from.0, input.effective_to.map(|d| d.0));
    if let Some(to) = to
        && to < from
    {
        errors.push(
            at("effectiveTo"),
            format!("{to} is before effectiveFrom {from}"),
        );
    }
    let apply_url = input
        .apply_url
        .and_then(|u| errors.check(at("applyUrl"), url(&u)));
    let source_url = input
        .source_url
        .and_then(|u| errors.check(at("sourceUrl"), url(&u)));
    let documents = input.documents.unwrap_or_default();
    if documents.len() > MAX_DOCUMENTS {
        errors.push(
            at("documents"),
            format!("at most {MAX_DOCUMENTS} documents"),
        );
    }
    let documents: Vec<DocumentDraft> = documents
        .into_iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let at = |field: &str| format!("{path}.documents[{i}].{field}");
            let title = errors.check(at("title"), DocumentTitle::parse(&d.title));
            let url = errors.check(at("url"), url(&d.url));
            let lang = d
                .lang
                .and_then(|l| errors.check(at("lang"), document_lang(&l)));
            Some(DocumentDraft {
                title: title?,
                url: url?,
                kind: d.kind,
                lang,
            })
        })
        .collect();
    let rule = match parse_rule(&input.eligibility, &at("eligibility"), regions) {
        Ok(rule) => Some(rule),
        Err(rule_errors) => {
            errors.extend(rule_errors.into());
            None
        }
    };
    let (Some(title_zh), Some(summary_zh), Some(rule)) = (title_zh, summary_zh, rule) else {
        return Err(errors);
    };
    errors.into_result(PolicyDraft {
        code,
        lead_issuer,
        co_issuers,
        title_zh,
        title_en,
        summary_zh,
        summary_en,
        body_zh,
        body_en,
        benefit_kind: input.benefit_kind,
        regions: regions_list,
        effective_from: from,
        effective_to: to,
        apply_deadline: input.apply_deadline.map(|d| d.0),
        apply_url,
        auto_enjoy: input.auto_enjoy,
        source_url,
        documents,
        eligibility: input.eligibility,
        rule,
    })
}

fn list<T: PartialEq>(
    errors: &mut InputErrors,
    path: &str,
    items: Option<Vec<String>>,
    max: usize,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<T> {
    let items = items.unwrap_or_default();
    if items.len() > max {
        errors.push(path, format!("at most {max} entries"));
        return Vec::new();
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if let Some(value) = errors.check(format!("{path}[{i}]"), parse(item)) {
            if out.contains(&value) {
                errors.push(format!("{path}[{i}]"), "listed twice");
            } else {
                out.push(value);
            }
        }
    }
    out
}

fn url(value: &str) -> Result<String, String> {
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() <= 2048
        && value.len() > "https://".len()
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a web address: give an http(s):// URL without spaces or control characters"
        ))
    }
}

fn policy_code(value: &str) -> Result<String, String> {
    let ok = (3..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a policy code: 3 to 64 capitals, digits and hyphens"
        ))
    }
}

fn document_lang(value: &str) -> Result<String, String> {
    match value {
        "zh" | "en" => Ok(value.to_owned()),
        _ => Err(format!("{value:?} is not a document language: zh or en")),
    }
}
