//! Import and export of the asset register through files, including malformed and hostile ones.
//! Fixtures are built here (XLSX with rust_xlsxwriter or by hand with zip) rather than committed.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use mamori_core::asset::{AssetKind, Lifecycle};
use mamori_core::classification::{Classification, Scales};
use mamori_core::text::Name;
use mamori_sheet::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Fixtures

struct Register {
    units: HashMap<&'static str, i64>,
    people: HashMap<&'static str, i64>,
    segments: Vec<(&'static str, &'static str, i64)>,
    assets: Vec<&'static str>,
}

impl Register {
    fn demo() -> Self {
        Self {
            units: HashMap::from([("総務課", 1), ("情報政策課", 2)]),
            people: HashMap::from([("山田 太郎", 10), ("佐藤花子", 11)]),
            segments: vec![
                ("LGWAN", "LGWAN接続系", 100),
                ("INTERNET", "インターネット接続系", 101),
                ("MYNUMBER", "マイナンバー利用事務系", 102),
            ],
            assets: vec!["0001"],
        }
    }
}

impl Lookup for Register {
    fn unit(&self, name: &str) -> Option<i64> {
        self.units.get(name).copied()
    }
    fn person(&self, name: &str) -> Option<i64> {
        self.people.get(name).copied()
    }
    fn segment(&self, code_or_name: &str) -> Option<SegmentRef> {
        self.segments
            .iter()
            .find(|(code, name, _)| *code == code_or_name || *name == code_or_name)
            .map(|(code, _, id)| SegmentRef {
                id: *id,
                code: (*code).to_owned(),
            })
    }
    fn asset_exists(&self, id: &str) -> bool {
        self.assets.contains(&id)
    }
}

/// Answers yes to every name, so random rows only meet the validation of the values.
struct Anything;

impl Lookup for Anything {
    fn unit(&self, _: &str) -> Option<i64> {
        Some(1)
    }
    fn person(&self, _: &str) -> Option<i64> {
        Some(2)
    }
    fn segment(&self, code: &str) -> Option<SegmentRef> {
        Some(SegmentRef {
            id: 3,
            code: code.to_owned(),
        })
    }
    fn asset_exists(&self, _: &str) -> bool {
        false
    }
}

const HEADER: &str = "管理番号,名称,種別,所有課室,管理者,設置場所,セグメント,ホスト名,IPアドレス,機密性,完全性,可用性,状態,廃棄方法,廃棄者,廃棄日,備考";

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push_str("\r\n");
        text.push_str(row);
    }
    text.push_str("\r\n");
    text.into_bytes()
}

const GOOD: &str = "0012,住民記録システム,情報システム,情報政策課,山田 太郎,本庁舎3階サーバ室,LGWAN接続系,jk01,\"10.1.0.5, 10.1.0.6\",機密性３,2,2,運用中,,,,\"保守: A社\n年次点検あり\"";

fn import(bytes: &[u8]) -> Result<Vec<ImportedAsset>, ImportError> {
    import_assets(
        bytes,
        &Limits::default(),
        &Scales::mic_default(false),
        ExistingIds::Reject,
        &Register::demo(),
    )
}

fn row_errors(bytes: &[u8]) -> Vec<RowError> {
    match import(bytes) {
        Err(ImportError::Rows(errors)) => errors,
        other => panic!("expected row errors, got {other:?}"),
    }
}

fn file_error(bytes: &[u8]) -> SheetError {
    match import(bytes) {
        Err(ImportError::File(e)) => e,
        other => panic!("expected a file error, got {other:?}"),
    }
}

/// A minimal workbook written by hand, for content that no well-behaved writer produces.
fn hand_made_xlsx(sheet_xml: &str) -> Vec<u8> {
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ];
    zip_of(&parts.map(|(name, text)| (name, text.as_bytes().to_vec())))
}

fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        writer.start_file(*name, options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn sheet_xml(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

fn inline_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn sample_asset() -> AssetRow {
    AssetRow {
        id: Some("0012".into()),
        name: Name::parse("name", "住民記録システム").unwrap(),
        kind: AssetKind::System,
        owner_unit: Name::parse("unit", "情報政策課").unwrap(),
        administrator: Some(Name::parse("person", "山田 太郎").unwrap()),
        location: Some(Name::parse("location", "本庁舎3階サーバ室").unwrap()),
        segment: Some("LGWAN".into()),
        hosts: vec!["jk01".into()],
        addresses: vec!["10.1.0.5".parse().unwrap(), "10.1.0.6".parse().unwrap()],
        classification: Classification {
            confidentiality: "3".into(),
            integrity: "2".into(),
            availability: "2".into(),
        },
        lifecycle: Lifecycle::InUse,
        disposal_method: None,
        disposed_by: None,
        disposed_on: None,
        notes: "保守: A社\n年次点検あり".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Valid files

#[test]
fn a_valid_csv_becomes_typed_rows() {
    let assets = import(&csv(&[GOOD])).unwrap();
    assert_eq!(assets.len(), 1);
    let imported = &assets[0];
    assert_eq!(imported.row, 2);
    assert_eq!(imported.asset, sample_asset());
    assert_eq!(imported.owner_unit_id, 2);
    assert_eq!(imported.administrator_id, Some(10));
    assert_eq!(imported.segment_id, Some(100));
    assert!(!imported.updates_existing);
}

#[test]
fn english_headers_and_aliases_are_accepted() {
    let header = "No.,Name,Kind,所管課,担当者,場所,Segment,Host,IP,ＣＯＮＦＩＤＥＮＴＩＡＬＩＴＹ,integrity,可用性,ステータス,廃棄方法,廃棄者,廃棄年月日,メモ";
    let text =
        format!("{header}\n,ファイルサーバ,equipment,総務課,,,INTERNET,,,1,1,1,Planned,,,,\n");
    let assets = import(text.as_bytes()).unwrap();
    assert_eq!(assets[0].asset.kind, AssetKind::Equipment);
    assert_eq!(assets[0].asset.lifecycle, Lifecycle::Planned);
    assert_eq!(assets[0].segment_id, Some(101));
}

#[test]
fn columns_may_come_in_any_order_and_optional_ones_may_be_missing() {
    let text = "機密性,完全性,可用性,所有課室,種別,名称\n2,1,1,総務課,文書,ネットワーク構成図\n";
    let assets = import(text.as_bytes()).unwrap();
    assert_eq!(assets[0].asset.kind, AssetKind::Document);
    assert_eq!(assets[0].asset.id, None);
    assert_eq!(assets[0].asset.lifecycle, Lifecycle::InUse);
}

#[test]
fn crlf_lf_and_cr_line_endings_read_the_same() {
    let crlf = csv(&[GOOD]);
    let lf = String::from_utf8(crlf.clone())
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(import(&crlf).unwrap(), import(lf.as_bytes()).unwrap());
    let cr = lf.replace('\n', "\r");
    let from_cr = import(cr.as_bytes()).unwrap();
    assert_eq!(from_cr[0].asset.name, sample_asset().name);
}

#[test]
fn shift_jis_as_excel_saves_it_is_read() {
    let text = String::from_utf8(csv(&[GOOD])).unwrap();
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    assert_eq!(
        read(&bytes, &Limits::default()).unwrap().format,
        Format::CsvShiftJis
    );
    assert_eq!(import(&bytes).unwrap()[0].asset, sample_asset());
}

#[test]
fn excel_unicode_text_is_read() {
    let text = String::from_utf8(csv(&[GOOD])).unwrap();
    // Excel's 「Unicode テキスト」: tab-separated UTF-16LE with a BOM.
    let mut tsv = String::new();
    let table = read(text.as_bytes(), &Limits::default()).unwrap();
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains(['\n', '"', '\t']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        tsv.push_str(&cells.join("\t"));
        tsv.push_str("\r\n");
    }
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(
        read(&bytes, &Limits::default()).unwrap().format,
        Format::TextUtf16
    );
    assert_eq!(import(&bytes).unwrap()[0].asset, sample_asset());
}

#[test]
fn utf8_with_bom_is_read() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv(&[GOOD]));
    assert_eq!(import(&bytes).unwrap()[0].asset, sample_asset());
}

#[test]
fn a_disposed_asset_needs_its_disposal_record() {
    let ok = "A-9,旧端末,機器,総務課,,,,,,1,1,1,廃棄済,物理破壊,佐藤花子,令和8年3月31日,";
    let asset = &import(&csv(&[ok])).unwrap()[0].asset;
    assert_eq!(asset.disposed_on, CivilDate::new(2026, 3, 31));
    assert_eq!(asset.disposal_method.as_deref(), Some("物理破壊"));

    let errors = row_errors(&csv(&["A-9,旧端末,機器,総務課,,,,,,1,1,1,廃棄済,,,,"]));
    let headers: Vec<_> = errors.iter().filter_map(|e| e.header.as_deref()).collect();
    assert_eq!(headers, ["廃棄方法", "廃棄者", "廃棄日"]);
    assert!(errors.iter().all(|e| e.row == 2));
}

#[test]
fn xlsx_written_by_excel_like_tools_is_read_with_dates_and_numbers() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header: Vec<&str> = HEADER.split(',').collect();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    // Cells typed as Excel users type them: numbers for levels and the id, a real date cell.
    sheet.write_number(1, 0, 12.0).unwrap();
    sheet.write_string(1, 1, "旧ファイルサーバ").unwrap();
    sheet.write_string(1, 2, "機器").unwrap();
    sheet.write_string(1, 3, "総務課").unwrap();
    sheet.write_number(1, 9, 2.0).unwrap();
    sheet.write_number(1, 10, 1.0).unwrap();
    sheet.write_number(1, 11, 1.0).unwrap();
    sheet.write_string(1, 12, "廃棄済").unwrap();
    sheet.write_string(1, 13, "データ消去").unwrap();
    sheet.write_string(1, 14, "佐藤花子").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy/mm/dd");
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 25).unwrap();
    sheet
        .write_datetime_with_format(1, 15, &date, &date_format)
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let asset = &import(&bytes).unwrap()[0].asset;
    assert_eq!(asset.id.as_deref(), Some("12"));
    assert_eq!(asset.classification.confidentiality, "2");
    assert_eq!(asset.disposed_on, CivilDate::new(2026, 11, 25));
}

