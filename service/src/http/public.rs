//! Answers to anonymous reads of the published catalog, kept per catalog version. Frontends show
//! the same catalog pages to everyone not signed in, and such an answer is a function of the
//! document, its variables, the language and the live snapshot it was read from: it is kept, as
//! the bytes sent, until the snapshot changes. Only answers read from one snapshot alone (the
//! resolvers say so through [`Provenance`]) and carrying no error are kept. Bounded in entries
//! and in bytes, whatever the callers send.
//!
//! [`Provenance`]: crate::graphql::Provenance

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use chrono::NaiveDate;

use crate::graphql::Lang;

/// Answers kept at most, and their bytes; past either the cache starts again, empty.
const ENTRIES: usize = 1_024;
const BYTES: usize = 16 << 20;
/// Larger answers are not kept.
const MAX_ANSWER: usize = 256 << 10;
/// Questions whose document and variables are longer are not kept (a catalog page's are a few
/// hundred bytes; variables the operation does not declare are ignored by execution, so they
/// must not make every question new and large).
const MAX_QUESTION: usize = 4 << 10;
/// The root fields whose answers may be kept: each says where its answer came from.
const CATALOG_FIELDS: [&str; 3] = ["policies", "policy", "__typename"];

/// What an answer is kept under, besides the snapshot it was read from.
#[derive(Debug, Hash, PartialEq, Eq)]
pub struct Question {
    lang: Lang,
    text: Box<str>,
    operation: Option<Box<str>>,
    variables: Box<str>,
}

impl Question {
    /// The question `request` asks, when it is a query of catalog fields alone (named directly,
    /// not through fragments); admission parsed its document already.
    pub fn of(request: &mut Request, lang: Lang) -> Option<Question> {
        if request.query.len() > MAX_QUESTION {
            return None;
        }
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query().ok()?;
        let operation = match (&document.operations, operation_name.as_deref()) {
            (DocumentOperations::Single(operation), _) => operation,
            (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
            (DocumentOperations::Multiple(_), None) => return None,
        };
        if operation.node.ty != OperationType::Query || !document.fragments.is_empty() {
            return None;
        }
        let catalog_only = operation.node.selection_set.node.items.iter().all(|item| {
            matches!(&item.node, Selection::Field(field)
                if CATALOG_FIELDS.contains(&field.node.name.node.as_str())
                    && field.node.directives.is_empty())
        });
        if !catalog_only {
            return None;
        }
        // Serialized only for a catalog question, and refused past the bound.
        let variables = serde_json::to_string(&request.variables).ok()?;
        if request.query.len() + variables.len() > MAX_QUESTION {
            return None;
        }
        Some(Question {
            lang,
            text: request.query.as_str().into(),
            operation: operation_name.map(String::into_boxed_str),
            variables: variables.into_boxed_str(),
        })
    }

    /// The bytes it keeps.
    fn size(&self) -> usize {
        self.text.len() + self.variables.len() + self.operation.as_deref().map_or(0, str::len)
    }
}

/// The kept answers of one catalog version and day.
#[derive(Default)]
struct Kept {
    version: i64,
    day: NaiveDate,
    bytes: usize,
    answers: HashMap<Question, Arc<[u8]>>,
}

/// Anonymous catalog answers, as sent.
#[derive(Default)]
pub struct PublicAnswers {
    kept: Mutex<Kept>,
}

impl PublicAnswers {
    /// The answer to `question` read from snapshot `version` on `day`, if it was kept.
    pub fn get(&self, question: &Question, version: i64, day: NaiveDate) -> Option<Arc<[u8]>> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.version != version || kept.day != day {
            return None;
        }
        kept.answers.get(question).cloned()
    }

    /// Keeps `answer`, read from snapshot `version` alone on `day`.
    pub fn keep(&self, question: Question, version: i64, day: NaiveDate, answer: &[u8]) {
        if answer.len() > MAX_ANSWER {
            return;
        }
        let size = question.size() + answer.len();
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if (version, day) < (kept.version, kept.day) {
            // Read from a snapshot already replaced.
            return;
        }
        if kept.version != version
            || kept.day != day
            || kept.answers.len() >= ENTRIES
            || kept.bytes + size > BYTES
        {
            *kept = Kept {
                version,
                day,
                ..Kept::default()
            };
        }
        kept.bytes += size;
        if let Some(old) = kept.answers.insert(question, answer.into()) {
            // The same question again: its text and variables were counted once already.
            kept.bytes -= size - answer.len() + old.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(query: &str, variables: serde_json::Value, lang: Lang) -> Option<Question> {
        let mut request =
            Request::new(query).variables(async_graphql::Variables::from_json(variables));
        Question::of(&mut request, lang)
    }

    #[test]
    fn only_queries_of_catalog_fields_are_kept_questions() {
        let page = "{ policies { totalCount } }";
        assert!(question(page, serde_json::json!({}), Lang::Zh).is_some());
        assert!(
            question(
                "{ policy(id: \"x\") { code } __typename }",
                serde_json::json!({}),
                Lang::Zh
            )
            .is_some()
        );
        for other in [
            "{ me { role } }",
            "{ policies { totalCount } me { role } }",
            "mutation { acknowledgePolicy(input: {}) { id } }",
            "{ ...F } fragment F on Query { policies { totalCount } }",
            "{ policies @include(if: true) { totalCount } }",
            "query A { policies { totalCount } } query B { me { role } }",
        ] {
            assert!(
                question(other, serde_json::json!({}), Lang::Zh).is_none(),
                "{other}"
            );
        }
        assert_ne!(
            question(page, serde_json::json!({}), Lang::Zh),
            question(page, serde_json::json!({}), Lang::En)
        );
        let padded = serde_json::json!({ "unused": "x".repeat(MAX_QUESTION) });
        assert!(
            question(page, padded, Lang::Zh).is_none(),
            "too large a question"
        );
        let varied = "query($n: Int) { policies(first: $n) { totalCount } }";
        assert_ne!(
            question(varied, serde_json::json!({"n": 1}), Lang::Zh),
            question(varied, serde_json::json!({"n": 2}), Lang::Zh)
        );
    }

    #[test]
    fn answers_live_as_long_as_their_snapshot_and_day() {
        let answers = PublicAnswers::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let ask = || {
            question(
                "{ policies { totalCount } }",
                serde_json::json!({}),
                Lang::Zh,
            )
            .unwrap()
        };
        answers.keep(ask(), 7, day, b"seven");
        assert_eq!(answers.get(&ask(), 7, day).as_deref(), Some(&b"seven"[..]));
        assert!(answers.get(&ask(), 8, day).is_none(), "a newer snapshot");
        assert!(
            answers.get(&ask(), 7, day.succ_opt().unwrap()).is_none(),
            "the next day"
        );
        answers.keep(ask(), 8, day, b"eight");
        answers.keep(ask(), 7, day, b"late seven");
        assert_eq!(answers.get(&ask(), 8, day).as_deref(), Some(&b"eight"[..]));
        assert!(answers.get(&ask(), 7, day).is_none());
        answers.keep(ask(), 8, day, &vec![b'x'; MAX_ANSWER + 1]);
        assert_eq!(
            answers.get(&ask(), 8, day).as_deref(),
            Some(&b"eight"[..]),
            "too large to keep"
        );
    }
}
