//! The demonstration's training: this 年度's information security course for everyone on the
//! staff, due in ten days and half completed (the completions taken in as another system's
//! export would be), `yamamoto` among those still to do it; and a course for the
//! 情報セキュリティ管理者 that fell due three weeks ago, two of them overdue.

use chrono::{Duration, NaiveDate};
use mamori_core::authz::{ManageTraining, RecordTrainingCompletion, authorize};
use mamori_core::time::{fiscal_year, jst_date};
use mamori_core::training::Audience;
use mamori_core::{Clock as _, Role};
use mamori_store::{
    CompletionImport, CompletionImporter, CompletionSource, NewCourse, Origin, Store,
};

use super::incidents::actor;
use crate::messages::msg;

/// Managers of the second course who have not completed it: overdue.
const MANAGERS_OVERDUE: usize = 2;

pub async fn fill_training(store: &dyn Store) -> anyhow::Result<()> {
    let today: NaiveDate = jst_date(mamori_store::SystemClock.now_ms()).unwrap_or_default();
    let admin = actor(store, "sato").await?;
    let origin = Origin::of(&admin, "demo");
    let grant = authorize::<ManageTraining>(&admin, &())?;
    let year = fiscal_year(today);
    let everyone = store
        .create_course(
            &grant,
            NewCourse {
                code: format!("SEC-{year}"),
                title: msg!("cli.demo.training_all_title", year = year),
                description: msg!("cli.demo.training_all"),
                due_on: today + Duration::days(10),
                yearly: true,
                audience: Audience::default(),
            },
            &origin,
        )
        .await?;
    let yamamoto = actor(store, "yamamoto").await?.person_id;
    let assigned = store
        .course_assignments(everyone.course.id, everyone.course.year())
        .await?;
    let half: Vec<CompletionImport> = assigned
        .iter()
        .filter(|a| a.person != yamamoto)
        .take(assigned.len() / 2)
        .enumerate()
        .map(|(i, a)| CompletionImport {
            assignment: a.id,
            completed_on: today - Duration::days(1 + (i % 7) as i64),
        })
        .collect();
    store
        .import_completions(CompletionImporter::Account(&grant), half, &origin)
        .await?;

    let managers = store
        .create_course(
            &grant,
            NewCourse {
                code: format!("MGR-{year}"),
                title: msg!("cli.demo.training_managers_title", year = year),
                description: msg!("cli.demo.training_managers"),
                due_on: today - Duration::days(21),
                yearly: false,
                audience: Audience {
                    roles: vec![Role::SecurityManager],
                    units: Vec::new(),
                },
            },
            &origin,
        )
        .await?;
    let assigned = store
        .course_assignments(managers.course.id, managers.course.year())
        .await?;
    let done = assigned.len().saturating_sub(MANAGERS_OVERDUE);
    for (i, a) in assigned.iter().take(done).enumerate() {
        let grant = authorize::<RecordTrainingCompletion>(&admin, &a.person)?;
        store
            .complete_assignment(
                &grant,
                a.id,
                today - Duration::days(25 + i as i64),
                CompletionSource::Administrator,
                &origin,
            )
            .await?;
    }
    Ok(())
}
