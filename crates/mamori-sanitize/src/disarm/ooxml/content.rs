//! What is active inside the XML of a kept OOXML part.
//!
//! Word: `w:altChunk` (a document imported when the file opens, which may be RTF, MHT or HTML
//! carrying OLE objects), DDE fields (`DDE`, `DDEAUTO`) and fields whose instruction other
//! fields build (`{ {QUOTE 68 68 69 …} … }` spells `DDE` only when Word evaluates it). Such a
//! field is flattened: its field characters and instruction go and its last result stays as
//! text. Excel: formulas and defined names that reach outside the workbook — DDE
//! (`=cmd|' /c calc'!A0`) or another workbook (`[1]Sheet1!A1`) — lose the formula and keep the
//! cached value; the workbook's list of external links goes (the package pass drops the link
//! parts). A conditional format or validation formula that reaches outside refuses the file,
//! since it cannot be removed without changing what the sheet means.
//!
//! A part is read with a namespace-aware reader and never re-serialised: what is removed is cut
//! out of the original text by byte range, always a whole element or a whole tag, so every other
//! byte stays as it was and the cut text is as well-formed as the original. A part that is not
//! UTF-8, is not well-formed, or declares a DTD refuses the file.

use std::collections::BTreeSet;
use std::ops::Range;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{attributes, refused};
use crate::Budget;
use crate::disarm::Failure;

pub(super) const ALT_CHUNK: &str = "altChunk (imported documents)";
pub(super) const DDE_FIELDS: &str = "DDE fields";
pub(super) const BUILT_FIELDS: &str = "fields built from other fields";
pub(super) const DDE_LINKS: &str = "DDE links";
pub(super) const OLE_LINKS: &str = "OLE links";
pub(super) const WORKBOOK_LINKS: &str = "links to other workbooks";

const WORD: [&str; 2] = [
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];
const SHEET: [&str; 2] = [
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
];
/// Excel 2010 extensions (`xm:f` in x14 conditional formats, validations and sparklines).
const SHEET_EXT: &str = "http://schemas.microsoft.com/office/excel/2006/main";

/// Deepest nesting of Word complex fields followed.
const MAX_FIELD_DEPTH: usize = 32;

