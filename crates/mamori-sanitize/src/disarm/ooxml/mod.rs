//! OOXML の無害化: a docx/xlsx/pptx (or its macro-enabled sibling) read entry by entry within
//! zip-bomb limits, and a new package written without macros (vbaProject), ActiveX controls,
//! embedded OLE objects and packages, Excel 4.0 macro sheets, custom UI, altChunk imports, Excel
//! external links (DDE, OLE, other workbooks) and data connections, and external relationships.
//! A part goes with its relationships, the relationships that lead to it and its content type;
//! the target of an active relationship is active content whatever its name or type.
//! `[Content_Types].xml` and every `.rels` part are parsed with quick-xml and written anew from
//! what was parsed; macro-enabled content types become their plain sibling, so a disarmed .docm
//! is delivered as a .docx. Every other XML part is read whole ([`content`]) and has what is
//! active inside it cut out (altChunk elements, DDE fields, formulas that link outside the
//! workbook); other parts are copied as they decompress.

mod content;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use super::{Failure, Rebuilt};
use crate::Budget;
use crate::policy::Disarm;

/// Entries above this size are checked against the compression ratio limit.
const RATIO_CHECK_ABOVE: u64 = 1024 * 1024;

const CONTENT_TYPES: &str = "[Content_Types].xml";

/// Main document types: (as found, plain type written, file extension, file MIME type).
const MAIN_TYPES: &[(&str, &str, &str, &str)] = &[
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "dotx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    ),
    (
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "dotx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "xltx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    ),
    (
        "application/vnd.ms-excel.template.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        "xltx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        "ppsx",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    ),
    (
        "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
        "ppsx",
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
        "potx",
        "application/vnd.openxmlformats-officedocument.presentationml.template",
    ),
    (
        "application/vnd.ms-powerpoint.template.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
        "potx",
        "application/vnd.openxmlformats-officedocument.presentationml.template",
    ),
];

/// Active content, by content type: what the notice calls it.
const ACTIVE_TYPES: &[(&str, &str)] = &[
    (
        "application/vnd.ms-office.vbaproject",
        "vbaProject.bin (macros)",
    ),
    (
        "application/vnd.ms-office.vbaprojectsignature",
        "vbaProject.bin (macros)",
    ),
    (
        "application/vnd.ms-word.vbadata+xml",
        "vbaProject.bin (macros)",
    ),
    ("application/vnd.ms-office.activex+xml", "ActiveX controls"),
    ("application/vnd.ms-office.activex", "ActiveX controls"),
    (
        "application/vnd.openxmlformats-officedocument.oleobject",
        "embedded objects",
    ),
    (
        "application/vnd.ms-excel.macrosheet+xml",
        "Excel 4.0 macro sheets",
    ),
    (
        "application/vnd.ms-excel.intlmacrosheet+xml",
        "Excel 4.0 macro sheets",
    ),
    (
        "application/vnd.ms-word.keymapcustomizations+xml",
        "vbaProject.bin (macros)",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
        CONNECTIONS,
    ),
];

const CONNECTIONS: &str = "data connections";

/// An Excel external link part: a DDE or OLE link, or a link to another workbook.
const EXTERNAL_LINK_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.externallink+xml";

/// The calculation chain lists the cells with formulas; it goes when formulas do, and Excel
/// builds it again.
const CALC_CHAIN_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.calcchain+xml";

/// Active content, by folder in the part name.
const ACTIVE_FOLDERS: &[(&str, &str)] = &[
    ("activex", "ActiveX controls"),
    ("embeddings", "embedded objects"),
    ("customui", "custom UI"),
    ("macrosheets", "Excel 4.0 macro sheets"),
];