#[test]
fn header_below_blank_rows_keeps_sheet_row_numbers() {
    let xml = sheet_xml(&format!(
        r#"<row r="3">{}{}</row><row r="4">{}{}</row>"#,
        inline_cell("A3", "名称"),
        inline_cell("B3", "種別"),
        inline_cell("A4", "x"),
        inline_cell("B4", "x")
    ));
    let errors = row_errors(&hand_made_xlsx(&xml));
    // Missing required columns are reported on the header's row.
    assert!(errors.iter().all(|e| e.row == 3), "{errors:?}");
}

#[test]
fn a_title_above_the_header_is_passed_over() {
    let mut text = String::from("情報資産台帳（令和8年度）,,\r\n作成: 情報政策課\r\n\r\n");
    text.push_str(&String::from_utf8(csv(&[GOOD, "x"])).unwrap());
    let errors = row_errors(text.as_bytes());
    // The header is row 4, GOOD is row 5, the bad row is row 6.
    assert!(errors.iter().all(|e| e.row == 6), "{errors:?}");
    assert!(!errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Wrong content

#[test]
fn wrong_headers_are_listed_by_column() {
    let text = "名称,種別,色,所有課室,名称,機密性,完全性\nx,機器,赤,総務課,y,1,1\n";
    let errors = row_errors(text.as_bytes());
    let summary: Vec<_> = errors
        .iter()
        .map(|e| (e.row, e.column_letter(), e.header.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Some("C".into()), Some("色".into())),
            (1, Some("E".into()), Some("名称".into())),
            (1, None, Some("可用性".into())),
        ]
    );
    assert!(errors[0].message_ja.contains("不明な列"));
    assert!(errors[1].message_en.contains("more than once"));
    assert!(errors[2].message_ja.contains("必須"));
}

#[test]
fn unknown_class_labels_name_row_and_column() {
    let errors = row_errors(&csv(&[
        GOOD,
        "0013,庁内LAN,ネットワーク,総務課,,,,,,機密性4,完全性2,極秘,運用中,,,,",
    ]));
    let summary: Vec<_> = errors
        .iter()
        .map(|e| (e.row, e.column_letter().unwrap(), e.header.clone().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            (3, "J".into(), "機密性".into()),
            (3, "L".into(), "可用性".into())
        ]
    );
    assert!(
        errors[0].message_ja.contains("機密性4"),
        "{}",
        errors[0].message_ja
    );
    let json = serde_json::to_value(&errors[0]).unwrap();
    assert_eq!(json["row"], 3);
    assert_eq!(json["column"], 10);
    assert_eq!(json["header"], "機密性");
    assert!(
        json["message_en"]
            .as_str()
            .unwrap()
            .contains("Confidentiality")
    );
}

#[test]
fn row_numbers_count_lines_inside_quoted_cells_as_one_row() {
    let bad = "0013,x,機器,総務課,,,,,,1,1,1,行方不明,,,,";
    let errors = row_errors(&csv(&[
        GOOD,
        GOOD.replacen("0012", "0014", 1).as_str(),
        bad,
    ]));
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].column), (4, Some(13)));
}

