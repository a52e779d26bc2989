//! `token`: a signed token for a role, for trying the service and for tests.

use std::time::Duration;

use clap::ValueEnum;
use policy_outreach::auth::{Claims, Role, mint};
use policy_outreach::config::Settings;

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum TokenRole {
    Firm,
    Broker,
    Department,
    System,
    Admin,
}

impl From<TokenRole> for Role {
    fn from(role: TokenRole) -> Role {
        match role {
            TokenRole::Firm => Role::Firm,
            TokenRole::Broker => Role::Broker,
            TokenRole::Department => Role::Department,
            TokenRole::System => Role::System,
            TokenRole::Admin => Role::Admin,
        }
    }
}

pub(super) fn token(
    settings: &Settings,
    role: Role,
    uscc: Option<String>,
    department: Option<String>,
    subject: Option<String>,
    ttl: Duration,
) -> anyhow::Result<String> {
    let jwt = settings.jwt()?;
    match role {
        Role::Firm | Role::Broker if uscc.is_none() => anyhow::bail!("a {role} token needs --uscc"),
        Role::Department if department.is_none() => {
            anyhow::bail!("a department token needs --department")
        }
        _ => {}
    }
    let name = role.as_str().to_ascii_lowercase();
    let sub = subject.unwrap_or_else(|| match (&uscc, &department) {
        (Some(u), _) => format!("{name}:{u}"),
        (_, Some(d)) => format!("{name}:{d}"),
        _ => format!("{name}:dev"),
    });
    mint(
        &jwt,
        &Claims {
            sub,
            role: name,
            uscc,
            department,
        },
        ttl,
    )
}
