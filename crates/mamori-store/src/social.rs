//! ソーシャルメディアアカウント: the organisation's accounts, their responsible people and reviews.

use chrono::NaiveDate;
use mamori_core::authz::{Granted, ManageSocialAccounts, ReviewSocialAccount, SocialPlace};
use mamori_core::social::SocialFacts;
use mamori_core::{OrgId, PersonId, UnitId};

use crate::{Origin, Result};

/// Id of a stored social-media account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocialAccountId(pub i64);

impl std::fmt::Display for SocialAccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// An account as written: its text checked by core (`parse_account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialAccountInput {
    pub platform: String,
    pub account_name: String,
    pub url: String,
    /// 責任者: required.
    pub owner: PersonId,
    pub rules: String,
    pub two_factor: bool,
    pub review_months: u32,
    pub last_reviewed_on: Option<NaiveDate>,
}

/// One review (点検) of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialReview {
    pub id: i64,
    pub reviewed_on: NaiveDate,
    pub note: String,
    /// The account that recorded it.
    pub by_name: Option<String>,
    pub at_ms: i64,
}

/// An account as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialAccount {
    pub id: SocialAccountId,
    pub platform: String,
    pub account_name: String,
    pub url: String,
    pub owner: Option<PersonId>,
    pub owner_name: Option<String>,
    /// The responsible person has an account and it is disabled (they have left).
    pub owner_disabled: bool,
    /// The responsible person's unit and its organisation: the account's place.
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub org: Option<OrgId>,
    pub rules: String,
    pub two_factor: bool,
    pub review_months: u32,
    pub last_reviewed_on: Option<NaiveDate>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Newest first.
    pub reviews: Vec<SocialReview>,
}

impl SocialAccount {
    pub fn place(&self) -> SocialPlace {
        SocialPlace {
            org: self.org,
            unit: self.unit,
        }
    }

    /// The facts core's flags read; an account never reviewed counts from the day it was
    /// registered.
    pub fn facts(&self) -> SocialFacts {
        let registered = mamori_core::time::jst_date(self.created_at).unwrap_or(NaiveDate::MIN);
        SocialFacts {
            owner_in_post: self.owner.is_some() && !self.owner_disabled,
            two_factor: self.two_factor,
            reviewed_on: self.last_reviewed_on.unwrap_or(registered),
            review_months: self.review_months,
        }
    }
}

/// ソーシャルメディアアカウント. Every change is one audit record (`social.*`) in the same
/// transaction.
#[async_trait::async_trait]
pub trait SocialStore: Send + Sync {
    /// Every account, by platform and name, with its reviews.
    async fn social_accounts(&self) -> Result<Vec<SocialAccount>>;
    async fn social_account(&self, id: SocialAccountId) -> Result<Option<SocialAccount>>;
    /// A responsible person who is not in the directory, or a platform's name taken, is a
    /// conflict.
    async fn create_social_account(
        &self,
        grant: &Granted<ManageSocialAccounts>,
        input: SocialAccountInput,
        origin: &Origin,
    ) -> Result<SocialAccount>;
    /// Replaces the account's facts; its reviews stay, and its last review never moves back
    /// (the later of the one given and the one kept).
    async fn update_social_account(
        &self,
        grant: &Granted<ManageSocialAccounts>,
        id: SocialAccountId,
        input: SocialAccountInput,
        origin: &Origin,
    ) -> Result<SocialAccount>;
    /// Records a review by the grant's account on `reviewed_on`; the account's last review
    /// moves to it unless a later one is recorded.
    async fn record_social_review(
        &self,
        grant: &Granted<ReviewSocialAccount>,
        id: SocialAccountId,
        reviewed_on: NaiveDate,
        note: &str,
        origin: &Origin,
    ) -> Result<SocialAccount>;
}
