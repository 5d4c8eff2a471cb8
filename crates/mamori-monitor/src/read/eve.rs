//! Suricata EVE JSON: one object per line; `flow`, `alert`, `dns`, `http` and `tls` are read,
//! every other `event_type` is skipped. Only the keys mamori uses are decoded; the rest of the
//! object (the `flow` counters, `tcp` flags, …) is checked as JSON and passed over.

use std::borrow::Cow;

use mamori_core::crossing::Proto;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::event::{Ctx, Event, Kind, Parsed, parse_ip, parse_port, parse_timestamp};

#[derive(Deserialize)]
struct Eve<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    src_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dest_ip: Option<Cow<'a, str>>,
    #[serde(default)]
    src_port: Option<i64>,
    #[serde(default)]
    dest_port: Option<i64>,
    #[serde(borrow, default)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    community_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    alert: Option<EveAlert<'a>>,
    #[serde(borrow, default)]
    http: Option<EveHttp<'a>>,
    #[serde(default)]
    dns: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct EveAlert<'a> {
    #[serde(default)]
    signature_id: Option<u64>,
    #[serde(borrow, default)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    action: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EveHttp<'a> {
    /// Logged when the sensor is told to log this header (`custom: [authorization]`).
    #[serde(borrow, default)]
    authorization: Option<Cow<'a, str>>,
    /// Logged with `dump-all-headers`.
    #[serde(borrow, default)]
    request_headers: Option<Vec<Header<'a>>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    value: Option<Cow<'a, str>>,
}

fn is_basic(value: &str) -> bool {
    value
        .trim_start()
        .get(..6)
        .is_some_and(|v| v.eq_ignore_ascii_case("basic "))
}

fn port(raw: Option<i64>) -> Result<Option<u16>, &'static str> {
    match raw {
        None => Ok(None),
        Some(p) => u16::try_from(p).map(Some).map_err(|_| "port out of range"),
    }
}

/// The top-level values of an EVE object that a flow event needs, as raw slices.
#[derive(Default)]
struct Top<'a> {
    event_type: Option<&'a [u8]>,
    timestamp: Option<&'a [u8]>,
    src_ip: Option<&'a [u8]>,
    dest_ip: Option<&'a [u8]>,
    src_port: Option<&'a [u8]>,
    dest_port: Option<&'a [u8]>,
    proto: Option<&'a [u8]>,
    community_id: Option<&'a [u8]>,
}

fn skip_ws(line: &[u8], mut i: usize) -> usize {
    while matches!(line.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

/// The first byte of `hay` that is one of `needles`, eight bytes at a time (SWAR): the strings
/// and objects of an EVE line are too short for a vector search to pay for its set-up.
#[inline(always)]
fn find_any<const N: usize>(hay: &[u8], needles: [u8; N]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = hay.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let mut found = 0u64;
        for n in needles {
            let x = word ^ (LO * u64::from(n));
            found |= x.wrapping_sub(LO) & !x & HI;
        }
        if found != 0 {
            // The lowest flagged byte is always a true match.
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| needles.contains(b))
        .map(|p| at + p)
}

/// The end (index of the closing quote) of a string whose content starts at `i`, and whether
/// it holds an escape.
#[inline(always)]
fn string_end(line: &[u8], mut i: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        let at = i + find_any(line.get(i..)?, [b'"', b'\\'])?;
        if line[at] == b'"' {
            return Some((at, escaped));
        }
        escaped = true;
        i = at + 2;
    }
}

/// How many bytes of `hay` are `needle`, eight at a time (exact: no borrow between bytes).
fn count_byte(hay: &[u8], needle: u8) -> usize {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = 0x0101_0101_0101_0101 * u64::from(needle);
    let mut chunks = hay.chunks_exact(8);
    let mut n = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ pattern;
        let zero = !(((x & LO7) + LO7) | x) & HI;
        n += zero.count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|b| **b == needle).count()
}

/// The index after a flat object opening at `i` (no object and no escape inside, as the
/// `flow` and `tcp` objects of a flow line are): its first `}` closes it when an even number of
/// quotes comes before, every quote then opening or closing a string. `None`: not that simple.
fn skip_flat_object(line: &[u8], i: usize) -> Option<usize> {
    let rest = line.get(i + 1..)?;
    let end = memchr::memchr(b'}', rest)?;
    let inside = &rest[..end];
    if memchr::memchr2(b'{', b'\\', inside).is_some() || !count_byte(inside, b'"').is_multiple_of(2)
    {
        return None;
    }
    Some(i + 1 + end + 1)
}

