//! 不正通信の監視 (seed §6(3), §6(7)): what the monitor reads the sensors' logs against (the
//! site: segments, assets' addresses, the crossing matrix and the monitor's settings) and what it
//! raises (alerts). The readers and rules are in `mamori-monitor`; these types are shared with the
//! store and the web.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::asset::AssetId;
use crate::crossing::{CrossingMatrix, Proto, Zone};
use crate::text::{FieldError, FieldErrorKind};

/// What an alert says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertRule {
    /// 許可されていない領域間通信: a flow the crossing matrix forbids.
    Crossing,
    /// 未登録機器: an internal address that no asset of the register has.
    Unregistered,
    /// IDS の検知 (Suricata alert, …) in the Internet-connected segment, with the asset named.
    Ids,
    /// 平文通信: telnet, ftp or HTTP basic authentication to the Internet.
    Cleartext,
    /// 走査: many destinations or ports from one source within a window.
    Scan,
    /// 指定外 DNS: a query to a resolver other than the sanctioned ones.
    Dns,
}

impl AlertRule {
    pub const ALL: [AlertRule; 6] = [
        AlertRule::Crossing,
        AlertRule::Unregistered,
        AlertRule::Ids,
        AlertRule::Cleartext,
        AlertRule::Scan,
        AlertRule::Dns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertRule::Crossing => "crossing",
            AlertRule::Unregistered => "unregistered",
            AlertRule::Ids => "ids",
            AlertRule::Cleartext => "cleartext",
            AlertRule::Scan => "scan",
            AlertRule::Dns => "dns",
        }
    }

    pub fn parse(raw: &str) -> Option<AlertRule> {
        AlertRule::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    /// Catalogue key of the rule's name.
    pub fn key(self) -> &'static str {
        match self {
            AlertRule::Crossing => "monitor.rule.crossing",
            AlertRule::Unregistered => "monitor.rule.unregistered",
            AlertRule::Ids => "monitor.rule.ids",
            AlertRule::Cleartext => "monitor.rule.cleartext",
            AlertRule::Scan => "monitor.rule.scan",
            AlertRule::Dns => "monitor.rule.dns",
        }
    }
}

/// An asset an address belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRef {
    pub id: AssetId,
    pub name: String,
}

/// One alert: many events of the same kind between the same ends, aggregated (a count, the
/// first and last time, a few evidence lines) rather than a row per event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub rule: AlertRule,
    /// What makes two events the same alert: the Community ID where the log carries one, else
    /// the rule's own key (e.g. the 5-tuple without the source port, or the source of a scan).
    pub key: String,
    pub src: IpAddr,
    pub dst: Option<IpAddr>,
    pub dst_port: Option<u16>,
    pub proto: Option<Proto>,
    pub src_segment: Option<String>,
    pub dst_segment: Option<String>,
    pub src_asset: Option<AssetRef>,
    pub dst_asset: Option<AssetRef>,
    /// What the rule saw: the IDS signature, the crossing that was refused, the scan's count.
    pub detail: String,
    pub count: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Sample lines of the logs, at most [`MonitorSettings::evidence_samples`].
    pub evidence: Vec<String>,
}

impl Alert {
    /// Folds a later sighting of the same alert into this one.
    pub fn absorb(&mut self, other: Alert, samples: usize) {
        self.count = self.count.saturating_add(other.count);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        for line in other.evidence {
            if self.evidence.len() >= samples {
                break;
            }
            self.evidence.push(line);
        }
    }

    /// The one line an インシデント候補 raised from this alert shows: the rule, the ends (with
    /// their segments) and what the rule saw, without control characters and at most
    /// [`CANDIDATE_SUMMARY_CHARS`] long.
    pub fn candidate_summary(&self) -> String {
        let end = |ip: IpAddr, segment: &Option<String>| match segment {
            Some(code) => format!("{ip} ({code})"),
            None => ip.to_string(),
        };
        let mut text = format!(
            "[{}] {}",
            self.rule.as_str(),
            end(self.src, &self.src_segment)
        );
        if let Some(dst) = self.dst {
            text.push_str(" → ");
            text.push_str(&end(dst, &self.dst_segment));
        }
        match (self.proto, self.dst_port) {
            (Some(proto), Some(port)) => text.push_str(&format!(" {}/{port}", proto.as_str())),
            (Some(proto), None) => text.push_str(&format!(" {}", proto.as_str())),
            _ => {}
        }
        if !self.detail.is_empty() {
            text.push_str(": ");
            text.push_str(&self.detail);
        }
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(CANDIDATE_SUMMARY_CHARS)
            .collect()
    }
}

