//! 情報セキュリティポリシー in the JSON API: documents, versions with their clauses, the import
//! of a text, the steps from draft to effective, the comparison of two versions and the
//! confirmations. Every handler calls the operation the pages call.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use mamori_core::policy::{Clause, ClauseDiff, Policy, PolicyText, Run, VersionInfo};
use mamori_core::time::rfc3339_jst;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ops::{self, CompareQuery, ImportDraft, Imported, compare_numbers};
use crate::http::api::{PREFIX, created, positive_id};
use crate::http::{ApiJson, ApiQuery, AppError, AppState, PathParams, User};

mod json {
    use super::*;

    /// A policy document (基本方針, 対策基準 or 実施手順).
    #[derive(Serialize, ToSchema)]
    pub struct Policy {
        pub id: i64,
        pub org_id: i64,
        pub org_name: String,
        /// `basic`, `standard` or `procedure`.
        pub tier: String,
        pub title: String,
        /// The role that approves its versions: `ciso`, `security_director` or
        /// `security_officer`.
        pub approver_role: String,
        /// The number of the version in force.
        pub effective: Option<i64>,
        /// The number of the newest version the caller may read.
        pub latest: Option<i64>,
        pub created_at: String,
    }

    /// A document with the versions the caller may read, newest first.
    #[derive(Serialize, ToSchema)]
    pub struct PolicyDetail {
        #[serde(flatten)]
        pub policy: Policy,
        pub versions: Vec<Version>,
    }

    /// One version, without its text.
    #[derive(Serialize, ToSchema)]
    pub struct Version {
        pub number: i64,
        /// `draft`, `in_review`, `approved`, `effective` or `superseded`.
        pub state: String,
        /// 施行日 (`YYYY-MM-DD`), once approved.
        pub effective_from: Option<String>,
        /// The account that last edited the text; absent for an import at the command line.
        pub editor: Option<String>,
        pub approver: Option<String>,
        pub approved_at: Option<String>,
        pub updated_at: String,
        pub sections: i64,
        pub clauses: i64,
    }

    /// One version with its text.
    #[derive(Serialize, ToSchema)]
    pub struct VersionText {
        pub policy_id: i64,
        /// `basic`, `standard` or `procedure`.
        pub tier: String,
        #[serde(flatten)]
        pub version: Version,
        /// The document's own first line.
        pub title: String,
        pub preamble: Vec<String>,
        pub clauses: Vec<Clause>,
        pub supplementary: Vec<Supplementary>,
        /// The 見直し that led to this version (for those who may read reviews).
        pub reviews: Vec<ReviewRef>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct ReviewRef {
        pub id: i64,
        pub title: String,
    }

    /// A numbered clause and the clauses below it.
    #[derive(Serialize, ToSchema)]
    pub struct Clause {
        /// The citation: `6`, `6(3)`, `6(3)ア`.
        pub anchor: String,
        /// The number as written: `6`, `第1条`, `(3)`, `ア`.
        pub number: String,
        pub title: Option<String>,
        pub text: String,
        #[schema(no_recursion)]
        pub children: Vec<Clause>,
    }

    /// 附則.
    #[derive(Serialize, ToSchema)]
    pub struct Supplementary {
        pub effective_from: Option<String>,
        pub text: String,
    }

    /// What an import wrote (the same object `mamori policy import --json` prints).
    #[derive(Serialize, ToSchema)]
    pub struct Imported {
        pub policy_id: i64,
        pub version: i64,
        pub sections: usize,
        pub clauses: usize,
        /// The 施行日 of each 附則, in order (`YYYY-MM-DD`).
        pub supplementary: Vec<String>,
    }

    /// A text to import: a new document, or the next draft of the document of the same
    /// organisation, tier and title.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ImportBody {
        pub org_id: Option<i64>,
        /// `basic`, `standard` or `procedure`.
        pub tier: String,
        pub title: String,
        /// `ciso` (when absent), `security_director` or `security_officer`.
        #[serde(default)]
        pub approver_role: String,
        /// The text in 例規 form.
        pub text: String,
    }

