//! Cases of changing the classification scales: one level's handling rules, which re-flag that
//! level's assets in the same audited write; and the 3A/3B/3C split of 機密性3, which moves the
//! assets in the same audited write, marks them for review until they are reclassified, and is
//! undone by switching back.

use mamori_core::asset::{AssetId, AssetKind, Flag, Lifecycle};
use mamori_core::authz::{
    AssetPlace, AssetVisibility, ManageAssets, ManageRegister, ViewAssetDetail, ViewAssets,
};
use mamori_core::classification::{Classification, Dimension, LevelEdit, TakeOut, segment_codes};
use mamori_core::segment::{Segment, SegmentId, parse_ranges};
use mamori_core::{Granted, UnitId};
use mamori_store::{AssetFilter, AssetInput, AssetSort, Conflict, NewAsset};

use crate::{Fx, assert_conflict, assert_not_found, grant, name, new_org, new_unit, origin};

fn register() -> Granted<ManageRegister> {
    grant::<ManageRegister>(&())
}

fn view() -> Granted<ViewAssets> {
    grant::<ViewAssets>(&())
}

fn manage() -> Granted<ManageAssets> {
    grant::<ManageAssets>(&AssetPlace {
        asset: None,
        owner_unit: None,
        owner_org: None,
        restricted: false,
        existence_visible: true,
    })
}

fn detail() -> Granted<ViewAssetDetail> {
    grant::<ViewAssetDetail>(&AssetPlace {
        asset: None,
        owner_unit: None,
        owner_org: None,
        restricted: true,
        existence_visible: false,
    })
}

fn class(c: &str) -> Classification {
    Classification {
        confidentiality: c.into(),
        integrity: "2".into(),
        availability: "1".into(),
    }
}

fn review(to: &str) -> Flag {
    Flag::SplitReview {
        from: "3".into(),
        to: to.into(),
    }
}

async fn segment(fx: &Fx, code: &str, ranges: &str) -> SegmentId {
    fx.store()
        .create_segment(
            &register(),
            Segment {
                code: code.into(),
                name: name(code),
                ranges: parse_ranges("ranges", ranges).unwrap(),
                note: String::new(),
            },
            &origin(),
        )
        .await
        .unwrap()
        .id
}

async fn asset(fx: &Fx, title: &str, unit: UnitId, segment: SegmentId, c: &str) -> AssetId {
    fx.store()
        .create_asset(
            &manage(),
            NewAsset {
                input: AssetInput {
                    kind: AssetKind::System,
                    name: name(title),
                    owner_unit: unit,
                    administrator: None,
                    location: String::new(),
                    segment: Some(segment),
                    hosts: vec![],
                    addresses: vec![],
                    lifecycle: Lifecycle::InUse,
                    note: String::new(),
                },
                classification: class(c),
                disposal: None,
            },
            &origin(),
        )
        .await
        .unwrap()
        .id
}

async fn flags_of(fx: &Fx, id: AssetId) -> (String, Vec<Flag>) {
    let asset = fx
        .store()
        .asset(&detail(), id, &origin())
        .await
        .unwrap()
        .unwrap();
    (asset.classification.confidentiality, asset.flags)
}

/// The summary's count per confidentiality level agrees with a count of the table itself.
async fn assert_counts_agree(fx: &Fx) {
    let summary = fx.store().asset_summary(&view()).await.unwrap();
    for level in ["3", "3A", "3B", "3C", "2", "1"] {
        let counted = fx
            .raw_count(&format!(
                "SELECT COUNT(*) FROM assets WHERE confidentiality = '{level}'"
            ))
            .await;
        let shown = summary
            .by_confidentiality
            .iter()
            .find(|c| c.key == level)
            .map_or(0, |c| c.count);
        assert_eq!(shown, counted, "summary of level {level}");
    }
    let flagged = fx
        .raw_count("SELECT COUNT(*) FROM assets WHERE flagged = 1")
        .await;
    assert_eq!(summary.flagged, flagged, "flagged in the summary");
}

