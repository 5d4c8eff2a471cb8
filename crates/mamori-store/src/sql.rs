//! The SQL implementation of [`Store`], for SQLite and PostgreSQL.
//!
//! Both databases run the same statements through sqlx's `Any` driver: the SQL below keeps to
//! what both understand (`$n` parameters, `RETURNING`, integers for flags and times). What
//! differs lives in [`Backend`]: how to connect, the numbered migrations of each database under
//! `migrations/<backend>/`, and how to take a backup.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mamori_core::audit::{self, AuditEvent, AuditKey, AuditRecord, ChainBreak, Verifier};
use mamori_core::authz::{
    AssignRoles, Granted, ManageAccounts, ManageOrganisations, ManagePeople, ManageUnits,
    PersonPlace, ViewAudit, ViewDirectory, ViewPersonDetail,
};
use mamori_core::credentials::secrets_equal;
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::role::{Role, RoleAssignment, Scope};
use mamori_core::text::Name;
use mamori_core::{Actor, Clock, OrgId, PersonId, UnitId, UserId};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::*;

mod assets;
mod releases;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Each database owns its numbered migrations. Existing migrations are never edited.
    fn migrations(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Backend::Sqlite => &[
                (
                    1,
                    "foundation",
                    include_str!("../migrations/sqlite/0001_foundation.sql"),
                ),
                (
                    2,
                    "sealed_audit_head",
                    include_str!("../migrations/sqlite/0002_sealed_audit_head.sql"),
                ),
                (
                    3,
                    "asset_register",
                    include_str!("../migrations/sqlite/0003_asset_register.sql"),
                ),
                (
                    4,
                    "asset_class_rank",
                    include_str!("../migrations/sqlite/0004_asset_class_rank.sql"),
                ),
                (
                    5,
                    "asset_search_and_tallies",
                    include_str!("../migrations/sqlite/0005_asset_search_and_tallies.sql"),
                ),
                (
                    6,
                    "release_requests",
                    include_str!("../migrations/sqlite/0006_release_requests.sql"),
                ),
                (
                    7,
                    "asset_facets",
                    include_str!("../migrations/sqlite/0007_asset_facets.sql"),
                ),
            ],
            Backend::Postgres => &[
                (
                    1,
                    "foundation",
                    include_str!("../migrations/postgres/0001_foundation.sql"),
                ),
                (
                    2,
                    "sealed_audit_head",
                    include_str!("../migrations/postgres/0002_sealed_audit_head.sql"),
                ),
                (
                    3,
                    "asset_register",
                    include_str!("../migrations/postgres/0003_asset_register.sql"),
                ),
                (
                    4,
                    "asset_class_rank",
                    include_str!("../migrations/postgres/0004_asset_class_rank.sql"),
                ),
                (
                    5,
                    "asset_search_and_tallies",
                    include_str!("../migrations/postgres/0005_asset_search_and_tallies.sql"),
                ),
                (
                    6,
                    "release_requests",
                    include_str!("../migrations/postgres/0006_release_requests.sql"),
                ),
                (
                    7,
                    "asset_facets",
                    include_str!("../migrations/postgres/0007_asset_facets.sql"),
                ),
            ],
        }
    }
}

