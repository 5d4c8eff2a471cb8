//! 自己点検, 指摘事項 and 是正処置: yearly self-inspection campaigns with each unit's items and
//! sign-off, the findings they and audits raise, and the corrective actions with their
//! verification.

use chrono::NaiveDate;
use mamori_core::audit_plan::AuditState;
use mamori_core::authz::{
    CompleteCorrectiveAction, DecideException, Granted, ManageAudits, ManageFindings,
    ManageInspections, ManageReviews, PlanCorrectiveAction, RequestException, SignOffInspection,
    VerifyCorrectiveAction, WorkOnAudit,
};
use mamori_core::controls::MeasureState;
use mamori_core::exception::ExceptionState;
use mamori_core::finding::{ActionState, FindingKind, FindingSource};
use mamori_core::{OrgId, PersonId, UnitId, UserId};

use crate::{Answer, CatalogueId, Origin, Result};

/// Id of a stored self-inspection campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InspectionId(pub i64);

/// Id of a stored finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FindingId(pub i64);

/// Id of a stored corrective action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActionId(pub i64);

macro_rules! display_id {
    ($($t:ty),+) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}
/// Id of a stored 例外措置.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExceptionId(pub i64);

/// Id of a stored 見直し.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReviewId(pub i64);

/// Id of a stored 情報セキュリティ監査.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AuditId(pub i64);

display_id!(
    InspectionId,
    FindingId,
    ActionId,
    AuditId,
    ExceptionId,
    ReviewId
);

/// The items a unit is to answer: measure urns with their chapter, in catalogue order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitItems {
    pub unit: UnitId,
    pub items: Vec<(String, String)>,
}

/// A campaign as given, its items chosen by the caller from the catalogue's applicability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInspection {
    pub year: i32,
    pub title: String,
    pub catalogue: CatalogueId,
    pub due_on: NaiveDate,
    pub units: Vec<UnitItems>,
}

/// A campaign as kept, with its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub id: InspectionId,
    pub year: i32,
    pub title: String,
    pub catalogue: CatalogueId,
    pub catalogue_name: String,
    pub due_on: NaiveDate,
    pub units: i64,
    pub signed: i64,
    pub created_at: i64,
}

/// Who signed a unit's result off, when, and with what note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOff {
    pub by: UserId,
    pub by_name: String,
    pub at_ms: i64,
    pub note: String,
}

/// A unit a campaign covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionUnit {
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub signed: Option<SignOff>,
}

/// How many of a unit's items in one chapter stand in one state (`None`: not yet answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTally {
    pub unit: UnitId,
    pub chapter: String,
    pub state: Option<MeasureState>,
    pub count: i64,
}

/// One item of a unit: the measure, this campaign's answer, and the answer the unit gave in the
/// campaign of the year before over the same catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionItem {
    pub measure_urn: String,
    pub chapter: String,
    pub answer: Option<Answer>,
    pub last_year: Option<MeasureState>,
}

/// A unit whose result is not yet signed off, with how far it has come: for the home page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUnit {
    pub inspection: InspectionId,
    pub title: String,
    pub due_on: NaiveDate,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub items: i64,
    pub answered: i64,
}

/// A corrective action as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectiveAction {
    pub id: ActionId,
    pub finding: FindingId,
    pub unit: UnitId,
    pub org: OrgId,
    pub description: String,
    pub owner: PersonId,
    pub owner_name: String,
    pub due_on: NaiveDate,
    pub state: ActionState,
    pub done_by_name: Option<String>,
    pub done_at: Option<i64>,
    pub done_note: String,
    pub verified_by_name: Option<String>,
    pub verified_at: Option<i64>,
    pub verify_note: String,
    pub created_at: i64,
}

impl CorrectiveAction {
    pub fn place(&self) -> mamori_core::authz::ActionPlace {
        mamori_core::authz::ActionPlace {
            finding: mamori_core::authz::FindingPlace {
                org: self.org,
                unit: self.unit,
            },
            owner: self.owner,
        }
    }
}

/// A finding as kept, with its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub source: FindingSource,
    pub inspection: Option<InspectionId>,
    pub inspection_title: Option<String>,
    pub audit: Option<AuditId>,
    pub audit_title: Option<String>,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub catalogue: Option<CatalogueId>,
    pub measure_urn: String,
    /// The measure's code (`M-6.2.3`) and name, when it names one.
    pub measure_code: String,
    pub measure_name: String,
    /// The clause of the basic policy concerned (`6(3)`), where known.
    pub clause: String,
    pub kind: FindingKind,
    pub description: String,
    pub raised_by_name: Option<String>,
    pub closed_at: Option<i64>,
    pub created_at: i64,
    pub actions: Vec<CorrectiveAction>,
}

