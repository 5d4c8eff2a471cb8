//! What every HTML page uses: the layout's frame, rendering, the error page, dates typed in forms
//! and the collection of a form's field errors.

use mamori_core::authz::{
    ManageAccounts, ViewAudit, ViewContractors, ViewDirectory, ViewMonitor, ViewThirdParties,
    ViewThirdPartyRegisters, authorize,
};
use mamori_core::role::Role;
use mamori_core::text::Name;
use mamori_core::time;
use mamori_core::{FieldError, FieldErrorKind};

use crate::http::context::Ctx;
use crate::http::error::AppError;
use crate::http::extract::User;
use mamori_core::i18n::Lang;

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
    /// リスク台帳: the roles that oversee risks (an owner reaches their own from `/risks`).
    pub can_risks: bool,
    /// 自己点検 and 指摘事項: the roles that oversee units (an action's owner reaches their own
    /// from the home page).
    pub can_assurance: bool,
    /// 委託契約 (a contractor's own among them): the roles that oversee third parties and the
    /// contractors.
    pub can_contracts: bool,
    /// 委託事業者 and 指定管理者: the roles that oversee third parties.
    pub can_third_parties: bool,
    /// 情報セキュリティ監査: the administrators and the auditors.
    pub can_audits: bool,
    /// 外部サービス and SNSアカウント: every member of staff.
    pub can_registers: bool,
    /// 不正通信の監視: the CSIRT, the administrators and the auditors.
    pub can_monitor: bool,
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
            can_contracts: authorize::<ViewThirdParties>(&user.actor, &()).is_ok(),
            can_third_parties: authorize::<ViewContractors>(&user.actor, &()).is_ok(),
            can_quarantine: user.ctx.quarantine,
            can_risks: user.actor.oversees_risks(),
            can_assurance: user.actor.oversees_assurance(),
            can_audits: user.actor.reads_audits(),
            can_registers: authorize::<ViewThirdPartyRegisters>(&user.actor, &()).is_ok(),
            can_monitor: authorize::<ViewMonitor>(&user.actor, &()).is_ok(),
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
            can_contracts: false,
            can_third_parties: false,
            can_audit: false,
            can_quarantine: false,
            can_risks: false,
            can_assurance: false,
            can_audits: false,
            can_registers: false,
            can_monitor: false,
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// The text of a key with its one placeholder `{name}` filled in.
    pub fn fill(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        self.lang.fill(key, &[(name, value.to_string())])
    }

    pub fn role_name(&self, role: &Role) -> &'static str {
        self.lang.role(*role)
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// The templates and the code of every crate that shows text, as (path, text).
    fn sources() -> Vec<(PathBuf, String)> {
        let web = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = web.join("../..");
        let mut paths = Vec::new();
        for dir in [
            web.join("templates"),
            web.join("src"),
            root.join("src"),
            root.join("crates/mamori-core/src"),
            root.join("crates/mamori-sheet/src"),
            root.join("crates/mamori-store/src"),
        ] {
            files(&dir, &mut paths);
        }
        assert!(paths.len() > 60, "the source tree was not found");
        paths
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
            .collect()
    }

    /// The quoted text after each place where `marker` ends a name (not the end of a longer one).
    fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
        text.match_indices(marker)
            .filter(|(at, _)| {
                !text[..*at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
            .filter_map(|(at, _)| text[at + marker.len()..].split('"').next())
            .collect()
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let mut missing = Vec::new();
        for (path, text) in sources() {
            for key in literals_after(&text, "t(\"") {
                if key.contains('.') && !key.contains(' ') && !Lang::has(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing message keys: {missing:?}");
    }

    /// A refused field is named in the user's language: every field name that code gives a
    /// `FieldError` (directly, or through the parsers that take a field name) has its text.
    #[test]
    fn every_refused_field_has_its_name_in_both_languages() {
        let makers = [
            "FieldError::new(\"",
            "Name::parse(\"",
            "parse_note(\"",
            "parse_line(\"",
            "parse_email(\"",
            "parse_opt_id(\"",
            "positive_id(\"",
            "parse_count(\"",
            "parse_date(\"",
            "parse_reason(\"",
            "parse_ranges(\"",
            "parse_range_list(\"",
            "parse_addresses(\"",
            "parse_address_list(\"",
            ".name(\"",
        ];
        let mut missing = Vec::new();
        let mut seen = 0;
        for (path, text) in sources() {
            if path.extension().is_some_and(|e| e == "html") {
                continue;
            }
            for maker in makers {
                for field in literals_after(&text, maker) {
                    seen += 1;
                    if !Lang::has(&format!("field.{field}")) {
                        missing.push(format!("{}: {field}", path.display()));
                    }
                }
            }
        }
        assert!(seen > 50, "found only {seen} field names");
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "fields without a name: {missing:?}");
    }
}
