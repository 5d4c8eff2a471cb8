//! HTML pages of the directory: the home page, organisations (機関), units (部局・課室), people
//! and their roles.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{
    AssignRoles, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace, RoleChange,
    ViewDirectory, ViewPersonDetail, authorize,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit, parse_code, parse_phone};
use mamori_core::role::{Role, RoleAssignment, Scope, ScopeKind, validate_scope};
use mamori_core::text::{parse_email, parse_note};
use mamori_core::{FieldError, FieldErrorKind, OrgId, PersonId, UnitId};
use mamori_store::{OrganisationInput, PeopleFilter, PersonInput, PersonSummary, UnitInput};
use serde::Deserialize;

use crate::http::{AppError, AppState, Check, Form, Frame, Id, User, parse_opt_id, render};

// ---------------------------------------------------------------------------------------------
// Home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    organisations: Vec<Organisation>,
    people_total: i64,
}

pub async fn home(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let (organisations, people_total) = match authorize::<ViewDirectory>(&user.actor, &()) {
        Ok(grant) => {
            let orgs = state.store.list_organisations(&grant).await?;
            let (_, total) = state
                .store
                .list_people(
                    &grant,
                    &PeopleFilter {
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await?;
            (orgs, total)
        }
        Err(_) => (Vec::new(), 0),
    };
    Ok(Html(render(&HomePage {
        frame: Frame::new(&user, "home.title"),
        organisations,
        people_total,
    }))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Organisations and units

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    frame: Frame,
    organisations: Vec<(Organisation, Vec<Unit>)>,
    can_manage: bool,
}

pub async fn organisations(
    State(state): State<AppState>,
    user: User,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let orgs = state.store.list_organisations(&grant).await?;
    let units = state.store.list_units(&grant, None).await?;
    let organisations = orgs
        .into_iter()
        .map(|o| {
            let mine = units.iter().filter(|u| u.org_id == o.id).cloned().collect();
            (o, mine)
        })
        .collect();
    Ok(Html(render(&OrganisationsPage {
        frame: Frame::new(&user, "org.title"),
        organisations,
        can_manage: authorize::<ManageOrganisations>(&user.actor, &()).is_ok(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct OrganisationForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub note: String,
}

pub fn organisation_input(form: &OrganisationForm) -> Result<OrganisationInput, AppError> {
    let mut check = Check::new();
    let code = check.take(parse_code(&form.code));
    let name = check.name("name", &form.name);
    let note = check.take(parse_note("note", &form.note));
    check.done()?;
    Ok(OrganisationInput {
        code,
        name: name.expect("checked"),
        note,
    })
}

pub async fn create_organisation(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<OrganisationForm>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let input = organisation_input(&form)?;
    let org = state
        .store
        .create_organisation(&grant, input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/organisations/{}", org.id)).into_response())
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    frame: Frame,
    org: Organisation,
    units: Vec<Unit>,
    can_edit: bool,
    can_add_unit: bool,
}

pub async fn organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let org = state
        .store
        .organisation(&grant, OrgId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let units = state.store.list_units(&grant, Some(org.id)).await?;
    Ok(Html(render(&OrganisationPage {
        frame: Frame::new(&user, "org.title"),
        can_edit: authorize::<ManageOrganisations>(&user.actor, &()).is_ok(),
        can_add_unit: authorize::<ManageUnits>(&user.actor, &org.id).is_ok(),
        org,
        units,
    }))
    .into_response())
}

pub async fn update_organisation(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<OrganisationForm>,
) -> Result<Response, AppError> {
    let grant = authorize::<ManageOrganisations>(&user.actor, &())?;
    let input = organisation_input(&form)?;
    state
        .store
        .update_organisation(&grant, OrgId(id), input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/organisations/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct UnitForm {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub note: String,
}

pub fn unit_input(form: &UnitForm) -> Result<UnitInput, AppError> {
    let mut check = Check::new();
    let org = check.take(parse_opt_id("organisation", &form.org_id));
    if org.is_none() && check.0.is_empty() {
        check
            .0
            .push(FieldError::new("organisation", FieldErrorKind::Required));
    }
    let parent = check.take(parse_opt_id("parent", &form.parent_id));
    let name = check.name("name", &form.name);
    let note = check.take(parse_note("note", &form.note));
    check.done()?;
    Ok(UnitInput {
        org_id: OrgId(org.expect("checked")),
        parent_id: parent.map(UnitId),
        name: name.expect("checked"),
        note,
    })
}

pub async fn create_unit(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<UnitForm>,
) -> Result<Response, AppError> {
    let input = unit_input(&form)?;
    let grant = authorize::<ManageUnits>(&user.actor, &input.org_id)?;
    let unit = state
        .store
        .create_unit(&grant, input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/units/{}", unit.id)).into_response())
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    frame: Frame,
    unit: Unit,
    org: Organisation,
    siblings: Vec<Unit>,
    members: Vec<PersonSummary>,
    can_edit: bool,
    can_add_person: bool,
}

pub async fn unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let unit = state
        .store
        .unit(&grant, UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let org = state
        .store
        .organisation(&grant, unit.org_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let siblings = state
        .store
        .list_units(&grant, Some(unit.org_id))
        .await?
        .into_iter()
        .filter(|u| u.id != unit.id)
        .collect();
    let filter = PeopleFilter {
        unit_id: Some(unit.id),
        limit: 500,
        ..Default::default()
    };
    let (members, _) = state.store.list_people(&grant, &filter).await?;
    let place = PersonPlace {
        person_id: None,
        org_id: Some(unit.org_id),
        unit_id: Some(unit.id),
    };
    Ok(Html(render(&UnitPage {
        frame: Frame::new(&user, "unit.title"),
        can_edit: authorize::<ManageUnits>(&user.actor, &unit.org_id).is_ok(),
        can_add_person: authorize::<ManagePeople>(&user.actor, &place).is_ok(),
        unit,
        org,
        siblings,
        members,
    }))
    .into_response())
}

pub async fn update_unit(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<UnitForm>,
) -> Result<Response, AppError> {
    let org = state
        .store
        .unit_org(UnitId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant = authorize::<ManageUnits>(&user.actor, &org)?;
    let mut input = unit_input(&UnitForm {
        org_id: org.0.to_string(),
        ..form
    })?;
    input.org_id = org;
    state
        .store
        .update_unit(&grant, UnitId(id), input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/units/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// People and roles

#[derive(Deserialize, Default)]
pub struct PeopleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage {
    frame: Frame,
    people: Vec<PersonSummary>,
    units: Vec<Unit>,
    q: String,
    unit: Option<i64>,
    page: i64,
    pages: i64,
    total: i64,
    can_add: bool,
}

const PAGE_SIZE: i64 = 50;

pub async fn people(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<PeopleQuery>,
) -> Result<Response, AppError> {
    let grant = authorize::<ViewDirectory>(&user.actor, &())?;
    let unit = parse_opt_id("unit", &query.unit)?;
    let page = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let q: String = query.q.trim().chars().take(100).collect();
    let filter = PeopleFilter {
        unit_id: unit.map(UnitId),
        text: Some(q.clone()),
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
        ..Default::default()
    };
    let (people, total) = state.store.list_people(&grant, &filter).await?;
    let units = state.store.list_units(&grant, None).await?;
    let can_add = units.iter().any(|u| {
        let place = PersonPlace {
            person_id: None,
            org_id: Some(u.org_id),
            unit_id: Some(u.id),
        };
        authorize::<ManagePeople>(&user.actor, &place).is_ok()
    });
    Ok(Html(render(&PeoplePage {
        frame: Frame::new(&user, "people.title"),
        people,
        units,
        q,
        unit,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        total,
        can_add,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub external: Option<String>,
}

pub fn person_input(form: &PersonForm) -> Result<PersonInput, AppError> {
    let mut check = Check::new();
    let name = check.name("name", &form.name);
    let unit = check.take(parse_opt_id("unit", &form.unit_id));
    let title = if form.title.trim().is_empty() {
        String::new()
    } else {
        check
            .name("title", &form.title)
            .map(String::from)
            .unwrap_or_default()
    };
    let email = check.take(parse_email("email", &form.email));
    let phone = check.take(parse_phone(&form.phone));
    check.done()?;
    Ok(PersonInput {
        name: name.expect("checked"),
        unit_id: unit.map(UnitId),
        title,
        email,
        phone,
        external: form
            .external
            .as_deref()
            .is_some_and(|v| v == "on" || v == "true" || v == "1"),
    })
}

pub(crate) async fn place_for_unit(
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
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    let input = person_input(&form)?;
    let place = place_for_unit(&state, None, input.unit_id).await?;
    let grant = authorize::<ManagePeople>(&user.actor, &place)?;
    let person = state
        .store
        .create_person(&grant, input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/people/{}", person.id)).into_response())
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    frame: Frame,
    person: Person,
    unit_name: Option<String>,
    roles: Vec<RoleAssignment>,
    units: Vec<Unit>,
    organisations: Vec<Organisation>,
    all_roles: &'static [Role],
    can_edit: bool,
    can_assign: bool,
}

impl PersonPage {
    fn scope_label(&self, scope: &Scope) -> String {
        match scope {
            Scope::Global => self.frame.t("scope.global").to_owned(),
            Scope::Organisation(id) => self
                .organisations
                .iter()
                .find(|o| o.id == *id)
                .map(|o| o.name.to_string())
                .unwrap_or_else(|| id.to_string()),
            Scope::Unit(id) => self
                .units
                .iter()
                .find(|u| u.id == *id)
                .map(|u| u.name.to_string())
                .unwrap_or_else(|| id.to_string()),
            Scope::System(name) => format!("{}: {name}", self.frame.t("scope.system")),
        }
    }
}

/// A person's page. A person the viewer may not see answers 404, as if there were none, so that
/// ids cannot be probed.
pub async fn person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let place = state
        .store
        .person_place(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let grant =
        authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    let person = state
        .store
        .person(&grant, PersonId(id), &user.ctx.origin())
        .await?
        .ok_or(AppError::NotFound)?;
    let roles = state.store.roles_of(&grant, person.id).await?;
    // Everyone may see their own record; the names of units and organisations come with the
    // directory, which contractors and people without a role do not browse.
    let (units, organisations) = match authorize::<ViewDirectory>(&user.actor, &()) {
        Ok(directory) => (
            state.store.list_units(&directory, None).await?,
            state.store.list_organisations(&directory).await?,
        ),
        Err(_) => (Vec::new(), Vec::new()),
    };
    let unit_name = person
        .unit_id
        .and_then(|u| units.iter().find(|x| x.id == u))
        .map(|u| u.name.to_string());
    let can_assign = Role::ALL.iter().any(|role| {
        let change = RoleChange {
            person: place,
            role: *role,
            scope: Scope::Global,
            scope_org: place.org_id,
        };
        authorize::<AssignRoles>(&user.actor, &change).is_ok()
    });
    Ok(Html(render(&PersonPage {
        frame: Frame::new(&user, "person.title"),
        can_edit: authorize::<ManagePeople>(&user.actor, &place).is_ok(),
        can_assign,
        person,
        unit_name,
        roles,
        units,
        organisations,
        all_roles: &Role::ALL,
    }))
    .into_response())
}

pub async fn update_person(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    let before = state
        .store
        .person_place(PersonId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewPersonDetail>(&user.actor, &before).map_err(|_| AppError::NotFound)?;
    let input = person_input(&form)?;
    let after = place_for_unit(&state, Some(PersonId(id)), input.unit_id).await?;
    // Moving a person needs the right both where they are and where they go.
    authorize::<ManagePeople>(&user.actor, &before)?;
    let grant = authorize::<ManagePeople>(&user.actor, &after)?;
    state
        .store
        .update_person(&grant, PersonId(id), input, &user.ctx.origin())
        .await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
    /// `global`, `organisation:ID` or `unit:ID`.
    #[serde(default)]
    scope: String,
    /// The system name, for 情報システム管理者.
    #[serde(default)]
    system: String,
}

/// Reads a role and its scope from a form or an API body.
pub fn parse_role_scope(role: &str, scope: &str, system: &str) -> Result<(Role, Scope), AppError> {
    let role = Role::parse(role)?;
    let scope = if role.scope_kind() == ScopeKind::System {
        Scope::from_parts("system", Some(system))?
    } else {
        let (kind, id) = match scope.trim().split_once(':') {
            Some((k, i)) => (k, Some(i)),
            None => (scope.trim(), None),
        };
        Scope::from_parts(kind, id)?
    };
    validate_scope(role, &scope)?;
    Ok((role, scope))
}

/// The organisation a scope lies in, for the rule that officers stay within their own.
pub async fn scope_org(state: &AppState, scope: &Scope) -> Result<Option<OrgId>, AppError> {
    Ok(match scope {
        Scope::Organisation(org) => Some(*org),
        Scope::Unit(unit) => Some(state.store.unit_org(*unit).await?.ok_or_else(|| {
            AppError::invalid(FieldError::new("scope", FieldErrorKind::UnknownValue))
        })?),
        Scope::Global | Scope::System(_) => None,
    })
}

/// Gives a person a role: 404 when the actor may not see the person, then the rules of
/// `AssignRoles`. The pages and the API both come here, so the two cannot drift apart.
pub(crate) async fn give_role(
    state: &AppState,
    user: &User,
    person: PersonId,
    role: &str,
    scope: &str,
    system: &str,
) -> Result<RoleAssignment, AppError> {
    let place = state
        .store
        .person_place(person)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
    let (role, scope) = parse_role_scope(role, scope, system)?;
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
pub(crate) async fn take_role(
    state: &AppState,
    user: &User,
    id: AssignmentId,
) -> Result<RoleAssignment, AppError> {
    let assignment = state
        .store
        .assignment(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let place = state
        .store
        .person_place(assignment.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    authorize::<ViewPersonDetail>(&user.actor, &place).map_err(|_| AppError::NotFound)?;
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

pub async fn assign_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    give_role(
        &state,
        &user,
        PersonId(id),
        &form.role,
        &form.scope,
        &form.system,
    )
    .await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

pub async fn revoke_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let assignment = take_role(&state, &user, AssignmentId(id)).await?;
    Ok(Redirect::to(&format!("/people/{}", assignment.person_id)).into_response())
}

// ---------------------------------------------------------------------------------------------