#[derive(Debug)]
struct Embedded(Backend);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn Future<Output = std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>>
                + Send
                + 's,
        >,
    > {
        Box::pin(async move {
            Ok(self
                .0
                .migrations()
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The store on an SQL database.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    key: AuditKey,
    clock: Arc<dyn Clock>,
}

/// A write transaction that has taken the next place in the audit chain. Taking the chain's head
/// row first serialises writers on both databases (a row lock on PostgreSQL, the write lock on
/// SQLite) and so avoids SQLite's deferred-transaction upgrade deadlock.
struct Write {
    tx: Transaction<'static, Any>,
    seq: i64,
    prev_mac: String,
    at_ms: i64,
}

fn conflict(err: sqlx::Error, what: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

fn name_of(row: &AnyRow, column: &str) -> Result<Name> {
    let raw: String = row.try_get(column)?;
    // Stored names were validated on the way in; a row that fails was edited outside mamori.
    Name::parse("name", &raw).map_err(|_| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid name in column {column}").into(),
        ))
    })
}

fn opt_id(row: &AnyRow, column: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

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

fn assignment_from(row: &AnyRow) -> Result<RoleAssignment> {
    let role: String = row.try_get("role")?;
    let kind: String = row.try_get("scope_kind")?;
    let scope_id: String = row.try_get("scope_id")?;
    let bad = |what: &str| {
        StoreError::Database(sqlx::Error::Decode(
            format!("invalid {what} in role_assignments").into(),
        ))
    };
    Ok(RoleAssignment {
        id: AssignmentId(row.try_get("id")?),
        person_id: PersonId(row.try_get("person_id")?),
        role: Role::parse(&role).map_err(|_| bad("role"))?,
        scope: Scope::from_parts(&kind, (!scope_id.is_empty()).then_some(scope_id.as_str()))
            .map_err(|_| bad("scope"))?,
    })
}

fn session_from(row: &AnyRow) -> Result<Session> {
    Ok(Session {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        csrf_token: row.try_get("csrf_token")?,
        mfa_pending: row.try_get::<i64, _>("mfa_pending")? != 0,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        address: row.try_get("address")?,
        user_agent: row.try_get("user_agent")?,
    })
}

fn credentials_from(row: &AnyRow) -> Result<Credentials> {
    Ok(Credentials {
        user_id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        language: row.try_get("language")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
    })
}

fn account_from(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        user_id: UserId(row.try_get("id")?),
        username: row.try_get("username")?,
        person_id: PersonId(row.try_get("person_id")?),
        person_name: row.try_get("person_name")?,
        language: row.try_get("language")?,
        totp_enabled: row.try_get::<Option<String>, _>("totp_secret")?.is_some(),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

const AUDIT_COLUMNS: &str = "seq, at_ms, actor_id, actor_name, action, target_kind, target_id, unit_id, address, detail, prev_mac, mac";

fn audit_from(row: &AnyRow) -> Result<AuditRecord> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at_ms")?,
        event: AuditEvent {
            actor_id: opt_id(row, "actor_id")?.map(UserId),
            actor_name: row.try_get("actor_name")?,
            action: row.try_get("action")?,
            target_kind: row.try_get("target_kind")?,
            target_id: row.try_get("target_id")?,
            unit_id: opt_id(row, "unit_id")?.map(UnitId),
            address: row.try_get("address")?,
            // An unparsable detail is kept as a string, so that verification reports the
            // record as altered rather than failing to read it.
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
        },
        prev_mac: row.try_get("prev_mac")?,
        mac: row.try_get("mac")?,
    })
}

/// The MAC of the chain's head: the newest record's number and MAC, under the audit key.
fn head_seal(key: &AuditKey, seq: i64, mac: &str) -> String {
    audit::seal(
        key,
        seq,
        0,
        &AuditEvent::new("audit.head", "audit_head", seq),
        mac,
    )
}

/// A value bound to a statement that is assembled at run time.
enum Arg {
    Int(i64),
    Text(String),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
        };
    }
    query
}

