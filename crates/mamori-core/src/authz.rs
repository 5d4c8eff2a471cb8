//! Authorisation, decided here and nowhere else.
//!
//! A [`Granted<P>`] can only be made by [`authorize`], after the rule of permission `P` allowed
//! the actor on the target. Every operation of the store that changes data or reads restricted
//! data takes a `&Granted<P>` for its permission, so a handler that forgot to ask does not
//! compile.

use std::marker::PhantomData;

use crate::asset::AssetId;
use crate::org::{OrgId, PersonId, UnitId, UserId};
use crate::policy::{PolicyId, PolicyPlace, Tier, VersionState};
use crate::release::{QuarantineParties, ReleaseDecision};
use crate::role::{Role, Scope};

/// Who is acting: the account, its person and every role the person holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub person_id: PersonId,
    pub username: String,
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
    pub roles: Vec<(Role, Scope)>,
    /// What the contracts in force that list this person name (委託事業者の従事者): loaded with
    /// the session; empty for everyone else.
    pub contract: ContractGrants,
}

/// The assets and policy documents named by the contracts in force that list a person: a
/// contractor reads these, and nothing else of the register or of the 対策基準 and 実施手順.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractGrants {
    pub assets: Vec<AssetId>,
    pub policies: Vec<PolicyId>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.iter().any(|(r, _)| *r == role)
    }

    fn has_global(&self, roles: &[Role]) -> bool {
        self.roles
            .iter()
            .any(|(r, s)| roles.contains(r) && *s == Scope::Global)
    }

    fn officer_of(&self, org: Option<OrgId>) -> bool {
        org.is_some_and(|org| {
            self.roles
                .iter()
                .any(|(r, s)| *r == Role::SecurityOfficer && *s == Scope::Organisation(org))
        })
    }

    fn manager_of(&self, unit: Option<UnitId>) -> bool {
        unit.is_some_and(|unit| {
            self.roles
                .iter()
                .any(|(r, s)| *r == Role::SecurityManager && *s == Scope::Unit(unit))
        })
    }

    /// An actor whose only roles are contractor roles (or none) sees nothing of the directory.
    fn is_only_contractor(&self) -> bool {
        self.roles.iter().all(|(r, _)| *r == Role::Contractor)
    }

    /// The CISO and the 統括情報セキュリティ責任者 run the whole organisation.
    pub fn is_administrator(&self) -> bool {
        self.has_global(&[Role::Ciso, Role::SecurityDirector])
    }
}

/// The actor was not allowed. Handlers show 403, or 404 where existence itself is restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("permission denied")]
pub struct Denied;

/// A permission: its target and the rule that decides it.
pub trait Permission {
    type Target;
    /// Name used in logs and the audit trail.
    const NAME: &'static str;
    fn allows(actor: &Actor, target: &Self::Target) -> bool;
}

/// Proof that `P` was allowed for the actor. Only [`authorize`] makes one.
#[derive(Debug)]
pub struct Granted<P> {
    actor: UserId,
    excluded_unit: Option<UnitId>,
    _permission: PhantomData<fn() -> P>,
}

impl<P> Granted<P> {
    pub fn actor(&self) -> UserId {
        self.actor
    }

    /// The unit whose records this grant must not reach: an auditor never audits its own unit.
    pub fn excluded_unit(&self) -> Option<UnitId> {
        self.excluded_unit
    }
}

/// Decides `P` for the actor on the target.
pub fn authorize<P: Permission>(actor: &Actor, target: &P::Target) -> Result<Granted<P>, Denied> {
    if !P::allows(actor, target) {
        return Err(Denied);
    }
    let auditor_only = actor.has(Role::Auditor) && !actor.is_administrator();
    Ok(Granted {
        actor: actor.user_id,
        excluded_unit: if auditor_only { actor.unit_id } else { None },
        _permission: PhantomData,
    })
}

/// Read the directory: organisations, units, and names and titles of people.
pub struct ViewDirectory;
impl Permission for ViewDirectory {
    type Target = ();
    const NAME: &'static str = "directory.view";
    fn allows(actor: &Actor, _: &()) -> bool {
        !actor.is_only_contractor()
    }
}

/// Create and edit organisations (機関).
pub struct ManageOrganisations;
impl Permission for ManageOrganisations {
    type Target = ();
    const NAME: &'static str = "organisation.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// Create and edit units within an organisation.
pub struct ManageUnits;
impl Permission for ManageUnits {
    type Target = OrgId;
    const NAME: &'static str = "unit.manage";
    fn allows(actor: &Actor, org: &OrgId) -> bool {
        actor.is_administrator() || actor.officer_of(Some(*org))
    }
}

/// Where a person sits, for rules about people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonPlace {
    pub person_id: Option<PersonId>,
    pub org_id: Option<OrgId>,
    pub unit_id: Option<UnitId>,
}

/// Create and edit people.
pub struct ManagePeople;
impl Permission for ManagePeople {
    type Target = PersonPlace;
    const NAME: &'static str = "person.manage";
    fn allows(actor: &Actor, place: &PersonPlace) -> bool {
        actor.is_administrator()
            || actor.officer_of(place.org_id)
            || actor.manager_of(place.unit_id)
    }
}

/// See a person's restricted details (contact details, roles, account).
pub struct ViewPersonDetail;
impl Permission for ViewPersonDetail {
    type Target = PersonPlace;
    const NAME: &'static str = "person.view_detail";
    fn allows(actor: &Actor, place: &PersonPlace) -> bool {
        if place.person_id == Some(actor.person_id) {
            return true;
        }
        if actor.is_administrator()
            || actor.has_global(&[Role::Csirt])
            || actor.officer_of(place.org_id)
            || actor.manager_of(place.unit_id)
        {
            return true;
        }
        if actor.has(Role::Auditor) && (place.unit_id.is_none() || place.unit_id != actor.unit_id) {
            return true;
        }
        // Staff see colleagues of their own unit.
        actor.has(Role::Staff) && place.unit_id.is_some() && place.unit_id == actor.unit_id
    }
}

/// A role assignment that someone wants to make or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub person: PersonPlace,
    pub role: Role,
    pub scope: Scope,
    /// The organisation the scope lies in, when it is an organisation or a unit.
    pub scope_org: Option<OrgId>,
}

/// Give or take a role. Nobody changes their own roles (segregation of duties); only the CISO
/// makes a CISO; an 情報セキュリティ責任者 manages unit-level roles within their organisation.
pub struct AssignRoles;
impl Permission for AssignRoles {
    type Target = RoleChange;
    const NAME: &'static str = "role.assign";
    fn allows(actor: &Actor, change: &RoleChange) -> bool {
        if change.person.person_id == Some(actor.person_id) {
            return false;
        }
        if actor.has_global(&[Role::Ciso]) {
            return true;
        }
        if actor.has_global(&[Role::SecurityDirector]) {
            return change.role != Role::Ciso;
        }
        let unit_level = matches!(
            change.role,
            Role::SecurityManager | Role::SystemAdministrator | Role::Staff | Role::Contractor
        );
        unit_level
            && actor.officer_of(change.person.org_id)
            && (change.scope_org.is_none() || change.scope_org == change.person.org_id)
    }
}

/// Create accounts, disable them, reset passwords and second factors.
pub struct ManageAccounts;
impl Permission for ManageAccounts {
    type Target = ();
    const NAME: &'static str = "account.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// Browse the audit trail. Auditors get a grant that excludes their own unit.
pub struct ViewAudit;
impl Permission for ViewAudit {
    type Target = ();
    const NAME: &'static str = "audit.view";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.has_global(&[
            Role::Ciso,
            Role::SecurityDirector,
            Role::Auditor,
            Role::Csirt,
        ])
    }
}

/// Where an asset sits and how its class restricts it, for rules about assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetPlace {
    /// The asset itself; none for one not yet registered.
    pub asset: Option<AssetId>,
    pub owner_unit: Option<UnitId>,
    pub owner_org: Option<OrgId>,
    /// The confidentiality level's `rules.restricted` (機密性3, 3A/3B/3C).
    pub restricted: bool,
    /// The level's `rules.existence_visible`: others may know the asset exists.
    pub existence_visible: bool,
}

impl Actor {
    /// Which restricted assets the actor may see in detail: the register's listing hides the
    /// others (and shows those whose existence the rules make visible without their detail).
    pub fn asset_visibility(&self) -> AssetVisibility {
        if self.is_administrator() || self.has_global(&[Role::Csirt]) {
            return AssetVisibility::All;
        }
        let mut units: Vec<UnitId> = self
            .roles
            .iter()
            .filter_map(|(r, s)| match (r, s) {
                (Role::SecurityManager, Scope::Unit(u)) => Some(*u),
                _ => None,
            })
            .collect();
        if let Some(own) = self.unit_id
            && !self.is_only_contractor()
        {
            units.push(own);
        }
        let orgs = self
            .roles
            .iter()
            .filter_map(|(r, s)| match (r, s) {
                (Role::SecurityOfficer, Scope::Organisation(o)) => Some(*o),
                _ => None,
            })
            .collect();
        units.sort();
        units.dedup();
        AssetVisibility::Some { units, orgs }
    }
}

/// The restricted assets an actor may see in detail (see [`Actor::asset_visibility`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetVisibility {
    All,
    /// Restricted assets owned by these units or by units of these organisations.
    Some {
        units: Vec<UnitId>,
        orgs: Vec<OrgId>,
    },
}

impl AssetVisibility {
    pub fn covers(&self, place: &AssetPlace) -> bool {
        match self {
            AssetVisibility::All => true,
            AssetVisibility::Some { units, orgs } => {
                place.owner_unit.is_some_and(|u| units.contains(&u))
                    || place.owner_org.is_some_and(|o| orgs.contains(&o))
            }
        }
    }
}

/// 情報資産台帳を見る: the register's list and summary (restricted assets are filtered by
/// [`AssetVisibility`]). Contractors see only what their contract covers, so not the register.
pub struct ViewAssets;
impl Permission for ViewAssets {
    type Target = ();
    const NAME: &'static str = "asset.view";
    fn allows(actor: &Actor, _: &()) -> bool {
        !actor.is_only_contractor()
    }
}

