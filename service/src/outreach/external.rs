//! `recordDeliveries`: presentations made outside the single window — an SMS campaign, a WeChat
//! post, paper at the customs counter, a broker relaying the notice, an email.

use std::collections::HashSet;

use uuid::Uuid;

use super::Channel;
use super::deliveries::{self, NewFiling, Shown};
use super::service::OutreachService;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::{Uscc, service as firm_service};
use crate::policy::catalog;
use crate::text::Text;

/// Most firms one call may name.
pub const MAX_FIRMS: usize = 10_000;

/// What a department notes about a campaign, kept on each delivery it records.
pub type Note = Text<500>;

/// What a call recorded.
pub struct ExternalOutcome {
    pub recorded: usize,
    pub already_recorded: usize,
    pub unknown_firms: Vec<String>,
}

/// Records one delivery per known firm on an external channel, for the live version.
pub async fn record_external(
    app: &OutreachService,
    viewer: &Viewer,
    policy_id: Uuid,
    channel: Channel,
    firm_usccs: Vec<String>,
    note: Option<String>,
) -> AppResult<ExternalOutcome> {
    let mut errors = InputErrors::default();
    if channel == Channel::SingleWindow {
        errors.push("input.channel", "SINGLE_WINDOW deliveries are recorded by applicablePolicies; name the external channel");
    }
    if firm_usccs.is_empty() || firm_usccs.len() > MAX_FIRMS {
        errors.push(
            "input.firmUsccs",
            format!("give 1 to {MAX_FIRMS} firms, got {}", firm_usccs.len()),
        );
    }
    let note = errors
        .check_optional("input.note", Note::parse_optional(note.as_deref()))
        .map(String::from);
    let mut firms: Vec<Uscc> = Vec::with_capacity(firm_usccs.len());
    let mut seen = HashSet::new();
    for (i, text) in firm_usccs.iter().enumerate().take(MAX_FIRMS) {
        if let Some(uscc) = errors.check(format!("input.firmUsccs[{i}]"), Uscc::parse(text))
            && seen.insert(uscc.clone())
        {
            firms.push(uscc);
        }
    }
    errors.into_result(())?;

    let base = &app.base;
    let Some(view) = catalog::get(&base.db, &base.regions, viewer, policy_id, None).await? else {
        return Err(AppError::NotFound(format!("no policy {policy_id}")));
    };
    let allowed = match viewer {
        Viewer::System { .. } | Viewer::Admin { .. } => true,
        Viewer::Department { .. } => view.is_managed_by(viewer),
        _ => false,
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let Some(live) = view
        .policy
        .live_version
        .filter(|_| view.policy.status == crate::policy::PolicyStatus::Published)
    else {
        return Err(AppError::Conflict(format!(
            "policy {} is not published; publish it before recording deliveries",
            view.policy.code
        )));
    };

    let codes: Vec<&str> = firms.iter().map(Uscc::as_str).collect();
    let known = firm_service::prefectures_of(&base.db, &codes).await?;
    let (known_firms, unknown): (Vec<Uscc>, Vec<Uscc>) = firms
        .into_iter()
        .partition(|f| known.contains_key(f.as_str()));
    let filings: Vec<NewFiling> = known_firms
        .iter()
        .map(|uscc| NewFiling {
            firm_uscc: uscc.to_string(),
            channel,
            declaration_id: String::new(),
            actor_role: viewer.role(),
            actor_subject: viewer.subject().map(str::to_owned),
            broker_uscc: None,
            note: note.clone(),
            decided: None,
            presented: vec![Shown {
                policy_id,
                version: live,
                matched: None,
            }],
        })
        .collect();
    let now = base.now();
    let recorded = deliveries::save(&base.db, &filings, now, base.zone, &app.rules).await?;
    let (new, total) = recorded.iter().flatten().fold((0, 0), |(new, total), r| {
        (new + usize::from(r.is_new), total + 1)
    });
    // Stored: new deliveries may have moved the policy's figures.
    if new > 0 {
        app.reach.note([policy_id]);
    }
    Ok(ExternalOutcome {
        recorded: new,
        already_recorded: total - new,
        unknown_firms: unknown.into_iter().map(Uscc::into_string).collect(),
    })
}
