//! 原本の提供 (release of a quarantined original): someone the message was addressed to asks for
//! the original, a security role over them approves, and the gateway delivers it without
//! sanitizing it again.
//!
//! The workflow is the same for both directions of the gateway:
//! - inbound mail (Internet → LGWAN) whose original the 無害化 engine kept: a recipient asks, and
//!   the original goes to that recipient only;
//! - outbound mail (LGWAN → Internet) held by the outbound check (個人番号, 機密性3 marking): its
//!   sender asks, and the held message goes on to its recipients.
//!
//! States: `requested` → `approved` | `rejected`; `approved` → `delivered` | `failed`. Who may
//! ask and who may decide is in [`crate::authz`] ([`crate::authz::RequestRelease`],
//! [`crate::authz::ApproveRelease`]); segregation of duties (the approver is never the
//! requester) is part of that rule.

use serde::{Deserialize, Serialize};

use crate::org::{OrgId, PersonId, UnitId, UserId};
use crate::text::{FieldError, FieldErrorKind, is_forbidden_char};

/// Id of a release request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReleaseId(pub i64);

impl std::fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which way the quarantined message was travelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Internet → LGWAN: the original was kept by the 無害化 engine.
    #[default]
    Inbound,
    /// LGWAN → Internet: the message was held by the outbound check.
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

/// 申請の状態 (state of a release request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// 申請中: waiting for a decision.
    Requested,
    /// 承認済み: waiting for (or retrying) delivery.
    Approved,
    /// 却下.
    Rejected,
    /// 配送済み: the next hop accepted the original.
    Delivered,
    /// 配送失敗: the next hop refused it, or retries ran out.
    Failed,
}

impl ReleaseState {
    pub const ALL: [ReleaseState; 5] = [
        ReleaseState::Requested,
        ReleaseState::Approved,
        ReleaseState::Rejected,
        ReleaseState::Delivered,
        ReleaseState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Requested => "requested",
            ReleaseState::Approved => "approved",
            ReleaseState::Rejected => "rejected",
            ReleaseState::Delivered => "delivered",
            ReleaseState::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Still open: another request for the same message and address would be a duplicate.
    pub fn is_open(self) -> bool {
        matches!(self, ReleaseState::Requested | ReleaseState::Approved)
    }

    /// Whether a request may move from this state to `next`.
    pub fn can_become(self, next: ReleaseState) -> bool {
        matches!(
            (self, next),
            (
                ReleaseState::Requested,
                ReleaseState::Approved | ReleaseState::Rejected
            ) | (
                ReleaseState::Approved,
                ReleaseState::Delivered | ReleaseState::Failed
            )
        )
    }
}

/// A release request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseRequest {
    pub id: ReleaseId,
    /// 隔離ID of the whole message.
    pub quarantine_id: String,
    pub direction: Direction,
    /// The requester's address on the message: the recipient the original goes to (inbound), or
    /// the sender of the held message (outbound).
    pub address: String,
    pub requester: UserId,
    pub requester_name: String,
    pub requester_person: PersonId,
    pub requester_unit: Option<UnitId>,
    pub requester_org: Option<OrgId>,
    /// 申請理由.
    pub reason: String,
    pub state: ReleaseState,
    pub approver: Option<UserId>,
    pub approver_name: Option<String>,
    /// The approver's note (why approved or rejected).
    pub decision_note: String,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
    /// When the delivery was accepted by the next hop, or finally failed.
    pub finished_at: Option<i64>,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    /// The next hop's last reply or the last error.
    pub last_result: String,
}

impl ReleaseRequest {
    /// Who decides this request, for [`crate::authz::ApproveRelease`].
    pub fn decision(&self) -> ReleaseDecision {
        ReleaseDecision {
            requester: self.requester,
            requester_person: self.requester_person,
            requester_unit: self.requester_unit,
            requester_org: self.requester_org,
        }
    }
}

