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

use crate::messages::msg;

mod controls;
mod incidents;
mod inspections;
mod monitor;
mod policy;
mod registers;
mod risks;
mod third_parties;
mod training;

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
        // The password is printed: whoever saw it must not keep using it.
        must_change_password: true,
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
        .with_context(|| msg!("cli.demo.no_administrator"))?;
    let actor = store
        .actor(admin.user_id)
        .await?
        .with_context(|| msg!("cli.demo.no_administrator"))?;
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
                    must_change_password: false,
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
    fill_register(store, &actor, &origin, &orgs).await?;
    policy::fill_policies(store, orgs[0].0).await?;
    controls::fill_answers(store, orgs[0].0).await?;
    risks::fill_risks(store, orgs[0].0).await?;
    third_parties::fill_third_parties(store, &orgs[0].1).await?;
    inspections::fill_inspections(store, orgs[0].0).await?;
    incidents::fill_incidents(store).await?;
    training::fill_training(store).await?;
    registers::fill_registers(store, &orgs[0].1).await?;
    monitor::fill_monitor(store).await?;
    Ok(PEOPLE.len())
}

/// How many assets the demonstration register holds.
pub const DEMO_ASSETS: usize = 300;

/// Names of assets by kind, as a 自治体 register words them.
const ASSET_NAMES: [&[&str]; 6] = [
    &[
        "庁内LAN",
        "無線LAN",
        "LGWAN接続回線",
        "インターネット接続回線",
        "拠点間VPN",
    ],
    &[
        "住民記録システム",
        "税務システム",
        "財務会計システム",
        "人事給与システム",
        "文書管理システム",
        "グループウェア",
        "庶務事務システム",
        "学齢簿システム",
        "会議録検索システム",
        "電子入札システム",
    ],
    &[
        "業務用端末",
        "ファイルサーバ",
        "複合機",
        "ネットワークスイッチ",
        "UTM",
        "無害化サーバ",
    ],
    &["USBメモリ", "外付けHDD", "LTOテープ", "DVD-R"],
    &[
        "住民情報",
        "課税台帳",
        "職員名簿",
        "会議録",
        "例規集（公開）",
        "入札結果（公開）",
    ],
    &[
        "ネットワーク構成図",
        "システム仕様書",
        "運用手順書",
        "委託契約書",
    ],
];

/// The three segments of the MIC model and a few hundred assets of every kind, class and
/// segment, some of which break the rules (機密性3 on the Internet segment, addresses outside
/// their segment, disposed without a record) so that the flags and the summary show something.
/// Deterministic: the same register every time.
async fn fill_register(
    store: &dyn Store,
    actor: &mamori_core::Actor,
    origin: &Origin,
    orgs: &[(OrgId, Vec<UnitId>)],
) -> anyhow::Result<usize> {
    use mamori_core::asset::{AssetKind, Disposal, Lifecycle};
    use mamori_core::authz::ManageRegister;
    use mamori_core::classification::{Classification, segment_codes};
    use mamori_core::segment::{Segment, parse_ranges};
    use mamori_store::{AssetInput, NewAsset};

    let register = authorize::<ManageRegister>(actor, &())?;
    let segments = [
        (
            segment_codes::MYNUMBER,
            "マイナンバー利用事務系",
            "10.10.0.0/16",
            "住民情報系の基幹業務。インターネットとは分離し、LGWANとは必要な通信のみ許可。",
        ),
        (
            segment_codes::LGWAN,
            "LGWAN接続系",
            "10.20.0.0/16",
            "内部事務系。インターネットからのメール・ファイルは無害化を経て取り込む。",
        ),
        (
            segment_codes::INTERNET,
            "インターネット接続系",
            "172.16.0.0/16, 192.168.100.0/24",
            "自治体情報セキュリティクラウド経由でインターネットに接続。",
        ),
    ];
    let mut segment_ids = Vec::new();
    for (code, title, ranges, note) in segments {
        let segment = Segment {
            code: code.into(),
            name: name(title),
            ranges: parse_ranges("ranges", ranges).map_err(|e| anyhow::anyhow!("{e}"))?,
            note: note.into(),
        };
        segment_ids.push(store.create_segment(&register, segment, origin).await?.id);
    }
    let units: Vec<UnitId> = orgs.iter().flat_map(|(_, u)| u.iter().copied()).collect();
    let mut assets = Vec::with_capacity(DEMO_ASSETS);
    for i in 0..DEMO_ASSETS {
        let kind = AssetKind::ALL[i % 6];
        let names = ASSET_NAMES[i % 6];
        let base = names[(i / 6) % names.len()];
        let confidentiality = match (i * 7) % 10 {
            0..=2 => "3",
            3..=6 => "2",
            _ => "1",
        };
        // 0: MYNUMBER, 1: LGWAN, 2: INTERNET.
        let mut segment = match confidentiality {
            "3" if i % 4 == 0 => Some(0),
            "3" | "2" => Some(1),
            _ if i % 2 == 0 => Some(2),
            _ => Some(1),
        };
        let printed = matches!(kind, AssetKind::Information | AssetKind::Document) && i % 5 == 0;
        if printed {
            segment = None;
        }
        // Rule breakers.
        if i % 37 == 5 {
            segment = Some(2);
        }
        let networked = matches!(
            kind,
            AssetKind::Equipment | AssetKind::System | AssetKind::Network
        );
        let mut addresses = Vec::new();
        let mut hosts = Vec::new();
        if networked && let Some(s) = segment {
            let (a, b) = ((i / 250) as u8, (i % 250 + 1) as u8);
            let address = if i % 41 == 7 {
                std::net::Ipv4Addr::new(192, 0, 2, b)
            } else {
                match s {
                    0 => std::net::Ipv4Addr::new(10, 10, a, b),
                    1 => std::net::Ipv4Addr::new(10, 20, a, b),
                    _ => std::net::Ipv4Addr::new(172, 16, a, b),
                }
            };
            addresses.push(std::net::IpAddr::V4(address));
            hosts.push(format!("{}{i:03}", ["nw", "sys", "srv", "", "", ""][i % 6]));
        }
        let lifecycle = match i {
            _ if i % 29 == 11 => Lifecycle::Disposed,
            _ if i % 13 == 0 => Lifecycle::Retired,
            _ if i % 19 == 2 => Lifecycle::Planned,
            _ => Lifecycle::InUse,
        };
        let disposal = (i % 17 == 3).then(|| Disposal {
            method: "専用ソフトによる完全消去の上、物理破壊".into(),
            by: "情報政策課 伊藤".into(),
            at_ms: 1_760_000_000_000 + i as i64 * 86_400_000,
        });
        assets.push(NewAsset {
            input: AssetInput {
                kind,
                name: name(&format!("{base} {:03}", i + 1)),
                owner_unit: units[(i * 7) % units.len()],
                administrator: None,
                location: [
                    "本庁舎3階サーバ室",
                    "本庁舎2階執務室",
                    "第二庁舎書庫",
                    "データセンター（委託先）",
                ][i % 4]
                    .into(),
                segment: segment.map(|s| segment_ids[s]),
                hosts,
                addresses,
                lifecycle,
                note: String::new(),
            },
            classification: Classification {
                confidentiality: confidentiality.into(),
                integrity: if i % 3 == 0 { "1" } else { "2" }.into(),
                availability: if i % 4 == 0 { "1" } else { "2" }.into(),
            },
            disposal,
        });
    }
    let ids = store.import_assets(&register, assets, origin).await?;
    Ok(ids.len())
}
