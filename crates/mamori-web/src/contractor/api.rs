//! 委託事業者 and 委託契約 in the JSON API: the register of contractors, and the contracts with
//! their requirements, flags and verifications. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::time::rfc3339_jst;
use mamori_store::Contractor;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, ContractorDraft};
use crate::http::agreements::json::{Agreement, AgreementBody, VerificationBody, agreement};
use crate::http::api::{PREFIX, created};
use crate::http::{ApiJson, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// 委託事業者.
    #[derive(Serialize, ToSchema)]
    pub struct ContractorJson {
        pub id: i64,
        pub name: String,
        pub address: String,
        pub contact_person: String,
        pub phone: String,
        pub email: Option<String>,
        pub note: String,
        /// How many contracts it has.
        pub contracts: i64,
        pub updated_at: String,
    }

    /// A contractor to register, or what one now says.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ContractorBody {
        pub name: String,
        #[serde(default)]
        pub address: String,
        #[serde(default)]
        pub contact_person: String,
        #[serde(default)]
        pub phone: String,
        #[serde(default)]
        pub email: String,
        #[serde(default)]
        pub note: String,
    }
}

fn contractor_json(c: &Contractor) -> json::ContractorJson {
    json::ContractorJson {
        id: c.id.0,
        name: c.input.name.clone(),
        address: c.input.address.clone(),
        contact_person: c.input.contact_person.clone(),
        phone: c.input.phone.clone(),
        email: c.input.email.clone(),
        note: c.input.note.clone(),
        contracts: c.contracts,
        updated_at: rfc3339_jst(c.updated_at),
    }
}

impl From<json::ContractorBody> for ContractorDraft {
    fn from(body: json::ContractorBody) -> Self {
        ContractorDraft {
            name: body.name,
            address: body.address,
            contact_person: body.contact_person,
            phone: body.phone,
            email: body.email,
            note: body.note,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_contractors,
        create_contractor,
        get_contractor,
        update_contractor,
        list_contracts,
        create_contract,
        get_contract,
        update_contract,
        verify_contract
    ),
    tags(
        (name = "contractors", description = "委託事業者 and their contracts: security requirements and their verification"),
    )
)]
pub struct ContractorApiDoc;

/// The register of contractors (for the roles that oversee third parties).
#[utoipa::path(
    get,
    path = "/api/v1/contractors",
    tag = "contractors",
    responses(
        (status = 200, body = Vec<json::ContractorJson>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_contractors(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::ContractorJson>>, AppError> {
    Ok(Json(
        ops::contractors(&state, &user)
            .await?
            .iter()
            .map(contractor_json)
            .collect(),
    ))
}

/// Registers a contractor (the administrators).
#[utoipa::path(
    post,
    path = "/api/v1/contractors",
    tag = "contractors",
    request_body = json::ContractorBody,
    responses(
        (status = 201, body = json::ContractorJson),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_contractor(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ContractorBody>,
) -> Result<Response, AppError> {
    let made = ops::save_contractor(&state, &user, None, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/contractors/{}", made.id.0),
        contractor_json(&made),
    ))
}

/// One contractor.
#[utoipa::path(
    get,
    path = "/api/v1/contractors/{id}",
    tag = "contractors",
    params(("id" = i64, Path, description = "Contractor id")),
    responses(
        (status = 200, body = json::ContractorJson),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_contractor(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::ContractorJson>, AppError> {
    Ok(Json(contractor_json(
        &ops::contractor(&state, &user, id).await?.0,
    )))
}

/// Changes what a contractor's record says (the administrators).
#[utoipa::path(
    put,
    path = "/api/v1/contractors/{id}",
    tag = "contractors",
    params(("id" = i64, Path, description = "Contractor id")),
    request_body = json::ContractorBody,
    responses(
        (status = 200, body = json::ContractorJson),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_contractor(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::ContractorBody>,
) -> Result<Json<json::ContractorJson>, AppError> {
    Ok(Json(contractor_json(
        &ops::save_contractor(&state, &user, Some(id), body.into()).await?,
    )))
}

/// The contracts the caller may see, ending soonest first, with their flags; a contractor's
/// account sees the contracts that list it.
#[utoipa::path(
    get,
    path = "/api/v1/contracts",
    tag = "contractors",
    responses(
        (status = 200, body = Vec<Agreement>),
        (status = 403, body = crate::http::api::ErrorBody),
    )
)]
async fn list_contracts(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<Agreement>>, AppError> {
    Ok(Json(
        ops::contracts(&state, &user)
            .await?
            .iter()
            .map(agreement)
            .collect(),
    ))
}

/// Registers a contract (the administrators): its contractor, period, unit, what it covers, the
/// requirements it carries, its people and the documents they may read.
#[utoipa::path(
    post,
    path = "/api/v1/contracts",
    tag = "contractors",
    request_body = AgreementBody,
    responses(
        (status = 201, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn create_contract(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<AgreementBody>,
) -> Result<Response, AppError> {
    let made = ops::save_contract(&state, &user, None, body.into()).await?;
    Ok(created(
        format!("{PREFIX}/contracts/{}", made.agreement.id.0),
        agreement(&made),
    ))
}

/// One contract; 404 for one the caller may not see.
#[utoipa::path(
    get,
    path = "/api/v1/contracts/{id}",
    tag = "contractors",
    params(("id" = i64, Path, description = "Contract id")),
    responses(
        (status = 200, body = Agreement),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_contract(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(&ops::contract(&state, &user, id).await?)))
}

/// Replaces what a contract says (the administrators); its verifications are kept.
#[utoipa::path(
    put,
    path = "/api/v1/contracts/{id}",
    tag = "contractors",
    params(("id" = i64, Path, description = "Contract id")),
    request_body = AgreementBody,
    responses(
        (status = 200, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn update_contract(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<AgreementBody>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(
        &ops::save_contract(&state, &user, Some(id), body.into()).await?,
    )))
}

/// Records a check of a requirement the contract carries (the responsible unit's 管理者, its
/// organisation's 責任者, the administrators).
#[utoipa::path(
    post,
    path = "/api/v1/contracts/{id}/verifications",
    tag = "contractors",
    params(("id" = i64, Path, description = "Contract id")),
    request_body = VerificationBody,
    responses(
        (status = 200, body = Agreement),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn verify_contract(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<VerificationBody>,
) -> Result<Json<Agreement>, AppError> {
    Ok(Json(agreement(
        &ops::verify(&state, &user, id, body.into()).await?,
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ContractorApiDoc::openapi())
        .routes(routes!(list_contractors, create_contractor))
        .routes(routes!(get_contractor, update_contractor))
        .routes(routes!(list_contracts, create_contract))
        .routes(routes!(get_contract, update_contract))
        .routes(routes!(verify_contract))
}
