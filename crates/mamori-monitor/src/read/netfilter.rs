//! Linux netfilter `LOG` target lines (iptables, nftables `log`, ufw) inside a syslog line:
//! `[prefix] IN=eth0 OUT=eth1 SRC=… DST=… … PROTO=TCP SPT=… DPT=…`. The time is the syslog
//! header's; a prefix naming a drop (`DROP`, `BLOCK`, `DENY`, `REJECT`) marks the flow blocked.

use mamori_core::crossing::Proto;

use crate::event::{Event, Kind, Parsed, parse_ip, parse_port};

/// Reads the message of one line (the syslog header already taken off, its time in `time`).
pub fn read(body: &[u8], time: Option<i64>) -> Parsed<'_> {
    let Some(time) = time else {
        return Parsed::Bad("netfilter line without a syslog time");
    };
    let (mut src, mut dst, mut proto, mut spt, mut dpt) = (None, None, None, None, None);
    let mut first_key = None;
    for (i, token) in body.split(|b| *b == b' ').enumerate().take(200) {
        if first_key.is_some() && token.starts_with(b"[") {
            // The quoted header of an ICMP error: not this packet's.
            break;
        }
        let Some(eq) = memchr::memchr(b'=', token) else {
            continue;
        };
        let (key, value) = (&token[..eq], &token[eq + 1..]);
        let slot = match key {
            b"SRC" => &mut src,
            b"DST" => &mut dst,
            b"PROTO" => &mut proto,
            b"SPT" => &mut spt,
            b"DPT" => &mut dpt,
            b"IN" => {
                first_key.get_or_insert(i);
                continue;
            }
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    let (Some(src), Some(dst)) = (src.and_then(parse_ip), dst.and_then(parse_ip)) else {
        return Parsed::Bad("no valid SRC=/DST=");
    };
    let port = |raw: Option<&[u8]>| match raw {
        None => Ok(None),
        Some(r) => parse_port(r).map(Some).ok_or(()),
    };
    let (Ok(src_port), Ok(dst_port)) = (port(spt), port(dpt)) else {
        return Parsed::Bad("bad SPT=/DPT=");
    };
    let proto = proto
        .and_then(|p| std::str::from_utf8(p).ok())
        .map_or(Proto::Other, Proto::from_log);
    let prefix = match (first_key, memchr::memmem::find(body, b"IN=")) {
        (Some(_), Some(at)) => &body[..at],
        _ => &b""[..],
    };
    let (src_port, dst_port) = match proto {
        Proto::Tcp | Proto::Udp => (src_port, dst_port),
        _ => (None, None),
    };
    let blocked = ["DROP", "BLOCK", "DENY", "REJECT"].iter().any(|word| {
        prefix
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    });
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

    const LINE: &[u8] = b"[UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=172.16.1.10 DST=10.20.0.25 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=54321 DF PROTO=TCP SPT=51000 DPT=445 WINDOW=64240 RES=0x00 SYN URGP=0";

    #[test]
    fn a_drop_line_is_read_as_a_blocked_flow() {
        let Parsed::Event(e) = read(LINE, Some(100)) else {
            panic!()
        };
        assert_eq!(
            (e.src_port, e.dst_port, e.proto, e.blocked),
            (Some(51000), Some(445), Proto::Tcp, true)
        );
        let accepted =
            b"IN=eth0 OUT=eth1 SRC=2001:db8::1 DST=2001:db8::2 LEN=80 PROTO=UDP SPT=5353 DPT=53";
        let Parsed::Event(e) = read(accepted, Some(100)) else {
            panic!()
        };
        assert!(!e.blocked && e.dst.is_ipv6());
        // ICMP errors quote the original packet: the first addresses are the packet's own.
        let icmp = b"IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 PROTO=ICMP TYPE=3 CODE=3 [SRC=10.0.0.2 DST=10.0.0.9 PROTO=UDP SPT=1 DPT=2 ]";
        let Parsed::Event(e) = read(icmp, Some(100)) else {
            panic!()
        };
        assert_eq!(
            (e.dst, e.proto, e.dst_port),
            ("10.0.0.2".parse().unwrap(), Proto::Icmp, None)
        );
    }

    #[test]
    fn hostile_lines_are_refused() {
        assert!(matches!(read(LINE, None), Parsed::Bad(_)));
        for bad in [
            &b""[..],
            b"SRC= DST=",
            b"SRC=10.0.0.1 DST=10.0.0.2 SPT=99999 DPT=1",
            b"SRC=10.0.0.1 DST=10.0.0.2 SPT=1 DPT=-1",
            b"SRC=\xff DST=\0",
            b"SRC=10.0.0.1",
        ] {
            assert!(matches!(read(bad, Some(1)), Parsed::Bad(_)), "{bad:?}");
        }
        let huge = b"X=1 ".repeat(100_000);
        assert!(matches!(read(&huge, Some(1)), Parsed::Bad(_)));
    }
}
