//! The demonstration's incidents: a mis-sent mail with residents' data, noticed two days ago and
//! triaged by the CSIRT (`tanaka`), whose 速報 to the 個人情報保護委員会 falls due tomorrow; and a
//! targeted mail opened in the 情報政策課, serious, contained, reported to the prefecture. The
//! mis-sent mail has two 対応タスク, one overdue; a lost USB memory of last month is closed with
//! its 教訓 and cited by the CISO's management review; and the gateway raised two インシデント候補,
//! one still open and one the CSIRT dismissed with its reason.
//! Deterministic but for the clock: the same incidents every time.

use anyhow::Context;
use mamori_core::authz::{
    DecideIncidentCandidate, ManageReviews, ReportIncident, TriageIncident, authorize,
};
use mamori_core::incident::{CandidateSource, Step};
use mamori_core::risk::Level;
use mamori_core::{Actor, Clock as _};
use mamori_store::{NewIncident, NewIncidentTask, NewReview, Origin, Store, Triage};

use crate::messages::msg;

pub(super) async fn actor(store: &dyn Store, name: &str) -> anyhow::Result<Actor> {
    let user = store
        .credentials_by_name(name)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))?
        .user_id;
    store
        .actor(user)
        .await?
        .with_context(|| msg!("cli.demo.account_missing", user = name))
}

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

pub async fn fill_incidents(store: &dyn Store) -> anyhow::Result<usize> {
    let now = mamori_store::SystemClock.now_ms();
    let csirt = actor(store, "tanaka").await?;
    let csirt_origin = Origin::of(&csirt, "demo");
    let mut made = 0;
    for (reporter, title, description, hours_ago, severity, threat, people, steps) in [
        (
            "yamamoto",
            msg!("cli.demo.incident_mail_title"),
            msg!("cli.demo.incident_mail"),
            48,
            Level::Medium,
            "T-ERROR",
            35,
            vec![(
                Step::Contained,
                None,
                msg!("cli.demo.incident_mail_contained"),
            )],
        ),
        (
            "takahashi",
            msg!("cli.demo.incident_malware_title"),
            msg!("cli.demo.incident_malware"),
            6,
            Level::High,
            "T-MALWARE",
            0,
            vec![
                (
                    Step::Contained,
                    None,
                    msg!("cli.demo.incident_malware_contained"),
                ),
                (Step::Notified, Some("PREFECTURE".to_owned()), String::new()),
            ],
        ),
    ] {
        let who = actor(store, reporter).await?;
        let incident = store
            .report_incident(
                &authorize::<ReportIncident>(&who, &())?,
                NewIncident {
                    title,
                    description,
                    occurred_at: Some(now - (hours_ago + 2) * HOUR),
                    detected_at: Some(now - hours_ago * HOUR),
                    assets: Vec::new(),
                },
                &Origin::of(&who, "demo"),
            )
            .await?;
        let triage = authorize::<TriageIncident>(&csirt, &incident.place())?;
        store
            .triage_incident(
                &triage,
                incident.id,
                Triage {
                    severity,
                    threat: Some(threat.to_owned()),
                    personal_data: people > 0,
                    people,
                    unauthorised_purpose: false,
                    owner: Some(csirt.person_id),
                    assets: Vec::new(),
                },
                &csirt_origin,
            )
            .await?;
        for (step, rule, note) in steps {
            store
                .add_incident_event(&triage, incident.id, step, rule, &note, &csirt_origin)
                .await?;
        }
        if made == 0 {
            fill_tasks(store, &triage, incident.id, &csirt_origin).await?;
        }
        made += 1;
    }
    fill_closed(store, &csirt, now).await?;
    fill_candidates(store, &csirt).await?;
    Ok(made + 1)
}

