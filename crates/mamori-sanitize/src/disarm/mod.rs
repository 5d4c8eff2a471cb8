//! ファイル無害化 (CDR, content disarm and reconstruction): a file of an allowed type is parsed
//! and a new file is written from what was parsed, without active content. The type is the one
//! detected from the content ([`crate::detect`]), never the name or the declared type.
//!
//! Each rebuild runs inside [`std::panic::catch_unwind`], so a panic in a third-party parser
//! (png, zune-jpeg, jpeg-encoder, zip, quick-xml, lopdf) removes that one file with a reason
//! instead of failing the message. Every rebuild checks its size limits before it allocates
//! (pixels, package entries and bytes, compression ratio, PDF stream size) and asks the caller's
//! [`Budget`] between steps.

mod image;
mod ooxml;
mod pdf;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::Budget;
use crate::detect::Detected;
use crate::policy::{Disarm, FileAction};

/// A file rebuilt without active content.
pub(crate) struct Rebuilt {
    pub bytes: Vec<u8>,
    /// Extension of the generated file name.
    pub extension: &'static str,
    pub mime: &'static str,
    /// What was taken out, for the notice and the report.
    pub removed: Vec<String>,
}

/// Why a file was not rebuilt.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The file is damaged, encrypted or over a limit: it is removed, with this reason.
    Refused(String),
    /// The caller's budget ran out: the whole message is quarantined.
    OutOfTime,
}

/// Whether policy asks for a disarmed copy of content of this type.
pub(crate) fn wanted(detected: Detected, policy: &Disarm) -> bool {
    let action = match detected {
        Detected::Pdf => policy.pdf,
        Detected::Zip {
            ooxml: true,
            encrypted: false,
        } => policy.ooxml,
        Detected::Png => policy.png,
        Detected::Jpeg => policy.jpeg,
        _ => FileAction::Remove,
    };
    action == FileAction::Disarm
}

/// Rebuilds `content`, which [`wanted`] accepted.
pub(crate) fn rebuild(
    detected: Detected,
    content: &[u8],
    policy: &Disarm,
    budget: &dyn Budget,
) -> Result<Rebuilt, Failure> {
    let run = || match detected {
        Detected::Pdf => pdf::pdf(content, budget),
        Detected::Zip { .. } => ooxml::ooxml(content, policy, budget),
        Detected::Png => image::png(content, policy.max_image_pixels, budget),
        Detected::Jpeg => image::jpeg(content, policy.max_image_pixels, budget),
        _ => Err(Failure::Refused("type cannot be disarmed".into())),
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result,
        Err(_) => Err(Failure::Refused("the parser failed on this file".into())),
    }
}
