//! The JSON API under `/api/v1`: the same operations as the pages, under the same rules.
//!
//! Every handler validates with the functions the pages use and asks `authorize` for the same
//! permission, so a form and a JSON body can never be judged differently. The route table below
//! is the one source of the router and of [`routes`], which a test holds against the OpenAPI
//! document.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use chrono::{FixedOffset, SecondsFormat, TimeZone};
use mamori_core::authz::{
    ManageAccounts, ManageOrganisations, ManagePeople, ManageUnits, Permission, ViewAudit,
    ViewDirectory, ViewPersonDetail, authorize,
};
use mamori_core::org::AssignmentId;
use mamori_core::role::{RoleAssignment, Scope};
use mamori_core::{FieldError, FieldErrorKind, OrgId, PersonId, UnitId, UserId};
use mamori_store::PeopleFilter;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::context::User;
use crate::error::AppError;
use crate::pages::{
    self, AccountForm, AuditQuery, OrganisationForm, PersonForm, UnitForm, parse_opt_id,
};

/// Where the API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Largest request body the API reads; every body it takes is a few fields of text.
const BODY_LIMIT: usize = 64 * 1024;

type Table = Vec<(Method, &'static str, MethodRouter<AppState>)>;

/// Every route of the API: method, path below [`PREFIX`], handler.
fn table() -> Table {
    fn route<H, T>(
        method: Method,
        path: &'static str,
        handler: H,
    ) -> (Method, &'static str, MethodRouter<AppState>)
    where
        H: axum::handler::Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        (method, path, on(filter, handler))
    }
    vec![
        route(Method::GET, "/openapi.json", openapi),
        route(Method::GET, "/me", me),
        route(Method::GET, "/organisations", list_organisations),
        route(Method::POST, "/organisations", create_organisation),
        route(Method::GET, "/organisations/{id}", get_organisation),
        route(Method::PATCH, "/organisations/{id}", update_organisation),
        route(Method::GET, "/units", list_units),
        route(Method::POST, "/units", create_unit),
        route(Method::GET, "/units/{id}", get_unit),
        route(Method::PATCH, "/units/{id}", update_unit),
        route(Method::GET, "/people", list_people),
        route(Method::POST, "/people", create_person),
        route(Method::GET, "/people/{id}", get_person),
        route(Method::PATCH, "/people/{id}", update_person),
        route(Method::GET, "/people/{id}/roles", list_roles),
        route(Method::POST, "/people/{id}/roles", assign_role),
        route(Method::DELETE, "/role-assignments/{id}", revoke_role),
        route(Method::GET, "/accounts", list_accounts),
        route(Method::POST, "/accounts", create_account),
        route(Method::PATCH, "/accounts/{id}", update_account),
        route(Method::GET, "/audit", list_audit),
    ]
    .into_iter()
    .chain(crate::assets_api::table())
    .chain(crate::quarantine_api::table())
    .collect()
}

pub fn router() -> Router<AppState> {
    table()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| {
            router.route(path, handler)
        })
}

/// The API's routes as (method, full path), in the OpenAPI document's path syntax.
pub fn routes() -> Vec<(Method, String)> {
    table()
        .into_iter()
        .map(|(method, path, _)| (method, format!("{PREFIX}{path}")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Extractors: every way a request can be malformed ends in an `AppError`, so the client gets the
// same JSON error body as for any other refusal.

/// A JSON object as request body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        // Syntax first, then shape: every body the API takes is one JSON object (serde would
        // otherwise read an array as a struct's fields in order).
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::Malformed)?;
        if !value.is_object() {
            return Err(AppError::invalid(FieldError::new(
                "body",
                FieldErrorKind::InvalidFormat,
            )));
        }
        let value = serde_path_to_error::deserialize(value).map_err(|error| {
            let field = error
                .path()
                .iter()
                .next()
                .map(|segment| body_field(&segment.to_string()))
                .unwrap_or("body");
            AppError::invalid(FieldError::new(field, FieldErrorKind::InvalidFormat))
        })?;
        Ok(ApiJson(value))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The name under which a refused body field is reported: the same names the pages' validation
/// uses, so that one message table serves both.
fn body_field(json_name: &str) -> &'static str {
    match json_name {
        "code" => "code",
        "name" => "name",
        "note" => "note",
        "org_id" => "organisation",
        "parent_id" => "parent",
        "unit_id" => "unit",
        "title" => "title",
        "email" => "email",
        "phone" => "phone",
        "external" => "external",
        "role" => "role",
        "scope" | "system" => "scope",
        "username" => "username",
        "person_id" => "person",
        "password" => "password",
        "disabled" => "disabled",
        "reason" => "reason",
        "decision" => "decision",
        _ => "body",
    }
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(value)| ApiQuery(value))
            .map_err(|_| AppError::Malformed)
    }
}

