//! `acknowledgePolicy`: a firm's (or its broker's) response to a policy, idempotent by key.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::funnel;
use super::group_commit::{GroupCommit, Job, Sink};
use super::{Channel, Response};
use crate::auth::{Role, Viewer};
use crate::clock::Clock;
use crate::db::{self, begin_write};
use crate::eligibility::DeclarationId;
use crate::eligibility::service::firm_not_synced;
use crate::entity::{acknowledgement, policy};
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::access::{self, Purpose};
use crate::firm::{Uscc, service as firms};
use crate::graphql::AppState;
use crate::policy::PolicyStatus;
use crate::text::Text;

/// What a firm says it still needs, with its response.
pub type Comment = Text<2_000>;

/// A validated acknowledgement request.
pub struct AckRequest {
    pub policy_id: Uuid,
    pub firm: Uscc,
    pub response: Response,
    pub comment: Option<Comment>,
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
    let comment = errors.check_optional(
        "input.comment",
        Comment::parse_optional(args.comment.as_deref()),
    );
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
        comment,
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
    let live = app
        .live
        .snapshot()
        .get(request.policy_id)
        .map(|p| p.view.version.version);
    let version = match live {
        Some(version) => version,
        // Not live here: a retry of an answer to a policy retired since, an unknown or retired
        // policy, or one this instance has not seen published yet.
        None => {
            if let Some(existing) =
                find_by_key(&app.db, viewer.role(), &subject, &request.key.0).await?
            {
                return replay(existing, &fingerprint);
            }
            stored_live_version(app, request.policy_id).await?
        }
    };
    let by_firm = match viewer {
        Viewer::Firm { .. } => true,
        Viewer::System { .. } => request.channel != Channel::Broker,
        _ => false,
    };
    let row = acknowledgement::Model {
        id: Uuid::now_v7(),
        policy_id: request.policy_id,
        policy_version: version,
        firm_uscc: request.firm.to_string(),
        response: request.response,
        channel: request.channel,
        actor_role: viewer.role(),
        actor_subject: subject,
        actor_uscc: viewer.uscc().map(ToString::to_string),
        comment: request.comment.map(String::from),
        declaration_id: request.declaration_id,
        idempotency_key: request.key.0,
        request_fingerprint: fingerprint,
        // Stamped by the writer, so later acknowledgements carry later times.
        created_at: app.clock.now_micros(),
    };
    app.answers.submit(Pending { row, by_firm }).await
}

/// The live version of a policy the snapshot does not hold: `NOT_FOUND` when it was never
/// published, `CONFLICT` when it was retired.
async fn stored_live_version(app: &AppState, id: Uuid) -> AppResult<i32> {
    let Some(policy) = policy::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .filter(|p| p.live_version.is_some())
    else {
        return Err(AppError::NotFound(format!("no policy {id}")));
    };
    if policy.status != PolicyStatus::Published {
        return Err(AppError::Conflict(format!(
            "policy {} is retired; it takes no more responses",
            policy.code
        )));
    }
    Ok(policy.live_version.unwrap_or(policy.current_version))
}

/// An acknowledgement waiting to be written. `by_firm`: the firm answered itself, not through its
/// broker.
pub struct Pending {
    pub row: acknowledgement::Model,
    pub by_firm: bool,
}

impl Job for Pending {
    type Answer = acknowledgement::Model;

    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        std::iter::once((self.row.policy_id, self.row.firm_uscc.as_str()))
    }

    fn rows(&self) -> usize {
        1
    }
}

/// Where acknowledgements are sent to be written.
pub type Answers = GroupCommit<Pending>;

/// Starts the writer of acknowledgements: one, since a batch of them is light and a second
/// writer only halves the batches (measured on PostgreSQL: 2,194 a second with one writer,
/// 1,480 to 1,644 with two).
pub fn start(db: DatabaseConnection, clock: Arc<dyn Clock>, zone: Tz) -> Answers {
    GroupCommit::start(Acknowledgements { db, zone }, clock, 1)
}

struct Acknowledgements {
    db: DatabaseConnection,
    zone: Tz,
}

impl Sink for Acknowledgements {
    type Job = Pending;