pub async fn the_split_moves_level_3_assets_for_review_and_back(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "住民課").await.id;
    let lgwan = segment(&fx, segment_codes::LGWAN, "10.10.0.0/16").await;
    let mynumber = segment(&fx, segment_codes::MYNUMBER, "10.20.0.0/16").await;
    let payroll = asset(&fx, "人事給与", unit, lgwan, "3").await;
    let resident = asset(&fx, "住民記録", unit, mynumber, "3").await;
    let portal = asset(&fx, "庁内ポータル", unit, lgwan, "2").await;

    // A target that is not a split level: refused, nothing written.
    let before = fx.audit_len().await;
    assert_conflict(
        s.switch_split(&register(), true, "2", &origin()).await,
        Conflict::ClassificationSplitTarget,
        "a target outside the split levels",
    );
    fx.assert_no_record(before, "a refused split").await;
    assert_eq!(flags_of(&fx, payroll).await, ("3".into(), vec![]));
    assert!(
        s.scales()
            .await
            .unwrap()
            .confidentiality
            .level("3")
            .is_some()
    );

    // On, to the strictest level: both 機密性3 assets move and wait for review.
    let before = fx.audit_len().await;
    let outcome = s
        .switch_split(&register(), true, "3A", &origin())
        .await
        .unwrap();
    assert!(outcome.changed);
    assert_eq!(outcome.moved, 2);
    assert!(outcome.scales.confidentiality.is_split_3());
    let record = fx.assert_one_record(before, "classification.split").await;
    assert_eq!(record.event.detail["moved"], 2);
    assert_eq!(record.event.detail["existing_to"], "3A");
    assert_eq!(
        flags_of(&fx, payroll).await,
        (
            "3A".into(),
            vec![
                Flag::SegmentForbidden {
                    segment: segment_codes::LGWAN.into(),
                    level: "機密性3A".into(),
                },
                review("3A"),
            ]
        )
    );
    assert_eq!(
        flags_of(&fx, resident).await,
        ("3A".into(), vec![review("3A")])
    );
    assert_eq!(flags_of(&fx, portal).await, ("2".into(), vec![]));
    assert_eq!(s.split_review_count(&view()).await.unwrap(), 2);
    assert_counts_agree(&fx).await;
    // The level rows follow the scale: a 3A asset is restricted, and sorts first by class.
    let place = s.asset_place(resident).await.unwrap().unwrap();
    assert!(place.restricted);
    let (rows, total) = s
        .list_assets(
            &view(),
            &AssetVisibility::All,
            &AssetFilter {
                sort: AssetSort::Class,
                limit: 10,
                ..AssetFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(total.n, 3);
    assert_eq!(rows.last().map(|r| r.id), Some(portal));

    // Everything but a reclassification keeps the review: a details edit, a segment change.
    let kept = s
        .update_asset(
            &manage(),
            resident,
            AssetInput {
                kind: AssetKind::System,
                name: name("住民記録システム"),
                owner_unit: unit,
                administrator: None,
                location: "電算室".into(),
                segment: Some(mynumber),
                hosts: vec![],
                addresses: vec![],
                lifecycle: Lifecycle::InUse,
                note: String::new(),
            },
            &origin(),
        )
        .await
        .unwrap();
    assert_eq!(kept.flags, vec![review("3A")]);
    s.update_segment(
        &register(),
        lgwan,
        Segment {
            code: segment_codes::LGWAN.into(),
            name: name("LGWAN接続系"),
            ranges: parse_ranges("ranges", "10.10.0.0/16, 10.11.0.0/16").unwrap(),
            note: String::new(),
        },
        &origin(),
    )
    .await
    .unwrap();
    assert!(flags_of(&fx, payroll).await.1.contains(&review("3A")));
    // Reclassified, even to the level it has, the review ends.
    let judged = s
        .reclassify_asset(&manage(), resident, class("3A"), "確認済み", &origin())
        .await
        .unwrap();
    assert_eq!(judged.flags, vec![]);
    assert_eq!(s.split_review_count(&view()).await.unwrap(), 1);
    assert_counts_agree(&fx).await;

    // Asking for the state in force changes nothing, whatever the target.
    let before = fx.audit_len().await;
    let again = s
        .switch_split(&register(), true, "3C", &origin())
        .await
        .unwrap();
    assert!(!again.changed);
    assert_eq!(again.moved, 0);
    fx.assert_no_record(before, "a split already in force")
        .await;
    assert_eq!(flags_of(&fx, resident).await.0, "3A");

    // Off: every split level goes back to 3 and the open review ends.
    let before = fx.audit_len().await;
    let outcome = s
        .switch_split(&register(), false, "", &origin())
        .await
        .unwrap();
    assert!(outcome.changed);
    assert_eq!(outcome.moved, 2);
    fx.assert_one_record(before, "classification.split").await;
    assert_eq!(flags_of(&fx, payroll).await, ("3".into(), vec![]));
    assert_eq!(flags_of(&fx, resident).await, ("3".into(), vec![]));
    assert_eq!(s.split_review_count(&view()).await.unwrap(), 0);
    assert!(!s.scales().await.unwrap().confidentiality.is_split_3());
    assert_counts_agree(&fx).await;
    assert_eq!(fx.verify().await.result, Ok(()), "the chain verifies");
}

pub async fn the_split_to_a_chosen_level_keeps_the_sites_other_levels(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "税務課").await.id;
    let lgwan = segment(&fx, segment_codes::LGWAN, "10.10.0.0/16").await;
    let tax = asset(&fx, "課税システム", unit, lgwan, "3").await;
    // The site keeps 機密性2 to LGWAN only; the split must not undo that.
    let mut scale = s.scales().await.unwrap().confidentiality;
    let two = scale.levels.iter_mut().find(|l| l.code == "2").unwrap();
    two.rules.allowed_segments = vec![segment_codes::LGWAN.into()];
    s.update_scale(&register(), scale, &origin()).await.unwrap();

    let outcome = s
        .switch_split(&register(), true, "3b", &origin())
        .await
        .unwrap();
    assert_eq!(outcome.moved, 1);
    let two = outcome.scales.confidentiality.level("2").unwrap();
    assert_eq!(two.rules.allowed_segments, vec![segment_codes::LGWAN]);
    // 3B may live in LGWAN: only the review is flagged.
    assert_eq!(flags_of(&fx, tax).await, ("3B".into(), vec![review("3B")]));
    assert_counts_agree(&fx).await;
}

