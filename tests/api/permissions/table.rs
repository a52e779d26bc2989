//! A table of cells — an operation, a caller, the outcome DESIGN §4 gives it — run in one loop:
//! an allowed cell checks the data, a refused one the code, that the field holds nothing and that
//! nothing was written; every answer is searched for what its caller may not see.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use policy_outreach::entity::{
    acknowledgement, department as department_entity, filing, firm as firm_entity, firm_broker,
    policy, policy_audit, policy_daily_reach, policy_document, policy_firm_funnel, policy_issuer,
    policy_region, policy_version,
};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::Value;

use super::world::{CALLERS, Caller, World, unseen};

/// What a cell expects.
pub(super) enum Expect {
    /// Answered without error; each JSON pointer under `data` holds the value (a missing
    /// element reads as null).
    Shows(Vec<(&'static str, Value)>),
    /// Answered without error; the list at the pointer holds exactly these values of `field`.
    Lists(&'static str, &'static str, Vec<String>),
    /// Answered null without error: no sign that the object exists.
    Absent(&'static str),
    /// Refused with this code: every error carries it and every refused field holds null.
    Refused(&'static str),
}

pub(super) fn shows<const N: usize>(checks: [(&'static str, Value); N]) -> Expect {
    Expect::Shows(checks.into())
}

pub(super) fn lists(pointer: &'static str, field: &'static str, values: &[&String]) -> Expect {
    Expect::Lists(
        pointer,
        field,
        values.iter().map(|v| v.to_string()).collect(),
    )
}

pub(super) fn absent(pointer: &'static str) -> Expect {
    Expect::Absent(pointer)
}

pub(super) fn forbidden() -> Expect {
    Expect::Refused("FORBIDDEN")
}

pub(super) fn unauthenticated() -> Expect {
    Expect::Refused("UNAUTHENTICATED")
}

pub(super) fn not_found() -> Expect {
    Expect::Refused("NOT_FOUND")
}

/// One operation, one caller, one expected outcome.
pub(super) struct Cell {
    operation: &'static str,
    caller: Caller,
    query: &'static str,
    variables: Value,
    expect: Expect,
}

/// A row of the table: `operation` as each of the ten callers.
pub(super) fn row(
    operation: &'static str,
    query: &'static str,
    variables: impl Fn(Caller) -> Value,
    expect: impl Fn(Caller) -> Expect,
) -> Vec<Cell> {
    CALLERS
        .iter()
        .map(|&caller| Cell {
            operation,
            caller,
            query,
            variables: variables(caller),
            expect: expect(caller),
        })
        .collect()
}

/// A single cell, for paths only some callers can take.
pub(super) fn cell(
    operation: &'static str,
    caller: Caller,
    query: &'static str,
    variables: Value,
    expect: Expect,
) -> Cell {
    Cell {
        operation,
        caller,
        query,
        variables,
        expect,
    }
}

pub(super) fn at(data: &Value, pointer: &str) -> Value {
    data.pointer(pointer).cloned().unwrap_or(Value::Null)
}

/// The JSON pointer, from the response root, of an error's `path`.
pub(super) fn error_pointer(error: &Value) -> String {
    let steps = error["path"].as_array().cloned().unwrap_or_default();
    let mut pointer = "/data".to_owned();
    for step in steps {
        let step = match step {
            Value::String(name) => name,
            index => index.to_string(),
        };
        pointer.push('/');
        pointer.push_str(&step);
    }
    pointer
}

pub(super) fn assert_refused(response: &Value, code: &str, context: &str) {
    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{context}: expected {code}"));
    assert!(!errors.is_empty(), "{context}: expected {code}");
    for error in errors {
        assert_eq!(error["extensions"]["code"], code, "{context}");
        let pointer = error_pointer(error);
        assert_eq!(
            response.pointer(&pointer).cloned().unwrap_or(Value::Null),
            Value::Null,
            "{context}: the refused field {pointer} holds data"
        );
    }
}

pub(super) fn assert_reveals_nothing(caller: Caller, body: &str, context: &str) {
    for secret in unseen(caller) {
        assert!(!body.contains(secret), "{context}: reveals {secret:?}");
    }
}

pub(super) fn sorted<T: Debug>(models: Vec<T>) -> Vec<String> {
    let mut rows: Vec<String> = models.iter().map(|m| format!("{m:?}")).collect();
    rows.sort();
    rows
}

pub(super) async fn rows<E: EntityTrait>(db: &DatabaseConnection, _: E) -> Vec<String>
where
    E::Model: Debug,
{
    sorted(E::find().all(db).await.unwrap())
}

/// Every stored row an operation could write, in a stable order. A firm's last filing time is
/// left out: it is written in the background, after allowed filings.
pub(super) async fn snapshot(db: &DatabaseConnection) -> Vec<Vec<String>> {
    let firms: Vec<firm_entity::Model> = firm_entity::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|mut f| {
            f.last_filed_at = None;
            f
        })
        .collect();
    vec![
        sorted(firms),
        rows(db, firm_broker::Entity).await,
        rows(db, department_entity::Entity).await,
        rows(db, policy::Entity).await,
        rows(db, policy_version::Entity).await,
        rows(db, policy_issuer::Entity).await,
        rows(db, policy_region::Entity).await,
        rows(db, policy_document::Entity).await,
        rows(db, policy_audit::Entity).await,
        rows(db, acknowledgement::Entity).await,
        rows(db, filing::Entity).await,
        rows(db, policy_firm_funnel::Entity).await,
        rows(db, policy_daily_reach::Entity).await,
    ]
}

/// How many cells a run checked, by operation: allowed, refused, answered null.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) by_operation: BTreeMap<&'static str, [usize; 3]>,
    forbidden_messages: BTreeSet<String>,
}

impl Tally {
    fn count(&mut self, operation: &'static str, expect: &Expect) {
        let slot = match expect {
            Expect::Shows(_) | Expect::Lists(..) => 0,
            Expect::Refused(_) => 1,
            Expect::Absent(_) => 2,
        };
        self.by_operation.entry(operation).or_default()[slot] += 1;
    }

    pub(super) fn cells(&self) -> usize {
        self.by_operation.values().flatten().sum()
    }

    /// Prints the tally (`--nocapture` shows it) and checks that every refusal read the same.
    pub(super) fn report(&self, title: &str) {
        eprintln!("{title}: {} cells", self.cells());
        for (operation, [allowed, refused, null]) in &self.by_operation {
            eprintln!(
                "  {operation:<58} allowed {allowed:>2}  refused {refused:>2}  null {null:>2}"
            );
        }
        assert!(
            self.forbidden_messages.len() <= 1,
            "every FORBIDDEN reads the same, naming nothing: {:?}",
            self.forbidden_messages
        );
    }
}

/// Runs each cell in order and checks it.
pub(super) async fn check(w: &World, cells: Vec<Cell>) -> Tally {
    let mut tally = Tally::default();
    for cell in cells {
        let writes_nothing = !matches!(cell.expect, Expect::Shows(_) | Expect::Lists(..));
        let before = if writes_nothing {
            Some(snapshot(&w.app.db).await)
        } else {
            None
        };
        let token = w.token(cell.caller);
        let response = w
            .app
            .gql(token.as_deref(), cell.query, cell.variables.clone())
            .await;
        let body = response.to_string();
        let context = format!("{} as {:?}: {body}", cell.operation, cell.caller);
        match &cell.expect {
            Expect::Shows(checks) => {
                assert!(response.get("errors").is_none(), "{context}");
                for (pointer, expected) in checks {
                    assert_eq!(
                        &at(&response["data"], pointer),
                        expected,
                        "{context}: {pointer}"
                    );
                }
            }
            Expect::Lists(pointer, field, expected) => {
                assert!(response.get("errors").is_none(), "{context}");
                let listed: BTreeSet<String> = at(&response["data"], pointer)
                    .as_array()
                    .unwrap_or_else(|| panic!("{context}: no list at {pointer}"))
                    .iter()
                    .map(|item| at(item, field).as_str().unwrap_or_default().to_owned())
                    .collect();
                let expected: BTreeSet<String> = expected.iter().cloned().collect();
                assert_eq!(listed, expected, "{context}");
            }
            Expect::Absent(pointer) => {
                assert!(response.get("errors").is_none(), "{context}");
                assert_eq!(at(&response["data"], pointer), Value::Null, "{context}");
            }
            Expect::Refused(code) => {
                assert_refused(&response, code, &context);
                for error in response["errors"].as_array().into_iter().flatten() {
                    if error["extensions"]["code"] == "FORBIDDEN" {
                        tally
                            .forbidden_messages
                            .insert(error["message"].as_str().unwrap_or_default().to_owned());
                    }
                }
            }
        }
        assert_reveals_nothing(cell.caller, &body, &context);
        if let Some(before) = before {
            assert!(
                snapshot(&w.app.db).await == before,
                "{context}: a refused or empty answer wrote something"
            );
        }
        tally.count(cell.operation, &cell.expect);
    }
    tally
}
