//! `acknowledgePolicy`: a firm's (or its broker's) response to a policy, idempotent by key.

use chrono::{DurationRound, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TryInsertResult,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Channel, Response};
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::eligibility::service::firm_not_synced;
use crate::entity::{acknowledgement, policy, policy_firm_funnel as funnel};
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::{Uscc, service as firms};
use crate::graphql::AppState;

const MAX_COMMENT: usize = 2_000;

/// A validated acknowledgement request.
pub struct AckRequest {
    pub policy_id: Uuid,
    pub firm: Uscc,
    pub response: Response,
    pub comment: Option<String>,
    pub declaration_id: Option<String>,
    pub channel: Channel,
    pub key: IdempotencyKey,
}

/// 8 to 128 visible ASCII characters, chosen by the caller to make a retry safe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, String> {
        let ok = (8..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(text.to_owned()))
        } else {
            Err("8 to 128 visible ASCII characters (a UUID is a good key)".to_owned())
        }
    }
}

/// Raw arguments of `acknowledgePolicy`.
pub struct AckArgs {
    pub policy_id: Uuid,
    pub firm_uscc: Option<String>,
    pub response: Response,
    pub comment: Option<String>,
    pub declaration_id: Option<String>,
    pub channel: Option<Channel>,
    pub idempotency_key: String,
}

/// Validates the arguments against who is asking (DESIGN §4, §5).
pub async fn validate(app: &AppState, viewer: &Viewer, args: AckArgs) -> AppResult<AckRequest> {
    let mut errors = InputErrors::default();
    let key = errors.check(
        "input.idempotencyKey",
        IdempotencyKey::parse(&args.idempotency_key),
    );
    if args
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        errors.push("input.comment", format!("at most {MAX_COMMENT} characters"));
    }
    if let Some(id) = &args.declaration_id
        && !((1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        errors.push(
            "input.declarationId",
            "1 to 64 letters, digits, hyphens or underscores",
        );
    }
    let named = args
        .firm_uscc
        .as_deref()
        .and_then(|u| errors.check("input.firmUscc", Uscc::parse(u)));
    if args.channel.is_some() && !matches!(viewer, Viewer::System { .. }) {
        errors.push("input.channel", "only SYSTEM names the channel");
    }
    let firm = match viewer {
        Viewer::Firm { uscc, .. } => match named {
            Some(named) if &named != uscc => return Err(AppError::Forbidden),
            _ => Some(uscc.clone()),
        },
        Viewer::Broker { .. } | Viewer::System { .. } => {
            if args.firm_uscc.is_none() {
                errors.push("input.firmUscc", "required when acknowledging for a firm");
            }
            named
        }
        Viewer::Anonymous => {
            return Err(AppError::Unauthenticated(
                "this operation needs a bearer token".into(),
            ));
        }
        _ => return Err(AppError::Forbidden),
    };
    errors.into_result(())?;
    let (Some(firm), Some(key)) = (firm, key) else {
        return Err(AppError::internal_msg(
            "validated acknowledgement lost a field",
        ));
    };
    if let Viewer::Broker { uscc, .. } = viewer
        && uscc != &firm
        && !firms::entrusts(&app.db, &firm, uscc).await?
    {
        return Err(AppError::Forbidden);
    }
    let channel = match viewer {
        Viewer::Broker { .. } => Channel::Broker,
        Viewer::System { .. } => args.channel.unwrap_or(Channel::SingleWindow),
        _ => Channel::SingleWindow,
    };
    Ok(AckRequest {
        policy_id: args.policy_id,
        firm,
        response: args.response,
        comment: args.comment,
        declaration_id: args.declaration_id,
        channel,
        key,
    })
}

/// Records the acknowledgement, or returns the one recorded before under the same key. Concurrent
/// requests with one key record exactly one: the unique key decides, the others read its row.
pub async fn acknowledge(
    app: &AppState,
    viewer: &Viewer,
    request: AckRequest,
) -> AppResult<acknowledgement::Model> {
    let subject = viewer.subject().unwrap_or_default().to_owned();
    let fingerprint = fingerprint(&request);
    if let Some(existing) = find_by_key(&app.db, viewer, &subject, &request.key).await? {
        return replay(existing, &fingerprint);
    }
    let Some(policy) = policy::Entity::find_by_id(request.policy_id)
        .one(&app.db)
        .await?
        .filter(|p| p.live_version.is_some())
    else {
        return Err(AppError::NotFound(format!(
            "no policy {}",
            request.policy_id
        )));
    };
    let version = policy.live_version.unwrap_or(policy.current_version);
    if firms::find(&app.db, &request.firm).await?.is_none() {
        return Err(firm_not_synced(&request.firm));
    }
    let now = Utc::now()
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or_else(|_| Utc::now());
    let row = acknowledgement::Model {
        id: Uuid::now_v7(),
        policy_id: request.policy_id,
        policy_version: version,
        firm_uscc: request.firm.to_string(),
        response: request.response,
        channel: request.channel,
        actor_role: viewer.role(),
        actor_subject: subject.clone(),
        actor_uscc: viewer.uscc().map(ToString::to_string),
        comment: request.comment.clone(),
        declaration_id: request.declaration_id.clone(),
        idempotency_key: request.key.0.clone(),
        request_fingerprint: fingerprint.clone(),
        created_at: now,
    };
    let by_firm = match viewer {
        Viewer::Firm { .. } => true,
        Viewer::System { .. } => request.channel != Channel::Broker,
        _ => false,
    };
    let txn = begin_write(&app.db).await?;
    if record(&txn, &row, by_firm).await? {
        txn.commit().await?;
        return Ok(row);
    }
    // Another request with this key won; answer with its row.
    let existing = find_by_key(&txn, viewer, &subject, &request.key).await?;
    txn.rollback().await?;
    match existing {
        Some(existing) => replay(existing, &fingerprint),
        None => Err(AppError::internal_msg(
            "idempotency key conflicted but no row holds it",
        )),
    }
}

