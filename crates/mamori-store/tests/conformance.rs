//! The conformance suite of the [`Store`] trait: every case runs against SQLite (a fresh file per
//! case) and against a real PostgreSQL server (a fresh database per case, created through the
//! admin URL in `MAMORI_TEST_POSTGRES_URL` and dropped afterwards).
//!
//! Without `MAMORI_TEST_POSTGRES_URL` the PostgreSQL half is skipped with a note on stderr, unless
//! `MAMORI_REQUIRE_REAL_TESTS=1`, in which case it fails.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use mamori_core::audit::{AuditEvent, AuditKey, AuditRecord, ChainBreak};
use mamori_core::authz::{
    AssignRoles, Granted, ManageAccounts, ManageOrganisations, ManagePeople, ManageUnits,
    Permission, PersonPlace, RoleChange, ViewAudit, ViewDirectory, ViewPersonDetail, authorize,
};
use mamori_core::org::{AssignmentId, Organisation, Person, Unit};
use mamori_core::text::{Name, Username};
use mamori_core::{Actor, Clock, OrgId, PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    AccountStore, AuditFilter, AuditStore, Backend, Conflict, DirectoryAccount, DirectorySync,
    LiveToken, NewAccount, NewApiToken, NewSession, OrganisationInput, Origin, PeopleFilter,
    PersonInput, SqlStore, Store, StoreError, UnitInput,
};
use sqlx::{AnyConnection, Connection, Row};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// 2025-11-25T00:00:00Z, moved only by the tests.
const START_MS: i64 = 1_764_028_800_000;

struct TestClock(AtomicI64);

impl TestClock {
    fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// What a case gets: the store under test and a way around it to the raw tables.
#[derive(Clone)]
struct Fx {
    store: Arc<SqlStore>,
    clock: Arc<TestClock>,
    key: AuditKey,
    /// URL of the database under test, for a second connection that edits tables directly.
    url: String,
    /// Scratch space of the case (the SQLite file lives here too).
    dir: Arc<tempfile::TempDir>,
}

impl Fx {
    fn store(&self) -> &dyn Store {
        &*self.store
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A connection of its own, outside the store, as someone with database access would have.
    async fn raw(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.url)
            .await
            .expect("second connection to the test database")
    }

    async fn raw_execute(&self, sql: &str) -> u64 {
        let mut conn = self.raw().await;
        let done = sqlx::query(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        conn.close().await.expect("close second connection");
        done.rows_affected()
    }

    async fn raw_count(&self, sql: &str) -> i64 {
        let mut conn = self.raw().await;
        let n: i64 = sqlx::query(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .try_get(0)
            .expect("count");
        conn.close().await.expect("close second connection");
        n
    }

    async fn audit_len(&self) -> i64 {
        self.raw_count("SELECT COUNT(*) FROM audit_log").await
    }

    async fn newest_record(&self) -> AuditRecord {
        let filter = AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        };
        let mut records = self
            .store()
            .list_audit(&grant::<ViewAudit>(&()), &filter)
            .await
            .expect("list_audit");
        records.pop().expect("the trail has a record")
    }

    /// Asserts that exactly one record was appended since `before` and that it is `action`.
    async fn assert_one_record(&self, before: i64, action: &str) -> AuditRecord {
        assert_eq!(
            self.audit_len().await,
            before + 1,
            "{action} must write exactly one audit record"
        );
        let newest = self.newest_record().await;
        assert_eq!(newest.event.action, action);
        newest
    }

    async fn assert_no_record(&self, before: i64, what: &str) {
        assert_eq!(
            self.audit_len().await,
            before,
            "{what} must not write an audit record"
        );
    }

    async fn verify(&self) -> mamori_store::AuditVerification {
        self.store()
            .verify_audit(&self.key)
            .await
            .expect("verify_audit")
    }
}

fn audit_key() -> AuditKey {
    AuditKey::from_bytes([42; 32])
}

/// Runs the case and closes its store whether it passed or not; returns the panic of a failed case.
async fn run_case<F, Fut>(fx: Fx, case: F) -> Option<Box<dyn std::any::Any + Send>>
where
    F: FnOnce(Fx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let store = fx.store.clone();
    let outcome = tokio::spawn(case(fx)).await;
    store.close().await;
    match outcome {
        Ok(()) => None,
        Err(err) => Some(
            err.try_into_panic()
                .unwrap_or_else(|err| Box::new(format!("case did not finish: {err}"))),
        ),
    }
}

async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Fx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mamori.db");
    let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
    let store = SqlStore::open_sqlite(&path, audit_key(), clock.clone())
        .await
        .expect("open SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    let fx = Fx {
        store: Arc::new(store),
        clock,
        key: audit_key(),
        url: format!("sqlite://{}", path.display()),
        dir: Arc::new(dir),
    };
    if let Some(panic) = run_case(fx, case).await {
        std::panic::resume_unwind(panic);
    }
}

/// The admin URL of the PostgreSQL server, or `None` when the PostgreSQL half is skipped.
fn postgres_admin_url() -> Option<String> {
    match std::env::var("MAMORI_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("MAMORI_REQUIRE_REAL_TESTS").as_deref() == Ok("1") {
                panic!(
                    "MAMORI_REQUIRE_REAL_TESTS=1 but MAMORI_TEST_POSTGRES_URL is not set: the PostgreSQL \
                     conformance tests need a real server (e.g. postgres://mamori:mamori@127.0.0.1:5432/postgres)"
                );
            }
            // Once per run, and past the test harness's output capture so that it is seen.
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped: set MAMORI_TEST_POSTGRES_URL to run the PostgreSQL conformance tests"
                );
            });
            None
        }
    }
}

/// `admin` with its database name replaced by `database`.
fn with_database(admin: &str, database: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Fx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let database = format!("mamori_test_{:016x}", rand::random::<u64>());
    let mut admin_conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to MAMORI_TEST_POSTGRES_URL: {e}"));
    sqlx::Executor::execute(
        &mut admin_conn,
        format!("CREATE DATABASE {database}").as_str(),
    )
    .await
    .unwrap_or_else(|e| panic!("cannot create test database {database}: {e}"));
    let url = with_database(&admin, &database);
    let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
    let failure = match SqlStore::open(&url, audit_key(), clock.clone()).await {
        Ok(store) => {
            assert_eq!(store.backend(), Backend::Postgres);
            let fx = Fx {
                store: Arc::new(store),
                clock,
                key: audit_key(),
                url,
                dir: Arc::new(tempfile::tempdir().expect("temp dir")),
            };
            run_case(fx, case).await
        }
        Err(err) => Some(Box::new(format!("cannot open the PostgreSQL store: {err}"))
            as Box<dyn std::any::Any + Send>),
    };
    // An autovacuum worker that the case's writes woke up may still be connected; terminating it
    // can be refused for a moment, so the drop is retried before it counts as a failure.
    let drop_sql = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    let mut attempt = 0;
    while let Err(e) = sqlx::Executor::execute(&mut admin_conn, drop_sql.as_str()).await {
        attempt += 1;
        assert!(attempt < 50, "cannot drop test database {database}: {e}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    admin_conn.close().await.expect("close admin connection");
    if let Some(panic) = failure {
        std::panic::resume_unwind(panic);
    }
}

/// Declares each case once and runs it on both backends: `sqlite::case` and `postgres::case`.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::on_sqlite(crate::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::on_postgres(crate::$case).await;
                }
            )*
        }
    };
}

conformance!(
    organisations_crud,
    organisation_code_conflict,
    units_crud,
    unit_name_conflict_within_organisation,
    unit_parent_cycles_are_refused,
    unit_parent_in_other_organisation_is_refused,
    concurrent_moves_cannot_make_a_unit_cycle,
    an_update_records_the_state_it_replaced,
    a_role_is_revoked_once_however_many_ask_at_once,
    people_crud,
    a_mail_address_names_one_person,
    person_read_is_audited,
    people_listing_filters_search_and_pages,
    people_search_is_case_insensitive,
    people_search_treats_like_wildcards_literally,
    role_assignment_and_revocation,
    duplicate_role_assignment_conflicts,
    provision_account_and_credentials,
    provision_account_with_taken_username_changes_nothing,
    create_account_and_list_accounts,
    actor_has_roles_and_disabled_account_has_none,
    password_and_language_changes,
    sessions_lifecycle,
    session_expiry_follows_the_clock,
    revoke_only_own_sessions_and_others,
    disabling_an_account_ends_its_sessions,
    a_directory_account_is_made_once_and_follows_the_directory,
    totp_step_cannot_be_replayed,
    recovery_codes_are_single_use,
    api_tokens,
    a_new_password_or_disabling_revokes_every_token,
    a_password_someone_else_knows_must_be_changed,
    every_mutation_writes_exactly_one_audit_record,
    refused_mutations_write_no_audit_record,
    list_audit_filters,
    list_audit_pages_backwards,
    list_audit_excludes_auditors_own_unit,
    verify_audit_intact_chain,
    concurrent_records_are_committed_together_and_chain_as_one_by_one,
    verify_audit_names_altered_record,
    verify_audit_names_deleted_middle_record,
    verify_audit_names_inserted_record,
    verify_audit_names_truncated_trail,
    verify_audit_names_truncation_with_rewound_head,
    verify_audit_with_wrong_key_fails_at_first_record,
    concurrent_writers_keep_the_chain_valid,
    backup,
    reopening_keeps_data_and_chain,
    assets_crud_and_flags,
    asset_references_and_levels_are_checked,
    asset_list_filters_sorts_and_pages,
    broad_listings_count_a_thousand_ahead_of_the_page,
    searches_by_a_rare_trigram_page_in_order,
    restricted_assets_are_hidden_and_their_reads_audited,
    search_and_filters_match_only_readable_fields,
    segments_crud_and_reflagging,
    register_reference_reads_follow_every_change,
    filtered_pages_in_another_order_are_the_order_filtered,
    renaming_a_segment_keeps_the_levels_that_allow_it,
    a_segment_update_records_the_segment_it_replaced,
    scales_are_validated_and_stored,
    import_is_all_or_nothing,
    import_updates_by_id_and_creates_the_rest,
    summary_counts_in_sql,
    text_search_finds_what_like_found,
    summary_counts_follow_every_change,
    record_all_extends_the_chain,
    release_request_decision_and_delivery_are_each_audited,
    the_store_refuses_self_approval_whatever_the_grant,
    release_lists_and_addresses,
    release_states_name_each_messages_latest_state_and_whether_one_is_open,
    the_split_moves_level_3_assets_for_review_and_back,
    the_split_to_a_chosen_level_keeps_the_sites_other_levels,
    a_level_edit_reflags_that_levels_assets_in_one_audited_write,
    policy_versions_go_from_draft_to_superseded_each_step_audited,
    the_store_refuses_a_policy_approval_by_its_editor_whatever_the_grant,
    confirmations_are_counted_per_unit_once_per_person,
    a_catalogue_is_stored_rebuilt_and_replaced_keeping_its_answers,
    answer_states_are_the_current_answers_with_their_evidence,
    units_are_described_by_the_assets_they_hold,
    risks_are_recorded_with_their_links_checked_and_every_change_audited,
    the_store_refuses_accepting_a_reserved_risk_unless_the_ciso_whatever_the_grant,
    an_inspection_counts_the_answers_given_while_open_and_its_sign_off_raises_findings,
    an_action_is_verified_by_someone_other_than_its_owner_and_closes_its_finding,
    an_audit_team_is_independent_of_its_scope_whatever_the_grant,
    an_exception_is_decided_once_and_never_by_whoever_asked_for_it,
    a_review_keeps_its_inputs_and_refuses_what_does_not_exist,
    an_incident_keeps_its_triage_and_timeline_and_closes_to_notes,
    an_incidents_tasks_have_owners_and_are_done_once_by_their_owner_or_the_csirt,
    lessons_follow_closing_and_a_review_cites_closed_incidents_both_ways,
    a_candidate_is_raised_once_and_opened_or_dismissed_with_its_link_kept,
    agreements_are_checked_verified_and_grant_their_contractors_while_in_force,
    notices_follow_their_cause_and_mails_leave_the_outbox_once,
    a_course_is_assigned_to_its_audience_and_completed_once,
    a_cloud_service_keeps_its_levels_and_flags_an_asset_placed_against_its_class,
    a_social_media_account_has_an_owner_in_post_and_keeps_its_reviews,
    the_crossing_matrix_round_trips_and_outlives_a_deleted_segment,
    a_new_site_follows_the_beta_model_until_a_cell_is_written_into_it,
    monitor_settings_are_validated_at_the_store_boundary_and_the_site_is_read_whole,
    alerts_merge_while_open_and_a_handled_alert_is_not_merged_into,
    tallies_add_up_per_day_pair_and_port,
    alert_filters_and_pages,
    hostile_strings_are_stored_verbatim,
    a_batch_of_ten_thousand_alerts_is_one_transaction,
);

#[path = "conformance/assets.rs"]
mod assets;
use assets::*;

#[path = "conformance/controls.rs"]
mod controls;
use controls::*;

#[path = "conformance/incidents.rs"]
mod incidents;
use incidents::*;

#[path = "conformance/inspections.rs"]
mod inspections;
use inspections::*;

#[path = "conformance/monitor.rs"]
mod monitor;
use monitor::*;

#[path = "conformance/notices.rs"]
mod notices;
use notices::*;

#[path = "conformance/policies.rs"]
mod policies;
use policies::*;

#[path = "conformance/registers.rs"]
mod registers;
use registers::*;

#[path = "conformance/releases.rs"]
mod releases;
use releases::*;

#[path = "conformance/risks.rs"]
mod risks;
use risks::*;

