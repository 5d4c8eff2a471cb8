//! Rows of text cells in, file bytes out. `rows[0]` is the header row.

use rust_xlsxwriter::{Format as CellFormat, Workbook};

use crate::error::SheetError;
use crate::guard;

/// The text encoding of a CSV export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvEncoding {
    /// UTF-8 with a byte order mark, which Excel needs to open it correctly.
    #[default]
    Utf8Bom,
    /// Shift_JIS (code page 932), for systems that read nothing else.
    ShiftJis,
}

/// Writes CSV with CRLF line ends, quoting only where needed, and text cells that would start a
/// formula guarded with a leading `'` (see [`crate::read`], which removes it again). With
/// [`CsvEncoding::ShiftJis`], a character that does not survive Shift_JIS unchanged is an error
/// naming its cell, never a silent `?`.
pub fn write_csv(rows: &[Vec<String>], encoding: CsvEncoding) -> Result<Vec<u8>, SheetError> {
    if encoding == CsvEncoding::ShiftJis {
        check_shift_jis(rows)?;
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| guard::guard(cell).into_owned()))
            .map_err(|e| SheetError::Write {
                detail: e.to_string(),
            })?;
    }
    let text = writer.into_inner().map_err(|e| SheetError::Write {
        detail: e.to_string(),
    })?;
    Ok(match encoding {
        CsvEncoding::Utf8Bom => {
            let mut out = Vec::with_capacity(text.len() + 3);
            out.extend_from_slice(b"\xEF\xBB\xBF");
            out.extend_from_slice(&text);
            out
        }
        CsvEncoding::ShiftJis => {
            let text = String::from_utf8(text).map_err(|e| SheetError::Write {
                detail: e.to_string(),
            })?;
            encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
        }
    })
}

/// Every cell must come back from Shift_JIS as it went in: no unmappable character (which the
/// encoder would turn into `&#…;`) and none that decodes as another (`¥` → `\`, `−` → `－`).
fn check_shift_jis(rows: &[Vec<String>]) -> Result<(), SheetError> {
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if cell.is_ascii() || survives_shift_jis(cell) {
                continue;
            }
            let mut buf = [0u8; 4];
            let character = cell
                .chars()
                .find(|ch| !survives_shift_jis(ch.encode_utf8(&mut buf)))
                .unwrap_or('\u{FFFD}');
            return Err(SheetError::Unrepresentable {
                row: r + 1,
                column: c + 1,
                character,
            });
        }
    }
    Ok(())
}

fn survives_shift_jis(text: &str) -> bool {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    if unmappable {
        return false;
    }
    let (back, malformed) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(&bytes);
    !malformed && back == text
}

/// Writes an XLSX workbook with one worksheet: a bold, frozen header row, columns sized to
/// their content, and every cell written and formatted as text, so that `0012` stays `0012` and
/// nothing is ever evaluated as a formula.
pub fn write_xlsx(rows: &[Vec<String>], sheet_name: &str) -> Result<Vec<u8>, SheetError> {
    let write_error = |e: rust_xlsxwriter::XlsxError| SheetError::Write {
        detail: e.to_string(),
    };
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name).map_err(write_error)?;
    let text = CellFormat::new().set_num_format("@");
    let header = CellFormat::new().set_num_format("@").set_bold();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    if columns > usize::from(u16::MAX) || rows.len() > 1_048_576 {
        return Err(SheetError::Write {
            detail: "more rows or columns than a worksheet holds".into(),
        });
    }
    for c in 0..columns {
        let width = rows
            .iter()
            .take(1_000)
            .filter_map(|row| row.get(c))
            .map(|cell| display_width(cell))
            .max()
            .unwrap_or(0);
        let col = c as u16;
        sheet.set_column_format(col, &text).map_err(write_error)?;
        sheet
            .set_column_width(col, (width as f64 + 2.0).clamp(8.0, 60.0))
            .map_err(write_error)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let format = if r == 0 { &header } else { &text };
        for (c, cell) in row.iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            if cell.chars().count() > 32_767 {
                return Err(SheetError::CellTooLarge {
                    row: r + 1,
                    column: c + 1,
                    max: 32_767,
                });
            }
            sheet
                .write_string_with_format(r as u32, c as u16, cell, format)
                .map_err(write_error)?;
        }
    }
    if !rows.is_empty() {
        sheet.set_freeze_panes(1, 0).map_err(write_error)?;
    }
    workbook.save_to_buffer().map_err(write_error)
}

