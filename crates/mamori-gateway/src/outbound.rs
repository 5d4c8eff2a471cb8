//! 送信チェック (outbound check): mail leaving the LGWAN-connected segment for the Internet is not
//! sanitized but read for information that must not leave without approval, and held when it
//! carries any. Pure: bytes and a policy in, findings out; no IO, no clock.
//!
//! What is looked for:
//! - a 個人番号 (My Number): twelve digits whose last one is the check digit of the first eleven
//!   (総務省令第八十五号 第五条: weights 6,5,4,3,2,7,6,5,4,3,2 from the left, `11 − (sum mod 11)`,
//!   and 0 when the remainder is 0 or 1);
//! - a configured 機密性3 marking such as 「機密性3」「機密性3A」.
//!
//! Where: the decoded Subject, every text part (any charset mail-parser decodes, including
//! ISO-2022-JP, Shift_JIS and EUC-JP, under base64 or quoted-printable), HTML with its tags
//! removed and its character references decoded (hidden text included: this is a leak check, not
//! a rendering), attachment file names, text attachments (`text/*`, or `.txt`/`.csv`/`.tsv`/
//! `.html`/`.xml`/`.json` in UTF-8 or Shift_JIS) and nested messages. Office documents, PDFs and
//! archives are not opened.
//!
//! How a number is recognised (so that phone numbers, amounts and ids are not taken for one):
//! - full-width digits (０-９) count as digits, and full-width letters as letters (width is folded
//!   by NFKC; see [`fold_width`] for why only width);
//! - the digits are either one run of exactly twelve, or three groups of four joined by the same
//!   single separator: a space (also U+3000) or a hyphen/dash (`-`, `‐`, `‑`, `‒`, `–`, `—`, `―`,
//!   `−`, `－`, `ー`);
//! - a longer run (13 digits and more, e.g. a 法人番号 or a card number in 4-4-4-4 groups) is not
//!   a candidate, nor is a run touching a letter (`ID123456789018`), nor one that is part of a
//!   decimal or comma-grouped number (`0.123456789018`, `123,456,789,018`);
//! - twelve equal digits (`000000000000`, a common placeholder) are not a number.
//!
//! Numbers broken over lines, or grouped other than 12 or 4-4-4, are not found. A message that
//! cannot be read (no message at all, nesting too deep, more text than the limit) is held: the
//! check fails closed.

use std::borrow::Cow;

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// The checks to run on outbound mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Hold mail carrying a 個人番号 with a valid check digit.
    pub my_number: bool,
    /// Hold mail whose text contains any of these (compared after full-width letters and digits
    /// are folded to ASCII, so 「機密性3」 also finds 「機密性３」 and 「機密性３Ａ」).
    pub markings: Vec<String>,
    /// Most decoded text read from one message; beyond it the message is held.
    pub max_text_bytes: usize,
    /// Deepest nesting of attached messages read; deeper is held.
    pub max_depth: usize,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            my_number: true,
            markings: vec!["機密性3".into()],
            max_text_bytes: 64 * 1024 * 1024,
            max_depth: 8,
        }
    }
}

/// What was found. It names where, never the number itself: the report is stored and logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// 個人番号: a twelve-digit number with a valid check digit.
    MyNumber { location: String },
    /// A configured 機密性3 marking.
    #[serde(rename = "confidentiality-3")]
    Marking { marking: String, location: String },
    /// The message could not be checked completely, so it is held.
    Unreadable { detail: String },
}

impl Finding {
    /// Short name of the finding for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::MyNumber { .. } => "my-number",
            Finding::Marking { .. } => "confidentiality-3",
            Finding::Unreadable { .. } => "unreadable",
        }
    }
}

/// Reads one outbound message; an empty result means it may go out unchanged.
pub fn check(raw: &[u8], policy: &OutboundPolicy) -> Vec<Finding> {
    let mut scan = Scan {
        policy,
        markings: policy.markings.iter().map(|m| fold_width(m)).collect(),
        findings: Vec::new(),
        budget: policy.max_text_bytes,
    };
    match MessageParser::new().parse(raw) {
        Some(message) => scan.message(&message, "", 0),
        None => scan.unreadable("no message could be parsed"),
    }
    scan.findings
}

