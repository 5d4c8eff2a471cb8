//! Policy documents on SQL: documents, versions, the clauses of each version in document order
//! (the tree rebuilt from each clause's depth), and confirmations.

use chrono::NaiveDate;
use mamori_core::authz::{
    AcknowledgePolicy, ApprovePolicy, Granted, ManagePolicies, ViewAcknowledgements,
};
use mamori_core::notice::NoticeKind;
use mamori_core::policy::{
    CivilDate, Clause, Policy, PolicyId, PolicyText, Step, Supplementary, Tier, VersionInfo,
    VersionState, approved_state,
};
use mamori_core::role::Role;
use mamori_core::time::jst_date;
use mamori_core::{OrgId, PersonId, UnitId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, conflict, opt_id};
use crate::{
    AckProgress, Audience, Author, Conflict, NewPolicy, Origin, PolicySource, PolicyStore,
    PolicyVersion, Result, StoreError,
};

const POLICY_SELECT: &str = "SELECT p.id, p.org_id, o.name AS org_name, p.tier, p.title, \
     p.approver_role, p.created_at, \
     (SELECT MAX(number) FROM policy_versions v WHERE v.policy_id = p.id) AS latest, \
     (SELECT MAX(number) FROM policy_versions v WHERE v.policy_id = p.id AND v.state = 'effective') AS effective \
     FROM policies p JOIN organisations o ON o.id = p.org_id";

const VERSION_SELECT: &str = "SELECT v.id AS version_id, v.policy_id, v.number, v.state, \
     v.effective_from, v.editor_id, eu.person_id AS editor_person, eu.username AS editor_name, \
     au.username AS approver_name, v.approved_at, v.created_at, v.updated_at, \
     (SELECT COUNT(*) FROM policy_clauses c WHERE c.version_id = v.id AND c.depth = 0) AS sections, \
     (SELECT COUNT(*) FROM policy_clauses c WHERE c.version_id = v.id) AS clauses \
     FROM policy_versions v LEFT JOIN users eu ON eu.id = v.editor_id \
     LEFT JOIN users au ON au.id = v.approver_id";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in policies").into(),
    ))
}

fn policy_from(row: &AnyRow) -> Result<Policy> {
    let tier: String = row.try_get("tier")?;
    let role: String = row.try_get("approver_role")?;
    Ok(Policy {
        id: PolicyId(row.try_get("id")?),
        org_id: OrgId(row.try_get("org_id")?),
        org_name: row.try_get("org_name")?,
        tier: Tier::parse(&tier).ok_or_else(|| decode("tier"))?,
        title: row.try_get("title")?,
        approver_role: role_of(&role)?,
        created_at: row.try_get("created_at")?,
        effective: opt_id(row, "effective")?,
        latest: opt_id(row, "latest")?.unwrap_or_default(),
    })
}

fn role_of(raw: &str) -> Result<Role> {
    Role::parse(raw).map_err(|_| decode("approver_role"))
}

fn date_of(raw: Option<String>) -> Result<Option<NaiveDate>> {
    raw.map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| decode("date")))
        .transpose()
}

