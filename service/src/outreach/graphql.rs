use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::acknowledge::{self, AckArgs};
use super::external;
use super::filing::{self, Presented};
use super::inbox::{self, InboxEntry};
use super::service::OutreachService;
use super::{Channel, Response};
use crate::auth::{Role, Viewer};
use crate::eligibility::{DeclarationInput, ReasonView, reason_views};
use crate::error::AppError;
use crate::firm::{Acknowledgement, Delivery};
use crate::graphql::pagination::{CountedConnection, Page};
use crate::graphql::{dep, lang, viewer};
use crate::policy::Policy;
use crate::validate;

/// A policy that applies (or may apply) to a firm, and why.
#[derive(SimpleObject)]
pub struct PolicyMatch {
    policy: Policy,
    /// False: the firm's facts qualify, the declaration's are still unknown (inbox only).
    certain: bool,
    /// This firm has never been shown this version before, on any channel.
    is_new: bool,
    /// One per condition of the rule, with the firm's actual value.
    reasons: Vec<ReasonView>,
    /// The delivery this presentation recorded.
    delivery: Option<Delivery>,
    /// The firm's latest response to this policy.
    acknowledgement: Option<Acknowledgement>,
}

impl From<Presented> for PolicyMatch {
    fn from(p: Presented) -> PolicyMatch {
        PolicyMatch {
            policy: Policy(p.policy.view.clone()),
            certain: p.certain,
            is_new: p.is_new,
            reasons: reason_views(p.reasons),
            delivery: p.delivery.as_ref().map(Delivery::recorded),
            acknowledgement: p.acknowledgement.map(Acknowledgement::from),
        }
    }
}

/// A response to record.
#[derive(InputObject)]
pub struct AcknowledgementInput {
    policy_id: ID,
    /// FIRM: defaults to its own and must match; BROKER, SYSTEM: required.
    firm_uscc: Option<String>,
    response: Response,
    /// What the firm still needs; at most 2000 characters, stored as given.
    comment: Option<String>,
    declaration_id: Option<String>,
    /// SYSTEM only; a FIRM acknowledges on SINGLE_WINDOW, a BROKER on BROKER.
    channel: Option<Channel>,
    /// 8 to 128 characters. The same key and input return the same acknowledgement and record
    /// nothing new; the same key with other input is CONFLICT.
    idempotency_key: String,
}

/// Presentations made outside the single window.
#[derive(InputObject)]
pub struct RecordDeliveriesInput {
    policy_id: ID,
    channel: Channel,
    /// At most 10000 firms.
    firm_usccs: Vec<String>,
    note: Option<String>,
}

/// What `recordDeliveries` recorded.
#[derive(SimpleObject)]
pub struct RecordDeliveriesResult {
    recorded: i32,
    already_recorded: i32,
    /// Valid codes of firms the service has not synced: nothing was recorded for them.
    unknown_firms: Vec<String>,
}

/// Filing-time reads.
#[derive(Default)]
pub struct OutreachQuery;

#[Object]
impl OutreachQuery {
    /// The published policies in effect that apply to this firm and this declaration, soonest
    /// deadline first; each presentation is recorded as a delivery. FIRM for itself, BROKER for
    /// firms that entrusted it, SYSTEM for any (on the channel it names, SINGLE_WINDOW by default).
    pub(super) async fn applicable_policies(
        &self,
        ctx: &Context<'_>,
        declaration: DeclarationInput,
        #[graphql(default_with = "Some(false)")] include_dismissed: Option<bool>,
        channel: Option<Channel>,
    ) -> async_graphql::Result<Vec<PolicyMatch>> {
        let app = outreach(ctx);
        let viewer = viewer(ctx);
        let (firm, facts) = declaration.validate("declaration")?;
        let filer = filing::authorize(&app.base, viewer, &firm, channel).await?;
        // Reasons are worded only when the caller selects them.
        let explain_in = ctx
            .look_ahead()
            .field("reasons")
            .exists()
            .then(|| lang(ctx));
        let presented = filing::applicable(
            app,
            viewer,
            filer,
            &firm,
            facts,
            include_dismissed.unwrap_or(false),
            explain_in,
        )
        .await?;
        Ok(presented.into_iter().map(PolicyMatch::from).collect())
    }