#[test]
fn duplicate_ids_within_the_file_and_against_the_register() {
    let again = GOOD.replacen("住民記録システム", "別名", 1);
    let registered = GOOD.replacen("0012", "0001", 1);
    let errors = row_errors(&csv(&[GOOD, &again, &registered]));
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].row, 3);
    assert!(errors[0].message_ja.contains("2 行目と重複"));
    assert_eq!(errors[1].row, 4);
    assert!(errors[1].message_en.contains("already registered"));

    // A full-width 管理番号 is the same number.
    let full_width = GOOD.replacen("0012", "００１２", 1);
    let errors = row_errors(&csv(&[GOOD, &full_width]));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message_ja.contains("0012"));

    // When the import is allowed to update, the registered id is an update, the duplicate stays wrong.
    let update = import_assets(
        &csv(&[&registered]),
        &Limits::default(),
        &Scales::mic_default(false),
        ExistingIds::Update,
        &Register::demo(),
    )
    .unwrap();
    assert!(update[0].updates_existing);
}

#[test]
fn names_the_register_does_not_know_are_errors() {
    let row = "0020,x,機器,人事課,鈴木一郎,,DMZ,,,1,1,1,,,,,";
    let errors = row_errors(&csv(&[row]));
    let headers: Vec<_> = errors.iter().filter_map(|e| e.header.as_deref()).collect();
    assert_eq!(headers, ["所有課室", "管理者", "セグメント"]);
    assert!(errors[0].message_ja.contains("人事課"));
}

#[test]
fn invalid_values_are_all_reported_and_no_row_is_returned() {
    let row = "0 1,\u{202E}gpj.exe,机,総務課,,,,bad host!,10.0.0.300,1,1,1,,,,2026-02-30,";
    let errors = row_errors(&csv(&[GOOD, row]));
    let headers: Vec<_> = errors.iter().filter_map(|e| e.header.as_deref()).collect();
    assert_eq!(
        headers,
        [
            "管理番号",
            "名称",
            "種別",
            "ホスト名",
            "IPアドレス",
            "廃棄日"
        ]
    );
    assert!(errors.iter().all(|e| e.row == 3));
}

#[test]
fn a_file_wrong_in_every_row_reports_a_bounded_list() {
    let bad = "x,y,z,,,,,,,9,9,9,,,,,";
    let rows = vec![bad; 600];
    let errors = row_errors(&csv(&rows));
    // Each row has at least six problems; the list stops at the limit and counts the rest.
    assert_eq!(errors.len(), MAX_REPORTED_ERRORS + 1);
    let last = errors.last().unwrap();
    assert_eq!(last.column, None);
    assert!(last.message_ja.contains("ほかに"), "{}", last.message_ja);
    assert!(
        errors[..MAX_REPORTED_ERRORS]
            .iter()
            .all(|e| e.header.is_some())
    );
}

#[test]
fn data_under_a_blank_header_is_not_dropped() {
    let text = format!("{HEADER},\n{GOOD},秘密のメモ\n");
    let errors = row_errors(text.as_bytes());
    assert_eq!((errors[0].row, errors[0].column), (2, Some(18)));
}

#[test]
fn a_header_without_rows_is_an_error() {
    let errors = row_errors(&csv(&[]));
    assert_eq!(errors[0].row, 2);
    assert!(errors[0].message_ja.contains("データの行がありません"));
}

