//! お知らせ (notices): what waits for someone — a report to triage, an approval, a due or overdue
//! item — and how it reaches them by mail. An urgent notice (an incident report) is mailed at
//! once and nobody can opt out of it; the others wait for the day's digest, one mail a day, which
//! a person may turn off (the notices still show on their page).

use chrono::NaiveDate;

use crate::i18n::Lang;

/// What a notice is about. The kind decides its urgency and its text in the catalogue
/// (`notice.kind.<kind>`, with `{title}` filled in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// インシデントの報告: to the unit's 管理者 and the CSIRT, at once.
    IncidentReported,
    /// 外部への報告の期限切れ: an incident's notification past its deadline, to its owner.
    NotificationOverdue,
    /// 例外措置の申請: waiting for the CISO's decision.
    ExceptionRequested,
    /// 例外措置の期限切れ: an approved exception past its end date, to the unit's 管理者.
    ExceptionExpired,
    /// 是正処置の期限切れ: a corrective action past its due date, to its owner.
    ActionOverdue,
    /// 承認待ちの版: a policy version in review, to the approvers.
    VersionInReview,
    /// 研修の受講期限: an assignment due within two weeks or overdue, to the person assigned.
    TrainingDue,
    /// 対応タスクの期限切れ: an open incident's task past its due date, to its owner.
    IncidentTaskOverdue,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 8] = [
        NoticeKind::IncidentReported,
        NoticeKind::NotificationOverdue,
        NoticeKind::ExceptionRequested,
        NoticeKind::ExceptionExpired,
        NoticeKind::ActionOverdue,
        NoticeKind::VersionInReview,
        NoticeKind::TrainingDue,
        NoticeKind::IncidentTaskOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::IncidentReported => "incident_reported",
            NoticeKind::NotificationOverdue => "notification_overdue",
            NoticeKind::ExceptionRequested => "exception_requested",
            NoticeKind::ExceptionExpired => "exception_expired",
            NoticeKind::ActionOverdue => "action_overdue",
            NoticeKind::VersionInReview => "version_in_review",
            NoticeKind::TrainingDue => "training_due",
            NoticeKind::IncidentTaskOverdue => "incident_task_overdue",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Mailed at once, and nobody may opt out of it: the incident mail of the 緊急対応体制.
    pub fn urgent(self) -> bool {
        matches!(self, NoticeKind::IncidentReported)
    }

    /// The catalogue key of its one-line text (`{title}` is the thing it is about).
    pub fn key(self) -> String {
        format!("notice.kind.{}", self.as_str())
    }

    /// Its one line in a language, as the page and the mail say it:
    /// `インシデントが報告されました: {title}`.
    pub fn line(self, lang: Lang, title: &str) -> String {
        lang.fill(&self.key(), &[("title", title.to_owned())])
    }
}

/// Where a notice stands in its way to a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeState {
    /// Not mailed yet: urgent ones wait for the next pass of the mailer, the others for the digest.
    Pending,
    /// In a mail of the outbox (queued or sent).
    Mailed,
    /// Left out of the digest at the person's wish; it stays on their page.
    OptedOut,
    /// The person has no mail address; it stays on their page.
    NoAddress,
}

impl NoticeState {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeState::Pending => "pending",
            NoticeState::Mailed => "mailed",
            NoticeState::OptedOut => "opted_out",
            NoticeState::NoAddress => "no_address",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            NoticeState::Pending,
            NoticeState::Mailed,
            NoticeState::OptedOut,
            NoticeState::NoAddress,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

/// What becomes of a pending notice when the mailer takes it up: urgent notices at any pass, the
/// others only at the digest; an opted-out person's digest notices are settled without mail, an
/// incident notice is mailed whatever the person chose.
pub fn disposition(
    kind: NoticeKind,
    digest_time: bool,
    has_address: bool,
    digest_opt_out: bool,
) -> Option<NoticeState> {
    if !kind.urgent() && !digest_time {
        return None;
    }
    Some(if !has_address {
        NoticeState::NoAddress
    } else if !kind.urgent() && digest_opt_out {
        NoticeState::OptedOut
    } else {
        NoticeState::Mailed
    })
}

/// The key that keeps a reminder to once a day per thing: `kind:thing:day`.
pub fn daily_key(kind: NoticeKind, thing: impl std::fmt::Display, day: NaiveDate) -> String {
    format!("{}:{thing}:{day}", kind.as_str())
}

/// The delay before the next attempt at a mail the relay did not take: one minute doubled per
/// attempt, at most six hours. A mail is never given up on for a temporary failure; it stays
/// queued (and counted on the metrics) until the relay takes it.
pub fn retry_delay_ms(attempts: u32, first_ms: i64) -> i64 {
    const CAP_MS: i64 = 6 * 60 * 60 * 1000;
    let doubled = first_ms.saturating_mul(1_i64 << attempts.min(20));
    doubled.clamp(first_ms.min(CAP_MS), CAP_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_only_incidents_are_urgent() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.urgent(), kind == NoticeKind::IncidentReported);
        }
        assert_eq!(NoticeKind::parse("incident"), None);
    }

    #[test]
    fn digest_notices_wait_for_the_digest_and_respect_the_opt_out() {
        let k = NoticeKind::ActionOverdue;
        assert_eq!(disposition(k, false, true, false), None);
        assert_eq!(disposition(k, true, true, false), Some(NoticeState::Mailed));
        assert_eq!(
            disposition(k, true, true, true),
            Some(NoticeState::OptedOut)
        );
        assert_eq!(
            disposition(k, true, false, false),
            Some(NoticeState::NoAddress)
        );
    }

    #[test]
    fn incident_mail_ignores_the_opt_out_and_goes_at_once() {
        let k = NoticeKind::IncidentReported;
        assert_eq!(disposition(k, false, true, true), Some(NoticeState::Mailed));
        assert_eq!(
            disposition(k, false, false, true),
            Some(NoticeState::NoAddress)
        );
    }

    #[test]
    fn retries_double_from_the_first_delay_up_to_six_hours() {
        assert_eq!(retry_delay_ms(0, 60_000), 60_000);
        assert_eq!(retry_delay_ms(1, 60_000), 120_000);
        assert_eq!(retry_delay_ms(3, 60_000), 480_000);
        assert_eq!(retry_delay_ms(40, 60_000), 6 * 3_600_000);
        assert_eq!(retry_delay_ms(5, 1_000), 32_000);
    }

    #[test]
    fn every_kind_has_its_line_in_both_languages() {
        for kind in NoticeKind::ALL {
            assert!(Lang::has(&kind.key()), "{}", kind.key());
            let ja = kind.line(Lang::Ja, "件名");
            assert!(ja.contains("件名") && !ja.contains('{'), "{ja}");
            assert!(!kind.line(Lang::En, "x").contains('{'));
        }
    }

    #[test]
    fn daily_keys_name_the_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(
            daily_key(NoticeKind::ActionOverdue, 7, day),
            "action_overdue:7:2026-12-05"
        );
    }
}
