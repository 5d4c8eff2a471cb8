//! Cases of the risk register: threats seeded and edited, risks with their links checked and
//! their levels kept, the matrix re-levelling them, and acceptance above the threshold refused
//! by the store whoever holds the grant.

use chrono::NaiveDate;
use mamori_core::asset::{AssetKind, Lifecycle};
use mamori_core::authz::{
    AcceptRisk, AssetPlace, ManageAssets, ManageRisks, ManageThreats, RiskAcceptance, RiskPlace,
    authorize,
};
use mamori_core::classification::Classification;
use mamori_core::controls::builtin;
use mamori_core::risk::{Level, Rating, RiskMatrix, Threat, ThreatCategory, Treatment};
use mamori_core::{PersonId, Role, Scope, UnitId};
use mamori_store::{AssetInput, Conflict, Importer, NewAsset, Origin, RiskId, RiskInput};

use crate::{Fx, account, actor, assert_conflict, grant, name, new_org, new_unit, origin};

fn rating(likelihood: u8, impact: u8) -> Rating {
    Rating { likelihood, impact }
}

fn input(unit: UnitId, owner: PersonId) -> RiskInput {
    RiskInput {
        title: "住民情報の漏えい".into(),
        description: "委託先からの持ち出し".into(),
        unit,
        owner,
        assets: Vec::new(),
        threats: vec!["T-ACCESS".into(), "T-INSIDER".into()],
        measures: Vec::new(),
        inherent: rating(4, 5),
        residual: Some(rating(2, 3)),
        treatment: Treatment::Reduce,
        review_on: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    }
}

fn manage(
    org: mamori_core::OrgId,
    unit: UnitId,
    owner: PersonId,
) -> mamori_core::Granted<ManageRisks> {
    grant::<ManageRisks>(&RiskPlace { org, unit, owner })
}

