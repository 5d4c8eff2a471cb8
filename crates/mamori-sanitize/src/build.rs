//! Writing the new message (出力メッセージの生成): header encoding and the text body.

use mail_parser::{Address, HeaderValue, Message};
use sha2::{Digest, Sha256};

use crate::text::visible_header_text;

/// Caps on what is copied into the new header, so that the output always stays within the
/// default limits and sanitizing it again changes nothing.
const MAX_SUBJECT_CHARS: usize = 500;
const MAX_NAME_CHARS: usize = 64;
const MAX_ADDRESSES: usize = 20;
const MAX_REFERENCES: usize = 20;

/// Cuts to at most `max` characters, the last being `…` when something was cut.
fn cap(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max - 1).collect();
    s.push('…');
    s
}

pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// RFC 2047 encoded words (UTF-8, B), each at most 75 characters, split on character
/// boundaries, joined by folding white space.
pub fn encode_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Unstructured header text: plain when it is short printable ASCII that cannot be mistaken
/// for an encoded word, encoded otherwise.
pub(crate) fn unstructured(text: &str) -> String {
    let clean = visible_header_text(text);
    let clean = cap(&clean.replace(['\n', '\t'], " "), MAX_SUBJECT_CHARS);
    if clean.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !clean.contains("=?")
        && clean.len() <= 200
    {
        clean
    } else {
        encode_words(&clean)
    }
}

fn is_safe_addr(a: &str) -> bool {
    !a.is_empty()
        && a.len() <= 320
        && a.bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>()\",;:\\[]".contains(&b))
}

fn display_name(name: &str) -> String {
    let clean = visible_header_text(name);
    let clean = cap(clean.replace(['\n', '\t'], " ").trim(), MAX_NAME_CHARS);
    if clean.bytes().all(|b| (0x20..0x7f).contains(&b)) && !clean.contains("=?") {
        let escaped = clean.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    } else {
        encode_words(&clean)
    }
}

/// Address list header value; addresses that are not plain ASCII addr-specs are left out.
pub(crate) fn addresses(addr: &Address<'_>) -> Option<String> {
    let list: Vec<String> = addr
        .iter()
        .filter_map(|a| {
            let email = a.address.as_deref()?.trim();
            if !is_safe_addr(email) {
                return None;
            }
            Some(match a.name.as_deref().map(str::trim) {
                Some(n) if !n.is_empty() && n != email => format!("{} <{email}>", display_name(n)),
                _ => format!("<{email}>"),
            })
        })
        .take(MAX_ADDRESSES)
        .collect();
    (!list.is_empty()).then(|| list.join(",\r\n "))
}

fn msg_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    (!id.is_empty()
        && id.len() <= 250
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>'))
    .then(|| format!("<{id}>"))
}

fn ids(v: &HeaderValue<'_>) -> Option<String> {
    let list: Vec<String> = match v {
        HeaderValue::Text(t) => vec![msg_id(t)?],
        HeaderValue::TextList(l) => {
            let ids: Vec<String> = l.iter().filter_map(|t| msg_id(t)).collect();
            ids[ids.len().saturating_sub(MAX_REFERENCES)..].to_vec()
        }
        _ => Vec::new(),
    };
    (!list.is_empty()).then(|| list.join("\r\n "))
}

/// The kept header fields of the original, decoded and re-encoded.
pub(crate) fn kept_headers(m: &Message<'_>) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if let Some(v) = m.from().and_then(addresses) {
        h.push(("From", v));
    }
    if let Some(v) = m.to().and_then(addresses) {
        h.push(("To", v));
    }
    if let Some(v) = m.cc().and_then(addresses) {
        h.push(("Cc", v));
    }
    if let Some(d) = m.date()
        && d.is_valid()
    {
        h.push(("Date", d.to_rfc822()));
    }
    if let Some(s) = m.subject() {
        h.push(("Subject", unstructured(s)));
    }
    if let Some(v) = m.message_id().and_then(msg_id) {
        h.push(("Message-ID", v));
    }
    if let Some(v) = ids(m.in_reply_to()) {
        h.push(("In-Reply-To", v));
    }
    if let Some(v) = ids(m.references()) {
        h.push(("References", v));
    }
    h
}

/// A disarmed file attached to the new message.
pub(crate) struct File<'a> {
    /// Generated ASCII name (`attachment-1.pdf`).
    pub name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
}

/// Base64 in lines of 76 characters, each ending in CRLF: a body of `Content-Transfer-Encoding:
/// base64`.
pub fn base64_lines(bytes: &[u8]) -> String {
    let mut out = String::new();
    push_base64(&mut out, bytes);
    out
}

