//! The asset register on SQL: assets, segments and classification scales.
//!
//! What the rules flag about an asset depends on its segment's ranges and on the scales, which
//! SQL cannot judge; so the flags are computed by core when an asset, its segment or the scales
//! change, and kept with the asset. The list's `flagged only` filter and the summary's flagged
//! count are then plain SQL.

use std::collections::HashMap;
use std::net::IpAddr;

use mamori_core::asset::{self, AssetFacts, AssetId, AssetKind, Disposal, Flag, Lifecycle};
use mamori_core::authz::{
    AssetPlace, AssetVisibility, Granted, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets,
};
use mamori_core::classification::{Classification, Dimension, Level, LevelEdit, Scale, Scales};
use mamori_core::segment::{Segment, SegmentId, parse_ranges};
use mamori_core::{OrgId, PersonId, UnitId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::probe::{Probe, has_trigram};
use super::{
    Arg, Backend, SqlStore, bind_all, clone_arg, conflict, contains_pattern, name_of, opt_id,
};
use crate::{
    Asset, AssetFilter, AssetInput, AssetRow, AssetSort, AssetStore, AssetSummary, AuditStore,
    COUNT_AHEAD, Conflict, ImportOutcome, ImportRow, MatchCount, NewAsset, Origin, Result,
    SegmentEntry, SplitOutcome, StoreError, SummaryCount,
};

/// What `asset_from` reads of an asset, from [`ASSET_FROM`].
const ASSET_COLUMNS: &str = "a.id, a.kind, a.name, a.owner_unit_id, u.name AS owner_unit_name, \
     u.org_id AS owner_org_id, a.administrator_id, p.name AS administrator_name, a.location, \
     a.segment_id, s.code AS segment_code, s.name AS segment_name, a.hosts, a.addresses, \
     a.lifecycle, a.disposal_method, a.disposal_by, a.disposal_at, a.note, a.confidentiality, \
     a.integrity, a.availability, a.flags, a.created_at, a.updated_at";
const ASSET_FROM: &str = "assets a JOIN units u ON u.id = a.owner_unit_id \
     LEFT JOIN people p ON p.id = a.administrator_id \
     LEFT JOIN segments s ON s.id = a.segment_id";

/// Every asset of the register, in id order: what an import compares against and an export
/// writes.
fn all_assets_query() -> String {
    format!("SELECT {ASSET_COLUMNS} FROM {ASSET_FROM} ORDER BY a.id")
}

/// The confidentiality level of each asset, for restriction and class order.
const LEVEL_JOIN: &str = "LEFT JOIN classification_levels cl ON cl.dimension = 'confidentiality' \
     AND cl.code = a.confidentiality";

fn decode(what: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("invalid {what} in the asset register").into(),
    ))
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn parse_addresses(text: &str) -> Result<Vec<IpAddr>> {
    lines(text)
        .map(|l| l.parse().map_err(|_| decode("address")))
        .collect()
}

