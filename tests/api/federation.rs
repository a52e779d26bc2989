//! The service as an Apollo Federation v2 subgraph: its SDL composes with a single window's own
//! subgraph (`tests/federation/single-window.graphql`) with The Guild's composition, entities
//! resolve under the permissions of every other read, and a real gateway (Hive Gateway) in front
//! of this service and a stub single-window subgraph answers one query crossing both with the
//! policies a direct `applicablePolicies` call returns, recording the same deliveries. The Node
//! tools come from `npm ci`; without them these tests say they skipped (under `CI=true` they
//! fail).

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use async_graphql::{EmptyMutation, EmptySubscription, Enum, ID, Object, SimpleObject};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::{
    TestApp, create_departments, create_policy, error_code, firm, firm_input, node_json,
    node_tools, policy_input, stored_deliveries, sync_firms, uscc,
};

const COMPOSE: &str = "tests/federation/compose.mjs";
const GATEWAY: &str = "tests/federation/gateway.mjs";
const SINGLE_WINDOW: &str = "tests/federation/single-window.graphql";

/// Composes `(name, url, sdl)` subgraphs; returns the supergraph SDL after asserting no error.
async fn compose(subgraphs: &[(&str, &str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut args = Vec::new();
    for (name, url, sdl) in subgraphs {
        let path = dir.path().join(format!("{name}.graphql"));
        std::fs::write(&path, sdl).unwrap();
        args.push(format!("{name}={url}={}", path.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = node_json(COMPOSE, &args).await;
    assert_eq!(result["errors"], json!([]), "composition failed");
    result["supergraphSdl"].as_str().unwrap().to_owned()
}

/// The lines of `sdl` from `type NAME` to the closing brace.
fn type_block<'a>(sdl: &'a str, name: &str) -> &'a str {
    let start = sdl
        .find(&format!("type {name} "))
        .unwrap_or_else(|| panic!("no type {name}"));
    let end = start + sdl[start..].find("\n}").unwrap();
    &sdl[start..end]
}

#[test]
fn the_subgraph_sdl_has_keys_and_requires_and_the_plain_schema_has_none() {
    let sdl = policy_outreach::schema::federation_sdl();
    assert!(sdl.contains("specs.apollo.dev/federation/v2"), "{sdl}");
    for (entity, key) in [
        ("Policy", "id"),
        ("Firm", "uscc"),
        ("Department", "code"),
        ("Declaration", "id"),
    ] {
        assert!(
            type_block(&sdl, entity).contains(&format!("@key(fields: \"{key}\")")),
            "{entity} keyed by {key}"
        );
    }
    let declaration = type_block(&sdl, "Declaration");
    assert!(declaration.contains("firmUscc: String! @external"));
    assert!(declaration.contains("@requires(fields: \""));
    let plain = policy_outreach::schema::sdl();
    for federation_only in [
        "_entities",
        "_service",
        "type Declaration ",
        "@key",
        "@external",
    ] {
        assert!(
            !plain.contains(federation_only),
            "the plain schema shows {federation_only}"
        );
    }
    assert!(plain.contains("schema {\n\tquery: Query\n\tmutation: Mutation\n"));
}

#[tokio::test]
async fn the_subgraph_composes_with_the_single_windows() {
    if !node_tools("@theguild/federation-composition") {
        return;
    }
    let single_window = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SINGLE_WINDOW),
    )
    .unwrap();
    let supergraph = compose(&[
        (
            "single-window",
            "http://single-window/graphql",
            &single_window,
        ),
        (
            "policy-outreach",
            "http://policy-outreach/graphql",
            &policy_outreach::schema::federation_sdl(),
        ),
    ])
    .await;
    let declaration = type_block(&supergraph, "Declaration");
    let at = declaration
        .find("\n  applicablePolicies(")
        .unwrap_or_else(|| panic!("no Declaration.applicablePolicies in {declaration}"));
    // The field, its `@join__field` arguments on the lines below it, up to the next field.
    let field = &declaration[at + 1..];
    let field = &field[..field.find(")\n  ").map_or(field.len(), |end| end + 1)];
    assert!(
        field.contains("graph: POLICY_OUTREACH") && field.contains("requires: \"firmUscc"),
        "{field}"
    );
    assert!(supergraph.contains("type Policy"));
}

/// A policy each for exports and imports, a draft, a firm and the single window's declarations.
struct World {
    app: TestApp,
    firm: String,
    published: String,
    draft: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300"))]).await;
    let firm_uscc = uscc("440305", 1);
    sync_firms(&app, json!([firm_input(&firm_uscc, "440305")])).await;
    let mut export = policy_input("FED-EXPORT", "SZ-COMMERCE", "Export insurance");
    export["eligibility"] = json!({"fact": "declaration.direction", "op": "eq", "value": "EXPORT"});
    let published = create_policy(&app, export, true).await.to_string();
    let mut us = policy_input("FED-US", "SZ-COMMERCE", "Tariff response");
    us["applyDeadline"] = json!("2099-12-31");
    us["eligibility"] = json!({"all": [
        {"fact": "declaration.country", "op": "eq", "value": "US"},
        {"fact": "declaration.hsCode", "op": "in", "value": ["8501"]}]});
    create_policy(&app, us, true).await;
    let mut import = policy_input("FED-IMPORT", "SZ-COMMERCE", "Imported equipment");
    import["eligibility"] = json!({"fact": "declaration.direction", "op": "eq", "value": "IMPORT"});
    create_policy(&app, import, true).await;
    let draft = create_policy(
        &app,
        policy_input("FED-DRAFT", "SZ-COMMERCE", "Not yet"),
        false,
    )
    .await
    .to_string();
    World {
        app,
        firm: firm_uscc,
        published,
        draft,
    }
}

const ENTITIES: &str = "query($r: [_Any!]!) { _entities(representations: $r) {
    __typename
    ... on Policy { id code }
    ... on Firm { uscc name }
    ... on Department { code name }
} }";

