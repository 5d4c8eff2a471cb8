//! The asset register (情報資産台帳) as a sheet: its template, the validation of each row into an
//! [`AssetRow`], and the export of rows back into a sheet.

use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{Datelike, NaiveDate};
use mamori_core::asset::{AssetKind, Lifecycle};
use mamori_core::classification::{Classification, Dimension, Scales};
use mamori_core::i18n::Lang;
use mamori_core::segment::parse_addresses;
use mamori_core::text::{
    FieldError, FieldErrorKind, Name, is_forbidden_char, list_items, parse_note,
};
use mamori_core::time;
use unicode_normalization::UnicodeNormalization;

use crate::error::SheetError;
use crate::read::{Limits, Table, read};
use crate::template::{Column, HeaderMap, Language, RowError, Template};
use crate::write::{CsvEncoding, write_csv, write_xlsx};

/// What the import asks of the register; the web layer answers from the store, so this crate
/// never touches a database. The calls are synchronous and made for every row, so an
/// implementation loads units, people, segments and the registered 管理番号 into memory first
/// (a `HashMap`/`HashSet` each) rather than querying per row. Names arrive trimmed.
pub trait Lookup {
    /// The id of the unit (課室) with this name.
    fn unit(&self, name: &str) -> Option<i64>;
    /// The id of the person with this name.
    fn person(&self, name: &str) -> Option<i64>;
    /// The segment with this code or name.
    fn segment(&self, code_or_name: &str) -> Option<SegmentRef>;
    /// Whether an asset with this 管理番号 is already registered.
    fn asset_exists(&self, id: &str) -> bool;
}

/// A segment as the register knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRef {
    pub id: i64,
    /// The code stored with assets (`LGWAN`); an import written with the segment's name comes
    /// back with its code.
    pub code: String,
}

/// What to do with a row whose 管理番号 is already registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingIds {
    /// The row updates that asset (restoring or editing an exported register).
    Update,
    /// The row is an error: the file may only add assets.
    Reject,
}

/// A calendar date as written in a register (廃棄日): a day of the years 1 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(NaiveDate);

impl CivilDate {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month.into(), day.into()).and_then(Self::from_naive)
    }

    fn from_naive(date: NaiveDate) -> Option<Self> {
        (1..=9999).contains(&date.year()).then_some(Self(date))
    }

    /// The day in Japan (JST) of a moment in milliseconds since the epoch.
    pub fn of_epoch_ms_jst(ms: i64) -> Option<Self> {
        time::jst_date(ms).and_then(Self::from_naive)
    }

    /// Reads `2026-11-25`, `2026/11/25`, `2026.11.25`, `2026年11月25日` and 和暦 (`令和8年11月25日`,
    /// `平成元年4月1日`), full-width digits too. A time after the date (as a date cell of a
    /// workbook carries) is ignored.
    pub fn parse(raw: &str) -> Option<Self> {
        let text: String = raw.nfkc().collect();
        let date = text.split_whitespace().next()?.split('T').next()?;
        let (era_offset, rest) = [("令和", 2018), ("平成", 1988), ("昭和", 1925)]
            .iter()
            .find_map(|(era, offset)| date.strip_prefix(era).map(|rest| (Some(*offset), rest)))
            .unwrap_or((None, date));
        let rest = rest.replacen("元年", "1年", 1);
        let parts: Vec<&str> = rest
            .split(['-', '/', '.', '年', '月', '日'])
            .filter(|p| !p.is_empty())
            .collect();
        let [y, m, d] = parts.as_slice() else {
            return None;
        };
        if !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let mut year: i32 = y.parse().ok()?;
        match era_offset {
            Some(offset) if (1..=99).contains(&year) => year += offset,
            Some(_) => return None,
            None if y.len() != 4 => return None,
            None => {}
        }
        Self::new(year, m.parse().ok()?, d.parse().ok()?)
    }

    /// Midnight at the start of the day in Japan (JST, UTC+9), in milliseconds since the epoch.
    pub fn to_epoch_ms_jst(self) -> i64 {
        time::jst_midnight(self.0)
    }
}