/// What [`crate::authz::ApproveRelease`] decides on: whose request it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseDecision {
    pub requester: UserId,
    pub requester_person: PersonId,
    pub requester_unit: Option<UnitId>,
    pub requester_org: Option<OrgId>,
}

/// 隔離メール: one kept original as the workflow sees it, whatever keeps it (the gateway's
/// quarantine folder today). Every delivery of one original is folded into one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedMail {
    /// 隔離ID of the whole message.
    pub id: String,
    pub received_ms: i64,
    /// Envelope sender.
    pub from: String,
    /// Every envelope recipient of every delivery, in order of first appearance.
    pub recipients: Vec<String>,
    /// `sanitized` (parts removed) or `quarantined` (the whole message held).
    pub verdict: String,
    pub direction: Direction,
    /// Why parts or the message were kept, each once.
    pub reasons: Vec<String>,
    /// The original may be purged after this.
    pub retain_until_ms: i64,
    /// Size of the kept original in bytes; `None` when it is missing.
    pub original_size: Option<u64>,
    /// Why an outbound message was held.
    pub hold_reason: Option<String>,
    /// The 無害化 engine's report (`removed`, `ambiguities`, `actions`, `error`); `Null` in a
    /// list, which is read from the quarantine's index and never from the entries' files.
    pub report: serde_json::Value,
    /// The original's Subject, decoded; empty when it has none.
    pub subject: String,
    /// The latest release request's state as far as the quarantine knows it (`requested`,
    /// `approved`, `delivered`, …); `None` when nobody asked.
    pub release_state: Option<String>,
}

impl QuarantinedMail {
    /// The parties of this message and the actor's own address, for the rules of core.
    pub fn parties(&self, actor_email: Option<String>) -> QuarantineParties {
        QuarantineParties {
            direction: self.direction,
            from: self.from.clone(),
            recipients: self.recipients.clone(),
            actor_email,
            concerned: Vec::new(),
        }
    }
}

/// Most entries one page of the quarantine holds.
pub const MAX_QUARANTINE_PAGE: usize = 200;

/// Which 隔離メール to list, newest first, one page at a time. The quarantine answers it from its
/// index, never by reading every entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarantineFilter {
    /// `sanitized`, `quarantined` or `held`.
    pub verdict: Option<String>,
    /// Received at or after this time (ms since the epoch).
    pub received_from_ms: Option<i64>,
    /// Received before this time.
    pub received_to_ms: Option<i64>,
    /// A part of the envelope sender, ASCII letters in either case.
    pub sender: Option<String>,
    /// A part of any envelope recipient, ASCII letters in either case.
    pub recipient: Option<String>,
    /// One reason code exactly (`executable`, `my-number`, …).
    pub reason: Option<String>,
    /// Only entries one of these addresses may ask for (its recipients inbound, its sender
    /// outbound), compared as [`address_key`]; `None` for every entry.
    pub askers: Option<Vec<String>>,
    /// The page after this one: entries received before this time, or at it with a smaller id.
    pub before: Option<QuarantineCursor>,
    /// At most this many (capped at [`MAX_QUARANTINE_PAGE`]).
    pub limit: usize,
}

/// Where a page of the quarantine ends: the last entry's receipt time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineCursor {
    pub received_ms: i64,
    pub id: String,
}

impl QuarantineCursor {
    /// `RECEIVED_MS.ID`, as pages and the API carry it.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.received_ms, self.id)
    }

    /// The text of [`Self::encode`]; anything else is refused as the field `field`.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, FieldErrorKind::InvalidFormat);
        let (ms, id) = raw.trim().split_once('.').ok_or_else(invalid)?;
        let received_ms: i64 = ms.parse().map_err(|_| invalid())?;
        if id.is_empty()
            || id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        {
            return Err(invalid());
        }
        Ok(Self {
            received_ms,
            id: id.to_owned(),
        })
    }
}

