//! The 無害化 walk: scan, cross-check, render text, list removed parts, build the new message.

use std::collections::BTreeSet;

use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::build;
use crate::charset::{self, decode_text};
use crate::crosscheck;
use crate::detect::{Detected, detect};
use crate::disarm::{self, Failure};
use crate::html::{HtmlFailure, MAX_HTML_DEPTH, html_to_text, tidy_lines};
use crate::policy::{OnAmbiguity, OnOddity, Policy, QuarantineUrl};
use crate::report::{
    Action, Ambiguity, AmbiguityKind, DisarmedPart, RemovalReason, RemovedPart, Report, Verdict,
};
use crate::scan::{Body, Entity, Scanner};
use crate::text::{
    defang_text, neutralise_controls, neutralise_inline_encodings, visible_file_name,
    visible_header_text,
};
use crate::{Budget, Outcome, QuarantineIds};

/// How a subtree is rendered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Its text is shown.
    Show,
    /// An alternative that was not chosen: text is dropped, other parts are listed as removed.
    Unchosen,
}

struct Walk<'a> {
    parser: &'a MessageParser,
    policy: &'a Policy,
    budget: &'a dyn Budget,
    /// Set once the budget ran out; the walk then stops and the message is quarantined.
    out_of_time: bool,
    text_only: bool,
    ids: &'a dyn QuarantineIds,
    message_qid: String,
    actions: BTreeSet<Action>,
    removed: Vec<RemovedPart>,
    /// Files rebuilt without active content, with their new bytes.
    disarmed: Vec<(DisarmedPart, Vec<u8>)>,
    ambiguities: Vec<Ambiguity>,
    /// Each entity's disposition, by pre-order index, read once.
    dispositions: Vec<Option<Disposition>>,
    /// mail-parser's text of a leaf it decoded from the scanner's very bytes, by pre-order index
    /// ([`parser_texts`]): the engine's own decoding of those bytes need not be done again.
    parser_texts: Vec<Option<String>>,
}

pub(crate) fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub(crate) fn quarantine(
    input: &[u8],
    message_qid: String,
    ambiguities: Vec<Ambiguity>,
) -> Outcome {
    Outcome {
        report: Report {
            verdict: Verdict::Quarantined,
            quarantine_id: message_qid,
            message_sha256: sha256_hex(input),
            message_size: input.len() as u64,
            actions: vec![Action::Quarantined],
            removed: Vec::new(),
            disarmed: Vec::new(),
            ambiguities,
        },
        message: None,
    }
}

/// Counts MIME entities in mail-parser's view of the message, nested messages included.
fn count_parts(m: &Message<'_>) -> usize {
    m.parts
        .iter()
        .map(|p| match &p.body {
            PartType::Message(inner) => 1 + count_parts(inner),
            _ => 1,
        })
        .sum()
}

fn time_limit(input: &[u8], message_qid: String, mut ambiguities: Vec<Ambiguity>) -> Outcome {
    ambiguities.push(Ambiguity {
        kind: AmbiguityKind::TimeLimit,
        part: "0".into(),
        detail: "the time allowed for this message ran out".into(),
        tolerated: false,
    });
    quarantine(input, message_qid, ambiguities)
}