impl Finding {
    pub fn place(&self) -> mamori_core::authz::FindingPlace {
        mamori_core::authz::FindingPlace {
            org: self.org,
            unit: self.unit,
        }
    }
}

/// A finding raised by hand (an auditor's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    pub unit: UnitId,
    pub catalogue: Option<CatalogueId>,
    pub measure_urn: String,
    pub clause: String,
    pub kind: FindingKind,
    pub description: String,
}

/// A corrective action as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    pub finding: FindingId,
    pub description: String,
    pub owner: PersonId,
    pub due_on: NaiveDate,
}

/// Campaigns, findings and actions. Every change is one audit record (`inspection.*`,
/// `finding.*`, `action.*`) in the same transaction.
#[async_trait::async_trait]
pub trait InspectionStore: Send + Sync {
    /// Every campaign, newest year first.
    async fn inspections(&self) -> Result<Vec<Inspection>>;
    async fn inspection(&self, id: InspectionId) -> Result<Option<Inspection>>;
    /// Opens a campaign with its units and their items. A year already held over the catalogue
    /// is [`Conflict::InspectionYearTaken`](crate::Conflict); a unit or measure that does not
    /// exist is refused.
    async fn create_inspection(
        &self,
        grant: &Granted<ManageInspections>,
        inspection: NewInspection,
        origin: &Origin,
    ) -> Result<Inspection>;
    async fn inspection_units(&self, id: InspectionId) -> Result<Vec<InspectionUnit>>;
    /// The campaign's items counted by unit, chapter and state, in one grouped read.
    async fn inspection_tally(&self, id: InspectionId) -> Result<Vec<ItemTally>>;
    /// One unit's items in catalogue order.
    async fn inspection_items(&self, id: InspectionId, unit: UnitId)
    -> Result<Vec<InspectionItem>>;
    /// Signs a unit's result off and raises a finding for each item answered 未実施 or 一部実施,
    /// in the same write. A unit with items unanswered is
    /// [`Conflict::InspectionIncomplete`](crate::Conflict); one signed already,
    /// [`Conflict::InspectionSignedOff`](crate::Conflict).
    async fn sign_off_inspection(
        &self,
        grant: &Granted<SignOffInspection>,
        id: InspectionId,
        unit: UnitId,
        note: &str,
        origin: &Origin,
    ) -> Result<(InspectionUnit, Vec<FindingId>)>;
    /// Every unit of every campaign whose result is not signed off.
    async fn pending_inspection_units(&self) -> Result<Vec<PendingUnit>>;

    /// Every finding with its actions, newest first; the caller filters what its viewer may see.
    async fn findings(&self) -> Result<Vec<Finding>>;
    async fn finding(&self, id: FindingId) -> Result<Option<Finding>>;
    async fn raise_finding(
        &self,
        grant: &Granted<ManageFindings>,
        finding: NewFinding,
        origin: &Origin,
    ) -> Result<Finding>;
    /// Grades a finding again and rewords it.
    async fn grade_finding(
        &self,
        grant: &Granted<ManageFindings>,
        id: FindingId,
        kind: FindingKind,
        description: &str,
        origin: &Origin,
    ) -> Result<Finding>;
    /// Plans an action for an open finding (a closed one is
    /// [`Conflict::FindingClosed`](crate::Conflict)); the owner must exist.
    async fn plan_action(
        &self,
        grant: &Granted<PlanCorrectiveAction>,
        action: NewAction,
        origin: &Origin,
    ) -> Result<CorrectiveAction>;
    async fn action(&self, id: ActionId) -> Result<Option<CorrectiveAction>>;
    /// Every action, the caller filtering what its viewer may see.
    async fn actions(&self) -> Result<Vec<CorrectiveAction>>;
    /// The owner reports an open action done.
    async fn complete_action(
        &self,
        grant: &Granted<CompleteCorrectiveAction>,
        id: ActionId,
        note: &str,
        origin: &Origin,
    ) -> Result<CorrectiveAction>;
    /// Verifies a done action (`accepted`), or sends it back open with the reason. The store
    /// checks again that the verifier is not the action's owner
    /// ([`Conflict::ActionVerifierIsOwner`](crate::Conflict)). A finding whose every action is
    /// verified closes.
    async fn verify_action(
        &self,
        grant: &Granted<VerifyCorrectiveAction>,
        id: ActionId,
        accepted: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<CorrectiveAction>;
}

/// An audit's plan as given: its text checked by core, its scope by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub year: i32,
    pub title: String,
    pub criteria: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub units: Vec<UnitId>,
    /// Chapter codes of the catalogue (`organisation` … `review`); none means every chapter.
    pub chapters: Vec<String>,
}

