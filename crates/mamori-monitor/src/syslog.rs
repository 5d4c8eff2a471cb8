//! Syslog headers (RFC 3164 and RFC 5424, and the RFC 3339 time rsyslog writes to files), taken
//! off before a reader sees the message, and the framing of syslog over TCP (RFC 6587).

use crate::event::{Ctx, civil, parse_timestamp, year_of};

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A message with its syslog header taken off: the header's time (if any) and the message.
/// A line without a header is returned whole.
pub fn strip(line: &[u8], ctx: Ctx) -> (Option<i64>, &[u8]) {
    let mut rest = line;
    let mut had_pri = false;
    if let Some(after) = rest.strip_prefix(b"<") {
        let n = after
            .iter()
            .take(4)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if (1..=3).contains(&n) && after.get(n) == Some(&b'>') {
            rest = &after[n + 1..];
            had_pri = true;
        }
    }
    // RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`.
    if had_pri
        && rest.starts_with(b"1 ")
        && let Some(found) = rfc5424(&rest[2..], ctx)
    {
        return found;
    }
    if let Some(found) = rfc3164(rest, ctx) {
        return found;
    }
    if let Some((time, after)) = rfc3339_header(rest, ctx) {
        return (Some(time), skip_host_and_tag(after));
    }
    (None, if had_pri { rest } else { line })
}

fn token(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr(b' ', b)?;
    Some((&b[..end], &b[end + 1..]))
}

fn rfc3339_header(b: &[u8], ctx: Ctx) -> Option<(i64, &[u8])> {
    let (stamp, rest) = token(b)?;
    if stamp.len() < 19 || stamp[10] != b'T' {
        return None;
    }
    Some((parse_timestamp(stamp, ctx.local_offset)?, rest))
}

fn rfc5424(b: &[u8], ctx: Ctx) -> Option<(Option<i64>, &[u8])> {
    let (stamp, rest) = token(b)?;
    let time = if stamp == b"-" {
        None
    } else {
        Some(parse_timestamp(stamp, ctx.local_offset)?)
    };
    let (_host, rest) = token(rest)?;
    let (_app, rest) = token(rest)?;
    let (_procid, rest) = token(rest)?;
    let (_msgid, rest) = token(rest)?;
    let rest = if let Some(after) = rest.strip_prefix(b"-") {
        after
    } else {
        let mut i = 0;
        // Structured data: one or more `[…]`, where `\]` inside a value does not close it.
        while rest.get(i) == Some(&b'[') {
            i += 1;
            loop {
                match rest.get(i)? {
                    b'\\' => i += 2,
                    b']' => {
                        i += 1;
                        break;
                    }
                    _ => i += 1,
                }
            }
        }
        if i == 0 {
            return None;
        }
        rest.get(i..)?
    };
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    let rest = rest.strip_prefix("\u{feff}".as_bytes()).unwrap_or(rest);
    Some((time, rest))
}

