//! 無害化 engine (sanitize): one untrusted RFC 5322 message in, a new text-only message and a
//! [`Report`] out.
//!
//! The engine is pure: it opens no socket or file, reads no clock and draws no random numbers.
//! Quarantine ids (隔離ID) come from a [`QuarantineIds`] the caller passes in; the default derives
//! them from the message's SHA-256 and the part's index.
//!
//! # What comes out
//! A message built from scratch: `text/plain; charset=UTF-8` and nothing else. Its headers are
//! the original's From, To, Cc, Date, Subject, Message-ID, In-Reply-To and References, decoded and
//! re-encoded, plus `X-Mamori-Sanitized:` listing the [`Action`]s taken. Its body holds a notice
//! block (無害化通知) for every removed part, then the text of the original: text/plain decoded
//! from any charset Japanese mail uses, HTML converted to text with links defanged, calendar
//! invitations summarised, attached messages expanded.
//!
//! # File disarm (ファイル無害化, off by default)
//! [`Policy::disarm`] may allow, per type detected from the content (never the name or the
//! declared type), a rebuilt copy instead of removal: PDF without JavaScript, OpenAction/AA,
//! Launch, embedded files, RichMedia and XFA; OOXML without macros, ActiveX, embedded objects,
//! custom UI and external relationships (a .docm becomes a .docx); PNG and JPEG decoded and
//! re-encoded without metadata or trailing data. Each is a new file written from what was parsed.
//! Then the output is `multipart/mixed`: the text part first, then only the disarmed files, each
//! with a generated name (`attachment-1.pdf`), the detected type and base64; the notice lists each
//! disarmed file with what was taken out of it. A file that cannot be rebuilt (damaged,
//! encrypted, over a limit) is removed with the reason. With disarm off the output is exactly
//! the single text part described above.
//!
//! # Fail closed
//! A pre-scan reads the MIME structure strictly and checks every [`Limits`] value before any
//! deeper parsing. Duplicate or conflicting MIME headers, duplicate boundaries, unterminated
//! multiparts, and a disagreement between the pre-scan and mail-parser about the structure are
//! structural ambiguities: by [`Policy::on_ambiguity`] the message is quarantined whole (the
//! default) or only its text is kept. A limit exceeded always quarantines. No path writes the
//! original bytes of a removed part: removed parts contribute only their hash, size and type.
//!
//! Some structural findings are formatting oddities (形式上の不備) that real mail carries without
//! meaning harm: a multipart whose closing delimiter is missing at the end of the message (or
//! whose last delimiter lacks its closing `--` with nothing after it), a misspelt
//! Content-Transfer-Encoding that names a known one (`7-bit`, `7bits`, `8 bit`, `plain`,
//! `quoted-printable; x`), a stray non-header line before a nested part's header fields. By
//! [`Policy::on_oddity`] (default [`OnOddity::TolerateWhenAgreed`]) such a message, when it has
//! no other structural ambiguity, is read by mail-parser as well and compared part by part
//! (`crosscheck`): the same part tree and the same decoded content in every part, and the
//! oddities are recorded as tolerated in the report and in a notice block at the top of the text
//! (`oddities-tolerated`); any difference is a `parser-differential` and the message is ambiguous
//! as before. [`OnOddity::Strict`] treats every oddity as an ambiguity, as the engine did before.
//!
//! # Containment of parser failures
//! - Panics: [`sanitize`] runs the whole engine on its own thread inside
//!   [`std::panic::catch_unwind`]; a panic in the engine or in a third-party parser becomes a
//!   whole-message quarantine with an `internal-error` ambiguity, never a crash of the caller.
//!   A caller with many messages keeps an [`EnginePool`] instead: long-lived threads of the same
//!   known stack, each message inside its own `catch_unwind`, a thread that panicked replaced by
//!   a new one, and a thread whose message outlives twice its time budget abandoned and replaced
//!   (the message is then quarantined as if its budget had run out), so the pool keeps its size.
//!   Each file rebuild (png, zune-jpeg, jpeg-encoder, zip, quick-xml, lopdf) is fenced once more
//!   by its own `catch_unwind`, so a panic there removes only that file (`not-disarmable`).
//! - Stack overflow cannot be caught in Rust, so it is prevented: the pre-scan refuses any message
//!   nested deeper than `max_depth` (validated to at most [`MAX_DEPTH_CEILING`]) before the
//!   recursive walk and mail-parser run; the HTML converter walks its tree without recursion;
//!   lopdf refuses PDF objects nested deeper than 100 levels and the PDF walk stops at 256; OOXML
//!   parts are read as a flat event stream; and the engine thread has a known stack size
//!   ([`Policy::stack_bytes`]).
//! - Memory: every rebuild checks its limits before it allocates: declared image dimensions
//!   against [`Disarm::max_image_pixels`], package entries, total uncompressed size (counted as
//!   read, not as declared) and compression ratio, and each PDF stream inflated while loading.
//! - The gateway may additionally run the engine in a separate worker process so that even an
//!   abort (for example memory exhaustion) ends only that worker.
//!
//! # Bounded work
//! The engine reads no clock. A caller that wants a wall-clock limit passes a [`Budget`]
//! ([`sanitize_with_budget`]); the engine asks it after the pre-scan, at every MIME part, every
//! few thousand HTML nodes and between the steps of a file rebuild (each package entry, every few
//! thousand XML events of a package part, each 1024 PDF objects, before and after decoding an
//! image). Once it answers `true` the message is
//! quarantined whole with a `time-limit` ambiguity. One third-party call (a PDF load, an image
//! decode) is not interrupted; it is bounded by the size limits above. `mamori sanitize` and the
//! gateway build the budget from [`Limits::time_limit_seconds`]. What the engine bounds itself is
//! the work: every stage is linear in the input except the HTML tree builder, whose quadratic
//! worst case is capped by refusing HTML nested deeper than 2048 elements before it is parsed.
//!
//! # Code map
//! - `scan`: the strict pre-scan. Sole authority on MIME structure; enforces [`Limits`]; records
//!   [`Ambiguity`]s. *Invariant:* recursion depth never exceeds `max_depth + 1`.
//! - `crosscheck`: compares the scan with mail-parser's reading part by part, for messages whose
//!   only structural findings are oddities. *Invariant:* an oddity is tolerated only when every
//!   part decodes to the same content in both readings.
//! - `engine`: cross-checks the scan against mail-parser, walks the tree, decides what is shown
//!   and what is removed, and assembles the report. *Invariant:* a removed part contributes only
//!   its hash, size, types and name to the output.
//! - `charset`: labels and detection for the charsets Japanese mail uses.
//! - `html`: HTML → text over html5ever, walked without recursion.
//! - `text`: invisible characters, defanged links, inline encodings (uuencode, yEnc, BinHex).
//! - `detect`: content type from magic bytes, encrypted-zip flag.
//! - `disarm`: file rebuilds (`image`, `ooxml`, `pdf`). *Invariant:* the bytes attached are
//!   written by an encoder from parsed content, never a slice of the original; a rebuilt file is
//!   a fixed point of its rebuild (except JPEG, whose re-encoding is lossy).
//! - `build`: header re-encoding (RFC 2047) and the new message. *Invariant:* the output is
//!   7-bit and, with disarm off, one `text/plain` part, within the default limits, and a fixed
//!   point of the engine apart from `X-Mamori-Sanitized:`. With disarmed files, sanitizing the
//!   output again keeps its text and attaches the same files with nothing left to take out
//!   (only a new notice block is added in front of the text).
//! - `pool`: [`EnginePool`], the engine's long-lived threads. The one place that reads a clock
//!   (the budget of a message on a pool thread, and the caller's wall-clock limit).
//! - `policy`, `report`: the public configuration and result types.