/// One page of the quarantine and where the next begins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuarantinePage {
    pub entries: Vec<QuarantinedMail>,
    /// `None` on the last page.
    pub next: Option<QuarantineCursor>,
}

/// What [`crate::authz::RequestRelease`] and [`crate::authz::ViewQuarantineItem`] decide on:
/// the message's parties and the actor's own address (from their person record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineParties {
    pub direction: Direction,
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub recipients: Vec<String>,
    /// The acting person's e-mail address, if they have one.
    pub actor_email: Option<String>,
    /// The organisation and unit of each person the message concerns (the people with an
    /// asking address), for the roles that see their own units' quarantine; empty when the
    /// caller did not look them up.
    pub concerned: Vec<(Option<OrgId>, Option<UnitId>)>,
}

impl QuarantineParties {
    /// The addresses that may ask for this message: its recipients (inbound) or its sender
    /// (outbound).
    pub fn askers(&self) -> Vec<&str> {
        match self.direction {
            Direction::Inbound => self.recipients.iter().map(String::as_str).collect(),
            Direction::Outbound => vec![self.from.as_str()],
        }
    }

    /// The actor's address when it is one that may ask for this message.
    pub fn actor_asker(&self) -> Option<&str> {
        let own = self.actor_email.as_deref()?;
        self.askers().into_iter().find(|a| same_address(a, own))
    }
}

/// Two mail addresses are the same when their local parts are equal and their domains are equal
/// ignoring case (RFC 5321: the local part may be case-sensitive, the domain is not).
pub fn same_address(a: &str, b: &str) -> bool {
    match (a.trim().rsplit_once('@'), b.trim().rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => {
            !la.is_empty()
                && la == lb
                && da
                    .trim_end_matches('.')
                    .eq_ignore_ascii_case(db.trim_end_matches('.'))
        }
        _ => false,
    }
}

