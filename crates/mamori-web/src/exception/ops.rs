//! 例外措置's operations: the exceptions the viewer may see with their flags, one asked for by a
//! unit (or taken first in an emergency), and the CISO's decision. Each one authorises,
//! validates and stores here and nowhere else.

use mamori_core::authz::{
    DecideException, RequestException, ViewControls, ViewExceptions, authorize,
};
use mamori_core::exception::{expired, parse_exception, reported_late};
use mamori_core::text::parse_note;
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::{ExceptionId, MeasureException, NewException};

use crate::http::{AppError, AppState, User};

/// An exception with what the list flags about it.
pub struct Flagged {
    pub exception: MeasureException,
    /// In effect past its end date.
    pub expired: bool,
    /// An emergency reported more than the set number of days after it was taken.
    pub late: bool,
}

fn flagged(state: &AppState, exception: MeasureException) -> Flagged {
    let today = state.today();
    let reported_on = mamori_core::time::jst_date(exception.requested_at).unwrap_or(today);
    Flagged {
        expired: expired(exception.state, exception.until, today),
        late: reported_late(
            exception.taken_on,
            reported_on,
            state.config.exception_report_days,
        ),
        exception,
    }
}

/// The exceptions the viewer may see, newest first.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Flagged>, AppError> {
    authorize::<ViewControls>(&user.actor, &())?;
    Ok(state
        .store
        .measure_exceptions()
        .await?
        .into_iter()
        .filter(|e| authorize::<ViewExceptions>(&user.actor, &e.place()).is_ok())
        .map(|e| flagged(state, e))
        .collect())
}

/// One exception; 404 for one the viewer may not see.
pub async fn exception(state: &AppState, user: &User, id: i64) -> Result<Flagged, AppError> {
    let exception = state
        .store
        .measure_exception(ExceptionId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewExceptions>(&user.actor, &exception.place()).map_err(|_| AppError::NotFound)?;
    Ok(flagged(state, exception))
}

/// An exception as typed or sent.
#[derive(Default)]
pub struct ExceptionDraft {
    pub unit: Option<i64>,
    /// The measure's urn or code.
    pub measure: String,
    pub reason: String,
    pub compensating: String,
    pub until: String,
    pub emergency: bool,
    pub taken_on: String,
}

/// Asks for an exception for a unit (its 管理者, its organisation's 責任者, administrators).
pub async fn request(
    state: &AppState,
    user: &User,
    draft: ExceptionDraft,
) -> Result<Flagged, AppError> {
    let unit = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .find(|u| Some(u.unit.0) == draft.unit)
        .ok_or_else(|| {
            AppError::invalid(FieldError::new(
                "unit",
                if draft.unit.is_none() {
                    FieldErrorKind::Required
                } else {
                    FieldErrorKind::UnknownValue
                },
            ))
        })?;
    let grant = authorize::<RequestException>(&user.actor, &(unit.org, unit.unit))?;
    let mut errors = Vec::new();
    let text = parse_exception(
        &draft.reason,
        &draft.compensating,
        &draft.until,
        draft.emergency,
        &draft.taken_on,
        state.today(),
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let measure = if draft.measure.trim().is_empty() {
        errors.push(FieldError::new("measure", FieldErrorKind::Required));
        None
    } else {
        let found = state.store.find_measure(&draft.measure).await?;
        if found.is_none() {
            errors.push(FieldError::new("measure", FieldErrorKind::UnknownValue));
        }
        found
    };
    let (Some(text), Some((catalogue, measure_urn))) = (text, measure) else {
        return Err(AppError::Invalid(errors));
    };
    let stored = state
        .store
        .request_exception(
            &grant,
            NewException {
                catalogue,
                measure_urn,
                unit: unit.unit,
                reason: text.reason,
                compensating: text.compensating,
                until: text.until,
                taken_on: text.taken_on,
            },
            &user.ctx.origin(),
        )
        .await?;
    Ok(flagged(state, stored))
}

/// Approves or rejects an exception (the CISO, never on their own request).
pub async fn decide(
    state: &AppState,
    user: &User,
    id: i64,
    approve: bool,
    note: &str,
) -> Result<Flagged, AppError> {
    let current = exception(state, user, id).await?;
    let grant = authorize::<DecideException>(&user.actor, &current.exception.place())?;
    let note = parse_note("note", note).map_err(AppError::invalid)?;
    let decided = state
        .store
        .decide_exception(
            &grant,
            current.exception.id,
            approve,
            &note,
            &user.ctx.origin(),
        )
        .await?;
    Ok(flagged(state, decided))
}
