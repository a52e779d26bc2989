//! What one request may make the service do, checked before anything recursive or expensive runs:
//! how deep its text nests (before parsing), then, on the parsed document, how many fields it
//! expands to with its fragments, how deep its selections go, how many aliases and root fields it
//! uses, and whether it reads the schema. Complexity, which needs the schema's list costs, is
//! checked on what validation computed. Every refusal names its limit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensionValues, Positioned, Request, ServerError, ServerResult, ValidationResult,
};

use super::lexical::{Over, scan};
use crate::config::Settings;
use crate::error::code;

/// The limits of one schema, from the settings.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes of a document's text; large values travel as variables, which parse far cheaper.
    pub max_document_bytes: usize,
    /// Tokens of a document's text: names, numbers, strings and punctuators.
    pub max_tokens: usize,
    /// Levels of `{`, `[` and `(` in a document's text, and of objects and lists in its
    /// variables; levels of selection sets, fragments included, in the parsed document.
    pub max_nesting: usize,
    /// Fields of a document with every fragment expanded where it is spread.
    pub max_fields: usize,
    /// Fields nested in fields, fragments expanded.
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub introspection: bool,
}

impl Limits {
    pub fn new(settings: &Settings) -> Limits {
        Limits {
            max_document_bytes: settings.graphql_max_document_bytes,
            max_tokens: settings.graphql_max_tokens,
            max_nesting: settings.graphql_max_nesting,
            max_fields: settings.graphql_max_fields,
            max_depth: settings.graphql_max_depth,
            max_complexity: settings.graphql_max_complexity,
            max_aliases: settings.graphql_max_aliases,
            max_root_fields: settings.graphql_max_root_fields,
            introspection: settings.graphql_introspection,
        }
    }

    /// Refuses JSON text (a request body, GET variables) that nests deeper than the limit allows
    /// the variables to, `envelope` levels above them.
    pub fn check_json(&self, json: &[u8], envelope: usize) -> ServerResult<()> {
        if scan(json, self.max_nesting + envelope, usize::MAX).is_err() {
            return Err(too_complex(format!(
                "the variables nest more than {} levels of objects and lists (graphql_max_nesting)",
                self.max_nesting
            )));
        }
        Ok(())
    }

    /// Checks the text of `request`, parses it, checks the document, and keeps it parsed for
    /// execution.
    pub fn admit(&self, mut request: Request) -> ServerResult<Request> {
        if request.query.len() > self.max_document_bytes {
            return Err(too_complex(format!(
                "the document is {} bytes; at most {} are accepted: send large values as \
                 variables (graphql_max_document_bytes)",
                request.query.len(),
                self.max_document_bytes
            )));
        }
        match scan(request.query.as_bytes(), self.max_nesting, self.max_tokens) {
            Ok(()) => {}
            Err(Over::Nesting) => return Err(self.too_nested()),
            Err(Over::Tokens) => {
                return Err(too_complex(format!(
                    "the document has more than {} tokens (names, values and punctuation): \
                     send large values as variables (graphql_max_tokens)",
                    self.max_tokens
                )));
            }
        }
        let document = request.parsed_query()?;
        self.check(document)?;
        Ok(request)
    }

    /// Checks a parsed document against every limit but complexity.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let fields = Measure::new(document, self).document()?;
        if fields > self.max_fields {
            return Err(self.too_many_fields());
        }
        let operations = document
            .operations
            .iter()
            .map(|(_, operation)| &operation.node.selection_set);
        let fragments = document
            .fragments
            .values()
            .map(|fragment| &fragment.node.selection_set);
        let aliases: usize = operations.clone().chain(fragments).map(aliases_in).sum();
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the document uses {aliases} aliases; at most {} are accepted (graphql_max_aliases)",
                self.max_aliases
            )));
        }
        for root in operations {
            let mut fields = Vec::new();
            root_fields(document, root, &mut HashSet::new(), &mut fields);
            if fields.len() > self.max_root_fields {
                return Err(too_complex(format!(
                    "an operation selects {} root fields; at most {} are accepted (graphql_max_root_fields)",
                    fields.len(),
                    self.max_root_fields
                )));
            }
            // Without this, a disabled `__schema` would answer null as if the schema were empty.
            if !self.introspection && fields.iter().any(|name| INTROSPECTION.contains(name)) {
                return Err(refused(
                    code::FORBIDDEN,
                    "introspection is turned off on this server".to_owned(),
                ));
            }
        }
        Ok(())
    }

    fn too_nested(&self) -> ServerError {
        too_complex(format!(
            "the document nests more than {} levels of selections, arguments, input objects, \
             lists and fragments (graphql_max_nesting)",
            self.max_nesting
        ))
    }

    fn too_many_fields(&self) -> ServerError {
        too_complex(format!(
            "the document selects more than {} fields once its fragments are expanded \
             (graphql_max_fields)",
            self.max_fields
        ))
    }

    fn too_deep(&self) -> ServerError {
        too_complex(format!(
            "the document nests fields more than {} deep, fragments included (graphql_max_depth)",
            self.max_depth
        ))
    }
}

