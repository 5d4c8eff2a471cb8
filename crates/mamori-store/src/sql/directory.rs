//! The directory on SQL: organisations, units, people and role assignments.

use mamori_core::authz::{
    AssignRoles, Granted, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace,
    ViewDirectory, ViewPersonDetail,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::role::{Role, RoleAssignment, Scope};
use mamori_core::{OrgId, PersonId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row, Transaction};

use super::{Arg, SqlStore, bind_all, clone_arg, conflict, contains_pattern, name_of, opt_id};
use crate::{
    AuditStore, Conflict, DirectoryStore, OrganisationInput, Origin, PeopleFilter, PersonInput,
    PersonSummary, Result, StoreError, UnitInput,
};

fn organisation_from(row: &AnyRow) -> Result<Organisation> {
    Ok(Organisation {
        id: OrgId(row.try_get("id")?),
        name: name_of(row, "name")?,
        code: row.try_get("code")?,
        note: row.try_get("note")?,
    })
}

fn unit_from(row: &AnyRow) -> Result<Unit> {
    Ok(Unit {
        id: UnitId(row.try_get("id")?),
        org_id: OrgId(row.try_get("org_id")?),
        parent_id: opt_id(row, "parent_id")?.map(UnitId),
        name: name_of(row, "name")?,
        note: row.try_get("note")?,
    })
}

fn person_from(row: &AnyRow) -> Result<Person> {
    Ok(Person {
        id: PersonId(row.try_get("id")?),
        name: name_of(row, "name")?,
        org_id: opt_id(row, "org_id")?.map(OrgId),
        unit_id: opt_id(row, "unit_id")?.map(UnitId),
        title: row.try_get("title")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        external: row.try_get::<i64, _>("external")? != 0,
    })
}

pub(super) fn assignment_from(row: &AnyRow) -> Result<RoleAssignment> {
    let (role, scope) = role_and_scope(row)?;
    Ok(RoleAssignment {
        id: AssignmentId(row.try_get("id")?),
        person_id: PersonId(row.try_get("person_id")?),
        role,
        scope,
    })
}

/// The `role`, `scope_kind` and `scope_id` columns of a role assignment.
pub(super) fn role_and_scope(row: &AnyRow) -> Result<(Role, Scope)> {
    let role: String = row.try_get("role")?;
    let kind: String = row.try_get("scope_kind")?;
    let scope_id: String = row.try_get("scope_id")?;
    let bad = |what: &str| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid {what} in role_assignments").into(),
        ))
    };
    Ok((
        Role::parse(&role).map_err(|_| bad("role"))?,
        Scope::from_parts(&kind, (!scope_id.is_empty()).then_some(scope_id.as_str()))
            .map_err(|_| bad("scope"))?,
    ))
}

/// One organisation, read through the pool or inside a write (`&mut *write.tx`).
async fn fetch_organisation<'e>(
    db: impl Executor<'e, Database = Any>,
    id: OrgId,
) -> Result<Option<Organisation>> {
    sqlx::query("SELECT id, code, name, note FROM organisations WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(organisation_from)
        .transpose()
}

async fn fetch_unit<'e>(db: impl Executor<'e, Database = Any>, id: UnitId) -> Result<Option<Unit>> {
    sqlx::query("SELECT id, org_id, parent_id, name, note FROM units WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(unit_from)
        .transpose()
}

async fn fetch_person<'e>(
    db: impl Executor<'e, Database = Any>,
    id: PersonId,
) -> Result<Option<Person>> {
    sqlx::query(
        "SELECT id, name, org_id, unit_id, title, email, phone, external FROM people WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(person_from)
    .transpose()
}

async fn fetch_person_place<'e>(
    db: impl Executor<'e, Database = Any>,
    id: PersonId,
) -> Result<Option<PersonPlace>> {
    sqlx::query("SELECT org_id, unit_id FROM people WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?
        .map(|row| -> Result<PersonPlace> {
            Ok(PersonPlace {
                person_id: Some(id),
                org_id: opt_id(&row, "org_id")?.map(OrgId),
                unit_id: opt_id(&row, "unit_id")?.map(UnitId),
            })
        })
        .transpose()
}

async fn fetch_assignment<'e>(
    db: impl Executor<'e, Database = Any>,
    id: AssignmentId,
) -> Result<Option<RoleAssignment>> {
    sqlx::query(
        "SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments WHERE id = $1",
    )
    .bind(id.0)
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(assignment_from)
    .transpose()
}