/// Base64 in lines of 76 characters: each line is the encoding of 57 bytes, written in place.
fn push_base64(out: &mut String, bytes: &[u8]) {
    use base64::Engine as _;
    // Encoded whole and cut into lines of 76 characters (57 bytes each, so no padding but at
    // the end): one pass of the encoder's fast path rather than a call per line.
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    out.reserve(encoded.len() + encoded.len().div_ceil(76) * 2);
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(76));
        out.push_str(line);
        out.push_str("\r\n");
        rest = tail;
    }
}

/// Builds the whole new message: one text/plain part, or, when files were disarmed,
/// multipart/mixed with the text first and only the disarmed files after it. `crlf` is the
/// text, its lines ended by CRLF.
pub(crate) fn message(
    headers: &[(&'static str, String)],
    sanitized: &str,
    crlf: &str,
    files: &[File<'_>],
) -> Vec<u8> {
    let mut out = String::new();
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("MIME-Version: 1.0\r\n");
    if files.is_empty() {
        out.push_str("Content-Type: text/plain; charset=UTF-8\r\n");
        out.push_str("Content-Transfer-Encoding: base64\r\n");
        out.push_str("X-Mamori-Sanitized: ");
        out.push_str(sanitized);
        out.push_str("\r\n\r\n");
        push_base64(&mut out, crlf.as_bytes());
        return out.into_bytes();
    }
    // `_` is not a base64 character, so no line of a part can be the delimiter.
    let mut digest = Sha256::new();
    digest.update(crlf.as_bytes());
    for f in files {
        digest.update(f.bytes);
    }
    let boundary = format!("=_mamori_{}", &hex::encode(digest.finalize())[..24]);
    out.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n"
    ));
    out.push_str("X-Mamori-Sanitized: ");
    out.push_str(sanitized);
    out.push_str("\r\n\r\n");
    out.push_str(&format!("--{boundary}\r\n"));
    out.push_str("Content-Type: text/plain; charset=UTF-8\r\n");
    out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    push_base64(&mut out, crlf.as_bytes());
    for f in files {
        out.push_str(&format!("--{boundary}\r\n"));
        out.push_str(&format!(
            "Content-Type: {}; name=\"{}\"\r\n",
            f.mime, f.name
        ));
        out.push_str(&format!(
            "Content-Disposition: attachment; filename=\"{}\"\r\n",
            f.name
        ));
        out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        push_base64(&mut out, f.bytes);
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Encoded whole and cut, the lines are those of 57-byte pieces encoded one by one.
        #[test]
        fn base64_lines_are_those_of_57_byte_pieces(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            use base64::Engine as _;
            let mut expected = String::new();
            for line in bytes.chunks(57) {
                base64::engine::general_purpose::STANDARD.encode_string(line, &mut expected);
                expected.push_str("\r\n");
            }
            let mut out = String::new();
            push_base64(&mut out, &bytes);
            proptest::prop_assert_eq!(out, expected);
        }
    }

    #[test]
    fn base64_lines_are_the_encoding_cut_at_76() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for n in [0, 1, 56, 57, 58, 114, 1000] {
            let mut out = String::new();
            push_base64(&mut out, &bytes[..n]);
            let whole = base64(&bytes[..n]);
            let expected: String = whole
                .as_bytes()
                .chunks(76)
                .map(|l| format!("{}\r\n", std::str::from_utf8(l).unwrap()))
                .collect();
            assert_eq!(out, expected, "{n} bytes");
        }
    }

    #[test]
    fn encoded_words_split_on_chars() {
        let s = "あ".repeat(40);
        let enc = encode_words(&s);
        for w in enc.split("\r\n ") {
            assert!(w.len() <= 75, "{w}");
        }
        assert_eq!(enc.split("\r\n ").count(), 3);
    }

    #[test]
    fn plain_ascii_subject_stays_plain() {
        assert_eq!(unstructured("Meeting notes"), "Meeting notes");
        assert!(unstructured("=?x?q?y?=").starts_with("=?UTF-8?B?"));
    }

    #[test]
    fn long_subject_is_capped_once() {
        let long = "件".repeat(2000);
        let first = cap(&long, MAX_SUBJECT_CHARS);
        assert_eq!(first.chars().count(), MAX_SUBJECT_CHARS);
        assert!(first.ends_with('…'));
        assert_eq!(cap(&first, MAX_SUBJECT_CHARS), first);
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}
