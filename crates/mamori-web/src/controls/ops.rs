//! 対策項目's operations: reading and importing catalogues, a unit's checklist and its answers
//! with evidence, and the coverage of the basic policy by the answers. Each one authorises,
//! validates and stores here and nowhere else; the pages, the API and the command line show
//! what they return.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use mamori_core::authz::{
    Granted, ManageCatalogues, RecordMeasureStatus, ViewControls, ViewMeasureStatus, ViewPolicy,
    authorize,
};
use mamori_core::controls::{Catalogue, Node, Signal, Tally, import_yaml, parse_answer};
use mamori_core::policy::{Clause, Policy, PolicyId};
use mamori_core::{FieldError, FieldErrorKind, OrgId, UnitId};
use mamori_store::{
    Answer, AnswerState, CatalogueId, CatalogueSummary, EvidenceFile, Importer, NewAnswer, Origin,
    Store, UnitAssets,
};
use sha2::{Digest, Sha256};

use crate::http::{AppError, AppState, User};

/// The catalogues, for everyone on the staff.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<CatalogueSummary>, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    Ok(state.store.catalogues().await?)
}

/// One catalogue, whole.
pub async fn catalogue(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<(CatalogueSummary, Catalogue), AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    state
        .store
        .catalogue(CatalogueId(id))
        .await?
        .ok_or(AppError::NotFound)
}

/// Reads a library (CISO Assistant's YAML) and stores it, or replaces the catalogue with its
/// urn: for the API and for `mamori controls import` (and the first start, with mamori's own).
/// A library that cannot be read is refused as a whole, naming its line.
pub async fn import_library(
    store: &dyn Store,
    importer: Importer<'_>,
    bytes: &[u8],
    origin: &Origin,
) -> Result<(CatalogueSummary, bool), AppError> {
    let catalogue = import_yaml(bytes).map_err(AppError::Catalogue)?;
    Ok(store.import_catalogue(importer, &catalogue, origin).await?)
}

/// Imports a library as an administrator.
pub async fn import(
    state: &AppState,
    user: &User,
    bytes: &[u8],
) -> Result<(CatalogueSummary, bool), AppError> {
    let grant = authorize::<ManageCatalogues>(&user.actor, &())?;
    import_library(
        &*state.store,
        Importer::Account(&grant),
        bytes,
        &user.ctx.origin(),
    )
    .await
}

/// The units of an organisation whose answers the viewer may read: every unit for those who
/// oversee the organisation, their own units for a unit's 管理者.
fn visible_units<'a>(user: &User, org: OrgId, units: &'a [UnitAssets]) -> Vec<&'a UnitAssets> {
    units
        .iter()
        .filter(|u| u.org == org)
        .filter(|u| authorize::<ViewMeasureStatus>(&user.actor, &(org, Some(u.unit))).is_ok())
        .collect()
}

/// One measure of a unit's checklist.
pub struct ChecklistRow {
    pub node: Node,
    pub answer: Option<Answer>,
    /// A 例外措置 in effect for the measure: its id, and whether it is past its end date.
    pub exception: Option<(i64, bool)>,
}

/// A unit's checklist: every measure of a catalogue that concerns it, with its answer.
pub struct Checklist {
    pub summary: CatalogueSummary,
    pub unit: UnitAssets,
    pub rows: Vec<ChecklistRow>,
    pub can_answer: bool,
    pub can_upload: bool,
}

async fn unit_of(state: &AppState, unit: i64) -> Result<UnitAssets, AppError> {
    state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .find(|u| u.unit == UnitId(unit))
        .ok_or(AppError::NotFound)
}

