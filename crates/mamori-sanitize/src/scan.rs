//! Pre-scan (構造検査): a strict, bounded walk over the raw MIME structure.
//!
//! The scanner is the only authority on structure. It splits multiparts on exact delimiter lines,
//! decodes transfer encodings, enforces every [`Limits`] value before anything deeper is read,
//! and records each ambiguity it meets instead of resolving it silently. Its recursion depth is
//! bounded by `max_depth`, which is checked before descending.

use crate::charset;
use crate::policy::Limits;
use crate::report::{Ambiguity, AmbiguityKind};

/// A limit was exceeded; scanning stops at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LimitExceeded(pub String);

/// One MIME entity as the scanner read it.
#[derive(Debug)]
pub(crate) struct Entity {
    /// Pre-order index in the whole tree; 0 is the message itself.
    pub index: usize,
    /// Header block, converted to UTF-8 when the sender used raw 8-bit or JIS bytes.
    pub header_block: Vec<u8>,
    /// Unfolded fields: lower-case name and value.
    pub fields: Vec<(String, String)>,
    /// Lower-case `type/subtype` (defaulted as RFC 2045 says when absent or invalid).
    pub mime_type: String,
    /// The declared `type/subtype`; the raw value (cut to 200 characters) when it is not valid.
    pub declared_type: String,
    /// Content-Type parameters, lower-case names, in order.
    pub params: Vec<(String, String)>,
    pub body: Body,
}

#[derive(Debug)]
pub(crate) enum Body {
    /// Transfer-decoded content.
    Leaf(Vec<u8>),
    Multipart(Vec<Entity>),
    /// An attached message: its transfer-decoded bytes and the message read from them.
    Message(Vec<u8>, Box<Entity>),
}

