//! ポリシー文書's operations: who reads which version, importing and editing a text, the steps
//! from draft to effective, and the staff's confirmations. Each one authorises, validates and
//! stores here and nowhere else; the pages, the API and the command line show what they return.

use chrono::NaiveDate;
use mamori_core::authz::{
    AcknowledgePolicy, ApprovePolicy, ManagePolicies, ViewAcknowledgements, ViewPolicy, authorize,
};
use mamori_core::policy::{
    APPROVER_ROLES, ClauseDiff, Policy, PolicyId, PolicyText, Step, Tier, VersionInfo,
    VersionState, decode_text, diff, parse_policy,
};
use mamori_core::role::Role;
use mamori_core::{FieldError, FieldErrorKind, OrgId, PersonId, UnitId};
use mamori_store::{AckProgress, Author, NewPolicy, Origin, PolicySource, PolicyVersion, Store};

use crate::http::{AppError, AppState, Check, User};

/// A text to import or save, as typed or uploaded: nothing checked yet.
#[derive(Debug, Default, Clone)]
pub struct ImportDraft {
    pub org_id: Option<i64>,
    pub tier: String,
    pub title: String,
    /// Empty: the CISO.
    pub approver_role: String,
    pub bytes: Vec<u8>,
}

/// What an import made: the document, the version written and what was read.
pub struct Imported {
    pub policy: Policy,
    pub version: VersionInfo,
    pub text: PolicyText,
}

/// The document's fields, checked; every refused field is reported at once.
fn new_policy(draft: &ImportDraft) -> Result<NewPolicy, AppError> {
    let mut check = Check::new();
    let org_id = match draft.org_id {
        Some(id) if id > 0 => Some(OrgId(id)),
        Some(_) => {
            check.0.push(FieldError::new(
                "organisation",
                FieldErrorKind::InvalidFormat,
            ));
            None
        }
        None => {
            check
                .0
                .push(FieldError::new("organisation", FieldErrorKind::Required));
            None
        }
    };
    let tier = Tier::parse(&draft.tier);
    if tier.is_none() {
        check.0.push(FieldError::new(
            "tier",
            if draft.tier.trim().is_empty() {
                FieldErrorKind::Required
            } else {
                FieldErrorKind::UnknownValue
            },
        ));
    }
    let title = check.name("title", &draft.title);
    let approver_role = approver_role(&draft.approver_role).map_err(|e| check.0.push(e));
    check.done()?;
    match (org_id, tier, title, approver_role) {
        (Some(org_id), Some(tier), Some(title), Ok(approver_role)) => Ok(NewPolicy {
            org_id,
            tier,
            title: title.as_str().to_owned(),
            approver_role,
        }),
        _ => Err(AppError::Invalid(Vec::new())),
    }
}

/// The role a document names as its approver; empty is the CISO.
fn approver_role(raw: &str) -> Result<Role, FieldError> {
    if raw.trim().is_empty() {
        return Ok(Role::Ciso);
    }
    Role::parse(raw)
        .ok()
        .filter(|r| APPROVER_ROLES.contains(r))
        .ok_or_else(|| FieldError::new("approver_role", FieldErrorKind::UnknownValue))
}

/// The text of an upload or a form, read into clauses.
fn read_text(bytes: &[u8]) -> Result<(String, PolicyText), AppError> {
    let source = decode_text(bytes).map_err(AppError::Policy)?;
    let text = parse_policy(&source).map_err(AppError::Policy)?;
    Ok((source, text))
}

/// Imports a 例規-style text as a new document, or as the next draft of the document of the
/// same organisation, tier and title: for the pages and the API (`author` an account allowed to
/// manage the organisation's policy) and for `mamori policy import` (the operator).
pub async fn import_text(
    store: &dyn Store,
    author: Author<'_>,
    draft: &ImportDraft,
    origin: &Origin,
) -> Result<Imported, AppError> {
    let input = new_policy(draft)?;
    let (source, text) = read_text(&draft.bytes)?;
    let source_ref = PolicySource {
        source: &source,
        text: &text,
    };
    let (policy, version) = match store
        .find_policy(input.org_id, input.tier, &input.title)
        .await?
    {
        Some(policy) => {
            let version = store
                .save_draft(author, policy.id, source_ref, origin)
                .await?;
            (policy, version)
        }
        None => {
            store
                .create_policy(author, input, source_ref, origin)
                .await?
        }
    };
    let policy = store.policy(policy.id).await?.ok_or(AppError::NotFound)?;
    Ok(Imported {
        policy,
        version,
        text,
    })
}

