//! 情報セキュリティ監査 as pages: the audits with the planning form, an audit with its scope,
//! team, notes, findings and report forms, the printable report (print CSS: headings, page
//! breaks, the 監査人's name and date), and the findings and actions as an Excel workbook.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::audit_plan::AuditState;
use mamori_core::authz::{ManageAudits, WorkOnAudit, authorize};
use mamori_core::controls::Chapter;
use mamori_core::finding::FindingKind;
use mamori_core::time::format_jst;
use mamori_store::{Finding, SecurityAudit};
use serde::Deserialize;

use super::ops::{self, FindingDraft, PlanDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

pub struct AuditRow {
    pub id: i64,
    pub year: i32,
    pub title: String,
    pub period: String,
    pub state: &'static str,
    pub units: String,
}

fn audit_row(a: &SecurityAudit) -> AuditRow {
    AuditRow {
        id: a.id.0,
        year: a.year,
        title: a.title.clone(),
        period: format!("{} – {}", a.from, a.to),
        state: a.state.key(),
        units: a
            .scope
            .iter()
            .map(|(_, _, n)| n.as_str())
            .collect::<Vec<_>>()
            .join("、"),
    }
}

#[derive(Template)]
#[template(path = "audits.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<AuditRow>,
    can_plan: bool,
    units: Vec<(i64, String)>,
    chapters: Vec<(&'static str, &'static str)>,
    year: i32,
}

fn chapters() -> Vec<(&'static str, &'static str)> {
    Chapter::ALL
        .iter()
        .map(|c| (c.code(), Chapter::key_of(c.code())))
        .collect()
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let audits = ops::list(&state, &user).await?;
    let can_plan = authorize::<ManageAudits>(&user.actor, &()).is_ok();
    let units = if can_plan {
        state
            .store
            .unit_assets()
            .await?
            .into_iter()
            .map(|u| (u.unit.0, u.name))
            .collect()
    } else {
        Vec::new()
    };
    let today = state.today();
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "audit_plan.title"),
        rows: audits.iter().map(audit_row).collect(),
        can_plan,
        units,
        chapters: chapters(),
        year: chrono::Datelike::year(&today),
    }))
    .into_response())
}

