//! What a firm's funnel rows tell a filing and its inbox: whether the firm saw each policy's live
//! version, its latest response, and the reach state a new delivery advances.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::Response;
use super::funnel::ReachState;
use crate::db::{KEYS_PER_LIST, in_pieces};
use crate::entity::{acknowledgement, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::policy::live::LivePolicy;

/// What a filing reads of the firm's funnel row for a policy.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    /// Whether it was reached, on which channels, and the highest version delivered: live
    /// versions only grow, so that tells whether the firm has seen the current one.
    pub reach: ReachState,
    pub latest_response: Option<Response>,
    pub latest_response_version: Option<i32>,
    pub latest_acknowledgement_id: Option<Uuid>,
}

/// A firm's funnel rows, by policy.
pub type FirmFunnel = HashMap<Uuid, Seen>;

/// Whether the firm's latest response to the policy's live version asked not to see it again.
pub fn is_closed(funnels: &FirmFunnel, policy: &LivePolicy) -> bool {
    funnels.get(&policy.view.policy.id).is_some_and(|f| {
        f.latest_response_version == Some(policy.view.version.version)
            && f.latest_response.is_some_and(Response::closes)
    })
}

/// Whether the firm was shown version `live` (or a later one) of the policy before, on any
/// channel. Live versions only grow, so the highest version delivered tells.
pub fn has_seen(funnels: &FirmFunnel, policy: Uuid, live: i32) -> bool {
    funnels
        .get(&policy)
        .and_then(|f| f.reach.version)
        .is_some_and(|v| v >= live)
}

/// A funnel row as read here: policy, firm, first delivery, channels, newest version delivered,
/// latest response, its version and the acknowledgement that made it.
type Row = (
    Uuid,
    String,
    Option<DateTime<Utc>>,
    i32,
    Option<i32>,
    Option<Response>,
    Option<i32>,
    Option<Uuid>,
);

/// The funnel rows of `usccs`, by firm: one indexed read per [`KEYS_PER_LIST`] firms, whatever
/// the number of policies. A firm without rows has an empty entry.
pub async fn of_firms(
    db: &impl ConnectionTrait,
    usccs: &[&str],
) -> AppResult<HashMap<String, FirmFunnel>> {
    of_pairs(db, usccs, None).await
}

/// [`of_firms`], only the rows of `policies` when given.
pub async fn of_pairs(
    db: &impl ConnectionTrait,
    usccs: &[&str],
    policies: Option<&[Uuid]>,
) -> AppResult<HashMap<String, FirmFunnel>> {
    use funnel::Column as C;
    let mut found: HashMap<String, FirmFunnel> = usccs
        .iter()
        .map(|u| ((*u).to_owned(), FirmFunnel::new()))
        .collect();
    let policy_lists: Vec<Option<&[Uuid]>> = match policies {
        Some(policies) => in_pieces(policies, KEYS_PER_LIST).map(Some).collect(),
        None => vec![None],
    };
    for firms in in_pieces(usccs, KEYS_PER_LIST) {
        for policies in &policy_lists {
            let mut query = funnel::Entity::find()
                .select_only()
                .columns([
                    C::PolicyId,
                    C::FirmUscc,
                    C::FirstDeliveredAt,
                    C::DeliveredChannels,
                    C::LastDeliveredVersion,
                    C::LatestResponse,
                    C::LatestResponseVersion,
                    C::LatestAcknowledgementId,
                ])
                .filter(C::FirmUscc.is_in(firms.iter().copied()));
            if let Some(policies) = policies {
                query = query.filter(C::PolicyId.is_in(policies.iter().copied()));
            }
            let rows: Vec<Row> = query.into_tuple().all(db).await?;
            for (policy, firm, first, channels, delivered, response, version, ack) in rows {
                let seen = Seen {
                    reach: ReachState {
                        reached: first.is_some(),
                        channels,
                        version: delivered,
                    },
                    latest_response: response,
                    latest_response_version: version,
                    latest_acknowledgement_id: ack,
                };
                found.entry(firm).or_default().insert(policy, seen);
            }
        }
    }
    Ok(found)
}

/// One firm's funnel rows, by policy.
pub async fn of_firm(db: &impl ConnectionTrait, uscc: &str) -> AppResult<FirmFunnel> {
    Ok(of_firms(db, &[uscc])
        .await?
        .remove(uscc)
        .unwrap_or_default())
}

/// The acknowledgements with these ids, by id.
pub async fn acknowledgements(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, acknowledgement::Model>> {
    let mut found = HashMap::new();
    for chunk in in_pieces(ids, KEYS_PER_LIST) {
        let rows = acknowledgement::Entity::find()
            .filter(acknowledgement::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|a| (a.id, a)));
    }
    Ok(found)
}

/// The firm's latest acknowledgement of each of `policies`, by policy.
pub async fn latest_acknowledgements(
    db: &impl ConnectionTrait,
    funnels: &FirmFunnel,
    policies: impl Iterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, acknowledgement::Model>> {
    let ids: Vec<Uuid> = policies
        .filter_map(|p| funnels.get(&p)?.latest_acknowledgement_id)
        .collect();
    Ok(acknowledgements(db, &ids)
        .await?
        .into_values()
        .map(|a| (a.policy_id, a))
        .collect())
}
