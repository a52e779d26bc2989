//! What firms said about each policy since it was published, kept as tallies so `needs` of one
//! policy reads a few rows instead of counting its comments: per (policy, term) the distinct firms
//! that used the term, and per (policy, response) the comments and the distinct firms that wrote
//! them, with the response `''` standing for every response. The service adds to them in the
//! transaction that stores each comment; this migration counts them from the rows already
//! stored. Windows, responses within terms and departments are still counted from the rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use crate::foreign_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tallies of the rows already stored.
const FILL: [&str; 3] = [
    "INSERT INTO need_term_tally (policy_id, term, firms) \
     SELECT policy_id, term, COUNT(DISTINCT firm_uscc) FROM need_term GROUP BY policy_id, term",
    "INSERT INTO need_comment_tally (policy_id, response, comments, firms) \
     SELECT policy_id, response, COUNT(*), COUNT(DISTINCT firm_uscc) FROM acknowledgement \
     WHERE comment IS NOT NULL GROUP BY policy_id, response",
    "INSERT INTO need_comment_tally (policy_id, response, comments, firms) \
     SELECT policy_id, '', COUNT(*), COUNT(DISTINCT firm_uscc) FROM acknowledgement \
     WHERE comment IS NOT NULL GROUP BY policy_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NeedTermTally::Table)
                    .col(uuid(NeedTermTally::PolicyId))
                    .col(string_len(NeedTermTally::Term, 64))
                    .col(big_integer(NeedTermTally::Firms))
                    .primary_key(
                        Index::create()
                            .col(NeedTermTally::PolicyId)
                            .col(NeedTermTally::Term),
                    )
                    .foreign_key(&mut foreign_key(
                        NeedTermTally::Table,
                        NeedTermTally::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NeedCommentTally::Table)
                    .col(uuid(NeedCommentTally::PolicyId))
                    .col(string_len(NeedCommentTally::Response, 16))
                    .col(big_integer(NeedCommentTally::Comments))
                    .col(big_integer(NeedCommentTally::Firms))
                    .primary_key(
                        Index::create()
                            .col(NeedCommentTally::PolicyId)
                            .col(NeedCommentTally::Response),
                    )
                    .foreign_key(&mut foreign_key(
                        NeedCommentTally::Table,
                        NeedCommentTally::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for statement in FILL {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NeedCommentTally::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(NeedTermTally::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum NeedTermTally {
    Table,
    PolicyId,
    Term,
    Firms,
}

#[derive(DeriveIden, Clone, Copy)]
enum NeedCommentTally {
    Table,
    PolicyId,
    Response,
    Comments,
    Firms,
}

#[derive(DeriveIden, Clone, Copy)]
enum Policy {
    Table,
    Id,
}
