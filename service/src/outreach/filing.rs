//! `applicablePolicies`: the policies that apply to this firm and this declaration, evaluated on
//! the live snapshot, each presentation recorded with its decision.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use super::deliveries::{NewFiling, Recorded, Shown};
use super::recorder::Presentations;
use super::service::OutreachService;
use super::{Channel, Response};
use crate::auth::Viewer;
use crate::eligibility::service::firm_not_synced;
use crate::eligibility::{DeclarationFacts, Facts, FirmFacts, Reason, stored_firm_facts};
use crate::entity::{acknowledgement, firm, policy_firm_funnel as funnel};
use crate::error::{AppError, AppResult};
use crate::firm::access::{self, Purpose};
use crate::firm::{Uscc, service as firms};
use crate::lang::Lang;
use crate::policy::live::LivePolicy;
use crate::state::Base;

/// A policy presented to a firm.
pub struct Presented {
    pub policy: Arc<LivePolicy>,
    pub certain: bool,
    pub is_new: bool,
    pub reasons: Vec<Reason>,
    pub delivery: Option<Recorded>,
    pub acknowledgement: Option<acknowledgement::Model>,
}

/// Who files, for which firm, on which channel.
pub struct Filer {
    pub channel: Channel,
    pub broker: Option<Uscc>,
}

/// FIRM: its own declarations (channel SINGLE_WINDOW); BROKER: those of firms that entrusted it
/// (BROKER); SYSTEM: any (SINGLE_WINDOW unless it names the channel).
pub async fn authorize(
    base: &Base,
    viewer: &Viewer,
    firm: &Uscc,
    channel: Option<Channel>,
) -> AppResult<Filer> {
    if matches!(viewer, Viewer::Department { .. } | Viewer::Admin { .. }) {
        return Err(AppError::Forbidden);
    }
    access::authorize(&base.db, viewer, firm, Purpose::ActFor).await?;
    if channel.is_some() && !matches!(viewer, Viewer::System { .. }) {
        return Err(AppError::field("channel", "only SYSTEM names the channel"));
    }
    Ok(match viewer {
        Viewer::Broker { uscc, .. } => Filer {
            channel: Channel::Broker,
            broker: Some(uscc.clone()),
        },
        Viewer::System { .. } => Filer {
            channel: channel.unwrap_or(Channel::SingleWindow),
            broker: None,
        },
        _ => Filer {
            channel: Channel::SingleWindow,
            broker: None,
        },
    })
}

/// The firm's stored profile as rule facts, or `NOT_FOUND` telling the single window to sync it.
pub async fn firm_facts(base: &Base, uscc: &Uscc) -> AppResult<(firm::Model, FirmFacts)> {
    let model = firms::find(&base.db, uscc)
        .await?
        .ok_or_else(|| firm_not_synced(uscc))?;
    let facts = stored_firm_facts(&model, &base.regions)
        .ok_or_else(|| AppError::internal_msg(format!("firm {uscc} has an unknown region")))?;
    Ok((model, facts))
}

/// Evaluates every published policy in effect today, records a delivery per match and returns
/// the matches in the order of DESIGN §7, with their reasons worded in `explain_in` (none when
/// the caller did not ask for them).
pub async fn applicable(
    app: &OutreachService,
    viewer: &Viewer,
    filer: Filer,
    firm: (firm::Model, FirmFacts),
    declaration: DeclarationFacts,
    include_dismissed: bool,
    explain_in: Option<Lang>,
) -> AppResult<Vec<Presented>> {
    let (model, facts) = firm;
    let now = app.base.now();
    let today = app.base.today();
    let snapshot = app.live.snapshot();
    let input = Facts {
        firm: &facts,
        declaration: Some(&declaration),
    };
    let mut matches: Vec<(Arc<LivePolicy>, usize)> = snapshot
        .matching(input, today)
        .map(|p| (p.clone(), p.rule.matched_conditions(input)))
        .collect();

    let funnels = funnel_rows(&app.base, &model.uscc).await?;
    if !include_dismissed {
        matches.retain(|(p, _)| !is_closed(&funnels, p));
    }
    matches.sort_by(|(a, a_matched), (b, b_matched)| {
        let deadline = |p: &LivePolicy| p.view.version.apply_deadline;
        // Soonest deadline first, none last; then more conditions met; then most recently published.
        (deadline(a).is_none(), deadline(a))
            .cmp(&(deadline(b).is_none(), deadline(b)))
            .then(b_matched.cmp(a_matched))
            .then(
                b.view
                    .version
                    .published_at
                    .cmp(&a.view.version.published_at),
            )
    });

    let filing = NewFiling {
        firm_uscc: model.uscc.clone(),
        channel: filer.channel,
        declaration_id: declaration.id.clone().unwrap_or_default(),
        actor_role: viewer.role(),
        actor_subject: viewer.subject().map(str::to_owned),
        broker_uscc: filer.broker.as_ref().map(ToString::to_string),
        note: None,
        decided: Some((today, json!({"firm": facts, "declaration": declaration}))),
        presented: matches
            .iter()
            .map(|(p, matched)| Shown {
                policy_id: p.view.policy.id,
                version: p.view.version.version,
                matched: i32::try_from(*matched).ok(),
            })
            .collect(),
    };
    let recorded = if filing.presented.is_empty() {
        Vec::new()
    } else {
        app.recorder.submit(Presentations(filing)).await?
    };
    app.activity.filed(&model.uscc, model.last_filed_at, now);

    let acknowledgements = latest_acknowledgements(
        &app.base,
        &funnels,
        matches.iter().map(|(p, _)| p.view.policy.id),
    )
    .await?;
    // The recorder answers with one delivery per presented policy, in the order presented.
    let mut recorded = recorded.into_iter();
    let presented = matches
        .into_iter()
        .map(|(policy, _)| {
            let id = policy.view.policy.id;
            let live = policy.view.version.version;
            Presented {
                certain: true,
                is_new: !has_seen(&funnels, id, live),
                reasons: explain_in
                    .map(|lang| policy.rule.explain(input, &app.base.regions, lang.into()))
                    .unwrap_or_default(),
                delivery: recorded.next(),
                acknowledgement: acknowledgements.get(&id).cloned(),
                policy,
            }
        })
        .collect::<Vec<Presented>>();
    // Stored. Only a firm's first sight of a version can move a policy's headline figures; a
    // repeat filing, the common case, notes nothing.
    app.reach.note(
        presented
            .iter()
            .filter(|p| p.is_new)
            .map(|p| p.policy.view.policy.id),
    );
    Ok(presented)
}

