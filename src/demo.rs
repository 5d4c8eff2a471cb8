//! The first administrator, and the demonstration organisation of `serve --demo`: the five
//! 機関 of the basic policy (seed §4(1)) with their units, people and roles.

use anyhow::Context;
use mamori_core::authz::{
    AssignRoles, ManageOrganisations, ManagePeople, ManageUnits, PersonPlace, RoleChange, authorize,
};
use mamori_core::credentials::NewPassword;
use mamori_core::role::{Role, Scope};
use mamori_core::text::{Name, Username};
use mamori_core::{OrgId, PersonId, UnitId};
use mamori_store::{NewAccount, OrganisationInput, Origin, PersonInput, Store, UnitInput};

pub const ADMIN: &str = "admin";
pub const DEMO_PASSWORD: &str = "mamori-demo-2026";

fn name(text: &str) -> Name {
    Name::parse("name", text).expect("demo names are valid")
}

/// Creates the account `admin` (CISO) that the operator logs in with first.
pub async fn first_administrator(store: &dyn Store, password: &str) -> anyhow::Result<String> {
    let password = NewPassword::parse(password, ADMIN).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = tokio::task::spawn_blocking(move || password.hash(&mut rand::rngs::OsRng)).await?;
    let person = PersonInput {
        name: name("初期管理者"),
        unit_id: None,
        title: String::new(),
        email: None,
        phone: String::new(),
        external: false,
    };
    let account = NewAccount {
        username: Username::parse(ADMIN).expect("valid"),
        person_id: PersonId(0),
        password_hash: hash,
        language: "ja".into(),
    };
    store
        .provision_account(
            person,
            account,
            Some((Role::Ciso, Scope::Global)),
            &Origin::system("first start"),
        )
        .await?;
    Ok(ADMIN.to_owned())
}

/// (code, 機関, units)
const ORGANISATIONS: &[(&str, &str, &[&str])] = &[
    (
        "KANRI",
        "管理者",
        &[
            "総務課",
            "企画課",
            "情報政策課",
            "財政課",
            "人事課",
            "福利厚生課",
        ],
    ),
    ("KYOIKU", "教育委員会", &["教育総務課", "学務課"]),
    ("JINJI", "人事委員会", &["任用課", "試験研究室"]),
    ("KANSA", "監査委員", &["監査事務局"]),
    ("GIKAI", "議会", &["議会事務局"]),
];

/// (氏名, 職名, org index, unit index, role, demo username)
type DemoPerson = (
    &'static str,
    &'static str,
    usize,
    usize,
    Option<Role>,
    Option<&'static str>,
);

const PEOPLE: &[DemoPerson] = &[
    (
        "佐藤 一郎",
        "事務局長",
        0,
        0,
        Some(Role::Ciso),
        Some("sato"),
    ),
    (
        "鈴木 花子",
        "総務部長",
        0,
        0,
        Some(Role::SecurityDirector),
        Some("suzuki"),
    ),
    (
        "高橋 健",
        "情報政策課長",
        0,
        2,
        Some(Role::SecurityManager),
        Some("takahashi"),
    ),
    ("田中 美咲", "主任", 0, 2, Some(Role::Csirt), Some("tanaka")),
    (
        "伊藤 翔",
        "主事",
        0,
        2,
        Some(Role::SystemAdministrator),
        None,
    ),
    (
        "渡辺 直子",
        "総務課長",
        0,
        0,
        Some(Role::SecurityManager),
        None,
    ),
    (
        "山本 大輔",
        "主事",
        0,
        0,
        Some(Role::Staff),
        Some("yamamoto"),
    ),
    ("中村 さくら", "主事", 0, 0, Some(Role::Staff), None),
    (
        "小林 誠",
        "企画課長",
        0,
        1,
        Some(Role::SecurityManager),
        None,
    ),
    ("加藤 由美", "主任", 0, 1, Some(Role::Staff), None),
    (
        "吉田 拓也",
        "財政課長",
        0,
        3,
        Some(Role::SecurityManager),
        None,
    ),
    ("山田 恵", "主事", 0, 3, Some(Role::Staff), None),
    (
        "佐々木 亮",
        "人事課長",
        0,
        4,
        Some(Role::SecurityManager),
        None,
    ),
    ("山口 愛", "主任", 0, 4, Some(Role::Staff), None),
    (
        "松本 剛",
        "福利厚生課長",
        0,
        5,
        Some(Role::SecurityManager),
        None,
    ),
    ("井上 優子", "主事", 0, 5, Some(Role::Staff), None),
    (
        "木村 隆",
        "教育長",
        1,
        0,
        Some(Role::SecurityOfficer),
        Some("kimura"),
    ),
    (
        "林 明美",
        "教育総務課長",
        1,
        0,
        Some(Role::SecurityManager),
        None,
    ),
    ("斎藤 浩", "主事", 1, 0, Some(Role::Staff), None),
    (
        "清水 香織",
        "学務課長",
        1,
        1,
        Some(Role::SecurityManager),
        None,
    ),
    ("山崎 慎", "主事", 1, 1, Some(Role::Staff), None),
    (
        "森 和也",
        "人事委員会事務局長",
        2,
        0,
        Some(Role::SecurityOfficer),
        None,
    ),
    (
        "池田 真理",
        "任用課長",
        2,
        0,
        Some(Role::SecurityManager),
        None,
    ),
    ("橋本 光", "主事", 2, 0, Some(Role::Staff), None),
    (
        "阿部 智子",
        "試験研究室長",
        2,
        1,
        Some(Role::SecurityManager),
        None,
    ),
    ("石川 俊介", "主任", 2, 1, Some(Role::Staff), None),
    (
        "山下 典子",
        "監査事務局長",
        3,
        0,
        Some(Role::SecurityOfficer),
        None,
    ),
    (
        "中島 修",
        "監査担当係長",
        3,
        0,
        Some(Role::Auditor),
        Some("nakajima"),
    ),
    ("石井 綾", "主事", 3, 0, Some(Role::Staff), None),
    (
        "小川 正樹",
        "議会事務局長",
        4,
        0,
        Some(Role::SecurityOfficer),
        None,
    ),
    (
        "前田 晴美",
        "議事係長",
        4,
        0,
        Some(Role::SecurityManager),
        None,
    ),
    ("岡田 悠", "主事", 4, 0, Some(Role::Staff), None),
    (
        "長谷川 学",
        "保守担当（委託）",
        0,
        2,
        Some(Role::Contractor),
        Some("hasegawa"),
    ),
    ("藤田 陽子", "主事", 0, 1, None, None),
];

