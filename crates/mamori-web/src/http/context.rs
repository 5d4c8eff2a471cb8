//! The layer every request passes: who is asking (session cookie or bearer token), in which
//! language, whether a state-changing request carries its CSRF token, and how errors and
//! security headers are written on the way out.

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};
use mamori_core::Actor;
use mamori_core::credentials::{random_token, secrets_equal, token_digest};
use mamori_store::Session;

use crate::http::error::AppError;
use crate::http::state::AppState;
use mamori_core::i18n::Lang;

pub const SESSION_COOKIE: &str = "mamori_session";
pub const PRE_SESSION_COOKIE: &str = "mamori_pre";
pub const LANG_COOKIE: &str = "mamori_lang";
/// Largest form body read to find a CSRF token.
pub const FORM_LIMIT: usize = 1024 * 1024;
/// Largest file upload (a `multipart/form-data` form, or a file as the body of an API request).
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// What is known about the request before a handler runs.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub address: String,
    pub user_agent: String,
    /// A complete (not second-factor-pending) session, or a pending one on the TOTP page.
    pub session: Option<Session>,
    /// The acting identity; only set for complete sessions and valid bearer tokens.
    pub actor: Option<Actor>,
    pub via_token: bool,
    /// The bearer token may only read.
    pub read_only: bool,
    /// The account must change its password before anything else.
    pub must_change_password: bool,
    /// The token that forms on this page must carry.
    pub csrf: String,
    /// `mamori serve` runs a gateway, so the quarantine pages exist.
    pub quarantine: bool,
}

impl Ctx {
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    pub fn origin(&self) -> mamori_store::Origin {
        match &self.actor {
            Some(actor) => mamori_store::Origin::of(actor, &self.address),
            None => mamori_store::Origin {
                actor_id: None,
                actor_name: String::new(),
                address: self.address.clone(),
            },
        }
    }
}

/// Mark of a request refused before its handler: a state-changing request whose CSRF token was
/// missing or wrong, a change through a read-only token, an API request of an account that must
/// change its password first.
#[derive(Clone)]
struct Refused(AppError);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(Refused(error)) = parts.extensions.get::<Refused>() {
            return Err(error.clone());
        }
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal("request context missing".into()))
    }
}

/// The boundary of a `multipart/form-data` body.
pub fn multipart_boundary(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !value
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return None;
    }
    multer::parse_boundary(value).ok()
}

/// The first field of a multipart body with this name, as bytes; `None` when there is none.
/// A body that is not well-formed multipart is malformed.
pub async fn multipart_field(
    bytes: axum::body::Bytes,
    boundary: String,
    name: &str,
) -> Result<Option<axum::body::Bytes>, AppError> {
    let stream = Body::from(bytes).into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| AppError::Malformed)?
    {
        if field.name() == Some(name) {
            return field
                .bytes()
                .await
                .map(Some)
                .map_err(|_| AppError::Malformed);
        }
    }
    Ok(None)
}

pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The value of the first cookie called `name` in the request's `Cookie` headers; a pair that is
/// not `name=value` is skipped.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// A `Set-Cookie` value with the attributes every cookie of ours carries.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: Option<u64>,
) -> HeaderValue {
    set_cookie_value(name, value, state.config.secure_cookies, max_age_secs)
}

