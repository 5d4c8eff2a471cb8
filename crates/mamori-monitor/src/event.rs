//! The one normalised event every reader produces, and the time parsing they share.

use std::borrow::Cow;
use std::net::IpAddr;

use mamori_core::crossing::Proto;

/// What a log line said happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A connection (a flow record, a firewall's traffic line, a proxy request).
    Flow,
    /// An IDS detection, with its signature id and text.
    Ids { sid: u64, signature: Cow<'a, str> },
    /// A DNS transaction (EVE `dns`).
    Dns,
    /// An HTTP request (EVE `http`); `basic_auth` when the log shows an `Authorization: Basic`.
    Http { basic_auth: bool },
    /// A TLS handshake (EVE `tls`).
    Tls,
}

/// One event: both ends, the transport and the log's own time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// Seconds since the epoch, as the log wrote it (not the clock).
    pub time: i64,
    pub kind: Kind<'a>,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    pub proto: Proto,
    /// The flow's Community ID where the sensor logs one.
    pub community_id: Option<Cow<'a, str>>,
    /// The firewall refused the connection (it was tried, not carried).
    pub blocked: bool,
}

/// What a reader made of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Event(Event<'a>),
    /// A well-formed line that carries no event mamori reads (another EVE type, a header line).
    Skipped,
    /// Not a line of the format: why, for the summary.
    Bad(&'static str),
}

