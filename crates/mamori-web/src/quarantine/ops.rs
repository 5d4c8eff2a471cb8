//! 隔離メール's operations: who sees which message, asking for its original and deciding on a
//! request. Each one authorises and records, here and nowhere else; the pages and the API show
//! what they return.

use mamori_core::authz::{
    ApproveRelease, RequestRelease, ViewQuarantine, ViewQuarantineItem, authorize,
};
use mamori_core::release::{
    Direction, MAX_QUARANTINE_PAGE, QuarantineCursor, QuarantineFilter, QuarantineParties,
    QuarantinedMail, ReleaseRequest, ReleaseState, parse_reason,
};
use mamori_core::text::is_forbidden_char;
use mamori_core::{FieldError, FieldErrorKind};
use mamori_store::{NewRelease, QuarantineView, ReleaseFilter};
use serde::Deserialize;

use crate::http::{AppError, AppState, User};

/// Entries a page of the list shows unless asked for fewer or more.
pub const PAGE_SIZE: usize = 50;

/// The list's filter as typed, in the page's query or the API's: text, checked by
/// [`filter_of`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// `sanitized`, `quarantined` or `held`.
    #[serde(default)]
    pub verdict: String,
    /// First day received, `YYYY-MM-DD` (JST).
    #[serde(default)]
    pub from: String,
    /// Last day received, `YYYY-MM-DD` (JST), included.
    #[serde(default)]
    pub to: String,
    /// A part of the sender's address.
    #[serde(default)]
    pub sender: String,
    /// A part of a recipient's address.
    #[serde(default)]
    pub recipient: String,
    /// A reason code (`executable`, `my-number`, …).
    #[serde(default)]
    pub reason: String,
    /// Where the page begins, as the previous page's `next` gave it.
    #[serde(default)]
    pub before: String,
    /// Entries per page, 1 to 200.
    #[serde(default)]
    pub limit: String,
}

/// The longest substring a filter takes.
const MAX_FILTER_CHARS: usize = 200;

fn filter_text(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_FILTER_CHARS {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooLong {
                max: MAX_FILTER_CHARS,
            },
        ));
    }
    if value.chars().any(is_forbidden_char) {
        return Err(FieldError::new(field, FieldErrorKind::ControlCharacter));
    }
    Ok(Some(value.to_owned()))
}

/// The filter a query names; each field's refusal names the field.
pub fn filter_of(query: &ListQuery) -> Result<QuarantineFilter, FieldError> {
    let verdict = match query.verdict.trim() {
        "" => None,
        v @ ("sanitized" | "quarantined" | "held") => Some(v.to_owned()),
        _ => return Err(FieldError::new("verdict", FieldErrorKind::UnknownValue)),
    };
    let day = |field: &'static str, raw: &str| -> Result<Option<i64>, FieldError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        mamori_core::time::jst_day_start(raw)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, FieldErrorKind::InvalidFormat))
    };
    let from = day("from", &query.from)?;
    // The last day is included: up to the start of the next.
    let to = day("to", &query.to)?.map(|ms| ms.saturating_add(86_400_000));
    let reason = filter_text("reason", &query.reason)?;
    if reason.as_deref().is_some_and(|r| {
        !r.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    }) {
        return Err(FieldError::new("reason", FieldErrorKind::InvalidFormat));
    }
    let before = match query.before.trim() {
        "" => None,
        raw => Some(QuarantineCursor::parse("before", raw)?),
    };
    let limit = match query.limit.trim() {
        "" => PAGE_SIZE,
        raw => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_QUARANTINE_PAGE).contains(n))
            .ok_or_else(|| FieldError::new("limit", FieldErrorKind::InvalidFormat))?,
    };
    Ok(QuarantineFilter {
        verdict,
        received_from_ms: from,
        received_to_ms: to,
        sender: filter_text("sender", &query.sender)?,
        recipient: filter_text("recipient", &query.recipient)?,
        reason,
        askers: None,
        before,
        limit,
    })
}

fn service(state: &AppState) -> Result<&dyn QuarantineView, AppError> {
    state.quarantine.as_deref().ok_or(AppError::NotFound)
}

/// Whom an entry concerns: the organisation and unit of each person with one of its asking
/// addresses (recipients inbound, the sender outbound).
fn concerned(
    entry: &QuarantinedMail,
    places: &[(
        String,
        Option<mamori_core::OrgId>,
        Option<mamori_core::UnitId>,
    )],
) -> Vec<(Option<mamori_core::OrgId>, Option<mamori_core::UnitId>)> {
    let parties = entry.parties(None);
    places
        .iter()
        .filter(|(email, _, _)| {
            parties
                .askers()
                .iter()
                .any(|a| mamori_core::release::same_address(a, email))
        })
        .map(|(_, org, unit)| (*org, *unit))
        .collect()
}

