//! Bulk import of policies from a JSON file (`policy-outreach import-policies FILE`): everything is
//! validated first, and nothing is written when anything is wrong.
//!
//! The file is a JSON array; each entry is `{"publish": bool, "policy": PolicyInput}` with the
//! fields of `PolicyInput` in camelCase (as in `src/demo/policies.json`). `leadIssuer` is required:
//! the import runs as ADMIN.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::input::{PolicyInput, validate_input};
use super::store;
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::entity::{department, policy};
use crate::error::{AppError, AppResult, InputErrors};
use crate::region::RegionCatalog;

/// One policy of an import file.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ImportEntry {
    /// Publish it once created (else it stays a draft).
    #[serde(default)]
    pub publish: bool,
    pub policy: PolicyInput,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub created: usize,
    pub published: usize,
}

/// Parses an import file, naming the line and column of a syntax error.
pub fn parse(text: &str) -> AppResult<Vec<ImportEntry>> {
    serde_json::from_str(text).map_err(|e| {
        AppError::field(
            format!("line {} column {}", e.line(), e.column()),
            format!("not an import file: {e}"),
        )
    })
}

/// Validates every entry, then creates (and publishes) them all in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    entries: Vec<ImportEntry>,
    publish_all: bool,
    actor: &Viewer,
) -> AppResult<Imported> {
    let mut errors = InputErrors::default();
    let mut drafts = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let path = format!("[{i}].policy");
        if entry.policy.lead_issuer.is_none() {
            errors.push(
                format!("{path}.leadIssuer"),
                "an import names the lead issuer of each policy",
            );
        }
        match validate_input(entry.policy, &path, regions) {
            Ok(draft) => drafts.push((path, draft, entry.publish || publish_all)),
            Err(entry_errors) => errors.extend(entry_errors),
        }
    }
    check_references(db, &drafts, &mut errors).await?;
    errors.into_result(())?;

    let txn = begin_write(db).await?;
    let mut imported = Imported {
        created: 0,
        published: 0,
    };
    for (_, draft, publish) in &drafts {
        let id = store::create_in(&txn, draft, actor).await?;
        imported.created += 1;
        if *publish {
            store::publish_in(&txn, regions, id, actor).await?;
            imported.published += 1;
        }
    }
    txn.commit().await?;
    Ok(imported)
}

/// Departments must exist; codes must be unique in the file and free in the database.
async fn check_references(
    db: &DatabaseConnection,
    drafts: &[(String, super::PolicyDraft, bool)],
    errors: &mut InputErrors,
) -> AppResult<()> {
    let departments: HashSet<String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let codes: Vec<&str> = drafts
        .iter()
        .filter_map(|(_, d, _)| d.code.as_deref())
        .collect();
    let taken: HashSet<String> = policy::Entity::find()
        .filter(policy::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let mut first_use: HashMap<&str, &str> = HashMap::new();
    for (path, draft, _) in drafts {
        let issuers = draft
            .lead_issuer
            .iter()
            .map(|c| (format!("{path}.leadIssuer"), c))
            .chain(
                draft
                    .co_issuers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("{path}.coIssuers[{i}]"), c)),
            );
        for (field, code) in issuers {
            if !departments.contains(code.as_str()) {
                errors.push(
                    field,
                    format!(
                        "no department {code}; ADMIN creates departments with upsertDepartment"
                    ),
                );
            }
        }
        if let Some(code) = draft.code.as_deref() {
            if taken.contains(code) {
                errors.push(
                    format!("{path}.code"),
                    format!("policy code {code} is taken"),
                );
            } else if let Some(first) = first_use.insert(code, path) {
                errors.push(
                    format!("{path}.code"),
                    format!("{code} is already used at {first}"),
                );
            }
        }
    }
    Ok(())
}
