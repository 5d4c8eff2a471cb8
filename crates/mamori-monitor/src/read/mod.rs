//! The readers: each a pure function from one line's bytes to an [`Event`](crate::event::Event),
//! never fatal. [`read_line`] picks the reader of a [`Format`] (or detects it, per line, for
//! [`Format::Auto`]) and takes a syslog header off where the format is carried in syslog.

pub mod eve;
pub mod fortigate;
pub mod netfilter;
pub mod paloalto;
pub mod squid;
pub mod zeek;

use std::fmt;
use std::str::FromStr;

use memchr::memmem;
use serde::{Deserialize, Serialize};

use crate::event::{Ctx, Parsed, parse_epoch};
use crate::syslog;

/// The log formats mamori reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Format {
    /// Detected from each line's content.
    Auto,
    SuricataEve,
    /// Zeek `conn.log`, TSV or JSON.
    ZeekConn,
    Netfilter,
    FortiGate,
    PaloAlto,
    Squid,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Auto,
        Format::SuricataEve,
        Format::ZeekConn,
        Format::Netfilter,
        Format::FortiGate,
        Format::PaloAlto,
        Format::Squid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::SuricataEve => "suricata",
            Format::ZeekConn => "zeek",
            Format::Netfilter => "netfilter",
            Format::FortiGate => "fortigate",
            Format::PaloAlto => "paloalto",
            Format::Squid => "squid",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log format {0:?} (auto, suricata, zeek, netfilter, fortigate, paloalto, squid)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| UnknownFormat(raw.chars().take(40).collect()))
    }
}

impl TryFrom<String> for Format {
    type Error = UnknownFormat;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl From<Format> for String {
    fn from(format: Format) -> Self {
        format.as_str().to_owned()
    }
}

/// What a reader keeps between the lines of one stream (a file, a connection): the header of a
/// Zeek TSV log.
#[derive(Debug, Clone, Default)]
pub struct StreamState {
    zeek: zeek::TsvHeader,
}

fn json_format(line: &[u8]) -> Option<Format> {
    if memmem::find(line, b"\"event_type\"").is_some() {
        Some(Format::SuricataEve)
    } else if memmem::find(line, b"\"id.orig_h\"").is_some() {
        Some(Format::ZeekConn)
    } else {
        None
    }
}

fn looks_like_squid(line: &[u8]) -> bool {
    let mut fields = line.split(|b| *b == b' ').filter(|f| !f.is_empty());
    fields.next().is_some_and(|t| parse_epoch(t).is_some())
        && fields
            .nth(2)
            .is_some_and(|code| memchr::memchr(b'/', code).is_some())
}

/// Which reader a line is for, by its content; `None` if no reader's shape fits.
pub fn detect(line: &[u8], body: &[u8], state: &StreamState) -> Option<Format> {
    match line.first() {
        Some(b'{') => return json_format(line),
        Some(b'#') => return Some(Format::ZeekConn),
        _ => {}
    }
    if body.first() == Some(&b'{') {
        return json_format(body);
    }
    if memmem::find(body, b"SRC=").is_some() && memmem::find(body, b"DST=").is_some() {
        Some(Format::Netfilter)
    } else if memmem::find(body, b"devname=").is_some() || memmem::find(body, b"srcip=").is_some() {
        Some(Format::FortiGate)
    } else if memmem::find(line, b",TRAFFIC,").is_some()
        || memmem::find(line, b",THREAT,").is_some()
    {
        Some(Format::PaloAlto)
    } else if state.zeek.has_fields() && memchr::memchr(b'\t', line).is_some() {
        Some(Format::ZeekConn)
    } else if looks_like_squid(body) {
        Some(Format::Squid)
    } else {
        None
    }
}

/// Reads one line (without its line end) in `format`.
pub fn read_line<'a>(
    format: Format,
    line: &'a [u8],
    state: &mut StreamState,
    ctx: Ctx,
) -> (Format, Parsed<'a>) {
    let (header_time, body) = match line.first() {
        Some(b'{' | b'#') => (None, line),
        _ => syslog::strip(line, ctx),
    };
    let format = match format {
        Format::Auto => match detect(line, body, state) {
            Some(f) => f,
            None => return (Format::Auto, Parsed::Bad("no reader recognises this line")),
        },
        f => f,
    };
    let parsed = match format {
        Format::SuricataEve => eve::read(body, ctx),
        Format::ZeekConn if body.first() == Some(&b'{') => zeek::read_json(body, ctx),
        Format::ZeekConn => zeek::read_tsv(line, &mut state.zeek, ctx),
        Format::Netfilter => netfilter::read(body, header_time),
        Format::FortiGate => fortigate::read(body, ctx),
        Format::PaloAlto => paloalto::read(line, ctx),
        Format::Squid => squid::read(body),
        Format::Auto => Parsed::Bad("no reader recognises this line"),
    };
    (format, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!("Suricata".parse::<Format>(), Ok(Format::SuricataEve));
        assert!("eve\0".parse::<Format>().is_err());
        assert!("".parse::<Format>().is_err());
    }

    #[test]
    fn auto_detects_each_format_by_content() {
        let cases: [(&[u8], Format); 8] = [
            (br#"{"timestamp":"2026-12-01T10:00:00Z","event_type":"flow"}"#, Format::SuricataEve),
            (br#"{"ts":1.0,"id.orig_h":"10.0.0.1"}"#, Format::ZeekConn),
            (b"#fields\tts", Format::ZeekConn),
            (b"<4>Dec  1 10:00:00 fw kernel: IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=TCP", Format::Netfilter),
            (br#"date=2026-12-01 time=10:00:00 devname="x" type="traffic""#, Format::FortiGate),
            (b"1,2026/12/01 10:00:00,0128,TRAFFIC,end,1", Format::PaloAlto),
            (b"1764583200.586 921 172.16.1.10 TCP_MISS/200 507 GET http://a/ - HIER_DIRECT/1.1.1.1 -", Format::Squid),
            (br#"<13>Dec  1 10:00:00 ids suricata[9]: {"event_type":"alert"}"#, Format::SuricataEve),
        ];
        let state = StreamState::default();
        for (line, want) in cases {
            let (_, body) = match line.first() {
                Some(b'{' | b'#') => (None, line),
                _ => syslog::strip(line, Ctx::default()),
            };
            assert_eq!(
                detect(line, body, &state),
                Some(want),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        for line in [&b""[..], b"hello world", b"{}", b"\xff\xfe\0", b"1\t2\t3"] {
            assert_eq!(detect(line, line, &state), None, "{line:?}");
        }
    }
}
