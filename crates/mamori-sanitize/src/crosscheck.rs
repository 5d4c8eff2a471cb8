//! Cross-check (照合): does mail-parser read the message as the strict pre-scan did?
//!
//! Run when the pre-scan met only formatting oddities ([`crate::OnOddity`]). The two readings
//! agree when they have the same part tree (the same kind of entity at every position, the same
//! `type/subtype` where mail-parser saw a Content-Type, the same number of children) and every
//! leaf decodes to the same content. Leaves are compared as mail-parser itself presents them:
//! the bytes of a binary part; the text of a text part, with the scanner's bytes decoded by
//! mail-parser's own charset decoder for the same label (so a difference of transfer decoding or
//! of part boundaries shows, and charset detection, which only the engine does, does not). Line
//! ends at the very end of a part are not compared: no reader shows them.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::scan::{Body, Entity};

/// `Ok` when both readings agree; otherwise where and how they first differ.
pub(crate) fn compare(root: &Entity, parsed: &Message<'_>) -> Result<(), String> {
    entity(root, parsed, 0)
}

fn entity(e: &Entity, m: &Message<'_>, id: usize) -> Result<(), String> {
    let at = e.index;
    let part = m
        .parts
        .get(id)
        .ok_or_else(|| format!("part {at}: mail-parser has no such part"))?;
    if let Some(ct) = part.content_type() {
        let theirs = match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        }
        .to_ascii_lowercase();
        if theirs != e.mime_type {
            return Err(format!(
                "part {at}: the scanner read {}, mail-parser {theirs}",
                e.mime_type
            ));
        }
    }
    match (&e.body, &part.body) {
        (Body::Multipart(children), PartType::Multipart(ids)) => {
            if children.len() != ids.len() {
                return Err(format!(
                    "part {at}: the scanner found {} parts, mail-parser {}",
                    children.len(),
                    ids.len()
                ));
            }
            for (child, id) in children.iter().zip(ids) {
                entity(child, m, *id as usize)?;
            }
            Ok(())
        }
        (Body::Message(_, inner), PartType::Message(nested)) => entity(inner, nested, 0),
        (Body::Leaf(ours), PartType::Text(theirs) | PartType::Html(theirs)) => {
            let ours = as_mail_parser_text(ours, part);
            if trim_text(&ours) == trim_text(theirs) {
                Ok(())
            } else {
                Err(format!(
                    "part {at}: the two readings decode to different text ({} and {} characters)",
                    ours.chars().count(),
                    theirs.chars().count()
                ))
            }
        }
        (Body::Leaf(ours), PartType::Binary(theirs) | PartType::InlineBinary(theirs)) => {
            if trim_bytes(ours) == trim_bytes(theirs) {
                Ok(())
            } else {
                Err(format!(
                    "part {at}: the two readings decode to different bytes ({} and {} bytes)",
                    ours.len(),
                    theirs.len()
                ))
            }
        }
        (ours, theirs) => Err(format!(
            "part {at}: the scanner read {}, mail-parser {}",
            body_kind(ours),
            part_kind(theirs)
        )),
    }
}

/// The scanner's bytes decoded as mail-parser decodes a text part's bytes.
fn as_mail_parser_text<'a>(bytes: &'a [u8], part: &MessagePart<'_>) -> Cow<'a, str> {
    let decoder = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .and_then(|c| charset_decoder(c.as_bytes()));
    match decoder {
        Some(decode) => Cow::Owned(decode(bytes)),
        None => String::from_utf8_lossy(bytes),
    }
}

fn trim_text(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn trim_bytes(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b'\r' | b'\n'))
        .map_or(0, |p| p + 1);
    &b[..end]
}

fn body_kind(b: &Body) -> &'static str {
    match b {
        Body::Leaf(_) => "a leaf part",
        Body::Multipart(_) => "a multipart",
        Body::Message(..) => "an attached message",
    }
}

fn part_kind(p: &PartType<'_>) -> &'static str {
    match p {
        PartType::Text(_) | PartType::Html(_) => "a text part",
        PartType::Binary(_) | PartType::InlineBinary(_) => "a binary part",
        PartType::Message(_) => "an attached message",
        PartType::Multipart(_) => "a multipart",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Limits;
    use crate::scan::Scanner;
    use mail_parser::MessageParser;

    fn check(raw: &[u8]) -> Result<(), String> {
        let limits = Limits::default();
        let mut scanner = Scanner::new(&limits);
        let root = scanner.scan_message(raw).expect("within limits");
        let parsed = MessageParser::new().parse(raw).expect("parses");
        compare(&root, &parsed)
    }

    #[test]
    fn a_clean_message_agrees() {
        assert_eq!(
            check(
                b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B$\"\x1b(B\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
            ),
            Ok(())
        );
    }

    #[test]
    fn a_transfer_encoding_read_differently_disagrees() {
        // The scanner reads `base 64` as base64; mail-parser passes the part as it is.
        let e = check(
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base 64\r\n\r\nJVBERi0=\r\n",
        )
        .unwrap_err();
        assert!(e.contains("part 0") && e.contains("bytes"), "{e}");
    }

    #[test]
    fn a_part_swallowed_by_an_unterminated_inner_multipart_disagrees() {
        let e = check(
            b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nA\r\n--o\r\nContent-Type: text/plain\r\n\r\nB\r\n--o--\r\n",
        )
        .unwrap_err();
        assert!(e.contains("part"), "{e}");
    }

    #[test]
    fn trailing_line_ends_are_not_compared() {
        assert_eq!(trim_bytes(b"a\r\n\r\n"), b"a");
        assert_eq!(trim_bytes(b"\r\n"), b"");
        assert_eq!(trim_text("a\n\n"), "a");
        assert_eq!(trim_text("a \n"), "a ");
    }
}
