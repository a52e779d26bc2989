//! Parsed documents, by their text. Clients send the same few documents again and again (the
//! single window's filing query, a console's pages), and parsing was the largest single part of
//! answering a small request. Only documents that parsed and passed every limit are kept, so one
//! seen before skips the scan, the parse and the checks. Bounded in entries and in the length of
//! what it keeps, whatever the callers send.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;

/// Documents kept at most; past it the cache starts again, empty.
const ENTRIES: usize = 256;
/// Longer documents are parsed each time (the filing and catalog documents are a few hundred
/// bytes).
const MAX_BYTES: usize = 4 * 1024;

/// The admitted documents of one schema and its limits.
#[derive(Default)]
pub struct Documents {
    kept: Mutex<HashMap<Box<str>, ExecutableDocument>>,
}

impl Documents {
    /// The document `text` parses to, when it was admitted before.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        if text.len() > MAX_BYTES {
            return None;
        }
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
            .cloned()
    }

    /// Keeps `document`, which `text` parsed to and which passed every limit.
    pub fn keep(&self, text: &str, document: ExecutableDocument) {
        if text.len() > MAX_BYTES {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= ENTRIES && !kept.contains_key(text) {
            kept.clear();
        }
        kept.insert(text.into(), document);
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn keeps_admitted_documents_up_to_its_bounds() {
        let documents = Documents::default();
        let text = "{ me { role } }";
        assert!(documents.get(text).is_none());
        documents.keep(text, parse_query(text).unwrap());
        let kept = documents.get(text).expect("kept");
        assert_eq!(
            format!("{kept:?}"),
            format!("{:?}", parse_query(text).unwrap())
        );

        let long = format!("{{ me {{ role }} }}{}", " ".repeat(MAX_BYTES));
        documents.keep(&long, parse_query(&long).unwrap());
        assert!(documents.get(&long).is_none(), "too long to keep");

        for n in 0..ENTRIES {
            let text = format!("query Q{n} {{ me {{ role }} }}");
            documents.keep(&text, parse_query(&text).unwrap());
        }
        assert!(documents.len() <= ENTRIES, "{}", documents.len());
        assert!(documents.get(text).is_none(), "started again once full");
    }
}
