//! お知らせ and the mail outbox on SQL. Notices of a change are written inside that change's
//! transaction ([`SqlStore::notify_in`]); the outbox's own bookkeeping (attempts, sent, failed)
//! is operational and not part of the audit trail, but a person's choice about the digest is.

use mamori_core::authz::{Granted, OwnNotices};
use mamori_core::i18n::Lang;
use mamori_core::notice::{NoticeKind, NoticeState};
use mamori_core::{PersonId, Role, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{SqlStore, Write, opt_id};
use crate::{
    Addressee, Audience, MailId, NewMail, NewNotice, Notice, NoticeId, NoticeStore, Origin,
    OutboxCounts, OutboxMail, Result, StoreError,
};

const NOTICE_COLUMNS: &str = "n.id, n.person_id, n.kind, n.title, n.link, n.created_at, n.state";

const MAIL_COLUMNS: &str = "id, person_id, recipient, subject, body, created_at, attempts, \
     next_attempt_at, last_error, sent_at, failed_at";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the notices").into(),
    ))
}

fn notice_from(row: &AnyRow) -> Result<Notice> {
    let kind: String = row.try_get("kind")?;
    let state: String = row.try_get("state")?;
    Ok(Notice {
        id: NoticeId(row.try_get("id")?),
        person: PersonId(row.try_get("person_id")?),
        kind: NoticeKind::parse(&kind).ok_or_else(|| decode("kind"))?,
        title: row.try_get("title")?,
        link: row.try_get("link")?,
        created_at: row.try_get("created_at")?,
        state: NoticeState::parse(&state).ok_or_else(|| decode("state"))?,
    })
}

fn mail_from(row: &AnyRow) -> Result<OutboxMail> {
    Ok(OutboxMail {
        id: MailId(row.try_get("id")?),
        person: PersonId(row.try_get("person_id")?),
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        sent_at: opt_id(row, "sent_at")?,
        failed_at: opt_id(row, "failed_at")?,
    })
}

/// Everyone in an audience, each once.
async fn audience_people(
    conn: &mut sqlx::AnyConnection,
    audience: &Audience,
) -> Result<Vec<PersonId>> {
    let mut people: Vec<i64> = Vec::new();
    for role in &audience.roles {
        let rows = sqlx::query("SELECT person_id FROM role_assignments WHERE role = $1")
            .bind(role.as_str())
            .fetch_all(&mut *conn)
            .await?;
        for row in rows {
            people.push(row.try_get("person_id")?);
        }
    }
    if let Some(unit) = audience.managers_of {
        let rows = sqlx::query(
            "SELECT person_id FROM role_assignments \
             WHERE role = $1 AND scope_kind = 'unit' AND scope_id = $2",
        )
        .bind(Role::SecurityManager.as_str())
        .bind(unit.0.to_string())
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            people.push(row.try_get("person_id")?);
        }
    }
    people.sort_unstable();
    people.dedup();
    Ok(people.into_iter().map(PersonId).collect())
}

