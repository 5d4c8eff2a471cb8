//! The demonstration's incidents: a mis-sent mail with residents' data, noticed two days ago and
//! triaged by the CSIRT (`tanaka`), whose 速報 to the 個人情報保護委員会 falls due tomorrow; and a
//! targeted mail opened in the 情報政策課, serious, contained, reported to the prefecture.
//! Deterministic but for the clock: the same incidents every time.

use anyhow::Context;
use mamori_core::authz::{ReportIncident, TriageIncident, authorize};
use mamori_core::incident::Step;
use mamori_core::risk::Level;
use mamori_core::{Actor, Clock as _};
use mamori_store::{NewIncident, Origin, Store, Triage};

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
        made += 1;
    }
    Ok(made)
}
