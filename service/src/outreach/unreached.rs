//! Who is still in the dark: eligible firms not reached (or reached but silent), the brokers that
//! could reach them, and the audience of a rule before it is published.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::db::read_count;
use crate::entity::{firm, firm_broker, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::stored_enum::stored_enum;

stored_enum! {
    /// Where an eligible firm is stuck.
    pub enum FunnelStage {
        /// Never shown the policy, on any channel.
        NotReached = "NOT_REACHED",
        /// Shown it, but never answered.
        NotAcknowledged = "NOT_ACKNOWLEDGED",
    }
}

/// The condition on a `firm` row for being stuck at `stage` of `policy`.
pub fn stuck_at(policy: Uuid, stage: FunnelStage) -> Expr {
    let mut rows = Query::select();
    rows.expr(Expr::val(1))
        .from(funnel::Entity)
        .and_where(Expr::col((funnel::Entity, funnel::Column::PolicyId)).eq(policy))
        .and_where(
            Expr::col((funnel::Entity, funnel::Column::FirmUscc))
                .equals((firm::Entity, firm::Column::Uscc)),
        )
        .and_where(Expr::col((funnel::Entity, funnel::Column::FirstDeliveredAt)).is_not_null());
    match stage {
        FunnelStage::NotReached => Expr::exists(rows).not(),
        FunnelStage::NotAcknowledged => {
            rows.and_where(
                Expr::col((funnel::Entity, funnel::Column::FirstAcknowledgedAt)).is_null(),
            );
            Expr::exists(rows)
        }
    }
}

/// One page of eligible firms stuck at a stage, by USCC after `after`, and how many there are.
pub async fn page(
    db: &DatabaseConnection,
    condition: Expr,
    after: Option<&str>,
    limit: u64,
) -> AppResult<(Vec<firm::Model>, u64)> {
    let mut counting = Query::select();
    counting
        .expr(Expr::cust("COUNT(*)"))
        .from(firm::Entity)
        .and_where(condition.clone());
    let total = db
        .query_one(&counting)
        .await?
        .and_then(|row| row.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0);
    let mut query = firm::Entity::find().filter(condition);
    if let Some(after) = after {
        query = query.filter(firm::Column::Uscc.gt(after));
    }
    let rows = sea_orm::QuerySelect::limit(query.order_by_asc(firm::Column::Uscc), limit)
        .all(db)
        .await?;
    Ok((rows, u64::try_from(total).unwrap_or(0)))
}

/// The brokers of each firm, in two queries for the whole list.
pub async fn brokers_of_all(
    db: &DatabaseConnection,
    usccs: &[String],
) -> AppResult<HashMap<String, Vec<firm::Model>>> {
    let links = firm_broker::Entity::find()
        .filter(firm_broker::Column::FirmUscc.is_in(usccs.iter().map(String::as_str)))
        .all(db)
        .await?;
    let brokers: HashMap<String, firm::Model> = firm::Entity::find()
        .filter(firm::Column::Uscc.is_in(links.iter().map(|l| l.broker_uscc.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.uscc.clone(), b))
        .collect();
    let mut by_firm: HashMap<String, Vec<firm::Model>> = HashMap::new();
    for link in links {
        if let Some(broker) = brokers.get(&link.broker_uscc) {
            by_firm
                .entry(link.firm_uscc)
                .or_default()
                .push(broker.clone());
        }
    }
    Ok(by_firm)
}

/// A broker and the eligible firms that entrusted it.
pub struct Leverage {
    pub broker: firm::Model,
    pub unreached_clients: i64,
    pub clients: i64,
}

/// Brokers ranked by how many eligible firms that entrusted them were never reached.
pub async fn broker_leverage(
    db: &DatabaseConnection,
    audience: Expr,
    policy: Uuid,
    limit: u64,
) -> AppResult<Vec<Leverage>> {
    let unreached = Expr::case(stuck_at(policy, FunnelStage::NotReached), 1).finally(0);
    let mut query = Query::select();
    query
        .column((firm_broker::Entity, firm_broker::Column::BrokerUscc))
        .expr_as(Func::sum(unreached), Alias::new("unreached"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("clients"))
        .from(firm_broker::Entity)
        .inner_join(
            firm::Entity,
            Expr::col((firm::Entity, firm::Column::Uscc))
                .equals((firm_broker::Entity, firm_broker::Column::FirmUscc)),
        )
        .and_where(audience)
        .group_by_col((firm_broker::Entity, firm_broker::Column::BrokerUscc))
        .order_by(Alias::new("unreached"), sea_orm::sea_query::Order::Desc)
        .order_by(Alias::new("clients"), sea_orm::sea_query::Order::Desc)
        .order_by(
            (firm_broker::Entity, firm_broker::Column::BrokerUscc),
            sea_orm::sea_query::Order::Asc,
        )
        .limit(limit);
    let rows = db.query_all(&query).await?;
    let counts: Vec<(String, i64, i64)> = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get_by_index::<String>(0)?,
                read_count(row, 1)?,
                read_count(row, 2)?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let brokers: HashMap<String, firm::Model> = firm::Entity::find()
        .filter(firm::Column::Uscc.is_in(counts.iter().map(|(u, _, _)| u.as_str())))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.uscc.clone(), b))
        .collect();
    Ok(counts
        .into_iter()
        .filter_map(|(uscc, unreached_clients, clients)| {
            Some(Leverage {
                broker: brokers.get(&uscc)?.clone(),
                unreached_clients,
                clients,
            })
        })
        .collect())
}

/// The audience of a rule, as `audienceEstimate` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    pub firms: i64,
    pub active_last_30_days: i64,
    pub reachable_via_broker: i64,
    /// (prefecture, firms), most firms first.
    pub by_region: Vec<(String, i64)>,
}

