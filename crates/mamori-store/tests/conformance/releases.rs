//! Cases of 原本の提供申請: requests, decisions, delivery attempts and their audit records.

use mamori_core::authz::{
    ApproveRelease, RequestRelease, ViewQuarantine, ViewQuarantineItem, authorize,
};
use mamori_core::release::{
    Direction, QuarantineParties, ReleaseDecision, ReleaseId, ReleaseRequest, ReleaseState,
};
use mamori_core::{Actor, Granted, PersonId, Role, Scope, UnitId, UserId};
use mamori_store::{
    Conflict, NewAccount, NewRelease, Origin, PersonInput, ReleaseAttempt, ReleaseFilter,
    StoreError,
};

use crate::{Fx, assert_conflict, grant, name, new_org, new_unit};

/// An account whose person has `email`, in `unit`, with `role`.
async fn account(
    fx: &Fx,
    username: &str,
    email: &str,
    unit: UnitId,
    role: Option<(Role, Scope)>,
) -> UserId {
    fx.store()
        .provision_account(
            PersonInput {
                name: name(&format!("Person {username}")),
                unit_id: Some(unit),
                title: String::new(),
                email: (!email.is_empty()).then(|| email.to_owned()),
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

async fn actor(fx: &Fx, user: UserId) -> Actor {
    fx.store().actor(user).await.unwrap().expect("live account")
}

/// The request grant of `user` for a message addressed to `to`.
async fn ask(fx: &Fx, user: UserId, to: &str) -> Granted<RequestRelease> {
    let email = fx.store().account_email(user).await.unwrap();
    let parties = QuarantineParties {
        concerned: Vec::new(),
        direction: Direction::Inbound,
        from: "sender@example.com".into(),
        recipients: vec![to.into()],
        actor_email: email,
    };
    authorize::<RequestRelease>(&actor(fx, user).await, &parties).expect("an addressee asks")
}

fn new_release(qid: &str, address: &str) -> NewRelease {
    NewRelease {
        quarantine_id: qid.into(),
        direction: Direction::Inbound,
        address: address.into(),
        reason: "契約書の原本が必要です".into(),
    }
}

async fn approve_grant(
    fx: &Fx,
    approver: UserId,
    request: &ReleaseRequest,
) -> Granted<ApproveRelease> {
    authorize::<ApproveRelease>(&actor(fx, approver).await, &request.decision())
        .expect("the unit's manager decides")
}

struct Office {
    unit: UnitId,
    staff: UserId,
    manager: UserId,
}

async fn office(fx: &Fx) -> Office {
    let org = new_org(fx, "KANRI", "管理者部局").await;
    let unit = new_unit(fx, org.id, None, "総務課").await.id;
    let staff = account(fx, "kakari", "kakari@City.Example.LG.JP", unit, None).await;
    let manager = account(
        fx,
        "kanrisha",
        "kanrisha@city.example.lg.jp",
        unit,
        Some((Role::SecurityManager, Scope::Unit(unit))),
    )
    .await;
    Office {
        unit,
        staff,
        manager,
    }
}

pub async fn release_request_decision_and_delivery_are_each_audited(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let to = "kakari@city.example.lg.jp";
    let before = fx.audit_len().await;
    let request = s
        .request_release(
            &ask(&fx, o.staff, to).await,
            new_release("q-aa", to),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let record = fx
        .assert_one_record(before, "quarantine.release.request")
        .await;
    assert_eq!(record.event.target_id, "q-aa");
    assert_eq!(record.event.unit_id, Some(o.unit));
    assert_eq!(request.state, ReleaseState::Requested);
    assert_eq!(request.requester, o.staff);
    assert_eq!(request.requester_name, "kakari");
    assert_eq!(request.requester_unit, Some(o.unit));
    assert_eq!(request.reason, "契約書の原本が必要です");
    assert_eq!(request.requested_at, fx.now());

    // One open request per address and message, whatever the case of the domain.
    let before = fx.audit_len().await;
    assert_conflict(
        s.request_release(
            &ask(&fx, o.staff, to).await,
            new_release("q-aa", "kakari@CITY.example.lg.jp"),
            &Origin::system("t"),
        )
        .await,
        Conflict::ReleaseAlreadyOpen,
        "second open request",
    );
    fx.assert_no_record(before, "a refused duplicate").await;

    fx.clock.advance(1_000);
    let grant = approve_grant(&fx, o.manager, &request).await;
    let before = fx.audit_len().await;
    let approved = s
        .decide_release(&grant, request.id, true, "業務上必要", &Origin::system("t"))
        .await
        .unwrap();
    let record = fx
        .assert_one_record(before, "quarantine.release.approve")
        .await;
    assert_eq!(record.event.detail["approver"], "kanrisha");
    assert_eq!(approved.state, ReleaseState::Approved);
    assert_eq!(approved.approver, Some(o.manager));
    assert_eq!(approved.decided_at, Some(fx.now()));
    assert_eq!(approved.next_attempt_at, Some(fx.now()));
    // Deciding twice is refused.
    assert!(matches!(
        s.decide_release(&grant, request.id, false, "", &Origin::system("t"))
            .await,
        Err(StoreError::Conflict(Conflict::ReleaseNotPending))
    ));

    // First attempt: claimed, counted, deferred.
    let before = fx.audit_len().await;
    let claimed = s
        .claim_release(60_000, &Origin::system("release"))
        .await
        .unwrap()
        .unwrap();
    fx.assert_one_record(before, "quarantine.release.attempt")
        .await;
    assert_eq!((claimed.id, claimed.attempts), (request.id, 1));
    assert!(
        s.claim_release(60_000, &Origin::system("release"))
            .await
            .unwrap()
            .is_none(),
        "leased"
    );
    let deferred = s
        .record_release_attempt(
            request.id,
            ReleaseAttempt::Deferred {
                error: "421 try later\r\nInjected: header".into(),
                next_attempt_at: fx.now() + 5_000,
            },
            &Origin::system("release"),
        )
        .await
        .unwrap();
    assert_eq!(deferred.state, ReleaseState::Approved);
    assert_eq!(deferred.last_result, "421 try laterInjected: header");
    assert!(
        s.claim_release(60_000, &Origin::system("release"))
            .await
            .unwrap()
            .is_none(),
        "not due"
    );

    fx.clock.advance(5_000);
    let again = s
        .claim_release(60_000, &Origin::system("release"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);
    let before = fx.audit_len().await;
    let delivered = s
        .record_release_attempt(
            request.id,
            ReleaseAttempt::Delivered {
                reply: "250 2.0.0 Ok: queued".into(),
            },
            &Origin::system("release"),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "quarantine.release.deliver")
        .await;
    assert_eq!(delivered.state, ReleaseState::Delivered);
    assert_eq!(delivered.finished_at, Some(fx.now()));
    assert!(matches!(
        s.record_release_attempt(
            request.id,
            ReleaseAttempt::Failed {
                error: "late".into()
            },
            &Origin::system("release")
        )
        .await,
        Err(StoreError::Conflict(Conflict::ReleaseNotApproved))
    ));
    assert!(matches!(
        s.record_release_attempt(
            ReleaseId(9_999),
            ReleaseAttempt::Failed { error: "x".into() },
            &Origin::system("release")
        )
        .await,
        Err(StoreError::NotFound)
    ));

    // Once delivered, the same person may ask again (a request is no longer open).
    let second = s
        .request_release(
            &ask(&fx, o.staff, to).await,
            new_release("q-aa", to),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let grant = approve_grant(&fx, o.manager, &second).await;
    let rejected = s
        .decide_release(&grant, second.id, false, "不要と判断", &Origin::system("t"))
        .await
        .unwrap();
    assert_eq!(rejected.state, ReleaseState::Rejected);
    assert_eq!(rejected.next_attempt_at, None);
    assert!(
        s.claim_release(60_000, &Origin::system("release"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(fx.verify().await.result.is_ok());
}

pub async fn the_store_refuses_self_approval_whatever_the_grant(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let to = "kakari@city.example.lg.jp";
    // The requester is also the CISO: core refuses them on their own request, but a grant made
    // for someone else's request must not work on their own either.
    s.assign_role(
        &grant::<mamori_core::authz::AssignRoles>(&mamori_core::authz::RoleChange {
            person: mamori_core::authz::PersonPlace {
                person_id: Some(actor(&fx, o.staff).await.person_id),
                org_id: None,
                unit_id: Some(o.unit),
            },
            role: Role::Ciso,
            scope: Scope::Global,
            scope_org: None,
        }),
        actor(&fx, o.staff).await.person_id,
        Role::Ciso,
        Scope::Global,
        &Origin::system("t"),
    )
    .await
    .unwrap();
    let own = s
        .request_release(
            &ask(&fx, o.staff, to).await,
            new_release("q-self", to),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    assert!(authorize::<ApproveRelease>(&actor(&fx, o.staff).await, &own.decision()).is_err());
    let someone_else = ReleaseDecision {
        requester: o.manager,
        requester_person: actor(&fx, o.manager).await.person_id,
        requester_unit: Some(o.unit),
        requester_org: own.requester_org,
    };
    let grant = authorize::<ApproveRelease>(&actor(&fx, o.staff).await, &someone_else).unwrap();
    let before = fx.audit_len().await;
    assert!(matches!(
        s.decide_release(&grant, own.id, true, "", &Origin::system("t"))
            .await,
        Err(StoreError::Conflict(Conflict::ReleaseSelfApproval))
    ));
    fx.assert_no_record(before, "a refused self-approval").await;
    let unchanged = s.release_request(own.id).await.unwrap().unwrap();
    assert_eq!(unchanged.state, ReleaseState::Requested);
    assert_eq!(unchanged.approver, None);
}

pub async fn release_lists_and_addresses(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let other = account(&fx, "shokuin", "shokuin@city.example.lg.jp", o.unit, None).await;
    // Domain without case, local part exact.
    assert_eq!(
        s.accounts_with_email("kakari@city.EXAMPLE.lg.jp")
            .await
            .unwrap(),
        vec![o.staff]
    );
    assert!(
        s.accounts_with_email("KAKARI@city.example.lg.jp")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        s.accounts_with_email("nobody@city.example.lg.jp")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.account_email(o.staff).await.unwrap().as_deref(),
        Some("kakari@City.Example.LG.JP")
    );
    assert_eq!(s.account_email(UserId(9_999)).await.unwrap(), None);

    let a = s
        .request_release(
            &ask(&fx, o.staff, "kakari@city.example.lg.jp").await,
            new_release("q-aa", "kakari@city.example.lg.jp"),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let b = s
        .request_release(
            &ask(&fx, other, "shokuin@city.example.lg.jp").await,
            new_release("q-aa", "shokuin@city.example.lg.jp"),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let c = s
        .request_release(
            &ask(&fx, other, "shokuin@city.example.lg.jp").await,
            new_release("q-bb", "shokuin@city.example.lg.jp"),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    let grant = approve_grant(&fx, o.manager, &c).await;
    s.decide_release(&grant, c.id, false, "", &Origin::system("t"))
        .await
        .unwrap();

    let view = authorize::<ViewQuarantine>(&actor(&fx, o.manager).await, &()).unwrap();
    let ids = |list: Vec<ReleaseRequest>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = ReleaseFilter {
        limit: 100,
        ..ReleaseFilter::default()
    };
    assert_eq!(
        ids(s.list_releases(&view, &all).await.unwrap()),
        vec![c.id, b.id, a.id]
    );
    let pending = ReleaseFilter {
        state: Some(ReleaseState::Requested),
        ..all.clone()
    };
    assert_eq!(
        ids(s.list_releases(&view, &pending).await.unwrap()),
        vec![b.id, a.id]
    );
    let one = ReleaseFilter {
        limit: 1,
        ..all.clone()
    };
    assert_eq!(ids(s.list_releases(&view, &one).await.unwrap()), vec![c.id]);
    assert_eq!(
        ids(s.own_releases(other, 100).await.unwrap()),
        vec![c.id, b.id]
    );
    let manager = actor(&fx, o.manager).await;
    let item = authorize::<ViewQuarantineItem>(
        &manager,
        &QuarantineParties {
            // A message concerning a person of the manager's unit.
            concerned: vec![(manager.org_id, manager.unit_id)],
            direction: Direction::Inbound,
            from: String::new(),
            recipients: Vec::new(),
            actor_email: None,
        },
    )
    .unwrap();
    assert_eq!(
        ids(s.releases_of_item(&item, "q-aa").await.unwrap()),
        vec![b.id, a.id]
    );
    assert!(s.releases_of_item(&item, "q-zz").await.unwrap().is_empty());
}

pub async fn release_states_name_each_messages_latest_state_and_whether_one_is_open(fx: Fx) {
    let o = office(&fx).await;
    let s = fx.store();
    let to = "kakari@city.example.lg.jp";
    assert!(s.release_states().await.unwrap().is_empty());
    let first = s
        .request_release(
            &ask(&fx, o.staff, to).await,
            new_release("q-bb", to),
            &Origin::system("t"),
        )
        .await
        .unwrap();
    s.request_release(
        &ask(&fx, o.staff, to).await,
        new_release("q-aa", to),
        &Origin::system("t"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.release_states().await.unwrap(),
        [
            ("q-aa".to_owned(), ReleaseState::Requested, true),
            ("q-bb".to_owned(), ReleaseState::Requested, true),
        ]
    );
    // Rejected: q-bb is no longer open, and its latest state is the rejection.
    let grant = approve_grant(&fx, o.manager, &first).await;
    s.decide_release(&grant, first.id, false, "不要", &Origin::system("t"))
        .await
        .unwrap();
    assert_eq!(
        s.release_states().await.unwrap(),
        [
            ("q-aa".to_owned(), ReleaseState::Requested, true),
            ("q-bb".to_owned(), ReleaseState::Rejected, false),
        ]
    );
    // A new request of the same message opens it again.
    s.request_release(
        &ask(&fx, o.staff, to).await,
        new_release("q-bb", to),
        &Origin::system("t"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.release_states().await.unwrap()[1],
        ("q-bb".to_owned(), ReleaseState::Requested, true)
    );
}
