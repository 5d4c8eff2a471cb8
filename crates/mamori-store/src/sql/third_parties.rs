//! Third parties on SQL: contractors, and agreements (contracts and 指定管理 agreements) with
//! their link rows and verifications.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::asset::AssetId;
use mamori_core::authz::{ContractGrants, Granted, ManageThirdParties, VerifyAgreement};
use mamori_core::policy::{PolicyId, Tier};
use mamori_core::third_party::{AgreementKind, Outcome, Period, VerificationText};
use mamori_core::{OrgId, PersonId, Role, UnitId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, date_column, day, opt_id};
use crate::{
    Agreement, AgreementAsset, AgreementChoices, AgreementId, AgreementInput, AgreementPolicy,
    Conflict, Contractor, ContractorId, ContractorInput, Origin, Result, StoreError,
    ThirdPartyStore, Verification,
};

const CONTRACTOR_SELECT: &str = "SELECT c.id, c.name, c.address, c.contact_person, c.phone, \
     c.email, c.note, c.updated_at, \
     (SELECT COUNT(*) FROM agreements a WHERE a.contractor_id = c.id) AS contracts \
     FROM contractors c";

const AGREEMENT_SELECT: &str = "SELECT a.id, a.kind, a.contractor_id, c.name AS contractor_name, \
     a.managing_body, a.title, a.description, a.unit_id, u.name AS unit_name, u.org_id, \
     a.starts_on, a.ends_on, a.updated_at FROM agreements a JOIN units u ON u.id = a.unit_id \
     LEFT JOIN contractors c ON c.id = a.contractor_id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the agreements").into(),
    ))
}

fn missing() -> StoreError {
    StoreError::Conflict(Conflict::AgreementScopeMissing)
}

