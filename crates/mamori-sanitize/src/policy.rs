//! 無害化ポリシー (sanitization policy) and its limits.

use serde::{Deserialize, Serialize};

/// Hard limits on the work one message may cause. Exceeding any of them quarantines the
/// message whole: a message that big or that deep is not guessed at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest raw message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Deepest nesting of multiparts and attached messages (the top level is depth 0).
    pub max_depth: usize,
    /// Most MIME entities in the whole message, nested messages included.
    pub max_parts: usize,
    /// Largest header block of one entity, in bytes.
    pub max_header_bytes: usize,
    /// Longest single (unfolded) header field, in bytes.
    pub max_header_line_bytes: usize,
    /// Largest sum of the transfer-decoded bodies of all entities, in bytes.
    pub max_decoded_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 32 * 1024 * 1024,
            max_depth: 8,
            max_parts: 256,
            max_header_bytes: 64 * 1024,
            max_header_line_bytes: 16 * 1024,
            max_decoded_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What to do with a message whose MIME structure is ambiguous (曖昧な構造).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OnAmbiguity {
    /// 全体を隔離: quarantine the whole message and write no output (the safe default).
    #[default]
    Quarantine,
    /// テキストのみ抽出: keep only the text the scanner found, remove every other part, and put a
    /// warning at the top of the output. Text is read as the strict scanner splits the message,
    /// so what another reader would take for a part may appear in it as plain text, never as a
    /// part.
    ExtractText,
}

/// 無害化ポリシー: everything a site may configure about the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub limits: Limits,
    pub on_ambiguity: OnAmbiguity,
    /// Prefix of quarantine ids, which continue with the first 24 hex digits of the message's SHA-256.
    pub quarantine_id_prefix: String,
    /// Stack size of the thread the engine runs on, in bytes.
    pub stack_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            on_ambiguity: OnAmbiguity::default(),
            quarantine_id_prefix: "q-".into(),
            stack_bytes: 8 * 1024 * 1024,
        }
    }
}
