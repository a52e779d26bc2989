use super::*;

const LIMITS: Limits = Limits {
    max_document_bytes: 1 << 20,
    max_tokens: 1 << 20,
    max_nesting: 12,
    max_fields: 50,
    max_depth: 6,
    max_complexity: 1_000,
    max_aliases: 2,
    max_root_fields: 3,
    introspection: false,
};

fn check_with(limits: &Limits, query: &str) -> Result<(), (String, String)> {
    limits.admit(Request::new(query)).map(|_| ()).map_err(|e| {
        let code = e
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .map(|c| c.to_string())
            .unwrap_or_default();
        (code, e.message)
    })
}

fn check(query: &str) -> Result<(), String> {
    check_with(&LIMITS, query).map_err(|(_, message)| message)
}

fn refusal(query: &str) -> String {
    check(query)
        .err()
        .unwrap_or_else(|| panic!("admitted: {query}"))
}

/// `count` fragments, each spreading the next `fan` times; the last selects one field.
fn fragment_bomb(count: usize, fan: usize) -> String {
    let mut document = String::from("{ ...F0 }");
    for i in 0..count {
        let body = if i + 1 == count {
            "__typename".to_owned()
        } else {
            format!("...F{} ", i + 1).repeat(fan)
        };
        document.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
    }
    document
}

#[test]
fn aliases_are_counted_everywhere_in_the_document() {
    assert!(check("{ a: me { role } b: me { role } }").is_ok());
    let nested = "{ a: me { r: role } b: me { role } }";
    assert!(refusal(nested).contains("3 aliases"));
    let in_fragment = "{ a: me { ...F } b: me { role } } fragment F on Viewer { r: role }";
    assert!(refusal(in_fragment).contains("3 aliases"));
}

#[test]
fn root_fields_are_counted_through_fragments_at_the_root() {
    assert!(check("{ me { role } regions { code } policies { totalCount } }").is_ok());
    let spread = "{ me { role } ...R } fragment R on Query { regions { code } a: me { role } b: me { role } }";
    assert!(refusal(spread).contains("4 root fields"));
    let inline = "{ me { role } ... on Query { regions { code } x: me { role } y: me { role } } }";
    assert!(refusal(inline).contains("4 root fields"));
}

#[test]
fn introspection_is_refused_by_name_when_off_wherever_it_hides() {
    for query in [
        "{ __schema { queryType { name } } }",
        "{ t: __type(name: \"Query\") { name } }",
        "{ ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let (code, message) = check_with(&LIMITS, query).unwrap_err();
        assert!(message.contains("introspection is turned off"), "{query}");
        assert_eq!(code, "\"FORBIDDEN\"");
    }
    assert!(
        check("{ me { __typename } }").is_ok(),
        "__typename is not introspection"
    );
    let open = Limits {
        introspection: true,
        ..LIMITS
    };
    assert!(check_with(&open, "{ __schema { types { name } } }").is_ok());
}

#[test]
fn a_fragment_bomb_is_refused_by_its_expanded_size_without_expanding_it() {
    // 10^9 fields once expanded, from a document of a few hundred bytes.
    let bomb = fragment_bomb(10, 10);
    let (code, message) = check_with(&LIMITS, &bomb).unwrap_err();
    assert_eq!(code, "\"QUERY_TOO_COMPLEX\"");
    assert!(message.contains("graphql_max_fields"), "{message}");
    // 10^99, within a nesting limit that lets the chain through: refused on the size alone.
    let deep = Limits {
        max_nesting: 200,
        ..LIMITS
    };
    let (_, message) = check_with(&deep, &fragment_bomb(100, 10)).unwrap_err();
    assert!(message.contains("graphql_max_fields"), "{message}");
    // The same shape small enough: 2^4 = 16 fields.
    assert!(check(&fragment_bomb(5, 2)).is_ok());
}

#[test]
fn fields_are_counted_where_each_fragment_is_spread() {
    let fields = |n: usize| format!("role {}", "__typename ".repeat(n - 1));
    let spread_twice = |n: usize| {
        format!(
            "{{ a: me {{ ...V }} b: me {{ ...V }} }} fragment V on Viewer {{ {} }}",
            fields(n)
        )
    };
    // Two `me` and two copies of V: 2 + 2 × 24 = 50.
    assert!(check(&spread_twice(24)).is_ok());
    assert!(refusal(&spread_twice(25)).contains("more than 50 fields"));
}

#[test]
fn a_fragment_no_operation_spreads_still_counts() {
    let unused = format!(
        "{{ me {{ role }} }} fragment U on Query {{ {} }}",
        "__typename ".repeat(49)
    );
    assert!(refusal(&unused).contains("graphql_max_fields"));
}

#[test]
fn depth_counts_fields_through_fragments() {
    let at = "{ departments { ...D } } fragment D on Department { region { parent { parent { parent { code } } } } }";
    assert!(check(at).is_ok());
    let over = "{ departments { ...D } } fragment D on Department { region { parent { parent { parent { parent { code } } } } } }";
    assert!(refusal(over).contains("graphql_max_depth"));
}