#![forbid(unsafe_code)]

mod build;
mod charset;
mod crosscheck;
mod detect;
mod disarm;
mod engine;
mod html;
mod policy;
mod pool;
mod report;
mod scan;
mod text;

/// The encodings of the mail mamori writes itself (the rebuilt message, a quarantine notice, a
/// DSN, a notice mail): RFC 2047 encoded words for header text, base64 lines for bodies.
pub mod mime {
    pub use crate::build::{base64_lines, encode_words};
}

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use policy::{Disarm, FileAction, Limits, OnAmbiguity, OnOddity, Policy, QuarantineUrl};
pub use pool::{Engine, EnginePool, Input, PoolStats};
pub use report::{
    Action, Ambiguity, AmbiguityKind, DisarmedPart, RemovalReason, RemovedPart, Report, Verdict,
};

/// Highest `max_depth` a policy may set; keeps the recursive walk far inside the engine stack.
pub const MAX_DEPTH_CEILING: usize = 64;
/// Smallest stack the engine thread may be given.
pub const MIN_STACK_BYTES: usize = 1024 * 1024;

/// A policy value that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PolicyError {
    #[error("limits.max_depth {0} is above the ceiling {MAX_DEPTH_CEILING}")]
    DepthTooLarge(usize),
    #[error("stack_bytes {0} is below the minimum {MIN_STACK_BYTES}")]
    StackTooSmall(usize),
    #[error("{0} must be greater than zero")]
    ZeroLimit(&'static str),
}

