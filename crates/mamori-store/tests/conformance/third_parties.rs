//! Cases of third parties: contractors and agreements (contracts and 指定管理 agreements), what
//! they name checked inside the write, their verifications, and the grants a contract in force
//! gives its people.

use chrono::NaiveDate;
use mamori_core::asset::{AssetKind, Lifecycle};
use mamori_core::authz::{
    AssetPlace, ManageAssets, ManageThirdParties, VerifyAgreement, authorize,
};
use mamori_core::classification::Classification;
use mamori_core::policy::{Tier, parse_policy};
use mamori_core::third_party::{AgreementKind, Outcome, Period, VerificationText};
use mamori_core::{Role, Scope};
use mamori_store::{
    AgreementInput, AssetInput, Author, Conflict, ContractorInput, NewAsset, NewPolicy,
    PolicySource,
};

use crate::{Fx, account, actor, assert_conflict, grant, name, new_org, new_unit, origin};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub async fn agreements_are_checked_verified_and_grant_their_contractors_while_in_force(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "情報政策課").await.id;
    let vendor = actor(
        &fx,
        account(
            &fx,
            "vendor",
            unit,
            Some((Role::Contractor, Scope::Unit(unit))),
        )
        .await,
    )
    .await;
    let staff = actor(
        &fx,
        account(&fx, "staff", unit, Some((Role::Staff, Scope::Unit(unit)))).await,
    )
    .await;
    let manager = actor(
        &fx,
        account(
            &fx,
            "manager",
            unit,
            Some((Role::SecurityManager, Scope::Unit(unit))),
        )
        .await,
    )
    .await;
    let asset = s
        .create_asset(
            &grant::<ManageAssets>(&AssetPlace {
                asset: None,
                owner_unit: Some(unit),
                owner_org: Some(org),
                restricted: false,
                existence_visible: true,
            }),
            NewAsset {
                input: AssetInput {
                    kind: AssetKind::System,
                    name: name("庁内ポータル"),
                    owner_unit: unit,
                    administrator: None,
                    location: String::new(),
                    segment: None,
                    hosts: vec![],
                    addresses: vec![],
                    lifecycle: Lifecycle::InUse,
                    note: String::new(),
                },
                classification: Classification {
                    confidentiality: "2".into(),
                    integrity: "2".into(),
                    availability: "2".into(),
                },
                disposal: None,
            },
            &origin(),
        )
        .await
        .unwrap()
        .id;
    let source = "対策基準\n1 目的\n情報資産を守る。\n";
    let text = parse_policy(source).unwrap();
    let policy = |tier: Tier, title: &str| NewPolicy {
        org_id: org,
        tier,
        title: title.into(),
        approver_role: Role::Ciso,
    };
    let standard = s
        .create_policy(
            Author::Operator,
            policy(Tier::Standard, "情報セキュリティ対策基準"),
            PolicySource {
                source,
                text: &text,
            },
            &origin(),
        )
        .await
        .unwrap()
        .0
        .id;
    let basic = s
        .create_policy(
            Author::Operator,
            policy(Tier::Basic, "情報セキュリティ基本方針"),
            PolicySource {
                source,
                text: &text,
            },
            &origin(),
        )
        .await
        .unwrap()
        .0
        .id;

    let manage = grant::<ManageThirdParties>(&());
    let before = fx.audit_len().await;
    let company = s
        .create_contractor(
            &manage,
            ContractorInput {
                name: "株式会社まもり保守".into(),
                address: "東京都千代田区1-1".into(),
                contact_person: "保守 太郎".into(),
                phone: "03-1234-5678".into(),
                email: Some("support@hoshu.example.jp".into()),
                note: String::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "contractor.create").await;

    let contract = AgreementInput {
        kind: AgreementKind::Contract,
        contractor: Some(company.id),
        managing_body: String::new(),
        title: "庁内ポータル保守".into(),
        description: "保守・運用".into(),
        unit,
        period: Period {
            starts_on: day(2025, 4, 1),
            ends_on: day(2026, 3, 31),
        },
        assets: vec![asset.0, asset.0],
        classes: vec!["2".into()],
        requirements: vec!["incident_reporting".into(), "confidentiality".into()],
        people: vec![vendor.person_id],
        policies: vec![standard.0],
    };
    // What the agreement names is checked inside the write; a refusal writes nothing.
    let before = fx.audit_len().await;
    for (input, conflict, what) in [
        (
            AgreementInput {
                people: vec![staff.person_id],
                ..contract.clone()
            },
            Conflict::AgreementPersonNotContractor,
            "a person without the contractor role",
        ),
        (
            AgreementInput {
                policies: vec![basic.0],
                ..contract.clone()
            },
            Conflict::AgreementPolicyTier,
            "the basic policy",
        ),
        (
            AgreementInput {
                assets: vec![999_999],
                ..contract.clone()
            },
            Conflict::AgreementScopeMissing,
            "an asset that does not exist",
        ),
        (
            AgreementInput {
                contractor: Some(mamori_store::ContractorId(999_999)),
                ..contract.clone()
            },
            Conflict::AgreementScopeMissing,
            "a contractor that does not exist",
        ),
        (
            AgreementInput {
                kind: AgreementKind::Designated,
                ..contract.clone()
            },
            Conflict::AgreementKindFields,
            "a 指定管理 agreement with a contractor and people",
        ),
    ] {
        assert_conflict(
            s.create_agreement(&manage, input, &origin()).await,
            conflict,
            what,
        );
    }
    assert_eq!(fx.audit_len().await, before, "refusals write nothing");

    let made = s
        .create_agreement(&manage, contract.clone(), &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "agreement.create").await;
    assert_eq!(record.event.unit_id, Some(unit));
    assert_eq!(made.kind, AgreementKind::Contract);
    assert_eq!(made.contractor_name.as_deref(), Some("株式会社まもり保守"));
    assert_eq!(
        made.assets.len(),
        1,
        "the same asset named twice is one link"
    );
    assert_eq!(made.assets[0].class, "2-2-2");
    assert_eq!(made.requirements, ["confidentiality", "incident_reporting"]);
    assert_eq!(made.people, [(vendor.person_id, "職員 vendor".to_owned())]);
    assert_eq!(made.policies[0].tier, Tier::Standard);
    assert_eq!(
        s.contractor(company.id).await.unwrap().unwrap().contracts,
        1
    );

    // The grants follow the period, day by day.
    let grants = s
        .contract_grants(vendor.person_id, day(2025, 4, 1))
        .await
        .unwrap();
    assert_eq!(grants.assets, [asset]);
    assert_eq!(grants.policies, [standard]);
    assert_eq!(
        s.contract_grants(vendor.person_id, day(2026, 3, 31))
            .await
            .unwrap()
            .assets,
        [asset]
    );
    for outside in [day(2025, 3, 31), day(2026, 4, 1)] {
        let none = s.contract_grants(vendor.person_id, outside).await.unwrap();
        assert!(
            none.assets.is_empty() && none.policies.is_empty(),
            "{outside}"
        );
    }
    let nobody = s
        .contract_grants(staff.person_id, day(2025, 6, 1))
        .await
        .unwrap();
    assert!(nobody.assets.is_empty());

    // Verifications: by the unit's 管理者, of a requirement carried only.
    let verify = authorize::<VerifyAgreement>(&manager, &made.place()).unwrap();
    let check = |requirement: &str| VerificationText {
        requirement: requirement.into(),
        outcome: Outcome::Partly,
        checked_on: day(2025, 10, 1),
        note: "誓約書の一部未提出".into(),
        link: "https://portal.example.lg.jp/checks/1".into(),
    };
    let before = fx.audit_len().await;
    assert_conflict(
        s.record_verification(&verify, made.id, check("training"), &origin())
            .await,
        Conflict::AgreementRequirementNotCarried,
        "a requirement the contract does not carry",
    );
    let checked = s
        .record_verification(&verify, made.id, check("confidentiality"), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "agreement.verify").await;
    assert_eq!(checked.verifications.len(), 1);
    assert_eq!(checked.verifications[0].outcome, Outcome::Partly);
    assert_eq!(checked.verifications[0].by_name.as_deref(), Some("manager"));
    assert_eq!(
        checked.checks(),
        [("confidentiality".to_owned(), day(2025, 10, 1))]
    );

    // An update replaces what it names and keeps the checks; its kind stays.
    let before = fx.audit_len().await;
    let updated = s
        .update_agreement(
            &manage,
            made.id,
            AgreementInput {
                people: Vec::new(),
                assets: Vec::new(),
                ..contract.clone()
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "agreement.update").await;
    assert_eq!(
        record.event.detail["before"]["people"][0],
        vendor.person_id.0
    );
    assert!(updated.people.is_empty() && updated.assets.is_empty());
    assert_eq!(updated.verifications.len(), 1);
    assert!(
        s.contract_grants(vendor.person_id, day(2025, 6, 1))
            .await
            .unwrap()
            .assets
            .is_empty()
    );
    assert!(matches!(
        s.update_agreement(
            &manage,
            made.id,
            AgreementInput {
                kind: AgreementKind::Designated,
                contractor: None,
                managing_body: "財団".into(),
                people: Vec::new(),
                policies: Vec::new(),
                ..contract.clone()
            },
            &origin(),
        )
        .await,
        Err(mamori_store::StoreError::NotFound)
    ));

    // A 指定管理 agreement: a managing body, no contractor; listed by kind.
    let designated = s
        .create_agreement(
            &manage,
            AgreementInput {
                kind: AgreementKind::Designated,
                contractor: None,
                managing_body: "公益財団法人まもり文化振興会".into(),
                title: "区民文化センター".into(),
                people: Vec::new(),
                policies: Vec::new(),
                ..contract.clone()
            },
            &origin(),
        )
        .await
        .unwrap();
    let contracts = s.agreements(AgreementKind::Contract).await.unwrap();
    let agreements = s.agreements(AgreementKind::Designated).await.unwrap();
    assert_eq!(
        contracts.iter().map(|a| a.id).collect::<Vec<_>>(),
        [made.id]
    );
    assert_eq!(
        agreements.iter().map(|a| a.id).collect::<Vec<_>>(),
        [designated.id]
    );
    let choices = s.agreement_choices().await.unwrap();
    assert_eq!(choices.assets.len(), 1);
    assert_eq!(
        choices.contractor_people,
        [(vendor.person_id, "職員 vendor".to_owned())]
    );

    // A contractor's change is recorded with what it replaced.
    let before = fx.audit_len().await;
    let renamed = s
        .update_contractor(
            &manage,
            company.id,
            ContractorInput {
                name: "株式会社まもり保守サービス".into(),
                ..company.input.clone()
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "contractor.update").await;
    assert_eq!(record.event.detail["before"]["name"], "株式会社まもり保守");
    assert_eq!(renamed.input.name, "株式会社まもり保守サービス");
}
