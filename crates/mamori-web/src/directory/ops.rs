//! The directory's operations: each one authorises, validates and stores, here and nowhere
//! else. The pages and the API turn their input into a draft and their result into HTML or
//! JSON; neither decides anything.

use mamori_core::authz::{
    AssignRoles, Granted, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace, RoleChange,
    ViewDirectory, ViewPersonDetail, authorize,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit, parse_code, parse_phone};
use mamori_core::role::{Role, RoleAssignment, Scope, ScopeKind, validate_scope};
use mamori_core::text::{parse_email, parse_note};
use mamori_core::{FieldError, FieldErrorKind, OrgId, PersonId, UnitId};
use mamori_store::{OrganisationInput, PersonInput, UnitInput};

use crate::http::{AppError, AppState, Check, User};

/// 機関 as typed by a person or sent as JSON; `None` keeps what is stored (an API `PATCH`).
#[derive(Debug, Default)]
pub struct OrganisationDraft {
    pub code: Option<String>,
    pub name: Option<String>,
    pub note: Option<String>,
}

/// 部局・課室. `problems` are what the adapter could not read (an id that is not a number), so
/// that every refused field is reported at once.
#[derive(Debug, Default)]
pub struct UnitDraft {
    pub org_id: Option<OrgId>,
    pub parent_id: Option<Option<UnitId>>,
    pub name: Option<String>,
    pub note: Option<String>,
    pub problems: Vec<FieldError>,
}

/// 職員.
#[derive(Debug, Default)]
pub struct PersonDraft {
    pub name: Option<String>,
    pub unit_id: Option<Option<UnitId>>,
    pub title: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<String>,
    pub external: Option<bool>,
    pub problems: Vec<FieldError>,
}

/// A role within its scope, as text: `scope` is `global`, `organisation:ID` or `unit:ID`;
/// `system` names the system of a 情報システム管理者.
#[derive(Debug, Default)]
pub struct RoleDraft {
    pub role: String,
    pub scope: String,
    pub system: String,
}

fn organisation_input(
    draft: OrganisationDraft,
    current: Option<Organisation>,
) -> Result<OrganisationInput, AppError> {
    let (code, name, note) = match current {
        Some(c) => (
            draft.code.unwrap_or(c.code),
            draft.name.unwrap_or_else(|| c.name.into()),
            draft.note.unwrap_or(c.note),
        ),
        None => (
            draft.code.unwrap_or_default(),
            draft.name.unwrap_or_default(),
            draft.note.unwrap_or_default(),
        ),
    };
    let mut check = Check::new();
    let code = check.take(parse_code(&code));
    let name = check.name("name", &name);
    let note = check.take(parse_note("note", &note));
    check.done()?;
    Ok(OrganisationInput {
        code,
        name: name.expect("checked"),
        note,
    })
}

/// One organisation, for those who may see the directory.
pub async fn organisation(
    state: &AppState,
    user: &User,
    id: OrgId,
) -> Result<Organisation, AppError> {
    let view = authorize::<ViewDirectory>(&user.actor, &())?;
    state
        .store
        .organisation(&view, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One unit, for those who may see the directory.
pub async fn unit(state: &AppState, user: &User, id: UnitId) -> Result<Unit, AppError> {
    let view = authorize::<ViewDirectory>(&user.actor, &())?;
    state.store.unit(&view, id).await?.ok_or(AppError::NotFound)
}

pub async fn create_organisation(
    state: &AppState,
    user: &User,
    draft: OrganisationDraft,
) -> Result<Organisation, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let input = organisation_input(draft, None)?;
    Ok(state
        .store
        .create_organisation(&grant, input, &user.ctx.origin())
        .await?)
}

pub async fn update_organisation(
    state: &AppState,
    user: &User,
    id: OrgId,
    draft: OrganisationDraft,
) -> Result<Organisation, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let current = if draft.code.is_none() || draft.name.is_none() || draft.note.is_none() {
        Some(organisation(state, user, id).await?)
    } else {
        None
    };
    let input = organisation_input(draft, current)?;
    Ok(state
        .store
        .update_organisation(&grant, id, input, &user.ctx.origin())
        .await?)
}

