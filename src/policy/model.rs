use crate::stored_enum::stored_enum;

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