/// Imports a text as the signed-in user: they must manage the organisation's policy.
pub async fn import(
    state: &AppState,
    user: &User,
    draft: &ImportDraft,
) -> Result<Imported, AppError> {
    let org = draft
        .org_id
        .filter(|id| *id > 0)
        .map(OrgId)
        .ok_or_else(|| {
            AppError::invalid(FieldError::new("organisation", FieldErrorKind::Required))
        })?;
    let grant = authorize::<ManagePolicies>(&user.actor, &org)?;
    import_text(
        &*state.store,
        Author::Account(&grant),
        draft,
        &user.ctx.origin(),
    )
    .await
}

/// Whether the viewer may write the document's draft: 404 for a document they may not read,
/// 403 for one they may read but not edit. The page asks before reading its body.
pub async fn may_edit(state: &AppState, user: &User, id: i64) -> Result<Policy, AppError> {
    let policy = visible_policy(state, user, id).await?;
    authorize::<ManagePolicies>(&user.actor, &policy.org_id)?;
    Ok(policy)
}

/// Saves a new text as the document's draft (the open draft, or a new version after the newest).
pub async fn save_draft(
    state: &AppState,
    user: &User,
    id: i64,
    bytes: &[u8],
) -> Result<VersionInfo, AppError> {
    let policy = may_edit(state, user, id).await?;
    let grant = authorize::<ManagePolicies>(&user.actor, &policy.org_id)?;
    let (source, text) = read_text(bytes)?;
    Ok(state
        .store
        .save_draft(
            Author::Account(&grant),
            policy.id,
            PolicySource {
                source: &source,
                text: &text,
            },
            &user.ctx.origin(),
        )
        .await?)
}

