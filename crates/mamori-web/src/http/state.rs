//! What every handler can reach: the settings and the services the binary built once.

use std::sync::Arc;
use std::time::Duration;

use mamori_core::Clock;
use mamori_store::{QuarantineView, Store};

use crate::http::metrics::Metrics;
use crate::http::throttle::Throttle;

/// Settings of the web application.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a session lives without a new login.
    pub session_lifetime: Duration,
    /// How long a session lives without a request: it ends after this much idle time.
    pub session_idle: Duration,
    /// Issuer name shown in authenticator apps.
    pub totp_issuer: String,
    /// More counters for `/metrics` in Prometheus text (a gateway run by `mamori serve`).
    pub extra_metrics: Option<MetricsSource>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: only when the TCP peer is inside
    /// one of these ranges is the header read; otherwise it is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where files given as evidence of a measure are kept, each under its SHA-256 (the data
    /// folder's `evidence/`); without one, answers carry notes and links only.
    pub evidence_dir: Option<std::path::PathBuf>,
    /// Days within which an emergency 例外措置 must be reported; one reported later is flagged.
    pub exception_report_days: u32,
    /// When contracts and 指定管理 agreements are flagged: days before the end, days a
    /// requirement may go unchecked, and the requirements every agreement must carry.
    pub agreement_rules: mamori_core::third_party::FlagRules,
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
            session_idle: Duration::from_secs(30 * 60),
            totp_issuer: "mamori".to_owned(),
            extra_metrics: None,
            trusted_proxies: Vec::new(),
            evidence_dir: None,
            exception_report_days: mamori_core::exception::EMERGENCY_REPORT_DAYS,
            agreement_rules: mamori_core::third_party::FlagRules::default(),
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
    /// The LDAP directory or Active Directory that checks the passwords of directory accounts
    /// and of names unknown here (ディレクトリ認証); without it only local accounts log in.
    pub directory: Option<Arc<mamori_ldap::Directory>>,
}

impl AppState {
    /// Today in Japan, for the due dates and review dates the features flag.
    pub fn today(&self) -> chrono::NaiveDate {
        mamori_core::time::jst_date(self.clock.now_ms()).unwrap_or_default()
    }

    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: WebConfig) -> Self {
        Self {
            quarantine: None,
            directory: None,
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

    /// The directory that logs people in (see [`AppState::directory`]).
    #[must_use]
    pub fn with_directory(mut self, directory: Arc<mamori_ldap::Directory>) -> Self {
        self.directory = Some(directory);
        self
    }
}
