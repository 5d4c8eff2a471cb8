//! Third parties (seed §6(8), §11): 委託事業者 and the agreements kept with third parties —
//! contracts with a contractor and 指定管理 agreements — with what each covers, the
//! requirements it carries and their verifications.

use chrono::NaiveDate;
use mamori_core::authz::{
    AgreementPlace, ContractGrants, Granted, ManageThirdParties, VerifyAgreement,
};
use mamori_core::policy::Tier;
use mamori_core::third_party::{AgreementKind, Outcome, Period, VerificationText};
use mamori_core::{OrgId, PersonId, UnitId};

use crate::{Origin, Result};

/// Id of a registered contractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContractorId(pub i64);

/// Id of a stored agreement (a contract or a 指定管理 agreement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgreementId(pub i64);

impl std::fmt::Display for ContractorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for AgreementId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// 委託事業者 as entered, its text checked by core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractorInput {
    pub name: String,
    pub address: String,
    pub contact_person: String,
    pub phone: String,
    pub email: Option<String>,
    pub note: String,
}

/// 委託事業者 as kept, with how many contracts it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contractor {
    pub id: ContractorId,
    pub input: ContractorInput,
    pub contracts: i64,
    pub updated_at: i64,
}

/// An agreement as entered: its text checked by core; what it names is checked by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementInput {
    pub kind: AgreementKind,
    /// The contractor of a contract (required for one, refused for a 指定管理 agreement).
    pub contractor: Option<ContractorId>,
    /// The managing body of a 指定管理 agreement (empty for a contract).
    pub managing_body: String,
    /// A contract's title, or the facility a 指定管理者 manages.
    pub title: String,
    pub description: String,
    pub unit: UnitId,
    pub period: Period,
    pub assets: Vec<i64>,
    /// Confidentiality level codes of the information handled.
    pub classes: Vec<String>,
    /// Requirement codes of core's checklist.
    pub requirements: Vec<String>,
    /// The contractor's people it lists (a contract's only): each must hold the contractor role.
    pub people: Vec<PersonId>,
    /// The 対策基準 and 実施手順 it names (a contract's only).
    pub policies: Vec<i64>,
}

/// An asset an agreement covers, with its class as shown (`3-2-2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementAsset {
    pub id: i64,
    pub name: String,
    pub class: String,
}

/// A policy document a contract names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementPolicy {
    pub id: i64,
    pub title: String,
    pub tier: Tier,
}

/// A check of one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub id: i64,
    pub requirement: String,
    pub outcome: Outcome,
    pub checked_on: NaiveDate,
    pub note: String,
    pub link: String,
    pub by_name: Option<String>,
    pub at_ms: i64,
}

/// An agreement as kept, with everything it names and its verifications (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: AgreementId,
    pub kind: AgreementKind,
    pub contractor: Option<ContractorId>,
    pub contractor_name: Option<String>,
    pub managing_body: String,
    pub title: String,
    pub description: String,
    pub unit: UnitId,
    pub unit_name: String,
    pub org: OrgId,
    pub period: Period,
    pub assets: Vec<AgreementAsset>,
    pub classes: Vec<String>,
    pub requirements: Vec<String>,
    pub people: Vec<(PersonId, String)>,
    pub policies: Vec<AgreementPolicy>,
    pub verifications: Vec<Verification>,
    pub updated_at: i64,
}

impl Agreement {
    pub fn place(&self) -> AgreementPlace {
        AgreementPlace {
            org: self.org,
            unit: self.unit,
            people: self.people.iter().map(|(p, _)| *p).collect(),
        }
    }

    /// The checks made, as (requirement, day), for core's flags.
    pub fn checks(&self) -> Vec<(String, NaiveDate)> {
        self.verifications
            .iter()
            .map(|v| (v.requirement.clone(), v.checked_on))
            .collect()
    }
}

/// What an agreement's form may name: the assets of the register and the people who hold the
/// contractor role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementChoices {
    pub assets: Vec<AgreementAsset>,
    pub contractor_people: Vec<(PersonId, String)>,
}

/// Contractors and agreements. Every change is one audit record (`contractor.*`,
/// `agreement.*`) in the same transaction.
#[async_trait::async_trait]
pub trait ThirdPartyStore: Send + Sync {
    /// Every contractor, by name.
    async fn contractors(&self) -> Result<Vec<Contractor>>;
    async fn contractor(&self, id: ContractorId) -> Result<Option<Contractor>>;
    async fn create_contractor(
        &self,
        grant: &Granted<ManageThirdParties>,
        input: ContractorInput,
        origin: &Origin,
    ) -> Result<Contractor>;
    async fn update_contractor(
        &self,
        grant: &Granted<ManageThirdParties>,
        id: ContractorId,
        input: ContractorInput,
        origin: &Origin,
    ) -> Result<Contractor>;
    /// The agreements of a kind, ending soonest first; the caller filters what its viewer may
    /// see.
    async fn agreements(&self, kind: AgreementKind) -> Result<Vec<Agreement>>;
    async fn agreement(&self, id: AgreementId) -> Result<Option<Agreement>>;
    /// Records an agreement. A unit, contractor, asset, policy or person that does not exist is
    /// [`Conflict::AgreementScopeMissing`](crate::Conflict); a person without the contractor
    /// role, a basic policy, or a contract's fields on a 指定管理 agreement (and the reverse) are
    /// refused with their own conflicts.
    async fn create_agreement(
        &self,
        grant: &Granted<ManageThirdParties>,
        input: AgreementInput,
        origin: &Origin,
    ) -> Result<Agreement>;
    /// Replaces what an agreement says (its kind stays); its verifications are kept.
    async fn update_agreement(
        &self,
        grant: &Granted<ManageThirdParties>,
        id: AgreementId,
        input: AgreementInput,
        origin: &Origin,
    ) -> Result<Agreement>;
    /// Records a check of one requirement the agreement carries (one it does not carry is
    /// [`Conflict::AgreementRequirementNotCarried`](crate::Conflict)).
    async fn record_verification(
        &self,
        grant: &Granted<VerifyAgreement>,
        id: AgreementId,
        verification: VerificationText,
        origin: &Origin,
    ) -> Result<Agreement>;
    /// What the contracts in force on `today` that list the person name: the assets and the
    /// policy documents their people may read.
    async fn contract_grants(&self, person: PersonId, today: NaiveDate) -> Result<ContractGrants>;
    /// The choices of an agreement's form.
    async fn agreement_choices(&self) -> Result<AgreementChoices>;
}
