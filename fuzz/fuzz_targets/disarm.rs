//! Any bytes as an attached file, with every type's disarm allowed: the engine returns (a panic
//! in a file parser removes only that file), a sanitized output parses, its parts are the text
//! and exactly the reported disarmed files, and sanitizing it again attaches the same files.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_sanitize::{AmbiguityKind, FileAction, Policy, Verdict, sanitize};

/// Magic bytes the first input byte may put in front, so that every rebuild is reached early.
const PREFIXES: &[&[u8]] = &[b"", b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04"];

fn b64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for (i, c) in b.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            s.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        s.push(T[(n >> 18) as usize & 63] as char);
        s.push(T[(n >> 12) as usize & 63] as char);
        s.push(if c.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        s.push(if c.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut file = PREFIXES[usize::from(first) % PREFIXES.len()].to_vec();
    file.extend_from_slice(rest);
    let message = format!(
        "From: a@example.jp\r\nSubject: f\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n\
         --=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ntext\r\n\
         --=_b\r\nContent-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"f\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--=_b--\r\n",
        b64(&file)
    );
    let mut policy = Policy::default();
    policy.disarm.pdf = FileAction::Disarm;
    policy.disarm.ooxml = FileAction::Disarm;
    policy.disarm.png = FileAction::Disarm;
    policy.disarm.jpeg = FileAction::Disarm;
    let first = sanitize(message.as_bytes(), &policy);
    assert!(
        !first.report.ambiguities.iter().any(|a| a.kind == AmbiguityKind::InternalError),
        "engine failed: {:?}",
        first.report.ambiguities
    );
    assert_eq!(first.report.verdict, Verdict::Sanitized);
    assert_eq!(first.report.removed.len() + first.report.disarmed.len(), 1);
    let out = first.message.expect("output");
    assert!(out.is_ascii());
    let parsed = mail_parser::MessageParser::new().parse(&out).expect("output parses");
    if first.report.disarmed.is_empty() {
        assert_eq!(parsed.parts.len(), 1);
        return;
    }
    // The multipart container, the text, the file.
    assert_eq!(parsed.parts.len(), 3);
    let second = sanitize(&out, &policy);
    assert_eq!(second.report.verdict, Verdict::Sanitized);
    assert_eq!(second.report.disarmed.len(), 1, "{:?}", second.report);
    let (a, b) = (&first.report.disarmed[0], &second.report.disarmed[0]);
    assert_eq!(a.output_type, b.output_type);
    if a.output_type != "image/jpeg" {
        assert_eq!(a.output_sha256, b.output_sha256, "disarm is not a fixed point");
    }
});