/// A document the viewer may read some version of; 404 for one they may not (its existence is
/// not told).
async fn visible_policy(state: &AppState, user: &User, id: i64) -> Result<Policy, AppError> {
    let policy = state
        .store
        .policy(PolicyId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let versions = state.store.versions(policy.id).await?;
    if versions
        .iter()
        .any(|v| authorize::<ViewPolicy>(&user.actor, &policy.place(Some(v))).is_ok())
    {
        Ok(policy)
    } else {
        Err(AppError::NotFound)
    }
}

/// The documents the viewer may read, each with the versions they may read (newest first).
pub async fn list(
    state: &AppState,
    user: &User,
) -> Result<Vec<(Policy, Vec<VersionInfo>)>, AppError> {
    let mut out = Vec::new();
    for policy in state.store.policies().await? {
        let versions: Vec<VersionInfo> = state
            .store
            .versions(policy.id)
            .await?
            .into_iter()
            .filter(|v| authorize::<ViewPolicy>(&user.actor, &policy.place(Some(v))).is_ok())
            .collect();
        if !versions.is_empty() {
            out.push((policy, versions));
        }
    }
    Ok(out)
}

/// One document with the versions the viewer may read.
pub async fn document(
    state: &AppState,
    user: &User,
    id: i64,
) -> Result<(Policy, Vec<VersionInfo>), AppError> {
    let policy = visible_policy(state, user, id).await?;
    let versions = state
        .store
        .versions(policy.id)
        .await?
        .into_iter()
        .filter(|v| authorize::<ViewPolicy>(&user.actor, &policy.place(Some(v))).is_ok())
        .collect();
    Ok((policy, versions))
}

/// What the viewer may do with a version.
#[derive(Debug, Default, Clone, Copy)]
pub struct Actions {
    pub edit: bool,
    pub submit: bool,
    pub return_to_draft: bool,
    pub approve: bool,
    /// The viewer's own confirmation is due.
    pub acknowledge: bool,
    /// When the viewer confirmed it.
    pub acknowledged_at: Option<i64>,
    pub view_acknowledgements: bool,
}

/// One version with its text, and what the viewer may do with it.
pub async fn version(
    state: &AppState,
    user: &User,
    id: i64,
    number: i64,
) -> Result<(Policy, PolicyVersion, Actions), AppError> {
    let policy = state
        .store
        .policy(PolicyId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let version = state
        .store
        .version(policy.id, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = policy.place(Some(&version.info));
    authorize::<ViewPolicy>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    let manage = authorize::<ManagePolicies>(&user.actor, &policy.org_id).is_ok();
    let state_of = version.info.state;
    let acknowledged_at = state
        .store
        .acknowledged_at(user.actor.person_id, policy.id, number)
        .await?;
    let actions = Actions {
        edit: manage && state_of.allows(Step::Edit),
        submit: manage && state_of.allows(Step::Submit),
        return_to_draft: manage && state_of.allows(Step::Return),
        approve: state_of.allows(Step::Approve)
            && authorize::<ApprovePolicy>(&user.actor, &place).is_ok(),
        acknowledge: acknowledged_at.is_none()
            && authorize::<AcknowledgePolicy>(&user.actor, &place).is_ok(),
        acknowledged_at,
        view_acknowledgements: matches!(
            state_of,
            VersionState::Effective | VersionState::Superseded
        ) && acknowledgement_units(user, &policy).is_some(),
    };
    Ok((policy, version, actions))
}

/// A step on a version: `submit`, `return` or `approve` (with its 施行日, today when empty).
pub async fn step(
    state: &AppState,
    user: &User,
    id: i64,
    number: i64,
    step: &str,
    effective_from: &str,
) -> Result<VersionInfo, AppError> {
    let step = Step::parse(step)
        .ok_or_else(|| AppError::invalid(FieldError::new("step", FieldErrorKind::UnknownValue)))?;
    let (policy, version, _) = self::version(state, user, id, number).await?;
    let origin = user.ctx.origin();
    match step {
        Step::Approve => {
            let grant =
                authorize::<ApprovePolicy>(&user.actor, &policy.place(Some(&version.info)))?;
            let today = state.today();
            let from = effective_date(effective_from, &version.text, today)?;
            let approved = state
                .store
                .approve_version(&grant, policy.id, number, from, &origin)
                .await?;
            Ok(approved)
        }
        Step::Submit | Step::Return | Step::Edit => {
            let grant = authorize::<ManagePolicies>(&user.actor, &policy.org_id)?;
            Ok(state
                .store
                .step_version(&grant, policy.id, number, step, &origin)
                .await?)
        }
    }
}

/// The 施行日 typed (`YYYY-MM-DD`), else the newest 附則's date, else today in Japan.
fn effective_date(raw: &str, text: &PolicyText, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let raw = raw.trim();
    if !raw.is_empty() {
        return NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
            AppError::invalid(FieldError::new(
                "effective_from",
                FieldErrorKind::InvalidFormat,
            ))
        });
    }
    Ok(suggested_date(text).unwrap_or(today))
}

/// The date of the newest 附則 that has one.
pub fn suggested_date(text: &PolicyText) -> Option<NaiveDate> {
    text.supplementary
        .iter()
        .filter_map(|s| s.effective_from)
        .max()
        .and_then(|d| {
            let (y, m, day) = d.ymd();
            NaiveDate::from_ymd_opt(y, m, day)
        })
}

/// The viewer confirms they have read the version in force.
pub async fn acknowledge(
    state: &AppState,
    user: &User,
    id: i64,
    number: i64,
) -> Result<i64, AppError> {
    let (policy, version, _) = self::version(state, user, id, number).await?;
    let grant = authorize::<AcknowledgePolicy>(&user.actor, &policy.place(Some(&version.info)))?;
    Ok(state
        .store
        .acknowledge(&grant, policy.id, number, &user.ctx.origin())
        .await?)
}

/// Which units' confirmations the viewer may see: `Some(None)` every unit, `Some(Some(units))`
/// the units they manage, `None` none.
fn acknowledgement_units(user: &User, policy: &Policy) -> Option<Option<Vec<UnitId>>> {
    if authorize::<ViewAcknowledgements>(&user.actor, &(policy.org_id, None)).is_ok() {
        return Some(None);
    }
    let managed: Vec<UnitId> = user
        .actor
        .roles
        .iter()
        .filter_map(|(_, scope)| match scope {
            mamori_core::Scope::Unit(unit) => Some(*unit),
            _ => None,
        })
        .filter(|unit| {
            authorize::<ViewAcknowledgements>(&user.actor, &(policy.org_id, Some(*unit))).is_ok()
        })
        .collect();
    (!managed.is_empty()).then_some(Some(managed))
}

/// One unit's progress, with the people who have not confirmed yet.
pub struct UnitAcknowledgements {
    pub progress: AckProgress,
    pub pending: Vec<(PersonId, String)>,
}

/// Confirmations of a version per unit: every unit for the administrators, the organisation's
/// 責任者 and the auditors; a unit's 管理者 sees their own units.
pub async fn acknowledgements(
    state: &AppState,
    user: &User,
    id: i64,
    number: i64,
) -> Result<(Policy, VersionInfo, Vec<UnitAcknowledgements>), AppError> {
    let (policy, version, _) = self::version(state, user, id, number).await?;
    let units = acknowledgement_units(user, &policy).ok_or(AppError::Forbidden)?;
    let target = (
        policy.org_id,
        units.as_ref().and_then(|u| u.first().copied()),
    );
    let grant = authorize::<ViewAcknowledgements>(&user.actor, &target)?;
    let mut out = Vec::new();
    for progress in state
        .store
        .acknowledgement_progress(&grant, policy.id, number)
        .await?
    {
        let shown = match &units {
            None => true,
            Some(units) => progress.unit_id.is_some_and(|u| units.contains(&u)),
        };
        if !shown {
            continue;
        }
        let pending = state
            .store
            .unacknowledged(&grant, policy.id, number, progress.unit_id)
            .await?;
        out.push(UnitAcknowledgements { progress, pending });
    }
    Ok((policy, version.info, out))
}

/// The two versions a comparison names.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// The older version's number.
    #[serde(default)]
    pub from: String,
    /// The newer version's number.
    #[serde(default)]
    pub to: String,
}

