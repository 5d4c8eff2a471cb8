//! Roles of the security organisation (seed §6(1), MIC guideline 組織体制) and their scopes.

use serde::{Deserialize, Serialize};

use crate::org::{AssignmentId, OrgId, PersonId, UnitId};
use crate::text::{FieldError, FieldErrorKind};

/// A role in the security organisation. Which scope each role takes is fixed by
/// [`Role::scope_kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 最高情報セキュリティ責任者 (CISO).
    Ciso,
    /// 統括情報セキュリティ責任者.
    SecurityDirector,
    /// 情報セキュリティ責任者, per organisation (機関).
    SecurityOfficer,
    /// 情報セキュリティ管理者, per unit (課室).
    SecurityManager,
    /// 情報システム管理者, per information system.
    SystemAdministrator,
    /// CSIRT member.
    Csirt,
    /// 監査人: reads everything but never over its own unit, changes nothing.
    Auditor,
    /// 職員.
    Staff,
    /// 委託事業者: sees only what its contract covers.
    Contractor,
}

/// What a role's scope names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Global,
    Organisation,
    Unit,
    System,
}

/// Where a role assignment applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Global,
    Organisation(OrgId),
    Unit(UnitId),
    /// An information system, named by its identifier in the asset register.
    System(String),
}

impl Scope {
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::Global => ScopeKind::Global,
            Scope::Organisation(_) => ScopeKind::Organisation,
            Scope::Unit(_) => ScopeKind::Unit,
            Scope::System(_) => ScopeKind::System,
        }
    }

    /// The storage form: (kind, id).
    pub fn to_parts(&self) -> (&'static str, Option<String>) {
        match self {
            Scope::Global => ("global", None),
            Scope::Organisation(id) => ("organisation", Some(id.0.to_string())),
            Scope::Unit(id) => ("unit", Some(id.0.to_string())),
            Scope::System(name) => ("system", Some(name.clone())),
        }
    }

    pub fn from_parts(kind: &str, id: Option<&str>) -> Result<Self, FieldError> {
        let bad = || FieldError::new("scope", FieldErrorKind::InvalidFormat);
        let num = |id: Option<&str>| {
            id.and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|n| *n > 0)
                .ok_or_else(bad)
        };
        match kind {
            "global" => Ok(Scope::Global),
            "organisation" => Ok(Scope::Organisation(OrgId(num(id)?))),
            "unit" => Ok(Scope::Unit(UnitId(num(id)?))),
            "system" => {
                let name = id.map(str::trim).unwrap_or_default();
                if name.is_empty()
                    || name.len() > 100
                    || name.chars().any(crate::text::is_forbidden_char)
                {
                    Err(bad())
                } else {
                    Ok(Scope::System(name.to_owned()))
                }
            }
            _ => Err(FieldError::new("scope", FieldErrorKind::UnknownValue)),
        }
    }
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Ciso,
        Role::SecurityDirector,
        Role::SecurityOfficer,
        Role::SecurityManager,
        Role::SystemAdministrator,
        Role::Csirt,
        Role::Auditor,
        Role::Staff,
        Role::Contractor,
    ];

    /// The name used on the command line, in the API and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ciso => "ciso",
            Role::SecurityDirector => "security_director",
            Role::SecurityOfficer => "security_officer",
            Role::SecurityManager => "security_manager",
            Role::SystemAdministrator => "system_administrator",
            Role::Csirt => "csirt",
            Role::Auditor => "auditor",
            Role::Staff => "staff",
            Role::Contractor => "contractor",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim())
            .ok_or_else(|| FieldError::new("role", FieldErrorKind::UnknownValue))
    }

    /// The kind of scope this role is assigned with.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::Ciso | Role::SecurityDirector | Role::Csirt | Role::Auditor => ScopeKind::Global,
            Role::SecurityOfficer => ScopeKind::Organisation,
            Role::SecurityManager | Role::Staff | Role::Contractor => ScopeKind::Unit,
            Role::SystemAdministrator => ScopeKind::System,
        }
    }

    /// Roles whose holders act for the security organisation as a whole.
    pub fn is_security_role(self) -> bool {
        matches!(
            self,
            Role::Ciso
                | Role::SecurityDirector
                | Role::SecurityOfficer
                | Role::SecurityManager
                | Role::Csirt
        )
    }
}

/// A role held by a person within a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub id: AssignmentId,
    pub person_id: PersonId,
    pub role: Role,
    pub scope: Scope,
}

/// Checks that a role is given with the scope it takes.
pub fn validate_scope(role: Role, scope: &Scope) -> Result<(), FieldError> {
    if role.scope_kind() == scope.kind() {
        Ok(())
    } else {
        Err(FieldError::new("scope", FieldErrorKind::NotAllowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn scopes_must_match_roles() {
        assert!(validate_scope(Role::Ciso, &Scope::Global).is_ok());
        assert!(validate_scope(Role::Ciso, &Scope::Unit(UnitId(1))).is_err());
        assert!(validate_scope(Role::SecurityManager, &Scope::Unit(UnitId(1))).is_ok());
        assert!(validate_scope(Role::SecurityOfficer, &Scope::Organisation(OrgId(2))).is_ok());
        assert!(validate_scope(Role::SecurityOfficer, &Scope::Global).is_err());
    }

    #[test]
    fn scope_parts_round_trip_and_reject_garbage() {
        for scope in [
            Scope::Global,
            Scope::Organisation(OrgId(3)),
            Scope::Unit(UnitId(9)),
            Scope::System("jinji-kyuyo".into()),
        ] {
            let (kind, id) = scope.to_parts();
            assert_eq!(Scope::from_parts(kind, id.as_deref()).unwrap(), scope);
        }
        assert!(Scope::from_parts("unit", Some("-1")).is_err());
        assert!(Scope::from_parts("unit", Some("abc")).is_err());
        assert!(Scope::from_parts("unit", None).is_err());
        assert!(Scope::from_parts("planet", None).is_err());
        assert!(Scope::from_parts("system", Some("a\u{202E}b")).is_err());
    }
}
