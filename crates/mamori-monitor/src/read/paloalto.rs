//! Palo Alto Networks (PAN-OS) logs in their syslog CSV form, by the documented field positions:
//! `FUTURE_USE, Receive Time, Serial Number, Type, Subtype, FUTURE_USE, Generated Time, Source
//! Address, Destination Address, …, Source Port (24), Destination Port (25), …, Protocol (29),
//! Action (30)`; THREAT lines add `URL/Filename (31), Threat ID (32)`. TRAFFIC lines are flows,
//! THREAT lines IDS alerts; other types are skipped. Times are the firewall's local time.

use std::borrow::Cow;

use mamori_core::crossing::Proto;

use crate::event::{Ctx, Event, Kind, Parsed, parse_ip, parse_port, parse_timestamp};

const GENERATED: usize = 6;
const SRC: usize = 7;
const DST: usize = 8;
const SPORT: usize = 24;
const DPORT: usize = 25;
const PROTO: usize = 29;
const ACTION: usize = 30;
const THREAT_ID: usize = 32;

/// Splits one CSV record: `,` between fields, `"…"` around a field that holds commas, `""` for
/// a quote inside one. At most `max` fields.
pub fn split_csv(line: &[u8], max: usize) -> Vec<Cow<'_, [u8]>> {
    let mut out = Vec::new();
    let mut i = 0;
    while out.len() < max {
        if line.get(i) == Some(&b'"') {
            let mut field = Vec::new();
            i += 1;
            while i < line.len() {
                if line[i] == b'"' {
                    if line.get(i + 1) == Some(&b'"') {
                        field.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                field.push(line[i]);
                i += 1;
            }
            // Anything between the closing quote and the next comma belongs to the field too.
            let end =
                memchr::memchr(b',', &line[i.min(line.len())..]).map_or(line.len(), |c| i + c);
            field.extend_from_slice(&line[i.min(end)..end]);
            out.push(Cow::Owned(field));
            i = end;
        } else {
            let end =
                memchr::memchr(b',', &line[i.min(line.len())..]).map_or(line.len(), |c| i + c);
            out.push(Cow::Borrowed(&line[i.min(end)..end]));
            i = end;
        }
        if i >= line.len() {
            break;
        }
        i += 1;
    }
    out
}

/// Where the CSV record starts in a syslog line: three fields before `,TRAFFIC,` or `,THREAT,`,
/// back to the space that ends the syslog header (the receive time holds a space of its own).
fn record(line: &[u8]) -> Option<(&[u8], bool)> {
    let (at, threat) = match memchr::memmem::find(line, b",TRAFFIC,") {
        Some(at) => (at, false),
        None => (memchr::memmem::find(line, b",THREAT,")?, true),
    };
    let before = &line[..at];
    let c2 = memchr::memrchr(b',', before)?;
    let c1 = memchr::memrchr(b',', &before[..c2])?;
    let start = memchr::memrchr(b' ', &before[..c1]).map_or(0, |s| s + 1);
    Some((&line[start..], threat))
}

/// Reads one line (with or without its syslog header).
pub fn read(line: &[u8], ctx: Ctx) -> Parsed<'_> {
    let Some((record, threat)) = record(line) else {
        return Parsed::Bad("no ,TRAFFIC, or ,THREAT, field");
    };
    let fields = split_csv(record, 120);
    if fields.len() <= if threat { THREAT_ID } else { ACTION } {
        return Parsed::Bad("too few fields");
    }
    let Some(time) = parse_timestamp(&fields[GENERATED], ctx.local_offset) else {
        return Parsed::Bad("bad Generated Time");
    };
    let (Some(src), Some(dst)) = (parse_ip(&fields[SRC]), parse_ip(&fields[DST])) else {
        return Parsed::Bad("bad Source/Destination Address");
    };
    let (Some(src_port), Some(dst_port)) = (parse_port(&fields[SPORT]), parse_port(&fields[DPORT]))
    else {
        return Parsed::Bad("bad Source/Destination Port");
    };
    let proto = std::str::from_utf8(&fields[PROTO]).map_or(Proto::Other, Proto::from_log);
    let action = &*fields[ACTION];
    let blocked = matches!(
        action,
        b"deny" | b"drop" | b"drop-icmp" | b"block-url" | b"block-ip"
    ) || action.starts_with(b"reset-");
    let kind = if threat {
        // `Name(12345)`: the signature and its id.
        let text = String::from_utf8_lossy(&fields[THREAT_ID]).into_owned();
        let sid = text
            .rsplit_once('(')
            .and_then(|(_, id)| id.strip_suffix(')'))
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        Kind::Ids {
            sid,
            signature: Cow::Owned(text.chars().take(500).collect()),
        }
    } else {
        Kind::Flow
    };
    let (src_port, dst_port) = if matches!(proto, Proto::Tcp | Proto::Udp) {
        (Some(src_port), Some(dst_port))
    } else {
        (None, None)
    };
    Parsed::Event(Event {
        time,
        kind,
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

    const TRAFFIC: &str = "<14>Dec  1 10:00:00 PA-220 1,2026/12/01 10:00:00,012801000001,TRAFFIC,end,2561,2026/12/01 10:00:00,172.16.1.10,203.0.113.21,192.0.2.1,203.0.113.21,allow-out,,,ftp,vsys1,inet-seg,untrust,ethernet1/2,ethernet1/1,log-fwd,2026/12/01 10:00:00,33760,1,50123,21,40001,21,0x400064,tcp,allow,1200,600,600,12,2026/12/01 09:59:50,10,any,0,7000,0x0,172.16.0.0-172.16.255.255,Japan,0,6,6";

    #[test]
    fn a_traffic_line_with_and_without_a_syslog_host() {
        let Parsed::Event(e) = read(TRAFFIC.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert_eq!(
            (e.dst_port, e.proto, e.blocked, e.kind),
            (Some(21), Proto::Tcp, false, Kind::Flow)
        );
        assert_eq!(Some(e.time), parse_timestamp(b"2026-12-01T01:00:00Z", 0));
        let bare = TRAFFIC.replace("<14>Dec  1 10:00:00 PA-220 ", "Dec  1 10:00:00 ");
        assert!(matches!(
            read(bare.as_bytes(), Ctx::default()),
            Parsed::Event(_)
        ));
        let deny = TRAFFIC.replace(",tcp,allow,", ",tcp,reset-both,");
        let Parsed::Event(e) = read(deny.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert!(e.blocked);
    }

    #[test]
    fn a_threat_line_is_an_ids_alert() {
        let threat = "1,2026/12/01 10:00:00,012801000001,THREAT,vulnerability,2561,2026/12/01 10:00:00,203.0.113.9,172.16.1.10,0.0.0.0,0.0.0.0,inbound,,,web-browsing,vsys1,untrust,inet-seg,ethernet1/1,ethernet1/2,log-fwd,2026/12/01 10:00:00,1,1,4444,80,0,0,0x2000,tcp,alert,\"/cgi-bin/a,b.cgi\",\"Bash Remote Code Execution Vulnerability(36729)\",any,critical,client-to-server,7001,0x0,US,172.16.0.0-172.16.255.255,0,,0";
        let Parsed::Event(e) = read(threat.as_bytes(), Ctx::default()) else {
            panic!()
        };
        assert_eq!(
            e.kind,
            Kind::Ids {
                sid: 36729,
                signature: "Bash Remote Code Execution Vulnerability(36729)".into()
            }
        );
    }

    #[test]
    fn csv_quoting_and_hostile_lines() {
        let f = split_csv(br#"a,"b,c","d""e",,"open"#, 10);
        let f: Vec<&[u8]> = f.iter().map(|c| &**c).collect();
        assert_eq!(f, [&b"a"[..], b"b,c", b"d\"e", b"", b"open"]);
        assert_eq!(split_csv(b",", 10).len(), 2);
        assert_eq!(split_csv(&[b','; 1000], 120).len(), 120);
        for bad in [
            TRAFFIC.replace(",50123,21,", ",50123,65536,"),
            TRAFFIC.replace("172.16.1.10", "::ffff:zz"),
            TRAFFIC.replace("2026/12/01 10:00:00,172", "soon,172"),
            TRAFFIC[..120].to_owned(),
            ",TRAFFIC,".into(),
            "x,TRAFFIC".into(),
            "\0,\0,\0,TRAFFIC,\u{fffd}".into(),
        ] {
            assert!(
                matches!(read(bad.as_bytes(), Ctx::default()), Parsed::Bad(_)),
                "{bad}"
            );
        }
    }
}
