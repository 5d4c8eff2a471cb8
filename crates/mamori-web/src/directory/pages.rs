//! HTML pages of the directory: organisations (機関), units (部局・課室), people
//! and their roles.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{
    AssignRoles, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace, RoleChange,
    ViewDirectory, authorize,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::role::{Role, RoleAssignment, Scope};
use mamori_core::{OrgId, PersonId, UnitId};
use mamori_store::{PeopleFilter, PersonSummary};
use serde::Deserialize;

use super::ops::{self, OrganisationDraft, PersonDraft, RoleDraft, UnitDraft};
use crate::http::{AppError, AppState, Form, Frame, Id, User, parse_opt_id, render};

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

pub async fn create_organisation(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<OrganisationForm>,
) -> Result<Response, AppError> {
    let org = ops::create_organisation(&state, &user, form.into()).await?;
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
    let org = ops::organisation(&state, &user, OrgId(id)).await?;
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
    ops::update_organisation(&state, &user, OrgId(id), form.into()).await?;
    Ok(Redirect::to(&format!("/organisations/{id}")).into_response())
}

impl From<OrganisationForm> for OrganisationDraft {
    fn from(form: OrganisationForm) -> Self {
        OrganisationDraft {
            code: Some(form.code),
            name: Some(form.name),
            note: Some(form.note),
        }
    }
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

pub async fn create_unit(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<UnitForm>,
) -> Result<Response, AppError> {
    let unit = ops::create_unit(&state, &user, form.draft(true)).await?;
    Ok(Redirect::to(&format!("/units/{}", unit.id)).into_response())
}

impl UnitForm {
    /// The draft of this form; an update keeps the unit's organisation, whatever the form says.
    fn draft(self, with_org: bool) -> UnitDraft {
        let mut problems = Vec::new();
        let mut id = |field, raw: &str| {
            parse_opt_id(field, raw).unwrap_or_else(|e| {
                problems.push(e);
                None
            })
        };
        let org_id = if with_org {
            id("organisation", &self.org_id).map(OrgId)
        } else {
            None
        };
        let parent_id = id("parent", &self.parent_id).map(UnitId);
        UnitDraft {
            org_id,
            parent_id: Some(parent_id),
            name: Some(self.name),
            note: Some(self.note),
            problems,
        }
    }
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
    let unit = ops::unit(&state, &user, UnitId(id)).await?;
    let org = ops::organisation(&state, &user, unit.org_id).await?;
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
    ops::update_unit(&state, &user, UnitId(id), form.draft(false)).await?;
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

pub async fn create_person(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    let person = ops::create_person(&state, &user, form.into()).await?;
    Ok(Redirect::to(&format!("/people/{}", person.id)).into_response())
}

impl From<PersonForm> for PersonDraft {
    fn from(form: PersonForm) -> Self {
        let (unit, problems) = match parse_opt_id("unit", &form.unit_id) {
            Ok(unit) => (unit, Vec::new()),
            Err(e) => (None, vec![e]),
        };
        PersonDraft {
            name: Some(form.name),
            unit_id: Some(unit.map(UnitId)),
            title: Some(form.title),
            email: Some(Some(form.email)),
            phone: Some(form.phone),
            external: Some(
                form.external
                    .as_deref()
                    .is_some_and(|v| v == "on" || v == "true" || v == "1"),
            ),
            problems,
        }
    }
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
    let (person, place, grant) = ops::person(&state, &user, PersonId(id)).await?;
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
    ops::update_person(&state, &user, PersonId(id), form.into()).await?;
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

pub async fn assign_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let draft = RoleDraft {
        role: form.role,
        scope: form.scope,
        system: form.system,
    };
    ops::give_role(&state, &user, PersonId(id), &draft).await?;
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

pub async fn revoke_role(
    State(state): State<AppState>,
    user: User,
    Id(id): Id,
) -> Result<Response, AppError> {
    let assignment = ops::take_role(&state, &user, AssignmentId(id)).await?;
    Ok(Redirect::to(&format!("/people/{}", assignment.person_id)).into_response())
}

// ---------------------------------------------------------------------------------------------
