//! Cases of policy documents: versions from draft to superseded, segregation of duties at
//! approval, clauses kept as read, and the staff's confirmations.

use chrono::NaiveDate;
use mamori_core::authz::{
    AcknowledgePolicy, ApprovePolicy, ManagePolicies, ViewAcknowledgements, authorize,
};
use mamori_core::policy::{PolicyId, PolicyPlace, Step, Tier, VersionState, parse_policy};
use mamori_core::{Actor, PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{Author, Conflict, NewAccount, NewPolicy, Origin, PersonInput, PolicySource};

use crate::{Fx, assert_conflict, name, new_org, new_unit};

const FIRST: &str = "情報セキュリティ基本方針\n1 目的\nこの方針は、情報資産を守るために定める。\n\
2 定義\n(1) ネットワーク\nコンピュータ等を相互に接続するための通信網をいう。\n\
(2) 情報システム\nコンピュータ、ネットワーク及び記録媒体で構成されるものをいう。\n\
ア 機器\n端末及びサーバをいう。\n\
附則\nこの方針は、令和4年4月1日から施行する。\n";

const SECOND: &str = "情報セキュリティ基本方針\n1 目的\nこの方針は、本組合の情報資産を守るために定める。\n\
2 定義\n(1) ネットワーク\nコンピュータ等を相互に接続するための通信網をいう。\n\
附則\nこの方針は、令和4年4月1日から施行する。\n附則\nこの方針は、令和8年4月1日から施行する。\n";

pub async fn account(fx: &Fx, username: &str, unit: UnitId, role: Option<(Role, Scope)>) -> UserId {
    fx.store()
        .provision_account(
            PersonInput {
                name: name(&format!("職員 {username}")),
                unit_id: Some(unit),
                title: String::new(),
                email: None,
                phone: String::new(),
                external: false,
            },
            NewAccount {
                username: mamori_core::text::Username::parse(username).unwrap(),
                person_id: PersonId(0),
                password_hash: "$argon2id$x".into(),
                language: "ja".into(),
                must_change_password: false,
            },
            role,
            &Origin::system("test"),
        )
        .await
        .expect("provision account")
}

pub async fn actor(fx: &Fx, user: UserId) -> Actor {
    fx.store().actor(user).await.unwrap().expect("live account")
}

struct Office {
    org: mamori_core::OrgId,
    unit: UnitId,
    other_unit: UnitId,
    officer: UserId,
    ciso: UserId,
    staff: UserId,
}

async fn office(fx: &Fx) -> Office {
    let org = new_org(fx, "KANRI", "管理者").await.id;
    let unit = new_unit(fx, org, None, "総務課").await.id;
    let other_unit = new_unit(fx, org, None, "情報政策課").await.id;
    let officer = account(
        fx,
        "sekinin",
        unit,
        Some((Role::SecurityOfficer, Scope::Organisation(org))),
    )
    .await;
    let ciso = account(fx, "ciso", other_unit, Some((Role::Ciso, Scope::Global))).await;
    let staff = account(fx, "kakari", unit, None).await;
    Office {
        org,
        unit,
        other_unit,
        officer,
        ciso,
        staff,
    }
}

fn text(source: &str) -> mamori_core::policy::PolicyText {
    parse_policy(source).expect("the test text reads")
}

async fn place(fx: &Fx, id: PolicyId, number: i64) -> PolicyPlace {
    let policy = fx.store().policy(id).await.unwrap().unwrap();
    let version = fx.store().version(id, number).await.unwrap().unwrap();
    policy.place(Some(&version.info))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub async fn policy_versions_go_from_draft_to_superseded_each_step_audited(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let manage = authorize::<ManagePolicies>(&actor(&fx, o.officer).await, &o.org).unwrap();
    let first = text(FIRST);
    let before = fx.audit_len().await;
    let (policy, v1) = s
        .create_policy(
            Author::Account(&manage),
            NewPolicy {
                org_id: o.org,
                tier: Tier::Basic,
                title: "情報セキュリティ基本方針".into(),
                approver_role: Role::Ciso,
            },
            PolicySource {
                source: FIRST,
                text: &first,
            },
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "policy.create").await;
    assert_eq!(record.event.target_id, policy.id.to_string());
    assert_eq!(record.event.detail["clauses"], 5);
    assert_eq!((v1.number, v1.state), (1, VersionState::Draft));
    assert_eq!((v1.sections, v1.clauses), (2, 5));
    assert_eq!(v1.editor, Some(o.officer));
    assert_eq!(policy.latest, 1);
    assert_eq!(policy.effective, None);

    // The clauses and 附則 come back as they were read.
    let stored = s.version(policy.id, 1).await.unwrap().unwrap();
    assert_eq!(stored.text, first);
    assert_eq!(stored.source, FIRST);

    // A second document of the same title is refused; so is one of an unknown organisation.
    let again = NewPolicy {
        org_id: o.org,
        tier: Tier::Basic,
        title: "情報セキュリティ基本方針".into(),
        approver_role: Role::Ciso,
    };
    let source = PolicySource {
        source: FIRST,
        text: &first,
    };
    let before = fx.audit_len().await;
    assert_conflict(
        s.create_policy(
            Author::Operator,
            again.clone(),
            source.clone(),
            &Origin::system("t"),
        )
        .await,
        Conflict::PolicyTitleTaken,
        "same title",
    );
    assert_conflict(
        s.create_policy(
            Author::Operator,
            NewPolicy {
                org_id: mamori_core::OrgId(9_999),
                ..again
            },
            source,
            &Origin::system("t"),
        )
        .await,
        Conflict::PolicyOrganisationMissing,
        "unknown organisation",
    );
    fx.assert_no_record(before, "refused creations").await;

    // Saving a draft replaces its text: still version 1.
    let second = text(SECOND);
    let saved = s
        .save_draft(
            Author::Account(&manage),
            policy.id,
            PolicySource {
                source: SECOND,
                text: &second,
            },
            &Origin::system("t"),
        )
        .await
        .unwrap();
    assert_eq!((saved.number, saved.clauses), (1, 3));
    assert_eq!(s.version(policy.id, 1).await.unwrap().unwrap().text, second);

    // Submitted, it cannot be edited; returned, it can; only reviews are approved.
    let origin = Origin::system("t");
    assert_conflict(
        s.step_version(&manage, policy.id, 1, Step::Return, &origin)
            .await,
        Conflict::PolicyWrongState,
        "a draft is not returned",
    );
    let reviewed = s
        .step_version(&manage, policy.id, 1, Step::Submit, &origin)
        .await
        .unwrap();
    assert_eq!(reviewed.state, VersionState::InReview);
    assert_conflict(
        s.save_draft(
            Author::Account(&manage),
            policy.id,
            PolicySource {
                source: FIRST,
                text: &first,
            },
            &origin,
        )
        .await,
        Conflict::PolicyInReview,
        "a version in review is not edited",
    );
    let back = s
        .step_version(&manage, policy.id, 1, Step::Return, &origin)
        .await
        .unwrap();
    assert_eq!(back.state, VersionState::Draft);
    s.step_version(&manage, policy.id, 1, Step::Submit, &origin)
        .await
        .unwrap();

    // The CISO approves, in force from a day already come: effective at once.
    let approve =
        authorize::<ApprovePolicy>(&actor(&fx, o.ciso).await, &place(&fx, policy.id, 1).await)
            .unwrap();
    let before = fx.audit_len().await;
    let approved = s
        .approve_version(&approve, policy.id, 1, day(2022, 4, 1), &origin)
        .await
        .unwrap();
    fx.assert_one_record(before, "policy.version.approve").await;
    assert_eq!(approved.state, VersionState::Effective);
    assert_eq!(approved.effective_from, Some(day(2022, 4, 1)));
    assert_eq!(approved.approver_name.as_deref(), Some("ciso"));
    assert_eq!(
        s.policy(policy.id).await.unwrap().unwrap().effective,
        Some(1)
    );
    assert_conflict(
        s.approve_version(&approve, policy.id, 1, day(2022, 4, 1), &origin)
            .await,
        Conflict::PolicyWrongState,
        "approved twice",
    );

    // An amendment opens version 2; approved for a later day, it waits for it.
    let v2 = s
        .save_draft(
            Author::Operator,
            policy.id,
            PolicySource {
                source: FIRST,
                text: &first,
            },
            &origin,
        )
        .await
        .unwrap();
    assert_eq!(
        (v2.number, v2.state, v2.editor),
        (2, VersionState::Draft, None)
    );
    s.step_version(&manage, policy.id, 2, Step::Submit, &origin)
        .await
        .unwrap();
    let approve =
        authorize::<ApprovePolicy>(&actor(&fx, o.ciso).await, &place(&fx, policy.id, 2).await)
            .unwrap();
    // START_MS is 2025-11-25 in Japan.
    let waiting = s
        .approve_version(&approve, policy.id, 2, day(2025, 11, 27), &origin)
        .await
        .unwrap();
    assert_eq!(waiting.state, VersionState::Approved);
    let before = fx.audit_len().await;
    assert!(s.bring_into_force(&origin).await.unwrap().is_empty());
    fx.assert_no_record(before, "nothing due").await;
    fx.clock.advance(2 * 86_400_000);
    assert_eq!(
        s.bring_into_force(&origin).await.unwrap(),
        vec![(policy.id, 2)]
    );
    let record = fx
        .assert_one_record(before, "policy.version.effective")
        .await;
    assert_eq!(record.event.detail["superseded"], serde_json::json!([1]));
    let versions = s.versions(policy.id).await.unwrap();
    let states: Vec<(i64, VersionState)> = versions.iter().map(|v| (v.number, v.state)).collect();
    assert_eq!(
        states,
        vec![(2, VersionState::Effective), (1, VersionState::Superseded)]
    );
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn the_store_refuses_a_policy_approval_by_its_editor_whatever_the_grant(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let ciso = actor(&fx, o.ciso).await;
    let manage = authorize::<ManagePolicies>(&ciso, &o.org).unwrap();
    let first = text(FIRST);
    let (policy, _) = s
        .create_policy(
            Author::Account(&manage),
            NewPolicy {
                org_id: o.org,
                tier: Tier::Standard,
                title: "情報セキュリティ対策基準".into(),
                approver_role: Role::Ciso,
            },
            PolicySource {
                source: FIRST,
                text: &first,
            },
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let origin = Origin::system("t");
    s.step_version(&manage, policy.id, 1, Step::Submit, &origin)
        .await
        .unwrap();
    // core refuses the editor; a grant made for another version must not slip through either.
    assert!(authorize::<ApprovePolicy>(&ciso, &place(&fx, policy.id, 1).await).is_err());
    let elsewhere = PolicyPlace {
        editor: None,
        editor_person: None,
        ..place(&fx, policy.id, 1).await
    };
    let grant = authorize::<ApprovePolicy>(&ciso, &elsewhere).unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.approve_version(&grant, policy.id, 1, day(2025, 11, 25), &origin)
            .await,
        Conflict::PolicySelfApproval,
        "the editor approves",
    );
    fx.assert_no_record(before, "a refused approval").await;
    assert_eq!(
        s.version(policy.id, 1).await.unwrap().unwrap().info.state,
        VersionState::InReview
    );
}

pub async fn confirmations_are_counted_per_unit_once_per_person(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let origin = Origin::system("t");
    let first = text(FIRST);
    let (policy, _) = s
        .create_policy(
            Author::Operator,
            NewPolicy {
                org_id: o.org,
                tier: Tier::Basic,
                title: "基本方針".into(),
                approver_role: Role::Ciso,
            },
            PolicySource {
                source: FIRST,
                text: &first,
            },
            &origin,
        )
        .await
        .unwrap();
    let ciso = actor(&fx, o.ciso).await;
    let manage = authorize::<ManagePolicies>(&ciso, &o.org).unwrap();
    s.step_version(&manage, policy.id, 1, Step::Submit, &origin)
        .await
        .unwrap();
    let staff = actor(&fx, o.staff).await;
    // Only the version in force is confirmed.
    assert!(authorize::<AcknowledgePolicy>(&staff, &place(&fx, policy.id, 1).await).is_err());
    let approve = authorize::<ApprovePolicy>(&ciso, &place(&fx, policy.id, 1).await).unwrap();
    s.approve_version(&approve, policy.id, 1, day(2025, 4, 1), &origin)
        .await
        .unwrap();
    let confirm = authorize::<AcknowledgePolicy>(&staff, &place(&fx, policy.id, 1).await).unwrap();
    let before = fx.audit_len().await;
    let at = s
        .acknowledge(&confirm, policy.id, 1, &origin)
        .await
        .unwrap();
    fx.assert_one_record(before, "policy.acknowledge").await;
    assert_eq!(
        s.acknowledged_at(staff.person_id, policy.id, 1)
            .await
            .unwrap(),
        Some(at)
    );
    assert_conflict(
        s.acknowledge(&confirm, policy.id, 1, &origin).await,
        Conflict::PolicyAlreadyAcknowledged,
        "confirmed twice",
    );
    let view = authorize::<ViewAcknowledgements>(&ciso, &(o.org, None)).unwrap();
    let progress = s
        .acknowledgement_progress(&view, policy.id, 1)
        .await
        .unwrap();
    let counts: Vec<(Option<UnitId>, i64, i64)> = progress
        .iter()
        .map(|p| (p.unit_id, p.people, p.confirmed))
        .collect();
    // 情報政策課 (the CISO) before 総務課 (the officer and the member of staff) by name.
    assert_eq!(counts.len(), 2);
    assert!(counts.contains(&(Some(o.unit), 2, 1)));
    assert!(counts.contains(&(Some(o.other_unit), 1, 0)));
    let pending = s
        .unacknowledged(&view, policy.id, 1, Some(o.unit))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].1, "職員 sekinin");
    assert!(
        s.unacknowledged(&view, policy.id, 1, None)
            .await
            .unwrap()
            .is_empty()
    );
}