// ---------------------------------------------------------------------------------------------
// Hostile files

#[test]
fn a_png_renamed_xlsx_is_not_a_spreadsheet() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    assert!(matches!(file_error(png), SheetError::NotSpreadsheet { .. }));
}

#[test]
fn a_pdf_renamed_xlsx_is_not_a_spreadsheet() {
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
    let e = file_error(pdf);
    assert!(matches!(e, SheetError::NotSpreadsheet { .. }));
    assert!(!e.message_ja().is_empty() && e.to_string().contains("PDF"));
}

#[test]
fn random_bytes_are_refused() {
    let mut state: u32 = 0x1234_5678;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect();
    assert!(matches!(
        file_error(&bytes),
        SheetError::NotSpreadsheet { .. } | SheetError::Encoding { .. }
    ));
}

#[test]
fn a_legacy_xls_is_refused_with_advice() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(1024, 0);
    let e = file_error(&ole);
    assert_eq!(e, SheetError::LegacyExcel);
    assert!(e.message_ja().contains(".xlsx"));
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    let bytes = zip_of(&[("readme.txt", b"hello".to_vec())]);
    assert!(matches!(
        file_error(&bytes),
        SheetError::NotSpreadsheet { .. }
    ));
    let docx = zip_of(&[
        ("[Content_Types].xml", b"<Types/>".to_vec()),
        ("word/document.xml", b"<w:document/>".to_vec()),
    ]);
    assert!(matches!(
        file_error(&docx),
        SheetError::NotSpreadsheet { .. }
    ));
}

