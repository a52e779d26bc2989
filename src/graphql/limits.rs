//! Limits on the shape of a document that depth and complexity do not see: how many aliases it
//! uses and how many root fields an operation selects. Checked right after parsing, before
//! validation and execution.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Positioned, ServerError, ServerResult, Variables};

use crate::error::code;

/// The largest number of aliases in a document and of root fields in one operation, and whether
/// the schema may be introspected.
#[derive(Clone, Copy, Debug)]
pub struct ShapeLimits {
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub introspection: bool,
}

impl ExtensionFactory for ShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ShapeLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        self.check(&document)?;
        Ok(document)
    }
}

impl ShapeLimits {
    fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let fragments = document
            .fragments
            .values()
            .map(|fragment| &fragment.node.selection_set);
        let operations = document
            .operations
            .iter()
            .map(|(_, operation)| &operation.node.selection_set);
        let aliases: usize = operations.clone().chain(fragments).map(aliases_in).sum();
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the document uses {aliases} aliases; at most {} are accepted",
                self.max_aliases
            )));
        }
        for root in operations {
            let mut fields = Vec::new();
            root_fields(document, root, &mut HashSet::new(), &mut fields);
            if fields.len() > self.max_root_fields {
                return Err(too_complex(format!(
                    "an operation selects {} root fields; at most {} are accepted",
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
/// (each fragment once: a cycle is for validation to report).
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
mod tests {
    use super::*;

    const LIMITS: ShapeLimits = ShapeLimits {
        max_aliases: 2,
        max_root_fields: 3,
        introspection: false,
    };

    fn check(query: &str) -> Result<(), String> {
        let document = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        LIMITS.check(&document).map_err(|e| e.message)
    }

    #[test]
    fn aliases_are_counted_everywhere_in_the_document() {
        assert!(check("{ a: me { role } b: me { role } }").is_ok());
        let nested = "{ a: me { r: role } b: me { role } }";
        assert!(
            check(nested)
                .err()
                .unwrap_or_default()
                .contains("3 aliases")
        );
        let in_fragment = "{ a: me { ...F } b: me { role } } fragment F on Viewer { r: role }";
        assert!(
            check(in_fragment)
                .err()
                .unwrap_or_default()
                .contains("3 aliases")
        );
    }

    #[test]
    fn root_fields_are_counted_through_fragments_at_the_root() {
        assert!(check("{ me { role } regions { code } policies { totalCount } }").is_ok());
        let spread = "{ me { role } ...R } fragment R on Query { regions { code } a: me { role } b: me { role } }";
        assert!(
            check(spread)
                .err()
                .unwrap_or_default()
                .contains("4 root fields")
        );
        let inline =
            "{ me { role } ... on Query { regions { code } x: me { role } y: me { role } } }";
        assert!(
            check(inline)
                .err()
                .unwrap_or_default()
                .contains("4 root fields")
        );
        let cycle = "{ ...A } fragment A on Query { me { role } ...A }";
        assert!(check(cycle).is_ok(), "a cycle is counted once");
    }

    #[test]
    fn introspection_is_refused_by_name_when_off_wherever_it_hides() {
        for query in [
            "{ __schema { queryType { name } } }",
            "{ t: __type(name: \"Query\") { name } }",
            "{ ...F } fragment F on Query { __schema { types { name } } }",
        ] {
            let refused = check(query).err().unwrap_or_default();
            assert!(
                refused.contains("introspection is turned off"),
                "{query}: {refused}"
            );
        }
        assert!(
            check("{ me { __typename } }").is_ok(),
            "__typename is not introspection"
        );
        let open = ShapeLimits {
            introspection: true,
            ..LIMITS
        };
        let document = async_graphql::parser::parse_query("{ __schema { types { name } } }");
        assert!(open.check(&document.expect("parses")).is_ok());
    }
}
