//! Suricata EVE JSON: one object per line; `flow`, `alert`, `dns`, `http` and `tls` are read,
//! every other `event_type` is skipped. Only the keys mamori uses are decoded; the rest of the
//! object (the `flow` counters, `tcp` flags, …) is checked as JSON and passed over.

use std::borrow::Cow;

use mamori_core::crossing::Proto;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::event::{Ctx, Event, Kind, Parsed, parse_ip, parse_timestamp};

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

/// Reads one EVE line.
pub fn read(line: &[u8], ctx: Ctx) -> Parsed<'_> {
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
            FLOW.replace("eth1", "eth\u{0}1"),
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