/// Counts a rule's audience in one pass: per prefecture, with those seen filing in the last 30
/// days and, of the rest, those with an entrusted broker.
pub async fn estimate(
    db: &DatabaseConnection,
    audience: Expr,
    now: DateTime<Utc>,
) -> AppResult<Estimate> {
    let cutoff = now - TimeDelta::days(30);
    let active = Expr::col(firm::Column::LastFiledAt).gte(cutoff);
    let inactive_with_broker = Expr::col(firm::Column::LastFiledAt)
        .is_null()
        .or(Expr::col(firm::Column::LastFiledAt).lt(cutoff))
        .and(Expr::col(firm::Column::BrokerCount).gt(0));
    let prefecture = Func::coalesce([
        Expr::col(firm::Column::PrefectureCode),
        Expr::col(firm::Column::ProvinceCode),
    ]);
    let mut query = Query::select();
    query
        .expr_as(prefecture, Alias::new("prefecture"))
        .expr(Expr::cust("COUNT(*)"))
        .expr(Func::sum(Expr::case(active, 1).finally(0)))
        .expr(Func::sum(Expr::case(inactive_with_broker, 1).finally(0)))
        .from(firm::Entity)
        .and_where(audience)
        .group_by_col(Alias::new("prefecture"));
    let mut estimate = Estimate::default();
    for row in db.query_all(&query).await? {
        let region: String = row.try_get_by_index(0)?;
        let firms = read_count(&row, 1)?;
        estimate.firms += firms;
        estimate.active_last_30_days += read_count(&row, 2)?;
        estimate.reachable_via_broker += read_count(&row, 3)?;
        estimate.by_region.push((region, firms));
    }
    estimate
        .by_region
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(estimate)
}

/// One firm of an export.
pub struct ExportRow {
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub prefecture: Option<String>,
    pub size: Option<String>,
    pub customs_code: Option<String>,
}

/// The next `limit` firms meeting `condition` after USCC `after`: an export is read a page at a
/// time, keyset by USCC, so memory stays bounded however many firms there are.
pub async fn export_page(
    db: &DatabaseConnection,
    condition: Expr,
    after: Option<&str>,
    limit: u64,
) -> AppResult<Vec<ExportRow>> {
    let mut query = Query::select();
    query
        .columns([
            firm::Column::Uscc,
            firm::Column::Name,
            firm::Column::RegionCode,
            firm::Column::PrefectureCode,
            firm::Column::Size,
            firm::Column::CustomsCode,
        ])
        .from(firm::Entity)
        .and_where(condition)
        .order_by(firm::Column::Uscc, sea_orm::sea_query::Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        query.and_where(Expr::col(firm::Column::Uscc).gt(after));
    }
    let rows = db.query_all(&query).await?;
    Ok(rows
        .iter()
        .map(|row| {
            Ok(ExportRow {
                uscc: row.try_get_by_index(0)?,
                name: row.try_get_by_index(1)?,
                region: row.try_get_by_index(2)?,
                prefecture: row.try_get_by_index(3)?,
                size: row.try_get_by_index(4)?,
                customs_code: row.try_get_by_index(5)?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()?)
}