pub(crate) fn run(
    input: &[u8],
    policy: &Policy,
    ids: &dyn QuarantineIds,
    budget: &dyn Budget,
) -> Outcome {
    let digest = sha256_hex(input);
    let message_qid = ids.message_id(&digest);
    let parser = MessageParser::new();
    let mut scanner = Scanner::new(&policy.limits);
    let root = match scanner.scan_message(input) {
        Ok(root) => root,
        Err(limit) => {
            let mut amb = scanner.ambiguities;
            amb.push(Ambiguity {
                kind: AmbiguityKind::LimitExceeded,
                part: "0".into(),
                detail: limit.0,
                tolerated: false,
            });
            return quarantine(input, message_qid, amb);
        }
    };
    let mut ambiguities = scanner.ambiguities;
    if budget.exhausted() {
        return time_limit(input, message_qid, ambiguities);
    }
    // Formatting oddities are tolerated only when they are all the structural ambiguities there
    // are, the policy allows it, and the cross-check below reads the message alike.
    let oddities = scanner.oddities;
    let tolerable = policy.on_oddity == OnOddity::TolerateWhenAgreed
        && !oddities.is_empty()
        && ambiguities
            .iter()
            .enumerate()
            .all(|(i, a)| !a.kind.is_structural() || oddities.contains(&i));

    // A second, independent parser must see the same number of entities; a difference is a
    // parser differential that a reader downstream could exploit.
    let ours = count_entities(&root);
    let mut root_headers = None;
    let mut texts = Vec::new();
    if tolerable || !ambiguities.iter().any(|a| a.kind.is_structural()) {
        let mut parsed = parser.parse(input);
        let theirs = parsed.as_ref().map_or(0, count_parts);
        if ours != theirs && !input.is_empty() {
            ambiguities.push(Ambiguity {
                kind: AmbiguityKind::ParserDifferential,
                part: "0".into(),
                detail: format!("scanner found {ours} MIME entities, mail-parser {theirs}"),
                tolerated: false,
            });
        } else if tolerable && let Some(m) = &parsed {
            // With oddities, the same count is not enough: the same tree and the same content.
            match crosscheck::compare(&root, m) {
                Ok(()) => {
                    for &i in &oddities {
                        ambiguities[i].tolerated = true;
                    }
                }
                Err(detail) => ambiguities.push(Ambiguity {
                    kind: AmbiguityKind::ParserDifferential,
                    part: "0".into(),
                    detail,
                    tolerated: false,
                }),
            }
        }
        if ours == theirs
            && let Some(m) = &mut parsed
        {
            texts = vec![None; ours];
            parser_texts(&root, m, 0, input, &mut texts);
        }
        // When both read the same header block, its fields are not parsed again below.
        if let Some(m) = parsed
            && ours == theirs
            && header_block_as_received(input, &root.header_block)
        {
            root_headers = Some((
                build::kept_headers(&m),
                disposition_of(m.root_part(), &root),
            ));
        }
    }

    let structural = ambiguities.iter().any(Ambiguity::is_structural);
    if structural && policy.on_ambiguity == OnAmbiguity::Quarantine {
        return quarantine(input, message_qid, ambiguities);
    }

    let mut walk = Walk {
        parser: &parser,
        policy,
        budget,
        out_of_time: false,
        text_only: structural,
        ids,
        message_qid: message_qid.clone(),
        actions: BTreeSet::from([Action::TextConverted]),
        removed: Vec::new(),
        disarmed: Vec::new(),
        ambiguities,
        dispositions: vec![None; ours],
        parser_texts: texts,
    };
    let headers = root_headers.map(|(headers, root_disposition)| {
        walk.dispositions[0] = Some(root_disposition);
        headers
    });
    if structural {
        walk.actions.insert(Action::AmbiguousTextOnly);
    }
    let mut sections = Vec::new();
    walk.render(&root, Mode::Show, false, &mut sections);
    if walk.out_of_time || budget.exhausted() {
        return time_limit(input, message_qid, walk.ambiguities);
    }
    let headers = headers.unwrap_or_else(|| {
        parser
            .parse_headers(&root.header_block)
            .map(|m| build::kept_headers(&m))
            .unwrap_or_default()
    });

    let mut body = String::new();
    if structural {
        body.push_str(
            "【警告 (Warning)】このメールは MIME 構造が曖昧なため、本文のテキストのみを抽出しました。\n\
             (The MIME structure of this message is ambiguous; only its text was extracted.)\n\n",
        );
    }
    if !walk.removed.is_empty() {
        walk.actions.insert(Action::AttachmentsRemoved);
    }
    if !walk.disarmed.is_empty() {
        walk.actions.insert(Action::FilesDisarmed);
    }
    let tolerated: Vec<&Ambiguity> = walk.ambiguities.iter().filter(|a| a.tolerated).collect();
    if !tolerated.is_empty() {
        walk.actions.insert(Action::OdditiesTolerated);
        body.push_str(&oddity_notice(&tolerated));
        body.push_str("\n\n");
    }
    if !walk.removed.is_empty() || !walk.disarmed.is_empty() {
        body.push_str(&notice(
            &walk.removed,
            &walk.disarmed,
            policy.quarantine_url.as_ref(),
        ));
        body.push_str("\n\n");
    }
    body.push_str(&sections.join("\n\n"));

    let (body, controls) = neutralise_controls(&body);
    let (body, inline) = neutralise_inline_encodings(&body);
    let (body, links) = defang_text(&body);
    if controls {
        walk.actions.insert(Action::ControlsNeutralised);
    }
    if inline {
        walk.actions.insert(Action::InlineEncodingNeutralised);
    }
    if links {
        walk.actions.insert(Action::LinksDefanged);
    }
    // In the lines of the message it goes into.
    let mut body = tidy_lines(&body, "\r\n");
    body.push_str("\r\n");

    let actions: Vec<Action> = walk.actions.into_iter().collect();
    let names: Vec<&str> = actions.iter().map(|a| a.as_str()).collect();
    let files: Vec<build::File<'_>> = walk
        .disarmed
        .iter()
        .map(|(p, bytes)| build::File {
            name: &p.output_name,
            mime: &p.output_type,
            bytes,
        })
        .collect();
    let message = build::message(&headers, &names.join("; "), &body, &files);
    let disarmed = walk.disarmed.into_iter().map(|(p, _)| p).collect();
    Outcome {
        report: Report {
            verdict: Verdict::Sanitized,
            quarantine_id: message_qid,
            message_sha256: digest,
            message_size: input.len() as u64,
            actions,
            removed: walk.removed,
            disarmed,
            ambiguities: walk.ambiguities,
        },
        message: Some(message),
    }
}

