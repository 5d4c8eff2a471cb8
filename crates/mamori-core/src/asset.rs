//! 情報資産 (seed §4(2)) and the rules that flag an asset handled against its class.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::classification::{Classification, Dimension, Level, Scales};
use crate::segment::Segment;
use crate::text::{FieldError, FieldErrorKind};

/// An asset of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssetId(pub i64);

impl std::fmt::Display for AssetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What kind of information asset (seed §4(2) ア–ウ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// ネットワーク.
    Network,
    /// 情報システム.
    System,
    /// 設備・機器 (servers, terminals, facilities).
    Equipment,
    /// 電磁的記録媒体.
    Media,
    /// 情報 (data handled by systems, printed documents included).
    Information,
    /// システム関連文書 (仕様書, ネットワーク図 …).
    Document,
}

impl Flag {
    /// Message key of the flag's explanation.
    pub fn key(&self) -> &'static str {
        match self {
            Flag::UnknownLevel { .. } => "flag.unknown_level",
            Flag::SegmentForbidden { .. } => "flag.segment_forbidden",
            Flag::UnknownSegment { .. } => "flag.unknown_segment",
            Flag::AddressOutsideSegment { .. } => "flag.address_outside_segment",
            Flag::DisposalUnrecorded => "flag.disposal_unrecorded",
            Flag::SplitReview { .. } => "flag.split_review",
        }
    }

    /// What the flag names: the level, segment or address concerned.
    pub fn subject(&self) -> String {
        match self {
            Flag::UnknownLevel { dimension, code } => format!("{}{code}", dimension.label()),
            Flag::SegmentForbidden { segment, level } => format!("{level} / {segment}"),
            Flag::UnknownSegment { segment } => segment.clone(),
            Flag::AddressOutsideSegment { address, segment } => format!("{address} / {segment}"),
            Flag::DisposalUnrecorded => String::new(),
            Flag::SplitReview { from, to } => {
                let label = Dimension::Confidentiality.label();
                format!("{label}{from} → {label}{to}")
            }
        }
    }
}

impl AssetKind {
    pub const ALL: [AssetKind; 6] = [
        AssetKind::Network,
        AssetKind::System,
        AssetKind::Equipment,
        AssetKind::Media,
        AssetKind::Information,
        AssetKind::Document,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Network => "network",
            AssetKind::System => "system",
            AssetKind::Equipment => "equipment",
            AssetKind::Media => "media",
            AssetKind::Information => "information",
            AssetKind::Document => "document",
        }
    }

    /// Reads a kind by code or by its Japanese name, as registers write it.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        AssetKind::ALL.into_iter().find(|k| {
            k.as_str() == raw
                || match k {
                    AssetKind::Network => raw == "ネットワーク",
                    AssetKind::System => raw == "情報システム",
                    AssetKind::Equipment => matches!(raw, "機器" | "設備" | "設備・機器"),
                    AssetKind::Media => matches!(raw, "記録媒体" | "電磁的記録媒体"),
                    AssetKind::Information => raw == "情報",
                    AssetKind::Document => matches!(raw, "文書" | "システム関連文書"),
                }
        })
    }
}

/// Where an asset is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// 導入予定.
    Planned,
    /// 運用中.
    InUse,
    /// 運用終了 (awaiting disposal).
    Retired,
    /// 廃棄済み: needs a [`Disposal`] record.
    Disposed,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [
        Lifecycle::Planned,
        Lifecycle::InUse,
        Lifecycle::Retired,
        Lifecycle::Disposed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Planned => "planned",
            Lifecycle::InUse => "in_use",
            Lifecycle::Retired => "retired",
            Lifecycle::Disposed => "disposed",
        }
    }

    /// Reads a lifecycle by code or by its Japanese name.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Lifecycle::ALL.into_iter().find(|l| {
            l.as_str() == raw
                || match l {
                    Lifecycle::Planned => matches!(raw, "導入予定" | "計画"),
                    Lifecycle::InUse => matches!(raw, "運用中" | "使用中"),
                    Lifecycle::Retired => matches!(raw, "運用終了" | "廃止"),
                    Lifecycle::Disposed => matches!(raw, "廃棄済み" | "廃棄済" | "廃棄"),
                }
        })
    }
}