/// HttpOnly, SameSite=Lax and Path=/ always; Secure when served over TLS; Max-Age when given.
fn set_cookie_value(
    name: &str,
    value: &str,
    secure: bool,
    max_age_secs: Option<u64>,
) -> HeaderValue {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(age) = max_age_secs {
        cookie = cookie.max_age(Duration::seconds(i64::try_from(age).unwrap_or(i64::MAX)));
    }
    HeaderValue::from_str(&cookie.to_string()).expect("cookie values are URL-safe tokens")
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// What a read-only token may ask.
fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// Where the page for a new password lies.
pub const PASSWORD_PAGE: &str = "/account/password";

/// The pages an account that must change its password may still reach: the change itself,
/// logging out, and what the pages load.
fn open_before_password_change(path: &str) -> bool {
    path == PASSWORD_PAGE || path == "/logout" || path == "/healthz" || path.starts_with("/static/")
}

/// Resolves the identity, checks CSRF, runs the handler and finishes the response.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let mut request = request;
    let (ctx, pre_cookie) = match identify(&state, &mut request).await {
        Ok(found) => found,
        Err(error) => return finish(&state, error.into_response(), Lang::default(), is_api, None),
    };
    let lang = ctx.lang;
    let path = request.uri().path().to_owned();
    // An account whose password others may know goes to the change of it from every page; the
    // API and the counters refuse it (below).
    let pages_closed = ctx.must_change_password && !is_api && path != "/metrics";
    if pages_closed && !open_before_password_change(&path) {
        let to = Redirect::to(PASSWORD_PAGE).into_response();
        return finish(&state, to, lang, is_api, pre_cookie);
    }
    request.extensions_mut().insert(ctx.clone());

    // A refusal is carried to the extractors rather than answered here, so that a wrong method
    // still gets 405 and an unknown path 404. Every handler takes `Ctx` or `User`, and both
    // refuse a request that carries this mark. An API request without any identity has no
    // authority to forge; it is told to authenticate (401) rather than about CSRF.
    let anonymous_api = is_api && ctx.actor.is_none();
    let refusal = if ctx.must_change_password && !pages_closed {
        Some(AppError::PasswordChangeRequired)
    } else if ctx.read_only && !is_read(request.method()) {
        Some(AppError::ReadOnlyToken)
    } else {
        None
    };
    if let Some(error) = refusal {
        request.extensions_mut().insert(Refused(error));
    } else if !is_safe(request.method()) && !ctx.via_token && !anonymous_api {
        let (checked, verdict) = check_csrf(&ctx, request).await;
        request = checked;
        if let Err(error) = verdict {
            request.extensions_mut().insert(Refused(error));
        }
    }
    let response = next.run(request).await;
    finish(&state, response, lang, is_api, pre_cookie)
}

async fn identify(
    state: &AppState,
    request: &mut Request,
) -> Result<(Ctx, Option<String>), AppError> {
    let headers = request.headers();
    let address = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| client_address(c.0.ip(), headers, &state.config.trusted_proxies).to_string())
        .unwrap_or_else(|| "local".to_owned());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default();
    let mut ctx = Ctx {
        lang,
        address,
        user_agent,
        session: None,
        actor: None,
        via_token: false,
        read_only: false,
        must_change_password: false,
        csrf: String::new(),
        quarantine: state.quarantine.is_some(),
    };

    // A bearer token speaks for the API and the counters only, never for a page or `/account`.
    let path = request.uri().path();
    let token_route = path.starts_with("/api/v1/") || path == "/api/v1" || path == "/metrics";
    if let Some(auth) = headers.get(header::AUTHORIZATION).filter(|_| token_route) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthenticated)?;
        // Revoked and expired tokens are not live: the same refusal as a token never issued.
        let token = state
            .store
            .live_api_token(&token_digest(token.trim()))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        // A disabled account's tokens speak for nobody.
        let actor = token.actor.ok_or(AppError::Unauthenticated)?;
        ctx.actor = Some(with_contract(state, actor).await?);
        ctx.via_token = true;
        ctx.read_only = token.read_only;
        ctx.must_change_password = token.must_change_password;
        return Ok((ctx, None));
    }

    if let Some(token) = cookie(headers, SESSION_COOKIE)
        && let Some((session, actor)) = state.store.session(&token_digest(token)).await?
        && !idle_too_long(state, &session).await?
    {
        ctx.csrf = session.csrf_token.clone();
        ctx.actor = match actor {
            Some(actor) => Some(with_contract(state, actor).await?),
            None => None,
        };
        if session.mfa_pending || ctx.actor.is_some() {
            ctx.must_change_password = session.must_change_password && !session.mfa_pending;
            ctx.session = Some(session);
            return Ok((ctx, None));
        }
    }

    // No session: forms (the login form) are protected by a double-submit cookie.
    match cookie(headers, PRE_SESSION_COOKIE).filter(|v| v.len() >= 32 && v.len() <= 64) {
        Some(pre) => {
            ctx.csrf = pre.to_owned();
            Ok((ctx, None))
        }
        None => {
            let fresh = random_token(&mut rand::rngs::OsRng);
            ctx.csrf = fresh.clone();
            Ok((ctx, Some(fresh)))
        }
    }
}

/// Whether the session has gone unused longer than the idle time; such a session is ended.
async fn idle_too_long(state: &AppState, session: &Session) -> Result<bool, AppError> {
    let idle_ms = i64::try_from(state.config.session_idle.as_millis()).unwrap_or(i64::MAX);
    if state.clock.now_ms().saturating_sub(session.last_seen_at) <= idle_ms {
        return Ok(false);
    }
    state
        .store
        .revoke_session(session.user_id, session.id)
        .await?;
    Ok(true)
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
/// right-most address of `X-Forwarded-For` that is not itself a trusted proxy (every proxy
/// appends the address it was reached from, so entries to the left of an untrusted one are
/// whatever the client chose to send).
pub fn client_address(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An entry that is not an address ends the walk: the last proxy believed speaks for it.
        let Ok(ip) = hop.trim().parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(&client) {
            break;
        }
    }
    client
}

