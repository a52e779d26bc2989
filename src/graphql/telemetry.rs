//! Names each request's span after its GraphQL operation, so the request's log line says what ran.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ServerResult, Variables};

/// Records `operation` (the operation's name, else its first field) on the current span.
pub struct OperationName;

impl ExtensionFactory for OperationName {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationNameExtension)
    }
}

struct OperationNameExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for OperationNameExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        tracing::Span::current().record("operation", describe(&document).as_str());
        Ok(document)
    }
}

fn describe(document: &ExecutableDocument) -> String {
    let (name, operation) = match &document.operations {
        DocumentOperations::Single(op) => (None, op),
        DocumentOperations::Multiple(ops) => match ops.iter().next() {
            Some((name, op)) => (Some(name.as_str()), op),
            None => return "none".to_owned(),
        },
    };
    let kind = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let first_field = operation
        .node
        .selection_set
        .node
        .items
        .first()
        .and_then(|item| match &item.node {
            async_graphql::parser::types::Selection::Field(field) => {
                Some(field.node.name.node.as_str())
            }
            _ => None,
        });
    format!("{kind} {}", name.or(first_field).unwrap_or("anonymous"))
}
