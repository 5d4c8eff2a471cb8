//! `mamori serve --gateway-config FILE`: the 無害化 gateway in the same process as the web
//! application, sharing its data folder, so that the quarantine pages show what it kept and
//! approved releases go out through its next hop.
//!
//! The file is TOML; every value but `listen`, `next_hop` and `accept_domains` has the
//! default of `mamori gateway`:
//!
//! ```toml
//! listen = "0.0.0.0:25"
//! next_hop = "lgwan-mail.example.lg.jp:25"   # or smtp:HOST:PORT, lmtp:HOST:PORT
//! accept_domains = ["city.example.lg.jp"]
//! hostname = "mamori-gateway"
//! direction = "inbound"                       # or "outbound"
//! quarantine_days = 30                       # retention of originals, every verdict
//! quarantine_days_sanitized = 30              # … or per verdict (purged daily)
//! quarantine_days_quarantined = 90
//! quarantine_days_held = 30                   # outbound mail held for approval
//! session_timeout_secs = 900                  # longest SMTP connection
//! data_timeout_secs = 600                     # longest DATA phase
//! min_data_rate = 500                         # bytes/s during DATA after the grace; 0: none
//! data_rate_grace_secs = 30
//! verify_recipients = false                   # ask the next hop about recipients at RCPT
//!
//! [sanitize]                                  # the policy, as `mamori sanitize --config` takes it
//! quarantine_url = "https://mamori.city.example.lg.jp/quarantine/"
//! on_oddity = "tolerate-when-agreed"          # or "strict": formatting oddities always ambiguous
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use mamori_gateway::GatewayConfig;
use mamori_gateway::quarantine::Direction;

use crate::messages::msg;

#[derive(Debug)]
pub struct GatewayFile {
    pub listen: SocketAddr,
    pub next_hop: String,
    pub accept_domains: Vec<String>,
    pub hostname: Option<String>,
    pub direction: Option<Direction>,
    pub max_message_bytes: Option<usize>,
    pub max_recipients: Option<usize>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub min_free_mb: Option<u64>,
    pub queue_lifetime_hours: Option<u64>,
    pub retry_first_secs: Option<u64>,
    pub quarantine_days: Option<u64>,
    pub quarantine_days_sanitized: Option<u64>,
    pub quarantine_days_quarantined: Option<u64>,
    pub quarantine_days_held: Option<u64>,
    pub session_timeout_secs: Option<u64>,
    pub data_timeout_secs: Option<u64>,
    pub min_data_rate: Option<u64>,
    pub data_rate_grace_secs: Option<u64>,
    pub verify_recipients: Option<bool>,
    /// The `[sanitize]` table: the engine's policy and limits.
    pub policy: Option<mamori_sanitize::Policy>,
}

const KEYS: &[&str] = &[
    "listen",
    "next_hop",
    "accept_domains",
    "hostname",
    "direction",
    "max_message_bytes",
    "max_recipients",
    "tls_cert",
    "tls_key",
    "min_free_mb",
    "queue_lifetime_hours",
    "retry_first_secs",
    "quarantine_days",
    "quarantine_days_sanitized",
    "quarantine_days_quarantined",
    "quarantine_days_held",
    "session_timeout_secs",
    "data_timeout_secs",
    "min_data_rate",
    "data_rate_grace_secs",
    "verify_recipients",
    "sanitize",
];

fn text(table: &toml::Table, key: &str) -> anyhow::Result<Option<String>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => anyhow::bail!(msg!("cli.config.not_text", key = key)),
    }
}

fn flag(table: &toml::Table, key: &str) -> anyhow::Result<Option<bool>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
        Some(_) => anyhow::bail!(msg!("cli.config.not_flag", key = key)),
    }
}

fn number(table: &toml::Table, key: &str) -> anyhow::Result<Option<u64>> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Integer(n)) => u64::try_from(*n)
            .map(Some)
            .map_err(|_| anyhow::anyhow!(msg!("cli.config.negative", key = key))),
        Some(_) => anyhow::bail!(msg!("cli.config.not_number", key = key)),
    }
}

