//! 文字コード (charset) handling for Japanese mail: labels, detection of mislabelled text.

use encoding_rs::{EUC_JP, Encoding, ISO_2022_JP, SHIFT_JIS, UTF_8};

/// Resolves a MIME charset label, including the Microsoft and vendor names Japanese mail uses
/// that the WHATWG label list lacks. encoding_rs's JIS X 0208 index already carries the NEC
/// row 13 and IBM extensions, so CP50220/CP50221/cp932 text (①, Ⅱ, ㈱, 髙) decodes fully.
pub(crate) fn encoding_for_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_matches('"').to_ascii_lowercase();
    let extra = match l.as_str() {
        "cp932" | "ms932" | "windows-932" | "x-ms-cp932" | "sjis-win" | "sjis-open"
        | "shift_jisx0213" | "shift_jis-2004" | "x-sjis-ms" => Some(SHIFT_JIS),
        "cp50220" | "cp50221" | "cp50222" | "iso-2022-jp-ms" | "iso-2022-jp-1"
        | "iso-2022-jp-2" | "iso-2022-jp-3" | "iso-2022-jp-2004" | "jis" | "x-jis" => {
            Some(ISO_2022_JP)
        }
        "cp51932" | "eucjp-ms" | "eucjp-win" | "euc-jp-ms" | "euc-jis-2004" | "x-euc-jp" => {
            Some(EUC_JP)
        }
        "utf8" => Some(UTF_8),
        _ => None,
    };
    extra.or_else(|| Encoding::for_label(l.as_bytes()))
}

fn strict(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

fn has_jis_escape(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| matches!(w, [0x1b, b'$', b'B' | b'@'] | [0x1b, b'(', b'I' | b'J']))
}

/// How Japanese a text looks: kana and kanji count up, half-width kana and rare symbols down
/// (EUC-JP misread as Shift_JIS turns into half-width kana).
fn japanese_score(s: &str) -> i64 {
    s.chars()
        .map(|c| match c as u32 {
            0x3040..=0x30ff | 0x4e00..=0x9fff | 0x3000..=0x303f | 0xff01..=0xff5e => 2,
            0xff61..=0xff9f => -1,
            0x80..=0x2fff => -1,
            _ => 0,
        })
        .sum()
}

/// Detects the encoding of non-ASCII bytes among those Japanese mail uses.
fn sniff(bytes: &[u8]) -> Option<(&'static Encoding, String)> {
    if has_jis_escape(bytes)
        && let Some(s) = strict(ISO_2022_JP, bytes)
    {
        return Some((ISO_2022_JP, s));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some((UTF_8, s.to_string()));
    }
    let sjis = strict(SHIFT_JIS, bytes);
    let euc = strict(EUC_JP, bytes);
    match (sjis, euc) {
        (Some(a), Some(b)) => {
            if japanese_score(&b) > japanese_score(&a) {
                Some((EUC_JP, b))
            } else {
                Some((SHIFT_JIS, a))
            }
        }
        (Some(a), None) => Some((SHIFT_JIS, a)),
        (None, Some(b)) => Some((EUC_JP, b)),
        (None, None) => None,
    }
}

/// CP50222 and "8-bit JIS" write half-width katakana as SO … SI shifts or as raw bytes
/// 0xA1–0xDF inside ISO-2022-JP; rewrites both as `ESC ( I` runs that the ISO-2022-JP decoder
/// reads. Returns `None` when there is nothing to rewrite or a byte fits neither form.
fn cp5022x_kana(bytes: &[u8]) -> Option<Vec<u8>> {
    const ASCII: &[u8] = b"\x1b(B";
    const KANA: &[u8] = b"\x1b(I";
    if !bytes
        .iter()
        .any(|&b| b == 0x0e || (0xa1..=0xdf).contains(&b))
    {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + 16);
    // Escapes are written only before the data they apply to: the decoder rejects two escape
    // sequences in a row.
    let mut effective: &[u8] = ASCII;
    let mut wanted: &[u8] = ASCII;
    let mut shifted = false;
    let mut emit = |out: &mut Vec<u8>, designation: &'static [u8], byte: u8| {
        if effective != designation {
            out.extend_from_slice(designation);
            effective = designation;
        }
        out.push(byte);
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x1b => {
                wanted = match bytes.get(i..i + 3)? {
                    b"\x1b(B" => ASCII,
                    b"\x1b(J" => b"\x1b(J",
                    b"\x1b(I" => KANA,
                    b"\x1b$@" => b"\x1b$@",
                    b"\x1b$B" => b"\x1b$B",
                    _ => return None,
                };
                i += 3;
                continue;
            }
            0x0e => shifted = true,
            0x0f => shifted = false,
            0xa1..=0xdf => emit(&mut out, KANA, b - 0x80),
            0x80..=0xff => return None,
            _ => emit(&mut out, if shifted { KANA } else { wanted }, b),
        }
        i += 1;
    }
    if effective != ASCII {
        out.extend_from_slice(ASCII);
    }
    Some(out)
}

