use crate::department::DepartmentCode;
use crate::error::AppError;
use crate::firm::Uscc;
use crate::stored_enum::stored_enum;

stored_enum! {
    /// The role a caller acts in.
    pub enum Role {
        /// No token.
        Anonymous = "ANONYMOUS",
        /// A foreign-trade firm, acting for itself.
        Firm = "FIRM",
        /// A customs broker, acting for itself and the firms that entrusted it.
        Broker = "BROKER",
        /// An issuing department.
        Department = "DEPARTMENT",
        /// The single-window backend.
        System = "SYSTEM",
        /// An operator of this service.
        Admin = "ADMIN",
    }
}

/// The verified caller, available to every resolver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    Firm {
        subject: String,
        uscc: Uscc,
    },
    Broker {
        subject: String,
        uscc: Uscc,
    },
    Department {
        subject: String,
        department: DepartmentCode,
    },
    System {
        subject: String,
    },
    Admin {
        subject: String,
    },
}

impl Viewer {
    pub fn role(&self) -> Role {
        match self {
            Viewer::Anonymous => Role::Anonymous,
            Viewer::Firm { .. } => Role::Firm,
            Viewer::Broker { .. } => Role::Broker,
            Viewer::Department { .. } => Role::Department,
            Viewer::System { .. } => Role::System,
            Viewer::Admin { .. } => Role::Admin,
        }
    }

    /// The token's `sub`; none when anonymous.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Viewer::Anonymous => None,
            Viewer::Firm { subject, .. }
            | Viewer::Broker { subject, .. }
            | Viewer::Department { subject, .. }
            | Viewer::System { subject }
            | Viewer::Admin { subject } => Some(subject),
        }
    }

    /// The firm a FIRM or BROKER token speaks for.
    pub fn uscc(&self) -> Option<&Uscc> {
        match self {
            Viewer::Firm { uscc, .. } | Viewer::Broker { uscc, .. } => Some(uscc),
            _ => None,
        }
    }

    /// The department a DEPARTMENT token speaks for.
    pub fn department(&self) -> Option<&DepartmentCode> {
        match self {
            Viewer::Department { department, .. } => Some(department),
            _ => None,
        }
    }

    /// `Ok` when the viewer acts in one of `roles`; anonymous callers are told to authenticate.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        match self.role() {
            role if roles.contains(&role) => Ok(()),
            Role::Anonymous => Err(AppError::Unauthenticated(
                "this operation needs a bearer token".to_owned(),
            )),
            _ => Err(AppError::Forbidden),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Viewer::Admin { .. })
    }
}
