//! A version's content in one comparable shape, so an edit's audit entry says what changed.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::BenefitKind;
use super::input::PolicyDraft;
use crate::entity::{policy_document, policy_version};

/// Everything an edit can change in a version.
#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    title_zh: String,
    title_en: Option<String>,
    summary_zh: String,
    summary_en: Option<String>,
    body_zh: Option<String>,
    body_en: Option<String>,
    benefit_kind: BenefitKind,
    co_issuers: Vec<String>,
    regions: Vec<String>,
    effective_from: String,
    effective_to: Option<String>,
    apply_deadline: Option<String>,
    apply_url: Option<String>,
    auto_enjoy: bool,
    source_url: Option<String>,
    documents: Vec<Value>,
    eligibility: Value,
}

impl Content {
    pub fn of_draft(draft: &PolicyDraft) -> Content {
        Content {
            title_zh: draft.title_zh.as_str().to_owned(),
            title_en: draft.title_en.clone().map(String::from),
            summary_zh: draft.summary_zh.as_str().to_owned(),
            summary_en: draft.summary_en.clone().map(String::from),
            body_zh: draft.body_zh.clone().map(String::from),
            body_en: draft.body_en.clone().map(String::from),
            benefit_kind: draft.benefit_kind,
            co_issuers: draft.co_issuers.iter().map(ToString::to_string).collect(),
            regions: draft.regions.iter().map(ToString::to_string).collect(),
            effective_from: draft.effective_from.to_string(),
            effective_to: draft.effective_to.map(|d| d.to_string()),
            apply_deadline: draft.apply_deadline.map(|d| d.to_string()),
            apply_url: draft.apply_url.clone(),
            auto_enjoy: draft.auto_enjoy,
            source_url: draft.source_url.clone(),
            documents: draft
                .documents
                .iter()
                .map(|d| json!({"title": d.title, "url": d.url, "kind": d.kind, "lang": d.lang}))
                .collect(),
            eligibility: draft.eligibility.clone(),
        }
    }

    pub fn of_stored(
        version: &policy_version::Model,
        co_issuers: Vec<String>,
        regions: Vec<String>,
        documents: &[policy_document::Model],
    ) -> Content {
        Content {
            title_zh: version.title_zh.clone(),
            title_en: version.title_en.clone(),
            summary_zh: version.summary_zh.clone(),
            summary_en: version.summary_en.clone(),
            body_zh: version.body_zh.clone(),
            body_en: version.body_en.clone(),
            benefit_kind: version.benefit_kind,
            co_issuers,
            regions,
            effective_from: version.effective_from.to_string(),
            effective_to: version.effective_to.map(|d| d.to_string()),
            apply_deadline: version.apply_deadline.map(|d| d.to_string()),
            apply_url: version.apply_url.clone(),
            auto_enjoy: version.auto_enjoy,
            source_url: version.source_url.clone(),
            documents: documents
                .iter()
                .map(|d| json!({"title": d.title, "url": d.url, "kind": d.kind, "lang": d.lang}))
                .collect(),
            eligibility: version.eligibility.clone(),
        }
    }

    /// Every field, for the audit entry of a creation.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// `{field: {"from": old, "to": new}}` for each field that differs.
    pub fn changes_from(&self, before: &Content) -> Value {
        let (Value::Object(after), Value::Object(before)) = (self.to_json(), before.to_json())
        else {
            return Value::Null;
        };
        let changed: Map<String, Value> = after
            .into_iter()
            .filter_map(|(field, new)| {
                let old = before.get(&field).cloned().unwrap_or(Value::Null);
                (old != new).then(|| (field, json!({"from": old, "to": new})))
            })
            .collect();
        Value::Object(changed)
    }
}
