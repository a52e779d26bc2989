//! Arbitrary bytes and arbitrary GraphQL documents sent to `/graphql`: the service answers every
//! one with a well-formed response and a known code, never a panic or a 5xx, and stays up.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use serde_json::{Value, json};

use std::collections::HashMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    BaseType, FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, firm, firm_input,
    policy_input, sync_firms, system, uscc,
};

/// Requests per run; about a quarter of them reach the resolvers.
const CASES: u32 = 2_000;

/// The seed of the requests CI sends.
const FIXED_SEED: u64 = 20_261_125;

/// The codes a response may carry.
const CODES: [&str; 8] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
    "INTERNAL",
];

/// The schema as the generator needs it, read from `schema.graphql`.
struct Shape {
    /// Object and interface types: their fields.
    objects: HashMap<String, Vec<FieldDefinition>>,
    inputs: HashMap<String, Vec<InputValueDefinition>>,
    enums: HashMap<String, Vec<String>>,
    unions: HashMap<String, Vec<String>>,
}

impl Shape {
    fn load() -> Shape {
        let document = parse_schema(include_str!("../../schema.graphql")).unwrap();
        let mut shape = Shape {
            objects: HashMap::new(),
            inputs: HashMap::new(),
            enums: HashMap::new(),
            unions: HashMap::new(),
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let name = ty.node.name.node.to_string();
            match ty.node.kind {
                TypeKind::Object(object) => {
                    shape
                        .objects
                        .insert(name, object.fields.into_iter().map(|f| f.node).collect());
                }
                TypeKind::Interface(interface) => {
                    shape
                        .objects
                        .insert(name, interface.fields.into_iter().map(|f| f.node).collect());
                }
                TypeKind::InputObject(input) => {
                    shape
                        .inputs
                        .insert(name, input.fields.into_iter().map(|f| f.node).collect());
                }
                TypeKind::Enum(e) => {
                    shape.enums.insert(
                        name,
                        e.values
                            .into_iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect(),
                    );
                }
                TypeKind::Union(u) => {
                    shape.unions.insert(
                        name,
                        u.members.into_iter().map(|m| m.node.to_string()).collect(),
                    );
                }
                TypeKind::Scalar => {}
            }
        }
        shape
    }
}

/// Values that reach past input checks: real ids and codes from the seeded data, and the edges
/// of every check.
struct Pools {
    ids: Vec<String>,
    usccs: Vec<String>,
    strings: Vec<String>,
}

/// Writes one document from a seed: mostly valid against the schema, so it reaches the resolvers,
/// with wrong values and damaged text mixed in.
struct Writer<'a> {
    rng: StdRng,
    shape: &'a Shape,
    pools: &'a Pools,
}

