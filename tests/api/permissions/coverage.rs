//! Every path to firm data in the schema has permission cells.

use std::collections::BTreeSet;

/// Every field of the schema that leads to firm-specific data (a firm's profile, its answers,
/// its deliveries, its matches, reach figures), and the test that checks it for every caller.
/// A new path fails this test until it is added to a matrix above. `Policy` is not here: no
/// field of a policy leads to any firm.
const PATHS_TO_FIRM_DATA: [(&str, &str); 24] = [
    (
        "Query.firm",
        "every_read_…: firm(uscc: C), the caller's own profile",
    ),
    (
        "Query.applicablePolicies",
        "every_read_…: applicablePolicies",
    ),
    ("Query.myPolicies", "every_read_…: myPolicies"),
    ("Query.eligibility", "every_read_…: eligibility"),
    (
        "Query.outreach",
        "every_read_…: outreach; no_nested_…: figures name no firm",
    ),
    (
        "Query.unreachedFirms",
        "every_read_…: unreachedFirms; the CSV export",
    ),
    ("Query.brokerLeverage", "every_read_…: brokerLeverage"),
    (
        "Mutation.acknowledgePolicy",
        "every_write_…: acknowledgePolicy",
    ),
    ("Viewer.firm", "no_nested_…: me.firm.*"),
    ("Firm.brokers", "no_nested_…: *.brokers.*"),
    (
        "Firm.acknowledgements",
        "every_read_…, no_nested_…: *.acknowledgements",
    ),
    (
        "Acknowledgement.firm",
        "no_nested_…: acknowledgements.node.firm",
    ),
    (
        "PolicyMatch.acknowledgement",
        "every_read_…, no_nested_…: applicablePolicies",
    ),
    (
        "PolicyMatch.delivery",
        "every_read_…: applicablePolicies (the filer's own)",
    ),
    ("BrokerReach.broker", "no_nested_…: brokerLeverage.broker.*"),
    (
        "Query.deliveries",
        "deliveries::only_issuers_system_and_admin_read_a_policys_deliveries",
    ),
    (
        "Firm.deliveries",
        "deliveries::a_firm_reads_its_own_deliveries_of_every_policy",
    ),
    (
        "Delivery.firm",
        "deliveries::only_issuers_…: a department sees who, not the profile",
    ),
    (
        "Delivery.broker",
        "deliveries::deliveries_are_filtered_paged_and_counted (summary only)",
    ),
    (
        "Query.needs",
        "needs::only_issuers_system_and_admin_read_needs",
    ),
    (
        "Query.departmentNeeds",
        "needs::only_issuers_…: its own department, or the one SYSTEM and ADMIN name",
    ),
    (
        "Needs.entries",
        "needs::only_issuers_…: reached through needs and departmentNeeds only",
    ),
    (
        "NeedEntry.firm",
        "needs::terms_are_counted_…: uscc, name, region",
    ),
    (
        "Subscription.inboxChanged",
        "subscriptions::the_inbox_is_the_signed_in_firms_and_nobody_elses",
    ),
];

/// `(Type.field, return type)` of every field of every object type in `sdl`.
fn fields(sdl: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let (mut owner, mut in_description) = (None::<String>, false);
    for line in sdl.lines().map(str::trim) {
        if line.starts_with("\"\"\"") {
            let one_line = line.len() > 3 && line.ends_with("\"\"\"");
            if !one_line {
                in_description = !in_description;
            }
            continue;
        }
        if in_description || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("type ") {
            owner = rest.split_whitespace().next().map(str::to_owned);
            continue;
        }
        if line.starts_with('}') {
            owner = None;
            continue;
        }
        let Some(owner) = &owner else { continue };
        let name_end = line.find(['(', ':']).unwrap_or(line.len());
        let after_arguments = line.rfind(')').map_or(0, |i| i + 1);
        let Some(colon) = line[after_arguments..].find(':') else {
            continue;
        };
        let returns = line[after_arguments + colon + 1..].trim();
        found.push((format!("{owner}.{}", &line[..name_end]), returns.to_owned()));
    }
    found
}

#[test]
fn every_path_to_firm_data_in_the_schema_is_covered_by_the_matrix() {
    let sensitive = [
        "Firm",
        "Acknowledgement",
        "Delivery",
        "PolicyMatch",
        "BrokerReach",
        "Outreach",
        "EligibilityResult",
        "Needs",
        "NeedEntry",
    ];
    let paths: BTreeSet<String> = fields(&policy_outreach::schema::sdl())
        .into_iter()
        .filter(|(path, _)| {
            let owner = path.split('.').next().unwrap_or_default();
            !owner.ends_with("Connection") && !owner.ends_with("Edge")
        })
        .filter(|(_, returns)| {
            let base = returns.trim_matches(|c| matches!(c, '[' | ']' | '!'));
            sensitive.contains(&base.trim_end_matches("Connection"))
        })
        .map(|(path, _)| path)
        .collect();
    let covered: BTreeSet<String> = PATHS_TO_FIRM_DATA
        .iter()
        .map(|(path, _)| (*path).to_owned())
        .collect();
    assert!(
        paths.contains("Query.firm"),
        "the schema was read: {paths:?}"
    );
    assert_eq!(
        paths, covered,
        "a path to firm data without permission cells"
    );
}
