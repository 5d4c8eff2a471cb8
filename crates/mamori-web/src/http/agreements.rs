//! What contracts (`contractor`) and 指定管理 agreements (`designated`) share, since they are one
//! model in core and in the store: an agreement's fields checked, its flags, the operations on
//! an agreement of either kind (list, read, register or change, verify a requirement), its JSON,
//! and what the shared templates (`agreement_form.html`, `agreement_checklist.html`) show. Each
//! feature's `ops` calls these with its kind.

use std::collections::HashMap;

use mamori_core::authz::{
    ManageThirdParties, VerifyAgreement, ViewAgreement, ViewThirdParties, authorize,
};
use mamori_core::text::{Name, parse_note};
use mamori_core::third_party::{
    AgreementKind, Flags, REQUIREMENTS, flags, parse_period, parse_requirements, parse_verification,
};
use mamori_core::time::{format_jst, rfc3339_jst};
use mamori_core::{FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_store::{Agreement, AgreementId, AgreementInput, ContractorId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::{AppError, AppState, User, parse_opt_id};

/// An agreement with what it is flagged for today.
pub struct Flagged {
    pub agreement: Agreement,
    pub flags: Flags,
}

pub fn flag(state: &AppState, agreement: Agreement) -> Flagged {
    Flagged {
        flags: flags(
            agreement.period,
            &agreement.requirements,
            &agreement.checks(),
            &state.config.agreement_rules,
            state.today(),
        ),
        agreement,
    }
}

/// An agreement as typed or sent. For a contract: its contractor, title, people and documents;
/// for a 指定管理 agreement: its facility (`title`) and managing body.
#[derive(Debug, Default)]
pub struct AgreementDraft {
    pub contractor: Option<i64>,
    pub managing_body: String,
    pub title: String,
    pub description: String,
    pub unit: Option<i64>,
    pub starts_on: String,
    pub ends_on: String,
    pub assets: Vec<i64>,
    pub classes: Vec<String>,
    pub requirements: Vec<String>,
    pub people: Vec<i64>,
    pub policies: Vec<i64>,
}

/// Checks an agreement's fields: its text by core, its classes against the confidentiality
/// scale; every refused field is named at once. What it names is checked again by the store.
async fn new_agreement(
    state: &AppState,
    kind: AgreementKind,
    draft: AgreementDraft,
) -> Result<AgreementInput, AppError> {
    let mut errors = Vec::new();
    let contract = kind == AgreementKind::Contract;
    let title_field = if contract { "title" } else { "facility" };
    let title = Name::parse(title_field, &draft.title)
        .map_err(|e| errors.push(e))
        .ok();
    let managing_body = if contract {
        if !draft.managing_body.trim().is_empty() {
            errors.push(FieldError::new("managing_body", FieldErrorKind::NotAllowed));
        }
        Some(String::new())
    } else {
        Name::parse("managing_body", &draft.managing_body)
            .map(String::from)
            .map_err(|e| errors.push(e))
            .ok()
    };
    let contractor = match (contract, draft.contractor) {
        (true, None) => {
            errors.push(FieldError::new("contractor", FieldErrorKind::Required));
            None
        }
        (true, Some(id)) if id <= 0 => {
            errors.push(FieldError::new("contractor", FieldErrorKind::InvalidFormat));
            None
        }
        (false, Some(_)) => {
            errors.push(FieldError::new("contractor", FieldErrorKind::NotAllowed));
            None
        }
        (_, id) => id.map(ContractorId),
    };
    if !contract && !draft.people.is_empty() {
        errors.push(FieldError::new("people", FieldErrorKind::NotAllowed));
    }
    if !contract && !draft.policies.is_empty() {
        errors.push(FieldError::new("policies", FieldErrorKind::NotAllowed));
    }
    let description = parse_note("description", &draft.description)
        .map_err(|e| errors.push(e))
        .ok();
    let unit = match draft.unit {
        Some(id) if id > 0 => Some(UnitId(id)),
        Some(_) => {
            errors.push(FieldError::new("unit", FieldErrorKind::InvalidFormat));
            None
        }
        None => {
            errors.push(FieldError::new("unit", FieldErrorKind::Required));
            None
        }
    };
    let period = parse_period(&draft.starts_on, &draft.ends_on)
        .map_err(|e| errors.extend(e))
        .ok();
    let requirements = parse_requirements(&draft.requirements)
        .map_err(|e| errors.push(e))
        .ok();
    let scale = state.store.scales().await?.confidentiality;
    let mut classes: Vec<String> = draft.classes.iter().map(|c| c.trim().to_owned()).collect();
    if classes.iter().any(|c| scale.level(c).is_none()) {
        errors.push(FieldError::new("classes", FieldErrorKind::UnknownValue));
    }
    classes.sort();
    classes.dedup();
    for (field, ids) in [
        ("assets", &draft.assets),
        ("people", &draft.people),
        ("policies", &draft.policies),
    ] {
        if ids.iter().any(|id| *id <= 0) {
            errors.push(FieldError::new(field, FieldErrorKind::InvalidFormat));
        }
    }
    match (
        title,
        managing_body,
        description,
        unit,
        period,
        requirements,
    ) {
        (
            Some(title),
            Some(managing_body),
            Some(description),
            Some(unit),
            Some(period),
            Some(requirements),
        ) if errors.is_empty() => Ok(AgreementInput {
            kind,
            contractor,
            managing_body,
            title: title.into(),
            description,
            unit,
            period,
            assets: draft.assets,
            classes,
            requirements,
            people: draft.people.into_iter().map(PersonId).collect(),
            policies: draft.policies,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The agreements of a kind that the viewer may see, ending soonest first.
pub async fn list(
    state: &AppState,
    user: &User,
    kind: AgreementKind,
) -> Result<Vec<Flagged>, AppError> {
    authorize::<ViewThirdParties>(&user.actor, &())?;
    Ok(state
        .store
        .agreements(kind)
        .await?
        .into_iter()
        .filter(|a| authorize::<ViewAgreement>(&user.actor, &a.place()).is_ok())
        .map(|a| flag(state, a))
        .collect())
}

/// One agreement of a kind; 404 for one the viewer may not see (or of the other kind).
pub async fn one(
    state: &AppState,
    user: &User,
    kind: AgreementKind,
    id: i64,
) -> Result<Flagged, AppError> {
    let agreement = state
        .store
        .agreement(AgreementId(id))
        .await?
        .filter(|a| a.kind == kind)
        .ok_or(AppError::NotFound)?;
    authorize::<ViewAgreement>(&user.actor, &agreement.place()).map_err(|_| AppError::NotFound)?;
    Ok(flag(state, agreement))
}

/// Registers an agreement of a kind (`id` none) or replaces what one says: the administrators.
pub async fn save(
    state: &AppState,
    user: &User,
    kind: AgreementKind,
    id: Option<i64>,
    draft: AgreementDraft,
) -> Result<Flagged, AppError> {
    let current = match id {
        Some(id) => Some(one(state, user, kind, id).await?),
        None => None,
    };
    let grant = authorize::<ManageThirdParties>(&user.actor, &())?;
    let input = new_agreement(state, kind, draft).await?;
    let origin = user.ctx.origin();
    let stored = match current {
        Some(current) => {
            state
                .store
                .update_agreement(&grant, current.agreement.id, input, &origin)
                .await?
        }
        None => state.store.create_agreement(&grant, input, &origin).await?,
    };
    Ok(flag(state, stored))
}

/// A verification as typed or sent.
#[derive(Debug, Default)]
pub struct VerificationDraft {
    pub requirement: String,
    pub outcome: String,
    pub checked_on: String,
    pub note: String,
    pub link: String,
}

/// Records a check of a requirement the agreement carries: its unit's 管理者, its
/// organisation's 責任者 and the administrators.
pub async fn verify(
    state: &AppState,
    user: &User,
    kind: AgreementKind,
    id: i64,
    draft: VerificationDraft,
) -> Result<Flagged, AppError> {
    let current = one(state, user, kind, id).await?;
    let grant = authorize::<VerifyAgreement>(&user.actor, &current.agreement.place())?;
    let text = parse_verification(
        &draft.requirement,
        &draft.outcome,
        &draft.checked_on,
        &draft.note,
        &draft.link,
        state.today(),
    )
    .map_err(AppError::Invalid)?;
    let stored = state
        .store
        .record_verification(&grant, current.agreement.id, text, &user.ctx.origin())
        .await?;
    Ok(flag(state, stored))
}

/// The ids ticked in a form (`{prefix}{id}` fields), and any typed in one field as a list.
pub fn ticked_ids(
    field: &'static str,
    prefix: &str,
    typed: &str,
    rest: &HashMap<String, String>,
) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for raw in mamori_core::text::list_items(typed)
        .chain(rest.keys().filter_map(|k| k.strip_prefix(prefix)))
    {
        ids.push(parse_opt_id(field, raw)?.unwrap_or_default());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The codes ticked in a form (`{prefix}{code}` fields).
pub fn ticked_codes(prefix: &str, rest: &HashMap<String, String>) -> Vec<String> {
    let mut codes: Vec<String> = rest
        .keys()
        .filter_map(|k| k.strip_prefix(prefix))
        .map(str::to_owned)
        .collect();
    codes.sort();
    codes
}

/// What the shared templates show of an agreement: its checklist with each requirement's last
/// check, its flags, and the verifications.
pub struct Checklist {
    /// Where the verification form posts (`/contracts/{id}/verifications` …).
    pub action: String,
    /// Every requirement of core's checklist, whether the agreement carries it and its last
    /// check.
    pub items: Vec<ChecklistItem>,
    pub verifications: Vec<VerificationRow>,
    pub ending_soon: bool,
    pub ended: bool,
    pub unverified: bool,
    pub missing: bool,
    pub can_verify: bool,
    pub today: String,
}

pub struct ChecklistItem {
    pub code: &'static str,
    pub key: String,
    pub carried: bool,
    pub last_day: String,
    pub last_outcome: &'static str,
    pub missing: bool,
}

pub struct VerificationRow {
    pub requirement: String,
    pub outcome: &'static str,
    pub outcome_code: &'static str,
    pub checked_on: String,
    pub note: String,
    pub link: String,
    pub by: String,
}

pub fn checklist(state: &AppState, user: &User, f: &Flagged, action: String) -> Checklist {
    let a = &f.agreement;
    let items = REQUIREMENTS
        .iter()
        .map(|r| {
            let last = a
                .verifications
                .iter()
                .filter(|v| v.requirement == r.code)
                .max_by_key(|v| (v.checked_on, v.id));
            ChecklistItem {
                code: r.code,
                key: r.key(),
                carried: a.requirements.iter().any(|c| c == r.code),
                last_day: last.map(|v| v.checked_on.to_string()).unwrap_or_default(),
                last_outcome: last.map_or("", |v| v.outcome.key()),
                missing: f.flags.missing.iter().any(|m| m == r.code),
            }
        })
        .collect();
    let verifications = a
        .verifications
        .iter()
        .rev()
        .map(|v| VerificationRow {
            requirement: format!("requirement.{}", v.requirement),
            outcome: v.outcome.key(),
            outcome_code: v.outcome.as_str(),
            checked_on: v.checked_on.to_string(),
            note: v.note.clone(),
            link: v.link.clone(),
            by: format!(
                "{} {}",
                v.by_name.clone().unwrap_or_default(),
                format_jst(v.at_ms)
            ),
        })
        .collect();
    Checklist {
        action,
        items,
        verifications,
        ending_soon: f.flags.ending_soon,
        ended: f.flags.ended,
        unverified: f.flags.unverified,
        missing: !f.flags.missing.is_empty(),
        can_verify: authorize::<VerifyAgreement>(&user.actor, &a.place()).is_ok(),
        today: state.today().to_string(),
    }
}

/// The choices of the shared agreement form, with what the agreement being edited has ticked.
pub struct FormChoices {
    pub units: Vec<(i64, String, bool)>,
    pub assets: Vec<(i64, String, bool)>,
    pub classes: Vec<(String, String, bool)>,
    pub requirements: Vec<(&'static str, String, bool, bool)>,
    pub contractors: Vec<(i64, String, bool)>,
    pub people: Vec<(i64, String, bool)>,
    pub policies: Vec<(i64, String, bool)>,
}

/// The form's choices: every unit, asset in use, confidentiality level and requirement (the
/// mandatory ones marked); for contracts also the contractors, the people with the contractor
/// role and the 対策基準 and 実施手順.
pub async fn form_choices(
    state: &AppState,
    kind: AgreementKind,
    current: Option<&Agreement>,
) -> Result<FormChoices, AppError> {
    let choices = state.store.agreement_choices().await?;
    let units = state
        .store
        .unit_assets()
        .await?
        .into_iter()
        .map(|u| (u.unit.0, u.name, current.is_some_and(|a| a.unit == u.unit)))
        .collect();
    let assets = choices
        .assets
        .into_iter()
        .map(|x| {
            let ticked = current.is_some_and(|a| a.assets.iter().any(|y| y.id == x.id));
            (x.id, format!("{} ({})", x.name, x.class), ticked)
        })
        .collect();
    let classes = state
        .store
        .scales()
        .await?
        .confidentiality
        .levels
        .into_iter()
        .map(|l| {
            let ticked = current.is_some_and(|a| a.classes.contains(&l.code));
            (l.code, l.name, ticked)
        })
        .collect();
    let mandatory = &state.config.agreement_rules.mandatory;
    let requirements = REQUIREMENTS
        .iter()
        .map(|r| {
            let ticked = current.map_or(mandatory.iter().any(|m| m == r.code), |a| {
                a.requirements.iter().any(|c| c == r.code)
            });
            (
                r.code,
                r.key(),
                ticked,
                mandatory.iter().any(|m| m == r.code),
            )
        })
        .collect();
    let contract = kind == AgreementKind::Contract;
    let contractors = if contract {
        state
            .store
            .contractors()
            .await?
            .into_iter()
            .map(|c| {
                let ticked = current.is_some_and(|a| a.contractor == Some(c.id));
                (c.id.0, c.input.name, ticked)
            })
            .collect()
    } else {
        Vec::new()
    };
    let people = if contract {
        choices
            .contractor_people
            .into_iter()
            .map(|(p, name)| {
                let ticked = current.is_some_and(|a| a.people.iter().any(|(q, _)| *q == p));
                (p.0, name, ticked)
            })
            .collect()
    } else {
        Vec::new()
    };
    let policies = if contract {
        state
            .store
            .policies()
            .await?
            .into_iter()
            .filter(|p| p.tier != mamori_core::policy::Tier::Basic)
            .map(|p| {
                let ticked = current.is_some_and(|a| a.policies.iter().any(|q| q.id == p.id.0));
                (p.id.0, p.title, ticked)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(FormChoices {
        units,
        assets,
        classes,
        requirements,
        contractors,
        people,
        policies,
    })
}

/// The JSON both kinds answer with and take.
pub mod json {
    use super::*;

    /// A check of one requirement.
    #[derive(Serialize, ToSchema)]
    pub struct Verification {
        pub id: i64,
        /// A requirement code (see `requirements` of the agreement).
        pub requirement: String,
        /// `met`, `partly` or `not_met`.
        pub outcome: String,
        /// `YYYY-MM-DD`.
        pub checked_on: String,
        pub note: String,
        pub link: String,
        pub checked_by: Option<String>,
        pub recorded_at: String,
    }

    /// An asset the agreement covers.
    #[derive(Serialize, ToSchema)]
    pub struct CoveredAsset {
        pub id: i64,
        pub name: String,
        /// The asset's class as `機密性-完全性-可用性` codes, e.g. `3-2-2`.
        pub class: String,
    }

    /// What the agreement is flagged for today.
    #[derive(Serialize, ToSchema)]
    pub struct AgreementFlags {
        /// Ends within the set days (60 by default).
        pub ending_soon: bool,
        /// Its last day is past.
        pub ended: bool,
        /// In force, with a requirement unchecked longer than the set days (180 by default,
        /// counted from the start or the requirement's last check).
        pub unverified: bool,
        /// Mandatory requirement codes it does not carry.
        pub missing_requirements: Vec<String>,
    }

    /// A contract (業務委託契約) or a 指定管理 agreement.
    #[derive(Serialize, ToSchema)]
    pub struct Agreement {
        pub id: i64,
        /// `contract` or `designated`.
        pub kind: String,
        /// The contractor (contracts).
        pub contractor_id: Option<i64>,
        pub contractor_name: Option<String>,
        /// The 指定管理者 (designated-manager agreements).
        pub managing_body: String,
        /// A contract's title, or the facility of a 指定管理 agreement.
        pub title: String,
        pub description: String,
        pub unit_id: i64,
        pub unit_name: String,
        /// `YYYY-MM-DD`, both days included.
        pub starts_on: String,
        pub ends_on: String,
        pub assets: Vec<CoveredAsset>,
        /// Confidentiality level codes of the information handled.
        pub classes: Vec<String>,
        /// Codes of the requirements carried: `subcontracting`, `confidentiality`,
        /// `incident_reporting`, `audit_rights`, `return_disposal`, `personnel`, `training`,
        /// `work_location`, `purpose_limitation`, `security_reporting`.
        pub requirements: Vec<String>,
        /// Person ids of the contractor's people it lists (contracts).
        pub people: Vec<i64>,
        /// Ids of the 対策基準 and 実施手順 it names (contracts).
        pub policies: Vec<i64>,
        pub flags: AgreementFlags,
        pub verifications: Vec<Verification>,
        pub updated_at: String,
    }

    /// A contract or agreement to register, or what one now says.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AgreementBody {
        /// Required for a contract; refused for a 指定管理 agreement.
        pub contractor_id: Option<i64>,
        /// Required for a 指定管理 agreement; refused for a contract.
        #[serde(default)]
        pub managing_body: String,
        /// A contract's title, or the facility of a 指定管理 agreement.
        pub title: String,
        #[serde(default)]
        pub description: String,
        pub unit_id: Option<i64>,
        pub starts_on: String,
        pub ends_on: String,
        #[serde(default)]
        pub assets: Vec<i64>,
        #[serde(default)]
        pub classes: Vec<String>,
        #[serde(default)]
        pub requirements: Vec<String>,
        #[serde(default)]
        pub people: Vec<i64>,
        #[serde(default)]
        pub policies: Vec<i64>,
    }

    /// A check of one requirement the agreement carries.
    #[derive(Deserialize, ToSchema)]
    #[serde(deny_unknown_fields)]
    pub struct VerificationBody {
        pub requirement: String,
        /// `met`, `partly` or `not_met`.
        pub outcome: String,
        /// `YYYY-MM-DD`, not in the future.
        pub checked_on: String,
        /// The evidence: a note, a link (`http(s)://` or `\\server\share`), or both.
        #[serde(default)]
        pub note: String,
        #[serde(default)]
        pub link: String,
    }

    impl From<AgreementBody> for AgreementDraft {
        fn from(body: AgreementBody) -> Self {
            AgreementDraft {
                contractor: body.contractor_id,
                managing_body: body.managing_body,
                title: body.title,
                description: body.description,
                unit: body.unit_id,
                starts_on: body.starts_on,
                ends_on: body.ends_on,
                assets: body.assets,
                classes: body.classes,
                requirements: body.requirements,
                people: body.people,
                policies: body.policies,
            }
        }
    }

    impl From<VerificationBody> for VerificationDraft {
        fn from(body: VerificationBody) -> Self {
            VerificationDraft {
                requirement: body.requirement,
                outcome: body.outcome,
                checked_on: body.checked_on,
                note: body.note,
                link: body.link,
            }
        }
    }

    pub fn agreement(f: &Flagged) -> Agreement {
        let a = &f.agreement;
        Agreement {
            id: a.id.0,
            kind: a.kind.as_str().to_owned(),
            contractor_id: a.contractor.map(|c| c.0),
            contractor_name: a.contractor_name.clone(),
            managing_body: a.managing_body.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            unit_id: a.unit.0,
            unit_name: a.unit_name.clone(),
            starts_on: a.period.starts_on.to_string(),
            ends_on: a.period.ends_on.to_string(),
            assets: a
                .assets
                .iter()
                .map(|x| CoveredAsset {
                    id: x.id,
                    name: x.name.clone(),
                    class: x.class.clone(),
                })
                .collect(),
            classes: a.classes.clone(),
            requirements: a.requirements.clone(),
            people: a.people.iter().map(|(p, _)| p.0).collect(),
            policies: a.policies.iter().map(|p| p.id).collect(),
            flags: AgreementFlags {
                ending_soon: f.flags.ending_soon,
                ended: f.flags.ended,
                unverified: f.flags.unverified,
                missing_requirements: f.flags.missing.clone(),
            },
            verifications: a
                .verifications
                .iter()
                .map(|v| Verification {
                    id: v.id,
                    requirement: v.requirement.clone(),
                    outcome: v.outcome.as_str().to_owned(),
                    checked_on: v.checked_on.to_string(),
                    note: v.note.clone(),
                    link: v.link.clone(),
                    checked_by: v.by_name.clone(),
                    recorded_at: rfc3339_jst(v.at_ms),
                })
                .collect(),
            updated_at: rfc3339_jst(a.updated_at),
        }
    }
}

/// The pages both kinds share: the list with the form to register one, and one agreement with
/// its checklist, verifications and edit form.
pub mod pages {
    use askama::Template;
    use axum::response::{Html, IntoResponse, Response};
    use mamori_core::authz::{ManageThirdParties, ViewContractors, authorize};
    use mamori_core::third_party::AgreementKind;

    use super::*;
    use crate::http::{Frame, render};

    /// Where a kind's pages live and what they are called.
    pub struct Kind {
        pub kind: AgreementKind,
        /// `/contracts` or `/designated-managers`.
        pub base: &'static str,
        pub list_key: &'static str,
        pub one_key: &'static str,
        pub new_key: &'static str,
    }

    impl Kind {
        fn contract(&self) -> bool {
            self.kind == AgreementKind::Contract
        }
    }

    /// An agreement as typed in the shared form: the boxes ticked are `asset-{id}`,
    /// `class-{code}`, `requirement-{code}`, `person-{id}` and `policy-{id}` fields; asset and
    /// person ids may also be typed in `assets` and `people` (for scripts).
    #[derive(Deserialize)]
    pub struct AgreementForm {
        #[serde(default)]
        contractor: String,
        #[serde(default)]
        managing_body: String,
        #[serde(default)]
        title: String,
        #[serde(default)]
        description: String,
        #[serde(default)]
        unit: String,
        #[serde(default)]
        starts_on: String,
        #[serde(default)]
        ends_on: String,
        #[serde(default)]
        assets: String,
        #[serde(default)]
        people: String,
        #[serde(flatten)]
        rest: HashMap<String, String>,
    }

    impl AgreementForm {
        pub fn draft(self) -> Result<AgreementDraft, AppError> {
            Ok(AgreementDraft {
                contractor: parse_opt_id("contractor", &self.contractor)?,
                unit: parse_opt_id("unit", &self.unit)?,
                assets: ticked_ids("assets", "asset-", &self.assets, &self.rest)?,
                people: ticked_ids("people", "person-", &self.people, &self.rest)?,
                policies: ticked_ids("policies", "policy-", "", &self.rest)?,
                classes: ticked_codes("class-", &self.rest),
                requirements: ticked_codes("requirement-", &self.rest),
                managing_body: self.managing_body,
                title: self.title,
                description: self.description,
                starts_on: self.starts_on,
                ends_on: self.ends_on,
            })
        }
    }

    #[derive(Deserialize)]
    pub struct VerificationForm {
        #[serde(default)]
        requirement: String,
        #[serde(default)]
        outcome: String,
        #[serde(default)]
        checked_on: String,
        #[serde(default)]
        note: String,
        #[serde(default)]
        link: String,
    }

    impl From<VerificationForm> for VerificationDraft {
        fn from(form: VerificationForm) -> Self {
            VerificationDraft {
                requirement: form.requirement,
                outcome: form.outcome,
                checked_on: form.checked_on,
                note: form.note,
                link: form.link,
            }
        }
    }

    pub struct Row {
        pub id: i64,
        pub title: String,
        pub party: String,
        pub unit: String,
        pub starts_on: String,
        pub ends_on: String,
        pub ending_soon: bool,
        pub ended: bool,
        pub unverified: bool,
        pub missing: bool,
    }

    pub fn row(f: &Flagged) -> Row {
        let a = &f.agreement;
        Row {
            id: a.id.0,
            title: a.title.clone(),
            party: a
                .contractor_name
                .clone()
                .unwrap_or_else(|| a.managing_body.clone()),
            unit: a.unit_name.clone(),
            starts_on: a.period.starts_on.to_string(),
            ends_on: a.period.ends_on.to_string(),
            ending_soon: f.flags.ending_soon,
            ended: f.flags.ended,
            unverified: f.flags.unverified,
            missing: !f.flags.missing.is_empty(),
        }
    }

    /// The texts of the form being filled in (empty for a new agreement).
    #[derive(Default)]
    pub struct Values {
        pub title: String,
        pub managing_body: String,
        pub description: String,
        pub starts_on: String,
        pub ends_on: String,
    }

    impl Values {
        fn of(a: &Agreement) -> Self {
            Self {
                title: a.title.clone(),
                managing_body: a.managing_body.clone(),
                description: a.description.clone(),
                starts_on: a.period.starts_on.to_string(),
                ends_on: a.period.ends_on.to_string(),
            }
        }
    }

    #[derive(Template)]
    #[template(path = "agreements.html")]
    struct ListPage {
        frame: Frame,
        base: &'static str,
        contract: bool,
        new_key: &'static str,
        rows: Vec<Row>,
        form: Option<FormChoices>,
        form_action: String,
        values: Values,
        days: u32,
    }

    /// The list of a kind, with the form to register one for the administrators.
    pub async fn list(state: &AppState, user: &User, kind: &Kind) -> Result<Response, AppError> {
        let rows = super::list(state, user, kind.kind)
            .await?
            .iter()
            .map(row)
            .collect();
        let form = if authorize::<ManageThirdParties>(&user.actor, &()).is_ok() {
            Some(form_choices(state, kind.kind, None).await?)
        } else {
            None
        };
        Ok(Html(render(&ListPage {
            frame: Frame::new(user, kind.list_key),
            base: kind.base,
            contract: kind.contract(),
            new_key: kind.new_key,
            rows,
            form,
            form_action: kind.base.to_owned(),
            values: Values::default(),
            days: state.config.agreement_rules.verify_days,
        }))
        .into_response())
    }

    #[derive(Template)]
    #[template(path = "agreement.html")]
    struct OnePage {
        frame: Frame,
        base: &'static str,
        list_key: &'static str,
        contract: bool,
        a: Agreement,
        period_days: u32,
        link_contractor: bool,
        checklist: Checklist,
        form: Option<FormChoices>,
        form_action: String,
        values: Values,
        days: u32,
    }

    /// One agreement of a kind.
    pub async fn one(
        state: &AppState,
        user: &User,
        kind: &Kind,
        id: i64,
    ) -> Result<Response, AppError> {
        let flagged = super::one(state, user, kind.kind, id).await?;
        let form = if authorize::<ManageThirdParties>(&user.actor, &()).is_ok() {
            Some(form_choices(state, kind.kind, Some(&flagged.agreement)).await?)
        } else {
            None
        };
        let checklist = checklist(
            state,
            user,
            &flagged,
            format!("{}/{id}/verifications", kind.base),
        );
        let a = flagged.agreement;
        Ok(Html(render(&OnePage {
            frame: Frame::new(user, kind.one_key),
            base: kind.base,
            list_key: kind.list_key,
            contract: kind.contract(),
            period_days: state.config.agreement_rules.ending_days,
            link_contractor: authorize::<ViewContractors>(&user.actor, &()).is_ok(),
            checklist,
            form,
            form_action: format!("{}/{id}", kind.base),
            values: Values::of(&a),
            a,
            days: state.config.agreement_rules.verify_days,
        }))
        .into_response())
    }
}