impl Entity {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Transfer-encoded attached messages nested deeper than this are kept as opaque parts (and so
/// removed), as mail-parser does; reading them would make the two parsers disagree.
const MAX_ENCODED_MESSAGE_NESTING: usize = 3;

pub(crate) struct Scanner<'l> {
    limits: &'l Limits,
    pub ambiguities: Vec<Ambiguity>,
    /// Positions in `ambiguities` of formatting oddities (形式上の不備): structural, but a policy
    /// may tolerate them when the cross-check parser reads the message alike.
    pub oddities: Vec<usize>,
    entities: usize,
    decoded_bytes: usize,
    encoded_messages: usize,
}

impl<'l> Scanner<'l> {
    pub fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            ambiguities: Vec::new(),
            oddities: Vec::new(),
            entities: 0,
            decoded_bytes: 0,
            encoded_messages: 0,
        }
    }

    fn note(&mut self, kind: AmbiguityKind, index: usize, detail: impl Into<String>) {
        self.ambiguities.push(Ambiguity {
            kind,
            part: index.to_string(),
            detail: detail.into(),
            tolerated: false,
        });
    }

    /// Records an ambiguity that is a formatting oddity (see [`Scanner::oddities`]).
    fn note_oddity(&mut self, kind: AmbiguityKind, index: usize, detail: impl Into<String>) {
        self.oddities.push(self.ambiguities.len());
        self.note(kind, index, detail);
    }

    pub fn scan_message(&mut self, raw: &[u8]) -> Result<Entity, LimitExceeded> {
        if raw.len() > self.limits.max_message_bytes {
            return Err(LimitExceeded(format!(
                "message is {} bytes, limit {}",
                raw.len(),
                self.limits.max_message_bytes
            )));
        }
        let raw = skip_mbox_from_line(raw);
        self.scan_entity(raw, 0, None, &[], true)
    }

    /// Reads one entity. `at_end`: its bytes run to the end of the message (or of the decoded
    /// attached message that holds it), so nothing of an enclosing multipart follows it.
    fn scan_entity(
        &mut self,
        raw: &[u8],
        depth: usize,
        default_type: Option<&str>,
        outer_boundaries: &[String],
        at_end: bool,
    ) -> Result<Entity, LimitExceeded> {
        let index = self.entities;
        self.entities += 1;
        if self.entities > self.limits.max_parts {
            return Err(LimitExceeded(format!(
                "more than {} MIME parts",
                self.limits.max_parts
            )));
        }
        if depth > self.limits.max_depth {
            return Err(LimitExceeded(format!(
                "nesting deeper than {}",
                self.limits.max_depth
            )));
        }
        let (header_raw, body_raw) = split_header_body(raw);
        if header_raw.len() > self.limits.max_header_bytes {
            return Err(LimitExceeded(format!(
                "header block of part {index} is {} bytes, limit {}",
                header_raw.len(),
                self.limits.max_header_bytes
            )));
        }
        if header_raw.contains(&0) {
            self.note(
                AmbiguityKind::NulInHeader,
                index,
                "NUL byte in the header block",
            );
        }
        let mut header_block = match charset::decode_header_block(header_raw) {
            Some((text, label)) => {
                self.note(
                    AmbiguityKind::EightBitHeader,
                    index,
                    format!("raw non-ASCII header bytes decoded as {label}"),
                );
                text.into_bytes()
            }
            None => header_raw.to_vec(),
        };
        if let Some(renamed) = charset::normalise_labels(&header_block) {
            header_block = renamed;
        }
        if !header_block.is_empty() && !header_block.ends_with(b"\n") {
            header_block.extend_from_slice(b"\r\n");
        }
        let fields = self.parse_fields(&header_block, index)?;

        // Content-Type
        let ct_values: Vec<&str> = fields
            .iter()
            .filter(|(n, _)| n == "content-type")
            .map(|(_, v)| v.as_str())
            .collect();
        if ct_values.len() > 1 {
            let first = normalise_ws(ct_values[0]);
            let kind = if ct_values.iter().all(|v| normalise_ws(v) == first) {
                AmbiguityKind::DuplicateContentType
            } else {
                AmbiguityKind::ConflictingContentType
            };
            self.note(
                kind,
                index,
                format!("{} Content-Type fields", ct_values.len()),
            );
        }
        let dispositions: Vec<String> = fields
            .iter()
            .filter(|(n, _)| n == "content-disposition")
            .map(|(_, v)| normalise_ws(v))
            .collect();
        if dispositions.len() > 1 {
            let kind = if dispositions.iter().all(|d| *d == dispositions[0]) {
                AmbiguityKind::DuplicateContentDisposition
            } else {
                AmbiguityKind::ConflictingContentDisposition
            };
            self.note(
                kind,
                index,
                format!("{} Content-Disposition fields", dispositions.len()),
            );
        }
        let default_type = default_type.unwrap_or("text/plain");
        let (mime_type, params, declared_type) = match ct_values.first() {
            Some(v) => match parse_content_type(v) {
                Some((t, p)) => (t.clone(), p, t),
                None => (
                    default_type.to_string(),
                    Vec::new(),
                    v.trim().chars().take(200).collect(),
                ),
            },
            None => (
                default_type.to_string(),
                Vec::new(),
                default_type.to_string(),
            ),
        };

        // Content-Transfer-Encoding
        let cte_values: Vec<String> = fields
            .iter()
            .filter(|(n, _)| n == "content-transfer-encoding")
            .map(|(_, v)| v.trim().to_ascii_lowercase())
            .collect();
        if cte_values.len() > 1 {
            let kind = if cte_values.iter().all(|v| *v == cte_values[0]) {
                AmbiguityKind::DuplicateTransferEncoding
            } else {
                AmbiguityKind::ConflictingTransferEncoding
            };
            self.note(
                kind,
                index,
                format!("{} Content-Transfer-Encoding fields", cte_values.len()),
            );
        }
        let cte = match cte_values.first() {
            None => String::new(),
            Some(v) => match transfer_encoding(v) {
                Cte::Known => v.clone(),
                Cte::Misspelled(name) => {
                    let shown: String = v.chars().take(40).collect();
                    self.note_oddity(
                        AmbiguityKind::MisspelledTransferEncoding,
                        index,
                        format!("Content-Transfer-Encoding {shown:?} read as {name}"),
                    );
                    name.to_string()
                }
                Cte::Unknown => v.clone(),
            },
        };

        let body = if let Some(subtype) = mime_type.strip_prefix("multipart/") {
            if !matches!(cte.as_str(), "" | "7bit" | "8bit" | "binary") {
                self.note(
                    AmbiguityKind::ConflictingTransferEncoding,
                    index,
                    format!("multipart entity with transfer encoding {cte}"),
                );
            }
            let boundaries: Vec<&(String, String)> = params
                .iter()
                .filter(|(n, _)| n == "boundary" || n.starts_with("boundary*"))
                .collect();
            if boundaries.len() > 1 {
                self.note(
                    AmbiguityKind::DuplicateBoundary,
                    index,
                    format!("{} boundary parameters", boundaries.len()),
                );
            }
            if boundaries.iter().any(|(n, _)| n != "boundary") {
                self.note(
                    AmbiguityKind::EncodedBoundary,
                    index,
                    "boundary given with RFC 2231 encoding",
                );
            }
            match boundaries.first().map(|(_, v)| v.as_str()) {
                Some(b) if !b.is_empty() => {
                    if outer_boundaries
                        .iter()
                        .any(|o| o.starts_with(b) || b.starts_with(o.as_str()))
                    {
                        self.note(
                            AmbiguityKind::BoundaryPrefix,
                            index,
                            "boundary is a prefix of an enclosing boundary or the reverse",
                        );
                    }
                    let default_child = (subtype == "digest").then_some("message/rfc822");
                    let mut outer = outer_boundaries.to_vec();
                    outer.push(b.to_string());
                    let mut split = split_multipart(body_raw, b.as_bytes());
                    if !split.terminated && at_end {
                        // The last delimiter without its closing "--" and nothing after it: no
                        // part follows it (mail-parser sees none; a reader that sees one sees it
                        // empty).
                        let empty_tail = split.parts.len() > 1
                            && split.parts.last().is_some_and(|p| {
                                p.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
                            });
                        if empty_tail {
                            split.parts.pop();
                        }
                        self.note_oddity(
                            AmbiguityKind::UnterminatedMultipart,
                            index,
                            if empty_tail {
                                "the last boundary delimiter lacks its closing \"--\" and nothing follows it"
                            } else {
                                "no closing boundary delimiter at the end of the message"
                            },
                        );
                    } else if !split.terminated {
                        self.note(
                            AmbiguityKind::UnterminatedMultipart,
                            index,
                            "no closing boundary delimiter",
                        );
                    }
                    if split.delimiter_after_close {
                        self.note(
                            AmbiguityKind::DelimiterAfterClose,
                            index,
                            "a boundary delimiter follows the closing delimiter",
                        );
                    }
                    let mut children = Vec::with_capacity(split.parts.len());
                    let last = split.parts.len().saturating_sub(1);
                    for (i, chunk) in split.parts.into_iter().enumerate() {
                        let child_at_end = at_end && !split.terminated && i == last;
                        children.push(self.scan_entity(
                            chunk,
                            depth + 1,
                            default_child,
                            &outer,
                            child_at_end,
                        )?);
                    }
                    Body::Multipart(children)
                }
                _ => {
                    self.note(
                        AmbiguityKind::MissingBoundary,
                        index,
                        "multipart without a usable boundary",
                    );
                    Body::Leaf(self.decode_body(body_raw, &cte, index)?)
                }
            }
        } else if mime_type == "message/rfc822" || mime_type == "message/global" {
            let inner = self.decode_body(body_raw, &cte, index)?;
            let encoded = matches!(cte.as_str(), "base64" | "quoted-printable");
            if encoded && self.encoded_messages >= MAX_ENCODED_MESSAGE_NESTING {
                Body::Leaf(inner)
            } else {
                self.encoded_messages += usize::from(encoded);
                // A decoded message is read on its own: its end is the end of its bytes.
                let child =
                    self.scan_entity(&inner, depth + 1, None, outer_boundaries, at_end || encoded);
                self.encoded_messages -= usize::from(encoded);
                Body::Message(inner, Box::new(child?))
            }
        } else {
            Body::Leaf(self.decode_body(body_raw, &cte, index)?)
        };

        Ok(Entity {
            index,
            header_block,
            fields,
            mime_type,
            declared_type,
            params,
            body,
        })
    }

    fn parse_fields(
        &mut self,
        block: &[u8],
        index: usize,
    ) -> Result<Vec<(String, String)>, LimitExceeded> {
        let text = String::from_utf8_lossy(block);
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut malformed_at: Option<usize> = None;
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                match fields.last_mut() {
                    Some((_, v)) => {
                        v.push(' ');
                        v.push_str(line.trim_start());
                    }
                    None => {
                        malformed_at.get_or_insert(0);
                    }
                }
            } else if let Some((name, value)) = line.split_once(':') {
                let trimmed = name.trim_end();
                if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_graphic()) {
                    malformed_at.get_or_insert(fields.len());
                    continue;
                }
                if trimmed.len() != name.len()
                    && trimmed.to_ascii_lowercase().starts_with("content-")
                {
                    self.note(
                        AmbiguityKind::MalformedHeader,
                        index,
                        format!("white space before the colon of {trimmed}"),
                    );
                }
                fields.push((trimmed.to_ascii_lowercase(), value.trim().to_string()));
            } else {
                malformed_at.get_or_insert(fields.len());
            }
            if let Some((_, v)) = fields.last()
                && v.len() > self.limits.max_header_line_bytes
            {
                return Err(LimitExceeded(format!(
                    "header field longer than {} bytes in part {index}",
                    self.limits.max_header_line_bytes
                )));
            }
        }
        if let Some(at) = malformed_at
            && fields[at..].iter().any(|(n, _)| n.starts_with("content-"))
        {
            // In the message's own header block a transfer agent may end the header at such a
            // line (and some do, inserting a blank line); nested header blocks reach only readers.
            if index == 0 {
                self.note(
                    AmbiguityKind::MalformedHeader,
                    index,
                    "a line that is not a header field comes before MIME header fields",
                );
            } else {
                self.note_oddity(
                    AmbiguityKind::MalformedHeader,
                    index,
                    "a stray line that is not a header field comes before the part's MIME header fields",
                );
            }
        }
        Ok(fields)
    }

    fn decode_body(
        &mut self,
        raw: &[u8],
        cte: &str,
        index: usize,
    ) -> Result<Vec<u8>, LimitExceeded> {
        let decoded = match cte {
            "" | "7bit" | "8bit" | "binary" => raw.to_vec(),
            "base64" => {
                let (bytes, clean) = decode_base64(raw);
                if !clean {
                    self.note(
                        AmbiguityKind::InvalidBase64,
                        index,
                        "base64 content with characters outside the alphabet or bad padding",
                    );
                }
                bytes
            }
            "quoted-printable" => decode_quoted_printable(raw),
            other => {
                self.note(
                    AmbiguityKind::UnknownTransferEncoding,
                    index,
                    format!("unknown Content-Transfer-Encoding {other:?}"),
                );
                raw.to_vec()
            }
        };
        self.decoded_bytes = self.decoded_bytes.saturating_add(decoded.len());
        if self.decoded_bytes > self.limits.max_decoded_bytes {
            return Err(LimitExceeded(format!(
                "decoded content larger than {} bytes",
                self.limits.max_decoded_bytes
            )));
        }
        Ok(decoded)
    }
}

