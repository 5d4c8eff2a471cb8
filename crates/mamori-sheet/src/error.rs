//! Why a file was refused. `Display` carries the detail for the log; [`SheetError::message_ja`] and
//! [`SheetError::message_en`] are what a user is shown.

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
        match self {
            SheetError::Empty => "ファイルが空です。".into(),
            SheetError::NotSpreadsheet { .. } => {
                "表計算ファイル（.xlsx または CSV）ではありません。".into()
            }
            SheetError::LegacyExcel => "古い形式（.xls）または暗号化された Excel ファイルは読み込めません。.xlsx 形式で保存し直してください。".into(),
            SheetError::Encoding { .. } => {
                "文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。".into()
            }
            SheetError::TooManyRows { max } => format!("行数が上限（{max} 行）を超えています。"),
            SheetError::TooManyColumns { max } => {
                format!("列数が上限（{max} 列）を超えています。")
            }
            SheetError::CellTooLarge { row, column, max } => format!(
                "{row} 行目 {} 列のセルが上限（{max} 文字）を超えています。",
                column_letter(*column)
            ),
            SheetError::TooLarge { .. } => "ファイルの内容が大きすぎます。".into(),
            SheetError::Malformed { .. } => {
                "ファイルが壊れているため読み込めません。".into()
            }
            SheetError::NoWorksheet => "ワークシートがありません。".into(),
            SheetError::Unrepresentable {
                row,
                column,
                character,
            } => format!(
                "{row} 行目 {} 列の文字「{character}」は Shift_JIS で表せません。UTF-8 で出力してください。",
                column_letter(*column)
            ),
            SheetError::Write { .. } => "ファイルを作成できませんでした。".into(),
        }
    }

    /// The message an English-speaking user is shown.
    pub fn message_en(&self) -> String {
        match self {
            SheetError::Empty => "The file is empty.".into(),
            SheetError::NotSpreadsheet { .. } => {
                "The file is not a spreadsheet (.xlsx or CSV).".into()
            }
            SheetError::LegacyExcel => {
                "Old-format (.xls) or encrypted Excel files cannot be read; save the file as .xlsx."
                    .into()
            }
            SheetError::Encoding { .. } => {
                "The text encoding is not recognised (save the file as UTF-8 or Shift_JIS).".into()
            }
            SheetError::TooManyRows { max } => format!("The file has more than {max} rows."),
            SheetError::TooManyColumns { max } => {
                format!("The file has more than {max} columns.")
            }
            SheetError::CellTooLarge { row, column, max } => format!(
                "The cell in row {row}, column {} holds more than {max} characters.",
                column_letter(*column)
            ),
            SheetError::TooLarge { .. } => "The content of the file is too large.".into(),
            SheetError::Malformed { .. } => "The file is damaged and cannot be read.".into(),
            SheetError::NoWorksheet => "The workbook has no worksheet.".into(),
            SheetError::Unrepresentable {
                row,
                column,
                character,
            } => format!(
                "The character “{character}” in row {row}, column {} cannot be written in Shift_JIS; export as UTF-8 instead.",
                column_letter(*column)
            ),
            SheetError::Write { .. } => "The file could not be created.".into(),
        }
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