/// Result of decoding one text body.
pub(crate) struct Decoded {
    pub text: String,
    /// The label was wrong, unknown or missing for non-ASCII content and detection decided.
    pub corrected: Option<String>,
}

/// Decodes text bytes that claim `label`. The label is trusted when the bytes are valid in it and,
/// for single-byte labels, when they are not plainly Japanese; otherwise the encoding is detected.
pub(crate) fn decode_text(bytes: &[u8], label: Option<&str>) -> Decoded {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_ascii() && !has_jis_escape(bytes) && !bytes.contains(&0x0e) {
        return Decoded {
            text: String::from_utf8_lossy(bytes).into_owned(),
            corrected: None,
        };
    }
    let labelled = label.and_then(encoding_for_label);
    if labelled == Some(ISO_2022_JP)
        && let Some(text) = cp5022x_kana(bytes).and_then(|b| strict(ISO_2022_JP, &b))
    {
        return Decoded {
            text,
            corrected: None,
        };
    }
    if let Some(enc) = labelled {
        let single_byte = enc.is_single_byte();
        let stateful = enc == ISO_2022_JP;
        if let Some(s) = strict(enc, bytes) {
            let plausible = if single_byte {
                // A Latin label on bytes that are valid UTF-8 or Japanese is a lie.
                !matches!(sniff(bytes), Some((e, t)) if e != enc && (e == UTF_8 || japanese_score(&t) > 0))
            } else if stateful {
                true
            } else {
                // ISO-2022-JP bytes are ASCII and valid in every ASCII-compatible label; Japanese
                // UTF-8 is often valid Shift_JIS too, while real Shift_JIS or EUC-JP text is
                // almost never valid UTF-8.
                !has_jis_escape(bytes) && (enc == UTF_8 || std::str::from_utf8(bytes).is_err())
            };
            if plausible {
                return Decoded {
                    text: s,
                    corrected: None,
                };
            }
        }
    }
    match sniff(bytes) {
        Some((enc, text)) => Decoded {
            text,
            corrected: Some(format!(
                "labelled {}, decoded as {}",
                label.unwrap_or("(none)"),
                enc.name()
            )),
        },
        None => {
            let enc = labelled.unwrap_or(UTF_8);
            let (text, _, _) = enc.decode(bytes);
            Decoded {
                text: text.into_owned(),
                corrected: None,
            }
        }
    }
}

/// [`decode_text`], given `theirs`: what mail-parser decoded from the same bytes with its
/// ISO-2022-JP decoder (encoding_rs's, errors replaced). When `label` names ISO-2022-JP too, that
/// text is the answer if the bytes are 7-bit (so no byte order mark turned mail-parser's decoder into
/// another encoding) and it holds no U+FFFD (so the decoder met no error; no ISO-2022-JP
/// sequence decodes to U+FFFD): then the strict decoding below succeeds with the same text and
/// trusts the label. Otherwise the bytes are decoded here.
pub(crate) fn decode_text_reusing(bytes: &[u8], label: Option<&str>, theirs: String) -> Decoded {
    // Text with an escape sequence but none that designates JIS is read here as plain ASCII
    // (the escapes kept, and neutralised later), not by the decoder.
    let read_as_ascii = !has_jis_escape(bytes) && bytes.contains(&0x1b);
    if label.and_then(encoding_for_label) == Some(ISO_2022_JP)
        && bytes.is_ascii()
        && !read_as_ascii
        && !theirs.contains('\u{FFFD}')
    {
        return Decoded {
            text: theirs,
            corrected: None,
        };
    }
    decode_text(bytes, label)
}

