//! Cases of the third-party registers: cloud services with the levels they take and the assets
//! placed in them (a placement against the class flagged by the segments' rule), and
//! social-media accounts with their responsible person and reviews. Every write is one record.

use chrono::NaiveDate;
use mamori_core::asset::{AssetId, AssetKind, Lifecycle};
use mamori_core::authz::{
    AssetPlace, EditCloudService, ManageAccounts, ManageAssets, ManageCloudServices,
    ManageSocialAccounts, ReviewSocialAccount, authorize,
};
use mamori_core::classification::Classification;
use mamori_core::cloud::Ismap;
use mamori_core::social::{SocialFlag, flags};
use mamori_core::{OrgId, Role, Scope, UnitId};
use mamori_store::{
    AssetInput, CloudServiceInput, Conflict, NewAsset, SocialAccountId, SocialAccountInput,
};

use crate::{Fx, account, actor, assert_conflict, grant, name, new_org, new_unit, origin};

async fn asset(fx: &Fx, org: OrgId, unit: UnitId, title: &str, confidentiality: &str) -> AssetId {
    fx.store()
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
                    kind: AssetKind::Information,
                    name: name(title),
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
                    confidentiality: confidentiality.into(),
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
}

fn service(unit: UnitId, classes: &[&str]) -> CloudServiceInput {
    CloudServiceInput {
        provider: "クラウド株式会社".into(),
        name: "ファイル共有".into(),
        rules: "機密性2以下に限る。".into(),
        classes: classes.iter().map(|c| (*c).to_owned()).collect(),
        ismap: Some(Ismap {
            number: "C21-0001-1".into(),
            expires_on: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        }),
        unit,
    }
}

pub async fn a_cloud_service_keeps_its_levels_and_flags_an_asset_placed_against_its_class(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "情報政策課").await.id;
    let open = asset(&fx, org, unit, "例規集", "1").await;
    let secret = asset(&fx, org, unit, "住民情報", "3").await;
    let manage = grant::<ManageCloudServices>(&());
    let before = fx.audit_len().await;
    let made = s
        .create_cloud_service(&manage, service(unit, &["1", "2", "2"]), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "cloud.create").await;
    assert_eq!(made.classes, ["2", "1"], "once each, the higher first");
    assert_eq!(made.unit, unit);
    assert_eq!(made.org, org);
    assert_eq!(made.ismap.as_ref().unwrap().number, "C21-0001-1");
    let edit = grant::<EditCloudService>(&made.place());

    // A name of the provider's is taken once; unknown units and levels are refused.
    for (input, conflict, what) in [
        (
            service(unit, &["1"]),
            Conflict::CloudServiceTaken,
            "a name taken",
        ),
        (
            CloudServiceInput {
                name: "別".into(),
                ..service(UnitId(999_999), &["1"])
            },
            Conflict::CloudUnitMissing,
            "a unit that does not exist",
        ),
        (
            CloudServiceInput {
                name: "別".into(),
                ..service(unit, &["9"])
            },
            Conflict::CloudLevelUnknown,
            "a level the scale does not have",
        ),
    ] {
        let before = fx.audit_len().await;
        assert_conflict(
            s.create_cloud_service(&manage, input, &origin()).await,
            conflict,
            what,
        );
        fx.assert_no_record(before, what).await;
    }

    // Placing: the open asset is allowed, the 機密性3 one is kept and flagged.
    let placed = s
        .place_asset(&edit, made.id, open, &origin())
        .await
        .unwrap();
    assert!(placed.placed[0].forbidden.is_empty());
    let before = fx.audit_len().await;
    let placed = s
        .place_asset(&edit, made.id, secret, &origin())
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "cloud.place").await;
    assert_eq!(record.event.detail["asset"], secret.0);
    assert_eq!(placed.placed.len(), 2);
    assert_eq!(placed.placed[1].id, secret);
    assert_eq!(placed.placed[1].forbidden, ["機密性3"]);
    assert!(placed.placed[1].restricted);
    assert_eq!(placed.forbidden_placements(), 1);
    assert_eq!(
        s.asset_placements(secret).await.unwrap()[0].forbidden,
        ["機密性3"]
    );
    assert_conflict(
        s.place_asset(&edit, made.id, secret, &origin()).await,
        Conflict::CloudAssetPlaced,
        "placed twice",
    );
    assert_conflict(
        s.place_asset(&edit, made.id, AssetId(999_999), &origin())
            .await,
        Conflict::CloudAssetMissing,
        "an asset that does not exist",
    );

    // Taking 機密性3 as well clears the flag; the placements stay.
    let before = fx.audit_len().await;
    let updated = s
        .update_cloud_service(
            &edit,
            made.id,
            CloudServiceInput {
                ismap: None,
                ..service(unit, &["3", "2", "1"])
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "cloud.update").await;
    assert_eq!(record.event.detail["before"]["classes"][0], "2");
    assert_eq!(record.event.detail["after"]["classes"][0], "3");
    assert_eq!(updated.ismap, None);
    assert_eq!(updated.forbidden_placements(), 0);
    assert!(
        s.asset_placements(secret).await.unwrap()[0]
            .forbidden
            .is_empty()
    );

    // Unplacing: once.
    let before = fx.audit_len().await;
    let left = s
        .unplace_asset(&edit, made.id, secret, &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "cloud.unplace").await;
    assert_eq!(left.placed.len(), 1);
    assert!(s.asset_placements(secret).await.unwrap().is_empty());
    assert_conflict(
        s.unplace_asset(&edit, made.id, secret, &origin()).await,
        Conflict::CloudAssetNotPlaced,
        "not placed",
    );
    assert_eq!(s.cloud_services().await.unwrap(), vec![left.clone()]);
    assert_eq!(s.cloud_service(made.id).await.unwrap(), Some(left));
}