    /// A firm's inbox: every published policy in effect it qualifies for, or may once a
    /// declaration says more (`certain: false`), newest first (FIRM).
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn my_policies(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] include_dismissed: Option<bool>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CountedConnection<PolicyMatch>> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Firm])?;
        let page = Page::parse(first, after)?;
        let Viewer::Firm { uscc, .. } = viewer else {
            return Err(AppError::Forbidden.into());
        };
        let app = outreach(ctx);
        let (model, facts) = filing::firm_facts(&app.base, uscc).await?;
        let (entries, total) = inbox::inbox(
            app,
            &model.uscc,
            &facts,
            include_dismissed.unwrap_or(false),
            page.offset as usize,
            page.limit as usize,
        )
        .await?;
        let lang = lang(ctx);
        let nodes = entries
            .into_iter()
            .map(|entry| inbox_match(entry, &facts, &app.base.regions, lang))
            .collect();
        Ok(page.connection(nodes, total as u64))
    }
}

/// An inbox entry as the API shows it, its reasons worded in `lang`.
pub(super) fn inbox_match(
    entry: InboxEntry,
    facts: &crate::eligibility::FirmFacts,
    regions: &crate::region::RegionCatalog,
    lang: crate::graphql::Lang,
) -> PolicyMatch {
    let InboxEntry {
        policy,
        certain,
        is_new,
        acknowledgement,
    } = entry;
    let input = crate::eligibility::Facts {
        firm: facts,
        declaration: None,
    };
    PolicyMatch {
        reasons: reason_views(policy.rule.explain(input, regions, lang.into())),
        policy: Policy(policy.view.clone()),
        certain,
        is_new,
        delivery: None,
        acknowledgement: acknowledgement.map(Acknowledgement::from),
    }
}

/// Filing-time writes.
#[derive(Default)]
pub struct OutreachMutation;

#[Object]
impl OutreachMutation {
    /// Records a firm's response to a policy, idempotently. FIRM for itself, BROKER for firms
    /// that entrusted it, SYSTEM for any firm.
    async fn acknowledge_policy(
        &self,
        ctx: &Context<'_>,
        input: AcknowledgementInput,
    ) -> async_graphql::Result<Acknowledgement> {
        let app = outreach(ctx);
        let viewer = viewer(ctx);
        let policy_id = validate::policy_id("input.policyId", &input.policy_id)?;
        let request = acknowledge::validate(
            &app.base,
            viewer,
            AckArgs {
                policy_id,
                firm_uscc: input.firm_uscc,
                response: input.response,
                comment: input.comment,
                declaration_id: input.declaration_id,
                channel: input.channel,
                idempotency_key: input.idempotency_key,
            },
        )
        .await?;
        Ok(acknowledge::acknowledge(app, viewer, request).await?.into())
    }

    /// Records deliveries on an external channel (SMS, WeChat, paper, email, broker relay) for up
    /// to 10000 firms: departments for the policies they issued, SYSTEM and ADMIN for any.
    async fn record_deliveries(
        &self,
        ctx: &Context<'_>,
        input: RecordDeliveriesInput,
    ) -> async_graphql::Result<RecordDeliveriesResult> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Department, Role::System, Role::Admin])?;
        let policy_id = validate::policy_id("input.policyId", &input.policy_id)?;
        let outcome = external::record_external(
            outreach(ctx),
            viewer,
            policy_id,
            input.channel,
            input.firm_usccs,
            input.note,
        )
        .await?;
        Ok(RecordDeliveriesResult {
            recorded: outcome.recorded as i32,
            already_recorded: outcome.already_recorded as i32,
            unknown_firms: outcome.unknown_firms,
        })
    }
}

/// Outreach's services, as the schema was built with them.
pub(super) fn outreach<'a>(ctx: &Context<'a>) -> &'a OutreachService {
    dep::<Arc<OutreachService>>(ctx)
}
