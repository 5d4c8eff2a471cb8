//! OOXML の無害化: a docx/xlsx/pptx (or its macro-enabled sibling) read entry by entry within
//! zip-bomb limits, and a new package written without macros (vbaProject), ActiveX controls,
//! embedded OLE objects and packages, Excel 4.0 macro sheets, custom UI and external
//! relationships. `[Content_Types].xml` and every `.rels` part are parsed with quick-xml and
//! written anew from what was parsed; macro-enabled content types become their plain sibling, so
//! a disarmed .docm is delivered as a .docx. Other parts are copied as they decompress.

use std::collections::BTreeSet;
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
];

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
fn resolve(source: &str, target: &str) -> String {
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

/// Why a part is active content, if it is.
fn active_part(part: &str, ct: &ContentTypes) -> Option<&'static str> {
    let lower = part.to_ascii_lowercase();
    if lower.contains("vbaproject") || lower.ends_with("vbadata.xml") {
        return Some("vbaProject.bin (macros)");
    }
    let t = type_of(part, ct);
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

fn active_relationship(kind: &str) -> Option<&'static str> {
    let last = kind.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    ACTIVE_RELATIONSHIPS
        .iter()
        .find(|(k, _)| *k == last)
        .map(|(_, what)| *what)
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

    let mut removed: Vec<String> = Vec::new();
    let mut note = |what: &str| {
        if !removed.iter().any(|r| r == what) {
            removed.push(what.to_string());
        }
    };
    let mut dropped: BTreeSet<String> = BTreeSet::new();
    for e in &entries {
        if let Some(what) = active_part(&e.name, &ct) {
            note(what);
            dropped.insert(e.name.to_ascii_lowercase());
        }
    }
    // The relationships of a dropped part go with it.
    for e in &entries {
        if let Some(source) = rels_source(&e.name)
            && dropped.contains(&source.to_ascii_lowercase())
        {
            dropped.insert(e.name.to_ascii_lowercase());
        }
    }

    let mut external = 0usize;
    let mut rewritten: Vec<(String, Vec<u8>)> = Vec::new();
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
        let mut kept = Vec::with_capacity(rels.len());
        for r in rels {
            if r.external {
                external += 1;
                continue;
            }
            if let Some(what) = active_relationship(&r.kind) {
                note(what);
                continue;
            }
            let target = resolve(&source, &r.target).to_ascii_lowercase();
            if dropped.contains(&target) {
                continue;
            }
            kept.push(r);
        }
        rewritten.push((e.name.clone(), write_relationships(&kept)));
    }
    if external > 0 {
        note(&format!("external relationships ({external})"));
    }

    ct.overrides
        .retain(|(part, _)| !dropped.contains(&part.trim_start_matches('/').to_ascii_lowercase()));
    ct.defaults
        .retain(|(_, t)| !ACTIVE_TYPES.iter().any(|(a, _)| t.eq_ignore_ascii_case(a)));
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
        match rewritten.iter().find(|(n, _)| *n == e.name) {
            Some((_, data)) => write(&e.name, data)?,
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
