//! Cases of notices and the mail outbox: an incident report writes its notices in the same
//! transaction, to the CSIRT and the unit's 管理者 only; a reminder is written once a day; a
//! mail is taken from the outbox only when due, counted while it waits, and settled once; the
//! digest is claimed once a day; a person's choice about the digest is theirs and audited.

use mamori_core::authz::{OwnNotices, ReportIncident, authorize};
use mamori_core::notice::{NoticeKind, NoticeState};
use mamori_core::{Role, Scope};
use mamori_store::{NewIncident, NewMail, NewNotice, OutboxCounts};

use crate::{Fx, account, actor, new_org, new_unit, origin};

pub async fn notices_follow_their_cause_and_mails_leave_the_outbox_once(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let other = new_unit(&fx, org, None, "財政課").await.id;
    let staff = actor(&fx, account(&fx, "shokuin", unit, None).await).await;
    let csirt = actor(
        &fx,
        account(&fx, "csirt", other, Some((Role::Csirt, Scope::Global))).await,
    )
    .await;
    let manager = actor(
        &fx,
        account(
            &fx,
            "kanri",
            unit,
            Some((Role::SecurityManager, Scope::Unit(unit))),
        )
        .await,
    )
    .await;
    let elsewhere = actor(
        &fx,
        account(
            &fx,
            "yoso",
            other,
            Some((Role::SecurityManager, Scope::Unit(other))),
        )
        .await,
    )
    .await;

    let reported = s
        .report_incident(
            &authorize::<ReportIncident>(&staff, &()).unwrap(),
            NewIncident {
                title: "USBメモリの紛失".into(),
                description: String::new(),
                occurred_at: None,
                detected_at: None,
                assets: Vec::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    // The 緊急連絡網: the chain's holders with their place; nobody without a chain role.
    let chain = s.contact_chain().await.unwrap();
    let holders: Vec<_> = chain.iter().map(|c| (c.role, c.person, c.unit)).collect();
    assert_eq!(holders.len(), 3, "{chain:?}");
    assert_eq!(holders[0], (Role::Csirt, csirt.person_id, None));
    assert!(holders.contains(&(Role::SecurityManager, manager.person_id, Some(unit))));
    assert!(holders.contains(&(Role::SecurityManager, elsewhere.person_id, Some(other))));
    assert!(
        chain
            .iter()
            .all(|c| c.role != Role::Csirt || c.org.is_none())
    );
    assert!(
        chain
            .iter()
            .filter(|c| c.role == Role::SecurityManager)
            .all(|c| c.org == Some(org) && c.org_name.as_deref() == Some("管理者"))
    );
    let pending = s.pending_notices().await.unwrap();
    let mut told: Vec<_> = pending.iter().map(|(n, _)| n.person).collect();
    told.sort();
    let mut expected = vec![csirt.person_id, manager.person_id];
    expected.sort();
    assert_eq!(
        told, expected,
        "the CSIRT and the unit's 管理者, nobody else"
    );
    for (notice, to) in &pending {
        assert_eq!(notice.kind, NoticeKind::IncidentReported);
        assert_eq!(notice.title, "USBメモリの紛失");
        assert_eq!(notice.link, format!("/incidents/{}", reported.id.0));
        assert_eq!(notice.state, NoticeState::Pending);
        assert_eq!(to.person, notice.person);
        assert_eq!(to.email, None, "the test accounts have no address");
        assert!(!to.digest_opt_out);
    }
    assert!(
        s.notices_of(elsewhere.person_id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.notices_of(staff.person_id, 10).await.unwrap().is_empty());

    // A reminder is written once per key.
    let reminder = NewNotice {
        person: staff.person_id,
        kind: NoticeKind::ActionOverdue,
        title: "手順書の改訂".into(),
        link: "/findings/1".into(),
        once: Some("action_overdue:1:2026-12-05".into()),
    };
    assert_eq!(
        s.add_notices(std::slice::from_ref(&reminder))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.add_notices(std::slice::from_ref(&reminder))
            .await
            .unwrap(),
        0
    );
    let next_day = NewNotice {
        once: Some("action_overdue:1:2026-12-06".into()),
        ..reminder
    };
    assert_eq!(s.add_notices(&[next_day]).await.unwrap(), 1);

    // A mail settles the notices it carries; the others are settled without one.
    let (first, _) = &pending[0];
    let mail = s
        .queue_mail(
            NewMail {
                person: first.person,
                recipient: "csirt@city.example.lg.jp".into(),
                subject: "【mamori】インシデントが報告されました".into(),
                body: "本文".into(),
            },
            &[first.id],
        )
        .await
        .unwrap();
    s.settle_notices(&[pending[1].0.id], NoticeState::NoAddress)
        .await
        .unwrap();
    let states: Vec<_> = s
        .pending_notices()
        .await
        .unwrap()
        .iter()
        .map(|(n, _)| n.kind)
        .collect();
    assert_eq!(states, vec![NoticeKind::ActionOverdue; 2]);
    assert_eq!(
        s.notices_of(first.person, 10).await.unwrap()[0].state,
        NoticeState::Mailed
    );

    // The outbox: due now, deferred, due again later, sent once.
    let now = fx.now();
    let due = s.due_mails(now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].id, mail);
    assert_eq!(due[0].attempts, 0);
    s.mail_deferred(mail, "421 try later", now + 60_000)
        .await
        .unwrap();
    assert!(s.due_mails(now, 10).await.unwrap().is_empty());
    assert_eq!(
        s.outbox_counts().await.unwrap(),
        OutboxCounts {
            queued: 1,
            retrying: 1,
            failed: 0,
            sent: 0
        }
    );
    let again = s.due_mails(now + 60_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error, "421 try later");
    s.mail_sent(mail, now + 60_000).await.unwrap();
    assert!(s.due_mails(now + 999_999, 10).await.unwrap().is_empty());
    let refused = s
        .queue_mail(
            NewMail {
                person: staff.person_id,
                recipient: "nobody@city.example.lg.jp".into(),
                subject: "x".into(),
                body: "y".into(),
            },
            &[],
        )
        .await
        .unwrap();
    s.mail_failed(refused, "550 no such user", now)
        .await
        .unwrap();
    assert_eq!(
        s.outbox_counts().await.unwrap(),
        OutboxCounts {
            queued: 0,
            retrying: 0,
            failed: 1,
            sent: 1
        }
    );
    let outbox = s.outbox(10).await.unwrap();
    assert_eq!(outbox[0].id, refused, "newest first");
    assert_eq!(outbox[1].sent_at, Some(now + 60_000));

    // The digest of a day is claimed once.
    assert!(s.claim_digest("2026-12-05", now).await.unwrap());
    assert!(!s.claim_digest("2026-12-05", now).await.unwrap());
    assert!(s.claim_digest("2026-12-06", now).await.unwrap());

    // The digest switch is the person's own, audited.
    assert!(!s.digest_opt_out(staff.user_id).await.unwrap());
    let before = fx.audit_len().await;
    s.set_digest_opt_out(
        &authorize::<OwnNotices>(&staff, &()).unwrap(),
        true,
        &origin(),
    )
    .await
    .unwrap();
    fx.assert_one_record(before, "notice.digest").await;
    assert!(s.digest_opt_out(staff.user_id).await.unwrap());
    assert!(!s.digest_opt_out(manager.user_id).await.unwrap());
    assert!(
        s.pending_notices()
            .await
            .unwrap()
            .iter()
            .all(|(_, to)| to.digest_opt_out)
    );
}