/// The result of cleaning one part.
pub(super) struct Cleaned {
    /// The new text of the part, when something was cut out.
    pub data: Option<Vec<u8>>,
    /// What was taken out, as the notice names it.
    pub removed: Vec<&'static str>,
    /// Whether a cell formula went (the workbook's calculation chain then lists it in vain).
    pub cell_formulas_removed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    AltChunk,
    /// `w:fldSimple`; `unwrapped` when it ran DDE and its start tag was cut.
    FldSimple {
        unwrapped: bool,
    },
    FldChar(FieldChar),
    FldData,
    InstrText,
    Run,
    /// `f` of a cell.
    CellFormula,
    /// A formula that can go on its own: `definedName`, a table's calculated column or totals
    /// row.
    NamedFormula,
    /// A formula that cannot go without changing what the sheet means: conditional formats,
    /// validations, `xm:f`.
    FixedFormula,
    ExternalReferences,
    Other,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldChar {
    Begin,
    Separate,
    End,
    Other,
}

/// An element being read.
struct Open {
    tag: Tag,
    start: usize,
    /// Text of a formula element.
    text: String,
    /// `si` of a shared cell formula.
    shared: Option<String>,
}

/// A Word complex field: `fldChar begin`, instruction, `fldChar separate`, result, `fldChar end`.
struct Field {
    begin: Range<usize>,
    separate: Option<Range<usize>>,
    instruction: String,
    /// Another field is part of the instruction.
    nested: bool,
    /// Elements of the instruction (runs, instruction text, field characters, simple fields),
    /// cut when the field is flattened.
    instruction_elements: Vec<Range<usize>>,
}

impl Field {
    fn in_instruction(&self) -> bool {
        self.separate.is_none()
    }
}

/// Whether a field instruction is DDE. Any word of it counts, so that `SET x "DDEAUTO"` (a
/// bookmark later used as an instruction) is caught too; flattening a field keeps its text.
fn is_dde(instruction: &str) -> bool {
    instruction
        .split(|c: char| c.is_whitespace() || c == '"')
        .any(|w| w.eq_ignore_ascii_case("DDE") || w.eq_ignore_ascii_case("DDEAUTO"))
}

/// How a formula reaches outside the workbook, if it does: `|` outside a string is a DDE
/// reference (`cmd|' /c calc'!A0`; a sheet name may hold `|` too, and losing such a formula
/// keeps its value), `[n]` opening a reference names an external workbook (`[0]` is the
/// workbook itself, and a bracket after a name or inside brackets is a table reference).
fn formula_link(formula: &str) -> Option<&'static str> {
    let mut in_string = false;
    let mut depth = 0usize;
    let mut prev: Option<char> = None;
    let mut external = false;
    for (i, c) in formula.char_indices() {
        if in_string {
            in_string = c != '"';
        } else {
            match c {
                '"' => in_string = true,
                '|' => return Some(DDE_LINKS),
                '[' => {
                    let after_name =
                        prev.is_some_and(|p| p.is_alphanumeric() || matches!(p, '_' | '.' | '\\'));
                    if depth == 0 && !after_name && external_index(&formula[i + 1..]) {
                        external = true;
                    }
                    depth += 1;
                }
                ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = Some(c);
    }
    external.then_some(WORKBOOK_LINKS)
}

/// `rest` starts with `n]`, n a number other than 0.
fn external_index(rest: &str) -> bool {
    rest.split_once(']').is_some_and(|(n, _)| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n.bytes().any(|b| b != b'0')
    })
}

fn classify(ns: &ResolveResult<'_>, local: &str) -> Tag {
    let ResolveResult::Bound(ns) = ns else {
        return Tag::Other;
    };
    let ns = ns.into_inner();
    if WORD.contains(&ns) {
        match local {
            "altChunk" => Tag::AltChunk,
            "fldSimple" => Tag::FldSimple { unwrapped: false },
            "fldChar" => Tag::FldChar(FieldChar::Other),
            "fldData" => Tag::FldData,
            "instrText" | "delInstrText" => Tag::InstrText,
            "r" => Tag::Run,
            _ => Tag::Other,
        }
    } else if SHEET.contains(&ns) {
        match local {
            "f" => Tag::CellFormula,
            "definedName" | "calculatedColumnFormula" | "totalsRowFormula" => Tag::NamedFormula,
            "formula" | "formula1" | "formula2" => Tag::FixedFormula,
            "externalReferences" => Tag::ExternalReferences,
            _ => Tag::Other,
        }
    } else if ns == SHEET_EXT && local == "f" {
        Tag::FixedFormula
    } else {
        Tag::Other
    }
}

struct Cleaner<'a> {
    part: &'a str,
    stack: Vec<Open>,
    fields: Vec<Field>,
    cuts: Vec<Range<usize>>,
    removed: Vec<&'static str>,
    /// Shared cell formulas (`si`, element) and the `si` of those whose master went.
    shared: Vec<(String, Range<usize>)>,
    shared_removed: BTreeSet<String>,
    cell_formulas_removed: bool,
}

