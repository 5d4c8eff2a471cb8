//! What every HTML page uses: the layout's frame, rendering, the error page, dates typed in forms
//! and the collection of a form's field errors.

use askama::Template;
use mamori_core::authz::{ManageAccounts, ViewAudit, ViewDirectory, authorize};
use mamori_core::role::Role;
use mamori_core::text::Name;
use mamori_core::time;
use mamori_core::{FieldError, FieldErrorKind};

use crate::http::context::Ctx;
use crate::http::error::AppError;
use crate::http::extract::User;
use crate::i18n::Lang;

/// What every page's layout needs.
pub struct Frame {
    pub lang: Lang,
    pub title_key: &'static str,
    pub username: Option<String>,
    pub csrf: String,
    pub can_directory: bool,
    pub can_accounts: bool,
    pub can_audit: bool,
    /// 隔離メール: shown to everyone signed in when a gateway runs with `mamori serve`.
    pub can_quarantine: bool,
}

impl Frame {
    pub fn new(user: &User, title_key: &'static str) -> Self {
        Self {
            lang: user.ctx.lang,
            title_key,
            username: Some(user.actor.username.clone()),
            csrf: user.ctx.csrf.clone(),
            can_directory: authorize::<ViewDirectory>(&user.actor, &()).is_ok(),
            can_accounts: authorize::<ManageAccounts>(&user.actor, &()).is_ok(),
            can_audit: authorize::<ViewAudit>(&user.actor, &()).is_ok(),
            can_quarantine: user.ctx.quarantine,
        }
    }

    pub fn anonymous(ctx: &Ctx, title_key: &'static str) -> Self {
        Self {
            lang: ctx.lang,
            title_key,
            username: None,
            csrf: ctx.csrf.clone(),
            can_directory: false,
            can_accounts: false,
            can_audit: false,
            can_quarantine: false,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    pub fn role_name(&self, role: &Role) -> &'static str {
        self.lang.t(&format!("role.{}", role.as_str()))
    }
}

/// Renders a template; a template that fails to render is a bug, shown as a plain error.
pub fn render<T: Template>(page: &T) -> String {
    page.render().unwrap_or_else(|error| {
        tracing::error!(%error, "template failed");
        "<!doctype html><title>error</title><p>error</p>".to_owned()
    })
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub headline: &'static str,
    pub details: Vec<String>,
}

impl ErrorPage {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

/// An optional date typed as `YYYY-MM-DD`, as the start of that day in JST.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Option<i64>, AppError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    time::jst_day_start(raw)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, FieldErrorKind::InvalidFormat).into())
}

/// An optional numeric id from a form field.
pub fn parse_opt_id(field: &'static str, raw: &str) -> Result<Option<i64>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, FieldErrorKind::InvalidFormat))
}

/// Collects every field error of a form, so the user sees them all at once.
pub struct Check(pub Vec<FieldError>);

impl Check {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn take<T: Default>(&mut self, result: Result<T, FieldError>) -> T {
        result.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    /// The value, or `None` with its error kept.
    pub fn keep<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    pub fn name(&mut self, field: &'static str, raw: &str) -> Option<Name> {
        match Name::parse(field, raw) {
            Ok(n) => Some(n),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn done(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}