/// Whether the scanner kept the message's header block as it came (no 8-bit or JIS bytes
/// decoded, no charset label renamed, no mbox line skipped), so mail-parser read the same fields.
fn header_block_as_received(input: &[u8], header_block: &[u8]) -> bool {
    input.starts_with(header_block)
        && matches!(
            &input[header_block.len()..],
            [b'\n', ..] | [b'\r', b'\n', ..]
        )
}

/// Takes from mail-parser's reading the text of each leaf of the message's own tree (not inside
/// an attached message, whose offsets count from another buffer) that it decoded from exactly
/// the scanner's bytes (no transfer encoding, the same raw bytes) with its ISO-2022-JP decoder.
/// The two trees are walked together and the walk stops where they differ;
/// [`charset::decode_text_reusing`] decides whether a text may stand for the engine's own.
fn parser_texts(
    e: &Entity,
    m: &mut Message<'_>,
    id: usize,
    input: &[u8],
    out: &mut [Option<String>],
) {
    let Some(part) = m.parts.get_mut(id) else {
        return;
    };
    // Exactly a label mail-parser decodes with its ISO-2022-JP decoder, found as it finds it.
    let iso_2022_jp = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .is_some_and(|c| c.eq_ignore_ascii_case("iso-2022-jp"));
    match (&e.body, &mut part.body) {
        (Body::Multipart(children), PartType::Multipart(ids)) if children.len() == ids.len() => {
            let ids = ids.clone();
            for (child, id) in children.iter().zip(ids) {
                parser_texts(child, m, id as usize, input, out);
            }
        }
        (Body::Leaf(ours), PartType::Text(theirs) | PartType::Html(theirs))
            if part.encoding == mail_parser::Encoding::None
                && !part.is_encoding_problem
                && iso_2022_jp
                && input.get(part.offset_body as usize..part.offset_end as usize)
                    == Some(ours.as_slice()) =>
        {
            if let Some(slot) = out.get_mut(e.index) {
                *slot = Some(std::mem::take(theirs).into_owned());
            }
        }
        _ => {}
    }
}

fn count_entities(e: &Entity) -> usize {
    1 + match &e.body {
        Body::Leaf(_) => 0,
        Body::Multipart(children) => children.iter().map(count_entities).sum(),
        Body::Message(_, inner) => count_entities(inner),
    }
}

/// Disposition and file name as mail-parser decodes them (RFC 2047 and RFC 2231).
#[derive(Clone)]
struct Disposition {
    attachment: bool,
    file_name: Option<String>,
    other_names: Vec<String>,
}

fn disposition(parser: &MessageParser, e: &Entity) -> Disposition {
    match parser.parse_headers(&e.header_block) {
        Some(m) => disposition_of(m.root_part(), e),
        None => Disposition {
            attachment: false,
            file_name: None,
            other_names: Vec::new(),
        },
    }
}

/// The disposition of `e` from mail-parser's reading of its header block.
fn disposition_of(part: &MessagePart<'_>, e: &Entity) -> Disposition {
    let mut d = Disposition {
        attachment: false,
        file_name: None,
        other_names: Vec::new(),
    };
    let mut names = Vec::new();
    if let Some(cd) = part.content_disposition() {
        d.attachment = cd.ctype().eq_ignore_ascii_case("attachment");
        if let Some(n) = cd.attribute("filename") {
            names.push(n.to_string());
        }
    }
    if let Some(ct) = part.content_type()
        && let Some(n) = ct.attribute("name")
    {
        names.push(n.to_string());
    }
    // Raw parameters the decoder may have merged: a plain and an extended form both present.
    if let Some(raw) = e.field("content-disposition")
        && let Some((_, params)) = raw.split_once(';')
    {
        let (_, p) = crate::scan::parse_content_type(&format!("x/x;{params}")).unwrap_or_default();
        for (n, v) in &p {
            if n == "filename" && !v.contains("=?") {
                names.push(v.clone());
            }
        }
        if let Some(v) = rfc2231_value(&p, "filename") {
            names.push(v);
        }
    }
    names.dedup();
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.contains(&n) {
            unique.push(n);
        }
    }
    let mut it = unique.into_iter();
    d.file_name = it.next();
    d.other_names = it.collect();
    d
}

