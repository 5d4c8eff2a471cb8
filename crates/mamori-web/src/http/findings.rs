//! What the features that raise findings share: a finding as typed (by an auditor, for an audit
//! or not), checked — its text by core, its measure looked up in the catalogues. Each feature's
//! `ops` authorises first and then calls this.

use mamori_core::finding::parse_finding;
use mamori_core::text::parse_line;
use mamori_core::{FieldError, FieldErrorKind, UnitId};
use mamori_store::NewFinding;

use crate::http::{AppError, AppState};

/// Checks a finding's fields; every refused field is named at once.
pub async fn new_finding(
    state: &AppState,
    unit: UnitId,
    kind: &str,
    description: &str,
    clause: &str,
    measure: &str,
) -> Result<NewFinding, AppError> {
    let mut errors = Vec::new();
    let text = parse_finding(kind, description)
        .map_err(|e| errors.extend(e))
        .ok();
    let clause = parse_line("clause", clause)
        .map_err(|e| errors.push(e))
        .ok();
    let measure = if measure.trim().is_empty() {
        Some(None)
    } else {
        let found = state.store.find_measure(measure).await?;
        if found.is_none() {
            errors.push(FieldError::new("measure", FieldErrorKind::UnknownValue));
        }
        found.map(Some)
    };
    let (Some((kind, description)), Some(clause), Some(measure)) = (text, clause, measure) else {
        return Err(AppError::Invalid(errors));
    };
    let (catalogue, measure_urn) = match measure {
        Some((catalogue, urn)) => (Some(catalogue), urn),
        None => (None, String::new()),
    };
    Ok(NewFinding {
        unit,
        catalogue,
        measure_urn,
        clause,
        kind,
        description,
    })
}
