//! `needs` and `departmentNeeds`: what firms said they still need, for the departments that
//! issued the policies.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::query::{self, After, Totals};
use super::service::{self, Readable, term_argument};
use crate::auth::Role;
use crate::entity::{acknowledgement as ack, firm};
use crate::error::AppError;
use crate::firm::service::find_all;
use crate::firm::{Firm, FirmAccess};
use crate::graphql::pagination::{TotalCount, int, page_size, resume_after};
use crate::graphql::{Date, base, viewer};
use crate::outreach::{Channel, Response};
use crate::policy::{Policy, PolicyView};
use crate::validate;

/// Needs reads.
#[derive(Default)]
pub struct NeedsQuery;

#[Object]
impl NeedsQuery {
    /// What firms said they still need about a policy, in the comments of their
    /// acknowledgements within `[from, to]` (days in the configured zone), optionally of one
    /// response. Issuing and co-issuing departments, SYSTEM, ADMIN.
    async fn needs(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        from: Option<Date>,
        to: Option<Date>,
        response: Option<Response>,
    ) -> async_graphql::Result<Needs> {
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let window = (from.map(|d| d.0), to.map(|d| d.0));
        let readable =
            service::of_policy(base(ctx), viewer(ctx), policy_id, window, response).await?;
        Ok(Needs::new(readable))
    }

    /// The same across every policy a department issued or co-issued: a DEPARTMENT its own,
    /// SYSTEM and ADMIN name one.
    async fn department_needs(
        &self,
        ctx: &Context<'_>,
        department: Option<String>,
        from: Option<Date>,
        to: Option<Date>,
        response: Option<Response>,
    ) -> async_graphql::Result<Needs> {
        let window = (from.map(|d| d.0), to.map(|d| d.0));
        let readable = service::of_department(
            base(ctx),
            viewer(ctx),
            department.as_deref(),
            window,
            response,
        )
        .await?;
        Ok(Needs::new(readable))
    }
}

/// What firms said they still need, over a set of policies and a window.
pub struct Needs {
    readable: Readable,
    totals: OnceCell<Totals>,
}

impl Needs {
    fn new(readable: Readable) -> Needs {
        Needs {
            readable,
            totals: OnceCell::new(),
        }
    }

    async fn totals(&self, ctx: &Context<'_>) -> async_graphql::Result<Totals> {
        let totals = self
            .totals
            .get_or_try_init(|| query::totals(&base(ctx).db, &self.readable.scope))
            .await?;
        Ok(*totals)
    }
}

#[Object]
impl Needs {
    /// Acknowledgements with a comment in the window.
    async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(int(self.totals(ctx).await?.comments))
    }

    /// Distinct firms that wrote one.
    async fn firms(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(int(self.totals(ctx).await?.firms))
    }

    /// Comments and the firms that wrote them, per response.
    async fn by_response(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<NeedsByResponse>> {
        let counts = query::by_response(&base(ctx).db, &self.readable.scope).await?;
        Ok(counts
            .into_iter()
            .map(|(response, totals)| NeedsByResponse {
                response,
                comments: int(totals.comments),
                firms: int(totals.firms),
            })
            .collect())
    }

    /// The terms used by the most firms, most first (1 to 100).
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn terms(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<NeedTerm>> {
        let first = page_size(first)?;
        let db = &base(ctx).db;
        let scope = &self.readable.scope;
        let top = query::top_terms(db, scope, first).await?;
        let names: Vec<String> = top.iter().map(|(term, _)| term.clone()).collect();
        let mut examples = query::examples(db, scope, &names).await?;
        let firms = self.totals(ctx).await?.firms;
        Ok(top
            .into_iter()
            .map(|(term, used_by)| NeedTerm {
                examples: examples.remove(&term).unwrap_or_default(),
                term,
                firms: int(used_by),
                share: if firms > 0 {
                    used_by as f64 / firms as f64
                } else {
                    0.0
                },
            })
            .collect())
    }

    /// The comments, newest first; with `term`, those that used it.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn entries(
        &self,
        ctx: &Context<'_>,
        term: Option<String>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<OpaqueCursor<After>, NeedEntry, TotalCount>> {
        let first = page_size(first)?;
        let term = term.map(|t| term_argument("term", &t)).transpose()?;
        let after = resume_after::<After>(after)?;
        let db = &base(ctx).db;
        let scope = &self.readable.scope;
        let total = match &term {
            // Every comment: the count `comments` answers.
            None => u64::try_from(self.totals(ctx).await?.comments).unwrap_or_default(),
            Some(term) => query::entry_count(db, scope, Some(term)).await?,
        };
        let mut rows = query::entries(db, scope, term.as_deref(), after, first + 1).await?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let usccs: Vec<String> = rows.iter().map(|r| r.firm_uscc.clone()).collect();
        let firms = find_all(db, &usccs).await?;
        let access = FirmAccess::Summary.for_viewer(viewer(ctx));
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            has_next,
            TotalCount {
                total_count: total as i64,
            },
        );
        for row in rows {
            let cursor = OpaqueCursor((row.created_at, row.id));
            let entry = NeedEntry::new(row, &self.readable.policies, &firms, access)?;
            connection.edges.push(Edge::new(cursor, entry));
        }
        Ok(connection)
    }
}

#[derive(SimpleObject)]
pub struct NeedsByResponse {
    response: Response,
    comments: i32,
    firms: i32,
}

/// A term firms used in their comments.
#[derive(SimpleObject)]
pub struct NeedTerm {
    term: String,
    /// Distinct firms whose comments used it.
    firms: i32,
    /// `firms` over the firms that wrote a comment in the window.
    share: f64,
    /// Up to three of the comments that used it, most recent first.
    examples: Vec<String>,
}

/// One comment, with who wrote it, on which policy and how.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct NeedEntry {
    /// The acknowledgement's id.
    id: ID,
    response: Response,
    comment: String,
    channel: Channel,
    actor_role: Role,
    created_at: DateTime<Utc>,
    policy_version: i32,
    declaration_id: Option<String>,
    #[graphql(skip)]
    policy: Arc<PolicyView>,
    #[graphql(skip)]
    firm: firm::Model,
    #[graphql(skip)]
    access: FirmAccess,
}

impl NeedEntry {
    fn new(
        row: ack::Model,
        policies: &HashMap<Uuid, Arc<PolicyView>>,
        firms: &HashMap<String, firm::Model>,
        access: FirmAccess,
    ) -> Result<NeedEntry, AppError> {
        let policy = policies.get(&row.policy_id).cloned().ok_or_else(|| {
            AppError::internal_msg(format!("comment on policy {} out of scope", row.policy_id))
        })?;
        let firm = firms.get(&row.firm_uscc).cloned().ok_or_else(|| {
            AppError::internal_msg(format!("commenting firm {} is gone", row.firm_uscc))
        })?;
        Ok(NeedEntry {
            id: ID(row.id.to_string()),
            response: row.response,
            comment: row.comment.unwrap_or_default(),
            channel: row.channel,
            actor_role: row.actor_role,
            created_at: row.created_at,
            policy_version: row.policy_version,
            declaration_id: row.declaration_id,
            policy,
            firm,
            access,
        })
    }
}

#[ComplexObject]
impl NeedEntry {
    /// The policy commented on, at the version shown by default.
    async fn policy(&self) -> Policy {
        Policy(self.policy.clone())
    }

    /// The firm the comment is about (who it is, for a department).
    async fn firm(&self) -> Firm {
        Firm::new(self.firm.clone(), self.access)
    }
}
