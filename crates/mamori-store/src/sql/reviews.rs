//! 見直し on SQL: each review with the audits, self-inspections and risks it considered, and the
//! policy versions it led to (read from either side).

use std::collections::HashMap;

use mamori_core::authz::{Granted, ManageReviews};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, date_column, day};
use crate::{
    CitedIncident, Conflict, NewReview, Origin, PolicyReview, Result, ReviewId, ReviewInput,
    ReviewInputKind, ReviewStore, ReviewVersion, StoreError,
};

const REVIEW_SELECT: &str = "SELECT r.id, r.title, r.held_on, r.environment, r.decisions, \
     u.username AS created_name, r.created_at \
     FROM policy_reviews r LEFT JOIN users u ON u.id = r.created_by";

/// The table and title column an input of each kind is read from.
fn source(kind: ReviewInputKind) -> (&'static str, &'static str) {
    match kind {
        ReviewInputKind::Audit => ("security_audits", "title"),
        ReviewInputKind::Inspection => ("inspections", "title"),
        ReviewInputKind::Risk => ("risks", "title"),
        ReviewInputKind::Incident => ("incidents", "title"),
    }
}

fn review_from(row: &AnyRow) -> Result<PolicyReview> {
    Ok(PolicyReview {
        id: ReviewId(row.try_get("id")?),
        title: row.try_get("title")?,
        held_on: date_column(row, "held_on")?,
        environment: row.try_get("environment")?,
        decisions: row.try_get("decisions")?,
        inputs: Vec::new(),
        incidents: Vec::new(),
        versions: Vec::new(),
        created_by_name: row.try_get("created_name")?,
        created_at: row.try_get("created_at")?,
    })
}

