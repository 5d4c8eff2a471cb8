//! 情報セキュリティポリシー as pages: the published basic policy without login, the documents and
//! their versions, the import of a text, the steps from draft to effective, the comparison of two
//! versions and the confirmations. Each handler reads its form, calls `ops` and shows the result.

use askama::Template;
use axum::extract::{FromRequest, Query, Request, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::policy::{
    APPROVER_ROLES, Clause, ClauseChange, ClauseDiff, Policy, PolicyText, Run, Tier, VersionInfo,
    VersionState,
};
use mamori_core::role::Role;
use mamori_core::time::format_jst;
use serde::Deserialize;

use super::ops::{self, Actions, CompareQuery, ImportDraft, compare_numbers};
use crate::http::{AppError, AppState, Ctx, Form, Frame, PathParams, UploadForm, User, render};

/// A clause as a page shows it: flattened, with its depth.
pub struct ClauseRow {
    pub anchor: String,
    pub number: String,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub depth: usize,
}

fn clause_rows(text: &PolicyText) -> Vec<ClauseRow> {
    fn walk(clause: &Clause, depth: usize, out: &mut Vec<ClauseRow>) {
        out.push(ClauseRow {
            anchor: clause.anchor.clone(),
            number: clause.number.clone(),
            title: clause.title.clone().unwrap_or_default(),
            paragraphs: clause
                .text
                .split('\n')
                .filter(|p| !p.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            depth: depth.min(4),
        });
        for child in &clause.children {
            walk(child, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for section in &text.sections {
        walk(section, 0, &mut out);
    }
    out
}

/// A 附則 with its 施行日.
pub struct SupplementaryRow {
    pub effective_from: String,
    pub paragraphs: Vec<String>,
}

fn supplementary_rows(text: &PolicyText) -> Vec<SupplementaryRow> {
    text.supplementary
        .iter()
        .map(|s| SupplementaryRow {
            effective_from: s.effective_from.map(|d| d.to_string()).unwrap_or_default(),
            paragraphs: s
                .text
                .split('\n')
                .filter(|p| !p.trim().is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

/// Message keys of the codes the pages show.
pub trait Words {
    fn tier_key(&self, tier: &Tier) -> &'static str {
        match tier {
            Tier::Basic => "policy.tier.basic",
            Tier::Standard => "policy.tier.standard",
            Tier::Procedure => "policy.tier.procedure",
        }
    }

    fn state_key(&self, state: &VersionState) -> &'static str {
        match state {
            VersionState::Draft => "policy.state.draft",
            VersionState::InReview => "policy.state.in_review",
            VersionState::Approved => "policy.state.approved",
            VersionState::Effective => "policy.state.effective",
            VersionState::Superseded => "policy.state.superseded",
        }
    }
}

/// One version in a table.
pub struct VersionRow {
    pub number: i64,
    pub state: VersionState,
    pub effective_from: String,
    pub editor: String,
    pub approver: String,
    pub updated: String,
    pub sections: i64,
    pub clauses: i64,
}

fn version_row(v: &VersionInfo) -> VersionRow {
    VersionRow {
        number: v.number,
        state: v.state,
        effective_from: v.effective_from.map(|d| d.to_string()).unwrap_or_default(),
        editor: v.editor_name.clone().unwrap_or_default(),
        approver: v.approver_name.clone().unwrap_or_default(),
        updated: format_jst(v.updated_at),
        sections: v.sections,
        clauses: v.clauses,
    }
}

// ---------------------------------------------------------------------------------------------
// The published basic policy, without login

pub struct PublishedDoc {
    pub org_name: String,
    pub title: String,
    pub effective_from: String,
    pub heading: String,
    pub preamble: Vec<String>,
    pub clauses: Vec<ClauseRow>,
    pub supplementary: Vec<SupplementaryRow>,
}

#[derive(Template)]
#[template(path = "policy_public.html")]
struct PublicPage {
    frame: Frame,
    docs: Vec<PublishedDoc>,
}

pub async fn public(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let docs = ops::published(&state)
        .await?
        .into_iter()
        .map(|(policy, version)| PublishedDoc {
            org_name: policy.org_name,
            title: policy.title,
            effective_from: version
                .info
                .effective_from
                .map(|d| d.to_string())
                .unwrap_or_default(),
            heading: version.text.title.clone(),
            preamble: version.text.preamble.clone(),
            clauses: clause_rows(&version.text),
            supplementary: supplementary_rows(&version.text),
        })
        .collect();
    let frame = match ctx.actor.clone() {
        Some(actor) => Frame::new(&User { ctx, actor }, "policy.public"),
        None => Frame::anonymous(&ctx, "policy.public"),
    };
    Ok(Html(render(&PublicPage { frame, docs })).into_response())
}

// ---------------------------------------------------------------------------------------------
// The documents, and the import of a text

pub struct DocRow {
    pub id: i64,
    pub org_name: String,
    pub tier: Tier,
    pub title: String,
    pub effective: Option<i64>,
    pub latest: VersionRow,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct ListPage {
    frame: Frame,
    docs: Vec<DocRow>,
    organisations: Vec<(i64, String)>,
    tiers: [Tier; 3],
    approver_roles: [Role; 3],
}

impl Words for ListPage {}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let docs = ops::list(&state, &user)
        .await?
        .into_iter()
        .filter_map(|(policy, versions)| {
            let latest = versions.first().map(version_row)?;
            Some(DocRow {
                id: policy.id.0,
                org_name: policy.org_name,
                tier: policy.tier,
                title: policy.title,
                effective: policy.effective,
                latest,
            })
        })
        .collect();
    let organisations = ops::import_choices(&state, &user)
        .await?
        .into_iter()
        .map(|o| (o.id.0, o.name.as_str().to_owned()))
        .collect();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "policy.title"),
        docs,
        organisations,
        tiers: Tier::ALL,
        approver_roles: APPROVER_ROLES,
    }))
    .into_response())
}

pub async fn import(
    State(state): State<AppState>,
    user: User,
    request: Request,
) -> Result<Response, AppError> {
    // Whether the user may import at all is settled before the upload is read; which
    // organisation is then the operation's to check.
    if ops::import_choices(&state, &user).await?.is_empty() {
        return Err(AppError::Forbidden);
    }
    let form = UploadForm::from_request(request, &()).await?;
    let bytes = if form.file.is_empty() {
        form.field("text").as_bytes().to_vec()
    } else {
        form.file.to_vec()
    };
    let draft = ImportDraft {
        org_id: form.field("org_id").trim().parse().ok().or_else(|| {
            // Typed but not a number: refused as a malformed id rather than as missing.
            (!form.field("org_id").trim().is_empty()).then_some(0)
        }),
        tier: form.field("tier").to_owned(),
        title: form.field("title").to_owned(),
        approver_role: form.field("approver_role").to_owned(),
        bytes,
    };
    let imported = ops::import(&state, &user, &draft).await?;
    Ok(Redirect::to(&format!(
        "/policies/{}/versions/{}",
        imported.policy.id, imported.version.number
    ))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// One document

#[derive(Template)]
#[template(path = "policy.html")]
struct DocumentPage {
    frame: Frame,
    policy: Policy,
    versions: Vec<VersionRow>,
}

impl Words for DocumentPage {}

pub async fn document(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let (policy, versions) = ops::document(&state, &user, id).await?;
    Ok(Html(render(&DocumentPage {
        frame: Frame::new(&user, "policy.document"),
        versions: versions.iter().map(version_row).collect(),
        policy,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// One version: its text, its steps, the edit form and the confirmation

#[derive(Template)]
#[template(path = "policy_version.html")]
struct VersionPage {
    frame: Frame,
    policy: Policy,
    version: VersionRow,
    heading: String,
    preamble: Vec<String>,
    clauses: Vec<ClauseRow>,
    supplementary: Vec<SupplementaryRow>,
    source: String,
    actions: Actions,
    acknowledged_at: String,
    suggested_date: String,
    previous: Option<i64>,
    /// The 見直し that led to this version, for those who may read reviews.
    reviews: Vec<(i64, String)>,
}

impl Words for VersionPage {}

pub async fn version(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let (policy, version, actions) = ops::version(&state, &user, id, number).await?;
    let suggested_date = ops::suggested_date(&version.text)
        .map(|d| d.to_string())
        .unwrap_or_default();
    let reviews = ops::reviews_behind(&state, &user, id, number).await?;
    Ok(Html(render(&VersionPage {
        reviews,
        frame: Frame::new(&user, "policy.version"),
        version: version_row(&version.info),
        heading: version.text.title.clone(),
        preamble: version.text.preamble.clone(),
        clauses: clause_rows(&version.text),
        supplementary: supplementary_rows(&version.text),
        source: if actions.edit {
            version.source
        } else {
            String::new()
        },
        acknowledged_at: actions.acknowledged_at.map(format_jst).unwrap_or_default(),
        actions,
        suggested_date,
        previous: (number > 1).then_some(number - 1),
        policy,
    }))
    .into_response())
}

/// The edit form is sent as `multipart/form-data`: a text of several hundred kilobytes in
/// Japanese would triple in URL encoding and pass the limit of plain forms.
pub async fn save_draft(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    request: Request,
) -> Result<Response, AppError> {
    // Who may edit is settled before the body is read.
    ops::may_edit(&state, &user, id).await?;
    let form = UploadForm::from_request(request, &()).await?;
    let saved = ops::save_draft(&state, &user, id, form.field("text").as_bytes()).await?;
    Ok(Redirect::to(&format!("/policies/{id}/versions/{}", saved.number)).into_response())
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    effective_from: String,
}

pub async fn step(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    ops::step(&state, &user, id, number, &form.step, &form.effective_from).await?;
    Ok(Redirect::to(&format!("/policies/{id}/versions/{number}")).into_response())
}

pub async fn acknowledge(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    ops::acknowledge(&state, &user, id, number).await?;
    Ok(Redirect::to(&format!("/policies/{id}/versions/{number}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Confirmations per unit

pub struct UnitRow {
    pub unit: String,
    pub people: i64,
    pub confirmed: i64,
    pub percent: i64,
    pub pending: Vec<String>,
}

#[derive(Template)]
#[template(path = "policy_acknowledgements.html")]
struct AcknowledgementsPage {
    frame: Frame,
    policy: Policy,
    number: i64,
    units: Vec<UnitRow>,
    people: i64,
    confirmed: i64,
}

pub async fn acknowledgements(
    State(state): State<AppState>,
    user: User,
    PathParams((id, number)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    let (policy, version, units) = ops::acknowledgements(&state, &user, id, number).await?;
    let units: Vec<UnitRow> = units
        .into_iter()
        .map(|u| UnitRow {
            unit: u.progress.unit_name,
            people: u.progress.people,
            confirmed: u.progress.confirmed,
            percent: (u.progress.confirmed * 100)
                .checked_div(u.progress.people)
                .unwrap_or(100),
            pending: u.pending.into_iter().map(|(_, name)| name).collect(),
        })
        .collect();
    Ok(Html(render(&AcknowledgementsPage {
        frame: Frame::new(&user, "policy.acknowledgements"),
        people: units.iter().map(|u| u.people).sum(),
        confirmed: units.iter().map(|u| u.confirmed).sum(),
        units,
        number: version.number,
        policy,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// 新旧対照: two versions compared

#[derive(Template)]
#[template(path = "policy_diff.html")]
struct DiffPage {
    frame: Frame,
    policy: Policy,
    from: i64,
    to: i64,
    changes: Vec<ClauseDiff>,
}

impl DiffPage {
    fn change_key(&self, change: &ClauseChange) -> &'static str {
        match change {
            ClauseChange::Added => "policy.diff.added",
            ClauseChange::Removed => "policy.diff.removed",
            ClauseChange::Changed => "policy.diff.changed",
        }
    }

    /// The runs as HTML-safe pieces: (kind, text) with kind `same`, `ins` or `del`.
    fn pieces<'a>(&self, runs: &'a [Run]) -> Vec<(&'static str, &'a str)> {
        runs.iter()
            .map(|r| match r {
                Run::Same(t) => ("same", t.as_str()),
                Run::Added(t) => ("ins", t.as_str()),
                Run::Removed(t) => ("del", t.as_str()),
            })
            .collect()
    }
}

pub async fn compare(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Query(query): Query<CompareQuery>,
) -> Result<Response, AppError> {
    let (from, to) = compare_numbers(&query)?;
    let (policy, old, new, changes) = ops::compare(&state, &user, id, from, to).await?;
    Ok(Html(render(&DiffPage {
        frame: Frame::new(&user, "policy.diff"),
        policy,
        from: old.number,
        to: new.number,
        changes,
    }))
    .into_response())
}
