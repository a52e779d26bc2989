//! Administrative regions (GB/T 2260): codes and their hierarchy, held in memory.

use std::collections::HashMap;

/// A GB/T 2260 code known to the catalog; only [`RegionCatalog::parse`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode([u8; 6]);

impl RegionCode {
    pub fn as_str(&self) -> &str {
        // Built only from six ASCII digits.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RegionCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Province, prefecture or county.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
}

#[derive(Debug)]
struct Entry {
    name: String,
    level: RegionLevel,
    parent: Option<RegionCode>,
}

/// Every region, held in memory: the hierarchy is consulted on every rule and filter.
#[derive(Debug, Default)]
pub struct RegionCatalog {
    entries: HashMap<RegionCode, Entry>,
}

impl RegionCatalog {
    /// Reads the tab-separated catalog the migrations ship: a header line, then code, name,
    /// level (1 province, 2 prefecture, 3 county) and parent code (empty for a province).
    pub fn from_tsv(text: &str) -> RegionCatalog {
        Self::from_rows(text.lines().skip(1).filter_map(|line| {
            let mut fields = line.split('\t');
            let (code, name, level, parent) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            Some((
                code.to_owned(),
                name.to_owned(),
                level.parse().ok()?,
                (!parent.is_empty()).then(|| parent.to_owned()),
            ))
        }))
    }

    /// A catalog of (code, name, level, parent code) rows, as the `region` table holds them.
    pub fn from_rows(rows: impl Iterator<Item = (String, String, i16, Option<String>)>) -> Self {
        let entries = rows
            .filter_map(|(code, name, level, parent)| {
                let level = match level {
                    1 => RegionLevel::Province,
                    2 => RegionLevel::Prefecture,
                    _ => RegionLevel::County,
                };
                let parent = parent.as_deref().and_then(syntax);
                Some((
                    syntax(&code)?,
                    Entry {
                        name,
                        level,
                        parent,
                    },
                ))
            })
            .collect();
        RegionCatalog { entries }
    }

    /// A code that exists, or a message saying why `text` is not one.
    pub fn parse(&self, text: &str) -> Result<RegionCode, String> {
        let code = syntax(text).ok_or_else(|| {
            format!("{text:?} is not a region code: expected six digits (GB/T 2260), like 440300")
        })?;
        if self.entries.contains_key(&code) {
            Ok(code)
        } else {
            Err(format!("{text} is not a GB/T 2260 region code"))
        }
    }

    pub fn name(&self, code: RegionCode) -> &str {
        self.entries.get(&code).map_or("", |e| e.name.as_str())
    }

    pub fn level(&self, code: RegionCode) -> RegionLevel {
        self.entries
            .get(&code)
            .map_or(RegionLevel::County, |e| e.level)
    }

    pub fn parent(&self, code: RegionCode) -> Option<RegionCode> {
        self.entries.get(&code).and_then(|e| e.parent)
    }

    /// The code itself, then its parent, up to the province.
    pub fn self_and_ancestors(&self, code: RegionCode) -> impl Iterator<Item = RegionCode> + '_ {
        std::iter::successors(Some(code), |c| self.parent(*c))
    }

    /// Whether `code` is `ancestor` or lies inside it.
    pub fn is_within(&self, code: RegionCode, ancestor: RegionCode) -> bool {
        self.self_and_ancestors(code).any(|c| c == ancestor)
    }

    /// Whether a scope of regions (empty: nationwide) covers a firm registered in `code`.
    pub fn scope_covers(&self, scope: &[RegionCode], code: RegionCode) -> bool {
        scope.is_empty() || self.self_and_ancestors(code).any(|c| scope.contains(&c))
    }

    /// The province a region belongs to (itself for a province).
    pub fn province_of(&self, code: RegionCode) -> RegionCode {
        self.self_and_ancestors(code).last().unwrap_or(code)
    }

    /// The prefecture a region belongs to (itself for a prefecture; none for a province).
    pub fn prefecture_of(&self, code: RegionCode) -> Option<RegionCode> {
        self.self_and_ancestors(code)
            .find(|c| self.level(*c) == RegionLevel::Prefecture)
    }

    /// The places a firm can be registered in a province: its counties, and prefectures that have
    /// none. Sorted, so a seeded generator picks the same ones every run.
    pub fn localities_in(&self, province: RegionCode) -> Vec<RegionCode> {
        let has_children: std::collections::HashSet<RegionCode> =
            self.entries.values().filter_map(|e| e.parent).collect();
        let mut places: Vec<RegionCode> = self
            .entries
            .iter()
            .filter(|(code, entry)| {
                entry.level != RegionLevel::Province && !has_children.contains(code)
            })
            .map(|(code, _)| *code)
            .filter(|code| self.province_of(*code) == province)
            .collect();
        places.sort();
        places
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn syntax(text: &str) -> Option<RegionCode> {
    let bytes: [u8; 6] = text.as_bytes().try_into().ok()?;
    bytes
        .iter()
        .all(u8::is_ascii_digit)
        .then_some(RegionCode(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The catalog the migrations ship, for tests elsewhere in the crate.
    pub(crate) fn shipped() -> RegionCatalog {
        RegionCatalog::from_tsv(include_str!("../../migrations/data/regions.tsv"))
    }

    fn code(catalog: &RegionCatalog, text: &str) -> RegionCode {
        catalog.parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shenzhen_districts_are_within_shenzhen_and_guangdong_but_not_guangzhou() {
        let c = shipped();
        let futian = code(&c, "440304");
        assert!(c.is_within(futian, code(&c, "440300")));
        assert!(c.is_within(futian, code(&c, "440000")));
        assert!(!c.is_within(futian, code(&c, "440100")));
        assert_eq!(c.name(futian), "福田区");
        assert_eq!(c.prefecture_of(futian), Some(code(&c, "440300")));
        assert_eq!(c.province_of(futian), code(&c, "440000"));
    }

    #[test]
    fn municipality_districts_sit_under_the_municipality() {
        let c = shipped();
        let chaoyang = code(&c, "110105");
        assert!(c.is_within(chaoyang, code(&c, "110000")));
        assert_eq!(c.province_of(chaoyang), code(&c, "110000"));
        assert_eq!(c.prefecture_of(code(&c, "110000")), None);
    }

    #[test]
    fn unknown_and_malformed_codes_are_refused_with_a_reason() {
        let c = shipped();
        assert!(
            c.parse("449999")
                .is_err_and(|e| e.contains("not a GB/T 2260"))
        );
        assert!(c.parse("44030").is_err_and(|e| e.contains("six digits")));
        assert!(c.parse("4403OO").is_err());
    }
}