/// `LIKE` pattern that matches `text` literally anywhere.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl SqlStore {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`) and brings its schema up to date.
    pub async fn open(url: &str, key: AuditKey, clock: Arc<dyn Clock>) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or(StoreError::Unsupported(
            "database URL must start with sqlite: or postgres://",
        ))?;
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::Executor::execute(&mut *conn, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;").await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        let migrator = Migrator::new(Embedded(backend)).await?;
        migrator.run(&pool).await?;
        let store = Self {
            pool,
            backend,
            key,
            clock,
        };
        store.initialise_scales().await?;
        Ok(store)
    }

    /// Opens (creating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(path: &Path, key: AuditKey, clock: Arc<dyn Clock>) -> Result<Self> {
        // The URL's path is percent-decoded, and `?` and `#` would end it.
        let path = path
            .display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3F")
            .replace('#', "%23");
        let url = format!("sqlite://{path}?mode=rwc");
        Self::open(&url, key, clock).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin_write(&self) -> Result<Write> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, mac")
                .fetch_one(&mut *tx)
                .await?;
        Ok(Write {
            tx,
            seq: row.try_get("seq")?,
            prev_mac: row.try_get("mac")?,
            at_ms: self.clock.now_ms(),
        })
    }

    /// Seals `event` as the write's record and appends it to the trail; returns its MAC.
    async fn append(&self, write: &mut Write, event: &AuditEvent) -> Result<String> {
        let mac = audit::seal(&self.key, write.seq, write.at_ms, event, &write.prev_mac);
        sqlx::query(&format!(
            "INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(write.seq)
        .bind(write.at_ms)
        .bind(event.actor_id.map(|u| u.0))
        .bind(&event.actor_name)
        .bind(&event.action)
        .bind(&event.target_kind)
        .bind(&event.target_id)
        .bind(event.unit_id.map(|u| u.0))
        .bind(&event.address)
        .bind(event.detail.to_string())
        .bind(&write.prev_mac)
        .bind(&mac)
        .execute(&mut *write.tx)
        .await?;
        Ok(mac)
    }

    /// Appends `events` to the audit trail in one transaction, each sealed and chained exactly
    /// as [`AuditStore::record`] would seal it: for a writer of many records at once (the asset
    /// benchmark fills a trail of a million). Returns how many were appended.
    pub async fn record_all(&self, events: Vec<AuditEvent>) -> Result<usize> {
        let mut events = events.into_iter();
        let Some(last) = events.next_back() else {
            return Ok(0);
        };
        let mut write = self.begin_write().await?;
        let mut count = 1;
        for event in events {
            write.prev_mac = self.append(&mut write, &event).await?;
            write.seq += 1;
            count += 1;
        }
        sqlx::query("UPDATE audit_head SET seq = $1 WHERE id = 1")
            .bind(write.seq)
            .execute(&mut *write.tx)
            .await?;
        self.commit(write, last).await?;
        Ok(count)
    }

    /// Seals the event into the chain and commits the transaction with it.
    async fn commit(&self, mut write: Write, event: AuditEvent) -> Result<AuditRecord> {
        let mac = self.append(&mut write, &event).await?;
        sqlx::query("UPDATE audit_head SET mac = $1, seal = $2 WHERE id = 1")
            .bind(&mac)
            .bind(head_seal(&self.key, write.seq, &mac))
            .execute(&mut *write.tx)
            .await?;
        write.tx.commit().await?;
        Ok(AuditRecord {
            seq: write.seq,
            at_ms: write.at_ms,
            event,
            prev_mac: write.prev_mac,
            mac,
        })
    }

    async fn fetch_organisation(&self, id: OrgId) -> Result<Option<Organisation>> {
        sqlx::query("SELECT id, code, name, note FROM organisations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(organisation_from)
            .transpose()
    }

    async fn fetch_unit(&self, id: UnitId) -> Result<Option<Unit>> {
        sqlx::query("SELECT id, org_id, parent_id, name, note FROM units WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(unit_from)
            .transpose()
    }

    async fn fetch_person(&self, id: PersonId) -> Result<Option<Person>> {
        sqlx::query("SELECT id, name, org_id, unit_id, title, email, phone, external FROM people WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(person_from)
            .transpose()
    }

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
                return Err(StoreError::Conflict("unit.parent_cycle"));
            }
            let found =
                sqlx::query("SELECT id, org_id, parent_id, name, note FROM units WHERE id = $1")
                    .bind(current.0)
                    .fetch_optional(&mut **tx)
                    .await?
                    .as_ref()
                    .map(unit_from)
                    .transpose()?
                    .ok_or(StoreError::Conflict("unit.parent_missing"))?;
            if found.org_id != input.org_id {
                return Err(StoreError::Conflict("unit.parent_other_org"));
            }
            cursor = found.parent_id;
            hops += 1;
        }
        Ok(())
    }

    /// A role may only be scoped to an organisation or unit that exists.
    async fn check_scope_exists(&self, scope: &Scope) -> Result<()> {
        let exists = match scope {
            Scope::Organisation(org) => self.fetch_organisation(*org).await?.is_some(),
            Scope::Unit(unit) => self.fetch_unit(*unit).await?.is_some(),
            Scope::Global | Scope::System(_) => true,
        };
        if exists {
            Ok(())
        } else {
            Err(StoreError::Conflict("role.scope_missing"))
        }
    }

    async fn unit_org_for(&self, unit: Option<UnitId>) -> Result<Option<OrgId>> {
        match unit {
            None => Ok(None),
            Some(unit) => match self.unit_org(unit).await? {
                Some(org) => Ok(Some(org)),
                None => Err(StoreError::Conflict("person.unit_missing")),
            },
        }
    }

    async fn insert_person(
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
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn insert_account(
        tx: &mut Transaction<'static, Any>,
        account: &NewAccount,
        now: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO users (username, person_id, password_hash, language, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(account.username.as_str())
        .bind(account.person_id.0)
        .bind(&account.password_hash)
        .bind(&account.language)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| conflict(e, "account.username_taken"))?;
        Ok(row.try_get("id")?)
    }

    async fn insert_assignment(
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
        .map_err(|e| conflict(e, "role.already_assigned"))?;
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
        self.fetch_organisation(id).await
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
        .map_err(|e| conflict(e, "organisation.code_taken"))?;
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
        let before = self
            .fetch_organisation(id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut write = self.begin_write().await?;
        sqlx::query("UPDATE organisations SET code = $1, name = $2, note = $3, updated_at = $4 WHERE id = $5")
            .bind(&input.code)
            .bind(input.name.as_str())
            .bind(&input.note)
            .bind(write.at_ms)
            .bind(id.0)
            .execute(&mut *write.tx)
            .await
            .map_err(|e| conflict(e, "organisation.code_taken"))?;
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
        let rows = match org {
            Some(org) => sqlx::query(
                "SELECT id, org_id, parent_id, name, note FROM units WHERE org_id = $1 ORDER BY id",
            )
            .bind(org.0)
            .fetch_all(&self.pool)
            .await?,
            None => {
                sqlx::query(
                    "SELECT id, org_id, parent_id, name, note FROM units ORDER BY org_id, id",
                )
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(unit_from).collect()
    }

    async fn unit(&self, _: &Granted<ViewDirectory>, id: UnitId) -> Result<Option<Unit>> {
        self.fetch_unit(id).await
    }

    async fn unit_org(&self, id: UnitId) -> Result<Option<OrgId>> {
        Ok(sqlx::query("SELECT org_id FROM units WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<i64, _>("org_id"))
            .transpose()?
            .map(OrgId))
    }

    async fn create_unit(
        &self,
        _: &Granted<ManageUnits>,
        input: UnitInput,
        origin: &Origin,
    ) -> Result<Unit> {
        if self.fetch_organisation(input.org_id).await?.is_none() {
            return Err(StoreError::Conflict("unit.organisation_missing"));
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
        .map_err(|e| conflict(e, "unit.name_taken"))?;
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
        let before = self.fetch_unit(id).await?.ok_or(StoreError::NotFound)?;
        if before.org_id != input.org_id {
            return Err(StoreError::Conflict("unit.move_between_organisations"));
        }
        let mut write = self.begin_write().await?;
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
        .map_err(|e| conflict(e, "unit.name_taken"))?;
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
        Ok(
            sqlx::query("SELECT org_id, unit_id FROM people WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?
                .map(|row| -> Result<PersonPlace> {
                    Ok(PersonPlace {
                        person_id: Some(id),
                        org_id: opt_id(&row, "org_id")?.map(OrgId),
                        unit_id: opt_id(&row, "unit_id")?.map(UnitId),
                    })
                })
                .transpose()?,
        )
    }

    async fn person(
        &self,
        _: &Granted<ViewPersonDetail>,
        id: PersonId,
        origin: &Origin,
    ) -> Result<Option<Person>> {
        let person = self.fetch_person(id).await?;
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
        let org = self.unit_org_for(input.unit_id).await?;
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
            .with_detail(serde_json::json!({"name": person.name, "unit_id": person.unit_id}));
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
        let before = self.fetch_person(id).await?.ok_or(StoreError::NotFound)?;
        let org = self.unit_org_for(input.unit_id).await?;
        let mut write = self.begin_write().await?;
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
        .await?;
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
        sqlx::query(
            "SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(assignment_from)
        .transpose()
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
        let assignment = self.assignment(id).await?.ok_or(StoreError::NotFound)?;
        let place = self.person_place(assignment.person_id).await?;
        let mut write = self.begin_write().await?;
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

fn clone_arg(arg: &Arg) -> Arg {
    match arg {
        Arg::Int(v) => Arg::Int(*v),
        Arg::Text(v) => Arg::Text(v.clone()),
    }
}

const CREDENTIAL_COLUMNS: &str = "id, username, password_hash, totp_secret, language, disabled";
const SESSION_COLUMNS: &str = "id, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, address, user_agent";

#[async_trait::async_trait]
impl AccountStore for SqlStore {
    async fn count_accounts(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    async fn provision_account(
        &self,
        person: PersonInput,
        mut account: NewAccount,
        role: Option<(Role, Scope)>,
        origin: &Origin,
    ) -> Result<UserId> {
        let org = self.unit_org_for(person.unit_id).await?;
        if let Some((_, scope)) = &role {
            self.check_scope_exists(scope).await?;
        }
        let mut write = self.begin_write().await?;
        let person_id = Self::insert_person(&mut write.tx, &person, org, write.at_ms).await?;
        account.person_id = PersonId(person_id);
        let user_id = Self::insert_account(&mut write.tx, &account, write.at_ms).await?;
        if let Some((role, scope)) = &role {
            Self::insert_assignment(
                &mut write.tx,
                PersonId(person_id),
                *role,
                scope,
                write.at_ms,
            )
            .await?;
        }
        let event = origin
            .event("account.provision", "user", user_id)
            .in_unit(person.unit_id)
            .with_detail(serde_json::json!({
                "username": account.username,
                "person_id": person_id,
                "role": role.as_ref().map(|(r, s)| serde_json::json!({"role": r, "scope": s})),
            }));
        self.commit(write, event).await?;
        Ok(UserId(user_id))
    }

    async fn create_account(
        &self,
        _: &Granted<ManageAccounts>,
        account: NewAccount,
        origin: &Origin,
    ) -> Result<UserId> {
        let place = self
            .person_place(account.person_id)
            .await?
            .ok_or(StoreError::Conflict("account.person_missing"))?;
        let mut write = self.begin_write().await?;
        let taken = sqlx::query("SELECT id FROM users WHERE person_id = $1")
            .bind(account.person_id.0)
            .fetch_optional(&mut *write.tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict("account.person_has_account"));
        }
        let user_id = Self::insert_account(&mut write.tx, &account, write.at_ms).await?;
        let event = origin
            .event("account.create", "user", user_id)
            .in_unit(place.unit_id)
            .with_detail(
                serde_json::json!({"username": account.username, "person_id": account.person_id}),
            );
        self.commit(write, event).await?;
        Ok(UserId(user_id))
    }

    async fn list_accounts(&self, _: &Granted<ManageAccounts>) -> Result<Vec<Account>> {
        sqlx::query(
            "SELECT u.id, u.username, u.person_id, p.name AS person_name, u.language, u.totp_secret, u.disabled, u.created_at \
             FROM users u JOIN people p ON p.id = u.person_id ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(account_from)
        .collect()
    }

    async fn set_account_disabled(
        &self,
        _: &Granted<ManageAccounts>,
        user: UserId,
        disabled: bool,
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *write.tx)
                .await?;
        }
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        self.commit(write, origin.event(action, "user", user))
            .await?;
        Ok(())
    }

    async fn account(&self, user: UserId) -> Result<Option<Account>> {
        sqlx::query(
            "SELECT u.id, u.username, u.person_id, p.name AS person_name, u.language, u.totp_secret, u.disabled, u.created_at \
             FROM users u JOIN people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(account_from)
        .transpose()
    }

    async fn credentials_by_name(&self, username: &str) -> Result<Option<Credentials>> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.to_ascii_lowercase())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(credentials_from)
        .transpose()
    }

    async fn credentials(&self, user: UserId) -> Result<Option<Credentials>> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM users WHERE id = $1"
        ))
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(credentials_from)
        .transpose()
    }

    async fn actor(&self, user: UserId) -> Result<Option<Actor>> {
        let Some(row) = sqlx::query(
            "SELECT u.id, u.username, u.person_id, u.disabled, p.org_id, p.unit_id FROM users u \
             JOIN people p ON p.id = u.person_id WHERE u.id = $1",
        )
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        if row.try_get::<i64, _>("disabled")? != 0 {
            return Ok(None);
        }
        let person_id = PersonId(row.try_get("person_id")?);
        let roles = sqlx::query("SELECT id, person_id, role, scope_kind, scope_id FROM role_assignments WHERE person_id = $1 ORDER BY id")
            .bind(person_id.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| assignment_from(row).map(|a| (a.role, a.scope)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Actor {
            user_id: user,
            person_id,
            username: row.try_get("username")?,
            org_id: opt_id(&row, "org_id")?.map(OrgId),
            unit_id: opt_id(&row, "unit_id")?.map(UnitId),
            roles,
        }))
    }

    async fn set_password(&self, user: UserId, password_hash: &str, origin: &Origin) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(write.at_ms)
        .bind(user.0)
        .execute(&mut *write.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit(write, origin.event("account.password_change", "user", user))
            .await?;
        Ok(())
    }

    async fn set_language(&self, user: UserId, language: &str, origin: &Origin) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done = sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let event = origin
            .event("account.language", "user", user)
            .with_detail(serde_json::json!({"language": language}));
        self.commit(write, event).await?;
        Ok(())
    }

    async fn set_totp(
        &self,
        user: UserId,
        secret: Option<&str>,
        recovery_digests: &[String],
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2")
                .bind(secret.map(str::to_owned))
                .bind(user.0)
                .execute(&mut *write.tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user.0)
            .execute(&mut *write.tx)
            .await?;
        for digest in recovery_digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_digest) VALUES ($1, $2)")
                .bind(user.0)
                .bind(digest)
                .execute(&mut *write.tx)
                .await?;
        }
        let action = if secret.is_some() {
            "account.totp_enable"
        } else {
            "account.totp_disable"
        };
        self.commit(write, origin.event(action, "user", user))
            .await?;
        Ok(())
    }

    async fn claim_totp_step(&self, user: UserId, step: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(user.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn use_recovery_code(&self, user: UserId, digest: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_digest = $3 AND used_at IS NULL")
            .bind(self.clock.now_ms())
            .bind(user.0)
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn remaining_recovery_codes(&self, user: UserId) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user.0)
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }

    async fn create_session(&self, session: NewSession) -> Result<i64> {
        let now = self.clock.now_ms();
        // Expired sessions are never live again; a login clears its account's old ones so the
        // table does not grow with every login ever made.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
            .bind(session.user_id.0)
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(
            "INSERT INTO sessions (token_digest, user_id, csrf_token, mfa_pending, created_at, last_seen_at, expires_at, address, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&session.token_digest)
        .bind(session.user_id.0)
        .bind(&session.csrf_token)
        .bind(i64::from(session.mfa_pending))
        .bind(now)
        .bind(session.expires_at)
        .bind(&session.address)
        .bind(&session.user_agent)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn session(&self, token_digest: &str) -> Result<Option<Session>> {
        let now = self.clock.now_ms();
        let Some(session) = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE token_digest = $1 AND expires_at > $2"
        ))
        .bind(token_digest)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(session_from)
        .transpose()?
        else {
            return Ok(None);
        };
        // Refresh the last-seen time at most once a minute, so that page views do not all write.
        if now - session.last_seen_at > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(session.id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(session))
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<Session>> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC"
        ))
        .bind(user.0)
        .bind(self.clock.now_ms())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(session_from)
        .collect()
    }

    async fn revoke_session(&self, user: UserId, session_id: i64) -> Result<bool> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > $3")
                .bind(session_id)
                .bind(user.0)
                .bind(self.clock.now_ms())
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_other_sessions(&self, user: UserId, keep: Option<i64>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user.0)
            .bind(keep.unwrap_or(-1))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        token_digest: &str,
        origin: &Origin,
    ) -> Result<i64> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query("INSERT INTO api_tokens (user_id, name, token_digest, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user.0)
            .bind(name)
            .bind(token_digest)
            .bind(write.at_ms)
            .fetch_one(&mut *write.tx)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
                _ => conflict(e, "api_token.digest_taken"),
            })?;
        let id: i64 = row.try_get("id")?;
        let event = origin
            .event("api_token.create", "user", user)
            .with_detail(serde_json::json!({"token_id": id, "name": name}));
        self.commit(write, event).await?;
        Ok(id)
    }

    async fn api_token_user(&self, token_digest: &str) -> Result<Option<UserId>> {
        Ok(sqlx::query(
            "SELECT user_id FROM api_tokens WHERE token_digest = $1 AND revoked_at IS NULL",
        )
        .bind(token_digest)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| row.try_get::<i64, _>("user_id"))
        .transpose()?
        .map(UserId))
    }
}

