//! Deliveries (with their decision record), acknowledgements and the per-(policy, firm) funnel.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261125_000002_create_policies::Policy;
use crate::m20261125_000003_create_firms::Firm;
use crate::{foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Delivery::Table)
                    .col(uuid(Delivery::Id).primary_key())
                    .col(uuid(Delivery::PolicyId))
                    .col(integer(Delivery::PolicyVersion))
                    .col(string_len(Delivery::FirmUscc, 18))
                    .col(string_len(Delivery::Channel, 16))
                    // '' when the presentation had no declaration: NULLs would not collide in the key.
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

        manager
            .create_table(
                Table::create()
                    .table(Acknowledgement::Table)
                    .col(uuid(Acknowledgement::Id).primary_key())
                    .col(uuid(Acknowledgement::PolicyId))
                    .col(integer(Acknowledgement::PolicyVersion))
                    .col(string_len(Acknowledgement::FirmUscc, 18))
                    .col(string_len(Acknowledgement::Response, 16))
                    .col(string_len(Acknowledgement::Channel, 16))
                    .col(string_len(Acknowledgement::ActorRole, 16))
                    .col(string_len(Acknowledgement::ActorSubject, 128))
                    .col(string_len_null(Acknowledgement::ActorUscc, 18))
                    .col(text_null(Acknowledgement::Comment))
                    .col(string_len_null(Acknowledgement::DeclarationId, 64))
                    .col(string_len(Acknowledgement::IdempotencyKey, 128))
                    .col(string_len(Acknowledgement::RequestFingerprint, 64))
                    .col(timestamp_with_time_zone(Acknowledgement::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        Acknowledgement::Table,
                        Acknowledgement::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        Acknowledgement::Table,
                        Acknowledgement::FirmUscc,
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
                    Acknowledgement::Table,
                    &[
                        Acknowledgement::ActorRole,
                        Acknowledgement::ActorSubject,
                        Acknowledgement::IdempotencyKey,
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        for columns in [
            &[Acknowledgement::PolicyId, Acknowledgement::CreatedAt][..],
            &[
                Acknowledgement::FirmUscc,
                Acknowledgement::PolicyId,
                Acknowledgement::CreatedAt,
            ],
        ] {
            manager
                .create_index(index(Acknowledgement::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PolicyFirmFunnel::Table)
                    .col(uuid(PolicyFirmFunnel::PolicyId))
                    .col(string_len(PolicyFirmFunnel::FirmUscc, 18))
                    // The firm's prefecture (its province when registered at province level), kept
                    // with the row so reach per region needs no join.
                    .col(string_len(PolicyFirmFunnel::PrefectureCode, 6))
                    .col(integer(PolicyFirmFunnel::Deliveries).default(0))
                    // One bit per channel (SINGLE_WINDOW 1, BROKER 2, SMS 4, WECHAT 8, PAPER 16,
                    // EMAIL 32, OTHER 64): reach per channel without scanning deliveries.
                    .col(integer(PolicyFirmFunnel::DeliveredChannels).default(0))
                    .col(integer(PolicyFirmFunnel::AcknowledgedChannels).default(0))
                    .col(timestamp_with_time_zone_null(
                        PolicyFirmFunnel::FirstDeliveredAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        PolicyFirmFunnel::LastDeliveredAt,
                    ))
                    .col(integer_null(PolicyFirmFunnel::LastDeliveredVersion))
                    .col(timestamp_with_time_zone_null(
                        PolicyFirmFunnel::FirstAcknowledgedAt,
                    ))
                    .col(boolean(PolicyFirmFunnel::AcknowledgedByFirm).default(false))
                    .col(string_len_null(PolicyFirmFunnel::LatestResponse, 16))
                    .col(integer_null(PolicyFirmFunnel::LatestResponseVersion))
                    .col(timestamp_with_time_zone_null(
                        PolicyFirmFunnel::LatestResponseAt,
                    ))
                    .col(uuid_null(PolicyFirmFunnel::LatestAcknowledgementId))
                    .primary_key(
                        Index::create()
                            .col(PolicyFirmFunnel::PolicyId)
                            .col(PolicyFirmFunnel::FirmUscc),
                    )
                    .foreign_key(&mut foreign_key(
                        PolicyFirmFunnel::Table,
                        PolicyFirmFunnel::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        PolicyFirmFunnel::Table,
                        PolicyFirmFunnel::FirmUscc,
                        Firm::Table,
                        Firm::Uscc,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PolicyFirmFunnel::Table,
                &[PolicyFirmFunnel::FirmUscc],
            ))
            .await?;
        // The reach of a policy reads its funnel rows from this index alone (PostgreSQL).
        let mut covering = index(PolicyFirmFunnel::Table, &[PolicyFirmFunnel::PolicyId]);
        for column in [
            PolicyFirmFunnel::FirmUscc,
            PolicyFirmFunnel::PrefectureCode,
            PolicyFirmFunnel::FirstDeliveredAt,
            PolicyFirmFunnel::FirstAcknowledgedAt,
            PolicyFirmFunnel::AcknowledgedByFirm,
            PolicyFirmFunnel::DeliveredChannels,
            PolicyFirmFunnel::AcknowledgedChannels,
            PolicyFirmFunnel::LatestResponse,
        ] {
            covering.include(column);
        }
        manager.create_index(covering).await?;

        // Per policy and local day (TIME_ZONE): the daily series without scanning deliveries.
        manager
            .create_table(
                Table::create()
                    .table(PolicyDailyReach::Table)
                    .col(uuid(PolicyDailyReach::PolicyId))
                    .col(date(PolicyDailyReach::Day))
                    .col(integer(PolicyDailyReach::Deliveries).default(0))
                    .col(integer(PolicyDailyReach::NewlyReached).default(0))
                    .col(integer(PolicyDailyReach::Acknowledgements).default(0))
                    .primary_key(
                        Index::create()
                            .col(PolicyDailyReach::PolicyId)
                            .col(PolicyDailyReach::Day),
                    )
                    .foreign_key(&mut foreign_key(
                        PolicyDailyReach::Table,
                        PolicyDailyReach::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PolicyDailyReach::Table.into_iden(),
            PolicyFirmFunnel::Table.into_iden(),
            Acknowledgement::Table.into_iden(),
            Delivery::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
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
enum Acknowledgement {
    Table,
    Id,
    PolicyId,
    PolicyVersion,
    FirmUscc,
    Response,
    Channel,
    ActorRole,
    ActorSubject,
    ActorUscc,
    Comment,
    DeclarationId,
    IdempotencyKey,
    RequestFingerprint,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyFirmFunnel {
    Table,
    PolicyId,
    FirmUscc,
    PrefectureCode,
    Deliveries,
    DeliveredChannels,
    AcknowledgedChannels,
    FirstDeliveredAt,
    LastDeliveredAt,
    LastDeliveredVersion,
    FirstAcknowledgedAt,
    AcknowledgedByFirm,
    LatestResponse,
    LatestResponseVersion,
    LatestResponseAt,
    LatestAcknowledgementId,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyDailyReach {
    Table,
    PolicyId,
    Day,
    Deliveries,
    NewlyReached,
    Acknowledgements,
}