fn unit_input(draft: UnitDraft, current: Option<Unit>) -> Result<UnitInput, AppError> {
    let mut check = Check(draft.problems);
    let org = draft.org_id.or(current.as_ref().map(|c| c.org_id));
    if org.is_none() && check.0.iter().all(|e| e.field != "organisation") {
        check
            .0
            .insert(0, FieldError::new("organisation", FieldErrorKind::Required));
    }
    let (parent, name, note) = match current {
        Some(c) => (
            draft.parent_id.unwrap_or(c.parent_id),
            draft.name.unwrap_or_else(|| c.name.into()),
            draft.note.unwrap_or(c.note),
        ),
        None => (
            draft.parent_id.flatten(),
            draft.name.unwrap_or_default(),
            draft.note.unwrap_or_default(),
        ),
    };
    let name = check.name("name", &name);
    let note = check.take(parse_note("note", &note));
    check.done()?;
    Ok(UnitInput {
        org_id: org.expect("checked"),
        parent_id: parent,
        name: name.expect("checked"),
        note,
    })
}

pub async fn create_unit(
    state: &AppState,
    user: &User,
    draft: UnitDraft,
) -> Result<Unit, AppError> {
    let input = unit_input(draft, None)?;
    let grant = authorize::<ManageUnits>(&user.actor, &input.org_id)?;
    Ok(state
        .store
        .create_unit(&grant, input, &user.ctx.origin())
        .await?)
}

/// Changes a unit within its organisation (a unit does not move between organisations).
pub async fn update_unit(
    state: &AppState,
    user: &User,
    id: UnitId,
    mut draft: UnitDraft,
) -> Result<Unit, AppError> {
    let org = state.store.unit_org(id).await?.ok_or(AppError::NotFound)?;
    let grant = authorize::<ManageUnits>(&user.actor, &org)?;
    draft.org_id = Some(org);
    let current = if draft.parent_id.is_none() || draft.name.is_none() || draft.note.is_none() {
        Some(unit(state, user, id).await?)
    } else {
        None
    };
    let input = unit_input(draft, current)?;
    Ok(state
        .store
        .update_unit(&grant, id, input, &user.ctx.origin())
        .await?)
}

fn person_input(draft: PersonDraft, current: Option<Person>) -> Result<PersonInput, AppError> {
    let (name, unit, title, email, phone, external) = match current {
        Some(c) => (
            draft.name.unwrap_or_else(|| c.name.into()),
            draft.unit_id.unwrap_or(c.unit_id),
            draft.title.unwrap_or(c.title),
            draft.email.unwrap_or(c.email),
            draft.phone.unwrap_or(c.phone),
            draft.external.unwrap_or(c.external),
        ),
        None => (
            draft.name.unwrap_or_default(),
            draft.unit_id.flatten(),
            draft.title.unwrap_or_default(),
            draft.email.flatten(),
            draft.phone.unwrap_or_default(),
            draft.external.unwrap_or_default(),
        ),
    };
    let mut check = Check::new();
    let name = check.name("name", &name);
    check.0.extend(draft.problems);
    let title = if title.trim().is_empty() {
        String::new()
    } else {
        check
            .name("title", &title)
            .map(String::from)
            .unwrap_or_default()
    };
    let email = check.take(parse_email("email", email.as_deref().unwrap_or_default()));
    let phone = check.take(parse_phone(&phone));
    check.done()?;
    Ok(PersonInput {
        name: name.expect("checked"),
        unit_id: unit,
        title,
        email,
        phone,
        external,
    })
}

/// Where a person would stand in a unit, for the rules of `ManagePeople`.
async fn place_for_unit(
    state: &AppState,
    person: Option<PersonId>,
    unit: Option<UnitId>,
) -> Result<PersonPlace, AppError> {
    let org = match unit {
        Some(unit) => Some(state.store.unit_org(unit).await?.ok_or_else(|| {
            AppError::invalid(FieldError::new("unit", FieldErrorKind::UnknownValue))
        })?),
        None => None,
    };
    Ok(PersonPlace {
        person_id: person,
        org_id: org,
        unit_id: unit,
    })
}

pub async fn create_person(
    state: &AppState,
    user: &User,
    draft: PersonDraft,
) -> Result<Person, AppError> {
    let input = person_input(draft, None)?;
    let place = place_for_unit(state, None, input.unit_id).await?;
    let grant = authorize::<ManagePeople>(&user.actor, &place)?;
    Ok(state
        .store
        .create_person(&grant, input, &user.ctx.origin())
        .await?)
}