impl SqlStore {
    async fn insert_notice(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        notice: &NewNotice,
        at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO notices (person_id, kind, title, link, once_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (person_id, once_key) DO NOTHING",
        )
        .bind(notice.person.0)
        .bind(notice.kind.as_str())
        .bind(&notice.title)
        .bind(&notice.link)
        .bind(notice.once.as_deref())
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Writes a notice for everyone in `audience` inside a change's transaction, so the change
    /// and the notice of it are committed together (each person once, the actor included only
    /// when they are one of the audience).
    pub(super) async fn notify_in(
        &self,
        write: &mut Write,
        audience: Audience,
        kind: NoticeKind,
        title: &str,
        link: &str,
    ) -> Result<()> {
        let people = audience_people(&mut write.tx, &audience).await?;
        for person in people {
            let notice = NewNotice {
                person,
                kind,
                title: title.to_owned(),
                link: link.to_owned(),
                once: None,
            };
            self.insert_notice(&mut write.tx, &notice, write.at_ms)
                .await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl NoticeStore for SqlStore {
    async fn audience(&self, audience: &Audience) -> Result<Vec<PersonId>> {
        let mut conn = self.pool.acquire().await?;
        audience_people(&mut conn, audience).await
    }

    async fn add_notices(&self, notices: &[NewNotice]) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let at = self.clock.now_ms();
        let mut added = 0;
        for notice in notices {
            if self.insert_notice(&mut tx, notice, at).await? {
                added += 1;
            }
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn notices_of(&self, person: PersonId, limit: i64) -> Result<Vec<Notice>> {
        sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices n WHERE n.person_id = $1 ORDER BY n.id DESC LIMIT $2"
        ))
        .bind(person.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(notice_from)
        .collect()
    }

    async fn pending_notices(&self) -> Result<Vec<(Notice, Addressee)>> {
        let rows = sqlx::query(&format!(
            "SELECT {NOTICE_COLUMNS}, p.name, p.email, u.language, u.digest_opt_out \
             FROM notices n JOIN people p ON p.id = n.person_id \
             LEFT JOIN users u ON u.person_id = p.id \
             WHERE n.state = 'pending' ORDER BY n.id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let notice = notice_from(row)?;
                let addressee = Addressee {
                    person: notice.person,
                    name: row.try_get("name")?,
                    email: row
                        .try_get::<Option<String>, _>("email")?
                        .filter(|e| !e.trim().is_empty()),
                    lang: row
                        .try_get::<Option<String>, _>("language")?
                        .and_then(|l| Lang::parse(&l))
                        .unwrap_or_default(),
                    digest_opt_out: row
                        .try_get::<Option<i64>, _>("digest_opt_out")?
                        .unwrap_or(0)
                        != 0,
                };
                Ok((notice, addressee))
            })
            .collect()
    }

    async fn queue_mail(&self, mail: NewMail, notices: &[NoticeId]) -> Result<MailId> {
        let mut tx = self.pool.begin().await?;
        let at = self.clock.now_ms();
        let row = sqlx::query(
            "INSERT INTO mail_outbox (person_id, recipient, subject, body, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(mail.person.0)
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for notice in notices {
            sqlx::query("UPDATE notices SET state = 'mailed', mail_id = $1 WHERE id = $2")
                .bind(id)
                .bind(notice.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(MailId(id))
    }

    async fn settle_notices(&self, notices: &[NoticeId], state: NoticeState) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for notice in notices {
            sqlx::query("UPDATE notices SET state = $1 WHERE id = $2")
                .bind(state.as_str())
                .bind(notice.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn due_mails(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>> {
        sqlx::query(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(mail_from)
        .collect()
    }

    async fn mail_sent(&self, id: MailId, at: i64) -> Result<()> {
        sqlx::query("UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(at)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn mail_deferred(&self, id: MailId, error: &str, next_attempt_at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
             WHERE id = $3",
        )
        .bind(error)
        .bind(next_attempt_at)
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mail_failed(&self, id: MailId, error: &str, at: i64) -> Result<()> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, failed_at = $2 \
             WHERE id = $3",
        )
        .bind(error)
        .bind(at)
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxMail>> {
        sqlx::query(&format!(
            "SELECT {MAIL_COLUMNS} FROM mail_outbox ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(mail_from)
        .collect()
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let row = sqlx::query(
            "SELECT \
             COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS queued, \
             COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0) AS retrying, \
             COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed, \
             COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent \
             FROM mail_outbox",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxCounts {
            queued: row.try_get("queued")?,
            retrying: row.try_get("retrying")?,
            failed: row.try_get("failed")?,
            sent: row.try_get("sent")?,
        })
    }

    async fn claim_digest(&self, day: &str, at: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO notice_digests (day, claimed_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
        )
        .bind(day)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn digest_opt_out(&self, user: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT digest_opt_out FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get::<i64, _>("digest_opt_out")? != 0)
    }

    async fn set_digest_opt_out(
        &self,
        grant: &Granted<OwnNotices>,
        opt_out: bool,
        origin: &Origin,
    ) -> Result<()> {
        let user = grant.actor();
        let mut write = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET digest_opt_out = $1 WHERE id = $2")
            .bind(i64::from(opt_out))
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let event = origin
            .event("notice.digest", "user", user.0)
            .with_detail(serde_json::json!({"opt_out": opt_out}));
        self.commit(write, event).await?;
        Ok(())
    }
}