#[path = "conformance/training.rs"]
mod training;
use training::*;

#[path = "conformance/split.rs"]
mod split;
use split::*;

#[path = "conformance/third_parties.rs"]
mod third_parties;
use third_parties::*;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The CISO acting in the tests; not a person in the database, so any person may be its target.
fn ciso() -> Actor {
    Actor {
        user_id: UserId(900_001),
        person_id: PersonId(900_001),
        username: "ciso".into(),
        org_id: None,
        unit_id: None,
        roles: vec![(Role::Ciso, Scope::Global)],
        contract: Default::default(),
    }
}

fn grant<P: Permission>(target: &P::Target) -> Granted<P> {
    authorize::<P>(&ciso(), target).expect("the CISO is allowed")
}

fn origin() -> Origin {
    Origin::of(&ciso(), "192.0.2.10")
}

fn name(text: &str) -> Name {
    Name::parse("name", text).expect("valid name")
}

fn role_grant(person: &Person, role: Role, scope: &Scope) -> Granted<AssignRoles> {
    let change = RoleChange {
        person: PersonPlace {
            person_id: Some(person.id),
            org_id: person.org_id,
            unit_id: person.unit_id,
        },
        role,
        scope: scope.clone(),
        scope_org: None,
    };
    grant::<AssignRoles>(&change)
}

fn people_grant(unit: Option<UnitId>) -> Granted<ManagePeople> {
    grant::<ManagePeople>(&PersonPlace {
        person_id: None,
        org_id: None,
        unit_id: unit,
    })
}

fn detail_grant() -> Granted<ViewPersonDetail> {
    grant::<ViewPersonDetail>(&PersonPlace {
        person_id: None,
        org_id: None,
        unit_id: None,
    })
}

async fn new_org(fx: &Fx, code: &str, title: &str) -> Organisation {
    fx.store()
        .create_organisation(
            &grant::<ManageOrganisations>(&()),
            OrganisationInput {
                code: code.into(),
                name: name(title),
                note: String::new(),
            },
            &origin(),
        )
        .await
        .expect("create organisation")
}

fn unit_input(org: OrgId, parent: Option<UnitId>, title: &str) -> UnitInput {
    UnitInput {
        org_id: org,
        parent_id: parent,
        name: name(title),
        note: String::new(),
    }
}

async fn new_unit(fx: &Fx, org: OrgId, parent: Option<UnitId>, title: &str) -> Unit {
    fx.store()
        .create_unit(
            &grant::<ManageUnits>(&org),
            unit_input(org, parent, title),
            &origin(),
        )
        .await
        .expect("create unit")
}

fn person_input(full_name: &str, unit: Option<UnitId>, title: &str) -> PersonInput {
    PersonInput {
        name: name(full_name),
        unit_id: unit,
        title: title.into(),
        email: None,
        phone: String::new(),
        external: false,
    }
}

async fn new_person(fx: &Fx, full_name: &str, unit: Option<UnitId>, title: &str) -> Person {
    fx.store()
        .create_person(
            &people_grant(unit),
            person_input(full_name, unit, title),
            &origin(),
        )
        .await
        .expect("create person")
}

fn new_account(username: &str) -> NewAccount {
    NewAccount {
        username: Username::parse(username).expect("valid username"),
        person_id: PersonId(0),
        password_hash: format!("$argon2id$hash-of-{username}"),
        language: "ja".into(),
        must_change_password: false,
    }
}

async fn provision(
    fx: &Fx,
    username: &str,
    unit: Option<UnitId>,
    role: Option<(Role, Scope)>,
) -> UserId {
    fx.store()
        .provision_account(
            person_input(&format!("Person {username}"), unit, "主事"),
            new_account(username),
            role,
            &Origin::system("test"),
        )
        .await
        .expect("provision account")
}

fn new_session(user: UserId, digest: &str, expires_at: i64) -> NewSession {
    NewSession {
        token_digest: digest.into(),
        user_id: user,
        csrf_token: format!("csrf-{digest}"),
        mfa_pending: false,
        expires_at,
        address: "198.51.100.7".into(),
        user_agent: "test-agent".into(),
    }
}

const DAY_MS: i64 = 86_400_000;

fn new_token(user: UserId, name_text: &str, digest: &str, expires_at: i64) -> NewApiToken {
    NewApiToken {
        user_id: user,
        name: name(name_text),
        token_digest: digest.into(),
        expires_at,
        read_only: false,
    }
}