impl Cleaner<'_> {
    fn note(&mut self, what: &'static str) {
        if !self.removed.contains(&what) {
            self.removed.push(what);
        }
    }

    fn malformed(&self) -> Failure {
        refused(format!("{} is not well-formed XML", self.part))
    }

    /// A start tag (`tag`, at `tag_span`), for an element that may be empty.
    fn open(
        &mut self,
        mut tag: Tag,
        e: &BytesStart<'_>,
        tag_span: Range<usize>,
    ) -> Result<Open, Failure> {
        let mut shared = None;
        match tag {
            Tag::FldSimple { .. } => {
                if let Some(field) = self.fields.last_mut()
                    && field.in_instruction()
                {
                    field.nested = true;
                }
                let attrs = attributes(e)?;
                let instruction = attrs.iter().find(|(k, _)| k == "instr");
                if instruction.is_some_and(|(_, v)| is_dde(v)) {
                    self.note(DDE_FIELDS);
                    self.cuts.push(tag_span.clone());
                    tag = Tag::FldSimple { unwrapped: true };
                }
            }
            Tag::FldChar(_) => {
                let attrs = attributes(e)?;
                let kind = attrs
                    .iter()
                    .find(|(k, _)| k == "fldCharType")
                    .map(|(_, v)| v.as_str());
                tag = Tag::FldChar(match kind {
                    Some("begin") => FieldChar::Begin,
                    Some("separate") => FieldChar::Separate,
                    Some("end") => FieldChar::End,
                    _ => FieldChar::Other,
                });
            }
            Tag::CellFormula => {
                let attrs = attributes(e)?;
                if attrs.iter().any(|(k, v)| k == "t" && v == "shared") {
                    shared = attrs.into_iter().find(|(k, _)| k == "si").map(|(_, v)| v);
                }
            }
            _ => {}
        }
        Ok(Open {
            tag,
            start: tag_span.start,
            text: String::new(),
            shared,
        })
    }

    /// An element ends: `span` is the whole element, `end_tag` its end tag unless it was empty.
    fn close(
        &mut self,
        open: Open,
        span: Range<usize>,
        end_tag: Option<Range<usize>>,
    ) -> Result<(), Failure> {
        if matches!(
            open.tag,
            Tag::Run | Tag::InstrText | Tag::FldChar(_) | Tag::FldSimple { .. }
        ) {
            for field in &mut self.fields {
                if field.in_instruction() && span.start >= field.begin.end {
                    field.instruction_elements.push(span.clone());
                }
            }
        }
        match open.tag {
            Tag::AltChunk => {
                self.note(ALT_CHUNK);
                self.cuts.push(span);
            }
            Tag::FldSimple { unwrapped: true } => {
                if let Some(end_tag) = end_tag {
                    self.cuts.push(end_tag);
                }
            }
            // Field data belongs to its field; a flattened simple field leaves none behind.
            Tag::FldData
                if self
                    .stack
                    .last()
                    .is_some_and(|p| p.tag == (Tag::FldSimple { unwrapped: true })) =>
            {
                self.cuts.push(span);
            }
            Tag::FldChar(FieldChar::Begin) => {
                if let Some(outer) = self.fields.last_mut()
                    && outer.in_instruction()
                {
                    outer.nested = true;
                }
                if self.fields.len() >= MAX_FIELD_DEPTH {
                    return Err(refused(format!(
                        "{} has Word fields nested too deeply",
                        self.part
                    )));
                }
                self.fields.push(Field {
                    begin: span,
                    separate: None,
                    instruction: String::new(),
                    nested: false,
                    instruction_elements: Vec::new(),
                });
            }
            Tag::FldChar(FieldChar::Separate) => {
                if let Some(field) = self.fields.last_mut()
                    && field.in_instruction()
                {
                    field.separate = Some(span);
                }
            }
            Tag::FldChar(FieldChar::End) => {
                if let Some(field) = self.fields.pop() {
                    self.finish_field(field, span);
                }
            }
            Tag::CellFormula => {
                if let Some(what) = formula_link(&open.text) {
                    self.note(what);
                    self.cell_formulas_removed = true;
                    self.cuts.push(span.clone());
                    if let Some(si) = &open.shared {
                        self.shared_removed.insert(si.clone());
                    }
                }
                if let Some(si) = open.shared {
                    self.shared.push((si, span));
                }
            }
            Tag::NamedFormula => {
                if let Some(what) = formula_link(&open.text) {
                    self.note(what);
                    self.cuts.push(span);
                }
            }
            Tag::FixedFormula if formula_link(&open.text).is_some() => {
                return Err(refused(format!(
                    "{} has a conditional format or validation formula that links outside the workbook",
                    self.part
                )));
            }
            Tag::ExternalReferences => self.cuts.push(span),
            _ => {}
        }
        Ok(())
    }

    fn finish_field(&mut self, field: Field, end: Range<usize>) {
        let dde = is_dde(&field.instruction);
        if !dde && !field.nested {
            return;
        }
        self.note(if dde { DDE_FIELDS } else { BUILT_FIELDS });
        self.cuts.push(field.begin);
        self.cuts.extend(field.separate);
        self.cuts.push(end);
        self.cuts.extend(field.instruction_elements);
    }

    fn text(&mut self, s: &str) {
        match self.stack.last_mut() {
            Some(open) if open.tag == Tag::InstrText => {
                if let Some(field) = self.fields.last_mut()
                    && field.in_instruction()
                {
                    field.instruction.push_str(s);
                }
            }
            Some(open)
                if matches!(
                    open.tag,
                    Tag::CellFormula | Tag::NamedFormula | Tag::FixedFormula
                ) =>
            {
                open.text.push_str(s);
            }
            _ => {}
        }
    }
}