pub async fn checklist(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
) -> Result<Checklist, AppError> {
    let (summary, catalogue) = catalogue(state, user, id).await?;
    let unit = unit_of(state, unit).await?;
    authorize::<ViewMeasureStatus>(&user.actor, &(unit.org, Some(unit.unit)))
        .map_err(|_| AppError::NotFound)?;
    let scales = state.store.scales().await?;
    let mut answers: HashMap<String, Answer> = state
        .store
        .answers(summary.id, Some(unit.unit))
        .await?
        .into_iter()
        .map(|a| (a.measure_urn.clone(), a))
        .collect();
    let today = state.today();
    let mut exceptions: HashMap<String, (i64, bool)> = HashMap::new();
    for e in state.store.measure_exceptions().await? {
        if e.unit == unit.unit && e.catalogue == summary.id && e.state.in_effect() {
            let expired = mamori_core::exception::expired(e.state, e.until, today);
            exceptions.entry(e.measure_urn).or_insert((e.id.0, expired));
        }
    }
    let rows = catalogue
        .measures()
        .filter(|n| unit.concerns(n, &scales))
        .map(|node| ChecklistRow {
            answer: answers.remove(&node.urn),
            exception: exceptions.remove(&node.urn),
            node: node.clone(),
        })
        .collect();
    Ok(Checklist {
        can_answer: authorize::<RecordMeasureStatus>(&user.actor, &(unit.org, unit.unit)).is_ok(),
        can_upload: state.config.evidence_dir.is_some(),
        summary,
        unit,
        rows,
    })
}

/// Every answer a unit gave for one measure, newest first.
pub async fn history(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
    measure: &str,
) -> Result<Vec<Answer>, AppError> {
    let (summary, catalogue) = catalogue(state, user, id).await?;
    let unit = unit_of(state, unit).await?;
    authorize::<ViewMeasureStatus>(&user.actor, &(unit.org, Some(unit.unit)))
        .map_err(|_| AppError::NotFound)?;
    let node = find_measure(&catalogue, measure)?;
    Ok(state
        .store
        .answer_history(summary.id, &node.urn, unit.unit)
        .await?)
}

/// An answer as typed or sent, with the file given as evidence (name and bytes).
#[derive(Default)]
pub struct AnswerDraft {
    /// The measure's urn or its code (`M-6.2.3`).
    pub measure: String,
    pub status: String,
    pub reason: String,
    pub note: String,
    pub link: String,
    pub file: Option<(String, Vec<u8>)>,
}

/// The measure an urn or a code names.
fn find_measure<'c>(catalogue: &'c Catalogue, raw: &str) -> Result<&'c Node, AppError> {
    let raw = raw.trim();
    catalogue
        .measures()
        .find(|n| n.urn == raw.to_ascii_lowercase() || n.ref_id.as_deref() == Some(raw))
        .ok_or_else(|| AppError::invalid(FieldError::new("measure", FieldErrorKind::UnknownValue)))
}

/// The most characters kept of an evidence file's name.
const MAX_FILE_NAME_CHARS: usize = 200;

/// Keeps an evidence file in `dir` under its SHA-256 (once, however often it is given).
async fn keep_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<EvidenceFile, AppError> {
    let sha256 = hex_digest(bytes);
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    let name = if name.trim().is_empty() {
        "evidence".to_owned()
    } else {
        name
    };
    let path = dir.join(&sha256);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| AppError::Internal(format!("evidence folder: {e}")))?;
        // Written aside and renamed, so that a file under its digest is always whole.
        let partial = dir.join(format!(".{sha256}.partial"));
        tokio::fs::write(&partial, bytes)
            .await
            .map_err(|e| AppError::Internal(format!("writing evidence: {e}")))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| AppError::Internal(format!("keeping evidence: {e}")))?;
    }
    Ok(EvidenceFile {
        name,
        sha256,
        size: bytes.len() as i64,
    })
}

fn hex_digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the viewer may answer for a unit: 404 for a unit they may not see, 403 for one they
/// may see but not answer for. The pages ask before reading an upload.
pub async fn may_answer(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
) -> Result<
    (
        CatalogueSummary,
        Catalogue,
        UnitAssets,
        Granted<RecordMeasureStatus>,
    ),
    AppError,
