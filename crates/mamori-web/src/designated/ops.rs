//! The operations on 指定管理 agreements: the shared agreement operations (`http::agreements`)
//! of the kind `designated`.

use mamori_core::third_party::AgreementKind;

use crate::http::agreements::{self, AgreementDraft, Flagged, VerificationDraft};
use crate::http::{AppError, AppState, User};

pub const KIND: AgreementKind = AgreementKind::Designated;

/// The agreements the viewer may see, ending soonest first.
pub async fn list(state: &AppState, user: &User) -> Result<Vec<Flagged>, AppError> {
    agreements::list(state, user, KIND).await
}

pub async fn agreement(state: &AppState, user: &User, id: i64) -> Result<Flagged, AppError> {
    agreements::one(state, user, KIND, id).await
}

pub async fn save(
    state: &AppState,
    user: &User,
    id: Option<i64>,
    draft: AgreementDraft,
) -> Result<Flagged, AppError> {
    agreements::save(state, user, KIND, id, draft).await
}

pub async fn verify(
    state: &AppState,
    user: &User,
    id: i64,
    draft: VerificationDraft,
) -> Result<Flagged, AppError> {
    agreements::verify(state, user, KIND, id, draft).await
}
