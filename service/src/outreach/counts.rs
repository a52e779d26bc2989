//! The reach figures of one policy as counted, before they are shaped for GraphQL.

use std::collections::BTreeMap;

use super::{Channel, Response};

/// One day of the series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Day {
    pub deliveries: i64,
    pub newly_reached: i64,
    pub acknowledgements: i64,
}

/// The figures that do not depend on the audience.
#[derive(Clone, Debug, Default)]
pub struct FunnelCounts {
    pub reached: i64,
    pub acknowledged: i64,
    pub acknowledged_by_firm: i64,
    /// (channel, firms reached on it, firms that answered on it), channels with any.
    pub by_channel: Vec<(Channel, i64, i64)>,
    /// Firms by their latest response.
    pub responses: Vec<(Response, i64)>,
    /// Per prefecture: (firms reached, firms that answered).
    pub by_region: BTreeMap<String, (i64, i64)>,
    /// Of the firms reached and those that answered, how many the funnel rows flag as in the
    /// policy's kept audience (all time only: counted right after the audience is kept).
    pub reached_in_audience: i64,
    pub acknowledged_in_audience: i64,
    /// The median hours from first delivery to first acknowledgement, when the pass that counted
    /// took it (over all time, when it was asked).
    pub median_hours_to_acknowledge: Option<Median>,
}

/// A median as counted: none when no firm answered after it was reached.
#[derive(Clone, Copy, Debug)]
pub struct Median(pub Option<f64>);

/// The figures that do.
#[derive(Clone, Debug, Default)]
pub struct AudienceCounts {
    pub audience: i64,
    pub reached_in_audience: i64,
    pub acknowledged_in_audience: i64,
    /// Audience per prefecture.
    pub by_region: BTreeMap<String, i64>,
}

/// (prefecture, audience, reached, acknowledged), largest audience first: reached and acknowledged
/// count every firm, in the audience or not, as the totals do.
pub fn by_region(audience: &AudienceCounts, funnel: &FunnelCounts) -> Vec<(String, i64, i64, i64)> {
    let mut regions: BTreeMap<&str, (i64, i64, i64)> = BTreeMap::new();
    for (region, firms) in &audience.by_region {
        regions.entry(region).or_default().0 = *firms;
    }
    for (region, (reached, acknowledged)) in &funnel.by_region {
        let entry = regions.entry(region).or_default();
        entry.1 = *reached;
        entry.2 = *acknowledged;
    }
    let mut rows: Vec<(String, i64, i64, i64)> = regions
        .into_iter()
        .map(|(r, (a, re, ac))| (r.to_owned(), a, re, ac))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    rows
}