/// The `{id}` of a path. An id that is not a positive number names nothing: 404.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<i64>::from_request_parts(parts, state).await {
            Ok(Path(id)) if id > 0 => Ok(Id(id)),
            _ => Err(AppError::NotFound),
        }
    }
}

pub(crate) fn created<T: Serialize>(location: String, body: T) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

/// A time as RFC 3339 in Japan Standard Time.
pub(crate) fn rfc3339(ms: i64) -> String {
    FixedOffset::east_opt(9 * 3600)
        .expect("valid offset")
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, false))
        .unwrap_or_default()
}

/// A count from the query string: empty means `default`, larger than `max` means `max`.
pub(crate) fn parse_count(
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

fn ids(value: Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Deserialises a field that may be absent (keep), `null` (clear) or a value (set).
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Bodies and responses, as they appear in the OpenAPI document.

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

    /// A role held within a scope.
    #[derive(Serialize, ToSchema)]
    pub struct HeldRole {
        /// `ciso`, `security_director`, `security_officer`, `security_manager`,
        /// `system_administrator`, `csirt`, `auditor`, `staff` or `contractor`.
        pub role: String,
        /// `global`, `organisation:ID`, `unit:ID` or `system:NAME`.
        pub scope: String,
    }

    /// The acting account.
    #[derive(Serialize, ToSchema)]
    pub struct Me {
        pub user_id: i64,
        pub username: String,
        pub person: MePerson,
        pub language: String,
        pub totp_enabled: bool,
        pub roles: Vec<HeldRole>,
        /// Permissions held without regard to a particular target, e.g. `directory.view`,
        /// `organisation.manage`, `account.manage`, `audit.view`.
        pub permissions: Vec<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct MePerson {
        pub id: i64,
        pub name: String,
        pub org_id: Option<i64>,
        pub unit_id: Option<i64>,
    }

    /// 機関.
    #[derive(Serialize, ToSchema)]
    pub struct Organisation {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub note: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct OrganisationCreate {
        /// 1–32 ASCII letters, digits, `-` or `_`; stored upper-case.
        #[serde(default)]
        pub code: String,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub note: String,
    }

    /// Only the fields given are changed.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct OrganisationUpdate {
        pub code: Option<String>,
        pub name: Option<String>,
        pub note: Option<String>,
    }

    /// 部局 / 課室.
    #[derive(Serialize, ToSchema)]
    pub struct Unit {
        pub id: i64,
        pub org_id: i64,
        pub parent_id: Option<i64>,
        pub name: String,
        pub note: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct UnitCreate {
        pub org_id: Option<i64>,
        pub parent_id: Option<i64>,
        #[serde(default)]
        pub name: String,
        #[serde(default)]
        pub note: String,
    }

    /// Only the fields given are changed; `parent_id: null` makes the unit a top-level unit.
    /// A unit stays in its organisation.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct UnitUpdate {
        #[serde(default, deserialize_with = "nullable")]
        #[schema(value_type = Option<i64>)]
        pub parent_id: Option<Option<i64>>,
        pub name: Option<String>,
        pub note: Option<String>,
    }

    /// What anyone who may browse the directory sees of a person.
    #[derive(Serialize, ToSchema)]
    pub struct PersonSummary {
        pub id: i64,
        pub name: String,
        pub title: String,
        pub org_id: Option<i64>,
        pub unit_id: Option<i64>,
        pub unit_name: Option<String>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct PeoplePage {
        pub people: Vec<PersonSummary>,
        /// How many people match, over all pages.
        pub total: i64,
        pub offset: i64,
        pub limit: i64,
    }

    /// A person with restricted details (contact details). Reading one is audited.
    #[derive(Serialize, ToSchema)]
    pub struct Person {
        pub id: i64,
        pub name: String,
        pub org_id: Option<i64>,
        pub unit_id: Option<i64>,
        pub title: String,
        pub email: Option<String>,
        pub phone: String,
        /// 委託事業者 rather than staff.
        pub external: bool,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PersonCreate {
        #[serde(default)]
        pub name: String,
        pub unit_id: Option<i64>,
        #[serde(default)]
        pub title: String,
        pub email: Option<String>,
        #[serde(default)]
        pub phone: String,
        #[serde(default)]
        pub external: bool,
    }

    /// Only the fields given are changed; `unit_id: null` and `email: null` clear them.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PersonUpdate {
        pub name: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        #[schema(value_type = Option<i64>)]
        pub unit_id: Option<Option<i64>>,
        pub title: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        #[schema(value_type = Option<String>)]
        pub email: Option<Option<String>>,
        pub phone: Option<String>,
        pub external: Option<bool>,
    }

    /// A role assignment.
    #[derive(Serialize, ToSchema)]
    pub struct Assignment {
        pub id: i64,
        pub person_id: i64,
        pub role: String,
        /// `global`, `organisation:ID`, `unit:ID` or `system:NAME`.
        pub scope: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AssignmentCreate {
        #[serde(default)]
        pub role: String,
        /// `global`, `organisation:ID` or `unit:ID`, as the role takes; for
        /// `system_administrator`, `system:NAME` or the `system` field.
        #[serde(default)]
        pub scope: String,
        /// The system's name, for `system_administrator`.
        #[serde(default)]
        pub system: String,
    }

    /// A login account.
    #[derive(Serialize, ToSchema)]
    pub struct Account {
        pub user_id: i64,
        pub username: String,
        pub person_id: i64,
        pub person_name: String,
        pub language: String,
        pub totp_enabled: bool,
        pub disabled: bool,
        /// RFC 3339, JST.
        pub created_at: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AccountCreate {
        #[serde(default)]
        pub username: String,
        pub person_id: Option<i64>,
        #[serde(default)]
        pub password: String,
    }

    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AccountUpdate {
        /// Disable or re-enable the account. Nobody disables their own.
        pub disabled: Option<bool>,
    }

    /// A record of the hash-chained audit trail.
    #[derive(Serialize, ToSchema)]
    pub struct AuditRecord {
        pub seq: i64,
        /// RFC 3339, JST.
        pub at: String,
        pub actor_id: Option<i64>,
        pub actor_name: String,
        pub action: String,
        pub target_kind: String,
        pub target_id: String,
        pub unit_id: Option<i64>,
        pub address: String,
        #[schema(value_type = Object)]
        pub detail: serde_json::Value,
    }

    #[derive(Serialize, ToSchema)]
    pub struct AuditPage {
        /// Newest first.
        pub records: Vec<AuditRecord>,
        /// Pass as `before` to get the next, older page; absent on the last page.
        pub next_before: Option<i64>,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct UnitsQuery {
        /// Only the units of this organisation.
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub org: String,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct PeopleQuery {
        /// Part of the name or title.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub q: String,
        /// Only the people of this unit.
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub unit: String,
        /// How many matches to skip (default 0).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub offset: String,
        /// How many to return (default 50, at most 500).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub limit: String,
    }

    #[derive(Deserialize, IntoParams)]
    #[into_params(parameter_in = Query)]
    pub struct AuditParams {
        /// Actions starting with this text (`login` matches `login.failed`).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub action: String,
        /// Exactly this login name.
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub actor: String,
        /// First day, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub from: String,
        /// Last day, inclusive, `YYYY-MM-DD` (JST).
        #[serde(default)]
        #[param(value_type = Option<String>)]
        pub to: String,
        /// Records older than this sequence number (from `next_before`).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub before: String,
        /// How many to return (default 100, at most 500).
        #[serde(default)]
        #[param(value_type = Option<i64>)]
        pub limit: String,
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope.to_parts() {
        (kind, Some(id)) => format!("{kind}:{id}"),
        (kind, None) => kind.to_owned(),
    }
}

impl From<mamori_core::org::Organisation> for json::Organisation {
    fn from(o: mamori_core::org::Organisation) -> Self {
        Self {
            id: o.id.0,
            code: o.code,
            name: o.name.into(),
            note: o.note,
        }
    }
}

impl From<mamori_core::org::Unit> for json::Unit {
    fn from(u: mamori_core::org::Unit) -> Self {
        Self {
            id: u.id.0,
            org_id: u.org_id.0,
            parent_id: u.parent_id.map(|p| p.0),
            name: u.name.into(),
            note: u.note,
        }
    }
}

impl From<mamori_store::PersonSummary> for json::PersonSummary {
    fn from(p: mamori_store::PersonSummary) -> Self {
        Self {
            id: p.id.0,
            name: p.name,
            title: p.title,
            org_id: p.org_id.map(|o| o.0),
            unit_id: p.unit_id.map(|u| u.0),
            unit_name: p.unit_name,
        }
    }
}

impl From<mamori_core::org::Person> for json::Person {
    fn from(p: mamori_core::org::Person) -> Self {
        Self {
            id: p.id.0,
            name: p.name.into(),
            org_id: p.org_id.map(|o| o.0),
            unit_id: p.unit_id.map(|u| u.0),
            title: p.title,
            email: p.email,
            phone: p.phone,
            external: p.external,
        }
    }
}

impl From<RoleAssignment> for json::Assignment {
    fn from(a: RoleAssignment) -> Self {
        Self {
            id: a.id.0,
            person_id: a.person_id.0,
            role: a.role.as_str().to_owned(),
            scope: scope_text(&a.scope),
        }
    }
}

impl From<mamori_store::Account> for json::Account {
    fn from(a: mamori_store::Account) -> Self {
        Self {
            user_id: a.user_id.0,
            username: a.username,
            person_id: a.person_id.0,
            person_name: a.person_name,
            language: a.language,
            totp_enabled: a.totp_enabled,
            disabled: a.disabled,
            created_at: rfc3339(a.created_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document.

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
    paths(
        openapi,
        me,
        list_organisations,
        create_organisation,
        get_organisation,
        update_organisation,
        list_units,
        create_unit,
        get_unit,
        update_unit,
        list_people,
        create_person,
        get_person,
        update_person,
        list_roles,
        assign_role,
        revoke_role,
        list_accounts,
        create_account,
        update_account,
        list_audit,
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
struct ApiDoc;

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

/// The error body, for the other API modules' documentation.
pub(crate) type ErrorBody = json::Error;

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::assets_api::AssetsApiDoc::openapi());
    doc.merge(crate::quarantine_api::QuarantineApiDoc::openapi());
    doc
});

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json"))
)]
async fn openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(LazyLock::force(&DOCUMENT))
}

// ---------------------------------------------------------------------------------------------
// The acting account

/// The acting account: user, person, roles and the permissions they give.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "meta",
    responses(
        (status = 200, body = json::Me),
        (status = 401, body = json::Error),
    )
)]
async fn me(State(state): State<AppState>, user: User) -> Result<Json<json::Me>, AppError> {
    let account = state
        .store
        .account(user.actor.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let actor = &user.actor;
    let mut permissions = Vec::new();
    let mut check = |allowed: bool, name: &'static str| {
        if allowed {
            permissions.push(name.to_owned());
        }
    };
    check(
        authorize::<ViewDirectory>(actor, &()).is_ok(),
        ViewDirectory::NAME,
    );
    check(
        authorize::<ManageOrganisations>(actor, &()).is_ok(),
        ManageOrganisations::NAME,
    );
    check(
        authorize::<ManageAccounts>(actor, &()).is_ok(),
        ManageAccounts::NAME,
    );
    check(authorize::<ViewAudit>(actor, &()).is_ok(), ViewAudit::NAME);
    Ok(Json(json::Me {
        user_id: actor.user_id.0,
        username: actor.username.clone(),
        person: json::MePerson {
            id: actor.person_id.0,
            name: account.person_name,
            org_id: actor.org_id.map(|o| o.0),
            unit_id: actor.unit_id.map(|u| u.0),
        },
        language: account.language,
        totp_enabled: account.totp_enabled,
        roles: actor
            .roles
            .iter()
            .map(|(role, scope)| json::HeldRole {
                role: role.as_str().to_owned(),
                scope: scope_text(scope),
            })
            .collect(),
        permissions,
    }))
}

// ---------------------------------------------------------------------------------------------
// Organisations

/// Every organisation (機関).
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "directory",
    responses(
        (status = 200, body = Vec<json::Organisation>),
        (status = 401, body = json::Error),
        (status = 403, body = json::Error),
    )
)]
async fn list_organisations(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Organisation>>, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let orgs = state.store.list_organisations(&grant).await?;
    Ok(Json(orgs.into_iter().map(Into::into).collect()))
}

/// Creates an organisation. CISO and 統括情報セキュリティ責任者 only.
#[utoipa::path(
    post,
    path = "/api/v1/organisations",
    tag = "directory",
    request_body = json::OrganisationCreate,
    responses(
        (status = 201, body = json::Organisation),
        (status = 403, body = json::Error),
        (status = 409, description = "The code is taken", body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn create_organisation(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::OrganisationCreate>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let input = pages::organisation_input(&OrganisationForm {
        code: body.code,
        name: body.name,
        note: body.note,
    })?;
    let org = state
        .store
        .create_organisation(&grant, input, &user.ctx.origin())
        .await?;
    Ok(created(
        format!("{PREFIX}/organisations/{}", org.id),
        json::Organisation::from(org),
    ))
}

/// One organisation.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Organisation id")),
    responses(
        (status = 200, body = json::Organisation),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
    )
)]
async fn get_organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Organisation>, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let org = state
        .store
        .organisation(&grant, OrgId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(org.into()))
}

/// Changes an organisation. CISO and 統括情報セキュリティ責任者 only.
#[utoipa::path(
    patch,
    path = "/api/v1/organisations/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Organisation id")),
    request_body = json::OrganisationUpdate,
    responses(
        (status = 200, body = json::Organisation),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
        (status = 409, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn update_organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::OrganisationUpdate>,
) -> Result<Json<json::Organisation>, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let view = authorize::<ViewDirectory>(&user.actor, &())?;
    let current = state
        .store
        .organisation(&view, OrgId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let input = pages::organisation_input(&OrganisationForm {
        code: body.code.unwrap_or(current.code),
        name: body.name.unwrap_or_else(|| current.name.into()),
        note: body.note.unwrap_or(current.note),
    })?;
    let org = state
        .store
        .update_organisation(&grant, OrgId(id), input, &user.ctx.origin())
        .await?;
    Ok(Json(org.into()))
}

// ---------------------------------------------------------------------------------------------
// Units

/// Units (部局/課室), of one organisation or all.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "directory",
    params(json::UnitsQuery),
    responses(
        (status = 200, body = Vec<json::Unit>),
        (status = 403, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn list_units(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<json::UnitsQuery>,
) -> Result<Json<Vec<json::Unit>>, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let org = parse_opt_id("organisation", &query.org)?;
    let units = state.store.list_units(&grant, org.map(OrgId)).await?;
    Ok(Json(units.into_iter().map(Into::into).collect()))
}

/// Creates a unit. Administrators, and the 情報セキュリティ責任者 of its organisation.
#[utoipa::path(
    post,
    path = "/api/v1/units",
    tag = "directory",
    request_body = json::UnitCreate,
    responses(
        (status = 201, body = json::Unit),
        (status = 403, body = json::Error),
        (status = 409, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn create_unit(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::UnitCreate>,
) -> Result<Response, AppError> {
    let input = pages::unit_input(&UnitForm {
        org_id: ids(body.org_id),
        parent_id: ids(body.parent_id),
        name: body.name,
        note: body.note,
    })?;
    let grant = authorize::<ManageUnits>(&user.actor, &input.org_id)?;
    let unit = state
        .store
        .create_unit(&grant, input, &user.ctx.origin())
        .await?;
    Ok(created(
        format!("{PREFIX}/units/{}", unit.id),
        json::Unit::from(unit),
    ))
}

/// One unit.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Unit id")),
    responses(
        (status = 200, body = json::Unit),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
    )
)]
async fn get_unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Unit>, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let unit = state
        .store
        .unit(&grant, UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(unit.into()))
}

/// Changes a unit. Administrators, and the 情報セキュリティ責任者 of its organisation.
#[utoipa::path(
    patch,
    path = "/api/v1/units/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Unit id")),
    request_body = json::UnitUpdate,
    responses(
        (status = 200, body = json::Unit),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
        (status = 409, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn update_unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::UnitUpdate>,
) -> Result<Json<json::Unit>, AppError> {
    let org = state
        .store
        .unit_org(UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant = authorize::<ManageUnits>(&user.actor, &org)?;
    let view = authorize::<ViewDirectory>(&user.actor, &())?;
    let current = state
        .store
        .unit(&view, UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut input = pages::unit_input(&UnitForm {
        org_id: org.0.to_string(),
        parent_id: ids(body.parent_id.unwrap_or(current.parent_id.map(|p| p.0))),
        name: body.name.unwrap_or_else(|| current.name.into()),
        note: body.note.unwrap_or(current.note),
    })?;
    input.org_id = org;
    let unit = state
        .store
        .update_unit(&grant, UnitId(id), input, &user.ctx.origin())
        .await?;
    Ok(Json(unit.into()))
}

// ---------------------------------------------------------------------------------------------
// People

/// Names and titles of people, a page at a time, with the total.
#[utoipa::path(
    get,
    path = "/api/v1/people",
    tag = "directory",
    params(json::PeopleQuery),
    responses(
        (status = 200, body = json::PeoplePage),
        (status = 403, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn list_people(
    State(state): State<AppState>,
    user: User,
    ApiQuery(query): ApiQuery<json::PeopleQuery>,
) -> Result<Json<json::PeoplePage>, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let mut problems = Vec::new();
    let unit = parse_opt_id("unit", &query.unit).unwrap_or_else(|e| {
        problems.push(e);
        None
    });
    let offset =
        parse_count("offset", &query.offset, 0, 0, i64::from(i32::MAX)).unwrap_or_else(|e| {
            problems.push(e);
            0
        });
    let limit = parse_count("limit", &query.limit, 50, 1, 500).unwrap_or_else(|e| {
        problems.push(e);
        0
    });
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let filter = PeopleFilter {
        unit_id: unit.map(UnitId),
        text: Some(query.q.trim().chars().take(100).collect()),
        offset,
        limit,
        ..Default::default()
    };
    let (people, total) = state.store.list_people(&grant, &filter).await?;
    Ok(Json(json::PeoplePage {
        people: people.into_iter().map(Into::into).collect(),
        total,
        offset,
        limit,
    }))
}

/// Adds a person. Administrators, the 情報セキュリティ責任者 of the organisation and the
/// 情報セキュリティ管理者 of the unit.
#[utoipa::path(
    post,
    path = "/api/v1/people",
    tag = "directory",
    request_body = json::PersonCreate,
    responses(
        (status = 201, body = json::Person),
        (status = 403, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn create_person(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::PersonCreate>,
) -> Result<Response, AppError> {
    let input = pages::person_input(&PersonForm {
        name: body.name,
        unit_id: ids(body.unit_id),
        title: body.title,
        email: body.email.unwrap_or_default(),
        phone: body.phone,
        external: body.external.then(|| "true".to_owned()),
    })?;
    let place = pages::place_for_unit(&state, None, input.unit_id).await?;
    let grant = authorize::<ManagePeople>(&user.actor, &place)?;
    let person = state
        .store
        .create_person(&grant, input, &user.ctx.origin())
        .await?;
    Ok(created(
        format!("{PREFIX}/people/{}", person.id),
        json::Person::from(person),
    ))
}

/// A person's restricted details. A person the caller may not see answers 404, as if there
/// were none. The read is written to the audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/people/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Person id")),
    responses(
        (status = 200, body = json::Person),
        (status = 404, body = json::Error),
    )
)]
async fn get_person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Person>, AppError> {
    let place = state
        .store
        .person_place(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant =
        authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    let person = state
        .store
        .person(&grant, PersonId(id), &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(person.into()))
}

/// Changes a person. Moving a person to another unit needs the right both where they are and
/// where they go.
#[utoipa::path(
    patch,
    path = "/api/v1/people/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Person id")),
    request_body = json::PersonUpdate,
    responses(
        (status = 200, body = json::Person),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn update_person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::PersonUpdate>,
) -> Result<Json<json::Person>, AppError> {
    let before = state
        .store
        .person_place(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let view =
        authorize::<ViewPersonDetail>(&user.actor, &before).map_err(|_| AppError::NotFound)?;
    authorize::<ManagePeople>(&user.actor, &before)?;
    let current = state
        .store
        .person(&view, PersonId(id), &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    let input = pages::person_input(&PersonForm {
        name: body.name.unwrap_or_else(|| current.name.into()),
        unit_id: ids(body.unit_id.unwrap_or(current.unit_id.map(|u| u.0))),
        title: body.title.unwrap_or(current.title),
        email: body.email.unwrap_or(current.email).unwrap_or_default(),
        phone: body.phone.unwrap_or(current.phone),
        external: body
            .external
            .unwrap_or(current.external)
            .then(|| "true".to_owned()),
    })?;
    let after = pages::place_for_unit(&state, Some(PersonId(id)), input.unit_id).await?;
    let grant = authorize::<ManagePeople>(&user.actor, &after)?;
    let person = state
        .store
        .update_person(&grant, PersonId(id), input, &user.ctx.origin())
        .await?;
    Ok(Json(person.into()))
}

// ---------------------------------------------------------------------------------------------
// Role assignments

/// The roles a person holds. 404 for a person the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/people/{id}/roles",
    tag = "directory",
    params(("id" = i64, Path, description = "Person id")),
    responses(
        (status = 200, body = Vec<json::Assignment>),
        (status = 404, body = json::Error),
    )
)]
async fn list_roles(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<Vec<json::Assignment>>, AppError> {
    let place = state
        .store
        .person_place(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant =
        authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    let roles = state.store.roles_of(&grant, PersonId(id)).await?;
    Ok(Json(roles.into_iter().map(Into::into).collect()))
}

/// Gives a person a role. Nobody changes their own roles; only the CISO makes a CISO; a
/// 情報セキュリティ責任者 gives unit-level roles within their organisation.
#[utoipa::path(
    post,
    path = "/api/v1/people/{id}/roles",
    tag = "directory",
    params(("id" = i64, Path, description = "Person id")),
    request_body = json::AssignmentCreate,
    responses(
        (status = 201, body = json::Assignment),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
        (status = 409, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn assign_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::AssignmentCreate>,
) -> Result<Response, AppError> {
    let system = match body.scope.trim().strip_prefix("system:") {
        Some(name) if body.system.trim().is_empty() => name.to_owned(),
        _ => body.system,
    };
    let assignment = pages::give_role(
        &state,
        &user,
        PersonId(id),
        &body.role,
        &body.scope,
        &system,
    )
    .await?;
    Ok(created(
        format!("{PREFIX}/people/{id}/roles"),
        json::Assignment::from(assignment),
    ))
}

/// Takes a role away, under the same rules as giving it.
#[utoipa::path(
    delete,
    path = "/api/v1/role-assignments/{id}",
    tag = "directory",
    params(("id" = i64, Path, description = "Role assignment id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
    )
)]
async fn revoke_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    pages::take_role(&state, &user, AssignmentId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// Accounts

/// Every login account. Administrators only.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    responses(
        (status = 200, body = Vec<json::Account>),
        (status = 403, body = json::Error),
    )
)]
async fn list_accounts(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Account>>, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    let accounts = state.store.list_accounts(&grant).await?;
    Ok(Json(accounts.into_iter().map(Into::into).collect()))
}

/// Creates a login account for a person. Administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/accounts",
    tag = "accounts",
    request_body = json::AccountCreate,
    responses(
        (status = 201, body = json::Account),
        (status = 403, body = json::Error),
        (status = 409, description = "The username is taken", body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn create_account(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::AccountCreate>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    let account = pages::new_account(AccountForm {
        username: body.username,
        person_id: ids(body.person_id),
        password: body.password,
    })
    .await?;
    let id = state
        .store
        .create_account(&grant, account, &user.ctx.origin())
        .await?;
    let account = state.store.account(id).await?.ok_or(AppError::NotFound)?;
    Ok(created(
        format!("{PREFIX}/accounts/{id}"),
        json::Account::from(account),
    ))
}

/// Disables or re-enables an account. Administrators only; nobody disables their own.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{id}",
    tag = "accounts",
    params(("id" = i64, Path, description = "User id")),
    request_body = json::AccountUpdate,
    responses(
        (status = 200, body = json::Account),
        (status = 403, body = json::Error),
        (status = 404, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn update_account(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::AccountUpdate>,
) -> Result<Json<json::Account>, AppError> {
    let grant = authorize::<ManageAccounts>(&user.actor, &())?;
    if UserId(id) == user.actor.user_id {
        return Err(AppError::Forbidden);
    }
    let disabled = body
        .disabled
        .ok_or_else(|| FieldError::new("disabled", FieldErrorKind::Required))?;
    state
        .store
        .set_account_disabled(&grant, UserId(id), disabled, &user.ctx.origin())
        .await?;
    let account = state
        .store
        .account(UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(account.into()))
}

// ---------------------------------------------------------------------------------------------
// Audit trail

/// The audit trail, newest first. Auditors never see records of their own unit. Browsing it is
/// itself recorded.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "audit",
    params(json::AuditParams),
    responses(
        (status = 200, body = json::AuditPage),
        (status = 403, body = json::Error),
        (status = 422, body = json::Error),
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    user: User,
    ApiQuery(params): ApiQuery<json::AuditParams>,
) -> Result<Json<json::AuditPage>, AppError> {
    let grant = authorize::<ViewAudit>(&user.actor, &())?;
    let limit = parse_count("limit", &params.limit, 100, 1, 500)?;
    let query = AuditQuery {
        action: params.action,
        actor: params.actor,
        from: params.from,
        to: params.to,
        before: params.before,
    };
    let filter = pages::audit_filter(&query, limit)?;
    let records = state.store.list_audit(&grant, &filter).await?;
    let event = user
        .ctx
        .origin()
        .event(ViewAudit::NAME, "audit", "")
        .with_detail(serde_json::json!({
            "action": filter.action_prefix,
            "actor": filter.actor_name,
            "from": query.from,
            "to": query.to,
        }));
    state.store.record(event).await?;
    let next_before = (records.len() as i64 == limit)
        .then(|| records.last().map(|r| r.seq))
        .flatten();
    Ok(Json(json::AuditPage {
        records: records
            .into_iter()
            .map(|r| json::AuditRecord {
                seq: r.seq,
                at: rfc3339(r.at_ms),
                actor_id: r.event.actor_id.map(|u| u.0),
                actor_name: r.event.actor_name,
                action: r.event.action,
                target_kind: r.event.target_kind,
                target_id: r.event.target_id,
                unit_id: r.event.unit_id.map(|u| u.0),
                address: r.event.address,
                detail: r.event.detail,
            })
            .collect(),
        next_before,
    }))
}
