//! `acknowledgePolicy`: a firm's (or its broker's) response to a policy, idempotent by key.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::answers::{Pending, find_by_key, replay};
use super::model::answered_by_firm;
use super::service::OutreachService;
use super::{Channel, Response};
use crate::auth::{Role, Viewer};
use crate::eligibility::DeclarationId;
use crate::entity::{acknowledgement, policy};
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::Uscc;
use crate::firm::access::{self, Purpose};
use crate::needs;
use crate::policy::PolicyStatus;
use crate::state::Base;
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
pub async fn validate(base: &Base, viewer: &Viewer, args: AckArgs) -> AppResult<AckRequest> {
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
        access::authorize(&base.db, viewer, firm, Purpose::ActFor).await?;
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
    app: &OutreachService,
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
                find_by_key(&app.base.db, viewer.role(), &subject, &request.key.0).await?
            {
                return replay(existing, &fingerprint);
            }
            stored_live_version(&app.base, request.policy_id).await?
        }
    };
    let by_firm = answered_by_firm(viewer.role(), request.channel);
    let comment = request.comment.map(String::from);
    let terms = comment
        .as_deref()
        .map(needs::terms::terms)
        .unwrap_or_default();
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
        terms_version: comment.as_ref().map(|_| needs::TERMS_VERSION),
        comment,
        declaration_id: request.declaration_id,
        idempotency_key: request.key.0,
        request_fingerprint: fingerprint,
        // Stamped by the writer, so later acknowledgements carry later times.
        created_at: app.base.now(),
    };
    let (new_id, policy) = (row.id, row.policy_id);
    let stored = app
        .answers
        .submit(Pending {
            row,
            by_firm,
            terms,
        })
        .await?;
    // Stored anew (not the answer a reused key found): the policy's figures may have moved.
    if stored.id == new_id {
        app.reach.note([policy]);
    }
    Ok(stored)
}

/// The live version of a policy the snapshot does not hold: `NOT_FOUND` when it was never
/// published, `CONFLICT` when it was retired.
async fn stored_live_version(base: &Base, id: Uuid) -> AppResult<i32> {
    let Some(policy) = policy::Entity::find_by_id(id)
        .one(&base.db)
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