impl Policy {
    /// Checks that the policy keeps the guarantees documented on this crate.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let l = &self.limits;
        if l.max_depth > MAX_DEPTH_CEILING {
            return Err(PolicyError::DepthTooLarge(l.max_depth));
        }
        if self.stack_bytes < MIN_STACK_BYTES {
            return Err(PolicyError::StackTooSmall(self.stack_bytes));
        }
        let d = &self.disarm;
        for (name, v) in [
            ("limits.max_message_bytes", l.max_message_bytes as u64),
            ("limits.max_parts", l.max_parts as u64),
            ("limits.max_header_bytes", l.max_header_bytes as u64),
            (
                "limits.max_header_line_bytes",
                l.max_header_line_bytes as u64,
            ),
            ("limits.time_limit_seconds", l.time_limit_seconds),
            ("disarm.max_image_pixels", d.max_image_pixels),
            ("disarm.max_package_entries", d.max_package_entries as u64),
            ("disarm.max_package_bytes", d.max_package_bytes),
            ("disarm.max_compression_ratio", d.max_compression_ratio),
        ] {
            if v == 0 {
                return Err(PolicyError::ZeroLimit(name));
            }
        }
        Ok(())
    }
}

/// A caller's time budget (処理時間の上限). The engine reads no clock; it asks the budget at part
/// boundaries and inside its long loops (HTML walk, file disarm), and quarantines the message
/// whole with a `time-limit` ambiguity once it answers `true`. Any `Fn() -> bool` is a budget,
/// e.g. `|| Instant::now() >= deadline`.
pub trait Budget: Sync {
    fn exhausted(&self) -> bool;
}

impl<F: Fn() -> bool + Sync> Budget for F {
    fn exhausted(&self) -> bool {
        self()
    }
}

/// A budget that never runs out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

impl Budget for Unlimited {
    fn exhausted(&self) -> bool {
        false
    }
}

/// Source of 隔離ID (quarantine ids).
pub trait QuarantineIds: Sync {
    /// Id of the whole original message, given its SHA-256 in lower-case hex.
    fn message_id(&self, message_sha256: &str) -> String;

    /// Id of one part, given the message id and the part's pre-order index.
    fn part_id(&self, message_id: &str, part_index: usize) -> String {
        format!("{message_id}-p{part_index}")
    }
}

/// Ids derived from the message digest: `PREFIX` + the first 24 hex digits of its SHA-256.
#[derive(Debug, Clone)]
pub struct DigestIds {
    pub prefix: String,
}

impl QuarantineIds for DigestIds {
    fn message_id(&self, message_sha256: &str) -> String {
        let n = message_sha256.len().min(24);
        format!("{}{}", self.prefix, &message_sha256[..n])
    }
}

/// The result of sanitizing one message.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    /// The new message; `None` when the verdict is [`Verdict::Quarantined`].
    pub message: Option<Vec<u8>>,
}

/// Sanitizes one message with ids derived from its digest and `policy.quarantine_id_prefix`.
pub fn sanitize(input: &[u8], policy: &Policy) -> Outcome {
    let ids = DigestIds {
        prefix: policy.quarantine_id_prefix.clone(),
    };
    sanitize_with_ids(input, policy, &ids)
}

