use crate::stored_enum::stored_enum;

stored_enum! {
    /// Enterprise size class (SME classification).
    pub enum FirmSize {
        Micro = "MICRO",
        Small = "SMALL",
        Medium = "MEDIUM",
        Large = "LARGE",
    }
}

stored_enum! {
    /// China Customs enterprise credit rating.
    pub enum CustomsCredit {
        AdvancedCertified = "ADVANCED_CERTIFIED",
        GeneralCertified = "GENERAL_CERTIFIED",
        General = "GENERAL",
        Dishonest = "DISHONEST",
    }
}
