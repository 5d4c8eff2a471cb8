//! Bytes in, rows of text cells out. The format is found from the content, never from a file
//! name: an upload called `台帳.xlsx` may be anything.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use crate::error::SheetError;
use crate::guard;

/// Bounds on what a file may hold; each has a safe default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Rows of the sheet, the header row included.
    pub max_rows: usize,
    pub max_columns: usize,
    /// Characters in one cell; Excel itself stops at 32,767.
    pub max_cell_chars: usize,
    /// Decoded text of a CSV, or the decompressed parts of an XLSX together (zip bomb defence).
    pub max_decoded_bytes: u64,
    /// Parts inside an XLSX package.
    pub max_zip_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_rows: 200_000,
            max_columns: 256,
            max_cell_chars: 32_767,
            max_decoded_bytes: 256 * 1024 * 1024,
            max_zip_entries: 1_000,
        }
    }
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    /// CSV in UTF-8; `bom` tells whether it began with a byte order mark.
    CsvUtf8 {
        bom: bool,
    },
    /// CSV in Shift_JIS (Windows code page 932).
    CsvShiftJis,
    /// UTF-16 text with a byte order mark, as Excel saves 「Unicode テキスト」: tab-separated
    /// when its first line holds a tab, comma-separated otherwise.
    TextUtf16,
}

/// The cells of the first worksheet, as text. `rows[0]` is the sheet's row 1, so a row's
/// number as the user sees it is its index plus one; blank rows keep their place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub format: Format,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The cell at a 0-based position, empty when the row is shorter.
    pub fn cell(&self, row: usize, column: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(column))
            .map_or("", String::as_str)
    }
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Reads a spreadsheet: XLSX (first worksheet) or CSV in UTF-8 (with or without BOM) or
/// Shift_JIS. Text cells that [`crate::write_csv`] guarded against formula injection come back
/// as they were.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(EMPTY_ZIP_MAGIC) {
        return read_xlsx(bytes, limits);
    }
    if bytes.starts_with(OLE_MAGIC) {
        return Err(SheetError::LegacyExcel);
    }
    if let Some(what) = known_binary(bytes) {
        return Err(SheetError::NotSpreadsheet { what: what.into() });
    }
    read_csv(bytes, limits)
}

/// Signatures of common files that are not spreadsheets, so they are named in the log.
fn known_binary(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"%PDF-", "PDF document"),
        (b"\x89PNG\r\n\x1a\n", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF87a", "GIF image"),
        (b"GIF89a", "GIF image"),
        (b"\x1F\x8B", "gzip archive"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip archive"),
        (b"Rar!\x1A\x07", "RAR archive"),
        (b"\x7FELF", "ELF executable"),
        (b"MZ", "Windows executable"),
        (b"{\\rtf", "RTF document"),
    ];
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, what)| *what)
        .filter(|what| *what != "Windows executable" || bytes.contains(&0))
}

// ---------------------------------------------------------------------------------------------
// CSV

fn read_csv(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    if bytes.len() as u64 > limits.max_decoded_bytes {
        return Err(SheetError::TooLarge {
            max_bytes: limits.max_decoded_bytes,
        });
    }
    let (text, format) = decode_text(bytes)?;
    if text.len() as u64 > limits.max_decoded_bytes {
        return Err(SheetError::TooLarge {
            max_bytes: limits.max_decoded_bytes,
        });
    }
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(SheetError::NotSpreadsheet {
            what: format!("text with control character U+{:04X}", c as u32),
        });
    }
    if text.trim().is_empty() {
        return Err(SheetError::Empty);
    }
    let rows = parse_csv(&text, format, limits)?;
    Ok(Table { format, rows })
}

