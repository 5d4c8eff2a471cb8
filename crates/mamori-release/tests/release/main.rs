//! 隔離メール and 原本の提供 through the web application with the gateway's real quarantine and
//! the release worker delivering to a real SMTP sink. They live here, beside the gateway, so that
//! the web crate needs no SMTP stack even in its tests; the harness is the web tests' own.

#[path = "../../../mamori-web/tests/web/harness.rs"]
#[allow(
    dead_code,
    reason = "the web tests' harness, of which these tests use a part"
)]
mod harness;
use harness::*;

mod quarantine;