impl SqlStore {
    /// Fills each review's inputs (with their titles) and versions.
    async fn review_links(
        &self,
        db: &mut sqlx::AnyConnection,
        mut reviews: Vec<PolicyReview>,
    ) -> Result<Vec<PolicyReview>> {
        let index: HashMap<i64, usize> = reviews
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.0, i))
            .collect();
        for kind in ReviewInputKind::ALL {
            let (table, title) = source(kind);
            let sql = format!(
                "SELECT i.review_id, i.ref_id, t.{title} AS title FROM policy_review_inputs i \
                 JOIN {table} t ON t.id = i.ref_id WHERE i.kind = $1 ORDER BY i.review_id, i.ref_id"
            );
            for row in sqlx::query(&sql)
                .bind(kind.as_str())
                .fetch_all(&mut *db)
                .await?
            {
                if let Some(&i) = index.get(&row.try_get::<i64, _>("review_id")?) {
                    reviews[i].inputs.push(ReviewInput {
                        kind,
                        id: row.try_get("ref_id")?,
                        title: row.try_get("title")?,
                    });
                }
            }
        }
        for row in sqlx::query(
            "SELECT i.review_id, t.id, t.title, t.severity, t.lessons FROM policy_review_inputs i \
             JOIN incidents t ON t.id = i.ref_id WHERE i.kind = 'incident' \
             ORDER BY i.review_id, i.ref_id",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("review_id")?) {
                let severity: Option<String> = row.try_get("severity")?;
                reviews[i].incidents.push(CitedIncident {
                    id: row.try_get("id")?,
                    title: row.try_get("title")?,
                    severity: severity.and_then(|s| mamori_core::risk::Level::parse(&s)),
                    lessons: row.try_get("lessons")?,
                });
            }
        }
        for row in sqlx::query(
            "SELECT v.review_id, v.policy_id, p.title, v.version FROM policy_review_versions v \
             JOIN policies p ON p.id = v.policy_id ORDER BY v.review_id, v.policy_id, v.version",
        )
        .fetch_all(&mut *db)
        .await?
        {
            if let Some(&i) = index.get(&row.try_get::<i64, _>("review_id")?) {
                reviews[i].versions.push(ReviewVersion {
                    policy: row.try_get("policy_id")?,
                    title: row.try_get("title")?,
                    version: row.try_get("version")?,
                });
            }
        }
        Ok(reviews)
    }

    /// A review cites an incident once it is closed.
    async fn check_closed(&self, write: &mut Write, incident: i64) -> Result<()> {
        let row = sqlx::query("SELECT closed_at FROM incidents WHERE id = $1")
            .bind(incident)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::Conflict(Conflict::ReviewInputMissing))?;
        if row.try_get::<Option<i64>, _>("closed_at")?.is_none() {
            return Err(StoreError::Conflict(Conflict::ReviewIncidentOpen));
        }
        Ok(())
    }

    async fn review_in(&self, write: &mut Write, id: ReviewId) -> Result<PolicyReview> {
        let row = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let review = review_from(&row)?;
        self.review_links(&mut write.tx, vec![review])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

#[async_trait::async_trait]
impl ReviewStore for SqlStore {
    async fn reviews(&self) -> Result<Vec<PolicyReview>> {
        let reviews = sqlx::query(&format!(
            "{REVIEW_SELECT} ORDER BY r.held_on DESC, r.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(review_from)
        .collect::<Result<Vec<_>>>()?;
        self.review_links(&mut *self.pool.acquire().await?, reviews)
            .await
    }

    async fn review(&self, id: ReviewId) -> Result<Option<PolicyReview>> {
        let Some(row) = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let review = review_from(&row)?;
        Ok(self
            .review_links(&mut *self.pool.acquire().await?, vec![review])
            .await?
            .pop())
    }

    async fn create_review(
        &self,
        grant: &Granted<ManageReviews>,
        review: NewReview,
        origin: &Origin,
    ) -> Result<PolicyReview> {
        let mut write = self.begin_write().await?;
        let mut inputs = review.inputs.clone();
        inputs.sort_unstable();
        inputs.dedup();
        for (kind, id) in &inputs {
            let (table, _) = source(*kind);
            let found = sqlx::query(&format!("SELECT id FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *write.tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::Conflict(Conflict::ReviewInputMissing));
            }
            if *kind == ReviewInputKind::Incident {
                self.check_closed(&mut write, *id).await?;
            }
        }
        let row = sqlx::query(
            "INSERT INTO policy_reviews (title, held_on, environment, decisions, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&review.title)
        .bind(day(review.held_on))
        .bind(&review.environment)
        .bind(&review.decisions)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await?;
        let id = ReviewId(row.try_get("id")?);
        for (kind, ref_id) in &inputs {
            sqlx::query(
                "INSERT INTO policy_review_inputs (review_id, kind, ref_id) VALUES ($1, $2, $3)",
            )
            .bind(id.0)
            .bind(kind.as_str())
            .bind(ref_id)
            .execute(&mut *write.tx)
            .await?;
        }
        let stored = self.review_in(&mut write, id).await?;
        let event = origin
            .event("review.create", "review", id)
            .with_detail(serde_json::json!({
                "title": review.title,
                "inputs": inputs
                    .iter()
                    .map(|(k, i)| format!("{}:{i}", k.as_str()))
                    .collect::<Vec<_>>(),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn link_review_version(
        &self,
        _: &Granted<ManageReviews>,
        id: ReviewId,
        policy: i64,
        version: i64,
        origin: &Origin,
    ) -> Result<PolicyReview> {
        let mut write = self.begin_write().await?;
        self.review_in(&mut write, id).await?;
        let found =
            sqlx::query("SELECT id FROM policy_versions WHERE policy_id = $1 AND number = $2")
                .bind(policy)
                .bind(version)
                .fetch_optional(&mut *write.tx)
                .await?;
        if found.is_none() {
            return Err(StoreError::Conflict(Conflict::ReviewVersionMissing));
        }
        sqlx::query(
            "INSERT INTO policy_review_versions (review_id, policy_id, version) \
             VALUES ($1, $2, $3) ON CONFLICT (review_id, policy_id, version) DO NOTHING",
        )
        .bind(id.0)
        .bind(policy)
        .bind(version)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.review_in(&mut write, id).await?;
        let event = origin
            .event("review.version", "review", id)
            .with_detail(serde_json::json!({"policy": policy, "version": version}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn reviews_of_version(
        &self,
        policy: i64,
        version: i64,
    ) -> Result<Vec<(ReviewId, String)>> {
        sqlx::query(
            "SELECT r.id, r.title FROM policy_review_versions v \
             JOIN policy_reviews r ON r.id = v.review_id \
             WHERE v.policy_id = $1 AND v.version = $2 ORDER BY r.held_on, r.id",
        )
        .bind(policy)
        .bind(version)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((ReviewId(row.try_get("id")?), row.try_get("title")?)))
        .collect()
    }

    async fn cite_review_incidents(
        &self,
        _: &Granted<ManageReviews>,
        id: ReviewId,
        incidents: &[i64],
        origin: &Origin,
    ) -> Result<PolicyReview> {
        let mut write = self.begin_write().await?;
        self.review_in(&mut write, id).await?;
        let mut incidents = incidents.to_vec();
        incidents.sort_unstable();
        incidents.dedup();
        for incident in &incidents {
            self.check_closed(&mut write, *incident).await?;
            sqlx::query(
                "INSERT INTO policy_review_inputs (review_id, kind, ref_id) \
                 VALUES ($1, 'incident', $2) ON CONFLICT (review_id, kind, ref_id) DO NOTHING",
            )
            .bind(id.0)
            .bind(incident)
            .execute(&mut *write.tx)
            .await?;
        }
        let stored = self.review_in(&mut write, id).await?;
        let event = origin
            .event("review.incidents", "review", id)
            .with_detail(serde_json::json!({"incidents": incidents}));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn reviews_citing_incident(&self, incident: i64) -> Result<Vec<(ReviewId, String)>> {
        sqlx::query(
            "SELECT r.id, r.title FROM policy_review_inputs i \
             JOIN policy_reviews r ON r.id = i.review_id \
             WHERE i.kind = 'incident' AND i.ref_id = $1 ORDER BY r.held_on, r.id",
        )
        .bind(incident)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((ReviewId(row.try_get("id")?), row.try_get("title")?)))
        .collect()
    }
}
