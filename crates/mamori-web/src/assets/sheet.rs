//! The register as a spreadsheet: export to `.xlsx` or CSV and import from them, as pages and in
//! the API. The 管理番号 column carries the asset's numeric id: an exported file imported again
//! updates the assets it names (changing nothing when nothing was edited) and registers the rows
//! without an id, all or nothing.

use std::collections::HashMap;

use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::asset::{Disposal, Lifecycle};
use mamori_core::authz::{ManageRegister, ViewAssets, ViewDirectory, authorize};
use mamori_core::segment::SegmentId;
use mamori_core::text::Name;
use mamori_core::time::DAY_MS;
use mamori_core::{Actor, FieldError, FieldErrorKind, PersonId, UnitId};
use mamori_sheet::{
    AssetRow as SheetRow, CivilDate, CsvEncoding, ExistingIds, ExportFormat, ImportError,
    ImportedAsset, Language, Limits, Lookup, RowError, SegmentRef, normalise_id,
};
use mamori_store::{
    Asset, AssetInput, ImportOutcome, ImportRow, NewAsset, Origin, PeopleFilter, Store,
};
use serde::Deserialize;

use crate::http::AppError;
use crate::http::AppState;
use crate::http::{Upload, User};
use mamori_core::i18n::Lang;

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    pub format: String,
}

/// `xlsx` (the default), `csv` (UTF-8 with BOM) or `csv-sjis` (Shift_JIS).
pub fn export_format(raw: &str) -> Result<ExportFormat, AppError> {
    match raw.trim() {
        "" | "xlsx" => Ok(ExportFormat::Xlsx),
        "csv" => Ok(ExportFormat::Csv(CsvEncoding::Utf8Bom)),
        "csv-sjis" => Ok(ExportFormat::Csv(CsvEncoding::ShiftJis)),
        _ => Err(AppError::invalid(FieldError::new(
            "format",
            FieldErrorKind::UnknownValue,
        ))),
    }
}

fn language(lang: Lang) -> Language {
    match lang {
        Lang::Ja => Language::Japanese,
        Lang::En => Language::English,
    }
}

fn stored_name(field: &'static str, raw: &str) -> Result<Name, AppError> {
    Name::parse(field, raw)
        .map_err(|_| AppError::Internal(format!("stored {field} is not a valid name")))
}

/// An asset as a row of the register's sheet.
fn sheet_row(asset: &Asset) -> Result<SheetRow, AppError> {
    let optional = |field: &'static str, raw: Option<&str>| -> Result<Option<Name>, AppError> {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(raw) => stored_name(field, raw).map(Some),
        }
    };
    Ok(SheetRow {
        id: Some(asset.id.0.to_string()),
        name: stored_name("name", &asset.name)?,
        kind: asset.kind,
        owner_unit: stored_name("owner_unit", &asset.owner_unit_name)?,
        administrator: optional("administrator", asset.administrator_name.as_deref())?,
        location: optional("location", Some(&asset.location))?,
        segment: asset.segment_code.clone(),
        hosts: asset.hosts.clone(),
        addresses: asset.addresses.clone(),
        classification: asset.classification.clone(),
        lifecycle: asset.lifecycle,
        disposal_method: asset
            .disposal
            .as_ref()
            .map(|d| d.method.clone())
            .filter(|m| !m.is_empty()),
        disposed_by: match &asset.disposal {
            Some(d) => optional("disposed_by", Some(&d.by))?,
            None => None,
        },
        disposed_on: asset
            .disposal
            .as_ref()
            .and_then(|d| CivilDate::of_epoch_ms_jst(d.at_ms)),
        notes: asset.note.clone(),
    })
}

/// The register as a file to download.
async fn export(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    lang: Lang,
    format: &str,
) -> Result<Response, AppError> {
    let format = export_format(format)?;
    let grant = authorize::<ManageRegister>(actor, &())?;
    let assets = state.store.export_assets(&grant, origin).await?;
    let rows = assets
        .iter()
        .map(sheet_row)
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = mamori_sheet::export_assets(&rows, format, language(lang))
        .map_err(|e| AppError::Sheet(ImportError::File(e)))?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let file = format!("assets.{}", format.extension());
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
            .map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(response)
}

/// What the import asks of the register, answered from memory.
struct RegisterLookup<'a> {
    units: HashMap<String, i64>,
    people: HashMap<String, i64>,
    segments: HashMap<String, SegmentRef>,
    assets: &'a HashMap<i64, Asset>,
}

