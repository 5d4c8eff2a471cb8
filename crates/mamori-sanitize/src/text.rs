//! Text neutralisation: invisible characters, defanged links, inline encodings.

use std::borrow::Cow;

/// Characters that change how text is displayed without being seen: bidi controls, zero-width
/// characters, and C0/C1 controls other than tab and line feed.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x08 | 0x0b..=0x1f | 0x7f..=0x9f
        | 0x00ad | 0x034f | 0x061c | 0x115f | 0x1160 | 0x17b4 | 0x17b5 | 0x180e
        | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x206f | 0x3164 | 0xfeff | 0xffa0
        | 0xfff9..=0xfffb | 0xe0000..=0xe007f)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c as u32, 0x061c | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// Makes every invisible character of a file name visible as `<U+XXXX>`.
pub fn visible_file_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if is_invisible(c) || c == '\t' || c == '\n' || c == '\r' {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Header text shown to the reader (Subject, display names, the header lines of an attached
/// message): bidi controls and invisible characters, zero-width ones (U+200B, U+200C, U+200D,
/// U+2060, U+FEFF) among them, become visible as `<U+XXXX>`, as they do in file names, so that
/// `総務課\u{200B}` cannot pass for `総務課` nor a hidden character split a word a reader checks.
/// Other controls are dropped; tab and line feed stay for the caller to fold.
pub fn visible_header_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_bidi_control(c) || (is_invisible(c) && !c.is_control()) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else if c == '\t' || c == '\n' || !c.is_control() {
            out.push(c);
        }
    }
    out
}

/// Bytes that can start a control, a bidi control or U+FEFF in UTF-8: C0 but tab and line feed,
/// DEL, and the lead bytes of U+0080–U+009F, U+061C, U+2xxx and U+FEFF.
const CONTROL_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != 0x09 && b != 0x0a;
        b += 1;
    }
    t[0x7f] = true;
    t[0xc2] = true;
    t[0xd8] = true;
    t[0xe2] = true;
    t[0xef] = true;
    t
};

/// Body text: bidi controls become visible, other controls (except tab and line feed) are
/// dropped. Returns whether anything changed; text that has none is returned as it is.
pub fn neutralise_controls(text: &str) -> (Cow<'_, str>, bool) {
    let mut out = String::new();
    let mut changed = false;
    // Unchanged runs are copied whole; only a byte of `CONTROL_LEAD` is looked at.
    let bytes = text.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !CONTROL_LEAD[usize::from(bytes[i])] {
            i += 1;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        let bidi = is_bidi_control(c);
        if bidi || (c != '\t' && c != '\n' && (c.is_control() || c == '\u{feff}')) {
            if !changed {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..i]);
            if bidi {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            changed = true;
            copied = i + c.len_utf8();
        }
        i += c.len_utf8();
    }
    if !changed {
        return (Cow::Borrowed(text), false);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), true)
}

/// Some readers turn uuencode, yEnc and BinHex blocks found in plain text into attachments;
/// their start lines are quoted so that no reader does.
pub fn neutralise_inline_encodings(text: &str) -> (Cow<'_, str>, bool) {
    // Only the start of each line is looked at, and the text copied once a line needs quoting.
    let starts =
        std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    let mut out = String::new();
    let mut copied = 0;
    for start in starts {
        if starts_inline_encoding(&text[start..]) {
            out.push_str(&text[copied..start]);
            out.push_str("> ");
            copied = start;
        }
    }
    if out.is_empty() {
        return (Cow::Borrowed(text), false);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), true)
}

/// Whether the line at the start of `rest` starts an inline encoding.
fn starts_inline_encoding(rest: &str) -> bool {
    // Every start line begins with `b`, `=` or `(`; other lines are not copied to lower case.
    if !matches!(rest.as_bytes().first(), Some(b'b' | b'B' | b'=' | b'(')) {
        return false;
    }
    let line = &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())];
    let lower = line.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("begin") {
        // uuencode: "begin 644 name", also "begin-base64 644 name"
        let rest = rest.strip_prefix("-base64").unwrap_or(rest);
        let mut words = rest.split_whitespace();
        return rest.starts_with(' ')
            && words.next().is_some_and(|m| {
                !m.is_empty() && m.len() <= 4 && m.bytes().all(|b| (b'0'..=b'7').contains(&b))
            })
            && words.next().is_some();
    }
    lower.starts_with("=ybegin") || lower.starts_with("(this file must be converted with binhex")
}

