//! 無害化レポート (sanitization report): what was done to one message, serialisable as JSON.

use serde::{Deserialize, Serialize};

/// 判定 (verdict) for a whole message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// 無害化済み: a new text-only message was built.
    Sanitized,
    /// 隔離: no output; the original is kept under the quarantine id.
    Quarantined,
}

/// One thing the engine did; the list of these is also written to `X-Mamori-Sanitized:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The message was rebuilt as text/plain (always present in a sanitized message).
    TextConverted,
    /// HTML was converted to text.
    HtmlConverted,
    /// At least one part was removed.
    AttachmentsRemoved,
    /// At least one file was rebuilt without active content and attached (ファイル無害化).
    FilesDisarmed,
    /// At least one link was written out defanged.
    LinksDefanged,
    /// A link's visible label named another address than its target.
    LinkSpoofingWarned,
    /// A calendar invitation was converted to text.
    CalendarConverted,
    /// An attached message (message/rfc822) was expanded in the text.
    NestedMessageExpanded,
    /// Text whose charset label was wrong or unknown was decoded by detection.
    CharsetCorrected,
    /// Invisible or bidi control characters were made visible or removed.
    ControlsNeutralised,
    /// Lines that mail readers turn into attachments (uuencode, yEnc, BinHex) were neutralised.
    InlineEncodingNeutralised,
    /// Only text was kept from a message with ambiguous structure (policy `extract-text`).
    AmbiguousTextOnly,
    /// A formatting oddity (形式上の不備) was tolerated because the strict pre-scan and the
    /// cross-check parser read the message alike; the notice lists it.
    OdditiesTolerated,
    /// The whole message was quarantined.
    Quarantined,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextConverted => "text-converted",
            Self::HtmlConverted => "html-converted",
            Self::AttachmentsRemoved => "attachments-removed",
            Self::FilesDisarmed => "files-disarmed",
            Self::LinksDefanged => "links-defanged",
            Self::LinkSpoofingWarned => "link-spoofing-warned",
            Self::CalendarConverted => "calendar-converted",
            Self::NestedMessageExpanded => "nested-message-expanded",
            Self::CharsetCorrected => "charset-corrected",
            Self::ControlsNeutralised => "controls-neutralised",
            Self::InlineEncodingNeutralised => "inline-encoding-neutralised",
            Self::AmbiguousTextOnly => "ambiguous-text-only",
            Self::OdditiesTolerated => "oddities-tolerated",
            Self::Quarantined => "quarantined",
        }
    }
}

/// Why a part was removed (削除理由).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemovalReason {
    /// 添付ファイル: any file; files never cross into the LGWAN segment as they are.
    Attachment,
    /// 実行可能ファイル: the content is a program.
    Executable,
    /// パスワード付きアーカイブ (PPAP): cannot be inspected.
    EncryptedArchive,
    /// TNEF (winmail.dat): a container for other files and rich text.
    Tnef,
    /// 埋め込み画像: an image referenced by the HTML.
    InlineImage,
    /// 表示されない代替部分: an alternative body that is not text.
    Alternative,
    /// 構造が曖昧なため削除: removed because the message structure was ambiguous.
    AmbiguousStructure,
    /// 解釈できない部分: a part whose type the engine does not render.
    Unrenderable,
    /// 無害化できない: policy allows a disarmed copy of this type, but the file could not be
    /// rebuilt safely (damaged, encrypted, over a limit); `detail` says why.
    NotDisarmable,
}

impl RemovalReason {
    /// Japanese text with the English in brackets, as shown in the notice block.
    pub fn text(self) -> &'static str {
        match self {
            Self::Attachment => "添付ファイルは転送できません (attachments are not forwarded)",
            Self::Executable => "実行可能ファイル (executable content)",
            Self::EncryptedArchive => {
                "パスワード付きアーカイブは検査できません (encrypted archive cannot be inspected)"
            }
            Self::Tnef => "TNEF 形式 winmail.dat (TNEF container)",
            Self::InlineImage => "埋め込み画像 (inline image)",
            Self::Alternative => "表示されない代替部分 (non-text alternative)",
            Self::AmbiguousStructure => {
                "構造が曖昧なため削除 (removed because the MIME structure is ambiguous)"
            }
            Self::Unrenderable => "テキスト化できない部分 (part cannot be rendered as text)",
            Self::NotDisarmable => {
                "無害化できないため削除 (removed because it could not be disarmed)"
            }
        }
    }
}