/// The RFC 2231 form of a parameter (`name*` or `name*0*`, `name*1*`, ...), decoded.
fn rfc2231_value(params: &[(String, String)], name: &str) -> Option<String> {
    let single = format!("{name}*");
    if let Some((_, v)) = params.iter().find(|(n, _)| *n == single) {
        return Some(decode_2231(v, true));
    }
    let mut pieces: Vec<(usize, bool, &str)> = params
        .iter()
        .filter_map(|(n, v)| {
            let rest = n.strip_prefix(&single)?;
            let (num, encoded) = match rest.strip_suffix('*') {
                Some(num) => (num, true),
                None => (rest, false),
            };
            Some((num.parse().ok()?, encoded, v.as_str()))
        })
        .collect();
    if pieces.is_empty() {
        return None;
    }
    pieces.sort_by_key(|p| p.0);
    let first_encoded = pieces[0].1;
    let joined: String = pieces
        .iter()
        .map(|(_, enc, v)| {
            if *enc {
                (*v).to_string()
            } else {
                v.replace('%', "%25")
            }
        })
        .collect();
    Some(decode_2231(&joined, first_encoded))
}

fn decode_2231(v: &str, with_charset: bool) -> String {
    let (charset, text) = if with_charset {
        let mut it = v.splitn(3, '\'');
        match (it.next(), it.next(), it.next()) {
            (Some(cs), Some(_lang), Some(t)) => (Some(cs), t),
            _ => (None, v),
        }
    } else {
        (None, v)
    };
    let mut bytes = Vec::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(Ok(x)) = text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            bytes.push(x);
            i += 3;
            continue;
        }
        bytes.push(b[i]);
        i += 1;
    }
    decode_text(&bytes, charset).text
}

/// The notice of tolerated oddities (形式上の不備), one line per oddity in the order found.
fn oddity_notice(tolerated: &[&Ambiguity]) -> String {
    let mut s = String::from(
        "【形式上の不備 (Formatting oddities)】\n\
         このメールには次の形式上の不備がありましたが、二通りの読み方で内容が一致したため、通常どおり無害化しました。\n\
         (This message has the following formatting oddities; two independent readings of it agreed on its content, so it was sanitized as usual.)\n",
    );
    for (i, a) in tolerated.iter().enumerate() {
        s.push_str(&format!(
            "\n[{}] 部分 (part) {}: {} ({})",
            i + 1,
            a.part,
            visible_header_text(&a.detail).replace('\n', " "),
            a.kind.as_str()
        ));
    }
    s.push_str("\n----------------------------------------");
    s
}

fn notice(
    removed: &[RemovedPart],
    disarmed: &[(DisarmedPart, Vec<u8>)],
    pages: Option<&QuarantineUrl>,
) -> String {
    let mut s = String::from(match (disarmed.is_empty(), pages.is_some()) {
        (true, false) => {
            "【無害化通知 (Sanitization notice)】\n\
             このメールから次の部分を削除しました。原本は隔離IDを添えて管理者に請求できます。\n\
             (The following parts were removed. The original can be requested from the administrator by its quarantine id.)\n"
        }
        (false, false) => {
            "【無害化通知 (Sanitization notice)】\n\
             このメールの次の部分を削除または無害化しました。原本は隔離IDを添えて管理者に請求できます。\n\
             (The following parts were removed or disarmed. The original can be requested from the administrator by its quarantine id.)\n"
        }
        (true, true) => {
            "【無害化通知 (Sanitization notice)】\n\
             このメールから次の部分を削除しました。原本は各部分の隔離ページ (下記のアドレス) から請求できます。\n\
             (The following parts were removed. The original can be requested on the quarantine page at the address given for each part.)\n"
        }
        (false, true) => {
            "【無害化通知 (Sanitization notice)】\n\
             このメールの次の部分を削除または無害化しました。原本は各部分の隔離ページ (下記のアドレス) から請求できます。\n\
             (The following parts were removed or disarmed. The original can be requested on the quarantine page at the address given for each part.)\n"
        }
    });
    // The page of a part, printed as text after its id (empty without a configured address).
    let page = |id: &str| -> String {
        pages
            .map(|base| {
                let url = base.page(id);
                format!("    隔離ページ: {url}\n    (quarantine page: {url})\n")
            })
            .unwrap_or_default()
    };
    // One list in the order of the original message.
    let order =
        |part: &str| -> Vec<usize> { part.split('.').filter_map(|n| n.parse().ok()).collect() };
    let mut keyed: Vec<(Vec<usize>, String)> = Vec::new();
    for r in removed {
        let reason = match &r.detail {
            Some(d) => format!("{} — {d}", r.reason.text()),
            None => r.reason.text().to_string(),
        };
        keyed.push((
            order(&r.part),
            format!(
                "ファイル名 (file name): {}\n    申告された形式 (declared type): {}\n    \
                 検出された形式 (detected type): {}\n    サイズ (size): {} バイト (bytes)\n    \
                 SHA-256: {}\n    理由 (reason): {}\n    隔離ID (quarantine id): {}\n{}",
                r.file_name.as_deref().unwrap_or("(なし / none)"),
                r.declared_type,
                r.detected_type,
                r.size,
                r.sha256,
                reason,
                r.quarantine_id,
                page(&r.quarantine_id),
            ),
        ));
    }
    for (p, _) in disarmed {
        let what = if p.removed_content.is_empty() {
            "(なし / none)".to_string()
        } else {
            p.removed_content.join(", ")
        };
        keyed.push((
            order(&p.part),
            format!(
                "ファイル名 (file name): {}\n    申告された形式 (declared type): {}\n    \
                 検出された形式 (detected type): {}\n    サイズ (size): {} バイト (bytes)\n    \
                 SHA-256: {}\n    処置 (action): 無害化して {} として添付 (disarmed and attached as {})\n    \
                 除去した内容 (removed content): {}\n    隔離ID (quarantine id): {}\n{}",
                p.file_name.as_deref().unwrap_or("(なし / none)"),
                p.declared_type,
                p.detected_type,
                p.size,
                p.sha256,
                p.output_name,
                p.output_name,
                what,
                p.quarantine_id,
                page(&p.quarantine_id),
            ),
        ));
    }
    // Stable: removed parts keep their order when the keys are equal.
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (_, text)) in keyed.into_iter().enumerate() {
        s.push_str(&format!("\n[{}] {text}", i + 1));
    }
    s.push_str("\n----------------------------------------");
    s
}