struct Scan<'p> {
    policy: &'p OutboundPolicy,
    markings: Vec<String>,
    findings: Vec<Finding>,
    /// Decoded text bytes still allowed.
    budget: usize,
}

impl Scan<'_> {
    fn unreadable(&mut self, detail: &str) {
        let finding = Finding::Unreadable {
            detail: detail.into(),
        };
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }

    fn message(&mut self, message: &Message<'_>, prefix: &str, depth: usize) {
        if depth > self.policy.max_depth {
            self.unreadable("attached messages nested too deeply");
            return;
        }
        if let Some(subject) = message.subject() {
            self.text(subject, &format!("{prefix}subject"));
        }
        for (index, part) in message.parts.iter().enumerate() {
            let location = format!("{prefix}part {index}");
            if let Some(name) = part.attachment_name() {
                self.text(name, &format!("{location} file name"));
            }
            let content_type = part.content_type().map(|ct| {
                format!(
                    "{}/{}",
                    ct.ctype().to_ascii_lowercase(),
                    ct.subtype().unwrap_or("").to_ascii_lowercase()
                )
            });
            match &part.body {
                PartType::Text(text) => self.text(text, &location),
                PartType::Html(html) => self.text(&html_text(html), &location),
                PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                    if let Some(text) =
                        text_attachment(content_type.as_deref(), part.attachment_name(), bytes)
                    {
                        self.text(&text, &location);
                    }
                }
                PartType::Message(inner) => {
                    self.message(inner, &format!("{location} > "), depth + 1)
                }
                PartType::Multipart(_) => {}
            }
        }
    }

    fn text(&mut self, text: &str, location: &str) {
        if text.len() > self.budget {
            self.budget = 0;
            self.unreadable("more text than the check reads");
            return;
        }
        self.budget -= text.len();
        let folded = fold_width(text);
        if self.policy.my_number && contains_my_number(&folded) {
            self.findings.push(Finding::MyNumber {
                location: location.into(),
            });
        }
        for (marking, folded_marking) in self.policy.markings.iter().zip(&self.markings) {
            if !folded_marking.is_empty() && folded.contains(folded_marking.as_str()) {
                self.findings.push(Finding::Marking {
                    marking: marking.clone(),
                    location: location.into(),
                });
            }
        }
    }
}

/// A binary part worth reading as text: declared `text/*`, or named like a text file.
fn text_attachment<'a>(
    content_type: Option<&str>,
    name: Option<&str>,
    bytes: &'a [u8],
) -> Option<Cow<'a, str>> {
    let declared_text = content_type.is_some_and(|t| t.starts_with("text/"));
    let named_text = name.is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        [".txt", ".csv", ".tsv", ".htm", ".html", ".xml", ".json"]
            .iter()
            .any(|ext| n.ends_with(ext))
    });
    if !declared_text && !named_text {
        return None;
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(Cow::Borrowed(text)),
        Err(_) => Some(encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0),
    }
}

/// Folds width by NFKC: the Halfwidth and Fullwidth Forms (U+FF00–U+FFEF: `１` → `1`, `Ａ` → `A`,
/// `－` → `-`, `ｰ` → `ー`) and the ideographic space (U+3000 → space). Every other character is
/// kept as it is: NFKC of the whole text would also make `①` and `¹` digits, `⒈` `1.`, `№`
/// `No` and `℡` `TEL`, so that a list of circled numbers reads as a 個人番号 and a number after
/// `№` touches letters and is missed.
pub fn fold_width(text: &str) -> String {
    let is_width_form = |c: char| c == '\u{3000}' || ('\u{FF00}'..='\u{FFEF}').contains(&c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(is_width_form) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let end = run.find(|c| !is_width_form(c)).unwrap_or(run.len());
        out.extend(run[..end].nfkc());
        rest = &run[end..];
    }
    out.push_str(rest);
    out
}

/// Separators allowed between the 4-4-4 groups (after [`fold_width`]).
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-'
            | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
            | '\u{30FC}'
            | '\u{FF70}'
    )
}