#[tokio::test]
async fn entities_resolve_under_the_permissions_of_every_other_read() {
    let w = world().await;
    let representations = json!({"r": [
        {"__typename": "Policy", "id": w.published},
        {"__typename": "Policy", "id": w.draft},
        {"__typename": "Firm", "uscc": w.firm},
        {"__typename": "Department", "code": "SZ-COMMERCE"},
    ]});
    let anonymous = w.app.gql(None, ENTITIES, representations.clone()).await;
    let found = &anonymous["data"]["_entities"];
    assert_eq!(found[0]["code"], "FED-EXPORT", "{anonymous}");
    assert_eq!(found[3]["code"], "SZ-COMMERCE");
    // What `policy(id)` and `firm(uscc)` refuse an anonymous caller, the entities refuse too.
    let direct = w
        .app
        .gql(
            None,
            "query($id: ID!) { policy(id: $id) { code } }",
            json!({"id": w.draft}),
        )
        .await;
    assert_eq!(found[1], direct["data"]["policy"]);
    let refused_firm = w
        .app
        .gql(
            None,
            "query($u: String!) { firm(uscc: $u) { name } }",
            json!({"u": w.firm}),
        )
        .await;
    assert_eq!(found[2], Value::Null, "an anonymous caller sees no firm");
    let errors = anonymous["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0]["path"],
        json!(["_entities", 2]),
        "the error names the refused representation, so a gateway can place it"
    );
    assert_eq!(
        errors[0]["extensions"]["code"].as_str(),
        Some(error_code(&refused_firm)),
        "refused as `firm(uscc)` refuses"
    );
    assert!(
        !errors[0]["message"]
            .as_str()
            .unwrap()
            .contains(&w.firm[..8]),
        "the refusal says nothing of the firm"
    );
    // A department sees the draft it did not issue no more than through `policy(id)`.
    let other = crate::helpers::department("GD-COMMERCE");
    let as_other = w
        .app
        .gql(
            Some(&other),
            ENTITIES,
            json!({"r": [{"__typename": "Policy", "id": w.draft}]}),
        )
        .await;
    let direct = w
        .app
        .gql(
            Some(&other),
            "query($id: ID!) { policy(id: $id) { code } }",
            json!({"id": w.draft}),
        )
        .await;
    assert_eq!(as_other["data"]["_entities"][0], direct["data"]["policy"]);
    assert_eq!(
        as_other["errors"].as_array().map(|e| e.len()),
        direct["errors"].as_array().map(|e| e.len())
    );

    // The firm itself sees its own profile.
    let own = w
        .app
        .ok(Some(&firm(&w.firm)), ENTITIES, representations)
        .await;
    assert_eq!(own["_entities"][2]["uscc"], json!(w.firm));
}