impl std::fmt::Display for CivilDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// One asset as a row of the register, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRow {
    /// 管理番号: text, so `0012` keeps its zeros. `None` for a new asset.
    pub id: Option<String>,
    /// 名称.
    pub name: Name,
    /// 種別.
    pub kind: AssetKind,
    /// 所有課室.
    pub owner_unit: Name,
    /// 管理者.
    pub administrator: Option<Name>,
    /// 設置場所.
    pub location: Option<Name>,
    /// セグメント, as its code.
    pub segment: Option<String>,
    /// ホスト名.
    pub hosts: Vec<String>,
    /// IPアドレス.
    pub addresses: Vec<IpAddr>,
    /// 機密性・完全性・可用性, as level codes.
    pub classification: Classification,
    /// 状態.
    pub lifecycle: Lifecycle,
    /// 廃棄方法.
    pub disposal_method: Option<String>,
    /// 廃棄者.
    pub disposed_by: Option<Name>,
    /// 廃棄日.
    pub disposed_on: Option<CivilDate>,
    /// 備考.
    pub notes: String,
}

/// A valid row of an import, with what the register told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAsset {
    /// The row in the sheet (1-based).
    pub row: usize,
    pub asset: AssetRow,
    /// The row names a 管理番号 that is registered, so it updates that asset.
    pub updates_existing: bool,
    pub owner_unit_id: i64,
    pub administrator_id: Option<i64>,
    pub segment_id: Option<i64>,
}

/// Why an import was refused: the file as a whole, or a list of problems in its rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] SheetError),
    #[error("{} problems in the rows of the sheet", .0.len())]
    Rows(Vec<RowError>),
}

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv(CsvEncoding),
}

impl ExportFormat {
    /// The `Content-Type` of a download.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Csv(CsvEncoding::Utf8Bom) => "text/csv; charset=utf-8",
            ExportFormat::Csv(CsvEncoding::ShiftJis) => "text/csv; charset=Shift_JIS",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv(_) => "csv",
        }
    }
}

const COLUMNS: &[Column] = &[
    col(
        "id",
        "管理番号",
        "ID",
        &["資産番号", "番号", "No", "No."],
        false,
    ),
    col(
        "name",
        "名称",
        "Name",
        &["資産名", "資産名称", "情報資産名"],
        true,
    ),
    col("kind", "種別", "Kind", &["資産種別", "分類", "Type"], true),
    col(
        "owner_unit",
        "所有課室",
        "Owner unit",
        &["所管課", "所管課室", "担当課", "所属"],
        true,
    ),
    col(
        "administrator",
        "管理者",
        "Administrator",
        &["管理責任者", "担当者"],
        false,
    ),
    col(
        "location",
        "設置場所",
        "Location",
        &["保管場所", "場所"],
        false,
    ),
    col(
        "segment",
        "セグメント",
        "Segment",
        &["ネットワーク区分", "接続系"],
        false,
    ),
    col(
        "hosts",
        "ホスト名",
        "Host names",
        &["ホスト", "Hostname", "Host"],
        false,
    ),
    col(
        "addresses",
        "IPアドレス",
        "IP addresses",
        &["アドレス", "IP", "IP address"],
        false,
    ),
    col("confidentiality", "機密性", "Confidentiality", &[], true),
    col("integrity", "完全性", "Integrity", &[], true),
    col("availability", "可用性", "Availability", &[], true),
    col(
        "lifecycle",
        "状態",
        "Status",
        &["ステータス", "Lifecycle"],
        false,
    ),
    col("disposal_method", "廃棄方法", "Disposal method", &[], false),
    col(
        "disposed_by",
        "廃棄者",
        "Disposed by",
        &["廃棄担当者"],
        false,
    ),
    col(
        "disposed_on",
        "廃棄日",
        "Disposal date",
        &["廃棄年月日"],
        false,
    ),
    col("notes", "備考", "Notes", &["メモ", "Remarks"], false),
];

