//! お知らせのメール (mail notices). What waits for someone reaches them by mail: an incident report
//! at once (the 緊急対応体制 of seed §6(7); nobody opts out of it), everything else — an exception
//! to decide, a version to approve, an overdue corrective action, an external notification past
//! its deadline, an exception past its end — once a day in a digest, which a person may turn off.
//!
//! The way of a notice: written into the store in the same transaction as what it is about, or by
//! the day's [`sweep`]; [`compose`] turns pending notices into mails of the outbox (urgent ones at
//! every pass, the rest at the digest), and [`send_due`] hands the outbox to the relay through the
//! gateway's SMTP client (STARTTLS as configured). A mail leaves the outbox only when the relay has
//! taken it: while the relay is down it is tried again with a growing delay, never dropped; a
//! permanent refusal is kept and shown to administrators.
//!
//! Texts come from the one catalogue in the recipient's language (Japanese unless their account
//! says English); the mail is UTF-8 plain text, base64, with the subject in RFC 2047 words.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use mamori_core::Clock;
use mamori_core::exception::expired;
use mamori_core::finding::action_overdue;
use mamori_core::i18n::Lang;
use mamori_core::incident::{builtin_rules, notifications};
use mamori_core::notice::{NoticeKind, NoticeState, daily_key, disposition, retry_delay_ms};
use mamori_core::time::{format_jst, in_jst};
use mamori_core::{PersonId, Role};
use mamori_gateway::NextHop;
use mamori_gateway::client::{self, DeliveryError};
use mamori_sanitize::mime::{base64_lines, encode_words};
use mamori_store::{Addressee, Audience, NewMail, NewNotice, Notice, OutboxMail, Store};
use tokio::sync::watch;

/// How notices are mailed.
#[derive(Debug, Clone)]
pub struct MailerConfig {
    /// The relay (with its STARTTLS settings).
    pub relay: NextHop,
    /// The sender, in the envelope and in `From:`.
    pub from: String,
    /// Where mamori's pages are reached (`https://mamori.city.example.lg.jp`): links in the mails.
    pub base_url: String,
    /// When the day's digest goes out, in Japan time.
    pub digest_at: NaiveTime,
    /// The first delay before a mail the relay did not take is tried again; doubled each time.
    pub retry_first: Duration,
}

fn line(lang: Lang, notice: &Notice) -> String {
    notice.kind.line(lang, &notice.title)
}

fn link(base_url: &str, path: &str) -> String {
    format!("{}{path}", base_url.trim_end_matches('/'))
}

/// The mail of one urgent notice.
pub fn single_mail(to: &Addressee, email: &str, notice: &Notice, base_url: &str) -> NewMail {
    let lang = to.lang;
    let text = line(lang, notice);
    let body = format!(
        "{}\n\n{text}\n{}\n{}\n\n{}\n",
        lang.fill("notice.mail.greeting", &[("name", to.name.clone())]),
        link(base_url, &notice.link),
        format_jst(notice.created_at),
        lang.t("notice.mail.footer"),
    );
    NewMail {
        person: to.person,
        recipient: email.to_owned(),
        subject: lang.fill("notice.mail.subject", &[("text", text)]),
        body,
    }
}

/// The day's digest of a person's notices.
pub fn digest_mail(
    to: &Addressee,
    email: &str,
    notices: &[&Notice],
    base_url: &str,
    day: NaiveDate,
) -> NewMail {
    let lang = to.lang;
    let mut body = format!(
        "{}\n\n{}\n\n",
        lang.fill("notice.mail.greeting", &[("name", to.name.clone())]),
        lang.fill(
            "notice.digest.intro",
            &[("count", notices.len().to_string())]
        ),
    );
    for notice in notices {
        body.push_str(&format!(
            "・{}\n  {}\n",
            line(lang, notice),
            link(base_url, &notice.link)
        ));
    }
    body.push_str(&format!(
        "\n{}\n{}\n",
        lang.fill(
            "notice.digest.settings",
            &[("url", link(base_url, "/notices"))]
        ),
        lang.t("notice.mail.footer"),
    ));
    NewMail {
        person: to.person,
        recipient: email.to_owned(),
        subject: lang.fill(
            "notice.digest.subject",
            &[
                ("day", day.to_string()),
                ("count", notices.len().to_string()),
            ],
        ),
        body,
    }
}

