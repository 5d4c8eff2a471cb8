//! Social-media accounts on SQL: each account with its responsible person (whose unit is the
//! account's place, and whose disabled account leaves it without one) and its reviews.

use std::collections::HashMap;

use chrono::NaiveDate;
use mamori_core::authz::{Granted, ManageSocialAccounts, ReviewSocialAccount};
use mamori_core::{OrgId, PersonId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{SqlStore, Write, conflict, date_column, day, day_of, opt_id};
use crate::{
    Conflict, Origin, Result, SocialAccount, SocialAccountId, SocialAccountInput, SocialReview,
    SocialStore, StoreError,
};

const ACCOUNT_SELECT: &str = "SELECT s.id, s.platform, s.account_name, s.url, s.owner_id, \
     p.name AS owner_name, COALESCE(ou.disabled, 0) AS owner_disabled, p.unit_id, \
     un.name AS unit_name, un.org_id, s.rules, s.two_factor, s.review_months, \
     s.last_reviewed_on, s.created_at, s.updated_at \
     FROM social_accounts s LEFT JOIN people p ON p.id = s.owner_id \
     LEFT JOIN users ou ON ou.person_id = p.id LEFT JOIN units un ON un.id = p.unit_id";

fn account_from(row: &AnyRow) -> Result<SocialAccount> {
    let last: Option<String> = row.try_get("last_reviewed_on")?;
    let months: i64 = row.try_get("review_months")?;
    Ok(SocialAccount {
        id: SocialAccountId(row.try_get("id")?),
        platform: row.try_get("platform")?,
        account_name: row.try_get("account_name")?,
        url: row.try_get("url")?,
        owner: opt_id(row, "owner_id")?.map(PersonId),
        owner_name: row.try_get("owner_name")?,
        owner_disabled: row.try_get::<i64, _>("owner_disabled")? != 0,
        unit: opt_id(row, "unit_id")?.map(UnitId),
        unit_name: row.try_get("unit_name")?,
        org: opt_id(row, "org_id")?.map(OrgId),
        rules: row.try_get("rules")?,
        two_factor: row.try_get::<i64, _>("two_factor")? != 0,
        review_months: u32::try_from(months).map_err(|_| {
            StoreError::Database(sqlx::Error::Decode(
                "invalid review_months in the social-media accounts".into(),
            ))
        })?,
        last_reviewed_on: last.map(|d| day_of(&d, "last_reviewed_on")).transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        reviews: Vec::new(),
    })
}

/// Fills each account's reviews, newest first.
async fn fill(
    db: &mut AnyConnection,
    mut accounts: Vec<SocialAccount>,
    only: Option<SocialAccountId>,
) -> Result<Vec<SocialAccount>> {
    let index: HashMap<i64, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.0, i))
        .collect();
    for row in sqlx::query(
        "SELECT r.id, r.account_id, r.reviewed_on, r.note, r.at_ms, u.username AS by_name \
         FROM social_reviews r LEFT JOIN users u ON u.id = r.user_id \
         WHERE $1 = 0 OR r.account_id = $1 ORDER BY r.account_id, r.reviewed_on DESC, r.id DESC",
    )
    .bind(only.map_or(0, |a| a.0))
    .fetch_all(&mut *db)
    .await?
    {
        if let Some(&i) = index.get(&row.try_get::<i64, _>("account_id")?) {
            accounts[i].reviews.push(SocialReview {
                id: row.try_get("id")?,
                reviewed_on: date_column(&row, "reviewed_on")?,
                note: row.try_get("note")?,
                by_name: row.try_get("by_name")?,
                at_ms: row.try_get("at_ms")?,
            });
        }
    }
    Ok(accounts)
}

fn detail(input: &SocialAccountInput) -> serde_json::Value {
    serde_json::json!({
        "platform": input.platform,
        "account_name": input.account_name,
        "url": input.url,
        "owner": input.owner.0,
        "rules": input.rules,
        "two_factor": input.two_factor,
        "review_months": input.review_months,
        "last_reviewed_on": input.last_reviewed_on.map(day),
    })
}

