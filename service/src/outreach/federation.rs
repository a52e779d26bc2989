//! Federation: the single window's `Declaration`, owned by its own subgraph, gains
//! `applicablePolicies`. The gateway hands over the declaration's fields the filing needs
//! (`@requires`), and the filing runs exactly as a direct `applicablePolicies` call does: the
//! same permissions, the same answer, the same deliveries recorded under the declaration's id.

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};

use super::graphql::{OutreachQuery, PolicyMatch};
use crate::eligibility::{DeclarationInput, DeclarationItemInput, Direction};

/// A customs declaration, owned by the single window's subgraph.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Declaration {
    /// The single window's declaration id.
    id: ID,
    #[graphql(external)]
    firm_uscc: String,
    #[graphql(external)]
    direction: Direction,
    #[graphql(external)]
    trade_mode: Option<String>,
    #[graphql(external)]
    country: Option<String>,
    #[graphql(external)]
    port: Option<String>,
    #[graphql(external)]
    items: Vec<DeclarationItem>,
}

/// A line of goods on a declaration, owned by the single window's subgraph.
#[derive(SimpleObject, Clone)]
pub struct DeclarationItem {
    #[graphql(external)]
    hs_code: String,
    #[graphql(external)]
    value_usd: Option<f64>,
}

#[ComplexObject]
impl Declaration {
    /// The published policies in effect that apply to this declaration's firm and goods, soonest
    /// deadline first, each presentation recorded as `applicablePolicies` records it (for the
    /// caller the gateway passes on: FIRM, BROKER or SYSTEM). Null when the filing is refused,
    /// with the refusal in `errors`: the rest of the declaration still answers.
    #[graphql(requires = "firmUscc direction tradeMode country port items { hsCode valueUsd }")]
    async fn applicable_policies(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_dismissed: bool,
    ) -> async_graphql::Result<Option<Vec<PolicyMatch>>> {
        let declaration = DeclarationInput {
            id: Some(self.id.to_string()),
            firm_uscc: self.firm_uscc.clone(),
            direction: self.direction,
            trade_mode: self.trade_mode.clone(),
            country: self.country.clone(),
            port: self.port.clone(),
            items: Some(
                self.items
                    .iter()
                    .map(|item| DeclarationItemInput {
                        hs_code: item.hs_code.clone(),
                        value_usd: item.value_usd,
                    })
                    .collect(),
            ),
            value_usd: None,
        };
        OutreachQuery
            .applicable_policies(ctx, declaration, Some(include_dismissed), None)
            .await
            .map(Some)
    }
}

/// The declarations the gateway asks this subgraph about, by `id`, with the fields
/// `applicablePolicies` requires.
#[derive(Default)]
pub struct DeclarationEntities;

#[Object]
impl DeclarationEntities {
    #[graphql(entity)]
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per field the filing requires"
    )]
    async fn find_declaration_by_id(
        &self,
        #[graphql(key)] id: ID,
        firm_uscc: String,
        direction: Direction,
        trade_mode: Option<String>,
        country: Option<String>,
        port: Option<String>,
        items: Option<Vec<DeclarationItemInput>>,
    ) -> Declaration {
        Declaration {
            id,
            firm_uscc,
            direction,
            trade_mode,
            country,
            port,
            items: items
                .unwrap_or_default()
                .into_iter()
                .map(|item| DeclarationItem {
                    hs_code: item.hs_code,
                    value_usd: item.value_usd,
                })
                .collect(),
        }
    }
}