fn is_image(mime: &str) -> bool {
    mime.starts_with("image/")
}

impl Walk<'_> {
    /// The disposition of `e`, its header block parsed once per message.
    fn disposition(&mut self, e: &Entity) -> Disposition {
        if let Some(Some(d)) = self.dispositions.get(e.index) {
            return d.clone();
        }
        let d = disposition(self.parser, e);
        if let Some(slot) = self.dispositions.get_mut(e.index) {
            *slot = Some(d.clone());
        }
        d
    }

    fn note(&mut self, kind: AmbiguityKind, e: &Entity, detail: String) {
        self.ambiguities.push(Ambiguity {
            kind,
            part: e.index.to_string(),
            detail,
            tolerated: false,
        });
    }

    fn remove(&mut self, e: &Entity, content: &[u8], mut reason: RemovalReason, d: &Disposition) {
        let detected = detect(content);
        let name_lower = d.file_name.as_deref().unwrap_or("").to_ascii_lowercase();
        if detected == Detected::Tnef
            || e.mime_type == "application/ms-tnef"
            || e.mime_type == "application/vnd.ms-tnef"
            || name_lower == "winmail.dat"
        {
            reason = RemovalReason::Tnef;
        } else if let Detected::Zip {
            encrypted: true, ..
        } = detected
        {
            reason = RemovalReason::EncryptedArchive;
        } else if detected.is_executable() {
            reason = RemovalReason::Executable;
        }
        if !d.other_names.is_empty() {
            let names: Vec<String> = d.other_names.iter().map(|n| visible_file_name(n)).collect();
            self.note(
                AmbiguityKind::ConflictingFileName,
                e,
                format!("other file names declared: {}", names.join(", ")),
            );
        }
        let declared = visible_header_text(&e.declared_type).replace('\n', " ");
        let mut detail = None;
        let may_disarm = matches!(
            reason,
            RemovalReason::Attachment | RemovalReason::Unrenderable | RemovalReason::InlineImage
        );
        if may_disarm && disarm::wanted(detected, &self.policy.disarm) {
            if self.time_is_up() {
                return;
            }
            match disarm::rebuild(detected, content, &self.policy.disarm, self.budget) {
                Ok(file) if !self.fits(file.bytes.len()) => {
                    reason = RemovalReason::NotDisarmable;
                    detail = Some(
                        "the disarmed files would make the message larger than limits.max_message_bytes"
                            .into(),
                    );
                }
                Ok(file) => {
                    let output_name =
                        format!("attachment-{}.{}", self.disarmed.len() + 1, file.extension);
                    let part = DisarmedPart {
                        part: e.index.to_string(),
                        file_name: d.file_name.as_deref().map(visible_file_name),
                        declared_type: declared,
                        detected_type: detected.mime().to_string(),
                        size: content.len() as u64,
                        sha256: sha256_hex(content),
                        quarantine_id: self.ids.part_id(&self.message_qid, e.index),
                        output_name,
                        output_type: file.mime.to_string(),
                        output_size: file.bytes.len() as u64,
                        output_sha256: sha256_hex(&file.bytes),
                        removed_content: file.removed,
                    };
                    self.disarmed.push((part, file.bytes));
                    return;
                }
                Err(Failure::OutOfTime) => {
                    self.out_of_time = true;
                    return;
                }
                Err(Failure::Refused(why)) => {
                    reason = RemovalReason::NotDisarmable;
                    detail = Some(why);
                }
            }
        }
        self.removed.push(RemovedPart {
            part: e.index.to_string(),
            file_name: d.file_name.as_deref().map(visible_file_name),
            declared_type: declared,
            detected_type: detected.mime().to_string(),
            size: content.len() as u64,
            sha256: sha256_hex(content),
            reason,
            detail,
            quarantine_id: self.ids.part_id(&self.message_qid, e.index),
        });
    }

    /// Whether one more file of `len` bytes keeps the output, base64 and all, within the
    /// message size limit, so that the output can itself be sanitized again.
    fn fits(&self, len: usize) -> bool {
        let files: usize = self.disarmed.iter().map(|(_, b)| b.len()).sum::<usize>() + len;
        let encoded = files.div_ceil(3) * 4 * 78 / 76;
        encoded.saturating_add(1024 * 1024) <= self.policy.limits.max_message_bytes
    }

    /// Asks the budget; once it has run out the walk does no more work.
    fn time_is_up(&mut self) -> bool {
        self.out_of_time = self.out_of_time || self.budget.exhausted();
        self.out_of_time
    }

    fn decode(&mut self, e: &Entity, content: &[u8]) -> String {
        let mut bytes = content;
        let owned;
        if content.contains(&0) {
            self.note(
                AmbiguityKind::NulInBody,
                e,
                "NUL bytes removed from text".into(),
            );
            owned = content
                .iter()
                .copied()
                .filter(|&b| b != 0)
                .collect::<Vec<u8>>();
            bytes = &owned;
        }
        let mut label = e.param("charset").map(str::to_string);
        if e.mime_type == "text/html" && label.is_none() {
            label = meta_charset(bytes);
        }
        // mail-parser read the bytes as they came, NULs included.
        let theirs = self.parser_texts.get_mut(e.index).and_then(Option::take);
        let d = match theirs {
            Some(theirs) if std::ptr::eq(bytes, content) => {
                charset::decode_text_reusing(bytes, label.as_deref(), theirs)
            }
            _ => decode_text(bytes, label.as_deref()),
        };
        if let Some(c) = d.corrected {
            self.actions.insert(Action::CharsetCorrected);
            self.note(AmbiguityKind::CharsetMislabelled, e, c);
        }
        d.text
    }

    fn render(&mut self, e: &Entity, mode: Mode, in_related: bool, out: &mut Vec<String>) {
        if self.time_is_up() {
            return;
        }
        match &e.body {
            Body::Leaf(content) => self.render_leaf(e, content, mode, in_related, out),
            Body::Multipart(children) => {
                let sub = e.mime_type.strip_prefix("multipart/").unwrap_or("mixed");
                if sub == "alternative" && !self.text_only {
                    let chosen = self.choose_alternative(children);
                    for (i, child) in children.iter().enumerate() {
                        let child_mode = if mode == Mode::Show && Some(i) == chosen {
                            Mode::Show
                        } else {
                            Mode::Unchosen
                        };
                        self.render(child, child_mode, in_related, out);
                    }
                } else {
                    for child in children {
                        self.render(child, mode, in_related || sub == "related", out);
                    }
                }
            }
            Body::Message(raw, inner) => {
                if self.text_only || mode == Mode::Unchosen {
                    let d = self.disposition(e);
                    let reason = if self.text_only {
                        RemovalReason::AmbiguousStructure
                    } else {
                        RemovalReason::Alternative
                    };
                    self.remove(e, raw, reason, &d);
                    return;
                }
                self.actions.insert(Action::NestedMessageExpanded);
                let mut inner_out = Vec::new();
                self.render(inner, Mode::Show, false, &mut inner_out);
                let mut s =
                    String::from("---------- 添付されたメッセージ (attached message) ----------\n");
                if let Some(m) = self.parser.parse_headers(&inner.header_block) {
                    for (name, label) in [
                        ("From", "差出人 (From)"),
                        ("To", "宛先 (To)"),
                        ("Cc", "Cc"),
                        ("Date", "日付 (Date)"),
                        ("Subject", "件名 (Subject)"),
                    ] {
                        let value = match name {
                            "From" => m.from().map(addr_text),
                            "To" => m.to().map(addr_text),
                            "Cc" => m.cc().map(addr_text),
                            "Date" => m.date().filter(|d| d.is_valid()).map(|d| d.to_rfc822()),
                            _ => m.subject().map(str::to_string),
                        };
                        if let Some(v) = value.filter(|v| !v.is_empty()) {
                            let v = visible_header_text(&v.replace(['\r', '\n'], " "));
                            s.push_str(&format!("{label}: {v}\n"));
                        }
                    }
                }
                s.push('\n');
                s.push_str(inner_out.join("\n\n").trim_end());
                s.push_str("\n---------- 添付されたメッセージここまで (end of attached message) ----------");
                out.push(s);
            }
        }
    }

    /// Index of the alternative to show: a non-empty text/plain, else HTML, else the first.
    fn choose_alternative(&mut self, children: &[Entity]) -> Option<usize> {
        let plain = children.iter().position(|c| {
            matches!(&c.body, Body::Leaf(b) if c.mime_type == "text/plain"
                && !self.disposition(c).attachment
                && !decode_text(b, c.param("charset")).text.trim().is_empty())
        });
        plain
            .or_else(|| children.iter().position(contains_html))
            .or(if children.is_empty() { None } else { Some(0) })
    }

    fn render_leaf(
        &mut self,
        e: &Entity,
        content: &[u8],
        mode: Mode,
        in_related: bool,
        out: &mut Vec<String>,
    ) {
        let d = self.disposition(e);
        let mime = e.mime_type.as_str();
        let is_body_text = !d.attachment && (mime == "text/plain" || mime == "text/html");
        if mime == "text/calendar" && !(self.text_only && d.attachment) {
            let text = self.decode(e, content);
            self.actions.insert(Action::CalendarConverted);
            out.push(calendar_text(&text));
            return;
        }
        if is_body_text {
            if mode == Mode::Unchosen {
                return;
            }
            let text = self.decode(e, content);
            if mime == "text/html" {
                let h = match html_to_text(&text, self.budget) {
                    Ok(h) => h,
                    Err(HtmlFailure::OutOfTime) => {
                        self.out_of_time = true;
                        return;
                    }
                    Err(HtmlFailure::TooDeep) => {
                        self.note(
                            AmbiguityKind::HtmlTooDeep,
                            e,
                            format!("HTML nested deeper than {MAX_HTML_DEPTH} elements"),
                        );
                        out.push(
                        "[HTML の入れ子が深すぎるため本文を変換できませんでした (HTML nested too deeply to convert)]"
                            .to_string(),
                    );
                        return;
                    }
                };
                self.actions.insert(Action::HtmlConverted);
                if h.links > 0 {
                    self.actions.insert(Action::LinksDefanged);
                }
                if h.spoofed_links > 0 {
                    self.actions.insert(Action::LinkSpoofingWarned);
                }
                if !h.text.trim().is_empty() {
                    out.push(h.text);
                }
            } else {
                let text = if e
                    .param("format")
                    .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
                {
                    unflow(
                        &text,
                        e.param("delsp")
                            .is_some_and(|v| v.eq_ignore_ascii_case("yes")),
                    )
                } else {
                    text
                };
                let text = lf_line_ends(text);
                if !text.trim().is_empty() {
                    out.push(text);
                }
            }
            return;
        }
        let reason = if self.text_only {
            RemovalReason::AmbiguousStructure
        } else if in_related && is_image(mime) {
            RemovalReason::InlineImage
        } else if mode == Mode::Unchosen {
            RemovalReason::Alternative
        } else if d.attachment || d.file_name.is_some() {
            RemovalReason::Attachment
        } else {
            RemovalReason::Unrenderable
        };
        self.remove(e, content, reason, &d);
    }
}