/// Active content, by the last segment of a relationship type.
const ACTIVE_RELATIONSHIPS: &[(&str, &str)] = &[
    ("vbaproject", "vbaProject.bin (macros)"),
    ("vbaprojectsignature", "vbaProject.bin (macros)"),
    ("wordvbadata", "vbaProject.bin (macros)"),
    ("keymapcustomizations", "vbaProject.bin (macros)"),
    ("activexcontrol", "ActiveX controls"),
    ("activexcontrolbinary", "ActiveX controls"),
    ("control", "ActiveX controls"),
    ("oleobject", "embedded objects"),
    ("package", "embedded objects"),
    ("extensibility", "custom UI"),
    ("ui/extensibility", "custom UI"),
    ("xlmacrosheet", "Excel 4.0 macro sheets"),
    ("xlintlmacrosheet", "Excel 4.0 macro sheets"),
    ("attachedtemplate", "attached template"),
    ("afchunk", content::ALT_CHUNK),
    ("connections", CONNECTIONS),
    ("externallink", content::WORKBOOK_LINKS),
];

struct Entry {
    name: String,
    data: Vec<u8>,
}

#[derive(Default)]
struct ContentTypes {
    defaults: Vec<(String, String)>,
    overrides: Vec<(String, String)>,
}

struct Relationship {
    id: String,
    kind: String,
    target: String,
    external: bool,
}

fn refused(s: impl Into<String>) -> Failure {
    Failure::Refused(s.into())
}

/// A part name as stored in the zip is safe to carry over: relative, no `..`, no backslash.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains('\0')
        && !name.split('/').any(|s| s == ".." || s == ".")
        && name.len() <= 1024
}

fn read_entries(
    content: &[u8],
    limits: &Disarm,
    budget: &dyn Budget,
) -> Result<Vec<Entry>, Failure> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(content)).map_err(|_| refused("damaged package"))?;
    if zip.len() > limits.max_package_entries {
        return Err(refused(format!(
            "package has {} entries, above the limit of {}",
            zip.len(),
            limits.max_package_entries
        )));
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut names = BTreeSet::new();
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        if budget.exhausted() {
            return Err(Failure::OutOfTime);
        }
        let mut file = zip
            .by_index(i)
            .map_err(|_| refused(format!("damaged package entry {i}")))?;
        if file.encrypted() {
            return Err(refused("package entry is encrypted"));
        }
        let name = file
            .name()
            .map_err(|_| refused("package entry name is not readable"))?
            .into_owned();
        if file.is_dir() {
            continue;
        }
        if !valid_name(&name) {
            return Err(refused("package entry has an unsafe name"));
        }
        if !names.insert(name.to_ascii_lowercase()) {
            return Err(refused("package has two entries of the same name"));
        }
        let declared = file.size();
        if declared > RATIO_CHECK_ABOVE
            && declared / file.compressed_size().max(1) > limits.max_compression_ratio
        {
            return Err(refused(format!(
                "package entry expands {declared} bytes from {} (compression bomb)",
                file.compressed_size()
            )));
        }
        let room = limits.max_package_bytes.saturating_sub(total);
        if declared > room {
            return Err(refused(format!(
                "package expands to more than {} bytes",
                limits.max_package_bytes
            )));
        }
        let mut data = Vec::new();
        // The declared size may lie: read at most what is left of the limit, plus one byte.
        (&mut file)
            .take(room.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|_| refused("package entry cannot be read"))?;
        if data.len() as u64 > room {
            return Err(refused(format!(
                "package expands to more than {} bytes",
                limits.max_package_bytes
            )));
        }
        total += data.len() as u64;
        entries.push(Entry { name, data });
    }
    Ok(entries)
}

/// Attributes of one element by local name, entity references resolved.
fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|_| refused("malformed XML attribute"))?;
        let key = a.key.local_name().into_inner().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|_| refused("malformed XML attribute value"))?
            .into_owned();
        out.push((key, value));
    }
    Ok(out)
}

/// An element's local name and its attributes.
type Element = (String, Vec<(String, String)>);

