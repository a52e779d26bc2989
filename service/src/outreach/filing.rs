//! `applicablePolicies`: the policies that apply to this firm and this declaration, evaluated on
//! the live snapshot, each presentation recorded with its decision.

use std::sync::Arc;

use super::Channel;
use super::deliveries::Recorded;
use super::recorder::Filing;
use super::service::OutreachService;
use crate::auth::Viewer;
use crate::eligibility::service::firm_not_synced;
use crate::eligibility::{DeclarationFacts, Facts, FirmFacts, Reason, synced_firm_facts};
use crate::entity::{acknowledgement, firm};
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
    let facts = synced_firm_facts(&model, &base.regions)?;
    Ok((model, facts))
}

/// Evaluates every published policy in effect today, records a delivery per match and returns
/// the matches in the order of DESIGN §7, with their reasons worded in `explain_in` (none when
/// the caller did not ask for them). The firm is read, evaluated and recorded in the writer's
/// transaction; `NOT_FOUND` when it was never synced.
pub async fn applicable(
    app: &OutreachService,
    viewer: &Viewer,
    filer: Filer,
    firm: &Uscc,
    declaration: DeclarationFacts,
    include_dismissed: bool,
    explain_in: Option<Lang>,
) -> AppResult<Vec<Presented>> {
    let now = app.base.now();
    // Only the reasons read the declaration again.
    let explained = explain_in.map(|lang| (lang, declaration.clone()));
    let filed = app
        .recorder
        .submit(Filing {
            firm: firm.to_string(),
            declaration,
            channel: filer.channel,
            broker_uscc: filer.broker.as_ref().map(ToString::to_string),
            actor_role: viewer.role(),
            actor_subject: viewer.subject().map(str::to_owned),
            include_dismissed,
            snapshot: app.live.snapshot(),
            today: app.base.today(),
        })
        .await?;
    app.activity
        .filed(&filed.firm.uscc, filed.firm.last_filed_at, now);
    let facts = &filed.facts;
    let presented: Vec<Presented> = filed
        .presented
        .into_iter()
        .map(|made| Presented {
            certain: true,
            is_new: made.is_new,
            reasons: explained
                .as_ref()
                .map(|(lang, declaration)| {
                    let input = Facts {
                        firm: facts,
                        declaration: Some(declaration),
                    };
                    made.policy
                        .rule
                        .explain(input, &app.base.regions, (*lang).into())
                })
                .unwrap_or_default(),
            delivery: Some(made.delivery),
            acknowledgement: made.acknowledgement,
            policy: made.policy,
        })
        .collect();
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