/// The two version numbers of a comparison; a number that cannot be read names nothing.
pub fn compare_numbers(query: &CompareQuery) -> Result<(i64, i64), AppError> {
    let number = |raw: &str| raw.trim().parse::<i64>().map_err(|_| AppError::NotFound);
    Ok((number(&query.from)?, number(&query.to)?))
}

/// The clause-by-clause difference between two versions the viewer may read.
pub async fn compare(
    state: &AppState,
    user: &User,
    id: i64,
    from: i64,
    to: i64,
) -> Result<(Policy, VersionInfo, VersionInfo, Vec<ClauseDiff>), AppError> {
    let (policy, old, _) = version(state, user, id, from).await?;
    let (_, new, _) = version(state, user, id, to).await?;
    let changes = diff(&old.text, &new.text);
    Ok((policy, old.info, new.info, changes))
}

/// The basic policy in force of each organisation, as published without login (seed §12: the
/// 対策基準 and 実施手順 are never among them).
pub async fn published(state: &AppState) -> Result<Vec<(Policy, PolicyVersion)>, AppError> {
    let mut out = Vec::new();
    for policy in state.store.policies().await? {
        let (Some(number), true) = (policy.effective, policy.tier.is_public()) else {
            continue;
        };
        if let Some(version) = state.store.version(policy.id, number).await? {
            out.push((policy, version));
        }
    }
    Ok(out)
}

/// The organisations a new document may be made for by the viewer, for the import form.
pub async fn import_choices(
    state: &AppState,
    user: &User,
) -> Result<Vec<mamori_core::org::Organisation>, AppError> {
    let Ok(grant) = authorize::<mamori_core::authz::ViewDirectory>(&user.actor, &()) else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .list_organisations(&grant)
        .await?
        .into_iter()
        .filter(|o| authorize::<ManagePolicies>(&user.actor, &o.id).is_ok())
        .collect())
}

/// The 見直し that led to a version, for a viewer who may read reviews (nothing otherwise).
pub async fn reviews_behind(
    state: &AppState,
    user: &User,
    policy: i64,
    number: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    if mamori_core::authz::authorize::<mamori_core::authz::ViewReviews>(&user.actor, &()).is_err() {
        return Ok(Vec::new());
    }
    Ok(state
        .store
        .reviews_of_version(policy, number)
        .await?
        .into_iter()
        .map(|(id, title)| (id.0, title))
        .collect())
}