impl SqlStore {
    async fn social_in(&self, write: &mut Write, id: SocialAccountId) -> Result<SocialAccount> {
        let row = sqlx::query(&format!("{ACCOUNT_SELECT} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *write.tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let account = account_from(&row)?;
        fill(&mut write.tx, vec![account], Some(id))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn check_owner(&self, write: &mut Write, owner: PersonId) -> Result<()> {
        let found = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(owner.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::Conflict(Conflict::SocialOwnerMissing)),
        }
    }
}

/// The later of two optional days.
fn later(a: Option<NaiveDate>, b: Option<NaiveDate>) -> Option<NaiveDate> {
    a.max(b)
}

#[async_trait::async_trait]
impl SocialStore for SqlStore {
    async fn social_accounts(&self) -> Result<Vec<SocialAccount>> {
        let mut db = self.pool.acquire().await?;
        let accounts = sqlx::query(&format!(
            "{ACCOUNT_SELECT} ORDER BY s.platform, s.account_name, s.id"
        ))
        .fetch_all(&mut *db)
        .await?
        .iter()
        .map(account_from)
        .collect::<Result<Vec<_>>>()?;
        fill(&mut db, accounts, None).await
    }

    async fn social_account(&self, id: SocialAccountId) -> Result<Option<SocialAccount>> {
        let mut db = self.pool.acquire().await?;
        let Some(row) = sqlx::query(&format!("{ACCOUNT_SELECT} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *db)
            .await?
        else {
            return Ok(None);
        };
        let account = account_from(&row)?;
        Ok(fill(&mut db, vec![account], Some(id)).await?.pop())
    }

    async fn create_social_account(
        &self,
        _: &Granted<ManageSocialAccounts>,
        input: SocialAccountInput,
        origin: &Origin,
    ) -> Result<SocialAccount> {
        let mut write = self.begin_write().await?;
        self.check_owner(&mut write, input.owner).await?;
        let row = sqlx::query(
            "INSERT INTO social_accounts (platform, account_name, url, owner_id, rules, \
             two_factor, review_months, last_reviewed_on, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(&input.platform)
        .bind(&input.account_name)
        .bind(&input.url)
        .bind(input.owner.0)
        .bind(&input.rules)
        .bind(i64::from(input.two_factor))
        .bind(i64::from(input.review_months))
        .bind(input.last_reviewed_on.map(day))
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::SocialAccountTaken))?;
        let id = SocialAccountId(row.try_get("id")?);
        let stored = self.social_in(&mut write, id).await?;
        let event = origin
            .event("social.create", "social_account", id)
            .in_unit(stored.unit)
            .with_detail(detail(&input));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn update_social_account(
        &self,
        _: &Granted<ManageSocialAccounts>,
        id: SocialAccountId,
        input: SocialAccountInput,
        origin: &Origin,
    ) -> Result<SocialAccount> {
        let mut write = self.begin_write().await?;
        let before = self.social_in(&mut write, id).await?;
        self.check_owner(&mut write, input.owner).await?;
        sqlx::query(
            "UPDATE social_accounts SET platform = $1, account_name = $2, url = $3, \
             owner_id = $4, rules = $5, two_factor = $6, review_months = $7, \
             last_reviewed_on = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&input.platform)
        .bind(&input.account_name)
        .bind(&input.url)
        .bind(input.owner.0)
        .bind(&input.rules)
        .bind(i64::from(input.two_factor))
        .bind(i64::from(input.review_months))
        .bind(later(input.last_reviewed_on, before.last_reviewed_on).map(day))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::SocialAccountTaken))?;
        let stored = self.social_in(&mut write, id).await?;
        let event = origin
            .event("social.update", "social_account", id)
            .in_unit(stored.unit)
            .with_detail(serde_json::json!({
                "before": detail(&SocialAccountInput {
                    platform: before.platform.clone(),
                    account_name: before.account_name.clone(),
                    url: before.url.clone(),
                    owner: before.owner.unwrap_or(PersonId(0)),
                    rules: before.rules.clone(),
                    two_factor: before.two_factor,
                    review_months: before.review_months,
                    last_reviewed_on: before.last_reviewed_on,
                }),
                "after": detail(&input),
            }));
        self.commit(write, event).await?;
        Ok(stored)
    }

    async fn record_social_review(
        &self,
        grant: &Granted<ReviewSocialAccount>,
        id: SocialAccountId,
        reviewed_on: NaiveDate,
        note: &str,
        origin: &Origin,
    ) -> Result<SocialAccount> {
        let mut write = self.begin_write().await?;
        let before = self.social_in(&mut write, id).await?;
        sqlx::query(
            "INSERT INTO social_reviews (account_id, reviewed_on, note, user_id, at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0)
        .bind(day(reviewed_on))
        .bind(note)
        .bind(grant.actor().0)
        .bind(write.at_ms)
        .execute(&mut *write.tx)
        .await?;
        sqlx::query(
            "UPDATE social_accounts SET last_reviewed_on = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(later(before.last_reviewed_on, Some(reviewed_on)).map(day))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let stored = self.social_in(&mut write, id).await?;
        let event = origin
            .event("social.review", "social_account", id)
            .in_unit(before.unit)
            .with_detail(serde_json::json!({"reviewed_on": day(reviewed_on), "note": note}));
        self.commit(write, event).await?;
        Ok(stored)
    }
}