/// A member of an audit's team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditMember {
    pub person: PersonId,
    pub name: String,
    pub unit_name: Option<String>,
    /// 監査責任者: leads the team and signs the report.
    pub lead: bool,
}

/// A fieldwork note (監査調書).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    pub id: i64,
    pub unit: Option<UnitId>,
    pub unit_name: Option<String>,
    pub text: String,
    pub by_name: Option<String>,
    pub at_ms: i64,
}

/// An audit as kept, with its scope, team and notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityAudit {
    pub id: AuditId,
    pub year: i32,
    pub title: String,
    pub criteria: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub state: AuditState,
    pub report: String,
    pub reported_by_name: Option<String>,
    pub reported_at: Option<i64>,
    /// The units in scope: organisation, unit, unit's name.
    pub scope: Vec<(OrgId, UnitId, String)>,
    pub chapters: Vec<String>,
    pub team: Vec<AuditMember>,
    pub notes: Vec<AuditNote>,
    pub created_at: i64,
}

impl SecurityAudit {
    pub fn place(&self) -> mamori_core::authz::AuditPlace {
        mamori_core::authz::AuditPlace {
            scope: self.scope.iter().map(|(o, u, _)| (*o, *u)).collect(),
            team: self.team.iter().map(|m| m.person).collect(),
            reported: self.state == AuditState::Reported,
        }
    }
}

/// 情報セキュリティ監査. Every change is one audit record (`audit_plan.*`) in the same
/// transaction.
#[async_trait::async_trait]
pub trait SecurityAuditStore: Send + Sync {
    /// Every audit, newest year first.
    async fn security_audits(&self) -> Result<Vec<SecurityAudit>>;
    async fn security_audit(&self, id: AuditId) -> Result<Option<SecurityAudit>>;
    /// Plans an audit; a unit that does not exist is
    /// [`Conflict::AuditScopeMissing`](crate::Conflict).
    async fn create_security_audit(
        &self,
        grant: &Granted<ManageAudits>,
        audit: NewAudit,
        origin: &Origin,
    ) -> Result<SecurityAudit>;
    /// Adds a member to the team. Independence is checked here again, on the person's unit
    /// and roles as stored: a person who belongs to, manages or oversees a unit of the scope
    /// is refused with the reason ([`Conflict::AuditMemberBelongsToUnit`](crate::Conflict),
    /// `AuditMemberManagesUnit`, `AuditMemberOverseesOrganisation`); a reported audit is
    /// [`Conflict::AuditReported`](crate::Conflict).
    async fn add_audit_member(
        &self,
        grant: &Granted<ManageAudits>,
        id: AuditId,
        person: PersonId,
        lead: bool,
        origin: &Origin,
    ) -> Result<SecurityAudit>;
    async fn remove_audit_member(
        &self,
        grant: &Granted<ManageAudits>,
        id: AuditId,
        person: PersonId,
        origin: &Origin,
    ) -> Result<SecurityAudit>;
    /// Records a fieldwork note (on a unit of the scope, or the audit as a whole); the audit
    /// is then in fieldwork.
    async fn add_audit_note(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        unit: Option<UnitId>,
        text: &str,
        origin: &Origin,
    ) -> Result<SecurityAudit>;
    /// Records a finding of the audit on a unit of its scope.
    async fn raise_audit_finding(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        finding: NewFinding,
        origin: &Origin,
    ) -> Result<Finding>;
    /// Issues the report: the audit is closed to changes.
    async fn issue_audit_report(
        &self,
        grant: &Granted<WorkOnAudit>,
        id: AuditId,
        report: &str,
        origin: &Origin,
    ) -> Result<SecurityAudit>;
}

/// An exception as asked for: its text checked by core, its measure and unit by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewException {
    pub catalogue: CatalogueId,
    pub measure_urn: String,
    pub unit: UnitId,
    pub reason: String,
    pub compensating: String,
    pub until: NaiveDate,
    /// Taken first, in an emergency, on this day.
    pub taken_on: Option<NaiveDate>,
}

/// An exception as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureException {
    pub id: ExceptionId,
    pub catalogue: CatalogueId,
    pub measure_urn: String,
    pub measure_code: String,
    pub measure_name: String,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub reason: String,
    pub compensating: String,
    pub until: NaiveDate,
    pub emergency: bool,
    pub taken_on: Option<NaiveDate>,
    pub state: ExceptionState,
    pub requested_by: Option<UserId>,
    pub requested_by_name: Option<String>,
    pub requested_at: i64,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: String,
}

impl MeasureException {
    pub fn place(&self) -> mamori_core::authz::ExceptionPlace {
        mamori_core::authz::ExceptionPlace {
            org: self.org,
            unit: self.unit,
            requested_by: self.requested_by,
        }
    }
}