/// UTF-16 when a UTF-16 byte order mark says so; UTF-8 when the bytes are valid UTF-8 (a UTF-8
/// BOM then demands it); otherwise Shift_JIS, refused when any byte sequence has no Shift_JIS
/// meaning. Nothing is guessed beyond that.
fn decode_text(bytes: &[u8]) -> Result<(String, Format), SheetError> {
    for (bom, encoding) in [
        (&[0xFF, 0xFE], encoding_rs::UTF_16LE),
        (&[0xFE, 0xFF], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let (text, had_errors) = encoding.decode_without_bom_handling(rest);
            if had_errors {
                return Err(SheetError::Encoding {
                    what: format!("invalid {}", encoding.name()),
                });
            }
            return Ok((text.into_owned(), Format::TextUtf16));
        }
    }
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return match std::str::from_utf8(rest) {
            Ok(text) => Ok((text.to_owned(), Format::CsvUtf8 { bom: true })),
            Err(e) => Err(SheetError::Encoding {
                what: format!(
                    "UTF-8 byte order mark followed by invalid UTF-8 at byte {}",
                    e.valid_up_to() + UTF8_BOM.len()
                ),
            }),
        };
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), Format::CsvUtf8 { bom: false }));
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(SheetError::Encoding {
            what: "neither UTF-8 nor Shift_JIS".into(),
        });
    }
    Ok((text.into_owned(), Format::CsvShiftJis))
}

fn parse_csv(text: &str, format: Format, limits: &Limits) -> Result<Vec<Vec<String>>, SheetError> {
    // Only Excel's Unicode text is tab-separated; a CSV is never sniffed, since a guarded cell
    // starting with a tab would make a one-column CSV look tab-separated.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if format == Format::TextUtf16 && first_line.contains('\t') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = Vec::new();
    // The csv crate skips blank lines; keep their place so row numbers match the sheet. A
    // record's position is where the reader stood after the previous record, before the blanks.
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(SheetError::Malformed {
                    format: "CSV",
                    detail: e.to_string(),
                });
            }
        }
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(text.len());
        let mut rest = text.get(start..).unwrap_or("");
        // The reader stops between the `\r` and the `\n` of a CRLF terminator.
        if start > 0 && text.as_bytes()[start - 1] == b'\r' {
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        }
        let blank_lines = leading_line_breaks(rest);
        if rows.len().saturating_add(blank_lines) >= limits.max_rows {
            return Err(SheetError::TooManyRows {
                max: limits.max_rows,
            });
        }
        rows.extend(std::iter::repeat_n(Vec::new(), blank_lines));
        if record.len() > limits.max_columns {
            return Err(SheetError::TooManyColumns {
                max: limits.max_columns,
            });
        }
        let row_number = rows.len() + 1;
        let mut cells = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            check_cell(field, row_number, i + 1, limits)?;
            cells.push(guard::unguard(field).to_owned());
        }
        rows.push(cells);
    }
    Ok(rows)
}

/// How many line breaks (`\r\n`, `\n` or `\r`) the text starts with.
fn leading_line_breaks(text: &str) -> usize {
    let mut count = 0;
    let mut bytes = text.as_bytes();
    loop {
        match bytes {
            [b'\r', b'\n', rest @ ..] | [b'\r' | b'\n', rest @ ..] => {
                count += 1;
                bytes = rest;
            }
            _ => return count,
        }
    }
}

fn check_cell(value: &str, row: usize, column: usize, limits: &Limits) -> Result<(), SheetError> {
    // Bytes bound characters from above, so most cells need no count.
    if value.len() > limits.max_cell_chars && value.chars().count() > limits.max_cell_chars {
        return Err(SheetError::CellTooLarge {
            row,
            column,
            max: limits.max_cell_chars,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// XLSX

fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Table, SheetError> {
    check_package(bytes, limits)?;
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| malformed_xlsx(&e))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoWorksheet)?;
    let mut cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| malformed_xlsx(&e))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    // The cell reader streams used cells; a sheet is never laid out densely before its size is
    // known to be within the limits (one cell at XFD1048576 would otherwise ask for billions).
    while let Some(cell) = cells.next_cell().map_err(|e| malformed_xlsx(&e))? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        let value = cell_text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        if row >= limits.max_rows {
            return Err(SheetError::TooManyRows {
                max: limits.max_rows,
            });
        }
        if column >= limits.max_columns {
            return Err(SheetError::TooManyColumns {
                max: limits.max_columns,
            });
        }
        check_cell(&value, row + 1, column + 1, limits)?;
        if rows.len() <= row {
            rows.resize_with(row + 1, Vec::new);
        }
        let cells_of_row = &mut rows[row];
        if cells_of_row.len() <= column {
            cells_of_row.resize(column + 1, String::new());
        }
        cells_of_row[column] = value;
    }
    if rows.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(Table {
        format: Format::Xlsx,
        rows,
    })
}

