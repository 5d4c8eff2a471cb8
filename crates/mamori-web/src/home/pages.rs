//! The home page.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use mamori_core::authz::{ViewDirectory, authorize};
use mamori_core::org::Organisation;
use mamori_store::PeopleFilter;

use super::ops::{self, Waiting};
use crate::http::{AppError, AppState, Frame, User, render};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    organisations: Vec<Organisation>,
    people_total: i64,
    waiting: Waiting,
}

pub async fn home(State(state): State<AppState>, user: User) -> Result<Response, AppError> {
    let (organisations, people_total) = match authorize::<ViewDirectory>(&user.actor, &()) {
        Ok(grant) => {
            let orgs = state.store.list_organisations(&grant).await?;
            let (_, total) = state
                .store
                .list_people(
                    &grant,
                    &PeopleFilter {
                        limit: 1,
                        ..Default::default()
                    },
                )
                .await?;
            (orgs, total)
        }
        Err(_) => (Vec::new(), 0),
    };
    let waiting = ops::waiting(&state, &user).await?;
    Ok(Html(render(&HomePage {
        frame: Frame::new(&user, "home.title"),
        organisations,
        people_total,
        waiting,
    }))
    .into_response())
}