/// Every element of a small XML part, with its attributes. A DTD is refused.
fn elements(xml: &[u8], part: &str) -> Result<Vec<Element>, Failure> {
    let text = std::str::from_utf8(xml).map_err(|_| refused(format!("{part} is not UTF-8")))?;
    let mut reader = quick_xml::Reader::from_str(text.trim_start_matches('\u{feff}'));
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let name = e.local_name().into_inner().to_string();
                out.push((name, attributes(&e)?));
            }
            Ok(Event::DocType(_)) => return Err(refused(format!("{part} has a DTD"))),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(_) => return Err(refused(format!("{part} is not well-formed XML"))),
        }
        if out.len() > 100_000 {
            return Err(refused(format!("{part} has too many elements")));
        }
    }
    Ok(out)
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn parse_content_types(xml: &[u8]) -> Result<ContentTypes, Failure> {
    let mut ct = ContentTypes::default();
    for (name, attrs) in elements(xml, CONTENT_TYPES)? {
        match name.as_str() {
            "Default" => {
                let ext = attr(&attrs, "Extension").unwrap_or_default();
                let t = attr(&attrs, "ContentType").unwrap_or_default();
                ct.defaults.push((ext.to_string(), t.to_string()));
            }
            "Override" => {
                let part = attr(&attrs, "PartName").unwrap_or_default();
                let t = attr(&attrs, "ContentType").unwrap_or_default();
                ct.overrides.push((part.to_string(), t.to_string()));
            }
            _ => {}
        }
    }
    Ok(ct)
}

fn parse_relationships(xml: &[u8], part: &str) -> Result<Vec<Relationship>, Failure> {
    Ok(elements(xml, part)?
        .into_iter()
        .filter(|(name, _)| name == "Relationship")
        .map(|(_, attrs)| Relationship {
            id: attr(&attrs, "Id").unwrap_or_default().to_string(),
            kind: attr(&attrs, "Type").unwrap_or_default().to_string(),
            target: attr(&attrs, "Target").unwrap_or_default().to_string(),
            external: attr(&attrs, "TargetMode")
                .is_some_and(|m| m.eq_ignore_ascii_case("external")),
        })
        .collect())
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn write_content_types(ct: &ContentTypes) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    );
    for (ext, t) in &ct.defaults {
        s.push_str(&format!(
            "<Default Extension=\"{}\" ContentType=\"{}\"/>",
            escape(ext),
            escape(t)
        ));
    }
    for (part, t) in &ct.overrides {
        s.push_str(&format!(
            "<Override PartName=\"{}\" ContentType=\"{}\"/>",
            escape(part),
            escape(t)
        ));
    }
    s.push_str("</Types>");
    s.into_bytes()
}

fn write_relationships(rels: &[Relationship]) -> Vec<u8> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for r in rels {
        s.push_str(&format!(
            "<Relationship Id=\"{}\" Type=\"{}\" Target=\"{}\"/>",
            escape(&r.id),
            escape(&r.kind),
            escape(&r.target)
        ));
    }
    s.push_str("</Relationships>");
    s.into_bytes()
}

/// The part a `.rels` part describes: `word/_rels/document.xml.rels` → `word/document.xml`,
/// `_rels/.rels` → the package (empty).
fn rels_source(rels_name: &str) -> Option<String> {
    let (dir, file) = match rels_name.rsplit_once('/') {
        Some((dir, file)) => (dir, file),
        None => return None,
    };
    let source_file = file.strip_suffix(".rels")?;
    let parent = dir.strip_suffix("_rels")?;
    Some(format!("{parent}{source_file}"))
}

/// Resolves a relationship target against its source part, as a part name without leading `/`.
/// A target is an IRI: `%20` in it is a space in the zip entry name.
fn resolve(source: &str, target: &str) -> String {
    let target = percent_decode(target);
    let target = target.as_str();
    let mut segments: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut s: Vec<&str> = source.split('/').collect();
        s.pop();
        s
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// `%XX` escapes decoded; a malformed escape, or one that is not UTF-8, is left as written.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn type_of(part: &str, ct: &ContentTypes) -> String {
    let slash = format!("/{part}");
    if let Some((_, t)) = ct
        .overrides
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(&slash))
    {
        return t.to_ascii_lowercase();
    }
    let ext = part.rsplit_once('.').map_or("", |(_, e)| e);
    ct.defaults
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, t)| t.to_ascii_lowercase())
        .unwrap_or_default()
}

/// What an external link part links to, for the notice.
fn external_link(data: &[u8]) -> &'static str {
    let has = |name: &[u8]| data.windows(name.len()).any(|w| w == name);
    if has(b"ddeLink") {
        content::DDE_LINKS
    } else if has(b"oleLink") {
        content::OLE_LINKS
    } else {
        content::WORKBOOK_LINKS
    }
}

