//! The distinct firms a department reached and heard from across its policies, the totals of
//! `departmentOutreach`: counting them from the funnel rows is a distinct count of a few hundred
//! thousand firms (about 0.3 s at a million firms for a department of 500 policies), so they are
//! kept, as a row per department and firm (`department_reach`, migration 11), over the policies
//! listed beside them (`department_reach_policy`).
//!
//! A reader lists the department's policies: it builds the department's rows the first time,
//! adds a policy's firms when the department gains one, and builds them again when it loses one
//! (a co-issuer dropped by a new version). Writers of funnel rows add to the departments that
//! list the policy they write for, in the same transaction. Both hold `policy_audience` as
//! [`super::audience`] does: a build excludes the writers, so a writer either commits before it
//! and is counted by it, or after it and finds the policy listed.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IdenStatic, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::audience;
use crate::db::{self, KEYS_PER_LIST, begin_write, in_pieces, read_count};
use crate::entity::{
    department_reach as kept, department_reach_policy as listed, policy_firm_funnel as funnel,
};
use crate::error::AppResult;

/// A funnel row a writer wrote: its firm reached by the policy, or answering it.
pub struct Touched<'a> {
    pub policy: Uuid,
    pub firm: &'a str,
    pub reached: bool,
    pub acknowledged: bool,
}

fn existing(c: kept::Column) -> Expr {
    Expr::col((kept::Entity, c))
}

fn incoming(c: kept::Column) -> Expr {
    db::excluded(c)
}

/// The upsert of kept rows: a flag once set stays set, and a row that already holds both flags
/// is left as it is (no new row version for nothing).
fn on_conflict() -> OnConflict {
    use kept::Column as K;
    let or = |c: K| existing(c).or(incoming(c));
    let gains = |c: K| existing(c).not().and(incoming(c));
    OnConflict::columns([K::DepartmentCode, K::FirmUscc])
        .value(K::Reached, or(K::Reached))
        .value(K::Acknowledged, or(K::Acknowledged))
        .action_and_where(gains(K::Reached).or(gains(K::Acknowledged)))
        .to_owned()
}

/// Adds what a writer wrote to the departments listing its policies (`departments`, read with
/// the kept rules by [`audience::KeptRules::flags`]), in the writer's transaction.
pub async fn follow(
    txn: &impl ConnectionTrait,
    touched: &[Touched<'_>],
    departments: &HashMap<Uuid, Vec<String>>,
) -> AppResult<()> {
    if touched.is_empty() || departments.is_empty() {
        return Ok(());
    }
    // One row per (department, firm), in key order.
    let mut rows: BTreeMap<(&str, &str), (bool, bool)> = BTreeMap::new();
    for t in touched {
        for department in departments.get(&t.policy).into_iter().flatten() {
            let flags = rows.entry((department, t.firm)).or_default();
            flags.0 |= t.reached;
            flags.1 |= t.acknowledged;
        }
    }
    use kept::Column as K;
    let values = rows
        .into_iter()
        .map(|((department, firm), (reached, acknowledged))| {
            vec![
                department.into(),
                firm.into(),
                reached.into(),
                acknowledged.into(),
            ]
        })
        .collect();
    let columns = [K::DepartmentCode, K::FirmUscc, K::Reached, K::Acknowledged];
    db::insert_all(txn, kept::Entity, &columns, values, |insert| {
        insert.on_conflict(on_conflict());
    })
    .await?;
    Ok(())
}

/// The distinct firms reached and answering across `policies`, all the department's policies:
/// its kept rows, built or brought up to these policies first when they are not.
pub async fn totals(
    db: &DatabaseConnection,
    department: &str,
    policies: &[Uuid],
) -> AppResult<(i64, i64)> {
    let wanted: HashSet<Uuid> = policies.iter().copied().collect();
    if listed_for(db, department).await? != wanted {
        let txn = begin_write(db).await?;
        audience::hold(&txn).await?;
        let listed_now = listed_for(&txn, department).await?;
        let added: Vec<Uuid> = if listed_now.is_subset(&wanted) {
            wanted.difference(&listed_now).copied().collect()
        } else {
            // A policy left the department: its firms may be counted by no other, so start over.
            kept::Entity::delete_many()
                .filter(kept::Column::DepartmentCode.eq(department))
                .exec(&txn)
                .await?;
            listed::Entity::delete_many()
                .filter(listed::Column::DepartmentCode.eq(department))
                .exec(&txn)
                .await?;
            wanted.iter().copied().collect()
        };
        for chunk in in_pieces(&added, KEYS_PER_LIST) {
            add_policies(&txn, department, chunk).await?;
        }
        txn.commit().await?;
    }
    let mut count = Query::select();
    let flagged =
        |c: kept::Column| Expr::cust(format!("COUNT(CASE WHEN {} THEN 1 END)", c.as_str()));
    count
        .expr_as(flagged(kept::Column::Reached), Alias::new("reached"))
        .expr_as(
            flagged(kept::Column::Acknowledged),
            Alias::new("acknowledged"),
        )
        .from(kept::Entity)
        .and_where(kept::Column::DepartmentCode.eq(department));
    match db.query_one(&count).await? {
        Some(row) => Ok((
            read_count(&row, "reached")?,
            read_count(&row, "acknowledged")?,
        )),
        None => Ok((0, 0)),
    }
}

/// The policies the department's kept rows count.
async fn listed_for(db: &impl ConnectionTrait, department: &str) -> AppResult<HashSet<Uuid>> {
    Ok(listed::Entity::find()
        .select_only()
        .column(listed::Column::PolicyId)
        .filter(listed::Column::DepartmentCode.eq(department))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Adds the firms of `policies` to the department's kept rows, and lists them.
async fn add_policies(
    txn: &impl ConnectionTrait,
    department: &str,
    policies: &[Uuid],
) -> AppResult<()> {
    use kept::Column as K;
    let ever = |c: funnel::Column| {
        Expr::cust(format!(
            "MAX(CASE WHEN policy_firm_funnel.{} IS NOT NULL THEN 1 ELSE 0 END) = 1",
            c.as_str()
        ))
    };
    let mut firms = Query::select();
    firms
        .expr(Expr::val(department))
        .column((funnel::Entity, funnel::Column::FirmUscc))
        .expr(ever(funnel::Column::FirstDeliveredAt))
        .expr(ever(funnel::Column::FirstAcknowledgedAt))
        .from(funnel::Entity)
        .and_where(
            Expr::col((funnel::Entity, funnel::Column::PolicyId)).is_in(policies.iter().copied()),
        )
        .group_by_col((funnel::Entity, funnel::Column::FirmUscc));
    let mut insert = Query::insert();
    insert
        .into_table(kept::Entity)
        .columns([K::DepartmentCode, K::FirmUscc, K::Reached, K::Acknowledged])
        .select_from(firms)
        .map_err(|e| crate::error::AppError::internal_msg(e.to_string()))?
        .on_conflict(on_conflict());
    txn.execute(&insert).await?;
    listed::Entity::insert_many(policies.iter().map(|policy| listed::ActiveModel {
        policy_id: sea_orm::Set(*policy),
        department_code: sea_orm::Set(department.to_owned()),
    }))
    .on_conflict_do_nothing()
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