fn rfc3164(b: &[u8], ctx: Ctx) -> Option<(Option<i64>, &[u8])> {
    // `Mmm dd hh:mm:ss ` with the day padded by a space.
    if b.len() < 16 || b[3] != b' ' || b[6] != b' ' || b[9] != b':' || b[12] != b':' {
        return None;
    }
    let month = MONTHS.iter().position(|m| &b[..3] == *m)? as u32 + 1;
    let two = |x: &[u8]| -> Option<u32> {
        let x: Vec<u8> = x.iter().copied().filter(|c| *c != b' ').collect();
        if x.is_empty() || !x.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(x.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (day, h, mi, s) = (
        two(&b[4..6])?,
        two(&b[7..9])?,
        two(&b[10..12])?,
        two(&b[13..15])?,
    );
    if b[15] != b' ' {
        return None;
    }
    // The header has no year: take the one that puts the time nearest the reference.
    let year = year_of(ctx.reference);
    let time = (year - 1..=year + 1)
        .filter_map(|y| civil(u32::try_from(y).ok()?, month, day, h, mi, s))
        .map(|t| t - i64::from(ctx.local_offset))
        .min_by_key(|t| (t - ctx.reference).abs())?;
    Some((Some(time), skip_host_and_tag(&b[16..])))
}

/// After the time: the host, then a tag such as `kernel:` or `suricata[42]:` if there is one.
fn skip_host_and_tag(b: &[u8]) -> &[u8] {
    let Some((_host, rest)) = token(b) else {
        return b;
    };
    match token(rest) {
        Some((tag, after))
            if tag.ends_with(b":")
                && tag.len() <= 64
                && tag[..tag.len() - 1].iter().all(|c| {
                    c.is_ascii_alphanumeric()
                        || matches!(c, b'[' | b']' | b'-' | b'_' | b'.' | b'/')
                }) =>
        {
            after
        }
        _ => rest,
    }
}

/// How a syslog stream over TCP is framed (RFC 6587): `LEN SP MSG` or a message per line.
#[derive(Debug, Default)]
pub struct TcpFramer {
    buf: Vec<u8>,
    /// A line longer than the limit is being thrown away up to its end.
    discarding: bool,
    /// Bytes of a too-long octet-counted frame still to throw away.
    skip: usize,
}

/// One framed message, or a message that was too long and was dropped.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Message(Vec<u8>),
    TooLong,
}

impl TcpFramer {
    /// Adds bytes read from the connection and returns the complete messages.
    pub fn push(&mut self, data: &[u8], max: usize) -> Vec<Frame> {
        self.buf.extend_from_slice(data);
        let mut out = Vec::new();
        let mut start = 0;
        loop {
            let rest = &self.buf[start..];
            if rest.is_empty() {
                break;
            }
            if self.skip > 0 {
                let n = self.skip.min(rest.len());
                self.skip -= n;
                start += n;
                continue;
            }
            if self.discarding {
                match memchr::memchr(b'\n', rest) {
                    Some(nl) => {
                        self.discarding = false;
                        start += nl + 1;
                        continue;
                    }
                    None => {
                        start = self.buf.len();
                        break;
                    }
                }
            }
            let digits = rest
                .iter()
                .take(8)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits > 0 && digits < 8 && rest.get(digits) == Some(&b' ') && rest[0] != b'0' {
                let len: usize = rest[..digits]
                    .iter()
                    .fold(0, |n, d| n * 10 + usize::from(d - b'0'));
                if len > max {
                    out.push(Frame::TooLong);
                    self.skip = len;
                    start += digits + 1;
                    continue;
                }
                if rest.len() < digits + 1 + len {
                    break;
                }
                let msg = &rest[digits + 1..digits + 1 + len];
                let msg = msg.strip_suffix(b"\n").unwrap_or(msg);
                out.push(Frame::Message(msg.to_vec()));
                start += digits + 1 + len;
                continue;
            }
            match memchr::memchr(b'\n', rest) {
                Some(nl) if nl <= max => {
                    let msg = &rest[..nl];
                    let msg = msg.strip_suffix(b"\r").unwrap_or(msg);
                    if !msg.is_empty() {
                        out.push(Frame::Message(msg.to_vec()));
                    }
                    start += nl + 1;
                }
                Some(nl) => {
                    out.push(Frame::TooLong);
                    start += nl + 1;
                }
                None if rest.len() > max => {
                    out.push(Frame::TooLong);
                    self.discarding = true;
                    start = self.buf.len();
                }
                None => break,
            }
        }
        self.buf.drain(..start);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            local_offset: 9 * 3600,
            reference: parse_timestamp(b"2026-12-01T00:00:00Z", 0).unwrap(),
        }
    }

    #[test]
    fn rfc3164_headers_are_taken_off_with_a_year_near_the_reference() {
        let (t, body) = strip(
            b"<4>Dec  1 10:00:00 fw1 kernel: [1.2] IN=eth0 OUT= SRC=10.0.0.1",
            ctx(),
        );
        assert_eq!(body, b"[1.2] IN=eth0 OUT= SRC=10.0.0.1");
        assert_eq!(t, parse_timestamp(b"2026-12-01T10:00:00+09:00", 0));
        // A January line read in December belongs to the next year.
        let (t, _) = strip(b"Jan  2 00:00:00 host app[1]: x", ctx());
        assert_eq!(t, parse_timestamp(b"2027-01-02T00:00:00+09:00", 0));
        // No tag: the message follows the host.
        let (_, body) = strip(b"<14>Dec  1 10:00:00 PA-220 1,2026/12/01 10:00:00,x", ctx());
        assert_eq!(body, b"1,2026/12/01 10:00:00,x");
    }

    #[test]
    fn rfc5424_and_rfc3339_headers() {
        let (t, body) = strip(
            b"<165>1 2026-12-01T10:00:00.003+09:00 host suricata 42 - [a b=\"x\\]y\"][c] {\"k\":1}",
            ctx(),
        );
        assert_eq!(body, b"{\"k\":1}");
        assert_eq!(t, parse_timestamp(b"2026-12-01T01:00:00Z", 0));
        let (t, body) = strip(b"<165>1 - - - - - - msg", ctx());
        assert_eq!((t, body), (None, &b"msg"[..]));
        let (t, body) = strip(b"2026-12-01T10:00:00+09:00 fw kernel: IN=x", ctx());
        assert!(t.is_some());
        assert_eq!(body, b"IN=x");
    }

    #[test]
    fn what_is_not_a_header_is_left_alone() {
        for line in [
            &b"1764583200.586 12 10.0.0.1 TCP_MISS/200"[..],
            b"date=2026-12-01 time=10:00:00 devname=x",
            b"<999999>Dec  1 10:00:00 x",
            b"<4>1 [unclosed",
            b"Dec 99 10:00:00 h t: x",
            b"",
            b"<",
            b"\xff\xfe<4>",
        ] {
            let (t, body) = strip(line, ctx());
            assert_eq!(t, None, "{line:?}");
            assert!(line.ends_with(body), "{line:?}");
        }
    }

    #[test]
    fn tcp_framing_by_length_and_by_line() {
        let mut f = TcpFramer::default();
        assert_eq!(
            f.push(b"5 hello3 abc", 100),
            [
                Frame::Message(b"hello".to_vec()),
                Frame::Message(b"abc".to_vec())
            ]
        );
        assert_eq!(
            f.push(b"<4>a line\r\n<4>par", 100),
            [Frame::Message(b"<4>a line".to_vec())]
        );
        assert_eq!(
            f.push(b"tial\n", 100),
            [Frame::Message(b"<4>partial".to_vec())]
        );
        // Too long, by count and by line; what follows is read again.
        assert_eq!(
            f.push(b"12 abcdefghijkl3 abc", 10),
            [Frame::TooLong, Frame::Message(b"abc".to_vec())]
        );
        assert_eq!(
            f.push(b"xxxxxxxxxxxxxxxxxxxx\nok\n", 10),
            [Frame::TooLong, Frame::Message(b"ok".to_vec())]
        );
        let mut f = TcpFramer::default();
        assert_eq!(f.push(&[b'x'; 50], 10), [Frame::TooLong]);
        assert_eq!(
            f.push(b"xxxx\nnext\n", 10),
            [Frame::Message(b"next".to_vec())]
        );
        // Partial octet-counted frame waits for the rest.
        let mut f = TcpFramer::default();
        assert!(f.push(b"10 abc", 100).is_empty());
        assert_eq!(
            f.push(b"defghij", 100),
            [Frame::Message(b"abcdefghij".to_vec())]
        );
    }
}