impl Lookup for RegisterLookup<'_> {
    fn unit(&self, name: &str) -> Option<i64> {
        self.units.get(name).copied()
    }
    fn person(&self, name: &str) -> Option<i64> {
        self.people.get(name).copied()
    }
    fn segment(&self, code_or_name: &str) -> Option<SegmentRef> {
        self.segments.get(code_or_name).cloned()
    }
    fn asset_exists(&self, id: &str) -> bool {
        id.parse::<i64>()
            .is_ok_and(|id| self.assets.contains_key(&id))
    }
}

/// The rows whose 管理番号 names no registered asset (ids are the numbers the register gives).
/// Found apart from the sheet's own checks so that one refusal lists every problem.
fn unknown_ids(
    table: &mamori_sheet::Table,
    assets: &HashMap<i64, Asset>,
    reported: &[RowError],
) -> Vec<RowError> {
    let Some((header_row, column)) = template_column(table, "id") else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (index, cells) in table.rows.iter().enumerate().skip(header_row + 1) {
        let row = index + 1;
        let raw = normalise_id(cells.get(column).map(String::as_str).unwrap_or_default());
        if raw.is_empty()
            || raw.parse::<i64>().is_ok_and(|id| assets.contains_key(&id))
            || reported
                .iter()
                .any(|e| e.row == row && e.column == Some(column + 1))
        {
            continue;
        }
        let shown: String = raw.chars().take(40).collect();
        errors.push(RowError {
            row,
            column: Some(column + 1),
            header: Some("管理番号".to_owned()),
            message_ja: format!(
                "管理番号「{shown}」の情報資産は登録されていません。新しく登録する行では管理番号を空欄にしてください。"
            ),
            message_en: format!(
                "No asset has the ID “{shown}”. Leave the ID empty to register a new asset."
            ),
        });
    }
    errors
}

/// The header row of the sheet and the 0-based sheet column of one template column.
fn template_column(table: &mamori_sheet::Table, key: &str) -> Option<(usize, usize)> {
    let template = mamori_sheet::asset_template();
    let header_row = template.find_header_row(&table.rows)?;
    let map = template
        .match_headers(&table.rows[header_row], header_row)
        .ok()?;
    let column = template
        .index_of(key)
        .and_then(|i| map.positions.get(i).copied().flatten())?;
    Some((header_row, column))
}

/// Rows that would bring a disposed asset back into use: disposal is final, in an import as in
/// an edit.
fn undisposing_rows(
    table: &mamori_sheet::Table,
    rows: &[ImportedAsset],
    assets: &HashMap<i64, Asset>,
) -> Vec<RowError> {
    let column = template_column(table, "lifecycle").map(|(_, c)| c + 1);
    rows.iter()
        .filter(|row| row.asset.lifecycle != Lifecycle::Disposed)
        .filter_map(|row| {
            let id = row.asset.id.as_deref()?.parse::<i64>().ok()?;
            let existing = assets.get(&id)?;
            (existing.lifecycle == Lifecycle::Disposed).then(|| RowError {
                row: row.row,
                column,
                header: Some("状態".to_owned()),
                message_ja: format!(
                    "管理番号「{id}」の情報資産は廃棄済みです。廃棄済みの資産を使用中などに戻すことはできません。"
                ),
                message_en: format!(
                    "The asset with ID {id} has been disposed of; it cannot be brought back into use."
                ),
            })
        })
        .collect()
}

/// A valid row as the store's import takes it. What the sheet cannot tell apart (two units or
/// people of the same name, the time of day of a disposal) is kept from the asset it updates.
fn import_row(row: ImportedAsset, existing: Option<&Asset>) -> ImportRow {
    let asset = row.asset;
    let owner_unit = match existing {
        Some(e) if e.owner_unit_name == asset.owner_unit.as_str() => e.owner_unit_id,
        _ => UnitId(row.owner_unit_id),
    };
    let administrator = match (existing, &asset.administrator) {
        (Some(e), Some(name)) if e.administrator_name.as_deref() == Some(name.as_str()) => {
            e.administrator_id
        }
        _ => row.administrator_id.map(PersonId),
    };
    let disposal = (asset.lifecycle == Lifecycle::Disposed).then(|| {
        let day = asset.disposed_on.map(CivilDate::to_epoch_ms_jst);
        let kept = existing
            .and_then(|e| e.disposal.as_ref())
            .map(|d| d.at_ms)
            .filter(|at| day.is_some_and(|day| (day..day + DAY_MS).contains(at)));
        Disposal {
            method: asset.disposal_method.clone().unwrap_or_default(),
            by: asset
                .disposed_by
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            at_ms: kept.or(day).unwrap_or_default(),
        }
    });
    ImportRow {
        id: existing.map(|e| e.id),
        asset: NewAsset {
            input: AssetInput {
                kind: asset.kind,
                name: asset.name,
                owner_unit,
                administrator,
                location: asset
                    .location
                    .map(|l| l.as_str().to_owned())
                    .unwrap_or_default(),
                segment: row.segment_id.map(SegmentId),
                hosts: asset.hosts,
                addresses: asset.addresses,
                lifecycle: asset.lifecycle,
                note: asset.notes,
            },
            classification: asset.classification,
            disposal,
        },
    }
}