const fn col(
    key: &'static str,
    header_ja: &'static str,
    header_en: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Column {
    Column {
        key,
        header_ja,
        header_en,
        aliases,
        required,
    }
}

// Indexes into COLUMNS, in the same order.
const ID: usize = 0;
const NAME: usize = 1;
const KIND: usize = 2;
const OWNER_UNIT: usize = 3;
const ADMINISTRATOR: usize = 4;
const LOCATION: usize = 5;
const SEGMENT: usize = 6;
const HOSTS: usize = 7;
const ADDRESSES: usize = 8;
const CONFIDENTIALITY: usize = 9;
const INTEGRITY: usize = 10;
const AVAILABILITY: usize = 11;
const LIFECYCLE: usize = 12;
const DISPOSAL_METHOD: usize = 13;
const DISPOSED_BY: usize = 14;
const DISPOSED_ON: usize = 15;
const NOTES: usize = 16;

/// The columns of the asset register.
pub fn asset_template() -> Template {
    Template {
        columns: COLUMNS.to_vec(),
    }
}

/// Reads and validates a whole file. All or nothing: any problem returns every problem found
/// and no rows.
pub fn import_assets(
    bytes: &[u8],
    limits: &Limits,
    scales: &Scales,
    existing: ExistingIds,
    lookup: &dyn Lookup,
) -> Result<Vec<ImportedAsset>, ImportError> {
    let table = read(bytes, limits)?;
    parse_assets(&table, scales, existing, lookup).map_err(ImportError::Rows)
}

/// Validates the rows of a table. The header is found by
/// [`Template::find_header_row`](crate::Template::find_header_row); rows above it and blank
/// rows are skipped.
pub fn parse_assets(
    table: &Table,
    scales: &Scales,
    existing: ExistingIds,
    lookup: &dyn Lookup,
) -> Result<Vec<ImportedAsset>, Vec<RowError>> {
    let template = asset_template();
    let is_blank = |row: &Vec<String>| row.iter().all(|c| c.trim().is_empty());
    let Some(header_row) = template.find_header_row(&table.rows) else {
        return Err(vec![no_data(1)]);
    };
    let map = template.match_headers(&table.rows[header_row], header_row)?;
    let mut errors = Vec::new();
    let mut assets = Vec::new();
    let mut first_row_of_id: HashMap<String, usize> = HashMap::new();
    let mut not_reported = 0usize;
    for (index, cells) in table.rows.iter().enumerate().skip(header_row + 1) {
        if is_blank(cells) {
            continue;
        }
        let mut row = RowParser {
            cells,
            map: &map,
            row: index + 1,
            errors: &mut errors,
        };
        row.check_unmapped();
        if let Some(asset) = row.asset(scales, existing, lookup, &mut first_row_of_id) {
            // Once a row is wrong nothing is imported, so valid rows need not be kept.
            if errors.is_empty() {
                assets.push(asset);
            }
        }
        if errors.len() > MAX_REPORTED_ERRORS {
            not_reported += errors.len() - MAX_REPORTED_ERRORS;
            errors.truncate(MAX_REPORTED_ERRORS);
        }
    }
    if not_reported > 0 {
        errors.push(RowError {
            row: table.rows.len(),
            column: None,
            header: None,
            message_ja: more_problems(Lang::Ja, not_reported),
            message_en: more_problems(Lang::En, not_reported),
        });
    }
    if assets.is_empty() && errors.is_empty() {
        errors.push(no_data(header_row + 2));
    }
    if errors.is_empty() {
        Ok(assets)
    } else {
        Err(errors)
    }
}

/// Problems listed one by one; beyond this, one more entry says how many were left out, so a
/// file wrong in every row cannot make a list larger than the file.
pub const MAX_REPORTED_ERRORS: usize = 1_000;

fn more_problems(lang: Lang, not_reported: usize) -> String {
    lang.fill(
        "sheet.more_problems",
        &[
            ("count", not_reported.to_string()),
            ("shown", MAX_REPORTED_ERRORS.to_string()),
        ],
    )
}

fn no_data(row: usize) -> RowError {
    RowError {
        row,
        column: None,
        header: None,
        message_ja: Lang::Ja.t("sheet.no_data_rows").to_owned(),
        message_en: Lang::En.t("sheet.no_data_rows").to_owned(),
    }
}

struct RowParser<'a> {
    cells: &'a [String],
    map: &'a HeaderMap,
    row: usize,
    errors: &'a mut Vec<RowError>,
}

