//! お知らせ's operations: one's own notices and digest choice, and the outbox for administrators.
//! Each one authorises and reads or stores here and nowhere else.

use mamori_core::authz::{OwnNotices, ViewOutbox, authorize};
use mamori_store::{Notice, OutboxCounts, OutboxMail};

use crate::http::{AppError, AppState, User};

/// How many notices and mails a page shows.
const SHOWN: i64 = 100;

/// One's notices, newest first, and whether one left the daily digest.
pub struct Mine {
    pub notices: Vec<Notice>,
    pub digest_opt_out: bool,
}

pub async fn mine(state: &AppState, user: &User) -> Result<Mine, AppError> {
    authorize::<OwnNotices>(&user.actor, &())?;
    Ok(Mine {
        notices: state.store.notices_of(user.actor.person_id, SHOWN).await?,
        digest_opt_out: state.store.digest_opt_out(user.actor.user_id).await?,
    })
}

/// Leaves the daily digest, or takes it again. Incident mail comes either way.
pub async fn set_digest(state: &AppState, user: &User, opt_out: bool) -> Result<(), AppError> {
    let grant = authorize::<OwnNotices>(&user.actor, &())?;
    state
        .store
        .set_digest_opt_out(&grant, opt_out, &user.ctx.origin())
        .await?;
    Ok(())
}

/// The outbox: its counts and its newest mails.
pub struct Outbox {
    pub counts: OutboxCounts,
    pub mails: Vec<OutboxMail>,
}

/// The outbox, for administrators; `None` for everyone else (the page leaves it out).
pub async fn outbox(state: &AppState, user: &User) -> Result<Option<Outbox>, AppError> {
    if authorize::<ViewOutbox>(&user.actor, &()).is_err() {
        return Ok(None);
    }
    Ok(Some(Outbox {
        counts: state.store.outbox_counts().await?,
        mails: state.store.outbox(SHOWN).await?,
    }))
}