/// 廃棄記録: how and by whom an asset was disposed of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposal {
    pub method: String,
    pub by: String,
    /// Milliseconds since the epoch.
    pub at_ms: i64,
}

/// What about an asset breaks the rules of its class or its segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// The class names a level that the scales do not have.
    UnknownLevel { dimension: Dimension, code: String },
    /// The asset lives in a segment its class forbids.
    SegmentForbidden { segment: String, level: String },
    /// The asset names a segment that does not exist.
    UnknownSegment { segment: String },
    /// An address of the asset lies outside its segment's ranges.
    AddressOutsideSegment { address: IpAddr, segment: String },
    /// Disposed without a record of how and by whom.
    DisposalUnrecorded,
    /// 分割後の再確認が必要: the 3A/3B/3C split (or its undoing) moved the asset from level
    /// `from` to `to` without anyone judging it. Unlike the other flags this one is not derived
    /// from the asset's facts: the split sets it, every recomputation keeps it
    /// ([`carry_review`]), and only a reclassification clears it.
    SplitReview { from: String, to: String },
}

/// Keeps the split review flag of `before` in freshly computed `flags`.
pub fn carry_review(before: &[Flag], flags: &mut Vec<Flag>) {
    for flag in before {
        if matches!(flag, Flag::SplitReview { .. }) && !flags.contains(flag) {
            flags.push(flag.clone());
        }
    }
}

/// The facts of an asset that the rules look at.
pub struct AssetFacts<'a> {
    pub classification: &'a Classification,
    pub segment: Option<&'a str>,
    pub addresses: &'a [IpAddr],
    pub lifecycle: Lifecycle,
    pub disposal: Option<&'a Disposal>,
}

/// Where an asset is kept, for the rule its class sets on it: a segment, whose levels' handling
/// rules name the segments they allow, or a cloud service (外部サービス), which names the 機密性
/// levels it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'a> {
    /// The segment's code.
    Segment(&'a str),
    /// The codes of the 機密性 levels the service takes.
    Service(&'a [String]),
}

impl Placement<'_> {
    fn allows(&self, dimension: Dimension, level: &Level) -> bool {
        match self {
            Placement::Segment(code) => level.rules.allows_segment(code),
            Placement::Service(taken) => {
                dimension != Dimension::Confidentiality
                    || taken.iter().any(|c| c.eq_ignore_ascii_case(&level.code))
            }
        }
    }
}

/// The levels of a class that forbid its placement, one flag each: the one rule that segments and
/// cloud services share. A class naming a level the scales do not have gives none here; that is
/// its own flag ([`Flag::UnknownLevel`]).
pub fn forbidding_levels<'s>(
    class: &Classification,
    scales: &'s Scales,
    placement: &Placement<'_>,
) -> Vec<&'s Level> {
    let Ok(levels) = class.levels(scales) else {
        return Vec::new();
    };
    Dimension::ALL
        .into_iter()
        .zip(levels)
        .filter(|(dimension, level)| !placement.allows(*dimension, level))
        .map(|(_, level)| level)
        .collect()
}

/// Every flag the rules raise for an asset, in a stable order.
pub fn flags(asset: &AssetFacts<'_>, scales: &Scales, segments: &[Segment]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for dimension in Dimension::ALL {
        let code = asset.classification.code(dimension);
        if scales.get(dimension).level(code).is_none() {
            flags.push(Flag::UnknownLevel {
                dimension,
                code: code.to_owned(),
            });
        }
    }
    if let Some(code) = asset.segment {
        match segments.iter().find(|s| s.code == code) {
            None => flags.push(Flag::UnknownSegment {
                segment: code.to_owned(),
            }),
            Some(segment) => {
                for level in
                    forbidding_levels(asset.classification, scales, &Placement::Segment(code))
                {
                    flags.push(Flag::SegmentForbidden {
                        segment: code.to_owned(),
                        level: level.name.clone(),
                    });
                }
                for address in asset.addresses {
                    if !segment.contains(*address) {
                        flags.push(Flag::AddressOutsideSegment {
                            address: *address,
                            segment: code.to_owned(),
                        });
                    }
                }
            }
        }
    }
    if asset.lifecycle == Lifecycle::Disposed
        && asset
            .disposal
            .is_none_or(|d| d.method.trim().is_empty() || d.by.trim().is_empty())
    {
        flags.push(Flag::DisposalUnrecorded);
    }
    flags
}