impl RowParser<'_> {
    fn raw(&self, column: usize) -> &str {
        self.map.positions[column]
            .and_then(|c| self.cells.get(c))
            .map_or("", String::as_str)
    }

    /// A problem of one cell, in both languages from the catalogue; `{header}` is the column's
    /// header in each language, `args` the other placeholders.
    fn error(&mut self, column: usize, key: &str, args: &[(&str, String)]) {
        let say = |lang: Lang, header: &str| {
            let mut all = vec![("header", header.to_owned())];
            all.extend(args.iter().cloned());
            lang.fill(key, &all)
        };
        self.errors.push(RowError {
            row: self.row,
            column: self.map.positions[column].map(|c| c + 1),
            header: Some(COLUMNS[column].header_ja.to_owned()),
            message_ja: say(Lang::Ja, COLUMNS[column].header_ja),
            message_en: say(Lang::En, COLUMNS[column].header_en),
        });
    }

    fn field_error(&mut self, column: usize, e: &FieldError) {
        let value = ("value", shorten(self.raw(column)));
        let (key, args) = match e.kind {
            FieldErrorKind::Required => ("sheet.cell.required", vec![]),
            FieldErrorKind::TooLong { max } => {
                ("sheet.cell.too_long", vec![("max", max.to_string())])
            }
            FieldErrorKind::TooShort { min } => {
                ("sheet.cell.too_short", vec![("min", min.to_string())])
            }
            FieldErrorKind::ControlCharacter => ("sheet.cell.control", vec![]),
            FieldErrorKind::InvalidFormat => ("sheet.cell.invalid", vec![value]),
            FieldErrorKind::UnknownValue => ("sheet.cell.unknown", vec![value]),
            FieldErrorKind::NotAllowed => ("sheet.cell.not_allowed", vec![value]),
        };
        self.error(column, key, &args);
    }

    fn kept<T>(&mut self, column: usize, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.field_error(column, &e)).ok()
    }

    fn optional_name(&mut self, column: usize) -> Option<Option<Name>> {
        let raw = self.raw(column);
        if raw.trim().is_empty() {
            return Some(None);
        }
        self.kept(column, Name::parse(COLUMNS[column].key, raw).map(Some))
    }

    /// Data under a blank header would be lost silently; refuse it instead.
    fn check_unmapped(&mut self) {
        for (c, cell) in self.cells.iter().enumerate() {
            if !cell.trim().is_empty() && !self.map.positions.contains(&Some(c)) {
                self.errors.push(RowError {
                    row: self.row,
                    column: Some(c + 1),
                    header: None,
                    message_ja: Lang::Ja.t("sheet.cell.unmapped").to_owned(),
                    message_en: Lang::En.t("sheet.cell.unmapped").to_owned(),
                });
            }
        }
    }

    fn asset(
        &mut self,
        scales: &Scales,
        existing: ExistingIds,
        lookup: &dyn Lookup,
        first_row_of_id: &mut HashMap<String, usize>,
    ) -> Option<ImportedAsset> {
        let errors_before = self.errors.len();
        let (id, updates_existing) = self.id(existing, lookup, first_row_of_id);
        let name = self.kept(NAME, Name::parse("name", self.raw(NAME)));
        let kind = self.kind();
        let owner_unit = self.kept(OWNER_UNIT, Name::parse("owner_unit", self.raw(OWNER_UNIT)));
        let owner_unit_id = owner_unit.as_ref().and_then(|unit| {
            let id = lookup.unit(unit.as_str());
            if id.is_none() {
                self.error(
                    OWNER_UNIT,
                    "sheet.cell.unit_unknown",
                    &[("value", shorten(unit.as_str()))],
                );
            }
            id
        });
        let administrator = self.optional_name(ADMINISTRATOR).flatten();
        let administrator_id = match &administrator {
            None => None,
            Some(person) => {
                let id = lookup.person(person.as_str());
                if id.is_none() {
                    self.error(
                        ADMINISTRATOR,
                        "sheet.cell.person_unknown",
                        &[("value", shorten(person.as_str()))],
                    );
                }
                id
            }
        };
        let location = self.optional_name(LOCATION);
        let (segment, segment_id) = self.segment(lookup);
        let hosts = self.hosts();
        let addresses = self.kept(ADDRESSES, parse_addresses("addresses", self.raw(ADDRESSES)));
        let classification = self.classification(scales);
        let lifecycle = self.lifecycle();
        let disposal_method = self.kept(
            DISPOSAL_METHOD,
            parse_note("disposal_method", self.raw(DISPOSAL_METHOD)),
        );
        let disposed_by = self.optional_name(DISPOSED_BY);
        let disposed_on = self.date(DISPOSED_ON);
        let notes = self.kept(NOTES, parse_note("notes", self.raw(NOTES)));
        if lifecycle == Some(Lifecycle::Disposed) {
            let missing = [
                (
                    DISPOSAL_METHOD,
                    disposal_method.as_ref().is_some_and(String::is_empty),
                ),
                (DISPOSED_BY, matches!(disposed_by, Some(None))),
                (DISPOSED_ON, matches!(disposed_on, Some(None))),
            ];
            for (column, is_missing) in missing {
                if is_missing {
                    self.error(column, "sheet.cell.disposal_required", &[]);
                }
            }
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(ImportedAsset {
            row: self.row,
            asset: AssetRow {
                id,
                name: name?,
                kind: kind?,
                owner_unit: owner_unit?,
                administrator,
                location: location?,
                segment,
                hosts: hosts?,
                addresses: addresses?,
                classification: classification?,
                lifecycle: lifecycle?,
                disposal_method: disposal_method.filter(|m| !m.is_empty()),
                disposed_by: disposed_by?,
                disposed_on: disposed_on?,
                notes: notes?,
            },
            updates_existing,
            owner_unit_id: owner_unit_id?,
            administrator_id,
            segment_id,
        })
    }

    fn id(
        &mut self,
        existing: ExistingIds,
        lookup: &dyn Lookup,
        first_row_of_id: &mut HashMap<String, usize>,
    ) -> (Option<String>, bool) {
        let raw = normalise_id(self.raw(ID));
        if raw.is_empty() {
            return (None, false);
        }
        if raw.chars().count() > 64 {
            self.field_error(
                ID,
                &FieldError::new("id", FieldErrorKind::TooLong { max: 64 }),
            );
            return (None, false);
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || is_forbidden_char(c))
        {
            self.field_error(ID, &FieldError::new("id", FieldErrorKind::InvalidFormat));
            return (None, false);
        }
        if let Some(first) = first_row_of_id.get(&raw) {
            let first = *first;
            self.error(
                ID,
                "sheet.cell.id_repeated",
                &[("value", shorten(&raw)), ("first", first.to_string())],
            );
            return (None, false);
        }
        first_row_of_id.insert(raw.clone(), self.row);
        let exists = lookup.asset_exists(&raw);
        if exists && existing == ExistingIds::Reject {
            self.error(ID, "sheet.cell.id_taken", &[("value", shorten(&raw))]);
        }
        (Some(raw), exists)
    }

    fn kind(&mut self) -> Option<AssetKind> {
        let raw = self.raw(KIND);
        if raw.trim().is_empty() {
            return self.kept(KIND, Err(FieldError::new("kind", FieldErrorKind::Required)));
        }
        let folded: String = raw.nfkc().collect();
        let found = AssetKind::parse(&folded.to_ascii_lowercase()).or_else(|| {
            AssetKind::ALL
                .into_iter()
                .find(|k| kind_label(*k, Language::English).eq_ignore_ascii_case(folded.trim()))
        });
        self.kept(
            KIND,
            found.ok_or(FieldError::new("kind", FieldErrorKind::UnknownValue)),
        )
    }

    fn segment(&mut self, lookup: &dyn Lookup) -> (Option<String>, Option<i64>) {
        let raw = self.raw(SEGMENT).trim();
        if raw.is_empty() {
            return (None, None);
        }
        match lookup.segment(raw) {
            Some(found) => (Some(found.code), Some(found.id)),
            None => {
                self.error(
                    SEGMENT,
                    "sheet.cell.segment_unknown",
                    &[("value", shorten(raw))],
                );
                (None, None)
            }
        }
    }

    fn hosts(&mut self) -> Option<Vec<String>> {
        let hosts = mamori_core::asset::parse_hosts(list_items(self.raw(HOSTS)));
        self.kept(HOSTS, hosts)
    }

    fn classification(&mut self, scales: &Scales) -> Option<Classification> {
        let mut code = |column: usize, dimension: Dimension| {
            let result = scales
                .get(dimension)
                .parse_level(dimension.as_str(), self.raw(column))
                .map(|level| level.code.clone());
            self.kept(column, result)
        };
        let confidentiality = code(CONFIDENTIALITY, Dimension::Confidentiality);
        let integrity = code(INTEGRITY, Dimension::Integrity);
        let availability = code(AVAILABILITY, Dimension::Availability);
        Some(Classification {
            confidentiality: confidentiality?,
            integrity: integrity?,
            availability: availability?,
        })
    }

    fn lifecycle(&mut self) -> Option<Lifecycle> {
        let raw = self.raw(LIFECYCLE);
        if raw.trim().is_empty() {
            return Some(Lifecycle::InUse);
        }
        let found = parse_lifecycle(raw);
        self.kept(
            LIFECYCLE,
            found.ok_or(FieldError::new("lifecycle", FieldErrorKind::UnknownValue)),
        )
    }

    fn date(&mut self, column: usize) -> Option<Option<CivilDate>> {
        let raw = self.raw(column);
        if raw.trim().is_empty() {
            return Some(None);
        }
        let date = CivilDate::parse(raw);
        if date.is_none() {
            let value = shorten(raw);
            self.error(column, "sheet.cell.date", &[("value", value)]);
            return None;
        }
        Some(date)
    }
}

