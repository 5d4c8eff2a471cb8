//! What every feature uses, and nothing that belongs to one feature: the request context and
//! its layer, the extractors, errors, the page frame, the API's shared parts, `/healthz`,
//! `/metrics` and the static files.
//!
//! Architecture invariant: this module imports no feature module.

pub mod agreements;
pub mod api;
pub mod context;
pub mod error;
pub mod extract;
pub mod findings;
pub mod frame;
pub mod health;
pub mod metrics;
pub mod render;
pub mod state;
pub mod static_files;
pub mod throttle;

pub use context::Ctx;
pub use error::AppError;
pub use extract::{ApiJson, ApiQuery, Form, Id, PathParams, Upload, UploadForm, User, YamlBody};
pub use frame::{Check, Frame, parse_date, parse_opt_id};
pub use render::render;
pub use state::{AppState, MetricsSource, WebConfig};
