//! Where a policy reaches a firm, and how the firm answers.

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

impl Channel {
    /// The channel's bit in the funnel's channel sets.
    pub const fn bit(self) -> i32 {
        match self {
            Channel::SingleWindow => 1,
            Channel::Broker => 2,
            Channel::Sms => 4,
            Channel::Wechat => 8,
            Channel::Paper => 16,
            Channel::Email => 32,
            Channel::Other => 64,
        }
    }
}

impl Response {
    /// Whether the firm asked not to be shown the policy's current version again.
    pub fn closes(self) -> bool {
        matches!(
            self,
            Response::Dismissed | Response::NotApplicable | Response::Applied
        )
    }
}