/// The people's places, when the viewer's role sees the quarantine of their own units only
/// (the look-up is not needed for everyone else).
async fn places_for(
    state: &AppState,
    user: &User,
) -> Result<
    Vec<(
        String,
        Option<mamori_core::OrgId>,
        Option<mamori_core::UnitId>,
    )>,
    AppError,
> {
    if user.actor.sees_all_quarantine() || authorize::<ViewQuarantine>(&user.actor, &()).is_err() {
        return Ok(Vec::new());
    }
    Ok(state.store.places_by_email().await?)
}

/// What the list shows a viewer, for the page and the API alike.
pub struct ListData {
    /// The entries the viewer may see, each with whether it was addressed to them.
    pub entries: Vec<(QuarantinedMail, bool)>,
    /// The viewer's own release requests, newest first.
    pub requests: Vec<ReleaseRequest>,
    pub can_view_all: bool,
    pub has_email: bool,
    /// Where the next page begins; `None` on the last.
    pub next: Option<String>,
}

/// An entry as a viewer without a security role sees it: of an inbound message's recipients only
/// their own address, so that Bcc recipients stay hidden from each other; the sender of an
/// outbound message sees its recipients, which they wrote.
fn as_seen_by(
    mut entry: QuarantinedMail,
    own: Option<&str>,
    can_view_all: bool,
) -> QuarantinedMail {
    if !can_view_all && entry.direction == mamori_core::release::Direction::Inbound {
        entry
            .recipients
            .retain(|r| own.is_some_and(|own| mamori_core::release::same_address(r, own)));
    }
    entry
}

/// The addresses whose mail the viewer may see, for the index to look up; `None` for a role
/// that sees every entry. The rule is core's own, asked of one address at a time.
fn visible_askers(
    user: &User,
    email: Option<&str>,
    places: &[(
        String,
        Option<mamori_core::OrgId>,
        Option<mamori_core::UnitId>,
    )],
) -> Option<Vec<String>> {
    if user.actor.sees_all_quarantine() {
        return None;
    }
    let mut askers: Vec<String> = email.map(str::to_owned).into_iter().collect();
    for (address, org, unit) in places {
        let parties = QuarantineParties {
            direction: Direction::Inbound,
            from: String::new(),
            recipients: vec![address.clone()],
            actor_email: email.map(str::to_owned),
            concerned: vec![(*org, *unit)],
        };
        if authorize::<ViewQuarantineItem>(&user.actor, &parties).is_ok() {
            askers.push(address.clone());
        }
    }
    Some(askers)
}

/// One page of the viewer's quarantined mail, or of all of it for a role that sees every
/// entry, read from the quarantine's index; filtered and paged as `query` says.
pub async fn list_data(
    state: &AppState,
    user: &User,
    query: &ListQuery,
) -> Result<ListData, AppError> {
    let service = service(state)?;
    let mut filter = filter_of(query)?;
    let email = state.store.account_email(user.actor.user_id).await?;
    let can_view_all = authorize::<ViewQuarantine>(&user.actor, &()).is_ok();
    let places = places_for(state, user).await?;
    filter.askers = visible_askers(user, email.as_deref(), &places);
    let page = service.page(&filter).await?;
    // Each entry is still put to the rule itself: the index narrows, core decides.
    let entries = page
        .entries
        .into_iter()
        .filter_map(|e| {
            let mut parties = e.parties(email.clone());
            let mine = parties.actor_asker().is_some();
            parties.concerned = concerned(&e, &places);
            let visible = authorize::<ViewQuarantineItem>(&user.actor, &parties).is_ok();
            visible.then(|| (as_seen_by(e, email.as_deref(), can_view_all), mine))
        })
        .collect();
    let requests = state.store.own_releases(user.actor.user_id, 100).await?;
    Ok(ListData {
        entries,
        requests,
        can_view_all,
        has_email: email.is_some(),
        next: page.next.map(|c| c.encode()),
    })
}

/// The entry an id from outside names, and the viewer's grant on it. An id that is malformed,
/// unknown or not the viewer's to see is 404 alike.
async fn visible_entry(
    state: &AppState,
    user: &User,
    raw: &str,
) -> Result<(QuarantinedMail, mamori_core::release::QuarantineParties), AppError> {
    let entry = service(state)?
        .entry(raw)
        .await?
        .ok_or(AppError::NotFound)?;
    let email = state.store.account_email(user.actor.user_id).await?;
    let mut parties = entry.parties(email);
    parties.concerned = concerned(&entry, &places_for(state, user).await?);
    Ok((entry, parties))
}

/// One entry as a viewer may see it, for the page and the API alike.
pub struct ItemData {
    pub entry: QuarantinedMail,
    pub parties: mamori_core::release::QuarantineParties,
    pub requests: Vec<ReleaseRequest>,
    /// The viewer may ask for the original now (allowed, and no open request of theirs).
    pub can_request: bool,
}