/// Why a part is active content, if it is.
fn active_part(e: &Entry, ct: &ContentTypes) -> Option<&'static str> {
    let part = e.name.as_str();
    let lower = part.to_ascii_lowercase();
    if lower.contains("vbaproject") || lower.ends_with("vbadata.xml") {
        return Some("vbaProject.bin (macros)");
    }
    let t = type_of(part, ct);
    if t == EXTERNAL_LINK_TYPE {
        return Some(external_link(&e.data));
    }
    if let Some((_, what)) = ACTIVE_TYPES.iter().find(|(a, _)| *a == t) {
        return Some(what);
    }
    let dirs: Vec<&str> = lower.split('/').collect();
    let dirs = &dirs[..dirs.len().saturating_sub(1)];
    ACTIVE_FOLDERS
        .iter()
        .find(|(f, _)| dirs.contains(f))
        .map(|(_, what)| *what)
}

/// The last segment of a relationship type, which names it (`.../relationships/aFChunk`).
fn relationship_name(kind: &str) -> String {
    kind.rsplit('/').next().unwrap_or("").to_ascii_lowercase()
}

fn active_relationship(kind: &str) -> Option<&'static str> {
    let last = relationship_name(kind);
    ACTIVE_RELATIONSHIPS
        .iter()
        .find(|(k, _)| *k == last)
        .map(|(_, what)| *what)
}

/// Whether a part holds XML that Office reads (VML, which is often not well-formed, does not
/// count: its content type does not end in `xml`).
fn is_xml_part(part: &str, ct: &ContentTypes) -> bool {
    type_of(part, ct).ends_with("xml") || part.to_ascii_lowercase().ends_with(".xml")
}

/// The relationships of a dropped part go with it.
fn drop_relationships_of_dropped(entries: &[Entry], dropped: &mut BTreeSet<String>) {
    for e in entries {
        if let Some(source) = rels_source(&e.name)
            && dropped.contains(&source.to_ascii_lowercase())
        {
            dropped.insert(e.name.to_ascii_lowercase());
        }
    }
}

