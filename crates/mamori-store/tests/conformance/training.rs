//! Cases of training (研修): a course assigned to its audience when it opens and to those who
//! join it later, a yearly course assigned again for the next 年度, completions recorded once,
//! and an import that is all or nothing.

use chrono::NaiveDate;
use mamori_core::authz::{
    ManagePeople, ManageTraining, PersonPlace, RecordTrainingCompletion, authorize,
};
use mamori_core::training::Audience;
use mamori_core::{Role, Scope};
use mamori_store::{
    CompletionImport, CompletionImporter, CompletionSource, Conflict, CourseId, NewCourse,
};

use crate::{Fx, account, actor, assert_conflict, new_org, new_unit, origin};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn course(code: &str, due_on: NaiveDate, yearly: bool, audience: Audience) -> NewCourse {
    NewCourse {
        code: code.into(),
        title: format!("研修 {code}"),
        description: String::new(),
        due_on,
        yearly,
        audience,
    }
}

pub async fn a_course_is_assigned_to_its_audience_and_completed_once(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let somu = new_unit(&fx, org, None, "総務課").await.id;
    let joho = new_unit(&fx, org, None, "情報政策課").await.id;
    let admin = actor(
        &fx,
        account(&fx, "kanri", somu, Some((Role::Ciso, Scope::Global))).await,
    )
    .await;
    let tanaka = actor(
        &fx,
        account(&fx, "tanaka", somu, Some((Role::Staff, Scope::Unit(somu)))).await,
    )
    .await;
    let suzuki = actor(
        &fx,
        account(&fx, "suzuki", joho, Some((Role::Staff, Scope::Unit(joho)))).await,
    )
    .await;
    account(
        &fx,
        "kacho",
        joho,
        Some((Role::SecurityManager, Scope::Unit(joho))),
    )
    .await;
    // A contractor sitting in 総務課: in no audience unless the contractor role is named.
    let mut outside = crate::person_input("委託 太郎", Some(somu), "");
    outside.external = true;
    let place = PersonPlace {
        person_id: None,
        org_id: Some(org),
        unit_id: Some(somu),
    };
    s.create_person(
        &authorize::<ManagePeople>(&admin, &place).unwrap(),
        outside,
        &origin(),
    )
    .await
    .unwrap();
    let manage = authorize::<ManageTraining>(&admin, &()).unwrap();

    let before = fx.audit_len().await;
    let for_joho = s
        .create_course(
            &manage,
            course(
                "JOHO-1",
                date(2026, 1, 31),
                false,
                Audience {
                    roles: Vec::new(),
                    units: vec![joho],
                },
            ),
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "training.course.create").await;
    assert_eq!(for_joho.assigned, 2, "the two of 情報政策課");
    assert_eq!(for_joho.course.audience.units, vec![joho]);
    assert_eq!(for_joho.course.year(), 2025);
    let everyone = s
        .create_course(
            &manage,
            course("SEC", date(2026, 1, 31), true, Audience::default()),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(
        everyone.assigned, 4,
        "everyone on the staff, not the contractor"
    );
    let managers = s
        .create_course(
            &manage,
            course(
                "MGR",
                date(2026, 3, 31),
                false,
                Audience {
                    roles: vec![Role::SecurityManager],
                    units: Vec::new(),
                },
            ),
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(managers.assigned, 1);
    assert_eq!(managers.course.audience.roles, vec![Role::SecurityManager]);
    assert_conflict(
        s.create_course(
            &manage,
            course("SEC", date(2026, 1, 31), false, Audience::default()),
            &origin(),
        )
        .await,
        Conflict::TrainingCodeTaken,
        "a code in use",
    );
    assert_conflict(
        s.create_course(
            &manage,
            course(
                "NOUNIT",
                date(2026, 1, 31),
                false,
                Audience {
                    roles: Vec::new(),
                    units: vec![mamori_core::UnitId(999_999)],
                },
            ),
            &origin(),
        )
        .await,
        Conflict::TrainingScopeMissing,
        "a unit that does not exist",
    );
    assert!(s.course(CourseId(999_999)).await.unwrap().is_none());
    assert_eq!(s.courses().await.unwrap().len(), 3);

    // The person completes their own, once.
    let mine = s.person_assignments(tanaka.person_id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].course_code, "SEC");
    let own = authorize::<RecordTrainingCompletion>(&tanaka, &tanaka.person_id).unwrap();
    let before = fx.audit_len().await;
    let done = s
        .complete_assignment(
            &own,
            mine[0].id,
            date(2025, 11, 25),
            CompletionSource::Person,
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "training.complete").await;
    assert_eq!(done.completed_on, Some(date(2025, 11, 25)));
    assert_eq!(done.source, Some(CompletionSource::Person));
    assert_eq!(done.unit, Some(somu));
    assert_conflict(
        s.complete_assignment(
            &own,
            mine[0].id,
            date(2025, 11, 25),
            CompletionSource::Person,
            &origin(),
        )
        .await,
        Conflict::TrainingAlreadyCompleted,
        "a second completion",
    );
    let due = s.assignments_due(date(2026, 1, 31)).await.unwrap();
    assert_eq!(due.len(), 5, "2 of JOHO-1 and 3 of SEC; MGR is due later");
    assert!(due.iter().all(|a| a.completed_on.is_none()));
    assert!(
        s.assignments_due(date(2026, 1, 30))
            .await
            .unwrap()
            .is_empty()
    );

    // Someone joins 情報政策課: assigning again reaches them alone.
    let sato = actor(
        &fx,
        account(&fx, "sato", joho, Some((Role::Staff, Scope::Unit(joho)))).await,
    )
    .await;
    let before = fx.audit_len().await;
    let again = s
        .assign_course(&manage, for_joho.course.id, date(2025, 12, 1), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "training.assign").await;
    assert_eq!(again.assigned, 1);
    assert_eq!(
        again.course.due_on,
        date(2026, 1, 31),
        "a course once keeps its round"
    );
    let twice = s
        .assign_course(&manage, for_joho.course.id, date(2027, 5, 1), &origin())
        .await
        .unwrap();
    assert_eq!((twice.assigned, twice.course.year()), (0, 2025));

    // The yearly course in the next 年度: its due date moves a year on, everyone is assigned again.
    let next = s
        .assign_course(&manage, everyone.course.id, date(2026, 4, 10), &origin())
        .await
        .unwrap();
    assert_eq!(next.course.due_on, date(2027, 1, 31));
    assert_eq!(next.assigned, 5, "the four and the newcomer");
    assert_eq!(
        s.course(everyone.course.id).await.unwrap().unwrap().due_on,
        date(2027, 1, 31)
    );
    assert_eq!(
        s.course_assignments(everyone.course.id, 2025)
            .await
            .unwrap()
            .len(),
        4
    );
    let this_year = s
        .course_assignments(everyone.course.id, 2026)
        .await
        .unwrap();
    assert_eq!(this_year.len(), 5);
    assert!(this_year.iter().all(|a| a.completed_on.is_none()));
    let tanaka_all = s.person_assignments(tanaka.person_id).await.unwrap();
    assert_eq!(
        tanaka_all.iter().map(|a| a.year).collect::<Vec<_>>(),
        vec![2026, 2025],
        "the latest 年度 first"
    );

    // An import: all or nothing; a completed one is left as it was.
    let suzuki_joho = s
        .person_assignments(suzuki.person_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.course == for_joho.course.id)
        .unwrap();
    let sato_joho = s
        .person_assignments(sato.person_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.course == for_joho.course.id)
        .unwrap();
    let before = fx.audit_len().await;
    assert_conflict(
        s.import_completions(
            CompletionImporter::Account(&manage),
            vec![
                CompletionImport {
                    assignment: sato_joho.id,
                    completed_on: date(2025, 11, 20),
                },
                CompletionImport {
                    assignment: mamori_store::TrainingAssignmentId(999_999),
                    completed_on: date(2025, 11, 20),
                },
            ],
            &origin(),
        )
        .await,
        Conflict::TrainingScopeMissing,
        "an assignment that does not exist",
    );
    assert_eq!(fx.audit_len().await, before, "nothing written");
    assert_eq!(
        s.training_assignment(sato_joho.id)
            .await
            .unwrap()
            .unwrap()
            .completed_on,
        None,
        "the refused import left the good row undone"
    );
    let imported = s
        .import_completions(
            CompletionImporter::Account(&manage),
            vec![
                CompletionImport {
                    assignment: suzuki_joho.id,
                    completed_on: date(2025, 11, 20),
                },
                CompletionImport {
                    assignment: done.id,
                    completed_on: date(2025, 11, 1),
                },
            ],
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "training.import").await;
    assert_eq!((imported.completed, imported.unchanged), (1, 1));
    let suzuki_now = s
        .training_assignment(suzuki_joho.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(suzuki_now.completed_on, Some(date(2025, 11, 20)));
    assert_eq!(suzuki_now.source, Some(CompletionSource::Import));
    assert_eq!(
        s.training_assignment(done.id)
            .await
            .unwrap()
            .unwrap()
            .completed_on,
        Some(date(2025, 11, 25)),
        "a completion already recorded is kept"
    );
    let operator = s
        .import_completions(
            CompletionImporter::Operator,
            vec![CompletionImport {
                assignment: sato_joho.id,
                completed_on: date(2025, 11, 21),
            }],
            &mamori_store::Origin::system("test"),
        )
        .await
        .unwrap();
    assert_eq!(operator.completed, 1);

    let people = s.training_people().await.unwrap();
    assert!(
        people
            .iter()
            .any(|p| p.id == tanaka.person_id && p.login.as_deref() == Some("tanaka"))
    );
    assert_eq!(people.len(), 6, "five accounts and the contractor");
}