fn contractor_from(row: &AnyRow) -> Result<Contractor> {
    Ok(Contractor {
        id: ContractorId(row.try_get("id")?),
        input: ContractorInput {
            name: row.try_get("name")?,
            address: row.try_get("address")?,
            contact_person: row.try_get("contact_person")?,
            phone: row.try_get("phone")?,
            email: row.try_get("email")?,
            note: row.try_get("note")?,
        },
        contracts: row.try_get("contracts")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn agreement_from(row: &AnyRow) -> Result<Agreement> {
    let kind: String = row.try_get("kind")?;
    Ok(Agreement {
        id: AgreementId(row.try_get("id")?),
        kind: AgreementKind::parse(&kind).ok_or_else(|| decode("kind"))?,
        contractor: opt_id(row, "contractor_id")?.map(ContractorId),
        contractor_name: row.try_get("contractor_name")?,
        managing_body: row.try_get("managing_body")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        unit: UnitId(row.try_get("unit_id")?),
        unit_name: row.try_get("unit_name")?,
        org: OrgId(row.try_get("org_id")?),
        period: Period {
            starts_on: date_column(row, "starts_on")?,
            ends_on: date_column(row, "ends_on")?,
        },
        assets: Vec::new(),
        classes: Vec::new(),
        requirements: Vec::new(),
        people: Vec::new(),
        policies: Vec::new(),
        verifications: Vec::new(),
        updated_at: row.try_get("updated_at")?,
    })
}

/// What an agreement names, for its audit record.
fn detail(input: &AgreementInput) -> serde_json::Value {
    serde_json::json!({
        "kind": input.kind.as_str(),
        "contractor": input.contractor.map(|c| c.0),
        "managing_body": input.managing_body,
        "title": input.title,
        "unit": input.unit.0,
        "starts_on": day(input.period.starts_on),
        "ends_on": day(input.period.ends_on),
        "assets": input.assets,
        "classes": input.classes,
        "requirements": input.requirements,
        "people": input.people.iter().map(|p| p.0).collect::<Vec<_>>(),
        "policies": input.policies,
    })
}

fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    items
}

impl SqlStore {
    /// Fills each agreement's link rows and verifications.
    async fn agreement_links(
        &self,
        db: &mut sqlx::AnyConnection,
        mut agreements: Vec<Agreement>,
    ) -> Result<Vec<Agreement>> {
        let index: HashMap<i64, usize> = agreements
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.0, i))
            .collect();
        let at = |row: &AnyRow| -> Result<Option<usize>> {
            Ok(index.get(&row.try_get::<i64, _>("agreement_id")?).copied())
        };
        for row in sqlx::query(
            "SELECT l.agreement_id, a.id, a.name, a.confidentiality, a.integrity, a.availability \
             FROM agreement_assets l JOIN assets a ON a.id = l.asset_id \
             ORDER BY l.agreement_id, a.name, a.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                agreements[i].assets.push(asset_from(&row)?);
            }
        }
        for row in sqlx::query(
            "SELECT agreement_id, level FROM agreement_classes ORDER BY agreement_id, level DESC",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                agreements[i].classes.push(row.try_get("level")?);
            }
        }
        for row in sqlx::query(
            "SELECT agreement_id, code FROM agreement_requirements ORDER BY agreement_id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                agreements[i].requirements.push(row.try_get("code")?);
            }
        }
        // In the checklist's order, whatever order the rows came in.
        for a in &mut agreements {
            a.requirements = mamori_core::third_party::parse_requirements(&a.requirements)
                .map_err(|_| decode("requirement"))?;
        }
        for row in sqlx::query(
            "SELECT l.agreement_id, p.id, p.name FROM agreement_people l \
             JOIN people p ON p.id = l.person_id ORDER BY l.agreement_id, p.name, p.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                agreements[i]
                    .people
                    .push((PersonId(row.try_get("id")?), row.try_get("name")?));
            }
        }
        for row in sqlx::query(
            "SELECT l.agreement_id, p.id, p.title, p.tier FROM agreement_policies l \
             JOIN policies p ON p.id = l.policy_id ORDER BY l.agreement_id, p.title, p.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                let tier: String = row.try_get("tier")?;
                agreements[i].policies.push(AgreementPolicy {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    tier: Tier::parse(&tier).ok_or_else(|| decode("tier"))?,
                });
            }
        }
        for row in sqlx::query(
            "SELECT v.id, v.agreement_id, v.requirement, v.outcome, v.checked_on, v.note, \
             v.link, v.at_ms, u.username AS by_name FROM agreement_verifications v \
             LEFT JOIN users u ON u.id = v.user_id ORDER BY v.agreement_id, v.checked_on, v.id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(i) = at(&row)? {
                let outcome: String = row.try_get("outcome")?;
                agreements[i].verifications.push(Verification {
                    id: row.try_get("id")?,
                    requirement: row.try_get("requirement")?,
                    outcome: Outcome::parse(&outcome).ok_or_else(|| decode("outcome"))?,
                    checked_on: date_column(&row, "checked_on")?,
                    note: row.try_get("note")?,
                    link: row.try_get("link")?,
                    by_name: row.try_get("by_name")?,
                    at_ms: row.try_get("at_ms")?,
                });
            }
        }
        Ok(agreements)
    }

    async fn agreement_in(&self, write: &mut Write, id: AgreementId) -> Result<Agreement> {
        let row = sqlx::query(&format!("{AGREEMENT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let agreement = agreement_from(&row)?;
        self.agreement_links(&mut write.tx, vec![agreement])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn contractor_in(&self, write: &mut Write, id: ContractorId) -> Result<Contractor> {
        let row = sqlx::query(&format!("{CONTRACTOR_SELECT} WHERE c.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        contractor_from(&row)
    }

    /// Checks that every row `input` names exists and fits its kind, inside the write.
    async fn check_agreement(&self, write: &mut Write, input: &AgreementInput) -> Result<()> {
        let contract = input.kind == AgreementKind::Contract;
        let fits = if contract {
            input.contractor.is_some() && input.managing_body.is_empty()
        } else {
            input.contractor.is_none()
                && !input.managing_body.is_empty()
                && input.people.is_empty()
                && input.policies.is_empty()
        };
        if !fits {
            return Err(StoreError::Conflict(Conflict::AgreementKindFields));
        }
        let exists = async |write: &mut Write, sql: &str, id: i64| -> Result<bool> {
            Ok(sqlx::query(sql)
                .bind(id)
                .fetch_optional(&mut *write.tx)
                .await?
                .is_some())
        };
        if !exists(write, "SELECT id FROM units WHERE id = $1", input.unit.0).await? {
            return Err(missing());
        }
        if let Some(c) = input.contractor
            && !exists(write, "SELECT id FROM contractors WHERE id = $1", c.0).await?
        {
            return Err(missing());
        }
        for asset in &input.assets {
            if !exists(write, "SELECT id FROM assets WHERE id = $1", *asset).await? {
                return Err(missing());
            }
        }
        for person in &input.people {
            if !exists(write, "SELECT id FROM people WHERE id = $1", person.0).await? {
                return Err(missing());
            }
            let contractor =
                sqlx::query("SELECT id FROM role_assignments WHERE person_id = $1 AND role = $2")
                    .bind(person.0)
                    .bind(Role::Contractor.as_str())
                    .fetch_optional(&mut *write.tx)
                    .await?;
            if contractor.is_none() {
                return Err(StoreError::Conflict(Conflict::AgreementPersonNotContractor));
            }
        }
        for policy in &input.policies {
            let row = sqlx::query("SELECT tier FROM policies WHERE id = $1")
                .bind(*policy)
                .fetch_optional(&mut *write.tx)
                .await?
                .ok_or_else(missing)?;
            if row.try_get::<String, _>("tier")? == Tier::Basic.as_str() {
                return Err(StoreError::Conflict(Conflict::AgreementPolicyTier));
            }
        }
        Ok(())
    }

    /// Writes the agreement's link rows anew.
    async fn set_agreement_links(
        &self,
        write: &mut Write,
        id: AgreementId,
        input: &AgreementInput,
    ) -> Result<()> {
        for table in [
            "agreement_assets",
            "agreement_classes",
            "agreement_requirements",
            "agreement_people",
            "agreement_policies",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE agreement_id = $1"))
                .bind(id.0)
                .execute(&mut *write.tx)
                .await?;
        }
        for asset in sorted(&input.assets) {
            self.link(write, "agreement_assets", "asset_id", id, asset)
                .await?;
        }
        for person in sorted(&input.people) {
            self.link(write, "agreement_people", "person_id", id, person.0)
                .await?;
        }
        for policy in sorted(&input.policies) {
            self.link(write, "agreement_policies", "policy_id", id, policy)
                .await?;
        }
        for (table, column, codes) in [
            ("agreement_classes", "level", &input.classes),
            ("agreement_requirements", "code", &input.requirements),
        ] {
            for code in sorted(codes) {
                sqlx::query(&format!(
                    "INSERT INTO {table} (agreement_id, {column}) VALUES ($1, $2)"
                ))
                .bind(id.0)
                .bind(code)
                .execute(&mut *write.tx)
                .await?;
            }
        }
        Ok(())
    }

    async fn link(
        &self,
        write: &mut Write,
        table: &str,
        column: &str,
        id: AgreementId,
        other: i64,
    ) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO {table} (agreement_id, {column}) VALUES ($1, $2)"
        ))
        .bind(id.0)
        .bind(other)
        .execute(&mut *write.tx)
        .await?;
        Ok(())
    }
}

fn asset_from(row: &AnyRow) -> Result<AgreementAsset> {
    Ok(AgreementAsset {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        class: format!(
            "{}-{}-{}",
            row.try_get::<String, _>("confidentiality")?,
            row.try_get::<String, _>("integrity")?,
            row.try_get::<String, _>("availability")?
        ),
    })
}

#[async_trait::async_trait]
impl ThirdPartyStore for SqlStore {
    async fn contractors(&self) -> Result<Vec<Contractor>> {
        sqlx::query(&format!("{CONTRACTOR_SELECT} ORDER BY c.name, c.id"))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(contractor_from)
            .collect()
    }

    async fn contractor(&self, id: ContractorId) -> Result<Option<Contractor>> {
        sqlx::query(&format!("{CONTRACTOR_SELECT} WHERE c.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(contractor_from)
            .transpose()
    }

    async fn create_contractor(
        &self,
        _: &Granted<ManageThirdParties>,
        input: ContractorInput,
        origin: &Origin,
    ) -> Result<Contractor> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO contractors (name, address, contact_person, phone, email, note, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&input.name)
        .bind(&input.address)
        .bind(&input.contact_person)
        .bind(&input.phone)
        .bind(input.email.as_deref())
        .bind(&input.note)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = ContractorId(row.try_get("id")?);
        let stored = self.contractor_in(&mut write, id).await?;
        let event = origin
            .event("contractor.create", "contractor", id)
            .with_detail(serde_json::json!({"name": input.name}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn update_contractor(
        &self,
        _: &Granted<ManageThirdParties>,
        id: ContractorId,
        input: ContractorInput,
        origin: &Origin,
    ) -> Result<Contractor> {
        let mut write = self.begin_write().await?;
        let before = self.contractor_in(&mut write, id).await?;
        sqlx::query(
            "UPDATE contractors SET name = $1, address = $2, contact_person = $3, phone = $4, \
             email = $5, note = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&input.name)
        .bind(&input.address)
        .bind(&input.contact_person)
        .bind(&input.phone)
        .bind(input.email.as_deref())
        .bind(&input.note)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.contractor_in(&mut write, id).await?;
        let event = origin
            .event("contractor.update", "contractor", id)
            .with_detail(serde_json::json!({
                "before": {"name": before.input.name, "address": before.input.address,
                    "contact_person": before.input.contact_person, "phone": before.input.phone,
                    "email": before.input.email},
                "after": {"name": input.name, "address": input.address,
                    "contact_person": input.contact_person, "phone": input.phone,
                    "email": input.email},
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn agreements(&self, kind: AgreementKind) -> Result<Vec<Agreement>> {
        let agreements = sqlx::query(&format!(
            "{AGREEMENT_SELECT} WHERE a.kind = $1 ORDER BY a.ends_on, a.id"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(agreement_from)
        .collect::<Result<Vec<_>>>()?;
        self.agreement_links(&mut *self.pool.acquire().await?, agreements)
            .await
    }

    async fn agreement(&self, id: AgreementId) -> Result<Option<Agreement>> {
        let Some(row) = sqlx::query(&format!("{AGREEMENT_SELECT} WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let agreement = agreement_from(&row)?;
        Ok(self
            .agreement_links(&mut *self.pool.acquire().await?, vec![agreement])
            .await?
            .pop())
    }

    async fn create_agreement(
        &self,
        _: &Granted<ManageThirdParties>,
        input: AgreementInput,
        origin: &Origin,
    ) -> Result<Agreement> {
        let mut write = self.begin_write().await?;
        self.check_agreement(&mut write, &input).await?;
        let row = sqlx::query(
            "INSERT INTO agreements (kind, contractor_id, managing_body, title, description, \
             unit_id, starts_on, ends_on, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(input.kind.as_str())
        .bind(input.contractor.map(|c| c.0))
        .bind(&input.managing_body)
        .bind(&input.title)
        .bind(&input.description)
        .bind(input.unit.0)
        .bind(day(input.period.starts_on))
        .bind(day(input.period.ends_on))
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = AgreementId(row.try_get("id")?);
        self.set_agreement_links(&mut write, id, &input).await?;
        let stored = self.agreement_in(&mut write, id).await?;
        let event = origin
            .event("agreement.create", "agreement", id)
            .in_unit(Some(input.unit))
            .with_detail(detail(&input));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn update_agreement(
        &self,
        _: &Granted<ManageThirdParties>,
        id: AgreementId,
        input: AgreementInput,
        origin: &Origin,
    ) -> Result<Agreement> {
        let mut write = self.begin_write().await?;
        let before = self.agreement_in(&mut write, id).await?;
        if before.kind != input.kind {
            return Err(StoreError::NotFound);
        }
        self.check_agreement(&mut write, &input).await?;
        sqlx::query(
            "UPDATE agreements SET contractor_id = $1, managing_body = $2, title = $3, \
             description = $4, unit_id = $5, starts_on = $6, ends_on = $7, updated_at = $8 \
             WHERE id = $9",
        )
        .bind(input.contractor.map(|c| c.0))
        .bind(&input.managing_body)
        .bind(&input.title)
        .bind(&input.description)
        .bind(input.unit.0)
        .bind(day(input.period.starts_on))
        .bind(day(input.period.ends_on))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        self.set_agreement_links(&mut write, id, &input).await?;
        let stored = self.agreement_in(&mut write, id).await?;
        let before_detail = serde_json::json!({
            "title": before.title,
            "unit": before.unit.0,
            "starts_on": day(before.period.starts_on),
            "ends_on": day(before.period.ends_on),
            "assets": before.assets.iter().map(|a| a.id).collect::<Vec<_>>(),
            "classes": before.classes,
            "requirements": before.requirements,
            "people": before.people.iter().map(|(p, _)| p.0).collect::<Vec<_>>(),
            "policies": before.policies.iter().map(|p| p.id).collect::<Vec<_>>(),
        });
        let event = origin
            .event("agreement.update", "agreement", id)
            .in_unit(Some(input.unit))
            .with_detail(serde_json::json!({"before": before_detail, "after": detail(&input)}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn record_verification(
        &self,
        grant: &Granted<VerifyAgreement>,
        id: AgreementId,
        verification: VerificationText,
        origin: &Origin,
    ) -> Result<Agreement> {
        let mut write = self.begin_write().await?;
        let before = self.agreement_in(&mut write, id).await?;
        if !before.requirements.contains(&verification.requirement) {
            return Err(StoreError::Conflict(
                Conflict::AgreementRequirementNotCarried,
            ));
        }
        sqlx::query(
            "INSERT INTO agreement_verifications (agreement_id, requirement, outcome, \
             checked_on, note, link, user_id, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(&verification.requirement)
        .bind(verification.outcome.as_str())
        .bind(day(verification.checked_on))
        .bind(&verification.note)
        .bind(&verification.link)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.agreement_in(&mut write, id).await?;
        let event = origin
            .event("agreement.verify", "agreement", id)
            .in_unit(Some(before.unit))
            .with_detail(serde_json::json!({
                "requirement": verification.requirement,
                "outcome": verification.outcome.as_str(),
                "checked_on": day(verification.checked_on),
                "note": verification.note,
                "link": verification.link,
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn contract_grants(&self, person: PersonId, today: NaiveDate) -> Result<ContractGrants> {
        let in_force = "FROM agreements a JOIN agreement_people p ON p.agreement_id = a.id \
             WHERE p.person_id = $1 AND a.kind = $2 AND a.starts_on <= $3 AND a.ends_on >= $3";
        let ids = async |sql: String| -> Result<Vec<i64>> {
            sqlx::query(&sql)
                .bind(person.0)
                .bind(AgreementKind::Contract.as_str())
                .bind(day(today))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| Ok(row.try_get::<i64, _>("id")?))
                .collect()
        };
        let assets = ids(format!(
            "SELECT DISTINCT l.asset_id AS id FROM agreement_assets l \
             WHERE l.agreement_id IN (SELECT a.id {in_force}) ORDER BY 1"
        ))
        .await?;
        let policies = ids(format!(
            "SELECT DISTINCT l.policy_id AS id FROM agreement_policies l \
             WHERE l.agreement_id IN (SELECT a.id {in_force}) ORDER BY 1"
        ))
        .await?;
        Ok(ContractGrants {
            assets: assets.into_iter().map(AssetId).collect(),
            policies: policies.into_iter().map(PolicyId).collect(),
        })
    }

    async fn agreement_choices(&self) -> Result<AgreementChoices> {
        let assets = sqlx::query(
            "SELECT id, name, confidentiality, integrity, availability FROM assets \
             WHERE lifecycle <> 'disposed' ORDER BY name, id",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(asset_from)
        .collect::<Result<Vec<_>>>()?;
        let contractor_people = sqlx::query(
            "SELECT DISTINCT p.id, p.name FROM people p \
             JOIN role_assignments r ON r.person_id = p.id WHERE r.role = $1 ORDER BY p.name, p.id",
        )
        .bind(Role::Contractor.as_str())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((PersonId(row.try_get("id")?), row.try_get("name")?)))
        .collect::<Result<Vec<_>>>()?;
        Ok(AgreementChoices {
            assets,
            contractor_people,
        })
    }
}