fn assert_conflict<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    expected: Conflict,
    what: &str,
) {
    match result {
        Err(StoreError::Conflict(refused)) if refused == expected => {}
        other => panic!("{what}: expected the conflict {expected}, got {other:?}"),
    }
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("{what}: expected StoreError::NotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations, units, people
// ---------------------------------------------------------------------------------------------

async fn organisations_crud(fx: Fx) {
    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    assert!(s.list_organisations(&view).await.unwrap().is_empty());

    let kanri = new_org(&fx, "KANRI", "管理者").await;
    let kyoiku = new_org(&fx, "KYOIKU", "教育委員会").await;
    assert_ne!(kanri.id, kyoiku.id);
    assert_eq!(
        s.list_organisations(&view).await.unwrap(),
        vec![kanri.clone(), kyoiku.clone()]
    );
    assert_eq!(
        s.organisation(&view, kyoiku.id).await.unwrap(),
        Some(kyoiku.clone())
    );
    assert_eq!(
        s.organisation(&view, OrgId(kyoiku.id.0 + 100))
            .await
            .unwrap(),
        None
    );

    let updated = s
        .update_organisation(
            &grant::<ManageOrganisations>(&()),
            kyoiku.id,
            OrganisationInput {
                code: "KYOIKU2".into(),
                name: name("教育委員会事務局"),
                note: "所管: 学校".into(),
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(updated.id, kyoiku.id);
    assert_eq!(
        s.organisation(&view, kyoiku.id).await.unwrap(),
        Some(updated.clone())
    );
    assert_eq!(updated.code, "KYOIKU2");
    assert_eq!(updated.note, "所管: 学校");

    let missing = s
        .update_organisation(
            &grant::<ManageOrganisations>(&()),
            OrgId(kyoiku.id.0 + 100),
            OrganisationInput {
                code: "NOBODY".into(),
                name: name("存在しない"),
                note: String::new(),
            },
            &origin(),
        )
        .await;
    assert_not_found(missing, "update of an unknown organisation");
}

async fn organisation_code_conflict(fx: Fx) {
    let s = fx.store();
    new_org(&fx, "KANRI", "管理者").await;
    let gikai = new_org(&fx, "GIKAI", "議会").await;
    let before = fx.audit_len().await;

    let again = s
        .create_organisation(
            &grant::<ManageOrganisations>(&()),
            OrganisationInput {
                code: "KANRI".into(),
                name: name("別の管理者"),
                note: String::new(),
            },
            &origin(),
        )
        .await;
    assert_conflict(
        again,
        Conflict::OrganisationCodeTaken,
        "second organisation with the same code",
    );

    let renamed = s
        .update_organisation(
            &grant::<ManageOrganisations>(&()),
            gikai.id,
            OrganisationInput {
                code: "KANRI".into(),
                name: name("議会"),
                note: String::new(),
            },
            &origin(),
        )
        .await;
    assert_conflict(
        renamed,
        Conflict::OrganisationCodeTaken,
        "update to a code that is taken",
    );
    fx.assert_no_record(before, "a refused organisation change")
        .await;
    let view = grant::<ViewDirectory>(&());
    assert_eq!(
        s.organisation(&view, gikai.id).await.unwrap().unwrap().code,
        "GIKAI"
    );
    assert_eq!(s.list_organisations(&view).await.unwrap().len(), 2);
}

async fn units_crud(fx: Fx) {
    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    let kanri = new_org(&fx, "KANRI", "管理者").await;
    let kyoiku = new_org(&fx, "KYOIKU", "教育委員会").await;
    let soumu = new_unit(&fx, kanri.id, None, "総務部").await;
    let johoka = new_unit(&fx, kanri.id, Some(soumu.id), "情報政策課").await;
    let gakko = new_unit(&fx, kyoiku.id, None, "学校教育部").await;
    assert_eq!(johoka.parent_id, Some(soumu.id));
    assert_eq!(johoka.org_id, kanri.id);

    assert_eq!(
        s.list_units(&view, Some(kanri.id)).await.unwrap(),
        vec![soumu.clone(), johoka.clone()]
    );
    assert_eq!(
        s.list_units(&view, Some(kyoiku.id)).await.unwrap(),
        vec![gakko.clone()]
    );
    assert_eq!(s.list_units(&view, None).await.unwrap().len(), 3);
    assert_eq!(
        s.unit(&view, johoka.id).await.unwrap(),
        Some(johoka.clone())
    );
    assert_eq!(
        s.unit(&view, UnitId(johoka.id.0 + 100)).await.unwrap(),
        None
    );
    assert_eq!(s.unit_org(gakko.id).await.unwrap(), Some(kyoiku.id));
    assert_eq!(s.unit_org(UnitId(gakko.id.0 + 100)).await.unwrap(), None);

    let moved = s
        .update_unit(
            &grant::<ManageUnits>(&kanri.id),
            johoka.id,
            UnitInput {
                note: "情報システム担当".into(),
                ..unit_input(kanri.id, None, "情報政策室")
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(moved.parent_id, None);
    assert_eq!(s.unit(&view, johoka.id).await.unwrap(), Some(moved));

    let unknown = s
        .update_unit(
            &grant::<ManageUnits>(&kanri.id),
            UnitId(johoka.id.0 + 100),
            unit_input(kanri.id, None, "存在しない課"),
            &origin(),
        )
        .await;
    assert_not_found(unknown, "update of an unknown unit");

    let no_org = OrgId(kyoiku.id.0 + 100);
    let orphan = s
        .create_unit(
            &grant::<ManageUnits>(&no_org),
            unit_input(no_org, None, "宙に浮いた課"),
            &origin(),
        )
        .await;
    assert_conflict(
        orphan,
        Conflict::UnitOrganisationMissing,
        "unit in an unknown organisation",
    );
    let no_parent = s
        .create_unit(
            &grant::<ManageUnits>(&kanri.id),
            unit_input(kanri.id, Some(UnitId(gakko.id.0 + 100)), "親のない課"),
            &origin(),
        )
        .await;
    assert_conflict(
        no_parent,
        Conflict::UnitParentMissing,
        "unit under an unknown parent",
    );
}

async fn unit_name_conflict_within_organisation(fx: Fx) {
    let s = fx.store();
    let kanri = new_org(&fx, "KANRI", "管理者").await;
    let kyoiku = new_org(&fx, "KYOIKU", "教育委員会").await;
    new_unit(&fx, kanri.id, None, "総務課").await;
    let other = new_unit(&fx, kanri.id, None, "人事課").await;
    let before = fx.audit_len().await;
    let twin = s
        .create_unit(
            &grant::<ManageUnits>(&kanri.id),
            unit_input(kanri.id, None, "総務課"),
            &origin(),
        )
        .await;
    assert_conflict(
        twin,
        Conflict::UnitNameTaken,
        "second unit with the same name in one organisation",
    );
    let renamed = s
        .update_unit(
            &grant::<ManageUnits>(&kanri.id),
            other.id,
            unit_input(kanri.id, None, "総務課"),
            &origin(),
        )
        .await;
    assert_conflict(
        renamed,
        Conflict::UnitNameTaken,
        "rename onto a taken unit name",
    );
    fx.assert_no_record(before, "a refused unit change").await;
    // The same name in another organisation is fine.
    new_unit(&fx, kyoiku.id, None, "総務課").await;
}

async fn unit_parent_cycles_are_refused(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let a = new_unit(&fx, org.id, None, "A部").await;
    let b = new_unit(&fx, org.id, Some(a.id), "B課").await;
    let c = new_unit(&fx, org.id, Some(b.id), "C係").await;
    let manage = grant::<ManageUnits>(&org.id);
    let before = fx.audit_len().await;

    let own_parent = s
        .update_unit(
            &manage,
            a.id,
            unit_input(org.id, Some(a.id), "A部"),
            &origin(),
        )
        .await;
    assert_conflict(
        own_parent,
        Conflict::UnitParentCycle,
        "a unit as its own parent",
    );
    let under_grandchild = s
        .update_unit(
            &manage,
            a.id,
            unit_input(org.id, Some(c.id), "A部"),
            &origin(),
        )
        .await;
    assert_conflict(
        under_grandchild,
        Conflict::UnitParentCycle,
        "a unit under its own grandchild",
    );
    let under_child = s
        .update_unit(
            &manage,
            b.id,
            unit_input(org.id, Some(c.id), "B課"),
            &origin(),
        )
        .await;
    assert_conflict(
        under_child,
        Conflict::UnitParentCycle,
        "a unit under its own child",
    );
    fx.assert_no_record(before, "a refused parent change").await;

    let view = grant::<ViewDirectory>(&());
    assert_eq!(s.unit(&view, a.id).await.unwrap().unwrap().parent_id, None);
    // Moving a leaf under another branch is no cycle.
    let d = new_unit(&fx, org.id, None, "D部").await;
    let moved = s
        .update_unit(
            &manage,
            c.id,
            unit_input(org.id, Some(d.id), "C係"),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(moved.parent_id, Some(d.id));
}

async fn unit_parent_in_other_organisation_is_refused(fx: Fx) {
    let s = fx.store();
    let kanri = new_org(&fx, "KANRI", "管理者").await;
    let kyoiku = new_org(&fx, "KYOIKU", "教育委員会").await;
    let soumu = new_unit(&fx, kanri.id, None, "総務部").await;
    let gakko = new_unit(&fx, kyoiku.id, None, "学校教育部").await;
    let before = fx.audit_len().await;

    let created = s
        .create_unit(
            &grant::<ManageUnits>(&kyoiku.id),
            unit_input(kyoiku.id, Some(soumu.id), "学務課"),
            &origin(),
        )
        .await;
    assert_conflict(
        created,
        Conflict::UnitParentOtherOrg,
        "new unit under a parent of another organisation",
    );
    let updated = s
        .update_unit(
            &grant::<ManageUnits>(&kyoiku.id),
            gakko.id,
            unit_input(kyoiku.id, Some(soumu.id), "学校教育部"),
            &origin(),
        )
        .await;
    assert_conflict(
        updated,
        Conflict::UnitParentOtherOrg,
        "unit moved under a parent of another organisation",
    );
    let moved = s
        .update_unit(
            &grant::<ManageUnits>(&kanri.id),
            gakko.id,
            unit_input(kanri.id, None, "学校教育部"),
            &origin(),
        )
        .await;
    assert_conflict(
        moved,
        Conflict::UnitMoveBetweenOrganisations,
        "unit moved to another organisation",
    );
    fx.assert_no_record(before, "a refused unit change").await;
    let view = grant::<ViewDirectory>(&());
    assert_eq!(
        s.list_units(&view, Some(kyoiku.id)).await.unwrap(),
        vec![gakko]
    );
}

async fn concurrent_moves_cannot_make_a_unit_cycle(fx: Fx) {
    let org = new_org(&fx, "KANRI", "管理者").await;
    for round in 0..10 {
        let a = new_unit(&fx, org.id, None, &format!("A{round}")).await;
        let b = new_unit(&fx, org.id, None, &format!("B{round}")).await;
        // A under B and B under A, at the same time: one of them must be refused.
        let mut moves = Vec::new();
        for (unit, parent) in [(a.clone(), b.id), (b.clone(), a.id)] {
            let fx = fx.clone();
            moves.push(tokio::spawn(async move {
                fx.store()
                    .update_unit(
                        &grant::<ManageUnits>(&unit.org_id),
                        unit.id,
                        unit_input(unit.org_id, Some(parent), unit.name.as_str()),
                        &origin(),
                    )
                    .await
            }));
        }
        let mut done = 0;
        for task in moves {
            match task.await.expect("move task") {
                Ok(_) => done += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(other) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(done, 1, "round {round}: exactly one move may succeed");
    }
}

/// The records of `action` in the trail, oldest first.
async fn records_of(fx: &Fx, action: &str) -> Vec<AuditRecord> {
    let filter = AuditFilter {
        action_prefix: Some(action.into()),
        limit: 1000,
        ..AuditFilter::default()
    };
    let mut records = fx
        .store()
        .list_audit(&grant::<ViewAudit>(&()), &filter)
        .await
        .expect("list_audit");
    records.reverse();
    records
}

/// Asserts that the `count` updates recorded as `action` chain in the trail's order: the first
/// record's before is `first`, and each later one's before is the after of the one before it.
/// Returns the last after.
async fn assert_befores_chain(
    fx: &Fx,
    action: &str,
    first: serde_json::Value,
    count: usize,
) -> serde_json::Value {
    let records = records_of(fx, action).await;
    assert_eq!(records.len(), count, "one {action} record per update");
    let mut state = first;
    for record in records {
        assert_eq!(
            record.event.detail["before"], state,
            "{action} #{} recorded a before that is not the state it replaced",
            record.seq
        );
        state = record.event.detail["after"].clone();
    }
    state
}

fn json(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).expect("serialisable")
}

/// Regression: updates of the directory read the record's before outside their write, so of two
/// concurrent updates the later could record as its before a state already replaced.
async fn an_update_records_the_state_it_replaced(fx: Fx) {
    const UPDATES: usize = 8;
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "山田 太郎", Some(unit.id), "主事").await;
    let mut tasks = Vec::new();
    for i in 0..UPDATES {
        let fx = fx.clone();
        let (org, unit, person) = (org.id, unit.id, person.id);
        tasks.push(tokio::spawn(async move {
            let s = fx.store();
            s.update_organisation(
                &grant::<ManageOrganisations>(&()),
                org,
                OrganisationInput {
                    code: "KANRI".into(),
                    name: name(&format!("管理者 {i}")),
                    note: String::new(),
                },
                &origin(),
            )
            .await
            .expect("update organisation");
            s.update_unit(
                &grant::<ManageUnits>(&org),
                unit,
                unit_input(org, None, &format!("総務課 {i}")),
                &origin(),
            )
            .await
            .expect("update unit");
            s.update_person(
                &people_grant(Some(unit)),
                person,
                person_input("山田 太郎", Some(unit), &format!("主事 {i}")),
                &origin(),
            )
            .await
            .expect("update person");
        }));
    }
    for task in tasks {
        task.await.expect("update task");
    }

    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    let last = assert_befores_chain(&fx, "organisation.update", json(&org), UPDATES).await;
    let now = s.organisation(&view, org.id).await.unwrap().unwrap();
    assert_eq!(
        last,
        json(&now),
        "the last after is the organisation as stored"
    );
    let last = assert_befores_chain(&fx, "unit.update", json(&unit), UPDATES).await;
    let now = s.unit(&view, unit.id).await.unwrap().unwrap();
    assert_eq!(last, json(&now), "the last after is the unit as stored");
    let last = assert_befores_chain(&fx, "person.update", json(&person), UPDATES).await;
    let now = s
        .person(&detail_grant(), person.id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last, json(&now), "the last after is the person as stored");
    assert_eq!(fx.verify().await.result, Ok(()));
}

/// Regression: a revocation read the assignment outside its write, so two revocations of one
/// assignment at once both succeeded and both wrote a record of it.
async fn a_role_is_revoked_once_however_many_ask_at_once(fx: Fx) {
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "山田 太郎", Some(unit.id), "主査").await;
    let scope = Scope::Unit(unit.id);
    let assignment = fx
        .store()
        .assign_role(
            &role_grant(&person, Role::SecurityManager, &scope),
            person.id,
            Role::SecurityManager,
            scope.clone(),
            &origin(),
        )
        .await
        .unwrap();
    let before = fx.audit_len().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let grant = role_grant(&person, Role::SecurityManager, &scope);
        let (fx, id) = (fx.clone(), assignment.id);
        tasks.push(tokio::spawn(async move {
            fx.store().revoke_role(&grant, id, &origin()).await
        }));
    }
    let mut revoked = 0;
    for task in tasks {
        match task.await.expect("revoke task") {
            Ok(()) => revoked += 1,
            Err(StoreError::NotFound) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(revoked, 1, "exactly one revocation succeeds");
    let record = fx.assert_one_record(before, "role.revoke").await;
    assert_eq!(record.event.detail["assignment"], json(&assignment));
    assert_eq!(fx.verify().await.result, Ok(()));
}

/// The release of quarantined originals is keyed on a person's address: nobody can take a
/// colleague's address (in another case either) to ask for the colleague's mail, and every
/// change of an address is in the trail.
async fn a_mail_address_names_one_person(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let with = |name: &str, email: Option<&str>| PersonInput {
        email: email.map(str::to_owned),
        ..person_input(name, Some(unit.id), "主事")
    };
    let colleague = s
        .create_person(
            &people_grant(Some(unit.id)),
            with("山田 太郎", Some("yamada@city.example.lg.jp")),
            &origin(),
        )
        .await
        .unwrap();
    let manager = s
        .create_person(
            &people_grant(Some(unit.id)),
            with("鈴木 花子", Some("suzuki@city.example.lg.jp")),
            &origin(),
        )
        .await
        .unwrap();
    assert_conflict(
        s.create_person(
            &people_grant(Some(unit.id)),
            with("佐藤 一郎", Some("YAMADA@City.Example.LG.JP")),
            &origin(),
        )
        .await,
        Conflict::PersonEmailTaken,
        "a second person with the address in another case",
    );
    let before = fx.audit_len().await;
    assert_conflict(
        s.update_person(
            &people_grant(Some(unit.id)),
            manager.id,
            with("鈴木 花子", Some("yamada@city.example.lg.jp")),
            &origin(),
        )
        .await,
        Conflict::PersonEmailTaken,
        "taking a colleague's address",
    );
    fx.assert_no_record(before, "a refused change").await;
    // People without an address are not concerned, however many.
    for name in ["高橋 一", "高橋 二"] {
        s.create_person(&people_grant(Some(unit.id)), with(name, None), &origin())
            .await
            .unwrap();
    }
    let before = fx.audit_len().await;
    s.update_person(
        &people_grant(Some(unit.id)),
        manager.id,
        with("鈴木 花子", Some("hanako.suzuki@city.example.lg.jp")),
        &origin(),
    )
    .await
    .unwrap();
    let record = fx.assert_one_record(before, "person.update").await;
    assert_eq!(
        record.event.detail["before"]["email"],
        "suzuki@city.example.lg.jp"
    );
    assert_eq!(
        record.event.detail["after"]["email"],
        "hanako.suzuki@city.example.lg.jp"
    );
    assert_eq!(
        colleague.email.as_deref(),
        Some("yamada@city.example.lg.jp")
    );
}

async fn people_crud(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let soumu = new_unit(&fx, org.id, None, "総務課").await;
    let jinji = new_unit(&fx, org.id, None, "人事課").await;
    let created = s
        .create_person(
            &people_grant(Some(soumu.id)),
            PersonInput {
                email: Some("yamada@example.lg.jp".into()),
                phone: "03-1234-5678".into(),
                ..person_input("山田 太郎", Some(soumu.id), "主査")
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(
        created.org_id,
        Some(org.id),
        "a person's organisation follows the unit"
    );
    assert_eq!(created.unit_id, Some(soumu.id));

    let fetched = s
        .person(&detail_grant(), created.id, &origin())
        .await
        .unwrap();
    assert_eq!(fetched, Some(created.clone()));
    assert_eq!(
        s.person_place(created.id).await.unwrap(),
        Some(PersonPlace {
            person_id: Some(created.id),
            org_id: Some(org.id),
            unit_id: Some(soumu.id),
        })
    );

    let moved = s
        .update_person(
            &people_grant(Some(jinji.id)),
            created.id,
            PersonInput {
                external: true,
                ..person_input("山田 太郎", Some(jinji.id), "課長")
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(moved.unit_id, Some(jinji.id));
    assert_eq!(moved.email, None);
    assert!(moved.external);
    assert_eq!(
        s.person(&detail_grant(), created.id, &origin())
            .await
            .unwrap(),
        Some(moved)
    );

    let unplaced = new_person(&fx, "鈴木 花子", None, "").await;
    assert_eq!(unplaced.org_id, None);
    assert_eq!(
        s.person_place(unplaced.id).await.unwrap().unwrap().unit_id,
        None
    );

    let unknown = PersonId(unplaced.id.0 + 100);
    assert_eq!(s.person_place(unknown).await.unwrap(), None);
    assert_not_found(
        s.update_person(
            &people_grant(None),
            unknown,
            person_input("誰か", None, ""),
            &origin(),
        )
        .await,
        "update of an unknown person",
    );
    let nowhere = UnitId(jinji.id.0 + 100);
    assert_conflict(
        s.create_person(
            &people_grant(Some(nowhere)),
            person_input("佐藤 一郎", Some(nowhere), ""),
            &origin(),
        )
        .await,
        Conflict::PersonUnitMissing,
        "person in an unknown unit",
    );
}

async fn person_read_is_audited(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "山田 太郎", Some(unit.id), "主査").await;
    let before = fx.audit_len().await;
    s.person(&detail_grant(), person.id, &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "person.read").await;
    assert_eq!(record.event.target_id, person.id.to_string());
    assert_eq!(record.event.unit_id, Some(unit.id));
    assert_eq!(record.event.actor_name, "ciso");

    let before = fx.audit_len().await;
    assert_eq!(
        s.person(&detail_grant(), PersonId(person.id.0 + 100), &origin())
            .await
            .unwrap(),
        None
    );
    fx.assert_no_record(before, "a read of nobody").await;
}

async fn people_listing_filters_search_and_pages(fx: Fx) {
    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    let kanri = new_org(&fx, "KANRI", "管理者").await;
    let kyoiku = new_org(&fx, "KYOIKU", "教育委員会").await;
    let soumu = new_unit(&fx, kanri.id, None, "総務課").await;
    let jinji = new_unit(&fx, kanri.id, None, "人事課").await;
    let gakko = new_unit(&fx, kyoiku.id, None, "学務課").await;
    for i in 1..=7 {
        new_person(&fx, &format!("Tanaka {i:02}"), Some(soumu.id), "主事").await;
    }
    for i in 1..=3 {
        new_person(&fx, &format!("Sato {i:02}"), Some(jinji.id), "係長").await;
    }
    for i in 1..=4 {
        new_person(&fx, &format!("Kato {i:02}"), Some(gakko.id), "主事").await;
    }
    new_person(&fx, "Mori 01", None, "参与").await;

    let all = PeopleFilter {
        limit: 100,
        ..PeopleFilter::default()
    };
    let (everyone, total) = s.list_people(&view, &all).await.unwrap();
    assert_eq!(total, 15);
    assert_eq!(everyone.len(), 15);
    let names: Vec<_> = everyone.iter().map(|p| p.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "people are listed by name");

    let (in_kanri, total) = s
        .list_people(
            &view,
            &PeopleFilter {
                org_id: Some(kanri.id),
                ..all.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 10);
    assert!(in_kanri.iter().all(|p| p.org_id == Some(kanri.id)));

    let (in_jinji, total) = s
        .list_people(
            &view,
            &PeopleFilter {
                unit_id: Some(jinji.id),
                ..all.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        in_jinji.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Sato 01", "Sato 02", "Sato 03"]
    );
    assert!(
        in_jinji
            .iter()
            .all(|p| p.unit_name.as_deref() == Some("人事課") && p.title == "係長")
    );

    let by_name = PeopleFilter {
        text: Some(" ato ".into()),
        ..all.clone()
    };
    let (found, total) = s.list_people(&view, &by_name).await.unwrap();
    assert_eq!(total, 7, "'ato' is in Sato and Kato");
    assert!(found.iter().all(|p| p.name.contains("ato")));

    let by_title = PeopleFilter {
        text: Some("参与".into()),
        ..all.clone()
    };
    let (found, total) = s.list_people(&view, &by_title).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(found[0].name, "Mori 01");
    assert_eq!(found[0].unit_name, None);

    let combined = PeopleFilter {
        org_id: Some(kyoiku.id),
        text: Some("主事".into()),
        ..all.clone()
    };
    assert_eq!(s.list_people(&view, &combined).await.unwrap().1, 4);
    let nothing = PeopleFilter {
        unit_id: Some(gakko.id),
        text: Some("Tanaka".into()),
        ..all.clone()
    };
    let (found, total) = s.list_people(&view, &nothing).await.unwrap();
    assert_eq!((found.len(), total), (0, 0));

    // Paging: the total counts every match, the page only its slice.
    let soumu_only = PeopleFilter {
        unit_id: Some(soumu.id),
        limit: 3,
        ..PeopleFilter::default()
    };
    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 3), (3, 3), (6, 1), (9, 0)] {
        let (page, total) = s
            .list_people(
                &view,
                &PeopleFilter {
                    offset,
                    ..soumu_only.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(total, 7, "total at offset {offset}");
        assert_eq!(page.len(), expected_len, "page at offset {offset}");
        seen.extend(page.into_iter().map(|p| p.name));
    }
    let expected: Vec<_> = (1..=7).map(|i| format!("Tanaka {i:02}")).collect();
    assert_eq!(seen, expected);
}

async fn people_search_is_case_insensitive(fx: Fx) {
    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    new_person(&fx, "Yamada Taro", None, "Chief Engineer").await;
    new_person(&fx, "Suzuki Hanako", None, "").await;
    for text in ["yamada", "YAMADA", "chief ENGINEER"] {
        let filter = PeopleFilter {
            text: Some(text.into()),
            limit: 10,
            ..PeopleFilter::default()
        };
        let (found, total) = s.list_people(&view, &filter).await.unwrap();
        assert_eq!(total, 1, "search for {text:?}");
        assert_eq!(found[0].name, "Yamada Taro");
    }
}

async fn people_search_treats_like_wildcards_literally(fx: Fx) {
    let s = fx.store();
    let view = grant::<ViewDirectory>(&());
    for (full_name, title) in [
        ("Alpha 100% 達成", ""),
        ("Beta 100 pct", ""),
        ("Gamma a_b", ""),
        ("Delta axb", ""),
        ("Epsilon", "C:\\share"),
        ("Zeta", "C:share"),
    ] {
        new_person(&fx, full_name, None, title).await;
    }
    for (text, expected) in [
        ("%", vec!["Alpha 100% 達成"]),
        ("100%", vec!["Alpha 100% 達成"]),
        ("_", vec!["Gamma a_b"]),
        ("a_b", vec!["Gamma a_b"]),
        ("\\", vec!["Epsilon"]),
        ("C:\\", vec!["Epsilon"]),
        ("%_%", vec![]),
    ] {
        let filter = PeopleFilter {
            text: Some(text.into()),
            limit: 10,
            ..PeopleFilter::default()
        };
        let (found, total) = s.list_people(&view, &filter).await.unwrap();
        let names: Vec<_> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, expected, "search for {text:?}");
        assert_eq!(total, expected.len() as i64, "count for {text:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

async fn role_assignment_and_revocation(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "山田 太郎", Some(unit.id), "主査").await;
    let view = detail_grant();
    assert!(s.roles_of(&view, person.id).await.unwrap().is_empty());

    let manager_scope = Scope::Unit(unit.id);
    let manager = s
        .assign_role(
            &role_grant(&person, Role::SecurityManager, &manager_scope),
            person.id,
            Role::SecurityManager,
            manager_scope.clone(),
            &origin(),
        )
        .await
        .unwrap();
    let officer_scope = Scope::Organisation(org.id);
    let officer = s
        .assign_role(
            &role_grant(&person, Role::SecurityOfficer, &officer_scope),
            person.id,
            Role::SecurityOfficer,
            officer_scope.clone(),
            &origin(),
        )
        .await
        .unwrap();
    let system_scope = Scope::System("jinji-kyuyo".into());
    let sysadmin = s
        .assign_role(
            &role_grant(&person, Role::SystemAdministrator, &system_scope),
            person.id,
            Role::SystemAdministrator,
            system_scope.clone(),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(manager.person_id, person.id);
    assert_eq!(manager.scope, manager_scope);
    assert_eq!(
        s.roles_of(&view, person.id).await.unwrap(),
        vec![manager.clone(), officer.clone(), sysadmin.clone()]
    );
    assert_eq!(
        s.assignment(officer.id).await.unwrap(),
        Some(officer.clone())
    );

    let revoke = role_grant(&person, Role::SecurityOfficer, &officer_scope);
    s.revoke_role(&revoke, officer.id, &origin()).await.unwrap();
    assert_eq!(s.assignment(officer.id).await.unwrap(), None);
    assert_eq!(
        s.roles_of(&view, person.id).await.unwrap(),
        vec![manager, sysadmin]
    );
    assert_not_found(
        s.revoke_role(&revoke, officer.id, &origin()).await,
        "revoking twice",
    );
    assert_not_found(
        s.revoke_role(&revoke, AssignmentId(officer.id.0 + 100), &origin())
            .await,
        "revoking an unknown assignment",
    );

    // Scopes and people that do not exist are refused.
    let gone = Scope::Unit(UnitId(unit.id.0 + 100));
    assert_conflict(
        s.assign_role(
            &role_grant(&person, Role::Staff, &gone),
            person.id,
            Role::Staff,
            gone.clone(),
            &origin(),
        )
        .await,
        Conflict::RoleScopeMissing,
        "role over an unknown unit",
    );
    let gone_org = Scope::Organisation(OrgId(org.id.0 + 100));
    assert_conflict(
        s.assign_role(
            &role_grant(&person, Role::SecurityOfficer, &gone_org),
            person.id,
            Role::SecurityOfficer,
            gone_org,
            &origin(),
        )
        .await,
        Conflict::RoleScopeMissing,
        "role over an unknown organisation",
    );
    let nobody = PersonId(person.id.0 + 100);
    assert_not_found(
        s.assign_role(
            &role_grant(&person, Role::Staff, &Scope::Unit(unit.id)),
            nobody,
            Role::Staff,
            Scope::Unit(unit.id),
            &origin(),
        )
        .await,
        "role for an unknown person",
    );
}

async fn duplicate_role_assignment_conflicts(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "山田 太郎", Some(unit.id), "主査").await;
    let scope = Scope::Unit(unit.id);
    let g = role_grant(&person, Role::Staff, &scope);
    s.assign_role(&g, person.id, Role::Staff, scope.clone(), &origin())
        .await
        .unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.assign_role(&g, person.id, Role::Staff, scope.clone(), &origin())
            .await,
        Conflict::RoleAlreadyAssigned,
        "the same role twice",
    );
    fx.assert_no_record(before, "a refused role assignment")
        .await;
    let global = role_grant(&person, Role::Auditor, &Scope::Global);
    s.assign_role(&global, person.id, Role::Auditor, Scope::Global, &origin())
        .await
        .unwrap();
    assert_conflict(
        s.assign_role(&global, person.id, Role::Auditor, Scope::Global, &origin())
            .await,
        Conflict::RoleAlreadyAssigned,
        "the same global role twice",
    );
    assert_eq!(
        s.roles_of(&detail_grant(), person.id).await.unwrap().len(),
        2
    );
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

async fn provision_account_and_credentials(fx: Fx) {
    let s = fx.store();
    assert_eq!(s.count_accounts().await.unwrap(), 0);
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "情報政策課").await;
    let before = fx.audit_len().await;
    let user = provision(
        &fx,
        "Yamada.Taro",
        Some(unit.id),
        Some((Role::SecurityManager, Scope::Unit(unit.id))),
    )
    .await;
    let record = fx.assert_one_record(before, "account.provision").await;
    assert_eq!(record.event.target_id, user.to_string());
    assert_eq!(s.count_accounts().await.unwrap(), 1);

    for typed in ["yamada.taro", "YAMADA.TARO", "Yamada.Taro"] {
        let creds = s
            .credentials_by_name(typed)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("login name {typed}"));
        assert_eq!(creds.user_id, user);
        assert_eq!(creds.username, "yamada.taro");
        assert_eq!(creds.password_hash, "$argon2id$hash-of-Yamada.Taro");
        assert_eq!(creds.totp_secret, None);
        assert_eq!(creds.language, "ja");
        assert!(!creds.disabled);
    }
    assert!(s.credentials_by_name("yamada").await.unwrap().is_none());
    assert!(
        s.credentials_by_name("yamada.taro%")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.credentials(user).await.unwrap().unwrap().username,
        "yamada.taro"
    );
    assert!(s.credentials(UserId(user.0 + 100)).await.unwrap().is_none());

    let account = s.account(user).await.unwrap().unwrap();
    assert_eq!(account.username, "yamada.taro");
    assert_eq!(account.person_name, "Person Yamada.Taro");
    assert!(!account.totp_enabled);
    assert!(!account.disabled);
    assert_eq!(account.created_at, fx.now());
    let place = s.person_place(account.person_id).await.unwrap().unwrap();
    assert_eq!((place.org_id, place.unit_id), (Some(org.id), Some(unit.id)));
    assert!(s.account(UserId(user.0 + 100)).await.unwrap().is_none());

    // Without a role and without a unit.
    let plain = provision(&fx, "operator", None, None).await;
    assert_eq!(s.actor(plain).await.unwrap().unwrap().roles, vec![]);
    assert_eq!(s.count_accounts().await.unwrap(), 2);
}

async fn provision_account_with_taken_username_changes_nothing(fx: Fx) {
    let s = fx.store();
    provision(&fx, "admin", None, Some((Role::Ciso, Scope::Global))).await;
    let people = fx.raw_count("SELECT COUNT(*) FROM people").await;
    let roles = fx.raw_count("SELECT COUNT(*) FROM role_assignments").await;
    let before = fx.audit_len().await;
    let again = s
        .provision_account(
            person_input("Another Admin", None, ""),
            new_account("ADMIN"),
            Some((Role::Ciso, Scope::Global)),
            &Origin::system("test"),
        )
        .await;
    assert_conflict(
        again,
        Conflict::AccountUsernameTaken,
        "second account with the same name in other case",
    );
    fx.assert_no_record(before, "a refused provisioning").await;
    assert_eq!(
        fx.raw_count("SELECT COUNT(*) FROM people").await,
        people,
        "the person was rolled back"
    );
    assert_eq!(
        fx.raw_count("SELECT COUNT(*) FROM role_assignments").await,
        roles
    );
    assert_eq!(s.count_accounts().await.unwrap(), 1);
}

async fn create_account_and_list_accounts(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let person = new_person(&fx, "鈴木 花子", Some(unit.id), "主事").await;
    let manage = grant::<ManageAccounts>(&());
    let before = fx.audit_len().await;
    let user = s
        .create_account(
            &manage,
            NewAccount {
                person_id: person.id,
                ..new_account("suzuki")
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "account.create").await;
    assert_eq!(record.event.unit_id, Some(unit.id));
    assert_conflict(
        s.create_account(
            &manage,
            NewAccount {
                person_id: person.id,
                ..new_account("suzuki2")
            },
            &origin(),
        )
        .await,
        Conflict::AccountPersonHasAccount,
        "second account for one person",
    );
    let other = new_person(&fx, "佐藤 次郎", Some(unit.id), "主事").await;
    assert_conflict(
        s.create_account(
            &manage,
            NewAccount {
                person_id: other.id,
                ..new_account("SUZUKI")
            },
            &origin(),
        )
        .await,
        Conflict::AccountUsernameTaken,
        "taken username",
    );
    assert_conflict(
        s.create_account(
            &manage,
            NewAccount {
                person_id: PersonId(other.id.0 + 100),
                ..new_account("ghost")
            },
            &origin(),
        )
        .await,
        Conflict::AccountPersonMissing,
        "account for an unknown person",
    );
    let admin = provision(&fx, "admin", None, Some((Role::Ciso, Scope::Global))).await;
    let accounts = s.list_accounts(&manage).await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .map(|a| (a.user_id, a.username.as_str()))
            .collect::<Vec<_>>(),
        [(admin, "admin"), (user, "suzuki")]
    );
    assert_eq!(accounts[1].person_name, "鈴木 花子");
    assert_eq!(accounts[1].person_id, person.id);
}

async fn actor_has_roles_and_disabled_account_has_none(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let user = provision(
        &fx,
        "tanaka",
        Some(unit.id),
        Some((Role::Staff, Scope::Unit(unit.id))),
    )
    .await;
    let person_id = s.account(user).await.unwrap().unwrap().person_id;
    let person = s
        .person(&detail_grant(), person_id, &origin())
        .await
        .unwrap()
        .unwrap();
    let scope = Scope::Organisation(org.id);
    s.assign_role(
        &role_grant(&person, Role::SecurityOfficer, &scope),
        person_id,
        Role::SecurityOfficer,
        scope.clone(),
        &origin(),
    )
    .await
    .unwrap();

    let actor = s
        .actor(user)
        .await
        .unwrap()
        .expect("an enabled account acts");
    assert_eq!(actor.user_id, user);
    assert_eq!(actor.person_id, person_id);
    assert_eq!(actor.username, "tanaka");
    assert_eq!(actor.org_id, Some(org.id));
    assert_eq!(actor.unit_id, Some(unit.id));
    assert_eq!(
        actor.roles,
        vec![
            (Role::Staff, Scope::Unit(unit.id)),
            (Role::SecurityOfficer, scope)
        ]
    );
    // The loaded roles decide: an officer of the organisation may manage its units.
    assert!(authorize::<ManageUnits>(&actor, &org.id).is_ok());
    assert!(authorize::<ManageOrganisations>(&actor, &()).is_err());

    let manage = grant::<ManageAccounts>(&());
    let before = fx.audit_len().await;
    s.set_account_disabled(&manage, user, true, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "account.disable").await;
    assert_eq!(
        s.actor(user).await.unwrap(),
        None,
        "a disabled account does not act"
    );
    assert!(s.credentials(user).await.unwrap().unwrap().disabled);
    assert!(s.account(user).await.unwrap().unwrap().disabled);
    s.set_account_disabled(&manage, user, false, &origin())
        .await
        .unwrap();
    assert_eq!(fx.newest_record().await.event.action, "account.enable");
    assert!(s.actor(user).await.unwrap().is_some());
    assert_eq!(s.actor(UserId(user.0 + 100)).await.unwrap(), None);
    assert_not_found(
        s.set_account_disabled(&manage, UserId(user.0 + 100), true, &origin())
            .await,
        "disabling an unknown account",
    );
}

async fn password_and_language_changes(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let who = Origin::system("tanaka");
    fx.clock.advance(5_000);
    let before = fx.audit_len().await;
    s.set_password(user, "$argon2id$new", &who).await.unwrap();
    fx.assert_one_record(before, "account.password_change")
        .await;
    assert_eq!(
        s.credentials(user).await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    s.set_language(user, "en", &who).await.unwrap();
    let record = fx.assert_one_record(before + 1, "account.language").await;
    assert_eq!(record.event.detail["language"], "en");
    assert_eq!(
        s.credentials_by_name("tanaka")
            .await
            .unwrap()
            .unwrap()
            .language,
        "en"
    );
    assert_eq!(s.account(user).await.unwrap().unwrap().language, "en");
}

// ---------------------------------------------------------------------------------------------
// Sessions, second factor, API tokens
// ---------------------------------------------------------------------------------------------

async fn sessions_lifecycle(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "情報政策課").await;
    let user = provision(
        &fx,
        "tanaka",
        Some(unit.id),
        Some((Role::SecurityManager, Scope::Unit(unit.id))),
    )
    .await;
    let expires = fx.now() + 3_600_000;
    let id = s
        .create_session(NewSession {
            mfa_pending: true,
            ..new_session(user, "digest-1", expires)
        })
        .await
        .unwrap();
    let (session, actor) = s.session("digest-1").await.unwrap().expect("live session");
    assert_eq!(
        actor, None,
        "no one acts while the second factor is pending"
    );
    assert_eq!(session.id, id);
    assert_eq!(session.user_id, user);
    assert_eq!(session.csrf_token, "csrf-digest-1");
    assert!(session.mfa_pending);
    assert_eq!(
        (session.created_at, session.last_seen_at, session.expires_at),
        (fx.now(), fx.now(), expires)
    );
    assert_eq!(session.address, "198.51.100.7");
    assert_eq!(session.user_agent, "test-agent");
    assert!(s.session("digest-unknown").await.unwrap().is_none());

    // Looking a session up later refreshes when it was last seen.
    fx.clock.advance(120_000);
    s.session("digest-1").await.unwrap().unwrap();
    assert_eq!(
        s.list_sessions(user).await.unwrap()[0].last_seen_at,
        fx.now()
    );

    let second = s
        .create_session(new_session(user, "digest-2", expires))
        .await
        .unwrap();
    // A session past its second factor comes with its account's actor, roles and all.
    let (session, actor) = s.session("digest-2").await.unwrap().unwrap();
    assert_eq!(session.id, second);
    let actor = actor.expect("the account acts");
    assert_eq!(Some(&actor), s.actor(user).await.unwrap().as_ref());
    assert_eq!(
        (actor.username.as_str(), actor.unit_id, actor.roles.len()),
        ("tanaka", Some(unit.id), 1)
    );
    let listed: Vec<_> = s
        .list_sessions(user)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&id) && listed.contains(&second));
    assert!(
        s.create_session(new_session(user, "digest-2", expires))
            .await
            .is_err(),
        "digests are unique"
    );
}

async fn session_expiry_follows_the_clock(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let short = s
        .create_session(new_session(user, "short", fx.now() + 60_000))
        .await
        .unwrap();
    let long = s
        .create_session(new_session(user, "long", fx.now() + 600_000))
        .await
        .unwrap();
    fx.clock.advance(59_999);
    assert!(s.session("short").await.unwrap().is_some());
    fx.clock.advance(1);
    assert!(
        s.session("short").await.unwrap().is_none(),
        "a session ends at its expiry time"
    );
    assert_eq!(
        s.list_sessions(user)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [long]
    );
    assert!(
        !s.revoke_session(user, short).await.unwrap(),
        "an expired session is no longer live"
    );
    fx.clock.advance(600_000);
    assert!(s.session("long").await.unwrap().is_none());
    assert!(s.list_sessions(user).await.unwrap().is_empty());
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM sessions").await, 2);
    s.create_session(new_session(user, "next", fx.now() + 60_000))
        .await
        .unwrap();
    assert_eq!(
        fx.raw_count("SELECT COUNT(*) FROM sessions").await,
        1,
        "a new login removes the account's expired sessions"
    );
}

async fn revoke_only_own_sessions_and_others(fx: Fx) {
    let s = fx.store();
    let alice = provision(&fx, "alice", None, None).await;
    let bob = provision(&fx, "bob", None, None).await;
    let expires = fx.now() + 3_600_000;
    let a1 = s
        .create_session(new_session(alice, "a1", expires))
        .await
        .unwrap();
    let a2 = s
        .create_session(new_session(alice, "a2", expires))
        .await
        .unwrap();
    s.create_session(new_session(alice, "a3", expires))
        .await
        .unwrap();
    let b1 = s
        .create_session(new_session(bob, "b1", expires))
        .await
        .unwrap();

    assert!(
        !s.revoke_session(alice, b1).await.unwrap(),
        "nobody ends another user's session"
    );
    assert!(s.session("b1").await.unwrap().is_some());
    assert!(s.revoke_session(alice, a2).await.unwrap());
    assert!(s.session("a2").await.unwrap().is_none());
    assert!(
        !s.revoke_session(alice, a2).await.unwrap(),
        "a session ends once"
    );

    assert_eq!(s.revoke_other_sessions(alice, Some(a1)).await.unwrap(), 1);
    assert_eq!(
        s.list_sessions(alice)
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [a1]
    );
    assert!(s.session("a3").await.unwrap().is_none());
    assert!(
        s.session("b1").await.unwrap().is_some(),
        "other users keep their sessions"
    );
    assert_eq!(s.revoke_other_sessions(alice, None).await.unwrap(), 1);
    assert!(s.list_sessions(alice).await.unwrap().is_empty());
    assert_eq!(s.list_sessions(bob).await.unwrap().len(), 1);
}

async fn disabling_an_account_ends_its_sessions(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let other = provision(&fx, "suzuki", None, None).await;
    s.create_session(new_session(user, "t1", fx.now() + 60_000))
        .await
        .unwrap();
    s.create_session(new_session(other, "s1", fx.now() + 60_000))
        .await
        .unwrap();
    s.set_account_disabled(&grant::<ManageAccounts>(&()), user, true, &origin())
        .await
        .unwrap();
    assert!(s.session("t1").await.unwrap().is_none());
    assert!(s.session("s1").await.unwrap().is_some());
}

fn directory_account(
    username: &str,
    unit: Option<UnitId>,
    email: Option<&str>,
    roles: Vec<(Role, Scope)>,
) -> DirectoryAccount {
    DirectoryAccount {
        username: Username::parse(username).unwrap(),
        dn: format!("uid={username},ou=people,dc=example,dc=jp"),
        name: name(&format!("Directory {username}")),
        email: email.map(str::to_owned),
        unit_id: unit,
        roles,
    }
}

async fn a_directory_account_is_made_once_and_follows_the_directory(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "ORG", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let taken = new_person(&fx, "Address holder", Some(unit.id), "主事").await;
    s.update_person(
        &people_grant(Some(unit.id)),
        taken.id,
        PersonInput {
            email: Some("Yamada@Example.jp".into()),
            ..person_input("Address holder", Some(unit.id), "主事")
        },
        &origin(),
    )
    .await
    .unwrap();
    let staff = (Role::Staff, Scope::Unit(unit.id));
    let before = fx.audit_len().await;
    let (user, sync) = s
        .sync_directory_account(
            directory_account(
                "yamada",
                Some(unit.id),
                Some("yamada@example.jp"),
                vec![staff.clone()],
            ),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(sync, DirectorySync::Created);
    fx.assert_one_record(before, "account.directory_create")
        .await;
    let creds = s.credentials(user).await.unwrap().unwrap();
    assert_eq!(
        creds.directory_dn.as_deref(),
        Some("uid=yamada,ou=people,dc=example,dc=jp")
    );
    assert!(
        !mamori_core::credentials::verify_password("", &creds.password_hash),
        "no password matches a directory account's"
    );
    let actor = s.actor(user).await.unwrap().unwrap();
    assert_eq!(actor.roles, vec![staff.clone()]);
    assert_eq!(actor.unit_id, Some(unit.id));
    let person = s
        .person(&detail_grant(), actor.person_id, &origin())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        person.email, None,
        "an address that names someone else is not taken"
    );

    let before = fx.audit_len().await;
    let (again, sync) = s
        .sync_directory_account(
            directory_account("yamada", Some(unit.id), None, vec![staff.clone()]),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!((again, sync), (user, DirectorySync::Unchanged));
    assert_eq!(
        fx.audit_len().await,
        before,
        "nothing changed, nothing written"
    );

    let manager = (Role::SecurityManager, Scope::Unit(unit.id));
    let (_, sync) = s
        .sync_directory_account(
            directory_account("yamada", Some(unit.id), None, vec![manager.clone()]),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(sync, DirectorySync::RolesChanged);
    fx.assert_one_record(before, "account.directory_roles")
        .await;
    assert_eq!(s.actor(user).await.unwrap().unwrap().roles, vec![manager]);

    let local = provision(&fx, "tanaka", None, None).await;
    let before = fx.audit_len().await;
    assert_conflict(
        s.sync_directory_account(directory_account("tanaka", None, None, vec![]), &origin())
            .await,
        Conflict::AccountNotFromDirectory,
        "a local account is never the directory's",
    );
    assert!(
        !s.disable_directory_account(local, "directory_unknown", &origin())
            .await
            .unwrap(),
        "nor disabled by it"
    );
    assert_eq!(fx.audit_len().await, before);

    let asked = |list: Vec<mamori_store::Credentials>| -> Vec<String> {
        list.into_iter().map(|c| c.username).collect()
    };
    assert_eq!(
        asked(s.directory_accounts().await.unwrap()),
        ["yamada"],
        "the periodic check asks about directory accounts only"
    );
    s.create_session(new_session(user, "y1", fx.now() + 60_000))
        .await
        .unwrap();
    assert!(
        s.disable_directory_account(user, "directory_unknown", &origin())
            .await
            .unwrap()
    );
    assert!(
        s.directory_accounts().await.unwrap().is_empty(),
        "nor about disabled ones"
    );
    fx.assert_one_record(before, "account.disable").await;
    assert!(s.session("y1").await.unwrap().is_none());
    assert!(s.actor(user).await.unwrap().is_none());
    assert!(
        !s.disable_directory_account(user, "directory_unknown", &origin())
            .await
            .unwrap(),
        "once"
    );
}

async fn totp_step_cannot_be_replayed(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let other = provision(&fx, "suzuki", None, None).await;
    let before = fx.audit_len().await;
    s.set_totp(
        user,
        Some("JBSWY3DPEHPK3PXP"),
        &[],
        &Origin::system("tanaka"),
    )
    .await
    .unwrap();
    fx.assert_one_record(before, "account.totp_enable").await;
    assert_eq!(
        s.credentials(user)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .as_deref(),
        Some("JBSWY3DPEHPK3PXP")
    );
    assert!(s.account(user).await.unwrap().unwrap().totp_enabled);

    let step = 58_800_000;
    assert!(s.claim_totp_step(user, step).await.unwrap());
    assert!(
        !s.claim_totp_step(user, step).await.unwrap(),
        "the same step twice"
    );
    assert!(
        !s.claim_totp_step(user, step - 1).await.unwrap(),
        "an older step"
    );
    assert!(
        s.claim_totp_step(other, step).await.unwrap(),
        "steps are per account"
    );
    assert!(s.claim_totp_step(user, step + 1).await.unwrap());
    assert!(!s.claim_totp_step(user, step).await.unwrap());

    s.set_totp(user, None, &[], &Origin::system("tanaka"))
        .await
        .unwrap();
    assert_eq!(
        fx.newest_record().await.event.action,
        "account.totp_disable"
    );
    assert_eq!(
        s.credentials(user).await.unwrap().unwrap().totp_secret,
        None
    );
}

async fn recovery_codes_are_single_use(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let other = provision(&fx, "suzuki", None, None).await;
    let digests: Vec<String> = ["r1", "r2", "r3"].map(String::from).to_vec();
    s.set_totp(user, Some("SECRET"), &digests, &Origin::system("tanaka"))
        .await
        .unwrap();
    s.set_totp(
        other,
        Some("SECRET2"),
        &["o1".to_string()],
        &Origin::system("suzuki"),
    )
    .await
    .unwrap();
    assert_eq!(s.remaining_recovery_codes(user).await.unwrap(), 3);

    assert!(s.use_recovery_code(user, "r2").await.unwrap());
    assert!(
        !s.use_recovery_code(user, "r2").await.unwrap(),
        "a code is used once"
    );
    assert!(!s.use_recovery_code(user, "nope").await.unwrap());
    assert!(
        !s.use_recovery_code(user, "o1").await.unwrap(),
        "another account's code"
    );
    assert_eq!(s.remaining_recovery_codes(user).await.unwrap(), 2);
    assert_eq!(s.remaining_recovery_codes(other).await.unwrap(), 1);

    // Enrolling again replaces the codes.
    s.set_totp(
        user,
        Some("SECRET3"),
        &["n1".to_string()],
        &Origin::system("tanaka"),
    )
    .await
    .unwrap();
    assert_eq!(s.remaining_recovery_codes(user).await.unwrap(), 1);
    assert!(!s.use_recovery_code(user, "r1").await.unwrap());
    s.set_totp(user, None, &[], &Origin::system("tanaka"))
        .await
        .unwrap();
    assert_eq!(s.remaining_recovery_codes(user).await.unwrap(), 0);
    assert!(!s.use_recovery_code(user, "n1").await.unwrap());
}

async fn api_tokens(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "robot", None, Some((Role::Auditor, Scope::Global))).await;
    let other = provision(&fx, "human", None, None).await;
    let before = fx.audit_len().await;
    let expires = fx.now() + 90 * DAY_MS;
    let id = s
        .create_api_token(
            new_token(user, "nightly export", "tokendigest-1", expires),
            &Origin::system("token"),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "api_token.create").await;
    assert_eq!(record.event.detail["token_id"], id);
    assert_eq!(record.event.detail["name"], "nightly export");
    assert_eq!(record.event.detail["expires_at"], expires);
    assert_eq!(record.event.detail["read_only"], false);
    // The token comes with the account's actor, roles and all, in the same read.
    let actor = s.actor(user).await.unwrap();
    assert_eq!(actor.as_ref().map(|a| a.roles.len()), Some(1));
    assert_eq!(
        s.live_api_token("tokendigest-1").await.unwrap(),
        Some(LiveToken {
            id,
            user_id: user,
            read_only: false,
            must_change_password: false,
            actor,
        })
    );
    assert_eq!(s.live_api_token("tokendigest-2").await.unwrap(), None);
    assert_eq!(s.live_api_token("").await.unwrap(), None);
    let second = s
        .create_api_token(
            NewApiToken {
                read_only: true,
                ..new_token(user, "second", "tokendigest-2", fx.now() + DAY_MS)
            },
            &Origin::system("token"),
        )
        .await
        .unwrap();
    assert_ne!(id, second);
    let live = s.live_api_token("tokendigest-2").await.unwrap().unwrap();
    assert!(live.read_only && live.user_id == user);
    let before = fx.audit_len().await;
    assert_conflict(
        s.create_api_token(
            new_token(user, "again", "tokendigest-1", expires),
            &Origin::system("token"),
        )
        .await,
        Conflict::ApiTokenDigestTaken,
        "a token digest twice",
    );
    fx.assert_no_record(before, "a refused token").await;

    // Listed newest first, with when each was last used; never the digest.
    let listed = s.list_api_tokens(Some(user)).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        [second, id]
    );
    assert_eq!(listed[1].username, "robot");
    assert_eq!(listed[1].name, "nightly export");
    assert_eq!(listed[1].expires_at, expires);
    assert_eq!(listed[1].last_used_at, Some(fx.now()));
    assert!(listed[0].read_only && !listed[1].read_only);
    assert!(s.list_api_tokens(Some(other)).await.unwrap().is_empty());
    // A use is noted at most once a minute.
    let first_use = fx.now();
    fx.clock.advance(30_000);
    s.live_api_token("tokendigest-1").await.unwrap().unwrap();
    let token = |list: Vec<mamori_store::ApiToken>| list.into_iter().find(|t| t.id == id).unwrap();
    assert_eq!(
        token(s.list_api_tokens(None).await.unwrap()).last_used_at,
        Some(first_use)
    );
    fx.clock.advance(61_000);
    s.live_api_token("tokendigest-1").await.unwrap().unwrap();
    assert_eq!(
        token(s.list_api_tokens(None).await.unwrap()).last_used_at,
        Some(fx.now())
    );

    // Disabling an account through the store revokes its tokens. An account disabled at the
    // database leaves them live, and they speak for nobody.
    let actor_of = async |digest: &str| s.live_api_token(digest).await.unwrap().unwrap().actor;
    fx.raw_execute(&format!(
        "UPDATE users SET disabled = 1 WHERE id = {}",
        user.0
    ))
    .await;
    assert_eq!(actor_of("tokendigest-1").await, None);
    fx.raw_execute(&format!(
        "UPDATE users SET disabled = 0 WHERE id = {}",
        user.0
    ))
    .await;
    assert!(actor_of("tokendigest-1").await.is_some());

    // Expiry follows the clock; an expired token is still listed, as expired.
    fx.clock.advance(DAY_MS);
    assert_eq!(s.live_api_token("tokendigest-2").await.unwrap(), None);
    let expired = s.list_api_tokens(Some(user)).await.unwrap();
    assert!(!expired[0].is_live(fx.now()) && expired[1].is_live(fx.now()));

    // Revocation: by its owner or the operator, once, audited; nobody else's.
    let before = fx.audit_len().await;
    assert_not_found(
        s.revoke_api_token(id, Some(other), &origin()).await,
        "another's token",
    );
    fx.assert_no_record(before, "a refused revocation").await;
    let revoked = s
        .revoke_api_token(id, Some(user), &Origin::system("robot"))
        .await
        .unwrap();
    assert_eq!(revoked.name, "nightly export");
    let record = fx.assert_one_record(before, "api_token.revoke").await;
    assert_eq!(record.event.detail["token_id"], id);
    assert_eq!(record.event.target_id, user.0.to_string());
    assert_eq!(s.live_api_token("tokendigest-1").await.unwrap(), None);
    assert_not_found(
        s.revoke_api_token(id, None, &origin()).await,
        "a token revoked already",
    );
    fx.assert_no_record(before + 1, "a second revocation").await;
    assert_eq!(
        s.list_api_tokens(None)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [second]
    );
    s.revoke_api_token(second, None, &origin()).await.unwrap();
    assert!(s.list_api_tokens(None).await.unwrap().is_empty());
}

async fn a_new_password_or_disabling_revokes_every_token(fx: Fx) {
    let s = fx.store();
    let user = provision(&fx, "tanaka", None, None).await;
    let other = provision(&fx, "suzuki", None, None).await;
    let o = Origin::system("token");
    let far = fx.now() + 30 * DAY_MS;
    for (owner, digest) in [(user, "t1"), (user, "t2"), (other, "s1"), (other, "s2")] {
        s.create_api_token(new_token(owner, digest, digest, far), &o)
            .await
            .unwrap();
    }
    let before = fx.audit_len().await;
    s.set_password(user, "$argon2id$new", &Origin::system("tanaka"))
        .await
        .unwrap();
    let record = fx
        .assert_one_record(before, "account.password_change")
        .await;
    assert_eq!(record.event.detail["tokens_revoked"], 2);
    for digest in ["t1", "t2"] {
        assert_eq!(s.live_api_token(digest).await.unwrap(), None, "{digest}");
    }
    assert!(s.list_api_tokens(Some(user)).await.unwrap().is_empty());
    assert!(s.live_api_token("s1").await.unwrap().is_some());

    s.set_account_disabled(&grant::<ManageAccounts>(&()), other, true, &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before + 1, "account.disable").await;
    assert_eq!(record.event.detail["tokens_revoked"], 2);
    assert_eq!(s.live_api_token("s1").await.unwrap(), None);
    // Enabling the account again does not bring its tokens back.
    s.set_account_disabled(&grant::<ManageAccounts>(&()), other, false, &origin())
        .await
        .unwrap();
    assert_eq!(s.live_api_token("s2").await.unwrap(), None);
    assert_eq!(
        fx.raw_count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL")
            .await,
        0
    );
}

async fn a_password_someone_else_knows_must_be_changed(fx: Fx) {
    let s = fx.store();
    let user = s
        .provision_account(
            person_input("初期管理者", None, ""),
            NewAccount {
                must_change_password: true,
                ..new_account("admin")
            },
            Some((Role::Ciso, Scope::Global)),
            &Origin::system("first start"),
        )
        .await
        .unwrap();
    let record = fx.newest_record().await;
    assert_eq!(record.event.detail["must_change_password"], true);
    assert!(
        s.credentials(user)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    s.create_session(new_session(user, "admin-session", fx.now() + 60_000))
        .await
        .unwrap();
    assert!(
        s.session("admin-session")
            .await
            .unwrap()
            .unwrap()
            .0
            .must_change_password
    );
    assert!(s.list_sessions(user).await.unwrap()[0].must_change_password);
    s.create_api_token(
        new_token(user, "early", "admin-token", fx.now() + DAY_MS),
        &Origin::system("token"),
    )
    .await
    .unwrap();
    assert!(
        s.live_api_token("admin-token")
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    // Others are not marked.
    let other = provision(&fx, "tanaka", None, None).await;
    assert!(
        !s.credentials(other)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    s.set_password(user, "$argon2id$chosen", &Origin::system("admin"))
        .await
        .unwrap();
    assert!(
        !s.credentials(user)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(
        !s.session("admin-session")
            .await
            .unwrap()
            .unwrap()
            .0
            .must_change_password
    );
}

// ---------------------------------------------------------------------------------------------
// The audit trail
// ---------------------------------------------------------------------------------------------

async fn every_mutation_writes_exactly_one_audit_record(fx: Fx) {
    let s = fx.store();
    let o = origin();
    let mut n = fx.audit_len().await;
    assert_eq!(n, 0, "a new store has an empty trail");

    macro_rules! audited {
        ($action:literal, $op:expr) => {{
            let value = $op.await.expect($action);
            let record = fx.assert_one_record(n, $action).await;
            assert_eq!(record.event.actor_name, o.actor_name, "{}", $action);
            assert_eq!(record.event.address, o.address, "{}", $action);
            n += 1;
            value
        }};
    }

    let org = audited!(
        "organisation.create",
        s.create_organisation(
            &grant::<ManageOrganisations>(&()),
            OrganisationInput {
                code: "KANRI".into(),
                name: name("管理者"),
                note: String::new()
            },
            &o
        )
    );
    audited!(
        "organisation.update",
        s.update_organisation(
            &grant::<ManageOrganisations>(&()),
            org.id,
            OrganisationInput {
                code: "KANRI".into(),
                name: name("管理者 (区長部局)"),
                note: String::new()
            },
            &o
        )
    );
    let unit = audited!(
        "unit.create",
        s.create_unit(
            &grant::<ManageUnits>(&org.id),
            unit_input(org.id, None, "総務課"),
            &o
        )
    );
    audited!(
        "unit.update",
        s.update_unit(
            &grant::<ManageUnits>(&org.id),
            unit.id,
            unit_input(org.id, None, "総務課 (庶務)"),
            &o
        )
    );
    let person = audited!(
        "person.create",
        s.create_person(
            &people_grant(Some(unit.id)),
            person_input("山田 太郎", Some(unit.id), "主査"),
            &o
        )
    );
    audited!(
        "person.update",
        s.update_person(
            &people_grant(Some(unit.id)),
            person.id,
            person_input("山田 太郎", Some(unit.id), "係長"),
            &o
        )
    );
    let scope = Scope::Unit(unit.id);
    let assignment = audited!(
        "role.assign",
        s.assign_role(
            &role_grant(&person, Role::Staff, &scope),
            person.id,
            Role::Staff,
            scope.clone(),
            &o
        )
    );
    audited!(
        "role.revoke",
        s.revoke_role(&role_grant(&person, Role::Staff, &scope), assignment.id, &o)
    );
    let user = audited!(
        "account.create",
        s.create_account(
            &grant::<ManageAccounts>(&()),
            NewAccount {
                person_id: person.id,
                ..new_account("yamada")
            },
            &o
        )
    );
    audited!(
        "account.provision",
        s.provision_account(
            person_input("鈴木 花子", None, ""),
            new_account("suzuki"),
            None,
            &o
        )
    );
    audited!(
        "account.disable",
        s.set_account_disabled(&grant::<ManageAccounts>(&()), user, true, &o)
    );
    audited!(
        "account.enable",
        s.set_account_disabled(&grant::<ManageAccounts>(&()), user, false, &o)
    );
    audited!(
        "account.password_change",
        s.set_password(user, "$argon2id$other", &o)
    );
    audited!("account.language", s.set_language(user, "en", &o));
    audited!(
        "account.totp_enable",
        s.set_totp(user, Some("SECRET"), &["c1".to_string()], &o)
    );
    audited!("account.totp_disable", s.set_totp(user, None, &[], &o));
    let token = audited!(
        "api_token.create",
        s.create_api_token(new_token(user, "export", "digest", fx.now() + DAY_MS), &o)
    );
    audited!("api_token.revoke", s.revoke_api_token(token, None, &o));
    audited!("person.read", s.person(&detail_grant(), person.id, &o));
    let written = audited!(
        "login.success",
        s.record(o.event("login.success", "user", user))
    );
    assert_eq!(
        fx.newest_record().await,
        written,
        "record() returns what was stored"
    );

    assert_eq!(fx.audit_len().await, n);
    let verification = fx.verify().await;
    assert_eq!(verification.result, Ok(()));
    assert_eq!(verification.checked, n as u64);
}

async fn refused_mutations_write_no_audit_record(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    let before = fx.audit_len().await;
    let _ = s
        .create_organisation(
            &grant::<ManageOrganisations>(&()),
            OrganisationInput {
                code: "KANRI".into(),
                name: name("重複"),
                note: String::new(),
            },
            &origin(),
        )
        .await
        .unwrap_err();
    let _ = s
        .create_unit(
            &grant::<ManageUnits>(&org.id),
            unit_input(org.id, None, "総務課"),
            &origin(),
        )
        .await
        .unwrap_err();
    let _ = s
        .update_unit(
            &grant::<ManageUnits>(&org.id),
            unit.id,
            unit_input(org.id, Some(unit.id), "総務課"),
            &origin(),
        )
        .await
        .unwrap_err();
    let _ = s
        .set_account_disabled(
            &grant::<ManageAccounts>(&()),
            UserId(12345),
            true,
            &origin(),
        )
        .await
        .unwrap_err();
    let nobody = UserId(12345);
    assert_not_found(
        s.set_password(nobody, "$argon2id$x", &origin()).await,
        "password of nobody",
    );
    assert_not_found(
        s.set_language(nobody, "en", &origin()).await,
        "language of nobody",
    );
    assert_not_found(
        s.set_totp(nobody, Some("SECRET"), &["c".to_string()], &origin())
            .await,
        "TOTP of nobody",
    );
    assert_not_found(
        s.create_api_token(
            new_token(nobody, "t", "digest", fx.now() + DAY_MS),
            &origin(),
        )
        .await,
        "token of nobody",
    );
    assert_not_found(
        s.revoke_api_token(12345, None, &origin()).await,
        "revoking no token",
    );
    assert_eq!(fx.raw_count("SELECT COUNT(*) FROM recovery_codes").await, 0);
    fx.assert_no_record(before, "refused changes").await;
    // The chain goes on from where it was: no sequence number was used up by the refusals.
    let next = new_unit(&fx, org.id, None, "人事課").await;
    let record = fx.newest_record().await;
    assert_eq!(record.seq, before + 1);
    assert_eq!(record.event.target_id, next.id.to_string());
    assert_eq!(fx.verify().await.result, Ok(()));
}

/// Writes events at known times: (action, actor, unit, minutes after the start).
async fn seed_trail(fx: &Fx) -> Vec<AuditRecord> {
    let mut written = Vec::new();
    for (action, actor, unit, minutes) in [
        ("login.success", "alice", None, 0),
        ("login.failed", "bob", None, 1),
        ("unit.create", "alice", Some(5), 2),
        ("login_x.other", "carol", None, 3),
        ("loginxother", "carol", Some(6), 4),
        ("person.read", "bob", Some(5), 5),
        ("person.read", "alice", Some(6), 6),
    ] {
        fx.clock
            .0
            .store(START_MS + minutes * 60_000, Ordering::SeqCst);
        let event = AuditEvent::new(action, "test", minutes)
            .by(None, actor)
            .in_unit(unit.map(UnitId));
        written.push(fx.store().record(event).await.expect("record"));
    }
    written
}

fn actions(records: &[AuditRecord]) -> Vec<&str> {
    records.iter().map(|r| r.event.action.as_str()).collect()
}

async fn list_audit_filters(fx: Fx) {
    let s = fx.store();
    let written = seed_trail(&fx).await;
    assert_eq!(
        written.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    let view = grant::<ViewAudit>(&());
    let all = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };

    let everything = s.list_audit(&view, &all).await.unwrap();
    assert_eq!(everything.len(), 7);
    assert_eq!(everything[0], written[6], "newest first, stored as written");
    assert_eq!(everything[6], written[0]);

    let prefix = |p: &str| AuditFilter {
        action_prefix: Some(p.into()),
        ..all.clone()
    };
    assert_eq!(
        actions(&s.list_audit(&view, &prefix("login.")).await.unwrap()),
        ["login.failed", "login.success"]
    );
    assert_eq!(
        actions(&s.list_audit(&view, &prefix("login_")).await.unwrap()),
        ["login_x.other"],
        "'_' in a prefix is literal"
    );
    assert_eq!(
        actions(&s.list_audit(&view, &prefix("%")).await.unwrap()),
        Vec::<&str>::new(),
        "'%' is literal"
    );
    assert_eq!(
        s.list_audit(&view, &prefix("login")).await.unwrap().len(),
        4
    );
    assert_eq!(
        s.list_audit(&view, &prefix("LOGIN.")).await.unwrap().len(),
        0,
        "actions are matched exactly"
    );
    assert_eq!(
        s.list_audit(&view, &prefix("")).await.unwrap().len(),
        7,
        "an empty prefix is no filter"
    );

    let by_bob = AuditFilter {
        actor_name: Some("bob".into()),
        ..all.clone()
    };
    assert_eq!(
        actions(&s.list_audit(&view, &by_bob).await.unwrap()),
        ["person.read", "login.failed"]
    );
    let by_nobody = AuditFilter {
        actor_name: Some("bo".into()),
        ..all.clone()
    };
    assert!(
        s.list_audit(&view, &by_nobody).await.unwrap().is_empty(),
        "actor names match whole"
    );

    let window = AuditFilter {
        from_ms: Some(START_MS + 60_000),
        to_ms: Some(START_MS + 3 * 60_000),
        ..all.clone()
    };
    assert_eq!(
        actions(&s.list_audit(&view, &window).await.unwrap()),
        ["unit.create", "login.failed"],
        "from is inclusive, to exclusive"
    );
    let since = AuditFilter {
        from_ms: Some(START_MS + 5 * 60_000),
        ..all.clone()
    };
    assert_eq!(s.list_audit(&view, &since).await.unwrap().len(), 2);

    let combined = AuditFilter {
        action_prefix: Some("person.".into()),
        actor_name: Some("alice".into()),
        from_ms: Some(START_MS),
        ..all.clone()
    };
    let found = s.list_audit(&view, &combined).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].seq, 7);
}

async fn list_audit_pages_backwards(fx: Fx) {
    let s = fx.store();
    seed_trail(&fx).await;
    let view = grant::<ViewAudit>(&());
    let mut pages = Vec::new();
    let mut before_seq = None;
    loop {
        let page = s
            .list_audit(
                &view,
                &AuditFilter {
                    limit: 3,
                    before_seq,
                    ..AuditFilter::default()
                },
            )
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        before_seq = page.last().map(|r| r.seq);
        pages.push(page.iter().map(|r| r.seq).collect::<Vec<_>>());
    }
    assert_eq!(pages, vec![vec![7, 6, 5], vec![4, 3, 2], vec![1]]);
    let filtered = AuditFilter {
        action_prefix: Some("person.".into()),
        before_seq: Some(7),
        limit: 10,
        ..AuditFilter::default()
    };
    assert_eq!(
        s.list_audit(&view, &filtered)
            .await
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>(),
        [6]
    );
}

async fn list_audit_excludes_auditors_own_unit(fx: Fx) {
    let s = fx.store();
    seed_trail(&fx).await;
    let auditor = Actor {
        user_id: UserId(900_002),
        person_id: PersonId(900_002),
        username: "auditor".into(),
        org_id: Some(OrgId(1)),
        unit_id: Some(UnitId(5)),
        roles: vec![(Role::Auditor, Scope::Global)],
        contract: Default::default(),
    };
    let view = authorize::<ViewAudit>(&auditor, &()).expect("auditors view the trail");
    let all = AuditFilter {
        limit: 100,
        ..AuditFilter::default()
    };
    let seen = s.list_audit(&view, &all).await.unwrap();
    assert_eq!(
        seen.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [7, 5, 4, 2, 1]
    );
    assert!(seen.iter().all(|r| r.event.unit_id != Some(UnitId(5))));
    // The exclusion holds under every filter.
    let by_bob = AuditFilter {
        actor_name: Some("bob".into()),
        ..all.clone()
    };
    assert_eq!(
        actions(&s.list_audit(&view, &by_bob).await.unwrap()),
        ["login.failed"]
    );
    // An administrator who is also an auditor sees everything.
    let both = Actor {
        roles: vec![(Role::Auditor, Scope::Global), (Role::Ciso, Scope::Global)],
        contract: Default::default(),
        ..auditor
    };
    let view = authorize::<ViewAudit>(&both, &()).unwrap();
    assert_eq!(s.list_audit(&view, &all).await.unwrap().len(), 7);
}

/// A trail of `n` records made by ordinary changes.
async fn make_trail(fx: &Fx, n: usize) {
    let org = new_org(fx, "KANRI", "管理者").await;
    for i in 1..n {
        fx.clock.advance(1_000);
        new_unit(fx, org.id, None, &format!("課 {i}")).await;
    }
    assert_eq!(fx.audit_len().await, n as i64);
}

async fn verify_audit_intact_chain(fx: Fx) {
    let empty = fx.verify().await;
    assert_eq!(
        (empty.checked, empty.result),
        (0, Ok(())),
        "an empty trail is intact"
    );
    make_trail(&fx, 6).await;
    let v = fx.verify().await;
    assert_eq!((v.checked, v.result), (6, Ok(())));
}

/// Records of their own written at once (audited reads under load) are committed in groups:
/// every caller is answered with its own record, each is stored as answered, with its own
/// place in the chain, and the chain verifies; a record written between groups follows them.
async fn concurrent_records_are_committed_together_and_chain_as_one_by_one(fx: Fx) {
    make_trail(&fx, 2).await;
    let mut readers = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store = fx.store.clone();
        readers.spawn(async move {
            let event = AuditEvent {
                actor_id: None,
                actor_name: format!("reader{i}"),
                action: "asset.read".into(),
                target_kind: "asset".into(),
                target_id: i.to_string(),
                unit_id: None,
                address: "127.0.0.1".into(),
                detail: serde_json::json!({"i": i}),
            };
            let record = store.record(event.clone()).await.expect("recorded");
            assert_eq!(record.event, event);
            record
        });
    }
    let mut answered = Vec::new();
    while let Some(record) = readers.join_next().await {
        answered.push(record.expect("a reader"));
    }
    answered.sort_by_key(|r| r.seq);
    let seqs: Vec<i64> = answered.iter().map(|r| r.seq).collect();
    assert_eq!(
        seqs,
        (3..203).collect::<Vec<_>>(),
        "one place each, none shared"
    );
    for pair in answered.windows(2) {
        assert_eq!(pair[1].prev_mac, pair[0].mac, "chained in order");
    }
    let stored = fx
        .store()
        .list_audit(
            &grant::<ViewAudit>(&()),
            &AuditFilter {
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    for record in &answered {
        assert!(
            stored.contains(record),
            "record {} stored as answered",
            record.seq
        );
    }
    new_org(&fx, "SOMU", "総務").await;
    let v = fx.verify().await;
    assert_eq!((v.checked, v.result), (203, Ok(())));
}

async fn verify_audit_names_altered_record(fx: Fx) {
    make_trail(&fx, 6).await;
    assert_eq!(
        fx.raw_execute("UPDATE audit_log SET actor_name = 'mallory' WHERE seq = 3")
            .await,
        1
    );
    assert_eq!(
        fx.verify().await.result,
        Err(ChainBreak::Altered { seq: 3 })
    );
    // The first alteration is the one named.
    fx.raw_execute("UPDATE audit_log SET detail = '{\"name\":\"x\"}' WHERE seq = 2")
        .await;
    let v = fx.verify().await;
    assert_eq!(v.result, Err(ChainBreak::Altered { seq: 2 }));
    assert_eq!(v.checked, 1);
    // Every sealed field counts, the time included.
    fx.raw_execute("UPDATE audit_log SET at_ms = at_ms + 1 WHERE seq = 1")
        .await;
    assert_eq!(
        fx.verify().await.result,
        Err(ChainBreak::Altered { seq: 1 })
    );
}

async fn verify_audit_names_deleted_middle_record(fx: Fx) {
    make_trail(&fx, 6).await;
    assert_eq!(
        fx.raw_execute("DELETE FROM audit_log WHERE seq = 4").await,
        1
    );
    let v = fx.verify().await;
    assert_eq!(
        v.result,
        Err(ChainBreak::Missing {
            seq: 5,
            expected: 4
        })
    );
    assert_eq!(v.checked, 3);
}

async fn verify_audit_names_inserted_record(fx: Fx) {
    make_trail(&fx, 6).await;
    // Make room at 4 and put a forged record there, linked to record 3 but sealed without the key.
    fx.raw_execute("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 4")
        .await;
    fx.raw_execute("UPDATE audit_log SET seq = seq - 99 WHERE seq >= 100")
        .await;
    let inserted = fx
        .raw_execute(
            "INSERT INTO audit_log (seq, at_ms, actor_id, actor_name, action, target_kind, target_id, unit_id, address, detail, prev_mac, mac) \
             SELECT 4, at_ms, actor_id, 'mallory', 'login.success', target_kind, target_id, unit_id, address, detail, mac, mac \
             FROM audit_log WHERE seq = 3",
        )
        .await;
    assert_eq!(inserted, 1);
    assert_eq!(
        fx.verify().await.result,
        Err(ChainBreak::Altered { seq: 4 })
    );
    // Removing the forgery again and renumbering back restores the original chain.
    fx.raw_execute("DELETE FROM audit_log WHERE seq = 4").await;
    fx.raw_execute("UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5")
        .await;
    fx.raw_execute("UPDATE audit_log SET seq = seq - 101 WHERE seq >= 100")
        .await;
    assert_eq!(fx.verify().await.result, Ok(()));
}

async fn verify_audit_names_truncated_trail(fx: Fx) {
    make_trail(&fx, 6).await;
    assert_eq!(
        fx.raw_execute("DELETE FROM audit_log WHERE seq > 4").await,
        2
    );
    let v = fx.verify().await;
    assert_eq!(
        v.result,
        Err(ChainBreak::Truncated {
            last: 4,
            head: 6,
            expected: 5
        })
    );
    assert_eq!(v.checked, 4);
    let all_gone = fx.raw_execute("DELETE FROM audit_log").await;
    assert_eq!(all_gone, 4);
    assert_eq!(
        fx.verify().await.result,
        Err(ChainBreak::Truncated {
            last: 0,
            head: 6,
            expected: 1
        })
    );
}

async fn verify_audit_names_truncation_with_rewound_head(fx: Fx) {
    make_trail(&fx, 6).await;
    fx.raw_execute("DELETE FROM audit_log WHERE seq > 4").await;
    // Whoever removed the records also points the head at the new last one; without the key the
    // head's seal cannot follow.
    fx.raw_execute(
        "UPDATE audit_head SET seq = 4, mac = (SELECT mac FROM audit_log WHERE seq = 4) WHERE id = 1",
    )
    .await;
    assert_eq!(
        fx.verify().await.result,
        Err(ChainBreak::HeadMismatch { seq: 4 })
    );
}

async fn verify_audit_with_wrong_key_fails_at_first_record(fx: Fx) {
    make_trail(&fx, 3).await;
    let v = fx
        .store()
        .verify_audit(&AuditKey::from_bytes([7; 32]))
        .await
        .unwrap();
    assert_eq!(
        (v.checked, v.result),
        (0, Err(ChainBreak::Altered { seq: 1 }))
    );
}

async fn concurrent_writers_keep_the_chain_valid(fx: Fx) {
    let org = new_org(&fx, "KANRI", "管理者").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let fx = fx.clone();
        tasks.push(tokio::spawn(async move {
            let unit = new_unit(&fx, org.id, None, &format!("並行課 {i:02}")).await;
            fx.store()
                .record(AuditEvent::new("unit.viewed", "unit", unit.id).in_unit(Some(unit.id)))
                .await
                .expect("record");
            unit
        }));
    }
    // Verification while the writers commit must see a consistent trail, never a false break.
    let mut checks = Vec::new();
    for _ in 0..5 {
        let fx = fx.clone();
        checks.push(tokio::spawn(async move { fx.verify().await.result }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("writer task").id);
    }
    for check in checks {
        assert_eq!(check.await.expect("verify task"), Ok(()));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(
        fx.store()
            .list_units(&grant::<ViewDirectory>(&()), Some(org.id))
            .await
            .unwrap()
            .len(),
        20
    );
    assert_eq!(fx.audit_len().await, 41);
    let v = fx.verify().await;
    assert_eq!((v.checked, v.result), (41, Ok(())));
    let seqs: Vec<i64> = fx
        .store()
        .list_audit(
            &grant::<ViewAudit>(&()),
            &AuditFilter {
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, (1..=41).rev().collect::<Vec<_>>());
}

async fn backup(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "総務課").await;
    new_person(&fx, "山田 太郎", Some(unit.id), "主査").await;
    let user = provision(&fx, "admin", None, Some((Role::Ciso, Scope::Global))).await;
    let target = fx.dir.path().join("backup.db");
    match s.backend() {
        Backend::Sqlite => {
            s.backup(&target).await.expect("backup");
            // The live store goes on after the copy; the copy keeps the state it was taken at.
            new_unit(&fx, org.id, None, "人事課").await;
            let copy_store = SqlStore::open_sqlite(&target, fx.key.clone(), fx.clock.clone())
                .await
                .expect("open the backup");
            let copy: &dyn Store = &copy_store;
            let view = grant::<ViewDirectory>(&());
            assert_eq!(
                copy.list_organisations(&view).await.unwrap(),
                vec![org.clone()]
            );
            assert_eq!(copy.list_units(&view, None).await.unwrap(), vec![unit]);
            let all = PeopleFilter {
                limit: 10,
                ..PeopleFilter::default()
            };
            assert_eq!(copy.list_people(&view, &all).await.unwrap().1, 2);
            assert_eq!(
                copy.credentials_by_name("admin")
                    .await
                    .unwrap()
                    .unwrap()
                    .user_id,
                user
            );
            let v = copy.verify_audit(&fx.key).await.unwrap();
            assert_eq!((v.checked, v.result), (4, Ok(())));
            // The copy is a working store: its chain continues.
            copy.record(AuditEvent::new("backup.restore_check", "system", ""))
                .await
                .unwrap();
            assert_eq!(copy.verify_audit(&fx.key).await.unwrap().result, Ok(()));
            copy_store.close().await;
            assert!(
                s.backup(&target).await.is_err(),
                "an existing file is never overwritten"
            );
        }
        Backend::Postgres => {
            match s.backup(&target).await {
                Err(StoreError::Unsupported(_)) => {}
                other => panic!("PostgreSQL backup: expected Unsupported, got {other:?}"),
            }
            assert!(!target.exists());
        }
    }
    s.ping().await.expect("ping");
}

async fn reopening_keeps_data_and_chain(fx: Fx) {
    make_trail(&fx, 4).await;
    // Migrations that already ran are not run again; the data and the chain stay.
    let reopened = SqlStore::open(&fx.url, fx.key.clone(), fx.clock.clone())
        .await
        .expect("reopen");
    let again: &dyn Store = &reopened;
    let view = grant::<ViewDirectory>(&());
    assert_eq!(again.list_units(&view, None).await.unwrap().len(), 3);
    again
        .record(AuditEvent::new("system.start", "system", ""))
        .await
        .unwrap();
    reopened.close().await;
    let v = fx.verify().await;
    assert_eq!((v.checked, v.result), (5, Ok(())));
}

/// Data folders may have any name: the file name is not read as part of the database URL.
#[tokio::test]
async fn sqlite_file_name_with_url_characters() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("100% #1 ?x");
    std::fs::create_dir(&folder).expect("folder");
    let path = folder.join("mamori.db");
    let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
    let store = SqlStore::open_sqlite(&path, audit_key(), clock.clone())
        .await
        .expect("open");
    let s: &dyn Store = &store;
    s.record(AuditEvent::new("system.start", "system", ""))
        .await
        .expect("record");
    store.close().await;
    assert!(path.exists(), "the database is where it was asked to be");
    let reopened = SqlStore::open_sqlite(&path, audit_key(), clock)
        .await
        .expect("reopen");
    assert_eq!(
        reopened.verify_audit(&audit_key()).await.unwrap().checked,
        1
    );
    reopened.close().await;
}

/// A database written before a mail address named one person, with two people sharing one,
/// does not start with a bare migration error: it names the address to fix.
#[tokio::test]
async fn people_who_share_an_address_are_named_when_the_rule_arrives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mamori.db");
    let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
    let store = SqlStore::open_sqlite(&path, audit_key(), clock.clone())
        .await
        .expect("open");
    store.close().await;
    // As the database stood before migration 9, with two people sharing an address.
    let url = format!("sqlite://{}", path.display());
    let mut conn = AnyConnection::connect(&url).await.expect("connect");
    for sql in [
        "DROP INDEX people_email_unique",
        "DELETE FROM _sqlx_migrations WHERE version = 9",
        "INSERT INTO people (name, title, email, phone, external, created_at, updated_at) \
         VALUES ('山田 太郎', '', 'yamada@city.example.lg.jp', '', 0, 0, 0)",
        "INSERT INTO people (name, title, email, phone, external, created_at, updated_at) \
         VALUES ('鈴木 花子', '', 'YAMADA@city.example.lg.jp', '', 0, 0, 0)",
    ] {
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.expect("close");
    match SqlStore::open_sqlite(&path, audit_key(), clock).await {
        Err(StoreError::Unavailable(message)) => {
            assert!(
                message.contains("yamada@city.example.lg.jp (2)"),
                "{message}"
            );
            assert!(message.contains("同じメールアドレス"), "{message}");
        }
        Err(other) => panic!("another error: {other}"),
        Ok(_) => panic!("the database opened with two people sharing an address"),
    }
}

/// Migration 8 gives the tokens made before it the default life from the upgrade on, and marks
/// the first administrator who never changed the printed password.
#[tokio::test]
async fn tokens_and_the_first_administrator_are_brought_under_the_new_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mamori.db");
    let clock = Arc::new(TestClock(AtomicI64::new(START_MS)));
    let store = SqlStore::open_sqlite(&path, audit_key(), clock.clone())
        .await
        .expect("open");
    let person = |text: &str| PersonInput {
        name: name(text),
        unit_id: None,
        title: String::new(),
        email: None,
        phone: String::new(),
        external: false,
    };
    let account = |username: &str| NewAccount {
        username: Username::parse(username).unwrap(),
        person_id: PersonId(0),
        password_hash: "$argon2id$x".into(),
        language: "ja".into(),
        must_change_password: false,
    };
    let admin = store
        .provision_account(
            person("初期管理者"),
            account("admin"),
            None,
            &Origin::system("first start"),
        )
        .await
        .unwrap();
    let operator = store
        .provision_account(
            person("運用者"),
            account("operator"),
            None,
            &Origin::system("user create"),
        )
        .await
        .unwrap();
    store
        .create_api_token(
            NewApiToken {
                user_id: operator,
                name: name("old"),
                token_digest: "old-digest".into(),
                expires_at: 0,
                read_only: false,
            },
            &Origin::system("token create"),
        )
        .await
        .unwrap();
    store.close().await;
    // As the database stood before migration 8.
    let url = format!("sqlite://{}", path.display());
    let mut conn = AnyConnection::connect(&url).await.expect("connect");
    for sql in [
        "DROP INDEX api_tokens_user",
        "ALTER TABLE api_tokens DROP COLUMN expires_at",
        "ALTER TABLE api_tokens DROP COLUMN read_only",
        "ALTER TABLE users DROP COLUMN must_change_password",
        "DELETE FROM _sqlx_migrations WHERE version = 8",
    ] {
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    conn.close().await.expect("close");
    let store = SqlStore::open_sqlite(&path, audit_key(), clock)
        .await
        .expect("migrated");
    let token = store.live_api_token("old-digest").await.unwrap().unwrap();
    assert!(!token.read_only);
    let listed = store.list_api_tokens(Some(operator)).await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let life = listed[0].expires_at - now;
    assert!(
        (89 * DAY_MS..=90 * DAY_MS).contains(&life),
        "expires in {life} ms"
    );
    assert!(
        store
            .credentials(admin)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    assert!(
        !store
            .credentials(operator)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    store.close().await;
}

/// A connection the server ended while it sat idle in the pool is replaced, not handed out: the
/// pool tests a connection idle past a second before giving it to a request, so a database
/// restart or an administrator ending sessions does not fail the first requests after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_ended_while_idle_are_replaced() {
    on_postgres(|fx| async move {
        // Two reads at once, so that the pool holds more than one connection.
        let (a, b) = tokio::join!(
            fx.store().verify_audit(&fx.key),
            fx.store().verify_audit(&fx.key)
        );
        a.expect("first read");
        b.expect("second read");
        let ended = fx
            .raw_count(
                "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) AS ended \
                 FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND backend_type = 'client backend') t \
                 WHERE ended",
            )
            .await;
        assert!(ended >= 1, "the store's connections were ended");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        for _ in 0..3 {
            fx.store()
                .verify_audit(&fx.key)
                .await
                .expect("a read after the server ended every pooled connection");
        }
    })
    .await;
}

/// The bundled SQLite plans a statement without looking at the values bound to it (the query
/// planner stability guarantee, set in `.cargo/config.toml`): a kept statement with a LIKE
/// pattern, or with a value compared with an indexed column of an analysed table, is not
/// compiled again each time it runs with new values, as it would be without the guarantee.
#[test]
fn sqlite_statements_are_not_compiled_again_for_new_values() {
    use rusqlite::StatementStatus::RePrepare;
    use rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG;
    let recompiled = |db: &rusqlite::Connection| {
        db.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL);
             CREATE INDEX t_kind ON t (kind, name);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO t (kind, name) SELECT 'k' || (i % 7), 'name' || i FROM n;
             ANALYZE;",
        )
        .expect("table");
        let mut like = db
            .prepare("SELECT COUNT(*) FROM t WHERE name LIKE ?1")
            .expect("prepare");
        let mut equal = db
            .prepare("SELECT COUNT(*) FROM t WHERE kind = ?1")
            .expect("prepare");
        for value in ["%1%", "k2", "%name3%", "k4"] {
            let _: i64 = like.query_row([value], |r| r.get(0)).expect("like");
            let _: i64 = equal.query_row([value], |r| r.get(0)).expect("equal");
        }
        (like.get_status(RePrepare), equal.get_status(RePrepare))
    };
    let db = rusqlite::Connection::open_in_memory().expect("open");
    assert!(
        db.db_config(SQLITE_DBCONFIG_ENABLE_QPSG).expect("config"),
        "the bundled SQLite is built with SQLITE_ENABLE_QPSG"
    );
    assert_eq!(recompiled(&db), (0, 0));
    // What the guarantee prevents.
    let without = rusqlite::Connection::open_in_memory().expect("open");
    without
        .set_db_config(SQLITE_DBCONFIG_ENABLE_QPSG, false)
        .expect("config");
    let (like, equal) = recompiled(&without);
    assert!(like >= 3 && equal >= 3, "{like} {equal}");
}
