//! Bulk import of policies from a JSON file (`policy-outreach import-policies FILE`): everything is
//! validated first, and nothing is written when anything is wrong.
//!
//! The file is a JSON array; each entry is `{"publish": bool, "policy": PolicyInput}` with the
//! fields of `PolicyInput` in camelCase (as in `demo/src/policies.json`). `leadIssuer` is required:
//! the import runs as ADMIN.

use chrono::{DateTime, Utc};
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

/// Validates every entry, then creates (and publishes) them all at `now`, in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    entries: Vec<ImportEntry>,
    publish_all: bool,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Imported> {
    let mut errors = InputErrors::default();
    check_references(db, &entries, &mut errors).await?;
    let mut drafts = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let path = format!("[{i}].policy");
        match validate_input(entry.policy, &path, regions) {
            Ok(draft) => drafts.push((draft, entry.publish || publish_all)),
            Err(entry_errors) => errors.extend(entry_errors),
        }
    }
    errors.into_result(())?;

    let txn = begin_write(db).await?;
    let mut imported = Imported {
        created: 0,
        published: 0,
    };
    for (draft, publish) in &drafts {
        let id = store::create_in(&txn, draft, actor, now).await?;
        imported.created += 1;
        if *publish {
            store::publish_in(&txn, regions, id, actor, now).await?;
            imported.published += 1;
        }
    }
    txn.commit().await?;
    Ok(imported)
}

/// Every entry names its lead; departments exist; codes are unique in the file and free in the
/// database. Checked on the entries as written, so these problems are reported with the others.
async fn check_references(
    db: &DatabaseConnection,
    entries: &[ImportEntry],
    errors: &mut InputErrors,
) -> AppResult<()> {
    let departments: HashSet<String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let codes: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.policy.code.as_deref())
        .collect();
    let taken: HashSet<String> = policy::Entity::find()
        .filter(policy::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("[{i}].policy");
        let input = &entry.policy;
        match &input.lead_issuer {
            None => errors.push(
                format!("{path}.leadIssuer"),
                "an import names the lead issuer of each policy",
            ),
            Some(lead) if !departments.contains(lead) => {
                errors.push(format!("{path}.leadIssuer"), unknown(lead))
            }
            Some(_) => {}
        }
        for (j, code) in input.co_issuers.iter().flatten().enumerate() {
            if !departments.contains(code) {
                errors.push(format!("{path}.coIssuers[{j}]"), unknown(code));
            }
        }
        if let Some(code) = input.code.as_deref() {
            if taken.contains(code) {
                errors.push(
                    format!("{path}.code"),
                    format!("policy code {code} is taken"),
                );
            } else if let Some(first) = first_use.insert(code, i) {
                errors.push(
                    format!("{path}.code"),
                    format!("{code} is already used at [{first}]"),
                );
            }
        }
    }
    Ok(())
}

fn unknown(code: &str) -> String {
    format!("no department {code}; ADMIN creates departments with upsertDepartment")
}