impl GatewayFile {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| msg!("cli.config.reading", path = path.display()))?;
        Self::parse(&text).with_context(|| msg!("cli.config.invalid", path = path.display()))
    }

    pub fn parse(source: &str) -> anyhow::Result<Self> {
        let table: toml::Table = source.parse()?;
        if let Some(unknown) = table.keys().find(|k| !KEYS.contains(&k.as_str())) {
            anyhow::bail!(msg!(
                "cli.config.unknown_key",
                key = format!("{unknown:?}"),
                keys = KEYS.join(", ")
            ));
        }
        let required = |key: &str| {
            text(&table, key)?
                .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.required", key = key)))
        };
        let listen = required("listen")?;
        let listen = listen.parse().map_err(|_| {
            anyhow::anyhow!(msg!("cli.config.listen", value = format!("{listen:?}")))
        })?;
        let accept_domains = match table.get("accept_domains") {
            Some(toml::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| anyhow::anyhow!(msg!("cli.config.domains_text")))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            _ => anyhow::bail!(msg!("cli.config.domains_required")),
        };
        let direction = match text(&table, "direction")?.as_deref() {
            None => None,
            Some("inbound") => Some(Direction::Inbound),
            Some("outbound") => Some(Direction::Outbound),
            Some(other) => {
                anyhow::bail!(msg!("cli.config.direction", value = format!("{other:?}")))
            }
        };
        let size = |key: &str| -> anyhow::Result<Option<usize>> {
            number(&table, key)?
                .map(|n| {
                    usize::try_from(n)
                        .map_err(|_| anyhow::anyhow!(msg!("cli.config.too_large", key = key)))
                })
                .transpose()
        };
        Ok(Self {
            listen,
            next_hop: required("next_hop")?,
            accept_domains,
            hostname: text(&table, "hostname")?,
            direction,
            max_message_bytes: size("max_message_bytes")?,
            max_recipients: size("max_recipients")?,
            tls_cert: text(&table, "tls_cert")?.map(PathBuf::from),
            tls_key: text(&table, "tls_key")?.map(PathBuf::from),
            min_free_mb: number(&table, "min_free_mb")?,
            queue_lifetime_hours: number(&table, "queue_lifetime_hours")?,
            retry_first_secs: number(&table, "retry_first_secs")?,
            quarantine_days: number(&table, "quarantine_days")?,
            quarantine_days_sanitized: number(&table, "quarantine_days_sanitized")?,
            quarantine_days_quarantined: number(&table, "quarantine_days_quarantined")?,
            quarantine_days_held: number(&table, "quarantine_days_held")?,
            session_timeout_secs: number(&table, "session_timeout_secs")?,
            data_timeout_secs: number(&table, "data_timeout_secs")?,
            min_data_rate: number(&table, "min_data_rate")?,
            data_rate_grace_secs: number(&table, "data_rate_grace_secs")?,
            verify_recipients: flag(&table, "verify_recipients")?,
            policy: table
                .get("sanitize")
                .cloned()
                .map(|v| v.try_into::<mamori_sanitize::Policy>())
                .transpose()
                .with_context(|| msg!("cli.config.policy_invalid"))?,
        })
    }

    /// The gateway's configuration with its spool and quarantine in `data`.
    pub fn config(self, data: &Path) -> GatewayConfig {
        let mut c = GatewayConfig::new(
            self.listen,
            self.next_hop,
            self.accept_domains,
            data.to_path_buf(),
        );
        if let Some(hostname) = self.hostname {
            c.hostname = hostname;
        }
        if let Some(direction) = self.direction {
            c.direction = direction;
        }
        if let Some(max) = self.max_message_bytes {
            c.max_message_bytes = max;
        }
        if let Some(max) = self.max_recipients {
            c.max_recipients = max;
        }
        c.tls_cert = self.tls_cert;
        c.tls_key = self.tls_key;
        if let Some(mb) = self.min_free_mb {
            c.min_free_bytes = mb.saturating_mul(1024 * 1024);
        }
        if let Some(hours) = self.queue_lifetime_hours {
            c.retry.lifetime = Duration::from_secs(hours.saturating_mul(3600));
        }
        if let Some(secs) = self.retry_first_secs {
            c.retry.first_delay = Duration::from_secs(secs.max(1));
        }
        c.retention = crate::gateway_cmd::retention(
            self.quarantine_days,
            self.quarantine_days_sanitized,
            self.quarantine_days_quarantined,
            self.quarantine_days_held,
        );
        if let Some(secs) = self.session_timeout_secs {
            c.session_timeout = Duration::from_secs(secs.max(1));
        }
        if let Some(secs) = self.data_timeout_secs {
            c.data_timeout = Duration::from_secs(secs.max(1));
        }
        if let Some(rate) = self.min_data_rate {
            c.min_data_rate = rate;
        }
        if let Some(secs) = self.data_rate_grace_secs {
            c.data_rate_grace = Duration::from_secs(secs);
        }
        if let Some(verify) = self.verify_recipients {
            c.verify_recipients = verify;
        }
        if let Some(policy) = self.policy {
            c.policy = policy;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_file_takes_the_defaults_and_unknown_keys_are_refused() {
        let file = GatewayFile::parse(
            "listen = \"127.0.0.1:2525\"\nnext_hop = \"127.0.0.1:25\"\naccept_domains = [\"city.example.lg.jp\"]\n",
        )
        .unwrap();
        let c = file.config(Path::new("/tmp/data"));
        assert_eq!(c.data_dir, Path::new("/tmp/data"));
        assert_eq!(c.hostname, "mamori-gateway");
        assert_eq!(c.direction, Direction::Inbound);
        let typo = GatewayFile::parse(
            "listen = \"127.0.0.1:2525\"\nnext_hop = \"x:25\"\naccept_domains = []\nnext_hops = 1\n",
        );
        assert!(typo.unwrap_err().to_string().contains("next_hops"));
        let full = GatewayFile::parse(
            "listen = \"127.0.0.1:2525\"\nnext_hop = \"lmtp:127.0.0.1:24\"\naccept_domains = [\"a.jp\"]\n\
             direction = \"outbound\"\nquarantine_days = 7\nhostname = \"gw\"\n",
        )
        .unwrap();
        let c = full.config(Path::new("/d"));
        assert_eq!(c.direction, Direction::Outbound);
        assert_eq!(c.session_timeout, Duration::from_secs(900));
        assert_eq!(c.min_data_rate, 500);
        assert!(!c.verify_recipients, "off by default");
        let limits = GatewayFile::parse(
            "listen = \"127.0.0.1:2525\"\nnext_hop = \"127.0.0.1:25\"\naccept_domains = [\"a.jp\"]\n\
             session_timeout_secs = 120\ndata_timeout_secs = 60\nmin_data_rate = 0\ndata_rate_grace_secs = 5\n\
             verify_recipients = true\n",
        )
        .unwrap()
        .config(Path::new("/d"));
        assert_eq!(
            (
                limits.session_timeout,
                limits.data_timeout,
                limits.min_data_rate,
                limits.data_rate_grace
            ),
            (
                Duration::from_secs(120),
                Duration::from_secs(60),
                0,
                Duration::from_secs(5)
            )
        );
        assert!(limits.verify_recipients);
        assert_eq!(
            c.retention,
            mamori_gateway::quarantine::Retention::uniform(Duration::from_secs(7 * 86400))
        );
        assert_eq!(c.hostname, "gw");
        assert_eq!(c.policy, mamori_sanitize::Policy::default());
        let with_policy = GatewayFile::parse(
            "listen = \"127.0.0.1:2525\"\nnext_hop = \"127.0.0.1:25\"\naccept_domains = [\"a.jp\"]\n\
             [sanitize]\nquarantine_url = \"https://mamori.a.jp/quarantine/\"\non_oddity = \"strict\"\n",
        )
        .unwrap();
        let c = with_policy.config(Path::new("/d"));
        assert_eq!(
            c.policy.quarantine_url.as_ref().map(|u| u.as_str()),
            Some("https://mamori.a.jp/quarantine/")
        );
        assert_eq!(c.policy.on_oddity, mamori_sanitize::OnOddity::Strict);
        assert_eq!(
            mamori_sanitize::Policy::default().on_oddity,
            mamori_sanitize::OnOddity::TolerateWhenAgreed
        );
        for (bad, why) in [
            (
                "next_hop = \"x:25\"\naccept_domains = []\n",
                "listen is required",
            ),
            (
                "listen = \"nowhere\"\nnext_hop = \"x:25\"\naccept_domains = []\n",
                "ADDRESS:PORT",
            ),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = \"a.jp\"\n",
                "a list",
            ),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = []\ndirection = \"up\"\n",
                "inbound or outbound",
            ),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = []\nquarantine_days = -1\n",
                "negative",
            ),
            ("listen = [\n", "TOML"),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = []\nverify_recipients = 1\n",
                "true or false",
            ),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = []\n[sanitize]\nno_such_rule = 1\n",
                "[sanitize]",
            ),
            (
                "listen = \"127.0.0.1:1\"\nnext_hop = \"x:25\"\naccept_domains = []\n[sanitize]\non_oddity = \"lenient\"\n",
                "[sanitize]",
            ),
        ] {
            let err = format!("{:#}", GatewayFile::parse(bad).unwrap_err());
            assert!(err.contains(why) || why == "TOML", "{bad:?}: {err}");
        }
    }
}