#[test]
fn a_truncated_xlsx_is_refused() {
    let bytes = write_xlsx(&[vec!["名称".into()]], "x").unwrap();
    let e = file_error(&bytes[..bytes.len() / 2]);
    assert!(
        matches!(
            e,
            SheetError::NotSpreadsheet { .. } | SheetError::Malformed { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(file_error(b""), SheetError::Empty);
}

#[test]
fn invalid_utf8_that_is_also_invalid_shift_jis_is_refused() {
    let mut bytes = csv(&[GOOD]);
    bytes.extend_from_slice(b"\x81\x20\xFF,\xA0\r\n");
    assert!(matches!(file_error(&bytes), SheetError::Encoding { .. }));
}

#[test]
fn a_bom_followed_by_shift_jis_is_refused() {
    let text = String::from_utf8(csv(&[GOOD])).unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(&encoding_rs::SHIFT_JIS.encode(&text).0);
    let e = file_error(&bytes);
    assert!(matches!(e, SheetError::Encoding { .. }));
    assert!(e.message_ja().contains("文字コード"));
}

#[test]
fn a_csv_with_ten_megabytes_in_one_cell_is_refused() {
    let huge = "あ".repeat(10 * 1024 * 1024 / 3);
    let row = format!("{},{huge}", GOOD.rsplit_once(",\"保守").unwrap().0);
    let e = file_error(&csv(&[&row]));
    assert_eq!(
        e,
        SheetError::CellTooLarge {
            row: 2,
            column: 17,
            max: 32_767
        }
    );
    assert!(e.message_ja().contains("2 行目 Q 列"));
}

#[test]
fn an_xlsx_with_an_enormous_cell_is_refused() {
    let huge = "x".repeat(100_000);
    let xml = sheet_xml(&format!(
        r#"<row r="1">{}</row><row r="2">{}</row>"#,
        inline_cell("A1", "名称"),
        inline_cell("A2", &huge)
    ));
    assert_eq!(
        file_error(&hand_made_xlsx(&xml)),
        SheetError::CellTooLarge {
            row: 2,
            column: 1,
            max: 32_767
        }
    );
}

#[test]
fn an_xlsx_with_a_far_away_cell_is_refused_without_laying_out_the_sheet() {
    let xml = sheet_xml(&format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        inline_cell("A1", "名称"),
        inline_cell("XFD1048576", "x")
    ));
    assert_eq!(
        file_error(&hand_made_xlsx(&xml)),
        SheetError::TooManyRows { max: 200_000 }
    );
    let wide = sheet_xml(&format!(r#"<row r="1">{}</row>"#, inline_cell("XFD1", "x")));
    assert_eq!(
        file_error(&hand_made_xlsx(&wide)),
        SheetError::TooManyColumns { max: 256 }
    );
}

#[test]
fn xml_entities_in_a_sheet_are_not_expanded() {
    let mut doctype = String::from(r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">"#);
    for i in 1..10 {
        let previous = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        doctype.push_str(&format!(
            r#"<!ENTITY lol{i} "{}">"#,
            format!("&{previous};").repeat(10)
        ));
    }
    doctype.push_str("]>");
    let xml = format!(
        r#"{doctype}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{}</row></sheetData></worksheet>"#,
        inline_cell("A1", "&lol9;")
    );
    // The reader knows only XML's own entities, so the declaration is inert and the reference
    // is an error rather than a billion "lol"s.
    assert!(matches!(
        read(&hand_made_xlsx(&xml), &Limits::default()),
        Err(SheetError::Malformed { .. })
    ));
}

#[test]
fn a_zip_bomb_is_refused_by_its_decompressed_size() {
    let limits = Limits {
        max_decoded_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let padding = vec![b' '; 4 * 1024 * 1024];
    let xml = sheet_xml(&format!(
        r#"<row r="1">{}</row>"#,
        inline_cell("A1", "名称")
    ));
    let mut bomb = hand_made_xlsx(&xml);
    assert!(read(&bomb, &limits).is_ok());
    bomb = {
        let mut archive = zip::ZipArchive::new(Cursor::new(bomb)).unwrap();
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            parts.push((entry.name().unwrap().into_owned(), bytes));
        }
        parts.push(("xl/media/padding.xml".to_owned(), padding));
        let parts: Vec<(&str, Vec<u8>)> =
            parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        zip_of(&parts)
    };
    assert!(bomb.len() < 64 * 1024, "the fixture compresses well");
    assert_eq!(
        read(&bomb, &limits),
        Err(SheetError::TooLarge {
            max_bytes: 1024 * 1024
        })
    );
}

#[test]
fn a_zip_bomb_that_lies_about_its_size_is_refused() {
    let limits = Limits {
        max_decoded_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let xml = sheet_xml(&format!(
        r#"<row r="1">{}</row>{}"#,
        inline_cell("A1", "名称"),
        " ".repeat(4 * 1024 * 1024)
    ));
    let mut bytes = hand_made_xlsx(&xml);
    // Rewrite the sheet's declared uncompressed size (local header and central directory) to 1 KiB.
    let name = b"xl/worksheets/sheet1.xml";
    let mut patched = 0;
    for (signature, size_offset, name_offset) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)]
    {
        let mut i = 0;
        while let Some(pos) = bytes[i..]
            .windows(4)
            .position(|w| w == signature)
            .map(|p| p + i)
        {
            if bytes[pos + name_offset..].starts_with(name) {
                bytes[pos + size_offset..pos + size_offset + 4]
                    .copy_from_slice(&1024u32.to_le_bytes());
                patched += 1;
            }
            i = pos + 4;
        }
    }
    assert_eq!(patched, 2);
    let result = read(&bytes, &limits);
    assert!(
        matches!(
            result,
            Err(SheetError::TooLarge { .. } | SheetError::Malformed { .. })
        ),
        "{result:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Export

#[test]
fn formula_cells_are_guarded_in_csv_and_come_back_unchanged() {
    let mut asset = sample_asset();
    asset.name = Name::parse("name", "=HYPERLINK(\"http://evil.example\",\"詳細\")").unwrap();
    asset.location = Some(Name::parse("location", "+81-3-1234").unwrap());
    asset.administrator = Some(Name::parse("person", "@山田").unwrap());
    asset.notes = "-1+1".into();
    let assets = [asset.clone()];
    for encoding in [CsvEncoding::Utf8Bom, CsvEncoding::ShiftJis] {
        let bytes =
            export_assets(&assets, ExportFormat::Csv(encoding), Language::Japanese).unwrap();
        let table = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(table.cell(1, 1), asset.name.as_str());
        let text = match encoding {
            CsvEncoding::Utf8Bom => String::from_utf8(bytes.clone()).unwrap(),
            CsvEncoding::ShiftJis => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
        };
        assert!(text.contains("\"'=HYPERLINK("), "{text}");
        assert!(text.contains(",'@山田,'+81-3-1234,"), "{text}");
        assert!(text.contains(",'-1+1\r\n"), "{text}");
        let imported = import_assets(
            &bytes,
            &Limits::default(),
            &Scales::mic_default(false),
            ExistingIds::Update,
            &Anything,
        )
        .unwrap();
        assert_eq!(imported[0].asset, asset);
    }
}

#[test]
fn xlsx_export_is_text_with_a_bold_frozen_header_and_no_formulas() {
    let mut asset = sample_asset();
    asset.name = Name::parse("name", "=HYPERLINK(\"http://evil.example\")").unwrap();
    let bytes = export_assets(&[asset.clone()], ExportFormat::Xlsx, Language::Japanese).unwrap();
    let sheet = zip_entry(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "no cell is a formula");
    assert!(sheet.contains("ySplit=\"1\""), "the header row is frozen");
    assert!(sheet.contains("<col "), "columns are sized");
    let styles = zip_entry(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "the header is bold");
    assert!(
        styles.contains("formatCode=\"@\""),
        "cells are formatted as text"
    );
    let imported = import_assets(
        &bytes,
        &Limits::default(),
        &Scales::mic_default(false),
        ExistingIds::Update,
        &Anything,
    )
    .unwrap();
    assert_eq!(imported[0].asset, asset);
    assert_eq!(imported[0].asset.id.as_deref(), Some("0012"));
}

#[test]
fn shift_jis_export_names_the_cell_it_cannot_write() {
    let mut asset = sample_asset();
    asset.notes = "𠮷野さんに確認".into();
    let e = export_assets(
        &[sample_asset(), asset],
        ExportFormat::Csv(CsvEncoding::ShiftJis),
        Language::Japanese,
    )
    .unwrap_err();
    assert_eq!(
        e,
        SheetError::Unrepresentable {
            row: 3,
            column: 17,
            character: '𠮷'
        }
    );
    assert!(e.message_ja().contains("3 行目 Q 列"));
}

#[test]
fn english_export_reads_back() {
    let bytes = export_assets(
        &[sample_asset()],
        ExportFormat::Csv(CsvEncoding::Utf8Bom),
        Language::English,
    )
    .unwrap();
    assert!(bytes.starts_with("\u{feff}ID,Name,Kind".as_bytes()));
    assert_eq!(import(&bytes).unwrap()[0].asset, sample_asset());
}

// ---------------------------------------------------------------------------------------------
// Round trips

const FORMATS: [ExportFormat; 3] = [
    ExportFormat::Xlsx,
    ExportFormat::Csv(CsvEncoding::Utf8Bom),
    ExportFormat::Csv(CsvEncoding::ShiftJis),
];

/// Text that Shift_JIS holds: Japanese, ASCII punctuation that CSV must quote, formula starts,
/// leading zeros and spaces inside.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[0-9a-zA-Zあいうアイウ課室漢字機密①髙ｶﾅ,\"'=+@;:. -]{{1,{max}}}"
    ))
    .unwrap()
}

fn name() -> impl Strategy<Value = Name> {
    text(30).prop_filter_map("a name", |s| Name::parse("name", &s).ok())
}

fn note() -> impl Strategy<Value = String> {
    prop::collection::vec(text(20), 0..4).prop_map(|lines| {
        mamori_core::text::parse_note("notes", &lines.join("\n")).unwrap_or_default()
    })
}

fn asset() -> impl Strategy<Value = AssetRow> {
    let ids = proptest::option::of("0[0-9]{1,5}|[A-Z]-[0-9]{1,4}|=[0-9]{1,3}");
    let kinds = prop::sample::select(AssetKind::ALL.to_vec());
    let lifecycles = prop::sample::select(vec![
        Lifecycle::Planned,
        Lifecycle::InUse,
        Lifecycle::Retired,
        Lifecycle::Disposed,
    ]);
    let levels = (
        prop::sample::select(vec!["1", "2", "3"]),
        prop::sample::select(vec!["1", "2"]),
        prop::sample::select(vec!["1", "2"]),
    );
    let addresses = prop::collection::vec(any::<std::net::IpAddr>(), 0..3);
    let hosts = prop::collection::vec("[a-z][a-z0-9-]{0,8}[a-z0-9](\\.[a-z]{2,5}){0,2}", 0..3);
    (
        (ids, name(), kinds, name(), proptest::option::of(name())),
        (
            proptest::option::of(name()),
            proptest::option::of("[A-Z]{2,8}"),
            hosts,
            addresses,
        ),
        (
            levels,
            lifecycles,
            name(),
            name(),
            (2000i32..2100, 1u8..13, 1u8..29),
            note(),
        ),
    )
        .prop_map(
            |(
                (id, name, kind, owner_unit, administrator),
                (location, segment, mut hosts, mut addresses),
                ((c, i, a), lifecycle, method, by, (y, m, d), notes),
            )| {
                hosts.dedup();
                let mut unique = Vec::new();
                addresses.retain(|x| {
                    let fresh = !unique.contains(x);
                    unique.push(*x);
                    fresh
                });
                let hosts: Vec<String> = hosts.into_iter().fold(Vec::new(), |mut acc, h| {
                    if !acc.contains(&h) {
                        acc.push(h);
                    }
                    acc
                });
                let disposed = lifecycle == Lifecycle::Disposed;
                AssetRow {
                    id,
                    name,
                    kind,
                    owner_unit,
                    administrator,
                    location,
                    segment,
                    hosts,
                    addresses,
                    classification: Classification {
                        confidentiality: c.into(),
                        integrity: i.into(),
                        availability: a.into(),
                    },
                    lifecycle,
                    disposal_method: disposed.then(|| method.as_str().to_owned()),
                    disposed_by: disposed.then_some(by),
                    disposed_on: disposed.then(|| CivilDate::new(y, m, d)).flatten(),
                    notes,
                }
            },
        )
}

fn unique_ids(assets: &mut [AssetRow]) {
    let mut seen = std::collections::HashSet::new();
    for a in assets {
        if let Some(id) = &a.id
            && !seen.insert(id.clone())
        {
            a.id = None;
        }
    }
}

/// Rows compared as a spreadsheet shows them: trailing empty cells and rows do not exist.
fn visible(rows: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let end = r.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
            r[..end].to_vec()
        })
        .collect();
    while rows.last().is_some_and(Vec::is_empty) {
        rows.pop();
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn export_then_import_gives_back_the_same_assets(
        mut assets in prop::collection::vec(asset(), 1..8),
        english in any::<bool>(),
    ) {
        unique_ids(&mut assets);
        let language = if english { Language::English } else { Language::Japanese };
        for format in FORMATS {
            let bytes = export_assets(&assets, format, language).unwrap();
            let imported = import_assets(
                &bytes,
                &Limits::default(),
                &Scales::mic_default(false),
                ExistingIds::Update,
                &Anything,
            );
            let imported = match imported {
                Ok(rows) => rows,
                Err(e) => return Err(TestCaseError::fail(format!("{format:?}: {e:?}"))),
            };
            let back: Vec<AssetRow> = imported.into_iter().map(|i| i.asset).collect();
            prop_assert_eq!(&back, &assets, "{:?}", format);
        }
    }

    #[test]
    fn cells_survive_csv_and_xlsx(
        rows in prop::collection::vec(
            prop::collection::vec(
                proptest::string::string_regex("([a-zあ漢,\"'=+@\\- \\n\\t\\r＝_]|_x00[0-9A-F]{2}_|&amp;|<b>){0,12}|0[0-9]{0,4}").unwrap(),
                1..6,
            ),
            1..6,
        ),
    ) {
        let expected = visible(&rows);
        prop_assume!(!expected.is_empty() && expected.iter().flatten().any(|c| !c.trim().is_empty()));
        for bytes in [
            write_csv(&rows, CsvEncoding::Utf8Bom).unwrap(),
            write_csv(&rows, CsvEncoding::ShiftJis).unwrap(),
            write_xlsx(&rows, "sheet").unwrap(),
        ] {
            let back = read(&bytes, &Limits::default()).unwrap();
            prop_assert_eq!(visible(&back.rows), expected.clone(), "{:?}", back.format);
        }
    }
}