/// How a (trimmed, lower-case) Content-Transfer-Encoding value reads.
#[derive(Debug, PartialEq, Eq)]
enum Cte {
    /// One of the names RFC 2045 defines, as written.
    Known,
    /// A misspelling of one: separators inside (`7-bit`, `8 bit`, `quoted_printable`), a plural
    /// (`7bits`), `plain` for the identity encoding, or trailing junk after `;` or `(`
    /// (`base64; x`). The name it is read as.
    Misspelled(&'static str),
    /// Anything else; not guessed at.
    Unknown,
}

fn transfer_encoding(v: &str) -> Cte {
    if matches!(
        v,
        "" | "7bit" | "8bit" | "binary" | "base64" | "quoted-printable"
    ) {
        return Cte::Known;
    }
    let core = v.split([';', '(']).next().unwrap_or_default();
    let squashed: String = core
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '-' | '_'))
        .collect();
    match squashed.as_str() {
        "7bit" | "7bits" | "plain" => Cte::Misspelled("7bit"),
        "8bit" | "8bits" => Cte::Misspelled("8bit"),
        "binary" => Cte::Misspelled("binary"),
        "base64" => Cte::Misspelled("base64"),
        "quotedprintable" => Cte::Misspelled("quoted-printable"),
        _ => Cte::Unknown,
    }
}

