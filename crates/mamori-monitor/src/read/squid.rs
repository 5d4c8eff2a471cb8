//! Squid's native `access.log`: `time elapsed client code/status bytes method URL user
//! hierarchy/peer type`. A request is read as a flow from the client to the server the proxy
//! reached (the peer address of `HIER_DIRECT/…`), to the URL's port; a request the proxy served
//! without reaching a server (`HIER_NONE/-`, a denial) is skipped.

use mamori_core::crossing::Proto;

use crate::event::{Event, Kind, Parsed, parse_epoch, parse_ip, parse_port};

/// The port a request's URL names (or its scheme's), as Squid logs it.
fn url_port(method: &[u8], url: &[u8]) -> Option<u16> {
    if method == b"CONNECT" {
        let colon = memchr::memrchr(b':', url)?;
        return parse_port(&url[colon + 1..]);
    }
    let sep = memchr::memmem::find(url, b"://")?;
    let scheme = &url[..sep];
    let rest = &url[sep + 3..];
    let authority = &rest[..rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len())];
    let authority = authority.rsplit(|b| *b == b'@').next().unwrap_or(authority);
    // `[v6]:port` or `host:port`.
    let port = match authority.strip_prefix(b"[") {
        Some(v6) => {
            let close = memchr::memchr(b']', v6)?;
            v6[close + 1..].strip_prefix(b":")
        }
        None => memchr::memrchr(b':', authority).map(|c| &authority[c + 1..]),
    };
    match port {
        Some(p) => parse_port(p),
        None if scheme.eq_ignore_ascii_case(b"http") => Some(80),
        None if scheme.eq_ignore_ascii_case(b"https") => Some(443),
        None if scheme.eq_ignore_ascii_case(b"ftp") => Some(21),
        None => None,
    }
}

/// Reads one line.
pub fn read(line: &[u8]) -> Parsed<'_> {
    let mut fields = line.split(|b| *b == b' ').filter(|f| !f.is_empty());
    let mut next = || fields.next();
    let (
        Some(time),
        Some(_elapsed),
        Some(client),
        Some(code),
        Some(_bytes),
        Some(method),
        Some(url),
        Some(_user),
        Some(hier),
    ) = (
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
        next(),
    )
    else {
        return Parsed::Bad("fewer than nine fields");
    };
    let Some(time) = parse_epoch(time) else {
        return Parsed::Bad("bad time");
    };
    let Some(src) = parse_ip(client) else {
        return Parsed::Bad("bad client address");
    };
    if memchr::memchr(b'/', code).is_none() || memchr::memchr(b'/', hier).is_none() {
        return Parsed::Bad("no code/status or hierarchy/peer");
    }
    let peer = &hier[memchr::memchr(b'/', hier).unwrap_or(0) + 1..];
    let Some(dst) = parse_ip(peer) else {
        return Parsed::Skipped;
    };
    let Some(dst_port) = url_port(method, url) else {
        return Parsed::Bad("no port in the URL");
    };
    Parsed::Event(Event {
        time,
        kind: Kind::Flow,
        src,
        dst,
        src_port: None,
        dst_port: Some(dst_port),
        proto: Proto::Tcp,
        community_id: None,
        blocked: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_flows_to_the_server_the_proxy_reached() {
        let Parsed::Event(e) = read(b"1764583200.586    921 172.16.1.10 TCP_MISS/200 507 GET http://www.example.com/index.html - HIER_DIRECT/93.184.216.34 text/html") else {
            panic!()
        };
        assert_eq!((e.time, e.dst_port), (1_764_583_200, Some(80)));
        assert_eq!(e.dst, "93.184.216.34".parse::<std::net::IpAddr>().unwrap());
        let Parsed::Event(e) = read(b"1764583200.586 10 172.16.1.10 TCP_TUNNEL/200 4000 CONNECT www.example.com:8443 alice HIER_DIRECT/2001:db8::80 -") else {
            panic!()
        };
        assert_eq!(e.dst_port, Some(8443));
        let Parsed::Event(e) = read(b"1764583200.586 10 172.16.1.10 TCP_MISS/200 4000 GET ftp://user@ftp.example.com/pub/ - HIER_DIRECT/198.51.100.2 -") else {
            panic!()
        };
        assert_eq!(e.dst_port, Some(21));
        assert_eq!(url_port(b"GET", b"http://[2001:db8::1]:8080/x"), Some(8080));
        assert_eq!(
            read(b"1764583200.586 0 172.16.1.10 TCP_DENIED/403 3000 GET http://blocked.example/ - HIER_NONE/- text/html"),
            Parsed::Skipped
        );
    }

    #[test]
    fn hostile_lines_are_refused() {
        for bad in [
            &b""[..],
            b"1764583200.586 921 172.16.1.10 TCP_MISS/200 507 GET",
            b"yesterday 921 172.16.1.10 TCP_MISS/200 507 GET http://a/ - HIER_DIRECT/1.1.1.1 -",
            b"1764583200.586 921 host.example TCP_MISS/200 507 GET http://a/ - HIER_DIRECT/1.1.1.1 -",
            b"1764583200.586 921 172.16.1.10 TCP_MISS/200 507 GET http://a:99999/ - HIER_DIRECT/1.1.1.1 -",
            b"1764583200.586 921 172.16.1.10 TCP_MISS 507 GET http://a/ - HIER_DIRECT -",
            b"1764583200.586 921 172.16.1.10 TCP_MISS/200 507 GET gopher://a/ - HIER_DIRECT/1.1.1.1 -",
            b"\xff\xff \0 \0 \0 \0 \0 \0 \0 \0",
        ] {
            assert!(matches!(read(bad), Parsed::Bad(_)), "{bad:?}");
        }
    }
}