/// See one asset in detail. 機密性3 (and 3A/3B/3C, any level whose rules are `restricted`) only
/// to the owner unit's members and the security roles over it; the store audits every such read.
/// A contractor sees the assets their contracts in force name, and no other.
pub struct ViewAssetDetail;
impl Permission for ViewAssetDetail {
    type Target = AssetPlace;
    const NAME: &'static str = "asset.view_detail";
    fn allows(actor: &Actor, place: &AssetPlace) -> bool {
        if place
            .asset
            .is_some_and(|id| actor.contract.assets.contains(&id))
        {
            return true;
        }
        if actor.is_only_contractor() {
            return false;
        }
        !place.restricted || actor.asset_visibility().covers(place)
    }
}

/// Register, edit, reclassify and dispose of the assets of a unit: its 情報セキュリティ管理者, the
/// 情報セキュリティ責任者 of its organisation, and the administrators.
pub struct ManageAssets;
impl Permission for ManageAssets {
    type Target = AssetPlace;
    const NAME: &'static str = "asset.manage";
    fn allows(actor: &Actor, place: &AssetPlace) -> bool {
        actor.is_administrator()
            || actor.officer_of(place.owner_org)
            || actor.manager_of(place.owner_unit)
    }
}

/// Segments, classification scales and bulk imports of the whole register: administrators.
pub struct ManageRegister;
impl Permission for ManageRegister {
    type Target = ();
    const NAME: &'static str = "register.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 隔離されたメールの一覧と申請の承認待ち: the roles that decide releases (情報セキュリティ管理者 of
/// any unit, 情報セキュリティ責任者, the administrators) and CSIRT. They see envelopes and the
/// sanitize report, never the original's bytes.
pub struct ViewQuarantine;
impl Permission for ViewQuarantine {
    type Target = ();
    const NAME: &'static str = "quarantine.view";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
            || actor.has_global(&[Role::Csirt])
            || actor.has(Role::SecurityOfficer)
            || actor.has(Role::SecurityManager)
    }
}

impl Actor {
    /// Sees every unit's quarantine: the CISO, the 統括情報セキュリティ責任者 and the CSIRT.
    pub fn sees_all_quarantine(&self) -> bool {
        self.is_administrator() || self.has_global(&[Role::Csirt])
    }
}

/// See one quarantined message: whoever may ask for it (see [`RequestRelease`]), the roles that
/// see every unit's quarantine, and the 情報セキュリティ責任者 / 管理者 of the organisation or unit
/// of a person the message concerns — not those of other units.
pub struct ViewQuarantineItem;
impl Permission for ViewQuarantineItem {
    type Target = QuarantineParties;
    const NAME: &'static str = "quarantine.view_item";
    fn allows(actor: &Actor, parties: &QuarantineParties) -> bool {
        parties.actor_asker().is_some()
            || actor.sees_all_quarantine()
            || parties
                .concerned
                .iter()
                .any(|(org, unit)| actor.officer_of(*org) || actor.manager_of(*unit))
    }
}

/// 原本の提供を申請する: only someone the message was addressed to (a recipient of inbound mail,
/// the sender of held outbound mail), matched on the e-mail address of their person record.
/// Nobody asks on another's behalf, not even an administrator. The caller fills
/// `actor_email` from the actor's own person record, never from the request.
pub struct RequestRelease;
impl Permission for RequestRelease {
    type Target = QuarantineParties;
    const NAME: &'static str = "quarantine.release.request";
    fn allows(_: &Actor, parties: &QuarantineParties) -> bool {
        parties.actor_asker().is_some()
    }
}

/// 原本の提供を承認する: the 情報セキュリティ管理者 of the requester's unit, or a higher role in
/// the same line (the 情報セキュリティ責任者 of the requester's organisation, the 統括情報セキュリティ
/// 責任者, the CISO). Never the requester (segregation of duties), whatever roles they hold.
pub struct ApproveRelease;
impl Permission for ApproveRelease {
    type Target = ReleaseDecision;
    const NAME: &'static str = "quarantine.release.approve";
    fn allows(actor: &Actor, request: &ReleaseDecision) -> bool {
        if actor.user_id == request.requester || actor.person_id == request.requester_person {
            return false;
        }
        actor.is_administrator()
            || actor.officer_of(request.requester_org)
            || actor.manager_of(request.requester_unit)
    }
}

/// 情報セキュリティポリシーを読む. An effective (or superseded) version is read by everyone
/// on the staff (with a role other than contractor, or a member of an organisation without
/// any role); a version not yet in force by whoever manages or approves the document and by
/// the auditors. A contractor reads only the 対策基準 and 実施手順 that their contracts in force
/// name, every version past the draft (one in review is the text they will work to), and never
/// a draft being written. The basic policy in force is also published without login, outside
/// this rule.
pub struct ViewPolicy;
impl Permission for ViewPolicy {
    type Target = PolicyPlace;
    const NAME: &'static str = "policy.read";
    fn allows(actor: &Actor, place: &PolicyPlace) -> bool {
        // A member of staff without a role assignment still reads the rules they must follow;
        // a contractor reads what their contract names.
        if !actor.on_staff() {
            return place.tier != Tier::Basic
                && place.state != VersionState::Draft
                && place
                    .policy
                    .is_some_and(|id| actor.contract.policies.contains(&id));
        }
        matches!(
            place.state,
            VersionState::Effective | VersionState::Superseded
        ) || ManagePolicies::allows(actor, &place.org)
            || may_approve(actor, place)
            || actor.has_global(&[Role::Auditor])
    }
}

/// 文書を作成・改定する: the CISO, the 統括, and the 情報セキュリティ責任者 of the document's
/// organisation.
pub struct ManagePolicies;
impl Permission for ManagePolicies {
    type Target = OrgId;
    const NAME: &'static str = "policy.manage";
    fn allows(actor: &Actor, org: &OrgId) -> bool {
        actor.is_administrator() || actor.officer_of(Some(*org))
    }
}

/// Holds the role a document names as its approver (the CISO approves every document).
fn may_approve(actor: &Actor, place: &PolicyPlace) -> bool {
    actor.has_global(&[Role::Ciso])
        || match place.approver_role {
            Role::SecurityOfficer => actor.officer_of(Some(place.org)),
            role => actor.has_global(&[role]),
        }
}

/// 版を承認する: the role the document names (the CISO by default), and never the account or
/// person that last edited the version (segregation of duties; the store checks it again).
pub struct ApprovePolicy;
impl Permission for ApprovePolicy {
    type Target = PolicyPlace;
    const NAME: &'static str = "policy.approve";
    fn allows(actor: &Actor, place: &PolicyPlace) -> bool {
        if place.editor == Some(actor.user_id) || place.editor_person == Some(actor.person_id) {
            return false;
        }
        may_approve(actor, place)
    }
}

/// 遵守の確認 (seed §5): a member of the document's organisation confirms they have read the
/// version in force.
pub struct AcknowledgePolicy;
impl Permission for AcknowledgePolicy {
    type Target = PolicyPlace;
    const NAME: &'static str = "policy.acknowledge";
    fn allows(actor: &Actor, place: &PolicyPlace) -> bool {
        place.state == VersionState::Effective && actor.org_id == Some(place.org)
    }
}

/// Who has confirmed a version, per unit: the administrators, the organisation's 責任者 and the
/// auditors for every unit, a unit's 管理者 for their own (`None` asks for every unit).
pub struct ViewAcknowledgements;
impl Permission for ViewAcknowledgements {
    type Target = (OrgId, Option<UnitId>);
    const NAME: &'static str = "policy.acknowledgements";
    fn allows(actor: &Actor, (org, unit): &(OrgId, Option<UnitId>)) -> bool {
        actor.oversees(*org, *unit)
    }
}

impl Actor {
    /// Oversees the units of an organisation: the administrators, its 責任者 and the auditors
    /// every unit; a unit's 管理者 their own (`None` asks for every unit).
    fn oversees(&self, org: OrgId, unit: Option<UnitId>) -> bool {
        self.is_administrator()
            || self.officer_of(Some(org))
            || self.has_global(&[Role::Auditor])
            || self.manager_of(unit)
    }

    /// On the staff: a role other than contractor, or a member of an organisation without any
    /// role. A contractor reads only what their contract names.
    fn on_staff(&self) -> bool {
        self.roles.iter().any(|(r, _)| *r != Role::Contractor)
            || (self.roles.is_empty() && self.org_id.is_some())
    }
}

/// 対策項目を読む: the catalogues of measures, for everyone on the staff.
pub struct ViewControls;
impl Permission for ViewControls {
    type Target = ();
    const NAME: &'static str = "controls.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.on_staff()
    }
}

/// 対策項目集を取り込む: the administrators.
pub struct ManageCatalogues;
impl Permission for ManageCatalogues {
    type Target = ();
    const NAME: &'static str = "controls.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 実施状況を読む: whoever oversees the unit (see [`ViewAcknowledgements`]) and the CSIRT.
pub struct ViewMeasureStatus;
impl Permission for ViewMeasureStatus {
    type Target = (OrgId, Option<UnitId>);
    const NAME: &'static str = "controls.status.read";
    fn allows(actor: &Actor, (org, unit): &(OrgId, Option<UnitId>)) -> bool {
        actor.oversees(*org, *unit) || actor.has_global(&[Role::Csirt])
    }
}

/// 実施状況を回答する: the unit's 管理者, its organisation's 責任者 and the administrators; never an
/// auditor (who judges the answers) unless they also hold one of those roles.
pub struct RecordMeasureStatus;
impl Permission for RecordMeasureStatus {
    type Target = (OrgId, UnitId);
    const NAME: &'static str = "controls.status.record";
    fn allows(actor: &Actor, (org, unit): &(OrgId, UnitId)) -> bool {
        actor.is_administrator() || actor.officer_of(Some(*org)) || actor.manager_of(Some(*unit))
    }
}

/// Where a risk sits: the unit it is recorded for, that unit's organisation, and its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskPlace {
    pub org: OrgId,
    pub unit: UnitId,
    pub owner: PersonId,
}

