//! お知らせ and the mail outbox: notices are written in the same transaction as what they are
//! about (an incident report, an exception request, a version sent for review) or by the daily
//! sweep of what is overdue; the mailer turns them into mails of the outbox, and the outbox is
//! retried until the relay takes each mail. Nothing leaves the database before the relay has it.

use mamori_core::authz::{Granted, OwnNotices};
use mamori_core::i18n::Lang;
use mamori_core::notice::{NoticeKind, NoticeState};
use mamori_core::{PersonId, Role, UnitId, UserId};

use crate::{Origin, Result};

/// Id of a stored notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeId(pub i64);

/// Id of a mail of the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MailId(pub i64);

/// Who is told of something: the holders of `roles` (whatever their scope) and the unit's
/// 情報セキュリティ管理者.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    pub roles: Vec<Role>,
    pub managers_of: Option<UnitId>,
}

/// A notice to be written. `once` keeps a reminder to one a day (see
/// [`mamori_core::notice::daily_key`]): a second notice with the same person and key is not
/// written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub person: PersonId,
    pub kind: NoticeKind,
    /// What it is about, as its page titles it.
    pub title: String,
    /// The path of its page (`/incidents/7`).
    pub link: String,
    pub once: Option<String>,
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: NoticeId,
    pub person: PersonId,
    pub kind: NoticeKind,
    pub title: String,
    pub link: String,
    pub created_at: i64,
    pub state: NoticeState,
}

/// Who a pending notice is for, as the mailer needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub person: PersonId,
    pub name: String,
    pub email: Option<String>,
    /// The language of their account (Japanese when they have none).
    pub lang: Lang,
    pub digest_opt_out: bool,
}

/// A mail as composed: its bytes are built when it is sent, from these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub person: PersonId,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// A mail of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: MailId,
    pub person: PersonId,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: String,
    pub sent_at: Option<i64>,
    /// Refused for good by the relay (a 5xx): kept, shown to administrators, not retried.
    pub failed_at: Option<i64>,
}

/// The outbox in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub queued: i64,
    /// Queued mails that have failed at least once.
    pub retrying: i64,
    pub failed: i64,
    pub sent: i64,
}

/// Notices, the outbox and each person's choice about the digest.
#[async_trait::async_trait]
pub trait NoticeStore: Send + Sync {
    /// The people of an audience, each once.
    async fn audience(&self, audience: &Audience) -> Result<Vec<PersonId>>;
    /// Writes notices (a reminder already written with the same key is skipped); how many were new.
    async fn add_notices(&self, notices: &[NewNotice]) -> Result<usize>;
    /// A person's notices, newest first.
    async fn notices_of(&self, person: PersonId, limit: i64) -> Result<Vec<Notice>>;
    /// Pending notices with their addressee, oldest first.
    async fn pending_notices(&self) -> Result<Vec<(Notice, Addressee)>>;
    /// Puts a mail in the outbox and settles the notices it carries, in one transaction.
    async fn queue_mail(&self, mail: NewMail, notices: &[NoticeId]) -> Result<MailId>;
    /// Settles notices that get no mail (no address, or left out of the digest).
    async fn settle_notices(&self, notices: &[NoticeId], state: NoticeState) -> Result<()>;
    /// Mails due for an attempt at `now`, oldest first.
    async fn due_mails(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>>;
    async fn mail_sent(&self, id: MailId, at: i64) -> Result<()>;
    /// A temporary failure: tried again at `next_attempt_at`.
    async fn mail_deferred(&self, id: MailId, error: &str, next_attempt_at: i64) -> Result<()>;
    /// Refused for good.
    async fn mail_failed(&self, id: MailId, error: &str, at: i64) -> Result<()>;
    /// The outbox, newest first (the administrators' page).
    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxMail>>;
    async fn outbox_counts(&self) -> Result<OutboxCounts>;
    /// Claims the digest of a day (`YYYY-MM-DD`): true for the first caller only, so a restart or
    /// a second instance does not send the digest twice.
    async fn claim_digest(&self, day: &str, at: i64) -> Result<bool>;
    /// Whether the account left the daily digest.
    async fn digest_opt_out(&self, user: UserId) -> Result<bool>;
    /// Turns the digest off or on for the account itself (audited).
    async fn set_digest_opt_out(
        &self,
        grant: &Granted<OwnNotices>,
        opt_out: bool,
        origin: &Origin,
    ) -> Result<()>;
}