/// The bytes of an outbox mail as sent: RFC 5322 headers, UTF-8 text in base64.
pub fn message(mail: &OutboxMail, from: &str, now_ms: i64) -> Vec<u8> {
    let host = from.rsplit_once('@').map_or("localhost", |(_, h)| h);
    let date = in_jst(now_ms).map(|t| t.to_rfc2822()).unwrap_or_default();
    let mut out = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n\
         Message-ID: <notice.{id}.{rand:08x}@{host}>\r\nAuto-Submitted: auto-generated\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
        to = mail.recipient,
        subject = encode_words(&mail.subject),
        id = mail.id.0,
        rand = rand::random::<u32>(),
    );
    out.push_str(&base64_lines(mail.body.replace('\n', "\r\n").as_bytes()));
    out.into_bytes()
}

/// What a pass of [`compose`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Composed {
    pub mails: usize,
    /// Notices settled without mail (no address, or left out of the digest).
    pub settled: usize,
}

/// Turns pending notices into mails: urgent notices always, one mail each; the others only when
/// `digest_day` is given, one mail per person for the day.
pub async fn compose(
    store: &dyn Store,
    base_url: &str,
    digest_day: Option<NaiveDate>,
) -> mamori_store::Result<Composed> {
    let mut done = Composed::default();
    let mut digests: BTreeMap<PersonId, (Addressee, Vec<Notice>)> = BTreeMap::new();
    for (notice, to) in store.pending_notices().await? {
        let Some(state) = disposition(
            notice.kind,
            digest_day.is_some(),
            to.email.is_some(),
            to.digest_opt_out,
        ) else {
            continue;
        };
        match (state, &to.email) {
            (NoticeState::Mailed, Some(email)) if notice.kind.urgent() => {
                store
                    .queue_mail(single_mail(&to, email, &notice, base_url), &[notice.id])
                    .await?;
                done.mails += 1;
            }
            (NoticeState::Mailed, Some(_)) => {
                digests
                    .entry(to.person)
                    .or_insert_with(|| (to.clone(), Vec::new()))
                    .1
                    .push(notice);
            }
            (state, _) => {
                store.settle_notices(&[notice.id], state).await?;
                done.settled += 1;
            }
        }
    }
    if let Some(day) = digest_day {
        for (to, notices) in digests.into_values() {
            let Some(email) = &to.email else { continue };
            let ids: Vec<_> = notices.iter().map(|n| n.id).collect();
            let refs: Vec<&Notice> = notices.iter().collect();
            store
                .queue_mail(digest_mail(&to, email, &refs, base_url, day), &ids)
                .await?;
            done.mails += 1;
        }
    }
    Ok(done)
}

/// The day's reminders of what is overdue, each thing once a day: corrective actions past their
/// date (to their owner), external notifications of an open incident past their deadline (to its
/// owner, or the CSIRT while it has none), approved exceptions past their end (to the unit's
/// 管理者), training not completed and due within two weeks or overdue (to the person). How many
/// notices were new.
pub async fn sweep(
    store: &dyn Store,
    today: NaiveDate,
    now_ms: i64,
) -> mamori_store::Result<usize> {
    let mut notices = Vec::new();
    let mut tell =
        |people: Vec<PersonId>, kind: NoticeKind, id: i64, title: String, path: String| {
            for person in people {
                notices.push(NewNotice {
                    person,
                    kind,
                    title: title.clone(),
                    link: path.clone(),
                    once: Some(daily_key(kind, id, today)),
                });
            }
        };
    for action in store.actions().await? {
        if action_overdue(action.state, action.due_on, today) {
            tell(
                vec![action.owner],
                NoticeKind::ActionOverdue,
                action.id.0,
                format!("{} ({})", action.description, action.due_on),
                format!("/findings/{}", action.finding.0),
            );
        }
    }
    let rules = builtin_rules();
    for incident in store.incidents().await? {
        if incident.closed_at.is_some() {
            continue;
        }
        let late: Vec<String> = notifications(&rules, &incident.facts(), incident.detected_at)
            .into_iter()
            .filter(|due| incident.notified(&due.rule.code).is_none() && due.due_ms < now_ms)
            .map(|due| due.rule.code.clone())
            .collect();
        if late.is_empty() {
            continue;
        }
        let people = match incident.owner {
            Some(owner) => vec![owner],
            None => {
                store
                    .audience(&Audience {
                        roles: vec![Role::Csirt],
                        managers_of: None,
                    })
                    .await?
            }
        };
        tell(
            people,
            NoticeKind::NotificationOverdue,
            incident.id.0,
            format!("{} [{}]", incident.title, late.join(", ")),
            format!("/incidents/{}", incident.id.0),
        );
    }
    for task in store.open_incident_tasks().await? {
        if task.overdue(today) {
            let due = task.due_on.map(|d| d.to_string()).unwrap_or_default();
            tell(
                vec![task.owner],
                NoticeKind::IncidentTaskOverdue,
                task.id,
                format!("{} ({due}) — {}", task.title, task.incident_title),
                format!("/incidents/{}", task.incident.0),
            );
        }
    }
    for exception in store.measure_exceptions().await? {
        if expired(exception.state, exception.until, today) {
            let people = store
                .audience(&Audience {
                    roles: Vec::new(),
                    managers_of: Some(exception.unit),
                })
                .await?;
            tell(
                people,
                NoticeKind::ExceptionExpired,
                exception.id.0,
                format!(
                    "{} {} ({})",
                    exception.measure_code, exception.measure_name, exception.unit_name
                ),
                format!("/exceptions/{}", exception.id.0),
            );
        }
    }
    for assignment in store
        .assignments_due(today + chrono::Days::new(TRAINING_NOTICE_DAYS))
        .await?
    {
        tell(
            vec![assignment.person],
            NoticeKind::TrainingDue,
            assignment.id.0,
            format!("{} ({})", assignment.course_title, assignment.due_on),
            "/training".to_owned(),
        );
    }
    store.add_notices(&notices).await
}