/// Fills an empty store with the demonstration organisation; returns how many people it made.
pub async fn fill(store: &dyn Store) -> anyhow::Result<usize> {
    let admin = store
        .credentials_by_name(ADMIN)
        .await?
        .context("administrator missing")?;
    let actor = store
        .actor(admin.user_id)
        .await?
        .context("administrator has no person")?;
    let origin = Origin::of(&actor, "demo");
    let manage_orgs = authorize::<ManageOrganisations>(&actor, &())?;
    let mut orgs: Vec<(OrgId, Vec<UnitId>)> = Vec::new();
    for (code, org_name, units) in ORGANISATIONS {
        let org = store
            .create_organisation(
                &manage_orgs,
                OrganisationInput {
                    code: (*code).into(),
                    name: name(org_name),
                    note: String::new(),
                },
                &origin,
            )
            .await?;
        let grant = authorize::<ManageUnits>(&actor, &org.id)?;
        let mut ids = Vec::new();
        for unit in *units {
            let input = UnitInput {
                org_id: org.id,
                parent_id: None,
                name: name(unit),
                note: String::new(),
            };
            ids.push(store.create_unit(&grant, input, &origin).await?.id);
        }
        orgs.push((org.id, ids));
    }
    let password = NewPassword::parse(DEMO_PASSWORD, "").map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = tokio::task::spawn_blocking(move || password.hash(&mut rand::rngs::OsRng)).await?;
    for (i, (person_name, title, org, unit, role, username)) in PEOPLE.iter().enumerate() {
        let (org_id, units) = &orgs[*org];
        let unit_id = units[*unit];
        let input = PersonInput {
            name: name(person_name),
            unit_id: Some(unit_id),
            title: (*title).into(),
            email: Some(format!("user{:03}@example.lg.jp", i + 1)),
            phone: format!("03-5210-{:04}", 9000 + i),
            external: *role == Some(Role::Contractor),
        };
        let scope = |role: Role| match role.scope_kind() {
            mamori_core::role::ScopeKind::Global => Scope::Global,
            mamori_core::role::ScopeKind::Organisation => Scope::Organisation(*org_id),
            mamori_core::role::ScopeKind::Unit => Scope::Unit(unit_id),
            mamori_core::role::ScopeKind::System => Scope::System("内部情報系ネットワーク".into()),
        };
        match username {
            Some(username) => {
                let account = NewAccount {
                    username: Username::parse(username).expect("valid"),
                    person_id: PersonId(0),
                    password_hash: hash.clone(),
                    language: "ja".into(),
                };
                store
                    .provision_account(input, account, role.map(|r| (r, scope(r))), &origin)
                    .await?;
            }
            None => {
                let place = PersonPlace {
                    person_id: None,
                    org_id: Some(*org_id),
                    unit_id: Some(unit_id),
                };
                let person = store
                    .create_person(&authorize::<ManagePeople>(&actor, &place)?, input, &origin)
                    .await?;
                if let Some(role) = role {
                    let change = RoleChange {
                        person: PersonPlace {
                            person_id: Some(person.id),
                            ..place
                        },
                        role: *role,
                        scope: scope(*role),
                        scope_org: Some(*org_id),
                    };
                    let grant = authorize::<AssignRoles>(&actor, &change)?;
                    store
                        .assign_role(&grant, person.id, *role, scope(*role), &origin)
                        .await?;
                }
            }
        }
    }
    Ok(PEOPLE.len())
}