/// One removed part (削除した部分).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedPart {
    /// Position in the MIME tree, e.g. `1.2` (`0` is the top-level entity).
    pub part: String,
    /// File name as declared, with invisible characters made visible (`<U+202E>`).
    pub file_name: Option<String>,
    /// Content-Type as declared by the sender.
    pub declared_type: String,
    /// Type detected from the content's magic bytes.
    pub detected_type: String,
    /// Transfer-decoded size in bytes.
    pub size: u64,
    /// SHA-256 of the transfer-decoded content, lower-case hex.
    pub sha256: String,
    pub reason: RemovalReason,
    /// Why a file that policy allowed to be disarmed could not be (with [`RemovalReason::NotDisarmable`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Id under which the original can be requested (隔離ID).
    pub quarantine_id: String,
}

/// One file rebuilt without active content and attached to the new message (無害化した添付).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisarmedPart {
    /// Position in the MIME tree of the original.
    pub part: String,
    /// File name as declared, with invisible characters made visible.
    pub file_name: Option<String>,
    pub declared_type: String,
    pub detected_type: String,
    /// Size and SHA-256 of the original (transfer-decoded) file.
    pub size: u64,
    pub sha256: String,
    /// Id under which the original can be requested (隔離ID).
    pub quarantine_id: String,
    /// Name the rebuilt file carries in the new message (generated, ASCII).
    pub output_name: String,
    /// Content type of the rebuilt file.
    pub output_type: String,
    pub output_size: u64,
    pub output_sha256: String,
    /// What was taken out, e.g. `JavaScript`, `vbaProject.bin`, `tEXt`; empty when nothing was.
    pub removed_content: Vec<String>,
}

/// Kinds of ambiguity (曖昧さ) found while reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmbiguityKind {
    DuplicateContentType,
    ConflictingContentType,
    DuplicateTransferEncoding,
    ConflictingTransferEncoding,
    DuplicateContentDisposition,
    ConflictingContentDisposition,
    DuplicateBoundary,
    MissingBoundary,
    BoundaryPrefix,
    EncodedBoundary,
    UnterminatedMultipart,
    DelimiterAfterClose,
    MalformedHeader,
    NulInHeader,
    ParserDifferential,
    LimitExceeded,
    InternalError,
    UnknownTransferEncoding,
    /// A misspelt Content-Transfer-Encoding that names a known one (`7-bit`, `8 bit`, `plain`,
    /// `base64; x`): read as the encoding it names.
    MisspelledTransferEncoding,
    InvalidBase64,
    EightBitHeader,
    CharsetMislabelled,
    ConflictingFileName,
    NulInBody,
    HtmlTooDeep,
    /// The caller's time budget ran out (`time-limit`): the message is quarantined whole.
    TimeLimit,
}

