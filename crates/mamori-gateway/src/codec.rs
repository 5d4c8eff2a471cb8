//! Strict SMTP line splitting, shared by the server session and the delivery client.
//!
//! Defence against SMTP smuggling: a line ends only with CRLF. A bare LF or a bare CR anywhere is
//! an error, never a line end, so no sequence other than `<CRLF>.<CRLF>` can end a message here
//! while a next hop might read it differently.

/// Longest line RFC 5321 allows (4.5.3.1.6), CRLF included.
pub const MAX_LINE: usize = 1000;

/// Why the input could not be cut into a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// A LF not preceded by CR.
    BareLf,
    /// A CR not followed by LF.
    BareCr,
    /// A line longer than the limit; its bytes up to the next CRLF were dropped.
    TooLong,
}

/// Buffers bytes and hands out complete CRLF-terminated lines (without the CRLF).
#[derive(Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    max_line: usize,
    /// Inside a line that went over the limit: dropping bytes until its CRLF.
    discarding: bool,
    /// Last byte dropped while discarding, to tell CRLF from a bare LF across reads.
    last_dropped: Option<u8>,
}

impl LineBuffer {
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: Vec::new(),
            max_line,
            discarding: false,
            last_dropped: None,
        }
    }

    /// Appends bytes read from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as lines.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Drops every buffered byte (used after STARTTLS: nothing sent in clear may be obeyed).
    pub fn clear(&mut self) -> usize {
        let n = self.buf.len();
        self.buf.clear();
        self.discarding = false;
        self.last_dropped = None;
        n
    }

    /// The next complete line, `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Result<Vec<u8>, LineError>> {
        if self.discarding {
            return self.discard();
        }
        let end = self.buf.iter().position(|&b| b == b'\r' || b == b'\n');
        match end {
            Some(i) if self.buf[i] == b'\n' => {
                self.buf.drain(..=i);
                Some(Err(LineError::BareLf))
            }
            Some(i) => {
                if i + 1 >= self.buf.len() {
                    return if self.over_limit(i + 2) {
                        self.start_discard()
                    } else {
                        None
                    };
                }
                if self.buf[i + 1] != b'\n' {
                    self.buf.drain(..=i);
                    return Some(Err(LineError::BareCr));
                }
                if i + 2 > self.max_line {
                    self.buf.drain(..i + 2);
                    return Some(Err(LineError::TooLong));
                }
                let line = self.buf[..i].to_vec();
                self.buf.drain(..i + 2);
                Some(Ok(line))
            }
            None if self.over_limit(self.buf.len() + 2) => self.start_discard(),
            None => None,
        }
    }

    fn over_limit(&self, len: usize) -> bool {
        len > self.max_line
    }

    /// Starts dropping an over-long line; its error is reported once its line end arrives.
    fn start_discard(&mut self) -> Option<Result<Vec<u8>, LineError>> {
        self.discarding = true;
        self.last_dropped = None;
        self.discard()
    }

    /// Drops bytes up to and including the CRLF that ends the over-long line.
    fn discard(&mut self) -> Option<Result<Vec<u8>, LineError>> {
        match self.buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let before = if i == 0 {
                    self.last_dropped
                } else {
                    Some(self.buf[i - 1])
                };
                self.buf.drain(..=i);
                self.discarding = false;
                self.last_dropped = None;
                if before == Some(b'\r') {
                    Some(Err(LineError::TooLong))
                } else {
                    Some(Err(LineError::BareLf))
                }
            }
            None => {
                self.last_dropped = self.buf.last().copied().or(self.last_dropped);
                self.buf.clear();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn lines(input: &[u8], max: usize) -> Vec<Result<Vec<u8>, LineError>> {
        let mut b = LineBuffer::new(max);
        let mut out = Vec::new();
        // Feed one byte at a time: line ends must be found across reads.
        for &byte in input {
            b.push(&[byte]);
            while let Some(l) = b.next_line() {
                out.push(l);
            }
        }
        out
    }

    #[rstest]
    #[case::crlf(b"EHLO a\r\nNOOP\r\n", vec![Ok(b"EHLO a".to_vec()), Ok(b"NOOP".to_vec())])]
    #[case::empty_line(b"\r\n", vec![Ok(Vec::new())])]
    #[case::bare_lf(b"a\nb\r\n", vec![Err(LineError::BareLf)])]
    #[case::bare_cr(b"a\rb\r\n", vec![Err(LineError::BareCr)])]
    #[case::lf_dot_lf(b"\n.\n", vec![Err(LineError::BareLf)])]
    #[case::cr_dot_cr(b"x\r.\r", vec![Err(LineError::BareCr)])]
    #[case::lf_dot_crlf(b"x\n.\r\n", vec![Err(LineError::BareLf)])]
    #[case::incomplete(b"NOOP\r", vec![])]
    fn splits_only_on_crlf(
        #[case] input: &[u8],
        #[case] expected: Vec<Result<Vec<u8>, LineError>>,
    ) {
        let got = lines(input, MAX_LINE);
        assert_eq!(got[..expected.len().min(got.len())], expected[..]);
        assert_eq!(got.first(), expected.first());
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_and_one_more_byte_fails() {
        let ok = [vec![b'a'; 998], b"\r\n".to_vec()].concat();
        assert_eq!(lines(&ok, MAX_LINE), vec![Ok(vec![b'a'; 998])]);
        let long = [vec![b'a'; 999], b"\r\nNOOP\r\n".to_vec()].concat();
        assert_eq!(
            lines(&long, MAX_LINE),
            vec![Err(LineError::TooLong), Ok(b"NOOP".to_vec())]
        );
    }

    #[test]
    fn an_over_long_line_is_dropped_without_buffering_it_whole() {
        let mut b = LineBuffer::new(10);
        b.push(&[b'x'; 50]);
        assert_eq!(b.next_line(), None);
        assert_eq!(b.pending(), 0);
        b.push(b"yy\r");
        assert_eq!(b.next_line(), None);
        b.push(b"\nok\r\n");
        assert_eq!(b.next_line(), Some(Err(LineError::TooLong)));
        assert_eq!(b.next_line(), Some(Ok(b"ok".to_vec())));
    }

    proptest::proptest! {
        /// Whatever arrives, in whatever chunks, no line handed out holds a CR or LF or is
        /// longer than the limit.
        #[test]
        fn lines_never_carry_line_break_bytes(
            input in proptest::collection::vec(
                proptest::sample::select(vec![b'\r', b'\n', b'.', b'a']), 0..200),
            chunk in 1usize..7,
        ) {
            let mut b = LineBuffer::new(20);
            for piece in input.chunks(chunk) {
                b.push(piece);
                while let Some(line) = b.next_line() {
                    if let Ok(line) = line {
                        proptest::prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
                        proptest::prop_assert!(line.len() <= 18);
                    }
                }
            }
        }

        /// Well-formed CRLF lines come back exactly, however the input is cut.
        #[test]
        fn crlf_lines_round_trip(
            lines in proptest::collection::vec("[ -~]{0,30}", 0..20),
            chunk in 1usize..9,
        ) {
            let wire: Vec<u8> = lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()).collect();
            let mut b = LineBuffer::new(MAX_LINE);
            let mut got = Vec::new();
            for piece in wire.chunks(chunk) {
                b.push(piece);
                while let Some(line) = b.next_line() {
                    got.push(String::from_utf8(line.unwrap()).unwrap());
                }
            }
            proptest::prop_assert_eq!(got, lines);
        }
    }

    #[test]
    fn a_bare_lf_ending_an_over_long_line_is_still_refused() {
        let mut b = LineBuffer::new(10);
        b.push(&[b'x'; 50]);
        b.push(b"\n");
        assert_eq!(b.next_line(), Some(Err(LineError::BareLf)));
    }
}
