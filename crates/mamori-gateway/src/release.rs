//! 原本の提供 (release): delivery of a quarantined original once its release was approved.
//!
//! This is the one path that sends an original onward, and it does not go through the
//! 無害化 engine again: that is the point of a release. It is never reached from the worker;
//! only the release workflow calls it (`mamori serve` after an approval in the web, `mamori
//! quarantine release` at the command line), which checks who asked, who approved and to whom
//! it goes before it builds a [`ReleaseOrder`]. The message carries an `X-Mamori-Released:`
//! header first, naming the quarantine id, the request and who approved it; `X-Mamori-*`
//! headers the sender wrote into the original are renamed so that they cannot pass for ours.

use std::path::{Path, PathBuf};

use crate::client::{self, Delivered, DeliveryError, NextHop};
use crate::quarantine::{Entry, QuarantineError, QuarantineId, QuarantineReader};

/// What an approved release sends, and to whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseOrder {
    pub quarantine_id: QuarantineId,
    /// Number of the release request, for the header and the log.
    pub request: i64,
    /// Envelope recipients: the requesting recipient only (inbound), or the held message's
    /// recipients (outbound).
    pub recipients: Vec<String>,
    /// Login name of whoever asked.
    pub requested_by: String,
    /// Login name of whoever approved.
    pub approved_by: String,
    /// Held outbound mail goes to the outbound next hop; released inbound originals to the
    /// LGWAN side.
    pub outbound: bool,
}

