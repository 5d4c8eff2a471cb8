//! Spreadsheet import and export for Japanese offices: bytes in → rows of cells out, rows in →
//! bytes out. Pure: no IO, no clock, no database; what an import needs to know about the
//! register it asks through [`Lookup`], which the web layer implements over the store.
//!
//! - Reading ([`read`]): the format is found from the content — XLSX (a zip holding a
//!   workbook), CSV in UTF-8 with or without BOM, CSV in Shift_JIS (cp932), or UTF-16 text with
//!   a BOM (Excel's 「Unicode テキスト」, tab-separated). Anything else, broken encodings and
//!   files beyond [`Limits`] are refused with a [`SheetError`] that has a
//!   Japanese and an English message.
//! - Writing ([`write_csv`], [`write_xlsx`]): CSV in UTF-8 with BOM or Shift_JIS (a character
//!   Shift_JIS cannot hold is an error naming its cell), with cells that would start a formula
//!   guarded by a leading `'`; XLSX with a bold frozen header and every cell as text.
//! - The asset register ([`asset_template`], [`import_assets`], [`export_assets`]): headers are
//!   matched in Japanese or English, rows are validated into [`AssetRow`]s, and an import is all
//!   or nothing: any problem gives back every [`RowError`] and no rows.
//!
//! Export followed by import gives back the same rows in every format.

mod asset;
mod error;
mod guard;
mod read;
mod template;
mod write;

pub use asset::{
    AssetRow, CivilDate, ExistingIds, ExportFormat, ImportError, ImportedAsset, Lookup,
    MAX_REPORTED_ERRORS, SegmentRef, asset_table, asset_template, export_assets, import_assets,
    kind_label, lifecycle_label, normalise_id, parse_assets, parse_lifecycle,
};
pub use error::{SheetError, column_letter};
pub use read::{Format, Limits, Table, read};
pub use template::{Column, HeaderMap, Language, RowError, Template, normalise_header};
pub use write::{CsvEncoding, write_csv, write_xlsx};