/// リスク台帳を読む: the register shows where the organisation is weak, so it is not for every
/// member of staff. A risk is seen by the administrators, the CSIRT, the auditors (never over
/// their own unit), the 責任者 of its organisation, the 管理者 of its unit, and its owner.
pub struct ViewRisk;
impl Permission for ViewRisk {
    type Target = RiskPlace;
    const NAME: &'static str = "risk.read";
    fn allows(actor: &Actor, place: &RiskPlace) -> bool {
        place.owner == actor.person_id
            || actor.is_administrator()
            || actor.has_global(&[Role::Csirt])
            || (actor.has_global(&[Role::Auditor]) && actor.unit_id != Some(place.unit))
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
    }
}

/// リスクを登録・更新する: the unit's 管理者, its organisation's 責任者 and the administrators.
pub struct ManageRisks;
impl Permission for ManageRisks {
    type Target = RiskPlace;
    const NAME: &'static str = "risk.manage";
    fn allows(actor: &Actor, place: &RiskPlace) -> bool {
        actor.is_administrator()
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
    }
}

/// A risk to be accepted: where it sits and whether its level is above the matrix's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskAcceptance {
    pub place: RiskPlace,
    /// Its level (the residual one, else the inherent one) is above the threshold.
    pub reserved: bool,
}

/// リスクを受容する. Above the matrix's threshold it is the CISO's decision and never the owner's
/// (not even an owner who is the CISO: segregation of duties; the store checks it again). At or
/// below, the owner, the unit's 管理者, its organisation's 責任者 and the administrators.
pub struct AcceptRisk;
impl Permission for AcceptRisk {
    type Target = RiskAcceptance;
    const NAME: &'static str = "risk.accept";
    fn allows(actor: &Actor, risk: &RiskAcceptance) -> bool {
        let owner = risk.place.owner == actor.person_id;
        if risk.reserved {
            return !owner && actor.has_global(&[Role::Ciso]);
        }
        owner || ManageRisks::allows(actor, &risk.place)
    }
}

impl Actor {
    /// Holds a role that sees risks beyond their own: for the register's place in the menu (an
    /// owner without such a role still reaches their own risks).
    pub fn oversees_risks(&self) -> bool {
        self.roles.iter().any(|(r, _)| {
            matches!(
                r,
                Role::Ciso
                    | Role::SecurityDirector
                    | Role::SecurityOfficer
                    | Role::SecurityManager
                    | Role::Csirt
                    | Role::Auditor
            )
        })
    }

    /// Holds a role that records risks for some unit.
    pub fn records_risks(&self) -> bool {
        self.is_administrator()
            || self.has(Role::SecurityOfficer)
            || self.has(Role::SecurityManager)
    }
}

/// 脅威とリスクマトリクスを編集する: the administrators.
pub struct ManageThreats;
impl Permission for ManageThreats {
    type Target = ();
    const NAME: &'static str = "threat.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 脅威の一覧を読む: everyone on the staff (the threats are the policy's own list).
pub struct ViewThreats;
impl Permission for ViewThreats {
    type Target = ();
    const NAME: &'static str = "threat.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.on_staff()
    }
}

/// 自己点検の実施を作る: the administrators open a campaign and choose its units.
pub struct ManageInspections;
impl Permission for ManageInspections {
    type Target = ();
    const NAME: &'static str = "inspection.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 自己点検の結果を承認する: the 情報セキュリティ責任者 of the unit's organisation, or the
/// administrators; never an auditor (who judges the results) by that role alone.
pub struct SignOffInspection;
impl Permission for SignOffInspection {
    type Target = (OrgId, UnitId);
    const NAME: &'static str = "inspection.sign_off";
    fn allows(actor: &Actor, (org, _): &(OrgId, UnitId)) -> bool {
        actor.is_administrator() || actor.officer_of(Some(*org))
    }
}

/// Where a finding sits: the unit it concerns and that unit's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FindingPlace {
    pub org: OrgId,
    pub unit: UnitId,
}

/// 指摘事項を読む: whoever oversees the unit (its 管理者, its organisation's 責任者, the
/// administrators and the auditors, never over their own unit) and the CSIRT; and the owner of
/// one of its corrective actions (checked by the caller, which knows the actions).
pub struct ViewFindings;
impl Permission for ViewFindings {
    type Target = FindingPlace;
    const NAME: &'static str = "finding.read";
    fn allows(actor: &Actor, place: &FindingPlace) -> bool {
        let auditor = actor.has_global(&[Role::Auditor]) && actor.unit_id != Some(place.unit);
        actor.is_administrator()
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
            || auditor
            || actor.has_global(&[Role::Csirt])
    }
}

/// 指摘事項を記録・格付けする: the auditors (never over their own unit) and the administrators.
pub struct ManageFindings;
impl Permission for ManageFindings {
    type Target = FindingPlace;
    const NAME: &'static str = "finding.manage";
    fn allows(actor: &Actor, place: &FindingPlace) -> bool {
        actor.is_administrator()
            || (actor.has_global(&[Role::Auditor]) && actor.unit_id != Some(place.unit))
    }
}

/// 是正処置を立てる: the unit's 管理者, its organisation's 責任者 and the administrators.
pub struct PlanCorrectiveAction;
impl Permission for PlanCorrectiveAction {
    type Target = FindingPlace;
    const NAME: &'static str = "action.plan";
    fn allows(actor: &Actor, place: &FindingPlace) -> bool {
        actor.is_administrator()
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
    }
}

/// A corrective action: where its finding sits, and who owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionPlace {
    pub finding: FindingPlace,
    pub owner: PersonId,
}

/// 是正処置の完了を報告する: its owner, or whoever may plan it.
pub struct CompleteCorrectiveAction;
impl Permission for CompleteCorrectiveAction {
    type Target = ActionPlace;
    const NAME: &'static str = "action.complete";
    fn allows(actor: &Actor, place: &ActionPlace) -> bool {
        place.owner == actor.person_id || PlanCorrectiveAction::allows(actor, &place.finding)
    }
}

/// 是正処置の完了を確認する: an auditor (never over their own unit) or an administrator, and
/// never the action's owner (segregation of duties; the store checks it again).
pub struct VerifyCorrectiveAction;
impl Permission for VerifyCorrectiveAction {
    type Target = ActionPlace;
    const NAME: &'static str = "action.verify";
    fn allows(actor: &Actor, place: &ActionPlace) -> bool {
        place.owner != actor.person_id && ManageFindings::allows(actor, &place.finding)
    }
}

impl Actor {
    /// Holds a role that sees self-inspections and findings beyond what they own: for the menu.
    pub fn oversees_assurance(&self) -> bool {
        self.is_administrator()
            || self.roles.iter().any(|(r, _)| {
                matches!(
                    r,
                    Role::SecurityOfficer | Role::SecurityManager | Role::Csirt | Role::Auditor
                )
            })
    }
}

/// Where an audit sits: the units in its scope with their organisations, its team, and
/// whether its report is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPlace {
    pub scope: Vec<(OrgId, UnitId)>,
    pub team: Vec<PersonId>,
    pub reported: bool,
}

/// 監査を計画する (plan, scope, team): the administrators, who commission audits.
pub struct ManageAudits;
impl Permission for ManageAudits {
    type Target = ();
    const NAME: &'static str = "audit_plan.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 監査を読む: the administrators, the audit's team, and the auditors independent of its scope;
/// once its report is issued, also the 責任者 and 管理者 over a unit of the scope.
pub struct ViewSecurityAudit;
impl Permission for ViewSecurityAudit {
    type Target = AuditPlace;
    const NAME: &'static str = "audit_plan.read";
    fn allows(actor: &Actor, audit: &AuditPlace) -> bool {
        let independent_auditor = actor.has_global(&[Role::Auditor])
            && !audit
                .scope
                .iter()
                .any(|(_, unit)| actor.unit_id == Some(*unit));
        let audited = audit
            .scope
            .iter()
            .any(|(org, unit)| actor.officer_of(Some(*org)) || actor.manager_of(Some(*unit)));
        actor.is_administrator()
            || audit.team.contains(&actor.person_id)
            || independent_auditor
            || (audit.reported && audited)
    }
}

/// 監査を実施する (fieldwork notes, findings, the report): the audit's team, until the report is
/// issued.
pub struct WorkOnAudit;
impl Permission for WorkOnAudit {
    type Target = AuditPlace;
    const NAME: &'static str = "audit_plan.work";
    fn allows(actor: &Actor, audit: &AuditPlace) -> bool {
        !audit.reported && audit.team.contains(&actor.person_id)
    }
}

impl Actor {
    /// Holds a role that reads audits: for the menu.
    pub fn reads_audits(&self) -> bool {
        self.is_administrator() || self.has(Role::Auditor)
    }
}

/// 例外措置を申請する: the unit's 管理者, its organisation's 責任者 and the administrators.
pub struct RequestException;
impl Permission for RequestException {
    type Target = (OrgId, UnitId);
    const NAME: &'static str = "exception.request";
    fn allows(actor: &Actor, (org, unit): &(OrgId, UnitId)) -> bool {
        RecordMeasureStatus::allows(actor, &(*org, *unit))
    }
}

/// An exception to be decided: its unit, and who asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExceptionPlace {
    pub org: OrgId,
    pub unit: UnitId,
    pub requested_by: Option<UserId>,
}

/// 例外措置を読む: whoever oversees the unit and the CSIRT (as for the measures' answers).
pub struct ViewExceptions;
impl Permission for ViewExceptions {
    type Target = ExceptionPlace;
    const NAME: &'static str = "exception.read";
    fn allows(actor: &Actor, place: &ExceptionPlace) -> bool {
        ViewMeasureStatus::allows(actor, &(place.org, Some(place.unit)))
    }
}

/// 例外措置を許可する: the CISO, and never on their own request (the store checks it again).
pub struct DecideException;
impl Permission for DecideException {
    type Target = ExceptionPlace;
    const NAME: &'static str = "exception.decide";
    fn allows(actor: &Actor, place: &ExceptionPlace) -> bool {
        actor.has_global(&[Role::Ciso]) && place.requested_by != Some(actor.user_id)
    }
}

/// 見直しを記録する: the administrators (the CISO and the 統括情報セキュリティ責任者 review the
/// policy).
pub struct ManageReviews;
impl Permission for ManageReviews {
    type Target = ();
    const NAME: &'static str = "review.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 見直しを読む: the roles that oversee units, the CSIRT and the auditors.
pub struct ViewReviews;
impl Permission for ViewReviews {
    type Target = ();
    const NAME: &'static str = "review.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.oversees_assurance()
    }
}