pub async fn a_social_media_account_has_an_owner_in_post_and_keeps_its_reviews(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await.id;
    let unit = new_unit(&fx, org, None, "広報課").await.id;
    let owner_user = account(&fx, "koho", unit, Some((Role::Staff, Scope::Unit(unit)))).await;
    let owner = actor(&fx, owner_user).await;
    let manager = actor(
        &fx,
        account(
            &fx,
            "kanri",
            unit,
            Some((Role::SecurityManager, Scope::Unit(unit))),
        )
        .await,
    )
    .await;
    let manage = grant::<ManageSocialAccounts>(&());
    let input = SocialAccountInput {
        platform: "X".into(),
        account_name: "@mamori_city".into(),
        url: "https://x.com/mamori_city".into(),
        owner: owner.person_id,
        rules: "広報課長が承認した記事のみ".into(),
        two_factor: false,
        review_months: 12,
        last_reviewed_on: Some(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap()),
    };
    let before = fx.audit_len().await;
    let made = s
        .create_social_account(&manage, input.clone(), &origin())
        .await
        .unwrap();
    fx.assert_one_record(before, "social.create").await;
    assert_eq!(
        made.unit,
        Some(unit),
        "the account sits in its owner's unit"
    );
    assert_eq!(made.org, Some(org));
    assert_eq!(made.owner_name.as_deref(), Some("職員 koho"));
    let today = NaiveDate::from_ymd_opt(2025, 11, 25).unwrap();
    assert_eq!(
        flags(&made.facts(), today),
        [SocialFlag::NoTwoFactor, SocialFlag::ReviewOverdue]
    );
    for (input, conflict, what) in [
        (input.clone(), Conflict::SocialAccountTaken, "a name taken"),
        (
            SocialAccountInput {
                account_name: "@other".into(),
                owner: mamori_core::PersonId(999_999),
                ..input.clone()
            },
            Conflict::SocialOwnerMissing,
            "an owner who is not in the directory",
        ),
    ] {
        let before = fx.audit_len().await;
        assert_conflict(
            s.create_social_account(&manage, input, &origin()).await,
            conflict,
            what,
        );
        fx.assert_no_record(before, what).await;
    }

    // The unit's 管理者 records a review; the last review moves to it, never back.
    let review = authorize::<ReviewSocialAccount>(&manager, &made.place()).unwrap();
    let before = fx.audit_len().await;
    let reviewed = s
        .record_social_review(
            &review,
            made.id,
            NaiveDate::from_ymd_opt(2025, 11, 20).unwrap(),
            "投稿履歴を確認",
            &origin(),
        )
        .await
        .unwrap();
    fx.assert_one_record(before, "social.review").await;
    assert_eq!(
        reviewed.last_reviewed_on,
        NaiveDate::from_ymd_opt(2025, 11, 20)
    );
    assert_eq!(reviewed.reviews.len(), 1);
    assert_eq!(reviewed.reviews[0].by_name.as_deref(), Some("kanri"));
    assert_eq!(reviewed.reviews[0].note, "投稿履歴を確認");
    let older = s
        .record_social_review(
            &review,
            made.id,
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            "",
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(
        older.last_reviewed_on,
        NaiveDate::from_ymd_opt(2025, 11, 20)
    );
    assert_eq!(older.reviews.len(), 2);
    assert_eq!(flags(&older.facts(), today), [SocialFlag::NoTwoFactor]);

    // An update keeps the newest review and turns 2FA on.
    let before = fx.audit_len().await;
    let updated = s
        .update_social_account(
            &manage,
            made.id,
            SocialAccountInput {
                two_factor: true,
                last_reviewed_on: None,
                ..input.clone()
            },
            &origin(),
        )
        .await
        .unwrap();
    let record = fx.assert_one_record(before, "social.update").await;
    assert_eq!(record.event.detail["before"]["two_factor"], false);
    assert_eq!(record.event.detail["after"]["two_factor"], true);
    assert_eq!(
        updated.last_reviewed_on,
        NaiveDate::from_ymd_opt(2025, 11, 20)
    );
    assert!(flags(&updated.facts(), today).is_empty());

    // Its owner leaves: the account is without an owner in post.
    s.set_account_disabled(&grant::<ManageAccounts>(&()), owner_user, true, &origin())
        .await
        .unwrap();
    let orphan = s.social_account(made.id).await.unwrap().unwrap();
    assert!(orphan.owner_disabled);
    assert_eq!(flags(&orphan.facts(), today), [SocialFlag::NoOwner]);
    assert_eq!(s.social_accounts().await.unwrap(), vec![orphan]);
    assert_eq!(
        s.social_account(SocialAccountId(999_999)).await.unwrap(),
        None
    );
}