/// A value quoted in a message: one line, at most 40 characters.
fn shorten(raw: &str) -> String {
    let line = raw.trim().lines().next().unwrap_or("");
    let mut short: String = line.chars().take(40).collect();
    if short.len() < line.len() || line.len() < raw.trim().len() {
        short.push('…');
    }
    short
}

/// A 管理番号 cell as the import reads it: full-width digits typed through an input method are
/// the same 管理番号 as ASCII ones (NFKC), and spaces around it are not part of it.
pub fn normalise_id(raw: &str) -> String {
    raw.nfkc().collect::<String>().trim().to_owned()
}

/// 状態 as registers write it, in Japanese or English.
pub fn parse_lifecycle(raw: &str) -> Option<Lifecycle> {
    let folded: String = raw.nfkc().collect();
    let value = folded.trim().to_ascii_lowercase();
    match value.as_str() {
        "計画中" | "導入予定" | "planned" => Some(Lifecycle::Planned),
        "運用中" | "使用中" | "in use" | "in_use" => Some(Lifecycle::InUse),
        "運用終了" | "retired" => Some(Lifecycle::Retired),
        "廃棄済" | "廃棄済み" | "廃棄" | "disposed" => Some(Lifecycle::Disposed),
        _ => None,
    }
}

/// 状態 as the register writes it: the word the screen shows, from the one catalogue.
pub fn lifecycle_label(lifecycle: Lifecycle, language: Language) -> &'static str {
    language.lang().lifecycle(lifecycle)
}