/// インシデントを報告する: every person signed in, contractors included.
pub struct ReportIncident;
impl Permission for ReportIncident {
    type Target = ();
    const NAME: &'static str = "incident.report";
    fn allows(_: &Actor, _: &()) -> bool {
        true
    }
}

/// お知らせ: one's own notices and one's choice about the daily digest; every person signed in.
pub struct OwnNotices;
impl Permission for OwnNotices {
    type Target = ();
    const NAME: &'static str = "notice.own";
    fn allows(_: &Actor, _: &()) -> bool {
        true
    }
}

/// The outbox of notice mails (what was sent, what waits for the relay, what it refused):
/// administrators.
pub struct ViewOutbox;
impl Permission for ViewOutbox {
    type Target = ();
    const NAME: &'static str = "notice.outbox";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 緊急連絡網を読む (the reporting chain's holders with their phone and mail): everyone on the
/// staff, who must know whom to call.
pub struct ViewContactChain;
impl Permission for ViewContactChain {
    type Target = ();
    const NAME: &'static str = "incident.contacts.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.on_staff()
    }
}

/// Where an incident sits: the unit it was reported from, who reported it, and the owners of
/// its tasks (対応タスク).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentPlace {
    pub org: Option<OrgId>,
    pub unit: Option<UnitId>,
    pub reporter: PersonId,
    pub task_owners: Vec<PersonId>,
}

/// インシデントを読む: the CSIRT and the administrators, the reporter, the 管理者 and 責任者
/// over the unit it was reported from (the first in the reporting chain), and whoever owns one
/// of its tasks.
pub struct ViewIncident;
impl Permission for ViewIncident {
    type Target = IncidentPlace;
    const NAME: &'static str = "incident.read";
    fn allows(actor: &Actor, place: &IncidentPlace) -> bool {
        place.reporter == actor.person_id
            || TriageIncident::allows(actor, place)
            || actor.manager_of(place.unit)
            || actor.officer_of(place.org)
            || place.task_owners.contains(&actor.person_id)
    }
}

/// One task of an incident: where the incident sits and who owns the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTaskPlace {
    pub incident: IncidentPlace,
    pub owner: PersonId,
}

/// 対応タスクを完了にする: the task's owner, or those who triage incidents.
pub struct CompleteIncidentTask;
impl Permission for CompleteIncidentTask {
    type Target = IncidentTaskPlace;
    const NAME: &'static str = "incident.task.complete";
    fn allows(actor: &Actor, place: &IncidentTaskPlace) -> bool {
        place.owner == actor.person_id || TriageIncident::allows(actor, &place.incident)
    }
}

/// インシデント候補を読む (what the gateway and the monitor raised): whoever triages incidents.
pub struct ViewIncidentCandidates;
impl Permission for ViewIncidentCandidates {
    type Target = ();
    const NAME: &'static str = "incident.candidate.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator() || actor.has_global(&[Role::Csirt])
    }
}

/// インシデント候補を判断する (open an incident from it, or dismiss it): the CSIRT and the CISO.
pub struct DecideIncidentCandidate;
impl Permission for DecideIncidentCandidate {
    type Target = ();
    const NAME: &'static str = "incident.candidate.decide";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.has_global(&[Role::Csirt, Role::Ciso])
    }
}

/// インシデントに対応する (triage, timeline, notifications): the CSIRT and the administrators.
pub struct TriageIncident;
impl Permission for TriageIncident {
    type Target = IncidentPlace;
    const NAME: &'static str = "incident.triage";
    fn allows(actor: &Actor, _: &IncidentPlace) -> bool {
        actor.is_administrator() || actor.has_global(&[Role::Csirt])
    }
}

/// 外部サービスとSNSアカウントの台帳を読む: every member of staff; a contractor reads only what
/// their contract names.
pub struct ViewThirdPartyRegisters;
impl Permission for ViewThirdPartyRegisters {
    type Target = ();
    const NAME: &'static str = "register.third_party.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.on_staff()
    }
}

/// 外部サービスを登録する: the administrators (the CISO and the 統括情報セキュリティ責任者).
pub struct ManageCloudServices;
impl Permission for ManageCloudServices {
    type Target = ();
    const NAME: &'static str = "cloud.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// Where a cloud service sits: its responsible unit and that unit's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudPlace {
    pub org: OrgId,
    pub unit: UnitId,
}

/// 外部サービスを編集し、資産を配置する: the administrators, the responsible unit's 管理者 and its
/// organisation's 責任者 (as for the unit's assets).
pub struct EditCloudService;
impl Permission for EditCloudService {
    type Target = CloudPlace;
    const NAME: &'static str = "cloud.edit";
    fn allows(actor: &Actor, place: &CloudPlace) -> bool {
        actor.is_administrator()
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
    }
}

/// SNSアカウントを登録・編集する: the administrators.
pub struct ManageSocialAccounts;
impl Permission for ManageSocialAccounts {
    type Target = ();
    const NAME: &'static str = "social.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// Where a social-media account sits: the unit of its responsible person (none without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocialPlace {
    pub org: Option<OrgId>,
    pub unit: Option<UnitId>,
}

/// SNSアカウントの点検を記録する: the administrators, and the 管理者 of the unit that owns the
/// account (its responsible person's) and that unit's 責任者. The responsible person alone does
/// not review their own account.
pub struct ReviewSocialAccount;
impl Permission for ReviewSocialAccount {
    type Target = SocialPlace;
    const NAME: &'static str = "social.review";
    fn allows(actor: &Actor, place: &SocialPlace) -> bool {
        actor.is_administrator() || actor.officer_of(place.org) || actor.manager_of(place.unit)
    }
}

/// 研修を管理する (courses, their assignments, completions of others and their import): the
/// administrators, the CISO among them.
pub struct ManageTraining;
impl Permission for ManageTraining {
    type Target = ();
    const NAME: &'static str = "training.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

/// 研修を読む (the courses and their audience): everyone on the staff.
pub struct ViewTrainingCourses;
impl Permission for ViewTrainingCourses {
    type Target = ();
    const NAME: &'static str = "training.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.on_staff()
    }
}

/// 受講状況を読む for a unit (its progress and who has not completed): whoever oversees the unit
/// — its 管理者, its organisation's 責任者, the auditors and the administrators.
pub struct ViewTrainingProgress;
impl Permission for ViewTrainingProgress {
    type Target = (OrgId, UnitId);
    const NAME: &'static str = "training.progress.read";
    fn allows(actor: &Actor, (org, unit): &(OrgId, UnitId)) -> bool {
        actor.oversees(*org, Some(*unit))
    }
}

/// 受講完了を記録する: the person assigned, for themself, and the administrators for anyone.
pub struct RecordTrainingCompletion;
impl Permission for RecordTrainingCompletion {
    type Target = PersonId;
    const NAME: &'static str = "training.complete";
    fn allows(actor: &Actor, person: &PersonId) -> bool {
        *person == actor.person_id || actor.is_administrator()
    }
}

/// Where a contract or a 指定管理 agreement sits: the unit responsible for it with its
/// organisation, and the contractor's people it lists (none for a 指定管理 agreement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementPlace {
    pub org: OrgId,
    pub unit: UnitId,
    pub people: Vec<PersonId>,
}

/// 委託事業者・契約と指定管理者の協定を管理する (register, edit): the administrators (the CISO and
/// the 統括).
pub struct ManageThirdParties;
impl Permission for ManageThirdParties {
    type Target = ();
    const NAME: &'static str = "third_party.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

impl Actor {
    /// Oversees third parties beyond their own contract: the administrators, the auditors, and
    /// the 責任者 and 管理者 (each for their organisation's or unit's agreements).
    fn oversees_third_parties(&self) -> bool {
        self.is_administrator()
            || self.has_global(&[Role::Auditor])
            || self.has(Role::SecurityOfficer)
            || self.has(Role::SecurityManager)
    }
}

/// 委託事業者の一覧を読む (companies, their addresses and contacts): whoever oversees third
/// parties; a contractor sees their company on their own contract only.
pub struct ViewContractors;
impl Permission for ViewContractors {
    type Target = ();
    const NAME: &'static str = "contractor.read";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.oversees_third_parties()
    }
}

/// The lists of contracts and agreements: whoever oversees third parties, and the contractors
/// (who find their own contract there); each item is then [`ViewAgreement`]'s.
pub struct ViewThirdParties;
impl Permission for ViewThirdParties {
    type Target = ();
    const NAME: &'static str = "third_party.list";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.oversees_third_parties() || actor.has(Role::Contractor)
    }
}

/// 契約・協定を読む: the administrators and the auditors, the 責任者 of the responsible unit's
/// organisation and the unit's 管理者, and the contractor's people the contract lists (their own
/// contract, and no other).
pub struct ViewAgreement;
impl Permission for ViewAgreement {
    type Target = AgreementPlace;
    const NAME: &'static str = "agreement.read";
    fn allows(actor: &Actor, place: &AgreementPlace) -> bool {
        actor.is_administrator()
            || actor.has_global(&[Role::Auditor])
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
            || place.people.contains(&actor.person_id)
    }
}

/// 遵守状況を確認する (a verification of a requirement): the responsible unit's 管理者, its
/// organisation's 責任者 and the administrators; never the contractor checked, nor an auditor
/// by that role alone.
pub struct VerifyAgreement;
impl Permission for VerifyAgreement {
    type Target = AgreementPlace;
    const NAME: &'static str = "agreement.verify";
    fn allows(actor: &Actor, place: &AgreementPlace) -> bool {
        if place.people.contains(&actor.person_id) {
            return false;
        }
        actor.is_administrator()
            || actor.officer_of(Some(place.org))
            || actor.manager_of(Some(place.unit))
    }
}

