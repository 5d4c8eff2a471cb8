//! リスク's operations: the threats, the register as the viewer may see it, a risk recorded,
//! edited and accepted. Each one authorises, validates and stores here and nowhere else.

use chrono::NaiveDate;
use mamori_core::authz::{
    AcceptRisk, ManageRisks, ManageThreats, RiskAcceptance, RiskPlace, ViewRisk, ViewThreats,
    authorize,
};
use mamori_core::risk::{
    Level, MAX_LINKS, Rating, RiskMatrix, Treatment, parse_risk_text, parse_threat, review_overdue,
};
use mamori_core::text::parse_note;
use mamori_core::{FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{Risk, RiskId, RiskInput, StoredThreat};

use crate::http::{AppError, AppState, User};

/// The threats, for everyone on the staff.
pub async fn threats(state: &AppState, user: &User) -> Result<Vec<StoredThreat>, AppError> {
    authorize::<ViewThreats>(&user.actor, &())?;
    Ok(state.store.threats().await?)
}

/// A threat as typed or sent.
#[derive(Default)]
pub struct ThreatDraft {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub category: String,
}

pub async fn create_threat(
    state: &AppState,
    user: &User,
    draft: ThreatDraft,
) -> Result<StoredThreat, AppError> {
    let grant = authorize::<ManageThreats>(&user.actor, &())?;
    let threat = parse_threat(&draft.code, &draft.name_ja, &draft.name_en, &draft.category)
        .map_err(AppError::Invalid)?;
    Ok(state
        .store
        .create_threat(&grant, threat, &user.ctx.origin())
        .await?)
}

pub async fn update_threat(
    state: &AppState,
    user: &User,
    id: i64,
    draft: ThreatDraft,
) -> Result<StoredThreat, AppError> {
    let grant = authorize::<ManageThreats>(&user.actor, &())?;
    let threat = parse_threat(&draft.code, &draft.name_ja, &draft.name_en, &draft.category)
        .map_err(AppError::Invalid)?;
    Ok(state
        .store
        .update_threat(&grant, id, threat, &user.ctx.origin())
        .await?)
}

/// The matrix in force, for everyone on the staff.
pub async fn matrix(state: &AppState, user: &User) -> Result<RiskMatrix, AppError> {
    authorize::<ViewThreats>(&user.actor, &())?;
    Ok(state.store.risk_matrix().await?)
}

/// The matrix in force, for those who may set another (administrators): the adapters ask
/// before they read a new one from their input.
pub async fn may_set_matrix(state: &AppState, user: &User) -> Result<RiskMatrix, AppError> {
    authorize::<ManageThreats>(&user.actor, &())?;
    Ok(state.store.risk_matrix().await?)
}

/// Sets the matrix in force (administrators): checked whole by core, and by the store against
/// the ratings stored; every risk is levelled again in the same write.
pub async fn set_matrix(
    state: &AppState,
    user: &User,
    matrix: RiskMatrix,
) -> Result<RiskMatrix, AppError> {
    let grant = authorize::<ManageThreats>(&user.actor, &())?;
    matrix.validate().map_err(|e| {
        let field = match e {
            mamori_core::risk::MatrixError::Size | mamori_core::risk::MatrixError::StepName => {
                "likelihood"
            }
            mamori_core::risk::MatrixError::Cells => "cells",
            mamori_core::risk::MatrixError::Colour => "colours",
        };
        AppError::invalid(FieldError::new(field, FieldErrorKind::InvalidFormat))
    })?;
    Ok(state
        .store
        .set_risk_matrix(&grant, &matrix, &user.ctx.origin())
        .await?)
}

/// Which risks of the register to show.
#[derive(Default, Clone)]
pub struct RiskFilter {
    pub level: Option<Level>,
    pub treatment: Option<Treatment>,
    pub owner: Option<PersonId>,
    pub overdue: bool,
}

/// The register as the viewer may see it: the risks they may read, filtered.
pub struct Register {
    pub matrix: RiskMatrix,
    pub today: NaiveDate,
    /// Every risk the viewer may read (for the heat map).
    pub visible: Vec<Risk>,
    /// Those of them the filter keeps.
    pub risks: Vec<Risk>,
}

pub async fn register(
    state: &AppState,
    user: &User,
    filter: &RiskFilter,
) -> Result<Register, AppError> {
    authorize::<ViewThreats>(&user.actor, &())?;
    let today = state.today();
    let visible: Vec<Risk> = state
        .store
        .risks()
        .await?
        .into_iter()
        .filter(|r| authorize::<ViewRisk>(&user.actor, &r.place()).is_ok())
        .collect();
    let risks = visible
        .iter()
        .filter(|r| filter.level.is_none_or(|l| r.level == l))
        .filter(|r| filter.treatment.is_none_or(|t| r.treatment == t))
        .filter(|r| filter.owner.is_none_or(|o| r.owner == o))
        .filter(|r| !filter.overdue || review_overdue(r.review_on, today))
        .cloned()
        .collect();
    Ok(Register {
        matrix: state.store.risk_matrix().await?,
        today,
        visible,
        risks,
    })
}

/// One risk; 404 for one the viewer may not read.
pub async fn risk(state: &AppState, user: &User, id: i64) -> Result<Risk, AppError> {
    let risk = state
        .store
        .risk(RiskId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewRisk>(&user.actor, &risk.place()).map_err(|_| AppError::NotFound)?;
    Ok(risk)
}

/// A risk as typed or sent. Numbers stay `None` where nothing was given.
#[derive(Default)]
pub struct RiskDraft {
    pub title: String,
    pub description: String,
    pub unit: Option<i64>,
    pub owner: Option<i64>,
    pub assets: Vec<i64>,
    pub threats: Vec<String>,
    pub measures: Vec<String>,
    pub likelihood: Option<i64>,
    pub impact: Option<i64>,
    pub residual_likelihood: Option<i64>,
    pub residual_impact: Option<i64>,
    pub treatment: String,
    pub review_on: String,
}

fn step(field: &'static str, value: Option<i64>, steps: usize) -> Result<u8, FieldError> {
    let value = value.ok_or(FieldError::new(field, FieldErrorKind::Required))?;
    u8::try_from(value)
        .ok()
        .filter(|n| *n >= 1 && usize::from(*n) <= steps)
        .ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))
}