/// Context a reader may need that the line itself lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// Offset of the site's local time from UTC, for logs that write local time without a zone.
    pub local_offset: i32,
    /// A time near the line's (the last event's), to give a year to a syslog time without one.
    pub reference: i64,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx {
            local_offset: 9 * 3600,
            reference: 0,
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a time (seconds since the epoch), UTC.
pub fn year_of(time: i64) -> i64 {
    chrono::DateTime::from_timestamp(time, 0)
        .map(|t| i64::from(chrono::Datelike::year(&t)))
        .unwrap_or(1970)
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Seconds since the epoch of a civil date and time, checked.
pub fn civil(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<i64> {
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    Some(
        days_from_civil(i64::from(y), mo, d) * 86_400
            + i64::from(h) * 3600
            + i64::from(mi) * 60
            + i64::from(s),
    )
}

/// Reads `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH[:]MM]` (also `/` between the date's parts);
/// without a zone the time is local (`local_offset`). Returns seconds since the epoch (UTC).
pub fn parse_timestamp(raw: &[u8], local_offset: i32) -> Option<i64> {
    if raw.len() < 19 {
        return None;
    }
    let sep = raw[4];
    if (sep != b'-' && sep != b'/') || raw[7] != sep || !matches!(raw[10], b'T' | b' ') {
        return None;
    }
    if raw[13] != b':' || raw[16] != b':' {
        return None;
    }
    let base = civil(
        digits(&raw[0..4])?,
        digits(&raw[5..7])?,
        digits(&raw[8..10])?,
        digits(&raw[11..13])?,
        digits(&raw[14..16])?,
        digits(&raw[17..19])?,
    )?;
    let mut rest = &raw[19..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 12 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        [] => i64::from(local_offset),
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), zone @ ..] => {
            let (h, m) = match zone {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = i64::from(h * 3600 + m * 60);
            if *sign == b'-' { -off } else { off }
        }
        _ => return None,
    };
    Some(base - offset)
}

/// Reads seconds since the epoch written as a decimal (`1764583200.123456`), as Zeek and Squid
/// write them. Times before 1970 or after 9999 are refused.
pub fn parse_epoch(raw: &[u8]) -> Option<i64> {
    let int = match memchr::memchr(b'.', raw) {
        Some(dot) => {
            let frac = &raw[dot + 1..];
            if frac.is_empty() || frac.len() > 12 || !frac.iter().all(u8::is_ascii_digit) {
                return None;
            }
            &raw[..dot]
        }
        None => raw,
    };
    if int.is_empty() || int.len() > 12 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = int.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    (secs <= 253_402_300_799).then_some(secs)
}

/// Reads a port written in decimal; out of range or not a number is `None`.
pub fn parse_port(raw: &[u8]) -> Option<u16> {
    if raw.is_empty() || raw.len() > 5 || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = raw.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    u16::try_from(n).ok()
}

/// Reads an IPv4 or IPv6 address (an IPv6 zone `%eth0` is dropped).
pub fn parse_ip(raw: &[u8]) -> Option<IpAddr> {
    if raw.is_empty() || raw.len() > 64 {
        return None;
    }
    if raw.len() <= 15
        && raw[0].is_ascii_digit()
        && raw.iter().all(|b| b.is_ascii_digit() || *b == b'.')
    {
        return parse_ipv4(raw).map(IpAddr::V4);
    }
    let s = std::str::from_utf8(raw).ok()?;
    let s = s.split_once('%').map_or(s, |(a, _)| a);
    s.parse().ok()
}

/// Dotted-quad IPv4, strictly (no leading zeros, as the standard library reads it), in one pass.
fn parse_ipv4(raw: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let (mut part, mut value, mut digits) = (0usize, 0u16, 0usize);
    for &b in raw {
        if b == b'.' {
            if digits == 0 || part == 3 {
                return None;
            }
            octets[part] = u8::try_from(value).ok()?;
            (part, value, digits) = (part + 1, 0, 0);
        } else {
            if digits == 3 || (digits == 1 && value == 0) {
                return None;
            }
            value = value * 10 + u16::from(b - b'0');
            digits += 1;
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    octets[3] = u8::try_from(value).ok()?;
    Some(std::net::Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_with_and_without_zones() {
        let t = parse_timestamp(b"2026-12-01T10:00:00.123456+0900", 0).unwrap();
        assert_eq!(t, parse_timestamp(b"2026-12-01T01:00:00Z", 0).unwrap());
        assert_eq!(
            t,
            parse_timestamp(b"2026-12-01 10:00:00", 9 * 3600).unwrap()
        );
        assert_eq!(t, parse_timestamp(b"2026/12/01 01:00:00+00:00", 0).unwrap());
        assert_eq!(
            parse_timestamp(b"1970-01-01T00:00:00Z", 0),
            Some(0),
            "the epoch itself"
        );
        assert_eq!(
            chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339(),
            "2026-12-01T01:00:00+00:00"
        );
        for bad in [
            &b""[..],
            b"2026-12-01",
            b"2026-13-01T00:00:00Z",
            b"2026-12-01T25:00:00Z",
            b"2026-12-01T10:00:00+9900",
            b"2026-12-01T10:00:00.Z",
            b"2026-12-01T10:00:00junk",
            b"99999-12-01T10:00:00Z",
            b"\0\0\0\0-\0\0-\0\0T\0\0:\0\0:\0\0",
            "２０２６-12-01T10:00:00Z".as_bytes(),
        ] {
            assert_eq!(parse_timestamp(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn epochs_ports_and_addresses() {
        assert_eq!(parse_epoch(b"1764583200.586"), Some(1_764_583_200));
        assert_eq!(parse_epoch(b"1764583200"), Some(1_764_583_200));
        for bad in [
            &b""[..],
            b".5",
            b"1.",
            b"-1",
            b"1e9",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_epoch(bad), None, "{bad:?}");
        }
        assert_eq!(parse_port(b"65535"), Some(65535));
        assert_eq!(parse_port(b"65536"), None);
        assert_eq!(parse_port(b"-1"), None);
        assert_eq!(parse_port(b"999999999999"), None);
        assert_eq!(parse_ip(b"fe80::1%eth0"), "fe80::1".parse().ok());
        assert_eq!(parse_ip(b"10.0.0.256"), None);
        for (raw, std) in [
            ("10.0.0.1", true),
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("01.0.0.1", false),
            ("1.2.3", false),
            ("1.2.3.4.5", false),
            ("1..3.4", false),
            ("1.2.3.", false),
            ("999.1.1.1", false),
        ] {
            assert_eq!(parse_ip(raw.as_bytes()), raw.parse().ok(), "{raw}");
            assert_eq!(parse_ip(raw.as_bytes()).is_some(), std, "{raw}");
        }
        assert_eq!(parse_ip(b"\xff\xfe"), None);
    }
}