/// Sanitizes one message within a time budget, with ids derived from its digest.
pub fn sanitize_with_budget(input: &[u8], policy: &Policy, budget: &dyn Budget) -> Outcome {
    let ids = DigestIds {
        prefix: policy.quarantine_id_prefix.clone(),
    };
    sanitize_within(input, policy, &ids, budget)
}

/// Sanitizes one message, taking quarantine ids from `ids`. Never panics: see the crate docs.
pub fn sanitize_with_ids(input: &[u8], policy: &Policy, ids: &dyn QuarantineIds) -> Outcome {
    sanitize_within(input, policy, ids, &Unlimited)
}

/// Sanitizes one message, taking quarantine ids from `ids`, within `budget`. Never panics.
pub fn sanitize_within(
    input: &[u8],
    policy: &Policy,
    ids: &dyn QuarantineIds,
    budget: &dyn Budget,
) -> Outcome {
    // Used only on failure, so a failing id source cannot fail the failure path too.
    let fallback_id = || {
        let digest = engine::sha256_hex(input);
        catch_unwind(AssertUnwindSafe(|| ids.message_id(&digest)))
            .unwrap_or_else(|_| format!("q-{}", &digest[..24]))
    };
    if let Err(e) = policy.validate() {
        return internal_error(input, fallback_id(), format!("invalid policy: {e}"));
    }
    let result = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("mamori-sanitize".into())
            .stack_size(policy.stack_bytes)
            .spawn_scoped(scope, || {
                catch_unwind(AssertUnwindSafe(|| engine::run(input, policy, ids, budget)))
            });
        match handle {
            Ok(h) => h
                .join()
                .map_err(|_| "engine thread failed".to_string())
                .and_then(|r| r.map_err(|p| pool::panic_text(p.as_ref()))),
            Err(e) => Err(format!("cannot start engine thread: {e}")),
        }
    });
    match result {
        Ok(outcome) => outcome,
        Err(detail) => internal_error(input, fallback_id(), detail),
    }
}

