//! 不正通信の監視 (seed §6(3), §6(7)): reads the logs a site's sensors already write (Suricata,
//! Zeek, netfilter, FortiGate, Palo Alto, Squid) against its segments, assets and crossing
//! matrix, and raises alerts: flows the matrix forbids, unregistered addresses, IDS detections
//! in the Internet-connected segment, cleartext protocols to the Internet, scans, and DNS to
//! resolvers other than the sanctioned ones.
//!
//! The core is pure: [`Monitor::feed`] one line at a time, [`Monitor::take`] what was found.
//! [`scan_paths`] and [`run`] are the IO around it (files, gzip, stdin, followed files, syslog).
//! No SQL and no HTTP here: the binary reads the site from the store and writes the alerts back.

mod bounded;
pub mod config;
pub mod event;
pub mod input;
mod monitor;
pub mod place;
pub mod read;
pub mod syslog;

pub use config::{ConfigError, RunConfig};
pub use input::{Batch, run, run_with_sites, scan_paths, scan_paths_with};
pub use monitor::{Counters, EVIDENCE_CHARS, Limits, Monitor, Summary, alert_record};
pub use read::Format;