fn skip_mbox_from_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(p) => &raw[p + 1..],
            None => &[],
        }
    } else {
        raw
    }
}

fn normalise_ws(v: &str) -> String {
    v.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Splits at the first empty line. A part that starts with an empty line has no header fields.
pub(crate) fn split_header_body(raw: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    while pos < raw.len() {
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |p| pos + p + 1);
        let line = &raw[pos..end];
        if line == b"\n" || line == b"\r\n" {
            return (&raw[..pos], &raw[end..]);
        }
        pos = end;
    }
    (raw, &[])
}

/// Lines of `raw` with their start offsets, line ends excluded (CR before LF removed).
fn lines(raw: &[u8]) -> impl Iterator<Item = (usize, usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= raw.len() {
            return None;
        }
        let start = pos;
        let nl = raw[pos..].iter().position(|&b| b == b'\n');
        let (content_end, next) = match nl {
            Some(p) => (pos + p, pos + p + 1),
            None => (raw.len(), raw.len()),
        };
        pos = next;
        let mut line = &raw[start..content_end];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        Some((start, next, line))
    })
}

/// How a multipart body split.
#[derive(Debug, PartialEq, Eq)]
struct Split<'a> {
    parts: Vec<&'a [u8]>,
    /// A close delimiter was seen.
    terminated: bool,
    /// Another delimiter of the same boundary follows the close delimiter; readers that do not
    /// stop at the close delimiter see more parts there.
    delimiter_after_close: bool,
}

