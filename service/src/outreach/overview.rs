//! `departmentOutreach`: every policy a department issued or co-issued, with its reach and
//! answers, in a bounded number of queries.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};

use super::audience::{Asked, audiences};
use super::reach::audience_of;
use super::stats::{Overview, PolicyCounts, overview};
use super::window::Window;
use crate::department::Department;
use crate::department::service::{by_codes, for_reader};
use crate::error::AppError;
use crate::graphql::pagination::int;
use crate::graphql::{Date, base, viewer};
use crate::policy::{Policy, catalog};

/// One policy's headline figures over all time, as its `departmentOutreach` row shows them.
pub(super) async fn headline(
    base: &crate::state::Base,
    view: crate::policy::PolicyView,
) -> Result<PolicyReach, AppError> {
    let condition = audience_of(&base.regions, &view)?;
    let asked = [Asked {
        policy: view.policy.id,
        scope: &view.regions,
        eligibility: &view.version.eligibility,
        condition: condition.clone(),
    }];
    let sizes = audiences(&base.db, &asked, base.now()).await?;
    let window = Window::of_days(None, None, base.zone)?;
    let counted = overview(&base.db, vec![(view.policy.id, condition)], window, None).await?;
    Ok(PolicyReach::of(view, &sizes, &counted))
}

/// All of a department's policies at a glance.
#[derive(Default)]
pub struct OverviewQuery;

#[Object]
impl OverviewQuery {
    /// Every policy the department issued or co-issued (any status, newest first) with its
    /// audience, reach and answers over `[from, to]` (days in the configured zone; both open by
    /// default), and the distinct firms across them. A DEPARTMENT reads its own; SYSTEM and ADMIN
    /// name one.
    async fn department_outreach(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<DepartmentOutreach> {
        let app = base(ctx);
        let window = Window::of_days(from.map(|d| d.0), to.map(|d| d.0), app.zone)?;
        let code = for_reader(&app.db, viewer(ctx), department.as_deref()).await?;
        let department = by_codes(&app.db, &[code.as_str().to_owned()])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("no department {}", code.as_str())))?;
        let views = catalog::managed_by(&app.db, &app.regions, &code).await?;
        let asked = views
            .iter()
            .map(|v| {
                Ok(Asked {
                    policy: v.policy.id,
                    scope: &v.regions,
                    eligibility: &v.version.eligibility,
                    condition: audience_of(&app.regions, v)?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let sizes = audiences(&app.db, &asked, app.now()).await?;
        let conditions = asked.into_iter().map(|a| (a.policy, a.condition)).collect();
        let counted = overview(&app.db, conditions, window, Some(code.as_str())).await?;
        let policies = views
            .into_iter()
            .map(|view| PolicyReach::of(view, &sizes, &counted))
            .collect::<Vec<_>>();
        Ok(DepartmentOutreach {
            department: department.into(),
            totals: ReachTotals {
                policies: int(policies.len() as i64),
                reached_firms: int(counted.reached_firms),
                acknowledged_firms: int(counted.acknowledged_firms),
            },
            policies,
        })
    }
}

#[derive(SimpleObject)]
pub struct DepartmentOutreach {
    department: Department,
    /// Newest first.
    policies: Vec<PolicyReach>,
    totals: ReachTotals,
}

/// One policy's reach, as `outreach` counts it.
#[derive(SimpleObject)]
pub struct PolicyReach {
    policy: Policy,
    /// Firms in scope whose firm facts do not rule them out (TRUE or UNKNOWN).
    audience: i32,
    /// Distinct firms with a delivery in the window (in the audience or not).
    reached: i32,
    /// Distinct firms with an acknowledgement in the window.
    acknowledged: i32,
    /// Reached firms in the audience over the audience (0 when the audience is 0).
    reach_rate: f64,
    /// Acknowledging firms in the audience over the audience.
    acknowledge_rate: f64,
    /// Firms whose latest response in the window is WILL_APPLY.
    will_apply: i32,
    /// Firms whose latest response in the window is APPLIED.
    applied: i32,
}

impl PolicyReach {
    /// Its figures (the policy aside), to tell whether they changed.
    pub(super) fn figures(&self) -> (i32, i32, i32, i32, i32, u64, u64) {
        (
            self.audience,
            self.reached,
            self.acknowledged,
            self.will_apply,
            self.applied,
            self.reach_rate.to_bits(),
            self.acknowledge_rate.to_bits(),
        )
    }

    /// `view`'s row: its audience from `sizes`, the rest from `counted`.
    fn of(
        view: crate::policy::PolicyView,
        sizes: &std::collections::HashMap<uuid::Uuid, i64>,
        counted: &Overview,
    ) -> PolicyReach {
        let counts = PolicyCounts {
            audience: sizes.get(&view.policy.id).copied().unwrap_or_default(),
            ..counted
                .by_policy
                .get(&view.policy.id)
                .copied()
                .unwrap_or_default()
        };
        PolicyReach::new(Policy(Arc::new(view)), counts)
    }

    fn new(policy: Policy, c: PolicyCounts) -> PolicyReach {
        let rate = |part: i64| {
            if c.audience == 0 {
                0.0
            } else {
                part as f64 / c.audience as f64
            }
        };
        PolicyReach {
            policy,
            audience: int(c.audience),
            reached: int(c.reached),
            acknowledged: int(c.acknowledged),
            reach_rate: rate(c.reached_in_audience),
            acknowledge_rate: rate(c.acknowledged_in_audience),
            will_apply: int(c.will_apply),
            applied: int(c.applied),
        }
    }
}

/// Across the department's policies.
#[derive(SimpleObject)]
pub struct ReachTotals {
    policies: i32,
    /// Distinct firms reached by any of them.
    reached_firms: i32,
    /// Distinct firms that answered any of them.
    acknowledged_firms: i32,
}
