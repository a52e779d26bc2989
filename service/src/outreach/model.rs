//! Where a policy reaches a firm, and how the firm answers.

use crate::auth::Role;
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

/// Whether an acknowledgement is the firm answering itself, not through its broker: as the firm,
/// or through SYSTEM on any channel but the broker's (the reach figures count the same in SQL).
pub fn answered_by_firm(role: Role, channel: Channel) -> bool {
    match role {
        Role::Firm => true,
        Role::System => channel != Channel::Broker,
        Role::Anonymous | Role::Broker | Role::Department | Role::Admin => false,
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
