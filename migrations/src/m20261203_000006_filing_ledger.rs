//! The filing ledger: one row per filing (or external presentation to one firm) holding who
//! presented what, on which channel and declaration, when, the facts it was decided on once, and
//! the (policy, version, matched conditions) triples it presented for the first time. It replaces
//! the delivery table, which kept a row and a copy of the facts per presented policy. The funnel
//! loses the two columns only deliveries kept current (a count and a last time) that no figure
//! reads.
//!
//! `up` folds each filing's deliveries (same firm, channel, declaration, actor and time) into one
//! ledger row; `down` spreads every ledger row back into deliveries with their decision records.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::m20261125_000002_create_policies::Policy;
use crate::m20261125_000003_create_firms::Firm;
use crate::{foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Filing::Table)
                    .col(uuid(Filing::Id).primary_key())
                    .col(string_len(Filing::FirmUscc, 18))
                    .col(string_len(Filing::Channel, 16))
                    // '' when there was no declaration.
                    .col(string_len(Filing::DeclarationId, 64).default(""))
                    .col(string_len(Filing::ActorRole, 16))
                    .col(string_len_null(Filing::ActorSubject, 128))
                    .col(string_len_null(Filing::BrokerUscc, 18))
                    .col(string_len_null(Filing::Note, 500))
                    .col(date_null(Filing::EvaluatedOn))
                    // {"firm": …, "declaration": …}: what the presented rules were TRUE on.
                    .col(json_binary_null(Filing::Facts))
                    // [[policy id, version, conditions matched or null], …]
                    .col(json_binary(Filing::Presented))
                    .col(integer(Filing::Impressions).default(1))
                    .col(timestamp_with_time_zone(Filing::FiledAt))
                    .col(timestamp_with_time_zone(Filing::LastShownAt))
                    .foreign_key(&mut foreign_key(
                        Filing::Table,
                        Filing::FirmUscc,
                        Firm::Table,
                        Firm::Uscc,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // Repeats of a declaration are found by firm and declaration; windows by time.
        for columns in [
            &[Filing::FirmUscc, Filing::DeclarationId][..],
            &[Filing::FiledAt],
        ] {
            manager.create_index(index(Filing::Table, columns)).await?;
        }
        let db = manager.get_connection();
        if backend == DatabaseBackend::Postgres {
            // The filings that presented a policy: `presented @> '[["<policy id>"]]'`.
            db.execute_unprepared(
                "CREATE INDEX ix_filing_presented ON filing USING gin (presented jsonb_path_ops)",
            )
            .await?;
        }
        db.execute_unprepared(&fold_sql(backend)).await?;
        manager
            .drop_table(Table::drop().table(Delivery::Table).to_owned())
            .await?;
        for column in [
            PolicyFirmFunnel::Deliveries,
            PolicyFirmFunnel::LastDeliveredAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(PolicyFirmFunnel::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        create_delivery_table(manager).await?;
        let db = manager.get_connection();
        db.execute_unprepared(&spread_sql(backend)).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyFirmFunnel::Table)
                    .add_column(integer(PolicyFirmFunnel::Deliveries).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyFirmFunnel::Table)
                    .add_column(timestamp_with_time_zone_null(
                        PolicyFirmFunnel::LastDeliveredAt,
                    ))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE policy_firm_funnel SET \
             deliveries = (SELECT COUNT(*) FROM delivery d \
                 WHERE d.policy_id = policy_firm_funnel.policy_id \
                 AND d.firm_uscc = policy_firm_funnel.firm_uscc), \
             last_delivered_at = (SELECT MAX(d.last_shown_at) FROM delivery d \
                 WHERE d.policy_id = policy_firm_funnel.policy_id \
                 AND d.firm_uscc = policy_firm_funnel.firm_uscc)",
        )
        .await?;
        manager
            .drop_table(Table::drop().table(Filing::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// The delivery table as migration 4 made it.
async fn create_delivery_table(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Delivery::Table)
                .col(uuid(Delivery::Id).primary_key())
                .col(uuid(Delivery::PolicyId))
                .col(integer(Delivery::PolicyVersion))
                .col(string_len(Delivery::FirmUscc, 18))
                .col(string_len(Delivery::Channel, 16))
                .col(string_len(Delivery::DeclarationId, 64).default(""))
                .col(string_len(Delivery::ActorRole, 16))
                .col(string_len_null(Delivery::ActorSubject, 128))
                .col(string_len_null(Delivery::BrokerUscc, 18))
                .col(integer(Delivery::Impressions).default(1))
                .col(json_binary_null(Delivery::Decision))
                .col(string_len_null(Delivery::Note, 500))
                .col(timestamp_with_time_zone(Delivery::DeliveredAt))
                .col(timestamp_with_time_zone(Delivery::LastShownAt))
                .foreign_key(&mut foreign_key(
                    Delivery::Table,
                    Delivery::PolicyId,
                    Policy::Table,
                    Policy::Id,
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut foreign_key(
                    Delivery::Table,
                    Delivery::FirmUscc,
                    Firm::Table,
                    Firm::Uscc,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index(
                Delivery::Table,
                &[
                    Delivery::PolicyId,
                    Delivery::PolicyVersion,
                    Delivery::FirmUscc,
                    Delivery::Channel,
                    Delivery::DeclarationId,
                ],
            )
            .unique()
            .to_owned(),
        )
        .await?;
    for columns in [
        &[Delivery::PolicyId, Delivery::DeliveredAt][..],
        &[Delivery::PolicyId, Delivery::Channel, Delivery::FirmUscc],
        &[Delivery::FirmUscc, Delivery::PolicyId],
    ] {
        manager
            .create_index(index(Delivery::Table, columns))
            .await?;
    }
    Ok(())
}

const FILING_COLUMNS: &str = "id, firm_uscc, channel, declaration_id, actor_role, actor_subject, \
    broker_uscc, note, evaluated_on, facts, presented, impressions, filed_at, last_shown_at";

const DELIVERY_COLUMNS: &str = "id, policy_id, policy_version, firm_uscc, channel, \
    declaration_id, actor_role, actor_subject, broker_uscc, impressions, decision, note, \
    delivered_at, last_shown_at";

/// A 16-byte SQLite uuid as the hyphenated text the ledger's JSON holds.
const SQLITE_UUID_TEXT: &str = "lower(substr(hex(policy_id), 1, 8) || '-' || \
    substr(hex(policy_id), 9, 4) || '-' || substr(hex(policy_id), 13, 4) || '-' || \
    substr(hex(policy_id), 17, 4) || '-' || substr(hex(policy_id), 21, 12))";

/// One ledger row per filing: the deliveries one request made share their firm, channel,
/// declaration, actor, note, time and facts.
fn fold_sql(backend: DatabaseBackend) -> String {
    let (id, evaluated_on, facts, presented, from) = match backend {
        DatabaseBackend::Postgres => (
            "gen_random_uuid()",
            "(decision->>'evaluatedOn')::date",
            "decision->'facts'",
            "jsonb_agg(jsonb_build_array(policy_id::text, policy_version, \
                (decision->>'matchedConditions')::int) ORDER BY policy_id)"
                .to_owned(),
            "delivery",
        ),
        _ => (
            "randomblob(16)",
            "json_extract(decision, '$.evaluatedOn')",
            "json_extract(decision, '$.facts')",
            format!(
                "json_group_array(json_array({SQLITE_UUID_TEXT}, policy_version, \
                 json_extract(decision, '$.matchedConditions')))"
            ),
            // json_group_array keeps the order rows come in.
            "(SELECT * FROM delivery ORDER BY policy_id)",
        ),
    };
    format!(
        "INSERT INTO filing ({FILING_COLUMNS}) \
         SELECT {id}, firm_uscc, channel, declaration_id, actor_role, actor_subject, \
             broker_uscc, note, {evaluated_on}, {facts}, {presented}, MAX(impressions), \
             delivered_at, MAX(last_shown_at) \
         FROM {from} AS d \
         GROUP BY firm_uscc, channel, declaration_id, actor_role, actor_subject, broker_uscc, \
             note, delivered_at, {evaluated_on}, {facts}"
    )
}

/// One delivery per triple of each ledger row, its decision record rebuilt from the row's facts.
fn spread_sql(backend: DatabaseBackend) -> String {
    let (id, policy, version, matched, decision, from) = match backend {
        DatabaseBackend::Postgres => (
            "gen_random_uuid()",
            "(p->>0)::uuid",
            "(p->>1)::int",
            "(p->>2)::int",
            "jsonb_build_object",
            "filing f CROSS JOIN LATERAL jsonb_array_elements(f.presented) AS p",
        ),
        _ => (
            "randomblob(16)",
            "unhex(replace(json_extract(p.value, '$[0]'), '-', ''))",
            "json_extract(p.value, '$[1]')",
            "json_extract(p.value, '$[2]')",
            "json_object",
            "filing f, json_each(f.presented) AS p",
        ),
    };
    let facts = match backend {
        DatabaseBackend::Postgres => "f.facts",
        _ => "json(f.facts)",
    };
    format!(
        "INSERT INTO delivery ({DELIVERY_COLUMNS}) \
         SELECT {id}, {policy}, {version}, f.firm_uscc, f.channel, f.declaration_id, \
             f.actor_role, f.actor_subject, f.broker_uscc, f.impressions, \
             CASE WHEN f.facts IS NULL THEN NULL ELSE {decision}('policyVersion', {version}, \
                 'outcome', 'TRUE', 'matchedConditions', {matched}, \
                 'evaluatedOn', f.evaluated_on, 'facts', {facts}) END, \
             f.note, f.filed_at, f.last_shown_at \
         FROM {from}"
    )
}

#[derive(DeriveIden, Clone, Copy)]
enum Filing {
    Table,
    Id,
    FirmUscc,
    Channel,
    DeclarationId,
    ActorRole,
    ActorSubject,
    BrokerUscc,
    Note,
    EvaluatedOn,
    Facts,
    Presented,
    Impressions,
    FiledAt,
    LastShownAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Delivery {
    Table,
    Id,
    PolicyId,
    PolicyVersion,
    FirmUscc,
    Channel,
    DeclarationId,
    ActorRole,
    ActorSubject,
    BrokerUscc,
    Impressions,
    Decision,
    Note,
    DeliveredAt,
    LastShownAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyFirmFunnel {
    Table,
    Deliveries,
    LastDeliveredAt,
}