fn contains_html(e: &Entity) -> bool {
    match &e.body {
        Body::Leaf(_) => e.mime_type == "text/html",
        Body::Multipart(children) => children.iter().any(contains_html),
        Body::Message(..) => false,
    }
}

fn addr_text(a: &mail_parser::Address<'_>) -> String {
    a.iter()
        .map(|x| match (x.name.as_deref(), x.address.as_deref()) {
            (Some(n), Some(m)) => format!("{n} <{m}>"),
            (None, Some(m)) => m.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn meta_charset(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let rest = head[at..].trim_start_matches(['"', '\'']);
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))?;
    (end > 0).then(|| rest[..end].to_string())
}

/// CRLF and a lone CR both become LF, in one pass.
fn lf_line_ends(text: String) -> String {
    if !text.contains('\r') {
        return text;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for cr in memchr::memchr_iter(b'\r', bytes) {
        out.push_str(&text[copied..cr]);
        if bytes.get(cr + 1) != Some(&b'\n') {
            out.push('\n');
        }
        copied = cr + 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// RFC 3676 format=flowed: soft line breaks joined, space-stuffing removed.
fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.strip_prefix(' ').unwrap_or(line);
        if line.ends_with(' ') && line != "-- " {
            out.push_str(if delsp { &line[..line.len() - 1] } else { line });
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A readable summary of an iCalendar object (予定表).
fn calendar_text(ics: &str) -> String {
    let mut unfolded: Vec<String> = Vec::new();
    for line in ics.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(cont) = line.strip_prefix([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push_str(cont);
            }
        } else {
            unfolded.push(line.to_string());
        }
    }
    let mut s = String::from("[予定表 (calendar)]");
    let labels = [
        ("METHOD", "種別 (method)"),
        ("SUMMARY", "件名 (summary)"),
        ("DTSTART", "開始 (start)"),
        ("DTEND", "終了 (end)"),
        ("LOCATION", "場所 (location)"),
        ("ORGANIZER", "主催者 (organizer)"),
        ("ATTENDEE", "出席者 (attendee)"),
        ("DESCRIPTION", "説明 (description)"),
    ];
    for line in &unfolded {
        let Some((name_params, value)) = line.split_once(':') else {
            continue;
        };
        let name = name_params
            .split(';')
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        if let Some((_, label)) = labels.iter().find(|(n, _)| *n == name) {
            let value = value
                .replace("\\n", "\n")
                .replace("\\N", "\n")
                .replace("\\,", ",")
                .replace("\\;", ";")
                .replace("\\\\", "\\");
            let value = value
                .strip_prefix("mailto:")
                .or_else(|| value.strip_prefix("MAILTO:"))
                .unwrap_or(&value);
            s.push_str(&format!("\n{label}: {value}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::split_header_body;

    proptest::proptest! {
        #[test]
        fn line_ends_become_lf_as_two_replacements_made_them(
            pieces in proptest::collection::vec(proptest::sample::select(vec!["\r", "\n", "\r\n", "a", "あ"]), 0..30),
        ) {
            let text = pieces.concat();
            proptest::prop_assert_eq!(
                lf_line_ends(text.clone()),
                text.replace("\r\n", "\n").replace('\r', "\n")
            );
        }
    }

    /// A multipart/mixed message: an ISO-2022-JP text part sent as `cte`, an HTML part labelled
    /// Shift_JIS, and an attached message with an ISO-2022-JP text of its own.
    fn jis_message(cte: &str) -> Vec<u8> {
        let jis = encoding_rs::ISO_2022_JP
            .encode("いつもお世話になっております。")
            .0;
        let body = if cte == "base64" {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .encode(&jis)
                .into_bytes()
        } else {
            jis.to_vec()
        };
        [
            b"From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
              Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
              Content-Type: text/plain; charset=ISO-2022-JP\r\n"
                .as_slice(),
            format!("Content-Transfer-Encoding: {cte}\r\n\r\n").as_bytes(),
            &body,
            b"\r\n--b\r\nContent-Type: text/html; charset=Shift_JIS\r\n\r\n<p>x</p>\r\n\
              --b\r\nContent-Type: message/rfc822\r\n\r\n\
              Content-Type: text/plain; charset=iso-2022-jp\r\n\r\n",
            &jis,
            b"\r\n--b--\r\n",
        ]
        .concat()
    }

    #[test]
    fn mail_parser_text_is_taken_only_for_top_level_iso_2022_jp_leaves_read_alike() {
        let limits = crate::policy::Limits::default();
        for (cte, taken) in [("7bit", vec![1]), ("base64", vec![])] {
            let raw = jis_message(cte);
            let root = crate::scan::Scanner::new(&limits)
                .scan_message(&raw)
                .unwrap();
            let mut parsed = MessageParser::new().parse(&raw).unwrap();
            let mut texts = vec![None; count_entities(&root)];
            parser_texts(&root, &mut parsed, 0, &raw, &mut texts);
            let got: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].is_some()).collect();
            assert_eq!(got, taken, "{cte}");
            if let Some(text) = &texts[1] {
                assert_eq!(text.trim_end(), "いつもお世話になっております。");
            }
        }
        // Either way the sanitized message is the same.
        let out = |cte| {
            let o = crate::sanitize(&jis_message(cte), &Policy::default());
            assert_eq!(o.report.verdict, crate::Verdict::Sanitized, "{cte}");
            let message = String::from_utf8(o.message.unwrap()).unwrap();
            message.split_once("\r\n\r\n").unwrap().1.to_owned()
        };
        assert_eq!(out("7bit"), out("base64"));
    }

    #[test]
    fn flowed_text_joined() {
        assert_eq!(
            unflow("abc \r\ndef\r\n>quote\r\n", false),
            "abc def\n>quote\n\n"
        );
        assert_eq!(unflow("あい \nう\n", true), "あいう\n\n");
    }

    #[test]
    fn calendar_summary() {
        let t = calendar_text(
            "BEGIN:VEVENT\r\nSUMMARY:定例\r\n 会議\r\nDTSTART;TZID=Asia/Tokyo:20261201T100000\r\nLOCATION:3階\\, 会議室\r\nEND:VEVENT\r\n",
        );
        assert_eq!(
            t,
            "[予定表 (calendar)]\n件名 (summary): 定例会議\n開始 (start): 20261201T100000\n場所 (location): 3階, 会議室"
        );
    }

    #[test]
    fn header_body_split() {
        assert_eq!(
            split_header_body(b"A: b\r\n\r\nbody"),
            (&b"A: b\r\n"[..], &b"body"[..])
        );
    }
}