/// 種別 as the register writes it: the word the screen shows, from the one catalogue.
pub fn kind_label(kind: AssetKind, language: Language) -> &'static str {
    language.lang().kind(kind)
}

impl AssetRow {
    /// The row's cells in the template's column order.
    pub fn to_cells(&self, language: Language) -> Vec<String> {
        let join = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
        let name = |n: &Option<Name>| {
            n.as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default()
        };
        vec![
            self.id.clone().unwrap_or_default(),
            self.name.as_str().to_owned(),
            kind_label(self.kind, language).to_owned(),
            self.owner_unit.as_str().to_owned(),
            name(&self.administrator),
            name(&self.location),
            self.segment.clone().unwrap_or_default(),
            self.hosts.join(", "),
            join(&mut self.addresses.iter().map(IpAddr::to_string)),
            self.classification.confidentiality.clone(),
            self.classification.integrity.clone(),
            self.classification.availability.clone(),
            lifecycle_label(self.lifecycle, language).to_owned(),
            self.disposal_method.clone().unwrap_or_default(),
            name(&self.disposed_by),
            self.disposed_on.map(|d| d.to_string()).unwrap_or_default(),
            self.notes.clone(),
        ]
    }
}

/// The header row and one row per asset.
pub fn asset_table(assets: &[AssetRow], language: Language) -> Vec<Vec<String>> {
    let mut rows = Vec::with_capacity(assets.len() + 1);
    rows.push(asset_template().header_row(language));
    rows.extend(assets.iter().map(|a| a.to_cells(language)));
    rows
}