    /// A new text for the document's draft.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DraftBody {
        pub text: String,
    }

    /// An approval.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ApproveBody {
        /// 施行日 (`YYYY-MM-DD`); when absent, the newest 附則's date, else today.
        #[serde(default)]
        pub effective_from: String,
    }

    /// Confirmations of one unit.
    #[derive(Serialize, ToSchema)]
    pub struct UnitAcknowledgements {
        /// Absent for the people outside any unit.
        pub unit_id: Option<i64>,
        pub unit_name: String,
        pub people: i64,
        pub confirmed: i64,
        /// Who has not confirmed yet.
        pub pending: Vec<PendingPerson>,
    }

    #[derive(Serialize, ToSchema)]
    pub struct PendingPerson {
        pub person_id: i64,
        pub name: String,
    }

    #[derive(Serialize, ToSchema)]
    pub struct Acknowledged {
        pub acknowledged_at: String,
    }

    /// A clause that differs between two versions.
    #[derive(Serialize, ToSchema)]
    pub struct ClauseDiff {
        pub anchor: String,
        /// `added`, `removed` or `changed`.
        pub change: String,
        pub title: Vec<Run>,
        pub text: Vec<Run>,
    }

    /// A run of text: `same`, `added` or `removed`.
    #[derive(Serialize, ToSchema)]
    pub struct Run {
        pub kind: String,
        pub text: String,
    }
}

/// The largest body that carries a policy text: the text's own limit, with room for JSON's
/// escapes.
const TEXT_BODY_LIMIT: usize = 2 * mamori_core::policy::MAX_BYTES;

fn policy_json(p: &Policy, latest: Option<i64>) -> json::Policy {
    json::Policy {
        id: p.id.0,
        org_id: p.org_id.0,
        org_name: p.org_name.clone(),
        tier: p.tier.as_str().to_owned(),
        title: p.title.clone(),
        approver_role: p.approver_role.as_str().to_owned(),
        effective: p.effective,
        latest,
        created_at: rfc3339_jst(p.created_at),
    }
}

fn version_json(v: &VersionInfo) -> json::Version {
    json::Version {
        number: v.number,
        state: v.state.as_str().to_owned(),
        effective_from: v.effective_from.map(|d| d.to_string()),
        editor: v.editor_name.clone(),
        approver: v.approver_name.clone(),
        approved_at: v.approved_at.map(rfc3339_jst),
        updated_at: rfc3339_jst(v.updated_at),
        sections: v.sections,
        clauses: v.clauses,
    }
}

fn clause_json(c: &Clause) -> json::Clause {
    json::Clause {
        anchor: c.anchor.clone(),
        number: c.number.clone(),
        title: c.title.clone(),
        text: c.text.clone(),
        children: c.children.iter().map(clause_json).collect(),
    }
}

fn supplementary_json(text: &PolicyText) -> Vec<json::Supplementary> {
    text.supplementary
        .iter()
        .map(|s| json::Supplementary {
            effective_from: s.effective_from.map(|d| d.to_string()),
            text: s.text.clone(),
        })
        .collect()
}

/// What an import wrote, as the API and `mamori policy import --json` report it.
pub fn imported_json(imported: &Imported) -> serde_json::Value {
    serde_json::to_value(imported_body(imported)).unwrap_or_default()
}

fn imported_body(imported: &Imported) -> json::Imported {
    json::Imported {
        policy_id: imported.policy.id.0,
        version: imported.version.number,
        sections: imported.text.sections.len(),
        clauses: imported.text.clauses().count(),
        supplementary: imported
            .text
            .supplementary
            .iter()
            .filter_map(|s| s.effective_from.map(|d| d.to_string()))
            .collect(),
    }
}

fn runs_json(runs: &[Run]) -> Vec<json::Run> {
    runs.iter()
        .map(|r| {
            let (kind, text) = match r {
                Run::Same(t) => ("same", t),
                Run::Added(t) => ("added", t),
                Run::Removed(t) => ("removed", t),
            };
            json::Run {
                kind: kind.to_owned(),
                text: text.clone(),
            }
        })
        .collect()
}

fn diff_json(d: &ClauseDiff) -> json::ClauseDiff {
    json::ClauseDiff {
        anchor: d.anchor.clone(),
        change: d.change.as_str().to_owned(),
        title: runs_json(&d.title),
        text: runs_json(&d.text),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_policies,
        get_policy,
        get_version,
        import_policy,
        save_draft,
        submit,
        return_to_draft,
        approve,
        acknowledge,
        acknowledgements,
        compare
    ),
    tags(
        (name = "policy", description = "情報セキュリティポリシー: 基本方針, 対策基準 and 実施手順, their versions, clauses and confirmations"),
    )
)]
pub struct PolicyApiDoc;

