//! ソーシャルメディアアカウント as pages: the register with its flags and the form to register an
//! account, and an account with its reviews, the review form and the edit form.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::authz::{ManageSocialAccounts, ViewDirectory, authorize};
use mamori_core::social::{AccountDraft, DEFAULT_REVIEW_MONTHS};
use mamori_core::time::format_jst;
use mamori_store::{PeopleFilter, SocialAccount};
use serde::Deserialize;

use super::ops::{self, Flagged, SocialDraft};
use crate::http::{AppError, AppState, Form, Frame, PathParams, User, parse_opt_id, render};

/// A row of the register.
pub struct Row {
    pub id: i64,
    pub platform: String,
    pub account_name: String,
    pub owner: String,
    pub unit: String,
    pub two_factor: bool,
    pub last_review: String,
    pub due: String,
    /// Message keys and codes of its flags.
    pub flags: Vec<(&'static str, &'static str)>,
}

fn row(f: &Flagged) -> Row {
    let a = &f.account;
    Row {
        id: a.id.0,
        platform: a.platform.clone(),
        account_name: a.account_name.clone(),
        owner: a.owner_name.clone().unwrap_or_default(),
        unit: a.unit_name.clone().unwrap_or_default(),
        two_factor: a.two_factor,
        last_review: a
            .last_reviewed_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        due: f.due.to_string(),
        flags: f.flags.iter().map(|f| (f.key(), f.as_str())).collect(),
    }
}

/// The people to choose a responsible person from (the administrators who edit see the
/// directory).
async fn people(state: &AppState, user: &User) -> Result<Vec<(i64, String)>, AppError> {
    let Ok(grant) = authorize::<ViewDirectory>(&user.actor, &()) else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .list_people(
            &grant,
            &PeopleFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await?
        .0
        .into_iter()
        .map(|p| (p.id.0, p.name))
        .collect())
}

#[derive(Template)]
#[template(path = "social_accounts.html")]
struct ListPage {
    frame: Frame,
    rows: Vec<Row>,
    can_manage: bool,
    people: Vec<(i64, String)>,
    default_months: u32,
}

pub async fn list(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let rows = ops::list(&state, &user).await?.iter().map(row).collect();
    let can_manage = authorize::<ManageSocialAccounts>(&user.actor, &()).is_ok();
    let people = if can_manage {
        people(&state, &user).await?
    } else {
        Vec::new()
    };
    Ok(Html(render(&ListPage {
        frame: Frame::new(&user, "social.title"),
        rows,
        can_manage,
        people,
        default_months: DEFAULT_REVIEW_MONTHS,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    platform: String,
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    two_factor: String,
    #[serde(default)]
    review_months: String,
    #[serde(default)]
    last_reviewed_on: String,
}

impl AccountForm {
    fn draft(self) -> Result<SocialDraft, AppError> {
        let review_months = match self.review_months.trim() {
            "" => None,
            raw => Some(raw.parse::<i64>().map_err(|_| {
                AppError::invalid(mamori_core::FieldError::new(
                    "review_months",
                    mamori_core::FieldErrorKind::InvalidFormat,
                ))
            })?),
        };
        Ok(SocialDraft {
            owner: parse_opt_id("owner", &self.owner)?,
            account: AccountDraft {
                platform: self.platform,
                account_name: self.account_name,
                url: self.url,
                rules: self.rules,
                two_factor: !self.two_factor.is_empty(),
                review_months,
                last_reviewed_on: self.last_reviewed_on,
            },
        })
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    let made = ops::create(&state, &user, form.draft()?).await?;
    Ok(Redirect::to(&format!("/social-media-accounts/{}", made.account.id.0)).into_response())
}

#[derive(Template)]
#[template(path = "social_account.html")]
struct AccountPage {
    frame: Frame,
    row: Row,
    account: SocialAccount,
    reviews: Vec<(String, String, String, String)>,
    can_review: bool,
    can_manage: bool,
    people: Vec<(i64, String)>,
    today: String,
}

pub async fn account(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
) -> Result<Response, AppError> {
    let flagged = ops::account(&state, &user, id).await?;
    let can_review = ops::may_review(&user, &flagged.account);
    let can_manage = authorize::<ManageSocialAccounts>(&user.actor, &()).is_ok();
    let mut people = if can_manage {
        people(&state, &user).await?
    } else {
        Vec::new()
    };
    if let (Some(owner), Some(name)) = (flagged.account.owner, &flagged.account.owner_name)
        && can_manage
        && !people.iter().any(|(id, _)| *id == owner.0)
    {
        people.push((owner.0, name.clone()));
    }
    let reviews = flagged
        .account
        .reviews
        .iter()
        .map(|r| {
            (
                r.reviewed_on.to_string(),
                r.by_name.clone().unwrap_or_default(),
                r.note.clone(),
                format_jst(r.at_ms),
            )
        })
        .collect();
    Ok(Html(render(&AccountPage {
        frame: Frame::new(&user, "social.one"),
        row: row(&flagged),
        reviews,
        can_review,
        can_manage,
        people,
        today: state.today().to_string(),
        account: flagged.account,
    }))
    .into_response())
}

pub async fn update(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    ops::update(&state, &user, id, form.draft()?).await?;
    Ok(Redirect::to(&format!("/social-media-accounts/{id}")).into_response())
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    reviewed_on: String,
    #[serde(default)]
    note: String,
}

pub async fn review(
    State(state): State<AppState>,
    user: User,
    PathParams(id): PathParams<i64>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, AppError> {
    ops::review(&state, &user, id, &form.reviewed_on, &form.note).await?;
    Ok(Redirect::to(&format!("/social-media-accounts/{id}")).into_response())
}
