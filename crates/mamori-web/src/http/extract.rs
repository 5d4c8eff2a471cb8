//! The one set of extractors every feature uses. Each refusal is an [`AppError`], rendered by the
//! context layer in the caller's language: as a page for the pages, as the JSON error body under
//! `/api/v1`.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::header::{self, HeaderMap};
use axum::http::request::Parts;
use mamori_core::{Actor, FieldError, FieldErrorKind};
use serde::de::DeserializeOwned;

use crate::http::context::{
    Ctx, FORM_LIMIT, UPLOAD_LIMIT, is_form, multipart_boundary, multipart_field,
};
use crate::http::error::AppError;

/// Largest JSON body the API reads; every body it takes is a few fields of text, except where a
/// route names a larger limit (a policy text).
pub const BODY_LIMIT: usize = 64 * 1024;

/// A signed-in user: the context with an actor. Handlers that take one are closed to everyone
/// who has not logged in.
pub struct User {
    pub ctx: Ctx,
    pub actor: Actor,
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.actor.clone() {
            Some(actor) => Ok(User { ctx, actor }),
            None => Err(AppError::Unauthenticated),
        }
    }
}

/// The `{id}` of a page's path. An id that is not a positive number names nothing: 404, the
/// same page as for an id that does not exist.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Id)
            .ok_or(AppError::NotFound)
    }
}

/// The text segments of a page's or an endpoint's path (`{id}` of a quarantine entry,
/// `{dimension}/{code}` of a level), in order. Anything that cannot be read names nothing: 404.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParams(value))
            .map_err(|_| AppError::NotFound)
    }
}

/// A form body. Whatever axum's own reader would refuse (another content type, a body too large
/// or of the wrong shape) is refused with our localised error page instead, and so are bytes
/// that are not UTF-8, which the reader would otherwise turn silently into U+FFFD.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = AppError;
    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_form(request.headers()) {
            return Err(AppError::Invalid(Vec::new()));
        }
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        if form_urlencoded::parse(&bytes)
            .any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}'))
        {
            return Err(AppError::Invalid(Vec::new()));
        }
        let request = Request::from_parts(parts, Body::from(bytes));
        axum::Form::<T>::from_request(request, state)
            .await
            .map(|axum::Form(value)| Form(value))
            .map_err(|_| AppError::Invalid(Vec::new()))
    }
}

/// The `file` field of a `multipart/form-data` upload (the CSRF layer has read `_csrf` from the
/// same body). Another content type, a body beyond [`UPLOAD_LIMIT`] or a form without the file
/// is refused with our error page.
pub struct Upload(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = AppError;
    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let boundary =
            multipart_boundary(request.headers()).ok_or(AppError::UnsupportedMediaType)?;
        let bytes = axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        multipart_field(bytes, boundary, "file")
            .await?
            .filter(|file| !file.is_empty())
            .map(Upload)
            .ok_or_else(|| {
                AppError::invalid(mamori_core::FieldError::new(
                    "file",
                    mamori_core::FieldErrorKind::Required,
                ))
            })
    }
}

/// A `multipart/form-data` form that carries a file beside its fields (the import of a policy
/// text): the `file` field's bytes, empty when no file was chosen, and every other field as
/// text. A field that is not UTF-8 is refused, as [`Form`] refuses it.
pub struct UploadForm {
    pub file: Bytes,
    /// The file's name as the browser gave it (untrusted: for display only).
    pub file_name: String,
    pub fields: std::collections::HashMap<String, String>,
}

impl UploadForm {
    /// A text field, empty when absent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

impl<S: Send + Sync> FromRequest<S> for UploadForm {
    type Rejection = AppError;
    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let boundary =
            multipart_boundary(request.headers()).ok_or(AppError::UnsupportedMediaType)?;
        let bytes = axum::body::to_bytes(request.into_body(), UPLOAD_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        let mut multipart = multer::Multipart::new(Body::from(bytes).into_data_stream(), boundary);
        let mut form = UploadForm {
            file: Bytes::new(),
            file_name: String::new(),
            fields: std::collections::HashMap::new(),
        };
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|_| AppError::Malformed)?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let value = field.bytes().await.map_err(|_| AppError::Malformed)?;
            if name == "file" {
                form.file = value;
                form.file_name = file_name;
            } else {
                let text =
                    String::from_utf8(value.to_vec()).map_err(|_| AppError::Invalid(Vec::new()))?;
                form.fields.entry(name).or_insert(text);
            }
        }
        Ok(form)
    }
}

/// A YAML document as request body (a catalogue library): `application/yaml`, `text/yaml` or
/// their `x-` forms, at most [`mamori_core::controls::MAX_BYTES`].
pub struct YamlBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for YamlBody {
    type Rejection = AppError;
    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        let essence = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !matches!(
            essence.as_str(),
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
        ) {
            return Err(AppError::UnsupportedMediaType);
        }
        axum::body::to_bytes(request.into_body(), mamori_core::controls::MAX_BYTES)
            .await
            .map(YamlBody)
            .map_err(|_| AppError::TooLarge)
    }
}

/// A JSON object as request body, of at most `LIMIT` bytes.
pub struct ApiJson<T, const LIMIT: usize = BODY_LIMIT>(pub T);

impl<S: Send + Sync, T: DeserializeOwned, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT> {
    type Rejection = AppError;

    async fn from_request(request: Request, _: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        // Syntax first, then shape: every body the API takes is one JSON object (serde would
        // otherwise read an array as a struct's fields in order).
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::Malformed)?;
        if !value.is_object() {
            return Err(AppError::invalid(FieldError::new(
                "body",
                FieldErrorKind::InvalidFormat,
            )));
        }
        let value = serde_path_to_error::deserialize(value).map_err(|error| {
            let field = error
                .path()
                .iter()
                .next()
                .map(|segment| body_field(&segment.to_string()))
                .unwrap_or("body");
            AppError::invalid(FieldError::new(field, FieldErrorKind::InvalidFormat))
        })?;
        Ok(ApiJson(value))
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The name under which a refused body field is reported: the same names the pages' validation
/// uses, so that one message table serves both.
fn body_field(json_name: &str) -> &'static str {
    match json_name {
        "code" => "code",
        "name" => "name",
        "note" => "note",
        "org_id" => "organisation",
        "parent_id" => "parent",
        "unit_id" => "unit",
        "title" => "title",
        "email" => "email",
        "phone" => "phone",
        "external" => "external",
        "role" => "role",
        "scope" | "system" => "scope",
        "username" => "username",
        "person_id" => "person",
        "password" => "password",
        "disabled" => "disabled",
        "reason" => "reason",
        "decision" => "decision",
        "tier" => "tier",
        "approver_role" => "approver_role",
        "text" => "text",
        "effective_from" => "effective_from",
        "measure" => "measure",
        "policy" => "policy",
        "status" => "status",
        "link" => "link",
        _ => "body",
    }
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(value)| ApiQuery(value))
            .map_err(|_| AppError::Malformed)
    }
}
