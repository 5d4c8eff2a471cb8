//! ソーシャルメディアアカウント's operations: the register with its flags, an account registered
//! and edited by the administrators, and a review recorded by the unit that owns it. Each one
//! authorises, validates and stores here and nowhere else.

use chrono::NaiveDate;
use mamori_core::authz::{
    ManageSocialAccounts, ReviewSocialAccount, ViewThirdPartyRegisters, authorize,
};
use mamori_core::social::{
    AccountDraft, AccountText, SocialFlag, flags, parse_account, parse_review, review_due,
};
use mamori_core::{FieldError, FieldErrorKind, PersonId};
use mamori_store::{SocialAccount, SocialAccountId, SocialAccountInput};

use crate::http::{AppError, AppState, User};

/// An account with what the register flags about it.
pub struct Flagged {
    pub account: SocialAccount,
    pub flags: Vec<SocialFlag>,
    /// The day its next review falls due.
    pub due: NaiveDate,
}

fn flagged(state: &AppState, account: SocialAccount) -> Flagged {
    let facts = account.facts();
    Flagged {
        flags: flags(&facts, state.today()),
        due: review_due(facts.reviewed_on, facts.review_months),
        account,
    }
}

/// The register: every member of staff reads it.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Flagged>, AppError> {
    authorize::<ViewThirdPartyRegisters>(&user.actor, &())?;
    Ok(state
        .store
        .social_accounts()
        .await?
        .into_iter()
        .map(|a| flagged(state, a))
        .collect())
}

/// One account; 404 for one that does not exist.
pub async fn account(state: &AppState, user: &User, id: i64) -> Result<Flagged, AppError> {
    authorize::<ViewThirdPartyRegisters>(&user.actor, &())?;
    let account = state
        .store
        .social_account(SocialAccountId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(flagged(state, account))
}

/// May the viewer record a review of the account.
pub fn may_review(user: &User, account: &SocialAccount) -> bool {
    authorize::<ReviewSocialAccount>(&user.actor, &account.place()).is_ok()
}

/// An account as typed or sent: its facts and the responsible person.
#[derive(Default)]
pub struct SocialDraft {
    pub account: AccountDraft,
    pub owner: Option<i64>,
}

/// Checks a draft: the account's facts, and a responsible person in the directory; every
/// refusal at once.
async fn check(state: &AppState, draft: &SocialDraft) -> Result<(AccountText, PersonId), AppError> {
    let mut errors = Vec::new();
    let text = parse_account(&draft.account, state.today())
        .map_err(|e| errors.extend(e))
        .ok();
    let owner = match draft.owner {
        None => {
            errors.push(FieldError::new("owner", FieldErrorKind::Required));
            None
        }
        Some(owner) if owner <= 0 => {
            errors.push(FieldError::new("owner", FieldErrorKind::InvalidFormat));
            None
        }
        Some(owner) => match state.store.person_place(PersonId(owner)).await? {
            Some(_) => Some(PersonId(owner)),
            None => {
                errors.push(FieldError::new("owner", FieldErrorKind::UnknownValue));
                None
            }
        },
    };
    match (text, owner) {
        (Some(text), Some(owner)) if errors.is_empty() => Ok((text, owner)),
        _ => Err(AppError::Invalid(errors)),
    }
}

fn input(text: AccountText, owner: PersonId) -> SocialAccountInput {
    SocialAccountInput {
        platform: text.platform.as_str().to_owned(),
        account_name: text.account_name.as_str().to_owned(),
        url: text.url,
        owner,
        rules: text.rules,
        two_factor: text.two_factor,
        review_months: text.review_months,
        last_reviewed_on: text.last_reviewed_on,
    }
}

/// Registers an account (the administrators).
pub async fn create(
    state: &AppState,
    user: &User,
    draft: SocialDraft,
) -> Result<Flagged, AppError> {
    let grant = authorize::<ManageSocialAccounts>(&user.actor, &())?;
    let (text, owner) = check(state, &draft).await?;
    let stored = state
        .store
        .create_social_account(&grant, input(text, owner), &user.ctx.origin())
        .await?;
    Ok(flagged(state, stored))
}

/// Edits an account (the administrators).
pub async fn update(
    state: &AppState,
    user: &User,
    id: i64,
    draft: SocialDraft,
) -> Result<Flagged, AppError> {
    let current = account(state, user, id).await?;
    let grant = authorize::<ManageSocialAccounts>(&user.actor, &())?;
    let (text, owner) = check(state, &draft).await?;
    let stored = state
        .store
        .update_social_account(
            &grant,
            current.account.id,
            input(text, owner),
            &user.ctx.origin(),
        )
        .await?;
    Ok(flagged(state, stored))
}

/// Records a review (the administrators, and the owning unit's 管理者 and 責任者): today or
/// the day given, never a future one, with a note.
pub async fn review(
    state: &AppState,
    user: &User,
    id: i64,
    reviewed_on: &str,
    note: &str,
) -> Result<Flagged, AppError> {
    let current = account(state, user, id).await?;
    let grant = authorize::<ReviewSocialAccount>(&user.actor, &current.account.place())?;
    let (day, note) = parse_review(reviewed_on, note, state.today()).map_err(AppError::Invalid)?;
    let stored = state
        .store
        .record_social_review(&grant, current.account.id, day, &note, &user.ctx.origin())
        .await?;
    Ok(flagged(state, stored))
}
