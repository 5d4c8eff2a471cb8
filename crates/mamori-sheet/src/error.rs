//! Why a file was refused. `Display` carries the detail for the log; [`SheetError::message_ja`] and
//! [`SheetError::message_en`] are what a user is shown.

use mamori_core::i18n::Lang;

/// A whole file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    /// The content is not XLSX or CSV (an image, a PDF, an archive, random bytes …).
    #[error("not a spreadsheet: {what}")]
    NotSpreadsheet { what: String },
    /// An Excel 97–2003 `.xls` file or an encrypted workbook (both are OLE compound files).
    #[error("legacy or encrypted Excel file (OLE compound document)")]
    LegacyExcel,
    /// Neither valid UTF-8 nor valid Shift_JIS.
    #[error("text encoding: {what}")]
    Encoding { what: String },
    #[error("more than {max} rows")]
    TooManyRows { max: usize },
    #[error("more than {max} columns")]
    TooManyColumns { max: usize },
    /// `row` and `column` are 1-based, as a spreadsheet shows them.
    #[error("cell {row}:{column} holds more than {max} characters")]
    CellTooLarge {
        row: usize,
        column: usize,
        max: usize,
    },
    /// The decoded content (text, or the decompressed parts of an XLSX) is larger than allowed.
    #[error("decoded content larger than {max_bytes} bytes")]
    TooLarge { max_bytes: u64 },
    /// The file has the shape of a spreadsheet but cannot be parsed.
    #[error("malformed {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    /// A workbook without any worksheet.
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    /// Writing Shift_JIS: a character that Shift_JIS cannot hold (1-based row and column).
    #[error("cell {row}:{column}: U+{:04X} cannot be written in Shift_JIS", *character as u32)]
    Unrepresentable {
        row: usize,
        column: usize,
        character: char,
    },
    /// The XLSX writer refused the content.
    #[error("xlsx writer: {detail}")]
    Write { detail: String },
}

impl SheetError {
    /// The message a Japanese user is shown.
    pub fn message_ja(&self) -> String {
        self.message(Lang::Ja)
    }

    /// The message an English-speaking user is shown.
    pub fn message_en(&self) -> String {
        self.message(Lang::En)
    }

    /// The message in a language, from the catalogue.
    pub fn message(&self, lang: Lang) -> String {
        let (key, args): (&str, Vec<(&str, String)>) = match self {
            SheetError::Empty => ("sheet.file.empty", vec![]),
            SheetError::NotSpreadsheet { .. } => ("sheet.file.not_spreadsheet", vec![]),
            SheetError::LegacyExcel => ("sheet.file.legacy_excel", vec![]),
            SheetError::Encoding { .. } => ("sheet.file.encoding", vec![]),
            SheetError::TooManyRows { max } => {
                ("sheet.file.too_many_rows", vec![("max", max.to_string())])
            }
            SheetError::TooManyColumns { max } => (
                "sheet.file.too_many_columns",
                vec![("max", max.to_string())],
            ),
            SheetError::CellTooLarge { row, column, max } => (
                "sheet.file.cell_too_large",
                vec![
                    ("row", row.to_string()),
                    ("column", column_letter(*column)),
                    ("max", max.to_string()),
                ],
            ),
            SheetError::TooLarge { .. } => ("sheet.file.too_large", vec![]),
            SheetError::Malformed { .. } => ("sheet.file.malformed", vec![]),
            SheetError::NoWorksheet => ("sheet.file.no_worksheet", vec![]),
            SheetError::Unrepresentable {
                row,
                column,
                character,
            } => (
                "sheet.file.unrepresentable",
                vec![
                    ("row", row.to_string()),
                    ("column", column_letter(*column)),
                    ("character", character.to_string()),
                ],
            ),
            SheetError::Write { .. } => ("sheet.file.write", vec![]),
        };
        lang.fill(key, &args)
    }
}

/// The spreadsheet name of a 1-based column number: 1 → `A`, 27 → `AA`.
pub fn column_letter(column: usize) -> String {
    let mut n = column;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(1, "A")]
    #[case(26, "Z")]
    #[case(27, "AA")]
    #[case(52, "AZ")]
    #[case(703, "AAA")]
    #[case(16384, "XFD")]
    fn column_letters(#[case] n: usize, #[case] letters: &str) {
        assert_eq!(column_letter(n), letters);
    }

    #[test]
    fn messages_name_the_cell_in_both_languages() {
        let e = SheetError::Unrepresentable {
            row: 4,
            column: 3,
            character: '😀',
        };
        assert!(e.message_ja().contains("4 行目 C 列"));
        assert!(e.message_en().contains("row 4, column C"));
        assert!(e.to_string().contains("U+1F600"));
    }
}