/// The place of a person the actor may see; 404 for one they may not, as if there were none,
/// so that ids cannot be probed.
async fn visible_place(
    state: &AppState,
    user: &User,
    id: PersonId,
) -> Result<PersonPlace, AppError> {
    let place = state
        .store
        .person_place(id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    Ok(place)
}

/// One person in detail, for someone who may see them (the read is written to the audit
/// trail by the store), with their place and the grant that let the actor see them.
pub async fn person(
    state: &AppState,
    user: &User,
    id: PersonId,
) -> Result<(Person, PersonPlace, Granted<ViewPersonDetail>), AppError> {
    let place = visible_place(state, user, id).await?;
    let grant = authorize::<ViewPersonDetail>(&user.actor, &place)?;
    let person = state
        .store
        .person(&grant, id, &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((person, place, grant))
}

/// A person's roles, for someone who may see the person.
pub async fn roles_of(
    state: &AppState,
    user: &User,
    id: PersonId,
) -> Result<Vec<RoleAssignment>, AppError> {
    let place = visible_place(state, user, id).await?;
    let grant = authorize::<ViewPersonDetail>(&user.actor, &place)?;
    Ok(state.store.roles_of(&grant, id).await?)
}

/// Changes a person. Moving a person needs the right both where they are and where they go.
pub async fn update_person(
    state: &AppState,
    user: &User,
    id: PersonId,
    draft: PersonDraft,
) -> Result<Person, AppError> {
    let before = visible_place(state, user, id).await?;
    authorize::<ManagePeople>(&user.actor, &before)?;
    let partial = draft.name.is_none()
        || draft.unit_id.is_none()
        || draft.title.is_none()
        || draft.email.is_none()
        || draft.phone.is_none()
        || draft.external.is_none();
    let current = if partial {
        let view = authorize::<ViewPersonDetail>(&user.actor, &before)?;
        Some(
            state
                .store
                .person(&view, id, &user.ctx.origin())
                .await?
                .ok_or(AppError::NotFound)?,
        )
    } else {
        None
    };
    let input = person_input(draft, current)?;
    let after = place_for_unit(state, Some(id), input.unit_id).await?;
    let grant = authorize::<ManagePeople>(&user.actor, &after)?;
    Ok(state
        .store
        .update_person(&grant, id, input, &user.ctx.origin())
        .await?)
}

/// Reads a role and its scope.
fn role_scope(draft: &RoleDraft) -> Result<(Role, Scope), AppError> {
    let role = Role::parse(&draft.role)?;
    let scope = if role.scope_kind() == ScopeKind::System {
        Scope::from_parts("system", Some(&draft.system))?
    } else {
        let scope = draft.scope.trim();
        let (kind, id) = match scope.split_once(':') {
            Some((k, i)) => (k, Some(i)),
            None => (scope, None),
        };
        Scope::from_parts(kind, id)?
    };
    validate_scope(role, &scope)?;
    Ok((role, scope))
}

/// The organisation a scope lies in, for the rule that officers stay within their own.
async fn scope_org(state: &AppState, scope: &Scope) -> Result<Option<OrgId>, AppError> {
    Ok(match scope {
        Scope::Organisation(org) => Some(*org),
        Scope::Unit(unit) => Some(state.store.unit_org(*unit).await?.ok_or_else(|| {
            AppError::invalid(FieldError::new("scope", FieldErrorKind::UnknownValue))
        })?),
        Scope::Global | Scope::System(_) => None,
    })
}

/// Gives a person a role: 404 when the actor may not see the person, then the rules of
/// `AssignRoles`.
pub async fn give_role(
    state: &AppState,
    user: &User,
    person: PersonId,
    draft: &RoleDraft,
) -> Result<RoleAssignment, AppError> {
    let place = visible_place(state, user, person).await?;
    let (role, scope) = role_scope(draft)?;
    let change = RoleChange {
        person: place,
        role,
        scope_org: scope_org(state, &scope).await?,
        scope: scope.clone(),
    };
    let grant = authorize::<AssignRoles>(&user.actor, &change)?;
    Ok(state
        .store
        .assign_role(&grant, person, role, scope, &user.ctx.origin())
        .await?)
}

/// Takes a role away under the same rules as giving it; returns what was taken.
pub async fn take_role(
    state: &AppState,
    user: &User,
    id: AssignmentId,
) -> Result<RoleAssignment, AppError> {
    let assignment = state
        .store
        .assignment(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = visible_place(state, user, assignment.person_id).await?;
    let change = RoleChange {
        person: place,
        role: assignment.role,
        scope_org: scope_org(state, &assignment.scope).await?,
        scope: assignment.scope.clone(),
    };
    let grant = authorize::<AssignRoles>(&user.actor, &change)?;
    state
        .store
        .revoke_role(&grant, id, &user.ctx.origin())
        .await?;
    Ok(assignment)
}