/// The single window's own subgraph, as small as the test needs: it owns `Declaration`.
mod single_window {
    use super::{Enum, HashMap, ID, Object, SimpleObject};

    #[derive(Enum, Clone, Copy, PartialEq, Eq)]
    #[graphql(name = "Direction")]
    pub enum Direction {
        Import,
        Export,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(name = "DeclarationItem")]
    pub struct Item {
        pub hs_code: String,
        pub value_usd: Option<f64>,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(name = "Declaration")]
    pub struct Declaration {
        pub id: ID,
        pub firm_uscc: String,
        pub direction: Direction,
        pub trade_mode: Option<String>,
        pub country: Option<String>,
        pub port: Option<String>,
        pub items: Vec<Item>,
    }

    pub struct Query(pub HashMap<String, Declaration>);

    #[Object(name = "Query")]
    impl Query {
        async fn declaration(&self, id: ID) -> Option<Declaration> {
            self.0.get(id.as_str()).cloned()
        }

        #[graphql(entity)]
        async fn find_declaration_by_id(&self, id: ID) -> Option<Declaration> {
            self.0.get(id.as_str()).cloned()
        }
    }
}

type SingleWindow = async_graphql::Schema<single_window::Query, EmptyMutation, EmptySubscription>;

/// Serves the stub single window's subgraph on a port of its own; returns its URL.
async fn serve_single_window(schema: SingleWindow) -> String {
    async fn graphql(
        axum::extract::State(schema): axum::extract::State<SingleWindow>,
        axum::Json(request): axum::Json<async_graphql::Request>,
    ) -> axum::Json<async_graphql::Response> {
        axum::Json(schema.execute(request).await)
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    let router = axum::Router::new()
        .route("/graphql", axum::routing::post(graphql))
        .with_state(schema);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Hive Gateway over `supergraph`, on a free port; the child dies with the handle.
async fn gateway(supergraph: &str) -> (String, tokio::process::Child, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("supergraph.graphql");
    std::fs::write(&file, supergraph).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("node")
        .arg(GATEWAY)
        .arg(&file)
        .arg(port.to_string())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs the gateway");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = Instant::now();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the gateway starts within a minute")
            .unwrap()
            .expect("the gateway printed `ready`");
        if line.trim() == "ready" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60));
    }
    (format!("http://127.0.0.1:{port}/graphql"), child, dir)
}