/// Splits a multipart body on delimiter lines. The line break before a delimiter belongs to the
/// delimiter (RFC 2046 §5.1.1).
fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Split<'a> {
    let mut needle = b"--".to_vec();
    needle.extend_from_slice(boundary);
    if needle.contains(&b'\n') {
        return split_multipart_by_lines(body, boundary);
    }
    // Only lines that start with `--boundary` can be delimiters: found with a substring search
    // instead of visiting every line. Matches cannot overlap a line start, the needle having no LF.
    let starts = memchr::memmem::find_iter(body, &needle)
        .filter(|&p| p == 0 || body[p - 1] == b'\n')
        .map(|start| {
            let (content_end, next) = match memchr::memchr(b'\n', &body[start..]) {
                Some(n) => (start + n, start + n + 1),
                None => (body.len(), body.len()),
            };
            let line = &body[start..content_end];
            (start, next, line.strip_suffix(b"\r").unwrap_or(line))
        });
    split_on(body, boundary, starts)
}

/// [`split_multipart`] over every line of the body.
fn split_multipart_by_lines<'a>(body: &'a [u8], boundary: &[u8]) -> Split<'a> {
    split_on(body, boundary, lines(body))
}

/// Splits `body` at those of `lines` (start, start of the next line, content) that are
/// delimiters of `boundary`.
fn split_on<'a>(
    body: &'a [u8],
    boundary: &[u8],
    lines: impl Iterator<Item = (usize, usize, &'a [u8])>,
) -> Split<'a> {
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut closed = false;
    for (start, next, line) in lines {
        let Some(rest) = line
            .strip_prefix(b"--")
            .and_then(|l| l.strip_prefix(boundary))
        else {
            continue;
        };
        let (closing, rest) = match rest.strip_prefix(b"--") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if !rest.iter().all(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        if closed {
            return Split {
                parts,
                terminated: true,
                delimiter_after_close: true,
            };
        }
        if let Some(s) = current {
            let mut end = start;
            if end > s && body[end - 1] == b'\n' {
                end -= 1;
                if end > s && body[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            parts.push(&body[s..end.max(s)]);
        }
        if closing {
            closed = true;
            current = None;
            continue;
        }
        current = Some(next);
    }
    if let Some(s) = current {
        parts.push(&body[s.min(body.len())..]);
    }
    Split {
        parts,
        terminated: closed,
        delimiter_after_close: false,
    }
}

/// Parses `type/subtype; name=value; ...` into a lower-case type and lower-case parameter names.
/// Comments in parentheses are skipped. Returns `None` when the type is not `token/token`.
pub(crate) fn parse_content_type(v: &str) -> Option<(String, Vec<(String, String)>)> {
    let v = strip_comments(v);
    let mut it = v.splitn(2, ';');
    let ty = it.next()?.trim().to_ascii_lowercase();
    let (t, s) = ty.split_once('/')?;
    let is_token = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    if !is_token(t) || !is_token(s) {
        return None;
    }
    let params = parse_params(it.next().unwrap_or(""));
    Some((ty, params))
}

fn strip_comments(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    for c in v.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' if in_quote || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                in_quote = !in_quote;
                out.push(c);
            }
            '(' if !in_quote => depth += 1,
            ')' if !in_quote && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            name.push(c);
            chars.next();
        }
        if name.trim().is_empty() && chars.peek().is_none() {
            break;
        }
        let name = name.trim().to_ascii_lowercase();
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        _ => value.push(c),
                    }
                }
                while chars.peek().is_some_and(|c| *c != ';') {
                    chars.next();
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        if !name.is_empty() {
            params.push((name, value));
        }
        if chars.peek().is_none() {
            break;
        }
    }
    params
}

