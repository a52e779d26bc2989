use crate::stored_enum::stored_enum;

stored_enum! {
    /// Enterprise size class (SME classification).
    #[graphql(remote = "rules::FirmSize")]
    pub enum FirmSize {
        Micro = "MICRO",
        Small = "SMALL",
        Medium = "MEDIUM",
        Large = "LARGE",
    }
}

stored_enum! {
    /// China Customs enterprise credit rating.
    #[graphql(remote = "rules::CustomsCredit")]
    pub enum CustomsCredit {
        AdvancedCertified = "ADVANCED_CERTIFIED",
        GeneralCertified = "GENERAL_CERTIFIED",
        General = "GENERAL",
        Dishonest = "DISHONEST",
    }
}
