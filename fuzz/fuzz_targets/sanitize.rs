//! Any bytes: the engine returns (never panics), a sanitized output is one 7-bit text/plain
//! part, and sanitizing that output again gives the same body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mamori_sanitize::{AmbiguityKind, Policy, Verdict, sanitize};

fuzz_target!(|data: &[u8]| {
    let policy = Policy::default();
    let first = sanitize(data, &policy);
    assert!(
        !first
            .report
            .ambiguities
            .iter()
            .any(|a| a.kind == AmbiguityKind::InternalError),
        "engine panicked: {:?}",
        first.report.ambiguities
    );
    let Some(message) = first.message else {
        assert_eq!(first.report.verdict, Verdict::Quarantined);
        return;
    };
    assert!(message.is_ascii());
    let parsed = mail_parser::MessageParser::new()
        .parse(&message)
        .expect("output parses");
    assert_eq!(parsed.parts.len(), 1);
    let second = sanitize(&message, &policy);
    let again = second.message.expect("output sanitizes again");
    let body = |m: &[u8]| {
        let s = String::from_utf8_lossy(m).into_owned();
        s.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
    };
    assert_eq!(body(&message), body(&again));
});