fn version_from(row: &AnyRow) -> Result<VersionInfo> {
    let state: String = row.try_get("state")?;
    Ok(VersionInfo {
        policy_id: PolicyId(row.try_get("policy_id")?),
        number: row.try_get("number")?,
        state: VersionState::parse(&state).ok_or_else(|| decode("state"))?,
        effective_from: date_of(row.try_get("effective_from")?)?,
        editor: opt_id(row, "editor_id")?.map(UserId),
        editor_person: opt_id(row, "editor_person")?.map(PersonId),
        editor_name: row.try_get("editor_name")?,
        approver_name: row.try_get("approver_name")?,
        approved_at: row.try_get("approved_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        sections: row.try_get("sections")?,
        clauses: row.try_get("clauses")?,
    })
}

/// A clause and those below it, flattened in document order with their depth.
fn flatten<'c>(clause: &'c Clause, depth: i64, out: &mut Vec<(i64, &'c Clause)>) {
    out.push((depth, clause));
    for child in &clause.children {
        flatten(child, depth + 1, out);
    }
}

/// The clause tree again from rows in document order.
fn rebuild(rows: Vec<(i64, Clause)>) -> Result<Vec<Clause>> {
    let mut sections = Vec::new();
    // The open clauses, outermost first.
    let mut open: Vec<Clause> = Vec::new();
    let close = |open: &mut Vec<Clause>, sections: &mut Vec<Clause>| {
        if let Some(done) = open.pop() {
            match open.last_mut() {
                Some(parent) => parent.children.push(done),
                None => sections.push(done),
            }
        }
    };
    for (depth, clause) in rows {
        let depth = usize::try_from(depth).map_err(|_| decode("depth"))?;
        if depth > open.len() {
            return Err(decode("depth"));
        }
        while open.len() > depth {
            close(&mut open, &mut sections);
        }
        open.push(clause);
    }
    while !open.is_empty() {
        close(&mut open, &mut sections);
    }
    Ok(sections)
}

fn civil(date: Option<CivilDate>) -> Option<String> {
    date.map(|d| d.to_string())
}

/// What every audit record of a version carries.
fn detail(policy: &Policy, version: &VersionInfo) -> serde_json::Value {
    serde_json::json!({
        "title": policy.title,
        "tier": policy.tier.as_str(),
        "version": version.number,
        "state": version.state.as_str(),
        "effective_from": version.effective_from.map(|d| d.to_string()),
        "sections": version.sections,
        "clauses": version.clauses,
    })
}

impl SqlStore {
    async fn fetch_policy(&self, id: PolicyId) -> Result<Option<Policy>> {
        sqlx::query(&format!("{POLICY_SELECT} WHERE p.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(policy_from)
            .transpose()
    }

    async fn fetch_version_info(&self, id: PolicyId, number: i64) -> Result<Option<VersionInfo>> {
        sqlx::query(&format!(
            "{VERSION_SELECT} WHERE v.policy_id = $1 AND v.number = $2"
        ))
        .bind(id.0)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(version_from)
        .transpose()
    }

    /// Writes a version's clauses and 附則 (its old ones removed first).
    async fn write_text(
        &self,
        write: &mut Write,
        version_id: i64,
        text: &PolicyText,
    ) -> Result<()> {
        for table in ["policy_clauses", "policy_supplementary"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE version_id = $1"))
                .bind(version_id)
                .execute(&mut *write.tx)
                .await?;
        }
        let mut flat = Vec::new();
        for section in &text.sections {
            flatten(section, 0, &mut flat);
        }
        for (ord, (depth, clause)) in flat.into_iter().enumerate() {
            sqlx::query(
                "INSERT INTO policy_clauses (version_id, ord, depth, anchor, number, title, body, line) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(version_id)
            .bind(ord as i64)
            .bind(depth)
            .bind(&clause.anchor)
            .bind(&clause.number)
            .bind(clause.title.as_deref())
            .bind(&clause.text)
            .bind(clause.line as i64)
            .execute(&mut *write.tx)
            .await?;
        }
        for (ord, supplementary) in text.supplementary.iter().enumerate() {
            sqlx::query(
                "INSERT INTO policy_supplementary (version_id, ord, effective_from, body, line) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(version_id)
            .bind(ord as i64)
            .bind(civil(supplementary.effective_from))
            .bind(&supplementary.text)
            .bind(supplementary.line as i64)
            .execute(&mut *write.tx)
            .await?;
        }
        Ok(())
    }

    /// Seals the record of a change to a version, read back inside the transaction.
    async fn commit_version(
        &self,
        mut write: Write,
        id: PolicyId,
        number: i64,
        action: &str,
        origin: &Origin,
        extra: serde_json::Value,
    ) -> Result<VersionInfo> {
        let policy = sqlx::query(&format!("{POLICY_SELECT} WHERE p.id = $1"))
            .bind(id.0)
            .fetch_one(&mut *write.tx)
            .await?;
        let policy = policy_from(&policy)?;
        let row = sqlx::query(&format!(
            "{VERSION_SELECT} WHERE v.policy_id = $1 AND v.number = $2"
        ))
        .bind(id.0)
        .bind(number)
        .fetch_one(&mut *write.tx)
        .await?;
        let version = version_from(&row)?;
        let mut detail = detail(&policy, &version);
        if let (Some(map), serde_json::Value::Object(more)) = (detail.as_object_mut(), extra) {
            map.extend(more);
        }
        let event = origin.event(action, "policy", id).with_detail(detail);
        self.commit(write, event).await?;
        Ok(version)
    }

    /// The stored id, state and editor of a version.
    async fn version_row(
        &self,
        write: &mut Write,
        id: PolicyId,
        number: i64,
    ) -> Result<(i64, VersionState, Option<i64>)> {
        let row = sqlx::query(
            "SELECT id, state, editor_id FROM policy_versions WHERE policy_id = $1 AND number = $2",
        )
        .bind(id.0)
        .bind(number)
        .fetch_optional(&mut *write.tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let state: String = row.try_get("state")?;
        Ok((
            row.try_get("id")?,
            VersionState::parse(&state).ok_or_else(|| decode("state"))?,
            opt_id(&row, "editor_id")?,
        ))
    }

    /// Puts a version in force from today: the one in force until now is superseded.
    async fn supersede_others(
        &self,
        write: &mut Write,
        id: PolicyId,
        number: i64,
    ) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "UPDATE policy_versions SET state = 'superseded', updated_at = $3 \
             WHERE policy_id = $1 AND number <> $2 AND state = 'effective' RETURNING number",
        )
        .bind(id.0)
        .bind(number)
        .bind(write.at_ms)
        .fetch_all(&mut *write.tx)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("number")?))
            .collect()
    }

    fn today(&self, write: &Write) -> Result<NaiveDate> {
        jst_date(write.at_ms).ok_or(StoreError::Unsupported("the clock is out of range"))
    }
}

#[async_trait::async_trait]
impl PolicyStore for SqlStore {
    async fn policies(&self) -> Result<Vec<Policy>> {
        sqlx::query(&format!(
            "{POLICY_SELECT} ORDER BY o.name, p.tier = 'procedure', p.tier = 'standard', p.title, p.id"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(policy_from)
        .collect()
    }

    async fn policy(&self, id: PolicyId) -> Result<Option<Policy>> {
        self.fetch_policy(id).await
    }

    async fn organisation_codes(&self) -> Result<Vec<(OrgId, String)>> {
        sqlx::query("SELECT id, code FROM organisations ORDER BY code")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((OrgId(r.try_get("id")?), r.try_get("code")?)))
            .collect()
    }

    async fn find_policy(&self, org: OrgId, tier: Tier, title: &str) -> Result<Option<Policy>> {
        sqlx::query(&format!(
            "{POLICY_SELECT} WHERE p.org_id = $1 AND p.tier = $2 AND p.title = $3"
        ))
        .bind(org.0)
        .bind(tier.as_str())
        .bind(title)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(policy_from)
        .transpose()
    }

    async fn versions(&self, id: PolicyId) -> Result<Vec<VersionInfo>> {
        sqlx::query(&format!(
            "{VERSION_SELECT} WHERE v.policy_id = $1 ORDER BY v.number DESC"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(version_from)
        .collect()
    }

    async fn version(&self, id: PolicyId, number: i64) -> Result<Option<PolicyVersion>> {
        let Some(info) = self.fetch_version_info(id, number).await? else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT id, source, doc_title, preamble FROM policy_versions \
             WHERE policy_id = $1 AND number = $2",
        )
        .bind(id.0)
        .bind(number)
        .fetch_one(&self.pool)
        .await?;
        let version_id: i64 = row.try_get("id")?;
        let clauses = sqlx::query(
            "SELECT depth, anchor, number, title, body, line FROM policy_clauses \
             WHERE version_id = $1 ORDER BY ord",
        )
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("depth")?,
                Clause {
                    anchor: r.try_get("anchor")?,
                    number: r.try_get("number")?,
                    title: r.try_get("title")?,
                    text: r.try_get("body")?,
                    children: Vec::new(),
                    line: usize::try_from(r.try_get::<i64, _>("line")?)
                        .map_err(|_| decode("line"))?,
                },
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let supplementary = sqlx::query(
            "SELECT effective_from, body, line FROM policy_supplementary \
             WHERE version_id = $1 ORDER BY ord",
        )
        .bind(version_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let date = date_of(r.try_get("effective_from")?)?;
            Ok(Supplementary {
                effective_from: date.and_then(|d| {
                    use chrono::Datelike;
                    CivilDate::new(d.year(), d.month(), d.day())
                }),
                text: r.try_get("body")?,
                line: usize::try_from(r.try_get::<i64, _>("line")?).map_err(|_| decode("line"))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let preamble: String = row.try_get("preamble")?;
        Ok(Some(PolicyVersion {
            info,
            source: row.try_get("source")?,
            text: PolicyText {
                title: row.try_get("doc_title")?,
                preamble: if preamble.is_empty() {
                    Vec::new()
                } else {
                    preamble.split('\n').map(str::to_owned).collect()
                },
                sections: rebuild(clauses)?,
                supplementary,
            },
        }))
    }

    async fn create_policy(
        &self,
        author: Author<'_>,
        input: NewPolicy,
        text: PolicySource<'_>,
        origin: &Origin,
    ) -> Result<(Policy, VersionInfo)> {
        let mut write = self.begin_write().await?;
        let org = sqlx::query("SELECT id FROM organisations WHERE id = $1")
            .bind(input.org_id.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if org.is_none() {
            return Err(StoreError::Conflict(Conflict::PolicyOrganisationMissing));
        }
        let row = sqlx::query(
            "INSERT INTO policies (org_id, tier, title, approver_role, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(input.org_id.0)
        .bind(input.tier.as_str())
        .bind(&input.title)
        .bind(input.approver_role.as_str())
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::PolicyTitleTaken))?;
        let id = PolicyId(row.try_get("id")?);
        self.insert_version(&mut write, author, id, 1, text).await?;
        let version = self
            .commit_version(write, id, 1, "policy.create", origin, serde_json::json!({}))
            .await?;
        let policy = self.fetch_policy(id).await?.ok_or(StoreError::NotFound)?;
        Ok((policy, version))
    }

    async fn save_draft(
        &self,
        author: Author<'_>,
        id: PolicyId,
        text: PolicySource<'_>,
        origin: &Origin,
    ) -> Result<VersionInfo> {
        let mut write = self.begin_write().await?;
        let open = sqlx::query(
            "SELECT id, number, state FROM policy_versions \
             WHERE policy_id = $1 AND state IN ('draft', 'in_review')",
        )
        .bind(id.0)
        .fetch_optional(&mut *write.tx)
        .await?;
        let number = match open {
            Some(row) => {
                let state: String = row.try_get("state")?;
                if state != VersionState::Draft.as_str() {
                    return Err(StoreError::Conflict(Conflict::PolicyInReview));
                }
                let version_id: i64 = row.try_get("id")?;
                sqlx::query(
                    "UPDATE policy_versions SET source = $1, doc_title = $2, preamble = $3, \
                     editor_id = $4, updated_at = $5 WHERE id = $6",
                )
                .bind(text.source)
                .bind(&text.text.title)
                .bind(text.text.preamble.join("\n"))
                .bind(author.account().map(|u| u.0))
                .bind(write.at_ms)
                .bind(version_id)
                .execute(&mut *write.tx)
                .await?;
                self.write_text(&mut write, version_id, text.text).await?;
                row.try_get::<i64, _>("number")?
            }
            None => {
                let latest = sqlx::query(
                    "SELECT MAX(number) AS latest FROM policy_versions WHERE policy_id = $1",
                )
                .bind(id.0)
                .fetch_one(&mut *write.tx)
                .await?;
                let Some(latest) = opt_id(&latest, "latest")? else {
                    return Err(StoreError::NotFound);
                };
                self.insert_version(&mut write, author, id, latest + 1, text)
                    .await?;
                latest + 1
            }
        };
        self.commit_version(
            write,
            id,
            number,
            "policy.version.save",
            origin,
            serde_json::json!({}),
        )
        .await
    }

    async fn step_version(
        &self,
        _: &Granted<ManagePolicies>,
        id: PolicyId,
        number: i64,
        step: Step,
        origin: &Origin,
    ) -> Result<VersionInfo> {
        let (from, to, action) = match step {
            Step::Submit => (
                VersionState::Draft,
                VersionState::InReview,
                "policy.version.submit",
            ),
            Step::Return => (
                VersionState::InReview,
                VersionState::Draft,
                "policy.version.return",
            ),
            Step::Edit | Step::Approve => {
                return Err(StoreError::Conflict(Conflict::PolicyWrongState));
            }
        };
        let mut write = self.begin_write().await?;
        let (version_id, state, _) = self.version_row(&mut write, id, number).await?;
        if state != from {
            return Err(StoreError::Conflict(Conflict::PolicyWrongState));
        }
        sqlx::query("UPDATE policy_versions SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(to.as_str())
            .bind(write.at_ms)
            .bind(version_id)
            .execute(&mut *write.tx)
            .await?;
        if matches!(step, Step::Submit) {
            let policy = sqlx::query("SELECT title, approver_role FROM policies WHERE id = $1")
                .bind(id.0)
                .fetch_one(&mut *write.tx)
                .await?;
            let role: String = policy.try_get("approver_role")?;
            let audience = Audience {
                roles: vec![Role::parse(&role).unwrap_or(Role::Ciso)],
                managers_of: None,
            };
            let title = format!("{} (v{number})", policy.try_get::<String, _>("title")?);
            self.notify_in(
                &mut write,
                audience,
                NoticeKind::VersionInReview,
                &title,
                &format!("/policies/{}/versions/{number}", id.0),
            )
            .await?;
        }
        self.commit_version(write, id, number, action, origin, serde_json::json!({}))
            .await
    }

    async fn approve_version(
        &self,
        grant: &Granted<ApprovePolicy>,
        id: PolicyId,
        number: i64,
        effective_from: NaiveDate,
        origin: &Origin,
    ) -> Result<VersionInfo> {
        let mut write = self.begin_write().await?;
        let (version_id, state, editor) = self.version_row(&mut write, id, number).await?;
        if state != VersionState::InReview {
            return Err(StoreError::Conflict(Conflict::PolicyWrongState));
        }
        // Segregation of duties, again where the data is: the grant was made for some version,
        // and this one must not be the approver's own edit.
        if let Some(editor) = editor {
            let same = sqlx::query(
                "SELECT 1 AS same FROM users a JOIN users e ON e.person_id = a.person_id \
                 WHERE a.id = $1 AND e.id = $2",
            )
            .bind(grant.actor().0)
            .bind(editor)
            .fetch_optional(&mut *write.tx)
            .await?;
            if editor == grant.actor().0 || same.is_some() {
                return Err(StoreError::Conflict(Conflict::PolicySelfApproval));
            }
        }
        let state = approved_state(effective_from, self.today(&write)?);
        sqlx::query(
            "UPDATE policy_versions SET state = $1, effective_from = $2, approver_id = $3, \
             approved_at = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(effective_from.to_string())
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .bind(version_id)
        .execute(&mut *write.tx)
        .await?;
        let superseded = if state == VersionState::Effective {
            self.supersede_others(&mut write, id, number).await?
        } else {
            Vec::new()
        };
        self.commit_version(
            write,
            id,
            number,
            "policy.version.approve",
            origin,
            serde_json::json!({"superseded": superseded}),
        )
        .await
    }

    async fn bring_into_force(&self, origin: &Origin) -> Result<Vec<(PolicyId, i64)>> {
        let mut done = Vec::new();
        loop {
            let mut write = self.begin_write().await?;
            let today = self.today(&write)?;
            let Some(row) = sqlx::query(
                "SELECT id, policy_id, number FROM policy_versions \
                 WHERE state = 'approved' AND effective_from <= $1 \
                 ORDER BY effective_from, policy_id, number LIMIT 1",
            )
            .bind(today.to_string())
            .fetch_optional(&mut *write.tx)
            .await?
            else {
                // Nothing is due: the transaction ends without a record (and without its place
                // in the chain).
                write.tx.rollback().await?;
                return Ok(done);
            };
            let id = PolicyId(row.try_get("policy_id")?);
            let number: i64 = row.try_get("number")?;
            sqlx::query(
                "UPDATE policy_versions SET state = 'effective', updated_at = $1 WHERE id = $2",
            )
            .bind(write.at_ms)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *write.tx)
            .await?;
            let superseded = self.supersede_others(&mut write, id, number).await?;
            self.commit_version(
                write,
                id,
                number,
                "policy.version.effective",
                origin,
                serde_json::json!({"superseded": superseded}),
            )
            .await?;
            done.push((id, number));
        }
    }

    async fn acknowledge(
        &self,
        grant: &Granted<AcknowledgePolicy>,
        id: PolicyId,
        number: i64,
        origin: &Origin,
    ) -> Result<i64> {
        let mut write = self.begin_write().await?;
        let (version_id, state, _) = self.version_row(&mut write, id, number).await?;
        if state != VersionState::Effective {
            return Err(StoreError::Conflict(Conflict::PolicyWrongState));
        }
        sqlx::query(
            "INSERT INTO policy_acknowledgements (version_id, person_id, user_id, at_ms) \
             SELECT $1, person_id, id, $3 FROM users WHERE id = $2",
        )
        .bind(version_id)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::PolicyAlreadyAcknowledged))?;
        let at = write.at_ms;
        self.commit_version(
            write,
            id,
            number,
            "policy.acknowledge",
            origin,
            serde_json::json!({}),
        )
        .await?;
        Ok(at)
    }

    async fn acknowledged_at(
        &self,
        person: PersonId,
        id: PolicyId,
        number: i64,
    ) -> Result<Option<i64>> {
        Ok(sqlx::query(
            "SELECT a.at_ms FROM policy_acknowledgements a \
             JOIN policy_versions v ON v.id = a.version_id \
             WHERE a.person_id = $1 AND v.policy_id = $2 AND v.number = $3",
        )
        .bind(person.0)
        .bind(id.0)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get("at_ms"))
        .transpose()?)
    }

    async fn acknowledgement_progress(
        &self,
        _: &Granted<ViewAcknowledgements>,
        id: PolicyId,
        number: i64,
    ) -> Result<Vec<AckProgress>> {
        let rows = sqlx::query(
            "SELECT p.unit_id, un.name AS unit_name, COUNT(*) AS people, \
             COUNT(a.person_id) AS confirmed \
             FROM policies d JOIN policy_versions v ON v.policy_id = d.id AND v.number = $2 \
             JOIN people p ON p.org_id = d.org_id AND p.external = 0 \
             JOIN users u ON u.person_id = p.id AND u.disabled = 0 \
             LEFT JOIN units un ON un.id = p.unit_id \
             LEFT JOIN policy_acknowledgements a ON a.version_id = v.id AND a.person_id = p.id \
             WHERE d.id = $1 GROUP BY p.unit_id, un.name ORDER BY un.name, p.unit_id",
        )
        .bind(id.0)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AckProgress {
                    unit_id: opt_id(r, "unit_id")?.map(UnitId),
                    unit_name: r
                        .try_get::<Option<String>, _>("unit_name")?
                        .unwrap_or_default(),
                    people: r.try_get("people")?,
                    confirmed: r.try_get("confirmed")?,
                })
            })
            .collect()
    }

    async fn unacknowledged(
        &self,
        _: &Granted<ViewAcknowledgements>,
        id: PolicyId,
        number: i64,
        unit: Option<UnitId>,
    ) -> Result<Vec<(PersonId, String)>> {
        let rows = sqlx::query(
            "SELECT p.id, p.name FROM policies d \
             JOIN policy_versions v ON v.policy_id = d.id AND v.number = $2 \
             JOIN people p ON p.org_id = d.org_id AND p.external = 0 \
             JOIN users u ON u.person_id = p.id AND u.disabled = 0 \
             WHERE d.id = $1 AND (p.unit_id = $3 OR (p.unit_id IS NULL AND $4 = 1)) \
             AND NOT EXISTS (SELECT 1 FROM policy_acknowledgements a \
                             WHERE a.version_id = v.id AND a.person_id = p.id) \
             ORDER BY p.name, p.id",
        )
        .bind(id.0)
        .bind(number)
        .bind(unit.map_or(0, |u| u.0))
        .bind(i64::from(unit.is_none()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((PersonId(r.try_get("id")?), r.try_get("name")?)))
            .collect()
    }
}

impl SqlStore {
    async fn insert_version(
        &self,
        write: &mut Write,
        author: Author<'_>,
        id: PolicyId,
        number: i64,
        text: PolicySource<'_>,
    ) -> Result<()> {
        let row = sqlx::query(
            "INSERT INTO policy_versions (policy_id, number, state, source, doc_title, preamble, \
             editor_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING id",
        )
        .bind(id.0)
        .bind(number)
        .bind(VersionState::Draft.as_str())
        .bind(text.source)
        .bind(&text.text.title)
        .bind(text.text.preamble.join("\n"))
        .bind(author.account().map(|u| u.0))
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::PolicyInReview))?;
        let version_id: i64 = row.try_get("id")?;
        self.write_text(write, version_id, text.text).await
    }
}
