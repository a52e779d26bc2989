//! The size of a parsed document with its fragments expanded where they are spread, found without
//! expanding them: each fragment is measured once and its size reused, so a document that would
//! expand exponentially costs its own length to measure.

use std::collections::{HashMap, HashSet};

use async_graphql::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// What a document may reach before the measure stops.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Selection sets nested in one another, a fragment spread counting as one.
    pub nesting: usize,
    /// Fields, every fragment expanded where it is spread.
    pub fields: usize,
    /// Fields nested in fields.
    pub depth: usize,
}

/// Why a document cannot be measured to the end: a bound it passed, or a fragment spread that
/// cannot be expanded. Validation would refuse the last two as well, but async-graphql's own
/// walks expand spreads before it does, without remembering what they measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Nesting,
    Fields,
    Depth,
    /// This fragment spreads itself, directly or through others.
    Cycle(String),
    /// No fragment of this name is defined.
    Unknown(String),
}

/// The fields of every operation, and of every fragment no operation spreads (validation visits
/// those too), expanded; refused as soon as a bound is passed, so the walk never recurses deeper
/// than the nesting bound.
pub fn fields(document: &ExecutableDocument, bounds: Bounds) -> Result<usize, Problem> {
    Measure::new(document, bounds).document()
}

/// The size of a selection set with its fragments expanded.
#[derive(Clone, Copy, Default)]
struct Size {
    fields: usize,
    /// Fields nested in fields.
    depth: usize,
    /// Selection sets nested in it, a fragment spread counting as one.
    levels: usize,
}

/// One measure of a document: each fragment measured the first time it is spread.
struct Measure<'a> {
    document: &'a ExecutableDocument,
    bounds: Bounds,
    measured: HashMap<&'a str, Size>,
    /// The fragments being measured: spreading one of them again is a cycle.
    open: Vec<&'a str>,
}

impl<'a> Measure<'a> {
    fn new(document: &'a ExecutableDocument, bounds: Bounds) -> Self {
        Measure {
            document,
            bounds,
            measured: HashMap::new(),
            open: Vec::new(),
        }
    }

    fn document(mut self) -> Result<usize, Problem> {
        let mut fields = 0usize;
        for (_, operation) in self.document.operations.iter() {
            fields = fields.saturating_add(self.set(&operation.node.selection_set.node, 0)?.fields);
            if fields > self.bounds.fields {
                return Err(Problem::Fields);
            }
        }
        for name in self.document.fragments.keys() {
            if !self.measured.contains_key(name.as_str()) {
                fields = fields.saturating_add(self.fragment(name.as_str(), 1)?.fields);
            }
        }
        if fields > self.bounds.fields {
            return Err(Problem::Fields);
        }
        Ok(fields)
    }

    /// A selection set at `level` selection sets below its operation.
    fn set(&mut self, set: &'a SelectionSet, level: usize) -> Result<Size, Problem> {
        if level > self.bounds.nesting {
            return Err(Problem::Nesting);
        }
        let mut size = Size::default();
        for item in &set.items {
            // The item's own field (0 or 1), its selection set's size, and whether that set is a
            // level of its own (a leaf field opens none).
            let (field, inner, opens_level) = match &item.node {
                Selection::Field(field) if field.node.selection_set.node.items.is_empty() => {
                    (1, Size::default(), false)
                }
                Selection::Field(field) => (
                    1,
                    self.set(&field.node.selection_set.node, level + 1)?,
                    true,
                ),
                Selection::InlineFragment(inline) => (
                    0,
                    self.set(&inline.node.selection_set.node, level + 1)?,
                    true,
                ),
                Selection::FragmentSpread(spread) => (
                    0,
                    self.fragment(&spread.node.fragment_name.node, level + 1)?,
                    true,
                ),
            };
            size.fields = size
                .fields
                .saturating_add(inner.fields)
                .saturating_add(field);
            size.depth = size.depth.max(inner.depth + field);
            if opens_level {
                size.levels = size.levels.max(inner.levels + 1);
            }
            if size.fields > self.bounds.fields {
                return Err(Problem::Fields);
            }
            if size.depth > self.bounds.depth {
                return Err(Problem::Depth);
            }
        }
        Ok(size)
    }

    /// A fragment spread at `level`: measured once, then reused.
    fn fragment(&mut self, name: &'a str, level: usize) -> Result<Size, Problem> {
        if let Some(size) = self.measured.get(name) {
            if level + size.levels > self.bounds.nesting {
                return Err(Problem::Nesting);
            }
            return Ok(*size);
        }
        if self.open.contains(&name) {
            return Err(Problem::Cycle(name.to_owned()));
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Err(Problem::Unknown(name.to_owned()));
        };
        self.open.push(name);
        let size = self.set(&fragment.node.selection_set.node, level)?;
        self.open.pop();
        self.measured.insert(name, size);
        Ok(size)
    }
}

/// Aliased fields in the document, counted where they are written (a fragment's once).
pub fn aliases(document: &ExecutableDocument) -> usize {
    let operations = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set);
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set);
    operations.chain(fragments).map(aliases_in).sum()
}

/// Aliased fields in a selection set and everything under it (fragment spreads are counted where
/// the fragment is defined).
fn aliases_in(set: &Positioned<SelectionSet>) -> usize {
    set.node
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases_in(&field.node.selection_set)
            }
            Selection::InlineFragment(inline) => aliases_in(&inline.node.selection_set),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// The names of the fields selected at the top of an operation, through fragments spread there
/// (each fragment once). The walk follows spreads only after [`fields`] has bounded how deep they
/// chain.
pub fn root_fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a Positioned<SelectionSet>,
) -> Vec<&'a str> {
    let mut fields = Vec::new();
    collect_root_fields(document, set, &mut HashSet::new(), &mut fields);
    fields
}

fn collect_root_fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a Positioned<SelectionSet>,
    seen: &mut HashSet<&'a str>,
    fields: &mut Vec<&'a str>,
) {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => fields.push(field.node.name.node.as_str()),
            Selection::InlineFragment(inline) => {
                collect_root_fields(document, &inline.node.selection_set, seen, fields);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    && seen.insert(name)
                {
                    collect_root_fields(document, &fragment.node.selection_set, seen, fields);
                }
            }
        }
    }
}
