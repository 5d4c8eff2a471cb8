//! 指定管理者 as pages: the shared agreement pages of the kind `designated`.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::ops;
use crate::http::agreements::pages::{self as shared, AgreementForm, Kind, VerificationForm};
use crate::http::{AppError, AppState, Form, PathParams, User};

const KIND: Kind = Kind {
    kind: ops::KIND,
    base: "/designated-managers",
    list_key: "designated.title",
    one_key: "designated.one",
    new_key: "designated.new",
};

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    shared::list(&state, &user, &KIND).await
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AgreementForm>,
) -> Result<Response, AppError> {
    let made = ops::save(&state, &user, None, form.draft()?).await?;
    Ok(Redirect::to(&format!("{}/{}", KIND.base, made.agreement.id.0)).into_response())
}

pub async fn agreement(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    shared::one(&state, &user, &KIND, id).await
}

pub async fn update(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<AgreementForm>,
) -> Result<Response, AppError> {
    ops::save(&state, &user, Some(id), form.draft()?).await?;
    Ok(Redirect::to(&format!("{}/{id}", KIND.base)).into_response())
}

pub async fn verify(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<VerificationForm>,
) -> Result<Response, AppError> {
    ops::verify(&state, &user, id, form.into()).await?;
    Ok(Redirect::to(&format!("{}/{id}", KIND.base)).into_response())
}