/// The index after the object or array that opens at `i`, strings inside skipped.
fn skip_nested(line: &[u8], i: usize) -> Option<usize> {
    if line[i] == b'{'
        && let Some(end) = skip_flat_object(line, i)
    {
        return Some(end);
    }
    let (open, close) = match line[i] {
        b'{' => (b'{', b'}'),
        _ => (b'[', b']'),
    };
    let mut depth = 0usize;
    let mut at = i;
    loop {
        at += find_any(line.get(at..)?, [b'"', open, close])?;
        let c = line[at];
        if c == b'"' {
            at = string_end(line, at + 1)?.0;
        } else if c == open {
            depth += 1;
            if depth > 64 {
                return None;
            }
        } else {
            depth -= 1;
            if depth == 0 {
                return Some(at + 1);
            }
        }
        at += 1;
    }
}

/// Finds the top-level keys a flow needs without decoding the rest: the object's structure is
/// followed (strings, nested objects and arrays skipped whole) but its scalars are not checked.
/// `None` when the line is not that simple (an escape in a key or a value read, a key twice,
/// a broken structure): the full parse decides.
fn scan_top(line: &[u8]) -> Option<Top<'_>> {
    let mut top = Top::default();
    let mut i = skip_ws(line, 0);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(line, i + 1);
    if line.get(i) == Some(&b'}') {
        return None;
    }
    loop {
        if line.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, key_escaped) = string_end(line, i + 1)?;
        if key_escaped {
            return None;
        }
        let key = &line[i + 1..key_end];
        i = skip_ws(line, key_end + 1);
        if line.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(line, i + 1);
        // (the value, whether it is a string, whether it holds an escape)
        let value = match *line.get(i)? {
            b'"' => {
                let (end, escaped) = string_end(line, i + 1)?;
                let v = &line[i + 1..end];
                i = end + 1;
                (v, true, escaped)
            }
            b'{' | b'[' => {
                let end = skip_nested(line, i)?;
                let v = &line[i..end];
                i = end;
                (v, false, false)
            }
            _ => {
                let n = line[i..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b' ' | b'\t' | b'\r' | b'\n'))?;
                if n == 0 {
                    return None;
                }
                let v = &line[i..i + n];
                i += n;
                (v, false, false)
            }
        };
        // (where it goes, whether it must be a string); `null` is read as absent.
        let slot = match key {
            b"event_type" => Some((&mut top.event_type, true)),
            b"timestamp" => Some((&mut top.timestamp, true)),
            b"src_ip" => Some((&mut top.src_ip, true)),
            b"dest_ip" => Some((&mut top.dest_ip, true)),
            b"src_port" => Some((&mut top.src_port, false)),
            b"dest_port" => Some((&mut top.dest_port, false)),
            b"proto" => Some((&mut top.proto, true)),
            b"community_id" => Some((&mut top.community_id, true)),
            _ => None,
        };
        if let Some((slot, string)) = slot {
            let (v, is_string, escaped) = value;
            if slot.is_some() || escaped || (is_string != string && (is_string || v != b"null")) {
                return None;
            }
            *slot = Some(v);
        }
        i = skip_ws(line, i);
        match line.get(i) {
            Some(b',') => i = skip_ws(line, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    (skip_ws(line, i + 1) == line.len()).then_some(top)
}

/// The fast path of a `flow` line; `None` leaves the line to the full parse.
fn read_flow(line: &[u8], ctx: Ctx) -> Option<Parsed<'_>> {
    let top = scan_top(line)?;
    if top.event_type != Some(b"flow") {
        return None;
    }
    let port = |raw: Option<&[u8]>| match raw {
        None | Some(b"null") => Some(None),
        Some(r) => parse_port(r).map(Some),
    };
    let event = (|| {
        let time = parse_timestamp(top.timestamp?, ctx.local_offset).ok_or("no valid timestamp");
        Some((time, parse_ip(top.src_ip?), parse_ip(top.dest_ip?)))
    })();
    let Some((time, Some(src), Some(dst))) = event else {
        return None;
    };
    let Ok(time) = time else {
        return Some(Parsed::Bad("no valid timestamp"));
    };
    let (Some(src_port), Some(dst_port)) = (port(top.src_port), port(top.dest_port)) else {
        return Some(Parsed::Bad("port out of range"));
    };
    let proto = match top.proto {
        None | Some(b"null") => Proto::Other,
        Some(p) => Proto::from_log(std::str::from_utf8(p).ok()?),
    };
    let community_id = match top.community_id {
        None | Some(b"null") => None,
        Some(c) if c.is_empty() || c.len() > 128 => None,
        Some(c) => Some(Cow::Borrowed(std::str::from_utf8(c).ok()?)),
    };
    Some(Parsed::Event(Event {
        time,
        kind: Kind::Flow,
        src,
        dst,
        src_port,
        dst_port,
        proto,
        community_id,
        blocked: false,
    }))
}

