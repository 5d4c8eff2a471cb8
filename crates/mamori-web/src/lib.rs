//! The web application of mamori: HTML pages, the JSON API under `/api/v1`, sessions, CSRF and
//! the one place where requests meet authorisation.
//!
//! Architecture invariant: handlers reach the store's guarded operations only with a
//! `Granted<P>` from `mamori_core::authz::authorize`; this crate writes no SQL.

mod api;
mod assets;
mod assets_api;
mod assets_pages;
mod assets_sheet;
mod auth;
mod context;
mod error;
pub mod i18n;
mod metrics;
mod pages;
mod quarantine_api;
mod quarantine_pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use mamori_core::Clock;
use mamori_store::{QuarantineView, Store};

pub use api::routes as api_routes;
pub use auth::Throttle;
pub use context::Ctx;
pub use error::AppError;
pub use metrics::Metrics;

/// Settings of the web application.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a session lives without a new login.
    pub session_lifetime: Duration,
    /// Issuer name shown in authenticator apps.
    pub totp_issuer: String,
    /// More counters for `/metrics` in Prometheus text (a gateway run by `mamori serve`).
    pub extra_metrics: Option<MetricsSource>,
}

/// Renders counters in Prometheus text; called off the async threads (it may read folders).
#[derive(Clone)]
pub struct MetricsSource(pub Arc<dyn Fn() -> String + Send + Sync>);

impl std::fmt::Debug for MetricsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsSource")
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_lifetime: Duration::from_secs(8 * 3600),
            totp_issuer: "mamori".to_owned(),
            extra_metrics: None,
        }
    }
}

/// Everything a handler can reach, built once by the binary.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    pub throttle: Arc<Throttle>,
    pub metrics: Arc<Metrics>,
    /// 隔離メール of a gateway run by `mamori serve`; without it the quarantine pages are 404.
    pub quarantine: Option<Arc<dyn QuarantineView>>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        Self {
            quarantine: None,
            store,
            clock,
            config: Arc::new(config),
            throttle: Arc::new(Throttle::default()),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The quarantine whose pages and release requests `/quarantine` serves.
    #[must_use]
    pub fn with_quarantine(mut self, quarantine: Arc<dyn QuarantineView>) -> Self {
        self.quarantine = Some(quarantine);
        self
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/totp", get(auth::totp_page).post(auth::totp_verify))
        .route("/logout", post(auth::logout))
        .route("/account", get(auth::account_page))
        .route("/account/password", post(auth::change_password))
        .route("/account/language", post(auth::change_language))
        .route("/account/sessions/{id}/revoke", post(auth::revoke_session))
        .route(
            "/account/totp",
            get(auth::totp_enrol_page).post(auth::totp_enrol),
        )
        .route("/account/totp/disable", post(auth::totp_disable))
        .route(
            "/organisations",
            get(pages::organisations).post(pages::create_organisation),
        )
        .route(
            "/organisations/{id}",
            get(pages::organisation).post(pages::update_organisation),
        )
        .route("/units", post(pages::create_unit))
        .route("/units/{id}", get(pages::unit).post(pages::update_unit))
        .route("/people", get(pages::people).post(pages::create_person))
        .route(
            "/people/{id}",
            get(pages::person).post(pages::update_person),
        )
        .route("/people/{id}/roles", post(pages::assign_role))
        .route("/roles/{id}/revoke", post(pages::revoke_role))
        .route(
            "/accounts",
            get(pages::accounts).post(pages::create_account),
        )
        .route("/accounts/{id}/disabled", post(pages::set_account_disabled))
        .route("/audit", get(pages::audit))
        .route(
            "/assets",
            get(assets_pages::assets).post(assets_pages::create_asset),
        )
        .route("/assets/summary", get(assets_pages::summary))
        .route("/assets/export", get(assets_sheet::export_page))
        .route("/assets/import", post(assets_sheet::import_page))
        .route(
            "/assets/{id}",
            get(assets_pages::asset).post(assets_pages::update_asset),
        )
        .route(
            "/assets/{id}/reclassify",
            post(assets_pages::reclassify_asset),
        )
        .route("/assets/{id}/dispose", post(assets_pages::dispose_asset))
        .route(
            "/segments",
            get(assets_pages::segments).post(assets_pages::create_segment),
        )
        .route("/segments/{id}", post(assets_pages::update_segment))
        .route("/segments/{id}/delete", post(assets_pages::delete_segment))
        .route("/classification", get(assets_pages::classification))
        .route("/classification/split", post(assets_pages::set_split))
        .route(
            "/classification/{dimension}/{code}",
            get(assets_pages::level_page).post(assets_pages::update_level),
        )
        .route("/quarantine", get(quarantine_pages::list))
        .route("/quarantine/releases", get(quarantine_pages::releases))
        .route(
            "/quarantine/releases/{id}/decide",
            post(quarantine_pages::decide),
        )
        .route("/quarantine/{id}", get(quarantine_pages::item))
        .route("/quarantine/{id}/request", post(quarantine_pages::request))
        .route("/static/{file}", get(assets::file))
        .route("/healthz", get(metrics::healthz))
        .route("/metrics", get(metrics::metrics));

    pages
        .nest("/api/v1", api::router())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            context::layer,
        ))
        .with_state(state)
}