#[test]
fn a_chain_of_fragments_deeper_than_the_nesting_limit_is_refused_without_recursing_it() {
    // Each fragment spreads the next once: no text nesting, but 10,000 levels once expanded.
    let mut chain = String::from("{ ...F0 }");
    for i in 0..10_000 {
        chain.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
    }
    chain.push_str(" fragment F10000 on Query { __typename }");
    assert!(refusal(&chain).contains("graphql_max_nesting"));
}

#[test]
fn a_fragment_measured_once_is_held_to_the_limit_wherever_else_it_is_spread() {
    // A is two levels deep. Spread at the top it fits; under 11 inline fragments (12 levels of
    // text, within the limit) it would reach 14.
    let wrap = |inner: &str, times: usize| {
        let mut text = inner.to_owned();
        for _ in 0..times {
            text = format!("... on Query {{ {text} }}");
        }
        text
    };
    let a = "fragment A on Query { ... on Query { ... on Query { __typename } } }";
    assert!(check(&format!("{{ ...A {} }} {a}", wrap("__typename", 9))).is_ok());
    let deep = format!("{{ ...A {} }} {a}", wrap("...A", 11));
    assert!(refusal(&deep).contains("graphql_max_nesting"));
}

#[test]
fn a_fragment_that_spreads_itself_is_bad_input_and_a_shared_one_is_not() {
    for cycle in [
        "{ ...A } fragment A on Query { me { role } ...A }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { me { role } ...A }",
    ] {
        let (code, message) = check_with(&LIMITS, cycle).unwrap_err();
        assert_eq!(code, "\"BAD_USER_INPUT\"");
        assert!(message.contains("spreads itself"), "{message}");
    }
    let diamond = "{ ...A } fragment A on Query { ...B ...C } fragment B on Query { ...D } \
                   fragment C on Query { ...D } fragment D on Query { me { role } }";
    assert!(check(diamond).is_ok());
}

#[test]
fn text_nested_past_the_limit_is_refused_before_it_is_parsed() {
    // Deep enough to overflow a recursive parser's stack.
    let deep_object = format!(
        "{{ audienceEstimate(eligibility: {}1{}) {{ firms }} }}",
        "{a: ".repeat(100_000),
        "}".repeat(100_000)
    );
    let deep_list = format!(
        "{{ audienceEstimate(eligibility: {}1{}) {{ firms }} }}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    for document in [deep_object, deep_list] {
        let (code, message) = check_with(&LIMITS, &document).unwrap_err();
        assert_eq!(code, "\"QUERY_TOO_COMPLEX\"");
        assert!(message.contains("graphql_max_nesting"), "{message}");
    }
}

#[test]
fn json_nested_past_the_limit_is_refused_and_its_envelope_is_allowed_for() {
    let variables = |levels: usize| {
        format!(
            r#"{{"query": "{{ me {{ role }} }}", "variables": {}1{}}}"#,
            r#"{"a": "#.repeat(levels),
            "}".repeat(levels)
        )
    };
    assert!(LIMITS.check_json(variables(12).as_bytes(), 1).is_ok());
    let refused = LIMITS.check_json(variables(13).as_bytes(), 1).unwrap_err();
    assert!(refused.message.contains("graphql_max_nesting"));
}

#[test]
fn a_document_over_its_size_in_bytes_or_tokens_is_refused_before_it_is_parsed() {
    let small = Limits {
        max_document_bytes: 40,
        max_tokens: 8,
        ..LIMITS
    };
    assert!(check_with(&small, "{ me { role } }").is_ok());
    let (code, message) =
        check_with(&small, &format!("{{ me {{ role }} }} # {}", "x".repeat(30))).unwrap_err();
    assert_eq!(code, "\"QUERY_TOO_COMPLEX\"");
    assert!(message.contains("graphql_max_document_bytes"), "{message}");
    let (_, message) = check_with(&small, "{ me { role subject } regions { code } }").unwrap_err();
    assert!(message.contains("graphql_max_tokens"), "{message}");
}

#[test]
fn a_spread_of_an_undefined_fragment_is_refused_before_anything_expands_it() {
    // Ten levels, each spreading the one below three times, the bottom one spreading a fragment
    // that does not exist: nothing to count, but 3^10 spreads to walk.
    let mut document = String::from("{ ...F10 } fragment F0 on Query { ...Missing }");
    for i in 1..=10 {
        document.push_str(&format!(
            " fragment F{i} on Query {{ ...F{p} ...F{p} ...F{p} }}",
            p = i - 1
        ));
    }
    let (code, message) = check_with(&LIMITS, &document).unwrap_err();
    assert_eq!(code, "\"BAD_USER_INPUT\"");
    assert!(
        message.contains("unknown fragment \"Missing\""),
        "{message}"
    );
}