/// Training is reminded of from this many days before its due date (as the home page lists it).
const TRAINING_NOTICE_DAYS: u64 = 14;

/// What a pass of [`send_due`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
}

/// Hands the due mails of the outbox to the relay, one transaction each over a reused connection.
pub async fn send_due(
    store: &dyn Store,
    config: &MailerConfig,
    now_ms: i64,
) -> mamori_store::Result<Sent> {
    let mut done = Sent::default();
    for mail in store.due_mails(now_ms, 100).await? {
        let bytes = message(&mail, &config.from, now_ms);
        let recipients = [mail.recipient.clone()];
        let outcome =
            client::deliver(&config.relay, &config.from, &recipients, &[&bytes], false).await;
        let first = i64::try_from(config.retry_first.as_millis()).unwrap_or(60_000);
        match outcome {
            Ok(delivered) if !delivered.accepted.is_empty() => {
                store.mail_sent(mail.id, now_ms).await?;
                done.sent += 1;
            }
            Ok(delivered) => {
                let reply = delivered
                    .rejected
                    .first()
                    .or(delivered.deferred.first())
                    .map(|(_, r)| r.clone())
                    .unwrap_or(delivered.reply);
                if delivered.rejected.is_empty() {
                    store
                        .mail_deferred(
                            mail.id,
                            &reply,
                            now_ms + retry_delay_ms(mail.attempts, first),
                        )
                        .await?;
                    done.deferred += 1;
                } else {
                    store.mail_failed(mail.id, &reply, now_ms).await?;
                    done.failed += 1;
                }
            }
            Err(DeliveryError::Temporary(reason)) => {
                tracing::warn!(mail = mail.id.0, %reason, "notice mail deferred");
                store
                    .mail_deferred(
                        mail.id,
                        &reason,
                        now_ms + retry_delay_ms(mail.attempts, first),
                    )
                    .await?;
                done.deferred += 1;
            }
            Err(DeliveryError::Permanent { reply, .. }) => {
                tracing::error!(mail = mail.id.0, %reply, "notice mail refused by the relay");
                store.mail_failed(mail.id, &reply, now_ms).await?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// The day whose digest is due at `now_ms`: today (Japan time) once its digest time has passed.
pub fn digest_due(now_ms: i64, digest_at: NaiveTime) -> Option<NaiveDate> {
    let now = in_jst(now_ms)?;
    (now.time() >= digest_at).then(|| now.date_naive())
}

/// Runs until `shutdown` turns true: composes and sends every few seconds; once a
/// day, after the digest time, sweeps for overdue items and sends the digest.
pub async fn mailer(
    store: Arc<dyn Store>,
    config: Arc<MailerConfig>,
    clock: Arc<dyn Clock>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if let Err(error) = pass(store.as_ref(), &config, clock.as_ref()).await {
            tracing::error!(%error, "notice mailer");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One pass of the mailer.
pub async fn pass(
    store: &dyn Store,
    config: &MailerConfig,
    clock: &dyn Clock,
) -> mamori_store::Result<Sent> {
    let now = clock.now_ms();
    let mut digest_day = None;
    if let Some(day) = digest_due(now, config.digest_at)
        && store.claim_digest(&day.to_string(), now).await?
    {
        sweep(store, day, now).await?;
        digest_day = Some(day);
    }
    compose(store, &config.base_url, digest_day).await?;
    send_due(store, config, now).await
}

#[cfg(test)]
mod tests {
    use mamori_store::{MailId, NoticeId};

    use super::*;

    fn addressee(lang: Lang) -> Addressee {
        Addressee {
            person: PersonId(3),
            name: "山田 花子".into(),
            email: Some("hanako@city.example.lg.jp".into()),
            lang,
            digest_opt_out: false,
        }
    }

    fn notice(kind: NoticeKind, title: &str) -> Notice {
        Notice {
            id: NoticeId(1),
            person: PersonId(3),
            kind,
            title: title.into(),
            link: "/incidents/7".into(),
            created_at: 1_764_900_000_000,
            state: NoticeState::Pending,
        }
    }

    #[test]
    fn an_incident_mail_is_japanese_with_a_link() {
        let to = addressee(Lang::Ja);
        let n = notice(NoticeKind::IncidentReported, "USBメモリの紛失");
        let mail = single_mail(
            &to,
            "hanako@city.example.lg.jp",
            &n,
            "https://isms.example/",
        );
        assert!(mail.subject.contains("インシデント"), "{}", mail.subject);
        assert!(mail.subject.contains("USBメモリの紛失"));
        assert!(mail.body.starts_with("山田 花子"));
        assert!(mail.body.contains("https://isms.example/incidents/7"));
    }

    #[test]
    fn english_accounts_get_english() {
        let to = addressee(Lang::En);
        let n = notice(NoticeKind::IncidentReported, "Lost USB stick");
        let mail = single_mail(&to, "a@b.example", &n, "https://isms.example");
        assert!(mail.subject.contains("incident"), "{}", mail.subject);
    }

    #[test]
    fn a_digest_lists_every_notice_once() {
        let to = addressee(Lang::Ja);
        let a = notice(NoticeKind::ActionOverdue, "手順書の改訂");
        let b = notice(NoticeKind::ExceptionRequested, "M-1 ウイルス対策");
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let mail = digest_mail(&to, "a@b.example", &[&a, &b], "https://isms.example", day);
        assert!(mail.subject.contains("2026-12-05"));
        assert!(mail.subject.contains('2'));
        assert_eq!(mail.body.matches("・").count(), 2);
        assert!(mail.body.contains("https://isms.example/notices"));
    }

    #[test]
    fn the_message_encodes_subject_and_body() {
        let mail = OutboxMail {
            id: MailId(9),
            person: PersonId(3),
            recipient: "hanako@city.example.lg.jp".into(),
            subject: "【mamori】インシデントが報告されました".into(),
            body: "本文\n二行目\n".into(),
            created_at: 0,
            attempts: 0,
            next_attempt_at: 0,
            last_error: String::new(),
            sent_at: None,
            failed_at: None,
        };
        let bytes = message(&mail, "mamori@city.example.lg.jp", 1_764_900_000_000);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.is_ascii());
        assert!(text.contains("Subject: =?UTF-8?B?"));
        assert!(text.contains("To: hanako@city.example.lg.jp\r\n"));
        assert!(text.contains("@city.example.lg.jp>"));
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .unwrap();
        assert_eq!(
            parsed.subject(),
            Some("【mamori】インシデントが報告されました")
        );
        assert_eq!(
            parsed.body_text(0).unwrap().replace("\r\n", "\n"),
            "本文\n二行目\n"
        );
    }

    #[test]
    fn the_digest_is_due_after_its_time_in_japan() {
        let at = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
        // 2026-12-04T23:00Z is 08:00 on the 5th in Japan: not yet.
        let before = chrono::DateTime::parse_from_rfc3339("2026-12-04T23:00:00Z").unwrap();
        assert_eq!(digest_due(before.timestamp_millis(), at), None);
        let after = chrono::DateTime::parse_from_rfc3339("2026-12-04T23:45:00Z").unwrap();
        assert_eq!(
            digest_due(after.timestamp_millis(), at),
            NaiveDate::from_ymd_opt(2026, 12, 5)
        );
    }
}