/// Rewrites charset labels in RFC 2047 encoded words (`=?cp932?B?…?=`) and RFC 2231 values
/// (`filename*=cp932''…`) that mail-parser does not know but Japanese mail uses, to the
/// canonical name of the same encoding. Returns `None` when nothing changed.
pub(crate) fn normalise_labels(block: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(block).ok()?;
    let bytes = text.as_bytes();
    // The block is copied only once a label is renamed; `copied` is how far.
    let mut out: Option<String> = None;
    let mut copied = 0;
    // Every `=` is looked at once: `*=` starts an RFC 2231 value's label (it comes first where
    // `*=?` could be read either way), `=?` an encoded word's.
    for eq in memchr::memchr_iter(b'=', bytes) {
        let (marker, start, end) = if eq > 0 && bytes[eq - 1] == b'*' {
            (eq - 1, eq + 1, '\'')
        } else if bytes.get(eq + 1) == Some(&b'?') {
            (eq, eq + 2, '?')
        } else {
            continue;
        };
        // Inside a label just renamed.
        if marker < copied {
            continue;
        }
        let rest = &text[start..];
        let label_end = rest
            .char_indices()
            .take(41)
            .find(|&(_, c)| c == end || c.is_whitespace() || c == ';' || c == '"')
            .map(|(q, _)| q)
            .filter(|&q| q <= 40 && rest[q..].starts_with(end));
        let Some(q) = label_end else {
            continue;
        };
        let (charset, language) = match rest[..q].split_once('*') {
            Some((c, l)) => (c, Some(l)),
            None => (&rest[..q], None),
        };
        if !charset.is_empty()
            && mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes()).is_none()
            && let Some(enc) = encoding_for_label(charset)
            && [SHIFT_JIS, EUC_JP, ISO_2022_JP].contains(&enc)
        {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
            out.push_str(&text[copied..start]);
            out.push_str(enc.name());
            if let Some(l) = language {
                out.push('*');
                out.push_str(l);
            }
            copied = start + q;
        }
    }
    out.map(|mut out| {
        out.push_str(&text[copied..]);
        out.into_bytes()
    })
}