/// Why a release was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The original is gone (purged, or never there) or unreadable: retrying will not help.
    #[error(transparent)]
    Quarantine(#[from] QuarantineError),
    #[error("the release names no recipient")]
    NoRecipient,
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

impl ReleaseError {
    /// A temporary failure, worth trying again later.
    pub fn is_temporary(&self) -> bool {
        matches!(self, ReleaseError::Delivery(DeliveryError::Temporary(_)))
    }
}

/// Sends released originals from a gateway's quarantine to its next hop.
#[derive(Debug, Clone)]
pub struct ReleaseMailer {
    data: PathBuf,
    inbound: NextHop,
    outbound: NextHop,
}

impl ReleaseMailer {
    /// `data` is the gateway's data folder (its quarantine need not exist yet: the gateway makes
    /// it when it starts); `outbound` defaults to `inbound`.
    pub fn new(data: PathBuf, inbound: NextHop, outbound: Option<NextHop>) -> Self {
        Self {
            data,
            outbound: outbound.unwrap_or_else(|| inbound.clone()),
            inbound,
        }
    }

    /// The gateway's data folder.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The quarantine, read-only.
    pub fn reader(&self) -> Result<QuarantineReader, QuarantineError> {
        QuarantineReader::existing(&self.data)
    }

    /// Delivers the original of `order` to its recipients, unsanitized, with the release header.
    pub async fn deliver(&self, order: &ReleaseOrder) -> Result<Delivered, ReleaseError> {
        if order.recipients.is_empty() {
            return Err(ReleaseError::NoRecipient);
        }
        let data = self.data.clone();
        let id = order.quarantine_id.clone();
        let (entry, original) = tokio::task::spawn_blocking(move || {
            let reader = QuarantineReader::existing(&data)?;
            let entry = reader.get(&id)?;
            let bytes = reader.original(&entry)?;
            Ok::<_, QuarantineError>((entry, bytes))
        })
        .await
        .map_err(|e| {
            ReleaseError::Delivery(DeliveryError::Temporary(format!(
                "reading the original: {e}"
            )))
        })??;
        let message = released_message(&entry, order, &original);
        let from = entry.first().from.clone();
        let smtputf8 = !from.is_ascii() || order.recipients.iter().any(|r| !r.is_ascii());
        let hop = if order.outbound {
            &self.outbound
        } else {
            &self.inbound
        };
        let delivered =
            client::deliver(hop, &from, &order.recipients, &[&message], smtputf8).await?;
        // A recipient deferred beside accepted ones: the release is tried again as a whole (an
        // accepted recipient may get it twice, a deferred one never goes without).
        if !delivered.deferred.is_empty() {
            let reasons: Vec<String> = delivered
                .deferred
                .iter()
                .map(|(rcpt, why)| format!("{rcpt}: {why}"))
                .collect();
            return Err(ReleaseError::Delivery(DeliveryError::Temporary(
                reasons.join("; "),
            )));
        }
        tracing::info!(quarantine_id = %order.quarantine_id, request = order.request,
            recipients = ?order.recipients, approved_by = %order.approved_by,
            reply = %delivered.reply, "released original delivered");
        Ok(delivered)
    }
}

/// Header values are ours, but login names and ids must not break the header either.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, ';' | '"' | '\\') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The original with the release header in front and the sender's own `X-Mamori-*` header
/// fields (top level only) renamed to `X-Original-Mamori-*`.
pub fn released_message(entry: &Entry, order: &ReleaseOrder, original: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "X-Mamori-Released: {}; request={}; requested-by={}; approved-by={}\r\n",
        header_safe(&entry.id),
        order.request,
        header_safe(&order.requested_by),
        header_safe(&order.approved_by),
    )
    .into_bytes();
    out.reserve(original.len() + 64);
    let mut in_header = true;
    let mut rest = original;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        if in_header {
            if line == b"\r\n" || line == b"\n" {
                in_header = false;
            } else if line.len() >= 9 && line[..9].eq_ignore_ascii_case(b"x-mamori-") {
                out.extend_from_slice(b"X-Original-Mamori-");
                out.extend_from_slice(&line[9..]);
                rest = tail;
                continue;
            }
        }
        out.extend_from_slice(line);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quarantine::{Direction, Quarantine, QuarantineRecord};

    fn entry(dir: &Path, original: &[u8]) -> Entry {
        let q = Quarantine::open(dir).unwrap();
        q.store(
            &QuarantineRecord {
                quarantine_id: "q-rel".into(),
                queue_id: "queue1".into(),
                from: "sender@example.com".into(),
                recipients: vec!["kacho@city.example.lg.jp".into()],
                received_ms: 1,
                stored_ms: 2,
                retain_until_ms: 3,
                verdict: "sanitized",
                report: serde_json::json!({}),
                direction: Direction::Inbound,
                hold_reason: None,
            },
            original,
            None,
        )
        .unwrap();
        QuarantineReader::existing(dir)
            .unwrap()
            .get(&QuarantineId::parse("q-rel").unwrap())
            .unwrap()
    }

    fn order(approved_by: &str) -> ReleaseOrder {
        ReleaseOrder {
            quarantine_id: QuarantineId::parse("q-rel").unwrap(),
            request: 7,
            recipients: vec!["kacho@city.example.lg.jp".into()],
            requested_by: "kacho".into(),
            approved_by: approved_by.into(),
            outbound: false,
        }
    }

    #[test]
    fn the_release_header_comes_first_and_forged_ones_are_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let original: &[u8] =
            b"X-Mamori-Released: q-fake; approved-by=ciso\r\nx-mamori-sanitized: none\r\n\
            Subject: s\r\n\r\nX-Mamori-Released: body text stays\r\n";
        let e = entry(dir.path(), original);
        let out = released_message(&e, &order("kanri\r\nBcc: x@evil;"), original);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "X-Mamori-Released: q-rel; request=7; requested-by=kacho; approved-by=kanri__Bcc:_x@evil_\r\n\
             X-Original-Mamori-Released: q-fake; approved-by=ciso\r\n\
             X-Original-Mamori-sanitized: none\r\n\
             Subject: s\r\n\r\nX-Mamori-Released: body text stays\r\n"
        );
    }

    #[test]
    fn the_body_is_delivered_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let original: &[u8] = b"Subject: bin\n\nline\r\n\x00\xff\xfe no final newline";
        let e = entry(dir.path(), original);
        let out = released_message(&e, &order("kanri"), original);
        assert!(out.ends_with(original.split_at(12).1));
        assert_eq!(
            out.len(),
            original.len() + out.iter().position(|&b| b == b'\n').unwrap() + 1
        );
    }
}
