//! End-to-end tests of the `mamori` binary.

mod sanitize_cli;

// The command line and the web UI in a real browser, sharing the process guards in `support`.
mod architecture;
mod asset_register;
mod browser;
mod cli;
mod contracts_walk;
mod gateway_crash;
mod incident_candidate_walk;
mod incident_walk;
mod inspection_walk;
mod monitor_walk;
mod notices;
mod policy_walk;
mod quarantine_cli;
mod registers_walk;
mod release_cli;
mod serve_gateway;
mod support;
mod training_walk;