/// The documents the caller may read (a version of each in force, or any version for those who
/// manage, approve or audit them).
#[utoipa::path(
    get,
    path = "/api/v1/policies",
    tag = "policy",
    responses(
        (status = 200, body = Vec<json::Policy>),
        (status = 401, body = crate::http::api::ErrorBody),
    )
)]
async fn list_policies(
    State(state): State<AppState>,
    user: User,
) -> Result<Json<Vec<json::Policy>>, AppError> {
    Ok(Json(
        ops::list(&state, &user)
            .await?
            .iter()
            .map(|(p, versions)| policy_json(p, versions.first().map(|v| v.number)))
            .collect(),
    ))
}

/// One document with the versions the caller may read. A document they may read no version of
/// is 404.
#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}",
    tag = "policy",
    params(("id" = i64, Path, description = "Policy id")),
    responses(
        (status = 200, body = json::PolicyDetail),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_policy(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Json<json::PolicyDetail>, AppError> {
    let (policy, versions) = ops::document(&state, &user, id).await?;
    Ok(Json(json::PolicyDetail {
        policy: policy_json(&policy, versions.first().map(|v| v.number)),
        versions: versions.iter().map(version_json).collect(),
    }))
}

/// One version with its clauses (a tree) and 附則.
#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}/versions/{n}",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    responses(
        (status = 200, body = json::VersionText),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn get_version(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Json<json::VersionText>, AppError> {
    let (policy, version, _) = ops::version(&state, &user, id, number).await?;
    let reviews = ops::reviews_behind(&state, &user, id, number).await?;
    Ok(Json(json::VersionText {
        reviews: reviews
            .into_iter()
            .map(|(id, title)| json::ReviewRef { id, title })
            .collect(),
        policy_id: policy.id.0,
        tier: policy.tier.as_str().to_owned(),
        version: version_json(&version.info),
        title: version.text.title.clone(),
        preamble: version.text.preamble.clone(),
        clauses: version.text.sections.iter().map(clause_json).collect(),
        supplementary: supplementary_json(&version.text),
    }))
}

/// Imports a 例規-style text: creates the document, or writes the next draft of the document of
/// the same organisation, tier and title. A text that cannot be read is `policy_invalid`, with the
/// `line` that could not be.
#[utoipa::path(
    post,
    path = "/api/v1/policies",
    tag = "policy",
    request_body = json::ImportBody,
    responses(
        (status = 201, body = json::Imported),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn import_policy(
    State(state): State<AppState>,
    user: User,
    ApiJson(body): ApiJson<json::ImportBody, TEXT_BODY_LIMIT>,
) -> Result<Response, AppError> {
    let mut problems = Vec::new();
    let org_id = positive_id("organisation", body.org_id, &mut problems);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let imported = ops::import(
        &state,
        &user,
        &ImportDraft {
            org_id,
            tier: body.tier,
            title: body.title,
            approver_role: body.approver_role,
            bytes: body.text.into_bytes(),
        },
    )
    .await?;
    Ok(created(
        format!(
            "{PREFIX}/policies/{}/versions/{}",
            imported.policy.id, imported.version.number
        ),
        imported_body(&imported),
    ))
}

/// Writes a new text as the document's draft: the open draft, or a new version after the
/// newest. A version in review is `policy.in_review` (409).
#[utoipa::path(
    put,
    path = "/api/v1/policies/{id}/draft",
    tag = "policy",
    params(("id" = i64, Path, description = "Policy id")),
    request_body = json::DraftBody,
    responses(
        (status = 200, body = json::Version),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn save_draft(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiJson(body): ApiJson<json::DraftBody, TEXT_BODY_LIMIT>,
) -> Result<Json<json::Version>, AppError> {
    let saved = ops::save_draft(&state, &user, id, body.text.as_bytes()).await?;
    Ok(Json(version_json(&saved)))
}

/// Submits a draft for review.
#[utoipa::path(
    post,
    path = "/api/v1/policies/{id}/versions/{n}/submit",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    responses(
        (status = 200, body = json::Version),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn submit(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Json<json::Version>, AppError> {
    let done = ops::step(&state, &user, id, number, "submit", "").await?;
    Ok(Json(version_json(&done)))
}

/// Returns a version in review to draft.
#[utoipa::path(
    post,
    path = "/api/v1/policies/{id}/versions/{n}/return",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    responses(
        (status = 200, body = json::Version),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn return_to_draft(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Json<json::Version>, AppError> {
    let done = ops::step(&state, &user, id, number, "return", "").await?;
    Ok(Json(version_json(&done)))
}

/// Approves a version in review (the document's approver role, never its last editor). In force
/// at once when its 施行日 has come, superseding the version in force; else on that day.
#[utoipa::path(
    post,
    path = "/api/v1/policies/{id}/versions/{n}/approve",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    request_body = json::ApproveBody,
    responses(
        (status = 200, body = json::Version),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
        (status = 422, body = crate::http::api::ErrorBody),
    )
)]
async fn approve(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
    ApiJson(body): ApiJson<json::ApproveBody>,
) -> Result<Json<json::Version>, AppError> {
    let done = ops::step(&state, &user, id, number, "approve", &body.effective_from).await?;
    Ok(Json(version_json(&done)))
}

/// The caller confirms they have read the version in force (once per version).
#[utoipa::path(
    post,
    path = "/api/v1/policies/{id}/versions/{n}/acknowledge",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    responses(
        (status = 201, body = json::Acknowledged),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
        (status = 409, body = crate::http::api::ErrorBody),
    )
)]
async fn acknowledge(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let at = ops::acknowledge(&state, &user, id, number).await?;
    Ok(created(
        format!("{PREFIX}/policies/{id}/versions/{number}/acknowledgements"),
        json::Acknowledged {
            acknowledged_at: rfc3339_jst(at),
        },
    ))
}

/// Confirmations per unit, with who has not confirmed: every unit for the administrators, the
/// organisation's 情報セキュリティ責任者 and the auditors; a unit's 管理者 sees their own.
#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}/versions/{n}/acknowledgements",
    tag = "policy",
    params(
        ("id" = i64, Path, description = "Policy id"),
        ("n" = i64, Path, description = "Version number"),
    ),
    responses(
        (status = 200, body = Vec<json::UnitAcknowledgements>),
        (status = 403, body = crate::http::api::ErrorBody),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn acknowledgements(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Json<Vec<json::UnitAcknowledgements>>, AppError> {
    let (_, _, units) = ops::acknowledgements(&state, &user, id, number).await?;
    Ok(Json(
        units
            .into_iter()
            .map(|u| json::UnitAcknowledgements {
                unit_id: u.progress.unit_id.map(|id| id.0),
                unit_name: u.progress.unit_name,
                people: u.progress.people,
                confirmed: u.progress.confirmed,
                pending: u
                    .pending
                    .into_iter()
                    .map(|(id, name)| json::PendingPerson {
                        person_id: id.0,
                        name,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// 新旧対照: the clauses that differ between two versions, with the changed text marked.
#[utoipa::path(
    get,
    path = "/api/v1/policies/{id}/diff",
    tag = "policy",
    params(("id" = i64, Path, description = "Policy id"), CompareQuery),
    responses(
        (status = 200, body = Vec<json::ClauseDiff>),
        (status = 404, body = crate::http::api::ErrorBody),
    )
)]
async fn compare(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    ApiQuery(query): ApiQuery<CompareQuery>,
) -> Result<Json<Vec<json::ClauseDiff>>, AppError> {
    let (from, to) = compare_numbers(&query)?;
    let (_, _, _, changes) = ops::compare(&state, &user, id, from, to).await?;
    Ok(Json(changes.iter().map(diff_json).collect()))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(PolicyApiDoc::openapi())
        .routes(routes!(list_policies, import_policy))
        .routes(routes!(get_policy))
        .routes(routes!(get_version))
        .routes(routes!(save_draft))
        .routes(routes!(submit))
        .routes(routes!(return_to_draft))
        .routes(routes!(approve))
        .routes(routes!(acknowledge))
        .routes(routes!(acknowledgements))
        .routes(routes!(compare))
}