pub(super) fn ooxml(
    content: &[u8],
    limits: &Disarm,
    budget: &dyn Budget,
) -> Result<Rebuilt, Failure> {
    let entries = read_entries(content, limits, budget)?;
    let ct_entry = entries
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(CONTENT_TYPES))
        .ok_or_else(|| refused("package has no [Content_Types].xml"))?;
    let mut ct = parse_content_types(&ct_entry.data)?;

    let mains: Vec<&(&str, &str, &str, &str)> = MAIN_TYPES
        .iter()
        .filter(|(t, ..)| ct.overrides.iter().any(|(_, o)| o.eq_ignore_ascii_case(t)))
        .collect();
    let &&(_, _, extension, mime) = match mains.as_slice() {
        [one] => one,
        [] => return Err(refused("not a Word, Excel or PowerPoint package")),
        _ => return Err(refused("package declares more than one main document")),
    };

    let main_part = ct
        .overrides
        .iter()
        .find(|(_, t)| MAIN_TYPES.iter().any(|(m, ..)| t.eq_ignore_ascii_case(m)))
        .map(|(p, _)| p.trim_start_matches('/').to_ascii_lowercase())
        .unwrap_or_default();
    let by_name: BTreeMap<String, &Entry> = entries
        .iter()
        .map(|e| (e.name.to_ascii_lowercase(), e))
        .collect();

    let mut removed: Vec<String> = Vec::new();
    let mut note = |what: &str| {
        if !removed.iter().any(|r| r == what) {
            removed.push(what.to_string());
        }
    };
    let mut dropped: BTreeSet<String> = BTreeSet::new();
    for e in &entries {
        if let Some(what) = active_part(e, &ct) {
            note(what);
            dropped.insert(e.name.to_ascii_lowercase());
        }
    }
    drop_relationships_of_dropped(&entries, &mut dropped);

    // Every relationship part, read once. The target of an active relationship goes, whatever
    // its name or content type: an altChunk's imported RTF/MHT/HTML, a connections part.
    let mut relationships: Vec<(&Entry, String, Vec<Relationship>)> = Vec::new();
    for e in &entries {
        if budget.exhausted() {
            return Err(Failure::OutOfTime);
        }
        let lower = e.name.to_ascii_lowercase();
        if dropped.contains(&lower) || !lower.ends_with(".rels") {
            continue;
        }
        let source = rels_source(&e.name).unwrap_or_default();
        let rels = parse_relationships(&e.data, &e.name)?;
        for r in rels.iter().filter(|r| !r.external) {
            let Some(what) = active_relationship(&r.kind) else {
                continue;
            };
            let target = resolve(&source, &r.target).to_ascii_lowercase();
            if let Some(t) = by_name.get(&target)
                && dropped.insert(target)
            {
                if relationship_name(&r.kind) == "externallink" {
                    note(external_link(&t.data));
                } else {
                    note(what);
                }
            }
        }
        relationships.push((e, source, rels));
    }

    // What is active inside the XML parts that stay.
    let mut rewritten: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut cell_formulas_removed = false;
    for e in &entries {
        if budget.exhausted() {
            return Err(Failure::OutOfTime);
        }
        let lower = e.name.to_ascii_lowercase();
        if dropped.contains(&lower)
            || lower.ends_with(".rels")
            || lower == CONTENT_TYPES.to_ascii_lowercase()
            || !is_xml_part(&e.name, &ct)
        {
            continue;
        }
        let cleaned = content::clean(&e.data, &e.name, budget)?;
        for what in cleaned.removed {
            note(what);
        }
        cell_formulas_removed |= cleaned.cell_formulas_removed;
        if let Some(data) = cleaned.data {
            rewritten.insert(e.name.clone(), data);
        }
    }
    if cell_formulas_removed {
        for e in &entries {
            if type_of(&e.name, &ct) == CALC_CHAIN_TYPE {
                dropped.insert(e.name.to_ascii_lowercase());
            }
        }
    }
    drop_relationships_of_dropped(&entries, &mut dropped);
    if dropped.contains(&main_part) {
        return Err(refused(
            "the main document is referred to as active content",
        ));
    }

    let mut external = 0usize;
    for (e, source, rels) in relationships {
        if dropped.contains(&e.name.to_ascii_lowercase()) {
            continue;
        }
        let mut kept = Vec::with_capacity(rels.len());
        for r in rels {
            if r.external {
                external += 1;
                continue;
            }
            let target = resolve(&source, &r.target).to_ascii_lowercase();
            if dropped.contains(&target) {
                continue;
            }
            // An active relationship whose target is not in the package: only it goes.
            if let Some(what) = active_relationship(&r.kind) {
                note(what);
                continue;
            }
            kept.push(r);
        }
        rewritten.insert(e.name.clone(), write_relationships(&kept));
    }
    if external > 0 {
        note(&format!("external relationships ({external})"));
    }

    let extension_of = |name: &str| {
        name.rsplit_once('.')
            .map_or(String::new(), |(_, x)| x.to_ascii_lowercase())
    };
    let kept_extensions: BTreeSet<String> = entries
        .iter()
        .filter(|e| !dropped.contains(&e.name.to_ascii_lowercase()))
        .map(|e| extension_of(&e.name))
        .collect();
    let dropped_extensions: BTreeSet<String> = dropped.iter().map(|n| extension_of(n)).collect();
    ct.overrides
        .retain(|(part, _)| !dropped.contains(&part.trim_start_matches('/').to_ascii_lowercase()));
    // A default that only dropped parts used (`mht` for an altChunk) goes with them.
    ct.defaults.retain(|(ext, t)| {
        let ext = ext.to_ascii_lowercase();
        !ACTIVE_TYPES.iter().any(|(a, _)| t.eq_ignore_ascii_case(a))
            && !t.eq_ignore_ascii_case(EXTERNAL_LINK_TYPE)
            && (kept_extensions.contains(&ext) || !dropped_extensions.contains(&ext))
    });
    for (_, t) in &mut ct.overrides {
        if let Some((_, plain, ..)) = MAIN_TYPES.iter().find(|(m, ..)| t.eq_ignore_ascii_case(m))
            && !t.eq_ignore_ascii_case(plain)
        {
            *t = (*plain).to_string();
            note("macro-enabled document type");
        }
    }

    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let mut write = |name: &str, data: &[u8]| -> Result<(), Failure> {
        out.start_file(name, options)
            .and_then(|()| out.write_all(data).map_err(Into::into))
            .map_err(|_| refused("package cannot be written"))
    };
    write(CONTENT_TYPES, &write_content_types(&ct))?;
    for e in &entries {
        let lower = e.name.to_ascii_lowercase();
        if dropped.contains(&lower) || e.name.eq_ignore_ascii_case(CONTENT_TYPES) {
            continue;
        }
        match rewritten.get(&e.name) {
            Some(data) => write(&e.name, data)?,
            None => write(&e.name, &e.data)?,
        }
    }
    let bytes = out
        .finish()
        .map_err(|_| refused("package cannot be written"))?
        .into_inner();
    Ok(Rebuilt {
        bytes,
        extension,
        mime,
        removed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_their_source() {
        assert_eq!(
            resolve("word/document.xml", "media/a.png"),
            "word/media/a.png"
        );
        assert_eq!(
            resolve("word/document.xml", "../customUI/x.xml"),
            "customUI/x.xml"
        );
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/vbaProject.bin"),
            "xl/vbaProject.bin"
        );
        assert_eq!(
            rels_source("word/_rels/document.xml.rels").as_deref(),
            Some("word/document.xml")
        );
        assert_eq!(rels_source("_rels/.rels").as_deref(), Some(""));
        assert_eq!(
            resolve("word/document.xml", "my%20chunk.mht"),
            "word/my chunk.mht"
        );
        assert_eq!(resolve("word/document.xml", "100%.xml"), "word/100%.xml");
    }

    fn package(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("entry");
            w.write_all(data.as_bytes()).expect("data");
        }
        w.finish().expect("zip").into_inner()
    }

    const TYPES: &str = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="dat" ContentType="application/octet-stream"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    const ROOT: &str = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    const DOCUMENT: &str = r#"<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>"#;

    fn names(bytes: &[u8]) -> Vec<String> {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        (0..z.len())
            .map(|i| {
                let f = z.by_index(i).expect("entry");
                f.name().expect("name").into_owned()
            })
            .collect()
    }

    #[test]
    fn the_target_of_an_active_relationship_goes_whatever_its_name_and_type() {
        let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="notes.dat"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="my%20chunk.dat"/></Relationships>"#;
        let bytes = package(&[
            (CONTENT_TYPES, TYPES),
            ("_rels/.rels", ROOT),
            ("word/document.xml", DOCUMENT),
            ("word/_rels/document.xml.rels", rels),
            ("word/notes.dat", "macros"),
            ("word/my chunk.dat", "{\\rtf1}"),
        ]);
        let out = ooxml(&bytes, &Disarm::default(), &|| false).expect("disarmed");
        assert_eq!(
            names(&out.bytes),
            [
                CONTENT_TYPES,
                "_rels/.rels",
                "word/document.xml",
                "word/_rels/document.xml.rels"
            ]
        );
        assert_eq!(
            out.removed,
            ["vbaProject.bin (macros)", "altChunk (imported documents)"]
        );
    }

    #[test]
    fn a_main_document_that_is_the_target_of_an_active_relationship_refuses_the_package() {
        let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/aFChunk" Target="document.xml"/></Relationships>"#;
        let bytes = package(&[
            (CONTENT_TYPES, TYPES),
            ("_rels/.rels", ROOT),
            ("word/document.xml", DOCUMENT),
            ("word/_rels/document.xml.rels", rels),
        ]);
        assert!(matches!(
            ooxml(&bytes, &Disarm::default(), &|| false),
            Err(Failure::Refused(m)) if m.contains("main document")
        ));
    }

    #[test]
    fn unsafe_names_are_refused() {
        for n in ["/abs.xml", "../x.xml", "a/../../x", "a\\b.xml", ""] {
            assert!(!valid_name(n), "{n}");
        }
        assert!(valid_name("word/document.xml"));
    }

    #[test]
    fn xml_with_a_dtd_is_refused() {
        let xml = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><Types/>";
        assert!(matches!(parse_content_types(xml), Err(Failure::Refused(m)) if m.contains("DTD")));
    }
}