/// 例外措置. Every change is one audit record (`exception.*`) in the same transaction.
#[async_trait::async_trait]
pub trait ExceptionStore: Send + Sync {
    /// Every exception, newest first; the caller filters what its viewer may see.
    async fn measure_exceptions(&self) -> Result<Vec<MeasureException>>;
    async fn measure_exception(&self, id: ExceptionId) -> Result<Option<MeasureException>>;
    /// Records a request (or an emergency taken first, in effect until decided). A measure or
    /// unit that does not exist is [`Conflict::ExceptionScopeMissing`](crate::Conflict).
    async fn request_exception(
        &self,
        grant: &Granted<RequestException>,
        exception: NewException,
        origin: &Origin,
    ) -> Result<MeasureException>;
    /// Approves or rejects an undecided exception. The store checks again that the decider
    /// did not ask for it ([`Conflict::ExceptionSelfDecision`](crate::Conflict)).
    async fn decide_exception(
        &self,
        grant: &Granted<DecideException>,
        id: ExceptionId,
        approve: bool,
        note: &str,
        origin: &Origin,
    ) -> Result<MeasureException>;
}

/// What a review considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewInputKind {
    Audit,
    Inspection,
    Risk,
    Incident,
}

impl ReviewInputKind {
    pub const ALL: [ReviewInputKind; 4] = [
        ReviewInputKind::Audit,
        ReviewInputKind::Inspection,
        ReviewInputKind::Risk,
        ReviewInputKind::Incident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewInputKind::Audit => "audit",
            ReviewInputKind::Inspection => "inspection",
            ReviewInputKind::Risk => "risk",
            ReviewInputKind::Incident => "incident",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// One input of a review: its kind, id and title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewInput {
    pub kind: ReviewInputKind,
    pub id: i64,
    pub title: String,
}

/// A policy version a review led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewVersion {
    pub policy: i64,
    pub title: String,
    pub version: i64,
}

/// A review as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub title: String,
    pub held_on: NaiveDate,
    /// 環境の変化: changes in the environment considered.
    pub environment: String,
    pub decisions: String,
    pub inputs: Vec<(ReviewInputKind, i64)>,
}

/// A closed incident a review cites, with what was learned from it (教訓).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedIncident {
    pub id: i64,
    pub title: String,
    pub severity: Option<mamori_core::risk::Level>,
    pub lessons: Option<String>,
}

/// A 見直し as kept, with its inputs and outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReview {
    pub id: ReviewId,
    pub title: String,
    pub held_on: NaiveDate,
    pub environment: String,
    pub decisions: String,
    pub inputs: Vec<ReviewInput>,
    /// The incidents among its inputs, with their severity and lessons.
    pub incidents: Vec<CitedIncident>,
    pub versions: Vec<ReviewVersion>,
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// 見直し (seed §8). Every change is one audit record (`review.*`) in the same transaction.
#[async_trait::async_trait]
pub trait ReviewStore: Send + Sync {
    /// Every review, newest first.
    async fn reviews(&self) -> Result<Vec<PolicyReview>>;
    async fn review(&self, id: ReviewId) -> Result<Option<PolicyReview>>;
    /// Records a review; an input that does not exist is
    /// [`Conflict::ReviewInputMissing`](crate::Conflict).
    async fn create_review(
        &self,
        grant: &Granted<ManageReviews>,
        review: NewReview,
        origin: &Origin,
    ) -> Result<PolicyReview>;
    /// Links a review to a policy version it led to; a version that does not exist is
    /// [`Conflict::ReviewVersionMissing`](crate::Conflict).
    async fn link_review_version(
        &self,
        grant: &Granted<ManageReviews>,
        id: ReviewId,
        policy: i64,
        version: i64,
        origin: &Origin,
    ) -> Result<PolicyReview>;
    /// The reviews that led to a policy version: id and title.
    async fn reviews_of_version(
        &self,
        policy: i64,
        version: i64,
    ) -> Result<Vec<(ReviewId, String)>>;
    /// Cites closed incidents as inputs of a review (citing one again changes nothing); an
    /// incident that does not exist is [`Conflict::ReviewInputMissing`](crate::Conflict), one
    /// not closed [`Conflict::ReviewIncidentOpen`](crate::Conflict).
    async fn cite_review_incidents(
        &self,
        grant: &Granted<ManageReviews>,
        id: ReviewId,
        incidents: &[i64],
        origin: &Origin,
    ) -> Result<PolicyReview>;
    /// The reviews that cite an incident, by the day they were held.
    async fn reviews_citing_incident(&self, incident: i64) -> Result<Vec<(ReviewId, String)>>;
}