/// Width in spreadsheet character units of the longest line: full-width characters count two.
fn display_width(cell: &str) -> usize {
    cell.lines()
        .map(|line| {
            line.chars()
                .map(|c| {
                    if (c as u32) < 0x1100 || ('\u{FF61}'..='\u{FF9F}').contains(&c) {
                        1
                    } else {
                        2
                    }
                })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Format, Limits, read};
    use rstest::rstest;

    fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn utf8_csv_has_a_bom_crlf_and_quotes_where_needed() {
        let bytes = write_csv(
            &rows(&[&["名称", "備考"], &["a,b", "say \"hi\"\nbye"]]),
            CsvEncoding::Utf8Bom,
        )
        .unwrap();
        assert_eq!(
            bytes,
            "\u{feff}名称,備考\r\n\"a,b\",\"say \"\"hi\"\"\nbye\"\r\n".as_bytes()
        );
    }

    #[test]
    fn formula_cells_are_guarded_in_csv() {
        let bytes = write_csv(
            &rows(&[&["=HYPERLINK(\"http://evil\",\"x\")", "@cmd", "ok"]]),
            CsvEncoding::Utf8Bom,
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"'=HYPERLINK("), "{text}");
        assert!(text.contains(",'@cmd,"), "{text}");
    }

    #[test]
    fn shift_jis_csv_is_encoded() {
        let bytes = write_csv(&rows(&[&["名称"]]), CsvEncoding::ShiftJis).unwrap();
        assert_eq!(bytes, [0x96, 0xBC, 0x8F, 0xCC, b'\r', b'\n']);
    }

    #[rstest]
    #[case::emoji("サーバ😀", '😀')]
    #[case::rare_kanji("𠮷野家", '𠮷')]
    #[case::yen_sign("¥100", '¥')]
    #[case::minus_sign("−1", '−')]
    #[case::hangul("서버", '서')]
    fn shift_jis_refuses_what_it_cannot_hold(#[case] cell: &str, #[case] bad: char) {
        let result = write_csv(
            &rows(&[&["名称", "備考"], &["x", cell]]),
            CsvEncoding::ShiftJis,
        );
        assert_eq!(
            result,
            Err(SheetError::Unrepresentable {
                row: 2,
                column: 2,
                character: bad
            })
        );
    }

    #[test]
    fn shift_jis_keeps_backslash_and_tilde() {
        let table = rows(&[&["C:\\share~1", "①髙"]]);
        let bytes = write_csv(&table, CsvEncoding::ShiftJis).unwrap();
        let back = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(back.format, Format::CsvShiftJis);
        assert_eq!(back.rows, table);
    }

    #[test]
    fn xlsx_round_trip_keeps_text() {
        let table = rows(&[
            &["管理番号", "IPアドレス"],
            &["0012", "10.0.0.1"],
            &["=1+1", ""],
        ]);
        let bytes = write_xlsx(&table, "資産台帳").unwrap();
        let back = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(back.format, Format::Xlsx);
        assert_eq!(back.rows[..2], table[..2]);
        assert_eq!(back.rows[2], vec!["=1+1".to_owned()]);
    }

    #[rstest]
    #[case("abc", 3)]
    #[case("名称", 4)]
    #[case("ｻｰﾊﾞ", 4)]
    #[case("a\n長い行", 6)]
    fn widths(#[case] cell: &str, #[case] width: usize) {
        assert_eq!(display_width(cell), width);
    }
}
