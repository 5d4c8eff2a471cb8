//! ネットワークセグメント (LGWAN接続系, インターネット接続系, マイナンバー利用事務系 …): data, not an
//! enum, because sites differ. Each segment has address ranges; the monitor and the asset
//! register place addresses with them.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::text::{FieldError, FieldErrorKind, Name, list_items};

/// A segment as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SegmentId(pub i64);

impl std::fmt::Display for SegmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Segment code: 1–32 ASCII letters, digits, `-` or `_`, stored upper-case (`LGWAN`).
pub fn parse_segment_code(raw: &str) -> Result<String, FieldError> {
    crate::org::parse_code(raw).map_err(|e| FieldError::new("segment_code", e.kind))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Short code, e.g. `LGWAN`.
    pub code: String,
    pub name: Name,
    pub ranges: Vec<IpNet>,
    pub note: String,
}

impl Segment {
    pub fn contains(&self, address: IpAddr) -> bool {
        self.ranges.iter().any(|net| net.contains(&address))
    }
}

/// Reads address ranges as written in a form or a sheet: CIDR blocks or single addresses,
/// separated as [`list_items`] reads them. Host bits are cleared (`10.1.2.3/16` → `10.1.0.0/16`).
pub fn parse_ranges(field: &'static str, raw: &str) -> Result<Vec<IpNet>, FieldError> {
    parse_range_list(field, list_items(raw))
}

/// Address ranges given one by one (a JSON list); each item is one range.
pub fn parse_range_list<I, S>(field: &'static str, items: I) -> Result<Vec<IpNet>, FieldError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut ranges = Vec::new();
    for item in items {
        let token = item.as_ref().trim();
        if ranges.len() >= 1000 {
            return Err(FieldError::new(
                field,
                FieldErrorKind::TooLong { max: 1000 },
            ));
        }
        let net =
            parse_range(token).ok_or(FieldError::new(field, FieldErrorKind::InvalidFormat))?;
        if !ranges.contains(&net) {
            ranges.push(net);
        }
    }
    Ok(ranges)
}

/// One address range: a CIDR block with its host bits cleared (`10.1.2.3/16` → `10.1.0.0/16`,
/// the block that was meant), or a single address as a block of one (`/32`, `/128`).
pub fn parse_range(token: &str) -> Option<IpNet> {
    match token.parse::<IpNet>() {
        Ok(net) => Some(net.trunc()),
        Err(_) => token.parse::<IpAddr>().ok().map(IpNet::from),
    }
}

/// Reads host addresses (no ranges) of an asset, separated as [`list_items`] reads them.
pub fn parse_addresses(field: &'static str, raw: &str) -> Result<Vec<IpAddr>, FieldError> {
    parse_address_list(field, list_items(raw))
}

/// Host addresses given one by one (a JSON list); each item is one address.
pub fn parse_address_list<I, S>(field: &'static str, items: I) -> Result<Vec<IpAddr>, FieldError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut addresses = Vec::new();
    for item in items {
        if addresses.len() >= 256 {
            return Err(FieldError::new(field, FieldErrorKind::TooLong { max: 256 }));
        }
        let addr = item
            .as_ref()
            .trim()
            .parse::<IpAddr>()
            .map_err(|_| FieldError::new(field, FieldErrorKind::InvalidFormat))?;
        if !addresses.contains(&addr) {
            addresses.push(addr);
        }
    }
    Ok(addresses)
}

/// The segment that holds an address; the most specific range wins when ranges overlap.
pub fn locate(segments: &[Segment], address: IpAddr) -> Option<&Segment> {
    segments
        .iter()
        .filter_map(|s| {
            s.ranges
                .iter()
                .filter(|n| n.contains(&address))
                .map(|n| n.prefix_len())
                .max()
                .map(|len| (len, s))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(code: &str, ranges: &str) -> Segment {
        Segment {
            code: code.into(),
            name: Name::parse("name", code).unwrap(),
            ranges: parse_ranges("ranges", ranges).unwrap(),
            note: String::new(),
        }
    }

    #[test]
    fn ranges_parse_in_the_ways_people_write_them() {
        let ranges = parse_ranges(
            "ranges",
            "10.1.0.0/16, 10.2.3.4;192.168.0.0/24\n2001:db8::/32、10.1.2.3/16",
        )
        .unwrap();
        let shown: Vec<String> = ranges.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "10.1.0.0/16",
                "10.2.3.4/32",
                "192.168.0.0/24",
                "2001:db8::/32"
            ]
        );
        assert!(parse_ranges("ranges", "").unwrap().is_empty());
    }

    #[test]
    fn one_range_is_a_block_or_an_address() {
        let block = |s: &str| parse_range(s).map(|n| n.to_string());
        assert_eq!(block("10.1.2.3/16").as_deref(), Some("10.1.0.0/16"));
        assert_eq!(block("fd00::1/8").as_deref(), Some("fd00::/8"));
        assert_eq!(block("192.0.2.1").as_deref(), Some("192.0.2.1/32"));
        assert_eq!(block("::1").as_deref(), Some("::1/128"));
        for bad in [
            "",
            " 10.0.0.0/8",
            "10.0.0.0/33",
            "::1/129",
            "abc",
            "10.0.0.0/",
        ] {
            assert_eq!(parse_range(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn garbage_ranges_are_refused() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0",
            "example.jp",
            "10.0.0.0/8/8",
            "::ffff::1",
            "１０.0.0.1",
        ] {
            assert!(parse_ranges("ranges", bad).is_err(), "{bad}");
        }
        let huge = (0..1001)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse_ranges("ranges", &huge).is_err());
    }

    #[test]
    fn addresses_are_located_by_the_most_specific_range() {
        let segments = [
            segment("LGWAN", "10.0.0.0/8"),
            segment("MYNUMBER", "10.9.0.0/16"),
            segment("INTERNET", "172.16.0.0/12"),
        ];
        let at = |a: &str| locate(&segments, a.parse().unwrap()).map(|s| s.code.as_str());
        assert_eq!(at("10.1.2.3"), Some("LGWAN"));
        assert_eq!(at("10.9.2.3"), Some("MYNUMBER"));
        assert_eq!(at("172.20.0.1"), Some("INTERNET"));
        assert_eq!(at("8.8.8.8"), None);
    }

    #[test]
    fn host_addresses_refuse_ranges() {
        assert!(parse_addresses("addresses", "10.0.0.1, 10.0.0.2").is_ok());
        assert!(parse_addresses("addresses", "10.0.0.0/24").is_err());
    }
}
