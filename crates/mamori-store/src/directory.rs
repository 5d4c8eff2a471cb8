//! The directory: organisations (機関), units (部局・課室), people and their role assignments.

use mamori_core::authz::{
    AssignRoles, Granted, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace,
    ViewDirectory, ViewPersonDetail,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::role::{Role, RoleAssignment, Scope};
use mamori_core::text::Name;
use mamori_core::{OrgId, PersonId, UnitId};

use crate::{Origin, Result};

#[derive(Debug, Clone)]
pub struct OrganisationInput {
    pub code: String,
    pub name: Name,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct UnitInput {
    pub org_id: OrgId,
    pub parent_id: Option<UnitId>,
    pub name: Name,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct PersonInput {
    pub name: Name,
    pub unit_id: Option<UnitId>,
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    pub external: bool,
}

/// What anyone who may browse the directory sees of a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub name: String,
    pub title: String,
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    /// Part of the name or title.
    pub text: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Organisation, units, people and role assignments.
#[async_trait::async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn list_organisations(&self, grant: &Granted<ViewDirectory>)
    -> Result<Vec<Organisation>>;
    async fn organisation(
        &self,
        grant: &Granted<ViewDirectory>,
        id: OrgId,
    ) -> Result<Option<Organisation>>;
    async fn create_organisation(
        &self,
        grant: &Granted<ManageOrganisations>,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation>;
    async fn update_organisation(
        &self,
        grant: &Granted<ManageOrganisations>,
        id: OrgId,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation>;

    async fn list_units(
        &self,
        grant: &Granted<ViewDirectory>,
        org: Option<OrgId>,
    ) -> Result<Vec<Unit>>;
    async fn unit(&self, grant: &Granted<ViewDirectory>, id: UnitId) -> Result<Option<Unit>>;
    /// The organisation a unit belongs to, for authorisation decisions.
    async fn unit_org(&self, id: UnitId) -> Result<Option<OrgId>>;
    async fn create_unit(
        &self,
        grant: &Granted<ManageUnits>,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit>;
    async fn update_unit(
        &self,
        grant: &Granted<ManageUnits>,
        id: UnitId,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit>;

    async fn list_people(
        &self,
        grant: &Granted<ViewDirectory>,
        filter: &PeopleFilter,
    ) -> Result<(Vec<PersonSummary>, i64)>;
    /// Where a person sits, for authorisation decisions.
    async fn person_place(&self, id: PersonId) -> Result<Option<PersonPlace>>;
    /// A person's restricted details. The read is written to the audit trail.
    async fn person(
        &self,
        grant: &Granted<ViewPersonDetail>,
        id: PersonId,
        origin: &Origin,
    ) -> Result<Option<Person>>;
    async fn create_person(
        &self,
        grant: &Granted<ManagePeople>,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person>;
    async fn update_person(
        &self,
        grant: &Granted<ManagePeople>,
        id: PersonId,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person>;

    async fn roles_of(
        &self,
        grant: &Granted<ViewPersonDetail>,
        person: PersonId,
    ) -> Result<Vec<RoleAssignment>>;
    async fn assignment(&self, id: AssignmentId) -> Result<Option<RoleAssignment>>;
    async fn assign_role(
        &self,
        grant: &Granted<AssignRoles>,
        person: PersonId,
        role: Role,
        scope: Scope,
        origin: &Origin,
    ) -> Result<RoleAssignment>;
    async fn revoke_role(
        &self,
        grant: &Granted<AssignRoles>,
        id: AssignmentId,
        origin: &Origin,
    ) -> Result<()>;
}
