//! Policies, their versions, issuing departments, region scope, documents and audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::m20261125_000001_create_reference::{Department, Region};
use crate::{foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Policy::Table)
                    .col(uuid(Policy::Id).primary_key())
                    .col(string_len_uniq(Policy::Code, 64))
                    .col(string_len(Policy::Status, 16))
                    .col(string_len(Policy::LeadDepartment, 32))
                    .col(integer(Policy::CurrentVersion))
                    .col(integer_null(Policy::LiveVersion))
                    .col(integer(Policy::LatestVersion))
                    .col(timestamp_with_time_zone(Policy::CreatedAt))
                    .col(timestamp_with_time_zone(Policy::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Policy::RetiredAt))
                    .col(text_null(Policy::RetireReason))
                    .foreign_key(&mut foreign_key(
                        Policy::Table,
                        Policy::LeadDepartment,
                        Department::Table,
                        Department::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Policy::Table, &[Policy::Status]))
            .await?;
        manager
            .create_index(index(Policy::Table, &[Policy::LeadDepartment]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyVersion::Table)
                    .col(uuid(PolicyVersion::PolicyId))
                    .col(integer(PolicyVersion::Version))
                    .col(string_len(PolicyVersion::Status, 16))
                    .col(string_len(PolicyVersion::TitleZh, 500))
                    .col(string_len_null(PolicyVersion::TitleEn, 500))
                    .col(text(PolicyVersion::SummaryZh))
                    .col(text_null(PolicyVersion::SummaryEn))
                    .col(text_null(PolicyVersion::BodyZh))
                    .col(text_null(PolicyVersion::BodyEn))
                    .col(string_len(PolicyVersion::BenefitKind, 16))
                    .col(date(PolicyVersion::EffectiveFrom))
                    .col(date_null(PolicyVersion::EffectiveTo))
                    .col(date_null(PolicyVersion::ApplyDeadline))
                    .col(string_len_null(PolicyVersion::ApplyUrl, 2048))
                    .col(boolean(PolicyVersion::AutoEnjoy))
                    .col(string_len_null(PolicyVersion::SourceUrl, 2048))
                    .col(json_binary(PolicyVersion::Eligibility))
                    .col(string_len(PolicyVersion::CreatedBy, 128))
                    .col(timestamp_with_time_zone(PolicyVersion::CreatedAt))
                    .col(timestamp_with_time_zone_null(PolicyVersion::PublishedAt))
                    .primary_key(
                        Index::create()
                            .col(PolicyVersion::PolicyId)
                            .col(PolicyVersion::Version),
                    )
                    .foreign_key(&mut foreign_key(
                        PolicyVersion::Table,
                        PolicyVersion::PolicyId,
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
                    .table(PolicyIssuer::Table)
                    .col(uuid(PolicyIssuer::PolicyId))
                    .col(integer(PolicyIssuer::Version))
                    .col(string_len(PolicyIssuer::DepartmentCode, 32))
                    .col(boolean(PolicyIssuer::IsLead))
                    .col(small_integer(PolicyIssuer::Position))
                    .primary_key(
                        Index::create()
                            .col(PolicyIssuer::PolicyId)
                            .col(PolicyIssuer::Version)
                            .col(PolicyIssuer::DepartmentCode),
                    )
                    .foreign_key(&mut version_key(PolicyIssuer::Table))
                    .foreign_key(&mut foreign_key(
                        PolicyIssuer::Table,
                        PolicyIssuer::DepartmentCode,
                        Department::Table,
                        Department::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PolicyIssuer::Table,
                &[PolicyIssuer::DepartmentCode, PolicyIssuer::PolicyId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyRegion::Table)
                    .col(uuid(PolicyRegion::PolicyId))
                    .col(integer(PolicyRegion::Version))
                    .col(string_len(PolicyRegion::RegionCode, 6))
                    .primary_key(
                        Index::create()
                            .col(PolicyRegion::PolicyId)
                            .col(PolicyRegion::Version)
                            .col(PolicyRegion::RegionCode),
                    )
                    .foreign_key(&mut version_key(PolicyRegion::Table))
                    .foreign_key(&mut foreign_key(
                        PolicyRegion::Table,
                        PolicyRegion::RegionCode,
                        Region::Table,
                        Region::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(PolicyRegion::Table, &[PolicyRegion::RegionCode]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyDocument::Table)
                    .col(uuid(PolicyDocument::PolicyId))
                    .col(integer(PolicyDocument::Version))
                    .col(small_integer(PolicyDocument::Position))
                    .col(string_len(PolicyDocument::Title, 500))
                    .col(string_len(PolicyDocument::Url, 2048))
                    .col(string_len(PolicyDocument::Kind, 16))
                    .col(string_len_null(PolicyDocument::Lang, 16))
                    .primary_key(
                        Index::create()
                            .col(PolicyDocument::PolicyId)
                            .col(PolicyDocument::Version)
                            .col(PolicyDocument::Position),
                    )
                    .foreign_key(&mut version_key(PolicyDocument::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PolicyAudit::Table)
                    .col(uuid(PolicyAudit::Id).primary_key())
                    .col(uuid(PolicyAudit::PolicyId))
                    .col(integer(PolicyAudit::Version))
                    .col(string_len(PolicyAudit::Action, 16))
                    .col(string_len(PolicyAudit::ActorRole, 16))
                    .col(string_len(PolicyAudit::ActorSubject, 128))
                    .col(string_len_null(PolicyAudit::ActorDepartment, 32))
                    .col(json_binary(PolicyAudit::Changes))
                    .col(timestamp_with_time_zone(PolicyAudit::CreatedAt))
                    .foreign_key(&mut foreign_key(
                        PolicyAudit::Table,
                        PolicyAudit::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                PolicyAudit::Table,
                &[PolicyAudit::PolicyId, PolicyAudit::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PolicyAudit::Table.into_iden(),
            PolicyDocument::Table.into_iden(),
            PolicyRegion::Table.into_iden(),
            PolicyIssuer::Table.into_iden(),
            PolicyVersion::Table.into_iden(),
            Policy::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The key from a per-version child table to its policy version.
fn version_key(table: impl IntoIden) -> ForeignKeyCreateStatement {
    let table = table.into_iden();
    ForeignKey::create()
        .name(format!("fk_{table}_policy_version"))
        .from_tbl(table)
        .from_col(Alias::new("policy_id"))
        .from_col(Alias::new("version"))
        .to_tbl(PolicyVersion::Table)
        .to_col(PolicyVersion::PolicyId)
        .to_col(PolicyVersion::Version)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Policy {
    Table,
    Id,
    Code,
    Status,
    LeadDepartment,
    CurrentVersion,
    LiveVersion,
    LatestVersion,
    CreatedAt,
    UpdatedAt,
    RetiredAt,
    RetireReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyVersion {
    Table,
    PolicyId,
    Version,
    Status,
    TitleZh,
    TitleEn,
    SummaryZh,
    SummaryEn,
    BodyZh,
    BodyEn,
    BenefitKind,
    EffectiveFrom,
    EffectiveTo,
    ApplyDeadline,
    ApplyUrl,
    AutoEnjoy,
    SourceUrl,
    Eligibility,
    CreatedBy,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyIssuer {
    Table,
    PolicyId,
    Version,
    DepartmentCode,
    IsLead,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyRegion {
    Table,
    PolicyId,
    Version,
    RegionCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyDocument {
    Table,
    PolicyId,
    Version,
    Position,
    Title,
    Url,
    Kind,
    Lang,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyAudit {
    Table,
    Id,
    PolicyId,
    Version,
    Action,
    ActorRole,
    ActorSubject,
    ActorDepartment,
    Changes,
    CreatedAt,
}
