//! Zeek `conn.log`: the TSV form, whose columns are named by its `#fields` header line (with
//! `#separator` and `#unset_field`), and the JSON form (one object per line).

use std::borrow::Cow;

use mamori_core::crossing::Proto;
use serde::Deserialize;

use crate::event::{Ctx, Event, Kind, Parsed, parse_epoch, parse_ip, parse_port, parse_timestamp};

/// What a TSV log's header said: where each column mamori reads is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsvHeader {
    separator: u8,
    unset: Vec<u8>,
    ts: Option<usize>,
    orig_h: Option<usize>,
    orig_p: Option<usize>,
    resp_h: Option<usize>,
    resp_p: Option<usize>,
    proto: Option<usize>,
    community_id: Option<usize>,
    /// The header named every column mamori needs.
    complete: bool,
}

impl Default for TsvHeader {
    fn default() -> Self {
        TsvHeader {
            separator: b'\t',
            unset: b"-".to_vec(),
            ts: None,
            orig_h: None,
            orig_p: None,
            resp_h: None,
            resp_p: None,
            proto: None,
            community_id: None,
            complete: false,
        }
    }
}

impl TsvHeader {
    pub fn has_fields(&self) -> bool {
        self.complete
    }
}

/// `\x09` as Zeek writes the separator, or the character itself.
fn unescape_separator(raw: &[u8]) -> Option<u8> {
    match raw {
        [b'\\', b'x', h, l] => {
            let hex = |c: u8| (c as char).to_digit(16);
            u8::try_from(hex(*h)? * 16 + hex(*l)?).ok()
        }
        [c] => Some(*c),
        _ => None,
    }
}

