use async_graphql::{Context, ID, Object};

use super::declaration::DeclarationInput;
use super::service::{self, EligibilityResult};
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
        Ok(result)
    }
}