> {
    let (summary, catalogue) = catalogue(state, user, id).await?;
    let unit = unit_of(state, unit).await?;
    authorize::<ViewMeasureStatus>(&user.actor, &(unit.org, Some(unit.unit)))
        .map_err(|_| AppError::NotFound)?;
    let grant = authorize::<RecordMeasureStatus>(&user.actor, &(unit.org, unit.unit))?;
    Ok((summary, catalogue, unit, grant))
}

/// Records a unit's answer for a measure.
pub async fn answer(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
    draft: AnswerDraft,
) -> Result<Answer, AppError> {
    let (summary, catalogue, unit, grant) = may_answer(state, user, id, unit).await?;
    let node = find_measure(&catalogue, &draft.measure)?;
    let (state_of, reason, note, link) =
        parse_answer(&draft.status, &draft.reason, &draft.note, &draft.link)
            .map_err(AppError::Invalid)?;
    let file = match (&draft.file, &state.config.evidence_dir) {
        (Some((name, bytes)), Some(dir)) if !bytes.is_empty() => {
            Some(keep_file(dir, name, bytes).await?)
        }
        (Some((_, bytes)), None) if !bytes.is_empty() => {
            return Err(AppError::invalid(FieldError::new(
                "file",
                FieldErrorKind::NotAllowed,
            )));
        }
        _ => None,
    };
    Ok(state
        .store
        .record_answer(
            &grant,
            NewAnswer {
                catalogue: summary.id,
                measure_urn: node.urn.clone(),
                unit: unit.unit,
                state: state_of,
                reason,
                note,
                link,
                file,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// The units the viewer may answer for, for the catalogue page's links.
pub async fn answerable_units(state: &AppState, user: &User) -> Result<Vec<UnitAssets>, AppError> {
    Ok(state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .filter(|u| authorize::<ViewMeasureStatus>(&user.actor, &(u.org, Some(u.unit))).is_ok())
        .collect())
}

/// The kept evidence file an answer names, for download by those who may read the answer.
pub async fn evidence(
    state: &AppState,
    user: &User,
    id: i64,
    unit: i64,
    answer_id: i64,
) -> Result<(EvidenceFile, Vec<u8>), AppError> {
    let (summary, _) = catalogue(state, user, id).await?;
    let unit = unit_of(state, unit).await?;
    authorize::<ViewMeasureStatus>(&user.actor, &(unit.org, Some(unit.unit)))
        .map_err(|_| AppError::NotFound)?;
    let dir = state
        .config
        .evidence_dir
        .as_ref()
        .ok_or(AppError::NotFound)?;
    let found = state
        .store
        .answer(answer_id)
        .await?
        .filter(|a| a.catalogue == summary.id && a.unit == unit.unit);
    let file = found.and_then(|a| a.file).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(dir.join(&file.sha256))
        .await
        .map_err(|_| AppError::NotFound)?;
    if hex_digest(&bytes) != file.sha256 {
        return Err(AppError::Internal(format!(
            "evidence {} does not match its digest",
            file.sha256
        )));
    }
    Ok((file, bytes))
}

// ---------------------------------------------------------------------------------------------
// Coverage: the basic policy as a living checklist

/// One clause of the policy in force, with the measures that implement it (or a clause below
/// it) and their answers across the units.
pub struct ClauseCoverage {
    pub anchor: String,
    pub number: String,
    pub title: String,
    pub depth: usize,
    pub measures: usize,
    pub tally: Tally,
    pub signal: Signal,
    /// When the oldest answer with evidence was given.
    pub oldest_evidence: Option<i64>,
}

pub struct Coverage {
    pub policy: Policy,
    pub units: usize,
    pub clauses: Vec<ClauseCoverage>,
}

/// What one measure comes to across the units it concerns.
#[derive(Default, Clone, Copy)]
struct MeasureTally {
    tally: Tally,
    oldest_evidence: Option<i64>,
}

pub async fn coverage(state: &AppState, user: &User, policy: i64) -> Result<Coverage, AppError> {
    let policy = state
        .store
        .policy(PolicyId(policy))
        .await?
        .ok_or(AppError::NotFound)?;
    let number = policy.effective.ok_or(AppError::NotFound)?;
    let version = state
        .store
        .version(policy.id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewPolicy>(&user.actor, &policy.place(Some(&version.info)))
        .map_err(|_| AppError::NotFound)?;
    let all_units = state.store.unit_assets().await?;
    let units = visible_units(user, policy.org_id, &all_units);
    if units.is_empty() {
        return Err(AppError::Forbidden);
    }
    let scales = state.store.scales().await?;
    // Each measure's tally, by the anchors it implements.
    let mut by_anchor: HashMap<String, Vec<(CatalogueId, String, MeasureTally)>> = HashMap::new();
    for summary in state.store.catalogues().await? {
        let Some((_, catalogue)) = state.store.catalogue(summary.id).await? else {
            continue;
        };
        let states = state.store.answer_states(summary.id).await?;
        let answers: HashMap<(&str, UnitId), &AnswerState> = states
            .iter()
            .map(|a| ((a.measure_urn.as_str(), a.unit), a))
            .collect();
        for node in catalogue.measures().filter(|n| !n.implements.is_empty()) {
            let mut measure = MeasureTally::default();
            for unit in units.iter().filter(|u| u.concerns(node, &scales)) {
                let answer = answers.get(&(node.urn.as_str(), unit.unit));
                measure.tally.add(answer.map(|a| a.state));
                if let Some(at) = answer.and_then(|a| a.evidence_at) {
                    measure.oldest_evidence =
                        Some(measure.oldest_evidence.map_or(at, |t: i64| t.min(at)));
                }
            }
            for anchor in &node.implements {
                by_anchor.entry(anchor.clone()).or_default().push((
                    summary.id,
                    node.urn.clone(),
                    measure,
                ));
            }
        }
    }
    let mut clauses = Vec::new();
    for section in &version.text.sections {
        walk(section, 0, &by_anchor, &mut clauses);
    }
    Ok(Coverage {
        units: units.len(),
        policy,
        clauses,
    })
}

/// A clause's coverage: the measures of its own anchor and of every clause below it, each
/// counted once.
fn walk(
    clause: &Clause,
    depth: usize,
    by_anchor: &HashMap<String, Vec<(CatalogueId, String, MeasureTally)>>,
    out: &mut Vec<ClauseCoverage>,
) {
    let mut seen: HashSet<(CatalogueId, &str)> = HashSet::new();
    let mut tally = Tally::default();
    let mut oldest: Option<i64> = None;
    for below in clause.walk() {
        for (catalogue, urn, measure) in by_anchor.get(&below.anchor).into_iter().flatten() {
            if seen.insert((*catalogue, urn.as_str())) {
                tally.merge(&measure.tally);
                if let Some(t) = measure.oldest_evidence {
                    oldest = Some(oldest.map_or(t, |o| o.min(t)));
                }
            }
        }
    }
    out.push(ClauseCoverage {
        anchor: clause.anchor.clone(),
        number: clause.number.clone(),
        title: clause.title.clone().unwrap_or_default(),
        depth,
        measures: seen.len(),
        signal: tally.signal(),
        tally,
        oldest_evidence: oldest,
    });
    for child in &clause.children {
        walk(child, depth + 1, by_anchor, out);
    }
}

/// The basic policies in force the viewer may see the coverage of, for the catalogue page.
pub async fn coverable_policies(state: &AppState, user: &User) -> Result<Vec<Policy>, AppError> {
    let units = state.store.unit_assets().await?;
    let mut out = Vec::new();
    for policy in state.store.policies().await? {
        if policy.tier.is_public()
            && policy.effective.is_some()
            && !visible_units(user, policy.org_id, &units).is_empty()
        {
            out.push(policy);
        }
    }
    Ok(out)
}