/// A host name of an asset: labels of letters, digits, `-` (not at either end) and `_` (which
/// Windows networks use), 1–63 characters each, at most 253 in all; kept in lower case.
pub fn parse_host(raw: &str) -> Result<String, FieldError> {
    let host = raw.trim();
    let valid = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if valid {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(FieldError::new("hosts", FieldErrorKind::InvalidFormat))
    }
}

/// An asset's host names, at most 256, each once.
pub fn parse_hosts<I, S>(items: I) -> Result<Vec<String>, FieldError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut hosts: Vec<String> = Vec::new();
    for item in items {
        let host = parse_host(item.as_ref())?;
        if hosts.len() >= 256 {
            return Err(FieldError::new(
                "hosts",
                FieldErrorKind::TooLong { max: 256 },
            ));
        }
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Ok(hosts)
}

/// 設置場所: one line, at most 200 characters.
pub fn parse_location(raw: &str) -> Result<String, FieldError> {
    crate::text::parse_line("location", raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classification::segment_codes::*;
    use crate::segment::parse_ranges;
    use crate::text::Name;

    fn segments() -> Vec<Segment> {
        [
            (LGWAN, "10.0.0.0/16"),
            (INTERNET, "172.16.0.0/16"),
            (MYNUMBER, "10.9.0.0/16"),
        ]
        .iter()
        .map(|(code, ranges)| Segment {
            code: (*code).into(),
            name: Name::parse("name", code).unwrap(),
            ranges: parse_ranges("ranges", ranges).unwrap(),
            note: String::new(),
        })
        .collect()
    }

    fn class(c: &str) -> Classification {
        Classification {
            confidentiality: c.into(),
            integrity: "2".into(),
            availability: "1".into(),
        }
    }

    fn check(
        c: &str,
        segment: Option<&str>,
        addresses: &[&str],
        lifecycle: Lifecycle,
        disposal: Option<&Disposal>,
    ) -> Vec<Flag> {
        let classification = class(c);
        let addresses: Vec<IpAddr> = addresses.iter().map(|a| a.parse().unwrap()).collect();
        let facts = AssetFacts {
            classification: &classification,
            segment,
            addresses: &addresses,
            lifecycle,
            disposal,
        };
        flags(&facts, &Scales::mic_default(false), &segments())
    }

    #[test]
    fn a_compliant_asset_has_no_flags() {
        assert!(check("3", Some(LGWAN), &["10.0.1.5"], Lifecycle::InUse, None).is_empty());
        assert!(check("1", Some(INTERNET), &["172.16.0.9"], Lifecycle::InUse, None).is_empty());
        assert!(check("2", None, &[], Lifecycle::Planned, None).is_empty());
    }

    #[test]
    fn confidential_asset_in_internet_segment_is_flagged() {
        assert_eq!(
            check("3", Some(INTERNET), &[], Lifecycle::InUse, None),
            vec![Flag::SegmentForbidden {
                segment: INTERNET.into(),
                level: "機密性3".into()
            }]
        );
    }

    #[test]
    fn address_outside_segment_is_flagged() {
        let flags = check(
            "1",
            Some(LGWAN),
            &["10.0.0.1", "172.16.0.1"],
            Lifecycle::InUse,
            None,
        );
        assert_eq!(
            flags,
            vec![Flag::AddressOutsideSegment {
                address: "172.16.0.1".parse().unwrap(),
                segment: LGWAN.into()
            }]
        );
    }

    #[test]
    fn unknown_level_and_segment_are_flagged() {
        let flags = check("9", Some("DMZ"), &[], Lifecycle::InUse, None);
        assert!(flags.contains(&Flag::UnknownLevel {
            dimension: Dimension::Confidentiality,
            code: "9".into()
        }));
        assert!(flags.contains(&Flag::UnknownSegment {
            segment: "DMZ".into()
        }));
    }

    #[test]
    fn disposal_needs_a_record() {
        assert_eq!(
            check("2", None, &[], Lifecycle::Disposed, None),
            vec![Flag::DisposalUnrecorded]
        );
        let blank = Disposal {
            method: " ".into(),
            by: "総務課".into(),
            at_ms: 0,
        };
        assert_eq!(
            check("2", None, &[], Lifecycle::Disposed, Some(&blank)),
            vec![Flag::DisposalUnrecorded]
        );
        let done = Disposal {
            method: "物理破壊".into(),
            by: "総務課 山本".into(),
            at_ms: 0,
        };
        assert!(check("2", None, &[], Lifecycle::Disposed, Some(&done)).is_empty());
    }

    #[test]
    fn flags_round_trip_through_json() {
        let flags = check(
            "3",
            Some(INTERNET),
            &["10.0.0.1"],
            Lifecycle::Disposed,
            None,
        );
        assert_eq!(flags.len(), 3);
        let text = serde_json::to_string(&flags).unwrap();
        let back: Vec<Flag> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, flags);
    }

    #[test]
    fn lifecycles_parse_from_codes_and_japanese() {
        for l in Lifecycle::ALL {
            assert_eq!(Lifecycle::parse(l.as_str()), Some(l));
        }
        assert_eq!(Lifecycle::parse("運用中"), Some(Lifecycle::InUse));
        assert_eq!(Lifecycle::parse("廃棄済み"), Some(Lifecycle::Disposed));
        assert_eq!(Lifecycle::parse("紛失"), None);
    }

    #[test]
    fn kinds_parse_from_codes_and_japanese() {
        assert_eq!(AssetKind::parse("情報システム"), Some(AssetKind::System));
        assert_eq!(AssetKind::parse("media"), Some(AssetKind::Media));
        assert_eq!(
            AssetKind::parse("システム関連文書"),
            Some(AssetKind::Document)
        );
        assert_eq!(AssetKind::parse("ロボット"), None);
    }

    #[test]
    fn the_split_review_flag_is_kept_by_recomputation() {
        let review = Flag::SplitReview {
            from: "3".into(),
            to: "3A".into(),
        };
        assert_eq!(review.subject(), "機密性3 → 機密性3A");
        let before = vec![Flag::DisposalUnrecorded, review.clone()];
        let mut fresh = check("1", None, &[], Lifecycle::InUse, None);
        carry_review(&before, &mut fresh);
        assert_eq!(fresh, vec![review.clone()]);
        carry_review(&before, &mut fresh);
        assert_eq!(fresh, vec![review], "carried once");
        let text = serde_json::to_string(&fresh).unwrap();
        assert!(text.contains(r#""kind":"split_review""#), "{text}");
    }

    #[rstest::rstest]
    #[case("mail01", true)]
    #[case("Mail01.City.Example.LG.JP", true)]
    #[case("win_pc-3", true)]
    #[case("a..b", false)]
    #[case(".a", false)]
    #[case("a.", false)]
    #[case("-a", false)]
    #[case("a-", false)]
    #[case("a b", false)]
    #[case("ホスト", false)]
    #[case("", false)]
    fn host_names_follow_one_rule(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(parse_host(raw).is_ok(), ok, "{raw}");
    }

    #[test]
    fn hosts_are_lower_case_once_each_and_at_most_256() {
        assert_eq!(
            parse_hosts(["Mail", "mail", "web"]).unwrap(),
            vec!["mail".to_owned(), "web".to_owned()]
        );
        let many: Vec<String> = (0..257).map(|i| format!("h{i}")).collect();
        assert!(parse_hosts(&many).is_err());
    }

    #[test]
    fn a_location_is_one_line() {
        assert_eq!(parse_location("  本庁舎 3階 ").unwrap(), "本庁舎 3階");
        assert_eq!(parse_location("").unwrap(), "");
        assert!(parse_location("本庁舎\n3階").is_err());
        assert!(parse_location(&"長".repeat(201)).is_err());
    }
}
