//! Reach: presentations of policies to firms (deliveries), their responses (acknowledgements), and
//! the figures departments read from them.

use crate::stored_enum::stored_enum;

stored_enum! {
    /// Where a firm was shown a policy or answered it.
    pub enum Channel {
        SingleWindow = "SINGLE_WINDOW",
        Broker = "BROKER",
        Sms = "SMS",
        Wechat = "WECHAT",
        Paper = "PAPER",
        Email = "EMAIL",
        Other = "OTHER",
    }
}

stored_enum! {
    /// A firm's answer to a policy.
    pub enum Response {
        Seen = "SEEN",
        Interested = "INTERESTED",
        WillApply = "WILL_APPLY",
        Applied = "APPLIED",
        NotApplicable = "NOT_APPLICABLE",
        Dismissed = "DISMISSED",
    }
}