/// Cleans one XML part. `part` names it in a refusal.
pub(super) fn clean(data: &[u8], part: &str, budget: &dyn Budget) -> Result<Cleaned, Failure> {
    let (bom, body) = match data.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (&data[..3], rest),
        None => (&data[..0], data),
    };
    let text = std::str::from_utf8(body).map_err(|_| refused(format!("{part} is not UTF-8")))?;
    let mut c = Cleaner {
        part,
        stack: Vec::new(),
        fields: Vec::new(),
        cuts: Vec::new(),
        removed: Vec::new(),
        shared: Vec::new(),
        shared_removed: BTreeSet::new(),
        cell_formulas_removed: false,
    };
    let mut reader = NsReader::from_str(text);
    for n in 0u64.. {
        if n % 4096 == 4095 && budget.exhausted() {
            return Err(Failure::OutOfTime);
        }
        let at = reader.buffer_position() as usize;
        let (ns, event) = reader.read_resolved_event().map_err(|_| c.malformed())?;
        let tag = match &event {
            Event::Start(e) | Event::Empty(e) => classify(&ns, e.local_name().into_inner()),
            _ => Tag::Other,
        };
        let end = reader.buffer_position() as usize;
        match event {
            Event::Start(e) => {
                let open = c.open(tag, &e, at..end)?;
                c.stack.push(open);
            }
            Event::Empty(e) => {
                let open = c.open(tag, &e, at..end)?;
                c.close(open, at..end, None)?;
            }
            Event::End(_) => {
                let open = c.stack.pop().ok_or_else(|| c.malformed())?;
                let span = open.start..end;
                c.close(open, span, Some(at..end))?;
            }
            Event::Text(t) => c.text(&t.xml10_content()),
            Event::CData(t) => c.text(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| c.malformed())?
                        .to_string(),
                    Err(_) => return Err(c.malformed()),
                };
                c.text(&resolved);
            }
            Event::DocType(_) => return Err(refused(format!("{part} has a DTD"))),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !c.stack.is_empty() {
        return Err(c.malformed());
    }
    if c.fields.iter().any(|f| f.nested || is_dde(&f.instruction)) {
        return Err(refused(format!(
            "{part} has a DDE field that is not closed"
        )));
    }
    let shared_removed = std::mem::take(&mut c.shared_removed);
    for (si, span) in std::mem::take(&mut c.shared) {
        if shared_removed.contains(&si) {
            c.cuts.push(span);
        }
    }
    let data = (!c.cuts.is_empty()).then(|| {
        let mut cuts = std::mem::take(&mut c.cuts);
        cuts.sort_by_key(|r| r.start);
        let mut out = Vec::with_capacity(data.len());
        out.extend_from_slice(bom);
        let mut at = 0;
        for r in cuts {
            if r.start > at {
                out.extend_from_slice(&text.as_bytes()[at..r.start]);
            }
            at = at.max(r.end);
        }
        out.extend_from_slice(&text.as_bytes()[at..]);
        out
    });
    Ok(Cleaned {
        data,
        removed: c.removed,
        cell_formulas_removed: c.cell_formulas_removed,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    fn word(body: &str) -> String {
        format!(r#"<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>"#)
    }

    fn cleaned(xml: &str) -> Result<(String, Vec<&'static str>), Failure> {
        let c = clean(xml.as_bytes(), "part.xml", &|| false)?;
        let text =
            String::from_utf8(c.data.unwrap_or_else(|| xml.as_bytes().to_vec())).expect("utf-8");
        Ok((text, c.removed))
    }

    fn run(s: &str) -> String {
        format!("<w:r><w:t>{s}</w:t></w:r>")
    }
    fn instr(s: &str) -> String {
        format!(r#"<w:r><w:instrText xml:space="preserve">{s}</w:instrText></w:r>"#)
    }
    fn fld(kind: &str) -> String {
        format!(r#"<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>"#)
    }

    #[test]
    fn dde_instructions_are_recognised_however_written() {
        for i in [
            " DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc\" ",
            "dde \"excel\" \"x\"",
            "SET x \"DDEAUTO\"",
            "\tDdeAuto\u{a0}x",
        ] {
            assert!(is_dde(i), "{i}");
        }
        for i in [
            " PAGE ",
            "MERGEFIELD DDEName",
            "HYPERLINK \"x\"",
            "ADDRESSBLOCK",
        ] {
            assert!(!is_dde(i), "{i}");
        }
    }

    #[test]
    fn formulas_that_reach_outside_the_workbook() {
        for (f, want) in [
            ("cmd|' /c calc'!A0", Some(DDE_LINKS)),
            ("SUM(1,2)+cmd|'/c calc'!'A0'", Some(DDE_LINKS)),
            ("[1]Sheet1!A1", Some(WORKBOOK_LINKS)),
            ("SUM('[2]My sheet'!A1:A3)", Some(WORKBOOK_LINKS)),
            ("[0]!Name", None),
            ("\"a|b\"&\"[1]\"", None),
            ("\"say \"\"|\"\"\"", None),
            ("SUM(Sales[2019])", None),
            ("Sales[[#This Row],[2019]]", None),
            ("SUM(A1:A3)", None),
        ] {
            assert_eq!(formula_link(f), want, "{f}");
        }
    }

    #[test]
    fn simple_dde_field_keeps_its_result() {
        let xml = word(&format!(
            r#"<w:p><w:fldSimple w:instr=" &#68;DEAUTO c:\\x.exe "><w:fldData>AAAA</w:fldData>{}</w:fldSimple><w:fldSimple w:instr=" PAGE ">{}</w:fldSimple></w:p>"#,
            run("結果"),
            run("1")
        ));
        let (out, removed) = cleaned(&xml).expect("clean");
        assert_eq!(
            out,
            word(&format!(
                r#"<w:p>{}<w:fldSimple w:instr=" PAGE ">{}</w:fldSimple></w:p>"#,
                run("結果"),
                run("1")
            ))
        );
        assert_eq!(removed, [DDE_FIELDS]);
    }

    #[test]
    fn complex_dde_field_split_over_runs_and_paragraphs_keeps_its_result() {
        let xml = word(&format!(
            "<w:p>{}{}{}</w:p><w:p>{}{}{}{}</w:p>",
            fld("begin"),
            instr(" DD"),
            instr("EAUTO c:\\\\x.exe "),
            fld("separate"),
            run("結果"),
            fld("end"),
            run("後")
        ));
        let (out, removed) = cleaned(&xml).expect("clean");
        assert_eq!(
            out,
            word(&format!(
                "<w:p><w:r></w:r></w:p><w:p><w:r></w:r>{}<w:r></w:r>{}</w:p>",
                run("結果"),
                run("後")
            ))
        );
        assert_eq!(removed, [DDE_FIELDS]);
    }

    #[test]
    fn field_built_from_a_quote_field_is_flattened_with_the_inner_field() {
        // { {QUOTE 68 68 69 65 85 84 79} "c:\\x.exe" } shows 結果.
        let xml = word(&format!(
            "<w:p>{}{}{}{}{}{}{}{}{}{}</w:p>",
            fld("begin"),
            fld("begin"),
            instr("QUOTE 68 68 69 65 85 84 79"),
            fld("separate"),
            run("DDEAUTO"),
            fld("end"),
            instr(" \"c:\\\\x.exe\" "),
            fld("separate"),
            run("結果"),
            fld("end"),
        ));
        let (out, removed) = cleaned(&xml).expect("clean");
        assert_eq!(
            out,
            word(&format!(
                "<w:p><w:r></w:r><w:r></w:r>{}<w:r></w:r></w:p>",
                run("結果")
            ))
        );
        assert_eq!(removed, [BUILT_FIELDS]);
    }

    #[test]
    fn ordinary_fields_and_text_are_left_byte_for_byte() {
        let xml = word(&format!(
            "<w:p>{}{}{}{}{}</w:p><!-- c --><w:p>{}</w:p>",
            fld("begin"),
            instr(" PAGE "),
            fld("separate"),
            run("1"),
            fld("end"),
            run("a &amp; b")
        ));
        let c = clean(xml.as_bytes(), "part.xml", &|| false).expect("clean");
        assert!(c.data.is_none() && c.removed.is_empty());
    }

    #[test]
    fn alt_chunk_elements_go() {
        let xml = word(&format!(
            r#"{}<w:altChunk r:id="rId9" xmlns:r="r"><w:altChunkPr><w:matchSrc/></w:altChunkPr></w:altChunk><w:tbl><w:tr><w:tc><w:altChunk r:id="rId8" xmlns:r="r"/></w:tc></w:tr></w:tbl>"#,
            run("a")
        ));
        let (out, removed) = cleaned(&xml).expect("clean");
        assert_eq!(
            out,
            word(&format!(
                "{}<w:tbl><w:tr><w:tc></w:tc></w:tr></w:tbl>",
                run("a")
            ))
        );
        assert_eq!(removed, [ALT_CHUNK]);
    }

    #[test]
    fn an_unclosed_dde_field_refuses_the_part() {
        let xml = word(&format!(
            "<w:p>{}{}{}</w:p>",
            fld("begin"),
            instr("DDE x"),
            run("a")
        ));
        assert!(matches!(cleaned(&xml), Err(Failure::Refused(m)) if m.contains("not closed")));
    }

    #[test]
    fn parts_that_cannot_be_read_exactly_are_refused() {
        for (xml, why) in [
            (&b"<a><b></a>"[..], "well-formed"),
            (b"<a>&unknown;</a>", "well-formed"),
            (b"<a>", "well-formed"),
            (b"\xff\xfe<\x00a\x00/\x00>\x00", "UTF-8"),
            (b"<!DOCTYPE a [<!ENTITY x \"DDEAUTO\">]><a/>", "DTD"),
        ] {
            let got = clean(xml, "part.xml", &|| false);
            assert!(
                matches!(&got, Err(Failure::Refused(m)) if m.contains(why)),
                "{why}"
            );
        }
    }

    #[test]
    fn sheet_formulas_that_link_out_go_and_their_values_stay() {
        let ns = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;
        let xml = format!(
            r#"<worksheet {ns}><sheetData><row r="1"><c r="A1"><f>cmd|' /c calc'!A0</f><v>0</v></c><c r="B1"><f t="shared" ref="B1:B2" si="0">[1]Sheet1!A1</f><v>5</v></c><c r="C1"><f t="shared" ref="C1:C2" si="1">A1+1</f><v>1</v></c></row><row r="2"><c r="B2"><f t="shared" si="0"/><v>5</v></c><c r="C2"><f t="shared" si="1"/><v>1</v></c></row></sheetData></worksheet>"#
        );
        let c = clean(xml.as_bytes(), "sheet1.xml", &|| false).expect("clean");
        assert_eq!(
            String::from_utf8(c.data.expect("cut")).expect("utf-8"),
            format!(
                r#"<worksheet {ns}><sheetData><row r="1"><c r="A1"><v>0</v></c><c r="B1"><v>5</v></c><c r="C1"><f t="shared" ref="C1:C2" si="1">A1+1</f><v>1</v></c></row><row r="2"><c r="B2"><v>5</v></c><c r="C2"><f t="shared" si="1"/><v>1</v></c></row></sheetData></worksheet>"#
            )
        );
        assert_eq!(c.removed, [DDE_LINKS, WORKBOOK_LINKS]);
        assert!(c.cell_formulas_removed);
    }

    fn atom() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z結 ]{0,4}".prop_map(|t| run(&t)),
            prop_oneof![
                Just(" DDE"),
                Just("AUTO x "),
                Just(" PAGE "),
                Just("QUOTE 68"),
                Just("DD"),
                Just("EAUTO"),
            ]
            .prop_map(instr),
            prop_oneof![Just("begin"), Just("separate"), Just("end")].prop_map(fld),
            Just(r#"<w:fldSimple w:instr="DDEAUTO x"><w:fldData>AA</w:fldData><w:r><w:t>r</w:t></w:r></w:fldSimple>"#.to_string()),
            Just(r#"<w:fldSimple w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>"#.to_string()),
            Just(r#"<w:altChunk r:id="x" xmlns:r="r"/>"#.to_string()),
            Just("</w:p><w:p>".to_string()),
        ]
    }

    proptest! {
        /// However fields are put together, balanced or not, a cleaned part reads again and has
        /// nothing more to take out.
        #[test]
        fn cleaning_word_fields_is_a_fixed_point(atoms in proptest::collection::vec(atom(), 0..24)) {
            let xml = word(&format!("<w:p>{}</w:p>", atoms.concat()));
            match clean(xml.as_bytes(), "part.xml", &|| false) {
                Err(Failure::Refused(m)) => prop_assert!(m.contains("not closed"), "{m}"),
                Err(Failure::OutOfTime) => prop_assert!(false, "no budget was spent"),
                Ok(c) => {
                    let once = c.data.unwrap_or_else(|| xml.clone().into_bytes());
                    let again = clean(&once, "part.xml", &|| false);
                    prop_assert!(
                        matches!(&again, Ok(a) if a.data.is_none() && a.removed.is_empty()),
                        "{xml}\n{}", String::from_utf8_lossy(&once)
                    );
                }
            }
        }
    }

    #[test]
    fn a_long_part_asks_the_budget() {
        let xml = word(&run("a").repeat(5_000));
        assert!(clean(xml.as_bytes(), "part.xml", &|| false).is_ok());
        assert!(matches!(
            clean(xml.as_bytes(), "part.xml", &|| true),
            Err(Failure::OutOfTime)
        ));
    }

    #[test]
    fn a_validation_formula_that_links_out_refuses_the_part() {
        let xml = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dataValidations><dataValidation sqref="A1"><formula1>cmd|'/c calc'!A0</formula1></dataValidation></dataValidations></worksheet>"#;
        assert!(matches!(
            clean(xml.as_bytes(), "sheet1.xml", &|| false),
            Err(Failure::Refused(m)) if m.contains("validation")
        ));
    }
}
