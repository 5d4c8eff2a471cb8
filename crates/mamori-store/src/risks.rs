//! リスク: the threats, the risk matrix, and the risk register with each risk's assets, threats
//! and measures.

use chrono::NaiveDate;
use mamori_core::authz::{AcceptRisk, Granted, ManageRisks, ManageThreats};
use mamori_core::risk::{Level, Rating, RiskMatrix, Threat, Treatment};
use mamori_core::{OrgId, PersonId, UnitId, UserId};

use crate::{Origin, Result};

/// Id of a stored risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RiskId(pub i64);

impl std::fmt::Display for RiskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A threat as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredThreat {
    pub id: i64,
    pub threat: Threat,
    pub updated_at: i64,
}

/// A risk as given: its text checked by core, its links checked by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskInput {
    pub title: String,
    pub description: String,
    pub unit: UnitId,
    pub owner: PersonId,
    pub assets: Vec<i64>,
    /// Threat codes.
    pub threats: Vec<String>,
    /// Measure urns of the catalogues.
    pub measures: Vec<String>,
    pub inherent: Rating,
    pub residual: Option<Rating>,
    /// Never `Accept`: acceptance is [`RiskStore::accept_risk`].
    pub treatment: Treatment,
    pub review_on: NaiveDate,
}

/// Who accepted a risk, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub by: UserId,
    pub by_name: String,
    pub at_ms: i64,
    pub note: String,
}

/// A risk as kept, with its levels on the matrix in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub id: RiskId,
    pub title: String,
    pub description: String,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub owner: PersonId,
    pub owner_name: String,
    pub assets: Vec<i64>,
    pub threats: Vec<String>,
    pub measures: Vec<String>,
    pub inherent: Rating,
    pub inherent_level: Level,
    pub residual: Option<Rating>,
    pub residual_level: Option<Level>,
    /// The residual level, else the inherent one.
    pub level: Level,
    pub treatment: Treatment,
    pub review_on: NaiveDate,
    pub accepted: Option<Acceptance>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Risk {
    pub fn place(&self) -> mamori_core::authz::RiskPlace {
        mamori_core::authz::RiskPlace {
            org: self.org,
            unit: self.unit,
            owner: self.owner,
        }
    }
}

/// Threats, the matrix and the risks. Every change is one audit record (`risk.*`, `threat.*`)
/// in the same transaction.
#[async_trait::async_trait]
pub trait RiskStore: Send + Sync {
    async fn threats(&self) -> Result<Vec<StoredThreat>>;
    /// Adds a threat; a code taken is [`Conflict::ThreatCodeTaken`](crate::Conflict).
    async fn create_threat(
        &self,
        grant: &Granted<ManageThreats>,
        threat: Threat,
        origin: &Origin,
    ) -> Result<StoredThreat>;
    async fn update_threat(
        &self,
        grant: &Granted<ManageThreats>,
        id: i64,
        threat: Threat,
        origin: &Origin,
    ) -> Result<StoredThreat>;
    /// The matrix in force (the default 5 × 5 until one is set).
    async fn risk_matrix(&self) -> Result<RiskMatrix>;
    /// Sets the matrix and recomputes every risk's levels in the same write; a matrix its rules
    /// refuse, or one too small for a stored rating, is [`Conflict::RiskMatrixInvalid`](crate::Conflict).
    async fn set_risk_matrix(
        &self,
        grant: &Granted<ManageThreats>,
        matrix: &RiskMatrix,
        origin: &Origin,
    ) -> Result<RiskMatrix>;
    /// Every risk, ordered by level (highest first) then id; the caller filters what its viewer
    /// may see.
    async fn risks(&self) -> Result<Vec<Risk>>;
    async fn risk(&self, id: RiskId) -> Result<Option<Risk>>;
    /// Records a risk; a unit, owner, asset, threat or measure that does not exist is refused.
    async fn create_risk(
        &self,
        grant: &Granted<ManageRisks>,
        input: RiskInput,
        origin: &Origin,
    ) -> Result<Risk>;
    /// Replaces a risk's facts; an accepted risk's acceptance is withdrawn (decided again on the
    /// risk as it now stands).
    async fn update_risk(
        &self,
        grant: &Granted<ManageRisks>,
        id: RiskId,
        input: RiskInput,
        origin: &Origin,
    ) -> Result<Risk>;
    /// Accepts the risk as it stands. Above the matrix's threshold the store checks again that
    /// the account is the CISO's and not the owner's ([`Conflict::RiskAcceptanceReserved`](crate::Conflict)).
    async fn accept_risk(
        &self,
        grant: &Granted<AcceptRisk>,
        id: RiskId,
        note: &str,
        origin: &Origin,
    ) -> Result<Risk>;
}