/// A plan as typed: the units and chapters ticked are `unit-{id}` and `chapter-{code}` fields;
/// units may also be typed as ids in `units`.
#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    criteria: String,
    #[serde(default)]
    period_from: String,
    #[serde(default)]
    period_to: String,
    /// Unit ids typed in one field, besides the boxes ticked (for scripts).
    #[serde(default)]
    units: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PlanForm>,
) -> Result<Response, AppError> {
    let year = parse_opt_id("year", &form.year)?;
    let mut units = Vec::new();
    for id in mamori_core::text::list_items(&form.units) {
        units.push(parse_opt_id("units", id)?.unwrap_or_default());
    }
    let mut picked = Vec::new();
    for key in form.rest.keys() {
        if let Some(id) = key.strip_prefix("unit-") {
            units.push(parse_opt_id("units", id)?.unwrap_or_default());
        } else if let Some(code) = key.strip_prefix("chapter-") {
            picked.push(code.to_owned());
        }
    }
    let audit = ops::create(
        &state,
        &user,
        PlanDraft {
            year,
            title: form.title,
            criteria: form.criteria,
            from: form.period_from,
            to: form.period_to,
            units,
            chapters: picked,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/audits/{}", audit.id.0)).into_response())
}

pub struct FindingRow {
    pub id: i64,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub unit: String,
    pub measure: String,
    pub clause: String,
    pub description: String,
    pub actions: Vec<(String, String, String, &'static str)>,
}

fn finding_rows(findings: &[Finding]) -> Vec<FindingRow> {
    findings
        .iter()
        .map(|f| FindingRow {
            id: f.id.0,
            kind: f.kind.key(),
            kind_code: f.kind.as_str(),
            unit: f.unit_name.clone(),
            measure: format!("{} {}", f.measure_code, f.measure_name)
                .trim()
                .to_owned(),
            clause: f.clause.clone(),
            description: f.description.clone(),
            actions: f
                .actions
                .iter()
                .map(|a| {
                    (
                        a.description.clone(),
                        a.owner_name.clone(),
                        a.due_on.to_string(),
                        a.state.key(),
                    )
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit_plan.html")]
struct AuditPage {
    frame: Frame,
    audit: SecurityAudit,
    row: AuditRow,
    chapters: Vec<&'static str>,
    notes: Vec<(String, String, String, String)>,
    findings: Vec<FindingRow>,
    people: Vec<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    can_work: bool,
    reported: String,
}

pub async fn audit(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let audit = ops::audit(&state, &user, id).await?;
    let findings = ops::findings(&state, &audit).await?;
    let open = audit.state != AuditState::Reported;
    let can_manage = open && authorize::<ManageAudits>(&user.actor, &()).is_ok();
    let can_work = authorize::<WorkOnAudit>(&user.actor, &audit.place()).is_ok();
    let people = if can_manage {
        let grant = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &())?;
        state
            .store
            .list_people(
                &grant,
                &mamori_store::PeopleFilter {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?
            .0
            .into_iter()
            .filter(|p| !audit.team.iter().any(|m| m.person == p.id))
            .map(|p| match p.unit_name {
                Some(unit) => (p.id.0, format!("{} ({unit})", p.name)),
                None => (p.id.0, p.name),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Html(render(&AuditPage {
        frame: Frame::new(&user, "audit_plan.one"),
        row: audit_row(&audit),
        chapters: audit.chapters.iter().map(|c| Chapter::key_of(c)).collect(),
        notes: audit
            .notes
            .iter()
            .map(|n| {
                (
                    n.unit_name.clone().unwrap_or_default(),
                    n.text.clone(),
                    n.by_name.clone().unwrap_or_default(),
                    format_jst(n.at_ms),
                )
            })
            .collect(),
        findings: finding_rows(&findings),
        people,
        kinds: FindingKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.key()))
            .collect(),
        can_manage,
        can_work,
        reported: audit.reported_at.map(format_jst).unwrap_or_default(),
        audit,
    }))
    .into_response())
}

#[derive(Template)]
#[template(path = "audit_report.html")]
struct ReportPage {
    frame: Frame,
    audit: SecurityAudit,
    row: AuditRow,
    chapters: Vec<&'static str>,
    findings: Vec<FindingRow>,
    lead: String,
    reported: String,
}

/// The report as printed: for an issued report, its author and date; before, a draft.
pub async fn report_page(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let audit = ops::audit(&state, &user, id).await?;
    let findings = ops::findings(&state, &audit).await?;
    Ok(Html(render(&ReportPage {
        frame: Frame::new(&user, "audit_plan.report"),
        row: audit_row(&audit),
        chapters: audit.chapters.iter().map(|c| Chapter::key_of(c)).collect(),
        findings: finding_rows(&findings),
        lead: audit
            .team
            .iter()
            .find(|m| m.lead)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        reported: audit
            .reported_at
            .map(|at| format_jst(at)[..10].to_owned())
            .unwrap_or_default(),
        audit,
    }))
    .into_response())
}

/// The findings and their actions as an Excel workbook, one row per action (a finding without
/// one has its own row).
pub async fn export(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let audit = ops::audit(&state, &user, id).await?;
    let findings = ops::findings(&state, &audit).await?;
    let frame = Frame::new(&user, "audit_plan.report");
    let t = |key: &str| frame.t(key).to_owned();
    let mut rows = vec![vec![
        "ID".to_owned(),
        t("field.unit"),
        t("field.kind"),
        t("controls.measure"),
        t("finding.clause"),
        t("field.description"),
        t("corrective.title"),
        t("corrective.owner"),
        t("corrective.due_on"),
        t("corrective.state"),
    ]];
    for f in &findings {
        let head = vec![
            f.id.0.to_string(),
            f.unit_name.clone(),
            t(f.kind.key()),
            format!("{} {}", f.measure_code, f.measure_name)
                .trim()
                .to_owned(),
            f.clause.clone(),
            f.description.clone(),
        ];
        if f.actions.is_empty() {
            let mut row = head.clone();
            row.extend([String::new(), String::new(), String::new(), String::new()]);
            rows.push(row);
        }
        for a in &f.actions {
            let mut row = head.clone();
            row.extend([
                a.description.clone(),
                a.owner_name.clone(),
                a.due_on.to_string(),
                t(a.state.key()),
            ]);
            rows.push(row);
        }
    }
    let bytes = mamori_sheet::write_xlsx(&rows, "findings")
        .map_err(|e| AppError::Internal(format!("writing the findings workbook: {e}")))?;
    let disposition = format!(
        "attachment; filename=\"audit-{}-findings.xlsx\"",
        audit.id.0
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    lead: String,
}

pub async fn add_member(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<MemberForm>,
) -> Result<Response, AppError> {
    let person = parse_opt_id("person", &form.person)?;
    ops::add_member(&state, &user, id, person, !form.lead.is_empty()).await?;
    Ok(Redirect::to(&format!("/audits/{id}")).into_response())
}

pub async fn remove_member(
    State(state): State<AppState>,
    user: User,
    PathParams((id, person)): PathParams<(i64, i64)>,
) -> Result<Response, AppError> {
    ops::remove_member(&state, &user, id, person).await?;
    Ok(Redirect::to(&format!("/audits/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    text: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    let unit = parse_opt_id("unit", &form.unit)?;
    ops::add_note(&state, &user, id, unit, &form.text).await?;
    Ok(Redirect::to(&format!("/audits/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct FindingForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    clause: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

pub async fn raise_finding(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<FindingForm>,
) -> Result<Response, AppError> {
    ops::raise_finding(
        &state,
        &user,
        id,
        FindingDraft {
            unit: parse_opt_id("unit", &form.unit)?,
            measure: form.measure,
            clause: form.clause,
            kind: form.kind,
            description: form.description,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/audits/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    report: String,
}

pub async fn report(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    ops::report(&state, &user, id, &form.report).await?;
    Ok(Redirect::to(&format!("/audits/{id}/report")).into_response())
}
