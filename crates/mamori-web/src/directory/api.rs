//! The directory as JSON: organisations, units, people and role assignments.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use mamori_core::authz::{ViewDirectory, authorize};
use mamori_core::org::AssignmentId;
use mamori_core::role::RoleAssignment;
use mamori_core::{OrgId, PersonId, UnitId};
use mamori_store::PeopleFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, OrganisationDraft, PersonDraft, RoleDraft, UnitDraft};
use crate::http::api::{
    ErrorBody, PREFIX, created, nullable, parse_count, positive_id, scope_text,
};
use crate::http::error::status;
use crate::http::{ApiJson, ApiQuery, AppError, AppState, Id, User, parse_opt_id};

mod json {
    use super::*;

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

// ---------------------------------------------------------------------------------------------
// Organisations

/// Every organisation (機関).
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "directory",
    responses(
        (status = 200, body = Vec<json::Organisation>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
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
        (status = 403, body = ErrorBody),
        (status = 409, description = "The code is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn create_organisation(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::OrganisationCreate>,
) -> Result<Response, AppError> {
    let draft = OrganisationDraft {
        code: Some(body.code),
        name: Some(body.name),
        note: Some(body.note),
    };
    let org = ops::create_organisation(&state, &user, draft).await?;
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Organisation>, AppError> {
    Ok(Json(
        ops::organisation(&state, &user, OrgId(id)).await?.into(),
    ))
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn update_organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::OrganisationUpdate>,
) -> Result<Json<json::Organisation>, AppError> {
    let draft = OrganisationDraft {
        code: body.code,
        name: body.name,
        note: body.note,
    };
    let org = ops::update_organisation(&state, &user, OrgId(id), draft).await?;
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
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
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
        (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn create_unit(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::UnitCreate>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let draft = UnitDraft {
        org_id: positive_id("organisation", body.org_id, &mut problems).map(OrgId),
        parent_id: Some(positive_id("parent", body.parent_id, &mut problems).map(UnitId)),
        name: Some(body.name),
        note: Some(body.note),
        problems,
    };
    let unit = ops::create_unit(&state, &user, draft).await?;
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn get_unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Unit>, AppError> {
    Ok(Json(ops::unit(&state, &user, UnitId(id)).await?.into()))
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn update_unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::UnitUpdate>,
) -> Result<Json<json::Unit>, AppError> {
    let mut problems = Vec::new();
    let draft = UnitDraft {
        org_id: None,
        parent_id: body
            .parent_id
            .map(|p| positive_id("parent", p, &mut problems).map(UnitId)),
        name: body.name,
        note: body.note,
        problems,
    };
    let unit = ops::update_unit(&state, &user, UnitId(id), draft).await?;
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
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
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
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn create_person(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::PersonCreate>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let draft = PersonDraft {
        name: Some(body.name),
        unit_id: Some(positive_id("unit", body.unit_id, &mut problems).map(UnitId)),
        title: Some(body.title),
        email: Some(body.email),
        phone: Some(body.phone),
        external: Some(body.external),
        problems,
    };
    let person = ops::create_person(&state, &user, draft).await?;
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
        (status = 404, body = ErrorBody),
    )
)]
async fn get_person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<json::Person>, AppError> {
    let (person, _, _) = ops::person(&state, &user, PersonId(id)).await?;
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn update_person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    ApiJson(body): ApiJson<json::PersonUpdate>,
) -> Result<Json<json::Person>, AppError> {
    let mut problems = Vec::new();
    let draft = PersonDraft {
        name: body.name,
        unit_id: body
            .unit_id
            .map(|u| positive_id("unit", u, &mut problems).map(UnitId)),
        title: body.title,
        email: body.email,
        phone: body.phone,
        external: body.external,
        problems,
    };
    let person = ops::update_person(&state, &user, PersonId(id), draft).await?;
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
        (status = 404, body = ErrorBody),
    )
)]
async fn list_roles(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Json<Vec<json::Assignment>>, AppError> {
    let roles = ops::roles_of(&state, &user, PersonId(id)).await?;
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
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
    let draft = RoleDraft {
        role: body.role,
        scope: body.scope,
        system,
    };
    let assignment = ops::give_role(&state, &user, PersonId(id), &draft).await?;
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
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn revoke_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<StatusCode, AppError> {
    ops::take_role(&state, &user, AssignmentId(id)).await?;
    Ok(status::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_organisations, create_organisation))
        .routes(routes!(get_organisation, update_organisation))
        .routes(routes!(list_units, create_unit))
        .routes(routes!(get_unit, update_unit))
        .routes(routes!(list_people, create_person))
        .routes(routes!(get_person, update_person))
        .routes(routes!(list_roles, assign_role))
        .routes(routes!(revoke_role))
}
