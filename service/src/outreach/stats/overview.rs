//! Many policies at a glance (`departmentOutreach`): each policy's reach and answers in a bounded
//! number of queries, whatever the number of policies (its audience is kept, `outreach::audience`).
//! How much of each audience was reached and answered is the policy's own condition on firms, so
//! those counts are branches of one `UNION ALL` (200 to a statement, under SQLite's limit of 500),
//! each reading the firms the policy reached; every other figure is one aggregate grouped by
//! policy.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use uuid::Uuid;

use super::{Figures, count, count_where, funnel_col};
use crate::db::{per_policy, read_count};
use crate::entity::{acknowledgement as ack, filing, policy_firm_funnel as funnel};
use crate::error::{AppError, AppResult};
use crate::outreach::window::Window;
use crate::outreach::{Response, department_reach};

/// One policy's figures over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyCounts {
    pub audience: i64,
    pub reached_in_audience: i64,
    pub acknowledged_in_audience: i64,
    /// Distinct firms reached, in the audience or not.
    pub reached: i64,
    /// Distinct firms that answered.
    pub acknowledged: i64,
    /// Firms whose latest answer is WILL_APPLY.
    pub will_apply: i64,
    /// Firms whose latest answer is APPLIED.
    pub applied: i64,
}

/// The figures of every policy, and the distinct firms across them.
#[derive(Clone, Debug, Default)]
pub struct Overview {
    pub by_policy: HashMap<Uuid, PolicyCounts>,
    pub reached_firms: i64,
    pub acknowledged_firms: i64,
}

/// The figures of `policies` (each with its audience condition) over `window`, all but the
/// audiences themselves; the distinct firms across them when they are all of `department`'s
/// policies (zero without one).
pub async fn overview(
    db: &DatabaseConnection,
    policies: Vec<(Uuid, Expr)>,
    window: Window,
    department: Option<&str>,
) -> AppResult<Overview> {
    let ids: Vec<Uuid> = policies.iter().map(|(id, _)| *id).collect();
    let mut found = Overview::default();
    if ids.is_empty() {
        return Ok(found);
    }
    let figures: Vec<Figures> = policies
        .into_iter()
        .map(|(policy, audience)| Figures {
            db: db.clone(),
            policy,
            audience,
            window,
        })
        .collect();
    if window.is_unbounded() {
        from_funnel(db, &ids, &mut found).await?;
        if let Some(department) = department {
            (found.reached_firms, found.acknowledged_firms) =
                department_reach::totals(db, department, &ids).await?;
        }
    } else {
        reach_in_audiences(db, &figures, &mut found.by_policy).await?;
        reached_in_window(db, &ids, window, &mut found).await?;
        answered_in_window(db, &ids, window, &mut found).await?;
    }
    Ok(found)
}

/// Within a window, how much of each policy's audience was reached and answered: one branch
/// per policy.
async fn reach_in_audiences(
    db: &DatabaseConnection,
    figures: &[Figures],
    into: &mut HashMap<Uuid, PolicyCounts>,
) -> AppResult<()> {
    let branches = figures
        .iter()
        .map(|f| (f.policy, f.reach_in_audience_select()))
        .collect();
    for (policy, row) in per_policy(db, branches).await? {
        let counts = into.entry(policy).or_default();
        counts.reached_in_audience = read_count(&row, "reached")?;
        counts.acknowledged_in_audience = read_count(&row, "acknowledged")?;
    }
    Ok(())
}

/// Since publication: reached, answered and latest answers per policy from the funnel rows. How
/// much of each audience was reached and answered
/// is read from the rows' audience flags, which every policy with a kept audience count has
/// (`outreach::audience`): the caller has its audiences counted first.
async fn from_funnel(db: &DatabaseConnection, ids: &[Uuid], into: &mut Overview) -> AppResult<()> {
    let f = funnel_col;
    let latest = |r: Response| count_where(f(funnel::Column::LatestResponse).eq(r.as_str()));
    let in_audience = |c: funnel::Column| {
        count_where(
            f(c).is_not_null()
                .and(f(funnel::Column::InAudience).eq(true)),
        )
    };
    let mut query = Query::select();
    query
        .expr_as(f(funnel::Column::PolicyId), Alias::new("policy"))
        .expr_as(
            count_where(f(funnel::Column::FirstDeliveredAt).is_not_null()),
            Alias::new("reached"),
        )
        .expr_as(
            count_where(f(funnel::Column::FirstAcknowledgedAt).is_not_null()),
            Alias::new("acknowledged"),
        )
        .expr_as(latest(Response::WillApply), Alias::new("will_apply"))
        .expr_as(latest(Response::Applied), Alias::new("applied"))
        .expr_as(
            in_audience(funnel::Column::FirstDeliveredAt),
            Alias::new("reached_in_audience"),
        )
        .expr_as(
            in_audience(funnel::Column::FirstAcknowledgedAt),
            Alias::new("acknowledged_in_audience"),
        )
        .from(funnel::Entity)
        .and_where(f(funnel::Column::PolicyId).is_in(ids.iter().copied()))
        .group_by_col((funnel::Entity, funnel::Column::PolicyId));
    for row in db.query_all(&query).await? {
        let counts = into
            .by_policy
            .entry(row.try_get("", "policy")?)
            .or_default();
        counts.reached = read_count(&row, "reached")?;
        counts.acknowledged = read_count(&row, "acknowledged")?;
        counts.will_apply = read_count(&row, "will_apply")?;
        counts.applied = read_count(&row, "applied")?;
        counts.reached_in_audience = read_count(&row, "reached_in_audience")?;
        counts.acknowledged_in_audience = read_count(&row, "acknowledged_in_audience")?;
    }
    Ok(())
}

