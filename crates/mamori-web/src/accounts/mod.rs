//! Accounts: logging in and out, the second factor, one's own settings and sessions, and the
//! login accounts that security staff manage.

mod api;
mod auth;
mod directory_check;
mod directory_login;
mod ops;
mod pages;
mod signin;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;
pub use directory_check::{CheckError, DirectoryCheck, check_directory_accounts};

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/totp", get(auth::totp_page).post(auth::totp_verify))
        .route("/logout", post(auth::logout))
        .route("/account", get(auth::account_page))
        .route(
            "/account/password",
            get(auth::password_page).post(auth::change_password),
        )
        .route("/account/tokens", get(pages::tokens))
        .route("/account/tokens/{id}/revoke", post(pages::revoke_token))
        .route("/account/language", post(auth::change_language))
        .route("/account/sessions/{id}/revoke", post(auth::revoke_session))
        .route(
            "/account/totp",
            get(auth::totp_enrol_page).post(auth::totp_enrol),
        )
        .route("/account/totp/disable", post(auth::totp_disable))
        .route(
            "/accounts",
            get(pages::accounts).post(pages::create_account),
        )
        .route("/accounts/{id}/disabled", post(pages::set_account_disabled))
}