/// Whether `text` (already width-folded) holds a 個人番号 by the rules of the module docs.
pub fn contains_my_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits: Vec<u8> = Vec::with_capacity(12);
        let mut groups: Vec<usize> = Vec::new();
        let mut separators: Vec<char> = Vec::new();
        let mut total = 0usize;
        loop {
            let group_start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                if total < 13 {
                    digits.push(chars[i] as u8 - b'0');
                }
                total += 1;
                i += 1;
            }
            groups.push(i - group_start);
            let joined =
                i + 1 < chars.len() && is_separator(chars[i]) && chars[i + 1].is_ascii_digit();
            if !joined {
                break;
            }
            separators.push(chars[i]);
            i += 1;
        }
        if total == 12
            && (groups == [12] || (groups == [4, 4, 4] && separators[0] == separators[1]))
            && free_standing(&chars, start, i)
            && digits.iter().any(|d| *d != digits[0])
            && check_digit_valid(&digits)
        {
            return true;
        }
    }
    false
}

/// The number at `chars[start..end]` is not part of a word or of a decimal/grouped number.
fn free_standing(chars: &[char], start: usize, end: usize) -> bool {
    let wordish = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let numeric_join = |c: char| matches!(c, '.' | ',');
    if start > 0 {
        let before = chars[start - 1];
        if wordish(before) {
            return false;
        }
        if numeric_join(before) && start > 1 && chars[start - 2].is_ascii_digit() {
            return false;
        }
    }
    if let Some(&after) = chars.get(end) {
        if wordish(after) {
            return false;
        }
        if numeric_join(after) && chars.get(end + 1).is_some_and(char::is_ascii_digit) {
            return false;
        }
    }
    true
}

/// 検査用数字: whether the twelfth digit is the check digit of the first eleven.
pub fn check_digit_valid(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 11] = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    if digits.len() != 12 || digits.iter().any(|d| *d > 9) {
        return false;
    }
    let sum: u32 = digits[..11]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let remainder = sum % 11;
    let expected = if remainder <= 1 { 0 } else { 11 - remainder };
    u32::from(digits[11]) == expected
}

