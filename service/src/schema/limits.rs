//! What one request may make the service do, checked before anything recursive or expensive runs:
//! how deep its text nests (before parsing), then, on the parsed document, how many fields it
//! expands to with its fragments, how deep its selections go, how many aliases and root fields it
//! uses, and whether it reads the schema. Depth and complexity, which need the schema's list
//! costs, are checked by the schema's validation and reworded here. Every refusal names its limit.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult};

use super::documents::Documents;
use super::lexical::{Over, scan};
use super::measure::{self, Bounds, Problem};
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

    /// Refuses JSON text (a request body, GET variables or extensions) that nests deeper than the
    /// limit allows the variables to, `envelope` levels above them.
    pub fn check_json(&self, json: &[u8], envelope: usize) -> ServerResult<()> {
        if scan(json, self.max_nesting + envelope, usize::MAX).is_err() {
            return Err(too_complex(format!(
                "the variables or extensions nest more than {} levels of objects and lists \
                 (graphql_max_nesting)",
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

    /// [`Limits::admit`], keeping the documents admitted: one seen before skips the scan, the
    /// parse and the checks.
    pub fn admit_kept(&self, mut request: Request, documents: &Documents) -> ServerResult<Request> {
        if let Some(document) = documents.get(&request.query) {
            request.set_parsed_query(document);
            return Ok(request);
        }
        let mut request = self.admit(request)?;
        // A first sight only: the copy is the cache's.
        let document = request.parsed_query()?.clone();
        documents.keep(&request.query, document);
        Ok(request)
    }

    /// Checks a parsed document against every limit but complexity.
    pub fn check(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let bounds = Bounds {
            nesting: self.max_nesting,
            fields: self.max_fields,
            depth: self.max_depth,
        };
        measure::fields(document, bounds).map_err(|problem| match problem {
            Problem::Nesting => self.too_nested(),
            Problem::Fields => self.too_many_fields(),
            Problem::Depth => self.too_deep(),
            Problem::Cycle(name) => refused(
                code::BAD_USER_INPUT,
                format!("fragment \"{name}\" spreads itself, directly or through other fragments"),
            ),
            Problem::Unknown(name) => refused(
                code::BAD_USER_INPUT,
                format!("unknown fragment \"{name}\": define it in the document"),
            ),
        })?;
        let aliases = measure::aliases(document);
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the document uses {aliases} aliases; at most {} are accepted (graphql_max_aliases)",
                self.max_aliases
            )));
        }
        for (_, operation) in document.operations.iter() {
            let fields = measure::root_fields(document, &operation.node.selection_set);
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

/// async-graphql's own refusals of depth and complexity (the schema is built with both limits),
/// as validation words them.
const TOO_DEEP: &str = "Query is nested too deep.";
const TOO_COMPLEX: &str = "Query is too complex.";

impl Limits {
    /// Words a refusal of depth or complexity, which the schema's validation computes and
    /// checks, like every other refusal: with the code and the limit's setting. Other errors are
    /// left as they are. Done on the response, not in a schema extension: any extension sends
    /// every field of every response through its hooks.
    pub fn recode(&self, error: &mut ServerError) {
        if !error.path.is_empty() || error.extensions.is_some() {
            return;
        }
        let worded = match error.message.as_str() {
            TOO_DEEP => self.too_deep(),
            TOO_COMPLEX => too_complex(format!(
                "the query's complexity is over {}: ask for fewer fields or smaller pages \
                 (graphql_max_complexity)",
                self.max_complexity
            )),
            _ => return,
        };
        *error = worded;
    }
}

/// The root fields that read the schema itself.
const INTROSPECTION: [&str; 2] = ["__schema", "__type"];

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
