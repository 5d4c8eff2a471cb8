//! 委託事業者 and 委託契約 as pages: the register of contractors with its form, a contractor
//! with its contracts, and the contracts through the shared agreement pages.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageThirdParties, authorize};
use mamori_core::third_party::AgreementKind;
use mamori_store::Contractor;
use serde::Deserialize;

use super::ops::{self, ContractorDraft};
use crate::http::agreements::pages::{self as shared, AgreementForm, Kind, Row, VerificationForm};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, render};

const KIND: Kind = Kind {
    kind: AgreementKind::Contract,
    base: "/contracts",
    list_key: "contract.title",
    one_key: "contract.one",
    new_key: "contract.new",
};

#[derive(Template)]
#[template(path = "contractors.html")]
struct ListPage {
    frame: Frame,
    contractors: Vec<Contractor>,
    can_manage: bool,
}

pub async fn contractors(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let contractors = ops::contractors(&state, &user).await?;
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "contractor.title"),
        contractors,
        can_manage: authorize::<ManageThirdParties>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct ContractorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    contact_person: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    note: String,
}

impl From<ContractorForm> for ContractorDraft {
    fn from(form: ContractorForm) -> Self {
        ContractorDraft {
            name: form.name,
            address: form.address,
            contact_person: form.contact_person,
            phone: form.phone,
            email: form.email,
            note: form.note,
        }
    }
}

pub async fn create_contractor(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<ContractorForm>,
) -> Result<Response, AppError> {
    let made = ops::save_contractor(&state, &user, None, form.into()).await?;
    Ok(Redirect::to(&format!("/contractors/{}", made.id.0)).into_response())
}

#[derive(Template)]
#[template(path = "contractor.html")]
struct ContractorPage {
    frame: Frame,
    c: Contractor,
    contracts: Vec<Row>,
    can_manage: bool,
}

pub async fn contractor(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let (c, contracts) = ops::contractor(&state, &user, id).await?;
    Ok(Html(render(&ContractorPage {
        frame: Frame::new(&user, "contractor.one"),
        c,
        contracts: contracts.iter().map(shared::row).collect(),
        can_manage: authorize::<ManageThirdParties>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

pub async fn update_contractor(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ContractorForm>,
) -> Result<Response, AppError> {
    ops::save_contractor(&state, &user, Some(id), form.into()).await?;
    Ok(Redirect::to(&format!("/contractors/{id}")).into_response())
}

pub async fn contracts(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    shared::list(&state, &user, &KIND).await
}

pub async fn create_contract(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AgreementForm>,
) -> Result<Response, AppError> {
    let made = ops::save_contract(&state, &user, None, form.draft()?).await?;
    Ok(Redirect::to(&format!("/contracts/{}", made.agreement.id.0)).into_response())
}

pub async fn contract(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    shared::one(&state, &user, &KIND, id).await
}

pub async fn update_contract(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<AgreementForm>,
) -> Result<Response, AppError> {
    ops::save_contract(&state, &user, Some(id), form.draft()?).await?;
    Ok(Redirect::to(&format!("/contracts/{id}")).into_response())
}

pub async fn verify(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<VerificationForm>,
) -> Result<Response, AppError> {
    ops::verify(&state, &user, id, form.into()).await?;
    Ok(Redirect::to(&format!("/contracts/{id}")).into_response())
}