async fn fetch_unit_org<'e>(
    db: impl Executor<'e, Database = Any>,
    id: UnitId,
) -> Result<Option<OrgId>> {
    Ok(sqlx::query("SELECT org_id FROM units WHERE id = $1")
        .bind(id.0)
        .fetch_optional(db)
        .await?
        .map(|row| row.try_get::<i64, _>("org_id"))
        .transpose()?
        .map(OrgId))
}

/// The organisation of the unit a person is placed in; a unit that does not exist is refused.
pub(super) async fn unit_org_for<'e>(
    db: impl Executor<'e, Database = Any>,
    unit: Option<UnitId>,
) -> Result<Option<OrgId>> {
    match unit {
        None => Ok(None),
        Some(unit) => match fetch_unit_org(db, unit).await? {
            Some(org) => Ok(Some(org)),
            None => Err(StoreError::Conflict(Conflict::PersonUnitMissing)),
        },
    }
}

impl SqlStore {
    /// Checks a unit's parent: it must exist, be in the same organisation and not be the unit
    /// itself or one of its descendants. Runs inside the write, so that two concurrent moves
    /// cannot each pass the check and together make a cycle.
    async fn check_parent(
        tx: &mut Transaction<'static, Any>,
        unit: Option<UnitId>,
        input: &UnitInput,
    ) -> Result<()> {
        let Some(parent) = input.parent_id else {
            return Ok(());
        };
        let mut cursor = Some(parent);
        let mut hops = 0;
        while let Some(current) = cursor {
            if Some(current) == unit || hops > 64 {
                return Err(StoreError::Conflict(Conflict::UnitParentCycle));
            }
            let found =
                sqlx::query("SELECT id, org_id, parent_id, name, note FROM units WHERE id = $1")
                    .bind(current.0)
                    .fetch_optional(&mut **tx)
                    .await?
                    .as_ref()
                    .map(unit_from)
                    .transpose()?
                    .ok_or(StoreError::Conflict(Conflict::UnitParentMissing))?;
            if found.org_id != input.org_id {
                return Err(StoreError::Conflict(Conflict::UnitParentOtherOrg));
            }
            cursor = found.parent_id;
            hops += 1;
        }
        Ok(())
    }

    /// A role may only be scoped to an organisation or unit that exists.
    pub(super) async fn check_scope_exists(&self, scope: &Scope) -> Result<()> {
        let exists = match scope {
            Scope::Organisation(org) => fetch_organisation(&self.pool, *org).await?.is_some(),
            Scope::Unit(unit) => fetch_unit(&self.pool, *unit).await?.is_some(),
            Scope::Global | Scope::System(_) => true,
        };
        if exists {
            Ok(())
        } else {
            Err(StoreError::Conflict(Conflict::RoleScopeMissing))
        }
    }

    pub(super) async fn insert_person(
        tx: &mut Transaction<'static, Any>,
        input: &PersonInput,
        org: Option<OrgId>,
        now: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO people (name, org_id, unit_id, title, email, phone, external, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(input.name.as_str())
        .bind(org.map(|o| o.0))
        .bind(input.unit_id.map(|u| u.0))
        .bind(&input.title)
        .bind(input.email.clone())
        .bind(&input.phone)
        .bind(i64::from(input.external))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, Conflict::PersonEmailTaken))?;
        Ok(row.try_get("id")?)
    }

    pub(super) async fn insert_assignment(
        tx: &mut Transaction<'static, Any>,
        person: PersonId,
        role: Role,
        scope: &Scope,
        now: i64,
    ) -> Result<i64> {
        let (kind, id) = scope.to_parts();
        let row = sqlx::query(
            "INSERT INTO role_assignments (person_id, role, scope_kind, scope_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(person.0)
        .bind(role.as_str())
        .bind(kind)
        .bind(id.unwrap_or_default())
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, Conflict::RoleAlreadyAssigned))?;
        Ok(row.try_get("id")?)
    }
}