/// The longest summary of a candidate raised from an alert.
pub const CANDIDATE_SUMMARY_CHARS: usize = 300;

/// Candidates the monitor raises on its own in one batch at most; the rest of a flood stay
/// alerts, each of which the CSIRT may still raise by hand.
pub const CANDIDATES_PER_BATCH: usize = 20;

/// How many flows went from one zone to another on a day, to a protocol and port: the
/// per-segment view ("who talks to whom") is drawn from these. `forbidden` counts the
/// flows of the tally the matrix refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub day: NaiveDate,
    pub from: Zone,
    pub to: Zone,
    pub proto: Proto,
    /// `None` for protocols without ports, and for the ports folded together once a pair has
    /// too many distinct ones to keep apart.
    pub dst_port: Option<u16>,
    pub flows: u64,
    pub forbidden: u64,
}

/// Thresholds of the scan rule: a source that reaches at least `hosts` distinct destinations,
/// or at least `ports` distinct ports of one destination, within `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanThresholds {
    pub window_secs: u32,
    pub hosts: u32,
    pub ports: u32,
}

/// The monitor's settings: data, edited by the CISO's office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorSettings {
    /// 指定 DNS サーバ: the resolvers hosts may query.
    pub resolvers: Vec<IpAddr>,
    pub scan: ScanThresholds,
    /// An unregistered address is reported once per this window.
    pub unregistered_window_secs: u32,
    /// Evidence lines kept per alert.
    pub evidence_samples: usize,
    /// Internal ranges outside every segment whose addresses should still be registered
    /// (e.g. a management network); addresses in a segment always are.
    pub internal: Vec<IpNet>,
    /// Rules whose new alerts the monitor raises as インシデント候補 on its own (at most
    /// [`CANDIDATES_PER_BATCH`] a batch); the CSIRT may raise any other alert by hand.
    pub candidate_rules: Vec<AlertRule>,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            resolvers: Vec::new(),
            scan: ScanThresholds {
                window_secs: 60,
                hosts: 100,
                ports: 100,
            },
            unregistered_window_secs: 3600,
            evidence_samples: 5,
            internal: Vec::new(),
            // A flow across the separation the matrix forbids, and what the IDS saw: the two
            // that speak of an incident rather than of housekeeping.
            candidate_rules: vec![AlertRule::Crossing, AlertRule::Ids],
        }
    }
}

impl MonitorSettings {
    /// Checks what a form or an API body gave.
    pub fn validate(&self) -> Result<(), FieldError> {
        let scan = &self.scan;
        if !(1..=86_400).contains(&scan.window_secs) {
            return Err(FieldError::new(
                "window_secs",
                FieldErrorKind::InvalidFormat,
            ));
        }
        if !(2..=1_000_000).contains(&scan.hosts) {
            return Err(FieldError::new("hosts", FieldErrorKind::InvalidFormat));
        }
        if !(2..=65_536).contains(&scan.ports) {
            return Err(FieldError::new("ports", FieldErrorKind::InvalidFormat));
        }
        if !(60..=7 * 86_400).contains(&self.unregistered_window_secs) {
            return Err(FieldError::new(
                "unregistered_window_secs",
                FieldErrorKind::InvalidFormat,
            ));
        }
        if !(1..=50).contains(&self.evidence_samples) {
            return Err(FieldError::new(
                "evidence_samples",
                FieldErrorKind::InvalidFormat,
            ));
        }
        if self.resolvers.len() > 100 {
            return Err(FieldError::new(
                "resolvers",
                FieldErrorKind::TooLong { max: 100 },
            ));
        }
        if self.internal.len() > 1000 {
            return Err(FieldError::new(
                "internal",
                FieldErrorKind::TooLong { max: 1000 },
            ));
        }
        Ok(())
    }
}

/// A segment as the monitor places addresses with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSegment {
    pub code: String,
    pub name: String,
    pub ranges: Vec<IpNet>,
}