/// Reads, checks and imports a file: every row or none.
async fn import(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    bytes: &[u8],
) -> Result<ImportOutcome, AppError> {
    let grant = authorize::<ManageRegister>(actor, &())?;
    let directory = authorize::<ViewDirectory>(actor, &())?;
    let view = authorize::<ViewAssets>(actor, &())?;
    let store: &dyn Store = state.store.as_ref();
    let mut units = HashMap::new();
    for unit in store.list_units(&directory, None).await? {
        units
            .entry(unit.name.as_str().to_owned())
            .or_insert(unit.id.0);
    }
    let (people_list, _) = store
        .list_people(
            &directory,
            &PeopleFilter {
                org_id: None,
                unit_id: None,
                text: None,
                offset: 0,
                limit: i64::from(u32::MAX),
            },
        )
        .await?;
    let mut people = HashMap::new();
    for person in people_list {
        people.entry(person.name).or_insert(person.id.0);
    }
    let mut segments = HashMap::new();
    for entry in store.list_segments(&view).await? {
        let reference = SegmentRef {
            id: entry.id.0,
            code: entry.segment.code.clone(),
        };
        segments.insert(entry.segment.name.as_str().to_owned(), reference.clone());
        segments.insert(entry.segment.code.clone(), reference);
    }
    let assets: HashMap<i64, Asset> = store
        .all_assets(&grant)
        .await?
        .into_iter()
        .map(|a| (a.id.0, a))
        .collect();
    let scales = store.scales().await?;
    let lookup = RegisterLookup {
        units,
        people,
        segments,
        assets: &assets,
    };
    let table = mamori_sheet::read(bytes, &Limits::default())
        .map_err(|e| AppError::Sheet(ImportError::File(e)))?;
    let parsed = mamori_sheet::parse_assets(&table, &scales, ExistingIds::Update, &lookup);
    let reported = parsed.as_ref().err().map(Vec::as_slice).unwrap_or_default();
    let unknown = unknown_ids(&table, &assets, reported);
    let imported = match parsed {
        Ok(imported) if unknown.is_empty() => {
            let undisposing = undisposing_rows(&table, &imported, &assets);
            if !undisposing.is_empty() {
                return Err(AppError::Sheet(ImportError::Rows(undisposing)));
            }
            imported
        }
        Ok(_) => return Err(AppError::Sheet(ImportError::Rows(unknown))),
        Err(mut errors) => {
            if errors.len() < mamori_sheet::MAX_REPORTED_ERRORS {
                errors.extend(unknown);
                errors.sort_by_key(|e| (e.row, e.column));
            }
            return Err(AppError::Sheet(ImportError::Rows(errors)));
        }
    };
    let rows = imported
        .into_iter()
        .map(|row| {
            let existing = row
                .asset
                .id
                .as_deref()
                .and_then(|id| id.parse::<i64>().ok())
                .and_then(|id| assets.get(&id));
            import_row(row, existing)
        })
        .collect();
    Ok(store.import_assets_upsert(&grant, rows, origin).await?)
}

// ---------------------------------------------------------------------------------------------
// Pages

pub async fn export_page(
    State(state): State<AppState>,
    user: User,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    export(
        &state,
        &user.actor,
        &user.ctx.origin(),
        user.ctx.lang,
        &query.format,
    )
    .await
}

