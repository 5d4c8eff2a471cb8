//! Why the store refused a change that contradicts stored data.

/// Declares the refusals with their codes, so that the enum, [`Conflict::code`] and
/// [`Conflict::ALL`] come from one list and cannot drift apart.
macro_rules! conflicts {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)+) => {
        /// A rule of the stored data that a change would break. Its [`code`](Conflict::code) is
        /// what logs and the API's `error` field carry, and what the web's message keys
        /// (`conflict.{code}`) are named after.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Conflict {
            $($(#[$doc])* $variant,)+
        }

        impl Conflict {
            /// Every refusal, in the order declared.
            pub const ALL: &[Conflict] = &[$(Conflict::$variant,)+];

            /// The stable code of the refusal (`area.rule`).
            pub fn code(&self) -> &'static str {
                match self {
                    $(Conflict::$variant => $code,)+
                }
            }
        }
    };
}

conflicts! {
    // Directory
    /// Another organisation (機関) already has this code.
    OrganisationCodeTaken => "organisation.code_taken",
    /// The organisation a new unit is to belong to does not exist.
    UnitOrganisationMissing => "unit.organisation_missing",
    /// The organisation already has a unit of this name.
    UnitNameTaken => "unit.name_taken",
    /// A unit (部局・課室) stays in its organisation; it cannot be moved to another.
    UnitMoveBetweenOrganisations => "unit.move_between_organisations",
    /// The parent chosen is the unit itself or one of the units under it.
    UnitParentCycle => "unit.parent_cycle",
    /// The parent unit chosen does not exist.
    UnitParentMissing => "unit.parent_missing",
    /// The parent unit chosen belongs to another organisation.
    UnitParentOtherOrg => "unit.parent_other_org",
    /// The unit a person is placed in does not exist.
    PersonUnitMissing => "person.unit_missing",
    /// Another person has this mail address (compared without case): it names one person,
    /// since the release of quarantined originals is keyed on it.
    PersonEmailTaken => "person.email_taken",
    /// The organisation or unit a role is scoped to does not exist.
    RoleScopeMissing => "role.scope_missing",
    /// The person already holds this role with this scope.
    RoleAlreadyAssigned => "role.already_assigned",

    // Accounts
    /// Another account already has this user name.
    AccountUsernameTaken => "account.username_taken",
    /// The person an account is made for does not exist.
    AccountPersonMissing => "account.person_missing",
    /// The person already has an account (one account per person).
    AccountPersonHasAccount => "account.person_has_account",
    /// A directory login names a local account: its password is checked here, never there.
    AccountNotFromDirectory => "account.not_from_directory",
    /// An API token with the same digest is already stored.
    ApiTokenDigestTaken => "api_token.digest_taken",

    // Asset register
    /// The owner unit (所管課) of an asset does not exist.
    AssetUnitMissing => "asset.unit_missing",
    /// The administrator (管理者) named for an asset is not in the directory.
    AssetAdministratorMissing => "asset.administrator_missing",
    /// The segment an asset is placed in does not exist.
    AssetSegmentMissing => "asset.segment_missing",
    /// An asset's class names a level its scale does not have.
    AssetUnknownLevel => "asset.unknown_level",
    /// 廃棄済み is final: a disposed asset does not come back into use, and its disposal record
    /// is written once.
    AssetDisposed => "asset.disposed",
    /// An import names the same asset id on two rows.
    AssetImportDuplicateId => "asset.import_duplicate_id",
    /// Another segment already has this code.
    SegmentCodeTaken => "segment.code_taken",
    /// Assets are placed in the segment, so it cannot be deleted.
    SegmentInUse => "segment.in_use",
    /// A classification level's handling rules name the segment, so it cannot be deleted.
    SegmentInRules => "segment.in_rules",
    /// A classification scale that its own rules refuse (no levels, a code or rank twice).
    ScaleInvalid => "scale.invalid",
    /// A level edit that its rules refuse against the registered segments.
    LevelInvalid => "level.invalid",
    /// The level chosen for 機密性3 assets when splitting is not 3A, 3B or 3C.
    ClassificationSplitTarget => "classification.split_target",

    // Release of quarantined originals
    /// The address of a release request (原本の提供申請) cannot be read as an e-mail address.
    ReleaseAddressInvalid => "release.address_invalid",
    /// The same address already has an open request for this message.
    ReleaseAlreadyOpen => "release.already_open",
    /// Nobody approves a release they asked for themselves (segregation of duties).
    ReleaseSelfApproval => "release.self_approval",
    /// The request was already approved or rejected.
    ReleaseNotPending => "release.not_pending",
    /// A delivery attempt was recorded for a request that is not approved (any more).
    ReleaseNotApproved => "release.not_approved",

    // Policy documents
    /// The organisation of a new document does not exist.
    PolicyOrganisationMissing => "policy.organisation_missing",
    /// The organisation already has a document of this tier and title.
    PolicyTitleTaken => "policy.title_taken",
    /// A version is in review: its text waits for the decision (or its return to draft).
    PolicyInReview => "policy.in_review",
    /// The step is not taken from the version's state (only drafts are submitted, only
    /// versions in review decided, only the version in force confirmed).
    PolicyWrongState => "policy.wrong_state",
    /// Nobody approves a version they last edited (segregation of duties).
    PolicySelfApproval => "policy.self_approval",
    /// The person has already confirmed this version.
    PolicyAlreadyAcknowledged => "policy.already_acknowledged",

    // Control catalogues
    /// The answer names a measure its catalogue does not have (or a node that is not assessed).
    MeasureMissing => "measure.missing",
    /// The unit of an answer does not exist.
    MeasureUnitMissing => "measure.unit_missing",

    // Risks
    /// The unit a risk is recorded for does not exist.
    RiskUnitMissing => "risk.unit_missing",
    /// The owner of a risk is not in the directory.
    RiskOwnerMissing => "risk.owner_missing",
    /// A risk names an asset the register does not have.
    RiskAssetMissing => "risk.asset_missing",
    /// A risk names a threat that is not registered.
    RiskThreatMissing => "risk.threat_missing",
    /// A risk names a measure that no catalogue has (or a node that is not assessed).
    RiskMeasureMissing => "risk.measure_missing",
    /// Accepting a risk above the matrix's threshold is the CISO's decision, never the owner's.
    RiskAcceptanceReserved => "risk.acceptance_reserved",
    /// A risk matrix that its own rules refuse (sizes, cells, colours), or one that would leave
    /// a stored rating outside it.
    RiskMatrixInvalid => "risk.matrix_invalid",
    /// Another threat already has this code.
    ThreatCodeTaken => "threat.code_taken",

    // Self-inspections, findings and corrective actions
    /// The catalogue already has a campaign for this 年度.
    InspectionYearTaken => "inspection.year_taken",
    /// A campaign names a catalogue, unit or measure that does not exist.
    InspectionScopeMissing => "inspection.scope_missing",
    /// The campaign does not cover this unit.
    InspectionUnitNotCovered => "inspection.unit_not_covered",
    /// A unit's result is signed off only when every item has its answer.
    InspectionIncomplete => "inspection.incomplete",
    /// The unit's result is already signed off.
    InspectionSignedOff => "inspection.signed_off",
    /// A finding names a unit or measure that does not exist.
    FindingScopeMissing => "finding.scope_missing",
    /// The finding is closed: every action was verified.
    FindingClosed => "finding.closed",
    /// The owner of an action is not in the directory.
    ActionOwnerMissing => "action.owner_missing",
    /// The step is not taken from the action's state (only open actions are reported done,
    /// only done ones verified).
    ActionWrongState => "action.wrong_state",
    /// Nobody verifies an action they own (segregation of duties).
    ActionVerifierIsOwner => "action.verifier_is_owner",
    /// An audit's scope names a unit that does not exist, or a member a person who does not.
    AuditScopeMissing => "audit_plan.scope_missing",
    /// The report is issued: the audit is closed to changes.
    AuditReported => "audit_plan.reported",
    /// The unit of a note or finding is not in the audit's scope.
    AuditUnitOutOfScope => "audit_plan.unit_out_of_scope",
    /// Independence: a member of an audited unit does not audit it.
    AuditMemberBelongsToUnit => "audit_plan.member_belongs_to_unit",
    /// Independence: an audited unit's 情報セキュリティ管理者 does not audit it.
    AuditMemberManagesUnit => "audit_plan.member_manages_unit",
    /// Independence: the 情報セキュリティ責任者 over an audited unit does not audit it.
    AuditMemberOverseesOrganisation => "audit_plan.member_oversees_organisation",
    /// An exception names a measure or unit that does not exist.
    ExceptionScopeMissing => "exception.scope_missing",
    /// The exception is decided already.
    ExceptionDecided => "exception.decided",
    /// Nobody decides an exception they asked for (segregation of duties).
    ExceptionSelfDecision => "exception.self_decision",
    /// A review names an audit, self-inspection or risk that does not exist.
    ReviewInputMissing => "review.input_missing",
    /// A review names a policy version that does not exist.
    ReviewVersionMissing => "review.version_missing",
    /// A review cites incidents once they are closed.
    ReviewIncidentOpen => "review.incident_open",
    /// An incident names an asset, threat or owner that does not exist.
    IncidentScopeMissing => "incident.scope_missing",
    /// The incident is closed: it takes notes only.
    IncidentClosed => "incident.closed",
    /// The task is done already.
    IncidentTaskDone => "incident.task_done",
    /// Only the task's owner, or those who triage incidents, mark a task done.
    IncidentTaskNotTheirs => "incident.task_not_theirs",
    /// Lessons learned are recorded once the incident is closed.
    IncidentOpen => "incident.open",
    /// The candidate was decided already (an incident opened from it, or dismissed).
    IncidentCandidateDecided => "incident.candidate_decided",
    /// A candidate is dismissed with a reason.
    IncidentCandidateReasonMissing => "incident.candidate_reason_missing",

    // Third parties
    /// An agreement names a unit, contractor, asset, policy document or person that does not
    /// exist.
    AgreementScopeMissing => "agreement.scope_missing",
    /// A person a contract lists does not hold the contractor role.
    AgreementPersonNotContractor => "agreement.person_not_contractor",
    /// A contract names a policy document that is not a 対策基準 or 実施手順 (the basic policy is
    /// published for everyone).
    AgreementPolicyTier => "agreement.policy_tier",
    /// A contract has a contractor and no managing body; a 指定管理 agreement a managing body and
    /// no contractor, people or policy documents.
    AgreementKindFields => "agreement.kind_fields",
    /// A verification names a requirement the agreement does not carry.
    AgreementRequirementNotCarried => "agreement.requirement_not_carried",
    /// A training course of this code exists already.
    TrainingCodeTaken => "training.code_taken",
    /// A course's audience names a unit that does not exist, or an import an assignment.
    TrainingScopeMissing => "training.scope_missing",
    /// The assignment is recorded as completed already.
    TrainingAlreadyCompleted => "training.already_completed",

    // Cloud services and social-media accounts
    /// Another cloud service of this provider has this name.
    CloudServiceTaken => "cloud.service_taken",
    /// The responsible unit of a cloud service does not exist.
    CloudUnitMissing => "cloud.unit_missing",
    /// A cloud service names a 機密性 level the scale does not have.
    CloudLevelUnknown => "cloud.level_unknown",
    /// The asset to be placed in a cloud service does not exist.
    CloudAssetMissing => "cloud.asset_missing",
    /// The asset is placed in the service already.
    CloudAssetPlaced => "cloud.asset_placed",
    /// The asset is not placed in the service.
    CloudAssetNotPlaced => "cloud.asset_not_placed",
    /// Another account of this platform has this name.
    SocialAccountTaken => "social.account_taken",
    /// The responsible person of a social-media account is not in the directory.
    SocialOwnerMissing => "social.owner_missing",

    // Monitor
    /// A cell of the crossing matrix names a segment that does not exist.
    MonitorZoneMissing => "monitor.zone_missing",
    /// The crossing matrix names a pair twice, a zone with itself, or a note too long.
    MonitorMatrixInvalid => "monitor.matrix_invalid",
    /// The monitor's settings are out of range.
    MonitorSettingsInvalid => "monitor.settings_invalid",
    /// Only an open alert is acknowledged.
    AlertNotOpen => "monitor.alert_not_open",
    /// The alert is closed: it changes no more.
    AlertClosed => "monitor.alert_closed",
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_name_their_area() {
        let mut codes: Vec<&str> = Conflict::ALL.iter().map(Conflict::code).collect();
        assert!(codes.iter().all(|c| {
            c.split_once('.')
                .is_some_and(|(area, rule)| !area.is_empty() && !rule.is_empty())
        }));
        codes.sort_unstable();
        let count = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), count, "a code is used twice");
        assert_eq!(
            Conflict::ReleaseAlreadyOpen.to_string(),
            "release.already_open"
        );
    }
}