/// Header blocks must be ASCII. When they carry raw 8-bit or raw JIS bytes, returns them decoded
/// to UTF-8 together with the encoding used.
pub(crate) fn decode_header_block(bytes: &[u8]) -> Option<(String, &'static str)> {
    if bytes.is_ascii() && !has_jis_escape(bytes) {
        return None;
    }
    let without_nul: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
    match sniff(&without_nul) {
        Some((enc, text)) => Some((text, enc.name())),
        None => Some((
            String::from_utf8_lossy(&without_nul).into_owned(),
            "UTF-8 (lossy)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The form this had before every `=` was looked at once: two searches from each marker.
    fn normalise_labels_per_marker(block: &[u8]) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(block).ok()?;
        let mut out = String::with_capacity(text.len() + 16);
        let mut changed = false;
        let mut rest = text;
        loop {
            let ew = rest.find("=?").map(|p| (p, 2, '?'));
            let ext = rest.find("*=").map(|p| (p, 2, '\''));
            let next = match (ew, ext) {
                (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                (a, b) => a.or(b),
            };
            let Some((pos, skip, end)) = next else {
                break;
            };
            out.push_str(&rest[..pos + skip]);
            rest = &rest[pos + skip..];
            let label_end = rest
                .find(|c: char| c == end || c.is_whitespace() || c == ';' || c == '"')
                .filter(|&q| q <= 40 && rest[q..].starts_with(end));
            if let Some(q) = label_end {
                let (charset, language) = match rest[..q].split_once('*') {
                    Some((c, l)) => (c, Some(l)),
                    None => (&rest[..q], None),
                };
                if !charset.is_empty()
                    && mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes())
                        .is_none()
                    && let Some(enc) = encoding_for_label(charset)
                    && [SHIFT_JIS, EUC_JP, ISO_2022_JP].contains(&enc)
                {
                    out.push_str(enc.name());
                    if let Some(l) = language {
                        out.push('*');
                        out.push_str(l);
                    }
                    rest = &rest[q..];
                    changed = true;
                }
            }
        }
        out.push_str(rest);
        changed.then(|| out.into_bytes())
    }

    proptest::proptest! {
        #[test]
        fn labels_are_renamed_as_before(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "=?", "*=", "?", "'", "=", "*", " ", ";", "\"", "\r\n", "cp932", "CP932",
                "sjis", "x-sjis", "euc-jp", "utf-8", "iso-2022-jp", "shift_jis", "*ja", "B?",
                "gZA=?=", "%82%A0", "filename", "a", "日本",
            ]), 0..24),
        ) {
            let block = pieces.concat();
            proptest::prop_assert_eq!(
                normalise_labels(block.as_bytes()),
                normalise_labels_per_marker(block.as_bytes())
            );
        }
    }
    use proptest::prelude::*;

    fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
        enc.encode(s).0.into_owned()
    }

    /// What mail-parser makes of bytes labelled `iso-2022-jp`.
    fn mail_parser_text(bytes: &[u8]) -> String {
        let decode = mail_parser::decoders::charsets::map::charset_decoder(b"iso-2022-jp")
            .expect("a label mail-parser knows");
        decode(bytes)
    }

    fn assert_reuse_agrees(bytes: &[u8], label: &str) {
        let ours = decode_text(bytes, Some(label));
        let reused = decode_text_reusing(bytes, Some(label), mail_parser_text(bytes));
        assert_eq!(
            (&reused.text, &reused.corrected),
            (&ours.text, &ours.corrected),
            "{bytes:02x?} labelled {label}"
        );
    }

    /// Pieces of ISO-2022-JP, whole and broken, that text labelled so is made of in the wild.
    fn jis_piece() -> impl Strategy<Value = Vec<u8>> {
        // Escapes (JIS X 0208, ASCII, Roman, kana, one the decoder lacks, a bare ESC), shifts,
        // a line end, byte order marks and UTF-8 half-width kana.
        let fixed: Vec<&'static [u8]> = vec![
            b"\x1b$B",
            b"\x1b$@",
            b"\x1b(B",
            b"\x1b(J",
            b"\x1b(I",
            b"\x1b$(D",
            b"\x1b",
            b"\x0e",
            b"\x0f",
            b"\r\n",
            b"\xef\xbb\xbf",
            b"\xff\xfe",
            "ｱ".as_bytes(),
        ];
        prop_oneof![
            prop::sample::select(fixed).prop_map(<[u8]>::to_vec),
            (0xa1u8..=0xdf).prop_map(|b| vec![b]),
            (0x21u8..=0x7e, 0x21u8..=0x7e).prop_map(|(a, b)| vec![a, b]),
            (0x20u8..=0x7e).prop_map(|b| vec![b]),
            Just(encode(ISO_2022_JP, "①申請書、㈱山田商事の髙橋様")),
            Just(encode(ISO_2022_JP, "ﾊﾝｶｸ")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Reusing mail-parser's text changes nothing: every input decodes exactly as the
        /// engine's own decoding would, mislabel corrections included.
        #[test]
        fn reusing_mail_parser_text_is_the_engine_own_decoding(
            pieces in prop::collection::vec(jis_piece(), 0..24),
            label in prop_oneof![
                Just("iso-2022-jp"),
                Just("ISO-2022-JP"),
                Just(" \"iso-2022-jp\" "),
                Just("csISO2022JP"),
                Just("cp50220"),
                Just("shift_jis"),
                Just("utf-8"),
            ],
        ) {
            assert_reuse_agrees(&pieces.concat(), label);
        }
    }

    #[test]
    fn reuse_is_only_for_iso_2022_jp_text_without_errors() {
        let text = encode(ISO_2022_JP, "いつもお世話になっております。");
        for (bytes, label) in [
            (text.clone(), "iso-2022-jp"),
            (text.clone(), "shift_jis"),
            (encode(SHIFT_JIS, "いつもお世話に"), "iso-2022-jp"),
            (
                [b"\xef\xbb\xbf".as_slice(), "こんにちは".as_bytes()].concat(),
                "iso-2022-jp",
            ),
            (b"\x1b$B$\"\x0e1\x0f$\"\x1b(B".to_vec(), "iso-2022-jp"),
            (b"plain \x0f ascii".to_vec(), "iso-2022-jp"),
        ] {
            assert_reuse_agrees(&bytes, label);
        }
        // A text given for other labels is not taken, nor one that carries a decoding error.
        let other = |label| decode_text_reusing(&text, Some(label), "別の文章".into()).text;
        assert_eq!(other("iso-2022-jp"), "別の文章");
        assert_eq!(other("utf-8"), "いつもお世話になっております。");
        let broken = decode_text_reusing(&text, Some("iso-2022-jp"), "壊\u{FFFD}".into());
        assert_eq!(broken.text, "いつもお世話になっております。");
    }

    #[test]
    fn iso_2022_jp_with_nec_and_ibm_extensions() {
        let src = "①Ⅱ㈱髙橋";
        // NEC row 13: ① 0x2D21, Ⅱ 0x2D36, ㈱ 0x2D6A; NEC-selected IBM extension 髙 0x7C62; 橋 0x3636.
        let bytes = b"\x1b$B-!-6-j|b66\x1b(B";
        let d = decode_text(bytes, Some("iso-2022-jp"));
        assert_eq!(d.text, src);
        assert!(d.corrected.is_none());
        let sjis = encode(SHIFT_JIS, src);
        assert_eq!(decode_text(&sjis, Some("cp932")).text, src);
    }

    #[test]
    fn unknown_labels_in_encoded_words_are_renamed() {
        let out = normalise_labels(b"Subject: =?cp932?B?gZA=?= x\r\nContent-Disposition: attachment; filename*=CP932''%82%A0.txt\r\n")
            .expect("changed");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Subject: =?Shift_JIS?B?gZA=?= x\r\nContent-Disposition: attachment; filename*=Shift_JIS''%82%A0.txt\r\n"
        );
        assert!(normalise_labels(b"Subject: =?utf-8?B?YQ==?= a*=b\r\n").is_none());
    }

    #[test]
    fn half_width_kana_in_iso_2022_jp() {
        let d = decode_text(b"\x1b(I12\x1b(B", Some("ISO-2022-JP"));
        assert_eq!(d.text, "ｱｲ");
    }

    #[test]
    fn cp50222_shifts_and_eight_bit_kana() {
        assert_eq!(
            decode_text(b"A\x0e12\x0fB", Some("iso-2022-jp")).text,
            "AｱｲB"
        );
        assert_eq!(
            decode_text(b"\x1b$B$\"\x1b(B\xb1x", Some("cp50222")).text,
            "あｱx"
        );
        assert_eq!(
            decode_text(b"\x1b$B$\"\x0e1\x0f$\"\x1b(B", Some("iso-2022-jp")).text,
            "あｱあ"
        );
    }

    #[test]
    fn mislabelled_shift_jis_as_iso_2022_jp() {
        let bytes = encode(SHIFT_JIS, "請求書をお送りします");
        let d = decode_text(&bytes, Some("iso-2022-jp"));
        assert_eq!(d.text, "請求書をお送りします");
        assert!(d.corrected.is_some());
    }

    #[test]
    fn euc_jp_labelled_ascii() {
        let bytes = encode(EUC_JP, "会議の資料です");
        let d = decode_text(&bytes, Some("us-ascii"));
        assert_eq!(d.text, "会議の資料です");
        assert!(d.corrected.is_some());
    }

    #[test]
    fn latin1_stays_latin1() {
        let d = decode_text(b"caf\xe9 au lait", Some("iso-8859-1"));
        assert_eq!(d.text, "café au lait");
        assert!(d.corrected.is_none());
    }

    #[test]
    fn utf8_labelled_shift_jis_is_corrected() {
        let d = decode_text("こんにちは".as_bytes(), Some("shift_jis"));
        assert_eq!(d.text, "こんにちは");
        assert!(d.corrected.is_some());
    }
}