#[async_trait::async_trait]
impl DirectoryStore for SqlStore {
    async fn list_organisations(&self, _: &Granted<ViewDirectory>) -> Result<Vec<Organisation>> {
        sqlx::query("SELECT id, code, name, note FROM organisations ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(organisation_from)
            .collect()
    }

    async fn organisation(
        &self,
        _: &Granted<ViewDirectory>,
        id: OrgId,
    ) -> Result<Option<Organisation>> {
        fetch_organisation(&self.pool, id).await
    }

    async fn create_organisation(
        &self,
        _: &Granted<ManageOrganisations>,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO organisations (code, name, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(&input.code)
        .bind(input.name.as_str())
        .bind(&input.note)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::OrganisationCodeTaken))?;
        let org = Organisation {
            id: OrgId(row.try_get("id")?),
            name: input.name,
            code: input.code,
            note: input.note,
        };
        let event = origin
            .event("organisation.create", "organisation", org.id)
            .with_detail(serde_json::json!({"code": org.code, "name": org.name}));
        self.commit(write, event).await?;
        Ok(org)
    }

    async fn update_organisation(
        &self,
        _: &Granted<ManageOrganisations>,
        id: OrgId,
        input: OrganisationInput,
        origin: &Origin,
    ) -> Result<Organisation> {
        let mut write = self.begin_write().await?;
        // Read after taking the chain's head, which serialises writers: the record's before is
        // the state this update replaces, not one another writer has replaced meanwhile.
        let before = fetch_organisation(&mut *write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE organisations SET code = $1, name = $2, note = $3, updated_at = $4 WHERE id = $5")
            .bind(&input.code)
            .bind(input.name.as_str())
            .bind(&input.note)
            .bind(write.at_ms)
            .bind(id.0)
            .execute(&mut *write.tx)
            .await
            .map_err(|e| conflict(e, Conflict::OrganisationCodeTaken))?;
        let after = Organisation {
            id,
            name: input.name,
            code: input.code,
            note: input.note,
        };
        let event = origin
            .event("organisation.update", "organisation", id)
            .with_detail(serde_json::json!({"before": before, "after": after}));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn list_units(
        &self,
        _: &Granted<ViewDirectory>,
        org: Option<OrgId>,
    ) -> Result<Vec<Unit>> {
        let Some(org) = org else {
            return self
                .reference_read(async {
                    sqlx::query(
                        "SELECT id, org_id, parent_id, name, note FROM units ORDER BY org_id, id",
                    )
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(unit_from)
                    .collect()
                })
                .await;
        };
        sqlx::query(
            "SELECT id, org_id, parent_id, name, note FROM units WHERE org_id = $1 ORDER BY id",
        )
        .bind(org.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(unit_from)
        .collect()
    }

    async fn unit(&self, _: &Granted<ViewDirectory>, id: UnitId) -> Result<Option<Unit>> {
        fetch_unit(&self.pool, id).await
    }

    async fn unit_org(&self, id: UnitId) -> Result<Option<OrgId>> {
        fetch_unit_org(&self.pool, id).await
    }

    async fn create_unit(
        &self,
        _: &Granted<ManageUnits>,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit> {
        if fetch_organisation(&self.pool, input.org_id)
            .await?
            .is_none()
        {
            return Err(StoreError::Conflict(Conflict::UnitOrganisationMissing));
        }
        let mut write = self.begin_write().await?;
        Self::check_parent(&mut write.tx, None, &input).await?;
        let row = sqlx::query(
            "INSERT INTO units (org_id, parent_id, name, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(input.org_id.0)
        .bind(input.parent_id.map(|u| u.0))
        .bind(input.name.as_str())
        .bind(&input.note)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::UnitNameTaken))?;
        let unit = Unit {
            id: UnitId(row.try_get("id")?),
            org_id: input.org_id,
            parent_id: input.parent_id,
            name: input.name,
            note: input.note,
        };
        let event = origin
            .event("unit.create", "unit", unit.id)
            .in_unit(Some(unit.id))
            .with_detail(serde_json::json!({"org_id": unit.org_id, "name": unit.name}));
        self.commit(write, event).await?;
        Ok(unit)
    }

    async fn update_unit(
        &self,
        _: &Granted<ManageUnits>,
        id: UnitId,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit> {
        let mut write = self.begin_write().await?;
        let before = fetch_unit(&mut *write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.org_id != input.org_id {
            return Err(StoreError::Conflict(Conflict::UnitMoveBetweenOrganisations));
        }
        Self::check_parent(&mut write.tx, Some(id), &input).await?;
        sqlx::query(
            "UPDATE units SET parent_id = $1, name = $2, note = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(input.parent_id.map(|u| u.0))
        .bind(input.name.as_str())
        .bind(&input.note)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::UnitNameTaken))?;
        let after = Unit {
            id,
            org_id: input.org_id,
            parent_id: input.parent_id,
            name: input.name,
            note: input.note,
        };
        let event = origin
            .event("unit.update", "unit", id)
            .in_unit(Some(id))
            .with_detail(serde_json::json!({"before": before, "after": after}));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn list_people(
        &self,
        _: &Granted<ViewDirectory>,
        filter: &PeopleFilter,
    ) -> Result<(Vec<PersonSummary>, i64)> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(org) = filter.org_id {
            args.push(Arg::Int(org.0));
            clauses.push(format!("p.org_id = ${}", args.len()));
        }
        if let Some(unit) = filter.unit_id {
            args.push(Arg::Int(unit.0));
            clauses.push(format!("p.unit_id = ${}", args.len()));
        }
        if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
            args.push(Arg::Text(contains_pattern(text.trim())));
            let n = args.len();
            // LOWER on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
            clauses.push(format!(
                "(LOWER(p.name) LIKE LOWER(${n}) ESCAPE '\\' OR LOWER(p.title) LIKE LOWER(${n}) ESCAPE '\\')"
            ));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let count_sql = format!("SELECT COUNT(*) AS n FROM people p {where_sql}");
        let total: i64 = bind_all(
            sqlx::query(&count_sql),
            args.iter().map(clone_arg).collect(),
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?;
        let limit = filter.limit.clamp(1, 500);
        let offset = filter.offset.max(0);
        let list_sql = format!(
            "SELECT p.id, p.name, p.title, p.org_id, p.unit_id, u.name AS unit_name FROM people p \
             LEFT JOIN units u ON u.id = p.unit_id {where_sql} ORDER BY p.name, p.id LIMIT {limit} OFFSET {offset}"
        );
        let rows = bind_all(sqlx::query(&list_sql), args)
            .fetch_all(&self.pool)
            .await?;
        let people = rows
            .iter()
            .map(|row| {
                Ok(PersonSummary {
                    id: PersonId(row.try_get("id")?),
                    name: row.try_get("name")?,
                    title: row.try_get("title")?,
                    org_id: opt_id(row, "org_id")?.map(OrgId),
                    unit_id: opt_id(row, "unit_id")?.map(UnitId),
                    unit_name: row.try_get("unit_name")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((people, total))
    }

    async fn person_place(&self, id: PersonId) -> Result<Option<PersonPlace>> {
        fetch_person_place(&self.pool, id).await
    }

    async fn person(
        &self,
        _: &Granted<ViewPersonDetail>,
        id: PersonId,
        origin: &Origin,
    ) -> Result<Option<Person>> {
        let person = fetch_person(&self.pool, id).await?;
        if let Some(person) = &person {
            self.record(
                origin
                    .event("person.read", "person", id)
                    .in_unit(person.unit_id),
            )
            .await?;
        }
        Ok(person)
    }

    async fn create_person(
        &self,
        _: &Granted<ManagePeople>,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person> {
        let org = unit_org_for(&self.pool, input.unit_id).await?;
        let mut write = self.begin_write().await?;
        let id = Self::insert_person(&mut write.tx, &input, org, write.at_ms).await?;
        let person = Person {
            id: PersonId(id),
            name: input.name,
            org_id: org,
            unit_id: input.unit_id,
            title: input.title,
            email: input.email,
            phone: input.phone,
            external: input.external,
        };
        let event = origin
            .event("person.create", "person", id)
            .in_unit(person.unit_id)
            .with_detail(serde_json::json!({"name": person.name, "unit_id": person.unit_id, "email": person.email}));
        self.commit(write, event).await?;
        Ok(person)
    }

    async fn update_person(
        &self,
        _: &Granted<ManagePeople>,
        id: PersonId,
        input: PersonInput,
        origin: &Origin,
    ) -> Result<Person> {
        let mut write = self.begin_write().await?;
        let before = fetch_person(&mut *write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let org = unit_org_for(&mut *write.tx, input.unit_id).await?;
        sqlx::query(
            "UPDATE people SET name = $1, org_id = $2, unit_id = $3, title = $4, email = $5, phone = $6, external = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(input.name.as_str())
        .bind(org.map(|o| o.0))
        .bind(input.unit_id.map(|u| u.0))
        .bind(&input.title)
        .bind(input.email.clone())
        .bind(&input.phone)
        .bind(i64::from(input.external))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::PersonEmailTaken))?;
        let after = Person {
            id,
            name: input.name,
            org_id: org,
            unit_id: input.unit_id,
            title: input.title,
            email: input.email,
            phone: input.phone,
            external: input.external,
        };
        let event = origin
            .event("person.update", "person", id)
            .in_unit(after.unit_id.or(before.unit_id))
            .with_detail(serde_json::json!({"before": before, "after": after}));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn roles_of(
        &self,
        _: &Granted<ViewPersonDetail>,
        person: PersonId,
    ) -> Result<Vec<RoleAssignment>> {
        sqlx::query("SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments WHERE person_id = $1 ORDER BY id")
            .bind(person.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(assignment_from)
            .collect()
    }

    async fn assignment(&self, id: AssignmentId) -> Result<Option<RoleAssignment>> {
        fetch_assignment(&self.pool, id).await
    }

    async fn assign_role(
        &self,
        _: &Granted<AssignRoles>,
        person: PersonId,
        role: Role,
        scope: Scope,
        origin: &Origin,
    ) -> Result<RoleAssignment> {
        let place = self
            .person_place(person)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.check_scope_exists(&scope).await?;
        let mut write = self.begin_write().await?;
        let id = Self::insert_assignment(&mut write.tx, person, role, &scope, write.at_ms).await?;
        let assignment = RoleAssignment {
            id: AssignmentId(id),
            person_id: person,
            role,
            scope,
        };
        let event = origin
            .event("role.assign", "person", person)
            .in_unit(place.unit_id)
            .with_detail(serde_json::json!({"assignment": assignment}));
        self.commit(write, event).await?;
        Ok(assignment)
    }

    async fn revoke_role(
        &self,
        _: &Granted<AssignRoles>,
        id: AssignmentId,
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        // Inside the write: of two revocations of one assignment, the second finds it gone.
        let assignment = fetch_assignment(&mut *write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let place = fetch_person_place(&mut *write.tx, assignment.person_id).await?;
        sqlx::query("DELETE FROM role_assignments WHERE id = $1")
            .bind(id.0)
            .execute(&mut *write.tx)
            .await?;
        let event = origin
            .event("role.revoke", "person", assignment.person_id)
            .in_unit(place.and_then(|p| p.unit_id))
            .with_detail(serde_json::json!({"assignment": assignment}));
        self.commit(write, event).await?;
        Ok(())
    }
}