pub async fn risks_are_recorded_with_their_links_checked_and_every_change_audited(fx: Fx) {
    let s = fx.store();
    // The threats of seed §3 are there from the start, without a record of their own.
    let threats = s.threats().await.unwrap();
    assert!(threats.len() >= 20);
    assert!(threats.iter().any(|t| t.threat.name_ja == "落雷"));
    let before = fx.audit_len().await;
    let storm = Threat {
        code: "T-STORM".into(),
        name_ja: "風水害".into(),
        name_en: "Storm and flood".into(),
        category: ThreatCategory::Disaster,
    };
    let made = s
        .create_threat(&grant::<ManageThreats>(&()), storm.clone(), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "threat.create").await;
    let before = fx.audit_len().await;
    assert_conflict(
        s.create_threat(&grant::<ManageThreats>(&()), storm.clone(), &origin())
            .await,
        Conflict::ThreatCodeTaken,
        "a code twice",
    );
    fx.assert_no_record(before, "a refused threat").await;
    let renamed = Threat {
        name_en: "Storms and floods".into(),
        ..storm
    };
    s.update_threat(
        &grant::<ManageThreats>(&()),
        made.id,
        renamed.clone(),
        &origin(),
    )
    .await
    .unwrap();
    fx.assert_one_record(before, "threat.update").await;

    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let owner_user = account(&fx, "owner", unit, Some((Role::Staff, Scope::Unit(unit)))).await;
    let owner = actor(&fx, owner_user).await.person_id;
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
                    name: name("住民記録システム"),
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
        .id
        .0;
    let catalogue = builtin();
    s.import_catalogue(Importer::Operator, &catalogue, &Origin::system("t"))
        .await
        .unwrap();
    let measure = catalogue.measures().next().unwrap().urn.clone();
    let chapter = catalogue.roots().next().unwrap().urn.clone();

    let manager = manage(org, unit, owner);
    let before = fx.audit_len().await;
    let created = s
        .create_risk(
            &manager,
            RiskInput {
                assets: vec![asset, asset],
                measures: vec![measure.clone()],
                threats: vec!["T-INSIDER".into(), "T-ACCESS".into(), "T-STORM".into()],
                ..input(unit, owner)
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "risk.create").await;
    assert_eq!(record.event.unit_id, Some(unit));
    assert_eq!(created.inherent_level, Level::Critical);
    assert_eq!(created.residual_level, Some(Level::Medium));
    assert_eq!(created.level, Level::Medium);
    assert_eq!(created.assets, [asset]);
    assert_eq!(created.threats, ["T-ACCESS", "T-INSIDER", "T-STORM"]);
    assert_eq!(created.measures, std::slice::from_ref(&measure));
    assert_eq!(
        (created.org, created.owner_name.as_str()),
        (org, "職員 owner")
    );
    assert_eq!(s.risk(created.id).await.unwrap(), Some(created.clone()));
    assert_eq!(s.risks().await.unwrap(), vec![created.clone()]);

    // Links that do not exist are refused and write nothing.
    let before = fx.audit_len().await;
    for (bad, conflict) in [
        (
            RiskInput {
                assets: vec![asset + 1000],
                ..input(unit, owner)
            },
            Conflict::RiskAssetMissing,
        ),
        (
            RiskInput {
                threats: vec!["T-NONE".into()],
                ..input(unit, owner)
            },
            Conflict::RiskThreatMissing,
        ),
        (
            RiskInput {
                measures: vec![chapter.clone()],
                ..input(unit, owner)
            },
            Conflict::RiskMeasureMissing,
        ),
        (
            RiskInput {
                measures: vec!["urn:x:none".into()],
                ..input(unit, owner)
            },
            Conflict::RiskMeasureMissing,
        ),
        (
            RiskInput {
                owner: PersonId(99_999),
                ..input(unit, owner)
            },
            Conflict::RiskOwnerMissing,
        ),
        (
            RiskInput {
                unit: UnitId(99_999),
                ..input(unit, owner)
            },
            Conflict::RiskUnitMissing,
        ),
        (
            RiskInput {
                inherent: rating(6, 1),
                ..input(unit, owner)
            },
            Conflict::RiskMatrixInvalid,
        ),
        (
            RiskInput {
                treatment: Treatment::Accept,
                ..input(unit, owner)
            },
            Conflict::RiskAcceptanceReserved,
        ),
    ] {
        assert_conflict(
            s.create_risk(&manager, bad, &origin()).await,
            conflict,
            conflict.code(),
        );
    }
    fx.assert_no_record(before, "refused risks").await;
    assert_eq!(s.risks().await.unwrap().len(), 1);

    // An update replaces the links and levels, recording what it replaced.
    let updated = s
        .update_risk(
            &manager,
            created.id,
            RiskInput {
                residual: None,
                treatment: Treatment::Transfer,
                ..input(unit, owner)
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "risk.update").await;
    assert_eq!(record.event.detail["before"]["level"], "medium");
    assert_eq!(record.event.detail["after"]["level"], "critical");
    assert_eq!(updated.level, Level::Critical);
    assert!(updated.assets.is_empty() && updated.measures.is_empty());
    assert_eq!(updated.treatment, Treatment::Transfer);
    assert!(matches!(
        s.update_risk(&manager, RiskId(99_999), input(unit, owner), &origin())
            .await,
        Err(mamori_store::StoreError::NotFound)
    ));

    // A new matrix re-levels every risk in its one audited write.
    let strict = RiskMatrix {
        cells: vec![vec![Level::Low; 5]; 5],
        ..RiskMatrix::default()
    };
    let before = fx.audit_len().await;
    s.set_risk_matrix(&grant::<ManageThreats>(&()), &strict, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "risk.matrix").await;
    assert_eq!(s.risk_matrix().await.unwrap(), strict);
    assert_eq!(s.risk(created.id).await.unwrap().unwrap().level, Level::Low);
    let mut small = RiskMatrix::default();
    small.likelihood.truncate(3);
    small.cells = vec![vec![Level::High; 5]; 3];
    let before = fx.audit_len().await;
    assert_conflict(
        s.set_risk_matrix(&grant::<ManageThreats>(&()), &small, &origin())
            .await,
        Conflict::RiskMatrixInvalid,
        "a stored likelihood of 4 does not fit three steps",
    );
    let mut broken = RiskMatrix::default();
    broken.colours.pop();
    assert_conflict(
        s.set_risk_matrix(&grant::<ManageThreats>(&()), &broken, &origin())
            .await,
        Conflict::RiskMatrixInvalid,
        "a level without a colour",
    );
    fx.assert_no_record(before, "refused matrices").await;
    assert_eq!(s.risk(created.id).await.unwrap().unwrap().level, Level::Low);
    assert_eq!(fx.verify().await.result, Ok(()));
}

pub async fn the_store_refuses_accepting_a_reserved_risk_unless_the_ciso_whatever_the_grant(
    fx: Fx,
) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "総務課").await.id;
    let owner_user = account(&fx, "owner", unit, Some((Role::Staff, Scope::Unit(unit)))).await;
    let owner = actor(&fx, owner_user).await;
    let ciso_user = account(&fx, "ciso.real", unit, Some((Role::Ciso, Scope::Global))).await;
    let ciso = actor(&fx, ciso_user).await;
    let director_user = account(
        &fx,
        "director",
        unit,
        Some((Role::SecurityDirector, Scope::Global)),
    )
    .await;
    let director = actor(&fx, director_user).await;
    let grant = manage(org, unit, owner.person_id);
    // Critical with no residual rating: above the default threshold (high).
    let critical = s
        .create_risk(
            &grant,
            RiskInput {
                residual: None,
                ..input(unit, owner.person_id)
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(critical.level, Level::Critical);
    let place = critical.place();
    let below = RiskAcceptance {
        place,
        reserved: false,
    };
    let above = RiskAcceptance {
        place,
        reserved: true,
    };
    assert!(authorize::<AcceptRisk>(&owner, &above).is_err());
    assert!(authorize::<AcceptRisk>(&director, &above).is_err());
    // A grant made for the risk as it was (below the threshold) does not carry over.
    let before = fx.audit_len().await;
    for who in [&owner, &director] {
        let stale = authorize::<AcceptRisk>(who, &below).unwrap();
        assert_conflict(
            s.accept_risk(&stale, critical.id, "受容する", &origin())
                .await,
            Conflict::RiskAcceptanceReserved,
            &who.username,
        );
    }
    fx.assert_no_record(before, "refused acceptances").await;
    let decided = s
        .accept_risk(
            &authorize::<AcceptRisk>(&ciso, &above).unwrap(),
            critical.id,
            "対策の完了まで受容する",
            &Origin::of(&ciso, "192.0.2.1"),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "risk.accept").await;
    assert_eq!(record.event.detail["reserved"], true);
    assert_eq!(decided.treatment, Treatment::Accept);
    let acceptance = decided.accepted.clone().unwrap();
    assert_eq!(
        (acceptance.by, acceptance.by_name.as_str()),
        (ciso_user, "ciso.real")
    );

    // Editing withdraws the acceptance; a risk the CISO owns is not theirs to accept above it.
    let ciso_owned = s
        .update_risk(
            &grant,
            critical.id,
            RiskInput {
                residual: None,
                ..input(unit, ciso.person_id)
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(ciso_owned.accepted, None);
    assert_eq!(ciso_owned.treatment, Treatment::Reduce);
    let before = fx.audit_len().await;
    let forged = authorize::<AcceptRisk>(&ciso, &above).unwrap();
    assert_conflict(
        s.accept_risk(&forged, critical.id, "", &origin()).await,
        Conflict::RiskAcceptanceReserved,
        "the owning CISO",
    );
    fx.assert_no_record(before, "refused acceptance").await;

    // At or below the threshold the owner decides.
    let medium = s
        .create_risk(&grant, input(unit, owner.person_id), &origin())
        .await
        .unwrap();
    assert_eq!(medium.level, Level::Medium);
    let own = authorize::<AcceptRisk>(
        &owner,
        &RiskAcceptance {
            place: medium.place(),
            reserved: false,
        },
    )
    .unwrap();
    let accepted = s.accept_risk(&own, medium.id, "", &origin()).await.unwrap();
    assert_eq!(accepted.accepted.unwrap().by, owner_user);
    assert_eq!(fx.verify().await.result, Ok(()));
}