#[async_trait::async_trait]
impl AuditStore for SqlStore {
    async fn record(&self, event: AuditEvent) -> Result<AuditRecord> {
        let write = self.begin_write().await?;
        self.commit(write, event).await
    }

    async fn list_audit(
        &self,
        grant: &Granted<ViewAudit>,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditRecord>> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
            // Not LIKE: SQLite's LIKE ignores case and both treat `%` and `_` as wildcards.
            args.push(Arg::Text(prefix.to_owned()));
            let n = args.len();
            clauses.push(format!("SUBSTR(action, 1, LENGTH(${n})) = ${n}"));
        }
        if let Some(actor) = filter.actor_name.as_deref().filter(|p| !p.is_empty()) {
            args.push(Arg::Text(actor.to_owned()));
            clauses.push(format!("actor_name = ${}", args.len()));
        }
        if let Some(from) = filter.from_ms {
            args.push(Arg::Int(from));
            clauses.push(format!("at_ms >= ${}", args.len()));
        }
        if let Some(to) = filter.to_ms {
            args.push(Arg::Int(to));
            clauses.push(format!("at_ms < ${}", args.len()));
        }
        if let Some(before) = filter.before_seq {
            args.push(Arg::Int(before));
            clauses.push(format!("seq < ${}", args.len()));
        }
        if let Some(unit) = grant.excluded_unit() {
            args.push(Arg::Int(unit.0));
            clauses.push(format!("(unit_id IS NULL OR unit_id <> ${})", args.len()));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let limit = filter.limit.clamp(1, 1000);
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log {where_sql} ORDER BY seq DESC LIMIT {limit}"
        );
        bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(audit_from)
            .collect()
    }

    async fn verify_audit(&self, key: &AuditKey) -> Result<AuditVerification> {
        // One snapshot for the records and the head: a writer committing during the walk must not
        // make an intact trail look truncated or mismatched.
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let mut verifier = Verifier::new(key);
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000"
            ))
            .bind(after)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let record = audit_from(row)?;
                if let Err(broken) = verifier.check(&record) {
                    return Ok(AuditVerification {
                        checked: verifier.checked(),
                        result: Err(broken),
                    });
                }
                after = record.seq;
            }
        }
        let head = sqlx::query("SELECT seq, mac, seal FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        tx.rollback().await?;
        let head_seq: i64 = head.try_get("seq")?;
        let head_mac: String = head.try_get("mac")?;
        let head_sealed: String = head.try_get("seal")?;
        let result = verifier.finish(head_seq, &head_mac).and_then(|checked| {
            // A head rewound to an older record (after the newest were removed) lacks a valid seal.
            if head_seq == 0 || secrets_equal(&head_sealed, &head_seal(key, head_seq, &head_mac)) {
                Ok(checked)
            } else {
                Err(ChainBreak::HeadMismatch { seq: head_seq })
            }
        });
        Ok(AuditVerification {
            checked: verifier.checked(),
            result: result.map(|_| ()),
        })
    }
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn backup(&self, to: &Path) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                // VACUUM INTO writes a consistent, compacted copy while other connections go on.
                sqlx::query("VACUUM INTO $1")
                    .bind(to.display().to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
            Backend::Postgres => Err(StoreError::Unsupported(
                "PostgreSQL databases are backed up with pg_dump; see README",
            )),
        }
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
