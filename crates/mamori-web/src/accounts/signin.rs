//! Signing in once the password is settled, here or in the directory: the login page with its
//! refusal, the audit record of an attempt, and the session that starts.

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::audit::AuditEvent;
use mamori_core::credentials::{random_token, token_digest};
use mamori_core::i18n::Lang;
use mamori_store::NewSession;

use crate::http::context::{LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::http::throttle::Attempt;
use crate::http::{AppError, AppState, Ctx, Frame, render};

#[derive(Template)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    pub(super) frame: Frame,
    pub(super) error: Option<&'static str>,
    pub(super) username: String,
}

pub(super) fn login_failed(
    ctx: &Ctx,
    username: &str,
    key: &'static str,
    status: axum::http::StatusCode,
) -> Response {
    let page = LoginPage {
        frame: Frame::anonymous(ctx, "login.title"),
        error: Some(key),
        username: username.chars().take(64).collect(),
    };
    (status, Html(render(&page))).into_response()
}

/// A login's audit record: who it was for (as typed, and the account when known), from where,
/// and why it ended as it did.
pub(super) fn login_event(
    ctx: &Ctx,
    shown: &str,
    action: &str,
    user: Option<mamori_core::UserId>,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent::new(
        action,
        "user",
        user.map(|u| u.0.to_string()).unwrap_or_default(),
    )
    .by(user, shown)
    .from_address(&ctx.address)
    .with_detail(detail)
}

/// Starts a session for the user and returns the response that sets its cookie. A new token is
/// made at every login, so a token planted before login is worth nothing (session fixation).
pub(super) async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    user: mamori_core::UserId,
    mfa_pending: bool,
    to: &str,
) -> Result<Response, AppError> {
    let token = random_token(&mut rand::rngs::OsRng);
    let lifetime = if mfa_pending {
        300
    } else {
        state.config.session_lifetime.as_secs()
    };
    state
        .store
        .create_session(NewSession {
            token_digest: token_digest(&token),
            user_id: user,
            csrf_token: random_token(&mut rand::rngs::OsRng),
            mfa_pending,
            expires_at: state.clock.now_ms() + lifetime as i64 * 1000,
            address: ctx.address.clone(),
            user_agent: ctx.user_agent.clone(),
        })
        .await?;
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, &token, Some(lifetime)),
    );
    Ok(response)
}

/// The password was right (here or in the directory): the session starts, or waits for the
/// second factor when the account has one.
pub(super) async fn signed_in(
    state: &AppState,
    ctx: &Ctx,
    attempt: Attempt<'_>,
    creds: mamori_store::Credentials,
    shown: &str,
    detail: serde_json::Value,
) -> Result<Response, AppError> {
    let mfa = creds.totp_secret.is_some();
    // With a second factor the login has not succeeded yet: failed codes keep counting.
    if mfa {
        attempt.passed();
    } else {
        attempt.succeeded();
    }
    state
        .store
        .record(login_event(
            ctx,
            shown,
            if mfa {
                "login.password_ok"
            } else {
                "login.success"
            },
            Some(creds.user_id),
            detail,
        ))
        .await?;
    if !mfa {
        state.metrics.login("success");
    }
    let mut response = start_session(
        state,
        ctx,
        creds.user_id,
        mfa,
        if mfa { "/login/totp" } else { "/" },
    )
    .await?;
    if let Some(lang) = Lang::parse(&creds.language) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, LANG_COOKIE, lang.code(), Some(365 * 86400)),
        );
    }
    Ok(response)
}
