//! `mamori serve --notice-config FILE`: mail notices (お知らせのメール) through the site's relay.
//! The file is TOML; `relay`, `from` and `base_url` are required, everything else has a default:
//!
//! ```toml
//! relay = "smtp.city.example.lg.jp:25"          # HOST:PORT of the relay (smtp: prefix allowed)
//! tls = "required"                              # none, opportunistic or required (STARTTLS)
//! ca_file = "/etc/mamori/relay-ca.pem"          # the CA the relay's certificate chains to
//! tls_name = "smtp.city.example.lg.jp"          # the name it must carry (the relay's host)
//! helo = "mamori.city.example.lg.jp"            # EHLO name (the host of `from` by default)
//! from = "mamori@city.example.lg.jp"            # envelope sender and From:
//! base_url = "https://mamori.city.example.lg.jp" # where the links in the mails point
//! digest_at = "08:30"                           # the daily digest, Japan time
//! retry_first_secs = 60                         # first delay after a failed attempt, doubled
//! timeout_secs = 30                             # connecting and each reply
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveTime;
use mamori_gateway::client::{NextHopTls, parse_next_hop};
use mamori_gateway::{NextHop, TlsMode};
use mamori_notice::MailerConfig;

use crate::config_file::{number, text, unknown_key};
use crate::messages::msg;

const KEYS: &[&str] = &[
    "relay",
    "tls",
    "ca_file",
    "tls_name",
    "helo",
    "from",
    "base_url",
    "digest_at",
    "retry_first_secs",
    "timeout_secs",
];

/// Reads the file and builds the mailer's settings; the CA file is read now, so that a mistake
/// stops `serve` before it listens.
pub fn read(path: &Path) -> anyhow::Result<MailerConfig> {
    let source = std::fs::read_to_string(path)
        .with_context(|| msg!("cli.notice.reading", path = path.display()))?;
    parse(&source).with_context(|| msg!("cli.notice.invalid", path = path.display()))
}

pub fn parse(source: &str) -> anyhow::Result<MailerConfig> {
    let table: toml::Table = source.parse()?;
    unknown_key(&table, KEYS, "")?;
    let required = |key: &str| {
        text(&table, key, key)?
            .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = key)))
    };
    let (protocol, address) = parse_next_hop(&required("relay")?)?;
    let from = required("from")?;
    let Some((local, host)) = from.rsplit_once('@') else {
        anyhow::bail!(msg!("cli.notice.from", from = from));
    };
    if local.is_empty()
        || host.is_empty()
        || !from.is_ascii()
        || from.contains(|c: char| c.is_whitespace() || c.is_control() || "<>\"(),;:".contains(c))
    {
        anyhow::bail!(msg!("cli.notice.from", from = from));
    }
    let base_url = required("base_url")?;
    if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
        || base_url.contains(char::is_whitespace)
    {
        anyhow::bail!(msg!("cli.notice.base_url", url = base_url));
    }
    let tls: TlsMode = match text(&table, "tls", "tls")? {
        None => TlsMode::Opportunistic,
        Some(mode) => mode
            .parse()
            .map_err(|e: String| anyhow::anyhow!(msg!("cli.notice.tls", detail = e)))?,
    };
    let ca_file = text(&table, "ca_file", "ca_file")?.map(PathBuf::from);
    let tls_name = text(&table, "tls_name", "tls_name")?;
    let digest_at = match text(&table, "digest_at", "digest_at")? {
        None => NaiveTime::from_hms_opt(8, 30, 0).unwrap_or_default(),
        Some(raw) => NaiveTime::parse_from_str(raw.trim(), "%H:%M")
            .map_err(|_| anyhow::anyhow!(msg!("cli.notice.digest_at", value = raw)))?,
    };
    let seconds = |key: &str, default: u64| -> anyhow::Result<Duration> {
        Ok(match number(&table, key, key)? {
            Some(0) => anyhow::bail!(msg!("cli.config.negative", key = key)),
            Some(n) => Duration::from_secs(n.unsigned_abs()),
            None => Duration::from_secs(default),
        })
    };
    let timeout = seconds("timeout_secs", 30)?;
    let mut relay = NextHop::smtp(
        address,
        text(&table, "helo", "helo")?.unwrap_or_else(|| host.to_owned()),
        timeout,
    );
    relay.protocol = protocol;
    relay.tls = NextHopTls::new(tls, ca_file.as_deref(), tls_name)?;
    Ok(MailerConfig {
        relay,
        from,
        base_url,
        digest_at,
        retry_first: seconds("retry_first_secs", 60)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "relay = \"127.0.0.1:2525\"\nfrom = \"mamori@city.example.lg.jp\"\n\
                           base_url = \"https://isms.example\"\n";

    #[test]
    fn a_minimal_file_takes_the_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.relay.address, "127.0.0.1:2525");
        assert_eq!(config.relay.helo, "city.example.lg.jp");
        assert_eq!(config.digest_at, NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert_eq!(config.retry_first, Duration::from_secs(60));
        assert!(
            config.relay.tls.is_some(),
            "opportunistic STARTTLS by default"
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_key_named() {
        for (source, needle) in [
            ("", "relay"),
            (
                "relay = \"127.0.0.1:25\"\nbase_url = \"https://x\"\n",
                "from",
            ),
            (&format!("{MINIMAL}colour = \"red\"\n"), "colour"),
            (&format!("{MINIMAL}digest_at = \"25:99\"\n"), "25:99"),
            (&format!("{MINIMAL}digest_at = 8\n"), "digest_at"),
            (&format!("{MINIMAL}tls = \"always\"\n"), "always"),
            (&format!("{MINIMAL}tls = \"required\"\n"), "CA"),
            (
                &format!("{MINIMAL}retry_first_secs = -1\n"),
                "retry_first_secs",
            ),
            (
                &format!("{MINIMAL}retry_first_secs = 0\n"),
                "retry_first_secs",
            ),
            (
                "relay = \"no-port\"\nfrom = \"a@b.example\"\nbase_url = \"https://x\"\n",
                "no-port",
            ),
            (
                "relay = \"h:25\"\nfrom = \"a b@c.example\"\nbase_url = \"https://x\"\n",
                "a b@c.example",
            ),
            (
                "relay = \"h:25\"\nfrom = \"a@b.example\\r\\nBcc: x@evil\"\nbase_url = \"https://x\"\n",
                "Bcc",
            ),
            (
                "relay = \"h:25\"\nfrom = \"a@b.example\"\nbase_url = \"javascript:alert(1)\"\n",
                "javascript",
            ),
            ("relay = [", "TOML"),
        ] {
            let error = match parse(source) {
                Ok(_) => panic!("accepted {source:?}"),
                Err(e) => format!("{e:#}"),
            };
            assert!(
                error.contains(needle) || (needle == "TOML" && !error.is_empty()),
                "{source:?}: {error}"
            );
        }
    }
}