pub async fn import_page(
    State(state): State<AppState>,
    user: User,
    request: Request,
) -> Result<Response, AppError> {
    // Who may import is settled before the upload is read.
    authorize::<ManageRegister>(&user.actor, &())?;
    let Upload(file) = Upload::from_request(request, &()).await?;
    let outcome = import(&state, &user.actor, &user.ctx.origin(), &file).await?;
    Ok(Redirect::to(&format!(
        "/assets?created={}&updated={}",
        outcome.created.len(),
        outcome.updated.len()
    ))
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// API

pub mod api {
    use axum::Json;
    use axum::body::Body;
    use serde::Serialize;
    use utoipa::{IntoParams, ToSchema};

    use super::*;
    use crate::http::ApiQuery;
    use crate::http::context::UPLOAD_LIMIT;

    #[derive(Debug, Default, Deserialize, IntoParams)]
    pub struct ExportParams {
        /// `xlsx` (default), `csv` (UTF-8 with BOM) or `csv-sjis` (Shift_JIS).
        #[serde(default)]
        pub format: String,
    }

    /// What an import did.
    #[derive(Serialize, ToSchema)]
    pub struct ImportResult {
        /// Assets registered from rows without a 管理番号.
        pub created: usize,
        /// Assets that rows with their 管理番号 changed; rows that change nothing are not counted.
        pub updated: usize,
    }

    /// One problem of a refused import.
    #[derive(Serialize, ToSchema)]
    pub struct SheetProblem {
        /// Row of the sheet, 1-based.
        pub row: usize,
        /// Column letter (`A`, `B` …), when the problem is in one cell.
        pub column: Option<String>,
        /// The column's header.
        pub header: Option<String>,
        /// In the caller's language.
        pub message: String,
    }

    /// A file that cannot be imported: `message` says why; `rows` lists every problem of the rows.
    #[derive(Serialize, ToSchema)]
    pub struct SheetErrorBody {
        /// `sheet_invalid`.
        pub error: String,
        pub message: String,
        pub rows: Vec<SheetProblem>,
    }

    /// The whole register as a spreadsheet (administrators of the register). The export is
    /// written to the audit trail.
    #[utoipa::path(
        get,
        path = "/api/v1/assets/export",
        tag = "assets",
        params(ExportParams),
        responses(
            (status = 200, description = "The file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (status = 403, body = crate::http::api::ErrorBody),
            (status = 422, body = crate::http::api::ErrorBody),
        )
    )]
    pub async fn export_assets(
        State(state): State<AppState>,
        user: User,
        ApiQuery(params): ApiQuery<ExportParams>,
    ) -> Result<Response, AppError> {
        export(
            &state,
            &user.actor,
            &user.ctx.origin(),
            user.ctx.lang,
            &params.format,
        )
        .await
    }

    /// Imports a register: the body is the file itself (`.xlsx`, or CSV in UTF-8 or Shift_JIS;
    /// the format is read from the content). Rows with a 管理番号 update that asset, rows
    /// without one are registered; a file with any problem changes nothing.
    #[utoipa::path(
        post,
        path = "/api/v1/assets/import",
        tag = "assets",
        request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file"),
        responses(
            (status = 200, body = ImportResult),
            (status = 403, body = crate::http::api::ErrorBody),
            (status = 409, body = crate::http::api::ErrorBody),
            (status = 413, body = crate::http::api::ErrorBody),
            (status = 422, body = SheetErrorBody),
        )
    )]
    pub async fn import_assets(
        State(state): State<AppState>,
        user: User,
        body: Body,
    ) -> Result<Json<ImportResult>, AppError> {
        authorize::<ManageRegister>(&user.actor, &())?;
        let body = axum::body::to_bytes(body, UPLOAD_LIMIT)
            .await
            .map_err(|_| AppError::TooLarge)?;
        let outcome = import(&state, &user.actor, &user.ctx.origin(), &body).await?;
        Ok(Json(ImportResult {
            created: outcome.created.len(),
            updated: outcome.updated.len(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(export_format("").unwrap(), ExportFormat::Xlsx);
        assert_eq!(
            export_format("csv-sjis").unwrap(),
            ExportFormat::Csv(CsvEncoding::ShiftJis)
        );
        assert!(export_format("pdf").is_err());
    }

    #[test]
    fn ids_are_numbers_of_registered_assets() {
        let assets = HashMap::new();
        let lookup = RegisterLookup {
            units: HashMap::new(),
            people: HashMap::new(),
            segments: HashMap::new(),
            assets: &assets,
        };
        assert!(!lookup.asset_exists("12"));
        assert!(!lookup.asset_exists("A-12"));
    }
}
