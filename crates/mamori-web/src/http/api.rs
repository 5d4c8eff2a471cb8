//! What every JSON endpoint shares: where the API is mounted, its route table, the error body
//! and the OpenAPI document's frame (security scheme, tags).

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mamori_core::role::Scope;
use mamori_core::{FieldError, FieldErrorKind};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::http::error::status;

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

pub fn created<T: Serialize>(location: String, body: T) -> Response {
    (status::CREATED, [(header::LOCATION, location)], Json(body)).into_response()
}

/// A count from the query string: empty means `default`, larger than `max` means `max`.
pub fn parse_count(
    field: &'static str,
    raw: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n >= min)
        .map(|n| n.min(max))
        .ok_or_else(|| FieldError::new(field, FieldErrorKind::InvalidFormat))
}

/// An id from a JSON body: a number that is not positive names nothing, and is refused as the
/// field it stands for.
pub fn positive_id(
    field: &'static str,
    value: Option<i64>,
    problems: &mut Vec<FieldError>,
) -> Option<i64> {
    match value {
        Some(id) if id <= 0 => {
            problems.push(FieldError::new(field, FieldErrorKind::InvalidFormat));
            None
        }
        other => other,
    }
}

/// Deserialises a field that may be absent (keep), `null` (clear) or a value (set).
pub fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

mod json {
    use super::*;

    /// The error body of every refusal.
    #[derive(Serialize, ToSchema)]
    pub struct Error {
        /// Machine-readable code, e.g. `not_found`, `forbidden`, `invalid`, `malformed`.
        pub error: String,
        /// Headline in the client's language (Japanese unless `Accept-Language` asks for English).
        pub message: String,
        /// For `invalid`: every refused field. Ids are reported by what they name
        /// (`organisation` for `org_id`, `unit` for `unit_id`, `person` for `person_id`,
        /// `parent` for `parent_id`); an unknown or mistyped field outside these is `body`.
        pub fields: Vec<FieldProblem>,
        /// For `policy_invalid` and `catalogue_invalid`: the line of the text that could not be read (1-based).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub line: Option<usize>,
        /// For `policy_invalid` and `catalogue_invalid`: the sentence that names the line and what is wrong with it.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub detail: Option<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct FieldProblem {
        pub field: String,
        /// `required`, `invalid_format`, `unknown_value`, `not_allowed`, `control_character`,
        /// or `{"too_long": {"max": N}}` / `{"too_short": {"min": N}}`.
        #[schema(value_type = Object)]
        pub kind: serde_json::Value,
        pub message: String,
    }
}

/// A role's scope as the API writes it: `kind` or `kind:id`.
pub fn scope_text(scope: &Scope) -> String {
    match scope.to_parts() {
        (kind, Some(id)) => format!("{kind}:{id}"),
        (kind, None) => kind.to_owned(),
    }
}

/// The error body of every refusal.
pub type ErrorBody = json::Error;

/// The document's frame; each feature's `Doc` adds its paths and schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "mamori API",
        description = "JSON API of mamori (守り): the organisation under the information security \
                       policy, its roles, accounts and the audit trail. Authenticate with \
                       `Authorization: Bearer <token>`; tokens are made with \
                       `mamori token create --data DIR --username NAME`. Every error has the \
                       body `Error`, in Japanese unless `Accept-Language` asks for English."
    ),
    components(schemas(json::Error, json::FieldProblem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "directory", description = "機関, 部局/課室, 職員 and role assignments"),
        (name = "accounts", description = "Login accounts"),
        (name = "audit", description = "The hash-chained audit trail (監査証跡)"),
        (name = "meta", description = "The acting account and this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `mamori token create`."))
                    .build(),
            ),
        );
    }
}
