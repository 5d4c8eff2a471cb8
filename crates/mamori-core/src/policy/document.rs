//! ポリシー文書 (policy documents): the three tiers of the policy, and the versions each one goes
//! through as it is amended.
//!
//! A version moves `draft` → `in_review` → `approved` → `effective` → `superseded`; a reviewer
//! may send a version in review back to `draft`. A version is edited only as a draft, and the
//! account that last edited it never approves it ([`crate::authz::ApprovePolicy`], checked again
//! by the store). An approved version becomes effective on its 施行日, and the version that was
//! effective until then is superseded on the same day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::org::{OrgId, PersonId, UserId};
use crate::role::Role;

/// Id of a policy document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyId(pub i64);

impl std::fmt::Display for PolicyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The tier of a document in the policy (seed §1, §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 情報セキュリティ基本方針: published.
    Basic,
    /// 情報セキュリティ対策基準: 非公表.
    Standard,
    /// 情報セキュリティ実施手順: 非公表.
    Procedure,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Basic, Tier::Standard, Tier::Procedure];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Basic => "basic",
            Tier::Standard => "standard",
            Tier::Procedure => "procedure",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Tier::ALL.into_iter().find(|t| t.as_str() == raw.trim())
    }

    /// Only the basic policy is published; the others are never shown without login (seed §12).
    pub fn is_public(self) -> bool {
        self == Tier::Basic
    }
}

/// The state of one version of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    Draft,
    InReview,
    /// Approved, waiting for its 施行日.
    Approved,
    Effective,
    Superseded,
}

impl VersionState {
    pub const ALL: [VersionState; 5] = [
        VersionState::Draft,
        VersionState::InReview,
        VersionState::Approved,
        VersionState::Effective,
        VersionState::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::InReview => "in_review",
            VersionState::Approved => "approved",
            VersionState::Effective => "effective",
            VersionState::Superseded => "superseded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        VersionState::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Approved once: its text is the organisation's rule (now, later or before).
    pub fn is_adopted(self) -> bool {
        matches!(
            self,
            VersionState::Approved | VersionState::Effective | VersionState::Superseded
        )
    }

    /// Whether `step` may be taken from this state.
    pub fn allows(self, step: Step) -> bool {
        matches!(
            (self, step),
            (VersionState::Draft, Step::Edit | Step::Submit)
                | (VersionState::InReview, Step::Return | Step::Approve)
        )
    }
}

/// What someone does to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Edit,
    Submit,
    /// Back from review to draft.
    Return,
    Approve,
}

impl Step {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "submit" => Some(Step::Submit),
            "return" => Some(Step::Return),
            "approve" => Some(Step::Approve),
            _ => None,
        }
    }
}

/// The state an approval on `today` leaves a version in, effective from `from`.
pub fn approved_state(from: NaiveDate, today: NaiveDate) -> VersionState {
    if from <= today {
        VersionState::Effective
    } else {
        VersionState::Approved
    }
}

/// The roles a document may name as its approver. The CISO approves unless the document names
/// another.
pub const APPROVER_ROLES: [Role; 3] = [Role::Ciso, Role::SecurityDirector, Role::SecurityOfficer];

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: PolicyId,
    pub org_id: OrgId,
    pub org_name: String,
    pub tier: Tier,
    pub title: String,
    /// Who approves its versions: one of [`APPROVER_ROLES`].
    pub approver_role: Role,
    pub created_at: i64,
    /// The number of its effective version.
    pub effective: Option<i64>,
    /// The number of its newest version.
    pub latest: i64,
}

/// One version of a document, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub policy_id: PolicyId,
    pub number: i64,
    pub state: VersionState,
    /// 施行日, set when approved.
    pub effective_from: Option<NaiveDate>,
    /// The account that last changed its text (none for an import at the command line).
    pub editor: Option<UserId>,
    pub editor_person: Option<PersonId>,
    pub editor_name: Option<String>,
    pub approver_name: Option<String>,
    pub approved_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Sections and clauses in its text.
    pub sections: i64,
    pub clauses: i64,
}

/// What [`crate::authz::ApprovePolicy`] and [`crate::authz::ManagePolicies`] decide on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyPlace {
    /// The document; none for one not yet stored.
    pub policy: Option<PolicyId>,
    pub org: OrgId,
    pub tier: Tier,
    pub approver_role: Role,
    pub state: VersionState,
    pub editor: Option<UserId>,
    pub editor_person: Option<PersonId>,
}

impl Policy {
    /// The place of one of its versions, for authorisation.
    pub fn place(&self, version: Option<&VersionInfo>) -> PolicyPlace {
        PolicyPlace {
            policy: Some(self.id),
            org: self.org_id,
            tier: self.tier,
            approver_role: self.approver_role,
            state: version.map_or(VersionState::Effective, |v| v.state),
            editor: version.and_then(|v| v.editor),
            editor_person: version.and_then(|v| v.editor_person),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_drafts_are_edited_and_only_reviews_decided() {
        for state in VersionState::ALL {
            assert_eq!(state.allows(Step::Edit), state == VersionState::Draft);
            assert_eq!(state.allows(Step::Submit), state == VersionState::Draft);
            assert_eq!(state.allows(Step::Approve), state == VersionState::InReview);
            assert_eq!(state.allows(Step::Return), state == VersionState::InReview);
            assert_eq!(VersionState::parse(state.as_str()), Some(state));
        }
        for tier in Tier::ALL {
            assert_eq!(Tier::parse(tier.as_str()), Some(tier));
        }
        assert_eq!(Tier::parse("secret"), None);
    }

    #[test]
    fn an_approval_takes_effect_on_its_day() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        assert_eq!(approved_state(day(1), day(1)), VersionState::Effective);
        assert_eq!(approved_state(day(1), day(2)), VersionState::Effective);
        assert_eq!(approved_state(day(2), day(1)), VersionState::Approved);
    }
}