/// The entry an id names, if the viewer may see it; the read is written to the audit trail.
pub async fn item_data(state: &AppState, user: &User, raw: &str) -> Result<ItemData, AppError> {
    let (entry, parties) = visible_entry(state, user, raw).await?;
    let grant =
        authorize::<ViewQuarantineItem>(&user.actor, &parties).map_err(|_| AppError::NotFound)?;
    let can_view_all = authorize::<ViewQuarantine>(&user.actor, &()).is_ok();
    let mut requests = state.store.releases_of_item(&grant, &entry.id).await?;
    if !can_view_all {
        // A recipient sees their own requests, not why a colleague asked for the same message.
        requests.retain(|r| r.requester == user.actor.user_id);
    }
    let entry = as_seen_by(entry, parties.actor_email.as_deref(), can_view_all);
    let event = user
        .ctx
        .origin()
        .event("quarantine.read", "quarantine", &entry.id)
        .with_detail(serde_json::json!({"asked_as": raw}));
    state.store.record(event).await?;
    let own_open = requests
        .iter()
        .any(|r| r.requester == user.actor.user_id && r.state.is_open());
    let can_request = authorize::<RequestRelease>(&user.actor, &parties).is_ok() && !own_open;
    Ok(ItemData {
        entry,
        parties,
        requests,
        can_request,
    })
}

/// Asks for the original of the entry `raw` names, for the viewer's address on it.
pub async fn request_release(
    state: &AppState,
    user: &User,
    raw: &str,
    reason: &str,
) -> Result<ReleaseRequest, AppError> {
    let (entry, parties) = visible_entry(state, user, raw).await?;
    authorize::<ViewQuarantineItem>(&user.actor, &parties).map_err(|_| AppError::NotFound)?;
    let grant = authorize::<RequestRelease>(&user.actor, &parties)?;
    let reason = parse_reason("reason", reason, true)?;
    let address = parties.actor_asker().ok_or(AppError::Forbidden)?.to_owned();
    // Kept from purges before the request exists, so that no purge can take it meanwhile.
    if !service(state)?.hold_for_release(&entry.id).await? {
        return Err(AppError::NotFound);
    }
    let request = state
        .store
        .request_release(
            &grant,
            NewRelease {
                quarantine_id: entry.id.clone(),
                direction: parties.direction,
                address,
                reason,
            },
            &user.ctx.origin(),
        )
        .await?;
    service(state)?.release_changed(&request).await;
    Ok(request)
}

/// The requests awaiting a decision and the latest decided ones, for a role that may view the
/// quarantine.
pub async fn releases_data(
    state: &AppState,
    user: &User,
) -> Result<(Vec<ReleaseRequest>, Vec<ReleaseRequest>), AppError> {
    service(state)?;
    let grant = authorize::<ViewQuarantine>(&user.actor, &())?;
    let pending = state
        .store
        .list_releases(
            &grant,
            &ReleaseFilter {
                state: Some(ReleaseState::Requested),
                limit: 500,
                ..ReleaseFilter::default()
            },
        )
        .await?;
    let recent = state
        .store
        .list_releases(
            &grant,
            &ReleaseFilter {
                limit: 100,
                ..ReleaseFilter::default()
            },
        )
        .await?
        .into_iter()
        .filter(|r| r.state != ReleaseState::Requested)
        .collect::<Vec<_>>();
    // A unit's 管理者 and an organisation's 責任者 see the requests of their own people: those
    // they may decide on (never their own, which they may not decide on either).
    let mut pending = pending;
    let mut recent = recent;
    if !user.actor.sees_all_quarantine() {
        let theirs =
            |r: &ReleaseRequest| authorize::<ApproveRelease>(&user.actor, &r.decision()).is_ok();
        pending.retain(theirs);
        recent.retain(theirs);
    }
    Ok((pending, recent))
}

/// Approves or rejects a release request (`decision` is `approve` or `reject`).
pub async fn decide_release(
    state: &AppState,
    user: &User,
    id: i64,
    decision: &str,
    note: &str,
) -> Result<ReleaseRequest, AppError> {
    let service = service(state)?;
    let request = state
        .store
        .release_request(mamori_core::release::ReleaseId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant = authorize::<ApproveRelease>(&user.actor, &request.decision())?;
    let approve = match decision {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::invalid(FieldError::new(
                "decision",
                FieldErrorKind::UnknownValue,
            )));
        }
    };
    // A rejection says why; an approval may.
    let note = parse_reason("note", note, !approve)?;
    let decided = state
        .store
        .decide_release(&grant, request.id, approve, &note, &user.ctx.origin())
        .await?;
    service.release_changed(&decided).await;
    if approve {
        service.release_approved();
    }
    Ok(decided)
}
