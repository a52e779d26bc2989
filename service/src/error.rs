//! The one error type. Client errors carry a stable code and a message a person can act on;
//! database and internal errors are logged under the request id and answered opaquely.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// Errors any operation can answer, each with a stable `extensions.code`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No usable identity: a bad, expired or foreign token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not do this, or may not see the object it names.
    #[error("you are not allowed to do this")]
    Forbidden,
    /// `FORBIDDEN` with a reason, where the reason tells the caller nothing it may not know (a
    /// department told that its own draft cannot be used).
    #[error("{0}")]
    Denied(String),
    /// The object does not exist (said only where the caller may know that).
    #[error("{0}")]
    NotFound(String),
    /// One or more input fields are wrong; nothing was written.
    #[error("{}", .0.summary())]
    BadUserInput(InputErrors),
    /// The request contradicts the stored state (an idempotency key reused with other input).
    #[error("{0}")]
    Conflict(String),
    /// The caller's address or subject made more requests than its rate allows.
    #[error("too many requests; retry in {} s", retry_after.as_secs().max(1))]
    RateLimited { retry_after: std::time::Duration },
    /// The database cannot be reached (stopped, restarting, out of connections). Answered with
    /// `INTERNAL` at once, never after hanging; the service recovers when the database returns.
    #[error("the database is unavailable; try again in a few seconds")]
    Unavailable(#[source] anyhow::Error),
    /// Anything the caller cannot act on; details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The stable codes of `extensions.code`.
pub mod code {
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const CONFLICT: &str = "CONFLICT";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";
    pub const INTERNAL: &str = "INTERNAL";
}

impl AppError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated(_) => code::UNAUTHENTICATED,
            AppError::Forbidden | AppError::Denied(_) => code::FORBIDDEN,
            AppError::NotFound(_) => code::NOT_FOUND,
            AppError::BadUserInput(_) => code::BAD_USER_INPUT,
            AppError::Conflict(_) => code::CONFLICT,
            AppError::RateLimited { .. } => code::RATE_LIMITED,
            AppError::Unavailable(_) | AppError::Internal(_) => code::INTERNAL,
        }
    }

    /// A single bad field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::BadUserInput(InputErrors(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }]))
    }

    /// Anything unexpected (or the database being away, when that is what it says).
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        if err
            .chain()
            .any(|cause| cause.downcast_ref::<DbErr>().is_some_and(is_unavailable))
        {
            AppError::Unavailable(err)
        } else {
            AppError::Internal(err)
        }
    }

    /// Something unexpected, described in words for the log.
    pub fn internal_msg(message: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("{message}"))
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        AppError::internal(err)
    }
}

/// Whether a database error says the database cannot be reached, rather than that a statement
/// failed: no connection to be had, the connection broken, the server shutting down or starting
/// (SQLSTATE classes 08 and 57P), or SQLite's write lock still held when the busy timeout ran out
/// (SQLITE_BUSY and SQLITE_LOCKED, with their extended codes).
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    use sea_orm::sqlx::sqlite::SqliteError;
    match err {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(err))
        | DbErr::Exec(RuntimeErr::SqlxError(err))
        | DbErr::Query(RuntimeErr::SqlxError(err)) => match err.as_ref() {
            Error::Io(_)
            | Error::Tls(_)
            | Error::PoolTimedOut
            | Error::PoolClosed
            | Error::WorkerCrashed => true,
            Error::Database(db) if db.try_downcast_ref::<SqliteError>().is_some() => {
                const BUSY: i64 = 5;
                const LOCKED: i64 = 6;
                db.code()
                    .and_then(|code| code.parse::<i64>().ok())
                    .is_some_and(|code| matches!(code & 0xff, BUSY | LOCKED))
            }
            Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

impl From<rules::Problems> for InputErrors {
    fn from(problems: rules::Problems) -> Self {
        InputErrors(
            problems
                .0
                .into_iter()
                .map(|p| FieldError {
                    field: p.field,
                    message: p.message,
                })
                .collect(),
        )
    }
}

impl From<InputErrors> for AppError {
    fn from(errors: InputErrors) -> Self {
        AppError::BadUserInput(errors)
    }
}

/// Whether a database error is a unique-key violation: the one place that knows how to tell.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// One wrong input field: its path (`firms[2].uscc`) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input, so a caller can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputErrors(pub Vec<FieldError>);

impl InputErrors {
    /// Records a problem with `field`.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Runs `check`, recording its error under `field`; `None` when it failed.
    pub fn check<T>(&mut self, field: impl Into<String>, check: Result<T, String>) -> Option<T> {
        match check {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    /// [`InputErrors::check`] for an optional input: `None` when it was absent (or blank) or
    /// failed.
    pub fn check_optional<T>(
        &mut self,
        field: impl Into<String>,
        check: Result<Option<T>, String>,
    ) -> Option<T> {
        self.check(field, check).flatten()
    }

    /// Adds every problem of `other`.
    pub fn extend(&mut self, other: InputErrors) {
        self.0.extend(other.0);
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn into_result<T>(self, value: T) -> Result<T, InputErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn summary(&self) -> String {
        const SHOWN: usize = 5;
        let mut text = self
            .0
            .iter()
            .take(SHOWN)
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        if self.0.len() > SHOWN {
            text.push_str(&format!(" (and {} more)", self.0.len() - SHOWN));
        }
        text
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        match self {
            // The span of the request carries its id, so this line can be found from the response.
            AppError::Internal(err) => tracing::error!(error = ?err, "internal error"),
            AppError::Unavailable(err) => tracing::warn!(error = %err, "database unavailable"),
            _ => {}
        }
        async_graphql::Error::new(self.to_string()).extend_with(|_, ext| {
            ext.set("code", self.code());
            if let AppError::BadUserInput(errors) = self {
                if let Some(first) = errors.0.first() {
                    ext.set("field", first.field.as_str());
                }
                let problems = errors.0.iter().map(|e| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    entry.insert(
                        async_graphql::Name::new("field"),
                        async_graphql::Value::from(e.field.as_str()),
                    );
                    entry.insert(
                        async_graphql::Name::new("message"),
                        async_graphql::Value::from(e.message.as_str()),
                    );
                    async_graphql::Value::Object(entry)
                });
                ext.set("problems", async_graphql::Value::List(problems.collect()));
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

impl From<InputErrors> for async_graphql::Error {
    fn from(errors: InputErrors) -> Self {
        AppError::BadUserInput(errors).extend()
    }
}

/// The result of every service function.
pub type AppResult<T> = Result<T, AppError>;