const SCHEMES: [(&str, &str); 3] = [
    ("https://", "hxxps://"),
    ("http://", "hxxp://"),
    ("ftp://", "fxp://"),
];

fn url_end(s: &str) -> usize {
    let end = s
        .char_indices()
        .find(|(_, c)| {
            !c.is_ascii()
                || c.is_ascii_whitespace()
                || c.is_ascii_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '`' | '{' | '}' | '|' | '\\' | '^'
                )
        })
        .map_or(s.len(), |(i, _)| i);
    let mut url = &s[..end];
    while let Some(last) = url.chars().last() {
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']') {
            url = &url[..url.len() - 1];
        } else {
            break;
        }
    }
    url.len()
}

/// Host of a URL (after any user info), lower-case.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Defangs one URL: `https://example.com/a` → `hxxps://example[.]com/a`.
pub fn defang_url(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = match SCHEMES.iter().find(|(s, _)| lower.starts_with(s)) {
        Some((s, d)) => (*d, &url[s.len()..]),
        None if lower.starts_with("www.") => ("", url),
        None => return url.to_string(),
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    format!("{scheme}{}{tail}", authority.replace('.', "[.]"))
}

/// Defangs every URL in free text. Returns whether any was found.
///
/// Only a URL's scheme and host are rewritten; the scan then goes on inside its path, so a URL
/// nested in another's path is defanged in the same pass and a second pass finds nothing new.
pub fn defang_text(text: &str) -> (Cow<'_, str>, bool) {
    let mut out = String::new();
    let mut changed = false;
    let mut i = 0;
    // Text between URLs is copied in runs; a URL can only start at `h`, `f` or `w`, which are
    // never inside a multi-byte character.
    let mut copied = 0;
    let bytes = text.as_bytes();
    let mut lower = None;
    let mut upper = None;
    while i < text.len() {
        // The next `h`, `f` or `w` in either case, each case's found by a vector search and kept
        // until passed.
        let next = |cached: &mut Option<usize>, [a, b, c]: [u8; 3]| -> usize {
            match *cached {
                Some(p) if p >= i => p,
                _ => {
                    let p = memchr::memchr3(a, b, c, &bytes[i..]).map_or(bytes.len(), |p| i + p);
                    *cached = Some(p);
                    p
                }
            }
        };
        i = next(&mut lower, *b"hfw").min(next(&mut upper, *b"HFW"));
        if i >= text.len() {
            break;
        }
        let rest = &text[i..];
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'.' | b']'));
        if boundary {
            let scheme = SCHEMES.iter().find(|(s, _)| {
                rest.len() >= s.len()
                    && rest.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
            });
            let www = rest.len() > 4
                && rest.as_bytes()[..4].eq_ignore_ascii_case(b"www.")
                && rest.as_bytes()[4].is_ascii_alphanumeric();
            if scheme.is_some() || www {
                let url = &rest[..url_end(rest)];
                let prefix_len = scheme.map_or(0, |(s, _)| s.len());
                let after = &url[prefix_len..];
                let mut host_len = after.find(['/', '?', '#']).unwrap_or(after.len());
                // `https://ftp://host`: the "host" is another scheme; defang the outer scheme
                // alone and scan the inner URL in this same pass.
                if after[..host_len].ends_with(':') && after[host_len..].starts_with("//") {
                    host_len = 0;
                }
                let head = &url[..prefix_len + host_len];
                if head.contains('.') || scheme.is_some() {
                    let d = defang_url(head);
                    changed |= d != head;
                    out.push_str(&text[copied..i]);
                    out.push_str(&d);
                    i += head.len().max(1);
                    copied = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    if !changed {
        return (Cow::Borrowed(text), false);
    }
    out.push_str(&text[copied..]);
    (Cow::Owned(out), true)
}

/// The domain a link label shows, if it shows one (a URL or a bare domain name).
pub fn label_domain(label: &str) -> Option<String> {
    for word in label.split(|c: char| {
        c.is_whitespace()
            || !c.is_ascii()
            || matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | '"' | '\'')
    }) {
        let w = word.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '?'));
        if w.contains("://") {
            if let Some(h) = url_host(w) {
                return Some(h);
            }
        } else if !w.contains('@') {
            let host = w.split('/').next().unwrap_or("");
            let labels: Vec<&str> = host.split('.').collect();
            if labels.len() >= 2
                && labels.iter().all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
                && labels.last().is_some_and(|tld| {
                    tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
                })
            {
                return Some(host.to_ascii_lowercase());
            }
        }
    }
    None
}