/// The form under which two [`same_address`] addresses are equal: the local part as it is, the
/// domain in lower case without a trailing dot. `None` for text that is not an address.
pub fn address_key(address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    (!local.is_empty() && !domain.is_empty())
        .then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// The longest 申請理由 or decision note, in characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// A request's reason or a decision's note: trimmed, at most [`MAX_REASON_CHARS`], line breaks
/// allowed, no other control or invisible format characters. `required` refuses empty text.
pub fn parse_reason(field: &'static str, raw: &str, required: bool) -> Result<String, FieldError> {
    let value = raw.trim().replace("\r\n", "\n");
    if required && value.is_empty() {
        return Err(FieldError::new(field, FieldErrorKind::Required));
    }
    if value.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::new(
            field,
            FieldErrorKind::TooLong {
                max: MAX_REASON_CHARS,
            },
        ));
    }
    if value
        .chars()
        .any(|c| c != '\n' && c != '\t' && is_forbidden_char(c))
    {
        return Err(FieldError::new(field, FieldErrorKind::ControlCharacter));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn a_cursor_round_trips_and_hostile_ones_are_refused() {
        let cursor = QuarantineCursor {
            received_ms: 1_700_000_000_123,
            id: "q-0123abcd_x".into(),
        };
        assert_eq!(
            QuarantineCursor::parse("before", &cursor.encode()),
            Ok(cursor)
        );
        let long = format!("1.{}", "a".repeat(129));
        for raw in [
            "",
            ".",
            "12",
            "x.q-1",
            "1.",
            "1.q/../x",
            "1.q 1",
            "1.q\0",
            "99999999999999999999.q",
            "1.隔離",
            long.as_str(),
        ] {
            assert_eq!(
                QuarantineCursor::parse("before", raw),
                Err(FieldError::new("before", FieldErrorKind::InvalidFormat)),
                "{raw:?}"
            );
        }
    }

    #[rstest]
    #[case("kacho@city.example.lg.jp", "kacho@CITY.Example.LG.JP", true)]
    #[case("kacho@city.example.lg.jp", "kacho@city.example.lg.jp.", true)]
    #[case("kacho@city.example.lg.jp", "Kacho@city.example.lg.jp", false)]
    #[case("kacho@city.example.lg.jp", "kacho@other.example.lg.jp", false)]
    #[case("kacho@city.example.lg.jp", "kacho", false)]
    #[case("@city.example.lg.jp", "@city.example.lg.jp", false)]
    #[case("a@b@city.example.lg.jp", "a@b@CITY.example.lg.jp", true)]
    fn addresses_compare_domains_without_case(
        #[case] a: &str,
        #[case] b: &str,
        #[case] same: bool,
    ) {
        assert_eq!(same_address(a, b), same);
        assert_eq!(same_address(b, a), same);
        let keys = (address_key(a), address_key(b));
        assert_eq!(keys.0.is_some() && keys.0 == keys.1, same);
    }

    fn parties(direction: Direction, email: Option<&str>) -> QuarantineParties {
        QuarantineParties {
            concerned: Vec::new(),
            direction,
            from: "sender@example.com".into(),
            recipients: vec![
                "kacho@city.example.lg.jp".into(),
                "kakari@city.example.lg.jp".into(),
            ],
            actor_email: email.map(Into::into),
        }
    }

    #[test]
    fn recipients_ask_for_inbound_mail_and_the_sender_for_outbound() {
        let p = parties(Direction::Inbound, Some("kakari@CITY.example.lg.jp"));
        assert_eq!(p.actor_asker(), Some("kakari@city.example.lg.jp"));
        assert_eq!(
            parties(Direction::Inbound, Some("sender@example.com")).actor_asker(),
            None
        );
        assert_eq!(parties(Direction::Inbound, None).actor_asker(), None);
        assert_eq!(
            parties(Direction::Outbound, Some("sender@example.com")).actor_asker(),
            Some("sender@example.com")
        );
        assert_eq!(
            parties(Direction::Outbound, Some("kacho@city.example.lg.jp")).actor_asker(),
            None
        );
    }

    #[test]
    fn states_move_only_forward() {
        use ReleaseState::*;
        for from in ReleaseState::ALL {
            for to in ReleaseState::ALL {
                let allowed = matches!(
                    (from, to),
                    (Requested, Approved)
                        | (Requested, Rejected)
                        | (Approved, Delivered)
                        | (Approved, Failed)
                );
                assert_eq!(from.can_become(to), allowed, "{from:?} -> {to:?}");
            }
            assert_eq!(ReleaseState::parse(from.as_str()), Some(from));
        }
        assert!(Requested.is_open() && Approved.is_open());
        assert!(!Rejected.is_open() && !Delivered.is_open() && !Failed.is_open());
        assert_eq!(ReleaseState::parse("REQUESTED"), None);
    }

    #[rstest]
    #[case("  添付の原本が必要です \r\n 業務で使います ", Ok("添付の原本が必要です \n 業務で使います".to_owned()))]
    #[case("", Err(FieldErrorKind::Required))]
    #[case("   ", Err(FieldErrorKind::Required))]
    #[case("a\u{202E}b", Err(FieldErrorKind::ControlCharacter))]
    #[case("a\u{0}b", Err(FieldErrorKind::ControlCharacter))]
    #[case(&"あ".repeat(MAX_REASON_CHARS + 1), Err(FieldErrorKind::TooLong { max: MAX_REASON_CHARS }))]
    fn reasons_are_validated(#[case] raw: &str, #[case] expected: Result<String, FieldErrorKind>) {
        assert_eq!(
            parse_reason("reason", raw, true).map_err(|e| e.kind),
            expected
        );
    }

    #[test]
    fn a_decision_note_may_be_empty() {
        assert_eq!(parse_reason("note", " ", false).unwrap(), "");
    }
}
