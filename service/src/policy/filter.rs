//! The catalog's filters as SQL conditions: status, issuer, region covered, benefit, dates and
//! words.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait};

use super::view::PolicyView;
use super::{BenefitKind, PolicyStatus};
use crate::department::DepartmentCode;
use crate::entity::{policy, policy_issuer, policy_region, policy_version};
use crate::region::{RegionCatalog, RegionCode};

/// A validated `PolicyFilter`.
#[derive(Clone, Debug, Default)]
pub struct PolicyFilterSpec {
    /// Policies that cover a firm registered here (nationwide ones included).
    pub region: Option<RegionCode>,
    pub department: Option<DepartmentCode>,
    pub benefit_kind: Option<BenefitKind>,
    /// Absent: PUBLISHED.
    pub status: Option<PolicyStatus>,
    pub in_effect_on: Option<NaiveDate>,
    /// Words in titles or summaries, matched case-insensitively; lowercased when parsed, so the
    /// in-memory test lowers only the texts.
    pub search: Option<String>,
}

impl PolicyFilterSpec {
    /// Whether the filter asks for published policies only: those the live snapshot holds.
    pub fn published_only(&self) -> bool {
        self.status.is_none_or(|s| s == PolicyStatus::Published)
    }

    /// Whether `view`, a policy at the version it shows, passes the filter: the condition
    /// [`matching`] puts to the database, on a policy in memory.
    pub(super) fn admits(&self, view: &PolicyView, regions: &RegionCatalog) -> bool {
        let version = &view.version;
        view.policy.status == self.status.unwrap_or(PolicyStatus::Published)
            && self
                .department
                .as_ref()
                .is_none_or(|d| view.issuers.iter().any(|issuer| issuer.code == d.as_str()))
            && self
                .region
                .is_none_or(|region| regions.scope_covers(&view.regions, region))
            && self.benefit_kind.is_none_or(|k| version.benefit_kind == k)
            && self.in_effect_on.is_none_or(|day| view.in_effect_on(day))
            && self.search.as_deref().is_none_or(|words| {
                [
                    Some(version.title_zh.as_str()),
                    version.title_en.as_deref(),
                    Some(version.summary_zh.as_str()),
                    version.summary_en.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|text| text.to_lowercase().contains(words))
            })
    }
}

/// The filter as a condition on the policies table; [`PolicyFilterSpec::admits`] is the same
/// test in memory.
pub(super) fn matching(filter: &PolicyFilterSpec, regions: &RegionCatalog) -> Condition {
    let mut condition = Condition::all()
        .add(policy::Column::Status.eq(filter.status.unwrap_or(PolicyStatus::Published)));
    if let Some(department) = &filter.department {
        condition = condition.add(Expr::exists(issued_by(department, true)));
    }
    if let Some(region) = filter.region {
        let covering: Vec<String> = regions
            .self_and_ancestors(region)
            .map(|c| c.to_string())
            .collect();
        let any_scope = shown_rows(policy_region::Entity, "r");
        let mut covers = any_scope.clone();
        covers.and_where(
            Expr::col((Alias::new("r"), policy_region::Column::RegionCode)).is_in(covering),
        );
        condition = condition.add(
            Condition::any()
                .add(Expr::exists(any_scope).not())
                .add(Expr::exists(covers)),
        );
    }
    let mut version_conditions = Condition::all();
    if let Some(kind) = filter.benefit_kind {
        version_conditions = version_conditions.add(
            Expr::col((Alias::new("v"), policy_version::Column::BenefitKind)).eq(kind.as_str()),
        );
    }
    if let Some(day) = filter.in_effect_on {
        let to = Expr::col((Alias::new("v"), policy_version::Column::EffectiveTo));
        version_conditions = version_conditions
            .add(Expr::col((Alias::new("v"), policy_version::Column::EffectiveFrom)).lte(day))
            .add(Condition::any().add(to.clone().is_null()).add(to.gte(day)));
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let mut any = Condition::any();
        for column in [
            policy_version::Column::TitleZh,
            policy_version::Column::TitleEn,
            policy_version::Column::SummaryZh,
            policy_version::Column::SummaryEn,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col((Alias::new("v"), column))))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        version_conditions = version_conditions.add(any);
    }
    if !version_conditions.is_empty() {
        let mut versions = shown_rows(policy_version::Entity, "v");
        versions.cond_where(version_conditions);
        condition = condition.add(Expr::exists(versions));
    }
    condition
}

/// `SELECT 1 FROM <table> AS alias` restricted to the rows of the version each policy shows.
fn shown_rows<E: EntityTrait>(entity: E, alias: &str) -> SelectStatement {
    let alias = Alias::new(alias);
    Query::select()
        .expr(Expr::val(1))
        .from_as(entity, alias.clone())
        .and_where(
            Expr::col((alias.clone(), Alias::new("policy_id")))
                .equals((policy::Entity, policy::Column::Id)),
        )
        .and_where(
            Expr::col((alias, Alias::new("version")))
                .equals((policy::Entity, policy::Column::CurrentVersion)),
        )
        .to_owned()
}

/// Issuer rows naming `department`: of the version shown, or of any version.
pub(super) fn issued_by(department: &DepartmentCode, shown_version_only: bool) -> SelectStatement {
    let mut query = if shown_version_only {
        shown_rows(policy_issuer::Entity, "i")
    } else {
        Query::select()
            .expr(Expr::val(1))
            .from_as(policy_issuer::Entity, Alias::new("i"))
            .and_where(
                Expr::col((Alias::new("i"), policy_issuer::Column::PolicyId))
                    .equals((policy::Entity, policy::Column::Id)),
            )
            .to_owned()
    };
    query.and_where(
        Expr::col((Alias::new("i"), policy_issuer::Column::DepartmentCode)).eq(department.as_str()),
    );
    query
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
