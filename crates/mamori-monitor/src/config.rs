//! The file of `mamori monitor run --config FILE`: which files to follow and in which format,
//! where to listen for syslog, how often to hand alerts over, and the memory caps.
//!
//! ```toml
//! flush_secs = 5
//! [[file]]
//! path = "/var/log/suricata/eve.json"
//! format = "suricata"
//! [syslog]
//! udp = "0.0.0.0:5514"
//! tcp = "0.0.0.0:5514"
//! format = "auto"
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::monitor::Limits;
use crate::read::Format;

/// What is wrong with a configuration file, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the monitor configuration is not valid TOML or has an unknown setting: {0}")]
    Syntax(String),
    #[error("monitor setting `{setting}`: {problem}")]
    Invalid {
        setting: &'static str,
        problem: String,
    },
}

fn invalid(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting,
        problem: problem.into(),
    }
}

/// How `run` reads: files followed across rotation and syslog listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    pub files: Vec<(PathBuf, Format)>,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub syslog_format: Format,
    /// How often alerts and tallies are handed to the sink.
    pub flush: Duration,
    /// How often followed files are checked for new lines and rotation.
    pub poll: Duration,
    /// Read the followed files from their beginning (default: only what is written from now).
    pub from_start: bool,
    pub max_connections: usize,
    /// A longer syslog message or log line is dropped and counted as unparseable.
    pub max_line: usize,
    /// Batches of lines queued between the readers and the monitor; past it readers wait
    /// (TCP) or drop (UDP).
    pub queue: usize,
    /// Offset from UTC of the local time of logs that write no zone (default JST, +9 h).
    pub local_offset_secs: i32,
    pub limits: Limits,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            files: Vec::new(),
            syslog_udp: None,
            syslog_tcp: None,
            syslog_format: Format::Auto,
            flush: Duration::from_secs(5),
            poll: Duration::from_millis(250),
            from_start: false,
            max_connections: 64,
            max_line: 65_536,
            queue: 64,
            local_offset_secs: 9 * 3600,
            limits: Limits::default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: String,
    format: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSyslog {
    udp: Option<String>,
    tcp: Option<String>,
    format: Option<String>,
    max_connections: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Raw {
    flush_secs: Option<i64>,
    poll_millis: Option<i64>,
    from_start: Option<bool>,
    max_line: Option<i64>,
    queue: Option<i64>,
    /// `+09:00`, `-05:00`, `Z`.
    local_offset: Option<String>,
    #[serde(default)]
    file: Vec<RawFile>,
    syslog: Option<RawSyslog>,
    limits: Option<Limits>,
}

fn ranged(
    setting: &'static str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, ConfigError> {
    let v = value.unwrap_or(default);
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(invalid(
            setting,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

fn offset(raw: &str) -> Option<i32> {
    if raw == "Z" {
        return Some(0);
    }
    let (sign, rest) = match raw.as_bytes().first()? {
        b'+' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

impl RunConfig {
    /// Reads the configuration file's text; every setting has a safe default, unknown ones are
    /// refused so a misspelling does not pass silently.
    pub fn from_toml(text: &str) -> Result<RunConfig, ConfigError> {
        if text.len() > 1_000_000 {
            return Err(ConfigError::Syntax("the file is larger than 1 MB".into()));
        }
        let raw: Raw = toml::from_str(text)
            .map_err(|e| ConfigError::Syntax(e.message().chars().take(300).collect()))?;
        let d = RunConfig::default();
        let mut config = RunConfig {
            flush: Duration::from_secs(ranged("flush_secs", raw.flush_secs, 1..=3600, 5)? as u64),
            poll: Duration::from_millis(
                ranged("poll_millis", raw.poll_millis, 10..=60_000, 250)? as u64
            ),
            from_start: raw.from_start.unwrap_or(false),
            max_line: ranged(
                "max_line",
                raw.max_line,
                1024..=16 * 1024 * 1024,
                d.max_line as i64,
            )? as usize,
            queue: ranged("queue", raw.queue, 1..=65_536, d.queue as i64)? as usize,
            ..d
        };
        if let Some(raw_offset) = raw.local_offset {
            config.local_offset_secs = offset(raw_offset.trim())
                .ok_or_else(|| invalid("local_offset", "write it as +09:00, -05:00 or Z"))?;
        }
        if raw.file.len() > 256 {
            return Err(invalid("file", "at most 256 files"));
        }
        for file in raw.file {
            if file.path.trim().is_empty() || file.path.contains('\0') || file.path.len() > 4096 {
                return Err(invalid(
                    "file.path",
                    "a file path is required (no NUL, at most 4096 bytes)",
                ));
            }
            let format: Format = file
                .format
                .parse()
                .map_err(|e: crate::read::UnknownFormat| invalid("file.format", e.to_string()))?;
            let path = PathBuf::from(file.path);
            if config.files.iter().any(|(p, _)| *p == path) {
                return Err(invalid(
                    "file.path",
                    format!("{} is named twice", path.display()),
                ));
            }
            config.files.push((path, format));
        }
        if let Some(syslog) = raw.syslog {
            let addr = |setting, raw: Option<String>| -> Result<Option<SocketAddr>, ConfigError> {
                raw.map(|a| {
                    a.trim()
                        .parse()
                        .map_err(|_| invalid(setting, "an address and port such as 0.0.0.0:5514"))
                })
                .transpose()
            };
            config.syslog_udp = addr("syslog.udp", syslog.udp)?;
            config.syslog_tcp = addr("syslog.tcp", syslog.tcp)?;
            if let Some(f) = syslog.format {
                config.syslog_format = f.parse().map_err(|e: crate::read::UnknownFormat| {
                    invalid("syslog.format", e.to_string())
                })?;
            }
            config.max_connections = ranged(
                "syslog.max_connections",
                syslog.max_connections,
                1..=10_000,
                64,
            )? as usize;
        }
        if let Some(limits) = raw.limits {
            let checks = [
                ("limits.pending_alerts", limits.pending_alerts),
                ("limits.scan_sources", limits.scan_sources),
                ("limits.scan_pairs", limits.scan_pairs),
                ("limits.scan_elements", limits.scan_elements),
                ("limits.unregistered", limits.unregistered),
                ("limits.tallies", limits.tallies),
                ("limits.ports_per_pair", limits.ports_per_pair),
                ("limits.streams", limits.streams),
            ];
            for (setting, value) in checks {
                if !(1..=100_000_000).contains(&value) {
                    return Err(invalid(setting, "must be between 1 and 100000000"));
                }
            }
            config.limits = limits;
        }
        if config.files.is_empty() && config.syslog_udp.is_none() && config.syslog_tcp.is_none() {
            return Err(invalid(
                "file",
                "name at least one [[file]] or a [syslog] listener",
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
flush_secs = 10
poll_millis = 100
from_start = true
local_offset = "+09:00"
[[file]]
path = "/var/log/suricata/eve.json"
format = "suricata"
[[file]]
path = "/var/log/squid/access.log"
format = "squid"
[syslog]
udp = "127.0.0.1:5514"
tcp = "[::1]:5514"
format = "netfilter"
max_connections = 8
[limits]
pending_alerts = 1000
"#;

    #[test]
    fn a_full_file_is_read() {
        let c = RunConfig::from_toml(FULL).unwrap();
        assert_eq!(c.flush, Duration::from_secs(10));
        assert_eq!(c.files.len(), 2);
        assert_eq!(c.files[1].1, Format::Squid);
        assert_eq!(c.syslog_tcp, Some("[::1]:5514".parse().unwrap()));
        assert_eq!(c.syslog_format, Format::Netfilter);
        assert_eq!(c.limits.pending_alerts, 1000);
        assert_eq!(c.limits.tallies, Limits::default().tallies);
        assert_eq!(c.local_offset_secs, 9 * 3600);
        let minimal = RunConfig::from_toml("[syslog]\nudp = \"0.0.0.0:514\"").unwrap();
        assert_eq!(minimal.flush, Duration::from_secs(5));
        assert!(!minimal.from_start);
    }

    #[test]
    fn hostile_files_are_refused_naming_the_setting() {
        let cases = [
            ("", "file"),
            (
                "flush_secs = 0\n[syslog]\nudp = \"0.0.0.0:1\"",
                "flush_secs",
            ),
            (
                "flush_secs = 99999999999999\n[syslog]\nudp = \"0.0.0.0:1\"",
                "flush_secs",
            ),
            ("queue = -1\n[syslog]\nudp = \"0.0.0.0:1\"", "queue"),
            ("[syslog]\nudp = \"localhost\"", "syslog.udp"),
            ("[syslog]\nudp = \"0.0.0.0:99999\"", "syslog.udp"),
            (
                "[syslog]\ntcp = \"0.0.0.0:1\"\nformat = \"evil\"",
                "syslog.format",
            ),
            ("[[file]]\npath = \"\"\nformat = \"squid\"", "file.path"),
            (
                "[[file]]\npath = \"a\\u0000b\"\nformat = \"squid\"",
                "file.path",
            ),
            ("[[file]]\npath = \"a\"\nformat = \"csv\"", "file.format"),
            (
                "[[file]]\npath = \"a\"\nformat = \"squid\"\n[[file]]\npath = \"a\"\nformat = \"zeek\"",
                "file.path",
            ),
            (
                "local_offset = \"+99:00\"\n[syslog]\nudp = \"0.0.0.0:1\"",
                "local_offset",
            ),
            (
                "[limits]\ntallies = 0\n[syslog]\nudp = \"0.0.0.0:1\"",
                "limits.tallies",
            ),
        ];
        for (text, setting) in cases {
            match RunConfig::from_toml(text) {
                Err(ConfigError::Invalid { setting: s, .. }) => assert_eq!(s, setting, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        for text in [
            "flush = 5",
            "[syslog]\nudp = \"0.0.0.0:1\"\nlisten = 1",
            "[limits]\nmemory = 1",
            "flush_secs = \"5\"",
            "[[file]]\npath = 1\nformat = \"zeek\"",
            "= = =",
            "\0",
            "[[file]]\npath = \"a\"",
        ] {
            assert!(
                matches!(RunConfig::from_toml(text), Err(ConfigError::Syntax(_))),
                "{text}"
            );
        }
        let many: String = (0..300)
            .map(|i| format!("[[file]]\npath = \"f{i}\"\nformat = \"zeek\"\n"))
            .collect();
        assert!(RunConfig::from_toml(&many).is_err());
        assert!(RunConfig::from_toml(&"#".repeat(2_000_000)).is_err());
    }
}