fn join_addresses(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn disposal_from(row: &AnyRow) -> Result<Option<Disposal>> {
    let method: Option<String> = row.try_get("disposal_method")?;
    let by: Option<String> = row.try_get("disposal_by")?;
    let at: Option<i64> = row.try_get("disposal_at")?;
    Ok(match (method, by, at) {
        (Some(method), Some(by), Some(at_ms)) => Some(Disposal { method, by, at_ms }),
        _ => None,
    })
}

fn classification_from(row: &AnyRow) -> Result<Classification> {
    Ok(Classification {
        confidentiality: row.try_get("confidentiality")?,
        integrity: row.try_get("integrity")?,
        availability: row.try_get("availability")?,
    })
}

fn kind_of(row: &AnyRow) -> Result<AssetKind> {
    let kind: String = row.try_get("kind")?;
    AssetKind::parse(&kind).ok_or_else(|| decode("kind"))
}

fn lifecycle_of(row: &AnyRow) -> Result<Lifecycle> {
    let lifecycle: String = row.try_get("lifecycle")?;
    Lifecycle::parse(&lifecycle).ok_or_else(|| decode("lifecycle"))
}

fn asset_from(row: &AnyRow) -> Result<Asset> {
    let flags: String = row.try_get("flags")?;
    let hosts: String = row.try_get("hosts")?;
    let addresses: String = row.try_get("addresses")?;
    Ok(Asset {
        id: AssetId(row.try_get("id")?),
        kind: kind_of(row)?,
        name: row.try_get("name")?,
        owner_unit_id: UnitId(row.try_get("owner_unit_id")?),
        owner_unit_name: row.try_get("owner_unit_name")?,
        owner_org_id: OrgId(row.try_get("owner_org_id")?),
        administrator_id: opt_id(row, "administrator_id")?.map(PersonId),
        administrator_name: row.try_get("administrator_name")?,
        location: row.try_get("location")?,
        segment_id: opt_id(row, "segment_id")?.map(SegmentId),
        segment_code: row.try_get("segment_code")?,
        segment_name: row.try_get("segment_name")?,
        hosts: lines(&hosts).map(str::to_owned).collect(),
        addresses: parse_addresses(&addresses)?,
        lifecycle: lifecycle_of(row)?,
        disposal: disposal_from(row)?,
        note: row.try_get("note")?,
        classification: classification_from(row)?,
        flags: serde_json::from_str(&flags).map_err(|_| decode("flags"))?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn segment_from(row: &AnyRow) -> Result<SegmentEntry> {
    let ranges: String = row.try_get("ranges")?;
    Ok(SegmentEntry {
        id: SegmentId(row.try_get("id")?),
        segment: Segment {
            code: row.try_get("code")?,
            name: name_of(row, "name")?,
            ranges: parse_ranges("ranges", &ranges).map_err(|_| decode("ranges"))?,
            note: row.try_get("note")?,
        },
    })
}

fn join_ranges(segment: &Segment) -> String {
    segment
        .ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) async fn load_scales(conn: &mut AnyConnection) -> Result<Scales> {
    let mut scales = Scales::mic_default(false);
    let rows = sqlx::query("SELECT dimension, levels FROM classification_scales")
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let dimension: String = row.try_get("dimension")?;
        let levels: String = row.try_get("levels")?;
        let levels: Vec<Level> = serde_json::from_str(&levels).map_err(|_| decode("scale"))?;
        let Some(dimension) = Dimension::ALL.into_iter().find(|d| d.as_str() == dimension) else {
            continue;
        };
        let scale = Scale { dimension, levels };
        match dimension {
            Dimension::Confidentiality => scales.confidentiality = scale,
            Dimension::Integrity => scales.integrity = scale,
            Dimension::Availability => scales.availability = scale,
        }
    }
    Ok(scales)
}

async fn load_segments(conn: &mut AnyConnection) -> Result<Vec<SegmentEntry>> {
    sqlx::query("SELECT id, code, name, ranges, note FROM segments ORDER BY code")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(segment_from)
        .collect()
}

/// Writes a scale's JSON and its level rows.
async fn write_scale(conn: &mut AnyConnection, scale: &Scale, now: i64) -> Result<()> {
    let levels = serde_json::to_string(&scale.levels).map_err(|_| decode("scale"))?;
    let dimension = scale.dimension.as_str();
    sqlx::query(
        "INSERT INTO classification_scales (dimension, levels, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (dimension) DO UPDATE SET levels = $2, updated_at = $3",
    )
    .bind(dimension)
    .bind(levels)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM classification_levels WHERE dimension = $1")
        .bind(dimension)
        .execute(&mut *conn)
        .await?;
    for level in &scale.levels {
        sqlx::query(
            "INSERT INTO classification_levels (dimension, code, name, rank, restricted, existence_visible) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(dimension)
        .bind(&level.code)
        .bind(&level.name)
        .bind(i64::from(level.rank))
        .bind(i64::from(level.rules.restricted))
        .bind(i64::from(level.rules.existence_visible))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The flags of an asset under the scales and segments given.
struct Judge {
    scales: Scales,
    segments: Vec<SegmentEntry>,
    plain: Vec<Segment>,
}

impl Judge {
    async fn load(conn: &mut AnyConnection) -> Result<Self> {
        let scales = load_scales(conn).await?;
        let segments = load_segments(conn).await?;
        let plain = segments.iter().map(|s| s.segment.clone()).collect();
        Ok(Self {
            scales,
            segments,
            plain,
        })
    }

    fn code(&self, id: Option<SegmentId>) -> Result<Option<&str>> {
        match id {
            None => Ok(None),
            Some(id) => self
                .segments
                .iter()
                .find(|s| s.id == id)
                .map(|s| Some(s.segment.code.as_str()))
                .ok_or(StoreError::Conflict(Conflict::AssetSegmentMissing)),
        }
    }

    fn flags(
        &self,
        classification: &Classification,
        segment: Option<SegmentId>,
        addresses: &[IpAddr],
        lifecycle: Lifecycle,
        disposal: Option<&Disposal>,
    ) -> Result<Vec<Flag>> {
        let facts = AssetFacts {
            classification,
            segment: self.code(segment)?,
            addresses,
            lifecycle,
            disposal,
        };
        Ok(asset::flags(&facts, &self.scales, &self.plain))
    }

    /// The rank the register sorts by: the confidentiality level's, unknown levels first.
    fn class_rank(&self, classification: &Classification) -> i64 {
        self.scales
            .confidentiality
            .level(&classification.confidentiality)
            .map_or(UNKNOWN_RANK, |l| i64::from(l.rank))
    }

    fn check_levels(&self, classification: &Classification) -> Result<Classification> {
        // Stored with the scale's own spelling of the code (`3a` → `3A`).
        let levels = classification
            .levels(&self.scales)
            .map_err(|_| StoreError::Conflict(Conflict::AssetUnknownLevel))?;
        Ok(Classification {
            confidentiality: levels[0].code.clone(),
            integrity: levels[1].code.clone(),
            availability: levels[2].code.clone(),
        })
    }
}

/// Where an unknown confidentiality level sorts: above every level.
const UNKNOWN_RANK: i64 = 1000;

/// Binds `$1` to `$20` of an asset row, in the column order the insert and the update share:
/// kind … note, the three levels, flags, flagged, the time, class rank.
fn bind_row<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    asset: &'q NewAsset,
    lifecycle: Lifecycle,
    classification: &'q Classification,
    flags: &[Flag],
    now: i64,
    judge: &Judge,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let input = &asset.input;
    let disposal = asset.disposal.as_ref();
    query
        .bind(input.kind.as_str())
        .bind(input.name.as_str())
        .bind(input.owner_unit.0)
        .bind(input.administrator.map(|p| p.0))
        .bind(&input.location)
        .bind(input.segment.map(|s| s.0))
        .bind(input.hosts.join("\n"))
        .bind(join_addresses(&input.addresses))
        .bind(lifecycle.as_str())
        .bind(disposal.map(|d| d.method.as_str()))
        .bind(disposal.map(|d| d.by.as_str()))
        .bind(disposal.map(|d| d.at_ms))
        .bind(&input.note)
        .bind(&classification.confidentiality)
        .bind(&classification.integrity)
        .bind(&classification.availability)
        .bind(flags_text(flags))
        .bind(i64::from(!flags.is_empty()))
        .bind(now)
        .bind(judge.class_rank(classification))
}

fn flags_text(flags: &[Flag]) -> String {
    serde_json::to_string(flags).unwrap_or_else(|_| "[]".to_owned())
}

/// What the tallies count of one asset: the facets a list filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Counted {
    kind: AssetKind,
    lifecycle: Lifecycle,
    classification: Classification,
    segment: Option<i64>,
    unit: i64,
    flagged: bool,
}

impl Counted {
    fn of(asset: &Asset) -> Self {
        Self {
            kind: asset.kind,
            lifecycle: asset.lifecycle,
            classification: asset.classification.clone(),
            segment: asset.segment_id.map(|s| s.0),
            unit: asset.owner_unit_id.0,
            flagged: !asset.flags.is_empty(),
        }
    }

    /// From a row with the asset's `kind`, `lifecycle`, levels, `segment_id` and
    /// `owner_unit_id`, flagged as said.
    fn from_row(row: &AnyRow, flagged: bool) -> Result<Self> {
        Ok(Self {
            kind: kind_of(row)?,
            lifecycle: lifecycle_of(row)?,
            classification: classification_from(row)?,
            segment: opt_id(row, "segment_id")?,
            unit: row.try_get("owner_unit_id")?,
            flagged,
        })
    }

    /// Each facet the asset counts under and its code there, in the facets' order.
    fn facets(&self) -> Vec<(&'static str, String)> {
        let c = &self.classification;
        let mut facets = vec![
            ("availability", c.availability.clone()),
            ("confidentiality", c.confidentiality.clone()),
        ];
        if self.flagged {
            facets.push(("flagged", String::new()));
        }
        facets.extend([
            ("integrity", c.integrity.clone()),
            ("kind", self.kind.as_str().to_owned()),
            ("lifecycle", self.lifecycle.as_str().to_owned()),
            (
                "segment",
                self.segment.map(|s| s.to_string()).unwrap_or_default(),
            ),
            ("unit", self.unit.to_string()),
        ]);
        facets
    }
}

/// The tally of the assets under two facets at once (`facets` in the facets' order): its
/// facet `a+b` and code `x/y`. Codes are level codes (ASCII letters and digits), the codes of
/// kinds and lifecycles, and ids, so neither separator can occur inside one.
fn pair_tally(a: &(&str, String), b: &(&str, String)) -> (String, String) {
    (format!("{}+{}", a.0, b.0), format!("{}/{}", a.1, b.1))
}

/// The changes one write makes to the counts (`asset_tallies`), written just before the write
/// commits: the whole register, each facet a list filters on, and each pair of them, so that
/// the total of a list with one filter or two is read rather than counted. Every statement that
/// adds, removes or changes an asset's kind, lifecycle, level, segment, unit or flags goes with a
/// change here; the conformance suite recounts the register to hold this.
#[derive(Default)]
struct Tally(std::collections::BTreeMap<(String, String), i64>);

impl Tally {
    fn bump(&mut self, facet: String, code: String, by: i64) {
        *self.0.entry((facet, code)).or_default() += by;
    }

    fn count(&mut self, asset: &Counted, by: i64) {
        self.bump("total".to_owned(), String::new(), by);
        let facets = asset.facets();
        for (i, a) in facets.iter().enumerate() {
            self.bump(a.0.to_owned(), a.1.clone(), by);
            for b in &facets[i + 1..] {
                let (facet, code) = pair_tally(a, b);
                self.bump(facet, code, by);
            }
        }
    }

    fn add(&mut self, asset: &Counted) {
        self.count(asset, 1);
    }

    fn change(&mut self, before: &Counted, after: &Counted) {
        if before != after {
            self.count(before, -1);
            self.count(after, 1);
        }
    }

    /// Up to `TALLIES_AT_ONCE` changed counts a statement: one asset's write changes up to 72
    /// (the 36 tallies it leaves and the 36 it joins; the total cancels out).
    async fn write(self, conn: &mut AnyConnection) -> Result<()> {
        const TALLIES_AT_ONCE: usize = 100;
        let changed: Vec<_> = self.0.into_iter().filter(|(_, by)| *by != 0).collect();
        for chunk in changed.chunks(TALLIES_AT_ONCE) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect();
            let sql = format!(
                "INSERT INTO asset_tallies (facet, code, n) VALUES {} \
                 ON CONFLICT (facet, code) DO UPDATE SET n = asset_tallies.n + excluded.n",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for ((facet, code), by) in chunk {
                query = query.bind(facet.as_str()).bind(code.as_str()).bind(*by);
            }
            // Written whole, not kept: its text varies with how many counts changed.
            query.persistent(false).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// The tally that counts the assets `filter` selects, when it is one: for someone who sees the
/// whole register, no filter, or one or two filters without a text.
fn tallied(visibility: &AssetVisibility, filter: &AssetFilter) -> Option<(String, String)> {
    let text = filter.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if !matches!(visibility, AssetVisibility::All) || text {
        return None;
    }
    // In the facets' order, as `Counted::facets` gives them.
    let facets: Vec<(&str, String)> = [
        ("availability", filter.availability.clone()),
        ("confidentiality", filter.confidentiality.clone()),
        ("flagged", filter.flagged_only.then(String::new)),
        ("integrity", filter.integrity.clone()),
        ("kind", filter.kind.map(|k| k.as_str().to_owned())),
        ("lifecycle", filter.lifecycle.map(|l| l.as_str().to_owned())),
        ("segment", filter.segment.map(|s| s.0.to_string())),
        ("unit", filter.owner_unit.map(|u| u.0.to_string())),
    ]
    .into_iter()
    .filter_map(|(facet, code)| Some((facet, code?)))
    .collect();
    match facets.as_slice() {
        [] => Some(("total".to_owned(), String::new())),
        [(facet, code)] => Some(((*facet).to_owned(), code.clone())),
        [a, b] => Some(pair_tally(a, b)),
        _ => None,
    }
}

/// A code of a closed set (an enum's `as_str`) as an SQL string literal.
fn code_literal(code: &'static str) -> String {
    assert!(
        code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "not a code: {code}"
    );
    format!("'{code}'")
}

/// The most rows a second, longer stretch of an order's index walks before a search reads every
/// candidate of its index instead (about 10 ms of checks).
const LONGEST_STRETCH: i64 = 16_000;

/// The columns the free-text search looks in.
const SEARCHED: [&str; 5] = ["name", "location", "hosts", "addresses", "note"];

/// The characters of an asset's searched columns in `table`, ASCII letters folded as a search
/// folds them: the expression of PostgreSQL's index `assets_search_chars` (migration 28),
/// written out again as it must be for the index to answer a query.
fn pg_characters(table: &str) -> String {
    let joined = SEARCHED
        .iter()
        .map(|column| format!("{table}.{column}"))
        .collect::<Vec<_>>()
        .join(" || ' ' || ");
    format!("string_to_array(lower(({joined}) COLLATE \"C\"), NULL)")
}

/// How a listing's query finds the rows of a free-text search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextPlan {
    /// Every row the query reads is tested: for a page read in its order's index, which finds
    /// its rows early when many assets match, and for a text no index answers.
    Test,
    /// Only the search index's candidates are read. SQLite: one by one, straight from the
    /// index the probe names (the query reads it joined to `a`, see [`search_from`]), so that a
    /// count that stops at its cap stops reading too. PostgreSQL: every candidate of its
    /// trigram indexes, collected first.
    Candidates,
}

/// The `FROM` of a listing's query read as `plan` says: on SQLite, a search by an index reads
/// the index's candidates joined to the register.
fn search_from(plan: TextPlan, probe: Option<&Probe>, joins: &str) -> String {
    match (plan, probe) {
        (TextPlan::Candidates, Some(Probe { index, .. })) => {
            format!("FROM {index} JOIN assets a ON a.id = {index}.rowid {joins}")
        }
        _ => format!("FROM assets a {joins}"),
    }
}

/// The condition of a free-text search: `text` anywhere in one of the searched columns, ASCII
/// letters in either case (what SQLite's `LIKE` has always matched, and now PostgreSQL's too),
/// every other character as it is; `%`, `_` and `\` are literal.
///
/// SQLite finds candidates through an FTS5 index, asking it `probe` (the trigram index for one
/// trigram of the text or its phrase, the pair index for a text of one or two characters: see
/// `probe`), and checks each with `LIKE`; with no probe, the text is matched by `LIKE` over the
/// rows read. PostgreSQL matches by `LIKE` on
/// `lower(column COLLATE "C")`, which folds ASCII letters only, and which its trigram (GIN)
/// indexes cover; a text of one or two characters with a rare one among them (`narrow`) by its
/// index of characters. `plan` says which rows the query reads (see [`TextPlan`]); what matches is
/// the same whichever it is.
///
/// `covered` is the condition under which the caller may read an asset's details: where it does
/// not hold, only the name (which the listing shows) is searched, so a search never tells what a
/// hidden field holds.
fn text_condition(
    backend: Backend,
    text: &str,
    covered: Option<&str>,
    args: &mut Vec<Arg>,
    plan: TextPlan,
    probe: Option<&Probe>,
    narrow: bool,
) -> String {
    // No stored text can hold NUL (PostgreSQL refuses it), so nothing matches.
    if text.contains('\0') {
        return "1 = 0".to_owned();
    }
    // Each column's test, joined: every column where details are readable, the name elsewhere.
    let join = |test: &dyn Fn(&str) -> String| -> String {
        let all = SEARCHED
            .iter()
            .map(|c| test(c))
            .collect::<Vec<_>>()
            .join(" OR ");
        match covered {
            None => all,
            Some(covered) => {
                let details = SEARCHED[1..]
                    .iter()
                    .map(|c| test(c))
                    .collect::<Vec<_>>()
                    .join(" OR ");
                format!("{} OR (({covered}) AND ({details}))", test(SEARCHED[0]))
            }
        }
    };
    match backend {
        Backend::Sqlite => {
            // Each candidate is checked exactly: by LIKE, which folds ASCII letters; a text too
            // long for a LIKE pattern (SQLite refuses patterns over 50,000 bytes) by `instr`
            // over the column with its ASCII letters folded (SQLite's LOWER folds only those).
            let check = if text.len() <= 10_000 {
                args.push(Arg::Text(contains_pattern(text)));
                let n = args.len();
                join(&|column| format!("a.{column} LIKE ${n} ESCAPE '\\'"))
            } else {
                args.push(Arg::Text(text.to_ascii_lowercase()));
                let n = args.len();
                join(&|column| format!("instr(LOWER(a.{column}), ${n}) > 0"))
            };
            match (plan, probe) {
                (TextPlan::Candidates, Some(Probe { index, query })) => {
                    args.push(Arg::Text(query.clone()));
                    format!("{index} MATCH ${} AND ({check})", args.len())
                }
                _ => format!("({check})"),
            }
        }
        Backend::Postgres => {
            args.push(Arg::Text(contains_pattern(&text.to_ascii_lowercase())));
            let n = args.len();
            let folded = |table: &str, column: &str| {
                format!("lower({table}.{column} COLLATE \"C\") LIKE ${n}")
            };
            // A text of one or two characters has no trigram. When one of its characters is
            // rare (`narrow`, see `probe`), the index of every asset's characters (migration 28)
            // gives the few assets that hold each of them, in the page's own query; otherwise
            // each row read is tested.
            if narrow {
                let mut chars: Vec<char> = text.to_ascii_lowercase().chars().collect();
                chars.sort_unstable();
                chars.dedup();
                let each: Vec<String> = chars
                    .into_iter()
                    .map(|c| {
                        args.push(Arg::Text(c.to_string()));
                        format!("${}", args.len())
                    })
                    .collect();
                return format!(
                    "({} @> ARRAY[{}]::text[] AND ({}))",
                    pg_characters("a"),
                    each.join(", "),
                    join(&|column| folded("a", column))
                );
            }
            if plan == TextPlan::Test {
                return format!("({})", join(&|column| folded("a", column)));
            }
            // The matching ids are collected first, through the indexes, and the query reads
            // those: with the test in the outer query, the planner may walk the page's order
            // expecting matches spread through the register, and test most of it when they
            // are not (10,000 matches at its end: a second a page).
            let like = SEARCHED
                .iter()
                .map(|column| folded("t", column))
                .collect::<Vec<_>>()
                .join(" OR ");
            let candidates = format!("a.id = ANY(ARRAY(SELECT t.id FROM assets t WHERE {like}))");
            match covered {
                None => candidates,
                Some(covered) => format!(
                    "{candidates} AND (({covered}) OR {})",
                    folded("a", SEARCHED[0])
                ),
            }
        }
    }
}

/// Checks that what an asset refers to exists.
async fn check_refs(conn: &mut AnyConnection, input: &AssetInput) -> Result<()> {
    let unit = sqlx::query("SELECT id FROM units WHERE id = $1")
        .bind(input.owner_unit.0)
        .fetch_optional(&mut *conn)
        .await?;
    if unit.is_none() {
        return Err(StoreError::Conflict(Conflict::AssetUnitMissing));
    }
    if let Some(person) = input.administrator {
        let found = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(person.0)
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(StoreError::Conflict(Conflict::AssetAdministratorMissing));
        }
    }
    Ok(())
}

async fn insert_asset(
    conn: &mut AnyConnection,
    judge: &Judge,
    tally: &mut Tally,
    asset: &NewAsset,
    now: i64,
) -> Result<i64> {
    let classification = judge.check_levels(&asset.classification)?;
    let input = &asset.input;
    let lifecycle = if asset.disposal.is_some() {
        Lifecycle::Disposed
    } else {
        input.lifecycle
    };
    let flags = judge.flags(
        &classification,
        input.segment,
        &input.addresses,
        lifecycle,
        asset.disposal.as_ref(),
    )?;
    let query = sqlx::query(
        "INSERT INTO assets (kind, name, owner_unit_id, administrator_id, location, segment_id, hosts, \
         addresses, lifecycle, disposal_method, disposal_by, disposal_at, note, confidentiality, \
         integrity, availability, flags, flagged, created_at, updated_at, class_rank) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $20) \
         RETURNING id",
    );
    let row = bind_row(query, asset, lifecycle, &classification, &flags, now, judge)
        .fetch_one(&mut *conn)
        .await?;
    tally.add(&Counted {
        kind: input.kind,
        lifecycle,
        classification,
        segment: input.segment.map(|s| s.0),
        unit: input.owner_unit.0,
        flagged: !flags.is_empty(),
    });
    Ok(row.try_get("id")?)
}

/// Gives a registered asset everything an imported row says about it; `false` (and no write)
/// when the row says nothing new.
async fn rewrite_asset(
    conn: &mut AnyConnection,
    judge: &Judge,
    tally: &mut Tally,
    before: &Asset,
    asset: &NewAsset,
    now: i64,
) -> Result<bool> {
    let classification = judge.check_levels(&asset.classification)?;
    let input = &asset.input;
    let lifecycle = if asset.disposal.is_some() {
        Lifecycle::Disposed
    } else {
        input.lifecycle
    };
    let same = before.kind == input.kind
        && before.name == input.name.as_str()
        && before.owner_unit_id == input.owner_unit
        && before.administrator_id == input.administrator
        && before.location == input.location
        && before.segment_id == input.segment
        && before.hosts == input.hosts
        && before.addresses == input.addresses
        && before.lifecycle == lifecycle
        && before.disposal == asset.disposal
        && before.note == input.note
        && before.classification == classification;
    if same {
        return Ok(false);
    }
    let mut flags = judge.flags(
        &classification,
        input.segment,
        &input.addresses,
        lifecycle,
        asset.disposal.as_ref(),
    )?;
    // A row that sets the class is a reclassification: only then does a split review end.
    if before.classification == classification {
        asset::carry_review(&before.flags, &mut flags);
    }
    let query = sqlx::query(
        "UPDATE assets SET kind = $1, name = $2, owner_unit_id = $3, administrator_id = $4, \
         location = $5, segment_id = $6, hosts = $7, addresses = $8, lifecycle = $9, \
         disposal_method = $10, disposal_by = $11, disposal_at = $12, note = $13, \
         confidentiality = $14, integrity = $15, availability = $16, flags = $17, flagged = $18, \
         updated_at = $19, class_rank = $20 WHERE id = $21",
    );
    bind_row(query, asset, lifecycle, &classification, &flags, now, judge)
        .bind(before.id.0)
        .execute(&mut *conn)
        .await?;
    tally.change(
        &Counted::of(before),
        &Counted {
            kind: input.kind,
            lifecycle,
            classification,
            segment: input.segment.map(|s| s.0),
            unit: input.owner_unit.0,
            flagged: !flags.is_empty(),
        },
    );
    Ok(true)
}

/// Which assets a re-flagging looks at.
enum Reflag<'a> {
    All,
    Segment(SegmentId),
    /// The assets of one level of one dimension.
    Level(Dimension, &'a str),
}

/// Recomputes the flags of every asset (or of those in one segment, or of one level) and stores
/// those that changed.
async fn reflag(
    conn: &mut AnyConnection,
    judge: &Judge,
    tally: &mut Tally,
    which: Reflag<'_>,
) -> Result<()> {
    let base = "SELECT id, kind, owner_unit_id, segment_id, addresses, lifecycle, \
                disposal_method, disposal_by, disposal_at, confidentiality, integrity, \
                availability, flags, flagged, class_rank FROM assets";
    let rows = match which {
        Reflag::Segment(id) => {
            sqlx::query(&format!("{base} WHERE segment_id = $1"))
                .bind(id.0)
                .fetch_all(&mut *conn)
                .await?
        }
        // The column is named by the dimension itself, never by outside text.
        Reflag::Level(dimension, code) => {
            sqlx::query(&format!("{base} WHERE {} = $1", dimension.as_str()))
                .bind(code)
                .fetch_all(&mut *conn)
                .await?
        }
        Reflag::All => sqlx::query(base).fetch_all(&mut *conn).await?,
    };
    for row in rows {
        let addresses: String = row.try_get("addresses")?;
        let classification = classification_from(&row)?;
        let rank = judge.class_rank(&classification);
        let mut flags = judge.flags(
            &classification,
            opt_id(&row, "segment_id")?.map(SegmentId),
            &parse_addresses(&addresses)?,
            lifecycle_of(&row)?,
            disposal_from(&row)?.as_ref(),
        )?;
        let before: String = row.try_get("flags")?;
        let was: Vec<Flag> = serde_json::from_str(&before).map_err(|_| decode("flags"))?;
        asset::carry_review(&was, &mut flags);
        let text = flags_text(&flags);
        if before != text || row.try_get::<i64, _>("class_rank")? != rank {
            sqlx::query(
                "UPDATE assets SET flags = $1, flagged = $2, class_rank = $3 WHERE id = $4",
            )
            .bind(text)
            .bind(i64::from(!flags.is_empty()))
            .bind(rank)
            .bind(row.try_get::<i64, _>("id")?)
            .execute(&mut *conn)
            .await?;
            let was = row.try_get::<i64, _>("flagged")? != 0;
            tally.change(
                &Counted::from_row(&row, was)?,
                &Counted::from_row(&row, !flags.is_empty())?,
            );
        }
    }
    Ok(())
}

/// `IN (…)` of ids, or a condition that is never true for none.
fn in_ids(column: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        "1 = 0".to_owned()
    } else {
        let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
        format!("{column} IN ({})", list.join(", "))
    }
}

impl SqlStore {
    /// Writes the MIC default scales into a database that has none yet. This is the schema's
    /// starting data, as a migration would write it, so it has no audit record.
    pub(super) async fn initialise_scales(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        let present = sqlx::query("SELECT COUNT(*) AS n FROM classification_scales")
            .fetch_one(&mut *conn)
            .await?
            .try_get::<i64, _>("n")?;
        if present > 0 {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        let defaults = Scales::mic_default(false);
        for dimension in Dimension::ALL {
            let scale = defaults.get(dimension);
            let taken = sqlx::query(
                "INSERT INTO classification_scales (dimension, levels, updated_at) VALUES ($1, $2, 0) \
                 ON CONFLICT (dimension) DO NOTHING",
            )
            .bind(dimension.as_str())
            .bind(serde_json::to_string(&scale.levels).map_err(|_| decode("scale"))?)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 1 {
                write_scale(&mut tx, scale, 0).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refreshes the planner's statistics of the register after an import, so that a list
    /// filtered on several facets picks the index that fits them (SQLite keeps no statistics
    /// until asked; PostgreSQL's autovacuum would catch up later). The import has committed by
    /// then, so a failure here is only logged.
    async fn analyze_register(&self) {
        if let Err(err) = sqlx::query("ANALYZE assets").execute(&self.pool).await {
            tracing::warn!(error = %err, "ANALYZE of the asset register failed");
        }
    }

    async fn fetch_asset_in(conn: &mut AnyConnection, id: AssetId) -> Result<Asset> {
        sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS} FROM {ASSET_FROM} WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(asset_from)
        .transpose()?
        .ok_or(StoreError::NotFound)
    }
}

async fn fetch_segment(conn: &mut AnyConnection, id: SegmentId) -> Result<Option<SegmentEntry>> {
    sqlx::query("SELECT id, code, name, ranges, note FROM segments WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(segment_from)
        .transpose()
}

fn asset_brief(asset: &Asset) -> serde_json::Value {
    serde_json::json!({
        "name": asset.name,
        "kind": asset.kind,
        "owner_unit_id": asset.owner_unit_id,
        "segment": asset.segment_code,
        "lifecycle": asset.lifecycle,
        "classification": asset.classification,
    })
}

#[async_trait::async_trait]
impl AssetStore for SqlStore {
    async fn list_assets(
        &self,
        _: &Granted<ViewAssets>,
        visibility: &AssetVisibility,
        filter: &AssetFilter,
    ) -> Result<(Vec<AssetRow>, MatchCount)> {
        // The filters' conditions; `visible` joins them in every query.
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        // `covered`: the caller may read the asset's details. A filter or search on a field the
        // listing hides (segment, flags, location, hosts, addresses, note) matches only where it
        // holds, so that searching cannot read what the listing hides.
        let covered = match visibility {
            AssetVisibility::All => None,
            AssetVisibility::Some { units, orgs } => {
                let units: Vec<i64> = units.iter().map(|u| u.0).collect();
                let orgs: Vec<i64> = orgs.iter().map(|o| o.0).collect();
                Some(format!(
                    "COALESCE(cl.restricted, 1) = 0 OR {} OR {}",
                    in_ids("a.owner_unit_id", &units),
                    in_ids("u.org_id", &orgs)
                ))
            }
        };
        let (visible, hidden) = match &covered {
            None => ("1 = 1".to_owned(), "0".to_owned()),
            Some(covered) => (
                format!("({covered} OR COALESCE(cl.existence_visible, 0) = 1)"),
                format!("CASE WHEN {covered} THEN 0 ELSE 1 END"),
            ),
        };
        let only_covered = |clause: String| match &covered {
            None => clause,
            Some(covered) => format!("{clause} AND ({covered})"),
        };
        // Kind and lifecycle are written into the statement rather than bound: SQLite plans a
        // statement without its bound values (see `.cargo/config.toml`), and these two are where
        // the value decides the plan (nearly every asset is in use, a few are disposed). A
        // closed set of codes keeps the kept statements few.
        if let Some(kind) = filter.kind {
            clauses.push(format!("a.kind = {}", code_literal(kind.as_str())));
        }
        if let Some(unit) = filter.owner_unit {
            args.push(Arg::Int(unit.0));
            clauses.push(format!("a.owner_unit_id = ${}", args.len()));
        }
        if let Some(segment) = filter.segment {
            args.push(Arg::Int(segment.0));
            clauses.push(only_covered(format!("a.segment_id = ${}", args.len())));
        }
        for (column, value) in [
            ("a.confidentiality", &filter.confidentiality),
            ("a.integrity", &filter.integrity),
            ("a.availability", &filter.availability),
        ] {
            if let Some(code) = value {
                args.push(Arg::Text(code.clone()));
                clauses.push(format!("{column} = ${}", args.len()));
            }
        }
        if let Some(lifecycle) = filter.lifecycle {
            clauses.push(format!(
                "a.lifecycle = {}",
                code_literal(lifecycle.as_str())
            ));
        }
        if filter.flagged_only {
            clauses.push(only_covered("a.flagged = 1".to_owned()));
        }
        let text = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        // What SQLite's search indexes are asked for the text.
        let probe = match text {
            Some(text) if self.backend == Backend::Sqlite => self.search_probe(text).await?,
            _ => None,
        };
        let probe = probe.as_ref();
        // Whether PostgreSQL's index of characters is asked for the text.
        let narrow = match text {
            Some(text) if self.backend == Backend::Postgres => {
                self.narrows_by_characters(text).await?
            }
            _ => false,
        };
        // The filters' conditions and the search's, read as `plan` says, with their arguments.
        let conditions = |plan: TextPlan| {
            let mut args: Vec<Arg> = args.iter().map(clone_arg).collect();
            let search = text.map(|text| {
                text_condition(
                    self.backend,
                    text,
                    covered.as_deref(),
                    &mut args,
                    plan,
                    probe,
                    narrow,
                )
            });
            let all: Vec<&str> = std::iter::once(visible.as_str())
                .chain(clauses.iter().map(String::as_str))
                .collect();
            (all.join(" AND "), search, args)
        };
        let where_sql = |plan: TextPlan| {
            let (filters, search, args) = conditions(plan);
            match search {
                Some(search) => (format!("WHERE {filters} AND {search}"), args),
                None => (format!("WHERE {filters}"), args),
            }
        };
        // The count joins only what its conditions name: for someone who sees everything, the
        // register alone.
        let count_joins = match visibility {
            AssetVisibility::All => String::new(),
            AssetVisibility::Some { .. } => {
                format!("JOIN units u ON u.id = a.owner_unit_id {LEVEL_JOIN}")
            }
        };
        let offset = filter.offset.max(0);
        let limit = filter.limit.clamp(1, 500);
        // PostgreSQL plans a search with its text each time rather than with a kept statement's
        // generic plan, which knows nothing of how many rows the text matches.
        let keep_statements = text.is_none() || self.backend == Backend::Sqlite;
        // Matches are counted up to `cap`, one past it saying that more match.
        let cap = offset.saturating_add(COUNT_AHEAD);
        let count = async |plan: TextPlan| -> Result<MatchCount> {
            let from = search_from(plan, probe, &count_joins);
            let (where_sql, args) = where_sql(plan);
            let n: i64 = bind_all(
                sqlx::query(&format!(
                    "SELECT COUNT(*) AS n FROM (SELECT 1 {from} {where_sql} LIMIT {}) c",
                    cap + 1
                )),
                args,
            )
            .persistent(keep_statements)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
            Ok(MatchCount {
                n: n.min(cap),
                more: n > cap,
            })
        };
        // What is known of the count before the page is read. On SQLite a text an index answers
        // is counted first, streaming from the index, because the count tells how to read the
        // page; anything else is read page first, and counted only when the page is full.
        let sqlite_text = probe.is_some();
        // How a listing is read where no count chose: a text with a trigram through its
        // indexes' candidates (PostgreSQL), anything else as its filters say.
        let plan = if text.is_some_and(has_trigram) {
            TextPlan::Candidates
        } else {
            TextPlan::Test
        };
        let known = match tallied(visibility, filter) {
            Some((facet, code)) => {
                let n = sqlx::query("SELECT n FROM asset_tallies WHERE facet = $1 AND code = $2")
                    .bind(facet)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|row| row.try_get("n"))
                    .transpose()?
                    .unwrap_or(0);
                Some(MatchCount { n, more: false })
            }
            None if sqlite_text => Some(count(TextPlan::Candidates).await?),
            None => None,
        };
        let order = match filter.sort {
            // Within one confidentiality level every row has the same rank: ordering by name lets
            // the (confidentiality, name, id) index deliver the page without a sort.
            AssetSort::Class if filter.confidentiality.is_some() => "a.name, a.id",
            AssetSort::Name => "a.name, a.id",
            AssetSort::Kind => "a.kind, a.name, a.id",
            AssetSort::Class => "a.class_rank DESC, a.name, a.id",
            AssetSort::Updated => "a.updated_at DESC, a.id DESC",
        };
        // The page's ids are chosen reading the register alone, then its rows are read with
        // their names: a sort of many matches carries ids, not the joined rows.
        let page = async |ids: String, args: Vec<Arg>| -> Result<Vec<AnyRow>> {
            let sql = format!(
                "SELECT a.id, a.kind, a.name, a.owner_unit_id, u.name AS owner_unit_name, \
                 s.code AS segment_code, s.name AS segment_name, a.lifecycle, \
                 a.confidentiality, a.integrity, a.availability, a.flagged, a.updated_at, \
                 {hidden} AS hidden FROM assets a JOIN units u ON u.id = a.owner_unit_id \
                 {LEVEL_JOIN} LEFT JOIN segments s ON s.id = a.segment_id \
                 WHERE a.id IN ({ids}) ORDER BY {order}"
            );
            Ok(bind_all(sqlx::query(&sql), args)
                .persistent(keep_statements)
                .fetch_all(&self.pool)
                .await?)
        };
        let ordered = |plan: TextPlan| {
            let (where_sql, args) = where_sql(plan);
            let from = search_from(plan, probe, &count_joins);
            (
                format!(
                    "SELECT a.id {from} {where_sql} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
                ),
                args,
            )
        };
        // The page's ids from a stretch of the order's index (`where_sql` selects the rows it
        // walks), each row tested by `hit`: the page when the stretch holds enough matches.
        // SQLite reads a subquery with its own order and limit as a coroutine, in that order, so
        // the stretch is read only as far as the page's last match (the page is sorted again
        // when read); PostgreSQL is told the order again.
        let window = offset.saturating_add(limit).saturating_mul(20);
        let stretch = |hit: &str, where_sql: &str, window: i64| {
            let reorder = match self.backend {
                Backend::Sqlite => String::new(),
                Backend::Postgres => format!("ORDER BY {order}"),
            };
            format!(
                "SELECT id FROM (SELECT a.id, a.name, a.kind, a.class_rank, a.updated_at, \
                 CASE WHEN {hit} THEN 1 ELSE 0 END AS hit FROM assets a {count_joins} \
                 WHERE {where_sql} ORDER BY {order} LIMIT {window}) a \
                 WHERE hit = 1 {reorder} LIMIT {limit} OFFSET {offset}"
            )
        };
        // Whether a filter's index already gives the page's order: by name, each filter's index
        // holds (column, name, id); by kind with a kind filter, the kind index does.
        let order_of_a_filter = order.starts_with("a.name,")
            || (filter.kind.is_some() && filter.sort == AssetSort::Kind);
        let rows = match known {
            // Nothing to read past the last match.
            Some(total) if !total.more && total.n <= offset => Vec::new(),
            // Few matches of a text an index answers: the index's candidates, sorted.
            Some(total) if sqlite_text && !total.more => {
                let (ids, args) = ordered(TextPlan::Candidates);
                page(ids, args).await?
            }
            // Many: first a stretch of the order's index, each row tested, which holds the page
            // when the matches are spread through the register. Where they are not, a stretch
            // of the index's candidates in the page's order, read with their sort keys alone and
            // checked after the sort, which holds it when most candidates match; else every
            // candidate, checked and sorted.
            Some(_) if sqlite_text => {
                let (filters, search, mut args) = conditions(TextPlan::Test);
                // Without a search every row is a match.
                let search = search.unwrap_or_else(|| "1 = 1".to_owned());
                let walked = stretch(&search, &filters, window);
                let mut rows = page(walked, args.iter().map(clone_arg).collect()).await?;
                // A stretch that held some of the page: if the matches are spread evenly, the
                // page's last one is about as far on as they say (half as far again, to be
                // safe), and a longer stretch that reaches it costs less than reading every
                // candidate. Twice, four or eight times as long, so that the kept statements stay
                // few, and never past `LONGEST_STRETCH` rows.
                let held = rows.len() as i64;
                if held > 0 && held < limit {
                    let reach = window
                        .saturating_mul(offset.saturating_add(limit))
                        .saturating_mul(3)
                        / offset.saturating_add(held).saturating_mul(2);
                    if let Some(longer) = [2, 4, 8]
                        .map(|k| window.saturating_mul(k))
                        .into_iter()
                        .find(|w| *w >= reach && *w <= LONGEST_STRETCH)
                    {
                        let walked = stretch(&search, &filters, longer);
                        rows = page(walked, args.iter().map(clone_arg).collect()).await?;
                    }
                }
                if let Some(Probe { index, query }) = probe
                    && (rows.len() as i64) < limit
                {
                    args.push(Arg::Text(query.clone()));
                    let from = search_from(TextPlan::Candidates, probe, &count_joins);
                    let candidates = format!(
                        "SELECT a.id FROM (SELECT a.id {from} WHERE {filters} \
                         AND {index} MATCH ${} ORDER BY {order} LIMIT {window}) w \
                         JOIN assets a ON a.id = w.id {count_joins} WHERE {search} \
                         ORDER BY {order} LIMIT {limit} OFFSET {offset}",
                        args.len()
                    );
                    rows = page(candidates, args).await?;
                }
                if (rows.len() as i64) < limit {
                    let (ids, args) = ordered(TextPlan::Candidates);
                    rows = page(ids, args).await?;
                }
                rows
            }
            // Filters under an order of another index (newest first, by kind, by class): the
            // planner reads every match through the filter's index and sorts them, a second a
            // page when most assets match. A stretch of the order's index, each row tested,
            // holds the page when the matches are many; where it does not, they are few, and the
            // planner's way is cheap. Deep pages are read the planner's way.
            _ if text.is_none()
                && !clauses.is_empty()
                && !order_of_a_filter
                && offset.saturating_add(limit) <= 1000 =>
            {
                let walked = stretch(&clauses.join(" AND "), &visible, window);
                let rows = page(walked, args.iter().map(clone_arg).collect()).await?;
                if rows.len() as i64 == limit {
                    rows
                } else {
                    let (ids, args) = ordered(plan);
                    page(ids, args).await?
                }
            }
            _ => {
                let (ids, args) = ordered(plan);
                page(ids, args).await?
            }
        };
        // A page that is not full holds the last match, unless it is an empty page past the
        // first: then where the matches end is not known, and they are counted.
        let read = rows.len() as i64;
        let total = match known {
            Some(total) => total,
            None if read < limit && (read > 0 || offset == 0) => MatchCount {
                n: offset + read,
                more: false,
            },
            None => count(plan).await?,
        };
        let list = rows
            .iter()
            .map(|row| {
                let hidden = row.try_get::<i64, _>("hidden")? != 0;
                Ok(AssetRow {
                    id: AssetId(row.try_get("id")?),
                    kind: kind_of(row)?,
                    name: row.try_get("name")?,
                    owner_unit_id: UnitId(row.try_get("owner_unit_id")?),
                    owner_unit_name: row.try_get("owner_unit_name")?,
                    segment_code: if hidden {
                        None
                    } else {
                        row.try_get("segment_code")?
                    },
                    segment_name: if hidden {
                        None
                    } else {
                        row.try_get("segment_name")?
                    },
                    lifecycle: lifecycle_of(row)?,
                    classification: classification_from(row)?,
                    flagged: !hidden && row.try_get::<i64, _>("flagged")? != 0,
                    detail_hidden: hidden,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((list, total))
    }

    async fn asset_place(&self, id: AssetId) -> Result<Option<AssetPlace>> {
        sqlx::query(&format!(
            "SELECT a.owner_unit_id, u.org_id, COALESCE(cl.restricted, 1) AS restricted, \
             COALESCE(cl.existence_visible, 0) AS existence_visible \
             FROM assets a JOIN units u ON u.id = a.owner_unit_id {LEVEL_JOIN} WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| -> Result<AssetPlace> {
            Ok(AssetPlace {
                asset: Some(id),
                owner_unit: Some(UnitId(row.try_get("owner_unit_id")?)),
                owner_org: Some(OrgId(row.try_get("org_id")?)),
                restricted: row.try_get::<i64, _>("restricted")? != 0,
                existence_visible: row.try_get::<i64, _>("existence_visible")? != 0,
            })
        })
        .transpose()
    }

    async fn asset(
        &self,
        _: &Granted<ViewAssetDetail>,
        id: AssetId,
        origin: &Origin,
    ) -> Result<Option<Asset>> {
        // The asset and whether its level is restricted, as `asset_place` says, in one read.
        let Some(row) = sqlx::query(&format!(
            "SELECT {ASSET_COLUMNS}, COALESCE(cl.restricted, 1) AS restricted \
             FROM {ASSET_FROM} {LEVEL_JOIN} WHERE a.id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let asset = asset_from(&row)?;
        if row.try_get::<i64, _>("restricted")? != 0 {
            self.record(
                origin
                    .event("asset.read", "asset", id)
                    .in_unit(Some(asset.owner_unit_id))
                    .with_detail(serde_json::json!({
                        "name": asset.name,
                        "confidentiality": asset.classification.confidentiality,
                    })),
            )
            .await?;
        }
        Ok(Some(asset))
    }

    async fn create_asset(
        &self,
        _: &Granted<ManageAssets>,
        asset: NewAsset,
        origin: &Origin,
    ) -> Result<Asset> {
        let mut write = self.begin_write().await?;
        check_refs(&mut write.tx, &asset.input).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let mut tally = Tally::default();
        let id = insert_asset(&mut write.tx, &judge, &mut tally, &asset, write.at_ms).await?;
        tally.write(&mut write.tx).await?;
        let created = Self::fetch_asset_in(&mut write.tx, AssetId(id)).await?;
        let event = origin
            .event("asset.create", "asset", id)
            .in_unit(Some(created.owner_unit_id))
            .with_detail(asset_brief(&created));
        self.commit(write, event).await?;
        Ok(created)
    }

    async fn update_asset(
        &self,
        _: &Granted<ManageAssets>,
        id: AssetId,
        input: AssetInput,
        origin: &Origin,
    ) -> Result<Asset> {
        let mut write = self.begin_write().await?;
        let before = Self::fetch_asset_in(&mut write.tx, id).await?;
        // 廃棄済み is the end of an asset's life: it does not come back into use.
        if before.lifecycle == Lifecycle::Disposed && input.lifecycle != Lifecycle::Disposed {
            return Err(StoreError::Conflict(Conflict::AssetDisposed));
        }
        check_refs(&mut write.tx, &input).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let mut flags = judge.flags(
            &before.classification,
            input.segment,
            &input.addresses,
            input.lifecycle,
            before.disposal.as_ref(),
        )?;
        asset::carry_review(&before.flags, &mut flags);
        sqlx::query(
            "UPDATE assets SET kind = $1, name = $2, owner_unit_id = $3, administrator_id = $4, \
             location = $5, segment_id = $6, hosts = $7, addresses = $8, lifecycle = $9, note = $10, \
             flags = $11, flagged = $12, updated_at = $13 WHERE id = $14",
        )
        .bind(input.kind.as_str())
        .bind(input.name.as_str())
        .bind(input.owner_unit.0)
        .bind(input.administrator.map(|p| p.0))
        .bind(&input.location)
        .bind(input.segment.map(|s| s.0))
        .bind(input.hosts.join("\n"))
        .bind(join_addresses(&input.addresses))
        .bind(input.lifecycle.as_str())
        .bind(&input.note)
        .bind(flags_text(&flags))
        .bind(i64::from(!flags.is_empty()))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let after = Self::fetch_asset_in(&mut write.tx, id).await?;
        let mut tally = Tally::default();
        tally.change(&Counted::of(&before), &Counted::of(&after));
        tally.write(&mut write.tx).await?;
        let event = origin
            .event("asset.update", "asset", id)
            .in_unit(Some(after.owner_unit_id))
            .with_detail(serde_json::json!({
                "before": asset_brief(&before),
                "after": asset_brief(&after),
            }));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn reclassify_asset(
        &self,
        _: &Granted<ManageAssets>,
        id: AssetId,
        classification: Classification,
        reason: &str,
        origin: &Origin,
    ) -> Result<Asset> {
        let mut write = self.begin_write().await?;
        let before = Self::fetch_asset_in(&mut write.tx, id).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let classification = judge.check_levels(&classification)?;
        let flags = judge.flags(
            &classification,
            before.segment_id,
            &before.addresses,
            before.lifecycle,
            before.disposal.as_ref(),
        )?;
        sqlx::query(
            "UPDATE assets SET confidentiality = $1, integrity = $2, availability = $3, flags = $4, \
             flagged = $5, updated_at = $6, class_rank = $7 WHERE id = $8",
        )
        .bind(&classification.confidentiality)
        .bind(&classification.integrity)
        .bind(&classification.availability)
        .bind(flags_text(&flags))
        .bind(i64::from(!flags.is_empty()))
        .bind(write.at_ms)
        .bind(judge.class_rank(&classification))
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let after = Self::fetch_asset_in(&mut write.tx, id).await?;
        let mut tally = Tally::default();
        tally.change(&Counted::of(&before), &Counted::of(&after));
        tally.write(&mut write.tx).await?;
        let event = origin
            .event("asset.reclassify", "asset", id)
            .in_unit(Some(after.owner_unit_id))
            .with_detail(serde_json::json!({
                "from": before.classification,
                "to": after.classification,
                "reason": reason,
            }));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn dispose_asset(
        &self,
        _: &Granted<ManageAssets>,
        id: AssetId,
        disposal: Disposal,
        origin: &Origin,
    ) -> Result<Asset> {
        let mut write = self.begin_write().await?;
        let before = Self::fetch_asset_in(&mut write.tx, id).await?;
        // A disposal record is written once; only one missing (as an import may bring) is filled.
        if before.lifecycle == Lifecycle::Disposed
            && !before.flags.contains(&Flag::DisposalUnrecorded)
        {
            return Err(StoreError::Conflict(Conflict::AssetDisposed));
        }
        let judge = Judge::load(&mut write.tx).await?;
        let mut flags = judge.flags(
            &before.classification,
            before.segment_id,
            &before.addresses,
            Lifecycle::Disposed,
            Some(&disposal),
        )?;
        asset::carry_review(&before.flags, &mut flags);
        sqlx::query(
            "UPDATE assets SET lifecycle = $1, disposal_method = $2, disposal_by = $3, disposal_at = $4, \
             flags = $5, flagged = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(Lifecycle::Disposed.as_str())
        .bind(&disposal.method)
        .bind(&disposal.by)
        .bind(disposal.at_ms)
        .bind(flags_text(&flags))
        .bind(i64::from(!flags.is_empty()))
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await?;
        let after = Self::fetch_asset_in(&mut write.tx, id).await?;
        let mut tally = Tally::default();
        tally.change(&Counted::of(&before), &Counted::of(&after));
        tally.write(&mut write.tx).await?;
        let event = origin
            .event("asset.dispose", "asset", id)
            .in_unit(Some(after.owner_unit_id))
            .with_detail(serde_json::json!({"name": after.name, "disposal": disposal}));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn import_assets(
        &self,
        _: &Granted<ManageRegister>,
        assets: Vec<NewAsset>,
        origin: &Origin,
    ) -> Result<Vec<AssetId>> {
        let mut write = self.begin_write().await?;
        let judge = Judge::load(&mut write.tx).await?;
        let units: Vec<i64> = sqlx::query("SELECT id FROM units")
            .fetch_all(&mut *write.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut people_checked: HashMap<i64, bool> = HashMap::new();
        let mut tally = Tally::default();
        let mut ids = Vec::with_capacity(assets.len());
        for asset in &assets {
            if !units.contains(&asset.input.owner_unit.0) {
                return Err(StoreError::Conflict(Conflict::AssetUnitMissing));
            }
            if let Some(person) = asset.input.administrator {
                let exists = match people_checked.get(&person.0) {
                    Some(known) => *known,
                    None => {
                        let found = sqlx::query("SELECT id FROM people WHERE id = $1")
                            .bind(person.0)
                            .fetch_optional(&mut *write.tx)
                            .await?
                            .is_some();
                        people_checked.insert(person.0, found);
                        found
                    }
                };
                if !exists {
                    return Err(StoreError::Conflict(Conflict::AssetAdministratorMissing));
                }
            }
            ids.push(AssetId(
                insert_asset(&mut write.tx, &judge, &mut tally, asset, write.at_ms).await?,
            ));
        }
        tally.write(&mut write.tx).await?;
        let event = origin
            .event("asset.import", "asset", "")
            .with_detail(serde_json::json!({
                "count": ids.len(),
                "first_id": ids.first(),
                "last_id": ids.last(),
            }));
        self.commit(write, event).await?;
        self.analyze_register().await;
        Ok(ids)
    }

    async fn import_assets_upsert(
        &self,
        _: &Granted<ManageRegister>,
        rows: Vec<ImportRow>,
        origin: &Origin,
    ) -> Result<ImportOutcome> {
        let mut write = self.begin_write().await?;
        let judge = Judge::load(&mut write.tx).await?;
        let units: std::collections::HashSet<i64> = sqlx::query("SELECT id FROM units")
            .fetch_all(&mut *write.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut people_checked: HashMap<i64, bool> = HashMap::new();
        let mut tally = Tally::default();
        let mut seen = std::collections::HashSet::new();
        let mut outcome = ImportOutcome::default();
        for row in &rows {
            let asset = &row.asset;
            if !units.contains(&asset.input.owner_unit.0) {
                return Err(StoreError::Conflict(Conflict::AssetUnitMissing));
            }
            if let Some(person) = asset.input.administrator {
                let exists = match people_checked.get(&person.0) {
                    Some(known) => *known,
                    None => {
                        let found = sqlx::query("SELECT id FROM people WHERE id = $1")
                            .bind(person.0)
                            .fetch_optional(&mut *write.tx)
                            .await?
                            .is_some();
                        people_checked.insert(person.0, found);
                        found
                    }
                };
                if !exists {
                    return Err(StoreError::Conflict(Conflict::AssetAdministratorMissing));
                }
            }
            let Some(id) = row.id else {
                outcome.created.push(AssetId(
                    insert_asset(&mut write.tx, &judge, &mut tally, asset, write.at_ms).await?,
                ));
                continue;
            };
            if !seen.insert(id.0) {
                return Err(StoreError::Conflict(Conflict::AssetImportDuplicateId));
            }
            let before = Self::fetch_asset_in(&mut write.tx, id).await?;
            if rewrite_asset(
                &mut write.tx,
                &judge,
                &mut tally,
                &before,
                asset,
                write.at_ms,
            )
            .await?
            {
                outcome.updated.push(id);
            } else {
                outcome.unchanged.push(id);
            }
        }
        tally.write(&mut write.tx).await?;
        let event = origin
            .event("asset.import", "asset", "")
            .with_detail(serde_json::json!({
                "count": outcome.created.len() + outcome.updated.len(),
                "created": outcome.created.len(),
                "updated": outcome.updated,
                "unchanged": outcome.unchanged.len(),
                "first_id": outcome.created.first(),
                "last_id": outcome.created.last(),
            }));
        self.commit(write, event).await?;
        self.analyze_register().await;
        Ok(outcome)
    }

    async fn all_assets(&self, _: &Granted<ManageRegister>) -> Result<Vec<Asset>> {
        sqlx::query(&all_assets_query())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(asset_from)
            .collect()
    }

    async fn export_assets(
        &self,
        _: &Granted<ManageRegister>,
        origin: &Origin,
    ) -> Result<Vec<Asset>> {
        let mut write = self.begin_write().await?;
        let assets = sqlx::query(&all_assets_query())
            .fetch_all(&mut *write.tx)
            .await?
            .iter()
            .map(asset_from)
            .collect::<Result<Vec<_>>>()?;
        let event = origin
            .event("asset.export", "asset", "")
            .with_detail(serde_json::json!({"count": assets.len()}));
        self.commit(write, event).await?;
        Ok(assets)
    }

    async fn asset_summary(&self, _: &Granted<ViewAssets>) -> Result<AssetSummary> {
        // The counts are kept with the register (`asset_tallies`); only the names are joined.
        let mut conn = self.pool.acquire().await?;
        let mut total = 0;
        let mut flagged = 0;
        let mut confidentiality = Vec::new();
        for row in sqlx::query(
            "SELECT facet, code, n FROM asset_tallies \
             WHERE facet IN ('total', 'flagged', 'confidentiality') AND n <> 0",
        )
        .fetch_all(&mut *conn)
        .await?
        {
            let facet: String = row.try_get("facet")?;
            let n: i64 = row.try_get("n")?;
            match facet.as_str() {
                "total" => total = n,
                "flagged" => flagged = n,
                _ => confidentiality.push((row.try_get::<String, _>("code")?, n)),
            }
        }
        let scales = load_scales(&mut conn).await?;
        let mut by_confidentiality: Vec<(u8, SummaryCount)> = confidentiality
            .into_iter()
            .map(|(key, count)| {
                let level = scales.confidentiality.level(&key);
                (
                    level.map_or(0, |l| l.rank),
                    SummaryCount {
                        label: level.map_or_else(
                            || format!("{}{key}", Dimension::Confidentiality.label()),
                            |l| l.name.clone(),
                        ),
                        key,
                        count,
                    },
                )
            })
            .collect();
        by_confidentiality.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.key.cmp(&b.1.key)));
        let by_segment = sqlx::query(
            "SELECT s.code AS k, s.name AS label, t.n AS n FROM asset_tallies t \
             LEFT JOIN segments s ON CAST(s.id AS TEXT) = t.code \
             WHERE t.facet = 'segment' AND t.n <> 0 ORDER BY t.n DESC, COALESCE(s.code, '')",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(SummaryCount {
                key: row.try_get::<Option<String>, _>("k")?.unwrap_or_default(),
                label: row
                    .try_get::<Option<String>, _>("label")?
                    .unwrap_or_default(),
                count: row.try_get("n")?,
            })
        })
        .collect::<Result<_>>()?;
        let by_owner_unit = sqlx::query(
            "SELECT u.id AS k, u.name AS label, t.n AS n FROM asset_tallies t \
             JOIN units u ON CAST(u.id AS TEXT) = t.code \
             WHERE t.facet = 'unit' AND t.n <> 0 ORDER BY t.n DESC, u.name",
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(SummaryCount {
                key: row.try_get::<i64, _>("k")?.to_string(),
                label: row.try_get("label")?,
                count: row.try_get("n")?,
            })
        })
        .collect::<Result<_>>()?;
        Ok(AssetSummary {
            total,
            flagged,
            by_confidentiality: by_confidentiality.into_iter().map(|(_, c)| c).collect(),
            by_segment,
            by_owner_unit,
        })
    }

    async fn list_segments(&self, _: &Granted<ViewAssets>) -> Result<Vec<SegmentEntry>> {
        self.reference_read(async {
            let mut conn = self.pool.acquire().await?;
            load_segments(&mut conn).await
        })
        .await
    }

    async fn segment(
        &self,
        _: &Granted<ViewAssets>,
        id: SegmentId,
    ) -> Result<Option<SegmentEntry>> {
        let mut conn = self.pool.acquire().await?;
        fetch_segment(&mut conn, id).await
    }

    async fn create_segment(
        &self,
        _: &Granted<ManageRegister>,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry> {
        let mut write = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO segments (code, name, ranges, note, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(&segment.code)
        .bind(segment.name.as_str())
        .bind(join_ranges(&segment))
        .bind(&segment.note)
        .bind(write.at_ms)
        .fetch_one(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::SegmentCodeTaken))?;
        let entry = SegmentEntry {
            id: SegmentId(row.try_get("id")?),
            segment,
        };
        let event = origin
            .event("segment.create", "segment", entry.id)
            .with_detail(serde_json::json!({"segment": entry}));
        self.commit(write, event).await?;
        Ok(entry)
    }

    async fn update_segment(
        &self,
        _: &Granted<ManageRegister>,
        id: SegmentId,
        segment: Segment,
        origin: &Origin,
    ) -> Result<SegmentEntry> {
        let mut write = self.begin_write().await?;
        // Inside the write: the record's before, and the code the levels are renamed from, are
        // the segment as this update finds it.
        let before = fetch_segment(&mut write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        sqlx::query(
            "UPDATE segments SET code = $1, name = $2, ranges = $3, note = $4, updated_at = $5 WHERE id = $6",
        )
        .bind(&segment.code)
        .bind(segment.name.as_str())
        .bind(join_ranges(&segment))
        .bind(&segment.note)
        .bind(write.at_ms)
        .bind(id.0)
        .execute(&mut *write.tx)
        .await
        .map_err(|e| conflict(e, Conflict::SegmentCodeTaken))?;
        // The levels name segments by code: a new code is carried into every level that
        // allowed the old one, in this transaction, so no asset is flagged by the rename.
        let mut renamed_in: Vec<&str> = Vec::new();
        if before.segment.code != segment.code {
            let scales = load_scales(&mut write.tx).await?;
            for dimension in Dimension::ALL {
                if let Some(scale) = scales
                    .get(dimension)
                    .with_segment_renamed(&before.segment.code, &segment.code)
                {
                    write_scale(&mut write.tx, &scale, write.at_ms).await?;
                    renamed_in.push(dimension.as_str());
                }
            }
        }
        // The monitor's crossing matrix names segments by code too: its cells follow the
        // rename (cells left under the new code by a segment deleted before are replaced).
        let mut cells_renamed = 0;
        if before.segment.code != segment.code {
            sqlx::query("DELETE FROM crossing_rules WHERE from_zone = $1 OR to_zone = $2")
                .bind(&segment.code)
                .bind(&segment.code)
                .execute(&mut *write.tx)
                .await?;
            for column in ["from_zone", "to_zone"] {
                cells_renamed += sqlx::query(&format!(
                    "UPDATE crossing_rules SET {column} = $1 WHERE {column} = $2"
                ))
                .bind(&segment.code)
                .bind(&before.segment.code)
                .execute(&mut *write.tx)
                .await?
                .rows_affected();
            }
        }
        let judge = Judge::load(&mut write.tx).await?;
        let mut tally = Tally::default();
        reflag(&mut write.tx, &judge, &mut tally, Reflag::Segment(id)).await?;
        tally.write(&mut write.tx).await?;
        let after = SegmentEntry { id, segment };
        let event = origin
            .event("segment.update", "segment", id)
            .with_detail(serde_json::json!({
                "before": before,
                "after": after,
                "levels_renamed_in": renamed_in,
                "crossing_cells_renamed": cells_renamed,
            }));
        self.commit(write, event).await?;
        Ok(after)
    }

    async fn delete_segment(
        &self,
        _: &Granted<ManageRegister>,
        id: SegmentId,
        origin: &Origin,
    ) -> Result<()> {
        let mut write = self.begin_write().await?;
        let before = fetch_segment(&mut write.tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let used: i64 = sqlx::query("SELECT COUNT(*) AS n FROM assets WHERE segment_id = $1")
            .bind(id.0)
            .fetch_one(&mut *write.tx)
            .await?
            .try_get("n")?;
        if used > 0 {
            return Err(StoreError::Conflict(Conflict::SegmentInUse));
        }
        // A level that names the segment would otherwise keep a code no segment has (and a
        // later segment of that code would silently inherit the permission).
        let scales = load_scales(&mut write.tx).await?;
        if Dimension::ALL
            .into_iter()
            .any(|d| scales.get(d).names_segment(&before.segment.code))
        {
            return Err(StoreError::Conflict(Conflict::SegmentInRules));
        }
        sqlx::query("DELETE FROM segments WHERE id = $1")
            .bind(id.0)
            .execute(&mut *write.tx)
            .await?;
        let event = origin
            .event("segment.delete", "segment", id)
            .with_detail(serde_json::json!({"segment": before}));
        self.commit(write, event).await?;
        Ok(())
    }

    async fn scales(&self) -> Result<Scales> {
        self.reference_read(async {
            let mut conn = self.pool.acquire().await?;
            load_scales(&mut conn).await
        })
        .await
    }

    async fn update_scale(
        &self,
        _: &Granted<ManageRegister>,
        scale: Scale,
        origin: &Origin,
    ) -> Result<Scales> {
        scale
            .validate()
            .map_err(|_| StoreError::Conflict(Conflict::ScaleInvalid))?;
        let mut write = self.begin_write().await?;
        let before = load_scales(&mut write.tx).await?;
        write_scale(&mut write.tx, &scale, write.at_ms).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let mut tally = Tally::default();
        reflag(&mut write.tx, &judge, &mut tally, Reflag::All).await?;
        tally.write(&mut write.tx).await?;
        let codes = |s: &Scale| s.levels.iter().map(|l| l.code.clone()).collect::<Vec<_>>();
        let event = origin
            .event("classification.update", "scale", scale.dimension.as_str())
            .with_detail(serde_json::json!({
                "before": codes(before.get(scale.dimension)),
                "after": codes(&scale),
            }));
        let scales = judge.scales;
        self.commit(write, event).await?;
        Ok(scales)
    }

    async fn update_level(
        &self,
        _: &Granted<ManageRegister>,
        dimension: Dimension,
        code: &str,
        edit: LevelEdit,
        origin: &Origin,
    ) -> Result<Scales> {
        let mut write = self.begin_write().await?;
        let before = load_scales(&mut write.tx).await?;
        let old = before
            .get(dimension)
            .level(code)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        let segments = load_segments(&mut write.tx).await?;
        let known: Vec<&str> = segments.iter().map(|s| s.segment.code.as_str()).collect();
        let edit = edit
            .validate(&known)
            .map_err(|_| StoreError::Conflict(Conflict::LevelInvalid))?;
        let scale = before
            .get(dimension)
            .with_level(&old.code, edit)
            .ok_or(StoreError::NotFound)?;
        write_scale(&mut write.tx, &scale, write.at_ms).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let mut tally = Tally::default();
        reflag(
            &mut write.tx,
            &judge,
            &mut tally,
            Reflag::Level(dimension, &old.code),
        )
        .await?;
        tally.write(&mut write.tx).await?;
        let event = origin
            .event(
                "classification.level_update",
                "level",
                format!("{}/{}", dimension.as_str(), old.code),
            )
            .with_detail(serde_json::json!({
                "before": old,
                "after": scale.level(&old.code),
            }));
        let scales = judge.scales;
        self.commit(write, event).await?;
        Ok(scales)
    }

    async fn switch_split(
        &self,
        _: &Granted<ManageRegister>,
        split: bool,
        existing_to: &str,
        origin: &Origin,
    ) -> Result<SplitOutcome> {
        let mut write = self.begin_write().await?;
        let before = load_scales(&mut write.tx).await?;
        let Some(scale) = before.confidentiality.with_split_3(split) else {
            // Already as asked: nothing to write, so the transaction is left unused.
            return Ok(SplitOutcome {
                scales: before,
                changed: false,
                moved: 0,
            });
        };
        scale
            .validate()
            .map_err(|_| StoreError::Conflict(Conflict::ScaleInvalid))?;
        let (from, to): (&[&str], String) = if split {
            let to = scale
                .level(existing_to)
                .filter(|l| l.code.starts_with('3'))
                .ok_or(StoreError::Conflict(Conflict::ClassificationSplitTarget))?;
            (&["3"], to.code.clone())
        } else {
            (&["3A", "3B", "3C"], "3".to_owned())
        };
        write_scale(&mut write.tx, &scale, write.at_ms).await?;
        let judge = Judge::load(&mut write.tx).await?;
        let mut tally = Tally::default();
        let list = from
            .iter()
            .map(|c| format!("'{c}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT id, kind, owner_unit_id, segment_id, addresses, lifecycle, disposal_method, \
             disposal_by, disposal_at, confidentiality, integrity, availability, flags \
             FROM assets WHERE confidentiality IN ({list}) ORDER BY id"
        ))
        .fetch_all(&mut *write.tx)
        .await?;
        let mut moved = 0_i64;
        for row in &rows {
            let was = classification_from(row)?;
            let now = Classification {
                confidentiality: to.clone(),
                ..was.clone()
            };
            let segment = opt_id(row, "segment_id")?.map(SegmentId);
            let mut flags = judge.flags(
                &now,
                segment,
                &parse_addresses(&row.try_get::<String, _>("addresses")?)?,
                lifecycle_of(row)?,
                disposal_from(row)?.as_ref(),
            )?;
            // Moved onto a split level without anyone judging which: to be reviewed. Moved back
            // to 3 there is nothing left to judge, so an open review ends.
            if split {
                flags.push(Flag::SplitReview {
                    from: was.confidentiality.clone(),
                    to: to.clone(),
                });
            }
            let id: i64 = row.try_get("id")?;
            sqlx::query(
                "UPDATE assets SET confidentiality = $1, flags = $2, flagged = $3, class_rank = $4 \
                 WHERE id = $5",
            )
            .bind(&to)
            .bind(flags_text(&flags))
            .bind(i64::from(!flags.is_empty()))
            .bind(judge.class_rank(&now))
            .bind(id)
            .execute(&mut *write.tx)
            .await?;
            let previous: Vec<Flag> = serde_json::from_str(&row.try_get::<String, _>("flags")?)
                .map_err(|_| decode("flags"))?;
            let before = Counted::from_row(row, !previous.is_empty())?;
            let after = Counted {
                classification: now,
                flagged: !flags.is_empty(),
                ..before.clone()
            };
            tally.change(&before, &after);
            moved += 1;
        }
        // Nothing else changed level, but an asset left on a level of the other form (by an
        // import, say) is judged against the new scale too.
        reflag(&mut write.tx, &judge, &mut tally, Reflag::All).await?;
        tally.write(&mut write.tx).await?;
        let codes = |s: &Scale| s.levels.iter().map(|l| l.code.clone()).collect::<Vec<_>>();
        let event = origin
            .event(
                "classification.split",
                "scale",
                Dimension::Confidentiality.as_str(),
            )
            .with_detail(serde_json::json!({
                "split": split,
                "existing_to": to,
                "moved": moved,
                "before": codes(&before.confidentiality),
                "after": codes(&scale),
            }));
        let scales = judge.scales;
        self.commit(write, event).await?;
        Ok(SplitOutcome {
            scales,
            changed: true,
            moved,
        })
    }

    async fn split_review_count(&self, _: &Granted<ViewAssets>) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) AS n FROM assets WHERE flagged = 1 AND flags LIKE '%\"split_review\"%'",
        )
        .fetch_one(&self.pool)
        .await?
        .try_get("n")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PostgreSQL answers a query from an expression index only when the query repeats the
    /// index's expression: the one searches write is migration 28's.
    #[test]
    fn the_index_of_characters_is_asked_with_its_own_expression() {
        let migration = include_str!("../../migrations/postgres/0028_asset_search_chars.sql");
        let squeezed = |s: &str| s.split_whitespace().collect::<String>();
        let asked = squeezed(&pg_characters("t").replace("t.", ""));
        assert!(squeezed(migration).contains(&asked), "{asked}");
    }

    /// Every filter of one facet or two, set to an asset's values, reads a tally that the
    /// asset's own writes keep: the two lists of facets agree on names, order and codes.
    #[test]
    fn every_filter_of_one_or_two_facets_reads_a_kept_tally() {
        let asset = Counted {
            kind: AssetKind::Equipment,
            lifecycle: Lifecycle::Retired,
            classification: Classification {
                confidentiality: "3A".into(),
                integrity: "2".into(),
                availability: "1".into(),
            },
            segment: Some(7),
            unit: 42,
            flagged: true,
        };
        let mut tally = Tally::default();
        tally.add(&asset);
        let setters: Vec<fn(&mut AssetFilter, &Counted)> = vec![
            |f, a| f.kind = Some(a.kind),
            |f, a| f.lifecycle = Some(a.lifecycle),
            |f, a| f.confidentiality = Some(a.classification.confidentiality.clone()),
            |f, a| f.integrity = Some(a.classification.integrity.clone()),
            |f, a| f.availability = Some(a.classification.availability.clone()),
            |f, a| f.segment = a.segment.map(SegmentId),
            |f, a| f.owner_unit = Some(UnitId(a.unit)),
            |f, _| f.flagged_only = true,
        ];
        let mut read = std::collections::BTreeSet::new();
        for (i, first) in setters.iter().enumerate() {
            for second in &setters[i..] {
                let mut filter = AssetFilter::default();
                first(&mut filter, &asset);
                second(&mut filter, &asset);
                let key = tallied(&AssetVisibility::All, &filter).expect("a tally");
                assert_eq!(tally.0.get(&key), Some(&1), "{filter:?} reads {key:?}");
                read.insert(key);
            }
        }
        // The whole register, 8 facets and 28 pairs: every tally the asset counts under.
        assert_eq!(read.len(), 8 + 28);
        assert_eq!(tally.0.len(), 1 + 8 + 28);
        // Three filters, a text, or a viewer who does not see everything: counted instead.
        let mut three = AssetFilter::default();
        for set in &setters[..3] {
            set(&mut three, &asset);
        }
        assert_eq!(tallied(&AssetVisibility::All, &three), None);
        let text = AssetFilter {
            text: Some("端末".into()),
            ..AssetFilter::default()
        };
        assert_eq!(tallied(&AssetVisibility::All, &text), None);
        let some = AssetVisibility::Some {
            units: Vec::new(),
            orgs: Vec::new(),
        };
        assert_eq!(tallied(&some, &AssetFilter::default()), None);
    }
}
