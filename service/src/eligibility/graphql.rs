//! The eligibility check over GraphQL, and the rule language's answers as GraphQL types.

use async_graphql::{Context, ID, Object};
use serde_json::Value;

use super::declaration::DeclarationInput;
use super::service::{self, Eligibility};
use crate::error::AppError;
use crate::firm::Uscc;
use crate::graphql::{base, lang, viewer};
use crate::validate;

/// Eligibility reads.
#[derive(Default)]
pub struct EligibilityQuery;

#[Object]
impl EligibilityQuery {
    /// Why a firm qualifies for a policy, or why not, condition by condition. Records no delivery.
    /// A department checks firms against the versions it published, never a draft, and each of
    /// its checks is kept in the policy's audit trail.
    async fn eligibility(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        firm_uscc: String,
        declaration: Option<DeclarationInput>,
    ) -> async_graphql::Result<EligibilityResult> {
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let firm = Uscc::parse(&firm_uscc).map_err(|e| AppError::field("firmUscc", e))?;
        let declaration = match declaration {
            Some(input) => {
                let (declared_firm, facts) = input.validate("declaration")?;
                if declared_firm != firm {
                    return Err(AppError::field(
                        "declaration.firmUscc",
                        "must be the firm asked about (firmUscc)",
                    )
                    .into());
                }
                Some(facts)
            }
            None => None,
        };
        let result = service::check(
            base(ctx),
            viewer(ctx),
            policy_id,
            &firm,
            declaration.as_ref(),
            lang(ctx),
        )
        .await?;
        Ok(result.into())
    }
}

/// The answer to "does this policy apply to this firm, and why?".
#[derive(Clone, Debug, async_graphql::SimpleObject)]
pub struct EligibilityResult {
    pub outcome: OutcomeValue,
    /// Whether the firm is registered inside the policy's regions.
    pub in_scope: bool,
    /// Whether the policy is published and today lies within its effective dates.
    pub in_effect: bool,
    /// One per condition, the region scope first.
    pub reasons: Vec<ReasonView>,
}

impl From<Eligibility> for EligibilityResult {
    fn from(answer: Eligibility) -> Self {
        EligibilityResult {
            outcome: answer.outcome.into(),
            in_scope: answer.in_scope,
            in_effect: answer.in_effect,
            reasons: reason_views(answer.reasons),
        }
    }
}

/// Three-valued truth (Kleene): a condition on a fact that is missing is UNKNOWN.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Outcome", remote = "rules::Outcome")]
pub enum OutcomeValue {
    True,
    False,
    Unknown,
}

/// A rule's [`rules::Reason`] as GraphQL answers it.
#[derive(Clone, Debug)]
pub struct ReasonView(pub rules::Reason);

/// One condition of a rule, checked against a firm and a declaration.
#[Object(name = "Reason")]
impl ReasonView {
    /// The fact looked at (`firm.exportValuePrevYearUsd`).
    async fn fact(&self) -> &str {
        &self.0.fact
    }

    async fn op(&self) -> &str {
        &self.0.op
    }

    /// The value the rule asks for.
    async fn expected(&self) -> &Value {
        &self.0.expected
    }

    /// The firm's or the declaration's value; null when unknown.
    async fn actual(&self) -> Option<&Value> {
        self.0.actual.as_ref()
    }

    async fn outcome(&self) -> OutcomeValue {
        self.0.outcome.into()
    }

    /// The condition in words: "Export value last year US$3,200,000 is below US$8,000,000".
    async fn text(&self) -> &str {
        &self.0.text
    }
}

/// The reasons of a check, as GraphQL answers them.
pub fn reason_views(reasons: Vec<rules::Reason>) -> Vec<ReasonView> {
    reasons.into_iter().map(ReasonView).collect()
}
