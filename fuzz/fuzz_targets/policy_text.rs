//! Any text: the policy reader returns (never panics), every error names a line of the text,
//! and every clause's anchor is unique in its document.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use mamori_core::policy::parse_policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_policy(text) {
        Ok(policy) => {
            let mut anchors = HashSet::new();
            for clause in policy.clauses() {
                assert!(anchors.insert(clause.anchor.as_str()), "{}", clause.anchor);
                assert!(clause.line >= 1);
            }
        }
        Err(error) => assert!(error.line() >= 1, "{error}"),
    }
});
