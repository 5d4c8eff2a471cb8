//! Errors of handlers. A handler returns an [`AppError`]; the context layer renders it as a page
//! or as JSON in the user's language. The message shown is kept apart from the detail logged.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_core::text::FieldError;
use mamori_store::StoreError;

use mamori_core::i18n::Lang;

#[derive(Debug, Clone)]
pub enum AppError {
    NotFound,
    Forbidden,
    Unauthenticated,
    Csrf,
    /// A change asked through an API token that may only read.
    ReadOnlyToken,
    /// The account must change its password before anything else.
    PasswordChangeRequired,
    MethodNotAllowed,
    TooLarge,
    TooManyRequests,
    /// The directory that checks the account's password did not answer (fail closed).
    DirectoryUnavailable,
    /// A body that is not what it claims to be (broken JSON, a query string that cannot be read).
    Malformed,
    /// A body in a format the route does not take.
    UnsupportedMediaType,
    /// One or more fields were refused.
    Invalid(Vec<FieldError>),
    /// A request that contradicts stored data; the code of the store's
    /// [`Conflict`](mamori_store::Conflict) names which rule.
    Conflict(&'static str),
    /// A spreadsheet that cannot be imported (or a register that cannot be written in the
    /// format asked for), with every problem found.
    Sheet(mamori_sheet::ImportError),
    /// A policy text that cannot be read, naming its line.
    Policy(mamori_core::policy::PolicyError),
    /// A catalogue library that cannot be read or is refused, naming its line.
    Catalogue(mamori_core::controls::ImportError),
    /// Something of ours failed; the detail goes to the log, never to the user.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden
            | AppError::Csrf
            | AppError::ReadOnlyToken
            | AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::DirectoryUnavailable => status::DIRECTORY_UNAVAILABLE,
            AppError::Malformed => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Sheet(_) | AppError::Policy(_) | AppError::Catalogue(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Machine-readable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Csrf => "csrf",
            AppError::ReadOnlyToken => "read_only_token",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooLarge => "too_large",
            AppError::TooManyRequests => "too_many_requests",
            AppError::DirectoryUnavailable => "directory_unavailable",
            AppError::Malformed => "malformed",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::Invalid(_) => "invalid",
            AppError::Conflict(code) => code,
            AppError::Sheet(_) => "sheet_invalid",
            AppError::Policy(_) => "policy_invalid",
            AppError::Catalogue(_) => "catalogue_invalid",
            AppError::Internal(_) => "internal",
        }
    }

    /// Message key of the headline shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::NotFound => "error.not_found",
            AppError::Forbidden => "error.forbidden",
            AppError::Unauthenticated => "error.unauthenticated",
            AppError::Csrf => "error.csrf",
            AppError::ReadOnlyToken => "error.read_only_token",
            AppError::PasswordChangeRequired => "error.password_change_required",
            AppError::MethodNotAllowed => "error.method",
            AppError::TooLarge => "error.too_large",
            AppError::TooManyRequests => "login.throttled",
            AppError::DirectoryUnavailable => "login.directory_unavailable",
            AppError::Malformed => "error.malformed",
            AppError::UnsupportedMediaType => "error.media_type",
            AppError::Invalid(_) => "error.bad_request",
            AppError::Conflict(code) => Lang::conflict_key(code).unwrap_or("error.conflict"),
            AppError::Sheet(_) => "error.sheet",
            AppError::Policy(_) => "error.policy",
            AppError::Catalogue(_) => "error.catalogue",
            AppError::Internal(_) => "error.internal",
        }
    }

    pub fn invalid(error: FieldError) -> Self {
        AppError::Invalid(vec![error])
    }
}

impl AppError {
    /// The line of a text that could not be read, and the sentence that names it.
    pub fn text_problem(&self, lang: Lang) -> Option<(usize, String)> {
        match self {
            AppError::Policy(policy) => Some((policy.line(), lang.policy_error(policy))),
            AppError::Catalogue(error) => Some((
                error.line,
                match lang {
                    Lang::Ja => format!("{}行目：{}", error.line, error.kind),
                    Lang::En => format!("Line {}: {}", error.line, error.kind),
                },
            )),
            _ => None,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(conflict) => AppError::Conflict(conflict.code()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<mamori_core::Denied> for AppError {
    fn from(_: mamori_core::Denied) -> Self {
        AppError::Forbidden
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::invalid(error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        // The context layer sees this extension and renders the body in the user's language.
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The statuses of answers that are not an [`AppError`], chosen here too, so that this file is
/// the one table of HTTP statuses.
pub mod status {
    use axum::http::StatusCode;

    pub const OK: StatusCode = StatusCode::OK;
    pub const CREATED: StatusCode = StatusCode::CREATED;
    pub const NO_CONTENT: StatusCode = StatusCode::NO_CONTENT;
    /// `/healthz` while the database does not answer.
    pub const UNHEALTHY: StatusCode = StatusCode::SERVICE_UNAVAILABLE;
    /// A login the directory could not answer (fail closed).
    pub const DIRECTORY_UNAVAILABLE: StatusCode = StatusCode::SERVICE_UNAVAILABLE;
}

/// Unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

#[cfg(test)]
mod tests {
    use mamori_store::Conflict;

    use super::*;

    #[test]
    fn every_refusal_of_the_store_says_why_in_japanese_and_english() {
        for &conflict in Conflict::ALL {
            let refused = AppError::from(StoreError::Conflict(conflict));
            assert_eq!(refused.status(), StatusCode::CONFLICT);
            assert_eq!(refused.code(), conflict.code(), "the API's error code");
            let key = refused.message_key();
            assert_eq!(key, format!("conflict.{}", conflict.code()), "{conflict:?}");
            for lang in [Lang::Ja, Lang::En] {
                let text = lang
                    .lookup(key)
                    .unwrap_or_else(|| panic!("{conflict:?} has no text in {}", lang.code()));
                assert_ne!(
                    text,
                    lang.t("error.conflict"),
                    "{conflict:?} says only that something conflicts"
                );
            }
            assert!(
                !Lang::Ja.t(key).is_ascii(),
                "{conflict:?}: the Japanese text comes first"
            );
        }
        let disposed = AppError::from(StoreError::Conflict(Conflict::AssetDisposed));
        assert!(Lang::Ja.t(disposed.message_key()).contains("廃棄済み"));
        assert!(Lang::En.t(disposed.message_key()).contains("disposed"));
    }

    #[test]
    fn a_refusal_without_its_own_text_says_conflict() {
        assert_eq!(
            AppError::Conflict("no.such_rule").message_key(),
            "error.conflict"
        );
    }
}