/// Writes the register as a file that [`import_assets`] reads back unchanged.
pub fn export_assets(
    assets: &[AssetRow],
    format: ExportFormat,
    language: Language,
) -> Result<Vec<u8>, SheetError> {
    let rows = asset_table(assets, language);
    match format {
        ExportFormat::Xlsx => write_xlsx(
            &rows,
            match language {
                Language::Japanese => "情報資産台帳",
                Language::English => "Assets",
            },
        ),
        ExportFormat::Csv(encoding) => write_csv(&rows, encoding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2026-11-25", Some((2026, 11, 25)))]
    #[case("2026/1/5", Some((2026, 1, 5)))]
    #[case("２０２６年１１月２５日", Some((2026, 11, 25)))]
    #[case("令和8年11月25日", Some((2026, 11, 25)))]
    #[case("平成元年4月1日", Some((1989, 4, 1)))]
    #[case("2026-11-25 00:00:00", Some((2026, 11, 25)))]
    #[case("2026-11-25T09:30:00", Some((2026, 11, 25)))]
    #[case("2024-02-29", Some((2024, 2, 29)))]
    #[case("2025-02-29", None)]
    #[case("26-11-25", None)]
    #[case("2026-13-01", None)]
    #[case("昨日", None)]
    #[case("2026-11", None)]
    fn dates(#[case] raw: &str, #[case] expected: Option<(i32, u8, u8)>) {
        assert_eq!(
            CivilDate::parse(raw),
            expected.and_then(|(y, m, d)| CivilDate::new(y, m, d))
        );
    }

    #[test]
    fn date_to_epoch_in_japan() {
        assert_eq!(
            CivilDate::new(1970, 1, 2).unwrap().to_epoch_ms_jst(),
            15 * 3_600_000
        );
        assert_eq!(
            CivilDate::new(2026, 11, 25).unwrap().to_epoch_ms_jst(),
            1_795_532_400_000
        );
    }

    #[rstest]
    #[case(2026, 11, 25)]
    #[case(1970, 1, 1)]
    #[case(2024, 2, 29)]
    #[case(2000, 12, 31)]
    #[case(1, 1, 1)]
    #[case(9999, 12, 31)]
    fn dates_in_japan(#[case] y: i32, #[case] m: u8, #[case] d: u8) {
        let day = CivilDate::new(y, m, d).unwrap();
        let start = day.to_epoch_ms_jst();
        assert_eq!(CivilDate::of_epoch_ms_jst(start), Some(day));
        assert_eq!(
            CivilDate::of_epoch_ms_jst(start + time::DAY_MS - 1),
            Some(day)
        );
        assert_ne!(CivilDate::of_epoch_ms_jst(start - 1), Some(day));
    }

    #[rstest]
    #[case(CivilDate::new(1, 1, 1), "0001-01-01")]
    #[case(CivilDate::new(2026, 3, 9), "2026-03-09")]
    #[case(CivilDate::new(9999, 12, 31), "9999-12-31")]
    fn dates_are_written_with_four_digit_years(
        #[case] day: Option<CivilDate>,
        #[case] written: &str,
    ) {
        assert_eq!(day.unwrap().to_string(), written);
    }

    #[test]
    fn years_outside_1_to_9999_are_not_dates_of_a_register() {
        assert_eq!(CivilDate::new(0, 1, 1), None);
        assert_eq!(CivilDate::new(10_000, 1, 1), None);
        // 10000-01-01 00:00 JST.
        assert_eq!(CivilDate::of_epoch_ms_jst(253_402_268_400_000), None);
    }

    #[rstest]
    #[case("12", "12")]
    #[case(" １２ ", "12")]
    #[case("\u{3000}００１２\u{3000}", "0012")]
    #[case("Ａ－１", "A-1")]
    #[case("", "")]
    fn ids_are_read_with_width_folded(#[case] raw: &str, #[case] id: &str) {
        assert_eq!(normalise_id(raw), id);
    }

    #[rstest]
    #[case("計画中", Lifecycle::Planned)]
    #[case(" 運用中 ", Lifecycle::InUse)]
    #[case("In use", Lifecycle::InUse)]
    #[case("運用終了", Lifecycle::Retired)]
    #[case("廃棄済み", Lifecycle::Disposed)]
    fn lifecycles(#[case] raw: &str, #[case] expected: Lifecycle) {
        assert_eq!(parse_lifecycle(raw), Some(expected));
    }

    #[test]
    fn labels_read_back() {
        for language in [Language::Japanese, Language::English] {
            for l in [
                Lifecycle::Planned,
                Lifecycle::InUse,
                Lifecycle::Retired,
                Lifecycle::Disposed,
            ] {
                assert_eq!(parse_lifecycle(lifecycle_label(l, language)), Some(l));
            }
        }
    }

    /// The screen and the spreadsheet say the same thing in the same words (the regression:
    /// 導入予定/廃棄済み on the screen, 計画中/廃棄済 in the export).
    #[test]
    fn a_sheet_uses_the_screens_words() {
        use mamori_core::i18n::Lang;
        for l in Lifecycle::ALL {
            assert_eq!(
                lifecycle_label(l, Language::Japanese),
                Lang::Ja.lifecycle(l)
            );
            assert_eq!(lifecycle_label(l, Language::English), Lang::En.lifecycle(l));
        }
        for k in AssetKind::ALL {
            assert_eq!(kind_label(k, Language::Japanese), Lang::Ja.kind(k));
        }
        assert_eq!(
            lifecycle_label(Lifecycle::Planned, Language::Japanese),
            "導入予定"
        );
        assert_eq!(
            lifecycle_label(Lifecycle::Disposed, Language::Japanese),
            "廃棄済み"
        );
        // Registers written with the older words still read.
        assert_eq!(parse_lifecycle("計画中"), Some(Lifecycle::Planned));
        assert_eq!(parse_lifecycle("廃棄済"), Some(Lifecycle::Disposed));
    }

    #[test]
    fn template_indexes_match_the_columns() {
        let t = asset_template();
        for (index, key) in [
            (ID, "id"),
            (NAME, "name"),
            (KIND, "kind"),
            (OWNER_UNIT, "owner_unit"),
            (ADMINISTRATOR, "administrator"),
            (LOCATION, "location"),
            (SEGMENT, "segment"),
            (HOSTS, "hosts"),
            (ADDRESSES, "addresses"),
            (CONFIDENTIALITY, "confidentiality"),
            (INTEGRITY, "integrity"),
            (AVAILABILITY, "availability"),
            (LIFECYCLE, "lifecycle"),
            (DISPOSAL_METHOD, "disposal_method"),
            (DISPOSED_BY, "disposed_by"),
            (DISPOSED_ON, "disposed_on"),
            (NOTES, "notes"),
        ] {
            assert_eq!(t.index_of(key), Some(index));
        }
        assert_eq!(t.columns.len(), 17);
    }

    #[test]
    fn download_headers() {
        assert_eq!(ExportFormat::Xlsx.extension(), "xlsx");
        assert!(ExportFormat::Xlsx.content_type().ends_with(".sheet"));
        assert_eq!(
            ExportFormat::Csv(CsvEncoding::ShiftJis).content_type(),
            "text/csv; charset=Shift_JIS"
        );
        assert_eq!(ExportFormat::Csv(CsvEncoding::Utf8Bom).extension(), "csv");
    }

    #[test]
    fn shortened_values_in_messages() {
        assert_eq!(shorten("abc"), "abc");
        assert_eq!(shorten(&"x".repeat(50)), format!("{}…", "x".repeat(40)));
        assert_eq!(shorten("a\nb"), "a…");
    }
}