/// The mis-sent mail's tasks: the reporter's apology to the residents, due yesterday and not
/// done; the CSIRT's review of the sending rules, due in a week.
async fn fill_tasks(
    store: &dyn Store,
    triage: &mamori_core::authz::Granted<TriageIncident>,
    incident: mamori_store::IncidentId,
    origin: &Origin,
) -> anyhow::Result<()> {
    let today = mamori_core::time::jst_date(mamori_store::SystemClock.now_ms()).unwrap_or_default();
    let reporter = actor(store, "yamamoto").await?;
    let csirt = actor(store, "tanaka").await?;
    for (title, owner, due_on) in [
        (
            msg!("cli.demo.task_apology"),
            reporter.person_id,
            today.pred_opt(),
        ),
        (
            msg!("cli.demo.task_rules"),
            csirt.person_id,
            today.checked_add_days(chrono::Days::new(7)),
        ),
    ] {
        store
            .add_incident_task(
                triage,
                incident,
                NewIncidentTask {
                    title,
                    owner,
                    due_on,
                },
                origin,
            )
            .await?;
    }
    Ok(())
}

/// A USB memory lost last month: triaged low, recovered and closed, its lessons recorded, and
/// cited by the CISO's management review.
async fn fill_closed(store: &dyn Store, csirt: &Actor, now: i64) -> anyhow::Result<()> {
    let reporter = actor(store, "yamamoto").await?;
    let incident = store
        .report_incident(
            &authorize::<ReportIncident>(&reporter, &())?,
            NewIncident {
                title: msg!("cli.demo.incident_usb_title"),
                description: msg!("cli.demo.incident_usb"),
                occurred_at: Some(now - 32 * DAY),
                detected_at: Some(now - 31 * DAY),
                assets: Vec::new(),
            },
            &Origin::of(&reporter, "demo"),
        )
        .await?;
    let origin = Origin::of(csirt, "demo");
    let triage = authorize::<TriageIncident>(csirt, &incident.place())?;
    store
        .triage_incident(
            &triage,
            incident.id,
            Triage {
                severity: Level::Low,
                threat: Some("T-ERROR".to_owned()),
                personal_data: false,
                people: 0,
                unauthorised_purpose: false,
                owner: Some(csirt.person_id),
                assets: Vec::new(),
            },
            &origin,
        )
        .await?;
    for step in [Step::Recovered, Step::Closed] {
        store
            .add_incident_event(&triage, incident.id, step, None, "", &origin)
            .await?;
    }
    store
        .record_incident_lessons(
            &triage,
            incident.id,
            &msg!("cli.demo.incident_usb_lessons"),
            &origin,
        )
        .await?;
    let ciso = actor(store, "sato").await?;
    let today = mamori_core::time::jst_date(now).unwrap_or_default();
    store
        .create_review(
            &authorize::<ManageReviews>(&ciso, &())?,
            NewReview {
                title: msg!("cli.demo.review_title"),
                held_on: today.pred_opt().unwrap_or(today),
                environment: String::new(),
                decisions: msg!("cli.demo.review_decisions"),
                inputs: vec![(mamori_store::ReviewInputKind::Incident, incident.id.0)],
            },
            &Origin::of(&ciso, "demo"),
        )
        .await?;
    Ok(())
}

/// Two messages the gateway held for malware-like content: an executable in an invoice, still
/// open; a password-protected quotation the CSIRT dismissed once the sender confirmed it.
async fn fill_candidates(store: &dyn Store, csirt: &Actor) -> anyhow::Result<()> {
    let system = Origin::system("gateway candidates");
    let mut raised = Vec::new();
    for (reference, summary) in [
        (
            "q-7c1e9a40d2b35f68",
            "[executable] billing@invoice-notice.example.com: 請求書_12月分.exe",
        ),
        (
            "q-2b8d5f0e91a4c637",
            "[encrypted-archive] eigyo@partner.example.co.jp: 見積書.zip",
        ),
    ] {
        if let Some(candidate) = store
            .raise_incident_candidate(CandidateSource::Gateway, reference, summary, &system)
            .await?
        {
            raised.push(candidate.id);
        }
    }
    if let Some(dismissed) = raised.get(1) {
        store
            .dismiss_incident_candidate(
                &authorize::<DecideIncidentCandidate>(csirt, &())?,
                *dismissed,
                &msg!("cli.demo.candidate_dismissed"),
                &Origin::of(csirt, "demo"),
            )
            .await?;
    }
    Ok(())
}
