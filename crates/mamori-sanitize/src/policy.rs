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
    /// Wall-clock limit on sanitizing one message, in seconds. The engine reads no clock: the
    /// caller turns this into a [`crate::Budget`] (`mamori sanitize` and the gateway do), and
    /// when the budget runs out the message is quarantined whole (`time-limit`).
    pub time_limit_seconds: u64,
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
            time_limit_seconds: 30,
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

/// What to do with a formatting oddity (形式上の不備) that real mail carries without meaning harm:
/// a multipart whose closing delimiter is missing at the end of the message, a misspelt
/// Content-Transfer-Encoding that names a known one (`7-bit`, `7bits`, `8 bit`, `plain`,
/// `base64; x`), a stray non-header line before a nested part's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OnOddity {
    /// 一致すれば許容 (the default): when the strict pre-scan and the cross-check parser
    /// (mail-parser) agree on the part tree and on every part's decoded bytes, the oddity is
    /// recorded in the report and in the notice, and the message is sanitized as usual. When the
    /// two readings differ, the message is ambiguous (`parser-differential`) and
    /// [`Policy::on_ambiguity`] decides, as for any other ambiguity.
    #[default]
    TolerateWhenAgreed,
    /// 厳格: every oddity is a structural ambiguity, whatever the two readings say
    /// (`mamori sanitize --strict`).
    Strict,
}

/// 無害化ポリシー: everything a site may configure about the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    pub limits: Limits,
    pub on_ambiguity: OnAmbiguity,
    /// Formatting oddities: tolerated when both readings agree (default), or strict.
    pub on_oddity: OnOddity,
    /// Prefix of quarantine ids, which continue with the first 24 hex digits of the message's SHA-256.
    pub quarantine_id_prefix: String,
    /// Stack size of the thread the engine runs on, in bytes.
    pub stack_bytes: usize,
    /// ファイル無害化 (file disarm): per detected type, whether a disarmed copy replaces removal.
    pub disarm: Disarm,
    /// Base address of the quarantine pages (e.g. `https://mamori.example.lg.jp/quarantine/`).
    /// When set, the notice block prints, for each part, this address followed by its 隔離ID.
    pub quarantine_url: Option<QuarantineUrl>,
}

/// Longest [`QuarantineUrl`] accepted, in bytes.
pub const MAX_QUARANTINE_URL_BYTES: usize = 512;

/// The base address of the quarantine pages, as the notice block prints it: plain text, never a
/// link. Only `http://` and `https://` with a host, printable ASCII without spaces (an
/// internationalised host name goes in its `xn--` form), at most [`MAX_QUARANTINE_URL_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuarantineUrl(String);

impl QuarantineUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.len() > MAX_QUARANTINE_URL_BYTES {
            return Err(format!(
                "quarantine_url is longer than {MAX_QUARANTINE_URL_BYTES} bytes"
            ));
        }
        if let Some(c) = raw.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(format!(
                "quarantine_url may hold only printable ASCII without spaces, not {:?}",
                c
            ));
        }
        if raw.contains(['<', '>', '"', '\\', '`']) {
            return Err("quarantine_url may not hold < > \" \\ or `".into());
        }
        let lower = raw.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or("quarantine_url must start with http:// or https://")?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.contains('@') {
            return Err("quarantine_url needs a host and no user name".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The page of one 隔離ID.
    pub fn page(&self, quarantine_id: &str) -> String {
        format!("{}{quarantine_id}", self.0)
    }
}

impl TryFrom<String> for QuarantineUrl {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<QuarantineUrl> for String {
    fn from(url: QuarantineUrl) -> Self {
        url.0
    }
}

/// What happens to an attached file of one detected type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FileAction {
    /// 削除: listed in the notice and removed (the default for every type).
    #[default]
    Remove,
    /// 無害化して添付: rebuilt without active content and attached to the new message; removed
    /// instead when it cannot be rebuilt.
    Disarm,
}

/// ファイル無害化 (CDR) settings. Types are those detected from the content, never the name or the
/// declared type; a type not listed here is always removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Disarm {
    /// PDF: JavaScript, OpenAction/AA, Launch, embedded files, RichMedia and XFA removed.
    pub pdf: FileAction,
    /// OOXML (docx/xlsx/pptx and docm/xlsm/pptm): macros, ActiveX, embedded objects, custom UI
    /// and external relationships removed; macro-enabled packages become their plain sibling.
    pub ooxml: FileAction,
    /// PNG: decoded and re-encoded without metadata or trailing data.
    pub png: FileAction,
    /// JPEG: decoded and re-encoded without metadata or trailing data.
    pub jpeg: FileAction,
    /// Most pixels an image may declare; larger images are not decoded (decompression bombs).
    pub max_image_pixels: u64,
    /// Most entries an OOXML package may hold.
    pub max_package_entries: usize,
    /// Largest sum of the uncompressed sizes of an OOXML package's entries, in bytes.
    pub max_package_bytes: u64,
    /// Highest ratio of uncompressed to compressed size of one package entry above 1 MiB.
    pub max_compression_ratio: u64,
}

impl Default for Disarm {
    fn default() -> Self {
        Self {
            pdf: FileAction::Remove,
            ooxml: FileAction::Remove,
            png: FileAction::Remove,
            jpeg: FileAction::Remove,
            max_image_pixels: 40_000_000,
            max_package_entries: 2_000,
            max_package_bytes: 128 * 1024 * 1024,
            max_compression_ratio: 200,
        }
    }
}

impl Disarm {
    /// Whether any type is disarmed rather than removed.
    pub fn any(&self) -> bool {
        [self.pdf, self.ooxml, self.png, self.jpeg].contains(&FileAction::Disarm)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            on_ambiguity: OnAmbiguity::default(),
            on_oddity: OnOddity::default(),
            quarantine_id_prefix: "q-".into(),
            stack_bytes: 8 * 1024 * 1024,
            disarm: Disarm::default(),
            quarantine_url: None,
        }
    }
}