#[tokio::test]
async fn a_gateway_query_across_both_subgraphs_files_as_a_direct_call_does() {
    if !node_tools("@graphql-hive/gateway") || !node_tools("@theguild/federation-composition") {
        return;
    }
    let w = world().await;
    let declaration = |id: &str| single_window::Declaration {
        id: ID::from(id),
        firm_uscc: w.firm.clone(),
        direction: single_window::Direction::Export,
        trade_mode: Some("0110".to_owned()),
        country: Some("US".to_owned()),
        port: Some("5304".to_owned()),
        items: vec![single_window::Item {
            hs_code: "8501".to_owned(),
            value_usd: Some(120_000.0),
        }],
    };
    let declarations: HashMap<String, single_window::Declaration> = ["GW-1", "GW-2"]
        .into_iter()
        .map(|id| (id.to_owned(), declaration(id)))
        .collect();
    let stub = async_graphql::Schema::build(
        single_window::Query(declarations),
        EmptyMutation,
        EmptySubscription,
    )
    .enable_federation()
    .finish();
    let stub_sdl = stub.sdl_with_options(async_graphql::SDLExportOptions::new().federation());
    let stub_url = serve_single_window(stub).await;
    let supergraph = compose(&[
        ("single-window", &stub_url, &stub_sdl),
        (
            "policy-outreach",
            &w.app.url("/graphql"),
            &policy_outreach::schema::federation_sdl(),
        ),
    ])
    .await;
    let (gateway_url, _gateway, _dir) = gateway(&supergraph).await;

    // The frontend's one query, through the gateway, as the firm.
    let token = firm(&w.firm);
    let through: Value = w
        .app
        .client
        .post(&gateway_url)
        .bearer_auth(&token)
        .json(&json!({"query": "{ declaration(id: \"GW-1\") { id country
            applicablePolicies { isNew policy { code title } reasons { text } } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(through.get("errors").is_none(), "{through}");
    let matches = through["data"]["declaration"]["applicablePolicies"]
        .as_array()
        .unwrap();
    let codes: Vec<&str> = matches
        .iter()
        .map(|m| m["policy"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["FED-US", "FED-EXPORT"]);
    assert!(matches.iter().all(|m| m["isNew"] == true));

    // A direct call for the same declaration: the same policies and reasons, nothing new stored.
    let recorded = stored_deliveries(&w.app.db).await;
    let direct = w
        .app
        .ok(
            Some(&token),
            "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) {
                isNew policy { code title } reasons { text } } }",
            json!({"d": {"id": "GW-1", "firmUscc": w.firm, "direction": "EXPORT",
                         "tradeMode": "0110", "country": "US", "port": "5304",
                         "items": [{"hsCode": "8501", "valueUsd": 120000.0}]}}),
        )
        .await;
    let direct = direct["applicablePolicies"].as_array().unwrap();
    for (via_gateway, direct) in matches.iter().zip(direct) {
        assert_eq!(via_gateway["policy"], direct["policy"]);
        assert_eq!(via_gateway["reasons"], direct["reasons"]);
    }
    assert_eq!(matches.len(), direct.len());
    assert_eq!(
        stored_deliveries(&w.app.db).await.len(),
        recorded.len(),
        "the gateway's filing already recorded these presentations"
    );
    let for_gw1: Vec<_> = recorded
        .iter()
        .filter(|d| d.declaration_id == "GW-1")
        .collect();
    assert_eq!(for_gw1.len(), 2, "one delivery per policy presented");
    assert!(for_gw1.iter().all(|d| d.firm_uscc == w.firm));

    // Without a token the filing is refused as a direct one is: the subgraph says so with its
    // code, and the gateway answers no policies.
    let refused = w
        .app
        .gql(
            None,
            "query($r: [_Any!]!) { _entities(representations: $r) {
                ... on Declaration { applicablePolicies { policy { code } } } } }",
            json!({"r": [{"__typename": "Declaration", "id": "GW-2", "firmUscc": w.firm,
                          "direction": "EXPORT", "tradeMode": "0110", "country": "US",
                          "port": "5304", "items": [{"hsCode": "8501", "valueUsd": 1.0}]}]}),
        )
        .await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    assert_eq!(
        refused["errors"][0]["path"],
        json!(["_entities", 0, "applicablePolicies"])
    );
    // Two declarations in one call, the second another firm's: each answers for itself, and the
    // refusal's path names the second, where a gateway puts it.
    let representation = |id: &str, firm_uscc: &str| {
        json!({"__typename": "Declaration", "id": id, "firmUscc": firm_uscc,
               "direction": "EXPORT", "country": "US",
               "items": [{"hsCode": "8501", "valueUsd": 1.0}]})
    };
    let mixed = w
        .app
        .gql(
            Some(&token),
            "query($r: [_Any!]!) { _entities(representations: $r) {
                ... on Declaration { applicablePolicies { policy { code } } } } }",
            json!({"r": [representation("GW-3", &w.firm),
                         representation("GW-4", &uscc("440305", 2))]}),
        )
        .await;
    let answered = &mixed["data"]["_entities"];
    assert_eq!(
        answered[0]["applicablePolicies"][0]["policy"]["code"], "FED-US",
        "{mixed}"
    );
    assert_eq!(answered[1]["applicablePolicies"], Value::Null);
    let errors = mixed["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(
        errors[0]["path"],
        json!(["_entities", 1, "applicablePolicies"])
    );
    let anonymous: Value = w
        .app
        .client
        .post(&gateway_url)
        .json(&json!({"query": "{ declaration(id: \"GW-2\") { id applicablePolicies { policy { code } } } }"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["data"]["declaration"]["applicablePolicies"],
        Value::Null,
        "{anonymous}"
    );
    assert_eq!(
        anonymous["data"]["declaration"]["id"], "GW-2",
        "the single window's part of the answer stands"
    );
    // The refusal reaches the frontend with its code, on the field it refused.
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    assert_eq!(
        anonymous["errors"][0]["path"],
        json!(["declaration", "applicablePolicies"])
    );
    assert!(
        stored_deliveries(&w.app.db)
            .await
            .iter()
            .all(|d| d.declaration_id != "GW-2"),
        "a refused filing records nothing"
    );
}
