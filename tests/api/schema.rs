#[test]
fn the_committed_schema_is_the_one_the_code_serves() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the top of the repository");
    let generated = policy_outreach::schema::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- export-schema --output schema.graphql`"
    );
}