async fn check_csrf(ctx: &Ctx, request: Request) -> (Request, Result<(), AppError>) {
    let expected = ctx.csrf.as_str();
    let matches = |sent: &str| !expected.is_empty() && secrets_equal(sent, expected);
    if let Some(sent) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let verdict = if matches(sent) {
            Ok(())
        } else {
            Err(AppError::Csrf)
        };
        return (request, verdict);
    }
    if let Some(boundary) = multipart_boundary(request.headers()) {
        // Only someone signed in may make us hold a whole upload; anyone else, a form's worth.
        let limit = if ctx.actor.is_some() {
            UPLOAD_LIMIT
        } else {
            FORM_LIMIT
        };
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return (
                    Request::from_parts(parts, Body::empty()),
                    Err(AppError::TooLarge),
                );
            }
        };
        let verdict = match multipart_field(bytes.clone(), boundary, "_csrf").await {
            Ok(Some(sent)) if matches(&String::from_utf8_lossy(&sent)) => Ok(()),
            Ok(_) => Err(AppError::Csrf),
            Err(error) => Err(error),
        };
        return (Request::from_parts(parts, Body::from(bytes)), verdict);
    }
    if !is_form(request.headers()) {
        return (request, Err(AppError::Csrf));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                Request::from_parts(parts, Body::empty()),
                Err(AppError::TooLarge),
            );
        }
    };
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let verdict = if matches(&sent) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    };
    (Request::from_parts(parts, Body::from(bytes)), verdict)
}

fn finish(
    state: &AppState,
    mut response: Response,
    lang: Lang,
    is_api: bool,
    pre_cookie: Option<String>,
) -> Response {
    if response.status() == AppError::MethodNotAllowed.status()
        && response.extensions().get::<AppError>().is_none()
    {
        response = AppError::MethodNotAllowed.into_response();
    }
    if let Some(error) = response.extensions_mut().remove::<AppError>() {
        response = render_error(&error, lang, is_api);
    }
    state.metrics.observe_status(response.status().as_u16());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(pre) = pre_cookie {
        headers.append(
            header::SET_COOKIE,
            set_cookie(state, PRE_SESSION_COOKIE, &pre, None),
        );
    }
    response
}

