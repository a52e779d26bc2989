//! Firms synced by the single window, and the customs brokers each has entrusted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261125_000001_create_reference::Region;
use crate::{foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Firm::Table)
                    .col(string_len(Firm::Uscc, 18).primary_key())
                    .col(string_len_null(Firm::CustomsCode, 10))
                    .col(string_len(Firm::Name, 200))
                    .col(string_len(Firm::RegionCode, 6))
                    .col(string_len(Firm::ProvinceCode, 6))
                    .col(string_len_null(Firm::PrefectureCode, 6))
                    .col(string_len_null(Firm::Size, 8))
                    .col(string_len_null(Firm::Industry, 8))
                    .col(string_len_null(Firm::CustomsCredit, 24))
                    .col(double_null(Firm::ExportValuePrevYearUsd))
                    .col(double_null(Firm::ImportValuePrevYearUsd))
                    .col(boolean_null(Firm::ForeignInvested))
                    .col(date_null(Firm::RegisteredOn))
                    .col(timestamp_with_time_zone_null(Firm::LastFiledAt))
                    // How many brokers the firm entrusted, kept with the list: audiences count
                    // firms reachable through a broker without a lookup per firm.
                    .col(integer(Firm::BrokerCount).default(0))
                    .col(timestamp_with_time_zone(Firm::CreatedAt))
                    .col(timestamp_with_time_zone(Firm::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Firm::Table,
                        Firm::RegionCode,
                        Region::Table,
                        Region::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &[Firm::RegionCode][..],
            &[Firm::CustomsCode],
            &[Firm::LastFiledAt],
        ] {
            manager.create_index(index(Firm::Table, columns)).await?;
        }
        // Audiences are counted within a province or prefecture: with every rule fact included
        // (PostgreSQL), the count reads the index alone, not the firm rows.
        for key in [Firm::ProvinceCode, Firm::PrefectureCode] {
            let mut covering = index(Firm::Table, &[key]);
            for fact in [
                Firm::Uscc,
                Firm::ProvinceCode,
                Firm::PrefectureCode,
                Firm::RegionCode,
                Firm::Size,
                Firm::Industry,
                Firm::CustomsCredit,
                Firm::ExportValuePrevYearUsd,
                Firm::ImportValuePrevYearUsd,
                Firm::ForeignInvested,
                Firm::RegisteredOn,
            ]
            .into_iter()
            .filter(|f| f.to_string() != key.to_string())
            {
                covering.include(fact);
            }
            manager.create_index(covering).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(FirmBroker::Table)
                    .col(string_len(FirmBroker::FirmUscc, 18))
                    .col(string_len(FirmBroker::BrokerUscc, 18))
                    .col(timestamp_with_time_zone(FirmBroker::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(FirmBroker::FirmUscc)
                            .col(FirmBroker::BrokerUscc),
                    )
                    .foreign_key(&mut foreign_key(
                        FirmBroker::Table,
                        FirmBroker::FirmUscc,
                        Firm::Table,
                        Firm::Uscc,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        FirmBroker::Table,
                        FirmBroker::BrokerUscc,
                        Firm::Table,
                        Firm::Uscc,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                FirmBroker::Table,
                &[FirmBroker::BrokerUscc, FirmBroker::FirmUscc],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FirmBroker::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Firm::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Firm {
    Table,
    Uscc,
    CustomsCode,
    Name,
    RegionCode,
    ProvinceCode,
    PrefectureCode,
    Size,
    Industry,
    CustomsCredit,
    ExportValuePrevYearUsd,
    ImportValuePrevYearUsd,
    ForeignInvested,
    RegisteredOn,
    LastFiledAt,
    BrokerCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FirmBroker {
    Table,
    FirmUscc,
    BrokerUscc,
    CreatedAt,
}