/// True when the host a label shows is not the target's host or a parent domain of it.
pub fn label_mismatch(label: &str, target_host: &str) -> bool {
    let Some(shown) = label_domain(label) else {
        return false;
    };
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_string();
    let shown = strip(&shown);
    let target = strip(target_host);
    !(target == shown || target.ends_with(&format!(".{shown}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defangs_urls_in_text() {
        let (t, c) = defang_text("見て https://Example.com/a.b?x=1。と www.foo.jp.");
        assert!(c);
        assert_eq!(t, "見て hxxps://Example[.]com/a.b?x=1。と www[.]foo[.]jp.");
        assert_eq!(defang_text(&t).0, t);
    }

    #[test]
    fn nested_urls_defanged_in_one_pass() {
        let (t, _) = defang_text("https://x.example/http://a.aa/www.b.cc x.http://y.z");
        assert_eq!(
            t,
            "hxxps://x[.]example/hxxp://a[.]aa/www[.]b[.]cc x.http://y.z"
        );
        assert_eq!(defang_text(&t).0, t);
    }

    #[test]
    fn scheme_in_host_position_is_stable() {
        // found by the fuzz target: the second pass defanged the inner scheme
        let (t, _) = defang_text("https://ftp://nk.example.nder@example.jp> https://https://a.b");
        assert_eq!(
            t,
            "hxxps://fxp://nk[.]example[.]nder@example[.]jp> hxxps://hxxps://a[.]b"
        );
        assert_eq!(defang_text(&t).0, t);
    }

    #[test]
    fn user_info_host() {
        assert_eq!(
            url_host("https://www.bank.jp@evil.example:8080/x").as_deref(),
            Some("evil.example")
        );
        assert_eq!(defang_url("http://a.b@c.d/e.f"), "hxxp://a[.]b@c[.]d/e.f");
    }

    #[test]
    fn mismatch_rules() {
        assert!(label_mismatch(
            "https://www.city.example.lg.jp/",
            "evil.example.com"
        ));
        assert!(!label_mismatch("example.com", "www.example.com"));
        assert!(!label_mismatch("こちら", "evil.example.com"));
        assert!(!label_mismatch("portal.example.com", "portal.example.com"));
        assert!(label_mismatch("example.com", "example.com.evil.net"));
    }

    #[test]
    fn header_text_shows_zero_width_and_bidi_and_drops_controls() {
        assert_eq!(
            visible_header_text("a\u{200b}b\u{200c}c\u{200d}d\u{2060}e\u{feff}f\u{202e}g"),
            "a<U+200B>b<U+200C>c<U+200D>d<U+2060>e<U+FEFF>f<U+202E>g"
        );
        assert_eq!(visible_header_text("a\u{0}b\rc\u{85}d\te\nf"), "abcd\te\nf");
        assert_eq!(visible_header_text("総務課 佐藤"), "総務課 佐藤");
    }

    #[test]
    fn rtlo_made_visible() {
        assert_eq!(visible_file_name("a\u{202e}fdp.exe"), "a<U+202E>fdp.exe");
    }

    /// The character-at-a-time forms these functions had before they copied runs.
    fn neutralise_controls_per_char(text: &str) -> (String, bool) {
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        for c in text.chars() {
            if is_bidi_control(c) {
                out.push_str(&format!("<U+{:04X}>", c as u32));
                changed = true;
            } else if c != '\t' && c != '\n' && (c.is_control() || c == '\u{feff}') {
                changed = true;
            } else {
                out.push(c);
            }
        }
        (out, changed)
    }

    /// Every line looked at and copied, as the text was quoted before its line starts were
    /// searched.
    fn neutralise_inline_encodings_per_line(text: &str) -> (String, bool) {
        let mut changed = false;
        let mut out = String::new();
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if starts_inline_encoding(line) {
                out.push_str("> ");
                changed = true;
            }
            out.push_str(line);
        }
        (out, changed)
    }

    fn defang_text_per_char(text: &str) -> (String, bool) {
        let mut out = String::with_capacity(text.len());
        let mut changed = false;
        let mut i = 0;
        let bytes = text.as_bytes();
        while i < text.len() {
            let rest = &text[i..];
            let boundary = i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'.' | b']'));
            if boundary {
                let scheme = SCHEMES.iter().find(|(s, _)| {
                    rest.len() >= s.len()
                        && rest.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
                });
                let www = rest.len() > 4
                    && rest.as_bytes()[..4].eq_ignore_ascii_case(b"www.")
                    && rest.as_bytes()[4].is_ascii_alphanumeric();
                if scheme.is_some() || www {
                    let url = &rest[..url_end(rest)];
                    let prefix_len = scheme.map_or(0, |(s, _)| s.len());
                    let after = &url[prefix_len..];
                    let mut host_len = after.find(['/', '?', '#']).unwrap_or(after.len());
                    if after[..host_len].ends_with(':') && after[host_len..].starts_with("//") {
                        host_len = 0;
                    }
                    let head = &url[..prefix_len + host_len];
                    if head.contains('.') || scheme.is_some() {
                        let d = defang_url(head);
                        changed |= d != head;
                        out.push_str(&d);
                        i += head.len().max(1);
                        continue;
                    }
                }
            }
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
        (out, changed)
    }

    /// Text made of pieces that matter to these functions: controls, bidi, URL starts, kana.
    fn tricky_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pieces = prop::sample::select(vec![
            "a",
            "h",
            "H",
            "f",
            "w",
            "W",
            ".",
            "]",
            "/",
            ":",
            "//",
            "?",
            "#",
            " ",
            "\t",
            "\n",
            "\r",
            "\u{0}",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{a0}",
            "\u{61c}",
            "\u{200e}",
            "\u{202e}",
            "\u{2066}",
            "\u{2069}",
            "\u{2460}",
            "\u{feff}",
            "\u{ff01}",
            "あ",
            "漢",
            "https://",
            "HTTP://",
            "ftp://",
            "www.",
            "WWW.x",
            "example.jp",
            "@",
            "<",
            ">",
            "\u{1f600}",
            "begin 644 a",
            "BEGIN-base64 600 b",
            "=ybegin",
            "(This file must be converted with BinHex",
            "x.http://y.z",
        ]);
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest::proptest! {
        #[test]
        fn run_copying_changes_no_output(text in tricky_text(), any in ".{0,40}") {
            for t in [&text, &any] {
                let owned = |(text, changed): (Cow<'_, str>, bool)| (text.into_owned(), changed);
                proptest::prop_assert_eq!(owned(neutralise_controls(t)), neutralise_controls_per_char(t));
                proptest::prop_assert_eq!(owned(defang_text(t)), defang_text_per_char(t));
                proptest::prop_assert_eq!(
                    owned(neutralise_inline_encodings(t)),
                    neutralise_inline_encodings_per_line(t)
                );
            }
        }
    }

    #[test]
    fn uuencode_start_quoted() {
        let (t, c) = neutralise_inline_encodings("x\nbegin 644 evil.exe\nM9\nend");
        assert!(c);
        assert_eq!(t, "x\n> begin 644 evil.exe\nM9\nend");
        assert!(!neutralise_inline_encodings("begin the meeting").1);
    }
}