/// The presentations of `ids` in the window: one row per ledger row and policy it presented.
fn presentations(
    backend: DatabaseBackend,
    ids: &[Uuid],
    window: Window,
) -> (SelectStatement, Expr) {
    // A uuid's text is hex digits and hyphens: written into the SQL, it stays a literal.
    let listed: Vec<String> = ids
        .iter()
        .map(|id| format!("'{}'", id.hyphenated()))
        .collect();
    let (elements, policy) = match backend {
        DatabaseBackend::Postgres => ("jsonb_array_elements", "p.value->>0"),
        _ => ("json_each", "json_extract(p.value, '$[0]')"),
    };
    let mut query = Query::select();
    query
        .from(filing::Entity)
        .from_function(
            Func::cust(Alias::new(elements))
                .arg(Expr::col((filing::Entity, filing::Column::Presented))),
            Alias::new("p"),
        )
        .and_where(Expr::cust(format!("{policy} IN ({})", listed.join(", "))));
    window.restrict(
        &mut query,
        Expr::col((filing::Entity, filing::Column::FiledAt)),
    );
    (query, Expr::cust(policy))
}

/// Within a window: the firms each policy reached, and the distinct firms across them.
async fn reached_in_window(
    db: &DatabaseConnection,
    ids: &[Uuid],
    window: Window,
    into: &mut Overview,
) -> AppResult<()> {
    let firms = Expr::cust("COUNT(DISTINCT filing.firm_uscc)");
    let (mut query, policy) = presentations(db.get_database_backend(), ids, window);
    query
        .expr_as(policy.clone(), Alias::new("policy"))
        .expr_as(firms.clone(), Alias::new("reached"))
        .add_group_by([policy]);
    for row in db.query_all(&query).await? {
        let id = parse_policy(&row.try_get::<String>("", "policy")?)?;
        into.by_policy.entry(id).or_default().reached = read_count(&row, "reached")?;
    }
    let (mut total, _) = presentations(db.get_database_backend(), ids, window);
    total.expr(firms);
    into.reached_firms = count(db, &total).await?;
    Ok(())
}

/// Within a window: the firms that answered each policy and their latest answers, and the
/// distinct firms across the policies.
async fn answered_in_window(
    db: &DatabaseConnection,
    ids: &[Uuid],
    window: Window,
    into: &mut Overview,
) -> AppResult<()> {
    let in_scope = |query: &mut SelectStatement| {
        query
            .from(ack::Entity)
            .and_where(Expr::col(ack::Column::PolicyId).is_in(ids.iter().copied()));
        window.restrict(query, Expr::col(ack::Column::CreatedAt));
    };
    let mut ranked = Query::select();
    ranked
        .column(ack::Column::PolicyId)
        .column(ack::Column::Response)
        .expr_as(
            Expr::cust(
                "ROW_NUMBER() OVER (PARTITION BY policy_id, firm_uscc \
                 ORDER BY created_at DESC, id DESC)",
            ),
            Alias::new("rank"),
        );
    in_scope(&mut ranked);
    let latest = || Expr::col(Alias::new("rank")).eq(1);
    let answered =
        |r: Response| count_where(latest().and(Expr::col(Alias::new("response")).eq(r.as_str())));
    let mut query = Query::select();
    query
        .expr_as(Expr::col(Alias::new("policy_id")), Alias::new("policy"))
        .expr_as(count_where(latest()), Alias::new("acknowledged"))
        .expr_as(answered(Response::WillApply), Alias::new("will_apply"))
        .expr_as(answered(Response::Applied), Alias::new("applied"))
        .from_subquery(ranked, Alias::new("latest"))
        .group_by_col(Alias::new("policy_id"));
    for row in db.query_all(&query).await? {
        let counts = into
            .by_policy
            .entry(row.try_get("", "policy")?)
            .or_default();
        counts.acknowledged = read_count(&row, "acknowledged")?;
        counts.will_apply = read_count(&row, "will_apply")?;
        counts.applied = read_count(&row, "applied")?;
    }
    let mut total = Query::select();
    total.expr(Expr::cust("COUNT(DISTINCT firm_uscc)"));
    in_scope(&mut total);
    into.acknowledged_firms = count(db, &total).await?;
    Ok(())
}

fn parse_policy(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|e| AppError::internal_msg(format!("policy id {text}: {e}")))
}
