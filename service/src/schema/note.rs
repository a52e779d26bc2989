//! What a request's handling notes about it for the log line and the metrics: who asked, which
//! operation, which error codes. The HTTP layer reads it once the response is ready.

use std::sync::{Mutex, PoisonError};

use crate::auth::Viewer;

/// What a handler learnt about its request, for the log line and the metrics.
#[derive(Debug, Default)]
pub struct RequestNote {
    inner: Mutex<Noted>,
}

/// What was noted, taken once the response is ready.
#[derive(Debug, Default)]
pub struct Noted {
    pub operation: Option<String>,
    pub role: Option<&'static str>,
    pub subject: Option<String>,
    pub codes: Vec<String>,
}

impl RequestNote {
    fn with<T>(&self, f: impl FnOnce(&mut Noted) -> T) -> T {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Everything noted so far, leaving the note empty.
    pub fn take(&self) -> Noted {
        self.with(std::mem::take)
    }

    /// The caller the token proved.
    pub fn viewer(&self, viewer: &Viewer) {
        self.with(|n| {
            n.role = Some(viewer.role().as_str());
            n.subject = viewer.subject().map(str::to_owned);
        });
    }

    /// The GraphQL operation: `query policies`, `mutation acknowledgePolicy`, or `invalid`.
    pub fn operation(&self, operation: String) {
        self.with(|n| n.operation = Some(operation));
    }

    /// The code of an error the response carries.
    pub fn error(&self, code: &str) {
        self.with(|n| n.codes.push(code.to_owned()));
    }
}
