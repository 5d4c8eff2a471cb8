//! Logging in and out, the second factor, and the account's own settings.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::credentials::{
    self, NewPassword, TotpSecret, normalise_recovery_code, token_digest,
};
use mamori_core::text::Username;
use mamori_core::time::format_jst;
use mamori_store::Session;
use serde::Deserialize;

use super::directory_login;
use super::signin::{LoginPage, login_event, login_failed, signed_in, start_session};
use crate::http::context::{LANG_COOKIE, SESSION_COOKIE, set_cookie};
use crate::http::throttle::{MAX_USERNAME_BYTES, Stage};
use crate::http::{AppError, AppState, Ctx, Form, Frame, Id, User, render};
use mamori_core::i18n::Lang;

#[derive(Template)]
#[template(path = "totp_login.html")]
struct TotpLoginPage {
    frame: Frame,
    error: Option<&'static str>,
}

pub async fn login_page(ctx: Ctx) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to("/").into_response();
    }
    Html(render(&LoginPage {
        frame: Frame::anonymous(&ctx, "login.title"),
        error: None,
        username: String::new(),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now_ms();
    let username = form.username.trim().to_owned();
    // A name longer than any account's is refused unread: it is neither looked up nor kept,
    // and only the address counts the failure.
    let readable = username.len() <= MAX_USERNAME_BYTES;
    let shown: String = username.chars().take(64).collect();
    let reason = |reason: &str| serde_json::json!({"reason": reason});
    let attempt = match state.throttle.reserve(
        Stage::Password,
        readable.then_some(username.as_str()),
        &ctx.address,
        now,
    ) {
        Ok(attempt) => attempt,
        Err(throttled) => {
            if throttled.audit {
                state
                    .store
                    .record(login_event(
                        &ctx,
                        &shown,
                        "login.failed",
                        None,
                        reason("throttled"),
                    ))
                    .await?;
            }
            state.metrics.login("throttled");
            return Ok(login_failed(
                &ctx,
                &shown,
                "login.throttled",
                AppError::TooManyRequests.status(),
            ));
        }
    };
    let found = if username.is_empty() || username.len() > 64 {
        None
    } else {
        state.store.credentials_by_name(&username).await?
    };
    // The directory decides for its own accounts, and for names unknown here when there is one;
    // a local account is always checked here, so it still logs in when the directory is down.
    let directory_name = match &found {
        Some(creds) if creds.directory_dn.is_some() => Username::parse(&username).ok(),
        None if state.directory.is_some() => Username::parse(&username).ok(),
        _ => None,
    };
    if let Some(name) = directory_name {
        return directory_login::login(&state, &ctx, attempt, &name, form.password, found, &shown)
            .await;
    }
    // Verify against a dummy hash when the name is unknown, so that timing reveals nothing.
    let stored = found
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| credentials::dummy_hash().to_owned());
    let password = form.password;
    let matches = {
        let _turn = state.throttle.verification().await;
        state.metrics.verification();
        tokio::task::spawn_blocking(move || credentials::verify_password(&password, &stored))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    };
    let creds = match found {
        Some(creds) if matches && !creds.disabled => creds,
        other => {
            let why = match &other {
                None if !readable => "name_too_long",
                None => "unknown_user",
                Some(c) if c.disabled => "disabled",
                Some(_) => "bad_password",
            };
            attempt.failed();
            state
                .store
                .record(login_event(
                    &ctx,
                    &shown,
                    "login.failed",
                    other.map(|c| c.user_id),
                    reason(why),
                ))
                .await?;
            state.metrics.login("failed");
            return Ok(login_failed(
                &ctx,
                &shown,
                "login.failed",
                AppError::Unauthenticated.status(),
            ));
        }
    };
    signed_in(&state, &ctx, attempt, creds, &shown, reason("")).await
}

fn pending_session(ctx: &Ctx) -> Result<&Session, AppError> {
    ctx.session
        .as_ref()
        .filter(|s| s.mfa_pending)
        .ok_or(AppError::Unauthenticated)
}

/// The code form again, saying why the code was not taken, with the refusal's status.
fn totp_page_with(ctx: &Ctx, refusal: AppError, error: &'static str) -> Response {
    let page = TotpLoginPage {
        frame: Frame::anonymous(ctx, "login.totp_title"),
        error: Some(error),
    };
    (refusal.status(), Html(render(&page))).into_response()
}

pub async fn totp_page(ctx: Ctx) -> Result<Response, AppError> {
    pending_session(&ctx)?;
    Ok(Html(render(&TotpLoginPage {
        frame: Frame::anonymous(&ctx, "login.totp_title"),
        error: None,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn totp_verify(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let session = pending_session(&ctx)?.clone();
    let user = session.user_id;
    let creds = state
        .store
        .credentials(user)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let origin = mamori_store::Origin {
        actor_id: Some(user),
        actor_name: creds.username.clone(),
        address: ctx.address.clone(),
    };
    // Guessing codes is throttled like guessing passwords: a pending session must not become
    // an unlimited oracle for six-digit codes.
    let attempt = match state.throttle.reserve(
        Stage::SecondFactor,
        Some(&creds.username),
        &ctx.address,
        state.clock.now_ms(),
    ) {
        Ok(attempt) => attempt,
        Err(throttled) => {
            if throttled.audit {
                state
                    .store
                    .record(
                        origin
                            .event("login.failed", "user", user)
                            .with_detail(serde_json::json!({"reason": "throttled"})),
                    )
                    .await?;
            }
            state.metrics.login("throttled");
            return Ok(totp_page_with(
                &ctx,
                AppError::TooManyRequests,
                "login.throttled",
            ));
        }
    };
    let Some(method) = second_factor(&state, user, &creds, &form.code).await? else {
        attempt.failed();
        state
            .store
            .record(
                origin
                    .event("login.failed", "user", user)
                    .with_detail(serde_json::json!({"reason": "bad_second_factor"})),
            )
            .await?;
        state.metrics.login("failed");
        return Ok(totp_page_with(
            &ctx,
            AppError::Unauthenticated,
            "login.totp_failed",
        ));
    };
    attempt.succeeded();
    state.store.revoke_session(user, session.id).await?;
    state
        .store
        .record(
            origin
                .event("login.success", "user", user)
                .with_detail(serde_json::json!({"second_factor": method})),
        )
        .await?;
    state.metrics.login("success");
    start_session(&state, &ctx, user, false, "/").await
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(session) = &ctx.session {
        state
            .store
            .revoke_session(session.user_id, session.id)
            .await?;
        let origin = ctx.origin();
        state
            .store
            .record(origin.event("logout", "user", session.user_id))
            .await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    frame: Frame,
    username: String,
    totp_enabled: bool,
    recovery_left: i64,
    sessions: Vec<SessionRow>,
    notice: Option<&'static str>,
}

struct SessionRow {
    id: i64,
    current: bool,
    address: String,
    user_agent: String,
    created: String,
    last_seen: String,
}

async fn account_view(
    state: &AppState,
    user: &User,
    notice: Option<&'static str>,
) -> Result<Response, AppError> {
    let account = state
        .store
        .account(user.actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let current = user.ctx.session.as_ref().map(|s| s.id);
    let sessions = state
        .store
        .list_sessions(user.actor.user_id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            current: Some(s.id) == current,
            address: s.address,
            user_agent: s.user_agent,
            created: format_jst(s.created_at),
            last_seen: format_jst(s.last_seen_at),
        })
        .collect();
    Ok(Html(render(&AccountPage {
        frame: Frame::new(user, "account.title"),
        username: account.username,
        totp_enabled: account.totp_enabled,
        recovery_left: state
            .store
            .remaining_recovery_codes(user.actor.user_id)
            .await?,
        sessions,
        notice,
    }))
    .into_response())
}

pub async fn account_page(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    account_view(&state, &user, None).await
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    frame: Frame,
    /// The password was printed or generated: nothing else opens until it is changed.
    required: bool,
    /// The password is the directory's: it is changed there, not here.
    directory: bool,
}

/// The form for a new password; where every page leads while the account must change it.
pub async fn password_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Response, AppError> {
    let directory = state
        .store
        .credentials(user.actor.user_id)
        .await?
        .is_some_and(|c| c.directory_dn.is_some());
    Ok(Html(render(&PasswordPage {
        required: user.ctx.must_change_password,
        directory,
        frame: Frame::new(&user, "password.title"),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let creds = state
        .store
        .credentials(user.actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if creds.directory_dn.is_some() {
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "password",
            mamori_core::FieldErrorKind::NotAllowed,
        )));
    }
    let new = NewPassword::parse(&form.new_password, &creds.username)?;
    // A session alone must not become an unlimited oracle for the password it was opened with.
    let now = state.clock.now_ms();
    let attempt = state
        .throttle
        .reserve(
            Stage::Password,
            Some(&creds.username),
            &user.ctx.address,
            now,
        )
        .map_err(|_| AppError::TooManyRequests)?;
    let stored = creds.password_hash.clone();
    let current = form.current;
    let (ok, hash) = {
        let _turn = state.throttle.verification().await;
        tokio::task::spawn_blocking(move || {
            let ok = credentials::verify_password(&current, &stored);
            (ok, ok.then(|| new.hash(&mut rand::rngs::OsRng)))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
    };
    let Some(hash) = hash.filter(|_| ok) else {
        attempt.failed();
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "password",
            mamori_core::FieldErrorKind::NotAllowed,
        )));
    };
    attempt.succeeded();
    state
        .store
        .set_password(user.actor.user_id, &hash, &user.ctx.origin())
        .await?;
    // Other devices must log in again with the new password.
    state
        .store
        .revoke_other_sessions(user.actor.user_id, user.ctx.session.as_ref().map(|s| s.id))
        .await?;
    account_view(&state, &user, Some("account.password_changed")).await
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn change_language(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<LanguageForm>,
) -> Result<Response, AppError> {
    let lang = Lang::parse(&form.language).ok_or_else(|| {
        AppError::invalid(mamori_core::FieldError::new(
            "language",
            mamori_core::FieldErrorKind::UnknownValue,
        ))
    })?;
    state
        .store
        .set_language(user.actor.user_id, lang.code(), &user.ctx.origin())
        .await?;
    let mut response = Redirect::to("/account").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LANG_COOKIE, lang.code(), Some(365 * 86400)),
    );
    Ok(response)
}

pub async fn revoke_session(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    if !state.store.revoke_session(user.actor.user_id, id).await? {
        return Err(AppError::NotFound);
    }
    let event = user.ctx.origin().event("session.revoke", "session", id);
    state.store.record(event).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
struct TotpEnrolPage {
    frame: Frame,
    /// A second factor is on already: replacing it needs a current code too.
    replacing: bool,
    secret: String,
    qr_svg: String,
    error: Option<&'static str>,
    recovery_codes: Vec<String>,
}

/// Renders the otpauth URL as an inline SVG QR code, made here so that no image leaves the host.
fn qr_svg(url: &str) -> Result<String, AppError> {
    let code =
        qrcode::QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

fn enrol_page(
    state: &AppState,
    user: &User,
    replacing: bool,
    secret: &str,
    error: Option<&'static str>,
) -> Result<Response, AppError> {
    let parsed = TotpSecret::from_base32(secret)
        .ok_or_else(|| AppError::Internal("bad enrolment secret".into()))?;
    let url = parsed.provisioning_url(&state.config.totp_issuer, &user.actor.username);
    Ok(Html(render(&TotpEnrolPage {
        frame: Frame::new(user, "totp.enrol"),
        replacing,
        secret: secret.to_owned(),
        qr_svg: qr_svg(&url)?,
        error,
        recovery_codes: Vec::new(),
    }))
    .into_response())
}

pub async fn totp_enrol_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Response, AppError> {
    let replacing = state
        .store
        .credentials(user.actor.user_id)
        .await?
        .is_some_and(|c| c.totp_secret.is_some());
    let secret = TotpSecret::generate(&mut rand::rngs::OsRng).to_base32();
    enrol_page(&state, &user, replacing, &secret, None)
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    /// A code of the factor being replaced (or a recovery code).
    #[serde(default)]
    current_code: String,
}

/// How `code` proves the second factor, if it does: a current TOTP code of the account (its time
/// step claimed, so it works once) or one of its unused recovery codes (used up). Login and the
/// owner's confirmation both ask here.
async fn second_factor(
    state: &AppState,
    user: mamori_core::UserId,
    creds: &mamori_store::Credentials,
    code: &str,
) -> Result<Option<&'static str>, AppError> {
    let now_s = u64::try_from(state.clock.now_ms() / 1000).unwrap_or_default();
    let step = creds
        .totp_secret
        .as_deref()
        .and_then(TotpSecret::from_base32)
        .and_then(|secret| secret.verify(code, now_s));
    if let Some(step) = step
        && state.store.claim_totp_step(user, step as i64).await?
    {
        return Ok(Some("totp"));
    }
    let recovered = code.trim().len() > 6
        && state
            .store
            .use_recovery_code(user, &token_digest(&normalise_recovery_code(code)))
            .await?;
    Ok(recovered.then_some("recovery_code"))
}

/// Proof that the account's owner is at the keyboard, not just someone holding their session:
/// the current password and, when a second factor is on, a current code of it or a recovery
/// code. A TOTP code is claimed like at login, so an observed code cannot be replayed. Guesses
/// of either are throttled like guesses at login.
async fn confirm_owner(
    state: &AppState,
    user: &User,
    creds: &mamori_store::Credentials,
    password: String,
    code: Option<&str>,
) -> Result<(), AppError> {
    let now = state.clock.now_ms();
    let attempt = state
        .throttle
        .reserve(
            Stage::Password,
            Some(&creds.username),
            &user.ctx.address,
            now,
        )
        .map_err(|_| AppError::TooManyRequests)?;
    let matches = if creds.directory_dn.is_some() {
        directory_login::confirm_password(state, &creds.username, &password).await?
    } else {
        let stored = creds.password_hash.clone();
        let _turn = state.throttle.verification().await;
        tokio::task::spawn_blocking(move || credentials::verify_password(&password, &stored))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
    };
    if !matches {
        attempt.failed();
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "password",
            mamori_core::FieldErrorKind::NotAllowed,
        )));
    }
    attempt.succeeded();
    let Some(code) = code else {
        return Ok(());
    };
    let attempt = state
        .throttle
        .reserve(
            Stage::SecondFactor,
            Some(&creds.username),
            &user.ctx.address,
            now,
        )
        .map_err(|_| AppError::TooManyRequests)?;
    if second_factor(state, user.actor.user_id, creds, code)
        .await?
        .is_none()
    {
        attempt.failed();
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "totp_code",
            mamori_core::FieldErrorKind::NotAllowed,
        )));
    }
    attempt.succeeded();
    Ok(())
}

/// Turns the second factor on once the user proved their app has the secret.
pub async fn totp_enrol(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<EnrolForm>,
) -> Result<Response, AppError> {
    let Some(secret) = TotpSecret::from_base32(form.secret.trim()) else {
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "totp_code",
            mamori_core::FieldErrorKind::InvalidFormat,
        )));
    };
    let creds = state
        .store
        .credentials(user.actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let replacing = creds.totp_secret.is_some();
    let now_s = (state.clock.now_ms() / 1000) as u64;
    let Some(step) = secret.verify(&form.code, now_s) else {
        return enrol_page(
            &state,
            &user,
            replacing,
            form.secret.trim(),
            Some("login.totp_failed"),
        );
    };
    confirm_owner(
        &state,
        &user,
        &creds,
        form.password,
        replacing.then_some(form.current_code.as_str()),
    )
    .await?;
    let codes = credentials::recovery_codes(&mut rand::rngs::OsRng);
    let digests: Vec<String> = codes.iter().map(|c| token_digest(c)).collect();
    state
        .store
        .set_totp(
            user.actor.user_id,
            Some(&secret.to_base32()),
            &digests,
            &user.ctx.origin(),
        )
        .await?;
    // The code that proved the enrolment is spent: it must not log in a second time.
    state
        .store
        .claim_totp_step(user.actor.user_id, step as i64)
        .await?;
    Ok(Html(render(&TotpEnrolPage {
        frame: Frame::new(&user, "totp.enrol"),
        replacing: false,
        secret: String::new(),
        qr_svg: String::new(),
        error: None,
        recovery_codes: codes,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// Turns the factor off: needs the password and a current code (or a recovery code), so a
/// hijacked session alone cannot do it, and an observed code cannot be replayed.
pub async fn totp_disable(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<DisableForm>,
) -> Result<Response, AppError> {
    let creds = state
        .store
        .credentials(user.actor.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if creds.totp_secret.is_none() {
        return Err(AppError::invalid(mamori_core::FieldError::new(
            "totp_code",
            mamori_core::FieldErrorKind::NotAllowed,
        )));
    }
    confirm_owner(&state, &user, &creds, form.password, Some(&form.code)).await?;
    state
        .store
        .set_totp(user.actor.user_id, None, &[], &user.ctx.origin())
        .await?;
    Ok(Redirect::to("/account").into_response())
}