/// Reads one EVE line: `flow` lines through a scan of the top-level keys (most of a sensor's
/// lines, and the hot path), the rest and anything unusual through a full parse.
pub fn read(line: &[u8], ctx: Ctx) -> Parsed<'_> {
    if let Some(parsed) = read_flow(line, ctx) {
        return parsed;
    }
    read_full(line, ctx)
}

/// Reads one EVE line by decoding it whole with serde.
pub fn read_full(line: &[u8], ctx: Ctx) -> Parsed<'_> {
    let eve: Eve<'_> = match serde_json::from_slice(line) {
        Ok(eve) => eve,
        Err(_) => return Parsed::Bad("not an EVE JSON object"),
    };
    let Some(event_type) = eve.event_type else {
        return Parsed::Bad("no event_type");
    };
    let mut blocked = false;
    let kind = match &*event_type {
        "flow" => Kind::Flow,
        "alert" => {
            let Some(alert) = eve.alert else {
                return Parsed::Bad("alert without its alert object");
            };
            // An inline sensor dropped it; it is still raised.
            blocked = alert.action.as_deref() == Some("blocked");
            Kind::Ids {
                sid: alert.signature_id.unwrap_or(0),
                signature: alert.signature.unwrap_or(Cow::Borrowed("")),
            }
        }
        "dns" => {
            let _ = eve.dns;
            Kind::Dns
        }
        "http" => {
            let basic_auth = eve.http.is_some_and(|h| {
                h.authorization.as_deref().is_some_and(is_basic)
                    || h.request_headers.unwrap_or_default().iter().any(|hd| {
                        hd.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
                            && hd.value.as_deref().is_some_and(is_basic)
                    })
            });
            Kind::Http { basic_auth }
        }
        "tls" => Kind::Tls,
        _ => return Parsed::Skipped,
    };
    let Some(time) = eve
        .timestamp
        .and_then(|t| parse_timestamp(t.as_bytes(), ctx.local_offset))
    else {
        return Parsed::Bad("no valid timestamp");
    };
    let (Some(src), Some(dst)) = (
        eve.src_ip.and_then(|a| parse_ip(a.as_bytes())),
        eve.dest_ip.and_then(|a| parse_ip(a.as_bytes())),
    ) else {
        return Parsed::Bad("no valid src_ip/dest_ip");
    };
    let (src_port, dst_port) = match (port(eve.src_port), port(eve.dest_port)) {
        (Ok(s), Ok(d)) => (s, d),
        _ => return Parsed::Bad("port out of range"),
    };
    Parsed::Event(Event {
        time,
        kind,
        src,
        dst,
        src_port,
        dst_port,
        proto: eve.proto.as_deref().map_or(Proto::Other, Proto::from_log),
        community_id: eve.community_id.filter(|c| !c.is_empty() && c.len() <= 128),
        blocked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = r#"{"timestamp":"2026-12-01T10:00:00.123456+0900","flow_id":1234567890,"in_iface":"eth1","event_type":"flow","src_ip":"172.16.1.10","src_port":51000,"dest_ip":"10.20.0.25","dest_port":445,"proto":"TCP","app_proto":"smb","flow":{"pkts_toserver":3,"pkts_toclient":2,"bytes_toserver":180,"bytes_toclient":120,"start":"2026-12-01T09:59:59.000000+0900","end":"2026-12-01T10:00:00.000000+0900","age":1,"state":"closed","reason":"timeout","alerted":false},"community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=","tcp":{"tcp_flags":"1b","syn":true}}"#;

    fn ctx() -> Ctx {
        Ctx::default()
    }

    fn event(line: &str) -> Event<'_> {
        match read(line.as_bytes(), ctx()) {
            Parsed::Event(e) => e,
            other => panic!("{other:?} for {line}"),
        }
    }

    #[test]
    fn a_flow_is_read_with_its_community_id() {
        let e = event(FLOW);
        assert_eq!(e.kind, Kind::Flow);
        assert_eq!(e.src, "172.16.1.10".parse::<std::net::IpAddr>().unwrap());
        assert_eq!((e.src_port, e.dst_port), (Some(51000), Some(445)));
        assert_eq!(e.proto, Proto::Tcp);
        assert_eq!(
            e.community_id.as_deref(),
            Some("1:LQU9qZlK+B5F3KDmev6m5PMibrg=")
        );
        assert_eq!(
            Some(e.time),
            parse_timestamp(b"2026-12-01T01:00:00Z", 0),
            "the log's own time"
        );
    }

    #[test]
    fn alerts_dns_http_and_tls() {
        let e = event(
            r#"{"timestamp":"2026-12-01T10:00:00+0900","event_type":"alert","src_ip":"203.0.113.9","src_port":4444,"dest_ip":"172.16.1.10","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root \"uid\"","category":"Potentially Bad Traffic","severity":2}}"#,
        );
        assert_eq!(
            e.kind,
            Kind::Ids {
                sid: 2_100_498,
                signature: "GPL ATTACK_RESPONSE id check returned root \"uid\"".into()
            }
        );
        let e = event(
            r#"{"timestamp":"2026-12-01T10:00:00+0900","event_type":"dns","src_ip":"172.16.1.10","src_port":53000,"dest_ip":"8.8.8.8","dest_port":53,"proto":"UDP","dns":{"type":"query","id":1,"rrname":"example.jp","rrtype":"A","tx_id":0}}"#,
        );
        assert_eq!((e.kind, e.proto), (Kind::Dns, Proto::Udp));
        let basic = r#"{"timestamp":"2026-12-01T10:00:00+0900","event_type":"http","src_ip":"172.16.1.10","src_port":53001,"dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","http":{"hostname":"example.com","url":"/admin","http_user_agent":"curl/8","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":12,"request_headers":[{"name":"Host","value":"example.com"},{"name":"authorization","value":"Basic dXNlcjpwYXNz"}]}}"#;
        assert_eq!(event(basic).kind, Kind::Http { basic_auth: true });
        let custom = basic.replace(
            r#""request_headers":[{"name":"Host","value":"example.com"},{"name":"authorization","value":"Basic dXNlcjpwYXNz"}]"#,
            r#""authorization":"BASIC dXNlcjpwYXNz""#,
        );
        assert_eq!(event(&custom).kind, Kind::Http { basic_auth: true });
        let bearer = basic.replace("Basic dXNlcjpwYXNz", "Bearer abc");
        assert_eq!(event(&bearer).kind, Kind::Http { basic_auth: false });
        let tls = FLOW.replace(r#""event_type":"flow""#, r#""event_type":"tls""#);
        assert_eq!(event(&tls).kind, Kind::Tls);
    }

    #[test]
    fn find_any_finds_the_first_needle_anywhere() {
        for len in 0..40 {
            for at in 0..len {
                for needle in [b'"', b'\\', 0x80, 0x00, 0xff] {
                    let mut hay = vec![b'a'; len];
                    hay[at] = needle;
                    if at + 1 < len {
                        hay[at + 1] = needle;
                    }
                    assert_eq!(
                        find_any(&hay, [b'"', b'\\', needle]),
                        Some(at),
                        "{len} {at} {needle}"
                    );
                }
                let hay = vec![0x21u8; len];
                assert_eq!(find_any(&hay, [b'"']), None);
            }
        }
        // Bytes just above and below a needle (the borrow of the trick) are not matches.
        assert_eq!(find_any(b"!#!#!#!#!#\"", [b'"']), Some(10));
        assert_eq!(find_any(&[0x01, 0x00, 0x23, 0x21, 0x22], [b'"']), Some(4));
    }

    #[test]
    fn bytes_are_counted_exactly_and_flat_objects_skipped() {
        for len in 0..40 {
            let hay: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 3 == 0 {
                        b'"'
                    } else {
                        (i * 37 % 256) as u8
                    }
                })
                .collect();
            let want = hay.iter().filter(|b| **b == b'"').count();
            assert_eq!(count_byte(&hay, b'"'), want, "{hay:?}");
            let bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
            assert_eq!(count_byte(&bytes, 0x22), 2);
            assert_eq!(count_byte(&bytes, 0x00), 2);
            assert_eq!(count_byte(&bytes, 0x80), 2);
        }
        let obj = br#"{"a":"}","b":1} tail"#;
        assert_eq!(
            skip_flat_object(obj, 0),
            None,
            "the first brace is inside a string"
        );
        assert_eq!(skip_nested(obj, 0), Some(15));
        assert_eq!(skip_flat_object(br#"{"a":"x","b":[1,2]} "#, 0), Some(19));
        assert_eq!(skip_flat_object(br#"{"a":{"b":1}} "#, 0), None);
        assert_eq!(skip_flat_object(br#"{"a":"\"}"} "#, 0), None);
        assert_eq!(skip_nested(br#"{"a":"\"}"} "#, 0), Some(11));
    }

    #[test]
    fn the_fast_path_agrees_with_the_full_parse() {
        let v6 = FLOW.replace("172.16.1.10", "2001:db8::10");
        let no_cid = FLOW.replace(r#","community_id":"1:LQU9qZlK+B5F3KDmev6m5PMibrg=""#, "");
        let spaced = FLOW.replace(",", " ,\t").replace(":", " : ");
        let null_port = FLOW.replace(r#""src_port":51000"#, r#""src_port":null"#);
        let nested = FLOW.replace(r#""tcp":{"#, r#""tcp":{"x":[{"}":"]"}],"#);
        let escaped_elsewhere = FLOW.replace("eth1", r#"eth\"1\u0041"#);
        let udp = FLOW.replace("TCP", "UDP");
        for line in [
            FLOW.to_owned(),
            v6,
            no_cid,
            spaced,
            null_port,
            nested,
            escaped_elsewhere,
            udp,
        ] {
            assert!(
                serde_json::from_slice::<IgnoredAny>(line.as_bytes()).is_ok(),
                "{line}"
            );
            let fast = read_flow(line.as_bytes(), ctx()).expect(&line);
            assert_eq!(fast, read_full(line.as_bytes(), ctx()), "{line}");
        }
        // What the fast path leaves to the full parse.
        for line in [
            FLOW.replace(r#""src_ip""#, r#""src\u005fip""#),
            FLOW.replace("172.16.1.10", r#"172.16.1.1\u0030"#),
            FLOW.replace(r#""proto":"TCP""#, r#""proto":"TCP","proto":"UDP""#),
            FLOW.replace(r#""event_type":"flow""#, r#""event_type":"alert""#),
            FLOW.replace("}}", "}"),
            FLOW.replace(r#""flow":{"#, r#""flow":{{"#),
            format!("{FLOW} x"),
            FLOW.replace(r#","in_iface""#, r#",,"in_iface""#),
            "{}".into(),
        ] {
            assert!(read_flow(line.as_bytes(), ctx()).is_none(), "{line}");
        }
        // An escaped value the full parse reads.
        let escaped_ip = FLOW.replace("172.16.1.10", r#"172.16.1.1\u0030"#);
        assert!(matches!(
            read(escaped_ip.as_bytes(), ctx()),
            Parsed::Event(_)
        ));
    }

    #[test]
    fn other_types_are_skipped_and_hostile_lines_refused() {
        let stats = FLOW.replace(r#""event_type":"flow""#, r#""event_type":"stats""#);
        assert_eq!(read(stats.as_bytes(), ctx()), Parsed::Skipped);
        let v6 = FLOW
            .replace("172.16.1.10", "2001:db8::10")
            .replace("10.20.0.25", "fe80::1%eth0");
        assert!(event(&v6).src.is_ipv6());
        for bad in [
            FLOW.replace("51000", "70000"),
            FLOW.replace("51000", "-1"),
            FLOW.replace("51000", "1e400"),
            FLOW.replace("51000", "\"51000\""),
            FLOW.replace("172.16.1.10", "172.16.1.300"),
            FLOW.replace("2026-12-01T10:00:00.123456+0900", "yesterday"),
            FLOW.replace(r#""event_type":"flow","#, ""),
            FLOW[..FLOW.len() / 2].to_owned(),
            // A NUL in a value mamori reads (the fast path does not check the others' bytes).
            FLOW.replace("172.16.1.10", "172.16.1.\u{0}10"),
            "[]".into(),
            "{".repeat(100_000),
            String::new(),
            format!(r#"{{"event_type":"flow","x":"{}"}}"#, "a".repeat(1_000_000)),
        ] {
            assert!(
                matches!(read(bad.as_bytes(), ctx()), Parsed::Bad(_)),
                "{bad:.200}"
            );
        }
        let mut invalid = FLOW.as_bytes().to_vec();
        invalid[30] = 0xff;
        assert!(matches!(read(&invalid, ctx()), Parsed::Bad(_)));
    }
}