impl AmbiguityKind {
    /// The kind's name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateContentType => "duplicate-content-type",
            Self::ConflictingContentType => "conflicting-content-type",
            Self::DuplicateTransferEncoding => "duplicate-transfer-encoding",
            Self::ConflictingTransferEncoding => "conflicting-transfer-encoding",
            Self::DuplicateContentDisposition => "duplicate-content-disposition",
            Self::ConflictingContentDisposition => "conflicting-content-disposition",
            Self::DuplicateBoundary => "duplicate-boundary",
            Self::MissingBoundary => "missing-boundary",
            Self::BoundaryPrefix => "boundary-prefix",
            Self::EncodedBoundary => "encoded-boundary",
            Self::UnterminatedMultipart => "unterminated-multipart",
            Self::DelimiterAfterClose => "delimiter-after-close",
            Self::MalformedHeader => "malformed-header",
            Self::NulInHeader => "nul-in-header",
            Self::ParserDifferential => "parser-differential",
            Self::LimitExceeded => "limit-exceeded",
            Self::InternalError => "internal-error",
            Self::UnknownTransferEncoding => "unknown-transfer-encoding",
            Self::MisspelledTransferEncoding => "misspelled-transfer-encoding",
            Self::InvalidBase64 => "invalid-base64",
            Self::EightBitHeader => "eight-bit-header",
            Self::CharsetMislabelled => "charset-mislabelled",
            Self::ConflictingFileName => "conflicting-file-name",
            Self::NulInBody => "nul-in-body",
            Self::HtmlTooDeep => "html-too-deep",
            Self::TimeLimit => "time-limit",
        }
    }

    /// Structural ambiguities decide how the message is read and so trigger [`crate::OnAmbiguity`];
    /// the others are reported but the content is still read without guessing.
    pub fn is_structural(self) -> bool {
        matches!(
            self,
            Self::DuplicateContentType
                | Self::ConflictingContentType
                | Self::DuplicateTransferEncoding
                | Self::ConflictingTransferEncoding
                | Self::DuplicateContentDisposition
                | Self::ConflictingContentDisposition
                | Self::DuplicateBoundary
                | Self::MissingBoundary
                | Self::BoundaryPrefix
                | Self::EncodedBoundary
                | Self::UnterminatedMultipart
                | Self::DelimiterAfterClose
                | Self::MalformedHeader
                | Self::NulInHeader
                | Self::ParserDifferential
                | Self::UnknownTransferEncoding
                | Self::MisspelledTransferEncoding
        )
    }

    /// Limits and internal errors always quarantine the message.
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            Self::LimitExceeded | Self::InternalError | Self::TimeLimit
        )
    }
}

/// One ambiguity found, with where and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ambiguity {
    pub kind: AmbiguityKind,
    /// Position in the MIME tree (`0` is the top-level entity).
    pub part: String,
    pub detail: String,
    /// A structural oddity that did not decide the verdict: the strict pre-scan and the
    /// cross-check parser agreed on the part tree and on every part's decoded bytes, and the
    /// policy tolerates such oddities ([`crate::OnOddity::TolerateWhenAgreed`]). Absent from the
    /// JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tolerated: bool,
}

impl Ambiguity {
    pub fn new(kind: AmbiguityKind, part: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind,
            part: part.into(),
            detail: detail.into(),
            tolerated: false,
        }
    }

    /// Whether this ambiguity decides how the message is read (structural and not tolerated).
    pub fn is_structural(&self) -> bool {
        self.kind.is_structural() && !self.tolerated
    }
}

/// 無害化レポート for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub verdict: Verdict,
    /// 隔離ID of the original message; part ids are derived from it.
    pub quarantine_id: String,
    /// SHA-256 of the original message bytes, lower-case hex.
    pub message_sha256: String,
    pub message_size: u64,
    pub actions: Vec<Action>,
    pub removed: Vec<RemovedPart>,
    /// Files attached in disarmed form; absent from the JSON when none (disarm is off by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disarmed: Vec<DisarmedPart>,
    pub ambiguities: Vec<Ambiguity>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_json_names() {
        use AmbiguityKind::*;
        for kind in [
            DuplicateContentType,
            ConflictingContentType,
            DuplicateTransferEncoding,
            ConflictingTransferEncoding,
            DuplicateContentDisposition,
            ConflictingContentDisposition,
            DuplicateBoundary,
            MissingBoundary,
            BoundaryPrefix,
            EncodedBoundary,
            UnterminatedMultipart,
            DelimiterAfterClose,
            MalformedHeader,
            NulInHeader,
            ParserDifferential,
            LimitExceeded,
            InternalError,
            UnknownTransferEncoding,
            MisspelledTransferEncoding,
            InvalidBase64,
            EightBitHeader,
            CharsetMislabelled,
            ConflictingFileName,
            NulInBody,
            HtmlTooDeep,
            TimeLimit,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn tolerated_is_written_only_when_true() {
        let mut a = Ambiguity::new(AmbiguityKind::UnterminatedMultipart, "0", "x");
        assert!(a.is_structural());
        assert!(!serde_json::to_string(&a).unwrap().contains("tolerated"));
        a.tolerated = true;
        assert!(!a.is_structural());
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""tolerated":true"#), "{json}");
        let back: Ambiguity =
            serde_json::from_str(r#"{"kind":"unterminated-multipart","part":"0","detail":"x"}"#)
                .unwrap();
        assert!(!back.tolerated);
    }
}
