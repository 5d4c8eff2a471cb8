//! Which columns a sheet has, and how its header row is matched to them.

use mamori_core::i18n::Lang;
use unicode_normalization::UnicodeNormalization;

use crate::error::column_letter;

/// One column of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Stable identifier used by code (`name`, `confidentiality` …).
    pub key: &'static str,
    pub header_ja: &'static str,
    pub header_en: &'static str,
    /// Other headers that registers in the field use for the same column.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// The columns a sheet of one kind has, in the order they are exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub columns: Vec<Column>,
}

/// The language of exported headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Japanese,
    English,
}

impl Language {
    /// The catalogue's language: labels in a sheet are the words the screen shows.
    pub fn lang(self) -> mamori_core::i18n::Lang {
        match self {
            Language::Japanese => mamori_core::i18n::Lang::Ja,
            Language::English => mamori_core::i18n::Lang::En,
        }
    }
}

/// A problem with one row (and, where it is about one cell, one column) of an import. It
/// serialises as the API returns it: `{row, column, header, message_ja, message_en}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// 1-based, as the spreadsheet shows it; the header is row 1 when it is the first row.
    pub row: usize,
    /// 1-based column number; [`RowError::column_letter`] gives `A`, `B` …
    pub column: Option<usize>,
    /// The header of the column as the template names it in Japanese.
    pub header: Option<String>,
    pub message_ja: String,
    pub message_en: String,
}

impl RowError {
    pub fn column_letter(&self) -> Option<String> {
        self.column.map(column_letter)
    }
}

/// Where each template column is in a sheet: `positions[i]` is the 0-based sheet column of
/// `template.columns[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    pub positions: Vec<Option<usize>>,
    /// 0-based index of the header row in the table.
    pub header_row: usize,
}