/// Inserts an acknowledgement and updates the funnel row; false when its idempotency key is
/// already taken (nothing written). `by_firm`: the firm answered itself, not through its broker.
pub async fn record(
    txn: &DatabaseTransaction,
    row: &acknowledgement::Model,
    by_firm: bool,
) -> AppResult<bool> {
    let inserted = acknowledgement::Entity::insert(acknowledgement::ActiveModel::from(row.clone()))
        .on_conflict_do_nothing_on([
            acknowledgement::Column::ActorRole,
            acknowledgement::Column::ActorSubject,
            acknowledgement::Column::IdempotencyKey,
        ])
        .exec_without_returning(txn)
        .await?;
    if !matches!(inserted, TryInsertResult::Inserted(n) if n > 0) {
        return Ok(false);
    }
    update_funnel(txn, row, by_firm).await?;
    Ok(true)
}

fn replay(
    existing: acknowledgement::Model,
    fingerprint: &str,
) -> AppResult<acknowledgement::Model> {
    if existing.request_fingerprint == fingerprint {
        Ok(existing)
    } else {
        Err(AppError::Conflict(
            "this idempotency key was used for a different acknowledgement; use a new key"
                .to_owned(),
        ))
    }
}

async fn find_by_key(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    subject: &str,
    key: &IdempotencyKey,
) -> AppResult<Option<acknowledgement::Model>> {
    Ok(acknowledgement::Entity::find()
        .filter(acknowledgement::Column::ActorRole.eq(viewer.role()))
        .filter(acknowledgement::Column::ActorSubject.eq(subject))
        .filter(acknowledgement::Column::IdempotencyKey.eq(key.0.as_str()))
        .one(db)
        .await?)
}

/// A digest of everything the caller asked for, so a reused key with other input is told apart.
fn fingerprint(request: &AckRequest) -> String {
    let canonical = serde_json::json!([
        request.policy_id,
        request.firm.as_str(),
        request.response,
        request.comment,
        request.declaration_id,
        request.channel,
    ]);
    format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()))
}

/// The firm's funnel row: first acknowledgement, whether the firm answered itself, latest response.
async fn update_funnel(
    txn: &DatabaseTransaction,
    row: &acknowledgement::Model,
    by_firm: bool,
) -> AppResult<()> {
    use funnel::Column as C;
    let existing = |c: C| Expr::col((funnel::Entity, c));
    let incoming = |c: C| Expr::col((Alias::new("excluded"), c));
    let mut insert = Query::insert();
    insert
        .into_table(funnel::Entity)
        .columns([
            C::PolicyId,
            C::FirmUscc,
            C::Deliveries,
            C::FirstAcknowledgedAt,
            C::AcknowledgedByFirm,
            C::LatestResponse,
            C::LatestResponseVersion,
            C::LatestResponseAt,
            C::LatestAcknowledgementId,
        ])
        .values_panic([
            row.policy_id.into(),
            row.firm_uscc.clone().into(),
            0.into(),
            row.created_at.into(),
            by_firm.into(),
            row.response.as_str().into(),
            row.policy_version.into(),
            row.created_at.into(),
            row.id.into(),
        ])
        .on_conflict(
            OnConflict::columns([C::PolicyId, C::FirmUscc])
                .value(
                    C::FirstAcknowledgedAt,
                    Func::coalesce([
                        existing(C::FirstAcknowledgedAt),
                        incoming(C::FirstAcknowledgedAt),
                    ]),
                )
                .value(
                    C::AcknowledgedByFirm,
                    existing(C::AcknowledgedByFirm).or(incoming(C::AcknowledgedByFirm)),
                )
                .value(C::LatestResponse, incoming(C::LatestResponse))
                .value(C::LatestResponseVersion, incoming(C::LatestResponseVersion))
                .value(C::LatestResponseAt, incoming(C::LatestResponseAt))
                .value(
                    C::LatestAcknowledgementId,
                    incoming(C::LatestAcknowledgementId),
                )
                .to_owned(),
        );
    txn.execute(&insert).await?;
    Ok(())
}

/// A firm's acknowledgements, newest first, and how many it has in all.
pub async fn of_firm(
    db: &sea_orm::DatabaseConnection,
    uscc: &str,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<acknowledgement::Model>, u64)> {
    use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
    let query = acknowledgement::Entity::find().filter(acknowledgement::Column::FirmUscc.eq(uscc));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(acknowledgement::Column::CreatedAt)
        .order_by_desc(acknowledgement::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}