fn internal_error(input: &[u8], qid: String, detail: String) -> Outcome {
    engine::quarantine(
        input,
        qid,
        vec![Ambiguity {
            kind: AmbiguityKind::InternalError,
            part: "0".into(),
            detail,
            tolerated: false,
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct PanickingIds;

    impl QuarantineIds for PanickingIds {
        fn message_id(&self, _: &str) -> String {
            panic!("id source failed")
        }
    }

    #[test]
    fn panic_inside_the_engine_quarantines_instead_of_unwinding() {
        let out = sanitize_with_ids(
            b"Subject: x\r\n\r\nbody\r\n",
            &Policy::default(),
            &PanickingIds,
        );
        assert_eq!(out.report.verdict, Verdict::Quarantined);
        assert!(out.message.is_none());
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::InternalError);
        assert!(out.report.quarantine_id.starts_with("q-"));
    }

    #[test]
    fn invalid_policy_quarantines() {
        let mut policy = Policy::default();
        policy.limits.max_depth = MAX_DEPTH_CEILING + 1;
        assert_eq!(
            policy.validate(),
            Err(PolicyError::DepthTooLarge(MAX_DEPTH_CEILING + 1))
        );
        let out = sanitize(b"Subject: x\r\n\r\nbody\r\n", &policy);
        assert_eq!(out.report.verdict, Verdict::Quarantined);
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::InternalError);
    }

    #[test]
    fn ids_derive_from_digest_and_part_index() {
        let out = sanitize(b"Subject: x\r\n\r\nbody\r\n", &Policy::default());
        let id = &out.report.quarantine_id;
        assert_eq!(id, &format!("q-{}", &out.report.message_sha256[..24]));
        assert_eq!(
            DigestIds {
                prefix: "gw-".into()
            }
            .part_id(id, 3),
            format!("{id}-p3")
        );
    }

    fn from_toml(text: &str) -> Result<Policy, String> {
        toml::from_str::<Policy>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn disarm_policy_reads_per_type_actions() {
        let p = from_toml("[disarm]\npdf = \"disarm\"\npng = \"remove\"\n").expect("policy");
        assert_eq!(p.disarm.pdf, FileAction::Disarm);
        assert_eq!(p.disarm.png, FileAction::Remove);
        assert_eq!(p.disarm.ooxml, FileAction::Remove, "remove is the default");
        assert!(p.disarm.any());
        assert!(!Policy::default().disarm.any(), "disarm is off by default");
    }

    #[test]
    fn bad_disarm_values_are_refused_with_their_name() {
        let e = from_toml("[disarm]\npdf = \"strip\"\n").unwrap_err();
        assert!(
            e.contains("unknown variant `strip`, expected `remove` or `disarm`"),
            "{e}"
        );
        let e = from_toml("[disarm]\nexe = \"disarm\"\n").unwrap_err();
        assert!(
            e.contains("unknown field `exe`") && e.contains("`pdf`"),
            "{e}"
        );
        let e = from_toml("[disarm]\npdf = true\n").unwrap_err();
        assert!(e.contains("pdf"), "{e}");
        let e = from_toml("[disarm]\nmax_image_pixels = -1\n").unwrap_err();
        assert!(e.contains("max_image_pixels"), "{e}");
    }

    #[test]
    fn zero_limits_are_refused_by_name() {
        let p = from_toml("[disarm]\nmax_image_pixels = 0\n").expect("parses");
        assert_eq!(
            p.validate(),
            Err(PolicyError::ZeroLimit("disarm.max_image_pixels"))
        );
        let p = from_toml("[limits]\ntime_limit_seconds = 0\n").expect("parses");
        assert_eq!(
            p.validate().map_err(|e| e.to_string()),
            Err("limits.time_limit_seconds must be greater than zero".into())
        );
    }

    #[test]
    fn policy_round_trips_through_toml_names() {
        let p: Policy =
            serde_json::from_str(r#"{"on_ambiguity":"extract-text","limits":{"max_depth":4}}"#)
                .expect("policy");
        assert_eq!(p.on_ambiguity, OnAmbiguity::ExtractText);
        assert_eq!(p.limits.max_depth, 4);
        assert_eq!(p.limits.max_parts, Limits::default().max_parts);
    }

    #[test]
    fn quarantine_url_is_optional_and_validated() {
        assert_eq!(Policy::default().quarantine_url, None);
        let p = from_toml("quarantine_url = \"https://mamori.example.lg.jp/quarantine/\"\n")
            .expect("policy");
        let url = p.quarantine_url.expect("set");
        assert_eq!(
            url.page("q-1-p2"),
            "https://mamori.example.lg.jp/quarantine/q-1-p2"
        );
        assert!(from_toml("quarantine_url = \"HTTP://10.0.0.5:8080/q/\"\n").is_ok());
        for bad in [
            "",
            "javascript:alert(1)",
            "ftp://mamori.example.lg.jp/",
            "file:///etc/passwd",
            "https://",
            "https:///quarantine/",
            "https://user@mamori.example.lg.jp/",
            "https://mamori.example.lg.jp/ q/",
            "https://mamori.example.lg.jp/\tq/",
            "https://mamori.example.lg.jp/\nq/",
            "https://mamori.example.lg.jp/\u{7f}/",
            "https://mamori.example.lg.jp/\u{202e}/",
            "https://まもり.example.lg.jp/",
            "https://mamori.example.lg.jp/<q>/",
            "https://mamori.example.lg.jp/\"q/",
        ] {
            assert!(QuarantineUrl::parse(bad).is_err(), "{bad:?} accepted");
            let text = format!("quarantine_url = {}\n", toml::Value::from(bad));
            let e = from_toml(&text).expect_err(bad);
            assert!(e.contains("quarantine_url"), "{bad:?}: {e}");
        }
        let long = format!("https://h/{}", "a".repeat(policy::MAX_QUARANTINE_URL_BYTES));
        assert!(QuarantineUrl::parse(&long).is_err());
        // Wrong type is refused, not guessed.
        assert!(from_toml("quarantine_url = 1\n").is_err());
    }
}