/// Reads one line of a TSV `conn.log`, header lines included (they update `header`).
pub fn read_tsv<'a>(line: &'a [u8], header: &mut TsvHeader, _ctx: Ctx) -> Parsed<'a> {
    if let Some(directive) = line.strip_prefix(b"#") {
        if let Some(sep) = directive.strip_prefix(b"separator ") {
            return match unescape_separator(sep) {
                Some(s) if s != b'\n' => {
                    header.separator = s;
                    Parsed::Skipped
                }
                _ => Parsed::Bad("bad #separator"),
            };
        }
        let separator = header.separator;
        let mut parts = directive.split(move |b| *b == separator);
        let name = parts.next().unwrap_or_default();
        match name {
            b"unset_field" => {
                header.unset = parts.next().unwrap_or(b"-").to_vec();
            }
            b"fields" => {
                let sep = header.separator;
                let unset = std::mem::take(&mut header.unset);
                *header = TsvHeader {
                    separator: sep,
                    unset,
                    ..TsvHeader::default()
                };
                for (i, field) in parts.enumerate().take(1000) {
                    let slot = match field {
                        b"ts" => &mut header.ts,
                        b"id.orig_h" => &mut header.orig_h,
                        b"id.orig_p" => &mut header.orig_p,
                        b"id.resp_h" => &mut header.resp_h,
                        b"id.resp_p" => &mut header.resp_p,
                        b"proto" => &mut header.proto,
                        b"community_id" => &mut header.community_id,
                        _ => continue,
                    };
                    *slot = Some(i);
                }
                header.complete = header.ts.is_some()
                    && header.orig_h.is_some()
                    && header.resp_h.is_some()
                    && header.proto.is_some();
                if !header.complete {
                    return Parsed::Bad("#fields lacks ts, id.orig_h, id.resp_h or proto");
                }
            }
            _ => {}
        }
        return Parsed::Skipped;
    }
    if !header.complete {
        return Parsed::Bad("a conn.log line before its #fields header");
    }
    let cols: Vec<&[u8]> = line.split(|b| *b == header.separator).take(1000).collect();
    let get = |idx: Option<usize>| -> Option<&'a [u8]> {
        let v = *cols.get(idx?)?;
        (v != header.unset.as_slice() && !v.is_empty()).then_some(v)
    };
    let Some(time) = get(header.ts).and_then(parse_epoch) else {
        return Parsed::Bad("bad ts");
    };
    let (Some(src), Some(dst)) = (
        get(header.orig_h).and_then(parse_ip),
        get(header.resp_h).and_then(parse_ip),
    ) else {
        return Parsed::Bad("bad id.orig_h/id.resp_h");
    };
    let port = |idx| match get(idx) {
        None => Ok(None),
        Some(raw) => parse_port(raw).map(Some).ok_or("bad port"),
    };
    let (Ok(src_port), Ok(dst_port)) = (port(header.orig_p), port(header.resp_p)) else {
        return Parsed::Bad("bad id.orig_p/id.resp_p");
    };
    let proto = get(header.proto)
        .and_then(|p| std::str::from_utf8(p).ok())
        .map_or(Proto::Other, Proto::from_log);
    let community_id = get(header.community_id)
        .filter(|c| c.len() <= 128)
        .and_then(|c| std::str::from_utf8(c).ok())
        .map(Cow::Borrowed);
    Parsed::Event(Event {
        time,
        kind: Kind::Flow,
        src,
        dst,
        src_port,
        dst_port,
        proto,
        community_id,
        blocked: false,
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Ts<'a> {
    Number(f64),
    Text(#[serde(borrow)] Cow<'a, str>),
}

#[derive(Deserialize)]
struct ConnJson<'a> {
    #[serde(borrow)]
    ts: Ts<'a>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Cow<'a, str>,
    #[serde(rename = "id.orig_p", default)]
    orig_p: Option<i64>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Cow<'a, str>,
    #[serde(rename = "id.resp_p", default)]
    resp_p: Option<i64>,
    #[serde(borrow, default)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    community_id: Option<Cow<'a, str>>,
}

/// Reads one line of a JSON `conn.log`.
pub fn read_json(line: &[u8], ctx: Ctx) -> Parsed<'_> {
    let Ok(conn) = serde_json::from_slice::<ConnJson<'_>>(line) else {
        return Parsed::Bad("not a Zeek conn JSON object");
    };
    let time = match conn.ts {
        Ts::Number(t) if t.is_finite() && (0.0..253_402_300_800.0).contains(&t) => t as i64,
        Ts::Text(t) => match parse_timestamp(t.as_bytes(), ctx.local_offset) {
            Some(t) => t,
            None => return Parsed::Bad("bad ts"),
        },
        Ts::Number(_) => return Parsed::Bad("bad ts"),
    };
    let (Some(src), Some(dst)) = (
        parse_ip(conn.orig_h.as_bytes()),
        parse_ip(conn.resp_h.as_bytes()),
    ) else {
        return Parsed::Bad("bad id.orig_h/id.resp_h");
    };
    let port = |p: Option<i64>| p.map(u16::try_from).transpose();
    let (Ok(src_port), Ok(dst_port)) = (port(conn.orig_p), port(conn.resp_p)) else {
        return Parsed::Bad("port out of range");
    };
    Parsed::Event(Event {
        time,
        kind: Kind::Flow,
        src,
        dst,
        src_port,
        dst_port,
        proto: conn.proto.as_deref().map_or(Proto::Other, Proto::from_log),
        community_id: conn
            .community_id
            .filter(|c| !c.is_empty() && c.len() <= 128),
        blocked: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2026-12-01-10-00-00
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring";

    fn header() -> TsvHeader {
        let mut h = TsvHeader::default();
        for line in HEADER.lines() {
            assert_eq!(
                read_tsv(line.as_bytes(), &mut h, Ctx::default()),
                Parsed::Skipped,
                "{line}"
            );
        }
        assert!(h.has_fields());
        h
    }

    #[test]
    fn tsv_lines_follow_their_header() {
        let mut h = header();
        let line = "1764583200.123456\tCHhAvVGS1DHFjwGM9\t172.16.1.10\t53000\t8.8.8.8\t53\tudp\tdns\t0.01\t40\t56\tSF\tT\tF\t0\tDd\t1\t68\t1\t84\t-\t1:abc=";
        let Parsed::Event(e) = read_tsv(line.as_bytes(), &mut h, Ctx::default()) else {
            panic!()
        };
        assert_eq!(
            (e.time, e.proto, e.dst_port),
            (1_764_583_200, Proto::Udp, Some(53))
        );
        assert_eq!(e.community_id.as_deref(), Some("1:abc="));
        // ICMP: unset ports.
        let icmp = "1764583200.1\tC2\tfe80::1\t-\t2001:db8::1\t-\ticmp\t-\t-\t-\t-\tOTH\t-\t-\t0\t-\t1\t1\t0\t0\t-\t-";
        let Parsed::Event(e) = read_tsv(icmp.as_bytes(), &mut h, Ctx::default()) else {
            panic!()
        };
        assert_eq!((e.src_port, e.community_id), (None, None));
        // A different column order in a later header is followed.
        let mut h2 = TsvHeader::default();
        read_tsv(
            b"#fields\tproto\tid.resp_h\tid.orig_h\tts",
            &mut h2,
            Ctx::default(),
        );
        let Parsed::Event(e) = read_tsv(
            b"tcp\t10.0.0.2\t10.0.0.1\t1764583200",
            &mut h2,
            Ctx::default(),
        ) else {
            panic!()
        };
        assert_eq!(e.src, "10.0.0.1".parse::<std::net::IpAddr>().unwrap());
    }

    #[test]
    fn tsv_hostile_lines_are_refused() {
        let mut fresh = TsvHeader::default();
        assert!(matches!(
            read_tsv(b"1764583200\t1.1.1.1", &mut fresh, Ctx::default()),
            Parsed::Bad(_)
        ));
        assert!(matches!(
            read_tsv(b"#fields\tuid", &mut fresh, Ctx::default()),
            Parsed::Bad(_)
        ));
        assert!(matches!(
            read_tsv(b"#separator \\xZZ", &mut fresh, Ctx::default()),
            Parsed::Bad(_)
        ));
        let mut h = header();
        for bad in [
            &b""[..],
            b"1764583200.1\tC\t172.16.1.10\t70000\t8.8.8.8\t53\tudp",
            b"1764583200.1\tC\t172.16.1.10\t1\t8.8.8.999\t53\tudp",
            b"-1\tC\t172.16.1.10\t1\t8.8.8.8\t53\tudp",
            b"1764583200.1\tC\t172.16.1.10",
            b"1764583200.1\tC\t\xff\xfe\t1\t8.8.8.8\t53\tudp",
            b"\0\0\0\t\0",
        ] {
            assert!(
                matches!(read_tsv(bad, &mut h, Ctx::default()), Parsed::Bad(_)),
                "{bad:?}"
            );
        }
        let huge = "\t".repeat(100_000);
        assert!(matches!(
            read_tsv(huge.as_bytes(), &mut h, Ctx::default()),
            Parsed::Bad(_)
        ));
    }

    #[test]
    fn json_lines() {
        let line = r#"{"ts":1764583200.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"10.20.0.5","id.orig_p":52000,"id.resp_h":"172.16.1.10","id.resp_p":3389,"proto":"tcp","service":"rdp","duration":0.1,"conn_state":"SF","community_id":"1:xyz="}"#;
        let Parsed::Event(e) = read_json(line.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert_eq!(
            (e.time, e.dst_port, e.proto),
            (1_764_583_200, Some(3389), Proto::Tcp)
        );
        let iso = line.replace("1764583200.305988", r#""2026-12-01T10:00:00.305988Z""#);
        assert!(matches!(
            read_json(iso.as_bytes(), Ctx::default()),
            Parsed::Event(_)
        ));
        for bad in [
            line.replace("52000", "65536"),
            line.replace("1764583200.305988", "1e300"),
            line.replace("1764583200.305988", "-5"),
            line.replace("10.20.0.5", "not-an-ip"),
            line.replace(r#""id.orig_h":"10.20.0.5","#, ""),
            line[..40].to_owned(),
            "null".into(),
        ] {
            assert!(
                matches!(read_json(bad.as_bytes(), Ctx::default()), Parsed::Bad(_)),
                "{bad}"
            );
        }
    }
}