pub async fn a_level_edit_reflags_that_levels_assets_in_one_audited_write(fx: Fx) {
    let s = fx.store();
    let org = new_org(&fx, "KANRI", "管理者").await;
    let unit = new_unit(&fx, org.id, None, "広報課").await.id;
    let lgwan = segment(&fx, segment_codes::LGWAN, "10.10.0.0/16").await;
    let internet = segment(&fx, segment_codes::INTERNET, "172.16.0.0/16").await;
    let portal = asset(&fx, "庁内ポータル", unit, internet, "2").await;
    let docs = asset(&fx, "文書管理", unit, lgwan, "2").await;
    let web = asset(&fx, "公開Web", unit, internet, "1").await;
    let level = s
        .scales()
        .await
        .unwrap()
        .confidentiality
        .level("2")
        .unwrap()
        .clone();
    let edit = |segments: &[&str]| LevelEdit {
        name: "機密性2".into(),
        definition: level.definition.clone(),
        rules: mamori_core::classification::HandlingRules {
            allowed_segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            take_out: TakeOut::Forbidden,
            ..level.rules.clone()
        },
    };

    let before = fx.audit_len().await;
    let scales = s
        .update_level(
            &register(),
            Dimension::Confidentiality,
            "2",
            edit(&["lgwan"]),
            &origin(),
        )
        .await
        .unwrap();
    let changed = scales.confidentiality.level("2").unwrap();
    assert_eq!(changed.rules.allowed_segments, vec![segment_codes::LGWAN]);
    assert_eq!(changed.rules.take_out, TakeOut::Forbidden);
    assert_eq!((changed.code.as_str(), changed.rank), ("2", 2));
    let record = fx
        .assert_one_record(before, "classification.level_update")
        .await;
    assert_eq!(record.event.target_id, "confidentiality/2");
    assert_eq!(
        record.event.detail["before"]["rules"]["take_out"],
        "with_approval"
    );
    assert_eq!(
        record.event.detail["after"]["rules"]["take_out"],
        "forbidden"
    );
    assert_eq!(
        flags_of(&fx, portal).await.1,
        vec![Flag::SegmentForbidden {
            segment: segment_codes::INTERNET.into(),
            level: "機密性2".into(),
        }]
    );
    assert_eq!(flags_of(&fx, docs).await.1, vec![]);
    assert_eq!(flags_of(&fx, web).await.1, vec![]);
    assert_counts_agree(&fx).await;

    // Refused edits write nothing: an unknown segment, a level the scale does not have.
    let before = fx.audit_len().await;
    assert_conflict(
        s.update_level(
            &register(),
            Dimension::Confidentiality,
            "2",
            edit(&["DMZ"]),
            &origin(),
        )
        .await,
        Conflict::LevelInvalid,
        "an unknown segment",
    );
    assert_not_found(
        s.update_level(&register(), Dimension::Integrity, "3", edit(&[]), &origin())
            .await,
        "a level the scale does not have",
    );
    fx.assert_no_record(before, "refused level edits").await;

    // Any segment again: the flag goes.
    s.update_level(
        &register(),
        Dimension::Confidentiality,
        "2",
        edit(&[]),
        &origin(),
    )
    .await
    .unwrap();
    assert_eq!(flags_of(&fx, portal).await.1, vec![]);
    assert_counts_agree(&fx).await;
}