impl Template {
    /// The header row of an export.
    pub fn header_row(&self, language: Language) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match language {
                Language::Japanese => c.header_ja,
                Language::English => c.header_en,
            })
            .map(str::to_owned)
            .collect()
    }

    /// The index of the column with `key`.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// The header row of a sheet: the first of its first 20 rows with at least two cells that
    /// name a column of the template, so a title such as 「情報資産台帳（令和8年度）」 above the
    /// header is passed over; otherwise the first row that is not blank.
    pub fn find_header_row(&self, rows: &[Vec<String>]) -> Option<usize> {
        let headers: Vec<String> = self
            .columns
            .iter()
            .flat_map(|c| {
                [c.header_ja, c.header_en]
                    .into_iter()
                    .chain(c.aliases.iter().copied())
            })
            .map(normalise_header)
            .collect();
        let matches = |row: &Vec<String>| {
            row.iter()
                .filter(|cell| headers.contains(&normalise_header(cell)))
                .count()
        };
        rows.iter()
            .take(20)
            .position(|row| matches(row) >= 2)
            .or_else(|| {
                rows.iter()
                    .position(|row| row.iter().any(|c| !c.trim().is_empty()))
            })
    }

    /// Matches a header row (`header_row` is its 0-based index in the table) against the
    /// template by Japanese or English header or alias, ignoring surrounding spaces, case and
    /// full-width/half-width differences. Unknown, duplicate and missing required headers are
    /// errors; blank header cells are left unmapped.
    pub fn match_headers(
        &self,
        cells: &[String],
        header_row: usize,
    ) -> Result<HeaderMap, Vec<RowError>> {
        let row = header_row + 1;
        let mut positions = vec![None; self.columns.len()];
        let mut errors = Vec::new();
        for (c, cell) in cells.iter().enumerate() {
            let wanted = normalise_header(cell);
            if wanted.is_empty() {
                continue;
            }
            let found = self.columns.iter().position(|col| {
                std::iter::once(col.header_ja)
                    .chain(std::iter::once(col.header_en))
                    .chain(col.aliases.iter().copied())
                    .any(|h| normalise_header(h) == wanted)
            });
            match found {
                None => errors.push(RowError {
                    row,
                    column: Some(c + 1),
                    header: Some(cell.trim().to_owned()),
                    message_ja: Lang::Ja
                        .fill("sheet.column.unknown", &[("value", cell.trim().to_owned())]),
                    message_en: Lang::En
                        .fill("sheet.column.unknown", &[("value", cell.trim().to_owned())]),
                }),
                Some(i) if positions[i].is_some() => errors.push(RowError {
                    row,
                    column: Some(c + 1),
                    header: Some(self.columns[i].header_ja.to_owned()),
                    message_ja: Lang::Ja.fill(
                        "sheet.column.repeated",
                        &[("header", self.columns[i].header_ja.to_owned())],
                    ),
                    message_en: Lang::En.fill(
                        "sheet.column.repeated",
                        &[("header", self.columns[i].header_en.to_owned())],
                    ),
                }),
                Some(i) => positions[i] = Some(c),
            }
        }
        for (col, position) in self.columns.iter().zip(&positions) {
            if col.required && position.is_none() {
                errors.push(RowError {
                    row,
                    column: None,
                    header: Some(col.header_ja.to_owned()),
                    message_ja: Lang::Ja.fill(
                        "sheet.column.missing",
                        &[("header", col.header_ja.to_owned())],
                    ),
                    message_en: Lang::En.fill(
                        "sheet.column.missing",
                        &[("header", col.header_en.to_owned())],
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(HeaderMap {
                positions,
                header_row,
            })
        } else {
            Err(errors)
        }
    }
}

/// NFKC folds full-width letters, digits and spaces to half-width and half-width katakana to
/// full-width; then surrounding and repeated spaces and ASCII case are ignored.
pub fn normalise_header(raw: &str) -> String {
    let folded: String = raw.nfkc().collect();
    folded
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn template() -> Template {
        Template {
            columns: vec![
                Column {
                    key: "id",
                    header_ja: "管理番号",
                    header_en: "ID",
                    aliases: &["資産番号"],
                    required: false,
                },
                Column {
                    key: "address",
                    header_ja: "IPアドレス",
                    header_en: "IP address",
                    aliases: &[],
                    required: true,
                },
            ],
        }
    }

    fn cells(headers: &[&str]) -> Vec<String> {
        headers.iter().map(|h| (*h).to_owned()).collect()
    }

    #[rstest]
    #[case(&["管理番号", "IPアドレス"])]
    #[case(&[" 資産番号 ", "ＩＰアドレス"])]
    #[case(&["id", "ip  ADDRESS"])]
    #[case(&["IPｱﾄﾞﾚｽ", "　管理番号　"])]
    #[case(&["", "IPアドレス"])]
    fn headers_match_in_any_form(#[case] headers: &[&str]) {
        let map = template().match_headers(&cells(headers), 0).unwrap();
        assert!(map.positions[1].is_some());
    }

    #[test]
    fn unknown_duplicate_and_missing_headers_are_all_reported() {
        let errors = template()
            .match_headers(&cells(&["管理番号", "色", "ID"]), 0)
            .unwrap_err();
        assert_eq!(errors.len(), 3);
        assert_eq!((errors[0].row, errors[0].column), (1, Some(2)));
        assert!(errors[0].message_ja.contains("色"));
        assert_eq!(errors[1].column_letter().as_deref(), Some("C"));
        assert!(errors[1].message_en.contains("more than once"));
        assert_eq!(errors[2].column, None);
        assert_eq!(errors[2].header.as_deref(), Some("IPアドレス"));
    }

    #[test]
    fn the_header_row_is_found_below_a_title() {
        let rows = vec![
            cells(&["情報資産台帳（令和8年度）"]),
            vec![],
            cells(&["作成: 情報政策課", "ID"]),
            cells(&["ID", "IPアドレス"]),
            cells(&["1", "10.0.0.1"]),
        ];
        assert_eq!(template().find_header_row(&rows), Some(3));
        assert_eq!(template().find_header_row(&rows[..3]), Some(0));
        assert_eq!(template().find_header_row(&[vec![], cells(&[" "])]), None);
    }

    #[test]
    fn exported_headers_follow_the_language() {
        assert_eq!(
            template().header_row(Language::English),
            vec!["ID", "IP address"]
        );
        assert_eq!(template().header_row(Language::Japanese)[0], "管理番号");
    }
}
