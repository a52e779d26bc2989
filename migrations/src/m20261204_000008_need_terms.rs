//! What firms say they need, counted by the database: the terms of each acknowledgement's comment
//! (Chinese segmented into words, stop words left out), one row per (acknowledgement, term), with
//! the acknowledgement's policy, firm, response and time beside it so a policy's terms in a window
//! are counted from one index. `acknowledgement.terms_version` says which extraction wrote an
//! acknowledgement's terms: none yet for the acknowledgements stored before this migration, which
//! the service extracts when it starts (the segmenter lives in the service, not here).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{self, ConnectionTrait};

use crate::{foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The counting indexes: on SQLite (no `INCLUDE`) every column in the key, on PostgreSQL the
/// ones only read carried beside it.
const COUNTING: [[&str; 2]; 2] = [
    [
        "CREATE INDEX ix_need_term_firms ON need_term \
         (policy_id, term, firm_uscc, created_at, response)",
        "CREATE INDEX ix_acknowledgement_comments ON acknowledgement \
         (policy_id, firm_uscc, created_at, response) WHERE comment IS NOT NULL",
    ],
    [
        "CREATE INDEX ix_need_term_firms ON need_term \
         (policy_id, term, firm_uscc) INCLUDE (created_at, response)",
        "CREATE INDEX ix_acknowledgement_comments ON acknowledgement \
         (policy_id, firm_uscc) INCLUDE (created_at, response) WHERE comment IS NOT NULL",
    ],
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NeedTerm::Table)
                    .col(uuid(NeedTerm::AcknowledgementId))
                    .col(string_len(NeedTerm::Term, 64))
                    .col(uuid(NeedTerm::PolicyId))
                    .col(string_len(NeedTerm::FirmUscc, 18))
                    .col(string_len(NeedTerm::Response, 16))
                    .col(timestamp_with_time_zone(NeedTerm::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(NeedTerm::AcknowledgementId)
                            .col(NeedTerm::Term),
                    )
                    .foreign_key(&mut foreign_key(
                        NeedTerm::Table,
                        NeedTerm::AcknowledgementId,
                        Acknowledgement::Table,
                        Acknowledgement::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        // The comments that used one term, newest first.
        manager
            .create_index(index(
                NeedTerm::Table,
                &[NeedTerm::PolicyId, NeedTerm::Term, NeedTerm::CreatedAt],
            ))
            .await?;
        // A policy's terms counted by distinct firm, read from the index alone; and its
        // comments counted the same way, from a partial index of the acknowledgements with one.
        let db = manager.get_connection();
        for statement in COUNTING
            [usize::from(manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres)]
        {
            db.execute_unprepared(statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Acknowledgement::Table)
                    .add_column(small_integer_null(Acknowledgement::TermsVersion))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_acknowledgement_comments")
            .await?;
        manager
            .drop_table(Table::drop().table(NeedTerm::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Acknowledgement::Table)
                    .drop_column(Acknowledgement::TermsVersion)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum NeedTerm {
    Table,
    AcknowledgementId,
    Term,
    PolicyId,
    FirmUscc,
    Response,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Acknowledgement {
    Table,
    Id,
    TermsVersion,
}
