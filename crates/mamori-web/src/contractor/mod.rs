//! 委託事業者 and their contracts (seed §6(8)): the register of contractors (company, address,
//! contact), and each contract with its period, work, responsible unit, the systems and classes
//! of information it covers, the security requirements it carries (core's checklist) and their
//! verifications; contracts ending soon, unverified too long or lacking a mandatory requirement
//! are flagged. A contract lists the contractor's people, who read the assets and the 対策基準 /
//! 実施手順 it names while it is in force (core's `ContractGrants`) and nothing else.

mod api;
mod ops;
mod pages;

use axum::Router;
use axum::routing::{get, post};

use crate::http::AppState;

pub use api::router as api;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route(
            "/contractors",
            get(pages::contractors).post(pages::create_contractor),
        )
        .route(
            "/contractors/{id}",
            get(pages::contractor).post(pages::update_contractor),
        )
        .route(
            "/contracts",
            get(pages::contracts).post(pages::create_contract),
        )
        .route(
            "/contracts/{id}",
            get(pages::contract).post(pages::update_contract),
        )
        .route("/contracts/{id}/verifications", post(pages::verify))
}
