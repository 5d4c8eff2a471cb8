//! お知らせ as a page: one's notices with their links, the digest switch, and for administrators
//! the outbox.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use mamori_core::notice::NoticeState;
use mamori_core::time::format_jst;
use serde::Deserialize;

use super::ops;
use crate::http::{AppError, AppState, Form, Frame, User, render};

pub struct Row {
    pub text: String,
    pub link: String,
    pub at: String,
    pub state: &'static str,
    pub state_key: &'static str,
}

pub struct MailRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub created: String,
    /// `sent`, `failed` or `queued`.
    pub state: &'static str,
    pub state_key: &'static str,
    pub attempts: u32,
    pub last_error: String,
    pub next_attempt: String,
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    frame: Frame,
    rows: Vec<Row>,
    digest_opt_out: bool,
    outbox: Option<(mamori_store::OutboxCounts, Vec<MailRow>)>,
}

pub async fn notices(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let mine = ops::mine(&state, &user).await?;
    let lang = user.ctx.lang;
    let rows = mine
        .notices
        .iter()
        .map(|n| Row {
            text: n.kind.line(lang, &n.title),
            link: n.link.clone(),
            at: format_jst(n.created_at),
            state: n.state.as_str(),
            state_key: match n.state {
                NoticeState::Pending => "notice.state.pending",
                NoticeState::Mailed => "notice.state.mailed",
                NoticeState::OptedOut => "notice.state.opted_out",
                NoticeState::NoAddress => "notice.state.no_address",
            },
        })
        .collect();
    let outbox = ops::outbox(&state, &user).await?.map(|o| {
        let mails = o
            .mails
            .iter()
            .map(|m| {
                let (state, state_key) = if m.sent_at.is_some() {
                    ("sent", "notice.mail.sent")
                } else if m.failed_at.is_some() {
                    ("failed", "notice.mail.failed")
                } else {
                    ("queued", "notice.mail.queued")
                };
                MailRow {
                    id: m.id.0,
                    recipient: m.recipient.clone(),
                    subject: m.subject.clone(),
                    created: format_jst(m.created_at),
                    state,
                    state_key,
                    attempts: m.attempts,
                    last_error: m.last_error.clone(),
                    next_attempt: if m.sent_at.is_none() && m.failed_at.is_none() {
                        format_jst(m.next_attempt_at)
                    } else {
                        String::new()
                    },
                }
            })
            .collect();
        (o.counts, mails)
    });
    Ok(Html(render(&NoticesPage {
        frame: Frame::new(&user, "notice.title"),
        rows,
        digest_opt_out: mine.digest_opt_out,
        outbox,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    digest: String,
}

pub async fn digest(
    State(state): State<AppState>,
    user: User,
    Form(form): Form<DigestForm>,
) -> Result<Response, AppError> {
    ops::set_digest(&state, &user, form.digest != "on").await?;
    Ok(Redirect::to("/notices").into_response())
}