fn links<T>(field: &'static str, list: &[T], errors: &mut Vec<FieldError>) {
    if list.len() > MAX_LINKS {
        errors.push(FieldError::new(
            field,
            FieldErrorKind::TooLong { max: MAX_LINKS },
        ));
    }
}

/// Checks a draft against core's rules and the matrix in force, and finds its measures in the
/// catalogues (by urn or code); the store checks that its unit, owner, assets and threats exist.
async fn input(state: &AppState, draft: RiskDraft) -> Result<(RiskInput, UnitId), AppError> {
    let matrix = state.store.risk_matrix().await?;
    let mut errors = Vec::new();
    let text = parse_risk_text(
        &draft.title,
        &draft.description,
        &draft.treatment,
        &draft.review_on,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let positive = |field: &'static str, value: Option<i64>| {
        value
            .ok_or(FieldError::new(field, FieldErrorKind::Required))
            .and_then(|v| {
                Some(v)
                    .filter(|v| *v > 0)
                    .ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))
            })
    };
    let unit = positive("unit", draft.unit)
        .map_err(|e| errors.push(e))
        .ok();
    let owner = positive("owner", draft.owner)
        .map_err(|e| errors.push(e))
        .ok();
    let (l, i) = (matrix.likelihood.len(), matrix.impact.len());
    let inherent = match (
        step("likelihood", draft.likelihood, l),
        step("impact", draft.impact, i),
    ) {
        (Ok(likelihood), Ok(impact)) => Some(Rating { likelihood, impact }),
        (a, b) => {
            errors.extend(a.err().into_iter().chain(b.err()));
            None
        }
    };
    let residual = match (draft.residual_likelihood, draft.residual_impact) {
        (None, None) => Some(None),
        (rl, ri) => match (
            step("residual_likelihood", rl, l),
            step("residual_impact", ri, i),
        ) {
            (Ok(likelihood), Ok(impact)) => Some(Some(Rating { likelihood, impact })),
            (a, b) => {
                errors.extend(a.err().into_iter().chain(b.err()));
                None
            }
        },
    };
    links("assets", &draft.assets, &mut errors);
    links("threats", &draft.threats, &mut errors);
    links("measures", &draft.measures, &mut errors);
    if draft.assets.iter().any(|a| *a <= 0) {
        errors.push(FieldError::new("assets", FieldErrorKind::InvalidFormat));
    }
    let threats: Vec<String> = draft
        .threats
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    if threats.iter().any(|t| {
        t.chars().count() > mamori_core::risk::MAX_CODE_CHARS
            || !t
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    }) {
        errors.push(FieldError::new("threats", FieldErrorKind::InvalidFormat));
    }
    let mut measures = Vec::new();
    if errors.is_empty() && !draft.measures.is_empty() {
        let mut known = Vec::new();
        for summary in state.store.catalogues().await? {
            if let Some((_, catalogue)) = state.store.catalogue(summary.id).await? {
                known.extend(
                    catalogue
                        .measures()
                        .map(|n| (n.urn.clone(), n.ref_id.clone())),
                );
            }
        }
        for raw in draft
            .measures
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
        {
            match known.iter().find(|(urn, code)| {
                *urn == raw.to_ascii_lowercase() || code.as_deref() == Some(raw)
            }) {
                Some((urn, _)) => measures.push(urn.clone()),
                None => {
                    errors.push(FieldError::new("measures", FieldErrorKind::UnknownValue));
                    break;
                }
            }
        }
    }
    match (text, unit, owner, inherent, residual) {
        (Some(text), Some(unit), Some(owner), Some(inherent), Some(residual))
            if errors.is_empty() =>
        {
            Ok((
                RiskInput {
                    title: text.title.to_string(),
                    description: text.description,
                    unit: UnitId(unit),
                    owner: PersonId(owner),
                    assets: draft.assets,
                    threats,
                    measures,
                    inherent,
                    residual,
                    treatment: text.treatment,
                    review_on: text.review_on,
                },
                UnitId(unit),
            ))
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Where a new or edited risk would sit: its unit's organisation, or a refusal of the unit.
async fn place_of(state: &AppState, input: &RiskInput) -> Result<RiskPlace, AppError> {
    let org =
        state.store.unit_org(input.unit).await?.ok_or_else(|| {
            AppError::invalid(FieldError::new("unit", FieldErrorKind::UnknownValue))
        })?;
    Ok(RiskPlace {
        org,
        unit: input.unit,
        owner: input.owner,
    })
}

pub async fn create(state: &AppState, user: &User, draft: RiskDraft) -> Result<Risk, AppError> {
    if !user.actor.records_risks() {
        return Err(AppError::Forbidden);
    }
    let (input, _) = input(state, draft).await?;
    let grant = authorize::<ManageRisks>(&user.actor, &place_of(state, &input).await?)?;
    Ok(state
        .store
        .create_risk(&grant, input, &user.ctx.origin())
        .await?)
}

pub async fn update(
    state: &AppState,
    user: &User,
    id: i64,
    draft: RiskDraft,
) -> Result<Risk, AppError> {
    let risk = risk(state, user, id).await?;
    authorize::<ManageRisks>(&user.actor, &risk.place())?;
    let (input, _) = input(state, draft).await?;
    let grant = authorize::<ManageRisks>(&user.actor, &place_of(state, &input).await?)?;
    Ok(state
        .store
        .update_risk(&grant, risk.id, input, &user.ctx.origin())
        .await?)
}

/// Accepts the risk as it stands: above the matrix's threshold only the CISO, never its owner.
pub async fn accept(state: &AppState, user: &User, id: i64, note: &str) -> Result<Risk, AppError> {
    let risk = risk(state, user, id).await?;
    let matrix = state.store.risk_matrix().await?;
    let grant = authorize::<AcceptRisk>(
        &user.actor,
        &RiskAcceptance {
            place: risk.place(),
            reserved: matrix.reserved(risk.level),
        },
    )?;
    let note = parse_note("note", note)?;
    Ok(state
        .store
        .accept_risk(&grant, risk.id, &note, &user.ctx.origin())
        .await?)
}

/// Whether the viewer may edit and accept a risk, for its page.
pub fn may(user: &User, risk: &Risk, matrix: &RiskMatrix) -> (bool, bool) {
    let edit = authorize::<ManageRisks>(&user.actor, &risk.place()).is_ok();
    let accept = authorize::<AcceptRisk>(
        &user.actor,
        &RiskAcceptance {
            place: risk.place(),
            reserved: matrix.reserved(risk.level),
        },
    )
    .is_ok();
    (edit, accept)
}

/// Counts of risks per cell of the matrix: `[likelihood - 1][impact - 1]`.
pub fn heat(matrix: &RiskMatrix, risks: &[Risk], residual: bool) -> Vec<Vec<usize>> {
    let mut counts = vec![vec![0; matrix.impact.len()]; matrix.likelihood.len()];
    for risk in risks {
        let rating = if residual {
            risk.residual.unwrap_or(risk.inherent)
        } else {
            risk.inherent
        };
        if let Some(cell) = counts
            .get_mut(usize::from(rating.likelihood).wrapping_sub(1))
            .and_then(|row| row.get_mut(usize::from(rating.impact).wrapping_sub(1)))
        {
            *cell += 1;
        }
    }
    counts
}

/// What a risk's form offers: the units the viewer may record risks for, and the people who may
/// own them (at most 1,000, by name).
pub async fn pick_lists(
    state: &AppState,
    user: &User,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), AppError> {
    let units = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| {
            authorize::<ManageRisks>(
                &user.actor,
                &RiskPlace {
                    org: u.org,
                    unit: u.unit,
                    owner: user.actor.person_id,
                },
            )
            .is_ok()
        })
        .map(|u| (u.unit.0, u.name))
        .collect::<Vec<_>>();
    if units.is_empty() {
        return Ok((units, Vec::new()));
    }
    let grant = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &())?;
    let (people, _) = state
        .store
        .list_people(
            &grant,
            &mamori_store::PeopleFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await?;
    let people = people
        .into_iter()
        .map(|p| match p.unit_name {
            Some(unit) => (p.id.0, format!("{} ({unit})", p.name)),
            None => (p.id.0, p.name),
        })
        .collect();
    Ok((units, people))
}
