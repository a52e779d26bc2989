//! Names each request after its GraphQL operation: the caller's name (or the first root field) on
//! the request's span for the logs, and `query policies`-style labels for the request's note, which
//! the metrics use. Labels name only fields that passed validation, so no caller can invent one.

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Positioned, ServerError, ServerResult, ValidationResult, Variables};

use super::note::RequestNote;

/// Records the operation on the span and the request's note.
pub struct OperationName;

impl ExtensionFactory for OperationName {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationNameExtension::default())
    }
}

/// One request's: the label, known once the document parses, noted once it validates.
#[derive(Default)]
struct OperationNameExtension {
    label: Mutex<Option<String>>,
}

/// The label of a request that did not parse or validate.
pub const INVALID: &str = "invalid";

fn note(ctx: &ExtensionContext<'_>, label: String) {
    if let Some(note) = ctx.data_opt::<Arc<RequestNote>>() {
        note.operation(label);
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationNameExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = match next.run(ctx, query, variables).await {
            Ok(document) => document,
            Err(err) => {
                note(ctx, INVALID.to_owned());
                return Err(err);
            }
        };
        if let Some((name, operation)) = first_operation(&document) {
            let field = first_field(operation);
            let kind = kind(operation);
            let named = name.or(field).unwrap_or("anonymous");
            tracing::Span::current().record("operation", format!("{kind} {named}").as_str());
            *self.label.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(format!("{kind} {}", field.unwrap_or("fragment")));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await;
        let label = self
            .label
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .filter(|_| result.is_ok());
        note(ctx, label.unwrap_or_else(|| INVALID.to_owned()));
        result
    }
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
