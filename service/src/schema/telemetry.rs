//! Names each request after its GraphQL operation: the caller's name (or the first root field) on
//! the request's span for the logs, and `query policies`-style labels for the request's note, which
//! the metrics use. Labels name only fields that passed validation, so no caller can invent one.

use async_graphql::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
};

/// The label of a request that did not parse or validate.
pub const INVALID: &str = "invalid";

/// What a parsed document is named: `span` for the logs (the caller's operation name, else the
/// first root field) and `label` for the request's note and the metrics (always the first root
/// field, which validation checks exists, so no caller can invent one).
pub struct Operation {
    pub span: String,
    pub label: String,
}

/// The document's operation, read without running anything. A request's span records it at once;
/// its note takes the label only once the request has validated (else [`INVALID`]). Read outside
/// the schema's extensions: any extension sends every field of every response through its hooks.
pub fn operation(document: &ExecutableDocument) -> Option<Operation> {
    let (name, operation) = first_operation(document)?;
    let field = first_field(operation);
    let kind = kind(operation);
    let named = name.or(field).unwrap_or("anonymous");
    Some(Operation {
        span: format!("{kind} {named}"),
        label: format!("{kind} {}", field.unwrap_or("fragment")),
    })
}

fn first_operation(
    document: &ExecutableDocument,
) -> Option<(Option<&str>, &Positioned<OperationDefinition>)> {
    match &document.operations {
        DocumentOperations::Single(op) => Some((None, op)),
        DocumentOperations::Multiple(ops) => ops
            .iter()
            .next()
            .map(|(name, op)| (Some(name.as_str()), op)),
    }
}

fn kind(operation: &Positioned<OperationDefinition>) -> &'static str {
    match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    }
}

fn first_field(operation: &Positioned<OperationDefinition>) -> Option<&str> {
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .find_map(|item| match &item.node {
            Selection::Field(field) => Some(field.node.name.node.as_str()),
            _ => None,
        })
}