/// Checks depth and complexity on what validation computed, so these refusals carry the code and
/// the limit's name like the others.
impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Limits {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > self.max_depth {
            return Err(vec![self.too_deep()]);
        }
        if result.complexity > self.max_complexity {
            return Err(vec![too_complex(format!(
                "the query's complexity is {}; at most {} is accepted: ask for fewer fields or \
                 smaller pages (graphql_max_complexity)",
                result.complexity, self.max_complexity
            ))]);
        }
        Ok(result)
    }
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

/// Measures a document once: each fragment is measured the first time it is spread and its size
/// reused wherever else it is, so a document that would expand exponentially costs its length.
/// The walk refuses as soon as a limit is passed, so it never recurses deeper than the nesting
/// limit.
struct Measure<'a> {
    document: &'a ExecutableDocument,
    limits: &'a Limits,
    measured: HashMap<&'a str, Size>,
    /// The fragments being measured: spreading one of them again is a cycle.
    open: Vec<&'a str>,
}

impl<'a> Measure<'a> {
    fn new(document: &'a ExecutableDocument, limits: &'a Limits) -> Self {
        Measure {
            document,
            limits,
            measured: HashMap::new(),
            open: Vec::new(),
        }
    }

    /// The fields of every operation and of every fragment no operation spreads (validation
    /// visits those too).
    fn document(mut self) -> ServerResult<usize> {
        let mut fields = 0usize;
        for (_, operation) in self.document.operations.iter() {
            fields = fields.saturating_add(self.set(&operation.node.selection_set.node, 0)?.fields);
            if fields > self.limits.max_fields {
                return Err(self.limits.too_many_fields());
            }
        }
        for name in self.document.fragments.keys() {
            if !self.measured.contains_key(name.as_str()) {
                fields = fields.saturating_add(self.fragment(name.as_str(), 1)?.fields);
            }
        }
        Ok(fields)
    }

    /// A selection set at `level` selection sets below its operation.
    fn set(&mut self, set: &'a SelectionSet, level: usize) -> ServerResult<Size> {
        if level > self.limits.max_nesting {
            return Err(self.limits.too_nested());
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
            if size.fields > self.limits.max_fields {
                return Err(self.limits.too_many_fields());
            }
            if size.depth > self.limits.max_depth {
                return Err(self.limits.too_deep());
            }
        }
        Ok(size)
    }

    /// A fragment spread at `level`: measured once, then reused.
    fn fragment(&mut self, name: &'a str, level: usize) -> ServerResult<Size> {
        if let Some(size) = self.measured.get(name) {
            if level + size.levels > self.limits.max_nesting {
                return Err(self.limits.too_nested());
            }
            return Ok(*size);
        }
        if self.open.contains(&name) {
            return Err(refused(
                code::BAD_USER_INPUT,
                format!("fragment \"{name}\" spreads itself, directly or through other fragments"),
            ));
        }
        // An unknown fragment is for validation to report.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Size::default());
        };
        self.open.push(name);
        let size = self.set(&fragment.node.selection_set.node, level)?;
        self.open.pop();
        self.measured.insert(name, size);
        Ok(size)
    }
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

/// The root fields that read the schema itself.
const INTROSPECTION: [&str; 2] = ["__schema", "__type"];

/// The names of the fields selected at the top of an operation, through fragments spread there
/// (each fragment once).
fn root_fields<'a>(
    document: &'a ExecutableDocument,
    set: &'a Positioned<SelectionSet>,
    seen: &mut HashSet<&'a str>,
    fields: &mut Vec<&'a str>,
) {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => fields.push(field.node.name.node.as_str()),
            Selection::InlineFragment(inline) => {
                root_fields(document, &inline.node.selection_set, seen, fields);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    && seen.insert(name)
                {
                    root_fields(document, &fragment.node.selection_set, seen, fields);
                }
            }
        }
    }
}

fn too_complex(message: String) -> ServerError {
    refused(code::QUERY_TOO_COMPLEX, message)
}

fn refused(code: &str, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}

#[cfg(test)]
mod tests;