/// The value of each base64 alphabet byte; 255 for every other byte.
const B64_VALUES: [u8; 256] = {
    let mut t = [255u8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// base64 as MIME writes it, decoded; the flag says whether the input was clean (only the
/// alphabet and ASCII white space, padding right and only at the end).
///
/// Clean input is read by `base64`'s SIMD engine, a stretch of lines at a time; input it refuses,
/// and whatever it cannot vouch for, is read again by [`decode_base64_lenient`], which decides
/// both the bytes and the flag. So the result is always the lenient decoder's.
pub(crate) fn decode_base64(raw: &[u8]) -> (Vec<u8>, bool) {
    match decode_base64_lines(raw, 32 * 1024) {
        Some(bytes) => (bytes, true),
        None => decode_base64_lenient(raw),
    }
}

/// The engine the clean lines are read by: strict, so padding must be where the encoder puts
/// it and the bits after the last byte must be zero.
static SIMD_BASE64: std::sync::LazyLock<base64::engine::simd::Simd> =
    std::sync::LazyLock::new(|| {
        base64::engine::simd::Simd::standard(base64::engine::general_purpose::PAD)
    });

/// The lines of `raw` without their line ends (LF or CRLF), joined `stage` bytes at a time and
/// decoded by the strict engine. `None` when the engine refuses a stretch.
fn decode_base64_lines(raw: &[u8], stage: usize) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let mut out = Vec::with_capacity(raw.len() / 4 * 3 + 3);
    let mut joined: Vec<u8> = Vec::with_capacity(stage + 80);
    let mut rest = raw;
    loop {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(p) => (&rest[..p], Some(&rest[p + 1..])),
            None => (rest, None),
        };
        joined.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        let last = next.is_none();
        if last || joined.len() >= stage {
            // A stretch before the last ends on a whole group of four, and not in padding: a
            // stretch that does waits for the rest, so the engine sees padding only at the end.
            let whole = if last {
                joined.len()
            } else {
                joined.len() / 4 * 4
            };
            if last || !joined[..whole].ends_with(b"=") {
                SIMD_BASE64.decode_vec(&joined[..whole], &mut out).ok()?;
                joined.drain(..whole);
            }
        }
        match next {
            Some(n) => rest = n,
            None => return Some(out),
        }
    }
}

/// Lenient base64: skips anything outside the alphabet. The flag says whether the input was clean.
fn decode_base64_lenient(raw: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(raw.len() / 4 * 3 + 6);
    let mut clean = true;
    let mut acc: u32 = 0;
    let mut n = 0u8;
    let mut padding = 0usize;
    let mut i = 0;
    while i < raw.len() {
        // Eight alphabet bytes at a group boundary, the common case (a MIME line is nine such
        // runs and one of four), are decoded at once into six bytes.
        if n == 0
            && padding == 0
            && let Some(run) = raw.get(i..i + 8)
        {
            let mut v: u64 = 0;
            let mut bad = 0u8;
            for &c in run {
                let x = B64_VALUES[c as usize];
                bad |= x;
                v = (v << 6) | u64::from(x);
            }
            if bad < 64 {
                out.extend_from_slice(&v.to_be_bytes()[2..]);
                i += 8;
                continue;
            }
        }
        // Four, likewise.
        if n == 0
            && padding == 0
            && let Some(quad) = raw.get(i..i + 4)
        {
            let [a, b, c, d] = [quad[0], quad[1], quad[2], quad[3]].map(|x| B64_VALUES[x as usize]);
            if (a | b | c | d) < 64 {
                let v = (u32::from(a) << 18)
                    | (u32::from(b) << 12)
                    | (u32::from(c) << 6)
                    | u32::from(d);
                out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
                i += 4;
                continue;
            }
        }
        let b = raw[i];
        i += 1;
        let v = B64_VALUES[b as usize];
        if v < 64 {
            if padding > 0 {
                clean = false;
            }
            acc = (acc << 6) | u32::from(v);
            n += 1;
            if n == 4 {
                out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                acc = 0;
                n = 0;
            }
        } else if b == b'=' {
            padding += 1;
        } else if !b.is_ascii_whitespace() {
            clean = false;
        }
    }
    match n {
        0 => {
            if padding > 0 {
                clean = false;
            }
        }
        2 => {
            out.push((acc >> 4) as u8);
            clean &= padding == 2;
        }
        3 => {
            out.push((acc >> 10) as u8);
            out.push((acc >> 2) as u8);
            clean &= padding == 1;
        }
        _ => clean = false,
    }
    (out, clean)
}