/// 不正通信の監視を読む (seed §6(3), §6(7)): the monitor's alerts with their evidence, the
/// crossing matrix, the monitor's settings and the flows between segments; the CSIRT, the
/// administrators (the CISO and the 統括情報セキュリティ責任者) and the auditors, read-only.
///
/// The monitor process itself reads the site and writes what it finds through the store's
/// `monitor_site` and `record_monitor`, which take no grant: like the release worker and the
/// notices' sweep it is background work of the operator's process, never reached by a request,
/// and its writes are audited as `system:monitor`.
pub struct ViewMonitor;
impl Permission for ViewMonitor {
    type Target = ();
    const NAME: &'static str = "monitor.view";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.has_global(&[
            Role::Ciso,
            Role::SecurityDirector,
            Role::Csirt,
            Role::Auditor,
        ])
    }
}

/// 監視アラートに対応する (acknowledge, close, link to an incident candidate): the CSIRT.
pub struct HandleAlerts;
impl Permission for HandleAlerts {
    type Target = ();
    const NAME: &'static str = "monitor.alert.handle";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.has_global(&[Role::Csirt])
    }
}

/// 通信経路の許可表と監視の設定を変える: the CISO's office (the administrators).
pub struct ManageMonitor;
impl Permission for ManageMonitor {
    type Target = ();
    const NAME: &'static str = "monitor.manage";
    fn allows(actor: &Actor, _: &()) -> bool {
        actor.is_administrator()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(person: i64, unit: Option<i64>, roles: &[(Role, Scope)]) -> Actor {
        Actor {
            user_id: UserId(person),
            person_id: PersonId(person),
            username: format!("u{person}"),
            org_id: Some(OrgId(1)),
            unit_id: unit.map(UnitId),
            roles: roles.to_vec(),
            contract: ContractGrants::default(),
        }
    }

    fn place(person: i64, org: i64, unit: i64) -> PersonPlace {
        PersonPlace {
            person_id: Some(PersonId(person)),
            org_id: Some(OrgId(org)),
            unit_id: Some(UnitId(unit)),
        }
    }

    #[test]
    fn the_monitor_is_read_by_the_csirt_administrators_and_auditors_and_handled_by_the_csirt() {
        let csirt = actor(1, None, &[(Role::Csirt, Scope::Global)]);
        let ciso = actor(2, None, &[(Role::Ciso, Scope::Global)]);
        let auditor = actor(3, Some(5), &[(Role::Auditor, Scope::Global)]);
        let manager = actor(
            4,
            Some(5),
            &[(Role::SecurityManager, Scope::Unit(UnitId(5)))],
        );
        let staff = actor(5, Some(5), &[(Role::Staff, Scope::Unit(UnitId(5)))]);
        for who in [&csirt, &ciso, &auditor] {
            assert!(authorize::<ViewMonitor>(who, &()).is_ok());
        }
        for who in [&manager, &staff] {
            assert!(authorize::<ViewMonitor>(who, &()).is_err());
        }
        assert!(authorize::<HandleAlerts>(&csirt, &()).is_ok());
        for who in [&ciso, &auditor, &manager] {
            assert!(authorize::<HandleAlerts>(who, &()).is_err());
        }
        assert!(authorize::<ManageMonitor>(&ciso, &()).is_ok());
        for who in [&csirt, &auditor, &manager] {
            assert!(authorize::<ManageMonitor>(who, &()).is_err());
        }
    }

    #[test]
    fn nobody_assigns_their_own_roles() {
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let change = RoleChange {
            person: place(1, 1, 1),
            role: Role::Auditor,
            scope: Scope::Global,
            scope_org: None,
        };
        assert!(authorize::<AssignRoles>(&ciso, &change).is_err());
        let other = RoleChange {
            person: place(2, 1, 1),
            ..change
        };
        assert!(authorize::<AssignRoles>(&ciso, &other).is_ok());
    }

    #[test]
    fn only_the_ciso_makes_a_ciso() {
        let director = actor(1, None, &[(Role::SecurityDirector, Scope::Global)]);
        let change = RoleChange {
            person: place(2, 1, 1),
            role: Role::Ciso,
            scope: Scope::Global,
            scope_org: None,
        };
        assert!(authorize::<AssignRoles>(&director, &change).is_err());
    }

    #[test]
    fn officer_manages_unit_roles_in_own_organisation_only() {
        let officer = actor(
            1,
            Some(1),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let in_org = RoleChange {
            person: place(2, 1, 5),
            role: Role::SecurityManager,
            scope: Scope::Unit(UnitId(5)),
            scope_org: Some(OrgId(1)),
        };
        assert!(authorize::<AssignRoles>(&officer, &in_org).is_ok());
        let other_org = RoleChange {
            person: place(2, 2, 7),
            scope_org: Some(OrgId(2)),
            ..in_org.clone()
        };
        assert!(authorize::<AssignRoles>(&officer, &other_org).is_err());
        let scope_elsewhere = RoleChange {
            scope_org: Some(OrgId(2)),
            ..in_org.clone()
        };
        assert!(authorize::<AssignRoles>(&officer, &scope_elsewhere).is_err());
        let global = RoleChange {
            role: Role::Auditor,
            scope: Scope::Global,
            scope_org: None,
            ..in_org
        };
        assert!(authorize::<AssignRoles>(&officer, &global).is_err());
    }

    #[test]
    fn staff_see_only_their_own_unit() {
        let staff = actor(1, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        assert!(authorize::<ViewPersonDetail>(&staff, &place(2, 1, 10)).is_ok());
        assert!(authorize::<ViewPersonDetail>(&staff, &place(3, 1, 11)).is_err());
        assert!(
            authorize::<ViewPersonDetail>(&staff, &place(1, 1, 99)).is_ok(),
            "self"
        );
    }

    #[test]
    fn auditors_never_over_their_own_unit() {
        let auditor = actor(1, Some(10), &[(Role::Auditor, Scope::Global)]);
        assert!(authorize::<ViewPersonDetail>(&auditor, &place(2, 1, 11)).is_ok());
        assert!(authorize::<ViewPersonDetail>(&auditor, &place(3, 1, 10)).is_err());
        let grant = authorize::<ViewAudit>(&auditor, &()).unwrap();
        assert_eq!(grant.excluded_unit(), Some(UnitId(10)));
        assert!(authorize::<ManagePeople>(&auditor, &place(2, 1, 11)).is_err());
    }

    #[test]
    fn contractors_do_not_browse_the_directory() {
        let contractor = actor(1, Some(10), &[(Role::Contractor, Scope::Unit(UnitId(10)))]);
        assert!(authorize::<ViewDirectory>(&contractor, &()).is_err());
        let nobody = actor(2, None, &[]);
        assert!(authorize::<ViewDirectory>(&nobody, &()).is_err());
    }

    fn asset(unit: i64, restricted: bool, existence_visible: bool) -> AssetPlace {
        AssetPlace {
            asset: Some(AssetId(unit * 100)),
            owner_unit: Some(UnitId(unit)),
            owner_org: Some(OrgId(1)),
            restricted,
            existence_visible,
        }
    }

    #[test]
    fn restricted_assets_are_for_the_owner_unit_and_security_roles() {
        let secret = asset(10, true, false);
        let member = actor(1, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let other = actor(2, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        let manager = actor(
            3,
            Some(12),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let other_manager = actor(
            4,
            Some(12),
            &[(Role::SecurityManager, Scope::Unit(UnitId(12)))],
        );
        let officer = actor(
            5,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let other_officer = actor(
            6,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(2)))],
        );
        let csirt = actor(7, None, &[(Role::Csirt, Scope::Global)]);
        let ciso = actor(8, None, &[(Role::Ciso, Scope::Global)]);
        let contractor = actor(9, Some(10), &[(Role::Contractor, Scope::Unit(UnitId(10)))]);
        for allowed in [&member, &manager, &officer, &csirt, &ciso] {
            assert!(
                authorize::<ViewAssetDetail>(allowed, &secret).is_ok(),
                "{}",
                allowed.username
            );
        }
        for refused in [&other, &other_manager, &other_officer, &contractor] {
            assert!(
                authorize::<ViewAssetDetail>(refused, &secret).is_err(),
                "{}",
                refused.username
            );
        }
        // An open asset is anyone's but a contractor's.
        assert!(authorize::<ViewAssetDetail>(&other, &asset(10, false, true)).is_ok());
        assert!(authorize::<ViewAssetDetail>(&contractor, &asset(10, false, true)).is_err());
    }

    #[test]
    fn visibility_names_the_units_and_organisations_an_actor_covers() {
        let manager = actor(
            3,
            Some(12),
            &[
                (Role::SecurityManager, Scope::Unit(UnitId(10))),
                (Role::Staff, Scope::Unit(UnitId(12))),
            ],
        );
        assert_eq!(
            manager.asset_visibility(),
            AssetVisibility::Some {
                units: vec![UnitId(10), UnitId(12)],
                orgs: vec![]
            }
        );
        let director = actor(1, None, &[(Role::SecurityDirector, Scope::Global)]);
        assert_eq!(director.asset_visibility(), AssetVisibility::All);
        let contractor = actor(9, Some(10), &[(Role::Contractor, Scope::Unit(UnitId(10)))]);
        assert!(
            !contractor
                .asset_visibility()
                .covers(&asset(10, true, false))
        );
    }

    #[test]
    fn assets_are_managed_by_their_unit_manager_officer_and_administrators() {
        let place = asset(10, false, true);
        let manager = actor(
            3,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let other_manager = actor(
            4,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let officer = actor(
            5,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let staff = actor(1, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let csirt = actor(7, None, &[(Role::Csirt, Scope::Global)]);
        let director = actor(8, None, &[(Role::SecurityDirector, Scope::Global)]);
        assert!(authorize::<ManageAssets>(&manager, &place).is_ok());
        assert!(authorize::<ManageAssets>(&officer, &place).is_ok());
        assert!(authorize::<ManageAssets>(&director, &place).is_ok());
        assert!(authorize::<ManageAssets>(&other_manager, &place).is_err());
        assert!(authorize::<ManageAssets>(&staff, &place).is_err());
        assert!(authorize::<ManageAssets>(&csirt, &place).is_err());
        assert!(authorize::<ManageRegister>(&director, &()).is_ok());
        assert!(authorize::<ManageRegister>(&officer, &()).is_err());
        assert!(authorize::<ViewAssets>(&staff, &()).is_ok());
    }

    fn decision(requester: i64, unit: i64, org: i64) -> ReleaseDecision {
        ReleaseDecision {
            requester: UserId(requester),
            requester_person: PersonId(requester),
            requester_unit: Some(UnitId(unit)),
            requester_org: Some(OrgId(org)),
        }
    }

    #[test]
    fn releases_are_approved_by_the_requesters_security_line_never_by_the_requester() {
        let request = decision(1, 10, 1);
        let manager = actor(
            2,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let other_manager = actor(
            3,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let officer = actor(
            4,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let other_officer = actor(
            5,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(2)))],
        );
        let ciso = actor(6, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(7, None, &[(Role::SecurityDirector, Scope::Global)]);
        let csirt = actor(8, None, &[(Role::Csirt, Scope::Global)]);
        let auditor = actor(9, Some(11), &[(Role::Auditor, Scope::Global)]);
        let colleague = actor(12, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        for allowed in [&manager, &officer, &ciso, &director] {
            assert!(
                authorize::<ApproveRelease>(allowed, &request).is_ok(),
                "{}",
                allowed.username
            );
        }
        for refused in [&other_manager, &other_officer, &csirt, &auditor, &colleague] {
            assert!(
                authorize::<ApproveRelease>(refused, &request).is_err(),
                "{}",
                refused.username
            );
        }
        // The requester never approves their own request, not even as the unit's manager or CISO.
        let own_manager = actor(
            1,
            Some(10),
            &[
                (Role::SecurityManager, Scope::Unit(UnitId(10))),
                (Role::Ciso, Scope::Global),
            ],
        );
        assert!(authorize::<ApproveRelease>(&own_manager, &request).is_err());
        // Nor through a second account of the same person.
        let same_person = Actor {
            user_id: UserId(50),
            ..own_manager
        };
        assert!(authorize::<ApproveRelease>(&same_person, &request).is_err());
    }

    #[test]
    fn only_an_addressee_asks_for_an_original_and_security_roles_see_the_quarantine() {
        use crate::release::Direction;
        let parties = |email: Option<&str>| QuarantineParties {
            concerned: Vec::new(),
            direction: Direction::Inbound,
            from: "sender@example.com".into(),
            recipients: vec!["kacho@city.example.lg.jp".into()],
            actor_email: email.map(Into::into),
        };
        let staff = actor(1, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let ciso = actor(6, None, &[(Role::Ciso, Scope::Global)]);
        let manager = actor(
            2,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let mine = parties(Some("kacho@City.Example.lg.jp"));
        let theirs = parties(Some("kakari@city.example.lg.jp"));
        assert!(authorize::<RequestRelease>(&staff, &mine).is_ok());
        assert!(authorize::<ViewQuarantineItem>(&staff, &mine).is_ok());
        assert!(authorize::<RequestRelease>(&staff, &theirs).is_err());
        assert!(authorize::<ViewQuarantineItem>(&staff, &theirs).is_err());
        assert!(
            authorize::<RequestRelease>(&ciso, &theirs).is_err(),
            "no asking on another's behalf"
        );
        assert!(authorize::<ViewQuarantineItem>(&ciso, &theirs).is_ok());
        // A unit's manager sees it when it concerns a person of their unit.
        assert!(authorize::<ViewQuarantineItem>(&manager, &theirs).is_err());
        let in_their_unit = QuarantineParties {
            concerned: vec![(Some(OrgId(1)), Some(UnitId(10)))],
            ..theirs.clone()
        };
        assert!(authorize::<ViewQuarantineItem>(&manager, &in_their_unit).is_ok());
        assert!(authorize::<ViewQuarantine>(&manager, &()).is_ok());
        assert!(authorize::<ViewQuarantine>(&staff, &()).is_err());
        assert!(authorize::<RequestRelease>(&staff, &parties(None)).is_err());
    }

    #[test]
    fn a_units_manager_sees_the_quarantine_of_their_own_units_only() {
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let officer = actor(
            6,
            Some(11),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let csirt = actor(7, Some(11), &[(Role::Csirt, Scope::Global)]);
        let to = |unit: i64| QuarantineParties {
            direction: crate::release::Direction::Inbound,
            from: "sender@internet.example".into(),
            recipients: vec!["someone@city.example.lg.jp".into()],
            actor_email: None,
            concerned: vec![(Some(OrgId(1)), Some(UnitId(unit)))],
        };
        assert!(authorize::<ViewQuarantineItem>(&manager, &to(11)).is_ok());
        assert!(authorize::<ViewQuarantineItem>(&manager, &to(12)).is_err());
        assert!(authorize::<ViewQuarantineItem>(&officer, &to(12)).is_ok());
        assert!(authorize::<ViewQuarantineItem>(&csirt, &to(12)).is_ok());
        let nobody_known = QuarantineParties {
            concerned: Vec::new(),
            ..to(11)
        };
        assert!(authorize::<ViewQuarantineItem>(&manager, &nobody_known).is_err());
        assert!(authorize::<ViewQuarantineItem>(&csirt, &nobody_known).is_ok());
    }

    fn policy_place(state: VersionState, editor: Option<i64>) -> PolicyPlace {
        PolicyPlace {
            policy: Some(PolicyId(1)),
            org: OrgId(1),
            tier: crate::policy::Tier::Standard,
            approver_role: Role::Ciso,
            state,
            editor: editor.map(UserId),
            editor_person: editor.map(PersonId),
        }
    }

    #[test]
    fn the_editor_of_a_version_never_approves_it() {
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let edited_by_ciso = policy_place(VersionState::InReview, Some(1));
        assert!(authorize::<ApprovePolicy>(&ciso, &edited_by_ciso).is_err());
        assert!(
            authorize::<ApprovePolicy>(&ciso, &policy_place(VersionState::InReview, Some(2)))
                .is_ok()
        );
        assert!(
            authorize::<ApprovePolicy>(&ciso, &policy_place(VersionState::InReview, None)).is_ok()
        );
        // The CISO approves unless the document names the 統括.
        assert!(authorize::<ApprovePolicy>(&director, &edited_by_ciso).is_err());
        let named = PolicyPlace {
            approver_role: Role::SecurityDirector,
            ..edited_by_ciso
        };
        assert!(authorize::<ApprovePolicy>(&director, &named).is_ok());
        let officer = actor(
            3,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let by_officer = PolicyPlace {
            approver_role: Role::SecurityOfficer,
            ..policy_place(VersionState::InReview, Some(9))
        };
        assert!(authorize::<ApprovePolicy>(&officer, &by_officer).is_ok());
        let elsewhere = PolicyPlace {
            org: OrgId(2),
            ..by_officer
        };
        assert!(authorize::<ApprovePolicy>(&officer, &elsewhere).is_err());
    }

    #[test]
    fn drafts_are_read_by_their_managers_and_effective_versions_by_the_staff() {
        let staff = actor(4, Some(7), &[(Role::Staff, Scope::Global)]);
        let contractor = actor(5, None, &[(Role::Contractor, Scope::Global)]);
        let auditor = actor(6, Some(8), &[(Role::Auditor, Scope::Global)]);
        let officer = actor(
            3,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let draft = policy_place(VersionState::Draft, Some(3));
        let effective = policy_place(VersionState::Effective, Some(3));
        assert!(authorize::<ViewPolicy>(&staff, &draft).is_err());
        assert!(authorize::<ViewPolicy>(&staff, &effective).is_ok());
        assert!(authorize::<ViewPolicy>(&contractor, &effective).is_err());
        assert!(authorize::<ViewPolicy>(&auditor, &draft).is_ok());
        assert!(authorize::<ViewPolicy>(&officer, &draft).is_ok());
        assert!(authorize::<ManagePolicies>(&officer, &OrgId(1)).is_ok());
        assert!(authorize::<ManagePolicies>(&officer, &OrgId(2)).is_err());
        assert!(authorize::<ManagePolicies>(&staff, &OrgId(1)).is_err());
        // Confirming is for the organisation's own people, on the version in force.
        let member = Actor {
            org_id: Some(OrgId(1)),
            ..staff.clone()
        };
        let outsider = Actor {
            org_id: Some(OrgId(2)),
            ..staff
        };
        assert!(authorize::<AcknowledgePolicy>(&member, &effective).is_ok());
        assert!(authorize::<AcknowledgePolicy>(&member, &draft).is_err());
        assert!(authorize::<AcknowledgePolicy>(&outsider, &effective).is_err());
        let manager = actor(
            7,
            Some(7),
            &[(Role::SecurityManager, Scope::Unit(UnitId(7)))],
        );
        assert!(authorize::<ViewAcknowledgements>(&manager, &(OrgId(1), Some(UnitId(7)))).is_ok());
        assert!(authorize::<ViewAcknowledgements>(&manager, &(OrgId(1), Some(UnitId(8)))).is_err());
        assert!(authorize::<ViewAcknowledgements>(&manager, &(OrgId(1), None)).is_err());
    }

    fn risk_of(unit: i64, owner: i64) -> RiskPlace {
        RiskPlace {
            org: OrgId(1),
            unit: UnitId(unit),
            owner: PersonId(owner),
        }
    }

    #[test]
    fn risks_are_seen_by_the_security_roles_and_their_owner_not_by_all_staff() {
        let risk = risk_of(10, 20);
        let owner = actor(20, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let colleague = actor(21, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let manager = actor(
            3,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let other_manager = actor(
            4,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let officer = actor(
            5,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let other_officer = actor(
            6,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(2)))],
        );
        let csirt = actor(7, None, &[(Role::Csirt, Scope::Global)]);
        let auditor = actor(8, Some(11), &[(Role::Auditor, Scope::Global)]);
        let own_auditor = actor(9, Some(10), &[(Role::Auditor, Scope::Global)]);
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let contractor = actor(12, Some(10), &[(Role::Contractor, Scope::Unit(UnitId(10)))]);
        for allowed in [&owner, &manager, &officer, &csirt, &auditor, &ciso] {
            assert!(
                authorize::<ViewRisk>(allowed, &risk).is_ok(),
                "{}",
                allowed.username
            );
        }
        for refused in [
            &colleague,
            &other_manager,
            &other_officer,
            &own_auditor,
            &contractor,
        ] {
            assert!(
                authorize::<ViewRisk>(refused, &risk).is_err(),
                "{}",
                refused.username
            );
        }
        for allowed in [&manager, &officer, &ciso] {
            assert!(
                authorize::<ManageRisks>(allowed, &risk).is_ok(),
                "{}",
                allowed.username
            );
        }
        for refused in [&owner, &other_manager, &csirt, &auditor] {
            assert!(
                authorize::<ManageRisks>(refused, &risk).is_err(),
                "{}",
                refused.username
            );
        }
        assert!(authorize::<ManageThreats>(&ciso, &()).is_ok());
        assert!(authorize::<ManageThreats>(&officer, &()).is_err());
        assert!(authorize::<ViewThreats>(&colleague, &()).is_ok());
        assert!(authorize::<ViewThreats>(&contractor, &()).is_err());
    }

    #[test]
    fn accepting_a_risk_above_the_threshold_is_the_cisos_and_never_the_owners() {
        let place = risk_of(10, 20);
        let above = RiskAcceptance {
            place,
            reserved: true,
        };
        let below = RiskAcceptance {
            place,
            reserved: false,
        };
        let owner = actor(20, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let manager = actor(
            3,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        for allowed in [&owner, &manager, &director, &ciso] {
            assert!(
                authorize::<AcceptRisk>(allowed, &below).is_ok(),
                "{}",
                allowed.username
            );
        }
        assert!(authorize::<AcceptRisk>(&ciso, &above).is_ok());
        for refused in [&owner, &manager, &director] {
            assert!(
                authorize::<AcceptRisk>(refused, &above).is_err(),
                "{}",
                refused.username
            );
        }
        // A CISO who owns the risk does not accept it above the threshold either.
        let owning_ciso = actor(20, None, &[(Role::Ciso, Scope::Global)]);
        assert!(authorize::<AcceptRisk>(&owning_ciso, &above).is_err());
        assert!(authorize::<AcceptRisk>(&owning_ciso, &below).is_ok());
    }

    #[test]
    fn findings_are_graded_by_auditors_outside_the_unit_and_actions_verified_by_others() {
        let place = FindingPlace {
            org: OrgId(1),
            unit: UnitId(11),
        };
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let officer = actor(
            6,
            Some(12),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let auditor = actor(7, Some(12), &[(Role::Auditor, Scope::Global)]);
        let own_auditor = actor(8, Some(11), &[(Role::Auditor, Scope::Global)]);
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let staff = actor(9, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        for allowed in [&manager, &officer, &auditor, &ciso] {
            assert!(authorize::<ViewFindings>(allowed, &place).is_ok());
        }
        for refused in [&own_auditor, &staff] {
            assert!(authorize::<ViewFindings>(refused, &place).is_err());
        }
        assert!(authorize::<ManageFindings>(&auditor, &place).is_ok());
        assert!(authorize::<ManageFindings>(&ciso, &place).is_ok());
        for refused in [&own_auditor, &manager, &officer] {
            assert!(authorize::<ManageFindings>(refused, &place).is_err());
        }
        assert!(authorize::<PlanCorrectiveAction>(&manager, &place).is_ok());
        assert!(authorize::<PlanCorrectiveAction>(&auditor, &place).is_err());

        let owned_by = |person: i64| ActionPlace {
            finding: place,
            owner: PersonId(person),
        };
        // The owner reports completion, even without a role over the unit.
        assert!(authorize::<CompleteCorrectiveAction>(&staff, &owned_by(9)).is_ok());
        assert!(authorize::<CompleteCorrectiveAction>(&staff, &owned_by(5)).is_err());
        assert!(authorize::<VerifyCorrectiveAction>(&auditor, &owned_by(5)).is_ok());
        assert!(authorize::<VerifyCorrectiveAction>(&auditor, &owned_by(7)).is_err());
        assert!(authorize::<VerifyCorrectiveAction>(&ciso, &owned_by(1)).is_err());
        assert!(authorize::<VerifyCorrectiveAction>(&own_auditor, &owned_by(5)).is_err());
        assert!(authorize::<VerifyCorrectiveAction>(&manager, &owned_by(9)).is_err());
    }

    #[test]
    fn an_organisations_officer_signs_its_units_inspection_off() {
        let officer = actor(
            6,
            Some(12),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let auditor = actor(7, Some(12), &[(Role::Auditor, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let unit = (OrgId(1), UnitId(11));
        assert!(authorize::<SignOffInspection>(&officer, &unit).is_ok());
        assert!(authorize::<SignOffInspection>(&director, &unit).is_ok());
        assert!(authorize::<SignOffInspection>(&officer, &(OrgId(2), UnitId(21))).is_err());
        assert!(authorize::<SignOffInspection>(&manager, &unit).is_err());
        assert!(authorize::<SignOffInspection>(&auditor, &unit).is_err());
        assert!(authorize::<ManageInspections>(&director, &()).is_ok());
        assert!(authorize::<ManageInspections>(&officer, &()).is_err());
    }

    #[test]
    fn an_audit_is_read_by_its_team_and_independent_auditors_and_worked_on_by_its_team() {
        let place = |reported: bool| AuditPlace {
            scope: vec![(OrgId(1), UnitId(11))],
            team: vec![PersonId(7)],
            reported,
        };
        let member = actor(7, Some(12), &[(Role::Auditor, Scope::Global)]);
        let outsider = actor(8, Some(12), &[(Role::Auditor, Scope::Global)]);
        let inside = actor(9, Some(11), &[(Role::Auditor, Scope::Global)]);
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        for allowed in [&member, &outsider, &ciso] {
            assert!(authorize::<ViewSecurityAudit>(allowed, &place(false)).is_ok());
        }
        assert!(authorize::<ViewSecurityAudit>(&inside, &place(false)).is_err());
        assert!(authorize::<ViewSecurityAudit>(&manager, &place(false)).is_err());
        assert!(authorize::<ViewSecurityAudit>(&manager, &place(true)).is_ok());
        assert!(authorize::<WorkOnAudit>(&member, &place(false)).is_ok());
        for refused in [&outsider, &ciso, &manager] {
            assert!(authorize::<WorkOnAudit>(refused, &place(false)).is_err());
        }
        assert!(authorize::<WorkOnAudit>(&member, &place(true)).is_err());
        assert!(authorize::<ManageAudits>(&ciso, &()).is_ok());
        assert!(authorize::<ManageAudits>(&member, &()).is_err());
    }

    #[test]
    fn exceptions_are_asked_for_by_the_unit_and_decided_by_another_ciso() {
        let place = |by: Option<i64>| ExceptionPlace {
            org: OrgId(1),
            unit: UnitId(11),
            requested_by: by.map(UserId),
        };
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let staff = actor(9, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        assert!(authorize::<RequestException>(&manager, &(OrgId(1), UnitId(11))).is_ok());
        assert!(authorize::<RequestException>(&staff, &(OrgId(1), UnitId(11))).is_err());
        assert!(authorize::<DecideException>(&ciso, &place(Some(5))).is_ok());
        assert!(authorize::<DecideException>(&ciso, &place(Some(1))).is_err());
        assert!(authorize::<DecideException>(&director, &place(Some(5))).is_err());
        assert!(authorize::<ViewExceptions>(&manager, &place(None)).is_ok());
        assert!(authorize::<ViewExceptions>(&staff, &place(None)).is_err());
    }

    #[test]
    fn incidents_are_read_by_the_reporting_chain_and_triaged_by_the_csirt() {
        let place = IncidentPlace {
            org: Some(OrgId(1)),
            unit: Some(UnitId(11)),
            reporter: PersonId(9),
            task_owners: vec![PersonId(12)],
        };
        let reporter = actor(9, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        let colleague = actor(10, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let csirt = actor(7, Some(12), &[(Role::Csirt, Scope::Global)]);
        for allowed in [&reporter, &manager, &csirt] {
            assert!(authorize::<ViewIncident>(allowed, &place).is_ok());
        }
        assert!(authorize::<ViewIncident>(&colleague, &place).is_err());
        assert!(authorize::<TriageIncident>(&csirt, &place).is_ok());
        assert!(authorize::<TriageIncident>(&manager, &place).is_err());
        assert!(authorize::<ReportIncident>(&colleague, &()).is_ok());
        // A task's owner sees the incident and completes their own task, nobody else's.
        let owner = actor(12, Some(13), &[(Role::Staff, Scope::Unit(UnitId(13)))]);
        assert!(authorize::<ViewIncident>(&owner, &place).is_ok());
        let task = |owner: i64| IncidentTaskPlace {
            incident: place.clone(),
            owner: PersonId(owner),
        };
        assert!(authorize::<CompleteIncidentTask>(&owner, &task(12)).is_ok());
        assert!(authorize::<CompleteIncidentTask>(&owner, &task(9)).is_err());
        assert!(authorize::<CompleteIncidentTask>(&manager, &task(12)).is_err());
        assert!(authorize::<CompleteIncidentTask>(&csirt, &task(12)).is_ok());
        // Candidates: read by those who triage, decided by the CSIRT and the CISO.
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        for reader in [&csirt, &ciso, &director] {
            assert!(authorize::<ViewIncidentCandidates>(reader, &()).is_ok());
        }
        assert!(authorize::<ViewIncidentCandidates>(&manager, &()).is_err());
        assert!(authorize::<DecideIncidentCandidate>(&csirt, &()).is_ok());
        assert!(authorize::<DecideIncidentCandidate>(&ciso, &()).is_ok());
        assert!(authorize::<DecideIncidentCandidate>(&director, &()).is_err());
        assert!(authorize::<DecideIncidentCandidate>(&manager, &()).is_err());
    }

    #[test]
    fn training_is_managed_by_the_administrators_and_completed_by_the_person() {
        let staff = actor(9, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let contractor = actor(8, Some(11), &[(Role::Contractor, Scope::Unit(UnitId(11)))]);
        assert!(authorize::<ManageTraining>(&ciso, &()).is_ok());
        for refused in [&staff, &manager, &contractor] {
            assert!(authorize::<ManageTraining>(refused, &()).is_err());
        }
        assert!(authorize::<ViewTrainingCourses>(&staff, &()).is_ok());
        assert!(authorize::<ViewTrainingCourses>(&contractor, &()).is_err());
        let unit = (OrgId(1), UnitId(11));
        let other = (OrgId(1), UnitId(12));
        assert!(authorize::<ViewTrainingProgress>(&manager, &unit).is_ok());
        assert!(authorize::<ViewTrainingProgress>(&manager, &other).is_err());
        assert!(authorize::<ViewTrainingProgress>(&staff, &unit).is_err());
        assert!(authorize::<ViewTrainingProgress>(&ciso, &other).is_ok());
        assert!(authorize::<RecordTrainingCompletion>(&staff, &PersonId(9)).is_ok());
        assert!(authorize::<RecordTrainingCompletion>(&staff, &PersonId(10)).is_err());
        assert!(authorize::<RecordTrainingCompletion>(&manager, &PersonId(9)).is_err());
        assert!(authorize::<RecordTrainingCompletion>(&ciso, &PersonId(9)).is_ok());
    }

    #[test]
    fn third_party_registers_are_read_by_staff_and_kept_by_administrators_and_the_unit() {
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let officer = actor(
            3,
            Some(12),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let manager = actor(
            5,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let other_manager = actor(
            6,
            Some(12),
            &[(Role::SecurityManager, Scope::Unit(UnitId(12)))],
        );
        let csirt = actor(7, Some(12), &[(Role::Csirt, Scope::Global)]);
        let staff = actor(9, Some(11), &[(Role::Staff, Scope::Unit(UnitId(11)))]);
        let contractor = actor(8, Some(11), &[(Role::Contractor, Scope::Unit(UnitId(11)))]);
        for reader in [&ciso, &director, &officer, &manager, &csirt, &staff] {
            assert!(authorize::<ViewThirdPartyRegisters>(reader, &()).is_ok());
        }
        assert!(authorize::<ViewThirdPartyRegisters>(&contractor, &()).is_err());
        for admin in [&ciso, &director] {
            assert!(authorize::<ManageCloudServices>(admin, &()).is_ok());
            assert!(authorize::<ManageSocialAccounts>(admin, &()).is_ok());
        }
        for other in [&officer, &manager, &csirt, &staff, &contractor] {
            assert!(authorize::<ManageCloudServices>(other, &()).is_err());
            assert!(authorize::<ManageSocialAccounts>(other, &()).is_err());
        }
        let cloud = CloudPlace {
            org: OrgId(1),
            unit: UnitId(11),
        };
        for editor in [&ciso, &director, &officer, &manager] {
            assert!(authorize::<EditCloudService>(editor, &cloud).is_ok());
        }
        for other in [&other_manager, &csirt, &staff, &contractor] {
            assert!(authorize::<EditCloudService>(other, &cloud).is_err());
        }
        let other_org = CloudPlace {
            org: OrgId(2),
            unit: UnitId(21),
        };
        assert!(authorize::<EditCloudService>(&officer, &other_org).is_err());
        let owned = SocialPlace {
            org: Some(OrgId(1)),
            unit: Some(UnitId(11)),
        };
        for reviewer in [&ciso, &director, &officer, &manager] {
            assert!(authorize::<ReviewSocialAccount>(reviewer, &owned).is_ok());
        }
        for other in [&other_manager, &csirt, &staff, &contractor] {
            assert!(authorize::<ReviewSocialAccount>(other, &owned).is_err());
        }
        // Without a responsible person the account is the administrators' alone.
        let orphan = SocialPlace {
            org: None,
            unit: None,
        };
        assert!(authorize::<ReviewSocialAccount>(&ciso, &orphan).is_ok());
        assert!(authorize::<ReviewSocialAccount>(&manager, &orphan).is_err());
        assert!(authorize::<ReviewSocialAccount>(&officer, &orphan).is_err());
    }
    fn contractor_of(person: i64, assets: &[i64], policies: &[i64]) -> Actor {
        Actor {
            contract: ContractGrants {
                assets: assets.iter().copied().map(AssetId).collect(),
                policies: policies.iter().copied().map(PolicyId).collect(),
            },
            ..actor(
                person,
                Some(10),
                &[(Role::Contractor, Scope::Unit(UnitId(10)))],
            )
        }
    }

    #[test]
    fn a_contractor_sees_the_assets_their_contract_names_and_no_other() {
        // asset(10, ..) is asset 1000; asset(11, ..) is asset 1100.
        let named = asset(10, false, true);
        let secret_named = asset(10, true, false);
        let other = asset(11, false, true);
        let vendor = contractor_of(1, &[1000], &[]);
        assert!(authorize::<ViewAssetDetail>(&vendor, &named).is_ok());
        assert!(
            authorize::<ViewAssetDetail>(&vendor, &secret_named).is_ok(),
            "the contract names it, whatever its class"
        );
        assert!(authorize::<ViewAssetDetail>(&vendor, &other).is_err());
        assert!(
            authorize::<ViewAssets>(&vendor, &()).is_err(),
            "not the register"
        );
        // Outside a contract in force (nothing granted), not even the asset of their own unit.
        let ended = contractor_of(1, &[], &[]);
        assert!(authorize::<ViewAssetDetail>(&ended, &named).is_err());
        let unregistered = AssetPlace {
            asset: None,
            ..named
        };
        assert!(authorize::<ViewAssetDetail>(&vendor, &unregistered).is_err());
    }

    #[test]
    fn a_contractor_reads_the_standards_their_contract_names_past_the_draft() {
        let standard = |id: i64, tier: crate::policy::Tier, state: VersionState| PolicyPlace {
            policy: Some(PolicyId(id)),
            tier,
            ..policy_place(state, Some(2))
        };
        use crate::policy::Tier;
        let vendor = contractor_of(1, &[], &[5, 6]);
        for state in [
            VersionState::InReview,
            VersionState::Approved,
            VersionState::Effective,
            VersionState::Superseded,
        ] {
            assert!(
                authorize::<ViewPolicy>(&vendor, &standard(5, Tier::Standard, state)).is_ok(),
                "{state:?}"
            );
            assert!(
                authorize::<ViewPolicy>(&vendor, &standard(6, Tier::Procedure, state)).is_ok(),
                "{state:?}"
            );
            assert!(
                authorize::<ViewPolicy>(&vendor, &standard(7, Tier::Standard, state)).is_err(),
                "not named: {state:?}"
            );
        }
        assert!(
            authorize::<ViewPolicy>(&vendor, &standard(5, Tier::Standard, VersionState::Draft))
                .is_err(),
            "never a draft"
        );
        assert!(
            authorize::<ViewPolicy>(&vendor, &standard(5, Tier::Basic, VersionState::Effective))
                .is_err(),
            "a contract grants 対策基準 and 実施手順 only"
        );
        let ended = contractor_of(1, &[], &[]);
        assert!(
            authorize::<ViewPolicy>(
                &ended,
                &standard(5, Tier::Standard, VersionState::Effective)
            )
            .is_err()
        );
    }

    fn agreement(unit: i64, people: &[i64]) -> AgreementPlace {
        AgreementPlace {
            org: OrgId(1),
            unit: UnitId(unit),
            people: people.iter().copied().map(PersonId).collect(),
        }
    }

    #[test]
    fn third_parties_are_managed_by_the_administrators_and_verified_by_the_unit() {
        let ciso = actor(1, None, &[(Role::Ciso, Scope::Global)]);
        let director = actor(2, None, &[(Role::SecurityDirector, Scope::Global)]);
        let officer = actor(
            3,
            Some(11),
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(1)))],
        );
        let other_officer = actor(
            4,
            None,
            &[(Role::SecurityOfficer, Scope::Organisation(OrgId(2)))],
        );
        let manager = actor(
            5,
            Some(10),
            &[(Role::SecurityManager, Scope::Unit(UnitId(10)))],
        );
        let other_manager = actor(
            6,
            Some(11),
            &[(Role::SecurityManager, Scope::Unit(UnitId(11)))],
        );
        let auditor = actor(7, Some(10), &[(Role::Auditor, Scope::Global)]);
        let staff = actor(8, Some(10), &[(Role::Staff, Scope::Unit(UnitId(10)))]);
        let csirt = actor(9, Some(10), &[(Role::Csirt, Scope::Global)]);
        let vendor = contractor_of(20, &[], &[]);
        let other_vendor = contractor_of(21, &[], &[]);
        let place = agreement(10, &[20]);

        for who in [&ciso, &director] {
            assert!(authorize::<ManageThirdParties>(who, &()).is_ok());
        }
        for who in [
            &officer,
            &manager,
            &auditor,
            &staff,
            &csirt,
            &vendor,
            &other_officer,
        ] {
            assert!(authorize::<ManageThirdParties>(who, &()).is_err());
        }

        for who in [&ciso, &director, &officer, &manager] {
            assert!(authorize::<VerifyAgreement>(who, &place).is_ok());
            assert!(authorize::<ViewAgreement>(who, &place).is_ok());
        }
        for who in [
            &other_officer,
            &other_manager,
            &auditor,
            &staff,
            &csirt,
            &vendor,
        ] {
            assert!(authorize::<VerifyAgreement>(who, &place).is_err());
        }
        // Auditors read; the contractor reads their own contract and no other.
        assert!(authorize::<ViewAgreement>(&auditor, &place).is_ok());
        assert!(authorize::<ViewAgreement>(&vendor, &place).is_ok());
        for who in [
            &other_officer,
            &other_manager,
            &staff,
            &csirt,
            &other_vendor,
        ] {
            assert!(authorize::<ViewAgreement>(who, &place).is_err());
        }
        // A 管理者 who is also listed on the contract does not check it.
        let listed_manager = agreement(10, &[5]);
        assert!(authorize::<VerifyAgreement>(&manager, &listed_manager).is_err());

        // The company register: not for contractors or staff; the lists: contractors too.
        for who in [&ciso, &officer, &manager, &auditor] {
            assert!(authorize::<ViewContractors>(who, &()).is_ok());
            assert!(authorize::<ViewThirdParties>(who, &()).is_ok());
        }
        for who in [&vendor, &staff, &csirt] {
            assert!(authorize::<ViewContractors>(who, &()).is_err());
        }
        assert!(authorize::<ViewThirdParties>(&vendor, &()).is_ok());
        assert!(authorize::<ViewThirdParties>(&staff, &()).is_err());
    }
}