fn render_error(error: &AppError, lang: Lang, is_api: bool) -> Response {
    let details: Vec<String> = match error {
        AppError::Invalid(fields) => fields.iter().map(|f| lang.field_error(f)).collect(),
        AppError::Sheet(sheet) => sheet_problems(sheet, lang)
            .into_iter()
            .map(|p| p.line(lang))
            .collect(),
        other => other
            .text_problem(lang)
            .map(|(_, sentence)| vec![sentence])
            .unwrap_or_default(),
    };
    if is_api && let AppError::Sheet(sheet) = error {
        let message = match sheet {
            mamori_sheet::ImportError::File(file) => sheet_message(file, lang),
            mamori_sheet::ImportError::Rows(_) => lang.t(error.message_key()).to_owned(),
        };
        let rows: Vec<_> = sheet_problems(sheet, lang)
            .into_iter()
            .filter(|p| p.row.is_some())
            .map(|p| {
                serde_json::json!({
                    "row": p.row,
                    "column": p.column,
                    "header": p.header,
                    "message": p.message,
                })
            })
            .collect();
        let body = serde_json::json!({
            "error": error.code(),
            "message": message,
            "rows": rows,
        });
        return (error.status(), axum::Json(body)).into_response();
    }
    if is_api {
        let fields: Vec<_> = match error {
            AppError::Invalid(fields) => fields
                .iter()
                .zip(&details)
                .map(|(f, m)| serde_json::json!({"field": f.field, "kind": f.kind, "message": m}))
                .collect(),
            _ => Vec::new(),
        };
        let mut body = serde_json::json!({
            "error": error.code(),
            "message": lang.t(error.message_key()),
            "fields": fields,
        });
        if let Some((line, sentence)) = error.text_problem(lang) {
            // Which line of the text, and the sentence that names it.
            body["line"] = line.into();
            body["detail"] = sentence.into();
        }
        let mut response = (error.status(), axum::Json(body)).into_response();
        if matches!(error, AppError::Unauthenticated) {
            // RFC 6750: tell the client which scheme to authenticate with.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return response;
    }
    if matches!(error, AppError::Unauthenticated) {
        return Redirect::to("/login").into_response();
    }
    let page = crate::http::render::ErrorPage {
        lang,
        headline: lang.t(error.message_key()),
        details,
    };
    (error.status(), Html(crate::http::render::render(&page))).into_response()
}

/// One problem of a refused sheet, in the user's language.
struct SheetProblem {
    row: Option<usize>,
    /// The column letter (`A`, `B` …).
    column: Option<String>,
    header: Option<String>,
    message: String,
}

impl SheetProblem {
    fn line(&self, lang: Lang) -> String {
        let Some(row) = self.row else {
            return self.message.clone();
        };
        let place = match (lang, &self.column, &self.header) {
            (Lang::Ja, Some(c), Some(h)) => format!("{row}行目 {c}列（{h}）"),
            (Lang::Ja, Some(c), None) => format!("{row}行目 {c}列"),
            (Lang::Ja, None, _) => format!("{row}行目"),
            (Lang::En, Some(c), Some(h)) => format!("Row {row}, column {c} ({h})"),
            (Lang::En, Some(c), None) => format!("Row {row}, column {c}"),
            (Lang::En, None, _) => format!("Row {row}"),
        };
        format!("{place}: {}", self.message)
    }
}

fn sheet_message(error: &mamori_sheet::SheetError, lang: Lang) -> String {
    match lang {
        Lang::Ja => error.message_ja(),
        Lang::En => error.message_en(),
    }
}

impl AppError {
    /// Each problem of a refused spreadsheet, with its row and column, as the error page lists
    /// them (for the command line's imports); empty for other errors.
    pub fn sheet_lines(&self, lang: Lang) -> Vec<String> {
        match self {
            AppError::Sheet(sheet) => sheet_problems(sheet, lang)
                .iter()
                .map(|p| p.line(lang))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn sheet_problems(error: &mamori_sheet::ImportError, lang: Lang) -> Vec<SheetProblem> {
    match error {
        mamori_sheet::ImportError::File(file) => vec![SheetProblem {
            row: None,
            column: None,
            header: None,
            message: sheet_message(file, lang),
        }],
        mamori_sheet::ImportError::Rows(rows) => rows
            .iter()
            .map(|r| SheetProblem {
                row: Some(r.row),
                column: r.column_letter(),
                header: r.header.clone(),
                message: match lang {
                    Lang::Ja => r.message_ja.clone(),
                    Lang::En => r.message_en.clone(),
                },
            })
            .collect(),
    }
}

/// A contractor acts with what the contracts in force that list them name (the assets and policy
/// documents they may read); core's rules read it from the actor.
async fn with_contract(state: &AppState, mut actor: Actor) -> Result<Actor, AppError> {
    if actor.has(mamori_core::Role::Contractor) {
        actor.contract = state
            .store
            .contract_grants(actor.person_id, state.today())
            .await?;
    }
    Ok(actor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for c in cookies {
            headers.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        headers
    }

    #[test]
    fn a_cookie_is_found_in_any_cookie_header() {
        let h = headers(&["mamori_lang=en; mamori_session=abc", "mamori_pre=xyz"]);
        assert_eq!(cookie(&h, "mamori_lang"), Some("en"));
        assert_eq!(cookie(&h, "mamori_session"), Some("abc"));
        assert_eq!(cookie(&h, "mamori_pre"), Some("xyz"));
        assert_eq!(cookie(&h, "mamori"), None);
        assert_eq!(cookie(&headers(&[]), "mamori_lang"), None);
    }

    #[test]
    fn malformed_pairs_are_skipped() {
        let h = headers(&["garbage; =nameless;; ;mamori_lang=en ; other"]);
        assert_eq!(cookie(&h, "mamori_lang"), Some("en"));
        assert_eq!(cookie(&h, "garbage"), None);
        assert_eq!(cookie(&h, ""), None);
    }

    #[test]
    fn the_first_of_two_cookies_with_one_name_wins_and_values_are_kept_raw() {
        let h = headers(&["mamori_session=first; mamori_session=second; q=\"a=b\""]);
        assert_eq!(cookie(&h, "mamori_session"), Some("first"));
        assert_eq!(cookie(&h, "q"), Some("\"a=b\""));
        assert_eq!(
            cookie(&headers(&["mamori_session="]), "mamori_session"),
            Some("")
        );
    }

    #[test]
    fn every_cookie_is_http_only_lax_for_the_whole_site() {
        assert_eq!(
            set_cookie_value("mamori_pre", "tok", false, None),
            "mamori_pre=tok; HttpOnly; SameSite=Lax; Path=/"
        );
        assert_eq!(
            set_cookie_value("mamori_session", "tok", true, Some(28_800)),
            "mamori_session=tok; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=28800"
        );
        assert_eq!(
            set_cookie_value("mamori_session", "", false, Some(0)),
            "mamori_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"
        );
    }
}