/// An asset with its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAsset {
    pub id: AssetId,
    pub name: String,
    pub addresses: Vec<IpAddr>,
}

/// Everything the monitor reads logs against, read from the store at start (and again when it
/// changes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub segments: Vec<SiteSegment>,
    pub assets: Vec<SiteAsset>,
    pub matrix: CrossingMatrix,
    pub settings: MonitorSettings,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn alert(count: u64, first: &str, last: &str, evidence: &[&str]) -> Alert {
        Alert {
            rule: AlertRule::Crossing,
            key: "k".into(),
            src: "10.20.0.5".parse().unwrap(),
            dst: Some("8.8.8.8".parse().unwrap()),
            dst_port: Some(53),
            proto: Some(Proto::Udp),
            src_segment: Some("LGWAN".into()),
            dst_segment: None,
            src_asset: None,
            dst_asset: None,
            detail: String::new(),
            count,
            first_seen: at(first),
            last_seen: at(last),
            evidence: evidence.iter().map(|s| (*s).into()).collect(),
        }
    }

    #[test]
    fn absorbing_counts_widens_the_window_and_caps_the_evidence() {
        let mut a = alert(
            2,
            "2026-12-01T10:00:00Z",
            "2026-12-01T10:05:00Z",
            &["a", "b"],
        );
        a.absorb(
            alert(
                3,
                "2026-12-01T09:00:00Z",
                "2026-12-01T11:00:00Z",
                &["c", "d", "e"],
            ),
            3,
        );
        assert_eq!(a.count, 5);
        assert_eq!(a.first_seen, at("2026-12-01T09:00:00Z"));
        assert_eq!(a.last_seen, at("2026-12-01T11:00:00Z"));
        assert_eq!(a.evidence, ["a", "b", "c"]);
        a.absorb(
            alert(
                u64::MAX,
                "2026-12-01T10:00:00Z",
                "2026-12-01T10:00:00Z",
                &[],
            ),
            3,
        );
        assert_eq!(a.count, u64::MAX);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        assert!(MonitorSettings::default().validate().is_ok());
        let mut s = MonitorSettings::default();
        s.scan = ScanThresholds {
            window_secs: 0,
            ..s.scan
        };
        assert_eq!(s.validate().unwrap_err().field, "window_secs");
        let s = MonitorSettings {
            evidence_samples: 0,
            ..MonitorSettings::default()
        };
        assert_eq!(s.validate().unwrap_err().field, "evidence_samples");
        let s: MonitorSettings = serde_json::from_str(r#"{"resolvers":["10.20.0.53"]}"#).unwrap();
        assert_eq!(s.scan, MonitorSettings::default().scan);
        assert!(serde_json::from_str::<MonitorSettings>(r#"{"resolvers":["x"]}"#).is_err());
    }

    #[test]
    fn a_candidate_summary_names_the_rule_the_ends_and_the_detail_on_one_bounded_line() {
        let mut a = alert(1, "2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z", &[]);
        a.detail = "LGWAN → *INTERNET\r\nforged: line".into();
        assert_eq!(
            a.candidate_summary(),
            "[crossing] 10.20.0.5 (LGWAN) → 8.8.8.8 udp/53: LGWAN → *INTERNET  forged: line"
        );
        a.rule = AlertRule::Scan;
        a.dst = None;
        a.proto = None;
        a.detail = "x".repeat(1000);
        let summary = a.candidate_summary();
        assert!(summary.starts_with("[scan] 10.20.0.5 (LGWAN): xxx"));
        assert_eq!(summary.chars().count(), CANDIDATE_SUMMARY_CHARS);
        // Stored settings from before the rules were a setting read as the default ones.
        let s: MonitorSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s.candidate_rules, [AlertRule::Crossing, AlertRule::Ids]);
    }

    #[test]
    fn rules_round_trip_by_name() {
        for rule in AlertRule::ALL {
            assert_eq!(AlertRule::parse(rule.as_str()), Some(rule));
            assert_eq!(
                serde_json::to_string(&rule).unwrap(),
                format!("\"{}\"", rule.as_str())
            );
        }
        assert_eq!(AlertRule::parse("Crossing"), None);
    }
}
