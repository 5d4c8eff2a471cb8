//! FortiGate traffic logs: `key=value` pairs, values quoted when they may hold spaces
//! (`date=2026-12-01 time=10:00:00 devname="FGT60F" … type="traffic" … srcip=… dstip=…`).
//! Lines of other types (`event`, `utm`) are skipped; `action="deny"` marks the flow blocked.

use mamori_core::crossing::Proto;

use crate::event::{Ctx, Event, Kind, Parsed, parse_ip, parse_port, parse_timestamp};

/// The `key=value` pairs of a line, quotes taken off (a `\"` inside quotes does not end it).
pub fn pairs(body: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        loop {
            while let [b' ' | b'\t', tail @ ..] = rest {
                rest = tail;
            }
            if rest.is_empty() {
                return None;
            }
            let key_end = rest.iter().position(|b| matches!(b, b'=' | b' '));
            match key_end {
                Some(k) if rest[k] == b'=' => {
                    let key = &rest[..k];
                    let after = &rest[k + 1..];
                    if let Some(quoted) = after.strip_prefix(b"\"") {
                        let mut i = 0;
                        while i < quoted.len() && quoted[i] != b'"' {
                            i += if quoted[i] == b'\\' { 2 } else { 1 };
                        }
                        let end = i.min(quoted.len());
                        rest = quoted.get(end + 1..).unwrap_or_default();
                        return Some((key, &quoted[..end]));
                    }
                    let end = memchr::memchr(b' ', after).unwrap_or(after.len());
                    rest = &after[end..];
                    return Some((key, &after[..end]));
                }
                Some(k) => rest = &rest[k..],
                None => return None,
            }
        }
    })
}

/// Reads the message of one line (syslog header already taken off).
pub fn read(body: &[u8], ctx: Ctx) -> Parsed<'_> {
    let (mut date, mut time, mut tz, mut kind) = (None, None, None, None);
    let (mut src, mut dst, mut spt, mut dpt, mut proto, mut action) =
        (None, None, None, None, None, None);
    for (key, value) in pairs(body).take(500) {
        let slot = match key {
            b"date" => &mut date,
            b"time" => &mut time,
            b"tz" => &mut tz,
            b"type" => &mut kind,
            b"srcip" => &mut src,
            b"dstip" => &mut dst,
            b"srcport" => &mut spt,
            b"dstport" => &mut dpt,
            b"proto" => &mut proto,
            b"action" => &mut action,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    match kind {
        Some(b"traffic") => {}
        Some(_) => return Parsed::Skipped,
        None => return Parsed::Bad("no type="),
    }
    let (Some(date), Some(clock)) = (date, time) else {
        return Parsed::Bad("no date=/time=");
    };
    let mut stamp = Vec::with_capacity(32);
    stamp.extend_from_slice(date);
    stamp.push(b' ');
    stamp.extend_from_slice(clock);
    if let Some(tz) = tz {
        if tz.len() > 6 {
            return Parsed::Bad("bad tz=");
        }
        stamp.extend_from_slice(tz);
    }
    let Some(time) = parse_timestamp(&stamp, ctx.local_offset) else {
        return Parsed::Bad("bad date=/time=/tz=");
    };
    let (Some(src), Some(dst)) = (src.and_then(parse_ip), dst.and_then(parse_ip)) else {
        return Parsed::Bad("no valid srcip=/dstip=");
    };
    let port = |raw: Option<&[u8]>| match raw {
        None => Ok(None),
        Some(r) => parse_port(r).map(Some).ok_or(()),
    };
    let (Ok(src_port), Ok(dst_port)) = (port(spt), port(dpt)) else {
        return Parsed::Bad("bad srcport=/dstport=");
    };
    let proto = proto
        .and_then(|p| std::str::from_utf8(p).ok())
        .map_or(Proto::Other, Proto::from_log);
    let blocked = matches!(action, Some(b"deny" | b"block" | b"drop"));
    Parsed::Event(Event {
        time,
        kind: Kind::Flow,
        src,
        dst,
        src_port,
        dst_port,
        proto,
        community_id: None,
        blocked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"date=2026-12-01 time=10:00:00 devname="FGT60F" devid="FGT60FTK0000000" eventtime=1796086800000000000 tz="+0900" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=172.16.1.10 srcport=50000 srcintf="internal" srcintfrole="lan" dstip=203.0.113.23 dstport=23 dstintf="wan1" dstintfrole="wan" srccountry="Reserved" dstcountry="Japan" sessionid=12345 proto=6 action="accept" policyid=3 policytype="policy" service="TELNET" trandisp="snat" duration=5 sentbyte=100 rcvdbyte=200 msg="a \"quoted\" note with spaces""#;

    #[test]
    fn a_traffic_line() {
        let Parsed::Event(e) = read(LINE.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert_eq!(
            (e.dst_port, e.proto, e.blocked),
            (Some(23), Proto::Tcp, false)
        );
        assert_eq!(Some(e.time), parse_timestamp(b"2026-12-01T01:00:00Z", 0));
        let deny = LINE
            .replace(r#"action="accept""#, r#"action="deny""#)
            .replace(r#"tz="+0900" "#, "");
        let Parsed::Event(e) = read(deny.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert!(e.blocked);
        assert_eq!(
            Some(e.time),
            parse_timestamp(b"2026-12-01T01:00:00Z", 0),
            "local time is JST"
        );
        let event = LINE.replace(r#"type="traffic""#, r#"type="event""#);
        assert_eq!(read(event.as_bytes(), Ctx::default()), Parsed::Skipped);
    }

    #[test]
    fn pairs_survive_hostile_quoting() {
        let got: Vec<_> = pairs(br#"a=1 b="x y" c="unterminated d=4"#).collect();
        assert_eq!(
            got,
            [
                (&b"a"[..], &b"1"[..]),
                (b"b", b"x y"),
                (b"c", b"unterminated d=4")
            ]
        );
        let got: Vec<_> = pairs(br#"lonely word k="\"" z=\"#).collect();
        assert_eq!(got, [(&b"k"[..], &br#"\""#[..]), (b"z", b"\\")]);
        assert_eq!(pairs(b"=").collect::<Vec<_>>(), [(&b""[..], &b""[..])]);
        assert_eq!(pairs(b"k=\"\\").count(), 1);
    }

    #[test]
    fn hostile_lines_are_refused() {
        for bad in [
            LINE.replace("dstport=23", "dstport=65536"),
            LINE.replace("srcip=172.16.1.10", "srcip=172.16.1"),
            LINE.replace("time=10:00:00", "time=25:00:00"),
            LINE.replace(r#"tz="+0900""#, r#"tz="+99999999""#),
            LINE.replace(r#"type="traffic""#, ""),
            LINE[..60].to_owned(),
            "\0=\0 \u{fffd}".into(),
        ] {
            assert!(
                matches!(read(bad.as_bytes(), Ctx::default()), Parsed::Bad(_)),
                "{bad}"
            );
        }
    }
}