/// What a filing reads of the firm's funnel row for a policy: whether it saw the live version,
/// and its latest response.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    /// The highest version delivered: live versions only grow, so this tells whether the firm
    /// has seen the current one.
    pub last_delivered_version: Option<i32>,
    pub latest_response: Option<Response>,
    pub latest_response_version: Option<i32>,
    pub latest_acknowledgement_id: Option<Uuid>,
}

/// Whether the firm's latest response to the policy's live version asked not to see it again.
pub fn is_closed(funnels: &HashMap<Uuid, Seen>, policy: &LivePolicy) -> bool {
    funnels.get(&policy.view.policy.id).is_some_and(|f| {
        f.latest_response_version == Some(policy.view.version.version)
            && f.latest_response.is_some_and(Response::closes)
    })
}

/// Whether the firm was shown version `live` (or a later one) of the policy before, on any
/// channel. Live versions only grow, so the highest version delivered tells.
pub fn has_seen(funnels: &HashMap<Uuid, Seen>, policy: Uuid, live: i32) -> bool {
    funnels
        .get(&policy)
        .and_then(|f| f.last_delivered_version)
        .is_some_and(|v| v >= live)
}

/// The firm's funnel rows, by policy: one indexed read of the columns a filing needs, whatever
/// the number of matches.
pub async fn funnel_rows(base: &Base, uscc: &str) -> AppResult<HashMap<Uuid, Seen>> {
    use funnel::Column as C;
    type Row = (
        Uuid,
        Option<i32>,
        Option<Response>,
        Option<i32>,
        Option<Uuid>,
    );
    let rows: Vec<Row> = funnel::Entity::find()
        .select_only()
        .columns([
            C::PolicyId,
            C::LastDeliveredVersion,
            C::LatestResponse,
            C::LatestResponseVersion,
            C::LatestAcknowledgementId,
        ])
        .filter(C::FirmUscc.eq(uscc))
        .into_tuple()
        .all(&base.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(policy, delivered, response, response_version, acknowledgement)| {
                let seen = Seen {
                    last_delivered_version: delivered,
                    latest_response: response,
                    latest_response_version: response_version,
                    latest_acknowledgement_id: acknowledgement,
                };
                (policy, seen)
            },
        )
        .collect())
}

/// The firm's latest acknowledgement of each of `policies`, by policy.
pub async fn latest_acknowledgements(
    base: &Base,
    funnels: &HashMap<Uuid, Seen>,
    policies: impl Iterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, acknowledgement::Model>> {
    let ids: Vec<Uuid> = policies
        .filter_map(|p| funnels.get(&p)?.latest_acknowledgement_id)
        .collect();
    let mut found = HashMap::new();
    for chunk in crate::db::in_pieces(&ids, crate::db::KEYS_PER_LIST) {
        let rows = acknowledgement::Entity::find()
            .filter(acknowledgement::Column::Id.is_in(chunk.to_vec()))
            .all(&base.db)
            .await?;
        found.extend(rows.into_iter().map(|a| (a.policy_id, a)));
    }
    Ok(found)
}
