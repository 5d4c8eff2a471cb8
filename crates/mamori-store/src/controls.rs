//! 対策項目: catalogues of measures and each unit's answers (実施状況) with their evidence.

use mamori_core::authz::{Granted, ManageCatalogues, RecordMeasureStatus};
use mamori_core::classification::{Classification, Scales};
use mamori_core::controls::{Catalogue, MeasureState, Node, UnitFacts};
use mamori_core::{OrgId, UnitId, UserId};

use crate::{Origin, Result};

/// Id of a stored catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CatalogueId(pub i64);

impl std::fmt::Display for CatalogueId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored catalogue, without its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueSummary {
    pub id: CatalogueId,
    pub urn: String,
    pub ref_id: String,
    pub name: String,
    pub version: i64,
    /// Its assessable nodes.
    pub measures: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Who imports a catalogue: an administrator, or the operator at the command line (and the
/// first start, which installs mamori's own).
#[derive(Clone, Copy)]
pub enum Importer<'a> {
    Account(&'a Granted<ManageCatalogues>),
    Operator,
}

/// A file kept as evidence: where the data folder holds it, and what it was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceFile {
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

/// A unit's answer for one measure, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    pub catalogue: CatalogueId,
    pub measure_urn: String,
    pub unit: UnitId,
    pub state: MeasureState,
    /// Why a measure is 対象外 (required then; checked by core's `parse_answer`).
    pub reason: String,
    pub note: String,
    pub link: String,
    pub file: Option<EvidenceFile>,
}

/// An answer as kept: who gave it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub id: i64,
    pub catalogue: CatalogueId,
    pub measure_urn: String,
    pub unit: UnitId,
    pub state: MeasureState,
    pub reason: String,
    pub note: String,
    pub link: String,
    pub file: Option<EvidenceFile>,
    pub by: Option<UserId>,
    pub by_name: Option<String>,
    pub at_ms: i64,
}

/// A unit's current answer for one measure, as much of it as a tally needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerState {
    pub measure_urn: String,
    pub unit: UnitId,
    pub state: MeasureState,
    /// When it was given, if it carries evidence (a note, a link or a file).
    pub evidence_at: Option<i64>,
}

/// What the measures' scopes are judged on, per unit: the classes and segments of the assets
/// it owns (those not disposed of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitAssets {
    pub unit: UnitId,
    pub org: OrgId,
    pub name: String,
    pub classes: Vec<Classification>,
    pub segments: Vec<String>,
}

impl UnitAssets {
    /// Whether a measure concerns the unit, by the assets it holds (no organisation records its
    /// network model yet).
    pub fn concerns(&self, node: &Node, scales: &Scales) -> bool {
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        node.applies_to.concerns(
            scales,
            &UnitFacts {
                classes: &self.classes,
                segments: &segments,
                model: None,
            },
        )
    }
}

/// Catalogues and answers. Every change is one audit record (`controls.*`) in the same
/// transaction.
#[async_trait::async_trait]
pub trait ControlStore: Send + Sync {
    async fn catalogues(&self) -> Result<Vec<CatalogueSummary>>;
    async fn catalogue_summary(&self, id: CatalogueId) -> Result<Option<CatalogueSummary>>;
    /// The whole catalogue, rebuilt from its stored library.
    async fn catalogue(&self, id: CatalogueId) -> Result<Option<(CatalogueSummary, Catalogue)>>;
    async fn catalogue_by_urn(&self, urn: &str) -> Result<Option<CatalogueSummary>>;
    /// Stores a catalogue, or replaces the one with the same urn (its answers are kept, by
    /// measure urn). Answers `true` when it was new.
    async fn import_catalogue(
        &self,
        importer: Importer<'_>,
        catalogue: &Catalogue,
        origin: &Origin,
    ) -> Result<(CatalogueSummary, bool)>;
    /// Records a unit's answer; the one it replaces stays in the history. An urn that names no
    /// assessable node is [`Conflict::MeasureMissing`](crate::Conflict::MeasureMissing).
    async fn record_answer(
        &self,
        grant: &Granted<RecordMeasureStatus>,
        answer: NewAnswer,
        origin: &Origin,
    ) -> Result<Answer>;
    /// The current answers of a catalogue, of one unit or of all.
    async fn answers(&self, catalogue: CatalogueId, unit: Option<UnitId>) -> Result<Vec<Answer>>;
    /// The current answers of a catalogue, of every unit, reduced to what a tally needs (the
    /// coverage reads them all on every view), in no particular order.
    async fn answer_states(&self, catalogue: CatalogueId) -> Result<Vec<AnswerState>>;
    /// One answer, current or past.
    async fn answer(&self, id: i64) -> Result<Option<Answer>>;
    /// Every answer a unit gave for a measure, newest first.
    async fn answer_history(
        &self,
        catalogue: CatalogueId,
        measure_urn: &str,
        unit: UnitId,
    ) -> Result<Vec<Answer>>;
    /// Every unit with the classes and segments of its assets in use.
    async fn unit_assets(&self) -> Result<Vec<UnitAssets>>;
    /// The assessable measure an urn or a code (`M-6.2.3`) names, in the first catalogue that
    /// has it.
    async fn find_measure(&self, urn_or_code: &str) -> Result<Option<(CatalogueId, String)>>;
}