    async fn write(
        &self,
        jobs: &[Pending],
        now: DateTime<Utc>,
    ) -> AppResult<Vec<AppResult<acknowledgement::Model>>> {
        let stamped: Vec<Pending> = jobs
            .iter()
            .map(|job| Pending {
                row: acknowledgement::Model {
                    created_at: now,
                    ..job.row.clone()
                },
                by_firm: job.by_firm,
            })
            .collect();
        let txn = begin_write(&self.db).await?;
        let answers = record_all(&txn, &stamped, self.zone).await?;
        txn.commit().await?;
        Ok(answers)
    }
}

/// Records acknowledgements (each (policy, firm) pair once) and counts them in the funnel. Each
/// is answered with its stored row, the row stored before under its key, or why it was refused.
pub async fn record_all(
    txn: &DatabaseTransaction,
    pending: &[Pending],
    zone: Tz,
) -> AppResult<Vec<AppResult<acknowledgement::Model>>> {
    let usccs: Vec<&str> = pending.iter().map(|p| p.row.firm_uscc.as_str()).collect();
    let prefectures = firms::hold_prefectures(txn, &usccs).await?;
    let known: Vec<&Pending> = pending
        .iter()
        .filter(|p| prefectures.contains_key(&p.row.firm_uscc))
        .collect();
    let inserted = insert_new(txn, &known).await?;
    let counted: Vec<funnel::Answered<'_>> = known
        .iter()
        .filter(|p| inserted.contains(&p.row.id))
        .map(|p| funnel::Answered {
            row: &p.row,
            prefecture: prefectures
                .get(&p.row.firm_uscc)
                .cloned()
                .unwrap_or_default(),
            by_firm: p.by_firm,
        })
        .collect();
    funnel::answered(txn, &counted, zone).await?;
    let mut answers = Vec::with_capacity(pending.len());
    for p in pending {
        let row = &p.row;
        answers.push(if !prefectures.contains_key(&row.firm_uscc) {
            Err(firm_not_synced(&row.firm_uscc))
        } else if inserted.contains(&row.id) {
            Ok(row.clone())
        } else {
            // Another request with this key won; answer with its row.
            match find_by_key(
                txn,
                row.actor_role,
                &row.actor_subject,
                &row.idempotency_key,
            )
            .await?
            {
                Some(existing) => replay(existing, &row.request_fingerprint),
                None => Err(AppError::internal_msg(
                    "idempotency key conflicted but no row holds it",
                )),
            }
        });
    }
    Ok(answers)
}

/// Inserts the acknowledgements whose idempotency keys are free; returns the ids inserted.
async fn insert_new(txn: &DatabaseTransaction, pending: &[&Pending]) -> AppResult<HashSet<Uuid>> {
    use acknowledgement::Column as A;
    let models = pending
        .iter()
        .map(|p| acknowledgement::ActiveModel::from(p.row.clone()))
        .collect();
    db::insert_models(txn, models, |insert| {
        insert
            .on_conflict(
                OnConflict::columns([A::ActorRole, A::ActorSubject, A::IdempotencyKey])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(A::Id);
    })
    .await?
    .iter()
    .map(|row| row.try_get::<Uuid>("", "id").map_err(Into::into))
    .collect()
}

/// Inserts one acknowledgement and counts it; false when its idempotency key is already taken
/// (nothing written). `by_firm`: the firm answered itself, not through its broker.
pub async fn record(
    txn: &DatabaseTransaction,
    row: &acknowledgement::Model,
    by_firm: bool,
    zone: Tz,
) -> AppResult<bool> {
    let pending = [Pending {
        row: row.clone(),
        by_firm,
    }];
    match record_all(txn, &pending, zone).await?.pop() {
        Some(Ok(stored)) => Ok(stored.id == row.id),
        Some(Err(AppError::Conflict(_))) => Ok(false),
        Some(Err(err)) => Err(err),
        None => Err(AppError::internal_msg("an acknowledgement gave no answer")),
    }
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
    role: Role,
    subject: &str,
    key: &str,
) -> AppResult<Option<acknowledgement::Model>> {
    Ok(acknowledgement::Entity::find()
        .filter(acknowledgement::Column::ActorRole.eq(role))
        .filter(acknowledgement::Column::ActorSubject.eq(subject))
        .filter(acknowledgement::Column::IdempotencyKey.eq(key))
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
    db: &DatabaseConnection,
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
