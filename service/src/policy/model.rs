use crate::stored_enum::stored_enum;
use crate::text::{Name, Text};

stored_enum! {
    /// Where a policy or one of its versions is in its life.
    pub enum PolicyStatus {
        /// Being written; seen by its issuers only.
        Draft = "DRAFT",
        /// Live: in the catalog and matched during filings.
        Published = "PUBLISHED",
        /// No longer offered (or, for a version, replaced by a newer one).
        Retired = "RETIRED",
    }
}

stored_enum! {
    /// What a policy gives.
    pub enum BenefitKind {
        Tax = "TAX",
        FeeReduction = "FEE_REDUCTION",
        Credit = "CREDIT",
        Insurance = "INSURANCE",
        Subsidy = "SUBSIDY",
        Facilitation = "FACILITATION",
        Other = "OTHER",
    }
}

stored_enum! {
    /// Whether a policy document is the electronic or the paper version.
    pub enum DocumentKind {
        Electronic = "ELECTRONIC",
        Paper = "PAPER",
    }
}

/// A policy's title, in either language.
pub type Title = Name<500>;
/// A policy's summary.
pub type Summary = Text<5_000>;
/// A policy's full text, in Markdown.
pub type Body = Text<200_000>;
/// The title of a linked document.
pub type DocumentTitle = Name<500>;
/// Why a policy was withdrawn, kept on it and in its audit trail.
pub type RetireReason = Text<2_000>;