/// Quoted-printable; a malformed escape is kept as it is.
pub(crate) fn decode_quoted_printable(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'=' {
            let rest = &raw[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if rest.len() >= 2
                && let (Some(h), Some(l)) = (hex_val(rest[0]), hex_val(rest[1]))
            {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
            // soft line break with trailing white space
            let ws = rest
                .iter()
                .take_while(|c| **c == b' ' || **c == b'\t')
                .count();
            if ws > 0 && (rest[ws..].starts_with(b"\r\n") || rest[ws..].starts_with(b"\n")) {
                i += 1 + ws + if rest[ws] == b'\r' { 2 } else { 1 };
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time decoder that the four-byte fast path must agree with.
    fn decode_base64_per_byte(raw: &[u8]) -> (Vec<u8>, bool) {
        let value = |b: u8| match b {
            b'A'..=b'Z' => Some(b - b'A'),
            b'a'..=b'z' => Some(b - b'a' + 26),
            b'0'..=b'9' => Some(b - b'0' + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        };
        let mut out = Vec::new();
        let mut clean = true;
        let mut acc: u32 = 0;
        let mut n = 0u8;
        let mut padding = 0usize;
        for &b in raw {
            if let Some(v) = value(b) {
                if padding > 0 {
                    clean = false;
                }
                acc = (acc << 6) | u32::from(v);
                n += 1;
                if n == 4 {
                    out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                    acc = 0;
                    n = 0;
                }
            } else if b == b'=' {
                padding += 1;
            } else if !b.is_ascii_whitespace() {
                clean = false;
            }
        }
        match n {
            0 => clean &= padding == 0,
            2 => {
                out.push((acc >> 4) as u8);
                clean &= padding == 2;
            }
            3 => {
                out.push((acc >> 10) as u8);
                out.push((acc >> 2) as u8);
                clean &= padding == 1;
            }
            _ => clean = false,
        }
        (out, clean)
    }

    proptest::proptest! {
        #[test]
        fn delimiter_search_splits_as_every_line_does(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "--b", "--b--", "--bb", "--b ", "--b\t", "x--b", "-", "--", "b", "\r", "\n", "\r\n", "a", " ",
            ]), 0..40),
            boundary in proptest::sample::select(vec!["b", "bb", "-", "--"]),
        ) {
            let body = pieces.concat();
            proptest::prop_assert_eq!(
                split_multipart(body.as_bytes(), boundary.as_bytes()),
                split_multipart_by_lines(body.as_bytes(), boundary.as_bytes())
            );
        }

        #[test]
        fn base64_fast_path_decodes_as_byte_at_a_time(
            raw in proptest::collection::vec(proptest::sample::select(b"QUJDRA+/=\r\n \t!-\x80".to_vec()), 0..80),
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
            let folded: Vec<u8> = encoded
                .as_bytes()
                .chunks(76)
                .flat_map(|l| l.iter().copied().chain(*b"\r\n"))
                .collect();
            proptest::prop_assert_eq!(decode_base64(&folded), (bytes.clone(), true));
            for input in [&raw, &bytes, &folded] {
                proptest::prop_assert_eq!(decode_base64(input), decode_base64_per_byte(input));
            }
        }
    }

    /// MIME base64 of `bytes` in lines of `width` characters, each ended by LF or CRLF as
    /// `crlf` says, then changed at `at` as `edit` says: the hostile inputs a strict engine must
    /// refuse or read exactly as the lenient decoder does.
    fn edited_base64(
        bytes: &[u8],
        width: usize,
        crlf: &[bool],
        (edit, at, junk): (u8, usize, u8),
    ) -> Vec<u8> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut out = Vec::new();
        for (i, line) in encoded.as_bytes().chunks(width).enumerate() {
            out.extend_from_slice(line);
            out.extend_from_slice(if crlf[i % crlf.len()] { b"\r\n" } else { b"\n" });
        }
        let at = at % (out.len() + 1);
        match edit {
            0 => {}
            1 => out.insert(at, b'='),
            2 => out.insert(at, b' '),
            3 => out.insert(at, b'!'),
            4 => out.splice(at..at, *b"\r\n\r\n").for_each(drop),
            5 => out.splice(at..at, *b"QQ==").for_each(drop),
            6 => out.insert(at, b'\r'),
            7 if at < out.len() => {
                out.remove(at);
            }
            // The last character before the padding with a bit set that no byte holds.
            8 => {
                if let Some(p) = out.iter().rposition(|b| b.is_ascii_alphanumeric())
                    && out[p..].contains(&b'=')
                {
                    out[p] = if out[p] == b'B' { b'C' } else { b'B' };
                }
            }
            9 if at < out.len() => out[at] = 0x80,
            // Any byte at all, the alphabet's neighbours among them.
            10 => out.insert(at, junk),
            11 if at < out.len() => out[at] = junk,
            _ => out.truncate(at),
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn simd_base64_reads_as_the_lenient_decoder(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
            width in proptest::sample::select(vec![4usize, 8, 64, 76, 3, 5, 77, 1000]),
            crlf in proptest::collection::vec(proptest::prelude::any::<bool>(), 1..4),
            edit in 0u8..14,
            at in 0usize..1000,
            junk in proptest::prelude::any::<u8>(),
            stage in proptest::sample::select(vec![1usize, 4, 7, 16, 76, 100, 32 * 1024]),
        ) {
            let input = edited_base64(&bytes, width, &crlf, (edit, at, junk));
            let unchanged = input == edited_base64(&bytes, width, &crlf, (0, 0, 0));
            let lenient = decode_base64_lenient(&input);
            if unchanged {
                proptest::prop_assert_eq!(&lenient, &(bytes.clone(), true));
            }
            match decode_base64_lines(&input, stage) {
                Some(fast) => proptest::prop_assert_eq!((fast, true), lenient),
                // Refused only where the input was changed: base64 as an encoder writes it is
                // read by the engine, whatever its lines' length and ends.
                None => proptest::prop_assert!(!unchanged),
            }
            proptest::prop_assert_eq!(decode_base64(&input), decode_base64_per_byte(&input));
        }
    }

    #[test]
    fn content_type_with_comment_and_quotes() {
        let (t, p) =
            parse_content_type("Multipart/Mixed (x; boundary=\"no\"); Boundary=\"a;b\"").unwrap();
        assert_eq!(t, "multipart/mixed");
        assert_eq!(p, vec![("boundary".to_string(), "a;b".to_string())]);
    }

    #[test]
    fn invalid_content_type_is_none() {
        assert!(parse_content_type("text").is_none());
        assert!(parse_content_type("text/").is_none());
    }

    #[test]
    fn padding_at_the_end_of_a_stretch_waits_for_the_rest() {
        // The first stretch ends in padding and alphabet follows: the engine must see both.
        assert_eq!(decode_base64_lines(b"QQ==\nQUJD\n", 4), None);
        assert!(!decode_base64(b"QQ==\nQUJD\n").1);
        // Padding at the very end, after a stretch, is read.
        assert_eq!(
            decode_base64_lines(b"QUJD\r\nQQ==\r\n", 4),
            Some(b"ABCA".to_vec())
        );
    }

    #[test]
    fn base64_flags_garbage() {
        assert_eq!(decode_base64(b"aGVsbG8=\r\n"), (b"hello".to_vec(), true));
        assert!(!decode_base64(b"aGVs!bG8=").1);
        assert!(!decode_base64(b"aGVsbG8=aGVs").1);
    }

    #[test]
    fn quoted_printable_soft_breaks() {
        assert_eq!(
            decode_quoted_printable(b"a=3Db=\r\nc=\nd=ZZ"),
            b"a=bcd=ZZ".to_vec()
        );
    }

    #[test]
    fn multipart_split_exact_delimiters() {
        let body = b"pre\r\n--b\r\nA\r\n--bx\r\nstill A\r\n--b  \r\nB\r\n--b--\r\nepilogue";
        let split = split_multipart(body, b"b");
        assert!(split.terminated && !split.delimiter_after_close);
        assert_eq!(split.parts, vec![&b"A\r\n--bx\r\nstill A"[..], &b"B"[..]]);
    }

    #[test]
    fn transfer_encoding_misspellings_name_a_known_encoding() {
        for v in ["", "7bit", "8bit", "binary", "base64", "quoted-printable"] {
            assert_eq!(transfer_encoding(v), Cte::Known, "{v}");
        }
        for (v, name) in [
            ("7-bit", "7bit"),
            ("7bits", "7bit"),
            ("7 bit", "7bit"),
            ("plain", "7bit"),
            ("8 bit", "8bit"),
            ("8-bits", "8bit"),
            ("8bit; x", "8bit"),
            ("7bit (as sent)", "7bit"),
            ("base64; x", "base64"),
            ("base 64", "base64"),
            ("quoted_printable", "quoted-printable"),
            ("binary;", "binary"),
        ] {
            assert_eq!(transfer_encoding(v), Cte::Misspelled(name), "{v}");
        }
        for v in [
            "x-uuencode",
            "6bit",
            "base64x",
            "7",
            "bit",
            "uuencode",
            "base32",
            ";base64",
        ] {
            assert_eq!(transfer_encoding(v), Cte::Unknown, "{v}");
        }
    }

    #[test]
    fn multipart_without_close_is_flagged() {
        let split = split_multipart(b"--b\nA\n--b\nB\n", b"b");
        assert!(!split.terminated);
        assert_eq!(split.parts.len(), 2);
    }

    #[test]
    fn delimiter_after_close_is_flagged() {
        let split = split_multipart(b"--b\nA\n--b--\n--b\nMZ\n--b--\n", b"b");
        assert!(split.delimiter_after_close);
        assert_eq!(split.parts, vec![&b"A"[..]]);
    }
}