fn malformed_xlsx(e: &calamine::XlsxError) -> SheetError {
    SheetError::Malformed {
        format: "XLSX",
        detail: e.to_string(),
    }
}

/// Checks the zip package before the XLSX reader sees it: an OOXML workbook, a bounded number
/// of parts, no encryption, and a bounded decompressed size. Declared sizes can lie, so every
/// part is inflated once here with a budget.
fn check_package(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let not_xlsx = |what: &str| SheetError::NotSpreadsheet { what: what.into() };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_xlsx("damaged zip archive"))?;
    if archive.len() > limits.max_zip_entries {
        return Err(not_xlsx("zip archive with too many entries"));
    }
    let has = |name: &str| archive.index_for_name(name).is_some();
    if !has("[Content_Types].xml")
        || !archive
            .file_names()
            .any(|n| n.is_ok_and(|n| is_workbook_part(&n)))
    {
        return Err(not_xlsx("zip archive that is not an Excel workbook"));
    }
    let mut budget = limits.max_decoded_bytes;
    let too_large = SheetError::TooLarge {
        max_bytes: limits.max_decoded_bytes,
    };
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|_| not_xlsx("zip entry that cannot be read (encrypted or unsupported)"))?;
        if entry.size() > budget {
            return Err(too_large);
        }
        let read = std::io::copy(&mut (&mut entry).take(budget + 1), &mut std::io::sink())
            .map_err(|e| SheetError::Malformed {
                format: "XLSX",
                detail: e.to_string(),
            })?;
        if read > budget {
            return Err(too_large);
        }
        budget -= read;
    }
    Ok(())
}

fn is_workbook_part(name: &str) -> bool {
    name.starts_with("xl/") && name.ends_with(".xml") && name.contains("workbook")
}