impl Writer<'_> {
    fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100) < percent
    }

    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn document(&mut self) -> String {
        let (kind, root) = if self.chance(35) {
            ("mutation", "Mutation")
        } else {
            ("query", "Query")
        };
        let fields = self.shape.objects[root].clone();
        let count = self.rng.random_range(1..=2);
        let selected: Vec<String> = (0..count)
            .map(|_| {
                let field = self.pick(&fields).clone();
                self.field(&field, 0)
            })
            .collect();
        let mut text = format!("{kind} {{ {} }}", selected.join(" "));
        if self.chance(10) {
            let at = self.rng.random_range(0..=text.len());
            let splice = *self.pick(&[
                "{", "}", "(", ")", "\"", "$x", "@skip", "...", ":", "!", "#",
            ]);
            let mut at = at;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, splice);
        }
        text
    }

    fn field(&mut self, field: &FieldDefinition, depth: usize) -> String {
        let mut text = String::new();
        if self.chance(10) {
            text.push_str(&format!("a{}: ", self.rng.random_range(0..1000)));
        }
        text.push_str(field.name.node.as_str());
        let args: Vec<String> = field
            .arguments
            .iter()
            .filter_map(|arg| {
                let arg = &arg.node;
                let required = !arg.ty.node.nullable && arg.default_value.is_none();
                (required || self.chance(40))
                    .then(|| format!("{}: {}", arg.name.node, self.value(&arg.ty.node, 0)))
            })
            .collect();
        if !args.is_empty() {
            text.push_str(&format!("({})", args.join(", ")));
        }
        let set = self.selection(named(&field.ty.node), depth + 1);
        text.push(' ');
        text.push_str(&set);
        text
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        if let Some(members) = self.shape.unions.get(type_name).cloned() {
            let member = self.pick(&members).clone();
            return format!(
                "{{ __typename ... on {member} {} }}",
                self.selection(&member, depth)
            );
        }
        let Some(fields) = self.shape.objects.get(type_name).cloned() else {
            return String::new(); // a scalar or an enum
        };
        let leaves: Vec<&FieldDefinition> = fields
            .iter()
            .filter(|f| !self.shape.objects.contains_key(named(&f.ty.node)))
            .collect();
        let count = self.rng.random_range(1..=4);
        let mut chosen = Vec::new();
        for _ in 0..count {
            let field = if depth >= 4 || self.chance(50) {
                match leaves.is_empty() {
                    true => None,
                    false => Some((*self.pick(&leaves)).clone()),
                }
            } else {
                Some(self.pick(&fields).clone())
            };
            chosen.push(match field {
                Some(field) => self.field(&field, depth),
                None => "__typename".to_owned(),
            });
        }
        format!("{{ {} }}", chosen.join(" "))
    }

    fn value(&mut self, ty: &Type, depth: usize) -> String {
        if ty.nullable && self.chance(5) {
            return "null".to_owned();
        }
        match &ty.base {
            BaseType::List(inner) => {
                let count = if depth > 2 {
                    0
                } else {
                    self.rng.random_range(0..4)
                };
                let items: Vec<String> = (0..count).map(|_| self.value(inner, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            BaseType::Named(name) => self.named_value(name.as_str(), depth),
        }
    }

    fn named_value(&mut self, name: &str, depth: usize) -> String {
        if let Some(values) = self.shape.enums.get(name).cloned() {
            return if self.chance(5) {
                "NOT_A_VALUE".to_owned()
            } else {
                self.pick(&values).clone()
            };
        }
        if let Some(fields) = self.shape.inputs.get(name).cloned() {
            let mut entries = Vec::new();
            for f in &fields {
                let required = !f.ty.node.nullable && f.default_value.is_none();
                if required || (depth < 4 && self.chance(50)) {
                    let value = self.value(&f.ty.node, depth + 1);
                    entries.push(format!("{}: {value}", f.name.node));
                }
            }
            return format!("{{{}}}", entries.join(", "));
        }
        match name {
            "Int" => self
                .pick(&[
                    "0",
                    "1",
                    "-1",
                    "20",
                    "100",
                    "101",
                    "2147483647",
                    "-2147483648",
                ])
                .to_string(),
            "Float" => self
                .pick(&["0", "-1.5", "1e308", "3200000.0", "0.000001"])
                .to_string(),
            "Boolean" => self.pick(&["true", "false"]).to_string(),
            "ID" => quoted(&self.pick(&self.pools.ids).clone()),
            "Date" => quoted(self.pick::<&str>(&DATES)),
            "DateTime" => quoted(self.pick::<&str>(&INSTANTS)),
            "JSON" => self
                .pick(&[
                    r#"{all: []}"#,
                    r#"{any: [{fact: "firm.size", op: "eq", value: "SMALL"}]}"#,
                    r#"{fact: "firm.region", op: "within", value: "440300"}"#,
                    r#"{not: {not: {not: {all: []}}}}"#,
                    r#"{fact: "firm.exportValuePrevYearUsd", op: "between", value: [1, 0]}"#,
                    r#"[1, 2, 3]"#,
                    r#""all""#,
                ])
                .to_string(),
            _ => {
                let pool = if self.chance(50) {
                    &self.pools.usccs
                } else {
                    &self.pools.strings
                };
                quoted(&self.pick(pool).clone())
            }
        }
    }
}

/// Dates and instants, good and bad.
const DATES: [&str; 5] = [
    "2026-01-01",
    "2026-02-30",
    "1899-12-31",
    "9999-12-31",
    "yesterday",
];
const INSTANTS: [&str; 3] = ["2026-11-25T08:00:00Z", "2026-11-25T08:00:00+08:00", "now"];

/// `text` as a GraphQL string literal (JSON's escapes are GraphQL's).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// One request: a body, who sends it, and what it accepts.
#[derive(Clone, Debug)]
struct Request {
    body: Body,
    caller: usize,
    accept_graphql_response: bool,
}

#[derive(Clone, Debug)]
enum Body {
    /// The document the [`Writer`] writes from `seed`.
    Document {
        seed: u64,
        variables: Value,
        name: Option<String>,
    },
    Bytes(Vec<u8>),
}

impl Body {
    fn bytes(&self, shape: &Shape, pools: &Pools) -> Vec<u8> {
        match self {
            Body::Bytes(bytes) => bytes.clone(),
            Body::Document {
                seed,
                variables,
                name,
            } => {
                let query = Writer {
                    rng: StdRng::seed_from_u64(*seed),
                    shape,
                    pools,
                }
                .document();
                serde_json::to_vec(
                    &json!({"query": query, "variables": variables, "operationName": name}),
                )
                .unwrap()
            }
        }
    }
}

fn requests() -> BoxedStrategy<Request> {
    let variables = prop_oneof![
        Just(json!({})),
        Just(json!({"v": true})),
        Just(json!({"x": ["1", "2"]})),
        Just(json!([1, 2])),
        Just(json!("v")),
    ];
    let name = prop_oneof![9 => Just(None), 1 => "[A-Z][a-z]{0,8}".prop_map(Some)];
    let graphql =
        (any::<u64>(), variables, name).prop_map(|(seed, variables, name)| Body::Document {
            seed,
            variables,
            name,
        });
    let bytes = prop::collection::vec(any::<u8>(), 0..512).prop_map(Body::Bytes);
    let json_like =
        any::<String>().prop_map(|s| Body::Bytes(format!("{{\"query\": {s}}}").into_bytes()));
    (
        prop_oneof![6 => graphql, 2 => bytes, 1 => json_like],
        0..6usize,
        any::<bool>(),
    )
        .prop_map(|(body, caller, accept_graphql_response)| Request {
            body,
            caller,
            accept_graphql_response,
        })
        .boxed()
}

/// Sends one request and checks the answer; returns whether it reached the resolvers.
async fn check(
    app: &TestApp,
    tokens: &[Option<String>],
    request: &Request,
    body: Vec<u8>,
) -> Result<bool, String> {
    let mut http = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body);
    if request.accept_graphql_response {
        http = http.header("accept", "application/graphql-response+json");
    }
    if let Some(token) = &tokens[request.caller] {
        http = http.bearer_auth(token);
    }
    let response = http.send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    let body: Value =
        serde_json::from_str(&text).map_err(|e| format!("{status}: not JSON ({e}): {text}"))?;
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    if body.get("data").is_none() && errors.is_empty() {
        return Err(format!("{status}: neither data nor errors: {body}"));
    }
    for error in &errors {
        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
        if !CODES.contains(&code) {
            return Err(format!("{status}: unknown code {code}: {body}"));
        }
        if code == "INTERNAL" {
            return Err(format!(
                "{status}: INTERNAL for a request that broke nothing: {body}"
            ));
        }
    }
    if status.is_server_error() {
        return Err(format!("{status}: {body}"));
    }
    // Execution began: there is data, or an error on a field's path.
    Ok(body.get("data").is_some_and(|d| !d.is_null())
        || errors.iter().any(|e| e.get("path").is_some()))
}

/// A department, firms with a broker, and a published policy for the documents to find.
async fn seed(app: &TestApp) -> Pools {
    create_departments(app, &[("SZ-COMMERCE", Some("440300"))]).await;
    let usccs: Vec<String> = (1..=3).map(|n| uscc("440300", n)).collect();
    let mut firms: Vec<Value> = usccs.iter().map(|u| firm_input(u, "440300")).collect();
    firms[0]["brokers"] = json!([usccs[1]]);
    sync_firms(app, json!(firms)).await;
    let policy = create_policy(app, policy_input("FUZZ-1", "SZ-COMMERCE", "Fuzzing"), true).await;
    let draft = create_policy(app, policy_input("FUZZ-2", "SZ-COMMERCE", "Draft"), false).await;
    let mut all_usccs = usccs.clone();
    all_usccs.extend(["91440300MA5XXXXXX0".to_owned(), String::new()]);
    Pools {
        ids: vec![
            policy.to_string(),
            draft.to_string(),
            uuid::Uuid::now_v7().to_string(),
            "not-an-id".to_owned(),
            String::new(),
        ],
        usccs: all_usccs,
        strings: vec![
            String::new(),
            "SZ-COMMERCE".to_owned(),
            "440300".to_owned(),
            "999999".to_owned(),
            "CN".to_owned(),
            "8501".to_owned(),
            "x".repeat(5_000),
            "'; DROP TABLE firm; --".to_owned(),
            "\u{0}nul\u{0}".to_owned(),
            "深圳市".to_owned(),
            "https://example.gov.cn/notice.pdf".to_owned(),
        ],
    }
}

#[test]
fn arbitrary_bytes_and_documents_never_crash_or_answer_5xx() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let pools = runtime.block_on(seed(&app));
    let tokens = [
        None,
        Some(admin()),
        Some(system()),
        Some(firm(&pools.usccs[0])),
        Some(broker(&pools.usccs[1])),
        Some(department("SZ-COMMERCE")),
    ];
    let shape = Shape::load();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        // CI replays the same 2,000 requests; FUZZ_RANDOM=1 explores new ones.
        rng_seed: if std::env::var_os("FUZZ_RANDOM").is_some() {
            RngSeed::Random
        } else {
            RngSeed::Fixed(FIXED_SEED)
        },
        ..Config::default()
    });
    let executed = std::cell::Cell::new(0_u32);
    let outcome = runner.run(&requests(), |request| {
        let body = request.body.bytes(&shape, &pools);
        let sent: String = String::from_utf8_lossy(&body).chars().take(2_000).collect();
        let ran = runtime
            .block_on(check(&app, &tokens, &request, body))
            .map_err(|failure| TestCaseError::fail(format!("{failure}\nsent: {sent}")))?;
        executed.set(executed.get() + u32::from(ran));
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // Documents that only ever failed to parse would prove little.
    eprintln!("{} of {CASES} requests executed", executed.get());
    assert!(
        executed.get() >= CASES / 5,
        "only {} executed",
        executed.get()
    );
    // Still serving afterwards.
    let alive = runtime.block_on(async {
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(alive, 200);
    drop(runtime.enter());
    runtime.block_on(async move { drop(app) });
}
