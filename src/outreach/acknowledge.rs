//! `acknowledgePolicy`: a firm's (or its broker's) response to a policy, idempotent by key.

use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TryInsertResult,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::funnel;
use super::{Channel, Response};
use crate::auth::{Role, Viewer};
use crate::db::begin_write;
use crate::eligibility::DeclarationId;
use crate::eligibility::service::firm_not_synced;
use crate::entity::{acknowledgement, policy};
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::access::{self, Purpose};
use crate::firm::{Uscc, service as firms};
use crate::graphql::AppState;
use crate::policy::PolicyStatus;

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
    viewer.require(&[Role::Firm, Role::Broker, Role::System])?;
    let mut errors = InputErrors::default();
    let key = errors.check(
        "input.idempotencyKey",
        IdempotencyKey::parse(&args.idempotency_key),
    );
    if let Some(comment) = &args.comment
        && let Err(problem) = crate::validate::free_text(comment, MAX_COMMENT, false)
    {
        errors.push("input.comment", problem);
    }
    let declaration_id = args
        .declaration_id
        .as_deref()
        .and_then(|id| errors.check("input.declarationId", DeclarationId::parse(id)));
    let named = args
        .firm_uscc
        .as_deref()
        .and_then(|u| errors.check("input.firmUscc", Uscc::parse(u)));
    if args.channel.is_some() && !matches!(viewer, Viewer::System { .. }) {
        errors.push("input.channel", "only SYSTEM names the channel");
    }
    let firm = match (viewer, named) {
        (Viewer::Firm { uscc, .. }, None) => Some(uscc.clone()),
        (Viewer::Firm { .. }, named) => named,
        (_, named) => {
            if args.firm_uscc.is_none() {
                errors.push("input.firmUscc", "required when acknowledging for a firm");
            }
            named
        }
    };
    if let Some(firm) = &firm {
        access::authorize(&app.db, viewer, firm, Purpose::ActFor).await?;
    }
    errors.into_result(())?;
    let (Some(firm), Some(key)) = (firm, key) else {
        return Err(AppError::internal_msg(
            "validated acknowledgement lost a field",
        ));
    };
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
        declaration_id: declaration_id.map(DeclarationId::into_string),
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
    if policy.status != PolicyStatus::Published {
        return Err(AppError::Conflict(format!(
            "policy {} is retired; it takes no more responses",
            policy.code
        )));
    }
    let version = policy.live_version.unwrap_or(policy.current_version);
    if firms::find(&app.db, &request.firm).await?.is_none() {
        return Err(firm_not_synced(&request.firm));
    }
    let txn = begin_write(&app.db).await?;
    // Stamped once the write lock is held, so later acknowledgements carry later times.
    let now = app.clock.now_micros();
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
    if record(&txn, &row, by_firm, app.settings.time_zone).await? {
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
    zone: Tz,
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
    let prefecture = firms::hold_prefectures(txn, &[row.firm_uscc.as_str()])
        .await?
        .remove(&row.firm_uscc)
        .unwrap_or_default();
    funnel::answered(
        txn,
        row,
        prefecture,
        by_firm,
        row.created_at.with_timezone(&zone).date_naive(),
    )
    .await?;
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