/// A cell as text: numbers without a spurious `.0`, dates as `YYYY-MM-DD` (with the time when
/// there is one), errors as Excel writes them (`#N/A`).
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn read_default(bytes: &[u8]) -> Result<Table, SheetError> {
        read(bytes, &Limits::default())
    }

    #[rstest]
    #[case::utf8("名称,種別\r\n".as_bytes(), Format::CsvUtf8 { bom: false })]
    #[case::utf8_bom("\u{feff}名称,種別\n".as_bytes(), Format::CsvUtf8 { bom: true })]
    #[case::shift_jis(&[0x96, 0xBC, 0x8F, 0xCC, b',', b'a', b'\n'], Format::CsvShiftJis)]
    fn detects_text_encodings(#[case] bytes: &[u8], #[case] format: Format) {
        let table = read_default(bytes).unwrap();
        assert_eq!(table.format, format);
        assert_eq!(table.rows[0].len(), 2);
    }

    #[test]
    fn shift_jis_text_is_decoded() {
        let table = read_default(&[0x96, 0xBC, 0x8F, 0xCC, b',', b'a', b'\n']).unwrap();
        assert_eq!(table.rows, vec![vec!["名称".to_owned(), "a".to_owned()]]);
    }

    #[test]
    fn blank_lines_keep_their_row_number() {
        let table = read_default(b"a,b\n\n\"x\ny\",z\n\nlast\n").unwrap();
        assert_eq!(table.rows.len(), 5);
        assert_eq!(table.rows[2], vec!["x\ny".to_owned(), "z".to_owned()]);
        assert!(table.rows[3].is_empty());
        assert_eq!(table.rows[4], vec!["last".to_owned()]);
    }

    #[rstest]
    #[case::crlf(b"a\r\n\r\nb\r\n".as_slice())]
    #[case::lf(b"a\n\nb\n".as_slice())]
    #[case::cr(b"a\r\rb\r".as_slice())]
    #[case::no_final_break(b"a\n\nb".as_slice())]
    fn line_endings(#[case] bytes: &[u8]) {
        let table = read_default(bytes).unwrap();
        assert_eq!(
            table.rows,
            vec![vec!["a".to_owned()], vec![], vec!["b".to_owned()]]
        );
    }

    fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
        let mut bytes = if little_endian {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if little_endian {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    }

    #[rstest]
    #[case::le(true)]
    #[case::be(false)]
    fn excel_unicode_text_is_read(#[case] little_endian: bool) {
        let bytes = utf16("名称\t種別\r\n\"サーバ\n1号機\"\t機器\r\n", little_endian);
        let table = read_default(&bytes).unwrap();
        assert_eq!(table.format, Format::TextUtf16);
        assert_eq!(
            table.rows[1],
            vec!["サーバ\n1号機".to_owned(), "機器".to_owned()]
        );
        let commas = read_default(&utf16("名称,種別\n", little_endian)).unwrap();
        assert_eq!(commas.rows[0].len(), 2);
    }

    #[test]
    fn broken_utf16_is_refused() {
        // An unpaired high surrogate.
        let bytes = [0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0];
        assert!(matches!(
            read_default(&bytes),
            Err(SheetError::Encoding { .. })
        ));
    }

    #[test]
    fn tabs_are_text_not_separators() {
        let table = read_default(b"a\tb,c\n'\t@\n").unwrap();
        assert_eq!(table.rows[0], vec!["a\tb".to_owned(), "c".to_owned()]);
        assert_eq!(table.rows[1], vec!["\t@".to_owned()]);
    }

    #[rstest]
    #[case::pdf(b"%PDF-1.7\n1 0 obj\n".as_slice())]
    #[case::png(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice())]
    #[case::nul(b"a,b\0c\n".as_slice())]
    #[case::bell(b"a,b\x07c\n".as_slice())]
    fn refuses_what_is_not_a_spreadsheet(#[case] bytes: &[u8]) {
        assert!(matches!(
            read_default(bytes),
            Err(SheetError::NotSpreadsheet { .. })
        ));
    }

    #[test]
    fn refuses_ole_documents() {
        let mut bytes = OLE_MAGIC.to_vec();
        bytes.extend_from_slice(&[0; 504]);
        assert_eq!(read_default(&bytes), Err(SheetError::LegacyExcel));
    }

    #[rstest]
    #[case::nothing(b"".as_slice())]
    #[case::blank(b"\r\n \n".as_slice())]
    #[case::bom_only(b"\xEF\xBB\xBF".as_slice())]
    fn refuses_empty_files(#[case] bytes: &[u8]) {
        assert_eq!(read_default(bytes), Err(SheetError::Empty));
    }

    #[test]
    fn row_and_column_limits() {
        let limits = Limits {
            max_rows: 2,
            max_columns: 2,
            ..Limits::default()
        };
        assert!(read(b"a\nb\n", &limits).is_ok());
        assert_eq!(
            read(b"a\nb\nc\n", &limits),
            Err(SheetError::TooManyRows { max: 2 })
        );
        assert_eq!(
            read(b"a\n\n\nb\n", &limits),
            Err(SheetError::TooManyRows { max: 2 })
        );
        assert_eq!(
            read(b"a,b,c\n", &limits),
            Err(SheetError::TooManyColumns { max: 2 })
        );
    }

    #[test]
    fn cell_limit_counts_characters_not_bytes() {
        let limits = Limits {
            max_cell_chars: 3,
            ..Limits::default()
        };
        assert!(read("あいう\n".as_bytes(), &limits).is_ok());
        assert_eq!(
            read("x,あいうえ\n".as_bytes(), &limits),
            Err(SheetError::CellTooLarge {
                row: 1,
                column: 2,
                max: 3
            })
        );
    }

    #[rstest]
    #[case(45_000.0, "45000")]
    #[case(-3.0, "-3")]
    #[case(0.5, "0.5")]
    #[case(1e20, "100000000000000000000")]
    fn numbers_as_text(#[case] f: f64, #[case] text: &str) {
        assert_eq!(number_text(f), text);
    }
}