/// The text of an HTML part: tags become spaces, character references are decoded.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => {
                    out.push(' ');
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push_str(rest);
                    rest = "";
                }
            }
            continue;
        }
        let reference = rest[1..]
            .find(';')
            .filter(|end| *end <= 10)
            .map(|end| (&rest[1..=end], end + 2));
        match reference.and_then(|(name, len)| decode_reference(name).map(|c| (c, len))) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_reference(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    match name {
        "nbsp" => Some(' '),
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "ensp" | "emsp" | "thinsp" => Some(' '),
        "ndash" => Some('\u{2013}'),
        "mdash" => Some('\u{2014}'),
        "minus" => Some('\u{2212}'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use rstest::rstest;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[rstest]
    // 1·6+2·5+3·4+4·3+5·2+6·7+7·6+8·5+9·4+0·3+1·2 = 212, 212 mod 11 = 3, 11 − 3 = 8.
    #[case("123456789018", true)]
    #[case("123456789017", false)]
    #[case("123456789019", false)]
    // 1·3 + 1·2 = 5 → check digit 6.
    #[case("000000000116", true)]
    #[case("000000000110", false)]
    // 1·3 = 3 → 8.
    #[case("000000000108", true)]
    // 5·3 + 5·2 = 25, remainder 3 → 8.
    #[case("000000000558", true)]
    // 6·2 = 12, remainder 1 → 0 (not 10).
    #[case("000000000060", true)]
    #[case("000000000061", false)]
    // 1·3 + 4·2 = 11, remainder 0 → 0 (not 11).
    #[case("000000000140", true)]
    #[case("000000000141", false)]
    // 5·2 = 10, remainder 10 → 1.
    #[case("000000000051", true)]
    #[case("12345678901", false)]
    #[case("1234567890180", false)]
    fn check_digits(#[case] number: &str, #[case] valid: bool) {
        assert_eq!(check_digit_valid(&digits(number)), valid, "{number}");
    }

    #[test]
    fn every_base_has_exactly_one_check_digit() {
        for base in ["12345678901", "98765432109", "31415926535", "27182818284"] {
            let valid: Vec<u8> = (0..10)
                .filter(|d| check_digit_valid(&digits(&format!("{base}{d}"))))
                .collect();
            assert_eq!(valid.len(), 1, "{base}: {valid:?}");
        }
    }

    #[rstest]
    #[case("番号は123456789018です", true)]
    #[case("123456789018", true)]
    #[case("(123456789018)", true)]
    #[case("1234-5678-9018", true)]
    #[case("1234 5678 9018", true)]
    #[case("1234　5678　9018", true)]
    #[case("１２３４５６７８９０１８", true)]
    #[case("１２３４－５６７８－９０１８", true)]
    #[case("１２３４ー５６７８ー９０１８", true)]
    #[case("1234–5678–9018", true)]
    #[case("番号:123456789018。", true)]
    #[case("end 123456789018.", true)]
    // Invalid check digit.
    #[case("123456789017", false)]
    #[case("1234-5678-9017", false)]
    // Mixed separators or other groupings.
    #[case("1234-5678 9018", false)]
    #[case("12-3456-789018", false)]
    #[case("1234--5678--9018", false)]
    // Longer runs: 法人番号 (13 digits), card numbers, a valid one inside a longer run.
    #[case("1123456789018", false)]
    #[case("1234567890181", false)]
    #[case("1234-5678-9018-1234", false)]
    #[case("9999-1234-5678-9018", false)]
    #[case("1111-2222-3333-4444-1234-5678-9018", false)]
    // Touching letters or part of a decimal / grouped number.
    #[case("ID123456789018", false)]
    #[case("123456789018abc", false)]
    #[case("０.１２３４５６７８９０１８", false)]
    #[case("0.123456789018", false)]
    #[case("123456789018.5", false)]
    #[case("123,456,789,018", false)]
    // Phone numbers: 10 or 11 digits.
    #[case("03-1234-5678", false)]
    #[case("090-1234-5678", false)]
    #[case("0120-123-456", false)]
    #[case("+81-90-1234-5678", false)]
    // Placeholder.
    #[case("000000000000", false)]
    #[case("0000-0000-0000", false)]
    #[case("", false)]
    fn numbers_in_text(#[case] text: &str, #[case] found: bool) {
        assert_eq!(contains_my_number(&fold_width(text)), found, "{text}");
    }

    #[rstest]
    // Circled, parenthesised and full-stop digits number the items of a list; NFKC would make
    // this one 123456789018, a valid number.
    #[case("①②③④⑤⑥⑦⑧⑨⓪①⑧", false)]
    #[case("⑴⑵⑶⑷⑸⑹⑺⑻⑼⓪⑴⑻", false)]
    #[case("¹²³⁴⁵⁶⁷⁸⁹⁰¹⁸", false)]
    // A list number or a symbol before a number does not hide it: NFKC would make these
    // 1123456789018, 1.123456789018, No123456789018 and TEL1234-5678-9018.
    #[case("①123456789018", true)]
    #[case("⒈123456789018", true)]
    #[case("№123456789018", true)]
    #[case("℡1234-5678-9018", true)]
    #[case("個人番号：①１２３４５６７８９０１８", true)]
    // Half-width katakana around a number: the prolonged sound mark (ｰ) is a separator in either
    // width, other half-width katakana are neither digits nor letters.
    #[case("ﾊﾞﾝｺﾞｳ123456789018ﾃﾞｽ", true)]
    #[case("1234ｰ5678ｰ9018", true)]
    #[case("1234ｰ5678ー9018", true)]
    #[case("ｱ1234ｰ5678ｰ9018ｱ", true)]
    #[case("ｱ1234ｰ5678ｰ9017", false)]
    fn only_width_is_folded(#[case] text: &str, #[case] found: bool) {
        assert_eq!(contains_my_number(&fold_width(text)), found, "{text}");
    }

    #[test]
    fn whole_text_nfkc_would_change_what_is_found() {
        // Why fold_width leaves these characters alone: the cases above under full NFKC.
        let nfkc = |s: &str| s.nfkc().collect::<String>();
        assert!(contains_my_number(&nfkc("①②③④⑤⑥⑦⑧⑨⓪①⑧")));
        assert!(!contains_my_number(&nfkc("①123456789018")));
        assert!(!contains_my_number(&nfkc("№123456789018")));
        assert!(!contains_my_number(&nfkc("℡1234-5678-9018")));
    }

    #[test]
    fn width_folding_is_what_it_was_for_everything_the_check_looks_at() {
        // U+FF01–U+FF5E become their ASCII twin and U+3000 a space, as by hand before; the rest of
        // the block folds to characters that are neither ASCII nor a separator, as before.
        for c in ('\u{FF00}'..='\u{FFEF}').chain(['\u{3000}']) {
            let folded = fold_width(&c.to_string());
            match c {
                '\u{FF01}'..='\u{FF5E}' => {
                    let ascii = char::from_u32(c as u32 - 0xFEE0).unwrap();
                    assert_eq!(folded, ascii.to_string(), "{c:?}");
                }
                '\u{3000}' => assert_eq!(folded, " "),
                // ｰ folds to ー; both are separators.
                '\u{FF70}' => assert_eq!(folded, "\u{30FC}"),
                // ￣ folds to a space and a combining macron: the space is never followed by a
                // digit, so it joins no groups.
                '\u{FFE3}' => assert_eq!(folded, " \u{304}"),
                _ => assert!(
                    folded.chars().all(|f| !f.is_ascii_alphanumeric()
                        && !is_separator(f)
                        && f != '_'
                        && f != '.'
                        && f != ','),
                    "{c:?} → {folded:?}"
                ),
            }
        }
        assert_eq!(fold_width("機密性３Ａ ①"), "機密性3A ①");
        assert_eq!(fold_width(""), "");
    }

    #[test]
    fn a_valid_number_after_an_invalid_one_is_still_found() {
        assert!(contains_my_number("123456789017 と 123456789018"));
        assert!(!contains_my_number("123456789017 と 1234567890"));
    }

    fn kinds(raw: &[u8]) -> Vec<Finding> {
        check(raw, &OutboundPolicy::default())
    }

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn plain_mail_without_findings_passes() {
        let raw = "From: a@city.lg.jp\r\nTo: b@example.com\r\nSubject: 会議の件\r\n\r\n\
                   来週の会議は 03-1234-5678 まで。請求額 123,456,789,018 円。\r\n";
        assert_eq!(kinds(raw.as_bytes()), vec![]);
    }

    #[test]
    fn a_number_in_the_subject_is_found() {
        let raw =
            "Subject: =?UTF-8?B?".to_string() + &b64("番号 1234-5678-9018") + "?=\r\n\r\nbody\r\n";
        assert_eq!(
            kinds(raw.as_bytes()),
            vec![Finding::MyNumber {
                location: "subject".into()
            }]
        );
    }

    #[test]
    fn an_iso_2022_jp_body_is_decoded() {
        // 「番号１２３４５６７８９０１８」 in ISO-2022-JP: full-width digits are JIS X 0208 row 3.
        let (encoded, _, _) = encoding_rs::ISO_2022_JP.encode("個人番号：１２３４５６７８９０１８");
        let mut raw = b"Subject: test\r\nMIME-Version: 1.0\r\n\
            Content-Type: text/plain; charset=ISO-2022-JP\r\n\
            Content-Transfer-Encoding: 7bit\r\n\r\n"
            .to_vec();
        raw.extend_from_slice(&encoded);
        raw.extend_from_slice(b"\r\n");
        assert!(raw.contains(&0x1b), "really ISO-2022-JP escapes");
        assert_eq!(
            kinds(&raw),
            vec![Finding::MyNumber {
                location: "part 0".into()
            }]
        );
    }

    #[test]
    fn base64_parts_and_text_attachments_are_decoded() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("氏名,番号\r\n山田,123456789018\r\n");
        let raw = format!(
            "Subject: 資料\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
             --b\r\nContent-Type: application/octet-stream; name=\"list.csv\"\r\n\
             Content-Disposition: attachment; filename=\"list.csv\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
            b64("よろしくお願いします。"),
            base64::engine::general_purpose::STANDARD.encode(&sjis),
        );
        assert_eq!(
            kinds(raw.as_bytes()),
            vec![Finding::MyNumber {
                location: "part 2".into()
            }]
        );
    }

    #[test]
    fn html_hidden_text_and_character_references_are_read() {
        let raw = "Subject: x\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
                   <p style=\"display:none\">&#49;234<b>-</b>5678-90&#x31;8</p>\r\n";
        // Tags become spaces, so "1234 - 5678" is not a 4-4-4 group; this one is joined by text.
        assert_eq!(kinds(raw.as_bytes()), vec![]);
        let raw = "Subject: x\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n\
                   <p style=\"display:none\">&#49;234-5678-90&#x31;8</p>\r\n";
        assert_eq!(
            kinds(raw.as_bytes()),
            vec![Finding::MyNumber {
                location: "part 0".into()
            }]
        );
    }

    #[rstest]
    #[case("Subject: 【機密性3】予算資料\r\n\r\nbody\r\n")]
    #[case("Subject: 予算資料\r\n\r\n本資料は機密性３です\r\n")]
    #[case("Subject: 予算資料\r\n\r\n区分: 機密性３Ａ\r\n")]
    fn markings_are_found_in_any_width(#[case] raw: &str) {
        let found = kinds(raw.as_bytes());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind(), "confidentiality-3");
    }

    #[test]
    fn markings_are_configurable_and_other_levels_pass() {
        let raw = b"Subject: x\r\n\r\n\xe6\xa9\x9f\xe5\xaf\x86\xe6\x80\xa72\r\n"; // 機密性2
        assert_eq!(kinds(raw), vec![]);
        let policy = OutboundPolicy {
            markings: vec!["取扱注意".into()],
            my_number: false,
            ..OutboundPolicy::default()
        };
        let raw = "Subject: 【取扱注意】\r\n\r\n123456789018\r\n";
        assert_eq!(
            check(raw.as_bytes(), &policy),
            vec![Finding::Marking {
                marking: "取扱注意".into(),
                location: "subject".into()
            }]
        );
    }

    #[test]
    fn a_marking_in_an_attachment_name_is_found() {
        let raw = "Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
                   --b\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?"
            .to_string()
            + &b64("機密性3_名簿.pdf")
            + "?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n";
        let found = kinds(raw.as_bytes());
        assert!(
            found.iter().any(|f| matches!(f, Finding::Marking { location, .. } if location.ends_with("file name"))),
            "{found:?}"
        );
    }

    #[test]
    fn a_nested_message_is_read() {
        let raw = "Subject: fwd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
                   --b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
                   --b\r\nContent-Type: message/rfc822\r\n\r\n\
                   Subject: inner\r\n\r\nMy Number 1234 5678 9018\r\n--b--\r\n";
        let found = kinds(raw.as_bytes());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(&found[0], Finding::MyNumber { location } if location.contains(" > ")));
    }

    #[test]
    fn what_cannot_be_read_is_held() {
        assert_eq!(kinds(b"")[0].kind(), "unreadable");
        let policy = OutboundPolicy {
            max_text_bytes: 10,
            ..OutboundPolicy::default()
        };
        let found = check(
            b"Subject: x\r\n\r\nmore than ten bytes of text\r\n",
            &policy,
        );
        assert_eq!(
            found.iter().map(Finding::kind).collect::<Vec<_>>(),
            ["unreadable"]
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for raw in [
            &b"\xff\xfe\x00garbage"[..],
            b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
            b"Subject: =?ISO-2022-JP?B?GyRC?=\r\n\r\n\x1b$B\x1b(B",
            b"Content-Type: text/html\r\n\r\n<<<&#99999999999;&#x110000;&#;&;&",
        ] {
            let _ = kinds(raw);
        }
        assert!(!contains_my_number(&"9".repeat(100_000)));
        assert!(!contains_my_number(&"1234-".repeat(10_000)));
    }

    #[test]
    fn html_text_strips_tags_and_decodes_references() {
        assert_eq!(
            html_text("a<b>b</b>&amp;&#x41;&#66;&bogus;"),
            "a b &AB&bogus;"
        );
        assert_eq!(html_text("x<unterminated"), "x<unterminated");
    }
}
